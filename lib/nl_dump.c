// SPDX-License-Identifier: MIT
/*
 * nl_dump.c - run one netlink dump request and walk its answer.
 *
 * Messages are walked with libmnl's iterators straight out of the receive
 * buffer: no copy and no allocation per socket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "ctx_internal.h"
#include "nl_dump.h"

/*
 * mnl_nlmsg_ok() compares the length as a signed int, so a corrupt length
 * above 2 GiB passes it; check it unsigned.
 */
static int msg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len;
}

/* The kernel fills at most 32 KiB per dump datagram; leave room. */
#define DUMP_BUF_SIZE (64 * 1024)

int tulpen_nl_dump(struct tulpen_ctx *ctx, struct nlmsghdr *req,
		   tulpen_nl_msg_cb cb, void *data)
{
	const struct tulpen_nl_ops *ops;
	void *priv;
	char *buf;
	int stopped = 0, ret;
	unsigned int seq;

	ret = tulpen_ctx_nl(ctx, &ops, &priv);
	if (ret)
		return ret;
	buf = malloc(DUMP_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	seq = ++ctx->nl_seq;
	req->nlmsg_seq = seq;
	ret = ops->send(priv, req, req->nlmsg_len);
	if (ret)
		goto out;

	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t n = ops->recv(priv, buf, DUMP_BUF_SIZE);
		int len;

		if (n < 0) {
			if (stopped)
				goto out; /* keep the callback's value */
			ret = (int)n;
			if (ret == -ENODATA)
				tulpen_ctx_seterr(ctx,
						  "netlink recording ends "
						  "before the dump does");
			goto out;
		}
		if (n == 0) {
			ret = -EBADMSG;
			tulpen_ctx_seterr(ctx, "empty netlink datagram");
			goto out;
		}
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)buf; msg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq)
				continue; /* an older, abandoned answer */
			if (nlh->nlmsg_type == NLMSG_DONE) {
				/* a dump that failed says so here */
				if (!stopped &&
				    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
					int e = *(const int *)
						mnl_nlmsg_get_payload(nlh);

					if (e < 0)
						ret = e;
				}
				goto out;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e;

				if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
					ret = -EBADMSG;
					goto out;
				}
				e = mnl_nlmsg_get_payload(nlh);
				if (e->error == 0)
					continue; /* an ack */
				if (!stopped)
					ret = e->error < 0 ? e->error
							   : -e->error;
				goto out;
			}
			if (stopped)
				continue;
			ret = cb(nlh, data);
			if (ret) {
				if (ret == -EBADMSG)
					tulpen_ctx_seterr(ctx,
							  "malformed sock_diag "
							  "message (type %u, "
							  "length %u)",
							  nlh->nlmsg_type,
							  nlh->nlmsg_len);
				stopped = 1;
			}
		}
		if (len > 0 && !stopped) {
			ret = -EBADMSG;
			tulpen_ctx_seterr(ctx, "truncated netlink message "
					       "(%d bytes left over)", len);
			stopped = 1;
		}
		if (stopped && ret == -EBADMSG)
			goto out; /* cannot trust the stream: stop now */
	}
out:
	free(buf);
	return ret;
}
