// SPDX-License-Identifier: MIT
/*
 * rule_orphans.c - orphans and stuck closes. Orphans (sockets no program
 * holds any more, still finishing their close) against tcp_max_orphans,
 * host-wide; FIN-WAIT-1 sockets stuck behind a zero window (the FIN waits
 * behind data the peer does not take: a zero window probe timer, a zero
 * send window, or a Send-Q that did not move) in both samples, per
 * peer host; FIN-WAIT-2 orphans per peer host against fin_wait2
 * (they end after tcp_fin_timeout).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tulpen/fmt.h"
#include "tulpen/state.h"
#include "doctor/doctor_internal.h"

struct peer_key {
	uint8_t family;
	uint8_t pad;
	uint16_t port;
	uint8_t peer[16];
};

static const char orphan_advice[] =
	"Many connections are closed by programs but not finished by the "
	"peers. Find the destinations (tulpen -tn state fin-wait-1 state "
	"fin-wait-2 state closing state last-ack); beyond tcp_max_orphans "
	"the kernel resets them (\"too many orphaned sockets\").";

static const char fw1_advice[] =
	"The peer does not read: its window is zero and our FIN waits behind "
	"the data. Fix the reader on the other side; the kernel gives up "
	"after tcp_orphan_retries probes.";

static const char fw2_advice[] =
	"The peers got our FIN but do not close their side (over there the "
	"sockets sit in CLOSE-WAIT): the bug is on the other side. Lowering "
	"net.ipv4.tcp_fin_timeout frees them sooner.";

static void key_of(const struct dr_snap *sn, const struct dr_sock *s, void *k)
{
	struct peer_key *p = k;

	(void)sn;
	p->family = s->s.family; /* the peer host: its ports vary */
	memcpy(p->peer, s->s.peer.addr.raw, 16);
}

static int fw1_select(const struct dr_snap *sn,
		      const struct tulpen_doctor_thresholds *t,
		      const struct dr_sock *s)
{
	const struct dr_sock *p;

	(void)t;
	if (s->s.state != TULPEN_TCP_FIN_WAIT1)
		return 0;
	p = dr_prev(sn, s);
	if (!p || p->s.state != TULPEN_TCP_FIN_WAIT1)
		return 0;
	return s->s.timer == TULPEN_TIMER_PROBE ||
	       (s->have_snd_wnd && !s->snd_wnd) ||
	       (s->s.wqueue && s->s.wqueue == p->s.wqueue);
}

static void fw1_add(const struct dr_snap *sn, const struct dr_sock *s,
		    struct dr_group *g)
{
	(void)sn;
	g->sum += s->s.wqueue;
	if (s->s.retrans > g->max)
		g->max = s->s.retrans;
}

static int fw1_fires(const struct dr_snap *sn,
		     const struct tulpen_doctor_thresholds *t,
		     const struct dr_group *g)
{
	(void)sn;
	return g->n >= t->fin_wait1;
}

/*
 * A finding of @kind about group @g's peer host (its connections' ports
 * vary), whose address goes to @dest; NULL when the output is full.
 */
static struct tulpen_doctor_finding *
peer_finding(const struct dr_snap *sn, struct dr_out *out, struct dr_group *g,
	     const char *kind, int sev, int state, char *dest, size_t destsz)
{
	const struct dr_sock *s = &sn->b.socks[g->first];
	struct tulpen_doctor_finding *f;

	f = dr_finding(out, sn, kind, sev, state);
	if (!f)
		return NULL;
	g->finding = out->n;
	dr_peer_finding(f, s, g->n);
	f->peer.port = 0;
	tulpen_fmt_addr(dest, destsz, s->s.family, &s->s.peer.addr, 0);
	return f;
}

static void fw1_report(const struct dr_snap *sn,
		       const struct tulpen_doctor_thresholds *t,
		       struct dr_out *out, struct dr_group *g)
{
	struct tulpen_doctor_finding *f;
	char dest[80];

