/* SPDX-License-Identifier: MIT */
/*
 * tulpen/sock.h - the one socket record shared by every collector (netlink
 * sock_diag, /proc/net) and every output back end.
 *
 * Ownership: a struct tulpen_sock handed to a callback is owned by the
 * collector and valid only during that call; pointers inside it (unix_path)
 * point into the collector's receive buffer. Copy what you keep.
 */
#ifndef TULPEN_SOCK_H
#define TULPEN_SOCK_H

#include <stdint.h>
#include <stddef.h>
#include <netinet/in.h>

enum tulpen_proto {
	TULPEN_P_TCP = 0,
	TULPEN_P_UDP,
	TULPEN_P_UDPLITE,
	TULPEN_P_RAW,
	TULPEN_P_UNIX,
	TULPEN_P_MPTCP,
	TULPEN_P_SCTP,	  /* inet_diag, when the kernel has SCTP */
	TULPEN_P_NETLINK, /* AF_NETLINK (netlink_diag) */
	TULPEN_P_PACKET,  /* AF_PACKET (packet_diag) */
	TULPEN_P_VSOCK,	  /* AF_VSOCK (vsock_diag) */
	TULPEN_P_XDP,	  /* AF_XDP (xsk_diag) */
	TULPEN_P_TIPC,	  /* AF_TIPC (tipc_diag), when the kernel has TIPC */
	TULPEN_P_MAX,
};

#define TULPEN_PF(p) (1u << (p))

/* Where a socket record came from. */
enum tulpen_source {
	TULPEN_SRC_NETLINK = 0,
	TULPEN_SRC_PROC = 1,
};

/* Kernel timer kinds as in /proc/net/tcp's "tr" column. */
enum tulpen_timer {
	TULPEN_TIMER_OFF = 0,
	TULPEN_TIMER_ON = 1, /* retransmit */
	TULPEN_TIMER_KEEPALIVE = 2,
	TULPEN_TIMER_TIMEWAIT = 3,
	TULPEN_TIMER_PROBE = 4, /* zero window probe */
};

struct tulpen_container;  /* tulpen/container.h */
struct tulpen_tcp_info;	  /* tulpen/tcp_info.h */
struct tulpen_mptcp_info; /* tulpen/tcp_info.h */
struct tulpen_skmem;	  /* tulpen/skmem.h */

/* INET_DIAG_SOCKOPT bits (struct tulpen_sock.sockopt), as ss names them */
#define TULPEN_SOCKOPT_RECVERR 0x0001u
#define TULPEN_SOCKOPT_IS_ICSK 0x0002u
#define TULPEN_SOCKOPT_FREEBIND 0x0004u
#define TULPEN_SOCKOPT_HDRINCL 0x0008u
#define TULPEN_SOCKOPT_MC_LOOP 0x0010u
#define TULPEN_SOCKOPT_TRANSPARENT 0x0020u
#define TULPEN_SOCKOPT_MC_ALL 0x0040u
#define TULPEN_SOCKOPT_NODEFRAG 0x0080u
#define TULPEN_SOCKOPT_BIND_ADDRESS_NO_PORT 0x0100u
#define TULPEN_SOCKOPT_RECVERR_RFC4884 0x0200u
#define TULPEN_SOCKOPT_DEFER_CONNECT 0x0400u

struct tulpen_endpoint {
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t raw[16];
	} addr;
	uint16_t port; /* host byte order */
};

/* Fields a source could not tell (struct tulpen_sock.unknown). */
#define TULPEN_UNK_UID 0x1u    /* /proc/net/unix has no uid column */
#define TULPEN_UNK_PEER 0x2u   /* nor the peer's inode */
#define TULPEN_UNK_QUEUES 0x4u /* nor the queues */

