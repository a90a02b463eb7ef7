// SPDX-License-Identifier: GPL-2.0
/*
 * The poller's frame handling (userspace/tcpcryptd/poller.c, compiled in
 * here) on a UMEM and rings in plain memory: the ring helpers of libxdp are
 * inline functions over memory, so no socket is needed.
 *  - emit buffers for the engine: a frame or a contiguous slot, sent as a
 *    descriptor chain, given back on completion;
 *  - the local stack's super-packets cut into wire segments as GSO would
 *    (sequence numbers, IPv4 ids, lengths, flags, full checksums, the urgent
 *    pointer marker), IPv4 and IPv6, MTU 1500 and 9000;
 *  - in-order wire segments coalesced into one host-bound chain.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "tcpcryptd/poller.c"
#include "tcpcryptd/flow.c"
#include "tcpcryptd/coalesce.c"
#include "tcpcryptd/gso.c"
#include "tcpcryptd/xsk.c"

/* the capture is not under test */
void pcapw_frame(struct pcapw *w, bool outbound, void *area, const struct xdp_desc *d,
		 uint32_t n)
{
}

void pcapw_buf(struct pcapw *w, bool outbound, const uint8_t *buf, uint32_t len)
{
}

void pcapw_buf2(struct pcapw *w, bool outbound, const uint8_t *a, uint32_t alen,
		const uint8_t *b, uint32_t blen)
{
}

#define RING 4096

struct fake_ring {
	uint32_t prod, cons, flags;
	/* descriptors are 8-byte words, as in the kernel's rings */
	uint8_t ring[RING * sizeof(struct xdp_desc)] __attribute__((aligned(8)));
};

static struct fake_ring rings[XQ_SIDES][4];	/* rx, tx, fill, comp */
static struct fake_ring in_rings[2];		/* tc mode's wire socket: rx, fill */
static struct poller P;
static struct flow_table FT;

static void ring_init(void *r, struct fake_ring *f, bool producer)
{
	struct xsk_ring_prod *x = r;	/* prod and cons rings share the layout */

	memset(f, 0, sizeof(*f));
	x->mask = RING - 1;
	x->size = RING;
	x->producer = &f->prod;
	x->consumer = &f->cons;
	x->ring = f->ring;
	x->flags = &f->flags;
	x->cached_prod = 0;
	x->cached_cons = producer ? RING : 0;
}

static int setup(void **state)
{
	struct xq_opts o = { .rx_size = 1024, .tx_size = 1024, .fill_size = 1024, .slots = 4 };
	struct xq *q = &P.q;
	int side;

	memset(&P, 0, sizeof(P));
	assert_int_equal(umem_layout(q, &o), 0);
	q->area = aligned_alloc(XQ_FRAME_SIZE, q->area_size);
	assert_non_null(q->area);
	for (side = 0; side < XQ_SIDES; side++) {
		ring_init(&q->s[side].rx, &rings[side][0], false);
		ring_init(&q->s[side].tx, &rings[side][1], true);
		ring_init(&q->s[side].fill, &rings[side][2], true);
		ring_init(&q->s[side].comp, &rings[side][3], false);
		q->s[side].fd = -1;
		q->rxs[side] = &q->s[side];	/* as xq_create() without tc mode */
	}
	ring_init(&q->in.rx, &in_rings[0], false);
	ring_init(&q->in.fill, &in_rings[1], true);
	q->in.fd = -1;
	assert_int_equal(poller_init(&P), 0);
	assert_int_equal(flow_table_init(&FT, NULL, 1024, 2000, 600), 0);
	P.ft = &FT;
	P.wire_mtu = 1500;
	return 0;
}

static int teardown(void **state)
{
	flow_table_fini(&FT);
	poller_fini(&P);
	free(P.q.area);
	free(P.q.free);
	free(P.q.slot_free);
	free(P.q.slot_refs);
	return 0;
}

/* The descriptors queued for TX on SIDE since the last call. */
static uint32_t tx_take(enum xq_side side, struct xdp_desc *out, uint32_t max)
{
	struct fake_ring *f = &rings[side][1];
	struct xdp_desc *d = (struct xdp_desc *)f->ring;
	uint32_t n = 0;

	while (f->cons != f->prod && n < max)
		out[n++] = d[f->cons++ & (RING - 1)];
	return n;
}

