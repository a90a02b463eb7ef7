// SPDX-License-Identifier: GPL-2.0
/*
 * libtcpcrypt's client side: find the tcpcryptd instances of this network
 * namespace, hand them the application's socket, return their answer as
 * getsockopt()/setsockopt() would (see tcpcrypt.h, ctl_proto.h).
 *
 * Daemons are found by their abstract socket names in /proc/net/unix
 * ("@tcpcryptd/IFNAME", listening). Only a daemon running as root (or as
 * TCPCRYPT_DAEMON_UID) is believed: anyone may bind an abstract name, and a
 * squatter answering with a session id of its choice would defeat the
 * application's authentication. TCPCRYPT_CTL (a comma-separated list of
 * names without the '@') replaces the search; tests use both variables.
 * Both are ignored in setuid programs (secure_getenv).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "tcpcrypt/ctl_proto.h"
#include "tcpcrypt/tcpcrypt.h"

#define DAEMONS_MAX	16
#define CALL_TIMEOUT_MS	2000
#define NAME_MAX_LEN	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)


struct names {
	char n[DAEMONS_MAX][NAME_MAX_LEN + 1];
	int count;
};

static void names_add(struct names *ns, const char *name, size_t len)
{
	int i;

	if (ns->count == DAEMONS_MAX || !len || len > NAME_MAX_LEN)
		return;
	for (i = 0; i < ns->count; i++)
		if (strlen(ns->n[i]) == len && !memcmp(ns->n[i], name, len))
			return;
	memcpy(ns->n[ns->count], name, len);
	ns->n[ns->count][len] = 0;
	ns->count++;
}

/* Listening sockets "@tcpcryptd/..." of this namespace (/proc/net/unix is per netns). */
static void names_find(struct names *ns)
{
	const char *env = secure_getenv("TCPCRYPT_CTL");
	char line[512];
	FILE *f;

	ns->count = 0;
	if (env && *env) {
		while (*env) {
			size_t len = strcspn(env, ",");

			names_add(ns, env, len);
			env += len + (env[len] == ',');
		}
		return;
	}
	f = fopen("/proc/net/unix", "re");
	if (!f)
		return;
	/* Num RefCount Protocol Flags Type St Inode Path */
	while (fgets(line, sizeof(line), f)) {
		unsigned long flags, type, st;
		char path[256];

		if (sscanf(line, "%*s %*s %*s %lx %lx %lx %*s %255s", &flags, &type, &st,
			   path) != 4)
			continue;
		/* __SO_ACCEPTCON (0x10000): listening; SOCK_SEQPACKET = 5 */
		if (!(flags & 0x10000) || type != SOCK_SEQPACKET || path[0] != '@' ||
		    strncmp(path + 1, TCCTL_NAME_PREFIX, strlen(TCCTL_NAME_PREFIX)))
			continue;
		names_add(ns, path + 1, strlen(path + 1));
	}
	fclose(f);
}

static uid_t daemon_uid(void)
{
	const char *env = secure_getenv("TCPCRYPT_DAEMON_UID");
	char *end;
	unsigned long v;

	if (!env || !*env)
		return 0;
	errno = 0;
	v = strtoul(env, &end, 10);
	return errno || *end || v > UINT_MAX ? 0 : (uid_t)v;
}

/* A connection to NAME whose peer is the daemon we trust; fd or -errno. */
static int ctl_connect(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CALL_TIMEOUT_MS / 1000,
			      .tv_usec = CALL_TIMEOUT_MS % 1000 * 1000 };
	size_t len = strlen(name);
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	int fd, err;

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path + 1, name, len);
	if (connect(fd, (struct sockaddr *)&sa, offsetof(struct sockaddr_un, sun_path) + 1 + len) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))) {
		err = -errno;
		close(fd);
		return err;
	}
	if (cred.uid != daemon_uid()) {
		close(fd);
		return -EPERM;	/* not tcpcryptd: someone squats the name */
	}
	return fd;
}

