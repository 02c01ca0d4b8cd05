// SPDX-License-Identifier: MIT
/*
 * netns.c - find every network namespace of the host: the bind mounts in
 * /run/netns (which give names) and every process's /proc/PID/ns/net,
 * deduplicated by inode. Nothing is held open: each entry keeps the path
 * to open when its turn comes, so a namespace deleted meanwhile is simply
 * gone, and memory is a few dozen bytes a namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include "tulpen/netns.h"
#include "core/ctx_internal.h"

struct tulpen_netns_set {
	struct tulpen_netns *v;
	size_t n, cap;
	size_t *by_inode; /* indexes into v, sorted by inode */
	char *run_dir;
	char *proc_root;
	int containers;
};

/* A process seen in a namespace. */
struct seen {
	uint64_t inode;
	int pid;
};

static int add_entry(struct tulpen_netns_set *set, uint64_t inode,
		     const char *name, const char *path, int pid)
{
	struct tulpen_netns *e;

	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;

		e = realloc(set->v, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		set->v = e;
		set->cap = cap;
	}
	e = &set->v[set->n];
	memset(e, 0, sizeof(*e));
	e->inode = inode;
	e->pid = pid;
	e->name = name ? strdup(name) : NULL;
	e->path = strdup(path);
	if ((name && !e->name) || !e->path) {
		free((char *)e->name);
		free((char *)e->path);
		return -ENOMEM;
	}
	e->index = set->n++;
	return 0;
}

/* The inode of the network namespace file @fd; -EINVAL if it is not one. */
static int netns_inode(int fd, uint64_t *inode)
{
	struct stat st;

	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET || fstat(fd, &st))
		return -EINVAL;
	*inode = (uint64_t)st.st_ino;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct tulpen_netns *)a)->name,
		      ((const struct tulpen_netns *)b)->name);
}

/* The namespaces bind-mounted under the run dir, sorted by name. */
static int scan_named(struct tulpen_netns_set *set)
{
	DIR *d = opendir(set->run_dir);
	struct dirent *e;
	int ret = 0;

	if (!d)
		return 0; /* no run dir: no names */
	while (!ret && (e = readdir(d))) {
		char path[4096];
		uint64_t inode;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", set->run_dir,
				     e->d_name) >= sizeof(path))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* deleted meanwhile */
		/* not mounted (a leftover file): not a namespace */
		if (!netns_inode(fd, &inode))
			ret = add_entry(set, inode, e->d_name, path, 0);
		close(fd);
	}
	closedir(d);
	if (set->n > 1)
		qsort(set->v, set->n, sizeof(*set->v), by_name);
	return ret;
}

static int by_inode_pid(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Parse a decimal directory name as a pid; 0 when it is not one. */
static int pid_name(const char *s)
{
	long v = 0;

	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 4194304)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return (int)v;
}

/* Every process's namespace, sorted by inode and pid. */
static int scan_procs(struct tulpen_ctx *ctx, struct seen **out, size_t *n)
{
	struct seen *v = NULL;
	size_t cap = 0;
	struct dirent *e;
	DIR *d;
	int dfd;

	*n = 0;
	d = opendir(ctx->proc_root);
	if (!d) {
		tulpen_ctx_seterr(ctx, "%s: %s", ctx->proc_root,
				  strerror(errno));
		return -errno;
	}
	dfd = dirfd(d);
	while ((e = readdir(d))) {
		char rel[32];
		struct stat st;
		int pid = pid_name(e->d_name);

		if (pid <= 0)
			continue;
		snprintf(rel, sizeof(rel), "%d/ns/net", pid);
		if (fstatat(dfd, rel, &st, 0))
			continue; /* gone, or not ours to see */
		if (*n == cap) {
			struct seen *p;

			cap = cap ? cap * 2 : 1024;
			p = realloc(v, cap * sizeof(*p));
			if (!p) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = p;
		}
		v[*n].inode = (uint64_t)st.st_ino;
		v[(*n)++].pid = pid;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), by_inode_pid);
	*out = v;
	return 0;
}

