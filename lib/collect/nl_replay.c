// SPDX-License-Identifier: MIT
/*
 * nl_replay.c - a netlink transport that returns datagrams recorded earlier
 * by the live transport (4-byte little-endian length, then the bytes), so
 * tests and fuzzers can feed the sock_diag parsers without a kernel.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx_internal.h"

struct nl_replay {
	FILE *f;
	struct tulpen_ctx *ctx; /* where errors are said (owns this) */
	char *path;
	long off;	   /* where the next datagram's length is */
	unsigned long num; /* datagrams read */
};

static int replay_send(void *priv, const void *buf, size_t len)
{
	(void)priv;
	(void)buf;
	(void)len;
	return 0;
}

static ssize_t replay_recv(void *priv, void *buf, size_t len)
{
	struct nl_replay *r = priv;
	unsigned char hdr[4];
	uint32_t n;

	size_t got = fread(hdr, 1, 4, r->f);

	if (got != 4) {
		if (got)
			tulpen_ctx_seterr(r->ctx,
					  "%s: offset %ld: datagram %lu: %zu "
					  "bytes where a 4-byte length was "
					  "expected (recording cut short)",
					  r->path, r->off, r->num + 1, got);
		else
			tulpen_ctx_seterr(r->ctx,
					  "%s: offset %ld: the recording ends "
					  "after %lu datagrams, but another "
					  "answer was expected (recorded with "
					  "other options?)",
					  r->path, r->off, r->num);
		return got ? -EIO : -ENODATA;
	}
	n = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
	    (uint32_t)hdr[3] << 24;
	if (n > len) {
		tulpen_ctx_seterr(r->ctx,
				  "%s: offset %ld: datagram %lu: length %u, "
				  "more than a netlink datagram holds (%zu): "
				  "not a recording?",
				  r->path, r->off, r->num + 1, n, len);
		return -EMSGSIZE;
	}
	if (n && (got = fread(buf, 1, n, r->f)) != n) {
		tulpen_ctx_seterr(r->ctx,
				  "%s: offset %ld: datagram %lu: %zu of its "
				  "%u bytes (recording cut short)",
				  r->path, r->off + 4, r->num + 1, got, n);
		return -EIO;
	}
	r->off += 4 + (long)n;
	r->num++;
	return (ssize_t)n;
}

static void replay_close(void *priv)
{
	struct nl_replay *r = priv;

	fclose(r->f);
	free(r->path);
	free(r);
}

static const struct tulpen_nl_ops replay_ops = {
	.send = replay_send,
	.recv = replay_recv,
	.close = replay_close,
};

int tulpen_nl_replay_open(struct tulpen_ctx *ctx, const char *path,
			  const struct tulpen_nl_ops **ops, void **priv)
{
	struct nl_replay *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->ctx = ctx;
	r->path = strdup(path);
	if (!r->path) {
		free(r);
		return -ENOMEM;
	}
	r->f = fopen(path, "rbe");
	if (!r->f) {
		int err = -errno;

		free(r->path);
		free(r);
		return err;
	}
	*ops = &replay_ops;
	*priv = r;
	return 0;
}
