// SPDX-License-Identifier: MIT
/*
 * explain_state.c - explain a TCP state (TIME-WAIT unless one is named on
 * the command line) with this host's timers and how many sockets are in it
 * now, as `tulpen explain` does. Uses only the installed API:
 *
 *	cc explain_state.c $(pkg-config --cflags --libs tulpen)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tulpen/tulpen.h>

static int to_stdout(void *priv, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, priv) == len ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	const char *word = argc > 1 ? argv[1] : "time-wait";
	struct tulpen_explain_opts eo = { .host = NULL, .count = -1 };
	struct tulpen_host_tcp host;
	struct tulpen_ctx *ctx = NULL;
	struct tulpen_buf b;
	uint64_t n;
	int state, ret;

	if (tulpen_state_parse_one(word, &state)) {
		fprintf(stderr, "explain_state: not a TCP state: %s\n", word);
		return 2;
	}
	printf("libtulpen %s\n\n", tulpen_version());
	ret = tulpen_ctx_new(&ctx);
	if (ret)
		goto out;
	/* Without the sysctls or netlink the text says less, but it works. */
	if (!tulpen_host_tcp_read(ctx, &host))
		eo.host = &host;
	if (!tulpen_explain_count(ctx, state, &n))
		eo.count = (long long)n;
	ret = tulpen_buf_init(&b, 0, to_stdout, stdout);
	if (ret)
		goto out;
	ret = tulpen_explain_text(&b, state, &eo);
	if (!ret)
		ret = tulpen_buf_flush(&b);
	tulpen_buf_fini(&b);
out:
	if (ret)
		fprintf(stderr, "explain_state: %s\n", strerror(-ret));
	tulpen_ctx_free(ctx);
	return ret ? 1 : 0;
}
