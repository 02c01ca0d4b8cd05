// SPDX-License-Identifier: MIT
/*
 * collect.c - choose a source per protocol and family and walk it.
 *
 * Order: TCP, UDP, UDP-Lite, RAW, MPTCP (IPv4 then IPv6 each, except TCP
 * of both families, which comes in one walk of the kernel's tables in the
 * kernel's order), then UNIX, netlink, packet, vsock, XDP; or ss's order
 * (TULPEN_Q_SS_ORDER). With TULPEN_SOURCE_AUTO a protocol whose
 * sock_diag handler the kernel lacks (RAW on many kernels), or a host without
 * NETLINK_SOCK_DIAG, is read from /proc/net instead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/collect.h"
#include "tulpen/filter.h"
#include "tulpen/state.h"
#include "core/ctx_internal.h"
#include "collect/nl_dump.h"

/*
 * A socket once per listing. The kernel's dump is not atomic: it walks
 * its hash tables one chunk (one datagram) at a time and resumes the next
 * at the same bucket, by position in the bucket's chain. A socket added
 * to (or, at TIME-WAIT, replaced at the head of) that bucket meanwhile
 * shifts the chain, so the last sockets of one chunk can come again at
 * the start of the next; sockets of earlier buckets never come again. So
 * the cookies of the last DEDUP_WINDOW records of each datagram are kept
 * and the first DEDUP_WINDOW of the next are checked against them: 1 KiB,
 * whatever the number of sockets (a chain longer than that at a
 * chunk's end could still show a socket twice: a duplicate is better
 * than a loss). Cookies are unique for the kernel's lifetime.
 */
#define DEDUP_WINDOW 32

/*
 * The protocol is part of the key, so that a socket of one protocol never
 * hides one of another. MPTCP is left out: its dump was seen giving one
 * cookie to two different sockets (on this project's test kernel a
 * listener that ss -M shows went missing).
 */
struct seen_key {
	uint64_t cookie;
	uint64_t proto;
};

struct dedup {
	tulpen_sock_cb cb;
	void *data;
	const struct tulpen_ctx *ctx;
	unsigned int batch; /* ctx->nl_batch of the records in cur */
	size_t in_batch;    /* records of that datagram so far */
	struct seen_key prev[DEDUP_WINDOW], cur[DEDUP_WINDOW];
	size_t nprev, ncur; /* entries used; cur is a ring past the window */
};

static int seen_before(const struct dedup *d, const struct seen_key *k)
{
	size_t i;

	for (i = 0; i < d->nprev; i++)
		if (d->prev[i].cookie == k->cookie &&
		    d->prev[i].proto == k->proto)
			return 1;
	return 0;
}

static int dedup_cb(const struct tulpen_sock *s, void *data)
{
	struct dedup *d = data;
	struct seen_key k = { s->cookie, s->proto };

	if (!s->has_cookie || !s->cookie || s->proto == TULPEN_P_MPTCP)
		return d->cb(s, d->data);
	if (d->ctx->nl_batch != d->batch) {
		/* a new datagram: the last records of the one before */
		size_t n = d->ncur < DEDUP_WINDOW ? d->ncur : DEDUP_WINDOW;

		memcpy(d->prev, d->cur, n * sizeof(d->cur[0]));
		d->nprev = n;
		d->ncur = 0;
		d->in_batch = 0;
		d->batch = d->ctx->nl_batch;
	}
	if (d->in_batch++ < DEDUP_WINDOW && seen_before(d, &k))
		return 0; /* seen in the datagram before */
	d->cur[d->ncur++ % DEDUP_WINDOW] = k;
	return d->cb(s, d->data);
}

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

/*
 * The filter expression, matched on every record. Records from a live
 * dump that carried the bytecode have passed the kernel's half already,
 * so only ss's user-space half is left for them.
 */
struct filtering {
	tulpen_sock_cb cb;
	void *data;
	const struct tulpen_filter *f;
	int kernel_done;
	/* a replayed dump may answer for other states and families too */
	uint32_t states, families;
};

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

static uint32_t fam_bit(int family)
{
	switch (family) {
	case AF_INET:
		return TULPEN_FAM_INET;
	case AF_INET6:
		return TULPEN_FAM_INET6;
	case AF_UNIX:
		return TULPEN_FAM_UNIX;
	case AF_NETLINK:
		return TULPEN_FAM_NETLINK;
	case AF_PACKET:
		return TULPEN_FAM_PACKET;
	case AF_VSOCK:
		return TULPEN_FAM_VSOCK;
	case AF_XDP:
		return TULPEN_FAM_XDP;
	case AF_TIPC:
		return TULPEN_FAM_TIPC;
	default:
		return 0;
	}
}

