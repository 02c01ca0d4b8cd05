/* SPDX-License-Identifier: MIT */
/*
 * doctor/doctor_internal.h - the snapshot the rules look at, the rule
 * table and the helpers that build findings. Not installed; the unit tests
 * build snapshots by hand through it.
 *
 * A snapshot is one network namespace: two samples (a, then b an interval
 * later), its sysctls, and the holders of b's sockets (an index into one
 * process table). A rule reads it and adds findings to the output; it
 * never fails but for memory.
 */
#ifndef TULPEN_DOCTOR_INTERNAL_H
#define TULPEN_DOCTOR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"
#include "tulpen/doctor.h"
#include "tulpen/explain.h"
#include "tulpen/sock.h"

/* One TCP socket of a sample (the record's pointers cleared). */
struct dr_sock {
	struct tulpen_sock s;
	uint32_t own, nown; /* holders: snap->holders[own .. own + nown) */
	/* tcp_info, when the kernel gave it */
	uint8_t have_info;
	uint32_t last_data_recv_ms;
	uint32_t total_retrans; /* segments retransmitted, in all */
	uint32_t segs_out;
	uint32_t lost; /* segments now thought lost */
	uint32_t probes;
	uint32_t snd_wnd; /* the peer's window, when known */
	uint8_t have_snd_wnd;
};

/* The kernel's counters the rules use (doctor_snap.c has the names). */
enum dr_counter {
	DR_C_LISTEN_OVERFLOWS = 0,
	DR_C_LISTEN_DROPS,
	DR_C_SYNCOOKIES_SENT,
	DR_C_REQQ_FULL_DROP,
	DR_C_TW_OVERFLOW,
	DR_C_MEMORY_PRESSURES,
	DR_C_ABORT_ON_MEMORY,
	DR_C_RETRANS_SEGS,
	DR_C_OUT_SEGS,
	DR_C_MAX,
};

/* The TCP line of /proc/net/sockstat. */
struct dr_sockstat {
	uint64_t inuse;	    /* TCP sockets in use (this namespace) */
	uint64_t orphan;    /* orphans (host-wide) */
	uint64_t tw;	    /* TIME-WAIT sockets (this namespace) */
	uint64_t alloc;	    /* sockets allocated (host-wide) */
	uint64_t mem_pages; /* pages of TCP buffer memory (host-wide) */
};

struct dr_sample {
	struct dr_sock *socks;
	size_t nsocks, cap;
	uint64_t counter[DR_C_MAX];
	uint8_t have_counter[DR_C_MAX];
	int have_sockstat;
	struct dr_sockstat sockstat;
};

struct dr_holder {
	uint32_t proc; /* index into snap->procs */
	int32_t fd;
};

#define DR_ANCESTORS 4

struct dr_proc {
	int32_t pid, ppid;
	int32_t anc[DR_ANCESTORS]; /* parent, its parent, ...; 0 ends */
	char comm[64];
	int has_container;
	struct tulpen_container container;
};

struct dr_snap {
	uint64_t netns_ino; /* 0: not labelled (the caller's own only) */
	/* the caller's own namespace: host-wide values (orphans, TCP
	 * memory) are reported with it, once */
	int host_wide;
	const char *netns_name;
	uint64_t interval_ms;
	struct dr_sample a, b;
	struct tulpen_host_tcp host;
	int have_port_range;
	uint64_t port_lo, port_hi;
	int have_tcp_mem;
	uint64_t tcp_mem[3]; /* pages: low, pressure, high */
	uint64_t page_size;
	const struct dr_holder *holders; /* of b's sockets */
	const struct dr_proc *procs;
	size_t nprocs;
	struct tulpen_hash a_index;	 /* a's sockets by identity (dr_prev) */
	struct tulpen_hash listen_index; /* b's LISTEN sockets by port */
	struct tulpen_hash pid_index;	 /* procs by pid */
	size_t *listeners;		 /* indexes of b's LISTEN sockets */
	size_t nlisteners;
};

/* Where findings go. */
struct dr_out {
	struct tulpen_doctor_finding *v;
	size_t n, cap;
	int err;
};

