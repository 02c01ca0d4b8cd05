/* SPDX-License-Identifier: MIT */
/*
 * tulpen/tcp_info.h - a TCP socket's internals as sock_diag reports them
 * (what `ss -ti` prints): the kernel's struct tcp_info (INET_DIAG_INFO),
 * the congestion control's name and state (INET_DIAG_CONG, _VEGASINFO,
 * _DCTCPINFO, _BBRINFO) and the upper layer protocol (INET_DIAG_ULP_INFO).
 *
 * Asked for with TULPEN_EXT_TCP_INFO in struct tulpen_query.ext
 * (tulpen/collect.h); never requested otherwise, so a plain listing pays
 * nothing. The record's tcp_info pointer (tulpen/sock.h) is NULL when it
 * was not asked for or the kernel gave none (TIME-WAIT and request
 * sockets, /proc sources).
 *
 * The fields are the kernel's, without the "tcpi_" prefix, in host order.
 * The kernel's struct grows over time; it is copied by the length the
 * kernel sent, so an older kernel's shorter struct leaves the newer fields
 * 0. kernel_len says how long it was: tulpen_tcp_info_has() whether a
 * field was in it.
 *
 * Ownership: the struct belongs to the collector and is valid only during
 * the callback that received the record, like the record itself.
 */
#ifndef TULPEN_TCP_INFO_H
#define TULPEN_TCP_INFO_H

#include <stddef.h>
#include <stdint.h>

/* The congestion control's own state, when it reports one. */
enum tulpen_cc_kind {
	TULPEN_CC_NONE = 0,
	TULPEN_CC_VEGAS, /* INET_DIAG_VEGASINFO (vegas, and others alike) */
	TULPEN_CC_DCTCP, /* INET_DIAG_DCTCPINFO */
	TULPEN_CC_BBR,	 /* INET_DIAG_BBRINFO */
};

struct tulpen_tcp_info {
	uint32_t kernel_len; /* bytes of the kernel's struct tcp_info */

	uint8_t state;
	uint8_t ca_state;
	uint8_t retransmits;
	uint8_t probes;
	uint8_t backoff;
	uint8_t options; /* TCPI_OPT_* of linux/tcp.h */
	uint8_t snd_wscale;
	uint8_t rcv_wscale;
	uint8_t delivery_rate_app_limited;
	uint8_t fastopen_client_fail;

	uint32_t rto;	  /* us */
	uint32_t ato;	  /* us */
	uint32_t snd_mss; /* bytes */
	uint32_t rcv_mss; /* bytes */

	uint32_t unacked; /* segments */
	uint32_t sacked;
	uint32_t lost;
	uint32_t retrans;
	uint32_t fackets;

	uint32_t last_data_sent; /* ms ago */
	uint32_t last_ack_sent;	 /* ms ago (the kernel keeps 0) */
	uint32_t last_data_recv; /* ms ago */
	uint32_t last_ack_recv;	 /* ms ago */

	uint32_t pmtu; /* bytes */
	uint32_t rcv_ssthresh;
	uint32_t rtt;	 /* us */
	uint32_t rttvar; /* us */
	uint32_t snd_ssthresh;
	uint32_t snd_cwnd; /* segments */
	uint32_t advmss;   /* bytes */
	uint32_t reordering;

	uint32_t rcv_rtt; /* us */
	uint32_t rcv_space;

	uint32_t total_retrans;

	uint64_t pacing_rate;	  /* bytes per second */
	uint64_t max_pacing_rate; /* bytes per second; ~0: unlimited */
	uint64_t bytes_acked;
	uint64_t bytes_received;
	uint32_t segs_out;
	uint32_t segs_in;

	uint32_t notsent_bytes;
	uint32_t min_rtt; /* us */
	uint32_t data_segs_in;
	uint32_t data_segs_out;

	uint64_t delivery_rate; /* bytes per second */

	uint64_t busy_time;	 /* us */
	uint64_t rwnd_limited;	 /* us */
	uint64_t sndbuf_limited; /* us */

