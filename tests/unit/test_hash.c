// SPDX-License-Identifier: MIT
/*
 * Unit tests: the library's hash table (lib/core/hash.c), against a plain
 * array as the reference, with good hashes and with hashes that collide on
 * purpose (long runs, wrap-around at the end of the slot array).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/hash.h"

struct val {
	uint32_t a;
	uint64_t b;
};

static void empty_table(void **unused)
{
	struct tulpen_hash t;
	uint64_t k = 7;
	size_t pos = 0;

	assert_int_equal(TULPEN_HASH_INIT(&t, uint64_t, struct val, NULL), 0);
	assert_null(tulpen_hash_find(&t, &k));
	assert_int_equal(tulpen_hash_remove(&t, &k), -ENOENT);
	assert_null(tulpen_hash_next(&t, &pos, NULL));
	assert_int_equal(tulpen_hash_count(&t), 0);
	tulpen_hash_fini(&t);
	tulpen_hash_fini(&t); /* twice is harmless */
}

static void bad_init(void **unused)
{
	struct tulpen_hash t;

	assert_int_equal(tulpen_hash_init(&t, 0, 4, 4, NULL), -EINVAL);
	assert_int_equal(tulpen_hash_init(&t, 8, 4, 3, NULL), -EINVAL);
	assert_int_equal(tulpen_hash_init(&t, 8, 4, 32, NULL), -EINVAL);
	assert_int_equal(tulpen_hash_init(&t, 8, 0, 0, NULL), 0);
	tulpen_hash_fini(&t);
}

static void insert_find_remove(void **unused)
{
	struct tulpen_hash t;
	struct val *v;
	uint64_t k;
	void *p;

	assert_int_equal(TULPEN_HASH_INIT(&t, uint64_t, struct val, NULL), 0);
	for (k = 1; k <= 1000; k++) {
		assert_int_equal(tulpen_hash_insert(&t, &k, &p), 1);
		v = p;
		assert_int_equal(v->a, 0); /* new values are zeroed */
		assert_int_equal(v->b, 0);
		v->a = (uint32_t)k;
		v->b = k * 3;
	}
	assert_int_equal(tulpen_hash_count(&t), 1000);
	k = 500;
	assert_int_equal(tulpen_hash_insert(&t, &k, &p), 0);
	assert_int_equal(((struct val *)p)->b, 1500);
	for (k = 1; k <= 1000; k++) {
		v = tulpen_hash_find(&t, &k);
		assert_non_null(v);
		assert_int_equal(v->a, k);
		assert_int_equal(v->b, k * 3);
		/* values are aligned as asked */
		assert_int_equal((uintptr_t)v % _Alignof(struct val), 0);
	}
	k = 1001;
	assert_null(tulpen_hash_find(&t, &k));
	for (k = 2; k <= 1000; k += 2)
		assert_int_equal(tulpen_hash_remove(&t, &k), 0);
	assert_int_equal(tulpen_hash_count(&t), 500);
	for (k = 1; k <= 1000; k++) {
		v = tulpen_hash_find(&t, &k);
		if (k % 2) {
			assert_non_null(v);
			assert_int_equal(v->b, k * 3);
		} else {
			assert_null(v);
		}
	}
	k = 2;
	assert_int_equal(tulpen_hash_remove(&t, &k), -ENOENT);
	tulpen_hash_clear(&t);
	assert_int_equal(tulpen_hash_count(&t), 0);
	k = 1;
	assert_null(tulpen_hash_find(&t, &k));
	tulpen_hash_fini(&t);
}

/* Keys of odd sizes, compared bytewise (no padding questions). */
struct key5 {
	uint8_t b[5];
};

static void odd_key_size(void **unused)
{
	struct tulpen_hash t;
	struct key5 k;
	uint16_t *v;
	unsigned int i;
	void *p;

	assert_int_equal(TULPEN_HASH_INIT(&t, struct key5, uint16_t, NULL), 0);
	assert_int_equal(t.stride % 4, 0);
	for (i = 0; i < 3000; i++) {
		memset(&k, 0, sizeof(k));
		memcpy(k.b, &i, 4);
		k.b[4] = (uint8_t)(i * 7);
		assert_int_equal(tulpen_hash_insert(&t, &k, &p), 1);
		v = p;
		*v = (uint16_t)i;
	}
	for (i = 0; i < 3000; i++) {
		memset(&k, 0, sizeof(k));
		memcpy(k.b, &i, 4);
		k.b[4] = (uint8_t)(i * 7);
		v = tulpen_hash_find(&t, &k);
		assert_non_null(v);
		assert_int_equal(*v, (uint16_t)i);
		k.b[4]++; /* one byte off: another key */
		assert_null(tulpen_hash_find(&t, &k));
	}
	tulpen_hash_fini(&t);
}

