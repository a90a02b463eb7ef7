// SPDX-License-Identifier: GPL-2.0
/*
 * One UMEM per queue, shared by the wire socket and the host socket.
 *
 * Zero-copy: with a shared UMEM the kernel binds the second socket with the
 * first one's mode (xp_assign_dev_shared), so both sockets are zero-copy or
 * both are copy mode. The host side is a veth, which has no zero-copy: the
 * pair is therefore always copy mode here; --zero-copy=on is refused by the
 * caller and auto falls back with a log line.
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

static int xq_sock_create(struct xq *q, enum xq_side side, const char *ifname,
			  uint16_t bind_flags)
{
	struct xq_sock *s = &q->s[side];
	struct xsk_socket_config cfg = {
		.rx_size = XQ_RX_SIZE,
		.tx_size = XQ_TX_SIZE,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = bind_flags,
	};
	int err;

	/* The first socket uses the rings made by xsk_umem__create (s[WIRE]). */
	err = xsk_socket__create_shared(&s->xsk, ifname, q->qid, q->umem,
					&s->rx, &s->tx, &s->fill, &s->comp, &cfg);
	if (err)
		return err;
	s->fd = xsk_socket__fd(s->xsk);
	return 0;
}

void xq_fill(struct xq *q, enum xq_side side)
{
	struct xq_sock *s = &q->s[side];
	uint32_t n, idx, i;

	n = xsk_prod_nb_free(&s->fill, q->nfree);
	if (n > q->nfree)
		n = q->nfree;
	if (!n || xsk_ring_prod__reserve(&s->fill, n, &idx) != n)
		return;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&s->fill, idx + i) = q->free[--q->nfree];
	xsk_ring_prod__submit(&s->fill, n);
}

int xq_create(struct xq *q, uint32_t qid, const char *wire_if, const char *host_if,
	      const struct xq_opts *o)
{
	struct xsk_umem_config ucfg = {
		.fill_size = XQ_FILL_SIZE,
		.comp_size = XQ_COMP_SIZE,
		.frame_size = XQ_FRAME_SIZE,
		.frame_headroom = 0,
		.flags = 0,
	};
	uint16_t bind_flags = XDP_COPY;
	uint32_t i;
	int err;

	memset(q, 0, sizeof(*q));
	q->qid = qid;
	q->s[XQ_WIRE].fd = q->s[XQ_HOST].fd = -1;
	q->area_size = (uint64_t)XQ_NUM_FRAMES * XQ_FRAME_SIZE;
	/*
	 * Every frame is its own 4 KB page: with small pages each packet
	 * costs a TLB miss in the poller. Ask for transparent huge pages
	 * (2 MB aligned) before the memory is touched.
	 */
	q->area = mmap(NULL, q->area_size + XQ_HUGE_ALIGN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -errno;
	}
	q->map_base = q->area;
	q->area = (void *)(((uintptr_t)q->area + XQ_HUGE_ALIGN - 1) & ~(uintptr_t)(XQ_HUGE_ALIGN - 1));
	if (madvise(q->area, q->area_size, MADV_HUGEPAGE))
		pr_debug("queue %u: no transparent huge pages for the UMEM\n", qid);
	memset(q->area, 0, q->area_size);	/* populate */
	q->free = calloc(XQ_NUM_FRAMES, sizeof(*q->free));
	if (!q->free) {
		err = -ENOMEM;
		goto err;
	}
	for (i = 0; i < XQ_NUM_FRAMES; i++)
		q->free[i] = (uint64_t)(XQ_NUM_FRAMES - 1 - i) * XQ_FRAME_SIZE;
	q->nfree = XQ_NUM_FRAMES;

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
	err = xq_sock_create(q, XQ_WIRE, wire_if, bind_flags);
	if (err) {
		pr_warn("queue %u: AF_XDP socket on %s: %s\n", qid, wire_if, strerror(-err));
		goto err;
	}
	err = xq_sock_create(q, XQ_HOST, host_if, bind_flags);
	if (err) {
		pr_warn("queue %u: AF_XDP socket on %s: %s\n", qid, host_if, strerror(-err));
		goto err;
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
	if (q->umem)
		xsk_umem__delete(q->umem);
	q->umem = NULL;
	if (q->map_base)
		munmap(q->map_base, q->area_size + XQ_HUGE_ALIGN);
	q->area = q->map_base = NULL;
	free(q->free);
	q->free = NULL;
}

int xq_update_maps(struct xq *q, int wire_xskmap_fd, int host_xskmap_fd)
{
	uint32_t key = q->qid;
	int err;

	err = bpf_map_update_elem(wire_xskmap_fd, &key, &q->s[XQ_WIRE].fd, BPF_ANY);
	if (err)
		return -errno;
	err = bpf_map_update_elem(host_xskmap_fd, &key, &q->s[XQ_HOST].fd, BPF_ANY);
	if (err)
		return -errno;
	return 0;
}

int xq_stats(struct xq *q, enum xq_side side, struct xdp_statistics *st)
{
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	if (q->s[side].fd < 0)
		return -EBADF;
	if (getsockopt(q->s[side].fd, SOL_XDP, XDP_STATISTICS, st, &len))
		return -errno;
	return 0;
}
