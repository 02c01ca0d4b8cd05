// SPDX-License-Identifier: MIT
/*
 * render.c - a snapshot in the Prometheus text format 0.0.4 or in
 * OpenMetrics 1.0, and the content negotiation between them.
 *
 * The two differ where it matters here: OpenMetrics names a counter's
 * family without "_total" (its samples keep it), has an info type, and
 * ends with "# EOF". Label values are escaped (\\, \", \n); bytes that are
 * not printable ASCII (a process name can hold any) become '?', so the
 * output is always valid UTF-8.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tulpen/doctor.h"
#include "tulpen/version.h"
#include "metrics/metrics_internal.h"

enum ftype { F_GAUGE, F_COUNTER, F_INFO, F_HISTOGRAM };

struct out {
	struct tulpen_buf *b;
	enum tulpen_metrics_format fmt;
};

/* "# HELP" and "# TYPE" of a family; @name without _total/_info. */
static void family(struct out *o, const char *name, enum ftype t,
		   const char *help)
{
	static const char *const tname[] = { "gauge", "counter", "info",
					     "histogram" };
	const char *suffix = "";
	int om = o->fmt == TULPEN_METRICS_OPENMETRICS;

	if (!om && t == F_COUNTER)
		suffix = "_total";
	if (!om && t == F_INFO)
		suffix = "_info";
	tulpen_buf_printf(o->b, "# HELP %s%s %s\n", name, suffix, help);
	tulpen_buf_printf(o->b, "# TYPE %s%s %s\n", name, suffix,
			  !om && t == F_INFO ? "gauge" : tname[t]);
}

static void label_value(struct tulpen_buf *b, const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '\\' || *p == '"')
			tulpen_buf_putc(b, '\\');
		if (*p == '\n') {
			tulpen_buf_puts(b, "\\n");
			continue;
		}
		tulpen_buf_putc(b, *p >= 0x20 && *p < 0x7f ? (char)*p : '?');
	}
}

/* One sample line: NAME{LABELS} VALUE; @labels pre-escaped or NULL. */
static void sample(struct out *o, const char *name, const char *suffix,
		   const char *labels, uint64_t v)
{
	tulpen_buf_printf(o->b, "%s%s", name, suffix);
	if (labels)
		tulpen_buf_printf(o->b, "{%s}", labels);
	tulpen_buf_putc(o->b, ' ');
	tulpen_buf_u64(o->b, v);
	tulpen_buf_putc(o->b, '\n');
}

static void sample_f(struct out *o, const char *name, double v)
{
	tulpen_buf_printf(o->b, "%s %.6f\n", name, v);
}

static const char *const fam_name[TM_FAMS] = { "inet", "inet6", "unix" };

static void render_sockets(struct out *o, const struct tm_snap *s)
{
	/* the states in the order a connection meets them */
	static const int order[] = {
		TULPEN_TCP_LISTEN,     TULPEN_TCP_SYN_SENT,
		TULPEN_TCP_SYN_RECV,   TULPEN_TCP_ESTABLISHED,
		TULPEN_TCP_FIN_WAIT1,  TULPEN_TCP_FIN_WAIT2,
		TULPEN_TCP_CLOSE_WAIT, TULPEN_TCP_CLOSING,
		TULPEN_TCP_LAST_ACK,   TULPEN_TCP_TIME_WAIT,
		TULPEN_TCP_CLOSE,      TULPEN_TCP_BOUND_INACTIVE,
	};
	char lab[96];
	size_t i;
	int p, f;

	family(o, "tulpen_tcp_sockets", F_GAUGE,
	       "TCP sockets by RFC 9293 state, IPv4 and IPv6, each once; "
	       "request sockets count as SYN-RECEIVED.");
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		snprintf(lab, sizeof(lab), "state=\"%s\"",
			 tulpen_state_name(order[i], TULPEN_STATE_RFC));
		sample(o, "tulpen_tcp_sockets", "", lab,
		       s->tcp_states[order[i]]);
	}
	family(o, "tulpen_sockets", F_GAUGE,
	       "Sockets by protocol and address family.");
	for (p = 0; p < TULPEN_P_MAX; p++)
		for (f = 0; f < TM_FAMS; f++) {
			if ((p == TULPEN_P_UNIX) != (f == TM_UNIX))
				continue;
			snprintf(lab, sizeof(lab), "proto=\"%s\",family=\"%s\"",
				 tulpen_proto_name(p), fam_name[f]);
			sample(o, "tulpen_sockets", "", lab, s->sockets[p][f]);
		}
}

