// SPDX-License-Identifier: MIT
/*
 * filter_lex.c - split a filter expression into ss's tokens.
 *
 * As ss does: the command line words come first, then the lines of the -F
 * file; words are split at spaces and tabs only (so "(" must stand alone),
 * a backslash takes the next character literally, and a keyword is a
 * keyword wherever it stands. The command line words are echoed joined
 * with single spaces, so a column points into what the user typed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter_lex.h"
#include "filter/filter_terms.h"

static const struct {
	const char *word;
	enum flt_tok kind;
} keywords[] = {
	{ "!", TK_NOT },
	{ "not", TK_NOT },
	{ "&", TK_AND },
	{ "&&", TK_AND },
	{ "and", TK_AND },
	{ "|", TK_OR },
	{ "||", TK_OR },
	{ "or", TK_OR },
	{ "(", TK_LPAREN },
	{ ")", TK_RPAREN },
	{ "dst", TK_DST },
	{ "src", TK_SRC },
	{ "dport", TK_DPORT },
	{ "sport", TK_SPORT },
	{ "port", TK_PORT },
	{ "dev", TK_DEV },
	{ "fwmark", TK_FWMARK },
	{ "cgroup", TK_CGROUP },
	{ ">=", TK_GEQ },
	{ "ge", TK_GEQ },
	{ "geq", TK_GEQ },
	{ "<=", TK_LEQ },
	{ "le", TK_LEQ },
	{ "leq", TK_LEQ },
	{ "!=", TK_NEQ },
	{ "ne", TK_NEQ },
	{ "neq", TK_NEQ },
	{ "=", TK_EQ },
	{ "==", TK_EQ },
	{ "eq", TK_EQ },
	{ ">", TK_GT },
	{ "gt", TK_GT },
	{ "<", TK_LT },
	{ "lt", TK_LT },
	{ "autobound", TK_AUTOBOUND },
};

const char *flt_tok_name(enum flt_tok k)
{
	size_t i;

	if (k == TK_END)
		return "end of the expression";
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (keywords[i].kind == k)
			return keywords[i].word;
	return "word";
}

static enum flt_tok classify(const char *w)
{
	size_t i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcmp(keywords[i].word, w))
			return keywords[i].kind;
	return TK_WORD;
}

int flt_error(struct tulpen_filter_error *err, const struct flt_lexed *lx,
	      unsigned int src, unsigned int column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->text[0] = '\0';
	err->line = 0;
	if (lx && src < lx->nlines) {
		snprintf(err->text, sizeof(err->text), "%s",
			 lx->lines[src].text);
		err->line = lx->lines[src].line;
	}
	err->column = column ? column : 1;
	return -EINVAL;
}

static int push_line(struct flt_lexed *lx, const char *text, size_t len,
		     unsigned int line)
{
	struct flt_line *l;
	char *copy;

	l = realloc(lx->lines, (lx->nlines + 1) * sizeof(*l));
	if (!l)
		return -ENOMEM;
	lx->lines = l;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	l[lx->nlines].text = copy;
	l[lx->nlines].line = line;
	lx->nlines++;
	return 0;
}

static int push_token(struct flt_lexed *lx, const char *s, size_t len,
		      unsigned int src, unsigned int col, unsigned int end)
{
	struct flt_token *t;
	char *text;
	size_t i, n = 0;

	t = realloc(lx->tok, (lx->ntok + 1) * sizeof(*t));
	if (!t)
		return -ENOMEM;
	lx->tok = t;
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		if (s[i] == '\\') {
			if (++i == len)
				break; /* a trailing backslash is dropped */
		}
		text[n++] = s[i];
	}
	text[n] = '\0';
	t[lx->ntok].kind = classify(text);
	t[lx->ntok].text = text;
	t[lx->ntok].src = src;
	t[lx->ntok].column = col;
	t[lx->ntok].end = end;
	lx->ntok++;
	return 0;
}

/* Tokens of @s (a command line word or a file line) at @base (0-based). */
static int split(struct flt_lexed *lx, const char *s, unsigned int src,
		 unsigned int base)
{
	size_t i = 0, start;
	int ret;

	for (;;) {
		while (s[i] == ' ' || s[i] == '\t')
			i++;
		if (!s[i])
			return 0;
		start = i;
		while (s[i] && s[i] != ' ' && s[i] != '\t') {
			if (s[i] == '\\' && s[i + 1])
				i++;
			i++;
		}
		ret = push_token(lx, s + start, i - start, src,
				 base + (unsigned int)start + 1,
				 base + (unsigned int)i + 1);
		if (ret)
			return ret;
	}
}

static int lex_argv(struct flt_lexed *lx, int argc, const char *const *argv)
{
	size_t total = 0, off = 0;
	char *joined;
	int i, ret;

	for (i = 0; i < argc; i++)
		total += strlen(argv[i]) + 1;
	joined = malloc(total + 1);
	if (!joined)
		return -ENOMEM;
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (i)
			joined[off++] = ' ';
		memcpy(joined + off, argv[i], n);
		off += n;
	}
	joined[off] = '\0';
	ret = push_line(lx, joined, off, 0);
	free(joined);
	if (ret)
		return ret;
	for (i = 0, off = 0; i < argc; i++) {
		ret = split(lx, argv[i], 0, (unsigned int)off);
		if (ret)
			return ret;
		off += strlen(argv[i]) + 1;
	}
	return 0;
}

/* The -F file: lines as ss reads them (1022 characters at most). */
static int lex_file(struct flt_lexed *lx, const char *text,
		    struct tulpen_filter_error *err)
{
	unsigned int lineno = 0;
	const char *p = text;
	int ret;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		lineno++;
		ret = push_line(lx, p, len, lineno);
		if (ret)
			return ret;
		if (len >= 1022)
			return flt_error(err, lx, (unsigned int)lx->nlines - 1,
					 1023,
					 "line %u of the filter file "
					 "is too long (1022 characters at "
					 "most)",
					 lineno);
		/* ss skips lines that start with '#', and with '0' */
		if (len && p[0] != '#' && p[0] != '0') {
			ret = split(lx, lx->lines[lx->nlines - 1].text,
				    (unsigned int)lx->nlines - 1, 0);
			if (ret)
				return ret;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

int flt_lex(int argc, const char *const *argv, const char *file_text,
	    struct flt_lexed *out, struct tulpen_filter_error *err)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = lex_argv(out, argc, argv);
	if (!ret && file_text)
		ret = lex_file(out, file_text, err);
	if (ret) {
		if (ret == -ENOMEM)
			flt_error(err, NULL, 0, 1, "out of memory");
		flt_lex_free(out);
	}
	return ret;
}

void flt_lex_free(struct flt_lexed *lx)
{
	size_t i;

	for (i = 0; i < lx->ntok; i++)
		free(lx->tok[i].text);
	for (i = 0; i < lx->nlines; i++)
		free(lx->lines[i].text);
	free(lx->tok);
	free(lx->lines);
	memset(lx, 0, sizeof(*lx));
}

int tulpen_filter_starts_expr(const char *word)
{
	char tok[16];
	size_t n;

	word += strspn(word, " \t");
	n = strcspn(word, " \t");
	if (!n || n >= sizeof(tok))
		return 0;
	memcpy(tok, word, n);
	tok[n] = '\0';
	switch (classify(tok)) {
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
	case TK_WORD:
		return flt_word_begins_expr(tok);
	default:
		return 0;
	}
}
