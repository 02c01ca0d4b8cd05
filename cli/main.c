// SPDX-License-Identifier: MIT
/*
 * main.c - tulpen's entry point: dispatch to a subcommand or the lister.
 */
#include <signal.h>
#include <string.h>

#include "commands.h"

const struct tulpen_command tulpen_commands[] = {
	{ "explain", cmd_explain, "what a TCP state means; the state diagram" },
	{ "pcap", cmd_pcap, "TCP connections and their states in captures" },
	{ "watch", cmd_watch, "live TCP state transitions with owners" },
	{ NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	const struct tulpen_command *c;

	/* A closed pipe is an ordinary end of output: see EPIPE handling. */
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1) {
		for (c = tulpen_commands; c->name; c++)
			if (!strcmp(argv[1], c->name))
				return c->run(argc - 1, argv + 1);
	}
	return cmd_list(argc, argv);
}
