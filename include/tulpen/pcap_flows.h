/* SPDX-License-Identifier: MIT */
/*
 * tulpen/pcap_flows.h - TCP connections reconstructed from a capture.
 *
 * The flow table follows every TCP connection in a stream of decoded
 * segments (tulpen/pcap_decode.h): endpoints, who opened it, packet and byte
 * counts, handshake RTT, who closed or reset it, retransmitted SYN/FIN, the
 * RFC 9293 state sequence of each endpoint (from the shared TCP state
 * machine, tulpen/tcp_fsm.h) and Zeek's conn_state and history.
 *
 * Memory stays bounded: a connection is handed to the callback and freed
 * once it is finished (both sides CLOSED/TIME-WAIT, or reset; with
 * compat_zeek, when Zeek's close is complete) and the linger time has
 * passed, when it has been idle for the idle timeout, or when the input
 * ends. While it lingers, its late segments (a retransmitted last ACK, the
 * peer's FIN after a RST) land in its counts and history; a new SYN on the
 * same 4-tuple hands it out and starts a new one, even with the same ISN.
 * Time is capture time, not wall time.
 *
 * Ownership: tulpen_flows_new() allocates the table, tulpen_flows_free()
 * releases it and every connection still in it (without calling the
 * callback). A struct tulpen_flow passed to the callback is owned by the
 * table and valid only during the call: copy what you keep.
 */
#ifndef TULPEN_PCAP_FLOWS_H
#define TULPEN_PCAP_FLOWS_H

#include <stddef.h>
#include <stdint.h>

#include "tulpen/pcap_decode.h"
#include "tulpen/sock.h"
#include "tulpen/state.h"

/* The two sides: [0] the originator (client), [1] the responder. */
#define TULPEN_ORIG 0
#define TULPEN_RESP 1

/* How many tunnel parents are kept per connection (tunnel and more). */
#define TULPEN_CONN_MAX_TUNNELS 64
/* How many state transitions are kept per endpoint. */
#define TULPEN_CONN_MAX_TRANS 12

/* One state transition of one endpoint. */
struct tulpen_conn_trans {
	int64_t ts_ns;	  /* when this endpoint entered the state */
	uint64_t pkt;	  /* capture packet number that caused it */
	uint32_t file;	  /* index of the capture file (0 = first) */
	uint8_t state;	  /* enum tulpen_tcp_state */
	uint8_t inferred; /* guessed (connection picked up mid-stream) */
};

struct tulpen_conn_side {
	struct tulpen_endpoint ep;
	uint64_t pkts;		/* segments sent by this side */
	uint64_t bytes;		/* TCP payload bytes sent */
	uint64_t ip_bytes;	/* IP bytes sent (headers included) */
	uint32_t syns;		/* segments with SYN */
	uint32_t fins;		/* segments with FIN */
	uint32_t rsts;		/* segments with RST */
	uint32_t syn_rexmits;	/* SYNs (or SYN-ACKs) sent again */
	uint32_t fin_rexmits;	/* FINs sent again */
	uint32_t data_rexmits;	/* payload segments sent again */
	uint32_t bad_checksums; /* segments with a bad TCP checksum */
	uint64_t seq_bytes;	/* payload bytes from sequence numbers (Zeek) */
	uint8_t state;		/* final enum tulpen_tcp_state */
	uint8_t ntrans;		/* entries used in trans[] */
	uint8_t trans_lost;	/* transitions not kept (trans[] full) */
	struct tulpen_conn_trans trans[TULPEN_CONN_MAX_TRANS];
};

/* Why a connection was handed out. */
enum tulpen_conn_end {
	TULPEN_END_CLOSED = 0, /* finished: both sides closed, or reset */
	TULPEN_END_IDLE,       /* idle longer than the idle timeout */
	TULPEN_END_REUSED,     /* a new SYN reused the 4-tuple */
	TULPEN_END_EOF,	       /* end of the capture, still open */
	TULPEN_END_ATTEMPT,    /* compat_zeek: SYN unanswered 5 s */
	TULPEN_END_EVICTED,    /* handed out early: the memory budget */
};

