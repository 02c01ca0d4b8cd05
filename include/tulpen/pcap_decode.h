/* SPDX-License-Identifier: MIT */
/*
 * tulpen/pcap_decode.h - read capture files and decode TCP segments.
 *
 * Two layers:
 *  - tulpen_pcap_decode(): a pure function from one captured frame (link
 *    type, bytes, lengths) to a decoded TCP segment. It never allocates,
 *    never reads past @caplen and explains every rejection in a static
 *    string. The fuzz target drives this directly.
 *  - struct tulpen_pcap_reader: a capture file (pcap or pcapng, "-" for
 *    standard input) read through libpcap, handing out decoded segments with
 *    the packet number they had in the file (counted from 1).
 *
 * Link types: Ethernet, Linux cooked capture v1 and v2, BSD loopback
 * (DLT_NULL, DLT_LOOP), raw IP (DLT_RAW, DLT_IPV4, DLT_IPV6), PPP (also
 * serial, with direction, over Ethernet), Cisco HDLC, FDDI, Token Ring, ATM
 * (RFC 1483), 802.11 (also radiotap), OpenBSD enc and pflog, Linux NFLOG.
 * Encapsulations: 802.1Q/802.1ad/QinQ tags, 802.1ah PBB, VN-Tag, MPLS,
 * PPPoE, LLC/SNAP, and the tunnels of struct tulpen_tunnel, nested.
 * Network: IPv4 (options skipped, non-first fragments ignored) and IPv6
 * (extension headers skipped). Transport: TCP, header with options, the
 * checksum checked when the whole segment was captured.
 *
 * Ownership: tulpen_pcap_open() allocates the reader, tulpen_pcap_close()
 * releases it and the file. A struct tulpen_pkt filled by the reader is
 * owned by the caller; it holds no pointers.
 */
#ifndef TULPEN_PCAP_DECODE_H
#define TULPEN_PCAP_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tulpen/ctx.h"
#include "tulpen/sock.h"
#include "tulpen/tcp_fsm.h" /* TULPEN_TH_* flag bits */

/*
 * Tunnels, as Zeek names them (Tunnel::Type): IP-in-IP (also 6in4, 4in6,
 * 6to4), GRE (also ERSPAN, Aruba's, GRE over UDP), VXLAN, Geneve, GTPv1
 * (GTP-U), Teredo, AYIYA.
 */
enum tulpen_tunnel_type {
	TULPEN_TUNNEL_NONE = 0,
	TULPEN_TUNNEL_IP,
	TULPEN_TUNNEL_GRE,
	TULPEN_TUNNEL_VXLAN,
	TULPEN_TUNNEL_GENEVE,
	TULPEN_TUNNEL_GTPV1,
	TULPEN_TUNNEL_TEREDO,
	TULPEN_TUNNEL_AYIYA,
	TULPEN_TUNNEL_NTYPES,
};

/* The innermost tunnel a segment came through. */
struct tulpen_tunnel {
	uint8_t type;	/* enum tulpen_tunnel_type; NONE: not tunnelled */
	uint8_t family; /* AF_INET or AF_INET6: the outer addresses */
	uint8_t depth;	/* tunnels nested around the segment */
	/* The carrying packet's endpoints (ports 0 for IP-in-IP, GRE). */
	struct tulpen_endpoint outer_src, outer_dst;
};

/* "IP", "GRE", "VXLAN", ... as Zeek's Tunnel::Type (without "Tunnel::"). */
const char *tulpen_tunnel_name(int type);

/* The TCP checksum: not checked (segment not captured whole), good, bad. */
#define TULPEN_CSUM_UNCHECKED 0
#define TULPEN_CSUM_GOOD 1
#define TULPEN_CSUM_BAD 2

/* One decoded TCP segment. */
struct tulpen_pkt {
	int64_t ts_ns;	/* capture time, ns since the epoch */
	uint64_t num;	/* packet number in its file, from 1 */
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t flags;	/* TULPEN_TH_* (tulpen/tcp_fsm.h) */
	/*
	 * Payload cut: 1 by the snapshot length, 2 because the rest is in
	 * later fragments of the outer packet of a tunnel (0: whole).
	 */
	uint8_t truncated;
	uint8_t csum;	     /* TULPEN_CSUM_*: the TCP checksum */
	uint8_t ip_csum_bad; /* an IPv4 header checksum was wrong */
	uint8_t wscale;	     /* window scale, if has_wscale */
	uint8_t has_mss : 1, has_wscale : 1, sack_ok : 1, has_ts : 1;
	uint16_t mss;	  /* MSS option, if has_mss */
	uint16_t window;  /* raw (unscaled) window field */
	uint16_t vlan[2]; /* outer and inner VLAN ids, 0 if none */
	/* IPv4 addresses fill the first 4 bytes, the other 12 are zero. */
	struct tulpen_endpoint src;
	struct tulpen_endpoint dst;
	uint32_t seq;
	uint32_t ack;
	uint32_t payload_len;	     /* TCP payload (from IP lengths) */
	uint32_t ip_len;	     /* IP header + payload as on the wire */
	struct tulpen_tunnel tunnel; /* type NONE when not tunnelled */
};

