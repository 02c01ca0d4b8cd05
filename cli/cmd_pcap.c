// SPDX-License-Identifier: MIT
/*
 * cmd_pcap.c - `tulpen pcap FILE...`: every TCP connection in captures,
 * with each endpoint's state history. Options and output only; the work is
 * in lib/pcap_*.c.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "output.h"
#include "tulpen/ctx.h"
#include "tulpen/fmt.h"
#include "tulpen/pcap_decode.h"
#include "tulpen/pcap_flows.h"
#include "tulpen/pcap_report.h"

#define MAX_WARNINGS 10

struct pcap_run {
	struct tulpen_buf out;
	struct tulpen_pcap_report *rep;
	struct tulpen_pcap_summary *sum;
	struct tulpen_conn_filter *filter;
	int summary_only;
	int flush_each; /* reading a pipe: print connections as they end */
	uint64_t warnings;
	uint64_t shown;
};

static void usage(FILE *f)
{
	fputs("Usage: tulpen pcap [options] FILE...   (FILE '-' is standard "
	      "input)\n"
	      "Every TCP connection in pcap/pcapng captures, with each "
	      "endpoint's TCP states.\n\n"
	      "  -v, --verbose          each endpoint's state timeline\n"
	      "      --json             one JSON array\n"
	      "      --ndjson           one JSON object per line\n"
	      "  -s, --summary          totals: final state pairs, Zeek "
	      "conn_state, top talkers\n"
	      "      --top N            top talkers in the summary (10)\n"
	      "  -f, --filter EXPR      only matching connections (repeat: "
	      "all must match)\n"
	      "                         e.g. 'port 80', 'server host ::1', "
	      "'conn-state SF,S1',\n"
	      "                         'client state TIME-WAIT and not "
	      "reset'\n"
	      "      --idle-timeout S   hand out connections idle S seconds "
	      "(300; 0: never)\n"
	      "      --linger S         remember finished ones S seconds to "
	      "tell their late\n"
	      "                         packets from new connections (2)\n"
	      "  -H, --no-header        no table header\n"
	      "  -h, --help             this text\n"
	      "See docs/pcap.md for the fields.\n",
	      f);
}

static void warn_pkt(void *priv, const char *path, uint64_t num,
		     const char *why)
{
	struct pcap_run *run = priv;

	run->warnings++;
	if (run->shown >= MAX_WARNINGS)
		return;
	run->shown++;
	fprintf(stderr, "tulpen pcap: %s: packet %llu: %s (skipped)\n", path,
		(unsigned long long)num, why);
}

static int on_conn(void *priv, const struct tulpen_flow *c)
{
	struct pcap_run *run = priv;

	if (!tulpen_conn_filter_match(run->filter, c))
		return 0;
	if (run->sum && tulpen_pcap_summary_add(run->sum, c))
		return -ENOMEM;
	if (run->summary_only)
		return 0;
	if (tulpen_pcap_report_conn(run->rep, c))
		return run->out.err;
	return run->flush_each ? tulpen_buf_flush(&run->out) : 0;
}

static void add_input(struct tulpen_pcap_input *in,
		      const struct tulpen_pcap_reader *rd)
{
	struct tulpen_pcap_stats st;

	tulpen_pcap_stats(rd, &st);
	in->frames += st.frames;
	in->tcp += st.tcp;
	in->other += st.other;
	in->bad += st.bad;
}

/* Seconds as a decimal number >= 0 into nanoseconds. */
static int parse_secs(const char *s, int64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 1e9)
		return -EINVAL;
	*ns = (int64_t)(v * 1e9);
	return 0;
}

static int parse_count(const char *s, size_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 1000000)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Join several --filter expressions with "and". */
static int add_filter(char **acc, const char *expr)
{
	size_t a = *acc ? strlen(*acc) : 0, e = strlen(expr);
	char *n = malloc(a + e + 16);

	if (!n)
		return -ENOMEM;
	if (*acc)
		snprintf(n, a + e + 16, "(%s) and (%s)", *acc, expr);
	else
		snprintf(n, a + e + 16, "%s", expr);
	free(*acc);
	*acc = n;
	return 0;
}

