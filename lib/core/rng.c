// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <sys/random.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/rng.h"

int tc_rng_bytes(const struct tc_rng *rng, void *out, size_t len)
{
	int err;

	if (!rng || !rng->fn || (len && !out))
		return -EINVAL;
	if (!len)
		return 0;
	err = rng->fn(rng->arg, out, len);
	if (err > 0)
		err = -EIO;
	if (err)
		OPENSSL_cleanse(out, len);	/* never half-random output */
	return err;
}

static int openssl_bytes(void *arg, uint8_t *out, size_t len)
{
	int n;

	while (len) {
		n = len > INT_MAX ? INT_MAX : (int)len;
		if (RAND_bytes(out, n) != 1)
			return -EIO;
		out += n;
		len -= (size_t)n;
	}
	return 0;
}

const struct tc_rng tc_rng_openssl = { .fn = openssl_bytes, .arg = NULL };

bool tc_rng_seeded_probe(ssize_t (*getrandom_fn)(void *buf, size_t len,
						  unsigned int flags),
			 int (*status_fn)(void))
{
	unsigned char b;
	ssize_t n;

	/* A one-byte read: it fails with EAGAIN until the pool is ready. */
	n = getrandom_fn(&b, 1, GRND_NONBLOCK);
	OPENSSL_cleanse(&b, sizeof(b));
	if (n < 0 && errno == EAGAIN)
		return false;
	return status_fn() == 1;
}

bool tc_rng_seeded(void)
{
	return tc_rng_seeded_probe(getrandom, RAND_status);
}
