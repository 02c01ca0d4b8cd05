// SPDX-License-Identifier: MIT
/*
 * fmt_table.c - the default aligned table.
 *
 * Columns are sized to the data: rows are held (up to opts.table_hold
 * bytes, 1 MiB by default: about ten thousand sockets) until the end, then
 * printed with each column as wide as its widest cell. Past the hold limit
 * rows are printed as they come: a wider cell widens its column from that
 * line on, and nothing is ever cut. Memory therefore stays flat on hosts
 * with a million sockets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tulpen/container.h"
#include "tulpen/skmem.h"
#include "tulpen/tcp_info.h"
#include "tulpen/state.h"
#include "fmt/fmt_internal.h"

enum col {
	C_NETNS,
	C_CONTAINER,
	C_PROTO,
	C_STATE,
	C_RECVQ,
	C_SENDQ,
	C_LOCAL,
	C_PEER,
	C_USER,
	C_INODE,
	C_COOKIE,
	C_TIMER,
	C_CONG, /* -i */
	C_RTT,
	C_CWND,
	C_RETRANS,
	C_SENT,
	C_RECV,
	C_RATE,
	C_RMEM, /* -m */
	C_WMEM,
	C_DROPS,
	C_PROCESS,
	C_FILTER, /* -b */
	C_MAX,
};

static const char *const col_title[C_MAX] = {
	"Netns",   "Container",	    "Proto",	    "State",	"Recv-Q",
	"Send-Q",  "Local Address", "Peer Address", "User",	"Inode",
	"Cookie",  "Timer",	    "Cong",	    "RTT(ms)",	"Cwnd",
	"Retrans", "Sent",	    "Recv",	    "Delivery", "Rmem",
	"Wmem",	   "Drops",	    "Process",	    "Filter",
};

static const int col_right[C_MAX] = {
	[C_RECVQ] = 1, [C_SENDQ] = 1, [C_INODE] = 1, [C_CWND] = 1,
	[C_SENT] = 1,  [C_RECV] = 1,  [C_RATE] = 1,  [C_DROPS] = 1,
};

struct table {
	int on[C_MAX]; /* which columns are shown */
	int last;      /* the last shown column: not padded */
	size_t width[C_MAX];
	struct tulpen_buf held;	  /* cells, NUL-terminated, row after row */
	struct tulpen_buf filter; /* this row's Filter cell (any length) */
	unsigned long rows;
	int streaming; /* the hold limit was passed */
	size_t hold;
};

static int tbl_init(struct tulpen_fmt *f)
{
	struct table *t = calloc(1, sizeof(*t));
	int c, ret;

	if (!t)
		return -ENOMEM;
	for (c = C_PROTO; c <= C_PEER; c++)
		t->on[c] = 1;
	t->on[C_USER] = t->on[C_INODE] = t->on[C_COOKIE] = f->o.extended;
	t->on[C_TIMER] = f->o.timers;
	for (c = C_CONG; c <= C_RATE; c++)
		t->on[c] = f->o.info;
	for (c = C_RMEM; c <= C_DROPS; c++)
		t->on[c] = f->o.memory;
	t->on[C_PROCESS] = f->o.show_owners;
	t->on[C_FILTER] = f->o.bpf;
	t->on[C_NETNS] = f->o.show_netns;
	t->on[C_CONTAINER] = f->o.show_container;
	for (c = 0; c < C_MAX; c++) {
		if (!t->on[c])
			continue;
		t->last = c;
		t->width[c] = f->o.header ? strlen(col_title[c]) : 0;
	}
	t->hold = f->o.table_hold ? f->o.table_hold : 1u << 20;
	ret = tulpen_buf_init(&t->held, 0, NULL, NULL);
	if (!ret)
		ret = tulpen_buf_init(&t->filter, 0, NULL, NULL);
	if (ret) {
		tulpen_buf_fini(&t->held);
		free(t);
		return ret;
	}
	/*
	 * Room for the whole hold at once, so the buffer never doubles past
	 * it (pages not written are not memory in use).
	 */
	{
		char *p = realloc(t->held.data, t->hold + 8192);

		if (!p) {
			tulpen_buf_fini(&t->held);
			tulpen_buf_fini(&t->filter);
			free(t);
			return -ENOMEM;
		}
		t->held.data = p;
		t->held.cap = t->hold + 8192;
	}
	f->priv = t;
	return 0;
}

