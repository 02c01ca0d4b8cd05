// SPDX-License-Identifier: MIT
/*
 * test_alloc_fail - every allocation of the library fails once, as curl's
 * torture tests do: for each scenario (the /proc/net parser, a netlink
 * replay, the filter parser, a pcap session through the connection table
 * and the summary) the allocations are counted on a run that succeeds, then
 * the run is repeated with allocation N failing, for every N. Each run must
 *
 * - not crash (the sanitizer pass runs this too),
 * - free everything it allocated (counted here, and by LeakSanitizer),
 * - not lose data silently: it returns -ENOMEM, or it gives the same result
 *   as the run without failure, or it said (a note) what it did instead.
 *
 * The seam: the test binary is linked with -Wl,--wrap for malloc, calloc,
 * realloc, strdup and free, which redirects the calls of the library's
 * objects (a static archive) to the wrappers below; libc, libpcap and
 * cmocka keep the real allocator.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/collect.h"
#include "tulpen/ctx.h"
#include "tulpen/filter.h"
#include "tulpen/fmt.h"
#include "tulpen/pcap_session.h"
#include "tulpen/state.h"
#include "collect/proc_net.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
void __wrap_free(void *p);

/*
 * The allocator seam. The pcap scenarios read with a second thread (which
 * allocates nothing for these classic files): the counters are atomic, so
 * an allocation there would still be counted and made to fail.
 */
static unsigned long calls, fail_at; /* fail_at 0: never */
static long live;		     /* allocations not freed */
static int failed;

#define ADD(v, n) __atomic_add_fetch(&(v), (n), __ATOMIC_RELAXED)

static int fail_now(void)
{
	unsigned long at = __atomic_load_n(&fail_at, __ATOMIC_RELAXED);

	if (ADD(calls, 1) == at && at) {
		__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
		return 1;
	}
	return 0;
}

void *__wrap_malloc(size_t n)
{
	void *p = fail_now() ? NULL : __real_malloc(n);

	ADD(live, p != NULL);
	return p;
}

void *__wrap_calloc(size_t k, size_t n)
{
	void *p = fail_now() ? NULL : __real_calloc(k, n);

	ADD(live, p != NULL);
	return p;
}

void *__wrap_realloc(void *old, size_t n)
{
	void *p = fail_now() ? NULL : __real_realloc(old, n);

	if (p && !old)
		ADD(live, 1);
	return p;
}

char *__wrap_strdup(const char *s)
{
	char *p = fail_now() ? NULL : __real_strdup(s);

	ADD(live, p != NULL);
	return p;
}

void __wrap_free(void *p)
{
	ADD(live, -(long)(p != NULL));
	__real_free(p);
}

/* ---- scenarios: 0 or a negative errno; what they found in *out ---- */

struct result {
	char text[8192]; /* what came out, to compare */
	size_t len;
	int notes; /* notes said */
};

static void put(struct result *r, const char *s, size_t n)
{
	if (r->len + n < sizeof(r->text)) {
		memcpy(r->text + r->len, s, n);
		r->len += n;
	}
}

static int keep_sock(const struct tulpen_sock *s, void *data)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%u %u %u %llu\n", s->proto,
			 s->family, s->state, (unsigned long long)s->inode);

	put(data, line, (size_t)n);
	return 0;
}

static void ctx_note(void *data, enum tulpen_note_level level, const char *msg)
{
	((struct result *)data)->notes++;
}

static int proc_net(struct result *r)
{
	struct tulpen_ctx *ctx;
	int ret;

	ret = tulpen_ctx_new(&ctx);
	if (ret)
		return ret;
	tulpen_ctx_set_note(ctx, ctx_note, r);
	ret = tulpen_ctx_set_proc_root(ctx, "fixtures/proc/unix-newline");
	if (!ret)
		ret = tulpen_proc_net_collect(ctx, TULPEN_P_UNIX, AF_UNIX,
					      TULPEN_SF_ALL, keep_sock, r);
	if (!ret)
		ret = tulpen_proc_net_collect(ctx, TULPEN_P_TCP, AF_INET,
					      TULPEN_SF_ALL, keep_sock, r);
	tulpen_ctx_free(ctx);
	return ret;
}

static int nl_replay(struct result *r)
{
	static const struct tulpen_query q = {
		.protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_UDP) |
			  TULPEN_PF(TULPEN_P_UNIX),
		.families = TULPEN_FAM_ALL,
		.states = TULPEN_SF_ALL,
	};
	struct tulpen_ctx *ctx;
	int ret;

	ret = tulpen_ctx_new(&ctx);
	if (ret)
		return ret;
	tulpen_ctx_set_source(ctx, TULPEN_SOURCE_NETLINK);
	ret = tulpen_ctx_nl_replay(ctx, "fixtures/netlink/basic.nlrec");
	if (!ret)
		ret = tulpen_collect(ctx, &q, keep_sock, r);
	tulpen_ctx_free(ctx);
	return ret;
}

