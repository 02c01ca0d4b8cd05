// SPDX-License-Identifier: MIT
/*
 * rules.c - every rule of tulpen doctor, one line each. A rule is one file
 * (rule_NAME.c) with one function over the snapshot; adding a rule is
 * adding its file and its line here (and in docs/doctor.md).
 */
#include <stddef.h>

#include "doctor/doctor_internal.h"

const struct dr_rule dr_rules[] = {
	{ "close-wait", dr_rule_close_wait },
	{ "close-wait-copy", dr_rule_close_wait_copy },
	{ "ephemeral-ports", dr_rule_ephemeral },
	{ "accept-queue", dr_rule_accept_queue },
	{ "orphans", dr_rule_orphans },
	{ "syn-sent", dr_rule_syn_sent },
	{ "retransmissions", dr_rule_retrans },
	{ "stuck-queues", dr_rule_stuck_queues },
	{ "tcp-memory", dr_rule_tcp_mem },
};

const size_t dr_nrules = sizeof(dr_rules) / sizeof(dr_rules[0]);

/* Every kind the rules above report (docs/doctor.md, the JSON schema). */
static const char *const kinds[] = {
	"close-wait",
	"close-wait-copy",
	"ephemeral-ports",
	"time-wait-overflow",
	"accept-queue",
	"syn-queue",
	"orphans",
	"fin-wait-1-stuck",
	"fin-wait-2-orphans",
	"syn-sent",
	"retransmissions",
	"recv-queue-stuck",
	"send-queue-stuck",
	"tcp-memory",
};

const char *const *tulpen_doctor_kinds(size_t *n)
{
	*n = sizeof(kinds) / sizeof(kinds[0]);
	return kinds;
}
