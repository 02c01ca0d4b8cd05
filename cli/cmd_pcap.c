// SPDX-License-Identifier: MIT
/*
 * cmd_pcap.c - `tulpen pcap FILE...`: every TCP connection in captures,
 * with each endpoint's state history. Options, messages and the exit code
 * only; the session (reading, the connection table, the report) is
 * lib/pcap/ behind tulpen/pcap_session.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "output.h"
#include "tulpen/ctx.h"
#include "tulpen/filter.h"
#include "tulpen/fmt.h"
#include "tulpen/pcap_session.h"

#define MAX_WARNINGS 10

struct pcap_cli {
	struct tulpen_pcap_session_opts so;
	char *filter;
	uint64_t warnings, shown;
};

static const char help_text[] =
	"Usage: tulpen pcap [options] FILE...   (FILE '-' is standard "
	"input)\n"
	"Every TCP connection in pcap/pcapng captures, with each "
	"endpoint's TCP states.\n"
	"\n"
	"Output:\n"
	"  -v, --verbose          each endpoint's state timeline\n"
	"      --format FORMAT    table (default), json, ndjson, zeek "
	"(conn.log),\n"
	"                         zeek-json (conn.log as Zeek's JSON "
	"logs)\n"
	"      --json             the same as --format json (one "
	"array)\n"
	"      --ndjson           the same as --format ndjson (one "
	"object a line)\n"
	"  -s, --summary          totals: final state pairs, Zeek "
	"conn_state, top talkers\n"
	"      --top N            top talkers in the summary (10)\n"
	"  -H, --no-header        no table header\n"
	"\n"
	"Connections:\n"
	"  -f, --filter EXPR      only matching connections (repeat: "
	"all must match)\n"
	"                         e.g. 'port 80', 'server host ::1', "
	"'conn-state SF,S1',\n"
	"                         'client state TIME-WAIT and not "
	"reset'\n"
	"      --idle-timeout S   hand out connections idle S seconds "
	"(300; 0: never)\n"
	"      --linger S         keep finished ones S seconds so their "
	"late packets land\n"
	"                         in their history (2, Zeek: 5; 0: not "
	"at all)\n"
	"      --max-memory SIZE  the connection table's budget (512M): "
	"past it the least\n"
	"                         recently active are reported early "
	"(end 'evicted')\n"
	"\n"
	"Zeek compatibility:\n"
	"      --compat MODEL     rfc (default): both endpoints' RFC "
	"9293 "
	"view; zeek:\n"
	"                         Zeek's timers and record splitting, "
	"bad checksums\n"
	"                         dropped\n"
	"  -C, --no-checksums     with --compat zeek: keep segments with "
	"bad checksums\n"
	"\n"
	"General:\n"
	"  -h, --help             this text\n"
	"  -V, --version          tulpen's version\n"
	"\n"
	"Exit status: 0 ok, 1 a capture could not be read, 2 usage "
	"error.\n"
	"See docs/pcap.md for the fields.\n";

static void warn_pkt(void *priv, const char *path, uint64_t num,
		     const char *why)
{
	struct pcap_cli *cli = priv;

	cli->warnings++;
	if (cli->shown >= MAX_WARNINGS)
		return;
	cli->shown++;
	fprintf(stderr, "tulpen pcap: %s: packet %llu: %s (skipped)\n", path,
		(unsigned long long)num, why);
}

static void note(void *priv, const char *msg)
{
	(void)priv;
	fprintf(stderr, "tulpen pcap: %s\n", msg);
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

static int parse_format(const char *s, enum tulpen_pcap_out *kind)
{
	static const struct {
		const char *name;
		enum tulpen_pcap_out kind;
	} f[] = {
		{ "table", TULPEN_PCAP_TABLE },
		{ "json", TULPEN_PCAP_JSON },
		{ "ndjson", TULPEN_PCAP_NDJSON },
		{ "zeek", TULPEN_PCAP_ZEEK },
		{ "zeek-json", TULPEN_PCAP_ZEEK_JSON },
	};
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!strcmp(s, f[i].name)) {
			*kind = f[i].kind;
			return 0;
		}
	return -EINVAL;
}

enum {
	O_JSON = 256,
	O_NDJSON,
	O_TOP,
	O_IDLE,
	O_LINGER,
	O_FORMAT,
	O_COMPAT,
	O_MAX_MEMORY,
};

static const struct option opts[] = {
	{ "verbose", no_argument, NULL, 'v' },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "json", no_argument, NULL, O_JSON },
	{ "ndjson", no_argument, NULL, O_NDJSON },
	{ "summary", no_argument, NULL, 's' },
	{ "top", required_argument, NULL, O_TOP },
	{ "filter", required_argument, NULL, 'f' },
	{ "idle-timeout", required_argument, NULL, O_IDLE },
	{ "linger", required_argument, NULL, O_LINGER },
	{ "max-memory", required_argument, NULL, O_MAX_MEMORY },
	{ "compat", required_argument, NULL, O_COMPAT },
	{ "no-checksums", no_argument, NULL, 'C' },
	{ "no-header", no_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* A time option: seconds (or 500ms, 2m...), 0 meaning "none" (-1). */
