// SPDX-License-Identifier: MIT
/*
 * Unit tests: the connection table on hand-made segment sequences.
 *
 * Zeek's conn_state and history expectations follow Zeek's documentation
 * (base/protocols/conn/main.zeek: conn_state codes; history letters, upper
 * case for the originator, 'a'/'d' once per direction, 'f'/'h'/'r'/'s'
 * again only with a new sequence number, '^' when roles were guessed).
 * The per-endpoint states follow RFC 9293 through tulpen's state machine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "tulpen/pcap_flows.h"
#include "tulpen/tcp_fsm.h"

#define S TULPEN_TH_SYN
#define A TULPEN_TH_ACK
#define F TULPEN_TH_FIN
#define R TULPEN_TH_RST
#define P TULPEN_TH_PSH
#define MS 1000000LL

#define MAXC 64

struct got {
	int n;
	struct tulpen_flow c[MAXC];
	char hist[MAXC][512]; /* c[i].history points here */
	uint64_t last_id;
	int ids_in_order;
};

static int collect(void *priv, const struct tulpen_flow *c)
{
	struct got *g = priv;

	if (g->n < MAXC) {
		g->c[g->n] = *c;
		snprintf(g->hist[g->n], sizeof(g->hist[g->n]), "%s",
			 c->history);
		g->c[g->n].history = g->hist[g->n];
	}
	g->n++;
	return 0;
}

/* A two-endpoint conversation: client 10.0.0.1:40000, server :80. */
struct conv {
	struct tulpen_flows *f;
	struct got g;
	uint32_t cseq, sseq; /* next sequence numbers */
	uint64_t num;
	int64_t t;
	uint16_t cport;
};

static void conv_init(struct conv *v, int64_t idle_ns)
{
	struct tulpen_flows_opts o = { .idle_timeout_ns = idle_ns };

	memset(v, 0, sizeof(*v));
	v->cseq = 1000;
	v->sseq = 5000;
	v->cport = 40000;
	assert_int_equal(tulpen_flows_new(&o, collect, &v->g, &v->f), 0);
}

/* One segment; from_client picks the direction. Returns the packet. */
static void seg_at(struct conv *v, int from_client, unsigned int flags,
		   uint32_t seq, uint32_t ack, uint32_t len)
{
	struct tulpen_pkt p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.ts_ns = v->t;
	p.num = ++v->num;
	p.flags = (uint8_t)flags;
	p.seq = seq;
	p.ack = ack;
	p.payload_len = len;
	p.ip_len = 40 + len;
	p.window = 1000;
	inet_pton(AF_INET, "10.0.0.1", p.src.addr.raw);
	inet_pton(AF_INET, "10.0.0.2", p.dst.addr.raw);
	p.src.port = v->cport;
	p.dst.port = 80;
	if (!from_client) {
		struct tulpen_endpoint tmp = p.src;

		p.src = p.dst;
		p.dst = tmp;
	}
	assert_int_equal(tulpen_flows_segment(v->f, &p, 0), 0);
	v->t += MS;
}

/* A segment continuing each side's sequence space. */
static void seg(struct conv *v, int from_client, unsigned int flags,
		uint32_t len)
{
	uint32_t *mine = from_client ? &v->cseq : &v->sseq;
	uint32_t *theirs = from_client ? &v->sseq : &v->cseq;

	seg_at(v, from_client, flags, *mine, (flags & A) ? *theirs : 0, len);
	*mine += len + !!(flags & S) + !!(flags & F);
}

/* Hand out everything held, lingering connections included. */
static void settle(struct conv *v)
{
	assert_int_equal(tulpen_flows_finish(v->f), 0);
}

static void conv_end(struct conv *v)
{
	assert_int_equal(tulpen_flows_finish(v->f), 0);
	tulpen_flows_free(v->f);
	v->f = NULL;
}

static void states_are(const struct tulpen_conn_side *s, ...)
{
	va_list ap;
	int i = 0, st;

	va_start(ap, s);
	while ((st = va_arg(ap, int)) >= 0) {
		assert_true(i < s->ntrans);
		if (s->trans[i].state != st)
			fail_msg("transition %d: state %d, want %d", i,
				 s->trans[i].state, st);
		i++;
	}
	va_end(ap);
	assert_int_equal(i, s->ntrans);
}

