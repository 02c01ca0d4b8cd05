// SPDX-License-Identifier: MIT
/*
 * pcap_decode.c - capture files through libpcap, frames to TCP segments.
 *
 * The decoder trusts no length field: every header is checked against the
 * bytes actually captured before it is read, and lengths the headers claim
 * are checked against each other. Payload may be cut by the snapshot length
 * (the segment is still used, its length taken from the IP header); headers
 * may not.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <pcap/pcap.h>

#include "tulpen/pcap_decode.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ1 0x9100
#define MAX_VLAN_TAGS 8

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

const char *tulpen_tunnel_name(int type)
{
	static const char *const names[TULPEN_TUNNEL_NTYPES] = {
		"NONE", "IP", "GRE", "VXLAN", "GENEVE", "GTPv1", "TEREDO",
		"AYIYA",
	};

	if (type < 0 || type >= TULPEN_TUNNEL_NTYPES)
		return "unknown";
	return names[type];
}

int tulpen_pcap_linktype_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return 1;
	}
	/*
	 * libpcap reports LINKTYPE_RAW (101) as DLT_RAW (12 here; 14 is
	 * DLT_RAW only on OpenBSD, PPP_BSDOS elsewhere); accept 101 too.
	 */
	return dlt == 101;
}

#define BAD(msg)                                                               \
	do {                                                                   \
		*why = (msg);                                                  \
		return TULPEN_DECODE_BAD;                                      \
	} while (0)

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
		switch (kind) {
		case 2:
			if (olen == 4) {
				pkt->has_mss = 1;
				pkt->mss = rd16(p + i + 2);
			}
			break;
		case 3:
			if (olen == 3) {
				pkt->has_wscale = 1;
				pkt->wscale = p[i + 2];
			}
			break;
		case 4:
			pkt->sack_ok = 1;
			break;
		case 8:
			if (olen == 10)
				pkt->has_ts = 1;
			break;
		}
		i += olen;
	}
}

/*
 * The TCP header at @p: @cap bytes captured, @seglen bytes in the segment
 * (from the IP header).
 */
static enum tulpen_decode_result tcp(const uint8_t *p, size_t cap,
				     size_t seglen, struct tulpen_pkt *pkt,
				     const char **why)
{
	size_t hlen;

	if (seglen < 20)
		BAD("TCP segment shorter than a TCP header");
	if (cap < 20)
		BAD("TCP header cut by the snapshot length");
	hlen = (size_t)(p[12] >> 4) * 4;
	if (hlen < 20)
		BAD("TCP data offset below 5 (header shorter than 20 bytes)");
	if (hlen > seglen)
		BAD("TCP data offset beyond the end of the segment");
	pkt->src.port = rd16(p);
	pkt->dst.port = rd16(p + 2);
	pkt->seq = rd32(p + 4);
	pkt->ack = rd32(p + 8);
	pkt->flags = p[13];
	pkt->window = rd16(p + 14);
	pkt->payload_len = (uint32_t)(seglen - hlen);
	if (hlen > 20)
		tcp_options(p + 20, (cap < hlen ? cap : hlen) - 20, pkt);
	pkt->truncated = cap < seglen;
	return TULPEN_DECODE_TCP;
}

static enum tulpen_decode_result ipv4(const uint8_t *p, size_t cap,
				      size_t wire, struct tulpen_pkt *pkt,
				      const char **why)
{
	size_t hlen, tot;
	uint16_t frag;

	if (cap < 20)
		BAD("IPv4 header cut by the snapshot length");
	if ((p[0] >> 4) != 4)
		BAD("IP version is not 4 in an IPv4 packet");
	hlen = (size_t)(p[0] & 15) * 4;
	if (hlen < 20)
		BAD("IPv4 header length below 20 bytes");
	if (cap < hlen)
		BAD("IPv4 options cut by the snapshot length");
	tot = rd16(p + 2);
	if (tot == 0 && wire > hlen)
		tot = wire; /* TSO/BIG TCP: length left 0 */
	if (tot < hlen)
		BAD("IPv4 total length shorter than its header");
	if (tot > wire)
		BAD("IPv4 total length beyond the end of the frame");
	frag = rd16(p + 6);
	if (p[9] != 6)
		return TULPEN_DECODE_OTHER;
	if (frag & 0x1fff)
		return TULPEN_DECODE_OTHER; /* not the first fragment */
	pkt->family = AF_INET;
	memset(&pkt->src.addr, 0, sizeof(pkt->src.addr));
	memset(&pkt->dst.addr, 0, sizeof(pkt->dst.addr));
	memcpy(pkt->src.addr.raw, p + 12, 4);
	memcpy(pkt->dst.addr.raw, p + 16, 4);
	pkt->ip_len = (uint32_t)tot;
	if (cap > tot)
		cap = tot; /* Ethernet padding */
	return tcp(p + hlen, cap - hlen, tot - hlen, pkt, why);
}

