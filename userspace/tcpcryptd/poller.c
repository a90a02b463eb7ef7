// SPDX-License-Identifier: GPL-2.0
/*
 * The per-queue loop. A frame received on one socket is handed to the other
 * socket's TX ring by its UMEM descriptors (shared UMEM: no byte copy), in
 * batches of POLLER_BATCH descriptors. Frames may be descriptor chains
 * (multi-buffer AF_XDP): the local stack's GSO super-packets arrive whole
 * from tcv1, and wire frames longer than a UMEM frame (jumbo MTU, GRO
 * packets in skb mode) arrive in pieces.
 *
 * Host -> wire: a frame longer than the wire MTU is a super-packet; it is
 *   cut into segments of the stack's own segment size (tc_egress passes it
 *   in the urgent pointer, see tcpcrypt_shared.h) the way the kernel's GSO
 *   would: payload split, sequence numbers, IPv4 ids and lengths fixed, FIN
 *   and PSH on the last segment only, CWR on the first. Frames from the
 *   local stack carry CHECKSUM_PARTIAL (pseudo header only): every one gets
 *   its full TCP checksum here.
 * Wire -> host: in-order payload of one flow received in the same batch is
 *   coalesced into one segment (as GRO would, see coalesce.h for what ends
 *   a run) sent as one descriptor chain that points at the received
 *   payloads: the bytes are not copied. Runs also end with the batch.
 *
 * TX is kicked with sendto() when the kernel asks for it (copy mode: always;
 * one call sends at most 32 descriptors, so we kick until the ring drains).
 * Idle, the thread sleeps in poll() on both sockets and the stop eventfd,
 * after spinning spin_ns past the last traffic (sched_yield() between
 * passes, so that applications sharing the CPU run first): a reply that
 * arrives within that window costs no wakeup.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/log.h"
#include "tcpcryptd/flow.h"
#include "tcpcryptd/gso.h"
#include "tcpcryptd/pcap.h"
#include "tcpcryptd/poller.h"

volatile int tcd_stopping;

_Static_assert(EMIT_MAX_FRAME <= XQ_SLOT_FRAMES * XQ_FRAME_SIZE, "emit slot too small");
_Static_assert(EMIT_MAX_FRAME == TC_DP_FRAME_MAX, "BPF and userspace frame limits differ");
_Static_assert(COAL_MAX_DESCS == XQ_MAX_CHAIN, "a run is one TX chain");

/* ---- TX ---- */

static uint32_t reap_completions(struct poller *p, enum xq_side side)
{
	struct xq_sock *s = &p->q.s[side];
	uint32_t idx, n, i;

	n = xsk_ring_cons__peek(&s->comp, p->q.comp_size, &idx);
	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		xq_release(&p->q, *xsk_ring_cons__comp_addr(&s->comp, idx + i));
	xsk_ring_cons__release(&s->comp, n);
	s->outstanding_tx -= n < s->outstanding_tx ? n : s->outstanding_tx;
	return n;
}

