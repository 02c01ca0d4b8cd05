// SPDX-License-Identifier: MIT
/*
 * watch_bpf.c - the eBPF source of `tulpen watch`: load the tcpstates
 * skeleton (bpf/tcpstates.bpf.c), attach its programs one by one, read its
 * ring buffer and hand decoded events to a callback.
 *
 * Only the transition program is required. When another program is
 * refused by the verifier or cannot attach, its part (owners of accepted
 * sockets, TIME-WAIT, SYN-SENT ports) is left out and the reason kept for
 * tulpen_watch_bpf_missing_why(). The kernel's verifier log goes into a
 * buffer of our own per program (not through libbpf's process-global
 * print callback), so an error names the verifier's own words.
 *
 * The programs also count transitions and socket lifetimes in a per-CPU
 * map (bpf/tcpstates_counts.bpf.h), read by tulpen_watch_counts_read();
 * tulpen_watch_counts_open() loads them for those counts alone: no
 * events, no ring buffer reader, no accept tracking.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tulpen/watch.h"
#include "tulpen/watch_counts.h"
#include "tcpstates.h"
#include "tcpstates.skel.h"

#define DEFAULT_RINGBUF (16u << 20)
#define LOG_SIZE (64u << 10) /* per program: the end of a verifier log */
#define MAX_PROGS 8
#define WHY_SIZE 200

_Static_assert(TW_DUR_SLOTS == TULPEN_WATCH_DUR_SLOTS, "lifetime slots");
_Static_assert(TW_NSTATES >= TULPEN_TCP_MAX_STATES, "state numbers");

/* The programs of bpf/tcpstates.bpf.c and the part each one serves. */
static const struct {
	const char *name;
	unsigned part; /* 0: required */
} progs[] = {
	{ "on_set_state", 0 },
	{ "on_sys_exit", TULPEN_WATCH_PART_ACCEPT },
	{ "on_timer_start", TULPEN_WATCH_PART_TIMEWAIT },
	{ "on_timer_expire", TULPEN_WATCH_PART_TIMEWAIT },
	{ "on_timer_cancel", TULPEN_WATCH_PART_TIMEWAIT },
	{ "on_xmit", TULPEN_WATCH_PART_CONNECT },
};

#define NPROGS (sizeof(progs) / sizeof(progs[0]))

struct tulpen_watch_bpf {
	struct tcpstates *skel;
	struct ring_buffer *rb;
	struct bpf_link *links[NPROGS];
	int ncpus;
	int counts_only;
	uint64_t *lost_vals;
	struct tw_counts *count_vals; /* one per CPU */
	size_t wakeup_bytes;
	unsigned missing; /* TULPEN_WATCH_PART_* left out */
	char why[TULPEN_WATCH_NPARTS][WHY_SIZE];
	/* Logs of the load in progress: one per program, one for BTF. */
	char *logs;
	/* The callback of the poll in progress. */
	tulpen_watch_cb cb;
	void *cb_data;
	int cb_ret;
	int nevents;
};

static int pow2_at_least(size_t v, size_t min)
{
	size_t p = min;

	while (p < v && p < ((size_t)1 << 30))
		p <<= 1;
	return (int)p;
}

static int part_index(unsigned part)
{
	int i;

	for (i = 0; i < TULPEN_WATCH_NPARTS; i++)
		if (part == 1u << i)
			return i;
	return -1;
}

