// SPDX-License-Identifier: MIT
/*
 * container.c - container labels from cgroup paths (see tulpen/container.h
 * for the layouts). The path is untrusted text (cgroup directory names are
 * chosen by whoever may create them): it is read component by component,
 * with every length checked, and anything unexpected gives no label.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tulpen/container.h"
#include "core/ctx_internal.h"

const char *tulpen_container_runtime_name(int runtime)
{
	static const char *const names[] = {
		[TULPEN_RT_DOCKER] = "docker",
		[TULPEN_RT_CONTAINERD] = "containerd",
		[TULPEN_RT_CRIO] = "cri-o",
		[TULPEN_RT_PODMAN] = "podman",
		[TULPEN_RT_NSPAWN] = "systemd-nspawn",
		[TULPEN_RT_LXC] = "lxc",
	};

	if (runtime <= TULPEN_RT_NONE || runtime > TULPEN_RT_LXC)
		return NULL;
	return names[runtime];
}

struct comp {
	const char *p;
	size_t n;
};

static int is_hex64(struct comp c)
{
	size_t i;

	if (c.n != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((c.p[i] >= '0' && c.p[i] <= '9') ||
		      (c.p[i] >= 'a' && c.p[i] <= 'f')))
			return 0;
	return 1;
}

/* Whether @c is PRE...SUF; the middle goes to *@mid. */
static int affix(struct comp c, const char *pre, const char *suf,
		 struct comp *mid)
{
	size_t a = strlen(pre), b = strlen(suf);

	if (c.n <= a + b || memcmp(c.p, pre, a) ||
	    memcmp(c.p + c.n - b, suf, b))
		return 0;
	mid->p = c.p + a;
	mid->n = c.n - a - b;
	return 1;
}

static void copy(char *dst, size_t size, struct comp c)
{
	size_t n = c.n < size - 1 ? c.n : size - 1;

	memcpy(dst, c.p, n);
	dst[n] = '\0';
}

/* A name for a machine or LXC container: printable, no separators. */
static int sane_name(struct comp c)
{
	size_t i;

	if (!c.n || c.n > 64)
		return 0;
	for (i = 0; i < c.n; i++)
		if ((unsigned char)c.p[i] <= ' ' || c.p[i] == 0x7f)
			return 0;
	return 1;
}

/* "pod" UID, with '_' for '-' in the systemd form; 36 characters. */
static int pod_uid(struct comp c, char *out)
{
	char uid[37];
	size_t i;

	if (c.n != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		char ch = c.p[i] == '_' ? '-' : c.p[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      ch == '-'))
			return 0; /* @out untouched */
		uid[i] = ch;
	}
	uid[36] = '\0';
	memcpy(out, uid, sizeof(uid));
	return 1;
}

/* The pod of a component: "pod<UID>", "kubepods-...-pod<UID>.slice". */
static void kube_pod(struct comp c, struct tulpen_container *ct)
{
	struct comp m;
	size_t i;

	if (c.n > 3 && !memcmp(c.p, "pod", 3)) {
		m.p = c.p + 3;
		m.n = c.n - 3;
		pod_uid(m, ct->pod_uid);
		return;
	}
	if (!affix(c, "kubepods-", ".slice", &m))
		return;
	for (i = m.n; i >= 3; i--) {
		if (!memcmp(m.p + i - 3, "pod", 3) &&
		    (i == 3 || m.p[i - 4] == '-')) {
			struct comp u = { m.p + i, m.n - i };

			pod_uid(u, ct->pod_uid);
			return;
		}
	}
}

/* A runtime from one component (@prev: the one before it, may be empty). */
static int runtime_of(struct comp c, struct comp prev,
		      struct tulpen_container *ct)
{
	static const struct {
		const char *pre, *suf;
		int rt;
	} scopes[] = {
		{ "docker-", ".scope", TULPEN_RT_DOCKER },
		{ "cri-containerd-", ".scope", TULPEN_RT_CONTAINERD },
		{ "nerdctl-", ".scope", TULPEN_RT_CONTAINERD },
		{ "crio-", ".scope", TULPEN_RT_CRIO },
		{ "crio-", "", TULPEN_RT_CRIO },
		{ "libpod-", ".scope", TULPEN_RT_PODMAN },
		{ "libpod-", "", TULPEN_RT_PODMAN },
	};
	struct comp m;
	size_t i;

	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		if (affix(c, scopes[i].pre, scopes[i].suf, &m) && is_hex64(m)) {
			copy(ct->id, sizeof(ct->id), m);
			return scopes[i].rt;
		}
	}
	if (is_hex64(c)) {
		copy(ct->id, sizeof(ct->id), c);
		if (prev.n == 6 && !memcmp(prev.p, "docker", 6))
			return TULPEN_RT_DOCKER;
		/* kubepods with the cgroupfs driver: containerd's layout */
		if (ct->pod_uid[0])
			return TULPEN_RT_CONTAINERD;
		ct->id[0] = '\0';
		return TULPEN_RT_NONE;
	}
	if ((affix(c, "systemd-nspawn@", ".service", &m) ||
	     (prev.n == 13 && !memcmp(prev.p, "machine.slice", 13) &&
	      affix(c, "machine-", ".scope", &m))) &&
	    sane_name(m)) {
		copy(ct->name, sizeof(ct->name), m);
		copy(ct->id, sizeof(ct->id), m);
		return TULPEN_RT_NSPAWN;
	}
	if (!affix(c, "lxc.payload.", "", &m) && prev.n == 3 &&
	    !memcmp(prev.p, "lxc", 3))
		m = c; /* /lxc/NAME, the older layout */
	else if (!affix(c, "lxc.payload.", "", &m))
		return TULPEN_RT_NONE;
	if (sane_name(m)) {
		copy(ct->name, sizeof(ct->name), m);
		copy(ct->id, sizeof(ct->id), m);
		return TULPEN_RT_LXC;
	}
	return TULPEN_RT_NONE;
}

