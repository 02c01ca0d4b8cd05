/* SPDX-License-Identifier: MIT */
/*
 * tulpen/state.h - TCP connection states: numbering, names and spellings.
 *
 * The numbering is the Linux kernel's (include/net/tcp_states.h), so a value
 * read from sock_diag, /proc/net/tcp or the sock:inet_sock_set_state
 * tracepoint can be used directly. All strings returned here are static and
 * owned by the library; nothing here allocates.
 */
#ifndef TULPEN_STATE_H
#define TULPEN_STATE_H

#include <stdint.h>
#include <stddef.h>

enum tulpen_tcp_state {
	TULPEN_TCP_UNKNOWN = 0,
	TULPEN_TCP_ESTABLISHED = 1,
	TULPEN_TCP_SYN_SENT = 2,
	TULPEN_TCP_SYN_RECV = 3,
	TULPEN_TCP_FIN_WAIT1 = 4,
	TULPEN_TCP_FIN_WAIT2 = 5,
	TULPEN_TCP_TIME_WAIT = 6,
	TULPEN_TCP_CLOSE = 7,
	TULPEN_TCP_CLOSE_WAIT = 8,
	TULPEN_TCP_LAST_ACK = 9,
	TULPEN_TCP_LISTEN = 10,
	TULPEN_TCP_CLOSING = 11,
	/* A request socket: the server half of a handshake (SYN-RECEIVED). */
	TULPEN_TCP_NEW_SYN_RECV = 12,
	/* Bound but neither listening nor connecting (Linux 6.6+). */
	TULPEN_TCP_BOUND_INACTIVE = 13,
	TULPEN_TCP_MAX_STATES = 14,
};

/* Bit for one state in a state mask (as idiag_states uses). */
#define TULPEN_SF(s) (1u << (s))
/* Every state, including request sockets. */
#define TULPEN_SF_ALL ((1u << TULPEN_TCP_MAX_STATES) - 2u)

/* Which family of spellings to print a state name in. */
enum tulpen_state_style {
	TULPEN_STATE_RFC,     /* RFC 9293: SYN-RECEIVED, TIME-WAIT */
	TULPEN_STATE_SS,      /* ss: SYN-RECV, ESTAB, UNCONN for UDP */
	TULPEN_STATE_NETSTAT, /* netstat: SYN_RECV, TIME_WAIT, FIN_WAIT1 */
};

/*
 * tulpen_state_name - the name of @state in @style. Request sockets
 * (NEW_SYN_RECV) are reported as SYN-RECEIVED in every style, as RFC 9293
 * has no separate state for them. Unknown values give "UNKNOWN".
 */
const char *tulpen_state_name(int state, enum tulpen_state_style style);

/*
 * tulpen_state_parse - parse one state name or group name in any spelling
 * people meet: RFC (SYN-RECEIVED), ss (ESTAB, SYN-RECV), netstat (SYN_RECV,
 * FIN_WAIT1), old Windows netstat (SYN_SEND, TIMED_WAIT), case-insensitive,
 * with '-', '_' or nothing between words. Groups: all, connected,
 * synchronized, bucket, big (as ss defines them). On success stores the
 * state mask in *@mask and returns 0; returns -EINVAL for an unknown word.
 */
int tulpen_state_parse(const char *word, uint32_t *mask);

/*
 * tulpen_state_parse_one - like tulpen_state_parse() but accepts only a
 * single state (not a group) and stores it in *@state. SYN-RECEIVED parses
 * to TULPEN_TCP_SYN_RECV.
 */
int tulpen_state_parse_one(const char *word, int *state);

#endif /* TULPEN_STATE_H */
