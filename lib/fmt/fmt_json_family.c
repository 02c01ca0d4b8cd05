// SPDX-License-Identifier: MIT
/*
 * fmt_json_family.c - the JSON objects of the families without ports
 * (docs/json.md): "netlink", "packet", "vsock", "xdp", one per socket of
 * that family, with the kernel's numbers and ss's names for them.
 */
#include <string.h>
#include <sys/socket.h>

#include "fmt/fmt_internal.h"

static void key(struct tulpen_buf *b, const char *k, int first)
{
	if (!first)
		tulpen_buf_putc(b, ',');
	tulpen_buf_json_str(b, k);
	tulpen_buf_putc(b, ':');
}

static void num(struct tulpen_buf *b, const char *k, uint64_t v, int first)
{
	key(b, k, first);
	tulpen_buf_u64(b, v);
}

static void str(struct tulpen_buf *b, const char *k, const char *v)
{
	key(b, k, 0);
	if (v)
		tulpen_buf_json_str(b, v);
	else
		tulpen_buf_puts(b, "null");
}

/* A vsock context id or port; the any value (-1U) is null. */
static void any_u32(struct tulpen_buf *b, const char *k, uint32_t v, int first)
{
	key(b, k, first);
	if (v == UINT32_MAX)
		tulpen_buf_puts(b, "null");
	else
		tulpen_buf_u64(b, v);
}

static void ifname(struct tulpen_buf *b, uint32_t ifindex)
{
	char name[64];

	if (!ifindex) {
		str(b, "interface", NULL);
		return;
	}
	tulpen_fmt_ifname(name, sizeof(name), ifindex);
	str(b, "interface", name);
}

static const char *type_name(int type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_RAW:
		return "raw";
	case SOCK_SEQPACKET:
		return "seqpacket";
	default:
		return "unknown";
	}
}

static void netlink(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	char name[32];

	tulpen_buf_puts(b, ",\"netlink\":{");
	num(b, "protocol", s->nl.protocol, 1);
	tulpen_fmt_netlink_proto(name, sizeof(name), s->nl.protocol, 0);
	str(b, "protocol_name", name[0] >= 'a' ? name : NULL);
	num(b, "portid", s->nl.portid, 0);
	str(b, "process", (int32_t)s->nl.portid > 0 ? s->nl.comm : NULL);
	num(b, "groups", s->nl.groups, 0);
	key(b, "connected", 0);
	tulpen_buf_puts(b, s->nl.connected ? "true" : "false");
	num(b, "dst_portid", s->nl.dst_portid, 0);
	num(b, "dst_group", s->nl.dst_group, 0);
	tulpen_buf_putc(b, '}');
}

static void ring(struct tulpen_buf *b, const char *k,
		 const struct tulpen_packet_ring *r)
{
	if (!r->present)
		return;
	key(b, k, 0);
	tulpen_buf_putc(b, '{');
	num(b, "block_size", r->block_size, 1);
	num(b, "block_nr", r->block_nr, 0);
	num(b, "frame_size", r->frame_size, 0);
	num(b, "frame_nr", r->frame_nr, 0);
	num(b, "retire_tmo_ms", r->retire_tmo, 0);
	num(b, "features", r->features, 0);
	tulpen_buf_putc(b, '}');
}

/* -e: PACKET_DIAG_INFO's version, copy threshold and flags; rings, fanout */
static void packet_details(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	static const char *const flags[] = { "running", "auxdata", "origdev",
					     "vnethdr", "loss" };
	static const char *const fanouts[] = { "hash", "lb",	 "cpu",
					       "roll", "random", "qm" };
	uint32_t type = s->pk.fanout >> 16;
	size_t i;
	int first = 1;

	if (s->pk.has_info) {
		num(b, "version", s->pk.version, 0);
		num(b, "copy_thresh", s->pk.copy_thresh, 0);
		key(b, "flags", 0);
		tulpen_buf_putc(b, '[');
		for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
			if (!(s->pk.flags & (1u << i)))
				continue;
			if (!first)
				tulpen_buf_putc(b, ',');
			tulpen_buf_json_str(b, flags[i]);
			first = 0;
		}
		tulpen_buf_putc(b, ']');
	}
	ring(b, "rx_ring", &s->pk.rx_ring);
	ring(b, "tx_ring", &s->pk.tx_ring);
	if (!s->pk.has_fanout)
		return;
	key(b, "fanout", 0);
	tulpen_buf_putc(b, '{');
	num(b, "id", s->pk.fanout & 0xffff, 1);
	num(b, "type", type, 0);
	str(b, "type_name",
	    type < sizeof(fanouts) / sizeof(fanouts[0]) ? fanouts[type] : NULL);
	tulpen_buf_putc(b, '}');
}

