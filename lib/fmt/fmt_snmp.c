// SPDX-License-Identifier: MIT
/*
 * fmt_snmp.c - `netstat -s` (net-tools 2.10) from /proc/net/snmp,
 * /proc/net/netstat and /proc/net/snmp6, byte for byte.
 *
 * The layout was learnt from netstat's output, not from its source: fed
 * files where every counter had its own value, netstat printed each known
 * counter as a sentence around its number, each ICMP type as a line of a
 * histogram and every other counter as "Name: value". Sections and
 * counters come in file order; a section is a header even when nothing
 * under it prints. A histogram's indentation lasts until a counter or
 * section netstat knows: "Name: value" lines after it, in IcmpMsg or any
 * section netstat does not know, are indented as its lines. What prints at zero
 * is per sentence (Z below); the histogram lines and "Name: value" print only
 * when not zero.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/procstat.h"
#include "fmt/fmt_internal.h"
#include "tulpen/ctx.h"
#include "tulpen/summary.h"

enum sw_file { SW_SNMP, SW_NETSTAT, SW_SNMP6 };
enum sw_kind { SW_TEXT, SW_HIDE, SW_HIST_IN, SW_HIST_OUT };

/* A counter netstat knows: "<pre>N<post>", or a histogram's @pre. */
struct snmp_word {
	unsigned char file, kind, zero;
	const char *sec, *key, *pre, *post;
};

/* Z: a sentence printed at zero too; T: only when not zero. */
#define Z(f, s, k, pre, post)                                                  \
	{                                                                      \
		f, SW_TEXT, 1, s, k, pre, post                                 \
	}
#define T(f, s, k, pre, post)                                                  \
	{                                                                      \
		f, SW_TEXT, 0, s, k, pre, post                                 \
	}
/* never printed */
#define HIDE(f, s, k)                                                          \
	{                                                                      \
		f, SW_HIDE, 0, s, k, "", ""                                    \
	}
/* histogram lines: "        LABEL: N" under their header */
#define IN(f, s, k, label)                                                     \
	{                                                                      \
		f, SW_HIST_IN, 0, s, k, label, ""                              \
	}
#define OUT(f, s, k, label)                                                    \
	{                                                                      \
		f, SW_HIST_OUT, 0, s, k, label, ""                             \
	}

