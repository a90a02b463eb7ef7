// SPDX-License-Identifier: GPL-2.0
/*
 * Full key exchanges between an in-memory A and B for every TEP and AEAD:
 * identical keys and session IDs on both sides, AEAD choice, aborts, the
 * transcript and trailing bytes bound into the keys, and resumption.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/handshake.h"
#include "unit/hex.h"
#include "unit/test_rng.h"

static struct tc_algs algs;
static struct test_rng trng;

static int setup(void **state)
{
	if (test_rng_init(&trng, 0x4a5e))
		return -1;
	return tc_algs_init(&algs) ? -1 : 0;
}

static int teardown(void **state)
{
	tc_algs_free(&algs);
	test_rng_free(&trng);
	return 0;
}

static const uint8_t teps[] = { TC_TEP_P256, TC_TEP_P521, TC_TEP_X25519,
				TC_TEP_X448 };
static const uint16_t aeads[] = { TC_AEAD_AES_128_GCM, TC_AEAD_AES_256_GCM,
				  TC_AEAD_CHACHA20_POLY1305 };
/* A's SYN ENO <b=0, 0x21..0x24> and B's SYN-ACK ENO <b=1, TEP> */
static uint8_t transcript[] = { 0x45, 0x06, 0x21, 0x22, 0x24, 0x23,
				0x45, 0x04, 0x01, 0x23 };

struct hs_pair {
	struct tc_hs a, b;
	struct tc_hs_result ra, rb;
	int ret_a, ret_b;
};

static void params(struct tc_hs_params *p, enum tc_eno_role role, uint8_t tep,
		   const uint16_t *list, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->algs = &algs;
	p->role = role;
	p->tep_byte = tep;
	transcript[sizeof(transcript) - 1] = tep;
	p->transcript = transcript;
	p->transcript_len = sizeof(transcript);
	p->aeads = list;
	p->n_aeads = n;
	p->rng = &trng.rng;
}

/* Feed a message in chunks of size chunk (0: all at once). */
static int feed(struct tc_hs *hs, const uint8_t *msg, size_t len, size_t chunk)
{
	size_t off = 0, n, used;
	int ret = TC_HS_NEED_MORE;

	if (!chunk)
		chunk = len;
	while (off < len) {
		n = len - off < chunk ? len - off : chunk;
		ret = tc_hs_input(hs, msg + off, n, &used);
		if (ret != TC_HS_NEED_MORE) {
			if (ret == TC_HS_DONE)
				assert_int_equal(off + used, len);
			return ret;
		}
		assert_int_equal(used, n);
		off += n;
	}
	return ret;
}

/* A -> Init1 -> B -> Init2 -> A; results taken when both are done. */
static void run_pair(struct hs_pair *hp, const struct tc_hs_params *pa,
		     const struct tc_hs_params *pb, size_t chunk)
{
	const uint8_t *m;
	size_t len;

	memset(hp, 0, sizeof(*hp));
	assert_int_equal(tc_hs_start(&hp->a, pa), 0);
	assert_int_equal(tc_hs_start(&hp->b, pb), 0);
	assert_null(tc_hs_output(&hp->b, &len));
	m = tc_hs_output(&hp->a, &len);
	assert_non_null(m);
	assert_int_equal(len, tc_init1_len(pa->tep_byte, pa->n_aeads));
	hp->ret_b = feed(&hp->b, m, len, chunk);
	if (hp->ret_b != TC_HS_DONE) {
		assert_null(tc_hs_output(&hp->b, &len));
		return;
	}
	m = tc_hs_output(&hp->b, &len);
	assert_non_null(m);
	assert_int_equal(len, tc_init2_len(pb->tep_byte));
	hp->ret_a = feed(&hp->a, m, len, chunk);
	if (hp->ret_a != TC_HS_DONE)
		return;
	assert_int_equal(tc_hs_result(&hp->a, &hp->ra), 0);
	assert_int_equal(tc_hs_result(&hp->b, &hp->rb), 0);
	assert_int_equal(tc_hs_result(&hp->b, &hp->rb), -EALREADY);
}

static void free_pair(struct hs_pair *hp)
{
	tc_hs_free(&hp->a);
	tc_hs_free(&hp->b);
	tc_hs_result_wipe(&hp->ra);
	tc_hs_result_wipe(&hp->rb);
}

static void assert_agree(const struct hs_pair *hp, uint8_t tep, uint16_t aead)
{
	const struct tc_hs_result *a = &hp->ra, *b = &hp->rb;

	assert_int_equal(hp->ret_a, TC_HS_DONE);
	assert_int_equal(hp->ret_b, TC_HS_DONE);
	assert_int_equal(a->aead, aead);
	assert_int_equal(b->aead, aead);
	assert_memory_equal(a->mk0, b->mk0, TC_HASH_LEN);
	assert_memory_equal(a->session_id, b->session_id, TC_SESSID_LEN);
	assert_memory_equal(a->ss_next, b->ss_next, TC_HASH_LEN);
	assert_memory_equal(a->resume_next, b->resume_next, TC_RESUME_LEN);
	assert_int_equal(a->session_id[0], tep);
	assert_int_equal(a->tep_byte, tep);
	assert_true(a->sends_ab);
	assert_false(b->sends_ab);
	assert_int_equal(a->orig_role, TC_ENO_ROLE_A);
	assert_int_equal(b->orig_role, TC_ENO_ROLE_B);
	assert_int_equal(a->tx_offset, b->rx_offset);
	assert_int_equal(a->rx_offset, b->tx_offset);
	assert_int_equal(b->tx_offset, tc_init2_len(tep));
	/* nothing secret leaks into byte 1.. as zeros */
	assert_memory_not_equal(a->mk0, (uint8_t[TC_HASH_LEN]){ 0 }, TC_HASH_LEN);
}

