// SPDX-License-Identifier: MIT
/*
 * rule_close_wait_copy.c - CLOSE-WAIT held by a copy (the classic leak):
 * the process that accepted the connection closed its descriptor or
 * exited, and a copy inherited by another process (fork without close,
 * exec without SOCK_CLOEXEC) keeps the socket open. Seen as a CLOSE-WAIT
 * socket (in both samples) of a listening port whose holders do not hold
 * that listener, while an ancestor of theirs does (dr_close_wait_is_copy).
 * One finding per accepting process and port, naming the holders; one
 * such socket is enough.
 */
#include <stdio.h>
#include <string.h>

#include "tulpen/state.h"
#include "doctor/doctor_internal.h"

static const char advice[] =
	"Close the connection's descriptor in the child after fork() (or "
	"open sockets with SOCK_CLOEXEC / accept4(..., SOCK_CLOEXEC) so "
	"exec() does not pass them on): as long as this copy is open the "
	"kernel never sends the FIN and the peer waits. Ending the holding "
	"process frees them now.";

struct copy_key {
	int32_t pid;
	uint16_t port;
	uint16_t pad;
};

static int counts(const struct dr_snap *sn,
		  const struct tulpen_doctor_thresholds *t,
		  const struct dr_sock *s)
{
	(void)t;
	return dr_stays_in(sn, s, TULPEN_TCP_CLOSE_WAIT) &&
	       dr_close_wait_is_copy(sn, s, NULL);
}

static void report(const struct dr_snap *sn, struct dr_out *out,
		   struct dr_group *g)
{
	const struct dr_sock *s = &sn->b.socks[g->first];
	const struct dr_proc *a = &sn->procs[g->m];
	struct tulpen_doctor_finding *f;

	f = dr_finding(out, sn, "close-wait-copy", TULPEN_DOCTOR_WARNING,
		       TULPEN_TCP_CLOSE_WAIT);
	if (!f)
		return;
	g->finding = out->n;
	f->family = s->s.family;
	f->sockets = g->n;
	f->has_local = 1;
	f->local = s->s.local;
	dr_summary(f,
		   "%llu CLOSE-WAIT connection%s of port %u that %s (pid %d) "
		   "accepted %s held only by copies in other processes: they "
		   "keep them open",
		   (unsigned long long)g->n, g->n == 1 ? "" : "s",
		   s->s.local.port, a->comm, (int)a->pid,
		   g->n == 1 ? "is" : "are");
	dr_subject(f, "%d port %u", (int)a->pid, s->s.local.port);
	dr_ev_num(f, "close_wait", (int64_t)g->n);
	dr_ev_num(f, "listener_pid", a->pid);
	dr_ev_text(f, "listener_command", a->comm);
	dr_ev_num(f, "interval_ms", (int64_t)sn->interval_ms);
	f->advice = advice;
}

/* The accepting process and the port. */
static void key_of(const struct dr_snap *sn, const struct dr_sock *s, void *key)
{
	struct copy_key *k = key;
	uint32_t acc = 0;

	dr_close_wait_is_copy(sn, s, &acc);
	k->pid = sn->procs[acc].pid;
	k->port = s->s.local.port;
}

/* m: the accepting process's index */
static void add(const struct dr_snap *sn, const struct dr_sock *s,
		struct dr_group *g)
{
	uint32_t acc = 0;

	dr_close_wait_is_copy(sn, s, &acc);
	g->m = acc;
}

static int fires(const struct dr_snap *sn,
		 const struct tulpen_doctor_thresholds *t,
		 const struct dr_group *g)
{
	(void)sn;
	(void)t;
	return g->n > 0; /* one such socket is a bug */
}

static void report_g(const struct dr_snap *sn,
		     const struct tulpen_doctor_thresholds *t,
		     struct dr_out *out, struct dr_group *g)
{
	(void)t;
	report(sn, out, g);
}

static const struct dr_grouper grouper = {
	sizeof(struct copy_key), counts, key_of, add, fires, report_g,
};

void dr_rule_close_wait_copy(const struct dr_snap *sn,
			     const struct tulpen_doctor_thresholds *t,
			     struct dr_out *out)
{
	dr_group_run(sn, t, out, &grouper);
}
