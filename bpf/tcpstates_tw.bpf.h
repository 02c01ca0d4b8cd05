/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * tcpstates_tw.bpf.h - following the kernel's time-wait sockets, which the
 * inet_sock_set_state tracepoint does not see: through their timer
 * (tp_btf/timer_start, timer_cancel, timer_expire_entry on
 * tw_timer_handler) and, for an orphaned FIN-WAIT-2 socket's move to
 * TIME-WAIT, through the ACK it sends (tw_ack(), called from
 * net_dev_queue). Every transition reported is counted
 * (count_transition()). Included once, by tcpstates.bpf.c, after
 * tcpstates_common.bpf.h and tcpstates_counts.bpf.h.
 */
#ifndef TULPEN_TCPSTATES_TW_BPF_H
#define TULPEN_TCPSTATES_TW_BPF_H

extern const void tw_timer_handler __ksym __weak;

/*
 * The time-wait socket's fields, through bpf_probe_read_kernel() (what
 * BPF_CORE_READ does): a bpf_rdonly_cast() pointer would allow direct
 * loads, but that kfunc needs Linux 6.2 and a libbpf that lets a program
 * do without it where it is missing (Debian 12 has 6.1 and libbpf 1.1).
 */
static __always_inline __u32 tw_netns(const struct inet_timewait_sock *tw)
{
	return BPF_CORE_READ(tw, __tw_common.skc_net.net, ns.inum);
}

static __always_inline __u64 tw_cookie(const struct inet_timewait_sock *tw)
{
	return BPF_CORE_READ(tw, __tw_common.skc_cookie.counter);
}

struct tw_info {
	__u64 cookie;
	__u8 substate; /* TW_ENDED once its end was reported */
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
	__u64 tw; /* struct inet_timewait_sock *, 0: none */
	__u64 cookie;
	/* The last one settled as an end (see on_timer_expire). */
	__u64 ended_tw;
	__u64 ended_cookie;
	struct tw_key key;
	__u8 fw2;  /* it is in tw_fw2 */
	__u8 late; /* late_ev goes first */
	struct tw_event late_ev;
	struct tw_event ev;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tw_cancel);
} cancels SEC(".maps");

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
	c->ended_tw = twkey;
	c->ended_cookie = c->cookie;
	if (c->late) {
		count_transition(c->late_ev.oldstate, c->late_ev.newstate);
		ev_output(&c->late_ev);
	}
	count_transition(c->ev.oldstate, c->ev.newstate);
	ev_output(&c->ev);
	if (no_events) {
		/* counts only: no per time-wait socket table to update */
		if (c->fw2)
			bpf_map_delete_elem(&tw_fw2, &c->key);
		return 0;
	}
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
		.netns = tw_netns(tw),
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
	e->oldstate = oldstate;
	e->newstate = newstate;
	if (no_events)
		return; /* counts only: the states are all that is used */
	e->type = TW_EV_STATE;
	e->ts_ns = now;
	e->cookie = cookie;
	e->in_old_ns = TW_NO_TIME;
	e->parent_cookie = 0;
	e->pid = e->tid = 0;
	e->comm[0] = 0;
	e->protocol = IPPROTO_TCP;
	e->flags = TW_F_TIMEWAIT | flags;
	ev_fill_addr(e, &tw->__tw_common, 1);
}

