// SPDX-License-Identifier: MIT
/*
 * pcap_pipeline.c - tulpen_flows_segments(): a batch of segments through
 * the connection table (pcap_flows.c), the connections of the later ones
 * fetched into the cache while the earlier ones are worked on.
 */
#include <errno.h>

#include "pcap/pcap_table.h"

/*
 * A batch is worked through as a pipeline for its SYNs: a SYN may find
 * the connection before it on its 4-tuple lingering and hand it out, and
 * a busy capture's connections outnumber the cache, so that one is cold
 * (a miss costs up to a microsecond on a virtual machine). Ahead of the
 * segment processed, in stages (more prefetches at once than the core has
 * line fill buffers are dropped): PIPE_SLOT segments ahead, the hash slots
 * of a SYN's key are fetched into the cache; PIPE_A ahead, the header of
 * the connection the slot names and Zeek's view of each side; PIPE_B, its
 * tentatives and each side's counters; PIPE_C, its neighbours on its list
 * and its conn_state and history. Other segments mostly find their
 * connection warm (the packets of a connection come close together). Only
 * hints: what is looked up ahead may change before its segment comes.
 */
#define PIPE_SLOT 32
#define PIPE_A 24
#define PIPE_B 16
#define PIPE_C 8

static int is_syn(const struct tulpen_pkt *p)
{
	return (p->flags & TULPEN_TH_SYN) != 0;
}

static void pipe_slot(const struct tulpen_flows *f, const struct seg_key *sk)
{
	tulpen_hash_prefetch_h(&f->table, sk->h);
	if (f->use_ho)
		tulpen_hash_prefetch_h(&f->ho.table, sk->h);
}

static void pipe_a(const struct tulpen_flows *f, const struct seg_key *sk)
{
	const struct flow *fl = pcap_flow_find(f, &sk->k, sk->h);

	if (!fl)
		return;
	__builtin_prefetch(fl);
	__builtin_prefetch(&fl->zeek.s[0].has_start);
	__builtin_prefetch(&fl->zeek.s[1].has_start);
}

static void pipe_b(const struct tulpen_flows *f, const struct seg_key *sk)
{
	const struct flow *fl = pcap_flow_find(f, &sk->k, sk->h);

	if (!fl)
		return;
	__builtin_prefetch(&fl->tent[0]);
	__builtin_prefetch(&fl->c.side[0].ep);
	__builtin_prefetch(&fl->c.side[1].ep);
}

static void pipe_c(const struct tulpen_flows *f, const struct seg_key *sk)
{
	const struct flow *fl = pcap_flow_find(f, &sk->k, sk->h);

	if (!fl || fl->e.list != FL_DONE)
		return;
	__builtin_prefetch(fl->e.prev);
	__builtin_prefetch(fl->e.next);
	__builtin_prefetch(fl->c.conn_state);
	__builtin_prefetch(fl->zeek.hist_in);
}

/* How far ahead each stage works, and the stage. */
static const size_t pipe_ahead[] = { PIPE_SLOT, PIPE_A, PIPE_B, PIPE_C };

static void pipe_run(const struct tulpen_flows *f, size_t stage,
		     const struct tulpen_pkt *p, const struct seg_key *sk)
{
	if (!is_syn(p))
		return;
	switch (stage) {
	case 0:
		pipe_slot(f, sk);
		break;
	case 1:
		pipe_a(f, sk);
		break;
	case 2:
		pipe_b(f, sk);
		break;
	default:
		pipe_c(f, sk);
		break;
	}
}

int tulpen_flows_segments(struct tulpen_flows *f, const struct tulpen_pkt *p,
			  size_t n, uint32_t file)
{
	struct seg_key sk[TULPEN_FLOWS_BATCH];
	size_t i, k;
	int ret;

	if (n > TULPEN_FLOWS_BATCH)
		return -EINVAL;
	for (i = 0; i < n; i++)
		sk[i].h = pcap_flow_key(&p[i], &sk[i].k, &sk[i].a_is_src);
	/* the first ones, before the first is processed */
	for (k = 0; k < 4; k++)
		for (i = 0; i < pipe_ahead[k] && i < n; i++)
			pipe_run(f, k, &p[i], &sk[i]);
	for (i = 0; i < n; i++) {
		for (k = 0; k < 4; k++)
			if (i + pipe_ahead[k] < n)
				pipe_run(f, k, &p[i + pipe_ahead[k]],
					 &sk[i + pipe_ahead[k]]);
		if ((ret = pcap_flows_seg(f, &p[i], file, &sk[i])))
			return ret;
	}
	return 0;
}
