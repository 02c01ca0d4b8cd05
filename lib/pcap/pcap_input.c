// SPDX-License-Identifier: MIT
/*
 * pcap_input.c - what a capture stream holds, before libpcap reads it:
 * gzip and zstd are decompressed on the fly (zlib, libzstd), and the
 * capture format inside (classic pcap or pcapng) is told from its first
 * bytes, so that the reader knows that classic pcap's seconds are unsigned
 * 32-bit (past 2038-01-19 libpcap hands them out as negative).
 *
 * A seekable uncompressed file is rewound and given to libpcap as it is;
 * anything else (a pipe, a compressed file) goes through a stdio cookie
 * stream that gives back the bytes read to sniff it, then the rest.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "pcap/pcap_input.h"

enum { COMP_NONE, COMP_GZIP, COMP_ZSTD };

#define IBUF 65536

struct input {
	FILE *src;
	int comp;
	unsigned char pre[4]; /* source bytes read to sniff the compression */
	size_t npre, ppre;
	unsigned char head[4]; /* decompressed bytes read to sniff the format */
	size_t nhead, phead;
	z_stream z;
	ZSTD_DStream *zd;
	unsigned char *ibuf;
	size_t ilen, ipos;
	uint64_t in_off; /* compressed bytes consumed */
	int src_eof, done;
	int zpending; /* a zstd frame begun, not ended */
	char *why;    /* the decompressor's complaint, for the message */
	size_t why_size;
};

/* Source bytes: the sniffed ones first. */
static size_t src_read(struct input *in, unsigned char *buf, size_t n)
{
	size_t k = 0;

	while (k < n && in->ppre < in->npre)
		buf[k++] = in->pre[in->ppre++];
	if (k < n && !in->src_eof) {
		size_t r = fread(buf + k, 1, n - k, in->src);

		if (r < n - k)
			in->src_eof = 1;
		k += r;
	}
	return k;
}

static int fill(struct input *in)
{
	if (in->ipos < in->ilen)
		return 1;
	in->ipos = 0;
	in->ilen = src_read(in, in->ibuf, IBUF);
	return in->ilen > 0;
}

static ssize_t fail(struct input *in, const char *what, const char *detail)
{
	snprintf(in->why, in->why_size,
		 "%s data broken at compressed byte %llu: %s", what,
		 (unsigned long long)in->in_off, detail ? detail : "?");
	errno = EIO;
	return -1;
}

static ssize_t gz_read(struct input *in, unsigned char *buf, size_t n)
{
	in->z.next_out = buf;
	in->z.avail_out = (uInt)n;
	while (in->z.avail_out && !in->done) {
		int r;

		if (!in->z.avail_in) {
			if (!fill(in)) {
				if (in->z.avail_out == n)
					return fail(in, "gzip", "cut short");
				break;
			}
			in->z.next_in = in->ibuf + in->ipos;
			in->z.avail_in = (uInt)(in->ilen - in->ipos);
			in->ipos = in->ilen;
		}
		r = inflate(&in->z, Z_NO_FLUSH);
		in->in_off = in->z.total_in;
		if (r == Z_STREAM_END) {
			/* several members, as `cat a.gz b.gz` makes */
			if (!in->z.avail_in && !fill(in)) {
				in->done = 1;
				break;
			}
			if (inflateReset(&in->z) != Z_OK)
				return fail(in, "gzip", in->z.msg);
			continue;
		}
		if (r != Z_OK && r != Z_BUF_ERROR)
			return fail(in, "gzip", in->z.msg);
	}
	return (ssize_t)(n - in->z.avail_out);
}

static ssize_t zstd_read(struct input *in, unsigned char *buf, size_t n)
{
	ZSTD_outBuffer out = { buf, n, 0 };

	while (out.pos < out.size) {
		ZSTD_inBuffer zin = { in->ibuf + in->ipos, in->ilen - in->ipos,
				      0 };
		size_t r;

		if (zin.pos == zin.size) {
			if (!fill(in)) {
				if (in->zpending && !out.pos)
					return fail(in, "zstd", "cut short");
				break;
			}
			zin.src = in->ibuf;
			zin.size = in->ilen;
		}
		r = ZSTD_decompressStream(in->zd, &out, &zin);
		in->ipos = (size_t)((const unsigned char *)zin.src + zin.pos -
				    in->ibuf);
		in->in_off += zin.pos;
		if (ZSTD_isError(r))
			return fail(in, "zstd", ZSTD_getErrorName(r));
		in->zpending = r != 0; /* 0: a frame ended there */
	}
	return (ssize_t)out.pos;
}

