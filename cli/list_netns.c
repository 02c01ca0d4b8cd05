// SPDX-License-Identifier: MIT
/*
 * list_netns.c - the lister over network namespaces: -N NAME|PATH|PID,
 * --all-netns (-N all), and the --netns/--container labels.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/filter.h"
#include "tulpen/summary.h"
#include "list_netns.h"

int list_netns_setup(struct tulpen_ctx *ctx, const struct list_opts *o,
		     struct list_netns *ln)
{
	struct tulpen_netns_scan_opts so = { .containers = 1 };
	int ret;

	memset(ln, 0, sizeof(*ln));
	/* netns and container terms need the walk's labels, even at home */
	if (!o->netns && !o->all_netns && !o->show_netns &&
	    !o->show_container && !tulpen_filter_needs_labels(o->q.filter))
		return 0;
	ln->active = 1;
	ret = tulpen_netns_scan(ctx, &so, &ln->set);
	if (ret)
		return ret;
	if (o->netns)
		return tulpen_netns_resolve(ctx, ln->set, o->netns, &ln->only);
	if (!o->all_netns) /* labels only: the caller's own namespace */
		ln->only = tulpen_netns_at(ln->set, 0);
	return 0;
}

void list_netns_fini(struct list_netns *ln)
{
	tulpen_netns_set_free(ln->set);
	ln->set = NULL;
}

/* A namespace that could not be listed: said once, on stderr. */
static void report(const struct tulpen_netns *ns, int err, const char *msg,
		   void *data)
{
	if (ns->name)
		fprintf(stderr,
			"tulpen: network namespace %s (inode %llu): "
			"%s\n",
			ns->name, (unsigned long long)ns->inode, msg);
	else
		fprintf(stderr, "tulpen: network namespace %llu: %s\n",
			(unsigned long long)ns->inode, msg);
}

struct adapter {
	tulpen_sock_cb cb;
	void *data;
};

static int each(const struct tulpen_netns *ns, const struct tulpen_sock *s,
		void *data)
{
	struct adapter *a = data;

	return a->cb(s, a->data);
}

static void walk_opts(const struct list_opts *o, const struct list_netns *ln,
		      const struct tulpen_query *q,
		      struct tulpen_netns_walk_opts *wo)
{
	memset(wo, 0, sizeof(*wo));
	wo->q = q;
	wo->source = o->source;
	wo->owners = ln->owners;
	wo->only = ln->only;
}

int list_netns_collect(struct tulpen_ctx *ctx, const struct list_opts *o,
		       struct list_netns *ln, tulpen_sock_cb cb, void *data)
{
	struct tulpen_netns_walk_opts wo;
	struct adapter a = { cb, data };
	size_t failed = 0;
	int ret;

	if (!ln->active)
		return tulpen_collect(ctx, &o->q, cb, data);
	walk_opts(o, ln, &o->q, &wo);
	ret = tulpen_netns_walk(ctx, ln->set, &wo, each, report, &a, &failed);
	ln->nfailed += failed;
	return ret;
}

static int count(const struct tulpen_sock *s, void *data)
{
	tulpen_summary_add(data, s);
	return 0;
}

int list_netns_summary(struct tulpen_ctx *ctx, const struct list_opts *o,
		       struct list_netns *ln, struct tulpen_buf *b)
{
	int json = o->kind == TULPEN_FMT_JSON || o->kind == TULPEN_FMT_NDJSON;
	struct tulpen_netns_walk_opts wo;
	struct tulpen_netns_summary *v = NULL;
	struct tulpen_summary sum;
	size_t n = 0, failed = 0;
	int ret;

	if (!o->all_netns) {
		memset(&sum, 0, sizeof(sum));
		sum.protos = o->q.protos;
		ret = list_netns_collect(ctx, o, ln, count, &sum);
		return ret ? ret : tulpen_summary_format(&sum, json, b);
	}
	walk_opts(o, ln, &o->q, &wo);
	ret = tulpen_netns_summary_collect(ctx, ln->set, &wo, report, NULL, &v,
					   &n, &failed);
	ln->nfailed += failed;
	if (!ret)
		ret = tulpen_netns_summary_format(v, n, json, b);
	free(v);
	return ret;
}