/*
 * Results of tulpen_pcap_decode(): a TCP segment, a frame that is valid but
 * not TCP over IP (ARP, UDP, a non-first fragment...), a frame that is
 * malformed (the reason is in *why), or a frame tulpen cannot look into
 * (an unknown link type, a tunnel payload of an unknown kind: *why says
 * which, so that they can be counted).
 */
enum tulpen_decode_result {
	TULPEN_DECODE_TCP = 0,
	TULPEN_DECODE_OTHER = 1,
	TULPEN_DECODE_BAD = 2,
	TULPEN_DECODE_SKIPPED = 3, /* valid, not decoded (why in *why) */
};

/*
 * tulpen_pcap_linktype_supported - whether @dlt (a DLT_* value as libpcap
 * reports it) can be decoded.
 */
int tulpen_pcap_linktype_supported(int dlt);

/*
 * tulpen_pcap_decode - decode one frame of link type @dlt: @caplen bytes at
 * @data were captured of a frame @wirelen bytes long. Fills @pkt (all but
 * ts_ns and num) for TULPEN_DECODE_TCP; on TULPEN_DECODE_BAD stores a static
 * explanation ("IPv4 header length 12 < 20") in *@why.
 */
enum tulpen_decode_result tulpen_pcap_decode(int dlt, const uint8_t *data,
					     size_t caplen, size_t wirelen,
					     struct tulpen_pkt *pkt,
					     const char **why);

struct tulpen_pcap_reader;

/* Counters of one reader. */
struct tulpen_pcap_stats {
	uint64_t frames;    /* frames read */
	uint64_t tcp;	    /* TCP segments handed out */
	uint64_t other;	    /* valid frames that are not TCP */
	uint64_t bad;	    /* malformed frames skipped */
	uint64_t skipped;   /* valid frames not decoded (tulpen_pcap_skips) */
	uint64_t truncated; /* TCP segments whose payload was cut */
	uint64_t clamped;   /* times outside 64-bit nanoseconds (1677 to
			     * 2262), clamped to its ends */
};

/*
 * Called for each malformed frame, which is then skipped: @path, the packet
 * number and the reason. The strings are valid during the call only.
 */
typedef void (*tulpen_pcap_warn_fn)(void *priv, const char *path, uint64_t num,
				    const char *why);

/*
 * tulpen_pcap_open - open the capture file @path ("-": standard input).
 * Fails with -EINVAL and a message in @ctx ("x.pcap: unknown file format")
 * when the file cannot be read. A link type tulpen does not decode is no
 * error: its frames are counted as skipped. @warn may be NULL.
 */
int tulpen_pcap_open(struct tulpen_ctx *ctx, const char *path,
		     tulpen_pcap_warn_fn warn, void *warn_priv,
		     struct tulpen_pcap_reader **out);

/*
 * tulpen_pcap_open_fp - the same over an open stream @fp (read through
 * libpcap, which closes it with the reader); @name is used in messages.
 */
int tulpen_pcap_open_fp(struct tulpen_ctx *ctx, FILE *fp, const char *name,
			tulpen_pcap_warn_fn warn, void *warn_priv,
			struct tulpen_pcap_reader **out);

/*
 * tulpen_pcap_next - the next TCP segment. Returns 1 with @pkt filled, 0 at
 * the end of the file, or a negative errno with the message in the context
 * ("x.pcap: packet 1234: truncated dump file; ...").
 */
int tulpen_pcap_next(struct tulpen_pcap_reader *r, struct tulpen_pkt *pkt);

void tulpen_pcap_stats(const struct tulpen_pcap_reader *r,
		       struct tulpen_pcap_stats *st);

/* Frames not decoded, by reason ("link type not decoded", ...). */
struct tulpen_pcap_skip {
	const char *why; /* static string */
	uint64_t count;
};
#define TULPEN_PCAP_SKIP_KINDS 8

/* Up to @n reasons with their counts into @out; returns how many. */
size_t tulpen_pcap_skips(const struct tulpen_pcap_reader *r,
			 struct tulpen_pcap_skip *out, size_t n);

/* The name the reader was opened with ("x.pcap", "<stdin>"). */
const char *tulpen_pcap_path(const struct tulpen_pcap_reader *r);

/* The link type (a DLT_* value) of the file. */
int tulpen_pcap_linktype(const struct tulpen_pcap_reader *r);

/* The link type's name ("EN10MB"), for messages. */
const char *tulpen_pcap_linktype_name(const struct tulpen_pcap_reader *r);

void tulpen_pcap_close(struct tulpen_pcap_reader *r);

#endif /* TULPEN_PCAP_DECODE_H */
