// SPDX-License-Identifier: MIT
/*
 * fuzz_metrics_kstats.c - the parsers of /proc/net/netstat, /proc/net/snmp
 * (the first byte: 0 netstat, 1 snmp, else sockstat) and the renderer of
 * what they found: the output must stay well formed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tm_snap snap;
	struct tulpen_buf b;
	size_t i;

	if (!size)
		return 0;
	memset(&snap, 0, sizeof(snap));
	if (data[0] == 0)
		tm_kstats_parse_pairs((const char *)data + 1, size - 1,
				      TM_KF_NETSTAT, &snap.k);
	else if (data[0] == 1)
		tm_kstats_parse_pairs((const char *)data + 1, size - 1,
				      TM_KF_SNMP, &snap.k);
	else
		tm_kstats_parse_sockstat((const char *)data + 1, size - 1, 4096,
					 &snap.k);
	for (i = 0; i < TM_KMAX; i++)
		if (snap.k.have[i] > 1 ||
		    (i >= tm_nkcounters && snap.k.have[i]))
			abort();
	if (tulpen_buf_init(&b, 0, NULL, NULL))
		return 0;
	if (tm_render(&snap, TULPEN_METRICS_OPENMETRICS, &b))
		abort();
	if (b.len < 6 || memcmp(b.data + b.len - 6, "# EOF\n", 6) ||
	    memchr(b.data, '\0', b.len))
		abort();
	tulpen_buf_fini(&b);
	return 0;
}
