// SPDX-License-Identifier: MIT
/*
 * pcap_zeek.c - Zeek's conn_state and history for a TCP connection.
 *
 * Written after Zeek's documentation of conn.log (base/protocols/conn/
 * main.zeek: conn_state codes; history letters, upper case for the
 * originator, lower for the responder; 'a', 'd', 'i', 'q' once per
 * direction; 'f', 'h', 'r', 's' again only with a new sequence number;
 * 'c', 'g', 't', 'w' at 1, 10, 100, ... events) and its TCP analyzer's
 * endpoint model: states, when a close is complete, which SYN starts a new
 * connection, sequence-space byte counts, retransmissions and content gaps
 * (acknowledged data the capture never had).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pcap/pcap_zeek.h"

/* Zeek's endpoint states (TCP_ENDPOINT_*). */
enum zeek_ep {
	Z_INACTIVE = 0,
	Z_SYN_SENT,
	Z_SYN_ACK_SENT,
	Z_PARTIAL,
	Z_ESTABLISHED,
	Z_CLOSED,
	Z_RESET,
};

/* Zeek history bits (one per letter and direction). */
enum {
	H_SYN = 1u << 0, /* S and H: Zeek's HIST_SYN_PKT */
	H_ACK = 1u << 2,
	H_DATA = 1u << 3,
	H_FIN = 1u << 4,
	H_RST = 1u << 5,
	H_FINRST = 1u << 6,
	H_MULTI = 1u << 7,
};

/* Room for a longer history: twice as much, on the heap. NULL: none. */
static char *hist_grow(struct pcap_zeek *z)
{
	size_t cap = 2 * (z->hist_heap ? (size_t)z->hcap : sizeof(z->hist_in));
	char *n;

	if (cap > UINT32_MAX)
		return NULL;
	n = realloc(z->hist_heap, cap);
	if (!n)
		return NULL;
	if (!z->hist_heap)
		memcpy(n, z->hist_in, (size_t)z->hlen + 1);
	z->hist_heap = n;
	z->hcap = (uint32_t)cap;
	return n;
}

/*
 * Zeek's AddHistory(): a letter more, the responder's in lower case. Zeek
 * does not cut a history; out of memory, the letters so far stay.
 */
static inline void hist_add(struct pcap_zeek *z, int side, char code)
{
	char *h = z->hist_in;

	if (z->hist_heap || (size_t)z->hlen + 2 > sizeof(z->hist_in)) {
		h = z->hist_heap;
		if ((!h || (size_t)z->hlen + 2 > z->hcap) &&
		    !(h = hist_grow(z)))
			return;
	}
	if (side == TULPEN_RESP && code >= 'A' && code <= 'Z')
		code = (char)(code - 'A' + 'a');
	h[z->hlen++] = code;
	h[z->hlen] = '\0';
}

void pcap_zeek_fini(struct pcap_zeek *z)
{
	free(z->hist_heap);
	z->hist_heap = NULL;
	z->hcap = 0;
}

/* Zeek's CheckHistory(): add @code the first time only; 1 if seen before. */
static int hist_check(struct pcap_zeek *z, int side, uint32_t bit, char code)
{
	struct pcap_zeek_side *sp = &z->s[side];

	if (sp->hist_seen & bit)
		return 1;
	sp->hist_seen |= bit;
	hist_add(z, side, code);
	return 0;
}

/*
 * Zeek's ScaledHistoryEntry(): letters at 1, 10, 100, ... events, in its
 * 32-bit arithmetic: when ten times the threshold wraps around to no more
 * than it, the count starts again and the threshold stays.
 */
static void hist_scaled(struct pcap_zeek *z, int side, char code, uint32_t *cnt,
			uint32_t *thresh)
{
	uint32_t next;

	if (++*cnt != *thresh)
		return;
	hist_add(z, side, code);
	next = *thresh * 10u;
	if (next <= *thresh)
		*cnt = 0;
	else
		*thresh = next;
}

/*
 * Zeek's update_history(). The sequence numbers it compares are relative
 * to the side's start, which a SYN may move (a SYN-ACK again with another
 * ISN is then the same 'h' for Zeek); kept modulo 2^32.
 */
