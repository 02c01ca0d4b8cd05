// SPDX-License-Identifier: MIT
/*
 * filter_words.c - tulpen's words on top of ss's grammar:
 *
 *   host ADDR[/LEN]     src or dst (tcpdump's "host"); "net" alike
 *   port N-M            a range of ports, either side
 *   netns NAME|INODE    the network namespace (labels of --all-netns)
 *   container ID|NAME   the container (id prefix, name, pod uid or unit)
 *
 * and, in captured connections only (tulpen pcap -f, where a connection
 * is its two endpoints' sockets):
 *
 *   state NAME                     an end's final state (ss's names and
 *                                  groups; elsewhere the state words
 *                                  before the expression do this)
 *   client|server|orig|resp TERM   TERM of that end (host, net, port,
 *                                  state, src, sport)
 *   conn-state CODE[,CODE...]      Zeek's conn_state
 *   midstream | reset | closed | open
 *
 * The words are no keywords: ss reads "dev open" as the device "open",
 * and so does this; a word only means the term where a term may begin.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tulpen/pcap_flows.h"
#include "tulpen/state.h"
#include "filter/filter_terms.h"

enum word {
	W_HOST,
	W_NET,
	W_STATE,
	W_NETNS,
	W_CONTAINER,
	W_CLIENT, /* first of the capture words */
	W_SERVER,
	W_CONNSTATE,
	W_MIDSTREAM,
	W_RESET,
	W_CLOSED,
	W_OPEN,
	W_NONE,
};

static const struct {
	const char *text;
	enum word w;
} words[] = {
	{ "host", W_HOST },
	{ "net", W_NET },
	{ "state", W_STATE },
	{ "netns", W_NETNS },
	{ "container", W_CONTAINER },
	{ "client", W_CLIENT },
	{ "orig", W_CLIENT },
	{ "server", W_SERVER },
	{ "resp", W_SERVER },
	{ "conn-state", W_CONNSTATE },
	{ "conn_state", W_CONNSTATE },
	{ "midstream", W_MIDSTREAM },
	{ "reset", W_RESET },
	{ "closed", W_CLOSED },
	{ "open", W_OPEN },
};

static enum word word_of(const char *text)
{
	size_t i;

	for (i = 0; text && i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(text, words[i].text))
			return words[i].w;
	return W_NONE;
}

int flt_word_starts(const struct flt_parser *p, const struct flt_token *t)
{
	enum word w = t->kind == TK_WORD ? word_of(t->text) : W_NONE;

	/* ss has no "state" in an expression: only captures do */
	return w != W_NONE && (w != W_STATE || p->opts->captures);
}

/* "state" goes on inside an expression; before one, ss's state words. */
int flt_word_begins_expr(const char *word)
{
	enum word w = word_of(word);

	return w != W_NONE && w != W_STATE;
}

static int leaf(enum flt_kind kind, struct flt_node **out)
{
	*out = flt_node(kind, NULL, NULL);
	return *out ? 0 : -ENOMEM;
}

/* "N-M" as a range of ports; 1 when @s is one, 0 when not, else -EINVAL. */
static int port_range(struct flt_parser *p, const char *s, long long *lo,
		      long long *hi)
{
	const char *dash = strchr(s, '-');
	char a[8];

	if (!dash || dash == s || (size_t)(dash - s) >= sizeof(a))
		return 0;
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = '\0';
	if (flt_number(a, 0, 65535, lo) || flt_number(dash + 1, 0, 65535, hi))
		return 0;
	if (*hi < *lo)
		return flt_fail_next(p, "an empty port range '%s'", s);
	return 1;
}

/* sport >= LO and sport <= HI (dport for !@src). */
static int range_node(long long lo, long long hi, int src,
		      struct flt_node **out)
{
	struct flt_node *a = flt_node(src ? FLT_S_GE : FLT_D_GE, NULL, NULL);
	struct flt_node *b = flt_node(src ? FLT_S_LE : FLT_D_LE, NULL, NULL);

	if (!a || !b) {
		flt_node_free(a);
		flt_node_free(b);
		return -ENOMEM;
	}
	a->host.port = (int)lo;
	b->host.port = (int)hi;
	*out = flt_node(FLT_AND, a, b);
	return *out ? 0 : -ENOMEM;
}

/*
 * host/net ADDR and port P|N-M: the local end's condition, and unless
 * @one_side also the remote end's, joined by "or".
 */
static int end_term(struct flt_parser *p, size_t from, int is_port,
		    int one_side, struct flt_node **out)
{
	const struct flt_token *t;
	struct flt_node *l = NULL, *r = NULL;
	char after[96];
	long long lo = 0, hi = 0;
	int ret, range = 0, side;

	ret = flt_operand(p, from, is_port ? "a port or N-M" : "an address",
			  &t);
	if (ret)
		return ret;
	p->pos--; /* at the operand: the words before it, an error at it */
	flt_term_words(p, from, after, sizeof(after));
	if (is_port)
		range = port_range(p, t->text, &lo, &hi);
	if (range < 0)
		return range;
	p->pos++;
	for (side = 1; side >= (one_side ? 1 : 0); side--) {
		struct flt_node **n = side ? &l : &r;

		if (range)
			ret = range_node(lo, hi, side, n);
		else
			ret = flt_port_node(p, t, side ? FLT_SCOND : FLT_DCOND,
					    is_port, after, n);
		if (ret) {
			flt_node_free(l);
			return ret;
		}
	}
	*out = r ? flt_node(FLT_OR, l, r) : l;
	return *out ? 0 : -ENOMEM;
}

