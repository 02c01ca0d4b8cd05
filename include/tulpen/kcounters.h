/* SPDX-License-Identifier: MIT */
/*
 * tulpen/kcounters.h - the kernel's counter files, parsed: /proc/net/netstat
 * and /proc/net/snmp (pairs of lines, "Section: Name1 Name2 ..." then
 * "Section: 1 2 ..."), /proc/net/sockstat, and sysctl files holding a few
 * numbers (ip_local_port_range, tcp_mem).
 *
 * Parsers only: nothing here reads a file or allocates, and the text may
 * be anything (a token that is not a number is skipped, never a made-up
 * 0). Ownership: the caller's text is only read during the call.
 */
#ifndef TULPEN_KCOUNTERS_H
#define TULPEN_KCOUNTERS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Called once per counter: its section ("TcpExt", "Tcp", "IpExt") and
 * name, neither NUL-terminated, and its value.
 */
typedef void (*tulpen_kcounter_cb)(const char *section, size_t seclen,
				   const char *key, size_t keylen,
				   uint64_t value, void *data);

/*
 * tulpen_kcounters_parse - walk the name and value lines of a netstat or
 * snmp file side by side and report each counter whose value is a whole
 * decimal number. A pair whose sections differ is skipped.
 */
void tulpen_kcounters_parse(const char *text, size_t len, tulpen_kcounter_cb cb,
			    void *data);

/* The TCP line of /proc/net/sockstat. */
struct tulpen_sockstat {
	uint64_t inuse;	    /* TCP sockets in use (this namespace) */
	uint64_t orphan;    /* orphans (host-wide) */
	uint64_t tw;	    /* TIME-WAIT sockets (this namespace) */
	uint64_t alloc;	    /* sockets allocated (host-wide) */
	uint64_t mem_pages; /* pages of TCP buffer memory (host-wide) */
};

/*
 * tulpen_sockstat_parse - the "TCP: inuse N orphan N tw N alloc N mem N"
 * line. Returns 0 when it was found with at least orphan and mem, or
 * -EINVAL (no such line, or a value that is not a number); fields the
 * line does not have are 0.
 */
int tulpen_sockstat_parse(const char *text, size_t len,
			  struct tulpen_sockstat *out);

/*
 * tulpen_kcounters_numbers - the numbers of a sysctl file ("32768\t60999\n",
 * "188616\t251488\t377232\n"): up to @max whole decimal numbers separated
 * by blanks. Returns how many were stored, or -EINVAL when the text holds
 * anything else or more than @max of them.
 */
int tulpen_kcounters_numbers(const char *text, size_t len, uint64_t *v,
			     size_t max);

#endif /* TULPEN_KCOUNTERS_H */
