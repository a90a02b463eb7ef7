// SPDX-License-Identifier: GPL-2.0
/*
 * Internal veth pair: created and deleted with rtnetlink, configured with
 * ioctls (flags, MTU, MAC, ethtool offloads) and /proc/sys.
 *
 * Offloads on tcv0: tc egress on IFACE redirects steered segments into tcv0
 * with bpf_redirect(); dev_queue_xmit() on tcv0 then runs validate_xmit_skb(),
 * which segments GSO super-packets and completes CHECKSUM_PARTIAL checksums
 * in software when tcv0 lacks TSO/tx-checksum offload. So the daemon gets
 * MTU-sized frames with full checksums without touching a byte.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>

#include "common/log.h"
#include "tcpcryptd/hostif.h"

/* ---- rtnetlink ---- */

/* A request: nlmsghdr + ifinfomsg + attributes, in one aligned buffer. */
struct nlreq {
	char buf[1024] __attribute__((aligned(NLMSG_ALIGNTO)));
};

static struct nlmsghdr *nlreq_init(struct nlreq *r, unsigned short type, unsigned short flags)
{
	struct nlmsghdr *n = (struct nlmsghdr *)r->buf;
	struct ifinfomsg *i = NLMSG_DATA(n);

	memset(r->buf, 0, sizeof(r->buf));
	n->nlmsg_len = NLMSG_LENGTH(sizeof(*i));
	n->nlmsg_type = type;
	n->nlmsg_flags = flags;
	i->ifi_family = AF_UNSPEC;
	return n;
}

static struct rtattr *nla_put(struct nlmsghdr *n, unsigned short type, const void *data,
			      unsigned int len)
{
	struct rtattr *a = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static struct rtattr *nla_nest(struct nlmsghdr *n, unsigned short type)
{
	return nla_put(n, type, NULL, 0);
}

static void nla_nest_end(struct nlmsghdr *n, struct rtattr *a)
{
	a->rta_len = (char *)n + n->nlmsg_len - (char *)a;
}

static int nl_talk(struct nlmsghdr *n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	int fd, err;
	ssize_t len;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	n->nlmsg_seq = 1;
	if (sendto(fd, n, n->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	len = recv(fd, buf, sizeof(buf), 0);
	if (len < 0) {
		err = -errno;
		goto out;
	}
	err = -EPROTO;
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)len);
	     h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			break;
		}
	}
out:
	close(fd);
	return err;
}

static int veth_create(const char *name0, const char *name1, unsigned int queues,
		       unsigned int mtu)
{
	struct nlreq req;
	struct nlmsghdr *n = nlreq_init(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct rtattr *li, *data, *peer;
	struct ifinfomsg pi = { .ifi_family = AF_UNSPEC };

	nla_put(n, IFLA_IFNAME, name0, strlen(name0) + 1);
	nla_put(n, IFLA_MTU, &mtu, 4);
	nla_put(n, IFLA_NUM_TX_QUEUES, &queues, 4);
	nla_put(n, IFLA_NUM_RX_QUEUES, &queues, 4);
	li = nla_nest(n, IFLA_LINKINFO);
	nla_put(n, IFLA_INFO_KIND, "veth", 4);
	data = nla_nest(n, IFLA_INFO_DATA);
	peer = nla_nest(n, VETH_INFO_PEER);
	/* the peer's attributes follow a struct ifinfomsg */
	memcpy((char *)n + n->nlmsg_len, &pi, sizeof(pi));
	n->nlmsg_len += NLMSG_ALIGN(sizeof(pi));
	nla_put(n, IFLA_IFNAME, name1, strlen(name1) + 1);
	nla_put(n, IFLA_MTU, &mtu, 4);
	nla_put(n, IFLA_NUM_TX_QUEUES, &queues, 4);
	nla_put(n, IFLA_NUM_RX_QUEUES, &queues, 4);
	nla_nest_end(n, peer);
	nla_nest_end(n, data);
	nla_nest_end(n, li);
	return nl_talk(n);
}

int hostif_delete_link(const char *name)
{
	struct nlreq req;
	struct nlmsghdr *n = nlreq_init(&req, RTM_DELLINK, 0);

	nla_put(n, IFLA_IFNAME, name, strlen(name) + 1);
	return nl_talk(n);
}

/* ---- ioctls ---- */

static int ifreq_ioctl(const char *ifname, unsigned long cmd, struct ifreq *ifr)
{
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, IF_NAMESIZE, "%s", ifname);
	if (ioctl(fd, cmd, ifr))
		err = -errno;
	close(fd);
	return err;
}

