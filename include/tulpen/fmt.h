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
#include <sys/types.h>
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
	int numeric;	 /* -n: no service or user names */
	int show_owners; /* -p */
	int extended;	 /* -e: user, inode, cookie */
	int timers;	 /* -o */
	int header;	 /* print a header line (table, netstat, ss) */
	int color;	 /* ANSI colours for states (table only) */
	int listening;	 /* netstat title: "(only servers)" */
	int all;	 /* netstat title: "(servers and established)" */
	int ss_no_netid; /* ss layout: one protocol, no Netid column */
	int ss_no_state; /* ss layout: one state, no State column */
	/*
	 * ss layout: the terminal's width when the output is one (ss then
	 * spreads the columns over it); 0: not a terminal.
	 */
	int ss_screen_width;
	int show_netns;	    /* table: the Netns column (s->netns_*) */
	int show_container; /* table: the Container column (s->container) */
	/*
	 * ss's extras (the records carry them when the query asked,
	 * tulpen/collect.h): -i tcp_info, -m socket memory, --tos,
	 * --cgroup, --inet-sockopt; oneline (-O): --style=ss puts -i, -m
	 * and --inet-sockopt on the socket's line instead of the next.
	 */
	int info, memory, tos, show_cgroup, inet_sockopt, oneline;
	int show_threads; /* -T: each holder's tid (tulpen/owners.h) */
	int bpf;	  /* -b: packet sockets' classic BPF filters */
	int tipcinfo;	  /* --tipcinfo: TIPC type, congestion, drops, via */
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

/*
 * Hand what is buffered to the sink now (for streams such as destroy
 * events; the table streams only past its hold, opts.table_hold). Returns
 * 0 or the sink's negative errno.
 */
int tulpen_fmt_flush(struct tulpen_fmt *f);

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
	size_t flush_at; /* flush to the sink when len reaches this */
	int err;	 /* first error from the sink or allocation */
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
/*
 * Write @text wrapped at @width columns and a newline: the first line
 * indented by @indent spaces, the ones after by @hang. Words break at
 * spaces; the last @keep bytes of @text (0: none) stay together on one
 * line, so that a label is never split from its own words.
 */
int tulpen_buf_wrap(struct tulpen_buf *b, size_t indent, size_t hang,
		    size_t width, const char *text, size_t keep);
/*
 * Names and paths in text output: the one escape (docs/escape.md). A
 * backslash becomes two; printable ASCII but '"' and well-formed UTF-8 are
 * kept,
 * except the characters that break lines or reorder text; every other
 * byte (control characters, ESC, invalid UTF-8) becomes a backslash and
 * three octal digits (ESC: \033). tulpen_unescape() reverses it.
 *
 * tulpen_buf_escaped() writes @s escaped. tulpen_escape() writes it into
 * @out (NUL-terminated, whole escapes only, cut at @size) and returns the
 * length; TULPEN_ESC_MAX(n) bytes hold any n-byte string. tulpen_unescape()
 * writes the original bytes (NUL-terminated) and returns their number,
 * -EINVAL for a backslash followed by neither a backslash nor three octal
 * digits,
 * -ENOSPC when @size is too small.
 */
#define TULPEN_ESC_MAX(n) (4 * (n) + 1)
int tulpen_buf_escaped(struct tulpen_buf *b, const char *s);
size_t tulpen_escape(char *out, size_t size, const char *s);
ssize_t tulpen_unescape(char *out, size_t size, const char *s);
/* Hand what is buffered to the sink. */
int tulpen_buf_flush(struct tulpen_buf *b);

/*
 * Numbers: the one decimal formatter. Each writes its text at @out with no
 * NUL and returns the length; @out needs TULPEN_FMT_NUM_MAX bytes.
 */