/* The kernel completes descriptors D[0..N) of SIDE; the poller reaps them. */
static void complete(enum xq_side side, const struct xdp_desc *d, uint32_t n)
{
	struct fake_ring *f = &rings[side][3];
	uint64_t *c = (uint64_t *)f->ring;
	uint32_t i;

	for (i = 0; i < n; i++)
		c[f->prod++ & (RING - 1)] = d[i].addr;
	reap_completions(&P, side);
}

/* ---- emit ---- */

static void test_emit_buffers(void **state)
{
	struct xdp_desc d[32];
	uint32_t nfree = P.q.nfree, nslots = P.q.nslot_free, n, i;
	uint8_t *b;

	/* a small frame: one UMEM frame, one descriptor */
	b = emit_get(&P.em, XQ_HOST, 100);
	assert_non_null(b);
	assert_true(b >= (uint8_t *)P.q.area && b < (uint8_t *)P.q.area + P.q.arena);
	memset(b, 0xab, 100);
	emit_put(&P.em, XQ_HOST, b, 100);
	n = tx_take(XQ_HOST, d, 32);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].len, 100);
	assert_int_equal(d[0].options, 0);
	assert_ptr_equal((uint8_t *)P.q.area + d[0].addr, b);
	complete(XQ_HOST, d, n);
	assert_int_equal(P.q.nfree, nfree);

	/* a jumbo frame: a contiguous slot, sent as a chain of whole frames */
	b = emit_get(&P.em, XQ_WIRE, 9000);
	assert_non_null(b);
	assert_true(b >= (uint8_t *)P.q.area + P.q.arena);
	for (i = 0; i < 9000; i++)
		b[i] = i;		/* written once, contiguous */
	emit_put(&P.em, XQ_WIRE, b, 9000);
	n = tx_take(XQ_WIRE, d, 32);
	assert_int_equal(n, 3);
	assert_int_equal(d[0].len, 4096);
	assert_int_equal(d[1].len, 4096);
	assert_int_equal(d[2].len, 9000 - 8192);
	assert_int_equal(d[0].options & XDP_PKT_CONTD, XDP_PKT_CONTD);
	assert_int_equal(d[1].options & XDP_PKT_CONTD, XDP_PKT_CONTD);
	assert_int_equal(d[2].options & XDP_PKT_CONTD, 0);
	assert_int_equal(d[1].addr, d[0].addr + 4096);
	assert_int_equal(P.q.nslot_free, nslots - 1);
	complete(XQ_WIRE, d, 2);
	assert_int_equal(P.q.nslot_free, nslots - 1);	/* not until the last */
	complete(XQ_WIRE, d + 2, 1);
	assert_int_equal(P.q.nslot_free, nslots);

	/* the largest frame; beyond it, nothing */
	b = emit_get(&P.em, XQ_WIRE, EMIT_MAX_FRAME);
	assert_non_null(b);
	emit_put(&P.em, XQ_WIRE, b, 0);			/* unused: given back */
	assert_int_equal(P.q.nslot_free, nslots);
	assert_int_equal(tx_take(XQ_WIRE, d, 32), 0);
	assert_null(emit_get(&P.em, XQ_WIRE, EMIT_MAX_FRAME + 1));
	assert_null(emit_get(&P.em, XQ_WIRE, 0));
	/* slots run out: NULL, not a smaller buffer */
	for (i = 0; i < nslots; i++)
		assert_non_null(emit_get(&P.em, XQ_HOST, 5000));
	assert_null(emit_get(&P.em, XQ_HOST, 5000));
	assert_int_equal(P.tx_reserved[XQ_HOST], nslots * XQ_SLOT_FRAMES);
}

/* ---- frames in the UMEM, as the kernel delivers them ---- */

