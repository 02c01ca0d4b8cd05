// SPDX-License-Identifier: MIT
/*
 * Unit tests: the sock_diag parsers over a netlink dump recorded from a
 * real kernel (tests/fixtures/netlink/basic.nlrec, made in a private
 * network namespace with `tulpen -tuxan --nl-record`), and over damaged
 * copies of it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>
#include <cmocka.h>

#include "tulpen/collect.h"
#include "tulpen/state.h"

#define FIXTURE "fixtures/netlink/basic.nlrec"

struct tally {
	int n, listen, estab, unconn, unix_listen, v6;
	uint32_t recvq_total;
};

static int count(const struct tulpen_sock *s, void *data)
{
	struct tally *t = data;

	t->n++;
	assert_int_equal(s->source, TULPEN_SRC_NETLINK);
	assert_true(s->has_cookie);
	if (s->proto == TULPEN_P_UNIX) {
		t->unix_listen += s->state == TULPEN_TCP_LISTEN;
		assert_string_equal(s->unix_path, "@tulpen-nl");
		return 0;
	}
	t->listen += s->state == TULPEN_TCP_LISTEN;
	t->estab += s->state == TULPEN_TCP_ESTABLISHED;
	t->unconn += s->state == TULPEN_TCP_CLOSE;
	t->v6 += s->family == AF_INET6;
	t->recvq_total += s->state == TULPEN_TCP_LISTEN ? 0 : s->rqueue;
	return 0;
}

static int count_any(const struct tulpen_sock *s, void *data)
{
	/* whatever parsed must be a sane record */
	assert_true(s->family == AF_INET || s->family == AF_INET6 ||
		    s->family == AF_UNIX);
	assert_true(s->state < TULPEN_TCP_MAX_STATES);
	(void)data;
	return 0;
}

static const struct tulpen_query q = {
	.protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_UDP) |
		  TULPEN_PF(TULPEN_P_UNIX),
	.families = TULPEN_FAM_ALL,
	.states = TULPEN_SF_ALL,
};

static void replays_recorded_dump(void **unused)
{
	struct tulpen_ctx *ctx;
	struct tally t = { 0 };

	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	tulpen_ctx_set_source(ctx, TULPEN_SOURCE_NETLINK);
	assert_int_equal(tulpen_ctx_nl_replay(ctx, FIXTURE), 0);
	assert_int_equal(tulpen_collect(ctx, &q, count, &t), 0);
	assert_int_equal(t.n, 6);
	assert_int_equal(t.listen, 2);
	assert_int_equal(t.estab, 2);
	assert_int_equal(t.unconn, 1);
	assert_int_equal(t.unix_listen, 1);
	assert_int_equal(t.v6, 1);
	assert_int_equal(t.recvq_total, 100);
	tulpen_ctx_free(ctx);
}

/*
 * The dump is not atomic: a socket may come twice (here: the first
 * datagram of the recording twice). Listed once, by cookie.
 */
static void duplicates_listed_once(void **unused)
{
	const char *tmp = "/tmp/tulpen-dup.nlrec";
	FILE *in = fopen(FIXTURE, "rb"), *o = fopen(tmp, "wb");
	unsigned char len4[4], *first;
	struct tulpen_ctx *ctx;
	struct tally t = { 0 };
	uint32_t len;
	int c;

	assert_non_null(in);
	assert_non_null(o);
	assert_int_equal(fread(len4, 1, 4, in), 4);
	len = (uint32_t)len4[0] | (uint32_t)len4[1] << 8 |
	      (uint32_t)len4[2] << 16 | (uint32_t)len4[3] << 24;
	first = malloc(len);
	assert_non_null(first);
	assert_int_equal(fread(first, 1, len, in), len);
	fwrite(len4, 1, 4, o);
	fwrite(first, 1, len, o);
	fwrite(len4, 1, 4, o);
	fwrite(first, 1, len, o);
	while ((c = fgetc(in)) != EOF)
		fputc(c, o);
	fclose(in);
	fclose(o);
	free(first);
	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	tulpen_ctx_set_source(ctx, TULPEN_SOURCE_NETLINK);
	assert_int_equal(tulpen_ctx_nl_replay(ctx, tmp), 0);
	assert_int_equal(tulpen_collect(ctx, &q, count, &t), 0);
	assert_int_equal(t.n, 6);
	assert_int_equal(t.listen, 2);
	assert_int_equal(t.estab, 2);
	tulpen_ctx_free(ctx);
	remove(tmp);
}

