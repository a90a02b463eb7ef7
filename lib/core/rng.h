/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Randomness for the protocol core. The core never draws from a global
 * generator: every function that needs random bytes (ephemeral keys, Init
 * nonces, resumption nonces) takes a struct tc_rng from its caller, so the
 * daemon decides where randomness comes from and tests replay exactly.
 *
 * RFC 8547 section 10 / RFC 8548 section 8: a host MUST NOT send ENO
 * options without an adequate source of randomness. tc_rng_seeded() tells
 * whether the kernel's pool is initialised and OpenSSL's DRBG is seeded;
 * the segment engine only adds ENO options when its configuration says the
 * RNG is ready.
 */
#ifndef TC_RNG_H
#define TC_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Randomness is always supplied by the caller (tests pass a seeded DRBG). */
struct tc_rng {
	int (*fn)(void *arg, uint8_t *out, size_t len);	/* 0 or negative errno */
	void *arg;
};

/* len random bytes into out: 0, the generator's -errno, or -EINVAL if rng
 * (or its fn) is NULL. A generator returning a positive value is -EIO. */
int tc_rng_bytes(const struct tc_rng *rng, void *out, size_t len);

/* RAND_bytes (OpenSSL's DRBG); a provider callers may choose. -EIO on failure. */
extern const struct tc_rng tc_rng_openssl;

/*
 * True when getrandom(GRND_NONBLOCK) does not fail with EAGAIN (the
 * kernel's pool is initialised) and RAND_status() is 1 (OpenSSL's DRBG is
 * seeded).
 */
bool tc_rng_seeded(void);

/* tc_rng_seeded() with both probes supplied, for tests. */
bool tc_rng_seeded_probe(ssize_t (*getrandom_fn)(void *buf, size_t len,
						  unsigned int flags),
			 int (*status_fn)(void));

#endif
