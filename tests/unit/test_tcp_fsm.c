// SPDX-License-Identifier: MIT
/*
 * test_tcp_fsm.c - RFC 9293's state machine: every arrow of figure 5, the
 * paths the figure does not draw (simultaneous open and close, three-way
 * close, resets) and invalid events, plus structural checks of the table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tulpen/tcp_fsm.h"

#define SYN TULPEN_TH_SYN
#define ACK TULPEN_TH_ACK
#define FIN TULPEN_TH_FIN
#define RST TULPEN_TH_RST
#define PSH TULPEN_TH_PSH

#define CLOSED TULPEN_TCP_CLOSE
#define LISTEN TULPEN_TCP_LISTEN
#define SYN_SENT TULPEN_TCP_SYN_SENT
#define SYN_RCVD TULPEN_TCP_SYN_RECV
#define ESTAB TULPEN_TCP_ESTABLISHED
#define FIN_WAIT1 TULPEN_TCP_FIN_WAIT1
#define FIN_WAIT2 TULPEN_TCP_FIN_WAIT2
#define CLOSE_WAIT TULPEN_TCP_CLOSE_WAIT
#define CLOSING TULPEN_TCP_CLOSING
#define LAST_ACK TULPEN_TCP_LAST_ACK
#define TIME_WAIT TULPEN_TCP_TIME_WAIT

static const int rfc_states[] = {
	CLOSED,	   LISTEN,     SYN_SENT, SYN_RCVD, ESTAB,     FIN_WAIT1,
	FIN_WAIT2, CLOSE_WAIT, CLOSING,	 LAST_ACK, TIME_WAIT,
};
#define NSTATES (sizeof(rfc_states) / sizeof(rfc_states[0]))

struct expect {
	int from;
	enum tulpen_fsm_event_kind kind;
	unsigned int flags;
	unsigned int cond;
	int to;
	unsigned int send;
	int valid;
};

static void check(const struct expect *e)
{
	struct tulpen_fsm_event ev = { .kind = e->kind,
				       .flags = e->flags,
				       .cond = e->cond };
	struct tulpen_fsm_result r;
	int ret;

	memset(&r, 0xa5, sizeof(r));
	ret = tulpen_fsm_step(e->from, &ev, &r);
	if (ret != e->to || r.state != e->to || r.send != e->send ||
	    r.valid != e->valid || r.changed != (e->to != e->from)) {
		char want[32], got[32];

		tulpen_fsm_flags_str(e->send, want, sizeof(want));
		tulpen_fsm_flags_str(r.send, got, sizeof(got));
		print_error("%s + %s flags 0x%x cond 0x%x: want %s snd %s "
			    "valid %d, got %s snd %s valid %d (rule \"%s\")\n",
			    tulpen_state_name(e->from, TULPEN_STATE_RFC),
			    tulpen_fsm_event_name(e->kind), e->flags, e->cond,
			    tulpen_state_name(e->to, TULPEN_STATE_RFC), want,
			    e->valid,
			    ret < 0 ? "ERROR"
				    : tulpen_state_name(ret, TULPEN_STATE_RFC),
			    got, r.valid, r.rule ? r.rule->label : "?");
		fail();
	}
	assert_non_null(r.rule);
}

#define RECV TULPEN_FSM_EV_RECV
#define SENT TULPEN_FSM_EV_SENT

/* Every arrow of RFC 9293 figure 5, written out by hand. */
static const struct expect figure5[] = {
	{ CLOSED, TULPEN_FSM_EV_PASSIVE_OPEN, 0, 0, LISTEN, 0, 1 },
	{ CLOSED, TULPEN_FSM_EV_ACTIVE_OPEN, 0, 0, SYN_SENT, SYN, 1 },
	{ LISTEN, TULPEN_FSM_EV_CLOSE, 0, 0, CLOSED, 0, 1 },
	{ LISTEN, RECV, SYN, 0, SYN_RCVD, SYN | ACK, 1 },
	{ LISTEN, TULPEN_FSM_EV_SEND, 0, 0, SYN_SENT, SYN, 1 },
	{ SYN_RCVD, RECV, RST, TULPEN_FSM_PASSIVE, LISTEN, 0, 1 },
	{ SYN_SENT, RECV, SYN, 0, SYN_RCVD, SYN | ACK, 1 },
	{ SYN_SENT, TULPEN_FSM_EV_CLOSE, 0, 0, CLOSED, 0, 1 },
	{ SYN_RCVD, RECV, ACK, 0, ESTAB, 0, 1 },
	{ SYN_SENT, RECV, SYN | ACK, 0, ESTAB, ACK, 1 },
	{ SYN_RCVD, TULPEN_FSM_EV_CLOSE, 0, 0, FIN_WAIT1, FIN | ACK, 1 },
	{ ESTAB, TULPEN_FSM_EV_CLOSE, 0, 0, FIN_WAIT1, FIN | ACK, 1 },
	{ ESTAB, RECV, FIN | ACK, 0, CLOSE_WAIT, ACK, 1 },
	{ FIN_WAIT1, RECV, ACK, TULPEN_FSM_ACK_FIN, FIN_WAIT2, 0, 1 },
	{ FIN_WAIT1, RECV, FIN | ACK, 0, CLOSING, ACK, 1 },
	{ CLOSE_WAIT, TULPEN_FSM_EV_CLOSE, 0, 0, LAST_ACK, FIN | ACK, 1 },
	{ FIN_WAIT2, RECV, FIN | ACK, 0, TIME_WAIT, ACK, 1 },
	{ CLOSING, RECV, ACK, TULPEN_FSM_ACK_FIN, TIME_WAIT, 0, 1 },
	{ LAST_ACK, RECV, ACK, TULPEN_FSM_ACK_FIN, CLOSED, 0, 1 },
	{ TIME_WAIT, TULPEN_FSM_EV_TIMEOUT_2MSL, 0, 0, CLOSED, 0, 1 },
};
#define NFIGURE5 (sizeof(figure5) / sizeof(figure5[0]))