static int filter_cb(const struct tulpen_sock *s, void *data)
{
	struct filtering *fl = data;
	int ok;

	if (!(fl->states & TULPEN_SF(s->state)) ||
	    !(fl->families & fam_bit(s->family)))
		return 0;
	if (fl->kernel_done && s->source == TULPEN_SRC_NETLINK &&
	    tulpen_sock_is_inet(s))
		ok = tulpen_filter_match_user(fl->f, s);
	else
		ok = tulpen_filter_match(fl->f, s);
	return ok ? fl->cb(s, fl->data) : 0;
}

/*
 * One inet dump with the bytecode (TCP of both families when @any). When
 * the kernel refuses the program before any socket (an older kernel
 * without a condition, fwmark without CAP_NET_ADMIN), the dump is asked
 * for again without it and the filter runs here alone: same result.
 */
static int inet_dump(struct tulpen_ctx *ctx, const struct tulpen_query *q,
		     const struct tulpen_diag_prog *pr, int proto, int family,
		     int any, tulpen_sock_cb cb, void *data)
{
	struct filtering fl = {
		cb, data, q->filter, 0, q->states, q->families
	};
	struct counting c = { filter_cb, &fl, 0 };
	const struct tulpen_diag_prog *prog = q->filter ? pr : NULL;
	const struct tulpen_diag_prog ports = { NULL, 0, pr->sport, pr->dport };
	const void *bc = prog ? prog->bc : NULL;
	int ret;

	if (!q->filter) {
		c.cb = cb;
		c.data = data;
	}
	if (bc) {
		const struct tulpen_nl_ops *ops;
		void *priv;

		/* open the transport now: is it the live kernel? */
		ret = tulpen_ctx_nl(ctx, &ops, &priv);
		if (ret)
			return ret;
		fl.kernel_done = ctx->nl_is_live;
	}
	ret = any ? tulpen_inet_diag_dump_tcp_any_ext(ctx, q->states, q->ext,
						      prog, count_cb, &c)
		  : tulpen_inet_diag_dump_ext(ctx, proto, family, q->states,
					      q->ext, prog, count_cb, &c);
	if (bc && !c.n &&
	    (ret == -EINVAL || ret == -EPERM || ret == -EOPNOTSUPP)) {
		/* the ports alone, and the whole filter here */
		tulpen_ctx_clearerr(ctx);
		fl.kernel_done = 0;
		ret = any ? tulpen_inet_diag_dump_tcp_any_ext(ctx, q->states,
							      q->ext, &ports,
							      count_cb, &c)
			  : tulpen_inet_diag_dump_ext(ctx, proto, family,
						      q->states, q->ext, &ports,
						      count_cb, &c);
	}
	return ret;
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
		       const struct tulpen_diag_prog *pr, int proto, int family,
		       tulpen_sock_cb cb, void *data)
{
	struct filtering fl = {
		cb, data, q->filter, 0, q->states, q->families
	};
	struct counting c = { cb, data, 0 };
	uint32_t states = q->states;
	int ret;

	if (q->filter) {
		/* /proc and UNIX records: the whole filter runs here */
		cb = filter_cb;
		data = &fl;
	}
	if (from_proc(ctx, q, proto)) {
		if (proto == TULPEN_P_MPTCP || proto == TULPEN_P_SCTP)
			return 0; /* no /proc/net table of this shape */
		return tulpen_proc_net_collect(ctx, proto, family, states, cb,
					       data);
	}

	if (family == AF_UNIX) {
		c.cb = cb;
		c.data = data;
		ret = tulpen_unix_diag_collect_ext(ctx, states, q->ext,
						   count_cb, &c);
	} else {
		ret = inet_dump(ctx, q, pr, proto, family, 0, count_cb, &c);
	}
	if (ret >= 0)
		return ret;
	if (ctx->source == TULPEN_SOURCE_NETLINK) {
		if (nl_absent(ret) && !c.n)
			tulpen_ctx_seterr(ctx,
					  "%s sockets (%s): the kernel's "
					  "sock_diag has no handler for them "
					  "(%s); --source=auto %s",
					  tulpen_proto_name(proto),
					  family == AF_INET6  ? "IPv6"
					  : family == AF_INET ? "IPv4"
							      : "UNIX",
					  strerror(-ret),
					  proto == TULPEN_P_MPTCP ||
							  proto == TULPEN_P_SCTP
						  ? "lists none (no /proc/net "
						    "table of them)"
						  : "reads /proc/net instead");
		return ret;
	}
	if (!nl_absent(ret) || c.n)
		return ret;
	/* The kernel has no diag handler for this: read /proc/net. */
	if (proto == TULPEN_P_MPTCP || proto == TULPEN_P_SCTP)
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
			   const struct tulpen_diag_prog *pr, tulpen_sock_cb cb,
			   void *data)
{
	struct counting c = { cb, data, 0 };
	int ret;

	if (from_proc(ctx, q, TULPEN_P_TCP))
		return -EAGAIN;
	ret = inet_dump(ctx, q, pr, TULPEN_P_TCP, 0, 1, count_cb, &c);
	if (ret < 0 && !c.n && (nl_absent(ret) || ret == -EINVAL)) {
		tulpen_ctx_clearerr(ctx);
		return -EAGAIN;
	}
	return ret;
}

