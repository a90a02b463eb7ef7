// SPDX-License-Identifier: GPL-2.0
/* rtnetlink link events for tcpcryptd (see linkwatch.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "tcpcryptd/linkwatch.h"

int linkwatch_open(struct linkwatch *lw, int iface, int tcv0, int tcv1)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };

	memset(lw, 0, sizeof(*lw));
	lw->ifindex[0] = iface;
	lw->ifindex[1] = tcv0;
	lw->ifindex[2] = tcv1;
	lw->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (lw->fd < 0)
		return -errno;
	if (bind(lw->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(lw->fd);
		lw->fd = -1;
		return err;
	}
	return 0;
}

static void parse_link(struct linkwatch *lw, const struct nlmsghdr *h)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
	const struct rtattr *a;
	int i;

	for (i = 0; i < 3; i++)
		if (lw->ifindex[i] && ifi->ifi_index == lw->ifindex[i])
			break;
	if (i == 3 || len < 0)
		return;
	lw->seen[i] = true;
	if (h->nlmsg_type == RTM_DELLINK) {
		lw->st[i].deleted = true;
		return;
	}
	lw->st[i].flags = ifi->ifi_flags;
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_MTU && RTA_PAYLOAD(a) >= 4)
			memcpy(&lw->st[i].mtu, RTA_DATA(a), 4);
		else if (a->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(a) == 6)
			memcpy(lw->st[i].mac, RTA_DATA(a), 6);
	}
}

int linkwatch_read(struct linkwatch *lw)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		ssize_t n = recv(lw->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == ENOBUFS)	/* overrun: events lost, state re-read by caller */
				return -ENOBUFS;
			return -errno;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)n);
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK)
				parse_link(lw, h);
	}
}

void linkwatch_close(struct linkwatch *lw)
{
	if (lw->fd >= 0)
		close(lw->fd);
	lw->fd = -1;
}
