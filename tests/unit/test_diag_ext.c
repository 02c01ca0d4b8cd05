// SPDX-License-Identifier: MIT
/*
 * Unit tests: the sock_diag extras (tcp_info by length, the congestion
 * control, socket memory, socket options) decoded from messages built here
 * as the kernel lays them out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <libmnl/libmnl.h>
#include <cmocka.h>

#include "tulpen/collect.h"
#include "tulpen/skmem.h"
#include "tulpen/tcp_info.h"
#include "collect/nl_dump.h"

static char buf[4096];

/* An inet_diag message for an established IPv4 TCP socket. */
static struct nlmsghdr *inet_msg(void)
{
	struct nlmsghdr *nlh;
	struct inet_diag_msg *m;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->idiag_family = AF_INET;
	m->idiag_state = 1;
	m->idiag_inode = 4242;
	mnl_attr_put_u8(nlh, INET_DIAG_SHUTDOWN, 0);
	return nlh;
}

/* A kernel tcp_info of @len bytes with recognisable values at offsets. */
static void put_info(struct nlmsghdr *nlh, size_t len)
{
	uint8_t k[300];
	uint32_t v;
	uint64_t w;

	memset(k, 0, sizeof(k));
	k[0] = 1;    /* state */
	k[6] = 0x79; /* snd_wscale 9, rcv_wscale 7 */
	k[7] = 1;    /* delivery_rate_app_limited */
	v = 204000;  /* rto */
	memcpy(k + 8, &v, 4);
	v = 1448; /* snd_mss */
	memcpy(k + 16, &v, 4);
	v = 65536; /* pmtu: offset 8 + 4 * 13 */
	memcpy(k + 60, &v, 4);
	v = 10; /* snd_cwnd: offset 8 + 4 * 18 */
	memcpy(k + 80, &v, 4);
	w = 123456789ull; /* pacing_rate */
	memcpy(k + 104, &w, 8);
	w = 777; /* delivery_rate */
	memcpy(k + 160, &w, 8);
	v = 65483; /* snd_wnd */
	memcpy(k + 228, &v, 4);
	v = 31; /* total_rto_time */
	memcpy(k + 244, &v, 4);
	mnl_attr_put(nlh, INET_DIAG_INFO, len, k);
}

static void test_tcp_info_lengths(void **state)
{
	static const size_t lens[] = { 112, 160, 168, 232, 248, 300 };
	struct tulpen_diag_store st;
	struct tulpen_sock s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct nlmsghdr *nlh = inet_msg();
		const struct tulpen_tcp_info *ti;

		put_info(nlh, lens[i]);
		mnl_attr_put_strz(nlh, INET_DIAG_CONG, "cubic");
		assert_int_equal(
			tulpen_inet_diag_parse_ext(nlh, TULPEN_P_TCP, &s, &st),
			0);
		ti = s.tcp_info;
		assert_non_null(ti);
		assert_int_equal(ti->kernel_len, lens[i]);
		assert_int_equal(ti->snd_wscale, 9);
		assert_int_equal(ti->rcv_wscale, 7);
		assert_int_equal(ti->delivery_rate_app_limited, 1);
		assert_int_equal(ti->rto, 204000);
		assert_int_equal(ti->snd_mss, 1448);
		assert_int_equal(ti->pmtu, 65536);
		assert_int_equal(ti->snd_cwnd, 10);
		assert_int_equal(ti->pacing_rate, 123456789ull);
		assert_string_equal(ti->cong, "cubic");
		/* fields past the kernel's length stay 0 */
		assert_int_equal(ti->delivery_rate, lens[i] >= 168 ? 777 : 0);
		assert_int_equal(ti->snd_wnd, lens[i] >= 232 ? 65483 : 0);
		assert_int_equal(ti->total_rto_time, lens[i] >= 248 ? 31 : 0);
		assert_int_equal(tulpen_tcp_info_has(ti, snd_wnd),
				 lens[i] >= 232);
		assert_null(s.skmem);
	}
}

static void test_not_asked(void **state)
{
	struct nlmsghdr *nlh = inet_msg();
	struct tulpen_sock s;

	(void)state;
	put_info(nlh, 232);
	/* without a store the extras are left out */
	assert_int_equal(tulpen_inet_diag_parse(nlh, TULPEN_P_TCP, &s), 0);
	assert_null(s.tcp_info);
	assert_null(s.skmem);
	assert_int_equal(s.inode, 4242);
}