	f = peer_finding(sn, out, g, "fin-wait-1-stuck", TULPEN_DOCTOR_WARNING,
			 TULPEN_TCP_FIN_WAIT1, dest, sizeof(dest));
	if (!f)
		return;
	dr_summary(f,
		   "%llu closed connection%s to %s stuck in FIN-WAIT-1 "
		   "behind a zero window (%llu bytes unsent): the peer does "
		   "not read",
		   (unsigned long long)g->n, g->n == 1 ? "" : "s", dest,
		   (unsigned long long)g->sum);
	dr_subject(f, "to %s", dest);
	dr_ev_num(f, "fin_wait_1", (int64_t)g->n);
	dr_ev_num(f, "send_q_bytes", (int64_t)g->sum);
	dr_ev_num(f, "threshold", (int64_t)t->fin_wait1);
	dr_ev_num(f, "max_probes", (int64_t)g->max);
	dr_ev_sysctl(f, sn, TULPEN_SYSCTL_ORPHAN_RETRIES);
	dr_ev_num(f, "interval_ms", (int64_t)sn->interval_ms);
	f->advice = fw1_advice;
}

static int fw2_select(const struct dr_snap *sn,
		      const struct tulpen_doctor_thresholds *t,
		      const struct dr_sock *s)
{
	(void)sn;
	(void)t;
	return s->s.state == TULPEN_TCP_FIN_WAIT2 && !s->nown;
}

static int fw2_fires(const struct dr_snap *sn,
		     const struct tulpen_doctor_thresholds *t,
		     const struct dr_group *g)
{
	(void)sn;
	return g->n >= t->fin_wait2;
}

static void fw2_report(const struct dr_snap *sn,
		       const struct tulpen_doctor_thresholds *t,
		       struct dr_out *out, struct dr_group *g)
{
	struct tulpen_doctor_finding *f;
	char dest[80];

	f = peer_finding(sn, out, g, "fin-wait-2-orphans", TULPEN_DOCTOR_NOTICE,
			 TULPEN_TCP_FIN_WAIT2, dest, sizeof(dest));
	if (!f)
		return;
	dr_summary(f,
		   "%llu orphaned connections to %s wait in FIN-WAIT-2 for "
		   "the peer to close",
		   (unsigned long long)g->n, dest);
	dr_subject(f, "to %s", dest);
	dr_ev_num(f, "fin_wait_2", (int64_t)g->n);
	dr_ev_num(f, "threshold", (int64_t)t->fin_wait2);
	dr_ev_sysctl(f, sn, TULPEN_SYSCTL_FIN_TIMEOUT);
	f->advice = fw2_advice;
}

static const struct dr_grouper fw1 = {
	sizeof(struct peer_key),
	fw1_select,
	key_of,
	fw1_add,
	fw1_fires,
	fw1_report,
};

static const struct dr_grouper fw2 = {
	sizeof(struct peer_key),
	fw2_select,
	key_of,
	NULL,
	fw2_fires,
	fw2_report,
};

static void orphans(const struct dr_snap *sn,
		    const struct tulpen_doctor_thresholds *t,
		    struct dr_out *out)
{
	long long max = sn->host.v[TULPEN_SYSCTL_MAX_ORPHANS];
	struct tulpen_doctor_finding *f;
	uint64_t n;

	if (!sn->host_wide || !sn->b.have_sockstat || max <= 0)
		return;
	n = sn->b.sockstat.orphan;
	if (n * 100 < (uint64_t)max * t->orphans_pct)
		return;
	f = dr_finding(out, sn, "orphans",
		       n >= (uint64_t)max ? TULPEN_DOCTOR_CRITICAL
					  : TULPEN_DOCTOR_WARNING,
		       0);
	if (!f)
		return;
	dr_summary(f, "%llu orphaned sockets, %llu%% of tcp_max_orphans (%lld)",
		   (unsigned long long)n,
		   (unsigned long long)(n * 100 / (uint64_t)max), max);
	dr_subject(f, "orphans");
	dr_ev_num(f, "orphans", (int64_t)n);
	dr_ev_num(f, "threshold_pct", (int64_t)t->orphans_pct);
	dr_ev_sysctl(f, sn, TULPEN_SYSCTL_MAX_ORPHANS);
	f->advice = orphan_advice;
}

void dr_rule_orphans(const struct dr_snap *sn,
		     const struct tulpen_doctor_thresholds *t,
		     struct dr_out *out)
{
	orphans(sn, t, out);
	dr_group_run(sn, t, out, &fw1);
	dr_group_run(sn, t, out, &fw2);
}
