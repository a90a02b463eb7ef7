// SPDX-License-Identifier: GPL-2.0
/*
 * The per-queue loop. A frame received on one socket is handed to the other
 * socket's TX ring by its UMEM address (shared UMEM: no byte copy). Work is
 * done in batches of POLLER_BATCH descriptors; TX is kicked with sendto()
 * only when the kernel asks for it (XDP_USE_NEED_WAKEUP; in copy mode it
 * always does, and one sendto() sends at most 32 frames, so we kick until
 * the ring is drained). When a pass finds nothing to do the thread sleeps in
 * poll() on both sockets and the stop eventfd: no CPU while idle.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "tcpcryptd/flow.h"
#include "tcpcryptd/poller.h"

volatile int tcd_stopping;

static uint32_t reap_completions(struct poller *p, enum xq_side side)
{
	struct xq_sock *s = &p->q.s[side];
	uint32_t idx, n, i;

	n = xsk_ring_cons__peek(&s->comp, XQ_COMP_SIZE, &idx);
	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		xq_free_frame(&p->q, *xsk_ring_cons__comp_addr(&s->comp, idx + i) &
			      ~(uint64_t)(XQ_FRAME_SIZE - 1));
	xsk_ring_cons__release(&s->comp, n);
	s->outstanding_tx -= n < s->outstanding_tx ? n : s->outstanding_tx;
	return n;
}

static void kick_tx(struct poller *p, enum xq_side side)
{
	struct xq_sock *s = &p->q.s[side];
	unsigned int i;

	if (!xsk_ring_prod__needs_wakeup(&s->tx))
		return;
	/* copy mode: each sendto() transmits up to 32 frames, EAGAIN = more */
	for (i = 0; i < XQ_TX_SIZE / 32; i++) {
		p->st.kicks[side]++;
		if (sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
			break;
		if (errno != EAGAIN && errno != EBUSY)
			break;
	}
}

/* ---- emit: frames the engine makes, written once into a UMEM frame ---- */

static uint8_t *em_get(struct emit *em, enum xq_side to, uint32_t len)
{
	struct poller *p = (struct poller *)em;

	if (len > XQ_FRAME_SIZE || !p->q.nfree) {
		p->st.emit_no_room[to]++;
		return NULL;
	}
	return xsk_umem__get_data(p->q.area, p->q.free[--p->q.nfree]);
}

static void em_put(struct emit *em, enum xq_side to, uint8_t *buf, uint32_t len)
{
	struct poller *p = (struct poller *)em;
	uint64_t addr = buf - (uint8_t *)p->q.area;

	if (!len || p->nout[to] == POLLER_OUT_MAX) {
		if (len)
			p->st.emit_no_room[to]++;
		xq_free_frame(&p->q, addr);
		return;
	}
	/* host-bound: the local stack accepts only frames sent to tcv0 */
	if (to == XQ_HOST)
		memcpy(buf, p->host_mac, 6);
	p->out[to][p->nout[to]++] = (struct xdp_desc){ .addr = addr, .len = len };
}

/* Hand the engine's frames of this pass to the TX rings. */
static void emit_submit(struct poller *p, enum xq_side side)
{
	struct xq_sock *s = &p->q.s[side];
	uint32_t n = p->nout[side], idx, i, got;

	if (!n)
		return;
	got = xsk_ring_prod__reserve(&s->tx, n, &idx);
	if (!got && xsk_prod_nb_free(&s->tx, n))
		got = xsk_ring_prod__reserve(&s->tx, xsk_prod_nb_free(&s->tx, n), &idx);
	for (i = 0; i < got; i++)
		*xsk_ring_prod__tx_desc(&s->tx, idx + i) = p->out[side][i];
	if (got) {
		xsk_ring_prod__submit(&s->tx, got);
		s->outstanding_tx += got;
		p->st.tx_pkts[side] += got;
		p->st.emitted[side] += got;
	}
	/* TX ring full: those are lost like frames on a congested link */
	for (i = got; i < n; i++) {
		p->st.emit_no_room[side]++;
		xq_free_frame(&p->q, p->out[side][i].addr);
	}
	p->nout[side] = 0;
}

void poller_init_emit(struct poller *p)
{
	p->em.get = em_get;
	p->em.put = em_put;
}

#define POLLER_PREFETCH 4

static inline void prefetch_frame(struct poller *p, uint64_t addr)
{
	const char *h = xsk_umem__get_data(p->q.area, addr);

	__builtin_prefetch(h, 1);
	__builtin_prefetch(h + 64, 1);
}

