// SPDX-License-Identifier: MIT
/*
 * filter_parse.c - ss's filter grammar (misc/ssfilter.y), by recursive
 * descent:
 *
 *   applet   := <empty> | exprlist
 *   exprlist := expr { ("or" | "and" | <nothing>) expr }
 *   expr     := "(" exprlist ")" | "not" expr
 *             | ("src" | "dst") ["="] HOST
 *             | ("sport" | "dport") [OP] PORT
 *             | ("dev" | "fwmark" | "cgroup") ["=" | "!="] WORD
 *             | "autobound"
 *
 * "and" and "or" have the same precedence and group to the left, so
 * "a or b and c" is "(a or b) and c", exactly as ss reads it; "not" binds
 * to the one expression after it. "sport > P" is "not sport <= P", and so
 * on, as ss builds them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "filter/filter_terms.h"

#define MAX_DEPTH 200  /* nesting of ( and not */
#define MAX_TERMS 4096 /* terms in one expression */

const struct flt_token *flt_peek(struct flt_parser *p)
{
	static const struct flt_token end = { TK_END, NULL, 0, 0, 0 };

	return p->pos < p->lx->ntok ? &p->lx->tok[p->pos] : &end;
}

/* Where the next token is, or would be after the last one. */
static void next_pos(struct flt_parser *p, unsigned int *src, unsigned int *col)
{
	const struct flt_token *t;

	if (p->pos < p->lx->ntok) {
		*src = p->lx->tok[p->pos].src;
		*col = p->lx->tok[p->pos].column;
		return;
	}
	if (!p->lx->ntok) {
		*src = 0;
		*col = 1;
		return;
	}
	t = &p->lx->tok[p->lx->ntok - 1];
	*src = t->src;
	*col = t->end + 1;
}

int flt_fail_next(struct flt_parser *p, const char *fmt, ...)
{
	unsigned int src, col;
	char msg[sizeof(p->err->msg)];
	va_list ap;

	next_pos(p, &src, &col);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return flt_error(p->err, p->lx, src, col, "%s", msg);
}

struct flt_node *flt_node(enum flt_kind kind, struct flt_node *a,
			  struct flt_node *b)
{
	struct flt_node *n = calloc(1, sizeof(*n));

	if (!n) {
		flt_node_free(a);
		flt_node_free(b);
		return NULL;
	}
	n->kind = kind;
	n->a = a;
	n->b = b;
	return n;
}

void flt_node_free(struct flt_node *n)
{
	if (!n)
		return;
	flt_node_free(n->a);
	flt_node_free(n->b);
	free(n->host.pattern);
	free(n->host.addrs);
	free(n->word);
	free(n);
}

static int starts_expr(enum flt_tok k)
{
	switch (k) {
	case TK_LPAREN:
	case TK_NOT:
	case TK_DST:
	case TK_SRC:
	case TK_DPORT:
	case TK_SPORT:
	case TK_PORT:
	case TK_DEV:
	case TK_FWMARK:
	case TK_CGROUP:
	case TK_AUTOBOUND:
		return 1;
	default:
		return 0;
	}
}

/* "expected ... after 'sport >='": the words of the term so far. */
void flt_term_words(struct flt_parser *p, size_t from, char *buf, size_t size)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = from; i < p->pos && off < size; i++) {
		int n = snprintf(buf + off, size - off, "%s%s",
				 i > from ? " " : "'", p->lx->tok[i].text);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off < size)
		snprintf(buf + off, size - off, "'");
}

int flt_operand(struct flt_parser *p, size_t from, const char *what,
		const struct flt_token **t)
{
	char after[96];

	*t = flt_peek(p);
	if ((*t)->kind == TK_WORD) {
		p->pos++;
		return 0;
	}
	flt_term_words(p, from, after, sizeof(after));
	return flt_fail_next(p, "expected %s after %s", what, after);
}

