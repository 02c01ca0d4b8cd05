// SPDX-License-Identifier: MIT
/*
 * watch_session.c - a watch session's setup and its records: pick the
 * source (eBPF, else sampled, and say why), seed the connection tracker
 * from what exists now, write the start records, and turn each event into
 * the tracker's view and the records the filter lets through. The loops
 * and the loss policy are in watch_run.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tulpen/owners.h"
#include "tulpen/netns.h"
#include "watch/watch_internal.h"

uint64_t watch_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int64_t realtime_offset(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return ((int64_t)r.tv_sec - (int64_t)m.tv_sec) * 1000000000ll +
	       ((int64_t)r.tv_nsec - (int64_t)m.tv_nsec);
}

int watch_stopping(const struct tulpen_watch_session *s)
{
	return s->o.stop && s->o.stop(s->o.data);
}

void watch_notice(struct tulpen_watch_session *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!s->o.notice)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->o.notice(s->o.data, msg);
}

void watch_rec_begin(struct tulpen_watch_session *s)
{
	if (s->o.output == TULPEN_WATCH_OUT_JSON)
		tulpen_buf_puts(s->out, s->nobjs ? ",\n" : "[\n");
	s->nobjs++;
}

void watch_rec_end(struct tulpen_watch_session *s)
{
	if (s->o.output == TULPEN_WATCH_OUT_NDJSON)
		tulpen_buf_putc(s->out, '\n');
}

/*
 * Under a flood the ring never runs dry: hand control back now and then
 * (and at once when stopping) so that summaries, losses and the stop are
 * served. The event is done: the reader has stepped past it.
 */
static int yield(struct tulpen_watch_session *s)
{
	/* A sampled step is one snapshot: never cut it short. */
	if (s->ws)
		return watch_stopping(s);
	return watch_stopping(s) || ++s->batch > WATCH_BATCH;
}

static void count(struct tulpen_watch_session *s,
		  const struct tulpen_watch_event *ev)
{
	s->st.events++;
	if (ev->type == TULPEN_WEV_OWNER)
		s->st.accepts++;
	else if (ev->oldstate != ev->newstate)
		s->st.transitions++;
	if (ev->timewait && ev->oldstate != ev->newstate)
		s->st.timewait++;
}

static void put_transition(struct tulpen_watch_session *s,
			   const struct tulpen_watch_event *ev,
			   const struct tulpen_watch_conn *cn)
{
	struct tulpen_watch_event e2;
	const struct tulpen_watch_event *pe = ev;

	/* The time in the old state, from the connection's path. */
	if (ev->type == TULPEN_WEV_STATE && ev->in_old_ns < 0 &&
	    cn->nsteps >= 2 && cn->steps[cn->nsteps - 2].dur_known) {
		e2 = *ev;
		e2.in_old_ns = cn->steps[cn->nsteps - 2].dur_ns;
		pe = &e2;
	}
	watch_rec_begin(s);
	tulpen_watch_fmt_event(s->out, &s->fo, pe, cn);
	watch_rec_end(s);
}

int watch_on_event(const struct tulpen_watch_event *ev, void *data)
{
	struct tulpen_watch_session *s = data;
	const struct tulpen_watch_conn *cn;
	int ended, err;

	count(s, ev);
	err = tulpen_conns_apply(s->conns, ev, &cn, &ended);
	if (err)
		return err;
	s->st.lifetimes += (unsigned)ended;
	if (!cn || s->quiet)
		return yield(s);
	if (s->o.transitions &&
	    watch_event_match(&s->o.filter, s->fo.labels, ev) &&
	    !(ev->type == TULPEN_WEV_STATE && ev->oldstate == ev->newstate))
		put_transition(s, ev, cn);
	if (ended && s->o.lifetimes &&
	    watch_conn_match(&s->o.filter, s->fo.labels, cn)) {
		watch_rec_begin(s);
		tulpen_watch_fmt_lifetime(s->out, &s->fo, cn);
		watch_rec_end(s);
	}
	if (s->out->err)
		return s->out->err;
	return yield(s);
}

