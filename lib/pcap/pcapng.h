/* SPDX-License-Identifier: MIT */
/*
 * pcap/pcapng.h - pcapng read by tulpen itself: sections of either byte
 * order, interfaces of different link types, each interface's time
 * resolution and offset. Not installed.
 *
 * Ownership: pcapng_open() takes the stream (closed on failure too);
 * pcapng_close() closes it. A packet's data is valid until the next call.
 */
#ifndef TULPEN_PCAPNG_H
#define TULPEN_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pcapng;

struct pcapng_pkt {
	int64_t ts_ns; /* since the epoch, clamped to 64-bit nanoseconds */
	int clamped;   /* the time was outside that and clamped */
	int dlt;       /* the link type of its interface */
	uint32_t caplen, len;
	const uint8_t *data;
};

/*
 * Open a stream that starts with a section header. 0, -ENOMEM, or -EINVAL
 * with "offset N: what was found, what was expected" in @err.
 */
int pcapng_open(FILE *f, struct pcapng **out, char *err, size_t errlen);
/* 1 with @pkt filled, 0 at the end, -ENOMEM or -EINVAL (as above). */
int pcapng_next(struct pcapng *ng, struct pcapng_pkt *pkt, char *err,
		size_t errlen);
void pcapng_close(struct pcapng *ng);

#endif /* TULPEN_PCAPNG_H */
