// SPDX-License-Identifier: MIT
/*
 * procstat.c - the kernel's counter files (procstat.h): netstat and snmp
 * come in pairs of lines whose names and values are walked side by side;
 * a malformed pair (other section, fewer values) ends its walk there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/procstat.h"

int tulpen_procstat_u64(const char *s, size_t len, uint64_t *out)
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

int tulpen_procstat_i64(const char *s, size_t len, int64_t *out)
{
	uint64_t v;
	int neg = len && s[0] == '-';

	if (tulpen_procstat_u64(s + neg, len - (size_t)neg, &v))
		return -EINVAL;
	if (v > (uint64_t)INT64_MAX)
		return -ERANGE;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

int tulpen_counter_is(const struct tulpen_counter *c, const char *sec,
		      const char *key)
{
	return strlen(sec) == c->seclen && !memcmp(sec, c->sec, c->seclen) &&
	       strlen(key) == c->keylen && !memcmp(key, c->key, c->keylen);
}

/* The next space-separated token of [*p, end): its start and length. */
static int next_token(const char **p, const char *end, const char **tok,
		      size_t *len)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= end)
		return 0;
	*tok = s;
	while (s < end && *s != ' ' && *s != '\t')
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
static void walk_pair(const char *n, const char *nend, const char *v,
		      const char *vend, tulpen_counter_cb cb, void *data)
{
	const char *colon = memchr(n, ':', (size_t)(nend - n));
	struct tulpen_counter c;

	if (!colon)
		return;
	c.sec = n;
	c.seclen = (size_t)(colon - n);
	if ((size_t)(vend - v) <= c.seclen || memcmp(n, v, c.seclen + 1))
		return; /* not the same section: a malformed file */
	n = colon + 1;
	v += c.seclen + 1;
	while (next_token(&n, nend, &c.key, &c.keylen)) {
		if (!next_token(&v, vend, &c.val, &c.vallen))
			return;
		cb(&c, data);
	}
}

void tulpen_procstat_pairs(const char *text, size_t len, tulpen_counter_cb cb,
			   void *data)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nend = line_end(p, end), *v, *vend;

		if (nend >= end)
			return;
		v = nend + 1;
		vend = line_end(v, end);
		walk_pair(p, nend, v, vend, cb, data);
		p = vend < end ? vend + 1 : end;
	}
}

void tulpen_procstat_lines(const char *text, size_t len, tulpen_counter_cb cb,
			   void *data)
{
	const char *p = text, *end = text + len;
	struct tulpen_counter c = { .sec = "", .seclen = 0 };

	while (p < end) {
		const char *le = line_end(p, end);

		if (next_token(&p, le, &c.key, &c.keylen) &&
		    next_token(&p, le, &c.val, &c.vallen))
			cb(&c, data);
		p = le < end ? le + 1 : end;
	}
}

void tulpen_procstat_sockstat(const char *text, size_t len,
			      tulpen_counter_cb cb, void *data)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *le = line_end(p, end);
		const char *colon = memchr(p, ':', (size_t)(le - p));
		struct tulpen_counter c;

		if (colon) {
			c.sec = p;
			c.seclen = (size_t)(colon - p);
			p = colon + 1;
			while (next_token(&p, le, &c.key, &c.keylen) &&
			       next_token(&p, le, &c.val, &c.vallen))
				cb(&c, data);
		}
		p = le < end ? le + 1 : end;
	}
}

ssize_t tulpen_procstat_read_fd(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t r;

	if (!size) {
		close(fd);
		return -EINVAL;
	}
	while (len < size - 1) {
		r = read(fd, buf + len, size - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

ssize_t tulpen_procstat_read(const char *root, const char *rel, char *buf,
			     size_t size)
{
	char path[4096];
	int fd;

	if (!size)
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return tulpen_procstat_read_fd(fd, buf, size);
}

int tulpen_procstat_numbers(const char *text, size_t len, uint64_t *v,
			    size_t max)
{
	const char *p = text, *end = text + len, *t;
	size_t n = 0, tl;

	while (end > p &&
	       (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (memchr(p, '\n', (size_t)(end - p)))
		return -EINVAL;
	while (next_token(&p, end, &t, &tl)) {
		if (n == max || tulpen_procstat_u64(t, tl, &v[n]))
			return -EINVAL;
		n++;
	}
	return (int)n;
}
