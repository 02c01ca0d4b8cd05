// SPDX-License-Identifier: MIT
/*
 * fuzz_pcap_filter.c - the filter language as `tulpen pcap -f` reads it
 * (with the words of captured connections): parse the input as an
 * expression, and when it parses, evaluate it on a few connections.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/filter.h"
#include "tulpen/pcap_flows.h"
#include "tulpen/pcap_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tulpen_filter_opts fo = { 0 };
	struct tulpen_filter_error fe;
	struct tulpen_filter *f = NULL;
	struct tulpen_flow c;
	const char *argv[1];
	char *expr;
	int ret, i;

	if (size > 8192)
		return 0;
	expr = malloc(size + 1);
	if (!expr)
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0';
	argv[0] = expr;
	fo.captures = 1;
	fo.no_resolve = 1;
	ret = tulpen_filter_parse(1, argv, NULL, &fo, &f, &fe);
	if (ret) {
		/* Every rejection explains itself, and points into the text. */
		if (!fe.msg[0] || !memchr(fe.msg, '\0', sizeof(fe.msg)) ||
		    !fe.column)
			abort();
	} else {
		memset(&c, 0, sizeof(c));
		for (i = 0; i < 4; i++) {
			c.family = i & 1 ? AF_INET6 : AF_INET;
			c.side[0].ep.addr.raw[0] = 127;
			c.side[0].ep.port = (uint16_t)(40000 + i);
			c.side[1].ep.port = 80;
			c.side[0].state = (uint8_t)(i + 1);
			c.side[1].state = 7;
			c.first_reset = (int8_t)(i - 2);
			c.end = (uint8_t)i;
			c.midstream = i & 1;
			snprintf(c.conn_state, sizeof(c.conn_state), "%s",
				 i ? "SF" : "REJ");
			tulpen_flow_filter_match(f, &c);
		}
		tulpen_filter_free(f);
	}
	free(expr);
	return 0;
}