/* Emit a transition of a time-wait socket. */
static __always_inline void emit_tw(struct inet_timewait_sock *tw, __u64 cookie,
				    __u64 now, int oldstate, int newstate,
				    __u8 flags)
{
	struct tw_event *e;

	count_transition(oldstate, newstate);
	e = ev_reserve();
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

/*
 * Counts only (no_events): no table per time-wait socket. The hand-over
 * from the full socket is recognised at its close (tcpstates.bpf.c);
 * here only the time-wait sockets still in FIN-WAIT-2 are kept (tw_fw2,
 * by namespace and ports, deleted at their move to TIME-WAIT or end), and
 * the end counts the substate the socket is in.
 */
static __always_inline int light_timer_start(struct inet_timewait_sock *tw,
					     __u8 sub)
{
	__u64 twkey = (__u64)tw, *p;
	struct tw_key k;

	/* Born in TIME-WAIT, nothing in FIN-WAIT-2 to follow: no work. */
	if (sub != TCP_FIN_WAIT2 && !fw2_tracked)
		return 0;
	if (filter_netns && tw_netns(tw) != filter_netns)
		return 0;
	if (sub == TCP_FIN_WAIT2) {
		k = tw_key_of(tw);
		bpf_map_update_elem(&tw_fw2, &k, &twkey, BPF_ANY);
		__sync_fetch_and_add(&fw2_tracked, 1);
		return 0;
	}
	if (!fw2_tracked)
		return 0;
	/* A re-arm: its FIN arrived (the timer moved, so we see it). */
	k = tw_key_of(tw);
	p = bpf_map_lookup_elem(&tw_fw2, &k);
	if (p && *p == twkey && sub == TCP_TIME_WAIT) {
		count_transition(TCP_FIN_WAIT2, TCP_TIME_WAIT);
		bpf_map_delete_elem(&tw_fw2, &k);
	}
	return 0;
}

/* Counts only: the end of @tw, into @c (a cancel) or counted now. */
static __always_inline void light_end(struct inet_timewait_sock *tw,
				      struct tw_cancel *c, __u8 sub)
{
	__u64 twkey = (__u64)tw, *p = NULL;
	struct tw_key k = {};
	__u8 late;

	if (filter_netns && tw_netns(tw) != filter_netns)
		return;
	/* The key (three reads) only when some are listed in FIN-WAIT-2. */
	if (fw2_tracked) {
		k = tw_key_of(tw);
		p = bpf_map_lookup_elem(&tw_fw2, &k);
	}
	if (p && *p != twkey)
		p = NULL;
	/* Still listed in FIN-WAIT-2 but in TIME-WAIT: its FIN went unseen. */
	late = p && sub == TCP_TIME_WAIT;
	if (c) {
		c->late_ev.oldstate = TCP_FIN_WAIT2;
		c->late_ev.newstate = TCP_TIME_WAIT;
		c->ev.oldstate = sub;
		c->ev.newstate = TCP_CLOSE;
		c->late = late;
		c->fw2 = p != NULL;
		c->key = k;
		c->cookie = tw_cookie(tw);
		c->tw = twkey;
		return;
	}
	if (late)
		count_transition(TCP_FIN_WAIT2, TCP_TIME_WAIT);
	count_transition(sub, TCP_CLOSE);
	if (p)
		bpf_map_delete_elem(&tw_fw2, &k);
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
	settle_cancel(twkey, tw_cookie(tw));
	sub = BPF_CORE_READ(tw, tw_substate);
	if (no_events)
		return light_timer_start(tw, sub);
	ti = bpf_map_lookup_elem(&tws, &twkey);
	if (ti && ti->substate != TW_ENDED) {
		if (sub != ti->substate) {
			struct tw_key k = tw_key_of(tw);

			tw_moved(tw, ti, sub);
			bpf_map_delete_elem(&tw_fw2, &k);
		}
		return 0;
	}
	if (filter_netns && tw_netns(tw) != filter_netns)
		return 0;
	/* The cookie was copied from the full socket it replaces. */
	nti.cookie = tw_cookie(tw);
	nti.substate = sub;
	bpf_map_update_elem(&tws, &twkey, &nti, BPF_ANY);
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
	__u64 twkey = (__u64)tw, now, cookie;
	__u8 sub = BPF_CORE_READ(tw, tw_substate), late = 0, fw2 = 0;
	struct tw_info *ti;

	if (no_events) {
		light_end(tw, c, sub);
		return;
	}
	now = bpf_ktime_get_ns();
	ti = bpf_map_lookup_elem(&tws, &twkey);
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
		if (filter_netns && tw_netns(tw) != filter_netns)
			return;
		cookie = tw_cookie(tw);
	}
	if (c) {
		tw_fill(&c->ev, tw, cookie, now, sub, TCP_CLOSE, 0);
		c->late = late;
		c->fw2 = fw2;
		c->key = tw_key_of(tw);
		c->cookie = tw_cookie(tw);
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

/*
 * The kernel detaches an expiring timer (a timer_cancel event) just before
 * it runs the handler (timer_expire_entry): that cancel, still pending
 * here, is this expiry, which ends the time-wait socket once. Had an
 * event in between (an interrupt's timer on this CPU) already settled it
 * as an end, it is not counted again.
 */
SEC("tp_btf/timer_expire_entry")
int BPF_PROG(on_timer_expire, struct timer_list *timer)
{
	struct inet_timewait_sock *tw = timer_tw(timer);
	struct tw_cancel *c;
	__u32 zero = 0;
	__u64 cookie;
	int ended;

	if (!tw) {
		settle_cancel(0, 0);
		return 0;
	}
	cookie = tw_cookie(tw);
	c = bpf_map_lookup_elem(&cancels, &zero);
	ended = c && c->ended_tw == (__u64)tw && c->ended_cookie == cookie;
	if (settle_cancel((__u64)tw, cookie) || !ended)
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

	head = skb->head;
	nh = skb->network_header;
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
	k.netns = skb->dev->nd_net.net->ns.inum;
	k.lport = bpf_ntohs(ports[0]);
	k.rport = bpf_ntohs(ports[1]);
	twp = bpf_map_lookup_elem(&tw_fw2, &k);
	if (!twp)
		return 0;
	twkey = *twp;
	tw = (struct inet_timewait_sock *)twkey;
	sub = BPF_CORE_READ(tw, tw_substate);
	if (no_events) {
		if (sub == TCP_TIME_WAIT) {
			count_transition(TCP_FIN_WAIT2, TCP_TIME_WAIT);
			bpf_map_delete_elem(&tw_fw2, &k);
		}
		return 0;
	}
	ti = bpf_map_lookup_elem(&tws, &twkey);
	if (ti && ti->substate == TCP_FIN_WAIT2 && sub == TCP_TIME_WAIT) {
		tw_moved(tw, ti, sub);
		bpf_map_delete_elem(&tw_fw2, &k);
	}
	return 0;
}

#endif /* TULPEN_TCPSTATES_TW_BPF_H */
