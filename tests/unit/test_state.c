// SPDX-License-Identifier: MIT
/* Unit tests: state names and every spelling people type. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "tulpen/state.h"

static void rfc_names(void **unused)
{
	assert_string_equal(
		tulpen_state_name(TULPEN_TCP_SYN_RECV, TULPEN_STATE_RFC),
		"SYN-RECEIVED");
	assert_string_equal(
		tulpen_state_name(TULPEN_TCP_NEW_SYN_RECV, TULPEN_STATE_RFC),
		"SYN-RECEIVED");
	assert_string_equal(
		tulpen_state_name(TULPEN_TCP_CLOSE, TULPEN_STATE_RFC),
		"CLOSED");
	assert_string_equal(
		tulpen_state_name(TULPEN_TCP_FIN_WAIT1, TULPEN_STATE_NETSTAT),
		"FIN_WAIT1");
	assert_string_equal(
		tulpen_state_name(TULPEN_TCP_ESTABLISHED, TULPEN_STATE_SS),
		"ESTAB");
	assert_string_equal(tulpen_state_name(99, TULPEN_STATE_RFC), "UNKNOWN");
	assert_string_equal(tulpen_state_name(-1, TULPEN_STATE_SS), "UNKNOWN");
}

struct spelling_case {
	const char *word;
	int state;
};

static void every_spelling(void **unused)
{
	static const struct spelling_case cases[] = {
		{ "ESTABLISHED", TULPEN_TCP_ESTABLISHED },
		{ "estab", TULPEN_TCP_ESTABLISHED },
		{ "SYN-SENT", TULPEN_TCP_SYN_SENT },
		{ "syn_sent", TULPEN_TCP_SYN_SENT },
		{ "SYN_SEND", TULPEN_TCP_SYN_SENT },
		{ "SYN-RECEIVED", TULPEN_TCP_SYN_RECV },
		{ "SYN_RECEIVED", TULPEN_TCP_SYN_RECV },
		{ "syn-recv", TULPEN_TCP_SYN_RECV },
		{ "SYN_RECV", TULPEN_TCP_SYN_RECV },
		{ "FIN-WAIT-1", TULPEN_TCP_FIN_WAIT1 },
		{ "FIN_WAIT1", TULPEN_TCP_FIN_WAIT1 },
		{ "fin-wait-2", TULPEN_TCP_FIN_WAIT2 },
		{ "FIN_WAIT_2", TULPEN_TCP_FIN_WAIT2 },
		{ "TIME-WAIT", TULPEN_TCP_TIME_WAIT },
		{ "TIME_WAIT", TULPEN_TCP_TIME_WAIT },
		{ "TIMED_WAIT", TULPEN_TCP_TIME_WAIT },
		{ "timewait", TULPEN_TCP_TIME_WAIT },
		{ "CLOSE-WAIT", TULPEN_TCP_CLOSE_WAIT },
		{ "close_wait", TULPEN_TCP_CLOSE_WAIT },
		{ "LAST-ACK", TULPEN_TCP_LAST_ACK },
		{ "LAST_ACK", TULPEN_TCP_LAST_ACK },
		{ "LISTEN", TULPEN_TCP_LISTEN },
		{ "listening", TULPEN_TCP_LISTEN },
		{ "CLOSING", TULPEN_TCP_CLOSING },
		{ "CLOSED", TULPEN_TCP_CLOSE },
		{ "unconn", TULPEN_TCP_CLOSE },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t mask = 0;
		int st = -1;

		assert_int_equal(tulpen_state_parse_one(cases[i].word, &st), 0);
		assert_int_equal(st, cases[i].state);
		assert_int_equal(tulpen_state_parse(cases[i].word, &mask), 0);
		assert_true(mask & TULPEN_SF(cases[i].state));
	}
}

static void syn_recv_covers_requests(void **unused)
{
	uint32_t mask;

	assert_int_equal(tulpen_state_parse("SYN-RECEIVED", &mask), 0);
	assert_int_equal(mask, TULPEN_SF(TULPEN_TCP_SYN_RECV) |
				       TULPEN_SF(TULPEN_TCP_NEW_SYN_RECV));
}

static void groups(void **unused)
{
	uint32_t m;

	assert_int_equal(tulpen_state_parse("all", &m), 0);
	assert_int_equal(m, TULPEN_SF_ALL);
	assert_int_equal(tulpen_state_parse("connected", &m), 0);
	assert_false(m & TULPEN_SF(TULPEN_TCP_LISTEN));
	assert_false(m & TULPEN_SF(TULPEN_TCP_CLOSE));
	assert_true(m & TULPEN_SF(TULPEN_TCP_SYN_SENT));
	assert_true(m & TULPEN_SF(TULPEN_TCP_TIME_WAIT));
	assert_int_equal(tulpen_state_parse("synchronized", &m), 0);
	assert_false(m & TULPEN_SF(TULPEN_TCP_SYN_SENT));
	assert_true(m & TULPEN_SF(TULPEN_TCP_ESTABLISHED));
	assert_int_equal(tulpen_state_parse("bucket", &m), 0);
	assert_int_equal(m, TULPEN_SF(TULPEN_TCP_SYN_RECV) |
				    TULPEN_SF(TULPEN_TCP_NEW_SYN_RECV) |
				    TULPEN_SF(TULPEN_TCP_TIME_WAIT));
	assert_int_equal(tulpen_state_parse("big", &m), 0);
	assert_false(m & TULPEN_SF(TULPEN_TCP_TIME_WAIT));
	assert_true(m & TULPEN_SF(TULPEN_TCP_LISTEN));
	/* groups are not single states */
	assert_int_equal(tulpen_state_parse_one("all", &(int){ 0 }), -EINVAL);
}

static void rejects(void **unused)
{
	static const char *const bad[] = {
		"",
		"ESTABLISHEDX",
		"SYN",
		"FIN-WAIT-3",
		"ESTAB!",
		"é",
		"a-very-long-word-that-is-no-state-at-all"
	};
	size_t i;
	uint32_t m;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(tulpen_state_parse(bad[i], &m), -EINVAL);
	assert_int_equal(tulpen_state_parse(NULL, &m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc_names),
		cmocka_unit_test(every_spelling),
		cmocka_unit_test(syn_recv_covers_requests),
		cmocka_unit_test(groups),
		cmocka_unit_test(rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
