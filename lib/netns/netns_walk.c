// SPDX-License-Identifier: MIT
/*
 * netns_walk.c - the sockets of many network namespaces, in parallel.
 *
 * A small pool of threads takes the namespaces in the set's order. Each
 * worker is a thread of the walk's own: it enters one namespace after the
 * other (setns on itself) and tells its context (the netns seam), which
 * then opens the netlink socket and /proc/net files right there, without
 * a helper thread per namespace. The caller's thread only waits: its
 * namespace never changes. Records are handed to the callback
 * namespace by namespace, in the set's order: the worker whose turn it is
 * streams its records straight through; the others hold theirs (up to
 * HOLD_BYTES, then they wait for their turn, which pauses their dump), so
 * memory is bounded by the pool, not by the number of namespaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tulpen/filter.h"
#include "tulpen/netns.h"
#include "core/ctx_internal.h"

#define MAX_THREADS 8
#define HOLD_BYTES (4u << 20)

struct walk {
	struct tulpen_ctx *parent;
	const struct tulpen_netns_walk_opts *o;
	const struct tulpen_netns *const *todo; /* the namespaces, in order */
	size_t n;
	size_t next; /* the next to take (atomic) */
	tulpen_netns_sock_cb cb;
	tulpen_netns_err_cb ecb;
	void *data;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t turn; /* whose records go to the callback now */
	int stop;    /* the callback said stop, or a fatal error */
	int ret;
	size_t nfailed;
};

/* A held record: the socket, its unix path and container by index. */
struct rec {
	struct tulpen_sock s;
	size_t path_off; /* into paths, or SIZE_MAX */
	long cont;	 /* into the cache, -1: the namespace's own */
};

struct cached {
	int pid;
	struct tulpen_container c;
};

struct worker {
	struct walk *w;
	struct tulpen_ctx *ctx;
	const struct tulpen_netns *ns; /* the one being walked */
	size_t k;		       /* its turn */
	int delivering;		       /* it is our turn */
	struct rec *recs;
	size_t nrec, caprec;
	char *paths;
	size_t plen, pcap;
	struct cached *cache; /* containers of this namespace's holders */
	size_t ncache, capcache, last;
	pthread_t tid;
};

static int stopped(struct walk *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE);
}

