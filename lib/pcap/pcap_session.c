// SPDX-License-Identifier: MIT
/*
 * pcap_session.c - one run of `tulpen pcap`: open every file, then read
 * them as one stream through the connection table into the report or the
 * summary (tulpen/pcap_session.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap/pcap_pipe.h"
#include "tulpen/pcap_session.h"

struct tulpen_pcap_session {
	struct tulpen_ctx *ctx;
	struct tulpen_pcap_session_opts o;
	struct tulpen_buf *out;
	struct tulpen_pcap_report *rep;
	struct tulpen_pcap_summary *sum;
	struct tulpen_flows *flows;
	struct tulpen_pcap_reader **rd; /* opened, not yet read */
	size_t nrd, caprd, next;
	struct tulpen_pcap_input in;
	int flush_each; /* reading a pipe: write connections as they end */
	int t0_set;
	size_t unread;		/* files not read to their end */
	struct pcap_pipe *pipe; /* a reader thread, or NULL: one thread */
	uint32_t file;		/* the file being read */
};

static int on_conn(void *priv, const struct tulpen_flow *c)
{
	struct tulpen_pcap_session *s = priv;
	int ret;

	if (!tulpen_flow_filter_match(s->o.filter, c))
		return 0;
	if (s->sum)
		return tulpen_pcap_summary_add(s->sum, c);
	ret = tulpen_pcap_report_conn(s->rep, c);
	if (ret)
		return ret;
	return s->flush_each ? tulpen_buf_flush(s->out) : 0;
}

