// SPDX-License-Identifier: GPL-2.0
/*
 * One UMEM per queue, shared by the wire socket and the host socket.
 *
 * Zero-copy: with a shared UMEM the kernel binds the second socket with the
 * first one's mode (xp_assign_dev_shared), so both sockets are zero-copy or
 * both are copy mode. The host side is a veth, which has no zero-copy: the
 * pair is therefore always copy mode here; --zero-copy=on is refused by the
 * caller and auto falls back with a log line.
 *
 * Multi-buffer: the wire socket is bound with XDP_USE_SG, which marks the
 * UMEM; the host socket, bound with XDP_SHARED_UMEM (which takes no other
 * flag), inherits it from the UMEM (measured on 6.18: it receives and sends
 * chains).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_xdp.h>
#include <bpf/bpf.h>

#include "common/log.h"
#include "tcpcryptd/xsk.h"

/* A socket on IFNAME's queue QID in Q's UMEM; RX and TX say which rings it has. */
static int xq_sock_create(struct xq *q, struct xq_sock *s, const char *ifname, uint32_t qid,
			  uint16_t bind_flags, bool rx, bool tx)
{
	struct xsk_socket_config cfg = {
		.rx_size = q->rx_size,
		.tx_size = q->tx_size,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = bind_flags,
	};
	int err;

	/* The first socket uses the rings made by xsk_umem__create (s[WIRE]). */
	err = xsk_socket__create_shared(&s->xsk, ifname, qid, q->umem, rx ? &s->rx : NULL,
					tx ? &s->tx : NULL, &s->fill, &s->comp, &cfg);
	if (err)
		return err;
	s->fd = xsk_socket__fd(s->xsk);
	return 0;
}

/*
 * Frames kept out of the fill rings: cutting a 64 KB super-packet into
 * segments needs up to about 50 of them at once.
 */
#define XQ_FILL_RESERVE	(XQ_SLACK_FRAMES / 2)

/*
 * The fill ring is a FIFO: a frame put there is written again only after the
 * kernel has used every frame queued before it. Kept full (8192 frames,
 * 32 MB by default), every packet received was copied into memory that left
 * the caches long ago: measured, that copy was 10% of both daemons' CPU at
 * small packets, and bulk pass-through gained 10-20% with a 1024-frame ring.
 * So the ring holds only what traffic needs, frames from the top of the free
 * stack (the ones freed last): the goal starts at XQ_FILL_MIN, doubles when
 * the kernel took more than half of it between two refills (a burst), and
 * halves when over XQ_FILL_DECAY refills it never took more than 1/8.
 */
void xq_fill_adapt(struct xq_sock *s, uint32_t level, uint32_t max)
{
	uint32_t floor = max < XQ_FILL_MIN ? max : XQ_FILL_MIN;

	if (s->fill_goal < floor || s->fill_goal > max) {
		/* the first fill: an empty ring is no burst */
		s->fill_goal = floor;
		s->fill_low = UINT32_MAX;
		s->fill_refills = 0;
		return;
	}
	if (level < s->fill_goal / 2 && s->fill_goal < max) {
		s->fill_goal = 2 * s->fill_goal < max ? 2 * s->fill_goal : max;
		s->fill_grown++;
		s->fill_low = UINT32_MAX;
		s->fill_refills = 0;
		return;
	}
	if (level < s->fill_low)
		s->fill_low = level;
	if (++s->fill_refills < XQ_FILL_DECAY)
		return;
	/* halved, the largest take seen is still under a quarter of it */
	if (s->fill_low >= s->fill_goal - s->fill_goal / 8 && s->fill_goal / 2 >= floor)
		s->fill_goal /= 2;
	s->fill_low = UINT32_MAX;
	s->fill_refills = 0;
}