/*
 * Netlink, packet, vsock and XDP sockets: netlink sock_diag only, and, as
 * ss does, nothing (no error) where the kernel has no handler for them,
 * unless netlink was asked for by name.
 */
static int collect_other(struct tulpen_ctx *ctx, const struct tulpen_query *q,
			 int proto, tulpen_sock_cb cb, void *data)
{
	struct filtering fl = {
		cb, data, q->filter, 0, q->states, q->families
	};
	int ret;

	if (!(q->protos & TULPEN_PF(proto)))
		return 0;
	if (ctx->source == TULPEN_SOURCE_PROC)
		return 0; /* no /proc/net reader for these (yet) */
	/* these families know UNCONN only, but vsock and TIPC */
	if (proto != TULPEN_P_VSOCK && proto != TULPEN_P_TIPC &&
	    !(q->states & TULPEN_SF(TULPEN_TCP_CLOSE)))
		return 0;
	cb = filter_cb;
	data = &fl;
	switch (proto) {
	case TULPEN_P_NETLINK:
		if (!(q->families & TULPEN_FAM_NETLINK))
			return 0;
		ret = tulpen_netlink_diag_collect_ext(ctx, q->ext, cb, data);
		break;
	case TULPEN_P_PACKET:
		if (!(q->families & TULPEN_FAM_PACKET))
			return 0;
		ret = tulpen_packet_diag_collect_ext(ctx, q->ext, cb, data);
		break;
	case TULPEN_P_VSOCK:
		if (!(q->families & TULPEN_FAM_VSOCK))
			return 0;
		ret = tulpen_vsock_diag_collect(ctx, q->states, cb, data);
		break;
	case TULPEN_P_XDP:
		if (!(q->families & TULPEN_FAM_XDP))
			return 0;
		ret = tulpen_xdp_diag_collect_ext(ctx, q->ext, cb, data);
		break;
	case TULPEN_P_TIPC:
		if (!(q->families & TULPEN_FAM_TIPC))
			return 0;
		ret = tulpen_tipc_diag_collect(ctx, q->states, cb, data);
		break;
	default:
		return 0;
	}
	if (ret < 0 && nl_absent(ret) && ctx->source == TULPEN_SOURCE_AUTO) {
		tulpen_ctx_clearerr(ctx);
		return 0;
	}
	if (ret < 0 && nl_absent(ret)) {
		static const char *const diag[] = {
			"netlink_diag", "af_packet_diag", "vsock_diag",
			"xsk_diag",	"tipc_diag",
		};

		tulpen_ctx_seterr(ctx,
				  "%s sockets: the kernel's sock_diag has no "
				  "handler for them (%s, %s); --source=auto "
				  "lists none, as ss does",
				  tulpen_proto_name(proto),
				  diag[proto - TULPEN_P_NETLINK],
				  strerror(-ret));
	}
	return ret;
}

/* One inet protocol, IPv4 then IPv6 (TCP in one walk unless @split). */
static int collect_inet(struct tulpen_ctx *ctx, const struct tulpen_query *q,
			const struct tulpen_diag_prog *pr, int p, int split,
			tulpen_sock_cb cb, void *data)
{
	int ret;

	if (!(q->protos & TULPEN_PF(p)))
		return 0;
	if (!split && p == TULPEN_P_TCP && (q->families & TULPEN_FAM_INET) &&
	    (q->families & TULPEN_FAM_INET6)) {
		ret = collect_tcp_any(ctx, q, pr, cb, data);
		if (ret != -EAGAIN)
			return ret;
	}
	if (q->families & TULPEN_FAM_INET) {
		ret = collect_one(ctx, q, pr, p, AF_INET, cb, data);
		if (ret)
			return ret;
	}
	if (q->families & TULPEN_FAM_INET6)
		return collect_one(ctx, q, pr, p, AF_INET6, cb, data);
	return 0;
}

static int collect_unix(struct tulpen_ctx *ctx, const struct tulpen_query *q,
			const struct tulpen_diag_prog *pr, tulpen_sock_cb cb,
			void *data)
{
	if (!(q->protos & TULPEN_PF(TULPEN_P_UNIX)) ||
	    !(q->families & TULPEN_FAM_UNIX))
		return 0;
	return collect_one(ctx, q, pr, TULPEN_P_UNIX, AF_UNIX, cb, data);
}

