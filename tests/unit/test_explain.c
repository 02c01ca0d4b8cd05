// SPDX-License-Identifier: MIT
/*
 * test_explain.c - explanations of every state in every spelling, host
 * values from a recorded proc root, socket counts from recorded
 * /proc/net files, the 80-column diagram (against a golden file) and the
 * Graphviz output. The fixtures are in argv[1], else in
 * $TULPEN_SRCDIR/tests/fixtures, else in ./tests/fixtures.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "tulpen/ctx.h"
#include "tulpen/explain.h"
#include "tulpen/fmt.h"
#include "tulpen/state.h"
#include "tulpen/tcp_fsm.h"

static const char *fixtures = "tests/fixtures";

static void fixture_path(char *out, size_t size, const char *rel)
{
	int n = snprintf(out, size, "%s/explain/%s", fixtures, rel);

	assert_true(n > 0 && (size_t)n < size);
}

/* Render into a NUL-terminated buffer the caller frees with _fini. */
static void render_init(struct tulpen_buf *b)
{
	assert_int_equal(tulpen_buf_init(b, 0, NULL, NULL), 0);
}

static const char *cstr(struct tulpen_buf *b)
{
	assert_int_equal(tulpen_buf_putc(b, '\0'), 0);
	b->len--;
	return b->data;
}

/* Display columns of a UTF-8 line (every code point is one column here). */
static size_t columns(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static void assert_width(const char *text, size_t max)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (columns(p, len) > max) {
			print_error("line wider than %zu columns: %.*s\n", max,
				    (int)len, p);
			fail();
		}
		p += len + (nl ? 1 : 0);
	}
}

static void test_every_state(void **unused)
{
	struct tulpen_explain_opts o = { .host = NULL, .count = 7 };
	int s;

	for (s = 1; s < TULPEN_TCP_MAX_STATES; s++) {
		const struct tulpen_state_info *info = tulpen_state_info(s);
		struct tulpen_buf b;
		const char *text;
		int fs = s == TULPEN_TCP_NEW_SYN_RECV ? TULPEN_TCP_SYN_RECV : s;

		assert_non_null(info);
		assert_int_equal(info->state, fs);
		assert_non_null(info->meaning);
		assert_non_null(info->side);
		assert_non_null(info->enter);
		assert_non_null(info->leave);
		assert_non_null(info->pileup);
		assert_non_null(strstr(info->owners, "tulpen -t"));

		render_init(&b);
		assert_int_equal(tulpen_explain_text(&b, s, &o), 0);
		text = cstr(&b);
		assert_width(text, 80);
		assert_ptr_equal(
			strstr(text, tulpen_state_name(fs, TULPEN_STATE_RFC)),
			text);
		assert_non_null(strstr(text, info->owners));
		assert_non_null(
			strstr(text, "Now on this host: 7 TCP sockets"));
		tulpen_buf_fini(&b);

		render_init(&b);
		assert_int_equal(tulpen_explain_json(&b, s, &o), 0);
		text = cstr(&b);
		assert_true(text[0] == '{');
		assert_non_null(strstr(text, "\"count\":7}\n"));
		tulpen_buf_fini(&b);
	}
	/* No entry, no explanation. */
	{
		struct tulpen_buf b;

		render_init(&b);
		assert_null(tulpen_state_info(TULPEN_TCP_UNKNOWN));
		assert_null(tulpen_state_info(TULPEN_TCP_MAX_STATES));
		assert_int_equal(tulpen_explain_text(&b, 0, &o), -EINVAL);
		assert_int_equal(tulpen_explain_json(&b, 99, &o), -EINVAL);
		assert_int_equal(tulpen_explain_duration(&b, -1, NULL),
				 -EINVAL);
		tulpen_buf_fini(&b);
	}
}

