// SPDX-License-Identifier: MIT
/* Unit tests: the lister's command line. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tulpen/state.h"
#include "list_opts.h"

#define PARSE(o, ...)                                                          \
	({                                                                     \
		char *argv_[] = { "tulpen", __VA_ARGS__, NULL };               \
		list_opts_parse(o,                                             \
				(int)(sizeof(argv_) / sizeof(argv_[0])) - 1,   \
				argv_);                                        \
	})

#define P(x) TULPEN_PF(TULPEN_P_##x)
#define S(x) TULPEN_SF(TULPEN_TCP_##x)

static void tulpen_combined(void **unused)
{
	struct list_opts o;

	assert_int_equal(PARSE(&o, "-tulpen"), 0);
	assert_int_equal(o.q.protos, P(TCP) | P(UDP));
	assert_true(o.listening && o.owners && o.extended && o.numeric);
	assert_int_equal(o.q.states, S(LISTEN) | S(CLOSE));
	assert_int_equal(o.q.families, TULPEN_FAM_ALL);
}

static void defaults_like_ss(void **unused)
{
	struct list_opts o;

	assert_int_equal(PARSE(&o, "-t"), 0);
	assert_false(o.q.states & S(LISTEN));
	assert_true(o.q.states & S(ESTABLISHED));
	/* like ss: the bucket states only with -a or a state filter */
	assert_false(o.q.states & S(TIME_WAIT));
	assert_false(o.q.states & S(NEW_SYN_RECV));
	assert_false(o.q.states & S(SYN_RECV));
	assert_true(o.q.states & S(FIN_WAIT2));
	assert_true(o.q.states & S(CLOSE_WAIT));
	assert_int_equal(PARSE(&o, "-tan"), 0);
	assert_int_equal(o.q.states, TULPEN_SF_ALL);
	assert_int_equal(PARSE(&o, "-la"), 0);
	assert_int_equal(o.q.states, TULPEN_SF_ALL);
	assert_int_equal(PARSE(&o, "-xlp"), 0);
	assert_int_equal(o.q.protos, P(UNIX));
	assert_int_equal(o.kind, TULPEN_FMT_TABLE);
}

static void families(void **unused)
{
	struct list_opts o;

	assert_int_equal(PARSE(&o, "-4", "-t"), 0);
	assert_int_equal(o.q.families, TULPEN_FAM_INET);
	assert_int_equal(PARSE(&o, "--ipv6"), 0);
	assert_int_equal(o.q.families, TULPEN_FAM_INET6);
	assert_int_equal(PARSE(&o, "-46"), 0);
	assert_int_equal(o.q.families, TULPEN_FAM_INET | TULPEN_FAM_INET6);
}

static void long_forms(void **unused)
{
	struct list_opts o;

	assert_int_equal(PARSE(&o, "--tcp", "--listening", "--processes",
			       "--numeric", "--json", "--source=proc",
			       "--proc-root", "/x", "--style=netstat"),
			 0);
	assert_int_equal(o.q.protos, P(TCP));
	assert_true(o.listening && o.owners && o.numeric);
	assert_int_equal(o.kind, TULPEN_FMT_NETSTAT); /* the last one wins */
	assert_int_equal(o.source, TULPEN_SOURCE_PROC);
	assert_string_equal(o.proc_root, "/x");
	assert_int_equal(PARSE(&o, "--ndjson", "--style", "ss", "-H", "-O"), 0);
	assert_int_equal(o.kind, TULPEN_FMT_SS);
	assert_true(o.no_header);
}

static void state_filters(void **unused)
{
	struct list_opts o;

	assert_int_equal(PARSE(&o, "-t", "state", "established"), 0);
	assert_int_equal(o.q.states, S(ESTABLISHED));
	assert_int_equal(PARSE(&o, "state", "close-wait", "state", "TIME_WAIT"),
			 0);
	assert_int_equal(o.q.states, S(CLOSE_WAIT) | S(TIME_WAIT));
	assert_int_equal(PARSE(&o, "exclude", "listening"), 0);
	assert_int_equal(o.q.states, TULPEN_SF_ALL & ~S(LISTEN));
	assert_int_equal(PARSE(&o, "state", "connected", "exclude", "SYN_SEND"),
			 0);
	assert_false(o.q.states & S(SYN_SENT));
	assert_true(o.q.states & S(ESTABLISHED));
	assert_int_equal(PARSE(&o, "state", "TIMED_WAIT", "-t"), 0);
	assert_int_equal(o.q.states, S(TIME_WAIT));
	assert_int_equal(o.q.protos, P(TCP));
}

