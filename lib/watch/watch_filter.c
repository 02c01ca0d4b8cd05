// SPDX-License-Identifier: MIT
/*
 * watch_filter.c - which records a watch session prints: family, ports
 * (either side, local, peer) and states (into or out of for a transition,
 * through for a lifetime; excluded states never).
 */
#include <errno.h>
#include <string.h>

#include "tulpen/filter.h"
#include "tulpen/netns.h"
#include "watch/watch_internal.h"

int tulpen_watch_filter_add_port(struct tulpen_watch_filter *f, uint16_t port,
				 enum tulpen_watch_port_side side)
{
	if (f->nports >= TULPEN_WATCH_MAX_PORTS)
		return -E2BIG;
	f->ports[f->nports] = port;
	f->side[f->nports++] = (uint8_t)side;
	return 0;
}

static int port_match(const struct tulpen_watch_filter *f,
		      const struct tulpen_endpoint *l,
		      const struct tulpen_endpoint *p)
{
	unsigned i;

	if (!f->nports)
		return 1;
	for (i = 0; i < f->nports; i++) {
		if (f->side[i] != TULPEN_WATCH_PORT_PEER &&
		    l->port == f->ports[i])
			return 1;
		if (f->side[i] != TULPEN_WATCH_PORT_LOCAL &&
		    p->port == f->ports[i])
			return 1;
	}
	return 0;
}

static int state_match(const struct tulpen_watch_filter *f, uint32_t seen)
{
	if (f->states && !(seen & f->states))
		return 0;
	if (f->exclude && (seen & f->exclude))
		return 0;
	return 1;
}

/*
 * The expression over a TCP socket with these endpoints, in @state, in
 * namespace @netns, held by @pid (0: unknown), labelled by @lb (or not).
 */
static int expr_match(const struct tulpen_watch_filter *f,
		      struct tulpen_netns_labels *lb, int family,
		      const struct tulpen_endpoint *l,
		      const struct tulpen_endpoint *p, int state,
		      uint32_t netns, int32_t pid)
{
	struct tulpen_sock s;

	if (!f->expr)
		return 1;
	memset(&s, 0, sizeof(s));
	s.proto = TULPEN_P_TCP;
	s.family = (uint8_t)family;
	s.state = (uint8_t)state;
	s.local = *l;
	s.peer = *p;
	s.netns_ino = netns;
	if (lb && tulpen_filter_needs_labels(f->expr))
		tulpen_netns_labels_get(lb, netns, pid, &s.netns_name,
					&s.container);
	return tulpen_filter_match(f->expr, &s);
}

int watch_event_match(const struct tulpen_watch_filter *f,
		      struct tulpen_netns_labels *lb,
		      const struct tulpen_watch_event *ev)
{
	if (f->family && ev->family != f->family)
		return 0;
	if (!expr_match(f, lb, ev->family, &ev->local, &ev->peer, ev->newstate,
			ev->netns, ev->has_owner ? ev->pid : 0))
		return 0;
	if (!port_match(f, &ev->local, &ev->peer))
		return 0;
	if (ev->type == TULPEN_WEV_OWNER)
		return state_match(f, TULPEN_SF(ev->newstate));
	return state_match(f,
			   TULPEN_SF(ev->oldstate) | TULPEN_SF(ev->newstate));
}

int watch_conn_match(const struct tulpen_watch_filter *f,
		     struct tulpen_netns_labels *lb,
		     const struct tulpen_watch_conn *cn)
{
	uint32_t seen = 0;
	unsigned i;

	if (f->family && cn->family != f->family)
		return 0;
	if (!port_match(f, &cn->local, &cn->peer))
		return 0;
	if (!expr_match(f, lb, cn->family, &cn->local, &cn->peer,
			cn->nsteps ? cn->steps[cn->nsteps - 1].state : 0,
			cn->netns, cn->has_owner ? cn->pid : 0))
		return 0;
	for (i = 0; i < cn->nsteps; i++)
		seen |= TULPEN_SF(cn->steps[i].state);
	return state_match(f, seen);
}