void xq_fill(struct xq *q, enum xq_side side)
{
	struct xq_sock *s = q->rxs[side];
	uint32_t level, n, idx, i, avail;

	/* asking for the whole ring refreshes the kernel's consumer index */
	level = s->fill.size - xsk_prod_nb_free(&s->fill, s->fill.size);
	xq_fill_adapt(s, level, q->fill_size);
	if (q->nfree <= XQ_FILL_RESERVE || level >= s->fill_goal)
		return;
	avail = q->nfree - XQ_FILL_RESERVE;
	n = s->fill_goal - level;
	if (n > avail)
		n = avail;
	if (xsk_ring_prod__reserve(&s->fill, n, &idx) != n)
		return;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&s->fill, idx + i) = q->free[--q->nfree];
	xsk_ring_prod__submit(&s->fill, n);
}

static uint32_t pow2_or(uint32_t v, uint32_t def)
{
	return v && !(v & (v - 1)) ? v : def;
}

/*
 * The UMEM: both fill rings full, both TX and completion rings, and some
 * slack, as single frames; then the arena. Single frames are handed out
 * from the top of a stack, lowest addresses first.
 */
static int umem_layout(struct xq *q, const struct xq_opts *o)
{
	uint32_t i;

	q->rx_size = pow2_or(o->rx_size, XQ_DEF_RX_SIZE);
	q->tx_size = pow2_or(o->tx_size, XQ_DEF_TX_SIZE);
	q->fill_size = pow2_or(o->fill_size, 2 * q->rx_size);
	q->comp_size = q->tx_size;
	q->nframes = 2 * q->fill_size + 2 * q->tx_size + XQ_SLACK_FRAMES;
	q->nslots = o->slots ? o->slots : XQ_DEF_SLOTS;
	q->arena = (uint64_t)q->nframes * XQ_FRAME_SIZE;
	q->area_size = q->arena + (uint64_t)q->nslots * XQ_SLOT_FRAMES * XQ_FRAME_SIZE;

	q->free = calloc(q->nframes, sizeof(*q->free));
	q->slot_free = calloc(q->nslots, sizeof(*q->slot_free));
	q->slot_refs = calloc(q->nslots, sizeof(*q->slot_refs));
	if (!q->free || !q->slot_free || !q->slot_refs)
		return -ENOMEM;
	for (i = 0; i < q->nframes; i++)
		q->free[i] = (uint64_t)(q->nframes - 1 - i) * XQ_FRAME_SIZE;
	q->nfree = q->nframes;
	for (i = 0; i < q->nslots; i++)
		q->slot_free[i] = q->nslots - 1 - i;
	q->nslot_free = q->nslots;
	return 0;
}

