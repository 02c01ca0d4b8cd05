// SPDX-License-Identifier: MIT
/*
 * watch_conn.c - per-connection state paths for `tulpen watch`.
 *
 * Connections live in a dense array; the library's hash table (core/hash.h)
 * maps socket cookies to positions in it. Removing a connection moves the
 * last one into its place. Each connection keeps the states it went
 * through with the time spent in each; the event that moves it to CLOSED
 * ends it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hash.h"
#include "tulpen/collect.h"
#include "tulpen/owners.h"
#include "tulpen/watch.h"
#include "tulpen/watch_conn.h"

struct tulpen_conns {
	struct tulpen_watch_conn *conns; /* dense: [0, n) */
	size_t n, cap;
	struct tulpen_hash idx;	 /* cookie -> uint32_t position */
	uint8_t *seen;		 /* reconcile: position found in the snapshot */
	int (*stop)(void *data); /* reconcile: give up? */
	void *stop_data;
	size_t walked;
	/* A connection that ended on the previous apply, to drop first. */
	int has_ended;
	uint64_t ended_cookie;
	/*
	 * Listening sockets by (namespace, port) -> cookie, so that a
	 * server-side socket can show its listener's owner until a process
	 * accepts it.
	 */
	struct tulpen_hash lis;
};

int tulpen_conns_new(struct tulpen_conns **out)
{
	struct tulpen_conns *c;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	if (TULPEN_HASH_INIT(&c->idx, uint64_t, uint32_t, NULL) ||
	    TULPEN_HASH_INIT(&c->lis, uint64_t, uint64_t, NULL)) {
		free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}

void tulpen_conns_free(struct tulpen_conns *c)
{
	if (!c)
		return;
	tulpen_hash_fini(&c->lis);
	tulpen_hash_fini(&c->idx);
	free(c->conns);
	free(c);
}

/* Cookie 0 is never a real socket cookie. */
static struct tulpen_watch_conn *lookup(const struct tulpen_conns *c,
					uint64_t cookie)
{
	uint32_t *pos;

	if (!cookie)
		return NULL;
	pos = tulpen_hash_find_u64(&c->idx, cookie);
	return pos ? &c->conns[*pos] : NULL;
}

const struct tulpen_watch_conn *tulpen_conns_find(const struct tulpen_conns *c,
						  uint64_t cookie)
{
	return lookup(c, cookie);
}

static struct tulpen_watch_conn *insert(struct tulpen_conns *c, uint64_t cookie)
{
	struct tulpen_watch_conn *cn;
	void *pos;

	if (c->n >= UINT32_MAX)
		return NULL;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;

		cn = realloc(c->conns, cap * sizeof(*cn));
		if (!cn)
			return NULL;
		c->conns = cn;
		c->cap = cap;
	}
	if (tulpen_hash_insert_u64(&c->idx, cookie, &pos) < 0)
		return NULL;
	*(uint32_t *)pos = (uint32_t)c->n;
	cn = &c->conns[c->n];
	memset(cn, 0, sizeof(*cn));
	cn->cookie = cookie;
	c->n++;
	return cn;
}

static void erase(struct tulpen_conns *c, uint64_t cookie)
{
	uint32_t *p, pos, last;

	if (!cookie)
		return;
	p = tulpen_hash_find_u64(&c->idx, cookie);
	if (!p)
		return;
	pos = *p;
	tulpen_hash_remove_value(&c->idx, p);
	/* Keep the array dense: the last connection takes the place. */
	last = (uint32_t)(c->n - 1);
	if (pos != last) {
		c->conns[pos] = c->conns[last];
		p = tulpen_hash_find_u64(&c->idx, c->conns[pos].cookie);
		if (p)
			*p = pos;
	}
	c->n--;
}

static uint64_t lis_key(const struct tulpen_watch_conn *cn)
{
	return (uint64_t)cn->netns << 16 | cn->local.port;
}

static int lis_put(struct tulpen_conns *c, uint64_t key, uint64_t cookie)
{
	void *v;

	if (tulpen_hash_insert_u64(&c->lis, key, &v) < 0)
		return -ENOMEM;
	memcpy(v, &cookie, sizeof(cookie));
	return 0;
}

static void lis_del(struct tulpen_conns *c, uint64_t key, uint64_t cookie)
{
	uint64_t *v = tulpen_hash_find_u64(&c->lis, key);

	if (v && *v == cookie)
		tulpen_hash_remove_value(&c->lis, v);
}

