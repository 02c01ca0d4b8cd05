// SPDX-License-Identifier: MIT
/*
 * test_metrics.c - lib/metrics: a whole scrape over the fixture in
 * tests/fixtures/metrics (a proc tree with /proc/net files, two processes
 * holding CLOSE-WAIT sockets, the kernel counters), both formats, the top K
 * with "other", concurrent scrapes sharing collections, the counter
 * parsers on malformed input and the Accept negotiation.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tulpen/doctor.h"
#include "tulpen/metrics.h"
#include "metrics/metrics_internal.h"

#define FIXTURE "fixtures/metrics"

struct scrape {
	struct tulpen_ctx *ctx;
	struct tulpen_metrics *m;
	struct tulpen_buf b;
};

static void scrape_open_age(struct scrape *s, unsigned int top_k,
			    uint64_t max_age_ms)
{
	struct tulpen_metrics_opts o;

	tulpen_metrics_opts_default(&o);
	o.top_k = top_k;
	o.owners_max_age_ms = max_age_ms;
	assert_int_equal(tulpen_ctx_new(&s->ctx), 0);
	assert_int_equal(tulpen_ctx_set_proc_root(s->ctx, FIXTURE), 0);
	tulpen_ctx_set_source(s->ctx, TULPEN_SOURCE_PROC);
	assert_int_equal(tulpen_metrics_new(s->ctx, &o, &s->m), 0);
	assert_int_equal(tulpen_buf_init(&s->b, 0, NULL, NULL), 0);
}

static void scrape_open(struct scrape *s, unsigned int top_k)
{
	scrape_open_age(s, top_k, TULPEN_METRICS_OWNERS_MAX_AGE_DEFAULT_MS);
}

static const char *scrape_run(struct scrape *s, enum tulpen_metrics_format f)
{
	char err[256];

	s->b.len = 0;
	assert_int_equal(
		tulpen_metrics_scrape(s->m, f, &s->b, err, sizeof(err)), 0);
	s->b.data[s->b.len] = '\0';
	return s->b.data;
}

static void scrape_close(struct scrape *s)
{
	tulpen_buf_fini(&s->b);
	tulpen_metrics_free(s->m);
	tulpen_ctx_free(s->ctx);
}

/* The text has this exact line. */
static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	fail_msg("no line '%s' in:\n%s", line, text);
}

static void no_text(const char *text, const char *what)
{
	if (strstr(text, what))
		fail_msg("unexpected '%s'", what);
}

static void fixture_states(void **unused)
{
	struct scrape s;
	const char *t;

	scrape_open(&s, 10);
	t = scrape_run(&s, TULPEN_METRICS_PROMETHEUS);
	has_line(t, "# TYPE tulpen_tcp_sockets gauge");
	has_line(t, "tulpen_tcp_sockets{state=\"LISTEN\"} 4");
	has_line(t, "tulpen_tcp_sockets{state=\"ESTABLISHED\"} 2");
	has_line(t, "tulpen_tcp_sockets{state=\"CLOSE-WAIT\"} 2");
	has_line(t, "tulpen_tcp_sockets{state=\"TIME-WAIT\"} 1");
	has_line(t, "tulpen_tcp_sockets{state=\"FIN-WAIT-2\"} 1");
	has_line(t, "tulpen_tcp_sockets{state=\"SYN-RECEIVED\"} 0");
	has_line(t, "tulpen_sockets{proto=\"tcp\",family=\"inet\"} 7");
	has_line(t, "tulpen_sockets{proto=\"tcp\",family=\"inet6\"} 3");
	has_line(t, "tulpen_tcp_listeners 4");
	/* two listeners on 127.0.0.1:8080 are one series; by queue */
	has_line(t, "tulpen_tcp_listen_queue_length{address=\"0.0.0.0\","
		    "port=\"22\"} 5");
	has_line(t, "tulpen_tcp_listen_queue_length{address=\"127.0.0.1\","
		    "port=\"8080\"} 2");
	has_line(t, "tulpen_tcp_listen_queue_length{address=\"::1\","
		    "port=\"443\"} 0");
	no_text(t, "_length{address=\"other\"");
	/* CLOSE-WAIT: 4854702 held by pids 77 and 4242 (the lowest counts),
	 * 4854690 by 4242; the command name escaped */
	has_line(t, "tulpen_tcp_close_wait_sockets_by_process{command=\"svc\","
		    "pid=\"77\"} 1");
	has_line(t, "tulpen_tcp_close_wait_sockets_by_process{command="
		    "\"leaky\\\"app\\\\\",pid=\"4242\"} 1");
	has_line(t, "tulpen_tcp_close_wait_sockets_by_process{command="
		    "\"unknown\",pid=\"unknown\"} 0");
	has_line(t, "tulpen_owners_scans_total 1");
	scrape_close(&s);
}