/* -b: the classic BPF filter, instruction by instruction. */
static void packet_filter(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	struct tulpen_bpf_insn in;
	uint32_t i;

	key(b, "bpf_filter", 0);
	tulpen_buf_putc(b, '[');
	for (i = 0; i < s->pk.nfilter; i++) {
		tulpen_bpf_insn_at(s, i, &in);
		tulpen_buf_puts(b, i ? ",{" : "{");
		num(b, "code", in.code, 1);
		num(b, "jt", in.jt, 0);
		num(b, "jf", in.jf, 0);
		num(b, "k", in.k, 0);
		tulpen_buf_putc(b, '}');
	}
	tulpen_buf_putc(b, ']');
}

static void packet(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
		   const struct tulpen_sock *s)
{
	char buf[32];
	const char *name;

	tulpen_buf_puts(b, ",\"packet\":{");
	key(b, "type", 1);
	tulpen_buf_json_str(b, type_name(s->unix_type));
	num(b, "protocol", s->packet_proto, 0);
	name = tulpen_fmt_ether_proto(buf, sizeof(buf), s->packet_proto, 0);
	str(b, "protocol_name", name == buf ? NULL : name);
	ifname(b, s->ifindex);
	if (o->extended)
		packet_details(b, s);
	if (o->bpf && s->pk.has_filter)
		packet_filter(b, s);
	tulpen_buf_putc(b, '}');
}

static void vsock(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	tulpen_buf_puts(b, ",\"vsock\":{");
	key(b, "type", 1);
	tulpen_buf_json_str(b, type_name(s->unix_type));
	tulpen_buf_puts(b, ",\"local\":{");
	any_u32(b, "cid", s->vsock_cid, 1);
	any_u32(b, "port", s->vsock_port, 0);
	tulpen_buf_puts(b, "},\"peer\":{");
	any_u32(b, "cid", s->vsock_peer_cid, 1);
	any_u32(b, "port", s->vsock_peer_port, 0);
	tulpen_buf_puts(b, "}}");
}

/* An XDP ring's size in descriptors, null when the socket has none. */
static void xdp_ring(struct tulpen_buf *b, const char *k, int has, uint32_t v,
		     int first)
{
	key(b, k, first);
	if (has)
		tulpen_buf_u64(b, v);
	else
		tulpen_buf_puts(b, "null");
}

static void xdp_umem(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	key(b, "umem", 0);
	if (!s->xdp.has_umem) {
		tulpen_buf_puts(b, "null");
		return;
	}
	tulpen_buf_putc(b, '{');
	num(b, "id", s->xdp.umem.id, 1);
	num(b, "size", s->xdp.umem.size, 0);
	num(b, "num_pages", s->xdp.umem.num_pages, 0);
	num(b, "chunk_size", s->xdp.umem.chunk_size, 0);
	num(b, "headroom", s->xdp.umem.headroom, 0);
	num(b, "ifindex", s->xdp.umem.ifindex, 0);
	num(b, "queue_id", s->xdp.umem.queue_id, 0);
	key(b, "zerocopy", 0);
	tulpen_buf_puts(b, s->xdp.umem.flags & 1 ? "true" : "false");
	num(b, "refs", s->xdp.umem.refs, 0);
	tulpen_buf_putc(b, '}');
}

