// SPDX-License-Identifier: MIT
/*
 * netns_lib.c - the namespace library driven directly (by test_netns.py,
 * as root).
 *
 * usage: netns_lib seam PATH
 * The context's seam from the calling thread: with the namespace at PATH
 * set on the context, counts the TCP sockets from netlink and from
 * /proc/net (both opened by a helper thread inside the namespace) and
 * prints {"netlink": N, "proc": N, "moved": 0 or 1}, "moved" telling
 * whether this thread's namespace changed.
 *
 * usage: netns_lib vanish INODE...
 * Namespaces that go away between the scan and their turn in the walk.
 * Scans the host's namespaces, checks that each INODE was found, prints
 * "scanned" and waits for a line on stdin (meanwhile the test deletes those
 * namespaces: ip netns del, the holder killed, a name re-created for a new
 * namespace). Then walks every namespace and prints one JSON line:
 * {"rows_gone": rows from the INODEs (must be 0), "failed": namespaces
 * reported, "rows": all rows, "moved": rows handed over while the calling
 * (main) thread was in another namespace than its own (must be 0: the
 * walk's own threads enter namespaces, the caller's never does),
 * "threads_moved": threads in another namespace after the walk (must be
 * 0: the walk's threads are gone)}.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tulpen/netns.h"
#include "tulpen/state.h"

struct count {
	const uint64_t *gone;
	int ngone;
	uint64_t own;
	unsigned long rows, rows_gone, failed, moved;
};

static int row(const struct tulpen_netns *ns, const struct tulpen_sock *s,
	       void *data)
{
	struct count *c = data;
	struct stat st;
	char main_ns[64];
	int i;

	c->rows++;
	snprintf(main_ns, sizeof(main_ns), "/proc/self/task/%d/ns/net",
		 (int)getpid());
	if (stat(main_ns, &st) || (uint64_t)st.st_ino != c->own)
		c->moved++;
	for (i = 0; i < c->ngone; i++)
		if (s->netns_ino == c->gone[i])
			c->rows_gone++;
	return 0;
}

static void failed(const struct tulpen_netns *ns, int err, const char *msg,
		   void *data)
{
	struct count *c = data;

	fprintf(stderr, "netns_lib: %" PRIu64 ": %s\n", ns->inode, msg);
	c->failed++;
}

/* Threads of this process whose namespace is not @own. */
static int threads_moved(uint64_t own)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int moved = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char p[300];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/ns/net", e->d_name);
		if (!stat(p, &st) && (uint64_t)st.st_ino != own)
			moved++;
	}
	closedir(d);
	return moved;
}

static int count_sock(const struct tulpen_sock *s, void *data)
{
	(*(unsigned long *)data)++;
	return 0;
}

static uint64_t self_ns(void)
{
	struct stat st;

	return stat("/proc/thread-self/ns/net", &st) ? 0 : (uint64_t)st.st_ino;
}

static int seam(const char *path)
{
	struct tulpen_query q = { TULPEN_PF(TULPEN_P_TCP),
				  TULPEN_FAM_INET | TULPEN_FAM_INET6,
				  TULPEN_SF_ALL, 0 };
	unsigned long nl = 0, proc = 0;
	uint64_t own = self_ns();
	struct tulpen_ctx *ctx;
	int ret;

	if (tulpen_ctx_new(&ctx))
		return 1;
	ret = tulpen_ctx_set_netns_path(ctx, path);
	if (!ret) {
		tulpen_ctx_set_source(ctx, TULPEN_SOURCE_NETLINK);
		ret = tulpen_collect(ctx, &q, count_sock, &nl);
	}
	if (!ret) {
		tulpen_ctx_set_source(ctx, TULPEN_SOURCE_PROC);
		ret = tulpen_collect(ctx, &q, count_sock, &proc);
	}
	if (ret) {
		fprintf(stderr, "netns_lib: %s: %s\n", path,
			tulpen_ctx_errmsg(ctx));
		tulpen_ctx_free(ctx);
		return 1;
	}
	printf("{\"netlink\":%lu,\"proc\":%lu,\"moved\":%d}\n", nl, proc,
	       self_ns() != own);
	tulpen_ctx_free(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	struct tulpen_query q = { TULPEN_PF(TULPEN_P_TCP) |
					  TULPEN_PF(TULPEN_P_UDP),
				  TULPEN_FAM_ALL, TULPEN_SF_ALL, 0 };
	struct tulpen_netns_walk_opts wo = { .q = &q, .threads = 4 };
	struct tulpen_netns_scan_opts so = { .containers = 1 };
	uint64_t gone[64], own;
	struct count c = { .gone = gone };
	struct tulpen_netns_set *set;
	struct tulpen_ctx *ctx;
	struct stat st;
	char line[16];
	int i, ret;

	if (argc == 3 && !strcmp(argv[1], "seam"))
		return seam(argv[2]);
	if (argc < 3 || argc > 66 || strcmp(argv[1], "vanish")) {
		fprintf(stderr,
			"usage: netns_lib seam PATH | vanish INODE...\n");
		return 2;
	}
	argv++;
	argc--;
	for (i = 1; i < argc; i++) {
		char *end;

		errno = 0;
		gone[i - 1] = strtoull(argv[i], &end, 10);
		if (errno || *end || !gone[i - 1]) {
			fprintf(stderr, "netns_lib: bad inode '%s'\n", argv[i]);
			return 2;
		}
	}
	c.ngone = argc - 1;
	if (stat("/proc/thread-self/ns/net", &st))
		return 1;
	own = c.own = (uint64_t)st.st_ino;
	if (tulpen_ctx_new(&ctx) || tulpen_netns_scan(ctx, &so, &set)) {
		fprintf(stderr, "netns_lib: scan: %s\n",
			tulpen_ctx_errmsg(ctx));
		return 1;
	}
	for (i = 0; i < c.ngone; i++) {
		if (!tulpen_netns_find(set, gone[i])) {
			fprintf(stderr,
				"netns_lib: %" PRIu64
				" not found by the scan\n",
				gone[i]);
			return 1;
		}
	}
	printf("scanned\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	ret = tulpen_netns_walk(ctx, set, &wo, row, failed, &c, NULL);
	printf("{\"ret\":%d,\"rows_gone\":%lu,\"failed\":%lu,\"rows\":%lu,"
	       "\"moved\":%lu,\"threads_moved\":%d}\n",
	       ret, c.rows_gone, c.failed, c.rows, c.moved, threads_moved(own));
	tulpen_netns_set_free(set);
	tulpen_ctx_free(ctx);
	return ret ? 1 : 0;
}
