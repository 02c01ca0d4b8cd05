/* SPDX-License-Identifier: MIT */
/*
 * core/hash.h - the library's one hash table. Not installed.
 *
 * Open addressing with linear probing over one flat array of slots. A slot
 * holds a 32-bit tag (the high half of the mixed hash; never 0, 0 marks an
 * empty slot), then the key (a fixed number of bytes, compared and copied
 * bytewise, so it may sit unaligned) and then the value (a fixed size,
 * aligned as the caller asks). The home slot is the tag scaled onto the
 * capacity (multiply and shift), so the capacity need not be a power of
 * two: tulpen_hash_reserve() sizes a table for a known count without
 * doubling. Growing moves slots by their tag, without hashing keys again.
 * Removing shifts the rest of the run back, so no tombstones pile up under
 * churn. The load stays at most 3/4.
 *
 * The hash: a tulpen_hash_fn given at init (NULL: tulpen_hash_bytes), or
 * one the caller computed itself (the _h calls, for a caller that keeps a
 * key's hash or has a cheaper one). Either way the table mixes it once
 * more (a Fibonacci multiply), so an identity hash of an integer key is
 * fine.
 *
 * Ownership: the caller owns struct tulpen_hash (embedded or allocated),
 * initialises it with tulpen_hash_init() and releases it with
 * tulpen_hash_fini(). The table owns its slot array, nothing else: keys
 * and values are copied in, and what a value points to stays the caller's
 * (free it, e.g. with a tulpen_hash_next() walk, before fini). A value or
 * key pointer returned by a call is valid until the next insert, remove or
 * reserve on the table (each may move slots). Not thread-safe: concurrent
 * lookups are fine, a writer needs the table to itself.
 */
#ifndef TULPEN_CORE_HASH_H
#define TULPEN_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint64_t (*tulpen_hash_fn)(const void *key, size_t size);

struct tulpen_hash {
	uint8_t *slots;
	size_t cap;	 /* slots; 0 until the first insert or reserve */
	size_t used;	 /* entries */
	size_t limit;	 /* grow before used reaches this (3/4 of cap) */
	uint32_t ksize;	 /* key bytes */
	uint32_t vsize;	 /* value bytes */
	uint32_t voff;	 /* value offset in a slot */
	uint32_t stride; /* slot size */
	tulpen_hash_fn fn;
};

/*
 * Set up an empty table (no memory yet) for keys of @key_size bytes and
 * values of @value_size bytes aligned to @value_align (a power of two up
 * to 16; 0 or 1 for none). @value_size may be 0 (a set). Returns 0 or
 * -EINVAL.
 */
int tulpen_hash_init(struct tulpen_hash *t, size_t key_size, size_t value_size,
		     size_t value_align, tulpen_hash_fn fn);
/* For a key and a value type: TULPEN_HASH_INIT(&t, uint64_t, struct v, fn) */
#define TULPEN_HASH_INIT(t, ktype, vtype, fn)                                  \
	tulpen_hash_init((t), sizeof(ktype), sizeof(vtype), _Alignof(vtype),   \
			 (fn))
void tulpen_hash_fini(struct tulpen_hash *t);
/* Drop every entry, keep the memory. */
void tulpen_hash_clear(struct tulpen_hash *t);
/* Make room for @n entries in all without growing again. 0 or -ENOMEM. */
int tulpen_hash_reserve(struct tulpen_hash *t, size_t n);

/* The value stored under @key, or NULL. */
void *tulpen_hash_find(const struct tulpen_hash *t, const void *key);
void *tulpen_hash_find_h(const struct tulpen_hash *t, const void *key,
			 uint64_t hash);
/*
 * Find @key or add it: *@value points to its value. Returns 1 when the key
 * was added (the value is zeroed), 0 when it was there, -ENOMEM (the table
 * unchanged) or -EOVERFLOW (over 3 billion entries).
 */
int tulpen_hash_insert(struct tulpen_hash *t, const void *key, void **value);
int tulpen_hash_insert_h(struct tulpen_hash *t, const void *key, uint64_t hash,
			 void **value);
/* Remove @key: 0, or -ENOENT when it is not there. */
int tulpen_hash_remove(struct tulpen_hash *t, const void *key);
int tulpen_hash_remove_h(struct tulpen_hash *t, const void *key, uint64_t hash);
/* Remove the entry whose value @value is (a pointer from this table). */
void tulpen_hash_remove_value(struct tulpen_hash *t, void *value);

/*
 * Walk every entry, in slot order:
 *	size_t pos = 0;
 *	while ((v = tulpen_hash_next(t, &pos, &key))) ...
 * @key may be NULL; the key it gives may be unaligned (memcpy it out).
 * Inserting or removing during a walk may skip or repeat entries.
 */
void *tulpen_hash_next(const struct tulpen_hash *t, size_t *pos,
		       const void **key);
/* The key of the entry whose value @value is (maybe unaligned). */
const void *tulpen_hash_key(const struct tulpen_hash *t, const void *value);

static inline size_t tulpen_hash_count(const struct tulpen_hash *t)
{
	return t->used;
}

/* Hash functions: any bytes; one 64-bit integer (a finalising mix). */
uint64_t tulpen_hash_bytes(const void *key, size_t size);
uint64_t tulpen_hash_u64(uint64_t v);

/*
 * Tables keyed by one 64-bit integer that is its own hash (inodes, socket
 * cookies, cgroup ids: the table's mix spreads them): TULPEN_HASH_INIT with
 * uint64_t keys, then these. The lookup is inline: it is the hot path of
 * the owner scan.
 */
#define TULPEN_HASH_KOFF 4 /* the key's offset in a slot */

static inline void *tulpen_hash_find_u64(const struct tulpen_hash *t,
					 uint64_t key)
{
	uint32_t tag = (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 32);
	size_t i;
	uint32_t st;

	if (!t->used)
		return NULL;
	tag = tag ? tag : 1;
	i = (size_t)(((uint64_t)tag * t->cap) >> 32);
	for (;;) {
		const uint8_t *s = t->slots + i * t->stride;
		uint64_t sk;

		memcpy(&st, s, 4);
		if (!st)
			return NULL;
		memcpy(&sk, s + TULPEN_HASH_KOFF, 8);
		if (st == tag && sk == key)
			return (void *)(s + t->voff);
		if (++i == t->cap)
			i = 0;
	}
}

static inline int tulpen_hash_insert_u64(struct tulpen_hash *t, uint64_t key,
					 void **value)
{
	return tulpen_hash_insert_h(t, &key, key, value);
}

static inline int tulpen_hash_remove_u64(struct tulpen_hash *t, uint64_t key)
{
	return tulpen_hash_remove_h(t, &key, key);
}

#endif /* TULPEN_CORE_HASH_H */
