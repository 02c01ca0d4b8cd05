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

/*
 * netstat -s (fmt_snmp.c) over one file's text: snmp, netstat, snmp6, or
 * snmp for its Tcp section only (what netstat -s -6 adds). @flags are
 * TULPEN_SNMP_* (tulpen/summary.h); *@hist the histogram state carried
 * from one file to the next (0 at the start). Returns @b's error.
 */
enum tulpen_snmp_file {
	TULPEN_SNMP_FILE_SNMP,
	TULPEN_SNMP_FILE_NETSTAT,
	TULPEN_SNMP_FILE_SNMP6,
	TULPEN_SNMP_FILE_SNMP_TCP,
};
int tulpen_snmp_render(const char *text, size_t len, enum tulpen_snmp_file file,
		       unsigned int flags, int *hist, struct tulpen_buf *b);

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
 * Netlink protocol as ss names it ("rtnl", "genl"; the number when
 * @numeric or unknown). Returns the length written.
 */
size_t tulpen_fmt_netlink_proto(char *out, size_t size, uint32_t proto,
				int numeric);
/*
 * Ethertype as ss names it ("ip", "ipv6"), or "[2048]" in @buf when
 * @numeric or unknown. Returns the name or @buf.
 */
const char *tulpen_fmt_ether_proto(char *buf, size_t size, uint16_t proto,
				   int numeric);
/*
 * The endpoints of a netlink, packet, vsock or XDP socket as text:
 * "rtnl:kernel", "ip:eth0 (raw)", "2:1024", "eth0:q0"; "*" for none.
 */
void tulpen_fmt_other_eps(const struct tulpen_sock *s, int numeric, char *local,
			  size_t *llen, char *peer, size_t *plen, size_t size);
/* JSON: the "family" word, and the object of a family without ports. */
const char *tulpen_json_family_name(const struct tulpen_sock *s);
void tulpen_json_family(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
			const struct tulpen_sock *s);
/* One instruction of a packet socket's classic BPF filter (bpf_insn.c). */
struct tulpen_bpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

/* Instruction @i (< s->pk.nfilter) of @s's filter. */
void tulpen_bpf_insn_at(const struct tulpen_sock *s, uint32_t i,
			struct tulpen_bpf_insn *in);
/*
 * The filter in tcpdump -d's mnemonics, "; " between instructions, jump
 * targets as instruction numbers. Returns @b's error.
 */
int tulpen_bpf_listing(struct tulpen_buf *b, const struct tulpen_sock *s);
/*
 * What ss prints after a socket's addresses and users:(...): -o, -e,
 * --tos, --cgroup, --inet-sockopt, -m and -i, as @o asks (ss_extras.c).
 * Returns @b's error.
 */
int tulpen_ss_extras(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
		     const struct tulpen_sock *s);
/*
 * SCTP (ss_sctp.c): the name of an association's state (@ss: ss's
 * spelling, "ESTAB"), the @i-th address of a list of struct
 * sockaddr_storage (numeric, "" for other families; returns its length),
 * -i's struct sctp_info zero-padded, and what ss's sctp_show_info()
 * prints after the memory.
 */
struct sctp_info;
const char *tulpen_sctp_state_name(uint8_t state, int ss);
const char *tulpen_ss_sctp_state(uint8_t state);
size_t tulpen_sctp_addr(char *out, size_t size, const void *list, uint32_t i);
void tulpen_sctp_info_read(const struct tulpen_sock *s, struct sctp_info *i);
void tulpen_ss_sctp_info(struct tulpen_buf *b, const struct tulpen_sock *s);
/* The JSON "sctp" object of docs/json.md, after a comma (json_sctp.c). */
void tulpen_json_sctp(struct tulpen_buf *b, const struct tulpen_sock *s);
/* -e's " uid: ino: sk: fwmark: cgroup:", as ss's sock_details_print(). */
void tulpen_ss_details(struct tulpen_buf *b, const struct tulpen_fmt_opts *o,
		       const struct tulpen_sock *s);
/*
 * A count scaled to three or four digits with one decimal and k, M, G, T,
 * P or E (powers of 1000): "999", "1.2k", "215.0G". @out needs
 * TULPEN_FMT_NUM_MAX bytes; no NUL. Returns the length (number.c).
 */
size_t tulpen_fmt_scaled(char *out, uint64_t v);
/* The JSON objects "tcp_info" and "skmem" of docs/json.md (json_ext.c). */
struct tulpen_tcp_info;
struct tulpen_skmem;
int tulpen_json_tcp_info(struct tulpen_buf *b, const struct tulpen_tcp_info *t);
int tulpen_json_skmem(struct tulpen_buf *b, const struct tulpen_skmem *m);
struct tulpen_mptcp_info;
int tulpen_json_mptcp_info(struct tulpen_buf *b,
			   const struct tulpen_mptcp_info *m);
/* A bounded, truncation-safe snprintf returning the length written. */
size_t tulpen_scnprintf(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* TULPEN_FMT_INTERNAL_H */
