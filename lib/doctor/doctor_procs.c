// SPDX-License-Identifier: MIT
/*
 * doctor_procs.c - the holders of the sampled sockets and their processes:
 * command (from the owner scan), parent chain (/proc/PID/status) and
 * container (/proc/PID/cgroup), read below the context's proc root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tulpen/container.h"
#include "doctor/doctor_procs.h"

void dr_procs_init(struct dr_procs *p)
{
	memset(p, 0, sizeof(*p));
	TULPEN_HASH_INIT(&p->by_pid, uint64_t, uint32_t, NULL);
}

void dr_procs_fini(struct dr_procs *p)
{
	free(p->v);
	tulpen_hash_fini(&p->by_pid);
	memset(p, 0, sizeof(*p));
}

int32_t dr_parse_ppid(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int64_t v = 0;
	int digits = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (le - p > 5 && !memcmp(p, "PPid:", 5)) {
			p += 5;
			while (p < le && (*p == '\t' || *p == ' '))
				p++;
			for (; p < le && *p >= '0' && *p <= '9'; p++) {
				v = v * 10 + (*p - '0');
				if (v > INT32_MAX)
					return -1;
				digits++;
			}
			return digits && p == le ? (int32_t)v : -1;
		}
		p = le < end ? le + 1 : end;
	}
	return -1;
}

static int32_t read_ppid(struct tulpen_ctx *ctx, int32_t pid)
{
	char path[4096], buf[4096];
	size_t len = 0;
	ssize_t r;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%d/status",
			     tulpen_ctx_proc_root(ctx),
			     (int)pid) >= sizeof(path))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while (len < sizeof(buf)) {
		r = read(fd, buf + len, sizeof(buf) - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	return dr_parse_ppid(buf, len);
}

/* The index of @pid's entry, added when new. -ENOMEM or the index. */
static long proc_index(struct tulpen_ctx *ctx, struct dr_procs *p, int32_t pid,
		       const char *comm)
{
	struct dr_proc *d;
	uint32_t *idx;
	int32_t a;
	int ret, i;

	ret = tulpen_hash_insert_u64(&p->by_pid, (uint64_t)pid, (void **)&idx);
	if (ret < 0)
		return -ENOMEM;
	if (!ret)
		return (long)*idx;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		void *v = realloc(p->v, cap * sizeof(*p->v));

		if (!v) {
			tulpen_hash_remove_u64(&p->by_pid, (uint64_t)pid);
			return -ENOMEM;
		}
		p->v = v;
		p->cap = cap;
	}
	*idx = (uint32_t)p->n;
	d = &p->v[p->n++];
	memset(d, 0, sizeof(*d));
	d->pid = pid;
	snprintf(d->comm, sizeof(d->comm), "%s", comm ? comm : "?");
	a = d->ppid = read_ppid(ctx, pid);
	for (i = 0; i < DR_ANCESTORS && a > 0; i++) {
		d->anc[i] = a;
		a = a > 1 ? read_ppid(ctx, a) : -1;
	}
	if (!tulpen_container_of_pid(ctx, pid, &d->container))
		d->has_container = tulpen_container_known(&d->container);
	return (long)(p->n - 1);
}

int dr_procs_holders(struct tulpen_ctx *ctx, struct dr_procs *p,
		     const struct tulpen_owners *owners, struct dr_sample *smp,
		     struct dr_holder **out, size_t *n)
{
	struct dr_holder *h = NULL;
	size_t cap = 0, used = 0, i, k;

	for (i = 0; i < smp->nsocks; i++) {
		struct dr_sock *s = &smp->socks[i];
		const struct tulpen_owner *o;
		size_t no = 0;

		s->own = (uint32_t)used;
		s->nown = 0;
		if (!s->s.inode)
			continue;
		o = tulpen_owners_lookup(owners, s->s.inode, &no);
		for (k = 0; k < no; k++) {
			long idx = proc_index(ctx, p, o[k].pid, o[k].comm);

			if (idx < 0)
				goto nomem;
			if (used == cap) {
				size_t c = cap ? cap * 2 : 256;
				void *v = realloc(h, c * sizeof(*h));

				if (!v)
					goto nomem;
				h = v;
				cap = c;
			}
			h[used].proc = (uint32_t)idx;
			h[used].fd = o[k].fd;
			used++;
			s->nown++;
		}
	}
	*out = h;
	*n = used;
	return 0;
nomem:
	free(h);
	return -ENOMEM;
}
