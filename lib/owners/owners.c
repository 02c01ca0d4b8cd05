// SPDX-License-Identifier: MIT
/*
 * owners.c - map socket inodes to the processes holding them (-p).
 *
 * The scan walks <proc>/<pid>/fd with openat/getdents64/readlinkat relative
 * to each directory (no path building per fd). Entries are then grouped by
 * inode through the library's hash table (core/hash.h; a counting sort
 * through the table), so that a lookup is one probe sequence and the
 * holders of one socket sit next to each other. Memory: 16 bytes per socket
 * fd for the holder, plus about 27 bytes per socket fd for the table (20
 * bytes a slot, sized for the fd count at a load of 3/4); while the table
 * is built, the 24 bytes per fd of the scan come on top.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <unistd.h>

#include "tulpen/owners.h"
#include "core/ctx_internal.h"
#include "core/hash.h"

/* The table's value for one inode: where its holders are in owners[]. */
struct group {
	uint32_t start;
	uint32_t count;
};

struct tulpen_owners {
	struct tulpen_owner *owners; /* grouped by inode */
	size_t nowners;
	struct tulpen_hash groups; /* inode -> struct group */
	char *comms;		   /* command names, NUL-separated */
	struct tulpen_owners_stats st;
};

/* What one scanning thread finds, in the order found. */
struct worker {
	uint64_t *inodes;
	struct tulpen_owner *owners; /* .comm holds an offset into comms */
	size_t n, cap;
	char *comms;
	size_t comms_len, comms_cap;
	size_t processes, denied, unreadable;
	char *dbuf;
	int ret;
	struct job *job;
	pthread_t tid;
};

/* The processes to scan, shared by the workers. */
struct job {
	int procfd;
	int threads; /* scan every thread's fd table */
	int *pids;
	size_t npids;
	size_t next;	      /* taken with atomic adds */
	const uint64_t *want; /* keep only these inodes (sorted), or NULL */
	size_t nwant;
};

#define DBUF_SIZE (64 * 1024)
#define PID_CHUNK 8

static int push(struct worker *w, uint64_t inode, int pid, int tid, int fd,
		size_t comm_off)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap + w->cap / 2 : 4096;
		uint64_t *in = realloc(w->inodes, cap * sizeof(*in));
		struct tulpen_owner *ow;

		if (!in)
			return -ENOMEM;
		w->inodes = in;
		ow = realloc(w->owners, cap * sizeof(*ow));
		if (!ow)
			return -ENOMEM;
		w->owners = ow;
		w->cap = cap;
	}
	w->inodes[w->n] = inode;
	w->owners[w->n].pid = pid;
	w->owners[w->n].tid = tid;
	w->owners[w->n].fd = fd;
	w->owners[w->n].comm = (const char *)(uintptr_t)comm_off;
	w->n++;
	return 0;
}

/* Parse a decimal name ("1234") as a non-negative int; -1 if it is not. */
static int dec_name(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > INT32_MAX)
			return -1;
	}
	return (int)v;
}

/* "socket:[12345]" -> 12345; 0 when the link is not a socket. */
static uint64_t socket_inode(const char *l, ssize_t n)
{
	uint64_t v = 0;
	ssize_t i;

	if (n < 10 || memcmp(l, "socket:[", 8) || l[n - 1] != ']')
		return 0;
	for (i = 8; i < n - 1; i++) {
		if (l[i] < '0' || l[i] > '9' || v > UINT64_MAX / 10 - 10)
			return 0;
		v = v * 10 + (uint64_t)(l[i] - '0');
	}
	return v;
}

/* The base name of argv[0] of the process at @piddir into @out. */
static size_t read_prog(int piddir, char *out, size_t size)
{
	char cmd[512];
	const char *base;
	ssize_t n = -1;
	size_t len;
	int fd;

	fd = openat(piddir, "cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	cmd[n] = '\0';
	base = strrchr(cmd, '/');
	base = base ? base + 1 : cmd;
	len = strlen(base);
	if (len >= size)
		len = size - 1;
	memcpy(out, base, len);
	out[len] = '\0';
	return len;
}

/*
 * Add the command name of the process at @piddir to the worker's pool,
 * and after its NUL the program name (read_prog()).
 */
static int add_comm(struct worker *w, int piddir, size_t *off)
{
	char name[64 + 512];
	ssize_t n = -1;
	int fd;

	fd = openat(piddir, "comm", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, name, sizeof(name) - 1);
		close(fd);
	}
	if (n <= 0) {
		name[0] = '?';
		n = 1;
	}
	if (name[n - 1] == '\n')
		n--;
	name[n] = '\0';
	n += 1 + (ssize_t)read_prog(piddir, name + n + 1, 512);
	if (w->comms_len + (size_t)n + 1 > w->comms_cap) {
		size_t cap = w->comms_cap ? w->comms_cap * 2 : 16384;
		char *p;

		while (cap < w->comms_len + (size_t)n + 1)
			cap *= 2;
		p = realloc(w->comms, cap);
		if (!p)
			return -ENOMEM;
		w->comms = p;
		w->comms_cap = cap;
	}
	memcpy(w->comms + w->comms_len, name, (size_t)n + 1);
	*off = w->comms_len;
	w->comms_len += (size_t)n + 1;
	return 0;
}