static void test_figure5_arrows(void **unused)
{
	size_t i;

	for (i = 0; i < NFIGURE5; i++)
		check(&figure5[i]);
}

/*
 * The rows marked as figure 5 arrows are exactly the hand-written list: the
 * diagram and the Graphviz output are drawn from those rows.
 */
static void test_figure5_rows_match(void **unused)
{
	const struct tulpen_fsm_transition *t;
	size_t n, i, j, ndiagram = 0;
	int seen[NFIGURE5] = { 0 };

	t = tulpen_fsm_table(&n);
	for (i = 0; i < n; i++) {
		int from = -1, s;

		if (!t[i].diagram)
			continue;
		ndiagram++;
		for (s = 0; s < TULPEN_TCP_MAX_STATES; s++) {
			if (t[i].from & TULPEN_SF(s)) {
				assert_int_equal(from, -1); /* one state */
				from = s;
			}
		}
		for (j = 0; j < NFIGURE5; j++) {
			if (figure5[j].from == from &&
			    (int)figure5[j].kind == (int)t[i].event &&
			    figure5[j].to == t[i].to) {
				seen[j]++;
				break;
			}
		}
		if (j == NFIGURE5) {
			print_error("diagram row \"%s\" from %s is no arrow\n",
				    t[i].label,
				    tulpen_state_name(from, TULPEN_STATE_RFC));
			fail();
		}
	}
	assert_int_equal(ndiagram, NFIGURE5);
	for (j = 0; j < NFIGURE5; j++)
		assert_int_equal(seen[j], 1);
}

