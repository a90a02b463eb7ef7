// SPDX-License-Identifier: GPL-2.0
/*
 * Key agreement for the four tcpcrypt TEPs: RFC 7748 (X25519, X448) and
 * RFC 5903 (P-256, P-521) vectors through our wire encodings, point
 * validation and the all-zero secret check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "core/ecdh.h"
#include "unit/hex.h"
#include "unit/test_rng.h"

static struct test_rng trng;

static int setup(void **state)
{
	return test_rng_init(&trng, 0xecd4) ? -1 : 0;
}

static int teardown(void **state)
{
	test_rng_free(&trng);
	return 0;
}

struct ecdh_vec {
	uint8_t tep;
	const char *priv_a, *pub_a, *priv_b, *pub_b, *es;
};

static const struct ecdh_vec vecs[] = {
	/* RFC 7748 section 6.1 */
	{ TC_TEP_X25519,
	  "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
	  "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
	  "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742" },
	/* RFC 7748 section 6.2 */
	{ TC_TEP_X448,
	  "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28d"
	  "d9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b",
	  "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c"
	  "22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0",
	  "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d"
	  "6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d",
	  "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b430"
	  "27d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609",
	  "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282b"
	  "b60c0b56fd2464c335543936521c24403085d59a449a5037514a879d" },
	/* RFC 5903 section 8.1: giy and gry are odd, so both prefixes are 03 */
	{ TC_TEP_P256,
	  "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
	  "0023 03 DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180",
	  "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
	  "0023 03 D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63",
	  "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE" },
	/* RFC 5903 section 8.3: giy and gry are even, prefixes 02 */
	{ TC_TEP_P521,
	  "0037ADE9 319A89F4 DABDB3EF 411AACCC A5123C61 ACAB57B5 393DCE47 608172A0"
	  "95AA85A3 0FE1C295 2C6771D9 37BA9777 F5957B26 39BAB072 462F68C2 7A57382D 4A52",
	  "0045 02 0015417E 84DBF28C 0AD3C278 713349DC 7DF153C8 97A1891B D98BAB43 57C9ECBE"
	  "E1E3BF42 E00B8E38 0AEAE57C 2D107564 94188594 2AF5A7F4 601723C4 195D176C ED3E",
	  "0145BA99 A847AF43 793FDD0E 872E7CDF A16BE30F DC780F97 BCCC3F07 8380201E"
	  "9C677D60 0B343757 A3BDBF2A 3163E4C2 F869CCA7 458AA4A4 EFFC311F 5CB15168 5EB9",
	  "0045 02 00D0B397 5AC4B799 F5BEA16D 5E13E9AF 971D5E9B 984C9F39 728B5E57 39735A21"
	  "9B97C356 436ADC6E 95BB0352 F6BE64A6 C2912D4E F2D0433C ED2B6171 640012D9 460F",
	  "01144C7D 79AE6956 BC8EDB8E 7C787C45 21CB086F A64407F9 7894E5E6 B2D79B04"
	  "D1427E73 CA4BAA24 0A347868 59810C06 B3C715A3 A8CC3151 F2BEE417 996D19F3 DDEA" },
};

static void check_vec(const struct ecdh_vec *v)
{
	const struct tc_tep_info *ti = tc_tep_info(v->tep);
	uint8_t priv[TC_ECDH_PRIV_MAX], want[TC_ECDH_PUB_MAX];
	uint8_t pub[TC_ECDH_PUB_MAX], es[TC_ECDH_ES_MAX];
	struct tc_ecdh a, b;
	size_t len;

	assert_non_null(ti);
	len = unhex(v->priv_a, priv, sizeof(priv));
	assert_int_equal(tc_ecdh_from_private(&a, v->tep, priv, len), 0);
	len = unhex(v->priv_b, priv, sizeof(priv));
	assert_int_equal(tc_ecdh_from_private(&b, v->tep, priv, len), 0);

	/* our wire encodings of both public keys */
	assert_int_equal(unhex(v->pub_a, want, sizeof(want)), ti->pub_len);
	assert_int_equal(tc_ecdh_public(&a, pub, sizeof(pub)), ti->pub_len);
	assert_memory_equal(pub, want, ti->pub_len);
	assert_int_equal(unhex(v->pub_b, want, sizeof(want)), ti->pub_len);
	assert_int_equal(tc_ecdh_public(&b, pub, sizeof(pub)), ti->pub_len);
	assert_memory_equal(pub, want, ti->pub_len);

	/* each side derives the RFC's shared secret from the other's Pub */
	assert_int_equal(unhex(v->es, want, sizeof(want)), ti->es_len);
	memset(es, 0, sizeof(es));
	assert_int_equal(tc_ecdh_derive_pub(&b, pub, 0, es, sizeof(es)), -TC_EBADKEY);
	unhex(v->pub_a, pub, sizeof(pub));
	assert_int_equal(tc_ecdh_derive_pub(&b, pub, ti->pub_len, es, sizeof(es)),
			 ti->es_len);
	assert_memory_equal(es, want, ti->es_len);
	memset(es, 0, sizeof(es));
	unhex(v->pub_b, pub, sizeof(pub));
	assert_int_equal(tc_ecdh_derive_pub(&a, pub, ti->pub_len, es, sizeof(es)),
			 ti->es_len);
	assert_memory_equal(es, want, ti->es_len);

	tc_ecdh_free(&a);
	tc_ecdh_free(&b);
}

