// SPDX-License-Identifier: MIT
/*
 * cmd_watch.c - `tulpen watch`: live TCP state transitions.
 *
 * Thin: parse options and filter words into a watch session's options
 * (tulpen/watch_session.h, which does the work), catch the stop signals,
 * and give the session standard output as its sink and standard error
 * for its notices.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#ifdef TULPEN_HAVE_LIBBPF
#include <bpf/libbpf.h>
#endif

#include "tulpen/ctx.h"
#include "tulpen/fmt.h"
#include "tulpen/filter.h"
#include "tulpen/netns.h"
#include "tulpen/state.h"
#include "tulpen/watch_counts.h"
#include "tulpen/watch_session.h"
#include "cli_util.h"
#include "commands.h"

/* The library's notes on standard error. */
static struct cli_notes notes = { "watch", 0, 0 };

struct watch_cli {
	struct tulpen_watch_session_opts so;
	uint64_t duration_ns; /* 0: until stopped */
	int stats;	      /* counts on stderr at exit */
	int summary;	      /* only the in-kernel counts, at the end */
	char err[1536];	      /* the usage error (a filter's is long) */
};

struct sink_state {
	int nonblock; /* stdout made non-blocking (stopping) */
	uint64_t give_up_at;
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static int stop_requested(void *data)
{
	return stop_signal != 0;
}

static void notice(void *data, const char *msg)
{
	cli_error("watch", "%s", msg);
}

/*
 * libbpf's print callback is process-global, so it is set here and not in
 * the library: its first warning is kept (and shown when eBPF cannot be
 * used: the library's message names the cause), the rest dropped.
 */
#ifdef TULPEN_HAVE_LIBBPF
static char libbpf_msg[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	size_t n;

	if (level != LIBBPF_WARN || libbpf_msg[0])
		return 0;
	vsnprintf(libbpf_msg, sizeof(libbpf_msg), fmt, ap);
	n = strlen("libbpf: ");
	if (!strncmp(libbpf_msg, "libbpf: ", n))
		memmove(libbpf_msg, libbpf_msg + n, strlen(libbpf_msg + n) + 1);
	n = strlen(libbpf_msg);
	while (n && libbpf_msg[n - 1] == '\n')
		libbpf_msg[--n] = '\0';
	return 0;
}
#endif

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Standard output, as cli_fd_sink() but a reader that stopped reading must
 * not keep us from exiting: after a stop signal a pipe is made
 * non-blocking and given at most 3 s more to take the rest (then -EAGAIN).
 * Files and terminals are written as usual. So the JSON document still
 * gets its end when someone reads it.
 */
static int watch_sink(void *priv, const char *buf, size_t len)
{
	struct sink_state *ss = priv;
	struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };
	struct stat st;