#define END (-1)

static void handshake(struct conv *v)
{
	seg(v, 1, S, 0);
	seg(v, 0, S | A, 0);
	seg(v, 1, A, 0);
}

static void normal_close(void **unused)
{
	struct conv v;
	struct tulpen_flow *c;

	conv_init(&v, 0);
	handshake(&v);
	seg(&v, 1, P | A, 10);
	seg(&v, 0, A, 0);
	seg(&v, 0, P | A, 20);
	seg(&v, 1, A, 0);
	seg(&v, 1, F | A, 0);
	seg(&v, 0, A, 0);
	seg(&v, 0, F | A, 0);
	assert_int_equal(v.g.n, 0);
	seg(&v, 1, A, 0); /* the last ACK finishes it; it lingers */
	assert_int_equal(v.g.n, 0);
	settle(&v);
	assert_int_equal(v.g.n, 1);
	c = &v.g.c[0];
	assert_string_equal(c->history, "ShADadFf");
	assert_string_equal(c->conn_state, "SF");
	assert_int_equal(c->end, TULPEN_END_CLOSED);
	assert_int_equal(c->first_closer, TULPEN_ORIG);
	assert_true(c->opener_known);
	assert_false(c->midstream);
	assert_int_equal(c->rtt_ns, 2 * MS);
	assert_int_equal(c->syn_rtt_ns, 1 * MS);
	assert_int_equal(c->side[0].pkts, 6);
	assert_int_equal(c->side[1].pkts, 5);
	assert_int_equal(c->side[0].bytes, 10);
	assert_int_equal(c->side[1].bytes, 20);
	states_are(&c->side[0], TULPEN_TCP_CLOSE, TULPEN_TCP_SYN_SENT,
		   TULPEN_TCP_ESTABLISHED, TULPEN_TCP_FIN_WAIT1,
		   TULPEN_TCP_FIN_WAIT2, TULPEN_TCP_TIME_WAIT, END);
	states_are(&c->side[1], TULPEN_TCP_LISTEN, TULPEN_TCP_SYN_RECV,
		   TULPEN_TCP_ESTABLISHED, TULPEN_TCP_CLOSE_WAIT,
		   TULPEN_TCP_LAST_ACK, TULPEN_TCP_CLOSE, END);
	/* The client saw the SYN-ACK at packet 2, the server its ACK at 3. */
	assert_int_equal(c->side[0].trans[2].pkt, 2);
	assert_int_equal(c->side[1].trans[2].pkt, 3);
	assert_true(c->side[1].trans[0].inferred); /* assumed listener */
	conv_end(&v);
}

static void syn_only(void **unused)
{
	struct conv v;

	conv_init(&v, 0);
	seg_at(&v, 1, S, 77, 0, 0);
	seg_at(&v, 1, S, 77, 0, 0);
	seg_at(&v, 1, S, 77, 0, 0);
	conv_end(&v);
	assert_int_equal(v.g.n, 1);
	assert_string_equal(v.g.c[0].history, "S");
	assert_string_equal(v.g.c[0].conn_state, "S0");
	assert_int_equal(v.g.c[0].side[0].syn_rexmits, 2);
	assert_int_equal(v.g.c[0].end, TULPEN_END_EOF);
	assert_int_equal(v.g.c[0].side[0].state, TULPEN_TCP_SYN_SENT);
	/* The SYN never shows up at the server: still LISTEN. */
	states_are(&v.g.c[0].side[1], TULPEN_TCP_LISTEN, END);
}

static void rejected(void **unused)
{
	struct conv v;

	conv_init(&v, 0);
	seg(&v, 1, S, 0);
	seg_at(&v, 0, R | A, 0, v.cseq, 0);
	settle(&v);
	assert_int_equal(v.g.n, 1);
	assert_string_equal(v.g.c[0].history, "Sr");
	assert_string_equal(v.g.c[0].conn_state, "REJ");
	assert_int_equal(v.g.c[0].first_reset, TULPEN_RESP);
	states_are(&v.g.c[0].side[0], TULPEN_TCP_CLOSE, TULPEN_TCP_SYN_SENT,
		   TULPEN_TCP_CLOSE, END);
	/* Nobody listened: the server was CLOSED throughout. */
	states_are(&v.g.c[0].side[1], TULPEN_TCP_CLOSE, END);
	conv_end(&v);
}

