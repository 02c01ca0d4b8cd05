// SPDX-License-Identifier: MIT
/* Unit tests: the frame decoder on hand-made frames. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "tulpen/pcap_decode.h"

/* IPv4 + TCP (MSS, SACK-permitted, timestamps, NOP, window scale). */
static const uint8_t ip4_syn[] = {
	0x45, 0x00, 0x00, 0x3c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0,	  0,
	10,   0,    0,	  1,	10,   0,    0,	  2,	0x9c, 0x40, 0x00, 0x50,
	0,    0,    0x03, 0xe8, 0,    0,    0,	  0,	0xa0, 0x02, 0xff, 0xff,
	0,    0,    0,	  0,	2,    4,    0x05, 0xb4, 4,    2,    8,	  10,
	0,    0,    0,	  1,	0,    0,    0,	  0,	1,    3,    3,	  7,
};

static size_t with_eth(uint8_t *out, uint16_t type, const uint8_t *p, size_t n)
{
	memset(out, 0xaa, 12);
	out[12] = (uint8_t)(type >> 8);
	out[13] = (uint8_t)type;
	memcpy(out + 14, p, n);
	return n + 14;
}

static void ethernet_ipv4(void **unused)
{
	uint8_t f[128];
	struct tulpen_pkt p;
	const char *why = NULL;
	size_t n = with_eth(f, 0x0800, ip4_syn, sizeof(ip4_syn));

	assert_int_equal(tulpen_pcap_decode(1, f, n, n, &p, &why),
			 TULPEN_DECODE_TCP);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.src.port, 40000);
	assert_int_equal(p.dst.port, 80);
	assert_int_equal(p.seq, 1000);
	assert_int_equal(p.flags, TULPEN_TH_SYN);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.ip_len, 60);
	assert_true(p.has_mss);
	assert_int_equal(p.mss, 1460);
	assert_true(p.sack_ok);
	assert_true(p.has_ts);
	assert_true(p.has_wscale);
	assert_int_equal(p.wscale, 7);
	assert_int_equal(p.src.addr.raw[3], 1);
	/* Ethernet padding after the IP packet is not payload. */
	memset(f + n, 0, 20);
	assert_int_equal(tulpen_pcap_decode(1, f, n + 20, n + 20, &p, &why),
			 TULPEN_DECODE_TCP);
	assert_int_equal(p.payload_len, 0);
}

static void vlan_tags(void **unused)
{
	uint8_t f[160], inner[80];
	struct tulpen_pkt p;
	const char *why;
	size_t n;

	/* 802.1ad outer 100, 802.1Q inner 42 */
	inner[0] = 0x00;
	inner[1] = 100;
	inner[2] = 0x81;
	inner[3] = 0x00;
	inner[4] = 0x00;
	inner[5] = 42;
	inner[6] = 0x08;
	inner[7] = 0x00;
	memcpy(inner + 8, ip4_syn, sizeof(ip4_syn));
	n = with_eth(f, 0x88a8, inner, 8 + sizeof(ip4_syn));
	assert_int_equal(tulpen_pcap_decode(1, f, n, n, &p, &why),
			 TULPEN_DECODE_TCP);
	assert_int_equal(p.vlan[0], 100);
	assert_int_equal(p.vlan[1], 42);
	assert_int_equal(p.dst.port, 80);
	/* a tag cut short */
	assert_int_equal(tulpen_pcap_decode(1, f, 16, n, &p, &why),
			 TULPEN_DECODE_BAD);
	assert_string_equal(why, "VLAN tag cut by the snapshot length");
}

static void not_tcp(void **unused)
{
	uint8_t f[128], ip[sizeof(ip4_syn)];
	struct tulpen_pkt p;
	const char *why;
	size_t n;

	n = with_eth(f, 0x0806, ip4_syn, sizeof(ip4_syn)); /* ARP */
	assert_int_equal(tulpen_pcap_decode(1, f, n, n, &p, &why),
			 TULPEN_DECODE_OTHER);
	memcpy(ip, ip4_syn, sizeof(ip));
	ip[9] = 17; /* UDP */
	n = with_eth(f, 0x0800, ip, sizeof(ip));
	assert_int_equal(tulpen_pcap_decode(1, f, n, n, &p, &why),
			 TULPEN_DECODE_OTHER);
	ip[9] = 6;
	ip[6] = 0x00;
	ip[7] = 0x10; /* fragment offset 16: not the first fragment */
	n = with_eth(f, 0x0800, ip, sizeof(ip));
	assert_int_equal(tulpen_pcap_decode(1, f, n, n, &p, &why),
			 TULPEN_DECODE_OTHER);
}

