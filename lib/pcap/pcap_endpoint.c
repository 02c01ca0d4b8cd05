// SPDX-License-Identifier: MIT
/*
 * pcap_endpoint.c - the RFC 9293 state of each endpoint of a reconstructed
 * connection, through tulpen's one state machine (tcp_fsm).
 *
 * Each segment is a SENT event for its sender and a RECV event for its
 * receiver, with the conditions (acceptable SEQ/ACK, ACK of our FIN) worked
 * out from the sequence numbers seen so far. A SYN or FIN is held pending
 * for its receiver until the receiver shows it has it (see
 * pcap_ep_segment()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcap/pcap_flow.h"
#include "pcap/pcap_time.h"

void pcap_ep_push_state(struct flow *fl, int side, int state, int inferred,
			const struct tulpen_pkt *p, uint32_t file)
{
	struct tulpen_conn_side *s = &fl->c.side[side];
	struct tulpen_conn_trans *t;

	s->state = (uint8_t)state;
	if (s->ntrans >= TULPEN_CONN_MAX_TRANS) {
		if (s->trans_lost < UINT8_MAX)
			s->trans_lost++;
		/* Keep the latest state visible in the last slot. */
		t = &s->trans[TULPEN_CONN_MAX_TRANS - 1];
	} else {
		t = &s->trans[s->ntrans++];
	}
	t->ts_ns = p->ts_ns;
	t->state = (uint8_t)state;
	t->inferred = (uint8_t)inferred;
	t->pkt = p->num;
	t->file = file;
}

/* Segment length in sequence space. */
uint32_t pcap_seg_len(const struct tulpen_pkt *p)
{
	return p->payload_len + !!(p->flags & TULPEN_TH_SYN) +
	       !!(p->flags & TULPEN_TH_FIN);
}

/*
 * The receiver's view of a segment: is its SEQ acceptable (not an old
 * duplicate of what the sender already sent), is its ACK acceptable, does
 * it cover the receiver's FIN. @snd is the sender's state before this
 * segment was accounted.
 */
unsigned int pcap_ep_recv_cond(const struct side_priv *snd,
			       const struct side_priv *rcv,
			       const struct tulpen_pkt *p)
{
	unsigned int cond = 0;
	uint32_t len = pcap_seg_len(p);

	if (p->payload_len)
		cond |= TULPEN_FSM_DATA;
	if (rcv->passive)
		cond |= TULPEN_FSM_PASSIVE;
	if (p->flags & TULPEN_TH_SYN) {
		/* A SYN the receiver has already had. */
		if (snd->has_isn && p->seq == snd->isn && rcv->has_seq &&
		    !(p->flags & TULPEN_TH_RST))
			cond |= TULPEN_FSM_SEQ_BAD;
	} else if (snd->has_seq && !(p->flags & TULPEN_TH_RST)) {
		/* Entirely below what was sent before: a retransmission. */
		if (len && seq_diff(p->seq + len, snd->snd_nxt) <= 0)
			cond |= TULPEN_FSM_SEQ_BAD;
		/* A keep-alive probe: one byte below snd_nxt. */
		if (!len && seq_diff(p->seq, snd->snd_nxt) < 0)
			cond |= TULPEN_FSM_SEQ_BAD;
	}
	if ((p->flags & TULPEN_TH_ACK) && rcv->has_seq) {
		if (rcv->has_isn && !rcv->has_fin &&
		    seq_diff(p->ack, rcv->snd_nxt) > 0)
			cond |= TULPEN_FSM_ACK_BAD;
		if (rcv->has_isn && seq_diff(p->ack, rcv->isn) <= 0)
			cond |= TULPEN_FSM_ACK_BAD;
		if (rcv->has_fin && seq_diff(p->ack, rcv->fin_seq + 1) >= 0)
			cond |= TULPEN_FSM_ACK_FIN;
	}
	return cond;
}

