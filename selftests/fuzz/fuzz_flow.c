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
 * Input: 16 bytes of set-up (seed, wire faults, transfer sizes, IPv6,
 * kernels sending super-packets, local payloads handed over in pieces as the
 * poller does with multi-buffer frames: sim_fuzz_opts), then
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_opts o = { 0 };
	struct sim s;

	if (!sim_fuzz_opts(data, size, &o))
		return 0;
	sh_start(&s, &o);
	sim_fuzz_records(&s, data + 16, size - 16, true);
	sim_run(&s, s.now + 120 * 1000 * SIM_MS);
	CHECK(!s.violations);
	CHECK(!sh_unsteered);
	if (!s.went_plain)
		CHECK(sim_no_corruption(&s));
	/* expiry runs too: it must never free what a list still holds */
	flow_expire(&sh->ft[0], s.now + 3000ull * NSEC);
	flow_expire(&sh->ft[1], s.now + 3000ull * NSEC);
	sh_stop(&s);
	return 0;
}
