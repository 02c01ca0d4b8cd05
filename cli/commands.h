/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the tulpen subcommands. Each lives in cli/cmd_NAME.c and
 * returns the process exit code: 0 ok, 1 runtime error, 2 usage error
 * (cli_util.h has the helpers for the messages and --version). Each takes
 * --help (its options, on standard output, exit 0) and --version.
 */
#ifndef TULPEN_CLI_COMMANDS_H
#define TULPEN_CLI_COMMANDS_H

/* The socket lister: `tulpen [options] [filters]`. */
int cmd_list(int argc, char **argv);
/* `tulpen --help`: the lister's options and the subcommands. */
int list_help_print(void);
/* `tulpen explain [STATE]` (cli/cmd_explain.c). */
int cmd_explain(int argc, char **argv);
/* `tulpen pcap FILE...`: connections and their states in captures. */
int cmd_pcap(int argc, char **argv);
/* Live TCP state transitions: `tulpen watch` (cli/cmd_watch.c). */
int cmd_watch(int argc, char **argv);
/* `tulpen serve`: metrics for Prometheus over HTTP (cli/cmd_serve.c). */
int cmd_serve(int argc, char **argv);

/* `tulpen doctor`: findings about the host's TCP (cli/cmd_doctor.c). */
int cmd_doctor(int argc, char **argv);

struct tulpen_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis; /* name and arguments, for `tulpen --help` */
	const char *summary;
};

/* Subcommands, NULL-terminated (cli/main.c). */
extern const struct tulpen_command tulpen_commands[];

#endif /* TULPEN_CLI_COMMANDS_H */
