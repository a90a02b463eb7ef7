// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>

#include "core/keysched.h"

/* CPRF(key, c || extra, out_len) */
static int cprf_const(const struct tc_algs *algs, const uint8_t *key,
		      uint8_t c, const uint8_t *extra, size_t extra_len,
		      uint8_t *out, size_t out_len)
{
	uint8_t info[1 + TC_SN_MAX];

	if (extra_len > TC_SN_MAX)
		return -EINVAL;
	info[0] = c;
	if (extra_len)
		memcpy(info + 1, extra, extra_len);
	return tc_cprf(algs, key, TC_HASH_LEN, info, 1 + extra_len, out,
		       out_len);
}

int tc_ss_next(const struct tc_algs *algs, const uint8_t ss[TC_HASH_LEN],
	       uint8_t next[TC_HASH_LEN])
{
	return cprf_const(algs, ss, TC_CONST_NEXTK, NULL, 0, next, TC_HASH_LEN);
}

int tc_mk0(const struct tc_algs *algs, const uint8_t ss[TC_HASH_LEN],
	   const uint8_t *sn, size_t sn_len, uint8_t mk[TC_HASH_LEN])
{
	return cprf_const(algs, ss, TC_CONST_REKEY, sn, sn_len, mk, TC_HASH_LEN);
}

int tc_mk_next(const struct tc_algs *algs, const uint8_t mk[TC_HASH_LEN],
	       uint8_t next[TC_HASH_LEN])
{
	return cprf_const(algs, mk, TC_CONST_REKEY, NULL, 0, next, TC_HASH_LEN);
}

int tc_traffic_keys(const struct tc_algs *algs, const uint8_t mk[TC_HASH_LEN],
		    uint16_t aead_id, uint8_t *k_ab, uint8_t *k_ba)
{
	const struct tc_aead_info *ai = tc_aead_info(aead_id);
	size_t len;
	int err;

	if (!ai)
		return -EINVAL;
	len = ai->key_len + ai->nonce_len;
	if (k_ab) {
		err = cprf_const(algs, mk, TC_CONST_KEY_A, NULL, 0, k_ab, len);
		if (err)
			return err;
	}
	if (k_ba)
		return cprf_const(algs, mk, TC_CONST_KEY_B, NULL, 0, k_ba, len);
	return 0;
}

int tc_session_id(const struct tc_algs *algs, uint8_t tep_byte,
		  const uint8_t ss[TC_HASH_LEN], const uint8_t *sn,
		  size_t sn_len, uint8_t out[TC_SESSID_LEN])
{
	out[0] = tep_byte;
	return cprf_const(algs, ss, TC_CONST_SESSID, sn, sn_len, out + 1,
			  TC_SESSID_LEN - 1);
}

int tc_resume_id(const struct tc_algs *algs, const uint8_t ss[TC_HASH_LEN],
		 uint8_t out[TC_RESUME_LEN])
{
	return cprf_const(algs, ss, TC_CONST_RESUME, NULL, 0, out,
			  TC_RESUME_LEN);
}

void tc_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}