/* Whether @inode is one the caller asked for (all without a list). */
static int wanted(const struct job *j, uint64_t inode)
{
	size_t lo = 0, hi = j->nwant, mid;

	if (!j->want)
		return 1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (j->want[mid] == inode)
			return 1;
		if (j->want[mid] < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

struct linux_dirent64_ {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Not "the process is gone": the scan itself could not open the files. */
static int out_of_fds(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM;
}

/*
 * The socket fds of the fd table under @dir (a process's, or a thread's
 * with @tid), named after the comm file there. Returns 0, -EACCES (not
 * ours to read), -EMFILE (out of file descriptors: not read), -ENOENT (no
 * fd table: gone, or a zombie) or -ENOMEM.
 */
static int scan_fds(struct worker *w, int dir, int pid, int tid)
{
	size_t comm_off = 0;
	int fddir, have_comm = 0, ret = 0;

	fddir = openat(dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fddir < 0) {
		if (errno == EACCES || errno == EPERM)
			return -EACCES;
		return out_of_fds(errno) ? -EMFILE : -ENOENT;
	}
	for (;;) {
		long n = syscall(SYS_getdents64, fddir, w->dbuf, DBUF_SIZE);
		long pos;

		if (n <= 0)
			break; /* the end, or the process went away */
		for (pos = 0; pos < n;) {
			struct linux_dirent64_ *d =
				(struct linux_dirent64_ *)(w->dbuf + pos);
			char link[64];
			ssize_t ln;
			uint64_t inode;
			int fd;

			pos += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			fd = dec_name(d->d_name);
			if (fd < 0)
				continue;
			ln = readlinkat(fddir, d->d_name, link, sizeof(link));
			if (ln <= 0)
				continue;
			inode = socket_inode(link, ln);
			if (!inode || !wanted(w->job, inode))
				continue;
			if (!have_comm) {
				ret = add_comm(w, dir, &comm_off);
				if (ret)
					goto out;
				have_comm = 1;
			}
			ret = push(w, inode, pid, tid, fd, comm_off);
			if (ret)
				goto out;
		}
	}
out:
	close(fddir);
	return ret;
}

/* -T: each thread of process @pid (the main one first, as ss lists). */
static int scan_threads(struct worker *w, int piddir, int pid)
{
	int taskdir, ret = 0;

	ret = scan_fds(w, piddir, pid, pid);
	if (ret)
		return ret;
	taskdir = openat(piddir, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (taskdir < 0)
		return 0;
	for (;;) {
		char buf[4096];
		long n = syscall(SYS_getdents64, taskdir, buf, sizeof(buf));
		long pos;

		if (n <= 0)
			break;
		for (pos = 0; pos < n && !ret;) {
			struct linux_dirent64_ *d =
				(struct linux_dirent64_ *)(buf + pos);
			int tid = dec_name(d->d_name), tdir;

			pos += d->d_reclen;
			if (tid <= 0 || tid == pid)
				continue;
			tdir = openat(taskdir, d->d_name,
				      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (tdir < 0)
				continue; /* gone */
			ret = scan_fds(w, tdir, pid, tid);
			close(tdir);
			if (ret == -EACCES || ret == -ENOENT || ret == -EMFILE)
				ret = 0; /* that thread only */
		}
	}
	close(taskdir);
	return ret;
}

static int scan_pid(struct worker *w, int procfd, int pid)
{
	char pidname[16];
	int piddir, ret;

	snprintf(pidname, sizeof(pidname), "%d", pid);
	piddir = openat(procfd, pidname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (piddir < 0) {
		if (out_of_fds(errno))
			w->unreadable++;
		return 0; /* gone */
	}
	if (w->job->threads)
		ret = scan_threads(w, piddir, pid);
	else
		ret = scan_fds(w, piddir, pid, 0);
	close(piddir);
	if (ret == -EACCES) {
		w->denied++;
		return 0;
	}
	if (ret == -EMFILE) {
		w->unreadable++;
		return 0;
	}
	if (ret == -ENOENT)
		return 0;
	if (!ret)
		w->processes++;
	return ret;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct job *j = w->job;

	for (;;) {
		size_t i = __atomic_fetch_add(&j->next, PID_CHUNK,
					      __ATOMIC_RELAXED);
		size_t end = i + PID_CHUNK;

		if (i >= j->npids)
			break;
		if (end > j->npids)
			end = j->npids;
		for (; i < end && !w->ret; i++)
			w->ret = scan_pid(w, j->procfd, j->pids[i]);
		if (w->ret)
			break;
	}
	return NULL;
}

/* Every numeric entry of the proc root. */
static int list_pids(struct tulpen_ctx *ctx, struct job *j)
{
	char buf[16384];
	size_t cap = 0;

	for (;;) {
		long n = syscall(SYS_getdents64, j->procfd, buf, sizeof(buf));
		long pos;

		if (n < 0) {
			tulpen_ctx_seterr(ctx, "%s: %s", ctx->proc_root,
					  strerror(errno));
			return -errno;
		}
		if (n == 0)
			return 0;
		for (pos = 0; pos < n;) {
			struct linux_dirent64_ *d =
				(struct linux_dirent64_ *)(buf + pos);
			int pid;

			pos += d->d_reclen;
			pid = dec_name(d->d_name);
			if (pid <= 0)
				continue;
			if (j->npids == cap) {
				int *p;

				cap = cap ? cap * 2 : 1024;
				p = realloc(j->pids, cap * sizeof(*p));
				if (!p)
					return -ENOMEM;
				j->pids = p;
			}
			j->pids[j->npids++] = pid;
		}
	}
}

static int owner_after(const struct tulpen_owner *a,
		       const struct tulpen_owner *b)
{
	if (a->pid != b->pid)
		return a->pid > b->pid;
	if (a->tid != b->tid)
		return a->tid > b->tid;
	return a->fd > b->fd;
}

/*
 * Group what the workers found by inode into o->owners and o->groups: count
 * per inode through the table, give each inode its range, then fill. An
 * inode is its own hash (the table mixes it).
 */
static int count_groups(struct tulpen_owners *o, struct worker *w, int nw,
			size_t total)
{
	size_t i, pos = 0, run = 0;
	struct group *g;
	void *v;
	int k, ret;

	ret = TULPEN_HASH_INIT(&o->groups, uint64_t, struct group, NULL);
	if (!ret)
		ret = tulpen_hash_reserve(&o->groups, total);
	if (ret)
		return ret;
	for (k = 0; k < nw; k++) {
		for (i = 0; i < w[k].n; i++) {
			ret = tulpen_hash_insert_u64(&o->groups, w[k].inodes[i],
						     &v);
			if (ret < 0)
				return ret;
			((struct group *)v)->count++;
		}
	}
	while ((g = tulpen_hash_next(&o->groups, &pos, NULL))) {
		g->start = (uint32_t)run;
		run += g->count;
		g->count = 0; /* counts again while filling */
	}
	return 0;
}

static int build_table(struct tulpen_owners *o, struct worker *w, int nw)
{
	size_t i, total = 0, comm_base = 0;
	int k, ret;

	for (k = 0; k < nw; k++)
		total += w[k].n;
	if (total > UINT32_MAX)
		return -EOVERFLOW;
	ret = count_groups(o, w, nw, total);
	if (ret)
		return ret;
	/* one pool of command names for all workers */
	for (k = 0; k < nw; k++)
		comm_base += w[k].comms_len;
	o->comms = malloc(comm_base ? comm_base : 1);
	o->owners = malloc((total ? total : 1) * sizeof(*o->owners));
	if (!o->comms || !o->owners)
		return -ENOMEM;
	comm_base = 0;
	for (k = 0; k < nw; k++) {
		if (w[k].comms_len)
			memcpy(o->comms + comm_base, w[k].comms,
			       w[k].comms_len);
		for (i = 0; i < w[k].n; i++) {
			struct group *g = tulpen_hash_find_u64(&o->groups,
							       w[k].inodes[i]);
			struct tulpen_owner ow = w[k].owners[i];
			size_t at = g->start + g->count++;

			ow.comm = o->comms + comm_base +
				  (size_t)(uintptr_t)w[k].owners[i].comm;
			ow.prog = ow.comm + strlen(ow.comm) + 1;
			/*
			 * Keep each socket's holders sorted by pid and fd,
			 * whichever thread found them: an insertion into a
			 * group that is nearly always of one.
			 */
			while (at > g->start &&
			       owner_after(&o->owners[at - 1], &ow)) {
				o->owners[at] = o->owners[at - 1];
				at--;
			}
			o->owners[at] = ow;
		}
		comm_base += w[k].comms_len;
	}
	o->nowners = total;
	return 0;
}

static void worker_fini(struct worker *w)
{
	free(w->inodes);
	free(w->owners);
	free(w->comms);
	free(w->dbuf);
}

#define MAX_WORKERS 4

static int owners_new(struct tulpen_ctx *ctx, int threads, const uint64_t *want,
		      size_t nwant, struct tulpen_owners **out)
{
	struct worker w[MAX_WORKERS];
	struct job j = {
		.procfd = -1, .threads = threads, .want = want, .nwant = nwant
	};
	struct tulpen_owners *o;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int nw, k, started = 0, ret;

	memset(w, 0, sizeof(w));
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	j.procfd = open(ctx->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j.procfd < 0) {
		ret = -errno;
		tulpen_ctx_seterr(ctx, "%s: %s", ctx->proc_root,
				  strerror(errno));
		goto out;
	}
	ret = list_pids(ctx, &j);
	if (ret)
		goto out;

	/* One worker per CPU (at most four); few processes need one. */
	nw = cpus > 0 ? (int)cpus : 1;
	if (nw > MAX_WORKERS)
		nw = MAX_WORKERS;
	if ((size_t)nw > j.npids / 32 + 1)
		nw = (int)(j.npids / 32 + 1);
	for (k = 0; k < nw; k++) {
		w[k].job = &j;
		w[k].dbuf = malloc(DBUF_SIZE);
		if (!w[k].dbuf) {
			ret = -ENOMEM;
			goto out;
		}
	}
	/* Helpers on threads; worker 0 is this thread. */
	for (k = 1; k < nw; k++) {
		if (pthread_create(&w[k].tid, NULL, worker_run, &w[k]))
			break;
		started++;
	}
	worker_run(&w[0]);
	for (k = 1; k <= started; k++)
		pthread_join(w[k].tid, NULL);
	/* work left by a thread that could not start was taken by others */
	for (k = 0; k < nw; k++) {
		if (w[k].ret && !ret)
			ret = w[k].ret;
		o->st.processes += w[k].processes;
		o->st.denied += w[k].denied;
		o->st.unreadable += w[k].unreadable;
		o->st.socket_fds += w[k].n;
	}
	if (o->st.unreadable)
		tulpen_ctx_note(ctx, TULPEN_NOTE_WARN,
				"owners not read for %zu of %zu processes: out "
				"of file descriptors (EMFILE/ENFILE; raise "
				"'ulimit -n'); their sockets show no owner",
				o->st.unreadable, j.npids);
	if (ret)
		goto out;
	/* Give back the growth slack before the table doubles the data. */
	for (k = 0; k < nw; k++) {
		void *p;

		if (!w[k].n || w[k].n == w[k].cap)
			continue;
		p = realloc(w[k].inodes, w[k].n * sizeof(*w[k].inodes));
		if (p)
			w[k].inodes = p;
		p = realloc(w[k].owners, w[k].n * sizeof(*w[k].owners));
		if (p)
			w[k].owners = p;
	}
	ret = build_table(o, w, nw);
out:
	for (k = 0; k < MAX_WORKERS; k++)
		worker_fini(&w[k]);
	free(j.pids);
	if (j.procfd >= 0)
		close(j.procfd);
	if (ret) {
		tulpen_owners_free(o);
		return ret;
	}
	*out = o;
	return 0;
}

int tulpen_owners_new(struct tulpen_ctx *ctx, struct tulpen_owners **out)
{
	return owners_new(ctx, 0, NULL, 0, out);
}

int tulpen_owners_new_threads(struct tulpen_ctx *ctx,
			      struct tulpen_owners **out)
{
	return owners_new(ctx, 1, NULL, 0, out);
}

int tulpen_owners_new_only(struct tulpen_ctx *ctx, const uint64_t *inodes,
			   size_t n, struct tulpen_owners **out)
{
	return owners_new(ctx, 0, inodes, n, out);
}

void tulpen_owners_free(struct tulpen_owners *o)
{
	if (!o)
		return;
	free(o->owners);
	tulpen_hash_fini(&o->groups);
	free(o->comms);
	free(o);
}

const struct tulpen_owner *tulpen_owners_lookup(const struct tulpen_owners *o,
						uint64_t inode, size_t *n)
{
	const struct group *g;

	*n = 0;
	if (!o || !inode)
		return NULL;
	g = tulpen_hash_find_u64(&o->groups, inode);
	if (!g)
		return NULL;
	*n = g->count;
	return &o->owners[g->start];
}

void tulpen_owners_stats(const struct tulpen_owners *o,
			 struct tulpen_owners_stats *st)
{
	*st = o->st;
}
