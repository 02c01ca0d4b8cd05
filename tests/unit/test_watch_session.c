// SPDX-License-Identifier: MIT
/*
 * test_watch_session.c - a whole watch session over the sampled source,
 * replaying the three netlink snapshots of tests/fixtures/watch/
 * sampled.nlrec (see test_watch_sampled.c for what they hold): the start
 * record, the existing connections, transitions and lifetimes in the
 * shared JSON vocabulary, JSON array framing, filters, notices and the
 * statistics.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "tulpen/ctx.h"
#include "tulpen/fmt.h"
#include "tulpen/state.h"
#include "tulpen/watch_session.h"

#define FIXTURE "fixtures/watch/sampled.nlrec"

struct run {
	struct tulpen_buf out;
	int stop_after; /* lifetimes in the output that end the run */
	int notices;
	char notice[256];
};

static int count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay++;
	}
	return n;
}

static int enough(void *data)
{
	struct run *r = data;

	if (!r->out.data)
		return 0;
	r->out.data[r->out.len] = '\0';
	return count(r->out.data, "\"type\":\"lifetime\"") >= r->stop_after;
}

static void on_notice(void *data, const char *msg)
{
	struct run *r = data;

	r->notices++;
	strncpy(r->notice, msg, sizeof(r->notice) - 1);
}

/* Run a sampled session over the fixture until @stop_after lifetimes. */
static struct tulpen_watch_stats
run(struct run *r, struct tulpen_watch_session_opts *o, int stop_after)
{
	struct tulpen_watch_session *s;
	struct tulpen_watch_stats st;
	struct tulpen_ctx *ctx;

	memset(r, 0, sizeof(*r));
	r->stop_after = stop_after;
	o->source = TULPEN_WATCH_PICK_SAMPLED;
	o->interval_ns = 5000000;
	o->lifetimes = o->transitions = 1;
	o->notice = on_notice;
	o->stop = enough;
	o->data = r;
	assert_int_equal(tulpen_buf_init(&r->out, 0, NULL, NULL), 0);
	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	assert_int_equal(tulpen_ctx_nl_replay(ctx, FIXTURE), 0);
	assert_int_equal(tulpen_watch_session_new(ctx, o, &r->out, &s), 0);
	assert_string_equal(tulpen_watch_session_source(s), "sampled");
	/* A fourth snapshot would be an error: the replay has three. */
	assert_int_equal(tulpen_watch_session_run(s, 60000000000ull), 0);
	assert_int_equal(tulpen_watch_session_end(s), 0);
	tulpen_watch_session_stats(s, &st);
	tulpen_watch_session_free(s);
	tulpen_ctx_free(ctx);
	r->out.data[r->out.len] = '\0';
	return st;
}

static void test_ndjson(void **state)
{
	struct tulpen_watch_session_opts o;
	struct tulpen_watch_stats st;
	struct run r;
	const char *d;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.output = TULPEN_WATCH_OUT_NDJSON;
	st = run(&r, &o, 3);
	d = r.out.data;
	/* The first line is the start record. */
	assert_true(!strncmp(d,
			     "{\"type\":\"start\",\"source\":\"sampled\","
			     "\"pid\":",
			     37));
	assert_non_null(strstr(d, "\"existing\":3,\"interval_s\":0.005}\n"));
	assert_int_equal(count(d, "\"type\":\"existing\""), 3);
	assert_non_null(strstr(d, "\"local\":{\"address\":\"127.0.0.1\","
				  "\"port\":5555},\"peer\":{\"address\":"
				  "\"0.0.0.0\",\"port\":0},\"state\":"
				  "\"LISTEN\",\"processes\":[]"));
	/* Steps 2 and 3: four transitions each, three connections end. */
	assert_int_equal(count(d, "\"type\":\"transition\""), 8);
	assert_int_equal(count(d, "\"type\":\"lifetime\""), 3);
	assert_non_null(strstr(d, "\"old\":\"FIN-WAIT-2\",\"new\":"
				  "\"TIME-WAIT\""));
	assert_non_null(strstr(d, "\"family\":\"inet\""));
	assert_null(strstr(d, "\"addr\""));
	assert_null(strstr(d, "\"owner\""));
	/* One object per line, nothing else. */
	assert_int_equal(count(d, "\n"), 1 + 3 + 8 + 3);
	assert_int_equal(count(d, "\n{"), 3 + 8 + 3);
	assert_int_equal(st.transitions, 8);
	assert_int_equal(st.lifetimes, 3);
	assert_int_equal(st.lost, 0);
	assert_int_equal(r.notices, 1);
	assert_non_null(strstr(r.notice, "SAMPLED mode (--source=sampled)"));
	tulpen_buf_fini(&r.out);
}

/* JSON: one array; a port and a state filter keep only B's records. */
static void test_json_filter(void **state)
{
	struct tulpen_watch_session_opts o;
	struct run r;
	const char *d;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.output = TULPEN_WATCH_OUT_JSON;
	assert_int_equal(tulpen_watch_filter_add_port(&o.filter, 40002,
						      TULPEN_WATCH_PORT_EITHER),
			 0);
	assert_int_equal(tulpen_state_parse("established", &o.filter.states),
			 0);
	run(&r, &o, 2);
	d = r.out.data;
	assert_true(!strncmp(d, "[\n{\"type\":\"start\"", 17));
	assert_string_equal(d + r.out.len - 4, "}\n]\n");
	/* B appears in step 2 (CLOSED -> ESTABLISHED) and goes in step 3. */
	assert_int_equal(count(d, "\"type\":\"transition\""), 4);
	assert_int_equal(count(d, "\"type\":\"lifetime\""), 2);
	assert_int_equal(count(d, "\"port\":40001"), 0);
	/* Existing connections are listed when they match: none is B. */
	assert_int_equal(count(d, "\"type\":\"existing\""), 0);
	tulpen_buf_fini(&r.out);
}

static void test_filter_ports(void **state)
{
	struct tulpen_watch_filter f;
	int i;

	(void)state;
	memset(&f, 0, sizeof(f));
	for (i = 0; i < TULPEN_WATCH_MAX_PORTS; i++)
		assert_int_equal(
			tulpen_watch_filter_add_port(&f, (uint16_t)i,
						     TULPEN_WATCH_PORT_LOCAL),
			0);
	assert_int_equal(
		tulpen_watch_filter_add_port(&f, 1, TULPEN_WATCH_PORT_PEER),
		-E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ndjson),
		cmocka_unit_test(test_json_filter),
		cmocka_unit_test(test_filter_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