/* Invalid events and the RFC's answers to them. */
static const struct expect invalid[] = {
	/* CLOSED: everything but a RST gets a RST. */
	{ CLOSED, RECV, ACK, 0, CLOSED, RST, 0 },
	{ CLOSED, RECV, ACK, TULPEN_FSM_DATA, CLOSED, RST, 0 },
	{ CLOSED, RECV, SYN, 0, CLOSED, RST | ACK, 0 },
	{ CLOSED, RECV, FIN | ACK, 0, CLOSED, RST, 0 },
	{ CLOSED, RECV, RST, 0, CLOSED, 0, 0 },
	{ CLOSED, RECV, RST | ACK, 0, CLOSED, 0, 0 },
	/* LISTEN: data without ACK dropped, anything with ACK reset. */
	{ LISTEN, RECV, 0, TULPEN_FSM_DATA, LISTEN, 0, 0 },
	{ LISTEN, RECV, PSH, TULPEN_FSM_DATA, LISTEN, 0, 0 },
	{ LISTEN, RECV, ACK | PSH, TULPEN_FSM_DATA, LISTEN, RST, 0 },
	{ LISTEN, RECV, SYN | ACK, 0, LISTEN, RST, 0 },
	{ LISTEN, RECV, FIN, 0, LISTEN, 0, 0 },
	{ LISTEN, RECV, RST, 0, LISTEN, 0, 0 },
	/* SYN-SENT: an ACK not for our SYN is reset, RST w/o ACK dropped. */
	{ SYN_SENT, RECV, SYN | ACK, TULPEN_FSM_ACK_BAD, SYN_SENT, RST, 0 },
	{ SYN_SENT, RECV, ACK, TULPEN_FSM_ACK_BAD, SYN_SENT, RST, 0 },
	{ SYN_SENT, RECV, RST | ACK, TULPEN_FSM_ACK_BAD, SYN_SENT, 0, 0 },
	{ SYN_SENT, RECV, RST, 0, SYN_SENT, 0, 0 },
	{ SYN_SENT, RECV, ACK, 0, SYN_SENT, 0, 0 },
	{ SYN_SENT, RECV, FIN, 0, SYN_SENT, 0, 0 },
	/* SYN-RECEIVED: a bad ACK is reset. */
	{ SYN_RCVD, RECV, ACK, TULPEN_FSM_ACK_BAD, SYN_RCVD, RST, 0 },
	/* Synchronized states: out of window -> ACK; RST there ignored. */
	{ ESTAB, RECV, ACK, TULPEN_FSM_SEQ_BAD, ESTAB, ACK, 0 },
	{ ESTAB, RECV, RST, TULPEN_FSM_SEQ_BAD, ESTAB, 0, 0 },
	{ FIN_WAIT2, RECV, RST | ACK, TULPEN_FSM_SEQ_BAD, FIN_WAIT2, 0, 0 },
	/* ... a SYN gets a challenge ACK (RFC 5961) ... */
	{ ESTAB, RECV, SYN, 0, ESTAB, ACK, 0 },
	{ CLOSE_WAIT, RECV, SYN | ACK, 0, CLOSE_WAIT, ACK, 0 },
	{ TIME_WAIT, RECV, SYN, 0, TIME_WAIT, ACK, 0 },
	/* ... a segment without ACK is dropped ... */
	{ ESTAB, RECV, PSH, TULPEN_FSM_DATA, ESTAB, 0, 0 },
	{ ESTAB, RECV, FIN, 0, ESTAB, 0, 0 },
	/* ... an ACK of data never sent is answered with an ACK. */
	{ ESTAB, RECV, ACK, TULPEN_FSM_ACK_BAD, ESTAB, ACK, 0 },
	/* Data after the peer's FIN is ignored. */
	{ CLOSE_WAIT, RECV, ACK, TULPEN_FSM_DATA, CLOSE_WAIT, 0, 0 },
	{ LAST_ACK, RECV, ACK, TULPEN_FSM_DATA, LAST_ACK, 0, 0 },
	/* User calls in the wrong state. */
	{ CLOSED, TULPEN_FSM_EV_CLOSE, 0, 0, CLOSED, 0, 0 },
	{ CLOSED, TULPEN_FSM_EV_SEND, 0, 0, CLOSED, 0, 0 },
	{ CLOSED, TULPEN_FSM_EV_ABORT, 0, 0, CLOSED, 0, 0 },
	{ ESTAB, TULPEN_FSM_EV_ACTIVE_OPEN, 0, 0, ESTAB, 0, 0 },
	{ LISTEN, TULPEN_FSM_EV_PASSIVE_OPEN, 0, 0, LISTEN, 0, 0 },
	{ FIN_WAIT1, TULPEN_FSM_EV_SEND, 0, 0, FIN_WAIT1, 0, 0 },
	{ FIN_WAIT2, TULPEN_FSM_EV_CLOSE, 0, 0, FIN_WAIT2, 0, 0 },
	{ TIME_WAIT, TULPEN_FSM_EV_CLOSE, 0, 0, TIME_WAIT, 0, 0 },
	/* Timers that do not run in that state. */
	{ ESTAB, TULPEN_FSM_EV_TIMEOUT_2MSL, 0, 0, ESTAB, 0, 0 },
	{ CLOSED, TULPEN_FSM_EV_TIMEOUT_USER, 0, 0, CLOSED, 0, 0 },
	{ ESTAB, TULPEN_FSM_EV_TIMEOUT_FIN_WAIT2, 0, 0, ESTAB, 0, 0 },
	/* Segments an endpoint should not send. */
	{ CLOSED, SENT, ACK, 0, CLOSED, 0, 0 },
	{ ESTAB, SENT, SYN, 0, ESTAB, 0, 0 },
	{ SYN_SENT, SENT, FIN, 0, SYN_SENT, 0, 0 },
	{ TIME_WAIT, SENT, ACK, TULPEN_FSM_DATA, TIME_WAIT, 0, 0 },
};

