// SPDX-License-Identifier: MIT
/*
 * The kernel's bytecode audit over random expressions (needs root: it
 * makes its own network namespace with a few sockets).
 *
 * For each seeded random expression: the compiled program is sent with a
 * TCP dump (both families, one walk) and with UDP dumps, with no fallback;
 * the kernel must accept every one (it answers -EINVAL to a program its
 * inet_diag_bc_audit() rejects). The dumps carry the expression's ports
 * too (tulpen_filter_ports()), as the lister sends them. Then the sockets the
 * kernel selected, after ss's user-space half, must be exactly those
 * tulpen_filter_match() selects from the unfiltered dump: the evaluator's copy
 * of the kernel's rules is checked against the kernel itself.
 *
 * TULPEN_AUDIT_SEED=N replays a run; the seed is printed.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tulpen/collect.h"
#include "tulpen/ctx.h"
#include "tulpen/filter.h"
#include "tulpen/names.h"
#include "tulpen/state.h"
#include "collect/nl_dump.h"

#define NEXPR 400
#define MAXC 256

static uint64_t rnd_state;

static unsigned int rnd(unsigned int n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned int)((rnd_state >> 33) % n);
}

static const char *pick(const char *const *v, size_t n)
{
	return v[rnd((unsigned int)n)];
}

#define PICK(v) pick(v, sizeof(v) / sizeof(v[0]))

static void add(char *buf, size_t size, const char *w)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n, "%s%s", n ? " " : "", w);
}

static void term(char *b, size_t size)
{
	static const char *const ops[] = {
		"=", "!=", "<", ">", "<=", ">=", ""
	};
	static const char *const ports[] = { ":22",    ":80", "1024",
					     ":0",     "22",  ":65535",
					     "0x8000", ":*",  "40000" };
	static const char *const hosts[] = {
		"127.0.0.1",
		"127.0.0.0/8",
		"10.0.0.0/8",
		"0.0.0.0/0",
		"[::1]",
		"::/0",
		"fd00::/16",
		"[::ffff:127.0.0.1]",
		"127.0.0.1:22",
		"[::1]:80",
		"*:22",
		"*",
		"0.0.0.0",
		"[::]",
		"127.0.0.1/31:1024",
		"any",
		"::ffff:0:0/96",
	};
	static const char *const marks[] = { "1", "0x5/0xf", "0", "-1" };
	char w[64];

	switch (rnd(7)) {
	case 0:
	case 1:
		add(b, size, rnd(2) ? "sport" : "dport");
		add(b, size, PICK(ops));
		add(b, size, PICK(ports));
		break;
	case 2:
	case 3:
		add(b, size, rnd(2) ? "src" : "dst");
		add(b, size, PICK(hosts));
		break;
	case 4:
		add(b, size, "autobound");
		break;
	case 5:
		snprintf(w, sizeof(w), "fwmark %s%s", rnd(2) ? "!= " : "",
			 PICK(marks));
		add(b, size, w);
		break;
	default:
		add(b, size, rnd(2) ? "cgroup /" : "cgroup != /");
		break;
	}
}

static void expr(char *b, size_t size, int depth)
{
	static const char *const ops[] = { "and", "or", "&&", "||", "" };
	unsigned int r = rnd(10);

	if (depth > 4 || r < 4) {
		term(b, size);
	} else if (r < 5) {
		add(b, size, rnd(2) ? "not" : "!");
		expr(b, size, depth + 1);
	} else if (r < 6) {
		add(b, size, "(");
		expr(b, size, depth + 1);
		add(b, size, ")");
	} else {
		expr(b, size, depth + 1);
		add(b, size, PICK(ops));
		expr(b, size, depth + 1);
	}
}

struct set {
	uint64_t c[MAXC];
	size_t n;
	const struct tulpen_filter *f;
	int full; /* the whole filter (1), or ss's user half only (0) */
	struct tulpen_sock *keep; /* with f NULL: every record, copied */
};

static int collect_cb(const struct tulpen_sock *s, void *data)
{
	struct set *st = data;
	int ok;

	if (!st->f) {
		if (st->n < MAXC)
			st->keep[st->n++] = *s;
		return 0;
	}
	ok = st->full ? tulpen_filter_match(st->f, s)
		      : tulpen_filter_match_user(st->f, s);
	if (ok && st->n < MAXC)
		st->c[st->n++] = s->cookie;
	return 0;
}

static int cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every inet socket the tests hold, through @pr (NULL: everything). */
static int dump(struct tulpen_ctx *ctx, const struct tulpen_diag_prog *pr,
		struct set *st)
{
	int ret;

	ret = tulpen_inet_diag_dump_tcp_any(ctx, TULPEN_SF_ALL, pr, collect_cb,
					    st);
	if (!ret)
		ret = tulpen_inet_diag_dump(ctx, TULPEN_P_UDP, AF_INET,
					    TULPEN_SF_ALL, pr, collect_cb, st);
	if (!ret)
		ret = tulpen_inet_diag_dump(ctx, TULPEN_P_UDP, AF_INET6,
					    TULPEN_SF_ALL, pr, collect_cb, st);
	if (st->f)
		qsort(st->c, st->n, sizeof(st->c[0]), cmp64);
	return ret;
}

/* What the evaluator selects from the unfiltered records @all. */
static void evaluate(const struct set *all, const struct tulpen_filter *f,
		     struct set *u)
{
	size_t i;

	u->n = 0;
	for (i = 0; i < all->n; i++)
		if (tulpen_filter_match(f, &all->keep[i]))
			u->c[u->n++] = all->keep[i].cookie;
	qsort(u->c, u->n, sizeof(u->c[0]), cmp64);
}