#define TULPEN_FMT_NUM_MAX 48
size_t tulpen_fmt_u64(char *out, uint64_t v);
size_t tulpen_fmt_i64(char *out, int64_t v);
/* At least @width digits (at most 20), zero-padded: "007". */
size_t tulpen_fmt_u64_pad(char *out, uint64_t v, unsigned int width);
/*
 * @v / 10^@decimals with exactly @decimals decimals (at most 18), cut, not
 * rounded: (1500, 3) "1.500", (-250, 3) "-0.250", (7, 0) "7". JSON times
 * are this with microseconds: tulpen_buf_fixed(b, us, 6).
 */
size_t tulpen_fmt_fixed(char *out, int64_t v, unsigned int decimals);
int tulpen_buf_fixed(struct tulpen_buf *b, int64_t v, unsigned int decimals);

/*
 * Endpoints: the one endpoint formatter. Every layout says how it spells
 * an address and port; all of them go through tulpen_fmt_ep():
 *   table    brackets                    "[fe80::1%eth0]:22", "10.0.0.1:80"
 *   ss       brackets, dev_after,        "[fe80::1]%eth0:22", "*:22"
 *            any_star (when !v6only)
 *   netstat  unmap_v4                    "::1:22", "10.0.0.1:22" (mapped)
 *   reports  brackets                    "[::1]:443"
 * Port 0 is "*"; service names when @services is set (never for RAW,
 * whose "port" is the IP protocol); host names when @resolver has one
 * (never bracketed). The structure is the caller's; the helpers in it are
 * borrowed.
 */
struct tulpen_ep_style {
	unsigned int brackets : 1;  /* IPv6 in brackets */
	unsigned int dev_after : 1; /* "%dev" after the host, any family */
	unsigned int any_star : 1;  /* the IPv6 any address as "*" */
	unsigned int unmap_v4 : 1;  /* ::ffff:a.b.c.d as a.b.c.d */
	int proto;		    /* enum tulpen_proto, for service names */
	const struct tulpen_services *services; /* NULL: numeric ports */
	struct tulpen_resolver *resolver;	/* NULL: numeric hosts */
};

/*
 * "host:port" into @out (at most @size bytes, NUL-terminated), cut to fit;
 * @ifindex: the bound device or scope (0: none). Returns the length.
 */
size_t tulpen_fmt_ep(char *out, size_t size, int family,
		     const struct tulpen_endpoint *ep, uint32_t ifindex,
		     const struct tulpen_ep_style *st);
/*
 * The JSON endpoint object of docs/json.md: {"address", "port"} and, when
 * known, "interface" (@ifindex), "service" (st->services), "host"
 * (st->resolver). @st may be NULL (address and port only).
 */
int tulpen_buf_json_endpoint(struct tulpen_buf *b, int family,
			     const struct tulpen_endpoint *ep, uint32_t ifindex,
			     const struct tulpen_ep_style *st);
/* Pieces of it. Each NUL-terminates and returns the length. */
/* The address alone: "10.0.0.1", "::1", "fe80::1%eth0" (@ifindex != 0). */
size_t tulpen_fmt_addr(char *out, size_t size, int family, const void *addr,
		       uint32_t ifindex);
/* A dotted quad at @out (16 bytes). */
size_t tulpen_fmt_v4(char *out, const uint8_t *a);
/* "*" for 0, a service name (@svc, not for RAW), else digits; @size >= 21. */
size_t tulpen_fmt_port(char *out, size_t size, uint16_t port, int proto,
		       const struct tulpen_services *svc);
/* The name of interface @ifindex ("eth0"), or its number. */
size_t tulpen_fmt_ifname(char *out, size_t size, uint32_t ifindex);
/* "1.5s", "2min3s", "1h2min", "-" for off timers. */
size_t tulpen_fmt_duration_ms(char *out, size_t size, int64_t ms);
/*
 * The same from nanoseconds, finer below a minute: "52us", "1.234ms",
 * "2.500s", then as tulpen_fmt_duration_ms(); "?" when negative.
 */
size_t tulpen_fmt_duration_ns(char *out, size_t size, int64_t ns);

#endif /* TULPEN_FMT_H */