/* The ways in and out listed for a state come from the FSM table. */
static void test_transitions_listed(void **unused)
{
	struct tulpen_buf b;
	const char *text;

	render_init(&b);
	assert_int_equal(tulpen_explain_text(&b, TULPEN_TCP_TIME_WAIT, NULL),
			 0);
	text = cstr(&b);
	assert_non_null(strstr(text, "from FIN-WAIT-2: rcv FIN / snd ACK"));
	assert_non_null(strstr(text, "from CLOSING: rcv ACK of FIN"));
	assert_non_null(strstr(text, "from FIN-WAIT-1: rcv FIN + ACK of FIN"));
	assert_non_null(strstr(text, "to CLOSED: Timeout=2MSL"));
	/* Without a count there is no count line. */
	assert_null(strstr(text, "Now on this host"));
	tulpen_buf_fini(&b);

	render_init(&b);
	assert_int_equal(tulpen_explain_text(&b, TULPEN_TCP_SYN_RECV, NULL), 0);
	text = cstr(&b);
	assert_non_null(strstr(text, "from LISTEN: rcv SYN / snd SYN,ACK"));
	assert_non_null(strstr(text, "to LISTEN: rcv RST"));
	tulpen_buf_fini(&b);
}

static const struct {
	const char *word;
	int state;
} spellings[] = {
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
	{ "FIN_WAIT_1", TULPEN_TCP_FIN_WAIT1 },
	{ "fin-wait-2", TULPEN_TCP_FIN_WAIT2 },
	{ "FIN_WAIT2", TULPEN_TCP_FIN_WAIT2 },
	{ "TIME-WAIT", TULPEN_TCP_TIME_WAIT },
	{ "time_wait", TULPEN_TCP_TIME_WAIT },
	{ "TIMED_WAIT", TULPEN_TCP_TIME_WAIT },
	{ "CLOSED", TULPEN_TCP_CLOSE },
	{ "CLOSE", TULPEN_TCP_CLOSE },
	{ "UNCONN", TULPEN_TCP_CLOSE },
	{ "CLOSE-WAIT", TULPEN_TCP_CLOSE_WAIT },
	{ "close_wait", TULPEN_TCP_CLOSE_WAIT },
	{ "LAST-ACK", TULPEN_TCP_LAST_ACK },
	{ "LAST_ACK", TULPEN_TCP_LAST_ACK },
	{ "LISTEN", TULPEN_TCP_LISTEN },
	{ "listening", TULPEN_TCP_LISTEN },
	{ "CLOSING", TULPEN_TCP_CLOSING },
	{ "bound-inactive", TULPEN_TCP_BOUND_INACTIVE },
};

static void test_spellings(void **unused)
{
	size_t i;

	for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		const struct tulpen_state_info *info;
		struct tulpen_buf b;
		int state = -1;

		if (tulpen_state_parse_one(spellings[i].word, &state)) {
			print_error("'%s' does not parse\n", spellings[i].word);
			fail();
		}
		assert_int_equal(state, spellings[i].state);
		info = tulpen_state_info(state);
		assert_non_null(info);
		render_init(&b);
		assert_int_equal(tulpen_explain_text(&b, state, NULL), 0);
		tulpen_buf_fini(&b);
	}
	/* Groups are not states. */
	{
		int state;

		assert_int_not_equal(
			tulpen_state_parse_one("connected", &state), 0);
		assert_int_not_equal(
			tulpen_state_parse_one("SYN-RECIEVED", &state), 0);
	}
}

static struct tulpen_ctx *fixture_ctx(const char *rel)
{
	struct tulpen_ctx *ctx;
	char path[4096];

	fixture_path(path, sizeof(path), rel);
	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	assert_int_equal(tulpen_ctx_set_proc_root(ctx, path), 0);
	tulpen_ctx_set_source(ctx, TULPEN_SOURCE_PROC);
	return ctx;
}

static void expect_duration(const struct tulpen_host_tcp *h, int state,
			    const char *want)
{
	struct tulpen_buf b;
	const char *text;

	render_init(&b);
	assert_int_equal(tulpen_explain_duration(&b, state, h), 0);
	text = cstr(&b);
	if (!strstr(text, want)) {
		print_error("%s: \"%s\" not in: %s\n",
			    tulpen_state_name(state, TULPEN_STATE_RFC), want,
			    text);
		fail();
	}
	tulpen_buf_fini(&b);
}

