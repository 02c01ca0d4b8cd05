// SPDX-License-Identifier: MIT
/*
 * diag_ext.c - the sock_diag extras asked for with TULPEN_EXT_*: the
 * kernel's struct tcp_info (copied by the length the kernel sent, so
 * shorter structs of older kernels and longer ones of newer kernels both
 * work), the congestion control's state and the socket memory.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include "tulpen/skmem.h"
#include "tulpen/tcp_info.h"
#include "collect/nl_dump.h"

/*
 * The kernel's struct tcp_info as of Linux 6.7, written out here because
 * the installed linux/tcp.h may be older. The wscale and flag bit fields
 * are read from their bytes.
 */
struct ktcp_info {
	uint8_t state, ca_state, retransmits, probes, backoff, options;
	uint8_t wscale, flags;
	uint32_t rto, ato, snd_mss, rcv_mss;
	uint32_t unacked, sacked, lost, retrans, fackets;
	uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
	uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd;
	uint32_t advmss, reordering, rcv_rtt, rcv_space, total_retrans;
	uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in, notsent_bytes, min_rtt;
	uint32_t data_segs_in, data_segs_out;
	uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
	uint32_t delivered, delivered_ce;
	uint64_t bytes_sent, bytes_retrans;
	uint32_t dsack_dups, reord_seen, rcv_ooopack, snd_wnd, rcv_wnd;
	uint32_t rehash;
	uint16_t total_rto, total_rto_recoveries;
	uint32_t total_rto_time;
};

#define KEND(f)                                                                \
	(offsetof(struct ktcp_info, f) + sizeof(((struct ktcp_info *)0)->f))
_Static_assert(KEND(delivery_rate) == tulpen_tcp_info_kend_delivery_rate,
	       "tcp_info ABI");
_Static_assert(KEND(sndbuf_limited) == tulpen_tcp_info_kend_sndbuf_limited,
	       "tcp_info ABI");
_Static_assert(KEND(delivered_ce) == tulpen_tcp_info_kend_delivered_ce,
	       "tcp_info ABI");
_Static_assert(KEND(bytes_retrans) == tulpen_tcp_info_kend_bytes_retrans,
	       "tcp_info ABI");
_Static_assert(KEND(reord_seen) == tulpen_tcp_info_kend_reord_seen,
	       "tcp_info ABI");
_Static_assert(KEND(rcv_ooopack) == tulpen_tcp_info_kend_rcv_ooopack,
	       "tcp_info ABI");
_Static_assert(KEND(snd_wnd) == tulpen_tcp_info_kend_snd_wnd, "tcp_info ABI");
_Static_assert(KEND(rcv_wnd) == tulpen_tcp_info_kend_rcv_wnd, "tcp_info ABI");
_Static_assert(KEND(total_rto_time) == tulpen_tcp_info_kend_total_rto_time,
	       "tcp_info ABI");
_Static_assert(sizeof(struct ktcp_info) == 248, "tcp_info ABI");

/* The bit fields of bytes 6 and 7, in the compiler's (the kernel's) order. */
static void copy_bits(struct tulpen_tcp_info *ti, const struct ktcp_info *k)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	ti->snd_wscale = k->wscale & 0xf;
	ti->rcv_wscale = k->wscale >> 4;
	ti->delivery_rate_app_limited = k->flags & 1;
	ti->fastopen_client_fail = (k->flags >> 1) & 3;
#else
	ti->snd_wscale = k->wscale >> 4;
	ti->rcv_wscale = k->wscale & 0xf;
	ti->delivery_rate_app_limited = k->flags >> 7;
	ti->fastopen_client_fail = (k->flags >> 5) & 3;
#endif
}

/* The counters after the first 104 bytes. */
static void copy_rest(struct tulpen_tcp_info *ti, const struct ktcp_info *k)
{
	ti->pacing_rate = k->pacing_rate;
	ti->max_pacing_rate = k->max_pacing_rate;
	ti->bytes_acked = k->bytes_acked;
	ti->bytes_received = k->bytes_received;
	ti->segs_out = k->segs_out;
	ti->segs_in = k->segs_in;
	ti->notsent_bytes = k->notsent_bytes;
	ti->min_rtt = k->min_rtt;
	ti->data_segs_in = k->data_segs_in;
	ti->data_segs_out = k->data_segs_out;
	ti->delivery_rate = k->delivery_rate;
	ti->busy_time = k->busy_time;
	ti->rwnd_limited = k->rwnd_limited;
	ti->sndbuf_limited = k->sndbuf_limited;
	ti->delivered = k->delivered;
	ti->delivered_ce = k->delivered_ce;
	ti->bytes_sent = k->bytes_sent;
	ti->bytes_retrans = k->bytes_retrans;
	ti->dsack_dups = k->dsack_dups;
	ti->reord_seen = k->reord_seen;
	ti->rcv_ooopack = k->rcv_ooopack;
	ti->snd_wnd = k->snd_wnd;
	ti->rcv_wnd = k->rcv_wnd;
	ti->rehash = k->rehash;
	ti->total_rto = k->total_rto;
	ti->total_rto_recoveries = k->total_rto_recoveries;
	ti->total_rto_time = k->total_rto_time;
}

