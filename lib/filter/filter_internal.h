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
	unsigned int eph_lo, eph_hi; /* ephemeral port range (autobound) */
};

void flt_node_free(struct flt_node *n);

#endif /* TULPEN_FILTER_INTERNAL_H */