static void test_every_tep_and_aead(void **state)
{
	struct tc_hs_params pa, pb;
	uint8_t ids[4][TC_SESSID_LEN];
	struct hs_pair hp;
	uint16_t pref[3];
	size_t t, i, j;

	for (t = 0; t < sizeof(teps); t++) {
		for (i = 0; i < 3; i++) {
			/* A offers all three; B ranks aeads[i] first */
			pref[0] = aeads[i];
			pref[1] = aeads[(i + 1) % 3];
			pref[2] = aeads[(i + 2) % 3];
			params(&pa, TC_ENO_ROLE_A, teps[t], aeads, 3);
			params(&pb, TC_ENO_ROLE_B, teps[t], pref, 3);
			run_pair(&hp, &pa, &pb, i == 1 ? 1 : 0);
			assert_agree(&hp, teps[t], aeads[i]);
			memcpy(ids[i], hp.ra.session_id, TC_SESSID_LEN);
			free_pair(&hp);
		}
		/* a fresh exchange each time: session IDs never repeat */
		run_pair(&hp, &pa, &pb, 7);
		memcpy(ids[3], hp.ra.session_id, TC_SESSID_LEN);
		free_pair(&hp);
		for (i = 0; i < 4; i++)
			for (j = i + 1; j < 4; j++)
				assert_memory_not_equal(ids[i] + 1, ids[j] + 1,
							TC_SESSID_LEN - 1);
	}
}

static void test_aead_choice(void **state)
{
	static const uint16_t a_offer[] = { 0x0001, 0x0002 };
	static const uint16_t b_pref[] = { 0x0010, 0x0002, 0x0001 };
	static const uint16_t b_only[] = { 0x0010 };
	struct tc_hs_params pa, pb;
	struct hs_pair hp;

	/* B's first preference that A offered */
	params(&pa, TC_ENO_ROLE_A, TC_TEP_X25519, a_offer, 2);
	params(&pb, TC_ENO_ROLE_B, TC_TEP_X25519, b_pref, 3);
	run_pair(&hp, &pa, &pb, 0);
	assert_agree(&hp, TC_TEP_X25519, 0x0002);
	free_pair(&hp);

	/* nothing in common: B aborts and sends no Init2 */
	params(&pb, TC_ENO_ROLE_B, TC_TEP_X25519, b_only, 1);
	run_pair(&hp, &pa, &pb, 0);
	assert_int_equal(hp.ret_b, -TC_EHS_NOAEAD);
	assert_int_equal(tc_hs_result(&hp.b, &hp.rb), -TC_EHS_NOAEAD);
	assert_int_equal(tc_hs_input(&hp.b, (uint8_t *)"x", 1, NULL),
			 -TC_EHS_NOAEAD);
	free_pair(&hp);
}

/* A aborts when Init2 names a cipher it did not offer. */
static void test_unoffered_cipher(void **state)
{
	static const uint16_t a_offer[] = { 0x0001 };
	static const uint16_t b_pref[] = { 0x0002 };
	struct tc_hs_params pa, pb;
	struct tc_hs a, b;
	uint8_t init1[256];
	const uint8_t *m;
	size_t len;

	params(&pa, TC_ENO_ROLE_A, TC_TEP_X25519, a_offer, 1);
	params(&pb, TC_ENO_ROLE_B, TC_TEP_X25519, b_pref, 1);
	assert_int_equal(tc_hs_start(&a, &pa), 0);
	assert_int_equal(tc_hs_start(&b, &pb), 0);
	m = tc_hs_output(&a, &len);
	memcpy(init1, m, len);
	init1[10] = 0x02;	/* a middlebox rewrites the offer to 0x0002 */
	assert_int_equal(feed(&b, init1, len, 0), TC_HS_DONE);
	m = tc_hs_output(&b, &len);
	assert_int_equal(m[8] << 8 | m[9], 0x0002);
	assert_int_equal(feed(&a, m, len, 3), -TC_EINIT_CIPHER);
	assert_null(tc_hs_output(&a, &len));
	tc_hs_free(&a);
	tc_hs_free(&b);
}