static enum tulpen_decode_result ipv6(const uint8_t *p, size_t cap,
				      size_t wire, struct tulpen_pkt *pkt,
				      const char **why)
{
	size_t off = 40, tot;
	uint8_t nh;
	int hops = 0;

	if (cap < 40)
		BAD("IPv6 header cut by the snapshot length");
	if ((p[0] >> 4) != 6)
		BAD("IP version is not 6 in an IPv6 packet");
	tot = 40 + (size_t)rd16(p + 4);
	if (tot == 40 && wire > 40)
		tot = wire; /* jumbogram or BIG TCP: payload length 0 */
	if (tot > wire)
		BAD("IPv6 payload length beyond the end of the frame");
	if (cap > tot)
		cap = tot;
	nh = p[6];
	for (;;) {
		size_t elen;

		switch (nh) {
		case 6:
			goto found;
		case 0:	  /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 139: /* HIP */
		case 140: /* shim6 */
			if (off + 2 > cap)
				BAD("IPv6 extension header cut by the "
				    "snapshot length");
			elen = ((size_t)p[off + 1] + 1) * 8;
			break;
		case 51: /* AH */
			if (off + 2 > cap)
				BAD("IPv6 AH header cut by the snapshot "
				    "length");
			elen = ((size_t)p[off + 1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (off + 8 > cap)
				BAD("IPv6 fragment header cut by the snapshot "
				    "length");
			if (rd16(p + off + 2) & 0xfff8)
				return TULPEN_DECODE_OTHER;
			elen = 8;
			break;
		default: /* 59 no next header, ESP, UDP, ICMPv6... */
			return TULPEN_DECODE_OTHER;
		}
		if (off + elen > tot)
			BAD("IPv6 extension header beyond the end of the "
			    "packet");
		nh = p[off];
		off += elen;
		if (++hops > 16)
			BAD("more than 16 IPv6 extension headers");
	}
found:
	pkt->family = AF_INET6;
	memcpy(pkt->src.addr.raw, p + 8, 16);
	memcpy(pkt->dst.addr.raw, p + 24, 16);
	pkt->ip_len = (uint32_t)tot;
	if (off > cap)
		BAD("IPv6 extension headers cut by the snapshot length");
	return tcp(p + off, cap - off, tot - off, pkt, why);
}

/* Dispatch on an EtherType, following VLAN tags. */
static enum tulpen_decode_result ether_payload(uint16_t type, const uint8_t *p,
					       size_t cap, size_t wire,
					       struct tulpen_pkt *pkt,
					       const char **why)
{
	int tags = 0;

	while (type == ETH_P_8021Q || type == ETH_P_8021AD ||
	       type == ETH_P_QINQ1) {
		if (cap < 4)
			BAD("VLAN tag cut by the snapshot length");
		if (tags < 2)
			pkt->vlan[tags] = rd16(p) & 0x0fff;
		if (++tags > MAX_VLAN_TAGS)
			BAD("more than 8 VLAN tags");
		type = rd16(p + 2);
		p += 4;
		cap -= 4;
		wire -= 4;
	}
	switch (type) {
	case ETH_P_IP:
		return ipv4(p, cap, wire, pkt, why);
	case ETH_P_IPV6:
		return ipv6(p, cap, wire, pkt, why);
	}
	return TULPEN_DECODE_OTHER;
}

/* The IP version nibble decides (raw IP link types). */
static enum tulpen_decode_result raw_ip(const uint8_t *p, size_t cap,
					size_t wire, struct tulpen_pkt *pkt,
					const char **why)
{
	if (cap < 1)
		BAD("empty raw IP frame");
	switch (p[0] >> 4) {
	case 4:
		return ipv4(p, cap, wire, pkt, why);
	case 6:
		return ipv6(p, cap, wire, pkt, why);
	}
	BAD("raw IP frame with IP version neither 4 nor 6");
}

/* BSD AF_INET6 values differ between systems; AF_INET is 2 everywhere. */
static int null_family_is_v6(uint32_t af)
{
	return af == 10 || af == 24 || af == 28 || af == 30;
}

enum tulpen_decode_result tulpen_pcap_decode(int dlt, const uint8_t *data,
					     size_t caplen, size_t wirelen,
					     struct tulpen_pkt *pkt,
					     const char **why)
{
	uint32_t af;

	memset(pkt->vlan, 0, sizeof(pkt->vlan));
	memset(&pkt->tunnel, 0, sizeof(pkt->tunnel));
	pkt->csum = TULPEN_CSUM_UNCHECKED;
	pkt->has_mss = pkt->has_wscale = pkt->sack_ok = pkt->has_ts = 0;
	pkt->truncated = 0;
	if (wirelen < caplen)
		wirelen = caplen;
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			BAD("Ethernet header cut by the snapshot length");
		return ether_payload(rd16(data + 12), data + 14, caplen - 14,
				     wirelen - 14, pkt, why);
	case DLT_LINUX_SLL:
		if (caplen < 16)
			BAD("Linux cooked (SLL) header cut by the snapshot "
			    "length");
		return ether_payload(rd16(data + 14), data + 16, caplen - 16,
				     wirelen - 16, pkt, why);
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			BAD("Linux cooked v2 (SLL2) header cut by the snapshot "
			    "length");
		return ether_payload(rd16(data), data + 20, caplen - 20,
				     wirelen - 20, pkt, why);
	case DLT_NULL:
	case DLT_LOOP:
		if (caplen < 4)
			BAD("loopback header cut by the snapshot length");
		if (dlt == DLT_LOOP)
			af = rd32(data);
		else
			memcpy(&af, data, 4); /* the writer's byte order */
		if (af > 0xffff)
			af = __builtin_bswap32(af);
		if (af == 2)
			return ipv4(data + 4, caplen - 4, wirelen - 4, pkt,
				    why);
		if (null_family_is_v6(af))
			return ipv6(data + 4, caplen - 4, wirelen - 4, pkt,
				    why);
		return TULPEN_DECODE_OTHER;
	case DLT_IPV4:
		return ipv4(data, caplen, wirelen, pkt, why);
	case DLT_IPV6:
		return ipv6(data, caplen, wirelen, pkt, why);
	}
	if (tulpen_pcap_linktype_supported(dlt))
		return raw_ip(data, caplen, wirelen, pkt, why);
	BAD("unsupported link type");
}

struct tulpen_pcap_reader {
	struct tulpen_ctx *ctx;
	pcap_t *pcap;
	char *path;
	int dlt;
	int nano;
	uint64_t num;
	tulpen_pcap_warn_fn warn;
	void *warn_priv;
	struct tulpen_pcap_stats st;
};

/* Common to both openers: @pcap is the opened handle or NULL. */
static int reader_init(struct tulpen_ctx *ctx, const char *name, pcap_t *pcap,
		       const char *errbuf, tulpen_pcap_warn_fn warn,
		       void *warn_priv, struct tulpen_pcap_reader **out)
{
	struct tulpen_pcap_reader *r;
	const char *lname;

	r = calloc(1, sizeof(*r));
	if (!r) {
		if (pcap)
			pcap_close(pcap);
		return -ENOMEM;
	}
	r->path = strdup(name);
	if (!r->path) {
		if (pcap)
			pcap_close(pcap);
		free(r);
		return -ENOMEM;
	}
	r->ctx = ctx;
	r->warn = warn;
	r->warn_priv = warn_priv;
	r->pcap = pcap;
	if (!r->pcap) {
		const char *msg = errbuf[0] ? errbuf : "cannot open";
		size_t n = strlen(name);

		/* libpcap sometimes names the file itself. */
		if (!strncmp(msg, name, n) && msg[n] == ':' &&
		    msg[n + 1] == ' ')
			msg += n + 2;
		tulpen_ctx_seterr(ctx, "%s: %s", r->path, msg);
		goto fail;
	}
	r->nano = pcap_get_tstamp_precision(r->pcap) ==
		  PCAP_TSTAMP_PRECISION_NANO;
	r->dlt = pcap_datalink(r->pcap);
	if (!tulpen_pcap_linktype_supported(r->dlt)) {
		lname = pcap_datalink_val_to_name(r->dlt);
		tulpen_ctx_seterr(ctx,
				  "%s: link type %d (%s) is not supported "
				  "(Ethernet, Linux cooked v1/v2, loopback, "
				  "raw IP are)",
				  r->path, r->dlt, lname ? lname : "unknown");
		goto fail;
	}
	*out = r;
	return 0;
fail:
	tulpen_pcap_close(r);
	return -EINVAL;
}

int tulpen_pcap_open(struct tulpen_ctx *ctx, const char *path,
		     tulpen_pcap_warn_fn warn, void *warn_priv,
		     struct tulpen_pcap_reader **out)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	FILE *fp;

	fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!fp) {
		int err = errno;

		tulpen_ctx_seterr(ctx, "%s: %s", path, strerror(err));
		return -err;
	}
	/*
	 * libpcap reads a savefile record by record through stdio: a large
	 * buffer saves most of the read() calls. Set before any read.
	 */
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	return tulpen_pcap_open_fp(ctx, fp, name, warn, warn_priv, out);
}

