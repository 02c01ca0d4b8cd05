// SPDX-License-Identifier: MIT
/*
 * watch_sampled.c - the sampled source of `tulpen watch`: TCP snapshots
 * through tulpen_collect() at an interval, differences reported as events.
 *
 * Sockets are keyed by their address tuple (not the cookie) so that a
 * request socket and the full socket it becomes, or a socket and the
 * time-wait socket that replaces it, are one connection; they live in the
 * library's hash table (core/hash.h). Events carry the tuple's hash, with
 * bit 63 set, as their cookie. Every event is marked sampled: transitions
 * between two snapshots are not seen and times are bounds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/hash.h"
#include "tulpen/collect.h"
#include "tulpen/watch.h"
#include "tulpen/watch_conn.h"

#define SAMPLED_KEY_BIT (1ull << 63)

/* The table's key: family, local and peer address and port, packed. */
#define TUPLE_SIZE (1 + 2 * (16 + 2))

struct tuple {
	uint8_t b[TUPLE_SIZE];
};

struct sent {
	uint64_t key; /* the events' cookie */
	uint64_t since_ns;
	struct tulpen_endpoint local;
	struct tulpen_endpoint peer;
	uint8_t state;
	uint8_t family;
	uint8_t proto;
	uint8_t seen;
};

struct tulpen_watch_sampled {
	struct tulpen_ctx *ctx;
	struct tulpen_hash tab; /* struct tuple -> struct sent */
	uint8_t gen;
	int primed;
	/* The step in progress. */
	uint64_t now;
	tulpen_watch_cb cb;
	void *data;
	int cb_ret;
};

static void tuple_of(struct tuple *t, int family,
		     const struct tulpen_endpoint *l,
		     const struct tulpen_endpoint *p)
{
	t->b[0] = (uint8_t)family;
	memcpy(t->b + 1, l->addr.raw, 16);
	memcpy(t->b + 17, &l->port, 2);
	memcpy(t->b + 19, p->addr.raw, 16);
	memcpy(t->b + 35, &p->port, 2);
}

static int new_table(struct tulpen_hash *t)
{
	return TULPEN_HASH_INIT(t, struct tuple, struct sent, NULL);
}

/* Keep only the sockets seen in this generation's snapshot. */
static int keep_seen(struct tulpen_watch_sampled *w)
{
	struct tulpen_hash live;
	const void *key;
	struct sent *e;
	void *v;
	size_t pos = 0;
	int ret;

	ret = new_table(&live);
	if (!ret)
		ret = tulpen_hash_reserve(&live, tulpen_hash_count(&w->tab));
	if (ret) {
		tulpen_hash_fini(&live);
		return ret;
	}
	while ((e = tulpen_hash_next(&w->tab, &pos, &key))) {
		if (e->seen != w->gen)
			continue;
		if (tulpen_hash_insert(&live, key, &v) < 0) {
			tulpen_hash_fini(&live);
			return -ENOMEM;
		}
		memcpy(v, e, sizeof(*e));
	}
	tulpen_hash_fini(&w->tab);
	w->tab = live;
	return 0;
}

int tulpen_watch_sampled_new(struct tulpen_ctx *ctx,
			     struct tulpen_watch_sampled **out)
{
	struct tulpen_watch_sampled *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ctx = ctx;
	if (new_table(&w->tab)) {
		free(w);
		return -EINVAL;
	}
	*out = w;
	return 0;
}

void tulpen_watch_sampled_free(struct tulpen_watch_sampled *w)
{
	if (!w)
		return;
	tulpen_hash_fini(&w->tab);
	free(w);
}

static int report(struct tulpen_watch_sampled *w, const struct sent *e,
		  int oldstate, int newstate)
{
	struct tulpen_watch_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = TULPEN_WEV_STATE;
	ev.sampled = 1;
	ev.proto = e->proto;
	ev.family = e->family;
	ev.oldstate = (uint8_t)oldstate;
	ev.newstate = (uint8_t)newstate;
	ev.ts_ns = w->now;
	ev.cookie = e->key;
	/* At least this long: it was there at the previous samples. */
	ev.in_old_ns = oldstate == TULPEN_TCP_CLOSE
			       ? -1
			       : (int64_t)(w->now - e->since_ns);
	ev.local = e->local;
	ev.peer = e->peer;
	return w->cb(&ev, w->data);
}

static int on_sock(const struct tulpen_sock *s, void *data)
{
	struct tulpen_watch_sampled *w = data;
	struct tuple t;
	struct sent *e;
	uint64_t hash;
	void *v;
	int state = s->state, old, ret;

	if (!tulpen_sock_is_inet(s))
		return 0;
	/* A request socket is the server's SYN-RECEIVED. */
	if (state == TULPEN_TCP_NEW_SYN_RECV)
		state = TULPEN_TCP_SYN_RECV;
	tuple_of(&t, s->family, &s->local, &s->peer);
	hash = tulpen_hash_bytes(&t, sizeof(t));
	ret = tulpen_hash_insert_h(&w->tab, &t, hash, &v);
	if (ret < 0)
		return ret;
	e = v;
	if (!ret) {
		if (e->seen == w->gen)
			return 0; /* listed twice (v4-mapped, ...) */
		e->seen = w->gen;
		if (e->state == state)
			return 0;
		old = e->state;
		e->state = (uint8_t)state;
		ret = report(w, e, old, state);
		e->since_ns = w->now;
		return ret;
	}
	e->key = hash | SAMPLED_KEY_BIT;
	e->family = s->family;
	e->proto = s->proto;
	e->local = s->local;
	e->peer = s->peer;
	e->state = (uint8_t)state;
	e->since_ns = w->now;
	e->seen = w->gen;
	if (!w->primed)
		return 0;
	return report(w, e, TULPEN_TCP_CLOSE, state);
}

int tulpen_watch_sampled_step(struct tulpen_watch_sampled *w, uint64_t now_ns,
			      tulpen_watch_cb cb, void *data)
{
	struct tulpen_query q = {
		.protos = TULPEN_PF(TULPEN_P_TCP),
		.families = TULPEN_FAM_INET | TULPEN_FAM_INET6,
		.states = TULPEN_SF_ALL,
	};
	struct sent *e;
	size_t pos = 0;
	int ret;

	w->now = now_ns;
	w->cb = cb;
	w->data = data;
	w->gen ^= 1;
	ret = tulpen_collect(w->ctx, &q, on_sock, w);
	if (ret)
		return ret;
	/* Sockets not in this snapshot are gone. */
	while (w->primed && (e = tulpen_hash_next(&w->tab, &pos, NULL))) {
		if (e->seen == w->gen)
			continue;
		ret = report(w, e, e->state, TULPEN_TCP_CLOSE);
		if (ret)
			return ret;
	}
	ret = keep_seen(w);
	if (ret)
		return ret;
	w->primed = 1;
	return 0;
}

int tulpen_watch_sampled_seed(struct tulpen_watch_sampled *w,
			      struct tulpen_conns *c)
{
	const struct sent *e;
	struct tulpen_sock s;
	size_t pos = 0;
	int ret;

	while ((e = tulpen_hash_next(&w->tab, &pos, NULL))) {
		memset(&s, 0, sizeof(s));
		s.proto = e->proto;
		s.family = e->family;
		s.state = e->state;
		s.local = e->local;
		s.peer = e->peer;
		s.cookie = e->key;
		s.has_cookie = 1;
		ret = tulpen_conns_seed(c, &s, e->since_ns, 0, NULL);
		if (ret)
			return ret;
	}
	return 0;
}
