// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "core/algs.h"

static const struct tc_aead_info aead_table[] = {
	{ TC_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", 16, 12, 16 },
	{ TC_AEAD_AES_256_GCM, "AEAD_AES_256_GCM", 32, 12, 16 },
	{ TC_AEAD_CHACHA20_POLY1305, "AEAD_CHACHA20_POLY1305", 32, 12, 16 },
};

const struct tc_aead_info *tc_aead_info(uint16_t id)
{
	size_t i;

	for (i = 0; i < sizeof(aead_table) / sizeof(aead_table[0]); i++)
		if (aead_table[i].id == id)
			return &aead_table[i];
	return NULL;
}

/*
 * HKDF contexts with the mode and SHA-256 already set, one per thread and
 * mode. Naming the digest fetches it, which cost more than the derivation
 * itself (bench_handshake "cprf": 0.84 against 0.57 us here), and a resumed
 * connection runs six CPRFs per end. Only the key and the info change
 * per call; the key is replaced with a dummy afterwards, so that no secret
 * stays in a context between calls.
 */
struct hkdf_cache {
	const EVP_KDF *kdf;		/* what the contexts were made from */
	EVP_KDF_CTX *ctx[2];		/* [0] extract only, [1] expand only */
};

static const int hkdf_modes[2] = { EVP_KDF_HKDF_MODE_EXTRACT_ONLY,
				   EVP_KDF_HKDF_MODE_EXPAND_ONLY };
static pthread_key_t hkdf_key;
static pthread_once_t hkdf_once = PTHREAD_ONCE_INIT;
static int hkdf_key_err;

static void hkdf_cache_free(void *arg)
{
	struct hkdf_cache *hc = arg;

	if (!hc)
		return;
	EVP_KDF_CTX_free(hc->ctx[0]);
	EVP_KDF_CTX_free(hc->ctx[1]);
	free(hc);
}

static void hkdf_key_init(void)
{
	hkdf_key_err = pthread_key_create(&hkdf_key, hkdf_cache_free);
}

static EVP_KDF_CTX *hkdf_ctx_new(const struct tc_algs *algs, int mode)
{
	OSSL_PARAM params[3];
	EVP_KDF_CTX *kctx;

	kctx = EVP_KDF_CTX_new(algs->hkdf);
	if (!kctx)
		return NULL;
	params[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_KDF_CTX_set_params(kctx, params) != 1) {
		EVP_KDF_CTX_free(kctx);
		return NULL;
	}
	return kctx;
}

/* This thread's context for mode (extract 0, expand 1), made on first use. */
static EVP_KDF_CTX *hkdf_ctx(const struct tc_algs *algs, int which)
{
	struct hkdf_cache *hc;

	if (pthread_once(&hkdf_once, hkdf_key_init) || hkdf_key_err)
		return NULL;
	hc = pthread_getspecific(hkdf_key);
	if (hc && hc->kdf != algs->hkdf) {
		/* another tc_algs (tests re-init them): start over */
		pthread_setspecific(hkdf_key, NULL);
		hkdf_cache_free(hc);
		hc = NULL;
	}
	if (!hc) {
		hc = calloc(1, sizeof(*hc));
		if (!hc)
			return NULL;
		hc->kdf = algs->hkdf;
		if (pthread_setspecific(hkdf_key, hc)) {
			free(hc);
			return NULL;
		}
	}
	if (!hc->ctx[which])
		hc->ctx[which] = hkdf_ctx_new(algs, hkdf_modes[which]);
	return hc->ctx[which];
}

int tc_algs_init(struct tc_algs *algs)
{
	memset(algs, 0, sizeof(*algs));
	algs->hkdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	algs->hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	algs->aes_128_gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	algs->aes_256_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	algs->chacha20_poly1305 = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	if (!algs->hkdf || !algs->hmac || !algs->aes_128_gcm || !algs->aes_256_gcm ||
	    !algs->chacha20_poly1305) {
		tc_algs_free(algs);
		return -ENOTSUP;
	}
	return 0;
}

void tc_algs_free(struct tc_algs *algs)
{
	struct hkdf_cache *hc = NULL;

	/* the calling thread's contexts go with them; other threads' at exit */
	if (!pthread_once(&hkdf_once, hkdf_key_init) && !hkdf_key_err)
		hc = pthread_getspecific(hkdf_key);
	if (hc && hc->kdf == algs->hkdf) {
		pthread_setspecific(hkdf_key, NULL);
		hkdf_cache_free(hc);
	}
	EVP_KDF_free(algs->hkdf);
	EVP_MAC_free(algs->hmac);
	EVP_CIPHER_free(algs->aes_128_gcm);
	EVP_CIPHER_free(algs->aes_256_gcm);
	EVP_CIPHER_free(algs->chacha20_poly1305);
	memset(algs, 0, sizeof(*algs));
}

const EVP_CIPHER *tc_algs_cipher(const struct tc_algs *algs, uint16_t id)
{
	switch (id) {
	case TC_AEAD_AES_128_GCM:
		return algs->aes_128_gcm;
	case TC_AEAD_AES_256_GCM:
		return algs->aes_256_gcm;
	case TC_AEAD_CHACHA20_POLY1305:
		return algs->chacha20_poly1305;
	}
	return NULL;
}

static int hkdf_run(const struct tc_algs *algs, int which,
		    const uint8_t *key, size_t key_len,
		    const uint8_t *salt, size_t salt_len,
		    const uint8_t *info, size_t info_len,
		    uint8_t *out, size_t out_len)
{
	static const uint8_t dummy = 0;
	OSSL_PARAM params[4], *p = params;
	/*
	 * A cached context's salt or info would carry over where a call has
	 * none, and OpenSSL 3.0 mishandles an empty one: such calls (test
	 * vectors; the protocol always has both) get a context of their own.
	 */
	bool own = which ? !info_len : !salt_len;
	EVP_KDF_CTX *kctx;
	int ret = -EIO;

	kctx = own ? hkdf_ctx_new(algs, hkdf_modes[which]) : hkdf_ctx(algs, which);
	if (!kctx)
		return -ENOMEM;
	/* OpenSSL rejects an empty key; HKDF with an empty IKM is still defined. */
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)(key_len ? key : (const uint8_t *)""),
						 key_len);
	if (!which && salt_len)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt, salt_len);
	if (which && info_len)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info, info_len);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, out_len, params) == 1)
		ret = 0;
	if (own) {
		EVP_KDF_CTX_free(kctx);		/* cleanses the key */
		return ret;
	}
	/* the key (a secret) goes; the next call sets its own */
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      (void *)&dummy, 1);
	params[1] = OSSL_PARAM_construct_end();
	EVP_KDF_CTX_set_params(kctx, params);
	return ret;
}

