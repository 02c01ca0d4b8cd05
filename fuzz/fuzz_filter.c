// SPDX-License-Identifier: MIT
/*
 * fuzz_filter.c - the command line and its state filter words: the input,
 * split at NUL bytes, is the argument vector.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/state.h"
#include "list_opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *argv[65];
	struct list_opts o;
	size_t i, start = 0;
	int argc = 1;

	if (size > 4096)
		return 0;
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "tulpen";
	for (i = 0; i <= size && argc < 64; i++) {
		if (i == size || copy[i] == '\0') {
			copy[i] = '\0';
			argv[argc++] = copy + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	if (list_opts_parse(&o, argc, argv) == 0) {
		if (o.q.states & ~TULPEN_SF_ALL)
			abort();
	} else if (!o.err[0]) {
		abort(); /* a failure always says why */
	}
	free(copy);
	return 0;
}
