// SPDX-License-Identifier: GPL-2.0
/*
 * Internal veth pair: created and deleted with rtnetlink, configured at
 * creation (MAC, MTU, NOARP) and through rtnetlink (the reinjection filter).
 *
 * Host-bound frames leave tcpcryptd through AF_XDP TX on tcv1 and arrive on
 * tcv0, whose tc ingress has one filter: u32 "match everything" with a
 * mirred ingress redirect to IFACE. The local stack therefore receives them
 * on IFACE itself: netfilter iif/iifname, conntrack zones, SO_BINDTODEVICE,
 * IPv6 link-local scope and strict rp_filter see what they see without
 * tcpcryptd (measured; docs/design.md). Mirred marks the skb redirected, so
 * generic XDP on IFACE does not run on it again; a bpf_redirect() into
 * IFACE's ingress would not, and in skb mode xdp_wire re-steered such frames
 * forever. pkt_type is computed on tcv0, so tcv0 gets IFACE's MAC: frames
 * keep their real destination MAC and the stack classifies them as it would
 * on IFACE.
 */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/veth.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "tcpcryptd/hostif.h"

/* ---- rtnetlink ---- */

/* A request: nlmsghdr + ifinfomsg/tcmsg + attributes, in one aligned buffer. */
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

static struct nlmsghdr *nlreq_tc(struct nlreq *r, unsigned short type, unsigned short flags,
				 struct tcmsg **t)
{
	struct nlmsghdr *n = (struct nlmsghdr *)r->buf;

	memset(r->buf, 0, sizeof(r->buf));
	n->nlmsg_len = NLMSG_LENGTH(sizeof(**t));
	n->nlmsg_type = type;
	n->nlmsg_flags = flags;
	*t = NLMSG_DATA(n);
	(*t)->tcm_family = AF_UNSPEC;
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

/*
 * tcv0 (NAME0) gets MAC; both ends NOARP (they never resolve neighbours) and
 * MTU: host-bound frames are coalesced up to 64 KB, and veth_xmit() drops a
 * non-GSO skb longer than the receiver's MTU.
 */
static int veth_create(const char *name0, const char *name1, unsigned int queues,
		       unsigned int mtu, const uint8_t *mac)
{
	struct nlreq req;
	struct nlmsghdr *n = nlreq_init(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = NLMSG_DATA(n);
	struct rtattr *li, *data, *peer;
	struct ifinfomsg pi = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_NOARP,
				.ifi_change = IFF_NOARP };

	ifi->ifi_flags = IFF_NOARP;
	ifi->ifi_change = IFF_NOARP;
	nla_put(n, IFLA_IFNAME, name0, strlen(name0) + 1);
	nla_put(n, IFLA_ADDRESS, mac, ETH_ALEN);
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

int if_get_mac(const char *ifname, uint8_t *mac)
{
	struct ifreq ifr = {};
	int err = ifreq_ioctl(ifname, SIOCGIFHWADDR, &ifr);

	if (!err)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
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

/* ---- sysctls of our own devices: they go with the devices, nothing to restore ---- */

static int dev_sysctl(const char *fmt, const char *dev, const char *val)
{
	char path[128];
	int fd, err = 0;

	snprintf(path, sizeof(path), fmt, dev);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;	/* no IPv6 in this kernel */
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	if (err)
		pr_warn("sysctl %s=%s: %s\n", path, val, strerror(-err));
	return err;
}

/* ---- reinjection: tcv0 ingress -> IFACE ingress (tc u32 + mirred) ---- */

/*
 * tc filter add dev TCV0 ingress prio HOSTIF_TC_PRIO protocol all
 *	u32 match u32 0 0 action mirred ingress redirect dev IFACE
 */
static int reinject_filter(int tcv0_ifindex, int iface_ifindex)
{
	struct nlreq req;
	struct tcmsg *t;
	struct nlmsghdr *n = nlreq_tc(&req, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, &t);
	struct tc_mirred m = {
		.action = TC_ACT_STOLEN,
		.eaction = TCA_INGRESS_REDIR,
		.ifindex = iface_ifindex,
	};
	/* struct tc_u32_sel with one key (mask 0: every frame), TC_U32_TERMINAL */
	uint8_t sel[sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key)] = {};
	struct rtattr *opts, *acts, *act, *aopts;

	((struct tc_u32_sel *)sel)->flags = TC_U32_TERMINAL;
	((struct tc_u32_sel *)sel)->nkeys = 1;
	t->tcm_ifindex = tcv0_ifindex;
	t->tcm_parent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
	t->tcm_info = TC_H_MAKE(HOSTIF_TC_PRIO << 16, htons(ETH_P_ALL));
	nla_put(n, TCA_KIND, "u32", sizeof("u32"));
	opts = nla_nest(n, TCA_OPTIONS);
	nla_put(n, TCA_U32_SEL, sel, sizeof(sel));
	acts = nla_nest(n, TCA_U32_ACT);
	act = nla_nest(n, 1);		/* the first action */
	nla_put(n, TCA_ACT_KIND, "mirred", sizeof("mirred"));
	aopts = nla_nest(n, TCA_ACT_OPTIONS);
	nla_put(n, TCA_MIRRED_PARMS, &m, sizeof(m));
	nla_nest_end(n, aopts);
	nla_nest_end(n, act);
	nla_nest_end(n, acts);
	nla_nest_end(n, opts);
	return nl_talk(n);
}

int hostif_reinject(struct hostif *h, int iface_ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex0, .attach_point = BPF_TC_INGRESS);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		pr_warn("%s: clsact qdisc: %s\n", h->name0, strerror(-err));
		return err;
	}
	err = reinject_filter(h->ifindex0, iface_ifindex);
	if (err)
		pr_warn("%s: tc filter u32 + mirred ingress redirect: %s%s\n", h->name0,
			strerror(-err), err == -ENOENT || err == -EOPNOTSUPP ?
			" (needs CONFIG_NET_CLS_U32 and CONFIG_NET_ACT_MIRRED)" : "");
	return err;
}

