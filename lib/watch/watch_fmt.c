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

/*
 * A JSON record is assembled on the stack and appended to the output a
 * few pieces at a time: a tulpen_buf call per field (a capacity check, a
 * copy and a flush check each) was most of a record's cost under
 * connection churn. What the shared formatters write (endpoints, escaped
 * strings, containers) goes to the output after what is pending.
 */
struct rec {
	struct tulpen_buf *b;
	size_t n;
	char s[512];
};

static void rec_flush(struct rec *r)
{
	if (r->n)
		tulpen_buf_put(r->b, r->s, r->n);
	r->n = 0;
}

static void rec_put(struct rec *r, const char *s, size_t n)
{
	if (n > sizeof(r->s) - r->n) {
		rec_flush(r);
		if (n > sizeof(r->s)) {
			tulpen_buf_put(r->b, s, n);
			return;
		}
	}
	memcpy(r->s + r->n, s, n);
	r->n += n;
}

/* Inlined: the length of a literal is known at compile time. */
static inline void rec_puts(struct rec *r, const char *s)
{
	rec_put(r, s, strlen(s));
}

static void rec_putc(struct rec *r, char c)
{
	rec_put(r, &c, 1);
}

/* Room for a number (TULPEN_FMT_NUM_MAX) at the end. */
static char *rec_room(struct rec *r)
{
	if (sizeof(r->s) - r->n < TULPEN_FMT_NUM_MAX)
		rec_flush(r);
	return r->s + r->n;
}

static void rec_u64(struct rec *r, uint64_t v)
{
	r->n += tulpen_fmt_u64(rec_room(r), v);
}

static void rec_i64(struct rec *r, int64_t v)
{
	r->n += tulpen_fmt_i64(rec_room(r), v);
}

static void rec_json_str(struct rec *r, const char *s)
{
	rec_flush(r);
	tulpen_buf_json_str(r->b, s);
}