static void errors_name_the_culprit(void **unused)
{
	struct list_opts o;

	assert_int_equal(PARSE(&o, "-tz"), -EINVAL);
	assert_string_equal(o.err, "unknown option '-z'");
	assert_int_equal(PARSE(&o, "--bogus"), -EINVAL);
	assert_string_equal(o.err, "unknown option '--bogus'");
	assert_int_equal(PARSE(&o, "state", "establishd"), -EINVAL);
	assert_string_equal(o.err, "unknown state 'establishd'");
	assert_int_equal(PARSE(&o, "state"), -EINVAL);
	assert_string_equal(o.err, "filter 'state' needs a state name");
	/* the filter expression is the library's to judge (test_filter.c) */
	assert_int_equal(PARSE(&o, "sport"), 0);
	assert_int_equal(o.expr_argc, 1);
	assert_int_equal(PARSE(&o, "--style=csv"), -EINVAL);
	assert_string_equal(o.err,
			    "--style: 'csv' is not table, ss or netstat");
	assert_int_equal(PARSE(&o, "--source=bpf"), -EINVAL);
	assert_string_equal(o.err,
			    "--source: 'bpf' is not auto, netlink or proc");
	assert_int_equal(PARSE(&o, "--color=blue"), -EINVAL);
	assert_string_equal(o.err,
			    "--color: 'blue' is not auto, always or never");
	assert_int_equal(PARSE(&o, "--proc-root"), -EINVAL);
	assert_string_equal(o.err, "--proc-root: needs an argument");
	assert_int_equal(PARSE(&o, "--tcp=yes"), -EINVAL);
	assert_string_equal(o.err, "--tcp: takes no argument");
	assert_int_equal(PARSE(&o, "--resolve-timeout=0"), -EINVAL);
	assert_string_equal(o.err, "--resolve-timeout: '0' is out of range "
				   "(1ms to 1d)");
	assert_int_equal(PARSE(&o, "--resolve-timeout=12x"), -EINVAL);
	assert_non_null(strstr(o.err, "'12x' is not a duration"));
}

/* Only the first word can be a command: it says so when it is neither. */
static void unknown_first_word(void **unused)
{
	struct list_opts o;

	assert_int_equal(PARSE(&o, "lisen"), -EINVAL);
	assert_string_equal(o.err, "unknown command or filter word 'lisen'");
	/* later words are the filter expression: the library judges them */
	assert_int_equal(PARSE(&o, "-t", "lisen"), 0);
	assert_int_equal(o.expr_argc, 1);
}

/* The -r deadline: milliseconds, or with a unit. */
static void resolve_timeout(void **unused)
{
	struct list_opts o;

	assert_int_equal(PARSE(&o, "-r"), 0);
	assert_int_equal(o.resolve_ms, 2000);
	assert_int_equal(PARSE(&o, "--resolve-timeout=250"), 0);
	assert_int_equal(o.resolve_ms, 250);
	assert_int_equal(PARSE(&o, "--resolve-timeout", "1.5s"), 0);
	assert_int_equal(o.resolve_ms, 1500);
	assert_int_equal(PARSE(&o, "--resolve-timeout=1d"), 0);
	assert_int_equal(o.resolve_ms, 86400000);
	assert_int_equal(PARSE(&o, "--resolve-timeout=25h"), -EINVAL);
	assert_int_equal(PARSE(&o, "--resolve-timeout=-5"), -EINVAL);
}

/*
 * --proc-root reads recorded sockets: it implies --source=proc, and a
 * netlink source with it is refused rather than mixed in.
 */
