// SPDX-License-Identifier: MIT
/* Unit tests: the command line's number parser and option errors. */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli_util.h"

static void uint_accepts_plain_decimal(void **unused)
{
	uint64_t v = 7;

	assert_int_equal(cli_parse_uint("-n", "0", 0, 10, &v, NULL, 0), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cli_parse_uint("-n", "65535", 0, 65535, &v, NULL, 0),
			 0);
	assert_int_equal(v, 65535);
	assert_int_equal(cli_parse_uint("-n", "007", 0, 10, &v, NULL, 0), 0);
	assert_int_equal(v, 7); /* decimal, not octal */
	assert_int_equal(cli_parse_uint("-n", "18446744073709551615", 0,
					UINT64_MAX, &v, NULL, 0),
			 0);
	assert_true(v == UINT64_MAX);
}

static void uint_refuses_and_says_why(void **unused)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "1x", "0x10", "1.0", "1e3", "١",
	};
	char err[128];
	uint64_t v = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cli_parse_uint("--top", bad[i], 0, 100, &v,
						err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "is not a whole number"));
		assert_int_equal(v, 42);
	}
	assert_string_equal(err, "--top: '\xd9\xa1' is not a whole number");
	assert_int_equal(cli_parse_uint("--ringbuf-mb", "0", 1, 1024, &v, err,
					sizeof(err)),
			 -ERANGE);
	assert_string_equal(err, "--ringbuf-mb: '0' is out of range "
				 "(1 to 1024)");
	assert_int_equal(
		cli_parse_uint("port", "70000", 0, 65535, &v, err, sizeof(err)),
		-ERANGE);
	assert_string_equal(err, "port: '70000' is out of range (0 to 65535)");
	/* one more than 2^64 - 1 */
	assert_int_equal(cli_parse_uint("-n", "18446744073709551616", 0,
					UINT64_MAX, &v, err, sizeof(err)),
			 -ERANGE);
	assert_int_equal(cli_parse_uint("-n", "99999999999999999999x", 0,
					UINT64_MAX, &v, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(v, 42);
	/* a short buffer is cut, not overrun */
	memset(err, 'Z', sizeof(err));
	cli_parse_uint("--top", "x", 0, 1, &v, err, 8);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(err[8], 'Z');
}

static const struct cli_duration secs = {
	.unit_ns = CLI_NSEC_PER_SEC,
	.min_ns = 10 * CLI_NSEC_PER_MSEC,
	.max_ns = 365 * 86400 * CLI_NSEC_PER_SEC,
};

static uint64_t dur(const char *s)
{
	uint64_t ns = 0;

	assert_int_equal(cli_parse_duration("-d", s, &secs, &ns, NULL, 0), 0);
	return ns;
}

static void duration_units_exact(void **unused)
{
	assert_true(dur("1") == CLI_NSEC_PER_SEC);
	assert_true(dur("1.5") == 1500000000ull);
	assert_true(dur("0.01") == 10000000ull);
	assert_true(dur("500ms") == 500000000ull);
	assert_true(dur("2s") == 2000000000ull);
	assert_true(dur("1.5m") == 90000000000ull);
	assert_true(dur("2min") == 120000000000ull);
	assert_true(dur("0.25h") == 900000000000ull);
	assert_true(dur("1d") == 86400000000000ull);
	assert_true(dur("10000us") == 10000000ull);
	assert_true(dur("10000000ns") == 10000000ull);
	/* exact where a double is not: 0.1 + 0.2 */
	assert_true(dur("0.3") == 300000000ull);
	/* the tenth decimal and after are dropped */
	assert_true(dur("1.0000000019") == 1000000001ull);
	assert_true(dur("365d") == secs.max_ns);
}

static void duration_refuses_and_says_why(void **unused)
{
	static const char *const bad[] = {
		"",	"s",	"1x",  "1 s", " 1",  "-1",  "+1",   ".5",  "1.",
		"1..2", "1.5.", "1e3", "1S",  "nan", "inf", "1sec", "1,5",
	};
	char err[128];
	uint64_t ns = 42;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cli_parse_duration("--interval", bad[i], &secs,
						    &ns, err, sizeof(err)),
				 -EINVAL);
		assert_int_equal(ns, 42);
	}
	assert_string_equal(err, "--interval: '1,5' is not a duration "
				 "(seconds, or 500ms, 2s, 1.5m)");
	assert_int_equal(cli_parse_duration("--interval", "0", &secs, &ns, err,
					    sizeof(err)),
			 -ERANGE);
	assert_string_equal(err, "--interval: '0' is out of range "
				 "(10ms to 365d)");
	assert_int_equal(cli_parse_duration("--interval", "9ms", &secs, &ns,
					    err, sizeof(err)),
			 -ERANGE);
	assert_int_equal(cli_parse_duration("--interval", "366d", &secs, &ns,
					    err, sizeof(err)),
			 -ERANGE);
	/* far beyond 64 bits of nanoseconds: out of range, not wrapped */
	assert_int_equal(cli_parse_duration("--interval", "99999999999d", &secs,
					    &ns, err, sizeof(err)),
			 -ERANGE);
	assert_int_equal(cli_parse_duration("--interval",
					    "99999999999999999999999", &secs,
					    &ns, err, sizeof(err)),
			 -ERANGE);
	assert_int_equal(ns, 42);
}

