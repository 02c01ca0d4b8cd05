// SPDX-License-Identifier: MIT
/*
 * walk.c - what a collection counts per socket, and the sum of two
 * walks' counts (split.c runs the TCP walk in two halves at once).
 *
 * Per socket: one counter per protocol and family, per TCP state, the
 * local and peer port in the histogram the next split is planned from,
 * the local port in the bitmap of ports in use; a listener adds to its
 * series, a CLOSE-WAIT socket's inode is kept for its holder.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"

int tm_acc_init(struct tm_acc *a)
{
	memset(a, 0, sizeof(*a));
	if (TULPEN_HASH_INIT(&a->listen, struct tm_listen_key,
			     struct tm_listen_val, NULL))
		return -EINVAL;
	a->hist = calloc(2 * TM_PORTS, sizeof(*a->hist));
	return a->hist ? 0 : -ENOMEM;
}

void tm_acc_fini(struct tm_acc *a)
{
	tulpen_hash_fini(&a->listen);
	free(a->cw);
	free(a->hist);
	a->cw = NULL;
	a->hist = NULL;
	a->ncw = a->cw_cap = 0;
}

void tm_acc_reset(struct tm_acc *a)
{
	memset(a->sockets, 0, sizeof(a->sockets));
	memset(a->tcp_states, 0, sizeof(a->tcp_states));
	a->listeners = 0;
	tulpen_hash_clear(&a->listen);
	a->ncw = 0;
	a->cw_noinode = 0;
	memset(a->ports, 0, sizeof(a->ports));
	memset(a->hist, 0, 2 * TM_PORTS * sizeof(*a->hist));
	a->tcp = 0;
}

static int listen_add(struct tm_acc *a, const struct tm_listen_key *key,
		      const struct tm_listen_val *add)
{
	struct tm_listen_val *v;
	int ret;

	ret = tulpen_hash_insert(&a->listen, key, (void **)&v);
	if (ret < 0)
		return ret;
	v->queue += add->queue;
	v->limit += add->limit;
	v->sockets += add->sockets;
	return 0;
}

static int add_listener(struct tm_acc *a, const struct tulpen_sock *s,
			uint32_t ns)
{
	struct tm_listen_val one = { s->rqueue, s->wqueue, 1 };
	struct tm_listen_key key;

	memset(&key, 0, sizeof(key));
	key.ns = ns;
	key.family = s->family;
	key.port = s->local.port;
	memcpy(key.addr, s->local.addr.raw, s->family == AF_INET ? 4 : 16);
	return listen_add(a, &key, &one);
}

static int cw_room(struct tm_acc *a, size_t more)
{
	struct tm_cw *p;
	size_t cap = a->cw_cap ? a->cw_cap : 256;

	while (cap < a->ncw + more)
		cap *= 2;
	if (cap == a->cw_cap)
		return 0;
	p = realloc(a->cw, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	a->cw = p;
	a->cw_cap = cap;
	return 0;
}

static int add_close_wait(struct tm_acc *a, uint64_t inode, uint32_t ns)
{
	if (!inode) {
		a->cw_noinode++;
		return 0;
	}
	if (a->ncw == a->cw_cap && cw_room(a, 1))
		return -ENOMEM;
	a->cw[a->ncw].inode = inode;
	a->cw[a->ncw].ns = ns;
	a->ncw++;
	return 0;
}

int tm_acc_add(struct tm_acc *a, const struct tulpen_sock *s, uint32_t ns)
{
	int state = s->state;

	if (s->proto < TULPEN_P_MAX)
		a->sockets[s->proto][tm_fam_slot(s->family)]++;
	if (s->proto != TULPEN_P_TCP)
		return 0;
	if (state == TULPEN_TCP_NEW_SYN_RECV)
		state = TULPEN_TCP_SYN_RECV;
	if (state < TULPEN_TCP_MAX_STATES)
		a->tcp_states[state]++;
	a->tcp++;
	a->hist[s->local.port]++;
	a->hist[TM_PORTS + s->peer.port]++;
	if (state == TULPEN_TCP_LISTEN) {
		a->listeners++;
		return add_listener(a, s, ns);
	}
	if (state != TULPEN_TCP_CLOSE)
		a->ports[s->local.port / 8] |=
			(uint8_t)(1u << (s->local.port % 8));
	if (state == TULPEN_TCP_CLOSE_WAIT)
		return add_close_wait(a, s->inode, ns);
	return 0;
}

int tm_acc_merge(struct tm_acc *dst, const struct tm_acc *src)
{
	const struct tm_listen_val *v;
	struct tm_listen_key key;
	const void *kp;
	size_t i, pos = 0;
	int p, f, ret;

	for (p = 0; p < TULPEN_P_MAX; p++)
		for (f = 0; f < TM_FAMS; f++)
			dst->sockets[p][f] += src->sockets[p][f];
	for (i = 0; i < TULPEN_TCP_MAX_STATES; i++)
		dst->tcp_states[i] += src->tcp_states[i];
	dst->listeners += src->listeners;
	while ((v = tulpen_hash_next(&src->listen, &pos, &kp))) {
		memcpy(&key, kp, sizeof(key));
		ret = listen_add(dst, &key, v);
		if (ret)
			return ret;
	}
	if (src->ncw && cw_room(dst, src->ncw))
		return -ENOMEM;
	if (src->ncw)
		memcpy(dst->cw + dst->ncw, src->cw,
		       src->ncw * sizeof(*src->cw));
	dst->ncw += src->ncw;
	dst->cw_noinode += src->cw_noinode;
	for (i = 0; i < sizeof(dst->ports); i++)
		dst->ports[i] |= src->ports[i];
	for (i = 0; i < 2 * TM_PORTS; i++)
		dst->hist[i] += src->hist[i];
	dst->tcp += src->tcp;
	return 0;
}