/* Move one batch from FROM's RX ring to the other side's TX ring. */
static uint32_t forward_batch(struct poller *p, enum xq_side from, uint64_t now)
{
	enum xq_side to = from == XQ_WIRE ? XQ_HOST : XQ_WIRE;
	struct xq_sock *src = &p->q.s[from], *dst = &p->q.s[to];
	uint32_t n, room, idx_rx, idx_tx = 0, i, sent = 0;

	room = xsk_prod_nb_free(&dst->tx, POLLER_BATCH);
	if (room > POLLER_BATCH)
		room = POLLER_BATCH;
	if (!room) {
		p->st.tx_full[to]++;
		kick_tx(p, to);
		return 0;
	}
	n = xsk_ring_cons__peek(&src->rx, room, &idx_rx);
	if (!n)
		return 0;
	if (xsk_ring_prod__reserve(&dst->tx, n, &idx_tx) != n) {
		/* cannot happen: room was checked; keep the frames in RX */
		xsk_ring_cons__cancel(&src->rx, n);
		return 0;
	}
	/*
	 * The first read of a frame's headers misses the cache (another CPU's
	 * softirq wrote it): prefetch a few frames ahead.
	 */
	for (i = 0; i < n && i < POLLER_PREFETCH; i++)
		prefetch_frame(p, xsk_ring_cons__rx_desc(&src->rx, idx_rx + i)->addr);
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&src->rx, idx_rx + i);
		uint64_t addr = d->addr;
		uint8_t *pkt = xsk_umem__get_data(p->q.area, addr);
		struct xdp_desc *t;

		if (i + POLLER_PREFETCH < n)
			prefetch_frame(p, xsk_ring_cons__rx_desc(&src->rx,
						idx_rx + i + POLLER_PREFETCH)->addr);
		p->st.rx_bytes[from] += d->len;
		switch (flow_packet(p->ft, from, p->q.qid, pkt, d->len, now, &p->em)) {
		case FV_FORWARD:
			break;
		case FV_DROP:
			p->st.dropped[from]++;
			/* fall through */
		default:
			xq_free_frame(&p->q, addr & ~(uint64_t)(XQ_FRAME_SIZE - 1));
			continue;
		}
		/* host-bound: the local stack accepts only frames sent to tcv0 */
		if (to == XQ_HOST)
			memcpy(pkt, p->host_mac, 6);
		t = xsk_ring_prod__tx_desc(&dst->tx, idx_tx + sent);
		t->addr = addr;
		t->len = d->len;
		t->options = 0;
		sent++;
	}
	xsk_ring_cons__release(&src->rx, n);
	p->st.rx_pkts[from] += n;
	/* give back the slots reserved for frames not forwarded */
	dst->tx.cached_prod -= n - sent;
	if (sent) {
		xsk_ring_prod__submit(&dst->tx, sent);
		dst->outstanding_tx += sent;
		p->st.tx_pkts[to] += sent;
	}
	/* the engine's coalesced output, then everything out */
	flow_flush(p->ft, &p->em);
	emit_submit(p, XQ_WIRE);
	emit_submit(p, XQ_HOST);
	kick_tx(p, XQ_WIRE);
	kick_tx(p, XQ_HOST);
	return n;
}

static void refill(struct poller *p)
{
	int side;

	for (side = 0; side < XQ_SIDES; side++) {
		struct xq_sock *s = &p->q.s[side];

		if (!p->q.nfree) {
			p->st.no_frames++;
			break;
		}
		xq_fill(&p->q, side);
		/* zero-copy drivers need a wakeup to see new fill entries */
		if (p->busy_poll && xsk_ring_prod__needs_wakeup(&s->fill))
			recvfrom(s->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
}

/*
 * Pin the poller to one CPU of the allowed set (queue q -> the q-th CPU,
 * modulo). Host-bound frames enter the stack through netif_rx() on tcv0,
 * i.e. the backlog of the CPU that called sendto(): a poller migrating
 * between CPUs would reorder a flow's segments (measured: most of a bulk
 * transfer went to the out-of-order queue without this).
 */
static void pin_cpu(struct poller *p)
{
	cpu_set_t allowed, one;
	int cpu, nth, n = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return;
	nth = p->q.qid % CPU_COUNT(&allowed);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed) || n++ != nth)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one))
			pr_warn("queue %u: cannot pin to CPU %d\n", p->q.qid, cpu);
		else
			pr_debug("queue %u: poller on CPU %d\n", p->q.qid, cpu);
		return;
	}
}

static void *poller_main(void *arg)
{
	struct poller *p = arg;
	struct pollfd pfd[3] = {
		{ .fd = p->q.s[XQ_WIRE].fd, .events = POLLIN },
		{ .fd = p->q.s[XQ_HOST].fd, .events = POLLIN },
		{ .fd = p->stop_fd, .events = POLLIN },
	};

	pin_cpu(p);
	while (!tcd_stopping) {
		uint64_t now = tcd_now_ns();	/* once per pass, not per frame */
		uint32_t work = 0;

		work += reap_completions(p, XQ_WIRE);
		work += reap_completions(p, XQ_HOST);
		work += forward_batch(p, XQ_WIRE, now);
		work += forward_batch(p, XQ_HOST, now);
		/* the engine's own timers (Init retransmission) */
		if (flow_next_timer(p->ft) <= now) {
			flow_timers(p->ft, now, &p->em);
			emit_submit(p, XQ_WIRE);
			emit_submit(p, XQ_HOST);
			kick_tx(p, XQ_WIRE);
			kick_tx(p, XQ_HOST);
		}
		refill(p);
		if (work || p->busy_poll)
			continue;
		/* idle: sleep; wake on RX, on stop, for the engine's next timer,
		 * or soon if TX is in flight */
		p->st.polls++;
		{
			uint64_t t = flow_next_timer(p->ft);
			int ms = p->q.s[XQ_WIRE].outstanding_tx ||
				 p->q.s[XQ_HOST].outstanding_tx ? 10 : 1000;

			if (t != UINT64_MAX && (t <= now || (t - now) / 1000000 < (uint64_t)ms))
				ms = t <= now ? 0 : (int)((t - now) / 1000000) + 1;
			poll(pfd, 3, ms);
		}
	}
	return NULL;
}

int poller_start(struct poller *p)
{
	int err = pthread_create(&p->thread, NULL, poller_main, p);

	if (err)
		return -err;
	p->started = true;
	return 0;
}

void poller_join(struct poller *p)
{
	if (p->started)
		pthread_join(p->thread, NULL);
	p->started = false;
}
