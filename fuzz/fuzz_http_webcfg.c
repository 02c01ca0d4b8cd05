// SPDX-License-Identifier: MIT
/*
 * fuzz_http_webcfg.c - tulpen serve's web config parser (YAML through
 * libyaml, then tulpen's checks). A config that parses must be coherent:
 * TLS means both files, users have names and bcrypt hashes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tulpen_webcfg *c = NULL;
	char err[256];
	int ret;

	ret = tulpen_webcfg_parse((const char *)data, size, "/etc/tulpen", &c,
				  err, sizeof(err));
	if (ret) {
		if (c || !memchr(err, '\0', sizeof(err)) || !err[0])
			abort();
		return 0;
	}
	if (!c)
		abort();
	if (!tulpen_webcfg_cert_file(c) != !tulpen_webcfg_key_file(c))
		abort();
	/* an unknown user costs one bcrypt of a fixed cost (10): fine */
	if (tulpen_webcfg_auth(c, "\x01no such user\x01", "x"))
		abort();
	tulpen_webcfg_free(c);
	return 0;
}
