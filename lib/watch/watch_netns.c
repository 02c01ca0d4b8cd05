// SPDX-License-Identifier: MIT
/*
 * watch_netns.c - a watch session's --netns: the snapshot, the sampled
 * source's steps and the re-read after losses ask the watched namespace's
 * socket table through the context's namespace seam (tulpen/ctx.h), which
 * opens the netlink socket there on a helper thread. The eBPF source
 * filters by namespace in the kernel and needs nothing of it afterwards:
 * the session lets go of it then, since holding a namespace keeps it (and
 * its TIME-WAIT sockets) alive after its last process.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "watch/watch_internal.h"

int watch_netns_enter(struct tulpen_watch_session *s)
{
	struct stat st;
	int err;

	if (!s->o.netns)
		return 0;
	err = tulpen_ctx_set_netns_path(s->ctx, s->o.netns);
	if (!err && fstat(tulpen_ctx_netns_fd(s->ctx), &st))
		err = -errno;
	if (err) {
		tulpen_ctx_seterr(s->ctx, "--netns %s: %s", s->o.netns,
				  strerror(-err));
		return err;
	}
	s->netns = (uint32_t)st.st_ino;
	return 0;
}

void watch_netns_leave(struct tulpen_watch_session *s)
{
	if (s->o.netns)
		tulpen_ctx_set_netns_fd(s->ctx, -1);
}
