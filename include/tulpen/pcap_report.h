/* SPDX-License-Identifier: MIT */
/*
 * tulpen/pcap_report.h - text forms of reconstructed connections: the
 * table (one line per connection, optionally each endpoint's timeline),
 * JSON and NDJSON, the summary, and the connection filter.
 *
 * Everything writes into a struct tulpen_buf (tulpen/fmt.h) the caller
 * owns; nothing here writes to a file descriptor. Field names are
 * documented in docs/pcap.md.
 *
 * Ownership: each _new() allocates, the matching _free() releases. The
 * output buffer is borrowed and must outlive the report.
 */
#ifndef TULPEN_PCAP_REPORT_H
#define TULPEN_PCAP_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "tulpen/fmt.h"
#include "tulpen/filter.h"
#include "tulpen/pcap_flows.h"

enum tulpen_pcap_out {
	TULPEN_PCAP_TABLE = 0,
	TULPEN_PCAP_JSON,      /* one array */
	TULPEN_PCAP_NDJSON,    /* one object per line */
	TULPEN_PCAP_ZEEK,      /* Zeek's conn.log, tab-separated with header */
	TULPEN_PCAP_ZEEK_JSON, /* Zeek's conn.log in its JSON form */
};

struct tulpen_pcap_report_opts {
	int verbose; /* table: each endpoint's timeline under the line */
	int header;  /* table: a header line */
	/* Table: "Start" is printed relative to this time (first packet). */
	int64_t t0_ns;
};

struct tulpen_pcap_report;

int tulpen_pcap_report_new(enum tulpen_pcap_out kind,
			   const struct tulpen_pcap_report_opts *opts,
			   struct tulpen_buf *out,
			   struct tulpen_pcap_report **rep);
/* Set the reference time for relative starts (before the first conn). */
void tulpen_pcap_report_set_t0(struct tulpen_pcap_report *r, int64_t t0_ns);
/* Returns 0 or the buffer's negative errno. */
int tulpen_pcap_report_conn(struct tulpen_pcap_report *r,
			    const struct tulpen_flow *c);
/* Close the JSON array. Returns 0 or the buffer's negative errno. */
int tulpen_pcap_report_end(struct tulpen_pcap_report *r);
void tulpen_pcap_report_free(struct tulpen_pcap_report *r);

/*
 * The summary: connections per pair of final states (client/server), per
 * Zeek conn_state, and the top talkers (addresses by bytes sent and
 * received, with their number of connections).
 */
struct tulpen_pcap_summary;

int tulpen_pcap_summary_new(struct tulpen_pcap_summary **s);
int tulpen_pcap_summary_add(struct tulpen_pcap_summary *s,
			    const struct tulpen_flow *c);
/*
 * What was read, for the summary's first lines: frames, TCP segments,
 * other frames (not TCP over IP), malformed frames skipped, and segments
 * of connections already handed out (late).
 */
struct tulpen_pcap_input {
	uint64_t frames, tcp, other, bad, late;
	uint64_t out_of_order; /* segments earlier than one before them */
};
void tulpen_pcap_summary_set_input(struct tulpen_pcap_summary *s,
				   const struct tulpen_pcap_input *in);

/* Write it as text or (json != 0) one JSON object, @top talkers. */
int tulpen_pcap_summary_write(const struct tulpen_pcap_summary *s,
			      struct tulpen_buf *out, int json, size_t top);
void tulpen_pcap_summary_free(struct tulpen_pcap_summary *s);
/*
 * The summary keeps at most capacity() talkers; when more addresses come,
 * the less active half is dropped (dropped() says how many in all, 0 when
 * the top talkers are exact).
 */
size_t tulpen_pcap_summary_capacity(const struct tulpen_pcap_summary *s);
uint64_t tulpen_pcap_summary_dropped(const struct tulpen_pcap_summary *s);

/*
 * Connections through the filter language (tulpen/filter.h, parsed with
 * opts.captures set; docs/filters.md): @c as its two ends' sockets in *@v,
 * and whether @f selects @c (1) or not (0); a NULL @f selects every one.
 */
void tulpen_flow_filter_view(const struct tulpen_flow *c,
			     struct tulpen_filter_conn *v);
int tulpen_flow_filter_match(const struct tulpen_filter *f,
			     const struct tulpen_flow *c);

#endif /* TULPEN_PCAP_REPORT_H */
