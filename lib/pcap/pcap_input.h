/* SPDX-License-Identifier: MIT */
/*
 * pcap/pcap_input.h - a capture stream before libpcap reads it: gzip and
 * zstd decompressed on the fly, the format inside told. Not installed.
 */
#ifndef TULPEN_PCAP_INPUT_H
#define TULPEN_PCAP_INPUT_H

#include <stddef.h>
#include <stdio.h>

enum {
	PCAP_INPUT_UNKNOWN = 0, /* neither: libpcap says what it is not */
	PCAP_INPUT_PCAP,	/* classic pcap (seconds: unsigned 32-bit) */
	PCAP_INPUT_PCAPNG,
};

/*
 * Take @fp (owned from here on, closed on failure too) and give the stream
 * to read the capture from in *@out (@fp itself when it is a plain file,
 * else a stream that decompresses and gives back the sniffed bytes), and
 * what it holds in *@kind. A decompression error later shows as a read
 * error of *@out, with the detail ("gzip data broken at compressed byte N:
 * ...") written to @why, which must outlive the stream. Returns 0,
 * -ENOMEM, or -EINVAL (compressed data broken at its start, said in @why).
 */
int pcap_input_open(FILE *fp, FILE **out, int *kind, char *why,
		    size_t why_size);

#endif /* TULPEN_PCAP_INPUT_H */
