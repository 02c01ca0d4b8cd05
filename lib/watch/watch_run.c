// SPDX-License-Identifier: MIT
/*
 * watch_run.c - the loops of a watch session: the eBPF source polled
 * every 100 ms at most, with the loss policy (new losses reported at most
 * once a second; after losses the tracker is compared with the kernel's
 * socket table, at most every 10 s, so connections whose end was lost do
 * not stay); the sampled source stepped at its interval. Both print the
 * per-state summary when it is due and flush the output.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "watch/watch_internal.h"

#define POLL_MS 100
#define LOST_EVERY_NS 1000000000ull
#define RECONCILE_EVERY_NS 10000000000ull

static int due(uint64_t now, uint64_t at)
{
	return at && now >= at;
}

static void report_lost(struct tulpen_watch_session *s, uint64_t lost,
			uint64_t total)
{
	watch_notice(s, "%llu events lost (ring buffer full), %llu in total",
		     (unsigned long long)lost, (unsigned long long)total);
	if (s->o.output == TULPEN_WATCH_OUT_TEXT)
		return;
	watch_rec_begin(s);
	tulpen_watch_fmt_lost(s->out, &s->fo, watch_mono_ns(), lost, total);
	watch_rec_end(s);
}

void watch_count_lost(struct tulpen_watch_session *s)
{
	uint64_t total = tulpen_watch_bpf_lost(s->wb);

	if (total > s->lost_seen) {
		report_lost(s, total - s->lost_seen, total);
		s->need_reconcile = 1;
	}
	s->lost_seen = total;
	s->st.lost = total;
}

static int stop_cb(void *data)
{
	return watch_stopping(data);
}

static int reconcile_inside(struct tulpen_watch_session *s)
{
	size_t dropped = 0;
	int err;

	err = tulpen_conns_reconcile(s->conns, s->ctx, stop_cb, s, &dropped);
	if (err == -EINTR)
		return 0; /* stopping */
	if (err)
		watch_notice(s,
			     "re-reading the socket table after losses "
			     "failed: %s",
			     strerror(-err));
	else if (dropped)
		watch_notice(s,
			     "%zu connections whose end was lost are no "
			     "longer tracked",
			     dropped);
	return 0;
}

/*
 * After losses the tracker may hold connections whose end it missed:
 * compare it with the kernel's socket table (in the watched namespace,
 * without holding it afterwards).
 */
static void reconcile(struct tulpen_watch_session *s)
{
	if (watch_netns_enter(s)) {
		watch_notice(s,
			     "re-reading the socket table after losses "
			     "failed: %s",
			     tulpen_ctx_errmsg(s->ctx));
		return;
	}
	reconcile_inside(s);
	watch_netns_leave(s);
}

/* What is due after a poll: losses, reconcile, summary. */
static void bpf_chores(struct tulpen_watch_session *s, uint64_t *next_summary)
{
	uint64_t now = watch_mono_ns();

	if (now >= s->next_lost) {
		watch_count_lost(s);
		s->next_lost = now + LOST_EVERY_NS;
	}
	if (s->need_reconcile && now >= s->next_reconcile) {
		reconcile(s);
		s->need_reconcile = 0;
		s->next_reconcile = watch_mono_ns() + RECONCILE_EVERY_NS;
	}
	if (due(now, *next_summary)) {
		watch_put_summary(s, s->lost_seen);
		*next_summary = now + s->o.summary_every_ns;
	}
}

static int poll_timeout(uint64_t now, uint64_t end_at)
{
	if (end_at && (end_at - now) / 1000000 < POLL_MS)
		return (int)((end_at - now) / 1000000) + 1;
	return POLL_MS;
}

int watch_run_bpf(struct tulpen_watch_session *s, uint64_t end_at)
{
	uint64_t next_summary = 0, now, total;
	int ret = 0;

	if (s->o.summary_every_ns)
		next_summary = watch_mono_ns() + s->o.summary_every_ns;
	while (!watch_stopping(s)) {
		now = watch_mono_ns();
		if (end_at && end_at <= now)
			break;
		s->batch = 0;
		ret = tulpen_watch_bpf_poll(s->wb, poll_timeout(now, end_at),
					    watch_on_event, s);
		if (ret == -EINTR) {
			ret = 0;
			continue;
		}
		if (ret < 0)
			break;
		ret = 0;
		bpf_chores(s, &next_summary);
		if (tulpen_buf_flush(s->out)) {
			ret = s->out->err;
			break;
		}
	}
	/* Drain what is left (a bounded batch), count the last losses. */
	s->batch = 0;
	if (!ret && !s->out->err && !watch_stopping(s))
		ret = tulpen_watch_bpf_poll(s->wb, 0, watch_on_event, s);
	total = tulpen_watch_bpf_lost(s->wb);
	if (total > s->lost_seen && !s->out->err)
		report_lost(s, total - s->lost_seen, total);
	s->lost_seen = s->st.lost = total;
	if (total)
		watch_notice(s, "%llu events lost in total",
			     (unsigned long long)total);
	if (ret < 0 && ret != s->out->err)
		tulpen_ctx_seterr(s->ctx, "eBPF: reading events: %s",
				  strerror(-ret));
	return ret < 0 ? ret : s->out->err;
}

static void sleep_until(uint64_t at)
{
	struct timespec ts = {
		.tv_sec = (time_t)(at / 1000000000ull),
		.tv_nsec = (long)(at % 1000000000ull),
	};

	/* Returns early (EINTR) when a signal arrives. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/*
 * Until @at: with destroy events, each end as it comes (flushed); without,
 * a sleep. Returns 0 or a negative errno.
 */
static int wait_ends(struct tulpen_watch_session *s, uint64_t at)
{
	struct pollfd pfd = { .fd = tulpen_watch_sampled_fd(s->ws),
			      .events = POLLIN };
	uint64_t now;
	int ret;

	if (pfd.fd < 0) {
		sleep_until(at);
		return 0;
	}
	while (!watch_stopping(s) && (now = watch_mono_ns()) < at) {
		ret = poll(&pfd, 1, (int)((at - now) / 1000000) + 1);
		if (ret < 0)
			return errno == EINTR ? 0 : -errno;
		if (!ret)
			continue;
		s->batch = 0;
		ret = tulpen_watch_sampled_ends(s->ws, watch_mono_ns(),
						watch_on_event, s);
		if (ret < 0)
			return ret;
		if (tulpen_buf_flush(s->out))
			return s->out->err;
	}
	return 0;
}

static int sampled_step(struct tulpen_watch_session *s)
{

	return tulpen_watch_sampled_step(s->ws, watch_mono_ns(), watch_on_event,
					 s);
}

int watch_run_sampled(struct tulpen_watch_session *s, uint64_t end_at)
{
	uint64_t next = watch_mono_ns(), next_summary = 0, now;
	int ret = 0;

	if (s->o.summary_every_ns)
		next_summary = next + s->o.summary_every_ns;
	while (!watch_stopping(s)) {
		next += s->o.interval_ns;
		if (end_at && next > end_at)
			next = end_at;
		ret = wait_ends(s, next);
		if (ret < 0 || watch_stopping(s))
			break;
		s->batch = 0;
		ret = sampled_step(s);
		if (ret < 0)
			break;
		now = watch_mono_ns();
		if (due(now, next_summary)) {
			watch_put_summary(s, 0);
			next_summary = now + s->o.summary_every_ns;
		}
		if (tulpen_buf_flush(s->out)) {
			ret = s->out->err;
			break;
		}
		if (end_at && now >= end_at)
			break;
	}
	return ret < 0 ? ret : s->out->err;
}
