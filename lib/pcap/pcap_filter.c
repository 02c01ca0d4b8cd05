// SPDX-License-Identifier: MIT
/*
 * pcap_filter.c - a captured connection as the filter language sees it
 * (tulpen/filter.h): the sockets its two ends would have, and what only a
 * capture knows. The language, its parser and its evaluator are the filter
 * room's; there is no second one here.
 */
#include <string.h>

#include "tulpen/pcap_report.h"

void tulpen_flow_filter_view(const struct tulpen_flow *c,
			     struct tulpen_filter_conn *v)
{
	int i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < 2; i++) {
		struct tulpen_sock *s = &v->side[i];

		s->proto = TULPEN_P_TCP;
		s->family = c->family;
		s->state = c->side[i].state;
		s->local = c->side[i].ep;
		s->peer = c->side[!i].ep;
		s->v6only = 2;
	}
	v->conn_state = c->conn_state[0] ? c->conn_state : NULL;
	v->midstream = c->midstream;
	v->reset = c->first_reset >= 0;
	v->closed = c->end == TULPEN_END_CLOSED;
}

int tulpen_flow_filter_match(const struct tulpen_filter *f,
			     const struct tulpen_flow *c)
{
	struct tulpen_filter_conn v;

	if (!f)
		return 1;
	tulpen_flow_filter_view(c, &v);
	return tulpen_filter_match_conn(f, &v);
}
