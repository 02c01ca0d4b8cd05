// SPDX-License-Identifier: MIT
/*
 * metrics.c - one collection per scrape, shared by concurrent scrapes.
 *
 * A collection is one tulpen_collect() walk over every protocol (sock_diag;
 * /proc/net only for what the kernel's diag modules do not serve), counting
 * as it goes: sockets per protocol and family, TCP states, listeners merged
 * per address and port (SO_REUSEPORT groups are one series), the local
 * ports of the ephemeral range in use, and the inodes of CLOSE-WAIT
 * sockets. Then, only if there are CLOSE-WAIT sockets, their holders from
 * the cached owner scan (owner_cache.c: refreshed in the background when
 * older than owners_max_age_ms),
 * the kernel's counters and, with the eBPF source, its in-kernel
 * transition counts. The top K listeners and processes go into the
 * snapshot by name, the rest into one "other" series.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tulpen/collect.h"
#include "tulpen/netns.h"
#include "tulpen/owners.h"
#include "core/hash.h"
#include "metrics/metrics_internal.h"

/* A process's CLOSE-WAIT sockets, per namespace with --all-netns. */
struct proc_key {
	uint32_t ns;
	int32_t pid;
};

struct proc_val {
	const char *comm; /* into the owner table */
	uint64_t sockets;
};

struct tulpen_metrics {
	struct tulpen_ctx *ctx;
	struct tulpen_metrics_opts opts;
	pthread_mutex_t lock;
	pthread_cond_t done;
	int collecting;
	uint64_t gen;
	struct tm_snap *pub;  /* what scrapes render (under lock) */
	struct tm_snap *work; /* what the collecting thread fills */
	struct tm_snap snaps[2];
	uint64_t shared;
	/* working state of the collecting thread */
	struct tm_acc acc;
	struct tm_split split;
	struct tulpen_hash procs; /* proc_key -> proc_val */
	struct tm_owner_cache owners;
	struct tm_doctor_cache doctor;
	uint64_t collections, failures;
	/* scratch for the top K sort, reused */
	void *sortbuf;
	size_t sortcap;
	struct tm_nswalk nsw; /* --all-netns */
};

void tulpen_metrics_opts_default(struct tulpen_metrics_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->top_k = TULPEN_METRICS_TOP_K_DEFAULT;
	o->owners = 1;
	o->owners_max_age_ms = TULPEN_METRICS_OWNERS_MAX_AGE_DEFAULT_MS;
}

static int snap_init(struct tm_snap *s, unsigned int k)
{
	memset(s, 0, sizeof(*s));
	s->top_listeners = calloc(k, sizeof(*s->top_listeners));
	s->top_procs = calloc(k, sizeof(*s->top_procs));
	s->top_netns = calloc(k, sizeof(*s->top_netns));
	return s->top_listeners && s->top_procs && s->top_netns ? 0 : -ENOMEM;
}

static void snap_fini(struct tm_snap *s)
{
	free(s->top_listeners);
	free(s->top_procs);
	free(s->top_netns);
}

int tulpen_metrics_new(struct tulpen_ctx *ctx,
		       const struct tulpen_metrics_opts *o,
		       struct tulpen_metrics **out)
{
	struct tulpen_metrics *m;
	int ret = -ENOMEM;

	if (!ctx || !o || !o->top_k || o->top_k > TULPEN_METRICS_TOP_K_MAX)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->ctx = ctx;
	m->opts = *o;
	if (snap_init(&m->snaps[0], o->top_k) ||
	    snap_init(&m->snaps[1], o->top_k))
		goto fail;
	if (TULPEN_HASH_INIT(&m->procs, struct proc_key, struct proc_val,
			     NULL)) {
		ret = -EINVAL;
		goto fail;
	}
	ret = tm_acc_init(&m->acc);
	if (!ret)
		ret = tm_split_init(&m->split, ctx);
	if (!ret)
		ret = tm_owner_cache_init(&m->owners, tulpen_ctx_proc_root(ctx),
					  o->owners_max_age_ms);
	if (!ret)
		ret = tm_doctor_cache_init(&m->doctor,
					   tulpen_ctx_proc_root(ctx),
					   o->doctor_every_ms);
	if (!ret && pthread_mutex_init(&m->lock, NULL))
		ret = -ENOMEM;
	if (!ret && pthread_cond_init(&m->done, NULL)) {
		pthread_mutex_destroy(&m->lock);
		ret = -ENOMEM;
	}
	if (ret)
		goto fail;
	m->pub = &m->snaps[0];
	m->work = &m->snaps[1];
	*out = m;
	return 0;
fail:
	tm_doctor_cache_fini(&m->doctor);
	tm_owner_cache_fini(&m->owners);
	tm_split_fini(&m->split);
	tm_acc_fini(&m->acc);
	tulpen_hash_fini(&m->procs);
	snap_fini(&m->snaps[0]);
	snap_fini(&m->snaps[1]);
	free(m);
	return ret;
}

