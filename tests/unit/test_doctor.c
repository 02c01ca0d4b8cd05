// SPDX-License-Identifier: MIT
/*
 * test_doctor.c - lib/doctor's rules, each over synthetic snapshots built
 * here: the pathology it must name (kind, sockets, process, port or
 * destination), the same just under its threshold or not lasting between
 * the samples (nothing), and the neighbours it must leave to other rules.
 * Also the report (order, JSON shape, what --watch prints) and the
 * status-file parser.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tulpen/state.h"
#include "doctor/doctor_internal.h"
#include "doctor/doctor_procs.h"
#include "doctor/doctor_report.h"

#define MAXH 256

/* A snapshot under construction: processes, holders, both samples. */
struct fixture {
	struct dr_snap sn;
	struct dr_proc procs[8];
	size_t nprocs;
	struct dr_holder holders[MAXH];
	size_t nholders;
	uint64_t cookie;
	struct tulpen_doctor_thresholds t;
	struct dr_out out;
};

static void fx_init(struct fixture *f)
{
	struct tulpen_doctor_opts o;
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < TULPEN_SYSCTL_MAX; i++)
		f->sn.host.v[i] = -1;
	f->sn.interval_ms = 1000;
	f->sn.host_wide = 1;
	f->sn.page_size = 4096;
	tulpen_doctor_opts_default(&o);
	f->t = o.t;
}

static uint32_t fx_proc(struct fixture *f, int32_t pid, int32_t ppid,
			const char *comm)
{
	struct dr_proc *p = &f->procs[f->nprocs];

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = ppid;
	p->anc[0] = ppid;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	return (uint32_t)f->nprocs++;
}

static void ep(struct tulpen_endpoint *e, const char *addr, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(inet_pton(AF_INET, addr, &e->addr.v4), 1);
	e->port = port;
}

struct spec {
	int state;
	const char *laddr;
	uint16_t lport;
	const char *paddr;
	uint16_t pport;
	uint32_t rq, wq;
	int holder; /* index into procs, -1 none */
	int both;   /* also in sample a (same cookie) */
};

/* Add one socket to b (and to a when @sp->both); returns it in b. */
static struct dr_sock *fx_sock(struct fixture *f, const struct spec *sp)
{
	struct tulpen_sock s;
	struct dr_sock *d;

	memset(&s, 0, sizeof(s));
	s.proto = TULPEN_P_TCP;
	s.family = AF_INET;
	s.state = (uint8_t)sp->state;
	ep(&s.local, sp->laddr, sp->lport);
	ep(&s.peer, sp->paddr, sp->pport);
	s.rqueue = sp->rq;
	s.wqueue = sp->wq;
	s.has_cookie = 1;
	s.cookie = ++f->cookie;
	s.inode = sp->holder >= 0 ? 1000 + f->cookie : 0;
	if (sp->both)
		assert_int_equal(dr_sample_add(&f->sn.a, &s), 0);
	assert_int_equal(dr_sample_add(&f->sn.b, &s), 0);
	d = &f->sn.b.socks[f->sn.b.nsocks - 1];
	d->own = (uint32_t)f->nholders;
	if (sp->holder >= 0) {
		assert_true(f->nholders < MAXH);
		f->holders[f->nholders].proc = (uint32_t)sp->holder;
		f->holders[f->nholders++].fd = 3;
		d->nown = 1;
	}
	return d;
}

static void fx_many(struct fixture *f, struct spec sp, int n, int vary_port)
{
	int i;

	for (i = 0; i < n; i++) {
		fx_sock(f, &sp);
		if (vary_port == 1)
			sp.pport++;
		else if (vary_port == 2)
			sp.lport++;
	}
}

/* Run @rule; returns the number of findings. */
static size_t fx_run(struct fixture *f, dr_rule_fn rule)
{
	f->sn.holders = f->holders;
	f->sn.procs = f->procs;
	f->sn.nprocs = f->nprocs;
	assert_int_equal(dr_snap_index(&f->sn), 0);
	rule(&f->sn, &f->t, &f->out);
	assert_int_equal(f->out.err, 0);
	return f->out.n;
}

