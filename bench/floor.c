// SPDX-License-Identifier: MIT
/*
 * floor.c - the benchmark's floor: the least work that lists every TCP
 * socket. One NETLINK_SOCK_DIAG dump per address family (IPv4, IPv6), all
 * states, no extensions; the answers are received and discarded (only the
 * messages are counted, to check the dump ended with NLMSG_DONE).
 *
 * usage: floor [-1] [-v]
 *   -1  one dump for both families: the older TCPDIAG_GETSOCK request, which
 *       the kernel answers with IPv4 and IPv6 sockets in one walk of its
 *       socket hash (a sock_diag dump per family walks the table twice).
 *       For information; the benchmark's floor is the two-dump form, as ss
 *       asks the kernel.
 *   -v  print the number of sockets on stderr
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floor_recv.h"

static int send_req(int fd, const void *msg, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(fd, msg, len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/* One SOCK_DIAG_BY_FAMILY dump of the TCP sockets of @family. */
static int dump(int fd, int family, unsigned long *count)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	int err;

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nlh.nlmsg_seq = (unsigned)family;
	msg.req.sdiag_family = (unsigned char)family;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_states = ~0u;
	err = send_req(fd, &msg, sizeof(msg));
	return err ? err : receive(fd, count);
}

/* One TCPDIAG_GETSOCK dump: both families in one walk. */
static int dump_compat(int fd, unsigned long *count)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req req;
	} msg;
	int err;

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = TCPDIAG_GETSOCK;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.req.idiag_family = AF_INET;
	msg.req.idiag_states = ~0u;
	err = send_req(fd, &msg, sizeof(msg));
	return err ? err : receive(fd, count);
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int verbose = 0, one = 0, fd, err, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v")) {
			verbose = 1;
		} else if (!strcmp(argv[i], "-1")) {
			one = 1;
		} else {
			fprintf(stderr, "usage: floor [-1] [-v]\n");
			return 2;
		}
	}
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		perror("floor: netlink socket");
		return 1;
	}
	if (one) {
		err = dump_compat(fd, &count);
	} else {
		err = dump(fd, AF_INET, &count);
		if (!err)
			err = dump(fd, AF_INET6, &count);
	}
	close(fd);
	if (err) {
		fprintf(stderr, "floor: sock_diag dump: %s\n", strerror(-err));
		return 1;
	}
	if (verbose)
		fprintf(stderr, "%lu\n", count);
	return 0;
}