/*
 * One request to the daemon NAME, passing sock (if >= 0). The answer's value
 * goes to ans (at most TCCTL_VALUE_MAX bytes), its length to *alen. Returns
 * the answer's error (0 or a positive errno), or a negative errno when the
 * daemon could not be asked.
 */
static int ctl_call(const char *name, uint16_t op, uint32_t optname, const void *val,
		    uint32_t len, int sock, uint8_t *ans, uint32_t *alen)
{
	uint8_t req[TCCTL_MSG_MAX], buf[TCCTL_MSG_MAX];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int)) * 4];
	} cbuf;
	struct iovec iov = { .iov_base = req };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct tcctl_msg m;
	struct cmsghdr *c;
	ssize_t n;
	int fd, err;

	iov.iov_len = tcctl_build(req, sizeof(req), op, optname, 0, val, len);
	if (!iov.iov_len)
		return -EINVAL;
	if (sock >= 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &sock, sizeof(int));
	}
	fd = ctl_connect(name);
	if (fd < 0)
		return fd;
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0) {
		err = -errno;
		goto out;
	}
	/* the answer; a daemon never sends descriptors, but close any */
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	mh.msg_control = cbuf.b;
	mh.msg_controllen = sizeof(cbuf.b);
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0) {
		err = errno == EAGAIN ? -ETIMEDOUT : -errno;
		goto out;
	}
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int *fds = (int *)CMSG_DATA(c);
			size_t i, k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (i = 0; i < k; i++)
				close(fds[i]);
		}
	err = tcctl_parse(buf, n, &m);
	if (err == -EPROTONOSUPPORT)
		err = -EPROTO;	/* a daemon of another version */
	if (err)
		goto out;
	if (m.hdr.op != op || m.hdr.optname != optname || m.hdr.error < 0) {
		err = -EPROTO;
		goto out;
	}
	if (ans) {
		memcpy(ans, m.val, m.len);
		*alen = m.len;
	}
	err = m.hdr.error;
out:
	close(fd);
	return err;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/* Size a GET answer must have for its type (0: any, a byte string). */
static size_t fixed_size(enum tcctl_type t)
{
	switch (t) {
	case TCCTL_T_INT: return sizeof(int);
	case TCCTL_T_BYTE: return 1;
	case TCCTL_T_U16: return sizeof(uint16_t);
	default: return 0;
	}
}

int tcpcrypt_getsockopt(int fd, int optname, void *optval, socklen_t *optlen)
{
	enum tcctl_type t = tcctl_opt_type(optname);
	uint8_t ans[TCCTL_VALUE_MAX];
	uint32_t alen = 0;
	struct names ns;
	int i, err = -ENOPROTOOPT;
	size_t need;

	if (!optval || !optlen)
		return fail(EFAULT);
	if (t == TCCTL_T_NONE)
		return fail(ENOPROTOOPT);
	need = fixed_size(t);
	if (need && *optlen < need)
		return fail(EINVAL);
	names_find(&ns);
	for (i = 0; i < ns.count; i++) {
		int e = ctl_call(ns.n[i], TCCTL_OP_GET, optname, NULL, 0, fd, ans, &alen);

		if (e < 0) {
			/* this one could not be asked: another may carry the connection */
			if (err == -ENOPROTOOPT)
				err = e == -EPERM || e == -ECONNREFUSED ? -ENOPROTOOPT : e;
			continue;
		}
		err = e;
		if (e != ENOENT)
			break;
	}
	if (err < 0)
		return fail(-err);
	if (err == ENOENT)	/* no daemon carries it: ENO was not negotiated */
		return fail(EINVAL);
	if (err)
		return fail(err);
	if (need && alen != need)
		return fail(EPROTO);
	if (!need && alen > *optlen) {
		*optlen = alen;
		return fail(EINVAL);
	}
	memcpy(optval, ans, alen);
	*optlen = alen;
	return 0;
}