int hostif_set_mac(struct hostif *h, const uint8_t *mac)
{
	struct ifreq ifr = {};

	ifr.ifr_hwaddr.sa_family = 1;	/* ARPHRD_ETHER */
	memcpy(ifr.ifr_hwaddr.sa_data, mac, ETH_ALEN);
	return ifreq_ioctl(h->name0, SIOCSIFHWADDR, &ifr);
}

void hostif_names(int iface_ifindex, char *name0, char *name1)
{
	snprintf(name0, IF_NAMESIZE, "tcx-%dh", iface_ifindex);
	snprintf(name1, IF_NAMESIZE, "tcx-%dd", iface_ifindex);
}

int hostif_create(struct hostif *h, int iface_ifindex, unsigned int queues,
		  const uint8_t *iface_mac)
{
	int err;

	memset(h, 0, sizeof(*h));
	hostif_names(iface_ifindex, h->name0, h->name1);
	err = veth_create(h->name0, h->name1, queues, HOSTIF_MTU, iface_mac);
	if (err) {
		if (err != -EEXIST)
			pr_warn("create veth %s/%s: %s\n", h->name0, h->name1, strerror(-err));
		return err;
	}
	h->created = 1;
	pr_info("created internal veth pair %s (host side) / %s (daemon side), %u queue%s, "
		"mtu %u, NOARP, IPv6 off\n", h->name0, h->name1, queues, queues == 1 ? "" : "s",
		HOSTIF_MTU);
	h->ifindex0 = if_nametoindex(h->name0);
	h->ifindex1 = if_nametoindex(h->name1);
	if (!h->ifindex0 || !h->ifindex1) {
		err = -ENODEV;
		goto err;
	}
	/* no addresses, no neighbour discovery, no DAD: they carry no stack traffic */
	err = dev_sysctl("/proc/sys/net/ipv6/conf/%s/disable_ipv6", h->name0, "1") ?:
	      dev_sysctl("/proc/sys/net/ipv6/conf/%s/disable_ipv6", h->name1, "1");
	if (err)
		goto err;
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

	if (!h->created)
		return;
	err = hostif_delete_link(h->name0);
	if (err && err != -ENODEV)
		pr_warn("delete %s: %s\n", h->name0, strerror(-err));
	else
		pr_info("deleted internal veth pair %s/%s\n", h->name0, h->name1);
	h->created = 0;
}
