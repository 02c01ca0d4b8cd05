// SPDX-License-Identifier: MIT
/*
 * cmd_watch.c - `tulpen watch`: live TCP state transitions.
 *
 * Thin: parse options, pick the source (eBPF, else sampled netlink), seed
 * the connection tracker from a snapshot, then loop: events -> tracker ->
 * filters -> formatter -> stdout, until Ctrl-C, SIGTERM, a closed pipe or
 * --duration.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tulpen/ctx.h"
#include "tulpen/fmt.h"
#include "tulpen/owners.h"
#include "tulpen/state.h"
#include "tulpen/watch.h"
#include "commands.h"

enum source_pick { PICK_AUTO, PICK_BPF, PICK_SAMPLED };
enum out_kind { OUT_TEXT, OUT_JSON, OUT_NDJSON };

struct watch_opts {
	enum source_pick source;
	enum out_kind out;
	int family;		/* 0, AF_INET or AF_INET6 */
	double interval;	/* sampled mode, seconds */
	double summary_every;	/* 0: never */
	double duration;	/* 0: until stopped */
	const char *netns;	/* path of a network namespace, or NULL */
	int lifetimes;		/* print lifetimes */
	int transitions;	/* print transitions */
	int existing;		/* list existing connections (text) */
	size_t ringbuf_mb;
	size_t wakeup_kb;
	int stats;		/* counts on stderr at exit */
	/* filters */
	uint32_t states;	/* 0: any */
	uint32_t exclude;
	int nports;
	uint16_t ports[16];
	int port_side[16];	/* 0 either, 1 local (sport), 2 peer */
};

struct sink_state {
	int nonblock;		/* stdout made non-blocking (stopping) */
	uint64_t give_up_at;
};

struct watch_run {
	struct watch_opts *o;
	struct tulpen_conns *conns;
	struct tulpen_buf out;
	struct tulpen_watch_fmt_opts fo;
	int nobjs;		/* JSON objects written */
	int err;		/* first output error */
	/* --stats */
	unsigned long long n_events, n_states, n_tw, n_accepts, n_ended;
	uint64_t lost_total;
	unsigned batch;		/* events in this poll */
	int quiet;		/* track, do not print */
	struct sink_state sink;
};

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

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
				fcntl(STDOUT_FILENO, F_SETFL, O_NONBLOCK |
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
			poll(&pfd, 1, (int)((ss->give_up_at - now) / 1000000) +
			     1);
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: tulpen watch [-t] [-4|-6] [FILTER...] [--json|--ndjson]\n"
"                    [--interval S] [--summary-every S] [--duration S]\n"
"                    [--source=auto|bpf|sampled] [--netns PATH]\n"
"                    [--lifetimes|--transitions] [--existing]\n"
"                    [--ringbuf-mb N] [--wakeup-kb N] [--stats]\n"
"FILTER: state NAME | exclude NAME | port N | sport N | dport N\n"
"Every TCP state transition, live, with its owner and time in state; one\n"
"END line per connection with its whole path. Ctrl-C stops.\n");
}


static int64_t realtime_offset(void)
{
	struct timespec r, m;

	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	return ((int64_t)r.tv_sec - (int64_t)m.tv_sec) * 1000000000ll +
	       ((int64_t)r.tv_nsec - (int64_t)m.tv_nsec);
}

