// SPDX-License-Identifier: MIT
/*
 * pcap_summary.c - totals over reconstructed connections: final state
 * pairs, Zeek conn_state codes and the top talkers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/hash.h"
#include "tulpen/fmt.h"
#include "tulpen/pcap_report.h"
#include "tulpen/state.h"

/* A talker: an address (the key) and what it did (the value). */
struct talker_key {
	uint8_t addr[16];
	uint8_t family;
};

struct talker {
	uint64_t sent, recv, conns;
	struct talker_key key; /* a copy, for sorting and printing */
};

struct tulpen_pcap_summary {
	uint64_t conns;
	uint64_t pairs[TULPEN_TCP_MAX_STATES][TULPEN_TCP_MAX_STATES];
	uint64_t zeek[TULPEN_ZEEK_NSTATES];
	uint64_t midstream, reset, pkts, bytes;
	struct tulpen_hash talkers; /* struct talker_key -> struct talker */
	size_t capacity;	    /* talkers kept at most */
	uint64_t dropped;	    /* talkers dropped to stay within it */
	struct tulpen_pcap_input in;
};

/*
 * Memory follows the connections, not the addresses: at most this many
 * talkers are kept (about 10 MiB). When a new one does not fit, the less
 * active half is dropped (lossy counting): the top talkers stay right
 * unless they are many and close, and a note says the list is approximate.
 */
#define TALKERS_MAX (1u << 16)

void tulpen_pcap_summary_set_input(struct tulpen_pcap_summary *s,
				   const struct tulpen_pcap_input *in)
{
	s->in = *in;
}

int tulpen_pcap_summary_new(struct tulpen_pcap_summary **out)
{
	struct tulpen_pcap_summary *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	if (TULPEN_HASH_INIT(&s->talkers, struct talker_key, struct talker,
			     NULL)) {
		free(s);
		return -ENOMEM;
	}
	s->capacity = TALKERS_MAX;
	*out = s;
	return 0;
}

size_t tulpen_pcap_summary_capacity(const struct tulpen_pcap_summary *s)
{
	return s->capacity;
}

uint64_t tulpen_pcap_summary_dropped(const struct tulpen_pcap_summary *s)
{
	return s->dropped;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Drop the less active half of the talkers: the others are copied out,
 * the table cleared and they go back in (removing one by one would shift
 * long runs of slots each time). 0 or -ENOMEM.
 */
static int prune(struct tulpen_pcap_summary *s)
{
	size_t n = tulpen_hash_count(&s->talkers), i = 0, k = 0, pos = 0;
	size_t j, ties, above, need;
	uint64_t *tot = malloc(n * sizeof(*tot)), median;
	struct talker *keep = malloc((n / 2 + 1) * sizeof(*keep)), *v;
	const struct talker *t;

	if (!tot || !keep) {
		free(tot);
		free(keep);
		return -ENOMEM;
	}
	while ((t = tulpen_hash_next(&s->talkers, &pos, NULL)))
		tot[i++] = t->sent + t->recv;
	qsort(tot, i, sizeof(*tot), cmp_u64);
	median = tot[i / 2];
	/* above the median, then ties spread over the whole table, up to
	 * half (ties from one end only would go back in as one long run) */
	for (i = 0; i < n && tot[i] < median; i++)
		;
	ties = 0;
	for (j = i; j < n && tot[j] == median; j++)
		ties++;
	above = n - i - ties;
	need = above < n / 2 ? n / 2 - above : 0;
	pos = 0;
	j = 0;
	while ((t = tulpen_hash_next(&s->talkers, &pos, NULL))) {
		uint64_t b = t->sent + t->recv;

		if (b > median && k < n / 2) {
			keep[k++] = *t;
		} else if (b == median && ties) {
			if ((j + 1) * need / ties > j * need / ties &&
			    k < n / 2)
				keep[k++] = *t;
			j++;
		}
	}
	tulpen_hash_clear(&s->talkers);
	for (i = 0; i < k; i++)
		if (tulpen_hash_insert(&s->talkers, &keep[i].key,
				       (void **)&v) >= 0)
			*v = keep[i]; /* the memory is there: no growth */
	s->dropped += n - k;
	free(tot);
	free(keep);
	return 0;
}

static int talker_add(struct tulpen_pcap_summary *s, int family,
		      const uint8_t *a, uint64_t sent, uint64_t recv)
{
	struct talker_key k;
	struct talker *t;
	int ret;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, a, 16);
	k.family = (uint8_t)family;
	if (tulpen_hash_count(&s->talkers) >= s->capacity &&
	    !tulpen_hash_find(&s->talkers, &k) && prune(s))
		return -ENOMEM;
	ret = tulpen_hash_insert(&s->talkers, &k, (void **)&t);
	if (ret < 0)
		return ret;
	if (ret)
		t->key = k;
	t->sent += sent;
	t->recv += recv;
	t->conns++;
	return 0;
}