/* Values in tests/fixtures/explain/proc differ from every default. */
static void test_host_fixture(void **unused)
{
	struct tulpen_ctx *ctx = fixture_ctx("proc");
	struct tulpen_host_tcp h;

	assert_int_equal(tulpen_host_tcp_read(ctx, &h), 0);
	assert_int_equal(h.v[TULPEN_SYSCTL_FIN_TIMEOUT], 30);
	assert_int_equal(h.v[TULPEN_SYSCTL_SYN_RETRIES], 3);
	assert_int_equal(h.v[TULPEN_SYSCTL_SYNACK_RETRIES], 2);
	assert_int_equal(h.v[TULPEN_SYSCTL_KEEPALIVE_TIME], 600);
	assert_int_equal(h.v[TULPEN_SYSCTL_KEEPALIVE_INTVL], 10);
	assert_int_equal(h.v[TULPEN_SYSCTL_KEEPALIVE_PROBES], 5);
	assert_int_equal(h.v[TULPEN_SYSCTL_MAX_TW_BUCKETS], 4096);
	assert_int_equal(h.v[TULPEN_SYSCTL_TW_REUSE], 1);
	assert_int_equal(h.v[TULPEN_SYSCTL_RETRIES2], 8);
	assert_int_equal(h.v[TULPEN_SYSCTL_ORPHAN_RETRIES], 2);
	assert_int_equal(h.v[TULPEN_SYSCTL_MAX_SYN_BACKLOG], 512);
	assert_int_equal(h.v[TULPEN_SYSCTL_SYNCOOKIES], 2);
	assert_int_equal(h.v[TULPEN_SYSCTL_SOMAXCONN], 1024);
	assert_int_equal(h.v[TULPEN_SYSCTL_SYN_LINEAR_TIMEOUTS], 4);

	expect_duration(&h, TULPEN_TCP_FIN_WAIT2, "tcp_fin_timeout = 30 s");
	/*
	 * 4 linear and 3 more SYN retransmissions: 1 + 1 + 1 + 1 + 1 + 2 +
	 * 4 s, then 8 s until the give-up (measured: 19.4 s).
	 */
	expect_duration(&h, TULPEN_TCP_SYN_SENT, "tcp_syn_retries = 3 more");
	expect_duration(&h, TULPEN_TCP_SYN_SENT,
			"first tcp_syn_linear_timeouts = 4 times 1 s apart");
	expect_duration(&h, TULPEN_TCP_SYN_SENT, "after about 19 s");
	/* 2 SYN,ACK retransmissions: 1 + 2 + 4 s */
	expect_duration(&h, TULPEN_TCP_SYN_RECV, "after about 7 s");
	expect_duration(&h, TULPEN_TCP_NEW_SYN_RECV, "tcp_syncookies = 2");
	/* keepalive: 600 + 10 * 5 s */
	expect_duration(&h, TULPEN_TCP_ESTABLISHED,
			"noticed after 10 min 50 s");
	/* 8 retransmissions from 200 ms: 200 * (2^9 - 1) ms */
	expect_duration(&h, TULPEN_TCP_ESTABLISHED, "at least 102.2 s");
	/* orphan retries 2: 200 + 400 + 800 ms */
	expect_duration(&h, TULPEN_TCP_LAST_ACK, "at least 1.4 s");
	expect_duration(&h, TULPEN_TCP_TIME_WAIT, "fixed 60 s");
	expect_duration(&h, TULPEN_TCP_TIME_WAIT, "tcp_tw_reuse = 1");
	expect_duration(&h, TULPEN_TCP_TIME_WAIT, "tcp_max_tw_buckets = 4096");
	expect_duration(&h, TULPEN_TCP_LISTEN, "somaxconn = 1024");
	tulpen_ctx_free(ctx);
}