/* The four flag bits the state machine looks at, packed 0..15. */
static inline unsigned int ctl_bits(unsigned int flags)
{
	return (flags & (TULPEN_TH_FIN | TULPEN_TH_SYN | TULPEN_TH_RST)) |
	       ((flags & TULPEN_TH_ACK) >> 1);
}

static int fsm_next(uint8_t (*memo)[2][16][32], int state, int recv,
		    unsigned int flags, unsigned int cond)
{
	unsigned int fb = ctl_bits(flags), c = cond & 31;
	uint8_t *m;
	int ret;

	if (state < 0 || state >= TULPEN_TCP_MAX_STATES)
		return -EINVAL;
	m = &memo[state][!!recv][fb][c];
	if (*m)
		return *m - 1;
	flags &= TULPEN_TH_FIN | TULPEN_TH_SYN | TULPEN_TH_RST | TULPEN_TH_ACK;
	if (recv)
		ret = tulpen_fsm_recv(state, flags, c, NULL);
	else
		ret = tulpen_fsm_sent(state, flags, c, NULL);
	if (ret < 0)
		return ret;
	*m = (uint8_t)(ret + 1);
	return ret;
}

static void fsm_apply(struct flow *fl, int side, int recv, unsigned int flags,
		      unsigned int cond, int64_t ts, uint64_t num,
		      uint32_t file)
{
	struct tulpen_conn_side *s = &fl->c.side[side];
	struct tentative *tn = fl->tent[side];
	struct tulpen_conn_trans *t;
	int next;

	if (tn) {
		if (tn->nlog < TENT_LOG) {
			struct tent_event *e = &tn->log[tn->nlog++];

			e->recv = (uint8_t)recv;
			e->flags = (uint8_t)flags;
			e->cond = cond;
			e->ts_ns = ts;
			e->num = num;
			e->file = file;
		} else {
			/* Too much happened since: keep it. */
			pcap_ep_tent_put(fl, tn);
			fl->tent[side] = NULL;
		}
	}
	next = fsm_next(fl->memo, s->state, recv, flags, cond);
	if (next < 0 || next == s->state)
		return;
	s->state = (uint8_t)next;
	if (s->ntrans >= TULPEN_CONN_MAX_TRANS) {
		if (s->trans_lost < UINT8_MAX)
			s->trans_lost++;
		t = &s->trans[TULPEN_CONN_MAX_TRANS - 1];
	} else {
		t = &s->trans[s->ntrans++];
	}
	t->ts_ns = ts;
	t->state = (uint8_t)next;
	t->inferred = 0;
	t->pkt = num;
	t->file = file;
}

/*
 * A reset answering the SYN, with no SYN-ACK before it, means nobody was
 * listening: the endpoint was CLOSED all along ("rcv SYN / snd RST" in
 * CLOSED), not LISTEN -> SYN-RECEIVED as assumed when the SYN came in.
 */
static void not_listening(struct flow *fl, int side, const struct tulpen_pkt *p)
{
	struct tulpen_conn_side *s = &fl->c.side[side];

	if (!(p->flags & TULPEN_TH_RST) || !fl->sp[side].passive ||
	    fl->sp[side].has_isn || s->ntrans != 2 ||
	    s->trans[0].state != TULPEN_TCP_LISTEN ||
	    s->trans[1].state != TULPEN_TCP_SYN_RECV || s->pkts != 1)
		return;
	s->ntrans = 1;
	s->trans[0].state = TULPEN_TCP_CLOSE;
	s->trans[0].inferred = 0;
	s->state = TULPEN_TCP_CLOSE;
	fl->sp[side].passive = 0;
}

static void pend_apply(struct flow *fl, int side)
{
	struct pending *pd = &fl->pend[side];

	if (!pd->active)
		return;
	pd->active = 0;
	fsm_apply(fl, side, 1, pd->flags, pd->cond, pd->ts_ns, pd->num,
		  pd->file);
}

