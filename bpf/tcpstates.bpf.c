// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tcpstates.bpf.c - every TCP state transition, with its time in the old
 * state, the socket's real owner and TIME-WAIT, for `tulpen watch`.
 *
 * Only tracepoints are used (kprobes are not configured on the kernel this
 * was written for, and fentry/fexit programs are refused at load there):
 * - tp_btf/inet_sock_set_state: the kernel's own transitions (TCP, MPTCP).
 *   A connecting socket's held-back SYN-SENT event and connecting task
 *   live in socket local storage, freed with the socket. Times in state
 *   are differences between a socket's events, taken by the reader.
 * - tp_btf/net_dev_queue: the SYN-SENT event is held back until the SYN
 *   leaves (connect() sets SYN-SENT before it picks the local port, so the
 *   tracepoint sees sport 0); and the ACK with which a FIN-WAIT-2
 *   time-wait socket answers the peer's FIN shows its move to TIME-WAIT.
 * - syscalls accept()/accept4(): names the process that accepted a socket.
 * - tp_btf/timer_start, timer_cancel, timer_expire_entry on the time-wait
 *   timer (tw_timer_handler): a time-wait socket takes over (the
 *   tracepoint's following "-> CLOSE" of the full socket is reported as
 *   "-> TIME-WAIT"), and ends (TIME-WAIT -> CLOSED).
 *
 * A failed ring buffer reservation is counted in `lost`, never hidden.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "tcpstates.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_MPTCP 262

#define TCP_SYN_SENT 2
#define TCP_LISTEN 10
#define TCP_FIN_WAIT2 5
#define TCP_TIME_WAIT 6
#define TCP_CLOSE 7
#define SOCK_RAW 3
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by the loader before load. */
const volatile __u32 filter_netns = 0;	/* 0: every namespace */
const volatile __u64 wakeup_bytes = 0;	/* 0: wake up on every event */

extern const void tw_timer_handler __ksym __weak;

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

/*
 * What we keep per connecting socket: its SYN-SENT event, held back until
 * the port is bound. (Times in state are differences between a socket's
 * events, taken by the reader: nothing per socket is needed for them.)
 */
struct sk_state {
	__u64 pend_ts;	   /* a held-back SYN-SENT event (0: none) */
	__u32 pid;	   /* the task that connected */
	__u32 tid;
	char comm[16];
	__u8 pend_old;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sk_state);
} sks SEC(".maps");

/*
 * Cookie of a socket a time-wait socket is replacing right now -> the
 * time-wait socket's substate (consumed by the "-> CLOSE" that follows;
 * LRU so that an entry made for a re-armed time-wait socket we had lost
 * track of cannot pile up).
 */
struct tw_handover {
	__u64 tw;	/* struct inet_timewait_sock * */
	__u8 substate;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct tw_handover);
} tw_pending SEC(".maps");

struct tw_info {
	__u64 cookie;
	__u8 substate;	/* TW_ENDED once its end was reported */
};

/*
 * An ended time-wait socket's entry stays (LRU) marked, so that a second
 * sign of its end (the kernel may cancel a timer that just expired) is
 * not taken for the end of a time-wait socket older than this program.
 */
#define TW_ENDED 0xff

/* Time-wait socket -> cookie of the socket it replaced, substate. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, 262144);
	__type(key, __u64); /* struct inet_timewait_sock * */
	__type(value, struct tw_info);
} tws SEC(".maps");

/*
 * Time-wait sockets still in FIN-WAIT-2, by namespace and ports: when the
 * peer's FIN arrives the kernel moves them to TIME-WAIT and answers with an
 * ACK; that ACK (seen at net_dev_queue) is where the transition becomes
 * visible without kprobes.
 */
struct tw_key {
	__u32 netns;
	__u16 lport;
	__u16 rport;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, 65536);
	__type(key, struct tw_key);
	__type(value, __u64); /* struct inet_timewait_sock * */
} tw_fw2 SEC(".maps");

