// SPDX-License-Identifier: MIT
/*
 * nl_dump.c - run one netlink dump request and walk its answer.
 *
 * Messages are walked with libmnl's iterators straight out of the receive
 * buffer: no copy and no allocation per socket.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include "core/ctx_internal.h"
#include "collect/nl_dump.h"

/*
 * mnl_nlmsg_ok() compares the length as a signed int, so a corrupt length
 * above 2 GiB passes it; check it unsigned.
 */
static int msg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len;
}

/* The kernel fills at most 32 KiB per dump datagram; leave room. */
#define DUMP_BUF_SIZE (64 * 1024)

/*
 * Where the datagrams of one dump come from. From the live kernel they are
 * received on a second thread into a small ring of buffers, so the kernel
 * fills the next datagram (most of a listing's time) while this thread
 * parses and formats the last one. Replayed dumps are read in line.
 */
#define NBUF 4

struct feeder {
	const struct tulpen_nl_ops *ops;
	void *priv;
	unsigned int seq;
	int threaded;
	char *buf[NBUF];
	ssize_t len[NBUF];
	unsigned int head, full;
	int reader_done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t tid;
};

/* Whether datagram @buf ends the answer to @seq (DONE, or an error). */
static int ends_dump(const char *buf, ssize_t n, unsigned int seq)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int len = (int)n;

	for (; msg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != seq)
			continue;
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nlh->nlmsg_type == NLMSG_ERROR &&
		    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
		    ((const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))
			    ->error)
			return 1;
	}
	return len > 0; /* a broken datagram: nothing after it counts */
}

static void *reader(void *arg)
{
	struct feeder *f = arg;

	for (;;) {
		unsigned int slot;
		ssize_t n;
		int end;

		pthread_mutex_lock(&f->lock);
		while (f->full == NBUF)
			pthread_cond_wait(&f->cond, &f->lock);
		slot = (f->head + f->full) % NBUF;
		pthread_mutex_unlock(&f->lock);

		n = f->ops->recv(f->priv, f->buf[slot], DUMP_BUF_SIZE);
		end = n <= 0 || ends_dump(f->buf[slot], n, f->seq);

		pthread_mutex_lock(&f->lock);
		f->len[slot] = n;
		f->full++;
		if (end)
			f->reader_done = 1;
		pthread_cond_broadcast(&f->cond);
		pthread_mutex_unlock(&f->lock);
		if (end)
			return NULL;
	}
}

static int feeder_start(struct feeder *f, int live)
{
	int i, nb = live ? NBUF : 1;

	for (i = 0; i < nb; i++) {
		f->buf[i] = malloc(DUMP_BUF_SIZE);
		if (!f->buf[i])
			return -ENOMEM;
	}
	if (!live)
		return 0;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	if (pthread_create(&f->tid, NULL, reader, f) == 0)
		f->threaded = 1;
	else
		f->threaded = 0; /* no thread: read in line */
	return 0;
}