static void test_rfc_vectors(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		check_vec(&vecs[i]);
}

static void test_tep_table(void **state)
{
	static const size_t pub[] = { 35, 69, 32, 56 }, es[] = { 32, 66, 32, 56 };
	uint8_t t;

	for (t = TC_TEP_P256; t <= TC_TEP_X448; t++) {
		assert_non_null(tc_tep_info(t));
		assert_int_equal(tc_tep_info(t)->pub_len, pub[t - TC_TEP_P256]);
		assert_int_equal(tc_tep_info(t)->es_len, es[t - TC_TEP_P256]);
		/* the v bit does not change the TEP */
		assert_ptr_equal(tc_tep_info(t | TC_TEP_V), tc_tep_info(t));
	}
	assert_null(tc_tep_info(0x20));
	assert_null(tc_tep_info(0x25));
	assert_null(tc_tep_info(0x00));
}

/* Fresh keys: both sides agree, and two generations differ. */
static void test_generate(void **state)
{
	uint8_t pa[TC_ECDH_PUB_MAX], pb[TC_ECDH_PUB_MAX], pc[TC_ECDH_PUB_MAX];
	uint8_t e1[TC_ECDH_ES_MAX], e2[TC_ECDH_ES_MAX];
	struct tc_ecdh a, b, c;
	uint8_t t;
	int n;

	for (t = TC_TEP_P256; t <= TC_TEP_X448; t++) {
		assert_int_equal(tc_ecdh_generate(&a, t, &trng.rng), 0);
		assert_int_equal(tc_ecdh_generate(&b, t, &trng.rng), 0);
		assert_int_equal(tc_ecdh_generate(&c, t, &trng.rng), 0);
		n = tc_ecdh_public(&a, pa, sizeof(pa));
		assert_int_equal(n, tc_tep_info(t)->pub_len);
		assert_int_equal(tc_ecdh_public(&b, pb, sizeof(pb)), n);
		assert_int_equal(tc_ecdh_public(&c, pc, sizeof(pc)), n);
		assert_memory_not_equal(pa, pb, n);
		assert_memory_not_equal(pb, pc, n);
		if (t == TC_TEP_P256 || t == TC_TEP_P521) {
			assert_int_equal(pa[0] << 8 | pa[1], n);
			assert_true(pa[2] == 2 || pa[2] == 3);
		}
		n = tc_ecdh_derive_pub(&a, pb, n, e1, sizeof(e1));
		assert_int_equal(n, tc_tep_info(t)->es_len);
		assert_int_equal(tc_ecdh_derive_pub(&b, pa, tc_tep_info(t)->pub_len,
						    e2, sizeof(e2)), n);
		assert_memory_equal(e1, e2, n);
		/* a short output buffer is refused, not overrun */
		assert_int_equal(tc_ecdh_derive_pub(&b, pa, tc_tep_info(t)->pub_len,
						    e2, n - 1), -EINVAL);
		tc_ecdh_free(&a);
		tc_ecdh_free(&b);
		tc_ecdh_free(&c);
	}
	assert_int_equal(tc_ecdh_generate(&a, 0x25, &trng.rng), -EINVAL);
}

/* A scripted generator: hands out script[] in order, then fails. */
struct script_rng {
	const uint8_t *bytes;
	size_t len, pos;
};

