// SPDX-License-Identifier: GPL-2.0
/* Session resumption cache (RFC 8548 3.5): the rules, end to end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "core/eno.h"
#include "core/frame.h"
#include "core/handshake.h"
#include "core/resume.h"
#include "unit/test_rng.h"

#define TEP	0x23
#define AEAD	TC_AEAD_AES_256_GCM

static struct tc_algs algs;
static const uint8_t peer_a[] = { 10, 0, 0, 1 };	/* how B names A */
static const uint8_t peer_b[] = { 10, 0, 0, 2 };	/* how A names B */
static uint8_t prk[TC_HASH_LEN];
static struct test_rng trng;
#define RNG (&trng.rng)

static int setup(void **state)
{
	size_t i;

	if (tc_algs_init(&algs) || test_rng_init(&trng, 0x7e5))
		return -1;
	for (i = 0; i < sizeof(prk); i++)
		prk[i] = (uint8_t)(0xa0 ^ i);
	return 0;
}

static int teardown(void **state)
{
	tc_algs_free(&algs);
	test_rng_free(&trng);
	return 0;
}

/* Two hosts that just finished a fresh session with ss[0] = prk. */
struct pair {
	struct tc_resume_cache a, b;	/* original A and original B */
};

static void pair_init(struct pair *p, size_t cap)
{
	assert_int_equal(tc_resume_cache_init(&p->a, &algs, cap), 0);
	assert_int_equal(tc_resume_cache_init(&p->b, &algs, cap), 0);
	assert_int_equal(tc_resume_put(&p->a, peer_b, 4, TEP, AEAD, TC_ROLE_A,
				       prk, 0, 0, 0, NULL), 0);
	assert_int_equal(tc_resume_put(&p->b, peer_a, 4, TEP, AEAD, TC_ROLE_B,
				       prk, 0, 0, 0, NULL), 0);
}

static void pair_free(struct pair *p)
{
	tc_resume_cache_free(&p->a);
	tc_resume_cache_free(&p->b);
}

