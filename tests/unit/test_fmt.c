// SPDX-License-Identifier: MIT
/* Unit tests: output back ends over hand-made records. */
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
#include <cmocka.h>

#include "tulpen/fmt.h"
#include "tulpen/state.h"

struct mem {
	char buf[1 << 16];
	size_t len;
	int fail_after; /* fail with -EPIPE after this many calls (0: never) */
	int calls;
};

static int mem_sink(void *priv, const char *b, size_t n)
{
	struct mem *m = priv;

	if (m->fail_after && ++m->calls >= m->fail_after)
		return -EPIPE;
	assert_true(m->len + n < sizeof(m->buf));
	memcpy(m->buf + m->len, b, n);
	m->len += n;
	m->buf[m->len] = '\0';
	return 0;
}

static struct tulpen_sock tcp(int family, const char *l, int lport,
			      const char *p, int pport, int state)
{
	struct tulpen_sock s;

	memset(&s, 0, sizeof(s));
	s.proto = TULPEN_P_TCP;
	s.family = (uint8_t)family;
	s.state = (uint8_t)state;
	inet_pton(family, l, s.local.addr.raw);
	inet_pton(family, p, s.peer.addr.raw);
	s.local.port = (uint16_t)lport;
	s.peer.port = (uint16_t)pport;
	s.inode = 1234;
	s.uid = 1000;
	s.v6only = 2;
	return s;
}

