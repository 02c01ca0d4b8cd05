// SPDX-License-Identifier: MIT
/*
 * watch_counts.c - the in-kernel counts of the eBPF source (read in
 * watch_bpf.c) as numbers: differences, the lifetime slots' bounds, and
 * what `tulpen watch --summary` prints (a table, or JSON).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tulpen/watch_counts.h"

void tulpen_watch_counts_sub(struct tulpen_watch_counts *d,
			     const struct tulpen_watch_counts *a,
			     const struct tulpen_watch_counts *b)
{
	int i, j;

	for (i = 0; i < TULPEN_TCP_MAX_STATES; i++)
		for (j = 0; j < TULPEN_TCP_MAX_STATES; j++)
			d->transitions[i][j] =
				a->transitions[i][j] - b->transitions[i][j];
	for (i = 0; i < TULPEN_WATCH_DUR_SLOTS; i++)
		d->duration[i] = a->duration[i] - b->duration[i];
	d->duration_sum_ns = a->duration_sum_ns - b->duration_sum_ns;
	d->lifetimes_untracked =
		a->lifetimes_untracked - b->lifetimes_untracked;
	d->missed = a->missed - b->missed;
}

uint64_t tulpen_watch_counts_closed(const struct tulpen_watch_counts *c)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < TULPEN_WATCH_DUR_SLOTS; i++)
		n += c->duration[i];
	return n;
}

double tulpen_watch_dur_slot_le(unsigned slot)
{
	if (slot >= TULPEN_WATCH_DUR_SLOTS - 1)
		return 0;
	return (double)(1ull << slot) / 1e6;
}

/* A lifetime bound in the unit that reads best: 512us, 2.1ms, 4.3s. */
static void bound_str(char *out, size_t len, unsigned slot)
{
	uint64_t us = 1ull << slot;

	if (us < 1000)
		snprintf(out, len, "%lluus", (unsigned long long)us);
	else if (us < 1000000)
		snprintf(out, len, "%.1fms", (double)us / 1e3);
	else
		snprintf(out, len, "%.1fs", (double)us / 1e6);
}

static int fmt_transitions(struct tulpen_buf *b,
			   const struct tulpen_watch_counts *c)
{
	uint64_t total = 0;
	int i, j, n;

	for (i = 0; i < TULPEN_TCP_MAX_STATES; i++)
		for (j = 0; j < TULPEN_TCP_MAX_STATES; j++)
			total += c->transitions[i][j];
	tulpen_buf_printf(b, "%-14s%-14s%12s\n", "FROM", "TO", "COUNT");
	for (i = 0; i < TULPEN_TCP_MAX_STATES; i++) {
		for (j = 0; j < TULPEN_TCP_MAX_STATES; j++) {
			if (!c->transitions[i][j])
				continue;
			tulpen_buf_printf(
				b, "%-14s%-14s",
				tulpen_state_name(i, TULPEN_STATE_RFC),
				tulpen_state_name(j, TULPEN_STATE_RFC));
			n = tulpen_buf_printf(
				b, "%12llu\n",
				(unsigned long long)c->transitions[i][j]);
			if (n < 0)
				return n;
		}
	}
	return tulpen_buf_printf(b, "%-28s%12llu\n", "total",
				 (unsigned long long)total);
}

