/* SPDX-License-Identifier: MIT */
/*
 * floor_recv.h - the receive loop of the floor benchmarks (floor.c,
 * floor_filter.c): count the messages of one sock_diag dump, nothing else.
 */
#ifndef TULPEN_BENCH_FLOOR_RECV_H
#define TULPEN_BENCH_FLOOR_RECV_H

#include <errno.h>
#include <linux/netlink.h>
#include <sys/socket.h>

/* The kernel fills at most about 32 KiB per read of a dump. */
static char buf[64 * 1024] __attribute__((aligned(8)));

static int receive(int fd, unsigned long *count)
{
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -EIO;
			}
			(*count)++;
		}
	}
}

#endif /* TULPEN_BENCH_FLOOR_RECV_H */
