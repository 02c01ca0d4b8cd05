// SPDX-License-Identifier: MIT
/*
 * owners.c - map socket inodes to the processes holding them (-p).
 *
 * The scan walks <proc>/<pid>/fd with openat/getdents64/readlinkat relative
 * to each directory (no path building per fd). Entries are then grouped by
 * inode with an open-addressing hash table (a counting sort through the
 * table), so that a lookup is one probe sequence and the holders of one
 * socket sit next to each other. Memory: 16 bytes per socket fd for the
 * holder, plus about 32 bytes per distinct socket for the table.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tulpen/owners.h"
#include "ctx_internal.h"

struct slot {
	uint64_t inode; /* 0: empty (socket inodes are never 0) */
	uint32_t start;
	uint32_t count;
};

struct tulpen_owners {
	struct tulpen_owner *owners; /* grouped by inode */
	size_t nowners;
	struct slot *slots;
	size_t nslots; /* a power of two */
	char *comms;   /* command names, NUL-separated */
	size_t comms_len, comms_cap;
	struct tulpen_owners_stats st;
};

/* Scan state: entries in the order found. */
struct scan {
	uint64_t *inodes;
	struct tulpen_owner *owners; /* comm holds an offset until the end */
	size_t n, cap;
};

static inline size_t hash_inode(uint64_t inode, size_t mask)
{
	return (size_t)((inode * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

static int scan_push(struct scan *sc, uint64_t inode, int pid, int fd,
		     size_t comm_off)
{
	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 4096;
		uint64_t *in = realloc(sc->inodes, cap * sizeof(*in));
		struct tulpen_owner *ow;

		if (!in)
			return -ENOMEM;
		sc->inodes = in;
		ow = realloc(sc->owners, cap * sizeof(*ow));
		if (!ow)
			return -ENOMEM;
		sc->owners = ow;
		sc->cap = cap;
	}
	sc->inodes[sc->n] = inode;
	sc->owners[sc->n].pid = pid;
	sc->owners[sc->n].fd = fd;
	sc->owners[sc->n].comm = (const char *)(uintptr_t)comm_off;
	sc->n++;
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
		if (l[i] < '0' || l[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(l[i] - '0');
	}
	return v;
}

/* Add the command name of @pid to the pool; its offset in *@off. */
static int add_comm(struct tulpen_owners *o, int piddir, size_t *off)
{
	char name[64];
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
	if (o->comms_len + (size_t)n + 1 > o->comms_cap) {
		size_t cap = o->comms_cap ? o->comms_cap * 2 : 16384;
		char *p;

		while (cap < o->comms_len + (size_t)n + 1)
			cap *= 2;
		p = realloc(o->comms, cap);
		if (!p)
			return -ENOMEM;
		o->comms = p;
		o->comms_cap = cap;
	}
	memcpy(o->comms + o->comms_len, name, (size_t)n + 1);
	*off = o->comms_len;
	o->comms_len += (size_t)n + 1;
	return 0;
}

struct linux_dirent64_ {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int scan_pid(struct tulpen_owners *o, struct scan *sc, int procfd,
		    const char *pidname, int pid, char *dbuf, size_t dsize)
{
	int piddir, fddir, ret = 0;
	size_t comm_off = 0;
	int have_comm = 0;

	piddir = openat(procfd, pidname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (piddir < 0)
		return 0; /* gone */
	fddir = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fddir < 0) {
		if (errno == EACCES || errno == EPERM)
			o->st.denied++;
		close(piddir);
		return 0;
	}
	o->st.processes++;
	for (;;) {
		long n = syscall(SYS_getdents64, fddir, dbuf, dsize);
		long pos;

		if (n <= 0)
			break; /* end, or the process went away */
		for (pos = 0; pos < n;) {
			struct linux_dirent64_ *d =
				(struct linux_dirent64_ *)(dbuf + pos);
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
			if (!inode)
				continue;
			if (!have_comm) {
				ret = add_comm(o, piddir, &comm_off);
				if (ret)
					goto out;
				have_comm = 1;
			}
			ret = scan_push(sc, inode, pid, fd, comm_off);
			if (ret)
				goto out;
		}
	}
out:
	close(fddir);
	close(piddir);
	return ret;
}

static struct slot *find_slot(struct slot *slots, size_t nslots,
			      uint64_t inode)
{
	size_t mask = nslots - 1;
	size_t i = hash_inode(inode, mask);

	while (slots[i].inode && slots[i].inode != inode)
		i = (i + 1) & mask;
	return &slots[i];
}

/* Group the scanned entries by inode into o->owners and o->slots. */
static int build_table(struct tulpen_owners *o, struct scan *sc)
{
	size_t nslots = 1024, i, run = 0;

	while (nslots < sc->n * 2)
		nslots *= 2;
	o->slots = calloc(nslots, sizeof(*o->slots));
	if (!o->slots)
		return -ENOMEM;
	o->nslots = nslots;
	for (i = 0; i < sc->n; i++) {
		struct slot *s = find_slot(o->slots, nslots, sc->inodes[i]);

		s->inode = sc->inodes[i];
		s->count++;
	}
	for (i = 0; i < nslots; i++) {
		if (!o->slots[i].inode)
			continue;
		o->slots[i].start = (uint32_t)run;
		run += o->slots[i].count;
		o->slots[i].count = 0; /* counts again while filling */
	}
	o->owners = malloc((sc->n ? sc->n : 1) * sizeof(*o->owners));
	if (!o->owners)
		return -ENOMEM;
	for (i = 0; i < sc->n; i++) {
		struct slot *s = find_slot(o->slots, nslots, sc->inodes[i]);
		size_t at = s->start + s->count++;

		o->owners[at] = sc->owners[i];
		o->owners[at].comm =
			o->comms + (size_t)(uintptr_t)sc->owners[i].comm;
	}
	o->nowners = sc->n;
	return 0;
}

int tulpen_owners_new(struct tulpen_ctx *ctx, struct tulpen_owners **out)
{
	struct tulpen_owners *o;
	struct scan sc = { 0 };
	size_t dsize = 64 * 1024;
	char *dbuf = NULL;
	int procfd = -1, ret = 0;

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	dbuf = malloc(dsize);
	if (!dbuf) {
		ret = -ENOMEM;
		goto err;
	}
	procfd = open(ctx->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0) {
		ret = -errno;
		tulpen_ctx_seterr(ctx, "%s: %s", ctx->proc_root,
				  strerror(errno));
		goto err;
	}
	for (;;) {
		/* A second buffer: scan_pid reuses dbuf for fd listings. */
		char pbuf[16384];
		long n = syscall(SYS_getdents64, procfd, pbuf, sizeof(pbuf));
		long pos;

		if (n < 0) {
			ret = -errno;
			tulpen_ctx_seterr(ctx, "%s: %s", ctx->proc_root,
					  strerror(errno));
			goto err;
		}
		if (n == 0)
			break;
		for (pos = 0; pos < n;) {
			struct linux_dirent64_ *d =
				(struct linux_dirent64_ *)(pbuf + pos);
			int pid;

			pos += d->d_reclen;
			pid = dec_name(d->d_name);
			if (pid <= 0)
				continue;
			ret = scan_pid(o, &sc, procfd, d->d_name, pid, dbuf,
				       dsize);
			if (ret)
				goto err;
		}
	}
	o->st.socket_fds = sc.n;
	ret = build_table(o, &sc);
	if (ret)
		goto err;
	free(sc.inodes);
	free(sc.owners);
	free(dbuf);
	close(procfd);
	*out = o;
	return 0;
err:
	free(sc.inodes);
	free(sc.owners);
	free(dbuf);
	if (procfd >= 0)
		close(procfd);
	tulpen_owners_free(o);
	return ret;
}

void tulpen_owners_free(struct tulpen_owners *o)
{
	if (!o)
		return;
	free(o->owners);
	free(o->slots);
	free(o->comms);
	free(o);
}

const struct tulpen_owner *tulpen_owners_lookup(const struct tulpen_owners *o,
						uint64_t inode, size_t *n)
{
	const struct slot *s;

	*n = 0;
	if (!o || !inode || !o->nslots)
		return NULL;
	s = find_slot(o->slots, o->nslots, inode);
	if (!s->inode)
		return NULL;
	*n = s->count;
	return &o->owners[s->start];
}

void tulpen_owners_stats(const struct tulpen_owners *o,
			 struct tulpen_owners_stats *st)
{
	*st = o->st;
}
