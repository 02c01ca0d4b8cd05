// SPDX-License-Identifier: MIT
/*
 * ss_extras.c - the text `ss` prints after a socket's addresses and
 * users:(...), in ss's order and spelling: -o's timer:(...), -e's uid:,
 * ino:, sk:, fwmark:, cgroup:, v6only: and shutdown arrows, --tos,
 * --cgroup, --inet-sockopt, and on the next line (or the same with -O)
 * -m's skmem:(...) and -i's tcp_info, as iproute2 6.x writes them; for
 * netlink and packet sockets -e's details, -m's memory and -b's filter.
 */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <linux/tcp.h>

#include "tulpen/skmem.h"
#include "tulpen/state.h"
#include "tulpen/tcp_info.h"
#include "fmt/fmt_internal.h"

/* ss's way of printing a timer: "119min", "59sec", "1.200ms", "200ms". */
static void put_ms_timer(struct tulpen_buf *b, int64_t ms)
{
	int64_t secs, mins, msecs;

	if (ms < 0)
		ms = 0;
	secs = ms / 1000;
	mins = secs / 60;
	secs %= 60;
	msecs = ms % 1000;
	if (mins) {
		msecs = 0;
		tulpen_buf_printf(b, "%lldmin", (long long)mins);
		if (mins > 9)
			secs = 0;
	}
	if (secs) {
		if (secs > 9)
			msecs = 0;
		tulpen_buf_printf(b, "%lld%s", (long long)secs,
				  msecs ? "." : "sec");
	}
	if (msecs)
		tulpen_buf_printf(b, "%03lldms", (long long)msecs);
}

/* -o: " timer:(keepalive,119min,0)". */
static void put_timer(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	static const char *const names[] = { "off",	 "on",	    "keepalive",
					     "timewait", "persist", "unknown" };

	if (!s->timer)
		return;
	tulpen_buf_printf(b, " timer:(%s,", names[s->timer > 4 ? 5 : s->timer]);
	put_ms_timer(b, s->timer_ms);
	tulpen_buf_printf(b, ",%u)", s->retrans);
}

static void put_cgroup(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
		       uint64_t id)
{
	const char *cg = tulpen_cgroups_path(o->cgroups, id);

	if (cg) {
		tulpen_buf_puts(b, " cgroup:");
		tulpen_buf_escaped(b, cg);
	} else
		tulpen_buf_printf(b, " cgroup:unreachable:%llx",
				  (unsigned long long)id);
}

static void put_arrows(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	if (s->has_shutdown)
		tulpen_buf_printf(b, " %c-%c", s->shutdown & 1 ? '-' : '<',
				  s->shutdown & 2 ? '-' : '>');
}

/* -e for inet, packet and TIPC sockets. */
static void put_details(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
			const struct tulpen_sock *s)
{
	if (s->uid)
		tulpen_buf_printf(b, " uid:%u", s->uid);
	tulpen_buf_printf(b, " ino:%llu", (unsigned long long)s->inode);
	if (s->has_cookie) /* /proc has no cookie */
		tulpen_buf_printf(b, " sk:%llx", (unsigned long long)s->cookie);
	if (s->mark)
		tulpen_buf_printf(b, " fwmark:0x%x", s->mark);
	if (s->cgroup_id)
		put_cgroup(b, o, s->cgroup_id);
	if (s->family == AF_INET6 && s->v6only != 2)
		tulpen_buf_printf(b, " v6only:%u", s->v6only);
	put_arrows(b, s);
}

/* --tos: printf's %#x, which writes 0 as "0". */
static void put_tos(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	if (s->has_tos)
		tulpen_buf_printf(b, " tos:%#x", s->tos);
	if (s->has_tclass)
		tulpen_buf_printf(b, " tclass:%#x", s->tclass);
	if (s->has_class_id)
		tulpen_buf_printf(b, " class_id:%#x", s->class_id);
}

