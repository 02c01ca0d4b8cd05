// SPDX-License-Identifier: MIT
/*
 * cpus.c - the CPUs the calling thread may run on (core/cpus.h).
 */
#include <errno.h>
#include <sched.h>

#include "core/cpus.h"

int tulpen_cpus_usable(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	return CPU_COUNT(&set);
}
