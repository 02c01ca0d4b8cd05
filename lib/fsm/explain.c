// SPDX-License-Identifier: MIT
/*
 * explain.c - what each TCP state means and how many sockets are in it
 * now, as text and as JSON. How long a state lasts on this host is worked
 * out in durations.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/collect.h"
#include "tulpen/explain.h"
#include "tulpen/state.h"
#include "tulpen/tcp_fsm.h"

#define WIDTH 78

static const struct tulpen_state_info infos[] = {
	{
		.state = TULPEN_TCP_LISTEN,
		.meaning = "A server socket waiting for connections. The "
			   "program called listen(); the kernel now completes "
			   "handshakes on its port by itself and queues the "
			   "finished connections until the program calls "
			   "accept(). A listening socket never carries data: "
			   "every accepted connection is a new socket. For a "
			   "LISTEN socket, Recv-Q is the number of connections "
			   "waiting to be accepted and Send-Q the limit of "
			   "that queue (the listen() backlog, capped by "
			   "somaxconn).",
		.side = "The server only.",
		.enter = "socket(), bind() to a port, listen().",
		.leave = "The program closes the socket or exits. Connections "
			 "it already accepted live on. (In the RFC a SYN turns "
			 "the listening connection into SYN-RECEIVED; Linux "
			 "keeps the listener in LISTEN and makes a new request "
			 "socket for each SYN.)",
		.pileup = "One LISTEN socket per service address and port is "
			  "normal (more with SO_REUSEPORT workers). Check for "
			  "ports you did not mean to open. If Recv-Q stays "
			  "near Send-Q, the program does not accept() fast "
			  "enough: new connections are dropped (see `nstat "
			  "-az TcpExtListenOverflows`).",
		.owners = "tulpen -tlnp",
	},
	{
		.state = TULPEN_TCP_SYN_SENT,
		.meaning = "A connection being opened by this side: connect() "
			   "sent a SYN and waits for the peer's SYN,ACK.",
		.side = "The client (the active opener). In a simultaneous "
			"open both sides pass through it.",
		.enter = "connect() on a new socket (or a send on a socket "
			 "that was listening, in the RFC).",
		.leave = "A SYN,ACK completes the handshake (ESTABLISHED); a "
			 "reset means nobody listens there (connect() fails "
			 "with ECONNREFUSED); a bare SYN from the peer means a "
			 "simultaneous open (SYN-RECEIVED); without an answer "
			 "connect() gives up with ETIMEDOUT.",
		.pileup = "The peers do not answer: a firewall silently "
			  "dropping SYNs, a host that is down, a wrong address "
			  "or broken routing. Many to many different "
			  "addresses can also be a program scanning or a "
			  "connection storm at start-up.",
		.owners = "tulpen -tanp state syn-sent",
	},
	{
		.state = TULPEN_TCP_SYN_RECV,
		.meaning = "Half of a handshake on the server: a SYN came in, "
			   "the SYN,ACK went out, and the client's final ACK "
			   "has not arrived yet. On Linux these are small "
			   "request sockets hanging off the listener, not yet "
			   "sockets a program can accept(); they have no "
			   "owner process. Their kernel state is "
			   "TCP_NEW_SYN_RECV (12): sock_diag selects them by "
			   "that state's bit, and reports them, like "
			   "/proc/net/tcp, as 3 (TCP_SYN_RECV), the state of a "
			   "full socket in a simultaneous open or a Fast Open "
			   "server's.",
		.side = "The server (the passive opener). In a simultaneous "
			"open the client passes through it too.",
		.enter = "A SYN reaches a listening port.",
		.leave = "The client's ACK arrives (ESTABLISHED, and the "
			 "connection joins the accept queue); a reset from the "
			 "client drops it (the listener stays in LISTEN); "
			 "otherwise the SYN,ACK is retransmitted until the "
			 "kernel gives up.",
		.pileup = "Usually a SYN flood: forged source addresses never "
			  "send the final ACK. Or clients cannot get their "
			  "ACK back to you (asymmetric routing, a firewall "
			  "dropping the return path). SYN cookies let the "
			  "server keep answering when the queue is full.",
		.owners = "tulpen -tanp state syn-recv   (the listener: "
			  "tulpen -tlnp)",
	},
	{
		.state = TULPEN_TCP_ESTABLISHED,
		.meaning = "An open connection: the handshake is done and data "
			   "can flow both ways.",
		.side = "Both sides.",
		.enter = "The client when the SYN,ACK arrives, the server "
			 "when the client's ACK arrives.",
		.leave = "One side closes: it sends a FIN and goes to "
			 "FIN-WAIT-1, the other receives it and goes to "
			 "CLOSE-WAIT. A reset, an abort or a timeout of "
			 "retransmissions ends it at once (CLOSED).",
		.pileup = "Mostly just load. Many to a single peer point at "
			  "a missing or leaking connection pool. Look at the "
			  "queues: a growing Recv-Q means the program does not "
			  "read what arrives; a growing Send-Q means the peer "
			  "or the network does not take what is sent.",
		.owners = "tulpen -tanp state established",
	},
	{
		.state = TULPEN_TCP_FIN_WAIT1,
		.meaning = "This side has closed (sent its FIN) and waits for "
			   "the peer to acknowledge it.",
		.side = "The active closer: the side that closed first.",
		.enter = "The program calls close() or shutdown(SHUT_WR) on an "
			 "established connection (or before the handshake "
			 "finished, from SYN-RECEIVED).",
		.leave = "The ACK of the FIN arrives (FIN-WAIT-2); the peer's "
			 "FIN arrives first (CLOSING, a simultaneous close); "
			 "both in one segment (TIME-WAIT directly, a three-way "
			 "close).",
		.pileup = "The FIN cannot get through: the peer's receive "
			  "window is zero because the remote program does not "
			  "read, so queued data (Send-Q) and the FIN behind it "
			  "wait; or the peer has vanished and the FIN is "
			  "retransmitted into the void.",
		.owners = "tulpen -tanp state fin-wait-1",
	},
	{
		.state = TULPEN_TCP_FIN_WAIT2,
		.meaning = "This side's FIN has been acknowledged; it now "
			   "waits for the peer to close too. The connection "
			   "is half closed: the peer may still send data.",
		.side = "The active closer.",
		.enter = "The ACK of our FIN arrives in FIN-WAIT-1.",
		.leave = "The peer's FIN arrives (TIME-WAIT). On Linux, if "
			 "the program has already closed the socket, a timer "
			 "(tcp_fin_timeout) ends it.",
		.pileup = "The remote program got our FIN but does not close "
			  "its side: over there the sockets sit in CLOSE-WAIT. "
			  "The bug is usually in the peer's code, not here. "
			  "Sockets here that were only shut down for writing "
			  "(not closed) can wait forever.",
		.owners = "tulpen -tanp state fin-wait-2",
	},
	{
		.state = TULPEN_TCP_TIME_WAIT,
		.meaning = "The connection is closed and every FIN "
			   "acknowledged, but the addresses and ports stay "
			   "reserved for a while: a delayed segment of this "
			   "connection must not be taken for part of a new one "
			   "on the same ports, and our last ACK can be sent "
			   "again if it was lost. No program holds these "
			   "sockets any more and they have no buffers.",
		.side = "The active closer: the side that sent the first FIN.",
		.enter = "The peer's FIN arrives in FIN-WAIT-2 (or the ACK of "
			 "our FIN in CLOSING, or both at once in FIN-WAIT-1).",
		.leave = "A timer ends it (CLOSED). A reset from the peer "
			 "ends it at once while tcp_rfc1337 is 0 (the "
			 "default; RFC 1337 calls this TIME-WAIT "
			 "assassination); with tcp_rfc1337 = 1 the reset is "
			 "ignored and the timer runs out. A new SYN for the "
			 "same ports with a newer sequence number or timestamp "
			 "ends it too: the listener takes it as a new "
			 "connection (RFC 6191).",
		.pileup = "Normal on a host that makes many short connections "
			  "and closes them first itself (a client, a proxy, "
			  "a web server closing after each request). They "
			  "cost little. Trouble starts when a client runs out "
			  "of local ports towards one server address and "
			  "port: reuse connections (keep-alive, pooling), let "
			  "the other side close first, or allow reuse with "
			  "tcp_tw_reuse. Above tcp_max_tw_buckets the kernel "
			  "closes new ones at once, without TIME-WAIT, and "
			  "counts each in TcpExtTCPTimeWaitOverflow (`nstat "
			  "-az TcpExtTCPTimeWaitOverflow`); it logs nothing.",
		.owners = "tulpen -tan state time-wait   (no process owns "
			  "them)",
	},
	{
		.state = TULPEN_TCP_CLOSE,
		.meaning = "No connection. In the RFC the state before a "
			   "connection exists and after it is gone. On Linux a "
			   "TCP socket shows as CLOSED (ss: UNCONN) when it "
			   "was created but is neither connecting nor "
			   "listening, for example after socket() and bind(), "
			   "or after a failed or reset connection whose socket "
			   "the program has not closed.",
		.side = "Either side.",
		.enter = "socket() creates it; a connection ends here after "
			 "TIME-WAIT, LAST-ACK, a reset or an abort.",
		.leave = "listen() (LISTEN) or connect() (SYN-SENT).",
		.pileup = "Sockets created but never used, or kept after "
			  "their connection failed: the program does not close "
			  "them (a file-descriptor leak).",
		.owners = "tulpen -tanp state closed",
	},
	{
		.state = TULPEN_TCP_CLOSE_WAIT,
		.meaning = "The peer has closed its side: its FIN arrived and "
			   "was acknowledged. The kernel now waits for the "
			   "local program to call close(). This side may still "
			   "send data.",
		.side = "The passive closer: the side that did not close "
			"first.",
		.enter = "The peer's FIN arrives on an established "
			 "connection; the program's read() returns 0 "
			 "(end of file).",
		.leave = "The program calls close() or shutdown(SHUT_WR): our "
			 "FIN goes out (LAST-ACK). A reset from the peer ends "
			 "it too.",
		.pileup = "The program received the peer's FIN but never "
			  "called close(): a file-descriptor leak, typically "
			  "an error path that forgets to close, or a pool that "
			  "keeps dead connections. TCP has no timer of its own "
			  "for this state: unless the socket has SO_KEEPALIVE "
			  "(probes find a vanished peer) or TCP_USER_TIMEOUT "
			  "(unacknowledged data gives up), they stay until the "
			  "process closes them or exits, and it may run out of "
			  "file descriptors first.",
		.owners = "tulpen -tanp state close-wait",
	},
	{
		.state = TULPEN_TCP_LAST_ACK,
		.meaning = "Both sides have closed; the peer closed first. Our "
			   "FIN is out and we wait for its ACK, the last "
			   "segment of the connection.",
		.side = "The passive closer.",
		.enter = "The program calls close() in CLOSE-WAIT.",
		.leave = "The ACK of our FIN arrives (CLOSED, at once, without "
			 "TIME-WAIT); or retransmissions of the FIN give up.",
		.pileup = "The peers vanish right after closing: the final ACK "
			  "is lost, the remote host is gone, or a firewall "
			  "forgot the connection. They expire after the FIN "
			  "retransmissions.",
		.owners = "tulpen -tanp state last-ack",
	},
	{
		.state = TULPEN_TCP_CLOSING,
		.meaning = "Both sides closed at the same moment: we sent our "
			   "FIN, then the peer's FIN arrived before the ACK of "
			   "ours. We acknowledged theirs and wait for the ACK "
			   "of ours.",
		.side = "Both sides, in a simultaneous close.",
		.enter = "The peer's FIN arrives in FIN-WAIT-1 without "
			 "acknowledging our FIN.",
		.leave = "The ACK of our FIN arrives (TIME-WAIT).",
		.pileup = "Rare, and short-lived. Many of them mean the ACKs "
			  "of FINs are being lost: packet loss or a middlebox "
			  "dropping them.",
		.owners = "tulpen -tanp state closing",
	},
	{
		.state = TULPEN_TCP_BOUND_INACTIVE,
		.meaning = "Not an RFC state: Linux (6.6 and later) reports a "
			   "TCP socket that is bound to a port but neither "
			   "listening nor connecting as BOUND-INACTIVE, so "
			   "ports held that way become visible.",
		.side = "Either side.",
		.enter = "bind() without listen() or connect().",
		.leave = "listen(), connect() or close().",
		.pileup = "Programs reserving ports they do not use (or a leak "
			  "of bound sockets).",
		.owners = "tulpen -tanp state bound-inactive",
	},
};

const struct tulpen_state_info *tulpen_state_info(int state)
{
	size_t i;

	if (state == TULPEN_TCP_NEW_SYN_RECV)
		state = TULPEN_TCP_SYN_RECV;
	for (i = 0; i < sizeof(infos) / sizeof(infos[0]); i++)
		if (infos[i].state == state)
			return &infos[i];
	return NULL;
}

static long long hv(const struct tulpen_host_tcp *h, int id)
{
	return h ? h->v[id] : -1;
}

/* tulpen_explain_duration() is in durations.c. */

