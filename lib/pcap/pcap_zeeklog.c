// SPDX-License-Identifier: MIT
/*
 * pcap_zeeklog.c - connections as Zeek's conn.log: the tab-separated form
 * with its #-header, and Zeek's JSON log form (one object a line).
 *
 * The columns are those of Zeek's Conn::Info (base/protocols/conn/
 * main.zeek) from ts and uid to tunnel_parents, with Zeek's rules for what
 * is set: duration, orig_bytes and resp_bytes only when the duration is
 * above zero, history only when not empty, service, local_orig and
 * local_resp unset ('-'; tulpen does no protocol detection and has no
 * Site::local_nets), tunnel_parents only for connections inside a tunnel.
 * Unset fields are '-' in the ASCII form and left out in JSON.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "pcap/pcap_time.h"
#include "fmt/fmt_internal.h"
#include "pcap/pcap_zeeklog.h"

static const char *const fields[] = {
	"ts",	      "uid",	       "id.orig_h",
	"id.orig_p",  "id.resp_h",     "id.resp_p",
	"proto",      "service",       "duration",
	"orig_bytes", "resp_bytes",    "conn_state",
	"local_orig", "local_resp",    "missed_bytes",
	"history",    "orig_pkts",     "orig_ip_bytes",
	"resp_pkts",  "resp_ip_bytes", "tunnel_parents",
};

static const char *const types[] = {
	"time",	 "string", "addr",	  "port",   "addr",  "port",
	"enum",	 "string", "interval",	  "count",  "count", "string",
	"bool",	 "bool",   "count",	  "string", "count", "count",
	"count", "count",  "set[string]",
};

_Static_assert(sizeof(fields) == sizeof(types), "one type per field");

/* "2026-12-01-20-30-00": Zeek's #open/#close stamp, here in UTC. */
static void put_stamp(struct tulpen_buf *b, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	char s[32];

	if (!gmtime_r(&t, &tm) ||
	    !strftime(s, sizeof(s), "%Y-%m-%d-%H-%M-%S", &tm))
		memcpy(s, "-", 2);
	tulpen_buf_puts(b, s);
}

int pcap_zeeklog_header(struct tulpen_buf *b, int64_t open_ns)
{
	size_t i;

	tulpen_buf_puts(b, "#separator \\x09\n"
			   "#set_separator\t,\n"
			   "#empty_field\t(empty)\n"
			   "#unset_field\t-\n"
			   "#path\tconn\n"
			   "#open\t");
	put_stamp(b, open_ns);
	tulpen_buf_puts(b, "\n#fields");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		tulpen_buf_putc(b, '\t');
		tulpen_buf_puts(b, fields[i]);
	}
	tulpen_buf_puts(b, "\n#types");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		tulpen_buf_putc(b, '\t');
		tulpen_buf_puts(b, types[i]);
	}
	return tulpen_buf_putc(b, '\n');
}

int pcap_zeeklog_footer(struct tulpen_buf *b, int64_t close_ns)
{
	tulpen_buf_puts(b, "#close\t");
	put_stamp(b, close_ns);
	return tulpen_buf_putc(b, '\n');
}

/* Seconds with six decimals (Zeek's time and interval). */
static void put_secs6(struct tulpen_buf *b, int64_t ns)
{
	tulpen_buf_fixed(b, ns / 1000, 6);
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t ep_hash(uint64_t h, const struct tulpen_endpoint *ep)
{
	uint64_t w[2];

	memcpy(w, ep->addr.raw, 16);
	return mix64(h ^ mix64(w[0] ^ mix64(w[1] ^ ep->port)));
}

void pcap_zeeklog_uid(char *out, uint64_t seed, int64_t ts_ns,
		      const struct tulpen_endpoint *a,
		      const struct tulpen_endpoint *b)
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz";
	uint64_t h = mix64(seed ^ mix64((uint64_t)ts_ns));
	unsigned __int128 v;
	int i;

	h = ep_hash(ep_hash(h, a), b);
	/* 96 bits, as Zeek's uids: 'C' and 17 base-62 digits. */
	v = (unsigned __int128)(mix64(h) & 0xffffffffu) << 64 | h;
	out[0] = 'C';
	for (i = 17; i > 0; i--) {
		out[i] = b62[(unsigned int)(v % 62)];
		v /= 62;
	}
	out[18] = '\0';
}

static size_t put_addr(char *out, int family, const struct tulpen_endpoint *e)
{
	return tulpen_fmt_addr(out, 64, family, e->addr.raw, 0);
}

static int has_duration(const struct tulpen_flow *c)
{
	return pcap_span(c->zeek_last_ns, c->start_ns) > 0;
}

/* Order the endpoints of a tunnel: either direction is the same. */
static int ep_cmp(const struct tulpen_endpoint *x,
		  const struct tulpen_endpoint *y)
{
	int d = memcmp(x->addr.raw, y->addr.raw, sizeof(x->addr.raw));

	return d ? d : (int)x->port - (int)y->port;
}

/* The uid of tunnel @t: its type and its outer endpoints. */
static void tunnel_uid(char *uid, const struct tulpen_tunnel *t)
{
	const struct tulpen_endpoint *x = &t->outer_src, *y = &t->outer_dst;

	if (ep_cmp(x, y) > 0) {
		x = &t->outer_dst;
		y = &t->outer_src;
	}
	pcap_zeeklog_uid(uid, t->type, 0, x, y);
}

