// SPDX-License-Identifier: MIT
/*
 * rule_syn_sent.c - SYN-SENT pile-up: connections to one destination
 * still waiting for a SYN,ACK in both samples, at least syn_sent of them.
 * The destination does not answer: filtered, down or unroutable.
 */
#include <errno.h>
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

static int counts(const struct dr_snap *sn, const struct dr_sock *s)
{
	const struct dr_sock *p;

	if (s->s.state != TULPEN_TCP_SYN_SENT)
		return 0;
	p = dr_prev(sn, s);
	return p && p->s.state == TULPEN_TCP_SYN_SENT;
}

static void key_of(const struct dr_sock *s, struct ss_key *k)
{
	memset(k, 0, sizeof(*k));
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
	f->family = s->s.family;
	f->has_peer = 1;
	f->peer = s->s.peer;
	f->sockets = g->n;
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

void dr_rule_syn_sent(const struct dr_snap *sn,
		      const struct tulpen_doctor_thresholds *t,
		      struct dr_out *out)
{
	struct tulpen_hash h;
	struct dr_group *g;
	struct ss_key k;
	size_t i, pos = 0;

	if (dr_group_init(&h, sizeof(k))) {
		out->err = -ENOMEM;
		return;
	}
	for (i = 0; i < sn->b.nsocks; i++) {
		const struct dr_sock *s = &sn->b.socks[i];

		if (!counts(sn, s))
			continue;
		key_of(s, &k);
		g = dr_group_get(&h, &k, i);
		if (!g) {
			out->err = -ENOMEM;
			goto out;
		}
		g->n++;
		if (s->s.retrans > g->max)
			g->max = s->s.retrans;
	}
	while ((g = dr_group_next(&h, &pos)))
		if (g->n >= t->syn_sent)
			report(sn, t, out, g);
	for (i = 0; i < sn->b.nsocks && !out->err; i++) {
		const struct dr_sock *s = &sn->b.socks[i];

		if (!counts(sn, s))
			continue;
		key_of(s, &k);
		g = tulpen_hash_find(&h, &k);
		if (dr_group_finding(out, g))
			dr_add_holders(dr_group_finding(out, g), sn, s);
	}
out:
	tulpen_hash_fini(&h);
}