/* ss[i] and resume[i] computed directly from the key schedule. */
static void expect_ss(uint32_t i, uint8_t ss[TC_HASH_LEN],
		      uint8_t rid[TC_RESUME_LEN])
{
	uint8_t next[TC_HASH_LEN];
	uint32_t k;

	memcpy(ss, prk, TC_HASH_LEN);
	for (k = 0; k < i; k++) {
		assert_int_equal(tc_ss_next(&algs, ss, next), 0);
		memcpy(ss, next, TC_HASH_LEN);
	}
	assert_int_equal(tc_resume_id(&algs, ss, rid), 0);
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

struct outcome {
	uint8_t mk_act[TC_HASH_LEN], mk_pas[TC_HASH_LEN];
	uint8_t sid_act[TC_SESSID_LEN], sid_pas[TC_SESSID_LEN];
	bool ab_act, ab_pas;
	uint32_t i;
	uint8_t sn[TC_SN_MAX];
	int sn_len;
};

/* act proposes (active opener), pas answers; both finish. */
static void resume_once(struct tc_resume_cache *act, const uint8_t *act_names,
			struct tc_resume_cache *pas, const uint8_t *pas_names,
			struct outcome *o)
{
	struct tc_resume_ticket ta, tp;
	uint8_t syn[32], synack[32], sn2[TC_SN_MAX];
	int n, m;

	assert_int_equal(tc_resume_take(act, act_names, 4, TEP, 0, 0, RNG, &ta), 0);
	n = tc_resume_encode(&ta, syn, sizeof(syn));
	assert_int_equal(n, 9 + act->nonce_len);
	assert_int_equal(tc_resume_match(pas, pas_names, 4, TEP, syn, n, 0, 0, &trng.rng,
					 &tp), 0);
	assert_int_equal(tp.i, ta.i);
	m = tc_resume_encode(&tp, synack, sizeof(synack));
	assert_int_equal(m, 9 + pas->nonce_len);
	assert_int_equal(tc_resume_check_reply(&ta, synack, m), 0);
	o->i = ta.i;
	o->sn_len = tc_resume_sn(&ta, o->sn);
	assert_int_equal(tc_resume_sn(&tp, sn2), o->sn_len);
	assert_memory_equal(o->sn, sn2, o->sn_len);
	assert_int_equal(tc_resume_finish(act, &ta, 0, 0, o->mk_act, o->sid_act,
					  &o->ab_act, NULL), 0);
	assert_int_equal(tc_resume_finish(pas, &tp, 0, 0, o->mk_pas, o->sid_pas,
					  &o->ab_pas, NULL), 0);
	/* Tickets are wiped. */
	assert_true(all_zero(&ta, sizeof(ta)));
	assert_true(all_zero(&tp, sizeof(tp)));
	assert_memory_equal(o->mk_act, o->mk_pas, TC_HASH_LEN);
	assert_memory_equal(o->sid_act, o->sid_pas, TC_SESSID_LEN);
	assert_int_equal(o->sid_act[0], TEP | 0x80);
	assert_true(o->ab_act != o->ab_pas);
}

static void test_resume_roundtrip(void **state)
{
	uint8_t ss[TC_HASH_LEN], rid[TC_RESUME_LEN], mk[TC_HASH_LEN];
	uint8_t sid[TC_SESSID_LEN];
	struct outcome o;
	struct pair p;

	pair_init(&p, 8);
	resume_once(&p.a, peer_b, &p.b, peer_a, &o);
	assert_int_equal(o.i, 1);
	assert_true(o.ab_act);		/* original A seals with k_ab */
	assert_int_equal(o.sn_len, 16);
	/* mk[0] and the session ID from ss[1] and sn[1] directly. */
	expect_ss(1, ss, rid);
	assert_int_equal(tc_mk0(&algs, ss, o.sn, 16, mk), 0);
	assert_memory_equal(mk, o.mk_act, TC_HASH_LEN);
	assert_int_equal(tc_session_id(&algs, TEP | 0x80, ss, o.sn, 16, sid), 0);
	assert_memory_equal(sid, o.sid_act, TC_SESSID_LEN);

	/* Now the original B opens actively: it still seals with k_ba, and
	 * the next unused index is 2. */
	resume_once(&p.b, peer_a, &p.a, peer_b, &o);
	assert_int_equal(o.i, 2);
	assert_false(o.ab_act);
	assert_true(o.ab_pas);
	assert_int_equal(tc_resume_count(&p.a), 1);
	assert_int_equal(tc_resume_count(&p.b), 1);
	pair_free(&p);
}

/* sn[i] = nonce_a || nonce_b by original role, whoever opens. */
static void test_sn_order(void **state)
{
	struct tc_resume_ticket ta, tb;
	uint8_t syn[32], synack[32], sn[TC_SN_MAX];
	struct pair p;
	int n, m;

	pair_init(&p, 4);
	/* B (original role B) is the active opener, with a 3-byte nonce;
	 * A answers with 5 bytes. */
	assert_int_equal(tc_resume_set_nonce_len(&p.b, 3), 0);
	assert_int_equal(tc_resume_set_nonce_len(&p.a, 5), 0);
	assert_int_equal(tc_resume_take(&p.b, peer_a, 4, TEP, 0, 0, RNG, &tb), 0);
	n = tc_resume_encode(&tb, syn, sizeof(syn));
	assert_int_equal(n, 12);
	assert_int_equal(tc_resume_match(&p.a, peer_b, 4, TEP, syn, n, 0, 0, &trng.rng,
					 &ta), 0);
	m = tc_resume_encode(&ta, synack, sizeof(synack));
	assert_int_equal(m, 14);
	assert_int_equal(tc_resume_check_reply(&tb, synack, m), 0);
	assert_int_equal(tc_resume_sn(&tb, sn), 8);
	assert_memory_equal(sn, synack + 9, 5);		/* nonce_a first */
	assert_memory_equal(sn + 5, syn + 9, 3);	/* then nonce_b */
	tc_resume_ticket_wipe(&ta);
	tc_resume_ticket_wipe(&tb);
	pair_free(&p);
}

/* Which half each role sends. */
static void test_role_halves(void **state)
{
	uint8_t ss[TC_HASH_LEN], rid[TC_RESUME_LEN], out[32];
	struct tc_resume_ticket t;
	struct pair p;

	pair_init(&p, 4);
	expect_ss(1, ss, rid);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t), 0);
	assert_int_equal(tc_resume_encode(&t, out, sizeof(out)), 17);
	assert_memory_equal(out, rid, 9);
	assert_memory_equal(out + 9, t.nonce, 8);
	assert_int_equal(tc_resume_encode(&t, out, 16), -ENOSPC);
	tc_resume_ticket_wipe(&t);
	assert_int_equal(tc_resume_take(&p.b, peer_a, 4, TEP, 0, 0, RNG, &t), 0);
	assert_int_equal(tc_resume_encode(&t, out, sizeof(out)), 17);
	assert_memory_equal(out, rid + 9, 9);
	tc_resume_ticket_wipe(&t);
	pair_free(&p);
}

/* Lowest unused i; a failed attempt still uses its i. */
static void test_lowest_unused_i(void **state)
{
	uint8_t ss[TC_HASH_LEN], rid[TC_RESUME_LEN], syn[32];
	struct tc_resume_ticket t, tp;
	struct outcome o;
	struct pair p;
	int n;

	pair_init(&p, 4);
	/* Attempt i = 1 fails (say the SYN was lost): i = 1 is burned. */
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t), 0);
	assert_int_equal(t.i, 1);
	tc_resume_abandon(&p.a, &t, 0, 0);
	assert_true(all_zero(&t, sizeof(t)));
	/* Next proposal is i = 2, with resume[2]'s first half. */
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t), 0);
	assert_int_equal(t.i, 2);
	expect_ss(2, ss, rid);
	assert_memory_equal(t.ss, ss, TC_HASH_LEN);
	n = tc_resume_encode(&t, syn, sizeof(syn));
	assert_memory_equal(syn, rid, 9);
	/* B never saw i = 1; its look-ahead recognises i = 2. */
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, syn, n, 0, 0, &trng.rng,
					 &tp), 0);
	assert_int_equal(tp.i, 2);
	assert_memory_equal(tp.ss, ss, TC_HASH_LEN);
	tc_resume_abandon(&p.a, &t, 0, 0);
	tc_resume_abandon(&p.b, &tp, 0, 0);
	/* Both chains continue at 3. */
	resume_once(&p.a, peer_b, &p.b, peer_a, &o);
	assert_int_equal(o.i, 3);
	pair_free(&p);
}

