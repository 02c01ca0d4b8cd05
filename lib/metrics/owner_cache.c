// SPDX-License-Identifier: MIT
/*
 * owner_cache.c - the process scan behind CLOSE-WAIT per process, cached.
 *
 * The first time owners are needed the scan runs at once (that scrape
 * waits for it). After that, a scan older than max_age is replaced in the
 * background: a thread of the cache's own makes the new table while
 * scrapes go on with the old one, and the collecting thread swaps it in
 * when it is done. So a scrape never waits for a rescan, and owners are at
 * most max_age plus one scan's time old. max_age 0 means a fresh scan in
 * every scrape, in the foreground. The scan uses a context of its own (the
 * same proc root), so it never shares one with the socket walk.
 *
 * A scan keeps only the holders of the sockets that were in CLOSE-WAIT
 * when it started (not every socket fd of the host): a socket that enters
 * CLOSE-WAIT later is "unknown" until the next scan, as one opened later.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/metrics_internal.h"

int tm_owner_cache_init(struct tm_owner_cache *c, const char *proc_root,
			uint64_t max_age_ms)
{
	memset(c, 0, sizeof(*c));
	c->max_age_ms = max_age_ms;
	return tm_bg_init(&c->bg, proc_root);
}

void tm_owner_cache_fini(struct tm_owner_cache *c)
{
	tm_bg_fini(&c->bg);
	tulpen_owners_free(c->result);
	tulpen_owners_free(c->owners);
	free(c->want);
	memset(c, 0, sizeof(*c));
}

static void install(struct tm_owner_cache *c, struct tulpen_owners *o,
		    double at)
{
	struct tulpen_owners_stats st;

	tulpen_owners_free(c->owners);
	c->owners = o;
	c->at = at;
	c->scans++;
	tulpen_owners_stats(o, &st);
	c->denied = st.denied;
}

static void scan_job(void *arg)
{
	struct tm_owner_cache *c = arg;

	if (tulpen_owners_new_only(c->bg.ctx, c->want, c->nwant, &c->result))
		c->result = NULL;
}

/* A background scan that has finished: take its table. */
static void harvest(struct tm_owner_cache *c)
{
	if (!tm_bg_finished(&c->bg))
		return;
	if (c->result)
		install(c, c->result, c->bg.started);
	c->result = NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The sorted, distinct inodes of @cw into c->want for the next scan. */
static int set_want(struct tm_owner_cache *c, const struct tm_cw *cw, size_t n)
{
	size_t i, k = 0;
	uint64_t *p;

	if (n > c->want_cap) {
		p = realloc(c->want, n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->want = p;
		c->want_cap = n;
	}
	for (i = 0; i < n; i++)
		c->want[i] = cw[i].inode;
	qsort(c->want, n, sizeof(*c->want), cmp_u64);
	for (i = 0; i < n; i++)
		if (!k || c->want[k - 1] != c->want[i])
			c->want[k++] = c->want[i];
	c->nwant = k;
	return 0;
}

const struct tulpen_owners *tm_owner_cache_get(struct tm_owner_cache *c,
					       const struct tm_cw *cw, size_t n)
{
	struct tulpen_owners *o;
	double now = tm_mono_s();

	harvest(c);
	if (!c->owners || !c->max_age_ms) {
		if (c->bg.running)
			return c->owners; /* one scan at a time */
		if (!set_want(c, cw, n) &&
		    !tulpen_owners_new_only(c->bg.ctx, c->want, c->nwant, &o))
			install(c, o, now);
		return c->owners;
	}
	if (!c->bg.running && (now - c->at) * 1000.0 >= (double)c->max_age_ms &&
	    !set_want(c, cw, n))
		tm_bg_start(&c->bg, scan_job, c);
	return c->owners;
}

double tm_owner_cache_age(const struct tm_owner_cache *c)
{
	return c->owners ? tm_mono_s() - c->at : -1.0;
}
