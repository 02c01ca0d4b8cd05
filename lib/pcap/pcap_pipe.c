// SPDX-License-Identifier: MIT
/*
 * pcap_pipe.c - a capture read in two threads (pcap_pipe.h): the reader
 * thread fills batches of decoded segments, the caller's thread empties
 * them in order. One mutex, two conditions; they are taken once a batch.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/cpus.h"
#include "pcap/pcap_pipe.h"

struct batch {
	size_t n;
	struct tulpen_pkt pkt[PCAP_PIPE_BATCH];
	struct seg_key key[PCAP_PIPE_BATCH];
};

struct pcap_pipe {
	pthread_mutex_t mu;
	pthread_cond_t can_fill; /* a slot was emptied, or stop */
	pthread_cond_t can_take; /* a batch was filled */
	struct tulpen_pcap_reader *rd;
	size_t filled, taken; /* batches, counted from the run's start */
	int end;	      /* the reader is done: end_ret said why */
	int end_ret;
	int stop; /* the caller stopped: the reader must stop too */
	/* Who sleeps: a wake-up is a system call, and a switch for both. */
	int fill_waits, take_waits;
	struct batch b[PCAP_PIPE_SLOTS];
};

int pcap_pipe_cpus_ok(void)
{
	return tulpen_cpus_usable() >= 2;
}

int pcap_pipe_new(struct pcap_pipe **out)
{
	struct pcap_pipe *pp = calloc(1, sizeof(*pp));
	int ret;

	if (!pp)
		return -ENOMEM;
	ret = pthread_mutex_init(&pp->mu, NULL);
	if (ret)
		goto fail_mu;
	ret = pthread_cond_init(&pp->can_fill, NULL);
	if (ret)
		goto fail_fill;
	ret = pthread_cond_init(&pp->can_take, NULL);
	if (ret)
		goto fail_take;
	*out = pp;
	return 0;
fail_take:
	pthread_cond_destroy(&pp->can_fill);
fail_fill:
	pthread_mutex_destroy(&pp->mu);
fail_mu:
	free(pp);
	return -ret;
}

/* The reader thread: fill the next free slot until the end or a stop. */
static void *reader(void *arg)
{
	struct pcap_pipe *pp = arg;
	struct batch *b;
	int r = 0;

	for (;;) {
		pthread_mutex_lock(&pp->mu);
		while (pp->filled - pp->taken == PCAP_PIPE_SLOTS && !pp->stop) {
			pp->fill_waits = 1;
			pthread_cond_wait(&pp->can_fill, &pp->mu);
		}
		pp->fill_waits = 0;
		if (pp->stop) {
			pthread_mutex_unlock(&pp->mu);
			return NULL;
		}
		b = &pp->b[pp->filled % PCAP_PIPE_SLOTS];
		pthread_mutex_unlock(&pp->mu);
		/* The slot is this thread's until filled is raised. */
		b->n = 0;
		while (b->n < PCAP_PIPE_BATCH &&
		       (r = tulpen_pcap_next(pp->rd, &b->pkt[b->n])) == 1) {
			pcap_seg_key(&b->pkt[b->n], &b->key[b->n]);
			b->n++;
		}
		pthread_mutex_lock(&pp->mu);
		pp->filled++;
		if (b->n < PCAP_PIPE_BATCH) {
			pp->end = 1;
			pp->end_ret = r;
		}
		if (pp->take_waits)
			pthread_cond_signal(&pp->can_take);
		pthread_mutex_unlock(&pp->mu);
		if (b->n < PCAP_PIPE_BATCH)
			return NULL;
	}
}

/* The next filled batch; *@last: it is the reader's last one. */
static struct batch *take(struct pcap_pipe *pp, int *last, int *end_ret)
{
	struct batch *b;

	pthread_mutex_lock(&pp->mu);
	while (pp->filled == pp->taken) {
		pp->take_waits = 1;
		pthread_cond_wait(&pp->can_take, &pp->mu);
	}
	pp->take_waits = 0;
	b = &pp->b[pp->taken % PCAP_PIPE_SLOTS];
	*last = pp->end && pp->filled == pp->taken + 1;
	*end_ret = pp->end_ret;
	pthread_mutex_unlock(&pp->mu);
	return b;
}

static void release(struct pcap_pipe *pp, int stop)
{
	pthread_mutex_lock(&pp->mu);
	pp->taken++;
	pp->stop |= stop;
	/* A full ring wakes its reader when half of it is free again. */
	if (pp->fill_waits &&
	    (pp->stop || pp->filled - pp->taken <= PCAP_PIPE_SLOTS / 2))
		pthread_cond_signal(&pp->can_fill);
	pthread_mutex_unlock(&pp->mu);
}

int pcap_pipe_run(struct pcap_pipe *pp, struct tulpen_pcap_reader *rd,
		  pcap_pipe_seg_fn seg, void *priv)
{
	struct batch *b;
	pthread_t th;
	int last, end_ret, r = 0;
	size_t i;

	pp->rd = rd;
	pp->filled = pp->taken = 0;
	pp->end = pp->stop = 0;
	pp->fill_waits = pp->take_waits = 0;
	pp->end_ret = 0;
	if (pthread_create(&th, NULL, reader, pp))
		return -EAGAIN;
	for (;;) {
		b = take(pp, &last, &end_ret);
		for (i = 0; i < b->n; i++) {
			r = seg(priv, &b->pkt[i], &b->key[i]);
			if (r < 0)
				break;
		}
		release(pp, r < 0);
		if (r < 0)
			break;
		if (last) {
			r = end_ret;
			break;
		}
	}
	pthread_join(th, NULL);
	pp->rd = NULL;
	return r;
}

void pcap_pipe_free(struct pcap_pipe *pp)
{
	if (!pp)
		return;
	pthread_cond_destroy(&pp->can_take);
	pthread_cond_destroy(&pp->can_fill);
	pthread_mutex_destroy(&pp->mu);
	free(pp);
}