static void test_invalid(void **unused)
{
	size_t i;

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		check(&invalid[i]);
}

/* Resets in each state (RFC 9293 3.10.7.4, second check). */
static const struct expect resets[] = {
	{ SYN_SENT, RECV, RST | ACK, 0, CLOSED, 0, 1 }, /* refused */
	{ SYN_RCVD, RECV, RST, TULPEN_FSM_PASSIVE, LISTEN, 0, 1 },
	{ SYN_RCVD, RECV, RST, 0, CLOSED, 0, 1 },
	{ ESTAB, RECV, RST, 0, CLOSED, 0, 1 },
	{ ESTAB, RECV, RST | ACK, 0, CLOSED, 0, 1 },
	{ FIN_WAIT1, RECV, RST, 0, CLOSED, 0, 1 },
	{ FIN_WAIT2, RECV, RST, 0, CLOSED, 0, 1 },
	{ CLOSE_WAIT, RECV, RST, 0, CLOSED, 0, 1 },
	{ CLOSING, RECV, RST, 0, CLOSED, 0, 1 },
	{ LAST_ACK, RECV, RST, 0, CLOSED, 0, 1 },
	{ TIME_WAIT, RECV, RST, 0, CLOSED, 0, 1 },
	/* ABORT sends a RST only where the peer has state to reset. */
	{ LISTEN, TULPEN_FSM_EV_ABORT, 0, 0, CLOSED, 0, 1 },
	{ SYN_SENT, TULPEN_FSM_EV_ABORT, 0, 0, CLOSED, 0, 1 },
	{ SYN_RCVD, TULPEN_FSM_EV_ABORT, 0, 0, CLOSED, RST, 1 },
	{ ESTAB, TULPEN_FSM_EV_ABORT, 0, 0, CLOSED, RST, 1 },
	{ FIN_WAIT1, TULPEN_FSM_EV_ABORT, 0, 0, CLOSED, RST, 1 },
	{ FIN_WAIT2, TULPEN_FSM_EV_ABORT, 0, 0, CLOSED, RST, 1 },
	{ CLOSE_WAIT, TULPEN_FSM_EV_ABORT, 0, 0, CLOSED, RST, 1 },
	{ CLOSING, TULPEN_FSM_EV_ABORT, 0, 0, CLOSED, 0, 1 },
	{ LAST_ACK, TULPEN_FSM_EV_ABORT, 0, 0, CLOSED, 0, 1 },
	{ TIME_WAIT, TULPEN_FSM_EV_ABORT, 0, 0, CLOSED, 0, 1 },
	/* Seen on the wire: a RST sent ends the sender's connection ... */
	{ ESTAB, SENT, RST | ACK, 0, CLOSED, 0, 1 },
	{ CLOSE_WAIT, SENT, RST, 0, CLOSED, 0, 1 },
	{ TIME_WAIT, SENT, RST, 0, CLOSED, 0, 1 },
	{ SYN_RCVD, SENT, RST, TULPEN_FSM_PASSIVE, LISTEN, 0, 1 },
	/* ... except as the answer of an endpoint that has none. */
	{ CLOSED, SENT, RST | ACK, 0, CLOSED, 0, 1 },
	{ LISTEN, SENT, RST, 0, LISTEN, 0, 1 },
	{ SYN_SENT, SENT, RST, 0, SYN_SENT, 0, 1 },
};

static void test_resets(void **unused)
{
	size_t i;

	for (i = 0; i < sizeof(resets) / sizeof(resets[0]); i++)
		check(&resets[i]);
}

/*
 * Two endpoints exchanging segments, as a capture shows them: each segment
 * is a SENT event for its sender and then a RECV event for its receiver.
 */
struct pair {
	int st[2];
	unsigned int cond[2]; /* per-endpoint constant conditions */
};

