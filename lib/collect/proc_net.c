// SPDX-License-Identifier: MIT
/*
 * proc_net.c - sockets from the /proc/net text tables: tcp, tcp6, udp, udp6,
 * udplite, udplite6, raw, raw6 and unix.
 *
 * The fallback source: used for what netlink does not serve, when netlink is
 * unavailable, and on request. Every field is checked; a line that does not
 * parse is skipped and the rest listed, with one note per file naming the
 * first such line and how many there were (a UNIX socket path may hold a
 * newline: /proc/net/unix prints it raw, so its tail is a line of its own).
 * A table that the host does not have (tcp6, udp6 and raw6 on a kernel
 * booted with ipv6.disable=1) means that the family is absent: an
 * informational note, once per context, and no sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"
#include "core/ctx_internal.h"
#include "collect/proc_net.h"

static const struct proc_net_table tables[] = {
	{ "tcp", TULPEN_P_TCP, AF_INET },
	{ "tcp6", TULPEN_P_TCP, AF_INET6 },
	{ "udp", TULPEN_P_UDP, AF_INET },
	{ "udp6", TULPEN_P_UDP, AF_INET6 },
	{ "udplite", TULPEN_P_UDPLITE, AF_INET },
	{ "udplite6", TULPEN_P_UDPLITE, AF_INET6 },
	{ "raw", TULPEN_P_RAW, AF_INET },
	{ "raw6", TULPEN_P_RAW, AF_INET6 },
	{ "unix", TULPEN_P_UNIX, AF_UNIX },
};

const struct proc_net_table *tulpen_proc_net_table(int proto, int family)
{
	size_t i;

	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (tables[i].proto == proto && tables[i].family == family)
			return &tables[i];
	return NULL;
}

/* A cursor over one line. */
struct cur {
	char *p;
	char *end;
};

