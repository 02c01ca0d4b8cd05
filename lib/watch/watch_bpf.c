// SPDX-License-Identifier: MIT
/*
 * watch_bpf.c - the eBPF source of `tulpen watch`: load the tcpstates
 * skeleton (bpf/tcpstates.bpf.c), attach it, read its ring buffer and hand
 * decoded events to a callback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tulpen/watch.h"
#include "tcpstates.h"
#include "tcpstates.skel.h"

#define DEFAULT_RINGBUF (16u << 20)

struct tulpen_watch_bpf {
	struct tcpstates *skel;
	struct ring_buffer *rb;
	int ncpus;
	uint64_t *lost_vals;
	size_t wakeup_bytes;
	/* The callback of the poll in progress. */
	tulpen_watch_cb cb;
	void *cb_data;
	int cb_ret;
	int nevents;
};

static int quiet_print(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	return 0;
}

static void decode(const struct tw_event *e, struct tulpen_watch_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = e->type == TW_EV_OWNER ? TULPEN_WEV_OWNER
					  : TULPEN_WEV_STATE;
	ev->proto = e->protocol == IPPROTO_MPTCP ? TULPEN_P_MPTCP
						 : TULPEN_P_TCP;
	ev->family = e->family;
	ev->oldstate = e->oldstate;
	ev->newstate = e->newstate;
	ev->ts_ns = e->ts_ns;
	ev->cookie = e->cookie;
	ev->in_old_ns = (e->flags & TW_F_IN_OLD) ? (int64_t)e->in_old_ns : -1;
	if (e->flags & TW_F_PARENT)
		ev->parent_cookie = e->parent_cookie;
	ev->timewait = !!(e->flags & TW_F_TIMEWAIT);
	ev->late = !!(e->flags & TW_F_LATE);
	ev->local.port = e->sport;
	ev->peer.port = e->dport;
	memcpy(ev->local.addr.raw, e->saddr, 16);
	memcpy(ev->peer.addr.raw, e->daddr, 16);
	if (e->family == AF_INET) {
		memset(ev->local.addr.raw + 4, 0, 12);
		memset(ev->peer.addr.raw + 4, 0, 12);
	}
	if (e->flags & TW_F_BYTES) {
		ev->has_bytes = 1;
		ev->bytes_acked = e->bytes_acked;
		ev->bytes_received = e->bytes_received;
	}
	if (e->flags & TW_F_OWNER) {
		ev->has_owner = 1;
		ev->pid = (int32_t)e->pid;
		ev->tid = (int32_t)e->tid;
		memcpy(ev->comm, e->comm, sizeof(ev->comm));
		ev->comm[sizeof(ev->comm) - 1] = '\0';
	}
	ev->netns = e->netns;
}

static int on_sample(void *priv, void *data, size_t size)
{
	struct tulpen_watch_bpf *w = priv;
	struct tulpen_watch_event ev;
	int ret;

	if (size < sizeof(struct tw_event))
		return 0;
	decode(data, &ev);
	w->nevents++;
	ret = w->cb(&ev, w->cb_data);
	if (ret) {
		w->cb_ret = ret;
		return -ECANCELED;
	}
	return 0;
}

static int pow2_at_least(size_t v, size_t min)
{
	size_t p = min;

	while (p < v && p < ((size_t)1 << 30))
		p <<= 1;
	return (int)p;
}

int tulpen_watch_bpf_open(struct tulpen_ctx *ctx,
			  const struct tulpen_watch_bpf_opts *opts,
			  struct tulpen_watch_bpf **out)
{
	struct tulpen_watch_bpf_opts def = { 0 };
	struct tulpen_watch_bpf *w;
	int err;

	*out = NULL;
	if (!opts)
		opts = &def;
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		tulpen_ctx_seterr(ctx, "eBPF: no kernel BTF "
				  "(/sys/kernel/btf/vmlinux): %s",
				  strerror(errno));
		return -ENOENT;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	libbpf_set_print(quiet_print);

	w->skel = tcpstates__open();
	if (!w->skel) {
		err = -errno;
		tulpen_ctx_seterr(ctx, "eBPF: cannot open the program: %s",
				  strerror(-err));
		goto fail;
	}
	w->skel->rodata->filter_netns = opts->netns;
	w->skel->rodata->wakeup_bytes = opts->wakeup_bytes;
	w->wakeup_bytes = opts->wakeup_bytes;
	bpf_map__set_max_entries(w->skel->maps.events,
				 pow2_at_least(opts->ringbuf_bytes ?
					       opts->ringbuf_bytes :
					       DEFAULT_RINGBUF, 4096));

	err = tcpstates__load(w->skel);
	if (err) {
		err = err < 0 ? err : -EINVAL;
		if (err == -EPERM)
			tulpen_ctx_seterr(ctx, "eBPF: not permitted to load "
					  "the program (needs root, or "
					  "CAP_BPF and CAP_PERFMON)");
		else
			tulpen_ctx_seterr(ctx, "eBPF: cannot load the "
					  "program: %s", strerror(-err));
		goto fail;
	}
	err = tcpstates__attach(w->skel);
	if (err) {
		err = err < 0 ? err : -EINVAL;
		tulpen_ctx_seterr(ctx, "eBPF: cannot attach the program: %s",
				  strerror(-err));
		goto fail;
	}
	w->rb = ring_buffer__new(bpf_map__fd(w->skel->maps.events), on_sample,
				 w, NULL);
	if (!w->rb) {
		err = -errno;
		tulpen_ctx_seterr(ctx, "eBPF: ring buffer: %s",
				  strerror(-err));
		goto fail;
	}
	w->ncpus = libbpf_num_possible_cpus();
	if (w->ncpus <= 0) {
		err = w->ncpus < 0 ? w->ncpus : -EINVAL;
		tulpen_ctx_seterr(ctx, "eBPF: cannot count CPUs");
		goto fail;
	}
	w->lost_vals = calloc((size_t)w->ncpus, sizeof(*w->lost_vals));
	if (!w->lost_vals) {
		err = -ENOMEM;
		goto fail;
	}
	*out = w;
	return 0;
fail:
	tulpen_watch_bpf_close(w);
	return err;
}

int tulpen_watch_bpf_poll(struct tulpen_watch_bpf *w, int timeout_ms,
			  tulpen_watch_cb cb, void *data)
{
	int err;

	w->cb = cb;
	w->cb_data = data;
	w->cb_ret = 0;
	w->nevents = 0;
	err = ring_buffer__poll(w->rb, timeout_ms);
	/*
	 * With a wake-up threshold, events below it do not wake epoll:
	 * collect them after the timeout.
	 */
	if (err >= 0 && w->wakeup_bytes)
		err = ring_buffer__consume(w->rb);
	if (w->cb_ret)
		return w->cb_ret;
	if (err < 0)
		return err;
	return w->nevents;
}

uint64_t tulpen_watch_bpf_lost(struct tulpen_watch_bpf *w)
{
	uint32_t zero = 0;
	uint64_t sum = 0;
	int i;

	if (bpf_map_lookup_elem(bpf_map__fd(w->skel->maps.lost), &zero,
				w->lost_vals))
		return 0;
	for (i = 0; i < w->ncpus; i++)
		sum += w->lost_vals[i];
	return sum;
}

void tulpen_watch_bpf_close(struct tulpen_watch_bpf *w)
{
	if (!w)
		return;
	ring_buffer__free(w->rb);
	tcpstates__destroy(w->skel);
	free(w->lost_vals);
	free(w);
}
