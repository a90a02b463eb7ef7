/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_XDP plumbing for one queue: a wire socket (IFACE, q) and a host socket
 * (tcv1, q) sharing ONE UMEM, so a frame received on one socket is sent on
 * the other by handing over its descriptor; the bytes are never copied.
 */
#ifndef TCD_XSK_H
#define TCD_XSK_H

#include <stdbool.h>
#include <stdint.h>
#include <xdp/xsk.h>

#define XQ_FRAME_SIZE	4096u
#define XQ_RX_SIZE	2048u
#define XQ_TX_SIZE	2048u
#define XQ_FILL_SIZE	(2 * XQ_RX_SIZE)	/* fill ring about 2x the RX ring */
#define XQ_COMP_SIZE	XQ_TX_SIZE
/* both fill rings full, both TX rings full, plus slack for the batch in hand */
#define XQ_HUGE_ALIGN	(2u << 20)
#define XQ_NUM_FRAMES	(2 * XQ_FILL_SIZE + 2 * XQ_TX_SIZE)

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
	uint32_t outstanding_tx;	/* submitted to TX, not yet completed */
};

struct xq_opts {
	bool zero_copy_on;	/* XDP_ZEROCOPY required: refused (veth host side) */
	bool need_wakeup;
};

struct xq {
	uint32_t qid;
	void *area;		/* UMEM, 2 MB aligned inside map_base */
	void *map_base;
	uint64_t area_size;
	struct xsk_umem *umem;
	struct xq_sock s[XQ_SIDES];
	/* frames owned by userspace, neither in a ring nor in the kernel */
	uint64_t *free;
	uint32_t nfree;
};

int xq_create(struct xq *q, uint32_t qid, const char *wire_if, const char *host_if,
	      const struct xq_opts *o);
void xq_destroy(struct xq *q);
/* Register both sockets in their XSKMAPs (key = queue id). */
int xq_update_maps(struct xq *q, int wire_xskmap_fd, int host_xskmap_fd);
int xq_stats(struct xq *q, enum xq_side side, struct xdp_statistics *st);
/* Move frames from the free list into SIDE's fill ring. */
void xq_fill(struct xq *q, enum xq_side side);

static inline void xq_free_frame(struct xq *q, uint64_t addr)
{
	q->free[q->nfree++] = addr;
}

#endif
