// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/handshake.h"

int tc_hs_prk(const struct tc_algs *algs, const uint8_t n_a[TC_NONCE_LEN],
	      const uint8_t *transcript, size_t transcript_len,
	      const uint8_t *init1, size_t init1_len,
	      const uint8_t *init2, size_t init2_len,
	      const uint8_t *es, size_t es_len, uint8_t prk[TC_HASH_LEN])
{
	size_t len = transcript_len + init1_len + init2_len + es_len, off = 0;
	uint8_t *ikm;
	int err;

	ikm = malloc(len ? len : 1);
	if (!ikm)
		return -ENOMEM;
	if (transcript_len)
		memcpy(ikm, transcript, transcript_len);
	off += transcript_len;
	memcpy(ikm + off, init1, init1_len);
	off += init1_len;
	memcpy(ikm + off, init2, init2_len);
	off += init2_len;
	memcpy(ikm + off, es, es_len);
	err = tc_hkdf_extract(algs, n_a, TC_NONCE_LEN, ikm, len, prk);
	tc_wipe(ikm, len);	/* holds ES */
	free(ikm);
	return err;
}

int tc_hs_resume_session(const struct tc_algs *algs, const uint8_t ss[TC_HASH_LEN],
			 const uint8_t *sn, size_t sn_len, enum tc_eno_role orig_role,
			 uint16_t aead, uint8_t tep_byte, struct tc_hs_result *res)
{
	int err;

	memset(res, 0, sizeof(*res));
	if (!tc_aead_info(aead) || !tc_tep_info(tep_byte) ||
	    (orig_role != TC_ENO_ROLE_A && orig_role != TC_ENO_ROLE_B) ||
	    sn_len > TC_SN_MAX)
		return -EINVAL;
	res->aead = aead;
	res->tep_byte = tep_byte;
	res->orig_role = orig_role;
	res->sends_ab = orig_role == TC_ENO_ROLE_A;
	err = tc_mk0(algs, ss, sn, sn_len, res->mk0);
	if (!err)
		err = tc_session_id(algs, tep_byte, ss, sn, sn_len,
				    res->session_id);
	if (err)
		tc_hs_result_wipe(res);
	return err;
}

int tc_hs_resume(const struct tc_algs *algs, const uint8_t ss[TC_HASH_LEN],
		 const uint8_t *sn, size_t sn_len, enum tc_eno_role orig_role,
		 uint16_t aead, uint8_t tep_byte, struct tc_hs_result *res)
{
	int err;

	err = tc_hs_resume_session(algs, ss, sn, sn_len, orig_role, aead, tep_byte, res);
	/* RFC 8548 3.5: compute ss[i+1] for the cache; the caller erases ss[i] */
	if (!err)
		err = tc_ss_next(algs, ss, res->ss_next);
	if (!err)
		err = tc_resume_id(algs, res->ss_next, res->resume_next);
	if (err)
		tc_hs_result_wipe(res);
	return err;
}

void tc_hs_result_wipe(struct tc_hs_result *res)
{
	tc_wipe(res, sizeof(*res));
}

static bool aead_in(uint16_t id, const uint16_t *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == id)
			return true;
	return false;
}

static int check_params(const struct tc_hs_params *p, const struct tc_ecdh *pre)
{
	size_t i;

	/* a fresh exchange follows only a TEP that B sent with v = 0 (3.2) */
	if (!p->algs || !tc_tep_info(p->tep_byte) || (p->tep_byte & TC_TEP_V) ||
	    (p->role != TC_ENO_ROLE_A && p->role != TC_ENO_ROLE_B) ||
	    p->transcript_len > TC_HS_TRANSCRIPT_MAX ||
	    (p->transcript_len && !p->transcript) ||
	    p->n_aeads == 0 || p->n_aeads > TC_HS_AEADS_MAX || !p->aeads)
		return -EINVAL;
	/* randomness only from the caller; none needed when both are fixed */
	if (!p->rng && !(p->fixed_priv && p->fixed_nonce))
		return -EINVAL;
	for (i = 0; i < p->n_aeads; i++)
		if (!tc_aead_info(p->aeads[i]) ||
		    aead_in(p->aeads[i], p->aeads, i))
			return -EINVAL;	/* unknown or repeated */
	/* a key made ahead of time must be one of this TEP */
	if (p->key && (!pre->key || pre->info != tc_tep_info(p->tep_byte)))
		return -EINVAL;
	return 0;
}

