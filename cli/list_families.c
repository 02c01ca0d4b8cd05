// SPDX-License-Identifier: MIT
/*
 * list_families.c - ss's -A/--query and -f/--family words, and how the
 * tables and families they name complete each other (misc/ss.c
 * filter_db_parse(), filter_merge_defaults()).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "list_families.h"

#define P(x) TULPEN_PF(TULPEN_P_##x)
#define INET_PROTOS (P(TCP) | P(UDP) | P(RAW) | P(MPTCP) | P(SCTP))
#define T(x) (uint16_t)(1u << SOCK_##x)

struct table_word {
	const char *word;
	uint32_t protos;
	uint16_t unix_types, packet_types, vsock_types;
};

static const struct table_word tables[] = {
	{ "all", 0xffffffffu & ~P(TIPC), 0, 0, 0 }, /* ss: TIPC by name */
	{ "inet", INET_PROTOS, 0, 0, 0 },
	{ "tcp", P(TCP), 0, 0, 0 },
	{ "udp", P(UDP), 0, 0, 0 },
	{ "raw", P(RAW), 0, 0, 0 },
	{ "mptcp", P(MPTCP), 0, 0, 0 },
	{ "sctp", P(SCTP), 0, 0, 0 },
	{ "dccp", 0, 0, 0, 0 }, /* the kernel dropped DCCP */
	{ "unix", P(UNIX), 0, 0, 0 },
	{ "unix_stream", P(UNIX), T(STREAM), 0, 0 },
	{ "u_str", P(UNIX), T(STREAM), 0, 0 },
	{ "unix_dgram", P(UNIX), T(DGRAM), 0, 0 },
	{ "u_dgr", P(UNIX), T(DGRAM), 0, 0 },
	{ "unix_seqpacket", P(UNIX), T(SEQPACKET), 0, 0 },
	{ "u_seq", P(UNIX), T(SEQPACKET), 0, 0 },
	{ "packet", P(PACKET), 0, 0, 0 },
	{ "packet_raw", P(PACKET), 0, T(RAW), 0 },
	{ "p_raw", P(PACKET), 0, T(RAW), 0 },
	{ "packet_dgram", P(PACKET), 0, T(DGRAM), 0 },
	{ "p_dgr", P(PACKET), 0, T(DGRAM), 0 },
	{ "netlink", P(NETLINK), 0, 0, 0 },
	{ "tipc", P(TIPC), 0, 0, 0 },
	{ "vsock", P(VSOCK), 0, 0, 0 },
	{ "vsock_stream", P(VSOCK), 0, 0, T(STREAM) },
	{ "v_str", P(VSOCK), 0, 0, T(STREAM) },
	{ "vsock_dgram", P(VSOCK), 0, 0, T(DGRAM) },
	{ "v_dgr", P(VSOCK), 0, 0, T(DGRAM) },
	{ "xdp", P(XDP), 0, 0, 0 },
};

static const struct {
	const char *word;
	uint32_t families;
} family_words[] = {
	{ "inet", TULPEN_FAM_INET },	   { "inet6", TULPEN_FAM_INET6 },
	{ "link", TULPEN_FAM_PACKET },	   { "unix", TULPEN_FAM_UNIX },
	{ "netlink", TULPEN_FAM_NETLINK }, { "vsock", TULPEN_FAM_VSOCK },
	{ "xdp", TULPEN_FAM_XDP },	   { "tipc", TULPEN_FAM_TIPC },
	{ "packet", TULPEN_FAM_PACKET },
};

/* A type word narrows its protocol's types; a plain word allows them all. */
static void add_types(uint16_t *mask, uint16_t types, int all_of_proto)
{
	if (all_of_proto)
		*mask = 0xffff;
	else if (*mask != 0xffff)
		*mask |= types;
}