static ssize_t dec_read(struct input *in, unsigned char *buf, size_t n)
{
	switch (in->comp) {
	case COMP_GZIP:
		return gz_read(in, buf, n);
	case COMP_ZSTD:
		return zstd_read(in, buf, n);
	}
	return (ssize_t)src_read(in, buf, n);
}

static ssize_t cookie_read(void *c, char *buf, size_t n)
{
	struct input *in = c;
	size_t k = 0;
	ssize_t r;

	while (k < n && in->phead < in->nhead)
		buf[k++] = (char)in->head[in->phead++];
	if (k == n)
		return (ssize_t)k;
	r = dec_read(in, (unsigned char *)buf + k, n - k);
	if (r < 0)
		return k ? (ssize_t)k : -1;
	return (ssize_t)k + r;
}

static void input_free(struct input *in)
{
	if (in->comp == COMP_GZIP)
		inflateEnd(&in->z);
	ZSTD_freeDStream(in->zd);
	if (in->src)
		fclose(in->src);
	free(in->ibuf);
	free(in);
}

static int cookie_close(void *c)
{
	input_free(c);
	return 0;
}

static int kind_of(const unsigned char *m, size_t n)
{
	static const unsigned char ng[4] = { 0x0a, 0x0d, 0x0d, 0x0a };

	if (n < 4)
		return PCAP_INPUT_UNKNOWN;
	if (!memcmp(m, ng, 4))
		return PCAP_INPUT_PCAPNG;
	if ((m[0] == 0xd4 && m[1] == 0xc3 && m[2] == 0xb2 && m[3] == 0xa1) ||
	    (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0xc3 && m[3] == 0xd4) ||
	    (m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1) ||
	    (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d))
		return PCAP_INPUT_PCAP;
	return PCAP_INPUT_UNKNOWN;
}

static int comp_init(struct input *in)
{
	const unsigned char *m = in->pre;

	if (in->npre >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
		in->comp = COMP_GZIP;
		if (inflateInit2(&in->z, 15 + 32) != Z_OK)
			return -ENOMEM;
	} else if (in->npre == 4 && m[0] == 0x28 && m[1] == 0xb5 &&
		   m[2] == 0x2f && m[3] == 0xfd) {
		in->comp = COMP_ZSTD;
		in->zd = ZSTD_createDStream();
		if (!in->zd || ZSTD_isError(ZSTD_initDStream(in->zd)))
			return -ENOMEM;
	}
	if (in->comp != COMP_NONE) {
		in->ibuf = malloc(IBUF);
		if (!in->ibuf)
			return -ENOMEM;
	}
	return 0;
}

int pcap_input_open(FILE *fp, FILE **out, int *kind, char *why, size_t why_size)
{
	static const cookie_io_functions_t io = {
		.read = cookie_read,
		.close = cookie_close,
	};
	struct input *in = calloc(1, sizeof(*in));
	ssize_t r;
	int ret;

	*out = NULL;
	*kind = PCAP_INPUT_UNKNOWN;
	why[0] = '\0';
	if (!in) {
		fclose(fp);
		return -ENOMEM;
	}
	in->src = fp;
	in->why = why;
	in->why_size = why_size;
	in->npre = fread(in->pre, 1, sizeof(in->pre), fp);
	ret = comp_init(in);
	if (ret)
		goto err;
	if (in->comp == COMP_NONE) {
		*kind = kind_of(in->pre, in->npre);
		/* a file: rewound and read directly, no copy */
		if (!fseek(fp, 0, SEEK_SET)) {
			in->src = NULL;
			input_free(in);
			*out = fp;
			return 0;
		}
		clearerr(fp);
	}
	while (in->nhead < sizeof(in->head)) {
		r = dec_read(in, in->head + in->nhead,
			     sizeof(in->head) - in->nhead);
		if (r <= 0)
			break;
		in->nhead += (size_t)r;
	}
	if (in->comp != COMP_NONE && why[0]) {
		ret = -EINVAL;
		goto err;
	}
	*kind = kind_of(in->head, in->nhead);
	*out = fopencookie(in, "r", io);
	if (!*out) {
		ret = -ENOMEM;
		goto err;
	}
	return 0;
err:
	input_free(in);
	return ret;
}