	while (len) {
		ssize_t n;

		if (stop_signal && !ss->nonblock) {
			ss->nonblock = 1;
			ss->give_up_at = mono_ns() + 3000000000ull;
			if (!fstat(STDOUT_FILENO, &st) && S_ISFIFO(st.st_mode))
				fcntl(STDOUT_FILENO, F_SETFL,
				      O_NONBLOCK |
					      fcntl(STDOUT_FILENO, F_GETFL));
		}
		n = write(STDOUT_FILENO, buf, len);
		if (n < 0) {
			uint64_t now;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN || !ss->nonblock)
				return -errno;
			now = mono_ns();
			if (now >= ss->give_up_at)
				return -EAGAIN;
			poll(&pfd, 1,
			     (int)((ss->give_up_at - now) / 1000000) + 1);
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: tulpen watch [OPTIONS] [FILTER...]\n"
	      "Every TCP state transition, live, with its owner and time in "
	      "state; one\n"
	      "END line per connection with its whole path. Ctrl-C stops.\n"
	      "\n"
	      "Output:\n"
	      "   --json              one JSON array of records\n"
	      "   --ndjson            one JSON record per line\n"
	      "   --lifetimes         only the END line of each connection\n"
	      "   --transitions       only transitions (no END lines)\n"
	      "   --existing          list the connections that exist at start "
	      "(text)\n"
	      "   --summary-every S   the number of connections per state "
	      "every S s\n"
	      "   --stats             counts of events on stderr at exit\n"
	      "   --summary           no events: count transitions and "
	      "connection\n"
	      "                       lifetimes in the kernel (eBPF), print "
	      "them at the end\n"
	      "                       (--json, --ndjson: one object)\n"
	      "\n"
	      "What to watch:\n"
	      "   -4, --ipv4          IPv4 only\n"
	      "   -6, --ipv6          IPv6 only\n"
	      "   -t, --tcp           TCP (all it watches; accepted for ss "
	      "habits)\n"
	      "   -n, --numeric       accepted for ss habits (always numeric)\n"
	      "   -N, --net, --netns NS\n"
	      "                       one network namespace: a name under "
	      "/run/netns,\n"
	      "                       a path or a pid; default: every "
	      "namespace,\n"
	      "                       each event labelled with its namespace "
	      "and\n"
	      "                       container\n"
	      "   --duration S        stop after S seconds\n"
	      "\n"
	      "Source:\n"
	      "   --source=auto|bpf|sampled\n"
	      "                       eBPF, or sampled netlink snapshots "
	      "(auto: eBPF,\n"
	      "                       else sampled, saying why)\n"
	      "   --interval S        the sampled source's interval (default "
	      "1)\n"
	      "   --ringbuf-mb N      eBPF ring buffer size in MiB (default "
	      "16)\n"
	      "   --wakeup-kb N       wake up when N KiB are waiting (default "
	      "64; 0:\n"
	      "                       for every event)\n"
	      "   --bpf-without PART[,PART]\n"
	      "                       leave out parts of the eBPF source: "
	      "accept\n"
	      "                       (owners of accepted sockets), timewait, "
	      "connect\n"
	      "\n"
	      "Filters:\n"
	      "   state NAME          transitions into or out of NAME (a state "
	      "or a\n"
	      "                       group of `tulpen -t state`), paths "
	      "through it\n"
	      "   exclude NAME        never NAME\n"
	      "   EXPRESSION          the lister's filter language "
	      "(docs/filters.md):\n"
	      "                       sport/dport/port [OP] N, src/dst "
	      "ADDR[/PLEN],\n"
	      "                       autobound; and, or, not, ( )\n"
	      "\n"
	      "   -h, --help          this text\n"
	      "   -V, --version       the version\n",
	      f);
}

#define ERR(w, ...) (snprintf((w)->err, sizeof((w)->err), __VA_ARGS__), -EINVAL)

static int parse_seconds(struct watch_cli *w, const char *opt, const char *s,
			 uint64_t min_ns, uint64_t *ns)
{
	const struct cli_duration d = {
		.unit_ns = CLI_NSEC_PER_SEC,
		.min_ns = min_ns,
		.max_ns = 365 * 86400 * CLI_NSEC_PER_SEC,
	};

	return cli_parse_duration(opt, s, &d, ns, w->err, sizeof(w->err));
}

/* state NAME, exclude NAME: into, out of or through (watch's own words) */
static int parse_state_word(struct watch_cli *w, const char *word,
			    const char *val)
{
	struct tulpen_watch_filter *f = &w->so.filter;
	uint32_t mask;

	if (tulpen_state_parse(val, &mask))
		return ERR(w, "%s: unknown state '%s'", word, val);
	if (word[0] == 's')
		f->states |= mask;
	else
		f->exclude |= mask;
	return 0;
}

/* The message, the expression, and a caret under the column. */
static int filter_error(struct watch_cli *w,
			const struct tulpen_filter_error *e)
{
	int n = snprintf(w->err, sizeof(w->err),
			 "filter: %s, column %u\n  %s"
			 "\n  ",
			 e->msg, e->column, e->text);
	size_t off = n > 0 ? (size_t)n : 0;
	unsigned int i;

	for (i = 1; i < e->column && off + 2 < sizeof(w->err); i++)
		w->err[off++] = ' ';
	if (off + 1 < sizeof(w->err))
		w->err[off++] = '^';
	w->err[off < sizeof(w->err) ? off : sizeof(w->err) - 1] = '\0';
	return -EINVAL;
}

/*
 * The filter words: state and exclude as watch has them (into, out of or
 * through a state), anywhere; every other word is the lister's filter
 * expression (docs/filters.md: sport, dport, port, src, dst, ...), parsed
 * by the library into the session's filter (owned by *@expr).
 */
static int parse_filters(struct watch_cli *w, int argc, char **argv,
			 struct tulpen_filter **expr)
{
	struct tulpen_watch_filter *f = &w->so.filter;
	struct tulpen_filter_opts fo = { 0 };
	struct tulpen_filter_error e;
	const char **words;
	int i, n = 0, ret = 0;

