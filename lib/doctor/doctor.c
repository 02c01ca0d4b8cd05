// SPDX-License-Identifier: MIT
/*
 * doctor.c - one run of tulpen doctor: the namespaces asked for (through
 * lib/netns), two samples of each an interval apart, one owner scan for
 * the holders, then every rule of the table over each namespace's
 * snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tulpen/collect.h"
#include "tulpen/netns.h"
#include "tulpen/owners.h"
#include "tulpen/state.h"
#include "core/procstat.h"
#include "doctor/doctor_internal.h"
#include "doctor/doctor_procs.h"
#include "doctor/doctor_report.h"

void tulpen_doctor_opts_default(struct tulpen_doctor_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_ms = 1000;
	o->t.close_wait = 5;
	o->t.close_wait_age_s = 60;
	o->t.ephemeral_pct = 50;
	o->t.syn_sent = 5;
	o->t.accept_queue_pct = 100;
	o->t.syn_queue_pct = 50;
	o->t.orphans_pct = 50;
	o->t.fin_wait1 = 1;
	o->t.fin_wait2 = 64;
	o->t.retrans_pct = 5;
	o->t.retrans_min = 10;
	o->t.stuck_queue = 16384;
	o->t.tcp_mem_pct = 80;
}

/* One namespace being looked at. */
struct ns_run {
	struct tulpen_ctx *ctx; /* its own, entering it */
	const struct tulpen_netns *ns;
	int failed;
	struct dr_snap sn;
	struct dr_holder *holders;
	size_t nholders, cap;
	tulpen_note_fn note; /* the caller's, for the second sample's notes */
	void *note_data;
};

static int add_sock(const struct tulpen_sock *s, void *data)
{
	return dr_sample_add(data, s);
}

