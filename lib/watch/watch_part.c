// SPDX-License-Identifier: MIT
/*
 * watch_part.c - the names of the optional parts of the eBPF source
 * (enum tulpen_watch_part), with or without eBPF support built in.
 */
#include <errno.h>
#include <string.h>

#include "tulpen/watch.h"

const char *tulpen_watch_part_name(unsigned part)
{
	switch (part) {
	case TULPEN_WATCH_PART_ACCEPT:
		return "accept";
	case TULPEN_WATCH_PART_TIMEWAIT:
		return "timewait";
	case TULPEN_WATCH_PART_CONNECT:
		return "connect";
	}
	return NULL;
}

int tulpen_watch_part_parse(const char *name, unsigned *part)
{
	unsigned p;

	for (p = 1; p < 1u << TULPEN_WATCH_NPARTS; p <<= 1) {
		if (!strcmp(name, tulpen_watch_part_name(p))) {
			*part = p;
			return 0;
		}
	}
	return -EINVAL;
}
