// SPDX-License-Identifier: MIT
/*
 * watch_netns.c - a watch session's --netns (-N: a path, a name under
 * /run/netns or a pid): the snapshot, the sampled
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

#include "tulpen/netns.h"
#include "watch/watch_internal.h"

int watch_netns_enter(struct tulpen_watch_session *s)
{
	const char *path = s->o.netns;
	char buf[4096];
	struct stat st;
	int err;

	if (!s->o.netns)
		return 0;
	/* -N NAME or PID, as the lister takes it: the path it names */
	if (!strchr(path, '/') && s->fo.labels) {
		err = tulpen_netns_labels_path(s->fo.labels, path, buf,
					       sizeof(buf));
		if (err)
			return err; /* the context says why */
		path = buf;
	}
	err = tulpen_ctx_set_netns_path(s->ctx, path);
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