static int open_rd(void *arg)
{
	int fd = open(arg, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* A net/ file of the context's namespace into @buf; length or -errno. */
static ssize_t read_net(struct tulpen_ctx *ctx, const char *name, char *buf,
			size_t size)
{
	char path[4096];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%snet/%s",
			     tulpen_ctx_proc_root(ctx),
			     tulpen_ctx_netns_fd(ctx) >= 0 ? "thread-self/"
							   : "",
			     name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = tulpen_ctx_in_netns(ctx, open_rd, path);
	if (fd < 0)
		return fd;
	return tulpen_procstat_read_fd(fd, buf, size);
}

static int take_sample(struct tulpen_ctx *ctx, struct dr_sample *smp)
{
	struct tulpen_query q = {
		.protos = TULPEN_PF(TULPEN_P_TCP),
		.families = TULPEN_FAM_INET | TULPEN_FAM_INET6,
		.states = TULPEN_SF_ALL,
		.ext = TULPEN_EXT_TCP_INFO,
	};
	static const char *const files[] = { "netstat", "snmp" };
	char buf[32768];
	ssize_t n;
	size_t i;
	int ret;

	ret = tulpen_collect(ctx, &q, add_sock, smp);
	if (ret)
		return ret < 0 ? ret : -EIO;
	for (i = 0; i < 2; i++) {
		n = read_net(ctx, files[i], buf, sizeof(buf));
		if (n > 0)
			dr_parse_counters(buf, (size_t)n, smp);
	}
	n = read_net(ctx, "sockstat", buf, sizeof(buf));
	if (n > 0 && !dr_parse_sockstat(buf, (size_t)n, &smp->sockstat))
		smp->have_sockstat = 1;
	return 0;
}

static int read_sysctls(struct ns_run *r)
{
	uint64_t v[3];
	int ret;

	ret = tulpen_host_tcp_read(r->ctx, &r->sn.host);
	if (ret)
		return ret;
	ret = tulpen_host_sysctl_numbers(
		r->ctx, "sys/net/ipv4/ip_local_port_range", v, 2);
	if (ret < 0)
		return ret;
	if (ret == 2 && v[0] <= v[1] && v[1] <= 65535) {
		r->sn.have_port_range = 1;
		r->sn.port_lo = v[0];
		r->sn.port_hi = v[1];
	}
	ret = tulpen_host_sysctl_numbers(r->ctx, "sys/net/ipv4/tcp_mem", v, 3);
	if (ret < 0)
		return ret;
	if (ret == 3) {
		r->sn.have_tcp_mem = 1;
		memcpy(r->sn.tcp_mem, v, sizeof(v));
	}
	return 0;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
			       (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void run_fini(struct ns_run *r)
{
	dr_snap_fini(&r->sn);
	free(r->holders);
	tulpen_ctx_free(r->ctx);
}

/* A context for @ns (NULL: the caller's own namespace). */
static int run_init(struct tulpen_ctx *ctx, const struct tulpen_netns *ns,
		    struct ns_run *r)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->ns = ns;
	ret = tulpen_ctx_new(&r->ctx);
	if (ret)
		return ret;
	/* what the collector has to say goes where the caller's goes */
	r->note = tulpen_ctx_note_fn(ctx, &r->note_data);
	ret = tulpen_ctx_set_proc_root(r->ctx, tulpen_ctx_proc_root(ctx));
	if (ret)
		return ret;
	tulpen_ctx_set_source(r->ctx, tulpen_ctx_source(ctx));
	if (ns && !ns->self) {
		ret = tulpen_ctx_set_netns_path(r->ctx, ns->path);
		if (ret)
			return ret;
	}
	r->sn.host_wide = !ns || ns->self;
	if (ns) {
		r->sn.netns_ino = ns->inode;
		r->sn.netns_name = ns->name;
	}
	r->sn.page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	return 0;
}

static int pick(struct tulpen_ctx *ctx, const struct tulpen_doctor_opts *o,
		struct tulpen_netns_set **set, struct ns_run **runs, size_t *n)
{
	struct tulpen_netns_scan_opts so = { .containers = 1 };
	const struct tulpen_netns *one = NULL;
	size_t i, k = 0;
	int ret;

	*n = 0;
	if (!o->netns && !o->all_netns) {
		*runs = calloc(1, sizeof(**runs));
		if (!*runs)
			return -ENOMEM;
		*n = 1;
		return run_init(ctx, NULL, &(*runs)[0]);
	}
	ret = tulpen_netns_scan(ctx, &so, set);
	if (ret)
		return ret;
	if (o->netns) {
		ret = tulpen_netns_resolve(ctx, *set, o->netns, &one);
		if (ret)
			return ret;
	}
	*runs = calloc(tulpen_netns_count(*set), sizeof(**runs));
	if (!*runs)
		return -ENOMEM;
	for (i = 0; i < tulpen_netns_count(*set); i++) {
		const struct tulpen_netns *ns = tulpen_netns_at(*set, i);

		if (one && ns != one)
			continue;
		ret = run_init(ctx, ns, &(*runs)[k]);
		(*n)++;
		k++;
		if (ret == -ENOENT || ret == -ESRCH)
			(*runs)[k - 1].failed = 1; /* gone since the scan */
		else if (ret)
			return ret;
	}
	return 0;
}

static void sample_all(struct ns_run *runs, size_t n, int second)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct ns_run *r = &runs[i];

		if (r->failed)
			continue;
		/* the two samples read the same files: say once what the
		 * second has to say */
		tulpen_ctx_set_note(r->ctx, second ? r->note : NULL,
				    r->note_data);
		if (take_sample(r->ctx, second ? &r->sn.b : &r->sn.a) ||
		    (!second && read_sysctls(r)))
			r->failed = 1;
	}
}

int tulpen_doctor_run(struct tulpen_ctx *ctx,
		      const struct tulpen_doctor_opts *o,
		      struct tulpen_doctor_report **out)
{
	struct tulpen_netns_set *set = NULL;
	struct tulpen_owners *owners = NULL;
	struct tulpen_doctor_report *rep;
	struct ns_run *runs = NULL;
	struct dr_procs procs;
	struct dr_out res = { 0 };
	size_t n = 0, i, j, failed = 0;
	int ret;

	dr_procs_init(&procs);
	rep = calloc(1, sizeof(*rep));
	if (!rep)
		return -ENOMEM;
	ret = pick(ctx, o, &set, &runs, &n);
	if (ret)
		goto out;
	sample_all(runs, n, 0);
	sleep_ms(o->interval_ms);
	sample_all(runs, n, 1);
	for (i = 0; i < n; i++)
		failed += runs[i].failed;
	if (failed == n) {
		if (n == 1 && *tulpen_ctx_errmsg(runs[0].ctx))
			tulpen_ctx_seterr(ctx, "%s",
					  tulpen_ctx_errmsg(runs[0].ctx));
		else
			tulpen_ctx_seterr(ctx, "no network namespace could "
					       "be read");
		ret = -EIO;
		goto out;
	}
	ret = tulpen_owners_new(ctx, &owners);
	if (ret)
		goto out;
	for (i = 0; i < n && !ret; i++)
		if (!runs[i].failed)
			ret = dr_procs_holders(ctx, &procs, owners,
					       &runs[i].sn.b, &runs[i].holders,
					       &runs[i].nholders);
	for (i = 0; i < n && !ret; i++) {
		struct ns_run *r = &runs[i];

		if (r->failed)
			continue;
		r->sn.interval_ms = o->interval_ms;
		r->sn.holders = r->holders;
		r->sn.procs = procs.v;
		r->sn.nprocs = procs.n;
		ret = dr_snap_index(&r->sn);
		for (j = 0; j < dr_nrules && !ret; j++) {
			dr_rules[j].run(&r->sn, &o->t, &res);
			ret = res.err;
		}
	}
	if (ret)
		goto out;
	dr_sort(&res);
	rep->v = res.v;
	rep->n = res.n;
	res.v = NULL;
	rep->namespaces = n;
	rep->failed = failed;
	rep->interval_ms = o->interval_ms;
	rep->ts_us = dr_now_us();
out:
	free(res.v);
	for (i = 0; i < n; i++)
		run_fini(&runs[i]);
	free(runs);
	dr_procs_fini(&procs);
	tulpen_owners_free(owners);
	tulpen_netns_set_free(set);
	if (ret) {
		free(rep);
		return ret;
	}
	*out = rep;
	return 0;
}
