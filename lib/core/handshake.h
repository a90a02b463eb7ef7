/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpcrypt key exchange for one connection (RFC 8548 sections 3.3-3.5),
 * once TCP-ENO has negotiated a tcpcrypt TEP with v = 0:
 *
 *   A: tc_hs_start()   -> Init1 ready (tc_hs_output)
 *   B: tc_hs_start(), then tc_hs_input(Init1 bytes) -> DONE: Init2 ready
 *      (tc_hs_output) and keys ready (tc_hs_result; with defer_derive,
 *      tc_hs_result runs the ECDH and the key schedule itself, so Init2
 *      can leave before them)
 *   A: tc_hs_input(Init2 bytes) -> DONE: keys ready (tc_hs_result)
 *
 *   ES    = ECDH(own private key, peer Pub)
 *   PRK   = Extract(salt = N_A, IKM = eno_transcript || Init1 || Init2 || ES)
 *   ss[0] = PRK; mk[0], session ID and ss[1]/resume[1] via keysched.h
 *
 * B picks the AEAD: the first of its own preference list that A offered
 * (-TC_EHS_NOAEAD if none). A aborts when Init2 names a sym_cipher it did not
 * offer (-TC_EINIT_CIPHER). Other abort codes are those of init.h and
 * ecdh.h (-TC_EBADKEY, -TC_EZEROSECRET); all are negative errno values
 * distinct from end-of-file, and sticky.
 *
 * Algorithms: HKDF comes from the caller's struct tc_algs, fetched once.
 * The ECDH operations create their EVP_PKEY_CTX per call (OpenSSL 3.0 cannot
 * duplicate keygen contexts and binds derive contexts to a key); OpenSSL
 * resolves those from its method cache, about 1-2 us each, which is small
 * next to the scalar multiplications.
 */
#ifndef TC_HANDSHAKE_H
#define TC_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/algs.h"
#include "core/ecdh.h"
#include "core/eno.h"
#include "core/init.h"
#include "core/keysched.h"
#include "core/rng.h"

#define TC_HS_AEADS_MAX		16	/* AEADs we offer or rank */
#define TC_HS_TRANSCRIPT_MAX	TC_ENO_TRANSCRIPT_MAX

#define TC_EHS_NOAEAD		ENOPROTOOPT	/* B: nothing in common */

enum {
	TC_HS_NEED_MORE = TC_INIT_NEED_MORE,
	TC_HS_DONE = TC_INIT_DONE,
};

struct tc_hs_params {
	const struct tc_algs *algs;	/* must outlive the handshake */
	enum tc_eno_role role;
	uint8_t tep_byte;	/* negotiated TEP byte as sent by B; becomes
				 * session ID byte 0. v must be 0: a fresh
				 * exchange never follows a v = 1 TEP (3.2) */
	const uint8_t *transcript;	/* ENO transcript (RFC 8547 4.8) */
	size_t transcript_len;
	/*
	 * A: the sym_cipher list to send, in that order. B: its preference
	 * order, most preferred first. Known AEAD ids only (tc_aead_info).
	 */
	const uint16_t *aeads;
	size_t n_aeads;
	/*
	 * Where the ephemeral private key and the nonce come from (the
	 * daemon: e.g. &tc_rng_openssl; tests: a seeded DRBG). Required
	 * unless both fixed_priv and fixed_nonce are given (-EINVAL).
	 */
	const struct tc_rng *rng;
	/*
	 * Fixed inputs for test vectors and tests; leave NULL in production.
	 * Either one replaces its draw from rng.
	 */
	const uint8_t *fixed_priv;	/* tc_ecdh_from_private() format */
	size_t fixed_priv_len;
	const uint8_t *fixed_nonce;	/* TC_NONCE_LEN bytes */
	/*
	 * A fresh key pair for tep_byte made ahead of time (the daemon's key
	 * pool), used instead of one from rng: moved into the handshake, *key
	 * is left empty, also on failure. A key pair must serve one exchange.
	 */
	struct tc_ecdh *key;
	/*
	 * B: DONE as soon as Init1 is in and Init2 is ready; ES and the
	 * keys are made by tc_hs_result(), which then also returns their
	 * errors (-TC_EBADKEY, -TC_EZEROSECRET). Init2 depends on neither,
	 * so the caller can send it first and derive while it travels. A
	 * ignores it: its first frame needs the keys at once.
	 */
	bool defer_derive;
};

/*
 * What the key exchange (or a resumption) yields. Secret fields are wiped by
 * tc_hs_result_wipe(); ss[i] itself is never kept: ss_next (ss[i+1]) is what
 * the resumption cache stores, with resume_next and aead.
 */
