/* SPDX-License-Identifier: MIT */
/*
 * tulpen/sock_events.h - sockets as the kernel destroys them: the
 * sock_diag multicast groups (SKNLGRP_INET_TCP_DESTROY, _INET_UDP_DESTROY,
 * _INET6_TCP_DESTROY, _INET6_UDP_DESTROY) that `ss -E` listens to. The
 * kernel sends one message when a TCP or UDP socket of the namespace is
 * freed: its addresses, cookie, last state (TCP: CLOSED) and, for TCP, its
 * final tcp_info (tulpen/tcp_info.h): bytes acked and received, RTT,
 * retransmissions. TIME-WAIT and request sockets send none.
 *
 * Subscribing needs CAP_NET_ADMIN in the context's network namespace.
 * Ownership: tulpen_sock_events_open() allocates and subscribes;
 * tulpen_sock_events_free() unsubscribes and frees. Records handed to the
 * callback (and their tcp_info) are valid only during the call.
 */
#ifndef TULPEN_SOCK_EVENTS_H
#define TULPEN_SOCK_EVENTS_H

#include <stdint.h>
#include "tulpen/collect.h"
#include "tulpen/ctx.h"

struct tulpen_sock_events;

/*
 * Subscribe to the destroy events of @q's protocols (TCP, UDP) and
 * families; the events are matched against all of @q (states, filter)
 * before the callback sees them. @q is borrowed for the object's life.
 * Returns 0, -EPROTONOSUPPORT when no protocol asked for has events, or
 * another negative errno (-EPERM without CAP_NET_ADMIN).
 */
int tulpen_sock_events_open(struct tulpen_ctx *ctx,
			    const struct tulpen_query *q,
			    struct tulpen_sock_events **out);
void tulpen_sock_events_free(struct tulpen_sock_events *e);

/* The descriptor to poll for input (owned by the object). */
int tulpen_sock_events_fd(const struct tulpen_sock_events *e);

/*
 * Read every event already queued, without blocking, and hand each
 * matching one to @cb. Returns the number read (0: none was waiting), the
 * callback's non-zero value, or a negative errno. When the kernel dropped
 * events because they were not read in time, they are counted (below) and
 * reading goes on.
 */
int tulpen_sock_events_read(struct tulpen_sock_events *e, tulpen_sock_cb cb,
			    void *data);

/*
 * The state of the TCP socket with @s's addresses and ports now, asked of
 * the kernel directly (not a walk): how a connection whose full socket was
 * destroyed goes on (TULPEN_TCP_TIME_WAIT, or FIN_WAIT2 for an orphan: a
 * time-wait socket took over; a time-wait socket reports its substate).
 * Returns 0 with *@state set, -ENOENT when there is none, or a negative
 * errno.
 */
int tulpen_sock_events_lookup(struct tulpen_sock_events *e,
			      const struct tulpen_sock *s, int *state);

/* Events the kernel dropped so far (the socket's buffer overflowed). */
uint64_t tulpen_sock_events_lost(const struct tulpen_sock_events *e);

#endif /* TULPEN_SOCK_EVENTS_H */
