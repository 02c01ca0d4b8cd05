// SPDX-License-Identifier: MIT
/*
 * doctor_finding.c - building findings: a new one, its summary, evidence
 * and processes, and the report's order (worst first).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/fmt.h"
#include "doctor/doctor_internal.h"

static const char *const sev_names[] = { "ok", "notice", "warning",
					 "critical" };

const char *tulpen_doctor_severity_name(int severity)
{
	if (severity < 0 || severity > TULPEN_DOCTOR_CRITICAL)
		return "unknown";
	return sev_names[severity];
}

struct tulpen_doctor_finding *dr_finding(struct dr_out *out,
					 const struct dr_snap *sn,
					 const char *kind, int severity,
					 int state)
{
	struct tulpen_doctor_finding *f;

	if (out->err)
		return NULL;
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 8;
		void *v = realloc(out->v, cap * sizeof(*out->v));

		if (!v) {
			out->err = -ENOMEM;
			return NULL;
		}
		out->v = v;
		out->cap = cap;
	}
	f = &out->v[out->n++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->severity = severity;
	f->state = state;
	if (sn && sn->netns_ino) {
		f->has_netns = 1;
		f->netns_ino = sn->netns_ino;
		if (sn->netns_name)
			snprintf(f->netns_name, sizeof(f->netns_name), "%s",
				 sn->netns_name);
	}
	return f;
}

void dr_summary(struct tulpen_doctor_finding *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->summary, sizeof(f->summary), fmt, ap);
	va_end(ap);
}

void dr_subject(struct tulpen_doctor_finding *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->subject, sizeof(f->subject), fmt, ap);
	va_end(ap);
}

static struct tulpen_doctor_evidence *ev_new(struct tulpen_doctor_finding *f,
					     const char *name)
{
	struct tulpen_doctor_evidence *e;

	if (f->nev == TULPEN_DOCTOR_MAX_EVIDENCE)
		return NULL;
	e = &f->ev[f->nev++];
	memset(e, 0, sizeof(*e));
	e->name = name;
	return e;
}

void dr_ev_num(struct tulpen_doctor_finding *f, const char *name, int64_t v)
{
	struct tulpen_doctor_evidence *e = ev_new(f, name);

	if (e)
		e->num = v;
}

void dr_ev_text(struct tulpen_doctor_finding *f, const char *name,
		const char *text)
{
	struct tulpen_doctor_evidence *e = ev_new(f, name);

	if (!e)
		return;
	e->is_text = 1;
	snprintf(e->text, sizeof(e->text), "%s", text);
}

void dr_ev_sysctl(struct tulpen_doctor_finding *f, const struct dr_snap *sn,
		  int id)
{
	if (sn->host.v[id] >= 0)
		dr_ev_num(f, tulpen_sysctl_name(id), sn->host.v[id]);
}

void dr_add_proc(struct tulpen_doctor_finding *f, const struct dr_proc *p,
		 uint64_t sockets)
{
	struct tulpen_doctor_proc *d;
	size_t i;

	for (i = 0; i < f->nprocs; i++)
		if (f->procs[i].pid == p->pid) {
			f->procs[i].sockets += sockets;
			return;
		}
	if (f->nprocs == TULPEN_DOCTOR_MAX_PROCS) {
		f->more_procs++;
		return;
	}
	d = &f->procs[f->nprocs++];
	memset(d, 0, sizeof(*d));
	d->pid = p->pid;
	snprintf(d->command, sizeof(d->command), "%s", p->comm);
	d->sockets = sockets;
	d->has_container = p->has_container;
	d->container = p->container;
}

void dr_add_holders(struct tulpen_doctor_finding *f, const struct dr_snap *sn,
		    const struct dr_sock *s)
{
	uint32_t i;

	for (i = 0; i < s->nown; i++) {
		uint32_t j;
		int dup = 0;

		/* one socket counts once per process, whatever its fds */
		for (j = 0; j < i; j++)
			if (sn->holders[s->own + j].proc ==
			    sn->holders[s->own + i].proc)
				dup = 1;
		if (!dup)
			dr_add_proc(f, dr_holder_proc(sn, s, i), 1);
	}
}

size_t dr_procs_text(char *out, size_t size,
		     const struct tulpen_doctor_finding *f)
{
	size_t more = f->nprocs ? f->nprocs - 1 + f->more_procs : 0;
	int n;

	if (!f->nprocs)
		n = snprintf(out, size, "a process tulpen cannot see");
	else if (more)
		n = snprintf(out, size, "%s (pid %d) and %zu more",
			     f->procs[0].command, (int)f->procs[0].pid, more);
	else
		n = snprintf(out, size, "%s (pid %d)", f->procs[0].command,
			     (int)f->procs[0].pid);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

size_t dr_ep_text(char *out, size_t size, int family,
		  const struct tulpen_endpoint *ep)
{
	struct tulpen_ep_style st = { .brackets = 1, .proto = TULPEN_P_TCP };

	return tulpen_fmt_ep(out, size, family, ep, 0, &st);
}

static int cmp(const void *x, const void *y)
{
	const struct tulpen_doctor_finding *a = x, *b = y;
	int c;

	if (a->severity != b->severity)
		return b->severity - a->severity;
	if (a->sockets != b->sockets)
		return a->sockets < b->sockets ? 1 : -1;
	c = strcmp(a->kind, b->kind);
	return c ? c : strcmp(a->subject, b->subject);
}

void dr_sort(struct dr_out *out)
{
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp);
}

void dr_peer_finding(struct tulpen_doctor_finding *f, const struct dr_sock *s,
		     uint64_t n)
{
	f->family = s->s.family;
	f->has_peer = 1;
	f->peer = s->s.peer;
	f->sockets = n;
}
