/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow table of tcpcryptd and its mirror in the BPF flow map (tc_flows).
 *
 * Pass-through state machine, per connection (key = host's view):
 *   SYN (no ACK) seen in either direction -> flow inserted into tc_flows as
 *     PASSTHROUGH *before* the SYN is reinjected, so the SYN-ACK and every
 *     later segment are steered too;
 *   FIN seen in both directions, or an RST -> removed after a grace period
 *     (late ACKs/retransmissions then pass as plain TCP, harmless here);
 *   no segment for idle_timeout -> removed; a flow that never saw a segment
 *     in both directions (a SYN nobody answered, a SYN flood) after
 *     FLOW_HALF_OPEN_S seconds.
 * Segments of a steered flow we do not know (a restarted daemon adopting
 * tc_flows entries) are adopted as established.
 */
#ifndef TCD_FLOW_H
#define TCD_FLOW_H

#include <pthread.h>
#include <stdint.h>

#include "tcpcrypt_shared.h"
#include "tcpcryptd/emit.h"
#include "tcpcryptd/xsk.h"

struct dp;

enum flow_verdict {
	FV_FORWARD,	/* the frame goes on to the other side, unchanged */
	FV_DROP,	/* dropped (counted) */
	FV_CONSUMED,	/* taken by the engine; what it sends went out through em */
};

enum flow_st {
	FS_SYN,		/* SYN seen, no FIN/RST yet */
	FS_FIN1,	/* FIN in one direction */
	FS_CLOSED,	/* FIN both ways or RST: removal pending */
};

struct flow {
	struct flow *next;
	struct tc_flow_key key;
	uint8_t st;
	uint8_t fin_mask;	/* bit XQ_WIRE: FIN from remote; XQ_HOST: FIN from local */
	uint8_t lost_keys;	/* NEGOTIATING/ENCRYPTED under a dead daemon: drop */
	uint8_t seen_mask;	/* bit XQ_WIRE / XQ_HOST: a segment came from there */
	uint16_t queue;
	uint64_t last_ns;	/* CLOCK_MONOTONIC of the last segment */
	uint64_t expire_ns;	/* FS_CLOSED: remove at this time */
};

#define FLOW_HALF_OPEN_S 30

struct flow_stats {
	uint64_t created, adopted, removed_closed, removed_idle, map_errors;
	uint64_t non_tcp, table_full, lost_keys_dropped;
	uint64_t csum_fixed;	/* wire frames with a CHECKSUM_PARTIAL leftover */
};

struct flow_table {
	pthread_mutex_t lock;
	struct flow **buckets;
	uint32_t nbuckets;	/* power of 2 */
	uint32_t count, max;
	uint64_t grace_ns, idle_ns;
	struct dp *dp;		/* tc_flows owner; NULL in unit tests */
	struct flow_stats st;
};

int flow_table_init(struct flow_table *ft, struct dp *dp, uint32_t max_flows,
		    uint32_t grace_ms, uint32_t idle_s);
/* Remove every flow from tc_flows and free the table. */
void flow_table_fini(struct flow_table *ft);

/*
 * A frame received from FROM (XQ_WIRE: from the network, XQ_HOST: from the
 * local stack) on queue QUEUE: update the flow; FV_FORWARD or FV_DROP.
 * A wire frame whose TCP checksum is a CHECKSUM_PARTIAL leftover (pseudo
 * header only, a veth peer without tcpcryptd) gets its full checksum.
 */
enum flow_verdict flow_packet(struct flow_table *ft, enum xq_side from, uint16_t queue,
			      uint8_t *pkt, uint32_t len, uint64_t now, struct emit *em);

/* End of a batch: frames the engine held back to coalesce go out through em. */
void flow_flush(struct flow_table *ft, struct emit *em);
/* Run the timers due at now (retransmissions the engine owns). */
void flow_timers(struct flow_table *ft, uint64_t now, struct emit *em);
/* When flow_timers() next has work (CLOCK_MONOTONIC ns), UINT64_MAX: none. */
uint64_t flow_next_timer(const struct flow_table *ft);

/*
 * Take over a tc_flows entry left by a previous daemon. Flows whose state
 * needed keys (NEGOTIATING/ENCRYPTED) keep their map entry and have their
 * segments dropped: they are never passed in plaintext.
 */
int flow_adopt(struct flow_table *ft, const struct tc_flow_key *k, uint8_t state,
	       uint16_t queue);

/* Remove closed flows past their grace period and idle flows. */
void flow_expire(struct flow_table *ft, uint64_t now_ns);

uint64_t tcd_now_ns(void);

#endif
