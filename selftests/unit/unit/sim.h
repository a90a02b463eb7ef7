/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Two hosts in memory, for the segment engine's tests and fuzzer: each has
 * a small model of a kernel's TCP (struct ktcp: handshake with MSS, SACK-
 * permitted, timestamps and window scale; sending with go-back-N
 * retransmission whose segment boundaries change on every timeout; fast
 * retransmit on duplicate ACKs; in-order receiving; FIN; RST), optionally
 * a segment engine in front of it, and a wire between them that can lose,
 * duplicate, delay (reorder), split (re-segment) and tamper with frames,
 * from a seeded generator so every run replays.
 *
 * Invariants are checked as frames move, not only at the end:
 *  - a host whose engine negotiated encryption never puts a byte of the
 *    marker string (planted all through the application data) on the wire;
 *  - a wire sequence number always carries the same byte (no re-encryption
 *    at a used offset, whatever the kernel's retransmission boundaries);
 *  - every byte a kernel model receives is the byte the other one sent.
 */
#ifndef TC_TEST_SIM_H
#define TC_TEST_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/algs.h"
#include "engine/conn.h"
#include "engine/seg.h"
#include "engine/tcpopt.h"
#include "unit/frames.h"

#define SIM_MS		1000000ull
#define SIM_FRAME_MAX	70000
#define SIM_MARKER	"TCPCRYPT-PLAINTEXT-MARKER"

struct sim;

struct ktcp {
	struct sim *sim;
	int idx;			/* 0: A (connects), 1: B (listens) */
	bool v6;
	uint16_t lport, rport;
	uint16_t mss_opt;		/* MSS we announce */
	uint8_t ws;			/* our window scale */
	bool use_ts, use_sack;
	/* learnt from the peer's SYN */
	bool syn_rcvd, est, ts_ok, ws_ok;
	uint16_t peer_mss;
	bool tso;			/* sends super-packets (ktcp_seg_max) */
	uint8_t peer_ws;
	uint32_t isn, irs;
	uint32_t ts_recent;
	uint32_t ts_last;		/* latest TSval sent (never 0) */
	/* sending: app[0 .. written) may be sent; close after it */
	const uint8_t *app;
	uint64_t app_len, written;
	bool close;
	uint64_t snd_una, snd_nxt;	/* offsets from isn + 1 */
	uint64_t snd_max;		/* highest snd_nxt: a timeout goes back from it */
	bool fin_sent, fin_acked, fin_max;
	uint64_t rto_at, rto;
	int dupacks;
	bool no_frexmit;		/* leave a lost head to the RTO */
	uint32_t wnd;			/* the peer's window, bytes */
	/* receiving */
	uint8_t *rcv;
	uint64_t rcv_cap, rcv_nxt;
	bool fin_rcvd, reset;
	uint64_t segs_sent, segs_rcvd, rexmits;
};

struct sim_q {
	uint64_t at;
	int to;			/* host index receiving it */
	bool wire;		/* true: arrives from the wire; false: local delivery */
	bool to_engine;		/* local: from the kernel to its engine */
	bool plain;		/* passed on unchanged as plain TCP */
	uint32_t len;
	uint8_t *data;
};

struct sim_host {
	struct ktcp k;
	struct tc_conn *c;
	bool engine;
	struct tc_engine_stats st;
	struct tc_out out;
	uint64_t wire_tx;	/* frames it put on the wire */
};

struct sim {
	uint64_t now, seed;
	struct tc_algs *algs;
	struct tc_engine_cfg cfg;
	struct sim_host h[2];
	struct sim_q *q;
	size_t nq, capq;
	/* the wire's faults, per mille */
	int loss, dup, reorder, split;
	uint64_t delay;
	int tamper_dir;		/* -1: none; else flip a bit in the Nth payload frame */
	int tamper_nth, tamper_count;
	bool tampered;
	int drop_dir;		/* -1: none; else lose the Nth payload frame, once */
	int drop_nth, drop_count;
	bool dropped;
	/* engines leave wire checksums partial (tc_out.wire_csum_partial); the
	 * channel completes them, as GSO or the poller does */
	bool csum_partial;
	uint64_t partial_seen;	/* data segments that came with a partial one */
	/* engines put super-segments (tc_out.wire_gso_max); the channel cuts
	 * them as GSO does */
	uint32_t wire_gso;
	uint64_t supers_cut, segs_cut;
	uint64_t supers_offered, supers_by_ref;	/* tc_out.put_super */
	/* local data segments reach the engine with their payload in pieces
	 * (tc_seg.pv), as multi-buffer frames do */
	bool pieces;
	uint64_t pieces_fed;
	/* invariants */
	uint8_t *seen[2], *seen_set[2];	/* per wire direction, by sequence offset */
	uint64_t seen_cap;
	bool isn_known[2];
	uint32_t isn_dir[2];
	int violations;
	char why[256];
	uint64_t steps;
	/*
	 * Optional: the hosts' tcpcryptd is something else than a bare
	 * engine (tcpcryptd's flow table in test_tcd_flow): it takes a frame
	 * (TC_CONN_FORWARD, 0 or <0 like tc_conn_input), ends a batch, runs
	 * timers, and says which engine connection serves the host now.
	 */
	int (*via)(struct sim *s, int host, bool wire, uint8_t *data, uint32_t len);
	void (*via_batch)(struct sim *s, int host);
	uint64_t (*via_timer)(struct sim *s, int host);
	struct tc_conn *(*via_conn)(struct sim *s, int host);
	void *via_arg;
	uint8_t last[2][2048];	/* the last wire frame each way, for mutation */
	uint32_t last_len[2];
	bool went_plain;	/* an engine fell back to plain TCP */
	unsigned int idled;	/* tc_conn_idle() calls that had work */
	bool idle_never;	/* no tc_conn_idle(): work only when needed */
};

static inline uint64_t sim_rand(struct sim *s)
{
	/* xorshift64*: tests need replay, not secrecy */
	s->seed ^= s->seed >> 12;
	s->seed ^= s->seed << 25;
	s->seed ^= s->seed >> 27;
	return s->seed * 0x2545f4914f6cdd1dull;
}

static inline int sim_rng_bytes(void *arg, uint8_t *out, size_t len)
{
	struct sim *s = arg;
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = (uint8_t)(sim_rand(s) >> 32);
	return 0;
}

static inline void sim_violation(struct sim *s, const char *why)
{
	if (!s->violations)
		snprintf(s->why, sizeof(s->why), "%s (step %llu)", why,
			 (unsigned long long)s->steps);
	s->violations++;
}

static inline void sim_enqueue(struct sim *s, uint64_t at, int to, bool wire, bool to_engine,
			       const uint8_t *data, uint32_t len)
{
	struct sim_q *e;
	size_t i;

	if (s->nq == s->capq) {
		s->capq = s->capq ? s->capq * 2 : 256;
		s->q = realloc(s->q, s->capq * sizeof(*s->q));
	}
	/* keep sorted by time, FIFO among equal times */
	i = s->nq;
	while (i > 0 && s->q[i - 1].at > at) {
		s->q[i] = s->q[i - 1];
		i--;
	}
	e = &s->q[i];
	e->at = at;
	e->to = to;
	e->wire = wire;
	e->to_engine = to_engine;
	e->plain = false;
	e->len = len;
	e->data = malloc(len);
	memcpy(e->data, data, len);
	s->nq++;
}

/* The engine connection serving host i now, NULL if none. */
static inline struct tc_conn *sim_conn(struct sim *s, int i)
{
	return s->via_conn ? s->via_conn(s, i) : s->h[i].c;
}

static inline int sim_state(struct sim *s, int i)
{
	struct tc_conn *c = sim_conn(s, i);

	return c ? (int)tc_conn_state(c) : (s->h[i].engine ? TC_CONN_PLAIN : -1);
}

/* ---- invariants on frames put on the wire by host from ---- */

static inline void sim_check_wire(struct sim *s, int from, const uint8_t *f, uint32_t len)
{
	struct sim_host *h = &s->h[from];
	struct tc_seg g;
	uint64_t off, i;

	if (tc_seg_parse(f, len, &g) != TC_SEG_TCP) {
		sim_violation(s, "unparseable frame on the wire");
		return;
	}
	if (!tc_seg_tcp_csum_ok(f, &g))
		sim_violation(s, "bad TCP checksum on the wire");
	/* the invariants are about the connection of the two kernels; an
	 * injected frame may open flows of its own */
	if (g.sport != s->h[from].k.lport || g.dport != s->h[from].k.rport)
		return;
	if (g.flags & TC_TH_SYN) {
		s->isn_known[from] = true;
		s->isn_dir[from] = g.seq;
		return;
	}
	if (!g.payload_len || !s->isn_known[from])
		return;
	if (h->engine && sim_conn(s, from)) {
		enum tc_conn_state st = tc_conn_state(sim_conn(s, from));

		if ((st == TC_CONN_KEYX || st == TC_CONN_ENCRYPTED || st == TC_CONN_ABORTED) &&
		    memmem(f + g.payload_off, g.payload_len, SIM_MARKER, 8))
			sim_violation(s, "plaintext on the wire after ENO");
	}
	off = (uint32_t)(g.seq - s->isn_dir[from] - 1);
	if (off + g.payload_len > s->seen_cap)
		return;
	for (i = 0; i < g.payload_len; i++) {
		uint8_t b = f[g.payload_off + i];

		if (s->seen_set[from][off + i] && s->seen[from][off + i] != b) {
			sim_violation(s, "a wire sequence number carried two different bytes");
			return;
		}
		s->seen[from][off + i] = b;
		s->seen_set[from][off + i] = 1;
	}
}

/* A frame leaves host from onto the wire: faults apply here. */
static inline void sim_wire(struct sim *s, int from, const uint8_t *f, uint32_t len)
{
	uint8_t buf[SIM_FRAME_MAX];
	uint64_t at = s->now + s->delay;
	struct tc_seg g;

	sim_check_wire(s, from, f, len);
	s->h[from].wire_tx++;
	if (len <= sizeof(s->last[0])) {
		memcpy(s->last[from], f, len);
		s->last_len[from] = len;
	}
	if (s->loss && (int)(sim_rand(s) % 1000) < s->loss)
		return;
	memcpy(buf, f, len);
	if (tc_seg_parse(buf, len, &g) == TC_SEG_TCP && g.payload_len &&
	    s->tamper_dir == from && !s->tampered && ++s->tamper_count == s->tamper_nth) {
		buf[g.payload_off + g.payload_len / 2] ^= 0x10;
		tc_seg_fill_tcp_csum(buf, &g);
		s->tampered = true;
	}
	if (g.kind == TC_SEG_TCP && g.payload_len && s->drop_dir == from && !s->dropped &&
	    ++s->drop_count == s->drop_nth) {
		s->dropped = true;
		return;
	}
	if (s->reorder && (int)(sim_rand(s) % 1000) < s->reorder)
		at += 1 + sim_rand(s) % (3 * s->delay + 2 * SIM_MS);
	if (s->split && g.kind == TC_SEG_TCP && g.payload_len >= 2 &&
	    !(g.flags & (TC_TH_SYN | TC_TH_RST)) && (int)(sim_rand(s) % 1000) < s->split) {
		/* a middlebox re-segments: two frames, the cut anywhere */
		uint32_t cut = 1 + sim_rand(s) % (g.payload_len - 1);
		uint8_t b2[SIM_FRAME_MAX];
		struct tc_seg g1, g2;
		uint32_t l1 = g.payload_off + cut, l2 = len - cut;

		memcpy(b2, buf, g.payload_off);
		memcpy(b2 + g.payload_off, buf + g.payload_off + cut, g.payload_len - cut);
		b2[g.l4_off + 13] &= ~(TC_TH_FIN);
		buf[g.l4_off + 13] &= ~(TC_TH_FIN | TC_TH_PSH);
		b2[g.l4_off + 13] |= g.flags & (TC_TH_FIN | TC_TH_PSH);
		tf_put32(b2 + g.l4_off + 4, g.seq + cut);
		if (g.family == AF_INET) {
			tf_put16(buf + g.l3_off + 2, l1 - g.l3_off);
			tf_put16(b2 + g.l3_off + 2, l2 - g.l3_off);
		} else {
			tf_put16(buf + g.l3_off + 4, l1 - g.l3_off - 40);
			tf_put16(b2 + g.l3_off + 4, l2 - g.l3_off - 40);
		}
		tc_seg_parse(buf, l1, &g1);
		tc_seg_parse(b2, l2, &g2);
		tc_seg_fill_ip_csum(buf, &g1);
		tc_seg_fill_ip_csum(b2, &g2);
		tc_seg_fill_tcp_csum(buf, &g1);
		tc_seg_fill_tcp_csum(b2, &g2);
		sim_enqueue(s, at, !from, true, false, buf, l1);
		sim_enqueue(s, at, !from, true, false, b2, l2);
		return;
	}
	sim_enqueue(s, at, !from, true, false, buf, len);
	if (s->dup && (int)(sim_rand(s) % 1000) < s->dup)
		sim_enqueue(s, at + 1, !from, true, false, buf, len);
}

/* ---- the engines' buffers ---- */

struct sim_out_arg {
	struct sim *s;
	int host;
};

static inline uint8_t *sim_out_get(void *arg, enum tc_side to, uint32_t len)
{
	return len <= SIM_FRAME_MAX ? malloc(SIM_FRAME_MAX) : NULL;
}

/*
 * A super-segment from an engine (tc_out.wire_gso_max): cut it into
 * segments of the size in its urgent pointer field, as tcp_gso_segment()
 * does (sequence numbers, IP lengths and ids; FIN and PSH on the last, CWR
 * on the first; full checksums), onto the wire.
 */
static inline void sim_gso_cut(struct sim *s, int host, const uint8_t *buf,
			       const struct tc_seg *g)
{
	uint32_t mss = tc_get16(buf + g->l4_off + 18), off, k = 0;
	uint8_t seg[SIM_FRAME_MAX];

	s->supers_cut++;
	for (off = 0; off < g->payload_len; off += mss, k++) {
		uint32_t n = g->payload_len - off < mss ? g->payload_len - off : mss;
		uint32_t l = g->payload_off + n;
		bool last = off + n == g->payload_len;
		uint8_t *th = seg + g->l4_off, *ip;
		struct tc_seg h;

		memcpy(seg, buf, g->payload_off);
		memcpy(seg + g->payload_off, buf + g->payload_off + off, n);
		if (g->family == AF_INET) {
			tf_put16(seg + g->l3_off + 2, l - g->l3_off);
			tf_put16(seg + g->l3_off + 4, tc_get16(buf + g->l3_off + 4) + k);
			/* the parser checks it */
			ip = seg + g->l3_off;
			ip[10] = ip[11] = 0;
			tc_put16(ip + 10, ~tc_csum_fold(tc_csum_add(0, ip, (ip[0] & 0xf) * 4)));
		} else {
			tf_put16(seg + g->l3_off + 4, l - g->l3_off - 40);
		}
		tc_put32(th + 4, g->seq + off);
		if (!last)
			th[13] &= ~(TC_TH_FIN | TC_TH_PSH);
		if (k)
			th[13] &= ~TC_TH_CWR;
		th[18] = th[19] = 0;
		if (tc_seg_parse(seg, l, &h) != TC_SEG_TCP) {
			sim_violation(s, "a super-segment cut into an unparseable segment");
			return;
		}
		tc_seg_fill_tcp_csum(seg, &h);
		s->segs_cut++;
		sim_wire(s, host, seg, l);
	}
}

/*
 * tc_out.put_super: a super-segment from its headers and the engine's copy
 * of the payload. Every third is refused, so that the engine's fallback
 * through get() and put() runs too.
 */
static inline int sim_out_put_super(void *arg, const uint8_t *hdr, uint32_t hdr_len,
				    const uint8_t *payload, uint32_t len)
{
	struct sim_out_arg *a = arg;
	uint8_t buf[SIM_FRAME_MAX];
	struct tc_seg g;

	if (++a->s->supers_offered % 3 == 0)
		return -EAGAIN;
	if (hdr_len + len > sizeof(buf))
		sim_violation(a->s, "a super-segment longer than a frame");
	if (a->s->violations)
		return 0;
	memcpy(buf, hdr, hdr_len);
	memcpy(buf + hdr_len, payload, len);
	if (tc_seg_parse(buf, hdr_len + len, &g) != TC_SEG_TCP || g.payload_off != hdr_len ||
	    (g.flags & TC_TH_URG) || !g.urg || g.payload_len <= g.urg ||
	    !tc_seg_tcp_csum_partial(buf, &g)) {
		sim_violation(a->s, "put_super: not a super-segment with a partial checksum");
		return 0;
	}
	a->s->supers_by_ref++;
	sim_gso_cut(a->s, a->host, buf, &g);
	return 0;
}

static inline void sim_out_put(void *arg, enum tc_side to, uint8_t *buf, uint32_t len)
{
	struct sim_out_arg *a = arg;

	if (len) {
		struct tc_seg g;

		if (to == TC_SIDE_WIRE && a->s->csum_partial &&
		    tc_seg_parse(buf, len, &g) == TC_SEG_TCP) {
			/* partial (data from send_wire) or complete (the rest) */
			if (g.payload_len && tc_seg_tcp_csum_partial(buf, &g))
				a->s->partial_seen++;
			else if (!tc_seg_tcp_csum_ok(buf, &g))
				sim_violation(a->s, "wire checksum neither partial nor complete");
			tc_seg_fill_tcp_csum(buf, &g);
		}
		if (to == TC_SIDE_WIRE && tc_seg_parse(buf, len, &g) == TC_SEG_TCP &&
		    !(g.flags & TC_TH_URG) && g.urg) {
			/* the segment size of a super-segment, never on the wire */
			if (!a->s->wire_gso || !a->s->csum_partial || g.payload_len <= g.urg)
				sim_violation(a->s, "urgent pointer without URG on a wire segment");
			else
				sim_gso_cut(a->s, a->host, buf, &g);
		} else if (to == TC_SIDE_WIRE)
			sim_wire(a->s, a->host, buf, len);
		else
			sim_enqueue(a->s, a->s->now, a->host, false, false, buf, len);
	}
	free(buf);
}

/* ---- the kernel model ---- */

static inline void ktcp_send(struct ktcp *k, uint8_t flags, uint64_t off, const uint8_t *payload,
			     uint32_t plen)
{
	struct sim *s = k->sim;
	uint8_t opts[40], f[SIM_FRAME_MAX];
	struct tf t = { 0 };
	int n = 0;
	uint32_t len;

	if (flags & TC_TH_SYN) {
		opts[n++] = 2; opts[n++] = 4;
		opts[n++] = k->mss_opt >> 8; opts[n++] = k->mss_opt & 0xff;
		if (k->use_sack) { opts[n++] = 4; opts[n++] = 2; }
		if (k->use_ts) {
			k->ts_last = (uint32_t)(s->now / SIM_MS) + 1000 * (k->idx + 1);
			opts[n++] = 8; opts[n++] = 10;
			tf_put32(opts + n, k->ts_last); n += 4;
			tf_put32(opts + n, k->ts_recent); n += 4;
		}
		opts[n++] = 1; opts[n++] = 3; opts[n++] = 3; opts[n++] = k->ws;
	} else if (k->ts_ok) {
		k->ts_last = (uint32_t)(s->now / SIM_MS) + 1000 * (k->idx + 1);
		opts[n++] = 1; opts[n++] = 1; opts[n++] = 8; opts[n++] = 10;
		tf_put32(opts + n, k->ts_last); n += 4;
		tf_put32(opts + n, k->ts_recent); n += 4;
	}
	while (n % 4)
		opts[n++] = 1;
	t.v6 = k->v6;
	t.src = k->v6 ? (k->idx ? tf_ip6_b : tf_ip6_a) : (k->idx ? tf_ip4_b : tf_ip4_a);
	t.dst = k->v6 ? (k->idx ? tf_ip6_a : tf_ip6_b) : (k->idx ? tf_ip4_a : tf_ip4_b);
	t.sport = k->lport;
	t.dport = k->rport;
	t.seq = k->isn + 1 + (uint32_t)off - ((flags & TC_TH_SYN) ? 1 : 0);
	t.ack = (flags & TC_TH_ACK) ? k->irs + 1 + (uint32_t)k->rcv_nxt + (k->fin_rcvd ? 1 : 0) : 0;
	t.flags = flags;
	t.win = (flags & TC_TH_SYN) ? 65535 : (uint16_t)((256u << 10) >> (k->ws_ok ? k->ws : 0));
	t.opts = opts;
	t.optlen = n;
	t.payload = payload;
	t.plen = plen;
	len = tf_build(f, &t);
	k->segs_sent++;
	if (s->h[k->idx].engine)
		sim_enqueue(s, s->now, k->idx, false, true, f, len);
	else
		sim_wire(s, k->idx, f, len);
}

static inline uint32_t ktcp_seg_max(const struct ktcp *k)
{
	uint32_t m = k->peer_mss ? k->peer_mss : 536;

	m -= k->ts_ok ? 12 : 0;
	/* TSO: super-packets of whole segments, as a stack with offloads on */
	return k->tso ? 60000 / m * m : m;
}

/* Send what the window allows; sizes vary after a timeout (new boundaries). */
static inline void ktcp_output(struct ktcp *k, bool odd_sizes)
{
	uint64_t wnd_end = k->snd_una + k->wnd;

	if (!k->est || k->reset)
		return;
	while (k->snd_nxt < k->written && k->snd_nxt < wnd_end) {
		uint64_t n = k->written - k->snd_nxt;
		uint8_t fl = TC_TH_ACK;

		if (n > ktcp_seg_max(k))
			n = ktcp_seg_max(k);
		if (odd_sizes)
			n = 1 + sim_rand(k->sim) % n;
		if (k->snd_nxt + n > wnd_end)
			n = wnd_end - k->snd_nxt;
		if (k->snd_nxt + n == k->written)
			fl |= TC_TH_PSH;
		if (k->close && k->snd_nxt + n == k->app_len)
			fl |= TC_TH_FIN;
		ktcp_send(k, fl, k->snd_nxt, k->app + k->snd_nxt, (uint32_t)n);
		k->snd_nxt += n;
		if (k->snd_nxt > k->snd_max)
			k->snd_max = k->snd_nxt;
		if (fl & TC_TH_FIN)
			k->fin_sent = k->fin_max = true;
	}
	if (k->close && k->written == k->app_len && k->snd_nxt == k->app_len && !k->fin_sent) {
		ktcp_send(k, TC_TH_ACK | TC_TH_FIN, k->snd_nxt, NULL, 0);
		k->fin_sent = k->fin_max = true;
	}
	if (k->snd_una < k->snd_nxt + (k->fin_sent && !k->fin_acked) && !k->rto_at)
		k->rto_at = k->sim->now + k->rto;
}

static inline void ktcp_timeout(struct ktcp *k)
{
	k->rto_at = 0;
	if (k->reset)
		return;
	if (!k->est) {
		/* SYN or SYN-ACK again */
		ktcp_send(k, k->idx == 0 ? TC_TH_SYN : (TC_TH_SYN | TC_TH_ACK), 0, NULL, 0);
		k->rto_at = k->sim->now + k->rto;
		return;
	}
	k->rexmits++;
	k->snd_nxt = k->snd_una;	/* go back N, cut differently */
	k->fin_sent = false;
	k->rto = k->rto * 2 > 3000 * SIM_MS ? 3000 * SIM_MS : k->rto * 2;
	ktcp_output(k, true);
	k->rto_at = k->sim->now + k->rto;
}

static inline void ktcp_input(struct ktcp *k, const uint8_t *f, uint32_t len, bool plain)
{
	struct sim *s = k->sim;
	struct tc_tcpopt o;
	struct tc_seg g;
	uint64_t off;

	if (tc_seg_parse(f, len, &g) != TC_SEG_TCP) {
		sim_violation(s, "kernel model got an unparseable frame");
		return;
	}
	if (!tc_seg_tcp_csum_ok(f, &g)) {
		sim_violation(s, "kernel model got a bad checksum");
		return;
	}
	/* a frame of another flow (one an injector opened) is not this
	 * connection's business: a real kernel would answer it alone */
	if (g.sport != k->rport || g.dport != k->lport)
		return;
	k->segs_rcvd++;
	tc_tcpopt_parse(f + g.l4_off + 20, g.thl - 20, &o);
	/* an engine keeps ENO to itself; a plain host sees a peer's, as on the Internet */
	if (o.has_eno && s->h[k->idx].engine && !plain && sim_state(s, k->idx) != TC_CONN_PLAIN)
		sim_violation(s, "an ENO option reached a kernel");
	if (g.flags & TC_TH_RST) {
		k->reset = true;
		k->rto_at = 0;
		return;
	}
	/*
	 * Every TSecr after the SYN exchange echoes a TSval this kernel sent
	 * (RFC 7323): a SYN-cookie server reads its options back from it.
	 */
	if (o.has_ts && k->ts_ok && !(g.flags & TC_TH_SYN) &&
	    (!o.tsecr || o.tsecr > k->ts_last) && !s->went_plain)
		sim_violation(s, "a TSecr the kernel never sent");
	if (o.has_ts)
		k->ts_recent = o.tsval;
	if (g.flags & TC_TH_SYN) {
		k->irs = g.seq;
		k->syn_rcvd = true;
		k->peer_mss = o.has_mss ? o.mss : 536;
		k->ts_ok = k->use_ts && o.has_ts;
		k->ws_ok = o.has_ws;
		k->peer_ws = o.ws;
		k->wnd = g.win;
		if (k->idx == 1) {
			ktcp_send(k, TC_TH_SYN | TC_TH_ACK, 0, NULL, 0);
			k->rto_at = s->now + k->rto;
		} else if (g.flags & TC_TH_ACK) {
			k->est = true;
			k->rto_at = 0;
			ktcp_send(k, TC_TH_ACK, 0, NULL, 0);
			ktcp_output(k, false);
		}
		return;
	}
	if (!k->syn_rcvd)
		return;
	if ((g.flags & TC_TH_ACK) && !k->est && k->idx == 1) {
		k->est = true;
		k->rto_at = 0;
	}
	if (g.flags & TC_TH_ACK) {
		uint64_t a = (uint32_t)(g.ack - k->isn - 1);
		/* up to what was ever sent, as BSD's snd_max: after a timeout
		 * went back, the first copies may still be acknowledged */
		uint64_t top = k->snd_max + (k->fin_max ? 1 : 0);

		k->wnd = (uint32_t)g.win << (k->ws_ok ? k->peer_ws : 0);
		if (a > top) {
			/* acknowledges what we never sent: a broken translation,
			 * unless the path is plain TCP and anyone may forge it */
			if (!s->went_plain)
				sim_violation(s, "an ACK beyond what the kernel sent");
		} else if (a > k->snd_una) {
			if (a > k->snd_nxt + (k->fin_sent ? 1 : 0)) {
				/* acknowledged beyond where the timeout went back to */
				k->snd_nxt = a > k->snd_max ? k->snd_max : a;
				if (k->fin_max && a == k->snd_max + 1)
					k->fin_sent = true;
			}
			k->snd_una = a > k->snd_nxt ? k->snd_nxt : a;
			if (k->fin_sent && a == k->snd_nxt + 1)
				k->fin_acked = true;
			k->dupacks = 0;
			k->rto = 200 * SIM_MS;
			k->rto_at = k->snd_una < k->snd_nxt || (k->fin_sent && !k->fin_acked) ?
				    s->now + k->rto : 0;
		} else if (a == k->snd_una && !g.payload_len && k->snd_nxt > k->snd_una &&
			   ++k->dupacks == 3 && !k->no_frexmit) {
			/* fast retransmit of the first segment, cut anew */
			uint64_t n = k->snd_nxt - k->snd_una;

			if (n > ktcp_seg_max(k))
				n = ktcp_seg_max(k);
			ktcp_send(k, TC_TH_ACK, k->snd_una, k->app + k->snd_una, (uint32_t)n);
			k->rexmits++;
		}
	}
	off = (uint32_t)(g.seq - k->irs - 1);
	if (g.payload_len || (g.flags & TC_TH_FIN)) {
		uint64_t end = off + g.payload_len, i;

		if (off <= k->rcv_nxt && end >= k->rcv_nxt && !k->fin_rcvd) {
			if (end > k->rcv_cap) {
				if (!s->went_plain)
					sim_violation(s, "received beyond the stream");
				return;
			}
			for (i = k->rcv_nxt; i < end; i++)
				k->rcv[i] = f[g.payload_off + (i - off)];
			k->rcv_nxt = end;
			if (g.flags & TC_TH_FIN)
				k->fin_rcvd = true;
		}
		/* every data segment is acknowledged at once (a duplicate too) */
		ktcp_send(k, TC_TH_ACK, k->snd_nxt + (k->fin_sent ? 1 : 0), NULL, 0);
	}
	ktcp_output(k, false);
}

/* ---- set-up and the loop ---- */

struct sim_opts {
	uint64_t seed;
	bool v6;
	bool engine[2];
	uint64_t len[2];	/* bytes each side sends */
	bool close[2];
	int loss, dup, reorder, split;
	uint64_t delay;
	bool no_ts, no_sack;
	uint16_t mss;
	bool csum_partial;	/* tc_out.wire_csum_partial on both engines */
	uint32_t wire_gso;	/* tc_out.wire_gso_max on both (with csum_partial) */
	bool tso;		/* both kernels send super-packets */
	bool pieces;		/* local payloads handed over in pieces (tc_seg.pv) */
	bool resume;		/* the fuzzers: start from a shared resumption chain */
	bool idle_never;	/* no tc_conn_idle() (sim.idle_never) */
};

static struct sim_out_arg sim_args[2];

static inline void sim_fill(struct sim *s, uint8_t *p, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(sim_rand(s) >> 40);
	for (i = 0; i + 64 < n; i += 997)
		memcpy(p + i, SIM_MARKER, sizeof(SIM_MARKER) - 1);
}

static inline void sim_init(struct sim *s, struct tc_algs *algs, const struct sim_opts *o)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->seed = o->seed ? o->seed : 1;
	s->csum_partial = o->csum_partial;
	s->wire_gso = o->wire_gso;
	s->pieces = o->pieces;
	s->idle_never = o->idle_never;
	s->algs = algs;
	tc_engine_cfg_default(&s->cfg);
	s->cfg.algs = algs;
	s->cfg.rng.fn = sim_rng_bytes;
	s->cfg.rng.arg = s;
	s->cfg.rng_ready = true;
	s->cfg.host_mtu = 65535;
	s->loss = o->loss;
	s->dup = o->dup;
	s->reorder = o->reorder;
	s->split = o->split;
	s->delay = o->delay ? o->delay : SIM_MS;
	s->tamper_dir = -1;
	s->drop_dir = -1;
	s->seen_cap = (o->len[0] > o->len[1] ? o->len[0] : o->len[1]) * 2 + 65536;
	for (i = 0; i < 2; i++) {
		struct sim_host *h = &s->h[i];
		struct ktcp *k = &h->k;
		uint8_t *app = malloc(o->len[i] + 1);

		s->seen[i] = calloc(1, s->seen_cap);
		s->seen_set[i] = calloc(1, s->seen_cap);
		sim_fill(s, app, o->len[i]);
		k->sim = s;
		k->idx = i;
		k->v6 = o->v6;
		k->lport = i ? 5201 : 40000;
		k->rport = i ? 40000 : 5201;
		k->mss_opt = o->mss ? o->mss : (o->v6 ? 1440 : 1460);
		k->tso = o->tso;
		k->ws = 7;
		k->use_ts = !o->no_ts;
		k->use_sack = !o->no_sack;
		k->isn = (uint32_t)sim_rand(s);
		k->app = app;
		k->app_len = o->len[i];
		k->written = o->len[i];
		k->close = o->close[i];
		k->rto = 200 * SIM_MS;
		k->wnd = 65535;
		k->rcv_cap = o->len[!i] + 1;
		k->rcv = calloc(1, k->rcv_cap);
		h->engine = o->engine[i];
		sim_args[i].s = s;
		sim_args[i].host = i;
		h->out.get = sim_out_get;
		h->out.put = sim_out_put;
		h->out.arg = &sim_args[i];
		h->out.wire_csum_partial = o->csum_partial;
		h->out.wire_gso_max = o->wire_gso;
		h->out.put_super = o->wire_gso ? sim_out_put_super : NULL;
		if (h->engine)
			h->c = tc_conn_new(&s->cfg, &h->st);
	}
	/* A connects */
	ktcp_send(&s->h[0].k, TC_TH_SYN, 0, NULL, 0);
	s->h[0].k.rto_at = s->now + s->h[0].k.rto;
}