static void duration_bare_milliseconds(void **unused)
{
	static const struct cli_duration ms = {
		.unit_ns = CLI_NSEC_PER_MSEC,
		.min_ns = 0,
		.max_ns = UINT64_MAX,
	};
	char err[128];
	uint64_t ns;

	assert_int_equal(cli_parse_duration("-t", "250", &ms, &ns, NULL, 0), 0);
	assert_true(ns == 250 * CLI_NSEC_PER_MSEC);
	assert_int_equal(cli_parse_duration("-t", "0", &ms, &ns, NULL, 0), 0);
	assert_true(ns == 0);
	assert_int_equal(
		cli_parse_duration("-t", "x", &ms, &ns, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "(milliseconds, or"));
}

/* getopt_long's refusals, worded the same for every subcommand. */
static void getopt_errors(void **unused)
{
	static const struct option lo[] = {
		{ "tcp", no_argument, NULL, 't' },
		{ "style", required_argument, NULL, 256 },
		{ "json", no_argument, NULL, 257 },
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		const char *arg, *want;
	} cases[] = {
		{ "-z", "unknown option '-z'" },
		{ "-tz", "unknown option '-z'" },
		{ "--bogus", "unknown option '--bogus'" },
		{ "--bogus=1", "unknown option '--bogus'" },
		{ "--style", "--style: needs an argument" },
		{ "--tcp=1", "--tcp: takes no argument" },
		{ "--json=1", "--json: takes no argument" },
		{ "-f", "-f: needs an argument" },
	};
	char err[128];
	size_t i;
	int c;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char a0[] = "tulpen", a1[32];
		char *argv[] = { a0, a1, NULL };

		snprintf(a1, sizeof(a1), "%s", cases[i].arg);
		optind = 0;
		opterr = 0;
		while ((c = getopt_long(2, argv, ":tf:", lo, NULL)) == 't')
			;
		assert_true(c == '?' || c == ':');
		assert_int_equal(
			cli_getopt_error(c, argv, lo, err, sizeof(err)),
			-EINVAL);
		assert_string_equal(err, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uint_accepts_plain_decimal),
		cmocka_unit_test(uint_refuses_and_says_why),
		cmocka_unit_test(duration_units_exact),
		cmocka_unit_test(duration_refuses_and_says_why),
		cmocka_unit_test(duration_bare_milliseconds),
		cmocka_unit_test(getopt_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
