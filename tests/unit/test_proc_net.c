// SPDX-License-Identifier: MIT
/*
 * Unit tests: the /proc/net parsers, on a fixture recorded from a real
 * kernel (tests/fixtures/proc/basic, made in a private network namespace)
 * and on malformed lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "collect/proc_net.h"

#define MAXS 32

struct got {
	struct tulpen_sock s[MAXS];
	char path[MAXS][112];
	int n;
};

static int keep(const struct tulpen_sock *s, void *data)
{
	struct got *g = data;

	assert_true(g->n < MAXS);
	g->s[g->n] = *s;
	if (s->unix_path) {
		snprintf(g->path[g->n], sizeof(g->path[0]), "%s", s->unix_path);
		g->s[g->n].unix_path = g->path[g->n];
	}
	g->n++;
	return 0;
}

static struct tulpen_ctx *fixture_ctx(const char *root)
{
	struct tulpen_ctx *ctx;

	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	assert_int_equal(tulpen_ctx_set_proc_root(ctx, root), 0);
	tulpen_ctx_set_source(ctx, TULPEN_SOURCE_PROC);
	return ctx;
}

static void tcp4_fixture(void **unused)
{
	struct tulpen_ctx *ctx = fixture_ctx("fixtures/proc/basic");
	struct got g = { .n = 0 };
	char a[64];

	assert_int_equal(tulpen_proc_net_collect(ctx, TULPEN_P_TCP, AF_INET,
						 TULPEN_SF_ALL, keep, &g),
			 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.s[0].state, TULPEN_TCP_LISTEN);
	inet_ntop(AF_INET, g.s[0].local.addr.raw, a, sizeof(a));
	assert_string_equal(a, "127.0.0.1");
	assert_int_equal(g.s[0].local.port, 8080);
	assert_int_equal(g.s[0].inode, 4854686);
	assert_int_equal(g.s[1].state, TULPEN_TCP_ESTABLISHED);
	assert_int_equal(g.s[1].rqueue, 100);
	assert_int_equal(g.s[1].peer.port, 0xE692);
	assert_int_equal(g.s[1].source, TULPEN_SRC_PROC);
	tulpen_ctx_free(ctx);
}

static void tcp6_fixture_and_filter(void **unused)
{
	struct tulpen_ctx *ctx = fixture_ctx("fixtures/proc/basic");
	struct got g = { .n = 0 };
	char a[64];

	assert_int_equal(
		tulpen_proc_net_collect(ctx, TULPEN_P_TCP, AF_INET6,
					TULPEN_SF(TULPEN_TCP_CLOSE_WAIT) |
						TULPEN_SF(TULPEN_TCP_FIN_WAIT2),
					keep, &g),
		0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.s[0].state, TULPEN_TCP_CLOSE_WAIT);
	inet_ntop(AF_INET6, g.s[0].local.addr.raw, a, sizeof(a));
	assert_string_equal(a, "::1");
	assert_int_equal(g.s[0].peer.port, 443);
	/* the orphaned FIN-WAIT-2 socket: no inode, a timer running */
	assert_int_equal(g.s[1].state, TULPEN_TCP_FIN_WAIT2);
	assert_int_equal(g.s[1].inode, 0);
	assert_int_equal(g.s[1].timer, 3);
	assert_int_equal(g.s[1].timer_ms, 0x175C * 10);
	tulpen_ctx_free(ctx);
}

static void unix_fixture(void **unused)
{
	struct tulpen_ctx *ctx = fixture_ctx("fixtures/proc/basic");
	struct got g = { .n = 0 };

	assert_int_equal(tulpen_proc_net_collect(ctx, TULPEN_P_UNIX, AF_UNIX,
						 TULPEN_SF_ALL, keep, &g),
			 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.s[0].state, TULPEN_TCP_LISTEN);
	assert_int_equal(g.s[0].unix_type, SOCK_STREAM);
	assert_string_equal(g.s[0].unix_path, "/tmp/tulpen-fixture.sock");
	assert_int_equal(g.s[1].state, TULPEN_TCP_CLOSE);
	assert_int_equal(g.s[1].unix_type, SOCK_DGRAM);
	assert_string_equal(g.s[1].unix_path, "@tulpen-abstract");
	tulpen_ctx_free(ctx);
}