static void put_sockopt(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
			const struct tulpen_sock *s)
{
	static const char *const names[] = {
		"recverr",	   "is_icsk",	    "freebind",
		"hdrincl",	   "mc_loop",	    "transparent",
		"mc_all",	   "nodefrag",	    "bind_addr_no_port",
		"recverr_rfc4884", "defer_connect",
	};
	size_t i;

	if (!s->has_sockopt)
		return;
	tulpen_buf_puts(b, o->oneline ? " inet-sockopt: ("
				      : "\n\tinet-sockopt: (");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s->sockopt & (1u << i))
			tulpen_buf_printf(b, " %s", names[i]);
	tulpen_buf_putc(b, ')');
}

static void put_skmem(struct tulpen_buf *b, const struct tulpen_skmem *m)
{
	tulpen_buf_printf(b, " skmem:(r%u,rb%u,t%u,tb%u,f%u,w%u,o%u",
			  m->rmem_alloc, m->rcvbuf, m->wmem_alloc, m->sndbuf,
			  m->fwd_alloc, m->wmem_queued, m->optmem);
	if (m->count > 7)
		tulpen_buf_printf(b, ",bl%u", m->backlog);
	if (m->count > 8)
		tulpen_buf_printf(b, ",d%u", m->drops);
	tulpen_buf_putc(b, ')');
}

/* ss's sprint_bw(): bits per second, "%.3g" with k, M, G, T unless -n. */
static void put_bw(struct tulpen_buf *b, int numeric, double bw)
{
	if (numeric)
		tulpen_buf_printf(b, "%.0f", bw);
	else if (bw >= 1e12)
		tulpen_buf_printf(b, "%.3gT", bw / 1e12);
	else if (bw >= 1e9)
		tulpen_buf_printf(b, "%.3gG", bw / 1e9);
	else if (bw >= 1e6)
		tulpen_buf_printf(b, "%.3gM", bw / 1e6);
	else if (bw >= 1e3)
		tulpen_buf_printf(b, "%.3gk", bw / 1e3);
	else
		tulpen_buf_printf(b, "%g", bw);
	tulpen_buf_puts(b, "bps");
}

/* -o with -i: the options the connection uses. */
static void put_tcp_opts(struct tulpen_buf *b, const struct tulpen_tcp_info *t)
{
	if (t->options & TCPI_OPT_TIMESTAMPS)
		tulpen_buf_puts(b, " ts");
	if (t->options & TCPI_OPT_SACK)
		tulpen_buf_puts(b, " sack");
	if (t->options & TCPI_OPT_ECN)
		tulpen_buf_puts(b, " ecn");
	if (t->options & TCPI_OPT_ECN_SEEN)
		tulpen_buf_puts(b, " ecnseen");
	if (t->options & TCPI_OPT_SYN_DATA)
		tulpen_buf_puts(b, " fastopen");
}

/* The congestion control's own state: dctcp:(...), bbr:(...). */
static void put_cc(struct tulpen_buf *b, int numeric,
		   const struct tulpen_tcp_info *t)
{
	if (t->cc_kind == TULPEN_CC_DCTCP) {
		if (t->cc.dctcp.enabled)
			tulpen_buf_printf(
				b,
				" dctcp:(ce_state:%u,alpha:%u,ab_ecn:%u,"
				"ab_tot:%u)",
				t->cc.dctcp.ce_state, t->cc.dctcp.alpha,
				t->cc.dctcp.ab_ecn, t->cc.dctcp.ab_tot);
		else
			tulpen_buf_puts(b, " dctcp:fallback_mode");
	}
	if (t->cc_kind == TULPEN_CC_BBR) {
		tulpen_buf_puts(b, " bbr:(bw:");
		put_bw(b, numeric, (double)t->cc.bbr.bw * 8.0);
		tulpen_buf_printf(b, ",mrtt:%g",
				  (double)t->cc.bbr.min_rtt / 1000.0);
		if (t->cc.bbr.pacing_gain)
			tulpen_buf_printf(b, ",pacing_gain:%g",
					  (double)t->cc.bbr.pacing_gain /
						  256.0);
		if (t->cc.bbr.cwnd_gain)
			tulpen_buf_printf(b, ",cwnd_gain:%g",
					  (double)t->cc.bbr.cwnd_gain / 256.0);
		tulpen_buf_putc(b, ')');
	}
}

