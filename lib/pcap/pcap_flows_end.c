// SPDX-License-Identifier: MIT
/*
 * pcap_flows_end.c - the connection table's life: made, its statistics,
 * the end of the input (every connection still held handed out in order
 * of first packet, the compact half-open ones merged in), freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcap/pcap_table.h"

static int cmp_id(const void *a, const void *b)
{
	const struct flow *x = *(struct flow *const *)a;
	const struct flow *y = *(struct flow *const *)b;

	return x->c.id < y->c.id ? -1 : x->c.id > y->c.id;
}

/* The compact records, oldest (smallest id) first, up to id @below. */
static int finish_compact(struct tulpen_flows *f, uint64_t below)
{
	struct flow_key k;
	struct syn_rec r;
	uint64_t h;
	int ret = 0;

	while (!ret && ho_oldest(&f->ho, &k, &h, &r) && r.id < below)
		ret = pcap_emit_compact(f, &k, &r, TULPEN_END_EOF);
	return ret;
}

int tulpen_flows_finish(struct tulpen_flows *f)
{
	struct flow **all;
	struct entry *e;
	size_t n = 0, i;
	int ret = 0, l;

	f->finishing = 1;
	if (!tulpen_hash_count(&f->table))
		return finish_compact(f, UINT64_MAX);
	all = malloc(tulpen_hash_count(&f->table) * sizeof(*all));
	if (!all) {
		/* no memory to sort: in list order, but every one of them */
		while (!ret && (e = f->lists[FL_DONE].head))
			ret = pcap_flow_emit(f, (struct flow *)e,
					     TULPEN_END_CLOSED);
		for (l = 0; l < 3 && !ret; l++)
			while (!ret && (e = f->lists[l].head))
				ret = pcap_flow_emit(f, (struct flow *)e,
						     TULPEN_END_EOF);
		return ret ? ret : finish_compact(f, UINT64_MAX);
	}
	for (l = 0; l < 3; l++)
		for (e = f->lists[l].head; e; e = e->next)
			all[n++] = (struct flow *)e;
	qsort(all, n, sizeof(*all), cmp_id);
	/* in id order: the full ones and the compact ones merged */
	for (i = 0; i < n && !ret; i++) {
		ret = finish_compact(f, all[i]->c.id);
		if (!ret)
			ret = pcap_flow_emit(f, all[i],
					     all[i]->e.list == FL_DONE
						     ? TULPEN_END_CLOSED
						     : TULPEN_END_EOF);
	}
	if (!ret)
		ret = finish_compact(f, UINT64_MAX);
	free(all);
	return ret;
}

int tulpen_flows_new(const struct tulpen_flows_opts *opts, tulpen_conn_fn cb,
		     void *priv, struct tulpen_flows **out)
{
	struct tulpen_flows *f;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	if (TULPEN_HASH_INIT(&f->table, struct flow_key, struct flow *, NULL) ||
	    tulpen_hash_reserve(&f->table, 1024)) {
		tulpen_hash_fini(&f->table);
		free(f);
		return -ENOMEM;
	}
	f->cb = cb;
	f->priv = priv;
	f->compat = opts && opts->compat_zeek;
	f->ignore_checksums = opts && opts->ignore_checksums;
	f->idle_ns = 300 * NS_PER_S;
	f->linger_ns = f->compat ? ZEEK_CLOSE_NS : 2 * NS_PER_S;
	if (opts && opts->idle_timeout_ns)
		f->idle_ns = opts->idle_timeout_ns;
	if (opts && opts->linger_ns)
		f->linger_ns = opts->linger_ns;
	f->max_memory = opts && opts->max_memory ? opts->max_memory
						 : TULPEN_FLOWS_MAX_MEMORY;
	f->use_ho = !f->compat;
	/* huge-page chunks for budgets that hold far more than one */
	pcap_arena_init(&f->arena, sizeof(struct flow),
			f->max_memory >= (256ull << 20) ? f->max_memory / 16
							: 0);
	if (ho_init(&f->ho)) {
		tulpen_hash_fini(&f->table);
		free(f);
		return -ENOMEM;
	}
	f->now = INT64_MIN;
	*out = f;
	return 0;
}

void tulpen_flows_stats(const struct tulpen_flows *f,
			struct tulpen_flows_stats *st)
{
	*st = f->st;
	st->memory = pcap_flows_memory(f);
}

void tulpen_flows_free(struct tulpen_flows *f)
{
	struct entry *e, *next;
	struct flow *fl, *nfl;
	int l;

	if (!f)
		return;
	for (l = 0; l < 3; l++)
		for (e = f->lists[l].head; e; e = next) {
			next = e->next;
			fl = (struct flow *)e;
			free(fl->tent[0]);
			free(fl->tent[1]);
			pcap_zeek_fini(&fl->zeek);
			pcap_ep_fini(fl);
			if (!fl->e.arena)
				free(fl);
		}
	for (fl = f->free_list; fl; fl = nfl) {
		nfl = (struct flow *)fl->e.next;
		free(fl);
	}
	while (f->free_tent) {
		struct tentative *tn = f->free_tent;

		f->free_tent = tn->next;
		free(tn);
	}
	pcap_arena_fini(&f->arena);
	ho_fini(&f->ho);
	tulpen_hash_fini(&f->table);
	free(f);
}

const char *tulpen_conn_end_name(enum tulpen_conn_end e)
{
	switch (e) {
	case TULPEN_END_CLOSED:
		return "closed";
	case TULPEN_END_IDLE:
		return "idle";
	case TULPEN_END_REUSED:
		return "reused";
	case TULPEN_END_EOF:
		return "open";
	case TULPEN_END_ATTEMPT:
		return "attempt";
	case TULPEN_END_EVICTED:
		return "evicted";
	}
	return "unknown";
}
