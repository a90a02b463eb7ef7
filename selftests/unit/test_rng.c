// SPDX-License-Identifier: GPL-2.0
/*
 * Randomness from the caller (lib/core/rng.h), the RNG readiness gate of
 * RFC 8548 section 8 / RFC 8547 section 10, and the tests' own generator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <sys/random.h>
#include <cmocka.h>
#include <openssl/rand.h>

#include "core/rng.h"
#include "unit/test_rng.h"

static int positive_fn(void *arg, uint8_t *out, size_t len)
{
	memset(out, 0x77, len);
	return 1;
}

static int half_fn(void *arg, uint8_t *out, size_t len)
{
	memset(out, 0x77, len / 2);
	return -ENODATA;
}

static void test_rng_bytes(void **state)
{
	static const struct tc_rng none = { .fn = NULL };
	static const struct tc_rng positive = { .fn = positive_fn };
	static const struct tc_rng half = { .fn = half_fn };
	uint8_t a[64], b[64], zero[64] = { 0 };

	assert_int_equal(tc_rng_bytes(NULL, a, sizeof(a)), -EINVAL);
	assert_int_equal(tc_rng_bytes(&none, a, sizeof(a)), -EINVAL);
	assert_int_equal(tc_rng_bytes(&tc_rng_openssl, NULL, 1), -EINVAL);
	assert_int_equal(tc_rng_bytes(&tc_rng_openssl, NULL, 0), 0);
	/* a failed draw leaves nothing half random behind */
	assert_int_equal(tc_rng_bytes(&positive, a, sizeof(a)), -EIO);
	assert_memory_equal(a, zero, sizeof(a));
	assert_int_equal(tc_rng_bytes(&half, a, sizeof(a)), -ENODATA);
	assert_memory_equal(a, zero, sizeof(a));
	/* OpenSSL's provider */
	assert_int_equal(tc_rng_bytes(&tc_rng_openssl, a, sizeof(a)), 0);
	assert_int_equal(tc_rng_bytes(&tc_rng_openssl, b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
}

static ssize_t gr_eagain(void *buf, size_t len, unsigned int flags)
{
	assert_true(flags & GRND_NONBLOCK);
	errno = EAGAIN;
	return -1;
}

static ssize_t gr_enosys(void *buf, size_t len, unsigned int flags)
{
	errno = ENOSYS;
	return -1;
}

static ssize_t gr_ok(void *buf, size_t len, unsigned int flags)
{
	assert_true(flags & GRND_NONBLOCK);
	memset(buf, 0x5a, len);
	return (ssize_t)len;
}

static int st_ok(void)
{
	return 1;
}

static int st_unseeded(void)
{
	return 0;
}

static void test_rng_seeded(void **state)
{
	/* the kernel pool not ready yet: not seeded, whatever OpenSSL says */
	assert_false(tc_rng_seeded_probe(gr_eagain, st_ok));
	/* OpenSSL's DRBG not seeded */
	assert_false(tc_rng_seeded_probe(gr_ok, st_unseeded));
	assert_true(tc_rng_seeded_probe(gr_ok, st_ok));
	/* only EAGAIN says "not initialised"; then OpenSSL decides */
	assert_true(tc_rng_seeded_probe(gr_enosys, st_ok));
	assert_false(tc_rng_seeded_probe(gr_enosys, st_unseeded));
	/* this machine has booted and OpenSSL seeds itself */
	assert_int_equal(RAND_status(), 1);
	assert_true(tc_rng_seeded());
}

/* The tests' generator replays from its seed and differs between seeds. */
static void test_test_rng(void **state)
{
	struct test_rng r1, r2, r3;
	uint8_t a[300], b[300], c[300];

	assert_int_equal(test_rng_init(&r1, 1), 0);
	assert_int_equal(test_rng_init(&r2, 1), 0);
	assert_int_equal(test_rng_init(&r3, 2), 0);
	assert_int_equal(tc_rng_bytes(&r1.rng, a, sizeof(a)), 0);
	assert_int_equal(tc_rng_bytes(&r2.rng, b, 100), 0);
	assert_int_equal(tc_rng_bytes(&r2.rng, b + 100, 200), 0);
	assert_int_equal(tc_rng_bytes(&r3.rng, c, sizeof(c)), 0);
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, c, sizeof(a));
	assert_int_equal(r1.drawn, 300);
	r1.fail_after = 310;
	assert_int_equal(tc_rng_bytes(&r1.rng, a, 10), 0);
	assert_int_equal(tc_rng_bytes(&r1.rng, a, 1), -EIO);
	test_rng_free(&r1);
	test_rng_free(&r2);
	test_rng_free(&r3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng_bytes),
		cmocka_unit_test(test_rng_seeded),
		cmocka_unit_test(test_test_rng),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