int flt_port_range_term(struct flt_parser *p, struct flt_node **out)
{
	const struct flt_token *t;
	long long lo, hi;
	size_t from = p->pos;

	int ret;

	if (p->pos + 1 >= p->lx->ntok || p->lx->tok[p->pos + 1].kind != TK_WORD)
		return -ENOENT;
	t = &p->lx->tok[++p->pos];
	ret = port_range(p, t->text, &lo, &hi);
	if (ret <= 0) {
		if (!ret)
			p->pos--;
		return ret ? ret : -ENOENT;
	}
	return end_term(p, from, 1, 0, out);
}

static int state_term(struct flt_parser *p, size_t from, struct flt_node **out)
{
	const struct flt_token *t;
	uint32_t mask;
	int ret = flt_operand(p, from, "a state name", &t);

	if (ret)
		return ret;
	if (tulpen_state_parse(t->text, &mask)) {
		p->pos--;
		return flt_fail_next(p, "unknown state '%s'", t->text);
	}
	ret = leaf(FLT_STATE, out);
	if (!ret)
		(*out)->mask = mask;
	return ret;
}

static int conn_state_term(struct flt_parser *p, size_t from,
			   struct flt_node **out)
{
	const struct flt_token *t;
	const char *s;
	uint32_t mask = 0;
	int ret = flt_operand(p, from, "Zeek conn_state codes", &t);

	if (ret)
		return ret;
	for (s = t->text; *s;) {
		size_t l = strcspn(s, ",");
		char code[16];
		int idx = -1;

		if (l && l < sizeof(code)) {
			memcpy(code, s, l);
			code[l] = '\0';
			if (tulpen_zeek_conn_state_parse(code, &idx))
				idx = -1;
		}
		if (idx < 0) {
			p->pos--;
			return flt_fail_next(p,
					     "unknown Zeek conn_state in '%s' "
					     "(S0 S1 SF REJ S2 S3 RSTO RSTR "
					     "RSTOS0 RSTRH SH SHR OTH)",
					     t->text);
		}
		mask |= 1u << idx;
		s += l + (s[l] == ',');
	}
	ret = leaf(FLT_CONNSTATE, out);
	if (!ret)
		(*out)->mask = mask;
	return ret;
}

/* netns NAME|INODE and container ID|NAME: a label, kept as typed. */
static int label_term(struct flt_parser *p, size_t from, enum word w,
		      struct flt_node **out)
{
	const struct flt_token *t;
	long long ino;
	int ret = flt_operand(p, from,
			      w == W_NETNS ? "a namespace name or inode"
					   : "a container id or name",
			      &t);

	if (ret)
		return ret;
	ret = leaf(w == W_NETNS ? FLT_NETNS : FLT_CONTAINER, out);
	if (ret)
		return ret;
	(*out)->word = strdup(t->text);
	if (!(*out)->word) {
		flt_node_free(*out);
		return -ENOMEM;
	}
	if (w == W_NETNS && !flt_number(t->text, 1, INT64_MAX, &ino))
		(*out)->ino = (uint64_t)ino;
	p->f->labels = 1;
	return 0;
}

/* client|server followed by host, net, port, state, src or sport. */
static int side_term(struct flt_parser *p, size_t from, int side,
		     struct flt_node **out)
{
	const struct flt_token *t = flt_peek(p);
	enum word w = t->kind == TK_WORD ? word_of(t->text) : W_NONE;
	struct flt_node *n = NULL;
	int ret;

	p->pos++;
	if (w == W_HOST || w == W_NET || t->kind == TK_SRC)
		ret = end_term(p, from, 0, 1, &n);
	else if (t->kind == TK_PORT || t->kind == TK_SPORT)
		ret = end_term(p, from, 1, 1, &n);
	else if (w == W_STATE)
		ret = state_term(p, from, &n);
	else {
		p->pos--;
		return flt_fail_next(p,
				     "expected host, net, port or state "
				     "after '%s'",
				     p->lx->tok[from].text);
	}
	if (ret)
		return ret;
	*out = flt_node(FLT_SIDE, n, NULL);
	if (!*out)
		return -ENOMEM;
	(*out)->side = side;
	return 0;
}

int flt_word_term(struct flt_parser *p, struct flt_node **out)
{
	const struct flt_token *t = flt_peek(p);
	enum word w = t->kind == TK_WORD ? word_of(t->text) : W_NONE;
	size_t from = p->pos;

	if (w == W_NONE || (w == W_STATE && !p->opts->captures))
		return -ENOENT;
	if (w >= W_CLIENT && !p->opts->captures)
		return flt_fail_next(p,
				     "'%s' selects captured connections: it "
				     "is a word of tulpen pcap -f",
				     t->text);
	p->pos++;
	switch (w) {
	case W_HOST:
	case W_NET:
		return end_term(p, from, 0, 0, out);
	case W_STATE:
		return state_term(p, from, out);
	case W_NETNS:
	case W_CONTAINER:
		return label_term(p, from, w, out);
	case W_CLIENT:
	case W_SERVER:
		return side_term(p, from, w == W_SERVER, out);
	case W_CONNSTATE:
		return conn_state_term(p, from, out);
	case W_MIDSTREAM:
		return leaf(FLT_MIDSTREAM, out);
	case W_RESET:
		return leaf(FLT_RESET, out);
	case W_CLOSED:
		return leaf(FLT_CLOSED, out);
	case W_OPEN: {
		struct flt_node *c = flt_node(FLT_CLOSED, NULL, NULL);

		*out = c ? flt_node(FLT_NOT, c, NULL) : NULL;
		return *out ? 0 : -ENOMEM;
	}
	case W_NONE:
		break;
	}
	return -ENOENT;
}