struct tulpen_flow {
	uint64_t id;		  /* 1, 2, ... in order of first packet */
	uint8_t family;		  /* AF_INET or AF_INET6 */
	uint8_t end;		  /* enum tulpen_conn_end */
	uint8_t midstream : 1;	  /* first packet seen was not the SYN */
	uint8_t opener_known : 1; /* side[ORIG] sent the SYN */
	uint8_t flipped : 1;	  /* roles decided by heuristic (Zeek's ^) */
	uint8_t simultaneous_open : 1;
	uint8_t simultaneous_close : 1;
	int8_t first_closer;   /* side that sent the first FIN, or -1 */
	int8_t first_reset;    /* side that sent the first RST, or -1 */
	int64_t start_ns;      /* first packet */
	int64_t last_ns;       /* last packet */
	int64_t rtt_ns;	       /* SYN to the ACK ending the handshake */
	int64_t syn_rtt_ns;    /* SYN to SYN-ACK (-1 when not seen) */
	int64_t zeek_last_ns;  /* Zeek's last time (not after both closed) */
	uint64_t missed_bytes; /* content gaps: data acked, never seen */
	struct tulpen_tunnel tunnel; /* its tunnel parent (type NONE: none) */
	/*
	 * The other tunnels its segments came through (each segment's
	 * innermost, each tunnel once, in the order first seen; at most
	 * TULPEN_CONN_MAX_TUNNELS in all): Zeek's tunnel_parents are the
	 * uids of all of them. Valid during the callback only.
	 */
	const struct tulpen_tunnel *more_tunnels;
	uint32_t n_more_tunnels;
	struct tulpen_conn_side side[2];
	char conn_state[8]; /* Zeek's conn_state: "SF", "REJ", ... */
	/*
	 * Zeek's history, every letter (Zeek does not cut it): valid during
	 * the callback only (copy it to keep it).
	 */
	const char *history;
};

/* Return 0 to go on, or a negative errno to stop (passed back). */
typedef int (*tulpen_conn_fn)(void *priv, const struct tulpen_flow *c);

struct tulpen_flows_opts {
	int64_t idle_timeout_ns; /* 0: default 300 s; <0: never */
	/* Finished connections kept; 0: default (2 s, Zeek 5 s); <0: none */
	int64_t linger_ns;
	/*
	 * Zeek's record splitting: a connection ends when Zeek's close is
	 * complete (then lingers tcp_close_delay), an unanswered SYN ends
	 * tcp_attempt_delay (5 s) after it, roles of a connection picked up
	 * mid-stream are guessed from Zeek's likely server ports, and
	 * segments with a bad checksum are dropped (unless
	 * ignore_checksums) as Zeek does.
	 */
	int compat_zeek;
	int ignore_checksums;
	/*
	 * The memory budget of the table in bytes (0: default,
	 * TULPEN_FLOWS_MAX_MEMORY). Before it is passed, finished
	 * connections still lingering and then the least recently active
	 * ones are handed out early, with end TULPEN_END_EVICTED and what
	 * is known of them; a later segment of one starts a new record.
	 */
	uint64_t max_memory;
};

#define TULPEN_FLOWS_MAX_MEMORY (512ull << 20)

struct tulpen_flows_stats {
	uint64_t segments;	/* segments processed */
	uint64_t conns;		/* connections seen */
	uint64_t emitted;	/* handed to the callback */
	uint64_t live_max;	/* most connections held at once */
	uint64_t live;		/* connections held now */
	uint64_t out_of_order;	/* segments older than the latest seen */
	uint64_t late;		/* segments of connections already finished */
	uint64_t tombstones;	/* finished connections lingering now */
	uint64_t bad_checksums; /* segments with a bad TCP checksum */
	uint64_t too_deep; /* compat_zeek: inside more tunnels than Zeek's 4 */
	uint64_t evicted;  /* handed out early for the memory budget */
	uint64_t memory;   /* bytes the table holds now (estimate) */
	uint64_t memory_max; /* the most it held */
};

struct tulpen_flows;

int tulpen_flows_new(const struct tulpen_flows_opts *opts, tulpen_conn_fn cb,
		     void *priv, struct tulpen_flows **out);

/*
 * tulpen_flows_segment - account one segment from capture file @file.
 * Connections that finish, time out or are evicted are handed to the
 * callback from here. When an allocation fails, connections are evicted
 * to make room and it is tried again; -ENOMEM only when nothing is left to
 * evict (the segment is then not counted; the table stays consistent and
 * tulpen_flows_finish() still hands out everything held). Returns 0,
 * -ENOMEM, or the callback's negative errno.
 */
int tulpen_flows_segment(struct tulpen_flows *f, const struct tulpen_pkt *p,
			 uint32_t file);

/*
 * tulpen_flows_finish - the input has ended: hand out every connection
 * still held, in order of first packet (in list order when there is no
 * memory to sort them). Returns 0 or the callback's errno.
 */
int tulpen_flows_finish(struct tulpen_flows *f);

void tulpen_flows_stats(const struct tulpen_flows *f,
			struct tulpen_flows_stats *st);

void tulpen_flows_free(struct tulpen_flows *f);

/* Text forms, static strings. */
const char *tulpen_conn_end_name(enum tulpen_conn_end e);

/*
 * tulpen_zeek_conn_state_parse - check that @word is one of Zeek's 13
 * conn_state codes (case-insensitive); stores the canonical spelling's index
 * (0..12) in *@idx. Returns 0 or -EINVAL.
 */
int tulpen_zeek_conn_state_parse(const char *word, int *idx);
/* The canonical spelling of code @idx, or NULL. */
const char *tulpen_zeek_conn_state_name(int idx);
#define TULPEN_ZEEK_NSTATES 13

#endif /* TULPEN_PCAP_FLOWS_H */