typedef void (*dr_rule_fn)(const struct dr_snap *sn,
			   const struct tulpen_doctor_thresholds *t,
			   struct dr_out *out);

struct dr_rule {
	const char *name;
	dr_rule_fn run;
};

/* rules.c: every rule, one line each. */
extern const struct dr_rule dr_rules[];
extern const size_t dr_nrules;

void dr_rule_close_wait(const struct dr_snap *sn,
			const struct tulpen_doctor_thresholds *t,
			struct dr_out *out);
void dr_rule_close_wait_copy(const struct dr_snap *sn,
			     const struct tulpen_doctor_thresholds *t,
			     struct dr_out *out);
void dr_rule_ephemeral(const struct dr_snap *sn,
		       const struct tulpen_doctor_thresholds *t,
		       struct dr_out *out);
void dr_rule_accept_queue(const struct dr_snap *sn,
			  const struct tulpen_doctor_thresholds *t,
			  struct dr_out *out);
void dr_rule_orphans(const struct dr_snap *sn,
		     const struct tulpen_doctor_thresholds *t,
		     struct dr_out *out);
void dr_rule_syn_sent(const struct dr_snap *sn,
		      const struct tulpen_doctor_thresholds *t,
		      struct dr_out *out);
void dr_rule_retrans(const struct dr_snap *sn,
		     const struct tulpen_doctor_thresholds *t,
		     struct dr_out *out);
void dr_rule_stuck_queues(const struct dr_snap *sn,
			  const struct tulpen_doctor_thresholds *t,
			  struct dr_out *out);
void dr_rule_tcp_mem(const struct dr_snap *sn,
		     const struct tulpen_doctor_thresholds *t,
		     struct dr_out *out);

/* doctor_snap.c */
/* The counters of a netstat or snmp file's text into @smp. */
void dr_parse_counters(const char *text, size_t len, struct dr_sample *smp);
/* sockstat's TCP line; 0 when it has orphan and mem, else -EINVAL. */
int dr_parse_sockstat(const char *text, size_t len, struct dr_sockstat *st);
/* Add a copy of @s to @smp; 0 or -ENOMEM. */
int dr_sample_add(struct dr_sample *smp, const struct tulpen_sock *s);
void dr_sample_fini(struct dr_sample *smp);
/* Index sample a's sockets for dr_prev(); 0 or -ENOMEM. */
int dr_snap_index(struct dr_snap *sn);
void dr_snap_fini(struct dr_snap *sn);
/* The same socket in sample a (cookie, else addresses), or NULL. */
const struct dr_sock *dr_prev(const struct dr_snap *sn,
			      const struct dr_sock *b);
/* Whether @b is in @state in both samples (the same socket in a). */
int dr_stays_in(const struct dr_snap *sn, const struct dr_sock *b, int state);
/* How much counter @c rose from a to b; 0 when either lacks it. */
uint64_t dr_delta(const struct dr_snap *sn, enum dr_counter c);
int dr_has_counter(const struct dr_snap *sn, enum dr_counter c);
/* Whether a LISTEN socket on @port (this family, any or the address). */
const struct dr_sock *dr_listener(const struct dr_snap *sn,
				  const struct dr_sock *s);
/* The holders' process entry @i of @s. */
static inline const struct dr_proc *
dr_holder_proc(const struct dr_snap *sn, const struct dr_sock *s, uint32_t i)
{
	return &sn->procs[sn->holders[s->own + i].proc];
}
/* Whether process @proc holds socket @s. */
int dr_holds(const struct dr_snap *sn, const struct dr_sock *s, uint32_t proc);
/*
 * A CLOSE-WAIT socket of a listening port held only by copies: every
 * holder has an ancestor (up to DR_ANCESTORS up) that holds the listener,
 * and a holder that holds the listener itself runs another program than
 * that ancestor (exec'd with the descriptors inherited; a pre-forked
 * worker of the same program accepts for itself). Stores the ancestor's
 * index in *@acceptor when not NULL.
 */