static void fixture_kernel(void **unused)
{
	char line[128];
	struct scrape s;
	const char *t;

	scrape_open(&s, 10);
	t = scrape_run(&s, TULPEN_METRICS_PROMETHEUS);
	has_line(t, "# TYPE tulpen_tcp_listen_overflows_total counter");
	has_line(t, "tulpen_tcp_listen_overflows_total 17");
	has_line(t, "tulpen_tcp_listen_drops_total 19");
	has_line(t, "tulpen_tcp_syncookies_failed_total 3");
	has_line(t, "tulpen_tcp_time_wait_ended_total 100");
	has_line(t, "tulpen_tcp_aborts_total{reason=\"data\"} 5");
	has_line(t, "tulpen_tcp_aborts_total{reason=\"close\"} 6");
	/* not in this kernel's file: left out, not 0 */
	no_text(t, "reason=\"memory\"");
	no_text(t, "tulpen_tcp_timeouts_total");
	has_line(t, "tulpen_tcp_active_opens_total 1234");
	has_line(t, "tulpen_tcp_segments_received_total 18446744073709551615");
	has_line(t, "tulpen_tcp_resets_sent_total 11");
	has_line(t, "tulpen_tcp_orphan_sockets 2");
	snprintf(line, sizeof(line), "tulpen_tcp_memory_bytes %ld",
		 5 * sysconf(_SC_PAGESIZE));
	has_line(t, line);
	has_line(t, "tulpen_tcp_ephemeral_ports 28232");
	/* 59026, 40000, 40001 and 54278; not 8080 or 443 */
	has_line(t, "tulpen_tcp_ephemeral_ports_used 4");
	scrape_close(&s);
}

static void fixture_top_k(void **unused)
{
	struct scrape s;
	const char *t;

	scrape_open(&s, 1);
	t = scrape_run(&s, TULPEN_METRICS_PROMETHEUS);
	has_line(t, "tulpen_tcp_listen_queue_length{address=\"0.0.0.0\","
		    "port=\"22\"} 5");
	has_line(t, "tulpen_tcp_listen_queue_length{address=\"other\","
		    "port=\"other\"} 2");
	no_text(t, "port=\"8080\"");
	/* a tie is broken by the lower pid */
	has_line(t, "tulpen_tcp_close_wait_sockets_by_process{command=\"svc\","
		    "pid=\"77\"} 1");
	has_line(t, "tulpen_tcp_close_wait_sockets_by_process{command="
		    "\"other\",pid=\"other\"} 1");
	no_text(t, "pid=\"4242\"");
	scrape_close(&s);
}

