// SPDX-License-Identifier: MIT
/*
 * fmt_json.c - JSON (one array) and NDJSON (one object per line) output.
 *
 * Field names and types are documented in docs/json.md. Numbers are JSON
 * numbers, states are RFC 9293 names (UNCONN for sockets without a
 * connection), addresses are strings without brackets and ports numbers.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/container.h"
#include "tulpen/state.h"
#include "fmt/fmt_internal.h"

/* ,"KEY": in one write (the keys are short literals). */
static void put_key(struct tulpen_buf *b, const char *key)
{
	char tmp[64];
	size_t n = strlen(key);

	if (n > sizeof(tmp) - 4) {
		tulpen_buf_puts(b, ",\"");
		tulpen_buf_puts(b, key);
		tulpen_buf_puts(b, "\":");
		return;
	}
	tmp[0] = ',';
	tmp[1] = '"';
	memcpy(tmp + 2, key, n);
	tmp[n + 2] = '"';
	tmp[n + 3] = ':';
	tulpen_buf_put(b, tmp, n + 4);
}

static void put_u64(struct tulpen_buf *b, const char *key, uint64_t v)
{
	put_key(b, key);
	tulpen_buf_u64(b, v);
}

static void put_str(struct tulpen_buf *b, const char *key, const char *v)
{
	put_key(b, key);
	tulpen_buf_json_str(b, v);
}

static void put_endpoint(struct tulpen_fmt *f, const char *key,
			 const struct tulpen_sock *s,
			 const struct tulpen_endpoint *ep, uint32_t ifindex)
{
	struct tulpen_ep_style st = {
		.proto = s->proto,
		.services = f->o.numeric ? NULL : f->o.services,
		.resolver = f->o.resolver,
	};

	put_key(&f->out, key);
	tulpen_buf_json_endpoint(&f->out, s->family, ep, ifindex, &st);
}

/* What the query asked the kernel for: -i, -m, --tos, --inet-sockopt. */
static void put_extras(struct tulpen_fmt *f, const struct tulpen_sock *s)
{
	static const char *const opts[] = {
		"recverr",	   "is_icsk",	    "freebind",
		"hdrincl",	   "mc_loop",	    "transparent",
		"mc_all",	   "nodefrag",	    "bind_address_no_port",
		"recverr_rfc4884", "defer_connect",
	};
	struct tulpen_buf *b = &f->out;
	size_t i;
	int first = 1;

	if (s->tcp_info) {
		put_key(b, "tcp_info");
		tulpen_json_tcp_info(b, s->tcp_info);
	}
	if (s->mptcp_info) {
		put_key(b, "mptcp_info");
		tulpen_json_mptcp_info(b, s->mptcp_info);
	}
	if (s->skmem) {
		put_key(b, "skmem");
		tulpen_json_skmem(b, s->skmem);
	}
	if (s->has_tos)
		put_u64(b, "tos", s->tos);
	if (s->has_tclass)
		put_u64(b, "tclass", s->tclass);
	if (s->has_class_id)
		put_u64(b, "class_id", s->class_id);
	if (!f->o.inet_sockopt || !s->has_sockopt)
		return;
	put_key(b, "sockopt");
	tulpen_buf_putc(b, '[');
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (!(s->sockopt & (1u << i)))
			continue;
		if (!first)
			tulpen_buf_putc(b, ',');
		tulpen_buf_json_str(b, opts[i]);
		first = 0;
	}
	tulpen_buf_putc(b, ']');
}

