// SPDX-License-Identifier: MIT
/*
 * resolver.c - reverse DNS for -r, parallel and bounded in time.
 *
 * getnameinfo() blocks for as long as the system resolver likes, so the
 * lookups run on a few threads and the caller waits at most the deadline,
 * measured on CLOCK_MONOTONIC. Lookups still blocked then are cancelled
 * (getnameinfo() is a cancellation point) and every thread is joined, so
 * none of them outlives tulpen_resolver_run().
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
#include "core/hash.h"
#include "names/resolver.h"

#if defined(__SANITIZE_ADDRESS__)
#define RESOLVER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RESOLVER_ASAN 1
#endif
#endif
#ifdef RESOLVER_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* The table's key: the family and the address, zero-padded. */
struct rkey {
	uint8_t family;
	uint8_t addr[16];
};

struct rentry {
	uint8_t family;
	uint8_t addr[16];
	char *name; /* NULL until resolved (or never) */
};

/* Shared with the worker threads for one tulpen_resolver_run(). */
struct work {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	resolver_lookup_fn lookup;
	size_t next;	  /* next entry to look up */
	size_t pending;	  /* lookups not finished */
	struct rentry *v; /* the entries to resolve, dense */
	size_t n;
};

struct tulpen_resolver {
	unsigned int parallel;
	unsigned int deadline_ms;
	resolver_lookup_fn lookup;
	struct tulpen_hash names; /* struct rkey -> char * (NULL: none) */
};

static struct rkey key_of(int family, const void *addr)
{
	struct rkey k;

	memset(&k, 0, sizeof(k));
	k.family = (uint8_t)family;
	memcpy(k.addr, addr, family == AF_INET ? 4 : 16);
	return k;
}

/*
 * The lookup itself: the host name of @sa, 0 or non-zero when there is
 * none. It must reach a cancellation point while it blocks, as
 * getnameinfo() does (poll, recvfrom, read).
 */
static int lookup_getnameinfo(const struct sockaddr *sa, socklen_t len,
			      char *host, size_t size)
{
	return getnameinfo(sa, len, host, (socklen_t)size, NULL, 0,
			   NI_NAMEREQD);
}

int tulpen_resolver_new(unsigned parallel, unsigned deadline_ms,
			struct tulpen_resolver **out)
{
	struct tulpen_resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->parallel = parallel ? parallel : 8;
	r->deadline_ms = deadline_ms;
	r->lookup = lookup_getnameinfo;
	TULPEN_HASH_INIT(&r->names, struct rkey, char *, NULL);
	*out = r;
	return 0;
}

void tulpen_resolver_free(struct tulpen_resolver *r)
{
	size_t pos = 0;
	char **name;

	if (!r)
		return;
	while ((name = tulpen_hash_next(&r->names, &pos, NULL)))
		free(*name);
	tulpen_hash_fini(&r->names);
	free(r);
}

int tulpen_resolver_add(struct tulpen_resolver *r, int family, const void *addr)
{
	struct rkey k;
	void *v;

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	k = key_of(family, addr);
	return tulpen_hash_insert(&r->names, &k, &v) < 0 ? -ENOMEM : 0;
}

void resolver_set_lookup(struct tulpen_resolver *r, resolver_lookup_fn fn)
{
	r->lookup = fn ? fn : lookup_getnameinfo;
}

/* The socket address to look up for @e; returns its length. */
static socklen_t entry_sockaddr(const struct rentry *e,
				struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (e->family == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, e->addr, 4);
		return sizeof(*sin);
	}
	if (!memcmp(e->addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
		/* an IPv4-mapped address: look up the IPv4 one */
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, e->addr + 12, 4);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, e->addr, 16);
	return sizeof(*sin6);
}

/*
 * A lookup is being cancelled. Unwinding skips the epilogues that would
 * clear AddressSanitizer's marks on this thread's stack, which it would
 * then take for overflows as the thread exits: clear them here.
 */
static void lookup_cancelled(void *unused)
{
#ifdef RESOLVER_ASAN
	__asan_handle_no_return();
#endif
}

/* The one place a worker may be cancelled: inside @fn. */
static int lookup_cancellable(resolver_lookup_fn fn, const struct sockaddr *sa,
			      socklen_t len, char *host, size_t size)
{
	volatile int ret = 1;
	int old;

	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	pthread_cleanup_push(lookup_cancelled, NULL);
	ret = fn(sa, len, host, size);
	pthread_cleanup_pop(0);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	return ret;
}

