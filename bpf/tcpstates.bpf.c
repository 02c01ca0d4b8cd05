// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tcpstates.bpf.c - every TCP state transition, with its time in the old
 * state, the socket's real owner and TIME-WAIT, for `tulpen watch`.
 *
 * Only BTF tracepoints are used: they need neither tracefs nor kprobes
 * (kprobes are not configured on the kernel this was written for, and
 * fentry/fexit programs are refused at load there), so the program
 * attaches on a machine without /sys/kernel/tracing and under
 * `ip netns exec`:
 * - tp_btf/inet_sock_set_state: the kernel's own transitions (TCP, MPTCP).
 *   A connecting socket's held-back SYN-SENT event and connecting task
 *   live in a hash map by socket (sks), from birth to close. Times in
 *   state are differences between a socket's events, taken by the
 *   reader. A close that hands over to a time-wait socket (handover())
 *   is reported as "-> TIME-WAIT" (or "-> FIN-WAIT-2").
 * - tp_btf/net_dev_queue: the SYN-SENT event is held back until the SYN
 *   leaves (connect() sets SYN-SENT before it picks the local port, so the
 *   tracepoint sees sport 0); and the ACK with which a FIN-WAIT-2
 *   time-wait socket answers the peer's FIN shows its move to TIME-WAIT.
 * - tp_btf/sys_exit (raw_syscalls), filtered on the syscall number of
 *   accept() and accept4() for the target architecture: names the process
 *   that accepted a socket.
 * - tp_btf/timer_start, timer_cancel, timer_expire_entry on the time-wait
 *   timer (tw_timer_handler): a time-wait socket starts, moves on and
 *   ends (TIME-WAIT -> CLOSED); see tcpstates_tw.bpf.h.
 *
 * The loader (lib/watch/watch_bpf.c) attaches each program on its own:
 * only on_set_state is required; without the others a part is missing
 * (owners of accepted sockets, TIME-WAIT, ports of SYN-SENT), and it says
 * which.
 *
 * A failed ring buffer reservation is counted in `lost`, never hidden.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "tcpstates.h"

#include "tcpstates_common.bpf.h"
#include "tcpstates_counts.bpf.h"
#include "tcpstates_tw.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/*
 * What we keep per connection, from its birth to its close: the birth,
 * for the lifetime histogram, and a connecting socket's SYN-SENT event,
 * held back until the port is bound. (Times in state are differences
 * between a socket's events, taken by the reader: nothing per socket is
 * needed for them.) By the socket's address in a hash map allocated as it
 * fills, as the counts keep births (tcpstates_counts.bpf.h, which says
 * why not socket storage); deleted at the close. A birth that finds it
 * full is counted untracked, and its SYN-SENT event is sent at once (with
 * the local port still 0).
 */
struct sk_state {
	__u64 pend_ts; /* a held-back SYN-SENT event (0: none) */
	__u32 pid;     /* the task that connected */
	__u32 tid;
	char comm[16];
	__u8 pend_old;
	__u64 birth_ns; /* SYN-SENT, or a child's SYN-RECEIVED (0: unseen) */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TW_BIRTHS_MAX);
	__type(key, __u64); /* struct sock * */
	__type(value, struct sk_state);
} sks SEC(".maps");

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

/*
 * The socket's birth (a connect, or a listener's child) and its close:
 * the lifetime histogram (tcpstates_counts.bpf.h; TCP sockets only, @tcp).
 * Returns the socket's storage when it has one.
 */