/* Apply the pending SYN/FIN of @side, keeping a way back. */
static void pend_apply_tentative(struct flow *fl, int side)
{
	struct tulpen_conn_side *s = &fl->c.side[side];
	struct tentative *tn;

	pcap_ep_tent_put(fl, fl->tent[side]);
	fl->tent[side] = NULL;
	tn = *fl->tent_free;
	if (tn)
		*fl->tent_free = tn->next;
	else if ((tn = malloc(sizeof(*tn))))
		(*fl->tent_allocs)++;
	if (tn) {
		tn->p = fl->pend[side];
		tn->state = s->state;
		tn->ntrans = s->ntrans;
		tn->lost = s->trans_lost;
		tn->nlog = 0;
		memcpy(tn->trans, s->trans, sizeof(tn->trans));
	}
	pend_apply(fl, side);
	fl->tent[side] = tn;
}

void pcap_ep_tent_put(struct flow *fl, struct tentative *tn)
{
	if (!tn)
		return;
	tn->next = *fl->tent_free;
	*fl->tent_free = tn;
}

static void tent_commit(struct flow *fl, int side)
{
	pcap_ep_tent_put(fl, fl->tent[side]);
	fl->tent[side] = NULL;
}

/* The SYN/FIN came again: it had not arrived. Undo and replay. */
static void tent_rollback(struct flow *fl, int side)
{
	struct tulpen_conn_side *s = &fl->c.side[side];
	struct tentative *tn = fl->tent[side];
	uint8_t i;

	fl->tent[side] = NULL;
	s->state = tn->state;
	s->ntrans = tn->ntrans;
	s->trans_lost = tn->lost;
	memcpy(s->trans, tn->trans, sizeof(s->trans));
	fl->pend[side] = tn->p;
	for (i = 0; i < tn->nlog; i++) {
		const struct tent_event *e = &tn->log[i];

		fsm_apply(fl, side, e->recv, e->flags, e->cond, e->ts_ns,
			  e->num, e->file);
	}
	pcap_ep_tent_put(fl, tn);
}

static int is_copy(const struct pending *pd, const struct tulpen_pkt *p)
{
	unsigned int ctl =
		p->flags & (TULPEN_TH_SYN | TULPEN_TH_FIN | TULPEN_TH_RST);

	/* SYN and SYN,ACK are different segments; FIN copies are FINs. */
	return p->seq == pd->seq &&
	       (ctl & TULPEN_TH_FIN
			? ctl == (pd->flags & (TULPEN_TH_SYN | TULPEN_TH_FIN))
			: (p->flags & (ctl | TULPEN_TH_ACK)) ==
				  (pd->flags & (TULPEN_TH_SYN | TULPEN_TH_FIN |
						TULPEN_TH_ACK)));
}

/*
 * The states of both endpoints for one segment from @side, in the order
 * the endpoints lived them:
 *  1. what @side acknowledges, it has received (its pending SYN/FIN);
 *  2. for the receiver, a pending SYN/FIN from @side is either repeated by
 *     this segment (a retransmission: the copy that counts is the latest)
 *     or overtaken by it (applied first, tentatively);
 *  3. @side's own event (sending this segment);
 *  4. the receiver's event; a SYN or FIN is held pending (step 1/2).
 */