static void skip_spaces(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Exactly @digits hex digits (0: one to sixteen) into *@v. */
static int get_hex(struct cur *c, int digits, uint64_t *v)
{
	uint64_t x = 0;
	int n = 0, d;

	while (c->p < c->end && (d = hexval(*c->p)) >= 0) {
		if (n == 16)
			return -EINVAL;
		x = x << 4 | (uint64_t)d;
		c->p++;
		n++;
	}
	if (!n || (digits && n != digits))
		return -EINVAL;
	*v = x;
	return 0;
}

static int get_dec(struct cur *c, uint64_t *v)
{
	uint64_t x = 0;
	int n = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned int d = (unsigned int)(*c->p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
		c->p++;
		n++;
	}
	if (!n)
		return -EINVAL;
	*v = x;
	return 0;
}

/* A signed decimal (the "timeout" column can be -1 on old kernels). */
static int get_sdec(struct cur *c, int64_t *v)
{
	uint64_t x;
	int neg = 0;

	if (c->p < c->end && *c->p == '-') {
		neg = 1;
		c->p++;
	}
	if (get_dec(c, &x) || x > INT64_MAX)
		return -EINVAL;
	*v = neg ? -(int64_t)x : (int64_t)x;
	return 0;
}

static int expect(struct cur *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return -EINVAL;
	c->p++;
	return 0;
}

/*
 * An address as the kernel prints it: the 32-bit words of the address in
 * memory order, each printed with %08X as a host-order integer.
 */
static int get_addr(struct cur *c, int family, struct tulpen_endpoint *ep)
{
	int words = family == AF_INET ? 1 : 4;
	uint64_t w, port;
	int i;

	for (i = 0; i < words; i++) {
		struct cur one = { c->p, c->p + 8 };
		uint32_t u;

		if (one.end > c->end || get_hex(&one, 8, &w))
			return -EINVAL;
		c->p = one.end;
		u = (uint32_t)w;
		memcpy(ep->addr.raw + 4 * i, &u, 4);
	}
	if (expect(c, ':') || get_hex(c, 4, &port))
		return -EINVAL;
	ep->port = (uint16_t)port;
	return 0;
}

static int parse_inet(const struct proc_net_table *t, struct cur *c,
		      struct tulpen_sock *s, const char **why)
{
	uint64_t v, txq, rxq, tr, when, retr, uid, inode;
	int64_t timeout;

	/* "  0: " slot number */
	skip_spaces(c);
	if (get_dec(c, &v) || expect(c, ':')) {
		*why = "bad slot number";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_addr(c, t->family, &s->local)) {
		*why = "bad local address";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_addr(c, t->family, &s->peer)) {
		*why = "bad remote address";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_hex(c, 2, &v) || !v || v >= TULPEN_TCP_MAX_STATES) {
		*why = "bad state";
		return -EINVAL;
	}
	s->state = (uint8_t)v;
	skip_spaces(c);
	if (get_hex(c, 8, &txq) || expect(c, ':') || get_hex(c, 8, &rxq)) {
		*why = "bad tx_queue:rx_queue";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_hex(c, 2, &tr) || expect(c, ':') || get_hex(c, 0, &when) ||
	    tr > 4) {
		*why = "bad timer";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_hex(c, 8, &retr)) {
		*why = "bad retransmit count";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_dec(c, &uid) || uid > UINT32_MAX) {
		*why = "bad uid";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_sdec(c, &timeout)) {
		*why = "bad timeout";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_dec(c, &inode)) {
		*why = "bad inode";
		return -EINVAL;
	}
	/* The rest (refcount, pointer, congestion state...) is not needed. */
	s->wqueue = (uint32_t)txq;
	s->rqueue = (uint32_t)rxq;
	s->timer = (uint8_t)tr;
	/* tm->when is in clock ticks (USER_HZ, 100 per second) */
	s->timer_ms = tr ? (int64_t)(when * 10) : 0;
	s->retrans = retr > 255 ? 255 : (uint8_t)retr;
	s->uid = (uint32_t)uid;
	s->inode = inode;
	/*
	 * /proc prints request sockets as SYN_RECV; they have no file. (A
	 * fast-open child not yet accepted has none either: rare.)
	 */
	if (t->proto == TULPEN_P_TCP && s->state == TULPEN_TCP_SYN_RECV &&
	    !inode)
		s->state = TULPEN_TCP_NEW_SYN_RECV;
	if (t->proto == TULPEN_P_RAW)
		s->raw_proto = s->local.port;
	return 0;
}

/* Kernel socket_state values in /proc/net/unix's St column. */
#define SS_CONNECTING_ 2
#define SS_CONNECTED_ 3
#define SO_ACCEPTCON_ 0x10000

static int parse_unix(struct cur *c, struct tulpen_sock *s, char *path,
		      size_t path_size, const char **why)
{
	uint64_t refcnt, protocol, flags, type, st, inode;
	size_t len;

	if (get_hex(c, 0, &refcnt) || expect(c, ':')) {
		*why = "bad socket address";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_hex(c, 8, &refcnt)) {
		*why = "bad reference count";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_hex(c, 8, &protocol)) {
		*why = "bad protocol";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_hex(c, 8, &flags)) {
		*why = "bad flags";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_hex(c, 4, &type) || type > 255) {
		*why = "bad type";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_hex(c, 2, &st)) {
		*why = "bad state";
		return -EINVAL;
	}
	skip_spaces(c);
	if (get_dec(c, &inode)) {
		*why = "bad inode";
		return -EINVAL;
	}
	s->unix_type = (uint8_t)type;
	s->unix_refcnt = refcnt > UINT32_MAX ? UINT32_MAX : (uint32_t)refcnt;
	s->unknown = TULPEN_UNK_UID | TULPEN_UNK_PEER | TULPEN_UNK_QUEUES;
	if (flags & SO_ACCEPTCON_)
		s->state = TULPEN_TCP_LISTEN;
	else if (st == SS_CONNECTED_)
		s->state = TULPEN_TCP_ESTABLISHED;
	else if (st == SS_CONNECTING_)
		s->state = TULPEN_TCP_SYN_SENT;
	else
		s->state = TULPEN_TCP_CLOSE;
	s->inode = inode;
	path[0] = '\0';
	if (c->p < c->end) {
		if (*c->p != ' ') {
			*why = "junk after inode";
			return -EINVAL;
		}
		c->p++;
		len = (size_t)(c->end - c->p);
		if (len + 1 > path_size || len > 108) {
			*why = "path too long";
			return -EINVAL;
		}
		memcpy(path, c->p, len);
		path[len] = '\0';
	}
	s->unix_path = path;
	return 0;
}

int tulpen_proc_net_parse_line(const struct proc_net_table *t, char *line,
			       size_t len, struct tulpen_sock *s, char *path,
			       size_t path_size, const char **why)
{
	struct cur c = { line, line + len };
	int ret;

	memset(s, 0, sizeof(*s));
	s->proto = (uint8_t)t->proto;
	s->family = (uint8_t)t->family;
	s->source = TULPEN_SRC_PROC;
	s->v6only = 2;
	*why = NULL;
	if (memchr(line, '\0', len)) {
		*why = "NUL byte in line";
		return -EINVAL;
	}
	if (t->family == AF_UNIX)
		ret = parse_unix(&c, s, path, path_size, why);
	else
		ret = parse_inet(t, &c, s, why);
	if (ret && !*why)
		*why = "malformed line";
	return ret;
}

struct reader {
	int fd;
	char *buf;
	size_t size, start, end;
	int eof;
};

/* Next line (NUL-terminated, newline removed) or NULL at end/err. */
static char *next_line(struct reader *r, size_t *len, int *err)
{
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		ssize_t n;

		if (nl) {
			char *line = r->buf + r->start;

			*nl = '\0';
			*len = (size_t)(nl - line);
			r->start = (size_t)(nl - r->buf) + 1;
			return line;
		}
		if (r->eof) {
			if (r->start < r->end) {
				char *line = r->buf + r->start;

				*len = r->end - r->start;
				line[*len] = '\0';
				r->start = r->end;
				return line;
			}
			return NULL;
		}
		if (r->start) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		if (r->end + 1 >= r->size) {
			*err = -E2BIG; /* a line longer than the buffer */
			return NULL;
		}
		do {
			n = read(r->fd, r->buf + r->end, r->size - r->end - 1);
		} while (n < 0 && errno == EINTR);
		if (n < 0) {
			*err = -errno;
			return NULL;
		}
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
	}
}

