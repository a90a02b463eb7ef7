// SPDX-License-Identifier: GPL-2.0
/* Does a TCP socket with this 4-tuple exist in our network namespace? */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include "common/sockdiag.h"

/*
 * An exact (non-dump) inet_diag request: the kernel looks the socket up by
 * the tuple. Its TCP state (TCP_ESTABLISHED...), 0: no such socket,
 * negative errno: cannot tell.
 */
int tcp_socket_state(const struct tc_flow_key *k)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST,
			.nlmsg_seq = 1,
		},
		.req = {
			.sdiag_family = k->family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_states = ~0U,
		},
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[8192];
	struct nlmsghdr *h;
	ssize_t n;
	int fd, ret = -EIO;

	msg.req.id.idiag_sport = k->lport;
	msg.req.id.idiag_dport = k->rport;
	memcpy(msg.req.id.idiag_src, k->local, k->family == AF_INET ? 4 : 16);
	memcpy(msg.req.id.idiag_dst, k->remote, k->family == AF_INET ? 4 : 16);
	msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (size_t)n))
		goto out;
	if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
		const struct inet_diag_msg *m = NLMSG_DATA(h);

		ret = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*m)) && m->idiag_state ?
			      m->idiag_state : 1;
	} else if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(h);

		ret = e->error == -ENOENT ? 0 : e->error;
	}
out:
	close(fd);
	return ret;
}

int tcp_socket_exists(const struct tc_flow_key *k)
{
	int st = tcp_socket_state(k);

	return st > 0 ? 1 : st;
}
