// SPDX-License-Identifier: MIT
/*
 * filter_eval.c - the one evaluator of the filter language.
 *
 * ss filters an inet dump twice: the kernel runs the bytecode
 * (net/ipv4/inet_diag.c, inet_diag_bc_run()) and ss then runs its own
 * rules (run_ssfilter()) over what came back. The two disagree in corners
 * (the kernel checks an address's family, ss compares raw bits; a port
 * comparison in the kernel takes 16 bits), and ss shows what both accept.
 * Both sets of rules are here, over the tree:
 *
 *   kernel_run() - the kernel's rules, for IPv4/IPv6 records that did not
 *                  come through a kernel dump with our bytecode;
 *   user_run()   - ss's rules, for every record.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/container.h"
#include "tulpen/pcap_flows.h"
#include "tulpen/state.h"
#include "filter/filter_internal.h"

/* The first @bits bits of @a and @b are equal. */
static int bits_eq(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int bytes = bits / 8, rest = bits % 8;

	if (bytes && memcmp(a, b, bytes))
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((a[bytes] ^ b[bytes]) & mask)
			return 0;
	}
	return 1;
}

static int v4_mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0,	   0,
					 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, pfx, 12);
}

static int is_ephemeral(const struct tulpen_filter *f, unsigned int port)
{
	return port >= f->eph_lo && port <= f->eph_hi;
}

/* The kernel's host condition: port, family (v4-mapped too), prefix. */
static int kernel_host(const struct flt_host *h, int src,
		       const struct tulpen_sock *s)
{
	const struct tulpen_endpoint *e = src ? &s->local : &s->peer;
	const struct flt_addr *c = &h->addrs[0];

	if (h->port != -1 && h->port != e->port)
		return 0;
	if (c->family != AF_UNSPEC && c->family != s->family) {
		if (s->family == AF_INET6 && c->family == AF_INET &&
		    v4_mapped(e->addr.raw) &&
		    bits_eq(e->addr.raw + 12, c->addr, c->bitlen))
			return 1;
		return 0;
	}
	if (!c->bitlen)
		return 1;
	return bits_eq(e->addr.raw, c->addr, c->bitlen);
}

static int word_run(const struct tulpen_filter *f, const struct flt_node *n,
		    const struct tulpen_sock *s,
		    const struct tulpen_filter_conn *c, int kernel);

static int kernel_run(const struct tulpen_filter *f, const struct flt_node *n,
		      const struct tulpen_sock *s,
		      const struct tulpen_filter_conn *c)
{
	uint16_t cmp = (uint16_t)n->host.port; /* a 16-bit field */

	switch (n->kind) {
	case FLT_AND:
		return kernel_run(f, n->a, s, c) && kernel_run(f, n->b, s, c);
	case FLT_OR:
		return kernel_run(f, n->a, s, c) || kernel_run(f, n->b, s, c);
	case FLT_NOT:
		return !kernel_run(f, n->a, s, c);
	case FLT_SCOND:
	case FLT_DCOND:
		return kernel_host(&n->host, n->kind == FLT_SCOND, s);
	case FLT_S_GE:
		return s->local.port >= cmp;
	case FLT_S_LE:
		return s->local.port <= cmp;
	case FLT_D_GE:
		return s->peer.port >= cmp;
	case FLT_D_LE:
		return s->peer.port <= cmp;
	case FLT_DEV:
		return s->ifindex == n->ifindex;
	case FLT_MARK:
		return (s->mark & n->mask) == n->mark;
	case FLT_CGROUP:
		return s->cgroup_id == n->cgroup_id;
	case FLT_AUTO:
		/*
		 * The kernel asks whether bind() was given the port
		 * (SOCK_BINDPORT_LOCK). A record does not say; listeners and
		 * unconnected sockets with a port mostly were, connected and
		 * accepted sockets, request and TIME-WAIT sockets were not
		 * (accepted sockets do not inherit the lock); a listener on a
		 * port of the ephemeral range was most likely bound to port
		 * 0. A client that bound an explicit port, or a listener bound
		 * to one in the ephemeral range, is what this cannot tell.
		 */
		if (s->state == TULPEN_TCP_LISTEN ||
		    (s->state == TULPEN_TCP_CLOSE && s->local.port))
			return is_ephemeral(f, s->local.port);
		return 1;
	default:
		return word_run(f, n, s, c, 1);
	}
}

/* ss's ports: UNIX sockets compare their inode numbers (as ints). */
static int user_port(const struct tulpen_sock *s, int src)
{
	if (s->family == AF_UNIX)
		return src ? (int)(uint32_t)s->inode
			   : (int)(uint32_t)s->unix_peer;
	return src ? s->local.port : s->peer.port;
}

/* ss's address match: raw bits whatever the family, v4-mapped too. */
static int user_addr(const struct flt_addr *c, const struct tulpen_sock *s,
		     const uint8_t *raw)
{
	if (bits_eq(raw, c->addr, c->bitlen))
		return 1;
	return c->family == AF_INET && s->family == AF_INET6 &&
	       v4_mapped(raw) && bits_eq(raw + 12, c->addr, c->bitlen);
}