/* From the algorithm to the segment counters. */
static void put_tcp_head(struct tulpen_buf *b, const struct tulpen_tcp_info *t)
{
	if (t->cong[0])
		tulpen_buf_printf(b, " %s", t->cong);
	if (t->options & TCPI_OPT_WSCALE)
		tulpen_buf_printf(b, " wscale:%u,%u", t->snd_wscale,
				  t->rcv_wscale);
	if (t->rto && t->rto != 3000000)
		tulpen_buf_printf(b, " rto:%g", (double)t->rto / 1000);
	if (t->backoff)
		tulpen_buf_printf(b, " backoff:%u", t->backoff);
	if (t->rtt)
		tulpen_buf_printf(b, " rtt:%g/%g", (double)t->rtt / 1000,
				  (double)t->rttvar / 1000);
	if (t->ato)
		tulpen_buf_printf(b, " ato:%g", (double)t->ato / 1000);
	if (t->snd_mss)
		tulpen_buf_printf(b, " mss:%u", t->snd_mss);
	if (t->pmtu)
		tulpen_buf_printf(b, " pmtu:%u", t->pmtu);
	if (t->rcv_mss)
		tulpen_buf_printf(b, " rcvmss:%u", t->rcv_mss);
	if (t->advmss)
		tulpen_buf_printf(b, " advmss:%u", t->advmss);
	if (t->snd_cwnd)
		tulpen_buf_printf(b, " cwnd:%u", t->snd_cwnd);
	if (t->snd_ssthresh && t->snd_ssthresh < 0xffff)
		tulpen_buf_printf(b, " ssthresh:%u", t->snd_ssthresh);
}

static void put_u64_if(struct tulpen_buf *b, const char *name, uint64_t v)
{
	if (v)
		tulpen_buf_printf(b, " %s:%llu", name, (unsigned long long)v);
}

static void put_counts(struct tulpen_buf *b, const struct tulpen_tcp_info *t)
{
	put_u64_if(b, "bytes_sent", t->bytes_sent);
	put_u64_if(b, "bytes_retrans", t->bytes_retrans);
	put_u64_if(b, "bytes_acked", t->bytes_acked);
	put_u64_if(b, "bytes_received", t->bytes_received);
	put_u64_if(b, "segs_out", t->segs_out);
	put_u64_if(b, "segs_in", t->segs_in);
	put_u64_if(b, "data_segs_out", t->data_segs_out);
	put_u64_if(b, "data_segs_in", t->data_segs_in);
}

/* send, last*, pacing and delivery rates, the limits. */
static void put_rates(struct tulpen_buf *b, int numeric,
		      const struct tulpen_tcp_info *t)
{
	double rtt = t->rtt;

	if (t->cc_kind == TULPEN_CC_VEGAS && t->cc.vegas.enabled &&
	    t->cc.vegas.rtt && t->cc.vegas.rtt != 0x7fffffff)
		rtt = t->cc.vegas.rtt;
	if (rtt > 0 && t->snd_mss && t->snd_cwnd) {
		tulpen_buf_puts(b, " send ");
		put_bw(b, numeric,
		       (double)t->snd_cwnd * (double)t->snd_mss * 8000000. /
			       rtt);
	}
	put_u64_if(b, "lastsnd", t->last_data_sent);
	put_u64_if(b, "lastrcv", t->last_data_recv);
	put_u64_if(b, "lastack", t->last_ack_recv);
	if (t->pacing_rate && t->pacing_rate != ~0ull) {
		tulpen_buf_puts(b, " pacing_rate ");
		put_bw(b, numeric, (double)t->pacing_rate * 8.);
		if (t->max_pacing_rate && t->max_pacing_rate != ~0ull) {
			tulpen_buf_putc(b, '/');
			put_bw(b, numeric, (double)t->max_pacing_rate * 8.);
		}
	}
	if (t->delivery_rate) {
		tulpen_buf_puts(b, " delivery_rate ");
		put_bw(b, numeric, (double)t->delivery_rate * 8.);
	}
	put_u64_if(b, "delivered", t->delivered);
	put_u64_if(b, "delivered_ce", t->delivered_ce);
	if (t->delivery_rate_app_limited)
		tulpen_buf_puts(b, " app_limited");
	if (!t->busy_time)
		return;
	tulpen_buf_printf(b, " busy:%llums",
			  (unsigned long long)(t->busy_time / 1000));
	if (t->rwnd_limited)
		tulpen_buf_printf(b, " rwnd_limited:%llums(%.1f%%)",
				  (unsigned long long)(t->rwnd_limited / 1000),
				  100.0 * (double)t->rwnd_limited /
					  (double)t->busy_time);
	if (t->sndbuf_limited)
		tulpen_buf_printf(
			b, " sndbuf_limited:%llums(%.1f%%)",
			(unsigned long long)(t->sndbuf_limited / 1000),
			100.0 * (double)t->sndbuf_limited /
				(double)t->busy_time);
}

