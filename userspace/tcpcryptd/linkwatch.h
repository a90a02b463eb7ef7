/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Watch IFACE and the internal veth pair over rtnetlink (RTMGRP_LINK):
 * deletion, MTU, MAC address, administrative and carrier state. tcpcryptd
 * adapts (MTU, MAC), logs (link down/up), or stops (a device deleted).
 */
#ifndef TCD_LINKWATCH_H
#define TCD_LINKWATCH_H

#include <stdbool.h>
#include <stdint.h>

struct link_state {
	bool deleted;
	unsigned int mtu;
	uint8_t mac[6];
	unsigned int flags;	/* IFF_UP, IFF_LOWER_UP, ... */
};

struct linkwatch {
	int fd;
	int ifindex[3];		/* IFACE, tcv0, tcv1 */
	bool seen[3];		/* an event for it since the last read */
	struct link_state st[3];
};

int linkwatch_open(struct linkwatch *lw, int iface, int tcv0, int tcv1);
/* Drain pending messages into lw->st / lw->seen (non-blocking). */
int linkwatch_read(struct linkwatch *lw);
void linkwatch_close(struct linkwatch *lw);

#endif
