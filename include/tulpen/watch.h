/* SPDX-License-Identifier: MIT */
/*
 * tulpen/watch.h - live TCP state transitions.
 *
 * Two sources deliver the same event record to a callback:
 * - the eBPF source (tulpen_watch_bpf_*): every transition as the kernel
 *   makes it, with TIME-WAIT, the time spent in the old state, the real
 *   owner and byte counts at the end;
 * - the sampled source (tulpen_watch_sampled_*): differences between
 *   netlink snapshots taken at an interval, for when eBPF is unavailable.
 *   Transitions shorter than the interval are not seen and times are
 *   bounds, so every event it makes is marked `sampled`.
 * The connection tracker (tulpen_conns_*) turns events into per-connection
 * state paths and reports a lifetime when a connection ends.
 *
 * Ownership: each object has _new/_free (the eBPF source: _open/_close,
 * which detach everything). Event records passed to callbacks are valid
 * only during the call. Connection records returned by the tracker belong
 * to it.
 */
#ifndef TULPEN_WATCH_H
#define TULPEN_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/ctx.h"
#include "tulpen/sock.h"
#include "tulpen/state.h"

enum tulpen_wev_type {
	TULPEN_WEV_STATE = 1, /* a state transition */
	TULPEN_WEV_OWNER = 2, /* a process accepted the socket */
};

struct tulpen_watch_event {
	uint8_t type;	      /* enum tulpen_wev_type */
	uint8_t proto;	      /* enum tulpen_proto: TCP or MPTCP */
	uint8_t family;	      /* AF_INET or AF_INET6 */
	uint8_t oldstate;     /* enum tulpen_tcp_state */
	uint8_t newstate;
	uint8_t has_owner;    /* pid, tid, comm are valid */
	uint8_t has_bytes;    /* bytes_acked, bytes_received are valid */
	uint8_t timewait;     /* reported from the kernel's time-wait socket */
	uint8_t sampled;      /* from the sampled source */
	uint8_t late;	      /* seen only afterwards: time unknown */
	uint64_t ts_ns;	      /* CLOCK_MONOTONIC */
	uint64_t cookie;      /* socket cookie (0 when unknown) */
	uint64_t parent_cookie; /* listener of a server-side socket, or 0 */
	int64_t in_old_ns;    /* time spent in oldstate, -1 when unknown;
			       * approximate (to an interval) when sampled */
	struct tulpen_endpoint local;
	struct tulpen_endpoint peer;
	uint64_t bytes_acked;	 /* sent and acknowledged by the peer */
	uint64_t bytes_received;
	int32_t pid;	      /* owner: process */
	int32_t tid;	      /* owner: thread that connected / accepted */
	uint32_t netns;	      /* network namespace inode (0: unknown) */
	char comm[16];	      /* owner's command name */
};

/* Return 0 to go on; anything else stops the poll and is returned. */
typedef int (*tulpen_watch_cb)(const struct tulpen_watch_event *ev,
			       void *data);

/* ---- eBPF source (lib/watch/watch_bpf.c) ---------------------------------- */

struct tulpen_watch_bpf;

/*
 * The optional parts of the eBPF source. Only the transitions themselves
 * are required; a part whose program the kernel refuses (or that is left
 * out on request) is missing, and then:
 */
enum tulpen_watch_part {
	/* owners of accepted sockets are the listener's (tp_btf/sys_exit) */
	TULPEN_WATCH_PART_ACCEPT = 1 << 0,
	/* TIME-WAIT is not followed: the take-over shows as "-> CLOSED" */
	TULPEN_WATCH_PART_TIMEWAIT = 1 << 1,
	/*
	 * a connecting socket's SYN-SENT is sent at its next transition
	 * (not when the SYN leaves), and an orphaned FIN-WAIT-2 socket's
	 * move to TIME-WAIT is reported late, untimed (net_dev_queue)
	 */
	TULPEN_WATCH_PART_CONNECT = 1 << 2,
};
#define TULPEN_WATCH_NPARTS 3

/* "accept", "timewait", "connect"; NULL for anything else. */
const char *tulpen_watch_part_name(unsigned part);
/* The part named @name into *@part. Returns 0 or -EINVAL. */
int tulpen_watch_part_parse(const char *name, unsigned *part);

struct tulpen_watch_bpf_opts {
	uint32_t netns;	      /* only this namespace (inode); 0: all */
	unsigned skip_parts;  /* TULPEN_WATCH_PART_* not to load */
	size_t ringbuf_bytes; /* ring buffer size (power of 2); 0: 16 MiB */
	/*
	 * Wake the reader only when this much data is waiting; 0: on every
	 * event. With a threshold the reader must poll with a timeout.
	 */
	size_t wakeup_bytes;
};

/*
 * Load the eBPF program and attach it; needs no tracefs. Returns 0, or a
 * negative errno with a message in the context naming the cause (the
 * verifier's own line when it refused the required program):
 * -EOPNOTSUPP when built without eBPF support, -EPERM without
 * privileges, -ENOENT without kernel BTF. An optional part that cannot be
 * loaded or attached is left out: see tulpen_watch_bpf_missing().
 */
int tulpen_watch_bpf_open(struct tulpen_ctx *ctx,
			  const struct tulpen_watch_bpf_opts *opts,
			  struct tulpen_watch_bpf **out);

/*
 * Wait up to @timeout_ms for events, then hand every waiting event to
 * @cb. Returns the number of events, the callback's non-zero value, or a
 * negative errno (-EINTR when a signal arrived).
 */