static int rec_end(struct rec *r)
{
	rec_flush(r);
	return r->b->err;
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

/* Wall clock seconds of monotonic @ts_ns, six decimals, without printf. */
static size_t fmt_ts(char *out, const struct tulpen_watch_fmt_opts *o,
		     uint64_t ts_ns)
{
	int64_t real = (int64_t)ts_ns + o->realtime_offset_ns;

	return tulpen_fmt_fixed(out, real < 0 ? 0 : real / 1000, 6);
}

/* "ts" (wall clock) and "monotonic_ns" (the kernel's clock) of @ts. */
static void put_times(struct rec *r, const struct tulpen_watch_fmt_opts *o,
		      uint64_t ts)
{
	rec_puts(r, ",\"ts\":");
	r->n += fmt_ts(rec_room(r), o, ts);
	rec_puts(r, ",\"monotonic_ns\":");
	rec_u64(r, ts);
}

/* The same straight into @b (the rare records: summaries, losses). */
static int put_times_buf(struct tulpen_buf *b,
			 const struct tulpen_watch_fmt_opts *o, uint64_t ts)
{
	struct rec r = { .b = b };

	put_times(&r, o, ts);
	return rec_end(&r);
}

int tulpen_watch_fmt_ts(struct tulpen_buf *b,
			const struct tulpen_watch_fmt_opts *o, uint64_t ts_ns)
{
	char t[TULPEN_FMT_NUM_MAX];

	return tulpen_buf_put(b, t, fmt_ts(t, o, ts_ns));
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
static void put_netns(struct rec *r, uint32_t inode, const char *name)
{
	rec_puts(r, ",\"netns\":{\"inode\":");
	rec_u64(r, inode);
	rec_puts(r, ",\"name\":");
	if (name)
		rec_json_str(r, name);
	else
		rec_puts(r, "null");
	rec_putc(r, '}');
}

int tulpen_watch_fmt_netns(struct tulpen_buf *b,
			   const struct tulpen_watch_fmt_opts *o,
			   uint32_t inode)
{
	const struct tulpen_container *c;
	const char *name;

	struct rec r = { .b = b };

	labels(o, inode, 0, &name, &c);
	put_netns(&r, inode, name);
	return rec_end(&r);
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

static void put_endpoint_json(struct rec *r, const char *key, int family,
			      const struct tulpen_endpoint *ep)
{
	rec_puts(r, key);
	rec_flush(r);
	tulpen_buf_json_endpoint(r->b, family, ep, 0, NULL);
}

/* JSON fields shared by every record about one socket. */
static void put_sock_json(struct rec *r, const struct tulpen_watch_fmt_opts *o,
			  uint64_t cookie, int proto, int family,
			  const struct tulpen_endpoint *l,
			  const struct tulpen_endpoint *p, uint32_t netns,
			  int32_t pid)
{
	const struct tulpen_container *c;
	const char *name;

	rec_puts(r, ",\"cookie\":");
	rec_u64(r, cookie);
	rec_puts(r, proto == TULPEN_P_MPTCP ? ",\"proto\":\"mptcp\""
					    : ",\"proto\":\"tcp\"");
	rec_puts(r, family == AF_INET6 ? ",\"family\":\"inet6\""
				       : ",\"family\":\"inet\"");
	put_endpoint_json(r, ",\"local\":", family, l);
	put_endpoint_json(r, ",\"peer\":", family, p);
	labels(o, netns, pid, &name, &c); /* one lookup for both */
	if (netns)
		put_netns(r, netns, name);
	if (c) {
		rec_puts(r, ",\"container\":");
		rec_flush(r);
		tulpen_container_json(c, r->b);
	}
}

/*
 * The owner as the lister's "processes" array (one entry, with the thread
 * that connected or accepted as "tid"; empty when unknown).
 */
static void put_procs_json(struct rec *r, int has, int32_t pid, int32_t tid,
			   const char *comm, int of_listener)
{
	if (!has) {
		rec_puts(r, ",\"processes\":[]");
		return;
	}
	if (of_listener)
		rec_puts(r, ",\"owner_of_listener\":true");
	rec_puts(r, ",\"processes\":[{\"pid\":");
	rec_i64(r, pid);
	rec_puts(r, ",\"command\":");
	rec_json_str(r, comm);
	rec_puts(r, ",\"tid\":");
	rec_i64(r, tid);
	rec_puts(r, "}]");
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
	struct rec r = { .b = b };
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
	rec_puts(&r, ev->type == TULPEN_WEV_OWNER ? "{\"type\":\"accept\""
						  : "{\"type\":\"transition\"");
	rec_puts(&r, ev->sampled ? ",\"source\":\"sampled\""
				 : ",\"source\":\"bpf\"");
	put_times(&r, o, ev->ts_ns);
	put_sock_json(&r, o, ev->cookie, ev->proto, ev->family, &ev->local,
		      &ev->peer, ev->netns, event_pid(ev, cn));
	/* State names are plain ASCII words: no escaping needed. */
	rec_puts(&r, ",\"old\":\"");
	rec_puts(&r, sname(ev->oldstate));
	rec_puts(&r, "\",\"new\":\"");
	rec_puts(&r, sname(ev->newstate));
	rec_putc(&r, '"');
	if (ev->in_old_ns >= 0) {
		rec_puts(&r, ",\"in_old_ns\":");
		rec_i64(&r, ev->in_old_ns);
	} else
		rec_puts(&r, ",\"in_old_ns\":null");
	if (ev->sampled)
		rec_puts(&r, ",\"in_old_approx\":true");
	rec_puts(&r, ev->timewait ? ",\"timewait_sock\":true"
				  : ",\"timewait_sock\":false");
	rec_puts(&r, ev->late ? ",\"late\":true" : ",\"late\":false");
	if (ev->has_owner)
		put_procs_json(&r, 1, ev->pid, ev->tid, ev->comm, 0);
	else if (cn)
		put_procs_json(&r, has_owner, cn->pid, cn->tid, cn->comm,
			       cn->owner_of_listener);
	else
		put_procs_json(&r, 0, 0, 0, NULL, 0);
	rec_putc(&r, '}');
	return rec_end(&r);
}

static void put_path_json(struct rec *r, const struct tulpen_watch_conn *cn)
{
	unsigned i;

	rec_puts(r, ",\"path\":[");
	for (i = 0; i < cn->nsteps; i++) {
		const struct tulpen_conn_step *st = &cn->steps[i];
		int last = i + 1 == cn->nsteps;

		rec_puts(r, i ? ",{\"state\":\"" : "{\"state\":\"");
		rec_puts(r, sname(st->state));
		rec_putc(r, '"');
		if (last) {
			rec_puts(r, ",\"duration_ns\":null");
		} else if (st->dur_ns >= 0) {
			rec_puts(r, ",\"duration_ns\":");
			rec_i64(r, st->dur_ns);
			rec_puts(r, st->dur_known ? ",\"exact\":true"
						  : ",\"exact\":false");
		} else
			rec_puts(r, ",\"duration_ns\":null,"
				    "\"exact\":false");
		rec_putc(r, '}');
	}
	rec_putc(r, ']');
}

int tulpen_watch_fmt_lifetime(struct tulpen_buf *b,
			      struct tulpen_watch_fmt_opts *o,
			      const struct tulpen_watch_conn *cn)
{
	struct rec r = { .b = b };
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
	rec_puts(&r, cn->sampled
			     ? "{\"type\":\"lifetime\",\"source\":\"sampled\""
			     : "{\"type\":\"lifetime\",\"source\":\"bpf\"");
	put_times(&r, o, cn->end_ns);
	put_sock_json(&r, o, cn->cookie, cn->proto, cn->family, &cn->local,
		      &cn->peer, cn->netns, cn->has_owner ? cn->pid : 0);
	put_procs_json(&r, cn->has_owner, cn->pid, cn->tid, cn->comm,
		       cn->owner_of_listener);
	put_path_json(&r, cn);
	rec_puts(&r, ",\"duration_ns\":");
	rec_i64(&r, dur);
	rec_puts(&r, cn->from_snapshot || cn->sampled
			     ? ",\"start_known\":false"
			     : ",\"start_known\":true");
	if (cn->has_bytes) {
		rec_puts(&r, ",\"bytes_acked\":");
		rec_u64(&r, cn->bytes_acked);
		rec_puts(&r, ",\"bytes_received\":");
		rec_u64(&r, cn->bytes_received);
	} else
		rec_puts(&r, ",\"bytes_acked\":null,"
			     "\"bytes_received\":null");
	rec_puts(&r, cn->truncated ? ",\"path_truncated\":true}"
				   : ",\"path_truncated\":false}");
	return rec_end(&r);
}

int tulpen_watch_fmt_existing(struct tulpen_buf *b,
			      struct tulpen_watch_fmt_opts *o,
			      const struct tulpen_watch_conn *cn)
{
	struct rec r = { .b = b };
	if (!o->json) {
		put_time(b, o, cn->start_ns);
		tulpen_buf_putc(b, ' ');
		put_owner_text(b, cn, NULL);
		put_ends_text(b, cn->family, &cn->local, &cn->peer);
		tulpen_buf_printf(b, "exists in %s", sname(cn->state));
		put_labels_text(b, o, cn->netns, cn->has_owner ? cn->pid : 0);
		return tulpen_buf_putc(b, '\n');
	}
	rec_puts(&r, "{\"type\":\"existing\"");
	put_times(&r, o, cn->start_ns);
	put_sock_json(&r, o, cn->cookie, cn->proto, cn->family, &cn->local,
		      &cn->peer, cn->netns, cn->has_owner ? cn->pid : 0);
	rec_puts(&r, ",\"state\":");
	rec_json_str(&r, sname(cn->state));
	put_procs_json(&r, cn->has_owner, cn->pid, cn->tid, cn->comm,
		       cn->owner_of_listener);
	rec_puts(&r, ",\"age_at_least_since\":\"start\"}");
	return rec_end(&r);
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
		put_times_buf(b, o, now_ns);
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
	put_times_buf(b, o, now_ns);
	return tulpen_buf_printf(b, ",\"lost\":%llu,\"lost_total\":%llu}",
				 (unsigned long long)lost,
				 (unsigned long long)total);
}
