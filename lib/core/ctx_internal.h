/* SPDX-License-Identifier: MIT */
/*
 * ctx_internal.h - the context's fields, shared by the library's modules.
 * Not installed; callers use tulpen/ctx.h.
 */
#ifndef TULPEN_CTX_INTERNAL_H
#define TULPEN_CTX_INTERNAL_H

#include <stdint.h>
#include <stdio.h>
#include "tulpen/ctx.h"

struct tulpen_ctx {
	char *proc_root;
	enum tulpen_source_mode source;
	const struct tulpen_nl_ops *nl_ops;
	void *nl_priv;
	FILE *nl_record; /* where the live transport records, or NULL */
	unsigned int nl_seq;
	unsigned int nl_batch; /* datagrams of sock_diag dumps received */
	int nl_is_live;	       /* the transport is the live kernel socket */
	int netns_fd;	    /* the namespace to look into, -1: the caller's */
	uint64_t netns_ino; /* its inode (nsfs) */
	int nl_inline;	    /* receive dumps on this thread (the netns walk's
			     * workers: already one per CPU) */
	tulpen_note_fn note;
	void *note_data;
	unsigned int noted; /* TULPEN_NOTED_* already said once */
	char errmsg[512];
};

/* Notes said once per context. */
#define TULPEN_NOTED_NO_INET6 0x1u

/* Live transport (nl_live.c). */
int tulpen_nl_live_open(struct tulpen_ctx *ctx,
			const struct tulpen_nl_ops **ops, void **priv);
/* Replay transport (nl_replay.c). */
int tulpen_nl_replay_open(struct tulpen_ctx *ctx, const char *path,
			  const struct tulpen_nl_ops **ops, void **priv);

#endif /* TULPEN_CTX_INTERNAL_H */