static const uint8_t A4[4] = { 192, 0, 2, 1 }, B4[4] = { 192, 0, 2, 2 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/*
 * A TCP segment from the local stack (A -> B) with PAYLOAD bytes, CHECKSUM_
 * PARTIAL (pseudo header only) and MSS in the urgent pointer unless URG.
 */
static uint32_t mkstack(uint8_t *f, int v6, uint32_t seq, uint8_t flags, uint32_t payload,
			uint16_t mss, uint16_t ipid)
{
	uint32_t l3 = 14, l4 = v6 ? 54 : 34, n = l4 + 32 + payload, i;
	uint8_t *th = f + l4;

	memset(f, 0, l4 + 32);
	tc_put16(f + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		f[l3] = 0x60;
		tc_put16(f + l3 + 4, n - l3 - 40);
		f[l3 + 6] = IPPROTO_TCP;
		f[l3 + 7] = 64;
		memcpy(f + l3 + 8, A6, 16);
		memcpy(f + l3 + 24, B6, 16);
	} else {
		f[l3] = 0x45;
		tc_put16(f + l3 + 2, n - l3);
		tc_put16(f + l3 + 4, ipid);
		tc_put16(f + l3 + 6, 0x4000);
		f[l3 + 8] = 64;
		f[l3 + 9] = IPPROTO_TCP;
		memcpy(f + l3 + 12, A4, 4);
		memcpy(f + l3 + 16, B4, 4);
		tc_put16(f + l3 + 10, ~tc_csum_fold(tc_csum_add(0, f + l3, 20)));
	}
	tc_put16(th, 40000);
	tc_put16(th + 2, 5201);
	tc_put32(th + 4, seq);
	tc_put32(th + 8, 77);
	th[12] = 8 << 4;
	th[13] = flags;
	tc_put16(th + 14, 500);
	th[20] = th[21] = 1;
	th[22] = 8;
	th[23] = 10;
	tc_put32(th + 24, 1234);
	tc_put16(th + 18, flags & TC_TH_URG ? 3000 : mss);
	for (i = 0; i < payload; i++)
		th[32 + i] = (uint8_t)(i * 7 + i / 251);
	tc_put16(th + 16, tc_csum_fold(tc_csum_pseudo(v6 ? A6 : A4, v6 ? B6 : B4, v6 ? 16 : 4,
						       32 + payload)));
	return n;
}

/* Put FRAME into fresh UMEM frames as copy-mode RX does (3840 bytes each). */
static uint32_t to_umem(const uint8_t *frame, uint32_t len, struct xdp_desc *d)
{
	uint32_t n = 0, off = 0;

	while (off < len) {
		uint64_t chunk = P.q.free[--P.q.nfree];
		uint32_t piece = len - off < 3840 ? len - off : 3840;

		d[n].addr = chunk + XQ_RX_HEADROOM;
		d[n].len = piece;
		d[n].options = off + piece < len ? XDP_PKT_CONTD : 0;
		memcpy((uint8_t *)P.q.area + d[n].addr, frame + off, piece);
		off += piece;
		n++;
	}
	return n;
}

/* Gather a TX frame (descriptor chain) into BUF; its length. */
static uint32_t gather(const struct xdp_desc *d, uint32_t n, uint8_t *buf)
{
	uint32_t len = 0, i;

	for (i = 0; i < n; i++) {
		memcpy(buf + len, (uint8_t *)P.q.area + d[i].addr, d[i].len);
		len += d[i].len;
	}
	return len;
}

static void cut_case(int v6, uint32_t mtu, uint32_t payload, uint8_t flags, uint16_t mss,
		     uint32_t want_mss)
{
	static uint8_t frame[70000], seg[70000], cat[70000];
	static struct xdp_desc rx[32], tx[4096];
	uint32_t len = mkstack(frame, v6, 1000, flags, payload, mss, 0x100);
	uint32_t nd = to_umem(frame, len, rx), n, i = 0, k = 0, got = 0;
	uint32_t nsegs = (payload + want_mss - 1) / want_mss;

	P.wire_mtu = mtu;
	assert_int_equal(handle_frame(&P, XQ_HOST, rx, nd, tcd_now_ns()), 0);
	n = tx_take(XQ_WIRE, tx, 4096);
	while (i < n) {
		uint32_t c = 1, slen;
		struct tc_seg s;

		while (tx[i + c - 1].options & XDP_PKT_CONTD)
			c++;
		slen = gather(tx + i, c, seg);
		assert_int_equal(tc_seg_parse(seg, slen, &s), TC_SEG_TCP);
		assert_true(s.ip_end - s.l3_off <= mtu);
		assert_int_equal(s.seq, 1000 + k * want_mss);
		assert_int_equal(s.payload_len, k + 1 < nsegs ? want_mss : payload - k * want_mss);
		assert_true(tc_seg_tcp_csum_ok(seg, &s));	/* full, not partial */
		if (!v6)
			assert_int_equal(tc_get16(seg + s.l3_off + 4), 0x100 + k);
		/* CWR on the first only; FIN and PSH on the last only */
		assert_int_equal(!!(s.flags & TC_TH_CWR), k == 0 && (flags & TC_TH_CWR));
		assert_int_equal(!!(s.flags & TC_TH_FIN), k + 1 == nsegs && (flags & TC_TH_FIN));
		assert_int_equal(!!(s.flags & TC_TH_PSH), k + 1 == nsegs && (flags & TC_TH_PSH));
		if (!(flags & TC_TH_URG))
			assert_int_equal(s.urg, 0);	/* the marker is gone */
		memcpy(cat + got, seg + s.payload_off, s.payload_len);
		got += s.payload_len;
		complete(XQ_WIRE, tx + i, c);
		i += c;
		k++;
	}
	assert_int_equal(k, nsegs);
	assert_int_equal(got, payload);
	assert_memory_equal(cat, frame + (v6 ? 54 : 34) + 32, payload);
}

static void test_cut_super_packets(void **state)
{
	uint32_t nfree = P.q.nfree;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		uint32_t hdrs = (v6 ? 40 : 20) + 32;

		/* the stack's gso_size (a peer's smaller MSS), from the urgent pointer */
		cut_case(v6, 1500, 64000, TC_TH_ACK | TC_TH_PSH | TC_TH_FIN | TC_TH_CWR,
			 1500 - hdrs - 100, 1500 - hdrs - 100);
		/* jumbo frames: segments are chains of three frames */
		cut_case(v6, 9000, 60000, TC_TH_ACK | TC_TH_PSH, 9000 - hdrs, 9000 - hdrs);
		/* a marker larger than the MTU allows now: cut by the MTU */
		cut_case(v6, 1500, 20000, TC_TH_ACK, 8948, 1500 - hdrs);
		/* URG uses the field: cut by the MTU */
		cut_case(v6, 1500, 5000, TC_TH_ACK | TC_TH_URG, 0, 1500 - hdrs);
	}
	assert_int_equal(P.q.nfree, nfree);	/* every frame came back */
	assert_true(P.st.super_cut >= 8);
}

