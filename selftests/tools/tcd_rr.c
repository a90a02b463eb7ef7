// SPDX-License-Identifier: GPL-2.0
/*
 * TCP request/response latency: tcd_rr server PORT | tcd_rr client ADDR PORT N SIZE
 * The client sends SIZE bytes, waits for the SIZE-byte echo, N times, on one
 * connection with TCP_NODELAY, and prints "p50_us=.. p99_us=.. n=..".
 * tcd_rr conns ADDR PORT N SIZE: N fresh connections one after another, each
 * one request/response of SIZE bytes then close; prints "conns_per_s=..
 * p50_us=.. p99_us=.. n=.." (a connection's whole life, handshake included).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static int full_io(int fd, char *buf, size_t len, int wr)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = wr ? write(fd, buf + done, len - done) : read(fd, buf + done, len - done);

		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static int server(const char *port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(atoi(port)) };
	int one = 1, zero = 0, fd = socket(AF_INET6, SOCK_STREAM, 0), c;
	char buf[65536];

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 8)) {
		perror("tcd_rr: bind/listen");
		return 1;
	}
	while ((c = accept(fd, NULL, NULL)) >= 0) {
		ssize_t n;

		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (full_io(c, buf, n, 1))
				break;
		close(c);
	}
	return 0;
}

static int client(const char *addr, const char *port, long n, long size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	unsigned long long *lat;
	char *buf;
	int fd, one = 1;
	long i;

	if (getaddrinfo(addr, port, &hints, &ai)) {
		fprintf(stderr, "tcd_rr: bad address %s\n", addr);
		return 1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		perror("tcd_rr: connect");
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	lat = calloc(n, sizeof(*lat));
	buf = calloc(1, size);
	if (!lat || !buf)
		return 1;
	for (i = 0; i < n; i++) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		if (full_io(fd, buf, size, 1) || full_io(fd, buf, size, 0)) {
			fprintf(stderr, "tcd_rr: connection lost after %ld round trips\n", i);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		lat[i] = (b.tv_sec - a.tv_sec) * 1000000000ull + b.tv_nsec - a.tv_nsec;
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("p50_us=%.1f p99_us=%.1f n=%ld size=%ld\n", lat[n / 2] / 1000.0,
	       lat[(n * 99) / 100] / 1000.0, n, size);
	close(fd);
	freeaddrinfo(ai);
	return 0;
}

static int conns(const char *addr, const char *port, long n, long size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	struct timespec t0, t1;
	unsigned long long *lat;
	char *buf;
	int one = 1;
	long i;

	if (getaddrinfo(addr, port, &hints, &ai)) {
		fprintf(stderr, "tcd_rr: bad address %s\n", addr);
		return 1;
	}
	lat = calloc(n, sizeof(*lat));
	buf = calloc(1, size);
	if (!lat || !buf)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		struct timespec a, b;
		int fd;

		clock_gettime(CLOCK_MONOTONIC, &a);
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			fprintf(stderr, "tcd_rr: connection %ld: %s\n", i, strerror(errno));
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (full_io(fd, buf, size, 1) || full_io(fd, buf, size, 0)) {
			fprintf(stderr, "tcd_rr: connection %ld lost\n", i);
			return 1;
		}
		close(fd);
		clock_gettime(CLOCK_MONOTONIC, &b);
		lat[i] = (b.tv_sec - a.tv_sec) * 1000000000ull + b.tv_nsec - a.tv_nsec;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("conns_per_s=%.0f p50_us=%.1f p99_us=%.1f n=%ld size=%ld\n",
	       n / ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9),
	       lat[n / 2] / 1000.0, lat[(n * 99) / 100] / 1000.0, n, size);
	freeaddrinfo(ai);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return server(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "client"))
		return client(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "conns") && atol(argv[4]) > 0)
		return conns(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	fprintf(stderr, "usage: tcd_rr server PORT | tcd_rr client|conns ADDR PORT N SIZE\n");
	return 2;
}
