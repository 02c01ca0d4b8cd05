// SPDX-License-Identifier: MIT
/*
 * fmt_common.c - text pieces shared by the output back ends: endpoints,
 * durations, state and protocol names as each layout spells them.
 */
#include <arpa/inet.h>
#include <net/if.h>
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

	if (!f->o.numeric)
		name = tulpen_users_name(f->o.users, uid);
	if (name)
		return tulpen_scnprintf(out, size, "%s", name);
	return tulpen_scnprintf(out, size, "%u", uid);
}

/* Dotted quad, by hand: this runs once or twice per socket. */
size_t tulpen_fmt_v4(char *out, const uint8_t *a)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (i)
			out[n++] = '.';
		if (v >= 100)
			out[n++] = (char)('0' + v / 100);
		if (v >= 10)
			out[n++] = (char)('0' + v / 10 % 10);
		out[n++] = (char)('0' + v % 10);
	}
	out[n] = '\0';
	return n;
}

size_t tulpen_fmt_ifname(char *out, size_t size, uint32_t ifindex)
{
	char ifname[IF_NAMESIZE];

	if (if_indextoname(ifindex, ifname))
		return tulpen_scnprintf(out, size, "%s", ifname);
	return tulpen_scnprintf(out, size, "%u", ifindex);
}

size_t tulpen_fmt_addr(char *out, size_t size, int family, const void *addr,
		       uint32_t ifindex)
{
	char tmp[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	size_t n;

	if (!size)
		return 0;
	if (family == AF_INET) {
		n = tulpen_fmt_v4(tmp, addr);
	} else {
		if (!inet_ntop(AF_INET6, addr, tmp, INET6_ADDRSTRLEN))
			return tulpen_scnprintf(out, size, "?");
		n = strlen(tmp);
	}
	if (ifindex) {
		tmp[n++] = '%';
		n += tulpen_fmt_ifname(tmp + n, sizeof(tmp) - n, ifindex);
	}
	if (n >= size)
		n = size - 1;
	memcpy(out, tmp, n);
	out[n] = '\0';
	return n;
}

/* Decimal digits of @v at @out (no NUL); returns the count. */
size_t tulpen_utoa(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* Append @s (length @n) at @out + *@at if it fits in @size (with a NUL). */
static void append(char *out, size_t size, size_t *at, const char *s,
		   size_t n)
{
	if (*at + n + 1 > size)
		n = *at + 1 < size ? size - *at - 1 : 0;
	memcpy(out + *at, s, n);
	*at += n;
}

size_t tulpen_fmt_port(char *out, size_t size, uint16_t port, int proto,
		       const struct tulpen_services *svc)
{
	const char *pname = NULL;
	size_t n;

	if (size < 21)
		return tulpen_scnprintf(out, size, "?");
	if (!port) {
		out[0] = '*';
		out[1] = '\0';
		return 1;
	}
	if (proto != TULPEN_P_RAW && svc)
		pname = tulpen_services_name(svc, proto, port);
	if (pname) {
		n = strlen(pname);
		if (n >= size)
			n = size - 1;
		memcpy(out, pname, n);
	} else {
		n = tulpen_utoa(out, port);
	}
	out[n] = '\0';
	return n;
}

/*
 * The hot path of every listing: built by hand, as printf costs more than
 * the kernel's dump itself.
 */
size_t tulpen_fmt_endpoint(char *out, size_t size, int family,
			   const struct tulpen_endpoint *ep, uint32_t ifindex,
			   int proto, const struct tulpen_services *svc,
			   struct tulpen_resolver *res, int bracket_v6)
{
	char host[300], port[24];
	const char *name = NULL;
	size_t hn, pn, at = 0;
	int brackets;

	if (!size)
		return 0;
	if (res)
		name = tulpen_resolver_name(res, family, ep->addr.raw);
	if (name)
		hn = tulpen_scnprintf(host, sizeof(host), "%s", name);
	else
		hn = tulpen_fmt_addr(host, sizeof(host), family, ep->addr.raw,
				     ifindex);
	pn = tulpen_fmt_port(port, sizeof(port), ep->port, proto, svc);
	brackets = family == AF_INET6 && bracket_v6 && !name;
	if (brackets)
		append(out, size, &at, "[", 1);
	append(out, size, &at, host, hn);
	if (brackets)
		append(out, size, &at, "]", 1);
	append(out, size, &at, ":", 1);
	append(out, size, &at, port, pn);
	out[at] = '\0';
	return at;
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
