/* SPDX-License-Identifier: MIT */
/*
 * tulpen/watch_session.h - one run of `tulpen watch`: pick the source
 * (eBPF, else the sampled one, saying why), seed the connection tracker
 * from the sockets that exist at start, then turn events into filtered
 * text or JSON records until told to stop; count losses, re-read the
 * kernel's socket table after them, and keep statistics.
 *
 * The library prints nothing: records go to the caller's struct tulpen_buf
 * (tulpen/fmt.h, whose sink decides where bytes go), and what a person
 * should be told (the source fell back, a part of the eBPF source is
 * missing, events were lost) goes to the caller's notice callback.
 *
 * Ownership: tulpen_watch_session_new() allocates the session;
 * tulpen_watch_session_free() releases it and detaches the eBPF programs.
 * The context, the output buffer and the strings in the options are
 * borrowed: they belong to the caller and must outlive the session.
 */
#ifndef TULPEN_WATCH_SESSION_H
#define TULPEN_WATCH_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/ctx.h"
#include "tulpen/fmt.h"
#include "tulpen/watch.h"

enum tulpen_watch_pick {
	TULPEN_WATCH_PICK_AUTO = 0, /* eBPF, else sampled (with a notice) */
	TULPEN_WATCH_PICK_BPF,	    /* eBPF or fail */
	TULPEN_WATCH_PICK_SAMPLED,
};

enum tulpen_watch_output {
	TULPEN_WATCH_OUT_TEXT = 0,
	TULPEN_WATCH_OUT_JSON,	 /* one array, closed by _session_end() */
	TULPEN_WATCH_OUT_NDJSON, /* one object per line */
};

#define TULPEN_WATCH_MAX_PORTS 16

enum tulpen_watch_port_side {
	TULPEN_WATCH_PORT_EITHER = 0,
	TULPEN_WATCH_PORT_LOCAL,
	TULPEN_WATCH_PORT_PEER,
};

/* Which records are printed (all zero: every one). */
struct tulpen_watch_filter {
	int family;	  /* 0, AF_INET or AF_INET6 */
	uint32_t states;  /* TULPEN_SF() mask: into/out of/through; 0: any */
	uint32_t exclude; /* TULPEN_SF() mask never seen */
	unsigned nports;  /* any of these ports matches */
	uint16_t ports[TULPEN_WATCH_MAX_PORTS];
	uint8_t side[TULPEN_WATCH_MAX_PORTS]; /* enum tulpen_watch_port_side */
	/*
	 * The lister's filter language (tulpen/filter.h) over each record's
	 * endpoints and state; NULL: none. Borrowed: it must outlive the
	 * session.
	 */
	const struct tulpen_filter *expr;
};

/*
 * Add port @port on @side to @f. Returns 0, or -E2BIG when it already
 * holds TULPEN_WATCH_MAX_PORTS.
 */
int tulpen_watch_filter_add_port(struct tulpen_watch_filter *f, uint16_t port,
				 enum tulpen_watch_port_side side);

struct tulpen_watch_session_opts {
	enum tulpen_watch_pick source;
	enum tulpen_watch_output output;
	struct tulpen_watch_filter filter;
	uint64_t interval_ns;	   /* sampled source; 0: 1 s */
	uint64_t summary_every_ns; /* per-state counts; 0: never */
	/* A network namespace (/run/netns/NAME, /proc/PID/ns/net) or NULL. */
	const char *netns;
	int lifetimes;	      /* print a record when a connection ends */
	int transitions;      /* print transitions and accepts */
	int existing;	      /* text: list connections at start */
	size_t ringbuf_bytes; /* eBPF ring buffer; 0: 16 MiB */
	size_t wakeup_bytes;  /* see struct tulpen_watch_bpf_opts */
	unsigned skip_parts;  /* TULPEN_WATCH_PART_* not to load */
	/*
	 * Called with one line of text (no newline) for the user: the
	 * source fell back, a part is missing, events were lost. May be NULL.
	 */
	void (*notice)(void *data, const char *msg);
	/* Asked often: non-zero ends the run soon. May be NULL. */
	int (*stop)(void *data);
	void *data;
};

struct tulpen_watch_session;

/*
 * Open the source, seed the tracker and write the start records (JSON:
 * the start object and every existing connection; text: a header and the
 * state counts, or the connections with opts->existing) to @out, which is
 * flushed. Returns 0, or a negative errno with the cause in the context
 * (a namespace that cannot be entered; --source=bpf and eBPF is not
 * usable; neither source works).
 */
int tulpen_watch_session_new(struct tulpen_ctx *ctx,
			     const struct tulpen_watch_session_opts *opts,
			     struct tulpen_buf *out,
			     struct tulpen_watch_session **sp);

/*
 * Report events until opts->stop says so, @duration_ns have passed (0:
 * no limit) or the output fails. Returns 0, or a negative errno: the
 * output's (-EPIPE for a reader that went away) or the source's, with
 * details in the context.
 */
int tulpen_watch_session_run(struct tulpen_watch_session *s,
			     uint64_t duration_ns);

/*
 * Count the last losses and close the JSON array; flushes @out. Returns 0
 * or the output's error.
 */
int tulpen_watch_session_end(struct tulpen_watch_session *s);

/* "bpf" or "sampled". */
const char *tulpen_watch_session_source(const struct tulpen_watch_session *s);

struct tulpen_watch_stats {
	uint64_t events;      /* from the source */
	uint64_t transitions; /* state changes among them */
	uint64_t timewait;    /* ... reported from time-wait sockets */
	uint64_t accepts;
	uint64_t lifetimes; /* connections that ended */
	uint64_t lost;	    /* events the eBPF side could not deliver */
};

void tulpen_watch_session_stats(const struct tulpen_watch_session *s,
				struct tulpen_watch_stats *st);

/* Detach and release everything. NULL is allowed. */
void tulpen_watch_session_free(struct tulpen_watch_session *s);

#endif /* TULPEN_WATCH_SESSION_H */