static int copy_damaged(const char *out, long cut, long flip)
{
	FILE *in = fopen(FIXTURE, "rb"), *o = fopen(out, "wb");
	long i = 0;
	int c;

	assert_non_null(in);
	assert_non_null(o);
	while ((c = fgetc(in)) != EOF && (cut < 0 || i < cut)) {
		if (i == flip)
			c ^= 0xff;
		fputc(c, o);
		i++;
	}
	fclose(in);
	fclose(o);
	return 0;
}

/* Every truncation and every flipped byte: an error or records, no crash. */
static void damaged_recordings_fail_cleanly(void **unused)
{
	const char *tmp = "/tmp/tulpen-damaged.nlrec";
	struct stat st;
	long i;

	assert_int_equal(stat(FIXTURE, &st), 0);
	for (i = 0; i < (long)st.st_size; i += 7) {
		struct tulpen_ctx *ctx;
		struct tally t = { 0 };
		int ret;

		copy_damaged(tmp, i, -1);
		assert_int_equal(tulpen_ctx_new(&ctx), 0);
		tulpen_ctx_set_source(ctx, TULPEN_SOURCE_NETLINK);
		assert_int_equal(tulpen_ctx_nl_replay(ctx, tmp), 0);
		ret = tulpen_collect(ctx, &q, count, &t);
		assert_true(ret < 0); /* a cut recording never "succeeds" */
		tulpen_ctx_free(ctx);
	}
	for (i = 0; i < (long)st.st_size; i += 3) {
		struct tulpen_ctx *ctx;

		copy_damaged(tmp, -1, i);
		assert_int_equal(tulpen_ctx_new(&ctx), 0);
		tulpen_ctx_set_source(ctx, TULPEN_SOURCE_NETLINK);
		assert_int_equal(tulpen_ctx_nl_replay(ctx, tmp), 0);
		/* flipped bytes may still parse: only require no crash */
		(void)tulpen_collect(ctx, &q, count_any, NULL);
		tulpen_ctx_free(ctx);
	}
	remove(tmp);
}

static int count_proc(const struct tulpen_sock *s, void *data)
{
	int *n = data;

	assert_int_equal(s->source, TULPEN_SRC_PROC);
	(*n)++;
	return 0;
}

/*
 * A kernel without a diag handler answers a dump with NLMSG_DONE carrying
 * -ENOENT: with the automatic source, /proc/net is read instead; with
 * netlink forced, the error comes back.
 */
static void done_with_error_falls_back(void **unused)
{
	const char *tmp = "/tmp/tulpen-enoent.nlrec";
	unsigned char rec[4 + 20] = { 20, 0, 0, 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)(rec + 4);
	struct tulpen_query tq = { .protos = TULPEN_PF(TULPEN_P_TCP),
				   .families = TULPEN_FAM_INET,
				   .states = TULPEN_SF_ALL };
	struct tulpen_ctx *ctx;
	int err = -ENOENT, n = 0;
	FILE *f;

	nlh->nlmsg_len = 20;
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 1;
	memcpy(rec + 4 + 16, &err, 4);
	f = fopen(tmp, "wb");
	assert_non_null(f);
	fwrite(rec, sizeof(rec), 1, f);
	fclose(f);

	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	assert_int_equal(tulpen_ctx_set_proc_root(ctx, "fixtures/proc/basic"),
			 0);
	assert_int_equal(tulpen_ctx_nl_replay(ctx, tmp), 0);
	assert_int_equal(tulpen_collect(ctx, &tq, count_proc, &n), 0);
	assert_int_equal(n, 3); /* the fixture's three IPv4 TCP sockets */
	tulpen_ctx_free(ctx);

	assert_int_equal(tulpen_ctx_new(&ctx), 0);
	tulpen_ctx_set_source(ctx, TULPEN_SOURCE_NETLINK);
	assert_int_equal(tulpen_ctx_nl_replay(ctx, tmp), 0);
	assert_int_equal(tulpen_collect(ctx, &tq, count_proc, &n), -ENOENT);
	tulpen_ctx_free(ctx);
	remove(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replays_recorded_dump),
		cmocka_unit_test(duplicates_listed_once),
		cmocka_unit_test(damaged_recordings_fail_cleanly),
		cmocka_unit_test(done_with_error_falls_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
