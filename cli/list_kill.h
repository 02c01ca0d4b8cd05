/* SPDX-License-Identifier: MIT */
/*
 * list_kill.h - the lister's -K (destroy what matches, or with --dry-run
 * only list it) and -E (sockets as the kernel destroys them).
 */
#ifndef TULPEN_CLI_LIST_KILL_H
#define TULPEN_CLI_LIST_KILL_H

#include "tulpen/collect.h"
#include "tulpen/ctx.h"
#include "list_netns.h"
#include "list_opts.h"

/*
 * -K: walk @o's query, destroy every match and hand each closed socket to
 * @print (with --dry-run every match, closing none). Errors are printed.
 * Returns the exit status.
 */
int list_kill(struct tulpen_ctx *ctx, const struct list_opts *o,
	      tulpen_sock_cb print, void *data);

/*
 * -E: every TCP and UDP socket the kernel destroys from now on that @o's
 * query selects, to @print, then @flush, until SIGINT or SIGTERM (or a
 * write fails): in @ctx's namespace, or in @ln's (-N: the one it names,
 * --all-netns: every one found, each event labelled with its namespace).
 * Returns the exit status.
 */
int list_events(struct tulpen_ctx *ctx, const struct list_opts *o,
		const struct list_netns *ln, tulpen_sock_cb print,
		int (*flush)(void *data), void *data);

#endif /* TULPEN_CLI_LIST_KILL_H */
