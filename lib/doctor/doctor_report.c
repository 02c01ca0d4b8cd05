// SPDX-License-Identifier: MIT
/*
 * doctor_report.c - the report: its accessors, the text for people, the
 * JSON object of docs/json.md, and what changed between two reports
 * (tulpen doctor --watch).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "tulpen/explain.h"
#include "tulpen/fmt.h"
#include "tulpen/state.h"
#include "doctor/doctor_internal.h"
#include "doctor/doctor_report.h"

#define WIDTH 78

int64_t dr_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void tulpen_doctor_report_free(struct tulpen_doctor_report *r)
{
	if (!r)
		return;
	free(r->v);
	free(r);
}

size_t tulpen_doctor_count(const struct tulpen_doctor_report *r)
{
	return r->n;
}

const struct tulpen_doctor_finding *
tulpen_doctor_at(const struct tulpen_doctor_report *r, size_t i)
{
	return i < r->n ? &r->v[i] : NULL;
}

int tulpen_doctor_worst(const struct tulpen_doctor_report *r)
{
	return r->n ? r->v[0].severity : TULPEN_DOCTOR_OK;
}

size_t tulpen_doctor_namespaces(const struct tulpen_doctor_report *r,
				size_t *failed)
{
	if (failed)
		*failed = r->failed;
	return r->namespaces;
}

/*
 * Text carries names from other processes (commands, namespaces): the one
 * escape (docs/escape.md) keeps them from breaking lines or the terminal.
 * Into @out, at most @size bytes.
 */
static const char *esc(char *out, size_t size, const char *s)
{
	tulpen_escape(out, size, s);
	return out;
}

static void upper(struct tulpen_buf *b, const char *s)
{
	for (; *s; s++)
		tulpen_buf_putc(b, *s >= 'a' && *s <= 'z' ? *s - 32 : *s);
}

static void text_procs(struct tulpen_buf *b,
		       const struct tulpen_doctor_finding *f)
{
	struct tulpen_buf line;
	char label[256], name[TULPEN_ESC_MAX(64)];
	size_t i;

	if (!f->nprocs || tulpen_buf_init(&line, 0, NULL, NULL))
		return;
	tulpen_buf_puts(&line, "Processes:");
	for (i = 0; i < f->nprocs; i++) {
		const struct tulpen_doctor_proc *p = &f->procs[i];

		tulpen_buf_printf(&line, "%s %s (pid %d", i ? "," : "",
				  esc(name, sizeof(name), p->command),
				  (int)p->pid);
		if (p->sockets > 1)
			tulpen_buf_printf(&line, ", %llu sockets",
					  (unsigned long long)p->sockets);
		if (p->has_container) {
			tulpen_container_label(label, sizeof(label),
					       &p->container);
			tulpen_buf_printf(&line, ", %s", label);
		}
		tulpen_buf_putc(&line, ')');
	}
	if (f->more_procs)
		tulpen_buf_printf(&line, " and %zu more", f->more_procs);
	if (!line.err)
		tulpen_buf_wrap(b, 2, 4, WIDTH, line.data, 0);
	tulpen_buf_fini(&line);
}

static void text_evidence(struct tulpen_buf *b,
			  const struct tulpen_doctor_finding *f)
{
	struct tulpen_buf line;
	size_t i;

	if (!f->nev || tulpen_buf_init(&line, 0, NULL, NULL))
		return;
	tulpen_buf_puts(&line, "Evidence:");
	for (i = 0; i < f->nev; i++) {
		const struct tulpen_doctor_evidence *e = &f->ev[i];

		tulpen_buf_printf(&line, "%s %s ", i ? "," : "", e->name);
		if (e->is_text)
			tulpen_buf_escaped(&line, e->text);
		else
			tulpen_buf_i64(&line, e->num);
	}
	if (!line.err)
		tulpen_buf_wrap(b, 2, 4, WIDTH, line.data, 0);
	tulpen_buf_fini(&line);
}

static void text_labelled(struct tulpen_buf *b, const char *label,
			  const char *text)
{
	struct tulpen_buf line;

	if (!text || tulpen_buf_init(&line, 0, NULL, NULL))
		return;
	tulpen_buf_printf(&line, "%s %s", label, text);
	if (!line.err)
		tulpen_buf_wrap(b, 2, 4, WIDTH, line.data, 0);
	tulpen_buf_fini(&line);
}

