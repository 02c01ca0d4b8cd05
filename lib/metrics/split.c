// SPDX-License-Identifier: MIT
/*
 * split.c - the TCP walk of one namespace in two halves at once.
 *
 * Most of a scrape is the kernel filling a sock_diag record per socket,
 * on the thread that receives the dump. Two dumps, each asking (in
 * bytecode) for the sockets on one side of a port, fill on two CPUs: the
 * walk of the kernel's tables is done twice, but skipping a socket of the
 * other half costs a fraction of filling its record. The cut is the local
 * or the peer port that halves the last walk's TCP sockets most evenly
 * (a client's local ports, or a server's peer ports, spread; a server's
 * own few local ports do not). Both halves are complementary conditions
 * on a port the socket keeps as long as the kernel's tables hold it, so
 * every socket is in exactly one half: the counts are those of one walk.
 * The other protocols follow the caller's half on its own thread.
 *
 * Two halves cost more CPU than one walk (the second walk of the tables),
 * so they pay only when the two threads really run at once: never with
 * one CPU to run on, and after a split whose halves' CPU time was not
 * well above its wall time (the other CPU was busy with something else)
 * the next BACKOFF collections walk once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tulpen/collect.h"
#include "tulpen/filter.h"
#include "core/cpus.h"
#include "core/ctx_internal.h"
#include "metrics/metrics_internal.h"

/* TCP sockets below which one walk costs less than a thread. */
#define SPLIT_MIN 8192
/* Halves' CPU time over wall time below which they did not overlap. */
#define OVERLAP_MIN 1.3
#define BACKOFF 8

/* The calling thread's CPU time (user and system) in seconds. */
static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether this thread may run on two CPUs or more (unknown: it may). */
static int two_cpus(void)
{
	int n = tulpen_cpus_usable();

	return n < 0 || n >= 2;
}

static int can_split(const struct tulpen_ctx *ctx, const struct tulpen_query *q)
{
	return ctx->source != TULPEN_SOURCE_PROC && !ctx->nl_record &&
	       (!ctx->nl_ops || ctx->nl_is_live) && !q->filter &&
	       (q->protos & TULPEN_PF(TULPEN_P_TCP)) &&
	       (q->families & TULPEN_FAM_INET) &&
	       (q->families & TULPEN_FAM_INET6);
}

int tm_split_init(struct tm_split *sp, struct tulpen_ctx *ctx)
{
	int ret, fd = tulpen_ctx_netns_fd(ctx);

	memset(sp, 0, sizeof(*sp));
	ret = tm_acc_init(&sp->acc);
	if (!ret)
		ret = tm_bg_init(&sp->bg, tulpen_ctx_proc_root(ctx));
	if (!ret && fd >= 0)
		ret = tulpen_ctx_set_netns_fd(sp->bg.ctx, fd);
	if (ret) {
		tm_split_fini(sp);
		return ret;
	}
	tulpen_ctx_set_source(sp->bg.ctx, tulpen_ctx_source(ctx));
	sp->bg.ctx->nl_inline = 1; /* the two halves are the parallelism */
	sp->cpus_ok = two_cpus();
	return 0;
}

void tm_split_fini(struct tm_split *sp)
{
	tm_bg_fini(&sp->bg);
	tm_acc_fini(&sp->acc);
}

/* The cut of histogram @h (@total sockets): how far from even it is. */
static uint64_t best_cut(const uint32_t *h, uint64_t total, uint32_t *cut)
{
	uint64_t below = 0, best = total, off;
	uint32_t p;

	*cut = 0;
	for (p = 1; p < TM_PORTS; p++) {
		below += h[p - 1];
		off = 2 * below > total ? 2 * below - total : total - 2 * below;
		if (off < best) {
			best = off;
			*cut = p;
		}
	}
	return best;
}

int tm_split_cut(const struct tm_acc *a, int *peer, uint32_t *cut)
{
	uint32_t cs, cd;
	uint64_t bs, bd;

	if (a->tcp < SPLIT_MIN)
		return 0;
	bs = best_cut(a->hist, a->tcp, &cs);
	bd = best_cut(a->hist + TM_PORTS, a->tcp, &cd);
	*peer = bd < bs;
	*cut = *peer ? cd : cs;
	/* one half would hold over 90 %: not worth a second walk */
	return (*peer ? bd : bs) * 10 <= a->tcp * 8 && *cut;
}