static int script_fn(void *arg, uint8_t *out, size_t len)
{
	struct script_rng *s = arg;

	if (len > s->len - s->pos)
		return -ENODATA;
	memcpy(out, s->bytes + s->pos, len);
	s->pos += len;
	return 0;
}

static int fail_fn(void *arg, uint8_t *out, size_t len)
{
	return -EIO;
}

/*
 * The key pair comes from the caller's rng and nothing else: the same seed
 * gives the same key, X25519/X448 take the bytes as the scalar, and
 * P-256/P-521 reject draws outside [1, n-1] (all ones, zero) and use the
 * next one.
 */
static void test_generate_from_rng(void **state)
{
	static const struct tc_rng fail = { .fn = fail_fn };
	uint8_t script[4 * TC_ECDH_PRIV_MAX], scalar[TC_ECDH_PRIV_MAX];
	uint8_t p1[TC_ECDH_PUB_MAX], p2[TC_ECDH_PUB_MAX];
	struct script_rng sr;
	struct tc_rng rng = { .fn = script_fn, .arg = &sr };
	struct test_rng r1, r2;
	struct tc_ecdh a, b;
	size_t len;
	uint8_t t;
	int n;

	for (t = TC_TEP_P256; t <= TC_TEP_X448; t++) {
		len = tc_tep_info(t)->priv_len;
		/* same seed, same key; the generator's draws are used */
		assert_int_equal(test_rng_init(&r1, 7), 0);
		assert_int_equal(test_rng_init(&r2, 7), 0);
		assert_int_equal(tc_ecdh_generate(&a, t, &r1.rng), 0);
		assert_int_equal(tc_ecdh_generate(&b, t, &r2.rng), 0);
		assert_true(r1.drawn >= len);
		n = tc_ecdh_public(&a, p1, sizeof(p1));
		assert_int_equal(tc_ecdh_public(&b, p2, sizeof(p2)), n);
		assert_memory_equal(p1, p2, n);
		tc_ecdh_free(&b);
		assert_int_equal(tc_ecdh_generate(&b, t, &r2.rng), 0);
		assert_int_equal(tc_ecdh_public(&b, p2, sizeof(p2)), n);
		assert_memory_not_equal(p1, p2, n);
		tc_ecdh_free(&a);
		tc_ecdh_free(&b);
		test_rng_free(&r1);
		test_rng_free(&r2);

		/* the scalar is exactly the draw (after rejections) */
		memset(scalar, 0, sizeof(scalar));
		scalar[len - 1] = 0x2a;
		scalar[0] = t == TC_TEP_P521 ? 0x01 : 0x7f;
		memset(script, 0xff, len);		/* >= n on NIST curves */
		memset(script + len, 0, len);		/* zero */
		memcpy(script + 2 * len, scalar, len);
		sr = (struct script_rng){ .bytes = script, .len = 3 * len };
		if (t == TC_TEP_X25519 || t == TC_TEP_X448)
			sr.pos = 2 * len;	/* any bytes are a scalar */
		assert_int_equal(tc_ecdh_generate(&a, t, &rng), 0);
		assert_int_equal(sr.pos, 3 * len);
		assert_int_equal(tc_ecdh_from_private(&b, t, scalar, len), 0);
		n = tc_ecdh_public(&a, p1, sizeof(p1));
		assert_int_equal(tc_ecdh_public(&b, p2, sizeof(p2)), n);
		assert_memory_equal(p1, p2, n);
		tc_ecdh_free(&a);
		tc_ecdh_free(&b);

		/* a generator that fails, or none */
		assert_int_equal(tc_ecdh_generate(&a, t, &fail), -EIO);
		assert_null(a.key);
		assert_int_equal(tc_ecdh_generate(&a, t, NULL), -EINVAL);
		sr = (struct script_rng){ .bytes = script, .len = 2 * len };
		if (t == TC_TEP_P256 || t == TC_TEP_P521)
			assert_int_equal(tc_ecdh_generate(&a, t, &rng),
					 -ENODATA);
	}
}

/*
 * Why tc_ecdh_peer needs no EVP_PKEY_public_check: on P-256 and P-521
 * (cofactor 1) every compressed point that decodes is a valid public key.
 * Random x values, both prefixes: whatever decodes passes the full check.
 */
