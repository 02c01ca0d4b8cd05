// SPDX-License-Identifier: MIT
/*
 * rule_accept_queue.c - accept queue overflow: a LISTEN socket whose
 * accept queue (Recv-Q) reaches accept_queue_pct of its backlog (Send-Q)
 * in either sample; with ListenOverflows, ListenDrops and SYN cookies
 * rising between the samples as evidence (critical when they rose).
 * Also the SYN queue: request sockets of a port against
 * tcp_max_syn_backlog (syn_queue_pct).
 */
#include <stdio.h>
#include <string.h>

#include "tulpen/state.h"
#include "doctor/doctor_internal.h"

static const char advice[] =
	"The program does not call accept() fast enough: it is blocked, "
	"overloaded or has too few workers. Look at what it is doing (a "
	"stack dump, strace); add workers, or raise the listen() backlog "
	"together with net.core.somaxconn if bursts are expected.";

static const char syn_advice[] =
	"Half-open handshakes pile up: a SYN flood, or clients whose final "
	"ACK does not get back. Keep net.ipv4.tcp_syncookies = 1, raise "
	"net.ipv4.tcp_max_syn_backlog, and check the return path.";

static int full(const struct dr_sock *l, uint64_t pct)
{
	uint64_t backlog = l->s.wqueue;

	if (!backlog)
		return l->s.rqueue > 0;
	return (uint64_t)l->s.rqueue * 100 >= backlog * pct;
}

static uint64_t requests(const struct dr_snap *sn, uint16_t port)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < sn->b.nsocks; i++) {
		const struct dr_sock *s = &sn->b.socks[i];

		if ((s->s.state == TULPEN_TCP_NEW_SYN_RECV ||
		     s->s.state == TULPEN_TCP_SYN_RECV) &&
		    s->s.local.port == port)
			n++;
	}
	return n;
}

static void counters(struct tulpen_doctor_finding *f, const struct dr_snap *sn)
{
	if (dr_has_counter(sn, DR_C_LISTEN_OVERFLOWS))
		dr_ev_num(f, "listen_overflows",
			  (int64_t)dr_delta(sn, DR_C_LISTEN_OVERFLOWS));
	if (dr_has_counter(sn, DR_C_LISTEN_DROPS))
		dr_ev_num(f, "listen_drops",
			  (int64_t)dr_delta(sn, DR_C_LISTEN_DROPS));
	if (dr_has_counter(sn, DR_C_SYNCOOKIES_SENT))
		dr_ev_num(f, "syncookies_sent",
			  (int64_t)dr_delta(sn, DR_C_SYNCOOKIES_SENT));
	dr_ev_num(f, "interval_ms", (int64_t)sn->interval_ms);
}

static void accept_full(const struct dr_snap *sn,
			const struct tulpen_doctor_thresholds *t,
			struct dr_out *out, const struct dr_sock *l,
			const struct dr_sock *p)
{
	uint64_t over = dr_delta(sn, DR_C_LISTEN_OVERFLOWS);
	struct tulpen_doctor_finding *f;
	char who[128], ep[80];
	uint32_t q = l->s.rqueue;

	if (p && p->s.rqueue > q)
		q = p->s.rqueue;
	f = dr_finding(out, sn, "accept-queue",
		       over ? TULPEN_DOCTOR_CRITICAL : TULPEN_DOCTOR_WARNING,
		       TULPEN_TCP_LISTEN);
	if (!f)
		return;
	f->family = l->s.family;
	f->has_local = 1;
	f->local = l->s.local;
	f->sockets = q;
	dr_add_holders(f, sn, l);
	dr_procs_text(who, sizeof(who), f);
	dr_ep_text(ep, sizeof(ep), l->s.family, &l->s.local);
	dr_summary(f,
		   "port %u: the accept queue is full (%u waiting, backlog "
		   "%u); %s does not accept() fast enough%s",
		   l->s.local.port, q, l->s.wqueue, who,
		   over ? ", and connections are being dropped" : "");
	dr_subject(f, "listen %s", ep);
	dr_ev_num(f, "accept_queue", q);
	dr_ev_num(f, "backlog", l->s.wqueue);
	dr_ev_num(f, "threshold_pct", (int64_t)t->accept_queue_pct);
	counters(f, sn);
	dr_ev_num(f, "syn_received", (int64_t)requests(sn, l->s.local.port));
	dr_ev_sysctl(f, sn, TULPEN_SYSCTL_SOMAXCONN);
	f->advice = advice;
}

static void syn_queue(const struct dr_snap *sn,
		      const struct tulpen_doctor_thresholds *t,
		      struct dr_out *out, const struct dr_sock *l, uint64_t n)
{
	struct tulpen_doctor_finding *f;
	char ep[80];

	f = dr_finding(out, sn, "syn-queue", TULPEN_DOCTOR_WARNING,
		       TULPEN_TCP_SYN_RECV);
	if (!f)
		return;
	f->family = l->s.family;
	f->has_local = 1;
	f->local = l->s.local;
	f->sockets = n;
	dr_add_holders(f, sn, l);
	dr_ep_text(ep, sizeof(ep), l->s.family, &l->s.local);
	dr_summary(f,
		   "port %u: %llu half-open handshakes (SYN-RECEIVED) against "
		   "tcp_max_syn_backlog %lld",
		   l->s.local.port, (unsigned long long)n,
		   sn->host.v[TULPEN_SYSCTL_MAX_SYN_BACKLOG]);
	dr_subject(f, "syn %s", ep);
	dr_ev_num(f, "syn_received", (int64_t)n);
	dr_ev_num(f, "threshold_pct", (int64_t)t->syn_queue_pct);
	dr_ev_sysctl(f, sn, TULPEN_SYSCTL_MAX_SYN_BACKLOG);
	dr_ev_sysctl(f, sn, TULPEN_SYSCTL_SYNCOOKIES);
	counters(f, sn);
	f->advice = syn_advice;
}

void dr_rule_accept_queue(const struct dr_snap *sn,
			  const struct tulpen_doctor_thresholds *t,
			  struct dr_out *out)
{
	long long max_syn = sn->host.v[TULPEN_SYSCTL_MAX_SYN_BACKLOG];
	uint64_t over = dr_delta(sn, DR_C_LISTEN_OVERFLOWS);
	size_t i;

	for (i = 0; i < sn->nlisteners && !out->err; i++) {
		const struct dr_sock *l = &sn->b.socks[sn->listeners[i]];
		const struct dr_sock *p = dr_prev(sn, l);
		uint64_t n;

		if (full(l, t->accept_queue_pct) ||
		    (p && over && full(p, t->accept_queue_pct)))
			accept_full(sn, t, out, l, p);
		n = requests(sn, l->s.local.port);
		if (max_syn > 0 && n &&
		    n * 100 >= (uint64_t)max_syn * t->syn_queue_pct)
			syn_queue(sn, t, out, l, n);
	}
}
