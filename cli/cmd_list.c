// SPDX-License-Identifier: MIT
/*
 * cmd_list.c - the socket lister: `tulpen [options] [filters]`.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tulpen/collect.h"
#include "tulpen/ctx.h"
#include "tulpen/filter.h"
#include "tulpen/fmt.h"
#include "tulpen/names.h"
#include "tulpen/owners.h"
#include "tulpen/summary.h"
#include "cli_util.h"
#include "commands.h"
#include "list_kill.h"
#include "list_netns.h"
#include "list_opts.h"
#include "output.h"

struct run {
	struct tulpen_fmt *fmt;
	struct tulpen_owners *owners;
	struct tulpen_resolver *res;
};

static int print_cb(const struct tulpen_sock *s, void *data)
{
	struct run *r = data;
	const struct tulpen_owner *ow = NULL;
	size_t n = 0;

	if (r->owners && s->inode)
		ow = tulpen_owners_lookup(r->owners, s->inode, &n);
	return tulpen_fmt_sock(r->fmt, s, ow, n);
}

static int flush_cb(void *data)
{
	struct run *r = data;

	return tulpen_fmt_flush(r->fmt);
}

static int resolve_cb(const struct tulpen_sock *s, void *data)
{
	struct run *r = data;

	static const uint8_t any[16];
	size_t alen = s->family == AF_INET ? 4 : 16;

	if (s->family == AF_UNIX)
		return 0;
	/* wildcards stay "0.0.0.0" and "::", as with ss and netstat */
	if (memcmp(s->local.addr.raw, any, alen))
		tulpen_resolver_add(r->res, s->family, s->local.addr.raw);
	if (memcmp(s->peer.addr.raw, any, alen))
		tulpen_resolver_add(r->res, s->family, s->peer.addr.raw);
	return 0;
}

/*
 * ss leaves out its Netid column when one kind of socket is asked for
 * (-t, -u, -w or -M alone); the UNIX kinds count as several.
 */
/* ss's tables of a protocol: one per socket type for UNIX, packet, vsock */
static int ss_tables(uint16_t types, int all)
{
	return types ? __builtin_popcount(types) : all;
}

/* ss shows no Netid when one of its tables is listed. */
static int ss_single_netid(const struct tulpen_query *q)
{
	int n = 0, p;

	for (p = 0; p < TULPEN_P_MAX; p++) {
		if (!(q->protos & TULPEN_PF(p)))
			continue;
		if (p == TULPEN_P_UNIX)
			n += ss_tables(q->unix_types, 3);
		else if (p == TULPEN_P_PACKET)
			n += ss_tables(q->packet_types, 2);
		else if (p == TULPEN_P_VSOCK)
			n += ss_tables(q->vsock_types, 2);
		else
			n++;
	}
	return n == 1;
}

/* ss spreads its columns over a terminal's width. */
static int ss_screen_width(const struct list_opts *o)
{
	struct winsize w;

	if (o->kind != TULPEN_FMT_SS || !isatty(STDOUT_FILENO) ||
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) || !w.ws_col)
		return 0;
	return w.ws_col;
}

/* ss shows no State for one state (request sockets are SYN-RECV). */
static int ss_single_state(uint32_t states)
{
	if (states & TULPEN_SF(TULPEN_TCP_NEW_SYN_RECV))
		states = (states & ~TULPEN_SF(TULPEN_TCP_NEW_SYN_RECV)) |
			 TULPEN_SF(TULPEN_TCP_SYN_RECV);
	states &= ~TULPEN_SF(TULPEN_TCP_BOUND_INACTIVE);
	return states && !(states & (states - 1));
}

static int use_color(const struct list_opts *o)
{
	const char *term = getenv("TERM");

	if (o->color == COLOR_ALWAYS)
		return 1;
	if (o->color == COLOR_NEVER || getenv("NO_COLOR"))
		return 0;
	return isatty(STDOUT_FILENO) && term && strcmp(term, "dumb");
}

static int fail_collect(struct tulpen_ctx *ctx, int err)
{
	const char *msg = tulpen_ctx_errmsg(ctx);

	if (err == -EPIPE)
		return 0; /* the reader went away: a quiet end */
	return cli_error(NULL, "%s", *msg ? msg : strerror(-err));
}