static inline void sim_free(struct sim *s)
{
	int i;
	size_t j;

	for (i = 0; i < 2; i++) {
		tc_conn_free(s->h[i].c);
		free((void *)s->h[i].k.app);
		free(s->h[i].k.rcv);
		free(s->seen[i]);
		free(s->seen_set[i]);
	}
	for (j = 0; j < s->nq; j++)
		free(s->q[j].data);
	free(s->q);
}

static inline void sim_trace(struct sim *s, const char *what, const uint8_t *f, uint32_t len)
{
	struct tc_seg g;

	if (!getenv("SIM_TRACE") || tc_seg_parse(f, len, &g) != TC_SEG_TCP)
		return;
	fprintf(stderr, "%8.3f %-8s %c%c %5u>%-5u %c%c%c%c%c seq %10u ack %10u win %5u len %u\n",
		s->now / 1e6, what,
		s->h[0].c ? "NKEPA"[tc_conn_state(s->h[0].c)] : '-',
		s->h[1].c ? "NKEPA"[tc_conn_state(s->h[1].c)] : '-', g.sport, g.dport,
		g.flags & TC_TH_SYN ? 'S' : '.', g.flags & TC_TH_ACK ? 'A' : '.',
		g.flags & TC_TH_FIN ? 'F' : '.', g.flags & TC_TH_RST ? 'R' : '.',
		g.flags & TC_TH_PSH ? 'P' : '.', g.seq, g.ack, g.win, g.payload_len);
}