static void zeek_history(struct pcap_zeek *z, int side,
			 const struct tulpen_pkt *p)
{
	struct pcap_zeek_side *sp = &z->s[side];
	unsigned int fl_ = p->flags;
	uint32_t rel = p->seq - (uint32_t)sp->start64;
	int bits = !!(fl_ & TULPEN_TH_SYN) + !!(fl_ & TULPEN_TH_FIN) +
		   !!(fl_ & TULPEN_TH_RST);

	if (bits > 1) {
		if ((fl_ & TULPEN_TH_FIN) && (fl_ & TULPEN_TH_RST))
			hist_check(z, side, H_FINRST, 'I');
		else
			hist_check(z, side, H_MULTI, 'Q');
	} else if (bits == 1) {
		if (fl_ & TULPEN_TH_SYN) {
			char code = (fl_ & TULPEN_TH_ACK) ? 'H' : 'S';

			if (hist_check(z, side, H_SYN, code) &&
			    rel != sp->last_syn)
				hist_add(z, side, code);
			sp->last_syn = rel;
		}
		if (fl_ & TULPEN_TH_FIN) {
			uint32_t end = rel + p->payload_len;

			if (hist_check(z, side, H_FIN, 'F') &&
			    end != sp->last_fin)
				hist_add(z, side, 'F');
			sp->last_fin = end;
		}
		if (fl_ & TULPEN_TH_RST) {
			if (hist_check(z, side, H_RST, 'R') &&
			    rel != sp->last_rst)
				hist_add(z, side, 'R');
			sp->last_rst = rel;
		}
	} else {
		if (p->payload_len)
			hist_check(z, side, H_DATA, 'D');
		else if (fl_ & TULPEN_TH_ACK)
			hist_check(z, side, H_ACK, 'A');
	}
}

/* Zeek's TCP_Analyzer::UpdateStateMachine(), endpoint states only. */
static void zeek_set(struct pcap_zeek_side *sp, uint8_t st)
{
	if (st == sp->state)
		return; /* SetState(): prev_state only moves on a change */
	sp->prev = sp->state;
	sp->state = st;
}

/*
 * What a segment did besides changing states: Zeek's do_close, its reset
 * timer, and FlipRoles() (a SYN answering a SYN-ACK seen first).
 */
enum { DO_CLOSE = 1, RESET_TIMER = 2, DO_FLIP = 4 };

static int zeek_inactive(struct pcap_zeek *z, int side,
			 const struct tulpen_pkt *p)
{
	struct pcap_zeek_side *ep = &z->s[side], *peer = &z->s[!side];
	unsigned int f = p->flags;
	int is_orig = side == TULPEN_ORIG, ret = 0;

	if (f & TULPEN_TH_SYN) {
		if (is_orig) {
			zeek_set(ep, (f & TULPEN_TH_ACK) ? Z_SYN_ACK_SENT
							 : Z_SYN_SENT);
		} else {
			/*
			 * The SYN of a SYN-ACK captured before it (two
			 * interfaces, reordered): UpdateInactiveState() turns
			 * the connection around and establishes it. The ISN
			 * test is Zeek's, against the start the SYN itself
			 * just set (seq_start()), so it always holds.
			 */
			if (!(f & TULPEN_TH_ACK) &&
			    peer->state == Z_SYN_ACK_SENT &&
			    p->seq == (uint32_t)ep->start64) {
				zeek_set(peer, Z_ESTABLISHED);
				ret = DO_FLIP;
			}
			if (peer->state == Z_SYN_SENT)
				zeek_set(peer, Z_ESTABLISHED);
			zeek_set(ep, Z_ESTABLISHED);
		}
	}
	if (f & TULPEN_TH_FIN) {
		zeek_set(ep, Z_CLOSED);
		ret |= DO_CLOSE;
	}
	if (f & TULPEN_TH_RST) {
		zeek_set(ep, Z_RESET);
		ret |= DO_CLOSE;
	}
	if (ep->state == Z_INACTIVE) {
		if (!is_orig && p->payload_len == 0 &&
		    z->s[TULPEN_ORIG].state == Z_SYN_SENT)
			; /* an ACK of the SYN before the SYN-ACK */
		else if ((f & TULPEN_TH_ACK) && peer->state == Z_ESTABLISHED)
			zeek_set(ep, Z_ESTABLISHED);
		else
			zeek_set(ep, Z_PARTIAL);
	}
	return ret;
}