int tc_hkdf_extract(const struct tc_algs *algs,
		    const uint8_t *salt, size_t salt_len,
		    const uint8_t *ikm, size_t ikm_len,
		    uint8_t prk[TC_HASH_LEN])
{
	return hkdf_run(algs, 0, ikm, ikm_len,
			salt, salt_len, NULL, 0, prk, TC_HASH_LEN);
}

int tc_cprf(const struct tc_algs *algs, const uint8_t *key, size_t key_len,
	    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	if (out_len == 0 || out_len > 255 * TC_HASH_LEN)
		return -EINVAL;
	return hkdf_run(algs, 1, key, key_len,
			NULL, 0, info, info_len, out, out_len);
}

int tc_extract_init(struct tc_extract *x, const struct tc_algs *algs,
		    const uint8_t *salt, size_t salt_len)
{
	OSSL_PARAM params[2];

	x->ctx = EVP_MAC_CTX_new(algs->hmac);
	if (!x->ctx)
		return -ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	/* HMAC takes an empty key; HKDF's empty salt means HashLen zeros,
	 * which HMAC pads to the same block, so both agree. */
	if (EVP_MAC_init(x->ctx, salt_len ? salt : (const uint8_t *)"",
			 salt_len, params) != 1) {
		tc_extract_free(x);
		return -EIO;
	}
	return 0;
}

int tc_extract_update(struct tc_extract *x, const uint8_t *ikm, size_t len)
{
	if (!x->ctx)
		return -EINVAL;
	if (len && EVP_MAC_update(x->ctx, ikm, len) != 1)
		return -EIO;
	return 0;
}

int tc_extract_final(struct tc_extract *x, uint8_t prk[TC_HASH_LEN])
{
	size_t len = 0;
	int err = -EIO;

	if (!x->ctx)
		return -EINVAL;
	if (EVP_MAC_final(x->ctx, prk, &len, TC_HASH_LEN) == 1 &&
	    len == TC_HASH_LEN)
		err = 0;
	tc_extract_free(x);
	return err;
}

void tc_extract_free(struct tc_extract *x)
{
	/* frees the HMAC state, which OpenSSL cleanses */
	EVP_MAC_CTX_free(x->ctx);
	x->ctx = NULL;
}