/* Entries put in tw_fw2 (evictions are not subtracted: only a hint). */
__u64 fw2_tracked = 0;

/*
 * A time-wait timer cancelled on this CPU, not yet known to be an end.
 * __mod_timer() re-arming a pending timer cancels it and starts it again
 * right away, on this CPU, with interrupts off: a timer_start for the same
 * socket as the very next of our events on this CPU means a re-arm. Any
 * other event first means the time-wait socket ended at the cancel (it may
 * be freed by then, so its end event is prepared at the cancel).
 */
struct tw_cancel {
	__u64 tw;	/* struct inet_timewait_sock *, 0: none */
	__u64 cookie;
	struct tw_key key;
	__u8 fw2;	/* it is in tw_fw2 */
	__u8 late;	/* late_ev goes first */
	struct tw_event late_ev;
	struct tw_event ev;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tw_cancel);
} cancels SEC(".maps");

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
	struct tw_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

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

/* Events sent on this CPU (for the wake-up decision). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sent SEC(".maps");

/*
 * How to wake the reader: with a threshold, only look at how much is
 * waiting every 16th event of a CPU (that read pulls in the cache line the
 * reader writes); the reader also polls on a timeout.
 */
static __always_inline __u64 wakeup_flags(void)
{
	__u32 zero = 0;
	__u64 *n;

	if (!wakeup_bytes)
		return 0;
	n = bpf_map_lookup_elem(&sent, &zero);
	if (n && (++*n & 15))
		return BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void ev_submit(struct tw_event *e)
{
	bpf_ringbuf_submit(e, wakeup_flags());
}

static __always_inline void ev_output(struct tw_event *e)
{
	if (bpf_ringbuf_output(&events, e, sizeof(*e), wakeup_flags()))
		count_lost();
}

/*
 * Settle this CPU's pending time-wait cancel: a re-arm of (@tw, @cookie)
 * (returns 1), or the end of the socket it names (reported now, with the
 * time of the cancel).
 */
static __always_inline int settle_cancel(__u64 tw, __u64 cookie)
{
	__u32 zero = 0;
	struct tw_cancel *c = bpf_map_lookup_elem(&cancels, &zero);
	__u64 twkey;

	if (!c || !c->tw)
		return 0;
	twkey = c->tw;
	c->tw = 0;
	if (twkey == tw && c->cookie == cookie)
		return 1;
	if (c->late)
		ev_output(&c->late_ev);
	ev_output(&c->ev);
	{
		struct tw_info *ti = bpf_map_lookup_elem(&tws, &twkey);
		struct tw_info dead = { .cookie = c->ev.cookie,
					.substate = TW_ENDED };

		if (ti)
			ti->substate = TW_ENDED;
		else
			bpf_map_update_elem(&tws, &twkey, &dead, BPF_ANY);
	}
	if (c->fw2)
		bpf_map_delete_elem(&tw_fw2, &c->key);
	return 0;
}

/*
 * Addresses, ports, family and namespace of a socket. The local port comes
 * from inet_sport (tw_sport): skc_num is cleared when a closing socket
 * releases its port, before the tracepoint fires.
 */
static __always_inline void ev_fill_addr(struct tw_event *e,
					 const struct sock_common *skc, int tw)
{
	e->family = BPF_CORE_READ(skc, skc_family);
	if (tw)
		e->sport = bpf_ntohs(BPF_CORE_READ(
			(struct inet_timewait_sock *)skc, tw_sport));
	else
		e->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)skc,
						   inet_sport));
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
	e->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk,
					   inet_sport));
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

