// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/proverr.h>

#include "core/ecdh.h"

static const struct tc_tep_info tep_table[] = {
	{ TC_TEP_P256, "TCPCRYPT_ECDHE_P256", "EC", "P-256", 2 + 33, 32, 32 },
	{ TC_TEP_P521, "TCPCRYPT_ECDHE_P521", "EC", "P-521", 2 + 67, 66, 66 },
	{ TC_TEP_X25519, "TCPCRYPT_ECDHE_Curve25519", "X25519", NULL, 32, 32, 32 },
	{ TC_TEP_X448, "TCPCRYPT_ECDHE_Curve448", "X448", NULL, 56, 56, 56 },
};

const struct tc_tep_info *tc_tep_info(uint8_t tep)
{
	size_t i;

	tep = TC_TEP_ID(tep);
	for (i = 0; i < sizeof(tep_table) / sizeof(tep_table[0]); i++)
		if (tep_table[i].id == tep)
			return &tep_table[i];
	return NULL;
}

static bool is_ec(const struct tc_tep_info *ti)
{
	return ti->group != NULL;
}

/* Build an EC key pair from scalar d: Q = d*G computed with EC_POINT_mul. */
static int ec_from_private(struct tc_ecdh *e, const struct tc_tep_info *ti,
			   const uint8_t *priv, size_t len)
{
	uint8_t pub[TC_ECDH_PUB_MAX];
	OSSL_PARAM params[4];
	EVP_PKEY_CTX *ctx = NULL;
	EC_GROUP *group = NULL;
	EC_POINT *q = NULL;
	BN_CTX *bnctx = NULL;
	BIGNUM *d = NULL;
	size_t pub_len;
	int err = -EINVAL;

	group = EC_GROUP_new_by_curve_name_ex(NULL, NULL,
					      EC_curve_nist2nid(ti->group));
	bnctx = BN_CTX_new();
	d = BN_bin2bn(priv, (int)len, NULL);
	if (!group || !bnctx || !d) {
		err = -ENOMEM;
		goto out;
	}
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group)) >= 0)
		goto out;	/* d must be in 1..n-1 */
	BN_set_flags(d, BN_FLG_CONSTTIME);	/* a secret scalar */
	q = EC_POINT_new(group);
	if (!q || EC_POINT_mul(group, q, d, NULL, NULL, bnctx) != 1) {
		err = -EIO;
		goto out;
	}
	pub_len = EC_POINT_point2oct(group, q, POINT_CONVERSION_COMPRESSED,
				     pub, sizeof(pub), bnctx);
	if (pub_len != ti->pub_len - 2) {
		err = -EIO;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)ti->group, 0);
	/* OSSL_PARAM integers are native-endian; hand over the BIGNUM's bytes. */
	{
		uint8_t le[TC_ECDH_PRIV_MAX];

		if (BN_bn2nativepad(d, le, (int)len) < 0) {
			err = -EIO;
			goto out;
		}
		params[1] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY,
						    le, len);
		params[2] = OSSL_PARAM_construct_octet_string(
				OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len);
		params[3] = OSSL_PARAM_construct_end();
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		err = -EIO;
		if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
		    EVP_PKEY_fromdata(ctx, &e->key, EVP_PKEY_KEYPAIR, params) == 1)
			err = 0;
		OPENSSL_cleanse(le, sizeof(le));
	}
out:
	EVP_PKEY_CTX_free(ctx);
	EC_POINT_free(q);
	BN_clear_free(d);
	BN_CTX_free(bnctx);
	EC_GROUP_free(group);
	return err;
}

int tc_ecdh_from_private(struct tc_ecdh *e, uint8_t tep,
			 const uint8_t *priv, size_t len)
{
	const struct tc_tep_info *ti = tc_tep_info(tep);
	int err;

	memset(e, 0, sizeof(*e));
	if (!ti || len != ti->priv_len)
		return -EINVAL;
	if (is_ec(ti)) {
		err = ec_from_private(e, ti, priv, len);
	} else {
		e->key = EVP_PKEY_new_raw_private_key_ex(NULL, ti->keytype, NULL,
							 priv, len);
		err = e->key ? 0 : -EIO;
	}
	if (err) {
		EVP_PKEY_free(e->key);
		e->key = NULL;
		ERR_clear_error();
		return err;
	}
	e->info = ti;
	return 0;
}