static void parse(const char *name, int proto, int family, const char *line,
		  int want, const char *why_want)
{
	const struct proc_net_table *t = tulpen_proc_net_table(proto, family);
	struct tulpen_sock s;
	char buf[512], path[112];
	const char *why = NULL;

	assert_non_null(t);
	snprintf(buf, sizeof(buf), "%s", line);
	assert_int_equal(tulpen_proc_net_parse_line(t, buf, strlen(buf), &s,
						    path, sizeof(path), &why),
			 want);
	if (why_want) {
		assert_non_null(why);
		assert_string_equal(why, why_want);
	}
	(void)name;
}

static void malformed_lines(void **unused)
{
	parse("ok", TULPEN_P_TCP, AF_INET,
	      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 "
	      "00:00000000 00000000     0        0 4854686 1 0 100 0 0 10 0",
	      0, NULL);
	parse("short addr", TULPEN_P_TCP, AF_INET,
	      "   0: 0100007:1F90 00000000:0000 0A 00000000:00000000 "
	      "00:00000000 00000000     0        0 1",
	      -EINVAL, "bad local address");
	parse("bad state", TULPEN_P_TCP, AF_INET,
	      "   0: 0100007F:1F90 00000000:0000 ZZ 00000000:00000000 "
	      "00:00000000 00000000     0        0 1",
	      -EINVAL, "bad state");
	parse("state 0", TULPEN_P_TCP, AF_INET,
	      "   0: 0100007F:1F90 00000000:0000 00 00000000:00000000 "
	      "00:00000000 00000000     0        0 1",
	      -EINVAL, "bad state");
	parse("truncated", TULPEN_P_TCP, AF_INET,
	      "   0: 0100007F:1F90 00000000:0000 0A 00000000:", -EINVAL,
	      "bad tx_queue:rx_queue");
	parse("uid overflow", TULPEN_P_TCP, AF_INET,
	      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 "
	      "00:00000000 00000000 99999999999 0 1",
	      -EINVAL, "bad uid");
	parse("huge inode", TULPEN_P_TCP, AF_INET,
	      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 "
	      "00:00000000 00000000 0 0 999999999999999999999999",
	      -EINVAL, "bad inode");
	parse("v6 addr in v4 table", TULPEN_P_TCP, AF_INET6,
	      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 "
	      "00:00000000 00000000 0 0 1",
	      -EINVAL, "bad local address");
	parse("empty", TULPEN_P_UDP, AF_INET, "", -EINVAL, "bad slot number");
	parse("unix ok", TULPEN_P_UNIX, AF_UNIX,
	      "0000000084a1c6cb: 00000002 00000000 00010000 0001 01 5 /x", 0,
	      NULL);
	parse("unix bad type", TULPEN_P_UNIX, AF_UNIX,
	      "0000000084a1c6cb: 00000002 00000000 00010000 01 01 5 /x",
	      -EINVAL, "bad type");
	parse("unix junk", TULPEN_P_UNIX, AF_UNIX,
	      "0000000084a1c6cb: 00000002 00000000 00010000 0001 01 5x",
	      -EINVAL, "junk after inode");
}

struct notes {
	char msg[4][512];
	int level[4];
	int n;
};

static void keep_note(void *data, enum tulpen_note_level level, const char *msg)
{
	struct notes *nt = data;

	assert_true(nt->n < 4);
	snprintf(nt->msg[nt->n], sizeof(nt->msg[0]), "%s", msg);
	nt->level[nt->n++] = (int)level;
}

/*
 * A broken file: the lines that do not parse are skipped, the rest listed,
 * and one note names the file, the first bad line and the count.
 */