static __always_inline void emit_state(const struct sock *sk, __u64 cookie,
				       __u64 ts, int oldstate, int newstate,
				       __u8 flags)
{
	struct tw_event *e = ev_reserve();

	if (!e)
		return;
	e->type = TW_EV_STATE;
	e->ts_ns = ts;
	e->cookie = cookie;
	e->in_old_ns = TW_NO_TIME;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->flags = flags;
	e->protocol = sk->sk_protocol;
	ev_fill_addr_sk(e, sk);
	if (newstate == TCP_LISTEN)
		ev_fill_current(e);
	/* Byte counts die with the full socket: read them at its end. */
	if ((newstate == TCP_CLOSE || (flags & TW_F_TIMEWAIT)) &&
	    e->protocol == IPPROTO_TCP) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);

		if (tp) {
			e->bytes_acked = tp->bytes_acked;
			e->bytes_received = tp->bytes_received;
			e->flags |= TW_F_BYTES;
		}
	}
	ev_submit(e);
}

/* Send the SYN-SENT event held back in @st, now that the port is bound. */
static __always_inline void flush_connect(const struct sock *sk,
					  struct sk_state *st, __u64 cookie)
{
	struct tw_event *e;

	if (!st->pend_ts)
		return;
	e = ev_reserve();
	if (e) {
		e->type = TW_EV_STATE;
		e->ts_ns = st->pend_ts;
		e->cookie = cookie;
		e->in_old_ns = TW_NO_TIME;
		e->oldstate = st->pend_old;
		e->newstate = TCP_SYN_SENT;
		e->flags = TW_F_OWNER;
		e->pid = st->pid;
		e->tid = st->tid;
		__builtin_memcpy(e->comm, st->comm, sizeof(e->comm));
		e->protocol = sk->sk_protocol;
		ev_fill_addr_sk(e, sk);
		ev_submit(e);
	}
	st->pend_ts = 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_set_state, struct sock *sk, int oldstate, int newstate)
{
	__u16 proto = sk->sk_protocol;
	__u64 now = bpf_ktime_get_ns(), cookie;
	struct sk_state *st;

	settle_cancel(0, 0);
	if (proto != IPPROTO_TCP && proto != IPPROTO_MPTCP)
		return 0;
	if (filter_netns && sk->__sk_common.skc_net.net->ns.inum !=
			    filter_netns)
		return 0;
	cookie = bpf_get_socket_cookie(sk);

	if (oldstate == TCP_SYN_SENT) {
		st = bpf_sk_storage_get(&sks, sk, 0, 0);
		if (st)
			flush_connect(sk, st, cookie);
	} else if (newstate == TCP_CLOSE) {
		struct tw_handover *h = bpf_map_lookup_elem(&tw_pending,
							    &cookie);

		if (h) {
			/*
			 * A time-wait socket took over: not a close. (An
			 * orphaned FIN-WAIT-2 socket stays in FIN-WAIT-2;
			 * the event then only carries the byte counts.)
			 */
			int tw_state = h->substate;

			bpf_map_delete_elem(&tw_pending, &cookie);
			emit_state(sk, cookie, now, oldstate, tw_state,
				   TW_F_TIMEWAIT);
			return 0;
		}
	}

	if (newstate == TCP_SYN_SENT) {
		/* sport is still 0 here: wait for the SYN to leave. */
		struct task_struct *t =
			(struct task_struct *)bpf_get_current_task();
		__u64 id = bpf_get_current_pid_tgid();

		st = bpf_sk_storage_get(&sks, sk, 0,
					BPF_SK_STORAGE_GET_F_CREATE);
		if (st) {
			st->pend_ts = now;
			st->pend_old = oldstate;
			st->pid = id >> 32;
			st->tid = (__u32)id;
			BPF_CORE_READ_STR_INTO(&st->comm, t, group_leader,
					       comm);
			return 0;
		}
	}
	emit_state(sk, cookie, now, oldstate, newstate, 0);
	return 0;
}


/* The socket behind file descriptor @fd of the current process. */
static __always_inline struct sock *fd_to_sock(long fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds, *f = NULL;
	struct socket *so;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), fds + fd) || !f)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	if (!so)
		return NULL;
	return BPF_CORE_READ(so, sk);
}