static void fixture_openmetrics(void **unused)
{
	struct scrape s;
	const char *t;
	size_t n;

	scrape_open(&s, 10);
	t = scrape_run(&s, TULPEN_METRICS_OPENMETRICS);
	has_line(t, "# TYPE tulpen_tcp_listen_overflows counter");
	has_line(t, "tulpen_tcp_listen_overflows_total 17");
	has_line(t, "# TYPE tulpen_build info");
	has_line(t, "tulpen_tcp_sockets{state=\"LISTEN\"} 4");
	no_text(t, "# TYPE tulpen_tcp_listen_overflows_total");
	n = strlen(t);
	assert_true(n > 6);
	assert_string_equal(t + n - 6, "# EOF\n");
	t = scrape_run(&s, TULPEN_METRICS_PROMETHEUS);
	has_line(t, "# TYPE tulpen_build_info gauge");
	no_text(t, "# EOF");
	scrape_close(&s);
}

struct storm {
	struct tulpen_metrics *m;
	int failures;
};

#define STORM_THREADS 8
#define STORM_SCRAPES 25

static void *storm_thread(void *arg)
{
	struct storm *st = arg;
	struct tulpen_buf b;
	char err[128];
	int i;

	if (tulpen_buf_init(&b, 0, NULL, NULL))
		return NULL;
	for (i = 0; i < STORM_SCRAPES; i++) {
		b.len = 0;
		if (tulpen_metrics_scrape(st->m, TULPEN_METRICS_PROMETHEUS, &b,
					  err, sizeof(err)) ||
		    !memmem(b.data, b.len, "tulpen_tcp_listeners 4\n", 23))
			__atomic_add_fetch(&st->failures, 1, __ATOMIC_SEQ_CST);
	}
	tulpen_buf_fini(&b);
	return NULL;
}

static uint64_t value_of(const char *t, const char *name)
{
	const char *p = strstr(t, name);

	assert_non_null(p);
	return strtoull(p + strlen(name), NULL, 10);
}

/* The first scan in the foreground, the next ones in the background. */
static void owners_refresh(void **unused)
{
	struct scrape s;
	const char *t;
	int i;

	scrape_open_age(&s, 10, 1);
	t = scrape_run(&s, TULPEN_METRICS_PROMETHEUS);
	assert_int_equal(value_of(t, "\ntulpen_owners_scans_total "), 1);
	has_line(t, "tulpen_tcp_close_wait_sockets_by_process{command=\"svc\","
		    "pid=\"77\"} 1");
	for (i = 0; i < 400; i++) {
		usleep(5000);
		t = scrape_run(&s, TULPEN_METRICS_PROMETHEUS);
		/* the old scan serves while the new one runs */
		has_line(t, "tulpen_tcp_close_wait_sockets_by_process{command="
			    "\"svc\",pid=\"77\"} 1");
		if (value_of(t, "\ntulpen_owners_scans_total ") >= 2)
			break;
	}
	assert_true(value_of(t, "\ntulpen_owners_scans_total ") >= 2);
	scrape_close(&s);
	/* max age 0: a scan in every scrape */
	scrape_open_age(&s, 10, 0);
	for (i = 0; i < 3; i++)
		t = scrape_run(&s, TULPEN_METRICS_PROMETHEUS);
	assert_int_equal(value_of(t, "\ntulpen_owners_scans_total "), 3);
	scrape_close(&s);
}