void tulpen_diag_tcp_info(const void *p, size_t len, struct tulpen_tcp_info *ti)
{
	struct ktcp_info k;

	memset(&k, 0, sizeof(k));
	memcpy(&k, p, len < sizeof(k) ? len : sizeof(k));
	ti->kernel_len = (uint32_t)len;
	ti->state = k.state;
	ti->ca_state = k.ca_state;
	ti->retransmits = k.retransmits;
	ti->probes = k.probes;
	ti->backoff = k.backoff;
	ti->options = k.options;
	copy_bits(ti, &k);
	ti->rto = k.rto;
	ti->ato = k.ato;
	ti->snd_mss = k.snd_mss;
	ti->rcv_mss = k.rcv_mss;
	ti->unacked = k.unacked;
	ti->sacked = k.sacked;
	ti->lost = k.lost;
	ti->retrans = k.retrans;
	ti->fackets = k.fackets;
	ti->last_data_sent = k.last_data_sent;
	ti->last_ack_sent = k.last_ack_sent;
	ti->last_data_recv = k.last_data_recv;
	ti->last_ack_recv = k.last_ack_recv;
	ti->pmtu = k.pmtu;
	ti->rcv_ssthresh = k.rcv_ssthresh;
	ti->rtt = k.rtt;
	ti->rttvar = k.rttvar;
	ti->snd_ssthresh = k.snd_ssthresh;
	ti->snd_cwnd = k.snd_cwnd;
	ti->advmss = k.advmss;
	ti->reordering = k.reordering;
	ti->rcv_rtt = k.rcv_rtt;
	ti->rcv_space = k.rcv_space;
	ti->total_retrans = k.total_retrans;
	copy_rest(ti, &k);
}

/* A NUL-terminated name of at most @size - 1 bytes from attribute @a. */
static void copy_name(char *dst, size_t size, const struct nlattr *a)
{
	size_t n = mnl_attr_get_payload_len(a);

	if (n >= size)
		n = size - 1;
	memcpy(dst, mnl_attr_get_payload(a), n);
	dst[n] = '\0';
	n = strnlen(dst, n);
	dst[n] = '\0';
}

/* The payload of @a copied into @dst when it has at least @size bytes. */
static int get_struct(const struct nlattr *a, void *dst, size_t size)
{
	if (!a || mnl_attr_get_payload_len(a) < size)
		return 0;
	memcpy(dst, mnl_attr_get_payload(a), size);
	return 1;
}

void tulpen_diag_cc(const struct nlattr *const *tb, struct tulpen_tcp_info *ti)
{
	struct tcpvegas_info v;
	struct tcp_dctcp_info d;
	struct tcp_bbr_info b;

	if (tb[INET_DIAG_CONG])
		copy_name(ti->cong, sizeof(ti->cong), tb[INET_DIAG_CONG]);
	if (get_struct(tb[INET_DIAG_BBRINFO], &b, sizeof(b))) {
		ti->cc_kind = TULPEN_CC_BBR;
		ti->cc.bbr.bw = (uint64_t)b.bbr_bw_hi << 32 | b.bbr_bw_lo;
		ti->cc.bbr.min_rtt = b.bbr_min_rtt;
		ti->cc.bbr.pacing_gain = b.bbr_pacing_gain;
		ti->cc.bbr.cwnd_gain = b.bbr_cwnd_gain;
	} else if (get_struct(tb[INET_DIAG_DCTCPINFO], &d, sizeof(d))) {
		ti->cc_kind = TULPEN_CC_DCTCP;
		ti->cc.dctcp.enabled = d.dctcp_enabled;
		ti->cc.dctcp.ce_state = d.dctcp_ce_state;
		ti->cc.dctcp.alpha = d.dctcp_alpha;
		ti->cc.dctcp.ab_ecn = d.dctcp_ab_ecn;
		ti->cc.dctcp.ab_tot = d.dctcp_ab_tot;
	} else if (get_struct(tb[INET_DIAG_VEGASINFO], &v, sizeof(v))) {
		ti->cc_kind = TULPEN_CC_VEGAS;
		ti->cc.vegas.enabled = v.tcpv_enabled;
		ti->cc.vegas.rttcnt = v.tcpv_rttcnt;
		ti->cc.vegas.rtt = v.tcpv_rtt;
		ti->cc.vegas.minrtt = v.tcpv_minrtt;
	}
}

