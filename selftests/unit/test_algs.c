// SPDX-License-Identifier: GPL-2.0
/* HKDF-SHA256 against RFC 5869 appendix A, and the AEAD table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/algs.h"
#include "unit/algs_fixture.h"
#include "unit/hex.h"


struct hkdf_vec {
	const char *ikm, *salt, *info, *prk, *okm;
};

/* RFC 5869 A.1, A.2, A.3 */
static const struct hkdf_vec vecs[] = {
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
	  "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
	  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	  "34007208d5b887185865" },
	{ "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	  "404142434445464748494a4b4c4d4e4f",
	  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	  "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
	  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	  "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
	  "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
	  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	  "9d201395faa4b61a96c8" },
};

static void test_hkdf_rfc5869(void **state)
{
	uint8_t ikm[128], salt[128], info[128], prk[32], okm[128], want[128];
	size_t ikm_len, salt_len, info_len, okm_len, i;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		ikm_len = unhex(vecs[i].ikm, ikm, sizeof(ikm));
		salt_len = unhex(vecs[i].salt, salt, sizeof(salt));
		info_len = unhex(vecs[i].info, info, sizeof(info));
		assert_int_equal(tc_hkdf_extract(*state, salt, salt_len, ikm,
						 ikm_len, prk), 0);
		assert_int_equal(unhex(vecs[i].prk, want, sizeof(want)), 32);
		assert_memory_equal(prk, want, 32);
		okm_len = unhex(vecs[i].okm, want, sizeof(want));
		assert_int_equal(tc_cprf(*state, prk, 32, info, info_len, okm,
					 okm_len), 0);
		assert_memory_equal(okm, want, okm_len);
	}
}

static void test_cprf_bounds(void **state)
{
	uint8_t key[32] = { 1 }, out[8];

	assert_int_not_equal(tc_cprf(*state, key, 32, NULL, 0, out, 0), 0);
	assert_int_not_equal(tc_cprf(*state, key, 32, NULL, 0, out,
				     255 * 32 + 1), 0);
}

static void test_aead_table(void **state)
{
	const struct tc_aead_info *ai;

	ai = tc_aead_info(TC_AEAD_AES_128_GCM);
	assert_non_null(ai);
	assert_int_equal(ai->key_len, 16);
	assert_int_equal(ai->nonce_len, 12);
	ai = tc_aead_info(TC_AEAD_CHACHA20_POLY1305);
	assert_non_null(ai);
	assert_int_equal(ai->key_len, 32);
	assert_null(tc_aead_info(0x0003));
	assert_null(tc_algs_cipher(*state, 0));
	assert_non_null(tc_algs_cipher(*state, TC_AEAD_AES_256_GCM));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hkdf_rfc5869),
		cmocka_unit_test(test_cprf_bounds),
		cmocka_unit_test(test_aead_table),
	};

	return cmocka_run_group_tests(tests, algs_setup, algs_teardown);
}