static int is_unit(struct comp c)
{
	struct comp m;

	return affix(c, "", ".service", &m) || affix(c, "", ".scope", &m);
}

int tulpen_container_from_path(const char *path, size_t len,
			       struct tulpen_container *ct)
{
	struct comp prev = { "", 0 }, unit = { "", 0 };
	size_t i = 0;

	memset(ct, 0, sizeof(*ct));
	while (i < len) {
		struct comp c;

		while (i < len && path[i] == '/')
			i++;
		c.p = path + i;
		while (i < len && path[i] != '/' && path[i] != '\0')
			i++;
		c.n = (size_t)(path + i - c.p);
		if (!c.n)
			break;
		if (i < len && path[i] == '\0')
			len = i; /* a NUL ends the path */
		kube_pod(c, ct);
		if (!ct->runtime)
			ct->runtime = (uint8_t)runtime_of(c, prev, ct);
		if (is_unit(c))
			unit = c;
		prev = c;
	}
	if (ct->runtime)
		return 1;
	ct->pod_uid[0] = '\0'; /* a pod directory alone is no container */
	if (unit.n && unit.n < sizeof(ct->unit))
		copy(ct->unit, sizeof(ct->unit), unit);
	return 0;
}

/* The path of a "ID:CONTROLLERS:PATH" line; 0 when malformed. */
static int line_path(const char *l, size_t n, struct comp *path, int *v2)
{
	const char *a = memchr(l, ':', n), *b;

	if (!a)
		return 0;
	b = memchr(a + 1, ':', n - (size_t)(a + 1 - l));
	if (!b)
		return 0;
	*v2 = a == l + 1 && l[0] == '0' && b == a + 1;
	path->p = b + 1;
	path->n = n - (size_t)(b + 1 - l);
	return 1;
}

int tulpen_container_parse(const char *text, size_t len,
			   struct tulpen_container *c)
{
	struct tulpen_container v1, best;
	int have_v1 = 0, pass;

	memset(&best, 0, sizeof(best));
	memset(&v1, 0, sizeof(v1));
	/* pass 0: the v2 line; pass 1: the v1 lines */
	for (pass = 0; pass < 2; pass++) {
		size_t i = 0;

		while (i < len) {
			const char *l = text + i, *nl;
			size_t n;
			struct comp p;
			int v2;

			nl = memchr(l, '\n', len - i);
			n = nl ? (size_t)(nl - l) : len - i;
			i += n + 1;
			if (!line_path(l, n, &p, &v2) || v2 != !pass)
				continue;
			if (pass == 0) {
				if (tulpen_container_from_path(p.p, p.n,
							       &best)) {
					*c = best;
					return 1;
				}
			} else if (tulpen_container_from_path(p.p, p.n, &v1)) {
				*c = v1;
				return 1;
			} else if (!have_v1 && v1.unit[0] && !best.unit[0]) {
				/* name=systemd on hybrid hosts */
				memcpy(best.unit, v1.unit, sizeof(best.unit));
				have_v1 = 1;
			}
		}
	}
	*c = best;
	return 0;
}

int tulpen_container_of_pid(struct tulpen_ctx *ctx, int pid,
			    struct tulpen_container *c)
{
	char path[4096], buf[8192];
	ssize_t n;
	size_t len = 0;
	int fd;

	memset(c, 0, sizeof(*c));
	if ((size_t)snprintf(path, sizeof(path), "%s/%d/cgroup", ctx->proc_root,
			     pid) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* a process in a deep hierarchy can have a long file: keep 8 KiB */
	while (len < sizeof(buf) &&
	       (n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	close(fd);
	tulpen_container_parse(buf, len, c);
	return 0;
}

size_t tulpen_container_label(char *out, size_t size,
			      const struct tulpen_container *c)
{
	const char *rt = c ? tulpen_container_runtime_name(c->runtime) : NULL;
	int n;

	if (!size)
		return 0;
	if (rt && c->pod_uid[0])
		n = snprintf(out, size, "%s:%.12s,pod=%s", rt, c->id,
			     c->pod_uid);
	else if (rt)
		n = snprintf(out, size, "%s:%.12s", rt, c->id);
	else if (c && c->unit[0])
		n = snprintf(out, size, "%s", c->unit);
	else
		n = snprintf(out, size, "-");
	if (n < 0) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n < size ? (size_t)n : size - 1;
}

static void json_field(struct tulpen_buf *b, const char *key, const char *v,
		       int first)
{
	tulpen_buf_printf(b, "%s\"%s\":", first ? "" : ",", key);
	if (v && *v)
		tulpen_buf_json_str(b, v);
	else
		tulpen_buf_puts(b, "null");
}

int tulpen_container_json(const struct tulpen_container *c,
			  struct tulpen_buf *b)
{
	if (!tulpen_container_known(c))
		return tulpen_buf_puts(b, "null");
	tulpen_buf_putc(b, '{');
	json_field(b, "runtime", tulpen_container_runtime_name(c->runtime), 1);
	json_field(b, "id", c->id, 0);
	json_field(b, "pod_uid", c->pod_uid, 0);
	json_field(b, "name", c->name, 0);
	json_field(b, "unit", c->unit, 0);
	return tulpen_buf_putc(b, '}');
}