int tulpen_pcap_session_new(struct tulpen_ctx *ctx,
			    const struct tulpen_pcap_session_opts *opts,
			    struct tulpen_buf *out,
			    struct tulpen_pcap_session **ret)
{
	struct tulpen_pcap_session *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->ctx = ctx;
	if (opts)
		s->o = *opts;
	if (!s->o.top)
		s->o.top = 10;
	s->out = out;
	if ((s->o.summary && tulpen_pcap_summary_new(&s->sum)) ||
	    tulpen_pcap_report_new(s->o.kind, &s->o.report, out, &s->rep) ||
	    tulpen_flows_new(&s->o.flows, on_conn, s, &s->flows)) {
		tulpen_pcap_session_free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

int tulpen_pcap_session_open(struct tulpen_pcap_session *s, const char *path)
{
	struct tulpen_pcap_reader *rd;
	int ret;

	if (s->nrd == s->caprd) {
		size_t ncap = s->caprd ? s->caprd * 2 : 4;
		void *n = realloc(s->rd, ncap * sizeof(*s->rd));

		if (!n)
			return -ENOMEM;
		s->rd = n;
		s->caprd = ncap;
	}
	ret = tulpen_pcap_open(s->ctx, path, s->o.warn, s->o.warn_priv, &rd);
	if (ret)
		return ret;
	s->rd[s->nrd++] = rd;
	if (!strcmp(path, "-"))
		s->flush_each = 1;
	return 0;
}

static void add_input(struct tulpen_pcap_input *in,
		      const struct tulpen_pcap_reader *rd)
{
	struct tulpen_pcap_stats st;

	tulpen_pcap_stats(rd, &st);
	in->frames += st.frames;
	in->tcp += st.tcp;
	in->other += st.other + st.skipped;
	in->bad += st.bad;
}

/* One note per kind of frame that could not be looked into. */
static void notes(struct tulpen_pcap_session *s,
		  const struct tulpen_pcap_reader *rd)
{
	struct tulpen_pcap_skip sk[TULPEN_PCAP_SKIP_KINDS];
	struct tulpen_pcap_stats st;
	size_t n, i;
	char msg[256];

	if (!s->o.note)
		return;
	tulpen_pcap_stats(rd, &st);
	if (st.clamped) {
		snprintf(msg, sizeof(msg),
			 "%s: %llu packet times outside what 64-bit "
			 "nanoseconds hold (years 1677 to 2262), clamped to "
			 "its ends",
			 tulpen_pcap_path(rd), (unsigned long long)st.clamped);
		s->o.note(s->o.note_priv, msg);
	}
	n = tulpen_pcap_skips(rd, sk, TULPEN_PCAP_SKIP_KINDS);
	for (i = 0; i < n; i++) {
		if (!strcmp(sk[i].why, "link type not decoded"))
			snprintf(msg, sizeof(msg),
				 "%s: %llu frames skipped: link type %d (%s) "
				 "is not decoded",
				 tulpen_pcap_path(rd),
				 (unsigned long long)sk[i].count,
				 tulpen_pcap_linktype(rd),
				 tulpen_pcap_linktype_name(rd));
		else
			snprintf(msg, sizeof(msg),
				 "%s: %llu frames skipped: %s",
				 tulpen_pcap_path(rd),
				 (unsigned long long)sk[i].count, sk[i].why);
		s->o.note(s->o.note_priv, msg);
	}
}

/* One segment through the table (its key made, or @sk NULL). */
static int on_segment(void *priv, const struct tulpen_pkt *p,
		      const struct seg_key *sk)
{
	struct tulpen_pcap_session *s = priv;

	if (!s->t0_set) {
		tulpen_pcap_report_set_t0(s->rep, p->ts_ns);
		s->t0_set = 1;
	}
	if (sk)
		return pcap_flows_segment_key(s->flows, p, s->file, sk);
	return tulpen_flows_segment(s->flows, p, s->file);
}

/*
 * Every segment of one file through the table: decoded by a second thread
 * when there is one (a pipe's rows are written as they end, so it is read
 * here, segment by segment).
 */
static int read_file(struct tulpen_pcap_session *s,
		     struct tulpen_pcap_reader *rd, uint32_t file)
{
	struct tulpen_pkt pkt;
	int r;

	s->file = file;
	if (s->pipe && !s->flush_each) {
		r = pcap_pipe_run(s->pipe, rd, on_segment, s);
		if (r != -EAGAIN)
			return r;
	}
	while ((r = tulpen_pcap_next(rd, &pkt)) == 1) {
		r = on_segment(s, &pkt, NULL);
		if (r < 0)
			break;
	}
	return r;
}

static void note(struct tulpen_pcap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct tulpen_pcap_session *s, const char *fmt, ...)
{
	char msg[640];
	va_list ap;

	if (!s->o.note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->o.note(s->o.note_priv, msg);
}

/* What the connection table did that the rows alone do not show. */
static void table_notes(struct tulpen_pcap_session *s)
{
	struct tulpen_flows_stats fst;

	tulpen_flows_stats(s->flows, &fst);
	if (fst.evicted)
		note(s,
		     "%llu connections handed out before their end (end "
		     "'evicted') to stay within the memory budget of %llu "
		     "MiB; a later segment of one starts a new record "
		     "(--max-memory raises it)",
		     (unsigned long long)fst.evicted,
		     (unsigned long long)((s->o.flows.max_memory
						   ? s->o.flows.max_memory
						   : TULPEN_FLOWS_MAX_MEMORY) >>
					  20));
	if (s->sum && tulpen_pcap_summary_dropped(s->sum))
		note(s,
		     "top talkers approximate: more addresses than the "
		     "summary keeps (%zu); the least active were dropped "
		     "along the way, %llu times",
		     tulpen_pcap_summary_capacity(s->sum),
		     (unsigned long long)tulpen_pcap_summary_dropped(s->sum));
	if (fst.out_of_order)
		note(s,
		     "%llu segments earlier than one read before them (time "
		     "going backwards); times before the first packet are "
		     "shown as its time",
		     (unsigned long long)fst.out_of_order);
}

/* The end of the input: the rest of the connections, then the totals. */
static int finish(struct tulpen_pcap_session *s)
{
	struct tulpen_flows_stats fst;
	char msg[160];
	int ret;

	ret = tulpen_flows_finish(s->flows);
	if (ret)
		return ret;
	tulpen_flows_stats(s->flows, &fst);
	if (fst.too_deep && s->o.note) {
		snprintf(msg, sizeof(msg),
			 "%llu TCP segments skipped: inside more than 4 "
			 "tunnels (Zeek's Tunnel::max_depth)",
			 (unsigned long long)fst.too_deep);
		s->o.note(s->o.note_priv, msg);
	}
	if (!s->sum)
		return tulpen_pcap_report_end(s->rep);
	s->in.late = fst.late;
	s->in.out_of_order = fst.out_of_order;
	tulpen_pcap_summary_set_input(s->sum, &s->in);
	return tulpen_pcap_summary_write(
		s->sum, s->out, s->o.kind != TULPEN_PCAP_TABLE, s->o.top);
}

int tulpen_pcap_session_run(struct tulpen_pcap_session *s)
{
	int ret = 0, fin;

	/* Without the ring (no memory, one CPU) one thread does it all. */
	if (s->o.threads != 1 && !s->pipe && pcap_pipe_cpus_ok() &&
	    pcap_pipe_new(&s->pipe))
		s->pipe = NULL;
	for (; s->next < s->nrd && !ret; s->next++) {
		struct tulpen_pcap_reader *rd = s->rd[s->next];

		ret = read_file(s, rd, (uint32_t)s->next);
		add_input(&s->in, rd);
		notes(s, rd);
		if (ret == -EIO) {
			/* said now; the other files are still read */
			note(s, "%s; the rest of this file was not read",
			     tulpen_ctx_errmsg(s->ctx));
			s->unread++;
			ret = 0;
		} else if (ret == -ENOMEM) {
			/* what was read is still reported, then this */
			note(s,
			     "out of memory at %s, after %llu frames of it: "
			     "the rest of the input was not read; the report "
			     "covers what was read until then",
			     tulpen_pcap_path(rd),
			     (unsigned long long)(s->in.frames));
		}
		tulpen_pcap_close(rd);
		s->rd[s->next] = NULL;
	}
	if (ret == -EPIPE)
		return ret;
	if (ret)
		tulpen_ctx_seterr(s->ctx, "%s", strerror(-ret));
	/* Whatever stopped the reading: report what was read. */
	fin = finish(s);
	if (fin == -EPIPE)
		return fin;
	table_notes(s);
	if (!ret)
		ret = fin;
	fin = tulpen_buf_flush(s->out);
	if (!ret)
		ret = fin;
	if (!ret && s->unread) {
		tulpen_ctx_seterr(s->ctx,
				  "%zu of %zu captures not read to their end",
				  s->unread, s->nrd);
		ret = -EIO;
	}
	return ret;
}

void tulpen_pcap_session_input(const struct tulpen_pcap_session *s,
			       struct tulpen_pcap_input *in)
{
	struct tulpen_flows_stats fst;

	*in = s->in;
	tulpen_flows_stats(s->flows, &fst);
	in->late = fst.late;
	in->out_of_order = fst.out_of_order;
}

void tulpen_pcap_session_free(struct tulpen_pcap_session *s)
{
	size_t i;

	if (!s)
		return;
	for (i = s->next; i < s->nrd; i++)
		tulpen_pcap_close(s->rd[i]);
	free(s->rd);
	pcap_pipe_free(s->pipe);
	tulpen_flows_free(s->flows);
	tulpen_pcap_report_free(s->rep);
	tulpen_pcap_summary_free(s->sum);
	free(s);
}
