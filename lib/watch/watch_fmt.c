// SPDX-License-Identifier: MIT
/*
 * watch_fmt.c - text and JSON forms of `tulpen watch` records: one
 * transition, one connection's lifetime, a connection that existed at
 * start, the per-state summary and lost-event notices.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "fmt/fmt_internal.h"
#include "tulpen/container.h"
#include "tulpen/fmt.h"
#include "tulpen/netns.h"
#include "tulpen/state.h"
#include "tulpen/watch.h"
#include "tulpen/watch_conn.h"
#include "tulpen/watch_fmt.h"

static const char *sname(int state)
{
	if (state == TULPEN_TCP_CLOSE)
		return "CLOSED";
	return tulpen_state_name(state, TULPEN_STATE_RFC);
}

/* Wall clock time of monotonic @ts, for text: "HH:MM:SS.uuuuuu". */
static int put_time(struct tulpen_buf *b, struct tulpen_watch_fmt_opts *o,
		    uint64_t ts)
{
	int64_t real = (int64_t)ts + o->realtime_offset_ns;
	time_t sec = (time_t)(real / 1000000000);
	long usec = (long)(real % 1000000000 / 1000);
	char frac[8];
	struct tm tm;
	int i;

	/* Calendar conversion once per second, not per record. */
	if (sec != o->cache_sec) {
		localtime_r(&sec, &tm);
		strftime(o->cache_text, sizeof(o->cache_text), "%H:%M:%S", &tm);
		o->cache_sec = sec;
	}
	frac[0] = '.';
	for (i = 6; i >= 1; i--) {
		frac[i] = (char)('0' + usec % 10);
		usec /= 10;
	}
	frac[7] = '\0';
	tulpen_buf_puts(b, o->cache_text);
	return tulpen_buf_put(b, frac, 7);
}

int tulpen_watch_fmt_ts(struct tulpen_buf *b,
			const struct tulpen_watch_fmt_opts *o, uint64_t ts_ns)
{
	int64_t real = (int64_t)ts_ns + o->realtime_offset_ns;

	if (real < 0)
		real = 0;
	return tulpen_buf_printf(b, "%lld.%06lld",
				 (long long)(real / 1000000000),
				 (long long)(real % 1000000000 / 1000));
}

/* "ts" (wall clock) and "monotonic_ns" (the kernel's clock) of @ts. */
static int put_times(struct tulpen_buf *b, struct tulpen_watch_fmt_opts *o,
		     uint64_t ts)
{
	tulpen_buf_puts(b, ",\"ts\":");
	tulpen_watch_fmt_ts(b, o, ts);
	tulpen_buf_puts(b, ",\"monotonic_ns\":");
	return tulpen_buf_u64(b, ts);
}

/* The namespace's name and the container of @inode and @pid, if known. */
static void labels(const struct tulpen_watch_fmt_opts *o, uint32_t inode,
		   int32_t pid, const char **name,
		   const struct tulpen_container **c)
{
	*name = NULL;
	*c = NULL;
	if (o->labels)
		tulpen_netns_labels_get(o->labels, inode, pid, name, c);
	if (!*name && o->netns_name && inode == o->netns_inode)
		*name = o->netns_name;
}

/* ',"netns":{"inode","name"}' with the name already looked up. */
static int put_netns(struct tulpen_buf *b, uint32_t inode, const char *name)
{
	tulpen_buf_puts(b, ",\"netns\":{\"inode\":");
	tulpen_buf_u64(b, inode);
	tulpen_buf_puts(b, ",\"name\":");
	if (name)
		tulpen_buf_json_str(b, name);
	else
		tulpen_buf_puts(b, "null");
	return tulpen_buf_putc(b, '}');
}

int tulpen_watch_fmt_netns(struct tulpen_buf *b,
			   const struct tulpen_watch_fmt_opts *o,
			   uint32_t inode)
{
	const struct tulpen_container *c;
	const char *name;

	labels(o, inode, 0, &name, &c);
	return put_netns(b, inode, name);
}

