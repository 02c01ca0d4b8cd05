// SPDX-License-Identifier: MIT
/*
 * Unit tests: the inode -> process table, over a fake proc tree (real
 * directories and symbolic links, as /proc/PID/fd has).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include "tulpen/owners.h"
#include "tulpen/names.h"

static char root[64];

/* mkdir <root>/<pid><sub> */
static void mk(int pid, const char *sub)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%d%s", root, pid, sub);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void put(int pid, const char *file, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%d/%s", root, pid, file);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void put_bytes(int pid, const char *file, const char *bytes, size_t n)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%d/%s", root, pid, file);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	fclose(f);
}

static void link_fd(int pid, int fd, const char *target)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%d/fd/%d", root, pid, fd);
	assert_int_equal(symlink(target, p), 0);
}

static int setup(void **unused)
{
	int i;

	snprintf(root, sizeof(root), "/tmp/tulpen-ownersXXXXXX");
	assert_non_null(mkdtemp(root));
	mk(100, "");
	mk(100, "/fd");
	put(100, "comm", "nginx\n");
	{
		static const char argv[] = "/usr/sbin/nginx-bin\0-g\0daemon";

		put_bytes(100, "cmdline", argv, sizeof(argv));
	}
	link_fd(100, 3, "socket:[5000]");
	link_fd(100, 4, "pipe:[77]");
	link_fd(100, 7, "socket:[5001]");
	mk(101, "");
	mk(101, "/fd");
	put(101, "comm", "nginx-worker\n");
	link_fd(101, 3, "socket:[5000]"); /* shared with 100 */
	link_fd(101, 9, "socket:[bad]");
	link_fd(101, 10, "/dev/null");
	mk(102, ""); /* a process without an fd directory */
	mk(104, ""); /* names longer than the kernel's, a NUL in comm */
	mk(104, "/fd");
	{
		char big[700];

		memset(big, 'c', sizeof(big));
		memcpy(big, "long\0rest", 9);
		put_bytes(104, "comm", big, sizeof(big));
		memset(big, 'p', sizeof(big));
		big[0] = '/';
		put_bytes(104, "cmdline", big, sizeof(big));
	}
	link_fd(104, 5, "socket:[5002]");
	mk(103, ""); /* many sockets: the table grows */
	mk(103, "/fd");
	put(103, "comm", "busy");
	for (i = 0; i < 3000; i++) {
		char t[32];

		snprintf(t, sizeof(t), "socket:[%d]", 100000 + i);
		link_fd(103, 10 + i, t);
	}
	mk(0, "self"); /* "0self": not a pid */
	/* 100's threads (-T): 100 itself, and 105 sharing its fds */
	mk(100, "/task");
	mk(100, "/task/100");
	mk(100, "/task/105");
	mk(100, "/task/105/fd");
	put(100, "task/105/comm", "nginx-io\n");
	{
		char p[256];

		snprintf(p, sizeof(p), "%s/100/task/105/fd/3", root);
		assert_int_equal(symlink("socket:[5000]", p), 0);
	}
	return 0;
}

/* -T: one holder per thread, the main one first, each thread's name. */
static void threads_hold_too(void **unused)
{
	struct tulpen_owners *o;
	const struct tulpen_owner *w;
	struct tulpen_ctx *ctx;
	size_t n;

	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	assert_int_equal(tulpen_ctx_set_proc_root(ctx, root), 0);
	assert_int_equal(tulpen_owners_new_threads(ctx, &o), 0);
	w = tulpen_owners_lookup(o, 5000, &n);
	assert_int_equal(n, 3);
	assert_int_equal(w[0].pid, 100);
	assert_int_equal(tulpen_owner_tid(&w[0]), 100);
	assert_string_equal(w[0].comm, "nginx");
	assert_int_equal(w[1].pid, 100);
	assert_int_equal(tulpen_owner_tid(&w[1]), 105);
	assert_string_equal(w[1].comm, "nginx-io");
	/* the thread's own cmdline (none in this tree) */
	assert_string_equal(tulpen_owner_prog(&w[1]), "");
	assert_int_equal(w[2].pid, 101);
	assert_int_equal(tulpen_owner_tid(&w[2]), 101);
	tulpen_owners_free(o);
	/* without -T: processes only, no tid */
	assert_int_equal(tulpen_owners_new(ctx, &o), 0);
	w = tulpen_owners_lookup(o, 5000, &n);
	assert_int_equal(n, 2);
	assert_int_equal(tulpen_owner_tid(&w[0]), 0);
	tulpen_owners_free(o);
	tulpen_ctx_free(ctx);
}