static void zeek_codes(void **unused)
{
	static const struct {
		const char *name, *state, *history;
	} want[] = {
		{ "rstos0", "RSTOS0", "SR" }, { "sh", "SH", "SF" },
		{ "rsto", "RSTO", "ShAR" },   { "rstr", "RSTR", "ShAr" },
		{ "s1", "S1", "ShA" },	      { "s2", "S2", "ShAF" },
		{ "s3", "S3", "ShAf" },	      { "oth", "OTH", "Dd" },
		{ "shr", "SHR", "^hf" },      { "rstrh", "RSTRH", "^hr" },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct conv v;
		const char *n = want[i].name;

		conv_init(&v, 0);
		if (!strcmp(n, "rstos0")) {
			seg(&v, 1, S, 0);
			seg(&v, 1, R, 0);
		} else if (!strcmp(n, "sh")) {
			seg(&v, 1, S, 0);
			seg(&v, 1, F, 0);
		} else if (!strcmp(n, "shr") || !strcmp(n, "rstrh")) {
			v.cport = 80; /* the responder's SYN-ACK comes first */
			seg_at(&v, 0, S | A, 5000, 1001, 0);
			seg_at(&v, 0, !strcmp(n, "shr") ? F | A : R, 5001, 1001,
			       0);
		} else if (!strcmp(n, "oth")) {
			v.cport = 40001;
			seg(&v, 1, P | A, 5);
			seg(&v, 0, P | A, 5);
		} else {
			handshake(&v);
			if (!strcmp(n, "rsto"))
				seg(&v, 1, R, 0);
			else if (!strcmp(n, "rstr"))
				seg(&v, 0, R, 0);
			else if (!strcmp(n, "s2"))
				seg(&v, 1, F | A, 0);
			else if (!strcmp(n, "s3"))
				seg(&v, 0, F | A, 0);
		}
		conv_end(&v);
		assert_int_equal(v.g.n, 1);
		if (strcmp(v.g.c[0].conn_state, want[i].state) ||
		    strcmp(v.g.c[0].history, want[i].history))
			fail_msg("%s: conn_state %s history %s, want %s %s", n,
				 v.g.c[0].conn_state, v.g.c[0].history,
				 want[i].state, want[i].history);
	}
}

static void midstream(void **unused)
{
	struct conv v;
	struct tulpen_flow *c;

	conv_init(&v, 0);
	seg(&v, 1, P | A, 100);
	seg(&v, 0, A, 0);
	seg(&v, 0, F | A, 0);
	seg(&v, 1, A, 0);
	seg(&v, 1, F | A, 0);
	seg(&v, 0, A, 0);
	settle(&v);
	assert_int_equal(v.g.n, 1);
	c = &v.g.c[0];
	assert_true(c->midstream);
	assert_false(c->opener_known);
	assert_true(c->side[0].trans[0].inferred);
	states_are(&c->side[0], TULPEN_TCP_ESTABLISHED, TULPEN_TCP_CLOSE_WAIT,
		   TULPEN_TCP_LAST_ACK, TULPEN_TCP_CLOSE, END);
	states_are(&c->side[1], TULPEN_TCP_ESTABLISHED, TULPEN_TCP_FIN_WAIT1,
		   TULPEN_TCP_FIN_WAIT2, TULPEN_TCP_TIME_WAIT, END);
	assert_int_equal(c->first_closer, TULPEN_RESP);
	assert_string_equal(c->conn_state, "SF");
	conv_end(&v);
}

