// SPDX-License-Identifier: MIT
/*
 * xdp_diag.c - AF_XDP sockets from netlink sock_diag (xsk_diag, when the
 * kernel has it): bound device and queue, receive queue, owner; the
 * rings, umem and statistics ss -e shows, the memory of -m.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/xdp_diag.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "core/ctx_internal.h"
#include "collect/nl_dump.h"

#ifndef AF_XDP
#define AF_XDP 44
#endif
#define XDP_ATTR_MAX (__XDP_DIAG_MAX - 1)

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, XDP_ATTR_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/* A ring's size (struct xdp_diag_ring) into *@v and its bit. */
static void ring(const struct nlattr *a, uint32_t *v, uint8_t bit,
		 struct tulpen_sock *s)
{
	if (!a || mnl_attr_get_payload_len(a) < 4)
		return;
	*v = mnl_attr_get_u32(a);
	s->xdp.has_rings |= bit;
}

/* -e's details: the rings, the umem and the statistics. */
static void parse_details(const struct nlattr *const *tb, struct tulpen_sock *s)
{
	const struct nlattr *a;

	ring(tb[XDP_DIAG_RX_RING], &s->xdp.rx, 1, s);
	ring(tb[XDP_DIAG_TX_RING], &s->xdp.tx, 2, s);
	ring(tb[XDP_DIAG_UMEM_FILL_RING], &s->xdp.fill, 4, s);
	ring(tb[XDP_DIAG_UMEM_COMPLETION_RING], &s->xdp.completion, 8, s);
	a = tb[XDP_DIAG_UMEM];
	if (a && mnl_attr_get_payload_len(a) >= sizeof(struct xdp_diag_umem)) {
		struct xdp_diag_umem u;

		memcpy(&u, mnl_attr_get_payload(a), sizeof(u));
		s->xdp.has_umem = 1;
		s->xdp.umem.size = u.size;
		s->xdp.umem.id = u.id;
		s->xdp.umem.num_pages = u.num_pages;
		s->xdp.umem.chunk_size = u.chunk_size;
		s->xdp.umem.headroom = u.headroom;
		s->xdp.umem.ifindex = u.ifindex;
		s->xdp.umem.queue_id = u.queue_id;
		s->xdp.umem.flags = u.flags;
		s->xdp.umem.refs = u.refs;
	}
	a = tb[XDP_DIAG_STATS];
	if (a && mnl_attr_get_payload_len(a) >= sizeof(struct xdp_diag_stats)) {
		struct xdp_diag_stats st;

		memcpy(&st, mnl_attr_get_payload(a), sizeof(st));
		s->xdp.has_stats = 1;
		s->xdp.rx_dropped = st.n_rx_dropped;
		s->xdp.rx_invalid = st.n_rx_invalid;
		s->xdp.rx_full = st.n_rx_full;
		s->xdp.fill_ring_empty = st.n_fill_ring_empty;
		s->xdp.tx_invalid = st.n_tx_invalid;
		s->xdp.tx_ring_empty = st.n_tx_ring_empty;
	}
}

int tulpen_xdp_diag_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s)
{
	const struct nlattr *tb[XDP_ATTR_MAX + 1] = { NULL };
	const struct xdp_diag_msg *m;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->xdiag_family != AF_XDP)
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*m), attr_cb, tb) < 0)
		return -EBADMSG;

	memset(s, 0, sizeof(*s));
	s->proto = TULPEN_P_XDP;
	s->family = AF_XDP;
	s->state = TULPEN_TCP_CLOSE;
	s->unix_type = m->xdiag_type;
	s->source = TULPEN_SRC_NETLINK;
	s->inode = m->xdiag_ino;
	s->cookie = (uint64_t)m->xdiag_cookie[0] | (uint64_t)m->xdiag_cookie[1]
							   << 32;
	s->has_cookie = 1;
	s->v6only = 2;
	if (tb[XDP_DIAG_INFO] && mnl_attr_get_payload_len(tb[XDP_DIAG_INFO]) >=
					 sizeof(struct xdp_diag_info)) {
		struct xdp_diag_info xi;

		memcpy(&xi, mnl_attr_get_payload(tb[XDP_DIAG_INFO]),
		       sizeof(xi));
		s->ifindex = xi.ifindex;
		s->xdp_queue = xi.queue_id;
	}
	if (tb[XDP_DIAG_UID] && mnl_attr_get_payload_len(tb[XDP_DIAG_UID]) >= 4)
		s->uid = mnl_attr_get_u32(tb[XDP_DIAG_UID]);
	else
		s->unknown |= TULPEN_UNK_UID;
	if (tb[XDP_DIAG_MEMINFO] &&
	    mnl_attr_get_payload_len(tb[XDP_DIAG_MEMINFO]) >= 4)
		s->rqueue = mnl_attr_get_u32(tb[XDP_DIAG_MEMINFO]);
	parse_details(tb, s);
	return 0;
}

struct xdp_walk {
	uint32_t ext;
	struct tulpen_skmem sm;
};

/* The record and (-m) its memory: XDP_DIAG_MEMINFO is sk_meminfo. */
static int parse_cb(const struct nlmsghdr *nlh, struct tulpen_sock *s,
		    void *arg)
{
	struct xdp_walk *w = arg;

	if (tulpen_xdp_diag_parse(nlh, s))
		return -EBADMSG;
	if (w->ext & TULPEN_EXT_SKMEM)
		s->skmem = tulpen_diag_family_skmem(nlh,
						    sizeof(struct xdp_diag_msg),
						    XDP_DIAG_MEMINFO, &w->sm);
	return 0;
}

/* As ss asks: the rings, umem and statistics come with every socket. */
int tulpen_xdp_diag_collect_ext(struct tulpen_ctx *ctx, uint32_t ext,
				tulpen_sock_cb cb, void *data)
{
	struct xdp_diag_req req = {
		.sdiag_family = AF_XDP,
		.xdiag_show = XDP_SHOW_INFO | XDP_SHOW_RING_CFG |
			      XDP_SHOW_UMEM | XDP_SHOW_MEMINFO | XDP_SHOW_STATS,
	};
	struct xdp_walk w = { .ext = ext };

	return tulpen_diag_family_dump(ctx, &req, sizeof(req), parse_cb, &w, cb,
				       data);
}

int tulpen_xdp_diag_collect(struct tulpen_ctx *ctx, tulpen_sock_cb cb,
			    void *data)
{
	return tulpen_xdp_diag_collect_ext(ctx, 0, cb, data);
}