static int teardown(void **unused)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void finds_all_holders(void **unused)
{
	struct tulpen_ctx *ctx;
	struct tulpen_owners *o;
	struct tulpen_owners_stats st;
	const struct tulpen_owner *w;
	size_t n, i;
	int seen100 = 0, seen101 = 0;

	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	assert_int_equal(tulpen_ctx_set_proc_root(ctx, root), 0);
	assert_int_equal(tulpen_owners_new(ctx, &o), 0);

	w = tulpen_owners_lookup(o, 5000, &n);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(w[i].fd, 3);
		assert_int_equal(tulpen_owner_tid(&w[i]), 0);
		if (w[i].pid == 100) {
			assert_string_equal(w[i].comm, "nginx");
			/* netstat's name: argv[0]'s base name */
			assert_string_equal(tulpen_owner_prog(&w[i]),
					    "nginx-bin");
			seen100 = 1;
		}
		if (w[i].pid == 101) {
			assert_string_equal(w[i].comm, "nginx-worker");
			/* no cmdline (a kernel thread's is empty) */
			assert_string_equal(tulpen_owner_prog(&w[i]), "");
			seen101 = 1;
		}
	}
	assert_true(seen100 && seen101);
	w = tulpen_owners_lookup(o, 5001, &n);
	assert_int_equal(n, 1);
	assert_int_equal(w[0].pid, 100);
	assert_int_equal(w[0].fd, 7);
	w = tulpen_owners_lookup(o, 5002, &n);
	assert_int_equal(n, 1);
	assert_string_equal(w[0].comm, "long"); /* up to the NUL */
	assert_int_equal(strlen(tulpen_owner_prog(&w[0])), 510);
	assert_int_equal(tulpen_owner_tid(&w[0]), 0);
	assert_null(tulpen_owners_lookup(o, 77, &n)); /* a pipe */
	assert_int_equal(n, 0);
	assert_null(tulpen_owners_lookup(o, 0, &n));
	for (i = 0; i < 3000; i++) {
		w = tulpen_owners_lookup(o, 100000 + i, &n);
		assert_int_equal(n, 1);
		assert_int_equal(w[0].pid, 103);
		assert_int_equal(w[0].fd, (int)(10 + i));
		assert_string_equal(w[0].comm, "busy");
	}
	tulpen_owners_stats(o, &st);
	assert_int_equal(st.socket_fds, 3004);
	assert_int_equal(st.processes, 4);
	tulpen_owners_free(o);
	tulpen_ctx_free(ctx);
}

static void count_note(void *data, enum tulpen_note_level level,
		       const char *msg)
{
	int *n = data;

	assert_int_equal(level, TULPEN_NOTE_WARN);
	assert_non_null(strstr(msg, "owners not read for"));
	assert_non_null(strstr(msg, "file descriptors"));
	(*n)++;
}

/* The processes in the fixture: its numeric entries. */
static size_t count_pids(void)
{
	DIR *d = opendir(root);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			n++;
	closedir(d);
	return n;
}

/*
 * Out of file descriptors (EMFILE) is not "the process is gone": the
 * processes not read are counted and said once.
 */
static void fd_limit_is_reported(void **unused)
{
	struct tulpen_ctx *ctx;
	struct tulpen_owners *o;
	struct tulpen_owners_stats st;
	struct rlimit old, low;
	int fd, notes = 0, ret;

	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	assert_int_equal(tulpen_ctx_set_proc_root(ctx, root), 0);
	tulpen_ctx_set_note(ctx, count_note, &notes);
	/* room for the proc root's descriptor, none for a process's */
	fd = dup(0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)fd + 1;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	ret = tulpen_owners_new(ctx, &o);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(ret, 0);
	tulpen_owners_stats(o, &st);
	assert_int_equal(st.processes, 0);
	assert_int_equal(st.unreadable, count_pids());
	assert_int_equal(notes, 1);
	tulpen_owners_free(o);
	tulpen_ctx_free(ctx);
}

/*
 * Enough processes for several scanning threads (where the machine has
 * the CPUs): each thread's finds are merged into one order, the holders of
 * a socket that every process shares sorted by pid.
 */
