/* SPDX-License-Identifier: MIT */
/*
 * tulpen/explain.h - what a TCP state means, on this host.
 *
 * The texts (meaning, how a socket gets into a state and out of it, which
 * side is in it, what many of them mean) are static; the durations are
 * worked out from the host's sysctls read below the context's proc root;
 * the ways in and out are listed from the state machine's table
 * (tulpen/tcp_fsm.h). The diagram and its Graphviz form are drawn from that
 * table too.
 *
 * Ownership: struct tulpen_host_tcp is a plain value filled by
 * tulpen_host_tcp_read(); the explanation entries are static. Output goes
 * into a struct tulpen_buf the caller owns (tulpen_buf_init/_fini).
 */
#ifndef TULPEN_EXPLAIN_H
#define TULPEN_EXPLAIN_H

#include <stdint.h>
#include "tulpen/ctx.h"
#include "tulpen/fmt.h"

/* The sysctls that decide how long states last. */
enum tulpen_sysctl {
	TULPEN_SYSCTL_FIN_TIMEOUT = 0,
	TULPEN_SYSCTL_SYN_RETRIES,
	TULPEN_SYSCTL_SYNACK_RETRIES,
	TULPEN_SYSCTL_KEEPALIVE_TIME,
	TULPEN_SYSCTL_KEEPALIVE_INTVL,
	TULPEN_SYSCTL_KEEPALIVE_PROBES,
	TULPEN_SYSCTL_MAX_TW_BUCKETS,
	TULPEN_SYSCTL_TW_REUSE,
	TULPEN_SYSCTL_RETRIES2,
	TULPEN_SYSCTL_ORPHAN_RETRIES,
	TULPEN_SYSCTL_MAX_SYN_BACKLOG,
	TULPEN_SYSCTL_SYNCOOKIES,
	TULPEN_SYSCTL_SOMAXCONN,
	TULPEN_SYSCTL_SYN_LINEAR_TIMEOUTS, /* Linux 6.5+ */
	TULPEN_SYSCTL_RFC1337,
	TULPEN_SYSCTL_MAX_ORPHANS, /* host-wide: not in other namespaces */
	TULPEN_SYSCTL_MAX,
};

/* Values of the sysctls; -1 where the file does not exist. */
struct tulpen_host_tcp {
	long long v[TULPEN_SYSCTL_MAX];
};

/* "tcp_fin_timeout", ... */
const char *tulpen_sysctl_name(int id);
/* Path below the proc root: "sys/net/ipv4/tcp_fin_timeout", ... */
const char *tulpen_sysctl_path(int id);

/*
 * tulpen_host_tcp_read - read every sysctl below the context's proc root,
 * in the context's network namespace (tulpen_ctx_set_netns_fd()); a
 * sysctl the kernel keeps host-wide (tcp_max_orphans, tcp_mem), which a
 * namespace does not have, is read in the caller's. A missing file leaves
 * -1 (an older kernel, a recorded fixture without it). A file that is not
 * one non-negative decimal number is an error: -EINVAL with the file named
 * in tulpen_ctx_errmsg(). Other read errors return their negative errno
 * the same way. Returns 0 on success.
 */
int tulpen_host_tcp_read(struct tulpen_ctx *ctx, struct tulpen_host_tcp *h);

/*
 * tulpen_host_sysctl_numbers - the numbers of one sysctl file that holds
 * several (@rel below the proc root: "sys/net/ipv4/ip_local_port_range",
 * "sys/net/ipv4/tcp_mem"), read as tulpen_host_tcp_read() reads, into @v
 * (at most @max). Returns how many were read, 0 when the file does not
 * exist, or a negative errno (-EINVAL: not numbers) with the file named
 * in tulpen_ctx_errmsg().
 */
int tulpen_host_sysctl_numbers(struct tulpen_ctx *ctx, const char *rel,
			       uint64_t *v, size_t max);

/* The static texts for one state. */
struct tulpen_state_info {
	int state;	     /* enum tulpen_tcp_state */
	const char *meaning; /* what the state is */
	const char *side;    /* which endpoint is in it */
	const char *enter;   /* how a socket gets there, in words */
	const char *leave;   /* how it leaves */
	const char *pileup;  /* what many sockets in it mean */
	const char *owners;  /* the command to find who holds them */
};

/*
 * The entry for @state: every value of enum tulpen_tcp_state but
 * TULPEN_TCP_UNKNOWN has one (NEW_SYN_RECV shares SYN-RECEIVED's). NULL for
 * anything else.
 */
const struct tulpen_state_info *tulpen_state_info(int state);

struct tulpen_explain_opts {
	/* Host values; NULL: durations are given without them. */
	const struct tulpen_host_tcp *host;
	/* Sockets in the state now, or -1 for "not counted". */
	long long count;
};

/*
 * tulpen_explain_duration - how long @state normally lasts, with the host's
 * values where they matter, as one paragraph (no trailing newline).
 */
int tulpen_explain_duration(struct tulpen_buf *b, int state,
			    const struct tulpen_host_tcp *host);

/*
 * tulpen_explain_text - the explanation of @state for a terminal, wrapped
 * at 80 columns. Returns 0, -EINVAL for a state without an entry, or the
 * buffer's negative errno.
 */
int tulpen_explain_text(struct tulpen_buf *b, int state,
			const struct tulpen_explain_opts *o);

/* tulpen_explain_json - the same as one JSON object and a newline. */
int tulpen_explain_json(struct tulpen_buf *b, int state,
			const struct tulpen_explain_opts *o);

/*
 * tulpen_explain_diagram - RFC 9293's state diagram drawn with box-drawing
 * characters (UTF-8), no line wider than 80 columns, followed by the
 * transitions the figure does not draw, listed from the table. With
 * @ascii, only ASCII characters are used.
 */
int tulpen_explain_diagram(struct tulpen_buf *b, int ascii);

/*
 * tulpen_explain_dot - the state machine as a Graphviz digraph, generated
 * from the transition table: figure 5's arrows solid, the other state
 * changes dashed (Linux-only ones dotted).
 */
int tulpen_explain_dot(struct tulpen_buf *b);

/*
 * tulpen_explain_table_json - the whole transition table as one JSON
 * object: {"states": [...], "transitions": [...]}, rows in match order
 * (the first row that matches an event decides), each with "from",
 * "event", "flags_tested"/"flags_set" (TCP flags the row looks at / wants
 * set; the others tested must be clear), "conditions_tested"/
 * "conditions_set" (SEQ_BAD, ACK_BAD, ACK_FIN, DATA, PASSIVE), "to" (null:
 * no change), "send", "valid", "rfc_figure", "linux_only", "label", "why".
 */
int tulpen_explain_table_json(struct tulpen_buf *b);

/*
 * tulpen_explain_count - count the TCP sockets (IPv4 and IPv6) in @state on
 * the context's data source (SYN-RECEIVED includes request sockets).
 * Returns 0 or a negative errno with details in tulpen_ctx_errmsg().
 */
int tulpen_explain_count(struct tulpen_ctx *ctx, int state, uint64_t *count);

#endif /* TULPEN_EXPLAIN_H */
