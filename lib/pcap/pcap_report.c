// SPDX-License-Identifier: MIT
/*
 * pcap_report.c - reconstructed connections as a table, JSON or NDJSON.
 *
 * Written for speed as much as for looks: a capture of a million packets
 * has a hundred thousand connections, so numbers and addresses are
 * formatted by hand rather than through printf.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pcap/pcap_time.h"
#include "tulpen/pcap_report.h"
#include "fmt/fmt_internal.h"
#include "pcap/pcap_zeeklog.h"
#include "tulpen/state.h"

struct tulpen_pcap_report {
	enum tulpen_pcap_out kind;
	struct tulpen_pcap_report_opts o;
	struct tulpen_buf *b;
	uint64_t n;
	int t0_set;
	int64_t last_ns; /* Zeek's #close: the latest time reported */
};

static const char *const side_name[2] = { "client", "server" };

/* Seconds with six decimals (microseconds, cut), the shared formatter. */
static int put_secs(struct tulpen_buf *b, int64_t ns)
{
	return tulpen_buf_fixed(b, ns / 1000, 6);
}

/* Reports spell endpoints as the table does: "10.0.0.1:80", "[::1]:80". */
static const struct tulpen_ep_style report_style = { .brackets = 1 };

/* "10.0.0.1:80" or "[::1]:80" into @out (at least 64 bytes). */
static size_t fmt_ep(char *out, int family, const struct tulpen_endpoint *ep)
{
	return tulpen_fmt_ep(out, 64, family, ep, 0, &report_style);
}

static size_t fmt_addr(char *out, int family, const struct tulpen_endpoint *ep)
{
	return tulpen_fmt_addr(out, 64, family, ep->addr.raw, 0);
}

static int put_padded(struct tulpen_buf *b, const char *s, size_t n,
		      size_t width, int right)
{
	if (right && n < width)
		tulpen_buf_pad(b, ' ', width - n);
	tulpen_buf_put(b, s, n);
	if (!right && n < width)
		tulpen_buf_pad(b, ' ', width - n);
	return tulpen_buf_putc(b, ' ');
}

static const char *state_name(int st)
{
	return tulpen_state_name(st, TULPEN_STATE_RFC);
}

/* How the connection ended, in a word. */
static const char *close_word(const struct tulpen_flow *c)
{
	if (c->first_closer < 0 && c->first_reset >= 0)
		return c->first_reset == TULPEN_ORIG ? "rst-c" : "rst-s";
	if (c->simultaneous_close)
		return "simul";
	if (c->first_closer == TULPEN_ORIG)
		return "client";
	if (c->first_closer == TULPEN_RESP)
		return "server";
	return "-";
}

#define W_ID 6
#define W_EP 21
#define W_START 10
#define W_DUR 9
#define W_PKTS 9
#define W_BYTES 13
#define W_RTT 8
#define W_CLOSE 6
#define W_STATE 12
#define W_ZEEK 6

static int table_header(struct tulpen_buf *b)
{
	static const char *const h[] = {
		"ID",		"Client", "Server",  "Start", "Duration",
		"Pkts",		"Bytes",  "RTT(ms)", "Close", "Client-State",
		"Server-State", "Zeek",	  "History",
	};
	static const size_t w[] = {
		W_ID,  W_EP,	W_EP,	 W_START, W_DUR,  W_PKTS, W_BYTES,
		W_RTT, W_CLOSE, W_STATE, W_STATE, W_ZEEK, 0,
	};
	static const int right[] = { 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0 };
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		if (w[i])
			put_padded(b, h[i], strlen(h[i]), w[i], right[i]);
		else
			tulpen_buf_puts(b, h[i]);
	}
	return tulpen_buf_putc(b, '\n');
}

/* " tunnel=VXLAN(192.0.2.1:51000->192.0.2.2:4789)" */
static void table_tunnel(struct tulpen_buf *b, const struct tulpen_tunnel *t)
{
	char ep[64];

	tulpen_buf_puts(b, " tunnel=");
	tulpen_buf_puts(b, tulpen_tunnel_name(t->type));
	tulpen_buf_putc(b, '(');
	tulpen_buf_put(b, ep, fmt_ep(ep, t->family, &t->outer_src));
	tulpen_buf_puts(b, "->");
	tulpen_buf_put(b, ep, fmt_ep(ep, t->family, &t->outer_dst));
	tulpen_buf_putc(b, ')');
}

