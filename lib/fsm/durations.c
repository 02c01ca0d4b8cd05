// SPDX-License-Identifier: MIT
/*
 * durations.c - how long each TCP state lasts on this host: the texts of
 * `tulpen explain` that depend on the host's sysctls (retransmission
 * give-up times worked out as Linux does), one function per state.
 */
#include <errno.h>

#include "tulpen/explain.h"
#include "tulpen/state.h"

static long long hv(const struct tulpen_host_tcp *h, int id)
{
	return h ? h->v[id] : -1;
}

/* "2 h 11 min 15 s", "60 s", "1 min 3 s". */
static void put_duration(struct tulpen_buf *b, long long secs)
{
	long long h = secs / 3600, m = secs % 3600 / 60, s = secs % 60;

	if (h)
		tulpen_buf_printf(b, "%lld h", h);
	if (m)
		tulpen_buf_printf(b, "%s%lld min", h ? " " : "", m);
	if (s || (!h && !m))
		tulpen_buf_printf(b, "%s%lld s", (h || m) ? " " : "", s);
}

/*
 * How long Linux retransmits a SYN or SYN,ACK @n times: the first timeout
 * is 1 s and doubles each time (capped at 120 s); the give-up comes one
 * more timeout after the last retransmission. With @linear > 0
 * (tcp_syn_linear_timeouts, SYN-SENT only), the first @linear
 * retransmissions come on top of the @n, and until they are done the
 * timeout stays at 1 s. Measured on Linux 6.18: 6 retries and 4 linear
 * ones give up after 131 s (plus timer slack).
 */
static long long syn_give_up(long long n, long long linear)
{
	long long total = 0, rto = 1, i;

	if (linear < 0)
		linear = 0;
	for (i = 0; i <= n + linear && i < 1000; i++) {
		total += rto;
		if (i >= linear)
			rto = rto * 2 > 120 ? 120 : rto * 2;
	}
	return total;
}

/*
 * Retransmissions of data or a FIN: Linux's tcp_model_timeout() with the
 * RTO at its 200 ms floor, in milliseconds: @n retransmissions and the
 * final timeout, doubling from 200 ms up to the 120 s cap, then 120 s each
 * (15 gives the well-known 924.6 s).
 */
static long long data_give_up_ms(long long n)
{
	const long long base = 200, max = 120000;
	long long total = 0, rto = base, i;

	for (i = 0; i <= n && i < 1000; i++) {
		total += rto;
		rto = rto * 2 > max ? max : rto * 2;
	}
	return total;
}

static void put_ms(struct tulpen_buf *b, long long ms)
{
	tulpen_buf_printf(b, "%lld.%lld s", ms / 1000, ms % 1000 / 100);
	if (ms >= 60000) {
		tulpen_buf_puts(b, " (");
		put_duration(b, ms / 1000);
		tulpen_buf_puts(b, ")");
	}
}

static void put_sysctl(struct tulpen_buf *b, const struct tulpen_host_tcp *h,
		       int id)
{
	long long v = hv(h, id);

	if (v < 0)
		tulpen_buf_printf(b, "%s (not available)",
				  tulpen_sysctl_name(id));
	else
		tulpen_buf_printf(b, "%s = %lld", tulpen_sysctl_name(id), v);
}

/*
 * How often an orphaned socket's FIN is retransmitted (tcp_orphan_retries,
 * where 0 means 8) and the least time that takes; @what names the count.
 */
static void put_orphan_limit(struct tulpen_buf *b,
			     const struct tulpen_host_tcp *h, const char *what)
{
	long long v = hv(h, TULPEN_SYSCTL_ORPHAN_RETRIES);

	put_sysctl(b, h, TULPEN_SYSCTL_ORPHAN_RETRIES);
	tulpen_buf_puts(b, what);
	tulpen_buf_puts(b, " (0 means 8)");
	if (v >= 0) {
		tulpen_buf_puts(b, ", at least ");
		put_ms(b, data_give_up_ms(v ? v : 8));
	}
}

static void dur_listen(struct tulpen_buf *b, const struct tulpen_host_tcp *h)
{
	tulpen_buf_puts(b, "As long as the program keeps listening. "
			   "The accept queue holds at most the "
			   "listen() backlog, capped by ");
	put_sysctl(b, h, TULPEN_SYSCTL_SOMAXCONN);
	tulpen_buf_puts(b, ".");
}

