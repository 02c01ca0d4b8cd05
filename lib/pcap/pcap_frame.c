// SPDX-License-Identifier: MIT
/*
 * pcap_frame.c - one captured frame to a TCP segment: link layers, VLAN
 * and other 802.1 tags, MPLS, PPPoE, IPv4 and IPv6, the tunnels Zeek
 * decodes (IP-in-IP, GRE with ERSPAN and Aruba, VXLAN, Geneve, GTP-U,
 * Teredo, AYIYA, GRE over UDP), nested to any depth that fits the capture,
 * and TCP with its checksum.
 *
 * The decoder trusts no length field: every header is checked against the
 * bytes actually captured before it is read, and lengths the headers claim
 * are checked against each other. Payload may be cut by the snapshot length
 * (the segment is still used, its length taken from the IP header); headers
 * may not. Frames that are valid but carry something not decoded (an
 * unknown link type, a tunnel payload of an unknown kind) come back as
 * TULPEN_DECODE_SKIPPED with the reason, so the reader can count them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <pcap/pcap.h>

#include "pcap/pcap_frame.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_PPP_WITH_DIR
#define DLT_PPP_WITH_DIR 204
#endif
#ifndef DLT_NFLOG
#define DLT_NFLOG 239
#endif

/* TCP options: only what the report uses; stop at anything odd. */
static void tcp_options(const uint8_t *p, size_t len, struct tulpen_pkt *pkt)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = p[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		olen = p[i + 1];
		if (olen < 2 || i + olen > len)
			break;
		if (kind == 2 && olen == 4) {
			pkt->has_mss = 1;
			pkt->mss = rd16(p + i + 2);
		} else if (kind == 3 && olen == 3) {
			pkt->has_wscale = 1;
			pkt->wscale = p[i + 2];
		} else if (kind == 4) {
			pkt->sack_ok = 1;
		} else if (kind == 8 && olen == 10) {
			pkt->has_ts = 1;
		}
		i += olen;
	}
}

/*
 * The ones' complement sum (RFC 1071) of @len bytes added to @acc, not
 * folded: eight bytes at a time in the machine's order with the
 * end-around carry, 32 in a round. The sum does not depend on the byte
 * order but for one swap at the end (csum_fold()).
 */
static uint64_t csum_acc(uint64_t acc, const uint8_t *p, size_t len)
{
	uint64_t w[4];
	uint32_t t;
	uint16_t h;

	for (; len >= 32; p += 32, len -= 32) {
		memcpy(w, p, 32);
		acc += w[0];
		acc += acc < w[0];
		acc += w[1];
		acc += acc < w[1];
		acc += w[2];
		acc += acc < w[2];
		acc += w[3];
		acc += acc < w[3];
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(w, p, 8);
		acc += w[0];
		acc += acc < w[0];
	}
	/* the rest, under 8 bytes: into a 64-bit word, zeros after */
	if (len >= 4) {
		memcpy(&t, p, 4);
		acc += t; /* no carry: a 32-bit value into a 64-bit sum */
		acc += acc < t;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		acc += h;
		acc += acc < h;
		p += 2;
		len -= 2;
	}
	if (len) {
		h = 0;
		memcpy(&h, p, 1); /* the high byte of a last, short word */
		acc += h;
		acc += acc < h;
	}
	return acc;
}

/* The sum of csum_acc() folded to 16 bits, as a big-endian value. */
static uint16_t csum_fold(uint64_t acc)
{
	uint16_t h;

	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	h = (uint16_t)acc;
	return rd16((const uint8_t *)&h); /* h's bytes are the sum's */
}