static int parse_seconds(const char *opt, const char *s, double min,
			 double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min ||
	    v > 86400.0 * 365) {
		fprintf(stderr, "tulpen watch: %s: bad number of seconds "
			"'%s'\n", opt, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_uint(const char *opt, const char *s, unsigned long max,
		      unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max) {
		fprintf(stderr, "tulpen watch: %s: bad number '%s'\n", opt, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_filters(struct watch_opts *o, int argc, char **argv)
{
	unsigned long v;
	uint32_t mask;
	int i, side;

	for (i = 0; i < argc; i++) {
		const char *w = argv[i];

		if (i + 1 >= argc) {
			fprintf(stderr, "tulpen watch: filter '%s' needs a "
				"value\n", w);
			return -EINVAL;
		}
		if (!strcmp(w, "state") || !strcmp(w, "exclude")) {
			if (tulpen_state_parse(argv[i + 1], &mask)) {
				fprintf(stderr, "tulpen watch: unknown state "
					"'%s'\n", argv[i + 1]);
				return -EINVAL;
			}
			if (w[0] == 's')
				o->states |= mask;
			else
				o->exclude |= mask;
		} else if (!strcmp(w, "port") || !strcmp(w, "sport") ||
			   !strcmp(w, "dport")) {
			side = w[0] == 's' ? 1 : w[0] == 'd' ? 2 : 0;
			if (parse_uint(w, argv[i + 1], 65535, &v))
				return -EINVAL;
			if (o->nports == 16) {
				fprintf(stderr, "tulpen watch: at most 16 port "
					"filters\n");
				return -EINVAL;
			}
			o->ports[o->nports] = (uint16_t)v;
			o->port_side[o->nports++] = side;
		} else {
			fprintf(stderr, "tulpen watch: unknown filter '%s'\n",
				w);
			return -EINVAL;
		}
		i++;
	}
	return 0;
}

static int parse_opts(struct watch_opts *o, int argc, char **argv)
{
	enum { O_JSON = 256, O_NDJSON, O_INTERVAL, O_SUMMARY, O_DURATION,
	       O_SOURCE, O_NETNS, O_LIFETIMES, O_TRANSITIONS, O_EXISTING,
	       O_RINGBUF, O_WAKEUP, O_STATS };
	static const struct option lo[] = {
		{ "tcp", no_argument, NULL, 't' },
		{ "ipv4", no_argument, NULL, '4' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "numeric", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, O_JSON },
		{ "ndjson", no_argument, NULL, O_NDJSON },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "summary-every", required_argument, NULL, O_SUMMARY },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "source", required_argument, NULL, O_SOURCE },
		{ "netns", required_argument, NULL, O_NETNS },
		{ "lifetimes", no_argument, NULL, O_LIFETIMES },
		{ "transitions", no_argument, NULL, O_TRANSITIONS },
		{ "existing", no_argument, NULL, O_EXISTING },
		{ "ringbuf-mb", required_argument, NULL, O_RINGBUF },
		{ "wakeup-kb", required_argument, NULL, O_WAKEUP },
		{ "stats", no_argument, NULL, O_STATS },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	o->interval = 1.0;
	o->lifetimes = o->transitions = 1;
	o->ringbuf_mb = 16;
	/*
	 * Wake up for every 64 KiB of events (about 500) rather than for
	 * each: the poll timeout (100 ms) bounds the delay when it is quiet.
	 */
	o->wakeup_kb = 64;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "t46nh", lo, NULL)) != -1) {
		switch (c) {
		case 't':
		case 'n':
			break;
		case '4':
			o->family = AF_INET;
			break;
		case '6':
			o->family = AF_INET6;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case O_JSON:
			o->out = OUT_JSON;
			break;
		case O_NDJSON:
			o->out = OUT_NDJSON;
			break;
		case O_INTERVAL:
			if (parse_seconds("--interval", optarg, 0.01,
					  &o->interval))
				return -EINVAL;
			break;
		case O_SUMMARY:
			if (parse_seconds("--summary-every", optarg, 0.01,
					  &o->summary_every))
				return -EINVAL;
			break;
		case O_DURATION:
			if (parse_seconds("--duration", optarg, 0.001,
					  &o->duration))
				return -EINVAL;
			break;
		case O_SOURCE:
			if (!strcmp(optarg, "auto")) {
				o->source = PICK_AUTO;
			} else if (!strcmp(optarg, "bpf")) {
				o->source = PICK_BPF;
			} else if (!strcmp(optarg, "sampled")) {
				o->source = PICK_SAMPLED;
			} else {
				fprintf(stderr, "tulpen watch: --source: "
					"'%s' is not auto, bpf or sampled\n",
					optarg);
				return -EINVAL;
			}
			break;
		case O_NETNS:
			o->netns = optarg;
			break;
		case O_LIFETIMES:
			o->transitions = 0;
			o->lifetimes = 1;
			break;
		case O_TRANSITIONS:
			o->lifetimes = 0;
			o->transitions = 1;
			break;
		case O_EXISTING:
			o->existing = 1;
			break;
		case O_RINGBUF:
			if (parse_uint("--ringbuf-mb", optarg, 1024, &v))
				return -EINVAL;
			if (v == 0) {
				fprintf(stderr, "tulpen watch: --ringbuf-mb: "
					"from 1 to 1024\n");
				return -EINVAL;
			}
			o->ringbuf_mb = v;
			break;
		case O_STATS:
			o->stats = 1;
			break;
		case O_WAKEUP:
			if (parse_uint("--wakeup-kb", optarg, 65536, &v))
				return -EINVAL;
			o->wakeup_kb = v;
			break;
		default:
			if (optopt && optopt < 256)
				fprintf(stderr, "tulpen watch: unknown option "
					"'-%c'\n", optopt);
			else
				fprintf(stderr, "tulpen watch: unknown or "
					"incomplete option '%s'\n",
					argv[optind - 1]);
			return -EINVAL;
		}
	}
	return parse_filters(o, argc - optind, argv + optind);
}

