// SPDX-License-Identifier: MIT
/*
 * cmd_serve.c - `tulpen serve`: the metrics of lib/metrics over HTTP
 * (libmicrohttpd), for Prometheus.
 *
 * Paths: /metrics (Prometheus text or OpenMetrics, by the Accept header),
 * / (an index), /healthz; anything else 404, a method other than GET or
 * HEAD 405. Abuse is bounded by libmicrohttpd (connections, memory per
 * connection, which bounds the request line and headers, the idle
 * timeout) and here (header count, no request bodies). The epoll thread
 * pool serves slow clients without tying up a thread, so they do not delay
 * a scrape; concurrent scrapes share one collection (lib/metrics).
 *
 * The transition counters come from the eBPF programs of lib/watch loaded
 * for counts only (tulpen/watch_counts.h), in the network namespace serve
 * runs in; when they cannot be loaded the metrics are dropped, saying why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/capability.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef TULPEN_HAVE_LIBBPF
#include <bpf/libbpf.h>
#endif

#include "tulpen/ctx.h"
#include "tulpen/metrics.h"
#include "tulpen/watch_counts.h"
#include "cli_util.h"
#include "commands.h"

/* The library's notes on standard error. */
static struct cli_notes notes = { "serve", 0, 0 };

#define CMD "serve"
#define DEFAULT_LISTEN "127.0.0.1:9829"
#define MAX_HEADERS 100
#define MAX_PEM (1024 * 1024)
#define POOL_THREADS 16

/* Every long option of longopts[] is listed (tests/cli/conventions.py). */
static const char usage[] =
	"Usage: tulpen serve [ OPTIONS ]\n"
	"Serve socket metrics for Prometheus: /metrics (text format or "
	"OpenMetrics),\n"
	"/ and /healthz.\n"
	"\n"
	"   -h, --help               this message\n"
	"   -V, --version            output version information\n"
	"   -l, --listen=ADDR:PORT   where to listen (default "
	"127.0.0.1:9829;\n"
	"                            [::1]:9829 for IPv6, PORT 0 picks one)\n"
	"       --web-config=FILE    TLS and basic auth: the exporter "
	"toolkit's\n"
	"                            web config YAML (docs/metrics.md)\n"
	"       --top-k=N            listeners and processes with their own "
	"series,\n"
	"                            the rest summed as \"other\" (default "
	"10, max 1000)\n"
	"       --owners-max-age=DURATION  reuse the process scan for "
	"CLOSE-WAIT\n"
	"                            owners this long (default 30s)\n"
	"       --no-owners          no CLOSE-WAIT per process (no process "
	"scan)\n"
	"       --all-netns          every network namespace: host totals, "
	"and the states\n"
	"                            of the top K namespaces with netns and "
	"container\n"
	"                            labels (default: the namespace serve runs "
	"in)\n"
	"       --no-transitions     no transition counters or connection "
	"durations\n"
	"                            (no eBPF programs)\n"
	"       --doctor-every=DURATION  run tulpen doctor this often and "
	"export\n"
	"                            its findings (default: never)\n"
	"       --max-connections=N  HTTP connections at once (default 256)\n"
	"       --timeout=DURATION   close a connection idle this long "
	"(default 10s)\n"
	"\n"
	"See docs/metrics.md for the metrics and contrib/ for Prometheus, "
	"Grafana\n"
	"and systemd.\n";

enum {
	OPT_WEB_CONFIG = 256,
	OPT_TOP_K,
	OPT_OWNERS_MAX_AGE,
	OPT_NO_OWNERS,
	OPT_DOCTOR_EVERY,
	OPT_MAX_CONN,
	OPT_TIMEOUT,
	OPT_NO_TRANSITIONS,
	OPT_ALL_NETNS,
};

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "web-config", required_argument, NULL, OPT_WEB_CONFIG },
	{ "top-k", required_argument, NULL, OPT_TOP_K },
	{ "owners-max-age", required_argument, NULL, OPT_OWNERS_MAX_AGE },
	{ "no-owners", no_argument, NULL, OPT_NO_OWNERS },
	{ "no-transitions", no_argument, NULL, OPT_NO_TRANSITIONS },
	{ "all-netns", no_argument, NULL, OPT_ALL_NETNS },
	{ "doctor-every", required_argument, NULL, OPT_DOCTOR_EVERY },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONN },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct serve_opts {
	const char *listen;
	const char *web_config;
	struct tulpen_metrics_opts m;
	unsigned int max_conn;
	unsigned int timeout_s;
	int no_transitions;
	char counts_why[300]; /* why the eBPF counts are not there */
};