static int fmt_lifetimes(struct tulpen_buf *b,
			 const struct tulpen_watch_counts *c)
{
	uint64_t closed = tulpen_watch_counts_closed(c), cum = 0;
	int i, first = -1, last = -1;
	char bound[16];

	tulpen_buf_printf(b,
			  "\nconnection lifetimes (sockets closed: %llu, "
			  "birth to close)\n",
			  (unsigned long long)closed);
	for (i = 0; i < TULPEN_WATCH_DUR_SLOTS; i++) {
		if (!c->duration[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
	}
	if (first < 0)
		return 0;
	tulpen_buf_printf(b, "%-12s%12s%12s\n", "AT MOST", "SOCKETS",
			  "CUMULATIVE");
	for (i = first; i <= last; i++) {
		cum += c->duration[i];
		if (i == TULPEN_WATCH_DUR_SLOTS - 1)
			snprintf(bound, sizeof(bound), "longer");
		else
			bound_str(bound, sizeof(bound), (unsigned)i);
		tulpen_buf_printf(b, "%-12s", bound);
		tulpen_buf_printf(b, "%12llu%12llu\n",
				  (unsigned long long)c->duration[i],
				  (unsigned long long)cum);
	}
	return tulpen_buf_printf(b, "mean %.6f s\n",
				 (double)c->duration_sum_ns / 1e9 /
					 (double)closed);
}

int tulpen_watch_counts_fmt(struct tulpen_buf *b,
			    const struct tulpen_watch_counts *c, double seconds)
{
	int ret;

	tulpen_buf_printf(b, "transitions counted in the kernel over %.1f s\n",
			  seconds);
	ret = fmt_transitions(b, c);
	if (ret < 0)
		return ret;
	ret = fmt_lifetimes(b, c);
	if (ret < 0)
		return ret;
	if (c->lifetimes_untracked)
		ret = tulpen_buf_printf(
			b,
			"untracked: %llu sockets born while "
			"the birth table was full (not in the "
			"lifetimes)\n",
			(unsigned long long)c->lifetimes_untracked);
	if (ret >= 0 && c->missed)
		ret = tulpen_buf_printf(b,
					"missed: %llu program runs skipped by "
					"the kernel (counts may be short)\n",
					(unsigned long long)c->missed);
	return ret < 0 ? ret : 0;
}

int tulpen_watch_counts_json(struct tulpen_buf *b,
			     const struct tulpen_watch_counts *c,
			     double seconds)
{
	uint64_t total = 0, cum = 0;
	int i, j, n = 0;

	tulpen_buf_printf(b,
			  "{\"type\":\"transition_counts\",\"source\":\"bpf\","
			  "\"duration_s\":%.3f,\"transitions\":[",
			  seconds);
	for (i = 0; i < TULPEN_TCP_MAX_STATES; i++) {
		for (j = 0; j < TULPEN_TCP_MAX_STATES; j++) {
			if (!c->transitions[i][j])
				continue;
			tulpen_buf_printf(
				b,
				"%s{\"old\":\"%s\",\"new\":\"%s\",\"count\":",
				n++ ? "," : "",
				tulpen_state_name(i, TULPEN_STATE_RFC),
				tulpen_state_name(j, TULPEN_STATE_RFC));
			tulpen_buf_u64(b, c->transitions[i][j]);
			tulpen_buf_putc(b, '}');
			total += c->transitions[i][j];
		}
	}
	tulpen_buf_puts(b, "],\"transitions_total\":");
	tulpen_buf_u64(b, total);
	tulpen_buf_puts(b, ",\"lifetimes\":{\"sockets\":");
	tulpen_buf_u64(b, tulpen_watch_counts_closed(c));
	tulpen_buf_puts(b, ",\"sum_ns\":");
	tulpen_buf_u64(b, c->duration_sum_ns);
	tulpen_buf_puts(b, ",\"untracked\":");
	tulpen_buf_u64(b, c->lifetimes_untracked);
	tulpen_buf_puts(b, ",\"buckets\":[");
	for (i = 0; i < TULPEN_WATCH_DUR_SLOTS; i++) {
		cum += c->duration[i];
		if (i < TULPEN_WATCH_DUR_SLOTS - 1) {
			tulpen_buf_puts(b, i ? ",{\"le_us\":" : "{\"le_us\":");
			tulpen_buf_u64(b, 1ull << i);
		} else {
			tulpen_buf_puts(b, ",{\"le_us\":null");
		}
		tulpen_buf_puts(b, ",\"count\":");
		tulpen_buf_u64(b, cum);
		tulpen_buf_putc(b, '}');
	}
	tulpen_buf_puts(b, "]},\"missed_runs\":");
	tulpen_buf_u64(b, c->missed);
	return tulpen_buf_puts(b, "}\n") < 0 ? b->err : 0;
}