/* snmp6's counters have no section of their own: the prefix is one. */
static const struct snmp_word words[] = {
	Z(SW_SNMP, "Ip", "InReceives", "", " total packets received"),
	T(SW_SNMP, "Ip", "InHdrErrors", "", " with invalid headers"),
	T(SW_SNMP, "Ip", "InAddrErrors", "", " with invalid addresses"),
	Z(SW_SNMP, "Ip", "ForwDatagrams", "", " forwarded"),
	T(SW_SNMP, "Ip", "InUnknownProtos", "", " with unknown protocol"),
	Z(SW_SNMP, "Ip", "InDiscards", "", " incoming packets discarded"),
	Z(SW_SNMP, "Ip", "InDelivers", "", " incoming packets delivered"),
	Z(SW_SNMP, "Ip", "OutRequests", "", " requests sent out"),
	T(SW_SNMP, "Ip", "OutDiscards", "", " outgoing packets dropped"),
	T(SW_SNMP, "Ip", "OutNoRoutes", "",
	  " dropped because of missing route"),
	T(SW_SNMP, "Ip", "ReasmTimeout", "",
	  " fragments dropped after timeout"),
	T(SW_SNMP, "Ip", "ReasmReqds", "", " reassemblies required"),
	T(SW_SNMP, "Ip", "ReasmOKs", "", " packets reassembled ok"),
	T(SW_SNMP, "Ip", "ReasmFails", "", " packet reassemblies failed"),
	T(SW_SNMP, "Ip", "FragOKs", "", " outgoing packets fragmented ok"),
	T(SW_SNMP, "Ip", "FragFails", "",
	  " outgoing packets failed fragmentation"),
	T(SW_SNMP, "Ip", "FragCreates", "", " fragments created"),
	Z(SW_SNMP, "Icmp", "InMsgs", "", " ICMP messages received"),
	Z(SW_SNMP, "Icmp", "InErrors", "", " input ICMP message failed"),
	IN(SW_SNMP, "Icmp", "InDestUnreachs", "destination unreachable"),
	IN(SW_SNMP, "Icmp", "InTimeExcds", "timeout in transit"),
	IN(SW_SNMP, "Icmp", "InParmProbs", "wrong parameters"),
	IN(SW_SNMP, "Icmp", "InSrcQuenchs", "source quenches"),
	IN(SW_SNMP, "Icmp", "InRedirects", "redirects"),
	IN(SW_SNMP, "Icmp", "InEchos", "echo requests"),
	IN(SW_SNMP, "Icmp", "InEchoReps", "echo replies"),
	IN(SW_SNMP, "Icmp", "InTimestamps", "timestamp request"),
	IN(SW_SNMP, "Icmp", "InTimestampReps", "timestamp reply"),
	IN(SW_SNMP, "Icmp", "InAddrMasks", "address mask request"),
	IN(SW_SNMP, "Icmp", "InAddrMaskReps", "address mask replies"),
	Z(SW_SNMP, "Icmp", "OutMsgs", "", " ICMP messages sent"),
	Z(SW_SNMP, "Icmp", "OutErrors", "", " ICMP messages failed"),
	OUT(SW_SNMP, "Icmp", "OutDestUnreachs", "destination unreachable"),
	OUT(SW_SNMP, "Icmp", "OutTimeExcds", "time exceeded"),
	OUT(SW_SNMP, "Icmp", "OutParmProbs", "wrong parameters"),
	OUT(SW_SNMP, "Icmp", "OutSrcQuenchs", "source quench"),
	OUT(SW_SNMP, "Icmp", "OutRedirects", "redirect"),
	OUT(SW_SNMP, "Icmp", "OutEchos", "echo requests"),
	OUT(SW_SNMP, "Icmp", "OutEchoReps", "echo replies"),
	OUT(SW_SNMP, "Icmp", "OutTimestamps", "timestamp requests"),
	OUT(SW_SNMP, "Icmp", "OutTimestampReps", "timestamp replies"),
	OUT(SW_SNMP, "Icmp", "OutAddrMasks", "address mask requests"),
	OUT(SW_SNMP, "Icmp", "OutAddrMaskReps", "address mask replies"),
	Z(SW_SNMP, "Tcp", "ActiveOpens", "", " active connection openings"),
	Z(SW_SNMP, "Tcp", "PassiveOpens", "", " passive connection openings"),
	Z(SW_SNMP, "Tcp", "AttemptFails", "", " failed connection attempts"),
	Z(SW_SNMP, "Tcp", "EstabResets", "", " connection resets received"),
	Z(SW_SNMP, "Tcp", "CurrEstab", "", " connections established"),
	Z(SW_SNMP, "Tcp", "InSegs", "", " segments received"),
	Z(SW_SNMP, "Tcp", "OutSegs", "", " segments sent out"),
	Z(SW_SNMP, "Tcp", "RetransSegs", "", " segments retransmitted"),
	Z(SW_SNMP, "Tcp", "InErrs", "", " bad segments received"),
	Z(SW_SNMP, "Tcp", "OutRsts", "", " resets sent"),
	Z(SW_SNMP, "Udp", "InDatagrams", "", " packets received"),
	Z(SW_SNMP, "Udp", "NoPorts", "", " packets to unknown port received"),
	Z(SW_SNMP, "Udp", "InErrors", "", " packet receive errors"),
	Z(SW_SNMP, "Udp", "OutDatagrams", "", " packets sent"),
	Z(SW_SNMP, "Udp", "RcvbufErrors", "", " receive buffer errors"),
	Z(SW_SNMP, "Udp", "SndbufErrors", "", " send buffer errors"),
	T(SW_NETSTAT, "TcpExt", "SyncookiesSent", "", " SYN cookies sent"),
	T(SW_NETSTAT, "TcpExt", "SyncookiesRecv", "", " SYN cookies received"),
	T(SW_NETSTAT, "TcpExt", "SyncookiesFailed", "",
	  " invalid SYN cookies received"),
	T(SW_NETSTAT, "TcpExt", "EmbryonicRsts", "",
	  " resets received for embryonic SYN_RECV sockets"),
	T(SW_NETSTAT, "TcpExt", "PruneCalled", "",
	  " packets pruned from receive queue because of socket buffer "
	  "overrun"),
	T(SW_NETSTAT, "TcpExt", "RcvPruned", "",
	  " packets pruned from receive queue"),
	T(SW_NETSTAT, "TcpExt", "OfoPruned", "",
	  " packets dropped from out-of-order queue because of socket buffer "
	  "overrun"),
	T(SW_NETSTAT, "TcpExt", "OutOfWindowIcmps", "",
	  " ICMP packets dropped because they were out-of-window"),
	T(SW_NETSTAT, "TcpExt", "LockDroppedIcmps", "",
	  " ICMP packets dropped because socket was locked"),
	T(SW_NETSTAT, "TcpExt", "TW", "",
	  " TCP sockets finished time wait in fast timer"),
	T(SW_NETSTAT, "TcpExt", "TWRecycled", "",
	  " time wait sockets recycled by time stamp"),
	T(SW_NETSTAT, "TcpExt", "PAWSActive", "",
	  " active connections rejected because of time stamp"),
	T(SW_NETSTAT, "TcpExt", "PAWSEstab", "",
	  " packets rejected in established connections because of timestamp"),
	T(SW_NETSTAT, "TcpExt", "DelayedACKs", "", " delayed acks sent"),
	T(SW_NETSTAT, "TcpExt", "DelayedACKLocked", "",
	  " delayed acks further delayed because of locked socket"),
	T(SW_NETSTAT, "TcpExt", "DelayedACKLost",
	  "Quick ack mode was activated ", " times"),
	T(SW_NETSTAT, "TcpExt", "ListenOverflows", "",
	  " times the listen queue of a socket overflowed"),
	T(SW_NETSTAT, "TcpExt", "ListenDrops", "",
	  " SYNs to LISTEN sockets dropped"),
	Z(SW_NETSTAT, "TcpExt", "TCPHPHits", "", " packet headers predicted"),
	T(SW_NETSTAT, "TcpExt", "TCPPureAcks", "",
	  " acknowledgments not containing data payload received"),
	T(SW_NETSTAT, "TcpExt", "TCPHPAcks", "", " predicted acknowledgments"),
	T(SW_NETSTAT, "TcpExt", "TCPRenoRecovery", "",
	  " times recovered from packet loss due to fast retransmit"),
	T(SW_NETSTAT, "TcpExt", "TCPSACKReorder", "Detected reordering ",
	  " times using SACK"),
	T(SW_NETSTAT, "TcpExt", "TCPRenoReorder", "Detected reordering ",
	  " times using reno fast retransmit"),
	T(SW_NETSTAT, "TcpExt", "TCPTSReorder", "Detected reordering ",
	  " times using time stamp"),
	T(SW_NETSTAT, "TcpExt", "TCPFullUndo", "",
	  " congestion windows fully recovered without slow start"),
	T(SW_NETSTAT, "TcpExt", "TCPPartialUndo", "",
	  " congestion windows partially recovered using Hoe heuristic"),
	T(SW_NETSTAT, "TcpExt", "TCPLossUndo", "",
	  " congestion windows recovered without slow start after partial ack"),
	T(SW_NETSTAT, "TcpExt", "TCPRenoFailures", "",
	  " timeouts after reno fast retransmit"),
	T(SW_NETSTAT, "TcpExt", "TCPLossFailures", "",
	  " timeouts in loss state"),
	T(SW_NETSTAT, "TcpExt", "TCPFastRetrans", "", " fast retransmits"),
	T(SW_NETSTAT, "TcpExt", "TCPSlowStartRetrans", "",
	  " retransmits in slow start"),
	T(SW_NETSTAT, "TcpExt", "TCPRcvCollapsed", "",
	  " packets collapsed in receive queue due to low socket buffer"),
	T(SW_NETSTAT, "TcpExt", "TCPAbortOnData", "",
	  " connections reset due to unexpected data"),
	T(SW_NETSTAT, "TcpExt", "TCPAbortOnClose", "",
	  " connections reset due to early user close"),
	T(SW_NETSTAT, "TcpExt", "TCPAbortOnMemory", "",
	  " connections aborted due to memory pressure"),
	T(SW_NETSTAT, "TcpExt", "TCPAbortOnTimeout", "",
	  " connections aborted due to timeout"),
	T(SW_NETSTAT, "TcpExt", "TCPAbortOnLinger", "",
	  " connections aborted after user close in linger timeout"),
	T(SW_NETSTAT, "TcpExt", "TCPAbortFailed", "",
	  " times unable to send RST due to no memory"),
	T(SW_NETSTAT, "TcpExt", "TCPMemoryPressures", "TCP ran low on memory ",
	  " times"),
	Z(SW_SNMP6, "", "Ip6InReceives", "", " total packets received"),
	T(SW_SNMP6, "", "Ip6InHdrErrors", "", " with invalid headers"),
	T(SW_SNMP6, "", "Ip6InTooBigErrors", "", " with packets too big"),
	T(SW_SNMP6, "", "Ip6InNoRoutes", "", " incoming packets with no route"),
	T(SW_SNMP6, "", "Ip6InAddrErrors", "", " with invalid addresses"),
	T(SW_SNMP6, "", "Ip6InUnknownProtos", "", " with unknown protocol"),
	T(SW_SNMP6, "", "Ip6InTruncatedPkts", "", " with truncated packets"),
	Z(SW_SNMP6, "", "Ip6InDiscards", "", " incoming packets discarded"),
	Z(SW_SNMP6, "", "Ip6InDelivers", "", " incoming packets delivered"),
	Z(SW_SNMP6, "", "Ip6OutForwDatagrams", "", " forwarded"),
	Z(SW_SNMP6, "", "Ip6OutRequests", "", " requests sent out"),
	T(SW_SNMP6, "", "Ip6OutDiscards", "", " outgoing packets dropped"),
	T(SW_SNMP6, "", "Ip6OutNoRoutes", "",
	  " dropped because of missing route"),
	T(SW_SNMP6, "", "Ip6ReasmTimeout", "",
	  " fragments dropped after timeout"),
	T(SW_SNMP6, "", "Ip6ReasmReqds", "", " reassemblies required"),
	T(SW_SNMP6, "", "Ip6ReasmOKs", "", " packets reassembled ok"),
	T(SW_SNMP6, "", "Ip6ReasmFails", "", " packet reassemblies failed"),
	T(SW_SNMP6, "", "Ip6FragOKs", "", " outgoing packets fragmented ok"),
	T(SW_SNMP6, "", "Ip6FragFails", "",
	  " outgoing packets failed fragmentation"),
	T(SW_SNMP6, "", "Ip6FragCreates", "", " fragments created"),
	T(SW_SNMP6, "", "Ip6InMcastPkts", "", " incoming multicast packets"),
	T(SW_SNMP6, "", "Ip6OutMcastPkts", "", " outgoing multicast packets"),
	Z(SW_SNMP6, "", "Icmp6InMsgs", "", " ICMP messages received"),
	Z(SW_SNMP6, "", "Icmp6InErrors", "", " input ICMP message failed"),
	Z(SW_SNMP6, "", "Icmp6OutMsgs", "", " ICMP messages sent"),
	IN(SW_SNMP6, "", "Icmp6InDestUnreachs", "destination unreachable"),
	IN(SW_SNMP6, "", "Icmp6InPktTooBigs", "packets too big"),
	IN(SW_SNMP6, "", "Icmp6InTimeExcds", "received ICMPv6 time exceeded"),
	IN(SW_SNMP6, "", "Icmp6InParmProblems", "parameter problem"),
	IN(SW_SNMP6, "", "Icmp6InEchos", "echo requests"),
	IN(SW_SNMP6, "", "Icmp6InEchoReplies", "echo replies"),
	IN(SW_SNMP6, "", "Icmp6InGroupMembQueries", "group member queries"),
	IN(SW_SNMP6, "", "Icmp6InGroupMembResponses", "group member responses"),
	IN(SW_SNMP6, "", "Icmp6InGroupMembReductions",
	   "group member reductions"),
	IN(SW_SNMP6, "", "Icmp6InRouterSolicits", "router solicits"),
	IN(SW_SNMP6, "", "Icmp6InRouterAdvertisements", "router advertisement"),
	IN(SW_SNMP6, "", "Icmp6InNeighborSolicits", "neighbour solicits"),
	IN(SW_SNMP6, "", "Icmp6InNeighborAdvertisements",
	   "neighbour advertisement"),
	IN(SW_SNMP6, "", "Icmp6InRedirects", "redirects"),
	OUT(SW_SNMP6, "", "Icmp6OutDestUnreachs", "destination unreachable"),
	OUT(SW_SNMP6, "", "Icmp6OutPktTooBigs", "packets too big"),
	OUT(SW_SNMP6, "", "Icmp6OutTimeExcds", "sent ICMPv6 time exceeded"),
	OUT(SW_SNMP6, "", "Icmp6OutParmProblems", "parameter problem"),
	OUT(SW_SNMP6, "", "Icmp6OutEchos", "echo requests"),
	OUT(SW_SNMP6, "", "Icmp6OutEchoReplies", "echo replies"),
	OUT(SW_SNMP6, "", "Icmp6OutGroupMembQueries", "group member queries"),
	OUT(SW_SNMP6, "", "Icmp6OutGroupMembResponses",
	    "group member responses"),
	OUT(SW_SNMP6, "", "Icmp6OutGroupMembReductions",
	    "group member reductions"),
	OUT(SW_SNMP6, "", "Icmp6OutRouterSolicits", "router solicits"),
	OUT(SW_SNMP6, "", "Icmp6OutNeighborSolicits", "neighbor solicits"),
	OUT(SW_SNMP6, "", "Icmp6OutNeighborAdvertisements",
	    "neighbor advertisements"),
	OUT(SW_SNMP6, "", "Icmp6OutRedirects", "redirects"),
	Z(SW_SNMP6, "", "Udp6InDatagrams", "", " packets received"),
	Z(SW_SNMP6, "", "Udp6NoPorts", "", " packets to unknown port received"),
	Z(SW_SNMP6, "", "Udp6InErrors", "", " packet receive errors"),
	Z(SW_SNMP6, "", "Udp6OutDatagrams", "", " packets sent"),
	HIDE(SW_SNMP, "Ip", "DefaultTTL"),
	HIDE(SW_SNMP, "Tcp", "RtoAlgorithm"),
	HIDE(SW_SNMP, "Tcp", "RtoMin"),
	HIDE(SW_SNMP, "Tcp", "RtoMax"),
	HIDE(SW_SNMP, "Tcp", "MaxConn"),
	/* older kernels' counters, fed to netstat by name */
	T(SW_NETSTAT, "TcpExt", "TCPPrequeued", "",
	  " packets directly queued to recvmsg prequeue"),
	T(SW_NETSTAT, "TcpExt", "TCPDirectCopyFromBacklog", "",
	  " bytes directly in process context from backlog"),
	T(SW_NETSTAT, "TcpExt", "TCPHPHitsToUser", "",
	  " packet headers predicted and directly queued to user"),
	T(SW_NETSTAT, "TcpExt", "TCPForwardRetrans", "",
	  " forward retransmits"),
	T(SW_NETSTAT, "TcpExt", "TCPSchedulerFailed", "",
	  " times receiver scheduled too late for direct processing"),
	T(SW_NETSTAT, "TcpExt", "TCPAbortOnSyn", "",
	  " connections reset due to unexpected SYN"),
	T(SW_NETSTAT, "TcpExt", "TCPFACKReorder", "Detected reordering ",
	  " times using FACK"),
};

