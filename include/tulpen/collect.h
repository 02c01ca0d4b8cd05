/* SPDX-License-Identifier: MIT */
/*
 * tulpen/collect.h - walk the sockets of the host (or of recorded data).
 *
 * Records are streamed: the collector calls back once per socket and holds
 * no more than one receive buffer, so memory stays flat however many
 * sockets there are.
 */
#ifndef TULPEN_COLLECT_H
#define TULPEN_COLLECT_H

#include <stdint.h>
#include "tulpen/ctx.h"
#include "tulpen/sock.h"

struct tulpen_filter;

/* Address families to collect. */
#define TULPEN_FAM_INET 0x1u
#define TULPEN_FAM_INET6 0x2u
#define TULPEN_FAM_UNIX 0x4u
#define TULPEN_FAM_NETLINK 0x8u
#define TULPEN_FAM_PACKET 0x10u
#define TULPEN_FAM_VSOCK 0x20u
#define TULPEN_FAM_XDP 0x40u
#define TULPEN_FAM_TIPC 0x80u
#define TULPEN_FAM_ALL 0xffu

/* Query flags (struct tulpen_query.flags). */
/*
 * ss's order: netlink, packet, UNIX, RAW, UDP, TCP, vsock, XDP, MPTCP,
 * each inet protocol IPv4 then IPv6 (default: TCP first, in one walk).
 * The order flags are not used when replaying a recording (--nl-replay):
 * its answers come in the default order of the requests it recorded.
 */
#define TULPEN_Q_SS_ORDER 0x1u
/* TCP too IPv4 then IPv6 (two walks), as netstat reads tcp then tcp6 */
#define TULPEN_Q_FAMILY_ORDER 0x2u

/*
 * Extras a dump asks the kernel for (struct tulpen_query.ext); each costs
 * time and bytes per socket, so none is requested unless asked for.
 */
#define TULPEN_EXT_TCP_INFO 0x1u     /* tcp_info, congestion control, ULP */
#define TULPEN_EXT_SKMEM 0x2u	     /* socket memory (inet and UNIX) */
#define TULPEN_EXT_TOS 0x4u	     /* TOS, traffic class, class id */
#define TULPEN_EXT_UNIX_DETAILS 0x8u /* UNIX: bound file, pending peers */

struct tulpen_query {
	uint32_t protos;   /* mask of TULPEN_PF(enum tulpen_proto) */
	uint32_t families; /* mask of TULPEN_FAM_* */
	uint32_t states;   /* mask of TULPEN_SF(state), sent to the kernel */
	/*
	 * Protocols (TULPEN_PF mask) to read from /proc/net even when netlink
	 * serves them, e.g. UNIX for netstat's layout, which shows the
	 * reference count only /proc/net/unix has.
	 */
	uint32_t proc_protos;
	/*
	 * A filter expression (tulpen/filter.h) or NULL. Inet dumps carry it
	 * to the kernel as bytecode; every record is also matched here, so
	 * every source selects the same sockets. Borrowed, not freed.
	 */
	const struct tulpen_filter *filter;
	uint32_t flags; /* TULPEN_Q_* */
	/* socket types (1 << SOCK_*) to keep per family; 0: every type */
	uint16_t unix_types, packet_types, vsock_types;
	/*
	 * TULPEN_EXT_* mask: what the records' tcp_info, skmem and tos
	 * fields carry (tulpen/tcp_info.h, tulpen/skmem.h). 0: none.
	 */
	uint32_t ext;
};

/*
 * Called once per socket. Return 0 to go on; anything else stops the walk
 * and is returned by tulpen_collect().
 */
typedef int (*tulpen_sock_cb)(const struct tulpen_sock *s, void *data);

/*
 * tulpen_collect - report every socket matching @q to @cb.
 *
 * Uses netlink sock_diag, and /proc/net text files for a protocol the
 * kernel's diag modules do not serve (RAW on many kernels), when netlink is
 * unavailable, or always with TULPEN_SOURCE_PROC. Kernel-side state
 * filtering (idiag_states) is used; records from /proc are filtered here.
 *
 * Returns 0, the callback's non-zero value, or a negative errno with details
 * in tulpen_ctx_errmsg().
 */
int tulpen_collect(struct tulpen_ctx *ctx, const struct tulpen_query *q,
		   tulpen_sock_cb cb, void *data);

/*
 * Lower-level entry points, one per source, with the same contract. They do
 * not fall back to each other. tulpen_inet_diag_collect() returns
 * -EPROTONOSUPPORT/-ENOENT when the kernel has no diag handler for the
 * protocol.
 */
int tulpen_inet_diag_collect(struct tulpen_ctx *ctx, int proto, int family,
			     uint32_t states, tulpen_sock_cb cb, void *data);
/* TCP of both families in one kernel walk (the TCPDIAG_GETSOCK request). */
int tulpen_inet_diag_collect_tcp_any(struct tulpen_ctx *ctx, uint32_t states,
				     tulpen_sock_cb cb, void *data);
int tulpen_unix_diag_collect(struct tulpen_ctx *ctx, uint32_t states,
			     tulpen_sock_cb cb, void *data);
/* Netlink, packet, vsock, XDP, TIPC sockets (netlink sock_diag only). */
int tulpen_netlink_diag_collect(struct tulpen_ctx *ctx, tulpen_sock_cb cb,
				void *data);
int tulpen_packet_diag_collect(struct tulpen_ctx *ctx, tulpen_sock_cb cb,
			       void *data);
int tulpen_vsock_diag_collect(struct tulpen_ctx *ctx, uint32_t states,
			      tulpen_sock_cb cb, void *data);
int tulpen_xdp_diag_collect(struct tulpen_ctx *ctx, tulpen_sock_cb cb,
			    void *data);
/* TIPC sockets (tipc_diag) in @states (TULPEN_SF mask). */
int tulpen_tipc_diag_collect(struct tulpen_ctx *ctx, uint32_t states,
			     tulpen_sock_cb cb, void *data);
int tulpen_proc_net_collect(struct tulpen_ctx *ctx, int proto, int family,
			    uint32_t states, tulpen_sock_cb cb, void *data);

#endif /* TULPEN_COLLECT_H */