/* ss's order (misc/ss.c main()): UDP before TCP, netlink first. */
static int collect_ss_order(struct tulpen_ctx *ctx,
			    const struct tulpen_query *q,
			    const struct tulpen_diag_prog *pr,
			    tulpen_sock_cb cb, void *data)
{
	static const int order[] = {
		TULPEN_P_NETLINK, TULPEN_P_PACKET, TULPEN_P_UNIX,
		TULPEN_P_RAW,	  TULPEN_P_UDP,	   TULPEN_P_UDPLITE,
		TULPEN_P_TCP,	  TULPEN_P_SCTP,   TULPEN_P_VSOCK,
		TULPEN_P_TIPC,	  TULPEN_P_XDP,	   TULPEN_P_MPTCP,
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int p = order[i];

		if (p == TULPEN_P_UNIX)
			ret = collect_unix(ctx, q, pr, cb, data);
		else if (p >= TULPEN_P_NETLINK)
			ret = collect_other(ctx, q, p, cb, data);
		else
			ret = collect_inet(ctx, q, pr, p, 1, cb, data);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A recording answers the requests in the order they were made, and old
 * ones were made in the default order: replayed, the dumps are asked for
 * in that order whatever the layout.
 */
static int replaying(const struct tulpen_ctx *ctx)
{
	return ctx->nl_ops && !ctx->nl_is_live;
}

static int collect_all(struct tulpen_ctx *ctx, const struct tulpen_query *q,
		       const struct tulpen_diag_prog *pr, tulpen_sock_cb cb,
		       void *data)
{
	static const int inet_protos[] = { TULPEN_P_TCP,     TULPEN_P_UDP,
					   TULPEN_P_UDPLITE, TULPEN_P_RAW,
					   TULPEN_P_MPTCP,   TULPEN_P_SCTP };
	static const int others[] = { TULPEN_P_NETLINK, TULPEN_P_PACKET,
				      TULPEN_P_VSOCK, TULPEN_P_XDP,
				      TULPEN_P_TIPC };
	size_t i;
	int ret;

	tulpen_ctx_clearerr(ctx);
	if ((q->flags & TULPEN_Q_SS_ORDER) && !replaying(ctx))
		return collect_ss_order(ctx, q, pr, cb, data);
	for (i = 0; i < sizeof(inet_protos) / sizeof(inet_protos[0]); i++) {
		ret = collect_inet(ctx, q, pr, inet_protos[i],
				   (q->flags & TULPEN_Q_FAMILY_ORDER) &&
					   !replaying(ctx),
				   cb, data);
		if (ret)
			return ret;
	}
	ret = collect_unix(ctx, q, pr, cb, data);
	for (i = 0; !ret && i < sizeof(others) / sizeof(others[0]); i++)
		ret = collect_other(ctx, q, others[i], cb, data);
	return ret;
}

/* The socket types asked for (-A unix_stream, packet_raw...). */
struct typing {
	tulpen_sock_cb cb;
	void *data;
	const struct tulpen_query *q;
};

static int type_cb(const struct tulpen_sock *s, void *data)
{
	const struct typing *t = data;
	uint16_t mask = 0, bit = (uint16_t)(1u << (s->unix_type & 15));

	if (s->proto == TULPEN_P_UNIX)
		mask = t->q->unix_types;
	else if (s->proto == TULPEN_P_PACKET)
		mask = t->q->packet_types;
	else if (s->proto == TULPEN_P_VSOCK)
		mask = t->q->vsock_types;
	if (mask && !(mask & bit))
		return 0;
	return t->cb(s, t->data);
}

int tulpen_collect(struct tulpen_ctx *ctx, const struct tulpen_query *q,
		   tulpen_sock_cb cb, void *data)
{
	struct tulpen_diag_prog pr = { NULL, 0, 0, 0 };
	struct typing ty = { cb, data, q };
	struct dedup *d;
	void *bc = NULL;
	int ret;

	if (q->unix_types || q->packet_types || q->vsock_types) {
		cb = type_cb;
		data = &ty;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cb = cb;
	d->data = data;
	d->ctx = ctx;
	d->batch = ctx->nl_batch;

	if (q->filter) {
		ret = tulpen_filter_compile(q->filter, &bc, &pr.len);
		if (ret == -ENOMEM) {
			free(d);
			return ret;
		}
		/* not expressible as bytecode: filter here only */
		pr.bc = bc;
		tulpen_filter_ports(q->filter, &pr.sport, &pr.dport);
	}
	ret = collect_all(ctx, q, &pr, dedup_cb, d);
	free(d);
	free(bc);
	return ret;
}
