// SPDX-License-Identifier: MIT
/*
 * list_kill.c - `tulpen -K FILTER`: SOCK_DESTROY for every socket the
 * filter selects, as ss -K, but in batches (tulpen/destroy.h), refusing
 * without a filter (list_opts.c) and saying why when the kernel cannot.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tulpen/destroy.h"
#include "cli_util.h"
#include "list_kill.h"

/*
 * Destroying sockets while the kernel walks its tables can make a dump
 * step over a socket; walks repeat until one closes nothing more.
 */
#define MAX_PASSES 8

struct kill_run {
	struct tulpen_destroyer *d;
	tulpen_sock_cb print;
	void *data;
	unsigned long closed, pass_closed, gone, unsupported, failed;
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
		k->pass_closed++;
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

static int matched(const struct tulpen_sock *s, void *data)
{
	struct kill_run *k = data;

	/* as ss -K: UNIX and MPTCP sockets are not closed, nor shown */
	if (!tulpen_sock_is_inet(s) || s->proto == TULPEN_P_MPTCP)
		return 0;
	return tulpen_destroyer_add(k->d, s);
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
	int ret = 0, pass;

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
	for (pass = 0; pass < MAX_PASSES; pass++) {
		k.pass_closed = 0;
		ret = tulpen_collect(ctx, &o->q, matched, &k);
		if (!ret)
			ret = tulpen_destroyer_flush(k.d);
		if (ret || k.denied || !k.pass_closed)
			break;
	}
	tulpen_destroyer_free(k.d);
	if (ret < 0 && ret != -EPIPE) {
		const char *msg = tulpen_ctx_errmsg(ctx);

		return cli_error(NULL, "%s", *msg ? msg : strerror(-ret));
	}
	return report(&k);
}