static void fx_fini(struct fixture *f)
{
	dr_snap_fini(&f->sn);
	free(f->out.v);
}

#define SPEC(st, la, lp, pa, pp, h, both)                                      \
	((struct spec){ (st), (la), (lp), (pa), (pp), 0, 0, (h), (both) })

static void close_wait_server(struct fixture *f, int n, int both, int holder)
{
	fx_many(f,
		SPEC(TULPEN_TCP_CLOSE_WAIT, "10.0.0.1", 8080, "10.0.0.2", 50000,
		     holder, both),
		n, 1);
}

static void test_close_wait(void **unused)
{
	struct fixture f;
	uint32_t srv;

	(void)unused;
	fx_init(&f);
	srv = fx_proc(&f, 100, 1, "server");
	fx_sock(&f, &SPEC(TULPEN_TCP_LISTEN, "0.0.0.0", 8080, "0.0.0.0", 0,
			  (int)srv, 1));
	close_wait_server(&f, 6, 1, (int)srv);
	assert_int_equal(fx_run(&f, dr_rule_close_wait), 1);
	assert_string_equal(f.out.v[0].kind, "close-wait");
	assert_int_equal(f.out.v[0].sockets, 6);
	assert_int_equal(f.out.v[0].nprocs, 1);
	assert_int_equal(f.out.v[0].procs[0].pid, 100);
	assert_int_equal(f.out.v[0].procs[0].sockets, 6);
	assert_int_equal(f.out.v[0].local.port, 8080);
	assert_int_equal(f.out.v[0].state, TULPEN_TCP_CLOSE_WAIT);
	assert_non_null(strstr(f.out.v[0].summary, "server (pid 100)"));
	assert_non_null(f.out.v[0].advice);
	/* none of it is a copy */
	f.out.n = 0;
	dr_rule_close_wait_copy(&f.sn, &f.t, &f.out);
	assert_int_equal(f.out.n, 0);
	fx_fini(&f);

	/* under the threshold, or only in the second sample: nothing */
	fx_init(&f);
	srv = fx_proc(&f, 100, 1, "server");
	close_wait_server(&f, 4, 1, (int)srv);
	close_wait_server(&f, 20, 0, (int)srv);
	assert_int_equal(fx_run(&f, dr_rule_close_wait), 0);
	fx_fini(&f);

	/* one, but idle past the age threshold (tcp_info) */
	fx_init(&f);
	srv = fx_proc(&f, 100, 1, "server");
	fx_sock(&f, &SPEC(TULPEN_TCP_CLOSE_WAIT, "10.0.0.1", 40000, "10.0.0.9",
			  443, (int)srv, 1))
		->have_info = 1;
	f.sn.b.socks[0].last_data_recv_ms = 61000;
	assert_int_equal(fx_run(&f, dr_rule_close_wait), 1);
	assert_true(f.out.v[0].has_peer && f.out.v[0].peer.port == 443);
	fx_fini(&f);
}

