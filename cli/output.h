/* SPDX-License-Identifier: MIT */
/*
 * output.h - the CLI's sink: formatted bytes to a file descriptor, with a
 * closed pipe reported as -EPIPE so commands can exit quietly.
 */
#ifndef TULPEN_CLI_OUTPUT_H
#define TULPEN_CLI_OUTPUT_H

#include <stddef.h>

/* A tulpen_sink_fn writing to the fd stored (as an int) in @priv. */
int cli_fd_sink(void *priv, const char *buf, size_t len);

#endif /* TULPEN_CLI_OUTPUT_H */