/* FINs crossing on the wire: both ends go through CLOSING. */
static void simultaneous_close(void **unused)
{
	struct conv v;
	uint32_t cfin, sfin;
	struct tulpen_flow *c;

	conv_init(&v, 0);
	handshake(&v);
	cfin = v.cseq;
	sfin = v.sseq;
	/* Neither FIN acknowledges the other. */
	seg_at(&v, 1, F | A, cfin, sfin, 0);
	seg_at(&v, 0, F | A, sfin, cfin, 0);
	seg_at(&v, 1, A, cfin + 1, sfin + 1, 0);
	seg_at(&v, 0, A, sfin + 1, cfin + 1, 0);
	settle(&v);
	assert_int_equal(v.g.n, 1);
	c = &v.g.c[0];
	assert_true(c->simultaneous_close);
	states_are(&c->side[0], TULPEN_TCP_CLOSE, TULPEN_TCP_SYN_SENT,
		   TULPEN_TCP_ESTABLISHED, TULPEN_TCP_FIN_WAIT1,
		   TULPEN_TCP_CLOSING, TULPEN_TCP_TIME_WAIT, END);
	states_are(&c->side[1], TULPEN_TCP_LISTEN, TULPEN_TCP_SYN_RECV,
		   TULPEN_TCP_ESTABLISHED, TULPEN_TCP_FIN_WAIT1,
		   TULPEN_TCP_CLOSING, TULPEN_TCP_TIME_WAIT, END);
	conv_end(&v);
}

static void simultaneous_open(void **unused)
{
	struct conv v;
	struct tulpen_flow *c;

	conv_init(&v, 0);
	seg_at(&v, 1, S, 1000, 0, 0);
	seg_at(&v, 0, S, 5000, 0, 0);
	seg_at(&v, 1, S | A, 1000, 5001, 0);
	seg_at(&v, 0, S | A, 5000, 1001, 0);
	conv_end(&v);
	c = &v.g.c[0];
	assert_true(c->simultaneous_open);
	assert_int_equal(c->side[0].state, TULPEN_TCP_ESTABLISHED);
	assert_int_equal(c->side[1].state, TULPEN_TCP_ESTABLISHED);
}

/* Late segments of a finished connection; then the 4-tuple reused. */
static void tombstone_and_reuse(void **unused)
{
	struct conv v;
	struct tulpen_flows_stats st;

	conv_init(&v, 0);
	handshake(&v);
	seg(&v, 1, R, 0);
	assert_int_equal(v.g.n, 0); /* finished: it lingers */
	seg(&v, 0, A, 0);	    /* late: lands in its history */
	seg(&v, 0, R, 0);
	tulpen_flows_stats(v.f, &st);
	assert_int_equal(st.late, 2);
	assert_int_equal(st.conns, 1);
	assert_int_equal(st.tombstones, 1);
	v.cseq += 100000;
	handshake(&v); /* a new SYN on the same 4-tuple */
	assert_int_equal(v.g.n, 1);
	assert_int_equal(v.g.c[0].end, TULPEN_END_CLOSED);
	assert_string_equal(v.g.c[0].history, "ShARar");
	assert_int_equal(v.g.c[0].side[1].pkts, 3);
	seg(&v, 1, R, 0);
	settle(&v);
	assert_int_equal(v.g.n, 2);
	assert_int_equal(v.g.c[1].id, 2);
	assert_string_equal(v.g.c[1].history, "ShAR");
	conv_end(&v);
}

/* A client retrying a refused connection with the same ISN: one REJ each. */
static void refused_retry_same_isn(void **unused)
{
	struct conv v;
	int i;

	conv_init(&v, 0);
	for (i = 0; i < 3; i++) {
		seg_at(&v, 1, S, 77, 0, 0);
		seg_at(&v, 0, R | A, 0, 78, 0);
		v.t += 200 * MS;
	}
	settle(&v);
	assert_int_equal(v.g.n, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(v.g.c[i].history, "Sr");
		assert_string_equal(v.g.c[i].conn_state, "REJ");
		assert_int_equal(v.g.c[i].side[0].pkts, 1);
		assert_int_equal(v.g.c[i].end, TULPEN_END_CLOSED);
	}
	conv_end(&v);
}

/*
 * A RST answering the SYN-ACK with the sequence number it acknowledges
 * (no ACK bit: a SYN scanner, or a client whose socket is gone) ends the
 * connection; a later probe on the same ports is a connection of its own.
 */
