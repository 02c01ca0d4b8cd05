// SPDX-License-Identifier: MIT
/*
 * fmt_common.c - text pieces shared by the output back ends: durations,
 * state and protocol names as each layout spells them. Numbers are in
 * number.c, endpoints in endpoint.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/state.h"
#include "fmt/fmt_internal.h"

size_t tulpen_scnprintf(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!size)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	if (n < 0) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n < size ? (size_t)n : size - 1;
}

const char *tulpen_fmt_state(const struct tulpen_sock *s, int style)
{
	if (s->proto != TULPEN_P_TCP && s->proto != TULPEN_P_MPTCP &&
	    s->state == TULPEN_TCP_CLOSE)
		return "UNCONN";
	return tulpen_state_name(s->state, (enum tulpen_state_style)style);
}

const char *tulpen_fmt_netstat_proto(const struct tulpen_sock *s)
{
	int v6 = s->family == AF_INET6;

	switch (s->proto) {
	case TULPEN_P_TCP:
		return v6 ? "tcp6" : "tcp";
	case TULPEN_P_UDP:
		return v6 ? "udp6" : "udp";
	case TULPEN_P_UDPLITE:
		return v6 ? "udpl6" : "udpl";
	case TULPEN_P_RAW:
		return v6 ? "raw6" : "raw";
	case TULPEN_P_MPTCP:
		return v6 ? "mptcp6" : "mptcp";
	case TULPEN_P_UNIX:
		return "unix";
	default:
		return "?";
	}
}

const char *tulpen_fmt_unix_type(int type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_SEQPACKET:
		return "seqpacket";
	default:
		return "unknown";
	}
}

const char *tulpen_fmt_timer_name(int timer)
{
	static const char *const names[] = { "off", "on", "keepalive",
					     "timewait", "probe" };

	if (timer < 0 || timer > 4)
		return "unknown";
	return names[timer];
}

size_t tulpen_fmt_user(char *out, size_t size, const struct tulpen_fmt *f,
		       uint32_t uid)
{
	const char *name = NULL;
	size_t n;

	if (!f->o.numeric)
		name = tulpen_users_name(f->o.users, uid);
	if (name)
		return tulpen_scnprintf(out, size, "%s", name);
	if (size < TULPEN_FMT_NUM_MAX)
		return tulpen_scnprintf(out, size, "%u", uid);
	n = tulpen_fmt_u64(out, uid);
	out[n] = '\0';
	return n;
}

size_t tulpen_fmt_duration_ms(char *out, size_t size, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms < 1000)
		return tulpen_scnprintf(out, size, "%dms", (int)ms);
	if (ms < 60000)
		return tulpen_scnprintf(out, size, "%d.%ds", (int)(ms / 1000),
					(int)(ms % 1000 / 100));
	if (ms < 3600000)
		return tulpen_scnprintf(out, size, "%dmin%ds",
					(int)(ms / 60000),
					(int)(ms % 60000 / 1000));
	return tulpen_scnprintf(out, size, "%lldh%dmin",
				(long long)(ms / 3600000),
				(int)(ms % 3600000 / 60000));
}

/* "52us", "1.234ms", "2.500s", "1min3s", "1h2min". */
size_t tulpen_fmt_duration_ns(char *out, size_t size, int64_t ns)
{
	if (ns < 0)
		return tulpen_scnprintf(out, size, "?");
	if (ns < 1000)
		return tulpen_scnprintf(out, size, "%lldns", (long long)ns);
	if (ns < 1000000)
		return tulpen_scnprintf(out, size, "%lldus",
					(long long)(ns / 1000));
	if (ns < 1000000000)
		return tulpen_scnprintf(out, size, "%lld.%03lldms",
					(long long)(ns / 1000000),
					(long long)(ns / 1000 % 1000));
	if (ns < 60000000000ll)
		return tulpen_scnprintf(out, size, "%lld.%03llds",
					(long long)(ns / 1000000000),
					(long long)(ns / 1000000 % 1000));
	return tulpen_fmt_duration_ms(out, size, ns / 1000000);
}
