// SPDX-License-Identifier: MIT
/*
 * fmt_ss.c - the layout of ss (iproute2) byte for byte, for scripts that
 * parse it: ss's columns and widths (ss_cols.c), Netid and state names,
 * addresses as ss writes them for every family (inet, UNIX, netlink,
 * packet, vsock, XDP), "users:((...))", then the extras (ss_extras.c:
 * timers, -e, -i, -m...), in the same cell after the process list.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/state.h"
#include "fmt/fmt_internal.h"
#include "fmt/ss_cols.h"

#define CELL_MAX 1024

/* ss's tipc_netid_name(). */
static const char *tipc_netid(int type)
{
	switch (type) {
	case SOCK_STREAM:
		return "ti_st";
	case SOCK_DGRAM:
		return "ti_dg";
	case SOCK_RDM:
		return "ti_rd";
	case SOCK_SEQPACKET:
		return "ti_sq";
	default:
		return "???";
	}
}

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
	case TULPEN_P_SCTP:
		return "sctp";
	case TULPEN_P_NETLINK:
		return "nl";
	case TULPEN_P_PACKET:
		return s->unix_type == SOCK_RAW ? "p_raw" : "p_dgr";
	case TULPEN_P_VSOCK:
		return s->unix_type == SOCK_STREAM  ? "v_str"
		       : s->unix_type == SOCK_DGRAM ? "v_dgr"
						    : "???";
	case TULPEN_P_XDP:
		return "xdp";
	case TULPEN_P_TIPC:
		return tipc_netid(s->unix_type);
	case TULPEN_P_UNIX:
		switch (s->unix_type) {
		case SOCK_STREAM:
			return "u_str";
		case SOCK_SEQPACKET:
			return "u_seq";
		}
		return "u_dgr";
	}
	return "unknown";
}

struct ss_state {
	struct ss_cols cols;
	struct tulpen_buf ext; /* the Process cell of the current row */
};

static int ss_init(struct tulpen_fmt *f)
{
	struct ss_state *st = calloc(1, sizeof(*st));
	unsigned int off = 0;
	int ret;

	if (!st)
		return -ENOMEM;
	if (f->o.ss_no_netid)
		off |= 1u << SS_C_NETID;
	if (f->o.ss_no_state)
		off |= 1u << SS_C_STATE;
	ret = ss_cols_init(&st->cols, off, f->o.ss_screen_width);
	if (!ret)
		ret = tulpen_buf_init(&st->ext, 0, NULL, NULL);
	if (!ret && f->o.header)
		ret = ss_cols_header(&st->cols);
	f->priv = st;
	return ret;
}

static void ss_fini(struct tulpen_fmt *f)
{
	struct ss_state *st = f->priv;

	if (!st)
		return;
	ss_cols_fini(&st->cols);
	tulpen_buf_fini(&st->ext);
	free(st);
}

static int cell(struct ss_state *st, enum ss_col col, const char *s)
{
	return ss_cols_cell(&st->cols, col, s, strlen(s));
}

/* An address cell (with its delimiter) and a port cell. */
static int addr_port(struct ss_state *st, enum ss_col col, const char *addr,
		     const char *port)
{
	int ret = cell(st, col, addr);

	return ret ? ret : cell(st, col + 1, port);
}

/* RAW: ss names the IP protocol ("icmp") unless -n. */
static void raw_port(char *out, size_t size, uint16_t proto)
{
	struct protoent pe, *res = NULL;
	char buf[1024];

	if (!getprotobynumber_r(proto, &pe, buf, sizeof(buf), &res) && res)
		tulpen_scnprintf(out, size, "%s", res->p_name);
	else
		tulpen_scnprintf(out, size, "ipproto-%u", proto);
}