/* The real defaults of the big retry count give the well-known figure. */
static void test_host_defaults(void **unused)
{
	struct tulpen_host_tcp h;
	int i;

	for (i = 0; i < TULPEN_SYSCTL_MAX; i++)
		h.v[i] = -1;
	h.v[TULPEN_SYSCTL_RETRIES2] = 15;
	h.v[TULPEN_SYSCTL_SYN_RETRIES] = 6;
	expect_duration(&h, TULPEN_TCP_ESTABLISHED, "at least 924.6 s");
	/* Without linear timeouts (before Linux 6.5): 1 + 2 + ... + 64 s */
	expect_duration(&h, TULPEN_TCP_SYN_SENT, "after about 2 min 7 s");
	/* With 4 (measured on Linux 6.18: 133.5 s with timer slack) */
	h.v[TULPEN_SYSCTL_SYN_LINEAR_TIMEOUTS] = 4;
	expect_duration(&h, TULPEN_TCP_SYN_SENT, "after about 2 min 11 s");
	/* SYN,ACKs never use linear timeouts: 1 + 2 + 4 + 8 + 16 + 32 s */
	h.v[TULPEN_SYSCTL_SYNACK_RETRIES] = 5;
	expect_duration(&h, TULPEN_TCP_SYN_RECV, "after about 1 min 3 s");
	/* Unknown values are said to be unknown, not invented. */
	expect_duration(&h, TULPEN_TCP_FIN_WAIT2,
			"tcp_fin_timeout (not available)");
	expect_duration(NULL, TULPEN_TCP_SYN_RECV,
			"tcp_synack_retries (not available)");
}

static void test_host_missing_and_bad(void **unused)
{
	struct tulpen_ctx *ctx = fixture_ctx("proc/net");
	struct tulpen_host_tcp h;
	int i;

	/* No sys/ below this root: every value unknown, not an error. */
	assert_int_equal(tulpen_host_tcp_read(ctx, &h), 0);
	for (i = 0; i < TULPEN_SYSCTL_MAX; i++)
		assert_int_equal(h.v[i], -1);
	tulpen_ctx_free(ctx);

	ctx = fixture_ctx("proc-bad");
	assert_int_equal(tulpen_host_tcp_read(ctx, &h), -EINVAL);
	assert_non_null(strstr(tulpen_ctx_errmsg(ctx),
			       "sys/net/ipv4/tcp_fin_timeout: not a number"));
	tulpen_ctx_free(ctx);

	assert_string_equal(tulpen_sysctl_name(TULPEN_SYSCTL_SOMAXCONN),
			    "somaxconn");
	assert_string_equal(tulpen_sysctl_path(TULPEN_SYSCTL_TW_REUSE),
			    "sys/net/ipv4/tcp_tw_reuse");
	assert_null(tulpen_sysctl_path(TULPEN_SYSCTL_MAX));
}

/* Write @len bytes of @text as tcp_fin_timeout below @root. */
static void put_fin_timeout(const char *root, const char *text, size_t len)
{
	static const char *const dirs[] = { "sys", "sys/net", "sys/net/ipv4" };
	char path[4096];
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		assert_true(!mkdir(path, 0700) || errno == EEXIST);
	}
	snprintf(path, sizeof(path), "%s/sys/net/ipv4/tcp_fin_timeout", root);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

#define CASE(text, value)                                                      \
	{                                                                      \
		text, sizeof(text) - 1, value                                  \
	}