static void set_missing(struct tulpen_watch_bpf *w, unsigned part,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_missing(struct tulpen_watch_bpf *w, unsigned part,
			const char *fmt, ...)
{
	int i = part_index(part);
	va_list ap;

	if (i < 0 || (w->missing & part))
		return;
	w->missing |= part;
	va_start(ap, fmt);
	vsnprintf(w->why[i], WHY_SIZE, fmt, ap);
	va_end(ap);
}

/*
 * The verifier's own words: the last line of @log that is not one of its
 * closing statistics. Returns a pointer into @log (cut at the line's end),
 * or NULL when the log is empty.
 */
static const char *verifier_line(char *log)
{
	char *line = NULL, *p, *nl;

	for (p = log; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (*p && strncmp(p, "processed ", 10) &&
		    strncmp(p, "verification time", 17) &&
		    strncmp(p, "stack depth", 11) &&
		    strncmp(p, "-- END PROG LOAD LOG --", 23))
			line = p;
		if (!nl)
			break;
	}
	return line;
}

static int prog_index(const struct bpf_program *prog)
{
	const char *name = bpf_program__name(prog);
	size_t i;

	for (i = 0; i < NPROGS; i++)
		if (!strcmp(name, progs[i].name))
			return (int)i;
	return -1;
}

static char *prog_log(struct tulpen_watch_bpf *w, size_t i)
{
	return w->logs + i * LOG_SIZE;
}

/* Open the skeleton, leaving out the programs of the parts in @skip. */
static int open_skel(struct tulpen_watch_bpf *w,
		     const struct tulpen_watch_bpf_opts *opts, unsigned skip)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo,
		    .kernel_log_buf = prog_log(w, NPROGS),
		    .kernel_log_size = LOG_SIZE);
	struct bpf_program *prog;
	size_t i;
	int pi;

	for (i = 0; i <= NPROGS; i++)
		prog_log(w, i)[0] = '\0';
	w->skel = tcpstates__open_opts(&oo);
	if (!w->skel)
		return -errno;
	w->skel->rodata->filter_netns = opts->netns;
	w->skel->rodata->wakeup_bytes = opts->wakeup_bytes;
	w->skel->rodata->no_events = (__u8)w->counts_only;
	/* Counts only: the ring buffer stays empty, the smallest will do. */
	bpf_map__set_max_entries(
		w->skel->maps.events,
		w->counts_only ? 4096
			       : pow2_at_least(opts->ringbuf_bytes
						       ? opts->ringbuf_bytes
						       : DEFAULT_RINGBUF,
					       4096));
	/* Per-socket tables: births for counts only, sks for events. */
	bpf_map__set_max_entries(w->skel->maps.births,
				 w->counts_only ? TW_BIRTHS_MAX : 1);
	bpf_map__set_max_entries(w->skel->maps.sks,
				 w->counts_only ? 1 : TW_BIRTHS_MAX);
	bpf_object__for_each_program(prog, w->skel->obj)
	{
		pi = prog_index(prog);
		if (pi < 0 || (progs[pi].part & skip)) {
			bpf_program__set_autoload(prog, false);
			continue;
		}
		bpf_program__set_log_buf(prog, prog_log(w, (size_t)pi),
					 LOG_SIZE);
	}
	return 0;
}

/*
 * After a failed load: the program the verifier refused (its log is the
 * only one written: libbpf asks for a log only when a load fails), or -1.
 */
static int refused_prog(struct tulpen_watch_bpf *w)
{
	size_t i;

	for (i = 0; i < NPROGS; i++)
		if (prog_log(w, i)[0])
			return (int)i;
	return -1;
}

static void load_error(struct tulpen_ctx *ctx, struct tulpen_watch_bpf *w,
		       int err, int pi)
{
	const char *line =
		pi >= 0 ? verifier_line(prog_log(w, (size_t)pi)) : NULL;
	const char *btf = verifier_line(prog_log(w, NPROGS));

	if (err == -EPERM && !line)
		tulpen_ctx_seterr(ctx, "eBPF: not permitted to load the "
				       "program (needs root, or CAP_BPF and "
				       "CAP_PERFMON; a kernel lockdown or "
				       "kernel.unprivileged_bpf_disabled also "
				       "refuses it)");
	else if (line)
		tulpen_ctx_seterr(ctx,
				  "eBPF: the kernel's verifier refused "
				  "%s: %s",
				  progs[pi].name, line);
	else if (btf)
		tulpen_ctx_seterr(ctx,
				  "eBPF: the kernel refused the "
				  "program's BTF: %s",
				  btf);
	else
		tulpen_ctx_seterr(ctx, "eBPF: cannot load the program: %s",
				  strerror(-err));
}

