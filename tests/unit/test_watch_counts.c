// SPDX-License-Identifier: MIT
/*
 * test_watch_counts.c - the in-kernel counts as numbers and text
 * (lib/watch/watch_counts.c) and as metrics (lib/metrics/render.c): the
 * lifetime slots' bounds, differences, the --summary table, and the
 * transitions counter and the duration histogram in both formats
 * (cumulative buckets, exact le bounds, _sum and _count).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tulpen/watch_counts.h"
#include "metrics/metrics_internal.h"

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

static void fill(struct tulpen_watch_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->transitions[TULPEN_TCP_CLOSE][TULPEN_TCP_SYN_SENT] = 7;
	c->transitions[TULPEN_TCP_FIN_WAIT2][TULPEN_TCP_TIME_WAIT] = 3;
	c->duration[0] = 1;  /* under 1 us */
	c->duration[19] = 4; /* [0.262144, 0.524288) s */
	c->duration[TULPEN_WATCH_DUR_SLOTS - 1] = 2;
	c->duration_sum_ns = 1500000000ull;
}

static void slots(void **unused)
{
	assert_true(fabs(tulpen_watch_dur_slot_le(0) - 1e-6) < 1e-12);
	assert_true(fabs(tulpen_watch_dur_slot_le(20) - 1.048576) < 1e-12);
	assert_true(tulpen_watch_dur_slot_le(TULPEN_WATCH_DUR_SLOTS - 1) == 0);
	assert_true(tulpen_watch_dur_slot_le(1000) == 0);
}

static void sub_closed(void **unused)
{
	struct tulpen_watch_counts a, b, d;

	fill(&a);
	fill(&b);
	a.transitions[TULPEN_TCP_CLOSE][TULPEN_TCP_SYN_SENT] += 5;
	a.duration[19] += 2;
	a.duration_sum_ns += 10;
	a.missed = 1;
	a.lifetimes_untracked = 4;
	b.lifetimes_untracked = 1;
	tulpen_watch_counts_sub(&d, &a, &b);
	assert_int_equal(d.transitions[TULPEN_TCP_CLOSE][TULPEN_TCP_SYN_SENT],
			 5);
	assert_int_equal(
		d.transitions[TULPEN_TCP_FIN_WAIT2][TULPEN_TCP_TIME_WAIT], 0);
	assert_int_equal(tulpen_watch_counts_closed(&d), 2);
	assert_int_equal(tulpen_watch_counts_closed(&a), 9);
	assert_int_equal(d.duration_sum_ns, 10);
	assert_int_equal(d.missed, 1);
	assert_int_equal(d.lifetimes_untracked, 3);
}

static void summary_text(void **unused)
{
	struct tulpen_watch_counts c;
	struct tulpen_buf b;

	fill(&c);
	c.missed = 2;
	assert_int_equal(tulpen_buf_init(&b, 0, NULL, NULL), 0);
	assert_int_equal(tulpen_watch_counts_fmt(&b, &c, 2.0), 0);
	assert_int_equal(tulpen_buf_putc(&b, '\0'), 0);
	has_line(b.data, "CLOSED        SYN-SENT                 7");
	has_line(b.data, "FIN-WAIT-2    TIME-WAIT                3");
	has_line(b.data, "total                                 10");
	has_line(b.data,
		 "connection lifetimes (sockets closed: 7, birth to close)");
	has_line(b.data, "1us                    1           1");
	has_line(b.data, "524.3ms                4           5");
	has_line(b.data, "longer                 2           7");
	assert_non_null(strstr(b.data, "missed: 2 program runs"));
	assert_null(strstr(b.data, "untracked"));
	tulpen_buf_fini(&b);
	/* Births the kernel's table had no room for: said, not hidden. */
	c.lifetimes_untracked = 3;
	assert_int_equal(tulpen_buf_init(&b, 0, NULL, NULL), 0);
	assert_int_equal(tulpen_watch_counts_fmt(&b, &c, 2.0), 0);
	assert_int_equal(tulpen_buf_putc(&b, '\0'), 0);
	assert_non_null(strstr(b.data, "untracked: 3 sockets born while "
				       "the birth table was full"));
	tulpen_buf_fini(&b);
}

static void summary_json(void **unused)
{
	struct tulpen_watch_counts c;
	struct tulpen_buf b;

	fill(&c);
	assert_int_equal(tulpen_buf_init(&b, 0, NULL, NULL), 0);
	assert_int_equal(tulpen_watch_counts_json(&b, &c, 2.0), 0);
	assert_int_equal(tulpen_buf_putc(&b, '\0'), 0);
	assert_non_null(strstr(b.data,
			       "{\"type\":\"transition_counts\","
			       "\"source\":\"bpf\",\"duration_s\":2.000,"));
	assert_non_null(strstr(b.data, "{\"old\":\"CLOSED\",\"new\":"
				       "\"SYN-SENT\",\"count\":7}"));
	assert_non_null(strstr(b.data, "\"transitions_total\":10,"));
	assert_non_null(strstr(b.data,
			       "\"lifetimes\":{\"sockets\":7,"
			       "\"sum_ns\":1500000000,\"untracked\":0,"
			       "\"buckets\":[{\"le_us\":1,\"count\":1},"));
	assert_non_null(strstr(b.data, "{\"le_us\":524288,\"count\":5}"));
	assert_non_null(strstr(b.data, "{\"le_us\":null,\"count\":7}]},"
				       "\"missed_runs\":0}\n"));
	tulpen_buf_fini(&b);
}

static void render(void **unused)
{
	static struct tm_snap s;
	struct tulpen_buf b;
	int f;

	for (f = 0; f < 2; f++) {
		memset(&s, 0, sizeof(s));
		s.have_counts = 1;
		fill(&s.counts);
		assert_int_equal(tulpen_buf_init(&b, 0, NULL, NULL), 0);
		assert_int_equal(tm_render(&s,
					   f ? TULPEN_METRICS_OPENMETRICS
					     : TULPEN_METRICS_PROMETHEUS,
					   &b),
				 0);
		assert_int_equal(tulpen_buf_putc(&b, '\0'), 0);
		has_line(b.data, f ? "# TYPE tulpen_tcp_transitions counter"
				   : "# TYPE tulpen_tcp_transitions_total "
				     "counter");
		has_line(b.data, "tulpen_tcp_transitions_total{from=\"CLOSED\","
				 "to=\"SYN-SENT\"} 7");
		has_line(b.data,
			 "# TYPE tulpen_tcp_connection_duration_seconds "
			 "histogram");
		has_line(b.data, "tulpen_tcp_connection_duration_seconds_bucket"
				 "{le=\"0.000001\"} 1");
		has_line(b.data, "tulpen_tcp_connection_duration_seconds_bucket"
				 "{le=\"0.262144\"} 1");
		has_line(b.data, "tulpen_tcp_connection_duration_seconds_bucket"
				 "{le=\"0.524288\"} 5");
		has_line(b.data, "tulpen_tcp_connection_duration_seconds_bucket"
				 "{le=\"274877.906944\"} 5");
		has_line(b.data, "tulpen_tcp_connection_duration_seconds_bucket"
				 "{le=\"+Inf\"} 7");
		has_line(b.data, "tulpen_tcp_connection_duration_seconds_sum "
				 "1.500000000");
		has_line(b.data,
			 "tulpen_tcp_connection_duration_seconds_count 7");
		tulpen_buf_fini(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slots),	cmocka_unit_test(sub_closed),
		cmocka_unit_test(summary_text), cmocka_unit_test(summary_json),
		cmocka_unit_test(render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