static __always_inline int accept_exit(long fd)
{
	struct task_struct *t;
	struct tw_event *e;
	struct sock *sk;
	__u64 id;
	__u16 proto;

	settle_cancel(0, 0);
	if (fd < 0)
		return 0;
	sk = fd_to_sock(fd);
	if (!sk)
		return 0;
	proto = BPF_CORE_READ(sk, sk_protocol);
	if (proto != IPPROTO_TCP && proto != IPPROTO_MPTCP)
		return 0;
	if (filter_netns && sk_netns(&sk->__sk_common) != filter_netns)
		return 0;
	e = ev_reserve();
	if (!e)
		return 0;
	e->type = TW_EV_OWNER;
	e->ts_ns = bpf_ktime_get_ns();
	/* Set by our tracepoint when the socket was created. */
	e->cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	e->in_old_ns = TW_NO_TIME;
	e->protocol = proto;
	e->oldstate = e->newstate = BPF_CORE_READ(sk, __sk_common.skc_state);
	ev_fill_addr(e, &sk->__sk_common, 0);
	t = (struct task_struct *)bpf_get_current_task();
	id = bpf_get_current_pid_tgid();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	BPF_CORE_READ_STR_INTO(&e->comm, t, group_leader, comm);
	e->flags |= TW_F_OWNER;
	ev_submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int on_accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int on_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return accept_exit(ctx->ret);
}

/* The time-wait socket of a time-wait timer, or NULL for other timers. */
static __always_inline struct inet_timewait_sock *
timer_tw(struct timer_list *timer)
{
	if (!&tw_timer_handler)
		return NULL;
	if ((void *)timer->function != &tw_timer_handler)
		return NULL;
	return (void *)timer -
	       bpf_core_field_offset(struct inet_timewait_sock, tw_timer);
}

static __always_inline struct tw_key tw_key_of(struct inet_timewait_sock *tw)
{
	struct tw_key k = {
		.netns = sk_netns(&tw->__tw_common),
		.lport = bpf_ntohs(BPF_CORE_READ(tw, tw_sport)),
		.rport = bpf_ntohs(BPF_CORE_READ(tw, __tw_common.skc_dport)),
	};

	return k;
}

/* Fill @e with a transition of a time-wait socket. */
static __always_inline void tw_fill(struct tw_event *e,
				    struct inet_timewait_sock *tw, __u64 cookie,
				    __u64 now, int oldstate, int newstate,
				    __u8 flags)
{
	e->type = TW_EV_STATE;
	e->ts_ns = now;
	e->cookie = cookie;
	e->in_old_ns = TW_NO_TIME;
	e->parent_cookie = 0;
	e->pid = e->tid = 0;
	e->comm[0] = 0;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->protocol = IPPROTO_TCP;
	e->flags = TW_F_TIMEWAIT | flags;
	ev_fill_addr(e, &tw->__tw_common, 1);
}

/* Emit a transition of a time-wait socket. */
static __always_inline void emit_tw(struct inet_timewait_sock *tw,
				    __u64 cookie, __u64 now, int oldstate,
				    int newstate, __u8 flags)
{
	struct tw_event *e = ev_reserve();

	if (!e)
		return;
	tw_fill(e, tw, cookie, now, oldstate, newstate, flags);
	ev_submit(e);
}

/* Record a substate change of a tracked time-wait socket and emit it. */
static __always_inline void tw_moved(struct inet_timewait_sock *tw,
				     struct tw_info *ti, __u8 sub)
{
	emit_tw(tw, ti->cookie, bpf_ktime_get_ns(), ti->substate, sub, 0);
	ti->substate = sub;
}