static void test_decoded_points_valid(void **state)
{
	static const uint8_t curves[] = { TC_TEP_P256, TC_TEP_P521 };
	uint8_t pub[TC_ECDH_PUB_MAX];
	unsigned int ok = 0, bad = 0;
	EVP_PKEY_CTX *cctx;
	BIGNUM *h = NULL;
	EVP_PKEY *peer;
	size_t c, len;
	int i, err;

	for (c = 0; c < 2; c++) {
		len = tc_tep_info(curves[c])->pub_len;
		for (i = 0; i < 128; i++) {
			assert_int_equal(tc_rng_bytes(&trng.rng, pub + 2,
						      len - 2), 0);
			pub[0] = 0;
			pub[1] = (uint8_t)len;
			pub[2] = 0x02 | (i & 1);
			if (curves[c] == TC_TEP_P521)
				pub[3] &= 1;	/* x below 2^521 */
			err = tc_ecdh_peer(curves[c], pub, len, &peer);
			if (err) {
				assert_int_equal(err, -TC_EBADKEY);
				bad++;
				continue;
			}
			ok++;
			assert_int_equal(EVP_PKEY_get_bn_param(peer,
					 OSSL_PKEY_PARAM_EC_COFACTOR, &h), 1);
			assert_true(BN_is_one(h));
			cctx = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
			assert_non_null(cctx);
			assert_int_equal(EVP_PKEY_public_check(cctx), 1);
			EVP_PKEY_CTX_free(cctx);
			EVP_PKEY_free(peer);
		}
	}
	BN_free(h);
	/* about half of all x are on the curve: both outcomes were seen */
	assert_true(ok > 64 && bad > 64);
}

static void test_bad_private(void **state)
{
	/* P-256 order n, and zero: both out of 1..n-1 */
	static const char *n256 =
		"ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
	uint8_t priv[TC_ECDH_PRIV_MAX] = { 0 };
	struct tc_ecdh e;

	assert_int_equal(tc_ecdh_from_private(&e, TC_TEP_P256, priv, 32), -EINVAL);
	unhex(n256, priv, sizeof(priv));
	assert_int_equal(tc_ecdh_from_private(&e, TC_TEP_P256, priv, 32), -EINVAL);
	priv[31]--;	/* n - 1 is fine */
	assert_int_equal(tc_ecdh_from_private(&e, TC_TEP_P256, priv, 32), 0);
	tc_ecdh_free(&e);
	assert_int_equal(tc_ecdh_from_private(&e, TC_TEP_X25519, priv, 31), -EINVAL);
	assert_int_equal(tc_ecdh_from_private(&e, 0x20, priv, 32), -EINVAL);
}

static int peer_err(uint8_t tep, const char *hex)
{
	uint8_t buf[128];
	EVP_PKEY *peer;
	size_t len;
	int err;

	len = unhex(hex, buf, sizeof(buf));
	err = tc_ecdh_peer(tep, buf, len, &peer);
	if (!err) {
		assert_non_null(peer);
		EVP_PKEY_free(peer);
	} else {
		assert_null(peer);
	}
	return err;
}

#define P256_GIX "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
#define P256_P	 "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"
#define P521_GIX "0015417E84DBF28C0AD3C278713349DC7DF153C897A1891BD98BAB4357C9ECBE" \
		 "E1E3BF42E00B8E380AEAE57C2D107564941885942AF5A7F4601723C4195D176CED3E"
#define P521_P	 "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" \
		 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