static void test_close_wait_copy(void **unused)
{
	struct fixture f;
	uint32_t srv, kid, kid2;

	(void)unused;
	fx_init(&f);
	srv = fx_proc(&f, 100, 1, "server");
	kid = fx_proc(&f, 200, 100, "helper");
	kid2 = fx_proc(&f, 201, 100, "helper");
	fx_sock(&f, &SPEC(TULPEN_TCP_LISTEN, "0.0.0.0", 8080, "0.0.0.0", 0,
			  (int)srv, 1));
	close_wait_server(&f, 1, 1, (int)kid);
	close_wait_server(&f, 1, 1, (int)kid2);
	assert_int_equal(fx_run(&f, dr_rule_close_wait_copy), 1);
	assert_string_equal(f.out.v[0].kind, "close-wait-copy");
	assert_int_equal(f.out.v[0].sockets, 2);
	assert_int_equal(f.out.v[0].nprocs, 2);
	assert_int_equal(f.out.v[0].procs[0].pid, 200);
	assert_int_equal(f.out.v[0].procs[1].pid, 201);
	assert_non_null(strstr(f.out.v[0].summary, "server (pid 100)"));
	/* and close-wait leaves them alone */
	f.out.n = 0;
	dr_rule_close_wait(&f.sn, &f.t, &f.out);
	assert_int_equal(f.out.n, 0);
	fx_fini(&f);

	/* a pre-forked worker holds the listener itself: not a copy */
	fx_init(&f);
	srv = fx_proc(&f, 100, 1, "server");
	kid = fx_proc(&f, 200, 100, "server"); /* the same program */
	fx_sock(&f, &SPEC(TULPEN_TCP_LISTEN, "0.0.0.0", 8080, "0.0.0.0", 0,
			  (int)srv, 1));
	fx_sock(&f, &SPEC(TULPEN_TCP_LISTEN, "0.0.0.0", 8080, "0.0.0.0", 0,
			  (int)kid, 1));
	close_wait_server(&f, 5, 1, (int)kid);
	assert_int_equal(fx_run(&f, dr_rule_close_wait_copy), 0);
	dr_rule_close_wait(&f.sn, &f.t, &f.out);
	assert_int_equal(f.out.n, 1);
	assert_int_equal(f.out.v[0].procs[0].pid, 200);
	fx_fini(&f);

	/* exec'd without SOCK_CLOEXEC: the listener came along, but the
	 * program is another one */
	fx_init(&f);
	srv = fx_proc(&f, 100, 1, "server");
	kid = fx_proc(&f, 200, 100, "sleep");
	fx_sock(&f, &SPEC(TULPEN_TCP_LISTEN, "0.0.0.0", 8080, "0.0.0.0", 0,
			  (int)srv, 1));
	fx_sock(&f, &SPEC(TULPEN_TCP_LISTEN, "0.0.0.0", 8080, "0.0.0.0", 0,
			  (int)kid, 1));
	close_wait_server(&f, 1, 1, (int)kid);
	assert_int_equal(fx_run(&f, dr_rule_close_wait_copy), 1);
	assert_int_equal(f.out.v[0].procs[0].pid, 200);
	assert_int_equal(f.out.v[0].ev[1].num, 100); /* listener_pid */
	fx_fini(&f);

	/* the parent still holds its copy too: it is a holder, not a copy */
	fx_init(&f);
	srv = fx_proc(&f, 100, 1, "server");
	kid = fx_proc(&f, 200, 100, "helper");
	fx_sock(&f, &SPEC(TULPEN_TCP_LISTEN, "0.0.0.0", 8080, "0.0.0.0", 0,
			  (int)srv, 1));
	fx_sock(&f, &SPEC(TULPEN_TCP_CLOSE_WAIT, "10.0.0.1", 8080, "10.0.0.2",
			  50000, (int)kid, 1));
	f.holders[f.nholders].proc = srv;
	f.holders[f.nholders++].fd = 4;
	f.sn.b.socks[1].nown = 2;
	assert_int_equal(fx_run(&f, dr_rule_close_wait_copy), 0);
	fx_fini(&f);
}

