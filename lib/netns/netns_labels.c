// SPDX-License-Identifier: MIT
/*
 * netns_labels.c - namespace and container labels for records that come
 * one at a time (tulpen watch's events): a set of namespaces scanned again
 * when an unknown one shows up, and a cache of processes' containers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tulpen/netns.h"
#include "core/hash.h"

#define RESCAN_NS 1000000000ll	 /* an unknown namespace: once a second */
#define PID_TTL_NS 10000000000ll /* a process's container: ten seconds */
#define MAX_PIDS 4096		 /* cached processes at most */

struct pid_label {
	int64_t read_ns;
	int known;
	struct tulpen_container c;
};

struct tulpen_netns_labels {
	struct tulpen_ctx *ctx;
	struct tulpen_netns_set *set;
	int64_t scanned_ns;
	struct tulpen_hash pids; /* int32_t pid -> struct pid_label */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int rescan(struct tulpen_netns_labels *l)
{
	struct tulpen_netns_scan_opts so = { .containers = 1 };
	struct tulpen_netns_set *set;
	int ret;

	l->scanned_ns = now_ns();
	ret = tulpen_netns_scan(l->ctx, &so, &set);
	if (ret)
		return ret;
	tulpen_netns_set_free(l->set);
	l->set = set;
	return 0;
}

int tulpen_netns_labels_new(struct tulpen_ctx *ctx,
			    struct tulpen_netns_labels **out)
{
	struct tulpen_netns_labels *l = calloc(1, sizeof(*l));
	int ret;

	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->ctx = ctx;
	ret = TULPEN_HASH_INIT(&l->pids, int32_t, struct pid_label, NULL);
	if (!ret)
		ret = rescan(l);
	if (ret) {
		tulpen_netns_labels_free(l);
		return ret;
	}
	*out = l;
	return 0;
}

void tulpen_netns_labels_free(struct tulpen_netns_labels *l)
{
	if (!l)
		return;
	tulpen_netns_set_free(l->set);
	tulpen_hash_fini(&l->pids);
	free(l);
}

static const struct tulpen_container *of_pid(struct tulpen_netns_labels *l,
					     int32_t pid)
{
	struct pid_label *v;
	int64_t now = now_ns();
	int ret;

	v = tulpen_hash_find(&l->pids, &pid);
	if (!v) {
		if (l->pids.used >= MAX_PIDS)
			tulpen_hash_clear(&l->pids);
		ret = tulpen_hash_insert(&l->pids, &pid, (void **)&v);
		if (ret < 0)
			return NULL;
		v->read_ns = now - PID_TTL_NS - 1;
	}
	if (now - v->read_ns > PID_TTL_NS) {
		v->read_ns = now;
		v->known = !tulpen_container_of_pid(l->ctx, pid, &v->c) &&
			   tulpen_container_known(&v->c);
	}
	return v->known ? &v->c : NULL;
}

int tulpen_netns_labels_get(struct tulpen_netns_labels *l, uint64_t inode,
			    int32_t pid, const char **name,
			    const struct tulpen_container **container)
{
	const struct tulpen_netns *ns = NULL;
	int ret = 0;

	*name = NULL;
	*container = NULL;
	if (inode) {
		ns = tulpen_netns_find(l->set, inode);
		if (!ns && now_ns() - l->scanned_ns > RESCAN_NS) {
			ret = rescan(l);
			ns = tulpen_netns_find(l->set, inode);
		}
	}
	if (pid > 0)
		*container = of_pid(l, pid);
	if (ns) {
		*name = ns->name;
		if (!*container && tulpen_container_known(&ns->container))
			*container = &ns->container;
	}
	return ret == -ENOMEM ? ret : 0;
}

int tulpen_netns_labels_path(struct tulpen_netns_labels *l, const char *spec,
			     char *path, size_t size)
{
	const struct tulpen_netns *ns;
	int ret = tulpen_netns_resolve(l->ctx, l->set, spec, &ns);

	if (ret)
		return ret;
	if ((size_t)snprintf(path, size, "%s", ns->path) >= size)
		return -ENAMETOOLONG;
	return 0;
}