static int filter(struct result *r)
{
	static const char *const argv[] = {
		"(", "sport", "=",   ":22",   "or", "dst",  "10.0.0.0/8",
		")", "and",   "not", "dport", ">",  "1024",
	};
	struct tulpen_filter_opts fo = { 0 };
	struct tulpen_filter_error fe;
	struct tulpen_filter *f = NULL;
	int ret;

	ret = tulpen_filter_parse(13, argv, NULL, &fo, &f, &fe);
	if (!ret)
		put(r, "parsed", 6);
	tulpen_filter_free(f);
	return ret;
}

static void pcap_note(void *priv, const char *msg)
{
	((struct result *)priv)->notes++;
}

static int pcap_run(struct result *r, int summary, uint64_t budget)
{
	struct tulpen_pcap_session_opts o = { .kind = TULPEN_PCAP_NDJSON };
	struct tulpen_pcap_session *s = NULL;
	struct tulpen_ctx *ctx;
	struct tulpen_buf b;
	int ret;

	o.summary = summary;
	o.flows.max_memory = budget;
	o.note = pcap_note;
	o.note_priv = r;
	ret = tulpen_ctx_new(&ctx);
	if (ret)
		return ret;
	ret = tulpen_buf_init(&b, 0, NULL, NULL);
	if (!ret)
		ret = tulpen_pcap_session_new(ctx, &o, &b, &s);
	if (!ret)
		ret = tulpen_pcap_session_open(
			s, "fixtures/pcap/client-close.pcap");
	if (!ret)
		ret = tulpen_pcap_session_open(s,
					       "fixtures/pcap/rst-server.pcap");
	if (!ret)
		ret = tulpen_pcap_session_run(s);
	put(r, b.data ? b.data : "", b.len);
	tulpen_pcap_session_free(s);
	tulpen_buf_fini(&b);
	tulpen_ctx_free(ctx);
	return ret;
}

static int pcap_rows(struct result *r)
{
	return pcap_run(r, 0, 0);
}

static int pcap_summary(struct result *r)
{
	return pcap_run(r, 1, 0);
}

/* A budget of one byte: every connection evicts the ones before it. */
static int pcap_evicting(struct result *r)
{
	return pcap_run(r, 0, 1);
}

static const struct scenario {
	const char *name;
	int (*fn)(struct result *r);
} scenarios[] = {
	{ "proc_net", proc_net },
	{ "nl_replay", nl_replay },
	{ "filter", filter },
	{ "pcap rows", pcap_rows },
	{ "pcap summary", pcap_summary },
	{ "pcap evicting", pcap_evicting },
};

static int torture(const struct scenario *sc)
{
	static struct result base, got;
	unsigned long total, n;
	int ret, bad = 0, enomem = 0, same = 0, noted = 0;

	memset(&base, 0, sizeof(base));
	calls = 0;
	fail_at = 0;
	live = 0;
	ret = sc->fn(&base);
	total = calls;
	if (ret || live) {
		printf("not ok - %s: the run without failures: %d, %ld "
		       "allocations not freed\n",
		       sc->name, ret, live);
		return 1;
	}
	for (n = 1; n <= total; n++) {
		memset(&got, 0, sizeof(got));
		calls = 0;
		fail_at = n;
		failed = 0;
		live = 0;
		ret = sc->fn(&got);
		fail_at = 0;
		if (live) {
			printf("# %s: allocation %lu failing: %ld not freed\n",
			       sc->name, n, live);
			bad++;
		}
		if (ret == -ENOMEM) {
			enomem++;
		} else if (ret) {
			printf("# %s: allocation %lu failing: returned %d "
			       "(%s), not -ENOMEM\n",
			       sc->name, n, ret, strerror(-ret));
			bad++;
		} else if (got.len == base.len &&
			   !memcmp(got.text, base.text, base.len)) {
			same++;
		} else if (got.notes > base.notes) {
			noted++; /* it said what it did instead */
		} else {
			printf("# %s: allocation %lu failing: success, but "
			       "a different result and no note (silent "
			       "loss)\n",
			       sc->name, n);
			bad++;
		}
	}
	printf("%s - %s: %lu allocations, each failed once: %d -ENOMEM, %d "
	       "same result, %d said so in a note\n",
	       bad ? "not ok" : "ok", sc->name, total, enomem, same, noted);
	return bad != 0;
}

int main(void)
{
	size_t i, n = sizeof(scenarios) / sizeof(scenarios[0]);
	int bad = 0;

	printf("1..%zu\n", n);
	for (i = 0; i < n; i++)
		bad += torture(&scenarios[i]);
	return bad ? 1 : 0;
}
