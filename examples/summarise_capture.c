// SPDX-License-Identifier: MIT
/*
 * summarise_capture.c - read a capture file (tests/fixtures/pcap/
 * client-close.pcap unless one is named), rebuild its TCP connections and
 * print the summary `tulpen pcap --summary` gives. Uses only the installed
 * API:
 *
 *	cc summarise_capture.c $(pkg-config --cflags --libs tulpen)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tulpen/tulpen.h>

#ifndef DEFAULT_CAPTURE
#define DEFAULT_CAPTURE "tests/fixtures/pcap/client-close.pcap"
#endif

static int to_stdout(void *priv, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, priv) == len ? 0 : -EIO;
}

static int on_conn(void *priv, const struct tulpen_flow *c)
{
	return tulpen_pcap_summary_add(priv, c);
}

/* Feed every TCP segment of @rd to @flows; 0 or a negative errno. */
static int feed(struct tulpen_pcap_reader *rd, struct tulpen_flows *flows)
{
	struct tulpen_pkt pkt;
	int r;

	while ((r = tulpen_pcap_next(rd, &pkt)) == 1) {
		r = tulpen_flows_segment(flows, &pkt, 0);
		if (r < 0)
			return r;
	}
	return r;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : DEFAULT_CAPTURE;
	struct tulpen_pcap_summary *sum = NULL;
	struct tulpen_pcap_reader *rd = NULL;
	struct tulpen_flows *flows = NULL;
	struct tulpen_pcap_input in = { 0 };
	struct tulpen_pcap_stats st;
	struct tulpen_ctx *ctx = NULL;
	struct tulpen_buf b = { 0 };
	int ret;

	ret = tulpen_ctx_new(&ctx);
	if (!ret)
		ret = tulpen_pcap_summary_new(&sum);
	if (!ret)
		ret = tulpen_flows_new(NULL, on_conn, sum, &flows);
	if (!ret)
		ret = tulpen_pcap_open(ctx, path, NULL, NULL, &rd);
	if (!ret)
		ret = feed(rd, flows);
	if (!ret)
		ret = tulpen_flows_finish(flows);
	if (!ret) {
		tulpen_pcap_stats(rd, &st);
		in.frames = st.frames;
		in.tcp = st.tcp;
		in.other = st.other;
		in.bad = st.bad;
		tulpen_pcap_summary_set_input(sum, &in);
		ret = tulpen_buf_init(&b, 0, to_stdout, stdout);
	}
	if (!ret)
		ret = tulpen_pcap_summary_write(sum, &b, 0, 5);
	if (!ret)
		ret = tulpen_buf_flush(&b);
	if (ret)
		fprintf(stderr, "summarise_capture: %s: %s\n", path,
			ctx && *tulpen_ctx_errmsg(ctx) ? tulpen_ctx_errmsg(ctx)
						       : strerror(-ret));
	tulpen_buf_fini(&b);
	tulpen_pcap_close(rd);
	tulpen_flows_free(flows);
	tulpen_pcap_summary_free(sum);
	tulpen_ctx_free(ctx);
	return ret ? 1 : 0;
}
