/* SPDX-License-Identifier: GPL-2.0 */
/* One poller thread per queue: moves frames wire <-> host by descriptor. */
#ifndef TCD_POLLER_H
#define TCD_POLLER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "tcpcryptd/xsk.h"

#define POLLER_BATCH	64

struct flow_table;

/* Counters of one poller; written by its thread only, read racily by main. */
struct poller_stats {
	uint64_t rx_pkts[XQ_SIDES];	/* frames received on the wire/host socket */
	uint64_t rx_bytes[XQ_SIDES];
	uint64_t tx_pkts[XQ_SIDES];	/* frames sent on the wire/host socket */
	uint64_t dropped[XQ_SIDES];	/* received on SIDE, not forwarded */
	uint64_t kicks[XQ_SIDES];	/* sendto() on SIDE */
	uint64_t tx_full[XQ_SIDES];	/* batches cut short by a full TX ring */
	uint64_t polls;			/* poll() calls (idle) */
	uint64_t no_frames;		/* fill ring could not be refilled */
};

struct poller {
	struct xq q;
	pthread_t thread;
	bool started;
	bool busy_poll;
	int stop_fd;			/* eventfd: readable when stopping */
	uint8_t host_mac[6];		/* tcv0's MAC: dst of host-bound frames */
	struct flow_table *ft;
	struct poller_stats st;
};

extern volatile int tcd_stopping;

int poller_start(struct poller *p);
void poller_join(struct poller *p);

#endif
