// SPDX-License-Identifier: MIT
/*
 * Unit tests: the pcap session (tulpen/pcap_session.h) over the recorded
 * fixtures: every file is checked when opened, before anything is
 * written; the output goes only into the caller's buffer; notes and
 * warnings only through the callbacks; a read error after some packets
 * still reports what was read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sched.h>
#include <unistd.h>
#include <cmocka.h>

#include "tulpen/ctx.h"
#include "tulpen/fmt.h"
#include "tulpen/pcap_session.h"
#include "pcap/pcap_pipe.h"

#define FIX "fixtures/pcap/"

struct notes {
	int n;
	char last[256];
};

static void note(void *priv, const char *msg)
{
	struct notes *nt = priv;

	nt->n++;
	snprintf(nt->last, sizeof(nt->last), "%s", msg);
}

struct run {
	struct tulpen_ctx *ctx;
	struct tulpen_buf out;
	struct tulpen_pcap_session *s;
	struct notes notes;
};

static void run_init(struct run *r, enum tulpen_pcap_out kind, int summary)
{
	struct tulpen_pcap_session_opts o = { .kind = kind };

	memset(r, 0, sizeof(*r));
	o.summary = summary;
	o.note = note;
	o.note_priv = &r->notes;
	assert_int_equal(tulpen_ctx_new(&r->ctx), 0);
	assert_int_equal(tulpen_buf_init(&r->out, 0, NULL, NULL), 0);
	assert_int_equal(tulpen_pcap_session_new(r->ctx, &o, &r->out, &r->s),
			 0);
}

static void run_fini(struct run *r)
{
	tulpen_pcap_session_free(r->s);
	tulpen_buf_fini(&r->out);
	tulpen_ctx_free(r->ctx);
}

/* The output written so far, NUL-terminated. */
static const char *text(struct run *r)
{
	tulpen_buf_putc(&r->out, '\0');
	r->out.len--;
	return r->out.data;
}

static void two_files(void **unused)
{
	struct tulpen_pcap_input in;
	struct run r;

	run_init(&r, TULPEN_PCAP_NDJSON, 0);
	assert_int_equal(tulpen_pcap_session_open(r.s, FIX "client-close.pcap"),
			 0);
	assert_int_equal(tulpen_pcap_session_open(r.s, FIX "rst-server.pcap"),
			 0);
	assert_int_equal(r.out.len, 0); /* nothing before run */
	assert_int_equal(tulpen_pcap_session_run(r.s), 0);
	assert_non_null(strstr(text(&r), "\"conn_state\":\"SF\""));
	assert_non_null(strstr(text(&r), "\"conn_state\":\"RSTR\""));
	assert_non_null(strstr(text(&r), "\"family\":\"inet\""));
	tulpen_pcap_session_input(r.s, &in);
	assert_true(in.frames > 10);
	assert_int_equal(in.frames, in.tcp);
	assert_int_equal(r.notes.n, 0);
	run_fini(&r);
}

static void checked_when_opened(void **unused)
{
	struct run r;
	char path[] = "/tmp/tulpen-session-XXXXXX";
	int fd;

	run_init(&r, TULPEN_PCAP_TABLE, 0);
	assert_int_equal(tulpen_pcap_session_open(r.s, FIX "client-close.pcap"),
			 0);
	assert_int_equal(tulpen_pcap_session_open(r.s, FIX "no-such.pcap"),
			 -ENOENT);
	assert_non_null(strstr(tulpen_ctx_errmsg(r.ctx), "no-such.pcap: "));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a capture, just some text\n", 30), 30);
	close(fd);
	assert_int_equal(tulpen_pcap_session_open(r.s, path), -EINVAL);
	assert_non_null(strstr(tulpen_ctx_errmsg(r.ctx), path));
	unlink(path);
	assert_int_equal(r.out.len, 0);
	run_fini(&r);
}

/*
 * Cut in a record: a note names the file and packet, the next file is
 * still read, what was read is reported, then -EIO.
 */
static void truncated(void **unused)
{
	char path[] = "/tmp/tulpen-session-XXXXXX";
	struct run r;
	FILE *f;
	char buf[4096];
	size_t n;
	int fd;

	f = fopen(FIX "client-close.pcap", "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 600);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n - 30), (ssize_t)(n - 30));
	close(fd);
	run_init(&r, TULPEN_PCAP_JSON, 0);
	assert_int_equal(tulpen_pcap_session_open(r.s, path), 0);
	assert_int_equal(tulpen_pcap_session_open(r.s, FIX "rst-client.pcap"),
			 0);
	assert_int_equal(tulpen_pcap_session_run(r.s), -EIO);
	assert_string_equal(tulpen_ctx_errmsg(r.ctx),
			    "1 of 2 captures not read to their end");
	assert_int_equal(r.notes.n, 1);
	assert_non_null(strstr(r.notes.last, path));
	assert_non_null(strstr(r.notes.last, "packet "));
	assert_non_null(strstr(r.notes.last, "the rest of this file was not"));
	assert_non_null(strstr(text(&r), "\"client\""));
	/* the second file's connection: a reset */
	assert_non_null(strstr(text(&r), "\"file\":1"));
	assert_non_null(strstr(text(&r), "\n]\n")); /* the array closed */
	unlink(path);
	run_fini(&r);
}

static void summary_and_zeek(void **unused)
{
	struct run r;

	run_init(&r, TULPEN_PCAP_JSON, 1);
	assert_int_equal(tulpen_pcap_session_open(r.s, FIX "refused.pcap"), 0);
	assert_int_equal(tulpen_pcap_session_run(r.s), 0);
	assert_non_null(strstr(text(&r), "\"conn_states\":{\"REJ\":1}"));
	run_fini(&r);

	run_init(&r, TULPEN_PCAP_ZEEK, 0);
	assert_int_equal(tulpen_pcap_session_open(r.s, FIX "refused.pcap"), 0);
	assert_int_equal(tulpen_pcap_session_run(r.s), 0);
	assert_true(!strncmp(text(&r), "#separator \\x09\n", 16));
	assert_non_null(strstr(text(&r), "\tREJ\t"));
	assert_non_null(strstr(text(&r), "#close\t"));
	run_fini(&r);
}

/*
 * A reader thread needs a second CPU: with the affinity the kernel reports
 * cut to one CPU, there is none (and the rows are those of one thread).
 */
static void one_cpu(void **unused)
{
	cpu_set_t all, one;
	struct run a, b;
	int cpu = 0, ok;

	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(pcap_pipe_cpus_ok(), CPU_COUNT(&all) >= 2);
	while (!CPU_ISSET(cpu, &all))
		cpu++;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	ok = pcap_pipe_cpus_ok();
	run_init(&a, TULPEN_PCAP_NDJSON, 0);
	assert_int_equal(tulpen_pcap_session_open(a.s, FIX "rst-server.pcap"),
			 0);
	assert_int_equal(tulpen_pcap_session_run(a.s), 0);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(ok, 0);
	run_init(&b, TULPEN_PCAP_NDJSON, 0);
	assert_int_equal(tulpen_pcap_session_open(b.s, FIX "rst-server.pcap"),
			 0);
	assert_int_equal(tulpen_pcap_session_run(b.s), 0);
	assert_string_equal(text(&a), text(&b));
	assert_true(strstr(text(&a), "\"id\"") != NULL);
	run_fini(&a);
	run_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_files),
		cmocka_unit_test(one_cpu),
		cmocka_unit_test(checked_when_opened),
		cmocka_unit_test(truncated),
		cmocka_unit_test(summary_and_zeek),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