static void run(enum tulpen_fmt_kind kind, struct tulpen_fmt_opts *o,
		const struct tulpen_sock *v, size_t n, struct mem *m)
{
	struct tulpen_fmt *f;
	size_t i;

	assert_int_equal(tulpen_fmt_new(kind, o, mem_sink, m, &f), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(tulpen_fmt_sock(f, &v[i], NULL, 0), 0);
	assert_int_equal(tulpen_fmt_end(f), 0);
	tulpen_fmt_free(f);
}

static void table_sizes_columns_to_data(void **unused)
{
	struct tulpen_sock v[2];
	struct tulpen_fmt_opts o = { .numeric = 1, .header = 1 };
	struct mem m = { .len = 0 };
	const char *want =
		"Proto State       Recv-Q Send-Q Local Address                 "
		"               Peer Address\n"
		"tcp   ESTABLISHED      0      0 10.0.0.1:22                   "
		"               10.0.0.2:5000\n"
		"tcp6  LISTEN           0      0 [2001:db8:aaaa:bbbb:cccc:dddd:"
		"eeee:ffff]:443 [::]:*\n";

	v[0] = tcp(AF_INET, "10.0.0.1", 22, "10.0.0.2", 5000,
		   TULPEN_TCP_ESTABLISHED);
	v[1] = tcp(AF_INET6, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 443,
		   "::", 0, TULPEN_TCP_LISTEN);
	run(TULPEN_FMT_TABLE, &o, v, 2, &m);
	assert_string_equal(m.buf, want);
}

static void table_never_truncates_after_hold(void **unused)
{
	struct tulpen_sock v[3];
	struct tulpen_fmt_opts o = { .numeric = 1,
				     .header = 0,
				     .table_hold = 1 };
	struct mem m = { .len = 0 };

	v[0] = tcp(AF_INET, "1.2.3.4", 1, "1.2.3.5", 2, TULPEN_TCP_ESTABLISHED);
	v[1] = tcp(AF_INET6, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 65535,
		   "2001:db8:aaaa:bbbb:cccc:dddd:eeee:fffe", 65534,
		   TULPEN_TCP_TIME_WAIT);
	v[2] = tcp(AF_INET, "1.2.3.4", 1, "1.2.3.5", 2, TULPEN_TCP_CLOSING);
	run(TULPEN_FMT_TABLE, &o, v, 3, &m);
	assert_non_null(strstr(
		m.buf, "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535 "
		       "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:fffe]:65534"));
	assert_non_null(strstr(m.buf, "TIME-WAIT"));
	assert_non_null(strstr(m.buf, "CLOSING"));
}

static void services_and_scope(void **unused)
{
	struct tulpen_sock s = tcp(AF_INET6, "fe80::1", 22, "fe80::2", 40000,
				   TULPEN_TCP_ESTABLISHED);
	struct tulpen_services *svc;
	struct tulpen_ep_style st = { .brackets = 1, .proto = TULPEN_P_TCP };
	char out[128];
	FILE *f = fopen("/tmp/tulpen-test-services", "w");

	assert_non_null(f);
	fputs("# comment\nssh\t\t22/tcp\nfoo 22/udp\nbad line\nhttp 80/tcp "
	      "www\n",
	      f);
	fclose(f);
	assert_int_equal(tulpen_services_new("/tmp/tulpen-test-services", &svc),
			 0);
	s.ifindex = 1; /* lo */
	st.services = svc;
	tulpen_fmt_ep(out, sizeof(out), AF_INET6, &s.local, s.ifindex, &st);
	assert_string_equal(out, "[fe80::1%lo]:ssh");
	tulpen_fmt_ep(out, sizeof(out), AF_INET6, &s.peer, 0, &st);
	assert_string_equal(out, "[fe80::2]:40000");
	st.services = NULL; /* -n */
	tulpen_fmt_ep(out, sizeof(out), AF_INET6, &s.local, s.ifindex, &st);
	assert_string_equal(out, "[fe80::1%lo]:22");
	assert_string_equal(tulpen_services_name(svc, TULPEN_P_UDP, 22), "foo");
	assert_null(tulpen_services_name(svc, TULPEN_P_RAW, 22));
	tulpen_services_free(svc);
	remove("/tmp/tulpen-test-services");
}

static void json_fields_and_escapes(void **unused)
{
	struct tulpen_sock u;
	struct tulpen_fmt_opts o = { .numeric = 1, .show_owners = 1 };
	struct tulpen_owner ow[2] = { { 10, 3, "a\"b\0a\"b\0" },
				      { 11, 4, "c\\d\n\0cd\0" } };
	struct tulpen_fmt *f;
	struct mem m = { .len = 0 };

	memset(&u, 0, sizeof(u));
	u.proto = TULPEN_P_UNIX;
	u.family = AF_UNIX;
	u.state = TULPEN_TCP_LISTEN;
	u.unix_type = SOCK_STREAM;
	u.unix_path = "/run/x\x01y";
	u.inode = 77;
	assert_int_equal(
		tulpen_fmt_new(TULPEN_FMT_NDJSON, &o, mem_sink, &m, &f), 0);
	assert_int_equal(tulpen_fmt_sock(f, &u, ow, 2), 0);
	assert_int_equal(tulpen_fmt_end(f), 0);
	tulpen_fmt_free(f);
	assert_string_equal(
		m.buf,
		"{\"proto\":\"unix\",\"family\":\"unix\",\"state\":\"LISTEN\","
		"\"recv_q\":0,\"send_q\":0,\"type\":\"stream\",\"path\":"
		"\"/run/x\\u0001y\",\"peer_inode\":0,\"uid\":0,\"inode\":77,"
		"\"timer\":null,\"source\":\"netlink\",\"processes\":[{\"pid\":"
		"10,\"command\":\"a\\\"b\",\"fd\":3},{\"pid\":11,\"command\":"
		"\"c\\\\d\\n\",\"fd\":4}]}\n");
}

static void json_empty_is_array(void **unused)
{
	struct tulpen_fmt_opts o = { .numeric = 1 };
	struct mem m = { .len = 0 };

	run(TULPEN_FMT_JSON, &o, NULL, 0, &m);
	assert_string_equal(m.buf, "[]\n");
}

static void netstat_layout(void **unused)
{
	struct tulpen_sock s =
		tcp(AF_INET, "0.0.0.0", 22, "0.0.0.0", 0, TULPEN_TCP_LISTEN);
	struct tulpen_fmt_opts o = { .numeric = 1,
				     .header = 1,
				     .extended = 1,
				     .show_owners = 1,
				     .listening = 1 };
	struct mem m = { .len = 0 };

	s.wqueue = 128;
	run(TULPEN_FMT_NETSTAT, &o, &s, 1, &m);
	assert_string_equal(
		m.buf,
		"Active Internet connections (only servers)\n"
		"Proto Recv-Q Send-Q Local Address           Foreign Address "
		"        State       User       Inode      PID/Program name    "
		"\n"
		"tcp        0      0 0.0.0.0:22              0.0.0.0:*       "
		"        LISTEN      1000       1234       -                   "
		"\n");
}

static void ss_layout(void **unused)
{
	struct tulpen_sock s =
		tcp(AF_INET6, "::", 22, "::", 0, TULPEN_TCP_LISTEN);
	struct tulpen_fmt_opts o = { .numeric = 1, .extended = 1, .timers = 1 };
	struct mem m = { .len = 0 };

	s.v6only = 0;
	s.has_cookie = 1;
	s.cookie = 0xab;
	s.source = TULPEN_SRC_NETLINK;
	s.has_shutdown = 1; /* full sockets carry it; TIME-WAIT ones do not */
	s.timer = TULPEN_TIMER_KEEPALIVE;
	s.timer_ms = 61500;
	s.has_shutdown = 1;
	run(TULPEN_FMT_SS, &o, &s, 1, &m);
	/* ss: each column as wide as its widest cell, queues "%-6d" */
	assert_string_equal(m.buf, "tcp LISTEN 0      0      *:22 *:* "
				   "timer:(keepalive,1min1sec,0) uid:1000 "
				   "ino:1234 sk:ab v6only:0 <->\n");
}

static void durations(void **unused)
{
	char b[32];

	tulpen_fmt_duration_ms(b, sizeof(b), 250);
	assert_string_equal(b, "250ms");
	tulpen_fmt_duration_ms(b, sizeof(b), 59300);
	assert_string_equal(b, "59.3s");
	tulpen_fmt_duration_ms(b, sizeof(b), 123000);
	assert_string_equal(b, "2min3s");
	tulpen_fmt_duration_ms(b, sizeof(b), 7260000);
	assert_string_equal(b, "2h1min");
	tulpen_fmt_duration_ms(b, sizeof(b), -5);
	assert_string_equal(b, "0ms");
}

static void closed_pipe_is_reported(void **unused)
{
	struct tulpen_sock s = tcp(AF_INET, "1.1.1.1", 1, "2.2.2.2", 2,
				   TULPEN_TCP_ESTABLISHED);
	struct tulpen_fmt_opts o = { .numeric = 1 };
	struct mem m = { .len = 0, .fail_after = 1 };
	struct tulpen_fmt *f;
	int i, ret = 0;

	assert_int_equal(
		tulpen_fmt_new(TULPEN_FMT_NDJSON, &o, mem_sink, &m, &f), 0);
	for (i = 0; i < 20000 && !ret; i++)
		ret = tulpen_fmt_sock(f, &s, NULL, 0);
	if (!ret)
		ret = tulpen_fmt_end(f);
	assert_int_equal(ret, -EPIPE);
	tulpen_fmt_free(f);
}

/* The one number formatter. */
static void numbers(void **unused)
{
	char out[TULPEN_FMT_NUM_MAX];
	size_t n;

	n = tulpen_fmt_u64(out, 0);
	assert_int_equal(n, 1);
	assert_memory_equal(out, "0", 1);
	n = tulpen_fmt_u64(out, UINT64_MAX);
	assert_int_equal(n, 20);
	assert_memory_equal(out, "18446744073709551615", 20);
	n = tulpen_fmt_i64(out, INT64_MIN);
	assert_int_equal(n, 20);
	assert_memory_equal(out, "-9223372036854775808", 20);
	n = tulpen_fmt_i64(out, -7);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "-7", 2);
	n = tulpen_fmt_u64_pad(out, 7, 3);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "007", 3);
	n = tulpen_fmt_u64_pad(out, 12345, 3); /* never cut */
	assert_int_equal(n, 5);
	assert_memory_equal(out, "12345", 5);
	n = tulpen_fmt_fixed(out, 1500, 3);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "1.500", 5);
	n = tulpen_fmt_fixed(out, -250, 3);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "-0.250", 6);
	n = tulpen_fmt_fixed(out, 7, 0);
	assert_int_equal(n, 1);
	assert_memory_equal(out, "7", 1);
	n = tulpen_fmt_fixed(out, 1700000000000001ll, 6);
	assert_int_equal(n, 17);
	assert_memory_equal(out, "1700000000.000001", 17);
	n = tulpen_fmt_fixed(out, INT64_MIN, 18);
	out[n] = '\0';
	assert_string_equal(out, "-9.223372036854775808");
}

