/* SPDX-License-Identifier: MIT */
/*
 * fmt_internal.h - what the output back ends share. Not installed.
 */
#ifndef TULPEN_FMT_INTERNAL_H
#define TULPEN_FMT_INTERNAL_H

#include "tulpen/fmt.h"

struct tulpen_fmt;

struct fmt_ops {
	int (*init)(struct tulpen_fmt *f);
	int (*sock)(struct tulpen_fmt *f, const struct tulpen_sock *s,
		    const struct tulpen_owner *ow, size_t n);
	int (*end)(struct tulpen_fmt *f);
	void (*fini)(struct tulpen_fmt *f);
};

struct tulpen_fmt {
	const struct fmt_ops *ops;
	struct tulpen_fmt_opts o;
	struct tulpen_buf out;
	void *priv;	     /* the back end's own state */
	unsigned long count; /* sockets formatted so far */
};

extern const struct fmt_ops tulpen_fmt_table_ops;
extern const struct fmt_ops tulpen_fmt_json_ops;
extern const struct fmt_ops tulpen_fmt_ndjson_ops;
extern const struct fmt_ops tulpen_fmt_netstat_ops;
extern const struct fmt_ops tulpen_fmt_ss_ops;

/* Shared text pieces (fmt_common.c). Each returns the length written. */

/* The state as shown for @s in @style (UNCONN for connectionless). */
const char *tulpen_fmt_state(const struct tulpen_sock *s, int style);
/* "tcp", "tcp6", "udp6", "unix"... as netstat names protocols. */
const char *tulpen_fmt_netstat_proto(const struct tulpen_sock *s);
/* "stream", "dgram", "seqpacket" */
const char *tulpen_fmt_unix_type(int type);
/* Timer name: "off", "on", "keepalive", "timewait", "probe". */
const char *tulpen_fmt_timer_name(int timer);
/* The user column: name unless numeric (then the uid). */
size_t tulpen_fmt_user(char *out, size_t size, const struct tulpen_fmt *f,
		       uint32_t uid);
/*
 * A port as every layout spells it: "*" for 0, the service name of @svc
 * (NULL: numeric; never for RAW, whose "port" is the IP protocol), else the
 * number. @size must be at least 21. Returns the length.
 */
size_t tulpen_fmt_port(char *out, size_t size, uint16_t port, int proto,
		       const struct tulpen_services *svc);
/* A dotted quad at @out (16 bytes), NUL-terminated; returns its length. */
size_t tulpen_fmt_v4(char *out, const uint8_t *a);
/* The name of interface @ifindex ("eth0"), or its number. */
size_t tulpen_fmt_ifname(char *out, size_t size, uint32_t ifindex);
/* An address alone ("10.0.0.1", "::1", "fe80::1%eth0"), no port. */
size_t tulpen_fmt_addr(char *out, size_t size, int family, const void *addr,
		       uint32_t ifindex);
/* Decimal digits of @v at @out, no NUL (at most 20); returns the count. */
size_t tulpen_utoa(char *out, uint64_t v);
/* A bounded, truncation-safe snprintf returning the length written. */
size_t tulpen_scnprintf(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* TULPEN_FMT_INTERNAL_H */
