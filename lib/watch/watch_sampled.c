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

#include "core/ctx_internal.h"
#include "core/hash.h"
#include "tulpen/collect.h"
#include "tulpen/sock_events.h"
#include "tulpen/tcp_info.h"
#include "tulpen/watch.h"
#include "tulpen/watch_conn.h"

#define SAMPLED_KEY_BIT (1ull << 63)

/* The table's key: family, local and peer address and port, packed. */
#define TUPLE_SIZE (1 + 2 * (16 + 2))

struct tuple {
	uint8_t b[TUPLE_SIZE];
};

struct sent {
	uint64_t key;	    /* the events' cookie */
	uint64_t sk_cookie; /* the kernel's, of the last socket seen */
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
	/* destroy events (tulpen_watch_sampled_events), or NULL */
	struct tulpen_sock_events *ev;
	struct tulpen_query evq;
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
	tulpen_sock_events_free(w->ev);
	tulpen_hash_fini(&w->tab);
	free(w);
}

/*
 * @s: the destroy event's record (its final counters), or NULL; @late:
 * the connection was not seen before its end, so no time is known.
 */
static int report_ev(struct tulpen_watch_sampled *w, const struct sent *e,
		     int oldstate, int newstate, const struct tulpen_sock *s,
		     int late)
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
	if (late) {
		ev.late = 1;
		ev.in_old_ns = -1;
	}
	if (s && s->tcp_info) { /* a destroy event: its final counters */
		ev.has_bytes = 1;
		ev.bytes_acked = s->tcp_info->bytes_acked;
		ev.bytes_received = s->tcp_info->bytes_received;
	}
	return w->cb(&ev, w->data);
}

static int report(struct tulpen_watch_sampled *w, const struct sent *e,
		  int oldstate, int newstate)
{
	return report_ev(w, e, oldstate, newstate, NULL, 0);
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
		e->sk_cookie = s->cookie;
		if (e->state == state)
			return 0;
		old = e->state;
		e->state = (uint8_t)state;
		ret = report(w, e, old, state);
		e->since_ns = w->now;
		return ret;
	}
	e->key = hash | SAMPLED_KEY_BIT;
	e->sk_cookie = s->cookie;
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

	/* ends already told: not as vanished sockets of this snapshot */
	if (w->ev && w->primed) {
		ret = tulpen_watch_sampled_ends(w, now_ns, cb, data);
		if (ret < 0)
			return ret;
	}
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

int tulpen_watch_sampled_events(struct tulpen_watch_sampled *w)
{
	const struct tulpen_nl_ops *ops;
	void *priv;

	/* recorded snapshots have no events to go with them */
	if (tulpen_ctx_nl(w->ctx, &ops, &priv) || !w->ctx->nl_is_live)
		return -EOPNOTSUPP;
	w->evq.protos = TULPEN_PF(TULPEN_P_TCP);
	w->evq.families = TULPEN_FAM_INET | TULPEN_FAM_INET6;
	w->evq.states = TULPEN_SF_ALL;
	return tulpen_sock_events_open(w->ctx, &w->evq, &w->ev);
}

int tulpen_watch_sampled_fd(const struct tulpen_watch_sampled *w)
{
	return w->ev ? tulpen_sock_events_fd(w->ev) : -1;
}

/* Whether the kernel's counters say the connection was established. */
static int was_established(const struct tulpen_sock *s)
{
	const struct tulpen_tcp_info *t = s->tcp_info;

	return t && (t->bytes_acked > 1 || t->bytes_received > 1 ||
		     t->delivered > 1 || t->segs_in > 1);
}

/* A connection never seen by a snapshot: reported at its end, late. */
static int unseen_end(struct tulpen_watch_sampled *w,
		      const struct tulpen_sock *s, int state)
{
	struct sent e;
	struct tuple t;
	int ret;

	if (!was_established(s))
		return 0;
	memset(&e, 0, sizeof(e));
	tuple_of(&t, s->family, &s->local, &s->peer);
	e.key = tulpen_hash_bytes(&t, sizeof(t)) | SAMPLED_KEY_BIT;
	e.family = s->family;
	e.proto = s->proto;
	e.local = s->local;
	e.peer = s->peer;
	e.since_ns = w->now;
	ret = report_ev(w, &e, TULPEN_TCP_CLOSE, TULPEN_TCP_ESTABLISHED, NULL,
			1);
	if (!ret)
		ret = report_ev(w, &e, TULPEN_TCP_ESTABLISHED, state, s, 1);
	if (!ret && state != TULPEN_TCP_CLOSE) {
		/* followed from here: the snapshots see its time-wait socket */
		void *v;

		if (tulpen_hash_insert(&w->tab, &t, &v) < 0)
			return -ENOMEM;
		e.state = (uint8_t)state;
		e.seen = w->gen;
		memcpy(v, &e, sizeof(e));
	}
	return ret;
}

/*
 * The tracked connection of a destroyed socket: by its addresses, else by
 * its cookie (an abortive close clears the peer's address and port).
 */
static struct sent *find_sent(struct tulpen_watch_sampled *w,
			      const struct tulpen_sock *s, struct tuple *t)
{
	const void *key;
	struct sent *e;
	size_t pos = 0;

	tuple_of(t, s->family, &s->local, &s->peer);
	e = tulpen_hash_find(&w->tab, t);
	if (e || !s->has_cookie)
		return e;
	while ((e = tulpen_hash_next(&w->tab, &pos, &key))) {
		if (e->sk_cookie == s->cookie) {
			memcpy(t, key, sizeof(*t));
			return e;
		}
	}
	return NULL;
}

/* One destroyed full socket: its connection's exact end. */
static int on_destroyed(const struct tulpen_sock *s, void *data)
{
	struct tulpen_watch_sampled *w = data;
	int state = TULPEN_TCP_CLOSE, now_state, ret;
	struct tulpen_sock key = *s;
	struct tuple t;
	struct sent *e;

	e = find_sent(w, s, &t);
	if (e) { /* ask with the addresses the connection had */
		key.local = e->local;
		key.peer = e->peer;
	}
	/*
	 * A time-wait socket that took over reports the state it stands
	 * for: TIME-WAIT, or FIN-WAIT-2 for an orphan that waits for the
	 * peer's FIN.
	 */
	if (!tulpen_sock_events_lookup(w->ev, &key, &now_state) &&
	    (now_state == TULPEN_TCP_TIME_WAIT ||
	     now_state == TULPEN_TCP_FIN_WAIT2))
		state = now_state;
	if (!e)
		return unseen_end(w, s, state);
	if (e->state == state)
		return 0;
	ret = report_ev(w, e, e->state, state, s, 0);
	if (state == TULPEN_TCP_CLOSE) {
		tulpen_hash_remove(&w->tab, &t);
		return ret;
	}
	e->state = (uint8_t)state;
	e->since_ns = w->now;
	return ret;
}

int tulpen_watch_sampled_ends(struct tulpen_watch_sampled *w, uint64_t now_ns,
			      tulpen_watch_cb cb, void *data)
{
	if (!w->ev)
		return 0;
	w->now = now_ns;
	w->cb = cb;
	w->data = data;
	return tulpen_sock_events_read(w->ev, on_destroyed, w);
}