static int zeek_state(struct pcap_zeek *z, int side, const struct tulpen_pkt *p)
{
	struct pcap_zeek_side *ep = &z->s[side], *peer = &z->s[!side];
	unsigned int f = p->flags;
	int syn = f & TULPEN_TH_SYN, ack = f & TULPEN_TH_ACK;
	int fin = f & TULPEN_TH_FIN, rst = f & TULPEN_TH_RST;
	int ret = 0;

	switch (ep->state) {
	case Z_INACTIVE:
		return zeek_inactive(z, side, p);
	case Z_SYN_SENT:
	case Z_SYN_ACK_SENT:
		if (fin) {
			zeek_set(ep, Z_CLOSED);
			ret = DO_CLOSE;
		}
		if (rst) {
			zeek_set(ep, Z_RESET);
			ret = DO_CLOSE;
		}
		break;
	case Z_ESTABLISHED:
	case Z_PARTIAL:
		if (syn && ep->state == Z_PARTIAL &&
		    peer->state == Z_INACTIVE && !ack)
			zeek_set(ep, Z_SYN_SENT);
		if (fin && !rst) {
			zeek_set(ep, Z_CLOSED);
			/* FIN, RST, then the peer's FIN: a normal close. */
			if (peer->state == Z_RESET && peer->prev == Z_CLOSED)
				zeek_set(peer, Z_CLOSED);
			ret = DO_CLOSE;
		}
		if (rst) {
			zeek_set(ep, Z_RESET);
			ret = DO_CLOSE;
		}
		break;
	case Z_CLOSED:
		if (rst && peer->state != Z_CLOSED) {
			zeek_set(ep, Z_RESET);
			ret = RESET_TIMER | (ep->did_close ? 0 : DO_CLOSE);
		}
		break;
	case Z_RESET:
		break;
	}
	return ret;
}

/*
 * TCP_Reassembler::HasBlocks() for @sp: data it holds, above a hole, or
 * delivered and not yet acknowledged by the peer (kept until then, unless
 * none was acknowledged and more than tcp_max_initial_window, 16384
 * bytes, was sent: BlockInserted() lets that go).
 */
static int has_blocks(const struct pcap_zeek_side *sp)
{
	uint64_t first = sp->start64 + 1;

	if (sp->skip || !sp->has_start)
		return 0;
	if (sp->ooo_end)
		return 1;
	if (sp->data64 <= (sp->ack64 > first ? sp->ack64 : first))
		return 0;
	return sp->ack64 > first || sp->data64 - first <= 16384;
}

/*
 * TCP_Reassembler::DataPending(): @side's stream has not been delivered
 * to its last sequence number (one before it after a FIN), or, unless it
 * reset, the peer holds data (HasUndeliveredData(): any blocks). Nothing
 * once the reassembler gave up.
 */
static int data_pending(const struct pcap_zeek *z, int side)
{
	const struct pcap_zeek_side *sp = &z->s[side], *peer = &z->s[!side];

	if (sp->skip || !sp->has_start || sp->last64 < sp->data64)
		return 0;
	if (sp->data64 != sp->last64 - 1 && sp->data64 != sp->last64)
		return 1;
	return sp->state != Z_RESET && has_blocks(peer);
}

/*
 * Zeek's ConnectionClosed(): 1 when the close is now complete. While the
 * side's reassembler still has data to deliver the close is deferred
 * (did_close stays unset), until its end of stream (zeek_eof()).
 */
static int zeek_closed(struct pcap_zeek *z, int side)
{
	struct pcap_zeek_side *ep = &z->s[side], *peer = &z->s[!side];

	if (data_pending(z, side)) {
		z->close_deferred = 1;
		return 0;
	}
	z->close_deferred = 0;
	if (ep->did_close)
		return 0;
	ep->did_close = 1;
	return ep->state == Z_RESET || peer->did_close ||
	       peer->state == Z_INACTIVE;
}

