// SPDX-License-Identifier: MIT
/*
 * fmt_common.c - text pieces shared by the output back ends: durations,
 * state and protocol names as each layout spells them. Numbers are in
 * number.c, endpoints in endpoint.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/state.h"
#include "fmt/fmt_internal.h"

size_t tulpen_scnprintf(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!size)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	if (n < 0) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n < size ? (size_t)n : size - 1;
}

const char *tulpen_fmt_state(const struct tulpen_sock *s, int style)
{
	if (s->proto != TULPEN_P_TCP && s->proto != TULPEN_P_MPTCP &&
	    s->state == TULPEN_TCP_CLOSE)
		return "UNCONN";
	return tulpen_state_name(s->state, (enum tulpen_state_style)style);
}

const char *tulpen_fmt_netstat_proto(const struct tulpen_sock *s)
{
	int v6 = s->family == AF_INET6;

	switch (s->proto) {
	case TULPEN_P_TCP:
		return v6 ? "tcp6" : "tcp";
	case TULPEN_P_UDP:
		return v6 ? "udp6" : "udp";
	case TULPEN_P_UDPLITE:
		return v6 ? "udpl6" : "udpl";
	case TULPEN_P_RAW:
		return v6 ? "raw6" : "raw";
	case TULPEN_P_MPTCP:
		return v6 ? "mptcp6" : "mptcp";
	case TULPEN_P_SCTP:
		return v6 ? "sctp6" : "sctp";
	case TULPEN_P_UNIX:
		return "unix";
	default:
		return tulpen_proto_name(s->proto);
	}
}

const char *tulpen_fmt_unix_type(int type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_SEQPACKET:
		return "seqpacket";
	default:
		return "unknown";
	}
}

const char *tulpen_fmt_timer_name(int timer)
{
	static const char *const names[] = { "off", "on", "keepalive",
					     "timewait", "probe" };

	if (timer < 0 || timer > 4)
		return "unknown";
	return names[timer];
}

size_t tulpen_fmt_user(char *out, size_t size, const struct tulpen_fmt *f,
		       uint32_t uid)
{
	const char *name = NULL;
	size_t n;

	if (!f->o.numeric)
		name = tulpen_users_name(f->o.users, uid);
	if (name)
		return tulpen_scnprintf(out, size, "%s", name);
	if (size < TULPEN_FMT_NUM_MAX)
		return tulpen_scnprintf(out, size, "%u", uid);
	n = tulpen_fmt_u64(out, uid);
	out[n] = '\0';
	return n;
}

size_t tulpen_fmt_duration_ms(char *out, size_t size, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		return tulpen_scnprintf(out, size, "%dms", (int)ms);
	if (ms < 60000)
		return tulpen_scnprintf(out, size, "%d.%ds", (int)(ms / 1000),
					(int)(ms % 1000 / 100));
	if (ms < 3600000)
		return tulpen_scnprintf(out, size, "%dmin%ds",
					(int)(ms / 60000),
					(int)(ms % 60000 / 1000));
	return tulpen_scnprintf(out, size, "%lldh%dmin",
				(long long)(ms / 3600000),
				(int)(ms % 3600000 / 60000));
}

size_t tulpen_fmt_netlink_proto(char *out, size_t size, uint32_t proto,
				int numeric)
{
	/* iproute2's nl_proto_tab */
	static const char *const names[] = {
		"rtnl",	     "unused",	  "usersock", "fw",	    "tcpdiag",
		"nflog",     "xfrm",	  "selinux",  "iscsi",	    "audit",
		"fiblookup", "connector", "nft",      "ip6fw",	    "dec-rt",
		"uevent",    "genl",	  NULL,	      "scsi-trans", "ecryptfs",
		"rdma",	     "crypto",
	};

	if (!numeric && proto < sizeof(names) / sizeof(names[0]) &&
	    names[proto])
		return tulpen_scnprintf(out, size, "%s", names[proto]);
	return tulpen_scnprintf(out, size, "%u", proto);
}

const char *tulpen_fmt_ether_proto(char *buf, size_t size, uint16_t proto,
				   int numeric)
{
	/* iproute2's llproto_names, first match */
	static const struct {
		uint16_t id;
		const char *name;
	} names[] = {
		{ 0x0060, "loop" },	 { 0x0200, "pup" },
		{ 0x0201, "pupat" },	 { 0x0800, "ip" },
		{ 0x0805, "x25" },	 { 0x0806, "arp" },
		{ 0x08ff, "bpq" },	 { 0x0a00, "ieeepup" },
		{ 0x0a01, "ieeepupat" }, { 0x6000, "dec" },
		{ 0x6001, "dna_dl" },	 { 0x6002, "dna_rc" },
		{ 0x6003, "dna_rt" },	 { 0x6004, "lat" },
		{ 0x6005, "diag" },	 { 0x6006, "cust" },
		{ 0x6007, "sca" },	 { 0x8035, "rarp" },
		{ 0x809b, "atalk" },	 { 0x80f3, "aarp" },
		{ 0x8137, "ipx" },	 { 0x86dd, "ipv6" },
		{ 0x8863, "ppp_disc" },	 { 0x8864, "ppp_ses" },
		{ 0x884c, "atmmpoa" },	 { 0x8884, "atmfate" },
		{ 0x0001, "802_3" },	 { 0x0002, "ax25" },
		{ 0x0003, "all" },	 { 0x0004, "802_2" },
		{ 0x0005, "snap" },	 { 0x0006, "ddcmp" },
		{ 0x0007, "wan_ppp" },	 { 0x0008, "ppp_mp" },
		{ 0x0009, "localtalk" }, { 0x0010, "ppptalk" },
		{ 0x0011, "tr_802_2" },	 { 0x0015, "mobitex" },
		{ 0x0016, "control" },	 { 0x0017, "irda" },
		{ 0x0018, "econet" },	 { 0x88ca, "tipc" },
		{ 0x88a2, "aoe" },	 { 0x000c, "can" },
		{ 0x8100, "802.1Q" },	 { 0x88a8, "802.1ad" },
		{ 0x8847, "mpls_uc" },	 { 0x8848, "mpls_mc" },
		{ 0x6558, "teb" },
	};
	size_t i;

	if (!numeric)
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (names[i].id == proto)
				return names[i].name;
	tulpen_scnprintf(buf, size, "[%u]", proto);
	return buf;
}

