// SPDX-License-Identifier: MIT
/*
 * list_opts.c - the lister's options, as people type them for ss and
 * netstat: -tulpen, -tan, -xlp, long forms, and ss's state filters.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/filter.h"
#include "tulpen/state.h"
#include "cli_util.h"
#include "list_opts.h"

/*
 * `tulpen --help`, grouped as `ss -h` is. Every long option of long_opts[]
 * below is listed (tests/cli/help.py checks it against this file).
 */
const char list_help[] =
	"Usage: tulpen [ OPTIONS ] [ FILTER ]\n"
	"       tulpen COMMAND [ ARGS ]\n"
	"List sockets, their TCP states and the processes that hold them.\n"
	"\n"
	"   -h, --help          this message\n"
	"   -V, --version       output version information\n"
	"   -v, --verbose       also say what the host lacks (a /proc/net "
	"table)\n"
	"   -n, --numeric       don't resolve service names or user names\n"
	"   -r, --resolve       resolve host names\n"
	"       --resolve-timeout=TIME\n"
	"                       give up resolving after TIME (2000: ms; "
	"or 2s, 500ms)\n"
	"   -a, --all           display all sockets\n"
	"   -l, --listening     display listening sockets\n"
	"   -o, --options, --timers\n"
	"                       show timer information\n"
	"   -e, --extended, --extend\n"
	"                       show user, inode and socket cookie\n"
	"   -p, --processes, --program\n"
	"                       show the processes using each socket\n"
	"   -s, --summary, --statistics\n"
	"                       show socket usage summary\n"
	"\n"
	"   -4, --ipv4          display only IP version 4 sockets\n"
	"   -6, --ipv6          display only IP version 6 sockets\n"
	"   -t, --tcp           display only TCP sockets\n"
	"   -M, --mptcp         display only MPTCP sockets\n"
	"   -u, --udp           display only UDP sockets\n"
	"   -w, --raw           display only RAW sockets\n"
	"   -x, --unix          display only Unix domain sockets\n"
	"\n"
	"   -H, --no-header     suppress the header line\n"
	"   -O, --oneline       one line per socket (every layout does so)\n"
	"       --json          one JSON array of sockets\n"
	"       --ndjson        one JSON object per line, streamed\n"
	"       --style=STYLE   the column layout of tulpen, ss or netstat\n"
	"       STYLE := {table|ss|netstat}\n"
	"       --color[=WHEN], --colour[=WHEN]\n"
	"                       colour the state column (no WHEN: always)\n"
	"       WHEN := {auto|always|never}\n"
	"\n"
	"       --source=SOURCE where sockets come from (auto: netlink, and\n"
	"                       /proc/net for what netlink does not serve)\n"
	"       SOURCE := {auto|netlink|proc}\n"
	"       --proc-root=DIR read recorded /proc files under DIR instead "
	"of /proc;\n"
	"                       implies --source=proc\n"
	"       --nl-record=FILE\n"
	"                       record the kernel's netlink answers to FILE\n"
	"       --nl-replay=FILE\n"
	"                       read netlink answers from FILE, not the "
	"kernel\n"
	"       --services-file=FILE\n"
	"                       port names from FILE (/etc/services)\n"
	"       --passwd-file=FILE\n"
	"                       user names from FILE (/etc/passwd)\n"
	"\n"
	"   -N, --net=NSNAME    list the sockets of network namespace NSNAME:\n"
	"                       a name in /run/netns, a path or a pid; all\n"
	"       --all-netns     every network namespace on the host at once\n"
	"       --netns         show each socket's network namespace\n"
	"       --container     show the container of each socket's owner\n"
	"\n";

/* The FILTER part of `tulpen --help`. */
const char list_filter_help[] =
	"   FILTER := [ state STATE-FILTER ]... [ exclude STATE-FILTER ]...\n"
	"       STATE-FILTER := {all|connected|synchronized|bucket|big|"
	"TCP-STATES}\n"
	"         TCP-STATES := {established|syn-sent|syn-received|"
	"fin-wait-{1,2}|\n"
	"                        time-wait|closed|close-wait|last-ack|listen|"
	"closing}\n"
	"       in the spelling of RFC 9293, ss or netstat, in any case\n"
	"   then an EXPRESSION, as ss takes it (docs/filters.md):\n"
	"       sport|dport [OP] [:]PORT   src|dst [=] ADDR[/PLEN][:PORT]\n"
	"       dev [!=] NAME  fwmark [!=] MARK[/MASK]  cgroup [!=] PATH\n"
	"       autobound; and, or, not, ( ); OP := {=|!=|<|>|<=|>=|eq|ne|"
	"lt|gt|le|ge}\n"
	"   -F, --filter=FILE   read the EXPRESSION from FILE ('-': stdin)\n"
	"\n";

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
};

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
	{ NULL, 0, NULL, 0 },
};