static void xmit(struct pair *p, int from, unsigned int flags,
		 unsigned int rcv_cond, unsigned int expect_reply)
{
	struct tulpen_fsm_result r;
	int to = !from;
	int ret;

	ret = tulpen_fsm_sent(p->st[from], flags, p->cond[from], &r);
	assert_true(ret >= 0);
	assert_int_equal(r.valid, 1);
	p->st[from] = ret;
	ret = tulpen_fsm_recv(p->st[to], flags, p->cond[to] | rcv_cond, &r);
	assert_true(ret >= 0);
	assert_int_equal(r.valid, 1);
	assert_int_equal(r.send, expect_reply);
	p->st[to] = ret;
}

#define C 0  /* client */
#define SV 1 /* server */

static void expect_pair(const struct pair *p, int c, int s)
{
	assert_string_equal(tulpen_state_name(p->st[C], TULPEN_STATE_RFC),
			    tulpen_state_name(c, TULPEN_STATE_RFC));
	assert_string_equal(tulpen_state_name(p->st[SV], TULPEN_STATE_RFC),
			    tulpen_state_name(s, TULPEN_STATE_RFC));
}

static void handshake(struct pair *p)
{
	p->st[C] = CLOSED;
	p->st[SV] = LISTEN;
	p->cond[C] = 0;
	p->cond[SV] = TULPEN_FSM_PASSIVE;
	xmit(p, C, SYN, 0, SYN | ACK);
	expect_pair(p, SYN_SENT, SYN_RCVD);
	xmit(p, SV, SYN | ACK, 0, ACK);
	expect_pair(p, ESTAB, SYN_RCVD);
	xmit(p, C, ACK, 0, 0);
	expect_pair(p, ESTAB, ESTAB);
}

static void test_walk_client_closes(void **unused)
{
	struct pair p;

	handshake(&p);
	xmit(&p, C, ACK | PSH, TULPEN_FSM_DATA, ACK);
	xmit(&p, SV, ACK, 0, 0);
	xmit(&p, C, FIN | ACK, 0, ACK);
	expect_pair(&p, FIN_WAIT1, CLOSE_WAIT);
	xmit(&p, SV, ACK, TULPEN_FSM_ACK_FIN, 0);
	expect_pair(&p, FIN_WAIT2, CLOSE_WAIT);
	/* half-close: the server still sends */
	xmit(&p, SV, ACK | PSH, TULPEN_FSM_DATA, ACK);
	xmit(&p, C, ACK, 0, 0);
	expect_pair(&p, FIN_WAIT2, CLOSE_WAIT);
	xmit(&p, SV, FIN | ACK, 0, ACK);
	expect_pair(&p, TIME_WAIT, LAST_ACK);
	xmit(&p, C, ACK, TULPEN_FSM_ACK_FIN, 0);
	expect_pair(&p, TIME_WAIT, CLOSED);
	{
		struct tulpen_fsm_event ev = {
			.kind = TULPEN_FSM_EV_TIMEOUT_2MSL
		};

		assert_int_equal(tulpen_fsm_step(TIME_WAIT, &ev, NULL), CLOSED);
	}
}

/* Three-way close: the server's ACK and FIN travel in one segment. */
static void test_walk_three_way_close(void **unused)
{
	struct pair p;

	handshake(&p);
	xmit(&p, C, FIN | ACK, 0, ACK);
	expect_pair(&p, FIN_WAIT1, CLOSE_WAIT);
	/* The server sends FIN,ACK (acking the client's FIN) at once. */
	xmit(&p, SV, FIN | ACK, TULPEN_FSM_ACK_FIN, ACK);
	expect_pair(&p, TIME_WAIT, LAST_ACK);
	xmit(&p, C, ACK, TULPEN_FSM_ACK_FIN, 0);
	expect_pair(&p, TIME_WAIT, CLOSED);
}

static void test_walk_server_closes(void **unused)
{
	struct pair p;

	handshake(&p);
	xmit(&p, SV, FIN | ACK, 0, ACK);
	expect_pair(&p, CLOSE_WAIT, FIN_WAIT1);
	xmit(&p, C, ACK, TULPEN_FSM_ACK_FIN, 0);
	expect_pair(&p, CLOSE_WAIT, FIN_WAIT2);
	xmit(&p, C, FIN | ACK, 0, ACK);
	expect_pair(&p, LAST_ACK, TIME_WAIT);
	xmit(&p, SV, ACK, TULPEN_FSM_ACK_FIN, 0);
	expect_pair(&p, CLOSED, TIME_WAIT);
}

