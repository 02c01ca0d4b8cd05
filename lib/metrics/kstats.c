// SPDX-License-Identifier: MIT
/*
 * kstats.c - the kernel's TCP counters: /proc/net/netstat (TcpExt),
 * /proc/net/snmp (Tcp), /proc/net/sockstat and the ephemeral port range.
 *
 * The files are read by the one reader of them (core/procstat.c); a
 * counter the running kernel does not have is left out (never a made-up 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/procstat.h"
#include "metrics/metrics_internal.h"

#define NS(key, metric, label, help)                                           \
	{                                                                      \
		TM_KF_NETSTAT, "TcpExt", key, metric, label, help              \
	}
#define SN(key, metric, help)                                                  \
	{                                                                      \
		TM_KF_SNMP, "Tcp", key, metric, NULL, help                     \
	}

const struct tm_kcounter tm_kcounters[] = {
	NS("ListenOverflows", "tulpen_tcp_listen_overflows", NULL,
	   "Handshakes completed while the accept queue was full "
	   "(TcpExt ListenOverflows)."),
	NS("ListenDrops", "tulpen_tcp_listen_drops", NULL,
	   "Connections dropped at a listener for any reason, overflows "
	   "included (TcpExt ListenDrops)."),
	NS("TCPBacklogDrop", "tulpen_tcp_backlog_drops", NULL,
	   "Segments dropped because the socket backlog was full "
	   "(TcpExt TCPBacklogDrop)."),
	NS("TCPReqQFullDrop", "tulpen_tcp_request_queue_full_drops", NULL,
	   "SYNs dropped because the SYN queue was full and syncookies off "
	   "(TcpExt TCPReqQFullDrop)."),
	NS("TCPReqQFullDoCookies", "tulpen_tcp_request_queue_full_cookies",
	   NULL,
	   "SYN cookies sent because the SYN queue was full "
	   "(TcpExt TCPReqQFullDoCookies)."),
	NS("SyncookiesSent", "tulpen_tcp_syncookies_sent", NULL,
	   "SYN cookies sent (TcpExt SyncookiesSent)."),
	NS("SyncookiesRecv", "tulpen_tcp_syncookies_received", NULL,
	   "Valid SYN cookies received (TcpExt SyncookiesRecv)."),
	NS("SyncookiesFailed", "tulpen_tcp_syncookies_failed", NULL,
	   "Invalid SYN cookies received (TcpExt SyncookiesFailed)."),
	NS("TCPAbortOnData", "tulpen_tcp_aborts", "reason=\"data\"",
	   "Connections reset by this host, by reason (TcpExt TCPAbortOn*)."),
	NS("TCPAbortOnClose", "tulpen_tcp_aborts", "reason=\"close\"", NULL),
	NS("TCPAbortOnMemory", "tulpen_tcp_aborts", "reason=\"memory\"", NULL),
	NS("TCPAbortOnTimeout", "tulpen_tcp_aborts", "reason=\"timeout\"",
	   NULL),
	NS("TCPAbortOnLinger", "tulpen_tcp_aborts", "reason=\"linger\"", NULL),
	NS("TCPAbortFailed", "tulpen_tcp_aborts", "reason=\"failed\"", NULL),
	NS("TCPTimeouts", "tulpen_tcp_timeouts", NULL,
	   "Retransmission timeouts (TcpExt TCPTimeouts)."),
	NS("TCPSynRetrans", "tulpen_tcp_syn_retransmits", NULL,
	   "SYN and SYN-ACK retransmissions (TcpExt TCPSynRetrans)."),
	NS("TCPLostRetransmit", "tulpen_tcp_lost_retransmits", NULL,
	   "Retransmissions that were lost again (TcpExt TCPLostRetransmit)."),
	NS("TCPRetransFail", "tulpen_tcp_retransmit_failures", NULL,
	   "Retransmissions the stack failed to send "
	   "(TcpExt TCPRetransFail)."),
	NS("TW", "tulpen_tcp_time_wait_ended", NULL,
	   "TIME-WAIT sockets that ended by their timer (TcpExt TW)."),
	NS("TCPMemoryPressures", "tulpen_tcp_memory_pressures", NULL,
	   "Times TCP entered memory pressure (TcpExt TCPMemoryPressures)."),
	SN("ActiveOpens", "tulpen_tcp_active_opens",
	   "Connections this host opened: CLOSED to SYN-SENT "
	   "(Tcp ActiveOpens)."),
	SN("PassiveOpens", "tulpen_tcp_passive_opens",
	   "Connections accepted: LISTEN to SYN-RECEIVED (Tcp PassiveOpens)."),
	SN("AttemptFails", "tulpen_tcp_attempt_fails",
	   "Connection attempts that failed: SYN-SENT or SYN-RECEIVED to "
	   "CLOSED, SYN-RECEIVED to LISTEN (Tcp AttemptFails)."),
	SN("EstabResets", "tulpen_tcp_established_resets",
	   "Resets from ESTABLISHED or CLOSE-WAIT to CLOSED "
	   "(Tcp EstabResets)."),
	SN("InSegs", "tulpen_tcp_segments_received",
	   "Segments received, errors included (Tcp InSegs)."),
	SN("OutSegs", "tulpen_tcp_segments_sent",
	   "Segments sent, retransmissions excluded (Tcp OutSegs)."),
	SN("RetransSegs", "tulpen_tcp_segments_retransmitted",
	   "Segments retransmitted (Tcp RetransSegs)."),
	SN("InErrs", "tulpen_tcp_segments_received_errors",
	   "Segments received in error (Tcp InErrs)."),
	SN("InCsumErrors", "tulpen_tcp_segments_checksum_errors",
	   "Segments received with a bad checksum (Tcp InCsumErrors)."),
	SN("OutRsts", "tulpen_tcp_resets_sent",
	   "Segments sent with RST (Tcp OutRsts)."),
};

const size_t tm_nkcounters = sizeof(tm_kcounters) / sizeof(tm_kcounters[0]);

_Static_assert(sizeof(tm_kcounters) / sizeof(tm_kcounters[0]) <= TM_KMAX,
	       "TM_KMAX too small");

static int counter_index(enum tm_kfile file, const struct tulpen_counter *c)
{
	size_t i;

	for (i = 0; i < tm_nkcounters; i++) {
		const struct tm_kcounter *k = &tm_kcounters[i];

		if (k->file == file && tulpen_counter_is(c, k->section, k->key))
			return (int)i;
	}
	return -1;
}

struct pairs_walk {
	enum tm_kfile file;
	struct tm_kstats *k;
};

static void pair_cb(const struct tulpen_counter *c, void *data)
{
	struct pairs_walk *w = data;
	int idx = counter_index(w->file, c);
	uint64_t val;

	if (idx < 0 || tulpen_procstat_u64(c->val, c->vallen, &val))
		return;
	w->k->value[idx] = val;
	w->k->have[idx] = 1;
}

void tm_kstats_parse_pairs(const char *text, size_t len, enum tm_kfile file,
			   struct tm_kstats *k)
{
	struct pairs_walk w = { file, k };

	tulpen_procstat_pairs(text, len, pair_cb, &w);
}

struct sockstat_walk {
	uint64_t orphans, mem;
	int seen, bad;
};

static void sockstat_cb(const struct tulpen_counter *c, void *data)
{
	struct sockstat_walk *w = data;
	uint64_t v;

	if (c->seclen != 3 || memcmp(c->sec, "TCP", 3) || w->bad)
		return;
	if (tulpen_procstat_u64(c->val, c->vallen, &v)) {
		w->bad = 1;
		return;
	}
	if (tulpen_counter_is(c, "TCP", "orphan")) {
		w->orphans = v;
		w->seen |= 1;
	} else if (tulpen_counter_is(c, "TCP", "mem")) {
		w->mem = v;
		w->seen |= 2;
	}
}

/* "TCP: inuse 3 orphan 0 tw 0 alloc 4 mem 1" */
void tm_kstats_parse_sockstat(const char *text, size_t len, long page_size,
			      struct tm_kstats *k)
{
	struct sockstat_walk w = { 0, 0, 0, 0 };

