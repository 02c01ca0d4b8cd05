/* SPDX-License-Identifier: MIT */
/*
 * watch_internal.h - what the files of a watch session share
 * (watch_session.c: setup and records; watch_run.c: the loops and the
 * loss policy; watch_filter.c; watch_netns.c). Not installed.
 */
#ifndef TULPEN_WATCH_INTERNAL_H
#define TULPEN_WATCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tulpen/ctx.h"
#include "tulpen/fmt.h"
#include "tulpen/watch.h"
#include "tulpen/watch_conn.h"
#include "tulpen/watch_fmt.h"
#include "tulpen/watch_session.h"

/* Events handed over per poll before control comes back (signals...). */
#define WATCH_BATCH 65536

struct tulpen_watch_session {
	struct tulpen_watch_session_opts o;
	struct tulpen_ctx *ctx;
	struct tulpen_buf *out;
	struct tulpen_conns *conns;
	struct tulpen_watch_bpf *wb; /* one of these two is the source */
	struct tulpen_watch_sampled *ws;
	struct tulpen_watch_fmt_opts fo;
	uint32_t netns;	     /* inode of opts.netns, 0 without */
	char netns_name[64]; /* NAME of /run/netns/NAME, "" */
	uint64_t start_ns;
	int nobjs;	/* JSON objects written */
	int quiet;	/* track, do not print (before the start) */
	unsigned batch; /* events in this poll */
	struct tulpen_watch_stats st;
	/* The loss policy of the eBPF source (watch_run.c). */
	uint64_t lost_seen;
	uint64_t next_lost;
	uint64_t next_reconcile;
	int need_reconcile;
};

uint64_t watch_mono_ns(void);
int watch_stopping(const struct tulpen_watch_session *s);
void watch_notice(struct tulpen_watch_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* JSON framing around one record: separators, the NDJSON newline. */
void watch_rec_begin(struct tulpen_watch_session *s);
void watch_rec_end(struct tulpen_watch_session *s);

/* A tulpen_watch_cb: event -> tracker -> filter -> records. */
int watch_on_event(const struct tulpen_watch_event *ev, void *data);
void watch_put_summary(struct tulpen_watch_session *s, uint64_t lost);

/* watch_filter.c */
int watch_event_match(const struct tulpen_watch_filter *f,
		      struct tulpen_netns_labels *lb,
		      const struct tulpen_watch_event *ev);
int watch_conn_match(const struct tulpen_watch_filter *f,
		     struct tulpen_netns_labels *lb,
		     const struct tulpen_watch_conn *cn);

/*
 * watch_netns.c: look into namespace opts.netns through the context's seam
 * (tulpen_ctx_set_netns_path(): netlink sockets and /proc/net files are
 * opened there; this thread never changes namespace), and stop looking,
 * so that nothing of ours holds it. Enter returns 0 or a negative errno
 * with the cause in the context.
 */
int watch_netns_enter(struct tulpen_watch_session *s);
void watch_netns_leave(struct tulpen_watch_session *s);

/* watch_run.c */
int watch_run_bpf(struct tulpen_watch_session *s, uint64_t end_at);
int watch_run_sampled(struct tulpen_watch_session *s, uint64_t end_at);
void watch_count_lost(struct tulpen_watch_session *s);

#endif /* TULPEN_WATCH_INTERNAL_H */