static void kick_tx(struct poller *p, enum xq_side side)
{
	struct xq_sock *s = &p->q.s[side];
	unsigned int i;

	p->tx_dirty[side] = false;
	if (!xsk_ring_prod__needs_wakeup(&s->tx))
		return;
	/* copy mode: each sendto() transmits up to 32 descriptors, EAGAIN = more */
	for (i = 0; i < p->q.tx_size / 32; i++) {
		p->st.kicks[side]++;
		if (sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
			break;
		if (errno != EAGAIN && errno != EBUSY)
			break;
	}
}

/* Kick the sides whose TX ring got descriptors since the last kick. */
static void kick_dirty(struct poller *p)
{
	int side;

	for (side = 0; side < XQ_SIDES; side++)
		if (p->tx_dirty[side])
			kick_tx(p, side);
}

/* Room for N more descriptors on SIDE's TX ring, beyond those promised. */
static bool tx_room(struct poller *p, enum xq_side side, uint32_t n)
{
	struct xq_sock *s = &p->q.s[side];
	uint32_t need = n + p->tx_reserved[side] + (side == XQ_HOST ? p->held_descs : 0);

	if (xsk_prod_nb_free(&s->tx, need) >= need)
		return true;
	kick_tx(p, side);
	reap_completions(p, side);
	return xsk_prod_nb_free(&s->tx, need) >= need;
}

/* Queue one frame (N descriptors) for SIDE; tx_room() said yes. */
static void tx_frame(struct poller *p, enum xq_side side, const struct xdp_desc *d, uint32_t n)
{
	struct xq_sock *s = &p->q.s[side];
	uint32_t idx, i;

	if (xsk_ring_prod__reserve(&s->tx, n, &idx) != n) {
		/* cannot happen: room was checked; never leak the frames */
		for (i = 0; i < n; i++)
			xq_release(&p->q, d[i].addr);
		p->st.dropped[side ^ 1]++;
		return;
	}
	for (i = 0; i < n; i++) {
		struct xdp_desc *t = xsk_ring_prod__tx_desc(&s->tx, idx + i);

		t->addr = d[i].addr;
		t->len = d[i].len;
		t->options = i + 1 < n ? XDP_PKT_CONTD : 0;
	}
	xsk_ring_prod__submit(&s->tx, n);
	s->outstanding_tx += n;
	p->tx_dirty[side] = true;
	p->st.tx_pkts[side]++;
	p->st.tx_descs[side] += n;
	if (side == XQ_WIRE && p->pcap)
		pcapw_frame(p->pcap, true, p->q.area, d, n);
}

static void free_descs(struct poller *p, const struct xdp_desc *d, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		xq_release(&p->q, d[i].addr);
}

/* ---- emit: the engine's frames, written once into the UMEM ---- */

static inline struct poller *em_poller(struct emit *em)
{
	return (struct poller *)((char *)em - offsetof(struct poller, em));
}

static uint32_t frames_of(uint32_t len)
{
	return (len + XQ_FRAME_SIZE - 1) / XQ_FRAME_SIZE;
}

static void flush_runs(struct poller *p);
static void flush_wruns(struct poller *p);

/*
 * Out of frames or slots: what is queued for TX holds them. Send it now
 * (copy mode transmits within sendto()) and take back what completed, so
 * that a burst (a hole filled, releasing megabytes of out-of-order data)
 * is not dropped for want of buffers that a kick would free.
 */
static void em_reclaim(struct poller *p)
{
	enum xq_side side;

	flush_runs(p);
	flush_wruns(p);
	for (side = XQ_WIRE; side <= XQ_HOST; side++) {
		kick_tx(p, side);
		reap_completions(p, side);
	}
	p->st.reclaims++;
}

static uint8_t *em_get(struct emit *em, enum xq_side to, uint32_t len)
{
	struct poller *p = em_poller(em);
	struct xq *q = &p->q;
	uint32_t nd = frames_of(len);
	uint64_t addr;

	/* a slot is always sent as up to XQ_SLOT_FRAMES descriptors */
	if (nd > 1)
		nd = XQ_SLOT_FRAMES;
	if (!len || len > EMIT_MAX_FRAME || !tx_room(p, to, nd))
		return NULL;
	if (nd == 1 ? !q->nfree : !q->nslot_free)
		em_reclaim(p);
	if (nd == 1) {
		if (!q->nfree)
			return NULL;
		addr = q->free[--q->nfree];
	} else {
		/* a contiguous run of frames: the writer sees one buffer */
		if (!q->nslot_free)
			return NULL;
		addr = q->arena + (uint64_t)q->slot_free[--q->nslot_free] *
				  XQ_SLOT_FRAMES * XQ_FRAME_SIZE;
	}
	p->tx_reserved[to] += nd;
	return xsk_umem__get_data(q->area, addr);
}

/* Descriptors for the LEN bytes of emit buffer BUF (a frame or a slot). */
static uint32_t buf_descs(struct poller *p, const uint8_t *buf, uint32_t len,
			  struct xdp_desc *d)
{
	uint64_t addr = buf - (uint8_t *)p->q.area;
	uint32_t nd = frames_of(len), i;

	for (i = 0; i < nd; i++) {
		d[i].addr = addr + (uint64_t)i * XQ_FRAME_SIZE;
		d[i].len = i + 1 < nd ? XQ_FRAME_SIZE : len - i * XQ_FRAME_SIZE;
		d[i].options = 0;
	}
	return nd;
}

static bool is_slot(struct poller *p, const uint8_t *buf)
{
	return (uint64_t)(buf - (uint8_t *)p->q.area) >= p->q.arena;
}

/* Give back the TX descriptors em_get() promised for BUF. */
static void unreserve(struct poller *p, enum xq_side to, const uint8_t *buf)
{
	uint32_t reserved = is_slot(p, buf) ? XQ_SLOT_FRAMES : 1;

	p->tx_reserved[to] -= reserved < p->tx_reserved[to] ? reserved : p->tx_reserved[to];
}

/* Free emit buffer BUF, never sent. */
static void buf_free(struct poller *p, uint8_t *buf)
{
	struct xq *q = &p->q;
	uint64_t addr = buf - (uint8_t *)q->area;

	if (is_slot(p, buf)) {
		q->slot_refs[(addr - q->arena) / (XQ_SLOT_FRAMES * XQ_FRAME_SIZE)] = 1;
		xq_release(q, addr);
	} else {
		xq_free_frame(q, addr);
	}
}

/* Queue emit buffer BUF (LEN bytes, its reservation given back) for TO. */
static void buf_send(struct poller *p, enum xq_side to, uint8_t *buf, uint32_t len)
{
	struct xq *q = &p->q;
	uint64_t addr = buf - (uint8_t *)q->area;
	struct xdp_desc d[XQ_SLOT_FRAMES];
	uint32_t nd = buf_descs(p, buf, len, d);

	if (is_slot(p, buf))
		q->slot_refs[(addr - q->arena) / (XQ_SLOT_FRAMES * XQ_FRAME_SIZE)] = nd;
	tx_frame(p, to, d, nd);
}

/* ---- wire runs: the engine's segments of one flow as one GSO packet ---- */

static bool gso_now(struct poller *p)
{
	return p->gso_fd >= 0 && __atomic_load_n(&p->gso_on, __ATOMIC_RELAXED);
}

/*
 * The engine left the TCP checksum of a wire frame to us (wire_csum_partial):
 * complete it for a frame that leaves as it is. Idempotent on a complete one.
 */
static void wire_csum(struct poller *p, uint8_t *buf, const struct tc_seg *s)
{
	if (p->em.wire_csum_partial && s->kind == TC_SEG_TCP)
		tc_seg_fill_tcp_csum(buf, s);
}

static bool same_flow(const struct tc_seg *a, const struct tc_seg *b)
{
	return a->family == b->family && a->sport == b->sport && a->dport == b->dport &&
	       !memcmp(a->saddr, b->saddr, a->alen) && !memcmp(a->daddr, b->daddr, a->alen);
}

static struct wrun *wrun_of(struct poller *p, const struct tc_seg *s)
{
	int i;

	if (!p->wruns_active)
		return NULL;
	for (i = 0; i < POLLER_WRUNS; i++)
		if (p->wruns[i].nseg && same_flow(&p->wruns[i].c.seg, s))
			return &p->wruns[i];
	return NULL;
}

/*
 * Send W: one GSO packet when it holds several segments and the packet
 * socket takes it, else each segment on the AF_XDP TX ring (room for them
 * stayed reserved while they were held).
 */
static void wrun_flush(struct poller *p, struct wrun *w)
{
	struct xdp_desc d[XQ_SLOT_FRAMES];
	struct tc_seg s;
	uint32_t i;
	int err = -EINVAL;

	if (!w || !w->nseg)
		return;
	if (w->nseg > 1) {
		err = wrun_send(p->gso_fd, w);
		if (err)
			p->st.gso_errors++;
	}
	for (i = 0; i < w->nseg; i++) {
		unreserve(p, XQ_WIRE, w->buf[i]);
		if (err || p->pcap) {
			/* a TCP segment: it was parsed when it joined */
			tc_seg_parse(w->buf[i], w->len[i], &s);
			wire_csum(p, w->buf[i], &s);
		}
		if (err) {
			buf_send(p, XQ_WIRE, w->buf[i], w->len[i]);
			continue;
		}
		if (p->pcap)
			pcapw_frame(p->pcap, true, p->q.area, d, buf_descs(p, w->buf[i], w->len[i], d));
		buf_free(p, w->buf[i]);
	}
	if (!err) {
		p->st.gso_runs++;
		p->st.gso_segs += w->nseg;
	}
	w->nseg = 0;
	p->wruns_active--;
}

static void flush_wruns(struct poller *p)
{
	int i;

	for (i = 0; i < POLLER_WRUNS && p->wruns_active; i++)
		wrun_flush(p, &p->wruns[i]);
}

/*
 * An engine segment for the wire: held in its flow's wire run when it can
 * be part of one GSO packet with what the run holds (true), else the run
 * goes out first, so that the flow's segments keep their order (false:
 * the caller sends BUF, its checksum completed).
 */
static bool wire_hold(struct poller *p, uint8_t *buf, uint32_t len, const struct tc_seg *s)
{
	static __thread unsigned int victim;
	struct wrun *w;
	int i;

	w = wrun_of(p, s);
	if (w && wrun_add(w, buf, len, s))
		return true;
	wrun_flush(p, w);
	if (!wrun_eligible(buf, len, s)) {
		wire_csum(p, buf, s);
		return false;
	}
	for (i = 0; i < POLLER_WRUNS && p->wruns[i].nseg; i++)
		;
	if (i == POLLER_WRUNS) {
		i = victim++ % POLLER_WRUNS;
		wrun_flush(p, &p->wruns[i]);
	}
	wrun_start(&p->wruns[i], buf, len, s);
	p->wruns_active++;
	return true;
}

static uint32_t cut_count(const struct tc_seg *s, uint32_t mss);
static void cut_and_send(struct poller *p, const uint8_t *hdr, const uint8_t *payload,
			 const struct tc_seg *s, uint32_t mss);

/*
 * An engine super-segment (tc_out.wire_gso_max: several segments' payload,
 * the segment size in the urgent pointer field, URG clear; headers HDR as
 * parsed in S, payload at PAYLOAD) goes to the wire as one GSO packet, or
 * is cut here when the packet socket refuses it.
 */
static void super_send(struct poller *p, uint8_t *hdr, const uint8_t *payload,
		       const struct tc_seg *s)
{
	uint32_t mss = s->urg, need;

	/* the flow's segments held before it go first */
	wrun_flush(p, wrun_of(p, s));
	tc_put16(hdr + s->l4_off + 18, 0);	/* the marker never reaches the wire */
	if (gso_now(p)) {
		if (!gso_send(p->gso_fd, hdr, payload, s, mss)) {
			p->st.engine_gso++;
			if (p->pcap)
				pcapw_buf2(p->pcap, true, hdr, s->payload_off, payload,
					   s->payload_len);
			return;
		}
		p->st.gso_errors++;
	}
	/* cut_and_send() takes the segment size from the parse */
	need = cut_count(s, mss) * frames_of(s->payload_off + mss);
	if (need <= p->q.tx_size / 2 && tx_room(p, XQ_WIRE, need) && p->q.nfree >= need)
		cut_and_send(p, hdr, payload, s, mss);
	else
		p->st.engine_dropped++;	/* lost on the way: the kernel resends it */
}

static bool is_super(const struct tc_seg *s)
{
	return !(s->flags & TC_TH_URG) && s->urg && s->payload_len > s->urg;
}

/* tc_out.put_super: the payload stays in the engine's copy, not copied into the UMEM. */
static int em_put_super(struct emit *em, const uint8_t *hdr, uint32_t hdr_len,
			const uint8_t *payload, uint32_t len)
{
	struct poller *p = em_poller(em);
	uint8_t h[GSO_HDR_MAX];
	struct tc_seg s;

	if (!p->em.wire_gso_max || hdr_len > sizeof(h))
		return -EINVAL;
	memcpy(h, hdr, hdr_len);
	/* the parse reads the headers only: nothing beyond h[hdr_len) */
	if (tc_seg_parse(h, hdr_len + len, &s) != TC_SEG_TCP || s.payload_off != hdr_len ||
	    !is_super(&s))
		return -EINVAL;
	p->st.emitted[XQ_WIRE]++;
	super_send(p, h, payload, &s);
	return 0;
}

static void em_put(struct emit *em, enum xq_side to, uint8_t *buf, uint32_t len)
{
	struct poller *p = em_poller(em);
	uint32_t reserved = is_slot(p, buf) ? XQ_SLOT_FRAMES : 1;
	struct tc_seg s;

	if (!len || frames_of(len) > reserved) {
		unreserve(p, to, buf);
		buf_free(p, buf);
		return;
	}
	p->st.emitted[to]++;
	if (to == XQ_WIRE && tc_seg_parse(buf, len, &s) == TC_SEG_TCP) {
		if (p->em.wire_gso_max && is_super(&s)) {
			/* a super-segment in an emit buffer (put_super refused) */
			unreserve(p, XQ_WIRE, buf);
			super_send(p, buf, buf + s.payload_off, &s);
			buf_free(p, buf);
			return;
		}
		/* held: its TX reservation stays until the run is sent */
		if (gso_now(p)) {
			if (wire_hold(p, buf, len, &s))
				return;
		} else {
			wire_csum(p, buf, &s);
		}
	}
	unreserve(p, to, buf);
	/* host-bound runs of earlier segments go first: a flow's order holds */
	if (to == XQ_HOST)
		flush_runs(p);
	buf_send(p, to, buf, len);
}

/* ---- frames as descriptor chains ---- */

/*
 * The bytes [FROM, TO) of a frame made of D[0..N) as descriptors into OUT
 * (at most OUT_MAX); USED[i] is set for every input descriptor referenced.
 * Returns the number written, or XQ_MAX_CHAIN + 1 when OUT_MAX is too few.
 */
static uint32_t map_range(const struct xdp_desc *d, uint32_t n, uint32_t from, uint32_t to,
			  struct xdp_desc *out, uint32_t out_max, bool *used)
{
	uint32_t off = 0, k = 0, i;

	for (i = 0; i < n && off < to; off += d[i].len, i++) {
		uint32_t a = from > off ? from : off;
		uint32_t b = to < off + d[i].len ? to : off + d[i].len;

		if (a >= b)
			continue;
		if (k == out_max)
			return XQ_MAX_CHAIN + 1;
		out[k].addr = d[i].addr + (a - off);
		out[k].len = b - a;
		out[k].options = 0;
		k++;
		if (used)
			used[i] = true;
	}
	return k;
}

static uint32_t count_range(const struct xdp_desc *d, uint32_t n, uint32_t from, uint32_t to)
{
	uint32_t off = 0, k = 0, i;

	for (i = 0; i < n && off < to; off += d[i].len, i++)
		if ((from > off ? from : off) < (to < off + d[i].len ? to : off + d[i].len))
			k++;
	return k;
}

/* ---- wire -> host: coalescing (the headers: coalesce.c) ---- */

static struct run *run_of(struct poller *p, const struct tc_seg *s)
{
	int i;

	for (i = 0; i < POLLER_RUNS; i++) {
		struct run *r = &p->runs[i];

		if (r->active && same_flow(&r->seg, s))
			return r;
	}
	return NULL;
}

/* Send the run's frames as one segment (headers of the first rewritten). */
static void run_flush(struct poller *p, struct run *r)
{
	if (!r || !r->active)
		return;
	if (r->nframes > 1) {
		coal_finish(r);
		p->st.runs++;
		p->st.coalesced += r->nframes;
	}
	p->held_descs -= r->nd;
	tx_frame(p, XQ_HOST, r->d, r->nd);
	r->active = false;
}

static void flush_runs(struct poller *p)
{
	int i;

	for (i = 0; i < POLLER_RUNS; i++)
		run_flush(p, &p->runs[i]);
}

static struct run *run_slot(struct poller *p)
{
	static __thread unsigned int victim;
	int i;

	for (i = 0; i < POLLER_RUNS; i++)
		if (!p->runs[i].active)
			return &p->runs[i];
	/* all busy: flush one, round robin */
	i = victim++ % POLLER_RUNS;
	run_flush(p, &p->runs[i]);
	return &p->runs[i];
}

/*
 * A frame for the local stack: PKT is its contiguous view (the UMEM frame,
 * or the scratch copy of a chain D[0..N)), S its parse.
 */
static void to_host(struct poller *p, const uint8_t *pkt, const struct tc_seg *s,
		    const struct xdp_desc *d, uint32_t n, enum tc_seg_kind kind)
{
	bool used[XQ_MAX_CHAIN] = {};
	struct run *r = kind == TC_SEG_TCP ? run_of(p, s) : NULL;
	uint32_t i, np;

	if (kind == TC_SEG_TCP && coal_eligible(pkt, s)) {
		np = count_range(d, n, s->payload_off, s->ip_end);
		if (r && coal_joins(r, pkt, s, np)) {
			map_range(d, n, s->payload_off, s->ip_end, r->d + r->nd, np, used);
			r->nd += np;
			p->held_descs += np;
			coal_add(r, pkt, s);
			goto unused;
		}
		run_flush(p, r);
		np = count_range(d, n, 0, s->ip_end);
		if (np <= XQ_MAX_CHAIN && !(s->flags & TC_TH_PSH)) {
			/* start a run with this frame */
			r = run_slot(p);
			coal_start(r, xsk_umem__get_data(p->q.area, d[0].addr), pkt, s);
			r->nd = map_range(d, n, 0, s->ip_end, r->d, XQ_MAX_CHAIN, used);
			p->held_descs += r->nd;
			goto unused;
		}
	} else {
		run_flush(p, r);	/* the flow's earlier segments go first */
	}
	tx_frame(p, XQ_HOST, d, n);
	return;
unused:
	/* descriptors holding no byte of the run (Ethernet padding) */
	for (i = 0; i < n; i++)
		if (!used[i])
			xq_release(&p->q, d[i].addr);
}

/* ---- host -> wire: cutting super-packets ---- */

/* The segment size for a super-packet S (IP datagram longer than the MTU). */
static uint32_t cut_mss(struct poller *p, const struct tc_seg *s)
{
	uint32_t hdrs = s->payload_off - s->l3_off;	/* IP + TCP headers */
	uint32_t mtu = __atomic_load_n(&p->wire_mtu, __ATOMIC_RELAXED);
	uint32_t max = mtu > hdrs + 8 ? mtu - hdrs : 8;
	uint32_t mss = 0;

	/* tc_egress's gso_size, unless URG uses the field */
	if (!(s->flags & TC_TH_URG))
		mss = s->urg;
	/* none, or larger than the MTU now allows (the MTU just shrank) */
	if (!mss || mss > max)
		mss = max;
	return mss;
}

static uint32_t cut_count(const struct tc_seg *s, uint32_t mss)
{
	return (s->payload_len + mss - 1) / mss;
}

/*
 * Cut super-packet PKT (contiguous) into segments of MSS payload bytes, each
 * in fresh UMEM frames, and send them to the wire. Room was checked.
 */
static void cut_and_send(struct poller *p, const uint8_t *hdr, const uint8_t *payload,
			 const struct tc_seg *s, uint32_t mss)
{
	uint32_t hlen = s->payload_off, nsegs = cut_count(s, mss), k;
	uint16_t id = s->family == AF_INET ? tc_get16(hdr + s->l3_off + 4) : 0;
	bool use_marker = !(s->flags & TC_TH_URG);

	for (k = 0; k < nsegs; k++) {
		uint32_t off = k * mss;
		uint32_t plen = s->payload_len - off < mss ? s->payload_len - off : mss;
		uint32_t flen = hlen + plen, nf = frames_of(flen), i, done;
		const uint8_t *src = payload + off;
		struct xdp_desc d[XQ_MAX_CHAIN];
		bool last = k + 1 == nsegs;
		uint8_t *f, *th, fl;
		uint64_t sum;

		d[0].addr = d[0].len = 0;	/* nf >= 1: flen holds the headers */
		for (i = 0; i < nf; i++) {
			d[i].addr = p->q.free[--p->q.nfree];
			d[i].len = i + 1 < nf ? XQ_FRAME_SIZE : flen - i * XQ_FRAME_SIZE;
		}
		/* headers, then the payload across the frames */
		f = xsk_umem__get_data(p->q.area, d[0].addr);
		memcpy(f, hdr, hlen);
		done = d[0].len - hlen < plen ? d[0].len - hlen : plen;
		memcpy(f + hlen, src, done);
		for (i = 1; i < nf; i++) {
			memcpy(xsk_umem__get_data(p->q.area, d[i].addr), src + done, d[i].len);
			done += d[i].len;
		}
		/* IP */
		if (s->family == AF_INET) {
			tc_put16(f + s->l3_off + 2, flen - s->l3_off);
			tc_put16(f + s->l3_off + 4, id + k);
			tc_seg_fill_ip_csum(f, s);
		} else {
			tc_put16(f + s->l3_off + 4, flen - s->l3_off - 40);
		}
		/* TCP: what tcp_gso_segment() does */
		th = f + s->l4_off;
		tc_put32(th + 4, s->seq + off);
		fl = s->flags;
		if (!last)
			fl &= ~(TC_TH_FIN | TC_TH_PSH);
		if (k)
			fl &= ~TC_TH_CWR;
		if (use_marker) {
			tc_put16(th + 18, 0);
		} else if (s->urg > off) {
			tc_put16(th + 18, s->urg - off);
		} else {
			fl &= ~TC_TH_URG;
			tc_put16(th + 18, 0);
		}
		th[13] = fl;
		th[16] = th[17] = 0;
		sum = tc_csum_pseudo(s->saddr, s->daddr, s->alen, s->thl + plen);
		sum = tc_csum_add(sum, th, s->thl);
		sum = tc_csum_add(sum, src, plen);
		tc_put16(th + 16, ~tc_csum_fold(sum));
		tx_frame(p, XQ_WIRE, d, nf);
	}
	p->st.super_cut++;
	p->st.segs_cut += nsegs;
}

/* The full TCP checksum of a frame from the local stack (CHECKSUM_PARTIAL). */
static void fill_csum(uint8_t *pkt, const struct tc_seg *s, const struct xdp_desc *d,
		      uint32_t n, struct poller *p)
{
	tc_seg_fill_tcp_csum(pkt, s);
	if (n > 1)	/* PKT is the scratch copy: the field lives in the first descriptor */
		memcpy((uint8_t *)xsk_umem__get_data(p->q.area, d[0].addr) + s->l4_off + 16,
		       pkt + s->l4_off + 16, 2);
}

/* ---- one received frame ---- */

/* Bytes of a multi-buffer frame copied first: its headers, at most. */
#define POLLER_HEAD	256u

/*
 * Can frame D[0..N), parsed from its first HEAD bytes as S, go to the
 * engine with its payload in pieces? A data segment from the local stack
 * whose headers end inside the head; SYNs, resets and urgent data go whole.
 */
static bool pieces_ok(struct poller *p, enum xq_side from, enum tc_seg_kind kind,
		      const struct tc_seg *s, uint32_t head)
{
	return p->pieces && from == XQ_HOST && kind == TC_SEG_TCP && s->payload_off <= head &&
	       s->payload_len && !(s->flags & (TC_TH_SYN | TC_TH_RST | TC_TH_URG));
}

/* Copy the rest of frame D[0..N) after its first HEAD bytes into p->scratch. */
static void linearize(struct poller *p, const struct xdp_desc *d, uint32_t n, uint32_t head)
{
	uint32_t off = 0, i;

	for (i = 0; i < n; off += d[i].len, i++) {
		const uint8_t *src = xsk_umem__get_data(p->q.area, d[i].addr);

		if (off + d[i].len <= head)
			continue;
		if (off < head)
			memcpy(p->scratch + head, src + (head - off), off + d[i].len - head);
		else
			memcpy(p->scratch + off, src, d[i].len);
	}
}

/* The TCP payload of frame D[0..N) (parsed as S) as pieces in the UMEM. */
static uint32_t payload_pieces(struct poller *p, const struct xdp_desc *d, uint32_t n,
			       const struct tc_seg *s, struct tc_iov *pv)
{
	struct xdp_desc r[XQ_MAX_CHAIN];
	uint32_t k = map_range(d, n, s->payload_off, s->ip_end, r, XQ_MAX_CHAIN, NULL), i;

	for (i = 0; i < k; i++) {
		pv[i].base = xsk_umem__get_data(p->q.area, r[i].addr);
		pv[i].len = r[i].len;
	}
	return k;
}

/*
 * Handle one frame D[0..N) received on FROM. -EAGAIN: no TX room or no
 * frames for its output; it stays in the RX ring for the next pass.
 */
static int handle_frame(struct poller *p, enum xq_side from, const struct xdp_desc *d,
			uint32_t n, uint64_t now)
{
	enum xq_side to = from ^ 1;
	uint32_t len = 0, i, mss = 0, need_d = n, need_f = 0, head = 0, npv = 0;
	struct tc_iov pv[XQ_MAX_CHAIN];
	enum flow_verdict v;
	enum tc_seg_kind kind;
	struct tc_seg s;
	uint8_t *pkt;

	for (i = 0; i < n; i++)
		len += d[i].len;
	if (n == 1) {
		pkt = xsk_umem__get_data(p->q.area, d[0].addr);
	} else {
		if (len > EMIT_MAX_FRAME) {
			free_descs(p, d, n);
			p->st.dropped[from]++;
			return 0;
		}
		/* the headers first: an engine flow's data needs no more (pieces) */
		pkt = p->scratch;
		head = d[0].len < POLLER_HEAD ? d[0].len : POLLER_HEAD;
		memcpy(pkt, xsk_umem__get_data(p->q.area, d[0].addr), head);
	}
	/* a parse of a head copy reads within p->scratch, its verdict used
	 * only when the headers end inside the head */
	kind = tc_seg_parse(pkt, len, &s);
	if (n > 1 && !pieces_ok(p, from, kind, &s, head)) {
		linearize(p, d, n, head);
		head = len;
		kind = tc_seg_parse(pkt, len, &s);
	}
	if (kind == TC_SEG_TCP && from == XQ_HOST && s.ip_end - s.l3_off >
	    __atomic_load_n(&p->wire_mtu, __ATOMIC_RELAXED)) {
		uint32_t nsegs;

		mss = cut_mss(p, &s);
		nsegs = cut_count(&s, mss);
		need_f = nsegs * frames_of(s.payload_off + mss);
		need_d = need_f;
	}
	if (need_d > p->q.tx_size / 2) {
		/* a segment size so small the cut could never fit the ring */
		free_descs(p, d, n);
		p->st.dropped[from]++;
		return 0;
	}
	if (!tx_room(p, to, need_d) || p->q.nfree < need_f) {
		p->st.tx_full[to]++;
		return -EAGAIN;
	}
	if (from == XQ_WIRE && p->pcap)
		pcapw_frame(p->pcap, false, p->q.area, d, n);

	p->st.rx_pkts[from]++;
	p->st.rx_bytes[from] += len;
	if (n > 1)
		p->st.rx_chains[from]++;
	if (n > 1 && head < len) {
		/* the payload stays in the UMEM: the engine seals from its pieces */
		npv = payload_pieces(p, d, n, &s, pv);
		v = flow_packet_pieces(p->ft, from, p->q.qid, pkt, len, pv, npv, now, &p->em);
		if (v == FV_FORWARD) {
			/* not an engine flow after all: it is needed whole */
			linearize(p, d, n, head);
			head = len;
		} else {
			p->st.pieces++;
		}
	} else {
		v = flow_packet(p->ft, from, p->q.qid, pkt, len, now, &p->em);
	}
	if (v != FV_FORWARD || kind != TC_SEG_TCP) {
		/* FV_CONSUMED: the engine sent what it had to through em */
		if (v != FV_CONSUMED)
			p->st.dropped[from]++;
		free_descs(p, d, n);
		return 0;
	}
	/* flow_packet() may have rewritten headers (a checksum): back into the UMEM */
	if (n > 1)
		memcpy(xsk_umem__get_data(p->q.area, d[0].addr), pkt,
		       s.payload_off < d[0].len ? s.payload_off : d[0].len);

	if (from == XQ_WIRE) {
		to_host(p, pkt, &s, d, n, kind);
		return 0;
	}
	if (mss && gso_now(p) && !(s.flags & TC_TH_URG)) {
		/* tc_egress's gso_size marker (tcpcrypt_shared.h) never reaches the
		 * wire; cut_and_send() takes it from the parse, if it runs */
		tc_put16(pkt + s.l4_off + 18, 0);
		if (!gso_send(p->gso_fd, pkt, pkt + s.payload_off, &s, mss)) {
			p->st.super_gso++;
			if (p->pcap)
				pcapw_buf(p->pcap, true, pkt, s.ip_end);
			free_descs(p, d, n);
			return 0;
		}
	}
	if (mss) {
		cut_and_send(p, pkt, pkt + s.payload_off, &s, mss);
		free_descs(p, d, n);
		return 0;
	}
	fill_csum(pkt, &s, d, n, p);
	wrun_flush(p, wrun_of(p, &s));
	tx_frame(p, XQ_WIRE, d, n);
	return 0;
}

#define POLLER_PREFETCH 4

static inline void prefetch_frame(struct poller *p, uint64_t addr)
{
	const char *h = xsk_umem__get_data(p->q.area, addr);

	__builtin_prefetch(h, 1);
	__builtin_prefetch(h + 64, 1);
}

/* One batch from FROM's RX ring. Returns the descriptors consumed. */
static uint32_t rx_batch(struct poller *p, enum xq_side from, uint64_t now)
{
	struct xq_sock *src = p->q.rxs[from];
	struct xdp_desc d[XQ_MAX_CHAIN];
	uint32_t n, idx, i = 0, k;

	n = xsk_ring_cons__peek(&src->rx, POLLER_BATCH + XQ_MAX_CHAIN, &idx);
	if (!n)
		return 0;
	/*
	 * The first read of a frame's headers misses the cache (another CPU's
	 * softirq wrote it): prefetch a few frames ahead.
	 */
	for (k = 0; k < n && k < POLLER_PREFETCH; k++)
		prefetch_frame(p, xsk_ring_cons__rx_desc(&src->rx, idx + k)->addr);
	while (i < n && i < POLLER_BATCH) {
		uint32_t nd = 0;
		bool more = true;

		/* one frame: the descriptors up to the first without XDP_PKT_CONTD */
		while (more && i + nd < n) {
			const struct xdp_desc *r = xsk_ring_cons__rx_desc(&src->rx, idx + i + nd);

			more = r->options & XDP_PKT_CONTD;
			if (nd < XQ_MAX_CHAIN)
				d[nd] = *r;
			nd++;
		}
		if (more)
			break;		/* the rest of the chain is not here yet */
		if (nd > XQ_MAX_CHAIN) {
			/* longer than any frame BPF steers: drop it whole */
			for (k = 0; k < nd; k++)
				xq_release(&p->q, xsk_ring_cons__rx_desc(&src->rx, idx + i + k)->addr);
			p->st.dropped[from]++;
			i += nd;
			continue;
		}
		if (i + nd + POLLER_PREFETCH < n)
			prefetch_frame(p, xsk_ring_cons__rx_desc(&src->rx,
						idx + i + nd + POLLER_PREFETCH)->addr);
		if (handle_frame(p, from, d, nd, now) == -EAGAIN)
			break;
		i += nd;
	}
	xsk_ring_cons__cancel(&src->rx, n - i);
	xsk_ring_cons__release(&src->rx, i);
	return i;
}

static void refill(struct poller *p)
{
	int side;

	for (side = 0; side < XQ_SIDES; side++) {
		struct xq_sock *s = p->q.rxs[side];

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

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* How long poll() may sleep: until the engine's next timer, at most 1 s. */
static int poll_timeout_ms(struct poller *p, uint64_t now)
{
	uint64_t next = flow_next_timer(p->ft);
	int ms = p->q.s[XQ_WIRE].outstanding_tx || p->q.s[XQ_HOST].outstanding_tx ? 10 : 1000;

	if (next != UINT64_MAX) {
		uint64_t wait = next > now ? (next - now + 999999) / 1000000 : 0;

		if (wait < (uint64_t)ms)
			ms = wait;
	}
	return ms;
}

static void *poller_main(void *arg)
{
	struct poller *p = arg;
	struct pollfd pfd[3] = {
		{ .fd = p->q.rxs[XQ_WIRE]->fd, .events = POLLIN },
		{ .fd = p->q.rxs[XQ_HOST]->fd, .events = POLLIN },
		{ .fd = p->stop_fd, .events = POLLIN },
	};
	uint64_t spin_until = 0;

	pin_cpu(p);
	while (!tcd_stopping) {
		uint64_t now = tcd_now_ns();	/* once per pass, not per frame */
		uint32_t work = 0;

		/* the engine's wire super-segments ride GSO while it is on */
		p->em.wire_gso_max = gso_now(p) ? EMIT_MAX_FRAME : 0;

		work += reap_completions(p, XQ_WIRE);
		work += reap_completions(p, XQ_HOST);
		work += rx_batch(p, XQ_WIRE, now);
		work += rx_batch(p, XQ_HOST, now);
		/* end of the batch: held runs and the engine's held frames go out */
		flush_runs(p);
		flow_flush(p->ft, &p->em);
		flow_timers(p->ft, now, &p->em);
		flush_wruns(p);
		kick_dirty(p);
		/* what no segment waits for: only a long-busy poller here */
		flow_sync(p->ft, now, false);
		refill(p);
		if (work) {
			if (p->spin_ns)
				spin_until = mono_ns() + p->spin_ns;
			continue;
		}
		/* nothing came: the work that waited for that */
		if (flow_idle(p->ft, now, &p->em) + flow_sync(p->ft, now, true)) {
			kick_dirty(p);
			continue;
		}
		if (p->busy_poll)
			continue;
		if (spin_until && mono_ns() < spin_until) {
			p->st.spins++;
			sched_yield();
			continue;
		}
		spin_until = 0;
		/* idle: sleep; wake on RX, on stop, a timer, or soon if TX is in flight */
		p->st.polls++;
		poll(pfd, 3, poll_timeout_ms(p, now));
	}
	return NULL;
}

int poller_init(struct poller *p)
{
	p->gso_fd = -1;		/* before anything fails: poller_fini() closes it */
	p->scratch = malloc(EMIT_MAX_FRAME);
	if (!p->scratch)
		return -ENOMEM;
	p->em.get = em_get;
	p->em.put = em_put;
	p->em.put_super = em_put_super;
	return 0;
}

void poller_fini(struct poller *p)
{
	free(p->scratch);
	p->scratch = NULL;
	if (p->gso_fd >= 0)
		close(p->gso_fd);
	p->gso_fd = -1;
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
