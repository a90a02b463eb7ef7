// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the resumption cache (lib/core/resume.c).
 *
 * Two hosts, each with its cache: host 0 was A and host 1 was B in the
 * sessions they cache (tc_resume_put on both with the same fresh secret,
 * so their chains match). The input is a script of calls on either host:
 * put, take, match (with the other host's suboption data or with bytes
 * from the input), check_reply, finish, complete, abandon, ticket wipe,
 * flushes, expiry, disable, set_lookahead/nonce_len, time passing, and
 * tc_resume_decode on raw bytes. Invariants:
 *   - no ss[i] is ever handed out twice by one cache (take or match);
 *   - a ticket is all zero once finished, completed, abandoned or wiped;
 *   - every free cache slot is all zero (flush, eviction, expiry wipe);
 *     count matches the used slots; capacity is never exceeded;
 *   - decode: 0 below 9 bytes, -EINVAL above 17, else 1 and the parts;
 *   - when one host's proposal is accepted by the other and both finish,
 *     they derive the same mk[0] and session ID, with opposite key roles;
 *   - no crash, no leak, no undefined behaviour (ASan, UBSan).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/resume.h"
#include "unit/test_rng.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

#define NTICKETS	4
#define NPEERS		3
#define MAX_HANDED	512	/* > the calls an input can make */

static struct tc_algs algs;
static struct test_rng rng;

struct host {
	struct tc_resume_cache c;
	struct tc_resume_ticket t[NTICKETS];
	uint8_t handed[MAX_HANDED][TC_HASH_LEN];	/* every ss[i] given out */
	size_t n_handed;
	enum tc_role role;
};

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static const uint8_t peers[NPEERS][4] = {
	{ 10, 0, 0, 1 }, { 10, 0, 0, 2 }, { 192, 0, 2, 7 },
};

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void check_cache(const struct host *h)
{
	size_t k, used = 0;

	CHECK(h->c.count <= h->c.cap);
	for (k = 0; k < h->c.cap; k++) {
		const struct tc_resume_entry *e = &h->c.e[k];

		if (e->used) {
			used++;
			CHECK(e->nrid >= 1 && e->nrid <= TC_RESUME_LOOKAHEAD_MAX + 1);
			CHECK(e->i >= 1 && e->chain != 0);
			CHECK(e->orig_role == h->role);
		} else {
			CHECK(all_zero(e, sizeof(*e)));
		}
	}
	CHECK(used == h->c.count);
}

/* A ticket just handed out: its secret never was before. */
static void handed_out(struct host *h, const struct tc_resume_ticket *t)
{
	size_t k;

	CHECK(t->valid);
	CHECK(t->nonce_len == h->c.nonce_len);
	for (k = 0; k < h->n_handed; k++)
		CHECK(memcmp(h->handed[k], t->ss, TC_HASH_LEN) != 0);
	CHECK(h->n_handed < MAX_HANDED);
	memcpy(h->handed[h->n_handed++], t->ss, TC_HASH_LEN);
}

static void ticket_done(struct tc_resume_ticket *t)
{
	CHECK(all_zero(t, sizeof(*t)));
}

/* One fresh session between the hosts: the same new secret on both. */
static void put_pair(struct host *h, uint64_t *secret_no, uint8_t peer,
		     uint8_t tep, uint64_t now)
{
	static const uint16_t aeads[] = { TC_AEAD_AES_128_GCM,
					  TC_AEAD_AES_256_GCM,
					  TC_AEAD_CHACHA20_POLY1305 };
	uint8_t ss[TC_HASH_LEN] = { 0 };
	uint64_t chain;
	int i;

	/* a fresh ss[0] each time, never one seen before */
	(*secret_no)++;
	memcpy(ss, secret_no, sizeof(*secret_no));
	ss[31] = 0x5a;
	for (i = 0; i < 2; i++) {
		CHECK(tc_resume_put(&h[i].c, peers[(peer + i) % NPEERS], 4, tep,
				    aeads[peer % 3], h[i].role, ss, 0, 0, now,
				    &chain) == 0);
		CHECK(h[i].c.disabled || chain != 0);
	}
}

