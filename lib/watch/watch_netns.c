// SPDX-License-Identifier: MIT
/*
 * watch_netns.c - running part of a watch session inside the network
 * namespace it watches (--netns): the snapshot, the sampled source's
 * steps and the reconcile after losses ask that namespace's socket table.
 * The calling thread enters the namespace for the call only and is back
 * in its own when it returns, so nothing outlives the call but what the
 * callee keeps (the context's netlink socket, which the session closes
 * when it must not hold the namespace alive).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "watch/watch_internal.h"

int watch_netns_open(struct tulpen_ctx *ctx, const char *path, int *fd,
		     uint32_t *inode)
{
	struct stat st;
	int err;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &st)) {
		err = -errno;
		tulpen_ctx_seterr(ctx, "--netns %s: %s", path, strerror(-err));
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return err;
	}
	*inode = (uint32_t)st.st_ino;
	return 0;
}

int watch_netns_call(struct tulpen_ctx *ctx, int nsfd, int (*fn)(void *),
		     void *arg)
{
	int home, ret, err;

	if (nsfd < 0)
		return fn(arg);
	home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0) {
		err = -errno;
		tulpen_ctx_seterr(ctx,
				  "network namespace: cannot open our "
				  "own: %s",
				  strerror(-err));
		return err;
	}
	if (setns(nsfd, CLONE_NEWNET)) {
		err = -errno;
		tulpen_ctx_seterr(ctx, "--netns: cannot enter it: %s",
				  strerror(-err));
		close(home);
		return err;
	}
	ret = fn(arg);
	if (setns(home, CLONE_NEWNET)) {
		err = -errno;
		tulpen_ctx_seterr(ctx,
				  "--netns: cannot go back to our own "
				  "network namespace: %s",
				  strerror(-err));
		ret = err;
	}
	close(home);
	return ret;
}
