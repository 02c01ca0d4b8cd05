// SPDX-License-Identifier: MIT
/*
 * owners.c - map socket inodes to the processes holding them (-p).
 *
 * The scan walks <proc>/<pid>/fd with openat/getdents64/readlinkat relative
 * to each directory (no path building per fd). Each scanning thread keeps
 * one 16-byte record per socket fd (inode, fd, which fd table) and one
 * entry per fd table (pid, tid, where its names are in the name pool). The
 * records of all threads are then put in one array, sorted by inode in
 * place, and each record is rewritten in place into the struct
 * tulpen_owner the lookups return (the same 16 bytes), so the holders of
 * one socket sit next to each other. The library's hash table (core/hash.h)
 * maps an inode to the index of its first holder (16 bytes a slot at a load
 * of at most 3/4), and a bit per holder marks where each socket's holders
 * begin, which gives their count. Memory: about 38 bytes per socket fd in
 * all, and never two copies of the records at once: the sort's own buffer
 * (16 bytes per fd) comes and goes before the table is made.
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

struct tulpen_owners {
	struct tulpen_owner *owners; /* grouped by inode */
	size_t nowners;
	/* inode -> uint32_t: the index of its first holder in owners[] */
	struct tulpen_hash groups;
	uint64_t *firsts; /* bit i set: owners[i] is an inode's first */
	char *names;	  /* the holders' names (tulpen_owner.comm) */
	struct tulpen_owners_stats st;
};

/*
 * One socket fd as the scan finds it; rewritten in place into a struct
 * tulpen_owner once sorted (so it must not be smaller than one).
 */
struct rec {
	uint64_t inode;
	int32_t fd;
	uint32_t table; /* index into the tables[] of the scan */
};

_Static_assert(sizeof(struct rec) >= sizeof(struct tulpen_owner),
	       "a record is rewritten in place into a struct tulpen_owner");

/* One fd table with sockets: a process's, or a thread's with -T. */
struct fdtable {
	int32_t pid;
	int32_t tid;
	uint32_t name; /* offset of its names in the name pool */
};

