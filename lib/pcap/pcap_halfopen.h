/* SPDX-License-Identifier: MIT */
/*
 * pcap/pcap_halfopen.h - compact half-open connections for the connection
 * table (pcap_flows.c): a connection seen only by its SYN. Not installed.
 *
 * Ownership: the table (struct halfopen, embedded in the connection table)
 * owns its slots and its ring. The ring is in arrival order, so ids
 * increase along it: ho_oldest() gives the records in id order.
 */
#ifndef TULPEN_PCAP_HALFOPEN_H
#define TULPEN_PCAP_HALFOPEN_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "tulpen/pcap_decode.h"
#include "pcap/pcap_flow.h"

/* What the connection table reads of a SYN; the 4-tuple is the key. */
struct syn_rec {
	int64_t ts_ns;
	uint64_t num;
	uint64_t id;   /* the connection's id, given when the SYN came */
	uint64_t hash; /* the key's, as the connection table hashes it */
	uint32_t seq;
	uint32_t file;
	uint32_t ip_len;
	uint16_t window;
	uint8_t flags, csum, a_is_src;
};

/* Arrival order, for the idle timeout and eviction (stale entries skipped). */
struct ho_slot {
	struct flow_key key;
	uint64_t hash;
	uint64_t id;
	int64_t ts_ns; /* the record's */
};

struct halfopen {
	struct tulpen_hash table; /* struct flow_key -> struct syn_rec */
	struct ho_slot *ring;
	size_t head, n, cap;
};

int ho_init(struct halfopen *h);
void ho_fini(struct halfopen *h);
/*
 * A pure SYN without payload or tunnel (its checksum verdict is kept and
 * counted when it is replayed; a bad IPv4 header checksum only matters
 * with compat_zeek, which holds nothing compact).
 */
int ho_can_hold(const struct tulpen_pkt *p);
/* Hold @p (a SYN that starts connection @id). 0 or -ENOMEM. */
int ho_add(struct halfopen *h, const struct flow_key *k, uint64_t hash,
	   const struct tulpen_pkt *p, int a_is_src, uint64_t id,
	   uint32_t file);
struct syn_rec *ho_find(const struct halfopen *h, const struct flow_key *k,
			uint64_t hash);
void ho_remove(struct halfopen *h, const struct flow_key *k, uint64_t hash);
/* The SYN again, as the decoder gave it (the fields the table reads). */
void ho_to_pkt(const struct flow_key *k, const struct syn_rec *r,
	       struct tulpen_pkt *p);
/* The oldest record held (a copy): 1, or 0 when none. */
int ho_oldest(struct halfopen *h, struct flow_key *k, uint64_t *hash,
	      struct syn_rec *out);
/*
 * The time of the record at the head of the arrival order without looking
 * it up (it may be gone: ho_oldest() passes those), INT64_MAX when none.
 */
static inline int64_t ho_head_ts(const struct halfopen *h)
{
	return h->n ? h->ring[h->head].ts_ns : INT64_MAX;
}
size_t ho_count(const struct halfopen *h);
/* The bytes one record takes, and all of them (slots and ring places). */
uint64_t ho_entry_size(const struct halfopen *h);
uint64_t ho_memory(const struct halfopen *h);

#endif /* TULPEN_PCAP_HALFOPEN_H */
