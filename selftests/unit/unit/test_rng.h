/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A deterministic struct tc_rng for tests and fuzzers: the AES-256-CTR
 * keystream (through EVP) under a key made from a 64-bit seed, so a
 * failure replays exactly. Not a secure generator; never use it outside
 * tests.
 *
 *   struct test_rng r;
 *   test_rng_init(&r, 42);      ... pass &r.rng ...    test_rng_free(&r);
 *
 * r.fail_after: when non-negative, draws fail with -EIO once that many
 * bytes have been produced (to test error paths). r.drawn counts bytes.
 */
#ifndef TC_TEST_RNG_H
#define TC_TEST_RNG_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>

#include "core/rng.h"

struct test_rng {
	struct tc_rng rng;
	EVP_CIPHER_CTX *ctx;
	uint64_t drawn;
	int64_t fail_after;
};

static inline int test_rng_fn(void *arg, uint8_t *out, size_t len)
{
	static const uint8_t zero[256];
	struct test_rng *r = arg;
	size_t n;
	int outl;

	if (r->fail_after >= 0 && r->drawn + len > (uint64_t)r->fail_after)
		return -EIO;
	while (len) {
		n = len < sizeof(zero) ? len : sizeof(zero);
		if (EVP_EncryptUpdate(r->ctx, out, &outl, zero, (int)n) != 1 ||
		    (size_t)outl != n)
			return -EIO;
		out += n;
		len -= n;
		r->drawn += n;
	}
	return 0;
}

/* 0, or -1 if OpenSSL fails. */
static inline int test_rng_init(struct test_rng *r, uint64_t seed)
{
	uint8_t key[32], iv[16] = { 0 };
	int i;

	memset(r, 0, sizeof(*r));
	memset(key, 0xa5, sizeof(key));
	for (i = 0; i < 8; i++)
		key[i] = (uint8_t)(seed >> (8 * i));
	r->fail_after = -1;
	r->ctx = EVP_CIPHER_CTX_new();
	if (!r->ctx || EVP_EncryptInit_ex2(r->ctx, EVP_aes_256_ctr(), key, iv,
					   NULL) != 1)
		return -1;
	r->rng.fn = test_rng_fn;
	r->rng.arg = r;
	return 0;
}

static inline void test_rng_free(struct test_rng *r)
{
	EVP_CIPHER_CTX_free(r->ctx);
	memset(r, 0, sizeof(*r));
}

#endif