static void test_ephemeral(void **unused)
{
	struct fixture f;

	(void)unused;
	fx_init(&f);
	f.sn.have_port_range = 1;
	f.sn.port_lo = 40000;
	f.sn.port_hi = 40019;
	fx_many(&f,
		SPEC(TULPEN_TCP_TIME_WAIT, "10.0.0.2", 40000, "10.0.0.1", 80,
		     -1, 0),
		12, 2);
	/* to another destination, and a local port outside the range */
	fx_many(&f,
		SPEC(TULPEN_TCP_TIME_WAIT, "10.0.0.2", 40000, "10.0.0.7", 80,
		     -1, 0),
		9, 2);
	fx_many(&f,
		SPEC(TULPEN_TCP_TIME_WAIT, "10.0.0.2", 30000, "10.0.0.7", 80,
		     -1, 0),
		9, 2);
	assert_int_equal(fx_run(&f, dr_rule_ephemeral), 1);
	assert_string_equal(f.out.v[0].kind, "ephemeral-ports");
	assert_int_equal(f.out.v[0].sockets, 12);
	assert_int_equal(f.out.v[0].peer.port, 80);
	assert_int_equal(f.out.v[0].peer.addr.v4.s_addr, inet_addr("10.0.0.1"));
	assert_int_equal(f.out.v[0].severity, TULPEN_DOCTOR_WARNING);
	assert_int_equal(f.out.v[0].state, TULPEN_TCP_TIME_WAIT);
	fx_fini(&f);

	/* the overflow counter rising */
	fx_init(&f);
	f.sn.a.have_counter[DR_C_TW_OVERFLOW] = 1;
	f.sn.b.have_counter[DR_C_TW_OVERFLOW] = 1;
	f.sn.a.counter[DR_C_TW_OVERFLOW] = 10;
	f.sn.b.counter[DR_C_TW_OVERFLOW] = 13;
	assert_int_equal(fx_run(&f, dr_rule_ephemeral), 1);
	assert_string_equal(f.out.v[0].kind, "time-wait-overflow");
	assert_int_equal(f.out.v[0].ev[0].num, 3);
	fx_fini(&f);
}

static void test_accept_queue(void **unused)
{
	struct fixture f;
	struct dr_sock *l;
	uint32_t srv;

	(void)unused;
	fx_init(&f);
	srv = fx_proc(&f, 100, 1, "slow");
	l = fx_sock(&f, &SPEC(TULPEN_TCP_LISTEN, "0.0.0.0", 8083, "0.0.0.0", 0,
			      (int)srv, 1));
	l->s.rqueue = 3;
	l->s.wqueue = 2;
	/* a healthy one beside it */
	l = fx_sock(&f, &SPEC(TULPEN_TCP_LISTEN, "0.0.0.0", 8084, "0.0.0.0", 0,
			      (int)srv, 1));
	l->s.rqueue = 1;
	l->s.wqueue = 128;
	assert_int_equal(fx_run(&f, dr_rule_accept_queue), 1);
	assert_string_equal(f.out.v[0].kind, "accept-queue");
	assert_int_equal(f.out.v[0].local.port, 8083);
	assert_int_equal(f.out.v[0].procs[0].pid, 100);
	assert_int_equal(f.out.v[0].severity, TULPEN_DOCTOR_WARNING);
	fx_fini(&f);

	/* overflows rising: critical */
	fx_init(&f);
	srv = fx_proc(&f, 100, 1, "slow");
	l = fx_sock(&f, &SPEC(TULPEN_TCP_LISTEN, "0.0.0.0", 8083, "0.0.0.0", 0,
			      (int)srv, 1));
	l->s.rqueue = 3;
	l->s.wqueue = 2;
	f.sn.a.have_counter[DR_C_LISTEN_OVERFLOWS] = 1;
	f.sn.b.have_counter[DR_C_LISTEN_OVERFLOWS] = 1;
	f.sn.b.counter[DR_C_LISTEN_OVERFLOWS] = 7;
	assert_int_equal(fx_run(&f, dr_rule_accept_queue), 1);
	assert_int_equal(f.out.v[0].severity, TULPEN_DOCTOR_CRITICAL);
	fx_fini(&f);
}