/* Hand one queued frame on. */

/*
 * Split frame F (parsed in G) into up to 17 pieces for the engine, the
 * way a multi-buffer frame reaches it (tc_seg.pv): the headers in a buffer
 * of their own, each piece of the payload in one of its own, so that a
 * read of the payload through the frame, or past a piece, is out of
 * bounds. Data segments only (not SYNs), as the poller does.
 */
static inline void sim_split_payload(struct sim *s, const uint8_t *f, struct tc_seg *g,
				     struct tc_iov *v, uint8_t **bufs, uint32_t *n)
{
	uint32_t i, off = 0, k;

	*n = 1 + (uint32_t)(sim_rand(s) % 17);
	if (*n > g->payload_len)
		*n = g->payload_len;
	for (i = 0; i < *n; i++) {
		uint32_t left = g->payload_len - off;

		k = i + 1 == *n ? left : 1 + (uint32_t)(sim_rand(s) % (left - (*n - i - 1)));
		bufs[i] = malloc(k);
		memcpy(bufs[i], f + g->payload_off + off, k);
		v[i].base = bufs[i];
		v[i].len = k;
		off += k;
	}
	g->pv = v;
	g->npv = *n;
}

static inline int sim_input_pieces(struct sim *s, struct sim_host *h, const uint8_t *f,
				   struct tc_seg *g)
{
	struct tc_iov v[17];
	uint8_t *bufs[17], *hdr;
	uint32_t n = 0, i;
	int r;

