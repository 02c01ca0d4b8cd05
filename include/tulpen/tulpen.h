/* SPDX-License-Identifier: MIT */
/*
 * tulpen/tulpen.h - the whole public API of libtulpen in one include.
 *
 * Link with `pkg-config --cflags --libs tulpen`. Each header below holds
 * one concept and states who owns what; this one only gathers them.
 */
#ifndef TULPEN_TULPEN_H
#define TULPEN_TULPEN_H

#include "tulpen/version.h"

#include "tulpen/ctx.h"
#include "tulpen/sock.h"
#include "tulpen/tcp_info.h"
#include "tulpen/skmem.h"
#include "tulpen/state.h"
#include "tulpen/collect.h"
#include "tulpen/destroy.h"
#include "tulpen/sock_events.h"
#include "tulpen/filter.h"
#include "tulpen/owners.h"
#include "tulpen/names.h"
#include "tulpen/fmt.h"
#include "tulpen/summary.h"
#include "tulpen/tcp_fsm.h"
#include "tulpen/explain.h"
#include "tulpen/pcap_decode.h"
#include "tulpen/pcap_flows.h"
#include "tulpen/pcap_report.h"
#include "tulpen/pcap_session.h"
#include "tulpen/watch.h"
#include "tulpen/watch_conn.h"
#include "tulpen/watch_counts.h"
#include "tulpen/watch_fmt.h"
#include "tulpen/watch_session.h"
#include "tulpen/netns.h"
#include "tulpen/container.h"
#include "tulpen/metrics.h"
#include "tulpen/doctor.h"

#endif /* TULPEN_TULPEN_H */
