// SPDX-License-Identifier: MIT
/*
 * Unit tests: the resolver's deadline and that none of its threads is left
 * running after tulpen_resolver_run() returns, with a lookup that hangs
 * (through the seam) and with getnameinfo() against a DNS server that
 * never answers (a private network and mount namespace; needs root).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "tulpen/names.h"
#include "names/resolver.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int nthreads_settled(int want);

/* The entries of @dir: threads of /proc/self/task, fds of /proc/self/fd. */
static int count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The threads of this process. */
static int count_tasks(void)
{
	return count_dir("/proc/self/task");
}

static void *nothing(void *arg)
{
	return arg;
}

/*
 * The threads of this process before a test: one thread is started and
 * joined first, so that threads a runtime starts with the first one
 * (ThreadSanitizer's) are already there.
 */
static int threads_before(void)
{
	int n0 = count_tasks();
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, nothing, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	return nthreads_settled(n0);
}

/*
 * The same, once it has come down to @want: a joined thread may stay
 * listed for a moment while the kernel finishes its exit. One that still
 * runs stays listed: give up after a second.
 */
static int nthreads_settled(int want)
{
	int i, n = count_tasks();

	for (i = 0; i < 100 && n > want; i++) {
		usleep(10000);
		n = count_tasks();
	}
	return n;
}

/* Atomics: a cancelled thread's cleanup may not take locks TSan sees. */
static int entered, unwound;

static void count_unwound(void *unused)
{
	__atomic_add_fetch(&unwound, 1, __ATOMIC_SEQ_CST);
}

/* 192.0.2.1 .. 192.0.2.9 answer at once; every other address hangs. */
static int lookup_hangs(const struct sockaddr *sa, socklen_t len, char *host,
			size_t size)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const uint8_t *a = (const uint8_t *)&sin->sin_addr;

	if (sa->sa_family == AF_INET && a[0] == 192 && a[3] < 10) {
		snprintf(host, size, "host%u.example", a[3]);
		return 0;
	}
	__atomic_add_fetch(&entered, 1, __ATOMIC_SEQ_CST);
	pthread_cleanup_push(count_unwound, NULL);
	for (;;)
		poll(NULL, 0, -1); /* a cancellation point */
	pthread_cleanup_pop(0);
	return 1;
}

static void hanging_lookup_is_cancelled(void **unused)
{
	struct tulpen_resolver *r;
	int before = threads_before(), i;
	double t0, took;

	__atomic_store_n(&entered, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&unwound, 0, __ATOMIC_SEQ_CST);
	assert_int_equal(tulpen_resolver_new(4, 200, &r), 0);
	resolver_set_lookup(r, lookup_hangs);
	for (i = 1; i < 10; i++) {
		uint8_t a[4] = { 192, 0, 2, (uint8_t)i };
		uint8_t b[4] = { 198, 51, 100, (uint8_t)i };

		assert_int_equal(tulpen_resolver_add(r, AF_INET, a), 0);
		if (i < 3)
			assert_int_equal(tulpen_resolver_add(r, AF_INET, b), 0);
	}
	t0 = now();
	assert_int_equal(tulpen_resolver_run(r), 0);
	took = now() - t0;
	/* the deadline is 200 ms: it waited for it, and not much longer */
	assert_true(took >= 0.19);
	assert_true(took < 1.5);
	/* every thread that hung was unwound and joined */
	assert_int_equal(nthreads_settled(before), before);
	/* both hanging addresses were tried, and both unwound */
	assert_int_equal(__atomic_load_n(&entered, __ATOMIC_SEQ_CST), 2);
	assert_int_equal(__atomic_load_n(&unwound, __ATOMIC_SEQ_CST), 2);
	/* the quick ones have their names, the hanging ones none */
	{
		uint8_t a[4] = { 192, 0, 2, 7 };
		uint8_t b[4] = { 198, 51, 100, 1 };

		assert_non_null(tulpen_resolver_name(r, AF_INET, a));
		assert_string_equal(tulpen_resolver_name(r, AF_INET, a),
				    "host7.example");
		assert_null(tulpen_resolver_name(r, AF_INET, b));
	}
	tulpen_resolver_free(r);
}

/* Everything answers at once: run() returns without waiting the deadline. */
static void quick_lookups_do_not_wait(void **unused)
{
	struct tulpen_resolver *r;
	uint8_t a[4] = { 192, 0, 2, 3 };
	int before = threads_before();
	double t0;

	assert_int_equal(tulpen_resolver_new(8, 5000, &r), 0);
	resolver_set_lookup(r, lookup_hangs);
	assert_int_equal(tulpen_resolver_add(r, AF_INET, a), 0);
	t0 = now();
	assert_int_equal(tulpen_resolver_run(r), 0);
	assert_true(now() - t0 < 1.0);
	assert_int_equal(nthreads_settled(before), before);
	assert_non_null(tulpen_resolver_name(r, AF_INET, a));
	assert_string_equal(tulpen_resolver_name(r, AF_INET, a),
			    "host3.example");
	tulpen_resolver_free(r);
}

static int lo_up(void)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!ret)
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return ret;
}

/*
 * In the child: a private network namespace with a DNS "server" on
 * 127.0.0.1:53 that reads queries and never answers, and /etc/resolv.conf
 * pointing at it. Returns the exit status: 0 for a pass.
 */
static int blackholed_child(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(53) };
	char conf[] = "/tmp/tulpen-resolv-XXXXXX", buf[512];
	struct tulpen_resolver *r;
	uint8_t a[4] = { 192, 0, 2, 77 };
	int fd, dns, before, fds;
	double t0, took;

	if (unshare(CLONE_NEWNET | CLONE_NEWNS) || lo_up() ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return 10;
	fd = mkstemp(conf);
	if (fd < 0 || dprintf(fd, "nameserver 127.0.0.1\n"
				  "options timeout:5 attempts:3\n") < 0)
		return 11;
	close(fd);
	if (mount(conf, "/etc/resolv.conf", NULL, MS_BIND, NULL))
		return 12;
	dns = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (dns < 0 || bind(dns, (struct sockaddr *)&sin, sizeof(sin)))
		return 13;

	before = threads_before();
	fds = count_dir("/proc/self/fd");
	if (tulpen_resolver_new(2, 300, &r) ||
	    tulpen_resolver_add(r, AF_INET, a))
		return 14;
	t0 = now();
	if (tulpen_resolver_run(r))
		return 15;
	took = now() - t0;
	unlink(conf);
	if (took < 0.29 || took > 1.5)
		return 16; /* not bounded by the deadline */
	if (nthreads_settled(before) != before)
		return 17; /* a thread outlived the run */
	if (tulpen_resolver_name(r, AF_INET, a))
		return 18;
	if (count_dir("/proc/self/fd") != fds)
		return 20; /* the cancelled lookup left its socket open */
	/* the lookup really asked the silent server */
	if (recv(dns, buf, sizeof(buf), 0) <= 0)
		return 19;
	tulpen_resolver_free(r);
	return 0;
}

static void blackholed_dns_is_cancelled(void **unused)
{
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		print_message("needs root for a private network namespace\n");
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(blackholed_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hanging_lookup_is_cancelled),
		cmocka_unit_test(quick_lookups_do_not_wait),
		cmocka_unit_test(blackholed_dns_is_cancelled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