int tc_hs_start(struct tc_hs *hs, const struct tc_hs_params *p)
{
	struct tc_ecdh pre = { 0 };
	uint8_t pub[TC_ECDH_PUB_MAX];
	size_t len;
	int err;

	memset(hs, 0, sizeof(*hs));
	hs->status = -EINVAL;
	if (p->key) {
		/* ours from now on, whatever happens */
		pre = *p->key;
		memset(p->key, 0, sizeof(*p->key));
	}
	err = check_params(p, &pre);
	if (err) {
		tc_ecdh_free(&pre);
		return err;
	}
	hs->algs = p->algs;
	hs->role = p->role;
	hs->tep_byte = p->tep_byte;
	if (p->transcript_len)
		memcpy(hs->transcript, p->transcript, p->transcript_len);
	hs->transcript_len = p->transcript_len;
	memcpy(hs->aeads, p->aeads, p->n_aeads * sizeof(p->aeads[0]));
	hs->n_aeads = p->n_aeads;
	hs->defer = p->defer_derive && p->role == TC_ENO_ROLE_B;

	if (pre.key) {
		hs->key = pre;
		err = 0;
	} else if (p->fixed_priv) {
		err = tc_ecdh_from_private(&hs->key, p->tep_byte, p->fixed_priv,
					   p->fixed_priv_len);
	} else {
		err = tc_ecdh_generate(&hs->key, p->tep_byte, p->rng);
	}
	if (err)
		goto fail;
	if (p->fixed_nonce)
		memcpy(hs->nonce, p->fixed_nonce, TC_NONCE_LEN);
	else
		err = tc_rng_bytes(p->rng, hs->nonce, TC_NONCE_LEN);
	if (err)
		goto fail;

	if (hs->role == TC_ENO_ROLE_A) {
		err = tc_ecdh_public(&hs->key, pub, sizeof(pub));
		if (err < 0)
			goto fail;
		len = tc_init1_len(hs->tep_byte, hs->n_aeads);
		hs->out = malloc(len);
		if (!hs->out) {
			err = -ENOMEM;
			goto fail;
		}
		err = tc_init1_encode(hs->out, len, hs->tep_byte, hs->aeads,
				      hs->n_aeads, hs->nonce, pub, (size_t)err);
		if (err < 0)
			goto fail;
		hs->out_len = (size_t)err;
		tc_init2_dec_init(&hs->dec, hs->tep_byte, hs->aeads, hs->n_aeads);
	} else {
		tc_init1_dec_init(&hs->dec, hs->tep_byte);
	}
	hs->status = TC_HS_NEED_MORE;
	return 0;
fail:
	hs->status = err;
	return err;
}

/* B: the first AEAD of B's preference list that A offered. */
static int choose_aead(const struct tc_hs *hs, uint16_t *aead)
{
	const struct tc_init_dec *d = &hs->dec;
	size_t i, j;

	for (i = 0; i < hs->n_aeads; i++)
		for (j = 0; j < d->nciphers; j++)
			if (tc_init1_cipher(d, j) == hs->aeads[i]) {
				*aead = hs->aeads[i];
				return 0;
			}
	return -TC_EHS_NOAEAD;
}

static int build_init2(struct tc_hs *hs, uint16_t aead)
{
	uint8_t pub[TC_ECDH_PUB_MAX];
	size_t len = tc_init2_len(hs->tep_byte);
	int n;

	n = tc_ecdh_public(&hs->key, pub, sizeof(pub));
	if (n < 0)
		return n;
	hs->out = malloc(len);
	if (!hs->out)
		return -ENOMEM;
	n = tc_init2_encode(hs->out, len, hs->tep_byte, aead, hs->nonce, pub,
			    (size_t)n);
	if (n < 0)
		return n;
	hs->out_len = (size_t)n;
	return 0;
}

/*
 * PRK = Extract(N_A, transcript || Init1 || Init2 || ES) is fed as the
 * bytes become known, so the peer's ignored bytes are hashed as they arrive
 * and never kept. Started once the peer's fixed part is in (B needs N_A
 * from it): everything up to the end of that fixed part goes in at once.
 */
static int prk_start(struct tc_hs *hs)
{
	struct tc_init_dec *d = &hs->dec;
	bool a = hs->role == TC_ENO_ROLE_A;
	int err;

	if (hs->prk.ctx)
		return 0;
	err = tc_extract_init(&hs->prk, hs->algs, a ? hs->nonce : d->nonce,
			      TC_NONCE_LEN);
	if (!err)
		err = tc_extract_update(&hs->prk, hs->transcript,
					hs->transcript_len);
	if (!err && a)
		err = tc_extract_update(&hs->prk, hs->out, hs->out_len);
	if (!err)
		err = tc_extract_update(&hs->prk, d->msg, d->fixed_len);
	return err;
}

