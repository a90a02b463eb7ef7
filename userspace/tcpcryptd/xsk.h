/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_XDP plumbing for one queue: a wire socket (IFACE, q) and a host socket
 * (tcv1, q) sharing ONE UMEM, so a frame received on one socket is sent on
 * the other by handing over its descriptors; the bytes are never copied.
 * In tc mode (no XDP on IFACE) a third socket in the same UMEM, on tcv1's
 * queue base + q, receives the wire's frames; the IFACE socket only sends.
 *
 * Both sockets are multi-buffer (XDP_USE_SG): a frame longer than one UMEM
 * frame arrives as a chain of descriptors (XDP_PKT_CONTD on all but the
 * last) and is sent the same way. The UMEM holds single 4 KB frames (RX,
 * fill, and frames tcpcryptd builds) and an arena of contiguous runs of
 * XQ_SLOT_FRAMES frames, one per frame of up to 64 KB the engine writes.
 */
#ifndef TCD_XSK_H
#define TCD_XSK_H

#include <stdbool.h>
#include <stdint.h>
#include <xdp/xsk.h>

/* Debian 12's uapi headers (6.1) predate multi-buffer AF_XDP (6.6). */
#ifndef XDP_USE_SG
#define XDP_USE_SG	(1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD	(1 << 0)
#endif

#define XQ_FRAME_SIZE	4096u
/* copy mode puts received data XDP_PACKET_HEADROOM into the frame */
#define XQ_RX_HEADROOM	256u
/* at most 1 linear + MAX_SKB_FRAGS (17) descriptors per TX chain; longer
 * chains are dropped by the kernel (tx_invalid_descs) */
#define XQ_MAX_CHAIN	18u
/* frames of one engine buffer: a 64 KB datagram plus L2 (EMIT_MAX_FRAME) */
#define XQ_SLOT_FRAMES	17u

/* Defaults (tcpcryptd --rx-ring, --tx-ring, --fill-ring). */
#define XQ_DEF_RX_SIZE		4096u
#define XQ_DEF_TX_SIZE		4096u
#define XQ_DEF_FILL_SIZE	(2 * XQ_DEF_RX_SIZE)	/* fill ring about 2x the RX ring */
#define XQ_DEF_SLOTS		32u
/* frames beyond the rings: runs being coalesced, segments being cut */
#define XQ_SLACK_FRAMES		1024u
#define XQ_HUGE_ALIGN		(2u << 20)
/* the fill ring's adaptive level (see xq_fill): floor, and refills per decay */
#define XQ_FILL_MIN		1024u
#define XQ_FILL_DECAY		4096u

enum xq_side {
	XQ_WIRE,	/* IFACE: frames from/to the network */
	XQ_HOST,	/* tcv1: frames from/to the local stack (through tcv0) */
	XQ_SIDES,
};

struct xq_sock {
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	int fd;
	uint32_t outstanding_tx;	/* descriptors submitted, not yet completed */
	/* the fill ring is kept at fill_goal frames, not full (see xq_fill) */
	uint32_t fill_goal, fill_low, fill_refills;
	uint64_t fill_grown;		/* times a burst doubled fill_goal */
};

struct xq_opts {
	bool zero_copy_on;	/* XDP_ZEROCOPY required: refused (veth host side) */
	bool need_wakeup;
	uint32_t rx_size, tx_size, fill_size;	/* powers of two; 0: defaults */
	uint32_t slots;				/* engine buffers; 0: default */
	/*
	 * tc mode (TC_CFG_TC_INGRESS): wire frames arrive on the host
	 * interface's queue wire_in_base + qid, not on IFACE, which then
	 * only transmits.
	 */
	bool wire_in;
	uint32_t wire_in_base;
};

struct xq {
	uint32_t qid;
	void *area;		/* UMEM, 2 MB aligned inside map_base */
	void *map_base;
	uint64_t area_size;
	struct xsk_umem *umem;
	struct xq_sock s[XQ_SIDES];	/* what each side transmits on */
	struct xq_sock in;		/* tc mode: the wire's RX socket (on tcv1) */
	struct xq_sock *rxs[XQ_SIDES];	/* what each side receives on: s[side] or &in */
	uint32_t rx_size, tx_size, fill_size, comp_size;
	/* single frames owned by userspace, neither in a ring nor in the kernel */
	uint64_t *free;
	uint32_t nfree, nframes;
	/* the arena: NSLOTS runs of XQ_SLOT_FRAMES frames from ARENA on */
	uint64_t arena;
	uint32_t nslots;
	uint32_t *slot_free, nslot_free;
	uint8_t *slot_refs;	/* descriptors of a slot's frame not yet completed */
};

int xq_create(struct xq *q, uint32_t qid, const char *wire_if, const char *host_if,
	      const struct xq_opts *o);
void xq_destroy(struct xq *q);
/* Register the receiving sockets in their XSKMAPs (key = queue id). */
int xq_update_maps(struct xq *q, int wire_xskmap_fd, int host_xskmap_fd);
int xq_stats(struct xq *q, enum xq_side side, struct xdp_statistics *st);
/* Move frames from the free list into SIDE's (RX socket's) fill ring, up to its goal. */
void xq_fill(struct xq *q, enum xq_side side);
/* Adapt the goal to LEVEL, the frames the kernel still held (of at most MAX). */
void xq_fill_adapt(struct xq_sock *s, uint32_t level, uint32_t max);

static inline uint64_t xq_chunk(uint64_t addr)
{
	return addr & ~(uint64_t)(XQ_FRAME_SIZE - 1);
}

static inline void xq_free_frame(struct xq *q, uint64_t addr)
{
	q->free[q->nfree++] = xq_chunk(addr);
}

/* A descriptor came back (completion, or a frame never sent): free its frame. */
static inline void xq_release(struct xq *q, uint64_t addr)
{
	if (addr >= q->arena) {
		uint32_t slot = (addr - q->arena) / (XQ_SLOT_FRAMES * XQ_FRAME_SIZE);

		if (!--q->slot_refs[slot])
			q->slot_free[q->nslot_free++] = slot;
		return;
	}
	xq_free_frame(q, addr);
}

#endif
