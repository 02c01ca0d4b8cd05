// SPDX-License-Identifier: MIT
/*
 * json_ext.c - the JSON objects of the sock_diag extras (docs/json.md):
 * "tcp_info" with the kernel's field names (tcpi_ dropped) and the unit
 * at the end of every time and rate, "skmem" with the kernel's names of
 * the socket memory counters, and "tos".
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/tcp.h>

#include "tulpen/skmem.h"
#include "tulpen/tcp_info.h"
#include "fmt/fmt_internal.h"

struct jfield {
	const char *name;
	size_t off;
	uint8_t size; /* 1, 2, 4 or 8 bytes */
};

#define F(name, field)                                                         \
	{                                                                      \
		name, offsetof(struct tulpen_tcp_info, field),                 \
			sizeof(((struct tulpen_tcp_info *)0)->field)           \
	}

/* Every number of struct tulpen_tcp_info, in the kernel's order. */
static const struct jfield tcp_fields[] = {
	F("ca_state", ca_state),
	F("retransmits", retransmits),
	F("probes", probes),
	F("backoff", backoff),
	F("snd_wscale", snd_wscale),
	F("rcv_wscale", rcv_wscale),
	F("fastopen_client_fail", fastopen_client_fail),
	F("rto_us", rto),
	F("ato_us", ato),
	F("snd_mss", snd_mss),
	F("rcv_mss", rcv_mss),
	F("unacked", unacked),
	F("sacked", sacked),
	F("lost", lost),
	F("retrans", retrans),
	F("fackets", fackets),
	F("last_data_sent_ms", last_data_sent),
	F("last_ack_sent_ms", last_ack_sent),
	F("last_data_recv_ms", last_data_recv),
	F("last_ack_recv_ms", last_ack_recv),
	F("pmtu", pmtu),
	F("rcv_ssthresh", rcv_ssthresh),
	F("rtt_us", rtt),
	F("rttvar_us", rttvar),
	F("snd_ssthresh", snd_ssthresh),
	F("snd_cwnd", snd_cwnd),
	F("advmss", advmss),
	F("reordering", reordering),
	F("rcv_rtt_us", rcv_rtt),
	F("rcv_space", rcv_space),
	F("total_retrans", total_retrans),
	F("pacing_rate_bytes_per_s", pacing_rate),
	F("max_pacing_rate_bytes_per_s", max_pacing_rate),
	F("bytes_acked", bytes_acked),
	F("bytes_received", bytes_received),
	F("segs_out", segs_out),
	F("segs_in", segs_in),
	F("notsent_bytes", notsent_bytes),
	F("min_rtt_us", min_rtt),
	F("data_segs_in", data_segs_in),
	F("data_segs_out", data_segs_out),
	F("delivery_rate_bytes_per_s", delivery_rate),
	F("busy_time_us", busy_time),
	F("rwnd_limited_us", rwnd_limited),
	F("sndbuf_limited_us", sndbuf_limited),
	F("delivered", delivered),
	F("delivered_ce", delivered_ce),
	F("bytes_sent", bytes_sent),
	F("bytes_retrans", bytes_retrans),
	F("dsack_dups", dsack_dups),
	F("reord_seen", reord_seen),
	F("rcv_ooopack", rcv_ooopack),
	F("snd_wnd", snd_wnd),
	F("rcv_wnd", rcv_wnd),
	F("rehash", rehash),
	F("total_rto", total_rto),
	F("total_rto_recoveries", total_rto_recoveries),
	F("total_rto_time_ms", total_rto_time),
};

static uint64_t get_num(const void *base, size_t off, unsigned int size)
{
	const char *p = (const char *)base + off;
	uint64_t v8;
	uint32_t v4;
	uint16_t v2;

	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		memcpy(&v2, p, 2);
		return v2;
	case 4:
		memcpy(&v4, p, 4);
		return v4;
	default:
		memcpy(&v8, p, 8);
		return v8;
	}
}

static void key(struct tulpen_buf *b, const char *k, int first)
{
	if (!first)
		tulpen_buf_putc(b, ',');
	tulpen_buf_json_str(b, k);
	tulpen_buf_putc(b, ':');
}

