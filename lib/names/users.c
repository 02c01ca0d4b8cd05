// SPDX-License-Identifier: MIT
/*
 * users.c - uid to user name, read once from a passwd file into the
 * library's hash table (uid -> name). The first line of a uid wins, as
 * with getpwuid().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tulpen/names.h"
#include "core/hash.h"

struct tulpen_users {
	struct tulpen_hash names; /* uid -> char * (owned) */
};

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

/* Keep @name for @uid unless the uid has one already. */
static int add(struct tulpen_users *u, uint32_t uid, const char *name)
{
	void *v;
	int ret = tulpen_hash_insert_h(&u->names, &uid, uid, &v);

	if (ret != 1)
		return ret < 0 ? ret : 0;
	*(char **)v = strdup(name);
	if (!*(char **)v) {
		tulpen_hash_remove_value(&u->names, v);
		return -ENOMEM;
	}
	return 0;
}

int tulpen_users_new(const char *passwd_path, struct tulpen_users **out)
{
	struct tulpen_users *u = calloc(1, sizeof(*u));
	char line[1024];
	FILE *f;
	int ret = 0;

	if (!u)
		return -ENOMEM;
	TULPEN_HASH_INIT(&u->names, uint32_t, char *, NULL);
	f = passwd_path ? fopen(passwd_path, "re") : NULL;
	while (f && !ret && fgets(line, sizeof(line), f)) {
		char *name;
		uint32_t uid;

		if (!parse_line(line, &name, &uid))
			ret = add(u, uid, name);
	}
	if (f)
		fclose(f);
	if (ret) {
		tulpen_users_free(u);
		return ret;
	}
	*out = u;
	return 0;
}

void tulpen_users_free(struct tulpen_users *u)
{
	size_t pos = 0;
	char **name;

	if (!u)
		return;
	while ((name = tulpen_hash_next(&u->names, &pos, NULL)))
		free(*name);
	tulpen_hash_fini(&u->names);
	free(u);
}

const char *tulpen_users_name(struct tulpen_users *u, uint32_t uid)
{
	char **name;

	if (!u)
		return NULL;
	name = tulpen_hash_find_h(&u->names, &uid, uid);
	return name ? *name : NULL;
}
