// SPDX-License-Identifier: MIT
/*
 * buf.c - the growable output buffer every back end writes into.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/fmt.h"

int tulpen_buf_init(struct tulpen_buf *b, size_t flush_at, tulpen_sink_fn sink,
		    void *sink_priv)
{
	memset(b, 0, sizeof(*b));
	b->sink = sink;
	b->sink_priv = sink_priv;
	b->flush_at = flush_at ? flush_at : 256 * 1024;
	b->cap = sink ? b->flush_at + 4096 : 4096;
	b->data = malloc(b->cap);
	if (!b->data)
		return -ENOMEM;
	return 0;
}

void tulpen_buf_fini(struct tulpen_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int tulpen_buf_flush(struct tulpen_buf *b)
{
	int ret;

	if (b->err)
		return b->err;
	if (!b->sink || !b->len)
		return 0;
	ret = b->sink(b->sink_priv, b->data, b->len);
	b->len = 0;
	if (ret < 0)
		b->err = ret;
	return ret < 0 ? ret : 0;
}

/* Make room for @n more bytes (plus a NUL). */
static int reserve(struct tulpen_buf *b, size_t n)
{
	size_t want;
	char *p;

	if (b->err)
		return b->err;
	if (b->len + n + 1 <= b->cap)
		return 0;
	if (b->sink && b->len) {
		if (tulpen_buf_flush(b))
			return b->err;
		if (n + 1 <= b->cap)
			return 0;
	}
	want = b->cap ? b->cap : 4096;
	while (want < b->len + n + 1) {
		if (want > ((size_t)-1) / 2) {
			b->err = -ENOMEM;
			return b->err;
		}
		want *= 2;
	}
	p = realloc(b->data, want);
	if (!p) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->data = p;
	b->cap = want;
	return 0;
}

static int maybe_flush(struct tulpen_buf *b)
{
	if (b->sink && b->len >= b->flush_at)
		return tulpen_buf_flush(b);
	return b->err;
}

int tulpen_buf_put(struct tulpen_buf *b, const char *s, size_t n)
{
	if (reserve(b, n))
		return b->err;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return maybe_flush(b);
}

int tulpen_buf_puts(struct tulpen_buf *b, const char *s)
{
	return tulpen_buf_put(b, s, strlen(s));
}

int tulpen_buf_putc(struct tulpen_buf *b, char c)
{
	if (reserve(b, 1))
		return b->err;
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
	return maybe_flush(b);
}

int tulpen_buf_pad(struct tulpen_buf *b, char c, size_t n)
{
	if (!n)
		return b->err;
	if (reserve(b, n))
		return b->err;
	memset(b->data + b->len, c, n);
	b->len += n;
	b->data[b->len] = '\0';
	return maybe_flush(b);
}

int tulpen_buf_printf(struct tulpen_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if (reserve(b, (size_t)n))
		return b->err;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return maybe_flush(b);
}

/* tulpen_buf_u64(), _i64() and _fixed() are in lib/fmt/number.c. */

int tulpen_buf_json_str(struct tulpen_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;

	if (tulpen_buf_putc(b, '"'))
		return b->err;
	for (; *p; p++) {
		char esc[6];
		size_t n = 2;

		if (*p >= 0x20 && *p != '"' && *p != '\\' && *p != 0x7f)
			continue;
		if (p > run &&
		    tulpen_buf_put(b, (const char *)run, (size_t)(p - run)))
			return b->err;
		esc[0] = '\\';
		switch (*p) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			n = 6;
		}
		if (tulpen_buf_put(b, esc, n))
			return b->err;
		run = p + 1;
	}
	if (p > run && tulpen_buf_put(b, (const char *)run, (size_t)(p - run)))
		return b->err;
	return tulpen_buf_putc(b, '"');
}

int tulpen_buf_wrap(struct tulpen_buf *b, size_t indent, size_t hang,
		    size_t width, const char *text, size_t keep)
{
	size_t col = 0, total = strlen(text);
	const char *p = text, *end = text + total;
	const char *glue = keep && keep < total ? end - keep : NULL;

	while (p < end) {
		const char *w = p;
		size_t len;

		if (glue && p >= glue)
			p = end; /* the kept tail is one word */
		else
			while (p < end && *p != ' ')
				p++;
		len = (size_t)(p - w);
		if (col && col + 1 + len > width) {
			tulpen_buf_putc(b, '\n');
			col = 0;
			tulpen_buf_pad(b, ' ', hang);
			col = hang;
		} else if (!col) {
			tulpen_buf_pad(b, ' ', indent);
			col = indent;
		} else {
			tulpen_buf_putc(b, ' ');
			col++;
		}
		tulpen_buf_put(b, w, len);
		col += len;
		while (p < end && *p == ' ')
			p++;
	}
	return tulpen_buf_putc(b, '\n');
}
