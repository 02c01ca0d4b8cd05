// SPDX-License-Identifier: MIT
/*
 * pcap_filter.c - the connection filter: parse an expression once into a
 * small tree, evaluate it per connection.
 *
 * Grammar (words are case-insensitive):
 *   expr    := and { "or" and }
 *   and     := unary { ["and"] unary }
 *   unary   := "not" unary | "!" unary | "(" expr ")" | prim
 *   prim    := [side] "host" ADDR | [side] "net" ADDR/LEN
 *            | [side] "port" N[-M] | [side] "state" STATE
 *            | "conn-state" CODE[,CODE...]
 *            | "midstream" | "reset" | "closed" | "open"
 *   side    := "client" | "server" | "orig" | "resp"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "tulpen/pcap_report.h"
#include "tulpen/state.h"

#define MAX_DEPTH 64
#define MAX_TOKENS 4096

enum node_kind {
	N_AND,
	N_OR,
	N_NOT,
	N_HOST,
	N_NET,
	N_PORT,
	N_STATE,
	N_CONN_STATE,
	N_MIDSTREAM,
	N_RESET,
	N_CLOSED,
	N_OPEN,
};

struct node {
	uint8_t kind;
	uint8_t sides; /* bit 0 client, bit 1 server */
	uint8_t family;
	uint8_t plen;
	uint8_t addr[16];
	uint16_t lo, hi;
	uint32_t mask; /* states or conn_state codes */
	int a, b;      /* children (indexes) */
};

struct tulpen_conn_filter {
	struct node *n;
	size_t len, cap;
	int root;
};

struct parser {
	char *buf; /* tokens, NUL-separated copy */
	const char **tok;
	size_t *pos; /* offset of each token in the input */
	size_t ntok, i;
	int depth;
	struct tulpen_conn_filter *f;
	char *err;
	size_t errlen;
};

static int fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int add_node(struct parser *p, const struct node *n)
{
	struct tulpen_conn_filter *f = p->f;

	if (f->len == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 16;
		struct node *nn = realloc(f->n, ncap * sizeof(*nn));

		if (!nn)
			return -ENOMEM;
		f->n = nn;
		f->cap = ncap;
	}
	f->n[f->len] = *n;
	return (int)f->len++;
}

static const char *peek(struct parser *p)
{
	return p->i < p->ntok ? p->tok[p->i] : NULL;
}

static int is_word(const char *t, const char *w)
{
	return t && !strcasecmp(t, w);
}