/*
 * A worker takes entries until none is left. It may be cancelled only
 * while it is inside the lookup, where it holds no lock and owns nothing
 * (the name is copied out under the lock afterwards).
 */
static void *worker(void *arg)
{
	struct work *w = arg;
	int old;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	for (;;) {
		struct sockaddr_storage ss;
		char host[NI_MAXHOST];
		struct rentry *e;
		socklen_t sl;
		int ret;

		pthread_mutex_lock(&w->lock);
		if (w->next >= w->n) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		e = &w->v[w->next++];
		sl = entry_sockaddr(e, &ss);
		pthread_mutex_unlock(&w->lock);

		ret = lookup_cancellable(w->lookup, (struct sockaddr *)&ss, sl,
					 host, sizeof(host));

		pthread_mutex_lock(&w->lock);
		if (!ret && host[0])
			e->name = strdup(host);
		w->pending--;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

/* @ms from now on CLOCK_MONOTONIC. */
static void deadline_after(struct timespec *until, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	until->tv_sec += ms / 1000;
	until->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until->tv_nsec >= 1000000000L) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000L;
	}
}

static int work_init(struct work *w, const struct tulpen_resolver *r)
{
	pthread_condattr_t ca;
	size_t pos = 0, k = 0;
	const void *kp;
	char **name;
	int ret;

	memset(w, 0, sizeof(*w));
	w->v = calloc(tulpen_hash_count(&r->names), sizeof(*w->v));
	if (!w->v)
		return -ENOMEM;
	while ((name = tulpen_hash_next(&r->names, &pos, &kp))) {
		struct rkey key;

		if (*name)
			continue; /* resolved by an earlier run */
		memcpy(&key, kp, sizeof(key));
		w->v[k].family = key.family;
		memcpy(w->v[k].addr, key.addr, sizeof(key.addr));
		k++;
	}
	w->n = w->pending = k;
	w->lookup = r->lookup;
	ret = pthread_condattr_init(&ca);
	if (!ret)
		ret = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!ret)
		ret = pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (ret) {
		free(w->v);
		return -ret;
	}
	pthread_mutex_init(&w->lock, NULL);
	return 0;
}

static void work_fini(struct work *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->v[i].name);
	free(w->v);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
}

/*
 * Look up every queued address on up to r->parallel threads, for at most
 * the deadline (CLOCK_MONOTONIC). Lookups still blocked then are cancelled
 * and every thread is joined before this returns: none is left running.
 */
int tulpen_resolver_run(struct tulpen_resolver *r)
{
	struct timespec until;
	pthread_t *tids;
	struct work w;
	unsigned int t, nthreads, started = 0;
	size_t i;
	int ret = 0;

	if (!tulpen_hash_count(&r->names))
		return 0;
	deadline_after(&until, r->deadline_ms);
	ret = work_init(&w, r);
	if (ret)
		return ret;
	nthreads = r->parallel < w.n ? r->parallel : (unsigned int)w.n;
	tids = calloc(nthreads ? nthreads : 1, sizeof(*tids));
	if (!tids) {
		work_fini(&w);
		return -ENOMEM;
	}
	for (t = 0; t < nthreads; t++) {
		ret = pthread_create(&tids[started], NULL, worker, &w);
		if (ret)
			break;
		started++;
	}
	if (started)
		ret = 0;

	pthread_mutex_lock(&w.lock);
	while (started && w.pending) {
		if (pthread_cond_timedwait(&w.cond, &w.lock, &until) ==
		    ETIMEDOUT)
			break;
	}
	w.next = w.n; /* stop handing out work */
	pthread_mutex_unlock(&w.lock);
	/* Idle threads leave on their own; cancel the ones still looking. */
	for (t = 0; t < started; t++)
		pthread_cancel(tids[t]);
	for (t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(tids);

	/* Every thread is gone: take what was resolved. */
	for (i = 0; i < w.n; i++) {
		struct rkey k = key_of(w.v[i].family, w.v[i].addr);
		char **name = tulpen_hash_find(&r->names, &k);

		if (!w.v[i].name || !name)
			continue;
		*name = w.v[i].name;
		w.v[i].name = NULL;
	}
	work_fini(&w);
	return -ret;
}

const char *tulpen_resolver_name(const struct tulpen_resolver *r, int family,
				 const void *addr)
{
	struct rkey k;
	char **name;

	if (!r || (family != AF_INET && family != AF_INET6))
		return NULL;
	k = key_of(family, addr);
	name = tulpen_hash_find(&r->names, &k);
	return name ? *name : NULL;
}