/* netns="...",container="..." of @l (no leading or trailing comma). */
static void ns_labels(struct tulpen_buf *b, const struct tm_nslabel *l)
{
	tulpen_buf_puts(b, "netns=\"");
	label_value(b, l->netns);
	tulpen_buf_puts(b, "\",container=\"");
	label_value(b, l->container);
	tulpen_buf_putc(b, '"');
}

static const struct tm_nslabel ns_other = { "other", "other" };

static void netns_series(struct out *o, const struct tm_netns *n)
{
	static const char name[] = "tulpen_tcp_sockets_by_netns";
	int st;

	for (st = 1; st < TULPEN_TCP_MAX_STATES; st++) {
		if (st == TULPEN_TCP_NEW_SYN_RECV)
			continue;
		tulpen_buf_printf(o->b, "%s{", name);
		ns_labels(o->b, &n->ns);
		tulpen_buf_printf(o->b, ",state=\"%s\"} ",
				  tulpen_state_name(st, TULPEN_STATE_RFC));
		tulpen_buf_u64(o->b, n->states[st]);
		tulpen_buf_putc(o->b, '\n');
	}
}

/* The protocols a collection walks: those tulpen_sockets_by_netns has. */
static const int walked_protos[] = { TULPEN_P_TCP,     TULPEN_P_UDP,
				     TULPEN_P_UDPLITE, TULPEN_P_RAW,
				     TULPEN_P_UNIX,    TULPEN_P_MPTCP };

static void netns_sockets(struct out *o, const struct tm_netns *n)
{
	static const char name[] = "tulpen_sockets_by_netns";
	size_t i;
	int p, f;

	for (i = 0; i < sizeof(walked_protos) / sizeof(walked_protos[0]); i++)
		for (f = 0; f < TM_FAMS; f++) {
			p = walked_protos[i];
			if ((p == TULPEN_P_UNIX) != (f == TM_UNIX))
				continue;
			tulpen_buf_printf(o->b, "%s{", name);
			ns_labels(o->b, &n->ns);
			tulpen_buf_printf(o->b, ",proto=\"%s\",family=\"%s\"} ",
					  tulpen_proto_name(p), fam_name[f]);
			tulpen_buf_u64(o->b, n->sockets[p][f]);
			tulpen_buf_putc(o->b, '\n');
		}
}

/* One family of series per namespace: the top K, then other. */
static void netns_family(struct out *o, const struct tm_snap *s,
			 const char *name, const char *help,
			 void (*series)(struct out *o,
					const struct tm_netns *n))
{
	struct tm_netns other = s->other_netns;
	size_t i;

	other.ns = ns_other;
	family(o, name, F_GAUGE, help);
	for (i = 0; i < s->ntop_netns; i++)
		series(o, &s->top_netns[i]);
	if (s->has_other_netns)
		series(o, &other);
}