/* Write @text wrapped at WIDTH columns, each line indented by @indent. */
static void wrap(struct tulpen_buf *b, size_t indent, const char *text)
{
	tulpen_buf_wrap(b, indent, indent, WIDTH, text, 0);
}

/* Whether row @t is a way into @state (from another state). */
static int is_in(const struct tulpen_fsm_transition *t, int state)
{
	return t->valid && t->event != TULPEN_FSM_EV_SENT &&
	       !(t->cond & TULPEN_FSM_DATA) && t->to == state &&
	       (t->from & ~TULPEN_SF(state));
}

static int is_out(const struct tulpen_fsm_transition *t, int state)
{
	return t->valid && t->event != TULPEN_FSM_EV_SENT &&
	       !(t->cond & TULPEN_FSM_DATA) && t->to != TULPEN_FSM_STAY &&
	       t->to != state && (t->from & TULPEN_SF(state));
}

/* "ESTABLISHED, FIN-WAIT-1" for the states of @mask but @skip. */
static void put_states(struct tulpen_buf *b, uint32_t mask, int skip, int json)
{
	int s, first = 1;

	for (s = 1; s < TULPEN_TCP_MAX_STATES; s++) {
		const char *name = tulpen_state_name(s, TULPEN_STATE_RFC);

		if (!(mask & TULPEN_SF(s)) || s == skip)
			continue;
		if (json) {
			if (!first)
				tulpen_buf_putc(b, ',');
			tulpen_buf_json_str(b, name);
		} else {
			tulpen_buf_puts(b, first ? "" : ", ");
			tulpen_buf_puts(b, name);
		}
		first = 0;
	}
}

