/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the authentication examples share: one TCP connection (a client
 * connecting, or a server accepting one), the session's names from
 * libtcpcrypt, and exchanging fixed-size messages. Only the public API
 * (tcpcrypt.h) and OpenSSL; each example is one .c file beside this one.
 *
 * Exit status of every example: 0 authenticated, 1 error, 2 the connection
 * is not encrypted (no session id to authenticate), 3 authentication
 * failed: the peer does not hold the secret, or someone in the middle
 * holds two different sessions.
 */
#ifndef TCPCRYPT_EXAMPLE_H
#define TCPCRYPT_EXAMPLE_H

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <tcpcrypt/tcpcrypt.h>

#define EX_OK		0
#define EX_ERROR	1
#define EX_PLAIN	2
#define EX_AUTH_FAILED	3

#define EX_SESSION_WAIT_MS	10000

static inline int ex_fail(const char *prog, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	return -1;
}

/* A server socket on PORT (every address, IPv4 and IPv6), one connection accepted. */
static inline int ex_accept_one(const char *prog, const char *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int l, c, zero = 0, one = 1;

	a.sin6_port = htons((uint16_t)atoi(port));
	l = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return ex_fail(prog, "socket");
	setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1)) {
		ex_fail(prog, "bind/listen");
		close(l);
		return -1;
	}
	fprintf(stderr, "%s: listening on port %s\n", prog, port);
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		ex_fail(prog, "accept");
	close(l);
	return c;
}

static inline int ex_connect(const char *prog, const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, err;

	err = getaddrinfo(host, port, &hints, &res);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", prog, host, gai_strerror(err));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && !connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (fd < 0)
		ex_fail(prog, "connect");
	freeaddrinfo(res);
	return fd;
}

/*
 * SELF_NAME and PEER_NAME of the connection (role byte || session id),
 * once the key exchange is done. The names differ in their first byte, so
 * what one end computes over its SELF_NAME cannot be reflected back to it.
 * 0, or EX_PLAIN / EX_ERROR after a message.
 */
static inline int ex_names(const char *prog, int fd, unsigned char *self, socklen_t *self_len,
			   unsigned char *peer, socklen_t *peer_len)
{
	if (tcpcrypt_wait_session(fd, EX_SESSION_WAIT_MS)) {
		if (errno == EINVAL || errno == ENOPROTOOPT) {
			fprintf(stderr, "%s: this connection is not encrypted by tcpcrypt (%s): "
				"there is no session id to authenticate\n", prog,
				errno == EINVAL ? "TCP-ENO was not negotiated" :
				"no tcpcryptd in this network namespace");
			return EX_PLAIN;
		}
		ex_fail(prog, "waiting for the session");
		return EX_ERROR;
	}
	if (tcpcrypt_getsockopt(fd, TCP_ENO_SELF_NAME, self, self_len) ||
	    tcpcrypt_getsockopt(fd, TCP_ENO_PEER_NAME, peer, peer_len)) {
		ex_fail(prog, "TCP_ENO_SELF_NAME/PEER_NAME");
		return EX_ERROR;
	}
	return 0;
}

static inline int ex_write(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static inline int ex_read(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* The session id part of a name, as hex, for messages. */
static inline void ex_hex(char *out, const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

#endif