/* Every key the same hash: one run through the whole table. */
static uint64_t same_hash(const void *key, size_t size)
{
	return 42;
}

/* Hashes that land at the very end, so runs wrap to slot 0. */
static uint64_t end_hash(const void *key, size_t size)
{
	uint64_t k;

	memcpy(&k, key, 8);
	/* tag_of() multiplies by the golden ratio; its inverse mod 2^64 */
	return (0xffffffff00000000ull - (k % 3) * 0x100000000ull) *
	       0xF1DE83E19937733Dull;
}

/*
 * Random inserts and removes against a reference array of present keys,
 * checking every key after each batch.
 */
static void against_reference(tulpen_hash_fn fn, unsigned int nkeys,
			      unsigned int rounds)
{
	struct tulpen_hash t;
	uint8_t *present = calloc(nkeys, 1);
	uint32_t *vals = calloc(nkeys, sizeof(*vals));
	size_t n = 0, pos, walked;
	unsigned int r, i;
	const void *kp;
	uint32_t *v;
	void *p;

	assert_non_null(present);
	assert_non_null(vals);
	srand(1234);
	assert_int_equal(TULPEN_HASH_INIT(&t, uint64_t, uint32_t, fn), 0);
	for (r = 0; r < rounds; r++) {
		uint64_t k = (uint64_t)(rand() % (int)nkeys);

		if (rand() % 3) {
			int ret = tulpen_hash_insert(&t, &k, &p);

			assert_int_equal(ret, !present[k]);
			if (ret == 1)
				n++;
			present[k] = 1;
			vals[k] = (uint32_t)rand();
			*(uint32_t *)p = vals[k];
		} else {
			assert_int_equal(tulpen_hash_remove(&t, &k),
					 present[k] ? 0 : -ENOENT);
			n -= present[k];
			present[k] = 0;
		}
		assert_int_equal(tulpen_hash_count(&t), n);
		if (r % 97)
			continue;
		for (i = 0; i < nkeys; i++) {
			k = i;
			v = tulpen_hash_find(&t, &k);
			if (!present[i]) {
				assert_null(v);
				continue;
			}
			assert_non_null(v);
			assert_int_equal(*v, vals[i]);
		}
	}
	/* the walk sees every entry once, with its key */
	pos = 0;
	walked = 0;
	while ((v = tulpen_hash_next(&t, &pos, &kp))) {
		uint64_t k;

		memcpy(&k, kp, 8);
		assert_true(k < nkeys);
		assert_true(present[k]);
		assert_int_equal(*v, vals[k]);
		assert_ptr_equal(tulpen_hash_key(&t, v), kp);
		present[k] = 2;
		walked++;
	}
	assert_int_equal(walked, n);
	/* remove through value pointers until empty */
	while (tulpen_hash_count(&t)) {
		pos = 0;
		v = tulpen_hash_next(&t, &pos, NULL);
		assert_non_null(v);
		tulpen_hash_remove_value(&t, v);
	}
	pos = 0;
	assert_null(tulpen_hash_next(&t, &pos, NULL));
	tulpen_hash_fini(&t);
	free(present);
	free(vals);
}

static void random_default_hash(void **unused)
{
	against_reference(NULL, 5000, 60000);
}

static void random_all_collide(void **unused)
{
	against_reference(same_hash, 300, 6000);
}

static void random_wrap_around(void **unused)
{
	struct tulpen_hash t;
	uint32_t tag0;
	uint64_t k;
	void *p;

	/* the hash really puts runs over the end: slot 0 fills first */
	assert_int_equal(TULPEN_HASH_INIT(&t, uint64_t, uint32_t, end_hash), 0);
	for (k = 0; k < 4; k++)
		assert_int_equal(tulpen_hash_insert(&t, &k, &p), 1);
	memcpy(&tag0, t.slots, 4);
	assert_int_not_equal(tag0, 0);
	tulpen_hash_fini(&t);
	against_reference(end_hash, 200, 6000);
}

