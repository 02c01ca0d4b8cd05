// SPDX-License-Identifier: MIT
/*
 * filter_terms.c - operands of the filter language, read the way ss reads
 * them (its parse_hostcond() and iproute2's address parsers), so that the
 * same word means the same sockets:
 *
 *   - "[ADDR]:PORT", "ADDR/PLEN:PORT", "*:PORT", ":PORT", "ADDR"; without
 *     brackets the port is after the last ':' that follows the '/', so
 *     "fd00::/16" is a prefix but "fd00::1" is not an address;
 *   - IPv4 as iproute2 takes it: 1 to 4 parts, each in C notation ("10"
 *     is 10.0.0.0, "0x7f.1" is 127.1.0.0); "/PLEN" or "/255.255.0.0";
 *     "any", "all" and "default" for any address;
 *   - ports in C notation (22, 0x16, 026) or service names, looked up for
 *     the protocols listed (both TCP and UDP: they must agree);
 *   - "unix:", "inet:", "inet6:" choose the family (and limit the listing
 *     to it), as does the last -4, -6 or -x.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <netdb.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "tulpen/collect.h"
#include "filter/filter_terms.h"

int flt_number(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int err_at(struct flt_parser *p, const struct flt_token *t,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int err_at(struct flt_parser *p, const struct flt_token *t,
		  const char *fmt, ...)
{
	char msg[sizeof(p->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return flt_error(p->err, p->lx, t->src, t->column, "%s", msg);
}

/* iproute2's IPv4 form: up to four parts in C notation. */
static int parse_v4(const char *s, uint8_t out[4])
{
	int i;

	memset(out, 0, 4);
	for (i = 0; i < 4; i++) {
		char *end;
		unsigned long n;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		errno = 0;
		n = strtoul(s, &end, 0);
		if (errno || end == s || n > 255)
			return -EINVAL;
		out[i] = (uint8_t)n;
		if (!*end)
			return 0;
		if (i == 3 || *end != '.')
			return -EINVAL;
		s = end + 1;
	}
	return -EINVAL;
}

/* A prefix length: a number, or an IPv4 netmask of contiguous ones. */
static int parse_plen(const char *s, unsigned int max, unsigned int *out)
{
	long long v;
	uint8_t m[4];
	uint32_t mask, host;

	if (!flt_number(s, 0, UINT_MAX, &v)) {
		if (v > max)
			return -EINVAL;
		*out = (unsigned int)v;
		return 0;
	}
	if (parse_v4(s, m))
		return -EINVAL;
	mask = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
	       (uint32_t)m[2] << 8 | m[3];
	host = ~mask;
	if (host & (host + 1))
		return -EINVAL;
	*out = 32;
	while (host) {
		(*out)--;
		host >>= 1;
	}
	if (*out > max)
		return -EINVAL;
	return 0;
}

/* ADDR[/PLEN] in family @fam (AF_UNSPEC: either), as get_prefix_1(). */
static int parse_prefix(char *s, int fam, struct flt_addr *a)
{
	char *slash = strchr(s, '/');
	int any = 0, ret = 0;
	unsigned int bits;

	memset(a, 0, sizeof(*a));
	if (slash)
		*slash = '\0';
	if (!strcmp(s, "default") || !strcmp(s, "all") || !strcmp(s, "any")) {
		a->family = fam;
		any = 1;
	} else if (strchr(s, ':')) {
		a->family = AF_INET6;
		if ((fam != AF_UNSPEC && fam != AF_INET6) ||
		    inet_pton(AF_INET6, s, a->addr) != 1)
			ret = -EINVAL;
	} else {
		a->family = AF_INET;
		if ((fam != AF_UNSPEC && fam != AF_INET) ||
		    parse_v4(s, a->addr))
			ret = -EINVAL;
	}
	if (slash)
		*slash = '/';
	if (ret)
		return ret;
	bits = a->family == AF_INET ? 32 : a->family == AF_INET6 ? 128 : 0;
	if (slash) {
		if (any || parse_plen(slash + 1, bits, &bits))
			return -EINVAL;
	} else if (any) {
		bits = 0;
	}
	a->bitlen = bits;
	return 0;
}