/* Every scrape collects or joins a collection: the two add up. */
static void concurrent_scrapes(void **unused)
{
	pthread_t th[STORM_THREADS];
	struct storm st;
	struct scrape s;
	const char *t;
	int i;

	scrape_open(&s, 10);
	st.m = s.m;
	st.failures = 0;
	for (i = 0; i < STORM_THREADS; i++)
		assert_int_equal(
			pthread_create(&th[i], NULL, storm_thread, &st), 0);
	for (i = 0; i < STORM_THREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(st.failures, 0);
	t = scrape_run(&s, TULPEN_METRICS_PROMETHEUS);
	assert_int_equal(value_of(t, "\ntulpen_collections_total ") +
				 value_of(t, "\ntulpen_scrapes_shared_total "),
			 STORM_THREADS * STORM_SCRAPES + 1);
	scrape_close(&s);
}

static void walk_error(void **unused)
{
	struct tulpen_metrics_opts o;
	struct tulpen_metrics *m;
	struct tulpen_ctx *ctx;
	struct tulpen_buf b;
	char err[256];

	tulpen_metrics_opts_default(&o);
	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	/* no net/ there: not a proc file system, the walk fails */
	assert_int_equal(tulpen_ctx_set_proc_root(ctx, "fixtures/proc"), 0);
	tulpen_ctx_set_source(ctx, TULPEN_SOURCE_PROC);
	assert_int_equal(tulpen_metrics_new(ctx, &o, &m), 0);
	assert_int_equal(tulpen_buf_init(&b, 0, NULL, NULL), 0);
	assert_true(tulpen_metrics_scrape(m, TULPEN_METRICS_PROMETHEUS, &b, err,
					  sizeof(err)) < 0);
	assert_true(strstr(err, "net/tcp") != NULL);
	assert_int_equal(b.len, 0);
	tulpen_buf_fini(&b);
	tulpen_metrics_free(m);
	tulpen_ctx_free(ctx);
}

static void bad_options(void **unused)
{
	struct tulpen_metrics_opts o;
	struct tulpen_metrics *m;
	struct tulpen_ctx *ctx;

	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	tulpen_metrics_opts_default(&o);
	o.top_k = 0;
	assert_int_equal(tulpen_metrics_new(ctx, &o, &m), -EINVAL);
	o.top_k = TULPEN_METRICS_TOP_K_MAX + 1;
	assert_int_equal(tulpen_metrics_new(ctx, &o, &m), -EINVAL);
	tulpen_ctx_free(ctx);
}

/* tulpen doctor's counts: every kind and severity, 0 included. */
static void doctor_render(void **unused)
{
	struct tm_snap snap;
	struct tulpen_buf b;
	size_t nk;

	(void)unused;
	memset(&snap, 0, sizeof(snap));
	assert_int_equal(tulpen_buf_init(&b, 0, NULL, NULL), 0);
	assert_int_equal(tm_render(&snap, TULPEN_METRICS_PROMETHEUS, &b), 0);
	assert_null(strstr(b.data, "tulpen_doctor")); /* off: nothing */
	snap.doctor_enabled = 1;
	snap.doctor_age_s = -1;
	b.len = 0;
	assert_int_equal(tm_render(&snap, TULPEN_METRICS_PROMETHEUS, &b), 0);
	assert_non_null(strstr(b.data, "# TYPE tulpen_doctor_findings gauge"));
	assert_null(strstr(b.data, "tulpen_doctor_findings{")); /* no run */
	assert_non_null(strstr(b.data, "tulpen_doctor_age_seconds -1"));
	snap.doctor_have = 1;
	snap.doctor[0][1] = 2; /* close-wait, warning */
	snap.doctor_runs = 3;
	b.len = 0;
	assert_int_equal(tm_render(&snap, TULPEN_METRICS_OPENMETRICS, &b), 0);
	assert_non_null(strstr(b.data, "tulpen_doctor_findings{kind=\"close-"
				       "wait\",severity=\"warning\"} 2\n"));
	assert_non_null(strstr(b.data, "tulpen_doctor_findings{kind=\"tcp-"
				       "memory\",severity=\"critical\"} 0\n"));
	assert_non_null(strstr(b.data, "tulpen_doctor_runs_total 3\n"));
	tulpen_doctor_kinds(&nk);
	assert_true(nk <= TM_DOCTOR_KINDS);
	tulpen_buf_fini(&b);
}

static void kstats_malformed(void **unused)
{
	static const char *const bad[] = {
		"TcpExt: ListenOverflows ListenDrops\nTcpExt: 7\n",
		"TcpExt: ListenOverflows\nIpExt: 5\n",
		"TcpExt: ListenOverflows\nTcpExt: -5\n",
		"TcpExt: ListenOverflows\nTcpExt: 99999999999999999999\n",
		"TcpExt: ListenOverflows\nTcpExt: 1x\n",
		"TcpExt: ListenOverflows\n",
		"TcpExt ListenOverflows\nTcpExt 5\n",
		"",
	};
	struct tm_kstats k;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&k, 0, sizeof(k));
		tm_kstats_parse_pairs(bad[i], strlen(bad[i]), TM_KF_NETSTAT,
				      &k);
		/* only the first case has a value for its first name */
		assert_int_equal(k.have[0], i == 0);
		assert_int_equal(k.have[1], 0);
		if (i == 0)
			assert_int_equal(k.value[0], 7);
	}
	memset(&k, 0, sizeof(k));
	tm_kstats_parse_sockstat("TCP: inuse 1 orphan x mem 1\n", 27, 4096, &k);
	assert_int_equal(k.have_sockstat, 0);
	tm_kstats_parse_sockstat("TCP: inuse 1 orphan 3\n", 22, 4096, &k);
	assert_int_equal(k.have_sockstat, 0);
	tm_kstats_parse_sockstat("TCP: orphan 3 mem 2\n", 20, 4096, &k);
	assert_int_equal(k.have_sockstat, 1);
	assert_int_equal(k.tcp_mem_bytes, 8192);
}