static void stop_walk(struct walk *w, int ret)
{
	pthread_mutex_lock(&w->mu);
	if (!w->stop) {
		w->ret = ret;
		__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	}
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Wait until it is turn @k; 0, or -ECANCELED when the walk stopped. */
static int wait_turn(struct walk *w, size_t k)
{
	int ret;

	pthread_mutex_lock(&w->mu);
	while (__atomic_load_n(&w->turn, __ATOMIC_ACQUIRE) != k && !w->stop)
		pthread_cond_wait(&w->cv, &w->mu);
	ret = w->stop ? -ECANCELED : 0;
	pthread_mutex_unlock(&w->mu);
	return ret;
}

static void pass_turn(struct walk *w, size_t k)
{
	pthread_mutex_lock(&w->mu);
	__atomic_store_n(&w->turn, k + 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* The index of @pid's container in the worker's cache, -1 if unknown. */
static long holder_container(struct worker *wk, int pid)
{
	size_t i;

	if (wk->ncache && wk->cache[wk->last].pid == pid)
		return (long)wk->last;
	for (i = 0; i < wk->ncache; i++)
		if (wk->cache[i].pid == pid)
			return (long)(wk->last = i);
	if (wk->ncache == wk->capcache) {
		size_t cap = wk->capcache ? wk->capcache * 2 : 16;
		struct cached *c = realloc(wk->cache, cap * sizeof(*c));

		if (!c)
			return -1;
		wk->cache = c;
		wk->capcache = cap;
	}
	wk->cache[wk->ncache].pid = pid;
	if (tulpen_container_of_pid(wk->w->parent, pid,
				    &wk->cache[wk->ncache].c))
		memset(&wk->cache[wk->ncache].c, 0, sizeof(wk->cache[0].c));
	return (long)(wk->last = wk->ncache++);
}

static long sock_container(struct worker *wk, const struct tulpen_sock *s)
{
	const struct tulpen_owner *ow;
	size_t n = 0;

	if (!wk->w->o->owners || !s->inode)
		return -1;
	ow = tulpen_owners_lookup(wk->w->o->owners, s->inode, &n);
	return n ? holder_container(wk, ow[0].pid) : -1;
}

static int deliver(struct worker *wk, struct tulpen_sock *s, long cont)
{
	const struct tulpen_container *c = &wk->ns->container;
	int ret;

	if (cont >= 0)
		c = &wk->cache[cont].c;
	s->container = tulpen_container_known(c) ? c : NULL;
	/* netns and container terms: now that the record has its labels */
	if (tulpen_filter_needs_labels(wk->w->o->q->filter) &&
	    !tulpen_filter_match(wk->w->o->q->filter, s))
		return 0;
	ret = wk->w->cb(wk->ns, s, wk->w->data);
	if (ret)
		stop_walk(wk->w, ret);
	return ret;
}

/* Hand the held records over (it is our turn). */
static int flush(struct worker *wk)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < wk->nrec && !ret; i++) {
		struct rec *r = &wk->recs[i];

		if (r->path_off != SIZE_MAX)
			r->s.unix_path = wk->paths + r->path_off;
		ret = deliver(wk, &r->s, r->cont);
	}
	wk->nrec = 0;
	wk->plen = 0;
	return ret;
}

static int hold(struct worker *wk, const struct tulpen_sock *s, long cont)
{
	struct rec *r;

	if (wk->nrec == wk->caprec) {
		size_t cap = wk->caprec ? wk->caprec * 2 : 256;

		r = realloc(wk->recs, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		wk->recs = r;
		wk->caprec = cap;
	}
	r = &wk->recs[wk->nrec];
	r->s = *s;
	r->cont = cont;
	r->path_off = SIZE_MAX;
	if (s->unix_path) {
		size_t n = strlen(s->unix_path) + 1;

		if (wk->plen + n > wk->pcap) {
			size_t cap = wk->pcap ? wk->pcap * 2 : 4096;
			char *p;

			while (cap < wk->plen + n)
				cap *= 2;
			p = realloc(wk->paths, cap);
			if (!p)
				return -ENOMEM;
			wk->paths = p;
			wk->pcap = cap;
		}
		memcpy(wk->paths + wk->plen, s->unix_path, n);
		r->path_off = wk->plen;
		wk->plen += n;
	}
	wk->nrec++;
	return 0;
}

static int worker_sock(const struct tulpen_sock *in, void *data)
{
	struct worker *wk = data;
	struct walk *w = wk->w;
	struct tulpen_sock s = *in;
	long cont;
	int ret;

	if (stopped(w))
		return -ECANCELED;
	s.netns_ino = wk->ns->inode;
	s.netns_name = wk->ns->name;
	cont = sock_container(wk, &s);
	if (!wk->delivering &&
	    __atomic_load_n(&w->turn, __ATOMIC_ACQUIRE) == wk->k) {
		wk->delivering = 1;
		ret = flush(wk);
		if (ret)
			return ret;
	}
	if (wk->delivering)
		return deliver(wk, &s, cont);
	ret = hold(wk, &s, cont);
	if (ret)
		return ret;
	if (wk->nrec * sizeof(struct rec) + wk->plen < HOLD_BYTES)
		return 0;
	/* enough held: wait for our turn (the dump pauses meanwhile) */
	ret = wait_turn(w, wk->k);
	if (ret)
		return ret;
	wk->delivering = 1;
	return flush(wk);
}

/* The inode of the calling thread's namespace, 0 if unknown. */
static uint64_t thread_netns(const struct walk *w)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/thread-self/ns/net",
		 w->parent->proc_root);
	return stat(path, &st) ? 0 : (uint64_t)st.st_ino;
}

/*
 * Enter namespace @ns on this (worker) thread: 0, 1 when it is gone
 * (skipped quietly), or a negative errno.
 */
static int enter(struct worker *wk, const struct tulpen_netns *ns)
{
	struct stat st;
	int fd, ret = 0;

	fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? 1 : -errno;
	/* the pid or the name may now stand for another namespace */
	if (fstat(fd, &st) || (uint64_t)st.st_ino != ns->inode) {
		close(fd);
		return 1;
	}
	/* there already (its own namespace needs no CAP_SYS_ADMIN) */
	if (thread_netns(wk->w) != ns->inode && setns(fd, CLONE_NEWNET)) {
		ret = -errno;
		tulpen_ctx_seterr(wk->ctx,
				  "cannot enter network namespace "
				  "%llu: %s",
				  (unsigned long long)ns->inode,
				  strerror(errno));
	}
	if (!ret)
		ret = tulpen_ctx_set_netns_fd(wk->ctx, fd);
	close(fd);
	return ret == -EINVAL ? 1 : ret;
}

static void report(struct worker *wk, int err)
{
	struct walk *w = wk->w;
	const char *msg = tulpen_ctx_errmsg(wk->ctx);

	w->nfailed++; /* only the turn's holder gets here */
	if (w->ecb)
		w->ecb(wk->ns, err, *msg ? msg : strerror(-err), w->data);
}

