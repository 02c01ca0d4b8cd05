// SPDX-License-Identifier: MIT
/*
 * tipc_diag.c - TIPC sockets (AF_TIPC) from netlink sock_diag (tipc_diag,
 * when the kernel has TIPC), as ss --tipc asks for them: the answer is no
 * fixed header but one TIPC_NLA_SOCK nest (linux/tipc_netlink.h) with the
 * socket's node address and port, its peer when connected, type, state,
 * inode, owner, cookie and the queue counts.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tipc_netlink.h>
#include <linux/tipc_sockets_diag.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "core/ctx_internal.h"
#include "collect/nl_dump.h"

#ifndef AF_TIPC
#define AF_TIPC 30
#endif

struct attr_table {
	const struct nlattr **tb;
	int max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct attr_table *t = data;

	if (mnl_attr_type_valid(attr, (uint16_t)t->max) < 0)
		return MNL_CB_OK;
	t->tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/* A nest's attributes into @tb (@max + 1 entries): 0 or -EBADMSG. */
static int nested(const struct nlattr *nest, const struct nlattr **tb, int max)
{
	struct attr_table t = { tb, max };

	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -EBADMSG;
	return mnl_attr_parse_nested(nest, attr_cb, &t) < 0 ? -EBADMSG : 0;
}

/* A u32 attribute, or 0 when absent or short. */
static uint32_t u32_of(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 4 ? mnl_attr_get_u32(a) : 0;
}

/* TIPC_NLA_SOCK_CON: the peer and the service connected through. */
static int parse_con(const struct nlattr *a, struct tulpen_sock *s)
{
	const struct nlattr *con[TIPC_NLA_CON_MAX + 1] = { NULL };

	if (nested(a, con, TIPC_NLA_CON_MAX))
		return -EBADMSG;
	s->tipc.connected = 1;
	s->tipc.peer_node = u32_of(con[TIPC_NLA_CON_NODE]);
	s->tipc.peer_ref = u32_of(con[TIPC_NLA_CON_SOCK]);
	if (con[TIPC_NLA_CON_FLAG]) {
		s->tipc.has_via = 1;
		s->tipc.via_type = u32_of(con[TIPC_NLA_CON_TYPE]);
		s->tipc.via_inst = u32_of(con[TIPC_NLA_CON_INST]);
	}
	return 0;
}

static int parse_stat(const struct nlattr *a, struct tulpen_sock *s)
{
	const struct nlattr *st[TIPC_NLA_SOCK_STAT_MAX + 1] = { NULL };

	if (nested(a, st, TIPC_NLA_SOCK_STAT_MAX))
		return -EBADMSG;
	s->rqueue = u32_of(st[TIPC_NLA_SOCK_STAT_RCVQ]);
	s->wqueue = u32_of(st[TIPC_NLA_SOCK_STAT_SENDQ]);
	s->tipc.drops = u32_of(st[TIPC_NLA_SOCK_STAT_DROP]);
	s->tipc.link_cong = st[TIPC_NLA_SOCK_STAT_LINK_CONG] != NULL;
	s->tipc.conn_cong = st[TIPC_NLA_SOCK_STAT_CONN_CONG] != NULL;
	return 0;
}

/* The record's fields from the TIPC_NLA_SOCK nest's attributes @tb. */
static int fill(const struct nlattr *const *tb, struct tulpen_sock *s)
{
	uint32_t state = u32_of(tb[TIPC_NLA_SOCK_TIPC_STATE]);

	memset(s, 0, sizeof(*s));
	s->proto = TULPEN_P_TIPC;
	s->family = AF_TIPC;
	/* TIPC keeps its states in TCP's numbers (net/tipc/socket.c) */
	s->state = state < TULPEN_TCP_MAX_STATES ? (uint8_t)state
						 : TULPEN_TCP_UNKNOWN;
	s->unix_type = (uint8_t)u32_of(tb[TIPC_NLA_SOCK_TYPE]);
	s->source = TULPEN_SRC_NETLINK;
	s->v6only = 2;
	s->inode = u32_of(tb[TIPC_NLA_SOCK_INO]);
	if (tb[TIPC_NLA_SOCK_UID])
		s->uid = u32_of(tb[TIPC_NLA_SOCK_UID]);
	else
		s->unknown |= TULPEN_UNK_UID;
	if (tb[TIPC_NLA_SOCK_COOKIE] &&
	    mnl_attr_get_payload_len(tb[TIPC_NLA_SOCK_COOKIE]) >= 8) {
		s->cookie = mnl_attr_get_u64(tb[TIPC_NLA_SOCK_COOKIE]);
		s->has_cookie = 1;
	}
	s->tipc.node = u32_of(tb[TIPC_NLA_SOCK_ADDR]);
	s->tipc.ref = u32_of(tb[TIPC_NLA_SOCK_REF]);
	s->tipc.has_publ = tb[TIPC_NLA_SOCK_HAS_PUBL] != NULL;
	if (tb[TIPC_NLA_SOCK_CON] && parse_con(tb[TIPC_NLA_SOCK_CON], s))
		return -EBADMSG;
	if (tb[TIPC_NLA_SOCK_STAT] && parse_stat(tb[TIPC_NLA_SOCK_STAT], s))
		return -EBADMSG;
	return 0;
}

int tulpen_tipc_diag_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s)
{
	const struct nlattr *top[TIPC_NLA_MAX + 1] = { NULL };
	const struct nlattr *tb[TIPC_NLA_SOCK_MAX + 1] = { NULL };
	struct attr_table t = { top, TIPC_NLA_MAX };

	if (mnl_attr_parse(nlh, 0, attr_cb, &t) < 0)
		return -EBADMSG;
	/* ss skips a message without the nest, and so does the walk */
	if (!top[TIPC_NLA_SOCK])
		return 1;
	if (nested(top[TIPC_NLA_SOCK], tb, TIPC_NLA_SOCK_MAX))
		return -EBADMSG;
	if (!tb[TIPC_NLA_SOCK_REF] || !tb[TIPC_NLA_SOCK_TYPE])
		return -EBADMSG;
	return fill(tb, s);
}

static int parse_cb(const struct nlmsghdr *nlh, struct tulpen_sock *s,
		    void *arg)
{
	(void)arg;
	return tulpen_tipc_diag_parse(nlh, s);
}

int tulpen_tipc_diag_collect(struct tulpen_ctx *ctx, uint32_t states,
			     tulpen_sock_cb cb, void *data)
{
	struct tipc_sock_diag_req req = {
		.sdiag_family = AF_TIPC,
		.tidiag_states = states,
	};
	if (!states)
		return 0;
	return tulpen_diag_family_dump(ctx, &req, sizeof(req), parse_cb, NULL,
				       cb, data);
}
