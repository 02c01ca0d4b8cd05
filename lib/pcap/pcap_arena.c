// SPDX-License-Identifier: MIT
/*
 * pcap_arena.c - connection records from huge-page chunks (see
 * pcap_arena.h).
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "pcap/pcap_arena.h"

void pcap_arena_init(struct pcap_arena *a, size_t size, uint64_t max_bytes)
{
	memset(a, 0, sizeof(*a));
	a->size = (size + 63) & ~(size_t)63; /* whole cache lines */
	a->max_chunks = (size_t)(max_bytes / PCAP_ARENA_CHUNK);
	if (a->max_chunks > PCAP_ARENA_MAX_CHUNKS)
		a->max_chunks = PCAP_ARENA_MAX_CHUNKS;
}

/* A 2 MiB-aligned chunk (so that it can be one huge page), or NULL. */
static void *chunk_map(void)
{
	size_t len = 2 * (size_t)PCAP_ARENA_CHUNK;
	uint8_t *p, *al;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	al = (uint8_t *)(((uintptr_t)p + PCAP_ARENA_CHUNK - 1) &
			 ~(uintptr_t)(PCAP_ARENA_CHUNK - 1));
	if (al > p)
		munmap(p, (size_t)(al - p));
	if (al + PCAP_ARENA_CHUNK < p + len)
		munmap(al + PCAP_ARENA_CHUNK,
		       (size_t)(p + len - (al + PCAP_ARENA_CHUNK)));
	/* a hint: without huge pages the chunk works the same */
	(void)madvise(al, PCAP_ARENA_CHUNK, MADV_HUGEPAGE);
	return al;
}

void *pcap_arena_get(struct pcap_arena *a, uint64_t room)
{
	void *p;

	if (a->free) {
		p = a->free;
		a->free = a->free->next;
		a->in_use++;
		return p;
	}
	if (a->bump + a->size > a->end) {
		if (a->nchunks >= a->max_chunks || room < PCAP_ARENA_CHUNK)
			return NULL;
		p = chunk_map();
		if (!p)
			return NULL;
		a->chunk[a->nchunks++] = p;
		a->bump = p;
		a->end = a->bump + PCAP_ARENA_CHUNK;
	}
	p = a->bump;
	a->bump += a->size;
	a->in_use++;
	return p;
}

void pcap_arena_put(struct pcap_arena *a, void *p)
{
	struct pcap_arena_free *f = p;

	f->next = a->free;
	a->free = f;
	a->in_use--;
}

void pcap_arena_fini(struct pcap_arena *a)
{
	size_t i;

	for (i = 0; i < a->nchunks; i++)
		munmap(a->chunk[i], PCAP_ARENA_CHUNK);
	memset(a, 0, sizeof(*a));
}