static int put_sock(struct tulpen_fmt *f, const struct tulpen_sock *s,
		    const struct tulpen_owner *ow, size_t n)
{
	struct tulpen_buf *b = &f->out;
	const char *user;
	size_t i;

	tulpen_buf_puts(b, "{\"proto\":");
	tulpen_buf_json_str(b, tulpen_proto_name(s->proto));
	put_str(b, "family", tulpen_json_family_name(s));
	put_str(b, "state", tulpen_fmt_state(s, TULPEN_STATE_RFC));
	if (s->unknown & TULPEN_UNK_QUEUES) {
		put_key(b, "recv_q");
		tulpen_buf_puts(b, "null");
		put_key(b, "send_q");
		tulpen_buf_puts(b, "null");
	} else {
		put_u64(b, "recv_q", s->rqueue);
		put_u64(b, "send_q", s->wqueue);
	}
	if (s->family == AF_UNIX) {
		put_str(b, "type", tulpen_fmt_unix_type(s->unix_type));
		put_key(b, "path");
		if (s->unix_path && *s->unix_path)
			tulpen_buf_json_str(b, s->unix_path);
		else
			tulpen_buf_puts(b, "null");
		if (s->unknown & TULPEN_UNK_PEER) {
			put_key(b, "peer_inode");
			tulpen_buf_puts(b, "null");
		} else {
			put_u64(b, "peer_inode", s->unix_peer);
		}
	} else if (!tulpen_sock_is_inet(s)) {
		tulpen_json_family(b, &f->o, s);
	} else {
		put_endpoint(f, "local", s, &s->local, s->ifindex);
		put_endpoint(f, "peer", s, &s->peer, 0);
		if (s->proto == TULPEN_P_RAW)
			put_u64(b, "ip_protocol", s->raw_proto);
		if (s->family == AF_INET6 && s->v6only != 2) {
			put_key(b, "v6only");
			tulpen_buf_puts(b, s->v6only ? "true" : "false");
		}
		if (s->proto == TULPEN_P_SCTP)
			tulpen_json_sctp(b, s);
	}
	if (s->unknown & TULPEN_UNK_UID) {
		put_key(b, "uid");
		tulpen_buf_puts(b, "null");
		user = NULL;
	} else {
		put_u64(b, "uid", s->uid);
		user = f->o.numeric ? NULL
				    : tulpen_users_name(f->o.users, s->uid);
	}
	if (user)
		put_str(b, "user", user);
	put_u64(b, "inode", s->inode);
	if (s->has_cookie)
		put_u64(b, "cookie", s->cookie);
	if (s->cgroup_id)
		put_u64(b, "cgroup_id", s->cgroup_id);
	put_key(b, "timer");
	if (s->timer) {
		tulpen_buf_puts(b, "{\"name\":");
		tulpen_buf_json_str(b,
				    s->proto == TULPEN_P_SCTP
					    ? "t3_rtx" /* SCTP's only one */
					    : tulpen_fmt_timer_name(s->timer));
		tulpen_buf_puts(b, ",\"expires_ms\":");
		tulpen_buf_i64(b, s->timer_ms);
		put_u64(b, "retransmits", s->retrans);
		tulpen_buf_putc(b, '}');
	} else {
		tulpen_buf_puts(b, "null");
	}
	put_extras(f, s);
	put_str(b, "source", s->source == TULPEN_SRC_PROC ? "proc" : "netlink");
	if (s->netns_ino) { /* walked namespace by namespace */
		put_key(b, "netns");
		tulpen_buf_puts(b, "{\"inode\":");
		tulpen_buf_u64(b, s->netns_ino);
		put_key(b, "name");
		if (s->netns_name)
			tulpen_buf_json_str(b, s->netns_name);
		else
			tulpen_buf_puts(b, "null");
		tulpen_buf_putc(b, '}');
		put_key(b, "container");
		tulpen_container_json(s->container, b);
	}
	if (f->o.show_owners) {
		put_key(b, "processes");
		tulpen_buf_putc(b, '[');
		for (i = 0; i < n; i++) {
			tulpen_buf_puts(b, i ? ",{\"pid\":" : "{\"pid\":");
			tulpen_buf_u64(b, (uint64_t)ow[i].pid);
			put_str(b, "command", ow[i].comm);
			put_u64(b, "fd", (uint64_t)ow[i].fd);
			if (f->o.show_threads)
				put_u64(b, "tid",
					(uint64_t)tulpen_owner_tid(&ow[i]));
			tulpen_buf_putc(b, '}');
		}
		tulpen_buf_putc(b, ']');
	}
	tulpen_buf_putc(b, '}');
	return b->err;
}

static int json_init(struct tulpen_fmt *f)
{
	return tulpen_buf_putc(&f->out, '[');
}

static int json_sock(struct tulpen_fmt *f, const struct tulpen_sock *s,
		     const struct tulpen_owner *ow, size_t n)
{
	tulpen_buf_puts(&f->out, f->count ? ",\n" : "\n");
	return put_sock(f, s, ow, n);
}

static int json_end(struct tulpen_fmt *f)
{
	return tulpen_buf_puts(&f->out, f->count ? "\n]\n" : "]\n");
}

static int ndjson_sock(struct tulpen_fmt *f, const struct tulpen_sock *s,
		       const struct tulpen_owner *ow, size_t n)
{
	int ret = put_sock(f, s, ow, n);

	return ret ? ret : tulpen_buf_putc(&f->out, '\n');
}

const struct fmt_ops tulpen_fmt_json_ops = {
	.init = json_init,
	.sock = json_sock,
	.end = json_end,
};

const struct fmt_ops tulpen_fmt_ndjson_ops = {
	.sock = ndjson_sock,
};
