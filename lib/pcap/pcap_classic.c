// SPDX-License-Identifier: MIT
/*
 * pcap_classic.c - classic pcap records read from the file mapped into
 * memory, or with pread() into one buffer (see pcap_classic.h for when,
 * and when libpcap takes over).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "pcap/pcap_classic.h"

#define CLASSIC_HDR 24 /* the file header */
#define REC_HDR 16     /* a record's header */
#define CLASSIC_BUF (256u << 10)
/* Files at least this big are mapped (smaller: the buffer is as cheap). */
#define CLASSIC_MAP (4u << 20)
/* What is read of a mapped file is unmapped in steps of this. */
#define CLASSIC_UNMAP (2u << 20)

struct pcap_classic {
	pcap_t *p;
	int fd;
	int swapped; /* the file's byte order is not ours */
	int nano;    /* times in ns (else us) */
	uint32_t snapshot;
	off_t off;    /* file offset of buf[0] */
	uint8_t *buf; /* bytes from off */
	size_t size;  /* of buf */
	size_t have;  /* bytes in buf */
	size_t pos;   /* the next record's header in buf */
	int eof;      /* nothing after buf[have] */
	int mapped;   /* buf is the whole file, mapped (off 0, size have) */
	size_t gone;  /* mapped: buf[0, gone) is unmapped already */
};

static uint32_t get32(const struct pcap_classic *c, const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return c->swapped ? __builtin_bswap32(v) : v;
}

/* Link types whose records libpcap hands out as they are in the file. */
static int plain_link(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_LINUX_SLL:
		return 1;
	}
	return 0;
}

/* The file header's magic: the common two (libpcap checked the version). */
static int header_ok(struct pcap_classic *c)
{
	uint8_t h[CLASSIC_HDR];
	uint32_t magic;

	if (pread(c->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return 0;
	memcpy(&magic, h, 4);
	c->swapped = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
	magic = get32(c, h);
	c->nano = magic == 0xa1b23c4du;
	return magic == 0xa1b2c3d4u || c->nano;
}

/*
 * Map a big file whole: the kernel then copies nothing (a pread() copy of
 * each byte was a tenth of the run time). The size is the file's now.
 * 1, or 0 to read it with pread() instead.
 */
static int map_file(struct pcap_classic *c, const struct stat *st)
{
	void *m;

	if (st->st_size < (off_t)CLASSIC_MAP ||
	    (uint64_t)st->st_size > (uint64_t)SIZE_MAX / 2)
		return 0;
	m = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, c->fd, 0);
	if (m == MAP_FAILED)
		return 0;
	(void)madvise(m, (size_t)st->st_size, MADV_SEQUENTIAL);
	c->buf = m;
	c->size = c->have = (size_t)st->st_size;
	c->pos = CLASSIC_HDR;
	c->off = 0;
	c->eof = 1;
	c->mapped = 1;
	return 1;
}

struct pcap_classic *pcap_classic_open(pcap_t *p)
{
	struct pcap_classic *c;
	struct stat st;
	FILE *fp = pcap_file(p);
	int fd = fp ? fileno(fp) : -1;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    !plain_link(pcap_datalink(p)) || pcap_snapshot(p) <= 0 ||
	    pcap_major_version(p) != 2 || pcap_minor_version(p) != 4)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->p = p;
	c->fd = fd;
	c->snapshot = (uint32_t)pcap_snapshot(p);
	if (!header_ok(c) || c->swapped != pcap_is_swapped(p)) {
		free(c);
		return NULL;
	}
	if (map_file(c, &st))
		return c;
	c->size = CLASSIC_BUF;
	if (c->size < 2 * ((size_t)c->snapshot + REC_HDR))
		c->size = 2 * ((size_t)c->snapshot + REC_HDR);
	c->buf = malloc(c->size);
	if (!c->buf) {
		free(c);
		return NULL;
	}
	c->off = CLASSIC_HDR;
	return c;
}

/* Keep the unread bytes, read more after them. 0, or -1 on an error. */
static int refill(struct pcap_classic *c)
{
	size_t left = c->have - c->pos;
	ssize_t r;

	if (c->mapped)
		return 0; /* all of it is there */
	memmove(c->buf, c->buf + c->pos, left);
	c->off += (off_t)c->pos;
	c->pos = 0;
	c->have = left;
	while (!c->eof && c->have < c->size) {
		r = pread(c->fd, c->buf + c->have, c->size - c->have,
			  c->off + (off_t)c->have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			c->eof = 1;
		c->have += (size_t)r;
	}
	return 0;
}

/*
 * Unmap what was read (the records before this one, whose data the
 * caller no longer holds): the process's resident memory then stays a few
 * MiB of the file, not all of it.
 */
static void unmap_read(struct pcap_classic *c)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t to = c->pos & ~(page - 1);

	if (to > c->gone && !munmap(c->buf + c->gone, to - c->gone))
		c->gone = to;
}

/* libpcap reads on from this record (its stream put there): -1, or -2. */
static int hand_over(struct pcap_classic *c)
{
	if (fseeko(pcap_file(c->p), c->off + (off_t)c->pos, SEEK_SET))
		return -2;
	return -1;
}

int pcap_classic_next(struct pcap_classic *c, struct pcap_pkthdr *h,
		      const uint8_t **data)
{
	const uint8_t *b;
	uint32_t caplen, frac;

	if (c->have - c->pos < REC_HDR && refill(c))
		return hand_over(c);
	if (c->have == c->pos)
		return 0;
	if (c->have - c->pos < REC_HDR)
		return hand_over(c); /* libpcap: "truncated dump file" */
	if (c->mapped && c->pos - c->gone >= CLASSIC_UNMAP)
		unmap_read(c);
	b = c->buf + c->pos;
	caplen = get32(c, b + 8);
	frac = get32(c, b + 4);
	/* libpcap truncates a longer record, or rejects it */
	if (caplen > c->snapshot || caplen > get32(c, b + 12) ||
	    frac >= (c->nano ? 1000000000u : 1000000u))
		return hand_over(c);
	if (c->have - c->pos < REC_HDR + (size_t)caplen) {
		if (refill(c) || c->have - c->pos < REC_HDR + (size_t)caplen)
			return hand_over(c);
		b = c->buf + c->pos;
	}
	h->ts.tv_sec = (time_t)(int32_t)get32(c, b);
	h->ts.tv_usec = (suseconds_t)frac * (c->nano ? 1 : 1000);
	h->caplen = caplen;
	h->len = get32(c, b + 12);
	*data = b + REC_HDR;
	c->pos += REC_HDR + (size_t)caplen;
	return 1;
}

void pcap_classic_close(struct pcap_classic *c)
{
	if (!c)
		return;
	if (c->mapped)
		munmap(c->buf + c->gone, c->size - c->gone);
	else
		free(c->buf);
	free(c);
}