/* The daemons key settings by local port: give an unbound socket one. */
static int ensure_bound(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return -errno;
	if (ss.ss_family == AF_INET && ((struct sockaddr_in *)&ss)->sin_port)
		return 0;
	if (ss.ss_family == AF_INET6 && ((struct sockaddr_in6 *)&ss)->sin6_port)
		return 0;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = INADDR_ANY };

		return bind(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };

		return bind(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
	}
	return -EOPNOTSUPP;	/* not an IP socket */
}

int tcpcrypt_setsockopt(int fd, int optname, const void *optval, socklen_t optlen)
{
	enum tcctl_type t = tcctl_opt_type(optname);
	struct names ns;
	int i, asked = 0, carried = 0, err = 0;
	size_t need;

	if (t == TCCTL_T_NONE)
		return fail(ENOPROTOOPT);
	if (!optval && optlen)
		return fail(EFAULT);
	need = fixed_size(t);
	if ((need && optlen < need) || optlen > TCCTL_VALUE_MAX)
		return fail(EINVAL);
	if (need)
		optlen = need;
	names_find(&ns);
	if (!ns.count)
		return fail(ENOPROTOOPT);
	err = ensure_bound(fd);
	if (err)
		return fail(-err);
	/* every daemon: the connection may leave through any interface */
	for (i = 0; i < ns.count; i++) {
		int e = ctl_call(ns.n[i], TCCTL_OP_SET, optname, optval, optlen, fd, NULL, NULL);

		if (e == -EPERM || e == -ECONNREFUSED)
			continue;	/* not a daemon (see ctl_connect), or gone */
		asked++;
		/* a connection's setting (the cache flush): only the daemon
		 * carrying it answers; the others say ENOENT */
		if (e == ENOENT || e == -ENOENT)
			continue;
		carried++;
		if (e && !err)
			err = e < 0 ? -e : e;
	}
	if (!asked)
		return fail(ENOPROTOOPT);
	if (!carried)
		return fail(EINVAL);	/* as for reads: not a tcpcrypt connection */
	return err ? fail(err) : 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tcpcrypt_wait_session(int fd, int timeout_ms)
{
	uint64_t end = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	uint8_t sid[TCPCRYPT_SESSID_MAX];
	int delay = 2;

	for (;;) {
		socklen_t len = sizeof(sid);

		if (!tcpcrypt_getsockopt(fd, TCP_ENO_SESSID, sid, &len))
			return 0;
		if (errno != ENOTCONN)
			return -1;
		/* the key exchange takes a round trip or two: poll gently */
		if (timeout_ms >= 0 && now_ms() + delay > end)
			return fail(ETIMEDOUT);
		poll(NULL, 0, delay);
		if (delay < 50)
			delay *= 2;
	}
}

int tcpcrypt_sas_fd(int fd, int timeout_ms, char *buf, size_t buflen)
{
	uint8_t sid[TCPCRYPT_SESSID_MAX];
	socklen_t len = sizeof(sid);

	if (tcpcrypt_wait_session(fd, timeout_ms) ||
	    tcpcrypt_getsockopt(fd, TCP_ENO_SESSID, sid, &len))
		return -1;
	return tcpcrypt_sas(sid, len, buf, buflen);
}

int tcpcrypt_daemons(struct tcpcrypt_daemon *out, size_t max)
{
	uint8_t ans[TCCTL_VALUE_MAX];
	struct tcctl_hello h;
	struct names ns;
	uint32_t alen;
	int i, n = 0;

	names_find(&ns);
	for (i = 0; i < ns.count; i++) {
		if (ctl_call(ns.n[i], TCCTL_OP_HELLO, 0, NULL, 0, -1, ans, &alen) ||
		    alen < sizeof(h))
			continue;
		memcpy(&h, ans, sizeof(h));
		if ((size_t)n < max && out) {
			memset(&out[n], 0, sizeof(out[n]));
			memcpy(out[n].ifname, h.ifname, sizeof(out[n].ifname) - 1);
			out[n].pid = h.pid;
			out[n].encrypts = !!(h.flags & TCCTL_HELLO_ENGINE);
		}
		n++;
	}
	return n;
}