static int cmp_index(const void *a, const void *b, void *arg)
{
	const struct tulpen_netns *v = arg;
	uint64_t x = v[*(const size_t *)a].inode;
	uint64_t y = v[*(const size_t *)b].inode;

	return (x > y) - (x < y);
}

static int build_index(struct tulpen_netns_set *set)
{
	size_t *ix =
		realloc(set->by_inode, (set->n ? set->n : 1) * sizeof(*ix));
	size_t i;

	if (!ix)
		return -ENOMEM;
	for (i = 0; i < set->n; i++) {
		ix[i] = i;
		set->v[i].index = i;
	}
	qsort_r(ix, set->n, sizeof(*ix), cmp_index, set->v);
	set->by_inode = ix;
	return 0;
}

const struct tulpen_netns *tulpen_netns_find(const struct tulpen_netns_set *set,
					     uint64_t inode)
{
	size_t lo = 0, hi = set ? set->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct tulpen_netns *e = &set->v[set->by_inode[mid]];

		if (e->inode == inode)
			return e;
		if (e->inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Move the caller's own namespace to the front, keeping the others' order. */
static void self_first(struct tulpen_netns_set *set, size_t i)
{
	struct tulpen_netns self = set->v[i];

	memmove(set->v + 1, set->v, i * sizeof(*set->v));
	set->v[0] = self;
	set->v[0].self = 1;
}

/*
 * Give the named entries their lowest pid, add the namespaces only
 * processes hold, and put the caller's own first.
 */
static int merge(struct tulpen_ctx *ctx, struct tulpen_netns_set *set,
		 const struct seen *s, size_t ns, uint64_t self_ino)
{
	size_t named = set->n, i, k;
	int ret;

	for (i = 0; i < ns; i++) {
		struct tulpen_netns *e = NULL;
		char path[4096];

		if (i && s[i].inode == s[i - 1].inode)
			continue; /* the lowest pid came first */
		for (k = 0; k < named && !e; k++)
			if (set->v[k].inode == s[i].inode)
				e = &set->v[k];
		if (e) {
			e->pid = s[i].pid;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%d/ns/net", ctx->proc_root,
			 s[i].pid);
		ret = add_entry(set, s[i].inode, NULL, path, s[i].pid);
		if (ret)
			return ret;
	}
	/* two names for one namespace: the first name stands for it */
	for (i = 1, k = 1; i < named && named > 1; i++) {
		size_t j;
		int dup = 0;

		for (j = 0; j < k; j++)
			dup |= set->v[j].inode == set->v[i].inode;
		if (dup) {
			free((char *)set->v[i].name);
			free((char *)set->v[i].path);
			continue;
		}
		set->v[k++] = set->v[i];
	}
	if (named > 1) {
		memmove(set->v + k, set->v + named,
			(set->n - named) * sizeof(*set->v));
		set->n -= named - k;
	}
	for (i = 0; i < set->n; i++)
		if (set->v[i].inode == self_ino)
			break;
	if (i < set->n)
		self_first(set, i);
	return build_index(set);
}

static void fill_containers(struct tulpen_ctx *ctx,
			    struct tulpen_netns_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->v[i].pid > 0)
			tulpen_container_of_pid(ctx, set->v[i].pid,
						&set->v[i].container);
}

int tulpen_netns_scan(struct tulpen_ctx *ctx,
		      const struct tulpen_netns_scan_opts *opts,
		      struct tulpen_netns_set **out)
{
	struct tulpen_netns_set *set = calloc(1, sizeof(*set));
	const char *run = opts && opts->run_dir ? opts->run_dir : "/run/netns";
	struct seen *s = NULL;
	uint64_t self_ino = 0;
	size_t ns = 0;
	int ret;

	if (!set)
		return -ENOMEM;
	set->run_dir = strdup(run);
	set->proc_root = strdup(ctx->proc_root);
	set->containers = opts && opts->containers;
	if (!set->run_dir || !set->proc_root) {
		ret = -ENOMEM;
		goto err;
	}
	ret = tulpen_netns_of_pid(ctx, 0, &self_ino);
	if (ret)
		goto err;
	ret = scan_named(set);
	if (!ret)
		ret = scan_procs(ctx, &s, &ns);
	if (!ret)
		ret = merge(ctx, set, s, ns, self_ino);
	free(s);
	if (ret)
		goto err;
	if (set->containers)
		fill_containers(ctx, set);
	*out = set;
	return 0;
err:
	tulpen_netns_set_free(set);
	return ret;
}

void tulpen_netns_set_free(struct tulpen_netns_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->n; i++) {
		free((char *)set->v[i].name);
		free((char *)set->v[i].path);
	}
	free(set->v);
	free(set->by_inode);
	free(set->run_dir);
	free(set->proc_root);
	free(set);
}