static void text_finding(struct tulpen_buf *b,
			 const struct tulpen_doctor_finding *f)
{
	const struct tulpen_state_info *info =
		f->state ? tulpen_state_info(f->state) : NULL;
	char text[TULPEN_ESC_MAX(sizeof(f->summary))];

	tulpen_buf_putc(b, '\n');
	upper(b, tulpen_doctor_severity_name(f->severity));
	tulpen_buf_printf(b, " %s", f->kind);
	if (f->has_netns) {
		if (f->netns_name[0])
			tulpen_buf_printf(
				b, "  (netns %s)",
				esc(text, sizeof(text), f->netns_name));
		else
			tulpen_buf_printf(b, "  (netns %llu)",
					  (unsigned long long)f->netns_ino);
	}
	tulpen_buf_putc(b, '\n');
	tulpen_buf_wrap(b, 2, 2, WIDTH, esc(text, sizeof(text), f->summary), 0);
	text_labelled(b, "Do:", f->advice);
	text_procs(b, f);
	text_evidence(b, f);
	if (info) {
		const char *name =
			tulpen_state_name(f->state, TULPEN_STATE_RFC);

		tulpen_buf_printf(b, "  %s (tulpen explain ", name);
		for (; *name; name++)
			tulpen_buf_putc(b, *name >= 'A' && *name <= 'Z'
						   ? *name + 32
						   : *name);
		tulpen_buf_puts(b, "):\n");
		tulpen_buf_wrap(b, 4, 4, WIDTH, info->meaning, 0);
		tulpen_buf_wrap(b, 4, 4, WIDTH, info->pileup, 0);
	}
}

int tulpen_doctor_text(const struct tulpen_doctor_report *r,
		       struct tulpen_buf *b)
{
	size_t i;

	tulpen_buf_puts(b, "tulpen doctor: ");
	if (!r->n)
		tulpen_buf_puts(b, "no findings");
	else
		tulpen_buf_printf(
			b, "%zu finding%s, worst: %s", r->n,
			r->n == 1 ? "" : "s",
			tulpen_doctor_severity_name(tulpen_doctor_worst(r)));
	tulpen_buf_printf(b, " (%zu network namespace%s", r->namespaces,
			  r->namespaces == 1 ? "" : "s");
	if (r->failed)
		tulpen_buf_printf(b, ", %zu not readable", r->failed);
	tulpen_buf_puts(b, ", samples ");
	tulpen_buf_fixed(b, (int64_t)r->interval_ms, 3);
	tulpen_buf_puts(b, " s apart)\n");
	for (i = 0; i < r->n; i++)
		text_finding(b, &r->v[i]);
	return b->err;
}

static void json_ev(struct tulpen_buf *b, const struct tulpen_doctor_finding *f)
{
	size_t i;

	tulpen_buf_puts(b, ",\"evidence\":{");
	for (i = 0; i < f->nev; i++) {
		if (i)
			tulpen_buf_putc(b, ',');
		tulpen_buf_json_str(b, f->ev[i].name);
		tulpen_buf_putc(b, ':');
		if (f->ev[i].is_text)
			tulpen_buf_json_str(b, f->ev[i].text);
		else
			tulpen_buf_i64(b, f->ev[i].num);
	}
	tulpen_buf_putc(b, '}');
}

static void json_procs(struct tulpen_buf *b,
		       const struct tulpen_doctor_finding *f)
{
	size_t i, n = 0;

	tulpen_buf_puts(b, ",\"processes\":[");
	for (i = 0; i < f->nprocs; i++) {
		tulpen_buf_printf(b, "%s{\"pid\":%d,\"command\":", i ? "," : "",
				  (int)f->procs[i].pid);
		tulpen_buf_json_str(b, f->procs[i].command);
		tulpen_buf_putc(b, '}');
	}
	tulpen_buf_puts(b, "],\"containers\":[");
	for (i = 0; i < f->nprocs; i++) {
		if (!f->procs[i].has_container)
			continue;
		tulpen_buf_printf(b, "%s{\"pid\":%d,\"container\":",
				  n++ ? "," : "", (int)f->procs[i].pid);
		tulpen_container_json(&f->procs[i].container, b);
		tulpen_buf_putc(b, '}');
	}
	tulpen_buf_putc(b, ']');
}

static void json_explain(struct tulpen_buf *b, int state)
{
	const struct tulpen_state_info *info =
		state ? tulpen_state_info(state) : NULL;

	tulpen_buf_puts(b, ",\"state\":");
	if (!info) {
		tulpen_buf_puts(b, "null,\"explain\":null");
		return;
	}
	tulpen_buf_json_str(b, tulpen_state_name(state, TULPEN_STATE_RFC));
	tulpen_buf_puts(b, ",\"explain\":{\"meaning\":");
	tulpen_buf_json_str(b, info->meaning);
	tulpen_buf_puts(b, ",\"pileup\":");
	tulpen_buf_json_str(b, info->pileup);
	tulpen_buf_putc(b, '}');
}