/* Any change to the transcript or to the messages makes the keys disagree. */
static void test_tampering(void **state)
{
	struct tc_hs_params pa, pb;
	struct tc_hs a, b;
	struct tc_hs_result ra, rb;
	uint8_t ta[sizeof(transcript)], msg[256];
	const uint8_t *m;
	size_t i, len, pos;

	/* one flipped transcript byte at each position in turn */
	for (i = 0; i < sizeof(transcript); i++) {
		params(&pa, TC_ENO_ROLE_A, TC_TEP_X25519, aeads, 3);
		params(&pb, TC_ENO_ROLE_B, TC_TEP_X25519, aeads, 3);
		memcpy(ta, transcript, sizeof(ta));
		ta[i] ^= 0x01;
		pa.transcript = ta;
		assert_int_equal(tc_hs_start(&a, &pa), 0);
		assert_int_equal(tc_hs_start(&b, &pb), 0);
		m = tc_hs_output(&a, &len);
		assert_int_equal(feed(&b, m, len, 0), TC_HS_DONE);
		m = tc_hs_output(&b, &len);
		assert_int_equal(feed(&a, m, len, 0), TC_HS_DONE);
		assert_int_equal(tc_hs_result(&a, &ra), 0);
		assert_int_equal(tc_hs_result(&b, &rb), 0);
		assert_memory_not_equal(ra.mk0, rb.mk0, TC_HASH_LEN);
		assert_memory_not_equal(ra.session_id, rb.session_id, TC_SESSID_LEN);
		tc_hs_free(&a);
		tc_hs_free(&b);
	}

	/* a flipped byte in N_A, in Pub_B, in N_B */
	for (pos = 0; pos < 3; pos++) {
		params(&pa, TC_ENO_ROLE_A, TC_TEP_X25519, aeads, 3);
		params(&pb, TC_ENO_ROLE_B, TC_TEP_X25519, aeads, 3);
		assert_int_equal(tc_hs_start(&a, &pa), 0);
		assert_int_equal(tc_hs_start(&b, &pb), 0);
		m = tc_hs_output(&a, &len);
		memcpy(msg, m, len);
		if (pos == 0)
			msg[9 + 6 + 5] ^= 0x80;		/* N_A */
		assert_int_equal(feed(&b, msg, len, 0), TC_HS_DONE);
		m = tc_hs_output(&b, &len);
		memcpy(msg, m, len);
		if (pos == 1)
			msg[len - 1] ^= 0x01;		/* Pub_B */
		if (pos == 2)
			msg[10] ^= 0x01;		/* N_B */
		assert_int_equal(feed(&a, msg, len, 0), TC_HS_DONE);
		assert_int_equal(tc_hs_result(&a, &ra), 0);
		assert_int_equal(tc_hs_result(&b, &rb), 0);
		assert_memory_not_equal(ra.mk0, rb.mk0, TC_HASH_LEN);
		assert_memory_not_equal(ra.session_id, rb.session_id,
					TC_SESSID_LEN);
		tc_hs_free(&a);
		tc_hs_free(&b);
	}
}

/* Fixed inputs: the result is a pure function of them. */
static void fixed_params(struct tc_hs_params *p, enum tc_eno_role role,
			 const uint8_t *priv, const uint8_t *nonce)
{
	params(p, role, TC_TEP_X25519, aeads, 3);
	p->fixed_priv = priv;
	p->fixed_priv_len = 32;
	p->fixed_nonce = nonce;
}

static const char *priv_a_hex =
	"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
static const char *priv_b_hex =
	"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";

/* The same exchange every time: RFC 7748's two X25519 keys, constant nonces. */
struct fixed_pair {
	uint8_t priv_a[32], priv_b[32], na[32], nb[32];
	struct tc_hs_params pa, pb;
};

static void fixed_pair(struct fixed_pair *fp, uint8_t na_byte, uint8_t nb_byte)
{
	unhex(priv_a_hex, fp->priv_a, 32);
	unhex(priv_b_hex, fp->priv_b, 32);
	memset(fp->na, na_byte, 32);
	memset(fp->nb, nb_byte, 32);
	fixed_params(&fp->pa, TC_ENO_ROLE_A, fp->priv_a, fp->na);
	fixed_params(&fp->pb, TC_ENO_ROLE_B, fp->priv_b, fp->nb);
}

