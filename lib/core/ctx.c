// SPDX-License-Identifier: MIT
/*
 * ctx.c - the library context: data sources and error details.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/nsfs.h>

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
	ctx->netns_fd = -1;
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
	if (ctx->netns_fd >= 0)
		close(ctx->netns_fd);
	free(ctx->proc_root);
	free(ctx);
}

int tulpen_ctx_set_proc_root(struct tulpen_ctx *ctx, const char *dir)
{
	char *copy;

	if (!*dir) {
		tulpen_ctx_seterr(ctx, "the proc root is an empty path "
				       "(expected a directory such as /proc)");
		return -EINVAL;
	}
	copy = strdup(dir);
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

	ret = tulpen_nl_replay_open(ctx, path, &ops, &priv);
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

int tulpen_ctx_set_netns_fd(struct tulpen_ctx *ctx, int fd)
{
	struct stat st;
	int copy = -1;

	if (fd >= 0) {
		int type = ioctl(fd, NS_GET_NSTYPE);

		if (type < 0 && errno != ENOTTY)
			return -errno;
		if (type != CLONE_NEWNET || fstat(fd, &st))
			return -EINVAL;
		copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (copy < 0)
			return -errno;
	}
	if (ctx->nl_is_live)
		close_nl(ctx); /* it reads the namespace it was opened in */
	if (ctx->netns_fd >= 0)
		close(ctx->netns_fd);
	ctx->netns_fd = copy;
	ctx->netns_ino = copy >= 0 ? (uint64_t)st.st_ino : 0;
	return 0;
}

int tulpen_ctx_set_netns_path(struct tulpen_ctx *ctx, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0) {
		ret = -errno;
		tulpen_ctx_seterr(ctx, "%s: %s", path, strerror(errno));
		return ret;
	}
	ret = tulpen_ctx_set_netns_fd(ctx, fd);
	if (ret)
		tulpen_ctx_seterr(ctx, "%s: %s", path,
				  ret == -EINVAL ? "not a network namespace"
						 : strerror(-ret));
	close(fd);
	return ret;
}

int tulpen_ctx_netns_fd(const struct tulpen_ctx *ctx)
{
	return ctx->netns_fd;
}

struct ns_call {
	int fd;
	int (*fn)(void *arg);
	void *arg;
	int entered;
	int ret;
};

/* The helper thread: enter, run, and end (the namespace goes with it). */
static void *ns_thread(void *p)
{
	struct ns_call *c = p;

	if (setns(c->fd, CLONE_NEWNET)) {
		c->ret = -errno;
		return NULL;
	}
	c->entered = 1;
	c->ret = c->fn(c->arg);
	return NULL;
}

/* Whether the calling thread already is in namespace @ino. */
static int in_own_netns(uint64_t ino)
{
	struct stat st;

	return !stat("/proc/thread-self/ns/net", &st) &&
	       (uint64_t)st.st_ino == ino;
}

int tulpen_ctx_in_netns(struct tulpen_ctx *ctx, int (*fn)(void *arg), void *arg)
{
	struct ns_call c = { ctx->netns_fd, fn, arg, 0, 0 };
	pthread_t tid;
	int err;

	if (ctx->netns_fd < 0 || in_own_netns(ctx->netns_ino))
		return fn(arg);
	err = pthread_create(&tid, NULL, ns_thread, &c);
	if (err) {
		tulpen_ctx_seterr(ctx,
				  "cannot start a thread to enter the "
				  "network namespace: %s",
				  strerror(err));
		return -err;
	}
	pthread_join(tid, NULL);
	if (!c.entered)
		tulpen_ctx_seterr(ctx,
				  "cannot enter network namespace %llu: "
				  "%s",
				  (unsigned long long)ctx->netns_ino,
				  strerror(-c.ret));
	return c.ret;
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

void tulpen_ctx_set_note(struct tulpen_ctx *ctx, tulpen_note_fn fn, void *data)
{
	ctx->note = fn;
	ctx->note_data = data;
}

tulpen_note_fn tulpen_ctx_note_fn(const struct tulpen_ctx *ctx, void **data)
{
	*data = ctx->note_data;
	return ctx->note;
}

void tulpen_ctx_note(struct tulpen_ctx *ctx, enum tulpen_note_level level,
		     const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!ctx->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->note(ctx->note_data, level, msg);
}
