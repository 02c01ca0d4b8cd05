// SPDX-License-Identifier: MIT
/*
 * pcap_readloop.c - the floor for `tulpen pcap`: read every packet of a
 * capture with libpcap and touch its bytes, nothing else.
 * Usage: pcap_readloop FILE
 */
#include <stdint.h>
#include <stdio.h>
#include <pcap/pcap.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long long n = 0, bytes = 0;
	uint32_t x = 0;
	pcap_t *p;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: pcap_readloop FILE\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "pcap_readloop: %s\n", err);
		return 1;
	}
	while ((r = pcap_next_ex(p, &h, &d)) == 1) {
		n++;
		bytes += h->caplen;
		x ^= h->caplen > 40 ? d[40] : 0;
	}
	if (r == PCAP_ERROR)
		fprintf(stderr, "pcap_readloop: %s\n", pcap_geterr(p));
	printf("%llu packets, %llu bytes (%u)\n", n, bytes, x);
	pcap_close(p);
	return r == PCAP_ERROR;
}
