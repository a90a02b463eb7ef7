// SPDX-License-Identifier: GPL-2.0
/* The local TCP socket of a 4-tuple in our network namespace: its state, its end. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include "common/sockdiag.h"

/*
 * An exact (non-dump) inet_diag request of TYPE for K's tuple: the kernel
 * looks the socket up by it. For SOCK_DIAG_BY_FAMILY its TCP state, for
 * SOCK_DESTROY 1 once destroyed; 0: no such socket, negative errno: failed.
 */
static int diag_exact(const struct tc_flow_key *k, uint16_t type, uint32_t cookie[2])
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = type,
			.nlmsg_flags = NLM_F_REQUEST | (type == SOCK_DESTROY ? NLM_F_ACK : 0),
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
	msg.req.id.idiag_cookie[0] = cookie[0];
	msg.req.id.idiag_cookie[1] = cookie[1];

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

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			goto out;
		/*
		 * The exact lookup falls back to listeners (inet_lookup): a
		 * listener answering for a connection that is gone is no answer.
		 */
		if (m->idiag_state == TCPS_LISTEN || m->id.idiag_dport != k->rport) {
			ret = 0;
			goto out;
		}
		ret = m->idiag_state ?: 1;
		cookie[0] = m->id.idiag_cookie[0];
		cookie[1] = m->id.idiag_cookie[1];
	} else if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(h);

		ret = e->error == -ENOENT ? 0 : !e->error ? 1 : e->error;
	}
out:
	close(fd);
	return ret;
}

int tcp_socket_state(const struct tc_flow_key *k)
{
	uint32_t cookie[2] = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE };

	return diag_exact(k, SOCK_DIAG_BY_FAMILY, cookie);
}

int tcp_socket_destroy(const struct tc_flow_key *k)
{
	uint32_t cookie[2] = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE };
	int st = diag_exact(k, SOCK_DIAG_BY_FAMILY, cookie);

	/* by its cookie: never the listener the lookup would fall back to */
	if (st <= 0)
		return st;
	st = diag_exact(k, SOCK_DESTROY, cookie);
	return st == -ESTALE ? 0 : st;
}

int tcp_socket_exists(const struct tc_flow_key *k)
{
	int st = tcp_socket_state(k);

	return st > 0 ? 1 : st;
}
