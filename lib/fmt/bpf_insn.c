// SPDX-License-Identifier: MIT
/*
 * bpf_insn.c - a packet socket's classic BPF filter (ss -b): its
 * instructions one by one, and a readable listing of them in the
 * mnemonics of tcpdump -d ("ldh [12]; jeq #0x800 jt 2 jf 5; ret #65535"),
 * jump targets as instruction numbers.
 */
#include <string.h>
#include <linux/filter.h>

#include "fmt/fmt_internal.h"

void tulpen_bpf_insn_at(const struct tulpen_sock *s, uint32_t i,
			struct tulpen_bpf_insn *in)
{
	struct sock_filter f;

	memcpy(&f, (const char *)s->pk.filter + (size_t)i * sizeof(f),
	       sizeof(f));
	in->code = f.code;
	in->jt = f.jt;
	in->jf = f.jf;
	in->k = f.k;
}

static const char *ld_size(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_H:
		return "h";
	case BPF_B:
		return "b";
	default:
		return "";
	}
}

/* ld, ldx: the operand by mode. */
static void put_load(struct tulpen_buf *b, const struct tulpen_bpf_insn *in)
{
	const char *op = BPF_CLASS(in->code) == BPF_LDX ? "ldx" : "ld";

	switch (BPF_MODE(in->code)) {
	case BPF_IMM:
		tulpen_buf_printf(b, "%s #0x%x", op, in->k);
		break;
	case BPF_ABS:
		tulpen_buf_printf(b, "%s%s [%u]", op, ld_size(in->code), in->k);
		break;
	case BPF_IND:
		tulpen_buf_printf(b, "%s%s [x + %u]", op, ld_size(in->code),
				  in->k);
		break;
	case BPF_MEM:
		tulpen_buf_printf(b, "%s M[%u]", op, in->k);
		break;
	case BPF_LEN:
		tulpen_buf_printf(b, "%s #pktlen", op);
		break;
	case BPF_MSH:
		tulpen_buf_printf(b, "ldxb 4*([%u]&0xf)", in->k);
		break;
	default:
		tulpen_buf_printf(b, "unknown 0x%02x", in->code);
	}
}

static void put_alu(struct tulpen_buf *b, const struct tulpen_bpf_insn *in)
{
	static const char *const ops[] = {
		[BPF_ADD >> 4] = "add", [BPF_SUB >> 4] = "sub",
		[BPF_MUL >> 4] = "mul", [BPF_DIV >> 4] = "div",
		[BPF_OR >> 4] = "or",	[BPF_AND >> 4] = "and",
		[BPF_LSH >> 4] = "lsh", [BPF_RSH >> 4] = "rsh",
		[BPF_NEG >> 4] = "neg", [BPF_MOD >> 4] = "mod",
		[BPF_XOR >> 4] = "xor",
	};
	unsigned int op = BPF_OP(in->code) >> 4;

	if (op >= sizeof(ops) / sizeof(ops[0]) || !ops[op])
		tulpen_buf_printf(b, "unknown 0x%02x", in->code);
	else if (BPF_OP(in->code) == BPF_NEG)
		tulpen_buf_puts(b, "neg");
	else if (BPF_SRC(in->code) == BPF_X)
		tulpen_buf_printf(b, "%s x", ops[op]);
	else
		tulpen_buf_printf(b, "%s #0x%x", ops[op], in->k);
}

static void put_jump(struct tulpen_buf *b, const struct tulpen_bpf_insn *in,
		     uint32_t pc)
{
	static const char *const ops[] = {
		[BPF_JEQ >> 4] = "jeq",
		[BPF_JGT >> 4] = "jgt",
		[BPF_JGE >> 4] = "jge",
		[BPF_JSET >> 4] = "jset",
	};
	unsigned int op = BPF_OP(in->code) >> 4;

	if (BPF_OP(in->code) == BPF_JA) {
		tulpen_buf_printf(b, "ja %llu",
				  (unsigned long long)pc + 1 + in->k);
		return;
	}
	if (op >= sizeof(ops) / sizeof(ops[0]) || !ops[op]) {
		tulpen_buf_printf(b, "unknown 0x%02x", in->code);
		return;
	}
	if (BPF_SRC(in->code) == BPF_X)
		tulpen_buf_printf(b, "%s x", ops[op]);
	else
		tulpen_buf_printf(b, "%s #0x%x", ops[op], in->k);
	tulpen_buf_printf(b, " jt %u jf %u", pc + 1 + in->jt, pc + 1 + in->jf);
}

static void put_insn(struct tulpen_buf *b, const struct tulpen_bpf_insn *in,
		     uint32_t pc)
{
	switch (BPF_CLASS(in->code)) {
	case BPF_LD:
	case BPF_LDX:
		put_load(b, in);
		break;
	case BPF_ST:
		tulpen_buf_printf(b, "st M[%u]", in->k);
		break;
	case BPF_STX:
		tulpen_buf_printf(b, "stx M[%u]", in->k);
		break;
	case BPF_ALU:
		put_alu(b, in);
		break;
	case BPF_JMP:
		put_jump(b, in, pc);
		break;
	case BPF_RET:
		if (BPF_RVAL(in->code) == BPF_K)
			tulpen_buf_printf(b, "ret #%u", in->k);
		else
			tulpen_buf_puts(b, BPF_RVAL(in->code) == BPF_X
						   ? "ret x"
						   : "ret a");
		break;
	default: /* BPF_MISC */
		if (BPF_MISCOP(in->code) == BPF_TAX)
			tulpen_buf_puts(b, "tax");
		else
			tulpen_buf_puts(b, "txa");
	}
}

int tulpen_bpf_listing(struct tulpen_buf *b, const struct tulpen_sock *s)
{
	struct tulpen_bpf_insn in;
	uint32_t i;

	for (i = 0; i < s->pk.nfilter; i++) {
		if (i)
			tulpen_buf_puts(b, "; ");
		tulpen_bpf_insn_at(s, i, &in);
		put_insn(b, &in, i);
	}
	return b->err;
}
