// SPDX-License-Identifier: MIT
/*
 * pcap_flows.c - the connection table: TCP segments in, connections out.
 *
 * Connections live in an open-addressing hash table (linear probing,
 * backward-shift deletion) keyed by the normalised 4-tuple, and on one of
 * two lists in time order: "active" (least recently used first, for the idle
 * timeout) and "finished" (in order of finishing, for the linger time). Each
 * segment moves its connection to the tail of its list, so expiring is a
 * look at the two heads: O(1) per segment, memory bounded by the number of
 * connections open at one time.
 *
 * Per-endpoint states come from the shared state machine (tcp_fsm): each
 * segment is a SENT event for its sender and a RECV event for its receiver,
 * with the conditions (acceptable SEQ/ACK, ACK of our FIN) worked out from
 * the sequence numbers seen so far. Zeek's conn_state needs Zeek's own,
 * coarser endpoint model (INACTIVE, SYN_SENT, ... RESET); that is kept
 * alongside, following Zeek's TCP analyzer, for conn_state only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "tulpen/pcap_flows.h"
#include "tulpen/tcp_fsm.h"
#include "pcap/pcap_zeek.h"

#define NS_PER_S 1000000000LL

struct flow_key {
	uint8_t a[16];
	uint8_t b[16];
	uint16_t pa;
	uint16_t pb;
	uint32_t family;
};

/* What the table tracks of one side beyond the public record. */
struct side_priv {
	uint32_t isn;		/* its SYN's sequence number */
	uint32_t snd_nxt;	/* one past the highest sequence sent */
	uint32_t fin_seq;	/* its FIN's sequence number */
	uint8_t has_isn : 1, has_seq : 1, has_fin : 1, passive : 1;
	uint8_t fin_acked : 1;
};

/*
 * A SYN or FIN the side has been sent but not yet shown it received: it is
 * applied to the receiver's state when the receiver acknowledges it, or
 * when a later segment in the same direction arrives (in-order delivery).
 * Until then a lost or blackholed SYN/FIN changes nothing, and the time of
 * the transition is that of the copy that got through.
 */
struct pending {
	uint8_t active;
	uint8_t flags;
	uint32_t seq;	 /* the segment's sequence number */
	uint32_t end;	 /* one past it in sequence space */
	unsigned int cond;
	int64_t ts_ns;	 /* the latest copy */
	uint64_t num;
	uint32_t file;
};

/*
 * A pending SYN/FIN applied because a later segment from the same sender
 * arrived (segments arrive in order) before the receiver acknowledged it.
 * If the sender then sends the SYN/FIN again, the first copy was lost
 * after all: the receiver's state is rolled back to before it and the
 * events since are replayed. Allocated only while needed.
 */
#define TENT_LOG 8
struct tent_event {
	uint8_t recv;
	uint8_t flags;
	unsigned int cond;
	int64_t ts_ns;
	uint64_t num;
	uint32_t file;
};

struct tentative {
	struct pending p;
	uint8_t state, ntrans, lost, nlog;
	struct tulpen_conn_trans trans[TULPEN_CONN_MAX_TRANS];
	struct tent_event log[TENT_LOG];
};

/*
 * What the hash table and the time lists hold: a live connection (struct
 * flow, which starts with an entry) or the tombstone of one already handed
 * out. A tombstone keeps the 4-tuple for the linger time, so that late
 * segments of a finished connection (a last retransmitted ACK, a RST after
 * the close) are recognised and do not start a bogus new one, while its
 * memory is that of a few words instead of a whole record.
 */
struct entry {
	struct flow_key key;
	uint64_t hash;
	struct entry *prev, *next; /* on the active or tombstone list */
	int64_t finish_ns;	   /* tombstones: when it finished */
	uint32_t orig_isn;	   /* tombstones: the originator's ISN */
	uint8_t tomb;		   /* a tombstone, not a struct flow */
	uint8_t has_orig_isn;
	uint8_t orig_is_a;	   /* side[ORIG] is key.a */
};

