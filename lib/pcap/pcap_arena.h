/* SPDX-License-Identifier: MIT */
/*
 * pcap/pcap_arena.h - connection records carved from 2 MiB chunks backed
 * by transparent huge pages (internal to the connection table).
 *
 * Finished connections linger (pcap_flows.c): tens of thousands of 1.5 KB
 * records over as many 4 KiB pages, and every late segment or reused
 * 4-tuple lands on a cold one, a TLB miss (a long page walk in a virtual
 * machine) before the cache miss. Carved from huge-page chunks, the
 * records share a few TLB entries. The chunks are only ever given back
 * all at once (pcap_arena_fini()): a record put back is kept for the next
 * one, and the table counts whole chunks in its memory.
 *
 * Ownership: the table embeds struct pcap_arena; records handed out by
 * pcap_arena_get() belong to the arena (never free() them).
 */
#ifndef TULPEN_PCAP_ARENA_H
#define TULPEN_PCAP_ARENA_H

#include <stddef.h>
#include <stdint.h>

#define PCAP_ARENA_CHUNK (2u << 20)
#define PCAP_ARENA_MAX_CHUNKS 16 /* 32 MiB at most */

struct pcap_arena_free {
	struct pcap_arena_free *next;
};

struct pcap_arena {
	void *chunk[PCAP_ARENA_MAX_CHUNKS];
	size_t nchunks;
	size_t max_chunks; /* 0: the arena is not used */
	size_t size;	   /* of a record */
	uint8_t *bump, *end;
	struct pcap_arena_free *free;
	size_t in_use; /* records handed out and not put back */
};

/* Records of @size bytes, at most @max_bytes in chunks (0: none). */
void pcap_arena_init(struct pcap_arena *a, size_t size, uint64_t max_bytes);
/*
 * A record (not zeroed), or NULL when the arena is full or a chunk could
 * not be mapped (allocate elsewhere). @room: bytes the table may still
 * take, a new chunk only when it fits.
 */
void *pcap_arena_get(struct pcap_arena *a, uint64_t room);
void pcap_arena_put(struct pcap_arena *a, void *p);
/* Bytes in chunks. */
static inline uint64_t pcap_arena_bytes(const struct pcap_arena *a)
{
	return (uint64_t)a->nchunks * PCAP_ARENA_CHUNK;
}
void pcap_arena_fini(struct pcap_arena *a);

#endif /* TULPEN_PCAP_ARENA_H */