/* Zeek's history regex /^\^?S[^HAFGIQ]*R.* / for RSTOS0. */
static int hist_rstos0(const char *h)
{
	if (*h == '^')
		h++;
	if (*h++ != 'S')
		return 0;
	for (; *h; h++) {
		if (*h == 'R')
			return 1;
		if (strchr("HAFGIQ", *h))
			return 0;
	}
	return 0;
}

/*
 * TCP_Reassembler::CheckEOF(), once per side: @side has closed or reset and
 * all its data is delivered. A close deferred for pending data is made
 * now (EndpointEOF: ConnectionClosed() for this side). 1 when that
 * completes the connection's close.
 */
static inline int eof_due(const struct pcap_zeek_side *sp)
{
	return !sp->did_eof &&
	       (sp->fin_cnt || sp->state == Z_CLOSED || sp->state == Z_RESET);
}

static int zeek_eof(struct pcap_zeek *z, int side)
{
	struct pcap_zeek_side *sp = &z->s[side];

	if (!eof_due(sp) || data_pending(z, side))
		return 0;
	sp->did_eof = 1;
	if (!z->close_deferred)
		return 0;
	return zeek_closed(z, side);
}

static const char *const zeek_codes[TULPEN_ZEEK_NSTATES] = {
	"S0",	"S1",	  "SF",	   "REJ", "S2",	 "S3",	"RSTO",
	"RSTR", "RSTOS0", "RSTRH", "SH",  "SHR", "OTH",
};

const char *tulpen_zeek_conn_state_name(int idx)
{
	if (idx < 0 || idx >= TULPEN_ZEEK_NSTATES)
		return NULL;
	return zeek_codes[idx];
}

int tulpen_zeek_conn_state_parse(const char *word, int *idx)
{
	int i;

	for (i = 0; i < TULPEN_ZEEK_NSTATES; i++)
		if (!strcasecmp(word, zeek_codes[i])) {
			*idx = i;
			return 0;
		}
	return -EINVAL;
}

/* Zeek's conn_state() from base/protocols/conn/main.zeek. */
const char *pcap_zeek_conn_state(const struct pcap_zeek *z, uint64_t orig_bytes,
				 uint64_t resp_bytes)
{
	int os = z->s[TULPEN_ORIG].state, rs = z->s[TULPEN_RESP].state;
	int o_inactive = os == Z_INACTIVE || os == Z_PARTIAL;
	int r_inactive = rs == Z_INACTIVE || rs == Z_PARTIAL;

	if (rs == Z_RESET) {
		if (os == Z_SYN_SENT || os == Z_SYN_ACK_SENT ||
		    (os == Z_RESET && orig_bytes == 0 && resp_bytes == 0))
			return "REJ";
		return o_inactive ? "RSTRH" : "RSTR";
	}
	if (os == Z_RESET) {
		if (r_inactive)
			return hist_rstos0(pcap_zeek_history(z)) ? "RSTOS0"
								 : "OTH";
		return "RSTO";
	}
	if (rs == Z_CLOSED && os == Z_CLOSED)
		return "SF";
	if (os == Z_CLOSED)
		return r_inactive ? "SH" : "S2";
	if (rs == Z_CLOSED)
		return o_inactive ? "SHR" : "S3";
	if (os == Z_SYN_SENT && rs == Z_INACTIVE)
		return "S0";
	if (os == Z_ESTABLISHED && rs == Z_ESTABLISHED)
		return "S1";
	return "OTH";
}

void pcap_zeek_init(struct pcap_zeek *z, int flipped, int compat, int64_t ts_ns)
{
	int i;

	memset(z, 0, sizeof(*z));
	for (i = 0; i < 2; i++) {
		z->s[i].rexmit_thresh = 1;
		z->s[i].zwin_thresh = 1;
		z->s[i].csum_thresh = 1;
		z->s[i].gap_thresh = 1;
	}
	z->compat = (uint8_t)compat;
	z->last_ns = ts_ns;
	if (flipped)
		hist_add(z, TULPEN_ORIG, '^');
}