static __always_inline struct sk_state *
lifetime(struct sock *sk, __u64 now, int oldstate, int newstate, int tcp)
{
	struct sk_state *st, fresh = {};
	__u64 key = (__u64)sk;

	if (newstate == TCP_SYN_SENT ||
	    (newstate == TCP_SYN_RECV && oldstate == TCP_LISTEN)) {
		fresh.birth_ns = now;
		if (bpf_map_update_elem(&sks, &key, &fresh, BPF_ANY)) {
			count_untracked();
			return NULL;
		}
		return bpf_map_lookup_elem(&sks, &key);
	}
	/* Leaving SYN-SENT: a held-back event to send. */
	if (newstate != TCP_CLOSE && oldstate != TCP_SYN_SENT)
		return NULL;
	st = bpf_map_lookup_elem(&sks, &key);
	/* (An entry a skipped run left behind: see count_birth_close().) */
	if (st && tcp && newstate == TCP_CLOSE && st->birth_ns &&
	    oldstate != TCP_LISTEN && oldstate != TCP_CLOSE) {
		count_lifetime(st->birth_ns, now);
		st->birth_ns = 0;
	}
	return st;
}

/*
 * Counts only: what a close of a socket in @oldstate is. A time-wait
 * socket that takes over (tcp_time_wait()) has replaced it in the
 * established hash before the close, so the closing socket is unhashed
 * at the tracepoint, which an ordinary close (a reset, a timeout, no
 * time-wait socket to be had) is not yet; the time-wait socket starts in
 * TIME-WAIT when the peer's FIN had arrived (SOCK_DONE), else in
 * FIN-WAIT-2.
 */
static __always_inline int handover(const struct sock *sk, int oldstate)
{
	if (oldstate != TCP_FIN_WAIT2 && oldstate != TCP_CLOSING)
		return TCP_CLOSE;
	if (sk->__sk_common.skc_nulls_node.pprev)
		return TCP_CLOSE;
	/* tcp_fin() marks a socket SOCK_DONE (close() shuts down both ways) */
	return (sk->__sk_common.skc_flags & (1ul << SOCK_DONE)) ? TCP_TIME_WAIT
								: TCP_FIN_WAIT2;
}

/*
 * Counts only: the transition (a close that hands over to a time-wait
 * socket counted as its move), the birth or the lifetime; nothing else,
 * no clock read but at births and closes.
 */
static __always_inline int counts_set_state(const struct sock *sk, int oldstate,
					    int newstate)
{
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	if (filter_netns &&
	    sk->__sk_common.skc_net.net->ns.inum != filter_netns)
		return 0;
	count_birth_close(sk, oldstate, newstate);
	if (newstate == TCP_CLOSE)
		newstate = handover(sk, oldstate);
	count_transition(oldstate, newstate);
	return 0;
}

/* The socket closed: its entry goes (@st: the one lifetime() found). */
static __always_inline void forget(const struct sock *sk, struct sk_state *st)
{
	__u64 key = (__u64)sk;

	if (st)
		bpf_map_delete_elem(&sks, &key);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_set_state, struct sock *sk, int oldstate, int newstate)
{
	__u16 proto;
	__u64 now, cookie;
	struct sk_state *st = NULL;

	if (no_events)
		return counts_set_state(sk, oldstate, newstate);
	settle_cancel(0, 0);
	proto = sk->sk_protocol;
	if (proto != IPPROTO_TCP && proto != IPPROTO_MPTCP)
		return 0;
	if (filter_netns &&
	    sk->__sk_common.skc_net.net->ns.inum != filter_netns)
		return 0;
	now = bpf_ktime_get_ns();
	st = lifetime(sk, now, oldstate, newstate, proto == IPPROTO_TCP);
	cookie = bpf_get_socket_cookie(sk);

	if (oldstate == TCP_SYN_SENT) {
		if (st)
			flush_connect(sk, st, cookie);
	} else if (newstate == TCP_CLOSE && proto == IPPROTO_TCP &&
		   tw_followed) {
		int tw_state = handover(sk, oldstate);

		if (tw_state != TCP_CLOSE) {
			/*
			 * A time-wait socket took over: not a close. (An
			 * orphaned FIN-WAIT-2 socket stays in FIN-WAIT-2;
			 * the event then only carries the byte counts.)
			 */
			count_transition(oldstate, tw_state);
			emit_state(sk, cookie, now, oldstate, tw_state,
				   TW_F_TIMEWAIT);
			forget(sk, st);
			return 0;
		}
	}
	if (proto == IPPROTO_TCP)
		count_transition(oldstate, newstate);

	if (newstate == TCP_SYN_SENT && st) {
		/* sport is still 0 here: wait for the SYN to leave. */
		struct task_struct *t =
			(struct task_struct *)bpf_get_current_task();
		__u64 id = bpf_get_current_pid_tgid();

		st->pend_ts = now;
		st->pend_old = oldstate;
		st->pid = id >> 32;
		st->tid = (__u32)id;
		BPF_CORE_READ_STR_INTO(&st->comm, t, group_leader, comm);
		return 0;
	}
	emit_state(sk, cookie, now, oldstate, newstate, 0);
	if (newstate == TCP_CLOSE)
		forget(sk, st);
	return 0;
}