/*
 * The look-ahead identifiers are computed on the first miss, not at
 * insertion, and kept: a proposal nobody knows costs that once and leaves
 * the entry matching i, i + 1 and i + 2 as before.
 */
static void test_lookahead_on_miss(void **state)
{
	uint8_t ss[TC_HASH_LEN], rid[TC_RESUME_LEN], syn[32];
	struct tc_resume_ticket t, tp;
	struct pair p;
	size_t k;
	int n;

	pair_init(&p, 4);
	for (k = 0; k < p.b.cap; k++)
		if (p.b.e[k].used)
			break;
	assert_true(k < p.b.cap);
	assert_int_equal(p.b.e[k].nrid, 1);
	assert_int_equal(p.b.e[k].nrid_max, 3);
	/* a proposal of no i B holds: a miss, the look-ahead now computed */
	memset(syn, 0x5a, sizeof(syn));
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, syn, 17, 0, 0, &trng.rng,
					 &tp), -ENOENT);
	assert_int_equal(p.b.e[k].nrid, 3);
	expect_ss(3, ss, rid);
	assert_memory_equal(p.b.e[k].rid[2], rid, TC_RESUME_LEN);
	/* A burns i = 1 and 2; B still recognises i = 3 */
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t), 0);
	tc_resume_abandon(&p.a, &t, 0, 0);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t), 0);
	tc_resume_abandon(&p.a, &t, 0, 0);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t), 0);
	assert_int_equal(t.i, 3);
	n = tc_resume_encode(&t, syn, sizeof(syn));
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, syn, n, 0, 0, &trng.rng,
					 &tp), 0);
	assert_int_equal(tp.i, 3);
	assert_memory_equal(tp.ss, ss, TC_HASH_LEN);
	tc_resume_abandon(&p.a, &t, 0, 0);
	tc_resume_abandon(&p.b, &tp, 0, 0);
	pair_free(&p);
}

/* Each ss[i] secures at most one connection, in either role. */
static void test_single_use(void **state)
{
	struct tc_resume_ticket t, tp, tq;
	uint8_t syn[32];
	struct pair p;
	int n;

	pair_init(&p, 4);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t), 0);
	assert_int_equal(tc_resume_count(&p.a), 0);
	/* Taken: a second proposal finds nothing. */
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &tq),
			 -ENOENT);
	n = tc_resume_encode(&t, syn, sizeof(syn));
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, syn, n, 0, 0, &trng.rng,
					 &tp), 0);
	/* The same SYN data again (replayed): nothing left to match. */
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, syn, n, 0, 0, &trng.rng,
					 &tq), -ENOENT);
	/* And the passive side may not propose that secret either. */
	assert_int_equal(tc_resume_take(&p.b, peer_a, 4, TEP, 0, 0, RNG, &tq),
			 -ENOENT);
	tc_resume_ticket_wipe(&t);
	tc_resume_ticket_wipe(&tp);
	pair_free(&p);
}

/* Both propose the same secret at once (not a simultaneous open): both
 * entries are consumed, so both connections go fresh. */
static void test_crossed_proposals(void **state)
{
	struct tc_resume_ticket ta, tb, t;
	uint8_t sa[32], sb[32];
	struct pair p;
	int na, nb;

	pair_init(&p, 4);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &ta), 0);
	assert_int_equal(tc_resume_take(&p.b, peer_a, 4, TEP, 0, 0, RNG, &tb), 0);
	na = tc_resume_encode(&ta, sa, sizeof(sa));
	nb = tc_resume_encode(&tb, sb, sizeof(sb));
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, sa, na, 0, 0, &trng.rng,
					 &t), -ENOENT);
	assert_int_equal(tc_resume_match(&p.a, peer_b, 4, TEP, sb, nb, 0, 0, &trng.rng,
					 &t), -ENOENT);
	tc_resume_ticket_wipe(&ta);
	tc_resume_ticket_wipe(&tb);
	pair_free(&p);
}

