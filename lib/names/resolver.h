/* SPDX-License-Identifier: MIT */
/*
 * resolver.h - the resolver's seam for tests: the function that turns one
 * address into a host name. Not installed.
 */
#ifndef TULPEN_NAMES_RESOLVER_H
#define TULPEN_NAMES_RESOLVER_H

#include <stddef.h>
#include <sys/socket.h>

struct tulpen_resolver;

/*
 * Write the host name of @sa into @host (@size bytes, NUL-terminated);
 * return 0, or non-zero when there is none. Runs on the resolver's
 * threads; when it blocks it must do so at a cancellation point.
 */
typedef int (*resolver_lookup_fn)(const struct sockaddr *sa, socklen_t len,
				  char *host, size_t size);

/* Use @fn for the lookups (NULL: getnameinfo() again). */
void resolver_set_lookup(struct tulpen_resolver *r, resolver_lookup_fn fn);

#endif /* TULPEN_NAMES_RESOLVER_H */
