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
	uint8_t state, prev; /* TCP_ENDPOINT_* */
	uint8_t did_close;   /* the connection saw this side close */
	uint8_t has_start;   /* start64 and last64 are set */
	uint8_t did_eof;     /* its reassembler reported the end (CheckEOF) */
	uint8_t skip;	     /* its reassembler gave up (skip_deliveries) */
	uint32_t hist_seen;  /* letters recorded once */
	uint32_t last_syn, last_fin, last_rst;
	uint32_t rexmit_cnt, rexmit_thresh;
	uint32_t zwin_cnt, zwin_thresh;
	uint32_t csum_cnt, csum_thresh;
	uint32_t gap_cnt, gap_thresh;
	uint32_t fin_cnt;
	/*
	 * Sequence space as Zeek's endpoint keeps it, 64 bits wide: the
	 * start (the ISN, or one before the first byte seen), the highest
	 * end sent, the highest acknowledged by the peer, and how far the
	 * payload seen reaches (for content gaps).
	 */
	uint64_t start64, last64, ack64, data64;
	/* One block of payload seen beyond a hole at data64 (ooo_end 0: none).
	 */
	uint64_t ooo_start, ooo_end;
};

/* History letters held in the connection; a longer one moves to the heap. */
#define PCAP_ZEEK_HIST_INLINE 24

struct pcap_zeek {
	struct pcap_zeek_side s[2]; /* [TULPEN_ORIG], [TULPEN_RESP] */
	uint8_t compat;		    /* Zeek's timers and record splitting */
	uint8_t close_deferred;	    /* a close waits for data (DataPending) */
	uint32_t hlen;		    /* history letters */
	uint32_t hcap;		    /* bytes at hist_heap */
	int64_t last_ns;       /* Zeek's LastTime (not after both closed) */
	uint64_t missed_bytes; /* content gaps */
	char *hist_heap; /* a history longer than the inline one, or NULL */
	char hist_in[PCAP_ZEEK_HIST_INLINE];
};

/* pcap_zeek_segment() results. */
#define PCAP_ZEEK_CLOSING 1 /* the connection's close is complete */
#define PCAP_ZEEK_FLIPPED 2 /* Zeek turned the connection around */
#define PCAP_ZEEK_RESET 4   /* a RST after the side's FIN: tcp_reset_delay */

/*
 * Start a connection; @flipped: roles guessed (history starts with ^);
 * @compat: Zeek's own record splitting is followed (--compat=zeek).
 */
void pcap_zeek_init(struct pcap_zeek *z, int flipped, int compat,
		    int64_t ts_ns);

/*
 * One segment from @side. Returns PCAP_ZEEK_CLOSING when Zeek's close is
 * now complete (it removes the connection tcp_close_delay after its last
 * time; a second complete close moves that), PCAP_ZEEK_RESET when a RST
 * followed the side's own FIN (removed tcp_reset_delay after it, unless
 * sooner), PCAP_ZEEK_FLIPPED when the segment was the SYN
 * of a SYN-ACK seen before it and Zeek turned the connection around: the
 * sides of @z have traded places then, and the caller's must too.
 */
int pcap_zeek_segment(struct pcap_zeek *z, int side,
		      const struct tulpen_pkt *p);

/* Free what @z holds (a long history). */
void pcap_zeek_fini(struct pcap_zeek *z);

/* The history so far: valid until the next change or pcap_zeek_fini(). */
static inline const char *pcap_zeek_history(const struct pcap_zeek *z)
{
	return z->hist_heap ? z->hist_heap : z->hist_in;
}

/* A segment from @side with a bad checksum (history 'C'). */
void pcap_zeek_bad_checksum(struct pcap_zeek *z, int side);

/*
 * Zeek's IsReuse(): whether the SYN or SYN-ACK @p starts a new connection
 * on this 4-tuple instead of belonging to this one.
 */
int pcap_zeek_reuse(const struct pcap_zeek *z, const struct tulpen_pkt *p);

/*
 * Whether Zeek's ExpireTimer has removed, by @now_ns, the connection made at
 * @start_ns of which Zeek took no packet (all dropped for bad checksums).
 */
int pcap_zeek_expired(const struct pcap_zeek *z, int64_t start_ns,
		      int64_t now_ns);

/*
 * The SYN @p from an originator not seen yet has the sequence number the
 * responder's SYN-ACK acknowledged: the SYN of that SYN-ACK, reordered.
 */
int pcap_zeek_acked_syn(const struct pcap_zeek *z, const struct tulpen_pkt *p);

/* A connection attempt: the originator's SYN, nothing from the responder. */
int pcap_zeek_attempt(const struct pcap_zeek *z);

/* Payload bytes of @side from its sequence numbers, as Zeek counts them. */
uint64_t pcap_zeek_size(const struct pcap_zeek *z, int side);

/*
 * Zeek's guess at roles for a connection whose first packet @p is not a
 * plain SYN: 1 when the sender is more likely the responder.
 */
int pcap_zeek_flip(const struct tulpen_pkt *p);

/* conn_state from the endpoint states and the payload bytes each way. */
const char *pcap_zeek_conn_state(const struct pcap_zeek *z, uint64_t orig_bytes,
				 uint64_t resp_bytes);

#endif /* TULPEN_PCAP_ZEEK_H */