/* --all-netns: the top K namespaces' sockets, the rest as other. */
static void render_netns(struct out *o, const struct tm_snap *s)
{
	if (!s->all_netns)
		return;
	netns_family(o, s, "tulpen_tcp_sockets_by_netns",
		     "TCP sockets by network namespace (its /run/netns name, "
		     "else its inode), container and RFC 9293 state: the top "
		     "K namespaces by sockets, the rest as netns=\"other\".",
		     netns_series);
	netns_family(o, s, "tulpen_sockets_by_netns",
		     "Sockets by network namespace, container, protocol and "
		     "address family: the namespaces of "
		     "tulpen_tcp_sockets_by_netns.",
		     netns_sockets);
	family(o, "tulpen_netns_walked", F_GAUGE,
	       "Network namespaces the last collection walked.");
	sample(o, "tulpen_netns_walked", "", NULL, s->netns_walked);
	family(o, "tulpen_netns_failed", F_GAUGE,
	       "Network namespaces the last collection could not walk.");
	sample(o, "tulpen_netns_failed", "", NULL, s->netns_failed);
}

static void listener_labels(struct tulpen_buf *b, const struct tm_snap *s,
			    const struct tm_listener *l)
{
	tulpen_buf_puts(b, "{address=\"");
	label_value(b, l->address);
	tulpen_buf_printf(b, "\",port=\"%u\"", l->port);
	if (s->all_netns) {
		tulpen_buf_putc(b, ',');
		ns_labels(b, &l->ns);
	}
	tulpen_buf_putc(b, '}');
}

static void listener_family(struct out *o, const struct tm_snap *s,
			    const char *name, int limit)
{
	const struct tm_listener *l;
	size_t i;

	for (i = 0; i <= s->ntop_listeners; i++) {
		if (i == s->ntop_listeners) {
			if (!s->has_other_listeners)
				break;
			l = &s->other_listeners;
			tulpen_buf_printf(o->b,
					  "%s{address=\"other\","
					  "port=\"other\"%s}",
					  name,
					  s->all_netns ? ",netns=\"other\","
							 "container=\"other\""
						       : "");
		} else {
			l = &s->top_listeners[i];
			tulpen_buf_puts(o->b, name);
			listener_labels(o->b, s, l);
		}
		tulpen_buf_putc(o->b, ' ');
		tulpen_buf_u64(o->b, limit ? l->limit : l->queue);
		tulpen_buf_putc(o->b, '\n');
	}
}

static void render_listeners(struct out *o, const struct tm_snap *s)
{
	family(o, "tulpen_tcp_listeners", F_GAUGE, "TCP listening sockets.");
	sample(o, "tulpen_tcp_listeners", "", NULL, s->listeners);
	family(o, "tulpen_tcp_listen_queue_length", F_GAUGE,
	       "Connections waiting in a listener's accept queue; the top K "
	       "listeners by queue, the rest summed as address=\"other\".");
	listener_family(o, s, "tulpen_tcp_listen_queue_length", 0);
	family(o, "tulpen_tcp_listen_queue_limit", F_GAUGE,
	       "The accept queue's limit (backlog) of the same listeners.");
	listener_family(o, s, "tulpen_tcp_listen_queue_limit", 1);
}

