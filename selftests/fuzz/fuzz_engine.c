// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the segment engine (lib/engine/conn.c): two engines
 * and two kernel TCP models joined by the simulated wire of
 * selftests/unit/unit/sim.h, carrying real transfers, while the input
 * injects arbitrary segments into either engine from either side, in
 * whatever state the connection is: mutated copies of the last real frame
 * (sequence and acknowledgement numbers, flags, window, options, payload).
 * From the wire anything goes (an attacker on path); from the local side
 * the payload is the kernel's own stream at that sequence number (a kernel
 * re-segments and re-flags, but never changes the bytes it sent).
 *
 * Input: 16 bytes of set-up (seed, wire faults, transfer sizes, IPv6, both
 * hosts starting with a shared resumption chain, so that the connection is
 * a resumed session: RFC 8548 3.5; kernels sending super-packets and
 * engines answering with super-segments; local payloads in pieces, as from
 * multi-buffer frames: sim_fuzz_opts), then
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

#include "unit/sim.h"

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "%s\n", s.why); __builtin_trap(); } } while (0)

static struct tc_algs algs;
static struct tc_resume_cache rc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (tc_algs_init(&algs) || tc_resume_cache_init(&rc, &algs, 8))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_opts o = { 0 };
	struct sim s;

	if (!sim_fuzz_opts(data, size, &o))
		return 0;
	sim_init(&s, &algs, &o);
	tc_resume_flush_all(&rc);
	if (o.resume) {
		uint8_t ss[TC_HASH_LEN] = { 0 };

		memcpy(ss, data, 16);	/* any secret will do: both hold it */
		if (sim_seed_resume(&s, &rc, ss, TC_AEAD_AES_128_GCM))
			abort();
	}
	sim_fuzz_records(&s, data + 16, size - 16, false);
	sim_run(&s, s.now + 120 * 1000 * SIM_MS);
	CHECK(!s.violations);
	if (!s.went_plain)
		CHECK(sim_no_corruption(&s));
	sim_free(&s);
	return 0;
}
