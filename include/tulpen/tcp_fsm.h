/* SPDX-License-Identifier: MIT */
/*
 * tulpen/tcp_fsm.h - RFC 9293's TCP state machine, held as data.
 *
 * One endpoint of a connection is a state (enum tulpen_tcp_state, kernel
 * numbering; RFC CLOSED is TULPEN_TCP_CLOSE). Things happen to it: it
 * receives a segment, it sends a segment, its user calls OPEN, SEND, CLOSE
 * or ABORT, or a timer fires. tulpen_fsm_step() looks the pair (state,
 * event) up in one transition table and says where the endpoint goes, what
 * it sends in response and whether the event was a normal one.
 *
 * Both roles are covered: the active opener (CLOSED -> SYN-SENT) and the
 * passive one (LISTEN -> SYN-RECEIVED), the simultaneous open and close, the
 * three-way close (FIN and ACK in one segment) and resets.
 *
 * Reconstructing states from a capture: every packet seen on the wire is a
 * TULPEN_FSM_EV_SENT event for the endpoint that sent it and then a
 * TULPEN_FSM_EV_RECV event for the endpoint that received it, with the TCP
 * header's flags byte as is. An endpoint's user calls are not visible on
 * the wire, but the segments they cause are: "sent FIN" in ESTABLISHED is
 * the user's CLOSE, "sent SYN" in CLOSED the active OPEN, "sent RST" an
 * ABORT. The SENT rows of the table encode exactly that.
 *
 * Ownership: everything here is static data or plain values; nothing
 * allocates, nothing needs freeing. Strings returned are static.
 */
#ifndef TULPEN_TCP_FSM_H
#define TULPEN_TCP_FSM_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/state.h"

/*
 * Segment flags, with the bit values of the TCP header's flags byte (byte
 * 13), so th_flags can be passed as is. The machine looks at SYN, ACK, FIN
 * and RST; the others are ignored.
 */
#define TULPEN_TH_FIN 0x01u
#define TULPEN_TH_SYN 0x02u
#define TULPEN_TH_RST 0x04u
#define TULPEN_TH_PSH 0x08u
#define TULPEN_TH_ACK 0x10u
#define TULPEN_TH_URG 0x20u
#define TULPEN_TH_ECE 0x40u
#define TULPEN_TH_CWR 0x80u

enum tulpen_fsm_event_kind {
	/* Segment events: ev.flags holds the segment's flags. */
	TULPEN_FSM_EV_RECV = 0, /* the endpoint received a segment */
	TULPEN_FSM_EV_SENT,	/* the endpoint sent a segment */
	/* User calls (RFC 9293 section 3.10). */
	TULPEN_FSM_EV_PASSIVE_OPEN, /* listen() */
	TULPEN_FSM_EV_ACTIVE_OPEN,  /* connect() */
	TULPEN_FSM_EV_SEND,	    /* send() */
	TULPEN_FSM_EV_CLOSE,	    /* close() / shutdown(SHUT_WR) */
	TULPEN_FSM_EV_ABORT,	    /* close() with SO_LINGER 0 */
	/* Timeouts. */
	TULPEN_FSM_EV_TIMEOUT_2MSL, /* TIME-WAIT's timer (60 s on Linux) */
	TULPEN_FSM_EV_TIMEOUT_USER, /* user timeout / retries exhausted */
	/* Linux: an orphaned FIN-WAIT-2 gives up after tcp_fin_timeout. */
	TULPEN_FSM_EV_TIMEOUT_FIN_WAIT2,
	TULPEN_FSM_EV_MAX,
};

/*
 * Conditions of an event, as the endpoint judges them. All zero is the
 * ordinary case: an in-window segment whose ACK (if any) is acceptable.
 */
/* RECV: SEQ not acceptable (outside the receive window, e.g. an old
 * retransmission; a retransmitted SYN carries the IRS already seen). */
#define TULPEN_FSM_SEQ_BAD 0x01u
/* RECV: ACK not acceptable (acknowledges something never sent; in
 * SYN-SENT anything but our SYN). */
#define TULPEN_FSM_ACK_BAD 0x02u
/* RECV: the ACK covers this endpoint's FIN (needed in FIN-WAIT-1, CLOSING
 * and LAST-ACK; an ACK of data only leaves those states alone). */
#define TULPEN_FSM_ACK_FIN 0x04u
/* RECV/SENT: the segment carries data. */
#define TULPEN_FSM_DATA 0x08u
/* The endpoint's connection was opened passively (it came from LISTEN):
 * a reset in SYN-RECEIVED returns it to LISTEN instead of CLOSED. */
