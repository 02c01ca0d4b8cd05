/* SPDX-License-Identifier: MIT */
/*
 * doctor/doctor_report.h - the report a run hands back. Not installed.
 */
#ifndef TULPEN_DOCTOR_REPORT_H
#define TULPEN_DOCTOR_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "tulpen/doctor.h"

struct tulpen_doctor_report {
	struct tulpen_doctor_finding *v; /* worst first */
	size_t n;
	size_t namespaces, failed;
	uint64_t interval_ms;
	int64_t ts_us; /* when the second sample was taken (epoch) */
};

/* The wall clock in microseconds since the epoch. */
int64_t dr_now_us(void);

#endif /* TULPEN_DOCTOR_REPORT_H */