/*
 * netstat -s: the sections of -t, -u, -w (all without them) of one family;
 * netstat has no statistics of UNIX sockets, nor of both families at once.
 */
static int netstat_snmp_flags(const struct list_opts *o, unsigned int *flags)
{
	/* by the TULPEN_FAM_INET, _INET6, _UNIX bits */
	static const char *const names[] = {
		"",	"inet",	     "inet6",	   "inet,inet6",
		"unix", "inet,unix", "inet6,unix", "inet,inet6,unix",
	};
	uint32_t fam = o->named_families;

	if (fam & TULPEN_FAM_UNIX ||
	    (fam & TULPEN_FAM_INET && fam & TULPEN_FAM_INET6))
		return cli_error(NULL,
				 "-s --style=netstat: no statistics for "
				 "address family %s (netstat -s knows one of "
				 "inet, inet6)",
				 names[fam & 7]);
	*flags = (o->q.protos & TULPEN_PF(TULPEN_P_TCP) ? TULPEN_SNMP_TCP : 0) |
		 (o->q.protos & TULPEN_PF(TULPEN_P_UDP) ? TULPEN_SNMP_UDP : 0) |
		 (o->q.protos & TULPEN_PF(TULPEN_P_RAW) ? TULPEN_SNMP_RAW : 0) |
		 (fam == TULPEN_FAM_INET6 ? TULPEN_SNMP_INET6 : 0);
	return 0;
}

static int run_netstat_snmp(struct tulpen_ctx *ctx, const struct list_opts *o)
{
	unsigned int flags = 0;
	struct tulpen_buf b;
	int ret;

	if (netstat_snmp_flags(o, &flags))
		return CLI_EXIT_RUNTIME;
	ret = tulpen_buf_init(&b, 0, cli_fd_sink, (void *)(intptr_t)1);
	if (ret)
		return fail_collect(ctx, ret);
	ret = tulpen_snmp_format_netstat(ctx, flags, &b);
	if (!ret)
		ret = tulpen_buf_flush(&b);
	tulpen_buf_fini(&b);
	if (ret && ret != -EPIPE)
		return fail_collect(ctx, ret);
	return 0;
}

static int run_summary(struct tulpen_ctx *ctx, const struct list_opts *o,
		       struct list_netns *ln)
{
	struct tulpen_summary sum;
	struct tulpen_buf b;
	int ret;

	if (!ln->active && o->kind == TULPEN_FMT_NETSTAT)
		return run_netstat_snmp(ctx, o);
	if (!ln->active) {
		ret = tulpen_summary_collect(ctx, &o->q, &sum);
		if (ret)
			return fail_collect(ctx, ret);
	}
	ret = tulpen_buf_init(&b, 0, cli_fd_sink, (void *)(intptr_t)1);
	if (ret)
		return fail_collect(ctx, ret);
	if (ln->active) /* -N, --all-netns: per-namespace counts */
		ret = list_netns_summary(ctx, o, ln, &b);
	else if (o->kind == TULPEN_FMT_SS)
		ret = tulpen_kernel_stats_format_ss(&sum.kernel, &b);
	else
		ret = tulpen_summary_format(&sum,
					    o->kind == TULPEN_FMT_JSON ||
						    o->kind ==
							    TULPEN_FMT_NDJSON,
					    &b);
	if (!ret)
		ret = tulpen_buf_flush(&b);
	tulpen_buf_fini(&b);
	if (ret && ret != -EPIPE)
		return fail_collect(ctx, ret);
	return ln->nfailed ? 1 : 0;
}

static int setup_ctx(struct tulpen_ctx *ctx, const struct list_opts *o)
{
	int ret = 0;

	tulpen_ctx_set_source(ctx, o->source);
	if (o->proc_root)
		ret = tulpen_ctx_set_proc_root(ctx, o->proc_root);
	if (!ret && o->nl_record)
		ret = tulpen_ctx_nl_record(ctx, o->nl_record);
	if (!ret && o->nl_replay)
		ret = tulpen_ctx_nl_replay(ctx, o->nl_replay);
	return ret;
}