static void test_suboption_data(void **state)
{
	uint8_t half[9], nonce[8], data[18] = { 0 }, synack[32];
	struct tc_resume_ticket t, tp;
	size_t nlen = 99;
	struct pair p;
	int n;

	/* Fewer than 9 bytes: v = 0. More than 17: invalid. */
	assert_int_equal(tc_resume_decode(data, 0, half, nonce, &nlen), 0);
	assert_int_equal(tc_resume_decode(data, 8, half, nonce, &nlen), 0);
	assert_int_equal(tc_resume_decode(data, 9, half, nonce, &nlen), 1);
	assert_int_equal(nlen, 0);
	assert_int_equal(tc_resume_decode(data, 17, half, nonce, &nlen), 1);
	assert_int_equal(nlen, 8);
	assert_int_equal(tc_resume_decode(data, 18, half, nonce, &nlen),
			 -EINVAL);

	pair_init(&p, 4);
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, data, 8, 0, 0, &trng.rng,
					 &tp), -ENODATA);
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, data, 18, 0, 0, &trng.rng,
					 &tp), -EINVAL);
	/* A wrong half names nothing, and consumes nothing. */
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, data, 17, 0, 0, &trng.rng,
					 &tp), -ENOENT);
	assert_int_equal(tc_resume_count(&p.b), 1);

	/* Zero-length nonces work (9-byte suboption). */
	assert_int_equal(tc_resume_set_nonce_len(&p.a, 0), 0);
	assert_int_equal(tc_resume_set_nonce_len(&p.a, 9), -EINVAL);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t), 0);
	n = tc_resume_encode(&t, data, sizeof(data));
	assert_int_equal(n, 9);
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, data, n, 0, 0, &trng.rng,
					 &tp), 0);
	assert_int_equal(tp.peer_nonce_len, 0);
	n = tc_resume_encode(&tp, synack, sizeof(synack));
	/* The active side: a short answer is fresh, a wrong half ignored. */
	assert_int_equal(tc_resume_check_reply(&t, synack, 0), -ENODATA);
	assert_int_equal(tc_resume_check_reply(&t, synack, 18), -EINVAL);
	synack[3] ^= 1;
	assert_int_equal(tc_resume_check_reply(&t, synack, n), -ENOENT);
	assert_int_equal(tc_resume_sn(&t, data), -EINVAL);
	synack[3] ^= 1;
	/* Its own half echoed back is not the other half. */
	assert_int_equal(tc_resume_encode(&t, data, sizeof(data)), 9);
	assert_int_equal(tc_resume_check_reply(&t, data, 9), -ENOENT);
	assert_int_equal(tc_resume_check_reply(&t, synack, n), 0);
	assert_int_equal(tc_resume_sn(&t, data), 8);
	tc_resume_ticket_wipe(&t);
	tc_resume_ticket_wipe(&tp);
	pair_free(&p);
}

static void test_nonces_random(void **state)
{
	struct tc_resume_ticket t1, t2;
	struct tc_resume_cache c;

	assert_int_equal(tc_resume_cache_init(&c, &algs, 4), 0);
	assert_int_equal(c.nonce_len, 8);	/* the default */
	assert_int_equal(tc_resume_put(&c, peer_b, 4, TEP, AEAD, TC_ROLE_A, prk,
				       0, 0, 0, NULL), 0);
	assert_int_equal(tc_resume_take(&c, peer_b, 4, TEP, 0, 0, RNG, &t1), 0);
	tc_resume_abandon(&c, &t1, 0, 0);
	assert_int_equal(tc_resume_take(&c, peer_b, 4, TEP, 0, 0, RNG, &t1), 0);
	tc_resume_abandon(&c, &t1, 0, 0);
	assert_int_equal(tc_resume_take(&c, peer_b, 4, TEP, 0, 0, RNG, &t2), 0);
	assert_int_equal(t2.nonce_len, 8);
	assert_false(all_zero(t2.nonce, 8));
	tc_resume_ticket_wipe(&t2);
	tc_resume_cache_free(&c);
}

/* The nonce is the caller's rng output; no rng, no ticket. */
static void test_nonce_from_rng(void **state)
{
	struct tc_resume_ticket t, tp;
	struct test_rng r, want;
	struct pair p;
	uint8_t nonce[8], syn[32];
	int n;

	pair_init(&p, 4);
	/* without an rng nothing is taken */
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, NULL, &t),
			 -EINVAL);
	assert_int_equal(tc_resume_count(&p.a), 1);
	assert_int_equal(test_rng_init(&r, 5), 0);
	assert_int_equal(test_rng_init(&want, 5), 0);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, &r.rng,
					&t), 0);
	assert_int_equal(tc_rng_bytes(&want.rng, nonce, 8), 0);
	assert_memory_equal(t.nonce, nonce, 8);
	n = tc_resume_encode(&t, syn, sizeof(syn));
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, syn, n, 0, 0,
					 NULL, &tp), -EINVAL);
	assert_int_equal(tc_resume_count(&p.b), 1);
	/* a failing generator: its error, and the entry is used up */
	r.fail_after = (int64_t)r.drawn;
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, syn, n, 0, 0,
					 &r.rng, &tp), -EIO);
	assert_false(tp.valid);
	assert_int_equal(tc_resume_count(&p.b), 0);
	tc_resume_ticket_wipe(&t);
	test_rng_free(&r);
	test_rng_free(&want);
	pair_free(&p);
}

/*
 * RFC 8548 3.5: a SYN MUST NOT carry two resumption suboptions for one TEP.
 * The cache alone does not prevent it (two chains with one peer give two
 * tickets for the same TEP); tc_eno_set_local with tcpcrypt's repetition
 * rule refuses to build such an option, and a peer's SYN carrying one does
 * not make that TEP valid.
 */
static bool any_data_ok(uint8_t byte, const uint8_t *data, size_t len,
			bool peer, void *arg)
{
	return !(byte & TC_ENO_V) || len <= TC_RESUME_DATA_MAX;
}