/*
 * The tunnel parents set: the uids of the tunnels that carried @c over its
 * life (the innermost of each segment: main.zeek adds
 * c$tunnel[|c$tunnel|-1]$uid), comma-separated (#set_separator) or a JSON
 * array, in the order tulpen saw them.
 */
static void put_parents(struct tulpen_buf *b, const struct tulpen_flow *c,
			int json)
{
	char uid[20];
	uint32_t i;

	if (json)
		tulpen_buf_puts(b, ",\"tunnel_parents\":[");
	for (i = 0; i <= c->n_more_tunnels; i++) {
		tunnel_uid(uid, i ? &c->more_tunnels[i - 1] : &c->tunnel);
		if (i)
			tulpen_buf_putc(b, ',');
		if (json)
			tulpen_buf_json_str(b, uid);
		else
			tulpen_buf_puts(b, uid);
	}
	if (json)
		tulpen_buf_putc(b, ']');
}

static void tab(struct tulpen_buf *b)
{
	tulpen_buf_putc(b, '\t');
}

static void tab_u64(struct tulpen_buf *b, uint64_t v)
{
	tulpen_buf_putc(b, '\t');
	tulpen_buf_u64(b, v);
}

int pcap_zeeklog_conn(struct tulpen_buf *b, const struct tulpen_flow *c,
		      const char *uid)
{
	const struct tulpen_conn_side *o = &c->side[TULPEN_ORIG];
	const struct tulpen_conn_side *r = &c->side[TULPEN_RESP];
	char addr[64];

	put_secs6(b, c->start_ns);
	tab(b);
	tulpen_buf_puts(b, uid);
	tab(b);
	tulpen_buf_put(b, addr, put_addr(addr, c->family, &o->ep));
	tab_u64(b, o->ep.port);
	tab(b);
	tulpen_buf_put(b, addr, put_addr(addr, c->family, &r->ep));
	tab_u64(b, r->ep.port);
	tulpen_buf_puts(b, "\ttcp\t-\t");
	if (has_duration(c)) {
		put_secs6(b, pcap_span(c->zeek_last_ns, c->start_ns));
		tab_u64(b, o->seq_bytes);
		tab_u64(b, r->seq_bytes);
	} else {
		tulpen_buf_puts(b, "-\t-\t-");
	}
	tab(b);
	tulpen_buf_puts(b, c->conn_state);
	tulpen_buf_puts(b, "\t-\t-");
	tab_u64(b, c->missed_bytes);
	tab(b);
	tulpen_buf_puts(b, c->history[0] ? c->history : "-");
	tab_u64(b, o->pkts);
	tab_u64(b, o->ip_bytes);
	tab_u64(b, r->pkts);
	tab_u64(b, r->ip_bytes);
	tab(b);
	if (c->tunnel.type)
		put_parents(b, c, 0);
	else
		tulpen_buf_putc(b, '-');
	return tulpen_buf_putc(b, '\n');
}

static void jkey(struct tulpen_buf *b, const char *k)
{
	tulpen_buf_puts(b, ",\"");
	tulpen_buf_puts(b, k);
	tulpen_buf_puts(b, "\":");
}

static void ju64(struct tulpen_buf *b, const char *k, uint64_t v)
{
	jkey(b, k);
	tulpen_buf_u64(b, v);
}

static void jstr(struct tulpen_buf *b, const char *k, const char *v)
{
	jkey(b, k);
	tulpen_buf_json_str(b, v);
}

int pcap_zeeklog_json(struct tulpen_buf *b, const struct tulpen_flow *c,
		      const char *uid)
{
	const struct tulpen_conn_side *o = &c->side[TULPEN_ORIG];
	const struct tulpen_conn_side *r = &c->side[TULPEN_RESP];
	char addr[64];

	tulpen_buf_puts(b, "{\"ts\":");
	put_secs6(b, c->start_ns);
	jstr(b, "uid", uid);
	put_addr(addr, c->family, &o->ep);
	jstr(b, "id.orig_h", addr);
	ju64(b, "id.orig_p", o->ep.port);
	put_addr(addr, c->family, &r->ep);
	jstr(b, "id.resp_h", addr);
	ju64(b, "id.resp_p", r->ep.port);
	jstr(b, "proto", "tcp");
	if (has_duration(c)) {
		jkey(b, "duration");
		put_secs6(b, pcap_span(c->zeek_last_ns, c->start_ns));
		ju64(b, "orig_bytes", o->seq_bytes);
		ju64(b, "resp_bytes", r->seq_bytes);
	}
	jstr(b, "conn_state", c->conn_state);
	ju64(b, "missed_bytes", c->missed_bytes);
	if (c->history[0])
		jstr(b, "history", c->history);
	ju64(b, "orig_pkts", o->pkts);
	ju64(b, "orig_ip_bytes", o->ip_bytes);
	ju64(b, "resp_pkts", r->pkts);
	ju64(b, "resp_ip_bytes", r->ip_bytes);
	if (c->tunnel.type)
		put_parents(b, c, 1);
	return tulpen_buf_puts(b, "}\n");
}