	words = calloc((size_t)argc + 1, sizeof(*words));
	if (!words)
		return ERR(w, "out of memory");
	for (i = 0; i < argc && !ret; i++) {
		if (strcmp(argv[i], "state") && strcmp(argv[i], "exclude"))
			words[n++] = argv[i];
		else if (i + 1 >= argc)
			ret = ERR(w, "filter '%s' needs a value", argv[i]);
		else
			ret = parse_state_word(w, argv[i], argv[i + 1]);
		if (!strcmp(argv[i], "state") || !strcmp(argv[i], "exclude"))
			i++;
	}
	fo.family = f->family;
	fo.protos = TULPEN_PF(TULPEN_P_TCP);
	fo.services_file = "/etc/services";
	if (!ret && n) {
		ret = tulpen_filter_parse(n, words, NULL, &fo, expr, &e);
		if (ret)
			ret = filter_error(w, &e);
		else
			f->expr = *expr;
	}
	free(words);
	return ret;
}

static int parse_parts(struct watch_cli *w, const char *s)
{
	char name[32];
	unsigned p;
	size_t n;

	while (*s) {
		n = strcspn(s, ",");
		if (n >= sizeof(name))
			return ERR(w, "--bpf-without: unknown part '%.*s'",
				   (int)n, s);
		memcpy(name, s, n);
		name[n] = '\0';
		if (tulpen_watch_part_parse(name, &p))
			return ERR(w,
				   "--bpf-without: unknown part '%s' (accept, "
				   "timewait or connect)",
				   name);
		w->so.skip_parts |= p;
		s += n + (s[n] == ',');
	}
	return 0;
}

enum {
	O_JSON = 256,
	O_NDJSON,
	O_INTERVAL,
	O_SUMMARY,
	O_DURATION,
	O_SOURCE,
	O_NETNS,
	O_LIFETIMES,
	O_TRANSITIONS,
	O_EXISTING,
	O_RINGBUF,
	O_WAKEUP,
	O_STATS,
	O_WITHOUT,
	O_COUNTS,
};

static const struct option long_opts[] = {
	{ "tcp", no_argument, NULL, 't' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "numeric", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "json", no_argument, NULL, O_JSON },
	{ "ndjson", no_argument, NULL, O_NDJSON },
	{ "interval", required_argument, NULL, O_INTERVAL },
	{ "summary-every", required_argument, NULL, O_SUMMARY },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "source", required_argument, NULL, O_SOURCE },
	{ "netns", required_argument, NULL, O_NETNS },
	{ "net", required_argument, NULL, O_NETNS },
	{ "lifetimes", no_argument, NULL, O_LIFETIMES },
	{ "transitions", no_argument, NULL, O_TRANSITIONS },
	{ "existing", no_argument, NULL, O_EXISTING },
	{ "ringbuf-mb", required_argument, NULL, O_RINGBUF },
	{ "wakeup-kb", required_argument, NULL, O_WAKEUP },
	{ "stats", no_argument, NULL, O_STATS },
	{ "bpf-without", required_argument, NULL, O_WITHOUT },
	{ "summary", no_argument, NULL, O_COUNTS },
	{ NULL, 0, NULL, 0 },
};

static int parse_source(struct watch_cli *w, const char *s)
{
	enum tulpen_watch_pick *pick = &w->so.source;

	if (!strcmp(s, "auto"))
		*pick = TULPEN_WATCH_PICK_AUTO;
	else if (!strcmp(s, "bpf"))
		*pick = TULPEN_WATCH_PICK_BPF;
	else if (!strcmp(s, "sampled"))
		*pick = TULPEN_WATCH_PICK_SAMPLED;
	else
		return ERR(w, "--source: '%s' is not auto, bpf or sampled", s);
	return 0;
}

static int parse_kib(struct watch_cli *w, const char *opt, uint64_t min,
		     uint64_t max, int shift, size_t *bytes)
{
	uint64_t v;

	if (cli_parse_uint(opt, optarg, min, max, &v, w->err, sizeof(w->err)))
		return -EINVAL;
	*bytes = (size_t)v << shift;
	return 0;
}

