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
 * A number as ss's get_integer() reads it (strtol, base 0: 22, 0x16, 026),
 * the whole string. Returns 0 or -EINVAL.
 */
int flt_number(const char *s, long long lo, long long hi, long long *out);

#endif /* TULPEN_FILTER_TERMS_H */
