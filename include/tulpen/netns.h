/* SPDX-License-Identifier: MIT */
/*
 * tulpen/netns.h - every network namespace of the host, and the sockets of
 * each, labelled.
 *
 * Namespaces are found from the bind mounts in /run/netns (their names)
 * and from every process's /proc/PID/ns/net, deduplicated by inode. The
 * walk lists them in parallel on a small pool of threads of its own, which
 * enter one namespace after the other and tell their contexts (the netns
 * seam, tulpen_ctx_set_netns_fd()); the caller's thread only waits, its
 * namespace never changes. A namespace that has gone by the
 * time its turn comes is skipped quietly; one that cannot be entered is
 * reported once, to the error callback.
 *
 * Ownership: tulpen_netns_scan() allocates a set, tulpen_netns_set_free()
 * releases it; entries and their strings live as long as the set.
 */
#ifndef TULPEN_NETNS_H
#define TULPEN_NETNS_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/collect.h"
#include "tulpen/container.h"
#include "tulpen/ctx.h"
#include "tulpen/owners.h"
#include "tulpen/summary.h"

struct tulpen_netns {
	uint64_t inode;
	const char *name; /* the name under /run/netns, NULL if none */
	const char *path; /* what to open: /run/netns/NAME, /proc/PID/ns/net */
	int32_t pid;	  /* the lowest pid in it, 0 if no process is */
	int self;	  /* the caller's own namespace */
	size_t index;	  /* position in the set */
	struct tulpen_container container; /* of @pid (scan option) */
};

struct tulpen_netns_set;

struct tulpen_netns_scan_opts {
	const char *run_dir; /* NULL: /run/netns */
	int containers;	     /* fill each entry's container label */
};

/*
 * Find every network namespace: the caller's own first, then the named
 * ones by name, then the others by inode. Processes that exit during the
 * scan are skipped. Returns 0 or a negative errno (details in the
 * context's error message).
 */
int tulpen_netns_scan(struct tulpen_ctx *ctx,
		      const struct tulpen_netns_scan_opts *opts,
		      struct tulpen_netns_set **out);
void tulpen_netns_set_free(struct tulpen_netns_set *set);

size_t tulpen_netns_count(const struct tulpen_netns_set *set);
const struct tulpen_netns *tulpen_netns_at(const struct tulpen_netns_set *set,
					   size_t i);
/* The namespace with @inode, or NULL (for labelling watch events). */
const struct tulpen_netns *tulpen_netns_find(const struct tulpen_netns_set *set,
					     uint64_t inode);

/*
 * Labels for records that arrive one by one (tulpen watch): the name and
 * container of the namespace an event came from, and the container of the
 * process it names. Namespaces are scanned when the labeller is made and
 * again (at most once a second) when an event names an unknown one; a
 * process's container is read once and kept for ten seconds.
 *
 * Ownership: tulpen_netns_labels_new() allocates, _free() releases; it
 * borrows @ctx, which must outlive it. The strings and container handed
 * out are valid until the next call on the labeller. Not thread-safe.
 */
struct tulpen_netns_labels;

int tulpen_netns_labels_new(struct tulpen_ctx *ctx,
			    struct tulpen_netns_labels **out);
void tulpen_netns_labels_free(struct tulpen_netns_labels *l);

/*
 * The labels of namespace @inode and process @pid (0: none known): its
 * /run/netns name in *@name (NULL: none) and the container in
 * *@container (@pid's, else the namespace's; NULL: none known). Returns
 * 0, or -ENOMEM (the labels then NULL).
 */
int tulpen_netns_labels_get(struct tulpen_netns_labels *l, uint64_t inode,
			    int32_t pid, const char **name,
			    const struct tulpen_container **container);

/*
 * The path that -N @spec names (a name under /run/netns, a path, a pid),
 * checked to be a network namespace, into @path (@size bytes). Returns 0
 * or a negative errno with the reason in the context's error message.
 */
