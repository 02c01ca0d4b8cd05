// SPDX-License-Identifier: MIT
/*
 * packet_diag.c - packet sockets (AF_PACKET) from netlink sock_diag
 * (packet_diag): type, protocol, bound device, receive queue, owner, and
 * what ss -e and -b show: version, flags, rings, fanout, the socket filter.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "core/ctx_internal.h"
#include "collect/nl_dump.h"

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, PACKET_DIAG_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/* A ring's configuration (PACKET_DIAG_RX_RING, _TX_RING). */
static void parse_ring(const struct nlattr *a, struct tulpen_packet_ring *r)
{
	struct packet_diag_ring pr;

	if (!a || mnl_attr_get_payload_len(a) < sizeof(pr))
		return;
	memcpy(&pr, mnl_attr_get_payload(a), sizeof(pr));
	r->present = 1;
	r->block_size = pr.pdr_block_size;
	r->block_nr = pr.pdr_block_nr;
	r->frame_size = pr.pdr_frame_size;
	r->frame_nr = pr.pdr_frame_nr;
	r->retire_tmo = pr.pdr_retire_tmo;
	r->features = pr.pdr_features;
}

/* The rings, the fanout and the socket filter (ss -e, ss -b). */
static void parse_details(const struct nlattr *const *tb, struct tulpen_sock *s)
{
	const struct nlattr *f = tb[PACKET_DIAG_FILTER];

	parse_ring(tb[PACKET_DIAG_RX_RING], &s->pk.rx_ring);
	parse_ring(tb[PACKET_DIAG_TX_RING], &s->pk.tx_ring);
	if (tb[PACKET_DIAG_FANOUT] &&
	    mnl_attr_get_payload_len(tb[PACKET_DIAG_FANOUT]) >= 4) {
		s->pk.has_fanout = 1;
		s->pk.fanout = mnl_attr_get_u32(tb[PACKET_DIAG_FANOUT]);
	}
	if (f) {
		s->pk.has_filter = 1;
		s->pk.filter = mnl_attr_get_payload(f);
		s->pk.nfilter = mnl_attr_get_payload_len(f) /
				sizeof(struct sock_filter);
	}
}

int tulpen_packet_diag_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s)
{
	const struct nlattr *tb[PACKET_DIAG_MAX + 1] = { NULL };
	const struct packet_diag_msg *m;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->pdiag_family != AF_PACKET)
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*m), attr_cb, tb) < 0)
		return -EBADMSG;

	memset(s, 0, sizeof(*s));
	s->proto = TULPEN_P_PACKET;
	s->family = AF_PACKET;
	s->state = TULPEN_TCP_CLOSE;
	s->unix_type = m->pdiag_type;
	s->source = TULPEN_SRC_NETLINK;
	s->inode = m->pdiag_ino;
	s->cookie = (uint64_t)m->pdiag_cookie[0] | (uint64_t)m->pdiag_cookie[1]
							   << 32;
	s->has_cookie = 1;
	s->v6only = 2;
	s->packet_proto = m->pdiag_num;
	if (tb[PACKET_DIAG_INFO] &&
	    mnl_attr_get_payload_len(tb[PACKET_DIAG_INFO]) >=
		    sizeof(struct packet_diag_info)) {
		struct packet_diag_info pi;

		memcpy(&pi, mnl_attr_get_payload(tb[PACKET_DIAG_INFO]),
		       sizeof(pi));
		s->ifindex = pi.pdi_index;
		s->pk.has_info = 1;
		s->pk.version = pi.pdi_version;
		s->pk.copy_thresh = pi.pdi_copy_thresh;
		s->pk.flags = pi.pdi_flags;
	}
	parse_details(tb, s);
	if (tb[PACKET_DIAG_UID] &&
	    mnl_attr_get_payload_len(tb[PACKET_DIAG_UID]) >= 4)
		s->uid = mnl_attr_get_u32(tb[PACKET_DIAG_UID]);
	else
		s->unknown |= TULPEN_UNK_UID;
	/* the receive queue is the memory the socket holds (rmem_alloc) */
	if (tb[PACKET_DIAG_MEMINFO] &&
	    mnl_attr_get_payload_len(tb[PACKET_DIAG_MEMINFO]) >= 4)
		s->rqueue = mnl_attr_get_u32(tb[PACKET_DIAG_MEMINFO]);
	return 0;
}

struct packet_walk {
	uint32_t ext;
	struct tulpen_skmem sm;
};

/* The record and (-m) its memory: PACKET_DIAG_MEMINFO is sk_meminfo. */
static int parse_cb(const struct nlmsghdr *nlh, struct tulpen_sock *s,
		    void *arg)
{
	struct packet_walk *w = arg;

	if (tulpen_packet_diag_parse(nlh, s))
		return -EBADMSG;
	if (w->ext & TULPEN_EXT_SKMEM)
		s->skmem = tulpen_diag_family_skmem(
			nlh, sizeof(struct packet_diag_msg),
			PACKET_DIAG_MEMINFO, &w->sm);
	return 0;
}

/* As ss asks: the filter, rings and fanout come with every socket. */
int tulpen_packet_diag_collect_ext(struct tulpen_ctx *ctx, uint32_t ext,
				   tulpen_sock_cb cb, void *data)
{
	struct packet_diag_req req = {
		.sdiag_family = AF_PACKET,
		.pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_MEMINFO |
			      PACKET_SHOW_FILTER | PACKET_SHOW_RING_CFG |
			      PACKET_SHOW_FANOUT,
	};
	struct packet_walk w = { .ext = ext };

	return tulpen_diag_family_dump(ctx, &req, sizeof(req), parse_cb, &w, cb,
				       data);
}

int tulpen_packet_diag_collect(struct tulpen_ctx *ctx, tulpen_sock_cb cb,
			       void *data)
{
	return tulpen_packet_diag_collect_ext(ctx, 0, cb, data);
}
