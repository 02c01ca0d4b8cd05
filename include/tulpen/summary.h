/* SPDX-License-Identifier: MIT */
/*
 * tulpen/summary.h - socket counts (-s): per protocol and family, and for
 * TCP per state, with request sockets (SYN-RECEIVED) counted apart.
 *
 * Ownership: struct tulpen_summary is a plain value the caller owns.
 */
#ifndef TULPEN_SUMMARY_H
#define TULPEN_SUMMARY_H

#include <stdint.h>
#include "tulpen/collect.h"
#include "tulpen/fmt.h"
#include "tulpen/state.h"

/* Family slots in the tables below. */
enum { TULPEN_SUM_INET, TULPEN_SUM_INET6, TULPEN_SUM_UNIX, TULPEN_SUM_FAMS };

struct tulpen_summary {
	uint64_t total;
	uint64_t sockets[TULPEN_P_MAX][TULPEN_SUM_FAMS];
	/* TCP and MPTCP by state; [TULPEN_TCP_NEW_SYN_RECV] = requests */
	uint64_t tcp_states[TULPEN_SUM_FAMS][TULPEN_TCP_MAX_STATES];
	uint32_t protos; /* which protocols were counted */
};

/* Count every socket @q selects (its state mask is used as given). */
int tulpen_summary_collect(struct tulpen_ctx *ctx, const struct tulpen_query *q,
			   struct tulpen_summary *sum);

/* Add one socket to @sum. */
void tulpen_summary_add(struct tulpen_summary *sum,
			const struct tulpen_sock *s);

/* Text for people (@json = 0) or one JSON object (@json = 1). */
int tulpen_summary_format(const struct tulpen_summary *sum, int json,
			  struct tulpen_buf *out);

#endif /* TULPEN_SUMMARY_H */
