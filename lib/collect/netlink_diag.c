// SPDX-License-Identifier: MIT
/*
 * netlink_diag.c - netlink sockets (AF_NETLINK) from netlink sock_diag
 * (netlink_diag): protocol, port ids, groups and queues, as ss -A netlink
 * lists them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/sock_diag.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "core/ctx_internal.h"
#include "collect/nl_dump.h"

/* sk_meminfo indices (linux/sock_diag.h) */
#define MEMINFO_RMEM 0
#define MEMINFO_WMEM 2

struct nl_walk {
	struct tulpen_ctx *ctx;
	uint32_t ext;
	char comm[64];
	struct tulpen_skmem sm;
};

/*
 * The name of process @pid as ss finds it: /proc/PID/stat up to the
 * first ')'. Returns 0 or -ENOENT.
 */
static int pid_comm(const struct tulpen_ctx *ctx, int32_t pid, char *out,
		    size_t size)
{
	char path[4200], buf[128];
	const char *open_paren, *close_paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/stat",
		 ctx->proc_root ? ctx->proc_root : "/proc", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	open_paren = strchr(buf, '(');
	close_paren = open_paren ? strchr(open_paren, ')') : NULL;
	if (!close_paren || (size_t)(close_paren - open_paren - 1) >= size)
		return -ENOENT;
	memcpy(out, open_paren + 1, (size_t)(close_paren - open_paren - 1));
	out[close_paren - open_paren - 1] = '\0';
	return 0;
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, NETLINK_DIAG_MAX) < 0)
		return MNL_CB_OK;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

int tulpen_netlink_diag_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s)
{
	const struct nlattr *tb[NETLINK_DIAG_MAX + 1] = { NULL };
	const struct netlink_diag_msg *m;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	m = mnl_nlmsg_get_payload(nlh);
	if (m->ndiag_family != AF_NETLINK)
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*m), attr_cb, tb) < 0)
		return -EBADMSG;

	memset(s, 0, sizeof(*s));
	s->proto = TULPEN_P_NETLINK;
	s->family = AF_NETLINK;
	/*
	 * netlink_diag reports NETLINK_UNCONNECTED (0) or CONNECTED (1); the
	 * socket's state is UNCONN either way, as ss shows it
	 */
	s->state = TULPEN_TCP_CLOSE;
	s->nl.connected = m->ndiag_state == 1;
	s->unix_type = m->ndiag_type;
	s->source = TULPEN_SRC_NETLINK;
	s->inode = m->ndiag_ino;
	s->cookie = (uint64_t)m->ndiag_cookie[0] | (uint64_t)m->ndiag_cookie[1]
							   << 32;
	s->has_cookie = 1;
	s->v6only = 2;
	s->unknown = TULPEN_UNK_UID;
	s->nl.protocol = m->ndiag_protocol;
	s->nl.portid = m->ndiag_portid;
	s->nl.dst_portid = m->ndiag_dst_portid;
	s->nl.dst_group = m->ndiag_dst_group;
	if (tb[NETLINK_DIAG_GROUPS] &&
	    mnl_attr_get_payload_len(tb[NETLINK_DIAG_GROUPS]) >= 4)
		s->nl.groups = mnl_attr_get_u32(tb[NETLINK_DIAG_GROUPS]);
	if (tb[NETLINK_DIAG_MEMINFO] &&
	    mnl_attr_get_payload_len(tb[NETLINK_DIAG_MEMINFO]) >=
		    (MEMINFO_WMEM + 1) * sizeof(uint32_t)) {
		uint32_t mi[MEMINFO_WMEM + 1];

		memcpy(mi, mnl_attr_get_payload(tb[NETLINK_DIAG_MEMINFO]),
		       sizeof(mi));
		s->rqueue = mi[MEMINFO_RMEM];
		s->wqueue = mi[MEMINFO_WMEM];
	}
	return 0;
}

/* The record, its process's name and (-m) its memory. */
static int parse_cb(const struct nlmsghdr *nlh, struct tulpen_sock *s,
		    void *arg)
{
	struct nl_walk *w = arg;

	if (tulpen_netlink_diag_parse(nlh, s))
		return -EBADMSG;
	if ((int32_t)s->nl.portid > 0 &&
	    !pid_comm(w->ctx, (int32_t)s->nl.portid, w->comm, sizeof(w->comm)))
		s->nl.comm = w->comm;
	if (w->ext & TULPEN_EXT_SKMEM)
		s->skmem = tulpen_diag_family_skmem(
			nlh, sizeof(struct netlink_diag_msg),
			NETLINK_DIAG_MEMINFO, &w->sm);
	return 0;
}

int tulpen_netlink_diag_collect_ext(struct tulpen_ctx *ctx, uint32_t ext,
				    tulpen_sock_cb cb, void *data)
{
	struct netlink_diag_req req = {
		.sdiag_family = AF_NETLINK,
		.sdiag_protocol = NDIAG_PROTO_ALL,
		.ndiag_show = NDIAG_SHOW_GROUPS | NDIAG_SHOW_MEMINFO,
	};
	struct nl_walk w = { .ctx = ctx, .ext = ext };

	return tulpen_diag_family_dump(ctx, &req, sizeof(req), parse_cb, &w, cb,
				       data);
}

int tulpen_netlink_diag_collect(struct tulpen_ctx *ctx, tulpen_sock_cb cb,
				void *data)
{
	return tulpen_netlink_diag_collect_ext(ctx, 0, cb, data);
}