struct server {
	struct tulpen_metrics *metrics;
	struct tulpen_webcfg *web;
	struct sockaddr_storage addr;
	char where[80]; /* "127.0.0.1:9829" */
};

/* "127.0.0.1:9829", "[::1]:9829", "0.0.0.0:9829". */
static int parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2], err[128];
	size_t hl;
	uint64_t port;

	if (!colon)
		return cli_usage_error(CMD, "--listen: '%s' is not ADDR:PORT",
				       s);
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return cli_usage_error(CMD, "--listen: '%s': address too long",
				       s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (cli_parse_uint("--listen", colon + 1, 0, 65535, &port, err,
			   sizeof(err)))
		return cli_usage_error(CMD, "%s", err);
	memset(ss, 0, sizeof(*ss));
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		goto bad;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	return 0;
bad:
	return cli_usage_error(CMD,
			       "--listen: '%s' is not an IPv4 address "
			       "or an IPv6 one in brackets",
			       host);
}

static int parse_duration_s(const char *what, const char *s, uint64_t min_ns,
			    uint64_t *ns)
{
	const struct cli_duration d = {
		.unit_ns = CLI_NSEC_PER_SEC,
		.min_ns = min_ns,
		.max_ns = 86400 * CLI_NSEC_PER_SEC,
	};
	char err[160];

	if (cli_parse_duration(what, s, &d, ns, err, sizeof(err)))
		return cli_usage_error(CMD, "%s", err);
	return 0;
}

static int parse_number(const char *what, const char *s, uint64_t min,
			uint64_t max, unsigned int *out)
{
	char err[160];
	uint64_t v;

	if (cli_parse_uint(what, s, min, max, &v, err, sizeof(err)))
		return cli_usage_error(CMD, "%s", err);
	*out = (unsigned int)v;
	return 0;
}

static int bad_option(int c, char **argv)
{
	char err[128];

	cli_getopt_error(c, argv, longopts, err, sizeof(err));
	return cli_usage_error(CMD, "%s", err);
}

/* One option; -1 to go on, else the exit code. */
static int parse_one(int c, char **argv, struct serve_opts *o)
{
	uint64_t ns;

	switch (c) {
	case 'l':
		o->listen = optarg;
		return -1;
	case OPT_WEB_CONFIG:
		o->web_config = optarg;
		return -1;
	case OPT_TOP_K:
		if (parse_number("--top-k", optarg, 1, TULPEN_METRICS_TOP_K_MAX,
				 &o->m.top_k))
			return CLI_EXIT_USAGE;
		return -1;
	case OPT_OWNERS_MAX_AGE:
		if (parse_duration_s("--owners-max-age", optarg, 0, &ns))
			return CLI_EXIT_USAGE;
		o->m.owners_max_age_ms = ns / CLI_NSEC_PER_MSEC;
		return -1;
	case OPT_NO_OWNERS:
		o->m.owners = 0;
		return -1;
	case OPT_NO_TRANSITIONS:
		o->no_transitions = 1;
		return -1;
	case OPT_ALL_NETNS:
		o->m.all_netns = 1;
		return -1;
	case OPT_DOCTOR_EVERY:
		/* a run takes a second: more often makes no sense */
		if (parse_duration_s("--doctor-every", optarg,
				     2 * CLI_NSEC_PER_SEC, &ns))
			return CLI_EXIT_USAGE;
		o->m.doctor_every_ms = ns / CLI_NSEC_PER_MSEC;
		return -1;
	case OPT_MAX_CONN:
		if (parse_number("--max-connections", optarg, 4, 65536,
				 &o->max_conn))
			return CLI_EXIT_USAGE;
		return -1;
	case OPT_TIMEOUT:
		if (parse_duration_s("--timeout", optarg, CLI_NSEC_PER_SEC,
				     &ns))
			return CLI_EXIT_USAGE;
		o->timeout_s = (unsigned int)((ns + CLI_NSEC_PER_SEC - 1) /
					      CLI_NSEC_PER_SEC);
		return -1;
	case 'h':
		return cli_help(CMD, usage);
	case 'V':
		return cli_version("serve");
	default:
		return bad_option(c, argv);
	}
}

