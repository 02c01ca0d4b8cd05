/* SPDX-License-Identifier: MIT */
/*
 * cpus.h - how many CPUs the calling thread may run on (its affinity),
 * for the rooms that put work on a second thread only when it can run at
 * once: tulpen serve's split walk (lib/metrics) and tulpen pcap's reader
 * thread (lib/pcap). Not installed.
 */
#ifndef TULPEN_CPUS_H
#define TULPEN_CPUS_H

/* The CPUs in the calling thread's affinity mask, or a negative errno. */
int tulpen_cpus_usable(void);

#endif
