// SPDX-License-Identifier: MIT
/*
 * netns_summary.c - tulpen -s --all-netns: socket counts per network
 * namespace, the namespace with the most sockets first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/fmt.h"
#include "tulpen/netns.h"

struct sum_run {
	struct tulpen_netns_summary *v; /* by set index */
	char *done;			/* walked completely */
	tulpen_netns_err_cb ecb;
	void *data;
};

static int count(const struct tulpen_netns *ns, const struct tulpen_sock *s,
		 void *data)
{
	struct sum_run *r = data;

	tulpen_summary_add(&r->v[ns->index].sum, s);
	return 0;
}

static void done(const struct tulpen_netns *ns, void *data)
{
	struct sum_run *r = data;

	r->done[ns->index] = 1;
}

static void failed(const struct tulpen_netns *ns, int err, const char *msg,
		   void *data)
{
	struct sum_run *r = data;

	if (r->ecb)
		r->ecb(ns, err, msg, r->data);
}

static int by_total(const void *a, const void *b)
{
	const struct tulpen_netns_summary *x = a, *y = b;

	if (x->sum.total != y->sum.total)
		return x->sum.total < y->sum.total ? 1 : -1;
	return (x->ns->index > y->ns->index) - (x->ns->index < y->ns->index);
}

int tulpen_netns_summary_collect(struct tulpen_ctx *ctx,
				 const struct tulpen_netns_set *set,
				 const struct tulpen_netns_walk_opts *opts,
				 tulpen_netns_err_cb ecb, void *data,
				 struct tulpen_netns_summary **out, size_t *n,
				 size_t *nfailed)
{
	size_t total = tulpen_netns_count(set), i, k = 0;
	struct tulpen_netns_walk_opts o = *opts;
	struct sum_run r = { .ecb = ecb, .data = data };
	int ret;

	r.v = calloc(total ? total : 1, sizeof(*r.v));
	r.done = calloc(total ? total : 1, 1);
	if (!r.v || !r.done) {
		ret = -ENOMEM;
		goto err;
	}
	for (i = 0; i < total; i++) {
		r.v[i].ns = tulpen_netns_at(set, i);
		r.v[i].sum.protos = opts->q->protos;
	}
	o.done = done;
	ret = tulpen_netns_walk(ctx, set, &o, count, failed, &r, nfailed);
	if (ret)
		goto err;
	for (i = 0; i < total; i++)
		if (r.done[i])
			r.v[k++] = r.v[i];
	qsort(r.v, k, sizeof(*r.v), by_total);
	free(r.done);
	*out = r.v;
	*n = k;
	return 0;
err:
	free(r.v);
	free(r.done);
	return ret;
}

/* The TCP states in the order a connection meets them, as in -s. */
static const int states[] = {
	TULPEN_TCP_LISTEN,	TULPEN_TCP_SYN_SENT,  TULPEN_TCP_SYN_RECV,
	TULPEN_TCP_ESTABLISHED, TULPEN_TCP_FIN_WAIT1, TULPEN_TCP_FIN_WAIT2,
	TULPEN_TCP_CLOSE_WAIT,	TULPEN_TCP_CLOSING,   TULPEN_TCP_LAST_ACK,
	TULPEN_TCP_TIME_WAIT,	TULPEN_TCP_CLOSE,
};

#define NSTATES (sizeof(states) / sizeof(states[0]))
#define NCOLS (4 + NSTATES) /* Total, TCP, UDP, UNIX, the states */

static uint64_t proto_total(const struct tulpen_summary *s, int p)
{
	return s->sockets[p][TULPEN_SUM_INET] +
	       s->sockets[p][TULPEN_SUM_INET6] + s->sockets[p][TULPEN_SUM_UNIX];
}

static void row_values(const struct tulpen_summary *s, uint64_t *v)
{
	size_t i;

	v[0] = s->total;
	v[1] = proto_total(s, TULPEN_P_TCP);
	v[2] = proto_total(s, TULPEN_P_UDP);
	v[3] = proto_total(s, TULPEN_P_UNIX);
	for (i = 0; i < NSTATES; i++)
		v[4 + i] = s->tcp_states[TULPEN_SUM_INET][states[i]] +
			   s->tcp_states[TULPEN_SUM_INET6][states[i]];
}

