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

static int select_side(const struct dr_snap *sn,
		       const struct tulpen_doctor_thresholds *t,
		       const struct dr_sock *s, int send)
{
	const struct dr_sock *p;

	if (!open_state(s))
		return 0;
	p = dr_prev(sn, s);
	if (!p || !open_state(p))
		return 0;
	return send ? send_stuck(s, p, t->stuck_queue)
		    : recv_stuck(s, p, t->stuck_queue);
}

static int select_recv(const struct dr_snap *sn,
		       const struct tulpen_doctor_thresholds *t,
		       const struct dr_sock *s)
{
	return select_side(sn, t, s, 0);
}

static int select_send(const struct dr_snap *sn,
		       const struct tulpen_doctor_thresholds *t,
		       const struct dr_sock *s)
{
	return select_side(sn, t, s, 1);
}

static void key_recv(const struct dr_snap *sn, const struct dr_sock *s,
		     void *key)
{
	struct q_key *k = key;

	k->pid = s->nown ? dr_holder_proc(sn, s, 0)->pid : 0;
}

static void key_send(const struct dr_snap *sn, const struct dr_sock *s,
		     void *key)
{
	struct q_key *k = key;

	key_recv(sn, s, key);
	k->send = 1;
}

static void add_recv(const struct dr_snap *sn, const struct dr_sock *s,
		     struct dr_group *g)
{
	(void)sn;
	g->sum += s->s.rqueue;
}

static void add_send(const struct dr_snap *sn, const struct dr_sock *s,
		     struct dr_group *g)
{
	(void)sn;
	g->sum += s->s.wqueue;
	g->m = 1; /* the send side */
}

static int fires(const struct dr_snap *sn,
		 const struct tulpen_doctor_thresholds *t,
		 const struct dr_group *g)
{
	(void)sn;
	(void)t;
	return g->n > 0; /* the threshold is in the selection */
}

static void report(const struct dr_snap *sn,
		   const struct tulpen_doctor_thresholds *t, struct dr_out *out,
		   struct dr_group *g)
{
	const struct dr_sock *s = &sn->b.socks[g->first];
	int send = (int)g->m;
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

static const struct dr_grouper recv_side = {
	sizeof(struct q_key), select_recv, key_recv, add_recv, fires, report,
};

static const struct dr_grouper send_side = {
	sizeof(struct q_key), select_send, key_send, add_send, fires, report,
};

void dr_rule_stuck_queues(const struct dr_snap *sn,
			  const struct tulpen_doctor_thresholds *t,
			  struct dr_out *out)
{
	dr_group_run(sn, t, out, &recv_side);
	dr_group_run(sn, t, out, &send_side);
}
