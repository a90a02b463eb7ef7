/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Coalescing host-bound segments, as GRO would: the decision and the
 * header rewrite, with no AF_XDP in sight (the poller keeps the run's
 * descriptors). A run is in-order payload of one flow; it takes a segment
 * only if everything but the payload and the PSH flag matches the run: the
 * next sequence number, ACK, window, TCP options (timestamps included),
 * TOS/traffic class (an ECN CE mark ends a run), TTL, DF; flags ACK and
 * ECE only (PSH joins and closes the run; SYN, FIN, RST, URG, CWR never
 * join); no IPv4 options or IPv6 extension headers; at most 64 KB.
 *
 * The run's TCP checksum is derived from its segments' own checksums
 * (their payload sums are what their checksums leave over the headers), so
 * the payload is never read; a segment whose checksum was wrong makes the
 * whole run fail the stack's verification, never pass.
 */
#ifndef TCD_COALESCE_H
#define TCD_COALESCE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/if_xdp.h>

#include "engine/seg.h"

#define COAL_MAX_LEN	65535u	/* IP datagram */
#define COAL_MAX_DESCS	18u	/* = XQ_MAX_CHAIN */

struct run {
	bool active;
	bool closed;			/* ended by PSH: nothing may join */
	uint8_t flags;			/* TCP flags of the first frame, | PSH of the last */
	uint8_t tos, ttl;
	uint8_t thl;
	uint16_t df;			/* IPv4: the DF bit */
	uint32_t next_seq, ack;
	uint16_t win;
	uint8_t *first;			/* the first frame, where the headers are rewritten */
	struct tc_seg seg;		/* its parse, pointers into FIRST */
	uint32_t ip_len;		/* IP header + TCP header + all payload */
	uint32_t plen;			/* payload bytes so far */
	uint64_t psum;			/* their one's complement sum (unfolded) */
	uint32_t nframes;
	uint32_t nd;			/* descriptors (kept by the poller) */
	struct xdp_desc d[COAL_MAX_DESCS];
};

/* May segment S (in PKT) start or join a run at all? */
bool coal_eligible(const uint8_t *pkt, const struct tc_seg *s);
/* Start R with S; FIRST is where PKT's headers live for good (the UMEM). */
void coal_start(struct run *r, uint8_t *first, const uint8_t *pkt, const struct tc_seg *s);
/* Would S join R (ND more descriptors for its payload)? */
bool coal_joins(const struct run *r, const uint8_t *pkt, const struct tc_seg *s, uint32_t nd);
/* Add S's payload to R (the descriptors are the caller's). */
void coal_add(struct run *r, const uint8_t *pkt, const struct tc_seg *s);
/* Rewrite the first frame's headers for the whole run (no-op for one frame). */
void coal_finish(struct run *r);

#endif