/* "addr:" (or "addr%dev:") and the port, as ss's inet_addr_print(). */
static int inet_ep(struct tulpen_fmt *f, struct ss_state *st,
		   const struct tulpen_sock *s,
		   const struct tulpen_endpoint *ep, uint32_t ifindex,
		   enum ss_col col)
{
	struct tulpen_ep_style sty = {
		.brackets = 1,
		.dev_after = 1,
		.any_star = s->v6only != 1, /* a dual-stack wildcard */
		.proto = s->proto,
		.services = f->o.numeric ? NULL : f->o.services,
		.resolver = f->o.resolver,
	};
	char text[CELL_MAX], port[64];
	char *colon;

	tulpen_fmt_ep(text, sizeof(text), s->family, ep, ifindex, &sty);
	colon = strrchr(text, ':');
	if (!colon)
		return -EINVAL;
	if (s->proto == TULPEN_P_RAW && ep->port && !f->o.numeric)
		raw_port(port, sizeof(port), ep->port);
	else
		tulpen_scnprintf(port, sizeof(port), "%s", colon + 1);
	colon[1] = '\0';
	return addr_port(st, col, text, port);
}

static int unix_eps(struct ss_state *st, const struct tulpen_sock *s)
{
	char a[CELL_MAX], p[32], path[TULPEN_ESC_MAX(108)] = "*";
	int ret;

	/* a path is anybody's to choose: escaped, so no row can be forged */
	if (s->unix_path && *s->unix_path)
		tulpen_escape(path, sizeof(path), s->unix_path);
	tulpen_scnprintf(a, sizeof(a), "%s ", path);
	tulpen_scnprintf(p, sizeof(p), "%llu", (unsigned long long)s->inode);
	ret = addr_port(st, SS_C_ADDR, a, p);
	if (ret)
		return ret;
	tulpen_scnprintf(p, sizeof(p), "%llu",
			 (unsigned long long)s->unix_peer);
	return addr_port(st, SS_C_RADDR, "* ", p);
}

static int netlink_eps(struct tulpen_fmt *f, struct ss_state *st,
		       const struct tulpen_sock *s)
{
	char a[64], p[96];
	int32_t pid = (int32_t)s->nl.portid;
	size_t n;
	int ret;

	n = tulpen_fmt_netlink_proto(a, sizeof(a), s->nl.protocol,
				     f->o.numeric);
	tulpen_scnprintf(a + n, sizeof(a) - n, ":");
	if (pid == -1)
		tulpen_scnprintf(p, sizeof(p), "*");
	else if (!f->o.numeric && pid == 0)
		tulpen_scnprintf(p, sizeof(p), "kernel");
	else if (!f->o.numeric && pid > 0 && s->nl.comm) {
		char comm[TULPEN_ESC_MAX(16)];

		tulpen_escape(comm, sizeof(comm), s->nl.comm);
		tulpen_scnprintf(p, sizeof(p), "%s/%d", comm, pid);
	} else
		tulpen_scnprintf(p, sizeof(p), "%d", pid);
	ret = addr_port(st, SS_C_ADDR, a, p);
	if (ret)
		return ret;
	if (!s->nl.connected)
		return addr_port(st, SS_C_RADDR, "*", "");
	tulpen_scnprintf(a, sizeof(a), "%u:", s->nl.dst_group);
	tulpen_scnprintf(p, sizeof(p), "%d", (int32_t)s->nl.dst_portid);
	return addr_port(st, SS_C_RADDR, a, p);
}

static int packet_eps(struct tulpen_fmt *f, struct ss_state *st,
		      const struct tulpen_sock *s)
{
	char a[64], p[64];
	int ret;

	if (s->packet_proto == 3) /* ETH_P_ALL */
		tulpen_scnprintf(a, sizeof(a), "*:");
	else
		tulpen_scnprintf(a, sizeof(a), "%s:",
				 tulpen_fmt_ether_proto(p, sizeof(p),
							s->packet_proto,
							f->o.numeric));
	if (s->ifindex)
		tulpen_fmt_ifname(p, sizeof(p), s->ifindex);
	else
		tulpen_scnprintf(p, sizeof(p), "*");
	ret = addr_port(st, SS_C_ADDR, a, p);
	return ret ? ret : addr_port(st, SS_C_RADDR, "*", "");
}