struct flow {
	struct entry e;		/* first: a struct entry * is a flow * */
	struct tulpen_flow c;
	struct side_priv sp[2];
	struct pending pend[2]; /* pend[s]: waiting to be received by s */
	struct tentative *tent[2]; /* see fsm_segment(); usually NULL */
	uint8_t (*memo)[2][16][32]; /* the table's fsm_memo */
	int64_t last_syn_ns;	  /* latest SYN from the originator */
	int64_t synack_ns;
	uint8_t seen_syn, seen_synack;
	struct pcap_zeek zeek;	  /* Zeek's view (pcap_zeek.h) */
};

struct flow_list {
	struct entry *head, *tail;
};

/* A table slot: the hash next to the pointer, so probing never has to
 * follow a pointer to a connection that is not the one sought. */
struct slot {
	struct entry *e;
	uint64_t hash;
};

struct tulpen_flows {
	struct slot *slots;
	size_t cap;  /* power of two */
	size_t used;
	struct flow_list active, done; /* flows; tombstones */
	struct flow *free_list;
	size_t nfree;
	struct entry *free_tombs;	/* tombstones to reuse */
	/* The entry of the previous segment: packets come in trains. */
	struct entry *last_e;
	tulpen_conn_fn cb;
	void *priv;
	int64_t idle_ns, linger_ns;
	int64_t now;
	uint64_t next_id;
	uint32_t file;
	/*
	 * tulpen_fsm_step() answers, remembered: a pure function of the
	 * state, the event kind, the SYN/ACK/FIN/RST flags and the
	 * conditions, looked up in a table scan; twice per segment that
	 * was a quarter of the run time. 0: not asked yet, else state + 1.
	 */
	uint8_t fsm_memo[TULPEN_TCP_MAX_STATES][2][16][32];
	struct tulpen_flows_stats st;
};

/* Serial number arithmetic (RFC 1982) on sequence numbers. */
static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/* -------------------------------------------------------------------- */
/* Lists                                                                */

static void list_del(struct flow_list *l, struct entry *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
}

static void list_add_tail(struct flow_list *l, struct entry *f)
{
	f->next = NULL;
	f->prev = l->tail;
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
}

/* -------------------------------------------------------------------- */
/* Hash table                                                           */

_Static_assert(sizeof(struct flow_key) == 40, "flow_key is 5 words");

/*
 * Build the normalised key (the lower address/port first) and its hash;
 * *@a_is_src says whether key.a is the source. The hash is computed from
 * the words as they are loaded, not from the key just stored (reading back
 * a struct written in pieces stalls on store forwarding). Addresses are 16
 * bytes with IPv4 in the first 4 and zeros after (tulpen/pcap_decode.h).
 */
