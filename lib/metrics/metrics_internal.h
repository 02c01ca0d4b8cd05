/* SPDX-License-Identifier: MIT */
/*
 * metrics/metrics_internal.h - what the collector, the kernel counters
 * and the renderer share. Not installed.
 *
 * A snapshot is everything one scrape renders, in fixed-size storage
 * allocated once: the collector fills a private one while unlocked and
 * publishes it by swapping pointers under the lock, so renderers never see
 * one half written and memory stays flat between scrapes.
 *
 * Ownership: the caches, the walk's counts (tm_acc), the split and the
 * namespace walk are embedded in struct tulpen_metrics; each _init() sets
 * one up (zeroed memory is a valid "not set up"), its _fini() releases
 * what it holds and may be called again. Only the collecting thread uses
 * them, and the threads they start (tm_bg) are joined before their
 * results are read.
 */
#ifndef TULPEN_METRICS_INTERNAL_H
#define TULPEN_METRICS_INTERNAL_H

#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "tulpen/metrics.h"
#include "tulpen/owners.h"
#include "tulpen/sock.h"
#include "tulpen/state.h"
#include "tulpen/watch_counts.h"
#include "core/hash.h"

/* Family slots: the JSON vocabulary's names. */
enum { TM_INET, TM_INET6, TM_UNIX, TM_FAMS };

/* The kernel counters tulpen exports (kstats.c has the table). */
enum tm_kfile { TM_KF_NETSTAT, TM_KF_SNMP };

struct tm_kcounter {
	enum tm_kfile file;
	const char *section; /* "TcpExt", "Tcp" */
	const char *key;     /* "ListenOverflows" */
	const char *metric;  /* family name without _total */
	const char *label;   /* 'reason="data"' or NULL */
	const char *help;    /* once per family: the first entry's */
};

extern const struct tm_kcounter tm_kcounters[];
extern const size_t tm_nkcounters;

#define TM_KMAX 64 /* >= tm_nkcounters (checked in kstats.c) */

struct tm_kstats {
	uint64_t value[TM_KMAX];
	uint8_t have[TM_KMAX];
	int have_sockstat;
	uint64_t tcp_orphans;
	uint64_t tcp_mem_bytes;
	int have_port_range;
	uint32_t port_lo, port_hi;
};

/*
 * bg.c: one job at a time on a thread of its own. Only the thread that
 * starts jobs polls and joins them; once tm_bg_finished() said 1 (or
 * tm_bg_join() returned) it may read what the job wrote, without a lock.
 */
struct tm_bg {
	struct tulpen_ctx *ctx; /* the jobs' own */
	pthread_mutex_t lock;
	pthread_t thread;
	int inited;
	int running;	/* started, not joined yet */
	int done;	/* under @lock: the job has returned */
	double started; /* tm_mono_s() when the last job started; 0: none */
	void (*fn)(void *arg);
	void *arg;
};

/* With a context for the jobs reading @proc_root (b->ctx). */
int tm_bg_init(struct tm_bg *b, const char *proc_root);
/* Waits for a running job; frees the context. */
void tm_bg_fini(struct tm_bg *b);
/* 0, -EBUSY while one runs, or -errno of pthread_create(). */
int tm_bg_start(struct tm_bg *b, void (*fn)(void *arg), void *arg);
/* 1 when the running job has returned (it is joined now), else 0. */
int tm_bg_finished(struct tm_bg *b);
/* Wait for the running job, if any. */
void tm_bg_join(struct tm_bg *b);

/*
 * doctor_cache.c: tulpen doctor on a thread of its own every every_ms
 * (0: never); the counts of the last finished run by kind (in
 * tulpen_doctor_kinds() order) and severity (notice, warning, critical).
 */
#define TM_DOCTOR_KINDS 32 /* >= the kinds tulpen doctor has */

struct tm_doctor_cache {
	uint64_t every_ms;
	struct tm_bg bg; /* not set up when off */
	/* used by the collecting thread only */
	double at;
	int have;
	uint64_t counts[TM_DOCTOR_KINDS][3];
	uint64_t runs, failures;
	/* written by the run, read after it is joined */
	int ok;
	uint64_t result[TM_DOCTOR_KINDS][3];
};

int tm_doctor_cache_init(struct tm_doctor_cache *c, const char *proc_root,
			 uint64_t every_ms);
void tm_doctor_cache_fini(struct tm_doctor_cache *c);
/* Take a finished run's counts; start a run when one is due. */
void tm_doctor_cache_poll(struct tm_doctor_cache *c);
/* Age of the counts in seconds, -1 without any. */
double tm_doctor_cache_age(const struct tm_doctor_cache *c);

/*
 * walk.c: what one socket walk counts, per thread of the walk. A
 * listener's series is its address and port (SO_REUSEPORT groups are one)
 * and, with --all-netns, its namespace (by index into the walk's set).
 */
