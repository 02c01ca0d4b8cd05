// SPDX-License-Identifier: MIT
/*
 * list_sockets.c - print every TCP and UDP socket of this network namespace
 * as one JSON array, with the processes that hold them (as far as this user
 * may see). Uses only the installed API:
 *
 *	cc list_sockets.c $(pkg-config --cflags --libs tulpen)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <tulpen/tulpen.h>

struct run {
	struct tulpen_fmt *fmt;
	struct tulpen_owners *owners;
};

static int to_stdout(void *priv, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, priv) == len ? 0 : -EIO;
}

static int on_sock(const struct tulpen_sock *s, void *data)
{
	struct run *r = data;
	const struct tulpen_owner *ow = NULL;
	size_t n = 0;

	if (r->owners && s->inode)
		ow = tulpen_owners_lookup(r->owners, s->inode, &n);
	return tulpen_fmt_sock(r->fmt, s, ow, n);
}

int main(void)
{
	struct tulpen_query q = {
		.protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_UDP),
		.families = TULPEN_FAM_INET | TULPEN_FAM_INET6,
		.states = TULPEN_SF_ALL,
	};
	struct tulpen_fmt_opts fo = { .numeric = 1, .show_owners = 1 };
	struct tulpen_ctx *ctx = NULL;
	struct run r = { 0 };
	int ret;

	ret = tulpen_ctx_new(&ctx);
	if (!ret)
		ret = tulpen_owners_new(ctx, &r.owners);
	if (!ret)
		ret = tulpen_fmt_new(TULPEN_FMT_JSON, &fo, to_stdout, stdout,
				     &r.fmt);
	if (!ret)
		ret = tulpen_collect(ctx, &q, on_sock, &r);
	if (!ret)
		ret = tulpen_fmt_end(r.fmt);
	if (ret)
		fprintf(stderr, "list_sockets: %s\n",
			ctx && *tulpen_ctx_errmsg(ctx) ? tulpen_ctx_errmsg(ctx)
						       : strerror(-ret));
	tulpen_fmt_free(r.fmt);
	tulpen_owners_free(r.owners);
	tulpen_ctx_free(ctx);
	return ret ? 1 : 0;
}
