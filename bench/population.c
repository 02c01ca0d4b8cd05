// SPDX-License-Identifier: MIT
/*
 * population.c - build and hold a large socket population for benchmarks
 * and scale tests.
 *
 * Runs only inside a private network namespace (never the host's: it
 * refuses to run in the network namespace of pid 1). It brings lo up, sets
 * the namespace's sysctls it needs, and forks P worker processes that each
 * hold their share of:
 *   - established TCP connections, both ends (IPv4 over many 127.x.y.z
 *     addresses, a share over IPv6 ::1),
 *   - LISTEN sockets,
 *   - FIN-WAIT-2 / CLOSE-WAIT pairs (one end shut down for writing),
 *   - UDP sockets (bound, half of them connected).
 * A keeper process holds about T TIME-WAIT sockets by re-creating them (the
 * kernel ends TIME-WAIT after 60 s): T at start, then T per 60 s; with -q
 * only the first T, so that nothing changes for a minute.
 *
 * When everything is built it prints one line "READY key=value ..." on
 * stdout (and into the -r file) and holds the population until it gets
 * SIGTERM, SIGINT or SIGHUP; then it kills its children and exits 0.
 * SIGUSR1 (or -c) starts a churn process that keeps opening and closing
 * connections (ESTABLISHED, TIME-WAIT on either side, FIN-WAIT-2/CLOSE-WAIT,
 * resets) until the end.
 *
 * Every child dies with the parent (PR_SET_PDEATHSIG).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "population.h"

struct params {
	unsigned long conns;  /* established connections */
	unsigned long procs;  /* worker processes */
	unsigned long listen; /* LISTEN sockets */
	unsigned long tw;     /* TIME-WAIT sockets to keep */
	unsigned long half;   /* FIN-WAIT-2 / CLOSE-WAIT pairs */
	unsigned long udp;    /* UDP sockets */
	unsigned long v6;     /* connections over ::1 (part of conns) */
	unsigned long churn_pool;
	unsigned long churn_rate; /* operations per second */
	int churn_now;
	int tw_once; /* TIME-WAIT made once, not kept (quiet) */
	const char *ready_file;
};

/* What one worker holds. */
struct share {
	unsigned long conns, v6, listen, half, udp;
};

int report_fd = -1; /* where a child reports (population.h) */

void die_child(int worker, int err, const char *fmt, ...)
{
	struct report r = { .worker = worker, .err = err ? err : EIO };
	va_list ap;
	ssize_t n;

	va_start(ap, fmt);
	vsnprintf(r.text, sizeof(r.text), fmt, ap);
	va_end(ap);
	if (report_fd >= 0)
		n = write(report_fd, &r, sizeof(r));
	else
		n = fprintf(stderr, "population: %s: %s\n", r.text,
			    strerror(r.err));
	(void)n;
	_exit(1);
}

static int parse_ulong(const char *s, unsigned long *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * Refuse to touch the host's network: we must be in a private netns. When
 * pid 1's namespace is visible, compare with it; in any case refuse when an
 * interface other than lo is up (a fresh namespace has none).
 */
static int check_private_netns(void)
{
	struct if_nameindex *ifs, *i;
	struct stat self, init;
	struct ifreq ifr;
	int fd, err = 0;

	if (stat("/proc/self/ns/net", &self) == 0 &&
	    stat("/proc/1/ns/net", &init) == 0 && self.st_ino == init.st_ino &&
	    self.st_dev == init.st_dev)
		return -EPERM;
	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (i = ifs; i->if_index; i++) {
		if (!strcmp(i->if_name, "lo"))
			continue;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 &&
		    (ifr.ifr_flags & IFF_UP)) {
			err = -EPERM;
			break;
		}
	}
	close(fd);
out:
	if_freenameindex(ifs);
	return err;
}

static int lo_up(void)
{
	struct ifreq ifr;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
out:
	close(fd);
	return err;
}

void sin4(struct sockaddr_in *a, unsigned b, unsigned c, unsigned d,
	  unsigned port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	a->sin_addr.s_addr = htonl(127u << 24 | (b & 255) << 16 |
				   (c & 255) << 8 | (d & 255));
}

static void sin6lo(struct sockaddr_in6 *a, unsigned port)
{
	memset(a, 0, sizeof(*a));
	a->sin6_family = AF_INET6;
	a->sin6_port = htons(port);
	a->sin6_addr = in6addr_loopback;
}

