// SPDX-License-Identifier: MIT
/*
 * fuzz_doctor_files.c - what tulpen doctor parses from /proc besides the
 * socket tables: the first byte picks the parser (0 a /proc/PID/status
 * for the parent pid, 1 a sysctl of several numbers, 2 sockstat, else a
 * netstat/snmp file through the one reader of them (core/procstat.c)). Each
 * must stay in bounds and keep its promises.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/procstat.h"
#include "doctor/doctor_internal.h"
#include "doctor/doctor_procs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	struct dr_sockstat st;
	struct dr_sample smp;
	uint64_t v[3];
	size_t i;
	int r;

	if (!size)
		return 0;
	size--;
	switch (data[0]) {
	case 0:
		if (dr_parse_ppid(text, size) < -1)
			abort();
		break;
	case 1:
		r = tulpen_procstat_numbers(text, size, v, 3);
		if (r > 3 || (r < 0 && r != -EINVAL))
			abort();
		break;
	case 2:
		r = dr_parse_sockstat(text, size, &st);
		if (r && r != -EINVAL)
			abort();
		break;
	default:
		memset(&smp, 0, sizeof(smp));
		dr_parse_counters(text, size, &smp);
		for (i = 0; i < DR_C_MAX; i++)
			if (smp.have_counter[i] > 1 ||
			    (!smp.have_counter[i] && smp.counter[i]))
				abort();
	}
	return 0;
}