/* Trailing bytes in Init1 are accepted, and hashed as transmitted. */
static void test_trailing_hashed(void **state)
{
	struct fixed_pair fp;
	uint8_t init1[256];
	uint8_t es[32], prk[32], ss_b[TC_HASH_LEN];
	struct tc_hs_result want, rb;
	struct tc_ecdh kb;
	struct tc_hs a, b;
	const uint8_t *m, *init2;
	size_t len, len2, used;
	uint8_t frame_bytes[5] = { 1, 2, 3, 4, 5 };

	fixed_pair(&fp, 0xaa, 0xbb);

	/* baseline without trailing bytes */
	assert_int_equal(tc_hs_start(&a, &fp.pa), 0);
	assert_int_equal(tc_hs_start(&b, &fp.pb), 0);
	m = tc_hs_output(&a, &len);
	assert_int_equal(feed(&b, m, len, 0), TC_HS_DONE);
	assert_int_equal(tc_hs_result(&b, &rb), 0);
	memcpy(ss_b, rb.mk0, TC_HASH_LEN);
	tc_hs_free(&b);

	/* the same Init1 with 6 ignored bytes, then frame bytes in one chunk */
	memcpy(init1, m, len);
	memcpy(init1 + len, "ignore", 6);
	init1[7] += 6;
	memcpy(init1 + len + 6, frame_bytes, sizeof(frame_bytes));
	assert_int_equal(tc_hs_start(&b, &fp.pb), 0);
	assert_int_equal(tc_hs_input(&b, init1, len + 6 + 5, &used), TC_HS_DONE);
	assert_int_equal(used, len + 6);
	assert_int_equal(tc_hs_result(&b, &rb), 0);
	assert_int_equal(rb.rx_offset, len + 6);
	assert_memory_not_equal(rb.mk0, ss_b, TC_HASH_LEN);

	/* and it is exactly Extract(N_A, transcript || Init1 as sent || Init2 || ES) */
	init2 = tc_hs_output(&b, &len2);
	assert_int_equal(tc_ecdh_from_private(&kb, TC_TEP_X25519, fp.priv_b, 32), 0);
	assert_int_equal(tc_ecdh_derive_pub(&kb, init1 + len - 32, 32, es,
					    sizeof(es)), 32);
	tc_ecdh_free(&kb);
	assert_int_equal(tc_hs_prk(&algs, fp.na, transcript, sizeof(transcript),
				   init1, len + 6, init2, len2, es, 32, prk), 0);
	assert_int_equal(tc_hs_resume(&algs, prk, NULL, 0, TC_ENO_ROLE_B,
				      rb.aead, TC_TEP_X25519, &want), 0);
	assert_memory_equal(want.mk0, rb.mk0, TC_HASH_LEN);
	assert_memory_equal(want.session_id, rb.session_id, TC_SESSID_LEN);

	/* A (who sent no trailing bytes) computes different keys */
	assert_int_equal(feed(&a, init2, len2, 0), TC_HS_DONE);
	assert_int_equal(tc_hs_result(&a, &want), 0);
	assert_memory_not_equal(want.mk0, rb.mk0, TC_HASH_LEN);
	tc_hs_free(&a);
	tc_hs_free(&b);
}

/* Feed msg in chunk sizes that keep changing (1, 4, 13, ... odd). */
static int feed_odd(struct tc_hs *hs, const uint8_t *msg, size_t len,
		    size_t *total)
{
	size_t off = 0, n, used, chunk = 1;
	int ret = TC_HS_NEED_MORE;

	*total = 0;
	while (off < len && ret == TC_HS_NEED_MORE) {
		n = len - off < chunk ? len - off : chunk;
		ret = tc_hs_input(hs, msg + off, n, &used);
		*total += used;
		if (ret == TC_HS_NEED_MORE)
			assert_int_equal(used, n);
		off += n;
		chunk = chunk * 3 + 1;
		if (chunk > 9000)
			chunk = 5;
	}
	return ret;
}

/*
 * 100 KB of ignored bytes after Init1 (at B) and after Init2 (at A), fed in
 * odd chunks: accepted without being kept, and the keys are those of the
 * PRK over the whole messages as transmitted.
 */