static void test_orphans(void **unused)
{
	struct fixture f;
	struct dr_sock *s;

	(void)unused;
	fx_init(&f);
	s = fx_sock(&f, &SPEC(TULPEN_TCP_FIN_WAIT1, "10.0.0.1", 8085,
			      "10.0.0.2", 41000, -1, 1));
	s->s.timer = TULPEN_TIMER_PROBE;
	s->s.wqueue = 100000;
	/* FIN-WAIT-1 moving on: not stuck */
	fx_sock(&f, &SPEC(TULPEN_TCP_FIN_WAIT1, "10.0.0.1", 8085, "10.0.0.3",
			  41000, -1, 1));
	/* FIN-WAIT-2 orphans: under the threshold */
	fx_many(&f,
		SPEC(TULPEN_TCP_FIN_WAIT2, "10.0.0.1", 8085, "10.0.0.4", 40000,
		     -1, 1),
		10, 1);
	assert_int_equal(fx_run(&f, dr_rule_orphans), 1);
	assert_string_equal(f.out.v[0].kind, "fin-wait-1-stuck");
	assert_int_equal(f.out.v[0].peer.addr.v4.s_addr, inet_addr("10.0.0.2"));
	f.out.n = 0;
	f.t.fin_wait2 = 10;
	dr_rule_orphans(&f.sn, &f.t, &f.out);
	assert_int_equal(f.out.n, 2);
	assert_string_equal(f.out.v[1].kind, "fin-wait-2-orphans");
	assert_int_equal(f.out.v[1].sockets, 10);
	/* orphans against tcp_max_orphans (host-wide) */
	f.out.n = 0;
	f.sn.b.have_sockstat = 1;
	f.sn.b.sockstat.orphan = 600;
	f.sn.host.v[TULPEN_SYSCTL_MAX_ORPHANS] = 1000;
	f.t.fin_wait2 = 64;
	dr_rule_orphans(&f.sn, &f.t, &f.out);
	assert_int_equal(f.out.n, 2);
	assert_string_equal(f.out.v[0].kind, "orphans");
	f.out.n = 0;
	f.sn.host_wide = 0;
	dr_rule_orphans(&f.sn, &f.t, &f.out);
	assert_int_equal(f.out.n, 1);
	fx_fini(&f);
}

static void test_syn_sent(void **unused)
{
	struct fixture f;
	uint32_t cli;

	(void)unused;
	fx_init(&f);
	cli = fx_proc(&f, 300, 1, "client");
	fx_many(&f,
		SPEC(TULPEN_TCP_SYN_SENT, "10.0.0.2", 40000, "198.51.100.7", 9,
		     (int)cli, 1),
		5, 2);
	/* new ones (not in a) do not count */
	fx_many(&f,
		SPEC(TULPEN_TCP_SYN_SENT, "10.0.0.2", 41000, "198.51.100.8", 9,
		     (int)cli, 0),
		9, 2);
	assert_int_equal(fx_run(&f, dr_rule_syn_sent), 1);
	assert_int_equal(f.out.v[0].sockets, 5);
	assert_int_equal(f.out.v[0].peer.port, 9);
	assert_int_equal(f.out.v[0].procs[0].pid, 300);
	assert_int_equal(f.out.v[0].procs[0].sockets, 5);
	fx_fini(&f);
}

static void test_retrans(void **unused)
{
	struct fixture f;
	struct dr_sock *s;
	uint32_t cli;

	(void)unused;
	fx_init(&f);
	cli = fx_proc(&f, 300, 1, "client");
	s = fx_sock(&f, &SPEC(TULPEN_TCP_ESTABLISHED, "10.0.0.2", 40000,
			      "10.0.0.1", 8088, (int)cli, 1));
	s->have_info = 1;
	s->total_retrans = 30;
	s->segs_out = 1100;
	f.sn.a.socks[0].have_info = 1;
	f.sn.a.socks[0].total_retrans = 10;
	f.sn.a.socks[0].segs_out = 100;
	/* a clean connection elsewhere */
	s = fx_sock(&f, &SPEC(TULPEN_TCP_ESTABLISHED, "10.0.0.2", 40001,
			      "10.0.0.5", 80, (int)cli, 1));
	s->have_info = 1;
	s->segs_out = 5000;
	f.sn.a.socks[1].have_info = 1;
	assert_int_equal(fx_run(&f, dr_rule_retrans), 0); /* 20 of 1000: 2% */
	f.t.retrans_pct = 2;
	dr_rule_retrans(&f.sn, &f.t, &f.out);
	assert_int_equal(f.out.n, 1);
	assert_int_equal(f.out.v[0].peer.port, 8088);
	assert_int_equal(f.out.v[0].ev[0].num, 20);
	assert_int_equal(f.out.v[0].ev[1].num, 1000);
	assert_int_equal(f.out.v[0].severity, TULPEN_DOCTOR_WARNING);
	fx_fini(&f);
}