static int table_timeline(struct tulpen_pcap_report *r,
			  const struct tulpen_flow *c)
{
	struct tulpen_buf *b = r->b;
	int s, i;

	for (s = 0; s < 2; s++) {
		const struct tulpen_conn_side *sd = &c->side[s];

		tulpen_buf_puts(b, "       ");
		tulpen_buf_puts(b, side_name[s]);
		tulpen_buf_puts(b, ": ");
		for (i = 0; i < sd->ntrans; i++) {
			const struct tulpen_conn_trans *t = &sd->trans[i];

			if (i)
				tulpen_buf_puts(b, " -> ");
			tulpen_buf_puts(b, state_name(t->state));
			if (t->inferred)
				tulpen_buf_putc(b, '?');
			tulpen_buf_puts(b, "(+");
			put_secs(b, pcap_span(t->ts_ns, c->start_ns));
			tulpen_buf_puts(b, " #");
			tulpen_buf_u64(b, t->pkt);
			tulpen_buf_putc(b, ')');
		}
		if (sd->trans_lost) {
			tulpen_buf_puts(b, " (");
			tulpen_buf_u64(b, sd->trans_lost);
			tulpen_buf_puts(b, " more transitions not kept)");
		}
		tulpen_buf_putc(b, '\n');
	}
	tulpen_buf_puts(b, "       details:");
	if (c->midstream)
		tulpen_buf_puts(b, " picked-up-mid-stream");
	if (c->flipped)
		tulpen_buf_puts(b, " roles-guessed");
	if (c->simultaneous_open)
		tulpen_buf_puts(b, " simultaneous-open");
	if (c->simultaneous_close)
		tulpen_buf_puts(b, " simultaneous-close");
	for (s = 0; s < 2; s++) {
		const struct tulpen_conn_side *sd = &c->side[s];

		if (sd->rsts)
			tulpen_buf_printf(b, " %s-sent-rst=%u", side_name[s],
					  sd->rsts);
		if (sd->syn_rexmits)
			tulpen_buf_printf(b, " %s-syn-rexmits=%u", side_name[s],
					  sd->syn_rexmits);
		if (sd->fin_rexmits)
			tulpen_buf_printf(b, " %s-fin-rexmits=%u", side_name[s],
					  sd->fin_rexmits);
		if (sd->data_rexmits)
			tulpen_buf_printf(b, " %s-data-rexmits=%u",
					  side_name[s], sd->data_rexmits);
		if (sd->bad_checksums)
			tulpen_buf_printf(b, " %s-bad-checksums=%u",
					  side_name[s], sd->bad_checksums);
	}
	if (c->missed_bytes)
		tulpen_buf_printf(b, " missed-bytes=%llu",
				  (unsigned long long)c->missed_bytes);
	if (c->tunnel.type)
		table_tunnel(b, &c->tunnel);
	for (i = 0; i < (int)c->n_more_tunnels; i++)
		table_tunnel(b, &c->more_tunnels[i]);
	tulpen_buf_puts(b, " end=");
	tulpen_buf_puts(b, tulpen_conn_end_name(c->end));
	return tulpen_buf_putc(b, '\n');
}

/*
 * A table line is built in a stack buffer with these, then handed to the
 * output buffer in one piece: a hundred thousand connections make the
 * per-call cost of tulpen_buf_*() show.
 */
struct line {
	char *p;
	char buf[512];
};

static void ln_put(struct line *l, const char *s, size_t n)
{
	memcpy(l->p, s, n);
	l->p += n;
}

static void ln_pad(struct line *l, size_t have, size_t width)
{
	if (have < width) {
		memset(l->p, ' ', width - have);
		l->p += width - have;
	}
}

static size_t u64_str(char *tmp, uint64_t v)
{
	return tulpen_fmt_u64(tmp, v);
}

/* A left-aligned column (never cut), then a space. */
static void ln_col(struct line *l, const char *s, size_t n, size_t width)
{
	ln_put(l, s, n);
	ln_pad(l, n, width);
	*l->p++ = ' ';
}

/* "x/y" right-aligned. */
static void ln_pair(struct line *l, uint64_t x, uint64_t y, size_t width)
{
	char t[48];
	size_t n = u64_str(t, x);

	t[n++] = '/';
	n += u64_str(t + n, y);
	ln_pad(l, n, width);
	ln_put(l, t, n);
	*l->p++ = ' ';
}