/*
 * One host name lookup on its own (detached) thread, so that the parser
 * can give up at the deadline: whoever lets go of the job last frees it.
 */
struct lookup {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs, done, ret;
	int family;
	struct addrinfo *res;
	char name[256];
};

static void lookup_put(struct lookup *l)
{
	int last;

	pthread_mutex_lock(&l->lock);
	last = --l->refs == 0;
	pthread_mutex_unlock(&l->lock);
	if (!last)
		return;
	if (l->res)
		freeaddrinfo(l->res);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->cond);
	free(l);
}

static void *lookup_run(void *arg)
{
	struct lookup *l = arg;
	struct addrinfo hints = { 0 }, *res = NULL;
	int ret;

	hints.ai_family = l->family;
	hints.ai_socktype = SOCK_STREAM;
	ret = getaddrinfo(l->name, NULL, &hints, &res);
	pthread_mutex_lock(&l->lock);
	l->ret = ret;
	l->res = ret ? NULL : res;
	l->done = 1;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->lock);
	lookup_put(l);
	return NULL;
}

static struct lookup *lookup_start(const char *name, int family)
{
	struct lookup *l = calloc(1, sizeof(*l));
	pthread_attr_t attr;
	pthread_t tid;
	int ret;

	if (!l)
		return NULL;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	l->refs = 2;
	l->family = family;
	memcpy(l->name, name, strlen(name) + 1); /* checked by the caller */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&tid, &attr, lookup_run, l);
	pthread_attr_destroy(&attr);
	if (ret) {
		l->refs = 1;
		lookup_put(l);
		return NULL;
	}
	return l;
}

