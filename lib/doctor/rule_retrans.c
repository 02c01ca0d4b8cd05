// SPDX-License-Identifier: MIT
/*
 * rule_retrans.c - retransmission hot spots: per destination, the
 * segments retransmitted between the samples (tcp_info's total_retrans;
 * for a socket that appeared in between, all of its own) against the
 * segments sent (segs_out), and the segments now thought lost. Reported
 * with at least retrans_min retransmissions that are at least retrans_pct
 * of what was sent; critical from four times that share. Without tcp_info
 * (/proc), the running timer's retransmission count stands in, with
 * nothing sent to compare to.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tulpen/state.h"
#include "doctor/doctor_internal.h"

struct rt_key {
	uint8_t family;
	uint8_t pad;
	uint16_t port;
	uint8_t peer[16];
};

static const char advice[] =
	"Packets to this destination are lost or delayed: look at the path "
	"(interface errors, a congested or faulty link, a middlebox, MTU "
	"problems: `tulpen -tni dst ADDRESS` shows each connection's "
	"retransmissions, rtt and cwnd).";

static int select_rt(const struct dr_snap *sn,
		     const struct tulpen_doctor_thresholds *t,
		     const struct dr_sock *s)
{
	(void)sn;
	(void)t;
	return s->s.peer.port && s->s.state != TULPEN_TCP_LISTEN &&
	       s->s.state != TULPEN_TCP_TIME_WAIT &&
	       s->s.state != TULPEN_TCP_NEW_SYN_RECV;
}

static void key_of(const struct dr_snap *sn, const struct dr_sock *s, void *k)
{
	struct rt_key *r = k;

	(void)sn;
	r->family = s->s.family;
	r->port = s->s.peer.port;
	memcpy(r->peer, s->s.peer.addr.raw, 16);
}

/* n: sockets; sum: retransmitted; m: sent; max: lost (summed) */
static void add(const struct dr_snap *sn, const struct dr_sock *s,
		struct dr_group *g)
{
	const struct dr_sock *p = dr_prev(sn, s);

	if (!s->have_info) {
		g->sum += s->s.retrans;
		return;
	}
	if (p && p->have_info && p->total_retrans <= s->total_retrans &&
	    p->segs_out <= s->segs_out) {
		g->sum += s->total_retrans - p->total_retrans;
		g->m += s->segs_out - p->segs_out;
	} else {
		g->sum += s->total_retrans;
		g->m += s->segs_out;
	}
	g->max += s->lost;
}

static int fires(const struct dr_snap *sn,
		 const struct tulpen_doctor_thresholds *t,
		 const struct dr_group *g)
{
	(void)sn;
	if (g->sum < t->retrans_min)
		return 0;
	return !g->m || g->sum * 100 >= t->retrans_pct * g->m;
}

static void report(const struct dr_snap *sn,
		   const struct tulpen_doctor_thresholds *t, struct dr_out *out,
		   struct dr_group *g)
{
	const struct dr_sock *s = &sn->b.socks[g->first];
	uint64_t pct = g->m ? g->sum * 100 / g->m : 0;
	struct tulpen_doctor_finding *f;
	char dest[80];

	f = dr_finding(out, sn, "retransmissions",
		       g->m && pct >= 4 * t->retrans_pct
			       ? TULPEN_DOCTOR_CRITICAL
			       : TULPEN_DOCTOR_WARNING,
		       0);
	if (!f)
		return;
	g->finding = out->n;
	dr_ep_text(dest, sizeof(dest), s->s.family, &s->s.peer);
	dr_peer_finding(f, s, g->n);
	if (g->m)
		dr_summary(f,
			   "%llu of %llu segments to %s were retransmitted "
			   "(%llu%%) in %llu ms, over %llu connection%s",
			   (unsigned long long)g->sum, (unsigned long long)g->m,
			   dest, (unsigned long long)pct,
			   (unsigned long long)sn->interval_ms,
			   (unsigned long long)g->n, g->n == 1 ? "" : "s");
	else
		dr_summary(f,
			   "%llu retransmissions pending to %s over %llu "
			   "connection%s",
			   (unsigned long long)g->sum, dest,
			   (unsigned long long)g->n, g->n == 1 ? "" : "s");
	dr_subject(f, "to %s", dest);
	dr_ev_num(f, "retransmitted", (int64_t)g->sum);
	dr_ev_num(f, "segments_sent", (int64_t)g->m);
	dr_ev_num(f, "share_pct", (int64_t)pct);
	dr_ev_num(f, "lost", (int64_t)g->max);
	dr_ev_num(f, "threshold_pct", (int64_t)t->retrans_pct);
	dr_ev_num(f, "threshold_min", (int64_t)t->retrans_min);
	dr_ev_num(f, "interval_ms", (int64_t)sn->interval_ms);
	f->advice = advice;
}

static const struct dr_grouper rt = {
	sizeof(struct rt_key), select_rt, key_of, add, fires, report,
};

void dr_rule_retrans(const struct dr_snap *sn,
		     const struct tulpen_doctor_thresholds *t,
		     struct dr_out *out)
{
	dr_group_run(sn, t, out, &rt);
}
