// SPDX-License-Identifier: MIT
/*
 * fdscan.c - the floor of process attribution (-p): walk /proc/PID/fd of
 * every process with openat/getdents64/readlinkat and count the links that
 * are sockets, with no table and no output. Compare with tulpen -tanp minus
 * tulpen -tan to see what attribution costs beyond this minimum.
 *
 * usage: fdscan [-j THREADS] [-v]
 *   -j  split the processes over THREADS threads (default 1)
 *   -v  print processes and socket fds found on stderr
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct job {
	int procfd;
	int *pids;
	size_t npids;
	size_t next; /* shared cursor, under lock */
	pthread_mutex_t lock;
};

struct result {
	unsigned long sockets;
	unsigned long procs;
};

static void scan_pid(int procfd, int pid, struct result *r)
{
	char name[16], buf[32768], link[64];
	int fddir;

	snprintf(name, sizeof(name), "%d/fd", pid);
	fddir = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fddir < 0)
		return;
	r->procs++;
	for (;;) {
		long n = syscall(SYS_getdents64, fddir, buf, sizeof(buf));
		long off;

		if (n <= 0)
			break;
		for (off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			ssize_t ln;

			off += d->d_reclen;
			if (d->d_name[0] == '.')
				continue;
			ln = readlinkat(fddir, d->d_name, link, sizeof(link));
			if (ln > 8 && !memcmp(link, "socket:[", 8))
				r->sockets++;
		}
	}
	close(fddir);
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct result *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	for (;;) {
		size_t i;

		pthread_mutex_lock(&j->lock);
		i = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->npids)
			break;
		scan_pid(j->procfd, j->pids[i], r);
	}
	return r;
}

int main(int argc, char **argv)
{
	struct job j = { .lock = PTHREAD_MUTEX_INITIALIZER };
	unsigned long threads = 1, sockets = 0, procs = 0, t;
	pthread_t tid[64];
	size_t cap = 1024;
	char buf[32768];
	int c, verbose = 0;

	while ((c = getopt(argc, argv, "j:v")) != -1) {
		char *end;

		switch (c) {
		case 'j':
			errno = 0;
			threads = strtoul(optarg, &end, 10);
			if (errno || *end || threads < 1 || threads > 64) {
				fprintf(stderr, "fdscan: -j takes 1..64\n");
				return 2;
			}
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: fdscan [-j THREADS] [-v]\n");
			return 2;
		}
	}
	j.procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	j.pids = malloc(cap * sizeof(*j.pids));
	if (j.procfd < 0 || !j.pids) {
		perror("fdscan");
		return 1;
	}
	for (;;) {
		long n = syscall(SYS_getdents64, j.procfd, buf, sizeof(buf));
		long off;

		if (n <= 0)
			break;
		for (off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			char *end;
			long pid;

			off += d->d_reclen;
			pid = strtol(d->d_name, &end, 10);
			if (*end || pid <= 0)
				continue;
			if (j.npids == cap) {
				int *p = realloc(j.pids, 2 * cap * sizeof(*p));

				if (!p) {
					perror("fdscan");
					return 1;
				}
				j.pids = p;
				cap *= 2;
			}
			j.pids[j.npids++] = (int)pid;
		}
	}
	for (t = 0; t < threads; t++)
		if (pthread_create(&tid[t], NULL, worker, &j)) {
			perror("fdscan: pthread_create");
			return 1;
		}
	for (t = 0; t < threads; t++) {
		struct result *r;

		pthread_join(tid[t], (void **)&r);
		if (r) {
			sockets += r->sockets;
			procs += r->procs;
			free(r);
		}
	}
	if (verbose)
		fprintf(stderr, "%lu processes, %lu socket fds\n", procs,
			sockets);
	return 0;
}
