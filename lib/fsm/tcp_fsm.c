// SPDX-License-Identifier: MIT
/*
 * tcp_fsm.c - RFC 9293's TCP state machine as one transition table.
 *
 * The rows follow RFC 9293 section 3.10 (event processing) in the order the
 * RFC checks a segment: first the sequence number, then RST, SYN, ACK, the
 * text and finally FIN. The first matching row wins. For every state, each
 * event kind's rows end in a catch-all (a row testing no flag and no
 * condition), so every (state, event) pair has one answer; the unit tests
 * check this exhaustively, and that no row is dead.
 */
#include <errno.h>
#include <string.h>

#include "tulpen/tcp_fsm.h"

#define S(x) TULPEN_SF(TULPEN_TCP_##x)

#define CLOSED S(CLOSE)
#define LISTEN S(LISTEN)
#define SYN_SENT S(SYN_SENT)
#define SYN_RCVD S(SYN_RECV)
#define ESTAB S(ESTABLISHED)
#define FIN_WAIT1 S(FIN_WAIT1)
#define FIN_WAIT2 S(FIN_WAIT2)
#define CLOSE_WAIT S(CLOSE_WAIT)
#define CLOSING S(CLOSING)
#define LAST_ACK S(LAST_ACK)
#define TIME_WAIT S(TIME_WAIT)

#define SYNCHRONIZED                                                           \
	(SYN_RCVD | ESTAB | FIN_WAIT1 | FIN_WAIT2 | CLOSE_WAIT | CLOSING |     \
	 LAST_ACK | TIME_WAIT)
#define ALL_STATES (CLOSED | LISTEN | SYN_SENT | SYNCHRONIZED)

#define SYN TULPEN_TH_SYN
#define ACK TULPEN_TH_ACK
#define FIN TULPEN_TH_FIN
#define RST TULPEN_TH_RST
#define PSH TULPEN_TH_PSH
#define CTL (SYN | ACK | FIN | RST)

#define SEQ_BAD TULPEN_FSM_SEQ_BAD
#define ACK_BAD TULPEN_FSM_ACK_BAD
#define ACK_FIN TULPEN_FSM_ACK_FIN
#define DATA TULPEN_FSM_DATA
#define PASSIVE TULPEN_FSM_PASSIVE
#define NEWER_SYN TULPEN_FSM_NEWER_SYN

#define STAY TULPEN_FSM_STAY
#define T(x) TULPEN_TCP_##x

#define EV_RECV TULPEN_FSM_EV_RECV
#define EV_SENT TULPEN_FSM_EV_SENT

/*
 * ROW(from, event, flags_mask, flags, cond_mask, cond, to, send, valid,
 *     diagram, linux_only, label, why)
 */
#define ROW(fr, ev, fm, f, cm, c, t, snd, ok, dia, lnx, lab, y)                \
	{                                                                      \
		.from = (fr), .event = (ev), .flags_mask = (fm), .flags = (f), \
		.cond_mask = (cm), .cond = (c), .to = (t), .send = (snd),      \
		.valid = (ok), .diagram = (dia), .linux_only = (lnx),          \
		.label = (lab), .why = (y)                                     \
	}

