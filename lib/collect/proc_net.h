/* SPDX-License-Identifier: MIT */
/*
 * proc_net.h - parsers for the /proc/net socket tables. Internal, exposed
 * to unit tests and the fuzz target.
 */
#ifndef TULPEN_PROC_NET_H
#define TULPEN_PROC_NET_H

#include <stddef.h>
#include "tulpen/sock.h"

/*
 * Which table a line comes from: sets how it is read. The inet tables
 * (tcp, udp, raw; v4 and v6) share one layout; unix has its own.
 */
struct proc_net_table {
	const char *name; /* "tcp6", ... the file under net/ */
	int proto;	  /* enum tulpen_proto */
	int family;	  /* AF_INET, AF_INET6, AF_UNIX */
};

/*
 * Parse one data line (without its newline; NUL-terminated at @len) of
 * @t into @s. For unix lines, the path is copied into @path (at least 110
 * bytes) and s->unix_path points there. Returns 0, or -EINVAL with a short
 * reason in *@why (a static string).
 */
int tulpen_proc_net_parse_line(const struct proc_net_table *t, char *line,
			       size_t len, struct tulpen_sock *s, char *path,
			       size_t path_size, const char **why);

/* The table for @proto and @family, or NULL. */
const struct proc_net_table *tulpen_proc_net_table(int proto, int family);

#endif /* TULPEN_PROC_NET_H */
