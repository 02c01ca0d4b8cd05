/* SPDX-License-Identifier: MIT */
/*
 * pcap_zeek.h - Zeek's view of a TCP connection, for its conn_state and
 * history (internal to libtulpen; the public names are in
 * tulpen/pcap_flows.h).
 *
 * Zeek keeps its own, coarser endpoint model (INACTIVE, SYN_SENT,
 * SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET) which its conn_state
 * is defined on; this follows Zeek's TCP analyzer (TCP.cc,
 * UpdateStateMachine and update_history) and conn_state() in
 * base/protocols/conn/main.zeek. It is not tulpen's RFC 9293 machine and
 * is used for nothing else.
 *
 * Ownership: plain values, embedded in the connection; nothing allocates.
 */
#ifndef TULPEN_PCAP_ZEEK_H
#define TULPEN_PCAP_ZEEK_H

#include <stdint.h>

#include "tulpen/pcap_decode.h"
#include "tulpen/pcap_flows.h"

struct pcap_zeek_side {
	uint8_t state, prev;	/* TCP_ENDPOINT_* */
	uint32_t hist_seen;	/* letters recorded once */
	uint32_t last_syn, last_fin, last_rst;
	uint32_t rexmit_cnt, rexmit_thresh;
	uint32_t zwin_cnt, zwin_thresh;
};

struct pcap_zeek {
	struct pcap_zeek_side s[2]; /* [TULPEN_ORIG], [TULPEN_RESP] */
	uint8_t hlen;
	char history[TULPEN_CONN_HISTORY_MAX + 1];
};

/* Start a connection; @flipped: roles guessed (history starts with ^). */
void pcap_zeek_init(struct pcap_zeek *z, int flipped);

/*
 * One segment from @side. @rexmit: it carries payload already sent (a
 * retransmission, Zeek's 'T').
 */
void pcap_zeek_segment(struct pcap_zeek *z, int side,
		       const struct tulpen_pkt *p, int rexmit);

/* conn_state from the endpoint states and the payload bytes each way. */
const char *pcap_zeek_conn_state(const struct pcap_zeek *z,
				 uint64_t orig_bytes, uint64_t resp_bytes);

#endif /* TULPEN_PCAP_ZEEK_H */