/* Seconds with @digits decimals (cut), right-aligned. */
static void ln_secs(struct line *l, int64_t ns, int digits, size_t width)
{
	char t[TULPEN_FMT_NUM_MAX];
	int64_t div = 1000000000;
	size_t n;
	int i;

	for (i = 0; i < digits; i++)
		div /= 10;
	n = tulpen_fmt_fixed(t, ns / div, (unsigned int)digits);
	ln_pad(l, n, width);
	ln_put(l, t, n);
	*l->p++ = ' ';
}

static int table_conn(struct tulpen_pcap_report *r, const struct tulpen_flow *c)
{
	struct tulpen_buf *b = r->b;
	struct line l;
	const char *w;
	char t[80];
	size_t n;
	int s;

	l.p = l.buf;
	n = u64_str(t, c->id);
	if (c->midstream)
		t[n++] = '~';
	ln_pad(&l, n, W_ID);
	ln_put(&l, t, n);
	*l.p++ = ' ';
	for (s = 0; s < 2; s++) {
		n = fmt_ep(t, c->family, &c->side[s].ep);
		ln_col(&l, t, n, W_EP);
	}
	ln_secs(&l, pcap_span(c->start_ns, r->o.t0_ns), 6, W_START);
	ln_secs(&l, pcap_span(c->last_ns, c->start_ns), 6, W_DUR);
	ln_pair(&l, c->side[0].pkts, c->side[1].pkts, W_PKTS);
	ln_pair(&l, c->side[0].bytes, c->side[1].bytes, W_BYTES);
	if (c->rtt_ns >= 0) {
		/* milliseconds, three decimals: microseconds (no overflow) */
		n = tulpen_fmt_fixed(t, c->rtt_ns / 1000, 3);
		ln_pad(&l, n, W_RTT);
		ln_put(&l, t, n);
		*l.p++ = ' ';
	} else {
		ln_pad(&l, 1, W_RTT);
		ln_put(&l, "- ", 2);
	}
	w = close_word(c);
	ln_col(&l, w, strlen(w), W_CLOSE);
	for (s = 0; s < 2; s++) {
		w = state_name(c->side[s].state);
		ln_col(&l, w, strlen(w), W_STATE);
	}
	ln_col(&l, c->conn_state, strnlen(c->conn_state, 7), W_ZEEK);
	/* the history last: Zeek's is as long as it gets, the line is not */
	w = c->history && c->history[0] ? c->history : "-";
	n = strlen(w);
	if (n < sizeof(l.buf) - (size_t)(l.p - l.buf)) {
		ln_put(&l, w, n);
		*l.p++ = '\n';
		tulpen_buf_put(b, l.buf, (size_t)(l.p - l.buf));
	} else {
		tulpen_buf_put(b, l.buf, (size_t)(l.p - l.buf));
		tulpen_buf_put(b, w, n);
		tulpen_buf_putc(b, '\n');
	}
	if (r->o.verbose)
		table_timeline(r, c);
	return b->err;
}

static int json_key(struct tulpen_buf *b, const char *k)
{
	tulpen_buf_putc(b, '"');
	tulpen_buf_puts(b, k);
	return tulpen_buf_puts(b, "\":");
}

static int json_u64(struct tulpen_buf *b, const char *k, uint64_t v)
{
	json_key(b, k);
	tulpen_buf_u64(b, v);
	return tulpen_buf_putc(b, ',');
}

static int json_bool(struct tulpen_buf *b, const char *k, int v)
{
	json_key(b, k);
	tulpen_buf_puts(b, v ? "true" : "false");
	return tulpen_buf_putc(b, ',');
}

static int json_str(struct tulpen_buf *b, const char *k, const char *v)
{
	json_key(b, k);
	if (v)
		tulpen_buf_json_str(b, v);
	else
		tulpen_buf_puts(b, "null");
	return tulpen_buf_putc(b, ',');
}

/* An absolute time: "ts" seconds since the epoch, microsecond digits. */
static int json_ts(struct tulpen_buf *b, const char *k, int64_t ns)
{
	json_key(b, k);
	put_secs(b, ns);
	return tulpen_buf_putc(b, ',');
}

/* A duration in whole microseconds ("..._us"); null when < 0 (unknown). */
static int json_us(struct tulpen_buf *b, const char *k, int64_t ns)
{
	json_key(b, k);
	if (ns < 0)
		tulpen_buf_puts(b, "null");
	else
		tulpen_buf_u64(b, (uint64_t)ns / 1000u);
	return tulpen_buf_putc(b, ',');
}