static void test_trailing_streamed(void **state)
{
	enum { TRAIL = 100 * 1024 };
	struct fixed_pair fp;
	uint8_t es[32], prk[32];
	struct tc_hs_result ra, rb, want;
	struct tc_ecdh kb, ka;
	struct tc_hs a, b;
	const uint8_t *m;
	uint8_t *init1, *init2;
	size_t len1, len2, used, i;

	init1 = malloc(1024 + TRAIL);
	init2 = malloc(1024 + TRAIL);
	assert_non_null(init1);
	assert_non_null(init2);
	fixed_pair(&fp, 0x1a, 0x2b);
	assert_int_equal(tc_hs_start(&a, &fp.pa), 0);
	assert_int_equal(tc_hs_start(&b, &fp.pb), 0);

	/* Init1 as A sent it, grown by TRAIL ignored bytes and 7 frame bytes */
	m = tc_hs_output(&a, &len1);
	memcpy(init1, m, len1);
	for (i = 0; i < TRAIL + 7; i++)
		init1[len1 + i] = (uint8_t)(i * 7 + 3);
	len1 += TRAIL;
	init1[4] = (uint8_t)(len1 >> 24);
	init1[5] = (uint8_t)(len1 >> 16);
	init1[6] = (uint8_t)(len1 >> 8);
	init1[7] = (uint8_t)len1;
	assert_int_equal(feed_odd(&b, init1, len1 + 7, &used), TC_HS_DONE);
	assert_int_equal(used, len1);
	assert_int_equal(tc_hs_result(&b, &rb), 0);
	assert_int_equal(rb.rx_offset, len1);
	/* the decoder kept only the fixed part: nothing large was buffered */
	assert_true(sizeof(b.dec.msg) < 1024);

	/* Init2 likewise, for A */
	m = tc_hs_output(&b, &len2);
	memcpy(init2, m, len2);
	for (i = 0; i < TRAIL; i++)
		init2[len2 + i] = (uint8_t)(i * 11 + 5);
	len2 += TRAIL;
	init2[4] = (uint8_t)(len2 >> 24);
	init2[5] = (uint8_t)(len2 >> 16);
	init2[6] = (uint8_t)(len2 >> 8);
	init2[7] = (uint8_t)len2;
	assert_int_equal(feed_odd(&a, init2, len2, &used), TC_HS_DONE);
	assert_int_equal(used, len2);
	assert_int_equal(tc_hs_result(&a, &ra), 0);
	assert_int_equal(ra.rx_offset, len2);

	/* B's keys: Init1 with its ignored bytes, Init2 as B sent it */
	assert_int_equal(tc_ecdh_from_private(&kb, TC_TEP_X25519, fp.priv_b, 32), 0);
	assert_int_equal(tc_ecdh_derive_pub(&kb, init1 + len1 - TRAIL - 32, 32,
					    es, sizeof(es)), 32);
	m = tc_hs_output(&b, &i);	/* Init2 as B sent it */
	assert_int_equal(i, len2 - TRAIL);
	assert_int_equal(tc_hs_prk(&algs, fp.na, transcript, sizeof(transcript),
				   init1, len1, m, i, es, 32, prk), 0);
	assert_int_equal(tc_hs_resume(&algs, prk, NULL, 0, TC_ENO_ROLE_B,
				      rb.aead, TC_TEP_X25519, &want), 0);
	assert_memory_equal(want.mk0, rb.mk0, TC_HASH_LEN);
	assert_memory_equal(want.session_id, rb.session_id, TC_SESSID_LEN);
	tc_hs_result_wipe(&want);
	/* A's keys: Init1 as A sent it, Init2 with its ignored bytes */
	assert_int_equal(tc_ecdh_from_private(&ka, TC_TEP_X25519, fp.priv_a, 32), 0);
	assert_int_equal(tc_ecdh_derive_pub(&ka, init2 + len2 - TRAIL - 32, 32,
					    es, sizeof(es)), 32);
	m = tc_hs_output(&a, &i);	/* Init1 as A sent it */
	assert_int_equal(i, len1 - TRAIL);
	assert_int_equal(tc_hs_prk(&algs, fp.na, transcript, sizeof(transcript),
				   m, i, init2, len2, es, 32, prk), 0);
	assert_int_equal(tc_hs_resume(&algs, prk, NULL, 0, TC_ENO_ROLE_A,
				      ra.aead, TC_TEP_X25519, &want), 0);
	assert_memory_equal(want.mk0, ra.mk0, TC_HASH_LEN);
	assert_memory_equal(want.session_id, ra.session_id, TC_SESSID_LEN);
	/* each saw different messages, so they disagree (as they must) */
	assert_memory_not_equal(ra.mk0, rb.mk0, TC_HASH_LEN);

	tc_hs_result_wipe(&want);
	tc_hs_result_wipe(&ra);
	tc_hs_result_wipe(&rb);
	tc_ecdh_free(&ka);
	tc_ecdh_free(&kb);
	tc_hs_free(&a);
	tc_hs_free(&b);
	free(init1);
	free(init2);
}

static void test_deterministic(void **state)
{
	struct fixed_pair fp;
	uint8_t mk[TC_HASH_LEN], id[TC_SESSID_LEN];
	struct hs_pair hp;
	int run;

	fixed_pair(&fp, 0x01, 0x02);
	for (run = 0; run < 2; run++) {
		run_pair(&hp, &fp.pa, &fp.pb, run ? 5 : 0);
		assert_agree(&hp, TC_TEP_X25519, TC_AEAD_AES_128_GCM);
		if (run) {
			assert_memory_equal(hp.ra.mk0, mk, TC_HASH_LEN);
			assert_memory_equal(hp.ra.session_id, id, TC_SESSID_LEN);
		}
		memcpy(mk, hp.ra.mk0, TC_HASH_LEN);
		memcpy(id, hp.ra.session_id, TC_SESSID_LEN);
		free_pair(&hp);
	}
	/* one nonce byte changes everything */
	fp.nb[31] ^= 1;
	run_pair(&hp, &fp.pa, &fp.pb, 0);
	assert_memory_not_equal(hp.ra.mk0, mk, TC_HASH_LEN);
	assert_memory_not_equal(hp.ra.session_id, id, TC_SESSID_LEN);
	free_pair(&hp);
}

/* Low-order Pub_B: A aborts with the zero-secret code. */
static void test_zero_secret_abort(void **state)
{
	struct tc_hs_params pa;
	uint8_t init2[74] = { 0x09, 0x71, 0x05, 0xe0, 0, 0, 0, 74, 0x00, 0x01 };
	struct tc_hs a;

	params(&pa, TC_ENO_ROLE_A, TC_TEP_X25519, aeads, 3);
	assert_int_equal(tc_hs_start(&a, &pa), 0);
	memset(init2 + 10, 0x33, 32);	/* N_B; Pub_B stays all zero */
	assert_int_equal(feed(&a, init2, sizeof(init2), 0), -TC_EZEROSECRET);
	tc_hs_free(&a);
}

/*
 * defer_derive: B's Init2 is ready at DONE with no ECDH done, byte for byte
 * the Init2 of an eager B; tc_hs_result() derives the same keys. A bad
 * Pub_A then fails there, for good, and no Init2 is offered any more.
 */