static const char *state_color(int state)
{
	switch (state) {
	case TULPEN_TCP_ESTABLISHED:
		return "\033[32m";
	case TULPEN_TCP_LISTEN:
		return "\033[36m";
	case TULPEN_TCP_CLOSE_WAIT:
	case TULPEN_TCP_SYN_SENT:
		return "\033[31m";
	case TULPEN_TCP_TIME_WAIT:
	case TULPEN_TCP_FIN_WAIT1:
	case TULPEN_TCP_FIN_WAIT2:
	case TULPEN_TCP_LAST_ACK:
	case TULPEN_TCP_CLOSING:
		return "\033[33m";
	default:
		return NULL;
	}
}

/* Print one row whose cells are the NUL-separated strings at @cells. */
static int put_row(struct tulpen_fmt *f, struct table *t, const char *cells,
		   int state, int is_header)
{
	struct tulpen_buf *b = &f->out;
	const char *p = cells;
	int c, first = 1;

	for (c = 0; c < C_MAX; c++) {
		size_t len;
		const char *color = NULL;

		if (!t->on[c])
			continue;
		len = strlen(p);
		if (!first)
			tulpen_buf_putc(b, ' ');
		first = 0;
		if (col_right[c] && len < t->width[c])
			tulpen_buf_pad(b, ' ', t->width[c] - len);
		if (c == C_STATE && f->o.color && !is_header)
			color = state_color(state);
		if (color)
			tulpen_buf_puts(b, color);
		tulpen_buf_put(b, p, len);
		if (color)
			tulpen_buf_puts(b, "\033[0m");
		if (!col_right[c] && c != t->last && len < t->width[c])
			tulpen_buf_pad(b, ' ', t->width[c] - len);
		p += len + 1;
	}
	return tulpen_buf_putc(b, '\n');
}

static int put_header(struct tulpen_fmt *f, struct table *t)
{
	struct tulpen_buf h;
	int c, ret;

	if (!f->o.header)
		return 0;
	ret = tulpen_buf_init(&h, 0, NULL, NULL);
	if (ret)
		return ret;
	for (c = 0; c < C_MAX; c++)
		if (t->on[c])
			tulpen_buf_put(&h, col_title[c],
				       strlen(col_title[c]) + 1);
	ret = h.err ? h.err : put_row(f, t, h.data, 0, 1);
	tulpen_buf_fini(&h);
	return ret;
}

/* Print the held rows (each starts with its state byte) and drop them. */
static int flush_held(struct tulpen_fmt *f, struct table *t)
{
	const char *p = t->held.data, *end = t->held.data + t->held.len;
	int ret = put_header(f, t);

	while (!ret && p < end) {
		int state = (unsigned char)*p++;
		int c;
		const char *row = p;

		for (c = 0; c < C_MAX; c++)
			if (t->on[c])
				p += strlen(p) + 1;
		ret = put_row(f, t, row, state, 0);
	}
	t->held.len = 0;
	return ret ? ret : f->out.err;
}

/* A short static string into a cell. */
static size_t copy_cell(char *cell, const char *s)
{
	size_t n = strlen(s);

	if (n > 511)
		n = 511;
	memcpy(cell, s, n);
	cell[n] = '\0';
	return n;
}

/* The cells of a row: text (NUL-terminated) and length per column. */
struct cells {
	char cell[C_MAX][512];
	size_t len[C_MAX];
	const char *filter; /* the Filter cell, longer than 512 bytes may be */
};

/* SCTP: how many more addresses than the one shown, " (+2)". */
static void sctp_more(const struct tulpen_sock *s, struct cells *r)
{
	if (s->sctp.locals && s->sctp.nlocals > 1)
		r->len[C_LOCAL] += tulpen_scnprintf(
			r->cell[C_LOCAL] + r->len[C_LOCAL],
			512 - r->len[C_LOCAL], " (+%u)", s->sctp.nlocals - 1);
	if (s->sctp.peers && s->sctp.npeers > 1)
		r->len[C_PEER] += tulpen_scnprintf(
			r->cell[C_PEER] + r->len[C_PEER], 512 - r->len[C_PEER],
			" (+%u)", s->sctp.npeers - 1);
}

