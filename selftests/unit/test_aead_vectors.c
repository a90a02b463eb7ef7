// SPDX-License-Identifier: GPL-2.0
/*
 * AEAD known-answer tests through the exact EVP path the frame code uses
 * (tc_frame_key: context keyed once, only the IV set per call):
 *   AES-128-GCM and AES-256-GCM: the GCM specification's test cases 2-4 and
 *   14-16 (McGrew and Viega, 96-bit IVs);
 *   ChaCha20-Poly1305: RFC 8439 section 2.8.2.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "core/frame.h"
#include "unit/algs_fixture.h"
#include "unit/hex.h"


struct aead_vec {
	const char *name;
	uint16_t aead;
	const char *key, *iv, *ad, *pt, *ct, *tag;
};

#define GCM_K3	"feffe9928665731c6d6a8f9467308308"
#define GCM_P64	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
#define GCM_P60	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
		"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_IV	"cafebabefacedbaddecaf888"
#define GCM_AD	"feedfacedeadbeeffeedfacedeadbeefabaddad2"

static const struct aead_vec vecs[] = {
	{ "GCM test case 2", TC_AEAD_AES_128_GCM,
	  "00000000000000000000000000000000", "000000000000000000000000", "",
	  "00000000000000000000000000000000",
	  "0388dace60b6a392f328c2b971b2fe78",
	  "ab6e47d42cec13bdf53a67b21257bddf" },
	{ "GCM test case 3", TC_AEAD_AES_128_GCM, GCM_K3, GCM_IV, "", GCM_P64,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
	  "4d5c2af327cd64a62cf35abd2ba6fab4" },
	{ "GCM test case 4", TC_AEAD_AES_128_GCM, GCM_K3, GCM_IV, GCM_AD, GCM_P60,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "GCM test case 14", TC_AEAD_AES_256_GCM,
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "000000000000000000000000", "",
	  "00000000000000000000000000000000",
	  "cea7403d4d606b6e074ec5d3baf39d18",
	  "d0d1c8a799996bf0265b98b5d48ab919" },
	{ "GCM test case 15", TC_AEAD_AES_256_GCM, GCM_K3 GCM_K3, GCM_IV, "",
	  GCM_P64,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
	  "b094dac5d93471bdec1a502270e3cc6c" },
	{ "GCM test case 16", TC_AEAD_AES_256_GCM, GCM_K3 GCM_K3, GCM_IV, GCM_AD,
	  GCM_P60,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
	/* RFC 8439 2.8.2: nonce = constant 07000000 || IV 4041424344454647 */
	{ "RFC 8439 2.8.2", TC_AEAD_CHACHA20_POLY1305,
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
	  "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
	  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
	  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
	  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
	  "637265656e20776f756c642062652069742e",
	  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	  "3ff4def08e4b7a9de576d26586cec64b6116",
	  "1ae10b594f09e26a7e902ecbd0600691" },
};

struct buf {
	uint8_t key[32 + 12], ad[64], pt[128], ct[128], tag[16], out[128];
	uint8_t got_tag[16];
	size_t key_len, ad_len, pt_len, ct_len;
};

/* K || NR where NR is chosen so that NR XOR (0^4 || offset) is the IV. */
static void load(const struct aead_vec *v, struct buf *b, uint64_t offset)
{
	uint8_t iv[12];
	int i;

	memset(b, 0, sizeof(*b));
	b->key_len = unhex(v->key, b->key, 32);
	assert_int_equal(unhex(v->iv, iv, sizeof(iv)), 12);
	for (i = 0; i < 8; i++)
		iv[11 - i] ^= (uint8_t)(offset >> (8 * i));
	memcpy(b->key + b->key_len, iv, 12);
	b->ad_len = unhex(v->ad, b->ad, sizeof(b->ad));
	b->pt_len = unhex(v->pt, b->pt, sizeof(b->pt));
	b->ct_len = unhex(v->ct, b->ct, sizeof(b->ct));
	assert_int_equal(unhex(v->tag, b->tag, sizeof(b->tag)), 16);
	assert_int_equal(b->pt_len, b->ct_len);
}

