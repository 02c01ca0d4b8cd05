// SPDX-License-Identifier: MIT
/*
 * number.c - the library's one decimal formatter (tulpen/fmt.h): integers,
 * zero-padded integers and fixed-point decimals, by hand, since printf
 * costs more per socket than the kernel's dump itself. tulpen_buf_u64(),
 * the tables, the JSON writers and the reports all come here.
 */
#include <stdint.h>
#include <string.h>

#include "tulpen/fmt.h"
#include "fmt/fmt_internal.h"

/* "00" to "99": two digits per division. */
static const char digits2[201] = "00010203040506070809"
				 "10111213141516171819"
				 "20212223242526272829"
				 "30313233343536373839"
				 "40414243444546474849"
				 "50515253545556575859"
				 "60616263646566676869"
				 "70717273747576777879"
				 "80818283848586878889"
				 "90919293949596979899";

size_t tulpen_fmt_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp), n;

	while (v >= 100) {
		unsigned int r = (unsigned int)(v % 100);

		v /= 100;
		i -= 2;
		memcpy(tmp + i, digits2 + 2 * r, 2);
	}
	if (v >= 10) {
		i -= 2;
		memcpy(tmp + i, digits2 + 2 * v, 2);
	} else {
		tmp[--i] = (char)('0' + v);
	}
	n = sizeof(tmp) - i;
	memcpy(out, tmp + i, n);
	return n;
}

size_t tulpen_fmt_i64(char *out, int64_t v)
{
	if (v >= 0)
		return tulpen_fmt_u64(out, (uint64_t)v);
	out[0] = '-';
	return 1 + tulpen_fmt_u64(out + 1, (uint64_t)0 - (uint64_t)v);
}

size_t tulpen_fmt_u64_pad(char *out, uint64_t v, unsigned int width)
{
	char tmp[20];
	size_t n = tulpen_fmt_u64(tmp, v), pad;

	if (width > 20)
		width = 20;
	pad = width > n ? width - n : 0;
	memset(out, '0', pad);
	memcpy(out + pad, tmp, n);
	return pad + n;
}

size_t tulpen_fmt_fixed(char *out, int64_t v, unsigned int decimals)
{
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, p = 1;
	size_t n = 0;
	unsigned int i;

	if (decimals > 18)
		decimals = 18;
	for (i = 0; i < decimals; i++)
		p *= 10;
	if (v < 0)
		out[n++] = '-';
	n += tulpen_fmt_u64(out + n, a / p);
	if (!decimals)
		return n;
	out[n++] = '.';
	return n + tulpen_fmt_u64_pad(out + n, a % p, decimals);
}

int tulpen_buf_u64(struct tulpen_buf *b, uint64_t v)
{
	char tmp[TULPEN_FMT_NUM_MAX];

	return tulpen_buf_put(b, tmp, tulpen_fmt_u64(tmp, v));
}

int tulpen_buf_i64(struct tulpen_buf *b, int64_t v)
{
	char tmp[TULPEN_FMT_NUM_MAX];

	return tulpen_buf_put(b, tmp, tulpen_fmt_i64(tmp, v));
}

int tulpen_buf_fixed(struct tulpen_buf *b, int64_t v, unsigned int decimals)
{
	char tmp[TULPEN_FMT_NUM_MAX];

	return tulpen_buf_put(b, tmp, tulpen_fmt_fixed(tmp, v, decimals));
}

size_t tulpen_fmt_scaled(char *out, uint64_t v)
{
	static const char units[] = "kMGTPE";
	uint64_t scale = 1000;
	size_t n, i = 0;

	if (v < 1000)
		return tulpen_fmt_u64(out, v);
	while (i + 1 < sizeof(units) - 1 && v / scale >= 1000) {
		scale *= 1000;
		i++;
	}
	/* one decimal, cut: 1234567 is "1.2M" */
	n = tulpen_fmt_fixed(out, (int64_t)(v / (scale / 10)), 1);
	out[n++] = units[i];
	return n;
}
