// SPDX-License-Identifier: MIT
/*
 * list_opts.c - the lister's options, as people type them for ss and
 * netstat: -tulpen, -tan, -xlp, long forms, and ss's state filters.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/filter.h"
#include "tulpen/state.h"
#include "cli_util.h"
#include "list_families.h"
#include "list_opts.h"

enum {
	OPT_JSON = 256,
	OPT_NDJSON,
	OPT_STYLE,
	OPT_SOURCE,
	OPT_PROC_ROOT,
	OPT_COLOR,
	OPT_NL_REPLAY,
	OPT_NL_RECORD,
	OPT_SERVICES,
	OPT_PASSWD,
	OPT_RESOLVE_MS,
	OPT_ALL_NETNS,
	OPT_SHOW_NETNS,
	OPT_SHOW_CONTAINER,
	OPT_TOS,
	OPT_CGROUP,
	OPT_INET_SOCKOPT,
	OPT_DRY_RUN,
	OPT_FAM_NETLINK = 400, /* the families' options (list_families.c) */
	OPT_FAM_VSOCK,
	OPT_FAM_XDP,
	OPT_FAM_TIPC,
	OPT_NUM_HOSTS, /* netstat's numeric options */
	OPT_NUM_PORTS,
	OPT_NUM_USERS,
	OPT_TIPCINFO,
};

/* Every long option here is in list_help.c's --help (cli/conventions). */
static const struct option long_opts[] = {
	{ "tcp", no_argument, NULL, 't' },
	{ "udp", no_argument, NULL, 'u' },
	{ "raw", no_argument, NULL, 'w' },
	{ "unix", no_argument, NULL, 'x' },
	{ "mptcp", no_argument, NULL, 'M' },
	{ "listening", no_argument, NULL, 'l' },
	{ "all", no_argument, NULL, 'a' },
	{ "processes", no_argument, NULL, 'p' },
	{ "program", no_argument, NULL, 'p' },
	{ "extend", no_argument, NULL, 'e' },
	{ "extended", no_argument, NULL, 'e' },
	{ "numeric", no_argument, NULL, 'n' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "summary", no_argument, NULL, 's' },
	{ "statistics", no_argument, NULL, 's' },
	{ "options", no_argument, NULL, 'o' },
	{ "timers", no_argument, NULL, 'o' },
	{ "info", no_argument, NULL, 'i' },
	{ "memory", no_argument, NULL, 'm' },
	{ "tos", no_argument, NULL, OPT_TOS },
	{ "cgroup", no_argument, NULL, OPT_CGROUP },
	{ "inet-sockopt", no_argument, NULL, OPT_INET_SOCKOPT },
	{ "threads", no_argument, NULL, 'T' },
	{ "bpf", no_argument, NULL, 'b' },
	{ "kill", no_argument, NULL, 'K' },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "events", no_argument, NULL, 'E' },
	{ "no-header", no_argument, NULL, 'H' },
	{ "oneline", no_argument, NULL, 'O' },
	{ "resolve", no_argument, NULL, 'r' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "ndjson", no_argument, NULL, OPT_NDJSON },
	{ "style", required_argument, NULL, OPT_STYLE },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "color", optional_argument, NULL, OPT_COLOR },
	{ "colour", optional_argument, NULL, OPT_COLOR },
	{ "nl-replay", required_argument, NULL, OPT_NL_REPLAY },
	{ "nl-record", required_argument, NULL, OPT_NL_RECORD },
	{ "services-file", required_argument, NULL, OPT_SERVICES },
	{ "passwd-file", required_argument, NULL, OPT_PASSWD },
	{ "resolve-timeout", required_argument, NULL, OPT_RESOLVE_MS },
	{ "filter", required_argument, NULL, 'F' },
	{ "net", required_argument, NULL, 'N' },
	{ "all-netns", no_argument, NULL, OPT_ALL_NETNS },
	{ "netns", no_argument, NULL, OPT_SHOW_NETNS },
	{ "container", no_argument, NULL, OPT_SHOW_CONTAINER },
	{ "packet", no_argument, NULL, '0' },
	{ "netlink", no_argument, NULL, OPT_FAM_NETLINK },
	{ "sctp", no_argument, NULL, 'S' },
	{ "vsock", no_argument, NULL, OPT_FAM_VSOCK },
	{ "xdp", no_argument, NULL, OPT_FAM_XDP },
	{ "tipc", no_argument, NULL, OPT_FAM_TIPC },
	{ "tipcinfo", no_argument, NULL, OPT_TIPCINFO },
	{ "family", required_argument, NULL, 'f' },
	{ "query", required_argument, NULL, 'A' },
	{ "socket", required_argument, NULL, 'A' },
	{ "continuous", no_argument, NULL, 'c' },
	{ "wide", no_argument, NULL, 'W' },
	{ "numeric-hosts", no_argument, NULL, OPT_NUM_HOSTS },
	{ "numeric-ports", no_argument, NULL, OPT_NUM_PORTS },
	{ "numeric-users", no_argument, NULL, OPT_NUM_USERS },
	{ NULL, 0, NULL, 0 },
};

