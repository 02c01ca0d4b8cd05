// SPDX-License-Identifier: MIT
/*
 * list_kill.c - `tulpen -K FILTER`: SOCK_DESTROY for every socket the
 * filter selects, as ss -K, but in batches (tulpen/destroy.h), refusing
 * without a filter (list_opts.c) and saying why when the kernel cannot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/destroy.h"
#include "tulpen/skmem.h"
#include "tulpen/tcp_info.h"
#include "cli_util.h"
#include "list_kill.h"

/*
 * Destroying sockets while the kernel walks its tables can make the walk
 * step over a socket (a dump resumes at a position in a hash chain), so
 * the matches are kept until the walk is over, then destroyed in batches.
 */
struct kept {
	struct tulpen_sock *s;
	struct tulpen_tcp_info *ti; /* with -i, else NULL */
	struct tulpen_skmem *sm;    /* with -m, else NULL */
	size_t n, cap;
	int extras;
};

struct kill_run {
	struct tulpen_destroyer *d;
	struct kept k;
	tulpen_sock_cb print;
	void *data;
	unsigned long closed, gone, unsupported, failed;
	int denied;	       /* -EPERM or -EACCES: stop */
	int first_err;	       /* of the failures */
	uint32_t unsup_protos; /* TULPEN_PF of protocols refused */
};

static int destroyed(const struct tulpen_sock *s, int err, void *data)
{
	struct kill_run *k = data;

	switch (err) {
	case 0:
		k->closed++;
		return k->print(s, k->data);
	case -ENOENT:
		k->gone++;
		return 0;
	case -EOPNOTSUPP:
		k->unsupported++;
		k->unsup_protos |= TULPEN_PF(s->proto);
		return 0;
	case -EPERM:
	case -EACCES:
		k->denied = err;
		return 1;
	default:
		if (!k->failed++)
			k->first_err = err;
		return 0;
	}
}

static int grow(struct kept *k)
{
	size_t cap = k->cap ? 2 * k->cap : 1024;
	void *p;

	p = realloc(k->s, cap * sizeof(*k->s));
	if (!p)
		return -ENOMEM;
	k->s = p;
	if (k->extras) {
		p = realloc(k->ti, cap * sizeof(*k->ti));
		if (!p)
			return -ENOMEM;
		k->ti = p;
		p = realloc(k->sm, cap * sizeof(*k->sm));
		if (!p)
			return -ENOMEM;
		k->sm = p;
	}
	k->cap = cap;
	return 0;
}

static int matched(const struct tulpen_sock *s, void *data)
{
	struct kill_run *r = data;
	struct kept *k = &r->k;
	struct tulpen_sock *c;

	/* as ss -K: UNIX and MPTCP sockets are not closed, nor shown */
	if (!tulpen_sock_is_inet(s) || s->proto == TULPEN_P_MPTCP)
		return 0;
	if (k->n == k->cap && grow(k))
		return -ENOMEM;
	c = &k->s[k->n];
	*c = *s;
	c->tcp_info = NULL; /* set again when sent (destroy_kept) */
	c->skmem = NULL;
	if (k->extras) {
		memset(&k->ti[k->n], 0, sizeof(k->ti[0]));
		memset(&k->sm[k->n], 0, sizeof(k->sm[0]));
		if (s->tcp_info) /* its kernel_len is never 0 */
			k->ti[k->n] = *s->tcp_info;
		if (s->skmem) /* nor its count */
			k->sm[k->n] = *s->skmem;
	}
	k->n++;
	return 0;
}

/* The kept matches to the destroyer, in batches. */
static int destroy_kept(struct kill_run *r)
{
	struct kept *k = &r->k;
	size_t i;
	int ret = 0;

	for (i = 0; i < k->n && !ret; i++) {
		struct tulpen_sock *c = &k->s[i];

		if (k->extras) {
			c->tcp_info = k->ti[i].kernel_len ? &k->ti[i] : NULL;
			c->skmem = k->sm[i].count ? &k->sm[i] : NULL;
		}
		ret = tulpen_destroyer_add(r->d, c);
	}
	return ret ? ret : tulpen_destroyer_flush(r->d);
}

/* --dry-run: what -K would try to close. */
static int would_close(const struct tulpen_sock *s, void *data)
{
	struct kill_run *k = data;

	if (!tulpen_sock_is_inet(s) || s->proto == TULPEN_P_MPTCP)
		return 0;
	return k->print(s, k->data);
}

/* What went wrong, in words; the exit status. */
static int report(const struct kill_run *k)
{
	if (k->denied)
		return cli_error(
			NULL,
			"-K: the kernel refused to close sockets (%s): "
			"SOCK_DESTROY needs CAP_NET_ADMIN",
			strerror(-k->denied));
	if (k->unsupported && !k->closed) {
		if (k->unsup_protos &
		    (TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_UDP)))
			return cli_error(NULL,
					 "-K: this kernel cannot close sockets "
					 "(built without "
					 "CONFIG_INET_DIAG_DESTROY)");
		return cli_error(NULL, "-K: sockets of this kind cannot be "
				       "closed (only TCP, UDP and RAW)");
	}
	if (k->unsupported)
		cli_error(NULL,
			  "-K: %lu sockets left open: the kernel cannot close "
			  "sockets of their kind",
			  k->unsupported);
	if (k->failed)
		return cli_error(NULL,
				 "-K: %lu sockets could not be closed: %s",
				 k->failed, strerror(-k->first_err));
	return 0;
}

int list_kill(struct tulpen_ctx *ctx, const struct list_opts *o,
	      tulpen_sock_cb print, void *data)
{
	struct kill_run k = { .print = print, .data = data };
	int ret = 0;

	if (o->dry_run) {
		ret = tulpen_collect(ctx, &o->q, would_close, &k);
		return ret < 0 && ret != -EPIPE
			       ? cli_error(NULL, "%s", tulpen_ctx_errmsg(ctx))
			       : 0;
	}
	ret = tulpen_destroyer_new(ctx, destroyed, &k, &k.d);
	if (ret)
		return cli_error(NULL, "-K: sock_diag socket: %s",
				 strerror(-ret));
	k.k.extras = o->info || o->memory;
	ret = tulpen_collect(ctx, &o->q, matched, &k);
	if (!ret)
		ret = destroy_kept(&k);
	tulpen_destroyer_free(k.d);
	free(k.k.s);
	free(k.k.ti);
	free(k.k.sm);
	if (ret < 0 && ret != -EPIPE) {
		const char *msg = tulpen_ctx_errmsg(ctx);

		return cli_error(NULL, "%s", *msg ? msg : strerror(-ret));
	}
	return report(&k);
}
