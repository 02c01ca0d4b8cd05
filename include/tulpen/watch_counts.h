/* SPDX-License-Identifier: MIT */
/*
 * tulpen/watch_counts.h - TCP transitions and connection lifetimes counted
 * in the kernel by the eBPF programs of the watch subsystem, read at any
 * time: nothing per event goes through user space.
 *
 * The programs count every transition they would report as an event
 * (the kernel's inet_sock_set_state transitions of TCP sockets, a full
 * socket's hand-over to a time-wait socket as "-> TIME-WAIT" or
 * "-> FIN-WAIT-2", and the time-wait socket's own FIN-WAIT-2 -> TIME-WAIT
 * and -> CLOSED), per CPU, and a log2 histogram of how long sockets
 * lived: from their birth (CLOSED -> SYN-SENT, or LISTEN -> SYN-RECEIVED
 * of a listener's new child) to the full socket's end (-> CLOSED, or the
 * hand-over to a time-wait socket: TIME-WAIT is not part of a lifetime).
 * A connection between two local sockets counts once per end. Sockets
 * born before the programs were loaded are not in the histogram. MPTCP's
 * own sockets are not counted (their TCP subflows are).
 *
 * Ownership: tulpen_watch_counts_open() loads and attaches the programs
 * in a counts-only mode (no ring buffer events, no accept tracking) and
 * returns an eBPF source closed with tulpen_watch_bpf_close()
 * (tulpen/watch.h); the same source opened for events keeps the same
 * counts. struct tulpen_watch_counts is the caller's. Reading is
 * thread-safe with respect to the kernel side; one reader at a time.
 */
#ifndef TULPEN_WATCH_COUNTS_H
#define TULPEN_WATCH_COUNTS_H

#include <stdint.h>
#include "tulpen/ctx.h"
#include "tulpen/fmt.h"
#include "tulpen/state.h"
#include "tulpen/watch.h"

/*
 * Lifetime slots: slot 0 under 1 us, slot i (1 .. SLOTS-2) from 2^(i-1)
 * up to under 2^i microseconds, the last one everything longer.
 */
#define TULPEN_WATCH_DUR_SLOTS 40

struct tulpen_watch_counts {
	/* [from][to], kernel state numbers (tulpen/state.h) */
	uint64_t transitions[TULPEN_TCP_MAX_STATES][TULPEN_TCP_MAX_STATES];
	uint64_t
		duration[TULPEN_WATCH_DUR_SLOTS]; /* sockets closed, per slot */
	uint64_t duration_sum_ns;
	/*
	 * Sockets born while the counts-only birth table was full (262,144
	 * sockets between birth and close at once): their lifetimes are not
	 * in the histogram.
	 */
	uint64_t lifetimes_untracked;
	/*
	 * Runs of the programs the kernel skipped (one of ours was already
	 * running on that CPU): transitions possibly not counted.
	 */
	uint64_t missed;
};

/*
 * Load and attach the programs for counts only, in network namespace
 * @netns (inode; 0: every namespace), without the parts in @skip_parts
 * (TULPEN_WATCH_PART_*; without TIMEWAIT the time-wait sockets' own
 * transitions, FIN-WAIT-2 -> TIME-WAIT and -> CLOSED, are not counted;
 * without CONNECT an orphaned FIN-WAIT-2 time-wait socket's move to
 * TIME-WAIT is counted late, at its end, when the kernel re-arms its
 * timer silently). The hand-over itself is always counted. Errors as
 * tulpen_watch_bpf_open():
 * -EOPNOTSUPP (built without eBPF), -EPERM (not privileged), -ENOENT (no
 * kernel BTF), with the cause in the context.
 */
int tulpen_watch_counts_open(struct tulpen_ctx *ctx, uint32_t netns,
			     unsigned skip_parts,
			     struct tulpen_watch_bpf **out);

/*
 * The counts since @w was opened, summed over the CPUs, into @c.
 * Returns 0 or a negative errno (the map could not be read).
 */
int tulpen_watch_counts_read(struct tulpen_watch_bpf *w,
			     struct tulpen_watch_counts *c);

/* @d = @a - @b, slot by slot (@a read after @b). */
void tulpen_watch_counts_sub(struct tulpen_watch_counts *d,
			     const struct tulpen_watch_counts *a,
			     const struct tulpen_watch_counts *b);

/* Sockets closed (the histogram's count). */
uint64_t tulpen_watch_counts_closed(const struct tulpen_watch_counts *c);

/*
 * The upper bound of lifetime slot @slot in seconds (2^slot us, which
 * every lifetime in the slot is at most); 0 for the last slot and beyond,
 * which have none (+Inf).
 */
double tulpen_watch_dur_slot_le(unsigned slot);

/*
 * The counts as `tulpen watch --summary` prints them: every transition
 * seen (from, to, count; RFC 9293 names), then the lifetime histogram
 * (slots with sockets, cumulative), over @seconds, into @b. Returns 0 or
 * the buffer's error.
 */
int tulpen_watch_counts_fmt(struct tulpen_buf *b,
			    const struct tulpen_watch_counts *c,
			    double seconds);

/*
 * The same as one JSON object (docs/json.md, docs/schema/
 * watch-counts.schema.json) and a newline. Returns 0 or the buffer's
 * error.
 */
int tulpen_watch_counts_json(struct tulpen_buf *b,
			     const struct tulpen_watch_counts *c,
			     double seconds);

#endif /* TULPEN_WATCH_COUNTS_H */