/* A new server-side socket: its listener's owner, until accepted. */
static void inherit_owner(struct tulpen_conns *c, struct tulpen_watch_conn *cn)
{
	uint64_t *cookie = tulpen_hash_find_u64(&c->lis, lis_key(cn));
	const struct tulpen_watch_conn *l;

	if (!cookie)
		return;
	l = lookup(c, *cookie);
	if (!l || !l->has_owner)
		return;
	cn->has_owner = 1;
	cn->owner_of_listener = 1;
	cn->pid = l->pid;
	cn->tid = l->tid;
	memcpy(cn->comm, l->comm, sizeof(cn->comm));
}

static void add_step(struct tulpen_watch_conn *cn, int state, uint64_t enter_ns)
{
	struct tulpen_conn_step *st;

	if (cn->nsteps == TULPEN_CONN_MAX_PATH) {
		/* Keep the beginning and the latest state. */
		cn->truncated = 1;
		cn->nsteps--;
	}
	st = &cn->steps[cn->nsteps++];
	memset(st, 0, sizeof(*st));
	st->state = (uint8_t)state;
	st->enter_ns = enter_ns;
	cn->state = (uint8_t)state;
}

int tulpen_conns_seed(struct tulpen_conns *c, const struct tulpen_sock *s,
		      uint64_t now_ns, int32_t owner_pid,
		      const char *owner_comm)
{
	struct tulpen_watch_conn *cn;

	if (!s->has_cookie || !s->cookie || !tulpen_sock_is_inet(s))
		return 0;
	if (s->proto != TULPEN_P_TCP && s->proto != TULPEN_P_MPTCP)
		return 0;
	/* Request sockets never change state themselves. */
	if (s->state == TULPEN_TCP_NEW_SYN_RECV)
		return 0;
	/* Events seen since attaching know more than the snapshot. */
	if (lookup(c, s->cookie))
		return 0;
	cn = insert(c, s->cookie);
	if (!cn)
		return -ENOMEM;
	cn->proto = s->proto;
	cn->family = s->family;
	cn->local = s->local;
	cn->peer = s->peer;
	cn->from_snapshot = 1;
	cn->inode = s->inode;
	cn->start_ns = now_ns;
	cn->nsteps = 0;
	add_step(cn, s->state, now_ns);
	if (owner_pid > 0) {
		cn->has_owner = 1;
		cn->pid = owner_pid;
		cn->tid = owner_pid;
		if (owner_comm) {
			strncpy(cn->comm, owner_comm, sizeof(cn->comm) - 1);
			cn->comm[sizeof(cn->comm) - 1] = '\0';
		}
	}
	return 0;
}

static void take_owner(struct tulpen_watch_conn *cn,
		       const struct tulpen_watch_event *ev)
{
	cn->has_owner = 1;
	cn->owner_of_listener = 0;
	cn->pid = ev->pid;
	cn->tid = ev->tid;
	memcpy(cn->comm, ev->comm, sizeof(cn->comm));
}

static void take_addr(struct tulpen_watch_conn *cn,
		      const struct tulpen_watch_event *ev)
{
	cn->proto = ev->proto;
	cn->family = ev->family;
	cn->netns = ev->netns;
	/* A closing socket may have released its port already. */
	if (ev->local.port || !cn->local.port)
		cn->local = ev->local;
	if (ev->peer.port || !cn->peer.port)
		cn->peer = ev->peer;
}

/* The time spent in @cn's current state, which @ev leaves. */
static void close_step(struct tulpen_watch_conn *cn,
		       const struct tulpen_watch_event *ev)
{
	struct tulpen_conn_step *cur;

	if (!cn->nsteps)
		return;
	cur = &cn->steps[cn->nsteps - 1];
	if (ev->late) {
		/* Seen only afterwards: when it happened is unknown. */
		cur->dur_ns = -1;
		cur->dur_known = 0;
	} else if (ev->in_old_ns >= 0 && !ev->sampled) {
		cur->dur_ns = ev->in_old_ns;
		cur->dur_known = !cn->from_snapshot || cn->nsteps > 1;
		if (!cur->enter_ns)
			cur->enter_ns = ev->ts_ns - (uint64_t)ev->in_old_ns;
	} else if (cur->enter_ns && ev->ts_ns >= cur->enter_ns) {
		cur->dur_ns = (int64_t)(ev->ts_ns - cur->enter_ns);
		cur->dur_known =
			!ev->sampled && (!cn->from_snapshot || cn->nsteps > 1);
	} else {
		cur->dur_ns = -1;
	}
}