/* "@pre '@what'@post" into o->err. */
static int fail(struct list_opts *o, const char *pre, const char *what,
		const char *post)
{
	snprintf(o->err, sizeof(o->err), "%s '%s'%s", pre, what, post);
	return -EINVAL;
}

/* "@opt: '@what' is not @choices" into o->err. */
static int not_one_of(struct list_opts *o, const char *opt, const char *what,
		      const char *choices)
{
	snprintf(o->err, sizeof(o->err), "%s: '%s' is not %s", opt, what,
		 choices);
	return -EINVAL;
}

/* The -r deadline: a bare number counts milliseconds; at most a day. */
static int parse_resolve_ms(struct list_opts *o, const char *s)
{
	static const struct cli_duration ms = {
		.unit_ns = CLI_NSEC_PER_MSEC,
		.min_ns = CLI_NSEC_PER_MSEC,
		.max_ns = 86400 * CLI_NSEC_PER_SEC,
	};
	uint64_t ns;
	int ret;

	ret = cli_parse_duration("--resolve-timeout", s, &ms, &ns, o->err,
				 sizeof(o->err));
	if (ret)
		return -EINVAL;
	o->resolve_ms = (unsigned int)(ns / CLI_NSEC_PER_MSEC);
	return 0;
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

int list_opts_parse(struct list_opts *o, int argc, char **argv)
{
	uint32_t want = 0;
	int have_filter = 0, fam4 = 0, fam6 = 0, c, i, source_given = 0;
	const char *first = argc > 1 ? argv[1] : NULL; /* before getopt */
	uint32_t protos = 0;

	memset(o, 0, sizeof(*o));
	o->kind = TULPEN_FMT_TABLE;
	o->resolve_ms = 2000;
	o->services_file = "/etc/services";
	o->passwd_file = "/etc/passwd";
	optind = 0; /* reset getopt (also for unit tests) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":tuwxMlapeno46sHOrhVvN:F:",
				long_opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			o->verbose = 1;
			break;
		case 't':
			protos |= TULPEN_PF(TULPEN_P_TCP);
			break;
		case 'u':
			protos |= TULPEN_PF(TULPEN_P_UDP);
			break;
		case 'w':
			protos |= TULPEN_PF(TULPEN_P_RAW);
			break;
		case 'x':
			protos |= TULPEN_PF(TULPEN_P_UNIX);
			o->filter_family = AF_UNIX;
			break;
		case 'M':
			protos |= TULPEN_PF(TULPEN_P_MPTCP);
			break;
		case 'l':
			o->listening = 1;
			break;
		case 'a':
			o->all = 1;
			break;
		case 'p':
			o->owners = 1;
			break;
		case 'e':
			o->extended = 1;
			break;
		case 'n':
			o->numeric = 1;
			break;
		case 'o':
			o->timers = 1;
			break;
		case '4':
			fam4 = 1;
			o->filter_family = AF_INET;
			break;
		case '6':
			fam6 = 1;
			o->filter_family = AF_INET6;
			break;
		case 'F':
			o->filter_file = optarg;
			break;
		case 's':
			o->summary = 1;
			break;
		case 'H':
			o->no_header = 1;
			break;
		case 'O':
			/* One line per socket is what every layout does. */
			break;
		case 'r':
			o->resolve = 1;
			break;
		case 'h':
			o->help = 1;
			break;
		case 'V':
			o->version = 1;
			break;
		case OPT_JSON:
			o->kind = TULPEN_FMT_JSON;
			break;
		case OPT_NDJSON:
			o->kind = TULPEN_FMT_NDJSON;
			break;
		case OPT_STYLE:
			if (!strcmp(optarg, "table"))
				o->kind = TULPEN_FMT_TABLE;
			else if (!strcmp(optarg, "ss"))
				o->kind = TULPEN_FMT_SS;
			else if (!strcmp(optarg, "netstat"))
				o->kind = TULPEN_FMT_NETSTAT;
			else
				return not_one_of(o, "--style", optarg,
						  "table, ss or netstat");
			break;
		case OPT_SOURCE:
			if (!strcmp(optarg, "auto"))
				o->source = TULPEN_SOURCE_AUTO;
			else if (!strcmp(optarg, "netlink"))
				o->source = TULPEN_SOURCE_NETLINK;
			else if (!strcmp(optarg, "proc"))
				o->source = TULPEN_SOURCE_PROC;
			else
				return not_one_of(o, "--source", optarg,
						  "auto, netlink or proc");
			source_given = 1;
			break;
		case OPT_PROC_ROOT:
			o->proc_root = optarg;
			break;
		case OPT_COLOR:
			if (!optarg || !strcmp(optarg, "always"))
				o->color = COLOR_ALWAYS;
			else if (!strcmp(optarg, "never"))
				o->color = COLOR_NEVER;
			else if (!strcmp(optarg, "auto"))
				o->color = COLOR_AUTO;
			else
				return not_one_of(o, "--color", optarg,
						  "auto, always or never");
			break;
		case OPT_NL_REPLAY:
			o->nl_replay = optarg;
			break;
		case OPT_NL_RECORD:
			o->nl_record = optarg;
			break;
		case OPT_SERVICES:
			o->services_file = optarg;
			break;
		case OPT_PASSWD:
			o->passwd_file = optarg;
			break;
		case OPT_RESOLVE_MS:
			if (parse_resolve_ms(o, optarg))
				return -EINVAL;
			break;
		case 'N':
			if (!*optarg) {
				snprintf(o->err, sizeof(o->err),
					 "-N: needs a name, a path, a pid or "
					 "all");
				return -EINVAL;
			}
			if (!strcmp(optarg, "all"))
				o->all_netns = 1;
			else
				o->netns = optarg;
			break;
		case OPT_ALL_NETNS:
			o->all_netns = 1;
			break;
		case OPT_SHOW_NETNS:
			o->show_netns = 1;
			break;
		case OPT_SHOW_CONTAINER:
			o->show_container = 1;
			break;
		case ':':
		case '?':
		default:
			return cli_getopt_error(c, argv, long_opts, o->err,
						sizeof(o->err));
		}
	}

	/*
	 * As ss: state WORD and exclude WORD (also "excl") first, in order:
	 * the first "state" starts from no state, the first "exclude" from
	 * every state. The expression follows.
	 */
	for (i = optind; i < argc; i++) {
		const char *kw = argv[i];
		uint32_t mask;

		if (strcmp(kw, "state") && strcmp(kw, "exclude") &&
		    strcmp(kw, "excl") && kw == first &&
		    !tulpen_filter_starts_expr(kw))
			return fail(o, "unknown command or filter word", kw,
				    "");
		if (strcmp(kw, "state") && strcmp(kw, "exclude") &&
		    strcmp(kw, "excl"))
			break;
		if (i + 1 >= argc)
			return fail(o, "filter", kw, " needs a state name");
		if (tulpen_state_parse(argv[i + 1], &mask))
			return fail(o, "unknown state", argv[i + 1], "");
		if (!have_filter)
			want = strcmp(kw, "state") ? TULPEN_SF_ALL : 0;
		if (!strcmp(kw, "state"))
			want |= mask;
		else
			want &= ~mask;
		have_filter = 1;
		i++;
	}
	o->expr_argc = argc - i;
	o->expr_argv = argv + i;

	if (check_proc_root(o, source_given))
		return -EINVAL;
	if (!protos)
		protos = TULPEN_PF(TULPEN_P_TCP) | TULPEN_PF(TULPEN_P_UDP) |
			 TULPEN_PF(TULPEN_P_RAW) | TULPEN_PF(TULPEN_P_MPTCP) |
			 TULPEN_PF(TULPEN_P_UNIX);
	o->q.protos = protos;
	if (fam4 || fam6) {
		o->q.families = (fam4 ? TULPEN_FAM_INET : 0) |
				(fam6 ? TULPEN_FAM_INET6 : 0);
		if (protos & TULPEN_PF(TULPEN_P_UNIX) &&
		    (protos & ~TULPEN_PF(TULPEN_P_UNIX)) == 0)
			o->q.families |= TULPEN_FAM_UNIX;
	} else {
		o->q.families = TULPEN_FAM_ALL;
	}

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
		o->q.states =
			TULPEN_SF_ALL & ~(TULPEN_SF(TULPEN_TCP_LISTEN) |
					  TULPEN_SF(TULPEN_TCP_CLOSE) |
					  TULPEN_SF(TULPEN_TCP_BOUND_INACTIVE) |
					  TULPEN_SF(TULPEN_TCP_TIME_WAIT) |
					  TULPEN_SF(TULPEN_TCP_SYN_RECV) |
					  TULPEN_SF(TULPEN_TCP_NEW_SYN_RECV));
	}
	if (o->listening && o->all)
		o->listening = 0; /* -a wins, as in ss and netstat */
	return check_netns(o);
}