/* The next datagram: its buffer in *@buf, its length (or -errno). */
static ssize_t feeder_next(struct feeder *f, char **buf)
{
	ssize_t n;

	if (!f->threaded) {
		*buf = f->buf[0];
		return f->ops->recv(f->priv, f->buf[0], DUMP_BUF_SIZE);
	}
	pthread_mutex_lock(&f->lock);
	while (!f->full)
		pthread_cond_wait(&f->cond, &f->lock);
	*buf = f->buf[f->head];
	n = f->len[f->head];
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* Done with the datagram feeder_next() gave. */
static void feeder_release(struct feeder *f)
{
	if (!f->threaded)
		return;
	pthread_mutex_lock(&f->lock);
	f->head = (f->head + 1) % NBUF;
	f->full--;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

/* Let the reader reach the end of the dump, then free everything. */
static void feeder_stop(struct feeder *f)
{
	int i;

	if (f->threaded) {
		pthread_mutex_lock(&f->lock);
		for (;;) {
			while (!f->full && !f->reader_done)
				pthread_cond_wait(&f->cond, &f->lock);
			if (!f->full)
				break;
			f->head = (f->head + 1) % NBUF;
			f->full--;
			pthread_cond_broadcast(&f->cond);
		}
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->tid, NULL);
		pthread_mutex_destroy(&f->lock);
		pthread_cond_destroy(&f->cond);
	}
	for (i = 0; i < NBUF; i++)
		free(f->buf[i]);
}

/*
 * The messages of one datagram of our dump. Returns 1 when the dump is
 * over (its end, an error, or a stream that cannot be trusted any more),
 * else 0; *@ret and *@stopped carry the outcome for tulpen_nl_dump():
 * after the callback stops, the rest of the dump is read and dropped.
 */
static int walk_datagram(struct tulpen_ctx *ctx, const char *buf, int len,
			 unsigned int seq, tulpen_nl_msg_cb cb, void *data,
			 int *stopped, int *ret)
{
	const struct nlmsghdr *nlh;

	ctx->nl_batch++; /* one datagram: one of the kernel's dump chunks */
	for (nlh = (const struct nlmsghdr *)buf; msg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != seq)
			continue; /* an older, abandoned answer */
		if (nlh->nlmsg_type == NLMSG_DONE) {
			/* a dump that failed says so here */
			if (!*stopped &&
			    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
				const int *e = mnl_nlmsg_get_payload(nlh);

				if (*e < 0)
					*ret = *e;
			}
			return 1;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e;

			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
				*ret = -EBADMSG;
				return 1;
			}
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error == 0)
				continue; /* an ack */
			if (!*stopped)
				*ret = e->error < 0 ? e->error : -e->error;
			return 1;
		}
		if (*stopped)
			continue;
		*ret = cb(nlh, data);
		if (*ret) {
			if (*ret == -EBADMSG)
				tulpen_ctx_seterr(ctx,
						  "malformed sock_diag message "
						  "(type %u, length %u)",
						  nlh->nlmsg_type,
						  nlh->nlmsg_len);
			*stopped = 1;
		}
	}
	if (len > 0 && !*stopped) {
		*ret = -EBADMSG;
		tulpen_ctx_seterr(ctx,
				  "truncated netlink message "
				  "(%d bytes left over)",
				  len);
		*stopped = 1;
	}
	/* cannot trust the stream: stop now */
	return *stopped && *ret == -EBADMSG;
}

int tulpen_nl_dump(struct tulpen_ctx *ctx, struct nlmsghdr *req,
		   tulpen_nl_msg_cb cb, void *data)
{
	struct feeder f = { 0 };
	const struct tulpen_nl_ops *ops;
	void *priv;
	int stopped = 0, started = 0, ret;
	unsigned int seq;

	ret = tulpen_ctx_nl(ctx, &ops, &priv);
	if (ret)
		return ret;
	seq = ++ctx->nl_seq;
	req->nlmsg_seq = seq;
	ret = ops->send(priv, req, req->nlmsg_len);
	if (ret)
		return ret;
	f.ops = ops;
	f.priv = priv;
	f.seq = seq;
	ret = feeder_start(&f, ctx->nl_is_live && !ctx->nl_inline);
	started = 1;
	if (ret)
		goto out;

	for (;; feeder_release(&f)) {
		char *buf;
		ssize_t n = feeder_next(&f, &buf);

		if (n < 0) {
			if (stopped)
				goto out; /* keep the callback's value */
			ret = (int)n;
			if (ret == -ENODATA)
				tulpen_ctx_seterr(ctx, "netlink recording ends "
						       "before the dump does");
			goto out;
		}
		if (n == 0) {
			ret = -EBADMSG;
			tulpen_ctx_seterr(ctx, "empty netlink datagram");
			goto out;
		}
		if (walk_datagram(ctx, buf, (int)n, seq, cb, data, &stopped,
				  &ret))
			goto out;
	}
out:
	if (started)
		feeder_stop(&f);
	return ret;
}
