/* SPDX-License-Identifier: MIT */
/*
 * tulpen/watch_conn.h - the connection tracker of `tulpen watch`: events
 * of either source (tulpen/watch.h) become per-connection state paths
 * with the time spent in each state, and a lifetime when a connection
 * ends.
 *
 * Ownership: tulpen_conns_new() allocates, tulpen_conns_free() releases.
 * Connection records returned by the tracker belong to it and are valid
 * until the next call that changes it (apply, seed, snapshot, reconcile).
 */
#ifndef TULPEN_WATCH_CONN_H
#define TULPEN_WATCH_CONN_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/ctx.h"
#include "tulpen/sock.h"
#include "tulpen/state.h"
#include "tulpen/watch.h"

#define TULPEN_CONN_MAX_PATH 12

struct tulpen_conn_step {
	uint8_t state;
	uint8_t dur_known; /* dur_ns is exact; else approximate */
	uint64_t enter_ns; /* CLOCK_MONOTONIC, 0 when unknown */
	int64_t dur_ns;	   /* time spent in the state */
};

struct tulpen_watch_conn {
	uint64_t cookie;
	uint64_t parent_cookie;
	uint64_t inode; /* from the snapshot, 0 when unknown */
	uint8_t proto;
	uint8_t family;
	uint8_t state;	       /* current state */
	uint8_t from_snapshot; /* existed at start: start_ns is a bound */
	uint8_t has_owner;
	uint8_t has_bytes;
	uint8_t sampled;
	uint8_t truncated;	   /* more than TULPEN_CONN_MAX_PATH steps */
	uint8_t owner_of_listener; /* not yet accepted: the listener's owner */
	struct tulpen_endpoint local;
	struct tulpen_endpoint peer;
	uint64_t start_ns;
	uint64_t end_ns;
	uint64_t bytes_acked;
	uint64_t bytes_received;
	int32_t pid;
	int32_t tid;
	uint32_t netns;
	char comm[16];
	unsigned nsteps;
	struct tulpen_conn_step steps[TULPEN_CONN_MAX_PATH];
};

struct tulpen_conns;

int tulpen_conns_new(struct tulpen_conns **out);
void tulpen_conns_free(struct tulpen_conns *c);

/*
 * Seed the tracker with a socket that exists at @now_ns (from a snapshot):
 * its age is only known to be at least since then. Sockets without a
 * cookie, and sockets already tracked (from events), are ignored.
 * @owner_pid may be 0 (unknown).
 */
int tulpen_conns_seed(struct tulpen_conns *c, const struct tulpen_sock *s,
		      uint64_t now_ns, int32_t owner_pid,
		      const char *owner_comm);

struct tulpen_owners;

/*
 * Seed @c from a live snapshot (tulpen_collect() with @ctx: TCP, IPv4 and
 * IPv6, every state) taken at @now_ns (CLOCK_MONOTONIC; 0: when the dump
 * ends, which is right when events are being collected meanwhile: events
 * older than the snapshot are then ignored for the connections in it).
 * Owners are looked up in @owners (borrowed, may be NULL; scanning /proc
 * can take long on a big host, so the caller builds it before attaching
 * its event source). Stores the
 * number of sockets seeded in *@n (may be NULL). Returns 0 or a negative
 * errno with details in the context.
 */
int tulpen_conns_snapshot(struct tulpen_conns *c, struct tulpen_ctx *ctx,
			  uint64_t now_ns, const struct tulpen_owners *owners,
			  size_t *n);

/*
 * Apply one event. *@conn is set to the connection it belongs to (valid
 * until the next call), or NULL when the event is to be ignored (no
 * cookie, or older than the snapshot that seeded its connection);
 * *@ended is set when this event ended it: the caller reports the
 * lifetime, and the record is dropped on the next call. Returns 0 or
 * -ENOMEM.
 */
int tulpen_conns_apply(struct tulpen_conns *c,
		       const struct tulpen_watch_event *ev,
		       const struct tulpen_watch_conn **conn, int *ended);

/*
 * Drop the connections the kernel no longer has (their end was missed,
 * e.g. lost events): take a snapshot with @ctx and keep only cookies found
 * in it. @stop (may be NULL) is asked now and then whether to give up (a
 * big socket table takes a while): then nothing is dropped and -EINTR is
 * returned. Stores the number dropped in *@dropped. Returns 0 or a
 * negative errno with details in the context.
 */
int tulpen_conns_reconcile(struct tulpen_conns *c, struct tulpen_ctx *ctx,
			   int (*stop)(void *data), void *data,
			   size_t *dropped);

/* Number of connections currently in each state. */
void tulpen_conns_counts(const struct tulpen_conns *c,
			 size_t counts[TULPEN_TCP_MAX_STATES]);

/* Number of connections tracked. */
size_t tulpen_conns_size(const struct tulpen_conns *c);

const struct tulpen_watch_conn *tulpen_conns_find(const struct tulpen_conns *c,
						  uint64_t cookie);

/* Call @fn for every tracked connection (for listing them at start). */
void tulpen_conns_foreach(const struct tulpen_conns *c,
			  void (*fn)(const struct tulpen_watch_conn *cn,
				     void *data),
			  void *data);

#endif /* TULPEN_WATCH_CONN_H */