void pcap_ep_segment(struct flow *fl, int side, const struct tulpen_pkt *p,
		     unsigned int rcond, uint32_t file)
{
	struct pending *mine = &fl->pend[side], *theirs = &fl->pend[!side];
	unsigned int ctl =
		p->flags & (TULPEN_TH_SYN | TULPEN_TH_FIN | TULPEN_TH_RST);
	int ack = !!(p->flags & TULPEN_TH_ACK);

	/* 1. */
	if (mine->active && ack && seq_diff(p->ack, mine->end) >= 0)
		pend_apply(fl, side);
	/*
	 * A RST with the sequence number a pending SYN-ACK acknowledged
	 * answers that SYN-ACK: it arrived (and was acceptable).
	 */
	if (mine->active && (p->flags & TULPEN_TH_RST) && !ack &&
	    (mine->flags & (TULPEN_TH_SYN | TULPEN_TH_ACK)) ==
		    (TULPEN_TH_SYN | TULPEN_TH_ACK) &&
	    p->seq == mine->ack)
		pend_apply(fl, side);
	if (fl->tent[side] && ack &&
	    seq_diff(p->ack, fl->tent[side]->p.end) >= 0)
		tent_commit(fl, side);
	not_listening(fl, side, p);
	/* 2. */
	if (fl->tent[!side] && is_copy(&fl->tent[!side]->p, p))
		tent_rollback(fl, !side);
	if (theirs->active) {
		if (is_copy(theirs, p)) {
			theirs->ts_ns = p->ts_ns;
			theirs->num = p->num;
			theirs->file = file;
			/* Old for the sender, new for the receiver. */
			theirs->cond = rcond & ~TULPEN_FSM_SEQ_BAD;
		} else {
			pend_apply_tentative(fl, !side);
		}
	}
	/* 3. A SYN of its own: not (or no longer) a passive opener. */
	if ((p->flags & (TULPEN_TH_SYN | TULPEN_TH_ACK)) == TULPEN_TH_SYN)
		fl->sp[side].passive = 0;
	fsm_apply(fl, side, 0, p->flags, p->payload_len ? TULPEN_FSM_DATA : 0,
		  p->ts_ns, p->num, file);
	/* 4. */
	if (theirs->active)
		return;
	/* A SYN/FIN the receiver already has (SEQ_BAD) is not news. */
	if ((ctl & (TULPEN_TH_SYN | TULPEN_TH_FIN)) && !(ctl & TULPEN_TH_RST) &&
	    !(rcond & TULPEN_FSM_SEQ_BAD)) {
		theirs->active = 1;
		theirs->flags = p->flags;
		theirs->seq = p->seq;
		theirs->end = p->seq + pcap_seg_len(p);
		theirs->ack = p->ack;
		theirs->cond = rcond;
		theirs->ts_ns = p->ts_ns;
		theirs->num = p->num;
		theirs->file = file;
		return;
	}
	fsm_apply(fl, !side, 1, p->flags, rcond, p->ts_ns, p->num, file);
}

/* Account the sender's sequence numbers after the segment. */
void pcap_ep_track_seq(struct side_priv *sp, const struct tulpen_pkt *p)
{
	uint32_t end = p->seq + pcap_seg_len(p);

	if (p->flags & TULPEN_TH_RST)
		return;
	if (p->flags & TULPEN_TH_SYN) {
		if (!sp->has_isn || sp->isn != p->seq) {
			sp->isn = p->seq;
			sp->has_isn = 1;
			sp->snd_nxt = end;
			sp->has_seq = 1;
		}
	}
	if (!sp->has_seq) {
		sp->snd_nxt = end;
		sp->has_seq = 1;
	} else if (seq_diff(end, sp->snd_nxt) > 0) {
		sp->snd_nxt = end;
	}
	if ((p->flags & TULPEN_TH_FIN) && !sp->has_fin) {
		sp->fin_seq =
			p->seq + p->payload_len + !!(p->flags & TULPEN_TH_SYN);
		sp->has_fin = 1;
	}
}

/*
 * The states both endpoints were in before the first packet of the
 * connection, inferred from that packet. @side sent it.
 */
void pcap_ep_initial(struct flow *fl, int side, const struct tulpen_pkt *p,
		     uint32_t file)
{
	unsigned int f = p->flags & (TULPEN_TH_SYN | TULPEN_TH_ACK |
				     TULPEN_TH_RST | TULPEN_TH_FIN);

	if (f == TULPEN_TH_SYN) {
		/* An active open towards a listener. */
		pcap_ep_push_state(fl, side, TULPEN_TCP_CLOSE, 0, p, file);
		/* Assumed: nothing shows a listener until it answers. */
		pcap_ep_push_state(fl, !side, TULPEN_TCP_LISTEN, 1, p, file);
		fl->sp[!side].passive = 1;
		return;
	}
	fl->c.midstream = 1;
	if ((f & (TULPEN_TH_SYN | TULPEN_TH_ACK)) ==
	    (TULPEN_TH_SYN | TULPEN_TH_ACK)) {
		/* We missed the SYN: the sender had it from a listener. */
		pcap_ep_push_state(fl, !side, TULPEN_TCP_SYN_SENT, 1, p, file);
		pcap_ep_push_state(fl, side, TULPEN_TCP_SYN_RECV, 1, p, file);
		fl->sp[side].passive = 1;
		return;
	}
	/* Anything else: the connection was already synchronised. */
	pcap_ep_push_state(fl, TULPEN_ORIG, TULPEN_TCP_ESTABLISHED, 1, p, file);
	pcap_ep_push_state(fl, TULPEN_RESP, TULPEN_TCP_ESTABLISHED, 1, p, file);
}