int xq_create(struct xq *q, uint32_t qid, const char *wire_if, const char *host_if,
	      const struct xq_opts *o)
{
	struct xsk_umem_config ucfg = {
		.frame_size = XQ_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	uint16_t bind_flags = XDP_COPY | XDP_USE_SG;
	int err;

	memset(q, 0, sizeof(*q));
	q->qid = qid;
	q->s[XQ_WIRE].fd = q->s[XQ_HOST].fd = q->in.fd = -1;
	q->rxs[XQ_WIRE] = o->wire_in ? &q->in : &q->s[XQ_WIRE];
	q->rxs[XQ_HOST] = &q->s[XQ_HOST];
	err = umem_layout(q, o);
	if (err)
		goto err;
	ucfg.fill_size = q->fill_size;
	ucfg.comp_size = q->comp_size;
	/*
	 * With small pages each 4 KB frame is its own page: a TLB miss per
	 * packet in the poller. Ask for transparent huge pages (2 MB
	 * aligned) before the memory is touched.
	 */
	q->map_base = mmap(NULL, q->area_size + XQ_HUGE_ALIGN, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->map_base == MAP_FAILED) {
		q->map_base = NULL;
		err = -errno;
		goto err;
	}
	q->area = (void *)(((uintptr_t)q->map_base + XQ_HUGE_ALIGN - 1) &
			   ~(uintptr_t)(XQ_HUGE_ALIGN - 1));
	if (madvise(q->area, q->area_size, MADV_HUGEPAGE))
		pr_debug("queue %u: no transparent huge pages for the UMEM\n", qid);
	memset(q->area, 0, q->area_size);	/* populate */

	err = xsk_umem__create(&q->umem, q->area, q->area_size,
			       &q->s[XQ_WIRE].fill, &q->s[XQ_WIRE].comp, &ucfg);
	if (err) {
		pr_warn("queue %u: UMEM: %s\n", qid, strerror(-err));
		goto err;
	}
	if (o->need_wakeup)
		bind_flags |= XDP_USE_NEED_WAKEUP;
	if (o->zero_copy_on) {
		pr_warn("queue %u: zero-copy impossible: the host side (%s) is a veth and "
			"shares the UMEM with %s; use --zero-copy=off or auto\n",
			qid, host_if, wire_if);
		err = -EOPNOTSUPP;
		goto err;
	}
	err = xq_sock_create(q, &q->s[XQ_WIRE], wire_if, qid, bind_flags, !o->wire_in, true);
	if (err) {
		pr_warn("queue %u: AF_XDP socket on %s: %s%s\n", qid, wire_if, strerror(-err),
			err == -EINVAL ? " (multi-buffer AF_XDP needs Linux 6.6 or later)" : "");
		goto err;
	}
	err = xq_sock_create(q, &q->s[XQ_HOST], host_if, qid, bind_flags, true, true);
	if (err) {
		pr_warn("queue %u: AF_XDP socket on %s: %s\n", qid, host_if, strerror(-err));
		goto err;
	}
	if (o->wire_in) {
		err = xq_sock_create(q, &q->in, host_if, o->wire_in_base + qid, bind_flags, true,
				     false);
		if (err) {
			pr_warn("queue %u: AF_XDP socket on %s queue %u: %s\n", qid, host_if,
				o->wire_in_base + qid, strerror(-err));
			goto err;
		}
	}
	/* both fill rings start full; the rest stays free for the TX side */
	xq_fill(q, XQ_WIRE);
	xq_fill(q, XQ_HOST);
	return 0;
err:
	xq_destroy(q);
	return err;
}

void xq_destroy(struct xq *q)
{
	int i;

	for (i = 0; i < XQ_SIDES; i++) {
		if (q->s[i].xsk)
			xsk_socket__delete(q->s[i].xsk);
		q->s[i].xsk = NULL;
	}
	if (q->in.xsk)
		xsk_socket__delete(q->in.xsk);
	q->in.xsk = NULL;
	if (q->umem)
		xsk_umem__delete(q->umem);
	q->umem = NULL;
	if (q->map_base)
		munmap(q->map_base, q->area_size + XQ_HUGE_ALIGN);
	q->area = q->map_base = NULL;
	free(q->free);
	free(q->slot_free);
	free(q->slot_refs);
	q->free = NULL;
	q->slot_free = NULL;
	q->slot_refs = NULL;
}

int xq_update_maps(struct xq *q, int wire_xskmap_fd, int host_xskmap_fd)
{
	uint32_t key = q->qid;
	int err;

	err = bpf_map_update_elem(wire_xskmap_fd, &key, &q->rxs[XQ_WIRE]->fd, BPF_ANY);
	if (err)
		return -errno;
	err = bpf_map_update_elem(host_xskmap_fd, &key, &q->rxs[XQ_HOST]->fd, BPF_ANY);
	if (err)
		return -errno;
	return 0;
}

int xq_stats(struct xq *q, enum xq_side side, struct xdp_statistics *st)
{
	struct xdp_statistics rx;
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	if (q->s[side].fd < 0)
		return -EBADF;
	if (getsockopt(q->s[side].fd, SOL_XDP, XDP_STATISTICS, st, &len))
		return -errno;
	if (q->rxs[side] == &q->s[side])
		return 0;
	/* tc mode: the wire's RX counters are the other socket's */
	len = sizeof(rx);
	memset(&rx, 0, sizeof(rx));
	if (getsockopt(q->rxs[side]->fd, SOL_XDP, XDP_STATISTICS, &rx, &len))
		return -errno;
	st->rx_dropped = rx.rx_dropped;
	st->rx_invalid_descs = rx.rx_invalid_descs;
	st->rx_ring_full = rx.rx_ring_full;
	st->rx_fill_ring_empty_descs = rx.rx_fill_ring_empty_descs;
	return 0;
}
