// SPDX-License-Identifier: MIT
/*
 * unix_diag.c - UNIX domain sockets from netlink sock_diag.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "core/ctx_internal.h"
#include "collect/nl_dump.h"

struct unix_walk {
	tulpen_sock_cb cb;
	void *data;
	char path[112];
	struct tulpen_diag_store *st; /* NULL: no extras asked for */
	struct tulpen_diag_store store;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, UNIX_DIAG_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

/* UNIX_DIAG_VFS and UNIX_DIAG_ICONS, when asked for. */
static void parse_details(const struct nlattr *const *tb, struct tulpen_sock *s)
{
	if (tb[UNIX_DIAG_VFS] && mnl_attr_get_payload_len(tb[UNIX_DIAG_VFS]) >=
					 sizeof(struct unix_diag_vfs)) {
		struct unix_diag_vfs v;

		memcpy(&v, mnl_attr_get_payload(tb[UNIX_DIAG_VFS]), sizeof(v));
		s->has_unix_vfs = 1;
		s->unix_vfs_ino = v.udiag_vfs_ino;
		s->unix_vfs_dev = v.udiag_vfs_dev;
	}
	if (tb[UNIX_DIAG_ICONS]) {
		s->has_unix_icons = 1;
		s->unix_icons = mnl_attr_get_payload(tb[UNIX_DIAG_ICONS]);
		s->unix_nicons =
			mnl_attr_get_payload_len(tb[UNIX_DIAG_ICONS]) / 4;
	}
}

int tulpen_unix_diag_parse_ext(const struct nlmsghdr *nlh,
			       struct tulpen_sock *s, char *path,
			       size_t path_size, struct tulpen_diag_store *st)
{
	const struct nlattr *tb[UNIX_DIAG_MAX + 1] = { NULL };
	const struct unix_diag_msg *m;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) || path_size < 110)
		return -EBADMSG;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->udiag_family != AF_UNIX)
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*m), attr_cb, tb) < 0)
		return -EBADMSG;

	memset(s, 0, sizeof(*s));
	s->proto = TULPEN_P_UNIX;
	s->family = AF_UNIX;
	s->unix_type = m->udiag_type;
	s->state = m->udiag_state < TULPEN_TCP_MAX_STATES ? m->udiag_state
							  : TULPEN_TCP_UNKNOWN;
	s->source = TULPEN_SRC_NETLINK;
	s->inode = m->udiag_ino;
	s->cookie = (uint64_t)m->udiag_cookie[0] | (uint64_t)m->udiag_cookie[1]
							   << 32;
	s->has_cookie = 1;
	s->v6only = 2;
	path[0] = '\0';
	s->unix_path = path;

	if (tb[UNIX_DIAG_NAME]) {
		const char *name = mnl_attr_get_payload(tb[UNIX_DIAG_NAME]);
		size_t len = mnl_attr_get_payload_len(tb[UNIX_DIAG_NAME]);
		size_t i;

		if (len > 108)
			return -EBADMSG;
		memcpy(path, name, len);
		path[len] = '\0';
		if (len && path[0] == '\0') {
			/* abstract: '@', and NULs inside shown as '@' too */
			path[0] = '@';
			for (i = 1; i < len; i++)
				if (path[i] == '\0')
					path[i] = '@';
		}
		/* a path name ends at its NUL (bind() may count it) */
	}
	if (tb[UNIX_DIAG_PEER] &&
	    mnl_attr_get_payload_len(tb[UNIX_DIAG_PEER]) >= 4)
		s->unix_peer = mnl_attr_get_u32(tb[UNIX_DIAG_PEER]);
	if (tb[UNIX_DIAG_RQLEN] &&
	    mnl_attr_get_payload_len(tb[UNIX_DIAG_RQLEN]) >=
		    sizeof(struct unix_diag_rqlen)) {
		const struct unix_diag_rqlen *q =
			mnl_attr_get_payload(tb[UNIX_DIAG_RQLEN]);

		s->rqueue = q->udiag_rqueue;
		s->wqueue = q->udiag_wqueue;
	}
	if (tb[UNIX_DIAG_UID] &&
	    mnl_attr_get_payload_len(tb[UNIX_DIAG_UID]) >= 4)
		s->uid = mnl_attr_get_u32(tb[UNIX_DIAG_UID]);
	else
		s->unknown |= TULPEN_UNK_UID;
	if (tb[UNIX_DIAG_SHUTDOWN] &&
	    mnl_attr_get_payload_len(tb[UNIX_DIAG_SHUTDOWN]) >= 1) {
		s->shutdown = mnl_attr_get_u8(tb[UNIX_DIAG_SHUTDOWN]) & 3;
		s->has_shutdown = 1;
	}
	parse_details(tb, s);
	if (st && tb[UNIX_DIAG_MEMINFO] &&
	    mnl_attr_get_payload_len(tb[UNIX_DIAG_MEMINFO]) >= 4) {
		tulpen_diag_skmem(
			mnl_attr_get_payload(tb[UNIX_DIAG_MEMINFO]),
			mnl_attr_get_payload_len(tb[UNIX_DIAG_MEMINFO]),
			&st->sm);
		s->skmem = &st->sm;
	}
	return 0;
}

int tulpen_unix_diag_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s,
			   char *path, size_t path_size)
{
	return tulpen_unix_diag_parse_ext(nlh, s, path, path_size, NULL);
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct unix_walk *w = data;
	struct tulpen_sock s;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return 0;
	if (tulpen_unix_diag_parse_ext(nlh, &s, w->path, sizeof(w->path),
				       w->st))
		return -EBADMSG;
	return w->cb(&s, w->data);
}

int tulpen_unix_diag_collect_ext(struct tulpen_ctx *ctx, uint32_t states,
				 uint32_t ext, tulpen_sock_cb cb, void *data)
{
	char req_buf[TULPEN_NL_REQ_SIZE];
	struct unix_diag_req *req;
	struct unix_walk w;
	struct nlmsghdr *nlh;

	if (!states)
		return 0;
	w.cb = cb;
	w.data = data;
	w.st = ext & TULPEN_EXT_SKMEM ? &w.store : NULL;
	nlh = mnl_nlmsg_put_header(req_buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = AF_UNIX;
	req->udiag_states = states;
	req->udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN |
			  UDIAG_SHOW_UID;
	if (ext & TULPEN_EXT_SKMEM)
		req->udiag_show |= UDIAG_SHOW_MEMINFO;
	if (ext & TULPEN_EXT_UNIX_DETAILS)
		req->udiag_show |= UDIAG_SHOW_VFS | UDIAG_SHOW_ICONS;
	return tulpen_nl_dump(ctx, nlh, msg_cb, &w);
}

int tulpen_unix_diag_collect(struct tulpen_ctx *ctx, uint32_t states,
			     tulpen_sock_cb cb, void *data)
{
	return tulpen_unix_diag_collect_ext(ctx, states, 0, cb, data);
}
