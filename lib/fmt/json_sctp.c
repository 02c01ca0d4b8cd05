// SPDX-License-Identifier: MIT
/*
 * json_sctp.c - the "sctp" object of an SCTP socket (docs/json.md):
 * endpoint or association, the association's SCTP state, the bound and
 * the peer's addresses, and with -i the kernel's struct sctp_info with
 * its field names (sctpi_ dropped), units in the names.
 */
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <linux/sctp.h>

#include "fmt/fmt_internal.h"

#define F(name, field)                                                         \
	{                                                                      \
		name, offsetof(struct sctp_info, field),                       \
			sizeof(((struct sctp_info *)0)->field)                 \
	}

static const struct sctp_field {
	const char *name;
	size_t off, size;
} fields[] = {
	F("tag", sctpi_tag),
	F("rwnd", sctpi_rwnd),
	F("unackdata", sctpi_unackdata),
	F("penddata", sctpi_penddata),
	F("instrms", sctpi_instrms),
	F("outstrms", sctpi_outstrms),
	F("fragmentation_point", sctpi_fragmentation_point),
	F("inqueue", sctpi_inqueue),
	F("outqueue", sctpi_outqueue),
	F("overall_error", sctpi_overall_error),
	F("max_burst", sctpi_max_burst),
	F("maxseg", sctpi_maxseg),
	F("peer_rwnd", sctpi_peer_rwnd),
	F("peer_tag", sctpi_peer_tag),
	F("peer_capable", sctpi_peer_capable),
	F("peer_sack", sctpi_peer_sack),
	F("isacks", sctpi_isacks),
	F("osacks", sctpi_osacks),
	F("opackets", sctpi_opackets),
	F("ipackets", sctpi_ipackets),
	F("rtxchunks", sctpi_rtxchunks),
	F("outofseqtsns", sctpi_outofseqtsns),
	F("idupchunks", sctpi_idupchunks),
	F("gapcnt", sctpi_gapcnt),
	F("ouodchunks", sctpi_ouodchunks),
	F("iuodchunks", sctpi_iuodchunks),
	F("oodchunks", sctpi_oodchunks),
	F("iodchunks", sctpi_iodchunks),
	F("octrlchunks", sctpi_octrlchunks),
	F("ictrlchunks", sctpi_ictrlchunks),
	F("p_cwnd", sctpi_p_cwnd),
	F("p_srtt_ms", sctpi_p_srtt),
	F("p_rto_ms", sctpi_p_rto),
	F("p_hbinterval_ms", sctpi_p_hbinterval),
	F("p_pathmaxrxt", sctpi_p_pathmaxrxt),
	F("p_sackdelay_ms", sctpi_p_sackdelay),
	F("p_sackfreq", sctpi_p_sackfreq),
	F("p_ssthresh", sctpi_p_ssthresh),
	F("p_partial_bytes_acked", sctpi_p_partial_bytes_acked),
	F("p_flight_size", sctpi_p_flight_size),
	F("p_error", sctpi_p_error),
	F("s_autoclose_s", sctpi_s_autoclose),
	F("s_adaptation_ind", sctpi_s_adaptation_ind),
	F("s_pd_point", sctpi_s_pd_point),
	F("s_nodelay", sctpi_s_nodelay),
	F("s_disable_fragments", sctpi_s_disable_fragments),
	F("s_v4mapped", sctpi_s_v4mapped),
	F("s_frag_interleave", sctpi_s_frag_interleave),
	F("s_type", sctpi_s_type),
};

static uint64_t field(const struct sctp_info *i, const struct sctp_field *f)
{
	const char *p = (const char *)i + f->off;
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	switch (f->size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	default:
		memcpy(&v64, p, 8);
		return v64;
	}
}

static void addrs(struct tulpen_buf *b, const char *k, const void *list,
		  uint32_t n)
{
	char a[INET6_ADDRSTRLEN];
	uint32_t i;

	tulpen_buf_printf(b, ",\"%s\":[", k);
	for (i = 0; i < n; i++) {
		if (i)
			tulpen_buf_putc(b, ',');
		if (tulpen_sctp_addr(a, sizeof(a), list, i))
			tulpen_buf_json_str(b, a);
		else
			tulpen_buf_puts(b, "null");
	}
	tulpen_buf_putc(b, ']');
}

static void info(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	struct sctp_info i;
	size_t k;

	tulpen_sctp_info_read(s, &i);
	tulpen_buf_puts(b, ",\"info\":{\"state\":");
	if (i.sctpi_state < 8)
		tulpen_buf_json_str(
			b, tulpen_sctp_state_name((uint8_t)i.sctpi_state, 0));
	else
		tulpen_buf_puts(b, "null");
	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		tulpen_buf_printf(b, ",\"%s\":", fields[k].name);
		tulpen_buf_u64(b, field(&i, &fields[k]));
	}
	tulpen_buf_putc(b, '}');
}

void tulpen_json_sctp(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	tulpen_buf_puts(b, ",\"sctp\":{\"association\":");
	tulpen_buf_puts(b, s->sctp.assoc ? "true" : "false");
	tulpen_buf_puts(b, ",\"state\":");
	if (s->sctp.assoc)
		tulpen_buf_json_str(b,
				    tulpen_sctp_state_name(s->sctp.state, 0));
	else
		tulpen_buf_puts(b, "null");
	addrs(b, "locals", s->sctp.locals,
	      s->sctp.locals ? s->sctp.nlocals : 0);
	addrs(b, "peers", s->sctp.peers, s->sctp.peers ? s->sctp.npeers : 0);
	if (s->sctp.info)
		info(b, s);
	tulpen_buf_putc(b, '}');
}