static void many_processes_merge(void **unused)
{
	struct tulpen_ctx *ctx;
	struct tulpen_owners *o;
	struct tulpen_owners_stats st;
	const struct tulpen_owner *w;
	char dir[128], p[256], t[64];
	size_t n, i;
	int pid;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/many", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	for (pid = 2000; pid < 2300; pid++) {
		snprintf(p, sizeof(p), "%s/%d", dir, pid);
		assert_int_equal(mkdir(p, 0755), 0);
		snprintf(p, sizeof(p), "%s/%d/fd", dir, pid);
		assert_int_equal(mkdir(p, 0755), 0);
		snprintf(p, sizeof(p), "%s/%d/comm", dir, pid);
		f = fopen(p, "w");
		assert_non_null(f);
		fprintf(f, "p%d\n", pid);
		fclose(f);
		/* the shared one on a high fd, so that fd order is not pid's */
		snprintf(p, sizeof(p), "%s/%d/fd/%d", dir, pid, 2400 - pid);
		assert_int_equal(symlink("socket:[7000]", p), 0);
		snprintf(p, sizeof(p), "%s/%d/fd/3", dir, pid);
		snprintf(t, sizeof(t), "socket:[%d]", 10000 - pid);
		assert_int_equal(symlink(t, p), 0);
	}
	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	assert_int_equal(tulpen_ctx_set_proc_root(ctx, dir), 0);
	assert_int_equal(tulpen_owners_new(ctx, &o), 0);
	w = tulpen_owners_lookup(o, 7000, &n);
	assert_int_equal(n, 300);
	for (i = 0; i < n; i++) {
		assert_int_equal(w[i].pid, 2000 + (int)i);
		assert_int_equal(w[i].fd, 400 - (int)i);
		snprintf(t, sizeof(t), "p%d", w[i].pid);
		assert_string_equal(w[i].comm, t);
		assert_string_equal(tulpen_owner_prog(&w[i]), "");
	}
	for (pid = 2000; pid < 2300; pid++) {
		w = tulpen_owners_lookup(o, (uint64_t)(10000 - pid), &n);
		assert_int_equal(n, 1);
		assert_int_equal(w[0].pid, pid);
		assert_int_equal(w[0].fd, 3);
	}
	tulpen_owners_stats(o, &st);
	assert_int_equal(st.processes, 300);
	assert_int_equal(st.socket_fds, 600);
	tulpen_owners_free(o);
	tulpen_ctx_free(ctx);
}

static void missing_root_is_an_error(void **unused)
{
	struct tulpen_ctx *ctx;
	struct tulpen_owners *o;

	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	assert_int_equal(tulpen_ctx_set_proc_root(ctx, "/nonexistent-x"), 0);
	assert_int_equal(tulpen_owners_new(ctx, &o), -ENOENT);
	assert_non_null(strstr(tulpen_ctx_errmsg(ctx), "/nonexistent-x"));
	tulpen_ctx_free(ctx);
}

/*
 * cgroup ids to paths over a fake cgroup2 mount: a mountinfo file naming a
 * directory tree under the test root; an id is a directory's inode.
 */
static uint64_t ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static void cgroup_paths(void **unused)
{
	char mi[160], cg[128], p[256];
	struct tulpen_cgroups *c;
	uint64_t a, ab, many[200];
	FILE *f;
	int i;

	snprintf(cg, sizeof(cg), "%s/cg2", root);
	assert_int_equal(mkdir(cg, 0755), 0);
	snprintf(p, sizeof(p), "%s/a", cg);
	assert_int_equal(mkdir(p, 0755), 0);
	a = ino_of(p);
	snprintf(p, sizeof(p), "%s/a/b.slice", cg);
	assert_int_equal(mkdir(p, 0755), 0);
	ab = ino_of(p);
	for (i = 0; i < 200; i++) {
		snprintf(p, sizeof(p), "%s/a/b.slice/s%d", cg, i);
		assert_int_equal(mkdir(p, 0755), 0);
		many[i] = ino_of(p);
	}
	snprintf(mi, sizeof(mi), "%s/mountinfo", root);
	f = fopen(mi, "w");
	assert_non_null(f);
	fprintf(f,
		"22 1 0:5 / /proc rw,nosuid - proc proc rw\n"
		"35 24 0:30 / %s rw,nosuid shared:9 - cgroup2 cgroup2 rw\n",
		cg);
	fclose(f);
	assert_int_equal(tulpen_cgroups_new(mi, &c), 0);
	assert_string_equal(tulpen_cgroups_path(c, 1), "/");
	assert_string_equal(tulpen_cgroups_path(c, a), "/a");
	assert_string_equal(tulpen_cgroups_path(c, ab), "/a/b.slice");
	for (i = 0; i < 200; i++) {
		snprintf(p, sizeof(p), "/a/b.slice/s%d", i);
		assert_string_equal(tulpen_cgroups_path(c, many[i]), p);
	}
	assert_null(tulpen_cgroups_path(c, ino_of(root))); /* not below */
	tulpen_cgroups_free(c);
	/* no cgroup2 line: only the root is known */
	f = fopen(mi, "w");
	assert_non_null(f);
	fputs("22 1 0:5 / /proc rw,nosuid - proc proc rw\n", f);
	fclose(f);
	assert_int_equal(tulpen_cgroups_new(mi, &c), 0);
	assert_string_equal(tulpen_cgroups_path(c, 1), "/");
	assert_null(tulpen_cgroups_path(c, a));
	tulpen_cgroups_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_all_holders),
		cmocka_unit_test(threads_hold_too),
		cmocka_unit_test(fd_limit_is_reported),
		cmocka_unit_test(many_processes_merge),
		cmocka_unit_test(missing_root_is_an_error),
		cmocka_unit_test(cgroup_paths),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