static uint64_t make_key(const struct tulpen_pkt *p, struct flow_key *k,
			 int *a_is_src)
{
	const struct tulpen_endpoint *x = &p->src, *y = &p->dst;
	uint64_t w[4], last, h;
	int c;

	/* Any fixed order will do: compare as words. */
	memcpy(&w[0], x->addr.raw, 16);
	memcpy(&w[2], y->addr.raw, 16);
	if (w[0] != w[2])
		c = w[0] < w[2] ? -1 : 1;
	else if (w[1] != w[3])
		c = w[1] < w[3] ? -1 : 1;
	else
		c = (int)x->port - (int)y->port;
	*a_is_src = c <= 0;
	if (c > 0) {
		uint64_t t0 = w[0], t1 = w[1];

		x = &p->dst;
		y = &p->src;
		w[0] = w[2];
		w[1] = w[3];
		w[2] = t0;
		w[3] = t1;
	}
	memcpy(k->a, x->addr.raw, 16);
	memcpy(k->b, y->addr.raw, 16);
	k->pa = x->port;
	k->pb = y->port;
	k->family = p->family;
	last = (uint64_t)x->port | (uint64_t)y->port << 16 |
	       (uint64_t)p->family << 32;
	/* Independent multiplies (no dependency chain), then avalanche. */
	h = (w[0] * 0x9e3779b97f4a7c15ull) ^ (w[1] * 0xc2b2ae3d27d4eb4full) ^
	    (w[2] * 0x165667b19e3779f9ull) ^ (w[3] * 0xd6e8feb86659fd93ull) ^
	    ((last + 0x27d4eb2f165667c5ull) * 0xff51afd7ed558ccdull);
	h ^= h >> 32;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

static inline int key_eq(const struct flow_key *x, const struct flow_key *y)
{
	uint64_t a[5], b[5];

	memcpy(a, x, sizeof(a));
	memcpy(b, y, sizeof(b));
	return !((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) |
		 (a[3] ^ b[3]) | (a[4] ^ b[4]));
}

static struct slot *slot_find(struct tulpen_flows *f, const struct flow_key *k,
			      uint64_t h)
{
	size_t mask = f->cap - 1, i = h & mask;

	while (f->slots[i].e) {
		if (f->slots[i].hash == h && key_eq(&f->slots[i].e->key, k))
			return &f->slots[i];
		i = (i + 1) & mask;
	}
	return &f->slots[i];
}

static int table_grow(struct tulpen_flows *f)
{
	size_t ncap = f->cap * 2, i, mask = ncap - 1;
	struct slot *ns;

	ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (i = 0; i < f->cap; i++) {
		size_t j;

		if (!f->slots[i].e)
			continue;
		j = f->slots[i].hash & mask;
		while (ns[j].e)
			j = (j + 1) & mask;
		ns[j] = f->slots[i];
	}
	free(f->slots);
	f->slots = ns;
	f->cap = ncap;
	return 0;
}

/* Remove @fl from the table (backward-shift deletion). */
static void table_del(struct tulpen_flows *f, struct entry *fl)
{
	size_t mask = f->cap - 1, i = fl->hash & mask, j, k;

	while (f->slots[i].e != fl)
		i = (i + 1) & mask;
	j = i;
	for (;;) {
		f->slots[i].e = NULL;
		for (;;) {
			j = (j + 1) & mask;
			if (!f->slots[j].e)
				goto out;
			k = f->slots[j].hash & mask;
			/* Can the entry at j move to the hole at i? */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		f->slots[i] = f->slots[j];
		i = j;
	}
out:
	f->used--;
}

/* -------------------------------------------------------------------- */
/* RFC 9293 states of each endpoint, through tcp_fsm                    */

static void push_state(struct flow *fl, int side, int state, int inferred,
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
static uint32_t seg_len(const struct tulpen_pkt *p)
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
static unsigned int recv_cond(const struct side_priv *snd,
			      const struct side_priv *rcv,
			      const struct tulpen_pkt *p)
{
	unsigned int cond = 0;
	uint32_t len = seg_len(p);

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
			free(tn);
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

	free(fl->tent[side]);
	fl->tent[side] = NULL;
	tn = malloc(sizeof(*tn));
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

static void tent_commit(struct flow *fl, int side)
{
	free(fl->tent[side]);
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
	free(tn);
}

static int is_copy(const struct pending *pd, const struct tulpen_pkt *p)
{
	unsigned int ctl = p->flags & (TULPEN_TH_SYN | TULPEN_TH_FIN |
				       TULPEN_TH_RST);

	/* SYN and SYN,ACK are different segments; FIN copies are FINs. */
	return p->seq == pd->seq &&
	       (ctl & TULPEN_TH_FIN ? ctl == (pd->flags & (TULPEN_TH_SYN |
							  TULPEN_TH_FIN)) :
				    (p->flags & (ctl | TULPEN_TH_ACK)) ==
					    (pd->flags & (TULPEN_TH_SYN |
							  TULPEN_TH_FIN |
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
static void fsm_segment(struct flow *fl, int side, const struct tulpen_pkt *p,
			unsigned int rcond, uint32_t file)
{
	struct pending *mine = &fl->pend[side], *theirs = &fl->pend[!side];
	unsigned int ctl = p->flags & (TULPEN_TH_SYN | TULPEN_TH_FIN |
				       TULPEN_TH_RST);
	int ack = !!(p->flags & TULPEN_TH_ACK);

	/* 1. */
	if (mine->active && ack && seq_diff(p->ack, mine->end) >= 0)
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
	fsm_apply(fl, side, 0, p->flags,
		  p->payload_len ? TULPEN_FSM_DATA : 0, p->ts_ns, p->num, file);
	/* 4. */
	if (theirs->active)
		return;
	/* A SYN/FIN the receiver already has (SEQ_BAD) is not news. */
	if ((ctl & (TULPEN_TH_SYN | TULPEN_TH_FIN)) &&
	    !(ctl & TULPEN_TH_RST) && !(rcond & TULPEN_FSM_SEQ_BAD)) {
		theirs->active = 1;
		theirs->flags = p->flags;
		theirs->seq = p->seq;
		theirs->end = p->seq + seg_len(p);
		theirs->cond = rcond;
		theirs->ts_ns = p->ts_ns;
		theirs->num = p->num;
		theirs->file = file;
		return;
	}
	fsm_apply(fl, !side, 1, p->flags, rcond, p->ts_ns, p->num, file);
}

/* Account the sender's sequence numbers after the segment. */
static void track_seq(struct side_priv *sp, const struct tulpen_pkt *p)
{
	uint32_t end = p->seq + seg_len(p);

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
		sp->fin_seq = p->seq + p->payload_len + !!(p->flags &
							   TULPEN_TH_SYN);
		sp->has_fin = 1;
	}
}

/*
 * The states both endpoints were in before the first packet of the
 * connection, inferred from that packet. @side sent it.
 */
static void initial_states(struct flow *fl, int side,
			   const struct tulpen_pkt *p, uint32_t file)
{
	unsigned int f = p->flags & (TULPEN_TH_SYN | TULPEN_TH_ACK |
				     TULPEN_TH_RST | TULPEN_TH_FIN);

	if (f == TULPEN_TH_SYN) {
		/* An active open towards a listener. */
		push_state(fl, side, TULPEN_TCP_CLOSE, 0, p, file);
		/* Assumed: nothing shows a listener until it answers. */
		push_state(fl, !side, TULPEN_TCP_LISTEN, 1, p, file);
		fl->sp[!side].passive = 1;
		return;
	}
	fl->c.midstream = 1;
	if ((f & (TULPEN_TH_SYN | TULPEN_TH_ACK)) ==
	    (TULPEN_TH_SYN | TULPEN_TH_ACK)) {
		/* We missed the SYN: the sender had it from a listener. */
		push_state(fl, !side, TULPEN_TCP_SYN_SENT, 1, p, file);
		push_state(fl, side, TULPEN_TCP_SYN_RECV, 1, p, file);
		fl->sp[side].passive = 1;
		return;
	}
	/* Anything else: the connection was already synchronised. */
	push_state(fl, TULPEN_ORIG, TULPEN_TCP_ESTABLISHED, 1, p, file);
	push_state(fl, TULPEN_RESP, TULPEN_TCP_ESTABLISHED, 1, p, file);
}

static int side_done(int st)
{
	return st == TULPEN_TCP_CLOSE || st == TULPEN_TCP_TIME_WAIT ||
	       st == TULPEN_TCP_LISTEN;
}

/* -------------------------------------------------------------------- */
/* Connections                                                          */

static void zero_range(void *from, void *to)
{
	memset(from, 0, (size_t)((char *)to - (char *)from));
}

static struct flow *flow_alloc(struct tulpen_flows *f)
{
	struct flow *fl = f->free_list;

	if (fl) {
		f->free_list = (struct flow *)fl->e.next;
		f->nfree--;
	} else {
		fl = malloc(sizeof(*fl));
		if (!fl)
			return NULL;
	}
	/* Everything but the transition arrays (ntrans says what is used). */
	zero_range(fl, fl->c.side[0].trans);
	zero_range(&fl->c.side[0].trans[TULPEN_CONN_MAX_TRANS],
		   fl->c.side[1].trans);
	zero_range(&fl->c.side[1].trans[TULPEN_CONN_MAX_TRANS], fl + 1);
	return fl;
}

static void flow_release(struct tulpen_flows *f, struct flow *fl)
{
	free(fl->tent[0]);
	free(fl->tent[1]);
	fl->tent[0] = fl->tent[1] = NULL;
	if (f->nfree < 1024) {
		fl->e.next = (struct entry *)f->free_list;
		f->free_list = fl;
		f->nfree++;
	} else {
		free(fl);
	}
}

static struct entry *tomb_alloc(struct tulpen_flows *f)
{
	struct entry *t = f->free_tombs;

	if (t) {
		f->free_tombs = t->next;
		return t;
	}
	return malloc(sizeof(*t));
}

/* Replace the table's pointer to @old by @new (same key). */
static void table_swap(struct tulpen_flows *f, struct entry *old,
		       struct entry *new)
{
	size_t mask = f->cap - 1, i = old->hash & mask;

	while (f->slots[i].e != old)
		i = (i + 1) & mask;
	f->slots[i].e = new;
	if (f->last_e == old)
		f->last_e = new;
}

/*
 * Fill in the derived fields and hand the connection out, then free it;
 * a finished one leaves a tombstone behind for the linger time.
 */
static int flow_emit(struct tulpen_flows *f, struct flow *fl, int end)
{
	struct entry *tomb = NULL;
	const char *cs;
	int ret;

	list_del(&f->active, &fl->e);
	if (end == TULPEN_END_CLOSED && f->linger_ns > 0)
		tomb = tomb_alloc(f);
	if (tomb) {
		*tomb = fl->e;
		tomb->tomb = 1;
		tomb->finish_ns = fl->c.last_ns;
		tomb->orig_isn = fl->sp[TULPEN_ORIG].isn;
		tomb->has_orig_isn = fl->sp[TULPEN_ORIG].has_isn;
		table_swap(f, &fl->e, tomb);
		list_add_tail(&f->done, tomb);
		f->st.tombstones++;
	} else {
		if (f->last_e == &fl->e)
			f->last_e = NULL;
		table_del(f, &fl->e);
	}
	fl->c.end = (uint8_t)end;
	cs = pcap_zeek_conn_state(&fl->zeek, fl->c.side[0].bytes,
				  fl->c.side[1].bytes);
	memcpy(fl->c.conn_state, cs, strlen(cs) + 1);
	memcpy(fl->c.history, fl->zeek.history, sizeof(fl->c.history));
	f->st.emitted++;
	f->st.live--;
	ret = f->cb ? f->cb(f->priv, &fl->c) : 0;
	flow_release(f, fl);
	return ret;
}

static void tomb_free(struct tulpen_flows *f, struct entry *t)
{
	if (f->last_e == t)
		f->last_e = NULL;
	list_del(&f->done, t);
	table_del(f, t);
	f->st.tombstones--;
	t->next = f->free_tombs;
	f->free_tombs = t;
}

static struct flow *flow_new(struct tulpen_flows *f, const struct flow_key *k,
			     uint64_t h, struct slot *slot,
			     const struct tulpen_pkt *p, int a_is_src)
{
	struct flow *fl = flow_alloc(f);
	unsigned int syn_ack;
	int flip = 0;

	if (!fl)
		return NULL;
	fl->e.key = *k;
	fl->e.hash = h;
	fl->memo = f->fsm_memo;
	slot->e = &fl->e;
	slot->hash = h;
	f->used++;
	list_add_tail(&f->active, &fl->e);
	f->st.conns++;
	if (++f->st.live > f->st.live_max)
		f->st.live_max = f->st.live;

	/*
	 * Roles: the sender of the first packet is the originator, unless
	 * that packet is a SYN-ACK or (as Zeek guesses) comes from a
	 * likely server port to an unlikely one.
	 */
	syn_ack = p->flags & (TULPEN_TH_SYN | TULPEN_TH_ACK);
	if (syn_ack == (TULPEN_TH_SYN | TULPEN_TH_ACK))
		flip = 1;
	else if (!(p->flags & TULPEN_TH_SYN) && p->src.port < 1024 &&
		 p->dst.port >= 1024)
		flip = 1;
	fl->c.flipped = (uint8_t)flip;
	fl->e.orig_is_a = (uint8_t)(flip ? !a_is_src : a_is_src);
	fl->c.id = ++f->next_id;
	fl->c.family = p->family;
	fl->c.side[TULPEN_ORIG].ep = flip ? p->dst : p->src;
	fl->c.side[TULPEN_RESP].ep = flip ? p->src : p->dst;
	fl->c.start_ns = p->ts_ns;
	fl->c.last_ns = p->ts_ns;
	fl->c.rtt_ns = -1;
	fl->c.syn_rtt_ns = -1;
	fl->c.first_closer = -1;
	fl->c.first_reset = -1;
	pcap_zeek_init(&fl->zeek, flip);
	return fl;
}

/* Handshake, close and reset bookkeeping of the public record. */
static void account(struct flow *fl, int side, const struct tulpen_pkt *p,
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
			if (side == TULPEN_RESP &&
			    fl->sp[TULPEN_ORIG].has_isn)
				c->simultaneous_open = 1;
		} else if (side == TULPEN_RESP && !fl->seen_synack &&
			   fl->seen_syn) {
			fl->seen_synack = 1;
			fl->synack_ns = p->ts_ns;
			c->syn_rtt_ns = p->ts_ns - fl->last_syn_ns;
		}
	}
	if ((f & (TULPEN_TH_SYN | TULPEN_TH_ACK | TULPEN_TH_RST)) ==
		    TULPEN_TH_ACK &&
	    side == TULPEN_ORIG && c->rtt_ns < 0 && fl->seen_synack &&
	    fl->sp[TULPEN_RESP].has_isn &&
	    seq_diff(p->ack, fl->sp[TULPEN_RESP].isn + 1) >= 0)
		c->rtt_ns = p->ts_ns - fl->last_syn_ns;
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
	    seq_diff(p->seq + seg_len(p), before->snd_nxt) <= 0)
		s->data_rexmits++;
}

static int expire(struct tulpen_flows *f)
{
	int ret;

	while (f->done.head && f->now - f->done.head->finish_ns > f->linger_ns)
		tomb_free(f, f->done.head);
	if (f->idle_ns < 0)
		return 0;
	while (f->active.head &&
	       f->now - ((struct flow *)f->active.head)->c.last_ns > f->idle_ns)
		if ((ret = flow_emit(f, (struct flow *)f->active.head,
				     TULPEN_END_IDLE)))
			return ret;
	return 0;
}

/* A SYN (no ACK) that starts a connection of its own. */
static int new_syn(const struct tulpen_pkt *p, int has_isn, uint32_t isn)
{
	return (p->flags & (TULPEN_TH_SYN | TULPEN_TH_ACK | TULPEN_TH_RST)) ==
		       TULPEN_TH_SYN &&
	       (!has_isn || isn != p->seq);
}

int tulpen_flows_segment(struct tulpen_flows *f, const struct tulpen_pkt *p,
			 uint32_t file)
{
	struct side_priv before;
	struct flow_key k;
	struct slot *slot;
	struct entry *e;
	struct flow *fl = NULL;
	unsigned int cond;
	uint64_t h;
	int a_is_src, side, ret, rexmit;

	f->st.segments++;
	if (p->ts_ns > f->now)
		f->now = p->ts_ns;
	else if (p->ts_ns < f->now)
		f->st.out_of_order++;
	if ((ret = expire(f)))
		return ret;

	h = make_key(p, &k, &a_is_src);
	if (f->last_e && f->last_e->hash == h && key_eq(&f->last_e->key, &k)) {
		e = f->last_e;
		slot = NULL; /* only needed to insert, found again then */
	} else {
		slot = slot_find(f, &k, h);
		e = slot->e;
	}
	if (e && e->tomb) {
		/* A finished connection: late segments stay with it. */
		side = a_is_src == e->orig_is_a ? TULPEN_ORIG : TULPEN_RESP;
		if (!new_syn(p, side == TULPEN_ORIG && e->has_orig_isn,
			     e->orig_isn)) {
			f->st.late++;
			return 0;
		}
		tomb_free(f, e);
		slot = slot_find(f, &k, h);
		e = NULL;
	} else if (e) {
		fl = (struct flow *)e;
		side = a_is_src == e->orig_is_a ? TULPEN_ORIG : TULPEN_RESP;
		/* A new SYN after an unanswered one: a new attempt. */
		if (side == TULPEN_ORIG &&
		    fl->c.side[side].state == TULPEN_TCP_SYN_SENT &&
		    new_syn(p, fl->sp[side].has_isn, fl->sp[side].isn)) {
			if ((ret = flow_emit(f, fl, TULPEN_END_REUSED)))
				return ret;
			slot = slot_find(f, &k, h);
			fl = NULL;
		}
	}
	if (!fl) {
		if (f->used * 2 >= f->cap) {
			if (table_grow(f))
				return -ENOMEM;
			slot = slot_find(f, &k, h);
		}
		fl = flow_new(f, &k, h, slot, p, a_is_src);
		if (!fl)
			return -ENOMEM;
		side = fl->c.flipped ? TULPEN_RESP : TULPEN_ORIG;
		initial_states(fl, side, p, file);
	} else {
		side = a_is_src == fl->e.orig_is_a ? TULPEN_ORIG : TULPEN_RESP;
		if (f->active.tail != &fl->e) {
			list_del(&f->active, &fl->e);
			list_add_tail(&f->active, &fl->e);
		}
	}
	f->last_e = &fl->e;
	if (p->ts_ns > fl->c.last_ns)
		fl->c.last_ns = p->ts_ns;

	before = fl->sp[side];
	cond = recv_cond(&before, &fl->sp[!side], p);
	account(fl, side, p, &before);
	rexmit = p->payload_len && !(p->flags & TULPEN_TH_RST) &&
		 before.has_seq &&
		 seq_diff(p->seq + seg_len(p), before.snd_nxt) <= 0;
	pcap_zeek_segment(&fl->zeek, side, p, rexmit);
	track_seq(&fl->sp[side], p);

	fsm_segment(fl, side, p, cond, file);

	if (side_done(fl->c.side[0].state) && side_done(fl->c.side[1].state))
		return flow_emit(f, fl, TULPEN_END_CLOSED);
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	const struct flow *x = *(struct flow *const *)a;
	const struct flow *y = *(struct flow *const *)b;

	return x->c.id < y->c.id ? -1 : x->c.id > y->c.id;
}

int tulpen_flows_finish(struct tulpen_flows *f)
{
	struct flow **all;
	struct entry *e;
	size_t n = 0, i;
	int ret = 0;

	while (f->done.head)
		tomb_free(f, f->done.head);
	if (!f->used)
		return 0;
	all = malloc(f->used * sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (e = f->active.head; e; e = e->next)
		all[n++] = (struct flow *)e;
	qsort(all, n, sizeof(*all), cmp_id);
	for (i = 0; i < n && !ret; i++)
		ret = flow_emit(f, all[i], TULPEN_END_EOF);
	free(all);
	return ret;
}

int tulpen_flows_new(const struct tulpen_flows_opts *opts, tulpen_conn_fn cb,
		     void *priv, struct tulpen_flows **out)
{
	struct tulpen_flows *f;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->cap = 1024;
	f->slots = calloc(f->cap, sizeof(*f->slots));
	if (!f->slots) {
		free(f);
		return -ENOMEM;
	}
	f->cb = cb;
	f->priv = priv;
	f->idle_ns = 300 * NS_PER_S;
	f->linger_ns = 2 * NS_PER_S;
	if (opts && opts->idle_timeout_ns)
		f->idle_ns = opts->idle_timeout_ns;
	if (opts && opts->linger_ns)
		f->linger_ns = opts->linger_ns;
	f->now = INT64_MIN;
	*out = f;
	return 0;
}

void tulpen_flows_stats(const struct tulpen_flows *f,
			struct tulpen_flows_stats *st)
{
	*st = f->st;
}

void tulpen_flows_free(struct tulpen_flows *f)
{
	struct entry *e, *next;
	struct flow *fl, *nfl;

	if (!f)
		return;
	for (e = f->active.head; e; e = next) {
		next = e->next;
		fl = (struct flow *)e;
		free(fl->tent[0]);
		free(fl->tent[1]);
		free(fl);
	}
	for (e = f->done.head; e; e = next) {
		next = e->next;
		free(e);
	}
	for (fl = f->free_list; fl; fl = nfl) {
		nfl = (struct flow *)fl->e.next;
		free(fl);
	}
	for (e = f->free_tombs; e; e = next) {
		next = e->next;
		free(e);
	}
	free(f->slots);
	free(f);
}

const char *tulpen_conn_end_name(enum tulpen_conn_end e)
{
	switch (e) {
	case TULPEN_END_CLOSED:
		return "closed";
	case TULPEN_END_IDLE:
		return "idle";
	case TULPEN_END_REUSED:
		return "reused";
	case TULPEN_END_EOF:
		return "open";
	}
	return "unknown";
}