	if (!g->payload_len || (g->flags & TC_TH_SYN))
		return tc_conn_input(h->c, TC_SIDE_HOST, f, g, s->now, &h->out);
	hdr = malloc(g->payload_off);
	memcpy(hdr, f, g->payload_off);
	g->saddr = hdr + (g->saddr - f);
	g->daddr = hdr + (g->daddr - f);
	sim_split_payload(s, f, g, v, bufs, &n);
	s->pieces_fed++;
	r = tc_conn_input(h->c, TC_SIDE_HOST, hdr, g, s->now, &h->out);
	for (i = 0; i < n; i++)
		free(bufs[i]);
	free(hdr);
	return r;
}

static inline void sim_deliver(struct sim *s, struct sim_q *e)
{
	struct sim_host *h = &s->h[e->to];
	struct tc_seg g;
	int r;

	s->steps++;
	sim_trace(s, e->wire ? (e->to ? "wire>B" : "wire>A") :
		  e->to_engine ? (e->to ? "kB>engB" : "kA>engA") : (e->to ? "engB>kB" : "engA>kA"),
		  e->data, e->len);
	if (!e->wire && !e->to_engine) {
		ktcp_input(&h->k, e->data, e->len, e->plain);	/* engine -> its kernel */
		return;
	}
	if (!h->engine) {
		ktcp_input(&h->k, e->data, e->len, true);	/* plain host: wire -> kernel */
		return;
	}
	if (s->via) {
		r = s->via(s, e->to, e->wire, e->data, e->len);
	} else {
		if (tc_seg_parse(e->data, e->len, &g) != TC_SEG_TCP)
			return;
		if (s->pieces && !e->wire)
			r = sim_input_pieces(s, h, e->data, &g);
		else
			r = tc_conn_input(h->c, e->wire ? TC_SIDE_WIRE : TC_SIDE_HOST, e->data, &g,
					  s->now, &h->out);
	}
	if (sim_state(s, e->to) == TC_CONN_PLAIN)
		s->went_plain = true;
	if (r == TC_CONN_FORWARD) {
		if (e->wire) {
			sim_enqueue(s, s->now, e->to, false, false, e->data, e->len);
			/* the queue is sorted: the entry just added is the last one at now */
			for (size_t i = s->nq; i-- > 0;)
				if (s->q[i].to == e->to && !s->q[i].wire && !s->q[i].to_engine &&
				    s->q[i].len == e->len && s->q[i].at == s->now) {
					s->q[i].plain = true;
					break;
				}
		}
		else
			sim_wire(s, e->to, e->data, e->len);
	}
}