struct tm_listen_key {
	uint32_t ns;
	uint8_t family;
	uint8_t pad;
	uint16_t port;
	uint8_t addr[16];
};

struct tm_listen_val {
	uint64_t queue, limit;
	uint32_t sockets;
};

/* A CLOSE-WAIT socket: its inode (for its holder) and namespace. */
struct tm_cw {
	uint64_t inode;
	uint32_t ns;
};

#define TM_PORTS 65536

struct tm_acc {
	uint64_t sockets[TULPEN_P_MAX][TM_FAMS];
	uint64_t tcp_states[TULPEN_TCP_MAX_STATES];
	uint64_t listeners;	   /* TCP listening sockets */
	struct tulpen_hash listen; /* tm_listen_key -> tm_listen_val */
	struct tm_cw *cw;	   /* CLOSE-WAIT sockets with an inode */
	size_t ncw, cw_cap;
	uint64_t cw_noinode;
	uint8_t ports[TM_PORTS / 8]; /* local ports of TCP non-listeners */
	/* TCP sockets by local port, then by peer port (the split's plan) */
	uint32_t *hist;
	uint64_t tcp;
};

/* The family slot (TM_INET, TM_INET6, TM_UNIX) of an address family. */
static inline int tm_fam_slot(int family)
{
	return family == AF_INET    ? TM_INET
	       : family == AF_INET6 ? TM_INET6
				    : TM_UNIX;
}

int tm_acc_init(struct tm_acc *a);
void tm_acc_fini(struct tm_acc *a);
/* Empty, for the next walk; keeps the memory. */
void tm_acc_reset(struct tm_acc *a);
/* Socket @s of namespace @ns (0 without --all-netns). 0 or -ENOMEM. */
int tm_acc_add(struct tm_acc *a, const struct tulpen_sock *s, uint32_t ns);
/* Add what @src counted to @dst. 0 or -ENOMEM. */
int tm_acc_merge(struct tm_acc *dst, const struct tm_acc *src);

/*
 * split.c: the TCP walk of the caller's namespace in two halves at once,
 * each on a netlink socket and a thread of its own, cut at the local or
 * the peer port that halves the last walk's sockets. A socket's ports do
 * not change while the kernel's tables hold it, so each is in exactly one
 * half, as in one walk. Only with the live kernel (a recording answers
 * one request at a time) and enough sockets to be worth a thread.
 */
struct tm_split {
	struct tm_bg bg;   /* its context walks the second half */
	struct tm_acc acc; /* the second half's counts */
	const struct tulpen_query *q;
	int ret;
	double job_cpu;	      /* the second half's CPU time, seconds */
	int cpus_ok;	      /* this process may run on two CPUs */
	unsigned int backoff; /* collections to walk once before a split */
	uint64_t splits;      /* walks done in two halves */
};

/*
 * The cut the next walk would use after the walk that filled @a: 1 and
 * *@peer (0: the local port, 1: the peer port) and *@cut (the second half
 * is the sockets with that port at or above it), or 0 for one walk (too
 * few sockets, or no cut leaving 10 % or more on either side).
 */
int tm_split_cut(const struct tm_acc *a, int *peer, uint32_t *cut);
int tm_split_init(struct tm_split *sp, struct tulpen_ctx *ctx);
void tm_split_fini(struct tm_split *sp);
/*
 * Every socket @q asks for into @a: the plan comes from @a's histogram
 * (the last walk's), then @a is reset and filled. 0, or the walk's -errno
 * (details in @ctx).
 */
int tm_split_collect(struct tm_split *sp, struct tulpen_ctx *ctx,
		     const struct tulpen_query *q, struct tm_acc *a);

/* A namespace's labels (--all-netns; empty strings without). */
struct tm_nslabel {
	char netns[64];	     /* its /run/netns name, else its inode */
	char container[160]; /* tulpen_container_label(), "-" for none */
};

struct tm_listener {
	char address[INET6_ADDRSTRLEN];
	uint16_t port;
	uint64_t queue;	  /* connections waiting in the accept queue */
	uint64_t limit;	  /* the accept queue's limit (backlog) */
	uint32_t sockets; /* listening sockets (SO_REUSEPORT groups) */
	struct tm_nslabel ns;
};

struct tm_process {
	int32_t pid;
	char command[64];
	uint64_t sockets;
	struct tm_nslabel ns; /* the namespace of its CLOSE-WAIT sockets */
};

/* The sockets of one network namespace (--all-netns). */
struct tm_netns {
	struct tm_nslabel ns;
	uint64_t states[TULPEN_TCP_MAX_STATES];
	uint64_t sockets[TULPEN_P_MAX][TM_FAMS];
	uint64_t total; /* TCP sockets */
};