static void test_one_resumption_per_tep(void **state)
{
	static const struct tc_eno_tep_ops ops = {
		.data_ok = any_data_ok,
		.repeat_ok = tc_resume_repeat_ok,
	};
	static const struct tc_eno_cfg active = { .enabled = true };
	static const struct tc_eno_cfg passive = { .enabled = true,
						   .passive = true };
	uint8_t d1[TC_RESUME_DATA_MAX], d2[TC_RESUME_DATA_MAX], prk2[TC_HASH_LEN];
	struct tc_resume_ticket t1, t2;
	struct tc_resume_cache c;
	struct tc_eno_tep_in in[3];
	struct tc_eno a, b;
	int n1, n2;

	assert_int_equal(tc_resume_cache_init(&c, &algs, 4), 0);
	assert_int_equal(tc_resume_set_nonce_len(&c, 0), 0);	/* room */
	memset(prk2, 0x5c, sizeof(prk2));
	assert_int_equal(tc_resume_put(&c, peer_b, 4, TEP, AEAD, TC_ROLE_A, prk,
				       0, 0, 0, NULL), 0);
	assert_int_equal(tc_resume_put(&c, peer_b, 4, TEP, AEAD, TC_ROLE_A,
				       prk2, 0, 0, 0, NULL), 0);
	assert_int_equal(tc_resume_take(&c, peer_b, 4, TEP, 0, 0, RNG, &t1), 0);
	assert_int_equal(tc_resume_take(&c, peer_b, 4, TEP, 0, 0, RNG, &t2), 0);
	assert_int_not_equal(t1.chain, t2.chain);
	n1 = tc_resume_encode(&t1, d1, sizeof(d1));
	n2 = tc_resume_encode(&t2, d2, sizeof(d2));
	assert_int_equal(n1, 9);
	assert_int_equal(n2, 9);
	in[0] = (struct tc_eno_tep_in){ .byte = TEP | TC_ENO_V, .data = d1,
					.len = (uint8_t)n1 };
	in[1] = (struct tc_eno_tep_in){ .byte = TEP | TC_ENO_V, .data = d2,
					.len = (uint8_t)n2 };
	in[2] = (struct tc_eno_tep_in){ .byte = TEP };

	/* two resumption suboptions for one TEP: never built */
	assert_false(tc_resume_repeat_ok(TEP, 0, 2, NULL));
	assert_int_equal(tc_eno_init(&a, &active, &ops), 0);
	assert_int_equal(tc_eno_set_local(&a, in, 2, 40), -EINVAL);
	assert_false(a.have_local);
	assert_int_equal(tc_eno_next_option(&a, true, &(const uint8_t *){0}),
			 -EAGAIN);
	/* one resumption suboption and the fresh one for the same TEP: fine */
	assert_true(tc_resume_repeat_ok(TEP, 1, 1, NULL));
	assert_int_equal(tc_eno_set_local(&a, in + 1, 2, 40), 0);

	/* a peer that sends two anyway: that TEP is not valid at B */
	{
		uint8_t syn[40];
		int len = 0;

		syn[len++] = TC_ENO_KIND;
		syn[len++] = 0;
		syn[len++] = TC_ENO_LEN_BYTE | (uint8_t)(n1 - 1);
		syn[len++] = TEP | TC_ENO_V;
		memcpy(syn + len, d1, n1);
		len += n1;
		syn[len++] = TEP | TC_ENO_V;
		memcpy(syn + len, d2, n2);
		len += n2;
		syn[1] = (uint8_t)len;
		assert_int_equal(tc_eno_init(&b, &passive, &ops), 0);
		assert_int_equal(tc_eno_on_recv(&b, TC_TCP_SYN, syn, len), 0);
		assert_int_equal(tc_eno_state(&b), TC_ENO_NEGOTIATING);
		assert_int_equal(tc_eno_pick(&b.peer, (const uint8_t[]){ TEP },
					     1, &ops), -ENOENT);
		/* with only one of them it would be */
		syn[1] = (uint8_t)(len - 1 - n2);
		assert_int_equal(tc_eno_init(&b, &passive, &ops), 0);
		assert_int_equal(tc_eno_on_recv(&b, TC_TCP_SYN, syn,
						(size_t)syn[1]), 0);
		assert_int_equal(tc_eno_pick(&b.peer, (const uint8_t[]){ TEP },
					     1, &ops), TEP);
	}
	tc_resume_ticket_wipe(&t1);
	tc_resume_ticket_wipe(&t2);
	tc_resume_cache_free(&c);
}