static const char *side_or_null(int side)
{
	return side < 0 ? NULL : side_name[side];
}

static int json_side(struct tulpen_buf *b, const struct tulpen_flow *c, int s)
{
	const struct tulpen_conn_side *sd = &c->side[s];
	char addr[64];
	int i;

	json_key(b, side_name[s]);
	tulpen_buf_putc(b, '{');
	fmt_addr(addr, c->family, &sd->ep);
	json_str(b, "address", addr);
	json_u64(b, "port", sd->ep.port);
	json_u64(b, "pkts", sd->pkts);
	json_u64(b, "bytes", sd->bytes);
	json_u64(b, "ip_bytes", sd->ip_bytes);
	json_u64(b, "syns", sd->syns);
	json_u64(b, "fins", sd->fins);
	json_u64(b, "rsts", sd->rsts);
	json_u64(b, "syn_rexmits", sd->syn_rexmits);
	json_u64(b, "fin_rexmits", sd->fin_rexmits);
	json_u64(b, "data_rexmits", sd->data_rexmits);
	json_u64(b, "bad_checksums", sd->bad_checksums);
	json_u64(b, "seq_bytes", sd->seq_bytes);
	json_str(b, "final_state", state_name(sd->state));
	json_u64(b, "transitions_lost", sd->trans_lost);
	json_key(b, "states");
	tulpen_buf_putc(b, '[');
	for (i = 0; i < sd->ntrans; i++) {
		const struct tulpen_conn_trans *t = &sd->trans[i];

		if (i)
			tulpen_buf_putc(b, ',');
		tulpen_buf_putc(b, '{');
		json_str(b, "state", state_name(t->state));
		json_ts(b, "ts", t->ts_ns);
		json_us(b, "offset_us", pcap_span(t->ts_ns, c->start_ns));
		json_u64(b, "packet", t->pkt);
		json_u64(b, "file", t->file);
		json_key(b, "inferred");
		tulpen_buf_puts(b, t->inferred ? "true}" : "false}");
	}
	return tulpen_buf_puts(b, "]}");
}

/* One tunnel: its type, depth and outer endpoints. */
static void json_tunnel_obj(struct tulpen_buf *b, const struct tulpen_tunnel *t)
{
	char addr[64];
	int i;

	tulpen_buf_putc(b, '{');
	json_str(b, "type", tulpen_tunnel_name(t->type));
	json_str(b, "family", t->family == AF_INET6 ? "inet6" : "inet");
	json_u64(b, "depth", t->depth);
	for (i = 0; i < 2; i++) {
		const struct tulpen_endpoint *e =
			i ? &t->outer_dst : &t->outer_src;

		json_key(b, i ? "outer_dst" : "outer_src");
		tulpen_buf_putc(b, '{');
		fmt_addr(addr, t->family, e);
		json_str(b, "address", addr);
		json_key(b, "port");
		tulpen_buf_u64(b, e->port);
		tulpen_buf_puts(b, i ? "}" : "},");
	}
	tulpen_buf_putc(b, '}');
}

/*
 * "tunnel": the tunnel parent (type, outer endpoints), or null; and when
 * its segments came through others too, "more_tunnels": those.
 */
static int json_tunnel(struct tulpen_buf *b, const struct tulpen_flow *c)
{
	uint32_t i;

	json_key(b, "tunnel");
	if (!c->tunnel.type)
		return tulpen_buf_puts(b, "null,");
	json_tunnel_obj(b, &c->tunnel);
	tulpen_buf_putc(b, ',');
	if (!c->n_more_tunnels)
		return 0;
	json_key(b, "more_tunnels");
	tulpen_buf_putc(b, '[');
	for (i = 0; i < c->n_more_tunnels; i++) {
		if (i)
			tulpen_buf_putc(b, ',');
		json_tunnel_obj(b, &c->more_tunnels[i]);
	}
	return tulpen_buf_puts(b, "],");
}

