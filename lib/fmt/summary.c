// SPDX-License-Identifier: MIT
/*
 * summary.c - socket counts for -s. One dump, a counter per record.
 */
#include <string.h>
#include <sys/socket.h>

#include "tulpen/summary.h"
#include "fmt/fmt_internal.h"

static int fam_slot(int family)
{
	return family == AF_INET    ? TULPEN_SUM_INET
	       : family == AF_INET6 ? TULPEN_SUM_INET6
				    : TULPEN_SUM_UNIX;
}

void tulpen_summary_add(struct tulpen_summary *sum, const struct tulpen_sock *s)
{
	int fs = fam_slot(s->family);

	sum->total++;
	if (s->proto < TULPEN_P_MAX)
		sum->sockets[s->proto][fs]++;
	if ((s->proto == TULPEN_P_TCP || s->proto == TULPEN_P_MPTCP) &&
	    s->state < TULPEN_TCP_MAX_STATES)
		sum->tcp_states[fs][s->state]++;
}

static int count_cb(const struct tulpen_sock *s, void *data)
{
	tulpen_summary_add(data, s);
	return 0;
}

int tulpen_summary_collect(struct tulpen_ctx *ctx, const struct tulpen_query *q,
			   struct tulpen_summary *sum)
{
	/* the families without ports are no rows of these tables */
	struct tulpen_query cq = *q;

	memset(sum, 0, sizeof(*sum));
	cq.protos &= ~(TULPEN_PF(TULPEN_P_NETLINK) |
		       TULPEN_PF(TULPEN_P_PACKET) | TULPEN_PF(TULPEN_P_VSOCK) |
		       TULPEN_PF(TULPEN_P_XDP) | TULPEN_PF(TULPEN_P_TIPC));
	sum->protos = cq.protos;
	tulpen_kernel_stats_read(ctx, &sum->kernel);
	return tulpen_collect(ctx, &cq, count_cb, sum);
}

/* The states in the order a connection meets them. */
static const int state_order[] = {
	TULPEN_TCP_LISTEN,	TULPEN_TCP_SYN_SENT,  TULPEN_TCP_SYN_RECV,
	TULPEN_TCP_ESTABLISHED, TULPEN_TCP_FIN_WAIT1, TULPEN_TCP_FIN_WAIT2,
	TULPEN_TCP_CLOSE_WAIT,	TULPEN_TCP_CLOSING,   TULPEN_TCP_LAST_ACK,
	TULPEN_TCP_TIME_WAIT,	TULPEN_TCP_CLOSE,
};

#define NSTATES (sizeof(state_order) / sizeof(state_order[0]))

static uint64_t both(const struct tulpen_summary *sum, int state)
{
	return sum->tcp_states[TULPEN_SUM_INET][state] +
	       sum->tcp_states[TULPEN_SUM_INET6][state];
}

/* What the kernel counts itself: ss -s's figures and the listen drops. */
static void format_kernel_text(const struct tulpen_kernel_stats *k,
			       struct tulpen_buf *b)
{
	if (!k->have_sockstat)
		return;
	tulpen_buf_puts(b, "\nKernel (/proc/net/sockstat, snmp, netstat)\n");
	tulpen_buf_printf(b, "%-22s %10llu\n", "sockets in use",
			  (unsigned long long)k->sockets_used);
	tulpen_buf_printf(b, "%-22s %10llu\n", "TCP allocated",
			  (unsigned long long)k->tcp_alloc);
	tulpen_buf_printf(b, "%-22s %10llu\n", "TCP orphaned",
			  (unsigned long long)k->tcp_orphan);
	tulpen_buf_printf(b, "%-22s %10llu\n", "TIME-WAIT buckets",
			  (unsigned long long)k->tcp_tw);
	tulpen_buf_printf(
		b, "%-22s %10llu pages (%llu KiB)\n", "TCP memory",
		(unsigned long long)k->tcp_mem_pages,
		(unsigned long long)(k->tcp_mem_pages * k->page_size / 1024));
	if (k->have_estab)
		tulpen_buf_printf(b, "%-22s %10llu\n", "TCP established",
				  (unsigned long long)k->curr_estab);
	if (k->have_listen) {
		tulpen_buf_printf(b, "%-22s %10llu\n", "listen overflows",
				  (unsigned long long)k->listen_overflows);
		tulpen_buf_printf(b, "%-22s %10llu\n", "listen drops",
				  (unsigned long long)k->listen_drops);
	}
}

