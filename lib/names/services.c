// SPDX-License-Identifier: MIT
/*
 * services.c - port numbers to service names, from an /etc/services file.
 *
 * The file is read once into two flat tables (TCP-like and UDP-like), so a
 * lookup is an array index: no getservbyport() call per socket.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/names.h"

struct tulpen_services {
	uint32_t *tcp; /* 65536 offsets into names, 0 = none */
	uint32_t *udp;
	char *names;
	size_t len, cap;
};

static int add_name(struct tulpen_services *s, const char *name, size_t n,
		    uint32_t *off)
{
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16384;
		char *p;

		while (cap < s->len + n + 1)
			cap *= 2;
		p = realloc(s->names, cap);
		if (!p)
			return -ENOMEM;
		s->names = p;
		s->cap = cap;
	}
	memcpy(s->names + s->len, name, n);
	s->names[s->len + n] = '\0';
	*off = (uint32_t)s->len;
	s->len += n + 1;
	return 0;
}

/* One line: "name  port/proto  [aliases] [# comment]". */
static int parse_line(struct tulpen_services *s, char *line)
{
	char *p = line, *name, *num;
	size_t nlen;
	unsigned long port = 0;
	uint32_t **table, off;
	int digits = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#' || *p == '\n')
		return 0;
	name = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '\n')
		p++;
	nlen = (size_t)(p - name);
	while (*p == ' ' || *p == '\t')
		p++;
	num = p;
	while (*p >= '0' && *p <= '9' && digits < 6) {
		port = port * 10 + (unsigned long)(*p - '0');
		p++;
		digits++;
	}
	if (!digits || port > 65535 || *p != '/' || p == num)
		return 0; /* not a service line: ignore it */
	p++;
	if (!strncmp(p, "tcp", 3))
		table = &s->tcp;
	else if (!strncmp(p, "udp", 3))
		table = &s->udp;
	else
		return 0;
	if ((*table)[port])
		return 0; /* the first name wins, as with getservbyport */
	if (add_name(s, name, nlen, &off))
		return -ENOMEM;
	(*table)[port] = off;
	return 0;
}

int tulpen_services_new(const char *path, struct tulpen_services **out)
{
	struct tulpen_services *s;
	char line[1024];
	FILE *f;
	int ret = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->tcp = calloc(65536, sizeof(uint32_t));
	s->udp = calloc(65536, sizeof(uint32_t));
	if (!s->tcp || !s->udp) {
		ret = -ENOMEM;
		goto err;
	}
	/* offset 0 means "none": start the pool with a NUL */
	if (add_name(s, "", 0, &(uint32_t){ 0 })) {
		ret = -ENOMEM;
		goto err;
	}
	f = path ? fopen(path, "re") : NULL;
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			ret = parse_line(s, line);
			if (ret)
				break;
		}
		fclose(f);
		if (ret)
			goto err;
	}
	*out = s;
	return 0;
err:
	tulpen_services_free(s);
	return ret;
}

void tulpen_services_free(struct tulpen_services *s)
{
	if (!s)
		return;
	free(s->tcp);
	free(s->udp);
	free(s->names);
	free(s);
}

const char *tulpen_services_name(const struct tulpen_services *s, int proto,
				 uint16_t port)
{
	uint32_t off;

	if (!s)
		return NULL;
	switch (proto) {
	case TULPEN_P_TCP:
	case TULPEN_P_MPTCP:
		off = s->tcp[port];
		break;
	case TULPEN_P_UDP:
	case TULPEN_P_UDPLITE:
		off = s->udp[port];
		break;
	default:
		return NULL;
	}
	return off ? s->names + off : NULL;
}

int tulpen_services_port(const struct tulpen_services *s, int proto,
			 const char *name, uint16_t *port)
{
	const uint32_t *table;
	uint32_t p;

	if (!s || !*name)
		return -ENOENT;
	if (proto == TULPEN_P_TCP || proto == TULPEN_P_MPTCP)
		table = s->tcp;
	else if (proto == TULPEN_P_UDP || proto == TULPEN_P_UDPLITE)
		table = s->udp;
	else
		return -ENOENT;
	for (p = 0; p < 65536; p++) {
		if (table[p] && !strcmp(s->names + table[p], name)) {
			*port = (uint16_t)p;
			return 0;
		}
	}
	return -ENOENT;
}
