/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One poller thread per queue: moves frames wire <-> host by descriptor,
 * cuts the local stack's super-packets into wire segments, coalesces
 * host-bound segments, and backs the engine's emit buffers with UMEM.
 */
#ifndef TCD_POLLER_H
#define TCD_POLLER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/seg.h"
#include "tcpcryptd/coalesce.h"
#include "tcpcryptd/emit.h"
#include "tcpcryptd/gso.h"
#include "tcpcryptd/xsk.h"

#define POLLER_BATCH	64
#define POLLER_RUNS	8	/* host-bound coalescing runs held at once (one per flow) */
#define POLLER_WRUNS	4	/* wire runs held at once (one per flow, gso.h) */

struct flow_table;
struct pcapw;

/* Counters of one poller; written by its thread only, read racily by main. */
struct poller_stats {
	uint64_t rx_pkts[XQ_SIDES];	/* frames received on the wire/host socket */
	uint64_t rx_bytes[XQ_SIDES];
	uint64_t rx_chains[XQ_SIDES];	/* of which: multi-descriptor frames */
	uint64_t tx_pkts[XQ_SIDES];	/* frames sent on the wire/host socket */
	uint64_t tx_descs[XQ_SIDES];	/* descriptors they took */
	uint64_t dropped[XQ_SIDES];	/* received on SIDE, not forwarded */
	uint64_t kicks[XQ_SIDES];	/* sendto() on SIDE */
	uint64_t tx_full[XQ_SIDES];	/* passes cut short: no TX room or no frames */
	uint64_t super_cut;		/* host super-packets cut into wire segments */
	uint64_t segs_cut;		/* the wire segments made of them */
	uint64_t super_gso;		/* host super-packets sent whole (GSO, gso.h) */
	uint64_t pieces;		/* multi-buffer local frames the engine took in pieces */
	uint64_t engine_gso;		/* engine super-segments sent whole (GSO) */
	uint64_t engine_dropped;	/* engine super-segments with nowhere to go */
	uint64_t gso_runs;		/* wire runs of engine segments sent as one GSO packet */
	uint64_t gso_segs;		/* the segments they held */
	uint64_t gso_errors;		/* GSO sends refused: sent on the TX ring instead */
	uint64_t coalesced;		/* host-bound frames sent inside a larger one */
	uint64_t runs;			/* host-bound frames made of several */
	uint64_t emitted[XQ_SIDES];	/* frames the engine emitted */
	uint64_t polls;			/* poll() calls (idle) */
	uint64_t spins;			/* passes spent spinning after traffic */
	uint64_t no_frames;		/* fill ring could not be refilled */
	uint64_t reclaims;		/* emit buffers ran out: TX sent early to free some */
};

struct poller {
	struct xq q;
	pthread_t thread;
	bool started;
	bool busy_poll;
	bool pieces;			/* local multi-buffer frames to the engine in pieces */
	uint32_t spin_ns;		/* keep polling this long after traffic; 0: never */
	int stop_fd;			/* eventfd: readable when stopping */
	uint32_t wire_mtu;		/* IFACE's MTU; main updates it (relaxed atomics) */
	struct flow_table *ft;
	int gso_fd;			/* packet socket: GSO to the wire; -1: none */
	bool gso_on;			/* use it now (main updates it, relaxed atomics) */
	struct pcapw *pcap;		/* NULL: no capture */
	struct emit em;			/* the engine's frames, backed by this UMEM */
	uint8_t *scratch;		/* one received chain, contiguous (EMIT_MAX_FRAME) */
	struct run runs[POLLER_RUNS];
	struct wrun wruns[POLLER_WRUNS];
	uint32_t wruns_active;		/* wruns holding segments */
	uint32_t held_descs;		/* host TX descriptors the runs will take */
	uint32_t tx_reserved[XQ_SIDES];	/* descriptors promised to emit_get() buffers */
	bool tx_dirty[XQ_SIDES];	/* submitted since the last kick */
	struct poller_stats st;
};

extern volatile int tcd_stopping;

int poller_init(struct poller *p);
void poller_fini(struct poller *p);
int poller_start(struct poller *p);
void poller_join(struct poller *p);

#endif