static const struct tulpen_fsm_transition table[] = {
	/* ---- Segment received (RFC 9293 3.10.7) ---- */

	/* CLOSED: no connection; answer everything but a RST with a RST. */
	ROW(CLOSED, EV_RECV, RST, RST, 0, 0, STAY, 0, 0, 0, 0, "rcv RST",
	    "A reset for a connection that does not exist is ignored."),
	ROW(CLOSED, EV_RECV, ACK, ACK, 0, 0, STAY, RST, 0, 0, 0,
	    "rcv ACK / snd RST",
	    "No connection: the segment is answered with a reset."),
	ROW(CLOSED, EV_RECV, 0, 0, 0, 0, STAY, RST | ACK, 0, 0, 0,
	    "rcv segment / snd RST,ACK",
	    "No connection: the segment is answered with a reset."),

	/* LISTEN */
	ROW(LISTEN, EV_RECV, RST, RST, 0, 0, STAY, 0, 0, 0, 0, "rcv RST",
	    "A reset to a listener is ignored."),
	ROW(LISTEN, EV_RECV, ACK, ACK, 0, 0, STAY, RST, 0, 0, 0,
	    "rcv ACK / snd RST",
	    "An ACK in LISTEN acknowledges nothing ever sent: reset."),
	ROW(LISTEN, EV_RECV, SYN, SYN, 0, 0, T(SYN_RECV), SYN | ACK, 1, 1, 0,
	    "rcv SYN / snd SYN,ACK",
	    "A client's SYN arrives; the server answers with SYN,ACK."),
	ROW(LISTEN, EV_RECV, 0, 0, 0, 0, STAY, 0, 0, 0, 0, "rcv segment",
	    "Data or FIN without SYN in LISTEN is dropped."),

	/* SYN-SENT: the ACK is checked first, then RST, then SYN. */
	ROW(SYN_SENT, EV_RECV, ACK | RST, ACK | RST, ACK_BAD, ACK_BAD, STAY, 0,
	    0, 0, 0, "rcv RST,ACK (bad ACK)",
	    "A reset whose ACK is not for our SYN is dropped."),
	ROW(SYN_SENT, EV_RECV, ACK, ACK, ACK_BAD, ACK_BAD, STAY, RST, 0, 0, 0,
	    "rcv ACK (bad) / snd RST",
	    "The ACK is not for our SYN (an old connection?): reset."),
	ROW(SYN_SENT, EV_RECV, ACK | RST, ACK | RST, 0, 0, T(CLOSE), 0, 1, 0, 0,
	    "rcv RST,ACK", "Connection refused: nobody listens on that port."),
	ROW(SYN_SENT, EV_RECV, RST, RST, 0, 0, STAY, 0, 0, 0, 0,
	    "rcv RST (no ACK)",
	    "A reset without an ACK of our SYN is dropped."),
	ROW(SYN_SENT, EV_RECV, SYN | ACK | FIN, SYN | ACK | FIN, 0, 0,
	    T(CLOSE_WAIT), ACK, 1, 0, 0, "rcv SYN,ACK,FIN / snd ACK",
	    "The peer accepted and closed in one segment."),
	ROW(SYN_SENT, EV_RECV, SYN | ACK, SYN | ACK, 0, 0, T(ESTABLISHED), ACK,
	    1, 1, 0, "rcv SYN,ACK / snd ACK",
	    "The server accepted: the handshake completes."),
	ROW(SYN_SENT, EV_RECV, SYN | ACK, SYN, 0, 0, T(SYN_RECV), SYN | ACK, 1,
	    1, 0, "rcv SYN / snd SYN,ACK",
	    "Simultaneous open: both ends sent a SYN."),
	ROW(SYN_SENT, EV_RECV, 0, 0, 0, 0, STAY, 0, 0, 0, 0, "rcv segment",
	    "Neither SYN nor RST: dropped."),

	/*
	 * SYN-RECEIVED, before the common checks: a retransmitted SYN and
	 * the SYN,ACK of a simultaneous open, whose sequence number is the
	 * one already seen.
	 */
	ROW(SYN_RCVD, EV_RECV, CTL, SYN, SEQ_BAD, SEQ_BAD, STAY, SYN | ACK, 1,
	    0, 1, "rcv SYN again / snd SYN,ACK",
	    "The client retransmitted its SYN: the SYN,ACK is sent again "
	    "(RFC 9293 answers with an ACK)."),
	ROW(SYN_RCVD, EV_RECV, SYN | ACK | RST, SYN | ACK, ACK_BAD | PASSIVE, 0,
	    T(ESTABLISHED), ACK, 1, 0, 0, "rcv SYN,ACK / snd ACK",
	    "Simultaneous open: the peer's SYN,ACK completes it."),

	/*
	 * Retransmitted FINs are acknowledged again, whatever their sequence
	 * number says (they are usually old).
	 */
	ROW(TIME_WAIT, EV_RECV, FIN | SYN | RST, FIN, 0, 0, STAY, ACK, 1, 0, 0,
	    "rcv FIN / snd ACK",
	    "The peer's FIN came again (our ACK was lost): ACK it again "
	    "and restart the 2 MSL timer."),
	ROW(CLOSE_WAIT, EV_RECV, FIN | SYN | RST, FIN, 0, 0, STAY, ACK, 1, 0, 0,
	    "rcv FIN / snd ACK", "The peer's FIN came again: ACK it again."),
	ROW(CLOSING, EV_RECV, CTL, FIN | ACK, ACK_FIN, ACK_FIN, T(TIME_WAIT), 0,
	    1, 0, 1, "rcv FIN + ACK of FIN",
	    "The peer's FIN came again, now acknowledging ours: Linux takes "
	    "the ACK (RFC 9293 would drop the old segment first)."),
	ROW(LAST_ACK, EV_RECV, CTL, FIN | ACK, ACK_FIN, ACK_FIN, T(CLOSE), 0, 1,
	    0, 1, "rcv FIN + ACK of FIN",
	    "The peer's FIN came again, now acknowledging ours: Linux takes "
	    "the ACK (RFC 9293 would drop the old segment first)."),
	ROW(CLOSING | LAST_ACK, EV_RECV, FIN | SYN | RST, FIN, 0, 0, STAY, ACK,
	    1, 0, 0, "rcv FIN / snd ACK",
	    "The peer's FIN came again: ACK it again."),

	/* Synchronized states, first check: the sequence number. */
	ROW(SYNCHRONIZED, EV_RECV, RST, RST, SEQ_BAD, SEQ_BAD, STAY, 0, 0, 0, 0,
	    "rcv RST (out of window)",
	    "A reset outside the window is dropped."),
	ROW(SYNCHRONIZED, EV_RECV, 0, 0, SEQ_BAD, SEQ_BAD, STAY, ACK, 0, 0, 0,
	    "rcv segment (out of window) / snd ACK",
	    "Outside the receive window: dropped, and an ACK tells the peer "
	    "what is expected."),

	/* Second check: RST. */
	ROW(SYN_RCVD, EV_RECV, RST, RST, PASSIVE, PASSIVE, T(LISTEN), 0, 1, 1,
	    0, "rcv RST",
	    "The client reset the half-open connection: the server goes "
	    "back to listening."),
	ROW(SYN_RCVD, EV_RECV, RST, RST, 0, 0, T(CLOSE), 0, 1, 0, 0, "rcv RST",
	    "The peer refused the simultaneous open: connection reset."),
	ROW(ESTAB | FIN_WAIT1 | FIN_WAIT2 | CLOSE_WAIT, EV_RECV, RST, RST, 0, 0,
	    T(CLOSE), 0, 1, 0, 0, "rcv RST",
	    "Connection reset by peer: pending data is lost."),
	ROW(CLOSING | LAST_ACK | TIME_WAIT, EV_RECV, RST, RST, 0, 0, T(CLOSE),
	    0, 1, 0, 0, "rcv RST", "The peer reset the closing connection."),

	/* Fourth check: SYN (RFC 5961 challenge ACK). */
	ROW(SYN_RCVD, EV_RECV, SYN, SYN, PASSIVE, PASSIVE, T(LISTEN), 0, 0, 0,
	    0, "rcv SYN (new)",
	    "A different SYN replaces the half-open connection: back to "
	    "LISTEN."),
	ROW(TIME_WAIT, EV_RECV, SYN | ACK | RST, SYN, NEWER_SYN, NEWER_SYN,
	    T(CLOSE), 0, 1, 0, 1, "rcv newer SYN (RFC 6191)",
	    "A new SYN for the same ports whose sequence number or timestamp "
	    "is newer: the TIME-WAIT socket ends and the listener takes the "
	    "SYN as a new connection."),
	ROW(TIME_WAIT, EV_RECV, SYN | ACK, SYN, 0, 0, STAY, ACK, 0, 0, 0,
	    "rcv SYN / snd ACK",
	    "A SYN for the same ports that is not newer (an old duplicate): "
	    "RFC 9293 answers with an ACK and the TIME-WAIT socket stays."),
	ROW(SYNCHRONIZED, EV_RECV, SYN, SYN, 0, 0, STAY, ACK, 0, 0, 0,
	    "rcv SYN / snd ACK",
	    "A SYN on a synchronized connection gets a challenge ACK "
	    "(RFC 5961)."),

	/* Fifth check: the ACK field. */
	ROW(SYNCHRONIZED, EV_RECV, ACK, 0, 0, 0, STAY, 0, 0, 0, 0,
	    "rcv segment without ACK",
	    "Once synchronized every segment carries an ACK: dropped."),
	ROW(SYN_RCVD, EV_RECV, ACK, ACK, ACK_BAD, ACK_BAD, STAY, RST, 0, 0, 0,
	    "rcv ACK (bad) / snd RST",
	    "The ACK is not for our SYN,ACK: reset."),
	ROW(SYN_RCVD, EV_RECV, ACK | FIN, ACK | FIN, 0, 0, T(CLOSE_WAIT), ACK,
	    1, 0, 0, "rcv ACK of SYN + FIN / snd ACK",
	    "The handshake's ACK came with the peer's FIN."),
	ROW(SYN_RCVD, EV_RECV, ACK, ACK, DATA, DATA, T(ESTABLISHED), ACK, 1, 0,
	    0, "rcv ACK of SYN + data / snd ACK",
	    "The handshake's ACK came with data."),
	ROW(SYN_RCVD, EV_RECV, ACK, ACK, 0, 0, T(ESTABLISHED), 0, 1, 1, 0,
	    "rcv ACK of SYN", "The client's ACK completes the handshake."),
	ROW(SYNCHRONIZED, EV_RECV, ACK, ACK, ACK_BAD, ACK_BAD, STAY, ACK, 0, 0,
	    0, "rcv ACK (bad) / snd ACK",
	    "The ACK covers data never sent: dropped and answered with an "
	    "ACK."),

	/* ESTABLISHED */
	ROW(ESTAB, EV_RECV, FIN, FIN, 0, 0, T(CLOSE_WAIT), ACK, 1, 1, 0,
	    "rcv FIN / snd ACK",
	    "The peer closed its side: this side may still send."),
	ROW(ESTAB, EV_RECV, 0, 0, DATA, DATA, STAY, ACK, 1, 0, 0,
	    "rcv data / snd ACK", "Data is received and acknowledged."),
	ROW(ESTAB, EV_RECV, 0, 0, 0, 0, STAY, 0, 1, 0, 0, "rcv ACK",
	    "An acknowledgement: nothing changes."),

	/* FIN-WAIT-1 */
	ROW(FIN_WAIT1, EV_RECV, FIN, FIN, ACK_FIN, ACK_FIN, T(TIME_WAIT), ACK,
	    1, 0, 0, "rcv FIN + ACK of FIN / snd ACK",
	    "Three-way close: the peer acknowledged our FIN and sent its own "
	    "in one segment."),
	ROW(FIN_WAIT1, EV_RECV, FIN, FIN, 0, 0, T(CLOSING), ACK, 1, 1, 0,
	    "rcv FIN / snd ACK",
	    "Simultaneous close: the peer's FIN crossed ours."),
	ROW(FIN_WAIT1, EV_RECV, 0, 0, ACK_FIN | DATA, ACK_FIN | DATA,
	    T(FIN_WAIT2), ACK, 1, 0, 0, "rcv ACK of FIN + data / snd ACK",
	    "Our FIN is acknowledged; the peer still sends data."),
	ROW(FIN_WAIT1, EV_RECV, 0, 0, ACK_FIN, ACK_FIN, T(FIN_WAIT2), 0, 1, 1,
	    0, "rcv ACK of FIN",
	    "Our FIN is acknowledged; now wait for the peer's."),
	ROW(FIN_WAIT1, EV_RECV, 0, 0, DATA, DATA, STAY, ACK, 1, 0, 0,
	    "rcv data / snd ACK",
	    "Half-close: the peer may send data until it closes."),
	ROW(FIN_WAIT1, EV_RECV, 0, 0, 0, 0, STAY, 0, 1, 0, 0, "rcv ACK",
	    "An ACK of data only: still waiting for the ACK of our FIN."),

	/* FIN-WAIT-2 */
	ROW(FIN_WAIT2, EV_RECV, FIN, FIN, 0, 0, T(TIME_WAIT), ACK, 1, 1, 0,
	    "rcv FIN / snd ACK",
	    "The peer closed too: acknowledge and wait 2 MSL."),
	ROW(FIN_WAIT2, EV_RECV, 0, 0, DATA, DATA, STAY, ACK, 1, 0, 0,
	    "rcv data / snd ACK",
	    "Half-close: the peer may send data until it closes."),
	ROW(FIN_WAIT2, EV_RECV, 0, 0, 0, 0, STAY, 0, 1, 0, 0, "rcv ACK",
	    "An acknowledgement: nothing changes."),

	/* CLOSING, LAST-ACK: waiting for the ACK of our FIN. */
	ROW(CLOSING, EV_RECV, 0, 0, ACK_FIN, ACK_FIN, T(TIME_WAIT), 0, 1, 1, 0,
	    "rcv ACK of FIN", "Both FINs are acknowledged: wait 2 MSL."),
	ROW(LAST_ACK, EV_RECV, 0, 0, ACK_FIN, ACK_FIN, T(CLOSE), 0, 1, 1, 0,
	    "rcv ACK of FIN",
	    "The peer acknowledged our FIN: the connection is gone."),
	ROW(CLOSE_WAIT | CLOSING | LAST_ACK | TIME_WAIT, EV_RECV, 0, 0, DATA,
	    DATA, STAY, 0, 0, 0, 0, "rcv data (after FIN)",
	    "Data after the peer's FIN cannot be: ignored."),
	ROW(CLOSE_WAIT | CLOSING | LAST_ACK | TIME_WAIT, EV_RECV, 0, 0, 0, 0,
	    STAY, 0, 1, 0, 0, "rcv ACK",
	    "An acknowledgement: nothing changes."),

	/* ---- Segment sent (what a capture shows of an endpoint) ---- */

	ROW(CLOSED, EV_SENT, CTL, SYN, 0, 0, T(SYN_SENT), 0, 1, 0, 0, "snd SYN",
	    "Active open: connect() sent the SYN."),
	ROW(LISTEN, EV_SENT, CTL, SYN, 0, 0, T(SYN_SENT), 0, 1, 0, 0, "snd SYN",
	    "SEND in LISTEN turned the passive open active."),
	ROW(LISTEN, EV_SENT, CTL, SYN | ACK, 0, 0, T(SYN_RECV), 0, 1, 0, 0,
	    "snd SYN,ACK", "The listener answered a SYN."),
	ROW(CLOSED | LISTEN, EV_SENT, RST, RST, 0, 0, STAY, 0, 1, 0, 0,
	    "snd RST", "A reset answering a segment for no connection."),
	ROW(SYN_SENT, EV_SENT, RST, RST, 0, 0, STAY, 0, 1, 0, 0, "snd RST",
	    "A reset answering an ACK that was not for our SYN."),
	ROW(SYN_RCVD, EV_SENT, RST, RST, PASSIVE, PASSIVE, T(LISTEN), 0, 1, 0,
	    0, "snd RST",
	    "The half-open connection is given up (on Linux also after an "
	    "unacceptable ACK)."),
	ROW(SYNCHRONIZED, EV_SENT, RST, RST, 0, 0, T(CLOSE), 0, 1, 0, 0,
	    "snd RST",
	    "This side aborted the connection (ABORT, or close() with unread "
	    "data on Linux)."),
	ROW(SYN_SENT, EV_SENT, CTL, SYN, 0, 0, STAY, 0, 1, 0, 0, "snd SYN",
	    "The SYN was retransmitted."),
	ROW(SYN_SENT, EV_SENT, CTL, SYN | ACK, 0, 0, T(SYN_RECV), 0, 1, 0, 0,
	    "snd SYN,ACK", "Simultaneous open: the peer's SYN was answered."),
	ROW(SYN_SENT, EV_SENT, CTL, ACK, 0, 0, T(ESTABLISHED), 0, 1, 0, 0,
	    "snd ACK", "The handshake's third segment: the SYN,ACK came."),
	ROW(SYN_RCVD, EV_SENT, CTL, SYN | ACK, 0, 0, STAY, 0, 1, 0, 0,
	    "snd SYN,ACK", "The SYN,ACK was retransmitted."),
	ROW(SYN_RCVD | ESTAB, EV_SENT, FIN | SYN, FIN, 0, 0, T(FIN_WAIT1), 0, 1,
	    0, 0, "snd FIN", "This side closed: the active close begins."),
	ROW(CLOSE_WAIT, EV_SENT, FIN | SYN, FIN, 0, 0, T(LAST_ACK), 0, 1, 0, 0,
	    "snd FIN", "The program closed after the peer did."),
	ROW(FIN_WAIT1 | CLOSING | LAST_ACK | FIN_WAIT2 | TIME_WAIT, EV_SENT,
	    FIN | SYN, FIN, 0, 0, STAY, 0, 1, 0, 0, "snd FIN",
	    "The FIN was retransmitted."),
	ROW(FIN_WAIT2 | TIME_WAIT, EV_SENT, SYN, 0, DATA, DATA, STAY, 0, 0, 0,
	    0, "snd data (after FIN)",
	    "New data after this side's FIN was acknowledged cannot be."),
	ROW(SYNCHRONIZED, EV_SENT, SYN, 0, 0, 0, STAY, 0, 1, 0, 0, "snd ACK",
	    "Data or acknowledgements: nothing changes."),
	ROW(ALL_STATES, EV_SENT, 0, 0, 0, 0, STAY, 0, 0, 0, 0, "snd segment",
	    "This endpoint should not send such a segment in this state."),

	/* ---- User calls (RFC 9293 3.10.1 - 3.10.5) ---- */

	ROW(CLOSED, TULPEN_FSM_EV_PASSIVE_OPEN, 0, 0, 0, 0, T(LISTEN), 0, 1, 1,
	    0, "passive OPEN / create TCB", "listen(): wait for connections."),
	ROW(ALL_STATES, TULPEN_FSM_EV_PASSIVE_OPEN, 0, 0, 0, 0, STAY, 0, 0, 0,
	    0, "passive OPEN", "Error: connection already exists."),
	ROW(CLOSED, TULPEN_FSM_EV_ACTIVE_OPEN, 0, 0, 0, 0, T(SYN_SENT), SYN, 1,
	    1, 0, "active OPEN / snd SYN", "connect(): send a SYN."),
	ROW(LISTEN, TULPEN_FSM_EV_ACTIVE_OPEN, 0, 0, 0, 0, T(SYN_SENT), SYN, 1,
	    0, 0, "active OPEN / snd SYN", "The passive open becomes active."),
	ROW(ALL_STATES, TULPEN_FSM_EV_ACTIVE_OPEN, 0, 0, 0, 0, STAY, 0, 0, 0, 0,
	    "active OPEN", "Error: connection already exists."),
	ROW(LISTEN, TULPEN_FSM_EV_SEND, 0, 0, 0, 0, T(SYN_SENT), SYN, 1, 1, 0,
	    "SEND / snd SYN", "Data to send turns the passive open active."),
	ROW(SYN_SENT | SYN_RCVD, TULPEN_FSM_EV_SEND, 0, 0, 0, 0, STAY, 0, 1, 0,
	    0, "SEND", "The data waits until the connection is established."),
	ROW(ESTAB | CLOSE_WAIT, TULPEN_FSM_EV_SEND, 0, 0, 0, 0, STAY, ACK | PSH,
	    1, 0, 0, "SEND / snd data", "The data is sent."),
	ROW(CLOSED, TULPEN_FSM_EV_SEND, 0, 0, 0, 0, STAY, 0, 0, 0, 0, "SEND",
	    "Error: connection does not exist."),
	ROW(ALL_STATES, TULPEN_FSM_EV_SEND, 0, 0, 0, 0, STAY, 0, 0, 0, 0,
	    "SEND", "Error: connection closing."),
	ROW(LISTEN, TULPEN_FSM_EV_CLOSE, 0, 0, 0, 0, T(CLOSE), 0, 1, 1, 0,
	    "CLOSE / delete TCB", "The listener is closed."),
	ROW(SYN_SENT, TULPEN_FSM_EV_CLOSE, 0, 0, 0, 0, T(CLOSE), 0, 1, 1, 0,
	    "CLOSE / delete TCB", "The connection attempt is abandoned."),
	ROW(SYN_RCVD, TULPEN_FSM_EV_CLOSE, 0, 0, 0, 0, T(FIN_WAIT1), FIN | ACK,
	    1, 1, 0, "CLOSE / snd FIN",
	    "Closed before the handshake completed: send a FIN."),
	ROW(ESTAB, TULPEN_FSM_EV_CLOSE, 0, 0, 0, 0, T(FIN_WAIT1), FIN | ACK, 1,
	    1, 0, "CLOSE / snd FIN", "This side closes first (active close)."),
	ROW(CLOSE_WAIT, TULPEN_FSM_EV_CLOSE, 0, 0, 0, 0, T(LAST_ACK), FIN | ACK,
	    1, 1, 0, "CLOSE / snd FIN",
	    "The program closes after the peer did (passive close)."),
	ROW(CLOSED, TULPEN_FSM_EV_CLOSE, 0, 0, 0, 0, STAY, 0, 0, 0, 0, "CLOSE",
	    "Error: connection does not exist."),
	ROW(ALL_STATES, TULPEN_FSM_EV_CLOSE, 0, 0, 0, 0, STAY, 0, 0, 0, 0,
	    "CLOSE", "Error: connection closing."),
	ROW(LISTEN | SYN_SENT, TULPEN_FSM_EV_ABORT, 0, 0, 0, 0, T(CLOSE), 0, 1,
	    0, 0, "ABORT", "Nothing was synchronized: just forget it."),
	ROW(SYN_RCVD | ESTAB | FIN_WAIT1 | FIN_WAIT2 | CLOSE_WAIT,
	    TULPEN_FSM_EV_ABORT, 0, 0, 0, 0, T(CLOSE), RST, 1, 0, 0,
	    "ABORT / snd RST", "The connection is reset."),
	ROW(CLOSING | LAST_ACK | TIME_WAIT, TULPEN_FSM_EV_ABORT, 0, 0, 0, 0,
	    T(CLOSE), 0, 1, 0, 0, "ABORT",
	    "Both sides already closed: just forget it."),
	ROW(ALL_STATES, TULPEN_FSM_EV_ABORT, 0, 0, 0, 0, STAY, 0, 0, 0, 0,
	    "ABORT", "Error: connection does not exist."),

	/* ---- Timeouts ---- */

	ROW(TIME_WAIT, TULPEN_FSM_EV_TIMEOUT_2MSL, 0, 0, 0, 0, T(CLOSE), 0, 1,
	    1, 0, "Timeout=2MSL / delete TCB",
	    "No old duplicate can arrive any more: the connection is gone."),
	ROW(ALL_STATES, TULPEN_FSM_EV_TIMEOUT_2MSL, 0, 0, 0, 0, STAY, 0, 0, 0,
	    0, "Timeout=2MSL", "No 2 MSL timer runs in this state."),
	ROW(ALL_STATES & ~(CLOSED | LISTEN), TULPEN_FSM_EV_TIMEOUT_USER, 0, 0,
	    0, 0, T(CLOSE), 0, 1, 0, 0, "user timeout",
	    "Retransmissions went unanswered for too long: give up."),
	ROW(ALL_STATES, TULPEN_FSM_EV_TIMEOUT_USER, 0, 0, 0, 0, STAY, 0, 0, 0,
	    0, "user timeout", "Nothing is outstanding in this state."),
	ROW(FIN_WAIT2, TULPEN_FSM_EV_TIMEOUT_FIN_WAIT2, 0, 0, 0, 0, T(CLOSE), 0,
	    1, 0, 1, "tcp_fin_timeout",
	    "Linux: an orphaned FIN-WAIT-2 gives up after tcp_fin_timeout."),
	ROW(ALL_STATES, TULPEN_FSM_EV_TIMEOUT_FIN_WAIT2, 0, 0, 0, 0, STAY, 0, 0,
	    0, 0, "tcp_fin_timeout", "Only FIN-WAIT-2 has this timer."),
};