/* The decoder's sink: the peer's ignored bytes, in order. */
static int prk_sink(void *arg, const uint8_t *data, size_t len)
{
	struct tc_hs *hs = arg;
	int err;

	err = prk_start(hs);
	return err ? err : tc_extract_update(&hs->prk, data, len);
}

/* Both messages are known: ES, PRK = ss[0], then the session keys. */
static int derive(struct tc_hs *hs, uint16_t aead)
{
	struct tc_init_dec *d = &hs->dec;
	uint8_t es[TC_ECDH_ES_MAX], prk[TC_HASH_LEN];
	bool a = hs->role == TC_ENO_ROLE_A;
	int n, err;

	n = tc_ecdh_derive(&hs->key, d->peer, es, sizeof(es));
	if (n < 0)
		return n;
	err = prk_start(hs);
	if (!err && !a)
		err = tc_extract_update(&hs->prk, hs->out, hs->out_len);
	if (!err)
		err = tc_extract_update(&hs->prk, es, (size_t)n);
	tc_wipe(es, sizeof(es));
	if (!err)
		err = tc_extract_final(&hs->prk, prk);
	if (!err)
		err = tc_hs_resume(hs->algs, prk, NULL, 0, hs->role, aead,
				   hs->tep_byte, &hs->res);
	tc_wipe(prk, sizeof(prk));	/* ss[0]: only ss[1] is kept */
	if (err)
		return err;
	hs->res.tx_offset = hs->out_len;
	hs->res.rx_offset = d->msg_len;
	/* the ephemeral private key and the peer's message have done their job */
	tc_ecdh_free(&hs->key);
	tc_init_dec_free(&hs->dec);
	return 0;
}

int tc_hs_input(struct tc_hs *hs, const uint8_t *data, size_t len,
		size_t *consumed)
{
	uint16_t aead;
	int ret;

	if (consumed)
		*consumed = 0;
	if (hs->status != TC_HS_NEED_MORE)
		return hs->status;
	tc_init_dec_set_sink(&hs->dec, prk_sink, hs);
	ret = tc_init_dec_feed(&hs->dec, data, len, consumed);
	if (ret != TC_INIT_DONE) {
		hs->status = ret;
		return ret;
	}
	if (hs->role == TC_ENO_ROLE_B) {
		ret = choose_aead(hs, &aead);
		if (!ret)
			ret = build_init2(hs, aead);
	} else {
		aead = hs->dec.sym_cipher;	/* checked against our offer */
		ret = 0;
	}
	if (!ret && hs->defer) {
		hs->aead = aead;
		hs->derive_due = true;
	} else if (!ret) {
		ret = derive(hs, aead);
	}
	hs->status = ret ? ret : TC_HS_DONE;
	return hs->status;
}

int tc_hs_eof(struct tc_hs *hs)
{
	if (hs->status == TC_HS_NEED_MORE)
		hs->status = tc_init_dec_eof(&hs->dec);
	return hs->status == TC_HS_DONE ? 0 : hs->status;
}

const uint8_t *tc_hs_output(const struct tc_hs *hs, size_t *len)
{
	bool ready = hs->role == TC_ENO_ROLE_A ? hs->status >= 0 :
		     hs->status == TC_HS_DONE;

	if (!ready || !hs->out) {
		*len = 0;
		return NULL;
	}
	*len = hs->out_len;
	return hs->out;
}

int tc_hs_result(struct tc_hs *hs, struct tc_hs_result *res)
{
	if (hs->status != TC_HS_DONE)
		return hs->status < 0 ? hs->status : -EAGAIN;
	if (hs->res_taken)
		return -EALREADY;
	if (hs->derive_due) {
		int err;

		hs->derive_due = false;
		err = derive(hs, hs->aead);
		if (err) {
			hs->status = err;
			return err;
		}
	}
	*res = hs->res;
	tc_hs_result_wipe(&hs->res);
	hs->res_taken = true;
	return 0;
}

void tc_hs_free(struct tc_hs *hs)
{
	tc_extract_free(&hs->prk);
	tc_ecdh_free(&hs->key);
	free(hs->out);
	tc_init_dec_free(&hs->dec);
	tc_wipe(hs, sizeof(*hs));
}
