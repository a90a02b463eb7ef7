// SPDX-License-Identifier: GPL-2.0
/*
 * tc_sockopt: one TCP socket driven step by step from the command line
 * through libtcpcrypt, for the netns tests. One output line per step.
 *
 *   tc_sockopt [-6] STEP...
 *
 *   bind:PORT            bind to PORT on every address
 *   connect:ADDR:PORT    (IPv6: [ADDR]:PORT)
 *   listen / accept      accept replaces the socket with the connection
 *   set:OPT=VALUE        tcpcrypt_setsockopt; VALUE: an int, hex:BYTES or
 *                        u16:N,N,... -> "set OPT ok" / "set OPT err ENAME"
 *   get:OPT              -> "get OPT ok HEX" ("ok int N" for ints) / "... err ENAME"
 *   wait:MS              tcpcrypt_wait_session -> "wait ok" / "wait err ENAME"
 *   sas                  -> "sas DDDD-DDDD-DDDD" / "sas err ENAME"
 *   write:TEXT / read    read: until EOF -> "read N bytes" / "read err ENAME"
 *   sleep:MS / close
 *   setns:NAME           move this process into network namespace NAME
 *                        (the socket stays in its own)
 *   daemons              -> "daemons N"
 * OPT is a name of tcpcrypt.h without its prefix ("SESSID", "CRYPT_CONF").
 * Exit status: 0, or 1 when a step could not run at all (bad step, or a
 * socket call other than the library's failed).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tcpcrypt/tcpcrypt.h"

static const struct { const char *name; int opt; bool is_int; } opts[] = {
	{ "ENO_ENABLED", TCP_ENO_ENABLED, true }, { "ENO_SESSID", TCP_ENO_SESSID, false },
	{ "ENO_NEGTEP", TCP_ENO_NEGTEP, false }, { "ENO_TEPS", TCP_ENO_TEPS, false },
	{ "ENO_SELF_GOPT", TCP_ENO_SELF_GOPT, true },
	{ "ENO_PEER_GOPT", TCP_ENO_PEER_GOPT, true },
	{ "ENO_AA_MANDATORY", TCP_ENO_AA_MANDATORY, true },
	{ "ENO_TEP_MANDATORY", TCP_ENO_TEP_MANDATORY, true },
	{ "ENO_ROLE", TCP_ENO_ROLE, true }, { "ENO_SELF_NAME", TCP_ENO_SELF_NAME, false },
	{ "ENO_PEER_NAME", TCP_ENO_PEER_NAME, false }, { "ENO_RAW", TCP_ENO_RAW, false },
	{ "ENO_TRANSCRIPT", TCP_ENO_TRANSCRIPT, false },
	{ "CRYPT_CONF", TCP_CRYPT_CONF, false },
	{ "CRYPT_CACHE_FLUSH", TCP_CRYPT_CACHE_FLUSH, true },
	{ "CRYPT_ACONF", TCP_CRYPT_ACONF, false }, { "CRYPT_BCONF", TCP_CRYPT_BCONF, false },
};

static const char *ename(int e)
{
	static char buf[16];

	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOTCONN: return "ENOTCONN";
	case EISCONN: return "EISCONN";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EADDRINUSE: return "EADDRINUSE";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EXDEV: return "EXDEV";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOTSOCK: return "ENOTSOCK";
	case ECONNRESET: return "ECONNRESET";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static int find_opt(const char *name, bool *is_int)
{
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strcmp(name, opts[i].name)) {
			*is_int = opts[i].is_int;
			return opts[i].opt;
		}
	return -1;
}

/* VALUE -> bytes: an int, hex:0a0b, u16:1,2 */
static int parse_value(const char *v, unsigned char *out, size_t cap)
{
	size_t n = 0;

	if (!strncmp(v, "hex:", 4)) {
		for (v += 4; v[0] && v[1] && n < cap; v += 2)
			sscanf(v, "%2hhx", &out[n++]);
		return (int)n;
	}
	if (!strncmp(v, "u16:", 4)) {
		char *end;

		for (v += 4; *v && n + 2 <= cap; v = *end ? end + 1 : end) {
			uint16_t x = (uint16_t)strtoul(v, &end, 0);

			memcpy(out + n, &x, 2);
			n += 2;
		}
		return (int)n;
	}
	{
		int x = atoi(v);

		memcpy(out, &x, sizeof(x));
		return sizeof(x);
	}
}

static int sock_addr(int family, const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *port = strrchr(s, ':');
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (!port)
		return -1;
	hl = (size_t)(port - s);
	if (s[0] == '[') {
		s++;
		hl -= 2;
	}
	snprintf(host, sizeof(host), "%.*s", (int)hl, s);
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(atoi(port + 1));
		*len = sizeof(*a);
		return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *a = (void *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(atoi(port + 1));
		*len = sizeof(*a);
		return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
	}
}