/*
 * Text: " [netns NAME|INODE]" for a namespace other than the caller's,
 * " [container LABEL]" when one is known.
 */
static int put_labels_text(struct tulpen_buf *b,
			   const struct tulpen_watch_fmt_opts *o,
			   uint32_t inode, int32_t pid)
{
	const struct tulpen_container *c;
	const char *name;
	char label[160];

	labels(o, inode, pid, &name, &c);
	if (inode && inode != o->self_netns) {
		if (name)
			tulpen_buf_printf(b, " [netns %s]", name);
		else
			tulpen_buf_printf(b, " [netns %u]", inode);
	}
	if (c && tulpen_container_label(label, sizeof(label), c))
		tulpen_buf_printf(b, " [container %s]", label);
	return b->err;
}

static int put_owner_text(struct tulpen_buf *b,
			  const struct tulpen_watch_conn *cn,
			  const struct tulpen_watch_event *ev)
{
	char who[48], name[TULPEN_ESC_MAX(16)];
	int32_t pid = 0, tid = 0;
	const char *comm = "-";

	if (ev && ev->has_owner) {
		pid = ev->pid;
		tid = ev->tid;
		comm = ev->comm;
	} else if (cn && cn->has_owner) {
		pid = cn->pid;
		tid = cn->tid;
		comm = cn->comm;
	}
	if (!pid)
		tulpen_scnprintf(who, sizeof(who), "-");
	else if (tid && tid != pid)
		tulpen_scnprintf(who, sizeof(who), "%d/%d", pid, tid);
	else
		tulpen_scnprintf(who, sizeof(who), "%d", pid);
	tulpen_escape(name, sizeof(name), comm[0] ? comm : "-");
	return tulpen_buf_printf(b, "%-13s %-15s ", who, name);
}

static int put_ends_text(struct tulpen_buf *b, int family,
			 const struct tulpen_endpoint *l,
			 const struct tulpen_endpoint *p)
{
	static const struct tulpen_ep_style table = {
		.brackets = 1,
		.proto = TULPEN_P_TCP,
	};
	char ls[96], ps[96];

	tulpen_fmt_ep(ls, sizeof(ls), family, l, 0, &table);
	tulpen_fmt_ep(ps, sizeof(ps), family, p, 0, &table);
	return tulpen_buf_printf(b, "%-23s %-23s ", ls, ps);
}

static void put_endpoint_json(struct tulpen_buf *b, const char *key, int family,
			      const struct tulpen_endpoint *ep)
{
	tulpen_buf_printf(b, ",\"%s\":", key);
	tulpen_buf_json_endpoint(b, family, ep, 0, NULL);
}

/* JSON fields shared by every record about one socket. */
static int put_sock_json(struct tulpen_buf *b,
			 const struct tulpen_watch_fmt_opts *o, uint64_t cookie,
			 int proto, int family, const struct tulpen_endpoint *l,
			 const struct tulpen_endpoint *p, uint32_t netns,
			 int32_t pid)
{
	const struct tulpen_container *c;
	const char *name;

	tulpen_buf_puts(b, ",\"cookie\":");
	tulpen_buf_u64(b, cookie);
	tulpen_buf_puts(b, proto == TULPEN_P_MPTCP ? ",\"proto\":\"mptcp\""
						   : ",\"proto\":\"tcp\"");
	tulpen_buf_puts(b, family == AF_INET6 ? ",\"family\":\"inet6\""
					      : ",\"family\":\"inet\"");
	put_endpoint_json(b, "local", family, l);
	put_endpoint_json(b, "peer", family, p);
	labels(o, netns, pid, &name, &c); /* one lookup for both */
	if (netns)
		put_netns(b, netns, name);
	if (c) {
		tulpen_buf_puts(b, ",\"container\":");
		tulpen_container_json(c, b);
	}
	return b->err;
}

/*
 * The owner as the lister's "processes" array (one entry, with the thread
 * that connected or accepted as "tid"; empty when unknown).
 */
