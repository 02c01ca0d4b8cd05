// SPDX-License-Identifier: MIT
/*
 * host_tcp.c - the TCP sysctls that decide how long states last, read
 * below the context's proc root, in the context's network namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tulpen/explain.h"
#include "core/procstat.h"

static const struct {
	const char *name;
	const char *path;
} sysctls[TULPEN_SYSCTL_MAX] = {
	[TULPEN_SYSCTL_FIN_TIMEOUT] = { "tcp_fin_timeout",
					"sys/net/ipv4/tcp_fin_timeout" },
	[TULPEN_SYSCTL_SYN_RETRIES] = { "tcp_syn_retries",
					"sys/net/ipv4/tcp_syn_retries" },
	[TULPEN_SYSCTL_SYNACK_RETRIES] = { "tcp_synack_retries",
					   "sys/net/ipv4/tcp_synack_retries" },
	[TULPEN_SYSCTL_KEEPALIVE_TIME] = { "tcp_keepalive_time",
					   "sys/net/ipv4/tcp_keepalive_time" },
	[TULPEN_SYSCTL_KEEPALIVE_INTVL] = { "tcp_keepalive_intvl",
					    "sys/net/ipv4/"
					    "tcp_keepalive_intvl" },
	[TULPEN_SYSCTL_KEEPALIVE_PROBES] = { "tcp_keepalive_probes",
					     "sys/net/ipv4/"
					     "tcp_keepalive_probes" },
	[TULPEN_SYSCTL_MAX_TW_BUCKETS] = { "tcp_max_tw_buckets",
					   "sys/net/ipv4/tcp_max_tw_buckets" },
	[TULPEN_SYSCTL_TW_REUSE] = { "tcp_tw_reuse",
				     "sys/net/ipv4/tcp_tw_reuse" },
	[TULPEN_SYSCTL_RETRIES2] = { "tcp_retries2",
				     "sys/net/ipv4/tcp_retries2" },
	[TULPEN_SYSCTL_ORPHAN_RETRIES] = { "tcp_orphan_retries",
					   "sys/net/ipv4/tcp_orphan_retries" },
	[TULPEN_SYSCTL_MAX_SYN_BACKLOG] = { "tcp_max_syn_backlog",
					    "sys/net/ipv4/"
					    "tcp_max_syn_backlog" },
	[TULPEN_SYSCTL_SYNCOOKIES] = { "tcp_syncookies",
				       "sys/net/ipv4/tcp_syncookies" },
	[TULPEN_SYSCTL_SOMAXCONN] = { "somaxconn", "sys/net/core/somaxconn" },
	[TULPEN_SYSCTL_SYN_LINEAR_TIMEOUTS] = { "tcp_syn_linear_timeouts",
						"sys/net/ipv4/"
						"tcp_syn_linear_timeouts" },
	[TULPEN_SYSCTL_RFC1337] = { "tcp_rfc1337", "sys/net/ipv4/tcp_rfc1337" },
	[TULPEN_SYSCTL_MAX_ORPHANS] = { "tcp_max_orphans",
					"sys/net/ipv4/tcp_max_orphans" },
};

const char *tulpen_sysctl_name(int id)
{
	if (id < 0 || id >= TULPEN_SYSCTL_MAX)
		return "unknown";
	return sysctls[id].name;
}

const char *tulpen_sysctl_path(int id)
{
	if (id < 0 || id >= TULPEN_SYSCTL_MAX)
		return NULL;
	return sysctls[id].path;
}

/* Open @path in the context's namespace (the sysctls of net/ are its). */
static int open_rd(void *arg)
{
	int fd = open(arg, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * Read @rel below the proc root into @text (at most @size - 1 bytes,
 * NUL-terminated): in the context's namespace, and in the caller's when
 * the namespace has no such file (a host-wide sysctl). Returns the length,
 * -ENOENT when neither has it, or another negative errno (said in the
 * context's error message).
 */
static ssize_t read_file(struct tulpen_ctx *ctx, const char *rel, char *text,
			 size_t size)
{
	char path[PATH_MAX];
	size_t len = 0;
	ssize_t n;
	int fd, ret = 0;

	n = snprintf(path, sizeof(path), "%s/%s", tulpen_ctx_proc_root(ctx),
		     rel);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		tulpen_ctx_seterr(ctx, "%s: path too long", rel);
		return -ENAMETOOLONG;
	}
	fd = tulpen_ctx_in_netns(ctx, open_rd, path);
	if (fd == -ENOENT && tulpen_ctx_netns_fd(ctx) >= 0)
		fd = open_rd(path);
	if (fd < 0) {
		if (fd != -ENOENT)
			tulpen_ctx_seterr(ctx, "%s: %s", path, strerror(-fd));
		return fd;
	}
	while (len < size - 1) {
		n = read(fd, text + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			tulpen_ctx_seterr(ctx, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	if (len == size - 1 || memchr(text, '\0', len)) {
		ret = -EINVAL;
		tulpen_ctx_seterr(ctx, "%s: not a number", path);
	}
out:
	close(fd);
	return ret ? ret : (ssize_t)len;
}

int tulpen_host_sysctl_numbers(struct tulpen_ctx *ctx, const char *rel,
			       uint64_t *v, size_t max)
{
	char text[256];
	ssize_t len;
	int n;

	len = read_file(ctx, rel, text, sizeof(text));
	if (len == -ENOENT)
		return 0;
	if (len < 0)
		return (int)len;
	n = tulpen_procstat_numbers(text, (size_t)len, v, max);
	if (n <= 0) {
		tulpen_ctx_seterr(ctx, "%s/%s: not %s",
				  tulpen_ctx_proc_root(ctx), rel,
				  max > 1 ? "numbers" : "a number");
		return -EINVAL;
	}
	return n;
}

static int read_one(struct tulpen_ctx *ctx, int id, long long *out)
{
	uint64_t v;
	int n;

	*out = -1;
	n = tulpen_host_sysctl_numbers(ctx, sysctls[id].path, &v, 1);
	if (n < 0)
		return n;
	if (n == 1) {
		if (v > (uint64_t)LLONG_MAX) {
			tulpen_ctx_seterr(ctx, "%s/%s: not a number",
					  tulpen_ctx_proc_root(ctx),
					  sysctls[id].path);
			return -EINVAL;
		}
		*out = (long long)v;
	}
	return 0;
}

int tulpen_host_tcp_read(struct tulpen_ctx *ctx, struct tulpen_host_tcp *h)
{
	int id, ret;

	for (id = 0; id < TULPEN_SYSCTL_MAX; id++)
		h->v[id] = -1;
	for (id = 0; id < TULPEN_SYSCTL_MAX; id++) {
		ret = read_one(ctx, id, &h->v[id]);
		if (ret)
			return ret;
	}
	return 0;
}
