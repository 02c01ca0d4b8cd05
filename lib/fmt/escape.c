// SPDX-License-Identifier: MIT
/*
 * escape.c - the one escape for names and paths in text output
 * (tulpen/fmt.h, docs/escape.md).
 *
 * A UNIX socket path, a process name, a cgroup path or a namespace name is
 * chosen by whoever made it: printed raw, a newline in it prints a row that
 * does not exist and an ESC sequence reaches the terminal. Every text layout
 * prints such strings through here; JSON strings are escaped by JSON.
 *
 * The rules (reversible: tulpen_unescape() gives the bytes back):
 * - a backslash becomes two;
 * - printable ASCII (0x20 to 0x7e) but the double quote (which ss's
 *   users:(("name",...)) quotes names with) and well-formed UTF-8 of a
 * character from U+00A0 up are copied, except the characters that reorder or
 * break lines (U+061C, U+200E, U+200F, U+2028 to U+202E, U+2066 to U+2069);
 * - every other byte (control characters, DEL, C1 controls, bytes that are
 *   not well-formed UTF-8, the characters above) becomes \ooo, three octal
 *   digits, as `ls -b` and ss's own escapes write it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "tulpen/fmt.h"

/*
 * The length of the well-formed UTF-8 sequence at @p (at most @n bytes)
 * whose character may be shown, or 0.
 */
static size_t utf8_ok(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0; /* overlong, out of range, a surrogate */
	if (cp < 0xa0 || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return 0; /* C1 controls; line breaks and direction marks */
	return len;
}

/*
 * The escaped form of the next item of @s (@n bytes left): copied bytes
 * (*@copy set, the length returned) or an escape written to @esc.
 */
static size_t next_item(const unsigned char *s, size_t n, char esc[4],
			int *copy)
{
	size_t k;

	*copy = 1;
	if (s[0] >= 0x20 && s[0] < 0x7f && s[0] != '\\' && s[0] != '"')
		return 1;
	if (s[0] >= 0x80 && (k = utf8_ok(s, n)))
		return k;
	*copy = 0;
	esc[0] = '\\';
	esc[1] = '\\';
	if (s[0] == '\\')
		return 2;
	esc[1] = (char)('0' + (s[0] >> 6));
	esc[2] = (char)('0' + ((s[0] >> 3) & 7));
	esc[3] = (char)('0' + (s[0] & 7));
	return 4;
}

size_t tulpen_escape(char *out, size_t size, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), n = 0;

	if (!size)
		return 0;
	while (left) {
		char esc[4];
		int copy;
		size_t k = next_item(p, left, esc, &copy);

		if (n + k >= size)
			break; /* whole items only */
		if (copy) {
			memcpy(out + n, p, k);
			p += k;
			left -= k;
		} else {
			memcpy(out + n, esc, k);
			p++;
			left--;
		}
		n += k;
	}
	out[n] = '\0';
	return n;
}

int tulpen_buf_escaped(struct tulpen_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);

	while (left && !b->err) {
		const unsigned char *run = p;
		char esc[4];
		int copy;
		size_t k;

		while (left && (k = next_item(p, left, esc, &copy)) && copy) {
			p += k;
			left -= k;
		}
		if (p > run)
			tulpen_buf_put(b, (const char *)run, (size_t)(p - run));
		if (!left)
			break;
		tulpen_buf_put(b, esc, k);
		p++;
		left--;
	}
	return b->err;
}

ssize_t tulpen_unescape(char *out, size_t size, const char *s)
{
	size_t n = 0;

	while (*s) {
		unsigned char c = (unsigned char)*s++;

		if (c == '\\') {
			if (*s == '\\') {
				s++;
			} else if (s[0] >= '0' && s[0] <= '3' && s[1] >= '0' &&
				   s[1] <= '7' && s[2] >= '0' && s[2] <= '7') {
				c = (unsigned char)((s[0] - '0') << 6 |
						    (s[1] - '0') << 3 |
						    (s[2] - '0'));
				s += 3;
			} else {
				return -EINVAL;
			}
		}
		if (n + 1 >= size)
			return -ENOSPC;
		out[n++] = (char)c;
	}
	if (!size)
		return -ENOSPC;
	out[n] = '\0';
	return (ssize_t)n;
}
