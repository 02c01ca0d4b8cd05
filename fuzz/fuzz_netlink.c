// SPDX-License-Identifier: MIT
/*
 * fuzz_netlink.c - the sock_diag answer parsers (inet and unix, with the
 * extras: tcp_info, congestion control, skmem, UNIX details; netlink,
 * packet, vsock, XDP, TIPC), the dump loop, and the destroy event parser over
 * the same messages. The input is a series of datagrams, each a 2-byte
 * little-endian length and its bytes, served by a fake transport to the
 * dumps in collect order: TCP, UNIX, netlink, packet, vsock, XDP, TIPC
 * (sequence numbers 1 to 7). Then every message once more as an SCTP
 * record (endpoint or association: address lists, sctp_info) through the
 * ss and JSON writers of its SCTP details.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/collect.h"
#include "tulpen/skmem.h"
#include "tulpen/state.h"
#include "tulpen/tcp_info.h"
#include "collect/nl_dump.h"
#include "fmt/fmt_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct feed {
	const uint8_t *p;
	size_t left;
};

static int f_send(void *priv, const void *buf, size_t len)
{
	(void)priv;
	(void)buf;
	(void)len;
	return 0;
}

static ssize_t f_recv(void *priv, void *buf, size_t len)
{
	struct feed *f = priv;
	size_t n;

	if (f->left < 2)
		return -ENODATA;
	n = (size_t)f->p[0] | (size_t)f->p[1] << 8;
	f->p += 2;
	f->left -= 2;
	if (n > f->left)
		n = f->left;
	if (n > len)
		return -EMSGSIZE;
	memcpy(buf, f->p, n);
	f->p += n;
	f->left -= n;
	return (ssize_t)n;
}

static const struct tulpen_nl_ops feed_ops = {
	.send = f_send,
	.recv = f_recv,
};

static int check(const struct tulpen_sock *s, void *data)
{
	(void)data;
	if (s->family != AF_INET && s->family != AF_INET6 &&
	    s->family != AF_UNIX && s->family != AF_NETLINK &&
	    s->family != AF_PACKET && s->family != 40 /* AF_VSOCK */ &&
	    s->family != 44 /* AF_XDP */ && s->family != 30 /* AF_TIPC */)
		abort();
	if (s->nl.comm && strlen(s->nl.comm) >= 64)
		abort();
	if (s->state >= TULPEN_TCP_MAX_STATES)
		abort();
	if (s->unix_path && strlen(s->unix_path) > 108)
		abort();
	if (s->tcp_info && (s->tcp_info->snd_wscale > 15 ||
			    s->tcp_info->cong[sizeof(s->tcp_info->cong) - 1]))
		abort();
	if (s->skmem && s->skmem->count > 9)
		abort();
	return 0;
}

/* One message as an SCTP record, and what ss and JSON write of it. */
static void sctp(const struct nlmsghdr *nlh, struct tulpen_diag_store *st)
{
	struct tulpen_sock s;
	struct tulpen_buf b;

	if (tulpen_inet_diag_parse_ext(nlh, TULPEN_P_SCTP, &s, st))
		return;
	check(&s, NULL);
	if ((s.sctp.locals && !s.sctp.nlocals) ||
	    (s.sctp.peers && !s.sctp.npeers) ||
	    (uint64_t)(s.sctp.nlocals + s.sctp.npeers) * 128 > nlh->nlmsg_len)
		abort();
	if (tulpen_buf_init(&b, 0, NULL, NULL))
		return;
	tulpen_ss_sctp_info(&b, &s);
	tulpen_json_sctp(&b, &s);
	tulpen_buf_fini(&b);
}

/* Every message of every datagram as a destroy event (sock_events.c). */
static void events(const uint8_t *p, size_t left)
{
	static struct tulpen_diag_store st;
	static char buf[65536] __attribute__((aligned(8)));
	struct tulpen_sock s;

	while (left >= 2) {
		size_t n = (size_t)p[0] | (size_t)p[1] << 8;
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len;

		p += 2;
		left -= 2;
		if (n > left)
			n = left;
		memcpy(buf, p, n);
		p += n;
		left -= n;
		len = (int)n;
		while (len >= (int)sizeof(*nlh) &&
		       nlh->nlmsg_len >= sizeof(*nlh) &&
		       nlh->nlmsg_len <= (unsigned int)len) {
			if (!tulpen_sock_event_parse(nlh, &s, &st))
				check(&s, NULL);
			sctp(nlh, &st);
			len -= (int)NLMSG_ALIGN(nlh->nlmsg_len);
			nlh = (const struct nlmsghdr
				       *)((const char *)nlh +
					  NLMSG_ALIGN(nlh->nlmsg_len));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tulpen_query q = {
		.protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_UNIX) |
			  TULPEN_PF(TULPEN_P_NETLINK) |
			  TULPEN_PF(TULPEN_P_PACKET) |
			  TULPEN_PF(TULPEN_P_VSOCK) | TULPEN_PF(TULPEN_P_XDP) |
			  TULPEN_PF(TULPEN_P_TIPC),
		.families = TULPEN_FAM_ALL,
		.states = TULPEN_SF_ALL,
		.ext = TULPEN_EXT_TCP_INFO | TULPEN_EXT_SKMEM | TULPEN_EXT_TOS |
		       TULPEN_EXT_UNIX_DETAILS,
	};
	struct feed f = { data, size };
	struct tulpen_ctx *ctx;

	if (tulpen_ctx_new(&ctx))
		return 0;
	tulpen_ctx_set_source(ctx, TULPEN_SOURCE_NETLINK);
	tulpen_ctx_set_nl_ops(ctx, &feed_ops, &f);
	tulpen_collect(ctx, &q, check, NULL);
	tulpen_ctx_free(ctx);
	events(data, size);
	return 0;
}