/* One option; 1 when it was --help or --version (done). */
static int parse_opt(struct watch_cli *w, int c, char **argv)
{
	struct tulpen_watch_session_opts *o = &w->so;

	switch (c) {
	case 't':
	case 'n':
		return 0;
	case '4':
	case '6':
		o->filter.family = c == '4' ? AF_INET : AF_INET6;
		return 0;
	case 'h':
		usage(stdout);
		return 1;
	case 'V':
		return 2;
	case O_JSON:
	case O_NDJSON:
		o->output = c == O_JSON ? TULPEN_WATCH_OUT_JSON
					: TULPEN_WATCH_OUT_NDJSON;
		return 0;
	case O_INTERVAL:
		return parse_seconds(w, "--interval", optarg,
				     10 * CLI_NSEC_PER_MSEC, &o->interval_ns);
	case O_SUMMARY:
		return parse_seconds(w, "--summary-every", optarg,
				     10 * CLI_NSEC_PER_MSEC,
				     &o->summary_every_ns);
	case O_DURATION:
		return parse_seconds(w, "--duration", optarg, CLI_NSEC_PER_MSEC,
				     &w->duration_ns);
	case O_SOURCE:
		return parse_source(w, optarg);
	case 'N':
	case O_NETNS:
		o->netns = optarg;
		return 0;
	case O_LIFETIMES:
	case O_TRANSITIONS:
		o->transitions = c == O_TRANSITIONS;
		o->lifetimes = c == O_LIFETIMES;
		return 0;
	case O_EXISTING:
		o->existing = 1;
		return 0;
	case O_RINGBUF:
		return parse_kib(w, "--ringbuf-mb", 1, 1024, 20,
				 &o->ringbuf_bytes);
	case O_WAKEUP:
		return parse_kib(w, "--wakeup-kb", 0, 65536, 10,
				 &o->wakeup_bytes);
	case O_STATS:
		w->stats = 1;
		return 0;
	case O_WITHOUT:
		return parse_parts(w, optarg);
	case O_COUNTS:
		w->summary = 1;
		return 0;
	}
	return cli_getopt_error(c, argv, long_opts, w->err, sizeof(w->err));
}

/* Returns 0, 1 (--help: done), 2 (--version) or -EINVAL. */
static int parse_opts(struct watch_cli *w, int argc, char **argv,
		      struct tulpen_filter **expr)
{
	int c, ret;

	w->so.interval_ns = 1000000000ull;
	w->so.lifetimes = w->so.transitions = 1;
	w->so.ringbuf_bytes = 16u << 20;
	/*
	 * Wake up for every 64 KiB of events (about 500) rather than for
	 * each: the poll timeout (100 ms) bounds the delay when it is quiet.
	 */
	w->so.wakeup_bytes = 64u << 10;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t46nhVN:", long_opts, NULL)) !=
	       -1) {
		ret = parse_opt(w, c, argv);
		if (ret)
			return ret;
	}
	if (w->summary &&
	    (w->so.source == TULPEN_WATCH_PICK_SAMPLED || optind < argc))
		return ERR(w, "--summary counts every transition in the kernel:"
			      " it takes no filter or --source=sampled");
	return parse_filters(w, argc - optind, argv + optind, expr);
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must interrupt the wait. */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -errno;
	return 0;
}

/* The session's failure, with what libbpf said when eBPF was the cause. */
static void report_failure(struct tulpen_ctx *ctx, int err)
{
	const char *m = tulpen_ctx_errmsg(ctx);

#ifdef TULPEN_HAVE_LIBBPF
	if (libbpf_msg[0] && !strncmp(m, "eBPF:", 5)) {
		cli_error("watch", "%s (libbpf: %s)", m, libbpf_msg);
		return;
	}
#endif
	cli_error("watch", "%s", m[0] ? m : strerror(-err));
}

static void print_stats(const struct tulpen_watch_session *s)
{
	struct tulpen_watch_stats st;

	tulpen_watch_session_stats(s, &st);
	cli_error(
		"watch",
		"stats: events %llu transitions %llu timewait %llu accepts "
		"%llu lifetimes %llu lost %llu",
		(unsigned long long)st.events,
		(unsigned long long)st.transitions,
		(unsigned long long)st.timewait, (unsigned long long)st.accepts,
		(unsigned long long)st.lifetimes, (unsigned long long)st.lost);
}

/* A closed pipe, or a stuck reader when stopping: a normal end. */
static int normal_end(int err)
{
	return err == -EPIPE || (err == -EAGAIN && stop_signal);
}

/* Open the session and run it; returns the exit code. */
static int watch(struct watch_cli *w, struct tulpen_ctx *ctx,
		 struct tulpen_buf *out)
{
	struct tulpen_watch_session *s = NULL;
	int err;

	w->so.notice = notice;
	w->so.stop = stop_requested;
#ifdef TULPEN_HAVE_LIBBPF
	libbpf_set_print(libbpf_print);
#endif
	err = tulpen_watch_session_new(ctx, &w->so, out, &s);
	if (err) {
		if (normal_end(err))
			return 0;
		report_failure(ctx, err);
		return 1;
	}
	err = tulpen_watch_session_run(s, w->duration_ns);
	if (err && !normal_end(err)) {
		report_failure(ctx, err);
		tulpen_watch_session_free(s);
		return 1;
	}
	if (w->stats)
		print_stats(s);
	tulpen_watch_session_end(s);
	tulpen_watch_session_free(s);
	return 0;
}