static void addr_cells(struct tulpen_fmt *f, const struct tulpen_sock *s,
		       struct cells *r)
{
	if (s->family == AF_UNIX) {
		char path[TULPEN_ESC_MAX(108)];

		if (s->unix_path && *s->unix_path)
			tulpen_escape(path, sizeof(path), s->unix_path);
		else
			copy_cell(path, "*");
		r->len[C_LOCAL] =
			tulpen_scnprintf(r->cell[C_LOCAL], 512, "%s (%s)", path,
					 tulpen_fmt_unix_type(s->unix_type));
		if ((s->unknown & TULPEN_UNK_PEER) &&
		    s->state != TULPEN_TCP_LISTEN)
			r->len[C_PEER] = copy_cell(r->cell[C_PEER], "?");
		else if (s->unix_peer)
			r->len[C_PEER] = tulpen_scnprintf(
				r->cell[C_PEER], 512, "ino:%llu",
				(unsigned long long)s->unix_peer);
		else
			r->len[C_PEER] = copy_cell(r->cell[C_PEER], "*");
	} else if (!tulpen_sock_is_inet(s)) {
		tulpen_fmt_other_eps(s, f->o.numeric, r->cell[C_LOCAL],
				     &r->len[C_LOCAL], r->cell[C_PEER],
				     &r->len[C_PEER], 512);
	} else {
		struct tulpen_ep_style st = {
			.brackets = 1,
			.proto = s->proto,
			.services = f->o.numeric ? NULL : f->o.services,
			.resolver = f->o.resolver,
		};

		r->len[C_LOCAL] =
			tulpen_fmt_ep(r->cell[C_LOCAL], 512, s->family,
				      &s->local, s->ifindex, &st);
		r->len[C_PEER] = tulpen_fmt_ep(r->cell[C_PEER], 512, s->family,
					       &s->peer, 0, &st);
		if (s->proto == TULPEN_P_SCTP)
			sctp_more(s, r);
	}
}

/* -e: user, inode, cookie; -o: the timer. */
static void extra_cells(struct tulpen_fmt *f, const struct table *t,
			const struct tulpen_sock *s, struct cells *r)
{
	if (t->on[C_USER]) {
		if (s->unknown & TULPEN_UNK_UID)
			r->len[C_USER] = copy_cell(r->cell[C_USER], "-");
		else
			r->len[C_USER] = tulpen_fmt_user(r->cell[C_USER], 512,
							 f, s->uid);
		r->len[C_INODE] = tulpen_fmt_u64(r->cell[C_INODE], s->inode);
		r->cell[C_INODE][r->len[C_INODE]] = '\0';
		if (s->has_cookie)
			r->len[C_COOKIE] =
				tulpen_scnprintf(r->cell[C_COOKIE], 512, "%llx",
						 (unsigned long long)s->cookie);
		else
			r->len[C_COOKIE] = copy_cell(r->cell[C_COOKIE], "-");
	}
	if (t->on[C_TIMER]) {
		if (s->timer) {
			char d[32];

			tulpen_fmt_duration_ms(d, sizeof(d), s->timer_ms);
			r->len[C_TIMER] = tulpen_scnprintf(
				r->cell[C_TIMER], 512, "%s(%s,%u)",
				s->proto == TULPEN_P_SCTP
					? "t3_rtx"
					: tulpen_fmt_timer_name(s->timer),
				d, s->retrans);
		} else {
			r->len[C_TIMER] = copy_cell(r->cell[C_TIMER], "-");
		}
	}
}

/* A scaled count and a unit: "1.2kB", "215.0Gbit/s". */
static size_t scaled_cell(char *cell, uint64_t v, const char *unit)
{
	size_t n = tulpen_fmt_scaled(cell, v);

	cell[n] = '\0';
	return n + copy_cell(cell + n, unit);
}