int flt_port_node(struct flt_parser *p, const struct flt_token *t,
		  enum flt_kind kind, int is_port, const char *after,
		  struct flt_node **out)
{
	struct flt_node *n = flt_node(kind, NULL, NULL);
	int ret;

	if (!n)
		return -ENOMEM;
	ret = flt_parse_host(p, t, is_port, after, &n->host);
	if (ret) {
		flt_node_free(n);
		return ret;
	}
	*out = n;
	return 0;
}

/* The other side's copy of a local-port term: "port" is either side. */
static enum flt_kind peer_kind(enum flt_kind k)
{
	switch (k) {
	case FLT_SCOND:
		return FLT_DCOND;
	case FLT_S_GE:
		return FLT_D_GE;
	case FLT_S_LE:
		return FLT_D_LE;
	default:
		return k;
	}
}

static int either_side(struct flt_parser *p, const struct flt_token *t,
		       enum flt_kind kind, const char *after,
		       struct flt_node **n)
{
	struct flt_node *d;
	int ret = flt_port_node(p, t, peer_kind(kind), 1, after, &d);

	if (ret) {
		flt_node_free(*n);
		return ret;
	}
	*n = flt_node(FLT_OR, *n, d);
	return *n ? 0 : -ENOMEM;
}

/*
 * src/dst ["="] HOST and sport/dport [OP] PORT; tulpen's "port [OP] PORT"
 * is "( sport OP PORT or dport OP PORT )".
 */
static int host_term(struct flt_parser *p, struct flt_node **out)
{
	const struct flt_token *kw = flt_peek(p), *t;
	size_t from = p->pos;
	int either = kw->kind == TK_PORT;
	int is_port = either || kw->kind == TK_SPORT || kw->kind == TK_DPORT;
	int src = kw->kind == TK_SRC || kw->kind == TK_SPORT || either;
	enum flt_tok op = TK_EQ;
	enum flt_kind kind;
	struct flt_node *n;
	char after[96];
	int ret, negate = 0;

	p->pos++;
	if (flt_peek(p)->kind == TK_EQ ||
	    (is_port &&
	     (flt_peek(p)->kind == TK_GEQ || flt_peek(p)->kind == TK_LEQ ||
	      flt_peek(p)->kind == TK_GT || flt_peek(p)->kind == TK_LT ||
	      flt_peek(p)->kind == TK_NEQ)))
		op = p->lx->tok[p->pos++].kind;
	else if (flt_peek(p)->kind >= TK_GEQ && flt_peek(p)->kind <= TK_LT)
		return flt_fail_next(p,
				     "'%s' compares only ports: after src and "
				     "dst comes '=' or nothing",
				     flt_peek(p)->text);
	ret = flt_operand(p, from, is_port ? "a port" : "an address", &t);
	if (ret)
		return ret;
	switch (op) {
	case TK_GEQ:
		kind = src ? FLT_S_GE : FLT_D_GE;
		break;
	case TK_LEQ:
		kind = src ? FLT_S_LE : FLT_D_LE;
		break;
	case TK_GT: /* not <= */
		kind = src ? FLT_S_LE : FLT_D_LE;
		negate = 1;
		break;
	case TK_LT: /* not >= */
		kind = src ? FLT_S_GE : FLT_D_GE;
		negate = 1;
		break;
	case TK_NEQ:
		negate = 1;
		/* fall through */
	default:
		kind = src ? FLT_SCOND : FLT_DCOND;
		break;
	}
	p->pos--;
	flt_term_words(p, from, after, sizeof(after));
	p->pos++;
	ret = flt_port_node(p, t, kind, is_port, after, &n);
	if (!ret && either)
		ret = either_side(p, t, kind, after, &n);
	if (ret)
		return ret;
	if (negate && !(n = flt_node(FLT_NOT, n, NULL)))
		return -ENOMEM;
	*out = n;
	return 0;
}