static void test_stuck_queues(void **unused)
{
	struct fixture f;
	uint32_t srv;

	(void)unused;
	fx_init(&f);
	srv = fx_proc(&f, 100, 1, "reader");
	struct spec sp = SPEC(TULPEN_TCP_ESTABLISHED, "10.0.0.1", 8087,
			      "10.0.0.2", 40000, (int)srv, 1);
	sp.rq = 200000;
	fx_sock(&f, &sp);
	/* draining: smaller in b than in a */
	sp.pport++;
	fx_sock(&f, &sp)->s.rqueue = 100000;
	/* small: under the threshold */
	sp.pport++;
	sp.rq = 100;
	fx_sock(&f, &sp);
	assert_int_equal(fx_run(&f, dr_rule_stuck_queues), 1);
	assert_string_equal(f.out.v[0].kind, "recv-queue-stuck");
	assert_int_equal(f.out.v[0].sockets, 1);
	assert_int_equal(f.out.v[0].procs[0].pid, 100);
	fx_fini(&f);
}

static void test_tcp_mem(void **unused)
{
	struct fixture f;

	(void)unused;
	fx_init(&f);
	f.sn.have_tcp_mem = 1;
	f.sn.tcp_mem[0] = 1000;
	f.sn.tcp_mem[1] = 2000;
	f.sn.tcp_mem[2] = 3000;
	f.sn.b.have_sockstat = 1;
	f.sn.b.sockstat.mem_pages = 100;
	assert_int_equal(fx_run(&f, dr_rule_tcp_mem), 0);
	f.sn.b.sockstat.mem_pages = 1700;
	dr_rule_tcp_mem(&f.sn, &f.t, &f.out);
	f.sn.b.sockstat.mem_pages = 2500;
	dr_rule_tcp_mem(&f.sn, &f.t, &f.out);
	f.sn.b.sockstat.mem_pages = 3000;
	dr_rule_tcp_mem(&f.sn, &f.t, &f.out);
	assert_int_equal(f.out.n, 3);
	assert_int_equal(f.out.v[0].severity, TULPEN_DOCTOR_NOTICE);
	assert_int_equal(f.out.v[1].severity, TULPEN_DOCTOR_WARNING);
	assert_int_equal(f.out.v[2].severity, TULPEN_DOCTOR_CRITICAL);
	f.sn.host_wide = 0; /* another namespace: said with the host's */
	dr_rule_tcp_mem(&f.sn, &f.t, &f.out);
	assert_int_equal(f.out.n, 3);
	fx_fini(&f);
}

