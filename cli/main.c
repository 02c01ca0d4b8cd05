// SPDX-License-Identifier: MIT
/*
 * main.c - tulpen's entry point: dispatch to a subcommand or the lister.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"

static int cmd_help(int argc, char **argv);

const struct tulpen_command tulpen_commands[] = {
	{ "explain", cmd_explain, "explain [STATE]",
	  "what a TCP state means; the state diagram" },
	{ "pcap", cmd_pcap, "pcap FILE...",
	  "TCP connections and their states in captures" },
	{ "watch", cmd_watch, "watch [FILTER]",
	  "live TCP state transitions with owners" },
	{ "serve", cmd_serve, "serve [--listen ADDR:PORT]",
	  "socket metrics for Prometheus over HTTP" },
	{ "doctor", cmd_doctor, "doctor [-N NS] [--json]",
	  "what is wrong with TCP here, who does it" },
	{ "help", cmd_help, "help [COMMAND]",
	  "this message, or a command's options" },
	{ NULL, NULL, NULL, NULL },
};

static const struct tulpen_command *find_command(const char *name)
{
	const struct tulpen_command *c;

	for (c = tulpen_commands; c->name; c++)
		if (!strcmp(name, c->name))
			return c;
	return NULL;
}

/* A usage error of `tulpen help`: the hint is to `tulpen --help`. */
static int help_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int help_usage_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_error("help", "%s", msg);
	cli_usage_hint(NULL);
	return CLI_EXIT_USAGE;
}

/*
 * `tulpen help [COMMAND]`: the same as `tulpen COMMAND --help`, or as
 * `tulpen --help` without a command.
 */
static int cmd_help(int argc, char **argv)
{
	const struct tulpen_command *c;
	char help_opt[] = "--help";
	char *av[3] = { NULL, help_opt, NULL };

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return list_help_print();
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cli_version("help");
	if (argv[1][0] == '-')
		return help_usage_error("unknown option '%s'", argv[1]);
	if (argc > 2)
		return help_usage_error("one command at a time, not '%s'",
					argv[2]);
	c = find_command(argv[1]);
	if (!c)
		return help_usage_error("unknown command '%s'", argv[1]);
	if (c->run == cmd_help)
		return list_help_print();
	av[0] = argv[1];
	return c->run(2, av);
}

int main(int argc, char **argv)
{
	const struct tulpen_command *c;

	/* A closed pipe is an ordinary end of output: see EPIPE handling. */
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1) {
		c = find_command(argv[1]);
		if (c)
			return c->run(argc - 1, argv + 1);
	}
	return cmd_list(argc, argv);
}
