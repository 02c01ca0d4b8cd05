// SPDX-License-Identifier: MIT
/*
 * list_events.c - `tulpen -E [FILTER]`: each TCP and UDP socket as the
 * kernel destroys it (tulpen/sock_events.h), as ss -E, until interrupted.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

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

int list_events(struct tulpen_ctx *ctx, const struct list_opts *o,
		tulpen_sock_cb print, int (*flush)(void *data), void *data)
{
	struct tulpen_query q = o->q;
	struct tulpen_sock_events *e;
	struct pollfd pfd;
	int ret;

	/* a destroyed socket is CLOSED: every state unless states are given */
	if (!o->have_filter)
		q.states = TULPEN_SF_ALL;
	ret = tulpen_sock_events_open(ctx, &q, &e);
	if (ret == -EPROTONOSUPPORT)
		return cli_usage_error(NULL,
				       "-E: the kernel reports the end of "
				       "TCP and UDP sockets only");
	if (ret)
		return cli_error(NULL, "-E: sock_diag destroy groups: %s%s",
				 strerror(-ret),
				 ret == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	catch_signals();
	pfd.fd = tulpen_sock_events_fd(e);
	pfd.events = POLLIN;
	while (!stop_events) {
		if (poll(&pfd, 1, 200) < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		ret = tulpen_sock_events_read(e, print, data);
		if (ret < 0)
			break;
		ret = flush(data); /* each event out as it comes */
		if (ret)
			break;
	}
	if (tulpen_sock_events_lost(e))
		cli_error(NULL,
			  "-E: the kernel dropped events %llu times "
			  "(not read in time)",
			  (unsigned long long)tulpen_sock_events_lost(e));
	tulpen_sock_events_free(e);
	if (ret < 0 && ret != -EPIPE)
		return cli_error(NULL, "-E: %s", strerror(-ret));
	return 0;
}