int if_get_mtu(const char *ifname, unsigned int *mtu)
{
	struct ifreq ifr = {};
	int err = ifreq_ioctl(ifname, SIOCGIFMTU, &ifr);

	if (!err)
		*mtu = ifr.ifr_mtu;
	return err;
}

static int if_up(const char *ifname)
{
	struct ifreq ifr = {};
	int err = ifreq_ioctl(ifname, SIOCGIFFLAGS, &ifr);

	if (err)
		return err;
	ifr.ifr_flags |= IFF_UP;
	return ifreq_ioctl(ifname, SIOCSIFFLAGS, &ifr);
}

static int ethtool_set(const char *ifname, __u32 cmd, __u32 val)
{
	struct ethtool_value ev = { .cmd = cmd, .data = val };
	struct ifreq ifr = { .ifr_data = (void *)&ev };

	return ifreq_ioctl(ifname, SIOCETHTOOL, &ifr);
}

/* ---- sysctls, saved and restored ---- */

static int sysctl_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	return 0;
}

static int sysctl_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int hostif_sysctl(struct hostif *h, const char *fmt, const char *dev, const char *val)
{
	struct hostif_sysctl *s;
	int err;

	if (h->nsaved >= HOSTIF_MAX_SYSCTLS)
		return -ENOSPC;
	s = &h->saved[h->nsaved];
	snprintf(s->path, sizeof(s->path), fmt, dev);
	err = sysctl_read(s->path, s->old, sizeof(s->old));
	if (err) {
		pr_warn("sysctl %s: %s\n", s->path, strerror(-err));
		return err;
	}
	err = sysctl_write(s->path, val);
	if (err) {
		pr_warn("sysctl %s=%s: %s\n", s->path, val, strerror(-err));
		return err;
	}
	pr_info("set %s = %s (was %s)\n", s->path, val, s->old);
	h->nsaved++;
	return 0;
}

static void hostif_sysctl_restore(struct hostif *h)
{
	while (h->nsaved > 0) {
		struct hostif_sysctl *s = &h->saved[--h->nsaved];
		int err = sysctl_write(s->path, s->old);

		if (err == -ENOENT)
			continue;	/* device already gone: nothing to restore */
		if (err)
			pr_warn("restore %s = %s: %s\n", s->path, s->old, strerror(-err));
		else
			pr_info("restored %s = %s\n", s->path, s->old);
	}
}

/*
 * If net.ipv4.conf.all.rp_filter is set it overrides tcv0's 0. Then move it
 * down to the devices: raise each device's own value to the old 'all' (so
 * their effective filter does not change) and set 'all' to 0. Everything is
 * logged and restored at exit.
 */
static int rp_filter_all_off(struct hostif *h)
{
	static const char *base = "/proc/sys/net/ipv4/conf";
	char path[320], all[32], val[32];
	struct dirent *de;
	DIR *d;
	int err;

	snprintf(path, sizeof(path), "%s/all/rp_filter", base);
	err = sysctl_read(path, all, sizeof(all));
	if (err || !strcmp(all, "0"))
		return err;
	d = opendir(base);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "all") ||
		    !strcmp(de->d_name, "default") || !strcmp(de->d_name, h->name0))
			continue;
		snprintf(path, sizeof(path), "%s/%s/rp_filter", base, de->d_name);
		if (sysctl_read(path, val, sizeof(val)) || atoi(val) >= atoi(all))
			continue;
		err = hostif_sysctl(h, "/proc/sys/net/ipv4/conf/%s/rp_filter", de->d_name, all);
		if (err)
			break;
	}
	closedir(d);
	if (!err)
		err = hostif_sysctl(h, "/proc/sys/net/ipv4/conf/%s/rp_filter", "all", "0");
	return err;
}

