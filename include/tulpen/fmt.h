/* SPDX-License-Identifier: MIT */
/*
 * tulpen/fmt.h - output back ends over struct tulpen_sock.
 *
 * A formatter turns socket records into text in a buffer it owns and hands
 * full buffers to a sink the caller provides; the library itself never
 * writes to a file descriptor. Back ends: an aligned table (columns sized to
 * the data), JSON (one document), NDJSON (one object per line, streamed),
 * and the column layouts of `netstat -tulpen` and `ss -tulpen`.
 *
 * Ownership: tulpen_fmt_new() allocates; tulpen_fmt_free() releases. The
 * services, users and resolver helpers passed in options are borrowed and
 * must outlive the formatter.
 */
#ifndef TULPEN_FMT_H
#define TULPEN_FMT_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/sock.h"
#include "tulpen/owners.h"
#include "tulpen/names.h"

enum tulpen_fmt_kind {
	TULPEN_FMT_TABLE = 0,
	TULPEN_FMT_JSON,
	TULPEN_FMT_NDJSON,
	TULPEN_FMT_NETSTAT,
	TULPEN_FMT_SS,
};

/*
 * The sink: write @len bytes of @buf somewhere. Return 0, or a negative
 * errno to stop (e.g. -EPIPE); the formatter then returns that errno.
 */
typedef int (*tulpen_sink_fn)(void *priv, const char *buf, size_t len);

struct tulpen_fmt_opts {
	int numeric;	   /* -n: no service or user names */
	int show_owners;   /* -p */
	int extended;	   /* -e: user, inode, cookie */
	int timers;	   /* -o */
	int header;	   /* print a header line (table, netstat, ss) */
	int color;	   /* ANSI colours for states (table only) */
	int listening;	   /* netstat title: "(only servers)" */
	int all;	   /* netstat title: "(servers and established)" */
	int ss_no_netid;   /* ss layout: one protocol, no Netid column */
	int show_netns;	   /* table: the Netns column (s->netns_*) */
	int show_container; /* table: the Container column (s->container) */
	/* Borrowed helpers; any may be NULL. */
	const struct tulpen_services *services;
	struct tulpen_users *users;
	struct tulpen_resolver *resolver;
	struct tulpen_cgroups *cgroups; /* ss layout with -e: cgroup paths */
	/*
	 * Table only: how many bytes of rows to hold to size the columns
	 * before streaming (0: a default of 1 MiB). Rows after that are
	 * printed as they come, widening a column where needed, never
	 * truncating.
	 */
	size_t table_hold;
};

struct tulpen_fmt;

int tulpen_fmt_new(enum tulpen_fmt_kind kind,
		   const struct tulpen_fmt_opts *opts, tulpen_sink_fn sink,
		   void *sink_priv, struct tulpen_fmt **out);

/*
 * Format one socket, with its @nowners holders (may be 0). Returns 0 or the
 * sink's negative errno.
 */
int tulpen_fmt_sock(struct tulpen_fmt *f, const struct tulpen_sock *s,
		    const struct tulpen_owner *owners, size_t nowners);

/*
 * Finish the output (flush held table rows, close the JSON array) and hand
 * everything to the sink. Returns 0 or the sink's negative errno.
 */
int tulpen_fmt_end(struct tulpen_fmt *f);

void tulpen_fmt_free(struct tulpen_fmt *f);

/*
 * A growable output buffer used by every back end. Exposed so that other
 * outputs (summary, explain, pcap reports) share one implementation.
 * Ownership: tulpen_buf_init()/tulpen_buf_fini().
 */
struct tulpen_buf {
	char *data;
	size_t len;
	size_t cap;
	tulpen_sink_fn sink; /* may be NULL: grow without flushing */
	void *sink_priv;
	size_t flush_at;     /* flush to the sink when len reaches this */
	int err;	     /* first error from the sink or allocation */
};

int tulpen_buf_init(struct tulpen_buf *b, size_t flush_at, tulpen_sink_fn sink,
		    void *sink_priv);
void tulpen_buf_fini(struct tulpen_buf *b);
int tulpen_buf_put(struct tulpen_buf *b, const char *s, size_t n);
int tulpen_buf_puts(struct tulpen_buf *b, const char *s);
int tulpen_buf_putc(struct tulpen_buf *b, char c);
int tulpen_buf_printf(struct tulpen_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int tulpen_buf_u64(struct tulpen_buf *b, uint64_t v);
int tulpen_buf_i64(struct tulpen_buf *b, int64_t v);
int tulpen_buf_pad(struct tulpen_buf *b, char c, size_t n);
/* A JSON string literal, quotes included, with escapes. */
int tulpen_buf_json_str(struct tulpen_buf *b, const char *s);
/* Hand what is buffered to the sink. */
int tulpen_buf_flush(struct tulpen_buf *b);

/*
 * Text forms shared by the back ends. Each writes a NUL-terminated string
 * into @out (at most @size bytes) and returns its length.
 * tulpen_fmt_addr: "10.0.0.1:22", "[::1]:443", "[fe80::1%eth0]:22",
 * "*:*"-style wildcards as ss prints them, service names unless numeric.
 */
size_t tulpen_fmt_endpoint(char *out, size_t size, int family,
			   const struct tulpen_endpoint *ep, uint32_t ifindex,
			   int proto, const struct tulpen_services *svc,
			   struct tulpen_resolver *res, int bracket_v6);
/* "1.5s", "2min3s", "1h2min", "-" for off timers. */
size_t tulpen_fmt_duration_ms(char *out, size_t size, int64_t ms);

#endif /* TULPEN_FMT_H */
