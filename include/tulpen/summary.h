/* SPDX-License-Identifier: MIT */
/*
 * tulpen/summary.h - socket counts (-s): per protocol and family, and for
 * TCP per state, with request sockets (SYN-RECEIVED) counted apart.
 *
 * Ownership: struct tulpen_summary is a plain value the caller owns.
 */
#ifndef TULPEN_SUMMARY_H
#define TULPEN_SUMMARY_H

#include <stdint.h>
#include "tulpen/collect.h"
#include "tulpen/fmt.h"
#include "tulpen/state.h"

/* Family slots in the tables below. */
enum { TULPEN_SUM_INET, TULPEN_SUM_INET6, TULPEN_SUM_UNIX, TULPEN_SUM_FAMS };

/*
 * What the kernel counts itself (/proc/net/sockstat, sockstat6, snmp,
 * netstat), as ss -s shows it; each group has its have_ flag.
 */
struct tulpen_kernel_stats {
	int have_sockstat, have_sockstat6, have_estab, have_listen;
	uint64_t sockets_used;
	uint64_t tcp_inuse, tcp_orphan, tcp_tw, tcp_alloc, tcp_mem_pages;
	uint64_t udp_inuse, udp_mem_pages, udplite_inuse, raw_inuse;
	uint64_t frag_inuse, frag_memory;
	uint64_t tcp6_inuse, udp6_inuse, udplite6_inuse, raw6_inuse;
	uint64_t frag6_inuse, frag6_memory;
	uint64_t curr_estab;			 /* snmp Tcp CurrEstab */
	uint64_t listen_overflows, listen_drops; /* netstat TcpExt */
	uint64_t page_size;
};

/* Read @k from the context's proc root (what is missing stays unset). */
int tulpen_kernel_stats_read(struct tulpen_ctx *ctx,
			     struct tulpen_kernel_stats *k);
/* `ss -s` byte for byte from @k. */
int tulpen_kernel_stats_format_ss(const struct tulpen_kernel_stats *k,
				  struct tulpen_buf *out);

struct tulpen_summary {
	uint64_t total;
	uint64_t sockets[TULPEN_P_MAX][TULPEN_SUM_FAMS];
	/* TCP and MPTCP by state; [TULPEN_TCP_NEW_SYN_RECV] = requests */
	uint64_t tcp_states[TULPEN_SUM_FAMS][TULPEN_TCP_MAX_STATES];
	uint32_t protos; /* which protocols were counted */
	struct tulpen_kernel_stats
		kernel; /* filled by tulpen_summary_collect */
};

/* Count every socket @q selects (its state mask is used as given). */
int tulpen_summary_collect(struct tulpen_ctx *ctx, const struct tulpen_query *q,
			   struct tulpen_summary *sum);

/* Add one socket to @sum. */
void tulpen_summary_add(struct tulpen_summary *sum,
			const struct tulpen_sock *s);

/* Text for people (@json = 0) or one JSON object (@json = 1). */
int tulpen_summary_format(const struct tulpen_summary *sum, int json,
			  struct tulpen_buf *out);

/*
 * `netstat -s` byte for byte: the kernel's counters of /proc/net/snmp and
 * /proc/net/netstat, or with TULPEN_SNMP_INET6 those of /proc/net/snmp6
 * and snmp's Tcp section, read from the context's proc root. The
 * protocol flags choose sections as netstat's -w, -t, -u do (sections
 * netstat does not know print always). A missing file is a note.
 */
enum {
	TULPEN_SNMP_RAW = 1 << 0,   /* Ip, Icmp, Ip6, Icmp6 */
	TULPEN_SNMP_TCP = 1 << 1,   /* Tcp, TcpExt */
	TULPEN_SNMP_UDP = 1 << 2,   /* Udp, Udp6 */
	TULPEN_SNMP_INET6 = 1 << 3, /* snmp6 instead of snmp and netstat */
};
int tulpen_snmp_format_netstat(struct tulpen_ctx *ctx, unsigned int flags,
			       struct tulpen_buf *out);

#endif /* TULPEN_SUMMARY_H */
