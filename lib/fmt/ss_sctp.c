// SPDX-License-Identifier: MIT
/*
 * ss_sctp.c - SCTP endpoints and associations as ss prints them (its
 * sctp_show_info() and sctp_stats_print()): the state names of SCTP's own
 * state machine, the bound and peer address lists, and -i's sctp_info;
 * the same names and addresses for the other back ends.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <linux/sctp.h>

#include "fmt/fmt_internal.h"

const char *tulpen_sctp_state_name(uint8_t state, int ss)
{
	/* enum sctp_state of the kernel (include/net/sctp/constants.h) */
	static const char *const names[] = {
		"CLOSED",
		"COOKIE_WAIT",
		"COOKIE_ECHOED",
		"ESTABLISHED",
		"SHUTDOWN_PENDING",
		"SHUTDOWN_SENT",
		"SHUTDOWN_RECEIVED",
		"SHUTDOWN_ACK_SENT",
	};

	if (state >= sizeof(names) / sizeof(names[0]))
		return "UNKNOWN";
	if (ss && state == 3)
		return "ESTAB";
	if (ss && state == 7)
		return "ACK_SENT";
	return names[state];
}

const char *tulpen_ss_sctp_state(uint8_t state)
{
	return tulpen_sctp_state_name(state, 1);
}

size_t tulpen_sctp_addr(char *out, size_t size, const void *list, uint32_t i)
{
	struct sockaddr_storage sa;
	const void *a = NULL;

	memcpy(&sa, (const char *)list + (size_t)i * sizeof(sa), sizeof(sa));
	if (sa.ss_family == AF_INET)
		a = &((const struct sockaddr_in *)&sa)->sin_addr;
	else if (sa.ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)&sa)->sin6_addr;
	if (!size)
		return 0;
	out[0] = '\0';
	if (a && !inet_ntop(sa.ss_family, a, out, (socklen_t)size))
		out[0] = '\0';
	return strlen(out);
}

/* " locals:a,b" or " peers:x,y": ss's format_host_sa(), numeric. */
static void put_list(struct tulpen_buf *b, const char *name, const void *list,
		     uint32_t n)
{
	char a[INET6_ADDRSTRLEN];
	uint32_t i;

	for (i = 0; i < n; i++) {
		tulpen_sctp_addr(a, sizeof(a), list, i);
		tulpen_buf_printf(b, "%s%s", i ? "," : name, a);
	}
}

static void put_int(struct tulpen_buf *b, const char *name, uint32_t v)
{
	if (v)
		tulpen_buf_printf(b, " %s:%d", name, (int)v);
}

/* ss's sctp_stats_print(): the fields that are not 0. */
static void put_stats(struct tulpen_buf *b, const struct sctp_info *i)
{
	if (i->sctpi_tag)
		tulpen_buf_printf(b, " tag:%x", i->sctpi_tag);
	if (i->sctpi_state)
		tulpen_buf_printf(b, " state:%s",
				  tulpen_ss_sctp_state(
					  (uint8_t)(i->sctpi_state > 255
							    ? 255
							    : i->sctpi_state)));
	put_int(b, "rwnd", i->sctpi_rwnd);
	put_int(b, "unackdata", i->sctpi_unackdata);
	put_int(b, "penddata", i->sctpi_penddata);
	put_int(b, "instrms", i->sctpi_instrms);
	put_int(b, "outstrms", i->sctpi_outstrms);
	put_int(b, "inqueue", i->sctpi_inqueue);
	put_int(b, "outqueue", i->sctpi_outqueue);
	put_int(b, "overerr", i->sctpi_overall_error);
	put_int(b, "maxburst", i->sctpi_max_burst);
	put_int(b, "maxseg", i->sctpi_maxseg);
	put_int(b, "prwnd", i->sctpi_peer_rwnd);
	if (i->sctpi_peer_tag)
		tulpen_buf_printf(b, " ptag:%x", i->sctpi_peer_tag);
	put_int(b, "pcapable", i->sctpi_peer_capable);
	put_int(b, "psack", i->sctpi_peer_sack);
	put_int(b, "autoclose", i->sctpi_s_autoclose);
	put_int(b, "adapind", i->sctpi_s_adaptation_ind);
	put_int(b, "pdpoint", i->sctpi_s_pd_point);
	put_int(b, "nodelay", i->sctpi_s_nodelay);
	put_int(b, "nofrag", i->sctpi_s_disable_fragments);
	put_int(b, "v4mapped", i->sctpi_s_v4mapped);
	put_int(b, "fraginl", i->sctpi_s_frag_interleave);
}

void tulpen_sctp_info_read(const struct tulpen_sock *s, struct sctp_info *i)
{
	size_t n =
		s->sctp.info_len < sizeof(*i) ? s->sctp.info_len : sizeof(*i);

	memset(i, 0, sizeof(*i));
	if (s->sctp.info)
		memcpy(i, s->sctp.info, n);
}

void tulpen_ss_sctp_info(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	struct sctp_info i;

	if (s->sctp.locals)
		put_list(b, " locals:", s->sctp.locals, s->sctp.nlocals);
	if (s->sctp.peers)
		put_list(b, " peers:", s->sctp.peers, s->sctp.npeers);
	if (!s->sctp.info)
		return;
	tulpen_sctp_info_read(s, &i);
	put_stats(b, &i);
}