static int put_procs_json(struct tulpen_buf *b, int has, int32_t pid,
			  int32_t tid, const char *comm, int of_listener)
{
	if (!has)
		return tulpen_buf_puts(b, ",\"processes\":[]");
	if (of_listener)
		tulpen_buf_puts(b, ",\"owner_of_listener\":true");
	tulpen_buf_puts(b, ",\"processes\":[{\"pid\":");
	tulpen_buf_i64(b, pid);
	tulpen_buf_puts(b, ",\"command\":");
	tulpen_buf_json_str(b, comm);
	tulpen_buf_puts(b, ",\"tid\":");
	tulpen_buf_i64(b, tid);
	return tulpen_buf_puts(b, "}]");
}

/* The process an event names: its own owner, else its connection's. */
static int32_t event_pid(const struct tulpen_watch_event *ev,
			 const struct tulpen_watch_conn *cn)
{
	if (ev->has_owner)
		return ev->pid;
	return cn && cn->has_owner ? cn->pid : 0;
}

int tulpen_watch_fmt_event(struct tulpen_buf *b,
			   struct tulpen_watch_fmt_opts *o,
			   const struct tulpen_watch_event *ev,
			   const struct tulpen_watch_conn *cn)
{
	char d[32];
	int has_owner = ev->has_owner || (cn && cn->has_owner);

	if (!o->json) {
		put_time(b, o, ev->ts_ns);
		tulpen_buf_putc(b, ' ');
		put_owner_text(b, cn, ev);
		put_ends_text(b, ev->family, &ev->local, &ev->peer);
		if (ev->type == TULPEN_WEV_OWNER) {
			tulpen_buf_printf(b, "accepted in %s",
					  sname(ev->newstate));
		} else {
			tulpen_fmt_duration_ns(d, sizeof(d), ev->in_old_ns);
			tulpen_buf_printf(b, "%s -> %s", sname(ev->oldstate),
					  sname(ev->newstate));
			if (ev->in_old_ns >= 0)
				tulpen_buf_printf(b, " after %s%s",
						  ev->sampled ? "~" : "", d);
			if (ev->late)
				tulpen_buf_puts(b, " (seen late)");
		}
		if (ev->proto == TULPEN_P_MPTCP)
			tulpen_buf_puts(b, " [mptcp]");
		put_labels_text(b, o, ev->netns, event_pid(ev, cn));
		return tulpen_buf_putc(b, '\n');
	}
	tulpen_buf_puts(b, ev->type == TULPEN_WEV_OWNER
				   ? "{\"type\":\"accept\""
				   : "{\"type\":\"transition\"");
	tulpen_buf_puts(b, ev->sampled ? ",\"source\":\"sampled\""
				       : ",\"source\":\"bpf\"");
	put_times(b, o, ev->ts_ns);
	put_sock_json(b, o, ev->cookie, ev->proto, ev->family, &ev->local,
		      &ev->peer, ev->netns, event_pid(ev, cn));
	/* State names are plain ASCII words: no escaping needed. */
	tulpen_buf_puts(b, ",\"old\":\"");
	tulpen_buf_puts(b, sname(ev->oldstate));
	tulpen_buf_puts(b, "\",\"new\":\"");
	tulpen_buf_puts(b, sname(ev->newstate));
	tulpen_buf_putc(b, '"');
	if (ev->in_old_ns >= 0) {
		tulpen_buf_puts(b, ",\"in_old_ns\":");
		tulpen_buf_i64(b, ev->in_old_ns);
	} else
		tulpen_buf_puts(b, ",\"in_old_ns\":null");
	if (ev->sampled)
		tulpen_buf_puts(b, ",\"in_old_approx\":true");
	tulpen_buf_puts(b, ev->timewait ? ",\"timewait_sock\":true"
					: ",\"timewait_sock\":false");
	tulpen_buf_puts(b, ev->late ? ",\"late\":true" : ",\"late\":false");
	if (ev->has_owner)
		put_procs_json(b, 1, ev->pid, ev->tid, ev->comm, 0);
	else if (cn)
		put_procs_json(b, has_owner, cn->pid, cn->tid, cn->comm,
			       cn->owner_of_listener);
	else
		put_procs_json(b, 0, 0, 0, NULL, 0);
	return tulpen_buf_putc(b, '}');
}