int dr_close_wait_is_copy(const struct dr_snap *sn, const struct dr_sock *s,
			  uint32_t *acceptor);

/* doctor_finding.c */
/* A new finding (zeroed, netns filled in), or NULL (out->err set). */
struct tulpen_doctor_finding *dr_finding(struct dr_out *out,
					 const struct dr_snap *sn,
					 const char *kind, int severity,
					 int state);
void dr_summary(struct tulpen_doctor_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dr_subject(struct tulpen_doctor_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dr_ev_num(struct tulpen_doctor_finding *f, const char *name, int64_t v);
void dr_ev_text(struct tulpen_doctor_finding *f, const char *name,
		const char *text);
/* A sysctl's value as evidence (left out when unknown). */
void dr_ev_sysctl(struct tulpen_doctor_finding *f, const struct dr_snap *sn,
		  int id);
/* A finding about @n sockets toward @s's peer: its family and address. */
void dr_peer_finding(struct tulpen_doctor_finding *f, const struct dr_sock *s,
		     uint64_t n);
/* Count the holders of @s into the finding's processes. */
void dr_add_holders(struct tulpen_doctor_finding *f, const struct dr_snap *sn,
		    const struct dr_sock *s);
void dr_add_proc(struct tulpen_doctor_finding *f, const struct dr_proc *p,
		 uint64_t sockets);
/* "python3 (pid 812)", "python3 (pid 812) and 2 more", "no process seen" */
size_t dr_procs_text(char *out, size_t size,
		     const struct tulpen_doctor_finding *f);
/* "10.0.0.2:80", "[::1]:443" */
size_t dr_ep_text(char *out, size_t size, int family,
		  const struct tulpen_endpoint *ep);
/* Sort worst first, then by kind and subject. */
void dr_sort(struct dr_out *out);

/*
 * Grouping sockets (doctor_group.c): a table of fixed-size keys (zero
 * them first: padding counts) to a struct dr_group.
 */
struct dr_group {
	uint64_t n;	/* sockets in the group */
	uint64_t m;	/* a second count, the rule's own */
	uint64_t max;	/* the rule's own maximum */
	uint64_t sum;	/* the rule's own sum */
	size_t first;	/* index in b of a socket of the group */
	size_t finding; /* index + 1 of its finding in the output, 0 none */
};

int dr_group_init(struct tulpen_hash *h, size_t key_size);
/* The group of @key, added when new (n 0, first @idx); NULL: no memory. */
struct dr_group *dr_group_get(struct tulpen_hash *h, const void *key,
			      size_t idx);
/* Walk: while ((g = dr_group_next(h, &pos))) ... */
struct dr_group *dr_group_next(struct tulpen_hash *h, size_t *pos);
/*
 * The usual shape of a socket rule: select sockets of b, group them by a
 * key, report the groups that fire (report() makes the finding and sets
 * g->finding = out->n), then count every socket's holders into its
 * group's finding.
 */
struct dr_grouper {
	size_t key_size;
	int (*select)(const struct dr_snap *sn,
		      const struct tulpen_doctor_thresholds *t,
		      const struct dr_sock *s);
	void (*key)(const struct dr_snap *sn, const struct dr_sock *s, void *k);
	/* after g->n++ (may be NULL) */
	void (*add)(const struct dr_snap *sn, const struct dr_sock *s,
		    struct dr_group *g);
	int (*fires)(const struct dr_snap *sn,
		     const struct tulpen_doctor_thresholds *t,
		     const struct dr_group *g);
	void (*report)(const struct dr_snap *sn,
		       const struct tulpen_doctor_thresholds *t,
		       struct dr_out *out, struct dr_group *g);
};

void dr_group_run(const struct dr_snap *sn,
		  const struct tulpen_doctor_thresholds *t, struct dr_out *out,
		  const struct dr_grouper *gr);

/* The finding of @g, or NULL. */
static inline struct tulpen_doctor_finding *dr_group_finding(struct dr_out *out,
							     struct dr_group *g)
{
	return g && g->finding ? &out->v[g->finding - 1] : NULL;
}

#endif /* TULPEN_DOCTOR_INTERNAL_H */