int cmd_pcap(int argc, char **argv)
{
	enum { O_JSON = 256, O_NDJSON, O_TOP, O_IDLE, O_LINGER };
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, O_JSON },
		{ "ndjson", no_argument, NULL, O_NDJSON },
		{ "summary", no_argument, NULL, 's' },
		{ "top", required_argument, NULL, O_TOP },
		{ "filter", required_argument, NULL, 'f' },
		{ "idle-timeout", required_argument, NULL, O_IDLE },
		{ "linger", required_argument, NULL, O_LINGER },
		{ "no-header", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tulpen_pcap_report_opts ropts = { .header = 1 };
	struct tulpen_flows_opts fopts = { 0 };
	enum tulpen_pcap_out kind = TULPEN_PCAP_TABLE;
	struct tulpen_flows *flows = NULL;
	struct tulpen_ctx *ctx = NULL;
	struct tulpen_pcap_input input = { 0 };
	struct tulpen_flows_stats fst;
	struct pcap_run run;
	char *filter = NULL, err[256];
	size_t top = 10;
	int c, ret = 1, summary = 0, i, first = 1;
	uint32_t file;

	memset(&run, 0, sizeof(run));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vsf:Hh", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			ropts.verbose = 1;
			break;
		case O_JSON:
			kind = TULPEN_PCAP_JSON;
			break;
		case O_NDJSON:
			kind = TULPEN_PCAP_NDJSON;
			break;
		case 's':
			summary = 1;
			break;
		case O_TOP:
			if (parse_count(optarg, &top)) {
				fprintf(stderr, "tulpen pcap: --top: bad count "
						"'%s'\n", optarg);
				goto usage;
			}
			break;
		case 'f':
			if (add_filter(&filter, optarg))
				goto out;
			break;
		case O_IDLE:
			if (parse_secs(optarg, &fopts.idle_timeout_ns)) {
				fprintf(stderr, "tulpen pcap: --idle-timeout: "
						"bad number of seconds '%s'\n",
					optarg);
				goto usage;
			}
			if (!fopts.idle_timeout_ns)
				fopts.idle_timeout_ns = -1;
			break;
		case O_LINGER:
			if (parse_secs(optarg, &fopts.linger_ns)) {
				fprintf(stderr, "tulpen pcap: --linger: bad "
						"number of seconds '%s'\n",
					optarg);
				goto usage;
			}
			if (!fopts.linger_ns)
				fopts.linger_ns = -1; /* none */
			break;
		case 'H':
			ropts.header = 0;
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			if (optopt)
				fprintf(stderr, "tulpen pcap: option -%c: %s\n",
					optopt,
					strchr("f", optopt) ?
						"needs an argument" :
						"unknown option");
			else
				fprintf(stderr, "tulpen pcap: unknown or "
						"incomplete option '%s'\n",
					argv[optind - 1]);
			goto usage;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "tulpen pcap: no capture file given\n");
		goto usage;
	}
	if (filter && tulpen_conn_filter_parse(filter, &run.filter, err,
					       sizeof(err))) {
		fprintf(stderr, "tulpen pcap: %s\n", err);
		goto usage;
	}

	if (tulpen_buf_init(&run.out, 0, cli_fd_sink,
			    (void *)(intptr_t)STDOUT_FILENO) ||
	    tulpen_ctx_new(&ctx))
		goto nomem;
	run.summary_only = summary;
	if (summary && tulpen_pcap_summary_new(&run.sum))
		goto nomem;
	if (tulpen_pcap_report_new(kind, &ropts, &run.out, &run.rep) ||
	    tulpen_flows_new(&fopts, on_conn, &run, &flows))
		goto nomem;

	for (i = optind; i < argc; i++)
		if (!strcmp(argv[i], "-"))
			run.flush_each = 1;
	ret = 0;
	for (i = optind, file = 0; i < argc && !ret; i++, file++) {
		struct tulpen_pcap_reader *rd;
		struct tulpen_pkt pkt;
		int r;

		if (tulpen_pcap_open(ctx, argv[i], warn_pkt, &run, &rd)) {
			fprintf(stderr, "tulpen pcap: %s\n",
				tulpen_ctx_errmsg(ctx));
			ret = 1;
			break;
		}
		while ((r = tulpen_pcap_next(rd, &pkt)) == 1) {
			if (first) {
				tulpen_pcap_report_set_t0(run.rep, pkt.ts_ns);
				first = 0;
			}
			r = tulpen_flows_segment(flows, &pkt, file);
			if (r < 0)
				break;
		}
		if (r == -EPIPE) {
			tulpen_pcap_close(rd);
			goto quiet;
		}
		if (r == -EIO) {
			/* Report what was read, then the error. */
			fprintf(stderr, "tulpen pcap: %s\n",
				tulpen_ctx_errmsg(ctx));
			ret = 1;
		} else if (r < 0) {
			fprintf(stderr, "tulpen pcap: %s: packet %llu: %s\n",
				argv[i], (unsigned long long)pkt.num,
				strerror(-r));
			ret = 1;
		}
		add_input(&input, rd);
		tulpen_pcap_close(rd);
	}
	if (tulpen_flows_finish(flows) == -EPIPE)
		goto quiet;
	if (!summary) {
		tulpen_pcap_report_end(run.rep);
	} else {
		tulpen_flows_stats(flows, &fst);
		input.late = fst.late;
		tulpen_pcap_summary_set_input(run.sum, &input);
		tulpen_pcap_summary_write(run.sum, &run.out,
					  kind != TULPEN_PCAP_TABLE, top);
	}
	tulpen_buf_flush(&run.out);
	if (run.out.err == -EPIPE)
		goto quiet;
	if (run.out.err) {
		fprintf(stderr, "tulpen pcap: writing output: %s\n",
			strerror(-run.out.err));
		ret = 1;
	}
	if (run.warnings > run.shown)
		fprintf(stderr,
			"tulpen pcap: %llu malformed packets skipped in all "
			"(first %d shown)\n",
			(unsigned long long)run.warnings, MAX_WARNINGS);
	goto out;
quiet:
	ret = 0;
	goto out;
nomem:
	fprintf(stderr, "tulpen pcap: out of memory\n");
	ret = 1;
	goto out;
usage:
	fputs("Usage: tulpen pcap [options] FILE...  (tulpen pcap --help)\n",
	      stderr);
	ret = 2;
out:
	tulpen_flows_free(flows);
	tulpen_pcap_report_free(run.rep);
	tulpen_pcap_summary_free(run.sum);
	tulpen_conn_filter_free(run.filter);
	tulpen_buf_fini(&run.out);
	tulpen_ctx_free(ctx);
	free(filter);
	return ret;
}
