// SPDX-License-Identifier: MIT
/*
 * doctor_snap.c - the snapshot the rules read: its samples (sockets and
 * tcp_info from the collector, the counter files through the shared
 * parser, all in the context's namespace), the indexes between them, and
 * the questions rules ask of it (the same socket a moment ago, a
 * counter's rise, the listener of a port, who holds what).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "tulpen/tcp_info.h"
#include "core/procstat.h"
#include "doctor/doctor_internal.h"

static const struct {
	const char *section, *key;
	enum dr_counter c;
} counter_names[] = {
	{ "TcpExt", "ListenOverflows", DR_C_LISTEN_OVERFLOWS },
	{ "TcpExt", "ListenDrops", DR_C_LISTEN_DROPS },
	{ "TcpExt", "SyncookiesSent", DR_C_SYNCOOKIES_SENT },
	{ "TcpExt", "TCPReqQFullDrop", DR_C_REQQ_FULL_DROP },
	{ "TcpExt", "TCPTimeWaitOverflow", DR_C_TW_OVERFLOW },
	{ "TcpExt", "TCPMemoryPressures", DR_C_MEMORY_PRESSURES },
	{ "TcpExt", "TCPAbortOnMemory", DR_C_ABORT_ON_MEMORY },
	{ "Tcp", "RetransSegs", DR_C_RETRANS_SEGS },
	{ "Tcp", "OutSegs", DR_C_OUT_SEGS },
};

static void counter_cb(const struct tulpen_counter *c, void *data)
{
	struct dr_sample *smp = data;
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(counter_names) / sizeof(counter_names[0]); i++)
		if (tulpen_counter_is(c, counter_names[i].section,
				      counter_names[i].key) &&
		    !tulpen_procstat_u64(c->val, c->vallen, &v)) {
			smp->counter[counter_names[i].c] = v;
			smp->have_counter[counter_names[i].c] = 1;
		}
}

void dr_parse_counters(const char *text, size_t len, struct dr_sample *smp)
{
	tulpen_procstat_pairs(text, len, counter_cb, smp);
}

struct sockstat_walk {
	struct dr_sockstat st;
	int seen, bad;
};

static void sockstat_cb(const struct tulpen_counter *c, void *data)
{
	static const struct {
		const char *key;
		size_t off;
		int bit;
	} fields[] = {
		{ "inuse", offsetof(struct dr_sockstat, inuse), 0 },
		{ "orphan", offsetof(struct dr_sockstat, orphan), 1 },
		{ "tw", offsetof(struct dr_sockstat, tw), 0 },
		{ "alloc", offsetof(struct dr_sockstat, alloc), 0 },
		{ "mem", offsetof(struct dr_sockstat, mem_pages), 2 },
	};
	struct sockstat_walk *w = data;
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!tulpen_counter_is(c, "TCP", fields[i].key))
			continue;
		if (tulpen_procstat_u64(c->val, c->vallen, &v)) {
			w->bad = 1;
			return;
		}
		memcpy((char *)&w->st + fields[i].off, &v, sizeof(v));
		w->seen |= fields[i].bit;
	}
}

int dr_parse_sockstat(const char *text, size_t len, struct dr_sockstat *st)
{
	struct sockstat_walk w = { { 0 }, 0, 0 };

	tulpen_procstat_sockstat(text, len, sockstat_cb, &w);
	if (w.bad || w.seen != 3)
		return -EINVAL;
	*st = w.st;
	return 0;
}

int dr_sample_add(struct dr_sample *smp, const struct tulpen_sock *s)
{
	const struct tulpen_tcp_info *ti = s->tcp_info;
	struct dr_sock *d;

	if (smp->nsocks == smp->cap) {
		size_t cap = smp->cap ? smp->cap * 2 : 256;
		struct dr_sock *v = realloc(smp->socks, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		smp->socks = v;
		smp->cap = cap;
	}
	d = &smp->socks[smp->nsocks++];
	memset(d, 0, sizeof(*d));
	d->s = *s;
	d->s.unix_path = NULL;
	d->s.netns_name = NULL;
	d->s.container = NULL;
	d->s.tcp_info = NULL;
	d->s.skmem = NULL;
	if (ti) {
		d->have_info = 1;
		d->last_data_recv_ms = ti->last_data_recv;
		d->total_retrans = ti->total_retrans;
		d->segs_out = ti->segs_out;
		d->lost = ti->lost;
		d->probes = ti->probes;
		if (tulpen_tcp_info_has(ti, snd_wnd)) {
			d->snd_wnd = ti->snd_wnd;
			d->have_snd_wnd = 1;
		}
	}
	return 0;
}

void dr_sample_fini(struct dr_sample *smp)
{
	free(smp->socks);
	memset(smp, 0, sizeof(*smp));
}

/* A socket's identity between samples. */
struct sock_key {
	uint64_t cookie;
	uint32_t family;
	uint32_t inode_lo;
	struct tulpen_endpoint local, peer;
};

static void key_of(const struct dr_sock *d, struct sock_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = d->s.family;
	if (d->s.has_cookie) {
		k->cookie = d->s.cookie;
		return;
	}
	k->inode_lo = (uint32_t)d->s.inode;
	k->local = d->s.local;
	k->peer = d->s.peer;
}

