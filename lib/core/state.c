// SPDX-License-Identifier: MIT
/*
 * state.c - TCP state names in every spelling people read in the wild.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "tulpen/state.h"

struct state_names {
	const char *rfc;
	const char *ss;
	const char *netstat;
};

static const struct state_names names[TULPEN_TCP_MAX_STATES] = {
	[TULPEN_TCP_UNKNOWN] = { "UNKNOWN", "UNKNOWN", "UNKNOWN" },
	[TULPEN_TCP_ESTABLISHED] = { "ESTABLISHED", "ESTAB", "ESTABLISHED" },
	[TULPEN_TCP_SYN_SENT] = { "SYN-SENT", "SYN-SENT", "SYN_SENT" },
	[TULPEN_TCP_SYN_RECV] = { "SYN-RECEIVED", "SYN-RECV", "SYN_RECV" },
	[TULPEN_TCP_FIN_WAIT1] = { "FIN-WAIT-1", "FIN-WAIT-1", "FIN_WAIT1" },
	[TULPEN_TCP_FIN_WAIT2] = { "FIN-WAIT-2", "FIN-WAIT-2", "FIN_WAIT2" },
	[TULPEN_TCP_TIME_WAIT] = { "TIME-WAIT", "TIME-WAIT", "TIME_WAIT" },
	[TULPEN_TCP_CLOSE] = { "CLOSED", "UNCONN", "CLOSE" },
	[TULPEN_TCP_CLOSE_WAIT] = { "CLOSE-WAIT", "CLOSE-WAIT", "CLOSE_WAIT" },
	[TULPEN_TCP_LAST_ACK] = { "LAST-ACK", "LAST-ACK", "LAST_ACK" },
	[TULPEN_TCP_LISTEN] = { "LISTEN", "LISTEN", "LISTEN" },
	[TULPEN_TCP_CLOSING] = { "CLOSING", "CLOSING", "CLOSING" },
	[TULPEN_TCP_NEW_SYN_RECV] = { "SYN-RECEIVED", "SYN-RECV", "SYN_RECV" },
	[TULPEN_TCP_BOUND_INACTIVE] = { "BOUND-INACTIVE", "BOUND-INACTIVE",
					"BOUND_INACTIVE" },
};

const char *tulpen_state_name(int state, enum tulpen_state_style style)
{
	const struct state_names *n;

	if (state < 0 || state >= TULPEN_TCP_MAX_STATES)
		state = TULPEN_TCP_UNKNOWN;
	n = &names[state];
	switch (style) {
	case TULPEN_STATE_SS:
		return n->ss;
	case TULPEN_STATE_NETSTAT:
		return n->netstat;
	case TULPEN_STATE_RFC:
	default:
		return n->rfc;
	}
}

/*
 * Every accepted spelling, already folded: upper case with the separators
 * '-', '_' and ' ' removed. Several spellings map to one mask.
 */
struct spelling {
	const char *word;
	unsigned int mask;
	int is_group;
};

#define S(x) TULPEN_SF(TULPEN_TCP_##x)
#define SYNRECV (S(SYN_RECV) | S(NEW_SYN_RECV))

static const struct spelling spellings[] = {
	{ "ESTABLISHED", S(ESTABLISHED), 0 },
	{ "ESTAB", S(ESTABLISHED), 0 },
	{ "SYNSENT", S(SYN_SENT), 0 },
	{ "SYNSEND", S(SYN_SENT), 0 }, /* old Windows netstat */
	{ "SYNRECEIVED", SYNRECV, 0 },
	{ "SYNRECV", SYNRECV, 0 },
	{ "SYNRCVD", SYNRECV, 0 }, /* BSD */
	{ "FINWAIT1", S(FIN_WAIT1), 0 },
	{ "FINWAIT2", S(FIN_WAIT2), 0 },
	{ "TIMEWAIT", S(TIME_WAIT), 0 },
	{ "TIMEDWAIT", S(TIME_WAIT), 0 }, /* old Windows netstat */
	{ "CLOSED", S(CLOSE), 0 },
	{ "CLOSE", S(CLOSE), 0 },
	{ "UNCONN", S(CLOSE), 0 },
	{ "CLOSEWAIT", S(CLOSE_WAIT), 0 },
	{ "LASTACK", S(LAST_ACK), 0 },
	{ "LISTEN", S(LISTEN), 0 },
	{ "LISTENING", S(LISTEN), 0 },
	{ "CLOSING", S(CLOSING), 0 },
	{ "BOUNDINACTIVE", S(BOUND_INACTIVE), 0 },
	/* ss's groups */
	{ "ALL", TULPEN_SF_ALL, 1 },
	{ "CONNECTED",
	  TULPEN_SF_ALL & ~(S(LISTEN) | S(CLOSE) | S(BOUND_INACTIVE)), 1 },
	{ "SYNCHRONIZED",
	  TULPEN_SF_ALL &
		  ~(S(LISTEN) | S(CLOSE) | S(SYN_SENT) | S(BOUND_INACTIVE)),
	  1 },
	{ "BUCKET", SYNRECV | S(TIME_WAIT), 1 },
	{ "BIG", TULPEN_SF_ALL & ~(SYNRECV | S(TIME_WAIT)), 1 },
};

#undef S

/* Fold @word into @out: upper case, separators dropped. */
static int fold(const char *word, char *out, size_t size)
{
	size_t n = 0;

	for (; *word; word++) {
		char c = *word;

		if (c == '-' || c == '_' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return -EINVAL;
		if (n + 1 >= size)
			return -EINVAL;
		out[n++] = c;
	}
	if (!n)
		return -EINVAL;
	out[n] = '\0';
	return 0;
}

static const struct spelling *lookup(const char *word)
{
	char folded[32];
	size_t i;

	if (!word || fold(word, folded, sizeof(folded)))
		return NULL;
	for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
		if (!strcmp(spellings[i].word, folded))
			return &spellings[i];
	return NULL;
}

int tulpen_state_parse(const char *word, uint32_t *mask)
{
	const struct spelling *sp = lookup(word);

	if (!sp)
		return -EINVAL;
	*mask = sp->mask;
	return 0;
}

int tulpen_state_parse_one(const char *word, int *state)
{
	const struct spelling *sp = lookup(word);
	int s;

	if (!sp || sp->is_group)
		return -EINVAL;
	for (s = 1; s < TULPEN_TCP_MAX_STATES; s++) {
		if (sp->mask & TULPEN_SF(s)) {
			*state = s;
			return 0;
		}
	}
	return -EINVAL;
}