static void xdp_stats(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	key(b, "stats", 0);
	if (!s->xdp.has_stats) {
		tulpen_buf_puts(b, "null");
		return;
	}
	tulpen_buf_putc(b, '{');
	num(b, "rx_dropped", s->xdp.rx_dropped, 1);
	num(b, "rx_invalid", s->xdp.rx_invalid, 0);
	num(b, "rx_full", s->xdp.rx_full, 0);
	num(b, "fill_ring_empty", s->xdp.fill_ring_empty, 0);
	num(b, "tx_invalid", s->xdp.tx_invalid, 0);
	num(b, "tx_ring_empty", s->xdp.tx_ring_empty, 0);
	tulpen_buf_putc(b, '}');
}

static void xdp(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	uint8_t r = s->xdp.has_rings;

	tulpen_buf_puts(b, ",\"xdp\":{");
	key(b, "type", 1);
	tulpen_buf_json_str(b, type_name(s->unix_type));
	ifname(b, s->ifindex);
	num(b, "queue", s->xdp_queue, 0);
	key(b, "rings", 0);
	tulpen_buf_putc(b, '{');
	xdp_ring(b, "rx", r & 1, s->xdp.rx, 1);
	xdp_ring(b, "tx", r & 2, s->xdp.tx, 0);
	xdp_ring(b, "fill", r & 4, s->xdp.fill, 0);
	xdp_ring(b, "completion", r & 8, s->xdp.completion, 0);
	tulpen_buf_putc(b, '}');
	xdp_umem(b, s);
	xdp_stats(b, s);
	tulpen_buf_putc(b, '}');
}

/* A TIPC address: the node and the port (socket reference). */
static void tipc_addr(struct tulpen_buf *b, const char *k, uint32_t node,
		      uint32_t ref)
{
	key(b, k, 0);
	tulpen_buf_putc(b, '{');
	num(b, "node", node, 1);
	num(b, "port", ref, 0);
	tulpen_buf_putc(b, '}');
}

static void tipc(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	tulpen_buf_puts(b, ",\"tipc\":{");
	key(b, "type", 1);
	tulpen_buf_json_str(b, s->unix_type == 4 ? "rdm"
						 : type_name(s->unix_type));
	tipc_addr(b, "local", s->tipc.node, s->tipc.ref);
	if (s->tipc.connected)
		tipc_addr(b, "peer", s->tipc.peer_node, s->tipc.peer_ref);
	else
		str(b, "peer", NULL);
	key(b, "published", 0);
	tulpen_buf_puts(b, s->tipc.has_publ ? "true" : "false");
	if (s->tipc.has_via) {
		key(b, "via", 0);
		tulpen_buf_putc(b, '{');
		num(b, "type", s->tipc.via_type, 1);
		num(b, "instance", s->tipc.via_inst, 0);
		tulpen_buf_putc(b, '}');
	} else {
		str(b, "via", NULL);
	}
	str(b, "congestion",
	    s->tipc.link_cong	? "link"
	    : s->tipc.conn_cong ? "conn"
				: NULL);
	num(b, "drops", s->tipc.drops, 0);
	tulpen_buf_putc(b, '}');
}

const char *tulpen_json_family_name(const struct tulpen_sock *s)
{
	switch (s->proto) {
	case TULPEN_P_NETLINK:
		return "netlink";
	case TULPEN_P_PACKET:
		return "packet";
	case TULPEN_P_VSOCK:
		return "vsock";
	case TULPEN_P_XDP:
		return "xdp";
	case TULPEN_P_TIPC:
		return "tipc";
	default:
		return s->family == AF_INET    ? "inet"
		       : s->family == AF_INET6 ? "inet6"
					       : "unix";
	}
}

void tulpen_json_family(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
			const struct tulpen_sock *s)
{
	switch (s->proto) {
	case TULPEN_P_NETLINK:
		netlink(b, s);
		break;
	case TULPEN_P_PACKET:
		packet(b, o, s);
		break;
	case TULPEN_P_VSOCK:
		vsock(b, s);
		break;
	case TULPEN_P_XDP:
		xdp(b, s);
		break;
	case TULPEN_P_TIPC:
		tipc(b, s);
		break;
	default:
		break;
	}
}
