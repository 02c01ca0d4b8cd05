// SPDX-License-Identifier: MIT
/*
 * nswalk.c - --all-netns: every network namespace's sockets in one
 * collection (lib/netns walks them in parallel), counted for the host's
 * totals and per namespace; the namespaces' labels (name or inode, and
 * container) stay by the walk's index until the next walk, for the
 * listener and CLOSE-WAIT series picked after it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/collect.h"
#include "tulpen/netns.h"
#include "metrics/metrics_internal.h"

void tm_nswalk_fini(struct tm_nswalk *w)
{
	free(w->ns);
	free(w->sorted);
	memset(w, 0, sizeof(*w));
}

static int ns_sock_cb(const struct tulpen_netns *ns,
		      const struct tulpen_sock *s, void *data)
{
	struct tm_nswalk *w = data;
	struct tm_netns *a = &w->ns[ns->index];
	int state = s->state;

	if (s->proto < TULPEN_P_MAX)
		a->sockets[s->proto][tm_fam_slot(s->family)]++;
	if (s->proto == TULPEN_P_TCP) {
		if (state == TULPEN_TCP_NEW_SYN_RECV)
			state = TULPEN_TCP_SYN_RECV;
		if (state < TULPEN_TCP_MAX_STATES)
			a->states[state]++;
		a->total++;
	}
	return tm_acc_add(w->acc, s, (uint32_t)ns->index);
}

static void ns_fail_cb(const struct tulpen_netns *ns, int err, const char *msg,
		       void *data)
{
	struct tm_nswalk *w = data;

	w->failed++;
}

static void label(struct tm_nslabel *l, const struct tulpen_netns *ns)
{
	if (ns->name)
		snprintf(l->netns, sizeof(l->netns), "%s", ns->name);
	else
		snprintf(l->netns, sizeof(l->netns), "%llu",
			 (unsigned long long)ns->inode);
	tulpen_container_label(l->container, sizeof(l->container),
			       &ns->container);
}

int tm_nswalk_collect(struct tm_nswalk *w, struct tulpen_ctx *ctx,
		      const struct tulpen_query *q, struct tm_acc *a)
{
	struct tulpen_netns_scan_opts so = { .containers = 1 };
	struct tulpen_netns_walk_opts wo = {
		.q = q,
		.source = tulpen_ctx_source(ctx),
	};
	struct tulpen_netns_set *set = NULL;
	struct tm_netns *p;
	size_t n, i;
	int ret;

	w->n = 0;
	w->failed = 0;
	w->acc = a;
	tm_acc_reset(a);
	ret = tulpen_netns_scan(ctx, &so, &set);
	if (ret)
		return ret;
	n = tulpen_netns_count(set);
	if (n > w->cap) {
		p = realloc(w->ns, n * sizeof(*p));
		if (!p) {
			tulpen_netns_set_free(set);
			return -ENOMEM;
		}
		w->ns = p;
		w->cap = n;
	}
	memset(w->ns, 0, n * sizeof(*w->ns));
	for (i = 0; i < n; i++)
		label(&w->ns[i].ns, tulpen_netns_at(set, i));
	w->n = n;
	ret = tulpen_netns_walk(ctx, set, &wo, ns_sock_cb, ns_fail_cb, w, NULL);
	tulpen_netns_set_free(set);
	return ret;
}

const struct tm_nslabel *tm_nswalk_label(const struct tm_nswalk *w,
					 uint32_t index)
{
	static const struct tm_nslabel none = { "", "" };

	return index < w->n ? &w->ns[index].ns : &none;
}

static int cmp_netns(const void *a, const void *b)
{
	const struct tm_netns *x = a, *y = b;

	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(x->ns.netns, y->ns.netns);
}

/* Whether namespace @n has any socket the walk counts. */
static int has_sockets(const struct tm_netns *n)
{
	int p, f;

	for (p = 0; p < TULPEN_P_MAX; p++)
		for (f = 0; f < TM_FAMS; f++)
			if (n->sockets[p][f])
				return 1;
	return 0;
}

int tm_nswalk_pick(struct tm_nswalk *w, unsigned int top_k, struct tm_snap *s)
{
	struct tm_netns *o = &s->other_netns, *p;
	size_t i, used = 0;
	int st, f;

	if (w->n > w->sorted_cap) {
		p = realloc(w->sorted, w->n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		w->sorted = p;
		w->sorted_cap = w->n;
	}
	for (i = 0; i < w->n; i++)
		if (has_sockets(&w->ns[i]))
			w->sorted[used++] = w->ns[i];
	qsort(w->sorted, used, sizeof(*w->sorted), cmp_netns);
	s->ntop_netns = used < top_k ? used : top_k;
	memcpy(s->top_netns, w->sorted, s->ntop_netns * sizeof(*w->sorted));
	for (i = s->ntop_netns; i < used; i++) {
		s->has_other_netns = 1;
		for (st = 0; st < TULPEN_TCP_MAX_STATES; st++)
			o->states[st] += w->sorted[i].states[st];
		for (st = 0; st < TULPEN_P_MAX; st++)
			for (f = 0; f < TM_FAMS; f++)
				o->sockets[st][f] +=
					w->sorted[i].sockets[st][f];
		o->total += w->sorted[i].total;
	}
	s->netns_walked = w->n;
	s->netns_failed = w->failed;
	return 0;
}
