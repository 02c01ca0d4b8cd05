// SPDX-License-Identifier: MIT
/*
 * endpoint.c - the library's one endpoint formatter (tulpen/fmt.h): an
 * address and port in every text layout (table, ss, netstat, reports) as
 * struct tulpen_ep_style says, and the JSON endpoint object of docs/json.md.
 * The hot path of every listing, so built by hand.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/fmt.h"
#include "fmt/fmt_internal.h"

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
	char num[TULPEN_FMT_NUM_MAX];
	const char *s = ifname;
	size_t n;

	if (!size)
		return 0;
	if (if_indextoname(ifindex, ifname)) {
		n = strlen(ifname);
	} else {
		n = tulpen_fmt_u64(num, ifindex);
		s = num;
	}
	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	return n;
}

size_t tulpen_fmt_addr(char *out, size_t size, int family, const void *addr,
		       uint32_t ifindex)
{
	char tmp[INET6_ADDRSTRLEN + IF_NAMESIZE + 24];
	size_t n;

	if (!size)
		return 0;
	if (family == AF_INET) {
		n = tulpen_fmt_v4(tmp, addr);
	} else if (inet_ntop(AF_INET6, addr, tmp, INET6_ADDRSTRLEN)) {
		n = strlen(tmp);
	} else {
		tmp[0] = '?';
		n = 1;
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

size_t tulpen_fmt_port(char *out, size_t size, uint16_t port, int proto,
		       const struct tulpen_services *svc)
{
	const char *pname = NULL;
	size_t n;

	if (size < 21) {
		if (size)
			out[0] = '\0';
		return 0;
	}
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
		n = tulpen_fmt_u64(out, port);
	}
	out[n] = '\0';
	return n;
}

/* Append @s (length @n) at @out + *@at if it fits in @size (with a NUL). */
static void append(char *out, size_t size, size_t *at, const char *s, size_t n)
{
	if (*at + n + 1 > size)
		n = *at + 1 < size ? size - *at - 1 : 0;
	memcpy(out + *at, s, n);
	*at += n;
}

static int is_any6(const uint8_t *a)
{
	static const uint8_t any[16];

	return !memcmp(a, any, 16);
}

static int is_mapped_v4(const uint8_t *a)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, mapped, 12);
}

/* The host part: "*", a resolved name, or the address (maybe bracketed). */
static size_t put_host(char *out, size_t size, int family, const uint8_t *addr,
		       uint32_t ifindex, const struct tulpen_ep_style *st)
{
	const char *name = NULL;
	size_t at = 0, n;
	char a[INET6_ADDRSTRLEN + IF_NAMESIZE + 24];

	if (st->any_star && family == AF_INET6 && is_any6(addr)) {
		append(out, size, &at, "*", 1);
		return at;
	}
	if (st->unmap_v4 && family == AF_INET6 && is_mapped_v4(addr)) {
		family = AF_INET;
		addr += 12;
	}
	if (st->resolver)
		name = tulpen_resolver_name(st->resolver, family, addr);
	if (name) {
		append(out, size, &at, name, strlen(name));
		return at;
	}
	n = tulpen_fmt_addr(a, sizeof(a), family, addr,
			    st->dev_after ? 0 : ifindex);
	if (family == AF_INET6 && st->brackets) {
		append(out, size, &at, "[", 1);
		append(out, size, &at, a, n);
		append(out, size, &at, "]", 1);
	} else {
		append(out, size, &at, a, n);
	}
	return at;
}

size_t tulpen_fmt_ep(char *out, size_t size, int family,
		     const struct tulpen_endpoint *ep, uint32_t ifindex,
		     const struct tulpen_ep_style *st)
{
	char port[24];
	size_t at, pn;

	if (!size)
		return 0;
	at = put_host(out, size, family, ep->addr.raw, ifindex, st);
	if (st->dev_after && ifindex) {
		char dev[IF_NAMESIZE + 24];

		dev[0] = '%';
		pn = 1 + tulpen_fmt_ifname(dev + 1, sizeof(dev) - 1, ifindex);
		append(out, size, &at, dev, pn);
	}
	pn = tulpen_fmt_port(port, sizeof(port), ep->port, st->proto,
			     st->services);
	append(out, size, &at, ":", 1);
	append(out, size, &at, port, pn);
	out[at] = '\0';
	return at;
}

static void put_str(struct tulpen_buf *b, const char *key, const char *v)
{
	tulpen_buf_putc(b, ',');
	tulpen_buf_json_str(b, key);
	tulpen_buf_putc(b, ':');
	tulpen_buf_json_str(b, v);
}

int tulpen_buf_json_endpoint(struct tulpen_buf *b, int family,
			     const struct tulpen_endpoint *ep, uint32_t ifindex,
			     const struct tulpen_ep_style *st)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const char *name;

	tulpen_fmt_addr(addr, sizeof(addr), family, ep->addr.raw, 0);
	tulpen_buf_puts(b, "{\"address\":");
	tulpen_buf_json_str(b, addr);
	tulpen_buf_puts(b, ",\"port\":");
	tulpen_buf_u64(b, ep->port);
	if (ifindex) {
		char ifname[IF_NAMESIZE + 24];

		tulpen_fmt_ifname(ifname, sizeof(ifname), ifindex);
		put_str(b, "interface", ifname);
	}
	if (st && st->services && ep->port && st->proto != TULPEN_P_RAW) {
		name = tulpen_services_name(st->services, st->proto, ep->port);
		if (name)
			put_str(b, "service", name);
	}
	if (st && st->resolver) {
		name = tulpen_resolver_name(st->resolver, family, ep->addr.raw);
		if (name)
			put_str(b, "host", name);
	}
	return tulpen_buf_putc(b, '}');
}
