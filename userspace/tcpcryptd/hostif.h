/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The internal veth pair of an attached interface:
 *   tcv0 "tcx-<ifindex>h": host side, with IFACE's MAC. Host-bound frames
 *        arrive here and a tc ingress filter (u32 + mirred) re-enters them
 *        into the stack on IFACE; tc_host_tx drops whatever the host sends.
 *   tcv1 "tcx-<ifindex>d": daemon side; tc_egress redirects steered egress
 *        into its ingress; xdp_host (skb mode) + the host AF_XDP sockets.
 * Both live in IFACE's namespace, have no addresses, IPv6 off, NOARP, a
 * 64 KB MTU, and are deleted at exit. No host sysctl is changed.
 */
#ifndef TCD_HOSTIF_H
#define TCD_HOSTIF_H

#include <net/if.h>
#include <stdint.h>

#define HOSTIF_MTU	65535	/* coalesced host-bound segments, egress super-packets */
#define HOSTIF_TC_PRIO	2	/* after tc_host_rx (TC_HOST_RX_PRIORITY) */

struct hostif {
	char name0[IF_NAMESIZE], name1[IF_NAMESIZE];
	int ifindex0, ifindex1;
	int created;
};

/* Names of the pair for IFACE's ifindex. */
void hostif_names(int iface_ifindex, char *name0, char *name1);
/*
 * Create the pair with QUEUES queues, tcv0 with IFACE_MAC, configure and
 * bring it up. -EEXIST if a pair of that name exists.
 */
int hostif_create(struct hostif *h, int iface_ifindex, unsigned int queues,
		  const uint8_t *iface_mac);
/* The reinjection filter: tcv0 ingress -> IFACE ingress. */
int hostif_reinject(struct hostif *h, int iface_ifindex);
/* IFACE's MAC changed: give tcv0 the new one. */
int hostif_set_mac(struct hostif *h, const uint8_t *mac);
/* Delete the pair (if we created it). */
void hostif_destroy(struct hostif *h);
/* Delete a link by name (stale cleanup). 0, or -ENODEV if absent. */
int hostif_delete_link(const char *name);

/* Small helpers shared with main.c. */
int if_get_mtu(const char *ifname, unsigned int *mtu);
int if_get_mac(const char *ifname, uint8_t *mac);

#endif