/* "@pre '@what'@post" into o->err. */
static int fail(struct list_opts *o, const char *pre, const char *what,
		const char *post)
{
	snprintf(o->err, sizeof(o->err), "%s '%s'%s", pre, what, post);
	return -EINVAL;
}

/* What the option loop keeps besides struct list_opts itself. */
struct parse_state {
	struct list_opts *o;
	uint32_t protos;       /* TULPEN_PF mask of -t, -u, -w, -x, -M */
	int fam4, fam6;	       /* -4, -6 */
	struct family_sel fam; /* -0, -f, -A, --netlink... */
	int source_given;
};

/*
 * One option: getopt_long()'s return value and what it does. set_flag and
 * set_str store @val or the argument into the field at @off of struct
 * list_opts; the others read @val as they document.
 */
struct opt_handler {
	int c;
	int (*fn)(struct parse_state *st, const struct opt_handler *h,
		  const char *arg);
	size_t off;
	int val;
};

/* A word an option takes and the value it stands for. */
struct opt_word {
	const char *word;
	int val;
};

static int set_flag(struct parse_state *st, const struct opt_handler *h,
		    const char *arg)
{
	(void)arg;
	*(int *)(void *)((char *)st->o + h->off) = h->val;
	return 0;
}

static int set_str(struct parse_state *st, const struct opt_handler *h,
		   const char *arg)
{
	*(const char **)(void *)((char *)st->o + h->off) = arg;
	return 0;
}

/* -t, -u, -w, -x, -M: @val is the protocol; -x also prefers AF_UNIX. */
static int add_proto(struct parse_state *st, const struct opt_handler *h,
		     const char *arg)
{
	(void)arg;
	st->protos |= TULPEN_PF(h->val);
	if (h->val == TULPEN_P_UNIX) {
		st->o->filter_family = AF_UNIX;
		st->o->named_families |= TULPEN_FAM_UNIX;
	}
	return 0;
}

/* -W: netstat's wide output is what tulpen always prints. */
static int no_op(struct parse_state *st, const struct opt_handler *h,
		 const char *arg)
{
	(void)st;
	(void)h;
	(void)arg;
	return 0;
}

/* -0, --netlink, --vsock, --xdp, --tipc, -S: @val is the word. */
static int add_fam_word(struct parse_state *st, const struct opt_handler *h,
			const char *arg)
{
	static const char *const words[] = { "link", "netlink", "vsock", "xdp",
					     "tipc" };

	(void)arg;
	if (h->val < 0) /* -S: a table, not a family */
		return family_sel_query(&st->fam, "sctp", st->o->err,
					sizeof(st->o->err));
	return family_sel_family(&st->fam, words[h->val], st->o->err,
				 sizeof(st->o->err));
}

