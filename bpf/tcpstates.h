/* SPDX-License-Identifier: MIT */
/*
 * tcpstates.h - the records the tulpen watch eBPF program sends through its
 * ring buffer. Shared by bpf/tcpstates.bpf.c and lib/watch_bpf.c, so it uses
 * only fixed-size kernel integer types.
 */
#ifndef TULPEN_BPF_TCPSTATES_H
#define TULPEN_BPF_TCPSTATES_H

/* Event types. */
enum {
	TW_EV_STATE = 1, /* a state transition */
	TW_EV_OWNER = 2, /* a socket was accepted by a process */
};

/* Event flags. */
#define TW_F_BYTES 0x01	   /* bytes_acked/bytes_received are valid */
#define TW_F_OWNER 0x02	   /* pid/tid/comm name the owner */
#define TW_F_TIMEWAIT 0x04 /* reported from the time-wait socket */
#define TW_F_IN_OLD 0x08   /* in_old_ns is valid */
#define TW_F_PARENT 0x10   /* parent_cookie names the listener */
#define TW_F_LATE 0x20	   /* seen only after it happened: time unknown */

/* No value for in_old_ns. */
#define TW_NO_TIME ((__u64)-1)

struct tw_event {
	__u64 ts_ns;	      /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 cookie;	      /* socket cookie, as sock_diag reports it */
	__u64 in_old_ns;      /* time spent in old state (TW_F_IN_OLD) */
	__u64 bytes_acked;    /* sent and acknowledged (TW_F_BYTES) */
	__u64 bytes_received; /* received (TW_F_BYTES) */
	__u64 parent_cookie;  /* listener of an accepted socket */
	__u32 pid;	      /* owner's process id (TW_F_OWNER) */
	__u32 tid;	      /* owner's thread id (TW_F_OWNER) */
	__u32 netns;	      /* network namespace inode number */
	__u16 family;	      /* AF_INET, AF_INET6 */
	__u16 protocol;	      /* IPPROTO_TCP, IPPROTO_MPTCP */
	__u16 sport;	      /* local port, host order */
	__u16 dport;	      /* peer port, host order */
	__u8 type;	      /* TW_EV_* */
	__u8 oldstate;	      /* kernel TCP state numbers */
	__u8 newstate;
	__u8 flags;	/* TW_F_* */
	__u8 saddr[16]; /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	char comm[16]; /* owner's thread name (TW_F_OWNER) */
};

/*
 * The counts the programs keep in the kernel (map `counts`, one per CPU),
 * whether or not events go through the ring buffer: transitions by
 * [old * TW_NSTATES + new] (kernel state numbers, as the events have
 * them), and how long sockets lived, from their birth (SYN-SENT, or
 * SYN-RECEIVED of a listener's child) to their close (CLOSED, or the
 * hand-over to a time-wait socket), in log2 slots of microseconds: slot
 * 0 under 1 us, slot i in [2^(i-1), 2^i) us, the last one the rest.
 * dur_untracked: births that found the counts-only birth table (map
 * `births`, TW_BIRTHS_MAX sockets at once) full, whose lifetime is
 * therefore not in the histogram.
 */
#define TW_NSTATES 16
#define TW_DUR_SLOTS 40
#define TW_BIRTHS_MAX (1u << 18)

struct tw_counts {
	__u64 trans[TW_NSTATES * TW_NSTATES];
	__u64 dur[TW_DUR_SLOTS];
	__u64 dur_sum_ns;
	__u64 dur_untracked;
};

#endif /* TULPEN_BPF_TCPSTATES_H */