/* Unsigned decimal in [0, max]; no sign, no junk. */
static int parse_uint(const char *s, size_t len, unsigned long max,
		      unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (!len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_addr(const char *s, struct node *n)
{
	char tmp[64];
	size_t len = strlen(s);

	if (len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, len + 1);
	/* Accept [::1] as well as ::1. */
	if (tmp[0] == '[' && len > 2 && tmp[len - 1] == ']') {
		memmove(tmp, tmp + 1, len - 2);
		tmp[len - 2] = '\0';
	}
	memset(n->addr, 0, sizeof(n->addr));
	if (inet_pton(AF_INET, tmp, n->addr) == 1) {
		n->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, n->addr) == 1) {
		n->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static int parse_expr(struct parser *p);

static int parse_prim(struct parser *p)
{
	struct node n;
	const char *t = peek(p), *arg;
	size_t at = p->i < p->ntok ? p->pos[p->i] : 0;
	unsigned long v, v2;

	memset(&n, 0, sizeof(n));
	n.sides = 3;
	if (!t)
		return fail(p, "filter: expression ends where a primitive "
			       "(host, port, state, ...) was expected");
	if (is_word(t, "client") || is_word(t, "orig")) {
		n.sides = 1;
		p->i++;
	} else if (is_word(t, "server") || is_word(t, "resp")) {
		n.sides = 2;
		p->i++;
	}
	t = peek(p);
	if (!t)
		return fail(p,
			    "filter: expected host, net, port or state "
			    "after '%s'",
			    p->tok[p->i - 1]);
	at = p->pos[p->i];
	if (is_word(t, "midstream") || is_word(t, "reset") ||
	    is_word(t, "closed") || is_word(t, "open")) {
		if (n.sides != 3)
			return fail(p,
				    "filter: '%s' (at %zu) takes no client/"
				    "server",
				    t, at + 1);
		n.kind = is_word(t, "midstream") ? N_MIDSTREAM
			 : is_word(t, "reset")	 ? N_RESET
			 : is_word(t, "closed")	 ? N_CLOSED
						 : N_OPEN;
		p->i++;
		return add_node(p, &n);
	}
	if (!is_word(t, "host") && !is_word(t, "net") && !is_word(t, "port") &&
	    !is_word(t, "state") && !is_word(t, "conn-state") &&
	    !is_word(t, "conn_state"))
		return fail(p,
			    "filter: unknown word '%s' at %zu (expected "
			    "host, net, port, state, conn-state, "
			    "midstream, reset, closed, open)",
			    t, at + 1);
	p->i++;
	arg = peek(p);
	if (!arg || !strcmp(arg, "(") || !strcmp(arg, ")"))
		return fail(p, "filter: '%s' at %zu needs an argument", t,
			    at + 1);
	p->i++;
	if (is_word(t, "host")) {
		n.kind = N_HOST;
		if (parse_addr(arg, &n))
			return fail(p, "filter: bad address '%s'", arg);
		n.plen = n.family == AF_INET ? 32 : 128;
	} else if (is_word(t, "net")) {
		const char *slash = strchr(arg, '/');
		char a[64];

		n.kind = N_NET;
		if (!slash || (size_t)(slash - arg) >= sizeof(a))
			return fail(p,
				    "filter: bad prefix '%s' (want "
				    "ADDR/LEN)",
				    arg);
		memcpy(a, arg, (size_t)(slash - arg));
		a[slash - arg] = '\0';
		if (parse_addr(a, &n))
			return fail(p, "filter: bad address in '%s'", arg);
		if (parse_uint(slash + 1, strlen(slash + 1),
			       n.family == AF_INET ? 32 : 128, &v))
			return fail(p, "filter: bad prefix length in '%s'",
				    arg);
		n.plen = (uint8_t)v;
	} else if (is_word(t, "port")) {
		const char *dash = strchr(arg, '-');
		size_t l1 = dash ? (size_t)(dash - arg) : strlen(arg);

		n.kind = N_PORT;
		if (parse_uint(arg, l1, 65535, &v))
			return fail(p, "filter: bad port '%s'", arg);
		v2 = v;
		if (dash && parse_uint(dash + 1, strlen(dash + 1), 65535, &v2))
			return fail(p, "filter: bad port range '%s'", arg);
		if (v2 < v)
			return fail(p, "filter: empty port range '%s'", arg);
		n.lo = (uint16_t)v;
		n.hi = (uint16_t)v2;
	} else if (is_word(t, "state")) {
		n.kind = N_STATE;
		if (tulpen_state_parse(arg, &n.mask))
			return fail(p, "filter: unknown TCP state '%s'", arg);
	} else {
		char word[16];
		const char *s = arg;
		int idx;

		n.kind = N_CONN_STATE;
		if (n.sides != 3)
			return fail(p, "filter: conn-state takes no "
				       "client/server");
		while (*s) {
			size_t l = strcspn(s, ",");

			if (l == 0 || l >= sizeof(word))
				return fail(p,
					    "filter: bad conn-state list "
					    "'%s'",
					    arg);
			memcpy(word, s, l);
			word[l] = '\0';
			if (tulpen_zeek_conn_state_parse(word, &idx))
				return fail(p,
					    "filter: unknown Zeek "
					    "conn_state '%s' (S0 S1 SF REJ "
					    "S2 S3 RSTO RSTR RSTOS0 RSTRH "
					    "SH SHR OTH)",
					    word);
			n.mask |= 1u << idx;
			s += l;
			if (*s == ',')
				s++;
		}
		if (!n.mask)
			return fail(p, "filter: empty conn-state list");
	}
	return add_node(p, &n);
}

static int parse_unary(struct parser *p)
{
	const char *t = peek(p);
	struct node n;
	int a;

	if (++p->depth > MAX_DEPTH)
		return fail(p, "filter: nested deeper than %d", MAX_DEPTH);
	memset(&n, 0, sizeof(n));
	if (is_word(t, "not") || (t && !strcmp(t, "!"))) {
		p->i++;
		a = parse_unary(p);
		if (a < 0)
			return a;
		n.kind = N_NOT;
		n.a = a;
		a = add_node(p, &n);
	} else if (t && !strcmp(t, "(")) {
		p->i++;
		a = parse_expr(p);
		if (a < 0)
			return a;
		if (!peek(p) || strcmp(peek(p), ")"))
			return fail(p, "filter: missing ')'");
		p->i++;
	} else {
		a = parse_prim(p);
	}
	p->depth--;
	return a;
}

static int parse_and(struct parser *p)
{
	struct node n;
	const char *t;
	int a, b;

	a = parse_unary(p);
	while (a >= 0 && (t = peek(p)) && strcmp(t, ")") && !is_word(t, "or")) {
		if (is_word(t, "and") || !strcmp(t, "&&"))
			p->i++;
		b = parse_unary(p);
		if (b < 0)
			return b;
		memset(&n, 0, sizeof(n));
		n.kind = N_AND;
		n.a = a;
		n.b = b;
		a = add_node(p, &n);
	}
	return a;
}

static int parse_expr(struct parser *p)
{
	struct node n;
	int a, b;

	a = parse_and(p);
	while (a >= 0 && (is_word(peek(p), "or") ||
			  (peek(p) && !strcmp(peek(p), "||")))) {
		p->i++;
		b = parse_and(p);
		if (b < 0)
			return b;
		memset(&n, 0, sizeof(n));
		n.kind = N_OR;
		n.a = a;
		n.b = b;
		a = add_node(p, &n);
	}
	return a;
}

/* Split @expr into words and parentheses. */
static int tokenize(struct parser *p, const char *expr)
{
	size_t len = strlen(expr), i = 0, o = 0;

	p->buf = malloc(2 * len + 2);
	p->tok = malloc((len + 1) * sizeof(*p->tok));
	p->pos = malloc((len + 1) * sizeof(*p->pos));
	if (!p->buf || !p->tok || !p->pos)
		return -ENOMEM;
	while (i < len) {
		char c = expr[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			i++;
			continue;
		}
		if (p->ntok >= MAX_TOKENS)
			return fail(p, "filter: more than %d words",
				    MAX_TOKENS);
		p->tok[p->ntok] = p->buf + o;
		p->pos[p->ntok++] = i;
		if (c == '(' || c == ')') {
			p->buf[o++] = c;
			i++;
		} else {
			while (i < len && !strchr(" \t\n\r()", expr[i]))
				p->buf[o++] = expr[i++];
		}
		p->buf[o++] = '\0';
	}
	return 0;
}

int tulpen_conn_filter_parse(const char *expr, struct tulpen_conn_filter **out,
			     char *err, size_t errlen)
{
	struct parser p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.err = err;
	p.errlen = errlen;
	if (errlen)
		err[0] = '\0';
	p.f = calloc(1, sizeof(*p.f));
	if (!p.f)
		return -ENOMEM;
	ret = tokenize(&p, expr);
	if (ret)
		goto fail;
	if (!p.ntok) {
		ret = fail(&p, "filter: empty expression");
		goto fail;
	}
	ret = parse_expr(&p);
	if (ret < 0)
		goto fail;
	if (p.i < p.ntok) {
		ret = fail(&p, "filter: unexpected '%s' at %zu", p.tok[p.i],
			   p.pos[p.i] + 1);
		goto fail;
	}
	p.f->root = ret;
	*out = p.f;
	ret = 0;
	goto out;
fail:
	tulpen_conn_filter_free(p.f);
	if (ret == -ENOMEM && errlen)
		snprintf(err, errlen, "filter: out of memory");
out:
	free(p.buf);
	free(p.tok);
	free(p.pos);
	return ret < 0 ? ret : 0;
}

static int prefix_match(const uint8_t *a, const uint8_t *net, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(a, net, full))
		return 0;
	if (!rest)
		return 1;
	return ((a[full] ^ net[full]) & (0xff00 >> rest)) == 0;
}

static int eval(const struct tulpen_conn_filter *f, int i,
		const struct tulpen_flow *c)
{
	const struct node *n = &f->n[i];
	int s, hit = 0;

	switch (n->kind) {
	case N_AND:
		return eval(f, n->a, c) && eval(f, n->b, c);
	case N_OR:
		return eval(f, n->a, c) || eval(f, n->b, c);
	case N_NOT:
		return !eval(f, n->a, c);
	case N_MIDSTREAM:
		return c->midstream;
	case N_RESET:
		return c->first_reset >= 0;
	case N_CLOSED:
		return c->end == TULPEN_END_CLOSED;
	case N_OPEN:
		return c->end != TULPEN_END_CLOSED;
	case N_CONN_STATE: {
		int idx;

		if (tulpen_zeek_conn_state_parse(c->conn_state, &idx))
			return 0;
		return !!(n->mask & (1u << idx));
	}
	}
	for (s = 0; s < 2 && !hit; s++) {
		const struct tulpen_conn_side *sd = &c->side[s];

		if (!(n->sides & (1u << s)))
			continue;
		switch (n->kind) {
		case N_HOST:
		case N_NET:
			hit = c->family == n->family &&
			      prefix_match(sd->ep.addr.raw, n->addr, n->plen);
			break;
		case N_PORT:
			hit = sd->ep.port >= n->lo && sd->ep.port <= n->hi;
			break;
		case N_STATE:
			hit = !!(n->mask & TULPEN_SF(sd->state));
			break;
		}
	}
	return hit;
}

int tulpen_conn_filter_match(const struct tulpen_conn_filter *f,
			     const struct tulpen_flow *c)
{
	if (!f || !f->len)
		return 1;
	return eval(f, f->root, c);
}

void tulpen_conn_filter_free(struct tulpen_conn_filter *f)
{
	if (!f)
		return;
	free(f->n);
	free(f);
}