static size_t vsock_ep(char *out, size_t size, uint32_t cid, uint32_t port)
{
	char c[16], p[16];

	if (cid == UINT32_MAX)
		tulpen_scnprintf(c, sizeof(c), "*");
	else
		tulpen_scnprintf(c, sizeof(c), "%u", cid);
	if (port == UINT32_MAX)
		tulpen_scnprintf(p, sizeof(p), "*");
	else
		tulpen_scnprintf(p, sizeof(p), "%u", port);
	return tulpen_scnprintf(out, size, "%s:%s", c, p);
}

void tulpen_fmt_other_eps(const struct tulpen_sock *s, int numeric, char *local,
			  size_t *llen, char *peer, size_t *plen, size_t size)
{
	char a[64], b[64];
	int32_t pid = (int32_t)s->nl.portid;

	*llen = *plen = 0;
	switch (s->proto) {
	case TULPEN_P_NETLINK:
		tulpen_fmt_netlink_proto(a, sizeof(a), s->nl.protocol, numeric);
		if (!numeric && pid > 0 && s->nl.comm)
			*llen = tulpen_scnprintf(local, size, "%s:%s/%d", a,
						 s->nl.comm, pid);
		else if (!numeric && pid == 0)
			*llen = tulpen_scnprintf(local, size, "%s:kernel", a);
		else
			*llen = tulpen_scnprintf(local, size, "%s:%d", a, pid);
		if (s->nl.connected)
			*plen = tulpen_scnprintf(peer, size, "%u:%d",
						 s->nl.dst_group,
						 (int32_t)s->nl.dst_portid);
		else
			*plen = tulpen_scnprintf(peer, size, "*");
		break;
	case TULPEN_P_PACKET:
		if (s->ifindex)
			tulpen_fmt_ifname(b, sizeof(b), s->ifindex);
		else
			tulpen_scnprintf(b, sizeof(b), "*");
		*llen = tulpen_scnprintf(
			local, size, "%s:%s (%s)",
			s->packet_proto == 3
				? "*"
				: tulpen_fmt_ether_proto(a, sizeof(a),
							 s->packet_proto,
							 numeric),
			b, s->unix_type == SOCK_RAW ? "raw" : "dgram");
		*plen = tulpen_scnprintf(peer, size, "*");
		break;
	case TULPEN_P_VSOCK:
		*llen = vsock_ep(local, size, s->vsock_cid, s->vsock_port);
		*plen = vsock_ep(peer, size, s->vsock_peer_cid,
				 s->vsock_peer_port);
		break;
	case TULPEN_P_XDP:
		if (s->ifindex) {
			tulpen_fmt_ifname(b, sizeof(b), s->ifindex);
			*llen = tulpen_scnprintf(local, size, "%s:q%u", b,
						 s->xdp_queue);
		} else {
			*llen = tulpen_scnprintf(local, size, "*");
		}
		*plen = tulpen_scnprintf(peer, size, "*");
		break;
	case TULPEN_P_TIPC: /* node:port, as ss prints them */
		*llen = tulpen_scnprintf(local, size, "%u:%u", s->tipc.node,
					 s->tipc.ref);
		if (s->tipc.connected)
			*plen = tulpen_scnprintf(peer, size, "%u:%u",
						 s->tipc.peer_node,
						 s->tipc.peer_ref);
		else
			*plen = tulpen_scnprintf(peer, size, "-");
		break;
	default:
		break;
	}
}

/* "52us", "1.234ms", "2.500s", "1min3s", "1h2min". */
size_t tulpen_fmt_duration_ns(char *out, size_t size, int64_t ns)
{
	if (ns < 0)
		return tulpen_scnprintf(out, size, "?");
	if (ns < 1000)
		return tulpen_scnprintf(out, size, "%lldns", (long long)ns);
	if (ns < 1000000)
		return tulpen_scnprintf(out, size, "%lldus",
					(long long)(ns / 1000));
	if (ns < 1000000000)
		return tulpen_scnprintf(out, size, "%lld.%03lldms",
					(long long)(ns / 1000000),
					(long long)(ns / 1000 % 1000));
	if (ns < 60000000000ll)
		return tulpen_scnprintf(out, size, "%lld.%03llds",
					(long long)(ns / 1000000000),
					(long long)(ns / 1000000 % 1000));
	return tulpen_fmt_duration_ms(out, size, ns / 1000000);
}
