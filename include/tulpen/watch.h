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
 * The connection tracker (tulpen/watch_conn.h) turns events into
 * per-connection paths, tulpen/watch_fmt.h prints them, and
 * tulpen/watch_session.h runs all of it as `tulpen watch` does.
 *
 * Ownership: each source has _new/_free (the eBPF source: _open/_close,
 * which detach everything). Event records passed to callbacks are valid
 * only during the call and belong to the source.
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
	uint8_t type;	  /* enum tulpen_wev_type */
	uint8_t proto;	  /* enum tulpen_proto: TCP or MPTCP */
	uint8_t family;	  /* AF_INET or AF_INET6 */
	uint8_t oldstate; /* enum tulpen_tcp_state */
	uint8_t newstate;
	uint8_t has_owner; /* pid, tid, comm are valid */
	uint8_t has_bytes; /* bytes_acked, bytes_received are valid */
	uint8_t timewait;  /* reported from the kernel's time-wait socket */
	uint8_t sampled;   /* from the sampled source */
	uint8_t late;	   /* seen only afterwards: time unknown */
	uint64_t ts_ns;	   /* CLOCK_MONOTONIC */
	uint64_t cookie;   /* socket cookie (0 when unknown) */
	uint64_t parent_cookie; /* listener of a server-side socket, or 0 */
	int64_t in_old_ns;	/* time spent in oldstate, -1 when unknown;
				 * approximate (to an interval) when sampled */
	struct tulpen_endpoint local;
	struct tulpen_endpoint peer;
	uint64_t bytes_acked; /* sent and acknowledged by the peer */
	uint64_t bytes_received;
	int32_t pid;	/* owner: process */
	int32_t tid;	/* owner: thread that connected / accepted */
	uint32_t netns; /* network namespace inode (0: unknown) */
	char comm[16];	/* owner's command name */
};

/* Return 0 to go on; anything else stops the poll and is returned. */
typedef int (*tulpen_watch_cb)(const struct tulpen_watch_event *ev, void *data);

/* ---- eBPF source (lib/watch/watch_bpf.c) ------------------------- */

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

/* ---- sampled source (lib/watch/watch_sampled.c) ------------------ */

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

/*
 * Also follow the kernel's destroy events (tulpen/sock_events.h): a
 * tracked connection's end is then reported when it happens, not at the
 * next snapshot: -> TIME-WAIT (or FIN-WAIT-2, an orphan waiting for the
 * peer's FIN) when a time-wait socket took over, else -> CLOSED, with its final
 * byte counts; a connection born and ended between two snapshots is reported at
 * its end (late, as ESTABLISHED -> CLOSED) when the kernel says it was
 * established. Returns 0 or a negative errno (-EPERM without CAP_NET_ADMIN;
 * -EOPNOTSUPP when the context replays recorded answers): the source then
 * samples only.
 */
int tulpen_watch_sampled_events(struct tulpen_watch_sampled *w);

/* The descriptor to poll for destroy events, -1 without them. */
int tulpen_watch_sampled_fd(const struct tulpen_watch_sampled *w);

/*
 * Report the ends the destroy events tell, at @now_ns, to @cb. Returns
 * the number of events read, the callback's value or a negative errno.
 */
int tulpen_watch_sampled_ends(struct tulpen_watch_sampled *w, uint64_t now_ns,
			      tulpen_watch_cb cb, void *data);

struct tulpen_conns;

/*
 * Seed tracker @c with the sockets of the last snapshot, keyed as this
 * source keys its events. Returns 0 or -ENOMEM.
 */
int tulpen_watch_sampled_seed(struct tulpen_watch_sampled *w,
			      struct tulpen_conns *c);

#endif /* TULPEN_WATCH_H */
