/* SPDX-License-Identifier: GPL-2.0 */
/*
 * OpenSSL algorithms fetched once and shared, read-only, by every
 * connection: HKDF-SHA256 (the tcpcrypt CPRF), HMAC (an Extract fed in
 * pieces) and the three AEADs.
 */
#ifndef TC_ALGS_H
#define TC_ALGS_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#define TC_HASH_LEN	32	/* SHA-256: PRK, ss[i], mk[j] */

/* RFC 8548 section 7: AEAD algorithm identifiers. */
enum tc_aead_id {
	TC_AEAD_AES_128_GCM		= 0x0001,
	TC_AEAD_AES_256_GCM		= 0x0002,
	TC_AEAD_CHACHA20_POLY1305	= 0x0010,
};

struct tc_aead_info {
	uint16_t id;
	const char *name;	/* RFC name, e.g. "AEAD_AES_128_GCM" */
	size_t key_len;		/* ae_key_len */
	size_t nonce_len;	/* ae_nonce_len */
	size_t tag_len;
};

struct tc_algs {
	EVP_KDF *hkdf;
	EVP_MAC *hmac;		/* HMAC: HKDF-Extract fed incrementally */
	EVP_CIPHER *aes_128_gcm;
	EVP_CIPHER *aes_256_gcm;
	EVP_CIPHER *chacha20_poly1305;
};

/* Fetch every algorithm; 0 or -ENOMEM/-ENOTSUP. */
int tc_algs_init(struct tc_algs *algs);
void tc_algs_free(struct tc_algs *algs);

/* The AEAD's parameters, or NULL for an unknown identifier. */
const struct tc_aead_info *tc_aead_info(uint16_t id);
/* The fetched cipher for an AEAD identifier, or NULL. */
const EVP_CIPHER *tc_algs_cipher(const struct tc_algs *algs, uint16_t id);

/* HKDF-Extract(salt, ikm) with SHA-256 (RFC 5869 2.2): prk[TC_HASH_LEN]. */
int tc_hkdf_extract(const struct tc_algs *algs,
		    const uint8_t *salt, size_t salt_len,
		    const uint8_t *ikm, size_t ikm_len,
		    uint8_t prk[TC_HASH_LEN]);

/*
 * HKDF-Extract(salt, ikm) fed incrementally: Extract is HMAC-SHA256 keyed
 * with the salt (RFC 5869 2.2), so ikm can be streamed in pieces of any
 * size and gives the same PRK as tc_hkdf_extract over the concatenation.
 */
struct tc_extract {
	EVP_MAC_CTX *ctx;
};

int tc_extract_init(struct tc_extract *x, const struct tc_algs *algs,
		    const uint8_t *salt, size_t salt_len);
int tc_extract_update(struct tc_extract *x, const uint8_t *ikm, size_t len);
/* The PRK; the context is freed (and with it the keyed state). */
int tc_extract_final(struct tc_extract *x, uint8_t prk[TC_HASH_LEN]);
/* Free without a result (safe on a zeroed or finished context). */
void tc_extract_free(struct tc_extract *x);

/*
 * CPRF(K, CONST, L) = HKDF-Expand-SHA256(K, info, L) (RFC 8548 section 3.3,
 * RFC 5869 2.3): out_len at most 255 * 32 bytes.
 */
int tc_cprf(const struct tc_algs *algs, const uint8_t *key, size_t key_len,
	    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);

#endif
