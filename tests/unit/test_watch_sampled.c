// SPDX-License-Identifier: MIT
/*
 * test_watch_sampled.c - the sampled source of `tulpen watch` over three
 * netlink snapshots recorded from a real kernel with known sockets
 * (tests/fixtures/watch/sampled.nlrec, made by gen_sampled.c there):
 *
 * 1: listener :5555; A = :40001 <-> :5555 established.
 * 2: A's client closed (FIN-WAIT-2 / CLOSE-WAIT); B = :40002 established.
 * 3: A's server closed (client TIME-WAIT, server gone); B reset (gone).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tulpen/watch.h"
#include "tulpen/watch_conn.h"

#define FIXTURE "fixtures/watch/sampled.nlrec"

struct seen {
	int n;
	struct {
		uint16_t lport, pport;
		int old, new;
		int64_t in_old;
	} ev[16];
};

static int record(const struct tulpen_watch_event *ev, void *data)
{
	struct seen *s = data;

	assert_true(ev->sampled);
	assert_true(s->n < 16);
	s->ev[s->n].lport = ev->local.port;
	s->ev[s->n].pport = ev->peer.port;
	s->ev[s->n].old = ev->oldstate;
	s->ev[s->n].new = ev->newstate;
	s->ev[s->n].in_old = ev->in_old_ns;
	s->n++;
	return 0;
}

/* The event for (lport, pport), or fail. */
static int find(const struct seen *s, uint16_t lport, uint16_t pport)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->ev[i].lport == lport && s->ev[i].pport == pport)
			return i;
	fail_msg("no event for %u -> %u", lport, pport);
	return -1;
}

static void expect(const struct seen *s, uint16_t lport, uint16_t pport,
		   int old, int new, int64_t in_old)
{
	int i = find(s, lport, pport);

	assert_int_equal(s->ev[i].old, old);
	assert_int_equal(s->ev[i].new, new);
	assert_int_equal(s->ev[i].in_old, in_old);
}

static void test_differences(void **state)
{
	struct tulpen_ctx *ctx;
	struct tulpen_watch_sampled *w;
	struct tulpen_conns *c;
	struct seen s;
	size_t counts[TULPEN_TCP_MAX_STATES];

	(void)state;
	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	assert_int_equal(tulpen_ctx_nl_replay(ctx, FIXTURE), 0);
	assert_int_equal(tulpen_watch_sampled_new(ctx, &w), 0);
	assert_int_equal(tulpen_conns_new(&c), 0);

	/* The first snapshot only records; it seeds the tracker. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(tulpen_watch_sampled_step(w, 1000000000, record, &s),
			 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(tulpen_watch_sampled_seed(w, c), 0);
	tulpen_conns_counts(c, counts);
	assert_int_equal(counts[TULPEN_TCP_LISTEN], 1);
	assert_int_equal(counts[TULPEN_TCP_ESTABLISHED], 2);
	assert_int_equal(tulpen_conns_size(c), 3);

	memset(&s, 0, sizeof(s));
	assert_int_equal(tulpen_watch_sampled_step(w, 2000000000, record, &s),
			 0);
	assert_int_equal(s.n, 4);
	expect(&s, 40001, 5555, TULPEN_TCP_ESTABLISHED, TULPEN_TCP_FIN_WAIT2,
	       1000000000);
	expect(&s, 5555, 40001, TULPEN_TCP_ESTABLISHED, TULPEN_TCP_CLOSE_WAIT,
	       1000000000);
	expect(&s, 40002, 5555, TULPEN_TCP_CLOSE, TULPEN_TCP_ESTABLISHED, -1);
	expect(&s, 5555, 40002, TULPEN_TCP_CLOSE, TULPEN_TCP_ESTABLISHED, -1);

	memset(&s, 0, sizeof(s));
	assert_int_equal(tulpen_watch_sampled_step(w, 3000000000, record, &s),
			 0);
	assert_int_equal(s.n, 4);
	expect(&s, 40001, 5555, TULPEN_TCP_FIN_WAIT2, TULPEN_TCP_TIME_WAIT,
	       1000000000);
	expect(&s, 5555, 40001, TULPEN_TCP_CLOSE_WAIT, TULPEN_TCP_CLOSE,
	       1000000000);
	expect(&s, 40002, 5555, TULPEN_TCP_ESTABLISHED, TULPEN_TCP_CLOSE,
	       1000000000);
	expect(&s, 5555, 40002, TULPEN_TCP_ESTABLISHED, TULPEN_TCP_CLOSE,
	       1000000000);

	tulpen_conns_free(c);
	tulpen_watch_sampled_free(w);
	tulpen_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
