// SPDX-License-Identifier: MIT
/*
 * doctor_group.c - sockets grouped by a rule's key (a process and a port,
 * a destination), over the library's one hash table.
 */
#include <errno.h>
#include <string.h>

#include "doctor/doctor_internal.h"

int dr_group_init(struct tulpen_hash *h, size_t key_size)
{
	return tulpen_hash_init(h, key_size, sizeof(struct dr_group),
				_Alignof(struct dr_group), NULL);
}

struct dr_group *dr_group_get(struct tulpen_hash *h, const void *key,
			      size_t idx)
{
	struct dr_group *g;
	int ret = tulpen_hash_insert(h, key, (void **)&g);

	if (ret < 0)
		return NULL;
	if (ret == 1)
		g->first = idx;
	return g;
}

struct dr_group *dr_group_next(struct tulpen_hash *h, size_t *pos)
{
	return tulpen_hash_next(h, pos, NULL);
}

void dr_group_run(const struct dr_snap *sn,
		  const struct tulpen_doctor_thresholds *t, struct dr_out *out,
		  const struct dr_grouper *gr)
{
	unsigned char k[64];
	struct tulpen_hash h;
	struct dr_group *g;
	size_t i, pos = 0;

	if (gr->key_size > sizeof(k) || dr_group_init(&h, gr->key_size)) {
		out->err = -ENOMEM;
		return;
	}
	for (i = 0; i < sn->b.nsocks; i++) {
		const struct dr_sock *s = &sn->b.socks[i];

		if (!gr->select(sn, t, s))
			continue;
		memset(k, 0, gr->key_size);
		gr->key(sn, s, k);
		g = dr_group_get(&h, k, i);
		if (!g) {
			out->err = -ENOMEM;
			goto out;
		}
		g->n++;
		if (gr->add)
			gr->add(sn, s, g);
	}
	while ((g = dr_group_next(&h, &pos)))
		if (gr->fires(sn, t, g))
			gr->report(sn, t, out, g);
	for (i = 0; i < sn->b.nsocks && !out->err; i++) {
		const struct dr_sock *s = &sn->b.socks[i];

		if (!gr->select(sn, t, s))
			continue;
		memset(k, 0, gr->key_size);
		gr->key(sn, s, k);
		g = tulpen_hash_find(&h, k);
		if (dr_group_finding(out, g))
			dr_add_holders(dr_group_finding(out, g), sn, s);
	}
out:
	tulpen_hash_fini(&h);
}