/* What a sysctl file may hold; -2: must be rejected, naming the file. */
static void test_host_parse(void **unused)
{
	static const struct {
		const char *text;
		size_t len;
		long long value;
	} cases[] = {
		CASE("60\n", 60),
		CASE(" 7 \n", 7),
		CASE("0", 0),
		CASE("9223372036854775807\n", 9223372036854775807LL),
		CASE("", -2),
		CASE("\n", -2),
		CASE("-1\n", -2),
		CASE("60s\n", -2),
		CASE("1 2\n", -2),
		CASE("0x10\n", -2),
		CASE("99999999999999999999\n", -2),
		CASE("6\0"
		     "0\n",
		     -2),
		CASE("1111111111111111111111111111111111111111111111111111111"
		     "11111111111111\n",
		     -2),
	};
	static const char *const rm[] = { "sys/net/ipv4/tcp_fin_timeout",
					  "sys/net/ipv4", "sys/net", "sys",
					  "" };
	char root[] = "/tmp/tulpen-explain-XXXXXX", path[4096];
	struct tulpen_host_tcp h;
	struct tulpen_ctx *ctx;
	size_t i;
	int ret;

	assert_non_null(mkdtemp(root));
	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	assert_int_equal(tulpen_ctx_set_proc_root(ctx, root), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put_fin_timeout(root, cases[i].text, cases[i].len);
		ret = tulpen_host_tcp_read(ctx, &h);
		if (cases[i].value == -2) {
			if (ret != -EINVAL) {
				print_error("case %zu accepted\n", i);
				fail();
			}
			assert_non_null(
				strstr(tulpen_ctx_errmsg(ctx),
				       "tcp_fin_timeout: not a number"));
			continue;
		}
		assert_int_equal(ret, 0);
		assert_int_equal(h.v[TULPEN_SYSCTL_FIN_TIMEOUT],
				 cases[i].value);
		/* The other files are missing here. */
		assert_int_equal(h.v[TULPEN_SYSCTL_SYN_RETRIES], -1);
	}
	for (i = 0; i < sizeof(rm) / sizeof(rm[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, rm[i]);
		assert_int_equal(i ? rmdir(path) : unlink(path), 0);
	}
	tulpen_ctx_free(ctx);
}

/*
 * tests/fixtures/explain/proc/net/tcp{,6} were recorded in a private
 * network namespace; `ss -tan` showed 2 LISTEN, 2 ESTAB, 3 CLOSE-WAIT,
 * 3 TIME-WAIT and 3 FIN-WAIT-2 there.
 */
static void test_count_fixture(void **unused)
{
	static const struct {
		int state;
		uint64_t n;
	} want[] = {
		{ TULPEN_TCP_LISTEN, 2 },     { TULPEN_TCP_ESTABLISHED, 2 },
		{ TULPEN_TCP_CLOSE_WAIT, 3 }, { TULPEN_TCP_TIME_WAIT, 3 },
		{ TULPEN_TCP_FIN_WAIT2, 3 },  { TULPEN_TCP_SYN_SENT, 0 },
		{ TULPEN_TCP_SYN_RECV, 0 },   { TULPEN_TCP_LAST_ACK, 0 },
	};
	struct tulpen_ctx *ctx = fixture_ctx("proc");
	uint64_t n;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		n = 12345;
		assert_int_equal(tulpen_explain_count(ctx, want[i].state, &n),
				 0);
		assert_int_equal(n, want[i].n);
	}
	assert_int_equal(tulpen_explain_count(ctx, 0, &n), -EINVAL);
	tulpen_ctx_free(ctx);

	/* A root without /proc/net files: an error naming the file. */
	ctx = fixture_ctx("proc-bad");
	assert_true(tulpen_explain_count(ctx, TULPEN_TCP_LISTEN, &n) < 0);
	assert_non_null(strstr(tulpen_ctx_errmsg(ctx), "net/tcp"));
	tulpen_ctx_free(ctx);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = '\0';
	fclose(f);
	*len = (size_t)size;
	return buf;
}

static void test_diagram(void **unused)
{
	const struct tulpen_fsm_transition *t;
	struct tulpen_buf b;
	const char *text;
	char path[4096], *golden;
	size_t n, i, glen;
	int s;

	render_init(&b);
	assert_int_equal(tulpen_explain_diagram(&b, 0), 0);
	text = cstr(&b);
	assert_width(text, 80);

	/* Golden file: the drawing does not change by accident. */
	fixture_path(path, sizeof(path), "diagram.txt");
	golden = slurp(path, &glen);
	if (glen != b.len || memcmp(golden, text, glen)) {
		print_error("diagram differs from %s:\n%s\n", path, text);
		fail();
	}
	free(golden);

	/* Every state has a box, every arrow of figure 5 its event. */
	for (s = 1; s < TULPEN_TCP_MAX_STATES; s++) {
		char boxed[64];

		if (!tulpen_fsm_is_rfc_state(s))
			continue;
		snprintf(boxed, sizeof(boxed), "%s",
			 tulpen_state_name(s, TULPEN_STATE_RFC));
		assert_non_null(strstr(text, boxed));
	}
	t = tulpen_fsm_table(&n);
	for (i = 0; i < n; i++) {
		char event[64];
		const char *slash;

		if (!t[i].diagram)
			continue;
		slash = strstr(t[i].label, " / ");
		snprintf(event, sizeof(event), "%.*s",
			 (int)(slash ? (size_t)(slash - t[i].label)
				     : strlen(t[i].label)),
			 t[i].label);
		if (!strstr(text, event)) {
			print_error("arrow \"%s\" not drawn\n", event);
			fail();
		}
	}
	/* The transitions the figure leaves out are listed. */
	assert_non_null(strstr(text, "FIN-WAIT-1 -> TIME-WAIT: rcv FIN + ACK "
				     "of FIN / snd ACK"));
	assert_non_null(strstr(text, "FIN-WAIT-2 -> CLOSED: tcp_fin_timeout "
				     "(Linux)"));
	tulpen_buf_fini(&b);

	/* ASCII: same lines, only ASCII bytes. */
	render_init(&b);
	assert_int_equal(tulpen_explain_diagram(&b, 1), 0);
	text = cstr(&b);
	for (i = 0; i < b.len; i++)
		assert_true((unsigned char)text[i] < 0x80);
	assert_width(text, 80);
	assert_non_null(strstr(text, "+------------+"));
	tulpen_buf_fini(&b);
}

