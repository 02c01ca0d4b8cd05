// SPDX-License-Identifier: MIT
/*
 * output.c - write formatted output to a file descriptor.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "output.h"

int cli_fd_sink(void *priv, const char *buf, size_t len)
{
	int fd = (int)(intptr_t)priv;

	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}