/* MPTCP_SUBFLOW_ATTR_* of a subflow's ULP info. */
static int subflow_cb(const struct nlattr *a, void *data)
{
	struct tulpen_tcp_info *ti = data;
	int type = mnl_attr_get_type(a);
	size_t len = mnl_attr_get_payload_len(a);
	uint64_t v = 0;

	if (type <= 0 || type >= 32 ||
	    (len != 1 && len != 2 && len != 4 && len != 8))
		return MNL_CB_OK;
	if (len == 1)
		v = mnl_attr_get_u8(a);
	else if (len == 2)
		v = mnl_attr_get_u16(a);
	else if (len == 4)
		v = mnl_attr_get_u32(a);
	else
		v = mnl_attr_get_u64(a);
	switch (type) {
	case 1: /* MPTCP_SUBFLOW_ATTR_TOKEN_REM */
		ti->sf_token_rem = (uint32_t)v;
		break;
	case 2: /* _TOKEN_LOC */
		ti->sf_token_loc = (uint32_t)v;
		break;
	case 4: /* _MAP_SEQ */
		ti->sf_map_seq = v;
		break;
	case 5: /* _MAP_SFSEQ */
		ti->sf_map_sfseq = (uint32_t)v;
		break;
	case 6: /* _SSN_OFFSET */
		ti->sf_ssn_offset = (uint32_t)v;
		break;
	case 7: /* _MAP_DATALEN */
		ti->sf_map_datalen = (uint32_t)v;
		break;
	case 8: /* _FLAGS */
		ti->sf_flags = (uint32_t)v;
		break;
	case 9: /* _ID_REM */
		ti->sf_id_rem = (uint8_t)v;
		break;
	case 10: /* _ID_LOC */
		ti->sf_id_loc = (uint8_t)v;
		break;
	default:
		return MNL_CB_OK;
	}
	ti->sf_has |= 1u << type;
	return MNL_CB_OK;
}

/* INET_DIAG_ULP_INFO is nested: the name, then TLS's or MPTCP's state. */
static int ulp_cb(const struct nlattr *a, void *data)
{
	struct tulpen_tcp_info *ti = data;

	if (mnl_attr_get_type(a) == 1 /* INET_ULP_INFO_NAME */)
		copy_name(ti->ulp, sizeof(ti->ulp), a);
	else if (mnl_attr_get_type(a) == 3 /* INET_ULP_INFO_MPTCP */)
		mnl_attr_parse_nested(a, subflow_cb, ti);
	return MNL_CB_OK;
}

void tulpen_diag_ulp(const struct nlattr *a, struct tulpen_tcp_info *ti)
{
	mnl_attr_parse_nested(a, ulp_cb, ti);
}

void tulpen_diag_skmem(const void *p, size_t len, struct tulpen_skmem *sm)
{
	uint32_t v[SK_MEMINFO_VARS];
	size_t n = len / sizeof(uint32_t);

	if (n > SK_MEMINFO_VARS)
		n = SK_MEMINFO_VARS;
	memset(v, 0, sizeof(v));
	memcpy(v, p, n * sizeof(uint32_t));
	sm->count = (uint8_t)n;
	sm->rmem_alloc = v[SK_MEMINFO_RMEM_ALLOC];
	sm->rcvbuf = v[SK_MEMINFO_RCVBUF];
	sm->wmem_alloc = v[SK_MEMINFO_WMEM_ALLOC];
	sm->sndbuf = v[SK_MEMINFO_SNDBUF];
	sm->fwd_alloc = v[SK_MEMINFO_FWD_ALLOC];
	sm->wmem_queued = v[SK_MEMINFO_WMEM_QUEUED];
	sm->optmem = v[SK_MEMINFO_OPTMEM];
	sm->backlog = v[SK_MEMINFO_BACKLOG];
	sm->drops = v[SK_MEMINFO_DROPS];
}

/* The kernel's struct mptcp_info (linux/mptcp.h), written out. */
struct kmptcp_info {
	uint8_t subflows, add_addr_signal, add_addr_accepted, subflows_max;
	uint8_t add_addr_signal_max, add_addr_accepted_max;
	uint32_t flags, token;
	uint64_t write_seq, snd_una, rcv_nxt;
	uint8_t local_addr_used, local_addr_max, csum_enabled;
};

void tulpen_diag_mptcp_info(const void *p, size_t len,
			    struct tulpen_mptcp_info *mi)
{
	struct kmptcp_info k;

	memset(&k, 0, sizeof(k));
	memcpy(&k, p, len < sizeof(k) ? len : sizeof(k));
	memset(mi, 0, sizeof(*mi));
	mi->kernel_len = (uint32_t)len;
	mi->subflows = k.subflows;
	mi->add_addr_signal = k.add_addr_signal;
	mi->add_addr_accepted = k.add_addr_accepted;
	mi->subflows_max = k.subflows_max;
	mi->add_addr_signal_max = k.add_addr_signal_max;
	mi->add_addr_accepted_max = k.add_addr_accepted_max;
	mi->flags = k.flags;
	mi->token = k.token;
	mi->write_seq = k.write_seq;
	mi->snd_una = k.snd_una;
	mi->rcv_nxt = k.rcv_nxt;
	mi->local_addr_used = k.local_addr_used;
	mi->local_addr_max = k.local_addr_max;
	mi->csum_enabled = k.csum_enabled;
}
