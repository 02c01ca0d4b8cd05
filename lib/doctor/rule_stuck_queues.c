// SPDX-License-Identifier: MIT
/*
 * rule_stuck_queues.c - queues that stay full between the samples, per
 * process. A Recv-Q of at least stuck_queue bytes in both samples that did
 * not shrink: the holding process does not read (a slow reader). A Send-Q
 * of at least stuck_queue bytes in both samples that did not move, or
 * behind a zero window (the probe timer): the peer does not take what this
 * process writes (a slow peer, or a slow network). ESTABLISHED and
 * CLOSE-WAIT sockets only; stuck closes are the orphans rule's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tulpen/state.h"
#include "doctor/doctor_internal.h"

struct q_key {
	int32_t pid;
	uint32_t send; /* 0: Recv-Q, 1: Send-Q */
};

static const char recv_advice[] =
	"The process does not read what arrives: it is blocked, busy or has "
	"forgotten the connection. The peer is throttled to a zero window. "
	"Look at what the process is doing (a stack dump, strace).";

static const char send_advice[] =
	"The peers do not take what this process sends: their programs do "
	"not read (their Recv-Q is full) or the path is congested. Check the "
	"receiving side; set timeouts on writes so a dead reader is noticed.";

static int open_state(const struct dr_sock *s)
{
	return s->s.state == TULPEN_TCP_ESTABLISHED ||
	       s->s.state == TULPEN_TCP_CLOSE_WAIT;
}

static int recv_stuck(const struct dr_sock *s, const struct dr_sock *p,
		      uint64_t min)
{
	return s->s.rqueue >= min && p->s.rqueue >= min &&
	       s->s.rqueue >= p->s.rqueue;
}

static int send_stuck(const struct dr_sock *s, const struct dr_sock *p,
		      uint64_t min)
{
	return s->s.wqueue >= min && p->s.wqueue >= min &&
	       (s->s.wqueue == p->s.wqueue || s->s.timer == TULPEN_TIMER_PROBE);
}

static int select_q(const struct dr_snap *sn, const struct dr_sock *s,
		    uint64_t min, int send)
{
	const struct dr_sock *p;

	if (!open_state(s))
		return 0;
	p = dr_prev(sn, s);
	if (!p || !open_state(p))
		return 0;
	return send ? send_stuck(s, p, min) : recv_stuck(s, p, min);
}

static void key_of(const struct dr_snap *sn, const struct dr_sock *s, int send,
		   struct q_key *k)
{
	memset(k, 0, sizeof(*k));
	k->pid = s->nown ? dr_holder_proc(sn, s, 0)->pid : 0;
	k->send = (uint32_t)send;
}

static void report(const struct dr_snap *sn,
		   const struct tulpen_doctor_thresholds *t, struct dr_out *out,
		   struct dr_group *g, int send)
{
	const struct dr_sock *s = &sn->b.socks[g->first];
	struct tulpen_doctor_finding *f;
	char who[128];

	f = dr_finding(out, sn, send ? "send-queue-stuck" : "recv-queue-stuck",
		       TULPEN_DOCTOR_WARNING, TULPEN_TCP_ESTABLISHED);
	if (!f)
		return;
	g->finding = out->n;
	f->sockets = g->n;
	dr_add_holders(f, sn, s);
	dr_procs_text(who, sizeof(who), f);
	f->nprocs = 0;
	f->more_procs = 0;
	if (send)
		dr_summary(f,
			   "%s: %llu connection%s whose Send-Q stays full "
			   "(%llu bytes): the peers do not take the data",
			   who, (unsigned long long)g->n, g->n == 1 ? "" : "s",
			   (unsigned long long)g->sum);
	else
		dr_summary(f,
			   "%s does not read: %llu connection%s whose Recv-Q "
			   "stays full (%llu bytes)",
			   who, (unsigned long long)g->n, g->n == 1 ? "" : "s",
			   (unsigned long long)g->sum);
	if (g->n == 1) {
		f->family = s->s.family;
		f->has_local = f->has_peer = 1;
		f->local = s->s.local;
		f->peer = s->s.peer;
	}
	dr_subject(f, "%d %s", s->nown ? dr_holder_proc(sn, s, 0)->pid : 0,
		   send ? "send" : "recv");
	dr_ev_num(f, "connections", (int64_t)g->n);
	dr_ev_num(f, send ? "send_q_bytes" : "recv_q_bytes", (int64_t)g->sum);
	dr_ev_num(f, "threshold_bytes", (int64_t)t->stuck_queue);
	dr_ev_num(f, "interval_ms", (int64_t)sn->interval_ms);
	f->advice = send ? send_advice : recv_advice;
}

static void one_side(const struct dr_snap *sn,
		     const struct tulpen_doctor_thresholds *t,
		     struct dr_out *out, int send)
{
	struct tulpen_hash h;
	struct dr_group *g;
	struct q_key k;
	size_t i, pos = 0;

	if (dr_group_init(&h, sizeof(k))) {
		out->err = -ENOMEM;
		return;
	}
	for (i = 0; i < sn->b.nsocks; i++) {
		const struct dr_sock *s = &sn->b.socks[i];

		if (!select_q(sn, s, t->stuck_queue, send))
			continue;
		key_of(sn, s, send, &k);
		g = dr_group_get(&h, &k, i);
		if (!g) {
			out->err = -ENOMEM;
			goto out;
		}
		g->n++;
		g->sum += send ? s->s.wqueue : s->s.rqueue;
	}
	while ((g = dr_group_next(&h, &pos)))
		report(sn, t, out, g, send);
	for (i = 0; i < sn->b.nsocks && !out->err; i++) {
		const struct dr_sock *s = &sn->b.socks[i];

		if (!select_q(sn, s, t->stuck_queue, send))
			continue;
		key_of(sn, s, send, &k);
		g = tulpen_hash_find(&h, &k);
		if (dr_group_finding(out, g))
			dr_add_holders(dr_group_finding(out, g), sn, s);
	}
out:
	tulpen_hash_fini(&h);
}

void dr_rule_stuck_queues(const struct dr_snap *sn,
			  const struct tulpen_doctor_thresholds *t,
			  struct dr_out *out)
{
	one_side(sn, t, out, 0);
	one_side(sn, t, out, 1);
}
