// SPDX-License-Identifier: MIT
/*
 * packet_diag.c - packet sockets (AF_PACKET) from netlink sock_diag
 * (packet_diag): type, protocol, bound device, receive queue, owner.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "core/ctx_internal.h"
#include "collect/nl_dump.h"

struct packet_walk {
	tulpen_sock_cb cb;
	void *data;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, PACKET_DIAG_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
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
	}
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

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct packet_walk *w = data;
	struct tulpen_sock s;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return 0;
	if (tulpen_packet_diag_parse(nlh, &s))
		return -EBADMSG;
	return w->cb(&s, w->data);
}

int tulpen_packet_diag_collect(struct tulpen_ctx *ctx, tulpen_sock_cb cb,
			       void *data)
{
	char req_buf[TULPEN_NL_REQ_SIZE];
	struct packet_diag_req *req;
	struct packet_walk w = { cb, data };
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(req_buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = AF_PACKET;
	req->pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_MEMINFO;
	return tulpen_nl_dump(ctx, nlh, msg_cb, &w);
}