/*
 * The query for one namespace: a filter with netns or container terms runs
 * in deliver(), where the records have their labels, not in the collector.
 */
static const struct tulpen_query *walk_query(const struct tulpen_query *q,
					     struct tulpen_query *copy)
{
	if (!tulpen_filter_needs_labels(q->filter))
		return q;
	*copy = *q;
	copy->filter = NULL;
	return copy;
}

static void walk_one(struct worker *wk)
{
	struct walk *w = wk->w;
	struct tulpen_query q;
	int ret;

	wk->delivering = 0;
	wk->ncache = 0;
	wk->last = 0;
	tulpen_ctx_clearerr(wk->ctx);
	ret = enter(wk, wk->ns);
	if (!ret)
		ret = tulpen_collect(wk->ctx, walk_query(w->o->q, &q),
				     worker_sock, wk);
	if (ret == -ECANCELED || stopped(w) || wait_turn(w, wk->k))
		return;
	if (ret < 0 && ret != -ENOMEM) {
		if (!flush(wk))
			report(wk, ret);
	} else if (ret < 0) {
		stop_walk(w, ret);
	} else if (ret == 0 && !flush(wk) && w->o->done) {
		w->o->done(wk->ns, w->data);
	}
	/* ret == 1: the namespace went away before its turn */
	wk->nrec = wk->plen = 0;
	pass_turn(w, wk->k);
}

static void *worker_run(void *arg)
{
	struct worker *wk = arg;
	struct walk *w = wk->w;

	while (!stopped(w)) {
		size_t k = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED);

		if (k >= w->n)
			break;
		wk->k = k;
		wk->ns = w->todo[k];
		walk_one(wk);
	}
	return NULL;
}

static int worker_init(struct worker *wk, struct walk *w)
{
	int ret;

	wk->w = w;
	ret = tulpen_ctx_new(&wk->ctx);
	if (ret)
		return ret;
	tulpen_ctx_set_source(wk->ctx, w->o->source);
	/* notes of every namespace reach the caller's callback */
	tulpen_ctx_set_note(wk->ctx, w->parent->note, w->parent->note_data);
	wk->ctx->nl_inline = 1; /* the pool is the parallelism */
	return tulpen_ctx_set_proc_root(wk->ctx, w->parent->proc_root);
}

static void worker_fini(struct worker *wk)
{
	tulpen_ctx_free(wk->ctx);
	free(wk->recs);
	free(wk->paths);
	free(wk->cache);
}

static unsigned int pool_size(const struct tulpen_netns_walk_opts *o, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int t = o->threads;

	if (!t)
		t = cpus > 0 ? (unsigned int)cpus : 1;
	if (t > MAX_THREADS)
		t = MAX_THREADS;
	if (t > n)
		t = n ? (unsigned int)n : 1;
	return t;
}

static int run_pool(struct walk *w, struct worker *wk, unsigned int nt)
{
	unsigned int k, started = 0;
	int ret = 0;

	memset(wk, 0, nt * sizeof(*wk));
	for (k = 0; k < nt && !ret; k++)
		ret = worker_init(&wk[k], w);
	/* every worker is a thread of ours: this one never changes namespace */
	for (k = 0; !ret && k < nt; k++) {
		if (pthread_create(&wk[k].tid, NULL, worker_run, &wk[k]))
			break; /* the others take its share */
		started++;
	}
	if (!ret && !started)
		ret = -EAGAIN;
	for (k = 0; k < started; k++)
		pthread_join(wk[k].tid, NULL);
	for (k = 0; k < nt; k++)
		worker_fini(&wk[k]);
	return ret;
}

int tulpen_netns_walk(struct tulpen_ctx *ctx,
		      const struct tulpen_netns_set *set,
		      const struct tulpen_netns_walk_opts *opts,
		      tulpen_netns_sock_cb cb, tulpen_netns_err_cb ecb,
		      void *data, size_t *nfailed)
{
	struct worker wk[MAX_THREADS];
	const struct tulpen_netns **todo;
	struct walk w = {
		.parent = ctx, .o = opts, .cb = cb, .ecb = ecb, .data = data
	};
	size_t i, n = opts->only ? 1 : tulpen_netns_count(set);
	int ret;

	todo = malloc((n ? n : 1) * sizeof(*todo));
	if (!todo)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		todo[i] = opts->only ? opts->only : tulpen_netns_at(set, i);
	w.todo = todo;
	w.n = n;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	tulpen_ctx_clearerr(ctx);
	ret = run_pool(&w, wk, pool_size(opts, n));
	if (!ret)
		ret = w.ret;
	if (ret == -ECANCELED)
		ret = 0;
	if (nfailed)
		*nfailed = w.nfailed;
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	free(todo);
	return ret;
}