/* -i: TCP internals, readable; "-" where the kernel gave none. */
static void info_cells(const struct tulpen_sock *s, struct cells *r)
{
	const struct tulpen_tcp_info *t = s->tcp_info;
	size_t n;
	int c;

	if (!t) {
		for (c = C_CONG; c <= C_RATE; c++)
			r->len[c] = copy_cell(r->cell[c], "-");
		return;
	}
	r->len[C_CONG] = copy_cell(r->cell[C_CONG], t->cong[0] ? t->cong : "-");
	n = tulpen_fmt_fixed(r->cell[C_RTT], t->rtt, 3);
	r->cell[C_RTT][n++] = '/';
	n += tulpen_fmt_fixed(r->cell[C_RTT] + n, t->rttvar, 3);
	r->cell[C_RTT][n] = '\0';
	r->len[C_RTT] = n;
	r->len[C_CWND] =
		tulpen_scnprintf(r->cell[C_CWND], 512, "%u", t->snd_cwnd);
	r->len[C_RETRANS] = tulpen_scnprintf(r->cell[C_RETRANS], 512, "%u/%u",
					     t->retrans, t->total_retrans);
	r->len[C_SENT] = scaled_cell(r->cell[C_SENT], t->bytes_sent, "B");
	r->len[C_RECV] = scaled_cell(r->cell[C_RECV], t->bytes_received, "B");
	r->len[C_RATE] =
		scaled_cell(r->cell[C_RATE], t->delivery_rate * 8, "bit/s");
}

/* -m: receive and send memory (used/buffer) and drops. */
static void mem_cells(const struct tulpen_sock *s, struct cells *r)
{
	const struct tulpen_skmem *m = s->skmem;
	size_t n;
	int c;

	if (!m) {
		for (c = C_RMEM; c <= C_DROPS; c++)
			r->len[c] = copy_cell(r->cell[c], "-");
		return;
	}
	n = tulpen_fmt_scaled(r->cell[C_RMEM], m->rmem_alloc);
	r->cell[C_RMEM][n++] = '/';
	n += scaled_cell(r->cell[C_RMEM] + n, m->rcvbuf, "B");
	r->len[C_RMEM] = n;
	n = tulpen_fmt_scaled(r->cell[C_WMEM], m->wmem_queued);
	r->cell[C_WMEM][n++] = '/';
	n += scaled_cell(r->cell[C_WMEM] + n, m->sndbuf, "B");
	r->len[C_WMEM] = n;
	r->len[C_DROPS] =
		tulpen_scnprintf(r->cell[C_DROPS], 512, "%u", m->drops);
}

/* --netns, --container: the namespace and container labels. */
static void label_cells(const struct table *t, const struct tulpen_sock *s,
			struct cells *r)
{
	if (t->on[C_NETNS]) {
		if (s->netns_name)
			r->len[C_NETNS] = tulpen_escape(r->cell[C_NETNS], 512,
							s->netns_name);
		else
			r->len[C_NETNS] = tulpen_scnprintf(
				r->cell[C_NETNS], 512, "%llu",
				(unsigned long long)s->netns_ino);
	}
	if (t->on[C_CONTAINER]) {
		char label[128];

		tulpen_container_label(label, sizeof(label), s->container);
		r->len[C_CONTAINER] =
			tulpen_escape(r->cell[C_CONTAINER], 512, label);
	}
}

static void process_cell(const struct tulpen_owner *ow, size_t n, int threads,
			 struct cells *r)
{
	char *cell = r->cell[C_PROCESS];
	size_t i, k = 0;

	cell[0] = '\0';
	for (i = 0; i < n && k < 500; i++) {
		char comm[TULPEN_ESC_MAX(64)];

		tulpen_escape(comm, sizeof(comm), ow[i].comm);
		if (threads)
			k += tulpen_scnprintf(
				cell + k, 512 - k, "%s%s(pid=%d,tid=%d,fd=%d)",
				i ? "," : "", comm, ow[i].pid,
				tulpen_owner_tid(&ow[i]), ow[i].fd);
		else
			k += tulpen_scnprintf(
				cell + k, 512 - k, "%s%s(pid=%d,fd=%d)",
				i ? "," : "", comm, ow[i].pid, ow[i].fd);
	}
	if (!n)
		k = copy_cell(cell, "-");
	r->len[C_PROCESS] = k;
}

static const char *cell_text(const struct cells *r, int c)
{
	return c == C_FILTER && r->filter ? r->filter : r->cell[c];
}

/*
 * -b: a packet socket's classic BPF filter as "cBPF(N): " and its
 * instructions in tcpdump -d's words; "-" for none.
 */
static int filter_cell(struct table *t, const struct tulpen_sock *s,
		       struct cells *r)
{
	struct tulpen_buf *b = &t->filter;