/* Application controls: ignore, no caching, disable, flush. */
static void test_controls(void **state)
{
	struct tc_resume_ticket t, tp;
	uint8_t mk[TC_HASH_LEN], syn[32], synack[32];
	uint64_t chain = 0, c2 = 0;
	struct pair p;
	int n, m;

	pair_init(&p, 8);
	/* Ignore: no proposal, and the entry stays. */
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP,
					TC_RESUME_F_IGNORE, 0, RNG, &t), -ENOENT);
	assert_int_equal(tc_resume_count(&p.a), 1);
	/* Ignore on the passive side: no resumption for that connection. */
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t), 0);
	n = tc_resume_encode(&t, syn, sizeof(syn));
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, syn, n,
					 TC_RESUME_F_IGNORE, 0, RNG, &tp), -ENOENT);
	assert_int_equal(tc_resume_count(&p.b), 1);
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, syn, n, 0, 0, &trng.rng,
					 &tp), 0);
	m = tc_resume_encode(&tp, synack, sizeof(synack));
	assert_int_equal(tc_resume_check_reply(&t, synack, m), 0);
	/* No caching for this connection: nothing comes back. */
	assert_int_equal(tc_resume_finish(&p.a, &t, TC_RESUME_F_NOCACHE, 0, mk,
					  NULL, NULL, &chain), 0);
	assert_int_equal(chain, 0);
	assert_int_equal(tc_resume_count(&p.a), 0);
	assert_int_equal(tc_resume_finish(&p.b, &tp, 0, 0, mk, NULL, NULL,
					  &chain), 0);
	assert_true(chain != 0);
	assert_int_equal(tc_resume_count(&p.b), 1);
	/* Flush what resulted from that connection. */
	assert_int_equal(tc_resume_flush_chain(&p.b, chain), 1);
	assert_int_equal(tc_resume_count(&p.b), 0);
	assert_int_equal(tc_resume_take(&p.b, peer_a, 4, TEP, 0, 0, RNG, &t),
			 -ENOENT);

	/* Per peer and everything. */
	assert_int_equal(tc_resume_put(&p.a, peer_b, 4, TEP, AEAD, TC_ROLE_A,
				       prk, 0, 0, 0, &chain), 0);
	assert_int_equal(tc_resume_put(&p.a, peer_a, 4, TEP, AEAD, TC_ROLE_A,
				       prk, 0, 0, 0, &c2), 0);
	assert_true(chain != c2);
	assert_int_equal(tc_resume_flush_peer(&p.a, peer_b, 4), 1);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t),
			 -ENOENT);
	assert_int_equal(tc_resume_count(&p.a), 1);
	assert_int_equal(tc_resume_flush_all(&p.a), 1);
	assert_int_equal(tc_resume_count(&p.a), 0);
	/* Flushed entries are wiped in place. */
	assert_true(all_zero(p.a.e, p.a.cap * sizeof(p.a.e[0])));

	/* Disabled: everything flushed, nothing stored, nothing offered. */
	assert_int_equal(tc_resume_put(&p.a, peer_b, 4, TEP, AEAD, TC_ROLE_A,
				       prk, 0, 0, 0, NULL), 0);
	tc_resume_set_disabled(&p.a, true);
	assert_int_equal(tc_resume_count(&p.a), 0);
	assert_int_equal(tc_resume_put(&p.a, peer_b, 4, TEP, AEAD, TC_ROLE_A,
				       prk, 0, 0, 0, &chain), 0);
	assert_int_equal(chain, 0);
	assert_int_equal(tc_resume_count(&p.a), 0);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t),
			 -ENOENT);
	tc_resume_set_disabled(&p.a, false);
	assert_int_equal(tc_resume_put(&p.a, peer_b, 4, TEP, AEAD, TC_ROLE_A,
				       prk, 0, 0, 0, NULL), 0);
	assert_int_equal(tc_resume_count(&p.a), 1);
	pair_free(&p);
}

