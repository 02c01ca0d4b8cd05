/* SPDX-License-Identifier: MIT */
/*
 * tulpen/owners.h - which processes hold which socket (for -p).
 *
 * Built by scanning <proc_root>/<pid>/fd for "socket:[inode]" links, into an
 * open-addressing hash table keyed by inode. A socket held by several
 * processes (or by several fds of one) has one entry per (pid, fd).
 *
 * Ownership: tulpen_owners_new() allocates; tulpen_owners_free() releases.
 * Pointers returned by lookups point into the table and live as long as it.
 */
#ifndef TULPEN_OWNERS_H
#define TULPEN_OWNERS_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include "tulpen/ctx.h"

struct tulpen_owners;

/*
 * One holder of a socket: 16 bytes, as many as the host has socket fds.
 * What only some callers need is not kept in every record but in the
 * holder's names, which are shared by every record of one fd table.
 */
struct tulpen_owner {
	int32_t pid;
	int32_t fd;
	/*
	 * The holder's names: three strings one after the other, each with
	 * its NUL: the command name as in /proc/PID/comm (the thread's with
	 * tulpen_owners_new_threads()), then the program as netstat names it
	 * (tulpen_owner_prog()), then the thread id in decimal, "" when
	 * there is none (tulpen_owner_tid()). Whoever builds a record gives
	 * all three, e.g. "nginx\0nginx\0" or "nginx\0nginx\0" "105".
	 */
	const char *comm;
};

/*
 * The program as netstat names it: the base name of argv[0] from
 * /proc/PID/cmdline ("" when that is empty).
 */
static inline const char *tulpen_owner_prog(const struct tulpen_owner *ow)
{
	return ow->comm + strlen(ow->comm) + 1;
}

/*
 * tulpen_owners_new_threads(): the thread whose fd table holds the socket
 * (comm is then the thread's name); 0 from tulpen_owners_new().
 */
static inline int32_t tulpen_owner_tid(const struct tulpen_owner *ow)
{
	const char *p = tulpen_owner_prog(ow);
	int32_t tid = 0;

	for (p += strlen(p) + 1; *p >= '0' && *p <= '9'; p++)
		tid = tid * 10 + (*p - '0');
	return tid;
}

struct tulpen_owners_stats {
	size_t processes;  /* processes scanned */
	size_t denied;	   /* processes whose fds we may not read */
	size_t socket_fds; /* socket fds found */
	/* processes not read: the scan ran out of descriptors or memory */
	size_t unreadable;
};

/*
 * Scan the processes under the context's proc root. Processes that exit
 * during the scan are skipped silently; processes we may not inspect are
 * counted in stats.denied; processes not read because the scan ran out of
 * file descriptors (EMFILE, ENFILE) are counted in stats.unreadable and
 * said once in a TULPEN_NOTE_WARN note. Returns 0 or a negative errno.
 */
int tulpen_owners_new(struct tulpen_ctx *ctx, struct tulpen_owners **out);
/*
 * The same, per thread (ss -T): every thread of every process is scanned
 * (/proc/PID/task/TID/fd), so a socket held by a process with four threads
 * that share their files has four holders, one per tid.
 */
int tulpen_owners_new_threads(struct tulpen_ctx *ctx,
			      struct tulpen_owners **out);
/*
 * The process scan, keeping only the sockets whose inodes are among the
 * @n of @inodes (sorted ascending; borrowed for the call): the table then
 * holds what the caller asked about, not every socket fd of the host.
 * stats.socket_fds counts the fds kept. @inodes NULL: every socket.
 */
int tulpen_owners_new_only(struct tulpen_ctx *ctx, const uint64_t *inodes,
			   size_t n, struct tulpen_owners **out);
void tulpen_owners_free(struct tulpen_owners *o);

/*
 * Find the holders of socket @inode. Stores the number found in *@n and
 * returns a pointer to an array of them (NULL when none), sorted by pid,
 * tid and fd.
 */
const struct tulpen_owner *tulpen_owners_lookup(const struct tulpen_owners *o,
						uint64_t inode, size_t *n);

void tulpen_owners_stats(const struct tulpen_owners *o,
			 struct tulpen_owners_stats *st);

#endif /* TULPEN_OWNERS_H */