static void proc_root_implies_proc(void **unused)
{
	struct list_opts o;

	assert_int_equal(PARSE(&o, "--proc-root", "/x", "-tan"), 0);
	assert_int_equal(o.source, TULPEN_SOURCE_PROC);
	assert_int_equal(PARSE(&o, "--source=proc", "--proc-root=/x"), 0);
	assert_int_equal(o.source, TULPEN_SOURCE_PROC);
	assert_int_equal(PARSE(&o, "-t"), 0);
	assert_int_equal(o.source, TULPEN_SOURCE_AUTO);
	assert_int_equal(PARSE(&o, "--proc-root=/x", "--source=netlink"),
			 -EINVAL);
	assert_non_null(strstr(o.err, "--source=netlink"));
	assert_int_equal(PARSE(&o, "--source=auto", "--proc-root=/x"), -EINVAL);
	assert_non_null(strstr(o.err, "--source=auto"));
	assert_int_equal(PARSE(&o, "--proc-root=/x", "--nl-replay=f"), -EINVAL);
	assert_non_null(strstr(o.err, "--nl-replay"));
	assert_int_equal(PARSE(&o, "--nl-record=f", "--proc-root=/x"), -EINVAL);
	assert_non_null(strstr(o.err, "--nl-record"));
	assert_int_equal(PARSE(&o, "--proc-root="), -EINVAL);
	assert_string_equal(o.err, "--proc-root: the directory name is empty");
}

/* The namespace options: which go together, worded as every error. */
static void netns_options(void **unused)
{
	struct list_opts o;

	assert_int_equal(PARSE(&o, "-N", "blue", "-tan"), 0);
	assert_string_equal(o.netns, "blue");
	assert_false(o.all_netns);
	assert_int_equal(PARSE(&o, "-N", "all"), 0);
	assert_true(o.all_netns);
	assert_null(o.netns);
	assert_int_equal(PARSE(&o, "--all-netns", "--netns", "--container"), 0);
	assert_true(o.all_netns && o.show_netns && o.show_container);
	assert_int_equal(PARSE(&o, "-N", ""), -EINVAL);
	assert_string_equal(o.err, "-N: needs a name, a path, a pid or all");
	assert_int_equal(PARSE(&o, "-N", "blue", "--all-netns"), -EINVAL);
	assert_string_equal(o.err, "-N blue and --all-netns (or -N all) "
				   "exclude each other");
	assert_int_equal(PARSE(&o, "--all-netns", "--nl-replay=f"), -EINVAL);
	assert_string_equal(o.err, "--nl-replay: works in one namespace only "
				   "(not with -N, --all-netns, --netns, "
				   "--container)");
	assert_int_equal(PARSE(&o, "--container", "--nl-record=f"), -EINVAL);
	assert_non_null(strstr(o.err, "--nl-record: works in one namespace"));
	/* recorded /proc files are one host: no namespaces to walk */
	assert_int_equal(PARSE(&o, "--proc-root=/x", "-N", "blue"), -EINVAL);
	assert_string_equal(o.err, "--proc-root and -N exclude each other "
				   "(--proc-root reads recorded sockets)");
	assert_int_equal(PARSE(&o, "--all-netns", "--proc-root=/x"), -EINVAL);
	assert_non_null(strstr(o.err, "--proc-root and --all-netns"));
	/* -K in the namespace -N names; -E there or in all of them */
	assert_int_equal(PARSE(&o, "-K", "-N", "blue", "state", "all"), 0);
	assert_string_equal(o.netns, "blue");
	assert_int_equal(PARSE(&o, "-K", "--all-netns", "state", "all"),
			 -EINVAL);
	assert_non_null(strstr(o.err, "-K works in one namespace: -N NAME"));
	assert_int_equal(PARSE(&o, "-E", "-N", "blue"), 0);
	assert_int_equal(PARSE(&o, "-E", "--all-netns", "--netns"), 0);
	assert_true(o.events && o.all_netns);
}

/* ss's default states: -0 and the families without connections add UNCONN */
static void family_states(void **unused)
{
	struct list_opts o;
	const uint32_t close = TULPEN_SF(TULPEN_TCP_CLOSE);
	const uint32_t estab = TULPEN_SF(TULPEN_TCP_ESTABLISHED);

	assert_int_equal(PARSE(&o, "-0"), 0);
	assert_int_equal(o.q.states, close);
	assert_int_equal(PARSE(&o, "-f", "netlink"), 0);
	assert_int_equal(o.q.states, close);
	assert_int_equal(PARSE(&o, "-0", "-t"), 0);
	assert_true((o.q.states & close) && (o.q.states & estab));
	/* -A sets ss's state filter to the connected states */
	assert_int_equal(PARSE(&o, "-0", "-A", "netlink"), 0);
	assert_false(o.q.states & close);
	assert_int_equal(PARSE(&o, "-A", "packet"), 0);
	assert_false(o.q.states & close);
	assert_int_equal(PARSE(&o, "-t"), 0);
	assert_false(o.q.states & close);
	assert_int_equal(PARSE(&o, "-0", "-l"), 0);
	assert_true((o.q.states & close) &&
		    (o.q.states & TULPEN_SF(TULPEN_TCP_LISTEN)));
}

