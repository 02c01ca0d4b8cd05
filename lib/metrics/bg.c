// SPDX-License-Identifier: MIT
/*
 * bg.c - one job at a time on a thread of its own, for the owner scan,
 * tulpen doctor's runs and the second half of a split socket walk.
 *
 * The thread that starts a job is the only one that polls, joins and
 * reads what the job wrote: pthread_join() orders the job's writes before
 * that thread's reads, so the job's results need no lock of their own;
 * the lock guards only the "done" flag that polling reads while the job
 * runs. Each job has a context of its own (the same proc root as the
 * collector's), so it never shares one with the socket walk.
 */
#include <errno.h>
#include <string.h>

#include "metrics/metrics_internal.h"

int tm_bg_init(struct tm_bg *b, const char *proc_root)
{
	int ret;

	memset(b, 0, sizeof(*b));
	ret = tulpen_ctx_new(&b->ctx);
	if (ret)
		return ret;
	ret = tulpen_ctx_set_proc_root(b->ctx, proc_root);
	if (!ret && pthread_mutex_init(&b->lock, NULL))
		ret = -ENOMEM;
	if (ret) {
		tulpen_ctx_free(b->ctx);
		b->ctx = NULL;
		return ret;
	}
	b->inited = 1;
	return 0;
}

void tm_bg_fini(struct tm_bg *b)
{
	if (!b->inited)
		return;
	tm_bg_join(b);
	pthread_mutex_destroy(&b->lock);
	tulpen_ctx_free(b->ctx);
	b->ctx = NULL;
	b->inited = 0;
}

static void *bg_thread(void *arg)
{
	struct tm_bg *b = arg;

	b->fn(b->arg);
	pthread_mutex_lock(&b->lock);
	b->done = 1;
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

int tm_bg_start(struct tm_bg *b, void (*fn)(void *arg), void *arg)
{
	int ret;

	if (b->running)
		return -EBUSY;
	b->fn = fn;
	b->arg = arg;
	b->done = 0;
	b->started = tm_mono_s();
	ret = pthread_create(&b->thread, NULL, bg_thread, b);
	if (ret)
		return -ret;
	b->running = 1;
	return 0;
}

int tm_bg_finished(struct tm_bg *b)
{
	int done;

	if (!b->running)
		return 0;
	pthread_mutex_lock(&b->lock);
	done = b->done;
	pthread_mutex_unlock(&b->lock);
	if (!done)
		return 0;
	tm_bg_join(b);
	return 1;
}

void tm_bg_join(struct tm_bg *b)
{
	if (!b->running)
		return;
	pthread_join(b->thread, NULL);
	b->running = 0;
}