static int opt_secs(const char *name, const char *arg, int64_t *ns)
{
	static const struct cli_duration d = {
		.unit_ns = CLI_NSEC_PER_SEC,
		.min_ns = 0,
		.max_ns = 1000000000ull * CLI_NSEC_PER_SEC,
	};
	uint64_t v;
	char err[160];

	if (cli_parse_duration(name, arg, &d, &v, err, sizeof(err))) {
		cli_error("pcap", "%s", err);
		return -EINVAL;
	}
	*ns = v ? (int64_t)v : -1;
	return 0;
}

/* One option. Returns 0, 1 (done: exit 0), -EINVAL (usage), -ENOMEM. */
static int parse_opt(struct pcap_cli *cli, int c, char **argv)
{
	struct tulpen_pcap_session_opts *so = &cli->so;
	char err[160];
	uint64_t top;

	switch (c) {
	case 'v':
		so->report.verbose = 1;
		return 0;
	case O_FORMAT:
		if (!parse_format(optarg, &so->kind))
			return 0;
		cli_error("pcap",
			  "--format: unknown format '%s' (table, json, "
			  "ndjson, zeek, zeek-json)",
			  optarg);
		return -EINVAL;
	case O_JSON:
		so->kind = TULPEN_PCAP_JSON;
		return 0;
	case O_NDJSON:
		so->kind = TULPEN_PCAP_NDJSON;
		return 0;
	case 's':
		so->summary = 1;
		return 0;
	case O_TOP:
		if (cli_parse_uint("--top", optarg, 1, 1000000, &top, err,
				   sizeof(err))) {
			cli_error("pcap", "%s", err);
			return -EINVAL;
		}
		so->top = (size_t)top;
		return 0;
	case 'f':
		return add_filter(&cli->filter, optarg);
	case O_IDLE:
		return opt_secs("--idle-timeout", optarg,
				&so->flows.idle_timeout_ns);
	case O_MAX_MEMORY:
		if (cli_parse_size("--max-memory", optarg, 1ull << 20,
				   1ull << 50, &so->flows.max_memory, err,
				   sizeof(err))) {
			cli_error("pcap", "%s", err);
			return -EINVAL;
		}
		return 0;
	case O_LINGER:
		return opt_secs("--linger", optarg, &so->flows.linger_ns);
	case 'H':
		so->report.header = 0;
		return 0;
	case O_COMPAT:
		if (!strcmp(optarg, "zeek")) {
			so->flows.compat_zeek = 1;
			return 0;
		}
		if (!strcmp(optarg, "rfc")) {
			so->flows.compat_zeek = 0;
			return 0;
		}
		cli_error("pcap", "--compat: unknown model '%s' (rfc, zeek)",
			  optarg);
		return -EINVAL;
	case 'C':
		so->flows.ignore_checksums = 1;
		return 0;
	case 'h':
		return cli_help("pcap", help_text) ? -EIO : 1;
	case 'V':
		return cli_version("pcap") ? -EIO : 1;
	}
	cli_getopt_error(c, argv, opts, err, sizeof(err));
	cli_error("pcap", "%s", err);
	return -EINVAL;
}

/* Read everything that can be read; the exit code. */
static int run(struct pcap_cli *cli, struct tulpen_ctx *ctx,
	       struct tulpen_buf *out, int nfiles, char **files)
{
	struct tulpen_pcap_session *s = NULL;
	int i, r, ret = 1, opened = 0, unopened = 0;