/* Simultaneous close: both FINs cross, both go through CLOSING. */
static void test_walk_simultaneous_close(void **unused)
{
	struct pair p;
	struct tulpen_fsm_result r;

	handshake(&p);
	/* Both send FIN before seeing the other's. */
	assert_int_equal(tulpen_fsm_sent(p.st[C], FIN | ACK, 0, &r), FIN_WAIT1);
	p.st[C] = r.state;
	assert_int_equal(tulpen_fsm_sent(p.st[SV], FIN | ACK, 0, &r),
			 FIN_WAIT1);
	p.st[SV] = r.state;
	/* Each receives the other's FIN: it does not ack their FIN. */
	assert_int_equal(tulpen_fsm_recv(p.st[C], FIN | ACK, 0, &r), CLOSING);
	assert_int_equal(r.send, ACK);
	p.st[C] = r.state;
	assert_int_equal(tulpen_fsm_recv(p.st[SV], FIN | ACK, 0, &r), CLOSING);
	p.st[SV] = r.state;
	/* The ACKs of the FINs arrive. */
	xmit(&p, C, ACK, TULPEN_FSM_ACK_FIN, 0);
	xmit(&p, SV, ACK, TULPEN_FSM_ACK_FIN, 0);
	expect_pair(&p, TIME_WAIT, TIME_WAIT);
}

/* Simultaneous open: both send SYN, both pass SYN-RECEIVED. */
static void test_walk_simultaneous_open(void **unused)
{
	struct tulpen_fsm_result r;
	int a, b;

	a = tulpen_fsm_step(
		CLOSED,
		&(struct tulpen_fsm_event){ .kind = TULPEN_FSM_EV_ACTIVE_OPEN },
		&r);
	assert_int_equal(a, SYN_SENT);
	assert_int_equal(r.send, SYN);
	b = tulpen_fsm_sent(CLOSED, SYN, 0, NULL);
	assert_int_equal(b, SYN_SENT);
	/* The SYNs cross. */
	a = tulpen_fsm_recv(a, SYN, 0, &r);
	assert_int_equal(a, SYN_RCVD);
	assert_int_equal(r.send, SYN | ACK);
	b = tulpen_fsm_recv(b, SYN, 0, &r);
	assert_int_equal(b, SYN_RCVD);
	/* Each sends SYN,ACK: no change for the sender. */
	assert_int_equal(tulpen_fsm_sent(a, SYN | ACK, 0, &r), SYN_RCVD);
	assert_int_equal(r.valid, 1);
	/* Each receives the other's SYN,ACK and is established. */
	a = tulpen_fsm_recv(a, SYN | ACK, TULPEN_FSM_SEQ_BAD, &r);
	assert_int_equal(a, ESTAB);
	assert_int_equal(r.valid, 1);
	b = tulpen_fsm_recv(b, SYN | ACK, 0, &r);
	assert_int_equal(b, ESTAB);
	/*
	 * A passive opener is never in a simultaneous open: a new SYN (with
	 * or without ACK) returns it to LISTEN (RFC 9293 3.10.7.4, fourth
	 * check), flagged as not a normal event.
	 */
	assert_int_equal(
		tulpen_fsm_recv(SYN_RCVD, SYN | ACK, TULPEN_FSM_PASSIVE, &r),
		LISTEN);
	assert_int_equal(r.valid, 0);
}

