/* SPDX-License-Identifier: MIT */
/*
 * tulpen/skmem.h - a socket's memory as sock_diag reports it (what
 * `ss -m` prints as skmem:(...)): INET_DIAG_SKMEMINFO for TCP, UDP and
 * RAW, UNIX_DIAG_MEMINFO for UNIX sockets. All values are bytes except
 * drops (packets).
 *
 * Asked for with TULPEN_EXT_SKMEM in struct tulpen_query.ext
 * (tulpen/collect.h); never requested otherwise. The record's skmem
 * pointer (tulpen/sock.h) is NULL when it was not asked for or the kernel
 * gave none.
 *
 * Ownership: the struct belongs to the collector and is valid only during
 * the callback that received the record.
 */
#ifndef TULPEN_SKMEM_H
#define TULPEN_SKMEM_H

#include <stdint.h>

struct tulpen_skmem {
	uint32_t rmem_alloc;  /* r: bytes queued for reading */
	uint32_t rcvbuf;      /* rb: the receive buffer's size */
	uint32_t wmem_alloc;  /* t: bytes in flight to the device */
	uint32_t sndbuf;      /* tb: the send buffer's size */
	uint32_t fwd_alloc;   /* f: allocated ahead, not used yet */
	uint32_t wmem_queued; /* w: bytes queued for sending */
	uint32_t optmem;      /* o: options, filters and the like */
	uint32_t backlog;     /* bl: the backlog queue */
	uint32_t drops;	      /* d: packets dropped before the socket */
	/* how many of the values above the kernel gave (9 since Linux 4.x) */
	uint8_t count;
};

#endif /* TULPEN_SKMEM_H */
