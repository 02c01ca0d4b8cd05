/* SPDX-License-Identifier: MIT */
/*
 * pcap/pcap_table.h - the connection table's state, shared by
 * pcap_flows.c (segments in, connections out) and pcap_flows_end.c (its
 * life and the end of the input). Not installed.
 */
#ifndef TULPEN_PCAP_TABLE_H
#define TULPEN_PCAP_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "pcap/pcap_arena.h"
#include "pcap/pcap_flow.h"
#include "pcap/pcap_halfopen.h"

/* Zeek's tcp_attempt_delay: an unanswered SYN ends 5 s after it. */
#define ZEEK_ATTEMPT_NS (5 * NS_PER_S)
/* Zeek's tcp_close_delay (and tcp_reset_delay). */
#define ZEEK_CLOSE_NS (5 * NS_PER_S)

struct flow_list {
	struct entry *head, *tail;
};

struct tulpen_flows {
	/* The library's hash table: 4-tuple -> struct flow *. */
	struct tulpen_hash table;
	struct flow_list lists[3]; /* enum flow_list_id */
	struct flow *free_list;	   /* malloc()ed spares */
	size_t nfree;
	struct pcap_arena arena;     /* most records: huge-page chunks */
	struct tentative *free_tent; /* tentative records to reuse */
	size_t tent_allocs;	     /* tentative records allocated */
	/* connections seen only by their SYN (not with compat_zeek) */
	struct halfopen ho;
	int use_ho;
	uint64_t replay_id;  /* the id flow_new() gives (0: a new one) */
	int promoting;	     /* replaying a compact record's SYN */
	int finishing;	     /* tulpen_flows_finish(): nothing evicted */
	uint64_t max_memory; /* the budget, bytes */
	/* The entry of the previous segment: packets come in trains. */
	struct entry *last_e;
	tulpen_conn_fn cb;
	void *priv;
	int64_t idle_ns, linger_ns;
	int compat, ignore_checksums;
	int64_t now;
	uint64_t next_id;
	uint32_t file;
	/*
	 * tulpen_fsm_step() answers, remembered: a pure function of the
	 * state, the event kind, the SYN/ACK/FIN/RST flags and the
	 * conditions, looked up in a table scan; twice per segment that
	 * was a quarter of the run time. 0: not asked yet, else state + 1.
	 */
	pcap_fsm_memo fsm_memo;
	struct tulpen_flows_stats st;
};

/* What the table holds, in bytes (the budget's measure). */
uint64_t pcap_flows_memory(const struct tulpen_flows *f);
/* Fill in the derived fields, hand the connection out, free it. */
int pcap_flow_emit(struct tulpen_flows *f, struct flow *fl, int end);
/* Hand out a compact record as a connection, for @end. */
int pcap_emit_compact(struct tulpen_flows *f, const struct flow_key *k,
		      const struct syn_rec *r, int end);

#endif /* TULPEN_PCAP_TABLE_H */
