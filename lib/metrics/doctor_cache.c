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
	memset(c, 0, sizeof(*c));
	c->every_ms = every_ms;
	return every_ms ? tm_bg_init(&c->bg, proc_root) : 0;
}

void tm_doctor_cache_fini(struct tm_doctor_cache *c)
{
	tm_bg_fini(&c->bg);
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

static void run_job(void *arg)
{
	struct tm_doctor_cache *c = arg;
	struct tulpen_doctor_report *r = NULL;
	struct tulpen_doctor_opts o;

	tulpen_doctor_opts_default(&o);
	c->ok = !tulpen_doctor_run(c->bg.ctx, &o, &r);
	if (c->ok)
		count(r, c->result);
	tulpen_doctor_report_free(r);
}

void tm_doctor_cache_poll(struct tm_doctor_cache *c)
{
	double now = tm_mono_s();

	if (!c->bg.inited)
		return;
	if (c->bg.running) {
		if (!tm_bg_finished(&c->bg))
			return;
		if (c->ok) {
			memcpy(c->counts, c->result, sizeof(c->counts));
			c->have = 1;
			c->at = c->bg.started;
			c->runs++;
		} else {
			c->failures++;
		}
	}
	if (c->bg.started &&
	    (now - c->bg.started) * 1000.0 < (double)c->every_ms)
		return;
	tm_bg_start(&c->bg, run_job, c);
}

double tm_doctor_cache_age(const struct tm_doctor_cache *c)
{
	return c->have ? tm_mono_s() - c->at : -1.0;
}
