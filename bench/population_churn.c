// SPDX-License-Identifier: MIT
/*
 * population_churn.c - the population's moving parts: the keeper that
 * holds about T TIME-WAIT sockets by re-creating them, and the churn
 * process that keeps opening and closing connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "population.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Source address number k (1..) in 127.B.x.y. */
static void src_k(struct sockaddr_in *a, unsigned b, unsigned long k)
{
	k = k % 65000 + 1;
	sin4(a, b, k >> 8, k & 255, 0);
}

/*
 * One connection whose client closes first: the client end goes to
 * TIME-WAIT, the server end closes. Returns 0 or a negative errno.
 */
static int make_tw(int lfd, const struct sockaddr_in *dst, unsigned long k)
{
	struct sockaddr_in src;
	int c, a;

	src_k(&src, 3, k);
	c = tcp_client((struct sockaddr *)&src, sizeof(src),
		       (const struct sockaddr *)dst, sizeof(*dst));
	if (c < 0)
		return c;
	a = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (a < 0) {
		int err = -errno;

		close(c);
		return err;
	}
	close(c);
	close(a);
	return 0;
}

/* TIME-WAIT keeper: T at once, then T per 60 s (TIME-WAIT lasts 60 s). */
void tw_keeper(unsigned long t, int once, int ready_fd)
{
	struct sockaddr_in dst;
	unsigned long k = 0, i;
	double rate = t / 60.0, owed = 0, last;
	struct report r = { .worker = -1 };
	int lfd;

	sin4(&dst, 2, 0, 1, LPORT_BASE);
	lfd = tcp_listener((struct sockaddr *)&dst, sizeof(dst));
	if (lfd < 0)
		die_child(-1, -lfd, "time-wait keeper: listen");
	for (i = 0; i < t; i++) {
		int err = make_tw(lfd, &dst, k++);

		if (err < 0)
			die_child(-1, -err, "time-wait keeper: connection %lu",
				  i);
	}
	if (write(ready_fd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	close(ready_fd);
	report_fd = -1;
	if (once)
		hold_forever();
	last = now();
	for (;;) {
		double t1;

		sleep_s(0.1);
		t1 = now();
		owed += (t1 - last) * rate;
		last = t1;
		while (owed >= 1) {
			/* a clash with a lingering tuple: just skip it */
			make_tw(lfd, &dst, k++);
			owed -= 1;
		}
	}
}

struct churn_conn {
	int c, a;
	int half; /* client already shut down writing */
};

static int churn_open(int lfd, const struct sockaddr_in *dst, unsigned long k,
		      struct churn_conn *cc)
{
	struct sockaddr_in src;

	src_k(&src, 7, k);
	cc->c = tcp_client((struct sockaddr *)&src, sizeof(src),
			   (const struct sockaddr *)dst, sizeof(*dst));
	if (cc->c < 0)
		return cc->c;
	cc->a = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (cc->a < 0) {
		int err = -errno;

		close(cc->c);
		cc->c = -1;
		return err;
	}
	cc->half = 0;
	return 0;
}

static void churn_close(struct churn_conn *cc, unsigned r)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (cc->c < 0)
		return;
	switch (r % 5) {
	case 0: /* client first: client TIME-WAIT */
		close(cc->c);
		close(cc->a);
		break;
	case 1: /* server first: server TIME-WAIT */
		close(cc->a);
		close(cc->c);
		break;
	case 2: /* reset */
		setsockopt(cc->c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(cc->c);
		close(cc->a);
		break;
	case 3: /* client half-closes first: FIN-WAIT-2 / CLOSE-WAIT */
		if (!cc->half) {
			shutdown(cc->c, SHUT_WR);
			cc->half = 1;
			return;
		}
		close(cc->a);
		close(cc->c);
		break;
	default: /* server leaves the client in CLOSE-WAIT for a while */
		if (!cc->half) {
			shutdown(cc->a, SHUT_WR);
			cc->half = 1;
			return;
		}
		close(cc->c);
		close(cc->a);
		break;
	}
	cc->c = cc->a = -1;
}

/* Churn: a pool of connections, one slot changed per operation. */
void churn(unsigned long pool, unsigned long rate)
{
	struct sockaddr_in dst;
	struct churn_conn *cc;
	unsigned long k = 0, ops = 0;
	unsigned seed = (unsigned)getpid();
	double t0;
	int lfd;

	cc = calloc(pool, sizeof(*cc));
	if (!cc)
		_exit(1);
	sin4(&dst, 6, 0, 1, LPORT_BASE);
	lfd = tcp_listener((struct sockaddr *)&dst, sizeof(dst));
	if (lfd < 0)
		_exit(1);
	for (k = 0; k < pool; k++)
		if (churn_open(lfd, &dst, k, &cc[k]) < 0)
			cc[k].c = cc[k].a = -1;
	t0 = now();
	for (;;) {
		unsigned long s = (unsigned long)rand_r(&seed) % pool;
		unsigned r = (unsigned)rand_r(&seed);

		if (cc[s].c >= 0) {
			churn_close(&cc[s], r);
			if (cc[s].c >= 0)
				goto pace; /* half-closed, stays a while */
		}
		if (churn_open(lfd, &dst, k++, &cc[s]) < 0)
			cc[s].c = cc[s].a = -1;
	pace:
		ops++;
		if (rate && ops % 64 == 0)
			sleep_s(t0 + (double)ops / rate - now());
	}
}