/* Connection refused and SYN retransmission, as seen on the wire. */
static void test_walk_refused_and_retransmit(void **unused)
{
	struct tulpen_fsm_result r;
	int c;

	c = tulpen_fsm_sent(CLOSED, SYN, 0, &r);
	c = tulpen_fsm_sent(c, SYN, 0, &r); /* retransmission */
	assert_int_equal(c, SYN_SENT);
	assert_int_equal(r.valid, 1);
	assert_int_equal(r.changed, 0);
	/* Nobody listens: the closed port answers RST,ACK. */
	assert_int_equal(tulpen_fsm_recv(CLOSED, SYN, 0, &r), CLOSED);
	assert_int_equal(r.send, RST | ACK);
	assert_int_equal(tulpen_fsm_sent(CLOSED, r.send, 0, &r), CLOSED);
	assert_int_equal(r.valid, 1);
	c = tulpen_fsm_recv(c, RST | ACK, 0, &r);
	assert_int_equal(c, CLOSED);
	assert_int_equal(r.changed, 1);
	/* A SYN retransmitted to a server in SYN-RECEIVED. */
	assert_int_equal(
		tulpen_fsm_recv(SYN_RCVD, SYN,
				TULPEN_FSM_SEQ_BAD | TULPEN_FSM_PASSIVE, &r),
		SYN_RCVD);
	assert_int_equal(r.send, SYN | ACK);
	assert_int_equal(r.valid, 1);
	/*
	 * The peer's FIN retransmitted, now acking ours: Linux takes the ACK
	 * although the segment is old (its end is at RCV.NXT).
	 */
	assert_int_equal(
		tulpen_fsm_recv(LAST_ACK, FIN | ACK,
				TULPEN_FSM_SEQ_BAD | TULPEN_FSM_ACK_FIN, &r),
		CLOSED);
	assert_int_equal(r.rule->linux_only, 1);
	assert_int_equal(
		tulpen_fsm_recv(CLOSING, FIN | ACK,
				TULPEN_FSM_SEQ_BAD | TULPEN_FSM_ACK_FIN, &r),
		TIME_WAIT);
	/* Without the ACK of our FIN it is just acked again. */
	assert_int_equal(
		tulpen_fsm_recv(LAST_ACK, FIN | ACK, TULPEN_FSM_SEQ_BAD, &r),
		LAST_ACK);
	assert_int_equal(r.send, ACK);
	assert_int_equal(r.valid, 1);
	/* FIN retransmitted into TIME-WAIT: ACK it again. */
	assert_int_equal(
		tulpen_fsm_recv(TIME_WAIT, FIN | ACK, TULPEN_FSM_SEQ_BAD, &r),
		TIME_WAIT);
	assert_int_equal(r.send, ACK);
	assert_int_equal(r.valid, 1);
}