#define NROWS (sizeof(table) / sizeof(table[0]))

const struct tulpen_fsm_transition *tulpen_fsm_table(size_t *n)
{
	if (n)
		*n = NROWS;
	return table;
}

int tulpen_fsm_is_rfc_state(int state)
{
	if (state < 0 || state >= TULPEN_TCP_MAX_STATES)
		return 0;
	return (ALL_STATES & TULPEN_SF(state)) != 0;
}

static int normalize(int state)
{
	if (state == TULPEN_TCP_NEW_SYN_RECV)
		return TULPEN_TCP_SYN_RECV;
	if (state == TULPEN_TCP_BOUND_INACTIVE)
		return TULPEN_TCP_CLOSE;
	if (!tulpen_fsm_is_rfc_state(state))
		return -EINVAL;
	return state;
}

int tulpen_fsm_step(int state, const struct tulpen_fsm_event *ev,
		    struct tulpen_fsm_result *out)
{
	const struct tulpen_fsm_transition *t;
	unsigned int flags, cond;
	size_t i;

	state = normalize(state);
	if (state < 0 || !ev || (unsigned int)ev->kind >= TULPEN_FSM_EV_MAX)
		return -EINVAL;
	flags = ev->flags & 0xffu;
	cond = ev->cond;
	for (i = 0; i < NROWS; i++) {
		t = &table[i];
		if (t->event != ev->kind || !(t->from & TULPEN_SF(state)))
			continue;
		if ((flags & t->flags_mask) != t->flags)
			continue;
		if ((cond & t->cond_mask) != t->cond)
			continue;
		if (out) {
			out->state = t->to == STAY ? state : t->to;
			out->send = t->send;
			out->valid = t->valid;
			out->changed = out->state != state;
			out->rule = t;
		}
		return t->to == STAY ? state : t->to;
	}
	/* Unreachable: each state's rows end in a catch-all. */
	return -EINVAL;
}