/* The families among @arg's comma-separated words (inet, inet6, unix). */
static uint32_t family_words(const char *arg)
{
	static const char *const names[] = { "inet", "inet6", "unix" };
	static const uint32_t fams[] = { TULPEN_FAM_INET, TULPEN_FAM_INET6,
					 TULPEN_FAM_UNIX };
	uint32_t m = 0;
	size_t i, n;

	while (*arg) {
		n = strcspn(arg, ",");
		for (i = 0; i < 3; i++)
			if (strlen(names[i]) == n && !memcmp(arg, names[i], n))
				m |= fams[i];
		arg += n;
		if (*arg == ',')
			arg++;
	}
	return m;
}

/* -f FAMILY, -A QUERY: @val 1 for -A. */
static int add_fam_arg(struct parse_state *st, const struct opt_handler *h,
		       const char *arg)
{
	st->o->named_families |= family_words(arg);
	if (h->val)
		return family_sel_query(&st->fam, arg, st->o->err,
					sizeof(st->o->err));
	if (!strcmp(arg, "inet"))
		st->fam4 = 1;
	else if (!strcmp(arg, "inet6"))
		st->fam6 = 1;
	return family_sel_family(&st->fam, arg, st->o->err, sizeof(st->o->err));
}

/* -4, -6: @val is the family. */
static int set_family(struct parse_state *st, const struct opt_handler *h,
		      const char *arg)
{
	(void)arg;
	if (h->val == AF_INET)
		st->fam4 = 1;
	else
		st->fam6 = 1;
	st->o->named_families |=
		h->val == AF_INET ? TULPEN_FAM_INET : TULPEN_FAM_INET6;
	st->o->filter_family = h->val;
	return 0;
}

/* --json, --ndjson: @val is the layout. */
static int set_kind(struct parse_state *st, const struct opt_handler *h,
		    const char *arg)
{
	(void)arg;
	st->o->kind = h->val;
	return 0;
}

/* @arg among @words into *@val, else "@opt: '@arg' is not @choices". */
static int pick_word(struct list_opts *o, const char *opt, const char *arg,
		     const struct opt_word *words, const char *choices,
		     int *val)
{
	for (; words->word; words++) {
		if (!strcmp(arg, words->word)) {
			*val = words->val;
			return 0;
		}
	}
	snprintf(o->err, sizeof(o->err), "%s: '%s' is not %s", opt, arg,
		 choices);
	return -EINVAL;
}

static int set_style(struct parse_state *st, const struct opt_handler *h,
		     const char *arg)
{
	static const struct opt_word styles[] = {
		{ "table", TULPEN_FMT_TABLE },
		{ "ss", TULPEN_FMT_SS },
		{ "netstat", TULPEN_FMT_NETSTAT },
		{ NULL, 0 },
	};
	int val;

	(void)h;
	if (pick_word(st->o, "--style", arg, styles, "table, ss or netstat",
		      &val))
		return -EINVAL;
	st->o->kind = val;
	return 0;
}

static int set_source(struct parse_state *st, const struct opt_handler *h,
		      const char *arg)
{
	static const struct opt_word sources[] = {
		{ "auto", TULPEN_SOURCE_AUTO },
		{ "netlink", TULPEN_SOURCE_NETLINK },
		{ "proc", TULPEN_SOURCE_PROC },
		{ NULL, 0 },
	};
	int val;

	(void)h;
	if (pick_word(st->o, "--source", arg, sources, "auto, netlink or proc",
		      &val))
		return -EINVAL;
	st->o->source = val;
	st->source_given = 1;
	return 0;
}

/* --color without a word: always. */
static int set_color(struct parse_state *st, const struct opt_handler *h,
		     const char *arg)
{
	static const struct opt_word whens[] = {
		{ "always", COLOR_ALWAYS },
		{ "never", COLOR_NEVER },
		{ "auto", COLOR_AUTO },
		{ NULL, 0 },
	};
	int val = COLOR_ALWAYS;

	(void)h;
	if (arg && pick_word(st->o, "--color", arg, whens,
			     "auto, always or never", &val))
		return -EINVAL;
	st->o->color = val;
	return 0;
}