void hostif_names(int iface_ifindex, char *name0, char *name1)
{
	snprintf(name0, IF_NAMESIZE, "tcx-%dh", iface_ifindex);
	snprintf(name1, IF_NAMESIZE, "tcx-%dd", iface_ifindex);
}

int hostif_create(struct hostif *h, int iface_ifindex, unsigned int queues, unsigned int mtu)
{
	static const struct { __u32 cmd; const char *name; } offloads[] = {
		{ ETHTOOL_STSO, "tso" },
		{ ETHTOOL_SGSO, "gso" },
		{ ETHTOOL_STXCSUM, "tx-checksumming" },
		{ ETHTOOL_SSG, "scatter-gather" },
	};
	struct ifreq ifr = {};
	unsigned int i;
	int err;

	memset(h, 0, sizeof(*h));
	hostif_names(iface_ifindex, h->name0, h->name1);
	err = veth_create(h->name0, h->name1, queues, mtu);
	if (err) {
		if (err != -EEXIST)
			pr_warn("create veth %s/%s: %s\n", h->name0, h->name1, strerror(-err));
		return err;
	}
	h->created = 1;
	pr_info("created internal veth pair %s (host side) / %s (daemon side), %u queue%s, mtu %u\n",
		h->name0, h->name1, queues, queues == 1 ? "" : "s", mtu);
	h->ifindex0 = if_nametoindex(h->name0);
	h->ifindex1 = if_nametoindex(h->name1);
	if (!h->ifindex0 || !h->ifindex1) {
		err = -ENODEV;
		goto err;
	}
	for (i = 0; i < sizeof(offloads) / sizeof(offloads[0]); i++) {
		err = ethtool_set(h->name0, offloads[i].cmd, 0);
		if (err && err != -EOPNOTSUPP) {
			pr_warn("%s: ethtool %s off: %s\n", h->name0, offloads[i].name,
				strerror(-err));
			goto err;
		}
	}
	pr_info("%s: tso, gso, tx-checksumming, scatter-gather off (software segmentation "
		"and checksums on the egress path)\n", h->name0);
	/* no addresses: no IPv6 link-local, no DAD/RS; tcv1 carries no stack traffic */
	err = hostif_sysctl(h, "/proc/sys/net/ipv6/conf/%s/addr_gen_mode", h->name0, "1");
	if (!err)
		err = hostif_sysctl(h, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", h->name1, "1");
	/*
	 * Frames from the wire enter on tcv0 while the reverse route points at
	 * IFACE. Loose mode (2) is not enough: tcv0 has no IPv4 address and
	 * fib_validate_source() rejects any rp_filter on such a device, so tcv0
	 * needs an effective 0 (= max(all, tcv0)).
	 */
	if (!err)
		err = hostif_sysctl(h, "/proc/sys/net/ipv4/conf/%s/rp_filter", h->name0, "0");
	if (!err)
		err = rp_filter_all_off(h);
	if (err)
		goto err;
	err = ifreq_ioctl(h->name0, SIOCGIFHWADDR, &ifr);
	if (err)
		goto err;
	memcpy(h->mac0, ifr.ifr_hwaddr.sa_data, 6);
	err = if_up(h->name1);
	if (!err)
		err = if_up(h->name0);
	if (err) {
		pr_warn("bring up %s/%s: %s\n", h->name0, h->name1, strerror(-err));
		goto err;
	}
	return 0;
err:
	hostif_destroy(h);
	return err;
}

void hostif_destroy(struct hostif *h)
{
	int err;

	hostif_sysctl_restore(h);
	if (!h->created)
		return;
	err = hostif_delete_link(h->name0);
	if (err && err != -ENODEV)
		pr_warn("delete %s: %s\n", h->name0, strerror(-err));
	else
		pr_info("deleted internal veth pair %s/%s\n", h->name0, h->name1);
	h->created = 0;
}
