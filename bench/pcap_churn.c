// SPDX-License-Identifier: MIT
/*
 * pcap_churn.c - many short TCP connections on loopback, for the `tulpen
 * pcap` benchmark. HTTP/1.0 style: the client (127.0.0.1, an ephemeral
 * port) connects, sends a request and reads until the server, which
 * answers and closes first, has closed; then it closes too. The server
 * ends in TIME-WAIT, so the client's ports are reused many times over,
 * as on a busy host. Every 20th connection the client aborts instead
 * (SO_LINGER 0: a RST), every 50th goes to a closed port (refused).
 * Run it in a private network namespace only.
 * Usage: pcap_churn N [PORT]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void *server(void *arg)
{
	int ls = *(int *)arg;
	char buf[512];

	for (;;) {
		int a = accept(ls, NULL, NULL);
		ssize_t n;

		if (a < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		n = read(a, buf, sizeof(buf));
		if (n > 0 && write(a, buf, (size_t)n) < 0)
			; /* the client may have reset already */
		close(a);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char req[] = "GET /churn HTTP/1.0\r\nHost: bench\r\n\r\n";
	unsigned long i, n, fails = 0;
	char buf[512];
	pthread_t t;
	int ls, one = 1, port = 18080;

	if (argc < 2) {
		fprintf(stderr, "usage: pcap_churn N [PORT]\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		port = (int)strtol(argv[2], NULL, 10);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 4096)) {
		perror("listen");
		return 1;
	}
	pthread_create(&t, NULL, server, &ls);
	for (i = 0; i < n; i++) {
		struct sockaddr_in to = sa;
		int c = socket(AF_INET, SOCK_STREAM, 0);

		if (i % 50 == 49)
			to.sin_port = htons((uint16_t)(port + 1)); /* refused */
		if (connect(c, (struct sockaddr *)&to, sizeof(to))) {
			if (i % 50 != 49)
				fails++;
			close(c);
			continue;
		}
		if (write(c, req, sizeof(req) - 1) < 0)
			fails++;
		if (i % 20 == 19) {
			struct linger lg = { 1, 0 };

			setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		} else {
			while (read(c, buf, sizeof(buf)) > 0)
				;
		}
		close(c);
	}
	printf("%lu connections, %lu failed\n", n, fails);
	return 0;
}
