// SPDX-License-Identifier: MIT
/*
 * fuzz_netlink.c - the sock_diag answer parsers (inet, unix, netlink,
 * packet, vsock, XDP) and the dump loop. The input is a series of
 * datagrams, each a 2-byte little-endian length and its bytes, served by a
 * fake transport to the dumps in collect order: TCP, UNIX, netlink,
 * packet, vsock, XDP (sequence numbers 1 to 6).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *p;
	size_t left;
};

static int f_send(void *priv, const void *buf, size_t len)
{
	(void)priv;
	(void)buf;
	(void)len;
	return 0;
}

static ssize_t f_recv(void *priv, void *buf, size_t len)
{
	struct feed *f = priv;
	size_t n;

	if (f->left < 2)
		return -ENODATA;
	n = (size_t)f->p[0] | (size_t)f->p[1] << 8;
	f->p += 2;
	f->left -= 2;
	if (n > f->left)
		n = f->left;
	if (n > len)
		return -EMSGSIZE;
	memcpy(buf, f->p, n);
	f->p += n;
	f->left -= n;
	return (ssize_t)n;
}

static const struct tulpen_nl_ops feed_ops = {
	.send = f_send,
	.recv = f_recv,
};

static int check(const struct tulpen_sock *s, void *data)
{
	(void)data;
	if (s->family != AF_INET && s->family != AF_INET6 &&
	    s->family != AF_UNIX && s->family != AF_NETLINK &&
	    s->family != AF_PACKET && s->family != 40 /* AF_VSOCK */ &&
	    s->family != 44 /* AF_XDP */)
		abort();
	if (s->nl.comm && strlen(s->nl.comm) >= 64)
		abort();
	if (s->state >= TULPEN_TCP_MAX_STATES)
		abort();
	if (s->unix_path && strlen(s->unix_path) > 108)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tulpen_query q = {
		.protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_UNIX) |
			  TULPEN_PF(TULPEN_P_NETLINK) |
			  TULPEN_PF(TULPEN_P_PACKET) |
			  TULPEN_PF(TULPEN_P_VSOCK) | TULPEN_PF(TULPEN_P_XDP),
		.families = TULPEN_FAM_ALL,
		.states = TULPEN_SF_ALL,
	};
	struct feed f = { data, size };
	struct tulpen_ctx *ctx;

	if (tulpen_ctx_new(&ctx))
		return 0;
	tulpen_ctx_set_source(ctx, TULPEN_SOURCE_NETLINK);
	tulpen_ctx_set_nl_ops(ctx, &feed_ops, &f);
	tulpen_collect(ctx, &q, check, NULL);
	tulpen_ctx_free(ctx);
	return 0;
}