static void vsock_part(char *out, size_t size, uint32_t v, const char *sep)
{
	if (v == UINT32_MAX)
		tulpen_scnprintf(out, size, "*%s", sep);
	else
		tulpen_scnprintf(out, size, "%u%s", v, sep);
}

static int vsock_eps(struct ss_state *st, const struct tulpen_sock *s)
{
	char a[32], p[32];
	int ret;

	vsock_part(a, sizeof(a), s->vsock_cid, ":");
	vsock_part(p, sizeof(p), s->vsock_port, "");
	ret = addr_port(st, SS_C_ADDR, a, p);
	if (ret)
		return ret;
	vsock_part(a, sizeof(a), s->vsock_peer_cid, ":");
	vsock_part(p, sizeof(p), s->vsock_peer_port, "");
	return addr_port(st, SS_C_RADDR, a, p);
}

static int xdp_eps(struct ss_state *st, const struct tulpen_sock *s)
{
	char a[64], p[32];
	int ret;

	if (s->ifindex) {
		size_t n = tulpen_fmt_ifname(a, sizeof(a), s->ifindex);

		tulpen_scnprintf(a + n, sizeof(a) - n, ":");
		tulpen_scnprintf(p, sizeof(p), "q%u", s->xdp_queue);
		ret = addr_port(st, SS_C_ADDR, a, p);
	} else {
		ret = addr_port(st, SS_C_ADDR, "*", "");
	}
	return ret ? ret : addr_port(st, SS_C_RADDR, "*", "");
}

/* "node:" and the port; the peer's, or "-" when not connected. */
static int tipc_eps(struct ss_state *st, const struct tulpen_sock *s)
{
	char a[32], p[16];
	int ret;

	tulpen_scnprintf(a, sizeof(a), "%u:", s->tipc.node);
	tulpen_scnprintf(p, sizeof(p), "%u", s->tipc.ref);
	ret = addr_port(st, SS_C_ADDR, a, p);
	if (ret || !s->tipc.connected)
		return ret ? ret : addr_port(st, SS_C_RADDR, "-", "");
	tulpen_scnprintf(a, sizeof(a), "%u:", s->tipc.peer_node);
	tulpen_scnprintf(p, sizeof(p), "%u", s->tipc.peer_ref);
	return addr_port(st, SS_C_RADDR, a, p);
}

static int endpoints(struct tulpen_fmt *f, struct ss_state *st,
		     const struct tulpen_sock *s)
{
	int ret;

	switch (s->proto) {
	case TULPEN_P_UNIX:
		return unix_eps(st, s);
	case TULPEN_P_NETLINK:
		return netlink_eps(f, st, s);
	case TULPEN_P_PACKET:
		return packet_eps(f, st, s);
	case TULPEN_P_VSOCK:
		return vsock_eps(st, s);
	case TULPEN_P_XDP:
		return xdp_eps(st, s);
	case TULPEN_P_TIPC:
		return tipc_eps(st, s);
	default:
		ret = inet_ep(f, st, s, &s->local, s->ifindex, SS_C_ADDR);
		return ret ? ret : inet_ep(f, st, s, &s->peer, 0, SS_C_RADDR);
	}
}