int tulpen_conns_apply(struct tulpen_conns *c,
		       const struct tulpen_watch_event *ev,
		       const struct tulpen_watch_conn **conn, int *ended)
{
	struct tulpen_watch_conn *cn;
	uint64_t key = ev->cookie;

	*conn = NULL;
	*ended = 0;
	if (c->has_ended) {
		erase(c, c->ended_cookie);
		c->has_ended = 0;
	}
	/* No cookie, or nothing happened (the kernel may re-close). */
	if (!key ||
	    (ev->type == TULPEN_WEV_STATE && ev->oldstate == TULPEN_TCP_CLOSE &&
	     ev->newstate == TULPEN_TCP_CLOSE))
		return 0;
	cn = lookup(c, key);
	if (!cn) {
		cn = insert(c, key);
		if (!cn)
			return -ENOMEM;
		take_addr(cn, ev);
		cn->sampled = ev->sampled;
		if (ev->type == TULPEN_WEV_OWNER) {
			cn->start_ns = ev->ts_ns;
			add_step(cn, ev->newstate, 0);
		} else if (ev->oldstate == TULPEN_TCP_CLOSE ||
			   (ev->oldstate == TULPEN_TCP_LISTEN &&
			    ev->newstate != TULPEN_TCP_CLOSE)) {
			/*
			 * Born now (a listener's child starts here too: the
			 * kernel copies the listener's state into it).
			 */
			cn->start_ns = ev->ts_ns;
			if (ev->oldstate == TULPEN_TCP_LISTEN && !ev->has_owner)
				inherit_owner(c, cn);
		} else {
			/* Known only from here on: start is unknown. */
			cn->from_snapshot = 1;
			cn->start_ns =
				ev->in_old_ns >= 0
					? ev->ts_ns - (uint64_t)ev->in_old_ns
					: ev->ts_ns;
			add_step(cn, ev->oldstate, 0);
		}
	} else if (cn->from_snapshot && cn->nsteps == 1 &&
		   ev->ts_ns < cn->steps[0].enter_ns) {
		/* Already part of the snapshot that seeded it. */
		return 0;
	} else {
		take_addr(cn, ev);
	}
	if (ev->has_bytes) {
		cn->has_bytes = 1;
		cn->bytes_acked = ev->bytes_acked;
		cn->bytes_received = ev->bytes_received;
	}
	if (ev->has_owner && (ev->type == TULPEN_WEV_OWNER || !cn->has_owner ||
			      cn->owner_of_listener))
		take_owner(cn, ev);
	*conn = cn;
	if (ev->type != TULPEN_WEV_STATE || ev->oldstate == ev->newstate)
		return 0;

	/* Close the current step, then enter the new state. */
	close_step(cn, ev);
	if (ev->oldstate == TULPEN_TCP_LISTEN && cn->nsteps &&
	    cn->steps[cn->nsteps - 1].state == TULPEN_TCP_LISTEN)
		lis_del(c, lis_key(cn), cn->cookie);
	add_step(cn, ev->newstate, ev->late ? 0 : ev->ts_ns);
	if (ev->newstate == TULPEN_TCP_LISTEN &&
	    lis_put(c, lis_key(cn), cn->cookie))
		return -ENOMEM;
	if (ev->newstate == TULPEN_TCP_CLOSE) {
		cn->end_ns = ev->ts_ns;
		*ended = 1;
		c->has_ended = 1;
		c->ended_cookie = key;
	}
	return 0;
}

void tulpen_conns_counts(const struct tulpen_conns *c,
			 size_t counts[TULPEN_TCP_MAX_STATES])
{
	size_t i;

	memset(counts, 0, sizeof(size_t) * TULPEN_TCP_MAX_STATES);
	for (i = 0; i < c->n; i++) {
		const struct tulpen_watch_conn *cn = &c->conns[i];

		if (cn->state >= TULPEN_TCP_MAX_STATES)
			continue;
		if (c->has_ended && cn->cookie == c->ended_cookie)
			continue;
		counts[cn->state]++;
	}
}

size_t tulpen_conns_size(const struct tulpen_conns *c)
{
	return c->n - (c->has_ended ? 1 : 0);
}

struct snap {
	struct tulpen_conns *c;
	uint64_t now;
	size_t n;
};

static int on_snap_sock(const struct tulpen_sock *s, void *data)
{
	struct snap *sn = data;
	int ret;

	ret = tulpen_conns_seed(sn->c, s, sn->now, 0, NULL);
	if (!ret)
		sn->n++;
	return ret;
}

/*
 * The inode of the network namespace the snapshot reads: the context's
 * (tulpen_ctx_set_netns_*()), else our own; 0 when unknown.
 */
