/* SPDX-License-Identifier: MIT */
/*
 * population.h - what population.c and population_churn.c share: the
 * layout of the population (ports, limits), the report a child sends its
 * parent, and the socket helpers.
 */
#ifndef TULPEN_BENCH_POPULATION_H
#define TULPEN_BENCH_POPULATION_H

#include <netinet/in.h>
#include <sys/socket.h>

#define BACKLOG 4096
#define BATCH 256	   /* connects per listener before accepting */
#define FD_SLACK 32	   /* fds a worker keeps free */
#define V6_PORT_BASE 30000 /* client ports of the ::1 connections */
#define V6_MAX 30000
#define LPORT_BASE 100 /* listener ports */
#define LPORT_MAX 900

struct report {

	int worker;
	int err;
	char text[200];
};

/* The pipe a child reports on (-1: stderr). */
extern int report_fd;

/* A child's fatal error: reported to the parent, then _exit(1). */
void die_child(int worker, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void sin4(struct sockaddr_in *a, unsigned b, unsigned c, unsigned d,
	  unsigned port);
int tcp_listener(const struct sockaddr *a, socklen_t len);
int tcp_client(const struct sockaddr *src, socklen_t slen,
	       const struct sockaddr *dst, socklen_t dlen);

/* Hold what was built until killed. */
void hold_forever(void) __attribute__((noreturn));

/* The TIME-WAIT keeper (never returns) and the churn process. */
void tw_keeper(unsigned long t, int once, int ready_fd);
void churn(unsigned long pool, unsigned long rate);

#endif /* TULPEN_BENCH_POPULATION_H */
