/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tcpstates_common.bpf.h - what every program of tcpstates.bpf.c shares:
 * constants, the loader's settings (no_events: counts only), the ring
 * buffer and its loss counter, and filling an event with a socket's
 * addresses and the current task.
 * Included once, by tcpstates.bpf.c (one BPF object).
 */
#ifndef TULPEN_TCPSTATES_COMMON_BPF_H
#define TULPEN_TCPSTATES_COMMON_BPF_H

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_MPTCP 262

#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_LISTEN 10
#define TCP_FIN_WAIT2 5
#define TCP_TIME_WAIT 6
#define TCP_CLOSE 7
#define TCP_CLOSING 11
#define SOCK_RAW 3
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* Set by the loader before load. */
const volatile __u32 filter_netns = 0; /* 0: every namespace */
const volatile __u64 wakeup_bytes = 0; /* 0: wake up on every event */
/* 1: keep only the counts (tcpstates_counts.bpf.h), send no event. */
const volatile __u8 no_events = 0;
/*
 * Set by the loader once the time-wait programs are attached: only then
 * is a close that hands over to a time-wait socket reported as its move
 * (the time-wait socket's end follows), else as -> CLOSED.
 */
__u8 tw_followed = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* Failed ring buffer reservations, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		*n += 1;
}

static __always_inline __u32 sk_netns(const struct sock_common *skc)
{
	return BPF_CORE_READ(skc, skc_net.net, ns.inum);
}

static __always_inline struct tw_event *ev_reserve(void)
{
	struct tw_event *e;

	if (no_events)
		return NULL;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return NULL;
	}
	e->flags = 0;
	e->parent_cookie = 0;
	e->pid = e->tid = 0;
	e->comm[0] = 0;
	return e;
}

/* This CPU's wake-up decisions: events sent, the last forced wake-up. */
struct tw_wake {
	__u64 sent;
	__u64 woke_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tw_wake);
} wakes SEC(".maps");

/* At most one forced wake-up per CPU in this time. */
#define WAKE_GAP_NS 1000000

/*
 * How to wake the reader: with a threshold, only look at how much is
 * waiting every 16th event of a CPU (that read pulls in the cache line the
 * reader writes), and force a wake-up at most once a millisecond per CPU:
 * each one is an interrupt the CPU sends itself (irq_work; under a
 * hypervisor an exit), and while the reader is behind, and busy, every
 * look finds the threshold passed (that doubled the programs' cost under
 * connection churn). The reader also polls on a timeout.
 */
static __always_inline __u64 wakeup_flags(void)
{
	struct tw_wake *w;
	__u32 zero = 0;
	__u64 now;

	if (!wakeup_bytes)
		return 0;
	w = bpf_map_lookup_elem(&wakes, &zero);
	if (!w || (++w->sent & 15))
		return BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) < wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	now = bpf_ktime_get_ns();
	if (now - w->woke_ns < WAKE_GAP_NS)
		return BPF_RB_NO_WAKEUP;
	w->woke_ns = now;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void ev_submit(struct tw_event *e)
{
	bpf_ringbuf_submit(e, wakeup_flags());
}

static __always_inline void ev_output(struct tw_event *e)
{
	if (no_events)
		return;
	if (bpf_ringbuf_output(&events, e, sizeof(*e), wakeup_flags()))
		count_lost();
}

/*
 * Addresses, ports, family and namespace of a socket. The local port comes
 * from inet_sport (tw_sport): skc_num is
 * cleared when a closing socket releases its port, before the tracepoint fires.
 */
static __always_inline void ev_fill_addr(struct tw_event *e,
					 const struct sock_common *skc, int tw)
{
	e->family = BPF_CORE_READ(skc, skc_family);
	if (tw)
		e->sport = bpf_ntohs(BPF_CORE_READ(
			(struct inet_timewait_sock *)skc, tw_sport));
	else
		e->sport = bpf_ntohs(
			BPF_CORE_READ((struct inet_sock *)skc, inet_sport));
	e->dport = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	e->netns = sk_netns(skc);
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr, skc, skc_v6_rcv_saddr.in6_u);
		BPF_CORE_READ_INTO(&e->daddr, skc, skc_v6_daddr.in6_u);
	} else {
		__builtin_memset(e->saddr, 0, sizeof(e->saddr));
		__builtin_memset(e->daddr, 0, sizeof(e->daddr));
		BPF_CORE_READ_INTO((__u32 *)e->saddr, skc, skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, skc, skc_daddr);
	}
}

/*
 * The same for a full socket we hold a BTF pointer to: direct loads (the
 * verifier turns them into fault-safe loads), no helper call per field.
 */
static __always_inline void ev_fill_addr_sk(struct tw_event *e,
					    const struct sock *sk)
{
	const struct sock_common *skc = &sk->__sk_common;

	e->family = skc->skc_family;
	/* inet_sock lies beyond struct sock: a checked read. */
	e->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	e->dport = bpf_ntohs(skc->skc_dport);
	e->netns = skc->skc_net.net->ns.inum;
	if (e->family == AF_INET6) {
		__u32 *s = (__u32 *)e->saddr, *d = (__u32 *)e->daddr;

		s[0] = skc->skc_v6_rcv_saddr.in6_u.u6_addr32[0];
		s[1] = skc->skc_v6_rcv_saddr.in6_u.u6_addr32[1];
		s[2] = skc->skc_v6_rcv_saddr.in6_u.u6_addr32[2];
		s[3] = skc->skc_v6_rcv_saddr.in6_u.u6_addr32[3];
		d[0] = skc->skc_v6_daddr.in6_u.u6_addr32[0];
		d[1] = skc->skc_v6_daddr.in6_u.u6_addr32[1];
		d[2] = skc->skc_v6_daddr.in6_u.u6_addr32[2];
		d[3] = skc->skc_v6_daddr.in6_u.u6_addr32[3];
	} else {
		__builtin_memset(e->saddr, 0, sizeof(e->saddr));
		__builtin_memset(e->daddr, 0, sizeof(e->daddr));
		*(__u32 *)e->saddr = skc->skc_rcv_saddr;
		*(__u32 *)e->daddr = skc->skc_daddr;
	}
}

/* listen() runs in the listening process: it owns the socket. */
static __always_inline void ev_fill_current(struct tw_event *e)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();

	e->pid = id >> 32;
	e->tid = (__u32)id;
	BPF_CORE_READ_STR_INTO(&e->comm, t, group_leader, comm);
	e->flags |= TW_F_OWNER;
}

#endif /* TULPEN_TCPSTATES_COMMON_BPF_H */
