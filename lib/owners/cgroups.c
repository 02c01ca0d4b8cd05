// SPDX-License-Identifier: MIT
/*
 * cgroups.c - cgroup v2 ids to paths, for the cgroup:... field of ss -e.
 *
 * A cgroup's id is the inode number of its directory in the cgroup2 file
 * system; the root is always 1. The hierarchy is walked once, lazily, into
 * the library's hash table (id -> path), so that each socket's lookup is
 * one probe however many cgroups a host has.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tulpen/names.h"
#include "core/hash.h"

struct tulpen_cgroups {
	char *mountinfo;
	char *mnt; /* cgroup2 mount point, NULL if none */
	int walked;
	struct tulpen_hash paths; /* id -> char * (owned) */
};

int tulpen_cgroups_new(const char *mountinfo, struct tulpen_cgroups **out)
{
	struct tulpen_cgroups *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	TULPEN_HASH_INIT(&c->paths, uint64_t, char *, NULL);
	c->mountinfo = strdup(mountinfo);
	if (!c->mountinfo) {
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void tulpen_cgroups_free(struct tulpen_cgroups *c)
{
	size_t pos = 0;
	char **path;

	if (!c)
		return;
	while ((path = tulpen_hash_next(&c->paths, &pos, NULL)))
		free(*path);
	tulpen_hash_fini(&c->paths);
	free(c->mnt);
	free(c->mountinfo);
	free(c);
}

/*
 * The mount point of the cgroup2 file system: in a mountinfo line, field 5
 * is the mount point and the field after " - " the file system type.
 */
static char *find_mount(const char *mountinfo)
{
	char line[4096];
	FILE *f = fopen(mountinfo, "re");
	char *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char *p = line, *mp;
		int field;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		for (field = 0; field < 4 && p; field++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		if (!p)
			continue;
		mp = p;
		p = strchr(mp, ' ');
		if (!p)
			continue;
		*p = '\0';
		found = strdup(mp); /* octal escapes (\040) are rare here */
	}
	fclose(f);
	return found;
}

/* Remember @path for @id; the first path seen for an id stays. */
static int add(struct tulpen_cgroups *c, uint64_t id, const char *path)
{
	char *dup = strdup(path);
	void *v;
	int ret;

	if (!dup)
		return -ENOMEM;
	ret = tulpen_hash_insert_u64(&c->paths, id, &v);
	if (ret != 1) {
		free(dup);
		return ret < 0 ? ret : 0;
	}
	*(char **)v = dup;
	return 0;
}

/* Walk @dirfd (the cgroup at @rel) and below, up to a sane depth. */
static void walk(struct tulpen_cgroups *c, int dirfd, const char *rel,
		 int depth)
{
	DIR *d;
	struct dirent *e;

	if (depth > 32)
		return;
	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return;
	}
	while ((e = readdir(d))) {
		char sub[4096];
		struct stat st;
		int fd;

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		fd = openat(dirfd, e->d_name,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) ||
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s",
				     strcmp(rel, "/") ? rel : "",
				     e->d_name) >= sizeof(sub) ||
		    add(c, st.st_ino, sub)) {
			close(fd);
			continue;
		}
		walk(c, fd, sub, depth + 1);
	}
	closedir(d);
}

const char *tulpen_cgroups_path(struct tulpen_cgroups *c, uint64_t id)
{
	char **path;

	if (!c)
		return NULL;
	if (id == 1)
		return "/"; /* the root cgroup, mounted or not */
	if (!c->walked) {
		int fd;

		c->walked = 1;
		if (!c->mnt)
			c->mnt = find_mount(c->mountinfo);
		fd = c->mnt ? open(c->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
			    : -1;
		if (fd >= 0)
			walk(c, fd, "/", 0);
	}
	path = tulpen_hash_find_u64(&c->paths, id);
	return path ? *path : NULL;
}

int tulpen_cgroups_id(struct tulpen_cgroups *c, const char *path, uint64_t *id)
{
	struct stat st;
	char full[4096];
	int n;

	if (!c)
		return -ENOENT;
	if (!c->mnt)
		c->mnt = find_mount(c->mountinfo);
	if (!c->mnt)
		return -ENOENT;
	while (*path == '/')
		path++;
	n = snprintf(full, sizeof(full), "%s/%s", c->mnt, path);
	if (n < 0 || (size_t)n >= sizeof(full))
		return -ENAMETOOLONG;
	if (stat(full, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = (uint64_t)st.st_ino;
	return 0;
}