static int parse(int argc, char **argv, struct serve_opts *o)
{
	int c, ret;

	memset(o, 0, sizeof(*o));
	tulpen_metrics_opts_default(&o->m);
	o->max_conn = 256;
	o->timeout_s = 10;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":hVl:", longopts, NULL)) != -1) {
		ret = parse_one(c, argv, o);
		if (ret >= 0)
			return ret;
	}
	if (optind < argc)
		return cli_usage_error(CMD, "unexpected argument '%s'",
				       argv[optind]);
	return -1;
}

/* Whether we may read the fds of other users' processes. */
static int can_read_owners(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	uint32_t need = (1u << CAP_SYS_PTRACE) | (1u << CAP_DAC_READ_SEARCH);

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return 0;
	return (d[0].effective & need) == need;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code,
			     const char *type, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (code == MHD_HTTP_UNAUTHORIZED)
		ret = MHD_queue_basic_auth_fail_response(conn, "tulpen", r);
	else
		ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *conn, unsigned int code,
			    const char *msg)
{
	return reply(conn, code, "text/plain; charset=utf-8", (char *)msg,
		     strlen(msg), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result serve_metrics(struct server *srv,
				     struct MHD_Connection *conn)
{
	const char *accept =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
	enum tulpen_metrics_format f = tulpen_metrics_negotiate(accept);
	struct tulpen_buf b;
	char err[300], msg[400];
	int ret;

	if (tulpen_buf_init(&b, 0, NULL, NULL))
		return text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "out of memory\n");
	ret = tulpen_metrics_scrape(srv->metrics, f, &b, err, sizeof(err));
	if (ret) {
		tulpen_buf_fini(&b);
		snprintf(msg, sizeof(msg), "collection failed: %s\n", err);
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     "text/plain; charset=utf-8", msg, strlen(msg),
			     MHD_RESPMEM_MUST_COPY);
	}
	/* the response takes the buffer and free()s it */
	return reply(conn, MHD_HTTP_OK, tulpen_metrics_content_type(f), b.data,
		     b.len, MHD_RESPMEM_MUST_FREE);
}

static const char index_page[] =
	"<!DOCTYPE html>\n<html><head><title>tulpen serve</title></head>\n"
	"<body><h1>tulpen serve</h1>\n"
	"<p>Sockets, TCP states and listen queues of this host for "
	"Prometheus.</p>\n"
	"<ul><li><a href=\"/metrics\">/metrics</a></li>\n"
	"<li><a href=\"/healthz\">/healthz</a></li></ul>\n"
	"</body></html>\n";

/* A request carries a body: a GET does not need one, and none is read. */
static int has_body(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     "Content-Length");

	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					"Transfer-Encoding"))
		return 1;
	return cl && strcmp(cl, "0");
}

static int authorised(struct server *srv, struct MHD_Connection *conn)
{
	char *user, *pass = NULL;
	int ok;

	if (!tulpen_webcfg_users(srv->web))
		return 1;
	user = MHD_basic_auth_get_username_password(conn, &pass);
	ok = user && pass && tulpen_webcfg_auth(srv->web, user, pass);
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	static int first_seen;
	struct server *srv = cls;

	/*
	 * Answer on the second call, when the request is complete, so the
	 * connection stays open for the next scrape; a request that would
	 * send a body is refused at once (and its connection closed).
	 */
	if (!*req_cls && !has_body(conn)) {
		*req_cls = &first_seen;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* never reached: bodies are refused */
		return MHD_YES;
	}
	if (MHD_get_connection_values(conn, MHD_HEADER_KIND, NULL, NULL) >
	    MAX_HEADERS)
		return text(conn, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
			    "too many header fields\n");
	if (!authorised(srv, conn))
		return text(conn, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "only GET and HEAD\n");
	if (has_body(conn))
		return text(conn, MHD_HTTP_CONTENT_TOO_LARGE,
			    "no request body is accepted\n");
	if (!strcmp(url, "/metrics"))
		return serve_metrics(srv, conn);
	if (!strcmp(url, "/healthz"))
		return text(conn, MHD_HTTP_OK, "ok\n");
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8",
			     (char *)index_page, sizeof(index_page) - 1,
			     MHD_RESPMEM_PERSISTENT);
	return text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	/* per-connection noise (resets, bad requests) is not an error */
	if (strstr(msg, "onnection") || strstr(msg, "TLS") ||
	    strstr(msg, "request"))
		return;
	fprintf(stderr, "tulpen serve: libmicrohttpd: %s\n", msg);
}

