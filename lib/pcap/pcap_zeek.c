// SPDX-License-Identifier: MIT
/*
 * pcap_zeek.c - Zeek's conn_state and history for a TCP connection.
 *
 * Written after Zeek's documentation of conn.log (base/protocols/conn/
 * main.zeek: conn_state codes; history letters, upper case for the
 * originator, lower for the responder; 'a', 'd', 'i', 'q' once per
 * direction; 'f', 'h', 'r', 's' again only with a new sequence number;
 * 't', 'w' (and 'c', 'g') at 1, 10, 100, ... events) and its TCP
 * analyzer's endpoint model. Not produced: 'c' (captured checksums are
 * usually offloaded), 'g' (content gaps need reassembly), 'x'.
 */
#include <errno.h>
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
	H_SYN = 1u << 0,
	H_SYNACK = 1u << 1,
	H_ACK = 1u << 2,
	H_DATA = 1u << 3,
	H_FIN = 1u << 4,
	H_RST = 1u << 5,
	H_FINRST = 1u << 6,
	H_MULTI = 1u << 7,
};


static void hist_add(struct pcap_zeek *z, int side, char code)
{
	if (z->hlen >= TULPEN_CONN_HISTORY_MAX)
		return;
	if (side == TULPEN_RESP && code >= 'A' && code <= 'Z')
		code = (char)(code - 'A' + 'a');
	z->history[z->hlen++] = code;
	z->history[z->hlen] = '\0';
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

/* Zeek's ScaledHistoryEntry(): letters at 1, 10, 100, ... events. */
static void hist_scaled(struct pcap_zeek *z, int side, char code, uint32_t *cnt,
			uint32_t *thresh)
{
	if (!*thresh)
		return;
	if (++*cnt == *thresh) {
		hist_add(z, side, code);
		*thresh = *thresh > UINT32_MAX / 10 ? 0 : *thresh * 10;
	}
}

/* Zeek's update_history(); @rel_seq is relative to the side's ISN. */
static void zeek_history(struct pcap_zeek *z, int side,
			 const struct tulpen_pkt *p)
{
	struct pcap_zeek_side *sp = &z->s[side];
	unsigned int fl_ = p->flags;
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
			uint32_t bit = code == 'H' ? H_SYNACK : H_SYN;

			if (hist_check(z, side, bit, code) &&
			    p->seq != sp->last_syn)
				hist_add(z, side, code);
			sp->last_syn = p->seq;
		}
		if (fl_ & TULPEN_TH_FIN) {
			uint32_t end = p->seq + p->payload_len;

			if (hist_check(z, side, H_FIN, 'F') &&
			    end != sp->last_fin)
				hist_add(z, side, 'F');
			sp->last_fin = end;
		}
		if (fl_ & TULPEN_TH_RST) {
			if (hist_check(z, side, H_RST, 'R') &&
			    p->seq != sp->last_rst)
				hist_add(z, side, 'R');
			sp->last_rst = p->seq;
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
	sp->prev = sp->state;
	sp->state = st;
}

static void zeek_state(struct pcap_zeek *z, int side,
		       const struct tulpen_pkt *p)
{
	struct pcap_zeek_side *ep = &z->s[side], *peer = &z->s[!side];
	unsigned int f = p->flags;
	int syn = f & TULPEN_TH_SYN, ack = f & TULPEN_TH_ACK;
	int fin = f & TULPEN_TH_FIN, rst = f & TULPEN_TH_RST;
	int is_orig = side == TULPEN_ORIG;

	switch (ep->state) {
	case Z_INACTIVE:
		if (syn) {
			if (is_orig) {
				zeek_set(ep, ack ? Z_SYN_ACK_SENT : Z_SYN_SENT);
			} else {
				if (peer->state == Z_SYN_SENT)
					zeek_set(peer, Z_ESTABLISHED);
				zeek_set(ep, Z_ESTABLISHED);
			}
		}
		if (fin)
			zeek_set(ep, Z_CLOSED);
		if (rst)
			zeek_set(ep, Z_RESET);
		if (ep->state == Z_INACTIVE) {
			if (!is_orig && p->payload_len == 0 &&
			    z->s[TULPEN_ORIG].state == Z_SYN_SENT)
				; /* an ACK of the SYN before the SYN-ACK */
			else if (ack && peer->state == Z_ESTABLISHED)
				zeek_set(ep, Z_ESTABLISHED);
			else
				zeek_set(ep, Z_PARTIAL);
		}
		break;
	case Z_SYN_SENT:
	case Z_SYN_ACK_SENT:
		if (fin)
			zeek_set(ep, Z_CLOSED);
		if (rst)
			zeek_set(ep, Z_RESET);
		break;
	case Z_ESTABLISHED:
	case Z_PARTIAL:
		if (syn && ep->state == Z_PARTIAL &&
		    peer->state == Z_INACTIVE && !ack)
			zeek_set(ep, Z_SYN_SENT);
		if (fin && !rst) {
			zeek_set(ep, Z_CLOSED);
			if (peer->state == Z_RESET && peer->prev == Z_CLOSED)
				zeek_set(peer, Z_CLOSED);
		}
		if (rst)
			zeek_set(ep, Z_RESET);
		break;
	case Z_CLOSED:
		if (rst && peer->state != Z_CLOSED)
			zeek_set(ep, Z_RESET);
		break;
	case Z_RESET:
		break;
	}
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

static const char *const zeek_codes[TULPEN_ZEEK_NSTATES] = {
	"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0",
	"RSTRH", "SH", "SHR", "OTH",
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
const char *pcap_zeek_conn_state(const struct pcap_zeek *z,
				 uint64_t orig_bytes, uint64_t resp_bytes)
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
			return hist_rstos0(z->history) ? "RSTOS0" : "OTH";
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

void pcap_zeek_init(struct pcap_zeek *z, int flipped)
{
	memset(z, 0, sizeof(*z));
	z->s[0].rexmit_thresh = z->s[1].rexmit_thresh = 1;
	z->s[0].zwin_thresh = z->s[1].zwin_thresh = 1;
	if (flipped)
		hist_add(z, TULPEN_ORIG, '^');
}

void pcap_zeek_segment(struct pcap_zeek *z, int side,
		       const struct tulpen_pkt *p, int rexmit)
{
	struct pcap_zeek_side *sp = &z->s[side];

	zeek_history(z, side, p);
	/* Zero windows and retransmissions: logarithmic letters. */
	if (p->window == 0 && !(p->flags & TULPEN_TH_RST) &&
	    z->s[!side].state != Z_CLOSED && sp->state != Z_RESET)
		hist_scaled(z, side, 'W', &sp->zwin_cnt, &sp->zwin_thresh);
	if (rexmit && sp->state != Z_RESET)
		hist_scaled(z, side, 'T', &sp->rexmit_cnt, &sp->rexmit_thresh);
	zeek_state(z, side, p);
}
