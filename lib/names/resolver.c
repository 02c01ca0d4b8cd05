// SPDX-License-Identifier: MIT
/*
 * resolver.c - reverse DNS for -r, parallel and bounded in time.
 *
 * getnameinfo() blocks for as long as the system resolver likes, so the
 * lookups run on a few threads and the caller waits at most the deadline.
 * Threads still blocked then are left to finish on their own: they hold a
 * reference to the shared work list, which the last one out frees, so the
 * resolver can be freed at once.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "tulpen/names.h"

struct rentry {
	uint8_t family;
	uint8_t used;
	uint8_t addr[16];
	char *name; /* NULL until resolved (or never) */
};

/* Shared with the worker threads. */
struct work {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	size_t next;	 /* next entry to look up */
	size_t pending;	 /* lookups not finished */
	struct rentry *v; /* the entries to resolve, dense */
	size_t n;
};

struct tulpen_resolver {
	unsigned int parallel;
	unsigned int deadline_ms;
	struct rentry *slots; /* open addressing by address */
	size_t nslots, used;
};

static size_t addr_hash(int family, const uint8_t *a, size_t mask)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)family;
	int i, n = family == AF_INET ? 4 : 16;

	for (i = 0; i < n; i++)
		h = (h ^ a[i]) * 1099511628211ull;
	return (size_t)h & mask;
}

static struct rentry *find(struct rentry *slots, size_t nslots, int family,
			   const uint8_t *a)
{
	size_t mask = nslots - 1, i = addr_hash(family, a, mask);
	size_t n = family == AF_INET ? 4 : 16;

	while (slots[i].used &&
	       (slots[i].family != family || memcmp(slots[i].addr, a, n)))
		i = (i + 1) & mask;
	return &slots[i];
}

int tulpen_resolver_new(unsigned parallel, unsigned deadline_ms,
			struct tulpen_resolver **out)
{
	struct tulpen_resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->parallel = parallel ? parallel : 8;
	r->deadline_ms = deadline_ms;
	r->nslots = 256;
	r->slots = calloc(r->nslots, sizeof(*r->slots));
	if (!r->slots) {
		free(r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

void tulpen_resolver_free(struct tulpen_resolver *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nslots; i++)
		free(r->slots[i].name);
	free(r->slots);
	free(r);
}

static int grow(struct tulpen_resolver *r)
{
	size_t n = r->nslots * 2, i;
	struct rentry *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (i = 0; i < r->nslots; i++)
		if (r->slots[i].used)
			*find(s, n, r->slots[i].family, r->slots[i].addr) =
				r->slots[i];
	free(r->slots);
	r->slots = s;
	r->nslots = n;
	return 0;
}

int tulpen_resolver_add(struct tulpen_resolver *r, int family, const void *addr)
{
	struct rentry *e;

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	if ((r->used + 1) * 2 > r->nslots && grow(r))
		return -ENOMEM;
	e = find(r->slots, r->nslots, family, addr);
	if (e->used)
		return 0;
	e->used = 1;
	e->family = (uint8_t)family;
	memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
	r->used++;
	return 0;
}

static void work_put(struct work *w)
{
	size_t i;
	int last;

	pthread_mutex_lock(&w->lock);
	last = --w->refs == 0;
	pthread_mutex_unlock(&w->lock);
	if (!last)
		return;
	for (i = 0; i < w->n; i++)
		free(w->v[i].name);
	free(w->v);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}

static void *worker(void *arg)
{
	struct work *w = arg;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl;
		char host[NI_MAXHOST];
		struct rentry *e;
		size_t i;

		pthread_mutex_lock(&w->lock);
		if (w->next >= w->n) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		i = w->next++;
		e = &w->v[i];
		memset(&ss, 0, sizeof(ss));
		if (e->family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, e->addr, 4);
			sl = sizeof(*sin);
		} else if (!memcmp(e->addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
			/* an IPv4-mapped address: look up the IPv4 one */
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			sin->sin_family = AF_INET;
			memcpy(&sin->sin_addr, e->addr + 12, 4);
			sl = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			sin6->sin6_family = AF_INET6;
			memcpy(&sin6->sin6_addr, e->addr, 16);
			sl = sizeof(*sin6);
		}
		pthread_mutex_unlock(&w->lock);

		if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host),
				NULL, 0, NI_NAMEREQD))
			host[0] = '\0';

		pthread_mutex_lock(&w->lock);
		if (host[0])
			e->name = strdup(host);
		w->pending--;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
	work_put(w);
	return NULL;
}

int tulpen_resolver_run(struct tulpen_resolver *r)
{
	struct timespec until;
	struct work *w;
	unsigned int t, nthreads;
	size_t i, k = 0;

	if (!r->used)
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->v = calloc(r->used, sizeof(*w->v));
	if (!w->v) {
		free(w);
		return -ENOMEM;
	}
	for (i = 0; i < r->nslots; i++) {
		if (!r->slots[i].used || r->slots[i].name)
			continue;
		w->v[k] = r->slots[i];
		w->v[k].name = NULL;
		k++;
	}
	w->n = w->pending = k;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->refs = 1;

	nthreads = r->parallel < k ? r->parallel : (unsigned int)k;
	for (t = 0; t < nthreads; t++) {
		pthread_attr_t attr;
		pthread_t tid;

		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_mutex_lock(&w->lock);
		w->refs++;
		pthread_mutex_unlock(&w->lock);
		if (pthread_create(&tid, &attr, worker, w)) {
			pthread_mutex_lock(&w->lock);
			w->refs--;
			pthread_mutex_unlock(&w->lock);
		}
		pthread_attr_destroy(&attr);
	}

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += r->deadline_ms / 1000;
	until.tv_nsec += (long)(r->deadline_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	while (w->pending && w->refs > 1) {
		if (pthread_cond_timedwait(&w->cond, &w->lock, &until) ==
		    ETIMEDOUT)
			break;
	}
	/* Take what is resolved; stop handing out more work. */
	w->next = w->n;
	for (i = 0; i < w->n; i++) {
		struct rentry *e;

		if (!w->v[i].name)
			continue;
		e = find(r->slots, r->nslots, w->v[i].family, w->v[i].addr);
		e->name = w->v[i].name;
		w->v[i].name = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	work_put(w);
	return 0;
}

const char *tulpen_resolver_name(const struct tulpen_resolver *r, int family,
				 const void *addr)
{
	const struct rentry *e;

	if (!r || (family != AF_INET && family != AF_INET6))
		return NULL;
	e = find(r->slots, r->nslots, family, addr);
	return e->used ? e->name : NULL;
}
