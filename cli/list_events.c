// SPDX-License-Identifier: MIT
/*
 * list_events.c - `tulpen -E [FILTER]`: each TCP and UDP socket as the
 * kernel destroys it (tulpen/sock_events.h), as ss -E, until interrupted:
 * in the caller's network namespace, the one -N names, or with
 * --all-netns in every namespace found at start, each event labelled with
 * its namespace.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/container.h"
#include "tulpen/sock_events.h"
#include "tulpen/state.h"
#include "cli_util.h"
#include "list_kill.h"

static volatile sig_atomic_t stop_events;

static void on_signal(int sig)
{
	(void)sig;
	stop_events = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/*
 * One namespace's subscription; @ns NULL: the context's own, unlabelled.
 * With --all-netns a namespace gone since the scan is skipped quietly, as
 * the listing's walk skips it.
 */
struct ev_src {
	struct tulpen_ctx *ctx; /* owned, but for the caller's (own 0) */
	int own;
	struct tulpen_sock_events *e;
	const struct tulpen_netns *ns;
	tulpen_sock_cb print;
	void *data;
};

/* The event with its namespace's labels, as the listing's walk sets them. */
static int labelled(const struct tulpen_sock *s, void *data)
{
	struct ev_src *src = data;
	struct tulpen_sock c;

	if (!src->ns)
		return src->print(s, src->data);
	c = *s;
	c.netns_ino = src->ns->inode;
	c.netns_name = src->ns->name;
	c.container = tulpen_container_known(&src->ns->container)
			      ? &src->ns->container
			      : NULL;
	return src->print(&c, src->data);
}

static int open_error(const struct tulpen_netns *ns, int ret)
{
	char where[96] = "";

	if (ns && ns->name)
		snprintf(where, sizeof(where), " (network namespace %s)",
			 ns->name);
	else if (ns)
		snprintf(where, sizeof(where), " (network namespace %llu)",
			 (unsigned long long)ns->inode);
	if (ret == -EPROTONOSUPPORT)
		return cli_usage_error(NULL,
				       "-E: the kernel reports the end of "
				       "TCP and UDP sockets only");
	return cli_error(NULL, "-E: sock_diag destroy groups%s: %s%s", where,
			 strerror(-ret),
			 ret == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
}

/* Subscribe in namespace @ns (a context of its own) or, NULL, in @ctx's. */
static int open_src(struct ev_src *src, struct tulpen_ctx *ctx,
		    const struct tulpen_netns *ns, const struct tulpen_query *q)
{
	int ret;

	src->ns = ns;
	src->own = 0;
	src->ctx = ctx;
	if (ns) {
		src->ctx = NULL;
		ret = tulpen_ctx_new(&src->ctx);
		if (ret)
			return ret;
		src->own = 1;
		ret = tulpen_ctx_set_netns_path(src->ctx, ns->path);
		if (ret)
			return ret;
	}
	return tulpen_sock_events_open(src->ctx, q, &src->e);
}

/* Source @k's subscription and context; the slot is then free again. */
static void close_src(struct ev_src *srcs, size_t k)
{
	tulpen_sock_events_free(srcs[k].e);
	if (srcs[k].own)
		tulpen_ctx_free(srcs[k].ctx);
	memset(&srcs[k], 0, sizeof(srcs[k]));
}

static void close_srcs(struct ev_src *srcs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close_src(srcs, i);
	free(srcs);
}

/* Events until interrupted: each source's, each flushed as it comes. */
static int pump(struct ev_src *srcs, size_t n, struct pollfd *pfd,
		int (*flush)(void *data), void *data)
{
	size_t i;
	int ret = 0;

	while (!stop_events) {
		if (poll(pfd, n, 200) < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n && ret >= 0; i++)
			ret = tulpen_sock_events_read(srcs[i].e, labelled,
						      &srcs[i]);
		if (ret < 0)
			return ret;
		ret = flush(data);
		if (ret)
			return ret;
	}
	return 0;
}

int list_events(struct tulpen_ctx *ctx, const struct list_opts *o,
		const struct list_netns *ln, tulpen_sock_cb print,
		int (*flush)(void *data), void *data)
{
	struct tulpen_query q = o->q;
	size_t n = o->all_netns ? tulpen_netns_count(ln->set) : 1, i, k;
	struct ev_src *srcs = calloc(n, sizeof(*srcs));
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	uint64_t lost = 0;
	int ret = 0;

	if (!srcs || !pfd) {
		free(srcs);
		free(pfd);
		return cli_error(NULL, "-E: %s", strerror(ENOMEM));
	}
	/* a destroyed socket is CLOSED: every state unless states are given */
	if (!o->have_filter)
		q.states = TULPEN_SF_ALL;
	for (i = k = 0; i < n; i++) {
		const struct tulpen_netns *ns =
			o->all_netns ? tulpen_netns_at(ln->set, i)
			: ln->active ? ln->only
				     : NULL;

		srcs[k].print = print;
		srcs[k].data = data;
		ret = open_src(&srcs[k++], ctx, ns, &q);
		if (ret && o->all_netns && (ret == -ENOENT || ret == -ESRCH)) {
			close_src(srcs, --k); /* gone since the scan */
			continue;
		}
		if (ret) {
			ret = open_error(ns, ret);
			goto out;
		}
		pfd[k - 1].fd = tulpen_sock_events_fd(srcs[k - 1].e);
		pfd[k - 1].events = POLLIN;
	}
	n = k;
	catch_signals();
	ret = pump(srcs, n, pfd, flush, data);
	for (i = 0; i < n; i++)
		lost += tulpen_sock_events_lost(srcs[i].e);
	if (lost)
		cli_error(NULL,
			  "-E: the kernel dropped events %llu times "
			  "(not read in time)",
			  (unsigned long long)lost);
	ret = ret < 0 && ret != -EPIPE
		      ? cli_error(NULL, "-E: %s", strerror(-ret))
		      : 0;
out:
	close_srcs(srcs, k);
	free(pfd);
	return ret;
}
