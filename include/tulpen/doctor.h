/* SPDX-License-Identifier: MIT */
/*
 * tulpen/doctor.h - what is wrong with a host's TCP, and who does it.
 *
 * A run takes two samples of every network namespace asked for, an
 * interval apart: the TCP sockets (with tcp_info where the kernel gives
 * it), the counters of /proc/net/netstat and /proc/net/snmp, the TCP line
 * of /proc/net/sockstat, and the TCP sysctls, all read through the
 * context (its proc root and netns seam, so recorded data replays). One
 * owner scan then names the processes (and their containers) that hold
 * the sockets. Each rule (docs/doctor.md) looks at the two samples and
 * adds findings: a stable kind, a severity, one summary line, the
 * evidence, the processes, the state machine's explanation of the state
 * (tulpen/explain.h) and what to do. The report sorts them worst first.
 *
 * Ownership: tulpen_doctor_run() allocates a report,
 * tulpen_doctor_report_free() releases it; findings and their strings
 * live as long as the report. The context is borrowed for the call.
 */
#ifndef TULPEN_DOCTOR_H
#define TULPEN_DOCTOR_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/container.h"
#include "tulpen/ctx.h"
#include "tulpen/fmt.h"
#include "tulpen/sock.h"

enum tulpen_doctor_severity {
	TULPEN_DOCTOR_OK = 0, /* no finding */
	TULPEN_DOCTOR_NOTICE = 1,
	TULPEN_DOCTOR_WARNING = 2,
	TULPEN_DOCTOR_CRITICAL = 3,
};

/* "ok", "notice", "warning", "critical" (static). */
const char *tulpen_doctor_severity_name(int severity);

/*
 * Every kind a finding can have ("close-wait", ...), static, in a fixed
 * order; their number in *@n.
 */
const char *const *tulpen_doctor_kinds(size_t *n);

/* The thresholds of the rules (docs/doctor.md has what each means). */
struct tulpen_doctor_thresholds {
	uint64_t close_wait;	   /* CLOSE-WAIT per process and port */
	uint64_t close_wait_age_s; /* or one idle at least this long */
	uint64_t ephemeral_pct;	   /* % of the port range to one peer */
	uint64_t syn_sent;	   /* SYN-SENT to one destination */
	uint64_t accept_queue_pct; /* accept queue against its backlog */
	uint64_t syn_queue_pct;	   /* requests against tcp_max_syn_backlog */
	uint64_t orphans_pct;	   /* orphans against tcp_max_orphans */
	uint64_t fin_wait1;	   /* FIN-WAIT-1 stuck on a zero window */
	uint64_t fin_wait2;	   /* FIN-WAIT-2 orphans */
	uint64_t retrans_pct;	   /* % of segments retransmitted, per peer */
	uint64_t retrans_min;	   /* and at least this many */
	uint64_t stuck_queue;	   /* bytes that stay in a queue */
	uint64_t tcp_mem_pct;	   /* TCP memory against tcp_mem's pressure */
};

struct tulpen_doctor_opts {
	struct tulpen_doctor_thresholds t;
	uint64_t interval_ms; /* between the two samples (default 1000) */
	/* Which namespaces: NULL and 0 the caller's own; a spec as -N takes
	 * it (name, path or pid); or every one. */
	const char *netns;
	int all_netns;
};

/* Fill @o with the documented defaults. */
void tulpen_doctor_opts_default(struct tulpen_doctor_opts *o);

#define TULPEN_DOCTOR_MAX_EVIDENCE 16
#define TULPEN_DOCTOR_MAX_PROCS 8

struct tulpen_doctor_evidence {
	const char *name; /* snake_case, static: "close_wait", "tcp_mem_high" */
	int is_text;
	int64_t num;
	char text[64];
};

struct tulpen_doctor_proc {
	int32_t pid;
	char command[64];
	uint64_t sockets; /* of the finding's sockets it holds */
	int has_container;
	struct tulpen_container container;
};

struct tulpen_doctor_finding {
	const char *kind; /* stable id, static: "close-wait", "accept-queue" */
	int severity;	  /* enum tulpen_doctor_severity */
	int state;	  /* the TCP state it is about, 0 for none */
	char summary[256];
	/* what it is about, for telling findings apart between rounds */
	char subject[128];
	int family; /* of local and peer */
	int has_local, has_peer;
	struct tulpen_endpoint local, peer;
	uint64_t sockets; /* sockets involved (0: a counter finding) */
	struct tulpen_doctor_evidence ev[TULPEN_DOCTOR_MAX_EVIDENCE];
	size_t nev;
	struct tulpen_doctor_proc procs[TULPEN_DOCTOR_MAX_PROCS];
	size_t nprocs;
	size_t more_procs;  /* holders beyond TULPEN_DOCTOR_MAX_PROCS */
	const char *advice; /* what to do (static) */
	int has_netns;
	uint64_t netns_ino;
	char netns_name[128];
};

struct tulpen_doctor_report;

/*
 * tulpen_doctor_run - sample, wait opts->interval_ms, sample again, run
 * every rule. Returns 0 and the report in *@out, or a negative errno with
 * details in tulpen_ctx_errmsg() (no namespace could be read, -N names
 * none). Namespaces that could not be read are counted in the report.
 */
int tulpen_doctor_run(struct tulpen_ctx *ctx,
		      const struct tulpen_doctor_opts *o,
		      struct tulpen_doctor_report **out);
void tulpen_doctor_report_free(struct tulpen_doctor_report *r);

size_t tulpen_doctor_count(const struct tulpen_doctor_report *r);
/* Findings, worst first. */
const struct tulpen_doctor_finding *
tulpen_doctor_at(const struct tulpen_doctor_report *r, size_t i);
/* The worst severity (TULPEN_DOCTOR_OK without findings). */
int tulpen_doctor_worst(const struct tulpen_doctor_report *r);
/* Namespaces looked at, and those that could not be read. */
size_t tulpen_doctor_namespaces(const struct tulpen_doctor_report *r,
				size_t *failed);

/*
 * The report for people: a headline, then each finding (summary, what to
 * do, processes, evidence, the state's explanation), wrapped at 80
 * columns. Returns the buffer's error.
 */
int tulpen_doctor_text(const struct tulpen_doctor_report *r,
		       struct tulpen_buf *b);
/* The report as one JSON object and a newline (docs/json.md). */
int tulpen_doctor_json(const struct tulpen_doctor_report *r,
		       struct tulpen_buf *b);

/*
 * What changed from @prev (NULL: nothing before) to @cur: findings that
 * appeared, whose severity changed, or that went away, one per line (as
 * text), or one JSON object per line ({"type": "new"|"changed"|
 * "resolved", "ts", "finding"}). Writes nothing when nothing changed.
 * Returns the buffer's error.
 */
int tulpen_doctor_diff(const struct tulpen_doctor_report *prev,
		       const struct tulpen_doctor_report *cur, int json,
		       struct tulpen_buf *b);

#endif /* TULPEN_DOCTOR_H */
