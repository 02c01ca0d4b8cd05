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

/*
 * One number of the object: its key as written (",\"rto_us\":"), where it
 * is and how wide. The keys are literals, so a record is a run of
 * memcpy() and tulpen_fmt_u64() into one buffer: this is the hot loop of
 * `tulpen -ti --json` on a big host.
 */
struct jfield {
	char key[32]; /* copied whole: a fixed-size copy is one move */
	uint8_t klen;
	uint8_t size; /* 1, 2, 4 or 8 bytes */
	uint16_t off;
};

#define F(name, field)                                                         \
	{                                                                      \
		",\"" name "\":", sizeof(",\"" name "\":") - 1,                \
			sizeof(((struct tulpen_tcp_info *)0)->field),          \
			offsetof(struct tulpen_tcp_info, field)                \
	}

/*
 * Decimal digits in place (no copy): the length. Most counters of an idle
 * connection are 0 or small, hence the first cases.
 */
static inline size_t put_dec(char *out, uint64_t v)
{
	size_t n = 1, i;
	uint64_t x = v;

	if (v < 10) {
		out[0] = (char)('0' + v);
		return 1;
	}
	if (v < 100) {
		out[0] = (char)('0' + v / 10);
		out[1] = (char)('0' + v % 10);
		return 2;
	}
	while (x >= 10) {
		x /= 10;
		n++;
	}
	for (i = n; i-- > 0; v /= 10)
		out[i] = (char)('0' + v % 10);
	return n;
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

/* ",\"name\":N" for each of @n numbers, into @b. */
static void put_nums(struct tulpen_buf *b, const char *const *names,
		     const uint64_t *v, size_t n)
{
	char tmp[1024];
	size_t i, k = 0, len;

	for (i = 0; i < n; i++) {
		len = strlen(names[i]);
		if (k + len + 24 > sizeof(tmp))
			break;
		memcpy(tmp + k, names[i], len);
		k += len;
		k += put_dec(tmp + k, v[i]);
	}
	tulpen_buf_put(b, tmp, k);
}

/* "congestion": the algorithm and its own state. */
static void put_congestion(struct tulpen_buf *b,
			   const struct tulpen_tcp_info *t)
{
	static const char *const vegas[] = { ",\"rttcnt\":", ",\"rtt_us\":",
					     ",\"min_rtt_us\":" };
	static const char *const dctcp[] = { ",\"ce_state\":", ",\"alpha\":",
					     ",\"ab_ecn\":", ",\"ab_tot\":" };
	static const char *const bbr[] = {
		"\"bw_bytes_per_s\":", ",\"min_rtt_us\":", ",\"pacing_gain\":",
		",\"cwnd_gain\":"
	};
	uint64_t v[4];

	tulpen_buf_puts(b, ",\"congestion\":{\"algorithm\":");
	if (t->cong[0])
		tulpen_buf_json_str(b, t->cong);
	else
		tulpen_buf_puts(b, "null");
	if (t->cc_kind == TULPEN_CC_VEGAS) {
		tulpen_buf_puts(b, t->cc.vegas.enabled
					   ? ",\"vegas\":{\"enabled\":true"
					   : ",\"vegas\":{\"enabled\":false");
		v[0] = t->cc.vegas.rttcnt;
		v[1] = t->cc.vegas.rtt;
		v[2] = t->cc.vegas.minrtt;
		put_nums(b, vegas, v, 3);
		tulpen_buf_putc(b, '}');
	} else if (t->cc_kind == TULPEN_CC_DCTCP) {
		tulpen_buf_puts(b, t->cc.dctcp.enabled
					   ? ",\"dctcp\":{\"enabled\":true"
					   : ",\"dctcp\":{\"enabled\":false");
		v[0] = t->cc.dctcp.ce_state;
		v[1] = t->cc.dctcp.alpha;
		v[2] = t->cc.dctcp.ab_ecn;
		v[3] = t->cc.dctcp.ab_tot;
		put_nums(b, dctcp, v, 4);
		tulpen_buf_putc(b, '}');
	} else if (t->cc_kind == TULPEN_CC_BBR) {
		tulpen_buf_puts(b, ",\"bbr\":{");
		v[0] = t->cc.bbr.bw;
		v[1] = t->cc.bbr.min_rtt;
		v[2] = t->cc.bbr.pacing_gain;
		v[3] = t->cc.bbr.cwnd_gain;
		put_nums(b, bbr, v, 4);
		tulpen_buf_putc(b, '}');
	}
	tulpen_buf_putc(b, '}');
}

/* "mptcp_subflow": the fields the kernel gave (MPTCP_SUBFLOW_ATTR_*). */
static void put_subflow(struct tulpen_buf *b, const struct tulpen_tcp_info *t)
{
	static const struct {
		int attr;
		const char *name;
	} f[] = {
		{ 8, "flags" },	    { 1, "token_rem" },	 { 2, "token_loc" },
		{ 9, "id_rem" },    { 10, "id_loc" },	 { 4, "map_seq" },
		{ 5, "map_sfseq" }, { 6, "ssn_offset" }, { 7, "map_datalen" },
	};
	uint64_t v[11] = { 0 };
	size_t i;
	int first = 1;

	v[1] = t->sf_token_rem;
	v[2] = t->sf_token_loc;
	v[4] = t->sf_map_seq;
	v[5] = t->sf_map_sfseq;
	v[6] = t->sf_ssn_offset;
	v[7] = t->sf_map_datalen;
	v[8] = t->sf_flags;
	v[9] = t->sf_id_rem;
	v[10] = t->sf_id_loc;
	tulpen_buf_puts(b, ",\"mptcp_subflow\":{");
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!(t->sf_has & (1u << f[i].attr)))
			continue;
		key(b, f[i].name, first);
		tulpen_buf_u64(b, v[f[i].attr]);
		first = 0;
	}
	tulpen_buf_putc(b, '}');
}