/* S_IFMT, S_IFSOCK of <sys/stat.h> (not in vmlinux.h). */
#define I_FMT 00170000
#define I_FSOCK 0140000

/* The socket behind file descriptor @fd of the current process, or NULL. */
static __always_inline struct sock *fd_to_sock(long fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds, *f = NULL;
	struct socket *so;
	umode_t mode;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), fds + fd) || !f)
		return NULL;
	/* Only a socket's file has a struct socket as private_data. */
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & I_FMT) != I_FSOCK)
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

/*
 * The syscall numbers of accept() and accept4() of the native ABI, and
 * where the number is in the registers at syscall exit. (x86's 32-bit
 * ABI numbers its syscalls differently: such tasks are left out.)
 */
#if defined(__TARGET_ARCH_x86)
#define NR_ACCEPT 43
#define NR_ACCEPT4 288
#define SYSCALL_NR(regs) ((long)(regs)->orig_ax)
#define TS_COMPAT 0x0002
static __always_inline int compat_task(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	if (!bpf_core_field_exists(t->thread_info.status))
		return 0;
	return BPF_CORE_READ(t, thread_info.status) & TS_COMPAT;
}
#elif defined(__TARGET_ARCH_arm64)
#define NR_ACCEPT 202
#define NR_ACCEPT4 242
#define SYSCALL_NR(regs) ((long)(regs)->syscallno)
static __always_inline int compat_task(void)
{
	return 0; /* compat tasks: see on_sys_exit */
}
#elif defined(__TARGET_ARCH_riscv)
#define NR_ACCEPT 202
#define NR_ACCEPT4 242
#define SYSCALL_NR(regs) ((long)(regs)->a7)
static __always_inline int compat_task(void)
{
	return 0;
}
#endif

#ifdef NR_ACCEPT4
/*
 * Every syscall's exit passes here (raw_syscalls:sys_exit, as a BTF
 * tracepoint: no tracefs needed); all but accept()/accept4() leave after
 * one load and two compares. On arm64 a 32-bit task's accept4 has another
 * number, which is only a missed owner: fd_to_sock() checks the file is a
 * socket whatever the syscall was.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = SYSCALL_NR(regs);

	if (nr != NR_ACCEPT && nr != NR_ACCEPT4)
		return 0;
	if (compat_task())
		return 0;
	return accept_exit(ret);
}
#endif

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

	if (!no_events) /* counts only: settled by timer events */
		settle_cancel(0, 0);
	if (sk) {
		state = sk->__sk_common.skc_state;
		if (state == TCP_SYN_SENT) {
			if (no_events)
				return 0; /* no SYN-SENT event is held back */
			__u64 key = (__u64)sk;

			st = bpf_map_lookup_elem(&sks, &key);
			/* The cookie was made at the SYN-SENT transition. */
			if (st && st->pend_ts)
				flush_connect(
					sk, st,
					BPF_CORE_READ(sk, __sk_common.skc_cookie
								  .counter));
			return 0;
		}
		if (state != TCP_TIME_WAIT && sk->sk_type != SOCK_RAW)
			return 0;
	}
	if (!fw2_tracked)
		return 0;
	return tw_ack(skb);
}