#define NWORDS (sizeof(words) / sizeof(words[0]))

/* Where the walk is: the section being printed and its histogram. */
struct snmp_out {
	struct tulpen_buf *b;
	unsigned int flags; /* TULPEN_SNMP_* */
	enum tulpen_snmp_file file;
	const char *sec;
	size_t seclen;
	int show, hist; /* hist: 0, SW_HIST_IN or SW_HIST_OUT */
	int broken;	/* a value was no number: the pair ends here */
	uint64_t last;	/* snmp6: a line without a number repeats this */
};

static int is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !memcmp(s, word, len);
}

/* The protocol a section belongs to (-t, -u, -w), 0: shown always. */
static unsigned int sec_proto(const char *s, size_t len)
{
	if (is(s, len, "Ip") || is(s, len, "Icmp") || is(s, len, "Ip6") ||
	    is(s, len, "Icmp6"))
		return TULPEN_SNMP_RAW;
	if (is(s, len, "Tcp") || is(s, len, "TcpExt"))
		return TULPEN_SNMP_TCP;
	if (is(s, len, "Udp") || is(s, len, "Udp6"))
		return TULPEN_SNMP_UDP;
	return 0;
}

static const struct snmp_word *find_word(enum sw_file file,
					 const struct tulpen_counter *c,
					 const char *sec, size_t seclen)
{
	size_t i;

	for (i = 0; i < NWORDS; i++) {
		const struct snmp_word *w = &words[i];

		if (w->file == file && is(c->key, c->keylen, w->key) &&
		    (file == SW_SNMP6 || is(sec, seclen, w->sec)))
			return w;
	}
	return NULL;
}

