// SPDX-License-Identifier: MIT
/*
 * fuzz_doctor_files.c - what tulpen doctor parses from /proc besides the
 * socket tables: the first byte picks the parser (0 a /proc/PID/status
 * for the parent pid, 1 a sysctl of several numbers, 2 sockstat, else a
 * netstat/snmp file through the shared counter parser). Each must stay in
 * bounds and keep its promises.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/kcounters.h"
#include "doctor/doctor_procs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count(const char *sec, size_t seclen, const char *key,
		  size_t keylen, uint64_t value, void *priv)
{
	size_t *n = priv;

	(void)value;
	if (!seclen || !keylen || memchr(sec, '\n', seclen) ||
	    memchr(key, ' ', keylen))
		abort();
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1;
	struct tulpen_sockstat st;
	uint64_t v[3];
	size_t n = 0;
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
		r = tulpen_kcounters_numbers(text, size, v, 3);
		if (r > 3 || (r < 0 && r != -EINVAL))
			abort();
		break;
	case 2:
		r = tulpen_sockstat_parse(text, size, &st);
		if (r && r != -EINVAL)
			abort();
		break;
	default:
		tulpen_kcounters_parse(text, size, count, &n);
		if (n > size)
			abort();
	}
	return 0;
}