/* A time-wait timer was armed: a new time-wait socket, or re-armed. */
SEC("tp_btf/timer_start")
int BPF_PROG(on_timer_start, struct timer_list *timer)
{
	struct inet_timewait_sock *tw = timer_tw(timer);
	__u64 twkey = (__u64)tw;
	struct tw_info *ti, nti = {};
	__u8 sub;

	if (!tw) {
		settle_cancel(0, 0);
		return 0;
	}
	settle_cancel(twkey, BPF_CORE_READ(tw, __tw_common.skc_cookie.counter));
	sub = BPF_CORE_READ(tw, tw_substate);
	ti = bpf_map_lookup_elem(&tws, &twkey);
	if (ti && ti->substate != TW_ENDED) {
		if (sub != ti->substate) {
			struct tw_key k = tw_key_of(tw);

			tw_moved(tw, ti, sub);
			bpf_map_delete_elem(&tw_fw2, &k);
		}
		return 0;
	}
	if (filter_netns && sk_netns(&tw->__tw_common) != filter_netns)
		return 0;
	/* The cookie was copied from the full socket it replaces. */
	nti.cookie = BPF_CORE_READ(tw, __tw_common.skc_cookie.counter);
	nti.substate = sub;
	bpf_map_update_elem(&tws, &twkey, &nti, BPF_ANY);
	{
		struct tw_handover h = { .tw = twkey, .substate = sub };

		bpf_map_update_elem(&tw_pending, &nti.cookie, &h, BPF_ANY);
	}
	if (sub == TCP_FIN_WAIT2) {
		struct tw_key k = tw_key_of(tw);

		bpf_map_update_elem(&tw_fw2, &k, &twkey, BPF_ANY);
		__sync_fetch_and_add(&fw2_tracked, 1);
	}
	return 0;
}

/*
 * The time-wait socket ends: TIME-WAIT (or FIN-WAIT-2) -> CLOSED, into
 * @c (prepared, for a cancel) or emitted now (@c NULL).
 */
static __always_inline void tw_end(struct inet_timewait_sock *tw,
				   struct tw_cancel *c)
{
	__u64 twkey = (__u64)tw, now = bpf_ktime_get_ns();
	struct tw_info *ti = bpf_map_lookup_elem(&tws, &twkey);
	__u8 sub = BPF_CORE_READ(tw, tw_substate), late = 0, fw2 = 0;
	__u64 cookie;

	if (ti && ti->substate == TW_ENDED)
		return; /* already reported */
	if (ti) {
		cookie = ti->cookie;
		fw2 = ti->substate == TCP_FIN_WAIT2;
		/* A FIN that arrived unseen: reported late, untimed. */
		late = sub != ti->substate;
		if (late) {
			if (c)
				tw_fill(&c->late_ev, tw, cookie, now,
					ti->substate, sub, TW_F_LATE);
			else
				emit_tw(tw, cookie, now, ti->substate, sub,
					TW_F_LATE);
		}
	} else {
		/* A time-wait socket older than this program. */
		if (filter_netns &&
		    sk_netns(&tw->__tw_common) != filter_netns)
			return;
		cookie = BPF_CORE_READ(tw, __tw_common.skc_cookie.counter);
	}
	if (c) {
		tw_fill(&c->ev, tw, cookie, now, sub, TCP_CLOSE, 0);
		c->late = late;
		c->fw2 = fw2;
		c->key = tw_key_of(tw);
		c->cookie = BPF_CORE_READ(tw, __tw_common.skc_cookie.counter);
		c->tw = twkey;
		return;
	}
	emit_tw(tw, cookie, now, sub, TCP_CLOSE, 0);
	if (ti) {
		if (fw2) {
			struct tw_key k = tw_key_of(tw);

			bpf_map_delete_elem(&tw_fw2, &k);
		}
		ti->substate = TW_ENDED;
	} else {
		struct tw_info dead = { .cookie = cookie,
					.substate = TW_ENDED };

		bpf_map_update_elem(&tws, &twkey, &dead, BPF_ANY);
	}
}

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(on_timer_expire, struct timer_list *timer)
{
	struct inet_timewait_sock *tw = timer_tw(timer);

	settle_cancel(0, 0);
	if (tw)
		tw_end(tw, NULL);
	return 0;
}