/* unacked to snd_wnd. */
static void put_tail(struct tulpen_buf *b, const struct tulpen_sock *s,
		     const struct tulpen_tcp_info *t)
{
	put_u64_if(b, "unacked", t->unacked);
	if (t->retrans || t->total_retrans)
		tulpen_buf_printf(b, " retrans:%u/%u", t->retrans,
				  t->total_retrans);
	put_u64_if(b, "lost", t->lost);
	if (s->state != TULPEN_TCP_LISTEN)
		put_u64_if(b, "sacked", t->sacked);
	put_u64_if(b, "dsack_dups", t->dsack_dups);
	put_u64_if(b, "fackets", t->fackets);
	if (t->reordering != 3)
		tulpen_buf_printf(b, " reordering:%d", (int)t->reordering);
	if (t->reord_seen)
		tulpen_buf_printf(b, " reord_seen:%d", (int)t->reord_seen);
	if (t->rcv_rtt)
		tulpen_buf_printf(b, " rcv_rtt:%g", (double)t->rcv_rtt / 1000);
	if (t->rcv_space)
		tulpen_buf_printf(b, " rcv_space:%d", (int)t->rcv_space);
	put_u64_if(b, "rcv_ssthresh", t->rcv_ssthresh);
	put_u64_if(b, "notsent", t->notsent_bytes);
	if (t->min_rtt && t->min_rtt != ~0u)
		tulpen_buf_printf(b, " minrtt:%g", (double)t->min_rtt / 1000);
	put_u64_if(b, "rcv_ooopack", t->rcv_ooopack);
	put_u64_if(b, "snd_wnd", t->snd_wnd);
}

/* An MPTCP subflow's ULP state, as ss's mptcp_subflow_info(). */
static void put_subflow(struct tulpen_buf *b, const struct tulpen_tcp_info *t)
{
	static const char caps[] = "MmJjBbecv";
	char flags[16];
	size_t i, n = 0;
	uint32_t all = 1u << 1 | 1u << 2 | 1u << 9 | 1u << 10;

	for (i = 0; i < sizeof(caps) - 1; i++)
		if (t->sf_flags & (1u << i))
			flags[n++] = caps[i];
	flags[n] = '\0';
	if ((t->sf_has & (1u << 8)) && t->sf_flags)
		tulpen_buf_printf(b, " flags:%s", flags);
	if ((t->sf_has & all) == all)
		tulpen_buf_printf(b, " token:%04x(id:%u)/%04x(id:%u)",
				  t->sf_token_rem, t->sf_id_rem,
				  t->sf_token_loc, t->sf_id_loc);
	if (t->sf_has & (1u << 4))
		tulpen_buf_printf(b, " seq:%llx",
				  (unsigned long long)t->sf_map_seq);
	if (t->sf_has & (1u << 5))
		tulpen_buf_printf(b, " sfseq:%x", t->sf_map_sfseq);
	if (t->sf_has & (1u << 6))
		tulpen_buf_printf(b, " ssnoff:%x", t->sf_ssn_offset);
	if (t->sf_has & (1u << 7))
		tulpen_buf_printf(b, " maplen:%x", t->sf_map_datalen);
}

