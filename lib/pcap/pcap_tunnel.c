// SPDX-License-Identifier: MIT
/*
 * pcap_tunnel.c - the tunnels of the frame decoder: GRE (version 0 with
 * key and sequence, ERSPAN types I to III, Aruba's 802.11 in GRE,
 * transparent Ethernet bridging, MPLS; version 1, PPTP's enhanced GRE
 * with PPP), and the UDP ones Zeek decodes on their ports: VXLAN (4789),
 * Geneve (6081), GTP-U (2152, with its optional fields and extension
 * headers), Teredo (3544, with authentication and origin indication),
 * AYIYA (5072), GRE over UDP (4754). Also 802.11 data frames, for Aruba's
 * GRE and the 802.11 link types.
 *
 * Each tunnel records itself as the segment's tunnel parent (the
 * innermost one wins) and hands its payload back to the IP or Ethernet
 * layer, so tunnels nest to any depth that fits the capture.
 */
#include <stddef.h>
#include <string.h>

#include "pcap/pcap_frame.h"

#define ETH_P_ERSPAN2 0x88be
#define ETH_P_ERSPAN3 0x22eb
#define ETH_P_PPP 0x880b
#define ETH_P_MPLS 0x8847

#define GRE_C 0x8000
#define GRE_R 0x4000
#define GRE_K 0x2000
#define GRE_S 0x1000
#define GRE_A 0x0080

static size_t less(size_t wire, size_t n)
{
	if (wire == SIZE_MAX)
		return wire;
	return wire > n ? wire - n : 0;
}

/* The payload of GRE protocol type @proto at @p. */
static res_t gre_payload(struct pcap_dec *d, uint16_t proto, uint16_t flags,
			 const uint8_t *p, size_t cap, size_t len)
{
	size_t h;

	switch (proto) {
	case ETH_P_IP:
	case ETH_P_IPV6:
		return pcap_dec_ip(d, p, cap, len);
	case ETH_P_TEB:
		return pcap_dec_ether(d, p, cap, len);
	case ETH_P_MPLS:
		return pcap_dec_ethertype(d, proto, p, cap, len);
	case ETH_P_ERSPAN2: /* type I has no header (no sequence number) */
		h = (flags & GRE_S) ? 8 : 0;
		break;
	case ETH_P_ERSPAN3:
		if (cap < 12)
			return pcap_dec_bad(d, "ERSPAN type III header cut by "
					       "the snapshot length");
		h = 12 + ((p[11] & 1) ? 8 : 0); /* O: platform subheader */
		break;
	default:
		if (proto >= 0x8200 && proto <= 0x8300) /* Aruba: 802.11 */
			return pcap_dec_wifi(d, p, cap, len);
		return pcap_dec_skipped(d, "GRE payload type not decoded");
	}
	if (cap < h)
		return pcap_dec_bad(d, "ERSPAN header cut by the snapshot "
				       "length");
	return pcap_dec_ether(d, p + h, cap - h, less(len, h));
}

res_t pcap_dec_gre(struct pcap_dec *d, const uint8_t *p, size_t cap, size_t len)
{
	uint16_t flags, proto;
	size_t h = 4;

	if (cap < 4 || len < 4)
		return pcap_dec_bad(d, "GRE header cut by the snapshot length");
	flags = rd16(p);
	proto = rd16(p + 2);
	pcap_dec_tunnel(d, TULPEN_TUNNEL_GRE, 0, 0);
	switch (flags & 7) {
	case 0:
		if (flags & GRE_R)
			return pcap_dec_skipped(d, "GRE with source routing "
						   "not decoded");
		h += ((flags & GRE_C) ? 4 : 0) + ((flags & GRE_K) ? 4 : 0) +
		     ((flags & GRE_S) ? 4 : 0);
		break;
	case 1: /* enhanced GRE (PPTP): PPP inside */
		if (proto != ETH_P_PPP || !(flags & GRE_K))
			return pcap_dec_bad(d, "GRE version 1 without PPP or "
					       "key");
		h = 8 + ((flags & GRE_S) ? 4 : 0) + ((flags & GRE_A) ? 4 : 0);
		break;
	default:
		return pcap_dec_bad(d, "GRE version neither 0 nor 1");
	}
	if (cap < h || len < h)
		return pcap_dec_bad(d, "GRE header cut by the snapshot length");
	p += h;
	cap -= h;
	len = less(len, h);
	if ((flags & 7) == 0)
		return gre_payload(d, proto, flags, p, cap, len);
	if (cap == 0) /* an acknowledgment alone */
		return TULPEN_DECODE_OTHER;
	if (cap >= 2 && p[0] == 0xff && p[1] == 0x03) {
		p += 2;
		cap -= 2;
		len = less(len, 2);
	}
	if (cap >= 1 && (p[0] & 1))
		return pcap_dec_ppp(d, p[0], p + 1, cap - 1, less(len, 1));
	if (cap < 2)
		return pcap_dec_bad(d, "PPP header cut by the snapshot length");
	return pcap_dec_ppp(d, rd16(p), p + 2, cap - 2, less(len, 2));
}