/* The TCP checksum over the pseudo-header and the whole segment. */
static int tcp_csum_ok(const struct tulpen_pkt *pkt, const uint8_t *tcp,
		       size_t len)
{
	uint64_t acc;
	uint32_t sum, a, b;

	if (pkt->family == AF_INET6) {
		acc = csum_acc(0, pkt->src.addr.raw, 16);
		acc = csum_acc(acc, pkt->dst.addr.raw, 16);
	} else {
		/* two 32-bit words: no carry out of 64 bits */
		memcpy(&a, pkt->src.addr.raw, 4);
		memcpy(&b, pkt->dst.addr.raw, 4);
		acc = (uint64_t)a + b;
	}
	acc = csum_acc(acc, tcp, len);
	sum = (uint32_t)csum_fold(acc) + 6 + (uint32_t)(len & 0xffff) +
	      (uint32_t)(len >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/*
 * The TCP header at @p: @cap bytes captured, @seglen bytes in the segment
 * (from the IP header).
 */
static res_t tcp(struct pcap_dec *d, const uint8_t *p, size_t cap,
		 size_t seglen)
{
	struct tulpen_pkt *pkt = d->pkt;
	size_t hlen;

	if (seglen < 20)
		return pcap_dec_bad(d, "TCP segment shorter than a TCP header");
	if (cap < 20)
		return pcap_dec_bad(d, "TCP header cut by the snapshot length");
	hlen = (size_t)(p[12] >> 4) * 4;
	if (hlen < 20)
		return pcap_dec_bad(
			d, "TCP data offset below 5 (header shorter than "
			   "20 bytes)");
	if (hlen > seglen)
		return pcap_dec_bad(
			d, "TCP data offset beyond the end of the segment");
	pkt->src.port = rd16(p);
	pkt->dst.port = rd16(p + 2);
	pkt->seq = rd32(p + 4);
	pkt->ack = rd32(p + 8);
	pkt->flags = p[13];
	pkt->window = rd16(p + 14);
	pkt->payload_len = (uint32_t)(seglen - hlen);
	pkt->has_mss = pkt->has_wscale = pkt->sack_ok = pkt->has_ts = 0;
	if (hlen > 20)
		tcp_options(p + 20, (cap < hlen ? cap : hlen) - 20, pkt);
	/* 2: not the snapshot, the rest is in the outer packet's fragments */
	pkt->truncated = cap >= seglen ? 0 : d->frag_cut ? 2 : 1;
	if (cap >= seglen)
		pkt->csum = tcp_csum_ok(pkt, p, seglen) ? TULPEN_CSUM_GOOD
							: TULPEN_CSUM_BAD;
	else
		pkt->csum = TULPEN_CSUM_UNCHECKED;
	return TULPEN_DECODE_TCP;
}

/*
 * The payload of an IP packet with protocol @proto: TCP, or a tunnel.
 * @frag: the packet is a first fragment (the rest of its payload is in
 * other packets, so what it carries may be cut like a snapshot).
 */
static res_t ip_payload(struct pcap_dec *d, uint8_t proto, const uint8_t *p,
			size_t cap, size_t len, int frag)
{
	if (frag)
		d->frag_cut = 1;
	switch (proto) {
	case 6:
		return tcp(d, p, cap, len);
	case 4:	 /* IP-in-IP */
	case 41: /* 6in4, 6to4, IPv6-in-IPv6 */
		if (!pcap_dec_deeper(d))
			return pcap_dec_bad(d, "tunnels nested too deep");
		pcap_dec_tunnel(d, TULPEN_TUNNEL_IP, 0, 0);
		return pcap_dec_ip(d, p, cap, frag ? SIZE_MAX : len);
	case 47:
		if (!pcap_dec_deeper(d))
			return pcap_dec_bad(d, "tunnels nested too deep");
		return pcap_dec_gre(d, p, cap, frag ? SIZE_MAX : len);
	case 17:
		return pcap_dec_udp(d, p, cap, frag ? SIZE_MAX : len);
	}
	return TULPEN_DECODE_OTHER;
}

static res_t ipv4(struct pcap_dec *d, const uint8_t *p, size_t cap, size_t wire)
{
	struct tulpen_pkt *pkt = d->pkt;
	size_t hlen, tot;
	uint16_t frag;

	if (cap < 20)
		return pcap_dec_bad(d,
				    "IPv4 header cut by the snapshot length");
	if ((p[0] >> 4) != 4)
		return pcap_dec_bad(d, "IP version is not 4 in an IPv4 packet");
	hlen = (size_t)(p[0] & 15) * 4;
	if (hlen < 20)
		return pcap_dec_bad(d, "IPv4 header length below 20 bytes");
	if (cap < hlen)
		return pcap_dec_bad(d,
				    "IPv4 options cut by the snapshot length");
	tot = rd16(p + 2);
	if (tot == 0 && wire > hlen && wire != SIZE_MAX)
		tot = wire; /* TSO/BIG TCP: length left 0 */
	if (tot < hlen)
		return pcap_dec_bad(
			d, "IPv4 total length shorter than its header");
	if (tot > wire)
		return pcap_dec_bad(
			d, "IPv4 total length beyond the end of the frame");
	frag = rd16(p + 6);
	if (frag & 0x1fff)
		return TULPEN_DECODE_OTHER; /* not the first fragment */
	if (csum_fold(csum_acc(0, p, hlen)) != 0xffff)
		pkt->ip_csum_bad = 1; /* any IPv4 header on the way in */
	pkt->family = AF_INET;
	memset(&pkt->src.addr, 0, sizeof(pkt->src.addr));
	memset(&pkt->dst.addr, 0, sizeof(pkt->dst.addr));
	memcpy(pkt->src.addr.raw, p + 12, 4);
	memcpy(pkt->dst.addr.raw, p + 16, 4);
	pkt->ip_len = (uint32_t)tot;
	if (cap > tot)
		cap = tot; /* Ethernet padding */
	return ip_payload(d, p[9], p + hlen, cap - hlen, tot - hlen,
			  !!(frag & 0x2000));
}

/* IPv6 extension headers from @off: the upper protocol and its offset. */
static res_t ipv6_ext(struct pcap_dec *d, const uint8_t *p, size_t cap,
		      size_t tot, uint8_t *nhp, size_t *offp, int *frag)
{
	size_t off = 40, elen;
	uint8_t nh = p[6];
	int hops = 0;

	for (;;) {
		switch (nh) {
		case 0:	  /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 139: /* HIP */
		case 140: /* shim6 */
			if (off + 2 > cap)
				return pcap_dec_bad(
					d, "IPv6 extension header cut by "
					   "the snapshot length");
			elen = ((size_t)p[off + 1] + 1) * 8;
			break;
		case 51: /* AH */
			if (off + 2 > cap)
				return pcap_dec_bad(d,
						    "IPv6 AH header cut by the "
						    "snapshot length");
			elen = ((size_t)p[off + 1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (off + 8 > cap)
				return pcap_dec_bad(
					d, "IPv6 fragment header cut by the "
					   "snapshot length");
			if (rd16(p + off + 2) & 0xfff8)
				return TULPEN_DECODE_OTHER;
			*frag = rd16(p + off + 2) & 1;
			elen = 8;
			break;
		default:
			*nhp = nh;
			*offp = off;
			return TULPEN_DECODE_TCP;
		}
		if (off + elen > tot)
			return pcap_dec_bad(
				d, "IPv6 extension header beyond the end "
				   "of the packet");
		nh = p[off];
		off += elen;
		if (++hops > 16)
			return pcap_dec_bad(
				d, "more than 16 IPv6 extension headers");
	}
}

static res_t ipv6(struct pcap_dec *d, const uint8_t *p, size_t cap, size_t wire)
{
	struct tulpen_pkt *pkt = d->pkt;
	size_t off, tot;
	uint8_t nh;
	int frag = 0;
	res_t r;

	if (cap < 40)
		return pcap_dec_bad(d,
				    "IPv6 header cut by the snapshot length");
	if ((p[0] >> 4) != 6)
		return pcap_dec_bad(d, "IP version is not 6 in an IPv6 packet");
	tot = 40 + (size_t)rd16(p + 4);
	if (tot == 40 && wire > 40 && wire != SIZE_MAX)
		tot = wire; /* jumbogram or BIG TCP: payload length 0 */
	if (tot > wire)
		return pcap_dec_bad(d,
				    "IPv6 payload length beyond the end of the "
				    "frame");
	if (cap > tot)
		cap = tot;
	r = ipv6_ext(d, p, cap, tot, &nh, &off, &frag);
	if (r != TULPEN_DECODE_TCP)
		return r;
	if (off > cap)
		return pcap_dec_bad(
			d, "IPv6 extension headers cut by the snapshot "
			   "length");
	pkt->family = AF_INET6;
	memcpy(pkt->src.addr.raw, p + 8, 16);
	memcpy(pkt->dst.addr.raw, p + 24, 16);
	pkt->ip_len = (uint32_t)(tot > UINT32_MAX ? UINT32_MAX : tot);
	return ip_payload(d, nh, p + off, cap - off, tot - off, frag);
}

/* The IP version nibble decides. */
res_t pcap_dec_ip(struct pcap_dec *d, const uint8_t *p, size_t cap, size_t wire)
{
	if (cap < 1)
		return pcap_dec_bad(d, "empty IP packet");
	switch (p[0] >> 4) {
	case 4:
		return ipv4(d, p, cap, wire);
	case 6:
		return ipv6(d, p, cap, wire);
	}
	return pcap_dec_bad(d, "IP version neither 4 nor 6");
}

void pcap_dec_tunnel(struct pcap_dec *d, int type, uint16_t sport,
		     uint16_t dport)
{
	struct tulpen_tunnel *t = &d->pkt->tunnel;

	t->type = (uint8_t)type;
	t->family = d->pkt->family;
	t->outer_src = d->pkt->src;
	t->outer_dst = d->pkt->dst;
	t->outer_src.port = sport;
	t->outer_dst.port = dport;
	if (t->depth < UINT8_MAX)
		t->depth++;
}

#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ1 0x9100
#define ETH_P_QINQ2 0x9200
#define ETH_P_MPLS 0x8847
#define ETH_P_MPLS_MC 0x8848
#define ETH_P_PPPOE 0x8864
#define ETH_P_PBB 0x88e7
#define ETH_P_VNTAG 0x8926

/* An MPLS label stack, then IP (or a pseudowire's Ethernet). */
static res_t mpls(struct pcap_dec *d, const uint8_t *p, size_t cap, size_t wire)
{
	int labels = 0;

	for (;;) {
		if (cap < 4)
			return pcap_dec_bad(d, "MPLS label cut by the snapshot "
					       "length");
		if (++labels > 16)
			return pcap_dec_bad(d, "more than 16 MPLS labels");
		p += 4;
		cap -= 4;
		if (wire != SIZE_MAX)
			wire -= 4;
		if (p[-2] & 1) /* bottom of the stack */
			break;
	}
	if (cap < 1)
		return pcap_dec_bad(d, "MPLS payload cut by the snapshot "
				       "length");
	switch (p[0] >> 4) {
	case 4:
	case 6:
		return pcap_dec_ip(d, p, cap, wire);
	case 0: /* pseudowire control word, then Ethernet */
		if (cap < 4)
			return pcap_dec_bad(d, "MPLS control word cut by the "
					       "snapshot length");
		return pcap_dec_ether(d, p + 4, cap - 4,
				      wire == SIZE_MAX ? wire : wire - 4);
	}
	return pcap_dec_skipped(d, "MPLS payload neither IP nor Ethernet");
}

/* Skip @n bytes of header at *@p. 0, or -1 when not captured. */
static int take(const uint8_t **p, size_t *cap, size_t *wire, size_t n)
{
	if (*cap < n)
		return -1;
	*p += n;
	*cap -= n;
	if (*wire != SIZE_MAX)
		*wire = *wire >= n ? *wire - n : 0;
	return 0;
}

static res_t ppp_proto(struct pcap_dec *d, const uint8_t *p, size_t cap,
		       size_t wire);

res_t pcap_dec_ethertype(struct pcap_dec *d, uint16_t type, const uint8_t *p,
			 size_t cap, size_t wire)
{
	int tags = 0;

	for (;;) {
		if (++tags > 8)
			return pcap_dec_bad(d,
					    "more than 8 VLAN or other tags");
		switch (type) {
		case ETH_P_8021Q:
		case ETH_P_8021AD:
		case ETH_P_QINQ1:
		case ETH_P_QINQ2:
			if (take(&p, &cap, &wire, 4))
				return pcap_dec_bad(d, "VLAN tag cut by the "
						       "snapshot length");
			if (tags <= 2 && !d->pkt->vlan[tags - 1])
				d->pkt->vlan[tags - 1] = rd16(p - 4) & 0x0fff;
			type = rd16(p - 2);
			continue;
		case ETH_P_VNTAG: /* 4 bytes of tag, then the EtherType */
			if (take(&p, &cap, &wire, 6))
				return pcap_dec_bad(d, "VN-Tag cut by the "
						       "snapshot length");
			type = rd16(p - 2);
			continue;
		case ETH_P_PBB: /* 802.1ah: I-TAG, then the customer frame */
			if (take(&p, &cap, &wire, 4))
				return pcap_dec_bad(d, "802.1ah I-TAG cut by "
						       "the snapshot length");
			return pcap_dec_ether(d, p, cap, wire);
		case ETH_P_PPPOE:
			if (take(&p, &cap, &wire, 6))
				return pcap_dec_bad(d, "PPPoE header cut by "
						       "the snapshot length");
			return ppp_proto(d, p, cap, wire);
		case ETH_P_MPLS:
		case ETH_P_MPLS_MC:
			return mpls(d, p, cap, wire);
		case ETH_P_IP:
		case ETH_P_IPV6:
			return pcap_dec_ip(d, p, cap, wire);
		}
		return TULPEN_DECODE_OTHER;
	}
}

res_t pcap_dec_ether(struct pcap_dec *d, const uint8_t *p, size_t cap,
		     size_t wire)
{
	uint16_t type;

	if (!pcap_dec_deeper(d))
		return pcap_dec_bad(d, "encapsulations nested too deep");
	if (cap < 14)
		return pcap_dec_bad(d, "Ethernet header cut by the snapshot "
				       "length");
	type = rd16(p + 12);
	if (type <= 1500) /* an 802.3 length: LLC follows */
		return pcap_dec_llc(d, p + 14, cap - 14,
				    wire == SIZE_MAX ? wire : wire - 14);
	return pcap_dec_ethertype(d, type, p + 14, cap - 14,
				  wire == SIZE_MAX ? wire : wire - 14);
}

res_t pcap_dec_ppp(struct pcap_dec *d, uint16_t proto, const uint8_t *p,
		   size_t cap, size_t wire)
{
	switch (proto) {
	case 0x0021:
	case 0x0057:
		return pcap_dec_ip(d, p, cap, wire);
	case 0x0281: /* MPLS unicast */
		return mpls(d, p, cap, wire);
	}
	return TULPEN_DECODE_OTHER; /* LCP, IPCP, CHAP... */
}

/* A PPP protocol field (one byte when compressed), then its payload. */
static res_t ppp_proto(struct pcap_dec *d, const uint8_t *p, size_t cap,
		       size_t wire)
{
	if (cap >= 1 && (p[0] & 1))
		return pcap_dec_ppp(d, p[0], p + 1, cap - 1,
				    wire == SIZE_MAX ? wire : wire - 1);
	if (take(&p, &cap, &wire, 2))
		return pcap_dec_bad(d, "PPP header cut by the snapshot length");
	return pcap_dec_ppp(d, rd16(p - 2), p, cap, wire);
}

/* A PPP frame: optional HDLC address/control, then the protocol. */
static res_t ppp_frame(struct pcap_dec *d, const uint8_t *p, size_t cap,
		       size_t wire)
{
	if (cap >= 2 && p[0] == 0xff && p[1] == 0x03)
		take(&p, &cap, &wire, 2);
	return ppp_proto(d, p, cap, wire);
}

res_t pcap_dec_llc(struct pcap_dec *d, const uint8_t *p, size_t cap,
		   size_t wire)
{
	if (cap < 3)
		return pcap_dec_bad(d, "802.2 LLC header cut by the snapshot "
				       "length");
	if (p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03)
		return TULPEN_DECODE_OTHER; /* not SNAP: STP, NetBIOS... */
	if (take(&p, &cap, &wire, 8))
		return pcap_dec_bad(d, "SNAP header cut by the snapshot "
				       "length");
	return pcap_dec_ethertype(d, rd16(p - 2), p, cap, wire);
}

/* BSD AF_INET6 values differ between systems; AF_INET is 2 everywhere. */
static int null_family_is_v6(uint32_t af)
{
	return af == 10 || af == 24 || af == 28 || af == 30;
}

static res_t loopback(struct pcap_dec *d, int dlt, const uint8_t *p, size_t cap,
		      size_t wire)
{
	uint32_t af;

	if (cap < 4)
		return pcap_dec_bad(d, "loopback header cut by the snapshot "
				       "length");
	if (dlt == DLT_LOOP)
		af = rd32(p);
	else
		memcpy(&af, p, 4); /* the writer's byte order */
	if (af > 0xffff)
		af = __builtin_bswap32(af);
	if (af == 2 || null_family_is_v6(af))
		return pcap_dec_ip(d, p + 4, cap - 4, wire - 4);
	return TULPEN_DECODE_OTHER;
}

/* Token Ring (802.5): access/frame control, addresses, source route. */
static res_t token_ring(struct pcap_dec *d, const uint8_t *p, size_t cap,
			size_t wire)
{
	size_t hlen = 14;

	if (cap < 14)
		return pcap_dec_bad(d, "Token Ring header cut by the snapshot "
				       "length");
	if (p[8] & 0x80) { /* routing information present */
		if (cap < 15)
			return pcap_dec_bad(d, "Token Ring routing cut by the "
					       "snapshot length");
		hlen += p[14] & 0x1f;
	}
	if (cap < hlen)
		return pcap_dec_bad(d, "Token Ring routing cut by the "
				       "snapshot length");
	return pcap_dec_llc(d, p + hlen, cap - hlen, wire - hlen);
}

/* Linux NFLOG: TLVs after a 4-byte header; the payload TLV is IP. */
static res_t nflog(struct pcap_dec *d, const uint8_t *p, size_t cap,
		   size_t wire)
{
	size_t off = 4;

	(void)wire;
	while (off + 4 <= cap) {
		size_t len = (size_t)p[off] | (size_t)p[off + 1] << 8;
		uint16_t type = (uint16_t)(p[off + 2] | p[off + 3] << 8);

		if (len < 4)
			return pcap_dec_bad(d, "NFLOG TLV shorter than its "
					       "header");
		if (type == 9) /* NFULA_PAYLOAD */
			return pcap_dec_ip(d, p + off + 4,
					   (cap - off - 4 < len - 4
						    ? cap - off - 4
						    : len - 4),
					   len - 4);
		off += (len + 3) & ~(size_t)3;
	}
	return TULPEN_DECODE_OTHER;
}

/* Radiotap: a little-endian length at bytes 2-3, then 802.11. */
static res_t radiotap(struct pcap_dec *d, const uint8_t *p, size_t cap,
		      size_t wire)
{
	size_t len;

	if (cap < 4)
		return pcap_dec_bad(d, "radiotap header cut by the snapshot "
				       "length");
	len = (size_t)p[2] | (size_t)p[3] << 8;
	if (len < 8 || len > cap)
		return pcap_dec_bad(d, "radiotap length beyond the capture");
	return pcap_dec_wifi(d, p + len, cap - len, wire - len);
}

/* Link types with a header of fixed length before IP. */
static int fixed_ip_header(int dlt)
{
	switch (dlt) {
	case DLT_RAW:
	case 101: /* LINKTYPE_RAW (libpcap maps it to DLT_RAW) */
	case DLT_IPV4:
	case DLT_IPV6:
		return 0;
	case DLT_ENC:
		return 12;
	}
	return -1;
}

int tulpen_pcap_linktype_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_PPP:
	case DLT_PPP_SERIAL:
	case DLT_PPP_ETHER:
	case DLT_PPP_WITH_DIR:
	case DLT_C_HDLC:
	case DLT_FDDI:
	case DLT_IEEE802:
	case DLT_ATM_RFC1483:
	case DLT_IEEE802_11:
	case DLT_IEEE802_11_RADIO:
	case DLT_PFLOG:
	case DLT_NFLOG:
		return 1;
	}
	return fixed_ip_header(dlt) >= 0;
}

static res_t link_layer(struct pcap_dec *d, int dlt, const uint8_t *p,
			size_t cap, size_t wire)
{
	int h;

	switch (dlt) {
	case DLT_EN10MB:
		d->depth--; /* the link layer is not an encapsulation */
		return pcap_dec_ether(d, p, cap, wire);
	case DLT_LINUX_SLL:
		if (cap < 16)
			return pcap_dec_bad(d, "Linux cooked (SLL) header cut "
					       "by the snapshot length");
		return pcap_dec_ethertype(d, rd16(p + 14), p + 16, cap - 16,
					  wire - 16);
	case DLT_LINUX_SLL2:
		if (cap < 20)
			return pcap_dec_bad(d, "Linux cooked v2 (SLL2) header "
					       "cut by the snapshot length");
		return pcap_dec_ethertype(d, rd16(p), p + 20, cap - 20,
					  wire - 20);
	case DLT_NULL:
	case DLT_LOOP:
		return loopback(d, dlt, p, cap, wire);
	case DLT_PPP:
	case DLT_PPP_SERIAL:
		return ppp_frame(d, p, cap, wire);
	case DLT_PPP_WITH_DIR:
		if (cap < 1)
			return pcap_dec_bad(d, "empty PPP frame");
		return ppp_frame(d, p + 1, cap - 1, wire - 1);
	case DLT_PPP_ETHER:
		if (cap < 6)
			return pcap_dec_bad(d, "PPPoE header cut by the "
					       "snapshot length");
		return ppp_proto(d, p + 6, cap - 6, wire - 6);
	case DLT_C_HDLC:
		if (cap < 4)
			return pcap_dec_bad(d, "Cisco HDLC header cut by the "
					       "snapshot length");
		return pcap_dec_ethertype(d, rd16(p + 2), p + 4, cap - 4,
					  wire - 4);
	case DLT_FDDI: /* frame control, two addresses, then LLC */
		if (cap < 13)
			return pcap_dec_bad(d, "FDDI header cut by the "
					       "snapshot length");
		return pcap_dec_llc(d, p + 13, cap - 13, wire - 13);
	case DLT_IEEE802:
		return token_ring(d, p, cap, wire);
	case DLT_ATM_RFC1483:
		return pcap_dec_llc(d, p, cap, wire);
	case DLT_IEEE802_11:
		return pcap_dec_wifi(d, p, cap, wire);
	case DLT_IEEE802_11_RADIO:
		return radiotap(d, p, cap, wire);
	case DLT_PFLOG: /* a padded header of the length in its first byte */
		if (cap < 1 || (size_t)((p[0] + 3) & ~3) > cap)
			return pcap_dec_bad(d, "pflog header cut by the "
					       "snapshot length");
		h = (p[0] + 3) & ~3;
		return pcap_dec_ip(d, p + h, cap - (size_t)h, wire - (size_t)h);
	case DLT_NFLOG:
		return nflog(d, p, cap, wire);
	case DLT_IPV4:
		return ipv4(d, p, cap, wire);
	case DLT_IPV6:
		return ipv6(d, p, cap, wire);
	}
	h = fixed_ip_header(dlt);
	if (h < 0)
		return pcap_dec_skipped(d, "link type not decoded");
	if (cap < (size_t)h)
		return pcap_dec_bad(d,
				    "link header cut by the snapshot length");
	return pcap_dec_ip(d, p + h, cap - (size_t)h, wire - (size_t)h);
}

enum tulpen_decode_result tulpen_pcap_decode(int dlt, const uint8_t *data,
					     size_t caplen, size_t wirelen,
					     struct tulpen_pkt *pkt,
					     const char **why)
{
	struct pcap_dec d = { .pkt = pkt, .why = why, .depth = 0 };

	memset(pkt->vlan, 0, sizeof(pkt->vlan));
	memset(&pkt->tunnel, 0, sizeof(pkt->tunnel));
	pkt->csum = TULPEN_CSUM_UNCHECKED;
	pkt->ip_csum_bad = 0;
	pkt->has_mss = pkt->has_wscale = pkt->sack_ok = pkt->has_ts = 0;
	pkt->truncated = 0;
	if (wirelen < caplen)
		wirelen = caplen;
	return link_layer(&d, dlt, data, caplen, wirelen);
}