static void ipv6_ext(void **unused)
{
	uint8_t f[200], ip6[160];
	struct tulpen_pkt p;
	const char *why;
	size_t tcp = sizeof(ip4_syn) - 20, n;

	memset(ip6, 0, sizeof(ip6));
	ip6[0] = 0x60;
	ip6[4] = 0;
	ip6[5] = (uint8_t)(8 + 8 + tcp);
	ip6[6] = 0;  /* hop-by-hop */
	ip6[23] = 1; /* ::1 */
	ip6[39] = 2;
	ip6[40] = 44; /* -> fragment */
	ip6[41] = 0;
	ip6[48] = 6; /* fragment -> TCP, offset 0 */
	memcpy(ip6 + 56, ip4_syn + 20, tcp);
	n = with_eth(f, 0x86dd, ip6, 56 + tcp);
	assert_int_equal(tulpen_pcap_decode(1, f, n, n, &p, &why),
			 TULPEN_DECODE_TCP);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.dst.port, 80);
	assert_int_equal(p.dst.addr.raw[15], 2);
	ip6[51] = 0x08; /* offset 1: a later fragment */
	with_eth(f, 0x86dd, ip6, 56 + tcp);
	assert_int_equal(tulpen_pcap_decode(1, f, n, n, &p, &why),
			 TULPEN_DECODE_OTHER);
	ip6[51] = 0;
	ip6[41] = 200; /* hop-by-hop longer than the packet */
	with_eth(f, 0x86dd, ip6, 56 + tcp);
	assert_int_equal(tulpen_pcap_decode(1, f, n, n, &p, &why),
			 TULPEN_DECODE_BAD);
	assert_string_equal(why, "IPv6 extension header beyond the end of "
				 "the packet");
}

static void link_types(void **unused)
{
	uint8_t f[128];
	struct tulpen_pkt p;
	const char *why;

	/* Linux cooked v1: protocol at 14 */
	memset(f, 0, 16);
	f[14] = 0x08;
	memcpy(f + 16, ip4_syn, sizeof(ip4_syn));
	assert_int_equal(tulpen_pcap_decode(113, f, 16 + sizeof(ip4_syn),
					    16 + sizeof(ip4_syn), &p, &why),
			 TULPEN_DECODE_TCP);
	/* v2: protocol first */
	memset(f, 0, 20);
	f[0] = 0x08;
	memcpy(f + 20, ip4_syn, sizeof(ip4_syn));
	assert_int_equal(tulpen_pcap_decode(276, f, 20 + sizeof(ip4_syn),
					    20 + sizeof(ip4_syn), &p, &why),
			 TULPEN_DECODE_TCP);
	/* BSD loopback, both byte orders; raw IP */
	memset(f, 0, 4);
	f[0] = 2;
	memcpy(f + 4, ip4_syn, sizeof(ip4_syn));
	assert_int_equal(tulpen_pcap_decode(0, f, 4 + sizeof(ip4_syn),
					    4 + sizeof(ip4_syn), &p, &why),
			 TULPEN_DECODE_TCP);
	f[0] = 0;
	f[3] = 2;
	assert_int_equal(tulpen_pcap_decode(108, f, 4 + sizeof(ip4_syn),
					    4 + sizeof(ip4_syn), &p, &why),
			 TULPEN_DECODE_TCP);
	assert_int_equal(tulpen_pcap_decode(12, ip4_syn, sizeof(ip4_syn),
					    sizeof(ip4_syn), &p, &why),
			 TULPEN_DECODE_TCP);
	assert_int_equal(tulpen_pcap_decode(147, ip4_syn, sizeof(ip4_syn),
					    sizeof(ip4_syn), &p, &why),
			 TULPEN_DECODE_SKIPPED);
	assert_string_equal(why, "link type not decoded");
	assert_false(tulpen_pcap_linktype_supported(147));
	assert_true(tulpen_pcap_linktype_supported(276));
}

static void bogus_lengths(void **unused)
{
	static const struct {
		int off;
		uint8_t val;
		size_t cap;
		const char *why;
	} cases[] = {
		{ 0, 0x44, 0, "IPv4 header length below 20 bytes" },
		{ 0, 0x4f, 40, "IPv4 options cut by the snapshot length" },
		{ 3, 0x10, 0, "IPv4 total length shorter than its header" },
		{ 2, 0x01, 0, "IPv4 total length beyond the end of the frame" },
		{ 32, 0x40, 0,
		  "TCP data offset below 5 (header shorter than 20 bytes)" },
		{ 32, 0xf0, 0,
		  "TCP data offset beyond the end of the segment" },
		{ 0, 0x45, 30, "TCP header cut by the snapshot length" },
		{ 0, 0x45, 10, "IPv4 header cut by the snapshot length" },
		{ 0, 0x65, 0, "IP version is not 4 in an IPv4 packet" },
	};
	uint8_t ip[sizeof(ip4_syn)];
	struct tulpen_pkt p;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t cap = cases[i].cap ? cases[i].cap : sizeof(ip);

		memcpy(ip, ip4_syn, sizeof(ip));
		ip[cases[i].off] = cases[i].val;
		why = NULL;
		assert_int_equal(
			tulpen_pcap_decode(228, ip, cap, sizeof(ip), &p, &why),
			TULPEN_DECODE_BAD);
		assert_non_null(why);
		if (strcmp(why, cases[i].why))
			fail_msg("case %zu: '%s', want '%s'", i, why,
				 cases[i].why);
	}
	/* Payload cut by the snapshot length: still decoded. */
	memcpy(ip, ip4_syn, sizeof(ip));
	assert_int_equal(tulpen_pcap_decode(228, ip, 44, 1000, &p, &why),
			 TULPEN_DECODE_TCP);
	assert_true(p.truncated);
	assert_false(p.has_mss && p.has_wscale); /* options cut */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ethernet_ipv4),
		cmocka_unit_test(vlan_tags),
		cmocka_unit_test(not_tcp),
		cmocka_unit_test(ipv6_ext),
		cmocka_unit_test(link_types),
		cmocka_unit_test(bogus_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