static res_t vxlan(struct pcap_dec *d, const uint8_t *p, size_t cap, size_t len)
{
	if (cap < 8)
		return pcap_dec_bad(d, "VXLAN header cut by the snapshot "
				       "length");
	if (!(p[0] & 0x08))
		return pcap_dec_skipped(d, "VXLAN without a valid VNI");
	return pcap_dec_ether(d, p + 8, cap - 8, less(len, 8));
}

static res_t geneve(struct pcap_dec *d, const uint8_t *p, size_t cap,
		    size_t len)
{
	size_t h;
	uint16_t proto;

	if (cap < 8)
		return pcap_dec_bad(d, "Geneve header cut by the snapshot "
				       "length");
	if (p[0] >> 6)
		return pcap_dec_skipped(d, "Geneve version not decoded");
	h = 8 + (size_t)(p[0] & 0x3f) * 4;
	proto = rd16(p + 2);
	if (cap < h)
		return pcap_dec_bad(d, "Geneve options cut by the snapshot "
				       "length");
	if (proto == ETH_P_TEB)
		return pcap_dec_ether(d, p + h, cap - h, less(len, h));
	if (proto == ETH_P_IP || proto == ETH_P_IPV6)
		return pcap_dec_ip(d, p + h, cap - h, less(len, h));
	return pcap_dec_skipped(d, "Geneve payload type not decoded");
}

/* GTPv1-U: G-PDUs carry IP; optional fields and extension headers. */
static res_t gtpu(struct pcap_dec *d, const uint8_t *p, size_t cap, size_t len)
{
	size_t h = 8;
	uint8_t next;

	if (cap < 8)
		return pcap_dec_bad(d, "GTP-U header cut by the snapshot "
				       "length");
	if ((p[0] >> 5) != 1 || !(p[0] & 0x10))
		return pcap_dec_skipped(d, "GTP version not decoded");
	if (p[1] != 0xff)
		return TULPEN_DECODE_OTHER; /* echo, error indication... */
	if (p[0] & 0x07) {
		if (cap < 12)
			return pcap_dec_bad(d, "GTP-U optional fields cut by "
					       "the snapshot length");
		next = (p[0] & 0x04) ? p[11] : 0;
		h = 12;
		while (next) {
			size_t elen;

			if (cap < h + 1)
				return pcap_dec_bad(d, "GTP-U extension header "
						       "cut by the snapshot "
						       "length");
			elen = (size_t)p[h] * 4;
			if (!elen || cap < h + elen)
				return pcap_dec_bad(d, "GTP-U extension header "
						       "length bad or cut");
			next = p[h + elen - 1];
			h += elen;
		}
	}
	return pcap_dec_ip(d, p + h, cap - h, less(len, h));
}

/* Teredo: IPv6 in UDP, after optional authentication and origin headers. */
static res_t teredo(struct pcap_dec *d, const uint8_t *p, size_t cap,
		    size_t len)
{
	size_t h = 0;

	if (cap >= 4 + h && rd16(p + h) == 1) { /* authentication */
		h += 4 + (size_t)p[h + 2] + p[h + 3] + 9;
		if (cap < h)
			return pcap_dec_bad(d, "Teredo authentication cut by "
					       "the snapshot length");
	}
	if (cap >= h + 8 && rd16(p + h) == 0) /* origin indication */
		h += 8;
	if (cap < h + 40 || (p[h] >> 4) != 6)
		return TULPEN_DECODE_OTHER; /* not Teredo after all */
	return pcap_dec_ip(d, p + h, cap - h, less(len, h));
}