/* -i: what ss's tcp_show_info() prints after the memory. */
static void put_tcp_info(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
			 const struct tulpen_sock *s)
{
	const struct tulpen_tcp_info *t = s->tcp_info;

	if (o->timers)
		put_tcp_opts(b, t);
	put_tcp_head(b, t);
	put_counts(b, t);
	put_cc(b, o->numeric, t);
	put_rates(b, o->numeric, t);
	put_tail(b, s, t);
	if (t->ulp[0])
		tulpen_buf_printf(b, " tcp-ulp-%s", t->ulp);
	if (t->sf_has)
		put_subflow(b, t);
}

/* -i on an MPTCP socket: ss's mptcp_stats_print(). */
static void put_mptcp_info(struct tulpen_buf *b,
			   const struct tulpen_mptcp_info *m)
{
	put_u64_if(b, "subflows", m->subflows);
	put_u64_if(b, "add_addr_signal", m->add_addr_signal);
	put_u64_if(b, "add_addr_accepted", m->add_addr_accepted);
	put_u64_if(b, "subflows_max", m->subflows_max);
	put_u64_if(b, "add_addr_signal_max", m->add_addr_signal_max);
	put_u64_if(b, "add_addr_accepted_max", m->add_addr_accepted_max);
	if (m->flags & 1)
		tulpen_buf_puts(b, " fallback");
	if (m->flags & 2)
		tulpen_buf_puts(b, " remote_key");
	if (m->token)
		tulpen_buf_printf(b, " token:%x", m->token);
	if (m->write_seq)
		tulpen_buf_printf(b, " write_seq:%llx",
				  (unsigned long long)m->write_seq);
	if (m->snd_una)
		tulpen_buf_printf(b, " snd_una:%llx",
				  (unsigned long long)m->snd_una);
	if (m->rcv_nxt)
		tulpen_buf_printf(b, " rcv_nxt:%llx",
				  (unsigned long long)m->rcv_nxt);
}

/* UNIX: -m on the same line, then -e's arrows, file and peers. */
static void put_unix(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
		     const struct tulpen_sock *s)
{
	uint32_t i, v;

	if (o->memory && s->skmem)
		put_skmem(b, s->skmem);
	if (!o->extended)
		return;
	put_arrows(b, s);
	if (s->has_unix_vfs)
		tulpen_buf_printf(b, " ino:%u dev:%u/%u", s->unix_vfs_ino,
				  major(s->unix_vfs_dev),
				  minor(s->unix_vfs_dev));
	if (!s->has_unix_icons)
		return;
	tulpen_buf_puts(b, " peers:");
	for (i = 0; i < s->unix_nicons; i++) {
		memcpy(&v, (const char *)s->unix_icons + 4 * i, 4);
		tulpen_buf_printf(b, " %u", v);
	}
}

/* A line of its own, or with -O the same line: "\n\t" or " ". */
static void put_sep(struct tulpen_buf *b, const struct tulpen_fmt_opts *o)
{
	tulpen_buf_puts(b, o->oneline ? " " : "\n\t");
}

static void put_ring(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
		     const char *name, const struct tulpen_packet_ring *r)
{
	if (!r->present)
		return;
	put_sep(b, o);
	tulpen_buf_printf(b,
			  "%s(blk_size:%d,blk_nr:%d,frm_size:%d,frm_nr:%d,"
			  "tmo:%d,features:0x%x)",
			  name, (int)r->block_size, (int)r->block_nr,
			  (int)r->frame_size, (int)r->frame_nr,
			  (int)r->retire_tmo, r->features);
}

static void put_fanout(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
		       uint32_t fanout)
{
	static const char *const types[] = { "hash", "lb",     "cpu",
					     "roll", "random", "qm" };
	uint32_t type = fanout >> 16;

	put_sep(b, o);
	tulpen_buf_printf(b, "fanout(id:%d,type:", (int)(fanout & 0xffff));
	if (type < sizeof(types) / sizeof(types[0]))
		tulpen_buf_puts(b, types[type]);
	else
		tulpen_buf_printf(b, "0x%x", type);
	tulpen_buf_putc(b, ')');
}