static void test_deferred_derive(void **state)
{
	struct fixed_pair fp;
	uint8_t init2[128], init1[256];
	struct tc_hs_result r;
	struct hs_pair hp;
	size_t len, len1, len2;
	const uint8_t *m;
	struct tc_hs b;

	fixed_pair(&fp, 0x01, 0x02);
	run_pair(&hp, &fp.pa, &fp.pb, 0);		/* eager B: the reference */
	assert_agree(&hp, TC_TEP_X25519, TC_AEAD_AES_128_GCM);
	m = tc_hs_output(&hp.a, &len1);
	assert_in_range(len1, 1, sizeof(init1));
	memcpy(init1, m, len1);
	m = tc_hs_output(&hp.b, &len2);
	assert_in_range(len2, 1, sizeof(init2));
	memcpy(init2, m, len2);

	fp.pb.defer_derive = true;
	assert_int_equal(tc_hs_start(&b, &fp.pb), 0);
	assert_int_equal(feed(&b, init1, len1, 7), TC_HS_DONE);
	assert_true(b.derive_due);
	m = tc_hs_output(&b, &len);
	assert_non_null(m);
	assert_int_equal(len, len2);
	assert_memory_equal(m, init2, len2);
	assert_int_equal(tc_hs_eof(&b), 0);
	assert_int_equal(tc_hs_result(&b, &r), 0);
	assert_false(b.derive_due);
	assert_memory_equal(r.mk0, hp.rb.mk0, TC_HASH_LEN);
	assert_memory_equal(r.session_id, hp.rb.session_id, TC_SESSID_LEN);
	assert_memory_equal(r.ss_next, hp.rb.ss_next, TC_HASH_LEN);
	assert_int_equal(r.aead, hp.rb.aead);
	assert_int_equal(r.tx_offset, hp.rb.tx_offset);
	assert_int_equal(r.rx_offset, hp.rb.rx_offset);
	assert_int_equal(tc_hs_result(&b, &r), -EALREADY);
	tc_hs_result_wipe(&r);
	tc_hs_free(&b);

	/* A ignores the flag: its keys are there at DONE */
	fp.pa.defer_derive = true;
	assert_int_equal(tc_hs_start(&b, &fp.pa), 0);
	assert_int_equal(feed(&b, init2, len2, 0), TC_HS_DONE);
	assert_false(b.derive_due);
	assert_int_equal(tc_hs_result(&b, &r), 0);
	assert_memory_equal(r.session_id, hp.ra.session_id, TC_SESSID_LEN);
	tc_hs_result_wipe(&r);
	tc_hs_free(&b);

	/* a low-order Pub_A: DONE, Init2 out, then the abort code, sticky */
	memset(init1 + len1 - 32, 0, 32);
	assert_int_equal(tc_hs_start(&b, &fp.pb), 0);
	assert_int_equal(feed(&b, init1, len1, 0), TC_HS_DONE);
	assert_non_null(tc_hs_output(&b, &len));
	assert_int_equal(tc_hs_result(&b, &r), -TC_EZEROSECRET);
	assert_int_equal(tc_hs_result(&b, &r), -TC_EZEROSECRET);
	assert_int_equal(tc_hs_eof(&b), -TC_EZEROSECRET);
	assert_null(tc_hs_output(&b, &len));
	tc_hs_free(&b);
	free_pair(&hp);
}

static void test_eof_and_params(void **state)
{
	static const uint16_t bad[] = { 0x0001, 0x0003 };
	static const uint16_t dup[] = { 0x0001, 0x0001 };
	struct tc_hs_params p;
	struct tc_hs_result r;
	struct tc_hs hs;
	const uint8_t *m;
	size_t len;

	params(&p, TC_ENO_ROLE_B, TC_TEP_X448, aeads, 3);
	assert_int_equal(tc_hs_start(&hs, &p), 0);
	assert_int_equal(tc_hs_result(&hs, &r), -EAGAIN);
	assert_int_equal(tc_hs_input(&hs, (const uint8_t *)"\x15\x10", 2, NULL),
			 TC_HS_NEED_MORE);
	assert_int_equal(tc_hs_eof(&hs), -TC_EINIT_TRUNC);
	assert_int_equal(tc_hs_result(&hs, &r), -TC_EINIT_TRUNC);
	tc_hs_free(&hs);

	/* A with its Init1 out but no Init2 yet */
	params(&p, TC_ENO_ROLE_A, TC_TEP_P256, aeads, 3);
	assert_int_equal(tc_hs_start(&hs, &p), 0);
	m = tc_hs_output(&hs, &len);
	assert_non_null(m);
	assert_int_equal(len, 76 + 6);
	assert_int_equal(tc_hs_eof(&hs), -TC_EINIT_TRUNC);
	tc_hs_free(&hs);

	/* refused parameters */
	params(&p, TC_ENO_ROLE_A, 0x20, aeads, 3);
	assert_int_equal(tc_hs_start(&hs, &p), -EINVAL);
	tc_hs_free(&hs);
	params(&p, TC_ENO_ROLE_B, TC_TEP_X25519 | TC_TEP_V, aeads, 3);
	assert_int_equal(tc_hs_start(&hs, &p), -EINVAL);
	tc_hs_free(&hs);
	params(&p, TC_ENO_ROLE_A, TC_TEP_X25519, bad, 2);
	assert_int_equal(tc_hs_start(&hs, &p), -EINVAL);
	tc_hs_free(&hs);
	params(&p, TC_ENO_ROLE_A, TC_TEP_X25519, dup, 2);
	assert_int_equal(tc_hs_start(&hs, &p), -EINVAL);
	tc_hs_free(&hs);
	params(&p, TC_ENO_ROLE_A, TC_TEP_X25519, aeads, 0);
	assert_int_equal(tc_hs_start(&hs, &p), -EINVAL);
	tc_hs_free(&hs);
	params(&p, TC_ENO_ROLE_A, TC_TEP_X25519, aeads, 3);
	p.transcript_len = TC_HS_TRANSCRIPT_MAX + 1;
	assert_int_equal(tc_hs_start(&hs, &p), -EINVAL);
	tc_hs_free(&hs);
}