	tulpen_procstat_sockstat(text, len, sockstat_cb, &w);
	if (w.bad || w.seen != 3 || page_size <= 0 ||
	    w.mem > UINT64_MAX / (uint64_t)page_size)
		return;
	k->have_sockstat = 1;
	k->tcp_orphans = w.orphans;
	k->tcp_mem_bytes = w.mem * (uint64_t)page_size;
}

static void parse_port_range(const char *s, size_t len, struct tm_kstats *k)
{
	const char *p = s, *end = s + len, *t;
	uint64_t lo, hi;
	size_t tl;

	/* "32768\t60999\n" */
	while (p < end && (*p == '\t' || *p == ' '))
		p++;
	t = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (tulpen_procstat_u64(t, (size_t)(p - t), &lo))
		return;
	while (p < end && (*p == '\t' || *p == ' '))
		p++;
	t = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	tl = (size_t)(p - t);
	if (tulpen_procstat_u64(t, tl, &hi) || lo > hi || hi > 65535)
		return;
	k->have_port_range = 1;
	k->port_lo = (uint32_t)lo;
	k->port_hi = (uint32_t)hi;
}

void tm_kstats_read(const char *proc_root, struct tm_kstats *k)
{
	char buf[16384];
	ssize_t n;

	memset(k, 0, sizeof(*k));
	n = tulpen_procstat_read(proc_root, "net/netstat", buf, sizeof(buf));
	if (n > 0)
		tm_kstats_parse_pairs(buf, (size_t)n, TM_KF_NETSTAT, k);
	n = tulpen_procstat_read(proc_root, "net/snmp", buf, sizeof(buf));
	if (n > 0)
		tm_kstats_parse_pairs(buf, (size_t)n, TM_KF_SNMP, k);
	n = tulpen_procstat_read(proc_root, "net/sockstat", buf, sizeof(buf));
	if (n > 0)
		tm_kstats_parse_sockstat(buf, (size_t)n, sysconf(_SC_PAGESIZE),
					 k);
	n = tulpen_procstat_read(proc_root, "sys/net/ipv4/ip_local_port_range",
				 buf, sizeof(buf));
	if (n > 0)
		parse_port_range(buf, (size_t)n, k);
}
