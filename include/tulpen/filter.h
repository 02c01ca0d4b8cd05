/* SPDX-License-Identifier: MIT */
/*
 * tulpen/filter.h - the ss filter language: one parser, a compiler to the
 * kernel's inet_diag bytecode, and one evaluator in user space.
 *
 * Ownership: the filter room (lib/filter/). tulpen_filter_parse() allocates
 * the filter, tulpen_filter_free() releases it; the filter copies what it
 * keeps from the input and from the options. Bytecode from
 * tulpen_filter_compile() is malloc()ed and owned by the caller. A filter
 * is read-only after parsing, so several threads may match with it.
 *
 * Semantics are those of ss (iproute2), quirks included: ss filters a
 * netlink dump twice, once in the kernel (the bytecode) and once in user
 * space with slightly different rules (e.g. an IPv4 prefix compared with
 * the raw bits of an IPv6 address), and keeps what both select.
 * tulpen_filter_match() computes exactly that from a record alone, so
 * records from /proc, from recordings, from watch or from pcap select what
 * ss would select from the live kernel. docs/filters.md has the language.
 */
#ifndef TULPEN_FILTER_H
#define TULPEN_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/names.h"
#include "tulpen/sock.h"

struct tulpen_filter;

struct tulpen_filter_opts {
	/*
	 * ss's "preferred family": AF_UNSPEC, or the family of the last -4,
	 * -6 or -x given (AF_INET, AF_INET6, AF_UNIX). Addresses are read in
	 * that family, and with it (or an "inet:", "inet6:" or "unix:"
	 * prefix) an address term limits the listing to that family.
	 */
	int family;
	/* TULPEN_PF mask of the protocols listed: whose service names count */
	uint32_t protos;
	const struct tulpen_services *services; /* service names, or: */
	const char *services_file; /* read when a name is met; NULL: none */
	const char *proc_root;	   /* NULL: /proc (ephemeral port range) */
	struct tulpen_cgroups *cgroups; /* cgroup PATH; NULL: an error */
	unsigned int resolve_ms; /* deadline for host names; 0: 2000 ms */
	int no_resolve;		 /* host names are an error (fuzzing, tests) */
	/*
	 * The expression selects captured connections (tulpen pcap), so the
	 * words of connections are allowed: client/server, conn-state,
	 * midstream, reset, closed, open. Match with
	 * tulpen_filter_match_conn().
	 */
	int captures;
};

/* Where parsing failed: msg says what, the column and line point at it. */
struct tulpen_filter_error {
	char msg[192];	     /* "expected a port after 'sport ='" */
	char text[1024];     /* the line holding the error, as echoed */
	unsigned int line;   /* 0: the command line, else the -F file's line */
	unsigned int column; /* 1-based column in text */
};

/*
 * tulpen_filter_parse - parse an expression given as @argc words (the
 * command line after the state words) followed by the lines of @file_text
 * (an -F file, or NULL). Lines of the file starting with '#' (or, as ss
 * reads them, '0') are skipped. An empty expression gives *@out == NULL
 * (select everything) and 0.
 *
 * Returns 0, -EINVAL with @err filled, -ENOMEM, or -ETIMEDOUT when a host
 * name was not resolved in time (also described in @err).
 */
int tulpen_filter_parse(int argc, const char *const *argv,
			const char *file_text,
			const struct tulpen_filter_opts *opts,
			struct tulpen_filter **out,
			struct tulpen_filter_error *err);
void tulpen_filter_free(struct tulpen_filter *f);

/*
 * Whether command line word @word begins an expression (its first token
 * is src, dst, sport, dport, port, host, net, dev, fwmark, cgroup,
 * autobound, netns, container, not or "(", or a word of captured
 * connections).
 */
int tulpen_filter_starts_expr(const char *word);

/*
 * TULPEN_FAM_* mask the expression limits the listing to (an address term
 * read in one family, as ss does), or 0 for no limit.
 */
uint32_t tulpen_filter_families(const struct tulpen_filter *f);

/*
 * tulpen_filter_compile - inet_diag bytecode (the INET_DIAG_REQ_BYTECODE
 * attribute's payload) for @f, in *@bc (malloc()ed) and *@len. Returns 0,
 * -ENOMEM, or -EOPNOTSUPP when a term cannot be expressed (a UNIX path
 * pattern); then filter in user space only.
 */
int tulpen_filter_compile(const struct tulpen_filter *f, void **bc,
			  size_t *len);

/*
 * tulpen_filter_ports - a local port (*@sport) and/or a remote port
 * (*@dport) that every selected socket has (a "sport = P" or "dport = P"
 * joined by "and" at the top), 0 where there is none. The dump request
 * carries them (inet_diag_req's id): the kernel then skips other sockets
 * before running the bytecode, and LISTEN sockets entirely for a remote
 * port.
 */
void tulpen_filter_ports(const struct tulpen_filter *f, uint16_t *sport,
			 uint16_t *dport);

/*
 * tulpen_filter_match - whether @s is selected: the kernel's rules (for
 * IPv4/IPv6 records) and ss's user-space rules. Returns 1 or 0. Fields a
 * record cannot know are taken as the kernel would see them at zero (mark,
 * cgroup, device); "autobound" is judged by the ephemeral port range.
 */
int tulpen_filter_match(const struct tulpen_filter *f,
			const struct tulpen_sock *s);

/*
 * tulpen_filter_match_user - ss's user-space rules only: for records the
 * kernel has already filtered with the compiled bytecode.
 */
int tulpen_filter_match_user(const struct tulpen_filter *f,
			     const struct tulpen_sock *s);

/*
 * A connection of a capture as the filter sees it: the sockets its two
 * ends would have (side[0] the client's, local = the client; side[1] the
 * server's), and what only a capture knows.
 */
struct tulpen_filter_conn {
	struct tulpen_sock side[2];
	const char *conn_state;	    /* Zeek's code ("SF", "REJ"), NULL: none */
	unsigned int midstream : 1; /* picked up after its handshake */
	unsigned int reset : 1;	    /* a RST was seen */
	unsigned int closed : 1;    /* both ends closed */
};

/*
 * tulpen_filter_match_conn - whether @c is selected: the expression
 * selects one of its two sockets (as ss would list either end of a
 * connection on one host), where client/server terms and the words of
 * connections look at @c itself. Returns 1 or 0.
 */
int tulpen_filter_match_conn(const struct tulpen_filter *f,
			     const struct tulpen_filter_conn *c);

/*
 * Whether @f has netns or container terms: the records must carry the
 * labels of the walk over namespaces (tulpen/netns.h) when matched.
 */
int tulpen_filter_needs_labels(const struct tulpen_filter *f);

/*
 * tulpen_filter_format - the expression as a canonical, fully
 * parenthesised string (for tests and --debug output). Returns the length
 * it needed (like snprintf), or a negative errno.
 */
int tulpen_filter_format(const struct tulpen_filter *f, char *buf, size_t size);

#endif /* TULPEN_FILTER_H */
