// SPDX-License-Identifier: MIT
/*
 * inet_diag.c - TCP, UDP, UDP-Lite, RAW and MPTCP sockets from netlink
 * sock_diag (NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY dumps).
 *
 * The kernel filters by state (idiag_states), so only wanted sockets cross
 * into user space. Request sockets (NEW_SYN_RECV) and TIME-WAIT sockets come
 * in the same TCP dump when their bits are set.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "core/ctx_internal.h"
#include "collect/nl_dump.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

int tulpen_diag_ip_proto(int proto)
{
	switch (proto) {
	case TULPEN_P_TCP:
		return IPPROTO_TCP;
	case TULPEN_P_UDP:
		return IPPROTO_UDP;
	case TULPEN_P_UDPLITE:
		return IPPROTO_UDPLITE;
	case TULPEN_P_RAW:
		return IPPROTO_RAW;
	case TULPEN_P_MPTCP:
		return IPPROTO_MPTCP;
	case TULPEN_P_SCTP:
		return IPPROTO_SCTP;
	default:
		return -1;
	}
}

struct inet_walk {
	int proto;
	tulpen_sock_cb cb;
	void *data;
	struct tulpen_diag_store *st; /* NULL: no extras asked for */
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, INET_DIAG_MAX) < 0)
		return MNL_CB_OK; /* newer kernel: ignore */
	tb[type] = attr;
	return MNL_CB_OK;
}

/* INET_DIAG_SOCKOPT's two bytes of bit fields as TULPEN_SOCKOPT_* bits. */
static uint16_t sockopt_bits(const uint8_t *b)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint16_t)(b[0] | (b[1] & 0x7) << 8);
#else
	uint16_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		if (b[0] & (0x80 >> i))
			v |= 1u << i;
	for (i = 0; i < 3; i++)
		if (b[1] & (0x80 >> i))
			v |= 1u << (8 + i);
	return v;
#endif
}

/* A one-byte attribute into *@v; whether it was there. */
static int get_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) < 1)
		return 0;
	*v = *(const uint8_t *)mnl_attr_get_payload(a);
	return 1;
}

/* The attributes every record may carry (no request needed for them). */
static void parse_attrs(const struct nlattr *const *tb, struct tulpen_sock *s)
{
	uint8_t v;

	if (get_u8(tb[INET_DIAG_SKV6ONLY], &v))
		s->v6only = v ? 1 : 0;
	if (get_u8(tb[INET_DIAG_SHUTDOWN], &v)) {
		s->shutdown = v & 3;
		s->has_shutdown = 1;
	}
	if (tb[INET_DIAG_MARK] &&
	    mnl_attr_get_payload_len(tb[INET_DIAG_MARK]) >= 4)
		s->mark = mnl_attr_get_u32(tb[INET_DIAG_MARK]);
	if (tb[INET_DIAG_CGROUP_ID] &&
	    mnl_attr_get_payload_len(tb[INET_DIAG_CGROUP_ID]) >= 8)
		s->cgroup_id = mnl_attr_get_u64(tb[INET_DIAG_CGROUP_ID]);
	if (tb[INET_DIAG_SOCKOPT] &&
	    mnl_attr_get_payload_len(tb[INET_DIAG_SOCKOPT]) >= 2) {
		s->has_sockopt = 1;
		s->sockopt = sockopt_bits(
			mnl_attr_get_payload(tb[INET_DIAG_SOCKOPT]));
	}
	s->has_tos = (uint8_t)get_u8(tb[INET_DIAG_TOS], &s->tos);
	s->has_tclass = (uint8_t)get_u8(tb[INET_DIAG_TCLASS], &s->tclass);
	if (tb[INET_DIAG_CLASS_ID] &&
	    mnl_attr_get_payload_len(tb[INET_DIAG_CLASS_ID]) >= 4) {
		s->has_class_id = 1;
		s->class_id = mnl_attr_get_u32(tb[INET_DIAG_CLASS_ID]);
	}
}

/*
 * The extras into @st: tcp_info with the congestion control (TCP), or
 * MPTCP's own struct (its INET_DIAG_INFO), and the socket memory.
 */
static void parse_extras(const struct nlattr *const *tb, int proto,
			 struct tulpen_sock *s, struct tulpen_diag_store *st)
{
	const struct nlattr *a = tb[INET_DIAG_INFO];