static inline bool sim_done(const struct sim *s)
{
	int i;

	for (i = 0; i < 2; i++) {
		const struct ktcp *k = &s->h[i].k, *p = &s->h[!i].k;

		if (k->reset || p->reset)
			return true;
		if (k->rcv_nxt < p->app_len || (p->close && !k->fin_rcvd))
			return false;
		if (k->close && !k->fin_acked)
			return false;
	}
	return true;
}

/* One point in simulated time: everything due then. false: nothing left to happen. */
static inline bool sim_step(struct sim *s)
{
	{
		uint64_t next = UINT64_MAX;
		int i;

		if (s->nq)
			next = s->q[0].at;
		for (i = 0; i < 2; i++) {
			if (s->h[i].k.rto_at && s->h[i].k.rto_at < next)
				next = s->h[i].k.rto_at;
			if (s->via_timer && s->h[i].engine && s->via_timer(s, i) < next)
				next = s->via_timer(s, i);
			if (!s->via && s->h[i].c && tc_conn_next_timer(s->h[i].c) < next)
				next = tc_conn_next_timer(s->h[i].c);
		}
		if (next == UINT64_MAX)
			return false;
		if (next > s->now)
			s->now = next;
		/* everything due now is one batch */
		while (s->nq && s->q[0].at <= s->now) {
			struct sim_q e = s->q[0];

			memmove(s->q, s->q + 1, (s->nq - 1) * sizeof(*s->q));
			s->nq--;
			sim_deliver(s, &e);
			free(e.data);
		}
		for (i = 0; i < 2; i++) {
			if (s->via_batch && s->h[i].engine) {
				s->via_batch(s, i);
			} else if (s->h[i].c) {
				tc_conn_flush(s->h[i].c, &s->h[i].out);
				if (tc_conn_next_timer(s->h[i].c) <= s->now)
					tc_conn_timer(s->h[i].c, s->now, &s->h[i].out);
				/* idle after the batch, as a shell is when
				 * nothing else came (idle_never: the work runs
				 * when a segment needs it) */
				if (!s->idle_never && tc_conn_idle_due(s->h[i].c)) {
					tc_conn_idle(s->h[i].c, s->now, &s->h[i].out);
					s->idled++;
				}
			}
			if (s->h[i].k.rto_at && s->h[i].k.rto_at <= s->now)
				ktcp_timeout(&s->h[i].k);
		}
		/* deliveries the flush made */
		while (s->nq && s->q[0].at <= s->now) {
			struct sim_q e = s->q[0];

			memmove(s->q, s->q + 1, (s->nq - 1) * sizeof(*s->q));
			s->nq--;
			sim_deliver(s, &e);
			free(e.data);
		}
	}
	return true;
}