/* Load, leaving out each optional part the verifier refuses. */
static int load(struct tulpen_ctx *ctx, struct tulpen_watch_bpf *w,
		const struct tulpen_watch_bpf_opts *opts)
{
	unsigned skip = opts->skip_parts;
	int err, pi, tries;

	w->missing = 0;
	for (tries = 0; tries <= TULPEN_WATCH_NPARTS; tries++) {
		err = open_skel(w, opts, skip);
		if (err) {
			tulpen_ctx_seterr(ctx,
					  "eBPF: cannot open the program: "
					  "%s",
					  strerror(-err));
			return err;
		}
		err = tcpstates__load(w->skel);
		if (!err)
			break;
		err = err < 0 ? err : -EINVAL;
		pi = refused_prog(w);
		if (pi < 0 || !progs[pi].part) {
			load_error(ctx, w, err, pi);
			return err;
		}
		set_missing(w, progs[pi].part,
			    "the kernel's verifier refused "
			    "%s: %s",
			    progs[pi].name,
			    verifier_line(prog_log(w, (size_t)pi)));
		skip |= progs[pi].part;
		tcpstates__destroy(w->skel);
		w->skel = NULL;
	}
	if (err)
		return err;
	for (pi = 0; pi < (int)NPROGS; pi++)
		if (progs[pi].part & opts->skip_parts)
			set_missing(w, progs[pi].part,
				    "left out on "
				    "request");
	return 0;
}

static void detach_part(struct tulpen_watch_bpf *w, unsigned part)
{
	size_t i;

	for (i = 0; i < NPROGS; i++) {
		if (progs[i].part != part || !w->links[i])
			continue;
		bpf_link__destroy(w->links[i]);
		w->links[i] = NULL;
	}
}

/* Attach every loaded program; an optional part that fails is left out. */
static int attach(struct tulpen_ctx *ctx, struct tulpen_watch_bpf *w)
{
	struct bpf_program *prog;
	int pi, err;

	bpf_object__for_each_program(prog, w->skel->obj)
	{
		pi = prog_index(prog);
		if (pi < 0 || !bpf_program__autoload(prog) ||
		    (w->missing & progs[pi].part))
			continue;
		w->links[pi] = bpf_program__attach(prog);
		if (w->links[pi])
			continue;
		err = -errno;
		w->links[pi] = NULL;
		if (!progs[pi].part) {
			tulpen_ctx_seterr(ctx,
					  "eBPF: cannot attach %s (%s): "
					  "%s",
					  progs[pi].name,
					  bpf_program__section_name(prog),
					  strerror(-err));
			return err;
		}
		set_missing(w, progs[pi].part, "cannot attach %s: %s",
			    bpf_program__section_name(prog), strerror(-err));
		detach_part(w, progs[pi].part);
	}
	return 0;
}

/*
 * The time-wait programs follow timers whose function is the kernel's
 * tw_timer_handler (a weak ksym: 0 when the kernel has no such symbol,
 * and then they see nothing).
 */
static int have_tw_timer_handler(void)
{
	static const char sym[] = " tw_timer_handler\n";
	const size_t tail = sizeof(sym) - 1;
	char buf[65536];
	size_t keep = 0, len;
	ssize_t n;
	int fd, found = 0;

	fd = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1; /* cannot tell: let the programs find out */
	while (!found && (n = read(fd, buf + keep, sizeof(buf) - keep)) > 0) {
		len = keep + (size_t)n;
		found = memmem(buf, len, sym, tail) != NULL;
		/* Keep the tail: a name may straddle two reads. */
		keep = len < tail ? len : tail;
		memmove(buf, buf + len - keep, keep);
	}
	close(fd);
	return found;
}

