/* SPDX-License-Identifier: MIT */
/*
 * pcap_flow.h - one reconstructed connection as the connection table holds
 * it (internal to libtulpen): the public record (tulpen/pcap_flows.h), what
 * the table tracks of each side's sequence space, the SYN/FIN held pending
 * for its receiver, and the RFC 9293 state of each endpoint
 * (pcap_endpoint.c) next to Zeek's view (pcap_zeek.c).
 *
 * Ownership: struct flow is allocated and freed by the table
 * (pcap_flows.c); the tentative records hanging off it are malloc()ed by
 * pcap_endpoint.c and freed by whoever frees the flow.
 */
#ifndef TULPEN_PCAP_FLOW_H
#define TULPEN_PCAP_FLOW_H

#include <stdint.h>

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

/* A segment's key, its hash, and whether key.a is its source. */
struct seg_key {
	struct flow_key k;
	uint64_t h;
	int a_is_src;
};

/* @p's key (any thread: a pure function of the segment). */
void pcap_seg_key(const struct tulpen_pkt *p, struct seg_key *sk);

/* tulpen_flows_segment() with the key made by pcap_seg_key(). */
int pcap_flows_segment_key(struct tulpen_flows *f, const struct tulpen_pkt *p,
			   uint32_t file, const struct seg_key *sk);

/* What the table tracks of one side beyond the public record. */
struct side_priv {
	uint32_t isn;	  /* its SYN's sequence number */
	uint32_t snd_nxt; /* one past the highest sequence sent */
	uint32_t fin_seq; /* its FIN's sequence number */
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
	uint32_t seq; /* the segment's sequence number */
	uint32_t end; /* one past it in sequence space */
	uint32_t ack; /* its acknowledgment number (if ACK) */
	unsigned int cond;
	int64_t ts_ns; /* the latest copy */
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
	struct tentative *next; /* on the table's free list */
	struct pending p;
	uint8_t state, ntrans, lost, nlog;
	struct tulpen_conn_trans trans[TULPEN_CONN_MAX_TRANS];
	struct tent_event log[TENT_LOG];
};

/* Which time list a connection is on (pcap_flows.c). */
enum flow_list_id {
	FL_ACTIVE = 0, /* open: least recently used first (idle timeout) */
	FL_DONE,       /* finished, lingering: in order of finishing */
	FL_ATTEMPT,    /* --compat=zeek: unanswered SYNs, oldest first */
};

/*
 * What the hash table and the time lists hold: the key, and the links of
 * the list the connection is on. A finished connection stays for the
 * linger time, so its late segments (a retransmitted last ACK, the peer's
 * FIN after a RST) land in its history instead of starting a bogus one.
 */
struct entry {
	struct flow_key key;
	uint64_t hash;
	struct entry *prev, *next; /* on the list named by @list */
	int64_t due_ns;		   /* FL_DONE, FL_ATTEMPT: when listed */
	uint8_t list;		   /* enum flow_list_id */
	uint8_t orig_is_a;	   /* side[ORIG] is key.a */
	uint8_t arena;		   /* from the arena (pcap_arena.h) */
	uint8_t derived;	   /* the record's Zeek fields are up to date */
};

struct flow {
	struct entry e;		   /* first: a struct entry * is a flow * */
	struct tentative *tent[2]; /* see fsm_segment(); usually NULL */
	struct tulpen_flow c;
	struct side_priv sp[2];
	struct pending pend[2];	      /* pend[s]: waiting to be received by s */
	uint8_t (*memo)[2][16][32];   /* the table's fsm_memo */
	struct tentative **tent_free; /* the table's free tentatives */
	size_t *tent_allocs;	      /* the table's count of them all */
	int64_t last_syn_ns;	      /* latest SYN from the originator */
	int64_t synack_ns;
	uint8_t seen_syn, seen_synack;
	struct pcap_zeek zeek; /* Zeek's view (pcap_zeek.h) */
};

/* Serial number arithmetic (RFC 1982) on sequence numbers. */
static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}
/* tulpen_fsm_step() answers remembered per table (pcap_flows.c). */
typedef uint8_t pcap_fsm_memo[TULPEN_TCP_MAX_STATES][2][16][32];

/* Segment length in sequence space (payload, SYN and FIN). */
uint32_t pcap_seg_len(const struct tulpen_pkt *p);

/* Record that @side entered @state because of @p. */
void pcap_ep_push_state(struct flow *fl, int side, int state, int inferred,
			const struct tulpen_pkt *p, uint32_t file);

/*
 * The receiver's conditions for a segment (TULPEN_FSM_*): @snd is the
 * sender's sequence state before the segment, @rcv the receiver's.
 */
unsigned int pcap_ep_recv_cond(const struct side_priv *snd,
			       const struct side_priv *rcv,
			       const struct tulpen_pkt *p);

/* Both endpoints' states before the first packet of a connection. */
void pcap_ep_initial(struct flow *fl, int side, const struct tulpen_pkt *p,
		     uint32_t file);

/* Both endpoints' RFC 9293 events for one segment from @side. */
void pcap_ep_segment(struct flow *fl, int side, const struct tulpen_pkt *p,
		     unsigned int rcond, uint32_t file);

/*
 * The public record's counters and its handshake, close and reset
 * bookkeeping for a segment from @side (@before: the sender's sequence
 * state before it).
 */
void pcap_ep_account(struct flow *fl, int side, const struct tulpen_pkt *p,
		     const struct side_priv *before);

/* Account the sender's sequence numbers after the segment. */
void pcap_ep_track_seq(struct side_priv *sp, const struct tulpen_pkt *p);

/*
 * @t, the innermost tunnel of a segment of @fl: its first tunnel, or one
 * more (each once, either direction the same, as Zeek's tunnel_parents
 * set). Out of memory or past TULPEN_CONN_MAX_TUNNELS, it is not kept.
 */
void pcap_ep_tunnel(struct flow *fl, const struct tulpen_tunnel *t);

/* Free what @fl holds besides itself (the tunnels after its first). */
void pcap_ep_fini(struct flow *fl);

/* Give a tentative record back to the table's free list (NULL: none). */
void pcap_ep_tent_put(struct flow *fl, struct tentative *tn);

/* Zeek turned the connection around at @p: the sides trade places. */
void pcap_ep_flip(struct flow *fl, const struct tulpen_pkt *p);

/* @st is a final state for an endpoint (CLOSED, TIME-WAIT, LISTEN). */
int pcap_ep_done(int st);

#endif /* TULPEN_PCAP_FLOW_H */