int tcp_listener(const struct sockaddr *a, socklen_t len)
{
	int one = 1;
	int fd = socket(a->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, a, len) < 0 || listen(fd, BACKLOG) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * A client socket bound to @src (port 0 with @src port 0: the kernel picks
 * it at connect time, unique per 4-tuple) and connected to @dst.
 */
int tcp_client(const struct sockaddr *src, socklen_t slen,
	       const struct sockaddr *dst, socklen_t dlen)
{
	int one = 1, err;
	int fd = socket(dst->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (src->sa_family == AF_INET &&
	    ((const struct sockaddr_in *)src)->sin_port == 0)
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
	if (bind(fd, src, slen) < 0 || connect(fd, dst, dlen) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/*
 * Worker @w: listeners on 127.1.hi.lo (hi.lo = w + 1) ports 100.., clients
 * from 127.(16 + hi).lo.(1 + i / 60000) port 1024 + i % 60000, so every
 * (address, port) is bound once and ephemeral ports never run out.
 */
static void worker_build(int w, const struct share *s, unsigned long v6_stride)
{
	unsigned id = (unsigned)w + 1, hi = id >> 8, lo = id & 255;
	unsigned long i, n, k, total = s->conns - s->v6 + s->half;
	int *lfd, lfd6 = -1;
	struct sockaddr_in src, dst;
	struct sockaddr_in6 src6, dst6;
	int cfd[BATCH];
	unsigned long nl = s->listen;

	lfd = calloc(nl ? nl : 1, sizeof(*lfd));
	if (!lfd)
		die_child(w, ENOMEM, "worker %d: listener table", w);
	for (k = 0; k < nl; k++) {
		sin4(&dst, 1, hi, lo, LPORT_BASE + k);
		lfd[k] = tcp_listener((struct sockaddr *)&dst, sizeof(dst));
		if (lfd[k] < 0)
			die_child(w, -lfd[k],
				  "worker %d: listen 127.1.%u.%u:%lu", w, hi,
				  lo, LPORT_BASE + k);
	}

	/* IPv4 connections, then the FIN-WAIT-2/CLOSE-WAIT pairs. */
	for (i = 0; i < total; i += n) {
		unsigned long lk = (i / BATCH) % nl;
		unsigned long j;

		n = total - i < BATCH ? total - i : BATCH;
		sin4(&dst, 1, hi, lo, LPORT_BASE + lk);
		for (j = 0; j < n; j++) {
			unsigned long x = i + j;

			sin4(&src, 16 + hi, lo, 1 + x / 60000,
			     1024 + x % 60000);
			cfd[j] = tcp_client(
				(struct sockaddr *)&src, sizeof(src),
				(struct sockaddr *)&dst, sizeof(dst));
			if (cfd[j] < 0)
				die_child(w, -cfd[j], "worker %d: connect #%lu",
					  w, x);
		}
		for (j = 0; j < n; j++) {
			int a = accept4(lfd[lk], NULL, NULL, SOCK_CLOEXEC);

			if (a < 0)
				die_child(w, errno, "worker %d: accept", w);
			/* the last `half` of them: client shuts down writing */
			if (i + j >= total - s->half &&
			    shutdown(cfd[j], SHUT_WR) < 0)
				die_child(w, errno, "worker %d: shutdown", w);
		}
	}

	/* IPv6 connections over ::1, client ports unique across workers. */
	if (s->v6) {
		unsigned long base =
			V6_PORT_BASE + (unsigned long)w * v6_stride;

		sin6lo(&dst6, 20000 + w);
		lfd6 = tcp_listener((struct sockaddr *)&dst6, sizeof(dst6));
		if (lfd6 < 0)
			die_child(w, -lfd6, "worker %d: listen [::1]:%d", w,
				  20000 + w);
		for (i = 0; i < s->v6; i += n) {
			unsigned long j;

			n = s->v6 - i < BATCH ? s->v6 - i : BATCH;
			for (j = 0; j < n; j++) {
				sin6lo(&src6, base + i + j);
				cfd[j] = tcp_client(
					(struct sockaddr *)&src6, sizeof(src6),
					(struct sockaddr *)&dst6, sizeof(dst6));
				if (cfd[j] < 0)
					die_child(w, -cfd[j],
						  "worker %d: "
						  "connect [::1]:%lu",
						  w, base + i + j);
			}
			for (j = 0; j < n; j++)
				if (accept4(lfd6, NULL, NULL, SOCK_CLOEXEC) < 0)
					die_child(w, errno,
						  "worker %d: accept6", w);
		}
	}

	/* UDP: bound to 127.4.hi.lo, every other one connected. */
	for (i = 0; i < s->udp; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die_child(w, errno, "worker %d: udp socket", w);
		sin4(&src, 4, hi, lo, 1024 + i);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
			die_child(w, errno, "worker %d: udp bind", w);
		sin4(&dst, 5, hi, lo, 5353);
		if (i % 2 &&
		    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
			die_child(w, errno, "worker %d: udp connect", w);
	}
	free(lfd); /* the descriptors stay open */
}

static void child_common(const char *name)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_NAME, name);
}

void hold_forever(void)
{
	for (;;)
		pause();
}

static pid_t *children;
static unsigned long nchildren;

static void kill_children(void)
{
	unsigned long i;

	for (i = 0; i < nchildren; i++)
		if (children[i] > 0)
			kill(children[i], SIGKILL);
	for (i = 0; i < nchildren; i++)
		if (children[i] > 0)
			while (waitpid(children[i], NULL, 0) < 0 &&
			       errno == EINTR)
				;
}

static pid_t spawn(void)
{
	pid_t pid = fork();

	if (pid > 0)
		children[nchildren++] = pid;
	return pid;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: population [-n CONNS] [-P PROCS] [-l LISTEN]\n"
		"         [-w TIMEWAIT] [-f FINWAIT2_PAIRS] [-u UDP]\n"
		"         [-6 V6_CONNS] [-q] [-c] [-C CHURN_POOL]\n"
		"         [-R CHURN_RATE] [-r READY_FILE]\n"
		"Builds the sockets inside the current (private) network "
		"namespace,\n"
		"prints READY and holds them until SIGTERM/SIGINT. SIGUSR1 or "
		"-c\n"
		"starts churn (connections opening and closing). -q: make the\n"
		"TIME-WAIT sockets once (they end after 60 s) instead of "
		"keeping\n"
		"them, for a population that stays unchanged for a minute.\n");
}

static int opt_ulong(const char *name, const char *s, unsigned long *v)
{
	if (parse_ulong(s, v) < 0) {
		fprintf(stderr, "population: bad number for %s: '%s'\n", name,
			s);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct params *p)
{
	int have_l = 0, have_w = 0, have_f = 0, have_u = 0, have_6 = 0;
	int have_p = 0, c, err = 0;

	memset(p, 0, sizeof(*p));
	p->conns = 1000;
	p->churn_pool = 2000;
	p->churn_rate = 5000;
	while ((c = getopt(argc, argv, "n:P:l:w:f:u:6:qcC:R:r:h")) != -1) {
		switch (c) {
		case 'n':
			err = opt_ulong("-n", optarg, &p->conns);
			break;
		case 'P':
			err = opt_ulong("-P", optarg, &p->procs);
			have_p = 1;
			break;
		case 'l':
			err = opt_ulong("-l", optarg, &p->listen);
			have_l = 1;
			break;
		case 'w':
			err = opt_ulong("-w", optarg, &p->tw);
			have_w = 1;
			break;
		case 'f':
			err = opt_ulong("-f", optarg, &p->half);
			have_f = 1;
			break;
		case 'u':
			err = opt_ulong("-u", optarg, &p->udp);
			have_u = 1;
			break;
		case '6':
			err = opt_ulong("-6", optarg, &p->v6);
			have_6 = 1;
			break;
		case 'q':
			p->tw_once = 1;
			break;
		case 'c':
			p->churn_now = 1;
			break;
		case 'C':
			err = opt_ulong("-C", optarg, &p->churn_pool);
			break;
		case 'R':
			err = opt_ulong("-R", optarg, &p->churn_rate);
			break;
		case 'r':
			p->ready_file = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind != argc) {
		fprintf(stderr, "population: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	if (!have_w)
		p->tw = p->conns / 50;
	if (!have_f)
		p->half = p->conns / 50;
	if (!have_u)
		p->udp = p->conns / 100;
	if (!have_6)
		p->v6 = p->conns / 100;
	if (p->v6 > p->conns)
		p->v6 = p->conns;
	if (!have_p)
		p->procs = 0; /* decided once the fd limit is known */
	if (!have_l)
		p->listen = 0;
	if (p->churn_pool == 0) {
		fprintf(stderr, "population: -C must be > 0\n");
		return -EINVAL;
	}
	return 0;
}

static unsigned long share_of(unsigned long total, unsigned long procs,
			      unsigned long w)
{
	return total / procs + (w < total % procs);
}

static unsigned long share_fds(const struct share *s)
{
	return 2 * s->conns + 2 * s->half + s->udp + s->listen + 1;
}

/* A private namespace, lo up, the sysctls the population needs. */
static int setup_netns(void)
{
	static const char *const sys[][2] = {
		{ "/proc/sys/net/ipv4/ip_local_port_range", "1024 65535" },
		{ "/proc/sys/net/ipv4/tcp_max_tw_buckets", "4000000" },
		{ "/proc/sys/net/core/somaxconn", "65535" },
		{ "/proc/sys/net/ipv4/tcp_max_syn_backlog", "65535" },
	};
	size_t i;
	int err = check_private_netns();

	if (err == -EPERM) {
		fprintf(stderr, "population: refusing to run in the host's "
				"network namespace; use ip netns exec or "
				"unshare -n\n");
		return 1;
	} else if (err < 0) {
		fprintf(stderr,
			"population: cannot compare network "
			"namespaces: %s\n",
			strerror(-err));
		return 1;
	}
	err = lo_up();
	if (err < 0) {
		fprintf(stderr, "population: bringing lo up: %s\n",
			strerror(-err));
		return 1;
	}
	/* Namespace-local sysctls; failures are not fatal but reported. */
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
		err = write_file(sys[i][0], sys[i][1]);
		if (err < 0)
			fprintf(stderr, "population: %s: %s\n", sys[i][0],
				strerror(-err));
	}
	return 0;
}

static struct share share_at(const struct params *p, unsigned long w)
{
	struct share s = {
		.conns = share_of(p->conns, p->procs, w),
		.v6 = share_of(p->v6, p->procs, w),
		.listen = share_of(p->listen, p->procs, w),
		.half = share_of(p->half, p->procs, w),
		.udp = share_of(p->udp, p->procs, w),
	};

	return s;
}

/* Processes and listeners for the fd limit; 0 or the exit status. */
static int plan(struct params *p)
{
	unsigned long w, fds_per, limit, max_fds = 0;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	limit = rl.rlim_cur == RLIM_INFINITY ? 1000000 : rl.rlim_cur;
	if (limit <= FD_SLACK * 2) {
		fprintf(stderr, "population: fd limit %lu too small\n", limit);
		return 1;
	}
	fds_per = limit - FD_SLACK;
	if (!p->procs) {
		unsigned long need = 2 * p->conns + 2 * p->half + p->udp + 64;

		p->procs = (need + fds_per - 1) / fds_per;
		if (p->procs < 4)
			p->procs = 4;
	}
	if (!p->listen)
		p->listen =
			p->conns / 100 > p->procs ? p->conns / 100 : p->procs;
	if (p->listen < p->procs) {
		fprintf(stderr,
			"population: need at least one listener per "
			"process (-l %lu < -P %lu)\n",
			p->listen, p->procs);
		return 2;
	}
	if (p->procs > 10000 || p->listen / p->procs + 1 > LPORT_MAX ||
	    (p->v6 / p->procs + 1) * p->procs > V6_MAX) {
		fprintf(stderr,
			"population: too many processes, listeners or "
			"IPv6 connections per process (IPv6 at most %d "
			"in all)\n",
			V6_MAX);
		return 2;
	}
	for (w = 0; w < p->procs; w++) {
		struct share s = share_at(p, w);

		if (share_fds(&s) > max_fds)
			max_fds = share_fds(&s);
	}
	if (max_fds > fds_per) {
		fprintf(stderr,
			"population: %lu fds per process exceed the "
			"limit %lu; use more processes (-P)\n",
			max_fds, fds_per);
		return 2;
	}
	return 0;
}

/* The workers and the TIME-WAIT keeper, reporting on @wfd. */
static int start_children(const struct params *p, int rfd, int wfd)
{
	unsigned long w;
	pid_t pid;

	for (w = 0; w < p->procs; w++) {
		pid = spawn();
		if (pid < 0) {
			perror("population: fork");
			kill_children();
			return 1;
		}
		if (pid == 0) {
			struct share s = share_at(p, w);
			struct report r = { .worker = (int)w };
			char name[32]; /* comm keeps the first 15 */

			snprintf(name, sizeof(name), "tpop-w%lu", w);
			child_common(name);
			close(rfd);
			report_fd = wfd;
			worker_build((int)w, &s, p->v6 / p->procs + 1);
			if (write(wfd, &r, sizeof(r)) != sizeof(r))
				_exit(1);
			close(wfd);
			hold_forever();
		}
	}
	pid = spawn();
	if (pid == 0) {
		child_common("tpop-tw");
		close(rfd);
		report_fd = wfd;
		tw_keeper(p->tw, p->tw_once, wfd);
	}
	return 0;
}

/* Every child's report: 0 when all built, else the exit status. */
static int wait_built(const struct params *p, int rfd)
{
	unsigned long done = 0;

	while (done < p->procs + 1) {
		struct report r;
		ssize_t n = read(rfd, &r, sizeof(r));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(r)) {
			fprintf(stderr, "population: a child died while "
					"building\n");
			kill_children();
			return 1;
		}
		if (r.err) {
			fprintf(stderr, "population: %s: %s\n", r.text,
				strerror(r.err));
			kill_children();
			return 1;
		}
		done++;
	}
	return 0;
}

/* "READY key=value ..." on stdout and into the -r file. */
static void announce(const struct params *p)
{
	unsigned long listeners =
		p->listen + (p->v6 < p->procs ? p->v6 : p->procs);
	char line[512];
	FILE *rf;

	snprintf(line, sizeof(line),
		 "READY pid=%d procs=%lu conns=%lu v6=%lu listen=%lu "
		 "timewait=%lu finwait2=%lu closewait=%lu udp=%lu "
		 "tcp_sockets=%lu socket_fds=%lu\n",
		 (int)getpid(), p->procs, p->conns, p->v6, listeners, p->tw,
		 p->half, p->half, p->udp,
		 2 * p->conns + 2 * p->half + listeners + 1 + p->tw,
		 2 * p->conns + 2 * p->half + listeners + 1 + p->udp);
	fputs(line, stdout);
	fflush(stdout);
	if (!p->ready_file)
		return;
	rf = fopen(p->ready_file, "we");
	if (rf) {
		fputs(line, rf);
		fclose(rf);
	} else {
		perror(p->ready_file);
	}
}

/* Hold until a signal ends it; SIGUSR1 starts the churn. */
static int hold(const struct params *p, const sigset_t *mask)
{
	int churning = 0;

	if (p->churn_now)
		raise(SIGUSR1);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(mask, &si);

		if (sig < 0)
			continue;
		if (sig == SIGUSR1) {
			if (churning)
				continue;
			churning = 1;
			if (spawn() == 0) {
				child_common("tpop-churn");
				churn(p->churn_pool, p->churn_rate);
			}
			continue;
		}
		if (sig == SIGCHLD) {
			/* a child must never end on its own */
			fprintf(stderr,
				"population: child %d ended "
				"unexpectedly\n",
				(int)si.si_pid);
			kill_children();
			return 1;
		}
		break;
	}
	kill_children();
	return 0;
}

int main(int argc, char **argv)
{
	struct params p;
	int pipefd[2], ret;
	sigset_t mask;

	if (parse_args(argc, argv, &p) < 0)
		return 2;
	ret = setup_netns();
	if (!ret)
		ret = plan(&p);
	if (ret)
		return ret;
	children = calloc(p.procs + 2, sizeof(*children));
	if (!children || pipe2(pipefd, O_CLOEXEC) < 0) {
		perror("population");
		return 1;
	}
	/* Signals are taken synchronously; children unblock them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	ret = start_children(&p, pipefd[0], pipefd[1]);
	close(pipefd[1]);
	if (!ret)
		ret = wait_built(&p, pipefd[0]);
	close(pipefd[0]);
	if (ret)
		return ret;
	announce(&p);
	return hold(&p, &mask);
}
