/* SPDX-License-Identifier: MIT */
/*
 * tulpen/destroy.h - close sockets with the kernel's SOCK_DESTROY (what
 * `ss -K` does): TCP (a connected peer gets a reset), UDP and RAW sockets
 * of the context's network namespace, found by a walk (tulpen/collect.h).
 *
 * Requests are sent in batches on a sock_diag socket of their own, so a
 * caller can queue sockets from inside a tulpen_collect() callback; each
 * socket's outcome comes back through the callback given at creation, with
 * a copy of the record (tcp_info and skmem included), once the kernel has
 * answered:
 *   0             closed
 *   -ENOENT       gone already (closed meanwhile, or its id changed)
 *   -EOPNOTSUPP   the kernel cannot destroy sockets of this protocol, or at
 *                 all (CONFIG_INET_DIAG_DESTROY not set)
 *   -EPERM        no CAP_NET_ADMIN in the socket's namespace
 * UNIX and MPTCP sockets cannot be destroyed: they come back -EOPNOTSUPP
 * without a request.
 *
 * Ownership: tulpen_destroyer_new() allocates and opens the socket;
 * tulpen_destroyer_free() closes it, dropping requests not flushed. The
 * record handed to the callback is valid only during the call.
 */
#ifndef TULPEN_DESTROY_H
#define TULPEN_DESTROY_H

#include "tulpen/ctx.h"
#include "tulpen/sock.h"

struct tulpen_destroyer;

/* One socket's outcome. Return 0 to go on, non-zero to stop. */
typedef int (*tulpen_destroy_cb)(const struct tulpen_sock *s, int err,
				 void *data);

/* Returns 0 or a negative errno (the socket could not be opened). */
int tulpen_destroyer_new(struct tulpen_ctx *ctx, tulpen_destroy_cb cb,
			 void *data, struct tulpen_destroyer **out);

/*
 * Queue @s; a full batch is sent and answered before this returns. Returns
 * 0, the callback's non-zero value, or a negative errno of the netlink
 * socket itself.
 */
int tulpen_destroyer_add(struct tulpen_destroyer *d,
			 const struct tulpen_sock *s);

/* Send what is queued and wait for every answer. Returns as _add(). */
int tulpen_destroyer_flush(struct tulpen_destroyer *d);

void tulpen_destroyer_free(struct tulpen_destroyer *d);

#endif /* TULPEN_DESTROY_H */