static void format_kernel_json(const struct tulpen_kernel_stats *k,
			       struct tulpen_buf *b)
{
	if (!k->have_sockstat)
		return;
	tulpen_buf_printf(
		b,
		",\"kernel\":{\"sockets_used\":%llu,"
		"\"tcp_allocated\":%llu,\"tcp_orphaned\":%llu,"
		"\"tcp_time_wait\":%llu,\"tcp_memory_pages\":%llu,"
		"\"tcp_memory_bytes\":%llu",
		(unsigned long long)k->sockets_used,
		(unsigned long long)k->tcp_alloc,
		(unsigned long long)k->tcp_orphan,
		(unsigned long long)k->tcp_tw,
		(unsigned long long)k->tcp_mem_pages,
		(unsigned long long)(k->tcp_mem_pages * k->page_size));
	if (k->have_estab)
		tulpen_buf_printf(b, ",\"tcp_established\":%llu",
				  (unsigned long long)k->curr_estab);
	if (k->have_listen)
		tulpen_buf_printf(b,
				  ",\"listen_overflows\":%llu,"
				  "\"listen_drops\":%llu",
				  (unsigned long long)k->listen_overflows,
				  (unsigned long long)k->listen_drops);
	tulpen_buf_putc(b, '}');
}

int tulpen_kernel_stats_format_ss(const struct tulpen_kernel_stats *k,
				  struct tulpen_buf *b)
{
	long long tcp4 = (long long)k->tcp_inuse,
		  tcp6 = (long long)k->tcp6_inuse;
	long long tw = (long long)k->tcp_tw, alloc = (long long)k->tcp_alloc;
	long long raw4 = (long long)k->raw_inuse,
		  raw6 = (long long)k->raw6_inuse;
	long long udp4 = (long long)k->udp_inuse,
		  udp6 = (long long)k->udp6_inuse;
	long long fr4 = (long long)k->frag_inuse,
		  fr6 = (long long)k->frag6_inuse;

	/* misc/ss.c print_summary() */
	tulpen_buf_printf(b, "Total: %lld\n", (long long)k->sockets_used);
	tulpen_buf_printf(b,
			  "TCP:   %lld (estab %lld, closed %lld, orphaned "
			  "%lld, timewait %lld)\n",
			  alloc + tw, (long long)k->curr_estab,
			  alloc - (tcp4 + tcp6 - tw), (long long)k->tcp_orphan,
			  tw);
	tulpen_buf_puts(b, "\nTransport Total     IP        IPv6\n");
	tulpen_buf_printf(b, "RAW\t  %-9lld %-9lld %-9lld\n", raw4 + raw6, raw4,
			  raw6);
	tulpen_buf_printf(b, "UDP\t  %-9lld %-9lld %-9lld\n", udp4 + udp6, udp4,
			  udp6);
	tulpen_buf_printf(b, "TCP\t  %-9lld %-9lld %-9lld\n", tcp4 + tcp6, tcp4,
			  tcp6);
	tulpen_buf_printf(b, "INET\t  %-9lld %-9lld %-9lld\n",
			  raw4 + udp4 + tcp4 + raw6 + udp6 + tcp6,
			  raw4 + udp4 + tcp4, raw6 + udp6 + tcp6);
	tulpen_buf_printf(b, "FRAG\t  %-9lld %-9lld %-9lld\n\n", fr4 + fr6, fr4,
			  fr6);
	return b->err;
}