/* Run until both transfers are done, a reset, or limit of simulated time. */
static inline void sim_run(struct sim *s, uint64_t limit)
{
	while (!sim_done(s) && s->now < limit && !s->violations && sim_step(s))
		;
}

/*
 * The fuzzers' injection: record REC (8 bytes: [1] target: bit 0 host,
 * bit 1 side (0 wire, 1 host), bit 2 keep flags; [2] flags; [4-5] sequence
 * delta; [6-7] acknowledgement delta) applied to a copy of the last real
 * frame, with PAYLOAD. From the host side the payload is always the kernel's
 * own stream at that sequence number; with KERNEL_RULES, also nothing a
 * kernel never sends: no resend below snd_una, no SYN on a live connection,
 * a repeated SYN only with its ISN.
 */
static inline void sim_inject(struct sim *s, const uint8_t *rec, const uint8_t *payload,
			      uint32_t plen, bool kernel_rules)
{
	int host = rec[1] & 1, to_host_side = rec[1] & 2;
	/* a frame arriving at host from the wire is a copy of what the other sent;
	 * one from the host side is a copy of what the engine last got from it */
	int src = to_host_side ? host : !host;
	uint8_t f[SIM_FRAME_MAX];
	struct tc_seg g;
	struct sim_q e = { 0 };
	uint32_t len = s->last_len[src], off;

	if (!len || tc_seg_parse(s->last[src], len, &g) != TC_SEG_TCP)
		return;
	off = g.payload_off;
	memcpy(f, s->last[src], off);
	if (to_host_side) {
		/*
		 * The local kernel is trusted to be a TCP sender: odd boundaries,
		 * flags and numbers, but never other bytes at a sequence number.
		 * Its payload comes from its application stream.
		 */
		const struct ktcp *k = &s->h[host].k;
		uint64_t a = (uint32_t)(g.seq + (int16_t)(rec[4] << 8 | rec[5]) - k->isn - 1);

		/* nor does it send again what was acknowledged to it (a
		 * keep-alive below snd_una carries no stream byte) */
		if (kernel_rules && a < k->snd_una)
			plen = 0;

		if (a < k->app_len) {
			if (a + plen > k->app_len)
				plen = k->app_len - a;
			payload = k->app + a;
		} else {
			plen = 0;
		}
	}
	memcpy(f + off, payload, plen);
	len = off + plen;
	tf_put32(f + g.l4_off + 4, g.seq + (int16_t)(rec[4] << 8 | rec[5]));
	tf_put32(f + g.l4_off + 8, g.ack + (int16_t)(rec[6] << 8 | rec[7]));
	if (!(rec[1] & 4))
		f[g.l4_off + 13] = rec[2];
	/* nor does it set SYN on a live connection's segment: a SYN from it
	 * means its socket is gone and a new one took the tuple */
	if (kernel_rules && to_host_side && !(g.flags & TC_TH_SYN))
		f[g.l4_off + 13] &= ~TC_TH_SYN;
	/* and a SYN it sends again carries its ISN and what it acknowledged */
	if (kernel_rules && to_host_side && (f[g.l4_off + 13] & TC_TH_SYN)) {
		tf_put32(f + g.l4_off + 4, g.seq);
		tf_put32(f + g.l4_off + 8, g.ack);
	}
	if (g.family == AF_INET)
		tf_put16(f + g.l3_off + 2, len - g.l3_off);
	else
		tf_put16(f + g.l3_off + 4, len - g.l3_off - 40);
	if (tc_seg_parse(f, len, &g) != TC_SEG_TCP)
		return;
	tc_seg_fill_ip_csum(f, &g);
	tc_seg_fill_tcp_csum(f, &g);
	if (to_host_side && !s->h[host].engine)
		return;
	e.to = host;
	e.wire = !to_host_side;
	e.to_engine = to_host_side;
	e.len = len;
	e.data = f;
	sim_deliver(s, &e);
}