/* The -r deadline: a bare number counts milliseconds; at most a day. */
static int set_resolve_ms(struct parse_state *st, const struct opt_handler *h,
			  const char *arg)
{
	static const struct cli_duration ms = {
		.unit_ns = CLI_NSEC_PER_MSEC,
		.min_ns = CLI_NSEC_PER_MSEC,
		.max_ns = 86400 * CLI_NSEC_PER_SEC,
	};
	struct list_opts *o = st->o;
	uint64_t ns;

	(void)h;
	if (cli_parse_duration("--resolve-timeout", arg, &ms, &ns, o->err,
			       sizeof(o->err)))
		return -EINVAL;
	o->resolve_ms = (unsigned int)(ns / CLI_NSEC_PER_MSEC);
	return 0;
}

/* -N NAME, a path, a pid, or "all" (--all-netns). */
static int set_net(struct parse_state *st, const struct opt_handler *h,
		   const char *arg)
{
	struct list_opts *o = st->o;

	(void)h;
	if (!*arg) {
		snprintf(o->err, sizeof(o->err),
			 "-N: needs a name, a path, a pid or all");
		return -EINVAL;
	}
	if (!strcmp(arg, "all"))
		o->all_netns = 1;
	else
		o->netns = arg;
	return 0;
}

#define FLAG(ch, field)                                                        \
	{                                                                      \
		ch, set_flag, offsetof(struct list_opts, field), 1             \
	}
#define STR(ch, field)                                                         \
	{                                                                      \
		ch, set_str, offsetof(struct list_opts, field), 0              \
	}
#define CALL(ch, fn, val)                                                      \
	{                                                                      \
		ch, fn, 0, val                                                 \
	}

/* What each option of long_opts[] and the short option string does. */
static const struct opt_handler opt_handlers[] = {
	CALL('t', add_proto, TULPEN_P_TCP),
	CALL('u', add_proto, TULPEN_P_UDP),
	CALL('w', add_proto, TULPEN_P_RAW),
	CALL('x', add_proto, TULPEN_P_UNIX),
	CALL('M', add_proto, TULPEN_P_MPTCP),
	CALL('4', set_family, AF_INET),
	CALL('6', set_family, AF_INET6),
	FLAG('l', listening),
	FLAG('a', all),
	FLAG('p', owners),
	FLAG('e', extended),
	FLAG('n', numeric),
	FLAG('o', timers),
	FLAG('i', info),
	FLAG('m', memory),
	FLAG(OPT_TOS, tos),
	FLAG(OPT_CGROUP, cgroup),
	FLAG(OPT_INET_SOCKOPT, inet_sockopt),
	FLAG(OPT_TIPCINFO, tipcinfo),
	FLAG('T', threads),
	FLAG('b', bpf),
	FLAG('K', kill),
	FLAG(OPT_DRY_RUN, dry_run),
	FLAG('E', events),
	FLAG('s', summary),
	FLAG('H', no_header),
	FLAG('r', resolve),
	FLAG('h', help),
	FLAG('V', version),
	FLAG('v', verbose),
	FLAG('O', oneline),
	STR('F', filter_file),
	CALL('N', set_net, 0),
	CALL(OPT_JSON, set_kind, TULPEN_FMT_JSON),
	CALL(OPT_NDJSON, set_kind, TULPEN_FMT_NDJSON),
	CALL(OPT_STYLE, set_style, 0),
	CALL(OPT_SOURCE, set_source, 0),
	STR(OPT_PROC_ROOT, proc_root),
	CALL(OPT_COLOR, set_color, 0),
	STR(OPT_NL_REPLAY, nl_replay),
	STR(OPT_NL_RECORD, nl_record),
	STR(OPT_SERVICES, services_file),
	STR(OPT_PASSWD, passwd_file),
	CALL(OPT_RESOLVE_MS, set_resolve_ms, 0),
	FLAG(OPT_ALL_NETNS, all_netns),
	FLAG(OPT_SHOW_NETNS, show_netns),
	FLAG(OPT_SHOW_CONTAINER, show_container),
	CALL('0', add_fam_word, 0),
	CALL(OPT_FAM_NETLINK, add_fam_word, 1),
	CALL(OPT_FAM_VSOCK, add_fam_word, 2),
	CALL(OPT_FAM_XDP, add_fam_word, 3),
	CALL(OPT_FAM_TIPC, add_fam_word, 4),
	CALL('S', add_fam_word, -1),
	CALL('f', add_fam_arg, 0),
	CALL('A', add_fam_arg, 1),
	FLAG('c', continuous),
	CALL('W', no_op, 0),
	FLAG(OPT_NUM_HOSTS, numeric_hosts),
	FLAG(OPT_NUM_PORTS, numeric_ports),
	FLAG(OPT_NUM_USERS, numeric_users),
};