	if (tulpen_pcap_session_new(ctx, &cli->so, out, &s))
		goto nomem;
	/*
	 * Every file opened and checked before anything is written; one
	 * that cannot be is named, and the others are still read.
	 */
	for (i = 0; i < nfiles; i++) {
		r = tulpen_pcap_session_open(s, files[i]);
		if (r == -ENOMEM)
			goto nomem;
		if (r) {
			cli_error("pcap", "%s; not read",
				  tulpen_ctx_errmsg(ctx));
			unopened++;
			continue;
		}
		opened++;
	}
	if (!opened) {
		if (nfiles > 1)
			cli_error("pcap",
				  "none of the %d captures could be read",
				  nfiles);
		goto out;
	}
	r = tulpen_pcap_session_run(s);
	if (r == -EPIPE) {
		ret = unopened ? 1 : 0;
		goto out;
	}
	if (r == -ENOMEM) {
		/* what was read has been reported (a note said where) */
		cli_error("pcap", "out of memory: the report is partial");
		goto out;
	}
	if (r == -EIO)
		cli_error("pcap", "%s", tulpen_ctx_errmsg(ctx));
	else if (r)
		cli_error("pcap", "writing output: %s", strerror(-r));
	if (unopened)
		cli_error("pcap",
			  "%d of %d captures could not be opened (named "
			  "above); the report covers the other %d",
			  unopened, nfiles, opened);
	ret = r || unopened ? 1 : 0;
	if (cli->warnings > cli->shown)
		fprintf(stderr,
			"tulpen pcap: %llu malformed packets skipped in all "
			"(first %d shown)\n",
			(unsigned long long)cli->warnings, MAX_WARNINGS);
	goto out;
nomem:
	fprintf(stderr, "tulpen pcap: out of memory\n");
out:
	tulpen_pcap_session_free(s);
	return ret;
}

/*
 * The -f expression through the filter language, with the words of
 * captured connections. Returns 0, -ENOMEM, or -EINVAL after printing the
 * error with a caret.
 */
static int parse_filter(const char *expr, struct tulpen_filter **out)
{
	struct tulpen_filter_opts fo = { 0 };
	struct tulpen_filter_error fe;
	const char *argv[1] = { expr };
	int ret;

	fo.captures = 1;
	fo.protos = TULPEN_PF(TULPEN_P_TCP);
	fo.services_file = "/etc/services";
	ret = tulpen_filter_parse(1, argv, NULL, &fo, out, &fe);
	if (!ret && !*out) {
		cli_error("pcap", "filter: an empty expression (-f '%s')",
			  expr);
		return -EINVAL;
	}
	if (ret && ret != -ENOMEM) {
		cli_filter_error("pcap", &fe, NULL);
		return -EINVAL;
	}
	return ret;
}

int cmd_pcap(int argc, char **argv)
{
	struct tulpen_filter *filter = NULL;
	struct tulpen_ctx *ctx = NULL;
	struct tulpen_buf out;
	struct pcap_cli cli;
	const char *s_env;
	int c, ret = 1;

	memset(&cli, 0, sizeof(cli));
	memset(&out, 0, sizeof(out));
	cli.so.report.header = 1;
	cli.so.warn = warn_pkt;
	cli.so.warn_priv = &cli;
	cli.so.note = note;
	/* One thread only (tests compare it with the two-thread reading). */
	s_env = getenv("TULPEN_PCAP_THREADS");
	if (s_env && !strcmp(s_env, "1"))
		cli.so.threads = 1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":vsf:HhVC", opts, NULL)) != -1) {
		ret = parse_opt(&cli, c, argv);
		if (ret == 1) {
			ret = 0;
			goto out;
		}
		if (ret == -ENOMEM)
			goto nomem;
		if (ret == -EIO) { /* --help, --version: not written */
			ret = CLI_EXIT_RUNTIME;
			goto out;
		}
		if (ret)
			goto usage;
	}
	if (optind >= argc) {
		cli_error("pcap", "no capture file given");
		goto usage;
	}
	if (cli.filter) {
		ret = parse_filter(cli.filter, &filter);
		if (ret == -ENOMEM)
			goto nomem;
		if (ret) {
			ret = CLI_EXIT_USAGE;
			goto out;
		}
	}
	cli.so.filter = filter;
	if (tulpen_buf_init(&out, 0, cli_fd_sink,
			    (void *)(intptr_t)STDOUT_FILENO) ||
	    tulpen_ctx_new(&ctx))
		goto nomem;
	ret = run(&cli, ctx, &out, argc - optind, argv + optind);
	goto out;
nomem:
	fprintf(stderr, "tulpen pcap: out of memory\n");
	ret = 1;
	goto out;
usage:
	cli_usage_hint("pcap");
	ret = CLI_EXIT_USAGE;
out:
	tulpen_filter_free(filter);
	tulpen_buf_fini(&out);
	tulpen_ctx_free(ctx);
	free(cli.filter);
	return ret;
}