int tulpen_pcap_summary_add(struct tulpen_pcap_summary *s,
			    const struct tulpen_flow *c)
{
	int o = c->side[0].state, r = c->side[1].state, z;

	if (o >= TULPEN_TCP_MAX_STATES)
		o = 0;
	if (r >= TULPEN_TCP_MAX_STATES)
		r = 0;
	s->conns++;
	s->pairs[o][r]++;
	if (!tulpen_zeek_conn_state_parse(c->conn_state, &z))
		s->zeek[z]++;
	s->midstream += c->midstream;
	s->reset += c->first_reset >= 0;
	s->pkts += c->side[0].pkts + c->side[1].pkts;
	s->bytes += c->side[0].bytes + c->side[1].bytes;
	if (talker_add(s, c->family, c->side[0].ep.addr.raw, c->side[0].bytes,
		       c->side[1].bytes))
		return -ENOMEM;
	/* A connection to oneself counts once. */
	if (memcmp(c->side[0].ep.addr.raw, c->side[1].ep.addr.raw, 16) &&
	    talker_add(s, c->family, c->side[1].ep.addr.raw, c->side[1].bytes,
		       c->side[0].bytes))
		return -ENOMEM;
	return 0;
}

static int cmp_talker(const void *a, const void *b)
{
	const struct talker *x = *(struct talker *const *)a;
	const struct talker *y = *(struct talker *const *)b;
	uint64_t tx = x->sent + x->recv, ty = y->sent + y->recv;

	if (tx != ty)
		return tx > ty ? -1 : 1;
	if (x->conns != y->conns)
		return x->conns > y->conns ? -1 : 1;
	return memcmp(x->key.addr, y->key.addr, 16);
}

static const char *sname(int st)
{
	return tulpen_state_name(st, TULPEN_STATE_RFC);
}

static void put_addr(char *addr, const struct talker *t)
{
	tulpen_fmt_addr(addr, 64,
			t->key.family == AF_INET6 ? AF_INET6 : AF_INET,
			t->key.addr, 0);
}

static void json_counts(const struct tulpen_pcap_summary *s,
			struct tulpen_buf *b)
{
	tulpen_buf_printf(
		b,
		"{\"frames\":%llu,\"tcp_segments\":%llu,"
		"\"other_frames\":%llu,\"malformed\":%llu,"
		"\"late_segments\":%llu,\"out_of_order_segments\":%llu,",
		(unsigned long long)s->in.frames, (unsigned long long)s->in.tcp,
		(unsigned long long)s->in.other, (unsigned long long)s->in.bad,
		(unsigned long long)s->in.late,
		(unsigned long long)s->in.out_of_order);
	tulpen_buf_printf(
		b,
		"\"connections\":%llu,\"packets\":%llu,"
		"\"bytes\":%llu,\"midstream\":%llu,"
		"\"reset\":%llu,",
		(unsigned long long)s->conns, (unsigned long long)s->pkts,
		(unsigned long long)s->bytes, (unsigned long long)s->midstream,
		(unsigned long long)s->reset);
}

static void write_json(const struct tulpen_pcap_summary *s,
		       struct tulpen_buf *b, struct talker **list, size_t n)
{
	char addr[64];
	int o, r, first = 1;
	size_t i;