/* -e on a packet socket: version, copy threshold, flags, rings, fanout. */
static void put_packet_details(struct tulpen_buf *b,
			       const struct tulpen_fmt_opts *o,
			       const struct tulpen_sock *s)
{
	/* PDI_RUNNING, _AUXDATA, _ORIGDEV, _VNETHDR, _LOSS */
	static const char *const flags[] = { "running", " auxdata", " origdev",
					     " vnethdr", " loss" };
	size_t i;

	if (s->pk.has_info) {
		put_sep(b, o);
		tulpen_buf_printf(b, "ver:%d cpy_thresh:%d flags( ",
				  (int)s->pk.version, (int)s->pk.copy_thresh);
		for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
			if (s->pk.flags & (1u << i))
				tulpen_buf_puts(b, flags[i]);
		tulpen_buf_puts(b, s->pk.flags ? " )" : "0 )");
	}
	put_ring(b, o, "ring_rx", &s->pk.rx_ring);
	put_ring(b, o, "ring_tx", &s->pk.tx_ring);
	if (s->pk.has_fanout)
		put_fanout(b, o, s->pk.fanout);
}

/* -b: the classic BPF program, as ss prints it. */
static void put_bpf(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
		    const struct tulpen_sock *s)
{
	struct tulpen_bpf_insn in;
	uint32_t i;

	put_sep(b, o);
	tulpen_buf_printf(b, "bpf filter (%u): ", s->pk.nfilter);
	for (i = 0; i < s->pk.nfilter; i++) {
		tulpen_bpf_insn_at(s, i, &in);
		tulpen_buf_printf(b, " 0x%02x %u %u %u,", in.code, in.jt, in.jf,
				  in.k);
	}
}

/*
 * Netlink: -e's " sk=0 cb=0 groups=0x..." (sock_diag knows neither
 * address), -m's skmem after a tab. Packet: -e's details, -b's filter.
 */
static void put_link(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
		     const struct tulpen_sock *s)
{
	if (s->proto == TULPEN_P_NETLINK) {
		if (o->extended)
			tulpen_buf_printf(b, " sk=0 cb=0 groups=0x%08x",
					  s->nl.groups);
		if (o->memory && s->skmem) {
			tulpen_buf_putc(b, '\t');
			put_skmem(b, s->skmem);
		}
		return;
	}
	if (o->extended) {
		put_details(b, o, s);
		put_packet_details(b, o, s);
	}
	if (o->bpf && s->pk.has_filter)
		put_bpf(b, o, s);
	if (o->memory && s->skmem)
		put_skmem(b, s->skmem);
}

void tulpen_ss_details(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
		       const struct tulpen_sock *s)
{
	put_details(b, o, s);
}

/* --tipcinfo, as ss's tipc_show_sock() writes it (its spaces too). */
static void put_tipcinfo(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
			 const struct tulpen_sock *s)
{
	static const char *const types[] = { "UNKNOWN", "STREAM", "DGRAM",
					     "UNKNOWN", "RDM",	  "SEQPACKET" };

	tulpen_buf_printf(b, "%stype:%s", o->oneline ? " " : "\n ",
			  s->unix_type < 6 ? types[s->unix_type] : "UNKNOWN");
	tulpen_buf_printf(b, " cong:%s ",
			  s->tipc.link_cong   ? "link"
			  : s->tipc.conn_cong ? "conn"
					      : "none");
	tulpen_buf_printf(b, " drop:%d ", (int)s->tipc.drops);
	if (s->tipc.has_publ)
		tulpen_buf_puts(b, " publ");
	if (s->tipc.has_via)
		tulpen_buf_printf(b, " via {%u,%u} ", s->tipc.via_type,
				  s->tipc.via_inst);
}

/* An XDP ring: "\n\trx(entries:2048)", with -O on the same line. */
static void put_xdp_ring(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
			 const char *name, uint32_t entries)
{
	put_sep(b, o);
	tulpen_buf_printf(b, "%s(entries:%u)", name, entries);
}

