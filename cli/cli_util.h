/* SPDX-License-Identifier: MIT */
/*
 * cli_util.h - what every tulpen subcommand shares: the wording of errors,
 * --version, and the one parser for numbers and durations typed on the
 * command line.
 *
 * Errors read "tulpen[ COMMAND]: WHAT: DETAIL" on standard error. A usage
 * error (a bad option, word or value) is followed by the hint
 * "Try 'tulpen[ COMMAND] --help'." and exits 2; a runtime error (a file
 * that cannot be read, the kernel saying no) exits 1. COMMAND is the
 * subcommand's name ("watch", "pcap", ...), or NULL for the lister.
 *
 * Ownership: the cli helper. Nothing here allocates; strings passed in are
 * only read during the call.
 */
#ifndef TULPEN_CLI_UTIL_H
#define TULPEN_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/ctx.h"

/* Exit codes of every subcommand. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_RUNTIME = 1, /* the work could not be done */
	CLI_EXIT_USAGE = 2,   /* the command line is wrong */
};

/*
 * Print "tulpen[ @cmd]: MESSAGE\n" to standard error, MESSAGE formatted
 * from @fmt. Returns CLI_EXIT_RUNTIME, so that `return cli_error(...)`
 * ends a command that failed at run time.
 */
int cli_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A usage error: cli_error()'s line, then the hint from cli_usage_hint().
 * Returns CLI_EXIT_USAGE.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "Try 'tulpen[ @cmd] --help'.\n" to standard error. */
void cli_usage_hint(const char *cmd);

/*
 * Print @text, a subcommand's --help, to standard output. Returns
 * CLI_EXIT_OK (also when the reader went away), or CLI_EXIT_RUNTIME after
 * saying so as subcommand @cmd if standard output cannot be written.
 */
int cli_help(const char *cmd, const char *text);

/*
 * Print "tulpen VERSION\n" (TULPEN_VERSION, from meson.build) to standard
 * output, as --version does in every subcommand. Returns CLI_EXIT_OK (also
 * when the reader went away), or CLI_EXIT_RUNTIME after saying so as
 * subcommand @cmd if standard output cannot be written.
 */
int cli_version(const char *cmd);

struct option;

/*
 * Describe what getopt_long() refused, into @err (@errlen bytes): call it
 * when getopt_long() returned @c '?' or ':' (the latter when the option
 * string starts with ':'), with the @argv and @longopts given to it.
 *   "unknown option '-z'", "unknown option '--bogus'",
 *   "--style: needs an argument", "--tcp: takes no argument"
 * Returns -EINVAL.
 */
int cli_getopt_error(int c, char **argv, const struct option *longopts,
		     char *err, size_t errlen);

/*
 * Check that @dir, given to option @opt (e.g. "--proc-root"), names a
 * directory before anything is read from it. Returns 0 if so; otherwise
 * prints why and returns the exit code: CLI_EXIT_USAGE for an empty name,
 * CLI_EXIT_RUNTIME for one that does not exist or is not a directory
 * ("tulpen: --proc-root /x: No such file or directory").
 */
int cli_check_dir(const char *cmd, const char *opt, const char *dir);

/*
 * The command line's number parser. Every function reads the whole of @s:
 * no sign, no spaces, no trailing garbage, decimal digits only (no octal
 * or hex). They return 0 and store the value, or a negative errno and
 * store nothing:
 *   -EINVAL  @s is not a number of that form;
 *   -ERANGE  it is one, but outside [@min, @max].
 * When @err is not NULL, a failure also writes a message for the user
 * into @err (@errlen bytes, always terminated) that starts with @what
 * (usually the option, e.g. "--top"), e.g.
 *   "--top: 'x' is not a whole number"
 *   "--ringbuf-mb: '0' is out of range (1 to 1024)"
 * ready for cli_usage_error(cmd, "%s", err).
 */
int cli_parse_uint(const char *what, const char *s, uint64_t min, uint64_t max,
		   uint64_t *out, char *err, size_t errlen);

/*
 * A size in bytes: DIGITS[K|M|G|T][B|iB] (binary multiples: 512M is 512
 * MiB), within [@min, @max]; returns and reports as cli_parse_uint():
 *   "--max-memory: '1x' is not a size (bytes, or with K, M, G, T: 512M)"
 */
int cli_parse_size(const char *what, const char *s, uint64_t min, uint64_t max,
		   uint64_t *out, char *err, size_t errlen);

/*
 * What cli_parse_duration() accepts: a bare number counts in @unit_ns
 * (NSEC_PER_SEC for "seconds", 1000000 for "milliseconds"); the value,
 * in nanoseconds, must lie within [@min_ns, @max_ns].
 */
struct cli_duration {
	uint64_t unit_ns;
	uint64_t min_ns, max_ns;
};

#define CLI_NSEC_PER_MSEC 1000000ull
#define CLI_NSEC_PER_SEC 1000000000ull

/*
 * A duration: DIGITS[.DIGITS][UNIT], UNIT one of ns, us, ms, s, m or min,
 * h, d; without a unit, @d->unit_ns. "1.5" (seconds), "500ms", "2s",
 * "0.25h". The value is exact (no floating point): digits beyond a
 * nanosecond are dropped. Stores nanoseconds in @ns. Returns and reports
 * as cli_parse_uint(), e.g.
 *   "--interval: '1x' is not a duration (seconds, or 500ms, 2s, 1.5m)"
 *   "--interval: '0' is out of range (10ms to 365d)"
 */
int cli_parse_duration(const char *what, const char *s,
		       const struct cli_duration *d, uint64_t *ns, char *err,
		       size_t errlen);

/*
 * The library's notes (tulpen_ctx_set_note()) on standard error as
 * "tulpen[ CMD]: NOTE"; TULPEN_NOTE_INFO only when @verbose. Give a
 * struct cli_notes as the callback's data; warned counts the warnings.
 */
struct cli_notes {
	const char *cmd;
	int verbose;
	unsigned long warned;
};
void cli_note(void *data, enum tulpen_note_level level, const char *msg);

struct tulpen_filter_error;

/*
 * A filter expression's error as every subcommand shows it: "tulpen[
 * @cmd]: filter: WHAT, [line N, ]column N", the -F @file when the error is
 * in one, the line echoed and a caret under the column. Returns
 * CLI_EXIT_USAGE.
 */
int cli_filter_error(const char *cmd, const struct tulpen_filter_error *e,
		     const char *file);

#endif /* TULPEN_CLI_UTIL_H */
