/* SPDX-License-Identifier: MIT */
/*
 * tulpen/ctx.h - the library context: where data comes from.
 *
 * Every data source is a field of the context, so that tests can replay
 * recorded netlink dumps and /proc fixtures as easily as they read the live
 * kernel. The library keeps no global state: everything lives here.
 *
 * Ownership: tulpen_ctx_new() allocates, tulpen_ctx_free() releases the
 * context and anything it opened (netlink socket, replay file, network
 * namespace descriptor). Strings passed to setters are copied, descriptors
 * duplicated.
 */
#ifndef TULPEN_CTX_H
#define TULPEN_CTX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tulpen_ctx;

/* Which collector to use. */
enum tulpen_source_mode {
	/* netlink sock_diag; /proc/net for what netlink does not serve */
	TULPEN_SOURCE_AUTO = 0,
	TULPEN_SOURCE_NETLINK, /* netlink only; error if unavailable */
	TULPEN_SOURCE_PROC,    /* /proc/net text files only */
};

/*
 * A netlink transport: the seam between the sock_diag collector and the
 * kernel. The live one talks to a NETLINK_SOCK_DIAG socket through libmnl;
 * the replay one returns buffers recorded earlier. send() returns 0 or a
 * negative errno; recv() returns the number of bytes received (one netlink
 * datagram, possibly several messages) or a negative errno. close() may be
 * NULL.
 */
struct tulpen_nl_ops {
	int (*send)(void *priv, const void *buf, size_t len);
	ssize_t (*recv)(void *priv, void *buf, size_t len);
	void (*close)(void *priv);
};

int tulpen_ctx_new(struct tulpen_ctx **ctx);
void tulpen_ctx_free(struct tulpen_ctx *ctx);

/* Root of the proc file system to read ("/proc" by default); "": -EINVAL. */
int tulpen_ctx_set_proc_root(struct tulpen_ctx *ctx, const char *dir);
const char *tulpen_ctx_proc_root(const struct tulpen_ctx *ctx);

void tulpen_ctx_set_source(struct tulpen_ctx *ctx, enum tulpen_source_mode m);
enum tulpen_source_mode tulpen_ctx_source(const struct tulpen_ctx *ctx);

/*
 * Use @ops/@priv as the netlink transport instead of a live socket. The
 * context calls ops->close(priv) when it is freed or the transport replaced.
 */
void tulpen_ctx_set_nl_ops(struct tulpen_ctx *ctx,
			   const struct tulpen_nl_ops *ops, void *priv);

/*
 * Replay netlink answers recorded in @path (see tulpen_ctx_nl_record())
 * instead of asking the kernel. Returns 0 or a negative errno.
 */
int tulpen_ctx_nl_replay(struct tulpen_ctx *ctx, const char *path);

/*
 * Record every netlink answer the live transport receives into @path, in
 * the format tulpen_ctx_nl_replay() reads: for each datagram a 4-byte
 * little-endian length followed by the bytes. Returns 0 or a negative errno.
 */
int tulpen_ctx_nl_record(struct tulpen_ctx *ctx, const char *path);

/*
 * Get the active netlink transport, opening the live one if none is set.
 * Returns 0 or a negative errno (e.g. -EPROTONOSUPPORT without sock_diag).
 */
int tulpen_ctx_nl(struct tulpen_ctx *ctx, const struct tulpen_nl_ops **ops,
		  void **priv);

/*
 * The network namespace to look into; the caller's own by default. With
 * another one set, the live netlink socket and the /proc/net files are
 * opened by a short-lived helper thread that enters the namespace (setns)
 * and leaves it with the thread: the calling thread's namespace never
 * changes. Sockets and files opened there keep reading that namespace.
 * Setting a namespace closes a live transport already opened.
 *
 * tulpen_ctx_set_netns_fd() duplicates @fd (-1: back to the caller's own);
 * tulpen_ctx_set_netns_path() opens a netns file (/run/netns/NAME,
 * /proc/PID/ns/net). Both return 0 or a negative errno: -EINVAL when it is
 * not a network namespace, -ENOENT/-ESRCH when it is gone.
 */
int tulpen_ctx_set_netns_fd(struct tulpen_ctx *ctx, int fd);
int tulpen_ctx_set_netns_path(struct tulpen_ctx *ctx, const char *path);
/* The namespace's descriptor (owned by the context), or -1. */
int tulpen_ctx_netns_fd(const struct tulpen_ctx *ctx);

/*
 * Run @fn(@arg) in the context's network namespace and return what it
 * returns: on a helper thread that enters the namespace when one is set
 * (and is not the caller's own), on this thread otherwise. Returns the
 * negative errno of entering when that fails (-EPERM without
 * CAP_SYS_ADMIN), with details in tulpen_ctx_errmsg().
 */
int tulpen_ctx_in_netns(struct tulpen_ctx *ctx, int (*fn)(void *arg),
			void *arg);

/*
 * The last error's details ("/proc/net/tcp: line 3: bad local address"),
 * or "" when there are none. Owned by the context, valid until the next
 * call into the library with this context.
 */
const char *tulpen_ctx_errmsg(const struct tulpen_ctx *ctx);

/* Set the error detail (printf-like). Used by the library's modules. */
void tulpen_ctx_seterr(struct tulpen_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tulpen_ctx_clearerr(struct tulpen_ctx *ctx);

/*
 * Notes: what a caller should be told while the work goes on (a line of
 * /proc/net that does not parse and was skipped, a table the host does not
 * have). TULPEN_NOTE_WARN is data the output lacks and should always be
 * shown; TULPEN_NOTE_INFO is context for a verbose run. Without a callback
 * notes are dropped. The callback may be called from a helper thread of the
 * library (network namespace walks); @msg is valid during the call only.
 */
enum tulpen_note_level {
	TULPEN_NOTE_WARN = 0,
	TULPEN_NOTE_INFO = 1,
};
typedef void (*tulpen_note_fn)(void *data, enum tulpen_note_level level,
			       const char *msg);
void tulpen_ctx_set_note(struct tulpen_ctx *ctx, tulpen_note_fn fn, void *data);
/* The callback set (NULL: none), and its data through @data. */
tulpen_note_fn tulpen_ctx_note_fn(const struct tulpen_ctx *ctx, void **data);
/* Pass a note to the callback (printf-like). Used by the library. */
void tulpen_ctx_note(struct tulpen_ctx *ctx, enum tulpen_note_level level,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* TULPEN_CTX_H */
