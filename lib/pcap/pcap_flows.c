// SPDX-License-Identifier: MIT
/*
 * pcap_flows.c - the connection table: TCP segments in, connections out.
 *
 * Connections live in the library's hash table (core/hash.h) keyed by the
 * normalised 4-tuple, and on one of three lists in time order: "active"
 * (least recently used first, for the idle timeout), "done" (finished, in
 * order of finishing, for the linger time) and "attempt" (--compat zeek:
 * unanswered SYNs, for tcp_attempt_delay). Each segment moves its
 * connection to the tail of its list, so expiring is a look at the heads:
 * O(1) per segment, memory bounded by the connections held at one time.
 *
 * Per-endpoint RFC 9293 states are worked out in pcap_endpoint.c; Zeek's
 * own, coarser endpoint model (for conn_state and history) in pcap_zeek.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "pcap/pcap_time.h"
#include "core/hash.h"
#include "pcap/pcap_table.h"

/* -------------------------------------------------------------------- */
/* Lists                                                                */

static void list_del(struct flow_list *l, struct entry *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
}

static void list_add_tail(struct flow_list *l, struct entry *f)
{
	f->next = NULL;
	f->prev = l->tail;
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
}

/* -------------------------------------------------------------------- */
/* Hash table                                                           */

_Static_assert(sizeof(struct flow_key) == 40, "flow_key is 5 words");

/*
 * Build the normalised key (the lower address/port first) and its hash;
 * *@a_is_src says whether key.a is the source. The hash is computed from
 * the words as they are loaded, not from the key just stored (reading back
 * a struct written in pieces stalls on store forwarding). Addresses are 16
 * bytes with IPv4 in the first 4 and zeros after (tulpen/pcap_decode.h).
 */