/* TCPI_OPT_* as words. */
static void put_options(struct tulpen_buf *b, unsigned int opt)
{
	static const char *const names[] = { "timestamps", "sack",
					     "wscale",	   "ecn",
					     "ecn_seen",   "syn_data",
					     "usec_ts",	   "tfo_child" };
	unsigned int i;
	int first = 1;

	tulpen_buf_putc(b, '[');
	for (i = 0; i < 8; i++) {
		if (!(opt & (1u << i)))
			continue;
		if (!first)
			tulpen_buf_putc(b, ',');
		tulpen_buf_json_str(b, names[i]);
		first = 0;
	}
	tulpen_buf_putc(b, ']');
}

/* "congestion": the algorithm and its own state. */
static void put_congestion(struct tulpen_buf *b,
			   const struct tulpen_tcp_info *t)
{
	key(b, "congestion", 0);
	tulpen_buf_puts(b, "{\"algorithm\":");
	if (t->cong[0])
		tulpen_buf_json_str(b, t->cong);
	else
		tulpen_buf_puts(b, "null");
	if (t->cc_kind == TULPEN_CC_VEGAS)
		tulpen_buf_printf(b,
				  ",\"vegas\":{\"enabled\":%s,\"rttcnt\":%u,"
				  "\"rtt_us\":%u,\"min_rtt_us\":%u}",
				  t->cc.vegas.enabled ? "true" : "false",
				  t->cc.vegas.rttcnt, t->cc.vegas.rtt,
				  t->cc.vegas.minrtt);
	else if (t->cc_kind == TULPEN_CC_DCTCP)
		tulpen_buf_printf(b,
				  ",\"dctcp\":{\"enabled\":%s,\"ce_state\":%u,"
				  "\"alpha\":%u,\"ab_ecn\":%u,\"ab_tot\":%u}",
				  t->cc.dctcp.enabled ? "true" : "false",
				  t->cc.dctcp.ce_state, t->cc.dctcp.alpha,
				  t->cc.dctcp.ab_ecn, t->cc.dctcp.ab_tot);
	else if (t->cc_kind == TULPEN_CC_BBR)
		tulpen_buf_printf(b,
				  ",\"bbr\":{\"bw_bytes_per_s\":%llu,"
				  "\"min_rtt_us\":%u,\"pacing_gain\":%u,"
				  "\"cwnd_gain\":%u}",
				  (unsigned long long)t->cc.bbr.bw,
				  t->cc.bbr.min_rtt, t->cc.bbr.pacing_gain,
				  t->cc.bbr.cwnd_gain);
	tulpen_buf_putc(b, '}');
}

int tulpen_json_tcp_info(struct tulpen_buf *b, const struct tulpen_tcp_info *t)
{
	size_t i;

	tulpen_buf_putc(b, '{');
	key(b, "state", 1);
	tulpen_buf_u64(b, t->state);
	key(b, "options", 0);
	put_options(b, t->options);
	key(b, "delivery_rate_app_limited", 0);
	tulpen_buf_puts(b, t->delivery_rate_app_limited ? "true" : "false");
	for (i = 0; i < sizeof(tcp_fields) / sizeof(tcp_fields[0]); i++) {
		key(b, tcp_fields[i].name, 0);
		tulpen_buf_u64(
			b, get_num(t, tcp_fields[i].off, tcp_fields[i].size));
	}
	key(b, "kernel_len", 0);
	tulpen_buf_u64(b, t->kernel_len);
	put_congestion(b, t);
	if (t->ulp[0]) {
		key(b, "ulp", 0);
		tulpen_buf_json_str(b, t->ulp);
	}
	return tulpen_buf_putc(b, '}');
}

int tulpen_json_skmem(struct tulpen_buf *b, const struct tulpen_skmem *m)
{
	tulpen_buf_printf(b,
			  "{\"rmem_alloc\":%u,\"rcvbuf\":%u,\"wmem_alloc\":%u,"
			  "\"sndbuf\":%u,\"fwd_alloc\":%u,\"wmem_queued\":%u,"
			  "\"optmem\":%u",
			  m->rmem_alloc, m->rcvbuf, m->wmem_alloc, m->sndbuf,
			  m->fwd_alloc, m->wmem_queued, m->optmem);
	if (m->count > 7)
		tulpen_buf_printf(b, ",\"backlog\":%u", m->backlog);
	if (m->count > 8)
		tulpen_buf_printf(b, ",\"drops\":%u", m->drops);
	return tulpen_buf_putc(b, '}');
}