	if (s->proto != TULPEN_P_PACKET || !s->pk.has_filter) {
		r->len[C_FILTER] = copy_cell(r->cell[C_FILTER], "-");
		return 0;
	}
	b->len = 0;
	tulpen_buf_printf(b, "cBPF(%u): ", s->pk.nfilter);
	tulpen_bpf_listing(b, s);
	tulpen_buf_putc(b, '\0');
	if (b->err)
		return b->err;
	r->filter = b->data;
	r->len[C_FILTER] = b->len - 1;
	return 0;
}

/*
 * Hold the row (to size the columns) or, past the hold, print it. A wider
 * cell widens its column; while streaming that realigns the lines from
 * here on (lines already out cannot move).
 */
static int keep_row(struct tulpen_fmt *f, struct table *t, int state,
		    const struct cells *r)
{
	int c;

	for (c = 0; c < C_MAX; c++)
		if (t->on[c] && r->len[c] > t->width[c])
			t->width[c] = r->len[c];
	if (t->streaming) {
		struct tulpen_buf *h = &t->held;

		h->len = 0;
		for (c = 0; c < C_MAX; c++)
			if (t->on[c])
				tulpen_buf_put(h, cell_text(r, c),
					       r->len[c] + 1);
		return h->err ? h->err : put_row(f, t, h->data, state, 0);
	}
	tulpen_buf_putc(&t->held, (char)state);
	for (c = 0; c < C_MAX; c++)
		if (t->on[c])
			tulpen_buf_put(&t->held, cell_text(r, c),
				       r->len[c] + 1);
	t->rows++;
	if (t->held.err)
		return t->held.err;
	if (t->held.len >= t->hold) {
		int ret = flush_held(f, t);

		t->streaming = 1;
		return ret;
	}
	return 0;
}

static int tbl_sock(struct tulpen_fmt *f, const struct tulpen_sock *s,
		    const struct tulpen_owner *ow, size_t n)
{
	struct table *t = f->priv;
	struct cells r;

	memset(r.len, 0, sizeof(r.len));
	r.filter = NULL;
	r.len[C_PROTO] =
		copy_cell(r.cell[C_PROTO], tulpen_fmt_netstat_proto(s));
	if (s->proto == TULPEN_P_SCTP && s->sctp.assoc) /* SCTP's own */
		r.len[C_STATE] = tulpen_scnprintf(
			r.cell[C_STATE], 512, "`- %s",
			tulpen_sctp_state_name(s->sctp.state, 0));
	else
		r.len[C_STATE] = copy_cell(
			r.cell[C_STATE], tulpen_fmt_state(s, TULPEN_STATE_RFC));
	if (s->unknown & TULPEN_UNK_QUEUES) {
		r.len[C_RECVQ] = copy_cell(r.cell[C_RECVQ], "-");
		r.len[C_SENDQ] = copy_cell(r.cell[C_SENDQ], "-");
	} else {
		r.len[C_RECVQ] = tulpen_fmt_u64(r.cell[C_RECVQ], s->rqueue);
		r.cell[C_RECVQ][r.len[C_RECVQ]] = '\0';
		r.len[C_SENDQ] = tulpen_fmt_u64(r.cell[C_SENDQ], s->wqueue);
		r.cell[C_SENDQ][r.len[C_SENDQ]] = '\0';
	}
	addr_cells(f, s, &r);
	extra_cells(f, t, s, &r);
	label_cells(t, s, &r);
	if (t->on[C_CONG])
		info_cells(s, &r);
	if (t->on[C_RMEM])
		mem_cells(s, &r);
	if (t->on[C_PROCESS])
		process_cell(ow, n, f->o.show_threads, &r);
	if (t->on[C_FILTER]) {
		int ret = filter_cell(t, s, &r);

		if (ret)
			return ret;
	}
	return keep_row(f, t, s->state, &r);
}

static int tbl_end(struct tulpen_fmt *f)
{
	struct table *t = f->priv;

	if (t->streaming)
		return 0;
	return flush_held(f, t);
}

static void tbl_fini(struct tulpen_fmt *f)
{
	struct table *t = f->priv;

	if (!t)
		return;
	tulpen_buf_fini(&t->held);
	tulpen_buf_fini(&t->filter);
	free(t);
}

const struct fmt_ops tulpen_fmt_table_ops = {
	.init = tbl_init,
	.sock = tbl_sock,
	.end = tbl_end,
	.fini = tbl_fini,
};