static void negotiate(void **unused)
{
	static const struct {
		const char *accept;
		enum tulpen_metrics_format want;
	} cases[] = {
		{ NULL, TULPEN_METRICS_PROMETHEUS },
		{ "", TULPEN_METRICS_PROMETHEUS },
		{ "*/*", TULPEN_METRICS_PROMETHEUS },
		{ "application/openmetrics-text", TULPEN_METRICS_OPENMETRICS },
		/* what Prometheus 2.42 sends */
		{ "application/openmetrics-text;version=1.0.0,application/"
		  "openmetrics-text;version=0.0.1;q=0.75,text/plain;"
		  "version=0.0.4;q=0.5,*/*;q=0.1",
		  TULPEN_METRICS_OPENMETRICS },
		{ "text/plain;version=0.0.4;q=1,application/openmetrics-text;"
		  "q=0.5",
		  TULPEN_METRICS_PROMETHEUS },
		{ "text/plain;q=0.4, application/openmetrics-text; "
		  "version=1.0.0; q=0.5",
		  TULPEN_METRICS_OPENMETRICS },
		{ "application/openmetrics-text;q=0",
		  TULPEN_METRICS_PROMETHEUS },
		{ "APPLICATION/OpenMetrics-Text", TULPEN_METRICS_OPENMETRICS },
		{ "application/openmetrics-textx", TULPEN_METRICS_PROMETHEUS },
		{ "application/openmetrics-text;q=junk",
		  TULPEN_METRICS_PROMETHEUS },
		{ ",,;;,application/openmetrics-text;;",
		  TULPEN_METRICS_OPENMETRICS },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (tulpen_metrics_negotiate(cases[i].accept) != cases[i].want)
			fail_msg("Accept '%s'",
				 cases[i].accept ? cases[i].accept : "(none)");
	assert_true(
		strstr(tulpen_metrics_content_type(TULPEN_METRICS_OPENMETRICS),
		       "application/openmetrics-text; version=1.0.0") != NULL);
	assert_true(
		strstr(tulpen_metrics_content_type(TULPEN_METRICS_PROMETHEUS),
		       "text/plain; version=0.0.4") != NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixture_states),
		cmocka_unit_test(fixture_kernel),
		cmocka_unit_test(fixture_top_k),
		cmocka_unit_test(fixture_openmetrics),
		cmocka_unit_test(concurrent_scrapes),
		cmocka_unit_test(owners_refresh),
		cmocka_unit_test(walk_error),
		cmocka_unit_test(bad_options),
		cmocka_unit_test(kstats_malformed),
		cmocka_unit_test(doctor_render),
		cmocka_unit_test(negotiate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