	if (a && proto == TULPEN_P_TCP && mnl_attr_get_payload_len(a) >= 8) {
		memset(&st->ti, 0, sizeof(st->ti));
		tulpen_diag_tcp_info(mnl_attr_get_payload(a),
				     mnl_attr_get_payload_len(a), &st->ti);
		tulpen_diag_cc(tb, &st->ti);
		if (tb[INET_DIAG_ULP_INFO])
			tulpen_diag_ulp(tb[INET_DIAG_ULP_INFO], &st->ti);
		s->tcp_info = &st->ti;
	} else if (a && proto == TULPEN_P_MPTCP &&
		   mnl_attr_get_payload_len(a) >= 8) {
		tulpen_diag_mptcp_info(mnl_attr_get_payload(a),
				       mnl_attr_get_payload_len(a), &st->mi);
		s->mptcp_info = &st->mi;
	}
	a = tb[INET_DIAG_SKMEMINFO];
	if (a && mnl_attr_get_payload_len(a) >= 4) {
		tulpen_diag_skmem(mnl_attr_get_payload(a),
				  mnl_attr_get_payload_len(a), &st->sm);
		s->skmem = &st->sm;
	}
}

/* An SCTP association's state (SCTP_STATE_*) as the nearest TCP state. */
static uint8_t sctp_tcp_state(uint8_t st)
{
	static const uint8_t map[] = {
		TULPEN_TCP_CLOSE,	/* CLOSED */
		TULPEN_TCP_SYN_SENT,	/* COOKIE_WAIT */
		TULPEN_TCP_SYN_SENT,	/* COOKIE_ECHOED */
		TULPEN_TCP_ESTABLISHED, /* ESTABLISHED */
		TULPEN_TCP_FIN_WAIT1,	/* SHUTDOWN_PENDING */
		TULPEN_TCP_FIN_WAIT1,	/* SHUTDOWN_SENT */
		TULPEN_TCP_CLOSE_WAIT,	/* SHUTDOWN_RECEIVED */
		TULPEN_TCP_LAST_ACK,	/* SHUTDOWN_ACK_SENT */
	};

	return st < sizeof(map) ? map[st] : TULPEN_TCP_UNKNOWN;
}

/*
 * SCTP: the address lists (struct sockaddr_storage each), the
 * association's own state (only associations carry INET_DIAG_PEERS) and
 * -i's struct sctp_info, all pointing into the message.
 */
static void parse_sctp(const struct nlattr *const *tb, uint8_t state,
		       int extras, struct tulpen_sock *s)
{
	const size_t ss = sizeof(struct sockaddr_storage);
	const struct nlattr *a = tb[INET_DIAG_LOCALS];

	if (a && mnl_attr_get_payload_len(a) >= ss) {
		s->sctp.locals = mnl_attr_get_payload(a);
		s->sctp.nlocals = (uint32_t)(mnl_attr_get_payload_len(a) / ss);
	}
	a = tb[INET_DIAG_PEERS];
	if (a) {
		s->sctp.assoc = 1;
		s->sctp.state = state;
		s->state = sctp_tcp_state(state);
		if (mnl_attr_get_payload_len(a) >= ss) {
			s->sctp.peers = mnl_attr_get_payload(a);
			s->sctp.npeers =
				(uint32_t)(mnl_attr_get_payload_len(a) / ss);
		}
	}
	a = tb[INET_DIAG_INFO];
	if (extras && a && mnl_attr_get_payload_len(a) >= 8) {
		s->sctp.info = mnl_attr_get_payload(a);
		s->sctp.info_len = mnl_attr_get_payload_len(a);
	}
}

/*
 * tulpen_inet_diag_parse_ext - turn one inet_diag message into a record,
 * with its extras decoded into @st (NULL: left out). Exposed to the fuzz
 * target through nl_dump.h. Returns 0 or -EBADMSG.
 */