static void test_capacity_expiry_filters(void **state)
{
	struct tc_resume_ticket t;
	struct tc_resume_cache c;
	uint8_t peers[3][4] = { { 1 }, { 2 }, { 3 } };
	int k;

	assert_int_equal(tc_resume_cache_init(&c, &algs, 2), 0);
	for (k = 0; k < 3; k++)
		assert_int_equal(tc_resume_put(&c, peers[k], 4, TEP, AEAD,
					       TC_ROLE_A, prk, 0, 0, k, NULL),
				 0);
	/* Bounded: the oldest went. */
	assert_int_equal(tc_resume_count(&c), 2);
	assert_int_equal(tc_resume_take(&c, peers[0], 4, TEP, 0, 0, RNG, &t),
			 -ENOENT);
	/* TEP filter. */
	assert_int_equal(tc_resume_take(&c, peers[1], 4, 0x21, 0, 0, RNG, &t),
			 -ENOENT);
	assert_int_equal(tc_resume_take(&c, peers[1], 4, 0, 0, 0, RNG, &t), 0);
	assert_int_equal(t.tep, TEP);
	assert_int_equal(t.aead, AEAD);		/* the original AEAD */
	tc_resume_ticket_wipe(&t);
	tc_resume_flush_all(&c);

	/* Expiry. */
	tc_resume_set_ttl(&c, 10);
	assert_int_equal(tc_resume_put(&c, peers[0], 4, TEP, AEAD, TC_ROLE_A,
				       prk, 0, 0, 100, NULL), 0);
	assert_int_equal(tc_resume_put(&c, peers[1], 4, TEP, AEAD, TC_ROLE_A,
				       prk, 0, 0, 105, NULL), 0);
	assert_int_equal(tc_resume_expire(&c, 109), 0);
	assert_int_equal(tc_resume_expire(&c, 110), 1);
	assert_int_equal(tc_resume_take(&c, peers[1], 4, TEP, 0, 115, RNG, &t),
			 -ENOENT);
	assert_int_equal(tc_resume_count(&c), 0);

	/* Bad arguments. */
	assert_int_equal(tc_resume_put(&c, peers[0], 4, 0xa3, AEAD, TC_ROLE_A,
				       prk, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(tc_resume_put(&c, peers[0], 4, TEP, 0x0003, TC_ROLE_A,
				       prk, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(tc_resume_put(&c, peers[0], 33, TEP, AEAD, TC_ROLE_A,
				       prk, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(tc_resume_set_lookahead(&c, 5), -EINVAL);
	tc_resume_cache_free(&c);
}

/* Lookahead 0: a burned i on one side ends resumption for that chain. */
static void test_no_lookahead(void **state)
{
	struct tc_resume_ticket t, tp;
	uint8_t syn[32];
	struct pair p;
	int n;

	assert_int_equal(tc_resume_cache_init(&p.a, &algs, 4), 0);
	assert_int_equal(tc_resume_cache_init(&p.b, &algs, 4), 0);
	assert_int_equal(tc_resume_set_lookahead(&p.b, 0), 0);
	assert_int_equal(tc_resume_put(&p.a, peer_b, 4, TEP, AEAD, TC_ROLE_A,
				       prk, 0, 0, 0, NULL), 0);
	assert_int_equal(tc_resume_put(&p.b, peer_a, 4, TEP, AEAD, TC_ROLE_B,
				       prk, 0, 0, 0, NULL), 0);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t), 0);
	tc_resume_abandon(&p.a, &t, 0, 0);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &t), 0);
	n = tc_resume_encode(&t, syn, sizeof(syn));
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, syn, n, 0, 0, &trng.rng,
					 &tp), -ENOENT);
	tc_resume_ticket_wipe(&t);
	pair_free(&p);
}

/*
 * Scans stop after the last entry in use: with holes in front (entries
 * taken) and behind, every entry is still found, by take, by a passive
 * match of its identifier, and by its chain.
 */
static void test_scan_past_holes(void **state)
{
	struct tc_resume_cache c;
	struct tc_resume_ticket t;
	uint8_t peer[4], syn[32];
	uint64_t chain[40];
	unsigned int i;

	assert_int_equal(tc_resume_cache_init(&c, &algs, 64), 0);
	for (i = 0; i < 40; i++) {
		memcpy(peer, "p\0\0", 3);
		peer[3] = (uint8_t)i;
		assert_int_equal(tc_resume_put(&c, peer, 4, TEP, AEAD, i & 1 ? TC_ROLE_A : TC_ROLE_B,
					       prk, 0, 0, 0, &chain[i]), 0);
	}
	/* holes: every entry below 30 with an even i goes */
	for (i = 0; i < 30; i += 2) {
		peer[3] = (uint8_t)i;
		assert_int_equal(tc_resume_take(&c, peer, 4, TEP, 0, 0, RNG, &t), 0);
		tc_resume_ticket_wipe(&t);
	}
	assert_int_equal(tc_resume_count(&c), 25);
	/* the last ones: by take, by a match of what their peer would send */
	peer[3] = 39;
	assert_int_equal(tc_resume_take(&c, peer, 4, TEP, 0, 0, RNG, &t), 0);
	tc_resume_ticket_wipe(&t);
	{
		struct tc_resume_cache other;
		int n;

		/* the peer of entry 38 (role B here) holds the same chain as A */
		assert_int_equal(tc_resume_cache_init(&other, &algs, 4), 0);
		assert_int_equal(tc_resume_put(&other, peer_b, 4, TEP, AEAD, TC_ROLE_A,
					       prk, 0, 0, 0, NULL), 0);
		assert_int_equal(tc_resume_take(&other, peer_b, 4, TEP, 0, 0, RNG, &t), 0);
		n = tc_resume_encode(&t, syn, sizeof(syn));
		tc_resume_ticket_wipe(&t);
		tc_resume_cache_free(&other);
		peer[3] = 38;
		assert_int_equal(tc_resume_match(&c, peer, 4, TEP, syn, n, 0, 0, RNG, &t), 0);
		tc_resume_ticket_wipe(&t);
	}
	assert_int_equal(tc_resume_flush_chain(&c, chain[37]), 1);
	assert_int_equal(tc_resume_flush_chain(&c, chain[36]), 1);
	assert_int_equal(tc_resume_flush_chain(&c, chain[2]), 0);	/* taken */
	assert_int_equal(tc_resume_count(&c), 21);
	tc_resume_cache_free(&c);
}

