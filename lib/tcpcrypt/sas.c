// SPDX-License-Identifier: GPL-2.0
/*
 * Short authentication strings and names, for applications and tcnetstat.
 *
 * SAS = the first 8 bytes of SHA-256("tcpcrypt SAS v1" || 0x00 || session id),
 * big endian, modulo 10^12, as 12 decimal digits in three groups. The
 * session id depends on both hosts' fresh keys (RFC 8548 section 3.4), so
 * a man in the middle holds two sessions with different ids; tcpcrypt has no
 * commitment to keys, so he may try many keys for one leg while that
 * leg's key exchange waits: about 2^40 tries for one match, far beyond the
 * seconds a key exchange may last. A shorter string would not be.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

#include "tcpcrypt/tcpcrypt.h"

#define SAS_LABEL	"tcpcrypt SAS v1"
#define SAS_MOD		1000000000000ull	/* 10^12 */

int tcpcrypt_sas(const void *sessid, size_t len, char *buf, size_t buflen)
{
	static const uint8_t label[] = SAS_LABEL;	/* with its NUL: the separator */
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	uint64_t v = 0;
	int ok, i;

	if (!sessid || !len || len > TCPCRYPT_SESSID_MAX || buflen < TCPCRYPT_SAS_LEN) {
		errno = EINVAL;
		return -1;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		errno = ENOMEM;
		return -1;
	}
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(ctx, label, sizeof(label)) &&
	     EVP_DigestUpdate(ctx, sessid, len) &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok || mdlen < 8) {
		errno = EIO;
		return -1;
	}
	for (i = 0; i < 8; i++)
		v = v << 8 | md[i];
	v %= SAS_MOD;
	snprintf(buf, buflen, "%04u-%04u-%04u", (unsigned int)(v / 100000000ull),
		 (unsigned int)(v / 10000ull % 10000ull), (unsigned int)(v % 10000ull));
	return 0;
}

const char *tcpcrypt_tep_name(int tep)
{
	/* the v bit (resumed sessions) does not change the TEP */
	switch (tep & 0x7f) {
	case TCPCRYPT_ECDHE_P256: return "TCPCRYPT_ECDHE_P256";
	case TCPCRYPT_ECDHE_P521: return "TCPCRYPT_ECDHE_P521";
	case TCPCRYPT_ECDHE_CURVE25519: return "TCPCRYPT_ECDHE_Curve25519";
	case TCPCRYPT_ECDHE_CURVE448: return "TCPCRYPT_ECDHE_Curve448";
	}
	return NULL;
}

const char *tcpcrypt_aead_name(int aead)
{
	switch (aead) {
	case TCPCRYPT_AEAD_AES_128_GCM: return "AEAD_AES_128_GCM";
	case TCPCRYPT_AEAD_AES_256_GCM: return "AEAD_AES_256_GCM";
	case TCPCRYPT_AEAD_CHACHA20_POLY1305: return "AEAD_CHACHA20_POLY1305";
	}
	return NULL;
}