/*
 * XDP, as ss's xdp_show_sock(): -e's details, the rings, the umem with its
 * fill and completion rings (-O writes "tumem(", as ss does), the
 * statistics; -m's skmem with no separator.
 */
static void put_xdp(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
		    const struct tulpen_sock *s)
{
	uint8_t r = s->xdp.has_rings;

	if (o->extended) {
		put_details(b, o, s);
		if (r & 1)
			put_xdp_ring(b, o, "rx", s->xdp.rx);
		if (r & 2)
			put_xdp_ring(b, o, "tx", s->xdp.tx);
	}
	if (o->extended && s->xdp.has_umem) {
		tulpen_buf_puts(b, o->oneline ? " tumem(" : "\n\tumem(");
		tulpen_buf_printf(
			b,
			"id:%u,size:%llu,num_pages:%u,chunk_size:%u,"
			"headroom:%u,ifindex:%u,qid:%u,zc:%u,refs:%u)",
			s->xdp.umem.id, (unsigned long long)s->xdp.umem.size,
			s->xdp.umem.num_pages, s->xdp.umem.chunk_size,
			s->xdp.umem.headroom, s->xdp.umem.ifindex,
			s->xdp.umem.queue_id, s->xdp.umem.flags & 1,
			s->xdp.umem.refs);
		if (r & 4)
			put_xdp_ring(b, o, "fr", s->xdp.fill);
		if (r & 8)
			put_xdp_ring(b, o, "cr", s->xdp.completion);
	}
	if (o->extended && s->xdp.has_stats) {
		put_sep(b, o);
		tulpen_buf_printf(b,
				  "stats(rx dropped:%llu,rx invalid:%llu,"
				  "rx queue full:%llu,rx fill ring empty:%llu,"
				  "tx invalid:%llu,tx ring empty:%llu)",
				  (unsigned long long)s->xdp.rx_dropped,
				  (unsigned long long)s->xdp.rx_invalid,
				  (unsigned long long)s->xdp.rx_full,
				  (unsigned long long)s->xdp.fill_ring_empty,
				  (unsigned long long)s->xdp.tx_invalid,
				  (unsigned long long)s->xdp.tx_ring_empty);
	}
	if (o->memory && s->skmem)
		put_skmem(b, s->skmem);
}

int tulpen_ss_extras(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
		     const struct tulpen_sock *s)
{
	if (s->proto == TULPEN_P_XDP) {
		put_xdp(b, o, s);
		return b->err;
	}
	if (s->proto == TULPEN_P_TIPC) {
		if (o->tipcinfo)
			put_tipcinfo(b, o, s);
		return b->err;
	}
	if (s->proto == TULPEN_P_NETLINK || s->proto == TULPEN_P_PACKET) {
		put_link(b, o, s);
		return b->err;
	}
	if (s->family == AF_UNIX) {
		put_unix(b, o, s);
		return b->err;
	}
	if (o->timers && s->proto == TULPEN_P_SCTP && s->timer) {
		tulpen_buf_puts(b, " timer:(T3_RTX,"); /* ss: any SCTP timer */
		put_ms_timer(b, s->timer_ms);
		tulpen_buf_printf(b, ",%u)", s->retrans);
	} else if (o->timers) {
		put_timer(b, s);
	}
	if (o->extended)
		put_details(b, o, s);
	if (o->tos)
		put_tos(b, s);
	if (o->show_cgroup && s->cgroup_id)
		put_cgroup(b, o, s->cgroup_id);
	if (o->inet_sockopt)
		put_sockopt(b, o, s);
	if (o->memory || (o->info && s->proto != TULPEN_P_UDP &&
			  s->proto != TULPEN_P_UDPLITE)) {
		if (!o->oneline)
			tulpen_buf_puts(b, "\n\t");
		if (o->memory && s->skmem)
			put_skmem(b, s->skmem);
		if (s->proto == TULPEN_P_SCTP)
			tulpen_ss_sctp_info(b, s);
		else if (o->info && s->tcp_info)
			put_tcp_info(b, o, s);
		else if (o->info && s->mptcp_info)
			put_mptcp_info(b, s->mptcp_info);
	}
	return b->err;
}
