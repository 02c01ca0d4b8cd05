/* SPDX-License-Identifier: MIT */
/*
 * pcap_zeeklog.h - Zeek's conn.log for reconstructed connections, in its
 * ASCII (tab-separated, #-header) and JSON forms (internal to libtulpen;
 * selected through tulpen/pcap_report.h).
 *
 * Ownership: everything is written into the caller's buffer.
 */
#ifndef TULPEN_PCAP_ZEEKLOG_H
#define TULPEN_PCAP_ZEEKLOG_H

#include <stdint.h>

#include "tulpen/fmt.h"
#include "tulpen/pcap_flows.h"

/* The #separator ... #types lines; @open_ns: the #open stamp. */
int pcap_zeeklog_header(struct tulpen_buf *b, int64_t open_ns);
/* The #close line. */
int pcap_zeeklog_footer(struct tulpen_buf *b, int64_t close_ns);

/*
 * A Zeek-style uid ('C' and 17 base-62 digits, 19 bytes with the NUL) at
 * @out, the same for the same @seed, time and endpoints.
 */
void pcap_zeeklog_uid(char *out, uint64_t seed, int64_t ts_ns,
		      const struct tulpen_endpoint *a,
		      const struct tulpen_endpoint *b);

/* One conn.log line, ASCII or JSON, with uid @uid. */
int pcap_zeeklog_conn(struct tulpen_buf *b, const struct tulpen_flow *c,
		      const char *uid);
int pcap_zeeklog_json(struct tulpen_buf *b, const struct tulpen_flow *c,
		      const char *uid);

#endif /* TULPEN_PCAP_ZEEKLOG_H */
