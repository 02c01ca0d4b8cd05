// SPDX-License-Identifier: MIT
/*
 * fuzz_netstat_snmp.c - netstat -s's layout over a made-up counter file:
 * the first byte chooses the file (snmp, netstat, snmp6, snmp's Tcp), the
 * second the sections (TULPEN_SNMP_*), the rest is the file. The output
 * must be lines, without NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fmt/fmt_internal.h"
#include "tulpen/summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tulpen_buf b;
	int hist = 0;

	if (size < 2)
		return 0;
	if (tulpen_buf_init(&b, 0, NULL, NULL))
		return 0;
	if (tulpen_snmp_render((const char *)data + 2, size - 2,
			       (enum tulpen_snmp_file)(data[0] % 4),
			       data[1] & 15u, &hist, &b))
		abort();
	if (hist != 0 && hist != 2 && hist != 3)
		abort(); /* SW_HIST_IN, SW_HIST_OUT */
	if ((b.len && b.data[b.len - 1] != '\n') || memchr(b.data, '\0', b.len))
		abort();
	tulpen_buf_fini(&b);
	return 0;
}
