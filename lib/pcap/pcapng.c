// SPDX-License-Identifier: MIT
/*
 * pcapng.c - pcapng read by tulpen itself (the IETF draft
 * draft-ietf-opsawg-pcapng): libpcap refuses a file whose interfaces have
 * different link types (dumpcap's default when it captures on several
 * interfaces) and misreads a section in the other byte order than the
 * first (two captures concatenated), so every pcapng file is read here.
 *
 * Each section starts with a Section Header Block that says its byte order;
 * its Interface Description Blocks give each interface's link type, time
 * resolution (if_tsresol) and offset (if_tsoffset). Enhanced, simple and
 * obsolete packet blocks are handed out with their interface's link type;
 * every other block is skipped. Every length is checked against the block
 * and the block against the file: a broken one is an error naming the
 * offset, the block and what was expected. Times go through checked
 * arithmetic and are clamped to what 64-bit nanoseconds hold.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap/pcapng.h"

#define SHB 0x0A0D0D0Au
#define IDB 1u
#define OPB 2u /* the obsolete Packet Block */
#define SPB 3u
#define EPB 6u
#define BOM 0x1A2B3C4Du
#define MAX_BLOCK (16u << 20) /* as libpcap: larger is not a capture */
#define MAX_IFACES 65536

struct iface {
	int dlt;
	uint32_t snaplen;
	uint64_t units; /* timestamp units per second */
	int64_t offset; /* seconds added (if_tsoffset) */
};

struct pcapng {
	FILE *f;
	int swap; /* this section's byte order is not ours */
	uint8_t *buf;
	size_t cap;
	uint64_t off; /* of the next block */
	struct iface *ifs;
	size_t nif, capif;
	int have_section;
};

static uint32_t u32(const struct pcapng *ng, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ng->swap ? __builtin_bswap32(v) : v;
}

static uint16_t u16(const struct pcapng *ng, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return ng->swap ? __builtin_bswap16(v) : v;
}

static uint64_t u64(const struct pcapng *ng, const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return ng->swap ? __builtin_bswap64(v) : v;
}