static void on_existing(const struct tulpen_watch_conn *cn, void *data)
{
	struct tulpen_watch_session *s = data;

	if (!watch_conn_match(&s->o.filter, s->fo.labels, cn))
		return;
	watch_rec_begin(s);
	tulpen_watch_fmt_existing(s->out, &s->fo, cn);
	watch_rec_end(s);
}

void watch_put_summary(struct tulpen_watch_session *s, uint64_t lost)
{
	size_t counts[TULPEN_TCP_MAX_STATES];

	tulpen_conns_counts(s->conns, counts);
	watch_rec_begin(s);
	tulpen_watch_fmt_summary(s->out, &s->fo, watch_mono_ns(), counts,
				 tulpen_conns_size(s->conns), lost);
	watch_rec_end(s);
}

static const char *part_effect(unsigned part)
{
	switch (part) {
	case TULPEN_WATCH_PART_ACCEPT:
		return "accepted sockets keep their listener's owner";
	case TULPEN_WATCH_PART_TIMEWAIT:
		return "TIME-WAIT is not followed (shown as -> CLOSED)";
	case TULPEN_WATCH_PART_CONNECT:
		return "SYN-SENT is reported at the next transition";
	}
	return "";
}

static void sampled_notice(struct tulpen_watch_session *s, const char *why)
{
	watch_notice(s,
		     "SAMPLED mode%s: comparing socket snapshots every "
		     "%gs; transitions shorter than that are not seen",
		     why, (double)s->o.interval_ns / 1e9);
}

/* eBPF, or (auto) a notice and no source yet. Returns 0 or an error. */
static int open_bpf(struct tulpen_watch_session *s)
{
	struct tulpen_watch_bpf_opts bo = {
		.netns = s->netns,
		.skip_parts = s->o.skip_parts,
		.ringbuf_bytes = s->o.ringbuf_bytes,
		.wakeup_bytes = s->o.wakeup_bytes,
	};
	unsigned p;
	int err;

	err = tulpen_watch_bpf_open(s->ctx, &bo, &s->wb);
	if (err) {
		if (s->o.source == TULPEN_WATCH_PICK_BPF)
			return err;
		watch_notice(s, "%s", tulpen_ctx_errmsg(s->ctx));
		sampled_notice(s, "");
		return 0;
	}
	for (p = 1; p < 1u << TULPEN_WATCH_NPARTS; p <<= 1)
		if (tulpen_watch_bpf_missing(s->wb) & p)
			watch_notice(s, "eBPF: without the %s part (%s): %s",
				     tulpen_watch_part_name(p),
				     tulpen_watch_bpf_missing_why(s->wb, p),
				     part_effect(p));
	return 0;
}

/* The sampled source also hears the kernel's destroy events, if it may. */
static void destroy_events(struct tulpen_watch_session *s)
{
	int err = tulpen_watch_sampled_events(s->ws);

	if (err == -EOPNOTSUPP)
		return; /* a recording: nothing to say */
	if (err)
		watch_notice(s,
			     "sock_diag destroy events unavailable (%s): "
			     "connection ends are seen at the next snapshot",
			     strerror(-err));
	else
		watch_notice(s, "connection ends come from the kernel's "
				"sock_diag destroy events, as they happen");
}

/* Prefix the context's message with @what (it may be our own buffer). */
static int fail(struct tulpen_watch_session *s, int err, const char *what)
{
	char m[256];

	snprintf(m, sizeof(m), "%s", tulpen_ctx_errmsg(s->ctx));
	tulpen_ctx_seterr(s->ctx, "%s%s", what, m[0] ? m : strerror(-err));
	return err;
}