static uint32_t self_netns(struct tulpen_ctx *ctx)
{
	char path[PATH_MAX];
	struct stat st;
	int fd = tulpen_ctx_netns_fd(ctx);

	if (fd >= 0)
		return fstat(fd, &st) ? 0 : (uint32_t)st.st_ino;
	snprintf(path, sizeof(path), "%s/self/ns/net",
		 tulpen_ctx_proc_root(ctx));
	if (stat(path, &st))
		return 0;
	return (uint32_t)st.st_ino;
}

int tulpen_conns_snapshot(struct tulpen_conns *c, struct tulpen_ctx *ctx,
			  uint64_t now_ns, const struct tulpen_owners *owners,
			  size_t *n)
{
	struct tulpen_query q = {
		.protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_MPTCP),
		.families = TULPEN_FAM_INET | TULPEN_FAM_INET6,
		.states = TULPEN_SF_ALL,
	};
	struct snap sn = { .c = c, .now = now_ns };
	const struct tulpen_owner *o;
	size_t i, no, first = c->n;
	struct timespec ts;
	uint32_t netns;
	int ret;

	ret = tulpen_collect(ctx, &q, on_snap_sock, &sn);
	if (n)
		*n = sn.n;
	if (ret)
		return ret;
	/*
	 * The snapshot is what the kernel had when the dump ended: events
	 * older than that are in it (the seeded connections are appended, so
	 * they are the ones from @first on).
	 */
	if (!now_ns && !clock_gettime(CLOCK_MONOTONIC, &ts))
		now_ns = (uint64_t)ts.tv_sec * 1000000000ull +
			 (uint64_t)ts.tv_nsec;
	netns = self_netns(ctx);
	for (i = first; i < c->n; i++) {
		c->conns[i].start_ns = now_ns;
		c->conns[i].steps[0].enter_ns = now_ns;
		c->conns[i].netns = netns;
		if (c->conns[i].state == TULPEN_TCP_LISTEN)
			lis_put(c, lis_key(&c->conns[i]), c->conns[i].cookie);
	}
	if (!owners || !sn.n)
		return 0;
	for (i = 0; i < c->n; i++) {
		struct tulpen_watch_conn *cn = &c->conns[i];

		if (!cn->inode || cn->has_owner)
			continue;
		o = tulpen_owners_lookup(owners, cn->inode, &no);
		if (!no)
			continue;
		cn->has_owner = 1;
		cn->pid = cn->tid = o[0].pid;
		strncpy(cn->comm, o[0].comm ? o[0].comm : "",
			sizeof(cn->comm) - 1);
		cn->comm[sizeof(cn->comm) - 1] = '\0';
	}
	return 0;
}

void tulpen_conns_foreach(const struct tulpen_conns *c,
			  void (*fn)(const struct tulpen_watch_conn *cn,
				     void *data),
			  void *data)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		fn(&c->conns[i], data);
}

static int on_reconcile_sock(const struct tulpen_sock *s, void *data)
{
	struct tulpen_conns *c = data;
	struct tulpen_watch_conn *cn;

	if ((++c->walked & 1023) == 0 && c->stop && c->stop(c->stop_data))
		return -EINTR;
	if (!s->has_cookie)
		return 0;
	cn = lookup(c, s->cookie);
	if (cn)
		c->seen[cn - c->conns] = 1;
	return 0;
}

int tulpen_conns_reconcile(struct tulpen_conns *c, struct tulpen_ctx *ctx,
			   int (*stop)(void *data), void *data, size_t *dropped)
{
	struct tulpen_query q = {
		.protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_MPTCP),
		.families = TULPEN_FAM_INET | TULPEN_FAM_INET6,
		.states = TULPEN_SF_ALL,
	};
	uint64_t *gone = NULL;
	size_t i, n = 0;
	int ret;

	*dropped = 0;
	if (c->has_ended) {
		erase(c, c->ended_cookie);
		c->has_ended = 0;
	}
	c->seen = calloc(c->n ? c->n : 1, 1);
	if (!c->seen)
		return -ENOMEM;
	c->stop = stop;
	c->stop_data = data;
	c->walked = 0;
	/* The table does not change during the walk: no events are applied. */
	ret = tulpen_collect(ctx, &q, on_reconcile_sock, c);
	if (ret)
		goto out;
	gone = calloc(c->n ? c->n : 1, sizeof(*gone));
	if (!gone) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->n; i++)
		if (!c->seen[i])
			gone[n++] = c->conns[i].cookie;
	for (i = 0; i < n; i++)
		erase(c, gone[i]);
	*dropped = n;
out:
	free(gone);
	free(c->seen);
	c->seen = NULL;
	c->stop = NULL;
	return ret;
}
