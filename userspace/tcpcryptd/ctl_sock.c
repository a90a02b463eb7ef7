// SPDX-License-Identifier: GPL-2.0
/*
 * One client of the control socket: its request, the socket it passed
 * (read, then closed at once), the answer (see ctl_req.h). No flow table
 * here: unit tests serve libtcpcrypt with this and a fake backend.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "common/dp_attach.h"
#include "common/log.h"
#include "tcpcryptd/ctl_req.h"

#define RECV_MS		500	/* a client has this long to send its request */

static int sockopt_int(int fd, int level, int name, int *v)
{
	socklen_t l = sizeof(*v);

	return getsockopt(fd, level, name, v, &l) ? -errno : 0;
}

/* IPv4 address of a v4-mapped IPv6 address, or NULL. */
static const uint8_t *v4_mapped(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a) ? a->s6_addr + 12 : NULL;
}

int ctl_read_sock(int fd, uint64_t netns_cookie, struct ctl_sock *sk)
{
	struct sockaddr_storage la, ra;
	socklen_t ll = sizeof(la), rl = sizeof(ra);
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	uint64_t cookie;
	socklen_t cl = sizeof(cookie);
	struct stat stb;
	int v, err;

	memset(sk, 0, sizeof(*sk));
	err = sockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &v);
	if (err)
		return err;	/* -ENOTSOCK: not a socket */
	sk->family = v;
	if (sk->family != AF_INET && sk->family != AF_INET6)
		return -EOPNOTSUPP;
	if (sockopt_int(fd, SOL_SOCKET, SO_TYPE, &v) || v != SOCK_STREAM ||
	    sockopt_int(fd, SOL_SOCKET, SO_PROTOCOL, &v) || v != IPPROTO_TCP)
		return -EOPNOTSUPP;
	/* a socket made in another namespace names another namespace's flow */
	if (netns_cookie && !getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &cl) &&
	    cookie != netns_cookie)
		return -EXDEV;
	if (getsockname(fd, (struct sockaddr *)&la, &ll) ||
	    getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) || fstat(fd, &stb))
		return -errno;
	sk->tcp_state = ti.tcpi_state;
	sk->ino = stb.st_ino;
	if (sk->family == AF_INET6 && !sockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v))
		sk->v6only = v;
	sk->connected = !getpeername(fd, (struct sockaddr *)&ra, &rl);
	if (sk->family == AF_INET) {
		const struct sockaddr_in *l = (void *)&la, *r = (void *)&ra;

		sk->lport = ntohs(l->sin_port);
		if (sk->connected)
			dp_flow_key_v4(&sk->key, &l->sin_addr, &r->sin_addr, l->sin_port,
				       r->sin_port);
	} else {
		const struct sockaddr_in6 *l = (void *)&la, *r = (void *)&ra;
		const uint8_t *l4 = v4_mapped(&l->sin6_addr), *r4 = v4_mapped(&r->sin6_addr);

		sk->lport = ntohs(l->sin6_port);
		/* IPv4 through an IPv6 socket: the wire (and tc_flows) says IPv4 */
		if (sk->connected && l4 && r4)
			dp_flow_key_v4(&sk->key, l4, r4, l->sin6_port, r->sin6_port);
		else if (sk->connected)
			dp_flow_key_v6(&sk->key, &l->sin6_addr, &r->sin6_addr, l->sin6_port,
				       r->sin6_port);
	}
	return 0;
}

void ctl_serve(struct ctl_req_state *rs, int cfd, uint64_t netns_cookie)
{
	uint8_t req[TCCTL_MSG_MAX + 1], ans[TCCTL_MSG_MAX];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 8)];
	} cbuf;
	struct iovec iov = { .iov_base = req, .iov_len = sizeof(req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b,
			     .msg_controllen = sizeof(cbuf.b) };
	struct pollfd pfd = { .fd = cfd, .events = POLLIN };
	struct ucred cred = {};
	socklen_t cl = sizeof(cred);
	struct ctl_sock sk;
	struct cmsghdr *cm;
	int sock = -1, sock_err = EBADF, err;
	size_t alen;
	ssize_t n;

	getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &cl);
	if (poll(&pfd, 1, RECV_MS) <= 0)
		return;
	n = recvmsg(cfd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return;
	/* one descriptor is the request's; any other is closed unread */
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		int *fds = (int *)CMSG_DATA(cm);
		size_t i, k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			if (sock < 0)
				sock = fds[i];
			else
				close(fds[i]);
		}
	}
	if (mh.msg_flags & MSG_CTRUNC)
		sock_err = EINVAL;	/* more than we take: refused */
	else if (sock >= 0)
		sock_err = 0;
	if (!sock_err) {
		err = ctl_read_sock(sock, netns_cookie, &sk);
		if (err)
			sock_err = -err;
	}
	/* possession was the point: our copy goes at once */
	if (sock >= 0)
		close(sock);
	alen = ctl_handle(rs, req, n, sock_err ? NULL : &sk, sock_err, ans, sizeof(ans));
	if (alen >= sizeof(struct tcctl_hdr)) {
		struct tcctl_hdr h;

		memcpy(&h, ans, sizeof(h));
		/* settings change what others' connections get: worth the log */
		if (h.op == TCCTL_OP_GET || h.op == TCCTL_OP_SET)
			log_msg(h.op == TCCTL_OP_SET ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG,
				"ctl: pid %d uid %u: %s %s, local port %u: %s\n", (int)cred.pid,
				(unsigned int)cred.uid, h.op == TCCTL_OP_SET ? "set" : "get",
				tcctl_opt_name(h.optname), sock_err ? 0 : sk.lport,
				h.error ? strerror(h.error) : "ok");
		send(cfd, ans, alen, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
}

