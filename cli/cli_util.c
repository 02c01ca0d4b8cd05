// SPDX-License-Identifier: MIT
/*
 * cli_util.c - error wording, --version and the number parser shared by
 * every subcommand (see cli_util.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_util.h"
#include "tulpen/filter.h"

#ifndef TULPEN_VERSION
#error "TULPEN_VERSION must be set by the build (meson.build)"
#endif

static void vreport(const char *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "tulpen%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	return CLI_EXIT_RUNTIME;
}

void cli_note(void *data, enum tulpen_note_level level, const char *msg)
{
	struct cli_notes *n = data;

	if (level == TULPEN_NOTE_INFO && !n->verbose)
		return;
	if (level == TULPEN_NOTE_WARN)
		__atomic_fetch_add(&n->warned, 1, __ATOMIC_RELAXED);
	/* one call: lines of several threads do not mix */
	fprintf(stderr, "tulpen%s%s: %s\n", n->cmd ? " " : "",
		n->cmd ? n->cmd : "", msg);
}

void cli_usage_hint(const char *cmd)
{
	fprintf(stderr, "Try 'tulpen%s%s --help'.\n", cmd ? " " : "",
		cmd ? cmd : "");
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	cli_usage_hint(cmd);
	return CLI_EXIT_USAGE;
}

/* Flush standard output; 0, or the exit code after saying what failed. */
static int flush_stdout(const char *cmd, const char *what)
{
	if (!fflush(stdout) && !ferror(stdout))
		return CLI_EXIT_OK;
	if (errno == EPIPE)
		return CLI_EXIT_OK;
	return cli_error(cmd, "writing the %s: %s", what, strerror(errno));
}

int cli_help(const char *cmd, const char *text)
{
	fputs(text, stdout);
	return flush_stdout(cmd, "help");
}

int cli_version(const char *cmd)
{
	printf("tulpen %s\n", TULPEN_VERSION);
	return flush_stdout(cmd, "version");
}

/* @arg ("--name" or "--name=value") names a no_argument option for @val. */
static int takes_no_argument(const char *arg, int val,
			     const struct option *longopts)
{
	const char *eq = strchr(arg, '=');
	size_t n;

	if (arg[0] != '-' || arg[1] != '-' || !eq)
		return 0;
	n = (size_t)(eq - arg - 2);
	for (; longopts && longopts->name; longopts++) {
		if (longopts->val == val && longopts->has_arg == no_argument &&
		    !strncmp(longopts->name, arg + 2, n))
			return 1;
	}
	return 0;
}

int cli_getopt_error(int c, char **argv, const struct option *longopts,
		     char *err, size_t errlen)
{
	const char *arg = argv[optind - 1];
	int n = (int)strcspn(arg, "=");

	if (c == ':' && arg[0] == '-' && arg[1] == '-')
		snprintf(err, errlen, "%.*s: needs an argument", n, arg);
	else if (c == ':')
		snprintf(err, errlen, "-%c: needs an argument", optopt);
	else if (optopt && takes_no_argument(arg, optopt, longopts))
		snprintf(err, errlen, "%.*s: takes no argument", n, arg);
	else if (optopt > 0 && optopt < 256)
		snprintf(err, errlen, "unknown option '-%c'", optopt);
	else
		snprintf(err, errlen, "unknown option '%.*s'", n, arg);
	return -EINVAL;
}

int cli_check_dir(const char *cmd, const char *opt, const char *dir)
{
	struct stat st;

	if (!*dir)
		return cli_usage_error(cmd, "%s: the directory name is empty",
				       opt);
	if (stat(dir, &st))
		return cli_error(cmd, "%s %s: %s", opt, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cli_error(cmd, "%s %s: not a directory", opt, dir);
	return 0;
}

/*
 * Leading decimal digits of @s into @v; @end past them. -EINVAL without a
 * digit, -ERANGE when they do not fit 64 bits (all of them are still
 * read, so that "99999999999999999999x" is reported as not a number).
 */
static int digits(const char *s, uint64_t *v, const char **end)
{
	int ret = -EINVAL;

	*v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (ret != -ERANGE)
			ret = 0;
		if (*v > (UINT64_MAX - d) / 10)
			ret = -ERANGE;
		else if (!ret)
			*v = *v * 10 + d;
	}
	*end = s;
	return ret;
}

/* "@what: '@s' is not @wanted" into @err. */
static void not_a(char *err, size_t errlen, const char *what, const char *s,
		  const char *wanted)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: '%s' is not %s", what, s, wanted);
}

/* "@what: '@s' is out of range (@lo to @hi)" into @err. */
static void out_of_range(char *err, size_t errlen, const char *what,
			 const char *s, const char *lo, const char *hi)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: '%s' is out of range (%s to %s)",
			 what, s, lo, hi);
}

int cli_parse_uint(const char *what, const char *s, uint64_t min, uint64_t max,
		   uint64_t *out, char *err, size_t errlen)
{
	char lo[24], hi[24];
	const char *end;
	uint64_t v;
	int ret;

	ret = digits(s, &v, &end);
	if (ret == -EINVAL || *end) {
		not_a(err, errlen, what, s, "a whole number");
		return -EINVAL;
	}
	if (!ret && v >= min && v <= max) {
		*out = v;
		return 0;
	}
	snprintf(lo, sizeof(lo), "%" PRIu64, min);
	snprintf(hi, sizeof(hi), "%" PRIu64, max);
	out_of_range(err, errlen, what, s, lo, hi);
	return -ERANGE;
}

