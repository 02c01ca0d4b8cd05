// SPDX-License-Identifier: MIT
/*
 * xdp_diag.c - AF_XDP sockets from netlink sock_diag (xsk_diag, when the
 * kernel has it): bound device and queue, receive queue, owner.
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
	return 0;
}

static int parse_cb(const struct nlmsghdr *nlh, struct tulpen_sock *s,
		    void *arg)
{
	(void)arg;
	return tulpen_xdp_diag_parse(nlh, s);
}

int tulpen_xdp_diag_collect(struct tulpen_ctx *ctx, tulpen_sock_cb cb,
			    void *data)
{
	struct xdp_diag_req req = {
		.sdiag_family = AF_XDP,
		.xdiag_show = XDP_SHOW_INFO | XDP_SHOW_MEMINFO,
	};

	return tulpen_diag_family_dump(ctx, &req, sizeof(req), parse_cb, NULL,
				       cb, data);
}