static int put_path_json(struct tulpen_buf *b,
			 const struct tulpen_watch_conn *cn)
{
	unsigned i;

	tulpen_buf_puts(b, ",\"path\":[");
	for (i = 0; i < cn->nsteps; i++) {
		const struct tulpen_conn_step *st = &cn->steps[i];
		int last = i + 1 == cn->nsteps;

		tulpen_buf_puts(b, i ? ",{\"state\":\"" : "{\"state\":\"");
		tulpen_buf_puts(b, sname(st->state));
		tulpen_buf_putc(b, '"');
		if (last) {
			tulpen_buf_puts(b, ",\"duration_ns\":null");
		} else if (st->dur_ns >= 0) {
			tulpen_buf_puts(b, ",\"duration_ns\":");
			tulpen_buf_i64(b, st->dur_ns);
			tulpen_buf_puts(b, st->dur_known ? ",\"exact\":true"
							 : ",\"exact\":false");
		} else
			tulpen_buf_puts(b, ",\"duration_ns\":null,"
					   "\"exact\":false");
		tulpen_buf_putc(b, '}');
	}
	return tulpen_buf_putc(b, ']');
}

int tulpen_watch_fmt_lifetime(struct tulpen_buf *b,
			      struct tulpen_watch_fmt_opts *o,
			      const struct tulpen_watch_conn *cn)
{
	int64_t dur = cn->end_ns >= cn->start_ns
			      ? (int64_t)(cn->end_ns - cn->start_ns)
			      : -1;
	char d[32];
	unsigned i;

	if (!o->json) {
		put_time(b, o, cn->end_ns);
		tulpen_buf_putc(b, ' ');
		put_owner_text(b, cn, NULL);
		put_ends_text(b, cn->family, &cn->local, &cn->peer);
		tulpen_buf_puts(b, "END");
		for (i = 0; i < cn->nsteps; i++) {
			const struct tulpen_conn_step *st = &cn->steps[i];

			tulpen_buf_printf(b, " %s", sname(st->state));
			if (i + 1 == cn->nsteps)
				break;
			tulpen_fmt_duration_ns(d, sizeof(d), st->dur_ns);
			tulpen_buf_printf(b, "(%s%s)", st->dur_known ? "" : "~",
					  d);
		}
		tulpen_fmt_duration_ns(d, sizeof(d), dur);
		tulpen_buf_printf(b, " duration %s%s",
				  cn->from_snapshot || cn->sampled ? ">=" : "",
				  d);
		if (cn->has_bytes)
			tulpen_buf_printf(
				b, " acked %llu received %llu",
				(unsigned long long)cn->bytes_acked,
				(unsigned long long)cn->bytes_received);
		if (cn->truncated)
			tulpen_buf_puts(b, " (path truncated)");
		if (cn->proto == TULPEN_P_MPTCP)
			tulpen_buf_puts(b, " [mptcp]");
		put_labels_text(b, o, cn->netns, cn->has_owner ? cn->pid : 0);
		return tulpen_buf_putc(b, '\n');
	}
	tulpen_buf_printf(b, "{\"type\":\"lifetime\",\"source\":\"%s\"",
			  cn->sampled ? "sampled" : "bpf");
	put_times(b, o, cn->end_ns);
	put_sock_json(b, o, cn->cookie, cn->proto, cn->family, &cn->local,
		      &cn->peer, cn->netns, cn->has_owner ? cn->pid : 0);
	put_procs_json(b, cn->has_owner, cn->pid, cn->tid, cn->comm,
		       cn->owner_of_listener);
	put_path_json(b, cn);
	tulpen_buf_puts(b, ",\"duration_ns\":");
	tulpen_buf_i64(b, dur);
	tulpen_buf_puts(b, cn->from_snapshot || cn->sampled
				   ? ",\"start_known\":false"
				   : ",\"start_known\":true");
	if (cn->has_bytes) {
		tulpen_buf_puts(b, ",\"bytes_acked\":");
		tulpen_buf_u64(b, cn->bytes_acked);
		tulpen_buf_puts(b, ",\"bytes_received\":");
		tulpen_buf_u64(b, cn->bytes_received);
	} else
		tulpen_buf_puts(b, ",\"bytes_acked\":null,"
				   "\"bytes_received\":null");
	tulpen_buf_printf(b, ",\"path_truncated\":%s}",
			  cn->truncated ? "true" : "false");
	return b->err;
}

