// SPDX-License-Identifier: MIT
/*
 * Unit tests: the filter language. Every term as the parser understands
 * it (through tulpen_filter_format()), ss's precedence, every error
 * message with its column, the evaluator on synthetic records (both
 * halves: the kernel's rules and ss's), and the shapes of the bytecode.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <cmocka.h>

#include "tulpen/collect.h"
#include "tulpen/container.h"
#include "tulpen/filter.h"
#include "tulpen/state.h"
#include "list_opts.h"

static struct tulpen_services *svc;

static int setup(void **unused)
{
	char path[] = "/tmp/tulpen-test-services-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f)
		return -1;
	fputs("ssh\t22/tcp\nhttps\t443/tcp\nhttps\t443/udp\n"
	      "ntp\t123/udp\namb\t1000/tcp\namb\t1001/udp\n",
	      f);
	fclose(f);
	if (tulpen_services_new(path, &svc))
		return -1;
	unlink(path);
	return 0;
}

static int teardown(void **unused)
{
	tulpen_services_free(svc);
	return 0;
}

static struct tulpen_filter_opts opts(void)
{
	struct tulpen_filter_opts o = { 0 };

	o.services = svc;
	o.family = AF_UNSPEC;
	o.protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_UDP);
	o.no_resolve = 1;
	o.proc_root = "/nonexistent"; /* ss's fallback range 1024-4999 */
	return o;
}