int tulpen_inet_diag_parse_ext(const struct nlmsghdr *nlh, int proto,
			       struct tulpen_sock *s,
			       struct tulpen_diag_store *st)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1] = { NULL };
	const struct inet_diag_msg *m;
	size_t alen;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*m), attr_cb, tb) < 0)
		return -EBADMSG;

	memset(s, 0, sizeof(*s));
	s->proto = (uint8_t)proto;
	s->family = m->idiag_family;
	s->state = m->idiag_state < TULPEN_TCP_MAX_STATES ? m->idiag_state
							  : TULPEN_TCP_UNKNOWN;
	s->timer = m->idiag_timer;
	s->retrans = m->idiag_retrans;
	s->source = TULPEN_SRC_NETLINK;
	alen = m->idiag_family == AF_INET ? 4 : 16;
	memcpy(s->local.addr.raw, m->id.idiag_src, alen);
	memcpy(s->peer.addr.raw, m->id.idiag_dst, alen);
	s->local.port = ntohs(m->id.idiag_sport);
	s->peer.port = ntohs(m->id.idiag_dport);
	s->ifindex = m->id.idiag_if;
	s->cookie = (uint64_t)m->id.idiag_cookie[0] |
		    (uint64_t)m->id.idiag_cookie[1] << 32;
	s->has_cookie = 1;
	s->rqueue = m->idiag_rqueue;
	s->wqueue = m->idiag_wqueue;
	s->uid = m->idiag_uid;
	s->inode = m->idiag_inode;
	s->timer_ms = s->timer ? (int64_t)m->idiag_expires : 0;
	s->v6only = 2;
	parse_attrs(tb, s);
	if (st)
		parse_extras(tb, proto, s, st);
	/*
	 * The kernel reports request sockets as SYN_RECV; unlike full
	 * sockets (and TIME-WAIT ones) they carry no attributes at all.
	 */
	if (s->state == TULPEN_TCP_SYN_RECV && !tb[INET_DIAG_SHUTDOWN] &&
	    !s->inode)
		s->state = TULPEN_TCP_NEW_SYN_RECV;
	if (proto == TULPEN_P_RAW)
		s->raw_proto = s->local.port;
	if (proto == TULPEN_P_SCTP)
		parse_sctp(tb, m->idiag_state, st != NULL, s);
	return 0;
}

int tulpen_inet_diag_parse(const struct nlmsghdr *nlh, int proto,
			   struct tulpen_sock *s)
{
	return tulpen_inet_diag_parse_ext(nlh, proto, s, NULL);
}

/* The idiag_ext bits that ask for @ext, as ss asks for them. */
static uint8_t ext_bits(uint32_t ext)
{
	uint8_t b = 0;

	if (ext & TULPEN_EXT_TCP_INFO)
		b |= 1u << (INET_DIAG_INFO - 1) |
		     1u << (INET_DIAG_VEGASINFO - 1) |
		     1u << (INET_DIAG_CONG - 1);
	if (ext & TULPEN_EXT_SKMEM)
		b |= 1u << (INET_DIAG_SKMEMINFO - 1);
	if (ext & TULPEN_EXT_TOS)
		b |= 1u << (INET_DIAG_TOS - 1) | 1u << (INET_DIAG_TCLASS - 1);
	return b;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct inet_walk *w = data;
	struct tulpen_sock s;

	/* the answer to the one-walk request has the request's type */
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY &&
	    nlh->nlmsg_type != TCPDIAG_GETSOCK)
		return 0;
	if (tulpen_inet_diag_parse_ext(nlh, w->proto, &s, w->st))
		return -EBADMSG;
	return w->cb(&s, w->data);
}

/*
 * A request buffer with room for the header, @hdr bytes of request and the
 * bytecode attribute (up to 64 KiB); freed by the caller.
 */
static struct nlmsghdr *new_request(size_t hdr, size_t bclen)
{
	size_t size = MNL_NLMSG_HDRLEN + MNL_ALIGN(hdr) + MNL_ATTR_HDRLEN +
		      MNL_ALIGN(bclen) + 64;
	char *buf = calloc(1, size < (size_t)TULPEN_NL_REQ_SIZE
				      ? (size_t)TULPEN_NL_REQ_SIZE
				      : size);

	return buf ? mnl_nlmsg_put_header(buf) : NULL;
}

/* The filter's program for the kernel, INET_DIAG_REQ_BYTECODE. */
static void put_bytecode(struct nlmsghdr *nlh,
			 const struct tulpen_diag_prog *prog)
{
	if (prog && prog->bc && prog->len)
		mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, prog->len, prog->bc);
}

/* Ports every wanted socket has: the kernel skips the others early. */
static void put_ports(struct inet_diag_sockid *id,
		      const struct tulpen_diag_prog *prog)
{
	if (!prog)
		return;
	id->idiag_sport = htons(prog->sport);
	id->idiag_dport = htons(prog->dport);
}

