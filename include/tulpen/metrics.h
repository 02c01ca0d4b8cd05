/* SPDX-License-Identifier: MIT */
/*
 * tulpen/metrics.h - socket metrics for Prometheus (`tulpen serve`).
 *
 * One collection is one sock_diag walk of every protocol plus the kernel's
 * TCP counters (/proc/net/netstat, /proc/net/snmp, /proc/net/sockstat) and
 * the ephemeral port range; it is rendered in the Prometheus text format
 * (0.0.4) or in OpenMetrics 1.0 into a caller-owned struct tulpen_buf.
 * Labels are bounded: listeners and processes beyond the top K are summed
 * into one "other" series. docs/metrics.md lists every family.
 *
 * With the eBPF counts (opts.counts) a collection also reads the
 * transitions and connection lifetimes the kernel side counted.
 *
 * Owners (CLOSE-WAIT per process) need a scan of every process's fds. It
 * runs only when there are CLOSE-WAIT sockets: the first one during that
 * scrape, later ones in a background thread of the collector when the
 * cached scan is older than owners_max_age_ms (0: a scan in every scrape,
 * in the foreground). A socket the cached scan does not know is counted
 * under command "unknown".
 *
 * Ownership: tulpen_metrics_new() allocates and borrows @ctx, which must
 * outlive the collector and is used by only one thread at a time (the one
 * collecting). tulpen_metrics_scrape() may be called from many threads at
 * once: callers that arrive while a collection runs wait for it and share
 * its result. Everything else is not thread-safe.
 *
 * The web config (the exporter toolkit's --web.config.file YAML): see
 * tulpen_webcfg_load(). Ownership: tulpen_webcfg_load()/_parse() allocate,
 * tulpen_webcfg_free() releases; tulpen_webcfg_auth() is thread-safe.
 */
#ifndef TULPEN_METRICS_H
#define TULPEN_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "tulpen/ctx.h"
#include "tulpen/fmt.h"

enum tulpen_metrics_format {
	TULPEN_METRICS_PROMETHEUS = 0, /* text/plain; version=0.0.4 */
	TULPEN_METRICS_OPENMETRICS,    /* application/openmetrics-text 1.0 */
};

#define TULPEN_METRICS_TOP_K_DEFAULT 10
#define TULPEN_METRICS_TOP_K_MAX 1000
#define TULPEN_METRICS_OWNERS_MAX_AGE_DEFAULT_MS 30000

struct tulpen_watch_bpf;

struct tulpen_metrics_opts {
	/* listeners and processes with a series of their own (1..MAX) */
	unsigned int top_k;
	/* CLOSE-WAIT per process: needs to read other processes' fds */
	int owners;
	/* how old cached owners may get before a scan (ms) */
	uint64_t owners_max_age_ms;
	/*
	 * The in-kernel transition counts (tulpen/watch_counts.h), read at
	 * every collection: tulpen_tcp_transitions_total and the connection
	 * duration histogram. Borrowed (must outlive the collector); NULL:
	 * those metrics are left out.
	 */
	struct tulpen_watch_bpf *counts;
	/*
	 * Walk every network namespace (tulpen/netns.h) instead of the
	 * context's: the totals are the host's, and
	 * tulpen_tcp_sockets_by_netns has the states of the top K
	 * namespaces (by sockets) with netns and container labels, the rest
	 * as "other".
	 */
	int all_netns;
	/*
	 * Run tulpen doctor (tulpen/doctor.h) this often on a thread of
	 * its own and export its findings (ms; 0: never, the default).
	 */
	uint64_t doctor_every_ms;
};

struct tulpen_metrics;

/* Fill @o with the defaults (top 10, owners on, 30 s). */
void tulpen_metrics_opts_default(struct tulpen_metrics_opts *o);

/* Returns 0, -EINVAL for options out of range, or -ENOMEM. */
int tulpen_metrics_new(struct tulpen_ctx *ctx,
		       const struct tulpen_metrics_opts *o,
		       struct tulpen_metrics **out);
void tulpen_metrics_free(struct tulpen_metrics *m);

/*
 * Collect (or join a collection already running) and render it in @fmt
 * into @out (appended). Returns 0, or a negative errno when the socket
 * walk failed; then @err (@errlen bytes) says why.
 */
int tulpen_metrics_scrape(struct tulpen_metrics *m,
			  enum tulpen_metrics_format fmt,
			  struct tulpen_buf *out, char *err, size_t errlen);

/*
 * Which format an HTTP Accept header asks for: OpenMetrics when it names
 * application/openmetrics-text with a q-value above that of text/plain
 * (and above 0), else the Prometheus text format. @accept may be NULL.
 */
enum tulpen_metrics_format tulpen_metrics_negotiate(const char *accept);

/* The Content-Type of @fmt (static). */
const char *tulpen_metrics_content_type(enum tulpen_metrics_format fmt);

/* The web config: TLS certificate and key, basic auth users. */
struct tulpen_webcfg;

/* Bytes of YAML accepted (the file is refused beyond). */
#define TULPEN_WEBCFG_MAX_SIZE (1024 * 1024)

/*
 * Parse @len bytes of YAML. Relative cert_file/key_file names are taken
 * relative to @dir (NULL: as given). Keys tulpen does not implement are
 * refused by name rather than ignored. Returns 0, -EINVAL (with @err
 * saying what and where) or -ENOMEM.
 */
int tulpen_webcfg_parse(const char *text, size_t len, const char *dir,
			struct tulpen_webcfg **out, char *err, size_t errlen);
/* Read and parse the file @path (relative names: from its folder). */
int tulpen_webcfg_load(const char *path, struct tulpen_webcfg **out, char *err,
		       size_t errlen);
void tulpen_webcfg_free(struct tulpen_webcfg *c);

/* cert_file and key_file (resolved), or NULL without TLS. */
const char *tulpen_webcfg_cert_file(const struct tulpen_webcfg *c);
const char *tulpen_webcfg_key_file(const struct tulpen_webcfg *c);
/* Number of basic auth users (0: no authentication). */
size_t tulpen_webcfg_users(const struct tulpen_webcfg *c);

/*
 * 1 when @user with @password matches a basic_auth_users entry (bcrypt,
 * through libxcrypt's crypt_rn()), else 0. A match is remembered (a
 * SHA-256 of the password, in memory) so a scraper does not pay bcrypt
 * every time.
 */
int tulpen_webcfg_auth(struct tulpen_webcfg *c, const char *user,
		       const char *password);

#endif /* TULPEN_METRICS_H */