/* open(@path) for reading; the descriptor or a negative errno. */
static int open_rd(void *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * The table is missing: is the family absent (the net/ directory is there
 * without it), or is the proc root not one at all? 0 when absent.
 */
static int table_absent(struct tulpen_ctx *ctx, const struct proc_net_table *t,
			const char *fname)
{
	char dir[4096];
	struct stat st;
	size_t n = strlen(fname) - strlen(t->name);

	if (n >= sizeof(dir))
		return -ENOENT;
	memcpy(dir, fname, n);
	dir[n] = '\0';
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		tulpen_ctx_seterr(ctx, "%s: %s (expected a proc file system)",
				  fname, strerror(ENOENT));
		return -ENOENT;
	}
	if (t->family == AF_INET6) {
		if (!(ctx->noted & TULPEN_NOTED_NO_INET6))
			tulpen_ctx_note(ctx, TULPEN_NOTE_INFO,
					"%s: absent: no IPv6 sockets (IPv6 "
					"disabled on this host?)",
					fname);
		ctx->noted |= TULPEN_NOTED_NO_INET6;
	} else {
		tulpen_ctx_note(ctx, TULPEN_NOTE_INFO,
				"%s: absent: no %s sockets", fname, t->name);
	}
	return 0;
}

/*
 * /proc/net/unix prints a path as it is: a newline in it ends the line
 * there, and the rest of the path comes as a line of its own that does not
 * parse. So each UNIX record is held until the next line: a line that does
 * not parse after a record with a path continues that path.
 */
struct unix_held {
	struct tulpen_sock s;
	char path[112];
	int held;
};

static int unix_continues(struct unix_held *u, const char *line, size_t len)
{
	size_t have;

	if (!u->held || !u->path[0] || memchr(line, '\0', len))
		return 0;
	have = strlen(u->path);
	if (have + 1 + len > 108)
		return 0;
	u->path[have] = '\n';
	memcpy(u->path + have + 1, line, len);
	u->path[have + 1 + len] = '\0';
	return 1;
}