int tulpen_watch_fmt_existing(struct tulpen_buf *b,
			      struct tulpen_watch_fmt_opts *o,
			      const struct tulpen_watch_conn *cn)
{
	if (!o->json) {
		put_time(b, o, cn->start_ns);
		tulpen_buf_putc(b, ' ');
		put_owner_text(b, cn, NULL);
		put_ends_text(b, cn->family, &cn->local, &cn->peer);
		tulpen_buf_printf(b, "exists in %s", sname(cn->state));
		put_labels_text(b, o, cn->netns, cn->has_owner ? cn->pid : 0);
		return tulpen_buf_putc(b, '\n');
	}
	tulpen_buf_puts(b, "{\"type\":\"existing\"");
	put_times(b, o, cn->start_ns);
	put_sock_json(b, o, cn->cookie, cn->proto, cn->family, &cn->local,
		      &cn->peer, cn->netns, cn->has_owner ? cn->pid : 0);
	tulpen_buf_puts(b, ",\"state\":");
	tulpen_buf_json_str(b, sname(cn->state));
	put_procs_json(b, cn->has_owner, cn->pid, cn->tid, cn->comm,
		       cn->owner_of_listener);
	return tulpen_buf_puts(b, ",\"age_at_least_since\":\"start\"}");
}

int tulpen_watch_fmt_summary(struct tulpen_buf *b,
			     struct tulpen_watch_fmt_opts *o, uint64_t now_ns,
			     const size_t counts[TULPEN_TCP_MAX_STATES],
			     size_t tracked, uint64_t lost)
{
	int s, first = 1;

	if (!o->json) {
		tulpen_buf_puts(b, "-- ");
		put_time(b, o, now_ns);
		tulpen_buf_puts(b, " states:");
	} else {
		tulpen_buf_puts(b, "{\"type\":\"summary\"");
		put_times(b, o, now_ns);
		tulpen_buf_puts(b, ",\"states\":{");
	}
	for (s = 1; s < TULPEN_TCP_MAX_STATES; s++) {
		if (!counts[s] || s == TULPEN_TCP_NEW_SYN_RECV)
			continue;
		if (o->json) {
			tulpen_buf_printf(b, "%s", first ? "" : ",");
			tulpen_buf_json_str(b, sname(s));
			tulpen_buf_printf(b, ":%zu", counts[s]);
		} else {
			tulpen_buf_printf(b, "%s %s %zu", first ? "" : ",",
					  sname(s), counts[s]);
		}
		first = 0;
	}
	if (!o->json)
		return tulpen_buf_printf(b, "%s (tracked %zu, lost %llu)\n",
					 first ? " none" : "", tracked,
					 (unsigned long long)lost);
	return tulpen_buf_printf(b, "},\"tracked\":%zu,\"lost_total\":%llu}",
				 tracked, (unsigned long long)lost);
}

int tulpen_watch_fmt_lost(struct tulpen_buf *b, struct tulpen_watch_fmt_opts *o,
			  uint64_t now_ns, uint64_t lost, uint64_t total)
{
	if (!o->json)
		return tulpen_buf_printf(b,
					 "%llu events lost (ring buffer "
					 "full), %llu in total\n",
					 (unsigned long long)lost,
					 (unsigned long long)total);
	tulpen_buf_puts(b, "{\"type\":\"lost\"");
	put_times(b, o, now_ns);
	return tulpen_buf_printf(b, ",\"lost\":%llu,\"lost_total\":%llu}",
				 (unsigned long long)lost,
				 (unsigned long long)total);
}