/*
 * A scalar d in [1, n-1] for an EC group, from rng bytes: the top byte is
 * masked to the order's bit length and out-of-range draws are rejected,
 * so d is uniform. Each draw is accepted with probability above 1/2.
 */
static int ec_random_scalar(const struct tc_tep_info *ti,
			    const struct tc_rng *rng, uint8_t *d, size_t len)
{
	const BIGNUM *order;
	EC_GROUP *group;
	BIGNUM *bn = NULL;
	unsigned int bits, tries;
	uint8_t mask;
	int err = -ENOMEM;

	group = EC_GROUP_new_by_curve_name_ex(NULL, NULL,
					      EC_curve_nist2nid(ti->group));
	bn = BN_secure_new();
	if (!group || !bn)
		goto out;
	order = EC_GROUP_get0_order(group);
	bits = (unsigned int)BN_num_bits(order);
	if (bits > 8 * len || bits <= 8 * (len - 1)) {
		err = -EINVAL;
		goto out;
	}
	mask = (uint8_t)(0xff >> (8 * len - bits));
	err = -EIO;
	for (tries = 0; tries < 128; tries++) {
		err = tc_rng_bytes(rng, d, len);
		if (err)
			goto out;
		d[0] &= mask;
		if (!BN_bin2bn(d, (int)len, bn)) {
			err = -ENOMEM;
			goto out;
		}
		if (!BN_is_zero(bn) && BN_cmp(bn, order) < 0) {
			err = 0;
			goto out;
		}
		err = -EIO;	/* a generator that never yields a scalar */
	}
out:
	if (err) {
		OPENSSL_cleanse(d, len);
		ERR_clear_error();
	}
	BN_clear_free(bn);
	EC_GROUP_free(group);
	return err;
}

int tc_ecdh_generate(struct tc_ecdh *e, uint8_t tep, const struct tc_rng *rng)
{
	const struct tc_tep_info *ti = tc_tep_info(tep);
	uint8_t priv[TC_ECDH_PRIV_MAX];
	int err;

	memset(e, 0, sizeof(*e));
	if (!ti || !rng)
		return -EINVAL;
	/* X25519/X448: any string is a scalar (RFC 7748 clamps it). */
	if (is_ec(ti))
		err = ec_random_scalar(ti, rng, priv, ti->priv_len);
	else
		err = tc_rng_bytes(rng, priv, ti->priv_len);
	if (!err)
		err = tc_ecdh_from_private(e, tep, priv, ti->priv_len);
	OPENSSL_cleanse(priv, sizeof(priv));
	return err;
}

int tc_ecdh_public(const struct tc_ecdh *e, uint8_t *out, size_t out_max)
{
	const struct tc_tep_info *ti = e->info;
	uint8_t point[1 + 2 * 66];
	size_t len = 0, xlen;

	if (!ti || !e->key || out_max < ti->pub_len)
		return -EINVAL;
	if (!is_ec(ti)) {
		len = ti->pub_len;
		if (EVP_PKEY_get_raw_public_key(e->key, out, &len) != 1 ||
		    len != ti->pub_len)
			goto err;
		return (int)len;
	}
	/*
	 * OpenSSL 3.0 exports 04 || X || Y whatever the key's point format
	 * param says; compress it: 02 for even Y, 03 for odd, then X.
	 */
	if (EVP_PKEY_get_octet_string_param(e->key,
					    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
					    point, sizeof(point), &len) != 1)
		goto err;
	xlen = ti->pub_len - 3;
	if (len == 1 + 2 * xlen && point[0] == 0x04) {
		out[2] = 0x02 | (point[len - 1] & 1);
		memcpy(out + 3, point + 1, xlen);
	} else if (len == 1 + xlen && (point[0] == 0x02 || point[0] == 0x03)) {
		memcpy(out + 2, point, len);
	} else {
		goto err;
	}
	out[0] = (uint8_t)(ti->pub_len >> 8);
	out[1] = (uint8_t)ti->pub_len;
	return (int)ti->pub_len;
err:
	ERR_clear_error();
	return -EIO;
}