static int format_text(const struct tulpen_summary *sum, struct tulpen_buf *b)
{
	static const char *const fam_name[] = { "IPv4", "IPv6", "UNIX" };
	size_t i;
	int p, fs;

	tulpen_buf_printf(b, "Total: %llu sockets\n\n",
			  (unsigned long long)sum->total);
	tulpen_buf_printf(b, "%-8s %10s %10s %10s %10s\n", "Protocol", "Total",
			  "IPv4", "IPv6", "UNIX");
	for (p = 0; p < TULPEN_P_MAX; p++) {
		uint64_t t = 0;

		if (!(sum->protos & TULPEN_PF(p)))
			continue;
		for (fs = 0; fs < TULPEN_SUM_FAMS; fs++)
			t += sum->sockets[p][fs];
		tulpen_buf_printf(b, "%-8s %10llu", tulpen_proto_name(p),
				  (unsigned long long)t);
		for (fs = 0; fs < TULPEN_SUM_FAMS; fs++) {
			int na =
				(p == TULPEN_P_UNIX) != (fs == TULPEN_SUM_UNIX);

			if (na)
				tulpen_buf_printf(b, " %10s", "-");
			else
				tulpen_buf_printf(b, " %10llu",
						  (unsigned long long)
							  sum->sockets[p][fs]);
		}
		tulpen_buf_putc(b, '\n');
	}
	if (!(sum->protos &
	      (TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_MPTCP))))
		return b->err;
	tulpen_buf_printf(b, "\nTCP states   %10s %10s %10s\n", "Total",
			  fam_name[0], fam_name[1]);
	for (i = 0; i < NSTATES; i++) {
		int st = state_order[i];

		tulpen_buf_printf(b, "%-12s %10llu %10llu %10llu\n",
				  tulpen_state_name(st, TULPEN_STATE_RFC),
				  (unsigned long long)both(sum, st),
				  (unsigned long long)
					  sum->tcp_states[TULPEN_SUM_INET][st],
				  (unsigned long long)sum
					  ->tcp_states[TULPEN_SUM_INET6][st]);
	}
	tulpen_buf_printf(
		b, "%-12s %10llu %10llu %10llu\n", "requests",
		(unsigned long long)both(sum, TULPEN_TCP_NEW_SYN_RECV),
		(unsigned long long)sum
			->tcp_states[TULPEN_SUM_INET][TULPEN_TCP_NEW_SYN_RECV],
		(unsigned long long)sum->tcp_states[TULPEN_SUM_INET6]
						   [TULPEN_TCP_NEW_SYN_RECV]);
	tulpen_buf_puts(b, "(requests: connections still in the handshake, "
			   "SYN-RECEIVED request sockets)\n");
	format_kernel_text(&sum->kernel, b);
	return b->err;
}

static int format_json(const struct tulpen_summary *sum, struct tulpen_buf *b)
{
	static const char *const fam_key[] = { "inet", "inet6", "unix" };
	size_t i;
	int p, fs, first = 1;

	tulpen_buf_printf(b, "{\"total\":%llu,\"protocols\":{",
			  (unsigned long long)sum->total);
	for (p = 0; p < TULPEN_P_MAX; p++) {
		if (!(sum->protos & TULPEN_PF(p)))
			continue;
		tulpen_buf_printf(b, "%s\"%s\":{", first ? "" : ",",
				  tulpen_proto_name(p));
		first = 0;
		for (fs = 0; fs < TULPEN_SUM_FAMS; fs++)
			tulpen_buf_printf(
				b, "%s\"%s\":%llu", fs ? "," : "", fam_key[fs],
				(unsigned long long)sum->sockets[p][fs]);
		tulpen_buf_putc(b, '}');
	}
	tulpen_buf_puts(b, "},\"tcp_states\":{");
	for (i = 0; i < NSTATES; i++) {
		int st = state_order[i];

		tulpen_buf_printf(b, "%s\"%s\":%llu", i ? "," : "",
				  tulpen_state_name(st, TULPEN_STATE_RFC),
				  (unsigned long long)both(sum, st));
	}
	tulpen_buf_printf(
		b, "},\"tcp_requests\":%llu",
		(unsigned long long)both(sum, TULPEN_TCP_NEW_SYN_RECV));
	format_kernel_json(&sum->kernel, b);
	tulpen_buf_puts(b, "}\n");
	return b->err;
}

int tulpen_summary_format(const struct tulpen_summary *sum, int json,
			  struct tulpen_buf *out)
{
	return json ? format_json(sum, out) : format_text(sum, out);
}