/* ss's -A, -f, -0 and the other families: tables and families complete. */
static void socket_tables(void **unused)
{
	struct list_opts o;

	assert_int_equal(PARSE(&o, "-A", "netlink"), 0);
	assert_int_equal(o.q.protos, P(NETLINK));
	assert_int_equal(o.q.families, TULPEN_FAM_NETLINK);
	assert_int_equal(PARSE(&o, "-0"), 0);
	assert_int_equal(o.q.protos, P(PACKET));
	assert_int_equal(o.q.families, TULPEN_FAM_PACKET);
	assert_int_equal(PARSE(&o, "-t", "-0"), 0);
	assert_int_equal(o.q.protos, P(TCP) | P(PACKET));
	assert_true(o.q.families & TULPEN_FAM_INET6);
	assert_int_equal(PARSE(&o, "-f", "inet"), 0);
	assert_true(o.q.protos & P(TCP) && o.q.protos & P(UDP));
	assert_false(o.q.protos & P(UNIX));
	assert_int_equal(o.q.families, TULPEN_FAM_INET);
	assert_int_equal(PARSE(&o, "-A", "unix_stream,p_raw"), 0);
	assert_int_equal(o.q.protos, P(UNIX) | P(PACKET));
	assert_int_equal(o.q.unix_types, 1u << 1 /* SOCK_STREAM */);
	assert_int_equal(o.q.packet_types, 1u << 3 /* SOCK_RAW */);
	assert_int_equal(PARSE(&o, "-A", "unix,unix_stream"), 0);
	assert_int_equal(o.q.unix_types, 0); /* every type */
	assert_int_equal(PARSE(&o, "-A", "all,!tcp,!netlink"), 0);
	assert_false(o.q.protos & (P(TCP) | P(NETLINK)));
	assert_true(o.q.protos & P(UDP) && o.q.protos & P(PACKET));
	assert_int_equal(PARSE(&o, "--vsock", "--xdp", "-S"), 0);
	assert_int_equal(o.q.protos, P(VSOCK) | P(XDP) | P(SCTP));
	assert_int_equal(PARSE(&o, "-A", "nosuch"), -EINVAL);
	assert_non_null(strstr(o.err, "'nosuch'"));
	assert_int_equal(PARSE(&o, "-f", "bogus"), -EINVAL);
	assert_non_null(strstr(o.err, "-f: 'bogus'"));
	/* without any, the families without ports are in the default set */
	assert_int_equal(PARSE(&o, "-a"), 0);
	assert_true(o.q.protos & P(NETLINK) && o.q.protos & P(PACKET));
}

/* netstat's -c, -W, --numeric-hosts/-ports/-users */
static void netstat_options(void **unused)
{
	struct list_opts o;

	assert_int_equal(PARSE(&o, "-tulpenWc"), 0);
	assert_true(o.continuous);
	assert_int_equal(PARSE(&o, "-r", "--numeric-hosts", "--numeric-ports",
			       "--numeric-users"),
			 0);
	assert_false(o.resolve);
	assert_true(o.numeric_hosts && o.numeric_ports && o.numeric_users);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tulpen_combined),
		cmocka_unit_test(defaults_like_ss),
		cmocka_unit_test(families),
		cmocka_unit_test(long_forms),
		cmocka_unit_test(state_filters),
		cmocka_unit_test(errors_name_the_culprit),
		cmocka_unit_test(unknown_first_word),
		cmocka_unit_test(resolve_timeout),
		cmocka_unit_test(proc_root_implies_proc),
		cmocka_unit_test(netns_options),
		cmocka_unit_test(family_states),
		cmocka_unit_test(socket_tables),
		cmocka_unit_test(netstat_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
