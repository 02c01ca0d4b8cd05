/* SPDX-License-Identifier: MIT */
/*
 * filter_terms.h - the operands of the filter language (addresses, ports,
 * devices, marks, cgroups), read as ss reads them. Not installed.
 */
#ifndef TULPEN_FILTER_TERMS_H
#define TULPEN_FILTER_TERMS_H

#include "filter/filter_internal.h"
#include "filter/filter_lex.h"

struct flt_parser {
	const struct flt_lexed *lx;
	size_t pos;
	const struct tulpen_filter_opts *opts;
	struct tulpen_filter_error *err;
	struct tulpen_filter *f;
	unsigned int depth, nterms;
	int family; /* ss's preferred family: an address term sets it */
	struct tulpen_services *own_svc; /* opts->services_file, once read */
};

/*
 * An address and/or port operand @t (of src/dst when !@is_port, of
 * sport/dport otherwise), after the words @after ("'sport ='"). Returns 0,
 * -EINVAL/-ETIMEDOUT with the error set, or -ENOMEM.
 */
int flt_parse_host(struct flt_parser *p, const struct flt_token *t, int is_port,
		   const char *after, struct flt_host *h);
int flt_parse_dev(struct flt_parser *p, const struct flt_token *t,
		  uint32_t *ifindex);
int flt_parse_mark(struct flt_parser *p, const struct flt_token *t,
		   uint32_t *mark, uint32_t *mask);
int flt_parse_cgroup(struct flt_parser *p, const struct flt_token *t,
		     uint64_t *id);

/*
 * The parser's own steps, shared with filter_words.c: the next token; an
 * error at it; a new node (frees @a and @b when out of memory); the next
 * token as the operand @what of the term begun at token @from; the words of
 * the term so far, quoted; a host or port condition node of @kind.
 */
const struct flt_token *flt_peek(struct flt_parser *p);
int flt_fail_next(struct flt_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct flt_node *flt_node(enum flt_kind kind, struct flt_node *a,
			  struct flt_node *b);
int flt_operand(struct flt_parser *p, size_t from, const char *what,
		const struct flt_token **t);
void flt_term_words(struct flt_parser *p, size_t from, char *buf, size_t size);
int flt_port_node(struct flt_parser *p, const struct flt_token *t,
		  enum flt_kind kind, int is_port, const char *after,
		  struct flt_node **out);

/*
 * A tulpen word at the parser's position (host, net, state, netns,
 * container; and in captures client/server, conn-state, midstream,
 * reset, closed, open) as a node in *@out. Returns 0, -ENOENT when the
 * word is none of them (nothing consumed), -EINVAL with the error set, or
 * -ENOMEM.
 */
int flt_word_term(struct flt_parser *p, struct flt_node **out);
/* Whether @t begins such a term; whether command line word @word does. */
int flt_word_starts(const struct flt_parser *p, const struct flt_token *t);
int flt_word_begins_expr(const char *word);
/*
 * At "port": "port N-M" as (sport >= N and sport <= M) or the same of
 * dport, in *@out. Returns -ENOENT (nothing consumed) when the operand is
 * no range, else as flt_word_term().
 */
int flt_port_range_term(struct flt_parser *p, struct flt_node **out);

/*
 * A number as ss's get_integer() reads it (strtol, base 0: 22, 0x16, 026),
 * the whole string. Returns 0 or -EINVAL.
 */
int flt_number(const char *s, long long lo, long long hi, long long *out);

#endif /* TULPEN_FILTER_TERMS_H */
