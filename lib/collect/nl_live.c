// SPDX-License-Identifier: MIT
/*
 * nl_live.c - the live netlink transport: a NETLINK_SOCK_DIAG socket opened
 * with libmnl. When the context records, every datagram received is also
 * written to the record file for later replay. With a network namespace on
 * the context, the socket is opened inside it (tulpen_ctx_in_netns()).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "core/ctx_internal.h"

struct nl_live {
	struct mnl_socket *nl;
	FILE *record; /* borrowed from the context */
};

static int live_send(void *priv, const void *buf, size_t len)
{
	struct nl_live *l = priv;

	if (mnl_socket_sendto(l->nl, buf, len) < 0)
		return -errno;
	return 0;
}

static ssize_t live_recv(void *priv, void *buf, size_t len)
{
	struct nl_live *l = priv;
	ssize_t n;

	do {
		n = mnl_socket_recvfrom(l->nl, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (l->record) {
		uint32_t le = (uint32_t)n;
		unsigned char hdr[4] = { (unsigned char)le,
					 (unsigned char)(le >> 8),
					 (unsigned char)(le >> 16),
					 (unsigned char)(le >> 24) };

		if (fwrite(hdr, 4, 1, l->record) != 1 ||
		    fwrite(buf, (size_t)n, 1, l->record) != 1)
			return -EIO;
	}
	return n;
}

static void live_close(void *priv)
{
	struct nl_live *l = priv;

	if (l->record)
		fflush(l->record);
	mnl_socket_close(l->nl);
	free(l);
}

static const struct tulpen_nl_ops live_ops = {
	.send = live_send,
	.recv = live_recv,
	.close = live_close,
};

/* Open the socket: runs in the context's network namespace. */
static int open_in_netns(void *arg)
{
	struct nl_live *l = arg;

	l->nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	return l->nl ? 0 : -errno;
}

int tulpen_nl_live_open(struct tulpen_ctx *ctx,
			const struct tulpen_nl_ops **ops, void **priv)
{
	struct nl_live *l;
	int one = 1;
	int rcvbuf = 4 * 1024 * 1024;
	int ret;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	tulpen_ctx_clearerr(ctx);
	ret = tulpen_ctx_in_netns(ctx, open_in_netns, l);
	if (ret) {
		if (!*tulpen_ctx_errmsg(ctx)) /* not the entering */
			tulpen_ctx_seterr(ctx, "cannot open a sock_diag "
					       "netlink socket");
		goto err_free;
	}
	if (mnl_socket_bind(l->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		tulpen_ctx_seterr(ctx, "cannot bind the netlink socket");
		goto err_close;
	}
	/* Larger buffers let the kernel fill each dump datagram. */
	if (setsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(l->nl), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	/* Extended acks name the attribute the kernel did not like. */
	mnl_socket_setsockopt(l->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	l->record = ctx->nl_record;
	*ops = &live_ops;
	*priv = l;
	return 0;

err_close:
	mnl_socket_close(l->nl);
err_free:
	free(l);
	return ret;
}
