// SPDX-License-Identifier: MIT
/*
 * filter_bc.c - compile a filter to inet_diag bytecode, the program the
 * kernel runs over each socket of a dump (INET_DIAG_REQ_BYTECODE).
 *
 * The machine: a list of 4-byte ops { code, yes, no }, some followed by an
 * operand. An op that holds goes on by "yes" bytes, one that fails jumps
 * by "no" bytes; reaching the end exactly accepts the socket, landing 4
 * bytes past it rejects it. The kernel's audit (inet_diag_bc_audit())
 * wants every jump forward, 4-aligned, onto an op on the "yes" chain and
 * at most to the end plus 4.
 *
 * Each term is compiled so that it falls through when it holds and jumps
 * to its own end plus 4 when it fails; then
 *   a and b: a, b; a's failure exits are moved to the end of b plus 4;
 *   a or b:  a, JMP to the end, b (a's failure exits land on b);
 *   not a:   a, JMP over the end (a's failure exits land on the end).
 * The same shapes as ss's compiler, so the kernel sees the same programs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>

#include "filter/filter_internal.h"

/* An attribute's payload length is 16 bits, and so are the jumps. */
#define BC_MAX 65528

struct bc {
	uint8_t *buf;
	size_t len, cap;
};

static int bc_room(struct bc *b, size_t n)
{
	uint8_t *p;
	size_t cap;

	if (b->len + n > BC_MAX)
		return -E2BIG;
	if (b->len + n <= b->cap)
		return 0;
	cap = b->cap ? b->cap * 2 : 256;
	while (cap < b->len + n)
		cap *= 2;
	p = realloc(b->buf, cap);
	if (!p)
		return -ENOMEM;
	b->buf = p;
	b->cap = cap;
	return 0;
}

static int bc_op(struct bc *b, uint8_t code, size_t oplen, const void *arg,
		 size_t arglen)
{
	struct inet_diag_bc_op op;
	int ret = bc_room(b, oplen);

	if (ret)
		return ret;
	op.code = code;
	op.yes = (unsigned short)oplen;
	op.no = (unsigned short)(oplen + 4);
	memcpy(b->buf + b->len, &op, sizeof(op));
	if (arglen)
		memcpy(b->buf + b->len + sizeof(op), arg, arglen);
	b->len += oplen;
	return 0;
}

static struct inet_diag_bc_op *op_at(struct bc *b, size_t off)
{
	return (struct inet_diag_bc_op *)(void *)(b->buf + off);
}

/* Move the failure exits of the code in [@start, @end) on by @reloc. */
static void patch(struct bc *b, size_t start, size_t end, size_t reloc)
{
	size_t off = start;

	while (off < end) {
		struct inet_diag_bc_op *op = op_at(b, off);

		if (off + op->no == end + 4)
			op->no = (unsigned short)(op->no + reloc);
		off += op->yes;
	}
}

static int host_op(struct bc *b, const struct flt_node *n)
{
	struct inet_diag_hostcond c;
	uint8_t arg[sizeof(c) + 16];
	const struct flt_addr *a = &n->host.addrs[0];
	size_t alen = a->family == AF_INET6 ? 16 : 4;

	if (n->host.family == AF_UNIX)
		return -EOPNOTSUPP; /* a path pattern: ss's own rules only */
	memset(&c, 0, sizeof(c));
	c.family = (uint8_t)a->family;
	c.prefix_len = (uint8_t)a->bitlen;
	c.port = n->host.port;
	memcpy(arg, &c, sizeof(c));
	memcpy(arg + sizeof(c), a->addr, alen);
	return bc_op(b,
		     n->kind == FLT_SCOND ? INET_DIAG_BC_S_COND
					  : INET_DIAG_BC_D_COND,
		     4 + sizeof(c) + alen, arg, sizeof(c) + alen);
}

static int port_op(struct bc *b, uint8_t code, int port)
{
	struct inet_diag_bc_op arg = { 0, 0, (unsigned short)port };

	return bc_op(b, code, 8, &arg, sizeof(arg));
}

