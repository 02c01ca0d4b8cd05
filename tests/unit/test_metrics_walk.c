// SPDX-License-Identifier: MIT
/*
 * test_metrics_walk.c - lib/metrics' per-walk counts and the split's cut:
 * sockets counted into two halves and merged equal the same sockets
 * counted in one; the cut the next walk would take for a server's, a
 * client's and an unsplittable population, and none below the threshold.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "metrics/metrics_internal.h"

/* Socket @i of a made-up population: every state, both families. */
static void make_sock(unsigned int i, struct tulpen_sock *s)
{
	static const uint8_t states[] = {
		TULPEN_TCP_ESTABLISHED,	 TULPEN_TCP_LISTEN,
		TULPEN_TCP_CLOSE_WAIT,	 TULPEN_TCP_TIME_WAIT,
		TULPEN_TCP_NEW_SYN_RECV, TULPEN_TCP_FIN_WAIT2,
	};

	memset(s, 0, sizeof(*s));
	s->proto = i % 7 == 6 ? TULPEN_P_UDP : TULPEN_P_TCP;
	s->family = i % 3 ? AF_INET : AF_INET6;
	s->state = states[i % sizeof(states)];
	s->local.port = (uint16_t)(i % 5 ? 1024 + i % 3000 : 80 + i % 2);
	s->peer.port = (uint16_t)(40000 + i % 20000);
	s->local.addr.raw[0] = (uint8_t)(i % 4);
	s->rqueue = i % 3;
	s->wqueue = 128;
	s->inode = i % 11 ? 1000 + i : 0;
}

static void merge_equals_one(void **unused)
{
	struct tm_acc one, a, b;
	struct tulpen_sock s;
	const struct tm_listen_val *v, *w;
	const void *kp;
	size_t pos = 0;
	unsigned int i;

	assert_int_equal(tm_acc_init(&one), 0);
	assert_int_equal(tm_acc_init(&a), 0);
	assert_int_equal(tm_acc_init(&b), 0);
	for (i = 0; i < 5000; i++) {
		make_sock(i, &s);
		assert_int_equal(tm_acc_add(&one, &s, 0), 0);
		/* the halves as a port cut makes them */
		assert_int_equal(
			tm_acc_add(s.local.port < 2000 ? &a : &b, &s, 0), 0);
	}
	assert_int_equal(tm_acc_merge(&a, &b), 0);
	assert_memory_equal(a.sockets, one.sockets, sizeof(one.sockets));
	assert_memory_equal(a.tcp_states, one.tcp_states,
			    sizeof(one.tcp_states));
	assert_int_equal(a.listeners, one.listeners);
	assert_int_equal(a.tcp, one.tcp);
	assert_int_equal(a.ncw, one.ncw);
	assert_int_equal(a.cw_noinode, one.cw_noinode);
	assert_memory_equal(a.ports, one.ports, sizeof(one.ports));
	assert_memory_equal(a.hist, one.hist, 2 * TM_PORTS * sizeof(*a.hist));
	assert_int_equal(tulpen_hash_count(&a.listen),
			 tulpen_hash_count(&one.listen));
	while ((v = tulpen_hash_next(&one.listen, &pos, &kp))) {
		w = tulpen_hash_find(&a.listen, kp);
		assert_non_null(w);
		assert_memory_equal(v, w, sizeof(*v));
	}
	assert_true(one.listeners > 0 && one.ncw > 0 && one.cw_noinode > 0);
	/* a reset walk counts nothing; its memory stays */
	tm_acc_reset(&a);
	assert_int_equal(a.tcp, 0);
	assert_int_equal(tulpen_hash_count(&a.listen), 0);
	assert_int_equal(a.ncw, 0);
	tm_acc_fini(&one);
	tm_acc_fini(&a);
	tm_acc_fini(&b);
	tm_acc_fini(&b); /* twice is fine */
}

/* @n TCP sockets with local port @lp(i) and peer port @pp(i). */
static void fill(struct tm_acc *a, unsigned int n, uint16_t (*lp)(unsigned int),
		 uint16_t (*pp)(unsigned int))
{
	struct tulpen_sock s;
	unsigned int i;

	tm_acc_reset(a);
	for (i = 0; i < n; i++) {
		memset(&s, 0, sizeof(s));
		s.proto = TULPEN_P_TCP;
		s.family = AF_INET;
		s.state = TULPEN_TCP_ESTABLISHED;
		s.local.port = lp(i);
		s.peer.port = pp(i);
		assert_int_equal(tm_acc_add(a, &s, 0), 0);
	}
}

static uint16_t https(unsigned int i)
{
	return 443;
}

static uint16_t spread(unsigned int i)
{
	return (uint16_t)(30000 + i % 10000);
}

static uint16_t one_peer(unsigned int i)
{
	return 50000;
}

static void split_cut(void **unused)
{
	struct tm_acc a;
	uint32_t cut;
	int peer;

	assert_int_equal(tm_acc_init(&a), 0);
	/* a server: its own port is one, its peers' spread */
	fill(&a, 20000, https, spread);
	assert_int_equal(tm_split_cut(&a, &peer, &cut), 1);
	assert_int_equal(peer, 1);
	assert_int_equal(cut, 35000);
	/* a client: its own ports spread, one server */
	fill(&a, 20000, spread, https);
	assert_int_equal(tm_split_cut(&a, &peer, &cut), 1);
	assert_int_equal(peer, 0);
	assert_int_equal(cut, 35000);
	/* every socket on one pair of ports: no cut leaves 10 % a side */
	fill(&a, 20000, https, one_peer);
	assert_int_equal(tm_split_cut(&a, &peer, &cut), 0);
	/* too few sockets to be worth a thread */
	fill(&a, 1000, https, spread);
	assert_int_equal(tm_split_cut(&a, &peer, &cut), 0);
	tm_acc_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(merge_equals_one),
		cmocka_unit_test(split_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