int pcap_ep_done(int st)
{
	return st == TULPEN_TCP_CLOSE || st == TULPEN_TCP_TIME_WAIT ||
	       st == TULPEN_TCP_LISTEN;
}

/*
 * Zeek turned the connection around (pcap_zeek_segment() said
 * PCAP_ZEEK_FLIPPED): @p, the SYN of a SYN-ACK seen before it, came from
 * the responder, which is the originator from now on. Everything kept per
 * side trades places; the RFC states stay with their endpoints.
 */
void pcap_ep_flip(struct flow *fl, const struct tulpen_pkt *p)
{
	struct tulpen_flow *c = &fl->c;
	struct tulpen_conn_side ts = c->side[0];
	struct side_priv tp = fl->sp[0];
	struct pending tpd = fl->pend[0];
	struct tentative *tn = fl->tent[0];
	struct tulpen_conn_side *o, *r;

	c->side[0] = c->side[1];
	c->side[1] = ts;
	fl->sp[0] = fl->sp[1];
	fl->sp[1] = tp;
	fl->pend[0] = fl->pend[1];
	fl->pend[1] = tpd;
	fl->tent[0] = fl->tent[1];
	fl->tent[1] = tn;
	fl->e.orig_is_a = !fl->e.orig_is_a;
	if (c->first_closer >= 0)
		c->first_closer = (int8_t)!c->first_closer;
	if (c->first_reset >= 0)
		c->first_reset = (int8_t)!c->first_reset;
	c->flipped = 1;
	c->opener_known = 1;	  /* the new originator's SYN */
	c->simultaneous_open = 0; /* a SYN-ACK and a SYN, not two SYNs */
	/* The SYN-ACK came first: no SYN-to-SYN-ACK time, but the rtt. */
	fl->last_syn_ns = p->ts_ns;
	fl->seen_syn = 1;
	fl->seen_synack = 1;
	if (!fl->zeek.compat)
		return;
	/*
	 * Zeek's ConnSize analyzer counts the packet after the TCP analyzer
	 * has flipped it, with the direction it had before: the SYN is
	 * counted for the new responder.
	 */
	o = &c->side[TULPEN_ORIG];
	r = &c->side[TULPEN_RESP];
	o->pkts--;
	o->ip_bytes -= p->ip_len;
	r->pkts++;
	r->ip_bytes += p->ip_len;
}