static int jmp(struct bc *b, size_t no)
{
	struct inet_diag_bc_op op = { INET_DIAG_BC_JMP, 4, (unsigned short)no };
	int ret = bc_room(b, 4);

	if (ret)
		return ret;
	memcpy(b->buf + b->len, &op, 4);
	b->len += 4;
	return 0;
}

static int compile(struct bc *b, const struct flt_node *n, unsigned int depth)
{
	struct inet_diag_markcond mc;
	size_t start = b->len, mid;
	int ret;

	if (depth > 10000)
		return -E2BIG;
	switch (n->kind) {
	case FLT_AND:
		ret = compile(b, n->a, depth + 1);
		mid = b->len;
		if (!ret)
			ret = compile(b, n->b, depth + 1);
		if (!ret)
			patch(b, start, mid, b->len - mid);
		return ret;
	case FLT_OR:
		ret = compile(b, n->a, depth + 1);
		mid = b->len;
		if (!ret)
			ret = jmp(b, 0);
		if (!ret)
			ret = compile(b, n->b, depth + 1);
		if (!ret)
			op_at(b, mid)->no = (unsigned short)(b->len - mid);
		return ret;
	case FLT_NOT:
		ret = compile(b, n->a, depth + 1);
		return ret ? ret : jmp(b, 8);
	case FLT_SCOND:
	case FLT_DCOND:
		return host_op(b, n);
	case FLT_S_GE:
		return port_op(b, INET_DIAG_BC_S_GE, n->host.port);
	case FLT_S_LE:
		return port_op(b, INET_DIAG_BC_S_LE, n->host.port);
	case FLT_D_GE:
		return port_op(b, INET_DIAG_BC_D_GE, n->host.port);
	case FLT_D_LE:
		return port_op(b, INET_DIAG_BC_D_LE, n->host.port);
	case FLT_DEV:
		return bc_op(b, INET_DIAG_BC_DEV_COND, 8, &n->ifindex, 4);
	case FLT_MARK:
		mc.mark = n->mark;
		mc.mask = n->mask;
		return bc_op(b, INET_DIAG_BC_MARK_COND, 4 + sizeof(mc), &mc,
			     sizeof(mc));
	case FLT_CGROUP:
		return bc_op(b, INET_DIAG_BC_CGROUP_COND, 12, &n->cgroup_id, 8);
	case FLT_AUTO:
		return bc_op(b, INET_DIAG_BC_AUTO, 4, NULL, 0);
	default:
		return -EOPNOTSUPP; /* tulpen's words: from the records */
	}
}

int tulpen_filter_compile(const struct tulpen_filter *f, void **bc, size_t *len)
{
	struct bc b = { NULL, 0, 0 };
	int ret;

	*bc = NULL;
	*len = 0;
	if (!f)
		return -EINVAL;
	if (f->user_only)
		return -EOPNOTSUPP;
	ret = compile(&b, f->root, 0);
	if (ret) {
		free(b.buf);
		return ret == -E2BIG ? -EOPNOTSUPP : ret;
	}
	*bc = b.buf;
	*len = b.len;
	return 0;
}

static void ports(const struct flt_node *n, uint16_t *sport, uint16_t *dport)
{
	const struct flt_host *h = &n->host;

	if (n->kind == FLT_AND) {
		ports(n->a, sport, dport);
		ports(n->b, sport, dport);
		return;
	}
	if ((n->kind != FLT_SCOND && n->kind != FLT_DCOND) ||
	    h->family == AF_UNIX || h->port <= 0 ||
	    h->addrs[0].family != AF_UNSPEC || h->addrs[0].bitlen)
		return;
	if (n->kind == FLT_SCOND && !*sport)
		*sport = (uint16_t)h->port;
	if (n->kind == FLT_DCOND && !*dport)
		*dport = (uint16_t)h->port;
}

void tulpen_filter_ports(const struct tulpen_filter *f, uint16_t *sport,
			 uint16_t *dport)
{
	*sport = 0;
	*dport = 0;
	if (f)
		ports(f->root, sport, dport);
}
