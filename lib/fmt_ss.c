// SPDX-License-Identifier: MIT
/*
 * fmt_ss.c - the layout of `ss -tulpen` (iproute2), for scripts that parse
 * it: Netid, ss state names, "users:((...))", "timer:(...)", "uid:",
 * "ino:", "sk:" and the shutdown arrows. The columns are separated by
 * blanks; a script that splits on white space sees the same fields as with
 * ss. ss's cgroup path is not printed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/state.h"
#include "fmt_internal.h"

static const char *netid(const struct tulpen_sock *s)
{
	switch (s->proto) {
	case TULPEN_P_TCP:
		return "tcp";
	case TULPEN_P_UDP:
		return "udp";
	case TULPEN_P_UDPLITE:
		return "udplite";
	case TULPEN_P_RAW:
		return "raw";
	case TULPEN_P_MPTCP:
		return "mptcp";
	case TULPEN_P_UNIX:
		switch (s->unix_type) {
		case SOCK_STREAM:
			return "u_str";
		case SOCK_DGRAM:
			return "u_dgr";
		case SOCK_SEQPACKET:
			return "u_seq";
		}
		return "unix";
	}
	return "?";
}

/* ss's way of printing a timer: "119min", "59sec", "1.200ms", "200ms". */
static void ss_timer(char *out, size_t size, int64_t ms)
{
	int64_t secs, mins, msecs;
	size_t n = 0;

	if (ms < 0)
		ms = 0;
	secs = ms / 1000;
	mins = secs / 60;
	secs %= 60;
	msecs = ms % 1000;
	out[0] = '\0';
	if (mins) {
		msecs = 0;
		n += tulpen_scnprintf(out + n, size - n, "%lldmin",
				      (long long)mins);
		if (mins > 9)
			secs = 0;
	}
	if (secs) {
		if (secs > 9)
			msecs = 0;
		n += tulpen_scnprintf(out + n, size - n, "%lld%s",
				      (long long)secs, msecs ? "." : "sec");
	}
	if (msecs)
		tulpen_scnprintf(out + n, size - n, "%03lldms",
				 (long long)msecs);
}

static void endpoint(struct tulpen_fmt *f, const struct tulpen_sock *s,
		     const struct tulpen_endpoint *ep, uint32_t ifindex,
		     char *out, size_t size)
{
	const struct tulpen_services *svc = f->o.numeric ? NULL
							 : f->o.services;
	static const uint8_t any[16];

	/* A dual-stack wildcard socket is "*" in ss. */
	if (s->family == AF_INET6 && s->v6only == 0 &&
	    !memcmp(ep->addr.raw, any, 16)) {
		struct tulpen_endpoint e4 = *ep;
		char tmp[64];
		size_t n;

		memset(&e4.addr, 0, sizeof(e4.addr));
		n = tulpen_fmt_endpoint(tmp, sizeof(tmp), AF_INET, &e4,
					ifindex, s->proto, svc, NULL, 1);
		/* "0.0.0.0:port" -> "*:port" */
		tulpen_scnprintf(out, size, "*%.*s", (int)(n - 7), tmp + 7);
		return;
	}
	tulpen_fmt_endpoint(out, size, s->family, ep, ifindex, s->proto, svc,
			    f->o.resolver, 1);
}

static int ss_sock(struct tulpen_fmt *f, const struct tulpen_sock *s,
		   const struct tulpen_owner *ow, size_t n)
{
	struct tulpen_buf *b = &f->out;
	char local[320], peer[320];
	size_t i;

	if (!f->count && f->o.header)
		tulpen_buf_puts(b, "Netid State      Recv-Q Send-Q Local "
				   "Address:Port Peer Address:PortProcess\n");
	if (s->family == AF_UNIX) {
		tulpen_scnprintf(local, sizeof(local), "%s %llu",
				 s->unix_path && *s->unix_path ? s->unix_path
							       : "*",
				 (unsigned long long)s->inode);
		tulpen_scnprintf(peer, sizeof(peer), "* %llu",
				 (unsigned long long)s->unix_peer);
	} else {
		endpoint(f, s, &s->local, s->ifindex, local, sizeof(local));
		endpoint(f, s, &s->peer, 0, peer, sizeof(peer));
	}
	tulpen_buf_printf(b, "%-5s %-10s %-6u %-6u %s %s", netid(s),
			  tulpen_fmt_state(s, TULPEN_STATE_SS), s->rqueue,
			  s->wqueue, local, peer);
	if (f->o.show_owners && n) {
		tulpen_buf_puts(b, " users:(");
		for (i = 0; i < n; i++) {
			tulpen_buf_puts(b, i ? ",(" : "(");
			tulpen_buf_json_str(b, ow[i].comm);
			tulpen_buf_printf(b, ",pid=%d,fd=%d)", ow[i].pid,
					  ow[i].fd);
		}
		tulpen_buf_putc(b, ')');
	}
	if (f->o.timers && s->timer) {
		static const char *const names[] = { "off", "on", "keepalive",
						     "timewait", "persist" };
		char t[48];

		ss_timer(t, sizeof(t), s->timer_ms);
		tulpen_buf_printf(b, " timer:(%s,%s,%u)",
				  s->timer <= 4 ? names[s->timer] : "unknown",
				  t, s->retrans);
	}
	if (f->o.extended && s->family != AF_UNIX) {
		if (s->uid)
			tulpen_buf_printf(b, " uid:%u", s->uid);
		tulpen_buf_printf(b, " ino:%llu", (unsigned long long)s->inode);
		if (s->has_cookie)
			tulpen_buf_printf(b, " sk:%llx",
					  (unsigned long long)s->cookie);
	}
	if (f->o.extended && s->source == TULPEN_SRC_NETLINK)
		tulpen_buf_printf(b, " %c-%c", s->shutdown & 1 ? '-' : '<',
				  s->shutdown & 2 ? '-' : '>');
	tulpen_buf_putc(b, '\n');
	return b->err;
}

static int ss_end(struct tulpen_fmt *f)
{
	if (!f->count && f->o.header)
		tulpen_buf_puts(&f->out, "Netid State      Recv-Q Send-Q Local "
					 "Address:Port Peer Address:PortProcess\n");
	return f->out.err;
}

const struct fmt_ops tulpen_fmt_ss_ops = {
	.sock = ss_sock,
	.end = ss_end,
};
