// SPDX-License-Identifier: MIT
/*
 * vsock_diag.c - vsock sockets (AF_VSOCK) from netlink sock_diag
 * (vsock_diag, when the kernel has it): type, state, context ids, ports.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/vm_sockets_diag.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "core/ctx_internal.h"
#include "collect/nl_dump.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

int tulpen_vsock_diag_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s)
{
	const struct vsock_diag_msg *m;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->vdiag_family != AF_VSOCK)
		return -EBADMSG;

	memset(s, 0, sizeof(*s));
	s->proto = TULPEN_P_VSOCK;
	s->family = AF_VSOCK;
	s->state = m->vdiag_state < TULPEN_TCP_MAX_STATES ? m->vdiag_state
							  : TULPEN_TCP_UNKNOWN;
	s->unix_type = m->vdiag_type;
	s->shutdown = m->vdiag_shutdown & 3;
	s->has_shutdown = 1;
	s->source = TULPEN_SRC_NETLINK;
	s->inode = m->vdiag_ino;
	s->cookie = (uint64_t)m->vdiag_cookie[0] | (uint64_t)m->vdiag_cookie[1]
							   << 32;
	s->has_cookie = 1;
	s->v6only = 2;
	s->unknown = TULPEN_UNK_UID;
	s->vsock_cid = m->vdiag_src_cid;
	s->vsock_port = m->vdiag_src_port;
	s->vsock_peer_cid = m->vdiag_dst_cid;
	s->vsock_peer_port = m->vdiag_dst_port;
	return 0;
}

static int parse_cb(const struct nlmsghdr *nlh, struct tulpen_sock *s,
		    void *arg)
{
	(void)arg;
	return tulpen_vsock_diag_parse(nlh, s);
}

int tulpen_vsock_diag_collect(struct tulpen_ctx *ctx, uint32_t states,
			      tulpen_sock_cb cb, void *data)
{
	struct vsock_diag_req req = {
		.sdiag_family = AF_VSOCK,
		.vdiag_states = states,
	};

	if (!states)
		return 0;
	return tulpen_diag_family_dump(ctx, &req, sizeof(req), parse_cb, NULL,
				       cb, data);
}
