// SPDX-License-Identifier: MIT
/*
 * cmd_doctor.c - `tulpen doctor`: what is wrong with this host's TCP, who
 * does it and what to do (lib/doctor). Parses options, prints the report
 * and turns its worst severity into the exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tulpen/ctx.h"
#include "tulpen/doctor.h"
#include "tulpen/fmt.h"
#include "cli_util.h"
#include "commands.h"
#include "output.h"

/* Exit status per worst severity: neither 1 (error) nor 2 (usage). */
enum {
	DOCTOR_EXIT_NOTICE = 3,
	DOCTOR_EXIT_WARNING = 4,
	DOCTOR_EXIT_CRITICAL = 5,
};

static const char usage[] =
	"Usage: tulpen doctor [ OPTIONS ]\n"
	"What is wrong with this host's TCP: finds the usual pathologies, "
	"names the\nprocess and says what to do. Two samples --interval "
	"apart.\n"
	"\n"
	"   -h, --help               this message\n"
	"   -V, --version            output version information\n"
	"   -N, --netns=NS           look into network namespace NS (name, "
	"path or pid)\n"
	"       --all-netns          every network namespace of the host\n"
	"       --json               one JSON object (docs/json.md)\n"
	"       --interval=S         between the two samples (default 1s)\n"
	"       --watch=S            run every S and print only what "
	"changed\n"
	"       --proc-root=DIR      read /proc files under DIR (recorded "
	"data)\n"
	"\n"
	"Thresholds (docs/doctor.md):\n"
	"       --close-wait=N       CLOSE-WAIT per process and port "
	"(5)\n"
	"       --close-wait-age=S   or one idle that long (60s)\n"
	"       --ephemeral-pct=P    %% of the port range to one "
	"destination (50)\n"
	"       --syn-sent=N         SYN-SENT to one destination (5)\n"
	"       --accept-queue-pct=P accept queue against its backlog "
	"(100)\n"
	"       --syn-queue-pct=P    SYN-RECEIVED against "
	"tcp_max_syn_backlog (50)\n"
	"       --orphans-pct=P      orphans against tcp_max_orphans "
	"(50)\n"
	"       --fin-wait1=N        FIN-WAIT-1 stuck on a zero window, "
	"per peer (1)\n"
	"       --fin-wait2=N        FIN-WAIT-2 orphans per peer (64)\n"
	"       --retrans-pct=P      %% of segments retransmitted, per "
	"peer (5)\n"
	"       --retrans-min=N      and at least N retransmissions "
	"(10)\n"
	"       --stuck-queue=BYTES  a queue that stays this full "
	"(16384)\n"
	"       --tcp-mem-pct=P      TCP memory against tcp_mem's "
	"pressure (80)\n"
	"\n"
	"Exit status: 0 no finding, 3 notice, 4 warning, 5 critical (the "
	"worst);\n1 error, 2 usage. See tulpen(1) and docs/doctor.md.\n";

enum {
	OPT_ALL_NETNS = 256,
	OPT_JSON,
	OPT_INTERVAL,
	OPT_WATCH,
	OPT_PROC_ROOT,
	OPT_THRESHOLD, /* the thresholds below, in table order */
};

/* A threshold option: its field, range, and whether it is a duration. */
static const struct threshold {
	const char *name;
	size_t off;
	uint64_t max;
	int seconds;
} thresholds[] = {
#define T(n, f, m, s)                                                          \
	{                                                                      \
		n, offsetof(struct tulpen_doctor_thresholds, f), m, s          \
	}
	T("close-wait", close_wait, 1000000000, 0),
	T("close-wait-age", close_wait_age_s, 31536000, 1),
	T("ephemeral-pct", ephemeral_pct, 100, 0),
	T("syn-sent", syn_sent, 1000000000, 0),
	T("accept-queue-pct", accept_queue_pct, 100, 0),
	T("syn-queue-pct", syn_queue_pct, 100, 0),
	T("orphans-pct", orphans_pct, 100, 0),
	T("fin-wait1", fin_wait1, 1000000000, 0),
	T("fin-wait2", fin_wait2, 1000000000, 0),
	T("retrans-pct", retrans_pct, 100, 0),
	T("retrans-min", retrans_min, 1000000000, 0),
	T("stuck-queue", stuck_queue, 1ull << 40, 0),
	T("tcp-mem-pct", tcp_mem_pct, 1000, 0),
#undef T
};

#define NTHRESHOLDS (sizeof(thresholds) / sizeof(thresholds[0]))