int dr_snap_index(struct dr_snap *sn)
{
	struct sock_key k;
	size_t i, *v;
	int ret;

	ret = TULPEN_HASH_INIT(&sn->a_index, struct sock_key, size_t, NULL);
	if (!ret)
		ret = TULPEN_HASH_INIT(&sn->listen_index, uint64_t, size_t,
				       NULL);
	if (!ret)
		ret = TULPEN_HASH_INIT(&sn->pid_index, uint64_t, uint32_t,
				       NULL);
	if (ret)
		return ret;
	for (i = 0; i < sn->a.nsocks; i++) {
		key_of(&sn->a.socks[i], &k);
		ret = tulpen_hash_insert(&sn->a_index, &k, (void **)&v);
		if (ret < 0)
			return ret;
		*v = i;
	}
	sn->listeners = calloc(sn->b.nsocks + 1, sizeof(*sn->listeners));
	if (!sn->listeners)
		return -ENOMEM;
	for (i = 0; i < sn->b.nsocks; i++) {
		const struct dr_sock *d = &sn->b.socks[i];

		if (d->s.state != TULPEN_TCP_LISTEN)
			continue;
		sn->listeners[sn->nlisteners++] = i;
		ret = tulpen_hash_insert_u64(&sn->listen_index, d->s.local.port,
					     (void **)&v);
		if (ret < 0)
			return ret;
		if (ret == 1)
			*v = i;
	}
	for (i = 0; i < sn->nprocs; i++) {
		uint32_t *p;

		ret = tulpen_hash_insert_u64(&sn->pid_index,
					     (uint64_t)sn->procs[i].pid,
					     (void **)&p);
		if (ret < 0)
			return ret;
		*p = (uint32_t)i;
	}
	return 0;
}

void dr_snap_fini(struct dr_snap *sn)
{
	tulpen_hash_fini(&sn->a_index);
	tulpen_hash_fini(&sn->listen_index);
	tulpen_hash_fini(&sn->pid_index);
	free(sn->listeners);
	sn->listeners = NULL;
	sn->nlisteners = 0;
	dr_sample_fini(&sn->a);
	dr_sample_fini(&sn->b);
}

const struct dr_sock *dr_prev(const struct dr_snap *sn, const struct dr_sock *b)
{
	struct sock_key k;
	const size_t *i;

	key_of(b, &k);
	i = tulpen_hash_find(&sn->a_index, &k);
	return i ? &sn->a.socks[*i] : NULL;
}

int dr_stays_in(const struct dr_snap *sn, const struct dr_sock *b, int state)
{
	const struct dr_sock *p;

	if (b->s.state != state)
		return 0;
	p = dr_prev(sn, b);
	return p && p->s.state == state;
}

int dr_has_counter(const struct dr_snap *sn, enum dr_counter c)
{
	return sn->a.have_counter[c] && sn->b.have_counter[c];
}

uint64_t dr_delta(const struct dr_snap *sn, enum dr_counter c)
{
	if (!dr_has_counter(sn, c) || sn->b.counter[c] < sn->a.counter[c])
		return 0;
	return sn->b.counter[c] - sn->a.counter[c];
}

const struct dr_sock *dr_listener(const struct dr_snap *sn,
				  const struct dr_sock *s)
{
	const size_t *i =
		tulpen_hash_find_u64(&sn->listen_index, s->s.local.port);

	return i ? &sn->b.socks[*i] : NULL;
}

int dr_holds(const struct dr_snap *sn, const struct dr_sock *s, uint32_t proc)
{
	uint32_t i;

	for (i = 0; i < s->nown; i++)
		if (sn->holders[s->own + i].proc == proc)
			return 1;
	return 0;
}

/* Whether process @proc holds any LISTEN socket of @port. */
static int holds_listener(const struct dr_snap *sn, uint16_t port,
			  uint32_t proc)
{
	size_t i;

	for (i = 0; i < sn->nlisteners; i++) {
		const struct dr_sock *l = &sn->b.socks[sn->listeners[i]];

		if (l->s.local.port == port && dr_holds(sn, l, proc))
			return 1;
	}
	return 0;
}

/* The nearest ancestor of @p (up to DR_ANCESTORS up) that holds a listener
 * of @port: its index, or -1. */
static long listening_ancestor(const struct dr_snap *sn,
			       const struct dr_proc *p, uint16_t port)
{
	const uint32_t *a;
	int j;

	for (j = 0; j < DR_ANCESTORS && p->anc[j] > 0; j++) {
		a = tulpen_hash_find_u64(&sn->pid_index, (uint64_t)p->anc[j]);
		if (a && holds_listener(sn, port, *a))
			return (long)*a;
	}
	return -1;
}

int dr_close_wait_is_copy(const struct dr_snap *sn, const struct dr_sock *s,
			  uint32_t *acceptor)
{
	uint16_t port = s->s.local.port;
	long acc = -1;
	uint32_t i;

	if (s->s.state != TULPEN_TCP_CLOSE_WAIT || !s->nown ||
	    !dr_listener(sn, s))
		return 0;
	for (i = 0; i < s->nown; i++) {
		uint32_t h = sn->holders[s->own + i].proc;
		long a = listening_ancestor(sn, &sn->procs[h], port);

		if (a < 0)
			return 0; /* no one above it listens: it may be the
				   * acceptor */
		/* a pre-forked worker (the same program, holding the
		 * listener) accepts for itself; a program exec'd with the
		 * listener inherited does not */
		if (holds_listener(sn, port, h) &&
		    !strcmp(sn->procs[h].comm, sn->procs[a].comm))
			return 0;
		acc = a;
	}
	if (acceptor)
		*acceptor = (uint32_t)acc;
	return 1;
}