size_t tulpen_netns_count(const struct tulpen_netns_set *set)
{
	return set->n;
}

const struct tulpen_netns *tulpen_netns_at(const struct tulpen_netns_set *set,
					   size_t i)
{
	return i < set->n ? &set->v[i] : NULL;
}

int tulpen_netns_of_pid(struct tulpen_ctx *ctx, int pid, uint64_t *inode)
{
	char path[4096];
	struct stat st;

	/* pid 0: the calling thread */
	if (pid)
		snprintf(path, sizeof(path), "%s/%d/ns/net", ctx->proc_root,
			 pid);
	else
		snprintf(path, sizeof(path), "%s/thread-self/ns/net",
			 ctx->proc_root);
	if (stat(path, &st)) {
		int err = -errno;

		tulpen_ctx_seterr(ctx, "%s: %s", path, strerror(errno));
		return err;
	}
	*inode = (uint64_t)st.st_ino;
	return 0;
}

/* What -N SPEC opens: a pid's, a path, or a name under the run dir. */
static int spec_path(const struct tulpen_netns_set *set, const char *spec,
		     char *path, size_t size, int *is_name)
{
	int pid = pid_name(spec);

	*is_name = 0;
	if (!*spec)
		return -EINVAL;
	if (pid > 0)
		return (size_t)snprintf(path, size, "%s/%d/ns/net",
					set->proc_root, pid) < size
			       ? 0
			       : -ENAMETOOLONG;
	if (strchr(spec, '/'))
		return (size_t)snprintf(path, size, "%s", spec) < size
			       ? 0
			       : -ENAMETOOLONG;
	*is_name = 1;
	return (size_t)snprintf(path, size, "%s/%s", set->run_dir, spec) < size
		       ? 0
		       : -ENAMETOOLONG;
}

int tulpen_netns_resolve(struct tulpen_ctx *ctx, struct tulpen_netns_set *set,
			 const char *spec, const struct tulpen_netns **out)
{
	const struct tulpen_netns *e;
	char path[4096];
	uint64_t inode;
	int is_name, fd, ret;

	ret = spec_path(set, spec, path, sizeof(path), &is_name);
	if (ret) {
		tulpen_ctx_seterr(ctx, "bad network namespace '%s'", spec);
		return ret;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = errno == ESRCH ? -ENOENT : -errno;
		tulpen_ctx_seterr(ctx, "network namespace '%s': %s (%s)", spec,
				  strerror(errno), path);
		return ret;
	}
	ret = netns_inode(fd, &inode);
	close(fd);
	if (ret) {
		tulpen_ctx_seterr(ctx, "'%s' is not a network namespace (%s)",
				  spec, path);
		return ret;
	}
	e = tulpen_netns_find(set, inode);
	if (!e) {
		ret = add_entry(set, inode, is_name ? spec : NULL, path, 0);
		if (!ret)
			ret = build_index(set);
		if (ret)
			return ret;
		e = tulpen_netns_find(set, inode);
	}
	*out = e;
	return 0;
}