static const struct option longopts[] = {
	{ "netns", required_argument, NULL, 'N' },
	{ "all-netns", no_argument, NULL, OPT_ALL_NETNS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "watch", required_argument, NULL, OPT_WATCH },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "close-wait", required_argument, NULL, OPT_THRESHOLD + 0 },
	{ "close-wait-age", required_argument, NULL, OPT_THRESHOLD + 1 },
	{ "ephemeral-pct", required_argument, NULL, OPT_THRESHOLD + 2 },
	{ "syn-sent", required_argument, NULL, OPT_THRESHOLD + 3 },
	{ "accept-queue-pct", required_argument, NULL, OPT_THRESHOLD + 4 },
	{ "syn-queue-pct", required_argument, NULL, OPT_THRESHOLD + 5 },
	{ "orphans-pct", required_argument, NULL, OPT_THRESHOLD + 6 },
	{ "fin-wait1", required_argument, NULL, OPT_THRESHOLD + 7 },
	{ "fin-wait2", required_argument, NULL, OPT_THRESHOLD + 8 },
	{ "retrans-pct", required_argument, NULL, OPT_THRESHOLD + 9 },
	{ "retrans-min", required_argument, NULL, OPT_THRESHOLD + 10 },
	{ "stuck-queue", required_argument, NULL, OPT_THRESHOLD + 11 },
	{ "tcp-mem-pct", required_argument, NULL, OPT_THRESHOLD + 12 },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

_Static_assert(sizeof(longopts) / sizeof(longopts[0]) == NTHRESHOLDS + 9,
	       "every threshold has its option");

struct doctor_cli {
	struct tulpen_doctor_opts o;
	int json;
	uint64_t watch_ns; /* 0: once */
	const char *proc_root;
};

static int threshold(const struct threshold *t, const char *arg,
		     struct tulpen_doctor_thresholds *th)
{
	static const struct cli_duration secs = {
		CLI_NSEC_PER_SEC, 0, 31536000ull * CLI_NSEC_PER_SEC
	};
	char what[40], err[160];
	uint64_t v, *field = (uint64_t *)((char *)th + t->off);

	snprintf(what, sizeof(what), "--%s", t->name);
	if (t->seconds) {
		if (cli_parse_duration(what, arg, &secs, &v, err, sizeof(err)))
			return cli_usage_error("doctor", "%s", err);
		v /= CLI_NSEC_PER_SEC;
	} else if (cli_parse_uint(what, arg, t->max > 100 ? 1 : 0, t->max, &v,
				  err, sizeof(err))) {
		return cli_usage_error("doctor", "%s", err);
	}
	*field = v;
	return -1;
}

static int duration(const char *what, const char *arg, uint64_t *ns)
{
	static const struct cli_duration d = { CLI_NSEC_PER_SEC,
					       10 * CLI_NSEC_PER_MSEC,
					       3600 * CLI_NSEC_PER_SEC };
	char err[160];

	if (cli_parse_duration(what, arg, &d, ns, err, sizeof(err)))
		return cli_usage_error("doctor", "%s", err);
	return -1;
}

/* One option; -1 to go on, or the exit code. */
static int option(int c, char **argv, struct doctor_cli *o)
{
	uint64_t ns;
	char err[128];
	int ret;

	switch (c) {
	case 'N':
		o->o.netns = optarg;
		return -1;
	case OPT_ALL_NETNS:
		o->o.all_netns = 1;
		return -1;
	case OPT_JSON:
		o->json = 1;
		return -1;
	case OPT_INTERVAL:
		ret = duration("--interval", optarg, &ns);
		o->o.interval_ms = ns / CLI_NSEC_PER_MSEC;
		return ret;
	case OPT_WATCH:
		return duration("--watch", optarg, &o->watch_ns);
	case OPT_PROC_ROOT:
		o->proc_root = optarg;
		return -1;
	case 'h':
		return cli_help("doctor", usage);
	case 'V':
		return cli_version("doctor");
	}
	if (c >= OPT_THRESHOLD && c < OPT_THRESHOLD + (int)NTHRESHOLDS)
		return threshold(&thresholds[c - OPT_THRESHOLD], optarg,
				 &o->o.t);
	cli_getopt_error(c, argv, longopts, err, sizeof(err));
	return cli_usage_error("doctor", "%s", err);
}

