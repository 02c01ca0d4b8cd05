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

static void packet(struct tulpen_buf *b, const struct tulpen_sock *s)
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

static void xdp(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	tulpen_buf_puts(b, ",\"xdp\":{");
	key(b, "type", 1);
	tulpen_buf_json_str(b, type_name(s->unix_type));
	ifname(b, s->ifindex);
	num(b, "queue", s->xdp_queue, 0);
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
	default:
		return s->family == AF_INET    ? "inet"
		       : s->family == AF_INET6 ? "inet6"
					       : "unix";
	}
}

void tulpen_json_family(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	switch (s->proto) {
	case TULPEN_P_NETLINK:
		netlink(b, s);
		break;
	case TULPEN_P_PACKET:
		packet(b, s);
		break;
	case TULPEN_P_VSOCK:
		vsock(b, s);
		break;
	case TULPEN_P_XDP:
		xdp(b, s);
		break;
	default:
		break;
	}
}
