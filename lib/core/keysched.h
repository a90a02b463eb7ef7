/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpcrypt key schedule (RFC 8548 sections 3.3-3.5 and 4.3). Pure functions
 * of their inputs; every output is derived with the CPRF (HKDF-Expand-SHA256).
 *
 *   ss[0]      = PRK
 *   ss[i]      = CPRF(ss[i-1], CONST_NEXTK, 32)
 *   mk[0]      = CPRF(ss[i], CONST_REKEY || sn[i], 32)
 *   mk[j]      = CPRF(mk[j-1], CONST_REKEY, 32)
 *   k_ab[j]    = CPRF(mk[j], CONST_KEY_A, ae_key_len + ae_nonce_len)
 *   k_ba[j]    = CPRF(mk[j], CONST_KEY_B, ae_key_len + ae_nonce_len)
 *   session_id = TEP byte as sent by B || CPRF(ss[i], CONST_SESSID || sn[i], 32)
 *   resume[i]  = CPRF(ss[i], CONST_RESUME, 18)
 */
#ifndef TC_KEYSCHED_H
#define TC_KEYSCHED_H

#include <stddef.h>
#include <stdint.h>

#include "core/algs.h"

#define TC_CONST_NEXTK		0x01
#define TC_CONST_SESSID		0x02
#define TC_CONST_REKEY		0x03
#define TC_CONST_KEY_A		0x04
#define TC_CONST_KEY_B		0x05
#define TC_CONST_RESUME		0x06

#define TC_SESSID_LEN		33
#define TC_RESUME_LEN		18	/* resume[i]: two 9-byte halves */
#define TC_RESUME_HALF		9
#define TC_RESUME_NONCE_MAX	8	/* per host; sn[i] is at most 16 bytes */
#define TC_SN_MAX		(2 * TC_RESUME_NONCE_MAX)
#define TC_TRAFFIC_KEY_MAX	(32 + 12)	/* K || NR */

/* ss[i+1] from ss[i]. */
int tc_ss_next(const struct tc_algs *algs, const uint8_t ss[TC_HASH_LEN],
	       uint8_t next[TC_HASH_LEN]);

/* mk[0] from ss[i] and sn[i] (sn_len 0 for a fresh session). */
int tc_mk0(const struct tc_algs *algs, const uint8_t ss[TC_HASH_LEN],
	   const uint8_t *sn, size_t sn_len, uint8_t mk[TC_HASH_LEN]);

/* mk[j+1] from mk[j]. */
int tc_mk_next(const struct tc_algs *algs, const uint8_t mk[TC_HASH_LEN],
	       uint8_t next[TC_HASH_LEN]);

/*
 * k_ab[j] and k_ba[j] from mk[j] for an AEAD: each is K || NR, of
 * ae_key_len + ae_nonce_len bytes (the AEAD's tc_aead_info). Either output
 * may be NULL.
 */
int tc_traffic_keys(const struct tc_algs *algs, const uint8_t mk[TC_HASH_LEN],
		    uint16_t aead_id, uint8_t *k_ab, uint8_t *k_ba);

/* The 33-byte session ID; tep_byte is B's TEP byte with its v bit. */
int tc_session_id(const struct tc_algs *algs, uint8_t tep_byte,
		  const uint8_t ss[TC_HASH_LEN], const uint8_t *sn,
		  size_t sn_len, uint8_t out[TC_SESSID_LEN]);

/* resume[i]: bytes 0..8 are sent by the original A, 9..17 by the original B. */
int tc_resume_id(const struct tc_algs *algs, const uint8_t ss[TC_HASH_LEN],
		 uint8_t out[TC_RESUME_LEN]);

/* Overwrite secret material in a way the compiler keeps. */
void tc_wipe(void *p, size_t len);

#endif