/* A frame from the host that fits the MTU goes out as it is, with its full checksum. */
static void test_host_frame_checksum(void **state)
{
	static uint8_t frame[4096], out[4096];
	struct xdp_desc rx[4] = {}, tx[4] = {};
	uint32_t len = mkstack(frame, 0, 5, TC_TH_ACK, 700, 0, 1), nd = to_umem(frame, len, rx);
	struct tc_seg s;

	assert_int_equal(handle_frame(&P, XQ_HOST, rx, nd, tcd_now_ns()), 0);
	assert_int_equal(tx_take(XQ_WIRE, tx, 4), 1);
	assert_int_equal(tx[0].addr, rx[0].addr);	/* by descriptor, not copied */
	len = gather(tx, 1, out);
	assert_int_equal(tc_seg_parse(out, len, &s), TC_SEG_TCP);
	assert_true(tc_seg_tcp_csum_ok(out, &s));
}

/* Wire segments in order: one host-bound chain pointing at their payloads. */
static void test_coalesced_chain(void **state)
{
	static uint8_t frame[4096], out[70000];
	struct xdp_desc rx[4] = {}, tx[64] = {};
	uint32_t i, n, len, seq = 1, first = 0;
	struct tc_seg s;

	for (i = 0; i < 5; i++) {
		/* a segment from the wire (B -> A here does not matter): full checksum */
		len = mkstack(frame, 0, seq, TC_TH_ACK, 1000 + i, 0, i);
		tc_seg_parse(frame, len, &s);
		tc_seg_fill_tcp_csum(frame, &s);
		tc_put16(frame + s.l4_off + 18, 0);
		tc_seg_fill_tcp_csum(frame, &s);
		to_umem(frame, len, rx);
		if (!i)
			first = rx[0].addr;
		assert_int_equal(handle_frame(&P, XQ_WIRE, rx, 1, tcd_now_ns()), 0);
		seq += 1000 + i;
	}
	flush_runs(&P);
	n = tx_take(XQ_HOST, tx, 64);
	assert_int_equal(n, 5);
	assert_int_equal(tx[0].addr, first);		/* no copy: the first frame's headers */
	for (i = 0; i + 1 < n; i++)
		assert_int_equal(tx[i].options & XDP_PKT_CONTD, XDP_PKT_CONTD);
	len = gather(tx, n, out);
	assert_int_equal(tc_seg_parse(out, len, &s), TC_SEG_TCP);
	assert_int_equal(s.payload_len, 1000 + 1001 + 1002 + 1003 + 1004);
	assert_true(tc_seg_tcp_csum_ok(out, &s));
	assert_int_equal(P.st.runs, 1);
	complete(XQ_HOST, tx, n);
}