/* The source and the tracker's seed (from the watched namespace). */
static int setup_source(struct tulpen_watch_session *s)
{
	struct tulpen_owners *owners = NULL;
	int err = 0;

	if (s->o.source != TULPEN_WATCH_PICK_SAMPLED) {
		/*
		 * Owners of what exists now, before attaching: scanning /proc
		 * can take seconds on a big host, and events would pile up
		 * meanwhile. (A best effort: without it owners are unknown.)
		 */
		if (tulpen_owners_new(s->ctx, &owners))
			owners = NULL;
		err = open_bpf(s);
	} else {
		sampled_notice(s, " (--source=sampled)");
	}
	if (!err && s->wb) {
		/*
		 * Events since attach that precede the snapshot: into the
		 * tracker (the snapshot skips what they know), not printed.
		 */
		s->quiet = 1;
		err = tulpen_watch_bpf_poll(s->wb, 0, watch_on_event, s);
		s->quiet = 0;
		if (err >= 0)
			err = tulpen_conns_snapshot(s->conns, s->ctx, 0, owners,
						    NULL);
		if (err < 0)
			err = fail(s, err, "snapshot: ");
	} else if (!err) {
		err = tulpen_watch_sampled_new(s->ctx, &s->ws);
		if (!err)
			destroy_events(s);
		if (!err)
			err = tulpen_watch_sampled_step(s->ws, s->start_ns,
							watch_on_event, s);
		if (!err)
			err = tulpen_watch_sampled_seed(s->ws, s->conns);
		if (err)
			err = fail(s, err, "neither eBPF nor sampling works: ");
	}
	tulpen_owners_free(owners);
	return err < 0 ? err : 0;
}

static void netns_name(struct tulpen_watch_session *s, const char *path)
{
	static const char *const dirs[] = { "/run/netns/", "/var/run/netns/" };
	size_t i, n;

	for (i = 0; i < 2; i++) {
		n = strlen(dirs[i]);
		if (!strncmp(path, dirs[i], n) && path[n] &&
		    !strchr(path + n, '/'))
			snprintf(s->netns_name, sizeof(s->netns_name), "%s",
				 path + n);
	}
}

static void put_start_json(struct tulpen_watch_session *s)
{
	struct tulpen_buf *b = s->out;
	unsigned p, n = 0;

	watch_rec_begin(s);
	tulpen_buf_printf(b,
			  "{\"type\":\"start\",\"source\":\"%s\","
			  "\"pid\":%d,\"ts\":",
			  tulpen_watch_session_source(s), (int)getpid());
	tulpen_watch_fmt_ts(b, &s->fo, s->start_ns);
	tulpen_buf_printf(b, ",\"existing\":%zu", tulpen_conns_size(s->conns));
	if (s->ws)
		tulpen_buf_printf(b, ",\"interval_s\":%g",
				  (double)s->o.interval_ns / 1e9);
	if (s->netns)
		tulpen_watch_fmt_netns(b, &s->fo, s->netns);
	if (s->wb) {
		tulpen_buf_puts(b, ",\"missing\":[");
		for (p = 1; p < 1u << TULPEN_WATCH_NPARTS; p <<= 1) {
			if (!(tulpen_watch_bpf_missing(s->wb) & p))
				continue;
			tulpen_buf_printf(b, "%s{\"part\":\"%s\",\"reason\":",
					  n++ ? "," : "",
					  tulpen_watch_part_name(p));
			tulpen_buf_json_str(
				b, tulpen_watch_bpf_missing_why(s->wb, p));
			tulpen_buf_putc(b, '}');
		}
		tulpen_buf_putc(b, ']');
	}
	tulpen_buf_putc(b, '}');
	watch_rec_end(s);
}

static int put_start(struct tulpen_watch_session *s)
{
	if (s->o.output != TULPEN_WATCH_OUT_TEXT)
		put_start_json(s);
	if (s->o.existing || s->o.output != TULPEN_WATCH_OUT_TEXT) {
		tulpen_conns_foreach(s->conns, on_existing, s);
	} else if (s->o.transitions) {
		tulpen_buf_printf(s->out,
				  "# %s source; %zu TCP sockets exist "
				  "at start (ages count from now)\n",
				  s->wb ? "eBPF" : "SAMPLED",
				  tulpen_conns_size(s->conns));
		watch_put_summary(s, 0);
	}
	return tulpen_buf_flush(s->out);
}

