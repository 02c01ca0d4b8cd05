// SPDX-License-Identifier: MIT
/*
 * filter_fmt.c - a parsed filter as a canonical, fully parenthesised
 * string: what the parser understood (unit tests, the fuzz target).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "filter/filter_internal.h"

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
		      o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void host(struct out *o, const struct flt_host *h)
{
	unsigned int i;

	if (h->family == AF_UNIX) {
		put(o, "unix \"%s\"", h->pattern);
		return;
	}
	for (i = 0; i < h->naddr; i++) {
		const struct flt_addr *a = &h->addrs[i];
		char txt[INET6_ADDRSTRLEN];

		if (a->family == AF_INET || a->family == AF_INET6) {
			inet_ntop(a->family, a->addr, txt, sizeof(txt));
			put(o, "%s%s/%u", i ? "," : "", txt, a->bitlen);
		} else {
			put(o, "%s*/%u", i ? "," : "", a->bitlen);
		}
	}
	if (h->port == -1)
		put(o, " port *");
	else
		put(o, " port %d", h->port);
}

static void node(struct out *o, const struct flt_node *n)
{
	static const char *const cmp[] = {
		[FLT_S_GE] = "sport >=",
		[FLT_S_LE] = "sport <=",
		[FLT_D_GE] = "dport >=",
		[FLT_D_LE] = "dport <=",
	};

	switch (n->kind) {
	case FLT_AND:
	case FLT_OR:
		put(o, "(");
		node(o, n->a);
		put(o, n->kind == FLT_AND ? " and " : " or ");
		node(o, n->b);
		put(o, ")");
		break;
	case FLT_NOT:
		put(o, "not ");
		node(o, n->a);
		break;
	case FLT_SCOND:
	case FLT_DCOND:
		put(o, "%s[", n->kind == FLT_SCOND ? "src" : "dst");
		host(o, &n->host);
		put(o, "]");
		break;
	case FLT_S_GE:
	case FLT_S_LE:
	case FLT_D_GE:
	case FLT_D_LE:
		put(o, "%s %d", cmp[n->kind], n->host.port);
		break;
	case FLT_DEV:
		put(o, "dev %u", n->ifindex);
		break;
	case FLT_MARK:
		put(o, "fwmark 0x%x/0x%x", n->mark, n->mask);
		break;
	case FLT_CGROUP:
		put(o, "cgroup %llu", (unsigned long long)n->cgroup_id);
		break;
	case FLT_AUTO:
		put(o, "autobound");
		break;
	case FLT_STATE:
		put(o, "state 0x%x", n->mask);
		break;
	case FLT_NETNS:
	case FLT_CONTAINER:
		put(o, "%s \"%s\"",
		    n->kind == FLT_NETNS ? "netns" : "container", n->word);
		break;
	case FLT_SIDE:
		put(o, "%s[", n->side ? "server" : "client");
		node(o, n->a);
		put(o, "]");
		break;
	case FLT_CONNSTATE:
		put(o, "conn-state 0x%x", n->mask);
		break;
	case FLT_MIDSTREAM:
		put(o, "midstream");
		break;
	case FLT_RESET:
		put(o, "reset");
		break;
	case FLT_CLOSED:
		put(o, "closed");
		break;
	}
}

int tulpen_filter_format(const struct tulpen_filter *f, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	if (!f) {
		put(&o, "all");
		return (int)o.len;
	}
	node(&o, f->root);
	return o.len > 0x7fffffff ? -EOVERFLOW : (int)o.len;
}
