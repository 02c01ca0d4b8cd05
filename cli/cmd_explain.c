// SPDX-License-Identifier: MIT
/*
 * cmd_explain.c - `tulpen explain [STATE]`: what a TCP state means on this
 * host, or the whole state diagram.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tulpen/ctx.h"
#include "tulpen/explain.h"
#include "tulpen/fmt.h"
#include "tulpen/state.h"
#include "commands.h"
#include "output.h"

static const char usage[] =
	"Usage: tulpen explain [--json] [--no-count] [--proc-root DIR] STATE\n"
	"       tulpen explain [--ascii | --dot | --json]\n"
	"STATE in any spelling: SYN-RECEIVED, syn-recv, SYN_RECV, "
	"TIMED_WAIT, ...\n";

enum { OPT_DOT = 256, OPT_JSON, OPT_ASCII, OPT_PROC_ROOT, OPT_NO_COUNT };

static const struct option longopts[] = {
	{ "dot", no_argument, NULL, OPT_DOT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "ascii", no_argument, NULL, OPT_ASCII },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "no-count", no_argument, NULL, OPT_NO_COUNT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct explain_opts {
	int dot, json, ascii, no_count;
	const char *proc_root;
	const char *state_word;
};

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tulpen explain: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage);
	return 2;
}

static int parse(int argc, char **argv, struct explain_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
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
			fputs(usage, stdout);
			return 0;
		default:
			if (optopt)
				fprintf(stderr,
					"tulpen explain: bad option '-%c'\n%s",
					optopt, usage);
			else
				fprintf(stderr,
					"tulpen explain: bad option '%s'\n%s",
					argv[optind - 1], usage);
			return 2;
		}
	}
	if (argc - optind > 1)
		return usage_error("one state at a time, not '%s'",
				   argv[optind + 1]);
	if (argc - optind == 1)
		o->state_word = argv[optind];
	if (o->dot && o->state_word)
		return usage_error("--dot draws the whole machine; drop '%s'",
				   o->state_word);
	if (o->dot && o->ascii)
		return usage_error("%s",
				   "--dot and --ascii exclude each other");
	if (o->json && (o->dot || o->ascii))
		return usage_error("%s", "--json, --dot and --ascii exclude "
					 "each other");
	if (o->proc_root) {
		struct stat st;

		if (stat(o->proc_root, &st))
			return usage_error("--proc-root %s: %s", o->proc_root,
					   strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return usage_error("--proc-root %s: not a directory",
					   o->proc_root);
	}
	return -1;
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
	if (ret) {
		fprintf(stderr, "tulpen explain: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}

static long long count_now(struct tulpen_ctx *ctx, int state)
{
	uint64_t n = 0;
	int ret;

	ret = tulpen_explain_count(ctx, state, &n);
	if (ret) {
		const char *msg = tulpen_ctx_errmsg(ctx);

		fprintf(stderr, "tulpen explain: cannot count sockets: %s\n",
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
			    (void *)(intptr_t)STDOUT_FILENO)) {
		fprintf(stderr, "tulpen explain: out of memory\n");
		return 1;
	}
	if (!o.state_word) {
		if (o.json)
			ret = tulpen_explain_table_json(&b);
		else if (o.dot)
			ret = tulpen_explain_dot(&b);
		else
			ret = tulpen_explain_diagram(&b, o.ascii ||
						 terminal_wants_ascii());
		return finish(&b, ret);
	}
	if (tulpen_state_parse_one(o.state_word, &state)) {
		tulpen_buf_fini(&b);
		return usage_error("unknown TCP state '%s'", o.state_word);
	}
	ret = tulpen_ctx_new(&ctx);
	if (ret)
		goto err;
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
	ret = o.json ? tulpen_explain_json(&b, state, &eo) :
		       tulpen_explain_text(&b, state, &eo);
	tulpen_ctx_free(ctx);
	return finish(&b, ret);
err:
	if (ctx && *tulpen_ctx_errmsg(ctx))
		fprintf(stderr, "tulpen explain: %s\n", tulpen_ctx_errmsg(ctx));
	else
		fprintf(stderr, "tulpen explain: %s\n", strerror(-ret));
	tulpen_ctx_free(ctx);
	tulpen_buf_fini(&b);
	return rc;
}