static const struct opt_handler *find_handler(int c)
{
	size_t i;

	for (i = 0; i < sizeof(opt_handlers) / sizeof(opt_handlers[0]); i++)
		if (opt_handlers[i].c == c)
			return &opt_handlers[i];
	return NULL;
}

/* The namespace options against each other and the recorded sources. */
static int check_netns(struct list_opts *o)
{
	const char *rec = o->nl_replay ? "--nl-replay" : "--nl-record";

	if (o->netns && o->all_netns) {
		snprintf(o->err, sizeof(o->err),
			 "-N %s and --all-netns (or -N all) exclude each other",
			 o->netns);
		return -EINVAL;
	}
	if ((o->netns || o->all_netns) && o->proc_root) {
		snprintf(o->err, sizeof(o->err),
			 "--proc-root and %s exclude each other (--proc-root "
			 "reads recorded sockets)",
			 o->netns ? "-N" : "--all-netns");
		return -EINVAL;
	}
	if ((o->netns || o->all_netns || o->show_netns || o->show_container) &&
	    (o->nl_replay || o->nl_record)) {
		snprintf(o->err, sizeof(o->err),
			 "%s: works in one namespace only (not with -N, "
			 "--all-netns, --netns, --container)",
			 rec);
		return -EINVAL;
	}
	return 0;
}

/*
 * --proc-root reads recorded files: the sockets come from them too, never
 * from the live kernel (that would mix two hosts, or two moments, in one
 * listing). So it implies --source=proc, and a netlink source with it is
 * a contradiction.
 */
static int check_proc_root(struct list_opts *o, int source_given)
{
	if (!o->proc_root)
		return 0;
	if (!*o->proc_root) {
		snprintf(o->err, sizeof(o->err),
			 "--proc-root: the directory name is empty");
		return -EINVAL;
	}
	if (source_given && o->source != TULPEN_SOURCE_PROC) {
		snprintf(o->err, sizeof(o->err),
			 "--proc-root and --source=%s exclude each other "
			 "(--proc-root reads recorded sockets)",
			 o->source == TULPEN_SOURCE_AUTO ? "auto" : "netlink");
		return -EINVAL;
	}
	if (o->nl_replay || o->nl_record) {
		snprintf(o->err, sizeof(o->err),
			 "--proc-root and %s exclude each other "
			 "(--proc-root reads recorded sockets)",
			 o->nl_replay ? "--nl-replay" : "--nl-record");
		return -EINVAL;
	}
	o->source = TULPEN_SOURCE_PROC;
	return 0;
}

/* Every option through its handler; stops at the first word. */
static int parse_options(struct parse_state *st, int argc, char **argv)
{
	struct list_opts *o = st->o;
	const struct opt_handler *h;
	int c;

	optind = 0; /* reset getopt (also for unit tests) */
	opterr = 0;
	while ((c = getopt_long(argc, argv,
				":tuwxMlapeno46sHOrhVvimTbKEN:F:0Sf:A:cW",
				long_opts, NULL)) != -1) {
		h = c == ':' || c == '?' ? NULL : find_handler(c);
		if (!h)
			return cli_getopt_error(c, argv, long_opts, o->err,
						sizeof(o->err));
		if (h->fn(st, h, optarg))
			return -EINVAL;
	}
	return 0;
}

static int is_state_word(const char *kw)
{
	return !strcmp(kw, "state") || !strcmp(kw, "exclude") ||
	       !strcmp(kw, "excl");
}