int tulpen_fsm_recv(int state, unsigned int flags, unsigned int cond,
		    struct tulpen_fsm_result *out)
{
	struct tulpen_fsm_event ev = { .kind = TULPEN_FSM_EV_RECV,
				       .flags = flags,
				       .cond = cond };

	return tulpen_fsm_step(state, &ev, out);
}

int tulpen_fsm_sent(int state, unsigned int flags, unsigned int cond,
		    struct tulpen_fsm_result *out)
{
	struct tulpen_fsm_event ev = { .kind = TULPEN_FSM_EV_SENT,
				       .flags = flags,
				       .cond = cond };

	return tulpen_fsm_step(state, &ev, out);
}

static const char *const event_names[TULPEN_FSM_EV_MAX] = {
	[TULPEN_FSM_EV_RECV] = "RECV",
	[TULPEN_FSM_EV_SENT] = "SENT",
	[TULPEN_FSM_EV_PASSIVE_OPEN] = "PASSIVE-OPEN",
	[TULPEN_FSM_EV_ACTIVE_OPEN] = "ACTIVE-OPEN",
	[TULPEN_FSM_EV_SEND] = "SEND",
	[TULPEN_FSM_EV_CLOSE] = "CLOSE",
	[TULPEN_FSM_EV_ABORT] = "ABORT",
	[TULPEN_FSM_EV_TIMEOUT_2MSL] = "TIMEOUT-2MSL",
	[TULPEN_FSM_EV_TIMEOUT_USER] = "TIMEOUT-USER",
	[TULPEN_FSM_EV_TIMEOUT_FIN_WAIT2] = "TIMEOUT-FIN-WAIT-2",
};