static void decode(const struct tw_event *e, struct tulpen_watch_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = e->type == TW_EV_OWNER ? TULPEN_WEV_OWNER : TULPEN_WEV_STATE;
	ev->proto =
		e->protocol == IPPROTO_MPTCP ? TULPEN_P_MPTCP : TULPEN_P_TCP;
	ev->family = e->family;
	ev->oldstate = e->oldstate;
	ev->newstate = e->newstate;
	ev->ts_ns = e->ts_ns;
	ev->cookie = e->cookie;
	ev->in_old_ns = (e->flags & TW_F_IN_OLD) ? (int64_t)e->in_old_ns : -1;
	if (e->flags & TW_F_PARENT)
		ev->parent_cookie = e->parent_cookie;
	ev->timewait = !!(e->flags & TW_F_TIMEWAIT);
	ev->late = !!(e->flags & TW_F_LATE);
	ev->local.port = e->sport;
	ev->peer.port = e->dport;
	memcpy(ev->local.addr.raw, e->saddr, 16);
	memcpy(ev->peer.addr.raw, e->daddr, 16);
	if (e->family == AF_INET) {
		memset(ev->local.addr.raw + 4, 0, 12);
		memset(ev->peer.addr.raw + 4, 0, 12);
	}
	if (e->flags & TW_F_BYTES) {
		ev->has_bytes = 1;
		ev->bytes_acked = e->bytes_acked;
		ev->bytes_received = e->bytes_received;
	}
	if (e->flags & TW_F_OWNER) {
		ev->has_owner = 1;
		ev->pid = (int32_t)e->pid;
		ev->tid = (int32_t)e->tid;
		memcpy(ev->comm, e->comm, sizeof(ev->comm));
		ev->comm[sizeof(ev->comm) - 1] = '\0';
	}
	ev->netns = e->netns;
}

static int on_sample(void *priv, void *data, size_t size)
{
	struct tulpen_watch_bpf *w = priv;
	struct tulpen_watch_event ev;
	int ret;

	if (size < sizeof(struct tw_event))
		return 0;
	decode(data, &ev);
	w->nevents++;
	ret = w->cb(&ev, w->cb_data);
	if (ret) {
		w->cb_ret = ret;
		return -ECANCELED;
	}
	return 0;
}

static int bpf_open(struct tulpen_ctx *ctx,
		    const struct tulpen_watch_bpf_opts *opts, int counts_only,
		    struct tulpen_watch_bpf **out)
{
	struct tulpen_watch_bpf *w;
	int err;

	*out = NULL;
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		err = -errno;
		tulpen_ctx_seterr(ctx,
				  "eBPF: no kernel BTF "
				  "(/sys/kernel/btf/vmlinux): %s",
				  strerror(-err));
		return err == -EACCES ? -EPERM : -ENOENT;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->logs = malloc((NPROGS + 1) * LOG_SIZE);
	if (!w->logs) {
		err = -ENOMEM;
		goto fail;
	}
	w->wakeup_bytes = opts->wakeup_bytes;
	w->counts_only = counts_only;
	err = load(ctx, w, opts);
	free(w->logs);
	w->logs = NULL;
	if (err)
		goto fail;
	err = attach(ctx, w);
	if (err)
		goto fail;
	if (!(w->missing & TULPEN_WATCH_PART_TIMEWAIT) &&
	    !have_tw_timer_handler()) {
		set_missing(w, TULPEN_WATCH_PART_TIMEWAIT,
			    "the kernel has no "
			    "tw_timer_handler symbol");
		detach_part(w, TULPEN_WATCH_PART_TIMEWAIT);
	}
	/* Events: a hand-over is a move only when its end will be seen. */
	w->skel->bss->tw_followed = !(w->missing & TULPEN_WATCH_PART_TIMEWAIT);
	if (!counts_only) {
		w->rb = ring_buffer__new(bpf_map__fd(w->skel->maps.events),
					 on_sample, w, NULL);
		if (!w->rb) {
			err = -errno;
			tulpen_ctx_seterr(ctx, "eBPF: ring buffer: %s",
					  strerror(-err));
			goto fail;
		}
	}
	w->ncpus = libbpf_num_possible_cpus();
	if (w->ncpus <= 0) {
		err = w->ncpus < 0 ? w->ncpus : -EINVAL;
		tulpen_ctx_seterr(ctx, "eBPF: cannot count CPUs");
		goto fail;
	}
	w->lost_vals = calloc((size_t)w->ncpus, sizeof(*w->lost_vals));
	w->count_vals = calloc((size_t)w->ncpus, sizeof(*w->count_vals));
	if (!w->lost_vals || !w->count_vals) {
		err = -ENOMEM;
		goto fail;
	}
	*out = w;
	return 0;
fail:
	tulpen_watch_bpf_close(w);
	return err;
}

