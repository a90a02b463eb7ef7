/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The internal veth pair of an attached interface:
 *   tcv0 "tcx-<ifindex>h": host side; host-bound frames enter the local stack
 *        here; tc egress on IFACE redirects steered segments into it.
 *   tcv1 "tcx-<ifindex>d": daemon side; xdp_host + the host AF_XDP sockets.
 * Both live in IFACE's namespace, have no addresses, and are deleted at exit.
 * Every sysctl changed is logged, saved and restored.
 */
#ifndef TCD_HOSTIF_H
#define TCD_HOSTIF_H

#include <net/if.h>
#include <stdint.h>

#define HOSTIF_MAX_SYSCTLS 64

struct hostif_sysctl {
	char path[128];
	char old[32];
};

struct hostif {
	char name0[IF_NAMESIZE], name1[IF_NAMESIZE];
	int ifindex0, ifindex1;
	uint8_t mac0[6];
	int created;
	struct hostif_sysctl saved[HOSTIF_MAX_SYSCTLS];
	int nsaved;
};

/* Names of the pair for IFACE's ifindex. */
void hostif_names(int iface_ifindex, char *name0, char *name1);
/*
 * Create the pair with QUEUES queues and MTU, configure it (offloads off on
 * tcv0, rp_filter=2 on tcv0, no IPv6 addresses) and bring it up. -EEXIST if
 * a pair of that name exists (a killed daemon's leftover).
 */
int hostif_create(struct hostif *h, int iface_ifindex, unsigned int queues, unsigned int mtu);
/* Restore sysctls and delete the pair (if we created it). */
void hostif_destroy(struct hostif *h);
/* Delete a link by name (stale cleanup). 0, or -ENODEV if absent. */
int hostif_delete_link(const char *name);

/* Small helpers shared with main.c. */
int if_get_mtu(const char *ifname, unsigned int *mtu);

#endif