static void dur_syn_sent(struct tulpen_buf *b, const struct tulpen_host_tcp *h)
{
	long long v, w;

	tulpen_buf_puts(b, "One round trip when the peer answers. "
			   "Without an answer the SYN is "
			   "retransmitted, ");
	v = hv(h, TULPEN_SYSCTL_SYN_RETRIES);
	w = hv(h, TULPEN_SYSCTL_SYN_LINEAR_TIMEOUTS);
	if (w > 0) {
		tulpen_buf_puts(b, "first ");
		put_sysctl(b, h, TULPEN_SYSCTL_SYN_LINEAR_TIMEOUTS);
		tulpen_buf_puts(b, " times 1 s apart, then ");
	}
	put_sysctl(b, h, TULPEN_SYSCTL_SYN_RETRIES);
	tulpen_buf_puts(b, w > 0 ? " more times" : " times");
	tulpen_buf_puts(b, " with gaps doubling from 1 s");
	if (v >= 0) {
		tulpen_buf_puts(b, ", so connect() fails after "
				   "about ");
		put_duration(b, syn_give_up(v, w));
	}
	tulpen_buf_puts(b, " (unless the program sets its own "
			   "timeout or TCP_SYNCNT).");
}

static void dur_syn_recv(struct tulpen_buf *b, const struct tulpen_host_tcp *h)
{
	long long v;

	tulpen_buf_puts(b, "One round trip normally. If the client's "
			   "ACK never comes, the SYN,ACK is "
			   "retransmitted ");
	v = hv(h, TULPEN_SYSCTL_SYNACK_RETRIES);
	put_sysctl(b, h, TULPEN_SYSCTL_SYNACK_RETRIES);
	tulpen_buf_puts(b, " times");
	if (v >= 0) {
		tulpen_buf_puts(b, " and the request is dropped "
				   "after about ");
		put_duration(b, syn_give_up(v, 0));
	}
	tulpen_buf_puts(b, ". The queue of these is bounded by ");
	put_sysctl(b, h, TULPEN_SYSCTL_MAX_SYN_BACKLOG);
	tulpen_buf_puts(b, "; ");
	put_sysctl(b, h, TULPEN_SYSCTL_SYNCOOKIES);
	tulpen_buf_puts(b, " (1: SYN cookies when it overflows, 2: "
			   "always, 0: never).");
}

static void dur_established(struct tulpen_buf *b,
			    const struct tulpen_host_tcp *h)
{
	long long v, w, x;

	tulpen_buf_puts(b, "As long as both programs keep the "
			   "connection: TCP itself has no idle "
			   "timeout. With SO_KEEPALIVE, an idle "
			   "connection is probed after ");
	v = hv(h, TULPEN_SYSCTL_KEEPALIVE_TIME);
	w = hv(h, TULPEN_SYSCTL_KEEPALIVE_INTVL);
	x = hv(h, TULPEN_SYSCTL_KEEPALIVE_PROBES);
	put_sysctl(b, h, TULPEN_SYSCTL_KEEPALIVE_TIME);
	tulpen_buf_puts(b, " s, every ");
	put_sysctl(b, h, TULPEN_SYSCTL_KEEPALIVE_INTVL);
	tulpen_buf_puts(b, " s, and declared dead after ");
	put_sysctl(b, h, TULPEN_SYSCTL_KEEPALIVE_PROBES);
	tulpen_buf_puts(b, " unanswered probes");
	if (v >= 0 && w >= 0 && x >= 0) {
		tulpen_buf_puts(b, ": a vanished peer is noticed "
				   "after ");
		put_duration(b, v + w * x);
	}
	tulpen_buf_puts(b, ". With unacknowledged data, "
			   "retransmissions give up after ");
	v = hv(h, TULPEN_SYSCTL_RETRIES2);
	put_sysctl(b, h, TULPEN_SYSCTL_RETRIES2);
	if (v >= 0) {
		tulpen_buf_puts(b, " tries, at least ");
		put_ms(b, data_give_up_ms(v));
	}
	tulpen_buf_puts(b, ".");
}

static void dur_fin_wait1(struct tulpen_buf *b, const struct tulpen_host_tcp *h)
{
	tulpen_buf_puts(b, "One round trip normally. A lost FIN is "
			   "retransmitted; once the program has "
			   "closed the socket, the kernel gives up "
			   "after ");
	put_orphan_limit(b, h, " retransmissions");
	tulpen_buf_puts(b, "; a socket still open waits up to ");
	put_sysctl(b, h, TULPEN_SYSCTL_RETRIES2);
	tulpen_buf_puts(b, " retransmissions.");
}