/* Timeouts. */
static void test_timeouts(void **unused)
{
	static const struct expect t[] = {
		{ SYN_SENT, TULPEN_FSM_EV_TIMEOUT_USER, 0, 0, CLOSED, 0, 1 },
		{ ESTAB, TULPEN_FSM_EV_TIMEOUT_USER, 0, 0, CLOSED, 0, 1 },
		{ LAST_ACK, TULPEN_FSM_EV_TIMEOUT_USER, 0, 0, CLOSED, 0, 1 },
		{ LISTEN, TULPEN_FSM_EV_TIMEOUT_USER, 0, 0, LISTEN, 0, 0 },
		{ TIME_WAIT, TULPEN_FSM_EV_TIMEOUT_2MSL, 0, 0, CLOSED, 0, 1 },
		{ FIN_WAIT2, TULPEN_FSM_EV_TIMEOUT_FIN_WAIT2, 0, 0, CLOSED, 0,
		  1 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check(&t[i]);
}

/*
 * Every (state, event kind, SYN/ACK/FIN/RST combination, condition
 * combination) has an answer, which is an RFC state; and every row of the
 * table decides at least one of them (no dead rows).
 */
static void test_exhaustive(void **unused)
{
	const struct tulpen_fsm_transition *table;
	size_t n, si, i;
	unsigned char used[512] = { 0 };
	int kind;
	unsigned int flags, cond;

	table = tulpen_fsm_table(&n);
	assert_true(n > 0 && n <= sizeof(used));
	for (si = 0; si < NSTATES; si++) {
		for (kind = 0; kind < TULPEN_FSM_EV_MAX; kind++) {
			for (flags = 0; flags < 0x20; flags++) {
				for (cond = 0; cond < 0x40; cond++) {
					struct tulpen_fsm_event ev = {
						.kind = kind,
						.flags = flags,
						.cond = cond,
					};
					struct tulpen_fsm_result r;
					int ret;

					ret = tulpen_fsm_step(rfc_states[si],
							      &ev, &r);
					assert_true(ret >= 0);
					assert_true(
						tulpen_fsm_is_rfc_state(ret));
					assert_ptr_not_equal(r.rule, NULL);
					used[r.rule - table] = 1;
					assert_int_equal(r.state, ret);
				}
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (!used[i]) {
			print_error("row %zu \"%s\" never decides\n", i,
				    table[i].label);
			fail();
		}
	}
}

static void test_table_sane(void **unused)
{
	const struct tulpen_fsm_transition *t;
	size_t n, i;

	t = tulpen_fsm_table(&n);
	for (i = 0; i < n; i++) {
		assert_true(t[i].event < TULPEN_FSM_EV_MAX);
		assert_true(t[i].from != 0);
		assert_true(t[i].to == TULPEN_FSM_STAY ||
			    tulpen_fsm_is_rfc_state(t[i].to));
		assert_int_equal(t[i].flags & ~t[i].flags_mask, 0);
		assert_int_equal(t[i].cond & ~t[i].cond_mask, 0);
		assert_non_null(t[i].label);
		assert_non_null(t[i].why);
		assert_true(strlen(t[i].label) > 0 && strlen(t[i].why) > 0);
		/* Only segment events test flags. */
		if (t[i].event != TULPEN_FSM_EV_RECV &&
		    t[i].event != TULPEN_FSM_EV_SENT)
			assert_int_equal(t[i].flags_mask, 0);
		/* Diagram arrows change state and are RFC behaviour. */
		if (t[i].diagram) {
			assert_int_not_equal(t[i].to, TULPEN_FSM_STAY);
			assert_int_equal(t[i].valid, 1);
			assert_int_equal(t[i].linux_only, 0);
		}
	}
}

static void test_bad_input(void **unused)
{
	struct tulpen_fsm_event ev = { .kind = TULPEN_FSM_EV_RECV,
				       .flags = ACK };
	struct tulpen_fsm_result r;

	assert_int_equal(tulpen_fsm_step(TULPEN_TCP_UNKNOWN, &ev, &r), -EINVAL);
	assert_int_equal(tulpen_fsm_step(TULPEN_TCP_MAX_STATES, &ev, &r),
			 -EINVAL);
	assert_int_equal(tulpen_fsm_step(-1, &ev, &r), -EINVAL);
	assert_int_equal(tulpen_fsm_step(ESTAB, NULL, &r), -EINVAL);
	ev.kind = TULPEN_FSM_EV_MAX;
	assert_int_equal(tulpen_fsm_step(ESTAB, &ev, &r), -EINVAL);
	ev.kind = (enum tulpen_fsm_event_kind) - 1;
	assert_int_equal(tulpen_fsm_step(ESTAB, &ev, &r), -EINVAL);
	/* Request sockets behave as SYN-RECEIVED, BOUND-INACTIVE as CLOSED. */
	assert_int_equal(tulpen_fsm_recv(TULPEN_TCP_NEW_SYN_RECV, ACK, 0, &r),
			 ESTAB);
	assert_int_equal(tulpen_fsm_recv(TULPEN_TCP_BOUND_INACTIVE, ACK, 0, &r),
			 CLOSED);
	assert_int_equal(r.send, RST);
	/* Flags other than SYN/ACK/FIN/RST do not matter. */
	assert_int_equal(
		tulpen_fsm_recv(ESTAB,
				FIN | ACK | PSH | TULPEN_TH_ECE | TULPEN_TH_CWR,
				0, &r),
		CLOSE_WAIT);
}

static void test_names(void **unused)
{
	char buf[64];

	assert_int_equal(tulpen_fsm_flags_str(SYN | ACK, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "SYN,ACK");
	tulpen_fsm_flags_str(FIN | ACK | PSH | RST, buf, sizeof(buf));
	assert_string_equal(buf, "FIN,RST,PSH,ACK");
	tulpen_fsm_flags_str(0, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	/* Truncation keeps whole names and the NUL. */
	tulpen_fsm_flags_str(SYN | ACK, buf, 6);
	assert_string_equal(buf, "SYN");
	assert_int_equal(tulpen_fsm_flags_str(SYN, buf, 0), 0);
	assert_string_equal(tulpen_fsm_event_name(TULPEN_FSM_EV_RECV), "RECV");
	assert_string_equal(tulpen_fsm_event_name(TULPEN_FSM_EV_ABORT),
			    "ABORT");
	assert_string_equal(tulpen_fsm_event_name(99), "UNKNOWN");
	assert_true(tulpen_fsm_is_rfc_state(TIME_WAIT));
	assert_false(tulpen_fsm_is_rfc_state(TULPEN_TCP_NEW_SYN_RECV));
	assert_false(tulpen_fsm_is_rfc_state(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figure5_arrows),
		cmocka_unit_test(test_figure5_rows_match),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_resets),
		cmocka_unit_test(test_walk_client_closes),
		cmocka_unit_test(test_walk_server_closes),
		cmocka_unit_test(test_walk_three_way_close),
		cmocka_unit_test(test_walk_simultaneous_close),
		cmocka_unit_test(test_walk_simultaneous_open),
		cmocka_unit_test(test_walk_refused_and_retransmit),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_table_sane),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