static int parse(int argc, char **argv, struct doctor_cli *o)
{
	int c, ret;

	memset(o, 0, sizeof(*o));
	tulpen_doctor_opts_default(&o->o);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":hVN:", longopts, NULL)) != -1) {
		ret = option(c, argv, o);
		if (ret >= 0)
			return ret;
	}
	if (optind < argc)
		return cli_usage_error("doctor", "unexpected argument '%s'",
				       argv[optind]);
	if (o->o.netns && o->o.all_netns)
		return cli_usage_error("doctor", "-N and --all-netns exclude "
						 "each other");
	if (o->proc_root && (o->o.netns || o->o.all_netns))
		return cli_usage_error("doctor", "--proc-root reads recorded "
						 "files: no -N or --all-netns");
	if (o->proc_root) {
		ret = cli_check_dir("doctor", "--proc-root", o->proc_root);
		if (ret)
			return ret;
	}
	return -1;
}

static int exit_status(int worst)
{
	switch (worst) {
	case TULPEN_DOCTOR_NOTICE:
		return DOCTOR_EXIT_NOTICE;
	case TULPEN_DOCTOR_WARNING:
		return DOCTOR_EXIT_WARNING;
	case TULPEN_DOCTOR_CRITICAL:
		return DOCTOR_EXIT_CRITICAL;
	}
	return CLI_EXIT_OK;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int run_once(struct tulpen_ctx *ctx, const struct doctor_cli *o,
		    struct tulpen_doctor_report **rep)
{
	int ret = tulpen_doctor_run(ctx, &o->o, rep);

	if (ret) {
		const char *msg = tulpen_ctx_errmsg(ctx);

		cli_error("doctor", "%s", *msg ? msg : strerror(-ret));
		return -1;
	}
	return 0;
}

/*
 * Write and empty @b: 0, 1 when the reader went away (a quiet end), -1
 * when writing failed (said).
 */
static int flush(struct tulpen_buf *b, int ret)
{
	if (!ret)
		ret = tulpen_buf_flush(b);
	if (ret == -EPIPE)
		return 1;
	if (ret) {
		cli_error("doctor", "%s", strerror(-ret));
		return -1;
	}
	return 0;
}

static int watch(struct tulpen_ctx *ctx, const struct doctor_cli *o,
		 struct tulpen_buf *b)
{
	struct tulpen_doctor_report *prev = NULL, *cur;
	int rc = CLI_EXIT_OK, ret;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		struct timespec ts = { (time_t)(o->watch_ns / CLI_NSEC_PER_SEC),
				       (long)(o->watch_ns % CLI_NSEC_PER_SEC) };

		if (run_once(ctx, o, &cur)) {
			rc = CLI_EXIT_RUNTIME;
			break;
		}
		rc = exit_status(tulpen_doctor_worst(cur));
		ret = flush(b, tulpen_doctor_diff(prev, cur, o->json, b));
		if (ret) {
			if (ret < 0)
				rc = CLI_EXIT_RUNTIME;
			tulpen_doctor_report_free(cur);
			break;
		}
		tulpen_doctor_report_free(prev);
		prev = cur;
		while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	tulpen_doctor_report_free(prev);
	return rc;
}

int cmd_doctor(int argc, char **argv)
{
	struct tulpen_doctor_report *rep = NULL;
	struct cli_notes notes = { "doctor", 0, 0 };
	struct tulpen_ctx *ctx = NULL;
	struct doctor_cli o;
	struct tulpen_buf b;
	int ret, rc = CLI_EXIT_RUNTIME;

	ret = parse(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (tulpen_buf_init(&b, 0, cli_fd_sink,
			    (void *)(intptr_t)STDOUT_FILENO))
		return cli_error("doctor", "out of memory");
	if (tulpen_ctx_new(&ctx)) {
		tulpen_buf_fini(&b);
		return cli_error("doctor", "out of memory");
	}
	tulpen_ctx_set_note(ctx, cli_note, &notes);
	if (o.proc_root) {
		if (tulpen_ctx_set_proc_root(ctx, o.proc_root))
			goto out;
		tulpen_ctx_set_source(ctx, TULPEN_SOURCE_PROC);
	}
	if (o.watch_ns) {
		rc = watch(ctx, &o, &b);
		goto out;
	}
	if (run_once(ctx, &o, &rep))
		goto out;
	ret = o.json ? tulpen_doctor_json(rep, &b)
		     : tulpen_doctor_text(rep, &b);
	rc = exit_status(tulpen_doctor_worst(rep));
	if (flush(&b, ret) < 0)
		rc = CLI_EXIT_RUNTIME;
out:
	tulpen_doctor_report_free(rep);
	tulpen_ctx_free(ctx);
	tulpen_buf_fini(&b);
	return rc;
}