int tulpen_inet_diag_dump_ext(struct tulpen_ctx *ctx, int proto, int family,
			      uint32_t states, uint32_t ext,
			      const struct tulpen_diag_prog *prog,
			      tulpen_sock_cb cb, void *data)
{
	struct inet_diag_req_v2 *req;
	struct tulpen_diag_store *st = NULL;
	struct inet_walk w = { proto, cb, data, NULL };
	struct nlmsghdr *nlh;
	size_t bclen = prog && prog->bc ? prog->len : 0;
	int ipp = tulpen_diag_ip_proto(proto), ret;

	if (ipp < 0 || (family != AF_INET && family != AF_INET6))
		return -EINVAL;
	if (!states)
		return 0;
	if (bclen > 65528)
		return -E2BIG;
	if (ext) {
		st = malloc(sizeof(*st));
		if (!st)
			return -ENOMEM;
		w.st = st;
	}
	nlh = new_request(sizeof(*req) + MNL_ATTR_HDRLEN + 4, bclen);
	if (!nlh) {
		free(st);
		return -ENOMEM;
	}
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	if (ipp == IPPROTO_MPTCP) {
		/* The protocol number does not fit in eight bits. */
		req->sdiag_protocol = 0;
		mnl_attr_put_u32(nlh, INET_DIAG_REQ_PROTOCOL, IPPROTO_MPTCP);
	} else {
		req->sdiag_protocol = (uint8_t)ipp;
	}
	if (ipp == IPPROTO_RAW)
		req->pad = IPPROTO_RAW; /* sdiag_raw_protocol: every one */
	req->idiag_states = states;
	req->idiag_ext = ext_bits(ext); /* 0: the base message is enough */
	put_ports(&req->id, prog);
	put_bytecode(nlh, prog);

	ret = tulpen_nl_dump(ctx, nlh, msg_cb, &w);
	free(nlh);
	free(st);
	return ret;
}

int tulpen_inet_diag_dump(struct tulpen_ctx *ctx, int proto, int family,
			  uint32_t states, const struct tulpen_diag_prog *prog,
			  tulpen_sock_cb cb, void *data)
{
	return tulpen_inet_diag_dump_ext(ctx, proto, family, states, 0, prog,
					 cb, data);
}

int tulpen_inet_diag_collect(struct tulpen_ctx *ctx, int proto, int family,
			     uint32_t states, tulpen_sock_cb cb, void *data)
{
	return tulpen_inet_diag_dump(ctx, proto, family, states, NULL, cb,
				     data);
}

/*
 * TCP over IPv4 and IPv6 in one walk of the kernel's socket tables: the
 * older TCPDIAG_GETSOCK request is answered for every family at once,
 * where a SOCK_DIAG_BY_FAMILY dump per family walks every socket twice.
 * It takes the same bytecode.
 */
int tulpen_inet_diag_dump_tcp_any_ext(struct tulpen_ctx *ctx, uint32_t states,
				      uint32_t ext,
				      const struct tulpen_diag_prog *prog,
				      tulpen_sock_cb cb, void *data)
{
	struct inet_diag_req *req;
	struct tulpen_diag_store *st = NULL;
	struct inet_walk w = { TULPEN_P_TCP, cb, data, NULL };
	struct nlmsghdr *nlh;
	size_t bclen = prog && prog->bc ? prog->len : 0;
	int ret;

	if (!states)
		return 0;
	if (bclen > 65528)
		return -E2BIG;
	if (ext) {
		st = malloc(sizeof(*st));
		if (!st)
			return -ENOMEM;
		w.st = st;
	}
	nlh = new_request(sizeof(*req), bclen);
	if (!nlh) {
		free(st);
		return -ENOMEM;
	}
	nlh->nlmsg_type = TCPDIAG_GETSOCK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->idiag_family = AF_INET; /* the kernel takes every family */
	req->idiag_states = states;
	req->idiag_ext = ext_bits(ext);
	put_ports(&req->id, prog);
	put_bytecode(nlh, prog);
	ret = tulpen_nl_dump(ctx, nlh, msg_cb, &w);
	free(nlh);
	free(st);
	return ret;
}

int tulpen_inet_diag_dump_tcp_any(struct tulpen_ctx *ctx, uint32_t states,
				  const struct tulpen_diag_prog *prog,
				  tulpen_sock_cb cb, void *data)
{
	return tulpen_inet_diag_dump_tcp_any_ext(ctx, states, 0, prog, cb,
						 data);
}

int tulpen_inet_diag_collect_tcp_any(struct tulpen_ctx *ctx, uint32_t states,
				     tulpen_sock_cb cb, void *data)
{
	return tulpen_inet_diag_dump_tcp_any(ctx, states, NULL, cb, data);
}
