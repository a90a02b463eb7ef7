// SPDX-License-Identifier: GPL-2.0
/*
 * bench_handshake: complete tcpcrypt key exchanges per second for each TEP,
 * on one core. One handshake is the work of both ends in memory: A's and
 * B's fresh key pairs and nonces, Init1, Init2, both ECDH derivations (with
 * peer key validation), both PRK/mk[0]/session ID/ss[1] derivations. The
 * algorithms (struct tc_algs) are fetched once, as in the daemon.
 *
 * Output: one line per TEP, "handshake TEP N/s" (TEP as 0x21..0x24), then
 * "resume N/s": one end's key schedule of a resumed session (mk[0], the
 * session ID, ss[i+1] and the next resumption identifiers from a cached
 * ss[i]), and "cprf N/s": one CPRF call of 32 bytes, the unit of both.
 * Usage: bench_handshake [-t SECONDS_PER_TEP] [-a AEAD]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/handshake.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int one(const struct tc_algs *algs, uint8_t tep, uint16_t aead)
{
	static const uint8_t transcript[] = { 0x45, 0x03, 0x23, 0x45, 0x04, 0x01, 0x23 };
	uint16_t list[1] = { aead };
	struct tc_hs_params p = {
		.algs = algs, .tep_byte = tep, .transcript = transcript,
		.transcript_len = sizeof(transcript), .aeads = list, .n_aeads = 1,
		.rng = &tc_rng_openssl,	/* what the daemon would use */
	};
	struct tc_hs_result ra, rb;
	struct tc_hs a, b;
	const uint8_t *m;
	size_t len, used;
	int err;

	p.role = TC_ENO_ROLE_A;
	err = tc_hs_start(&a, &p);
	p.role = TC_ENO_ROLE_B;
	if (!err)
		err = tc_hs_start(&b, &p);
	else
		memset(&b, 0, sizeof(b));
	if (err)
		goto out;
	m = tc_hs_output(&a, &len);
	err = tc_hs_input(&b, m, len, &used);
	if (err != TC_HS_DONE)
		goto out;
	m = tc_hs_output(&b, &len);
	err = tc_hs_input(&a, m, len, &used);
	if (err != TC_HS_DONE)
		goto out;
	err = tc_hs_result(&a, &ra);
	if (!err)
		err = tc_hs_result(&b, &rb);
	if (!err && memcmp(ra.mk0, rb.mk0, sizeof(ra.mk0)))
		err = -EPROTO;
	tc_hs_result_wipe(&ra);
	tc_hs_result_wipe(&rb);
out:
	tc_hs_free(&a);
	tc_hs_free(&b);
	return err < 0 ? err : 0;
}

/* calls of fn per second over secs */
static double rate(int (*fn)(const struct tc_algs *), const struct tc_algs *algs, double secs)
{
	unsigned long n = 0;
	double t0 = now(), t;
	int i;

	do {
		for (i = 0; i < 64; i++, n++)
			if (fn(algs))
				return -1;
		t = now() - t0;
	} while (t < secs);
	return (double)n / t;
}

static int one_resume(const struct tc_algs *algs)
{
	static const uint8_t ss[TC_HASH_LEN] = { 1, 2, 3 }, sn[TC_SN_MAX] = { 4 };
	struct tc_hs_result res;
	int err;

	err = tc_hs_resume(algs, ss, sn, sizeof(sn), TC_ENO_ROLE_A, TC_AEAD_AES_128_GCM,
			   TC_TEP_X25519 | TC_ENO_V, &res);
	tc_hs_result_wipe(&res);
	return err;
}

static int one_cprf(const struct tc_algs *algs)
{
	static const uint8_t key[TC_HASH_LEN] = { 5 }, info[9] = { 6 };
	uint8_t out[TC_HASH_LEN];

	return tc_cprf(algs, key, sizeof(key), info, sizeof(info), out, sizeof(out));
}

int main(int argc, char **argv)
{
	static const uint8_t teps[] = { TC_TEP_P256, TC_TEP_P521, TC_TEP_X25519,
					TC_TEP_X448 };
	double secs = 1.0, t0, t;
	uint16_t aead = TC_AEAD_AES_128_GCM;
	struct tc_algs algs;
	unsigned long n;
	size_t i;
	int c, err;

	while ((c = getopt(argc, argv, "t:a:h")) != -1) {
		switch (c) {
		case 't':
			secs = atof(optarg);
			break;
		case 'a':
			aead = (uint16_t)strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: bench_handshake [-t SECONDS_PER_TEP] [-a AEAD]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (secs <= 0 || !tc_aead_info(aead)) {
		fprintf(stderr, "bench_handshake: bad -t or -a\n");
		return 2;
	}
	if (tc_algs_init(&algs)) {
		fprintf(stderr, "bench_handshake: OpenSSL algorithms unavailable\n");
		return 1;
	}
	for (i = 0; i < sizeof(teps); i++) {
		/* warm up OpenSSL's method and group caches */
		for (n = 0; n < 10; n++) {
			err = one(&algs, teps[i], aead);
			if (err) {
				fprintf(stderr, "bench_handshake: TEP 0x%02x: %s\n",
					teps[i], strerror(-err));
				return 1;
			}
		}
		n = 0;
		t0 = now();
		do {
			for (c = 0; c < 8; c++, n++)
				if (one(&algs, teps[i], aead))
					return 1;
			t = now() - t0;
		} while (t < secs);
		printf("handshake 0x%02x %.0f/s\n", teps[i], (double)n / t);
		fflush(stdout);
	}
	t = rate(one_resume, &algs, secs);
	if (t < 0)
		return 1;
	printf("resume %.0f/s\n", t);
	t = rate(one_cprf, &algs, secs);
	if (t < 0)
		return 1;
	printf("cprf %.0f/s\n", t);
	tc_algs_free(&algs);
	return 0;
}
