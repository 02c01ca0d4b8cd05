// SPDX-License-Identifier: MIT
/*
 * test_metrics_webcfg.c - the exporter toolkit's web config: what is
 * accepted, where relative file names point, what is refused (by name and
 * line), and basic auth against bcrypt hashes through crypt_r().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tulpen/metrics.h"

/* crypt("pw", "$2b$04$abcdefghijklmnopqrstuu"), cost 4 to be quick */
#define PW_HASH "$2b$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW"

static struct tulpen_webcfg *parse_ok(const char *yaml, const char *dir)
{
	struct tulpen_webcfg *c = NULL;
	char err[256] = "";

	if (tulpen_webcfg_parse(yaml, strlen(yaml), dir, &c, err, sizeof(err)))
		fail_msg("refused: %s", err);
	return c;
}

static void parse_bad(const char *yaml, const char *want)
{
	struct tulpen_webcfg *c = NULL;
	char err[256] = "";

	assert_int_equal(tulpen_webcfg_parse(yaml, strlen(yaml), NULL, &c, err,
					     sizeof(err)),
			 -EINVAL);
	assert_null(c);
	if (!strstr(err, want))
		fail_msg("error '%s' does not say '%s'", err, want);
}

static void full_config(void **unused)
{
	struct tulpen_webcfg *c = parse_ok(
		"# comment\n"
		"tls_server_config:\n"
		"  cert_file: tls/server.crt\n"
		"  key_file: /etc/keys/server.key\n"
		"basic_auth_users:\n"
		"  alice: " PW_HASH "\n"
		"  bob: "
		"'$2y$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09"
		"MlzlW'\n",
		"/etc/tulpen");

	assert_string_equal(tulpen_webcfg_cert_file(c),
			    "/etc/tulpen/tls/server.crt");
	assert_string_equal(tulpen_webcfg_key_file(c), "/etc/keys/server.key");
	assert_int_equal(tulpen_webcfg_users(c), 2);
	tulpen_webcfg_free(c);
}

static void empty_config(void **unused)
{
	struct tulpen_webcfg *c = parse_ok("", NULL);

	assert_null(tulpen_webcfg_cert_file(c));
	assert_int_equal(tulpen_webcfg_users(c), 0);
	tulpen_webcfg_free(c);
	c = parse_ok("# nothing but a comment\n", NULL);
	assert_int_equal(tulpen_webcfg_users(c), 0);
	tulpen_webcfg_free(c);
}

static void refused(void **unused)
{
	parse_bad("http_server_config:\n  http2: true\n",
		  "line 1: http_server_config: not supported");
	parse_bad("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		  "  min_version: TLS13\n",
		  "line 4: tls_server_config.min_version: not supported");
	parse_bad("tls_server_config:\n  cert_file: a\n", "needs both");
	parse_bad("tls_server_config: yes\n", "must be a mapping");
	parse_bad("tls_server_config:\n  cert_file: ''\n  key_file: b\n",
		  "cert_file: needs a file name");
	parse_bad("basic_auth_users:\n  u: plain\n",
		  "basic_auth_users.u: not a bcrypt hash");
	parse_bad("basic_auth_users:\n  u: $1$abc$defghijk\n",
		  "not a bcrypt hash");
	parse_bad("basic_auth_users:\n  u: '$2b$31$abcdefghijklmnopqrstuuyvPXI"
		  "bu7xe6/CED2DzX8z6Si09MlzlW'\n",
		  "cost 4 to 15");
	parse_bad("basic_auth_users:\n  u: " PW_HASH "\n  u: " PW_HASH "\n",
		  "basic_auth_users.u: given twice");
	parse_bad("basic_auth_users:\n  'a:b': " PW_HASH "\n", "without ':'");
	parse_bad("basic_auth_users: []\n", "must be a mapping");
	parse_bad("basic_auth_users: {}\n", "empty");
	parse_bad("- a\n- b\n", "must be a YAML mapping");
	parse_bad("tls_server_config: [\n", "line 2");
	parse_bad("a: &x [*x]\n", "not supported");
}

static void too_big(void **unused)
{
	struct tulpen_webcfg *c = NULL;
	size_t n = TULPEN_WEBCFG_MAX_SIZE + 1;
	char *big = malloc(n), err[128];

	assert_non_null(big);
	memset(big, '#', n);
	assert_int_equal(
		tulpen_webcfg_parse(big, n, NULL, &c, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "larger than"));
	free(big);
}

static void basic_auth(void **unused)
{
	struct tulpen_webcfg *c = parse_ok(
		"basic_auth_users:\n  alice: " PW_HASH "\n"
		"  bob: "
		"'$2y$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09"
		"MlzlW'\n",
		NULL);

	assert_int_equal(tulpen_webcfg_auth(c, "alice", "pw"), 1);
	assert_int_equal(tulpen_webcfg_auth(c, "alice", "pw"), 1); /* cached */
	assert_int_equal(tulpen_webcfg_auth(c, "alice", "pw2"), 0);
	assert_int_equal(tulpen_webcfg_auth(c, "alice", ""), 0);
	assert_int_equal(tulpen_webcfg_auth(c, "bob", "pw"), 1); /* $2y$ */
	assert_int_equal(tulpen_webcfg_auth(c, "carol", "pw"), 0);
	assert_int_equal(tulpen_webcfg_auth(c, "Alice", "pw"), 0);
	assert_int_equal(tulpen_webcfg_auth(c, NULL, "pw"), 0);
	assert_int_equal(tulpen_webcfg_auth(NULL, "alice", "pw"), 0);
	tulpen_webcfg_free(c);
}

static void load_missing(void **unused)
{
	struct tulpen_webcfg *c = NULL;
	char err[128];

	assert_int_equal(tulpen_webcfg_load("/nonexistent/web.yml", &c, err,
					    sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_config), cmocka_unit_test(empty_config),
		cmocka_unit_test(refused),     cmocka_unit_test(too_big),
		cmocka_unit_test(basic_auth),  cmocka_unit_test(load_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