static int one_table(struct family_sel *sel, const char *w, char *err,
		     size_t errsize)
{
	int off = w[0] == '!';
	size_t i;

	if (off)
		w++;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		const struct table_word *t = &tables[i];

		if (strcmp(w, t->word))
			continue;
		if (off) {
			/* only whole tables can be turned off here */
			if (!t->unix_types && !t->packet_types &&
			    !t->vsock_types)
				sel->protos_off |= t->protos;
			return 0;
		}
		sel->protos |= t->protos;
		if (t->protos & P(UNIX))
			add_types(&sel->unix_types, t->unix_types,
				  !t->unix_types);
		if (t->protos & P(PACKET))
			add_types(&sel->packet_types, t->packet_types,
				  !t->packet_types);
		if (t->protos & P(VSOCK))
			add_types(&sel->vsock_types, t->vsock_types,
				  !t->vsock_types);
		return 0;
	}
	snprintf(err, errsize,
		 "-A: '%s' is not a socket table (all, inet, "
		 "tcp, udp, raw, mptcp, sctp, unix, unix_stream, unix_dgram, "
		 "unix_seqpacket, packet, packet_raw, packet_dgram, netlink, "
		 "vsock, vsock_stream, vsock_dgram, xdp, tipc)",
		 w);
	return -EINVAL;
}

int family_sel_query(struct family_sel *sel, const char *arg, char *err,
		     size_t errsize)
{
	char buf[256], *p, *comma;

	if (!*arg || strlen(arg) >= sizeof(buf)) {
		snprintf(err, errsize,
			 "-A: '%s' is not a list of socket "
			 "tables",
			 arg);
		return -EINVAL;
	}
	sel->query_seen = 1;
	memcpy(buf, arg, strlen(arg) + 1);
	for (p = buf; p; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (one_table(sel, p, err, errsize))
			return -EINVAL;
	}
	return 0;
}

int family_sel_family(struct family_sel *sel, const char *arg, char *err,
		      size_t errsize)
{
	size_t i;

	for (i = 0; i < sizeof(family_words) / sizeof(family_words[0]); i++) {
		if (!strcmp(arg, family_words[i].word)) {
			sel->families |= family_words[i].families;
			return 0;
		}
	}
	snprintf(err, errsize,
		 "-f: '%s' is not a family (inet, inet6, link, "
		 "unix, netlink, vsock, xdp, tipc)",
		 arg);
	return -EINVAL;
}

/* The protocols that live in each family. */
static uint32_t protos_of(uint32_t families)
{
	uint32_t p = 0;

	if (families & (TULPEN_FAM_INET | TULPEN_FAM_INET6))
		p |= INET_PROTOS;
	if (families & TULPEN_FAM_UNIX)
		p |= P(UNIX);
	if (families & TULPEN_FAM_NETLINK)
		p |= P(NETLINK);
	if (families & TULPEN_FAM_PACKET)
		p |= P(PACKET);
	if (families & TULPEN_FAM_VSOCK)
		p |= P(VSOCK);
	if (families & TULPEN_FAM_XDP)
		p |= P(XDP);
	if (families & TULPEN_FAM_TIPC)
		p |= P(TIPC);
	return p;
}

static uint32_t families_of(uint32_t protos)
{
	uint32_t f = 0;

	if (protos & INET_PROTOS)
		f |= TULPEN_FAM_INET | TULPEN_FAM_INET6;
	if (protos & P(UNIX))
		f |= TULPEN_FAM_UNIX;
	if (protos & P(NETLINK))
		f |= TULPEN_FAM_NETLINK;
	if (protos & P(PACKET))
		f |= TULPEN_FAM_PACKET;
	if (protos & P(VSOCK))
		f |= TULPEN_FAM_VSOCK;
	if (protos & P(XDP))
		f |= TULPEN_FAM_XDP;
	if (protos & P(TIPC))
		f |= TULPEN_FAM_TIPC;
	return f;
}

void family_sel_apply(const struct family_sel *sel, struct tulpen_query *q)
{
	uint32_t fams = q->families | sel->families;
	uint32_t protos =
		q->protos | (sel->protos & ((1u << TULPEN_P_MAX) - 1));
	uint32_t need;

	/* families without a protocol of theirs bring their protocols */
	need = fams & ~families_of(protos);
	protos |= protos_of(need);
	/* protocols without their family bring it */
	fams |= families_of(protos) &
		~(fams & (TULPEN_FAM_INET | TULPEN_FAM_INET6)
			  ? (TULPEN_FAM_INET | TULPEN_FAM_INET6)
			  : 0);
	q->protos = protos & ~sel->protos_off;
	q->families = fams;
	q->unix_types = sel->unix_types == 0xffff ? 0 : sel->unix_types;
	q->packet_types = sel->packet_types == 0xffff ? 0 : sel->packet_types;
	q->vsock_types = sel->vsock_types == 0xffff ? 0 : sel->vsock_types;
}