static void test_report(void **unused)
{
	struct tulpen_doctor_report r = { 0 }, prev = { 0 };
	struct dr_out out = { 0 };
	struct tulpen_buf b;

	(void)unused;
	dr_subject(dr_finding(&out, NULL, "syn-sent", TULPEN_DOCTOR_WARNING,
			      TULPEN_TCP_SYN_SENT),
		   "a");
	dr_subject(
		dr_finding(&out, NULL, "tcp-memory", TULPEN_DOCTOR_CRITICAL, 0),
		"b");
	dr_subject(dr_finding(&out, NULL, "fin-wait-2-orphans",
			      TULPEN_DOCTOR_NOTICE, TULPEN_TCP_FIN_WAIT2),
		   "c");
	assert_int_equal(out.err, 0);
	dr_sort(&out);
	assert_string_equal(out.v[0].kind, "tcp-memory");
	assert_string_equal(out.v[2].kind, "fin-wait-2-orphans");
	r.v = out.v;
	r.n = out.n;
	r.namespaces = 1;
	r.interval_ms = 1000;
	assert_int_equal(tulpen_doctor_worst(&r), TULPEN_DOCTOR_CRITICAL);

	assert_int_equal(tulpen_buf_init(&b, 0, NULL, NULL), 0);
	assert_int_equal(tulpen_doctor_json(&r, &b), 0);
	assert_non_null(strstr(b.data, "\"worst\":\"critical\""));
	assert_non_null(strstr(b.data, "\"state\":\"SYN-SENT\""));
	assert_non_null(strstr(b.data, "\"state\":null,\"explain\":null"));
	/* --watch: the first round says everything is new ... */
	b.len = 0;
	assert_int_equal(tulpen_doctor_diff(NULL, &r, 0, &b), 0);
	assert_non_null(strstr(b.data, " new CRITICAL tcp-memory"));
	/* ... the same again says nothing, a change and a loss are said */
	b.len = 0;
	b.data[0] = '\0';
	assert_int_equal(tulpen_doctor_diff(&r, &r, 0, &b), 0);
	assert_int_equal(b.len, 0);
	prev.v = calloc(2, sizeof(*prev.v));
	assert_non_null(prev.v);
	prev.v[0] = out.v[1];
	prev.v[0].severity = TULPEN_DOCTOR_NOTICE;
	prev.v[1] = out.v[0];
	dr_subject(&prev.v[1], "gone");
	prev.n = 2;
	assert_int_equal(tulpen_doctor_diff(&prev, &r, 1, &b), 0);
	assert_non_null(strstr(b.data, "{\"type\":\"changed\""));
	assert_non_null(strstr(b.data, "{\"type\":\"resolved\""));
	assert_non_null(strstr(b.data, "{\"type\":\"new\""));
	free(prev.v);

	/* a hostile command name cannot reach the terminal as it is */
	dr_summary(&out.v[1], "x\033[31m holds\nport 80");
	snprintf(out.v[1].procs[0].command, sizeof(out.v[1].procs[0].command),
		 "ev\til\033");
	out.v[1].procs[0].pid = 9;
	out.v[1].nprocs = 1;
	b.len = 0;
	assert_int_equal(tulpen_doctor_text(&r, &b), 0);
	assert_null(memchr(b.data, '\033', b.len));
	assert_non_null(strstr(b.data, "x\\033[31m holds\\012port 80"));
	assert_non_null(strstr(b.data, "ev\\011il\\033 (pid 9)"));
	b.len = 0;
	assert_int_equal(tulpen_doctor_diff(NULL, &r, 0, &b), 0);
	assert_null(memchr(b.data, '\033', b.len));
	tulpen_buf_fini(&b);
	free(out.v);
}

static void test_parse_ppid(void **unused)
{
	static const char status[] = "Name:\tsleep\nUmask:\t0022\n"
				     "State:\tS (sleeping)\nTgid:\t812\n"
				     "Ngid:\t0\nPid:\t812\nPPid:\t77\n"
				     "TracerPid:\t0\n";

	(void)unused;
	assert_int_equal(dr_parse_ppid(status, strlen(status)), 77);
	assert_int_equal(dr_parse_ppid("PPid:\t0\n", 8), 0);
	assert_int_equal(dr_parse_ppid("PPid:\t\n", 7), -1);
	assert_int_equal(dr_parse_ppid("PPid:\t12x\n", 10), -1);
	assert_int_equal(dr_parse_ppid("PPid:\t99999999999\n", 18), -1);
	assert_int_equal(dr_parse_ppid("Pid:\t5\n", 7), -1);
	assert_int_equal(dr_parse_ppid("", 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_close_wait),
		cmocka_unit_test(test_close_wait_copy),
		cmocka_unit_test(test_ephemeral),
		cmocka_unit_test(test_accept_queue),
		cmocka_unit_test(test_orphans),
		cmocka_unit_test(test_syn_sent),
		cmocka_unit_test(test_retrans),
		cmocka_unit_test(test_stuck_queues),
		cmocka_unit_test(test_tcp_mem),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_parse_ppid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