int tulpen_netns_labels_path(struct tulpen_netns_labels *l, const char *spec,
			     char *path, size_t size);

/*
 * The namespace that @spec names, as ss -N takes it: a name under the
 * run dir, a path to a netns file, or a pid. Adds it to @set when the
 * scan did not see it (a bind mount elsewhere). Returns 0 and the entry
 * in *@out, or a negative errno with the reason in the error message
 * (-ENOENT: no such name, pid or file; -EINVAL: not a network namespace).
 */
int tulpen_netns_resolve(struct tulpen_ctx *ctx, struct tulpen_netns_set *set,
			 const char *spec, const struct tulpen_netns **out);

/* The inode of process @pid's network namespace. */
int tulpen_netns_of_pid(struct tulpen_ctx *ctx, int pid, uint64_t *inode);

/*
 * Called once per socket, with the namespace it is in; the record's
 * netns_ino, netns_name and container are set. Calls are serialized and
 * come namespace by namespace in the order of the set, on the walk's own
 * threads, each inside the namespace it walks (so an interface index is
 * named as that namespace names it). Return 0 to go on;
 * anything else stops the walk and is returned by it.
 */
typedef int (*tulpen_netns_sock_cb)(const struct tulpen_netns *ns,
				    const struct tulpen_sock *s, void *data);
/*
 * Called once for a namespace whose sockets could not be listed (it could
 * not be entered, or its collector failed), with the negative errno and
 * the details. Serialized with the socket callback.
 */
typedef void (*tulpen_netns_err_cb)(const struct tulpen_netns *ns, int err,
				    const char *msg, void *data);

/* Called (serialized) when all of a namespace's sockets were handed over. */
typedef void (*tulpen_netns_done_cb)(const struct tulpen_netns *ns, void *data);

struct tulpen_netns_walk_opts {
	const struct tulpen_query *q;
	enum tulpen_source_mode source;
	/*
	 * With owners, a socket's container is that of its first holder;
	 * without (or without holders) the namespace's own.
	 */
	const struct tulpen_owners *owners;
	unsigned int threads; /* 0: one per CPU, at most 8 */
	/* Walk only this entry of the set (-N), or all when NULL. */
	const struct tulpen_netns *only;
	tulpen_netns_done_cb done; /* may be NULL */
};

/*
 * Walk the sockets of every namespace of @set (or of opts->only). Returns
 * 0, the socket callback's non-zero value, or a negative errno for a
 * failure that is not one namespace's (no memory, no threads). Namespaces
 * that failed went to @ecb (which may be NULL) and do not fail the walk;
 * their number is stored in *@nfailed when not NULL.
 */
int tulpen_netns_walk(struct tulpen_ctx *ctx,
		      const struct tulpen_netns_set *set,
		      const struct tulpen_netns_walk_opts *opts,
		      tulpen_netns_sock_cb cb, tulpen_netns_err_cb ecb,
		      void *data, size_t *nfailed);

/*
 * Socket counts per namespace (tulpen -s --all-netns): the namespaces
 * walked completely, sorted by total, most sockets first. The array is
 * the caller's (free()); its entries point into @set.
 */
struct tulpen_netns_summary {
	const struct tulpen_netns *ns;
	struct tulpen_summary sum;
};

int tulpen_netns_summary_collect(struct tulpen_ctx *ctx,
				 const struct tulpen_netns_set *set,
				 const struct tulpen_netns_walk_opts *opts,
				 tulpen_netns_err_cb ecb, void *data,
				 struct tulpen_netns_summary **out, size_t *n,
				 size_t *nfailed);

/* A table for people (@json = 0) or one JSON object (@json = 1). */
int tulpen_netns_summary_format(const struct tulpen_netns_summary *v, size_t n,
				int json, struct tulpen_buf *b);

#endif /* TULPEN_NETNS_H */