const char *tulpen_fsm_event_name(int kind)
{
	if (kind < 0 || kind >= TULPEN_FSM_EV_MAX)
		return "UNKNOWN";
	return event_names[kind];
}

size_t tulpen_fsm_flags_str(unsigned int flags, char *out, size_t size)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} order[] = {
		{ TULPEN_TH_SYN, "SYN" }, { TULPEN_TH_FIN, "FIN" },
		{ TULPEN_TH_RST, "RST" }, { TULPEN_TH_PSH, "PSH" },
		{ TULPEN_TH_ACK, "ACK" }, { TULPEN_TH_URG, "URG" },
		{ TULPEN_TH_ECE, "ECE" }, { TULPEN_TH_CWR, "CWR" },
	};
	size_t len = 0, i, n;

	if (!size)
		return 0;
	out[0] = '\0';
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(flags & order[i].bit))
			continue;
		n = strlen(order[i].name) + (len ? 1 : 0);
		if (len + n >= size)
			break;
		if (len)
			out[len++] = ',';
		memcpy(out + len, order[i].name, strlen(order[i].name));
		len += strlen(order[i].name);
		out[len] = '\0';
	}
	if (!len && size > 1) {
		out[0] = '-';
		out[1] = '\0';
		len = 1;
	}
	return len;
}