int main(int argc, char **argv)
{
	int family = AF_INET, fd, i = 1;

	if (argc > 1 && !strcmp(argv[1], "-6")) {
		family = AF_INET6;
		i++;
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (; i < argc; i++) {
		char *a = argv[i], *arg = strchr(a, ':');
		unsigned char buf[256];
		socklen_t l;
		bool is_int;
		int opt;

		if (arg)
			*arg++ = 0;
		if (!strcmp(a, "bind")) {
			struct sockaddr_storage ss = { .ss_family = family };
			int one = 1;

			((struct sockaddr_in *)&ss)->sin_port = htons(atoi(arg));
			if (family == AF_INET6)
				((struct sockaddr_in6 *)&ss)->sin6_port = htons(atoi(arg));
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&ss, family == AF_INET6 ?
				 sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in))) {
				perror("bind");
				return 1;
			}
		} else if (!strcmp(a, "connect")) {
			struct sockaddr_storage ss;
			socklen_t sl;

			if (!arg || sock_addr(family, arg, &ss, &sl)) {
				fprintf(stderr, "bad address %s\n", arg ? arg : "");
				return 1;
			}
			if (connect(fd, (struct sockaddr *)&ss, sl)) {
				printf("connect err %s\n", ename(errno));
				continue;
			}
			printf("connect ok\n");
		} else if (!strcmp(a, "listen")) {
			if (listen(fd, 16)) {
				perror("listen");
				return 1;
			}
			printf("listening\n");
		} else if (!strcmp(a, "accept")) {
			int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

			if (c < 0) {
				perror("accept");
				return 1;
			}
			close(fd);
			fd = c;
			printf("accepted\n");
		} else if (!strcmp(a, "set") || !strcmp(a, "get")) {
			char *eq = arg ? strchr(arg, '=') : NULL;
			int n = 0;

			if (eq)
				*eq++ = 0;
			opt = arg ? find_opt(arg, &is_int) : -1;
			if (opt < 0 || (a[0] == 's' && !eq)) {
				fprintf(stderr, "bad step %s:%s\n", a, arg ? arg : "");
				return 1;
			}
			if (a[0] == 's') {
				n = parse_value(eq, buf, sizeof(buf));
				if (tcpcrypt_setsockopt(fd, opt, buf, n))
					printf("set %s err %s\n", arg, ename(errno));
				else
					printf("set %s ok\n", arg);
				continue;
			}
			l = sizeof(buf);
			if (tcpcrypt_getsockopt(fd, opt, buf, &l)) {
				printf("get %s err %s\n", arg, ename(errno));
			} else if (is_int) {
				int x;

				memcpy(&x, buf, sizeof(x));
				printf("get %s ok int %d\n", arg, x);
			} else {
				printf("get %s ok ", arg);
				for (n = 0; n < (int)l; n++)
					printf("%02x", buf[n]);
				printf("\n");
			}
		} else if (!strcmp(a, "wait")) {
			if (tcpcrypt_wait_session(fd, arg ? atoi(arg) : 10000))
				printf("wait err %s\n", ename(errno));
			else
				printf("wait ok\n");
		} else if (!strcmp(a, "sas")) {
			char sas[TCPCRYPT_SAS_LEN];

			if (tcpcrypt_sas_fd(fd, 10000, sas, sizeof(sas)))
				printf("sas err %s\n", ename(errno));
			else
				printf("sas %s\n", sas);
		} else if (!strcmp(a, "write")) {
			if (write(fd, arg, strlen(arg)) < 0)
				printf("write err %s\n", ename(errno));
		} else if (!strcmp(a, "read")) {
			long total = 0;
			ssize_t n;

			while ((n = read(fd, buf, sizeof(buf))) > 0)
				total += n;
			if (n < 0)
				printf("read err %s\n", ename(errno));
			else
				printf("read %ld bytes\n", total);
		} else if (!strcmp(a, "sleep")) {
			usleep(atoi(arg) * 1000);
		} else if (!strcmp(a, "close")) {
			close(fd);
			fd = -1;
		} else if (!strcmp(a, "setns")) {
			char path[256];
			int nfd;

			snprintf(path, sizeof(path), "/var/run/netns/%s", arg);
			nfd = open(path, O_RDONLY | O_CLOEXEC);
			if (nfd < 0 || setns(nfd, CLONE_NEWNET)) {
				perror("setns");
				return 1;
			}
			close(nfd);
		} else if (!strcmp(a, "daemons")) {
			printf("daemons %d\n", tcpcrypt_daemons(NULL, 0));
		} else {
			fprintf(stderr, "unknown step %s\n", a);
			return 1;
		}
	}
	return 0;
}