int tulpen_json_tcp_info(struct tulpen_buf *b, const struct tulpen_tcp_info *t)
{
	/* keys and numbers: at most 60 * (32 + 20) bytes */
	char tmp[sizeof(tcp_fields) / sizeof(tcp_fields[0]) * 56 + 64];
	size_t i, n = 0;

	tulpen_buf_puts(b, "{\"state\":");
	tulpen_buf_u64(b, t->state);
	tulpen_buf_puts(b, ",\"options\":");
	put_options(b, t->options);
	tulpen_buf_puts(b, t->delivery_rate_app_limited
				   ? ",\"delivery_rate_app_limited\":true"
				   : ",\"delivery_rate_app_limited\":false");
	for (i = 0; i < sizeof(tcp_fields) / sizeof(tcp_fields[0]); i++) {
		const struct jfield *f = &tcp_fields[i];

		memcpy(tmp + n, f->key, sizeof(f->key));
		n += f->klen;
		n += put_dec(tmp + n, get_num(t, f->off, f->size));
	}
	memcpy(tmp + n, ",\"kernel_len\":", 14);
	n += 14;
	n += tulpen_fmt_u64(tmp + n, t->kernel_len);
	tulpen_buf_put(b, tmp, n);
	put_congestion(b, t);
	if (t->ulp[0]) {
		key(b, "ulp", 0);
		tulpen_buf_json_str(b, t->ulp);
	}
	if (t->sf_has)
		put_subflow(b, t);
	return tulpen_buf_putc(b, '}');
}

int tulpen_json_skmem(struct tulpen_buf *b, const struct tulpen_skmem *m)
{
	static const char *const names[] = {
		"{\"rmem_alloc\":", ",\"rcvbuf\":",    ",\"wmem_alloc\":",
		",\"sndbuf\":",	    ",\"fwd_alloc\":", ",\"wmem_queued\":",
		",\"optmem\":",	    ",\"backlog\":",   ",\"drops\":",
	};
	uint64_t v[9] = { m->rmem_alloc, m->rcvbuf,    m->wmem_alloc,
			  m->sndbuf,	 m->fwd_alloc, m->wmem_queued,
			  m->optmem,	 m->backlog,   m->drops };

	/* backlog and drops only when the kernel gave them */
	put_nums(b, names, v, m->count > 8 ? 9 : m->count > 7 ? 8 : 7);
	return tulpen_buf_putc(b, '}');
}

int tulpen_json_mptcp_info(struct tulpen_buf *b,
			   const struct tulpen_mptcp_info *m)
{
	static const char *const names[] = {
		"{\"subflows\":",
		",\"add_addr_signal\":",
		",\"add_addr_accepted\":",
		",\"subflows_max\":",
		",\"add_addr_signal_max\":",
		",\"add_addr_accepted_max\":",
		",\"local_addr_used\":",
		",\"local_addr_max\":",
		",\"flags\":",
		",\"token\":",
		",\"write_seq\":",
		",\"snd_una\":",
		",\"rcv_nxt\":",
		",\"kernel_len\":",
	};
	uint64_t v[] = { m->subflows,
			 m->add_addr_signal,
			 m->add_addr_accepted,
			 m->subflows_max,
			 m->add_addr_signal_max,
			 m->add_addr_accepted_max,
			 m->local_addr_used,
			 m->local_addr_max,
			 m->flags,
			 m->token,
			 m->write_seq,
			 m->snd_una,
			 m->rcv_nxt,
			 m->kernel_len };

	put_nums(b, names, v, sizeof(v) / sizeof(v[0]));
	tulpen_buf_puts(b, m->csum_enabled ? ",\"csum_enabled\":true"
					   : ",\"csum_enabled\":false");
	tulpen_buf_puts(b, m->flags & 1 ? ",\"fallback\":true"
					: ",\"fallback\":false");
	tulpen_buf_puts(b, m->flags & 2 ? ",\"remote_key\":true"
					: ",\"remote_key\":false");
	return tulpen_buf_putc(b, '}');
}