static int session_init(struct tulpen_ctx *ctx,
			const struct tulpen_watch_session_opts *opts,
			struct tulpen_buf *out, struct tulpen_watch_session *s)
{
	s->o = *opts;
	s->ctx = ctx;
	s->out = out;
	if (!s->o.interval_ns)
		s->o.interval_ns = 1000000000ull;
	s->fo.json = s->o.output != TULPEN_WATCH_OUT_TEXT;
	s->fo.realtime_offset_ns = realtime_offset();
	s->fo.cache_sec = INT64_MIN;
	return tulpen_conns_new(&s->conns);
}

/*
 * Labels for events of every namespace: names from /run/netns, containers
 * from cgroups. Without them (no /proc to scan) events keep their inodes.
 */
static int labels_init(struct tulpen_watch_session *s)
{
	uint64_t self = 0;
	int err = tulpen_netns_labels_new(s->ctx, &s->fo.labels);

	if (err == -ENOMEM)
		return err;
	tulpen_ctx_clearerr(s->ctx);
	if (!tulpen_netns_of_pid(s->ctx, 0, &self))
		s->fo.self_netns = (uint32_t)self;
	return 0;
}

int tulpen_watch_session_new(struct tulpen_ctx *ctx,
			     const struct tulpen_watch_session_opts *opts,
			     struct tulpen_buf *out,
			     struct tulpen_watch_session **sp)
{
	struct tulpen_watch_session *s;
	int err;

	*sp = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	err = session_init(ctx, opts, out, s);
	if (!err)
		err = labels_init(s);
	if (err)
		goto fail;
	err = watch_netns_enter(s);
	if (err)
		goto fail;
	if (opts->netns) {
		netns_name(s, opts->netns);
		s->fo.netns_inode = s->netns;
		s->fo.netns_name = s->netns_name[0] ? s->netns_name : NULL;
		s->fo.self_netns = s->netns;
	}
	s->start_ns = watch_mono_ns();
	err = setup_source(s);
	if (err)
		goto fail;
	/* The eBPF source filters in the kernel: let go of the namespace. */
	if (s->wb)
		watch_netns_leave(s);
	err = put_start(s);
	if (err)
		goto fail;
	*sp = s;
	return 0;
fail:
	if (s->netns)
		watch_netns_leave(s);
	tulpen_watch_session_free(s);
	return err;
}

int tulpen_watch_session_run(struct tulpen_watch_session *s,
			     uint64_t duration_ns)
{
	uint64_t end_at = duration_ns ? s->start_ns + duration_ns : 0;

	if (s->wb)
		return watch_run_bpf(s, end_at);
	return watch_run_sampled(s, end_at);
}

int tulpen_watch_session_end(struct tulpen_watch_session *s)
{
	if (s->o.output == TULPEN_WATCH_OUT_JSON && !s->out->err)
		tulpen_buf_puts(s->out, s->nobjs ? "\n]\n" : "[]\n");
	return tulpen_buf_flush(s->out);
}

const char *tulpen_watch_session_source(const struct tulpen_watch_session *s)
{
	return s->wb ? "bpf" : "sampled";
}

void tulpen_watch_session_stats(const struct tulpen_watch_session *s,
				struct tulpen_watch_stats *st)
{
	*st = s->st;
}

void tulpen_watch_session_free(struct tulpen_watch_session *s)
{
	if (!s)
		return;
	tulpen_watch_bpf_close(s->wb);
	tulpen_watch_sampled_free(s->ws);
	tulpen_conns_free(s->conns);
	tulpen_netns_labels_free(s->fo.labels);
	free(s);
}