static int fsm_state(int state)
{
	if (state == TULPEN_TCP_NEW_SYN_RECV)
		return TULPEN_TCP_SYN_RECV;
	return state;
}

static void text_transitions(struct tulpen_buf *b, int state, int out)
{
	const struct tulpen_fsm_transition *t;
	struct tulpen_buf line;
	size_t n, i;
	int any = 0;

	t = tulpen_fsm_table(&n);
	if (tulpen_buf_init(&line, 0, NULL, NULL)) {
		b->err = -ENOMEM;
		return;
	}
	for (i = 0; i < n; i++) {
		size_t keep;

		if (out ? !is_out(&t[i], state) : !is_in(&t[i], state))
			continue;
		line.len = 0;
		if (out) {
			tulpen_buf_printf(
				&line, "to %s: ",
				tulpen_state_name(t[i].to, TULPEN_STATE_RFC));
		} else {
			tulpen_buf_puts(&line, "from ");
			put_states(&line, t[i].from, state, 0);
			tulpen_buf_puts(&line, ": ");
		}
		/* the label is one transition: never split across lines */
		keep = line.len;
		tulpen_buf_printf(&line, "%s%s", t[i].label,
				  t[i].linux_only ? " (Linux)" : "");
		keep = line.len - keep;
		if (line.err)
			break;
		line.data[line.len] = '\0';
		tulpen_buf_wrap(b, 4, 6, WIDTH, line.data, keep);
		any = 1;
	}
	if (line.err)
		b->err = line.err;
	if (!any)
		wrap(b, 4, "(none in RFC 9293's machine)");
	tulpen_buf_fini(&line);
}

