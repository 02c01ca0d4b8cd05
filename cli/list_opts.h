/* SPDX-License-Identifier: MIT */
/*
 * list_opts.h - the lister's command line, parsed into a plain struct so
 * that it can be unit-tested without running anything.
 */
#ifndef TULPEN_CLI_LIST_OPTS_H
#define TULPEN_CLI_LIST_OPTS_H

#include <stddef.h>
#include "tulpen/collect.h"
#include "tulpen/ctx.h"
#include "tulpen/fmt.h"

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct list_opts {
	struct tulpen_query q;
	enum tulpen_fmt_kind kind;
	enum tulpen_source_mode source;
	enum color_mode color;
	int listening, all, numeric, owners, extended, timers, summary;
	int no_header, resolve, help, version, verbose;
	/* netstat: -c, --numeric-hosts/-ports/-users */
	int continuous, numeric_hosts, numeric_ports, numeric_users;
	/*
	 * ss's extras: -i (tcp_info), -m (socket memory), --tos, --cgroup,
	 * --inet-sockopt, -T (threads), -b (socket filters), -O (the extras
	 * of --style=ss on the socket's line).
	 */
	int info, memory, tos, cgroup, inet_sockopt, threads, bpf, oneline;
	int tipcinfo; /* --tipcinfo: TIPC sockets' type, congestion, drops */
	/* -K: destroy what matches (--dry-run: only list it); -E: events */
	int kill, dry_run, events;
	/* state words or an expression were given (-K needs one) */
	int have_filter;
	unsigned int resolve_ms; /* -r deadline */
	const char *proc_root;	 /* NULL: /proc */
	const char *nl_replay, *nl_record;
	const char *services_file, *passwd_file;
	/*
	 * The filter expression: the words after the state words (parsed by
	 * the library, tulpen/filter.h), -F FILE, and ss's "preferred
	 * family" (the last of -4, -6, -x: AF_INET, AF_INET6, AF_UNIX).
	 */
	int expr_argc;
	char **expr_argv;
	const char *filter_file;
	int filter_family;
	/* families named by -4, -6, -x, -f, -A (TULPEN_FAM_*): netstat -s */
	uint32_t named_families;
	/* network namespaces: -N SPEC ("all" sets all_netns), columns */
	const char *netns;
	int all_netns, show_netns, show_container;
	char err[256]; /* why parsing failed */
};

/*
 * Parse @argv (argv[0] is the program name). Returns 0, or -EINVAL with a
 * message naming the bad option or word in o->err ("WHAT: DETAIL", without
 * the "tulpen: " prefix). Does not print. --proc-root implies
 * --source=proc; with another --source, --nl-replay or --nl-record it is
 * an error.
 */
int list_opts_parse(struct list_opts *o, int argc, char **argv);

/*
 * `tulpen --help`: the options (list_help), then the filters
 * (list_filter_help); cmd_list() adds the subcommands.
 */
extern const char list_help[];
extern const char list_filter_help[];

#endif /* TULPEN_CLI_LIST_OPTS_H */
