/* SPDX-License-Identifier: MIT */
/*
 * list_families.h - ss's socket table and family words: -A/--query QUERY
 * (tcp, udp, unix_stream, packet_raw, netlink, vsock, xdp, !WORD...) and
 * -f/--family FAMILY (inet, inet6, link, unix, netlink, vsock, xdp, tipc).
 */
#ifndef TULPEN_CLI_LIST_FAMILIES_H
#define TULPEN_CLI_LIST_FAMILIES_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/collect.h"

/* What the words chose: TULPEN_PF protocols and TULPEN_FAM_* families. */
struct family_sel {
	uint32_t protos, protos_off;
	uint32_t families;
	int query_seen; /* an -A was given (ss: starts from no table) */
	uint16_t unix_types, packet_types, vsock_types; /* 1 << SOCK_* */
};

/* -A: a comma-separated list of table words. 0 or -EINVAL (@err set). */
int family_sel_query(struct family_sel *sel, const char *arg, char *err,
		     size_t errsize);
/* -f: one family word. 0 or -EINVAL (@err set). */
int family_sel_family(struct family_sel *sel, const char *arg, char *err,
		      size_t errsize);
/*
 * As ss's filter_merge_defaults(): the protocols of each chosen family
 * when none was chosen for it, and the family of each chosen protocol.
 * @protos, @families are in/out (0 protos: every protocol).
 */
void family_sel_apply(const struct family_sel *sel, struct tulpen_query *q);

#endif /* TULPEN_CLI_LIST_FAMILIES_H */