void tulpen_metrics_free(struct tulpen_metrics *m)
{
	if (!m)
		return;
	pthread_cond_destroy(&m->done);
	pthread_mutex_destroy(&m->lock);
	snap_fini(&m->snaps[0]);
	snap_fini(&m->snaps[1]);
	tulpen_hash_fini(&m->procs);
	tm_owner_cache_fini(&m->owners);
	tm_doctor_cache_fini(&m->doctor);
	tm_split_fini(&m->split);
	tm_acc_fini(&m->acc);
	free(m->sortbuf);
	tm_nswalk_fini(&m->nsw);
	free(m);
}

static void *sort_space(struct tulpen_metrics *m, size_t n, size_t size)
{
	void *p;

	if (n * size <= m->sortcap)
		return m->sortbuf;
	p = realloc(m->sortbuf, n * size);
	if (!p)
		return NULL;
	m->sortbuf = p;
	m->sortcap = n * size;
	return p;
}

static int cmp_listener(const void *a, const void *b)
{
	const struct tm_listener *x = a, *y = b;
	int c;

	if (x->queue != y->queue)
		return x->queue > y->queue ? -1 : 1;
	if (x->limit != y->limit)
		return x->limit > y->limit ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	c = strcmp(x->address, y->address);
	return c ? c : strcmp(x->ns.netns, y->ns.netns);
}

/* The listeners table into the snapshot: top K by queue, rest summed. */
static int pick_listeners(struct tulpen_metrics *m, struct tm_snap *w)
{
	size_t n = tulpen_hash_count(&m->acc.listen), i = 0, pos = 0;
	struct tm_listener *all, *o = &w->other_listeners;
	const struct tm_listen_val *v;
	struct tm_listen_key key;
	const void *kp;

	if (!n)
		return 0;
	all = sort_space(m, n, sizeof(*all));
	if (!all)
		return -ENOMEM;
	while ((v = tulpen_hash_next(&m->acc.listen, &pos, &kp))) {
		memcpy(&key, kp, sizeof(key));
		memset(&all[i], 0, sizeof(all[i]));
		inet_ntop(key.family, key.addr, all[i].address,
			  sizeof(all[i].address));
		all[i].port = key.port;
		all[i].queue = v->queue;
		all[i].limit = v->limit;
		all[i].sockets = v->sockets;
		if (m->opts.all_netns)
			all[i].ns = *tm_nswalk_label(&m->nsw, key.ns);
		i++;
	}
	qsort(all, n, sizeof(*all), cmp_listener);
	w->ntop_listeners = n < m->opts.top_k ? n : m->opts.top_k;
	memcpy(w->top_listeners, all, w->ntop_listeners * sizeof(*all));
	for (i = w->ntop_listeners; i < n; i++) {
		w->has_other_listeners = 1;
		o->queue += all[i].queue;
		o->limit += all[i].limit;
		o->sockets += all[i].sockets;
	}
	return 0;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct tm_process *x = a, *y = b;

	if (x->sockets != y->sockets)
		return x->sockets > y->sockets ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return strcmp(x->ns.netns, y->ns.netns);
}

static int pick_procs(struct tulpen_metrics *m, struct tm_snap *w,
		      const struct tulpen_owners *owners)
{
	const struct tulpen_owner *own;
	struct tm_process *all;
	struct proc_val *v;
	struct proc_key key;
	size_t i, n, pos = 0;
	const void *kp;
	int ret;

	tulpen_hash_clear(&m->procs);
	w->unknown_sockets = m->acc.cw_noinode;
	for (i = 0; i < m->acc.ncw; i++) {
		own = owners ? tulpen_owners_lookup(owners, m->acc.cw[i].inode,
						    &n)
			     : NULL;
		if (!own) {
			w->unknown_sockets++;
			continue;
		}
		key.ns = m->opts.all_netns ? m->acc.cw[i].ns : 0;
		key.pid = own->pid;
		ret = tulpen_hash_insert(&m->procs, &key, (void **)&v);
		if (ret < 0)
			return ret;
		v->comm = own->comm;
		v->sockets++;
	}
	n = tulpen_hash_count(&m->procs);
	if (!n)
		return 0;
	all = sort_space(m, n, sizeof(*all));
	if (!all)
		return -ENOMEM;
	i = 0;
	while ((v = tulpen_hash_next(&m->procs, &pos, &kp))) {
		memcpy(&key, kp, sizeof(key));
		memset(&all[i], 0, sizeof(all[i]));
		all[i].pid = key.pid;
		snprintf(all[i].command, sizeof(all[i].command), "%s",
			 v->comm ? v->comm : "");
		all[i].sockets = v->sockets;
		if (m->opts.all_netns)
			all[i].ns = *tm_nswalk_label(&m->nsw, key.ns);
		i++;
	}
	qsort(all, n, sizeof(*all), cmp_proc);
	w->ntop_procs = n < m->opts.top_k ? n : m->opts.top_k;
	memcpy(w->top_procs, all, w->ntop_procs * sizeof(*all));
	for (i = w->ntop_procs; i < n; i++)
		w->other_procs_sockets += all[i].sockets;
	return 0;
}

