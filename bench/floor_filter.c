// SPDX-License-Identifier: MIT
/*
 * floor_filter.c - the floor of a filtered listing: the least work that
 * lists the TCP sockets with remote port PORT. The kernel runs the
 * bytecode of `dport = :PORT` (one D_COND host condition, as ss and tulpen
 * send it) over its socket tables; the answers are received and discarded
 * (only counted, to check the dump ended with NLMSG_DONE).
 *
 * usage: floor_filter [-1] [-p] [-v] PORT
 *   -1  one dump for both families (TCPDIAG_GETSOCK, as tulpen asks);
 *       without it one SOCK_DIAG_BY_FAMILY dump per family, as ss asks
 *   -p  also put PORT into the request's socket id (idiag_dport), as
 *       tulpen does: the kernel skips other sockets before the bytecode
 *   -v  print the number of sockets on stderr
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floor_recv.h"

struct prog {
	struct nlattr nla;
	struct inet_diag_bc_op op;
	struct inet_diag_hostcond cond;
	unsigned char addr[4];
};

static void fill_prog(struct prog *p, int port)
{
	memset(p, 0, sizeof(*p));
	p->nla.nla_len = sizeof(*p);
	p->nla.nla_type = INET_DIAG_REQ_BYTECODE;
	p->op.code = INET_DIAG_BC_D_COND;
	p->op.yes = sizeof(p->op) + sizeof(p->cond) + 4;
	p->op.no = p->op.yes + 4;
	p->cond.family = AF_UNSPEC;
	p->cond.port = port;
}

static int dump(int fd, int family, int any, int port, int pre,
		unsigned long *count)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr nlh;
		union {
			struct inet_diag_req_v2 v2;
			struct inet_diag_req old;
		} r;
		struct prog prog;
	} msg;
	size_t rlen = any ? sizeof(msg.r.old) : sizeof(msg.r.v2);
	char *p = (char *)&msg;

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_type = any ? TCPDIAG_GETSOCK : SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nlh.nlmsg_seq = (unsigned)family;
	if (any) {
		msg.r.old.idiag_family = AF_INET;
		msg.r.old.idiag_states = ~0u;
		if (pre)
			msg.r.old.id.idiag_dport = htons((unsigned short)port);
	} else {
		if (pre)
			msg.r.v2.id.idiag_dport = htons((unsigned short)port);
		msg.r.v2.sdiag_family = (unsigned char)family;
		msg.r.v2.sdiag_protocol = IPPROTO_TCP;
		msg.r.v2.idiag_states = ~0u;
	}
	/* the attribute right after the request, wherever that ends */
	fill_prog((struct prog *)(void *)(p + NLMSG_HDRLEN + NLMSG_ALIGN(rlen)),
		  port);
	msg.nlh.nlmsg_len =
		NLMSG_HDRLEN + NLMSG_ALIGN(rlen) + sizeof(struct prog);
	if (sendto(fd, &msg, msg.nlh.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	return receive(fd, count);
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int one = 0, pre = 0, verbose = 0, fd, err, c, port;
	int rcvbuf = 4 * 1024 * 1024;
	char *end;

	while ((c = getopt(argc, argv, "1pv")) != -1) {
		if (c == '1')
			one = 1;
		else if (c == 'p')
			pre = 1;
		else if (c == 'v')
			verbose = 1;
		else
			return 2;
	}
	if (optind != argc - 1)
		return 2;
	port = (int)strtol(argv[optind], &end, 10);
	if (*end || port < 0 || port > 65535)
		return 2;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		perror("floor_filter: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	err = one ? dump(fd, AF_INET, 1, port, pre, &count)
		  : dump(fd, AF_INET, 0, port, pre, &count);
	if (!err && !one)
		err = dump(fd, AF_INET6, 0, port, pre, &count);
	if (err) {
		fprintf(stderr, "floor_filter: %s\n", strerror(-err));
		return 1;
	}
	if (verbose)
		fprintf(stderr, "%lu sockets\n", count);
	close(fd);
	return 0;
}