/* Resumption from ss[1]: both ends agree and keep their original keys. */
static void test_resume(void **state)
{
	static const uint8_t na[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t nb[8] = { 9, 10, 11, 12, 13, 14, 15, 16 };
	struct tc_hs_params pa, pb;
	struct tc_hs_result a1, b1, a2;
	uint8_t sn[16];
	struct hs_pair hp;
	uint8_t tep = TC_TEP_X448 | TC_TEP_V;

	params(&pa, TC_ENO_ROLE_A, TC_TEP_X448, aeads, 3);
	params(&pb, TC_ENO_ROLE_B, TC_TEP_X448, aeads + 2, 1);
	run_pair(&hp, &pa, &pb, 0);
	assert_agree(&hp, TC_TEP_X448, TC_AEAD_CHACHA20_POLY1305);

	memcpy(sn, na, 8);
	memcpy(sn + 8, nb, 8);
	/* the original A may now be the passive opener: it still sends_ab */
	assert_int_equal(tc_hs_resume(&algs, hp.ra.ss_next, sn, 16, hp.ra.orig_role,
				      hp.ra.aead, tep, &a1), 0);
	assert_int_equal(tc_hs_resume(&algs, hp.rb.ss_next, sn, 16, hp.rb.orig_role,
				      hp.rb.aead, tep, &b1), 0);
	assert_memory_equal(a1.mk0, b1.mk0, TC_HASH_LEN);
	assert_memory_equal(a1.session_id, b1.session_id, TC_SESSID_LEN);
	assert_int_equal(a1.session_id[0], 0xa4);
	assert_true(a1.sends_ab);
	assert_false(b1.sends_ab);
	assert_int_equal(a1.tx_offset, 0);
	assert_int_equal(a1.aead, TC_AEAD_CHACHA20_POLY1305);
	/* a new session: new keys, new ID, and the chain moves on */
	assert_memory_not_equal(a1.mk0, hp.ra.mk0, TC_HASH_LEN);
	assert_memory_not_equal(a1.session_id + 1, hp.ra.session_id + 1, 32);
	assert_memory_not_equal(a1.ss_next, hp.ra.ss_next, TC_HASH_LEN);
	assert_memory_equal(a1.ss_next, b1.ss_next, TC_HASH_LEN);
	assert_memory_equal(a1.resume_next, b1.resume_next, TC_RESUME_LEN);
	/* the session's part alone: the same keys and ID, nothing for the cache */
	{
		static const uint8_t zero[TC_HASH_LEN];
		struct tc_hs_result s1;

		assert_int_equal(tc_hs_resume_session(&algs, hp.ra.ss_next, sn, 16,
						      hp.ra.orig_role, hp.ra.aead, tep, &s1), 0);
		assert_memory_equal(s1.mk0, a1.mk0, TC_HASH_LEN);
		assert_memory_equal(s1.session_id, a1.session_id, TC_SESSID_LEN);
		assert_int_equal(s1.sends_ab, a1.sends_ab);
		assert_memory_equal(s1.ss_next, zero, TC_HASH_LEN);
		tc_hs_result_wipe(&s1);
	}
	/* a different nonce gives different keys from the same ss[1] */
	sn[15] ^= 1;
	assert_int_equal(tc_hs_resume(&algs, hp.ra.ss_next, sn, 16, TC_ENO_ROLE_A,
				      hp.ra.aead, tep, &a2), 0);
	assert_memory_not_equal(a1.mk0, a2.mk0, TC_HASH_LEN);
	assert_memory_not_equal(a1.session_id, a2.session_id, TC_SESSID_LEN);
	/* refusals */
	assert_int_equal(tc_hs_resume(&algs, hp.ra.ss_next, sn, 17, TC_ENO_ROLE_A,
				      hp.ra.aead, tep, &a2), -EINVAL);
	assert_int_equal(tc_hs_resume(&algs, hp.ra.ss_next, sn, 16, TC_ENO_ROLE_A,
				      0x0003, tep, &a2), -EINVAL);
	free_pair(&hp);
}

/*
 * Randomness comes only from tc_hs_params.rng: the key pair and then the
 * nonce are its first draws; without an rng only fully fixed inputs work.
 */
static void test_rng_source(void **state)
{
	uint8_t priv[32], nonce[32], pub[32], fixed[32] = { 1 };
	struct tc_hs_params p;
	struct test_rng r, want;
	struct tc_ecdh e;
	struct tc_hs hs;
	const uint8_t *m;
	size_t len;

	assert_int_equal(test_rng_init(&r, 99), 0);
	assert_int_equal(test_rng_init(&want, 99), 0);
	params(&p, TC_ENO_ROLE_A, TC_TEP_X25519, aeads, 1);
	p.rng = &r.rng;
	assert_int_equal(tc_hs_start(&hs, &p), 0);
	m = tc_hs_output(&hs, &len);
	assert_int_equal(len, tc_init1_len(TC_TEP_X25519, 1));
	assert_int_equal(r.drawn, 64);
	assert_int_equal(tc_rng_bytes(&want.rng, priv, 32), 0);
	assert_int_equal(tc_rng_bytes(&want.rng, nonce, 32), 0);
	assert_memory_equal(m + TC_INIT1_HDR_LEN + 2, nonce, 32);
	assert_int_equal(tc_ecdh_from_private(&e, TC_TEP_X25519, priv, 32), 0);
	assert_int_equal(tc_ecdh_public(&e, pub, sizeof(pub)), 32);
	assert_memory_equal(m + TC_INIT1_HDR_LEN + 2 + 32, pub, 32);
	tc_ecdh_free(&e);
	tc_hs_free(&hs);
	test_rng_free(&r);
	test_rng_free(&want);

	/* the generator's error comes back (here: at the nonce) */
	assert_int_equal(test_rng_init(&r, 99), 0);
	r.fail_after = 32;
	p.rng = &r.rng;
	assert_int_equal(tc_hs_start(&hs, &p), -EIO);
	tc_hs_free(&hs);
	test_rng_free(&r);

	/* no rng: only with both inputs fixed */
	p.rng = NULL;
	assert_int_equal(tc_hs_start(&hs, &p), -EINVAL);
	tc_hs_free(&hs);
	p.fixed_priv = fixed;
	p.fixed_priv_len = 32;
	assert_int_equal(tc_hs_start(&hs, &p), -EINVAL);
	tc_hs_free(&hs);
	p.fixed_nonce = fixed;
	assert_int_equal(tc_hs_start(&hs, &p), 0);
	tc_hs_free(&hs);
	p.fixed_priv = NULL;
	assert_int_equal(tc_hs_start(&hs, &p), -EINVAL);
	tc_hs_free(&hs);
}

/*
 * A key pair made ahead of time (tcpcryptd's key pool): the handshake uses
 * it, draws only the nonce, takes it over (the caller's copy is left
 * empty) and agrees with a peer; a pair of another TEP is refused and freed.
 */
static void test_premade_key(void **state)
{
	uint8_t pub[32];
	struct tc_hs_params pa, pb;
	struct test_rng r;
	struct tc_ecdh e;
	struct hs_pair hp;
	const uint8_t *m;
	size_t len;

	assert_int_equal(test_rng_init(&r, 7), 0);
	assert_int_equal(tc_ecdh_generate(&e, TC_TEP_X25519, &r.rng), 0);
	assert_int_equal(tc_ecdh_public(&e, pub, sizeof(pub)), 32);
	r.drawn = 0;
	params(&pa, TC_ENO_ROLE_A, TC_TEP_X25519, aeads, 1);
	params(&pb, TC_ENO_ROLE_B, TC_TEP_X25519, aeads, 1);
	pa.rng = &r.rng;
	pa.key = &e;
	run_pair(&hp, &pa, &pb, 0);
	assert_null(e.key);
	assert_int_equal(r.drawn, TC_NONCE_LEN);	/* the nonce only */
	m = tc_hs_output(&hp.a, &len);
	assert_memory_equal(m + TC_INIT1_HDR_LEN + 2 + TC_NONCE_LEN, pub, 32);
	assert_agree(&hp, TC_TEP_X25519, aeads[0]);
	free_pair(&hp);

	/* a P-256 pair for an X25519 exchange, or an empty one: -EINVAL */
	assert_int_equal(tc_ecdh_generate(&e, TC_TEP_P256, &r.rng), 0);
	params(&pa, TC_ENO_ROLE_A, TC_TEP_X25519, aeads, 1);
	pa.key = &e;
	assert_int_equal(tc_hs_start(&hp.a, &pa), -EINVAL);
	assert_null(e.key);
	tc_hs_free(&hp.a);
	assert_int_equal(tc_hs_start(&hp.a, &pa), -EINVAL);
	tc_hs_free(&hp.a);
	test_rng_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_tep_and_aead),
		cmocka_unit_test(test_aead_choice),
		cmocka_unit_test(test_unoffered_cipher),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_trailing_hashed),
		cmocka_unit_test(test_trailing_streamed),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_zero_secret_abort),
		cmocka_unit_test(test_deferred_derive),
		cmocka_unit_test(test_eof_and_params),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_rng_source),
		cmocka_unit_test(test_premade_key),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