static uint64_t make_key(const struct tulpen_pkt *p, struct flow_key *k,
			 int *a_is_src)
{
	const struct tulpen_endpoint *x = &p->src, *y = &p->dst;
	uint64_t w[4], last, h;
	int c;

	/* Any fixed order will do: compare as words. */
	memcpy(&w[0], x->addr.raw, 16);
	memcpy(&w[2], y->addr.raw, 16);
	if (w[0] != w[2])
		c = w[0] < w[2] ? -1 : 1;
	else if (w[1] != w[3])
		c = w[1] < w[3] ? -1 : 1;
	else
		c = (int)x->port - (int)y->port;
	*a_is_src = c <= 0;
	if (c > 0) {
		uint64_t t0 = w[0], t1 = w[1];

		x = &p->dst;
		y = &p->src;
		w[0] = w[2];
		w[1] = w[3];
		w[2] = t0;
		w[3] = t1;
	}
	memcpy(k->a, x->addr.raw, 16);
	memcpy(k->b, y->addr.raw, 16);
	k->pa = x->port;
	k->pb = y->port;
	k->family = p->family;
	last = (uint64_t)x->port | (uint64_t)y->port << 16 |
	       (uint64_t)p->family << 32;
	/* Independent multiplies (no dependency chain), then avalanche. */
	h = (w[0] * 0x9e3779b97f4a7c15ull) ^ (w[1] * 0xc2b2ae3d27d4eb4full) ^
	    (w[2] * 0x165667b19e3779f9ull) ^ (w[3] * 0xd6e8feb86659fd93ull) ^
	    ((last + 0x27d4eb2f165667c5ull) * 0xff51afd7ed558ccdull);
	h ^= h >> 32;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

static inline int key_eq(const struct flow_key *x, const struct flow_key *y)
{
	uint64_t a[5], b[5];

	memcpy(a, x, sizeof(a));
	memcpy(b, y, sizeof(b));
	return !((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		 (a[4] ^ b[4]));
}

static struct flow *table_find(const struct tulpen_flows *f,
			       const struct flow_key *k, uint64_t h)
{
	struct flow **v = tulpen_hash_find_h(&f->table, k, h);

	return v ? *v : NULL;
}

static int table_add(struct tulpen_flows *f, struct flow *fl)
{
	struct flow **v;
	int ret;

	ret = tulpen_hash_insert_h(&f->table, &fl->e.key, fl->e.hash,
				   (void **)&v);
	if (ret < 0)
		return ret;
	*v = fl;
	return 0;
}

static void table_del(struct tulpen_flows *f, struct entry *e)
{
	tulpen_hash_remove_h(&f->table, &e->key, e->hash);
}

/* -------------------------------------------------------------------- */
/* Connections                                                          */

static void zero_range(void *from, void *to)
{
	memset(from, 0, (size_t)((char *)to - (char *)from));
}

/*
 * What the table holds: connections, spares, tentatives, and the slots
 * they take in the hash tables (at the table's 3/4 load: the slot arrays
 * grow by doubling and do not shrink, so they may hold up to twice that
 * for a while after a burst).
 */
uint64_t pcap_flows_memory(const struct tulpen_flows *f)
{
	/* malloc()ed connections: the arena's are in its chunks */
	uint64_t full = f->st.live - ho_count(&f->ho);

	full = full > f->arena.in_use ? full - f->arena.in_use : 0;
	return (full + f->nfree) * (uint64_t)sizeof(struct flow) +
	       pcap_arena_bytes(&f->arena) +
	       f->tent_allocs * (uint64_t)sizeof(struct tentative) +
	       (uint64_t)f->table.used * f->table.stride * 4 / 3 +
	       ho_memory(&f->ho);
}

static struct flow *flow_alloc(struct tulpen_flows *f)
{
	uint64_t used = pcap_flows_memory(f);
	struct flow *fl;
	int arena = 0;

	fl = pcap_arena_get(&f->arena,
			    used < f->max_memory ? f->max_memory - used : 0);
	if (fl) {
		arena = 1;
	} else if ((fl = f->free_list)) {
		f->free_list = (struct flow *)fl->e.next;
		f->nfree--;
	} else {
		fl = malloc(sizeof(*fl));
		if (!fl)
			return NULL;
	}
	/* Everything but the transition arrays (ntrans says what is used). */
	zero_range(fl, fl->c.side[0].trans);
	zero_range(&fl->c.side[0].trans[TULPEN_CONN_MAX_TRANS],
		   fl->c.side[1].trans);
	zero_range(&fl->c.side[1].trans[TULPEN_CONN_MAX_TRANS], fl + 1);
	fl->e.arena = (uint8_t)arena;
	return fl;
}

static void flow_release(struct tulpen_flows *f, struct flow *fl)
{
	pcap_ep_tent_put(fl, fl->tent[0]);
	pcap_ep_tent_put(fl, fl->tent[1]);
	fl->tent[0] = fl->tent[1] = NULL;
	if (fl->zeek.hist_heap)
		pcap_zeek_fini(&fl->zeek);
	if (fl->c.more_tunnels)
		pcap_ep_fini(fl);
	if (fl->e.arena)
		pcap_arena_put(&f->arena, fl);
	else if (f->nfree < f->st.live_max &&
		 pcap_flows_memory(f) + sizeof(*fl) <= f->max_memory) {
		fl->e.next = (struct entry *)f->free_list;
		f->free_list = fl;
		f->nfree++;
	} else {
		free(fl);
	}
}

/* Move @fl to the tail of list @to. */
static void flow_move(struct tulpen_flows *f, struct flow *fl, int to)
{
	list_del(&f->lists[fl->e.list], &fl->e);
	fl->e.list = (uint8_t)to;
	list_add_tail(&f->lists[to], &fl->e);
}

/* Fill in the derived fields, hand the connection out, free it. */
/*
 * The public record's fields derived from Zeek's view. Worked out when a
 * connection finishes, while its record is in the cache, and again when
 * it is handed out only if a segment came since (a lingering record has
 * gone cold by then).
 */
static void flow_derive(struct flow *fl)
{
	const char *cs;
	int i;

	for (i = 0; i < 2; i++)
		fl->c.side[i].seq_bytes = pcap_zeek_size(&fl->zeek, i);
	cs = pcap_zeek_conn_state(&fl->zeek, fl->c.side[0].seq_bytes,
				  fl->c.side[1].seq_bytes);
	memcpy(fl->c.conn_state, cs, strlen(cs) + 1);
	fl->c.history = pcap_zeek_history(&fl->zeek);
	fl->c.zeek_last_ns = fl->zeek.last_ns;
	fl->c.missed_bytes = fl->zeek.missed_bytes;
	fl->e.derived = 1;
}

int pcap_flow_emit(struct tulpen_flows *f, struct flow *fl, int end)
{
	int ret;

	if (fl->e.list == FL_DONE)
		f->st.tombstones--;
	list_del(&f->lists[fl->e.list], &fl->e);
	if (f->last_e == &fl->e)
		f->last_e = NULL;
	table_del(f, &fl->e);
	fl->c.end = (uint8_t)end;
	if (!fl->e.derived)
		flow_derive(fl);
	f->st.emitted++;
	f->st.live--;
	ret = f->cb ? f->cb(f->priv, &fl->c) : 0;
	flow_release(f, fl);
	return ret;
}

static struct flow *list_head(struct tulpen_flows *f, int l)
{
	return (struct flow *)f->lists[l].head;
}

/* A segment's normalised key, its hash, and whether key.a is its source. */
static int process(struct tulpen_flows *f, const struct tulpen_pkt *p,
		   uint32_t file, const struct seg_key *sk);

/*
 * The compact record @r of @k becomes a full connection: its SYN replayed
 * through the ordinary path, with the id it was given. The record is gone
 * after (a copy is passed). The connection in *@out when @out is not NULL.
 */
static int promote(struct tulpen_flows *f, const struct flow_key *k,
		   const struct syn_rec *r, struct flow **out)
{
	struct tulpen_pkt sp;
	struct seg_key sk;
	int ret;

	ho_to_pkt(k, r, &sp);
	sk.k = *k;
	sk.h = r->hash;
	sk.a_is_src = r->a_is_src;
	ho_remove(&f->ho, k, r->hash);
	f->st.live--;
	f->st.conns--; /* counted again as the SYN is replayed */
	f->replay_id = r->id;
	f->promoting = 1;
	ret = process(f, &sp, r->file, &sk);
	f->promoting = 0;
	f->replay_id = 0;
	if (ret == -ENOMEM &&
	    !ho_add(&f->ho, k, r->hash, &sp, r->a_is_src, r->id, r->file)) {
		f->st.live++; /* held as it was */
		f->st.conns++;
	}
	if (!ret && out) {
		*out = table_find(f, k, r->hash);
		if (!*out)
			ret = -ENOMEM;
	}
	return ret;
}

/* Hand out a compact record as a connection, for @end. */
int pcap_emit_compact(struct tulpen_flows *f, const struct flow_key *k,
		      const struct syn_rec *r, int end)
{
	struct flow *fl;
	int ret = promote(f, k, r, &fl);

	if (ret)
		return ret;
	if (end == TULPEN_END_EVICTED)
		f->st.evicted++;
	return pcap_flow_emit(f, fl, end);
}

/*
 * Hand out one connection to make room: a finished one still lingering
 * first (it only waits for late segments), then an unanswered attempt,
 * then the least recently active; with @full_only no compact record (its
 * hand-out needs a full one: out of memory while a compact record is
 * promoted, evicting the next would recurse once per record). 0, 1 when
 * there was none, or the callback's errno.
 */
static int evict_one(struct tulpen_flows *f, int full_only)
{
	struct flow *fl = list_head(f, FL_DONE);

	if (fl)
		return pcap_flow_emit(f, fl, TULPEN_END_CLOSED);
	fl = list_head(f, FL_ATTEMPT);
	if (!fl) {
		struct flow_key k;
		struct syn_rec r;
		uint64_t h;

		fl = list_head(f, FL_ACTIVE);
		/* the least recently active of both kinds */
		if (!full_only && ho_oldest(&f->ho, &k, &h, &r) &&
		    (!fl || r.ts_ns <= fl->c.last_ns))
			return pcap_emit_compact(f, &k, &r, TULPEN_END_EVICTED);
	}
	if (!fl)
		return 1;
	f->st.evicted++;
	return pcap_flow_emit(f, fl, TULPEN_END_EVICTED);
}

/*
 * Give back the spares first, then evict until @need more bytes fit (a
 * connection, or a compact record).
 */
static int make_room(struct tulpen_flows *f, uint64_t need)
{
	int ret;

	if (f->promoting)
		return 0; /* one over for a moment: it goes out at once */
	while (pcap_flows_memory(f) + need > f->max_memory) {
		if (f->free_list) {
			struct flow *fl = f->free_list;

			f->free_list = (struct flow *)fl->e.next;
			f->nfree--;
			free(fl);
			continue;
		}
		ret = evict_one(f, 0);
		if (ret)
			return ret > 0 ? 0 : ret; /* nothing left: try anyway */
	}
	return 0;
}

/* @fl is finished: it lingers, or goes out now. */
static int flow_finished(struct tulpen_flows *f, struct flow *fl, int64_t ts)
{
	if (fl->e.list == FL_DONE)
		return 0;
	if (f->linger_ns <= 0)
		return pcap_flow_emit(f, fl, TULPEN_END_CLOSED);
	flow_move(f, fl, FL_DONE);
	fl->e.due_ns = ts;
	f->st.tombstones++;
	flow_derive(fl);
	return 0;
}

static struct flow *flow_new(struct tulpen_flows *f, const struct flow_key *k,
			     uint64_t h, const struct tulpen_pkt *p,
			     int a_is_src)
{
	struct flow *fl = flow_alloc(f);
	unsigned int syn_ack;
	int flip = 0;

	if (!fl)
		return NULL;
	fl->e.key = *k;
	fl->e.hash = h;
	fl->memo = f->fsm_memo;
	fl->tent_free = &f->free_tent;
	fl->tent_allocs = &f->tent_allocs;
	if (table_add(f, fl)) {
		flow_release(f, fl);
		return NULL;
	}
	fl->e.list = FL_ACTIVE;
	list_add_tail(&f->lists[FL_ACTIVE], &fl->e);
	f->st.conns++;
	if (++f->st.live > f->st.live_max)
		f->st.live_max = f->st.live;
	if (pcap_flows_memory(f) > f->st.memory_max)
		f->st.memory_max = pcap_flows_memory(f);

	/*
	 * Roles: the sender of the first packet is the originator, unless
	 * that packet is a SYN-ACK or comes from a port below 1024 to one
	 * above; with compat_zeek, as Zeek guesses from its likely server
	 * ports.
	 */
	syn_ack = p->flags & (TULPEN_TH_SYN | TULPEN_TH_ACK);
	if (f->compat)
		flip = pcap_zeek_flip(p);
	else if (syn_ack == (TULPEN_TH_SYN | TULPEN_TH_ACK))
		flip = 1;
	else if (!(p->flags & TULPEN_TH_SYN) && p->src.port < 1024 &&
		 p->dst.port >= 1024)
		flip = 1;
	fl->c.flipped = (uint8_t)flip;
	fl->e.orig_is_a = (uint8_t)(flip ? !a_is_src : a_is_src);
	fl->c.id = f->replay_id ? f->replay_id : ++f->next_id;
	fl->c.family = p->family;
	fl->c.side[TULPEN_ORIG].ep = flip ? p->dst : p->src;
	fl->c.side[TULPEN_RESP].ep = flip ? p->src : p->dst;
	fl->c.start_ns = p->ts_ns;
	fl->c.last_ns = p->ts_ns;
	fl->c.rtt_ns = -1;
	fl->c.syn_rtt_ns = -1;
	fl->c.first_closer = -1;
	fl->c.first_reset = -1;
	pcap_zeek_init(&fl->zeek, flip, f->compat, p->ts_ns);
	return fl;
}

/* Zeek's Tunnel::max_depth. */
#define ZEEK_TUNNEL_MAX_DEPTH 4

/*
 * A lingering connection has gone cold by the time it is due (the linger
 * time is thousands of connections later): fetch the next one into the
 * cache while this one is written out, as it is due next. Only the lines
 * that handing it out reads (the header, each side's counters and first
 * transitions, conn_state, history, the tentatives and Zeek's view): more
 * prefetches than the core has line fill buffers stall.
 */
#define PREFETCH_TRANS 6

static inline void prefetch_range(const void *from, const void *to)
{
	const char *p = (const char *)((uintptr_t)from & ~(uintptr_t)63);

	for (; p < (const char *)to; p += 64)
		__builtin_prefetch(p);
}

static inline void prefetch_flow(const struct flow *fl)
{
	const struct tulpen_conn_side *s;

	if (!fl)
		return;
	s = fl->c.side;
	prefetch_range(fl, &s[0].trans[PREFETCH_TRANS]);
	prefetch_range(&s[1], &s[1].trans[PREFETCH_TRANS]);
	prefetch_range(fl->c.conn_state, &fl->sp[0]);
	prefetch_range(&fl->tent[0], &fl->tent[2]);
	prefetch_range(&fl->zeek, fl + 1);
}

/* Hand out what is due at f->now (due when now - start >= the delay). */
static int expire(struct tulpen_flows *f)
{
	struct flow *fl;
	int ret;

	while ((fl = list_head(f, FL_DONE)) &&
	       pcap_span(f->now, fl->e.due_ns) >= f->linger_ns) {
		prefetch_flow((const struct flow *)fl->e.next);
		if ((ret = pcap_flow_emit(f, fl, TULPEN_END_CLOSED)))
			return ret;
	}
	while ((fl = list_head(f, FL_ATTEMPT)) &&
	       pcap_span(f->now, fl->e.due_ns) >= ZEEK_ATTEMPT_NS)
		if ((ret = pcap_flow_emit(f, fl, TULPEN_END_ATTEMPT)))
			return ret;
	if (f->idle_ns < 0)
		return 0;
	while ((fl = list_head(f, FL_ACTIVE)) &&
	       pcap_span(f->now, fl->c.last_ns) >= f->idle_ns)
		if ((ret = pcap_flow_emit(f, fl, TULPEN_END_IDLE)))
			return ret;
	for (;;) {
		struct flow_key k;
		struct syn_rec r;
		uint64_t h;

		/* most segments: the head is not due (or gone), no look-up */
		if (pcap_span(f->now, ho_head_ts(&f->ho)) < f->idle_ns)
			return 0;
		if (!ho_oldest(&f->ho, &k, &h, &r) ||
		    pcap_span(f->now, r.ts_ns) < f->idle_ns)
			return 0;
		if ((ret = pcap_emit_compact(f, &k, &r, TULPEN_END_IDLE)))
			return ret;
	}
}

/* A SYN (no ACK) that starts a connection of its own. */
static int new_syn(const struct tulpen_pkt *p, int has_isn, uint32_t isn)
{
	return (p->flags & (TULPEN_TH_SYN | TULPEN_TH_ACK | TULPEN_TH_RST)) ==
		       TULPEN_TH_SYN &&
	       (!has_isn || isn != p->seq);
}

/*
 * Does @p, from @side of the connection @fl, start a new connection on the
 * same 4-tuple? With compat_zeek as Zeek's IsReuse() decides; else a SYN
 * after the connection finished (even with the same ISN: a client that
 * retries a refused connection), or a SYN from the originator with a new
 * ISN.
 */
static int reuses(const struct tulpen_flows *f, const struct flow *fl, int side,
		  const struct tulpen_pkt *p)
{
	if (f->compat && pcap_zeek_expired(&fl->zeek, fl->c.start_ns, f->now))
		return 2; /* Zeek's ExpireTimer removed it */
	if (f->compat)
		return pcap_zeek_reuse(&fl->zeek, p);
	if (fl->e.list == FL_DONE)
		return new_syn(p, 0, 0);
	return side == TULPEN_ORIG &&
	       new_syn(p, fl->sp[side].has_isn, fl->sp[side].isn) &&
	       !pcap_zeek_acked_syn(&fl->zeek, p);
}

/*
 * Find the connection of @p, or make one. NULL: out of memory. @sk: @p's
 * key.
 */
static struct flow *lookup(struct tulpen_flows *f, const struct tulpen_pkt *p,
			   uint32_t file, const struct seg_key *sk, int *sidep,
			   int *ret)
{
	struct flow *fl;
	int side;

	if (f->last_e && f->last_e->hash == sk->h &&
	    key_eq(&f->last_e->key, &sk->k))
		fl = (struct flow *)f->last_e;
	else
		fl = table_find(f, &sk->k, sk->h);
	if (fl) {
		int r;

		side = sk->a_is_src == fl->e.orig_is_a ? TULPEN_ORIG
						       : TULPEN_RESP;
		r = reuses(f, fl, side, p);
		if (!r) {
			*sidep = side;
			return fl;
		}
		*ret = pcap_flow_emit(f, fl,
				      fl->e.list == FL_DONE ? TULPEN_END_CLOSED
				      : r == 2		    ? TULPEN_END_IDLE
					       : TULPEN_END_REUSED);
		if (*ret)
			return NULL;
	}
	*ret = make_room(f, sizeof(struct flow) + 2 * f->table.stride);
	if (*ret)
		return NULL;
	fl = flow_new(f, &sk->k, sk->h, p, sk->a_is_src);
	/* out of memory before the budget: make room, and once more */
	while (!fl) {
		*ret = f->finishing ? 1 : evict_one(f, f->promoting);
		if (*ret) {
			*ret = *ret > 0 ? -ENOMEM : *ret;
			return NULL;
		}
		fl = flow_new(f, &sk->k, sk->h, p, sk->a_is_src);
	}
	side = fl->c.flipped ? TULPEN_RESP : TULPEN_ORIG;
	pcap_ep_initial(fl, side, p, file);
	*sidep = side;
	return fl;
}

/* After a segment: which list the connection belongs on now. */
static int relist(struct tulpen_flows *f, struct flow *fl, int closing,
		  int64_t ts)
{
	if (fl->e.list == FL_DONE) {
		/*
		 * Zeek's ConnectionClosed() for the other side: it cancels
		 * the timers and removes the connection tcp_close_delay
		 * after its last time, now.
		 */
		if (f->compat && (closing & PCAP_ZEEK_CLOSING)) {
			flow_move(f, fl, FL_DONE);
			fl->e.due_ns = fl->zeek.last_ns;
		}
		return 0;
	}
	if (f->compat) {
		if (closing)
			return flow_finished(f, fl, fl->zeek.last_ns);
		if (pcap_zeek_attempt(&fl->zeek)) {
			if (fl->e.list != FL_ATTEMPT) {
				flow_move(f, fl, FL_ATTEMPT);
				fl->e.due_ns = ts;
			}
			return 0;
		}
	} else if (pcap_ep_done(fl->c.side[0].state) &&
		   pcap_ep_done(fl->c.side[1].state)) {
		return flow_finished(f, fl, ts);
	}
	if (fl->e.list != FL_ACTIVE || f->lists[FL_ACTIVE].tail != &fl->e)
		flow_move(f, fl, FL_ACTIVE);
	return 0;
}

/* Hold @p, a connection's first segment and a pure SYN, compact. */
static int hold(struct tulpen_flows *f, const struct flow_key *k, uint64_t h,
		const struct tulpen_pkt *p, int a_is_src, uint32_t file)
{
	int ret = make_room(f, ho_entry_size(&f->ho));

	if (ret)
		return ret;
	ret = ho_add(&f->ho, k, h, p, a_is_src, f->next_id + 1, file);
	if (ret)
		return ret;
	f->next_id++;
	f->st.conns++;
	if (++f->st.live > f->st.live_max)
		f->st.live_max = f->st.live;
	if (pcap_flows_memory(f) > f->st.memory_max)
		f->st.memory_max = pcap_flows_memory(f);
	return 0;
}

/* One segment, its key made. */
static int segment(struct tulpen_flows *f, const struct tulpen_pkt *p,
		   uint32_t file, const struct seg_key *sk)
{
	int ret;

	f->st.segments++;
	if (p->ts_ns > f->now)
		f->now = p->ts_ns;
	else if (p->ts_ns < f->now)
		f->st.out_of_order++;
	if ((ret = expire(f)))
		return ret;
	/*
	 * Zeek decodes Tunnel::max_depth (4) tunnels around a packet and
	 * drops what is inside a fifth.
	 */
	if (f->compat && p->tunnel.depth > ZEEK_TUNNEL_MAX_DEPTH) {
		f->st.too_deep++;
		return 0;
	}
	/* Zeek drops a packet whose IPv4 header checksum is wrong. */
	if (p->ip_csum_bad && f->compat && !f->ignore_checksums) {
		f->st.bad_checksums++;
		return 0;
	}
	if (f->use_ho) {
		/* a first SYN is held compact until a second segment */
		struct syn_rec *r = ho_find(&f->ho, &sk->k, sk->h);

		if (r) {
			struct syn_rec copy = *r;

			ret = promote(f, &sk->k, &copy, NULL);
			if (ret)
				return ret;
		} else if (ho_can_hold(p) && !table_find(f, &sk->k, sk->h)) {
			ret = hold(f, &sk->k, sk->h, p, sk->a_is_src, file);
			if (ret != -ENOMEM)
				return ret; /* else: the ordinary way */
		}
	}
	return process(f, p, file, sk);
}

int tulpen_flows_segment(struct tulpen_flows *f, const struct tulpen_pkt *p,
			 uint32_t file)
{
	struct seg_key sk;

	sk.h = make_key(p, &sk.k, &sk.a_is_src);
	return segment(f, p, file, &sk);
}

void pcap_seg_key(const struct tulpen_pkt *p, struct seg_key *sk)
{
	sk->h = make_key(p, &sk->k, &sk->a_is_src);
}

int pcap_flows_segment_key(struct tulpen_flows *f, const struct tulpen_pkt *p,
			   uint32_t file, const struct seg_key *sk)
{
	return segment(f, p, file, sk);
}

/* One segment through its connection (after the time and the expiry). */
static int process(struct tulpen_flows *f, const struct tulpen_pkt *p,
		   uint32_t file, const struct seg_key *sk)
{
	struct side_priv before;
	struct flow *fl;
	unsigned int cond;
	int side, ret = 0, closing, late;

	fl = lookup(f, p, file, sk, &side, &ret);
	if (!fl)
		return ret;
	f->last_e = &fl->e;
	fl->e.derived = 0; /* worked out again when handed out */
	if (p->tunnel.type)
		pcap_ep_tunnel(fl, &p->tunnel);
	if (p->csum == TULPEN_CSUM_BAD && !f->ignore_checksums) {
		f->st.bad_checksums++;
		fl->c.side[side].bad_checksums++;
		pcap_zeek_bad_checksum(&fl->zeek, side);
		if (f->compat)
			return 0; /* Zeek drops it */
	}
	late = fl->e.list == FL_DONE;
	if (late)
		f->st.late++;
	else if (p->ts_ns > fl->c.last_ns)
		fl->c.last_ns = p->ts_ns;

	before = fl->sp[side];
	cond = pcap_ep_recv_cond(&before, &fl->sp[!side], p);
	pcap_ep_account(fl, side, p, &before);
	closing = pcap_zeek_segment(&fl->zeek, side, p);
	pcap_ep_track_seq(&fl->sp[side], p);
	pcap_ep_segment(fl, side, p, cond, file);
	if (closing & PCAP_ZEEK_FLIPPED)
		pcap_ep_flip(fl, p);
	return relist(f, fl, closing & (PCAP_ZEEK_CLOSING | PCAP_ZEEK_RESET),
		      p->ts_ns);
}