/* Host x proposes to host y, y answers, both finish: same keys. */
static void full_round(struct host *h, int x, uint8_t peer, uint8_t tep,
		       uint64_t now)
{
	struct tc_resume_ticket ta, tb;
	uint8_t syn[TC_RESUME_DATA_MAX], synack[TC_RESUME_DATA_MAX];
	uint8_t mk_a[TC_HASH_LEN], mk_b[TC_HASH_LEN];
	uint8_t id_a[TC_SESSID_LEN], id_b[TC_SESSID_LEN];
	int y = !x, n, m, ret;
	bool ab_a, ab_b;

	/* x names y by peers[(peer + x) % NPEERS]; y names x the other way */
	ret = tc_resume_take(&h[x].c, peers[(peer + x) % NPEERS], 4, tep, 0,
			     now, &rng.rng, &ta);
	if (ret) {
		CHECK(ret == -ENOENT);
		return;
	}
	handed_out(&h[x], &ta);
	n = tc_resume_encode(&ta, syn, sizeof(syn));
	CHECK(n == TC_RESUME_HALF + h[x].c.nonce_len);
	ret = tc_resume_match(&h[y].c, peers[(peer + y) % NPEERS], 4, ta.tep,
			      syn, (size_t)n, 0, now, &rng.rng, &tb);
	if (ret) {
		CHECK(ret == -ENOENT);
		tc_resume_abandon(&h[x].c, &ta, 0, now);
		ticket_done(&ta);
		return;
	}
	handed_out(&h[y], &tb);
	/* y recognised resume[ta.i] (directly or by look-ahead) */
	CHECK(tb.i == ta.i && tb.chain && tb.tep == ta.tep);
	m = tc_resume_encode(&tb, synack, sizeof(synack));
	CHECK(tc_resume_check_reply(&ta, synack, (size_t)m) == 0);
	CHECK(tc_resume_finish(&h[x].c, &ta, 0, now, mk_a, id_a, &ab_a,
			       NULL) == 0);
	CHECK(tc_resume_finish(&h[y].c, &tb, 0, now, mk_b, id_b, &ab_b,
			       NULL) == 0);
	ticket_done(&ta);
	ticket_done(&tb);
	CHECK(!memcmp(mk_a, mk_b, TC_HASH_LEN));
	CHECK(!memcmp(id_a, id_b, TC_SESSID_LEN));
	CHECK(ab_a == (h[x].role == TC_ROLE_A) && ab_b == !ab_a);
}

static void decode(struct input *in)
{
	uint8_t data[32], half[TC_RESUME_HALF], nonce[TC_RESUME_NONCE_MAX];
	size_t len = u8(in) % 24, nlen = 99, i;
	int ret;

	for (i = 0; i < len; i++)
		data[i] = u8(in);
	ret = tc_resume_decode(data, len, half, nonce, &nlen);
	if (len > TC_RESUME_DATA_MAX) {
		CHECK(ret == -EINVAL);
	} else if (len < TC_RESUME_DATA_MIN) {
		CHECK(ret == 0);
	} else {
		CHECK(ret == 1 && nlen == len - TC_RESUME_HALF);
		CHECK(!memcmp(half, data, TC_RESUME_HALF));
		CHECK(!memcmp(nonce, data + TC_RESUME_HALF, nlen));
	}
}

