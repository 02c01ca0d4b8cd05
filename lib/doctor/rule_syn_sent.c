// SPDX-License-Identifier: MIT
/*
 * rule_syn_sent.c - SYN-SENT pile-up: connections to one destination
 * still waiting for a SYN,ACK in both samples, at least syn_sent of them.
 * The destination does not answer: filtered, down or unroutable.
 */
#include <stdio.h>
#include <string.h>

#include "tulpen/state.h"
#include "doctor/doctor_internal.h"

struct ss_key {
	uint8_t family;
	uint8_t pad;
	uint16_t port;
	uint8_t peer[16];
};

static const char advice[] =
	"Check that the destination is up and reachable from here (routing, "
	"a firewall silently dropping SYNs, a wrong address in the "
	"configuration). Programs should set a connect timeout and back off "
	"instead of piling up attempts.";

static int counts(const struct dr_snap *sn,
		  const struct tulpen_doctor_thresholds *t,
		  const struct dr_sock *s)
{
	(void)t;
	return dr_stays_in(sn, s, TULPEN_TCP_SYN_SENT);
}

static void key_of(const struct dr_snap *sn, const struct dr_sock *s, void *key)
{
	struct ss_key *k = key;

	(void)sn;
	k->family = s->s.family;
	k->port = s->s.peer.port;
	memcpy(k->peer, s->s.peer.addr.raw, 16);
}

static void report(const struct dr_snap *sn,
		   const struct tulpen_doctor_thresholds *t, struct dr_out *out,
		   struct dr_group *g)
{
	const struct dr_sock *s = &sn->b.socks[g->first];
	struct tulpen_doctor_finding *f;
	char dest[80], who[128];

	f = dr_finding(out, sn, "syn-sent", TULPEN_DOCTOR_WARNING,
		       TULPEN_TCP_SYN_SENT);
	if (!f)
		return;
	g->finding = out->n;
	dr_ep_text(dest, sizeof(dest), s->s.family, &s->s.peer);
	dr_peer_finding(f, s, g->n);
	dr_add_holders(f, sn, s);
	dr_procs_text(who, sizeof(who), f);
	f->nprocs = 0;
	f->more_procs = 0;
	dr_summary(f,
		   "%llu connections from %s to %s wait in SYN-SENT: the "
		   "destination does not answer",
		   (unsigned long long)g->n, who, dest);
	dr_subject(f, "to %s", dest);
	dr_ev_num(f, "syn_sent", (int64_t)g->n);
	dr_ev_num(f, "threshold", (int64_t)t->syn_sent);
	dr_ev_num(f, "max_retransmits", (int64_t)g->max);
	dr_ev_sysctl(f, sn, TULPEN_SYSCTL_SYN_RETRIES);
	dr_ev_num(f, "interval_ms", (int64_t)sn->interval_ms);
	f->advice = advice;
}

static void add(const struct dr_snap *sn, const struct dr_sock *s,
		struct dr_group *g)
{
	(void)sn;
	if (s->s.retrans > g->max)
		g->max = s->s.retrans;
}

static int fires(const struct dr_snap *sn,
		 const struct tulpen_doctor_thresholds *t,
		 const struct dr_group *g)
{
	(void)sn;
	return g->n >= t->syn_sent;
}

static const struct dr_grouper grouper = {
	sizeof(struct ss_key), counts, key_of, add, fires, report,
};

void dr_rule_syn_sent(const struct dr_snap *sn,
		      const struct tulpen_doctor_thresholds *t,
		      struct dr_out *out)
{
	dr_group_run(sn, t, out, &grouper);
}
