// SPDX-License-Identifier: MIT
/*
 * doctor_cache.c - tulpen doctor for tulpen serve: a run (two samples a
 * second apart) on a thread of its own every every_ms, so no scrape waits
 * for it; a scrape takes the counts of the last finished run, by kind and
 * severity.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "tulpen/doctor.h"
#include "metrics/metrics_internal.h"

int tm_doctor_cache_init(struct tm_doctor_cache *c, const char *proc_root,
			 uint64_t every_ms)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->every_ms = every_ms;
	if (!every_ms)
		return 0;
	ret = tulpen_ctx_new(&c->ctx);
	if (!ret)
		ret = tulpen_ctx_set_proc_root(c->ctx, proc_root);
	if (!ret && pthread_mutex_init(&c->lock, NULL))
		ret = -ENOMEM;
	if (ret) {
		tulpen_ctx_free(c->ctx);
		c->ctx = NULL;
	}
	return ret;
}

void tm_doctor_cache_fini(struct tm_doctor_cache *c)
{
	if (!c->ctx)
		return;
	if (c->running)
		pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->lock);
	tulpen_ctx_free(c->ctx);
	c->ctx = NULL;
}

/* The counts of @r by kind (in tulpen_doctor_kinds() order) and severity. */
static void count(const struct tulpen_doctor_report *r,
		  uint64_t out[TM_DOCTOR_KINDS][3])
{
	const char *const *kinds;
	size_t nk, i, k;

	memset(out, 0, sizeof(uint64_t) * TM_DOCTOR_KINDS * 3);
	kinds = tulpen_doctor_kinds(&nk);
	for (i = 0; i < tulpen_doctor_count(r); i++) {
		const struct tulpen_doctor_finding *f = tulpen_doctor_at(r, i);

		for (k = 0; k < nk && k < TM_DOCTOR_KINDS; k++)
			if (!strcmp(kinds[k], f->kind) && f->severity >= 1 &&
			    f->severity <= 3)
				out[k][f->severity - 1]++;
	}
}

static void *run_thread(void *arg)
{
	struct tm_doctor_cache *c = arg;
	struct tulpen_doctor_report *r = NULL;
	struct tulpen_doctor_opts o;
	uint64_t counts[TM_DOCTOR_KINDS][3];
	int ok;

	tulpen_doctor_opts_default(&o);
	ok = !tulpen_doctor_run(c->ctx, &o, &r);
	if (ok)
		count(r, counts);
	tulpen_doctor_report_free(r);
	pthread_mutex_lock(&c->lock);
	if (ok) {
		memcpy(c->result, counts, sizeof(counts));
		c->have_result = 1;
	} else {
		c->failures++;
	}
	c->done = 1;
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

void tm_doctor_cache_poll(struct tm_doctor_cache *c)
{
	double now = tm_mono_s();
	int done;

	if (!c->ctx)
		return;
	if (c->running) {
		pthread_mutex_lock(&c->lock);
		done = c->done;
		if (done && c->have_result) {
			memcpy(c->counts, c->result, sizeof(c->counts));
			c->have = 1;
			c->at = c->started;
			c->runs++;
		}
		c->have_result = 0;
		pthread_mutex_unlock(&c->lock);
		if (!done)
			return;
		pthread_join(c->thread, NULL);
		c->running = 0;
		c->done = 0;
	}
	if (c->started && (now - c->started) * 1000.0 < (double)c->every_ms)
		return;
	c->started = now;
	if (!pthread_create(&c->thread, NULL, run_thread, c))
		c->running = 1;
}

double tm_doctor_cache_age(const struct tm_doctor_cache *c)
{
	return c->have ? tm_mono_s() - c->at : -1.0;
}
