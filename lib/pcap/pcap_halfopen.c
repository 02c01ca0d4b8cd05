// SPDX-License-Identifier: MIT
/*
 * pcap_halfopen.c - compact half-open connections: a connection whose only
 * segment so far is its SYN is held in about a hundred bytes (the SYN's
 * fields that the connection table reads, in the library's hash table by
 * 4-tuple, and its place in arrival order) instead of a full connection
 * record (about 1.5 KB). A SYN flood of a million half-open connections
 * then takes about 150 MB instead of 1.5 GB, and far more of them fit in
 * the memory budget before any is evicted.
 *
 * The connection table (pcap_flows.c) promotes a record to a full
 * connection on its second segment by replaying the SYN through the
 * ordinary path, so the result is the same as if it had been full from
 * the start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcap/pcap_halfopen.h"

int ho_init(struct halfopen *h)
{
	memset(h, 0, sizeof(*h));
	return TULPEN_HASH_INIT(&h->table, struct flow_key, struct syn_rec,
				NULL);
}

void ho_fini(struct halfopen *h)
{
	tulpen_hash_fini(&h->table);
	free(h->ring);
	memset(h, 0, sizeof(*h));
}

int ho_can_hold(const struct tulpen_pkt *p)
{
	return (p->flags & (TULPEN_TH_SYN | TULPEN_TH_ACK | TULPEN_TH_RST |
			    TULPEN_TH_FIN)) == TULPEN_TH_SYN &&
	       !p->payload_len && !p->tunnel.type;
}

/* Is ring entry @i still the record held for its key? */
static int live_at(const struct halfopen *h, size_t i)
{
	const struct ho_slot *sl = &h->ring[i % h->cap];
	const struct syn_rec *r =
		tulpen_hash_find_h(&h->table, &sl->key, sl->hash);

	return r && r->id == sl->id;
}

/* Drop the ring's stale entries (promoted or handed out). */
static void ho_compact(struct halfopen *h)
{
	size_t i, n = 0;

	for (i = 0; i < h->n; i++)
		if (live_at(h, h->head + i))
			h->ring[(h->head + n++) % h->cap] =
				h->ring[(h->head + i) % h->cap];
	h->n = n;
}

static int ring_push(struct halfopen *h, const struct flow_key *k,
		     uint64_t hash, uint64_t id, int64_t ts_ns)
{
	struct ho_slot *sl;

	/* stale entries ahead: drop them, or all of them when many */
	while (h->n && !live_at(h, h->head)) {
		h->head = (h->head + 1) % h->cap;
		h->n--;
	}
	if (h->n == h->cap && h->n > tulpen_hash_count(&h->table) +
					      tulpen_hash_count(&h->table) / 2)
		ho_compact(h);
	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 1024, i;
		struct ho_slot *nr = malloc(ncap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		for (i = 0; i < h->n; i++)
			nr[i] = h->ring[(h->head + i) % h->cap];
		free(h->ring);
		h->ring = nr;
		h->cap = ncap;
		h->head = 0;
	}
	sl = &h->ring[(h->head + h->n) % h->cap];
	sl->key = *k;
	sl->hash = hash;
	sl->id = id;
	sl->ts_ns = ts_ns;
	h->n++;
	return 0;
}

int ho_add(struct halfopen *h, const struct flow_key *k, uint64_t hash,
	   const struct tulpen_pkt *p, int a_is_src, uint64_t id, uint32_t file)
{
	struct syn_rec *r;
	int ret;

	/* the ring first: a record is never held without its place */
	ret = ring_push(h, k, hash, id, p->ts_ns);
	if (ret)
		return ret;
	ret = tulpen_hash_insert_h(&h->table, k, hash, (void **)&r);
	if (ret < 0) {
		h->n--; /* the entry just pushed */
		return ret;
	}
	r->ts_ns = p->ts_ns;
	r->hash = hash;
	r->num = p->num;
	r->id = id;
	r->seq = p->seq;
	r->file = file;
	r->ip_len = p->ip_len;
	r->window = p->window;
	r->flags = p->flags;
	r->csum = p->csum;
	r->a_is_src = (uint8_t)a_is_src;
	return 0;
}

struct syn_rec *ho_find(const struct halfopen *h, const struct flow_key *k,
			uint64_t hash)
{
	if (!tulpen_hash_count(&h->table))
		return NULL;
	return tulpen_hash_find_h(&h->table, k, hash);
}

void ho_remove(struct halfopen *h, const struct flow_key *k, uint64_t hash)
{
	tulpen_hash_remove_h(&h->table, k, hash);
}

void ho_to_pkt(const struct flow_key *k, const struct syn_rec *r,
	       struct tulpen_pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->ts_ns = r->ts_ns;
	p->num = r->num;
	p->family = (uint8_t)k->family;
	p->flags = r->flags;
	p->csum = r->csum;
	p->window = r->window;
	memcpy(r->a_is_src ? p->src.addr.raw : p->dst.addr.raw, k->a, 16);
	memcpy(r->a_is_src ? p->dst.addr.raw : p->src.addr.raw, k->b, 16);
	p->src.port = r->a_is_src ? k->pa : k->pb;
	p->dst.port = r->a_is_src ? k->pb : k->pa;
	p->seq = r->seq;
	p->ip_len = r->ip_len;
}

int ho_oldest(struct halfopen *h, struct flow_key *k, uint64_t *hash,
	      struct syn_rec *out)
{
	while (h->n) {
		const struct ho_slot *sl = &h->ring[h->head];

		if (live_at(h, h->head)) {
			*k = sl->key;
			*hash = sl->hash;
			*out = *(struct syn_rec *)tulpen_hash_find_h(
				&h->table, &sl->key, sl->hash);
			return 1;
		}
		h->head = (h->head + 1) % h->cap;
		h->n--;
	}
	return 0;
}

size_t ho_count(const struct halfopen *h)
{
	return tulpen_hash_count(&h->table);
}

uint64_t ho_entry_size(const struct halfopen *h)
{
	/* a slot at 3/4 load, and its place in the ring (kept compact) */
	return (uint64_t)h->table.stride * 4 / 3 + 2 * sizeof(struct ho_slot);
}

uint64_t ho_memory(const struct halfopen *h)
{
	return tulpen_hash_count(&h->table) * ho_entry_size(h);
}
