/* SPDX-License-Identifier: MIT */
/*
 * pcap_pipe.h - reading a capture in two threads: one reads and decodes
 * frames (tulpen_pcap_next) into batches in a bounded ring, the calling
 * thread hands the segments, in their order, to a callback (the connection
 * table). The callback sees exactly the segments, in exactly the order, of
 * a plain tulpen_pcap_next() loop; only the reader's warning callback is
 * called from the other thread (never at the same time as itself).
 *
 * Ownership: pcap_pipe_new() allocates the ring (fixed size, about
 * PCAP_PIPE_SLOTS * PCAP_PIPE_BATCH decoded segments), pcap_pipe_free()
 * releases it. The reader is borrowed for one pcap_pipe_run().
 */
#ifndef TULPEN_PCAP_PIPE_H
#define TULPEN_PCAP_PIPE_H

#include "pcap/pcap_flow.h"
#include "tulpen/pcap_decode.h"

#define PCAP_PIPE_BATCH 256
#define PCAP_PIPE_SLOTS 64

struct pcap_pipe;

/*
 * Called for each segment with its key (made by the reader thread); a
 * negative return stops the reading.
 */
typedef int (*pcap_pipe_seg_fn)(void *priv, const struct tulpen_pkt *p,
				const struct seg_key *sk);

/*
 * pcap_pipe_cpus_ok - whether a second thread can run beside this one (the
 * thread may run on 2 CPUs or more).
 */
int pcap_pipe_cpus_ok(void);

/* Returns 0 or -ENOMEM (a mutex or condition failed: -errno). */
int pcap_pipe_new(struct pcap_pipe **out);

/*
 * pcap_pipe_run - every segment of @rd through @seg. Returns what the loop
 * `while ((r = tulpen_pcap_next(rd, &p)) == 1) if ((r = seg(priv, &p, &key
 * of p)) < 0) break;` returns, or -EAGAIN (nothing read) when the thread could
 * not be started: the caller then reads in its own thread.
 */
int pcap_pipe_run(struct pcap_pipe *pp, struct tulpen_pcap_reader *rd,
		  pcap_pipe_seg_fn seg, void *priv);

void pcap_pipe_free(struct pcap_pipe *pp);

#endif /* TULPEN_PCAP_PIPE_H */