static int port_match(const struct watch_opts *o,
		      const struct tulpen_endpoint *l,
		      const struct tulpen_endpoint *p)
{
	int i;

	if (!o->nports)
		return 1;
	for (i = 0; i < o->nports; i++) {
		if (o->port_side[i] != 2 && l->port == o->ports[i])
			return 1;
		if (o->port_side[i] != 1 && p->port == o->ports[i])
			return 1;
	}
	return 0;
}

static int state_match(const struct watch_opts *o, uint32_t seen)
{
	if (o->states && !(seen & o->states))
		return 0;
	if (o->exclude && (seen & o->exclude))
		return 0;
	return 1;
}

static int event_match(const struct watch_opts *o,
		       const struct tulpen_watch_event *ev)
{
	if (o->family && ev->family != o->family)
		return 0;
	if (!port_match(o, &ev->local, &ev->peer))
		return 0;
	if (ev->type == TULPEN_WEV_OWNER)
		return state_match(o, TULPEN_SF(ev->newstate));
	return state_match(o, TULPEN_SF(ev->oldstate) |
			      TULPEN_SF(ev->newstate));
}

static int conn_match(const struct watch_opts *o, const struct tulpen_watch_conn *cn)
{
	uint32_t seen = 0;
	unsigned i;

	if (o->family && cn->family != o->family)
		return 0;
	if (!port_match(o, &cn->local, &cn->peer))
		return 0;
	for (i = 0; i < cn->nsteps; i++)
		seen |= TULPEN_SF(cn->steps[i].state);
	return state_match(o, seen);
}

/* Start a record: the separator JSON needs between objects. */
static void rec_begin(struct watch_run *r)
{
	if (r->o->out == OUT_JSON)
		tulpen_buf_puts(&r->out, r->nobjs ? ",\n" : "[\n");
	r->nobjs++;
}

static void rec_end(struct watch_run *r)
{
	if (r->o->out == OUT_NDJSON)
		tulpen_buf_putc(&r->out, '\n');
}

static int on_event(const struct tulpen_watch_event *ev, void *data)
{
	struct watch_run *r = data;
	const struct tulpen_watch_conn *cn;
	int ended, err;

	r->n_events++;
	if (ev->type == TULPEN_WEV_OWNER)
		r->n_accepts++;
	else if (ev->oldstate != ev->newstate)
		r->n_states++;
	if (ev->timewait && ev->oldstate != ev->newstate)
		r->n_tw++;
	err = tulpen_conns_apply(r->conns, ev, &cn, &ended);
	if (err)
		return err;
	r->n_ended += ended;
	if (!cn || r->quiet)
		return stop_signal || ++r->batch > 65536;
	if (r->o->transitions && event_match(r->o, ev) &&
	    !(ev->type == TULPEN_WEV_STATE && ev->oldstate == ev->newstate)) {
		struct tulpen_watch_event e2;
		const struct tulpen_watch_event *pe = ev;

		/* The time in the old state, from the connection's path. */
		if (ev->type == TULPEN_WEV_STATE && ev->in_old_ns < 0 &&
		    cn->nsteps >= 2 && cn->steps[cn->nsteps - 2].dur_known) {
			e2 = *ev;
			e2.in_old_ns = cn->steps[cn->nsteps - 2].dur_ns;
			pe = &e2;
		}
		rec_begin(r);
		tulpen_watch_fmt_event(&r->out, &r->fo, pe, cn);
		rec_end(r);
	}
	if (ended && r->o->lifetimes && conn_match(r->o, cn)) {
		rec_begin(r);
		tulpen_watch_fmt_lifetime(&r->out, &r->fo, cn);
		rec_end(r);
	}
	if (r->out.err)
		return r->out.err;
	/*
	 * Under a flood the ring never runs dry: hand control back now and
	 * then (and at once on a stop signal) so signals, summaries and the
	 * lost counter are served. This event is done: the reader has
	 * already stepped past it.
	 */
	if (stop_signal || ++r->batch > 65536)
		return 1;
	return 0;
}