/*
 * tc mode: the wire's frames arrive on a socket of their own (on tcv1's
 * queue queues + q); that socket's fill ring is the one kept filled and its
 * RX ring the one read as the wire's, while the socket on IFACE only sends.
 */
static void test_tc_mode_wire_socket(void **state)
{
	static uint8_t frame[4096];
	struct xdp_desc rx[4] = {}, tx[4] = {};
	struct xdp_desc *r = (struct xdp_desc *)in_rings[0].ring;
	struct xq *q = &P.q;
	uint32_t len, nd, i;
	struct tc_seg s;

	q->rxs[XQ_WIRE] = &q->in;
	xq_fill(q, XQ_WIRE);
	assert_int_equal(in_rings[1].prod - in_rings[1].cons, XQ_FILL_MIN);
	assert_int_equal(rings[XQ_WIRE][2].prod, 0);	/* IFACE's fill ring: untouched */
	/* a wire segment (full checksum) on the tc socket's RX ring */
	len = mkstack(frame, 0, 1, TC_TH_ACK, 1000, 0, 1);
	tc_seg_parse(frame, len, &s);
	tc_put16(frame + s.l4_off + 18, 0);
	tc_seg_fill_tcp_csum(frame, &s);
	nd = to_umem(frame, len, rx);
	for (i = 0; i < nd; i++)
		r[in_rings[0].prod++ & (RING - 1)] = rx[i];
	assert_int_equal(rx_batch(&P, XQ_WIRE, tcd_now_ns()), nd);
	assert_int_equal(in_rings[0].cons, in_rings[0].prod);
	assert_int_equal(P.st.rx_pkts[XQ_WIRE], 1);
	flush_runs(&P);
	/* handed to the host as a wire frame, by descriptor */
	assert_int_equal(tx_take(XQ_HOST, tx, 4), 1);
	assert_int_equal(tx[0].addr, rx[0].addr);
	complete(XQ_HOST, tx, 1);
	q->rxs[XQ_WIRE] = &q->s[XQ_WIRE];
}

/* ---- the fill ring's level ---- */

/* The kernel takes N entries of SIDE's fill ring (it received N frames). */
static void kernel_takes(enum xq_side side, uint32_t n)
{
	rings[side][2].cons += n;
}

static uint32_t fill_level(enum xq_side side)
{
	return rings[side][2].prod - rings[side][2].cons;
}