struct tulpen_sock {
	uint8_t proto;	    /* enum tulpen_proto */
	uint8_t family;	    /* AF_INET, AF_INET6 or AF_UNIX */
	uint8_t state;	    /* enum tulpen_tcp_state (UDP/RAW/UNIX too) */
	uint8_t timer;	    /* enum tulpen_timer */
	uint8_t retrans;    /* retransmits of the running timer */
	uint8_t unix_type;  /* SOCK_* type: UNIX, packet, vsock, XDP */
	uint8_t source;	    /* enum tulpen_source */
	uint8_t has_cookie; /* cookie is valid (netlink only) */
	uint8_t v6only;	    /* IPV6_V6ONLY: 1 set, 0 clear, 2 unknown */
	uint8_t shutdown;   /* shutdown() mask: 1 read side, 2 write side */
	uint16_t raw_proto; /* RAW: IP protocol number */
	uint8_t unknown;    /* TULPEN_UNK_* */
	struct tulpen_endpoint local;
	struct tulpen_endpoint peer;
	uint32_t ifindex; /* bound device or scope of a link-local address */
	uint32_t rqueue;  /* Recv-Q (LISTEN: accept queue length) */
	uint32_t wqueue;  /* Send-Q (LISTEN: accept queue limit) */
	uint32_t uid;
	uint64_t inode; /* 0 for request and TIME-WAIT sockets */
	uint64_t cookie;
	uint64_t cgroup_id; /* cgroup v2 id (netlink), 0 if not known */
	uint32_t mark;	    /* SO_MARK (netlink, CAP_NET_ADMIN), else 0 */
	int64_t timer_ms;   /* time until the timer fires, ms (may be <0) */
	/* UNIX sockets */
	uint64_t unix_peer;    /* peer's inode, 0 if none */
	uint32_t unix_refcnt;  /* kernel reference count (/proc only; 0 unknown)
				*/
	const char *unix_path; /* NUL-terminated; abstract names start '@' */
	/*
	 * The families without ports (0 elsewhere). Netlink: the protocol
	 * (NETLINK_ROUTE...), the port ids, the peer's group and the first
	 * word of the groups. Packet: the protocol (ethertype, host order)
	 * and the bound device in ifindex. Vsock: context ids and ports.
	 * XDP: the bound device in ifindex and the queue.
	 */
	struct {
		uint32_t protocol;
		uint32_t portid, dst_portid, dst_group;
		uint32_t groups;
		uint8_t connected; /* NETLINK_CONNECTED (ss: UNCONN all the
				      same) */
		/* the process whose pid is portid (/proc/PID/stat), or NULL */
		const char *comm;
	} nl;
	uint16_t packet_proto;
	/*
	 * Packet sockets: PACKET_DIAG_INFO's details (has_info), the rings
	 * and fanout when set up, and the classic BPF program attached with
	 * SO_ATTACH_FILTER (PACKET_DIAG_FILTER): @nfilter instructions of
	 * struct sock_filter (8 bytes: code, jt, jf, k in host order) at
	 * @filter, valid during the callback; read them with memcpy.
	 */
	struct {
		uint8_t has_info, has_fanout, has_filter;
		uint32_t version, copy_thresh, flags; /* PDI_* flags */
		uint32_t fanout; /* id in the low 16 bits, type above */
		struct tulpen_packet_ring {
			uint8_t present;
			uint32_t block_size, block_nr, frame_size, frame_nr;
			uint32_t retire_tmo, features;
		} rx_ring, tx_ring;
		const void *filter;
		uint32_t nfilter;
	} pk;
	uint32_t vsock_cid, vsock_port, vsock_peer_cid, vsock_peer_port;
	uint32_t xdp_queue;
	/*
	 * XDP (xsk_diag): the rings' sizes in descriptors (has_rings bits:
	 * 1 rx, 2 tx, 4 fill, 8 completion), the umem (has_umem; flags bit 0
	 * zero-copy) and the statistics (has_stats).
	 */
	struct {
		uint8_t has_rings, has_umem, has_stats;
		uint32_t rx, tx, fill, completion;
		struct {
			uint64_t size;
			uint32_t id, num_pages, chunk_size, headroom;
			uint32_t ifindex, queue_id, flags, refs;
		} umem;
		uint64_t rx_dropped, rx_invalid, rx_full, fill_ring_empty;
		uint64_t tx_invalid, tx_ring_empty;
	} xdp;
	/*
	 * TIPC: the socket's node address and port (reference), the peer's
	 * when connected, whether it has published names, the service it
	 * connected through (via_type, via_inst when has_via), congestion
	 * and drops.
	 */
	struct {
		uint32_t node, ref, peer_node, peer_ref;
		uint8_t connected, has_publ, has_via, link_cong, conn_cong;
		uint32_t via_type, via_inst, drops;
	} tipc;
	/*
	 * SCTP (inet_diag): an endpoint, or one of its associations (the
	 * kernel sends INET_DIAG_PEERS with associations only), which has
	 * its own SCTP state (@state: 0 CLOSED, 1 COOKIE_WAIT, 2
	 * COOKIE_ECHOED, 3 ESTABLISHED, 4 SHUTDOWN_PENDING, 5 SHUTDOWN_SENT,
	 * 6 SHUTDOWN_RECEIVED, 7 SHUTDOWN_ACK_SENT; struct tulpen_sock.state
	 * holds the nearest TCP state). The bound addresses (@nlocals) and
	 * the peer's (@npeers) are struct sockaddr_storage entries (128
	 * bytes each) at @locals and @peers; -i's struct sctp_info of
	 * linux/sctp.h (@info_len bytes, shorter from older kernels) at
	 * @info. All valid during the callback; read them with memcpy.
	 */
	struct {
		uint8_t assoc, state;
		uint32_t nlocals, npeers, info_len;
		const void *locals, *peers, *info;
	} sctp;
	/*
	 * Where the socket lives: set by the walk over network namespaces
	 * (tulpen/netns.h), 0 and NULL from the plain collectors. Valid as
	 * long as the record.
	 */
	uint64_t netns_ino;	/* the namespace's inode */
	const char *netns_name; /* its /run/netns name, NULL if none */
	const struct tulpen_container *container; /* NULL: none known */
	/*
	 * What struct tulpen_query.ext asked for (tulpen/collect.h), valid
	 * during the callback; NULL when not asked for or not given.
	 */
	const struct tulpen_tcp_info *tcp_info; /* TULPEN_EXT_TCP_INFO */
	const struct tulpen_skmem *skmem;	/* TULPEN_EXT_SKMEM */
	/* TULPEN_EXT_TCP_INFO, MPTCP sockets */
	const struct tulpen_mptcp_info *mptcp_info;
	/* TULPEN_EXT_TOS: IP TOS, IPv6 traffic class, net_cls class id */
	uint8_t has_tos, has_tclass, has_class_id;
	uint8_t tos, tclass;
	uint32_t class_id;
	/* INET_DIAG_SOCKOPT (Linux 5.12), sent with every inet record */
	uint8_t has_sockopt;
	uint16_t sockopt; /* TULPEN_SOCKOPT_* */
	/* the kernel sent the shutdown mask (full sockets, not TIME-WAIT) */
	uint8_t has_shutdown;
	/*
	 * TULPEN_EXT_UNIX_DETAILS: a bound UNIX socket's file (UNIX_DIAG_VFS)
	 * and a listener's pending connections (UNIX_DIAG_ICONS: @unix_nicons
	 * inodes, 4 bytes each in host order, valid during the callback;
	 * read them with memcpy).
	 */
	uint8_t has_unix_vfs, has_unix_icons;
	uint32_t unix_vfs_ino, unix_vfs_dev;
	const void *unix_icons;
	uint32_t unix_nicons;
};

/* tulpen_sock_is_inet - whether @s is an IPv4 or IPv6 socket. */
static inline int tulpen_sock_is_inet(const struct tulpen_sock *s)
{
	return s->family == AF_INET || s->family == AF_INET6;
}

/* Static protocol names: "tcp", "udp", "raw", "unix", "mptcp", ... */
const char *tulpen_proto_name(int proto);

#endif /* TULPEN_SOCK_H */
