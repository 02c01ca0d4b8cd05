// SPDX-License-Identifier: MIT
/*
 * host_tcp.c - the TCP sysctls that decide how long states last, read
 * below the context's proc root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tulpen/explain.h"

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

/* One non-negative decimal number, surrounded by optional blanks. */
static int parse_value(const char *s, long long *out)
{
	char *end;
	long long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno)
		return -EINVAL;
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int read_one(struct tulpen_ctx *ctx, int id, long long *out)
{
	char path[PATH_MAX], text[64];
	size_t len = 0;
	ssize_t n;
	int fd, ret = 0;

	n = snprintf(path, sizeof(path), "%s/%s", tulpen_ctx_proc_root(ctx),
		     sysctls[id].path);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		tulpen_ctx_seterr(ctx, "%s: path too long", sysctls[id].path);
		return -ENAMETOOLONG;
	}
	*out = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		tulpen_ctx_seterr(ctx, "%s: %s", path, strerror(errno));
		return ret;
	}
	while (len < sizeof(text) - 1) {
		n = read(fd, text + len, sizeof(text) - 1 - len);
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
	if (len == sizeof(text) - 1 || memchr(text, '\0', len) ||
	    parse_value(text, out)) {
		*out = -1;
		ret = -EINVAL;
		tulpen_ctx_seterr(ctx, "%s: not a number", path);
	}
out:
	close(fd);
	return ret;
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
