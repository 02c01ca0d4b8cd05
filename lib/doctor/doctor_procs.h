/* SPDX-License-Identifier: MIT */
/*
 * doctor/doctor_procs.h - the processes that hold the sampled sockets:
 * one table for every namespace, with each process's command, parents
 * and container. Not installed.
 */
#ifndef TULPEN_DOCTOR_PROCS_H
#define TULPEN_DOCTOR_PROCS_H

#include "core/hash.h"
#include "tulpen/owners.h"
#include "doctor/doctor_internal.h"

struct dr_procs {
	struct dr_proc *v;
	size_t n, cap;
	struct tulpen_hash by_pid; /* pid -> index */
};

void dr_procs_init(struct dr_procs *p);
void dr_procs_fini(struct dr_procs *p);

/*
 * The holders of @smp's sockets from @owners, into a new array (*@out,
 * *@n; the caller frees it), each socket's own/nown set; their processes
 * are added to @p (command, parents and container read below the
 * context's proc root). Returns 0 or -ENOMEM.
 */
int dr_procs_holders(struct tulpen_ctx *ctx, struct dr_procs *p,
		     const struct tulpen_owners *owners, struct dr_sample *smp,
		     struct dr_holder **out, size_t *n);

/*
 * The parent pid in the text of a /proc/PID/status file ("PPid:\t1"), or
 * -1 when there is none.
 */
int32_t dr_parse_ppid(const char *text, size_t len);

#endif /* TULPEN_DOCTOR_PROCS_H */