/* AYIYA: identity and signature, then IPv4 or IPv6. */
static res_t ayiya(struct pcap_dec *d, const uint8_t *p, size_t cap, size_t len)
{
	size_t h;

	if (cap < 8)
		return pcap_dec_bad(d, "AYIYA header cut by the snapshot "
				       "length");
	h = 8 + ((size_t)1 << (p[0] >> 4)) + (size_t)(p[1] >> 4) * 4;
	if ((p[2] & 0x0f) != 1)
		return TULPEN_DECODE_OTHER; /* not a forwarded packet */
	if (p[3] != 4 && p[3] != 41)
		return pcap_dec_skipped(d, "AYIYA payload not IP");
	if (cap < h)
		return pcap_dec_bad(d, "AYIYA header cut by the snapshot "
				       "length");
	return pcap_dec_ip(d, p + h, cap - h, less(len, h));
}

struct udp_tunnel {
	uint16_t port;
	uint8_t type;
	res_t (*fn)(struct pcap_dec *d, const uint8_t *p, size_t cap,
		    size_t len);
};

static const struct udp_tunnel udp_tunnels[] = {
	{ 4789, TULPEN_TUNNEL_VXLAN, vxlan },
	{ 6081, TULPEN_TUNNEL_GENEVE, geneve },
	{ 2152, TULPEN_TUNNEL_GTPV1, gtpu },
	{ 3544, TULPEN_TUNNEL_TEREDO, teredo },
	{ 5072, TULPEN_TUNNEL_AYIYA, ayiya },
	{ 4754, TULPEN_TUNNEL_GRE, NULL }, /* GRE over UDP */
};

res_t pcap_dec_udp(struct pcap_dec *d, const uint8_t *p, size_t cap, size_t len)
{
	const struct udp_tunnel *t = NULL;
	uint16_t sport, dport, ulen;
	size_t i;
	int pass;

	if (cap < 8 || len < 8)
		return TULPEN_DECODE_OTHER; /* not ours to judge */
	sport = rd16(p);
	dport = rd16(p + 2);
	ulen = rd16(p + 4);
	/* The destination port first, then the source, as Zeek. */
	for (pass = 0; pass < 2 && !t; pass++)
		for (i = 0; i < sizeof(udp_tunnels) / sizeof(*t); i++)
			if (udp_tunnels[i].port == (pass ? sport : dport)) {
				t = &udp_tunnels[i];
				break;
			}
	if (!t)
		return TULPEN_DECODE_OTHER;
	if (ulen >= 8 && (len == SIZE_MAX || ulen <= len))
		len = ulen;
	if (!pcap_dec_deeper(d))
		return pcap_dec_bad(d, "tunnels nested too deep");
	p += 8;
	cap -= 8;
	len = less(len, 8);
	if (cap > len)
		cap = len;
	if (!t->fn) {
		res_t r = pcap_dec_gre(d, p, cap, len);

		d->pkt->tunnel.outer_src.port = sport;
		d->pkt->tunnel.outer_dst.port = dport;
		return r;
	}
	pcap_dec_tunnel(d, t->type, sport, dport);
	return t->fn(d, p, cap, len);
}

res_t pcap_dec_wifi(struct pcap_dec *d, const uint8_t *p, size_t cap,
		    size_t wire)
{
	size_t h = 24;
	uint8_t fc0, fc1;

	if (cap < 24)
		return pcap_dec_bad(d, "802.11 header cut by the snapshot "
				       "length");
	fc0 = p[0];
	fc1 = p[1];
	if (((fc0 >> 2) & 3) != 2)
		return TULPEN_DECODE_OTHER; /* management, control */
	if (fc0 & 0x40)
		return TULPEN_DECODE_OTHER; /* null data: no payload */
	if (fc1 & 0x40)
		return pcap_dec_skipped(d, "encrypted 802.11 frame");
	if ((fc1 & 3) == 3)
		h += 6; /* four addresses */
	if (fc0 & 0x80) {
		h += 2; /* QoS control */
		if (fc1 & 0x80)
			h += 4; /* HT control */
	}
	if (cap < h)
		return pcap_dec_bad(d, "802.11 header cut by the snapshot "
				       "length");
	return pcap_dec_llc(d, p + h, cap - h, less(wire, h));
}
