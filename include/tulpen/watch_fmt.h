/* SPDX-License-Identifier: MIT */
/*
 * tulpen/watch_fmt.h - the text and JSON records of `tulpen watch`: a
 * transition or accept, a connection's lifetime, a connection that
 * existed at start, the per-state summary, lost events and the start
 * record. Field names follow docs/json.md; docs/watch.md lists them.
 *
 * Ownership: the records are appended to a caller-owned struct tulpen_buf
 * (tulpen/fmt.h); nothing is kept but the caller-owned options' cache.
 */
#ifndef TULPEN_WATCH_FMT_H
#define TULPEN_WATCH_FMT_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/state.h"
#include "tulpen/watch.h"
#include "tulpen/watch_conn.h"

struct tulpen_buf;
struct tulpen_netns_labels; /* tulpen/netns.h */

struct tulpen_watch_fmt_opts {
	int json;		    /* JSON objects (no newline), not text */
	int64_t realtime_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	/* The name of namespace netns_inode (borrowed; NULL: unknown). */
	uint32_t netns_inode;
	const char *netns_name;
	/*
	 * Names and containers of every namespace and owner (borrowed, may
	 * be NULL); text records label namespaces other than self_netns.
	 */
	struct tulpen_netns_labels *labels;
	uint32_t self_netns;
	/* The formatter's cache of the last second's text (zero it). */
	int64_t cache_sec;
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
			     struct tulpen_watch_fmt_opts *o, uint64_t now_ns,
			     const size_t counts[TULPEN_TCP_MAX_STATES],
			     size_t tracked, uint64_t lost);
int tulpen_watch_fmt_lost(struct tulpen_buf *b, struct tulpen_watch_fmt_opts *o,
			  uint64_t now_ns, uint64_t lost, uint64_t total);

/* JSON parts: the "ts" number of monotonic @ts_ns (seconds since the
 * epoch, microseconds as the fraction), and ',"netns":{"inode","name"}'. */
int tulpen_watch_fmt_ts(struct tulpen_buf *b,
			const struct tulpen_watch_fmt_opts *o, uint64_t ts_ns);
int tulpen_watch_fmt_netns(struct tulpen_buf *b,
			   const struct tulpen_watch_fmt_opts *o,
			   uint32_t inode);

#endif /* TULPEN_WATCH_FMT_H */
