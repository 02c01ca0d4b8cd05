// SPDX-License-Identifier: MIT
/*
 * fuzz_http_accept.c - the Accept header negotiation of /metrics: any
 * bytes give one of the two formats, and OpenMetrics only when the header
 * names it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tulpen/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum tulpen_metrics_format f;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	f = tulpen_metrics_negotiate(s);
	if (f != TULPEN_METRICS_PROMETHEUS && f != TULPEN_METRICS_OPENMETRICS)
		abort();
	if (f == TULPEN_METRICS_OPENMETRICS &&
	    !strcasestr(s, "application/openmetrics-text"))
		abort();
	free(s);
	return 0;
}
