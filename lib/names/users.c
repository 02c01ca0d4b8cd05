// SPDX-License-Identifier: MIT
/*
 * users.c - uid to user name, read once from a passwd file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/names.h"

struct user {
	uint32_t uid;
	char *name;
};

struct tulpen_users {
	struct user *v;
	size_t n, cap;
};

static int by_uid(const void *a, const void *b)
{
	const struct user *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* "name:passwd:uid:..." -> name and uid; 0 on success. */
static int parse_line(char *line, char **name, uint32_t *uid)
{
	char *c1 = strchr(line, ':'), *c2, *p;
	uint64_t v = 0;

	if (!c1 || c1 == line)
		return -EINVAL;
	c2 = strchr(c1 + 1, ':');
	if (!c2)
		return -EINVAL;
	p = c2 + 1;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
		p++;
	}
	if (*p != ':')
		return -EINVAL;
	*c1 = '\0';
	*name = line;
	*uid = (uint32_t)v;
	return 0;
}

int tulpen_users_new(const char *passwd_path, struct tulpen_users **out)
{
	struct tulpen_users *u = calloc(1, sizeof(*u));
	char line[1024];
	FILE *f;

	if (!u)
		return -ENOMEM;
	f = passwd_path ? fopen(passwd_path, "re") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		char *name;
		uint32_t uid;

		if (parse_line(line, &name, &uid))
			continue;
		if (u->n == u->cap) {
			size_t cap = u->cap ? u->cap * 2 : 64;
			struct user *v = realloc(u->v, cap * sizeof(*v));

			if (!v)
				goto nomem;
			u->v = v;
			u->cap = cap;
		}
		u->v[u->n].uid = uid;
		u->v[u->n].name = strdup(name);
		if (!u->v[u->n].name)
			goto nomem;
		u->n++;
	}
	if (f)
		fclose(f);
	/* qsort is not stable: duplicates of a uid may swap (rare). */
	if (u->n)
		qsort(u->v, u->n, sizeof(*u->v), by_uid);
	*out = u;
	return 0;
nomem:
	if (f)
		fclose(f);
	tulpen_users_free(u);
	return -ENOMEM;
}

void tulpen_users_free(struct tulpen_users *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < u->n; i++)
		free(u->v[i].name);
	free(u->v);
	free(u);
}

const char *tulpen_users_name(struct tulpen_users *u, uint32_t uid)
{
	size_t lo = 0, hi;

	if (!u)
		return NULL;
	hi = u->n;
	/* the first entry with this uid */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->v[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < u->n && u->v[lo].uid == uid)
		return u->v[lo].name;
	return NULL;
}