	json_counts(s, b);
	tulpen_buf_puts(b, "\"final_states\":[");
	for (o = 0; o < TULPEN_TCP_MAX_STATES; o++)
		for (r = 0; r < TULPEN_TCP_MAX_STATES; r++) {
			if (!s->pairs[o][r])
				continue;
			tulpen_buf_printf(b,
					  "%s{\"client\":\"%s\","
					  "\"server\":\"%s\",\"count\":%llu}",
					  first ? "" : ",", sname(o), sname(r),
					  (unsigned long long)s->pairs[o][r]);
			first = 0;
		}
	tulpen_buf_puts(b, "],\"conn_states\":{");
	first = 1;
	for (o = 0; o < TULPEN_ZEEK_NSTATES; o++) {
		if (!s->zeek[o])
			continue;
		tulpen_buf_printf(b, "%s\"%s\":%llu", first ? "" : ",",
				  tulpen_zeek_conn_state_name(o),
				  (unsigned long long)s->zeek[o]);
		first = 0;
	}
	tulpen_buf_puts(b, "},\"top_talkers\":[");
	for (i = 0; i < n; i++) {
		put_addr(addr, list[i]);
		tulpen_buf_printf(b,
				  "%s{\"address\":\"%s\",\"bytes_sent\":%llu,"
				  "\"bytes_received\":%llu,"
				  "\"connections\":%llu}",
				  i ? "," : "", addr,
				  (unsigned long long)list[i]->sent,
				  (unsigned long long)list[i]->recv,
				  (unsigned long long)list[i]->conns);
	}
	tulpen_buf_puts(b, "]}\n");
}

static void write_text(const struct tulpen_pcap_summary *s,
		       struct tulpen_buf *b, struct talker **list, size_t n)
{
	char addr[64];
	size_t i;
	int o, r;

	tulpen_buf_printf(
		b,
		"Read: %llu frames, %llu TCP segments, %llu other "
		"frames, %llu malformed (skipped), %llu late segments "
		"of finished connections, %llu out of time order\n",
		(unsigned long long)s->in.frames, (unsigned long long)s->in.tcp,
		(unsigned long long)s->in.other, (unsigned long long)s->in.bad,
		(unsigned long long)s->in.late,
		(unsigned long long)s->in.out_of_order);
	tulpen_buf_printf(
		b,
		"Connections: %llu (%llu picked up mid-stream, %llu "
		"with a reset), %llu packets, %llu payload bytes\n\n",
		(unsigned long long)s->conns, (unsigned long long)s->midstream,
		(unsigned long long)s->reset, (unsigned long long)s->pkts,
		(unsigned long long)s->bytes);
	tulpen_buf_printf(b, "%-14s %-14s %10s\n", "Client-State",
			  "Server-State", "Conns");
	for (o = 0; o < TULPEN_TCP_MAX_STATES; o++)
		for (r = 0; r < TULPEN_TCP_MAX_STATES; r++)
			if (s->pairs[o][r])
				tulpen_buf_printf(
					b, "%-14s %-14s %10llu\n", sname(o),
					sname(r),
					(unsigned long long)s->pairs[o][r]);
	tulpen_buf_printf(b, "\n%-14s %10s\n", "Zeek-State", "Conns");
	for (o = 0; o < TULPEN_ZEEK_NSTATES; o++)
		if (s->zeek[o])
			tulpen_buf_printf(b, "%-14s %10llu\n",
					  tulpen_zeek_conn_state_name(o),
					  (unsigned long long)s->zeek[o]);
	tulpen_buf_printf(b, "\n%-40s %14s %14s %10s\n", "Top talkers",
			  "Bytes-Sent", "Bytes-Recv", "Conns");
	for (i = 0; i < n; i++) {
		put_addr(addr, list[i]);
		tulpen_buf_printf(b, "%-40s %14llu %14llu %10llu\n", addr,
				  (unsigned long long)list[i]->sent,
				  (unsigned long long)list[i]->recv,
				  (unsigned long long)list[i]->conns);
	}
}

int tulpen_pcap_summary_write(const struct tulpen_pcap_summary *s,
			      struct tulpen_buf *b, int json, size_t top)
{
	size_t cnt = tulpen_hash_count(&s->talkers), n = 0, pos = 0;
	struct talker **list, *t;

	list = malloc((cnt ? cnt : 1) * sizeof(*list));
	if (!list)
		return -ENOMEM;
	while ((t = tulpen_hash_next(&s->talkers, &pos, NULL)))
		list[n++] = t;
	qsort(list, n, sizeof(*list), cmp_talker);
	if (n > top)
		n = top;
	if (json)
		write_json(s, b, list, n);
	else
		write_text(s, b, list, n);
	free(list);
	return b->err;
}

void tulpen_pcap_summary_free(struct tulpen_pcap_summary *s)
{
	if (!s)
		return;
	tulpen_hash_fini(&s->talkers);
	free(s);
}
