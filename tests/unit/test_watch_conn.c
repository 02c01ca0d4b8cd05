// SPDX-License-Identifier: MIT
/*
 * test_watch_conn.c - the `tulpen watch` connection tracker: state paths,
 * times in state, owners, snapshot seeding, late (untimed) transitions,
 * and the hash table under churn against a plain array.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "tulpen/fmt.h"
#include "tulpen/watch.h"
#include "tulpen/watch_conn.h"
#include "tulpen/watch_fmt.h"

static struct tulpen_watch_event ev(uint64_t cookie, uint64_t ts, int old,
				    int new)
{
	struct tulpen_watch_event e;

	memset(&e, 0, sizeof(e));
	e.type = TULPEN_WEV_STATE;
	e.proto = TULPEN_P_TCP;
	e.family = AF_INET;
	e.cookie = cookie;
	e.ts_ns = ts;
	e.oldstate = (uint8_t)old;
	e.newstate = (uint8_t) new;
	e.in_old_ns = -1;
	e.local.port = 40000;
	e.peer.port = 80;
	e.local.addr.v4.s_addr = htonl(0x7f000001);
	e.peer.addr.v4.s_addr = htonl(0x7f000001);
	return e;
}

static const struct tulpen_watch_conn *
apply(struct tulpen_conns *c, struct tulpen_watch_event e, int *ended)
{
	const struct tulpen_watch_conn *cn = NULL;

	assert_int_equal(tulpen_conns_apply(c, &e, &cn, ended), 0);
	return cn;
}

/* The client side of a normal close, with the owner from connect(). */
static void test_client_path(void **state)
{
	struct tulpen_conns *c;
	const struct tulpen_watch_conn *cn;
	struct tulpen_watch_event e;
	static const int path[] = {
		TULPEN_TCP_SYN_SENT,  TULPEN_TCP_ESTABLISHED,
		TULPEN_TCP_FIN_WAIT1, TULPEN_TCP_FIN_WAIT2,
		TULPEN_TCP_TIME_WAIT, TULPEN_TCP_CLOSE,
	};
	static const int64_t durs[] = { 50, 1000, 20, 300, 60000 };
	uint64_t t = 1000000;
	int ended, i;

	(void)state;
	assert_int_equal(tulpen_conns_new(&c), 0);
	e = ev(7, t, TULPEN_TCP_CLOSE, TULPEN_TCP_SYN_SENT);
	e.has_owner = 1;
	e.pid = 1234;
	e.tid = 1240;
	strcpy(e.comm, "curl");
	cn = apply(c, e, &ended);
	assert_non_null(cn);
	assert_false(ended);
	for (i = 1; i < 6; i++) {
		t += (uint64_t)durs[i - 1];
		e = ev(7, t, path[i - 1], path[i]);
		if (path[i] == TULPEN_TCP_CLOSE) {
			e.has_bytes = 1;
			e.bytes_acked = 11;
			e.bytes_received = 22;
		}
		cn = apply(c, e, &ended);
		assert_int_equal(ended, path[i] == TULPEN_TCP_CLOSE);
	}
	assert_int_equal(cn->nsteps, 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(cn->steps[i].state, path[i]);
	for (i = 0; i < 5; i++) {
		assert_int_equal(cn->steps[i].dur_ns, durs[i]);
		assert_true(cn->steps[i].dur_known);
	}
	assert_int_equal(cn->end_ns - cn->start_ns,
			 50 + 1000 + 20 + 300 + 60000);
	assert_false(cn->from_snapshot);
	assert_true(cn->has_owner);
	assert_int_equal(cn->pid, 1234);
	assert_int_equal(cn->tid, 1240);
	assert_string_equal(cn->comm, "curl");
	assert_true(cn->has_bytes);
	assert_int_equal(cn->bytes_acked, 11);
	/* The ended connection is dropped on the next call. */
	e = ev(8, t + 1, TULPEN_TCP_CLOSE, TULPEN_TCP_LISTEN);
	apply(c, e, &ended);
	assert_null(tulpen_conns_find(c, 7));
	assert_int_equal(tulpen_conns_size(c), 1);
	tulpen_conns_free(c);
}

/*
 * Server side: born from the listener, it shows the listener's owner until
 * the accept names the process that holds it.
 */
static void test_accept_owner(void **state)
{
	struct tulpen_conns *c;
	const struct tulpen_watch_conn *cn;
	struct tulpen_watch_event e;
	size_t counts[TULPEN_TCP_MAX_STATES];
	int ended;

	(void)state;
	assert_int_equal(tulpen_conns_new(&c), 0);
	e = ev(8, 50, TULPEN_TCP_CLOSE, TULPEN_TCP_LISTEN);
	e.local.port = 80;
	e.peer.port = 0;
	e.has_owner = 1;
	e.pid = e.tid = 70;
	strcpy(e.comm, "master");
	apply(c, e, &ended);
	e = ev(9, 100, TULPEN_TCP_LISTEN, TULPEN_TCP_SYN_RECV);
	e.local.port = 80;
	e.peer.port = 40000;
	cn = apply(c, e, &ended);
	assert_true(cn->has_owner);
	assert_true(cn->owner_of_listener);
	assert_int_equal(cn->pid, 70);
	/* Another port's listener is not this socket's. */
	e = ev(10, 101, TULPEN_TCP_LISTEN, TULPEN_TCP_SYN_RECV);
	e.local.port = 81;
	cn = apply(c, e, &ended);
	assert_false(cn->has_owner);
	e = ev(9, 110, TULPEN_TCP_SYN_RECV, TULPEN_TCP_ESTABLISHED);
	e.local.port = 80;
	apply(c, e, &ended);
	e = ev(9, 120, TULPEN_TCP_ESTABLISHED, TULPEN_TCP_ESTABLISHED);
	e.local.port = 80;
	e.type = TULPEN_WEV_OWNER;
	e.has_owner = 1;
	e.pid = 77;
	e.tid = 78;
	strcpy(e.comm, "nginx");
	cn = apply(c, e, &ended);
	assert_true(cn->has_owner);
	assert_false(cn->owner_of_listener);
	assert_int_equal(cn->pid, 77);
	/* An owner event adds no step. */
	assert_int_equal(cn->nsteps, 2);
	tulpen_conns_counts(c, counts);
	assert_int_equal(counts[TULPEN_TCP_ESTABLISHED], 1);
	assert_int_equal(counts[TULPEN_TCP_SYN_RECV], 1);
	assert_int_equal(counts[TULPEN_TCP_LISTEN], 1);
	/* The listener closes: its port's new sockets have no owner. */
	e = ev(8, 200, TULPEN_TCP_LISTEN, TULPEN_TCP_CLOSE);
	e.local.port = 80;
	e.peer.port = 0;
	apply(c, e, &ended);
	assert_true(ended);
	e = ev(11, 300, TULPEN_TCP_LISTEN, TULPEN_TCP_SYN_RECV);
	e.local.port = 80;
	cn = apply(c, e, &ended);
	assert_false(cn->has_owner);
	tulpen_conns_free(c);
}

/* Seeded from a snapshot: ages are bounds; older events are ignored. */
static void test_snapshot_seed(void **state)
{
	struct tulpen_conns *c;
	const struct tulpen_watch_conn *cn;
	struct tulpen_sock s;
	int ended;

	(void)state;
	assert_int_equal(tulpen_conns_new(&c), 0);
	memset(&s, 0, sizeof(s));
	s.proto = TULPEN_P_TCP;
	s.family = AF_INET;
	s.state = TULPEN_TCP_ESTABLISHED;
	s.has_cookie = 1;
	s.cookie = 5;
	assert_int_equal(tulpen_conns_seed(c, &s, 1000, 42, "sshd"), 0);
	/* Request sockets and cookie-less sockets are not tracked. */
	s.cookie = 6;
	s.state = TULPEN_TCP_NEW_SYN_RECV;
	assert_int_equal(tulpen_conns_seed(c, &s, 1000, 0, NULL), 0);
	s.cookie = 0;
	s.state = TULPEN_TCP_ESTABLISHED;
	assert_int_equal(tulpen_conns_seed(c, &s, 1000, 0, NULL), 0);
	assert_int_equal(tulpen_conns_size(c), 1);

	/* An event from before the snapshot is already in it. */
	cn = apply(c, ev(5, 900, TULPEN_TCP_SYN_SENT, TULPEN_TCP_ESTABLISHED),
		   &ended);
	assert_null(cn);
	cn = apply(c,
		   ev(5, 1500, TULPEN_TCP_ESTABLISHED, TULPEN_TCP_CLOSE_WAIT),
		   &ended);
	assert_non_null(cn);
	assert_true(cn->from_snapshot);
	assert_int_equal(cn->steps[0].dur_ns, 500);
	assert_false(cn->steps[0].dur_known); /* at least 500 ns */
	assert_int_equal(cn->pid, 42);
	tulpen_conns_free(c);
}

/* A transition seen only afterwards leaves both times unknown. */
static void test_late(void **state)
{
	struct tulpen_conns *c;
	const struct tulpen_watch_conn *cn;
	struct tulpen_watch_event e;
	int ended;

	(void)state;
	assert_int_equal(tulpen_conns_new(&c), 0);
	apply(c, ev(3, 10, TULPEN_TCP_CLOSE, TULPEN_TCP_SYN_SENT), &ended);
	apply(c, ev(3, 20, TULPEN_TCP_SYN_SENT, TULPEN_TCP_ESTABLISHED),
	      &ended);
	apply(c, ev(3, 30, TULPEN_TCP_ESTABLISHED, TULPEN_TCP_FIN_WAIT1),
	      &ended);
	apply(c, ev(3, 40, TULPEN_TCP_FIN_WAIT1, TULPEN_TCP_FIN_WAIT2), &ended);
	e = ev(3, 500, TULPEN_TCP_FIN_WAIT2, TULPEN_TCP_TIME_WAIT);
	e.late = 1;
	apply(c, e, &ended);
	cn = apply(c, ev(3, 500, TULPEN_TCP_TIME_WAIT, TULPEN_TCP_CLOSE),
		   &ended);
	assert_true(ended);
	assert_int_equal(cn->nsteps, 6);
	assert_int_equal(cn->steps[3].state, TULPEN_TCP_FIN_WAIT2);
	assert_int_equal(cn->steps[3].dur_ns, -1);
	assert_int_equal(cn->steps[4].dur_ns, -1);
	assert_int_equal(cn->end_ns - cn->start_ns, 490);
	tulpen_conns_free(c);
}

/* Many connections coming and going: the table never loses one. */
static void test_churn(void **state)
{
	enum { N = 20000 };
	struct tulpen_conns *c;
	static uint8_t live[N + 1];
	uint64_t t = 1, k;
	unsigned seed = 12345;
	int ended, i, n;

	(void)state;
	memset(live, 0, sizeof(live));
	assert_int_equal(tulpen_conns_new(&c), 0);
	for (i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		k = 1 + (seed >> 8) % N;
		if (!live[k]) {
			apply(c,
			      ev(k, t++, TULPEN_TCP_CLOSE, TULPEN_TCP_SYN_SENT),
			      &ended);
			live[k] = 1;
		} else {
			apply(c,
			      ev(k, t++, TULPEN_TCP_SYN_SENT, TULPEN_TCP_CLOSE),
			      &ended);
			assert_true(ended);
			live[k] = 0;
		}
	}
	/* Let the last ended one go. */
	apply(c, ev(N + 100, t++, TULPEN_TCP_CLOSE, TULPEN_TCP_LISTEN), &ended);
	n = 0;
	for (k = 1; k <= N; k++) {
		const struct tulpen_watch_conn *cn = tulpen_conns_find(c, k);

		if (live[k]) {
			assert_non_null(cn);
			assert_int_equal(cn->state, TULPEN_TCP_SYN_SENT);
			n++;
		} else {
			assert_null(cn);
		}
	}
	assert_int_equal(tulpen_conns_size(c), (size_t)n + 1);
	tulpen_conns_free(c);
}

/* The JSON lifetime record carries the path and the owner. */
static void test_fmt_lifetime(void **state)
{
	struct tulpen_conns *c;
	const struct tulpen_watch_conn *cn;
	struct tulpen_watch_fmt_opts o;
	struct tulpen_watch_event e;
	struct tulpen_buf b;
	int ended;

	(void)state;
	assert_int_equal(tulpen_conns_new(&c), 0);
	e = ev(4, 1000000000, TULPEN_TCP_CLOSE, TULPEN_TCP_SYN_SENT);
	e.has_owner = 1;
	e.pid = e.tid = 99;
	strcpy(e.comm, "a\"b");
	apply(c, e, &ended);
	cn = apply(c, ev(4, 1000000500, TULPEN_TCP_SYN_SENT, TULPEN_TCP_CLOSE),
		   &ended);
	assert_true(ended);
	memset(&o, 0, sizeof(o));
	o.json = 1;
	o.cache_sec = INT64_MIN;
	assert_int_equal(tulpen_buf_init(&b, 0, NULL, NULL), 0);
	assert_int_equal(tulpen_watch_fmt_lifetime(&b, &o, cn), 0);
	assert_non_null(strstr(b.data, "\"type\":\"lifetime\""));
	assert_non_null(strstr(b.data, "\"path\":[{\"state\":\"SYN-SENT\","
				       "\"duration_ns\":500,\"exact\":true},"
				       "{\"state\":\"CLOSED\","
				       "\"duration_ns\":null}]"));
	assert_non_null(strstr(b.data, "\"processes\":[{\"pid\":99,"
				       "\"command\":\"a\\\"b\",\"tid\":99}]"));
	assert_non_null(strstr(b.data, ",\"duration_ns\":500,"));
	assert_non_null(strstr(b.data, "\"local\":{\"address\":"
				       "\"127.0.0.1\",\"port\":40000}"));
	/* 1 s of monotonic time at offset 0: the epoch plus one second. */
	assert_non_null(strstr(b.data, "\"ts\":1.000000,\"monotonic_ns\":"
				       "1000000500"));
	tulpen_buf_fini(&b);
	tulpen_conns_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_path),
		cmocka_unit_test(test_accept_owner),
		cmocka_unit_test(test_snapshot_seed),
		cmocka_unit_test(test_late),
		cmocka_unit_test(test_churn),
		cmocka_unit_test(test_fmt_lifetime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