/* The -F file, whole ("-..." is standard input, as in ss); 16 MiB at most. */
static int read_filter_file(const char *path, char **out)
{
	FILE *f = path[0] == '-' ? stdin : fopen(path, "re");
	size_t len = 0, cap = 4096;
	char *buf = NULL, *nb;
	int ret = 0;

	if (!f)
		return -errno;
	for (;;) {
		nb = realloc(buf, cap);
		if (!nb) {
			ret = -ENOMEM;
			break;
		}
		buf = nb;
		len += fread(buf + len, 1, cap - len - 1, f);
		if (len + 1 < cap || ferror(f))
			break;
		if (cap >= (1u << 24)) {
			ret = -EFBIG;
			break;
		}
		cap *= 2;
	}
	if (!ret && ferror(f))
		ret = -EIO;
	if (f != stdin)
		fclose(f);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* The error, the line it is in, and a caret under the column. */
static void print_filter_error(const struct tulpen_filter_error *e,
			       const char *file)
{
	unsigned int i;

	if (e->line)
		fprintf(stderr, "tulpen: filter: %s, line %u, column %u\n",
			e->msg, e->line, e->column);
	else
		fprintf(stderr, "tulpen: filter: %s, column %u\n", e->msg,
			e->column);
	if (e->line)
		fprintf(stderr, "  (%s)\n", file);
	fprintf(stderr, "  %s\n  ", e->text);
	for (i = 1; i < e->column; i++)
		fputc(e->text[i - 1] == '\t' ? '\t' : ' ', stderr);
	fputs("^\n", stderr);
}

/*
 * The filter expression (words after the states, and -F FILE) through the
 * library's one parser into o->q.filter. Returns 0, or the exit status.
 */
static int build_filter(struct list_opts *o, struct tulpen_filter **out)
{
	struct tulpen_filter_opts fo = { 0 };
	struct tulpen_filter_error fe;
	struct tulpen_cgroups *cg = NULL;
	char *text = NULL, mi[4096];
	int ret, status = 0;

	*out = NULL;
	if (!o->expr_argc && !o->filter_file)
		return 0;
	if (o->filter_file) {
		ret = read_filter_file(o->filter_file, &text);
		if (ret)
			return cli_error(NULL, "filter file '%s': %s",
					 o->filter_file, strerror(-ret));
	}
	snprintf(mi, sizeof(mi), "%s/self/mountinfo",
		 o->proc_root ? o->proc_root : "/proc");
	if (tulpen_cgroups_new(mi, &cg)) {
		status = cli_error(NULL, "%s", strerror(ENOMEM));
		goto out;
	}
	fo.family = o->filter_family;
	fo.protos = o->q.protos;
	fo.services_file = o->services_file;
	fo.proc_root = o->proc_root;
	fo.cgroups = cg;
	fo.resolve_ms = o->resolve_ms;
	ret = tulpen_filter_parse(o->expr_argc,
				  (const char *const *)o->expr_argv, text, &fo,
				  out, &fe);
	if (ret) {
		print_filter_error(&fe, o->filter_file);
		status = ret == -ENOMEM ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE;
		goto out;
	}
	o->q.filter = *out;
	if (tulpen_filter_families(*out))
		o->q.families = tulpen_filter_families(*out);
out:
	free(text);
	tulpen_cgroups_free(cg);
	return status;
}

int list_help_print(void)
{
	const struct tulpen_command *c;

	fputs(list_help, stdout);
	fputs(list_filter_help, stdout);
	fputs("Commands:\n", stdout);
	for (c = tulpen_commands; c->name; c++)
		if (strlen(c->synopsis) < 20)
			printf("   %-20s%s\n", c->synopsis, c->summary);
		else /* too wide for the column: the summary below it */
			printf("   %s\n   %-20s%s\n", c->synopsis, "",
			       c->summary);
	return cli_help(NULL, "\n'tulpen help COMMAND' or 'tulpen COMMAND "
			      "--help': a command's options.\n"
			      "See tulpen(1) for details.\n");
}

/* Everything one listing holds, freed by run_free(). */
struct list_res {
	struct tulpen_services *svc;
	struct tulpen_users *users;
	struct tulpen_cgroups *cgroups;
	struct tulpen_ctx *ctx;
	struct tulpen_filter *filter;
	struct list_netns ln;
	struct run r;
};

static void list_res_free(struct list_res *x)
{
	tulpen_fmt_free(x->r.fmt);
	tulpen_owners_free(x->r.owners);
	tulpen_resolver_free(x->r.res);
	tulpen_services_free(x->svc);
	tulpen_users_free(x->users);
	tulpen_cgroups_free(x->cgroups);
	list_netns_fini(&x->ln);
	tulpen_ctx_free(x->ctx);
	tulpen_filter_free(x->filter);
}

/* Service and user names, unless -n. */
static int load_names(const struct list_opts *o, struct list_res *x)
{
	int ret;

	if (o->numeric)
		return 0;
	ret = tulpen_services_new(o->services_file, &x->svc);
	if (ret)
		return ret;
	if (o->extended || o->kind == TULPEN_FMT_JSON ||
	    o->kind == TULPEN_FMT_NDJSON)
		ret = tulpen_users_new(o->passwd_file, &x->users);
	return ret;
}

/*
 * -p (-T: per thread): the owners table, and a word on the processes it
 * could not see.
 */
static int load_owners(struct list_res *x, int threads)
{
	struct tulpen_owners_stats st;
	int ret;

	ret = threads ? tulpen_owners_new_threads(x->ctx, &x->r.owners)
		      : tulpen_owners_new(x->ctx, &x->r.owners);
	if (ret)
		return ret;
	x->ln.owners = x->r.owners;
	tulpen_owners_stats(x->r.owners, &st);
	if (st.denied)
		cli_error(NULL,
			  "owners hidden for %zu processes that this user may "
			  "not inspect (run as root to see them)",
			  st.denied);
	return 0;
}

/* -r: a first walk queues the addresses, resolved in parallel. */
static int resolve_names(const struct list_opts *o, struct list_res *x)
{
	int ret;

	ret = tulpen_resolver_new(16, o->resolve_ms, &x->r.res);
	if (ret)
		return ret;
	ret = list_netns_collect(x->ctx, o, &x->ln, resolve_cb, &x->r);
	if (ret)
		return ret;
	tulpen_resolver_run(x->r.res);
	return 0;
}

/* The formatter for @o's layout and columns. */
static int make_fmt(struct list_opts *o, struct list_res *x)
{
	struct tulpen_fmt_opts fo = { 0 };
	int ret;

	/* netstat's UNIX columns (RefCnt) come from /proc/net/unix */
	if (o->kind == TULPEN_FMT_NETSTAT) {
		o->q.proc_protos |= TULPEN_PF(TULPEN_P_UNIX);
		/* netstat reads tcp, then tcp6, udp, udp6... */
		o->q.flags |= TULPEN_Q_FAMILY_ORDER;
	}
	/* ss's row order: UDP before TCP, IPv4 before IPv6, netlink first */
	if (o->kind == TULPEN_FMT_SS)
		o->q.flags |= TULPEN_Q_SS_ORDER;
	if (o->kind == TULPEN_FMT_SS && (o->extended || o->cgroup)) {
		char mi[4096];

		snprintf(mi, sizeof(mi), "%s/self/mountinfo",
			 o->proc_root ? o->proc_root : "/proc");
		ret = tulpen_cgroups_new(mi, &x->cgroups);
		if (ret)
			return ret;
	}
	fo.ss_no_netid = ss_single_netid(&o->q);
	fo.ss_no_state = ss_single_state(o->q.states);
	fo.ss_screen_width = ss_screen_width(o);
	fo.cgroups = x->cgroups;
	fo.numeric = o->numeric;
	fo.show_owners = o->owners;
	fo.extended = o->extended;
	/* ss -b shows the timers too (its -b sets show_options) */
	fo.timers = o->timers || (o->bpf && o->kind == TULPEN_FMT_SS);
	fo.header = !o->no_header;
	fo.color = o->kind == TULPEN_FMT_TABLE && use_color(o);
	fo.listening = o->listening;
	fo.all = o->all;
	fo.services = o->numeric_ports ? NULL : x->svc;
	fo.users = o->numeric_users ? NULL : x->users;
	fo.resolver = x->r.res;
	fo.show_netns = o->show_netns || o->all_netns;
	fo.show_container = o->show_container || o->all_netns;
	fo.info = o->info;
	fo.memory = o->memory;
	fo.tos = o->tos;
	fo.show_cgroup = o->cgroup;
	fo.inet_sockopt = o->inet_sockopt;
	fo.oneline = o->oneline;
	fo.show_threads = o->threads;
	fo.bpf = o->bpf;
	fo.tipcinfo = o->tipcinfo;
	if (o->events)
		fo.table_hold = 1; /* stream: each row as it comes */
	return tulpen_fmt_new(o->kind, &fo, cli_fd_sink, (void *)(intptr_t)1,
			      &x->r.fmt);
}

/* What the records must carry for the extras asked for. */
static void set_ext(struct list_opts *o)
{
	if (o->info)
		o->q.ext |= TULPEN_EXT_TCP_INFO;
	if (o->memory)
		o->q.ext |= TULPEN_EXT_SKMEM;
	if (o->tos)
		o->q.ext |= TULPEN_EXT_TOS;
	if (o->extended && o->kind == TULPEN_FMT_SS)
		o->q.ext |= TULPEN_EXT_UNIX_DETAILS;
}

/*
 * Names, owners, the formatter, then the walk (or -K's, or -E's events).
 * Returns 0 or a negative errno; *@status is the exit status of -K and -E.
 */
static int run_listing(struct list_opts *o, struct list_res *x, int *status)
{
	int ret;

	set_ext(o);
	ret = load_names(o, x);
	if (!ret && o->owners)
		ret = load_owners(x, o->threads);
	if (!ret && o->resolve)
		ret = resolve_names(o, x);
	if (!ret)
		ret = make_fmt(o, x);
	if (ret)
		return ret;
	if (o->kill && x->ln.only && o->netns) {
		/* -K -N NAME: the walk and SOCK_DESTROY both in NAME */
		ret = tulpen_ctx_set_netns_path(x->ctx, x->ln.only->path);
		if (ret)
			return ret;
	}
	if (o->kill)
		*status = list_kill(x->ctx, o, print_cb, &x->r);
	else if (o->events)
		*status = list_events(x->ctx, o, &x->ln, print_cb, flush_cb,
				      &x->r);
	else
		ret = list_netns_collect(x->ctx, o, &x->ln, print_cb, &x->r);
	if (!ret)
		ret = tulpen_fmt_end(x->r.fmt);
	return ret;
}

/* netstat -c: the listing again every second, until output closes. */
static int run_continuous(struct list_opts *o, struct list_res *x, int *status)
{
	int ret;

	for (;;) {
		ret = run_listing(o, x, status);
		if (ret)
			return ret == -EPIPE ? 0 : ret;
		tulpen_fmt_free(x->r.fmt);
		x->r.fmt = NULL;
		tulpen_owners_free(x->r.owners);
		x->r.owners = NULL;
		tulpen_resolver_free(x->r.res);
		x->r.res = NULL;
		tulpen_services_free(x->svc);
		x->svc = NULL;
		tulpen_users_free(x->users);
		x->users = NULL;
		tulpen_cgroups_free(x->cgroups);
		x->cgroups = NULL;
		sleep(1);
	}
}

int cmd_list(int argc, char **argv)
{
	struct list_res x = { 0 };
	struct list_opts o;
	struct cli_notes notes = { NULL, 0, 0 };
	int ret, status, mode_status = 0;

	if (list_opts_parse(&o, argc, argv))
		return cli_usage_error(NULL, "%s", o.err);
	if (o.help)
		return list_help_print();
	if (o.version)
		return cli_version(NULL);
	if (o.proc_root) {
		ret = cli_check_dir(NULL, "--proc-root", o.proc_root);
		if (ret)
			return ret;
	}
	status = build_filter(&o, &x.filter);
	if (status)
		return status;
	ret = tulpen_ctx_new(&x.ctx);
	if (!ret) {
		notes.verbose = o.verbose;
		tulpen_ctx_set_note(x.ctx, cli_note, &notes);
	}
	if (!ret)
		ret = setup_ctx(x.ctx, &o);
	if (!ret)
		ret = list_netns_setup(x.ctx, &o, &x.ln);
	if (!ret && o.summary)
		status = run_summary(x.ctx, &o, &x.ln);
	else if (!ret && o.continuous)
		ret = run_continuous(&o, &x, &mode_status);
	else if (!ret)
		ret = run_listing(&o, &x, &mode_status);
	if (ret)
		status = x.ctx ? fail_collect(x.ctx, ret)
			       : cli_error(NULL, "%s", strerror(-ret));
	else if (!o.summary)
		status = mode_status	? mode_status
			 : x.ln.nfailed ? 1
					: 0; /* each reported */
	list_res_free(&x);
	return status;
}
