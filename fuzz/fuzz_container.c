// SPDX-License-Identifier: MIT
/*
 * fuzz_container.c - the /proc/PID/cgroup parser behind container labels:
 * the input is the file's text (cgroup directory names are chosen by
 * whoever may create them). Whatever it finds must be well-formed: ids of
 * hex or sane names, NUL-terminated fields, a label and JSON that fit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/container.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tulpen_container c;
	struct tulpen_buf b;
	char label[96];
	int found;

	found = tulpen_container_parse((const char *)data, size, &c);
	check_str(c.id, sizeof(c.id));
	check_str(c.name, sizeof(c.name));
	check_str(c.pod_uid, sizeof(c.pod_uid));
	check_str(c.unit, sizeof(c.unit));
	if (found != (c.runtime != TULPEN_RT_NONE))
		abort();
	if (found && (!c.id[0] || !tulpen_container_runtime_name(c.runtime)))
		abort();
	if (!found && (c.id[0] || c.pod_uid[0]))
		abort();
	if (c.pod_uid[0] && strlen(c.pod_uid) != 36)
		abort();
	if (tulpen_container_label(label, sizeof(label), &c) >= sizeof(label))
		abort();
	if (tulpen_buf_init(&b, 0, NULL, NULL))
		return 0;
	if (tulpen_container_json(&c, &b) == 0 &&
	    (b.len < 4 || (b.data[0] != '{' && b.data[0] != 'n')))
		abort();
	tulpen_buf_fini(&b);
	return 0;
}