static void section(struct tulpen_buf *b, const char *title, const char *text)
{
	tulpen_buf_printf(b, "\n%s\n", title);
	wrap(b, 2, text);
}

int tulpen_explain_text(struct tulpen_buf *b, int state,
			const struct tulpen_explain_opts *o)
{
	const struct tulpen_state_info *info = tulpen_state_info(state);
	struct tulpen_buf d;
	int fs = fsm_state(state);
	int ret;

	if (!info)
		return -EINVAL;
	ret = tulpen_buf_init(&d, 0, NULL, NULL);
	if (ret)
		return ret;
	ret = tulpen_explain_duration(&d, state, o ? o->host : NULL);
	if (ret)
		goto out;
	tulpen_buf_putc(&d, '\0');
	ret = d.err;
	if (ret)
		goto out;

	tulpen_buf_printf(b, "%s  (ss: %s, netstat: %s, kernel: %d",
			  tulpen_state_name(fs, TULPEN_STATE_RFC),
			  tulpen_state_name(fs, TULPEN_STATE_SS),
			  tulpen_state_name(fs, TULPEN_STATE_NETSTAT), fs);
	if (fs == TULPEN_TCP_SYN_RECV)
		tulpen_buf_printf(b, "; request sockets: %d",
				  TULPEN_TCP_NEW_SYN_RECV);
	tulpen_buf_puts(b, ")\n");
	section(b, "What it means", info->meaning);
	section(b, "Which side is in it", info->side);
	section(b, "How a socket gets here", info->enter);
	text_transitions(b, fs, 0);
	section(b, "How it leaves", info->leave);
	text_transitions(b, fs, 1);
	section(b, "How long it lasts (this host)", d.data);
	section(b, "When many sockets are in it", info->pileup);
	tulpen_buf_printf(b, "\nWho holds them\n  %s\n", info->owners);
	if (o && o->count >= 0)
		tulpen_buf_printf(b,
				  "\nNow on this host: %lld TCP socket%s "
				  "in %s\n",
				  o->count, o->count == 1 ? "" : "s",
				  tulpen_state_name(fs, TULPEN_STATE_RFC));
	ret = b->err;
out:
	tulpen_buf_fini(&d);
	return ret;
}