/* -N/--netns for --summary: a path, a name under /run/netns or a pid. */
static int summary_netns(struct tulpen_ctx *ctx, const char *spec,
			 struct stat *st)
{
	struct tulpen_netns_labels *l = NULL;
	const char *path = spec;
	char buf[4096];
	int err = 0;

	if (!strchr(spec, '/')) {
		err = tulpen_netns_labels_new(ctx, &l);
		if (!err)
			err = tulpen_netns_labels_path(l, spec, buf,
						       sizeof(buf));
		tulpen_netns_labels_free(l);
		if (err) {
			cli_error("watch", "--netns %s: %s", spec,
				  tulpen_ctx_errmsg(ctx)[0]
					  ? tulpen_ctx_errmsg(ctx)
					  : strerror(-err));
			return err;
		}
		path = buf;
	}
	if (stat(path, st)) {
		err = -errno;
		cli_error("watch", "--netns %s: %s", spec, strerror(errno));
	}
	return err;
}

/*
 * --summary: the programs count in the kernel until stopped (or the
 * duration is over), then the counts are printed once.
 */
static int summary(struct watch_cli *w, struct tulpen_ctx *ctx,
		   struct tulpen_buf *out)
{
	struct tulpen_watch_counts c;
	struct tulpen_watch_bpf *wb;
	uint32_t netns = 0;
	struct stat st;
	uint64_t t0, end;
	int err;

	if (w->so.netns) {
		err = summary_netns(ctx, w->so.netns, &st);
		if (err)
			return 1;
		netns = (uint32_t)st.st_ino;
	}
#ifdef TULPEN_HAVE_LIBBPF
	libbpf_set_print(libbpf_print);
#endif
	err = tulpen_watch_counts_open(ctx, netns, w->so.skip_parts, &wb);
	if (err) {
		report_failure(ctx, err);
		return 1;
	}
	t0 = mono_ns();
	end = w->duration_ns ? t0 + w->duration_ns : 0;
	while (!stop_signal) {
		uint64_t now = mono_ns(), left = 100000000ull;
		struct timespec ts = { 0, 0 };

		if (end && now >= end)
			break;
		if (end && end - now < left)
			left = end - now;
		ts.tv_nsec = (long)left;
		nanosleep(&ts, NULL);
	}
	err = tulpen_watch_counts_read(wb, &c);
	tulpen_watch_bpf_close(wb);
	if (err) {
		cli_error("watch", "eBPF: reading the counts: %s",
			  strerror(-err));
		return 1;
	}
	if (w->so.output == TULPEN_WATCH_OUT_TEXT)
		err = tulpen_watch_counts_fmt(out, &c,
					      (double)(mono_ns() - t0) / 1e9);
	else
		err = tulpen_watch_counts_json(out, &c,
					       (double)(mono_ns() - t0) / 1e9);
	if (!err)
		err = tulpen_buf_flush(out);
	if (err && !normal_end(err)) {
		cli_error("watch", "output: %s", strerror(-err));
		return 1;
	}
	return 0;
}

int cmd_watch(int argc, char **argv)
{
	struct sink_state sink = { 0 };
	struct tulpen_filter *expr = NULL;
	struct tulpen_ctx *ctx = NULL;
	struct tulpen_buf out;
	struct watch_cli w;
	int err, rc = 1;

	memset(&w, 0, sizeof(w));
	err = parse_opts(&w, argc, argv, &expr);
	if (err == 2)
		return cli_version("watch");
	if (err > 0) /* --help: written; flushed, a failure said */
		return cli_help("watch", "");
	if (err)
		return cli_usage_error("watch", "%s", w.err);
	if (tulpen_buf_init(&out, 64 * 1024, watch_sink, &sink)) {
		cli_error("watch", "out of memory");
		tulpen_filter_free(expr);
		return 1;
	}
	if (tulpen_ctx_new(&ctx)) {
		cli_error("watch", "out of memory");
		goto out;
	}
	tulpen_ctx_set_note(ctx, cli_note, &notes);
	if (install_signals()) {
		cli_error("watch", "signals: %s", strerror(errno));
		goto out;
	}
	rc = w.summary ? summary(&w, ctx, &out) : watch(&w, ctx, &out);
out:
	tulpen_ctx_free(ctx);
	tulpen_buf_fini(&out);
	tulpen_filter_free(expr);
	return rc;
}