static int sock_at(int fam, int type, const char *addr, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd = socket(fam, type, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &a->sin_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		len = sizeof(*a);
	}
	if (port >= 0 && bind(fd, (struct sockaddr *)&ss, len))
		return -1;
	if (port < 0) {
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)-port);
		if (connect(fd, (struct sockaddr *)&ss, len))
			return -1;
	}
	return fd;
}

static int population(void)
{
	int l4, l6, m = 5;

	if (system("ip link set lo up") != 0)
		return -1;
	l4 = sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", 22);
	l6 = sock_at(AF_INET6, SOCK_STREAM, "::", 80);
	if (l4 < 0 || l6 < 0 || listen(l4, 8) || listen(l6, 8))
		return -1;
	if (sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", -22) < 0 ||
	    sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", -80) < 0 ||
	    sock_at(AF_INET6, SOCK_STREAM, "::1", -80) < 0)
		return -1;
	/*
	 * Not 40000: a port bound explicitly inside the ephemeral range is
	 * the one case the evaluator cannot judge "autobound" by (the record
	 * does not carry SOCK_BINDPORT_LOCK; docs/filters.md says so).
	 */
	if (sock_at(AF_INET, SOCK_DGRAM, "0.0.0.0", 1024) < 0 ||
	    sock_at(AF_INET6, SOCK_DGRAM, "::1", 4000) < 0)
		return -1;
	{
		int fd = sock_at(AF_INET, SOCK_DGRAM, "127.0.0.1", 0);

		if (fd < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof(m)))
			return -1;
	}
	return 0;
}

int main(void)
{
	struct tulpen_filter_opts o = { 0 };
	struct tulpen_cgroups *cg = NULL;
	struct tulpen_ctx *ctx = NULL;
	static struct tulpen_sock keep[MAXC];
	struct set all = { .n = 0, .f = NULL, .keep = keep };
	const char *env = getenv("TULPEN_AUDIT_SEED");
	unsigned long seed =
		env ? strtoul(env, NULL, 10)
		    : (unsigned long)time(NULL) ^ (unsigned long)getpid();
	int i, accepted = 0, selected = 0, fails = 0;

	printf("# seed %lu (TULPEN_AUDIT_SEED=%lu replays this run)\n", seed,
	       seed);
	rnd_state = seed;
	if (geteuid() != 0 || unshare(CLONE_NEWNET)) {
		printf("not ok 1 - needs root for a private network "
		       "namespace\n1..1\n");
		return 1;
	}
	if (population() || tulpen_ctx_new(&ctx) ||
	    tulpen_cgroups_new("/proc/self/mountinfo", &cg)) {
		printf("not ok 1 - could not set up the sockets\n1..1\n");
		return 1;
	}
	o.protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_UDP);
	o.no_resolve = 1;
	o.cgroups = cg;
	/* the sockets do not change: one unfiltered dump for every check */
	if (dump(ctx, NULL, &all) || all.n < 8) {
		printf("not ok 1 - the unfiltered dump (%zu sockets)\n1..1\n",
		       all.n);
		return 1;
	}
	for (i = 0; i < NEXPR; i++) {
		struct tulpen_filter_error e;
		struct tulpen_filter *f = NULL;
		struct set k = { .n = 0 }, u = { .n = 0 };
		struct tulpen_diag_prog pr;
		char text[2048] = "";
		const char *words[1] = { text };
		void *bc = NULL;
		size_t len;
		int ret;

		expr(text, sizeof(text), 0);
		if (tulpen_filter_parse(1, words, NULL, &o, &f, &e)) {
			printf("not ok - %s: %s\n", text, e.msg);
			fails++;
			continue;
		}
		ret = tulpen_filter_compile(f, &bc, &len);
		if (ret) {
			printf("not ok - %s: compile: %s\n", text,
			       strerror(-ret));
			fails++;
			tulpen_filter_free(f);
			continue;
		}
		k.f = u.f = f;
		u.full = 1;
		pr.bc = bc;
		pr.len = len;
		tulpen_filter_ports(f, &pr.sport, &pr.dport);
		ret = dump(ctx, &pr, &k);
		if (ret) {
			printf("not ok - the kernel refuses the program for "
			       "'%s': %s\n",
			       text, strerror(-ret));
			fails++;
		} else {
			accepted++;
		}
		if (!ret)
			evaluate(&all, f, &u);
		if (!ret &&
		    (k.n != u.n || memcmp(k.c, u.c, k.n * sizeof(k.c[0])))) {
			printf("not ok - '%s': the kernel selects %zu sockets, "
			       "the evaluator %zu\n",
			       text, k.n, u.n);
			fails++;
		}
		selected += k.n > 0;
		free(bc);
		tulpen_filter_free(f);
		if (fails > 20)
			break;
	}
	printf("%s 1 - the kernel accepts all %d programs (seed %lu)\n",
	       accepted == NEXPR ? "ok" : "not ok", accepted, seed);
	printf("%s 2 - kernel and evaluator select the same sockets (%d "
	       "expressions select some)\n",
	       fails ? "not ok" : "ok", selected);
	printf("%s 3 - the expressions mean something (%d of %d select "
	       "sockets)\n1..3\n",
	       selected > NEXPR / 4 && selected < NEXPR ? "ok" : "not ok",
	       selected, NEXPR);
	tulpen_cgroups_free(cg);
	tulpen_ctx_free(ctx);
	return fails || accepted != NEXPR ? 1 : 0;
}