static void render_procs(struct out *o, const struct tm_snap *s)
{
	static const char name[] = "tulpen_tcp_close_wait_sockets_by_process";
	const struct tm_process *p;
	size_t i;

	if (!s->owners_enabled)
		return;
	family(o, name, F_GAUGE,
	       "CLOSE-WAIT sockets by the process holding them (its lowest "
	       "pid); the top K, the rest as command=\"other\", sockets no "
	       "known process holds as command=\"unknown\".");
	for (i = 0; i < s->ntop_procs; i++) {
		p = &s->top_procs[i];
		tulpen_buf_printf(o->b, "%s{command=\"", name);
		label_value(o->b, p->command);
		tulpen_buf_printf(o->b, "\",pid=\"%d\"", (int)p->pid);
		if (s->all_netns) {
			tulpen_buf_putc(o->b, ',');
			ns_labels(o->b, &p->ns);
		}
		tulpen_buf_puts(o->b, "} ");
		tulpen_buf_u64(o->b, p->sockets);
		tulpen_buf_putc(o->b, '\n');
	}
	sample(o, name, "",
	       s->all_netns ? "command=\"other\",pid=\"other\","
			      "netns=\"other\",container=\"other\""
			    : "command=\"other\",pid=\"other\"",
	       s->other_procs_sockets);
	sample(o, name, "",
	       s->all_netns ? "command=\"unknown\",pid=\"unknown\","
			      "netns=\"unknown\",container=\"unknown\""
			    : "command=\"unknown\",pid=\"unknown\"",
	       s->unknown_sockets);
	family(o, "tulpen_owners_age_seconds", F_GAUGE,
	       "Age of the process scan the owners come from (-1: none yet).");
	sample_f(o, "tulpen_owners_age_seconds", s->owners_age_s);
	family(o, "tulpen_owners_scans", F_COUNTER,
	       "Scans of every process's file descriptors.");
	sample(o, "tulpen_owners_scans", "_total", NULL, s->owner_scans);
	family(o, "tulpen_owners_denied_processes", F_GAUGE,
	       "Processes the last scan was not allowed to inspect.");
	sample(o, "tulpen_owners_denied_processes", "", NULL, s->owners_denied);
}

static void render_kernel(struct out *o, const struct tm_snap *s)
{
	const struct tm_kcounter *c;
	const char *last = NULL;
	size_t i;

	for (i = 0; i < tm_nkcounters; i++) {
		c = &tm_kcounters[i];
		if (!s->k.have[i])
			continue;
		if (!last || strcmp(last, c->metric))
			family(o, c->metric, F_COUNTER,
			       c->help ? c->help : tm_kcounters[i - 1].help);
		last = c->metric;
		sample(o, c->metric, "_total", c->label, s->k.value[i]);
	}
	if (s->k.have_sockstat) {
		family(o, "tulpen_tcp_orphan_sockets", F_GAUGE,
		       "TCP sockets no file descriptor holds any more, "
		       "host-wide (/proc/net/sockstat).");
		sample(o, "tulpen_tcp_orphan_sockets", "", NULL,
		       s->k.tcp_orphans);
		family(o, "tulpen_tcp_memory_bytes", F_GAUGE,
		       "Memory TCP buffers use, host-wide "
		       "(/proc/net/sockstat).");
		sample(o, "tulpen_tcp_memory_bytes", "", NULL,
		       s->k.tcp_mem_bytes);
	}
	if (s->k.have_port_range) {
		family(o, "tulpen_tcp_ephemeral_ports", F_GAUGE,
		       "Ports in the ephemeral range (ip_local_port_range).");
		sample(o, "tulpen_tcp_ephemeral_ports", "", NULL,
		       (uint64_t)(s->k.port_hi - s->k.port_lo + 1));
		family(o, "tulpen_tcp_ephemeral_ports_used", F_GAUGE,
		       "Distinct local ports of the ephemeral range that "
		       "TCP sockets other than listeners hold.");
		sample(o, "tulpen_tcp_ephemeral_ports_used", "", NULL,
		       s->ephemeral_used);
	}
}

static void render_doctor(struct out *o, const struct tm_snap *s)
{
	static const char *const sev[3] = { "notice", "warning", "critical" };
	const char *const *kinds;
	char labels[128];
	size_t nk, k, i;

	if (!s->doctor_enabled)
		return;
	kinds = tulpen_doctor_kinds(&nk);
	family(o, "tulpen_doctor_findings", F_GAUGE,
	       "Findings of tulpen doctor's last run, by kind and severity "
	       "(docs/doctor.md).");
	for (k = 0; s->doctor_have && k < nk && k < TM_DOCTOR_KINDS; k++)
		for (i = 0; i < 3; i++) {
			snprintf(labels, sizeof(labels),
				 "kind=\"%s\",severity=\"%s\"", kinds[k],
				 sev[i]);
			sample(o, "tulpen_doctor_findings", "", labels,
			       s->doctor[k][i]);
		}
	family(o, "tulpen_doctor_age_seconds", F_GAUGE,
	       "Age of tulpen doctor's last finished run (-1: none yet).");
	sample_f(o, "tulpen_doctor_age_seconds", s->doctor_age_s);
	family(o, "tulpen_doctor_runs", F_COUNTER,
	       "Runs of tulpen doctor finished.");
	sample(o, "tulpen_doctor_runs", "_total", NULL, s->doctor_runs);
}

