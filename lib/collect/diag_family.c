// SPDX-License-Identifier: MIT
/*
 * diag_family.c - the dump loop every sock_diag family without ports
 * shares (netlink, packet, vsock, XDP): one SOCK_DIAG_BY_FAMILY dump
 * request around the family's own request, each answer parsed into one
 * record and handed to the caller's callback.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "core/ctx_internal.h"
#include "collect/nl_dump.h"

struct family_walk {
	tulpen_diag_parse_fn parse;
	void *arg;
	tulpen_sock_cb cb;
	void *data;
};

static int family_msg(const struct nlmsghdr *nlh, void *data)
{
	struct family_walk *w = data;
	struct tulpen_sock s;
	int ret;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return 0;
	ret = w->parse(nlh, &s, w->arg);
	if (ret > 0)
		return 0; /* no socket in it: skipped */
	if (ret)
		return -EBADMSG;
	return w->cb(&s, w->data);
}

const struct tulpen_skmem *tulpen_diag_family_skmem(const struct nlmsghdr *nlh,
						    size_t hdrlen,
						    uint16_t type,
						    struct tulpen_skmem *sm)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, hdrlen)
	{
		if (mnl_attr_get_type(a) != type)
			continue;
		tulpen_diag_skmem(mnl_attr_get_payload(a),
				  mnl_attr_get_payload_len(a), sm);
		return sm;
	}
	return NULL;
}

int tulpen_diag_family_dump(struct tulpen_ctx *ctx, const void *req, size_t len,
			    tulpen_diag_parse_fn parse, void *arg,
			    tulpen_sock_cb cb, void *data)
{
	char req_buf[TULPEN_NL_REQ_SIZE];
	struct family_walk w = { parse, arg, cb, data };
	struct nlmsghdr *nlh;

	if (len > TULPEN_NL_REQ_SIZE - MNL_NLMSG_HDRLEN)
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(req_buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	memcpy(mnl_nlmsg_put_extra_header(nlh, len), req, len);
	return tulpen_nl_dump(ctx, nlh, family_msg, &w);
}