static int ec_peer(const struct tc_tep_info *ti, const uint8_t *pub,
		   size_t len, EVP_PKEY **peer)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	int err = -TC_EBADKEY;

	/* u16 pubkey_len counting itself, then a compressed point only. */
	if (((size_t)pub[0] << 8 | pub[1]) != ti->pub_len ||
	    (pub[2] != 0x02 && pub[2] != 0x03))
		return -TC_EBADKEY;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)ti->group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      (void *)(pub + 2), len - 2);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx)
		return -ENOMEM;
	/*
	 * fromdata decodes the compressed point, and that is the whole of the
	 * IEEE 1363 A.16.10 validation here: x >= p is refused, an x with no
	 * square root (not on the curve) is refused, and y is then on the
	 * curve and below p by construction. Infinity has no 02/03 encoding.
	 * P-256 and P-521 have prime order (cofactor 1), so every such point
	 * has order n. An EVP_PKEY_public_check after this could never fail
	 * (test_ecdh test_decoded_points_valid), so there is none.
	 */
	if (EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, peer, EVP_PKEY_PUBLIC_KEY, params) == 1)
		err = 0;
	EVP_PKEY_CTX_free(ctx);
	return err;
}

int tc_ecdh_peer(uint8_t tep, const uint8_t *pub, size_t len, EVP_PKEY **peer)
{
	const struct tc_tep_info *ti = tc_tep_info(tep);
	int err;

	*peer = NULL;
	if (!ti)
		return -EINVAL;
	if (len != ti->pub_len)
		return -TC_EBADKEY;
	if (is_ec(ti)) {
		err = ec_peer(ti, pub, len, peer);
	} else {
		/* every u-coordinate is accepted; low order shows as ES == 0 */
		*peer = EVP_PKEY_new_raw_public_key_ex(NULL, ti->keytype, NULL,
						       pub, len);
		err = *peer ? 0 : -ENOMEM;
	}
	if (err) {
		EVP_PKEY_free(*peer);
		*peer = NULL;
		ERR_clear_error();
	}
	return err;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

int tc_ecdh_derive(const struct tc_ecdh *e, EVP_PKEY *peer,
		   uint8_t *es, size_t es_max)
{
	const struct tc_tep_info *ti = e->info;
	EVP_PKEY_CTX *ctx;
	unsigned long code;
	size_t len;
	int err = -EIO;

	if (!ti || !e->key || !peer || es_max < ti->es_len)
		return -EINVAL;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, e->key, NULL);
	if (!ctx)
		return -ENOMEM;
	len = es_max;
	/* the peer was validated by tc_ecdh_peer: do not check it twice */
	if (EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) != 1)
		goto out;
	if (EVP_PKEY_derive(ctx, es, &len) != 1) {
		/* OpenSSL's X25519/X448 refuse the all-zero result this way */
		code = ERR_peek_last_error();
		if (!is_ec(ti) && ERR_GET_LIB(code) == ERR_LIB_PROV &&
		    ERR_GET_REASON(code) == PROV_R_FAILED_DURING_DERIVATION)
			err = -TC_EZEROSECRET;
		goto out;
	}
	/* ECDH returns the x-coordinate padded to the field size */
	if (len != ti->es_len)
		goto out;
	if (!is_ec(ti) && all_zero(es, len)) {
		err = -TC_EZEROSECRET;
		goto out;
	}
	err = (int)len;
out:
	if (err < 0) {
		OPENSSL_cleanse(es, es_max);
		ERR_clear_error();
	}
	EVP_PKEY_CTX_free(ctx);
	return err;
}

int tc_ecdh_derive_pub(const struct tc_ecdh *e, const uint8_t *pub,
		       size_t len, uint8_t *es, size_t es_max)
{
	EVP_PKEY *peer;
	int err;

	if (!e->info)
		return -EINVAL;
	err = tc_ecdh_peer(e->info->id, pub, len, &peer);
	if (err)
		return err;
	err = tc_ecdh_derive(e, peer, es, es_max);
	EVP_PKEY_free(peer);
	return err;
}

void tc_ecdh_free(struct tc_ecdh *e)
{
	EVP_PKEY_free(e->key);
	memset(e, 0, sizeof(*e));
}