/* Serial number arithmetic (RFC 1982). */
static inline int32_t sdiff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/* Move a 64-bit sequence position to the 32-bit @seq nearest to it. */
static inline uint64_t seq64(uint64_t at, uint32_t seq)
{
	return at + (uint64_t)(int64_t)sdiff(seq, (uint32_t)at);
}

#define TOO_LARGE_SEQ_DELTA 1048576

static void seq_init(struct pcap_zeek_side *sp, uint32_t start, uint32_t last)
{
	sp->start64 = start;
	sp->ack64 = start;
	sp->last64 = seq64(start, last);
	sp->data64 = sp->last64;
	sp->ooo_end = 0;
	sp->has_start = 1;
}

/* Zeek's init_endpoint(): where this side's sequence space starts. */
static void seq_start(struct pcap_zeek_side *sp, const struct tulpen_pkt *p,
		      uint32_t end)
{
	int syn = p->flags & TULPEN_TH_SYN;

	switch (sp->state) {
	case Z_INACTIVE:
		if (syn)
			seq_init(sp, p->seq, end);
		else
			seq_init(sp, p->seq - 1, p->seq);
		break;
	case Z_SYN_SENT:
	case Z_SYN_ACK_SENT:
		if (syn && p->seq != (uint32_t)sp->start64)
			seq_init(sp, p->seq, end);
		break;
	case Z_ESTABLISHED:
	case Z_PARTIAL:
		if (syn)
			seq_init(sp, p->seq, end);
		break;
	case Z_RESET:
		if (syn && sp->prev == Z_INACTIVE)
			seq_init(sp, p->seq, end);
		break;
	}
}

/* Zeek's update_last_seq(); returns 1 for a retransmission ('T'). */
static int seq_last(struct pcap_zeek_side *sp, const struct tulpen_pkt *p,
		    uint32_t end)
{
	int32_t d = sdiff(end, (uint32_t)sp->last64);
	unsigned int f = p->flags;

	if ((f & (TULPEN_TH_SYN | TULPEN_TH_RST)) &&
	    (d > TOO_LARGE_SEQ_DELTA || d < -TOO_LARGE_SEQ_DELTA))
		return 0;
	if ((f & TULPEN_TH_FIN) && sp->last64 == sp->start64 + 1) {
		sp->last64 = seq64(sp->last64, end);
		return 0;
	}
	if (sp->state == Z_RESET)
		return 0;
	if (d > 0) {
		sp->last64 += (uint64_t)d;
		return 0;
	}
	return p->payload_len > 0;
}

/* The peer acknowledges @ack: Zeek's init_peer()/update_ack_seq(). */
static void seq_ack(struct pcap_zeek_side *peer, const struct tulpen_pkt *p)
{
	int32_t d;

	if (peer->state == Z_INACTIVE) {
		seq_init(peer, p->ack - 1, p->ack - 1);
		return;
	}
	if (p->flags & TULPEN_TH_RST)
		return;
	d = sdiff(p->ack, (uint32_t)peer->ack64);
	if (p->ack == 0 && d > TOO_LARGE_SEQ_DELTA)
		return;
	if (d > 0)
		peer->ack64 += (uint64_t)d;
}

static int clean(const struct pcap_zeek_side *sp)
{
	return sp->state == Z_ESTABLISHED ||
	       (sp->state == Z_CLOSED && sp->prev == Z_ESTABLISHED);
}

/* One content gap of @len bytes in @side's data (TCP_Reassembler::Gap). */
static void seq_gap_one(struct pcap_zeek *z, int side, uint64_t len, int report)
{
	struct pcap_zeek_side *sp = &z->s[side];

	if (!len || !report)
		return;
	z->missed_bytes += len;
	hist_scaled(z, side, 'G', &sp->gap_cnt, &sp->gap_thresh);
}

/*
 * A segment from @side acknowledges the peer's data up to its ack
 * (AckReceived, TrimToSeq, Undelivered):
 * what was acknowledged but never seen is a content gap (captured
 * elsewhere, dropped by the capture, or cut by the snapshot length: Zeek
 * does not reassemble a truncated payload). Before the block held past a
 * hole, and after it up to the ack: one gap each. Recorded as Zeek does,
 * only while both sides are cleanly established or closing (so never in
 * a RST), never for the FIN octet, and not once the peer's reassembler
 * gave up.
 */
