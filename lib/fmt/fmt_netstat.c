// SPDX-License-Identifier: MIT
/*
 * fmt_netstat.c - the layout of `netstat -tulpen` (net-tools), for scripts
 * that parse it: same titles, header, column order, widths and state
 * spellings. Unlike netstat, an address wider than its column widens the
 * line instead of being cut.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/state.h"
#include "fmt/fmt_internal.h"

struct ns {
	int inet_started;
	int unix_started;
};

static int ns_init(struct tulpen_fmt *f)
{
	f->priv = calloc(1, sizeof(struct ns));
	return f->priv ? 0 : -ENOMEM;
}

static void ns_fini(struct tulpen_fmt *f)
{
	free(f->priv);
}

static const char *title_scope(const struct tulpen_fmt *f)
{
	if (f->o.all)
		return "(servers and established)";
	if (f->o.listening)
		return "(only servers)";
	return "(w/o servers)";
}

static void put_padded(struct tulpen_buf *b, const char *s, size_t width)
{
	size_t n = strlen(s);

	tulpen_buf_put(b, s, n);
	if (n < width)
		tulpen_buf_pad(b, ' ', width - n);
}

static void put_right(struct tulpen_buf *b, const char *s, size_t width)
{
	size_t n = strlen(s);

	if (n < width)
		tulpen_buf_pad(b, ' ', width - n);
	tulpen_buf_put(b, s, n);
}

/* netstat's address: IPv6 without brackets, "*" for port 0. */
static void endpoint(struct tulpen_fmt *f, const struct tulpen_sock *s,
		     const struct tulpen_endpoint *ep, char *out, size_t size)
{
	/* netstat shows an IPv4-mapped address as the IPv4 one */
	struct tulpen_ep_style st = {
		.unmap_v4 = 1,
		.proto = s->proto,
		.services = f->o.numeric ? NULL : f->o.services,
		.resolver = f->o.resolver,
	};

	tulpen_fmt_ep(out, size, s->family, ep, 0, &st);
}

static void owner_cell(const struct tulpen_owner *ow, size_t n, char *out,
		       size_t size)
{
	char comm[TULPEN_ESC_MAX(64)];

	/* netstat names the program by argv[0], not by comm */
	if (n) {
		tulpen_escape(comm, sizeof(comm), tulpen_owner_prog(&ow[0]));
		tulpen_scnprintf(out, size, "%d/%s", ow[0].pid, comm);
	} else
		tulpen_scnprintf(out, size, "-");
}

static void inet_line(struct tulpen_fmt *f, const struct tulpen_sock *s,
		      const struct tulpen_owner *ow, size_t n)
{
	struct tulpen_buf *b = &f->out;
	char num[32], local[320], peer[320], cell[300], rawst[16];
	const char *state = "";

	put_padded(b, tulpen_fmt_netstat_proto(s), 4);
	tulpen_buf_puts(b, "  ");
	tulpen_scnprintf(num, sizeof(num), "%u", s->rqueue);
	put_right(b, num, 6);
	tulpen_buf_putc(b, ' ');
	/* netstat reads /proc, where a listener's Send-Q is 0 */
	tulpen_scnprintf(num, sizeof(num), "%u",
			 s->state == TULPEN_TCP_LISTEN ? 0 : s->wqueue);
	put_right(b, num, 6);
	tulpen_buf_putc(b, ' ');
	endpoint(f, s, &s->local, local, sizeof(local));
	endpoint(f, s, &s->peer, peer, sizeof(peer));
	put_padded(b, local, 23);
	tulpen_buf_putc(b, ' ');
	put_padded(b, peer, 23);
	tulpen_buf_putc(b, ' ');
	if (s->proto == TULPEN_P_TCP || s->proto == TULPEN_P_MPTCP)
		state = tulpen_state_name(s->state, TULPEN_STATE_NETSTAT);
	else if (s->state == TULPEN_TCP_ESTABLISHED)
		state = "ESTABLISHED";
	else if (s->proto == TULPEN_P_RAW) {
		/* netstat shows a RAW socket's state as the kernel's number */
		tulpen_scnprintf(rawst, sizeof(rawst), "%u", s->state);
		state = rawst;
	}
	put_padded(b, state, 11);
	if (f->o.extended) {
		tulpen_buf_putc(b, ' ');
		tulpen_fmt_user(cell, sizeof(cell), f, s->uid);
		put_padded(b, cell, 10);
		tulpen_buf_putc(b, ' ');
		tulpen_scnprintf(cell, sizeof(cell), "%llu",
				 (unsigned long long)s->inode);
		put_padded(b, cell, 10);
	}
	if (f->o.show_owners) {
		tulpen_buf_putc(b, ' ');
		owner_cell(ow, n, cell, sizeof(cell));
		put_padded(b, cell, 20);
	}
	if (f->o.timers) {
		int64_t ms = s->timer ? s->timer_ms : 0;
		/*
		 * netstat: (expires/retransmits/probes). The kernel's one count
		 * is the retransmits for the retransmit timer and the probes
		 * sent for the keepalive and zero-window probe timers.
		 */
		int probes = s->timer == TULPEN_TIMER_KEEPALIVE ||
			     s->timer == TULPEN_TIMER_PROBE;

		if (ms < 0)
			ms = 0;
		tulpen_buf_printf(
			b, " %s (%lld.%02lld/%u/%u)",
			s->timer == TULPEN_TIMER_PROBE
				? "probe"
				: tulpen_fmt_timer_name(s->timer),
			(long long)(ms / 1000), (long long)(ms % 1000 / 10),
			probes ? 0 : s->retrans, probes ? s->retrans : 0);
	}
	tulpen_buf_putc(b, '\n');
}