/*
 * nswalk.c: --all-netns. Every namespace's sockets into @a (reset here)
 * and per namespace; their labels by the walk's index until the next.
 * Namespaces without any socket get no series of their own.
 */
struct tm_snap;

struct tm_nswalk {
	struct tm_netns *ns; /* by the walk's index */
	size_t n, cap;
	struct tm_acc *acc; /* the host's totals, during a walk */
	uint64_t failed;
	struct tm_netns *sorted; /* scratch of tm_nswalk_pick() */
	size_t sorted_cap;
};

void tm_nswalk_fini(struct tm_nswalk *w);
int tm_nswalk_collect(struct tm_nswalk *w, struct tulpen_ctx *ctx,
		      const struct tulpen_query *q, struct tm_acc *a);
/* Labels of namespace @index of the last walk (empty ones if none). */
const struct tm_nslabel *tm_nswalk_label(const struct tm_nswalk *w,
					 uint32_t index);
/* The top K namespaces by TCP sockets into @s, the rest summed. */
int tm_nswalk_pick(struct tm_nswalk *w, unsigned int top_k, struct tm_snap *s);

struct tm_snap {
	int err; /* 0 or the negative errno of the walk */
	char errmsg[256];
	uint64_t sockets[TULPEN_P_MAX][TM_FAMS];
	uint64_t tcp_states[TULPEN_TCP_MAX_STATES];
	/* listeners: the top K by queue, then the rest summed */
	struct tm_listener *top_listeners;
	size_t ntop_listeners;
	uint64_t listeners; /* TCP listening sockets in all */
	struct tm_listener other_listeners;
	int has_other_listeners;
	/* CLOSE-WAIT by process: the top K, the rest, no holder known */
	int owners_enabled;
	struct tm_process *top_procs;
	size_t ntop_procs;
	uint64_t other_procs_sockets;
	uint64_t unknown_sockets;
	double owners_age_s;	/* age of the owners used; <0 none */
	uint64_t owners_denied; /* processes the last scan could not read */
	uint64_t owner_scans;
	uint64_t ephemeral_used;
	struct tm_kstats k;
	/* --all-netns: the top K namespaces, the rest summed */
	int all_netns;
	struct tm_netns *top_netns;
	size_t ntop_netns;
	struct tm_netns other_netns;
	int has_other_netns;
	uint64_t netns_walked, netns_failed;
	int have_counts; /* the eBPF counts were read */
	struct tulpen_watch_counts counts;
	/* tulpen doctor's last run (doctor_enabled: --doctor-every) */
	int doctor_enabled;
	int doctor_have;
	uint64_t doctor[TM_DOCTOR_KINDS][3];
	double doctor_age_s;
	uint64_t doctor_runs;
	double duration_s; /* of this collection */
	uint64_t collections;
	uint64_t split_walks; /* collections whose TCP walk was split */
	uint64_t shared;      /* scrapes that joined a running collection */
	uint64_t failures;
};

/* kstats.c: read the counters under @proc_root into @k. */
void tm_kstats_read(const char *proc_root, struct tm_kstats *k);
/* Exported for the unit tests and the fuzz target: one netstat/snmp
 * style file's text, its values stored into @k. */
void tm_kstats_parse_pairs(const char *text, size_t len, enum tm_kfile file,
			   struct tm_kstats *k);
void tm_kstats_parse_sockstat(const char *text, size_t len, long page_size,
			      struct tm_kstats *k);

/* owner_cache.c: the process scan, refreshed in the background. */
struct tm_owner_cache {
	uint64_t max_age_ms;
	struct tm_bg bg; /* its context is the scans' own */
	/* used by the collecting thread only */
	struct tulpen_owners *owners;
	double at; /* when the scan of @owners started */
	uint64_t denied, scans;
	/* the inodes the scan keeps (sorted; the running scan reads them) */
	uint64_t *want;
	size_t nwant, want_cap;
	/* written by the background scan, read after it is joined */
	struct tulpen_owners *result;
};

int tm_owner_cache_init(struct tm_owner_cache *c, const char *proc_root,
			uint64_t max_age_ms);
void tm_owner_cache_fini(struct tm_owner_cache *c);
/*
 * The owners to use now (NULL when no scan succeeded yet). A scan started
 * now keeps only the holders of the @n sockets of @cw (the CLOSE-WAIT
 * sockets of this collection), so the table stays small.
 */
const struct tulpen_owners *
tm_owner_cache_get(struct tm_owner_cache *c, const struct tm_cw *cw, size_t n);
/* Age of the owners in seconds, -1 without any. */
double tm_owner_cache_age(const struct tm_owner_cache *c);

/* render.c */
int tm_render(const struct tm_snap *s, enum tulpen_metrics_format fmt,
	      struct tulpen_buf *out);

/* Seconds on CLOCK_MONOTONIC: collection times and cache ages. */
static inline double tm_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif /* TULPEN_METRICS_INTERNAL_H */
