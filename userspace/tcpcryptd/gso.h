/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Super-packets to the wire. AF_XDP transmits no GSO packets: every
 * descriptor chain becomes one skb of at most the MTU, and on a veth each
 * one then crosses the peer's whole receive path alone. A packet socket
 * with a virtio-net header (PACKET_VNET_HDR) does transmit GSO packets,
 * and PACKET_QDISC_BYPASS sends them the way AF_XDP copy mode does
 * (dev_direct_xmit: no qdisc, no tc egress, so the steering program never
 * sees them again). The device then cuts them into MSS segments exactly as
 * tcp_gso_segment() would (TSO on a NIC, in software elsewhere; a veth
 * passes them whole to the peer, like the local stack's own).
 *
 * Two users:
 * - the local stack's super-packets of pass-through flows: sent whole
 *   (gso_send), one system call per up to 64 KB instead of one cut each;
 * - the segments the engine emits back to back for one flow within a batch:
 *   gathered into a wire run (struct wrun) while they could have come out of
 *   one GSO packet (same headers but the sequence number, all but the last
 *   of one size; struct run's rules from coalesce.h decide the rest), then
 *   sent as one, gathered from their buffers by iovec: no byte is copied in
 *   userspace.
 */
#ifndef TCD_GSO_H
#define TCD_GSO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "engine/seg.h"
#include "tcpcryptd/coalesce.h"

#define GSO_MAX_SEGS	64u	/* segments per wire run */
#define GSO_HDR_MAX	256u	/* L2 + IP + TCP headers of a run */

struct wrun {
	struct run c;			/* what may join (coalesce.h); c.nd unused */
	uint32_t gso;			/* payload bytes of every segment but the last */
	uint32_t nseg;
	uint8_t *buf[GSO_MAX_SEGS];	/* the segments, as the engine wrote them */
	uint32_t len[GSO_MAX_SEGS];	/* their lengths (L2 to the end of the payload) */
	uint8_t hdr[GSO_HDR_MAX];	/* the run's headers, rewritten for its length */
};

/* A packet socket that sends GSO packets on IFINDEX; negative errno. */
int gso_open(int ifindex);

/*
 * Send a TCP super-packet, its headers HDR (as parsed in S: the checksum
 * field holds the pseudo-header sum, CHECKSUM_PARTIAL, and the urgent field
 * is what every segment gets) and its S->payload_len bytes at PAYLOAD, as
 * segments of MSS payload bytes. 0 or negative errno.
 */
int gso_send(int fd, const uint8_t *hdr, const uint8_t *payload, const struct tc_seg *s,
	     uint32_t mss);

/* May segment S (BUF, LEN bytes) start a wire run? */
bool wrun_eligible(const uint8_t *buf, uint32_t len, const struct tc_seg *s);
void wrun_start(struct wrun *w, uint8_t *buf, uint32_t len, const struct tc_seg *s);
/* Does S (in BUF) join W? Then it is added. */
bool wrun_add(struct wrun *w, uint8_t *buf, uint32_t len, const struct tc_seg *s);
/* Send W's segments as one GSO packet (W holds at least two). 0 or -errno. */
int wrun_send(int fd, struct wrun *w);

#endif