static void run_vec(const struct tc_algs *algs, const struct aead_vec *v,
		    uint64_t offset, size_t split)
{
	const EVP_CIPHER *c = tc_algs_cipher(algs, v->aead);
	struct tc_frame_key seal, open;
	struct buf b;

	load(v, &b, offset);
	assert_int_equal(b.key_len, tc_aead_info(v->aead)->key_len);
	assert_int_equal(tc_frame_key_init(&seal, c, v->aead, b.key, true), 0);
	assert_int_equal(tc_frame_key_init(&open, c, v->aead, b.key, false), 0);
	if (split > b.pt_len)
		split = b.pt_len;

	/* Twice with the same context: the keyed context is reusable. */
	for (int round = 0; round < 2; round++) {
		memset(b.out, 0, sizeof(b.out));
		assert_int_equal(tc_frame_aead(&seal, offset, b.ad, b.ad_len,
					       b.pt, split, b.pt + split,
					       b.pt_len - split, b.out,
					       b.got_tag), 0);
		assert_memory_equal(b.out, b.ct, b.ct_len);
		assert_memory_equal(b.got_tag, b.tag, 16);

		memset(b.out, 0, sizeof(b.out));
		assert_int_equal(tc_frame_aead(&open, offset, b.ad, b.ad_len,
					       b.ct, split, b.ct + split,
					       b.ct_len - split, b.out,
					       b.tag), 0);
		assert_memory_equal(b.out, b.pt, b.pt_len);
	}

	/* A flipped tag bit, a wrong AD or a wrong offset: no plaintext. */
	b.tag[5] ^= 0x10;
	memset(b.out, 0xaa, sizeof(b.out));
	assert_int_equal(tc_frame_aead(&open, offset, b.ad, b.ad_len, NULL, 0,
				       b.ct, b.ct_len, b.out, b.tag), -EBADMSG);
	for (size_t i = 0; i < b.ct_len; i++)
		assert_int_equal(b.out[i], 0);
	b.tag[5] ^= 0x10;
	assert_int_equal(tc_frame_aead(&open, offset + 1, b.ad, b.ad_len, NULL,
				       0, b.ct, b.ct_len, b.out, b.tag),
			 -EBADMSG);
	if (b.ct_len) {
		b.ct[b.ct_len - 1] ^= 1;
		assert_int_equal(tc_frame_aead(&open, offset, b.ad, b.ad_len,
					       NULL, 0, b.ct, b.ct_len, b.out,
					       b.tag), -EBADMSG);
		b.ct[b.ct_len - 1] ^= 1;
	}
	/* ...and the context still works after a failure. */
	assert_int_equal(tc_frame_aead(&open, offset, b.ad, b.ad_len, NULL, 0,
				       b.ct, b.ct_len, b.out, b.tag), 0);
	assert_memory_equal(b.out, b.pt, b.pt_len);

	tc_frame_key_free(&seal);
	tc_frame_key_free(&open);
}

static void test_vectors(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		run_vec(*state, &vecs[i], 0, 0);
}

/* The same vectors with the IV reached as NR XOR frame_ID. */
static void test_vectors_offset(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		run_vec(*state, &vecs[i], 0x0102030405060708ULL, 1);
		run_vec(*state, &vecs[i], UINT64_MAX, 3);
	}
}

/* Input split across the two updates the frame code makes. */
static void test_vectors_split(void **state)
{
	size_t i, s;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		for (s = 1; s < 20; s += 3)
			run_vec(*state, &vecs[i], 7, s);
}

static void test_key_init_rejects(void **state)
{
	struct tc_algs *algs = *state;
	struct tc_frame_key fk;
	uint8_t key[44] = { 0 };

	/* A cipher that does not match the AEAD identifier. */
	assert_int_equal(tc_frame_key_init(&fk, algs->aes_256_gcm,
					   TC_AEAD_AES_128_GCM, key, true),
			 -EINVAL);
	assert_int_equal(tc_frame_key_init(&fk, algs->aes_128_gcm, 0x0003, key,
					   true), -EINVAL);
	assert_int_equal(tc_frame_key_init(&fk, NULL, TC_AEAD_AES_128_GCM, key,
					   true), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_vectors_offset),
		cmocka_unit_test(test_vectors_split),
		cmocka_unit_test(test_key_init_rejects),
	};

	return cmocka_run_group_tests(tests, algs_setup, algs_teardown);
}
