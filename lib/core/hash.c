// SPDX-License-Identifier: MIT
/*
 * hash.c - the library's one hash table (see core/hash.h).
 *
 * Slot layout: uint32_t tag at 0, the key at KOFF (bytes), the value at
 * voff (aligned). The tag doubles as the home position (tag * cap >> 32),
 * so growing and the backward shift of a removal never hash a key again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"

#define GOLDEN 0x9E3779B97F4A7C15ull
#define KOFF TULPEN_HASH_KOFF
#define MIN_CAP 8
#define MAX_CAP 0xffffffffull /* tag * cap must fit 64 bits */
#define MAX_PART 65536	      /* key and value sizes */

static inline uint32_t tag_of(uint64_t hash)
{
	uint32_t tag = (uint32_t)((hash * GOLDEN) >> 32);

	return tag ? tag : 1;
}

static inline size_t home_of(size_t cap, uint32_t tag)
{
	return (size_t)(((uint64_t)tag * cap) >> 32);
}

static inline uint8_t *slot_at(const struct tulpen_hash *t, size_t i)
{
	return t->slots + i * t->stride;
}

static inline uint32_t slot_tag(const uint8_t *s)
{
	return *(const uint32_t *)(const void *)s;
}

static inline void set_tag(uint8_t *s, uint32_t tag)
{
	*(uint32_t *)(void *)s = tag;
}

static inline int key_eq(const struct tulpen_hash *t, const uint8_t *s,
			 const void *key)
{
	if (t->ksize == 8) {
		uint64_t a, b;

		memcpy(&a, s + KOFF, 8);
		memcpy(&b, key, 8);
		return a == b;
	}
	return !memcmp(s + KOFF, key, t->ksize);
}

static inline uint64_t hash_key(const struct tulpen_hash *t, const void *key)
{
	return t->fn ? t->fn(key, t->ksize) : tulpen_hash_bytes(key, t->ksize);
}

static size_t round_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int tulpen_hash_init(struct tulpen_hash *t, size_t key_size, size_t value_size,
		     size_t value_align, tulpen_hash_fn fn)
{
	size_t align = value_align ? value_align : 1, voff;

	memset(t, 0, sizeof(*t));
	if (!key_size || key_size > MAX_PART || value_size > MAX_PART ||
	    align > 16 || (align & (align - 1)))
		return -EINVAL;
	voff = round_up(KOFF + key_size, align);
	t->ksize = (uint32_t)key_size;
	t->vsize = (uint32_t)value_size;
	t->voff = (uint32_t)voff;
	t->stride =
		(uint32_t)round_up(voff + value_size, align < 4 ? 4 : align);
	t->fn = fn;
	return 0;
}

void tulpen_hash_fini(struct tulpen_hash *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->used = t->limit = 0;
}

void tulpen_hash_clear(struct tulpen_hash *t)
{
	if (t->slots)
		memset(t->slots, 0, t->cap * t->stride);
	t->used = 0;
}

/* Move every entry into a new array of @ncap slots. */
static int resize(struct tulpen_hash *t, size_t ncap)
{
	uint8_t *ns = calloc(ncap, t->stride), *old = t->slots;
	size_t i, j;

	if (!ns)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		const uint8_t *s = old + i * t->stride;

		if (!slot_tag(s))
			continue;
		j = home_of(ncap, slot_tag(s));
		while (slot_tag(ns + j * t->stride))
			if (++j == ncap)
				j = 0;
		memcpy(ns + j * t->stride, s, t->stride);
	}
	free(old);
	t->slots = ns;
	t->cap = ncap;
	t->limit = ncap - ncap / 4;
	return 0;
}

int tulpen_hash_reserve(struct tulpen_hash *t, size_t n)
{
	size_t need;

	if (n > MAX_CAP - MAX_CAP / 4)
		return -EOVERFLOW;
	need = n + n / 3 + MIN_CAP;
	while (need - need / 4 < n)
		need++;
	if (need > MAX_CAP)
		need = MAX_CAP;
	if (need <= t->cap)
		return 0;
	return resize(t, need);
}

/*
 * The slot holding @key, or the empty slot ending its run (*@found 0).
 * The table must have slots.
 */
static inline size_t probe(const struct tulpen_hash *t, const void *key,
			   uint32_t tag, int *found)
{
	size_t i = home_of(t->cap, tag);
	uint32_t st;

	while ((st = slot_tag(slot_at(t, i)))) {
		if (st == tag && key_eq(t, slot_at(t, i), key)) {
			*found = 1;
			return i;
		}
		if (++i == t->cap)
			i = 0;
	}
	*found = 0;
	return i;
}

void *tulpen_hash_find_h(const struct tulpen_hash *t, const void *key,
			 uint64_t hash)
{
	int found;
	size_t i;

	if (!t->used)
		return NULL;
	i = probe(t, key, tag_of(hash), &found);
	return found ? slot_at(t, i) + t->voff : NULL;
}