/* Parse @expr (split at spaces into words) with @o. */
static int parse_with(const struct tulpen_filter_opts *o, const char *expr,
		      struct tulpen_filter **f, struct tulpen_filter_error *e)
{
	char buf[512], *words[64], *p = buf;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", expr);
	while (*p && n < 64) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		words[n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	return tulpen_filter_parse(n, (const char *const *)words, NULL, o, f,
				   e);
}

/* The canonical form of @expr, or "ERR: msg @column". */
static const char *canon(const char *expr)
{
	static char out[1024];
	struct tulpen_filter_opts o = opts();
	struct tulpen_filter_error e;
	struct tulpen_filter *f = NULL;

	if (parse_with(&o, expr, &f, &e)) {
		snprintf(out, sizeof(out), "ERR: %s @%u", e.msg, e.column);
		return out;
	}
	tulpen_filter_format(f, out, sizeof(out));
	tulpen_filter_free(f);
	return out;
}

static void terms(void **unused)
{
	assert_string_equal(canon("sport = :22"), "src[*/0 port 22]");
	assert_string_equal(canon("sport :22"), "src[*/0 port 22]");
	assert_string_equal(canon("dport 22"), "dst[*/0 port 22]");
	assert_string_equal(canon("dport == 0x16"), "dst[*/0 port 22]");
	assert_string_equal(canon("dport eq 026"), "dst[*/0 port 22]");
	assert_string_equal(canon("dport = :*"), "dst[*/0 port *]");
	assert_string_equal(canon("sport != :80"), "not src[*/0 port 80]");
	assert_string_equal(canon("sport ne 80"), "not src[*/0 port 80]");
	assert_string_equal(canon("sport >= 1024"), "sport >= 1024");
	assert_string_equal(canon("sport ge 1024"), "sport >= 1024");
	assert_string_equal(canon("sport <= 1024"), "sport <= 1024");
	assert_string_equal(canon("dport gt :1024"), "not dport <= 1024");
	assert_string_equal(canon("dport < :1024"), "not dport >= 1024");
	assert_string_equal(canon("dport lt 1024"), "not dport >= 1024");
	assert_string_equal(canon("src 10.0.0.1"), "src[10.0.0.1/32 port *]");
	assert_string_equal(canon("src = 10.0.0.0/8"),
			    "src[10.0.0.0/8 port *]");
	assert_string_equal(canon("dst 10/8"), "dst[10.0.0.0/8 port *]");
	assert_string_equal(canon("dst 10.1/255.255.0.0:80"),
			    "dst[10.1.0.0/16 port 80]");
	assert_string_equal(canon("dst [fd00::1]:443"),
			    "dst[fd00::1/128 port 443]");
	assert_string_equal(canon("dst fd00::/16"), "dst[fd00::/16 port *]");
	assert_string_equal(canon("dst fd00::/16:53"),
			    "dst[fd00::/16 port 53]");
	assert_string_equal(canon("dst [fd00::/16]"), "dst[fd00::/16 port *]");
	assert_string_equal(canon("src *:22"), "src[*/0 port 22]");
	assert_string_equal(canon("src *"), "src[*/0 port *]");
	assert_string_equal(canon("src any"), "src[*/0 port *]");
	assert_string_equal(canon("src inet:any"), "src[0.0.0.0/0 port *]");
	assert_string_equal(canon("dst :https"), "dst[*/0 port 443]");
	assert_string_equal(canon("dport ssh"), "dst[*/0 port 22]");
	assert_string_equal(canon("dport ntp"), "dst[*/0 port 123]");
	assert_string_equal(canon("src unix:/tmp/*"), "src[unix \"/tmp/*\"]");
	assert_string_equal(canon("dev 1"), "dev 1");
	assert_string_equal(canon("dev = lo"), "dev 1");
	assert_string_equal(canon("dev != lo"), "not dev 1");
	assert_string_equal(canon("fwmark 0x10/0xff"), "fwmark 0x10/0xff");
	assert_string_equal(canon("fwmark = 5"), "fwmark 0x5/0xffffffff");
	assert_string_equal(canon("fwmark != -1"),
			    "not fwmark 0xffffffff/0xffffffff");
	assert_string_equal(canon("autobound"), "autobound");
	/* tulpen's own (not in ss): either side */
	assert_string_equal(canon("port 22"),
			    "(src[*/0 port 22] or dst[*/0 port 22])");
	assert_string_equal(canon("port >= 1024"),
			    "(sport >= 1024 or dport >= 1024)");
	assert_string_equal(canon("port != 22"),
			    "not (src[*/0 port 22] or dst[*/0 port 22])");
	assert_string_equal(canon(""), "all");
}

static void precedence(void **unused)
{
	/* ss: and/or are equal and group to the left */
	assert_string_equal(canon("sport 1 or sport 2 and sport 3"),
			    "((src[*/0 port 1] or src[*/0 port 2]) and "
			    "src[*/0 port 3])");
	assert_string_equal(canon("sport 1 and sport 2 or sport 3"),
			    "((src[*/0 port 1] and src[*/0 port 2]) or "
			    "src[*/0 port 3])");
	/* implicit and, && || ! spellings, not binds to one term */
	assert_string_equal(canon("sport 1 sport 2 || ! sport 3 sport 4"),
			    "(((src[*/0 port 1] and src[*/0 port 2]) or not "
			    "src[*/0 port 3]) and src[*/0 port 4])");
	assert_string_equal(canon("not ( sport 1 | sport 2 ) & autobound"),
			    "(not (src[*/0 port 1] or src[*/0 port 2]) and "
			    "autobound)");
	assert_string_equal(canon("sport 1 && ( sport 2 || sport 3 )"),
			    "(src[*/0 port 1] and (src[*/0 port 2] or "
			    "src[*/0 port 3]))");
}

static void errors(void **unused)
{
	assert_string_equal(canon("sport ="),
			    "ERR: expected a port after 'sport =' @9");
	assert_string_equal(canon("sport = and"),
			    "ERR: expected a port after 'sport =' @9");
	assert_string_equal(canon("dst"),
			    "ERR: expected an address after 'dst' @5");
	assert_string_equal(canon("dev"),
			    "ERR: expected a device after 'dev' @5");
	assert_string_equal(canon("fwmark !="),
			    "ERR: expected a mark after 'fwmark !=' @11");
	assert_string_equal(canon("cgroup"),
			    "ERR: expected a cgroup path after 'cgroup' @8");
	assert_string_equal(canon("sport = :foo"),
			    "ERR: 'foo' is not a port (a number or a service "
			    "name) @9");
	assert_string_equal(canon("sport = amb"),
			    "ERR: port 'amb' is ambiguous (another number for "
			    "TCP than for UDP) @9");
	assert_string_equal(canon("sport = 70000"),
			    "ERR: port 70000 is out of range (0 to 65535) @9");
	assert_string_equal(canon("dst 10.0.0.0/33"),
			    "ERR: '10.0.0.0/33' is not an address, a prefix or "
			    "a known host name @5");
	assert_string_equal(canon("dst fd00::1"),
			    "ERR: 'fd00:' is not an address, a prefix or a "
			    "known host name @5");
	assert_string_equal(canon("dst [fd00::1"),
			    "ERR: '[fd00::1' has no ']' to close its '[' @5");
	assert_string_equal(canon("dst != 10.0.0.1"),
			    "ERR: '!=' compares only ports: after src and dst "
			    "comes '=' or nothing @5");
	assert_string_equal(canon("dev nosuchdevice0"),
			    "ERR: 'nosuchdevice0' is not a network device (a "
			    "name or an index) @5");
	assert_string_equal(canon("fwmark 1/"),
			    "ERR: '1/' is not a mark (MARK or MARK/MASK, "
			    "numbers such as 0x10/0xff) @8");
	assert_string_equal(canon("sport"),
			    "ERR: expected a port after 'sport' @7");
	assert_string_equal(canon("bogus"),
			    "ERR: unknown word 'bogus' (expected src, dst, "
			    "sport, dport, port, host, net, dev, fwmark, "
			    "cgroup, autobound, state, netns, container, not "
			    "or '(') @1");
	assert_string_equal(canon("sport 1 or"),
			    "ERR: expected an expression after 'or' @12");
	assert_string_equal(canon("not"),
			    "ERR: expected an expression after 'not' @5");
	assert_string_equal(canon("( sport 1"),
			    "ERR: expected ')' to close the '(' of column 1 "
			    "@11");
	assert_string_equal(canon("sport 1 )"),
			    "ERR: unexpected ')' (no '(' to close) @9");
	assert_string_equal(canon("( )"), "ERR: unexpected ')' @3");
	assert_string_equal(canon("sport 1 ="), "ERR: unexpected '=' @9");
	assert_string_equal(canon("src link:eth0"),
			    "ERR: 'link:eth0': tulpen lists no packet, netlink "
			    "or vsock sockets @5");
	assert_string_equal(canon("src localhost"),
			    "ERR: 'localhost' is not an address, a prefix or "
			    "a known host name @5");
}

static void errors_in_files(void **unused)
{
	struct tulpen_filter_opts o = opts();
	struct tulpen_filter_error e;
	struct tulpen_filter *f = NULL;
	const char *words[] = { "sport", "22" };

	/* comments ('#', and as ss reads them, '0'); words then lines */
	assert_int_equal(tulpen_filter_parse(0, NULL,
					     "# all of it\nsport 22\n"
					     "0 ignored too\nor dport\n",
					     &o, &f, &e),
			 -EINVAL);
	assert_string_equal(e.msg, "expected a port after 'dport'");
	assert_int_equal(e.line, 4);
	assert_int_equal(e.column, 10);
	assert_string_equal(e.text, "or dport");
	assert_int_equal(
		tulpen_filter_parse(2, words, "or dport 80\n", &o, &f, &e), 0);
	tulpen_filter_format(f, e.text, sizeof(e.text));
	assert_string_equal(e.text, "(src[*/0 port 22] or dst[*/0 port 80])");
	tulpen_filter_free(f);
	/* an escaped space is part of the word */
	assert_int_equal(tulpen_filter_parse(0, NULL, "src unix:/tmp/a\\ b\n",
					     &o, &f, &e),
			 0);
	tulpen_filter_format(f, e.text, sizeof(e.text));
	assert_string_equal(e.text, "src[unix \"/tmp/a b\"]");
	tulpen_filter_free(f);
}

static struct tulpen_sock sock4(const char *l, uint16_t lp, const char *p,
				uint16_t pp, int state)
{
	struct tulpen_sock s;

	memset(&s, 0, sizeof(s));
	s.proto = TULPEN_P_TCP;
	s.family = AF_INET;
	s.state = (uint8_t)state;
	inet_pton(AF_INET, l, s.local.addr.raw);
	inet_pton(AF_INET, p, s.peer.addr.raw);
	s.local.port = lp;
	s.peer.port = pp;
	return s;
}

static struct tulpen_sock sock6(const char *l, uint16_t lp, const char *p,
				uint16_t pp, int state)
{
	struct tulpen_sock s = sock4("0.0.0.0", lp, "0.0.0.0", pp, state);

	s.family = AF_INET6;
	inet_pton(AF_INET6, l, s.local.addr.raw);
	inet_pton(AF_INET6, p, s.peer.addr.raw);
	return s;
}

static int match(const char *expr, const struct tulpen_sock *s)
{
	struct tulpen_filter_opts o = opts();
	struct tulpen_filter_error e;
	struct tulpen_filter *f = NULL;
	int m;

	if (parse_with(&o, expr, &f, &e))
		fail_msg("%s: %s", expr, e.msg);
	m = tulpen_filter_match(f, s);
	tulpen_filter_free(f);
	return m;
}

static void evaluator(void **unused)
{
	struct tulpen_sock a = sock4("10.1.2.3", 22, "10.9.9.9", 40000,
				     TULPEN_TCP_ESTABLISHED);
	struct tulpen_sock m = sock6("::ffff:10.1.2.3", 443, "::ffff:1.2.3.4",
				     2000, TULPEN_TCP_ESTABLISHED);
	struct tulpen_sock v6 = sock6("fd00::1", 8080, "fd00:1::2", 3000,
				      TULPEN_TCP_ESTABLISHED);
	struct tulpen_sock any6 = sock6("::", 80, "::", 0, TULPEN_TCP_LISTEN);
	struct tulpen_sock any4 =
		sock4("0.0.0.0", 80, "0.0.0.0", 0, TULPEN_TCP_LISTEN);
	struct tulpen_sock tw =
		sock4("10.1.2.3", 3000, "10.1.2.3", 22, TULPEN_TCP_TIME_WAIT);
	struct tulpen_sock u;

	assert_true(match("sport = :22", &a));
	assert_false(match("sport != :22", &a));
	assert_true(match("dport > :39999 and dport < :40001", &a));
	assert_true(match("src 10.0.0.0/8", &a));
	assert_true(match("src 10.1.2.3:22", &a));
	assert_false(match("src 10.1.2.3:23", &a));
	assert_true(match("dst 10.9.9.9", &a));
	assert_false(match("dst 10.9.9.8", &a));
	/* an IPv4 prefix selects v4-mapped IPv6 sockets too */
	assert_true(match("src 10.0.0.0/8", &m));
	assert_true(match("dst 1.2.3.4", &m));
	/* v6 prefixes, unbracketed as ss takes them */
	assert_true(match("src fd00::/16", &v6));
	assert_true(match("dst fd00:1::/32", &v6));
	assert_false(match("dst fd00:2::/32", &v6));
	assert_false(match("src 253.0.0.0/8", &v6)); /* the kernel's family */
	/*
	 * ss quirk: ss's half compares raw bits, so "not src [::]" drops the
	 * IPv4 wildcard listener too (its address bits are all zero).
	 */
	assert_false(match("not src [::]", &any4));
	assert_false(match("not src [::]", &any6));
	assert_true(match("src [::]", &any6));
	assert_false(match("src [::]", &any4));
	/* "0.0.0.0/0": the kernel keeps v4 and v4-mapped only, ss all */
	assert_true(match("src 0.0.0.0/0", &a));
	assert_true(match("src 0.0.0.0/0", &m));
	assert_false(match("src 0.0.0.0/0", &v6));
	assert_false(match("not src 0.0.0.0/0", &v6));
	/* autobound: ss's ephemeral range (1024-4999 here) */
	assert_true(match("autobound", &tw));
	assert_false(match("autobound", &a));
	/* fwmark, dev, cgroup from the record */
	u = a;
	u.mark = 0x14;
	assert_true(match("fwmark 0x10/0xf0", &u));
	assert_false(match("fwmark 0x14/0x0f", &u));
	assert_false(match("fwmark 0x14", &a));
	u.ifindex = 1;
	assert_true(match("dev 1", &u));
	assert_false(match("dev 1", &a));
	/* UNIX: paths by pattern (case-folded), inodes as ports */
	memset(&u, 0, sizeof(u));
	u.family = AF_UNIX;
	u.proto = TULPEN_P_UNIX;
	u.unix_path = "/run/Foo.sock";
	u.inode = 4242;
	{
		struct tulpen_filter_opts o = opts();
		struct tulpen_filter_error e;
		struct tulpen_filter *f = NULL;

		o.family = AF_UNIX;
		assert_int_equal(parse_with(&o, "src /run/*.sock", &f, &e), 0);
		assert_int_equal(tulpen_filter_families(f), TULPEN_FAM_UNIX);
		assert_true(tulpen_filter_match(f, &u));
		tulpen_filter_free(f);
		assert_int_equal(parse_with(&o, "src /run/foo*", &f, &e), 0);
		assert_true(tulpen_filter_match(f, &u));
		tulpen_filter_free(f);
		assert_int_equal(parse_with(&o, "dst /run/*", &f, &e), 0);
		assert_false(tulpen_filter_match(f, &u));
		tulpen_filter_free(f);
	}
	assert_true(match("sport = 4242", &u));
	assert_true(match("autobound",
			  &(struct tulpen_sock){ .family = AF_UNIX,
						 .unix_path = "@0001f" }));
	assert_false(match("autobound", &u));
	assert_false(match("src 10.0.0.1", &u));
	assert_true(match("src 0.0.0.0/0", &u));
}

/* Whether @expr (with the words of captured connections) selects @c. */
static int match_conn(const char *expr, const struct tulpen_filter_conn *c)
{
	struct tulpen_filter_opts o = opts();
	struct tulpen_filter_error e;
	struct tulpen_filter *f = NULL;
	int m;

	o.captures = 1;
	if (parse_with(&o, expr, &f, &e))
		fail_msg("%s: %s", expr, e.msg);
	m = tulpen_filter_match_conn(f, c);
	tulpen_filter_free(f);
	return m;
}

/* tulpen's words: host, net, port ranges, state, netns, container. */
static void words(void **unused)
{
	struct tulpen_sock a = sock4("10.1.2.3", 22, "10.9.9.9", 40000,
				     TULPEN_TCP_ESTABLISHED);
	struct tulpen_container k = { 0 };

	assert_string_equal(canon("host 10.1.2.3"),
			    "(src[10.1.2.3/32 port *] or "
			    "dst[10.1.2.3/32 port *])");
	assert_string_equal(canon("port 80-90"),
			    "((sport >= 80 and sport <= 90) or "
			    "(dport >= 80 and dport <= 90))");
	/* as ss: no state inside an expression (tulpen pcap has it) */
	assert_string_equal(canon("sport 22 state established"),
			    "ERR: unexpected 'state' @10");
	/* no keywords: "dev host" is the device "host" */
	assert_string_equal(canon("dev host"),
			    "ERR: 'host' is not a network device (a name or "
			    "an index) @5");
	assert_string_equal(canon("port 90-80"),
			    "ERR: an empty port range '90-80' @6");
	assert_string_equal(canon("state frozen"),
			    "ERR: unknown word 'state' (expected src, dst, "
			    "sport, dport, port, host, net, dev, fwmark, "
			    "cgroup, autobound, state, netns, container, not "
			    "or '(') @1");
	assert_string_equal(canon("conn-state S0"),
			    "ERR: 'conn-state' selects captured connections: "
			    "it is a word of tulpen pcap -f @1");
	assert_true(match("host 10.9.9.9", &a));
	assert_true(match("net 10.0.0.0/8", &a));
	assert_false(match("host 10.9.9.8", &a));
	assert_true(match("port 39000-40000", &a));
	assert_false(match("port 23-100", &a));
	/* labels: as the walk over namespaces sets them */
	assert_false(match("netns blue", &a));
	a.netns_ino = 4026532000;
	a.netns_name = "blue";
	assert_true(match("netns blue", &a));
	assert_true(match("netns 4026532000", &a));
	assert_false(match("netns 4026532001", &a));
	assert_false(match("container 3f2a", &a));
	snprintf(k.id, sizeof(k.id), "3f2a9c");
	snprintf(k.pod_uid, sizeof(k.pod_uid), "pod-1");
	k.runtime = TULPEN_RT_DOCKER;
	a.container = &k;
	assert_true(match("container 3f2a", &a));
	assert_true(match("container pod-1", &a));
	assert_false(match("container 3f2b", &a));
	assert_true(tulpen_filter_needs_labels(NULL) == 0);
}

/* A captured connection: either end's socket, and its own words. */
static void connections(void **unused)
{
	struct tulpen_filter_conn c = { 0 };

	c.side[0] =
		sock4("10.0.0.1", 40000, "10.0.0.2", 80, TULPEN_TCP_TIME_WAIT);
	c.side[1] = sock4("10.0.0.2", 80, "10.0.0.1", 40000, TULPEN_TCP_CLOSE);
	c.conn_state = "SF";
	c.closed = 1;
	assert_true(match_conn("sport = :80", &c)); /* the server's socket */
	assert_true(match_conn("sport = :40000", &c));
	assert_false(match_conn("sport = :80 and state time-wait", &c));
	assert_true(match_conn("client state time-wait", &c));
	assert_false(match_conn("server state time-wait", &c));
	assert_true(match_conn("server port 80 client host 10.0.0.1", &c));
	assert_false(match_conn("client port 80", &c));
	assert_true(match_conn("client net 10.0.0.0/24", &c));
	assert_true(match_conn("state time-wait", &c));
	assert_true(match_conn("state connected", &c)); /* the client */
	assert_false(match_conn("state listening", &c));
	assert_true(match_conn("conn-state REJ,SF closed", &c));
	assert_false(match_conn("conn-state REJ", &c));
	assert_false(match_conn("open or reset or midstream", &c));
	c.reset = 1;
	c.closed = 0;
	assert_true(match_conn("open reset", &c));
	/* and/or group to the left, as in ss */
	assert_false(match_conn("reset or midstream and closed", &c));
	assert_true(match_conn("reset or ( midstream and closed )", &c));
	assert_string_equal(canon("client"), "ERR: 'client' selects captured "
					     "connections: it is a word of "
					     "tulpen pcap -f @1");
}

/* The bytecode of @expr: length, and the op codes along the yes chain. */
static void bc_shape(const char *expr, size_t want_len, const char *codes)
{
	struct tulpen_filter_opts o = opts();
	struct tulpen_filter_error e;
	struct tulpen_filter *f = NULL;
	char got[64] = "";
	size_t len, off = 0;
	void *bc;

	assert_int_equal(parse_with(&o, expr, &f, &e), 0);
	assert_int_equal(tulpen_filter_compile(f, &bc, &len), 0);
	assert_int_equal(len, want_len);
	while (off < len) {
		const struct inet_diag_bc_op *op =
			(const struct inet_diag_bc_op *)((char *)bc + off);
		size_t n = strlen(got);

		snprintf(got + n, sizeof(got) - n, "%s%u", n ? "," : "",
			 op->code);
		assert_true(op->yes >= 4 && op->yes % 4 == 0);
		assert_true(op->no % 4 == 0 && off + op->no <= len + 4);
		off += op->yes;
	}
	assert_int_equal(off, len);
	assert_string_equal(got, codes);
	free(bc);
	tulpen_filter_free(f);
}

static void bytecode(void **unused)
{
	char codes[32];
	struct tulpen_filter_opts o = opts();
	struct tulpen_filter_error e;
	struct tulpen_filter *f = NULL;
	void *bc;
	size_t len;

	/* hostcond: op + 8 + 4 (IPv4 and "any") or 16 (IPv6) */
	snprintf(codes, sizeof(codes), "%d", INET_DIAG_BC_S_COND);
	bc_shape("sport = 22", 16, codes);
	bc_shape("src [::1]", 28, "7");
	/* a port comparison: op + operand op */
	bc_shape("sport >= 1024", 8, "2");
	/* or: a, JMP, b; not: a, JMP */
	bc_shape("sport 1 or dport 2", 36, "7,1,8");
	bc_shape("not autobound", 8, "6,1");
	bc_shape("fwmark 1/1 and cgroup .", 24, "10,13");
	/* the ports every selected socket has, for the dump request */
	{
		static const struct {
			const char *expr;
			uint16_t sport, dport;
		} pc[] = {
			{ "dport = :443", 0, 443 },
			{ "state established", 0, 0 },
			{ "sport 22 and dst 10.0.0.0/8 dport 80", 22, 80 },
			{ "sport 22 or dport 80", 0, 0 },
			{ "not dport 80", 0, 0 },
			{ "dst 10.0.0.1:80", 0, 0 },
			{ "( dport 80 and autobound ) sport > 1", 0, 80 },
			{ "dport 0", 0, 0 },
		};
		size_t i;

		for (i = 0; i < sizeof(pc) / sizeof(pc[0]); i++) {
			uint16_t sp, dp;

			if (!strncmp(pc[i].expr, "state", 5)) {
				tulpen_filter_ports(NULL, &sp, &dp);
			} else {
				assert_int_equal(
					parse_with(&o, pc[i].expr, &f, &e), 0);
				tulpen_filter_ports(f, &sp, &dp);
				tulpen_filter_free(f);
			}
			assert_int_equal(sp, pc[i].sport);
			assert_int_equal(dp, pc[i].dport);
		}
	}
	/* dev: ss 6.1 sends no bytecode; neither for UNIX patterns */
	assert_int_equal(parse_with(&o, "dev 1 or sport 2", &f, &e), 0);
	assert_int_equal(tulpen_filter_compile(f, &bc, &len), -EOPNOTSUPP);
	tulpen_filter_free(f);
}

#define LPARSE(o, ...)                                                         \
	({                                                                     \
		char *argv_[] = { "tulpen", __VA_ARGS__, NULL };               \
		list_opts_parse(o,                                             \
				(int)(sizeof(argv_) / sizeof(argv_[0])) - 1,   \
				argv_);                                        \
	})

static void state_words_as_ss(void **unused)
{
	struct list_opts lo;

	/* in order: the first exclude starts from every state */
	assert_int_equal(
		LPARSE(&lo, "exclude", "listening", "state", "listening"), 0);
	assert_int_equal(lo.q.states, TULPEN_SF_ALL);
	/* nothing left: ss's default (connected, no bucket states) */
	assert_int_equal(LPARSE(&lo, "-a", "exclude", "all"), 0);
	assert_false(lo.q.states & TULPEN_SF(TULPEN_TCP_LISTEN));
	assert_true(lo.q.states & TULPEN_SF(TULPEN_TCP_ESTABLISHED));
	/* the expression follows the states; -F and the family */
	/* lo keeps pointers into argv: it must outlive the checks */
	char *argv[] = { "tulpen",	"-6",	 "-4", "-F",  "f", "state",
			 "established", "sport", "=",  ":22", NULL };

	assert_int_equal(list_opts_parse(&lo, 10, argv), 0);
	assert_int_equal(lo.expr_argc, 3);
	assert_string_equal(lo.expr_argv[0], "sport");
	assert_string_equal(lo.filter_file, "f");
	assert_int_equal(lo.filter_family, AF_INET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(terms),
		cmocka_unit_test(precedence),
		cmocka_unit_test(errors),
		cmocka_unit_test(errors_in_files),
		cmocka_unit_test(evaluator),
		cmocka_unit_test(words),
		cmocka_unit_test(connections),
		cmocka_unit_test(bytecode),
		cmocka_unit_test(state_words_as_ss),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