struct tc_hs_result {
	uint16_t aead;
	uint8_t tep_byte;		/* session ID byte 0 */
	enum tc_eno_role orig_role;	/* role in the session of ss[0] */
	bool sends_ab;			/* seal with k_ab[j], open with k_ba[j] */
	uint8_t mk0[TC_HASH_LEN];	/* mk[0] */
	uint8_t session_id[TC_SESSID_LEN];
	uint8_t ss_next[TC_HASH_LEN];	/* ss[i+1], for the resumption cache */
	uint8_t resume_next[TC_RESUME_LEN];	/* resume[i+1] */
	uint64_t tx_offset;	/* where this host's first frame starts: */
	uint64_t rx_offset;	/* len(own Init), len(peer's Init); 0, 0 resumed */
};

/* Points into itself once started: use it in place, never copy it. */
struct tc_hs {
	const struct tc_algs *algs;
	enum tc_eno_role role;
	uint8_t tep_byte;
	int status;		/* TC_HS_NEED_MORE, TC_HS_DONE or -errno */
	uint8_t transcript[TC_HS_TRANSCRIPT_MAX];
	size_t transcript_len;
	uint16_t aeads[TC_HS_AEADS_MAX];
	size_t n_aeads;
	struct tc_ecdh key;
	uint8_t nonce[TC_NONCE_LEN];
	uint8_t *out;		/* our Init message, as sent */
	size_t out_len;
	struct tc_init_dec dec;	/* the peer's Init message, its fixed part */
	struct tc_extract prk;	/* PRK, fed as the messages arrive */
	struct tc_hs_result res;
	bool res_taken;
	bool defer;		/* B: derive in tc_hs_result() */
	bool derive_due;	/* ... which has not happened yet */
	uint16_t aead;		/* the AEAD chosen, for that derivation */
};

/*
 * Set up the handshake; A's Init1 is ready on return. 0 or -EINVAL (bad
 * params, no rng), -ENOMEM, -EIO, or the rng's error. Call tc_hs_free()
 * whatever it returns.
 */
int tc_hs_start(struct tc_hs *hs, const struct tc_hs_params *p);

/*
 * Feed the peer's stream (B: Init1, A: Init2), in chunks of any size.
 * Returns TC_HS_NEED_MORE (all consumed), TC_HS_DONE (*consumed bytes were
 * the end of the Init message; the rest of the chunk is frames) or -errno.
 */
int tc_hs_input(struct tc_hs *hs, const uint8_t *data, size_t len,
		size_t *consumed);

/* The peer's stream ended (FIN) before DONE: returns the abort code. */
int tc_hs_eof(struct tc_hs *hs);

/* Our Init message to send (A after start, B after DONE), else NULL. */
const uint8_t *tc_hs_output(const struct tc_hs *hs, size_t *len);

/*
 * After DONE: move the result out (the copy in hs is wiped; a second call
 * returns -EALREADY). Before DONE: -EAGAIN, or the abort code. With
 * defer_derive, the first call after DONE derives, and a failure there is
 * the abort code from then on.
 */
int tc_hs_result(struct tc_hs *hs, struct tc_hs_result *res);

/* Wipe every secret and free everything. */
void tc_hs_free(struct tc_hs *hs);

/*
 * PRK = Extract(N_A, transcript || Init1 || Init2 || ES): the step between
 * the messages and ss[0], exposed for the test vectors.
 */
int tc_hs_prk(const struct tc_algs *algs, const uint8_t n_a[TC_NONCE_LEN],
	      const uint8_t *transcript, size_t transcript_len,
	      const uint8_t *init1, size_t init1_len,
	      const uint8_t *init2, size_t init2_len,
	      const uint8_t *es, size_t es_len, uint8_t prk[TC_HASH_LEN]);

/*
 * Session keys from a session secret: mk[0] = CPRF(ss, REKEY || sn), the
 * session ID (byte 0 = tep_byte), ss_next = ss[i+1] and resume_next.
 * Used for the fresh session (ss[0], empty sn) and for resumption: pass
 * ss[i], sn[i] = nonce_a || nonce_b, the role this host had in the
 * original session (it keeps that key direction), the cached AEAD and the
 * TEP byte with v = 1. Offsets are set to 0 (resumed frames start at 0).
 */
int tc_hs_resume(const struct tc_algs *algs, const uint8_t ss[TC_HASH_LEN],
		 const uint8_t *sn, size_t sn_len, enum tc_eno_role orig_role,
		 uint16_t aead, uint8_t tep_byte, struct tc_hs_result *res);
/*
 * The part of tc_hs_resume() a resumed session's keys need: mk[0] and the
 * session ID (ss_next and resume_next stay zero). What the cache keeps
 * (ss[i+1]) can be made later, when nothing waits.
 */
int tc_hs_resume_session(const struct tc_algs *algs, const uint8_t ss[TC_HASH_LEN],
			 const uint8_t *sn, size_t sn_len, enum tc_eno_role orig_role,
			 uint16_t aead, uint8_t tep_byte, struct tc_hs_result *res);

void tc_hs_result_wipe(struct tc_hs_result *res);

#endif