int tulpen_watch_bpf_open(struct tulpen_ctx *ctx,
			  const struct tulpen_watch_bpf_opts *opts,
			  struct tulpen_watch_bpf **out)
{
	struct tulpen_watch_bpf_opts def = { 0 };

	return bpf_open(ctx, opts ? opts : &def, 0, out);
}

int tulpen_watch_counts_open(struct tulpen_ctx *ctx, uint32_t netns,
			     unsigned skip_parts, struct tulpen_watch_bpf **out)
{
	struct tulpen_watch_bpf_opts o = {
		.netns = netns,
		/* owners are not counted: no program on every syscall */
		.skip_parts = skip_parts | TULPEN_WATCH_PART_ACCEPT,
	};

	return bpf_open(ctx, &o, 1, out);
}

/* Runs the kernel skipped because one of ours was running on the CPU. */
static uint64_t missed_runs(struct tulpen_watch_bpf *w)
{
	struct bpf_prog_info info;
	struct bpf_program *prog;
	uint64_t sum = 0;
	__u32 len;
	int pi;

	bpf_object__for_each_program(prog, w->skel->obj)
	{
		pi = prog_index(prog);
		if (pi < 0 || !w->links[pi])
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

int tulpen_watch_counts_read(struct tulpen_watch_bpf *w,
			     struct tulpen_watch_counts *c)
{
	uint32_t zero = 0, from, to;
	const struct tw_counts *v;
	int i, k;

	memset(c, 0, sizeof(*c));
	if (bpf_map_lookup_elem(bpf_map__fd(w->skel->maps.counts), &zero,
				w->count_vals))
		return -errno;
	for (i = 0; i < w->ncpus; i++) {
		v = &w->count_vals[i];
		for (from = 0; from < TULPEN_TCP_MAX_STATES; from++)
			for (to = 0; to < TULPEN_TCP_MAX_STATES; to++)
				c->transitions[from][to] +=
					v->trans[from * TW_NSTATES + to];
		for (k = 0; k < TULPEN_WATCH_DUR_SLOTS; k++)
			c->duration[k] += v->dur[k];
		c->duration_sum_ns += v->dur_sum_ns;
		c->lifetimes_untracked += v->dur_untracked;
	}
	c->missed = missed_runs(w);
	return 0;
}

unsigned tulpen_watch_bpf_missing(const struct tulpen_watch_bpf *w)
{
	return w->missing;
}

const char *tulpen_watch_bpf_missing_why(const struct tulpen_watch_bpf *w,
					 unsigned part)
{
	int i = part_index(part);

	if (i < 0 || !(w->missing & part))
		return NULL;
	return w->why[i];
}

int tulpen_watch_bpf_poll(struct tulpen_watch_bpf *w, int timeout_ms,
			  tulpen_watch_cb cb, void *data)
{
	int err;

	if (!w->rb)
		return -EINVAL; /* counts only */
	w->cb = cb;
	w->cb_data = data;
	w->cb_ret = 0;
	w->nevents = 0;
	err = ring_buffer__poll(w->rb, timeout_ms);
	/*
	 * With a wake-up threshold, events below it do not wake epoll:
	 * collect them after the timeout.
	 */
	if (err >= 0 && w->wakeup_bytes)
		err = ring_buffer__consume(w->rb);
	if (w->cb_ret)
		return w->cb_ret;
	if (err < 0)
		return err;
	return w->nevents;
}

uint64_t tulpen_watch_bpf_lost(struct tulpen_watch_bpf *w)
{
	uint32_t zero = 0;
	uint64_t sum = 0;
	int i;

	if (bpf_map_lookup_elem(bpf_map__fd(w->skel->maps.lost), &zero,
				w->lost_vals))
		return 0;
	for (i = 0; i < w->ncpus; i++)
		sum += w->lost_vals[i];
	return sum;
}

void tulpen_watch_bpf_close(struct tulpen_watch_bpf *w)
{
	size_t i;

	if (!w)
		return;
	ring_buffer__free(w->rb);
	for (i = 0; i < NPROGS; i++)
		bpf_link__destroy(w->links[i]);
	tcpstates__destroy(w->skel);
	free(w->lost_vals);
	free(w->count_vals);
	free(w->logs);
	free(w);
}
