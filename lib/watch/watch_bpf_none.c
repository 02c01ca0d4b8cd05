// SPDX-License-Identifier: MIT
/*
 * watch_bpf_none.c - the eBPF source when tulpen was built without it
 * (meson option bpf=disabled, or no clang/bpftool/libbpf/kernel BTF at
 * build time): opening it fails with a message saying so, and `tulpen
 * watch` falls back to sampling.
 */
#include <errno.h>
#include <stddef.h>

#include "tulpen/watch.h"
#include "tulpen/watch_counts.h"

int tulpen_watch_bpf_open(struct tulpen_ctx *ctx,
			  const struct tulpen_watch_bpf_opts *opts,
			  struct tulpen_watch_bpf **out)
{
	*out = NULL;
	tulpen_ctx_seterr(ctx, "eBPF: tulpen was built without eBPF support");
	return -EOPNOTSUPP;
}

int tulpen_watch_counts_open(struct tulpen_ctx *ctx, uint32_t netns,
			     unsigned skip_parts, struct tulpen_watch_bpf **out)
{
	*out = NULL;
	tulpen_ctx_seterr(ctx, "eBPF: tulpen was built without eBPF support");
	return -EOPNOTSUPP;
}

int tulpen_watch_counts_read(struct tulpen_watch_bpf *w,
			     struct tulpen_watch_counts *c)
{
	return -EOPNOTSUPP;
}

int tulpen_watch_bpf_poll(struct tulpen_watch_bpf *w, int timeout_ms,
			  tulpen_watch_cb cb, void *data)
{
	return -EOPNOTSUPP;
}

unsigned tulpen_watch_bpf_missing(const struct tulpen_watch_bpf *w)
{
	return 0;
}

const char *tulpen_watch_bpf_missing_why(const struct tulpen_watch_bpf *w,
					 unsigned part)
{
	return NULL;
}

uint64_t tulpen_watch_bpf_lost(struct tulpen_watch_bpf *w)
{
	return 0;
}

void tulpen_watch_bpf_close(struct tulpen_watch_bpf *w)
{
}