/* Handshake, close and reset bookkeeping of the public record. */
void pcap_ep_account(struct flow *fl, int side, const struct tulpen_pkt *p,
		     const struct side_priv *before)
{
	struct tulpen_flow *c = &fl->c;
	struct tulpen_conn_side *s = &c->side[side];
	unsigned int f = p->flags;

	s->pkts++;
	s->bytes += p->payload_len;
	s->ip_bytes += p->ip_len;
	if (f & TULPEN_TH_SYN) {
		s->syns++;
		if (before->has_isn && before->isn == p->seq)
			s->syn_rexmits++;
		if (!(f & TULPEN_TH_ACK)) {
			if (side == TULPEN_ORIG) {
				fl->last_syn_ns = p->ts_ns;
				fl->seen_syn = 1;
			}
			if (side == TULPEN_ORIG && !c->midstream)
				c->opener_known = 1;
			if (side == TULPEN_RESP && fl->sp[TULPEN_ORIG].has_isn)
				c->simultaneous_open = 1;
		} else if (side == TULPEN_RESP && !fl->seen_synack &&
			   fl->seen_syn) {
			fl->seen_synack = 1;
			fl->synack_ns = p->ts_ns;
			c->syn_rtt_ns = pcap_span(p->ts_ns, fl->last_syn_ns);
		}
	}
	if ((f & (TULPEN_TH_SYN | TULPEN_TH_ACK | TULPEN_TH_RST)) ==
		    TULPEN_TH_ACK &&
	    side == TULPEN_ORIG && c->rtt_ns < 0 && fl->seen_synack &&
	    fl->sp[TULPEN_RESP].has_isn &&
	    seq_diff(p->ack, fl->sp[TULPEN_RESP].isn + 1) >= 0)
		c->rtt_ns = pcap_span(p->ts_ns, fl->last_syn_ns);
	if (f & TULPEN_TH_FIN) {
		s->fins++;
		if (before->has_fin &&
		    before->fin_seq == p->seq + p->payload_len)
			s->fin_rexmits++;
		if (c->first_closer < 0)
			c->first_closer = (int8_t)side;
		else if (c->first_closer != side && !before->has_fin &&
			 !(fl->sp[!side].has_fin && (f & TULPEN_TH_ACK) &&
			   seq_diff(p->ack, fl->sp[!side].fin_seq + 1) >= 0))
			/* Our FIN went out before the peer's FIN arrived. */
			c->simultaneous_close = 1;
	}
	if (f & TULPEN_TH_RST) {
		s->rsts++;
		if (c->first_reset < 0)
			c->first_reset = (int8_t)side;
	}
	if (p->payload_len && !(f & TULPEN_TH_RST) && before->has_seq &&
	    seq_diff(p->seq + pcap_seg_len(p), before->snd_nxt) <= 0)
		s->data_rexmits++;
}

static int same_ep(const struct tulpen_endpoint *a,
		   const struct tulpen_endpoint *b)
{
	return a->port == b->port && !memcmp(a->addr.raw, b->addr.raw, 16);
}

/* The same tunnel: its type and its outer endpoints, either direction. */
static int same_tunnel(const struct tulpen_tunnel *a,
		       const struct tulpen_tunnel *b)
{
	if (a->type != b->type || a->family != b->family)
		return 0;
	return (same_ep(&a->outer_src, &b->outer_src) &&
		same_ep(&a->outer_dst, &b->outer_dst)) ||
	       (same_ep(&a->outer_src, &b->outer_dst) &&
		same_ep(&a->outer_dst, &b->outer_src));
}

/*
 * The tunnels after the first are in c.more_tunnels, malloc()ed by the
 * table (the record's pointer is const for its reader): 2, 4, 8, ...
 * places, full when the count is one of those.
 */
void pcap_ep_tunnel(struct flow *fl, const struct tulpen_tunnel *t)
{
	struct tulpen_tunnel *more = (struct tulpen_tunnel *)fl->c.more_tunnels;
	uint32_t i, n = fl->c.n_more_tunnels;

	if (!fl->c.tunnel.type) {
		fl->c.tunnel = *t;
		return;
	}
	if (same_tunnel(&fl->c.tunnel, t))
		return; /* nearly always */
	for (i = 0; i < n; i++)
		if (same_tunnel(&more[i], t))
			return;
	if (n + 1 >= TULPEN_CONN_MAX_TUNNELS)
		return;
	if (n == 0 || (n >= 2 && !(n & (n - 1)))) {
		more = realloc(more, (n ? 2 * n : 2) * sizeof(*more));
		if (!more)
			return;
		fl->c.more_tunnels = more;
	}
	more[n] = *t;
	fl->c.n_more_tunnels = n + 1;
}

void pcap_ep_fini(struct flow *fl)
{
	free((void *)fl->c.more_tunnels);
	fl->c.more_tunnels = NULL;
	fl->c.n_more_tunnels = 0;
}
