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
#include "fmt/fmt_internal.h"

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

/*
 * ss's address: "*" for a dual-stack wildcard, brackets for IPv6, and the
 * interface after the address ("[fe80::1]%eth0:22", "127.0.0.1%lo:53").
 */
static void endpoint(struct tulpen_fmt *f, const struct tulpen_sock *s,
		     const struct tulpen_endpoint *ep, uint32_t ifindex,
		     char *out, size_t size)
{
	struct tulpen_ep_style st = {
		.brackets = 1,
		.dev_after = 1,
		.any_star = s->v6only == 0, /* a dual-stack wildcard */
		.proto = s->proto,
		.services = f->o.numeric ? NULL : f->o.services,
		.resolver = f->o.resolver,
	};

	tulpen_fmt_ep(out, size, s->family, ep, ifindex, &st);
}

static void put_header(struct tulpen_fmt *f)
{
	if (!f->o.ss_no_netid)
		tulpen_buf_puts(&f->out, "Netid ");
	tulpen_buf_puts(&f->out, "State      Recv-Q Send-Q Local Address:Port "
				 "Peer Address:PortProcess\n");
}

static int ss_sock(struct tulpen_fmt *f, const struct tulpen_sock *s,
		   const struct tulpen_owner *ow, size_t n)
{
	struct tulpen_buf *b = &f->out;
	char local[320], peer[320];
	size_t i;

	if (!f->count && f->o.header)
		put_header(f);
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
	if (!f->o.ss_no_netid)
		tulpen_buf_printf(b, "%-5s ", netid(s));
	tulpen_buf_printf(b, "%-10s %-6u %-6u %s %s",
			  tulpen_fmt_state(s, TULPEN_STATE_SS), s->rqueue,
			  s->wqueue, local, peer);
	if (f->o.show_owners && n) {
		tulpen_buf_puts(b, " users:(");
		/* ss lists the holders last found first */
		for (i = n; i-- > 0;) {
			tulpen_buf_puts(b, i + 1 < n ? ",(" : "(");
			tulpen_buf_json_str(b, ow[i].comm);
			if (f->o.show_threads)
				tulpen_buf_printf(b, ",pid=%d,tid=%d,fd=%d)",
						  ow[i].pid, ow[i].tid,
						  ow[i].fd);
			else
				tulpen_buf_printf(b, ",pid=%d,fd=%d)",
						  ow[i].pid, ow[i].fd);
		}
		tulpen_buf_putc(b, ')');
	}
	tulpen_ss_extras(b, &f->o, s);
	tulpen_buf_putc(b, '\n');
	return b->err;
}

static int ss_end(struct tulpen_fmt *f)
{
	if (!f->count && f->o.header)
		put_header(f);
	return f->out.err;
}

const struct fmt_ops tulpen_fmt_ss_ops = {
	.sock = ss_sock,
	.end = ss_end,
};