/* Wait for @l until @dl; 0 when it is done. */
static int lookup_wait(struct lookup *l, const struct timespec *dl)
{
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	while (!l->done && ret != ETIMEDOUT)
		ret = pthread_cond_timedwait(&l->cond, &l->lock, dl);
	ret = l->done ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static int add_results(struct flt_host *h, const struct addrinfo *ai)
{
	for (; ai; ai = ai->ai_next) {
		struct flt_addr *a, *v;

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		v = realloc(h->addrs, (h->naddr + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		h->addrs = v;
		a = &v[h->naddr++];
		memset(a, 0, sizeof(*a));
		a->family = ai->ai_family;
		if (a->family == AF_INET) {
			memcpy(a->addr,
			       &((const struct sockaddr_in *)ai->ai_addr)
					->sin_addr,
			       4);
			a->bitlen = 32;
		} else {
			memcpy(a->addr,
			       &((const struct sockaddr_in6 *)ai->ai_addr)
					->sin6_addr,
			       16);
			a->bitlen = 128;
		}
	}
	return 0;
}

/*
 * Host name @name: IPv4 addresses, then IPv6 ones (ss asks in that order,
 * and the kernel half of its filter uses only the first), both asked at
 * once, within the resolver's deadline.
 */
static int resolve(struct flt_parser *p, const char *name, int fam,
		   struct flt_host *h)
{
	struct lookup *l[2] = { NULL, NULL };
	struct timespec dl;
	unsigned int ms = p->opts->resolve_ms ? p->opts->resolve_ms : 2000;
	int i, n = fam == AF_UNSPEC ? 2 : 1, ret = 0;

	uint8_t lit[16];

	/* an address of the other family is no host name (gethostbyname2) */
	if (p->opts->no_resolve || strlen(name) >= sizeof(l[0]->name) ||
	    inet_pton(AF_INET6, name, lit) == 1 ||
	    inet_pton(AF_INET, name, lit) == 1)
		return -ENOENT;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	for (i = 0; i < n; i++) {
		l[i] = lookup_start(name, fam == AF_UNSPEC
						  ? (i ? AF_INET6 : AF_INET)
						  : fam);
		if (!l[i])
			ret = -ENOMEM;
	}
	for (i = 0; !ret && i < n; i++) {
		ret = lookup_wait(l[i], &dl);
		if (!ret && !l[i]->ret)
			ret = add_results(h, l[i]->res);
	}
	for (i = 0; i < n; i++)
		if (l[i])
			lookup_put(l[i]);
	if (!ret && !h->naddr)
		ret = -ENOENT;
	return ret;
}

/* A port: a number, or a service name of the listed protocols. */
static int parse_port(struct flt_parser *p, const struct flt_token *t,
		      const char *s, int *port)
{
	const struct tulpen_services *svc = p->opts->services;
	uint32_t protos = p->opts->protos;
	uint16_t tp = 0, up = 0;
	int have_t = 0, have_u = 0, ret;
	long long v;

	if (!flt_number(s, INT_MIN, INT_MAX, &v)) {
		if (v < 0 || v > 65535)
			return err_at(p, t,
				      "port %s is out of range "
				      "(0 to 65535)",
				      s);
		*port = (int)v;
		return 0;
	}
	if (!svc && p->opts->services_file) {
		/* the file is read only when an expression names a port */
		if (!p->own_svc) {
			ret = tulpen_services_new(p->opts->services_file,
						  &p->own_svc);
			if (ret)
				return ret;
		}
		svc = p->own_svc;
	}
	if (protos & TULPEN_PF(TULPEN_P_TCP))
		have_t = !tulpen_services_port(svc, TULPEN_P_TCP, s, &tp);
	if (protos & TULPEN_PF(TULPEN_P_UDP))
		have_u = !tulpen_services_port(svc, TULPEN_P_UDP, s, &up);
	if (have_t && have_u && tp != up)
		return err_at(p, t,
			      "port '%s' is ambiguous (another number "
			      "for TCP than for UDP)",
			      s);
	if (!have_t && !have_u)
		return err_at(p, t,
			      "'%s' is not a port (a number or a "
			      "service name)",
			      s);
	*port = have_u ? up : tp;
	return 0;
}

static uint32_t fam_mask(int fam)
{
	return fam == AF_INET	 ? TULPEN_FAM_INET
	       : fam == AF_INET6 ? TULPEN_FAM_INET6
				 : TULPEN_FAM_UNIX;
}

static int one_addr(struct flt_host *h)
{
	h->addrs = calloc(1, sizeof(*h->addrs));
	if (!h->addrs)
		return -ENOMEM;
	h->naddr = 1;
	return 0;
}

/* Split @s into address and port the way ss does; *@portp may be NULL. */
static int split_host(struct flt_parser *p, const struct flt_token *t,
		      char **sp, int is_port, char **portp)
{
	char *s = *sp, *port;

	if (s[0] == '[') {
		*sp = ++s;
		port = strchr(s, ']');
		if (!port)
			return err_at(p, t,
				      "'%s' has no ']' to close its "
				      "'['",
				      t->text);
		*port++ = '\0';
	} else if (s[0] == '*') {
		port = s + 1;
	} else {
		char *slash = strchr(s, '/');

		port = strrchr(slash ? slash : s, ':');
	}
	if (is_port)
		port = s;
	if (port && *port == ':')
		*port++ = '\0';
	*portp = port;
	return 0;
}

int flt_parse_host(struct flt_parser *p, const struct flt_token *t, int is_port,
		   const char *after, struct flt_host *h)
{
	char buf[1024], *s = buf, *port;
	int fam = p->family, ret;

	memset(h, 0, sizeof(*h));
	h->port = -1;
	if (strlen(t->text) >= sizeof(buf) || !t->text[0])
		return err_at(p, t, "expected %s after %s",
			      is_port ? "a port" : "an address", after);
	memcpy(buf, t->text, strlen(t->text) + 1);
	if (!strncmp(s, "unix:", 5)) {
		fam = AF_UNIX;
		s += 5;
	} else if (!strncmp(s, "inet:", 5)) {
		fam = AF_INET;
		s += 5;
	} else if (!strncmp(s, "inet6:", 6)) {
		fam = AF_INET6;
		s += 6;
	} else if (!strncmp(s, "link:", 5) || !strncmp(s, "netlink:", 8) ||
		   !strncmp(s, "vsock:", 6)) {
		return err_at(p, t,
			      "'%s': tulpen lists no packet, netlink or "
			      "vsock sockets",
			      t->text);
	}
	if (fam != AF_UNSPEC) {
		/* as ss: the listing is this family only, and so are the
		 * addresses of the terms after this one */
		p->f->families = fam_mask(fam);
		p->family = fam;
	}
	if (fam == AF_UNIX) {
		p->f->user_only = 1;
		h->family = AF_UNIX;
		h->pattern = strdup(s);
		if (!h->pattern)
			return -ENOMEM;
		return one_addr(h);
	}
	ret = split_host(p, t, &s, is_port, &port);
	if (!ret && port && *port && *port != '*')
		ret = parse_port(p, t, port, &h->port);
	if (ret)
		return ret;
	if (is_port || !*s || *s == '*') {
		ret = one_addr(h);
		return ret;
	}
	ret = one_addr(h);
	if (ret)
		return ret;
	if (!parse_prefix(s, fam, &h->addrs[0]))
		goto done;
	h->naddr = 0;
	ret = resolve(p, s, fam, h);
	if (ret == -ETIMEDOUT)
		return err_at(p, t,
			      "host name '%s' was not resolved in time "
			      "(--resolve-timeout)",
			      s);
	if (ret == -ENOENT)
		return err_at(p, t,
			      "'%s' is not an address, a prefix or a "
			      "known host name",
			      s);
	if (ret)
		return ret;
done:
	h->family = h->addrs[0].family;
	return 0;
}

int flt_parse_dev(struct flt_parser *p, const struct flt_token *t,
		  uint32_t *ifindex)
{
	long long v;

	*ifindex = if_nametoindex(t->text);
	if (*ifindex)
		return 0;
	if (!flt_number(t->text, 0, UINT_MAX, &v)) {
		*ifindex = (uint32_t)v;
		return 0;
	}
	return err_at(p, t,
		      "'%s' is not a network device (a name or an "
		      "index)",
		      t->text);
}

static int mark_word(const char *s, uint32_t *out)
{
	long long v;

	if (flt_number(s, INT_MIN, UINT_MAX, &v))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int flt_parse_mark(struct flt_parser *p, const struct flt_token *t,
		   uint32_t *mark, uint32_t *mask)
{
	char buf[64], *slash;
	int bad;

	if (strlen(t->text) >= sizeof(buf))
		goto bad;
	memcpy(buf, t->text, strlen(t->text) + 1);
	slash = strchr(buf, '/');
	*mask = 0xffffffffu;
	if (slash)
		*slash = '\0';
	bad = mark_word(buf, mark) || (slash && mark_word(slash + 1, mask));
	if (!bad)
		return 0;
bad:
	return err_at(p, t,
		      "'%s' is not a mark (MARK or MARK/MASK, numbers "
		      "such as 0x10/0xff)",
		      t->text);
}

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/*
 * ss (iproute2 6.1) asks for the file handle of PATH first as it stands
 * (from the current directory), and only then relative to the cgroup2
 * mount: a path that exists outside cgroup2 ("/" or "." itself) names a
 * file of another file system, whose handle is no cgroup's id. Such a term
 * selects nothing there, and here.
 */
int flt_parse_cgroup(struct flt_parser *p, const struct flt_token *t,
		     uint64_t *id)
{
	struct statfs sf;
	struct stat st;
	int ret;

	if (!stat(t->text, &st) && !statfs(t->text, &sf)) {
		*id = sf.f_type == CGROUP2_SUPER_MAGIC ? (uint64_t)st.st_ino
						       : UINT64_MAX;
		return 0;
	}
	ret = tulpen_cgroups_id(p->opts->cgroups, t->text, id);

	if (ret == -ENOMEM)
		return ret;
	if (ret)
		return err_at(p, t,
			      "no cgroup '%s' in the cgroup2 file "
			      "system (%s)",
			      t->text, strerror(-ret));
	return 0;
}