/*
 * As ss: state WORD and exclude WORD (also "excl") first, in order: the
 * first "state" starts from no state, the first "exclude" from every
 * state. The expression follows: its words are left in o->expr_argv.
 * *@want is the states named, *@have_filter whether any word was given.
 */
static int parse_state_words(struct list_opts *o, int argc, char **argv,
			     const char *first, uint32_t *want,
			     int *have_filter)
{
	int i;

	for (i = optind; i < argc; i++) {
		const char *kw = argv[i];
		uint32_t mask;

		if (!is_state_word(kw) && kw == first &&
		    !tulpen_filter_starts_expr(kw))
			return fail(o, "unknown command or filter word", kw,
				    "");
		if (!is_state_word(kw))
			break;
		if (i + 1 >= argc)
			return fail(o, "filter", kw, " needs a state name");
		if (tulpen_state_parse(argv[i + 1], &mask))
			return fail(o, "unknown state", argv[i + 1], "");
		if (!*have_filter)
			*want = strcmp(kw, "state") ? TULPEN_SF_ALL : 0;
		if (!strcmp(kw, "state"))
			*want |= mask;
		else
			*want &= ~mask;
		*have_filter = 1;
		i++;
	}
	o->expr_argc = argc - i;
	o->expr_argv = argv + i;
	return 0;
}

/* -K and -E against the other options. */
static int check_modes(struct list_opts *o)
{
	if (o->dry_run && !o->kill)
		return fail(o, "option", "--dry-run", " works only with -K");
	if (o->kill && o->events)
		return fail(o, "option", "-K", " and -E exclude each other");
	if ((o->kill || o->events) && o->summary)
		return fail(o, "option", o->kill ? "-K" : "-E",
			    " and -s exclude each other");
	if ((o->kill || o->events) && (o->proc_root || o->nl_replay)) {
		snprintf(o->err, sizeof(o->err),
			 "%s works on the live kernel only (not with %s)",
			 o->kill ? "-K" : "-E",
			 o->proc_root ? "--proc-root" : "--nl-replay");
		return -EINVAL;
	}
	if (o->kill && (o->all_netns || o->show_netns || o->show_container)) {
		snprintf(o->err, sizeof(o->err),
			 "-K works in one namespace: -N NAME names it (not "
			 "--all-netns, --netns or --container)");
		return -EINVAL;
	}
	if (o->kill && !o->have_filter && !o->expr_argc && !o->filter_file) {
		snprintf(o->err, sizeof(o->err),
			 "-K: refusing to close every socket: give a state or "
			 "a filter expression (e.g. 'dport = :80'); "
			 "'state all' means all");
		return -EINVAL;
	}
	return 0;
}

/* The protocols and families of the query, from -t... and -4/-6. */
static void set_protos(struct list_opts *o, const struct parse_state *st)
{
	uint32_t protos = st->protos;

	if (protos || st->fam.protos || st->fam.families) {
		/* tables and families complete each other, as in ss */
		o->q.protos = protos;
		o->q.families = (st->fam4 ? TULPEN_FAM_INET : 0) |
				(st->fam6 ? TULPEN_FAM_INET6 : 0);
		if (st->fam.protos || st->fam.families) {
			family_sel_apply(&st->fam, &o->q);
			return;
		}
	}
	if (!protos)
		protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_UDP) |
			 TULPEN_PF(TULPEN_P_RAW) | TULPEN_PF(TULPEN_P_MPTCP) |
			 TULPEN_PF(TULPEN_P_UNIX) | TULPEN_PF(TULPEN_P_SCTP) |
			 TULPEN_PF(TULPEN_P_NETLINK) |
			 TULPEN_PF(TULPEN_P_PACKET) |
			 TULPEN_PF(TULPEN_P_VSOCK) | TULPEN_PF(TULPEN_P_XDP);
	o->q.protos = protos;
	if (st->fam4 || st->fam6) {
		o->q.families = (st->fam4 ? TULPEN_FAM_INET : 0) |
				(st->fam6 ? TULPEN_FAM_INET6 : 0);
		if (protos & TULPEN_PF(TULPEN_P_UNIX) &&
		    (protos & ~TULPEN_PF(TULPEN_P_UNIX)) == 0)
			o->q.families |= TULPEN_FAM_UNIX;
	} else {
		o->q.families = TULPEN_FAM_ALL;
	}
}

