// SPDX-License-Identifier: GPL-2.0
/*
 * tcpcryptd's pool of ephemeral key pairs (userspace/tcpcryptd/keypool.c,
 * compiled in here): pairs per TEP, handed out oldest first and once each,
 * refilled, dropped when old, and the SCHED_IDLE thread that fills it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tcpcryptd/keypool.c"
#include "unit/test_rng.h"

#define S(x)	((uint64_t)(x) * 1000000000ull)

static struct test_rng trng;

static int setup(void **state)
{
	return test_rng_init(&trng, 5);
}

static int teardown(void **state)
{
	test_rng_free(&trng);
	return 0;
}

static void test_init(void **state)
{
	const uint8_t teps[] = { TC_TEP_X25519, TC_TEP_P256, TC_TEP_X25519, 0x7f };
	struct keypool kp;

	assert_int_equal(keypool_init(&kp, teps, 4, 0, &trng.rng), -EINVAL);
	assert_int_equal(keypool_init(&kp, teps, 4, KEYPOOL_MAX_DEPTH + 1, &trng.rng), -EINVAL);
	assert_int_equal(keypool_init(&kp, teps, 4, 8, NULL), -EINVAL);
	/* a TEP once, unknown ones left out */
	assert_int_equal(keypool_init(&kp, teps, 4, 8, &trng.rng), 0);
	assert_int_equal(kp.nteps, 2);
	assert_int_equal(kp.t[0].tep, TC_TEP_X25519);
	assert_int_equal(kp.t[1].tep, TC_TEP_P256);
	keypool_fini(&kp);
}

static void test_fill_take_once(void **state)
{
	const uint8_t teps[] = { TC_TEP_X25519, TC_TEP_P256 };
	uint8_t pubs[6][32], pub[TC_ECDH_PUB_MAX];
	struct keypool_stats st;
	struct keypool kp;
	struct tc_ecdh e;
	int i, j;

	assert_int_equal(keypool_init(&kp, teps, 2, 6, &trng.rng), 0);
	/* empty: the exchange makes its own pair, counted as missed */
	assert_int_equal(keypool_take(&kp, TC_TEP_X25519, &e), -ENOENT);
	/* a budget per round */
	assert_int_equal(keypool_fill(&kp, S(1), 4), 4);
	assert_int_equal(kp.t[0].n, 4);
	assert_int_equal(kp.t[1].n, 0);
	assert_int_equal(keypool_fill(&kp, S(1), 100), 8);
	assert_int_equal(keypool_fill(&kp, S(1), 100), 0);	/* full */
	/* six different pairs of the TEP asked for, then none */
	for (i = 0; i < 6; i++) {
		assert_int_equal(keypool_take(&kp, TC_TEP_X25519, &e), 0);
		assert_ptr_equal(e.info, tc_tep_info(TC_TEP_X25519));
		assert_int_equal(tc_ecdh_public(&e, pubs[i], 32), 32);
		for (j = 0; j < i; j++)
			assert_memory_not_equal(pubs[i], pubs[j], 32);
		tc_ecdh_free(&e);
	}
	assert_int_equal(keypool_take(&kp, TC_TEP_X25519, &e), -ENOENT);
	assert_null(e.key);
	/* another TEP's pairs are untouched; a TEP not pooled gets none */
	assert_int_equal(kp.t[1].n, 6);
	assert_int_equal(keypool_take(&kp, TC_TEP_P256, &e), 0);
	assert_ptr_equal(e.info, tc_tep_info(TC_TEP_P256));
	assert_true(tc_ecdh_public(&e, pub, sizeof(pub)) > 0);
	tc_ecdh_free(&e);
	assert_int_equal(keypool_take(&kp, 0x24, &e), -ENOENT);
	keypool_get_stats(&kp, &st);
	assert_int_equal(st.made, 12);
	assert_int_equal(st.taken, 7);
	assert_int_equal(st.missed, 2);		/* not the unpooled TEP */
	/* refilled where taken, oldest first out: the ring wraps */
	assert_int_equal(keypool_fill(&kp, S(2), 100), 7);
	assert_int_equal(keypool_take(&kp, TC_TEP_X25519, &e), 0);
	assert_int_equal(tc_ecdh_public(&e, pub, 32), 32);
	for (j = 0; j < 6; j++)
		assert_memory_not_equal(pub, pubs[j], 32);
	tc_ecdh_free(&e);
	keypool_fini(&kp);
}

static void test_old_pairs_dropped(void **state)
{
	const uint8_t teps[] = { TC_TEP_X25519 };
	struct keypool_stats st;
	struct keypool kp;
	struct tc_ecdh e;

	assert_int_equal(keypool_init(&kp, teps, 1, 4, &trng.rng), 0);
	assert_int_equal(keypool_fill(&kp, S(10), 2), 2);
	assert_int_equal(keypool_fill(&kp, S(20), 10), 2);
	/* the two of t=10 reach the age limit first, then the two of t=20 */
	assert_int_equal(keypool_fill(&kp, S(10) + KEYPOOL_MAX_AGE_NS - 1, 0), 0);
	assert_int_equal(kp.t[0].n, 4);
	assert_int_equal(keypool_fill(&kp, S(10) + KEYPOOL_MAX_AGE_NS, 0), 0);
	assert_int_equal(kp.t[0].n, 2);
	keypool_get_stats(&kp, &st);
	assert_int_equal(st.expired, 2);
	/* the oldest left is handed out first: it is of t=20 */
	assert_int_equal(kp.t[0].made_ns[kp.t[0].head], S(20));
	assert_int_equal(keypool_take(&kp, TC_TEP_X25519, &e), 0);
	tc_ecdh_free(&e);
	/* the last one of t=20 goes too; the pool is made anew */
	assert_int_equal(keypool_fill(&kp, S(20) + KEYPOOL_MAX_AGE_NS, 10), 4);
	keypool_get_stats(&kp, &st);
	assert_int_equal(st.expired, 3);
	assert_int_equal(kp.t[0].n, 4);
	keypool_fini(&kp);
}

/* The thread fills the pool, refills what is taken, and stops when asked. */
static void test_thread(void **state)
{
	const uint8_t teps[] = { TC_TEP_X25519 };
	struct keypool_stats st;
	struct keypool kp;
	struct tc_ecdh e;
	int i, tries;

	assert_int_equal(keypool_init(&kp, teps, 1, 16, &trng.rng), 0);
	assert_int_equal(keypool_start(&kp), 0);
	for (tries = 0; tries < 3000; tries++) {	/* at most 30 s */
		keypool_get_stats(&kp, &st);
		if (st.made == 16)
			break;
		usleep(10000);
	}
	assert_int_equal(st.made, 16);
	for (i = 0; i < 10; i++) {
		assert_int_equal(keypool_take(&kp, TC_TEP_X25519, &e), 0);
		tc_ecdh_free(&e);
	}
	for (tries = 0; tries < 3000; tries++) {
		keypool_get_stats(&kp, &st);
		if (st.made == 26)
			break;
		usleep(10000);
	}
	assert_int_equal(st.made, 26);
	keypool_fini(&kp);
	assert_false(kp.running);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fill_take_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_pairs_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