/*
 * The two halves' filters, "sport < :CUT" and "sport >= :CUT" (or dport)
 * from the last walk's histogram in @a; 0 without a cut worth it.
 */
static int plan(const struct tm_acc *a, struct tulpen_filter **half)
{
	struct tulpen_filter_opts o = { .protos = TULPEN_PF(TULPEN_P_TCP),
					.no_resolve = 1 };
	struct tulpen_filter_error err;
	const char *lo[3], *hi[3];
	uint32_t cut;
	char port[16];
	int peer, ret;

	if (!tm_split_cut(a, &peer, &cut))
		return 0;
	snprintf(port, sizeof(port), ":%u", cut);
	lo[0] = hi[0] = peer ? "dport" : "sport";
	lo[1] = "<";
	hi[1] = ">=";
	lo[2] = hi[2] = port;
	ret = tulpen_filter_parse(3, lo, NULL, &o, &half[0], &err);
	if (ret)
		return ret;
	ret = tulpen_filter_parse(3, hi, NULL, &o, &half[1], &err);
	if (ret) {
		tulpen_filter_free(half[0]);
		return ret;
	}
	return 1;
}

static int add_cb(const struct tulpen_sock *s, void *data)
{
	return tm_acc_add(data, s, 0);
}

static void half_job(void *arg)
{
	struct tm_split *sp = arg;
	double c0 = thread_cpu_s();

	tm_acc_reset(&sp->acc);
	sp->ret = tulpen_collect(sp->bg.ctx, sp->q, add_cb, &sp->acc);
	sp->job_cpu = thread_cpu_s() - c0;
}

static int run_halves(struct tm_split *sp, struct tulpen_ctx *ctx,
		      const struct tulpen_query *q, struct tm_acc *a,
		      struct tulpen_filter **half)
{
	struct tulpen_query tcp = *q, second, rest = *q;
	int inl = ctx->nl_inline, ret;
	double t0, c0, cpu;

	tcp.protos = TULPEN_PF(TULPEN_P_TCP);
	tcp.families = TULPEN_FAM_INET | TULPEN_FAM_INET6;
	second = tcp;
	second.filter = half[0];
	tcp.filter = half[1];
	rest.protos &= ~TULPEN_PF(TULPEN_P_TCP);
	sp->q = &second;
	t0 = tm_mono_s();
	c0 = thread_cpu_s();
	if (tm_bg_start(&sp->bg, half_job, sp))
		return tulpen_collect(ctx, q, add_cb, a); /* no thread: one */
	ctx->nl_inline = 1;
	ret = tulpen_collect(ctx, &tcp, add_cb, a);
	ctx->nl_inline = inl;
	cpu = thread_cpu_s() - c0;
	if (!ret && rest.protos)
		ret = tulpen_collect(ctx, &rest, add_cb, a);
	tm_bg_join(&sp->bg);
	if (cpu + sp->job_cpu < OVERLAP_MIN * (tm_mono_s() - t0))
		sp->backoff = BACKOFF; /* the halves took turns: walk once */
	if (!ret && sp->ret) {
		ret = sp->ret;
		tulpen_ctx_seterr(ctx, "%s", tulpen_ctx_errmsg(sp->bg.ctx));
	}
	if (!ret)
		ret = tm_acc_merge(a, &sp->acc);
	if (!ret)
		sp->splits++;
	return ret;
}

int tm_split_collect(struct tm_split *sp, struct tulpen_ctx *ctx,
		     const struct tulpen_query *q, struct tm_acc *a)
{
	struct tulpen_filter *half[2] = { NULL, NULL };
	int ret = 0;

	if (sp->backoff)
		sp->backoff--;
	else if (sp->bg.inited && sp->cpus_ok && can_split(ctx, q))
		ret = plan(a, half);
	tm_acc_reset(a);
	if (ret == 1)
		ret = run_halves(sp, ctx, q, a, half);
	else
		ret = tulpen_collect(ctx, q, add_cb, a);
	tulpen_filter_free(half[0]);
	tulpen_filter_free(half[1]);
	return ret;
}
