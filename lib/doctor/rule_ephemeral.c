// SPDX-License-Identifier: MIT
/*
 * rule_ephemeral.c - ephemeral port exhaustion: the sockets towards one
 * destination (TIME-WAIT ones too) whose local port comes from
 * ip_local_port_range, against the size of that range. A connection needs
 * a local port unique for its destination, so the share of the range one
 * destination uses is how close connect() to it is to EADDRNOTAVAIL.
 * Also: TIME-WAIT sockets the kernel did not make because
 * tcp_max_tw_buckets was reached (TcpExtTCPTimeWaitOverflow rising).
 */
#include <stdio.h>
#include <string.h>

#include "tulpen/state.h"
#include "doctor/doctor_internal.h"

struct eph_key {
	uint8_t family;
	uint8_t pad;
	uint16_t port;
	uint8_t peer[16];
};

static const char advice[] =
	"Reuse connections to this destination (keep-alive, a connection "
	"pool) instead of one per request, or let the server close first so "
	"that TIME-WAIT stays on its side. Widening net.ipv4."
	"ip_local_port_range gives more room; net.ipv4.tcp_tw_reuse = 1 "
	"lets new outgoing connections take over TIME-WAIT ports (with TCP "
	"timestamps).";

static const char tw_advice[] =
	"Raise net.ipv4.tcp_max_tw_buckets, or make fewer short connections "
	"(reuse them): connections closed without TIME-WAIT lose its "
	"protection against old duplicate segments.";

static int counts(const struct dr_snap *sn,
		  const struct tulpen_doctor_thresholds *t,
		  const struct dr_sock *s)
{
	int st = s->s.state;

	(void)t;
	return st != TULPEN_TCP_LISTEN && st != TULPEN_TCP_SYN_RECV &&
	       st != TULPEN_TCP_NEW_SYN_RECV && st != TULPEN_TCP_CLOSE &&
	       s->s.peer.port && s->s.local.port >= sn->port_lo &&
	       s->s.local.port <= sn->port_hi && !dr_listener(sn, s);
}

static void key_of(const struct dr_snap *sn, const struct dr_sock *s, void *key)
{
	struct eph_key *k = key;

	(void)sn;
	k->family = s->s.family;
	k->port = s->s.peer.port;
	memcpy(k->peer, s->s.peer.addr.raw, 16);
}

static uint64_t range_of(const struct dr_snap *sn)
{
	return sn->port_hi - sn->port_lo + 1;
}

static void report(const struct dr_snap *sn,
		   const struct tulpen_doctor_thresholds *t, struct dr_out *out,
		   struct dr_group *g)
{
	const struct dr_sock *s = &sn->b.socks[g->first];
	uint64_t range = range_of(sn);
	uint64_t pct = g->n * 100 / range;
	struct tulpen_doctor_finding *f;
	char dest[80];

	f = dr_finding(out, sn, "ephemeral-ports",
		       pct >= 90 ? TULPEN_DOCTOR_CRITICAL
				 : TULPEN_DOCTOR_WARNING,
		       g->m * 2 >= g->n ? TULPEN_TCP_TIME_WAIT
					: TULPEN_TCP_ESTABLISHED);
	if (!f)
		return;
	g->finding = out->n;
	dr_ep_text(dest, sizeof(dest), s->s.family, &s->s.peer);
	dr_peer_finding(f, s, g->n);
	dr_summary(f,
		   "%llu sockets to %s use %llu%% of the local port range "
		   "(%llu-%llu), %llu of them in TIME-WAIT: connect() to it "
		   "will fail with EADDRNOTAVAIL",
		   (unsigned long long)g->n, dest, (unsigned long long)pct,
		   (unsigned long long)sn->port_lo,
		   (unsigned long long)sn->port_hi, (unsigned long long)g->m);
	dr_subject(f, "to %s", dest);
	dr_ev_num(f, "sockets", (int64_t)g->n);
	dr_ev_num(f, "time_wait", (int64_t)g->m);
	dr_ev_num(f, "port_range", (int64_t)range);
	dr_ev_num(f, "share_pct", (int64_t)pct);
	dr_ev_num(f, "threshold_pct", (int64_t)t->ephemeral_pct);
	dr_ev_num(f, "ip_local_port_range_low", (int64_t)sn->port_lo);
	dr_ev_num(f, "ip_local_port_range_high", (int64_t)sn->port_hi);
	dr_ev_sysctl(f, sn, TULPEN_SYSCTL_TW_REUSE);
	f->advice = advice;
}

static void tw_overflow(const struct dr_snap *sn, struct dr_out *out)
{
	uint64_t d = dr_delta(sn, DR_C_TW_OVERFLOW);
	struct tulpen_doctor_finding *f;

	if (!d)
		return;
	f = dr_finding(out, sn, "time-wait-overflow", TULPEN_DOCTOR_NOTICE,
		       TULPEN_TCP_TIME_WAIT);
	if (!f)
		return;
	dr_summary(f,
		   "%llu connections closed without TIME-WAIT: "
		   "tcp_max_tw_buckets was reached (TcpExtTCPTimeWaitOverflow)",
		   (unsigned long long)d);
	dr_subject(f, "tw-buckets");
	dr_ev_num(f, "tcp_time_wait_overflow", (int64_t)d);
	dr_ev_sysctl(f, sn, TULPEN_SYSCTL_MAX_TW_BUCKETS);
	if (sn->b.have_sockstat)
		dr_ev_num(f, "time_wait", (int64_t)sn->b.sockstat.tw);
	dr_ev_num(f, "interval_ms", (int64_t)sn->interval_ms);
	f->advice = tw_advice;
}

static void add(const struct dr_snap *sn, const struct dr_sock *s,
		struct dr_group *g)
{
	(void)sn;
	if (s->s.state == TULPEN_TCP_TIME_WAIT)
		g->m++;
}

static int fires(const struct dr_snap *sn,
		 const struct tulpen_doctor_thresholds *t,
		 const struct dr_group *g)
{
	return g->n * 100 >= t->ephemeral_pct * range_of(sn);
}

static const struct dr_grouper grouper = {
	sizeof(struct eph_key), counts, key_of, add, fires, report,
};

void dr_rule_ephemeral(const struct dr_snap *sn,
		       const struct tulpen_doctor_thresholds *t,
		       struct dr_out *out)
{
	tw_overflow(sn, out);
	if (sn->have_port_range && sn->port_hi >= sn->port_lo)
		dr_group_run(sn, t, out, &grouper);
}
