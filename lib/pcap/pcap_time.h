/* SPDX-License-Identifier: MIT */
/*
 * pcap/pcap_time.h - checked time arithmetic for captures. Not installed.
 *
 * A capture claims whatever times it likes (a broken clock, a hostile
 * file, pcapng timestamps past 2262 clamped to the 64-bit range): every
 * difference of two capture times goes through here, so none overflows.
 */
#ifndef TULPEN_PCAP_TIME_H
#define TULPEN_PCAP_TIME_H

#include <stdint.h>

/*
 * @a - @b for durations and offsets: never negative (time that went
 * backwards counts as none) and never overflowing (saturated), whatever
 * times a file claims.
 */
static inline int64_t pcap_span(int64_t a, int64_t b)
{
	int64_t d;

	if (__builtin_sub_overflow(a, b, &d))
		return a > b ? INT64_MAX : 0;
	return d < 0 ? 0 : d;
}

#endif /* TULPEN_PCAP_TIME_H */