static void bad_lines_skipped_with_one_note(void **unused)
{
	char dir[] = "/tmp/tulpen-procXXXXXX";
	char p[256];
	struct tulpen_ctx *ctx;
	struct got g = { .n = 0 };
	struct notes nt = { .n = 0 };
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/net", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/net/tcp", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("  sl  local_address rem_address   st tx_queue rx_queue\n", f);
	fputs("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 "
	      "00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n",
	      f);
	fputs("   1: garbage\n", f);
	fputs("   2: 0100007F:1F91 00000000:0000 0A 00000000:00000000 "
	      "00:00000000 00000000     0        0 2 1 0 100 0 0 10 0\n",
	      f);
	fputs("   3: more garbage\n", f);
	fclose(f);
	ctx = fixture_ctx(dir);
	tulpen_ctx_set_note(ctx, keep_note, &nt);
	assert_int_equal(tulpen_proc_net_collect(ctx, TULPEN_P_TCP, AF_INET,
						 TULPEN_SF_ALL, keep, &g),
			 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.s[0].local.port, 0x1F90);
	assert_int_equal(g.s[1].local.port, 0x1F91);
	assert_int_equal(nt.n, 1);
	assert_int_equal(nt.level[0], TULPEN_NOTE_WARN);
	snprintf(p, sizeof(p),
		 "%s/net/tcp: line 3: bad local address; 2 lines that do not "
		 "parse skipped",
		 dir);
	assert_string_equal(nt.msg[0], p);
	tulpen_ctx_free(ctx);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	assert_int_equal(system(p), 0);
}

/*
 * A UNIX path with a newline (recorded): /proc/net/unix prints it raw, so
 * its tail is a line of its own; it continues the path, nothing is lost.
 */
static void unix_path_with_newline(void **unused)
{
	struct tulpen_ctx *ctx = fixture_ctx("fixtures/proc/unix-newline");
	struct got g = { .n = 0 };
	struct notes nt = { .n = 0 };

	tulpen_ctx_set_note(ctx, keep_note, &nt);
	assert_int_equal(tulpen_proc_net_collect(ctx, TULPEN_P_UNIX, AF_UNIX,
						 TULPEN_SF_ALL, keep, &g),
			 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.s[0].unix_path, "/tmp/before.sock");
	assert_string_equal(g.s[1].unix_path, "/tmp/evil\nsock");
	assert_int_equal(g.s[1].inode, 19440);
	assert_string_equal(g.s[2].unix_path, "/tmp/after.sock");
	assert_int_equal(nt.n, 0);
	tulpen_ctx_free(ctx);
}

/* No tcp6 table (ipv6.disable=1): no sockets, no error, one note. */
static void absent_v6_tables(void **unused)
{
	struct tulpen_ctx *ctx = fixture_ctx("fixtures/proc/no-ipv6");
	struct got g = { .n = 0 };
	struct notes nt = { .n = 0 };

	tulpen_ctx_set_note(ctx, keep_note, &nt);
	assert_int_equal(tulpen_proc_net_collect(ctx, TULPEN_P_TCP, AF_INET6,
						 TULPEN_SF_ALL, keep, &g),
			 0);
	assert_int_equal(tulpen_proc_net_collect(ctx, TULPEN_P_UDP, AF_INET6,
						 TULPEN_SF_ALL, keep, &g),
			 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(nt.n, 1); /* once */
	assert_int_equal(nt.level[0], TULPEN_NOTE_INFO);
	assert_non_null(strstr(nt.msg[0], "no-ipv6/net/tcp6: absent"));
	assert_int_equal(tulpen_proc_net_collect(ctx, TULPEN_P_TCP, AF_INET,
						 TULPEN_SF_ALL, keep, &g),
			 0);
	assert_true(g.n > 0);
	tulpen_ctx_free(ctx);
}

static void missing_file(void **unused)
{
	struct tulpen_ctx *ctx = fixture_ctx("/nonexistent-tulpen");
	struct got g = { .n = 0 };

	assert_int_equal(tulpen_proc_net_collect(ctx, TULPEN_P_TCP, AF_INET,
						 TULPEN_SF_ALL, keep, &g),
			 -ENOENT);
	assert_non_null(
		strstr(tulpen_ctx_errmsg(ctx), "/nonexistent-tulpen/net/tcp"));
	tulpen_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp4_fixture),
		cmocka_unit_test(tcp6_fixture_and_filter),
		cmocka_unit_test(unix_fixture),
		cmocka_unit_test(malformed_lines),
		cmocka_unit_test(bad_lines_skipped_with_one_note),
		cmocka_unit_test(unix_path_with_newline),
		cmocka_unit_test(absent_v6_tables),
		cmocka_unit_test(missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