static void seq_gap(struct pcap_zeek *z, int side, const struct tulpen_pkt *p)
{
	struct pcap_zeek_side *peer = &z->s[!side];
	uint64_t acked, upto;
	int report;

	/*
	 * A RST's ACK is taken too (Process() calls AckReceived() for it);
	 * its gaps are not reported, as its sender is RESET by now.
	 */
	if (!(p->flags & TULPEN_TH_ACK) || !peer->has_start || peer->skip)
		return;
	acked = seq64(peer->data64, p->ack);
	upto = peer->fin_cnt ? peer->last64 - 1 : peer->last64;
	if (acked > upto)
		acked = upto;
	if (acked <= peer->data64 || acked <= peer->start64 + 1)
		return;
	report = clean(peer) && clean(&z->s[side]);
	if (peer->ooo_end && peer->ooo_start < acked) {
		seq_gap_one(z, !side, peer->ooo_start - peer->data64, report);
		if (peer->ooo_end > peer->data64)
			peer->data64 = peer->ooo_end;
		peer->ooo_end = 0;
	}
	if (acked > peer->data64) {
		seq_gap_one(z, !side, acked - peer->data64, report);
		peer->data64 = acked;
	}
}

/*
 * What TCP_Reassembler::DataSent() gives up at (skip_deliveries): more
 * than tcp_max_above_hole_without_any_acks (16384) bytes above a hole
 * while the peer acknowledged none of this side's data, or more than
 * tcp_excessive_data_without_further_acks (10 MiB) held unacknowledged.
 */
#define ZEEK_MAX_ABOVE_HOLE 16384
#define ZEEK_EXCESSIVE_DATA (10ull << 20)

static void seq_give_up(struct pcap_zeek_side *sp)
{
	uint64_t first =
		sp->ack64 > sp->start64 + 1 ? sp->ack64 : sp->start64 + 1;
	uint64_t held = sp->data64 > first ? sp->data64 - first : 0;

	if (sp->ooo_end)
		held += sp->ooo_end - sp->ooo_start;
	if ((sp->ack64 <= sp->start64 + 1 && sp->ooo_end &&
	     sp->ooo_end - sp->data64 > ZEEK_MAX_ABOVE_HOLE) ||
	    held > ZEEK_EXCESSIVE_DATA) {
		sp->skip = 1;
		sp->ooo_end = 0;
	}
}

/* Payload [@s, @e) seen from @sp: contiguous, or a block past a hole. */
static void seq_data(struct pcap_zeek_side *sp, uint64_t s, uint64_t e)
{
	if (s <= sp->data64) {
		if (e > sp->data64)
			sp->data64 = e;
		if (sp->ooo_end && sp->ooo_start <= sp->data64) {
			if (sp->ooo_end > sp->data64)
				sp->data64 = sp->ooo_end;
			sp->ooo_end = 0;
		}
		return;
	}
	if (!sp->ooo_end) {
		sp->ooo_start = s;
		sp->ooo_end = e;
		return;
	}
	if (s < sp->ooo_start)
		sp->ooo_start = s;
	if (e > sp->ooo_end)
		sp->ooo_end = e;
}

/*
 * Zeek's Connection::FlipRoles(): the endpoints trade places and '^' is
 * added. The letters already written keep their case, and what was
 * recorded once per direction (hist_seen: the connection's bits, one half
 * per direction) stays with the direction, not with the endpoint.
 */
static void zeek_flip(struct pcap_zeek *z)
{
	struct pcap_zeek_side t = z->s[TULPEN_ORIG];
	uint32_t seen_o = z->s[TULPEN_ORIG].hist_seen;
	uint32_t seen_r = z->s[TULPEN_RESP].hist_seen;

	z->s[TULPEN_ORIG] = z->s[TULPEN_RESP];
	z->s[TULPEN_RESP] = t;
	z->s[TULPEN_ORIG].hist_seen = seen_o;
	z->s[TULPEN_RESP].hist_seen = seen_r;
	hist_add(z, TULPEN_ORIG, '^');
}