static void unix_line(struct tulpen_fmt *f, const struct tulpen_sock *s,
		      const struct tulpen_owner *ow, size_t n)
{
	struct tulpen_buf *b = &f->out;
	const char *type, *state, *flags;
	char cell[300];

	switch (s->unix_type) {
	case SOCK_STREAM:
		type = "STREAM";
		break;
	case SOCK_DGRAM:
		type = "DGRAM";
		break;
	case SOCK_SEQPACKET:
		type = "SEQPACKET";
		break;
	default:
		type = "UNKNOWN";
	}
	switch (s->state) {
	case TULPEN_TCP_LISTEN:
		state = "LISTENING";
		break;
	case TULPEN_TCP_ESTABLISHED:
		state = "CONNECTED";
		break;
	case TULPEN_TCP_SYN_SENT:
		state = "CONNECTING";
		break;
	default:
		state = "";
	}
	flags = s->state == TULPEN_TCP_LISTEN ? "[ ACC ]" : "[ ]";
	/* The reference count: from /proc/net/unix only */
	if (s->unix_refcnt)
		tulpen_scnprintf(cell, sizeof(cell), "%u", s->unix_refcnt);
	else
		tulpen_scnprintf(cell, sizeof(cell), "-");
	tulpen_buf_printf(b, "unix  %-6s %-11s %-10s %-13s ", cell, flags, type,
			  state);
	tulpen_scnprintf(cell, sizeof(cell), "%llu",
			 (unsigned long long)s->inode);
	put_padded(b, cell, 8);
	if (f->o.show_owners) {
		tulpen_buf_putc(b, ' ');
		owner_cell(ow, n, cell, sizeof(cell));
		put_padded(b, cell, 20);
	}
	tulpen_buf_putc(b, ' ');
	tulpen_buf_escaped(b, s->unix_path ? s->unix_path : "");
	tulpen_buf_putc(b, '\n');
}

static int ns_sock(struct tulpen_fmt *f, const struct tulpen_sock *s,
		   const struct tulpen_owner *ow, size_t n)
{
	struct ns *st = f->priv;
	struct tulpen_buf *b = &f->out;

	/* netstat lists no netlink, packet, vsock or XDP sockets */
	if (s->family != AF_UNIX && !tulpen_sock_is_inet(s))
		return 0;
	if (s->family == AF_UNIX) {
		if (!st->unix_started && f->o.header) {
			tulpen_buf_printf(b, "Active UNIX domain sockets %s\n",
					  title_scope(f));
			tulpen_buf_puts(b, "Proto RefCnt Flags       Type     "
					   "  State         I-Node  ");
			if (f->o.show_owners)
				tulpen_buf_puts(b, " PID/Program name    ");
			tulpen_buf_puts(b, " Path\n");
		}
		st->unix_started = 1;
		unix_line(f, s, ow, n);
		return b->err;
	}
	if (!st->inet_started && f->o.header) {
		tulpen_buf_printf(b, "Active Internet connections %s\n",
				  title_scope(f));
		tulpen_buf_puts(b, "Proto Recv-Q Send-Q Local Address      "
				   "     Foreign Address         State      ");
		if (f->o.extended)
			tulpen_buf_puts(b, " User       Inode     ");
		if (f->o.show_owners)
			tulpen_buf_puts(b, " PID/Program name    ");
		if (f->o.timers)
			tulpen_buf_puts(b, " Timer");
		tulpen_buf_putc(b, '\n');
	}
	st->inet_started = 1;
	inet_line(f, s, ow, n);
	return b->err;
}

const struct fmt_ops tulpen_fmt_netstat_ops = {
	.init = ns_init,
	.sock = ns_sock,
	.fini = ns_fini,
};
