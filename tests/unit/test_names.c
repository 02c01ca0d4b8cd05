// SPDX-License-Identifier: MIT
/* Unit tests: user names and the bounded reverse resolver. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "tulpen/names.h"

static void users_from_file(void **unused)
{
	struct tulpen_users *u;
	FILE *f = fopen("/tmp/tulpen-test-passwd", "w");

	assert_non_null(f);
	fputs("root:x:0:0:root:/root:/bin/bash\nbroken line\n"
	      "www-data:x:33:33::/var/www:/usr/sbin/nologin\n"
	      "big:x:4294967295:1::/:/bin/sh\nover:x:4294967296:1::/:/\n"
	      "toor:x:0:0:second root:/root:/bin/sh\n",
	      f);
	fclose(f);
	assert_int_equal(tulpen_users_new("/tmp/tulpen-test-passwd", &u), 0);
	assert_string_equal(tulpen_users_name(u, 0), "root"); /* first wins */
	assert_string_equal(tulpen_users_name(u, 33), "www-data");
	assert_string_equal(tulpen_users_name(u, 4294967295u), "big");
	assert_null(tulpen_users_name(u, 1000));
	tulpen_users_free(u);
	remove("/tmp/tulpen-test-passwd");
	/* a missing file: numeric names, no error */
	assert_int_equal(tulpen_users_new("/nonexistent", &u), 0);
	assert_null(tulpen_users_name(u, 0));
	tulpen_users_free(u);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void resolver_is_bounded(void **unused)
{
	struct tulpen_resolver *r;
	uint8_t a[16];
	double t0;
	int i;

	assert_int_equal(tulpen_resolver_new(4, 300, &r), 0);
	/* 127.0.0.1 is in /etc/hosts: found without any DNS server */
	inet_pton(AF_INET, "127.0.0.1", a);
	assert_int_equal(tulpen_resolver_add(r, AF_INET, a), 0);
	assert_int_equal(tulpen_resolver_add(r, AF_INET, a), 0);
	/* documentation addresses: no name; with no DNS they may block */
	for (i = 1; i < 60; i++) {
		uint8_t b[4] = { 192, 0, 2, (uint8_t)i };

		assert_int_equal(tulpen_resolver_add(r, AF_INET, b), 0);
	}
	t0 = now();
	assert_int_equal(tulpen_resolver_run(r), 0);
	/* the deadline is 300 ms: allow scheduling slack, never hang */
	assert_true(now() - t0 < 1.5);
	inet_pton(AF_INET, "127.0.0.1", a);
	assert_non_null(tulpen_resolver_name(r, AF_INET, a));
	assert_string_equal(tulpen_resolver_name(r, AF_INET, a), "localhost");
	assert_int_equal(tulpen_resolver_add(r, AF_UNIX, a), -EINVAL);
	tulpen_resolver_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(users_from_file),
		cmocka_unit_test(resolver_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
