// SPDX-License-Identifier: MIT
/*
 * fuzz_proc_net.c - the /proc/net text parsers. The first byte picks the
 * table (tcp, tcp6, udp, udp6, raw, raw6, unix); the rest is the file body,
 * fed through the real collector from a temporary proc root.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "collect/proc_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(const struct tulpen_sock *s, void *data)
{
	size_t *n = data;

	/* a record that parsed must be sane */
	if (s->state == 0 || s->state >= TULPEN_TCP_MAX_STATES)
		abort();
	if (s->unix_path && strlen(s->unix_path) > 108)
		abort();
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *name;
		int proto, family;
	} t[] = {
		{ "tcp", TULPEN_P_TCP, AF_INET },
		{ "tcp6", TULPEN_P_TCP, AF_INET6 },
		{ "udp", TULPEN_P_UDP, AF_INET },
		{ "udp6", TULPEN_P_UDP, AF_INET6 },
		{ "raw", TULPEN_P_RAW, AF_INET },
		{ "raw6", TULPEN_P_RAW, AF_INET6 },
		{ "unix", TULPEN_P_UNIX, AF_UNIX },
	};
	char root[64], p[128];
	struct tulpen_ctx *ctx;
	size_t n = 0, k;
	FILE *f;

	if (!size)
		return 0;
	k = data[0] % (sizeof(t) / sizeof(t[0]));
	snprintf(root, sizeof(root), "/tmp/tulpen-fuzz-%d", (int)getpid());
	mkdir(root, 0700);
	snprintf(p, sizeof(p), "%s/net", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/net/%s", root, t[k].name);
	f = fopen(p, "wb");
	if (!f)
		return 0;
	fwrite(data + 1, 1, size - 1, f);
	fclose(f);
	if (tulpen_ctx_new(&ctx) == 0) {
		tulpen_ctx_set_proc_root(ctx, root);
		tulpen_ctx_set_source(ctx, TULPEN_SOURCE_PROC);
		if (tulpen_proc_net_collect(ctx, t[k].proto, t[k].family,
					    TULPEN_SF_ALL, check,
					    &n) == -EINVAL &&
		    !strstr(tulpen_ctx_errmsg(ctx), ": line "))
			abort(); /* a parse error must name its line */
		tulpen_ctx_free(ctx);
	}
	unlink(p);
	return 0;
}