int cli_parse_size(const char *what, const char *s, uint64_t min, uint64_t max,
		   uint64_t *out, char *err, size_t errlen)
{
	static const char suffix[] = "KMGT";
	char lo[24], hi[24];
	const char *end, *u;
	uint64_t v, mul = 1;
	int ret;

	ret = digits(s, &v, &end);
	if (ret != -EINVAL && *end) {
		u = end[1] == '\0' || !strcmp(end + 1, "iB") ||
				    !strcmp(end + 1, "B")
			    ? strchr(suffix, end[0] & ~0x20)
			    : NULL;
		if (!u || !end[0]) {
			ret = -EINVAL;
		} else {
			mul = 1ull << (10 * (u - suffix + 1));
			if (v > UINT64_MAX / mul)
				ret = -ERANGE;
		}
	}
	if (ret == -EINVAL) {
		not_a(err, errlen, what, s,
		      "a size (bytes, or with K, M, G, T: 512M)");
		return -EINVAL;
	}
	if (!ret && v * mul >= min && v * mul <= max) {
		*out = v * mul;
		return 0;
	}
	snprintf(lo, sizeof(lo), "%" PRIu64, min);
	snprintf(hi, sizeof(hi), "%" PRIu64, max);
	out_of_range(err, errlen, what, s, lo, hi);
	return -ERANGE;
}

static const struct unit {
	const char *name;
	uint64_t ns;
	const char *plural; /* for a bare number */
} units[] = {
	/* The order is for formatting: the largest exact unit is used. */
	{ "d", 86400 * CLI_NSEC_PER_SEC, "days" },
	{ "h", 3600 * CLI_NSEC_PER_SEC, "hours" },
	{ "min", 60 * CLI_NSEC_PER_SEC, "minutes" },
	{ "m", 60 * CLI_NSEC_PER_SEC, "minutes" },
	{ "s", CLI_NSEC_PER_SEC, "seconds" },
	{ "ms", CLI_NSEC_PER_MSEC, "milliseconds" },
	{ "us", 1000, "microseconds" },
	{ "ns", 1, "nanoseconds" },
};

#define NUNITS (sizeof(units) / sizeof(units[0]))

/* @ns as the largest unit that divides it: "10ms", "365d", "0". */
static void fmt_duration(char *buf, size_t len, uint64_t ns)
{
	size_t i;

	for (i = 0; ns && i < NUNITS; i++) {
		if (ns % units[i].ns == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", ns / units[i].ns,
				 units[i].name);
			return;
		}
	}
	snprintf(buf, len, "0");
}

static const struct unit *find_unit(const char *s, uint64_t bare_ns)
{
	size_t i;

	for (i = 0; i < NUNITS; i++) {
		if (*s ? !strcmp(s, units[i].name) : units[i].ns == bare_ns)
			return &units[i];
	}
	return NULL;
}

/*
 * The fraction after the point, up to nine digits, as @f / @p; further
 * digits are read and dropped. -EINVAL without a digit.
 */
static int fraction(const char *s, uint64_t *f, uint64_t *p, const char **end)
{
	int n = 0;

	*f = 0;
	*p = 1;
	for (; *s >= '0' && *s <= '9'; s++, n++) {
		if (n < 9) {
			*f = *f * 10 + (uint64_t)(*s - '0');
			*p *= 10;
		}
	}
	*end = s;
	return n ? 0 : -EINVAL;
}

/* @i + @f / @p units of @unit ns, exactly (floor), or -ERANGE. */
static int scale(uint64_t i, uint64_t f, uint64_t p, uint64_t unit,
		 uint64_t *ns)
{
	/* f < p <= 10^9 and unit % p < p: neither product overflows. */
	uint64_t frac = unit / p * f + unit % p * f / p;

	if (i > (UINT64_MAX - frac) / unit)
		return -ERANGE;
	*ns = i * unit + frac;
	return 0;
}

int cli_parse_duration(const char *what, const char *s,
		       const struct cli_duration *d, uint64_t *ns, char *err,
		       size_t errlen)
{
	const struct unit *bare = find_unit("", d->unit_ns), *u;
	uint64_t i, f = 0, p = 1, v = 0;
	char lo[24], hi[24], wanted[64];
	const char *end;
	int ret;

	ret = digits(s, &i, &end);
	if (!ret || ret == -ERANGE) {
		if (*end == '.' && fraction(end + 1, &f, &p, &end))
			ret = -EINVAL;
	}
	u = ret == -EINVAL ? NULL : find_unit(end, d->unit_ns);
	if (!u) {
		snprintf(wanted, sizeof(wanted),
			 "a duration (%s, or 500ms, 2s, 1.5m)",
			 bare ? bare->plural : "a number with a unit");
		not_a(err, errlen, what, s, wanted);
		return -EINVAL;
	}
	if (!ret)
		ret = scale(i, f, p, u->ns, &v);
	if (!ret && v >= d->min_ns && v <= d->max_ns) {
		*ns = v;
		return 0;
	}
	fmt_duration(lo, sizeof(lo), d->min_ns);
	fmt_duration(hi, sizeof(hi), d->max_ns);
	out_of_range(err, errlen, what, s, lo, hi);
	return -ERANGE;
}

int cli_filter_error(const char *cmd, const struct tulpen_filter_error *e,
		     const char *file)
{
	unsigned int i;

	if (e->line)
		cli_error(cmd, "filter: %s, line %u, column %u", e->msg,
			  e->line, e->column);
	else
		cli_error(cmd, "filter: %s, column %u", e->msg, e->column);
	if (e->line && file)
		fprintf(stderr, "  (%s)\n", file);
	fprintf(stderr, "  %s\n  ", e->text);
	for (i = 1; i < e->column && e->text[i - 1]; i++)
		fputc(e->text[i - 1] == '\t' ? '\t' : ' ', stderr);
	fputs("^\n", stderr);
	return CLI_EXIT_USAGE;
}