/* Copy the "..." that starts at @p (before @end) into @out. */
static void quoted(const char *p, const char *end, char *out, size_t size)
{
	const char *close;

	assert_true(p < end && *p == '"');
	close = memchr(p + 1, '"', (size_t)(end - p - 1));
	assert_non_null(close);
	assert_true((size_t)(close - p - 1) < size);
	memcpy(out, p + 1, (size_t)(close - p - 1));
	out[close - p - 1] = '\0';
}

/*
 * The Graphviz output: one node per RFC state, figure 5's 20 arrows as
 * the solid edges, every edge between known states.
 */
static void test_dot(void **unused)
{
	const struct tulpen_fsm_transition *t;
	struct tulpen_buf b;
	const char *text, *p;
	size_t n, i, nsolid = 0, nedges = 0, ndiagram = 0;
	int depth = 0;

	render_init(&b);
	assert_int_equal(tulpen_explain_dot(&b), 0);
	text = cstr(&b);
	assert_ptr_equal(strstr(text, "digraph tcp_states {\n"), text);
	assert_string_equal(text + b.len - 2, "}\n");
	for (p = text; *p; p++) {
		if (*p == '"') { /* skip strings: braces inside are text */
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			assert_true(*p == '"');
			continue;
		}
		if (*p == '{')
			depth++;
		if (*p == '}')
			depth--;
		assert_true(depth >= 0);
	}
	assert_int_equal(depth, 0);

	for (p = text; (p = strstr(p, " -> ")); p++) {
		const char *eol = strchr(p, '\n');
		char from[32], to[32];
		int s, got_from = 0, got_to = 0;
		const char *q = p;

		assert_non_null(eol);
		/* "\t\"FROM\" -> \"TO\" [label=..., style=...];" */
		while (q > text && q[-1] != '\t')
			q--;
		quoted(q, p, from, sizeof(from));
		quoted(p + 4, eol, to, sizeof(to));
		for (s = 1; s < TULPEN_TCP_MAX_STATES; s++) {
			if (!tulpen_fsm_is_rfc_state(s))
				continue;
			got_from |= !strcmp(
				from, tulpen_state_name(s, TULPEN_STATE_RFC));
			got_to |= !strcmp(
				to, tulpen_state_name(s, TULPEN_STATE_RFC));
		}
		assert_true(got_from && got_to);
		assert_true(eol[-1] == ';' && eol[-2] == ']');
		nedges++;
		if (memmem(p, (size_t)(eol - p), "style=solid", 11))
			nsolid++;
	}
	t = tulpen_fsm_table(&n);
	for (i = 0; i < n; i++)
		ndiagram += t[i].diagram;
	assert_int_equal(ndiagram, 20);
	assert_int_equal(nsolid, ndiagram);
	assert_true(nedges > nsolid);
	tulpen_buf_fini(&b);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_state),
		cmocka_unit_test(test_transitions_listed),
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_host_fixture),
		cmocka_unit_test(test_host_defaults),
		cmocka_unit_test(test_host_missing_and_bad),
		cmocka_unit_test(test_host_parse),
		cmocka_unit_test(test_count_fixture),
		cmocka_unit_test(test_diagram),
		cmocka_unit_test(test_dot),
	};

	static char from_env[4096];
	const char *src = getenv("TULPEN_SRCDIR");

	if (argc > 1) {
		fixtures = argv[1];
	} else if (src) {
		int n = snprintf(from_env, sizeof(from_env),
				 "%s/tests/fixtures", src);

		if (n > 0 && (size_t)n < sizeof(from_env))
			fixtures = from_env;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
