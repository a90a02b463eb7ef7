/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ephemeral key agreement for the four tcpcrypt TEPs (RFC 8548 section 5),
 * all through OpenSSL 3 EVP_PKEY:
 *
 *   TEP   curve    Pub on the wire                               ES
 *   0x21  P-256    u16 pubkey_len(=35) || 02/03 || X (33 bytes)  X, 32 bytes
 *   0x22  P-521    u16 pubkey_len(=69) || 02/03 || X (67 bytes)  X, 66 bytes
 *   0x23  X25519   raw 32 bytes                                  32 bytes
 *   0x24  X448     raw 56 bytes                                  56 bytes
 *
 * pubkey_len counts its own two bytes (RFC 8548 figure in section 5; the
 * authors' implementation does the same).
 *
 * Errors (negative errno, each distinct from end-of-file):
 *   -TC_EBADKEY      the peer's public key is malformed or fails validation
 *                    (wrong length, wrong pubkey_len, prefix not 02/03, x not
 *                    below p, not on the curve, point at infinity)
 *   -TC_EZEROSECRET  X25519/X448 produced the all-zero shared secret
 *                    (a low-order peer key, RFC 7748 section 6)
 *   -EINVAL          not a tcpcrypt TEP, bad private key, short buffer
 *   -ENOMEM/-EIO     OpenSSL failure
 */
#ifndef TC_ECDH_H
#define TC_ECDH_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "core/rng.h"

#define TC_TEP_P256		0x21
#define TC_TEP_P521		0x22
#define TC_TEP_X25519		0x23
#define TC_TEP_X448		0x24
#define TC_TEP_V		0x80	/* v bit of an ENO TEP byte */
#define TC_TEP_ID(byte)		((uint8_t)((byte) & 0x7f))

#define TC_ECDH_PUB_MAX		69	/* P-521 wire encoding */
#define TC_ECDH_ES_MAX		66	/* P-521 x-coordinate */
#define TC_ECDH_PRIV_MAX	66	/* P-521 scalar */

#define TC_EBADKEY		EKEYREJECTED
#define TC_EZEROSECRET		ENOKEY

struct tc_tep_info {
	uint8_t id;		/* TEP identifier, v bit clear */
	const char *name;	/* RFC name, e.g. "TCPCRYPT_ECDHE_Curve25519" */
	const char *keytype;	/* OpenSSL key type: "EC", "X25519", "X448" */
	const char *group;	/* EC group name, NULL for X25519/X448 */
	size_t pub_len;		/* Pub as sent in Init1/Init2 */
	size_t es_len;		/* ES */
	size_t priv_len;	/* private scalar, for fixed keys */
};

/* Parameters of a tcpcrypt TEP (the v bit is ignored), or NULL. */
const struct tc_tep_info *tc_tep_info(uint8_t tep);

/* One host's ephemeral key pair. */
struct tc_ecdh {
	const struct tc_tep_info *info;
	EVP_PKEY *key;
};

/*
 * A fresh key pair from the caller's rng: X25519/X448 take priv_len raw
 * bytes as the scalar; P-256/P-521 a scalar rejection-sampled into
 * [1, n-1]. The public key is derived as for tc_ecdh_from_private.
 * -EINVAL without an rng, the rng's error if it fails.
 */
int tc_ecdh_generate(struct tc_ecdh *e, uint8_t tep, const struct tc_rng *rng);

/*
 * A key pair from a given private key (tc_ecdh_generate's path; also for
 * test vectors): big-endian scalar 1..n-1 (priv_len bytes) for
 * P-256/P-521, the raw RFC 7748 scalar for X25519/X448.
 */
int tc_ecdh_from_private(struct tc_ecdh *e, uint8_t tep,
			 const uint8_t *priv, size_t len);

/* Pub in its wire encoding; returns its length or a negative errno. */
int tc_ecdh_public(const struct tc_ecdh *e, uint8_t *out, size_t out_max);

/*
 * Decode and validate a peer's Pub (wire encoding) into *peer (free it with
 * EVP_PKEY_free). For NIST points decoding the compressed form is the
 * IEEE 1363 A.16.10 validation: x below p, on the curve (y exists), not
 * infinity; both curves have prime order, so the order check is implied.
 */
int tc_ecdh_peer(uint8_t tep, const uint8_t *pub, size_t len, EVP_PKEY **peer);

/* ES from our key and a validated peer key; returns es_len or -errno. */
int tc_ecdh_derive(const struct tc_ecdh *e, EVP_PKEY *peer,
		   uint8_t *es, size_t es_max);

/* Both steps at once, from the peer's wire encoding. */
int tc_ecdh_derive_pub(const struct tc_ecdh *e, const uint8_t *pub,
		       size_t len, uint8_t *es, size_t es_max);

/* Free the key pair (OpenSSL clears private key memory on free). */
void tc_ecdh_free(struct tc_ecdh *e);

#endif
