// SPDX-License-Identifier: MIT
/*
 * fuzz_pcapng.c - tulpen's own pcapng reader (lib/pcap/pcapng.c): section
 * headers of either byte order, interface descriptions and their options,
 * enhanced, simple and obsolete packet blocks, lengths and times. Every
 * packet it hands out is checked against the block it came from and
 * decoded with its interface's link type.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tulpen/pcap_decode.h"
#include "pcap/pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcapng_pkt p;
	struct pcapng *ng;
	struct tulpen_pkt pkt;
	const char *why;
	char err[200];
	FILE *f;
	int n = 0;

	if (size > 1 << 20)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	if (pcapng_open(f, &ng, err, sizeof(err)))
		return 0;
	while (n++ < 100000 && pcapng_next(ng, &p, err, sizeof(err)) == 1) {
		if (p.caplen > size || p.len < p.caplen)
			__builtin_trap();
		/* the data lies in a block: reading it all must be valid */
		tulpen_pcap_decode(p.dlt, p.data, p.caplen, p.len, &pkt, &why);
	}
	if (strnlen(err, sizeof(err)) == sizeof(err))
		__builtin_trap();
	pcapng_close(ng);
	return 0;
}
