// SPDX-License-Identifier: MIT
/*
 * watch_sampled.c - the sampled source of `tulpen watch`: TCP snapshots
 * through tulpen_collect() at an interval, differences reported as events.
 *
 * Sockets are keyed by their address tuple (not the cookie) so that a
 * request socket and the full socket it becomes, or a socket and the
 * time-wait socket that replaces it, are one connection. Events carry that
 * key, with bit 63 set, as their cookie. Every event is marked sampled:
 * transitions between two snapshots are not seen and times are bounds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/collect.h"
#include "tulpen/watch.h"
#include "tulpen/watch_conn.h"

#define MIN_SLOTS 1024u
#define SAMPLED_KEY_BIT (1ull << 63)

struct sent {
	uint64_t key; /* 0: empty */
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
	struct sent *tab;
	size_t nslots;
	size_t used;
	uint8_t gen;
	int primed;
	/* The step in progress. */
	uint64_t now;
	tulpen_watch_cb cb;
	void *data;
	int cb_ret;
};

static uint64_t tuple_key(int family, const struct tulpen_endpoint *l,
			  const struct tulpen_endpoint *p)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const uint8_t *parts[2] = { l->addr.raw, p->addr.raw };
	uint16_t ports[2] = { l->port, p->port };
	size_t i, j;

	h = (h ^ (uint64_t)family) * 0x100000001b3ull;
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 16; j++)
			h = (h ^ parts[i][j]) * 0x100000001b3ull;
		h = (h ^ (ports[i] & 0xff)) * 0x100000001b3ull;
		h = (h ^ (ports[i] >> 8)) * 0x100000001b3ull;
	}
	return h | SAMPLED_KEY_BIT;
}

static size_t slot_of(size_t nslots, uint64_t key)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & (nslots - 1);
}

static struct sent *find(struct sent *tab, size_t nslots, uint64_t key,
			 int family, const struct tulpen_endpoint *l,
			 const struct tulpen_endpoint *p, int *found)
{
	size_t i = slot_of(nslots, key);

	*found = 0;
	while (tab[i].key) {
		if (tab[i].key == key && tab[i].family == family &&
		    !memcmp(&tab[i].local, l, sizeof(*l)) &&
		    !memcmp(&tab[i].peer, p, sizeof(*p))) {
			*found = 1;
			return &tab[i];
		}
		i = (i + 1) & (nslots - 1);
	}
	return &tab[i];
}

static int rehash(struct tulpen_watch_sampled *w, size_t nslots, int live)
{
	struct sent *tab = calloc(nslots, sizeof(*tab)), *e;
	size_t i;
	int found;

	if (!tab)
		return -ENOMEM;
	w->used = 0;
	for (i = 0; i < w->nslots; i++) {
		if (!w->tab[i].key || (live && w->tab[i].seen != w->gen))
			continue;
		e = find(tab, nslots, w->tab[i].key, w->tab[i].family,
			 &w->tab[i].local, &w->tab[i].peer, &found);
		*e = w->tab[i];
		w->used++;
	}
	free(w->tab);
	w->tab = tab;
	w->nslots = nslots;
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
	w->nslots = MIN_SLOTS;
	w->tab = calloc(w->nslots, sizeof(*w->tab));
	if (!w->tab) {
		free(w);
		return -ENOMEM;
	}
	*out = w;
	return 0;
}

void tulpen_watch_sampled_free(struct tulpen_watch_sampled *w)
{
	if (!w)
		return;
	free(w->tab);
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
	ev.in_old_ns = oldstate == TULPEN_TCP_CLOSE ?
		-1 : (int64_t)(w->now - e->since_ns);
	ev.local = e->local;
	ev.peer = e->peer;
	return w->cb(&ev, w->data);
}

static int on_sock(const struct tulpen_sock *s, void *data)
{
	struct tulpen_watch_sampled *w = data;
	struct sent *e;
	uint64_t key;
	int found, state = s->state, old, ret;

	if (!tulpen_sock_is_inet(s))
		return 0;
	/* A request socket is the server's SYN-RECEIVED. */
	if (state == TULPEN_TCP_NEW_SYN_RECV)
		state = TULPEN_TCP_SYN_RECV;
	if ((w->used + 1) * 4 > w->nslots * 3) {
		ret = rehash(w, w->nslots * 2, 0);
		if (ret)
			return ret;
	}
	key = tuple_key(s->family, &s->local, &s->peer);
	e = find(w->tab, w->nslots, key, s->family, &s->local, &s->peer,
		 &found);
	if (found) {
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
	e->key = key;
	e->family = s->family;
	e->proto = s->proto;
	e->local = s->local;
	e->peer = s->peer;
	e->state = (uint8_t)state;
	e->since_ns = w->now;
	e->seen = w->gen;
	w->used++;
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
	size_t i, nslots;
	int ret;

	w->now = now_ns;
	w->cb = cb;
	w->data = data;
	w->gen ^= 1;
	ret = tulpen_collect(w->ctx, &q, on_sock, w);
	if (ret)
		return ret;
	/* Sockets not in this snapshot are gone. */
	if (w->primed) {
		for (i = 0; i < w->nslots; i++) {
			struct sent *e = &w->tab[i];

			if (!e->key || e->seen == w->gen)
				continue;
			ret = report(w, e, e->state, TULPEN_TCP_CLOSE);
			if (ret)
				return ret;
		}
	}
	nslots = w->nslots;
	while (nslots > MIN_SLOTS && w->used * 8 < nslots)
		nslots /= 2;
	ret = rehash(w, nslots, 1);
	if (ret)
		return ret;
	w->primed = 1;
	return 0;
}

int tulpen_watch_sampled_seed(struct tulpen_watch_sampled *w,
			      struct tulpen_conns *c)
{
	struct tulpen_sock s;
	size_t i;
	int ret;

	for (i = 0; i < w->nslots; i++) {
		const struct sent *e = &w->tab[i];

		if (!e->key)
			continue;
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
