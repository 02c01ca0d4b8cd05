/* SPDX-License-Identifier: MIT */
/*
 * procstat.h - the one reader of the kernel's counter files:
 * /proc/net/netstat and /proc/net/snmp ("Section: Name1 Name2 ..." then
 * "Section: 1 2 ..."), /proc/net/snmp6 ("Name value" lines), and
 * /proc/net/sockstat{,6} ("TCP: inuse 3 orphan 0 ..."), and sysctl files
 * of a few numbers. Used by tulpen serve (lib/metrics), the -s summaries
 * and netstat's -s layout (lib/fmt), tulpen doctor (lib/doctor) and the
 * host's sysctls (lib/fsm). Not installed.
 */
#ifndef TULPEN_PROCSTAT_H
#define TULPEN_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One counter: section ("TcpExt", "TCP"), name, and its value's text. */
struct tulpen_counter {
	const char *sec, *key, *val;
	size_t seclen, keylen, vallen;
};

/* Called per counter, in file order. */
typedef void (*tulpen_counter_cb)(const struct tulpen_counter *c, void *data);

/* The name and value lines of netstat/snmp, side by side. */
void tulpen_procstat_pairs(const char *text, size_t len, tulpen_counter_cb cb,
			   void *data);
/* snmp6's "Name value" lines (sec empty). */
void tulpen_procstat_lines(const char *text, size_t len, tulpen_counter_cb cb,
			   void *data);
/* sockstat's "SECTION: key value key value" lines. */
void tulpen_procstat_sockstat(const char *text, size_t len,
			      tulpen_counter_cb cb, void *data);
/* A whole token of decimal digits, no sign; 0 or -EINVAL/-ERANGE. */
int tulpen_procstat_u64(const char *s, size_t len, uint64_t *out);
/* The same with an optional '-' (snmp's MaxConn is -1). */
int tulpen_procstat_i64(const char *s, size_t len, int64_t *out);
/*
 * The numbers of a sysctl file ("32768\t60999\n", "188616\t251488\t377232"):
 * up to @max whole decimal numbers separated by blanks, into @v. Returns
 * how many, or -EINVAL when the text holds anything else or more.
 */
int tulpen_procstat_numbers(const char *text, size_t len, uint64_t *v,
			    size_t max);
/* Whether the counter is @sec / @key. */
int tulpen_counter_is(const struct tulpen_counter *c, const char *sec,
		      const char *key);
/* Read @root/@rel into @buf (at most @size - 1 bytes, NUL added). */
/* Read @fd (closed after) into @buf, NUL-terminated: the length or -errno. */
ssize_t tulpen_procstat_read_fd(int fd, char *buf, size_t size);
ssize_t tulpen_procstat_read(const char *root, const char *rel, char *buf,
			     size_t size);

#endif /* TULPEN_PROCSTAT_H */