	uint32_t delivered;
	uint32_t delivered_ce;

	uint64_t bytes_sent;
	uint64_t bytes_retrans;
	uint32_t dsack_dups;
	uint32_t reord_seen;

	uint32_t rcv_ooopack;

	uint32_t snd_wnd; /* bytes */
	uint32_t rcv_wnd; /* bytes (Linux 6.7) */

	uint32_t rehash;
	uint16_t total_rto;
	uint16_t total_rto_recoveries;
	uint32_t total_rto_time; /* ms */

	/* INET_DIAG_CONG: the algorithm's name, "" if not given */
	char cong[16];
	/* INET_DIAG_ULP_INFO: the upper layer protocol's name ("tls") */
	char ulp[16];
	/*
	 * An MPTCP subflow's state (INET_ULP_INFO_MPTCP): sf_has has a bit
	 * (1 << MPTCP_SUBFLOW_ATTR_*) for each field the kernel gave.
	 */
	uint32_t sf_has;
	uint32_t sf_flags; /* MPTCP_SUBFLOW_FLAG_* */
	uint32_t sf_token_rem, sf_token_loc;
	uint8_t sf_id_rem, sf_id_loc;
	uint64_t sf_map_seq;
	uint32_t sf_map_sfseq, sf_ssn_offset, sf_map_datalen;
	uint8_t cc_kind; /* enum tulpen_cc_kind: which member of cc is set */
	union {
		struct {
			uint32_t enabled;
			uint32_t rttcnt;
			uint32_t rtt;	 /* us */
			uint32_t minrtt; /* us */
		} vegas;
		struct {
			uint16_t enabled;
			uint16_t ce_state;
			uint32_t alpha;
			uint32_t ab_ecn;
			uint32_t ab_tot;
		} dctcp;
		struct {
			uint64_t bw;	      /* bytes per second */
			uint32_t min_rtt;     /* us */
			uint32_t pacing_gain; /* << 8: 256 is 1.0 */
			uint32_t cwnd_gain;   /* << 8 */
		} bbr;
	} cc;
};

/*
 * An MPTCP socket's connection-level state (INET_DIAG_INFO of an MPTCP
 * socket: the kernel's struct mptcp_info, mptcpi_ dropped), asked for and
 * copied by length as tcp_info is; the record's mptcp_info pointer.
 */
struct tulpen_mptcp_info {
	uint32_t kernel_len;
	uint8_t subflows;
	uint8_t add_addr_signal;
	uint8_t add_addr_accepted;
	uint8_t subflows_max;
	uint8_t add_addr_signal_max;
	uint8_t add_addr_accepted_max;
	uint8_t local_addr_used;
	uint8_t local_addr_max;
	uint8_t csum_enabled;
	uint32_t flags; /* MPTCP_INFO_FLAG_*: 1 fallback, 2 remote key */
	uint32_t token;
	uint64_t write_seq;
	uint64_t snd_una;
	uint64_t rcv_nxt;
};

/*
 * The kernel's struct tcp_info up to and including kernel field @field
 * (a field name of struct tulpen_tcp_info) was given.
 */
#define tulpen_tcp_info_has(ti, field)                                         \
	((ti)->kernel_len >= tulpen_tcp_info_kend_##field)

/* Where some later fields end in the kernel's struct (its ABI). */
enum {
	tulpen_tcp_info_kend_delivery_rate = 168,
	tulpen_tcp_info_kend_sndbuf_limited = 192,
	tulpen_tcp_info_kend_delivered_ce = 200,
	tulpen_tcp_info_kend_bytes_retrans = 216,
	tulpen_tcp_info_kend_reord_seen = 224,
	tulpen_tcp_info_kend_rcv_ooopack = 228,
	tulpen_tcp_info_kend_snd_wnd = 232,
	tulpen_tcp_info_kend_rcv_wnd = 236,
	tulpen_tcp_info_kend_total_rto_time = 248,
};

#endif /* TULPEN_TCP_INFO_H */
