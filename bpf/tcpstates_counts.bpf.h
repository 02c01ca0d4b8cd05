/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tcpstates_counts.bpf.h - the counts kept in the kernel (struct
 * tw_counts of tcpstates.h, per CPU): every transition the programs
 * report, counted before (and whether or not) it goes into the ring
 * buffer, and a log2 histogram of socket lifetimes. Read by the loader
 * at any time (a scrape of `tulpen serve`, the end of `tulpen watch
 * --summary`): nothing per event crosses to user space. Included once,
 * by tcpstates.bpf.c, after tcpstates_common.bpf.h.
 */
#ifndef TULPEN_TCPSTATES_COUNTS_BPF_H
#define TULPEN_TCPSTATES_COUNTS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tw_counts);
} counts SEC(".maps");

/*
 * Count one transition. Atomic although per CPU: a program in softirq
 * (a timer's expiry, a segment's arrival) can interrupt another of ours
 * in process context on the same CPU.
 */
static __always_inline void count_transition(int oldstate, int newstate)
{
	__u32 zero = 0, i;
	struct tw_counts *c;

	if (oldstate == newstate)
		return;
	if ((__u32)oldstate >= TW_NSTATES || (__u32)newstate >= TW_NSTATES)
		return;
	c = bpf_map_lookup_elem(&counts, &zero);
	if (!c)
		return;
	i = (__u32)oldstate * TW_NSTATES + (__u32)newstate;
	/* Keep the bound where the verifier sees it. */
	barrier_var(i);
	if (i >= TW_NSTATES * TW_NSTATES)
		return;
	__sync_fetch_and_add(&c->trans[i], 1);
}

/* floor(log2(v)) + 1 for v > 0, 0 for 0: the slot of v microseconds. */
static __always_inline __u32 dur_slot(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1) {
		v >>= 1;
		r += 1;
	}
	return r + (__u32)v;
}

/* A socket born at @birth_ns closed at @now_ns. */
static __always_inline void count_lifetime(__u64 birth_ns, __u64 now_ns)
{
	__u64 d = now_ns > birth_ns ? now_ns - birth_ns : 0;
	__u32 zero = 0, slot;
	struct tw_counts *c;

	c = bpf_map_lookup_elem(&counts, &zero);
	if (!c)
		return;
	slot = dur_slot(d / 1000);
	if (slot > TW_DUR_SLOTS - 1)
		slot = TW_DUR_SLOTS - 1;
	barrier_var(slot);
	if (slot >= TW_DUR_SLOTS)
		return;
	__sync_fetch_and_add(&c->dur[slot], 1);
	__sync_fetch_and_add(&c->dur_sum_ns, d);
}

/*
 * Counts only: each TCP socket's birth time (bpf_ktime_get_ns), by the
 * socket's address, from its birth to its close. A hash map allocated as
 * it fills rather than socket storage, which costs an allocation for the
 * storage and one for the element at every birth, and an RCU-deferred
 * free of both at every socket's destruction (about 0.8 us per
 * connection more under the churn bench). The loader sizes it
 * (TW_BIRTHS_MAX, 1 without counts only). A birth that finds it full is
 * counted in dur_untracked, its lifetime left out. An entry left behind
 * by a skipped run (counted in missed) is replaced by the next socket
 * born at that address; a close only counts a lifetime from a state a
 * born socket can be in.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TW_BIRTHS_MAX);
	__type(key, __u64); /* struct sock * */
	__type(value, __u64);
} births SEC(".maps");

/* A birth the table had no room for (its lifetime is not counted). */
static __always_inline void count_untracked(void)
{
	struct tw_counts *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&counts, &zero);
	if (c)
		__sync_fetch_and_add(&c->dur_untracked, 1);
}

/* Counts only: @sk born (SYN-SENT, a child's SYN-RECEIVED) or closed. */
static __always_inline void count_birth_close(const struct sock *sk,
					      int oldstate, int newstate)
{
	__u64 key = (__u64)sk, now, *birth;

	if (newstate == TCP_SYN_SENT ||
	    (newstate == TCP_SYN_RECV && oldstate == TCP_LISTEN)) {
		now = bpf_ktime_get_ns();
		if (bpf_map_update_elem(&births, &key, &now, BPF_ANY))
			count_untracked();
		return;
	}
	if (newstate != TCP_CLOSE)
		return;
	birth = bpf_map_lookup_elem(&births, &key);
	if (!birth)
		return;
	if (oldstate != TCP_LISTEN && oldstate != TCP_CLOSE)
		count_lifetime(*birth, bpf_ktime_get_ns());
	bpf_map_delete_elem(&births, &key);
}

#endif /* TULPEN_TCPSTATES_COUNTS_BPF_H */