static void test_invalid_points(void **state)
{
	/* sanity: the valid points and their other y parity are accepted */
	assert_int_equal(peer_err(TC_TEP_P256, "0023 03" P256_GIX), 0);
	assert_int_equal(peer_err(TC_TEP_P256, "0023 02" P256_GIX), 0);
	assert_int_equal(peer_err(TC_TEP_P521, "0045 02" P521_GIX), 0);
	/* x = 0 is on P-256 (b is a square), so x = p would be too if reduced */
	assert_int_equal(peer_err(TC_TEP_P256, "0023 02"
		"0000000000000000000000000000000000000000000000000000000000000000"), 0);

	/* x not on the curve: x^3 - 3x + b is not a square for these */
	assert_int_equal(peer_err(TC_TEP_P256, "0023 02"
		"0000000000000000000000000000000000000000000000000000000000000001"),
		-TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P521, "0045 03"
		"0000000000000000000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000000000000000000000000000000000000003"),
		-TC_EBADKEY);
	/* x >= p, including x = p (== 0 mod p) and x = p + 5 (5 is on the curve) */
	assert_int_equal(peer_err(TC_TEP_P256, "0023 02" P256_P), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P256, "0023 02"
		"ffffffff00000001000000000000000000000001000000000000000000000004"),
		-TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P256, "0023 02"
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"),
		-TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P521, "0045 02" P521_P), -TC_EBADKEY);
	/* p + 1 == 2^521: x = 1 is on P-521 */
	assert_int_equal(peer_err(TC_TEP_P521, "0045 02"
		"0200000000000000000000000000000000000000000000000000000000000000"
		"000000000000000000000000000000000000000000000000000000000000000000"),
		-TC_EBADKEY);

	/* bad prefixes: uncompressed marker, infinity, hybrid, garbage */
	assert_int_equal(peer_err(TC_TEP_P256, "0023 04" P256_GIX), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P256, "0023 00" P256_GIX), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P256, "0023 06" P256_GIX), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P256, "0023 ff" P256_GIX), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P521, "0045 04" P521_GIX), -TC_EBADKEY);

	/* pubkey_len must count its own two bytes, and match the TEP */
	assert_int_equal(peer_err(TC_TEP_P256, "0021 03" P256_GIX), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P256, "0045 03" P256_GIX), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P256, "1023 03" P256_GIX), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P521, "0043 02" P521_GIX), -TC_EBADKEY);

	/* wrong total lengths */
	assert_int_equal(peer_err(TC_TEP_P256, "0023 03" P256_GIX "00"), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P256, "0023 03"), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P256, "0000"), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P256, ""), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_P521, "0023 03" P256_GIX), -TC_EBADKEY);
	/* uncompressed point of the right content but the wrong form */
	assert_int_equal(peer_err(TC_TEP_P256, "0043 04" P256_GIX
		"5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3"),
		-TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_X25519, "00"), -TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_X25519,
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a00"),
		-TC_EBADKEY);
	assert_int_equal(peer_err(TC_TEP_X448,
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"),
		-TC_EBADKEY);
	assert_int_equal(peer_err(0x30, "00"), -EINVAL);
}

/* Low-order u-coordinates force the all-zero secret: abort, distinctly. */
static void test_zero_secret(void **state)
{
	static const char *x25519_low[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		/* order-8 points */
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		/* p - 1 (order 2), p (== 0), p + 1 (== 1) */
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	static const char *x448_low[] = {
		"00000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000",
		"01000000000000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000",
		/* p - 1 (order 2) */
		"feffffffffffffffffffffffffffffffffffffffffffffffffffffff"
		"feffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	};
	uint8_t pub[64], es[TC_ECDH_ES_MAX];
	struct tc_ecdh a;
	size_t i, len;

	assert_int_equal(tc_ecdh_generate(&a, TC_TEP_X25519, &trng.rng), 0);
	for (i = 0; i < sizeof(x25519_low) / sizeof(x25519_low[0]); i++) {
		len = unhex(x25519_low[i], pub, sizeof(pub));
		memset(es, 0xaa, sizeof(es));
		assert_int_equal(tc_ecdh_derive_pub(&a, pub, len, es, sizeof(es)),
				 -TC_EZEROSECRET);
	}
	tc_ecdh_free(&a);
	assert_int_equal(tc_ecdh_generate(&a, TC_TEP_X448, &trng.rng), 0);
	for (i = 0; i < sizeof(x448_low) / sizeof(x448_low[0]); i++) {
		len = unhex(x448_low[i], pub, sizeof(pub));
		assert_int_equal(len, 56);
		assert_int_equal(tc_ecdh_derive_pub(&a, pub, len, es, sizeof(es)),
				 -TC_EZEROSECRET);
	}
	tc_ecdh_free(&a);
	/* the two abort codes differ from each other and from EOF (0) */
	assert_int_not_equal(TC_EBADKEY, TC_EZEROSECRET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tep_table),
		cmocka_unit_test(test_rfc_vectors),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_generate_from_rng),
		cmocka_unit_test(test_bad_private),
		cmocka_unit_test(test_invalid_points),
		cmocka_unit_test(test_decoded_points_valid),
		cmocka_unit_test(test_zero_secret),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