static void ep(const struct tulpen_ep_style *st, int family, const char *a,
	       int port, uint32_t ifindex, const char *want)
{
	struct tulpen_endpoint e;
	char out[128];
	size_t n;

	memset(&e, 0, sizeof(e));
	assert_int_equal(inet_pton(family, a, e.addr.raw), 1);
	e.port = (uint16_t)port;
	n = tulpen_fmt_ep(out, sizeof(out), family, &e, ifindex, st);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

/* The one endpoint formatter, in every layout's style. */
static void endpoint_styles(void **unused)
{
	struct tulpen_ep_style table = { .brackets = 1 };
	struct tulpen_ep_style ss = { .brackets = 1,
				      .dev_after = 1,
				      .any_star = 1 };
	struct tulpen_ep_style netstat = { .unmap_v4 = 1 };
	struct tulpen_endpoint e = { .port = 443 };
	char out[8];

	ep(&table, AF_INET, "10.0.0.1", 80, 0, "10.0.0.1:80");
	ep(&table, AF_INET6, "::1", 443, 0, "[::1]:443");
	ep(&table, AF_INET6, "fe80::1", 22, 1, "[fe80::1%lo]:22");
	ep(&table, AF_INET, "127.0.0.1", 53, 1, "127.0.0.1%lo:53");
	ep(&table, AF_INET6, "::", 0, 0, "[::]:*");
	ep(&ss, AF_INET6, "fe80::1", 22, 1, "[fe80::1]%lo:22");
	ep(&ss, AF_INET, "127.0.0.1", 53, 1, "127.0.0.1%lo:53");
	ep(&ss, AF_INET6, "::", 22, 0, "*:22");
	ep(&ss, AF_INET, "0.0.0.0", 0, 0, "0.0.0.0:*");
	ss.any_star = 0; /* a v6only socket: the address as it is */
	ep(&ss, AF_INET6, "::", 22, 0, "[::]:22");
	ep(&netstat, AF_INET6, "::ffff:10.0.0.1", 22, 0, "10.0.0.1:22");
	ep(&netstat, AF_INET6, "::1", 22, 0, "::1:22");
	ep(&netstat, AF_INET, "10.1.2.3", 0, 0, "10.1.2.3:*");
	/* cut to fit, always terminated */
	inet_pton(AF_INET6, "2001:db8::1", e.addr.raw);
	assert_int_equal(
		tulpen_fmt_ep(out, sizeof(out), AF_INET6, &e, 0, &table), 7);
	assert_string_equal(out, "[2001:d");
	assert_int_equal(tulpen_fmt_ep(out, 0, AF_INET6, &e, 0, &table), 0);
}

static void json_endpoint(void **unused)
{
	struct tulpen_endpoint e = { .port = 22 };
	struct tulpen_buf b;

	assert_int_equal(tulpen_buf_init(&b, 0, NULL, NULL), 0);
	inet_pton(AF_INET6, "fe80::1", e.addr.raw);
	tulpen_buf_json_endpoint(&b, AF_INET6, &e, 1, NULL);
	tulpen_buf_putc(&b, '\0');
	assert_string_equal(b.data, "{\"address\":\"fe80::1\",\"port\":22,"
				    "\"interface\":\"lo\"}");
	tulpen_buf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_sizes_columns_to_data),
		cmocka_unit_test(table_never_truncates_after_hold),
		cmocka_unit_test(services_and_scope),
		cmocka_unit_test(json_fields_and_escapes),
		cmocka_unit_test(json_empty_is_array),
		cmocka_unit_test(netstat_layout),
		cmocka_unit_test(ss_layout),
		cmocka_unit_test(durations),
		cmocka_unit_test(closed_pipe_is_reported),
		cmocka_unit_test(numbers),
		cmocka_unit_test(endpoint_styles),
		cmocka_unit_test(json_endpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
