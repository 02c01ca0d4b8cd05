/* SPDX-License-Identifier: MIT */
/*
 * filter_lex.h - the words of a filter expression, with where they were
 * typed. Not installed.
 */
#ifndef TULPEN_FILTER_LEX_H
#define TULPEN_FILTER_LEX_H

#include <stddef.h>
#include "tulpen/filter.h"

/* Token kinds: ss's lexer, word for word. */
enum flt_tok {
	TK_END = 0,
	TK_NOT, /* ! not */
	TK_AND, /* & && and */
	TK_OR,	/* | || or */
	TK_LPAREN,
	TK_RPAREN,
	TK_DST,
	TK_SRC,
	TK_DPORT,
	TK_SPORT,
	TK_PORT, /* tulpen's: either side (not in ss) */
	TK_DEV,
	TK_FWMARK,
	TK_CGROUP,
	TK_GEQ, /* >= ge geq */
	TK_LEQ, /* <= le leq */
	TK_NEQ, /* != ne neq */
	TK_EQ,	/* = == eq */
	TK_GT,	/* > gt */
	TK_LT,	/* < lt */
	TK_AUTOBOUND,
	TK_WORD, /* anything else: an operand */
};

struct flt_token {
	enum flt_tok kind;
	char *text;	     /* unescaped, NUL-terminated */
	unsigned int src;    /* index into flt_lexed.lines */
	unsigned int column; /* 1-based, in that line */
	unsigned int end;    /* column just after the token */
};

struct flt_line {
	char *text;	   /* as echoed */
	unsigned int line; /* 0: command line, else the file's line number */
};

struct flt_lexed {
	struct flt_token *tok;
	size_t ntok;
	struct flt_line *lines;
	size_t nlines;
};

/*
 * Split @argv and then @file_text into tokens. Returns 0, -ENOMEM, or
 * -EINVAL with @err set (a line of the file too long).
 */
int flt_lex(int argc, const char *const *argv, const char *file_text,
	    struct flt_lexed *out, struct tulpen_filter_error *err);
void flt_lex_free(struct flt_lexed *lx);

/* The source text of a token kind, for messages ("'sport'"). */
const char *flt_tok_name(enum flt_tok k);

/*
 * Fill @err: @fmt and its arguments, pointing at @column of line @src of
 * @lx. Returns -EINVAL.
 */
int flt_error(struct tulpen_filter_error *err, const struct flt_lexed *lx,
	      unsigned int src, unsigned int column, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif /* TULPEN_FILTER_LEX_H */
