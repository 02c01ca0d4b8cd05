/* SPDX-License-Identifier: MIT */
/*
 * tulpen/pcap_session.h - one run of `tulpen pcap`: capture files in,
 * a report of their TCP connections out.
 *
 * A session opens every capture file first (so a missing file, a file that
 * is not a capture or a link type that cannot be read is reported before
 * anything is written), then reads them in the order they were opened as
 * one stream through the connection table (tulpen/pcap_flows.h), keeps the
 * connections the filter lets through, and writes each as it is handed out
 * (tulpen/pcap_report.h) or adds it to the summary. The session writes only
 * into the caller's struct tulpen_buf; it never prints and never exits.
 * Malformed packets are passed to the warning callback; notes at the end of
 * a run (frames that could not be decoded, by cause, with counts) to the
 * note callback.
 *
 * Ownership: tulpen_pcap_session_new() allocates, tulpen_pcap_session_free()
 * releases the session and every file it opened. The context, the output
 * buffer and the filter are borrowed and must outlive the session.
 */
#ifndef TULPEN_PCAP_SESSION_H
#define TULPEN_PCAP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "tulpen/ctx.h"
#include "tulpen/fmt.h"
#include "tulpen/pcap_decode.h"
#include "tulpen/pcap_flows.h"
#include "tulpen/pcap_report.h"

/* A note at the end of a run: one line, no newline, valid during the call. */
typedef void (*tulpen_pcap_note_fn)(void *priv, const char *msg);

struct tulpen_pcap_session_opts {
	enum tulpen_pcap_out kind;	       /* table, JSON, NDJSON, Zeek */
	struct tulpen_pcap_report_opts report; /* verbose, header */
	struct tulpen_flows_opts flows;	       /* timeouts, compat */
	int summary;			       /* totals instead of rows */
	size_t top;			       /* top talkers (0: 10) */
	const struct tulpen_filter *filter;    /* NULL: every connection */
	tulpen_pcap_warn_fn warn;	       /* malformed packets, or NULL */
	void *warn_priv;
	tulpen_pcap_note_fn note; /* end-of-run notes, or NULL */
	void *note_priv;
	/*
	 * 0: a capture file is read and decoded by a second thread while
	 * this one runs the connection table (same output, in the same
	 * order), when 2 CPUs are usable and the input is not standard
	 * input; @warn is then called from that thread. 1: one thread.
	 */
	int threads;
};

struct tulpen_pcap_session;

int tulpen_pcap_session_new(struct tulpen_ctx *ctx,
			    const struct tulpen_pcap_session_opts *opts,
			    struct tulpen_buf *out,
			    struct tulpen_pcap_session **s);

/*
 * tulpen_pcap_session_open - open and check the capture @path ("-":
 * standard input, whose rows are then flushed as they are written). Returns
 * 0, or a negative errno with "PATH: what is wrong" in the context.
 */
int tulpen_pcap_session_open(struct tulpen_pcap_session *s, const char *path);

/*
 * tulpen_pcap_session_run - read every opened file and write the report.
 * A file that cannot be read to its end is named in a note ("PATH: packet
 * N: what; the rest of this file was not read") and the next files are
 * still read. Returns 0; -EIO when a file could not be read to its end
 * (the connections read have been reported; the context says how many
 * files); -EPIPE when the output was closed; -ENOMEM; or the output
 * buffer's negative errno.
 */
int tulpen_pcap_session_run(struct tulpen_pcap_session *s);

/* What was read so far, over every file. */
void tulpen_pcap_session_input(const struct tulpen_pcap_session *s,
			       struct tulpen_pcap_input *in);

void tulpen_pcap_session_free(struct tulpen_pcap_session *s);

#endif /* TULPEN_PCAP_SESSION_H */