int tulpen_watch_bpf_poll(struct tulpen_watch_bpf *w, int timeout_ms,
			  tulpen_watch_cb cb, void *data);

/* The parts (TULPEN_WATCH_PART_*) left out. */
unsigned tulpen_watch_bpf_missing(const struct tulpen_watch_bpf *w);

/*
 * Why @part is missing ("the kernel's verifier refused on_sys_exit: ..."),
 * or NULL when it is not. Owned by @w.
 */
const char *tulpen_watch_bpf_missing_why(const struct tulpen_watch_bpf *w,
					 unsigned part);

/* Events the kernel side could not deliver (ring buffer full), in total. */
uint64_t tulpen_watch_bpf_lost(struct tulpen_watch_bpf *w);

/* Detach and unload everything. NULL is allowed. */
void tulpen_watch_bpf_close(struct tulpen_watch_bpf *w);

/* ---- sampled source (lib/watch/watch_sampled.c) --------------------------- */

struct tulpen_watch_sampled;

/*
 * The sampled source compares TCP socket snapshots (IPv4 and IPv6, every
 * state) taken through tulpen_collect() with @ctx, which it borrows.
 */
int tulpen_watch_sampled_new(struct tulpen_ctx *ctx,
			     struct tulpen_watch_sampled **out);
void tulpen_watch_sampled_free(struct tulpen_watch_sampled *w);

/*
 * Take a snapshot at @now_ns (CLOCK_MONOTONIC) and report each difference
 * to the previous one as an event: a new socket as CLOSED -> state, a
 * changed one as old -> new, a vanished one as state -> CLOSED. The first
 * call only records. Returns 0, the callback's value or a negative errno.
 */
int tulpen_watch_sampled_step(struct tulpen_watch_sampled *w, uint64_t now_ns,
			      tulpen_watch_cb cb, void *data);

struct tulpen_conns;

/*
 * Seed tracker @c with the sockets of the last snapshot, keyed as this
 * source keys its events. Returns 0 or -ENOMEM.
 */
int tulpen_watch_sampled_seed(struct tulpen_watch_sampled *w,
			      struct tulpen_conns *c);

/* ---- connection tracker (lib/watch/watch_conn.c) -------------------------- */

#define TULPEN_CONN_MAX_PATH 12

struct tulpen_conn_step {
	uint8_t state;
	uint8_t dur_known;  /* dur_ns is exact; else approximate */
	uint64_t enter_ns;  /* CLOCK_MONOTONIC, 0 when unknown */
	int64_t dur_ns;	    /* time spent in the state */
};

struct tulpen_watch_conn {
	uint64_t cookie;
	uint64_t parent_cookie;
	uint64_t inode;	     /* from the snapshot, 0 when unknown */
	uint8_t proto;
	uint8_t family;
	uint8_t state;	     /* current state */
	uint8_t from_snapshot; /* existed at start: start_ns is a bound */
	uint8_t has_owner;
	uint8_t has_bytes;
	uint8_t sampled;
	uint8_t truncated;   /* more than TULPEN_CONN_MAX_PATH steps */
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
 * older than the snapshot are then ignored for the connections in it). Owners are looked up in @owners
 * (borrowed, may be NULL; scanning /proc can take long on a big host, so
 * the caller builds it before attaching its event source). Stores the
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

/* ---- output (lib/watch/watch_fmt.c) --------------------------------------- */

struct tulpen_buf;

struct tulpen_watch_fmt_opts {
	int json;		     /* JSON objects (no newline), not text */
	int64_t realtime_offset_ns;  /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	/* The formatter's cache of the last second's text (zero it). */
	int64_t cache_sec;
	int cache_iso;
	char cache_text[32];
};

/*
 * Append one record to @b: a transition or accept @ev (with its
 * connection @cn, may be NULL, for the owner); the lifetime of ended
 * connection @cn; a connection that existed at start; the per-state
 * counts; a lost-events notice. Text lines end in a newline, JSON objects
 * do not (the caller separates them). Return 0 or the buffer's error.
 */
int tulpen_watch_fmt_event(struct tulpen_buf *b,
			   struct tulpen_watch_fmt_opts *o,
			   const struct tulpen_watch_event *ev,
			   const struct tulpen_watch_conn *cn);
int tulpen_watch_fmt_lifetime(struct tulpen_buf *b,
			      struct tulpen_watch_fmt_opts *o,
			      const struct tulpen_watch_conn *cn);
int tulpen_watch_fmt_existing(struct tulpen_buf *b,
			      struct tulpen_watch_fmt_opts *o,
			      const struct tulpen_watch_conn *cn);
int tulpen_watch_fmt_summary(struct tulpen_buf *b,
			     struct tulpen_watch_fmt_opts *o,
			     uint64_t now_ns,
			     const size_t counts[TULPEN_TCP_MAX_STATES],
			     size_t tracked, uint64_t lost);
int tulpen_watch_fmt_lost(struct tulpen_buf *b,
			  struct tulpen_watch_fmt_opts *o,
			  uint64_t now_ns, uint64_t lost, uint64_t total);

/* Call @fn for every tracked connection (for listing them at start). */
void tulpen_conns_foreach(const struct tulpen_conns *c,
			  void (*fn)(const struct tulpen_watch_conn *cn, void *data),
			  void *data);

#endif /* TULPEN_WATCH_H */
