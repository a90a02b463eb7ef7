// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for tcpcryptd's per-packet path: the flow table
 * (classification, the BPF map mirror, forwarding) with the segment engine
 * behind it, on both hosts of the simulated wire of selftests/unit/unit/
 * sim.h (through selftests/unit/unit/shell.h), carrying real transfers,
 * while the input
 * injects arbitrary segments into either engine from either side, in
 * whatever state the connection is: mutated copies of the last real frame
 * (sequence and acknowledgement numbers, flags, window, options, payload).
 * From the wire anything goes (an attacker on path); from the local side
 * the payload is the kernel's own stream at that sequence number (a kernel
 * re-segments and re-flags, but never changes the bytes it sent, never
 * resends what was acknowledged to it, never sets SYN on a segment of
 * a live connection, and repeats a SYN only with its ISN).
 *
 * Input: 16 bytes of set-up (seed, wire faults, transfer sizes, IPv6), then
 * records of 8 bytes + payload:
 *   [0]   steps to run before the injection
 *   [1]   target: bit 0 host, bit 1 side (0 wire, 1 host), bit 2 keep flags
 *   [2]   TCP flags     [3] payload length (bytes taken from the input)
 *   [4-5] sequence delta (signed)  [6-7] acknowledgement delta (signed)
 *
 * Checked on every step, not only at the end: no crash or sanitizer report,
 * no marker of the application data on the wire after ENO succeeded, one
 * byte per wire sequence number, and, unless a forged handshake made a side
 * fall back to plain TCP (possible on path, legitimately), no byte reaching
 * a kernel that its peer did not send.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit/shell.h"

/* tc_flows is not there (no struct dp): never called */
int dp_flow_update(struct dp *dp, const struct tc_flow_key *k, const struct tc_flow_val *v)
{
	abort();
}

int dp_flow_lookup(struct dp *dp, const struct tc_flow_key *k, struct tc_flow_val *v)
{
	abort();
}

int dp_flow_delete(struct dp *dp, const struct tc_flow_key *k)
{
	abort();
}

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "%s\n", s.why); __builtin_trap(); } } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static void inject(struct sim *s, const uint8_t *rec, const uint8_t *payload, uint32_t plen)
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
		if (a < k->snd_una)
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
	if (to_host_side && !(g.flags & TC_TH_SYN))
		f[g.l4_off + 13] &= ~TC_TH_SYN;
	/* and a SYN it sends again carries its ISN and what it acknowledged */
	if (to_host_side && (f[g.l4_off + 13] & TC_TH_SYN)) {
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_opts o = { 0 };
	struct sim s;
	size_t i = 16;

	if (size < 16)
		return 0;
	memcpy(&o.seed, data, 8);
	o.loss = data[8] % 60;
	o.reorder = data[9] % 200;
	o.dup = data[10] % 80;
	o.split = data[11] % 300;
	o.len[0] = (data[12] | (data[13] & 0x3f) << 8) * 4;
	o.len[1] = (data[14] | (data[15] & 0x3f) << 8) * 2;
	o.v6 = data[13] & 0x80;
	o.engine[0] = o.engine[1] = true;
	o.close[0] = o.close[1] = true;
	sh_start(&s, &o);
	while (i + 8 <= size && !s.violations) {
		const uint8_t *rec = data + i;
		uint32_t plen = rec[3], n;

		if (i + 8 + plen > size)
			plen = size - i - 8;
		for (n = 0; n < rec[0] && sim_step(&s) && !s.violations; n++)
			;
		inject(&s, rec, rec + 8, plen);
		i += 8 + plen;
	}
	sim_run(&s, s.now + 120 * 1000 * SIM_MS);
	CHECK(!s.violations);
	if (!s.went_plain)
		CHECK(sim_no_corruption(&s));
	/* expiry runs too: it must never free what a list still holds */
	flow_expire(&sh->ft[0], s.now + 3000ull * NSEC);
	flow_expire(&sh->ft[1], s.now + 3000ull * NSEC);
	sh_stop(&s);
	return 0;
}