static int json_conn(struct tulpen_pcap_report *r, const struct tulpen_flow *c)
{
	struct tulpen_buf *b = r->b;

	tulpen_buf_putc(b, '{');
	json_u64(b, "id", c->id);
	json_str(b, "family", c->family == AF_INET6 ? "inet6" : "inet");
	json_str(b, "proto", "tcp");
	json_side(b, c, TULPEN_ORIG);
	tulpen_buf_putc(b, ',');
	json_side(b, c, TULPEN_RESP);
	tulpen_buf_putc(b, ',');
	json_str(b, "opener", c->opener_known ? "client" : NULL);
	json_bool(b, "midstream", c->midstream);
	json_bool(b, "roles_guessed", c->flipped);
	json_ts(b, "ts", c->start_ns);
	json_us(b, "duration_us", pcap_span(c->last_ns, c->start_ns));
	json_us(b, "rtt_us", c->rtt_ns);
	json_us(b, "syn_rtt_us", c->syn_rtt_ns);
	json_str(b, "active_closer", side_or_null(c->first_closer));
	json_str(b, "passive_closer",
		 c->first_closer < 0 ? NULL : side_name[!c->first_closer]);
	json_str(b, "first_reset_by", side_or_null(c->first_reset));
	json_str(b, "close", close_word(c));
	json_bool(b, "simultaneous_open", c->simultaneous_open);
	json_bool(b, "simultaneous_close", c->simultaneous_close);
	json_str(b, "conn_state", c->conn_state);
	json_str(b, "history", c->history);
	json_u64(b, "missed_bytes", c->missed_bytes);
	json_tunnel(b, c);
	json_key(b, "end");
	tulpen_buf_json_str(b, tulpen_conn_end_name(c->end));
	return tulpen_buf_putc(b, '}');
}

/* conn.log: the header before the first line (ASCII form only). */
static int zeek_conn(struct tulpen_pcap_report *r, const struct tulpen_flow *c)
{
	char uid[20];

	pcap_zeeklog_uid(uid, c->id, c->start_ns, &c->side[0].ep,
			 &c->side[1].ep);
	if (r->kind == TULPEN_PCAP_ZEEK_JSON)
		return pcap_zeeklog_json(r->b, c, uid);
	if (!r->n)
		pcap_zeeklog_header(r->b, r->o.t0_ns);
	return pcap_zeeklog_conn(r->b, c, uid);
}

int tulpen_pcap_report_new(enum tulpen_pcap_out kind,
			   const struct tulpen_pcap_report_opts *opts,
			   struct tulpen_buf *out,
			   struct tulpen_pcap_report **rep)
{
	struct tulpen_pcap_report *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->kind = kind;
	if (opts)
		r->o = *opts;
	r->b = out;
	*rep = r;
	return 0;
}

void tulpen_pcap_report_set_t0(struct tulpen_pcap_report *r, int64_t t0_ns)
{
	r->o.t0_ns = t0_ns;
	r->t0_set = 1;
}

int tulpen_pcap_report_conn(struct tulpen_pcap_report *r,
			    const struct tulpen_flow *c)
{
	struct tulpen_buf *b = r->b;

	if (!r->t0_set) {
		r->o.t0_ns = c->start_ns;
		r->t0_set = 1;
	}
	if (c->zeek_last_ns > r->last_ns)
		r->last_ns = c->zeek_last_ns;
	switch (r->kind) {
	case TULPEN_PCAP_TABLE:
		if (!r->n && r->o.header)
			table_header(b);
		table_conn(r, c);
		break;
	case TULPEN_PCAP_ZEEK:
	case TULPEN_PCAP_ZEEK_JSON:
		zeek_conn(r, c);
		break;
	case TULPEN_PCAP_JSON:
		tulpen_buf_puts(b, r->n ? ",\n" : "[\n");
		json_conn(r, c);
		break;
	case TULPEN_PCAP_NDJSON:
		json_conn(r, c);
		tulpen_buf_putc(b, '\n');
		break;
	}
	r->n++;
	return b->err;
}

int tulpen_pcap_report_end(struct tulpen_pcap_report *r)
{
	struct tulpen_buf *b = r->b;

	if (r->kind == TULPEN_PCAP_ZEEK) {
		if (!r->n)
			pcap_zeeklog_header(b, r->o.t0_ns);
		return pcap_zeeklog_footer(b, r->n ? r->last_ns : r->o.t0_ns);
	}
	if (r->kind == TULPEN_PCAP_JSON)
		tulpen_buf_puts(b, r->n ? "\n]\n" : "[]\n");
	else if (r->kind == TULPEN_PCAP_TABLE && !r->n && r->o.header)
		table_header(b);
	return b->err;
}

void tulpen_pcap_report_free(struct tulpen_pcap_report *r)
{
	free(r);
}