int pcap_zeek_segment(struct pcap_zeek *z, int side, const struct tulpen_pkt *p)
{
	struct pcap_zeek_side *sp = &z->s[side], *peer = &z->s[!side];
	unsigned int f = p->flags;
	uint32_t end = p->seq + (uint32_t) !!(f & TULPEN_TH_SYN) +
		       (uint32_t) !!(f & TULPEN_TH_FIN) +
		       ((f & TULPEN_TH_RST) ? 0 : p->payload_len);
	int did, ret = 0;

	seq_start(sp, p, end);
	zeek_history(z, side, p);
	/* Zero windows: logarithmic letters. */
	if (p->window == 0 && !(f & TULPEN_TH_RST) && peer->state != Z_CLOSED &&
	    sp->state != Z_RESET)
		hist_scaled(z, side, 'W', &sp->zwin_cnt, &sp->zwin_thresh);
	if (!sp->did_close || !peer->did_close)
		if (p->ts_ns > z->last_ns)
			z->last_ns = p->ts_ns;
	if (f & TULPEN_TH_FIN)
		sp->fin_cnt++;
	if (f & TULPEN_TH_ACK)
		seq_ack(peer, p);
	if (seq_last(sp, p, end))
		hist_scaled(z, side, 'T', &sp->rexmit_cnt, &sp->rexmit_thresh);
	/*
	 * DataSent(): a payload cut by the snapshot length is not taken
	 * (one whose outer packet was fragmented is: Zeek reassembles it)
	 */
	if (p->payload_len && !(f & TULPEN_TH_RST) && sp->has_start &&
	    p->truncated != 1 && !sp->skip) {
		uint64_t ds = seq64(sp->data64, p->seq + !!(f & TULPEN_TH_SYN));

		seq_data(sp, ds, ds + p->payload_len);
		seq_give_up(sp);
	}
	did = zeek_state(z, side, p);
	/* Process(): the ACK's gaps, each end of stream, then the close */
	seq_gap(z, side, p);
	if ((f & TULPEN_TH_ACK) && eof_due(peer) && zeek_eof(z, !side))
		ret |= PCAP_ZEEK_CLOSING;
	if (eof_due(sp) && zeek_eof(z, side))
		ret |= PCAP_ZEEK_CLOSING;
	if ((did & DO_CLOSE) && zeek_closed(z, side))
		ret |= PCAP_ZEEK_CLOSING;
	if (did & RESET_TIMER)
		ret |= PCAP_ZEEK_RESET;
	if (did & DO_FLIP) {
		zeek_flip(z);
		ret |= PCAP_ZEEK_FLIPPED;
	}
	return ret;
}

void pcap_zeek_bad_checksum(struct pcap_zeek *z, int side)
{
	struct pcap_zeek_side *sp = &z->s[side];

	hist_scaled(z, side, 'C', &sp->csum_cnt, &sp->csum_thresh);
}

static uint32_t start_seq(const struct pcap_zeek_side *sp)
{
	return sp->has_start ? (uint32_t)sp->start64 : 0;
}

int pcap_zeek_reuse(const struct pcap_zeek *z, const struct tulpen_pkt *p)
{
	const struct pcap_zeek_side *o = &z->s[TULPEN_ORIG];
	const struct pcap_zeek_side *r = &z->s[TULPEN_RESP];
	const struct pcap_zeek_side *conn_orig = o;

	if (!(p->flags & TULPEN_TH_SYN))
		return 0;
	if (p->flags & TULPEN_TH_ACK) {
		if (o->state != Z_INACTIVE)
			return 0; /* not a half connection */
		conn_orig = r;
	}
	if (o->did_close || r->did_close)
		return 1;
	/* StartSeq(): 0 until the endpoint is initialised. */
	if (p->seq == start_seq(conn_orig))
		return 0;
	/* A SYN answering a SYN-ACK seen first (reordered): not a reuse. */
	if (!(p->flags & TULPEN_TH_ACK) && conn_orig->state == Z_SYN_ACK_SENT &&
	    r->state == Z_INACTIVE && p->seq == start_seq(r))
		return 0;
	return 1;
}