/* dev, fwmark, cgroup: ["=" | "!="] WORD. */
static int word_term(struct flt_parser *p, struct flt_node **out)
{
	enum flt_tok kw = flt_peek(p)->kind;
	const struct flt_token *t;
	size_t from = p->pos;
	struct flt_node *n;
	int ret, negate = 0;

	p->pos++;
	if (flt_peek(p)->kind == TK_EQ) {
		p->pos++;
	} else if (flt_peek(p)->kind == TK_NEQ) {
		p->pos++;
		negate = 1;
	}
	ret = flt_operand(p, from,
			  kw == TK_DEV	    ? "a device"
			  : kw == TK_FWMARK ? "a mark"
					    : "a cgroup path",
			  &t);
	if (ret)
		return ret;
	n = flt_node(kw == TK_DEV      ? FLT_DEV
		     : kw == TK_FWMARK ? FLT_MARK
				       : FLT_CGROUP,
		     NULL, NULL);
	if (!n)
		return -ENOMEM;
	if (kw == TK_DEV) {
		ret = flt_parse_dev(p, t, &n->ifindex);
		p->f->user_only = 1;
	} else if (kw == TK_FWMARK)
		ret = flt_parse_mark(p, t, &n->mark, &n->mask);
	else
		ret = flt_parse_cgroup(p, t, &n->cgroup_id);
	if (ret) {
		flt_node_free(n);
		return ret;
	}
	if (negate && !(n = flt_node(FLT_NOT, n, NULL)))
		return -ENOMEM;
	*out = n;
	return 0;
}

static int exprlist(struct flt_parser *p, struct flt_node **out);

static int expr(struct flt_parser *p, const char *after, struct flt_node **out)
{
	const struct flt_token *t = flt_peek(p);
	struct flt_node *n = NULL;
	int ret;

	if (++p->depth > MAX_DEPTH || ++p->nterms > MAX_TERMS)
		return flt_fail_next(p, "the expression is too big (%s)",
				     "200 levels of nesting and 4096 terms at "
				     "most");
	switch (t->kind) {
	case TK_LPAREN: {
		unsigned int src = t->src, col = t->column;

		p->pos++;
		ret = exprlist(p, &n);
		if (ret)
			break;
		if (flt_peek(p)->kind != TK_RPAREN) {
			flt_node_free(n);
			p->depth--;
			return flt_fail_next(p,
					     "expected ')' to close the '(' "
					     "of column %u%s",
					     col, src ? " of its line" : "");
		}
		p->pos++;
		break;
	}
	case TK_NOT: {
		char what[16];

		snprintf(what, sizeof(what), "'%s'", t->text);
		p->pos++;
		ret = expr(p, what, &n);
		if (!ret && !(n = flt_node(FLT_NOT, n, NULL)))
			ret = -ENOMEM;
		break;
	}
	case TK_DST:
	case TK_SRC:
	case TK_DPORT:
	case TK_SPORT:
		ret = host_term(p, &n);
		break;
	case TK_PORT:
		ret = flt_port_range_term(p, &n);
		if (ret == -ENOENT)
			ret = host_term(p, &n);
		break;
	case TK_DEV:
	case TK_FWMARK:
	case TK_CGROUP:
		ret = word_term(p, &n);
		break;
	case TK_AUTOBOUND:
		p->pos++;
		n = flt_node(FLT_AUTO, NULL, NULL);
		ret = n ? 0 : -ENOMEM;
		break;
	case TK_WORD:
		ret = flt_word_term(p, &n);
		if (ret == -ENOENT)
			ret = flt_fail_next(p,
					    "unknown word '%s' (expected src, "
					    "dst, sport, dport, port, host, "
					    "net, dev, fwmark, cgroup, "
					    "autobound, state, netns, "
					    "container, not or '(')",
					    t->text);
		break;
	case TK_END:
		ret = flt_fail_next(p, "expected an expression after %s",
				    after);
		break;
	default:
		ret = flt_fail_next(p, "unexpected '%s'", t->text);
		break;
	}
	p->depth--;
	if (!ret)
		*out = n;
	return ret;
}

