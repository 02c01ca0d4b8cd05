/* SPDX-License-Identifier: MIT */
/*
 * pcap_frame.h - the layers of the frame decoder (internal to libtulpen;
 * the public entry is tulpen_pcap_decode() in tulpen/pcap_decode.h):
 * link layers, IP and TCP in pcap_frame.c, tunnels in pcap_tunnel.c.
 *
 * Every layer gets the bytes captured (@cap) and the length its header
 * claims or the frame has (@wire, SIZE_MAX when unknown: inside the first
 * fragment of a fragmented outer packet) and never reads past @cap.
 *
 * Ownership: nothing allocates; the segment is the caller's.
 */
#ifndef TULPEN_PCAP_FRAME_H
#define TULPEN_PCAP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "tulpen/pcap_decode.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_TEB 0x6558 /* transparent Ethernet bridging */
#define PCAP_DEC_MAX_DEPTH 16

/* One frame's decoding: the segment filled in, and how deep we are. */
struct pcap_dec {
	struct tulpen_pkt *pkt;
	const char **why;
	int depth;    /* tunnels and encapsulations entered */
	int frag_cut; /* inside a first fragment: the rest comes later */
};

typedef enum tulpen_decode_result res_t;

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* A malformed frame, with the reason (a static string). */
static inline res_t pcap_dec_bad(struct pcap_dec *d, const char *msg)
{
	*d->why = msg;
	return TULPEN_DECODE_BAD;
}

/* A valid frame carrying something not decoded, with the reason. */
static inline res_t pcap_dec_skipped(struct pcap_dec *d, const char *msg)
{
	*d->why = msg;
	return TULPEN_DECODE_SKIPPED;
}

/* One more level of encapsulation; 0 when that is too deep. */
static inline int pcap_dec_deeper(struct pcap_dec *d)
{
	return ++d->depth <= PCAP_DEC_MAX_DEPTH;
}

/* Entering a tunnel: the carrying packet's endpoints become its parent. */
void pcap_dec_tunnel(struct pcap_dec *d, int type, uint16_t sport,
		     uint16_t dport);

/* An IPv4 or IPv6 packet (the version nibble decides). */
res_t pcap_dec_ip(struct pcap_dec *d, const uint8_t *p, size_t cap,
		  size_t wire);
/* An Ethernet frame, header included. */
res_t pcap_dec_ether(struct pcap_dec *d, const uint8_t *p, size_t cap,
		     size_t wire);
/* What follows an EtherType (tags, MPLS, PPPoE, IP...). */
res_t pcap_dec_ethertype(struct pcap_dec *d, uint16_t type, const uint8_t *p,
			 size_t cap, size_t wire);
/* A PPP protocol number (0x0021 IPv4, 0x0057 IPv6) and its payload. */
res_t pcap_dec_ppp(struct pcap_dec *d, uint16_t proto, const uint8_t *p,
		   size_t cap, size_t wire);
/* An 802.2 LLC/SNAP header and its payload. */
res_t pcap_dec_llc(struct pcap_dec *d, const uint8_t *p, size_t cap,
		   size_t wire);

/* pcap_tunnel.c: UDP (VXLAN, Geneve, GTP-U, Teredo, AYIYA), GRE. */
res_t pcap_dec_udp(struct pcap_dec *d, const uint8_t *p, size_t cap,
		   size_t len);
res_t pcap_dec_gre(struct pcap_dec *d, const uint8_t *p, size_t cap,
		   size_t len);
/* An 802.11 data frame (Aruba's GRE, DLT_IEEE802_11). */
res_t pcap_dec_wifi(struct pcap_dec *d, const uint8_t *p, size_t cap,
		    size_t wire);

#endif /* TULPEN_PCAP_FRAME_H */
