/* SPDX-License-Identifier: MIT */
/*
 * nl_dump.h - one netlink dump over the context's transport, and the
 * message parsers (exposed for the fuzz targets). Not installed.
 */
#ifndef TULPEN_NL_DUMP_H
#define TULPEN_NL_DUMP_H

#include <linux/netlink.h>
#include "tulpen/ctx.h"
#include "tulpen/collect.h"
#include "tulpen/sock.h"
#include "tulpen/skmem.h"
#include "tulpen/tcp_info.h"

/*
 * Called per message of the answer (not for NLMSG_DONE/NLMSG_ERROR).
 * Return 0 to go on, non-zero to stop: the rest of the dump is drained
 * without further calls and the value is returned by tulpen_nl_dump().
 */
/*
 * Room for one request: its header, the request and a few attributes.
 * (MNL_SOCKET_BUFFER_SIZE calls sysconf(), so an array of it is a VLA.)
 */
#define TULPEN_NL_REQ_SIZE 1024

typedef int (*tulpen_nl_msg_cb)(const struct nlmsghdr *nlh, void *data);

/* The IPPROTO_ number of inet protocol @proto (TULPEN_P_*), or -1. */
int tulpen_diag_ip_proto(int proto);

/*
 * Send the request @req (its nlmsg_seq is set here) and feed every answer
 * message to @cb. Returns 0, the callback's value, or a negative errno:
 * -ENOENT/-EPROTONOSUPPORT when the kernel has no handler for the request,
 * -EBADMSG for a malformed answer (details in the context).
 */
int tulpen_nl_dump(struct tulpen_ctx *ctx, struct nlmsghdr *req,
		   tulpen_nl_msg_cb cb, void *data);

/*
 * The families without ports (diag_family.c): one SOCK_DIAG_BY_FAMILY dump
 * of the family's request @req (@len bytes, sdiag_family first); each
 * answer is parsed by @parse(nlh, record, @arg) (0; 1: no socket in it,
 * skipped; -EBADMSG, which stops the dump) and handed to @cb. Returns what
 * tulpen_nl_dump() does.
 */
typedef int (*tulpen_diag_parse_fn)(const struct nlmsghdr *nlh,
				    struct tulpen_sock *s, void *arg);
int tulpen_diag_family_dump(struct tulpen_ctx *ctx, const void *req, size_t len,
			    tulpen_diag_parse_fn parse, void *arg,
			    tulpen_sock_cb cb, void *data);
/*
 * The sk_meminfo array in attribute @type of a family's answer (after
 * @hdrlen bytes of its header) into @sm: @sm, or NULL when there is none.
 */
const struct tulpen_skmem *tulpen_diag_family_skmem(const struct nlmsghdr *nlh,
						    size_t hdrlen,
						    uint16_t type,
						    struct tulpen_skmem *sm);
/* Netlink, packet sockets with their memory when @ext has TULPEN_EXT_SKMEM */
int tulpen_netlink_diag_collect_ext(struct tulpen_ctx *ctx, uint32_t ext,
				    tulpen_sock_cb cb, void *data);
int tulpen_packet_diag_collect_ext(struct tulpen_ctx *ctx, uint32_t ext,
				   tulpen_sock_cb cb, void *data);

/*
 * What a filter asks of an inet dump: the bytecode (INET_DIAG_REQ_BYTECODE,
 * @len bytes; NULL for none) and the ports every selected socket has (0:
 * any; tulpen_filter_ports()).
 */
struct tulpen_diag_prog {
	const void *bc;
	size_t len;
	uint16_t sport, dport;
};

/*
 * Inet dumps with @prog (NULL: everything): the kernel's answer as it is,
 * no fallback. The kernel refuses a program its audit rejects with -EINVAL
 * (-EPERM for fwmark without CAP_NET_ADMIN).
 */
int tulpen_inet_diag_dump(struct tulpen_ctx *ctx, int proto, int family,
			  uint32_t states, const struct tulpen_diag_prog *prog,
			  tulpen_sock_cb cb, void *data);
int tulpen_inet_diag_dump_tcp_any(struct tulpen_ctx *ctx, uint32_t states,
				  const struct tulpen_diag_prog *prog,
				  tulpen_sock_cb cb, void *data);

/*
 * Inet dumps that also ask for the extras of @ext (TULPEN_EXT_*, 0: none):
 * the records' tcp_info and skmem point into the dump's own storage.
 */
int tulpen_inet_diag_dump_ext(struct tulpen_ctx *ctx, int proto, int family,
			      uint32_t states, uint32_t ext,
			      const struct tulpen_diag_prog *prog,
			      tulpen_sock_cb cb, void *data);
int tulpen_inet_diag_dump_tcp_any_ext(struct tulpen_ctx *ctx, uint32_t states,
				      uint32_t ext,
				      const struct tulpen_diag_prog *prog,
				      tulpen_sock_cb cb, void *data);
int tulpen_unix_diag_collect_ext(struct tulpen_ctx *ctx, uint32_t states,
				 uint32_t ext, tulpen_sock_cb cb, void *data);

/*
 * Where a record's extras are decoded to: s->tcp_info and s->skmem point
 * here when the message carries them.
 */
struct tulpen_diag_store {
	struct tulpen_tcp_info ti;
	struct tulpen_skmem sm;
	struct tulpen_mptcp_info mi;
};

/* Without @st (NULL) the extras are not decoded. */
int tulpen_inet_diag_parse(const struct nlmsghdr *nlh, int proto,
			   struct tulpen_sock *s);
int tulpen_inet_diag_parse_ext(const struct nlmsghdr *nlh, int proto,
			       struct tulpen_sock *s,
			       struct tulpen_diag_store *st);
int tulpen_unix_diag_parse_ext(const struct nlmsghdr *nlh,
			       struct tulpen_sock *s, char *path,
			       size_t path_size, struct tulpen_diag_store *st);

/* A destroy event (sock_events.c): 0 or -EBADMSG. */
int tulpen_sock_event_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s,
			    struct tulpen_diag_store *st);

/* The decoders of diag_ext.c. */
struct nlattr;
void tulpen_diag_tcp_info(const void *p, size_t len,
			  struct tulpen_tcp_info *ti);
void tulpen_diag_cc(const struct nlattr *const *tb, struct tulpen_tcp_info *ti);
void tulpen_diag_ulp(const struct nlattr *a, struct tulpen_tcp_info *ti);
void tulpen_diag_skmem(const void *p, size_t len, struct tulpen_skmem *sm);
void tulpen_diag_mptcp_info(const void *p, size_t len,
			    struct tulpen_mptcp_info *mi);
/* @path must have room for 110 bytes (sun_path plus '@' and NUL). */
int tulpen_unix_diag_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s,
			   char *path, size_t path_size);

/* The other families' answers: 0 or -EBADMSG. */
int tulpen_netlink_diag_parse(const struct nlmsghdr *nlh,
			      struct tulpen_sock *s);
int tulpen_packet_diag_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s);
int tulpen_vsock_diag_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s);
int tulpen_xdp_diag_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s);
/* AF_XDP with @ext's extras (TULPEN_EXT_SKMEM: s->skmem). */
int tulpen_xdp_diag_collect_ext(struct tulpen_ctx *ctx, uint32_t ext,
				tulpen_sock_cb cb, void *data);
/* TIPC: 0, 1 for a message without a socket (skipped), or -EBADMSG. */
int tulpen_tipc_diag_parse(const struct nlmsghdr *nlh, struct tulpen_sock *s);

#endif /* TULPEN_NL_DUMP_H */