static int user_host(const struct flt_host *h, int src,
		     const struct tulpen_sock *s)
{
	unsigned int i;

	if (h->family == AF_UNIX) {
		const char *name = "";

		if (s->family != AF_UNIX)
			return 0;
		/* ss knows no peer names here: a peer's is always empty */
		if (src && s->unix_path)
			name = s->unix_path;
		return !fnmatch(h->pattern, name, FNM_CASEFOLD);
	}
	if (h->port != -1 && h->port != user_port(s, src))
		return 0;
	if (!h->addrs[0].bitlen)
		return 1;
	if (s->family == AF_UNIX)
		return 0; /* ss compares a pointer's bytes: never equal */
	for (i = 0; i < h->naddr; i++)
		if (user_addr(&h->addrs[i], s,
			      src ? s->local.addr.raw : s->peer.addr.raw))
			return 1;
	return 0;
}

static int hex5(const char *p)
{
	int i;

	for (i = 0; i < 5; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		      (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return p[5] == '\0';
}

static int user_run(const struct tulpen_filter *f, const struct flt_node *n,
		    const struct tulpen_sock *s,
		    const struct tulpen_filter_conn *c)
{
	int port = n->host.port;

	switch (n->kind) {
	case FLT_AND:
		return user_run(f, n->a, s, c) && user_run(f, n->b, s, c);
	case FLT_OR:
		return user_run(f, n->a, s, c) || user_run(f, n->b, s, c);
	case FLT_NOT:
		return !user_run(f, n->a, s, c);
	case FLT_SCOND:
	case FLT_DCOND:
		return user_host(&n->host, n->kind == FLT_SCOND, s);
	case FLT_S_GE:
		return user_port(s, 1) >= port;
	case FLT_S_LE:
		return user_port(s, 1) <= port;
	case FLT_D_GE:
		return user_port(s, 0) >= port;
	case FLT_D_LE:
		return user_port(s, 0) <= port;
	case FLT_DEV:
		return s->ifindex == n->ifindex;
	case FLT_MARK:
		return (s->mark & n->mask) == n->mark;
	case FLT_CGROUP:
		return s->cgroup_id == n->cgroup_id;
	case FLT_AUTO:
		if (s->family == AF_UNIX)
			return !s->unix_path || !s->unix_path[0] ||
			       (s->unix_path[0] == '@' &&
				hex5(s->unix_path + 1));
		return is_ephemeral(f, s->local.port);
	default:
		return word_run(f, n, s, c, 0);
	}
}

/* netns NAME|INODE, container ID-prefix|NAME|POD-UID|UNIT. */
static int label_match(const struct flt_node *n, const struct tulpen_sock *s)
{
	const struct tulpen_container *k = s->container;

	if (n->kind == FLT_NETNS)
		return (n->ino && s->netns_ino == n->ino) ||
		       (s->netns_name && !strcmp(s->netns_name, n->word));
	if (!k)
		return 0;
	return (k->id[0] && !strncmp(k->id, n->word, strlen(n->word))) ||
	       !strcmp(k->name, n->word) || !strcmp(k->pod_uid, n->word) ||
	       !strcmp(k->unit, n->word);
}

static int conn_state_in(const struct tulpen_filter_conn *c, uint32_t mask)
{
	int idx;

	return c->conn_state &&
	       !tulpen_zeek_conn_state_parse(c->conn_state, &idx) &&
	       (mask & (1u << idx));
}

/* tulpen's words: the same in the kernel's rules and in ss's. */
static int word_run(const struct tulpen_filter *f, const struct flt_node *n,
		    const struct tulpen_sock *s,
		    const struct tulpen_filter_conn *c, int kernel)
{
	switch (n->kind) {
	case FLT_STATE:
		return !!(TULPEN_SF(s->state) & n->mask);
	case FLT_NETNS:
	case FLT_CONTAINER:
		return label_match(n, s);
	case FLT_SIDE:
		if (!c)
			return 0;
		return kernel ? kernel_run(f, n->a, &c->side[n->side], c)
			      : user_run(f, n->a, &c->side[n->side], c);
	case FLT_CONNSTATE:
		return c && conn_state_in(c, n->mask);
	case FLT_MIDSTREAM:
		return c && c->midstream;
	case FLT_RESET:
		return c && c->reset;
	case FLT_CLOSED:
		return c && c->closed;
	default:
		return 0;
	}
}

int tulpen_filter_match_user(const struct tulpen_filter *f,
			     const struct tulpen_sock *s)
{
	if (!f)
		return 1;
	return user_run(f, f->root, s, NULL);
}

static int match(const struct tulpen_filter *f, const struct tulpen_sock *s,
		 const struct tulpen_filter_conn *c)
{
	if (!f->user_only && tulpen_sock_is_inet(s) &&
	    !kernel_run(f, f->root, s, c))
		return 0;
	return user_run(f, f->root, s, c);
}

int tulpen_filter_match(const struct tulpen_filter *f,
			const struct tulpen_sock *s)
{
	return f ? match(f, s, NULL) : 1;
}

int tulpen_filter_match_conn(const struct tulpen_filter *f,
			     const struct tulpen_filter_conn *c)
{
	if (!f)
		return 1;
	return match(f, &c->side[0], c) || match(f, &c->side[1], c);
}

int tulpen_filter_needs_labels(const struct tulpen_filter *f)
{
	return f && f->labels;
}
