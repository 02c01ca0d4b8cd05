/* SPDX-License-Identifier: MIT */
/*
 * tulpen/names.h - turning numbers into names: service names for ports
 * (from an /etc/services file), user names for uids, and host names for
 * addresses (reverse DNS, parallel and bounded in time).
 *
 * Ownership: each object has _new/_free; strings returned are owned by the
 * object and live as long as it.
 */
#ifndef TULPEN_NAMES_H
#define TULPEN_NAMES_H

#include <stdint.h>
#include <stddef.h>
#include "tulpen/sock.h"

struct tulpen_services;
struct tulpen_users;
struct tulpen_resolver;

/*
 * Load a services file (e.g. "/etc/services"). A missing file gives an
 * empty table, not an error. Returns 0 or a negative errno.
 */
int tulpen_services_new(const char *path, struct tulpen_services **out);
void tulpen_services_free(struct tulpen_services *s);
/* Name of @port for "tcp" or "udp" style protocol @proto, or NULL. */
const char *tulpen_services_name(const struct tulpen_services *s, int proto,
				 uint16_t port);
/*
 * The port of service @name for @proto (the lowest port whose name it is),
 * in *@port. Returns 0 or -ENOENT.
 */
int tulpen_services_port(const struct tulpen_services *s, int proto,
			 const char *name, uint16_t *port);

/*
 * User names from a passwd file (e.g. "/etc/passwd"), cached. Returns 0 or
 * a negative errno; a missing file gives numeric names.
 */
int tulpen_users_new(const char *passwd_path, struct tulpen_users **out);
void tulpen_users_free(struct tulpen_users *u);
/* The name of @uid, or NULL when unknown. */
const char *tulpen_users_name(struct tulpen_users *u, uint32_t uid);

/*
 * Reverse DNS with a deadline: queue addresses with tulpen_resolver_add(),
 * then tulpen_resolver_run() looks them up on up to @parallel threads and
 * returns after at most @deadline_ms; names not found by then stay numeric.
 */
int tulpen_resolver_new(unsigned parallel, unsigned deadline_ms,
			struct tulpen_resolver **out);
void tulpen_resolver_free(struct tulpen_resolver *r);
int tulpen_resolver_add(struct tulpen_resolver *r, int family,
			const void *addr);
int tulpen_resolver_run(struct tulpen_resolver *r);
/* The host name of @addr, or NULL when not (yet) resolved. */
const char *tulpen_resolver_name(const struct tulpen_resolver *r, int family,
				 const void *addr);

/*
 * cgroup v2 ids (as sock_diag reports them) to paths ("/" for the root,
 * "/system.slice/x.service"). The hierarchy is found in @mountinfo (e.g.
 * "/proc/self/mountinfo") and walked once, on the first lookup.
 */
struct tulpen_cgroups;

int tulpen_cgroups_new(const char *mountinfo, struct tulpen_cgroups **out);
void tulpen_cgroups_free(struct tulpen_cgroups *c);
/* The path of cgroup @id, or NULL when it is not found. */
const char *tulpen_cgroups_path(struct tulpen_cgroups *c, uint64_t id);
/*
 * The id of the cgroup at @path (relative to the cgroup2 mount, leading '/'
 * optional): its directory's inode number. Returns 0 or a negative errno
 * (-ENOENT without a cgroup2 mount or such a cgroup).
 */
int tulpen_cgroups_id(struct tulpen_cgroups *c, const char *path, uint64_t *id);

#endif /* TULPEN_NAMES_H */