/* Read a PEM file into a NUL-terminated buffer. */
static int read_pem(const char *path, char **out)
{
	char *buf = malloc(MAX_PEM + 1);
	size_t len = 0;
	ssize_t r;
	int fd, ret = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	while (len < MAX_PEM) {
		r = read(fd, buf + len, MAX_PEM - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			ret = -errno;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (!ret && (len == MAX_PEM || !len))
		ret = -EFBIG;
	if (ret) {
		free(buf);
		return ret;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

static struct MHD_Daemon *start(struct server *srv, const struct serve_opts *o,
				const char *cert, const char *key)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_USE_ERROR_LOG;

	if (srv->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cert)
		flags |= MHD_USE_TLS;
	/* clang-format off: one option and its value a line */
	return MHD_start_daemon(
		flags, 0, NULL, NULL, handle, srv, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&srv->addr, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned int)POOL_THREADS, MHD_OPTION_CONNECTION_LIMIT,
		o->max_conn, MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
		MHD_OPTION_STRICT_FOR_CLIENT, 1,
		/* without TLS the list ends here */
		cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
		MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	/* clang-format on */
}

static void describe(struct server *srv, struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *info;
	char host[INET6_ADDRSTRLEN];
	const void *a;
	int v6 = srv->addr.ss_family == AF_INET6;
	unsigned int port = 0;

	a = v6 ? (const void *)&((struct sockaddr_in6 *)&srv->addr)->sin6_addr
	       : (const void *)&((struct sockaddr_in *)&srv->addr)->sin_addr;
	inet_ntop(srv->addr.ss_family, a, host, sizeof(host));
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info)
		port = info->port;
	snprintf(srv->where, sizeof(srv->where), v6 ? "[%s]:%u" : "%s:%u", host,
		 port);
}

/* The warnings about what is exposed, and what is left out. */
static void warn(const struct server *srv, const struct serve_opts *o, int tls)
{
	int auth = tulpen_webcfg_users(srv->web) > 0;

	if (!is_loopback(&srv->addr) && (!tls || !auth))
		fprintf(stderr,
			"tulpen serve: warning: listening on %s without %s: "
			"anyone who can reach it can %s (see --web-config)\n",
			srv->where,
			!tls && !auth ? "TLS or basic auth"
			: !tls	      ? "TLS"
				      : "basic auth",
			!auth ? "read the metrics"
			      : "read the passwords on the wire");
	if (!o->m.owners)
		fprintf(stderr, "tulpen serve: metrics dropped: "
				"tulpen_tcp_close_wait_sockets_by_process "
				"(--no-owners, or no CAP_SYS_PTRACE and "
				"CAP_DAC_READ_SEARCH to read other processes' "
				"sockets)\n");
	if (!o->m.counts)
		fprintf(stderr,
			"tulpen serve: metrics dropped: "
			"tulpen_tcp_transitions_total, "
			"tulpen_tcp_connection_duration_seconds, "
			"tulpen_tcp_connection_lifetimes_untracked_total "
			"(%s)\n",
			o->counts_why);
}

/* libbpf's own messages: the library's error names the cause. */
#ifdef TULPEN_HAVE_LIBBPF
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return 0;
}
#endif

/*
 * The eBPF counts, for the namespace serve runs in; on failure the
 * reason goes into o->counts_why and the metrics are left out.
 */
static void open_counts(struct tulpen_ctx *ctx, struct serve_opts *o,
			struct tulpen_watch_bpf **wb)
{
	struct stat st;
	int err;

	*wb = NULL;
	if (o->no_transitions) {
		snprintf(o->counts_why, sizeof(o->counts_why),
			 "--no-transitions");
		return;
	}
	if (stat("/proc/self/ns/net", &st)) {
		snprintf(o->counts_why, sizeof(o->counts_why),
			 "/proc/self/ns/net: %s", strerror(errno));
		return;
	}
#ifdef TULPEN_HAVE_LIBBPF
	libbpf_set_print(libbpf_quiet);
#endif
	/* --all-netns: every namespace's transitions (filter 0) */
	err = tulpen_watch_counts_open(
		ctx, o->m.all_netns ? 0 : (uint32_t)st.st_ino, 0, wb);
	if (err) {
		snprintf(o->counts_why, sizeof(o->counts_why), "%s",
			 tulpen_ctx_errmsg(ctx)[0] ? tulpen_ctx_errmsg(ctx)
						   : strerror(-err));
		tulpen_ctx_clearerr(ctx);
		return;
	}
	o->m.counts = *wb;
}

static int load_tls(const struct serve_opts *o, struct tulpen_webcfg *web,
		    char **cert, char **key)
{
	const char *cf = tulpen_webcfg_cert_file(web);
	const char *kf = tulpen_webcfg_key_file(web);
	int ret;

	if (!cf)
		return 0;
	ret = read_pem(cf, cert);
	if (ret)
		return cli_error(CMD, "--web-config %s: cert_file %s: %s",
				 o->web_config, cf, strerror(-ret));
	ret = read_pem(kf, key);
	if (ret)
		return cli_error(CMD, "--web-config %s: key_file %s: %s",
				 o->web_config, kf, strerror(-ret));
	return 0;
}

static int run(struct server *srv, struct serve_opts *o)
{
	char *cert = NULL, *key = NULL, err[300];
	struct tulpen_watch_bpf *wb = NULL;
	struct tulpen_ctx *ctx = NULL;
	struct MHD_Daemon *d = NULL;
	sigset_t set;
	int ret, sig;

	if (o->web_config &&
	    tulpen_webcfg_load(o->web_config, &srv->web, err, sizeof(err)))
		return cli_error(CMD, "--web-config %s: %s", o->web_config,
				 err);
	ret = load_tls(o, srv->web, &cert, &key);
	if (ret)
		goto out;
	if (tulpen_ctx_new(&ctx)) {
		ret = cli_error(CMD, "out of memory");
		goto out;
	}
	open_counts(ctx, o, &wb);
	if (tulpen_metrics_new(ctx, &o->m, &srv->metrics)) {
		ret = cli_error(CMD, "out of memory");
		goto out;
	}
	tulpen_ctx_set_note(ctx, cli_note, &notes);
	/*
	 * Few malloc arenas: each pool thread would otherwise get its own,
	 * and the RSS would grow with the threads that ever answered.
	 */
	mallopt(M_ARENA_MAX, 2);
	/* the pool threads inherit the mask: signals come to sigwait() */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	d = start(srv, o, cert, key);
	if (!d) {
		ret = cli_error(CMD,
				"cannot listen on %s (in use, or "
				"the TLS certificate or key is bad)",
				o->listen);
		goto out;
	}
	describe(srv, d);
	fprintf(stderr, "tulpen serve: listening on %s://%s/metrics\n",
		cert ? "https" : "http", srv->where);
	warn(srv, o, cert != NULL);
	ret = CLI_EXIT_OK;
	if (sigwait(&set, &sig))
		ret = CLI_EXIT_RUNTIME;
out:
	if (d)
		MHD_stop_daemon(d);
	tulpen_metrics_free(srv->metrics);
	tulpen_watch_bpf_close(wb);
	tulpen_ctx_free(ctx);
	tulpen_webcfg_free(srv->web);
	free(cert);
	free(key);
	return ret;
}

int cmd_serve(int argc, char **argv)
{
	struct server srv;
	struct serve_opts o;
	int ret;

	ret = parse(argc, argv, &o);
	if (ret >= 0)
		return ret;
	memset(&srv, 0, sizeof(srv));
	if (!o.listen)
		o.listen = DEFAULT_LISTEN;
	ret = parse_listen(o.listen, &srv.addr);
	if (ret)
		return ret;
	if (o.m.owners && !can_read_owners()) {
		o.m.owners = 0;
		fprintf(stderr, "tulpen serve: warning: not allowed to read "
				"other processes' file descriptors\n");
	}
	return run(&srv, &o);
}
