// SPDX-License-Identifier: MIT
/*
 * ctx.c - the library context: data sources and error details.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx_internal.h"

int tulpen_ctx_new(struct tulpen_ctx **out)
{
	struct tulpen_ctx *ctx;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->proc_root = strdup("/proc");
	if (!ctx->proc_root) {
		free(ctx);
		return -ENOMEM;
	}
	ctx->source = TULPEN_SOURCE_AUTO;
	*out = ctx;
	return 0;
}

static void close_nl(struct tulpen_ctx *ctx)
{
	ctx->nl_is_live = 0;
	if (ctx->nl_ops && ctx->nl_ops->close)
		ctx->nl_ops->close(ctx->nl_priv);
	ctx->nl_ops = NULL;
	ctx->nl_priv = NULL;
}

void tulpen_ctx_free(struct tulpen_ctx *ctx)
{
	if (!ctx)
		return;
	close_nl(ctx);
	if (ctx->nl_record)
		fclose(ctx->nl_record);
	free(ctx->proc_root);
	free(ctx);
}

int tulpen_ctx_set_proc_root(struct tulpen_ctx *ctx, const char *dir)
{
	char *copy = strdup(dir);

	if (!copy)
		return -ENOMEM;
	free(ctx->proc_root);
	ctx->proc_root = copy;
	return 0;
}

const char *tulpen_ctx_proc_root(const struct tulpen_ctx *ctx)
{
	return ctx->proc_root;
}

void tulpen_ctx_set_source(struct tulpen_ctx *ctx, enum tulpen_source_mode m)
{
	ctx->source = m;
}

enum tulpen_source_mode tulpen_ctx_source(const struct tulpen_ctx *ctx)
{
	return ctx->source;
}

void tulpen_ctx_set_nl_ops(struct tulpen_ctx *ctx,
			   const struct tulpen_nl_ops *ops, void *priv)
{
	close_nl(ctx);
	ctx->nl_ops = ops;
	ctx->nl_priv = priv;
}

int tulpen_ctx_nl_replay(struct tulpen_ctx *ctx, const char *path)
{
	const struct tulpen_nl_ops *ops;
	void *priv;
	int ret;

	ret = tulpen_nl_replay_open(path, &ops, &priv);
	if (ret) {
		tulpen_ctx_seterr(ctx, "%s: %s", path, strerror(-ret));
		return ret;
	}
	tulpen_ctx_set_nl_ops(ctx, ops, priv);
	return 0;
}

int tulpen_ctx_nl_record(struct tulpen_ctx *ctx, const char *path)
{
	FILE *f = fopen(path, "wbe");

	if (!f) {
		int err = -errno;

		tulpen_ctx_seterr(ctx, "%s: %s", path, strerror(errno));
		return err;
	}
	if (ctx->nl_record)
		fclose(ctx->nl_record);
	ctx->nl_record = f;
	return 0;
}

int tulpen_ctx_nl(struct tulpen_ctx *ctx, const struct tulpen_nl_ops **ops,
		  void **priv)
{
	int ret;

	if (!ctx->nl_ops) {
		ret = tulpen_nl_live_open(ctx, &ctx->nl_ops, &ctx->nl_priv);
		if (ret)
			return ret;
		ctx->nl_is_live = 1;
	}
	*ops = ctx->nl_ops;
	*priv = ctx->nl_priv;
	return 0;
}

const char *tulpen_ctx_errmsg(const struct tulpen_ctx *ctx)
{
	return ctx->errmsg;
}

void tulpen_ctx_seterr(struct tulpen_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->errmsg, sizeof(ctx->errmsg), fmt, ap);
	va_end(ap);
}

void tulpen_ctx_clearerr(struct tulpen_ctx *ctx)
{
	ctx->errmsg[0] = '\0';
}