/*
 * The fuzzers' input: 16 bytes of set-up (seed, wire faults, transfer
 * sizes, IPv6, partial wire checksums) into O, both hosts with engines and closing; false if short.
 */
/*
 * Both hosts hold one chain with each other, as after a session with ss[0]
 * = ss (host 0 was A), in cache rc (shared: each host keys by the other's
 * address and the service port), so the first connection resumes.
 */
static inline int sim_seed_resume(struct sim *s, struct tc_resume_cache *rc,
				  const uint8_t ss[TC_HASH_LEN], uint16_t aead)
{
	uint8_t key[2][18];
	size_t n = s->h[0].k.v6 ? 16 : 4;
	int i, err = 0;

	for (i = 0; i < 2; i++) {
		/* host i's peer is the other one; the service is host 1's port */
		const uint8_t *a = s->h[0].k.v6 ? (i ? tf_ip6_a : tf_ip6_b) :
						  (i ? tf_ip4_a : tf_ip4_b);

		memcpy(key[i], a, n);
		tf_put16(key[i] + n, s->h[1].k.lport);
		err = err ? err : tc_resume_put(rc, key[i], n + 2, TC_TEP_X25519, aead,
						i ? TC_ROLE_B : TC_ROLE_A, ss, 0, 0, s->now, NULL);
	}
	s->cfg.resume = rc;
	return err;
}

