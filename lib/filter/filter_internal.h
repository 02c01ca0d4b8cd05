/* SPDX-License-Identifier: MIT */
/*
 * filter_internal.h - the parsed expression tree shared by the parser, the
 * bytecode compiler and the evaluator. Not installed.
 */
#ifndef TULPEN_FILTER_INTERNAL_H
#define TULPEN_FILTER_INTERNAL_H

#include <stdint.h>
#include "tulpen/filter.h"

/* Node kinds, as ss's grammar builds them ('>' is NOT LE, and so on). */
enum flt_kind {
	FLT_AND,
	FLT_OR,
	FLT_NOT,
	FLT_SCOND, /* src / sport = : address and port */
	FLT_DCOND, /* dst / dport = */
	FLT_S_GE,
	FLT_S_LE,
	FLT_D_GE,
	FLT_D_LE,
	FLT_DEV,
	FLT_MARK,
	FLT_CGROUP,
	FLT_AUTO,
	/* tulpen's words (filter_words.c), evaluated from the record */
	FLT_STATE,     /* state NAME: the socket's state in @mask */
	FLT_NETNS,     /* netns NAME|INODE */
	FLT_CONTAINER, /* container ID|NAME */
	/* only in captured connections (tulpen pcap) */
	FLT_SIDE,      /* client|server TERM: TERM of that end (@side) */
	FLT_CONNSTATE, /* conn-state CODE,...: Zeek's conn_state in @mask */
	FLT_MIDSTREAM,
	FLT_RESET,
	FLT_CLOSED,
};

/* One address of a host condition (a host name may give several). */
struct flt_addr {
	int family; /* AF_UNSPEC ("any", port only), AF_INET, AF_INET6 */
	unsigned int bitlen; /* prefix length; 0 matches every address */
	uint8_t addr[16];
};

struct flt_host {
	int port;      /* -1: any port */
	int family;    /* AF_UNIX: pattern; else addrs[0].family */
	char *pattern; /* UNIX path pattern (fnmatch), NULL: any */
	unsigned int naddr;
	struct flt_addr *addrs; /* naddr >= 1 */
};

struct flt_node {
	enum flt_kind kind;
	struct flt_node *a, *b; /* AND/OR: a, b; NOT: a */
	struct flt_host host;	/* the conditions and comparisons */
	uint32_t ifindex;	/* FLT_DEV */
	uint32_t mark, mask;	/* FLT_MARK */
	uint64_t cgroup_id;	/* FLT_CGROUP */
	uint64_t ino;		/* FLT_NETNS: inode, 0 for a name */
	char *word;		/* FLT_NETNS name, FLT_CONTAINER id or name */
	int side;		/* FLT_SIDE: 0 client, 1 server */
};

struct tulpen_filter {
	struct flt_node *root; /* never NULL */
	uint32_t families;     /* TULPEN_FAM_* limit, 0: none */
	/*
	 * ss (iproute2 6.1) sends no bytecode at all when the expression has
	 * a dev term, and no inet dump comes with a UNIX pattern: then only
	 * ss's user-space rules decide.
	 */
	int user_only;
	int labels; /* netns or container terms: known after the walk */
	unsigned int eph_lo, eph_hi; /* ephemeral port range (autobound) */
};

void flt_node_free(struct flt_node *n);

/* Whether @n, a tulpen word, is one of ss's kinds (bytecode exists). */
static inline int flt_kind_is_ss(enum flt_kind k)
{
	return k <= FLT_AUTO;
}

#endif /* TULPEN_FILTER_INTERNAL_H */