static void rst_answers_synack(void **unused)
{
	struct conv v;
	struct tulpen_flow *c;

	conv_init(&v, 0);
	seg(&v, 1, S, 0);
	seg(&v, 0, S | A, 0);
	seg_at(&v, 1, R, v.cseq, 0, 0);
	v.t += 500 * MS;
	v.cseq += 5000;
	seg(&v, 1, S, 0); /* a new probe, 0.5 s later */
	assert_int_equal(v.g.n, 1);
	c = &v.g.c[0];
	assert_int_equal(c->end, TULPEN_END_CLOSED);
	assert_string_equal(c->history, "ShR");
	assert_string_equal(c->conn_state, "RSTO");
	assert_int_equal(c->side[0].pkts, 2);
	states_are(&c->side[0], TULPEN_TCP_CLOSE, TULPEN_TCP_SYN_SENT,
		   TULPEN_TCP_ESTABLISHED, TULPEN_TCP_CLOSE, END);
	states_are(&c->side[1], TULPEN_TCP_LISTEN, TULPEN_TCP_SYN_RECV,
		   TULPEN_TCP_LISTEN, END);
	settle(&v);
	assert_int_equal(v.g.n, 2);
	assert_string_equal(v.g.c[1].history, "S");
	assert_string_equal(v.g.c[1].conn_state, "S0");
	conv_end(&v);
}

/* The peer's FIN after a RST lands in the lingering connection. */
static void fin_after_rst(void **unused)
{
	struct conv v;

	conv_init(&v, 0);
	handshake(&v);
	seg(&v, 1, P | A, 10);
	seg(&v, 1, R | A, 0);
	seg(&v, 0, F | A, 0);
	settle(&v);
	assert_int_equal(v.g.n, 1);
	assert_string_equal(v.g.c[0].history, "ShADRf");
	assert_int_equal(v.g.c[0].side[1].fins, 1);
	conv_end(&v);
}

/* Idle expiry at idle >= timeout, as Zeek's inactivity timer. */
static void idle_exactly(void **unused)
{
	struct conv v;

	conv_init(&v, 10 * 1000 * MS);
	handshake(&v);
	v.t += 10 * 1000 * MS - MS; /* the last segment was 1 ms ago */
	v.cport++;
	seg(&v, 1, S, 0); /* exactly 10 s after the handshake's ACK */
	assert_int_equal(v.g.n, 1);
	assert_int_equal(v.g.c[0].end, TULPEN_END_IDLE);
	conv_end(&v);
}

static void idle_timeout(void **unused)
{
	struct conv v;

	conv_init(&v, 10 * 1000 * MS);
	handshake(&v);
	v.t += 11 * 1000 * MS;
	v.cport++;
	seg(&v, 1, S, 0); /* another connection, 11 s later */
	assert_int_equal(v.g.n, 1);
	assert_int_equal(v.g.c[0].end, TULPEN_END_IDLE);
	assert_string_equal(v.g.c[0].conn_state, "S1");
	conv_end(&v);
	assert_int_equal(v.g.n, 2);
}

/*
 * Many connections open at once, closed in another order: each is handed
 * out exactly once (the hash table's deletion keeps the others findable)
 * and the table empties.
 */
static int count_cb(void *priv, const struct tulpen_flow *c)
{
	uint8_t *seen = priv;

	if (c->id == 0 || c->id > 30000 || seen[c->id])
		abort();
	if (strcmp(c->conn_state, "RSTO"))
		abort();
	seen[c->id] = 1;
	return 0;
}

