/* SPDX-License-Identifier: MIT */
/*
 * pcap/pcap_classic.h - the records of a plain classic pcap file read by
 * tulpen itself, next to libpcap (not installed).
 *
 * libpcap reads a savefile through stdio, two fread() calls and a copy per
 * record. For an uncompressed classic pcap file that libpcap has opened,
 * this reads the same records itself, from the file mapped into memory
 * (4 MiB and more) or with pread() into one buffer, and hands out pointers
 * into it. A mapped file is read as big as it was when opened (a capture
 * still being written is read to there; one cut shorter meanwhile, as by
 * a copy-and-truncate rotation, ends the process with SIGBUS: run on a
 * copy then). It only takes the common case (version 2.4, the usual
 * magic numbers, a link type libpcap passes through unchanged, records
 * within the snapshot length); at the first record it is not sure of, it
 * puts libpcap's stream at that record and stops, so libpcap reads the
 * rest (and reports any error) exactly as it would have.
 *
 * Ownership: pcap_classic_open() borrows the pcap_t (its stream must stay
 * open while the reader is used); pcap_classic_close() frees the reader.
 * A record's data is valid until the next call.
 */
#ifndef TULPEN_PCAP_CLASSIC_H
#define TULPEN_PCAP_CLASSIC_H

#include <stdint.h>
#include <pcap/pcap.h>

struct pcap_classic;

/*
 * A reader for @p's file, or NULL when it is not one this takes (then
 * libpcap reads it all, as before).
 */
struct pcap_classic *pcap_classic_open(pcap_t *p);

/*
 * The next record: 1 with @h and *@data set (time as libpcap gives it
 * with nanosecond precision), 0 at the end of the file, -1 when libpcap
 * must read from here on (its stream is put at this record), -2 when the
 * stream could not be put there (errno says why).
 */
int pcap_classic_next(struct pcap_classic *c, struct pcap_pkthdr *h,
		      const uint8_t **data);

void pcap_classic_close(struct pcap_classic *c);

#endif /* TULPEN_PCAP_CLASSIC_H */
