// SPDX-License-Identifier: MIT
/*
 * sock_events.c - the sock_diag destroy multicast groups
 * (tulpen/sock_events.h): one NETLINK_SOCK_DIAG socket subscribed to the
 * groups the query's protocols and families need, read without blocking.
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

#include "tulpen/filter.h"
#include "tulpen/sock_events.h"
#include "tulpen/state.h"
#include "core/ctx_internal.h"
#include "collect/nl_dump.h"

struct tulpen_sock_events {
	int fd;
	int lookup_fd; /* exact requests; -1 until the first */
	unsigned int seq;
	struct tulpen_ctx *ctx;
	const struct tulpen_query *q;
	uint64_t lost;
	struct tulpen_diag_store st;
	char buf[64 * 1024];
};

struct open_arg {
	int fd;
	unsigned int groups[4];
	int ngroups;
};

/* Runs in the context's network namespace. */
static int open_sub(void *p)
{
	struct open_arg *a = p;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int i, size = 4 << 20;

	a->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       NETLINK_SOCK_DIAG);
	if (a->fd < 0)
		return -errno;
	setsockopt(a->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* a port id of our own: the kernel skips port 0 in broadcasts */
	if (bind(a->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	for (i = 0; i < a->ngroups; i++)
		if (setsockopt(a->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			       &a->groups[i], sizeof(a->groups[i])))
			return -errno;
	return 0;
}

/* The groups of the protocols and families asked for. */
static int pick_groups(const struct tulpen_query *q, struct open_arg *a)
{
	int tcp = !!(q->protos & TULPEN_PF(TULPEN_P_TCP));
	int udp = !!(q->protos & TULPEN_PF(TULPEN_P_UDP));

	a->ngroups = 0;
	if (q->families & TULPEN_FAM_INET) {
		if (tcp)
			a->groups[a->ngroups++] = SKNLGRP_INET_TCP_DESTROY;
		if (udp)
			a->groups[a->ngroups++] = SKNLGRP_INET_UDP_DESTROY;
	}
	if (q->families & TULPEN_FAM_INET6) {
		if (tcp)
			a->groups[a->ngroups++] = SKNLGRP_INET6_TCP_DESTROY;
		if (udp)
			a->groups[a->ngroups++] = SKNLGRP_INET6_UDP_DESTROY;
	}
	return a->ngroups;
}

int tulpen_sock_events_open(struct tulpen_ctx *ctx,
			    const struct tulpen_query *q,
			    struct tulpen_sock_events **out)
{
	struct open_arg a = { .fd = -1 };
	struct tulpen_sock_events *e;
	int ret;

	if (!pick_groups(q, &a))
		return -EPROTONOSUPPORT;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	ret = tulpen_ctx_in_netns(ctx, open_sub, &a);
	if (ret) {
		if (a.fd >= 0)
			close(a.fd);
		free(e);
		return ret;
	}
	e->fd = a.fd;
	e->lookup_fd = -1;
	e->ctx = ctx;
	e->q = q;
	*out = e;
	return 0;
}

void tulpen_sock_events_free(struct tulpen_sock_events *e)
{
	if (!e)
		return;
	close(e->fd);
	if (e->lookup_fd >= 0)
		close(e->lookup_fd);
	free(e);
}

int tulpen_sock_events_fd(const struct tulpen_sock_events *e)
{
	return e->fd;
}

uint64_t tulpen_sock_events_lost(const struct tulpen_sock_events *e)
{
	return e->lost;
}

static uint32_t fam_bit(int family)
{
	return family == AF_INET ? TULPEN_FAM_INET : TULPEN_FAM_INET6;
}

/* INET_DIAG_PROTOCOL says whose socket it was. */
static int proto_cb(const struct nlattr *attr, void *data)
{
	int *proto = data;

	if (mnl_attr_get_type(attr) == INET_DIAG_PROTOCOL &&
	    mnl_attr_get_payload_len(attr) >= 1) {
		switch (mnl_attr_get_u8(attr)) {
		case IPPROTO_TCP:
			*proto = TULPEN_P_TCP;
			break;
		case IPPROTO_UDP:
			*proto = TULPEN_P_UDP;
			break;
		case IPPROTO_UDPLITE:
			*proto = TULPEN_P_UDPLITE;
			break;
		}
	}
	return MNL_CB_OK;
}

int tulpen_sock_event_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s,
			    struct tulpen_diag_store *st)
{
	int proto = -1;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(struct inet_diag_msg), proto_cb,
			   &proto) < 0 ||
	    proto < 0)
		return -EBADMSG;
	return tulpen_inet_diag_parse_ext(nlh, proto, s, st);
}