/* One call on host h; the other host is o (for real suboption data). */
static void step(struct host *hosts, struct input *in, uint64_t *now,
		 uint64_t *secret_no)
{
	uint8_t op = u8(in), sel = u8(in), x = sel & 1;
	struct host *h = &hosts[x], *o = &hosts[!x];
	struct tc_resume_ticket *t = &h->t[(sel >> 1) % NTICKETS];
	/* the other host's ticket in the same slot */
	struct tc_resume_ticket *ot = &o->t[(sel >> 1) % NTICKETS];
	uint8_t peer = (sel >> 3) % NPEERS, tep = 0x21 + ((sel >> 5) & 3);
	uint8_t data[32], mk[TC_HASH_LEN], id[TC_SESSID_LEN], sn[TC_SN_MAX];
	unsigned int flags = (op >> 5) & 3;
	size_t len, i;
	bool ab;
	int ret;

	switch ((op & 0x1f) % 18) {
	case 0:
		put_pair(hosts, secret_no, peer, tep, *now);
		break;
	case 1:		/* take (tep 0: any) */
		if (t->valid)
			tc_resume_abandon(&h->c, t, 0, *now);
		ret = tc_resume_take(&h->c, peers[(peer + x) % NPEERS], 4,
				     op & 0x80 ? 0 : tep, flags, *now,
				     &rng.rng, t);
		if (ret)
			CHECK(ret == -ENOENT && !t->valid);
		else
			handed_out(h, t);
		break;
	case 2:		/* match the other host's ticket, or input bytes */
		if (t->valid)
			tc_resume_abandon(&h->c, t, 0, *now);
		len = 0;
		if (ot->valid && !(op & 0x80)) {
			ret = tc_resume_encode(ot, data,
					       sizeof(data));
			CHECK(ret > 0);
			len = (size_t)ret;
			tep = ot->tep;
		} else {
			len = u8(in) % 20;
			for (i = 0; i < len; i++)
				data[i] = u8(in);
		}
		/* peer_len 0: accept a half from any peer */
		ret = tc_resume_match(&h->c, op & 0x40 ? NULL : peers[(peer + x) % NPEERS],
				      op & 0x40 ? 0 : 4, tep, data, len, flags,
				      *now, &rng.rng, t);
		if (ret)
			CHECK((ret == -ENOENT || ret == -ENODATA ||
			       ret == -EINVAL) && !t->valid);
		else
			handed_out(h, t);
		break;
	case 3:		/* the reply to a proposal, from the other host */
		if (!t->valid)
			break;
		if (ot->valid) {
			ret = tc_resume_encode(ot, data,
					       sizeof(data));
			len = (size_t)ret;
		} else {
			len = u8(in) % 20;
			for (i = 0; i < len; i++)
				data[i] = u8(in);
		}
		ret = tc_resume_check_reply(t, data, len);
		CHECK(ret == 0 || ret == -ENOENT || ret == -ENODATA ||
		      ret == -EINVAL);
		CHECK(t->valid);
		if (!ret)
			CHECK(t->have_peer && tc_resume_sn(t, sn) >= 0);
		break;
	case 4:
		if (!t->valid)
			break;
		ret = tc_resume_finish(&h->c, t, flags, *now, mk, id, &ab,
				       NULL);
		if (ret) {
			/* only before the peer's half is known */
			CHECK(ret == -EINVAL && t->valid && !t->have_peer);
		} else {
			ticket_done(t);
		}
		break;
	case 5:
		if (!t->valid)
			break;
		/* what tc_hs_resume computes for the cache */
		CHECK(tc_ss_next(&algs, t->ss, mk) == 0);
		ret = tc_resume_complete(&h->c, t, flags, mk, *now, NULL);
		CHECK(ret == 0);
		ticket_done(t);
		break;
	case 6:
		tc_resume_abandon(&h->c, t, flags, *now);
		ticket_done(t);
		break;
	case 7:
		tc_resume_ticket_wipe(t);
		ticket_done(t);
		break;
	case 8:
		tc_resume_flush_chain(&h->c, u8(in) % 8);
		break;
	case 9:
		tc_resume_flush_peer(&h->c, peers[peer], op & 0x80 ? 0 : 4);
		break;
	case 10:
		tc_resume_flush_all(&h->c);
		CHECK(h->c.count == 0);
		break;
	case 11:
		*now += u8(in);
		tc_resume_expire(&h->c, *now);
		break;
	case 12:
		tc_resume_set_disabled(&h->c, op & 0x80);
		if (op & 0x80)
			CHECK(h->c.count == 0);
		break;
	case 13:
		ret = tc_resume_set_lookahead(&h->c, u8(in) % 6);
		CHECK(ret == 0 || ret == -EINVAL);
		break;
	case 14:
		/* both hosts: a different length on each side is allowed */
		ret = tc_resume_set_nonce_len(&h->c, u8(in) % 10);
		CHECK(ret == 0 || ret == -EINVAL);
		break;
	case 15:
		decode(in);
		break;
	case 16:
		full_round(hosts, x, peer, tep, *now);
		break;
	case 17:
		*now += 1000;
		break;
	}
	check_cache(&hosts[0]);
	check_cache(&hosts[1]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (tc_algs_init(&algs))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	static struct host hosts[2];
	uint64_t now = 1, secret_no = 0, ttl;
	size_t cap;
	int i, k;

	if (size < 2 || size > 512)	/* short scripts: more of them per second */
		return 0;
	/* the same draws for every input, so a finding replays */
	CHECK(test_rng_init(&rng, 3) == 0);
	cap = 1 + u8(&in) % 6;
	ttl = u8(&in) % 4 * 50;		/* 0: no expiry */
	memset(hosts, 0, sizeof(hosts));
	for (i = 0; i < 2; i++) {
		CHECK(tc_resume_cache_init(&hosts[i].c, &algs, cap) == 0);
		tc_resume_set_ttl(&hosts[i].c, ttl);
		hosts[i].role = i ? TC_ROLE_B : TC_ROLE_A;
	}
	while (in.n)
		step(hosts, &in, &now, &secret_no);
	for (i = 0; i < 2; i++) {
		for (k = 0; k < NTICKETS; k++) {
			tc_resume_abandon(&hosts[i].c, &hosts[i].t[k], 0, now);
			ticket_done(&hosts[i].t[k]);
		}
		check_cache(&hosts[i]);
		tc_resume_cache_free(&hosts[i].c);
		CHECK(all_zero(&hosts[i].c, sizeof(hosts[i].c)));
	}
	test_rng_free(&rng);
	return 0;
}
