// SPDX-License-Identifier: MIT
/*
 * cmd_explain.c - `tulpen explain [STATE]`: what a TCP state means on this
 * host, or the whole state diagram.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tulpen/ctx.h"
#include "tulpen/explain.h"
#include "tulpen/fmt.h"
#include "tulpen/state.h"
#include "cli_util.h"
#include "commands.h"
#include "output.h"

/* The library's notes on standard error. */
static struct cli_notes notes = { "explain", 0, 0 };

/* Every long option of longopts[] is listed (tests/cli/help.py). */
static const char usage[] =
	"Usage: tulpen explain [ OPTIONS ] STATE\n"
	"       tulpen explain [ --ascii | --dot | --json ]\n"
	"What a TCP state means on this host, or the whole state diagram.\n"
	"\n"
	"   -h, --help          this message\n"
	"   -V, --version       output version information\n"
	"       --json          one JSON object (with STATE), or the "
	"transition table\n"
	"       --no-count      do not count the sockets in STATE now\n"
	"       --proc-root=DIR read sysctls and /proc/net under DIR, not "
	"/proc\n"
	"       --ascii         draw the diagram in ASCII (no box drawing)\n"
	"       --dot           the state machine as a Graphviz digraph\n"
	"\n"
	"STATE in any spelling: SYN-RECEIVED, syn-recv, SYN_RECV, "
	"TIMED_WAIT, ...\n"
	"See tulpen(1) and docs/explain.md.\n";

enum { OPT_DOT = 256, OPT_JSON, OPT_ASCII, OPT_PROC_ROOT, OPT_NO_COUNT };

static const struct option longopts[] = {
	{ "dot", no_argument, NULL, OPT_DOT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "ascii", no_argument, NULL, OPT_ASCII },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "no-count", no_argument, NULL, OPT_NO_COUNT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct explain_opts {
	int dot, json, ascii, no_count;
	const char *proc_root;
	const char *state_word;
};

/* What getopt_long() did not accept: a usage error naming it. */
static int bad_option(int c, char **argv)
{
	char err[128];

	cli_getopt_error(c, argv, longopts, err, sizeof(err));
	return cli_usage_error("explain", "%s", err);
}

/* The combinations that make no sense; -1 when there is none. */
static int check(const struct explain_opts *o)
{
	if (o->dot && o->state_word)
		return cli_usage_error("explain",
				       "--dot draws the whole machine; drop "
				       "'%s'",
				       o->state_word);
	if (o->dot && o->ascii)
		return cli_usage_error("explain",
				       "--dot and --ascii exclude each other");
	if (o->json && (o->dot || o->ascii))
		return cli_usage_error("explain", "--json, --dot and --ascii "
						  "exclude each other");
	if (o->proc_root) {
		int ret = cli_check_dir("explain", "--proc-root", o->proc_root);

		if (ret)
			return ret;
	}
	return -1;
}

/* Returns -1 to go on, or the exit code. */
static int parse(int argc, char **argv, struct explain_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DOT:
			o->dot = 1;
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_ASCII:
			o->ascii = 1;
			break;
		case OPT_PROC_ROOT:
			o->proc_root = optarg;
			break;
		case OPT_NO_COUNT:
			o->no_count = 1;
			break;
		case 'h':
			return cli_help("explain", usage);
		case 'V':
			return cli_version("explain");
		default:
			return bad_option(c, argv);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("explain",
				       "one state at a time, not '%s'",
				       argv[optind + 1]);
	if (argc - optind == 1)
		o->state_word = argv[optind];
	return check(o);
}

/*
 * Box drawing needs a UTF-8 terminal: on a terminal whose locale is not
 * UTF-8, draw with ASCII. Pipes and files always get UTF-8 (or --ascii).
 */
static int terminal_wants_ascii(void)
{
	const char *cs;

	if (!isatty(STDOUT_FILENO) || !setlocale(LC_CTYPE, ""))
		return 0;
	cs = nl_langinfo(CODESET);
	return !cs || (strcasecmp(cs, "UTF-8") && strcasecmp(cs, "utf8"));
}

/* Write and flush @b; a closed pipe is a quiet success. */
static int finish(struct tulpen_buf *b, int ret)
{
	if (!ret)
		ret = tulpen_buf_flush(b);
	tulpen_buf_fini(b);
	if (ret == -EPIPE)
		return 0;
	if (ret)
		return cli_error("explain", "%s", strerror(-ret));
	return 0;
}

static long long count_now(struct tulpen_ctx *ctx, int state)
{
	uint64_t n = 0;
	int ret;

	ret = tulpen_explain_count(ctx, state, &n);
	if (ret) {
		const char *msg = tulpen_ctx_errmsg(ctx);

		cli_error("explain", "cannot count sockets: %s",
			  *msg ? msg : strerror(-ret));
		return -1;
	}
	return (long long)n;
}

int cmd_explain(int argc, char **argv)
{
	struct tulpen_explain_opts eo = { .host = NULL, .count = -1 };
	struct tulpen_host_tcp host;
	struct tulpen_ctx *ctx = NULL;
	struct explain_opts o;
	struct tulpen_buf b;
	int ret, state, rc = 1;

	ret = parse(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (tulpen_buf_init(&b, 0, cli_fd_sink,
			    (void *)(intptr_t)STDOUT_FILENO))
		return cli_error("explain", "out of memory");
	if (!o.state_word) {
		if (o.json)
			ret = tulpen_explain_table_json(&b);
		else if (o.dot)
			ret = tulpen_explain_dot(&b);
		else
			ret = tulpen_explain_diagram(
				&b, o.ascii || terminal_wants_ascii());
		return finish(&b, ret);
	}
	if (tulpen_state_parse_one(o.state_word, &state)) {
		tulpen_buf_fini(&b);
		return cli_usage_error("explain", "unknown TCP state '%s'",
				       o.state_word);
	}
	ret = tulpen_ctx_new(&ctx);
	if (ret)
		goto err;
	tulpen_ctx_set_note(ctx, cli_note, &notes);
	if (o.proc_root) {
		ret = tulpen_ctx_set_proc_root(ctx, o.proc_root);
		if (ret)
			goto err;
		/* Recorded files: count from them, not from the kernel. */
		tulpen_ctx_set_source(ctx, TULPEN_SOURCE_PROC);
	}
	ret = tulpen_host_tcp_read(ctx, &host);
	if (ret)
		goto err;
	eo.host = &host;
	if (!o.no_count)
		eo.count = count_now(ctx, state);
	ret = o.json ? tulpen_explain_json(&b, state, &eo)
		     : tulpen_explain_text(&b, state, &eo);
	tulpen_ctx_free(ctx);
	return finish(&b, ret);
err:
	if (ctx && *tulpen_ctx_errmsg(ctx))
		cli_error("explain", "%s", tulpen_ctx_errmsg(ctx));
	else
		cli_error("explain", "%s", strerror(-ret));
	tulpen_ctx_free(ctx);
	tulpen_buf_fini(&b);
	return rc;
}
