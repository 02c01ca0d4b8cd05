// SPDX-License-Identifier: MIT
/*
 * rule_close_wait.c - CLOSE-WAIT accumulation: the peers closed, the
 * program never did. Counted per holding process and local port (a server
 * port) or destination (a client's connections); a socket counts when it
 * was in CLOSE-WAIT in both samples. The group is reported when it holds
 * at least close_wait sockets, or one idle (tcp_info's last receive) for
 * at least close_wait_age_s. Sockets held only by an inherited copy are
 * close-wait-copy's.
 */
#include <stdio.h>
#include <string.h>

#include "tulpen/state.h"
#include "doctor/doctor_internal.h"

struct cw_key {
	int32_t pid;
	uint16_t port;
	uint8_t server;
	uint8_t family;
	uint8_t peer[16];
};

static const char advice[] =
	"Find where the program reads end of file (read() returns 0) or "
	"gets an error on these connections and does not close() them: an "
	"error path that forgets to close, or a pool that keeps dead "
	"connections. Restarting the process frees them; closing them in "
	"the code fixes it.";

static int counts(const struct dr_snap *sn,
		  const struct tulpen_doctor_thresholds *t,
		  const struct dr_sock *s)
{
	(void)t;
	return dr_stays_in(sn, s, TULPEN_TCP_CLOSE_WAIT) &&
	       !dr_close_wait_is_copy(sn, s, NULL);
}

static void key_of(const struct dr_snap *sn, const struct dr_sock *s, void *key)
{
	struct cw_key *k = key;

	k->pid = s->nown ? dr_holder_proc(sn, s, 0)->pid : 0;
	k->family = s->s.family;
	k->server = dr_listener(sn, s) != NULL;
	if (k->server) {
		k->port = s->s.local.port;
	} else {
		k->port = s->s.peer.port;
		memcpy(k->peer, s->s.peer.addr.raw, 16);
	}
}

static void report(const struct dr_snap *sn,
		   const struct tulpen_doctor_thresholds *t, struct dr_out *out,
		   struct dr_group *g)
{
	const struct dr_sock *s = &sn->b.socks[g->first];
	int server = dr_listener(sn, s) != NULL;
	struct tulpen_doctor_finding *f;
	char where[80], who[128];
	int sev = TULPEN_DOCTOR_WARNING;

	if (g->n >= 20 * t->close_wait)
		sev = TULPEN_DOCTOR_CRITICAL;
	f = dr_finding(out, sn, "close-wait", sev, TULPEN_TCP_CLOSE_WAIT);
	if (!f)
		return;
	g->finding = out->n;
	f->family = s->s.family;
	f->sockets = g->n;
	if (server) {
		f->has_local = 1;
		f->local = s->s.local;
		snprintf(where, sizeof(where), "port %u", s->s.local.port);
	} else {
		f->has_peer = 1;
		f->peer = s->s.peer;
		dr_ep_text(where, sizeof(where), s->s.family, &s->s.peer);
	}
	dr_add_holders(f, sn, s);
	dr_procs_text(who, sizeof(who), f);
	f->nprocs = 0; /* counted again with every socket below */
	f->more_procs = 0;
	dr_summary(f,
		   "%llu connection%s %s %s stay%s in CLOSE-WAIT in %s: the "
		   "peer closed, the program never did",
		   (unsigned long long)g->n, g->n == 1 ? "" : "s",
		   server ? "on" : "to", where, g->n == 1 ? "s" : "", who);
	dr_subject(f, "%d %s%s", s->nown ? dr_holder_proc(sn, s, 0)->pid : 0,
		   server ? "" : "to ", where);
	dr_ev_num(f, "close_wait", (int64_t)g->n);
	dr_ev_num(f, "threshold", (int64_t)t->close_wait);
	if (g->m)
		dr_ev_num(f, "oldest_idle_s", (int64_t)(g->max / 1000));
	dr_ev_num(f, "age_threshold_s", (int64_t)t->close_wait_age_s);
	dr_ev_num(f, "interval_ms", (int64_t)sn->interval_ms);
	f->advice = advice;
}

/* m: sockets with tcp_info; max: the longest idle (ms) */
static void add(const struct dr_snap *sn, const struct dr_sock *s,
		struct dr_group *g)
{
	(void)sn;
	if (!s->have_info)
		return;
	g->m++;
	if (s->last_data_recv_ms > g->max)
		g->max = s->last_data_recv_ms;
}

static int fires(const struct dr_snap *sn,
		 const struct tulpen_doctor_thresholds *t,
		 const struct dr_group *g)
{
	(void)sn;
	return g->n >= t->close_wait ||
	       (g->m && g->max >= t->close_wait_age_s * 1000);
}

static const struct dr_grouper grouper = {
	sizeof(struct cw_key), counts, key_of, add, fires, report,
};

void dr_rule_close_wait(const struct dr_snap *sn,
			const struct tulpen_doctor_thresholds *t,
			struct dr_out *out)
{
	dr_group_run(sn, t, out, &grouper);
}