/* One datagram's events to @cb; the callback's value. */
static int walk(struct tulpen_sock_events *e, ssize_t n, tulpen_sock_cb cb,
		void *data, int *count)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)e->buf;
	int len = (int)n, ret;
	struct tulpen_sock s;

	for (; len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len;
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (tulpen_sock_event_parse(nlh, &s, &e->st))
			continue;
		(*count)++;
		if (!(e->q->protos & TULPEN_PF(s.proto)) ||
		    !(e->q->states & TULPEN_SF(s.state)) ||
		    !(e->q->families & fam_bit(s.family)) ||
		    !tulpen_filter_match(e->q->filter, &s))
			continue;
		ret = cb(&s, data);
		if (ret)
			return ret;
	}
	return 0;
}

int tulpen_sock_events_read(struct tulpen_sock_events *e, tulpen_sock_cb cb,
			    void *data)
{
	int count = 0, ret;
	ssize_t n;

	for (;;) {
		n = recv(e->fd, e->buf, sizeof(e->buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				e->lost++; /* at least one */
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return count;
			return -errno;
		}
		if (n == 0)
			return count;
		ret = walk(e, n, cb, data, &count);
		if (ret)
			return ret;
	}
}

/* Runs in the context's network namespace. */
static int open_lookup(void *p)
{
	int *fd = p;

	*fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	return *fd < 0 ? -errno : 0;
}

/* The answer to request @seq: a socket's state, or the kernel's error. */
static int lookup_answer(struct tulpen_sock_events *e, unsigned int seq,
			 int *state)
{
	char buf[8192];
	const struct nlmsghdr *nlh;
	int len;

	for (;;) {
		ssize_t n = recv(e->lookup_fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EBADMSG;
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)buf;
		     len >= (int)sizeof(*nlh) &&
		     nlh->nlmsg_len >= sizeof(*nlh) &&
		     nlh->nlmsg_len <= (unsigned int)len;
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *err = NLMSG_DATA(nlh);
			const struct inet_diag_msg *m = NLMSG_DATA(nlh);

			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return nlh->nlmsg_len < NLMSG_LENGTH(
								sizeof(*err))
					       ? -EBADMSG
				       : err->error ? err->error
						    : -ENOENT;
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				return -EBADMSG;
			*state = m->idiag_state;
			return 0;
		}
	}
}

int tulpen_sock_events_lookup(struct tulpen_sock_events *e,
			      const struct tulpen_sock *s, int *state)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	size_t alen = s->family == AF_INET ? 4 : 16;
	int ret;

	if (e->lookup_fd < 0) {
		ret = tulpen_ctx_in_netns(e->ctx, open_lookup, &e->lookup_fd);
		if (ret)
			return ret;
	}
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.nlh.nlmsg_seq = ++e->seq;
	req.r.sdiag_family = s->family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0u;
	req.r.id.idiag_sport = htons(s->local.port);
	req.r.id.idiag_dport = htons(s->peer.port);
	memcpy(req.r.id.idiag_src, s->local.addr.raw, alen);
	memcpy(req.r.id.idiag_dst, s->peer.addr.raw, alen);
	req.r.id.idiag_if = s->ifindex;
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (send(e->lookup_fd, &req, sizeof(req), 0) < 0)
		return -errno;
	return lookup_answer(e, e->seq, state);
}
