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

	if (fread(hdr, 4, 1, r->f) != 1)
		return -ENODATA; /* the recording ends here */
	n = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
	    (uint32_t)hdr[3] << 24;
	if (n > len)
		return -EMSGSIZE;
	if (n && fread(buf, n, 1, r->f) != 1)
		return -EIO; /* truncated recording */
	return (ssize_t)n;
}

static void replay_close(void *priv)
{
	struct nl_replay *r = priv;

	fclose(r->f);
	free(r);
}

static const struct tulpen_nl_ops replay_ops = {
	.send = replay_send,
	.recv = replay_recv,
	.close = replay_close,
};

int tulpen_nl_replay_open(const char *path, const struct tulpen_nl_ops **ops,
			  void **priv)
{
	struct nl_replay *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->f = fopen(path, "rbe");
	if (!r->f) {
		int err = -errno;

		free(r);
		return err;
	}
	*ops = &replay_ops;
	*priv = r;
	return 0;
}