int pcap_zeek_acked_syn(const struct pcap_zeek *z, const struct tulpen_pkt *p)
{
	const struct pcap_zeek_side *o = &z->s[TULPEN_ORIG];

	return (p->flags & (TULPEN_TH_SYN | TULPEN_TH_ACK)) == TULPEN_TH_SYN &&
	       o->state == Z_INACTIVE && o->has_start &&
	       p->seq == (uint32_t)o->start64;
}

/*
 * Zeek's ExpireTimer: first tcp_SYN_timeout (5 s) after the connection
 * was made, then every tcp_session_timer (6 s); it removes a connection
 * idle more than tcp_connection_linger (5 s) when neither endpoint has
 * done anything.
 */
#define ZEEK_SYN_TIMEOUT_NS (5 * 1000000000LL)
#define ZEEK_SESSION_TIMER_NS (6 * 1000000000LL)
#define ZEEK_CONN_LINGER_NS (5 * 1000000000LL)

int pcap_zeek_expired(const struct pcap_zeek *z, int64_t start_ns,
		      int64_t now_ns)
{
	int64_t tick = start_ns + ZEEK_SYN_TIMEOUT_NS;

	if (z->s[TULPEN_ORIG].state != Z_INACTIVE ||
	    z->s[TULPEN_RESP].state != Z_INACTIVE)
		return 0;
	/* Its last time is its start: the first tick after start + 5 s. */
	while (tick <= z->last_ns + ZEEK_CONN_LINGER_NS)
		tick += ZEEK_SESSION_TIMER_NS;
	return now_ns >= tick;
}

int pcap_zeek_attempt(const struct pcap_zeek *z)
{
	int os = z->s[TULPEN_ORIG].state;

	return (os == Z_SYN_SENT || os == Z_SYN_ACK_SENT) &&
	       z->s[TULPEN_RESP].state == Z_INACTIVE;
}

uint64_t pcap_zeek_size(const struct pcap_zeek *z, int side)
{
	const struct pcap_zeek_side *sp = &z->s[side];
	uint64_t top, size;

	if (!sp->has_start)
		return 0;
	/*
	 * TCP_Endpoint::Size(): a SYN answered by nothing, then aborted
	 * with a RST, after the peer acknowledged more than the SYN (it
	 * stayed INACTIVE: a bare ACK before any SYN-ACK) sent no data.
	 */
	if (sp->prev == Z_SYN_SENT && sp->state == Z_RESET &&
	    z->s[!side].state == Z_INACTIVE && sp->ack64 != sp->start64 &&
	    sp->ack64 != sp->start64 + 1)
		return 0;
	top = sp->last64 > sp->ack64 ? sp->last64 : sp->ack64;
	size = top > sp->start64 ? top - sp->start64 : 0;
	if (size)
		size--; /* the SYN's octet */
	if (sp->fin_cnt && size)
		size--; /* the FIN's octet */
	return size;
}

/*
 * Ports Zeek's default scripts register for their analyzers, which make its
 * likely_server_ports (TCP): a connection picked up without its SYN whose
 * first packet comes from one of these is turned around.
 */
static const uint16_t likely_server_ports[] = {
	21,   22,   23,	  25,	53,   79,   80,	  81,	88,   110,  111,
	113,  135,  139,  143,	389,  443,  445,  502,	513,  514,  563,
	585,  587,  614,  631,	636,  989,  990,  992,	993,  995,  1080,
	1433, 1434, 1883, 2049, 2811, 3128, 3268, 3306, 3389, 5222, 5223,
	5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080, 8888, 20000,
};

static int likely_server(uint16_t port)
{
	size_t lo = 0, hi = sizeof(likely_server_ports) /
			    sizeof(likely_server_ports[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (likely_server_ports[mid] == port)
			return 1;
		if (likely_server_ports[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int pcap_zeek_flip(const struct tulpen_pkt *p)
{
	unsigned int f = p->flags;

	if ((f & TULPEN_TH_SYN) && !(f & TULPEN_TH_ACK))
		return 0;
	if (!likely_server(p->src.port))
		return 0;
	if (likely_server(p->dst.port))
		/* Both plausible: not for a SYN-ACK, and toward the higher. */
		return !(f & TULPEN_TH_SYN) && p->src.port < p->dst.port;
	return 1;
}
