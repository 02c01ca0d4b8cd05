// SPDX-License-Identifier: MIT
/*
 * kcounters.c - the parsers of the kernel's counter files (netstat, snmp,
 * sockstat) and of sysctl files holding a few numbers. One parser, shared
 * by tulpen serve's metrics and tulpen doctor.
 */
#include <errno.h>
#include <string.h>

#include "tulpen/kcounters.h"

/* A whole token of decimal digits, no sign; 0 or -EINVAL/-ERANGE. */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!len || len > 20)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned int d = (unsigned char)s[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The next blank-separated token of [*p, end): its start and length. */
static int next_token(const char **p, const char *end, const char **tok,
		      size_t *len)
{
	const char *s = *p;

	while (s < end && is_blank(*s))
		s++;
	if (s >= end)
		return 0;
	*tok = s;
	while (s < end && !is_blank(*s))
		s++;
	*len = (size_t)(s - *tok);
	*p = s;
	return 1;
}

static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

/* One "Section: names" line and its "Section: values" line. */
static void parse_pair(const char *n, const char *nend, const char *v,
		       const char *vend, tulpen_kcounter_cb cb, void *data)
{
	const char *colon = memchr(n, ':', (size_t)(nend - n));
	const char *sec = n, *nt, *vt;
	size_t seclen, nl, vl;
	uint64_t val;

	if (!colon)
		return;
	seclen = (size_t)(colon - n);
	if ((size_t)(vend - v) <= seclen || memcmp(n, v, seclen + 1))
		return; /* not the same section: a malformed file */
	n = colon + 1;
	v += seclen + 1;
	while (next_token(&n, nend, &nt, &nl)) {
		if (!next_token(&v, vend, &vt, &vl))
			return;
		if (parse_u64(vt, vl, &val))
			continue;
		cb(sec, seclen, nt, nl, val, data);
	}
}

void tulpen_kcounters_parse(const char *text, size_t len, tulpen_kcounter_cb cb,
			    void *data)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nend = line_end(p, end), *v, *vend;

		if (nend >= end)
			return;
		v = nend + 1;
		vend = line_end(v, end);
		parse_pair(p, nend, v, vend, cb, data);
		p = vend < end ? vend + 1 : end;
	}
}

static int token_is(const char *t, size_t tl, const char *word)
{
	return tl == strlen(word) && !memcmp(t, word, tl);
}

int tulpen_sockstat_parse(const char *text, size_t len,
			  struct tulpen_sockstat *out)
{
	const char *p = text, *end = text + len, *t, *vt;
	struct tulpen_sockstat st;
	size_t tl, vl;
	uint64_t v;
	int seen = 0;

	memset(&st, 0, sizeof(st));
	while (p < end) {
		const char *le = line_end(p, end);

		if (le - p > 4 && !memcmp(p, "TCP: ", 5)) {
			p += 5;
			while (next_token(&p, le, &t, &tl) &&
			       next_token(&p, le, &vt, &vl)) {
				if (parse_u64(vt, vl, &v))
					return -EINVAL;
				if (token_is(t, tl, "inuse"))
					st.inuse = v;
				else if (token_is(t, tl, "tw"))
					st.tw = v;
				else if (token_is(t, tl, "alloc"))
					st.alloc = v;
				if (token_is(t, tl, "orphan")) {
					st.orphan = v;
					seen |= 1;
				} else if (token_is(t, tl, "mem")) {
					st.mem_pages = v;
					seen |= 2;
				}
			}
			break;
		}
		p = le < end ? le + 1 : end;
	}
	if (seen != 3)
		return -EINVAL;
	*out = st;
	return 0;
}

int tulpen_kcounters_numbers(const char *text, size_t len, uint64_t *v,
			     size_t max)
{
	const char *p = text, *end = text + len, *t;
	size_t n = 0, tl;

	while (end > p && (end[-1] == '\n' || is_blank(end[-1])))
		end--;
	while (next_token(&p, end, &t, &tl)) {
		if (n == max || parse_u64(t, tl, &v[n]))
			return -EINVAL;
		n++;
	}
	return (int)n;
}