static int bad(char *err, size_t errlen, uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(char *err, size_t errlen, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "offset %llu: ", (unsigned long long)off);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* if_tsresol: 10^-v or (top bit) 2^-v seconds; 0 when not representable. */
static uint64_t units_of(uint8_t r)
{
	uint64_t u = 1;
	unsigned int v = r & 0x7f, i;

	if (r & 0x80)
		return v < 64 ? 1ull << v : 0;
	if (v > 19)
		return 0;
	for (i = 0; i < v; i++)
		u *= 10;
	return u;
}

/* The options of an IDB: if_tsresol (9) and if_tsoffset (14). */
static int idb_options(struct pcapng *ng, struct iface *ifc, const uint8_t *p,
		       size_t n, char *err, size_t errlen)
{
	while (n >= 4) {
		uint16_t code = u16(ng, p), len = u16(ng, p + 2);
		size_t padded = ((size_t)len + 3) & ~(size_t)3;

		if (code == 0)
			break; /* opt_endofopt */
		if (4 + padded > n)
			return bad(err, errlen, ng->off,
				   "interface %zu: option %u of %u bytes runs "
				   "past its block",
				   ng->nif, code, len);
		if (code == 9 && len == 1) {
			ifc->units = units_of(p[4]);
			if (!ifc->units)
				return bad(err, errlen, ng->off,
					   "interface %zu: if_tsresol 0x%02x "
					   "is not a resolution tulpen can use",
					   ng->nif, p[4]);
		} else if (code == 14 && len == 8) {
			ifc->offset = (int64_t)u64(ng, p + 4);
		}
		p += 4 + padded;
		n -= 4 + padded;
	}
	return 0;
}

/* Read the next block (type, whole length, body) into ng->buf. */
static int read_block(struct pcapng *ng, uint32_t *type, uint32_t *len,
		      char *err, size_t errlen)
{
	uint8_t head[12];
	size_t got = fread(head, 1, 8, ng->f);

	if (got == 0)
		return 0;
	if (got < 8)
		return bad(err, errlen, ng->off,
			   "%zu bytes where a block header (8) was expected "
			   "(file cut short)",
			   got);
	memcpy(type, head, 4);
	if (*type == SHB) {
		/* the byte-order magic decides how to read the length */
		uint32_t bom;

		if (fread(head + 8, 1, 4, ng->f) != 4)
			return bad(err, errlen, ng->off,
				   "section header cut short");
		memcpy(&bom, head + 8, 4);
		if (bom == BOM)
			ng->swap = 0;
		else if (bom == __builtin_bswap32(BOM))
			ng->swap = 1;
		else
			return bad(err, errlen, ng->off,
				   "section header with byte-order magic "
				   "0x%08x, expected 0x1a2b3c4d in either "
				   "byte order",
				   bom);
		ng->have_section = 1;
		ng->nif = 0; /* interfaces are per section */
	} else if (!ng->have_section) {
		return bad(err, errlen, ng->off,
			   "block type 0x%08x before any section header",
			   *type);
	}
	*type = u32(ng, head);
	*len = u32(ng, head + 4);
	if (*len < 12 || *len % 4 || *len > MAX_BLOCK ||
	    (*type == SHB && *len < 28))
		return bad(err, errlen, ng->off,
			   "block of type 0x%x: total length %u, expected a "
			   "multiple of 4 from %u to %u",
			   *type, *len, *type == SHB ? 28 : 12, MAX_BLOCK);
	if (*len > ng->cap) {
		uint8_t *nb = realloc(ng->buf, *len);

		if (!nb)
			return -ENOMEM;
		ng->buf = nb;
		ng->cap = *len;
	}
	memcpy(ng->buf, head, *type == SHB ? 12 : 8);
	got = *type == SHB ? 12 : 8;
	if (fread(ng->buf + got, 1, *len - got, ng->f) != *len - got)
		return bad(err, errlen, ng->off,
			   "block of type 0x%x and %u bytes cut short (file "
			   "ends)",
			   *type, *len);
	if (u32(ng, ng->buf + *len - 4) != *len)
		return bad(err, errlen, ng->off,
			   "block of type 0x%x: trailing length %u differs "
			   "from its leading length %u",
			   *type, u32(ng, ng->buf + *len - 4), *len);
	return 1;
}

static int add_iface(struct pcapng *ng, uint32_t len, char *err, size_t errlen)
{
	struct iface ifc = { 0, 0, 1000000, 0 };
	int ret;

	if (len < 20)
		return bad(err, errlen, ng->off,
			   "interface description of %u bytes, expected 20 "
			   "or more",
			   len);
	if (ng->nif == MAX_IFACES)
		return bad(err, errlen, ng->off, "more than %d interfaces",
			   MAX_IFACES);
	ifc.dlt = u16(ng, ng->buf + 8);
	ifc.snaplen = u32(ng, ng->buf + 12);
	ret = idb_options(ng, &ifc, ng->buf + 16, len - 20, err, errlen);
	if (ret)
		return ret;
	if (ng->nif == ng->capif) {
		size_t ncap = ng->capif ? ng->capif * 2 : 4;
		struct iface *n = realloc(ng->ifs, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		ng->ifs = n;
		ng->capif = ncap;
	}
	ng->ifs[ng->nif++] = ifc;
	return 0;
}

/* Units since 1970 (plus the interface's offset) to clamped ns. */
static int64_t to_ns(const struct iface *ifc, uint64_t ts, int *clamped)
{
	const int64_t max_s = INT64_MAX / 1000000000 - 1;
	uint64_t frac = ts % ifc->units;
	int64_t sec, ns;

	/* frac < units <= 2^63: the product fits in 128 bits */
	ns = (int64_t)((unsigned __int128)frac * 1000000000u / ifc->units);
	if (ts / ifc->units > (uint64_t)max_s ||
	    __builtin_add_overflow((int64_t)(ts / ifc->units), ifc->offset,
				   &sec) ||
	    sec > max_s || sec < -max_s) {
		*clamped = 1;
		sec = (ts / ifc->units > (uint64_t)max_s || ifc->offset > 0)
			      ? max_s
			      : -max_s;
	}
	return sec * 1000000000 + ns;
}

static int packet(struct pcapng *ng, uint32_t type, uint32_t len,
		  struct pcapng_pkt *pkt, char *err, size_t errlen)
{
	const uint8_t *b = ng->buf;
	uint32_t ifn, hi = 0, lo = 0, cap, wire, hdr;
	const struct iface *ifc;

	if (type == SPB) {
		if (len < 16)
			return bad(err, errlen, ng->off,
				   "simple packet block of %u bytes", len);
		ifn = 0;
		wire = u32(ng, b + 8);
		hdr = 12;
		cap = len - 16 < wire ? len - 16 : wire;
	} else {
		if (len < 32)
			return bad(err, errlen, ng->off,
				   "packet block of %u bytes, expected 32 or "
				   "more",
				   len);
		ifn = type == OPB ? u16(ng, b + 8) : u32(ng, b + 8);
		hi = u32(ng, b + 12);
		lo = u32(ng, b + 16);
		cap = u32(ng, b + 20);
		wire = u32(ng, b + 24);
		hdr = 28;
		if (cap > len - 32)
			return bad(err, errlen, ng->off,
				   "packet of %u captured bytes in a block of "
				   "%u: expected at most %u",
				   cap, len, len - 32);
	}
	if (ifn >= ng->nif)
		return bad(err, errlen, ng->off,
			   "packet on interface %u, but the section describes "
			   "%zu",
			   ifn, ng->nif);
	ifc = &ng->ifs[ifn];
	if (type == SPB && ifc->snaplen && cap > ifc->snaplen)
		cap = ifc->snaplen;
	pkt->dlt = ifc->dlt;
	pkt->clamped = 0;
	pkt->ts_ns = type == SPB ? 0
				 : to_ns(ifc, (uint64_t)hi << 32 | lo,
					 &pkt->clamped);
	pkt->caplen = cap;
	pkt->len = wire < cap ? cap : wire;
	pkt->data = b + hdr;
	return 1;
}

int pcapng_next(struct pcapng *ng, struct pcapng_pkt *pkt, char *err,
		size_t errlen)
{
	for (;;) {
		uint32_t type, len;
		int ret = read_block(ng, &type, &len, err, errlen);

		if (ret <= 0)
			return ret;
		if (type == IDB)
			ret = add_iface(ng, len, err, errlen);
		else if (type == EPB || type == SPB || type == OPB)
			ret = packet(ng, type, len, pkt, err, errlen);
		else
			ret = 0; /* a block tulpen does not need */
		if (ret < 0)
			return ret;
		ng->off += len;
		if (ret == 1)
			return 1;
	}
}

int pcapng_open(FILE *f, struct pcapng **out, char *err, size_t errlen)
{
	struct pcapng *ng = calloc(1, sizeof(*ng));
	uint32_t type, len;
	int ret;

	if (!ng) {
		fclose(f);
		return -ENOMEM;
	}
	ng->f = f;
	ret = read_block(ng, &type, &len, err, errlen);
	if (ret == 0)
		ret = bad(err, errlen, 0, "empty file");
	if (ret == 1 && type != SHB)
		ret = bad(err, errlen, 0, "not a pcapng section header");
	if (ret < 0) {
		pcapng_close(ng);
		return ret;
	}
	ng->off = len;
	*out = ng;
	return 0;
}

void pcapng_close(struct pcapng *ng)
{
	if (!ng)
		return;
	fclose(ng->f);
	free(ng->buf);
	free(ng->ifs);
	free(ng);
}