static void test_fill_goal_adapts(void **state)
{
	struct xq_sock s = { 0 };
	uint32_t i, g;

	/* the first fill: the floor, even though the ring is empty */
	xq_fill_adapt(&s, 0, 8192);
	assert_int_equal(s.fill_goal, XQ_FILL_MIN);
	assert_int_equal(s.fill_grown, 0);
	/* a ring smaller than the floor is filled whole */
	{
		struct xq_sock t = { 0 };

		xq_fill_adapt(&t, 0, 256);
		assert_int_equal(t.fill_goal, 256);
	}
	/* quiet: never under the floor */
	for (i = 0; i < 3 * XQ_FILL_DECAY; i++)
		xq_fill_adapt(&s, s.fill_goal, 8192);
	assert_int_equal(s.fill_goal, XQ_FILL_MIN);
	/* the kernel took more than half between two refills: double, up to the ring */
	for (g = XQ_FILL_MIN; g < 8192; g *= 2) {
		xq_fill_adapt(&s, g / 2 - 1, 8192);
		assert_int_equal(s.fill_goal, 2 * g);
	}
	xq_fill_adapt(&s, 0, 8192);
	assert_int_equal(s.fill_goal, 8192);
	assert_int_equal(s.fill_grown, 3);
	/* taking half exactly is no burst; a quarter keeps the goal too */
	for (i = 0; i < 2 * XQ_FILL_DECAY; i++)
		xq_fill_adapt(&s, i & 1 ? 4096 : 6144, 8192);
	assert_int_equal(s.fill_goal, 8192);
	/* one take of 1/8 or more in a window keeps the goal */
	for (i = 0; i < XQ_FILL_DECAY; i++)
		xq_fill_adapt(&s, i == 100 ? 8192 - 1024 : 8000, 8192);
	assert_int_equal(s.fill_goal, 8192);
	/* under 1/8 for a whole window: halve, window after window, to the floor */
	for (g = 8192; g > XQ_FILL_MIN; g /= 2) {
		for (i = 0; i < XQ_FILL_DECAY; i++)
			xq_fill_adapt(&s, g - g / 8, 8192);
		assert_int_equal(s.fill_goal, g / 2);
	}
	for (i = 0; i < XQ_FILL_DECAY; i++)
		xq_fill_adapt(&s, XQ_FILL_MIN, 8192);
	assert_int_equal(s.fill_goal, XQ_FILL_MIN);
	assert_int_equal(s.fill_grown, 3);
}

static void test_fill_ring_level(void **state)
{
	struct xq *q = &P.q;
	struct xq_sock *s = &q->s[XQ_WIRE];
	uint64_t *ring = (uint64_t *)rings[XQ_WIRE][2].ring;
	uint32_t prod, nfree;

	q->fill_size = RING;	/* a ring larger than the floor */
	xq_fill(q, XQ_WIRE);
	assert_int_equal(fill_level(XQ_WIRE), XQ_FILL_MIN);
	/* the frames first in line are the lowest addresses, the top of the stack */
	assert_int_equal(ring[0], 0);
	assert_int_equal(ring[1], XQ_FRAME_SIZE);
	/* topped up to the goal, not to the ring's size */
	kernel_takes(XQ_WIRE, 100);
	nfree = q->nfree;
	xq_fill(q, XQ_WIRE);
	assert_int_equal(fill_level(XQ_WIRE), XQ_FILL_MIN);
	assert_int_equal(nfree - q->nfree, 100);
	/* a frame freed last is the next one the kernel gets */
	q->free[q->nfree++] = 5 * XQ_FRAME_SIZE;
	kernel_takes(XQ_WIRE, 1);
	prod = rings[XQ_WIRE][2].prod;
	xq_fill(q, XQ_WIRE);
	assert_int_equal(ring[prod & (RING - 1)], 5 * XQ_FRAME_SIZE);
	/* a burst took more than half: the ring is filled deeper */
	kernel_takes(XQ_WIRE, XQ_FILL_MIN / 2 + 1);
	xq_fill(q, XQ_WIRE);
	assert_int_equal(s->fill_goal, 2 * XQ_FILL_MIN);
	assert_int_equal(fill_level(XQ_WIRE), 2 * XQ_FILL_MIN);
	/* never into the frames kept for cutting super-packets */
	kernel_takes(XQ_WIRE, 2 * XQ_FILL_MIN);
	q->nfree = XQ_FILL_RESERVE + 10;
	xq_fill(q, XQ_WIRE);
	assert_int_equal(q->nfree, XQ_FILL_RESERVE);
	assert_int_equal(fill_level(XQ_WIRE), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_emit_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_super_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_frame_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coalesced_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tc_mode_wire_socket, setup, teardown),
		cmocka_unit_test(test_fill_goal_adapts),
		cmocka_unit_test_setup_teardown(test_fill_ring_level, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