/* What one scanning thread finds, in the order found. */
struct worker {
	struct rec *recs;
	size_t n, cap;
	struct fdtable *tables;
	size_t ntables, tables_cap;
	char *names;
	size_t names_len, names_cap;
	size_t processes, denied, unreadable;
	char *dbuf;
	int ret;
	struct job *job;
	pthread_t thread;
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

static int push(struct worker *w, uint64_t inode, int fd)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap + w->cap / 2 : 4096;
		struct rec *r = realloc(w->recs, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		w->recs = r;
		w->cap = cap;
	}
	w->recs[w->n].inode = inode;
	w->recs[w->n].fd = fd;
	w->recs[w->n].table = (uint32_t)(w->ntables - 1);
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

#define COMM_MAX 64  /* /proc/PID/comm: 16 bytes; a fake root may say more */
#define PROG_MAX 512 /* argv[0]'s base name */
#define TID_MAX 12   /* the tid in decimal and its NUL */

/*
 * Start a new fd table (@pid's, or thread @tid's with -T) for the records
 * that follow: its names go into the worker's pool as struct tulpen_owner
 * describes them: the comm file under @dir, NUL, the program name
 * (read_prog()), NUL, the tid in decimal ("" for 0), NUL.
 */
static int add_table(struct worker *w, int dir, int pid, int tid)
{
	char name[COMM_MAX + 1 + PROG_MAX + TID_MAX];
	ssize_t n = -1;
	size_t len;
	int fd;

	fd = openat(dir, "comm", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, name, COMM_MAX);
		close(fd);
	}
	if (n > 0)
		n = (ssize_t)strnlen(name, (size_t)n);
	if (n > 0 && name[n - 1] == '\n')
		n--;
	if (n <= 0) {
		name[0] = '?';
		n = 1;
	}
	name[n] = '\0';
	len = (size_t)n + 1;
	len += read_prog(dir, name + len, PROG_MAX) + 1;
	if (tid)
		len += (size_t)snprintf(name + len, TID_MAX, "%d", tid);
	else
		name[len] = '\0';
	len++;
	if (w->names_len + len > w->names_cap) {
		size_t cap = w->names_cap ? w->names_cap * 2 : 16384;
		char *p;

		while (cap < w->names_len + len)
			cap *= 2;
		p = realloc(w->names, cap);
		if (!p)
			return -ENOMEM;
		w->names = p;
		w->names_cap = cap;
	}
	if (w->ntables == w->tables_cap) {
		size_t cap = w->tables_cap ? w->tables_cap * 2 : 256;
		struct fdtable *t;

		if (cap > UINT32_MAX)
			return -EOVERFLOW;
		t = realloc(w->tables, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		w->tables = t;
		w->tables_cap = cap;
	}
	memcpy(w->names + w->names_len, name, len);
	w->tables[w->ntables].pid = pid;
	w->tables[w->ntables].tid = tid;
	w->tables[w->ntables].name = (uint32_t)w->names_len;
	w->ntables++;
	w->names_len += len;
	return w->names_len > UINT32_MAX ? -EOVERFLOW : 0;
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
	int fddir, have_table = 0, ret = 0;

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
			if (!have_table) {
				ret = add_table(w, dir, pid, tid);
				if (ret)
					goto out;
				have_table = 1;
			}
			ret = push(w, inode, fd);
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

/* The order of the records: by inode, then by pid, tid and fd. */
static int rec_cmp(const void *pa, const void *pb, void *arg)
{
	const struct rec *a = pa, *b = pb;
	const struct fdtable *t = arg, *ta, *tb;

	if (a->inode != b->inode)
		return a->inode < b->inode ? -1 : 1;
	ta = &t[a->table];
	tb = &t[b->table];
	if (ta->pid != tb->pid)
		return ta->pid < tb->pid ? -1 : 1;
	if (ta->tid != tb->tid)
		return ta->tid < tb->tid ? -1 : 1;
	return (a->fd > b->fd) - (a->fd < b->fd);
}

/* Make @p hold exactly @n items of @size (at least one). */
static int fit(void **p, size_t n, size_t size)
{
	void *q = realloc(*p, (n ? n : 1) * size);

	if (!q)
		return -ENOMEM;
	*p = q;
	return 0;
}

/*
 * Move what every worker found into worker 0's arrays, each worker's freed
 * as soon as it is copied: the records (their fd table index shifted), the
 * fd tables (their name offset shifted) and the names.
 */
static int gather(struct worker *w, int nw)
{
	size_t n = 0, nt = 0, nl = 0, i;
	int k, ret;

	for (k = 0; k < nw; k++) {
		n += w[k].n;
		nt += w[k].ntables;
		nl += w[k].names_len;
	}
	if (n > UINT32_MAX || nt > UINT32_MAX || nl > UINT32_MAX)
		return -EOVERFLOW;
	/* exact sizes: no growth slack is kept */
	ret = fit((void **)&w[0].recs, n, sizeof(*w[0].recs));
	if (!ret)
		ret = fit((void **)&w[0].tables, nt, sizeof(*w[0].tables));
	if (!ret)
		ret = fit((void **)&w[0].names, nl, 1);
	if (ret)
		return ret;
	for (k = 1; k < nw; k++) {
		struct worker *d = &w[0], *s = &w[k];

		for (i = 0; i < s->n; i++) {
			d->recs[d->n] = s->recs[i];
			d->recs[d->n++].table += (uint32_t)d->ntables;
		}
		for (i = 0; i < s->ntables; i++) {
			d->tables[d->ntables] = s->tables[i];
			d->tables[d->ntables++].name += (uint32_t)d->names_len;
		}
		if (s->names_len)
			memcpy(d->names + d->names_len, s->names, s->names_len);
		d->names_len += s->names_len;
		free(s->recs);
		free(s->tables);
		free(s->names);
		s->recs = NULL;
		s->tables = NULL;
		s->names = NULL;
		s->n = s->ntables = s->names_len = 0;
	}
	return 0;
}

/*
 * The table from worker 0's sorted records: each inode's first record
 * into o->groups and o->firsts, then each record rewritten in place into
 * the struct tulpen_owner that lookups return. The records and names pass
 * to @o.
 */
static int build_table(struct tulpen_owners *o, struct worker *w)
{
	const struct rec *r = w->recs;
	size_t i, ngroups = 0;
	void *v;
	int ret;

	for (i = 0; i < w->n; i++)
		ngroups += !i || r[i].inode != r[i - 1].inode;
	o->firsts = calloc(w->n / 64 + 1, sizeof(*o->firsts));
	if (!o->firsts)
		return -ENOMEM;
	ret = TULPEN_HASH_INIT(&o->groups, uint64_t, uint32_t, NULL);
	if (!ret)
		ret = tulpen_hash_reserve(&o->groups, ngroups);
	if (ret)
		return ret;
	for (i = 0; i < w->n; i++) {
		if (i && r[i].inode == r[i - 1].inode)
			continue;
		ret = tulpen_hash_insert_u64(&o->groups, r[i].inode, &v);
		if (ret < 0)
			return ret;
		*(uint32_t *)v = (uint32_t)i;
		o->firsts[i / 64] |= 1ull << (i % 64);
	}
	o->owners = (struct tulpen_owner *)(void *)w->recs;
	o->nowners = w->n;
	o->names = w->names;
	w->recs = NULL;
	w->names = NULL;
	/*
	 * Owner i ends where record i ends or before (the records are at
	 * least as large), so rewriting them in order reads each record
	 * before anything is written over it.
	 */
	for (i = 0; i < o->nowners; i++) {
		struct tulpen_owner ow;
		const struct fdtable *t;
		struct rec rc;

		memcpy(&rc, &r[i], sizeof(rc));
		t = &w->tables[rc.table];
		ow.pid = t->pid;
		ow.fd = rc.fd;
		ow.comm = o->names + t->name;
		memcpy(&o->owners[i], &ow, sizeof(ow));
	}
	return 0;
}

static void worker_fini(struct worker *w)
{
	free(w->recs);
	free(w->tables);
	free(w->names);
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
		if (pthread_create(&w[k].thread, NULL, worker_run, &w[k]))
			break;
		started++;
	}
	worker_run(&w[0]);
	for (k = 1; k <= started; k++)
		pthread_join(w[k].thread, NULL);
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
	ret = gather(w, nw);
	if (ret)
		goto out;
	qsort_r(w[0].recs, w[0].n, sizeof(*w[0].recs), rec_cmp, w[0].tables);
	ret = build_table(o, &w[0]);
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
	free(o->firsts);
	free(o->names);
	free(o);
}

const struct tulpen_owner *tulpen_owners_lookup(const struct tulpen_owners *o,
						uint64_t inode, size_t *n)
{
	const uint32_t *first;
	size_t end;

	*n = 0;
	if (!o || !inode)
		return NULL;
	first = tulpen_hash_find_u64(&o->groups, inode);
	if (!first)
		return NULL;
	/* the holders run up to the next inode's first */
	for (end = *first + 1; end < o->nowners; end++)
		if (o->firsts[end / 64] & (1ull << (end % 64)))
			break;
	*n = end - *first;
	return &o->owners[*first];
}

void tulpen_owners_stats(const struct tulpen_owners *o,
			 struct tulpen_owners_stats *st)
{
	*st = o->st;
}