/*
 * ss's default states of what was chosen (misc/ss.c default_afs[]): the
 * families that know no connections (-0, -f link, -f netlink, --xdp)
 * bring UNCONN, everything else the connected states.
 */
static uint32_t default_states(const struct parse_state *st)
{
	const uint32_t unconn_fams = TULPEN_FAM_PACKET | TULPEN_FAM_NETLINK |
				     TULPEN_FAM_XDP | TULPEN_FAM_TIPC;
	uint32_t close_fams = st->fam.families & unconn_fams;
	uint32_t states = 0;

	if (!close_fams || st->protos || st->fam.protos || st->fam4 ||
	    st->fam6 || st->fam.query_seen || (st->fam.families & ~unconn_fams))
		states =
			TULPEN_SF_ALL & ~(TULPEN_SF(TULPEN_TCP_LISTEN) |
					  TULPEN_SF(TULPEN_TCP_CLOSE) |
					  TULPEN_SF(TULPEN_TCP_BOUND_INACTIVE) |
					  TULPEN_SF(TULPEN_TCP_TIME_WAIT) |
					  TULPEN_SF(TULPEN_TCP_SYN_RECV) |
					  TULPEN_SF(TULPEN_TCP_NEW_SYN_RECV));
	/* -A sets ss's state filter to the connected states */
	if (st->fam.query_seen)
		return states;
	if (close_fams)
		states |= TULPEN_SF(TULPEN_TCP_CLOSE);
	if (st->fam.families & TULPEN_FAM_TIPC) /* ss's TIPC_SS_CONN */
		states |= TULPEN_SF(TULPEN_TCP_ESTABLISHED) |
			  TULPEN_SF(TULPEN_TCP_LISTEN) |
			  TULPEN_SF(TULPEN_TCP_CLOSE);
	return states;
}

/* The states of the query: the state words, else -a, -s, -l or ss's. */
static void set_states(struct list_opts *o, const struct parse_state *st,
		       uint32_t want, int have_filter)
{
	if (have_filter && want) {
		/* ss: state words that leave no state mean the default */
		o->q.states = want;
	} else if (!have_filter && (o->all || o->summary)) {
		o->q.states = TULPEN_SF_ALL;
	} else if (!have_filter && o->listening) {
		o->q.states = TULPEN_SF(TULPEN_TCP_LISTEN) |
			      TULPEN_SF(TULPEN_TCP_CLOSE);
	} else {
		/*
		 * As ss: connected sockets, without the "bucket" ones
		 * (TIME-WAIT, SYN-RECEIVED); -a or `state bucket` shows them.
		 */
		o->q.states = default_states(st);
	}
}

int list_opts_parse(struct list_opts *o, int argc, char **argv)
{
	struct parse_state st = { .o = o };
	const char *first = argc > 1 ? argv[1] : NULL; /* before getopt */
	uint32_t want = 0;
	int have_filter = 0;

	memset(o, 0, sizeof(*o));
	o->kind = TULPEN_FMT_TABLE;
	o->resolve_ms = 2000;
	o->services_file = "/etc/services";
	o->passwd_file = "/etc/passwd";
	if (parse_options(&st, argc, argv))
		return -EINVAL;
	if (parse_state_words(o, argc, argv, first, &want, &have_filter))
		return -EINVAL;
	if (check_proc_root(o, st.source_given))
		return -EINVAL;
	set_protos(o, &st);
	set_states(o, &st, want, have_filter);
	o->have_filter = have_filter;
	if (o->threads)
		o->owners = 1; /* as ss: -T shows users:(...) too */
	if (o->listening && o->all)
		o->listening = 0; /* -a wins, as in ss and netstat */
	if (o->numeric_hosts)
		o->resolve = 0; /* hosts are numbers unless -r */
	if (check_modes(o))
		return -EINVAL;
	return check_netns(o);
}