static void dur_fin_wait2(struct tulpen_buf *b, const struct tulpen_host_tcp *h)
{
	long long v;

	tulpen_buf_puts(b, "Until the peer closes. If the program "
			   "has already closed the socket (the usual "
			   "case), Linux gives up after ");
	v = hv(h, TULPEN_SYSCTL_FIN_TIMEOUT);
	put_sysctl(b, h, TULPEN_SYSCTL_FIN_TIMEOUT);
	if (v >= 0) {
		tulpen_buf_puts(b, " s (");
		put_duration(b, v);
		tulpen_buf_puts(b, ")");
	}
	tulpen_buf_puts(b, ". A socket only shut down for writing "
			   "and still open has no such limit.");
}

static void dur_time_wait(struct tulpen_buf *b, const struct tulpen_host_tcp *h)
{
	tulpen_buf_puts(b, "RFC 9293: 2 MSL, twice the maximum "
			   "segment lifetime (MSL was 2 minutes, so "
			   "4 minutes). Linux: a fixed 60 s "
			   "(TCP_TIMEWAIT_LEN, compiled into the "
			   "kernel; tcp_fin_timeout does not change "
			   "it). Reuse for new outgoing connections: ");
	put_sysctl(b, h, TULPEN_SYSCTL_TW_REUSE);
	tulpen_buf_puts(b, " (0: off, 1: on, 2: loopback only). "
			   "At most ");
	put_sysctl(b, h, TULPEN_SYSCTL_MAX_TW_BUCKETS);
	tulpen_buf_puts(b, " exist at once. A reset from the peer ends "
			   "one early: ");
	put_sysctl(b, h, TULPEN_SYSCTL_RFC1337);
	tulpen_buf_puts(b, " (1: resets are ignored).");
}

static void dur_closed(struct tulpen_buf *b, const struct tulpen_host_tcp *h)
{
	tulpen_buf_puts(b, "As long as the program keeps the socket "
			   "without using it.");
}

static void dur_close_wait(struct tulpen_buf *b,
			   const struct tulpen_host_tcp *h)
{
	tulpen_buf_puts(b, "Until the program calls close(): TCP has no "
			   "timer of its own for it. With SO_KEEPALIVE, "
			   "probes after ");
	put_sysctl(b, h, TULPEN_SYSCTL_KEEPALIVE_TIME);
	tulpen_buf_puts(b, " s of silence end it when the peer has "
			   "vanished; with TCP_USER_TIMEOUT, data left "
			   "unacknowledged that long ends it. It should "
			   "last milliseconds; minutes or hours mean the "
			   "program forgot the socket.");
}

static void dur_last_ack(struct tulpen_buf *b, const struct tulpen_host_tcp *h)
{
	tulpen_buf_puts(b, "One round trip normally. A lost FIN is "
			   "retransmitted up to ");
	put_orphan_limit(b, h, " times");
	tulpen_buf_puts(b, ".");
}

static void dur_closing(struct tulpen_buf *b, const struct tulpen_host_tcp *h)
{
	tulpen_buf_puts(b, "One round trip normally; a lost FIN is "
			   "retransmitted as in LAST-ACK.");
}

static void dur_bound_inactive(struct tulpen_buf *b,
			       const struct tulpen_host_tcp *h)
{
	tulpen_buf_puts(b, "As long as the program keeps the socket.");
}

typedef void (*dur_fn)(struct tulpen_buf *b, const struct tulpen_host_tcp *h);

static const dur_fn durs[TULPEN_TCP_MAX_STATES] = {
	[TULPEN_TCP_LISTEN] = dur_listen,
	[TULPEN_TCP_SYN_SENT] = dur_syn_sent,
	[TULPEN_TCP_SYN_RECV] = dur_syn_recv,
	[TULPEN_TCP_ESTABLISHED] = dur_established,
	[TULPEN_TCP_FIN_WAIT1] = dur_fin_wait1,
	[TULPEN_TCP_FIN_WAIT2] = dur_fin_wait2,
	[TULPEN_TCP_TIME_WAIT] = dur_time_wait,
	[TULPEN_TCP_CLOSE] = dur_closed,
	[TULPEN_TCP_CLOSE_WAIT] = dur_close_wait,
	[TULPEN_TCP_LAST_ACK] = dur_last_ack,
	[TULPEN_TCP_CLOSING] = dur_closing,
	[TULPEN_TCP_BOUND_INACTIVE] = dur_bound_inactive,
};

int tulpen_explain_duration(struct tulpen_buf *b, int state,
			    const struct tulpen_host_tcp *h)
{
	if (state == TULPEN_TCP_NEW_SYN_RECV)
		state = TULPEN_TCP_SYN_RECV;
	if (state < 0 || state >= TULPEN_TCP_MAX_STATES || !durs[state])
		return -EINVAL;
	durs[state](b, h);
	return b->err;
}