static size_t digits(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static int format_text(const struct tulpen_netns_summary *v, size_t n,
		       struct tulpen_buf *b)
{
	const char *title[NCOLS] = { "Total", "TCP", "UDP", "UNIX" };
	size_t w[NCOLS], wname = 5, wino = 5, wcont = 9, i, c;
	uint64_t val[NCOLS];
	char label[160], cont[TULPEN_ESC_MAX(160)], name[TULPEN_ESC_MAX(256)];

	for (i = 0; i < NSTATES; i++)
		title[4 + i] = tulpen_state_name(states[i], TULPEN_STATE_RFC);
	for (c = 0; c < NCOLS; c++)
		w[c] = strlen(title[c]);
	for (i = 0; i < n; i++) {
		const struct tulpen_netns *ns = v[i].ns;
		size_t l = tulpen_escape(name, sizeof(name),
					 ns->name ? ns->name : "-");

		wname = l > wname ? l : wname;
		wino = digits(ns->inode) > wino ? digits(ns->inode) : wino;
		tulpen_container_label(label, sizeof(label), &ns->container);
		l = tulpen_escape(cont, sizeof(cont), label);
		wcont = l > wcont ? l : wcont;
		row_values(&v[i].sum, val);
		for (c = 0; c < NCOLS; c++)
			if (digits(val[c]) > w[c])
				w[c] = digits(val[c]);
	}
	tulpen_buf_printf(b, "%-*s %*s %-*s", (int)wname, "Netns", (int)wino,
			  "Inode", (int)wcont, "Container");
	for (c = 0; c < NCOLS; c++)
		tulpen_buf_printf(b, " %*s", (int)w[c], title[c]);
	tulpen_buf_putc(b, '\n');
	for (i = 0; i < n; i++) {
		const struct tulpen_netns *ns = v[i].ns;

		tulpen_container_label(label, sizeof(label), &ns->container);
		tulpen_escape(cont, sizeof(cont), label);
		tulpen_escape(name, sizeof(name), ns->name ? ns->name : "-");
		tulpen_buf_printf(b, "%-*s %*llu %-*s", (int)wname, name,
				  (int)wino, (unsigned long long)ns->inode,
				  (int)wcont, cont);
		row_values(&v[i].sum, val);
		for (c = 0; c < NCOLS; c++)
			tulpen_buf_printf(b, " %*llu", (int)w[c],
					  (unsigned long long)val[c]);
		tulpen_buf_putc(b, '\n');
	}
	return b->err;
}

static int format_json(const struct tulpen_netns_summary *v, size_t n,
		       struct tulpen_buf *b)
{
	struct tulpen_buf one;
	size_t i;
	int ret = tulpen_buf_init(&one, 0, NULL, NULL);

	if (ret)
		return ret;
	tulpen_buf_puts(b, "{\"namespaces\":[");
	for (i = 0; i < n && !ret; i++) {
		const struct tulpen_netns *ns = v[i].ns;

		tulpen_buf_printf(b,
				  "%s\n{\"netns\":{\"inode\":%llu,"
				  "\"name\":",
				  i ? "," : "", (unsigned long long)ns->inode);
		if (ns->name)
			tulpen_buf_json_str(b, ns->name);
		else
			tulpen_buf_puts(b, "null");
		tulpen_buf_puts(b, "},\"container\":");
		tulpen_container_json(&ns->container, b);
		tulpen_buf_puts(b, ",\"summary\":");
		one.len = 0;
		ret = tulpen_summary_format(&v[i].sum, 1, &one);
		if (!ret && one.len && one.data[one.len - 1] == '\n')
			one.len--;
		if (!ret)
			tulpen_buf_put(b, one.data, one.len);
		tulpen_buf_putc(b, '}');
	}
	tulpen_buf_puts(b, n ? "\n]}\n" : "]}\n");
	tulpen_buf_fini(&one);
	return ret ? ret : b->err;
}

int tulpen_netns_summary_format(const struct tulpen_netns_summary *v, size_t n,
				int json, struct tulpen_buf *b)
{
	return json ? format_json(v, n, b) : format_text(v, n, b);
}