/* Hand out the record held, and hold @s (NULL: the end of the file). */
static int unix_hold(struct unix_held *u, const struct tulpen_sock *s,
		     const char *path, uint32_t states, tulpen_sock_cb cb,
		     void *data)
{
	int ret = 0;

	if (u->held && (states & TULPEN_SF(u->s.state))) {
		u->s.unix_path = u->path;
		ret = cb(&u->s, data);
	}
	u->held = 0;
	if (s && !ret) {
		u->s = *s;
		snprintf(u->path, sizeof(u->path), "%s", path);
		u->held = 1;
	}
	return ret;
}

/* The lines of one table that did not parse: the first and a count. */
struct skipped {
	unsigned long n, first;
	const char *why;
};

static void note_skipped(struct tulpen_ctx *ctx, const char *fname,
			 const struct skipped *sk)
{
	if (!sk->n)
		return;
	if (sk->n == 1)
		tulpen_ctx_note(ctx, TULPEN_NOTE_WARN,
				"%s: line %lu: %s; line skipped", fname,
				sk->first, sk->why);
	else
		tulpen_ctx_note(ctx, TULPEN_NOTE_WARN,
				"%s: line %lu: %s; %lu lines that do not "
				"parse skipped",
				fname, sk->first, sk->why, sk->n);
}

int tulpen_proc_net_collect(struct tulpen_ctx *ctx, int proto, int family,
			    uint32_t states, tulpen_sock_cb cb, void *data)
{
	const struct proc_net_table *t = tulpen_proc_net_table(proto, family);
	struct reader r = { .fd = -1 };
	struct skipped sk = { 0, 0, NULL };
	struct unix_held u = { .held = 0 };
	struct tulpen_sock s;
	char fname[4096];
	char path[112];
	size_t len;
	char *line;
	unsigned long lineno = 0;
	int ret = 0, err = 0;

	if (!t)
		return -EINVAL;
	/* in another namespace: the helper thread's own net/ */
	if ((size_t)snprintf(fname, sizeof(fname), "%s/%snet/%s",
			     ctx->proc_root,
			     ctx->netns_fd >= 0 ? "thread-self/" : "",
			     t->name) >= sizeof(fname))
		return -ENAMETOOLONG;
	tulpen_ctx_clearerr(ctx);
	ret = tulpen_ctx_in_netns(ctx, open_rd, fname);
	if (ret == -ENOENT && !*tulpen_ctx_errmsg(ctx))
		return table_absent(ctx, t, fname);
	if (ret < 0) {
		if (!*tulpen_ctx_errmsg(ctx)) /* not the entering */
			tulpen_ctx_seterr(ctx, "%s: %s", fname, strerror(-ret));
		return ret;
	}
	r.fd = ret;
	ret = 0;
	r.size = 256 * 1024;
	r.buf = malloc(r.size);
	if (!r.buf) {
		ret = -ENOMEM;
		goto out;
	}
	while ((line = next_line(&r, &len, &err))) {
		const char *why;

		lineno++;
		if (lineno == 1)
			continue; /* the header */
		if (len == 0) {
			unix_continues(&u, line, len); /* a path "...\n" */
			continue;
		}
		if (tulpen_proc_net_parse_line(t, line, len, &s, path,
					       sizeof(path), &why)) {
			if (unix_continues(&u, line, len))
				continue;
			if (!sk.n++) {
				sk.first = lineno;
				sk.why = why;
			}
			continue;
		}
		if (t->family == AF_UNIX) {
			/* held until the next line says it is complete */
			ret = unix_hold(&u, &s, path, states, cb, data);
		} else if (states & TULPEN_SF(s.state)) {
			ret = cb(&s, data);
		}
		if (ret)
			goto out;
	}
	ret = unix_hold(&u, NULL, NULL, states, cb, data);
	if (ret)
		goto out;
	if (err) {
		ret = err;
		tulpen_ctx_seterr(ctx, "%s: line %lu: %s", fname, lineno + 1,
				  err == -E2BIG ? "line too long"
						: strerror(-err));
	}
out:
	note_skipped(ctx, fname, &sk);
	free(r.buf);
	close(r.fd);
	return ret;
}