static inline bool sim_fuzz_opts(const uint8_t *data, size_t size, struct sim_opts *o)
{
	if (size < 16)
		return false;
	memcpy(&o->seed, data, 8);
	o->loss = data[8] % 60;
	o->reorder = data[9] % 200;
	o->dup = data[10] % 80;
	o->split = data[11] % 300;
	o->len[0] = (data[12] | (data[13] & 0x3f) << 8) * 4;
	o->len[1] = (data[14] | (data[15] & 0x3f) << 8) * 2;
	o->v6 = data[13] & 0x80;
	o->resume = data[13] & 0x40;
	o->csum_partial = data[15] & 0x80;
	/* both kernels send super-packets; with csum_partial the engines
	 * answer with super-segments */
	o->tso = data[15] & 0x40;
	o->wire_gso = o->csum_partial && o->tso ? 65000 : 0;
	/* local payloads in pieces, as from multi-buffer frames */
	o->pieces = data[7] & 0x80;
	/* work left for an idle engine done only when a segment needs it */
	o->idle_never = data[7] & 0x40;
	o->engine[0] = o->engine[1] = true;
	o->close[0] = o->close[1] = true;
	return true;
}

/* ... then records of 8 bytes + payload: [0] steps to run first, then sim_inject() */
static inline void sim_fuzz_records(struct sim *s, const uint8_t *data, size_t size,
				    bool kernel_rules)
{
	size_t i = 0;

	while (i + 8 <= size && !s->violations) {
		const uint8_t *rec = data + i;
		uint32_t plen = rec[3], n;

		if (i + 8 + plen > size)
			plen = size - i - 8;
		for (n = 0; n < rec[0] && sim_step(s) && !s->violations; n++)
			;
		sim_inject(s, rec, rec + 8, plen, kernel_rules);
		i += 8 + plen;
	}
}

/* Did each kernel receive exactly what the other sent? */
static inline bool sim_streams_intact(struct sim *s)
{
	int i;

	for (i = 0; i < 2; i++) {
		const struct ktcp *k = &s->h[i].k, *p = &s->h[!i].k;

		if (k->rcv_nxt != p->app_len || memcmp(k->rcv, p->app, p->app_len))
			return false;
	}
	return true;
}

/* No kernel received a byte that differs from what was sent (prefix check). */
static inline bool sim_no_corruption(struct sim *s)
{
	int i;

	for (i = 0; i < 2; i++) {
		const struct ktcp *k = &s->h[i].k, *p = &s->h[!i].k;

		if (k->rcv_nxt > p->app_len || memcmp(k->rcv, p->app, k->rcv_nxt))
			return false;
	}
	return true;
}

#endif