static void json_field(struct tulpen_buf *b, const char *key, const char *value)
{
	tulpen_buf_putc(b, ',');
	tulpen_buf_json_str(b, key);
	tulpen_buf_putc(b, ':');
	tulpen_buf_json_str(b, value);
}

static void json_transitions(struct tulpen_buf *b, int state, int out)
{
	const struct tulpen_fsm_transition *t;
	size_t n, i;
	int first = 1;

	t = tulpen_fsm_table(&n);
	tulpen_buf_printf(b, ",\"%s\":[", out ? "ways_out" : "ways_in");
	for (i = 0; i < n; i++) {
		if (out ? !is_out(&t[i], state) : !is_in(&t[i], state))
			continue;
		tulpen_buf_puts(b, first ? "{" : ",{");
		first = 0;
		tulpen_buf_puts(b, "\"from\":[");
		put_states(b, out ? TULPEN_SF(state) : t[i].from,
			   out ? -1 : state, 1);
		tulpen_buf_puts(b, "],\"to\":");
		tulpen_buf_json_str(
			b, tulpen_state_name(t[i].to, TULPEN_STATE_RFC));
		json_field(b, "event", tulpen_fsm_event_name(t[i].event));
		json_field(b, "label", t[i].label);
		json_field(b, "why", t[i].why);
		tulpen_buf_printf(b, ",\"rfc_figure\":%s,\"linux_only\":%s}",
				  t[i].diagram ? "true" : "false",
				  t[i].linux_only ? "true" : "false");
	}
	tulpen_buf_putc(b, ']');
}