static int exprlist(struct flt_parser *p, struct flt_node **out)
{
	struct flt_node *left = NULL, *right = NULL;
	int ret;

	ret = expr(p, p->pos ? "'('" : "the state words", &left);
	while (!ret) {
		const struct flt_token *t = flt_peek(p);
		enum flt_kind kind = FLT_AND;
		char after[16];

		if (t->kind == TK_OR || t->kind == TK_AND) {
			kind = t->kind == TK_OR ? FLT_OR : FLT_AND;
			snprintf(after, sizeof(after), "'%s'", t->text);
			p->pos++;
		} else if (starts_expr(t->kind) || flt_word_starts(p, t)) {
			snprintf(after, sizeof(after), "it");
		} else {
			break;
		}
		ret = expr(p, after, &right);
		if (ret)
			break;
		left = flt_node(kind, left, right);
		if (!left)
			return -ENOMEM;
	}
	if (ret) {
		flt_node_free(left);
		return ret;
	}
	*out = left;
	return 0;
}

/* ss's is_ephemeral(): the range, or 1024-4999 when it cannot be read. */
static void read_ephemeral(struct tulpen_filter *f, const char *proc_root)
{
	char path[4096], line[64], *sp;
	long long lo, hi;
	FILE *fp;

	f->eph_lo = 1024;
	f->eph_hi = 4999;
	snprintf(path, sizeof(path), "%s/sys/net/ipv4/ip_local_port_range",
		 proc_root ? proc_root : "/proc");
	fp = fopen(path, "re");
	if (!fp)
		return;
	if (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		sp = strpbrk(line, " \t");
		if (sp) {
			*sp++ = '\0';
			sp += strspn(sp, " \t");
			if (!flt_number(line, 0, 65535, &lo) &&
			    !flt_number(sp, 0, 65535, &hi)) {
				f->eph_lo = (unsigned int)lo;
				f->eph_hi = (unsigned int)hi;
			}
		}
	}
	fclose(fp);
}

int tulpen_filter_parse(int argc, const char *const *argv,
			const char *file_text,
			const struct tulpen_filter_opts *opts,
			struct tulpen_filter **out,
			struct tulpen_filter_error *err)
{
	struct flt_parser p = { 0 };
	struct flt_lexed lx;
	struct tulpen_filter *f;
	int ret;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	ret = flt_lex(argc, argv, file_text, &lx, err);
	if (ret)
		return ret;
	if (!lx.ntok) {
		flt_lex_free(&lx);
		return 0;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		flt_lex_free(&lx);
		return -ENOMEM;
	}
	p.lx = &lx;
	p.opts = opts;
	p.family = opts->family;
	p.err = err;
	p.f = f;
	ret = exprlist(&p, &f->root);
	if (!ret && p.pos < lx.ntok) {
		const struct flt_token *t = flt_peek(&p);

		if (t->kind == TK_RPAREN)
			ret = flt_fail_next(&p,
					    "unexpected '%s' (no '(' to close)",
					    t->text);
		else
			ret = flt_fail_next(&p, "unexpected '%s'", t->text);
		flt_node_free(f->root);
		f->root = NULL;
	}
	if (ret == -ENOMEM)
		flt_error(err, NULL, 0, 1, "out of memory");
	tulpen_services_free(p.own_svc);
	flt_lex_free(&lx);
	if (ret) {
		free(f);
		return ret;
	}
	read_ephemeral(f, opts->proc_root);
	*out = f;
	return 0;
}

void tulpen_filter_free(struct tulpen_filter *f)
{
	if (!f)
		return;
	flt_node_free(f->root);
	free(f);
}

uint32_t tulpen_filter_families(const struct tulpen_filter *f)
{
	return f ? f->families : 0;
}
