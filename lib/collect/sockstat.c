// SPDX-License-Identifier: MIT
/*
 * sockstat.c - what the kernel counts itself for `-s`: /proc/net/sockstat
 * and sockstat6 (sockets in use, orphans, TIME-WAIT buckets, memory),
 * snmp's CurrEstab and netstat's listen overflows and drops, read through
 * the one reader of those files (core/procstat.c).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tulpen/summary.h"
#include "core/ctx_internal.h"
#include "core/procstat.h"

struct field {
	const char *sec, *key;
	size_t off;
};

#define F(sec, key, member)                                                    \
	{                                                                      \
		sec, key, offsetof(struct tulpen_kernel_stats, member)         \
	}

static const struct field sockstat_fields[] = {
	F("sockets", "used", sockets_used),
	F("TCP", "inuse", tcp_inuse),
	F("TCP", "orphan", tcp_orphan),
	F("TCP", "tw", tcp_tw),
	F("TCP", "alloc", tcp_alloc),
	F("TCP", "mem", tcp_mem_pages),
	F("UDP", "inuse", udp_inuse),
	F("UDP", "mem", udp_mem_pages),
	F("UDPLITE", "inuse", udplite_inuse),
	F("RAW", "inuse", raw_inuse),
	F("FRAG", "inuse", frag_inuse),
	F("FRAG", "memory", frag_memory),
	F("TCP6", "inuse", tcp6_inuse),
	F("UDP6", "inuse", udp6_inuse),
	F("UDPLITE6", "inuse", udplite6_inuse),
	F("RAW6", "inuse", raw6_inuse),
	F("FRAG6", "inuse", frag6_inuse),
	F("FRAG6", "memory", frag6_memory),
	F("Tcp", "CurrEstab", curr_estab),
	F("TcpExt", "ListenOverflows", listen_overflows),
	F("TcpExt", "ListenDrops", listen_drops),
};

struct walk {
	struct tulpen_kernel_stats *k;
	int seen;
};

static void field_cb(const struct tulpen_counter *c, void *data)
{
	struct walk *w = data;
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(sockstat_fields) / sizeof(sockstat_fields[0]);
	     i++) {
		const struct field *f = &sockstat_fields[i];

		if (!tulpen_counter_is(c, f->sec, f->key))
			continue;
		if (tulpen_procstat_u64(c->val, c->vallen, &v))
			return;
		memcpy((char *)w->k + f->off, &v, sizeof(v));
		w->seen++;
		return;
	}
}

int tulpen_kernel_stats_read(struct tulpen_ctx *ctx,
			     struct tulpen_kernel_stats *k)
{
	const char *root = tulpen_ctx_proc_root(ctx);
	char buf[16384];
	struct walk w = { k, 0 };
	ssize_t n;

	memset(k, 0, sizeof(*k));
	k->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	n = tulpen_procstat_read(root, "net/sockstat", buf, sizeof(buf));
	if (n > 0) {
		tulpen_procstat_sockstat(buf, (size_t)n, field_cb, &w);
		k->have_sockstat = w.seen > 0;
	}
	w.seen = 0;
	n = tulpen_procstat_read(root, "net/sockstat6", buf, sizeof(buf));
	if (n > 0) {
		tulpen_procstat_sockstat(buf, (size_t)n, field_cb, &w);
		k->have_sockstat6 = w.seen > 0;
	}
	w.seen = 0;
	n = tulpen_procstat_read(root, "net/snmp", buf, sizeof(buf));
	if (n > 0) {
		tulpen_procstat_pairs(buf, (size_t)n, field_cb, &w);
		k->have_estab = w.seen > 0;
	}
	w.seen = 0;
	n = tulpen_procstat_read(root, "net/netstat", buf, sizeof(buf));
	if (n > 0) {
		tulpen_procstat_pairs(buf, (size_t)n, field_cb, &w);
		k->have_listen = w.seen > 0;
	}
	return k->have_sockstat ? 0 : -ENOENT;
}