SEC("tp_btf/timer_cancel")
int BPF_PROG(on_timer_cancel, struct timer_list *timer)
{
	struct inet_timewait_sock *tw = timer_tw(timer);
	__u32 zero = 0;
	struct tw_cancel *c;

	settle_cancel(0, 0);
	if (!tw)
		return 0;
	/* An end, or a re-arm (see struct tw_cancel): decided later. */
	c = bpf_map_lookup_elem(&cancels, &zero);
	if (c)
		tw_end(tw, c);
	return 0;
}

/* A FIN-WAIT-2 time-wait socket's ACK to the peer's FIN (see tw_fw2). */
static __always_inline int tw_ack(struct sk_buff *skb)
{
	struct tw_key k = {};
	struct inet_timewait_sock *tw;
	struct tw_info *ti;
	unsigned char *head;
	__u16 nh, ports[2];
	__u8 b0, proto, flags, sub;
	__u64 *twp, twkey;
	__u32 tcp_off;

	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	if (bpf_probe_read_kernel(&b0, 1, head + nh))
		return 0;
	if ((b0 >> 4) == 4) {
		if (bpf_probe_read_kernel(&proto, 1, head + nh + 9))
			return 0;
		tcp_off = nh + (b0 & 0xf) * 4;
	} else if ((b0 >> 4) == 6) {
		if (bpf_probe_read_kernel(&proto, 1, head + nh + 6))
			return 0;
		tcp_off = nh + 40;
	} else {
		return 0;
	}
	if (proto != IPPROTO_TCP)
		return 0;
	if (bpf_probe_read_kernel(ports, sizeof(ports), head + tcp_off) ||
	    bpf_probe_read_kernel(&flags, 1, head + tcp_off + 13))
		return 0;
	if (!(flags & TH_ACK) || (flags & (TH_RST | TH_SYN)))
		return 0;
	k.netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	k.lport = bpf_ntohs(ports[0]);
	k.rport = bpf_ntohs(ports[1]);
	twp = bpf_map_lookup_elem(&tw_fw2, &k);
	if (!twp)
		return 0;
	twkey = *twp;
	tw = (struct inet_timewait_sock *)twkey;
	ti = bpf_map_lookup_elem(&tws, &twkey);
	sub = BPF_CORE_READ(tw, tw_substate);
	if (ti && ti->substate == TCP_FIN_WAIT2 && sub == TCP_TIME_WAIT) {
		tw_moved(tw, ti, sub);
		bpf_map_delete_elem(&tw_fw2, &k);
	}
	return 0;
}

/*
 * Every outgoing packet passes here; most leave after two loads. Two
 * kinds matter: a connecting socket's SYN (its port is bound now: send the
 * held-back SYN-SENT event), and an ACK from the kernel's control socket
 * (SOCK_RAW), from a time-wait socket or, for IPv6, from no socket.
 */
SEC("tp_btf/net_dev_queue")
int BPF_PROG(on_xmit, struct sk_buff *skb)
{
	struct sock *sk = skb->sk;
	struct sk_state *st;
	__u8 state;

	settle_cancel(0, 0);
	if (sk) {
		state = sk->__sk_common.skc_state;
		if (state == TCP_SYN_SENT) {
			st = bpf_sk_storage_get(&sks, sk, 0, 0);
			/* The cookie was made at the SYN-SENT transition. */
			if (st && st->pend_ts)
				flush_connect(sk, st, BPF_CORE_READ(sk,
					__sk_common.skc_cookie.counter));
			return 0;
		}
		if (state != TCP_TIME_WAIT && sk->sk_type != SOCK_RAW)
			return 0;
	}
	if (!fw2_tracked)
		return 0;
	return tw_ack(skb);
}