void *tulpen_hash_find(const struct tulpen_hash *t, const void *key)
{
	if (!t->used)
		return NULL;
	return tulpen_hash_find_h(t, key, hash_key(t, key));
}

int tulpen_hash_insert_h(struct tulpen_hash *t, const void *key, uint64_t hash,
			 void **value)
{
	uint32_t tag = tag_of(hash);
	int found = 0, ret;
	uint8_t *s;
	size_t i = 0;

	if (t->cap)
		i = probe(t, key, tag, &found);
	if (found) {
		*value = slot_at(t, i) + t->voff;
		return 0;
	}
	if (t->used >= t->limit) {
		size_t ncap = t->cap ? t->cap * 2 : MIN_CAP;

		if (t->cap == MAX_CAP)
			return -EOVERFLOW;
		if (ncap > MAX_CAP)
			ncap = MAX_CAP;
		ret = resize(t, ncap);
		if (ret)
			return ret;
		i = probe(t, key, tag, &found);
	}
	s = slot_at(t, i);
	set_tag(s, tag);
	if (t->ksize == 8)
		memcpy(s + KOFF, key, 8); /* inline, not a call */
	else
		memcpy(s + KOFF, key, t->ksize);
	if (t->vsize == 8)
		memset(s + t->voff, 0, 8);
	else
		memset(s + t->voff, 0, t->vsize);
	t->used++;
	*value = s + t->voff;
	return 1;
}

int tulpen_hash_insert(struct tulpen_hash *t, const void *key, void **value)
{
	return tulpen_hash_insert_h(t, key, hash_key(t, key), value);
}

/* Cyclic distance from slot @a forward to slot @b. */
static inline size_t dist(size_t cap, size_t a, size_t b)
{
	return b >= a ? b - a : b + cap - a;
}

/*
 * Empty slot @i, then shift the rest of its run back: an entry may move
 * into the hole when the hole lies on its path from its home slot.
 */
static void remove_at(struct tulpen_hash *t, size_t i)
{
	size_t j = i, cap = t->cap;

	for (;;) {
		uint8_t *sj;

		if (++j == cap)
			j = 0;
		sj = slot_at(t, j);
		if (!slot_tag(sj))
			break;
		if (dist(cap, home_of(cap, slot_tag(sj)), j) >=
		    dist(cap, i, j)) {
			memcpy(slot_at(t, i), sj, t->stride);
			i = j;
		}
	}
	set_tag(slot_at(t, i), 0);
	t->used--;
}

int tulpen_hash_remove_h(struct tulpen_hash *t, const void *key, uint64_t hash)
{
	int found;
	size_t i;

	if (!t->used)
		return -ENOENT;
	i = probe(t, key, tag_of(hash), &found);
	if (!found)
		return -ENOENT;
	remove_at(t, i);
	return 0;
}

int tulpen_hash_remove(struct tulpen_hash *t, const void *key)
{
	if (!t->used)
		return -ENOENT;
	return tulpen_hash_remove_h(t, key, hash_key(t, key));
}

void tulpen_hash_remove_value(struct tulpen_hash *t, void *value)
{
	size_t off = (size_t)((uint8_t *)value - t->voff - t->slots);

	remove_at(t, off / t->stride);
}

void *tulpen_hash_next(const struct tulpen_hash *t, size_t *pos,
		       const void **key)
{
	size_t i;

	for (i = *pos; i < t->cap; i++) {
		uint8_t *s = slot_at(t, i);

		if (!slot_tag(s))
			continue;
		*pos = i + 1;
		if (key)
			*key = s + KOFF;
		return s + t->voff;
	}
	*pos = t->cap;
	return NULL;
}

const void *tulpen_hash_key(const struct tulpen_hash *t, const void *value)
{
	return (const uint8_t *)value - t->voff + KOFF;
}

/* The finaliser of SplitMix64: every input bit reaches every output bit. */
uint64_t tulpen_hash_u64(uint64_t v)
{
	v ^= v >> 30;
	v *= 0xBF58476D1CE4E5B9ull;
	v ^= v >> 27;
	v *= 0x94D049BB133111EBull;
	v ^= v >> 31;
	return v;
}

uint64_t tulpen_hash_bytes(const void *key, size_t size)
{
	const uint8_t *p = key;
	uint64_t h = 0x243F6A8885A308D3ull ^ (size * GOLDEN), w;

	while (size >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xFF51AFD7ED558CCDull;
		h ^= h >> 32;
		p += 8;
		size -= 8;
	}
	if (size) {
		w = 0;
		memcpy(&w, p, size);
		h = (h ^ w) * 0xFF51AFD7ED558CCDull;
	}
	return tulpen_hash_u64(h);
}