static void test_cc_and_skmem(void **state)
{
	struct tcp_bbr_info bbr = { 0x89abcdef, 0x1, 5000, 739, 512 };
	uint32_t mem[SK_MEMINFO_VARS] = { 1, 131072, 3, 87040, 5, 6, 7, 8, 9 };
	uint8_t opt[2] = { 0x03, 0x01 }; /* recverr, is_icsk; bind_no_port */
	struct nlmsghdr *nlh = inet_msg();
	struct tulpen_diag_store st;
	struct tulpen_sock s;

	(void)state;
	put_info(nlh, 232);
	mnl_attr_put_strz(nlh, INET_DIAG_CONG, "bbr");
	mnl_attr_put(nlh, INET_DIAG_BBRINFO, sizeof(bbr), &bbr);
	mnl_attr_put(nlh, INET_DIAG_SKMEMINFO, sizeof(mem), mem);
	mnl_attr_put(nlh, INET_DIAG_SOCKOPT, sizeof(opt), opt);
	mnl_attr_put_u8(nlh, INET_DIAG_TOS, 0x10);
	assert_int_equal(tulpen_inet_diag_parse_ext(nlh, TULPEN_P_TCP, &s, &st),
			 0);
	assert_int_equal(s.tcp_info->cc_kind, TULPEN_CC_BBR);
	assert_int_equal(s.tcp_info->cc.bbr.bw, 0x189abcdefull);
	assert_int_equal(s.tcp_info->cc.bbr.min_rtt, 5000);
	assert_int_equal(s.tcp_info->cc.bbr.pacing_gain, 739);
	assert_non_null(s.skmem);
	assert_int_equal(s.skmem->count, 9);
	assert_int_equal(s.skmem->rcvbuf, 131072);
	assert_int_equal(s.skmem->sndbuf, 87040);
	assert_int_equal(s.skmem->drops, 9);
	assert_true(s.has_sockopt);
	assert_int_equal(s.sockopt,
			 TULPEN_SOCKOPT_RECVERR | TULPEN_SOCKOPT_IS_ICSK |
				 TULPEN_SOCKOPT_BIND_ADDRESS_NO_PORT);
	assert_true(s.has_tos);
	assert_int_equal(s.tos, 0x10);
}

static void test_short_skmem_and_mptcp(void **state)
{
	uint32_t mem[7] = { 1, 2, 3, 4, 5, 6, 7 };
	struct nlmsghdr *nlh = inet_msg();
	struct tulpen_diag_store st;
	struct tulpen_sock s;

	(void)state;
	put_info(nlh, 232);
	mnl_attr_put(nlh, INET_DIAG_SKMEMINFO, sizeof(mem), mem);
	/* MPTCP's INET_DIAG_INFO is struct mptcp_info, not tcp_info */
	assert_int_equal(
		tulpen_inet_diag_parse_ext(nlh, TULPEN_P_MPTCP, &s, &st), 0);
	assert_null(s.tcp_info);
	assert_non_null(s.mptcp_info); /* its own struct, by length */
	assert_int_equal(s.mptcp_info->kernel_len, 232);
	assert_int_equal(s.skmem->count, 7);
	assert_int_equal(s.skmem->optmem, 7);
	assert_int_equal(s.skmem->backlog, 0);
}

static void test_unix_meminfo(void **state)
{
	uint32_t mem[SK_MEMINFO_VARS] = { 0, 212992, 0, 212992, 0, 0, 0, 0, 0 };
	struct tulpen_diag_store st;
	struct unix_diag_msg *m;
	struct nlmsghdr *nlh;
	struct tulpen_sock s;
	char path[112];

	(void)state;
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->udiag_family = AF_UNIX;
	m->udiag_type = SOCK_STREAM;
	m->udiag_state = 10;
	mnl_attr_put(nlh, UNIX_DIAG_MEMINFO, sizeof(mem), mem);
	assert_int_equal(
		tulpen_unix_diag_parse_ext(nlh, &s, path, sizeof(path), &st),
		0);
	assert_non_null(s.skmem);
	assert_int_equal(s.skmem->rcvbuf, 212992);
	assert_int_equal(tulpen_unix_diag_parse(nlh, &s, path, sizeof(path)),
			 0);
	assert_null(s.skmem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_info_lengths),
		cmocka_unit_test(test_not_asked),
		cmocka_unit_test(test_cc_and_skmem),
		cmocka_unit_test(test_short_skmem_and_mptcp),
		cmocka_unit_test(test_unix_meminfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