static void render_self(struct out *o, const struct tm_snap *s)
{
	family(o, "tulpen_build", F_INFO, "tulpen's version.");
	sample(o, "tulpen_build_info", "",
	       "version=\"" TULPEN_VERSION_STRING "\"", 1);
	family(o, "tulpen_collect_duration_seconds", F_GAUGE,
	       "How long the last collection took.");
	sample_f(o, "tulpen_collect_duration_seconds", s->duration_s);
	family(o, "tulpen_collections", F_COUNTER,
	       "Collections (socket walks) since start.");
	sample(o, "tulpen_collections", "_total", NULL, s->collections);
	family(o, "tulpen_collect_split_walks", F_COUNTER,
	       "Collections whose TCP walk ran in two halves at once, cut at "
	       "a port, on two netlink sockets.");
	sample(o, "tulpen_collect_split_walks", "_total", NULL, s->split_walks);
	family(o, "tulpen_collect_failures", F_COUNTER,
	       "Collections whose socket walk failed.");
	sample(o, "tulpen_collect_failures", "_total", NULL, s->failures);
	family(o, "tulpen_scrapes_shared", F_COUNTER,
	       "Scrapes answered from a collection another scrape started.");
	sample(o, "tulpen_scrapes_shared", "_total", NULL, s->shared);
}

static void render_transitions(struct out *o, const struct tm_snap *s)
{
	static const char name[] = "tulpen_tcp_transitions";
	const struct tulpen_watch_counts *c = &s->counts;
	char labels[96];
	int i, j;

	family(o, name, F_COUNTER,
	       "TCP state transitions counted in the kernel (eBPF) since "
	       "start.");
	for (i = 0; i < TULPEN_TCP_MAX_STATES; i++) {
		for (j = 0; j < TULPEN_TCP_MAX_STATES; j++) {
			if (!c->transitions[i][j])
				continue;
			snprintf(labels, sizeof(labels),
				 "from=\"%s\",to=\"%s\"",
				 tulpen_state_name(i, TULPEN_STATE_RFC),
				 tulpen_state_name(j, TULPEN_STATE_RFC));
			sample(o, name, "_total", labels, c->transitions[i][j]);
		}
	}
	family(o, "tulpen_tcp_transitions_missed", F_COUNTER,
	       "Runs of the eBPF programs the kernel skipped (one was "
	       "already running on the CPU): transitions maybe not "
	       "counted.");
	sample(o, "tulpen_tcp_transitions_missed", "_total", NULL, c->missed);
}

/* A bucket bound, 2^slot microseconds in seconds, exactly. */
static void bound(char *out, size_t len, unsigned slot)
{
	uint64_t us = 1ull << slot;
	size_t n;

	snprintf(out, len, "%llu.%06llu", (unsigned long long)(us / 1000000),
		 (unsigned long long)(us % 1000000));
	n = strlen(out);
	while (n > 2 && out[n - 1] == '0' && out[n - 2] != '.')
		out[--n] = '\0';
}

