// SPDX-License-Identifier: MIT
/*
 * destroy.c - SOCK_DESTROY requests in batches (tulpen/destroy.h).
 *
 * ss sends one request and waits for its answer per socket. Here up to
 * BATCH requests go out in one datagram (the kernel handles every message
 * of it in turn) and their acknowledgements, capped to the header by
 * NETLINK_CAP_ACK, are read back in one or a few receives.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "collect/nl_dump.h"
#include "tulpen/destroy.h"
#include "tulpen/skmem.h"
#include "tulpen/tcp_info.h"
#include "core/ctx_internal.h"

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define BATCH 256
#define REQ_LEN NLMSG_ALIGN(NLMSG_LENGTH(sizeof(struct inet_diag_req_v2)))

struct pending {
	struct tulpen_sock s;
	struct tulpen_tcp_info ti;
	struct tulpen_skmem sm;
	int done;
};

struct tulpen_destroyer {
	int fd;
	unsigned int seq; /* of the first request of the batch */
	unsigned int n;	  /* queued */
	tulpen_destroy_cb cb;
	void *data;
	struct pending q[BATCH];
	char req[BATCH * REQ_LEN];
	char ack[64 * 1024];
};

/* Runs in the context's network namespace. */
static int open_fd(void *arg)
{
	int *fd = arg, one = 1, size = 1 << 20;

	*fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (*fd < 0)
		return -errno;
	setsockopt(*fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return 0;
}

int tulpen_destroyer_new(struct tulpen_ctx *ctx, tulpen_destroy_cb cb,
			 void *data, struct tulpen_destroyer **out)
{
	struct tulpen_destroyer *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return -ENOMEM;
	d->fd = -1;
	ret = tulpen_ctx_in_netns(ctx, open_fd, &d->fd);
	if (ret) {
		if (d->fd >= 0)
			close(d->fd);
		free(d);
		return ret;
	}
	d->cb = cb;
	d->data = data;
	d->seq = 1;
	*out = d;
	return 0;
}

void tulpen_destroyer_free(struct tulpen_destroyer *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

/* What SOCK_DESTROY takes: the kernel's tcp, udp and raw diag handlers. */
static int destroyable(int proto)
{
	return proto == TULPEN_P_TCP || proto == TULPEN_P_UDP ||
	       proto == TULPEN_P_UDPLITE || proto == TULPEN_P_RAW;
}

/* Request @i of the batch for socket @s. */
static void put_request(struct tulpen_destroyer *d, unsigned int i,
			const struct tulpen_sock *s)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(d->req + i * REQ_LEN);
	struct inet_diag_req_v2 *r;
	size_t alen = s->family == AF_INET ? 4 : 16;

	memset(nlh, 0, REQ_LEN);
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*r));
	nlh->nlmsg_type = SOCK_DESTROY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = d->seq + i;
	r = NLMSG_DATA(nlh);
	r->sdiag_family = s->family;
	r->sdiag_protocol = (uint8_t)tulpen_diag_ip_proto(s->proto);
	if (s->proto == TULPEN_P_RAW)
		r->pad = (uint8_t)s->raw_proto; /* sdiag_raw_protocol */
	r->idiag_states = ~0u;
	r->id.idiag_sport = htons(s->local.port);
	r->id.idiag_dport = htons(s->peer.port);
	memcpy(r->id.idiag_src, s->local.addr.raw, alen);
	memcpy(r->id.idiag_dst, s->peer.addr.raw, alen);
	r->id.idiag_if = s->ifindex;
	if (s->has_cookie) {
		r->id.idiag_cookie[0] = (uint32_t)s->cookie;
		r->id.idiag_cookie[1] = (uint32_t)(s->cookie >> 32);
	} else {
		r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
		r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	}
}

/* Hand the answer of request @i to the callback. */
static int answer(struct tulpen_destroyer *d, unsigned int i, int err)
{
	struct pending *p = &d->q[i];

	if (p->done)
		return 0;
	p->done = 1;
	return d->cb(&p->s, err, d->data);
}

/* The acknowledgements in one datagram; *@left counts those still due. */
static int read_acks(struct tulpen_destroyer *d, ssize_t n, unsigned int *left,
		     int *stop)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)d->ack;
	int len = (int)n;

	for (; len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len;
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		const struct nlmsgerr *e = NLMSG_DATA(nlh);
		unsigned int i = nlh->nlmsg_seq - d->seq;

		if (nlh->nlmsg_type != NLMSG_ERROR || i >= d->n ||
		    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || d->q[i].done)
			continue;
		(*left)--;
		if (!*stop)
			*stop = answer(d, i,
				       e->error > 0 ? -e->error : e->error);
		else
			d->q[i].done = 1;
	}
	return 0;
}

int tulpen_destroyer_flush(struct tulpen_destroyer *d)
{
	unsigned int left = d->n, i;
	int stop = 0;
	ssize_t n;

	if (!d->n)
		return 0;
	do {
		n = send(d->fd, d->req, d->n * REQ_LEN, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = -errno;

		d->n = 0;
		return err;
	}
	while (left) {
		n = recv(d->fd, d->ack, sizeof(d->ack), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* ENOBUFS: answers lost, below */
		read_acks(d, n, &left, &stop);
	}
	for (i = 0; i < d->n && !stop; i++)
		stop = answer(d, i, -EIO); /* no answer came */
	d->seq += BATCH;
	d->n = 0;
	return stop;
}

int tulpen_destroyer_add(struct tulpen_destroyer *d,
			 const struct tulpen_sock *s)
{
	struct pending *p;

	if (!tulpen_sock_is_inet(s) || !destroyable(s->proto))
		return d->cb(s, -EOPNOTSUPP, d->data);
	p = &d->q[d->n];
	p->s = *s;
	p->done = 0;
	if (s->tcp_info) {
		p->ti = *s->tcp_info;
		p->s.tcp_info = &p->ti;
	}
	if (s->skmem) {
		p->sm = *s->skmem;
		p->s.skmem = &p->sm;
	}
	p->s.unix_path = NULL;
	put_request(d, d->n, s);
	if (++d->n < BATCH)
		return 0;
	return tulpen_destroyer_flush(d);
}