/* A resumed session's keys: each host keeps its original direction. */
static void test_resumed_traffic(void **state)
{
	struct tc_keys ka, kb;
	struct tc_frame_info info;
	uint8_t frame[128], pt[128];
	struct outcome o;
	struct pair p;
	int n;

	pair_init(&p, 4);
	/* Original B is the active opener this time. */
	resume_once(&p.b, peer_a, &p.a, peer_b, &o);
	assert_int_equal(tc_keys_init(&kb, &algs, AEAD, o.ab_act, o.mk_act, 0,
				      0), 0);
	assert_int_equal(tc_keys_init(&ka, &algs, AEAD, o.ab_pas, o.mk_pas, 0,
				      0), 0);
	n = tc_keys_seal(&kb, 0, 0, 0, (const uint8_t *)"hello", 5, frame,
			 sizeof(frame));
	assert_int_equal(tc_keys_open(&ka, 0, frame, n, &info, pt, sizeof(pt)),
			 0);
	assert_memory_equal(info.data, "hello", 5);
	n = tc_keys_seal(&ka, 0, 0, 0, (const uint8_t *)"world", 5, frame,
			 sizeof(frame));
	assert_int_equal(tc_keys_open(&kb, 0, frame, n, &info, pt, sizeof(pt)),
			 0);
	assert_memory_equal(info.data, "world", 5);
	tc_keys_free(&ka);
	tc_keys_free(&kb);
	pair_free(&p);
}

/*
 * With the key exchange's tc_hs_resume on one side and tc_resume_finish on
 * the other: same keys; tc_resume_complete caches the handshake's ss[i+1].
 */
static void test_with_hs_resume(void **state)
{
	uint8_t syn[32], synack[32], sn[TC_SN_MAX], mk[TC_HASH_LEN];
	uint8_t sid[TC_SESSID_LEN], ss[TC_HASH_LEN], rid[TC_RESUME_LEN];
	struct tc_resume_ticket ta, tp;
	struct tc_hs_result res;
	uint64_t chain = 0;
	bool ab;
	struct pair p;
	int n, m, sn_len;

	pair_init(&p, 4);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &ta), 0);
	n = tc_resume_encode(&ta, syn, sizeof(syn));
	assert_int_equal(tc_resume_match(&p.b, peer_a, 4, TEP, syn, n, 0, 0, &trng.rng,
					 &tp), 0);
	m = tc_resume_encode(&tp, synack, sizeof(synack));
	assert_int_equal(tc_resume_check_reply(&ta, synack, m), 0);

	sn_len = tc_resume_sn(&ta, sn);
	assert_int_equal(tc_hs_resume(&algs, ta.ss, sn, (size_t)sn_len,
				      (enum tc_eno_role)ta.orig_role, ta.aead,
				      ta.tep | 0x80, &res), 0);
	assert_int_equal(tc_resume_complete(&p.a, &ta, 0, res.ss_next, 0,
					    &chain), 0);
	assert_true(chain != 0);
	assert_true(all_zero(&ta, sizeof(ta)));
	assert_int_equal(tc_resume_finish(&p.b, &tp, 0, 0, mk, sid, &ab, NULL),
			 0);
	assert_memory_equal(res.mk0, mk, TC_HASH_LEN);
	assert_memory_equal(res.session_id, sid, TC_SESSID_LEN);
	assert_true(res.sends_ab);
	assert_false(ab);
	tc_hs_result_wipe(&res);

	/* Both caches now hold ss[2] at index 2. */
	expect_ss(2, ss, rid);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &ta), 0);
	assert_int_equal(ta.i, 2);
	assert_memory_equal(ta.ss, ss, TC_HASH_LEN);
	assert_int_equal(tc_resume_take(&p.b, peer_a, 4, TEP, 0, 0, RNG, &tp), 0);
	assert_int_equal(tp.i, 2);
	assert_memory_equal(tp.ss, ss, TC_HASH_LEN);
	tc_resume_ticket_wipe(&ta);
	tc_resume_ticket_wipe(&tp);

	/* put_next with what a fresh handshake hands over (ss[1]). */
	expect_ss(1, ss, rid);
	assert_int_equal(tc_resume_put_next(&p.a, peer_b, 4, TEP, AEAD,
					    TC_ROLE_A, ss, 1, 0, 0, NULL), 0);
	assert_int_equal(tc_resume_put_next(&p.a, peer_b, 4, TEP, AEAD,
					    TC_ROLE_A, ss, 0, 0, 0, NULL),
			 -EOVERFLOW);
	assert_int_equal(tc_resume_take(&p.a, peer_b, 4, TEP, 0, 0, RNG, &ta), 0);
	assert_int_equal(tc_resume_encode(&ta, syn, sizeof(syn)), 17);
	assert_memory_equal(syn, rid, 9);
	tc_resume_ticket_wipe(&ta);
	pair_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resume_roundtrip),
		cmocka_unit_test(test_sn_order),
		cmocka_unit_test(test_role_halves),
		cmocka_unit_test(test_lowest_unused_i),
		cmocka_unit_test(test_single_use),
		cmocka_unit_test(test_crossed_proposals),
		cmocka_unit_test(test_suboption_data),
		cmocka_unit_test(test_nonces_random),
		cmocka_unit_test(test_nonce_from_rng),
		cmocka_unit_test(test_one_resumption_per_tep),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_capacity_expiry_filters),
		cmocka_unit_test(test_no_lookahead),
		cmocka_unit_test(test_lookahead_on_miss),
		cmocka_unit_test(test_scan_past_holes),
		cmocka_unit_test(test_resumed_traffic),
		cmocka_unit_test(test_with_hs_resume),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
