// SPDX-License-Identifier: MIT
/*
 * measure.c - run one command and report its wall time and peak memory.
 *
 * usage: measure [-t TIMEOUT_S] [-o OUT] [-e ERR] -- COMMAND [ARGS...]
 *
 * The command's stdout goes to OUT (default /dev/null), stderr to ERR
 * (default /dev/null), stdin is /dev/null. It runs in its own process group;
 * after TIMEOUT_S seconds (default: none) the group is killed. measure
 * prints one line on its own stdout:
 *
 *     <wall seconds> <max RSS KiB> <status>
 *
 * where status is "exit=N", "signal=N" or "timeout". The max RSS comes from
 * wait4()'s rusage (the command and the descendants it waited for). measure
 * exits 0 when it could run the command, whatever the command's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int redirect(const char *path, int target, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0)
		return -1;
	if (fd != target) {
		if (dup2(fd, target) < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int parse_timeout(const char *s, double *t)
{
	char *end;

	errno = 0;
	*t = strtod(s, &end);
	if (errno || end == s || *end || *t < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = "/dev/null", *err = "/dev/null";
	double timeout = 0, t0, t1;
	struct rusage ru;
	int c, status, pidfd, timed_out = 0;
	pid_t pid;

	while ((c = getopt(argc, argv, "+t:o:e:")) != -1) {
		switch (c) {
		case 't':
			if (parse_timeout(optarg, &timeout) < 0) {
				fprintf(stderr, "measure: bad timeout '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'e':
			err = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc)
		goto usage;

	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("measure: fork");
		return 1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		if (redirect("/dev/null", 0, O_RDONLY) < 0 ||
		    redirect(out, 1, O_WRONLY | O_CREAT | O_TRUNC) < 0 ||
		    redirect(err, 2, O_WRONLY | O_CREAT | O_TRUNC) < 0)
			_exit(126);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	setpgid(pid, pid);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (timeout > 0 && pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		double left;

		for (;;) {
			left = t0 + timeout - now();
			if (left <= 0) {
				timed_out = 1;
				kill(-pid, SIGKILL);
				kill(pid, SIGKILL);
				break;
			}
			if (poll(&p, 1, (int)(left * 1000) + 1) > 0)
				break;
		}
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("measure: wait4");
			return 1;
		}
	}
	t1 = now();
	if (timed_out)
		printf("%.6f %ld timeout\n", t1 - t0, ru.ru_maxrss);
	else if (WIFSIGNALED(status))
		printf("%.6f %ld signal=%d\n", t1 - t0, ru.ru_maxrss,
		       WTERMSIG(status));
	else
		printf("%.6f %ld exit=%d\n", t1 - t0, ru.ru_maxrss,
		       WEXITSTATUS(status));
	return 0;
usage:
	fprintf(stderr,
		"usage: measure [-t TIMEOUT_S] [-o OUT] [-e ERR] -- CMD...\n");
	return 2;
}