static void snap_reset(struct tm_snap *w)
{
	struct tm_listener *tl = w->top_listeners;
	struct tm_process *tp = w->top_procs;
	struct tm_netns *tn = w->top_netns;

	memset(w, 0, sizeof(*w));
	w->top_listeners = tl;
	w->top_procs = tp;
	w->top_netns = tn;
}

static void count_ports(struct tulpen_metrics *m, struct tm_snap *w)
{
	uint32_t p;

	if (!w->k.have_port_range)
		return;
	for (p = w->k.port_lo; p <= w->k.port_hi; p++)
		if (m->acc.ports[p / 8] & (1u << (p % 8)))
			w->ephemeral_used++;
}

/* Fill m->work; called by one thread at a time, without the lock. */
static void collect(struct tulpen_metrics *m)
{
	struct tulpen_query q = {
		.protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_UDP) |
			  TULPEN_PF(TULPEN_P_UDPLITE) |
			  TULPEN_PF(TULPEN_P_RAW) | TULPEN_PF(TULPEN_P_UNIX) |
			  TULPEN_PF(TULPEN_P_MPTCP),
		.families = TULPEN_FAM_ALL,
		.states = TULPEN_SF_ALL,
	};
	struct tm_snap *w = m->work;
	double t0 = tm_mono_s();
	int ret;

	snap_reset(w);
	tulpen_ctx_clearerr(m->ctx);
	w->all_netns = m->opts.all_netns;
	if (m->opts.all_netns) {
		ret = tm_nswalk_collect(&m->nsw, m->ctx, &q, &m->acc);
		if (!ret)
			ret = tm_nswalk_pick(&m->nsw, m->opts.top_k, w);
	} else {
		ret = tm_split_collect(&m->split, m->ctx, &q, &m->acc);
	}
	if (ret > 0)
		ret = -EIO;
	memcpy(w->sockets, m->acc.sockets, sizeof(w->sockets));
	memcpy(w->tcp_states, m->acc.tcp_states, sizeof(w->tcp_states));
	w->listeners = m->acc.listeners;
	if (!ret)
		ret = pick_listeners(m, w);
	w->owners_enabled = m->opts.owners;
	w->owners_age_s = -1;
	if (!ret && m->opts.owners) {
		/* no CLOSE-WAIT socket, no process scan */
		ret = pick_procs(m, w,
				 m->acc.ncw ? tm_owner_cache_get(&m->owners,
								 m->acc.cw,
								 m->acc.ncw)
					    : m->owners.owners);
		w->owners_age_s = tm_owner_cache_age(&m->owners);
		w->owners_denied = m->owners.denied;
		w->owner_scans = m->owners.scans;
	}
	if (ret) {
		w->err = ret;
		snprintf(w->errmsg, sizeof(w->errmsg), "%s: %s", strerror(-ret),
			 tulpen_ctx_errmsg(m->ctx));
		m->failures++;
	}
	tm_kstats_read(tulpen_ctx_proc_root(m->ctx), &w->k);
	if (m->opts.counts)
		w->have_counts =
			!tulpen_watch_counts_read(m->opts.counts, &w->counts);
	count_ports(m, w);
	w->doctor_enabled = m->opts.doctor_every_ms > 0;
	if (w->doctor_enabled) {
		tm_doctor_cache_poll(&m->doctor);
		w->doctor_have = m->doctor.have;
		memcpy(w->doctor, m->doctor.counts, sizeof(w->doctor));
		w->doctor_age_s = tm_doctor_cache_age(&m->doctor);
		w->doctor_runs = m->doctor.runs;
	}
	m->collections++;
	w->collections = m->collections;
	w->split_walks = m->split.splits;
	w->failures = m->failures;
	w->duration_s = tm_mono_s() - t0;
}

int tulpen_metrics_scrape(struct tulpen_metrics *m,
			  enum tulpen_metrics_format fmt,
			  struct tulpen_buf *out, char *err, size_t errlen)
{
	struct tm_snap *t;
	uint64_t gen;
	int ret;

	pthread_mutex_lock(&m->lock);
	if (m->collecting) {
		/* join the collection that is running */
		m->shared++;
		gen = m->gen;
		while (m->gen == gen)
			pthread_cond_wait(&m->done, &m->lock);
	} else {
		m->collecting = 1;
		pthread_mutex_unlock(&m->lock);
		collect(m);
		pthread_mutex_lock(&m->lock);
		t = m->pub;
		m->pub = m->work;
		m->work = t;
		m->collecting = 0;
		m->gen++;
		pthread_cond_broadcast(&m->done);
	}
	m->pub->shared = m->shared;
	if (m->pub->err) {
		ret = m->pub->err;
		if (err && errlen)
			snprintf(err, errlen, "%s", m->pub->errmsg);
	} else {
		ret = tm_render(m->pub, fmt, out);
		if (ret && err && errlen)
			snprintf(err, errlen, "%s", strerror(-ret));
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}