static void json_finding(struct tulpen_buf *b,
			 const struct tulpen_doctor_finding *f)
{
	tulpen_buf_puts(b, "{\"kind\":");
	tulpen_buf_json_str(b, f->kind);
	tulpen_buf_puts(b, ",\"severity\":");
	tulpen_buf_json_str(b, tulpen_doctor_severity_name(f->severity));
	tulpen_buf_puts(b, ",\"summary\":");
	tulpen_buf_json_str(b, f->summary);
	tulpen_buf_puts(b, ",\"subject\":");
	tulpen_buf_json_str(b, f->subject);
	if (f->has_netns) {
		tulpen_buf_printf(b, ",\"netns\":{\"inode\":%llu,\"name\":",
				  (unsigned long long)f->netns_ino);
		if (f->netns_name[0])
			tulpen_buf_json_str(b, f->netns_name);
		else
			tulpen_buf_puts(b, "null");
		tulpen_buf_putc(b, '}');
	}
	if (f->has_local) {
		tulpen_buf_puts(b, ",\"local\":");
		tulpen_buf_json_endpoint(b, f->family, &f->local, 0, NULL);
	}
	if (f->has_peer) {
		tulpen_buf_puts(b, ",\"peer\":");
		tulpen_buf_json_endpoint(b, f->family, &f->peer, 0, NULL);
	}
	tulpen_buf_printf(b, ",\"sockets\":%llu",
			  (unsigned long long)f->sockets);
	json_ev(b, f);
	json_procs(b, f);
	json_explain(b, f->state);
	tulpen_buf_puts(b, ",\"advice\":");
	tulpen_buf_json_str(b, f->advice ? f->advice : "");
	tulpen_buf_putc(b, '}');
}

int tulpen_doctor_json(const struct tulpen_doctor_report *r,
		       struct tulpen_buf *b)
{
	size_t i;

	tulpen_buf_puts(b, "{\"ts\":");
	tulpen_buf_fixed(b, r->ts_us, 6);
	tulpen_buf_puts(b, ",\"interval_s\":");
	tulpen_buf_fixed(b, (int64_t)r->interval_ms, 3);
	tulpen_buf_printf(b, ",\"namespaces\":%zu,\"namespaces_failed\":%zu",
			  r->namespaces, r->failed);
	tulpen_buf_puts(b, ",\"worst\":");
	tulpen_buf_json_str(
		b, tulpen_doctor_severity_name(tulpen_doctor_worst(r)));
	tulpen_buf_puts(b, ",\"findings\":[");
	for (i = 0; i < r->n; i++) {
		if (i)
			tulpen_buf_putc(b, ',');
		json_finding(b, &r->v[i]);
	}
	tulpen_buf_puts(b, "]}\n");
	return b->err;
}

static int same(const struct tulpen_doctor_finding *a,
		const struct tulpen_doctor_finding *b)
{
	return !strcmp(a->kind, b->kind) && !strcmp(a->subject, b->subject) &&
	       a->netns_ino == b->netns_ino;
}

static const struct tulpen_doctor_finding *
find_in(const struct tulpen_doctor_report *r,
	const struct tulpen_doctor_finding *f)
{
	size_t i;

	for (i = 0; r && i < r->n; i++)
		if (same(&r->v[i], f))
			return &r->v[i];
	return NULL;
}

static void change(struct tulpen_buf *b, int json, int64_t ts, const char *type,
		   const struct tulpen_doctor_finding *f,
		   const struct tulpen_doctor_finding *was)
{
	char stamp[32];
	time_t t = (time_t)(ts / 1000000);
	struct tm tm;

	if (json) {
		tulpen_buf_puts(b, "{\"type\":");
		tulpen_buf_json_str(b, type);
		tulpen_buf_puts(b, ",\"ts\":");
		tulpen_buf_fixed(b, ts, 6);
		tulpen_buf_puts(b, ",\"finding\":");
		json_finding(b, f);
		tulpen_buf_puts(b, "}\n");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	tulpen_buf_printf(b, "%s %s ", stamp, type);
	upper(b, tulpen_doctor_severity_name(f->severity));
	if (was)
		tulpen_buf_printf(b, " (was %s)",
				  tulpen_doctor_severity_name(was->severity));
	tulpen_buf_printf(b, " %s: ", f->kind);
	tulpen_buf_escaped(b, f->summary);
	tulpen_buf_putc(b, '\n');
}

int tulpen_doctor_diff(const struct tulpen_doctor_report *prev,
		       const struct tulpen_doctor_report *cur, int json,
		       struct tulpen_buf *b)
{
	const struct tulpen_doctor_finding *p;
	size_t i;

	for (i = 0; i < cur->n; i++) {
		p = find_in(prev, &cur->v[i]);
		if (!p)
			change(b, json, cur->ts_us, "new", &cur->v[i], NULL);
		else if (p->severity != cur->v[i].severity)
			change(b, json, cur->ts_us, "changed", &cur->v[i], p);
	}
	for (i = 0; prev && i < prev->n; i++)
		if (!find_in(cur, &prev->v[i]))
			change(b, json, cur->ts_us, "resolved", &prev->v[i],
			       NULL);
	return b->err;
}