/*
 * A value as netstat reads it: unsigned, a negative one wrapped around
 * (MaxConn -1), one too large for 64 bits the largest. -EINVAL: no number.
 */
static int snmp_value(const struct tulpen_counter *c, uint64_t *v)
{
	size_t i = c->vallen && c->val[0] == '-', neg = i;
	uint64_t x = 0;
	int over = 0;

	if (i >= c->vallen)
		return -EINVAL;
	for (; i < c->vallen; i++) {
		unsigned int d = (unsigned char)c->val[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (x > (UINT64_MAX - d) / 10)
			over = 1;
		x = x * 10 + d;
	}
	*v = over ? UINT64_MAX : neg ? -x : x;
	return 0;
}

/* snmp6's section: its name up to the first '6' ("Icmp6InMsgs"). */
static size_t snmp6_sec(const struct tulpen_counter *c)
{
	const char *six = memchr(c->key, '6', c->keylen);

	return six ? (size_t)(six - c->key) + 1 : c->keylen;
}

/* A new section: its header, when -t/-u/-w choose it. */
static void enter_section(struct snmp_out *o, const char *sec, size_t len)
{
	unsigned int p = sec_proto(sec, len);

	o->sec = sec;
	o->seclen = len;
	o->broken = 0;
	if (p) /* a section netstat knows ends the histogram; others not */
		o->hist = 0;
	o->show = !p || (o->flags & p);
	if (o->file == TULPEN_SNMP_FILE_SNMP_TCP)
		o->show = o->show && is(sec, len, "Tcp");
	if (o->show)
		tulpen_buf_printf(o->b, "%.*s:\n", (int)len, sec);
}

static void print_hist(struct snmp_out *o, const struct snmp_word *w,
		       uint64_t v)
{
	if (o->hist != w->kind) {
		tulpen_buf_printf(o->b, "%s%s histogram:\n",
				  o->hist ? "        " : "    ",
				  w->kind == SW_HIST_IN ? "ICMP input"
							: "ICMP output");
		o->hist = w->kind;
	}
	if (v)
		tulpen_buf_printf(o->b, "        %s: %llu\n", w->pre,
				  (unsigned long long)v);
}

static void counter_cb(const struct tulpen_counter *c, void *data)
{
	struct snmp_out *o = data;
	enum sw_file file = o->file == TULPEN_SNMP_FILE_SNMP6	  ? SW_SNMP6
			    : o->file == TULPEN_SNMP_FILE_NETSTAT ? SW_NETSTAT
								  : SW_SNMP;
	const char *sec = file == SW_SNMP6 ? c->key : c->sec;
	size_t seclen = file == SW_SNMP6 ? snmp6_sec(c) : c->seclen;
	const struct snmp_word *w;
	uint64_t v;

	/* a section per pair of lines; in snmp6 where the prefix changes */
	if (file == SW_SNMP6 ? !o->sec || seclen != o->seclen ||
				       memcmp(sec, o->sec, seclen)
			     : sec != o->sec)
		enter_section(o, sec, seclen);
	if (!o->show || o->broken)
		return;
	if (snmp_value(c, &v)) { /* as netstat: snmp6 repeats, pairs end */
		if (file != SW_SNMP6) {
			o->broken = 1;
			return;
		}
		v = o->last;
	}
	o->last = v;
	w = find_word(file, c, sec, seclen);
	if (!w) { /* one netstat does not know: by its name */
		if (v)
			tulpen_buf_printf(o->b, "%s%.*s: %llu\n",
					  o->hist ? "        " : "    ",
					  (int)c->keylen, c->key,
					  (unsigned long long)v);
		return;
	}
	if (w->kind == SW_HIST_IN || w->kind == SW_HIST_OUT) {
		print_hist(o, w, v);
		return;
	}
	if (w->kind == SW_HIDE)
		return;
	o->hist = 0;
	if (v || w->zero)
		tulpen_buf_printf(o->b, "    %s%llu%s\n", w->pre,
				  (unsigned long long)v, w->post);
}

int tulpen_snmp_render(const char *text, size_t len, enum tulpen_snmp_file file,
		       unsigned int flags, int *hist, struct tulpen_buf *b)
{
	struct snmp_out o = {
		.b = b, .flags = flags, .file = file, .hist = *hist
	};

	if (file == TULPEN_SNMP_FILE_SNMP6)
		tulpen_procstat_lines(text, len, counter_cb, &o);
	else
		tulpen_procstat_pairs(text, len, counter_cb, &o);
	*hist = o.hist;
	return b->err;
}

/* All of @root/@rel into *@out (malloc'd, NUL-terminated). */
static ssize_t read_all(const char *root, const char *rel, char **out)
{
	size_t size = 64 * 1024;
	char *buf = NULL, *nbuf;
	ssize_t n;

	for (;;) {
		nbuf = realloc(buf, size);
		if (!nbuf) {
			n = -ENOMEM;
			goto fail;
		}
		buf = nbuf;
		n = tulpen_procstat_read(root, rel, buf, size);
		if (n < 0)
			goto fail;
		if ((size_t)n < size - 1 || size >= 64 * 1024 * 1024)
			break;
		size *= 2;
	}
	*out = buf;
	return n;
fail:
	free(buf);
	return n;
}

/*
 * One file: said when missing (as netstat does, but for netstat's); 1 when
 * it is missing, 0 or -errno.
 */
static int render_file(struct tulpen_ctx *ctx, const char *rel,
		       enum tulpen_snmp_file file, unsigned int flags,
		       int *hist, struct tulpen_buf *b)
{
	const char *root = tulpen_ctx_proc_root(ctx);
	char *text = NULL;
	ssize_t n = read_all(root, rel, &text);
	int ret;

	if (n == -ENOMEM)
		return -ENOMEM;
	if (n < 0) {
		if (file == TULPEN_SNMP_FILE_NETSTAT)
			return 0; /* netstat is silent about this one */
		tulpen_ctx_note(ctx, TULPEN_NOTE_WARN, "cannot open %s/%s: %s",
				root, rel, strerror((int)-n));
		return 1;
	}
	ret = tulpen_snmp_render(text, (size_t)n, file, flags, hist, b);
	free(text);
	return ret;
}

int tulpen_snmp_format_netstat(struct tulpen_ctx *ctx, unsigned int flags,
			       struct tulpen_buf *b)
{
	int ret, hist = 0; /* carried from file to file, as in netstat */

	if (flags & TULPEN_SNMP_INET6) {
		ret = render_file(ctx, "net/snmp6", TULPEN_SNMP_FILE_SNMP6,
				  flags, &hist, b);
		if (!ret && (flags & TULPEN_SNMP_TCP))
			ret = render_file(ctx, "net/snmp",
					  TULPEN_SNMP_FILE_SNMP_TCP, flags,
					  &hist, b);
		return ret < 0 ? ret : 0;
	}
	/* as netstat: nothing more without snmp */
	ret = render_file(ctx, "net/snmp", TULPEN_SNMP_FILE_SNMP, flags, &hist,
			  b);
	if (!ret)
		ret = render_file(ctx, "net/netstat", TULPEN_SNMP_FILE_NETSTAT,
				  flags, &hist, b);
	return ret < 0 ? ret : 0;
}
