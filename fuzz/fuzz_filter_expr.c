// SPDX-License-Identifier: MIT
/*
 * fuzz_filter_expr.c - the filter language's parser and bytecode compiler.
 *
 * The first byte chooses the preferred family and whether the rest is the
 * command line (split at NUL bytes into words) or the text of an -F file.
 * A parsed filter must compile to a program the kernel's audit would take
 * (jumps forward, 4-aligned, onto ops of the "yes" chain, at most to the
 * end plus 4), format, and match records without crashing; a failure must
 * say why and point inside (or just past) the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>

#include "tulpen/filter.h"
#include "tulpen/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The audit's rules (net/ipv4/inet_diag.c), over the program's offsets. */
static void check_program(const uint8_t *bc, size_t len)
{
	size_t off = 0, starts[16384], n = 0, i, j;

	if (len % 4 || len > 65528)
		abort();
	while (off < len) {
		const struct inet_diag_bc_op *op =
			(const struct inet_diag_bc_op *)(const void *)(bc +
								       off);

		if (op->yes < 4 || op->yes % 4 || off + op->yes > len ||
		    n == sizeof(starts) / sizeof(starts[0]))
			abort();
		starts[n++] = off;
		off += op->yes;
	}
	for (i = 0; i < n; i++) {
		const struct inet_diag_bc_op *op =
			(const struct inet_diag_bc_op
				 *)(const void *)(bc + starts[i]);
		size_t to = starts[i] + op->no;

		if (op->code == INET_DIAG_BC_NOP)
			continue;
		if (op->no < 4 || op->no % 4 || to > len + 4)
			abort();
		if (to >= len)
			continue;
		for (j = i + 1; j < n && starts[j] != to; j++)
			;
		if (j == n)
			abort(); /* not onto an op of the chain */
	}
}

static void match_some(const struct tulpen_filter *f)
{
	struct tulpen_sock s;
	int i;

	for (i = 0; i < 4; i++) {
		memset(&s, 0, sizeof(s));
		s.family = i == 3 ? AF_UNIX : i == 2 ? AF_INET6 : AF_INET;
		s.proto = i == 3 ? TULPEN_P_UNIX : TULPEN_P_TCP;
		s.state = (uint8_t)(TULPEN_TCP_ESTABLISHED + i);
		s.local.port = (uint16_t)(22 * i);
		s.peer.port = 40000;
		s.local.addr.raw[0] = (uint8_t)(10 * i);
		s.unix_path = i == 3 ? "@00a1f" : NULL;
		tulpen_filter_match(f, &s);
		tulpen_filter_match_user(f, &s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int fams[] = { AF_UNSPEC, AF_INET, AF_INET6, AF_UNIX };
	struct tulpen_filter_opts o = { 0 };
	struct tulpen_filter_error e;
	struct tulpen_filter *f = NULL;
	char *copy, *argv[65], out[512];
	size_t i, start = 0;
	int argc = 0, ret;
	void *bc;
	size_t len;

	if (size < 1 || size > 4096)
		return 0;
	o.family = fams[data[0] & 3];
	o.protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_UDP);
	o.no_resolve = 1;
	o.proc_root = "/nonexistent";
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	if (data[0] & 4) {
		ret = tulpen_filter_parse(0, NULL, copy, &o, &f, &e);
	} else {
		for (i = 0; i < size && argc < 64; i++) {
			if (i == size - 1 || copy[i] == '\0') {
				copy[i] = '\0';
				argv[argc++] = copy + start;
				start = i + 1;
			}
		}
		ret = tulpen_filter_parse(argc, (const char *const *)argv, NULL,
					  &o, &f, &e);
	}
	if (ret) {
		if (!e.msg[0] || e.column < 1 || e.column > strlen(e.text) + 2)
			abort(); /* a failure says why, and points at it */
	} else if (f) {
		ret = tulpen_filter_compile(f, &bc, &len);
		if (!ret) {
			check_program(bc, len);
			free(bc);
		}
		tulpen_filter_format(f, out, sizeof(out));
		match_some(f);
		tulpen_filter_free(f);
	}
	free(copy);
	return 0;
}