static void reserve_exact(void **unused)
{
	struct tulpen_hash t;
	uint8_t *before;
	uint64_t k;
	void *p;

	assert_int_equal(TULPEN_HASH_INIT(&t, uint64_t, uint64_t, NULL), 0);
	assert_int_equal(tulpen_hash_reserve(&t, 100000), 0);
	/* sized for the count, not the next power of two */
	assert_true(t.cap < 100000 * 3 / 2);
	before = t.slots;
	for (k = 1; k <= 100000; k++)
		assert_int_equal(tulpen_hash_insert(&t, &k, &p), 1);
	assert_ptr_equal(t.slots, before);		  /* never grew */
	assert_int_equal(tulpen_hash_reserve(&t, 10), 0); /* never shrinks */
	assert_ptr_equal(t.slots, before);
	for (k = 1; k <= 100000; k++)
		assert_non_null(tulpen_hash_find(&t, &k));
	tulpen_hash_fini(&t);
}

/* The caller's own hash: the _h calls find what the plain calls stored. */
static void own_hash(void **unused)
{
	struct tulpen_hash t;
	uint64_t k = 77;
	void *p;

	assert_int_equal(TULPEN_HASH_INIT(&t, uint64_t, uint8_t, NULL), 0);
	assert_int_equal(tulpen_hash_insert_h(&t, &k, 12345, &p), 1);
	*(uint8_t *)p = 9;
	assert_non_null(tulpen_hash_find_h(&t, &k, 12345));
	assert_int_equal(*(uint8_t *)tulpen_hash_find_h(&t, &k, 12345), 9);
	assert_int_equal(tulpen_hash_remove_h(&t, &k, 12345), 0);
	assert_null(tulpen_hash_find_h(&t, &k, 12345));
	tulpen_hash_fini(&t);
}

/* The integer-key calls agree with the generic ones. */
static void u64_keys(void **unused)
{
	struct tulpen_hash t;
	uint64_t k;
	void *p;

	assert_int_equal(TULPEN_HASH_INIT(&t, uint64_t, uint64_t, NULL), 0);
	for (k = 1; k <= 5000; k++) {
		assert_int_equal(tulpen_hash_insert_u64(&t, k << 20, &p), 1);
		*(uint64_t *)p = k;
	}
	assert_int_equal(tulpen_hash_insert_u64(&t, 7 << 20, &p), 0);
	for (k = 1; k <= 5000; k++) {
		uint64_t key = k << 20;

		p = tulpen_hash_find_u64(&t, key);
		assert_non_null(p);
		assert_int_equal(*(uint64_t *)p, k);
		assert_ptr_equal(tulpen_hash_find_h(&t, &key, key), p);
		assert_null(tulpen_hash_find_u64(&t, key + 1));
	}
	for (k = 1; k <= 5000; k += 2)
		assert_int_equal(tulpen_hash_remove_u64(&t, k << 20), 0);
	assert_int_equal(tulpen_hash_remove_u64(&t, 1 << 20), -ENOENT);
	for (k = 1; k <= 5000; k++)
		assert_int_equal(tulpen_hash_find_u64(&t, k << 20) == NULL,
				 k % 2);
	tulpen_hash_fini(&t);
}

static void hash_functions(void **unused)
{
	uint8_t a[40] = { 0 }, b[40] = { 0 };

	/* every length, every byte matters */
	b[39] = 1;
	assert_int_not_equal(tulpen_hash_bytes(a, 40),
			     tulpen_hash_bytes(b, 40));
	assert_int_not_equal(tulpen_hash_bytes(a, 39),
			     tulpen_hash_bytes(a, 40));
	assert_int_equal(tulpen_hash_bytes(a, 40), tulpen_hash_bytes(a, 40));
	assert_int_not_equal(tulpen_hash_u64(1), tulpen_hash_u64(2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_table),
		cmocka_unit_test(bad_init),
		cmocka_unit_test(insert_find_remove),
		cmocka_unit_test(odd_key_size),
		cmocka_unit_test(random_default_hash),
		cmocka_unit_test(random_all_collide),
		cmocka_unit_test(random_wrap_around),
		cmocka_unit_test(reserve_exact),
		cmocka_unit_test(own_hash),
		cmocka_unit_test(u64_keys),
		cmocka_unit_test(hash_functions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
