/* SPDX-License-Identifier: GPL-2.0 */
/* One poller thread per queue: moves frames wire <-> host by descriptor. */
#ifndef TCD_POLLER_H
#define TCD_POLLER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "tcpcryptd/emit.h"
#include "tcpcryptd/xsk.h"

#define POLLER_BATCH	64
#define POLLER_OUT_MAX	512	/* engine frames queued per side per pass */

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
	uint64_t emitted[XQ_SIDES];	/* frames the engine made, sent on SIDE */
	uint64_t emit_no_room[XQ_SIDES];	/* no frame or TX slot for one */
	uint64_t no_frames;		/* fill ring could not be refilled */
};

struct poller {
	struct emit em;			/* first: the engine's buffers come from here */
	struct xq q;
	pthread_t thread;
	bool started;
	bool busy_poll;
	int stop_fd;			/* eventfd: readable when stopping */
	uint8_t host_mac[6];		/* tcv0's MAC: dst of host-bound frames */
	struct flow_table *ft;
	struct poller_stats st;
	/* frames the engine made in this pass, submitted after the forwarded ones */
	struct xdp_desc out[XQ_SIDES][POLLER_OUT_MAX];
	uint32_t nout[XQ_SIDES];
};

extern volatile int tcd_stopping;

/* Set up the engine's buffers (p->em) before the thread starts. */
void poller_init_emit(struct poller *p);
int poller_start(struct poller *p);
void poller_join(struct poller *p);

#endif
