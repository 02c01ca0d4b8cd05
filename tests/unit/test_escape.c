// SPDX-License-Identifier: MIT
/*
 * Unit tests: the escape of names and paths in text output
 * (lib/fmt/escape.c, docs/escape.md): what is kept, what is escaped, that
 * the escape is reversible for every byte, and that a cut never splits an
 * escape.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/socket.h>

#include "tulpen/fmt.h"
#include "tulpen/watch_fmt.h"

static void esc(const char *in, const char *want)
{
	char out[TULPEN_ESC_MAX(256)];
	struct tulpen_buf b;
	size_t n = tulpen_escape(out, sizeof(out), in);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(tulpen_buf_init(&b, 0, NULL, NULL), 0);
	assert_int_equal(tulpen_buf_escaped(&b, in), 0);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.data, want, n);
	tulpen_buf_fini(&b);
}

static void rules(void **unused)
{
	esc("/tmp/plain.sock", "/tmp/plain.sock");
	esc("with space", "with space");
	/* a forged row, a terminal escape, a backslash, a quote */
	esc("a\nunix  LISTEN", "a\\012unix  LISTEN");
	esc("\x1b[2J\x1b]0;t\x07", "\\033[2J\\033]0;t\\007");
	esc("back\\slash", "back\\\\slash");
	esc("q\"uote", "q\\042uote");
	esc("del\x7f", "del\\177");
	/* well-formed UTF-8 is kept */
	esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x88",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x88");
	/* invalid UTF-8: lone continuation, cut sequence, overlong, surrogate
	 */
	esc("\x80", "\\200");
	esc("\xc3", "\\303");
	esc("\xe2\x82", "\\342\\202");
	esc("\xc0\xaf", "\\300\\257");
	esc("\xed\xa0\x80", "\\355\\240\\200");
	esc("\xf5\x80\x80\x80", "\\365\\200\\200\\200");
	/* C1 CSI, a line separator, a right-to-left override */
	esc("\xc2\x9b"
	    "2J",
	    "\\302\\2332J");
	esc("\xe2\x80\xa8", "\\342\\200\\250");
	esc("\xe2\x80\xae"
	    "cod.exe",
	    "\\342\\200\\256cod.exe");
	esc("", "");
}

/* Every byte value, in every position: unescape gives the bytes back. */
static void reversible(void **unused)
{
	char in[257], out[TULPEN_ESC_MAX(257)], back[258];
	int i, k;

	for (k = 0; k < 4; k++) {
		size_t n = 0;

		for (i = 1; i < 256; i++)
			in[n++] = (char)((i * (2 * k + 1) + k) % 255 + 1);
		in[n] = '\0';
		tulpen_escape(out, sizeof(out), in);
		for (i = 0; out[i]; i++) {
			unsigned char c = (unsigned char)out[i];

			/* nothing that moves the cursor or starts a sequence */
			assert_true(c >= 0x20 && c != 0x7f);
		}
		assert_int_equal(tulpen_unescape(back, sizeof(back), out),
				 (ssize_t)n);
		assert_memory_equal(back, in, n + 1);
	}
	assert_int_equal(tulpen_unescape(back, sizeof(back), "a\\x"), -EINVAL);
	assert_int_equal(tulpen_unescape(back, sizeof(back), "a\\8"), -EINVAL);
	assert_int_equal(tulpen_unescape(back, sizeof(back), "\\04"), -EINVAL);
	assert_int_equal(tulpen_unescape(back, 2, "abc"), -ENOSPC);
}

/* A buffer too small: whole escapes only, always NUL-terminated. */
static void cut(void **unused)
{
	char out[6];

	assert_int_equal(tulpen_escape(out, sizeof(out), "ab\ncd"), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(tulpen_escape(out, sizeof(out), "a\nb"), 5);
	assert_string_equal(out, "a\\012");
	assert_int_equal(tulpen_escape(out, 3, "\xc3\xa9\xc3\xa9"), 2);
	assert_string_equal(out, "\xc3\xa9");
	assert_int_equal(tulpen_escape(out, 0, "x"), 0);
}

/* tulpen watch's text: the owner's command name escaped. */
static void watch_text(void **unused)
{
	struct tulpen_watch_fmt_opts o = { 0 };
	struct tulpen_watch_event ev = { 0 };
	struct tulpen_buf b;
	size_t i;

	ev.type = TULPEN_WEV_STATE;
	ev.proto = 6;
	ev.family = AF_INET;
	ev.oldstate = 2; /* SYN-SENT */
	ev.newstate = 1; /* ESTABLISHED */
	ev.in_old_ns = -1;
	ev.has_owner = 1;
	ev.pid = 42;
	memcpy(ev.comm, "ev\nil\x1b[2J\xff", 11);
	assert_int_equal(tulpen_buf_init(&b, 0, NULL, NULL), 0);
	assert_int_equal(tulpen_watch_fmt_event(&b, &o, &ev, NULL), 0);
	assert_non_null(memmem(b.data, b.len, "ev\\012il\\033[2J\\377",
			       strlen("ev\\012il\\033[2J\\377")));
	for (i = 0; i + 1 < b.len; i++)
		assert_true((unsigned char)b.data[i] >= 0x20);
	assert_int_equal(b.data[b.len - 1], '\n');
	tulpen_buf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rules),
		cmocka_unit_test(reversible),
		cmocka_unit_test(cut),
		cmocka_unit_test(watch_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