#define TULPEN_FSM_PASSIVE 0x10u
/* RECV: a SYN whose sequence number or timestamp is newer than what the
 * connection in TIME-WAIT last saw (RFC 6191): Linux accepts it as a new
 * connection. A capture alone does not tell, so pcap never sets it. */
#define TULPEN_FSM_NEWER_SYN 0x20u

struct tulpen_fsm_event {
	enum tulpen_fsm_event_kind kind;
	unsigned int flags; /* TULPEN_TH_* for RECV and SENT, else 0 */
	unsigned int cond;  /* TULPEN_FSM_* conditions */
};

/* tulpen_fsm_transition.to when the state does not change. */
#define TULPEN_FSM_STAY (-1)

/*
 * One row of the table. A row matches an event when the state is in @from,
 * the kind is @event, (flags & flags_mask) == flags and (cond & cond_mask)
 * == cond. Rows are tried in table order; the first match wins, and for
 * every state each event kind ends in a catch-all, so every (state, event)
 * pair has exactly one answer.
 */
struct tulpen_fsm_transition {
	uint32_t from;	    /* mask of TULPEN_SF(state) */
	uint8_t event;	    /* enum tulpen_fsm_event_kind */
	uint8_t flags_mask; /* which of SYN/ACK/FIN/RST are tested */
	uint8_t flags;	    /* and the values they must have */
	uint8_t cond_mask;  /* which TULPEN_FSM_* conditions are tested */
	uint8_t cond;	    /* and the values they must have */
	int8_t to;	    /* new state, or TULPEN_FSM_STAY */
	uint8_t send;	    /* TULPEN_TH_* flags sent in response, 0: none */
	uint8_t valid;	    /* 1: normal protocol; 0: error/unexpected */
	uint8_t diagram;    /* 1: an arrow of RFC 9293 figure 5 */
	uint8_t linux_only; /* 1: Linux behaviour the RFC does not give */
	const char *label;  /* short, as on the diagram: "rcv SYN / snd ACK" */
	const char *why;    /* one sentence: what happens and why */
};

struct tulpen_fsm_result {
	int state;	   /* state after the event (== before if none) */
	unsigned int send; /* TULPEN_TH_* flags sent in response, 0: none */
	int valid;	   /* 1: a normal event in that state, 0: invalid */
	int changed;	   /* 1: the state changed */
	/* The row that decided (static, never NULL after success). */
	const struct tulpen_fsm_transition *rule;
};

/*
 * tulpen_fsm_step - apply @ev to an endpoint in @state.
 *
 * @state may be any RFC state; TULPEN_TCP_NEW_SYN_RECV is treated as
 * SYN-RECEIVED and TULPEN_TCP_BOUND_INACTIVE as CLOSED. Fills *@out (which
 * may be NULL) and returns the new state (>= 0), or -EINVAL for an unknown
 * state or event kind. Invalid events are not errors: they return the state
 * RFC 9293 leaves the endpoint in (usually unchanged), with out->valid = 0
 * and out->send the RFC's answer (RST, or an ACK for an out-of-window
 * segment).
 */
int tulpen_fsm_step(int state, const struct tulpen_fsm_event *ev,
		    struct tulpen_fsm_result *out);

/* Convenience: a segment event for tulpen_fsm_step(). */
int tulpen_fsm_recv(int state, unsigned int flags, unsigned int cond,
		    struct tulpen_fsm_result *out);
int tulpen_fsm_sent(int state, unsigned int flags, unsigned int cond,
		    struct tulpen_fsm_result *out);

/*
 * tulpen_fsm_table - the whole transition table (static), in match order;
 * stores the number of rows in *@n. Used to draw the diagram, to emit
 * Graphviz, and by tests.
 */
const struct tulpen_fsm_transition *tulpen_fsm_table(size_t *n);

/* Whether @state is one of the eleven states of RFC 9293's machine. */
int tulpen_fsm_is_rfc_state(int state);

/* "RECV", "SENT", "PASSIVE-OPEN", ..., or "UNKNOWN". */
const char *tulpen_fsm_event_name(int kind);

/*
 * tulpen_fsm_flags_str - flags as "SYN,ACK" (in the order SYN, FIN, RST,
 * PSH, ACK, URG, ECE, CWR; "-" for none) into @out of @size bytes. Returns
 * the length written (truncated to fit, always NUL-terminated if size > 0).
 */
size_t tulpen_fsm_flags_str(unsigned int flags, char *out, size_t size);

#endif /* TULPEN_TCP_FSM_H */
