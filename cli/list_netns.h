/* SPDX-License-Identifier: MIT */
/*
 * list_netns.h - the lister's network namespace options (-N, --all-netns,
 * --netns, --container): which namespaces to walk, and the walk itself.
 * Without any of them, the plain collector runs in the caller's namespace.
 */
#ifndef TULPEN_CLI_LIST_NETNS_H
#define TULPEN_CLI_LIST_NETNS_H

#include <stddef.h>
#include "tulpen/collect.h"
#include "tulpen/netns.h"
#include "list_opts.h"

struct list_netns {
	int active; /* namespaces are walked */
	struct tulpen_netns_set *set;
	const struct tulpen_netns *only;    /* -N, or NULL for all */
	const struct tulpen_owners *owners; /* -p: containers by holder */
	size_t nfailed;			    /* namespaces reported */
};

/* Find the namespaces the options ask for. Returns 0 or a negative errno. */
int list_netns_setup(struct tulpen_ctx *ctx, const struct list_opts *o,
		     struct list_netns *ln);
void list_netns_fini(struct list_netns *ln);

/* tulpen_collect(), or the walk over the namespaces when active. */
int list_netns_collect(struct tulpen_ctx *ctx, const struct list_opts *o,
		       struct list_netns *ln, tulpen_sock_cb cb, void *data);

/* -s: per-namespace counts with --all-netns, else one namespace's. */
int list_netns_summary(struct tulpen_ctx *ctx, const struct list_opts *o,
		       struct list_netns *ln, struct tulpen_buf *b);

#endif /* TULPEN_CLI_LIST_NETNS_H */