/* " users:((...))": ss lists the holders last found first. */
static void users(struct tulpen_buf *b, const struct tulpen_owner *ow, size_t n,
		  int threads)
{
	size_t i;

	tulpen_buf_puts(b, " users:(");
	for (i = n; i-- > 0;) {
		tulpen_buf_puts(b, i + 1 < n ? ",(\"" : "(\"");
		tulpen_buf_escaped(b, ow[i].comm);
		if (threads) /* -T */
			tulpen_buf_printf(b, "\",pid=%d,tid=%d,fd=%d)",
					  ow[i].pid, tulpen_owner_tid(&ow[i]),
					  ow[i].fd);
		else
			tulpen_buf_printf(b, "\",pid=%d,fd=%d)", ow[i].pid,
					  ow[i].fd);
	}
	tulpen_buf_putc(b, ')');
}

/*
 * The extras after the process list (ss_extras.c), with ss's reading of
 * its options: -e shows the timers too; its /proc reader of UDP and RAW
 * shows no details; vsock rows get none here.
 */
static int extras(struct tulpen_fmt *f, struct tulpen_buf *b,
		  const struct tulpen_sock *s)
{
	struct tulpen_fmt_opts o = f->o;

	if (!tulpen_sock_is_inet(s) && s->family != AF_UNIX &&
	    s->proto != TULPEN_P_NETLINK && s->proto != TULPEN_P_PACKET &&
	    s->proto != TULPEN_P_TIPC && s->proto != TULPEN_P_XDP)
		return b->err;
	o.timers = o.timers || o.extended;
	if (tulpen_sock_is_inet(s) && s->source == TULPEN_SRC_PROC &&
	    s->proto != TULPEN_P_TCP)
		o.extended = 0;
	return tulpen_ss_extras(b, &o, s);
}

static int ss_sock(struct tulpen_fmt *f, const struct tulpen_sock *s,
		   const struct tulpen_owner *ow, size_t n)
{
	struct ss_state *st = f->priv;
	char num[32];
	int ret;

	if (s->proto == TULPEN_P_SCTP && s->sctp.assoc) {
		/* ss: an association under its endpoint, SCTP's state */
		char state[32];

		tulpen_scnprintf(state, sizeof(state), "`- %s",
				 tulpen_ss_sctp_state(s->sctp.state));
		ret = cell(st, SS_C_NETID, "");
		if (!ret)
			ret = cell(st, SS_C_STATE, state);
	} else {
		ret = cell(st, SS_C_NETID, netid(s));
		if (!ret)
			ret = cell(st, SS_C_STATE,
				   tulpen_fmt_state(s, TULPEN_STATE_SS));
	}
	tulpen_scnprintf(num, sizeof(num), "%-6u", s->rqueue);
	if (!ret)
		ret = cell(st, SS_C_RECVQ, num);
	tulpen_scnprintf(num, sizeof(num), "%-6u", s->wqueue);
	if (!ret)
		ret = cell(st, SS_C_SENDQ, num);
	if (!ret)
		ret = endpoints(f, st, s);
	if (ret)
		return ret;
	st->ext.len = 0;
	/* ss: TIPC's -e details come before the users, its --tipcinfo after */
	if (s->proto == TULPEN_P_TIPC && f->o.extended)
		tulpen_ss_details(&st->ext, &f->o, s);
	/* ss looks up no process for netlink sockets (only the port id) */
	if (f->o.show_owners && n && s->proto != TULPEN_P_NETLINK)
		users(&st->ext, ow, n, f->o.show_threads);
	ret = extras(f, &st->ext, s);
	if (ret)
		return ret;
	ret = ss_cols_cell(&st->cols, SS_C_EXT, st->ext.data, st->ext.len);
	if (!ret)
		ret = ss_cols_cell(&st->cols, SS_C_LAST, "", 0);
	if (!ret)
		ret = ss_cols_row_end(&st->cols, &f->out);
	return ret ? ret : f->out.err;
}

static int ss_end(struct tulpen_fmt *f)
{
	struct ss_state *st = f->priv;

	return ss_cols_finish(&st->cols, &f->out);
}

const struct fmt_ops tulpen_fmt_ss_ops = {
	.init = ss_init,
	.sock = ss_sock,
	.end = ss_end,
	.fini = ss_fini,
};
