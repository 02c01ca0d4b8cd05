// SPDX-License-Identifier: MIT
/*
 * collect.c - choose a source per protocol and family and walk it.
 *
 * Order: TCP, UDP, UDP-Lite, RAW, MPTCP (IPv4 then IPv6 each, except TCP
 * of both families, which comes in one walk of the kernel's tables in the
 * kernel's order), then UNIX. With TULPEN_SOURCE_AUTO a protocol whose sock_diag
 * handler the kernel lacks (RAW on many kernels), or a host without
 * NETLINK_SOCK_DIAG, is read from /proc/net instead.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "core/ctx_internal.h"

struct counting {
	tulpen_sock_cb cb;
	void *data;
	unsigned long n;
};

static int count_cb(const struct tulpen_sock *s, void *data)
{
	struct counting *c = data;

	c->n++;
	return c->cb(s, c->data);
}

/* Errors that mean "the kernel does not serve this over netlink". */
static int nl_absent(int err)
{
	return err == -ENOENT || err == -EPROTONOSUPPORT ||
	       err == -EOPNOTSUPP || err == -EAFNOSUPPORT;
}

/* Whether @proto is read from /proc/net rather than asked of netlink. */
static int from_proc(const struct tulpen_ctx *ctx, const struct tulpen_query *q,
		     int proto)
{
	return ctx->source == TULPEN_SOURCE_PROC ||
	       (ctx->source == TULPEN_SOURCE_AUTO &&
		(q->proc_protos & TULPEN_PF(proto)));
}

static int collect_one(struct tulpen_ctx *ctx, const struct tulpen_query *q,
		       int proto, int family, tulpen_sock_cb cb, void *data)
{
	struct counting c = { cb, data, 0 };
	uint32_t states = q->states;
	int ret;

	if (from_proc(ctx, q, proto)) {
		if (proto == TULPEN_P_MPTCP)
			return 0; /* MPTCP has no /proc/net table */
		return tulpen_proc_net_collect(ctx, proto, family, states, cb,
					       data);
	}

	if (family == AF_UNIX)
		ret = tulpen_unix_diag_collect(ctx, states, count_cb, &c);
	else
		ret = tulpen_inet_diag_collect(ctx, proto, family, states,
					       count_cb, &c);
	if (ret >= 0)
		return ret;
	if (ctx->source == TULPEN_SOURCE_NETLINK) {
		if (nl_absent(ret) && !c.n)
			tulpen_ctx_seterr(ctx,
					  "%s sockets (%s): the kernel's "
					  "sock_diag has no handler for them "
					  "(%s); --source=auto reads /proc/net "
					  "instead",
					  tulpen_proto_name(proto),
					  family == AF_INET6 ? "IPv6" :
					  family == AF_INET ? "IPv4" : "UNIX",
					  strerror(-ret));
		return ret;
	}
	if (!nl_absent(ret) || c.n)
		return ret;
	/* The kernel has no diag handler for this: read /proc/net. */
	if (proto == TULPEN_P_MPTCP)
		return 0;
	tulpen_ctx_clearerr(ctx);
	return tulpen_proc_net_collect(ctx, proto, family, states, cb, data);
}

/*
 * TCP of both families in one walk when netlink serves it; -EAGAIN when the
 * per-family way has to be taken instead (the old request is refused, or
 * /proc is the source).
 */
static int collect_tcp_any(struct tulpen_ctx *ctx, const struct tulpen_query *q,
			   tulpen_sock_cb cb, void *data)
{
	struct counting c = { cb, data, 0 };
	int ret;

	if (from_proc(ctx, q, TULPEN_P_TCP))
		return -EAGAIN;
	ret = tulpen_inet_diag_collect_tcp_any(ctx, q->states, count_cb, &c);
	if (ret < 0 && !c.n && (nl_absent(ret) || ret == -EINVAL)) {
		tulpen_ctx_clearerr(ctx);
		return -EAGAIN;
	}
	return ret;
}

int tulpen_collect(struct tulpen_ctx *ctx, const struct tulpen_query *q,
		   tulpen_sock_cb cb, void *data)
{
	static const int inet_protos[] = { TULPEN_P_TCP, TULPEN_P_UDP,
					   TULPEN_P_UDPLITE, TULPEN_P_RAW,
					   TULPEN_P_MPTCP };
	size_t i;
	int ret;

	tulpen_ctx_clearerr(ctx);
	for (i = 0; i < sizeof(inet_protos) / sizeof(inet_protos[0]); i++) {
		int p = inet_protos[i];

		if (!(q->protos & TULPEN_PF(p)))
			continue;
		if (p == TULPEN_P_TCP &&
		    (q->families & TULPEN_FAM_INET) &&
		    (q->families & TULPEN_FAM_INET6)) {
			ret = collect_tcp_any(ctx, q, cb, data);
			if (ret != -EAGAIN) {
				if (ret)
					return ret;
				continue;
			}
		}
		if (q->families & TULPEN_FAM_INET) {
			ret = collect_one(ctx, q, p, AF_INET, cb, data);
			if (ret)
				return ret;
		}
		if (q->families & TULPEN_FAM_INET6) {
			ret = collect_one(ctx, q, p, AF_INET6, cb, data);
			if (ret)
				return ret;
		}
	}
	if ((q->protos & TULPEN_PF(TULPEN_P_UNIX)) &&
	    (q->families & TULPEN_FAM_UNIX)) {
		ret = collect_one(ctx, q, TULPEN_P_UNIX, AF_UNIX, cb, data);
		if (ret)
			return ret;
	}
	return 0;
}