static void render_durations(struct out *o, const struct tm_snap *s)
{
	static const char name[] = "tulpen_tcp_connection_duration_seconds";
	const struct tulpen_watch_counts *c = &s->counts;
	char labels[48], le[32];
	uint64_t cum = 0;
	unsigned i;

	family(o, name, F_HISTOGRAM,
	       "How long TCP sockets lived, from SYN-SENT (or a listener's "
	       "child's SYN-RECEIVED) to CLOSED or TIME-WAIT, counted in the "
	       "kernel (eBPF); one per end.");
	for (i = 0; i < TULPEN_WATCH_DUR_SLOTS - 1; i++) {
		cum += c->duration[i];
		bound(le, sizeof(le), i);
		snprintf(labels, sizeof(labels), "le=\"%s\"", le);
		sample(o, name, "_bucket", labels, cum);
	}
	cum += c->duration[TULPEN_WATCH_DUR_SLOTS - 1];
	sample(o, name, "_bucket", "le=\"+Inf\"", cum);
	tulpen_buf_printf(o->b, "%s_sum %.9f\n", name,
			  (double)c->duration_sum_ns / 1e9);
	sample(o, name, "_count", NULL, cum);
	family(o, "tulpen_tcp_connection_lifetimes_untracked", F_COUNTER,
	       "TCP sockets born while the kernel's table of births was full: "
	       "their lifetimes are not in the histogram.");
	sample(o, "tulpen_tcp_connection_lifetimes_untracked", "_total", NULL,
	       c->lifetimes_untracked);
}

int tm_render(const struct tm_snap *s, enum tulpen_metrics_format fmt,
	      struct tulpen_buf *b)
{
	struct out o = { b, fmt };

	render_sockets(&o, s);
	render_netns(&o, s);
	render_listeners(&o, s);
	render_procs(&o, s);
	render_kernel(&o, s);
	if (s->have_counts) {
		render_transitions(&o, s);
		render_durations(&o, s);
	}
	render_doctor(&o, s);
	render_self(&o, s);
	if (fmt == TULPEN_METRICS_OPENMETRICS)
		tulpen_buf_puts(b, "# EOF\n");
	return b->err;
}

const char *tulpen_metrics_content_type(enum tulpen_metrics_format fmt)
{
	return fmt == TULPEN_METRICS_OPENMETRICS
		       ? "application/openmetrics-text; version=1.0.0; "
			 "charset=utf-8"
		       : "text/plain; version=0.0.4; charset=utf-8";
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* q of one "type/sub;a=b;q=0.5" element: 0..1000, or 1000 without one. */
static int element_q(const char *p, const char *end)
{
	const char *semi;
	int q = 1000, scale = 100;

	while ((semi = memchr(p, ';', (size_t)(end - p)))) {
		p = semi + 1;
		while (p < end && is_space(*p))
			p++;
		if (end - p < 2 || (*p != 'q' && *p != 'Q') || p[1] != '=')
			continue;
		p += 2;
		if (p < end && *p == '1')
			return 1000;
		if (p >= end || *p != '0')
			return 0; /* malformed: do not prefer it */
		q = 0;
		p++;
		if (p < end && *p == '.')
			for (p++; p < end && *p >= '0' && *p <= '9' && scale;
			     p++, scale /= 10)
				q += (*p - '0') * scale;
	}
	return q;
}

static int type_is(const char *p, const char *end, const char *type)
{
	size_t n = strlen(type);

	while (p < end && is_space(*p))
		p++;
	if ((size_t)(end - p) < n || strncasecmp(p, type, n))
		return 0;
	p += n;
	return p == end || *p == ';' || is_space(*p);
}

enum tulpen_metrics_format tulpen_metrics_negotiate(const char *accept)
{
	const char *p = accept, *end, *comma;
	int om = 0, text = 0, q;

	if (!accept)
		return TULPEN_METRICS_PROMETHEUS;
	end = p + strlen(p);
	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		if (!comma)
			comma = end;
		q = element_q(p, comma);
		if (type_is(p, comma, "application/openmetrics-text") && q > om)
			om = q;
		else if (type_is(p, comma, "text/plain") && q > text)
			text = q;
		p = comma + 1;
	}
	return om > 0 && om > text ? TULPEN_METRICS_OPENMETRICS
				   : TULPEN_METRICS_PROMETHEUS;
}
