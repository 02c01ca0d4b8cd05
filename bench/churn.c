// SPDX-License-Identifier: MIT
/*
 * churn.c - a TCP connection churn generator for the `tulpen watch`
 * benchmark: many short loopback connections per second.
 *
 * Each of -t threads owns a listener on 127.77.0.(1+i):5000 and loops:
 * connect, accept, client close, server close. Every connection makes the
 * kernel do ten state transitions (client: CLOSED->SYN-SENT->ESTABLISHED->
 * FIN-WAIT-1->FIN-WAIT-2->(time-wait socket); server: LISTEN->SYN-RECEIVED
 * ->ESTABLISHED->CLOSE-WAIT->LAST-ACK->CLOSED), plus the time-wait
 * socket's own FIN-WAIT-2->TIME-WAIT->CLOSED.
 *
 * Run it in a private network namespace (the benchmark script does, and
 * sets a wide port range and tcp_tw_reuse there). Prints one line:
 * "connections N seconds S conn_per_s R transitions_per_s T".
 *
 * With -r RATE the threads together open at most RATE connections per
 * second (paced), to measure a tracer at a fixed load.
 *
 * usage: churn [-t THREADS] [-d SECONDS] [-n CONNECTIONS] [-r RATE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TRANSITIONS_PER_CONN 10
#define MAX_THREADS 64

static atomic_ulong total;
static unsigned long limit; /* 0: run for the duration */
static double deadline;
static double start_time;
static double per_thread_rate; /* 0: as fast as possible */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_for(double s)
{
	struct timespec ts = {
		.tv_sec = (time_t)s,
		.tv_nsec = (long)((s - (double)(time_t)s) * 1e9),
	};

	nanosleep(&ts, NULL);
}

struct worker {
	int idx;
	int err;
};

static void *run(void *arg)
{
	struct worker *w = arg;
	struct sockaddr_in sa;
	unsigned long n = 0;
	int one = 1, l, c, s;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(5000);
	sa.sin_addr.s_addr = htonl(0x7f4d0001u + (uint32_t)w->idx);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 128)) {
		w->err = errno;
		return NULL;
	}
	for (;;) {
		if ((n & 15) == 0) {
			double t = now();

			if (limit && atomic_load(&total) >= limit)
				break;
			if (!limit && t >= deadline)
				break;
			/* Paced: ahead of schedule? sleep it off. */
			if (per_thread_rate > 0) {
				double due = start_time +
					     (double)n / per_thread_rate;

				if (due > t)
					pause_for(due - t);
			}
		}
		c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c < 0) {
			w->err = errno;
			break;
		}
		if (connect(c, (struct sockaddr *)&sa, sizeof(sa))) {
			/* Out of ports for a moment: try again. */
			close(c);
			if (errno == EADDRNOTAVAIL || errno == EAGAIN)
				continue;
			w->err = errno;
			break;
		}
		s = accept(l, NULL, NULL);
		if (s < 0) {
			w->err = errno;
			close(c);
			break;
		}
		close(c);
		close(s);
		n++;
		atomic_fetch_add(&total, 1);
	}
	close(l);
	return NULL;
}

static int parse_num(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || end == s || *end || *out <= 0;
}

int main(int argc, char **argv)
{
	struct worker ws[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	double dur = 10, v, t0, t1, cpu;
	struct rusage ru;
	int nthreads = 4, opt, i, rc = 0;

	double rate = 0;

	while ((opt = getopt(argc, argv, "t:d:n:r:")) != -1) {
		if (opt == '?' || parse_num(optarg, &v)) {
			fprintf(stderr,
				"usage: churn [-t THREADS] "
				"[-d SECONDS] [-n CONNECTIONS] [-r RATE]\n");
			return 2;
		}
		if (opt == 'r')
			rate = v;
		else if (opt == 't')
			nthreads = v > MAX_THREADS ? MAX_THREADS : (int)v;
		else if (opt == 'd')
			dur = v;
		else
			limit = (unsigned long)v;
	}
	t0 = now();
	start_time = t0;
	deadline = t0 + dur;
	per_thread_rate = rate / nthreads;
	for (i = 0; i < nthreads; i++) {
		ws[i].idx = i;
		ws[i].err = 0;
		if (pthread_create(&th[i], NULL, run, &ws[i])) {
			fprintf(stderr, "churn: cannot start threads\n");
			return 1;
		}
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i], NULL);
		if (ws[i].err) {
			fprintf(stderr, "churn: thread %d: %s\n", i,
				strerror(ws[i].err));
			rc = 1;
		}
	}
	t1 = now() - t0;
	/*
	 * Our own CPU (user + system: the kernel's connection work and the
	 * tracepoint programs run in our context) per connection: unlike the
	 * rate, this does not depend on what else the machine runs.
	 */
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("connections %lu seconds %.3f conn_per_s %.0f "
	       "transitions_per_s %.0f cpu_us_per_conn %.2f\n",
	       (unsigned long)atomic_load(&total), t1,
	       (double)atomic_load(&total) / t1,
	       (double)atomic_load(&total) * TRANSITIONS_PER_CONN / t1,
	       atomic_load(&total) ? cpu * 1e6 / (double)atomic_load(&total)
				   : 0.0);
	return rc;
}
