// SPDX-License-Identifier: MIT
/*
 * rule_tcp_mem.c - TCP memory pressure: the pages TCP buffers use
 * (sockstat "mem") against tcp_mem (low, pressure, high). A notice from
 * tcp_mem_pct of the pressure level, a warning at it (the kernel shrinks
 * buffers) or when TCPMemoryPressures rose, critical at the high level
 * (new data is dropped, sockets are aborted: TCPAbortOnMemory). Both are
 * host-wide: reported once, with the caller's own namespace.
 */
#include <stdio.h>

#include "doctor/doctor_internal.h"

static const char advice[] =
	"Find the sockets that hold the memory (tulpen -tnm, large Recv-Q "
	"or Send-Q: readers that do not read, peers that do not take data) "
	"and fix them; raise net.ipv4.tcp_mem only if the host has the "
	"memory to spare.";

void dr_rule_tcp_mem(const struct dr_snap *sn,
		     const struct tulpen_doctor_thresholds *t,
		     struct dr_out *out)
{
	uint64_t mem, pressures = dr_delta(sn, DR_C_MEMORY_PRESSURES);
	struct tulpen_doctor_finding *f;
	int sev;

	if (!sn->host_wide || !sn->b.have_sockstat || !sn->have_tcp_mem ||
	    !sn->tcp_mem[1])
		return;
	mem = sn->b.sockstat.mem_pages;
	if (mem >= sn->tcp_mem[2])
		sev = TULPEN_DOCTOR_CRITICAL;
	else if (mem >= sn->tcp_mem[1] || pressures)
		sev = TULPEN_DOCTOR_WARNING;
	else if (mem * 100 >= sn->tcp_mem[1] * t->tcp_mem_pct)
		sev = TULPEN_DOCTOR_NOTICE;
	else
		return;
	f = dr_finding(out, sn, "tcp-memory", sev, 0);
	if (!f)
		return;
	dr_summary(f,
		   "TCP buffers use %llu pages, %llu%% of tcp_mem's pressure "
		   "level (%llu)%s",
		   (unsigned long long)mem,
		   (unsigned long long)(mem * 100 / sn->tcp_mem[1]),
		   (unsigned long long)sn->tcp_mem[1],
		   sev == TULPEN_DOCTOR_CRITICAL  ? ": above the high mark, "
						    "the kernel drops data"
		   : sev == TULPEN_DOCTOR_WARNING ? ": the kernel is under "
						    "memory pressure"
						  : "");
	dr_subject(f, "tcp_mem");
	dr_ev_num(f, "mem_pages", (int64_t)mem);
	dr_ev_num(f, "tcp_mem_low", (int64_t)sn->tcp_mem[0]);
	dr_ev_num(f, "tcp_mem_pressure", (int64_t)sn->tcp_mem[1]);
	dr_ev_num(f, "tcp_mem_high", (int64_t)sn->tcp_mem[2]);
	dr_ev_num(f, "threshold_pct", (int64_t)t->tcp_mem_pct);
	dr_ev_num(f, "page_size", (int64_t)sn->page_size);
	if (dr_has_counter(sn, DR_C_MEMORY_PRESSURES))
		dr_ev_num(f, "memory_pressures", (int64_t)pressures);
	if (dr_has_counter(sn, DR_C_ABORT_ON_MEMORY))
		dr_ev_num(f, "aborts_on_memory",
			  (int64_t)dr_delta(sn, DR_C_ABORT_ON_MEMORY));
	f->advice = advice;
}