int tulpen_explain_json(struct tulpen_buf *b, int state,
			const struct tulpen_explain_opts *o)
{
	const struct tulpen_state_info *info = tulpen_state_info(state);
	const struct tulpen_host_tcp *h = o ? o->host : NULL;
	struct tulpen_buf d;
	int fs = fsm_state(state);
	int ret, id;

	if (!info)
		return -EINVAL;
	ret = tulpen_buf_init(&d, 0, NULL, NULL);
	if (ret)
		return ret;
	ret = tulpen_explain_duration(&d, state, h);
	if (ret)
		goto out;
	tulpen_buf_putc(&d, '\0');
	ret = d.err;
	if (ret)
		goto out;

	tulpen_buf_puts(b, "{\"state\":");
	tulpen_buf_json_str(b, tulpen_state_name(fs, TULPEN_STATE_RFC));
	tulpen_buf_printf(b, ",\"kernel_state\":%d", fs);
	if (fs == TULPEN_TCP_SYN_RECV)
		tulpen_buf_printf(b, ",\"kernel_request_state\":%d",
				  TULPEN_TCP_NEW_SYN_RECV);
	tulpen_buf_puts(b, ",\"names\":{\"rfc\":");
	tulpen_buf_json_str(b, tulpen_state_name(fs, TULPEN_STATE_RFC));
	tulpen_buf_puts(b, ",\"ss\":");
	tulpen_buf_json_str(b, tulpen_state_name(fs, TULPEN_STATE_SS));
	tulpen_buf_puts(b, ",\"netstat\":");
	tulpen_buf_json_str(b, tulpen_state_name(fs, TULPEN_STATE_NETSTAT));
	tulpen_buf_putc(b, '}');
	json_field(b, "meaning", info->meaning);
	json_field(b, "side", info->side);
	json_field(b, "enter", info->enter);
	json_field(b, "leave", info->leave);
	json_transitions(b, fs, 0);
	json_transitions(b, fs, 1);
	json_field(b, "duration", d.data);
	json_field(b, "pileup", info->pileup);
	json_field(b, "owners_command", info->owners);
	tulpen_buf_puts(b, ",\"host\":{");
	for (id = 0; id < TULPEN_SYSCTL_MAX; id++) {
		long long v = hv(h, id);

		if (id)
			tulpen_buf_putc(b, ',');
		tulpen_buf_json_str(b, tulpen_sysctl_name(id));
		if (v < 0)
			tulpen_buf_puts(b, ":null");
		else
			tulpen_buf_printf(b, ":%lld", v);
	}
	tulpen_buf_puts(b, "},\"linux_time_wait_s\":60");
	if (o && o->count >= 0)
		tulpen_buf_printf(b, ",\"count\":%lld", o->count);
	else
		tulpen_buf_puts(b, ",\"count\":null");
	tulpen_buf_puts(b, "}\n");
	ret = b->err;
out:
	tulpen_buf_fini(&d);
	return ret;
}

struct count_ctx {
	uint32_t mask;
	uint64_t n;
};

static int count_cb(const struct tulpen_sock *s, void *data)
{
	struct count_ctx *c = data;

	if (s->proto == TULPEN_P_TCP && s->state < TULPEN_TCP_MAX_STATES &&
	    (c->mask & TULPEN_SF(s->state)))
		c->n++;
	return 0;
}

int tulpen_explain_count(struct tulpen_ctx *ctx, int state, uint64_t *count)
{
	struct tulpen_query q = {
		.protos = TULPEN_PF(TULPEN_P_TCP),
		.families = TULPEN_FAM_INET | TULPEN_FAM_INET6,
	};
	struct count_ctx c = { 0 };
	int ret;

	if (state <= TULPEN_TCP_UNKNOWN || state >= TULPEN_TCP_MAX_STATES)
		return -EINVAL;
	c.mask = TULPEN_SF(state);
	if (state == TULPEN_TCP_SYN_RECV || state == TULPEN_TCP_NEW_SYN_RECV)
		c.mask = TULPEN_SF(TULPEN_TCP_SYN_RECV) |
			 TULPEN_SF(TULPEN_TCP_NEW_SYN_RECV);
	q.states = c.mask;
	ret = tulpen_collect(ctx, &q, count_cb, &c);
	if (ret)
		return ret < 0 ? ret : -EIO;
	*count = c.n;
	return 0;
}
