// SPDX-License-Identifier: MIT
/*
 * fuzz_pcap.c - the capture reader, the frame decoder, the connection
 * table and the report, end to end.
 *
 * An input that starts like a pcap or pcapng file (or a gzip or zstd one)
 * is read as one (from memory, through libpcap or the pcapng reader) and every
 * segment goes through the flow table into the JSON report and the summary. Any
 * other input is one frame: its first byte picks the link type, the rest are
 * the frame's bytes, decoded with tulpen_pcap_decode() (whose result is checked
 * for consistency).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/ctx.h"
#include "tulpen/fmt.h"
#include "tulpen/pcap_decode.h"
#include "tulpen/pcap_flows.h"
#include "tulpen/pcap_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[] = { 1,	 113, 276, 0,	108, 12,  101, 228,
			    229, 14,  147, 9,	10,  50,  51,  104,
			    204, 6,   11,  105, 127, 117, 239, 109 };

struct sink {
	struct tulpen_pcap_report *rep;
	struct tulpen_pcap_summary *sum;
};

static int on_conn(void *priv, const struct tulpen_flow *c)
{
	struct sink *s = priv;
	int i;

	/* What the report relies on. */
	for (i = 0; i < 2; i++)
		if (c->side[i].ntrans > TULPEN_CONN_MAX_TRANS)
			abort();
	if (!c->history)
		abort();
	tulpen_pcap_summary_add(s->sum, c);
	return tulpen_pcap_report_conn(s->rep, c);
}

static void frame(const uint8_t *data, size_t size)
{
	struct tulpen_pkt pkt;
	const char *why = NULL;
	enum tulpen_decode_result r;

	if (!size)
		return;
	r = tulpen_pcap_decode(dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))],
			       data + 1, size - 1, size - 1 + (data[0] >> 6),
			       &pkt, &why);
	if ((r == TULPEN_DECODE_BAD || r == TULPEN_DECODE_SKIPPED) && !why)
		abort();
	if (r == TULPEN_DECODE_TCP && pkt.tunnel.type >= TULPEN_TUNNEL_NTYPES)
		abort();
	if (r == TULPEN_DECODE_TCP && pkt.payload_len > pkt.ip_len)
		abort();
}

static void file(const uint8_t *data, size_t size)
{
	/* Both connection models, and every report layout, by the size. */
	struct tulpen_flows_opts fo = { .idle_timeout_ns = 1000000000,
					.linger_ns = 1000000,
					.compat_zeek = (int)(size & 1) };
	static const enum tulpen_pcap_out kinds[] = {
		TULPEN_PCAP_JSON,
		TULPEN_PCAP_ZEEK,
		TULPEN_PCAP_ZEEK_JSON,
		TULPEN_PCAP_TABLE,
	};
	struct tulpen_pcap_reader *rd = NULL;
	struct tulpen_flows *fl = NULL;
	struct tulpen_ctx *ctx = NULL;
	struct tulpen_buf out;
	struct tulpen_pkt pkt;
	struct sink s = { 0 };
	FILE *fp;

	if (tulpen_buf_init(&out, 0, NULL, NULL))
		return;
	if (tulpen_ctx_new(&ctx) ||
	    tulpen_pcap_report_new(kinds[(size >> 1) & 3], NULL, &out,
				   &s.rep) ||
	    tulpen_pcap_summary_new(&s.sum) ||
	    tulpen_flows_new(&fo, on_conn, &s, &fl))
		goto out;
	fp = fmemopen((void *)data, size, "rb");
	if (!fp)
		goto out;
	if (tulpen_pcap_open_fp(ctx, fp, "fuzz", NULL, NULL, &rd))
		goto out;
	while (tulpen_pcap_next(rd, &pkt) == 1)
		if (tulpen_flows_segment(fl, &pkt, 0))
			break;
	tulpen_flows_finish(fl);
	tulpen_pcap_report_end(s.rep);
	tulpen_pcap_summary_write(s.sum, &out, 0, 5);
out:
	tulpen_pcap_close(rd);
	tulpen_flows_free(fl);
	tulpen_pcap_report_free(s.rep);
	tulpen_pcap_summary_free(s.sum);
	tulpen_ctx_free(ctx);
	tulpen_buf_fini(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t magics[][4] = {
		{ 0xd4, 0xc3, 0xb2, 0xa1 },
		{ 0xa1, 0xb2, 0xc3, 0xd4 },
		{ 0x4d, 0x3c, 0xb2, 0xa1 },
		{ 0xa1, 0xb2, 0x3c, 0x4d },
		{ 0x0a, 0x0d, 0x0d, 0x0a },
		/* compressed: decompressed on the way (gzip, zstd) */
		{ 0x1f, 0x8b, 0x08, 0x00 },
		{ 0x28, 0xb5, 0x2f, 0xfd },
	};
	size_t i;

	if (size > 1 << 20)
		return 0;
	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (size >= 4 && !memcmp(data, magics[i], 4)) {
			file(data, size);
			return 0;
		}
	frame(data, size);
	return 0;
}