static void many(void **unused)
{
	struct tulpen_flows_opts o = { .linger_ns = -1 };
	struct tulpen_flows_stats st;
	struct tulpen_flows *f;
	struct tulpen_pkt p;
	uint8_t *seen = calloc(30001, 1);
	uint32_t i, k, order[30000];
	int pass;

	assert_non_null(seen);
	assert_int_equal(tulpen_flows_new(&o, count_cb, seen, &f), 0);
	for (i = 0; i < 30000; i++)
		order[i] = i;
	for (i = 29999; i > 0; i--) {
		uint32_t j = (uint32_t)((i * 2654435761u) % (i + 1)), t;

		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.dst.port = 443;
	for (pass = 0; pass < 4; pass++) {
		for (k = 0; k < 30000; k++) {
			i = pass == 3 ? order[k] : k;
			p.src.addr.raw[0] = 10;
			p.src.addr.raw[1] = (uint8_t)(i >> 8);
			p.src.addr.raw[2] = (uint8_t)i;
			p.src.port = (uint16_t)(1024 + i % 7);
			p.ts_ns = (int64_t)pass * 1000;
			p.seq = i * 7 + (pass ? 1 : 0);
			p.ack = 0;
			if (pass == 0)
				p.flags = S;
			else if (pass == 1)
				p.flags = S | A;
			else
				p.flags = pass == 2 ? A : R;
			if (pass == 1) { /* from the server */
				struct tulpen_endpoint t = p.src;

				p.src = p.dst;
				p.dst = t;
				p.ack = i * 7 + 1;
			}
			assert_int_equal(tulpen_flows_segment(f, &p, 0), 0);
			if (pass == 1) {
				struct tulpen_endpoint t = p.src;

				p.src = p.dst;
				p.dst = t;
			}
		}
		tulpen_flows_stats(f, &st);
		assert_int_equal(st.conns, 30000);
		assert_int_equal(st.live, pass == 3 ? 0 : 30000);
	}
	for (i = 1; i <= 30000; i++)
		assert_int_equal(seen[i], 1);
	tulpen_flows_free(f);
	free(seen);
}

/*
 * Memory is bounded by what is open at one time: 20000 short connections
 * one after the other hold at most a couple live and the tombstones of
 * the last linger time (100 ms here, a connection per ms).
 */
static void bounded(void **unused)
{
	struct tulpen_flows_opts o = { .linger_ns = 100 * MS };
	struct tulpen_flows_stats st;
	struct conv v;
	uint64_t max_tombs = 0;
	int i;

	conv_init(&v, 0);
	tulpen_flows_free(v.f);
	assert_int_equal(tulpen_flows_new(&o, collect, &v.g, &v.f), 0);
	for (i = 0; i < 20000; i++) {
		v.cport = (uint16_t)(1024 + i % 3000); /* ports reused */
		v.cseq += 7919;
		v.t = (int64_t)i * MS;
		seg(&v, 1, S, 0);
		seg(&v, 0, S | A, 0);
		seg(&v, 1, A, 0);
		seg(&v, 1, R, 0);
		tulpen_flows_stats(v.f, &st);
		if (st.tombstones > max_tombs)
			max_tombs = st.tombstones;
	}
	tulpen_flows_stats(v.f, &st);
	assert_int_equal(st.conns, 20000);
	assert_int_equal(st.emitted + st.tombstones, 20000);
	assert_true(st.live_max <= 102);
	assert_true(max_tombs <= 101);
	assert_true(max_tombs >= 90);
	conv_end(&v);
}

static void conn_state_names(void **unused)
{
	int idx;

	assert_int_equal(tulpen_zeek_conn_state_parse("rstos0", &idx), 0);
	assert_string_equal(tulpen_zeek_conn_state_name(idx), "RSTOS0");
	assert_int_equal(tulpen_zeek_conn_state_parse("SX", &idx), -EINVAL);
	assert_null(tulpen_zeek_conn_state_name(TULPEN_ZEEK_NSTATES));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normal_close),
		cmocka_unit_test(syn_only),
		cmocka_unit_test(rejected),
		cmocka_unit_test(zeek_codes),
		cmocka_unit_test(midstream),
		cmocka_unit_test(simultaneous_close),
		cmocka_unit_test(simultaneous_open),
		cmocka_unit_test(tombstone_and_reuse),
		cmocka_unit_test(idle_timeout),
		cmocka_unit_test(refused_retry_same_isn),
		cmocka_unit_test(rst_answers_synack),
		cmocka_unit_test(fin_after_rst),
		cmocka_unit_test(idle_exactly),
		cmocka_unit_test(many),
		cmocka_unit_test(bounded),
		cmocka_unit_test(conn_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