int tulpen_pcap_open_fp(struct tulpen_ctx *ctx, FILE *fp, const char *name,
			tulpen_pcap_warn_fn warn, void *warn_priv,
			struct tulpen_pcap_reader **out)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	p = pcap_fopen_offline_with_tstamp_precision(
		fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p)
		fclose(fp);
	return reader_init(ctx, name, p, errbuf, warn, warn_priv, out);
}

int tulpen_pcap_next(struct tulpen_pcap_reader *r, struct tulpen_pkt *pkt)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	const char *why;
	int ret;

	for (;;) {
		ret = pcap_next_ex(r->pcap, &h, &data);
		if (ret == PCAP_ERROR_BREAK)
			return 0;
		if (ret != 1) {
			tulpen_ctx_seterr(r->ctx, "%s: packet %llu: %s",
					  r->path,
					  (unsigned long long)r->num + 1,
					  pcap_geterr(r->pcap));
			return -EIO;
		}
		r->num++;
		r->st.frames++;
		switch (tulpen_pcap_decode(r->dlt, data, h->caplen, h->len, pkt,
					   &why)) {
		case TULPEN_DECODE_TCP:
			pkt->num = r->num;
			pkt->ts_ns = (int64_t)h->ts.tv_sec * 1000000000 +
				     (int64_t)h->ts.tv_usec *
					     (r->nano ? 1 : 1000);
			r->st.tcp++;
			r->st.truncated += pkt->truncated;
			return 1;
		case TULPEN_DECODE_OTHER:
			r->st.other++;
			break;
		case TULPEN_DECODE_BAD:
			r->st.bad++;
			if (r->warn)
				r->warn(r->warn_priv, r->path, r->num, why);
			break;
		}
	}
}

void tulpen_pcap_stats(const struct tulpen_pcap_reader *r,
		       struct tulpen_pcap_stats *st)
{
	*st = r->st;
}

const char *tulpen_pcap_linktype_name(const struct tulpen_pcap_reader *r)
{
	const char *n = pcap_datalink_val_to_name(r->dlt);

	return n ? n : "unknown";
}

void tulpen_pcap_close(struct tulpen_pcap_reader *r)
{
	if (!r)
		return;
	if (r->pcap)
		pcap_close(r->pcap);
	free(r->path);
	free(r);
}