static void on_existing(const struct tulpen_watch_conn *cn, void *data)
{
	struct watch_run *r = data;

	if (!conn_match(r->o, cn))
		return;
	rec_begin(r);
	tulpen_watch_fmt_existing(&r->out, &r->fo, cn);
	rec_end(r);
}

static void print_summary(struct watch_run *r, uint64_t lost)
{
	size_t counts[TULPEN_TCP_MAX_STATES];

	tulpen_conns_counts(r->conns, counts);
	rec_begin(r);
	tulpen_watch_fmt_summary(&r->out, &r->fo, mono_ns(), counts,
				 tulpen_conns_size(r->conns), lost);
	rec_end(r);
}

static void report_lost(struct watch_run *r, uint64_t lost, uint64_t total)
{
	fprintf(stderr, "tulpen watch: %llu events lost (ring buffer full), "
		"%llu in total\n", (unsigned long long)lost,
		(unsigned long long)total);
	if (r->o->out != OUT_TEXT) {
		rec_begin(r);
		tulpen_watch_fmt_lost(&r->out, &r->fo, mono_ns(), lost, total);
		rec_end(r);
	}
}

/*
 * Enter network namespace @path; returns its inode or 0 on error. The
 * namespace we were in is kept open in *@home.
 */
static uint32_t enter_netns(const char *path, int *home)
{
	struct stat st;
	int fd;

	*home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "tulpen watch: --netns %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	return (uint32_t)st.st_ino;
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

static int due(uint64_t now, uint64_t at)
{
	return at && now >= at;
}

static uint64_t secs_ns(double s)
{
	return (uint64_t)(s * 1e9);
}

static int stop_requested(void *data)
{
	return stop_signal != 0;
}

/*
 * After losses the tracker may hold connections whose end it missed:
 * compare it with the kernel's socket table (in the watched namespace).
 */
static void reconcile(struct watch_run *r, struct tulpen_ctx *ctx)
{
	size_t dropped = 0;
	int home = -1, fd = -1, err;

	if (r->o->netns) {
		home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		fd = open(r->o->netns, O_RDONLY | O_CLOEXEC);
		if (home < 0 || fd < 0 || setns(fd, CLONE_NEWNET))
			goto out;
	}
	err = tulpen_conns_reconcile(r->conns, ctx, stop_requested, NULL,
				     &dropped);
	if (err == -EINTR)
		; /* stopping */
	else if (err)
		fprintf(stderr, "tulpen watch: re-reading the socket table "
			"after losses failed: %s\n", strerror(-err));
	else if (dropped)
		fprintf(stderr, "tulpen watch: %zu connections whose end was "
			"lost are no longer tracked\n", dropped);
	if (r->o->netns) {
		tulpen_ctx_set_nl_ops(ctx, NULL, NULL);
		if (setns(home, CLONE_NEWNET))
			fprintf(stderr, "tulpen watch: cannot leave --netns: "
				"%s\n", strerror(errno));
	}
out:
	if (home >= 0)
		close(home);
	if (fd >= 0)
		close(fd);
}

/* Loop over the eBPF source. Returns 0 or a negative errno. */
static int run_bpf(struct watch_run *r, struct tulpen_watch_bpf *w,
		   struct tulpen_ctx *ctx, uint64_t end_at)
{
	uint64_t next_summary = 0, next_lost = 0, lost_seen = 0, now, total;
	uint64_t next_reconcile = 0;
	int need_reconcile = 0;
	int ret = 0, timeout;

	if (r->o->summary_every > 0)
		next_summary = mono_ns() + secs_ns(r->o->summary_every);
	while (!stop_signal) {
		now = mono_ns();
		timeout = 100;
		if (end_at && end_at <= now)
			break;
		if (end_at && (end_at - now) / 1000000 < (uint64_t)timeout)
			timeout = (int)((end_at - now) / 1000000) + 1;
		r->batch = 0;
		ret = tulpen_watch_bpf_poll(w, timeout, on_event, r);
		if (ret == -EINTR) {
			ret = 0;
			continue;
		}
		if (ret < 0)
			break;
		ret = 0;
		now = mono_ns();
		if (now >= next_lost) {
			total = tulpen_watch_bpf_lost(w);
			if (total > lost_seen) {
				report_lost(r, total - lost_seen, total);
				need_reconcile = 1;
			}
			lost_seen = total;
			next_lost = now + 1000000000ull;
		}
		if (need_reconcile && now >= next_reconcile) {
			reconcile(r, ctx);
			need_reconcile = 0;
			next_reconcile = mono_ns() + 10000000000ull;
		}
		if (due(now, next_summary)) {
			print_summary(r, lost_seen);
			next_summary = now + secs_ns(r->o->summary_every);
		}
		if (tulpen_buf_flush(&r->out)) {
			ret = r->out.err;
			break;
		}
	}
	/* Drain what is left (a bounded batch), count the last losses. */
	r->batch = 0;
	if (!ret && !r->out.err && !stop_signal)
		ret = tulpen_watch_bpf_poll(w, 0, on_event, r);
	total = tulpen_watch_bpf_lost(w);
	if (total > lost_seen && !r->out.err)
		report_lost(r, total - lost_seen, total);
	if (total)
		fprintf(stderr, "tulpen watch: %llu events lost in total\n",
			(unsigned long long)total);
	r->lost_total = total;
	return ret < 0 ? ret : r->out.err;
}

static void sleep_until(uint64_t at)
{
	struct timespec ts = {
		.tv_sec = (time_t)(at / 1000000000ull),
		.tv_nsec = (long)(at % 1000000000ull),
	};

	/* Returns early (EINTR) when a stop signal arrives. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static int run_sampled(struct watch_run *r, struct tulpen_watch_sampled *w,
		       uint64_t end_at)
{
	uint64_t next = mono_ns(), next_summary = 0, now;
	int ret = 0;

	if (r->o->summary_every > 0)
		next_summary = next + secs_ns(r->o->summary_every);
	while (!stop_signal) {
		next += secs_ns(r->o->interval);
		if (end_at && next > end_at)
			next = end_at;
		sleep_until(next);
		if (stop_signal)
			break;
		now = mono_ns();
		ret = tulpen_watch_sampled_step(w, now, on_event, r);
		if (ret)
			break;
		if (due(now, next_summary)) {
			print_summary(r, 0);
			next_summary = now + secs_ns(r->o->summary_every);
		}
		if (tulpen_buf_flush(&r->out)) {
			ret = r->out.err;
			break;
		}
		if (end_at && now >= end_at)
			break;
	}
	return ret < 0 ? ret : r->out.err;
}

int cmd_watch(int argc, char **argv)
{
	struct watch_opts o;
	struct watch_run r;
	struct tulpen_ctx *ctx = NULL;
	struct tulpen_watch_bpf *wb = NULL;
	struct tulpen_watch_sampled *ws = NULL;
	struct tulpen_owners *owners = NULL;
	struct tulpen_watch_bpf_opts bo;
	uint64_t start, end_at = 0;
	uint32_t netns = 0;
	size_t nseed = 0;
	int home_ns = -1;
	int err, rc = 1;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	err = parse_opts(&o, argc, argv);
	if (err > 0)
		return 0;
	if (err) {
		usage(stderr);
		return 2;
	}
	r.o = &o;
	r.fo.json = o.out != OUT_TEXT;
	r.fo.realtime_offset_ns = realtime_offset();
	r.fo.cache_sec = INT64_MIN;
	if (tulpen_buf_init(&r.out, 64 * 1024, watch_sink, &r.sink) ||
	    tulpen_ctx_new(&ctx) || tulpen_conns_new(&r.conns)) {
		fprintf(stderr, "tulpen watch: out of memory\n");
		goto out;
	}
	if (install_signals()) {
		fprintf(stderr, "tulpen watch: signals: %s\n", strerror(errno));
		goto out;
	}
	if (o.netns) {
		netns = enter_netns(o.netns, &home_ns);
		if (!netns)
			goto out;
	}

	/*
	 * Owners of what exists now, before attaching: scanning /proc can
	 * take seconds on a big host, and events would pile up meanwhile.
	 * (A best effort: without it owners are unknown.)
	 */
	if (o.source != PICK_SAMPLED && tulpen_owners_new(ctx, &owners))
		owners = NULL;

	if (o.source != PICK_SAMPLED) {
		memset(&bo, 0, sizeof(bo));
		bo.netns = netns;
		bo.ringbuf_bytes = o.ringbuf_mb << 20;
		bo.wakeup_bytes = o.wakeup_kb << 10;
		err = tulpen_watch_bpf_open(ctx, &bo, &wb);
		if (err) {
			if (o.source == PICK_BPF) {
				fprintf(stderr, "tulpen watch: %s\n",
					tulpen_ctx_errmsg(ctx));
				goto out;
			}
			fprintf(stderr, "tulpen watch: %s\n"
				"tulpen watch: SAMPLED mode: comparing socket "
				"snapshots every %gs; transitions shorter "
				"than that are not seen\n",
				tulpen_ctx_errmsg(ctx), o.interval);
		}
	} else {
		fprintf(stderr, "tulpen watch: SAMPLED mode (--source=sampled):"
			" comparing socket snapshots every %gs; transitions "
			"shorter than that are not seen\n", o.interval);
	}

	/* Start from the present: what exists now. */
	start = mono_ns();
	if (wb) {
		/*
		 * Events since attach that precede the snapshot: into the
		 * tracker (the snapshot skips what they know), not printed:
		 * they are before the start.
		 */
		r.batch = 0;
		r.quiet = 1;
		err = tulpen_watch_bpf_poll(wb, 0, on_event, &r);
		r.quiet = 0;
		if (err >= 0)
			err = tulpen_conns_snapshot(r.conns, ctx, 0, owners,
						    &nseed);
		tulpen_owners_free(owners);
		owners = NULL;
	} else {
		err = tulpen_watch_sampled_new(ctx, &ws);
		if (!err)
			err = tulpen_watch_sampled_step(ws, start, on_event,
							&r);
		if (!err)
			err = tulpen_watch_sampled_seed(ws, r.conns);
	}
	if (err < 0) {
		const char *m = tulpen_ctx_errmsg(ctx);

		fprintf(stderr, "tulpen watch: %s%s%s\n",
			wb ? "snapshot: " : "neither eBPF nor sampling works: ",
			m[0] ? m : strerror(-err), "");
		goto out;
	}
	/*
	 * The eBPF source filters by namespace in the kernel: go home so as
	 * not to hold the watched namespace alive (its end purges TIME-WAIT).
	 */
	if (wb && home_ns >= 0)
		tulpen_ctx_set_nl_ops(ctx, NULL, NULL); /* its socket, too */
	if (wb && home_ns >= 0 && setns(home_ns, CLONE_NEWNET)) {
		fprintf(stderr, "tulpen watch: cannot leave --netns: %s\n",
			strerror(errno));
		goto out;
	}
	if (o.out != OUT_TEXT) {
		rec_begin(&r);
		tulpen_buf_printf(&r.out, "{\"type\":\"start\",\"source\":"
				  "\"%s\",\"pid\":%d,\"existing\":%zu",
				  wb ? "bpf" : "sampled", (int)getpid(),
				  tulpen_conns_size(r.conns));
		if (!wb)
			tulpen_buf_printf(&r.out, ",\"interval_s\":%g",
					  o.interval);
		if (netns)
			tulpen_buf_printf(&r.out, ",\"netns\":%u", netns);
		tulpen_buf_putc(&r.out, '}');
		rec_end(&r);
	}
	if (o.existing || o.out != OUT_TEXT)
		tulpen_conns_foreach(r.conns, on_existing, &r);
	else if (o.transitions) {
		tulpen_buf_printf(&r.out, "# %s source; %zu TCP sockets exist "
				  "at start (ages count from now)\n",
				  wb ? "eBPF" : "SAMPLED", tulpen_conns_size(
				  r.conns));
		print_summary(&r, 0);
	}
	if (tulpen_buf_flush(&r.out))
		goto done;

	if (o.duration > 0)
		end_at = start + secs_ns(o.duration);
	if (wb)
		err = run_bpf(&r, wb, ctx, end_at);
	else
		err = run_sampled(&r, ws, end_at);
	/* A closed pipe, or a stuck reader when stopping: a normal end. */
	if (err && err != -EPIPE && !(err == -EAGAIN && stop_signal)) {
		fprintf(stderr, "tulpen watch: %s\n", strerror(-err));
		goto out;
	}
done:
	if (o.stats)
		fprintf(stderr, "tulpen watch: stats: events %llu transitions "
			"%llu timewait %llu accepts %llu lifetimes %llu lost "
			"%llu\n", r.n_events, r.n_states, r.n_tw, r.n_accepts,
			r.n_ended, (unsigned long long)r.lost_total);
	if (o.out == OUT_JSON && !r.out.err)
		tulpen_buf_puts(&r.out, r.nobjs ? "\n]\n" : "[]\n");
	tulpen_buf_flush(&r.out);
	rc = 0;
out:
	tulpen_watch_bpf_close(wb);
	tulpen_watch_sampled_free(ws);
	tulpen_owners_free(owners);
	tulpen_conns_free(r.conns);
	tulpen_ctx_free(ctx);
	tulpen_buf_fini(&r.out);
	if (home_ns >= 0)
		close(home_ns);
	(void)nseed;
	return rc;
}
