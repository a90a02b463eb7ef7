// SPDX-License-Identifier: GPL-2.0
/* tcpcrypt session resumption cache (RFC 8548 section 3.5). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <openssl/crypto.h>

#include "core/eno.h"
#include "core/resume.h"

/* The roles are ENO's (RFC 8547 4.3); keep the values interchangeable. */
_Static_assert(TC_ROLE_A == (int)TC_ENO_ROLE_A &&
	       TC_ROLE_B == (int)TC_ENO_ROLE_B, "role values differ from ENO's");

int tc_resume_cache_init(struct tc_resume_cache *c, const struct tc_algs *algs,
			 size_t capacity)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len;
	void *p;

	memset(c, 0, sizeof(*c));
	if (!algs || capacity == 0 ||
	    capacity > SIZE_MAX / sizeof(struct tc_resume_entry) / 2)
		return -EINVAL;
	if (page <= 0)
		page = 4096;
	len = capacity * sizeof(struct tc_resume_entry);
	len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	if (posix_memalign(&p, (size_t)page, len))
		return -ENOMEM;
	memset(p, 0, len);
	/* Best effort: keep secrets out of swap and out of core dumps. */
	c->locked = mlock(p, len) == 0;
	madvise(p, len, MADV_DONTDUMP);
	c->e = p;
	c->alloc_len = len;
	c->cap = capacity;
	c->algs = algs;
	c->nonce_len = TC_RESUME_NONCE_MAX;
	c->lookahead = 2;
	c->next_chain = 1;
	return 0;
}

static void entry_wipe(struct tc_resume_cache *c, struct tc_resume_entry *e)
{
	if (e->used)
		c->count--;
	tc_wipe(e, sizeof(*e));
}

void tc_resume_cache_free(struct tc_resume_cache *c)
{
	if (c->e) {
		tc_wipe(c->e, c->alloc_len);
		if (c->locked)
			munlock(c->e, c->alloc_len);
		free(c->e);
	}
	tc_wipe(c, sizeof(*c));
}

int tc_resume_set_nonce_len(struct tc_resume_cache *c, unsigned int len)
{
	if (len > TC_RESUME_NONCE_MAX)
		return -EINVAL;
	c->nonce_len = (uint8_t)len;
	return 0;
}

int tc_resume_set_lookahead(struct tc_resume_cache *c, unsigned int n)
{
	if (n > TC_RESUME_LOOKAHEAD_MAX)
		return -EINVAL;
	c->lookahead = (uint8_t)n;
	return 0;
}

void tc_resume_set_ttl(struct tc_resume_cache *c, uint64_t ttl)
{
	c->ttl = ttl;
}

void tc_resume_set_disabled(struct tc_resume_cache *c, bool disabled)
{
	c->disabled = disabled;
	if (disabled)
		tc_resume_flush_all(c);
}

size_t tc_resume_count(const struct tc_resume_cache *c)
{
	return c->count;
}

static bool expired(const struct tc_resume_entry *e, uint64_t now)
{
	return e->expires && now >= e->expires;
}

static bool peer_eq(const uint8_t *a, size_t alen, const uint8_t *b,
		    size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* This host's half of resume[i]: its original role decides. */
static const uint8_t *own_half(const uint8_t *rid, uint8_t role)
{
	return role == TC_ROLE_A ? rid : rid + TC_RESUME_HALF;
}

static const uint8_t *other_half(const uint8_t *rid, uint8_t role)
{
	return role == TC_ROLE_A ? rid + TC_RESUME_HALF : rid;
}

/*
 * The next entry in use from slot *k on, or NULL once the cache's entries
 * in use (left, counted down) have all been seen: a cache holding few is
 * not read whole. Entries wiped on the way do not disturb the walk.
 */
static struct tc_resume_entry *next_used(struct tc_resume_cache *c, size_t *k,
					 size_t *left)
{
	for (; *k < c->cap && *left; (*k)++)
		if (c->e[*k].used) {
			(*left)--;
			return &c->e[(*k)++];
		}
	return NULL;
}

#define for_each_used(c, e, k, left) \
	for ((k) = 0, (left) = (c)->count; ((e) = next_used(c, &(k), &(left))); )

/* Could e hold the secret a proposal for tep from peer names? */
static bool candidate(const struct tc_resume_entry *e, uint8_t tep,
		      const uint8_t *peer, size_t peer_len)
{
	return e->tep == tep &&
	       (!peer_len || peer_eq(e->peer, e->peer_len, peer, peer_len));
}

/* The k in [from, nrid) whose resume[i + k] has the peer's half, or -1. */
static int rid_index(const struct tc_resume_entry *e, const uint8_t *half,
		     unsigned int from)
{
	unsigned int k;

	for (k = from; k < e->nrid; k++)
		if (CRYPTO_memcmp(other_half(e->rid[k], e->orig_role), half,
				  TC_RESUME_HALF) == 0)
			return (int)k;
	return -1;
}

/* ss <- ss[next], through a temporary (no aliasing into the KDF). */
static int ss_step(const struct tc_algs *algs, uint8_t ss[TC_HASH_LEN])
{
	uint8_t next[TC_HASH_LEN];
	int err;

	err = tc_ss_next(algs, ss, next);
	if (!err)
		memcpy(ss, next, TC_HASH_LEN);
	tc_wipe(next, sizeof(next));
	return err;
}

/* A free slot, wiping an expired entry or evicting the oldest. */
static struct tc_resume_entry *slot_for_insert(struct tc_resume_cache *c,
					       uint64_t now)
{
	struct tc_resume_entry *e, *oldest = NULL;
	size_t k;

	for (k = 0; k < c->cap; k++) {
		e = &c->e[k];
		if (!e->used)
			return e;
		if (expired(e, now)) {
			entry_wipe(c, e);
			return e;
		}
		if (!oldest || e->stamp < oldest->stamp)
			oldest = e;
	}
	entry_wipe(c, oldest);
	return oldest;
}

int tc_resume_put_next(struct tc_resume_cache *c, const uint8_t *peer,
		       size_t peer_len, uint8_t tep, uint16_t aead,
		       enum tc_role orig_role,
		       const uint8_t ss_next[TC_HASH_LEN], uint32_t i_next,
		       uint64_t chain, uint64_t now, uint64_t *chain_out)
{
	struct tc_resume_entry tmp, *e;
	int err = 0;

	if (chain_out)
		*chain_out = 0;
	if (peer_len > TC_RESUME_PEER_MAX || (peer_len && !peer) || !ss_next ||
	    (tep & 0x80) || tep < 0x20 || !tc_aead_info(aead) ||
	    (orig_role != TC_ROLE_A && orig_role != TC_ROLE_B))
		return -EINVAL;
	/* Room for the look-ahead indices too. */
	if (i_next == 0 || i_next > UINT32_MAX - TC_RESUME_LOOKAHEAD_MAX)
		return -EOVERFLOW;
	if (c->disabled)
		return 0;

	memset(&tmp, 0, sizeof(tmp));
	memcpy(tmp.ss, ss_next, TC_HASH_LEN);
	/* resume[i_next] now; the look-ahead ones only if a proposal misses */
	err = tc_resume_id(c->algs, ss_next, tmp.rid[0]);
	if (err)
		goto out;
	tmp.nrid = 1;
	tmp.nrid_max = c->lookahead + 1;
	if (chain)
		tc_resume_flush_chain(c, chain);	/* at most one per chain */
	else
		chain = c->next_chain++;
	tmp.used = true;
	tmp.tep = tep;
	tmp.orig_role = (uint8_t)orig_role;
	tmp.aead = aead;
	tmp.i = i_next;
	tmp.chain = chain;
	tmp.expires = c->ttl ? now + c->ttl : 0;
	tmp.stamp = ++c->stamp;
	tmp.peer_len = (uint8_t)peer_len;
	if (peer_len)
		memcpy(tmp.peer, peer, peer_len);
	e = slot_for_insert(c, now);
	memcpy(e, &tmp, sizeof(*e));
	c->count++;
	if (chain_out)
		*chain_out = chain;
out:
	tc_wipe(&tmp, sizeof(tmp));
	return err;
}

int tc_resume_put(struct tc_resume_cache *c, const uint8_t *peer,
		  size_t peer_len, uint8_t tep, uint16_t aead,
		  enum tc_role orig_role, const uint8_t ss_i[TC_HASH_LEN],
		  uint32_t i, uint64_t chain, uint64_t now,
		  uint64_t *chain_out)
{
	uint8_t next[TC_HASH_LEN];
	int err;

	if (chain_out)
		*chain_out = 0;
	if (!ss_i)
		return -EINVAL;
	if (c->disabled)
		return 0;
	if (i == UINT32_MAX)
		return -EOVERFLOW;
	err = tc_ss_next(c->algs, ss_i, next);
	if (!err)
		err = tc_resume_put_next(c, peer, peer_len, tep, aead,
					 orig_role, next, i + 1, chain, now,
					 chain_out);
	tc_wipe(next, sizeof(next));
	return err;
}

static int draw_nonce(struct tc_resume_cache *c, const struct tc_rng *rng,
		      struct tc_resume_ticket *t)
{
	t->nonce_len = c->nonce_len;
	return t->nonce_len ? tc_rng_bytes(rng, t->nonce, t->nonce_len) : 0;
}

/* resume[i + k] for the rest of e's look-ahead (k = nrid..nrid_max - 1). */
static int look_ahead(struct tc_resume_cache *c, struct tc_resume_entry *e)
{
	uint8_t ss[TC_HASH_LEN];
	unsigned int k;
	int err = 0;

	memcpy(ss, e->ss, sizeof(ss));
	for (k = 1; k < e->nrid_max && !err; k++) {
		err = ss_step(c->algs, ss);
		if (!err && k >= e->nrid) {
			err = tc_resume_id(c->algs, ss, e->rid[k]);
			if (!err)
				e->nrid = k + 1;
		}
	}
	tc_wipe(ss, sizeof(ss));
	return err;
}

/* Move entry e (its ss advanced k steps) into a ticket; e is wiped. */
static int to_ticket(struct tc_resume_cache *c, struct tc_resume_entry *e,
		     unsigned int k, const struct tc_rng *rng,
		     struct tc_resume_ticket *t)
{
	unsigned int s;
	int err = 0;

	memset(t, 0, sizeof(*t));
	memcpy(t->ss, e->ss, TC_HASH_LEN);
	for (s = 0; s < k && !err; s++)
		err = ss_step(c->algs, t->ss);
	t->tep = e->tep;
	t->orig_role = e->orig_role;
	t->aead = e->aead;
	t->i = e->i + k;
	t->chain = e->chain;
	t->peer_len = e->peer_len;
	memcpy(t->peer, e->peer, e->peer_len);
	memcpy(t->rid, e->rid[k], TC_RESUME_LEN);
	/* Consumed whatever happens next: ss[i] is used at most once. */
	entry_wipe(c, e);
	if (!err)
		err = draw_nonce(c, rng, t);
	if (err) {
		tc_resume_ticket_wipe(t);
		return err;
	}
	t->valid = true;
	return 0;
}

int tc_resume_take(struct tc_resume_cache *c, const uint8_t *peer,
		   size_t peer_len, uint8_t tep, unsigned int flags,
		   uint64_t now, const struct tc_rng *rng,
		   struct tc_resume_ticket *t)
{
	struct tc_resume_entry *e, *best = NULL;
	size_t k, left;

	memset(t, 0, sizeof(*t));
	if (peer_len > TC_RESUME_PEER_MAX || (peer_len && !peer) || !rng)
		return -EINVAL;
	if ((flags & TC_RESUME_F_IGNORE) || c->disabled)
		return -ENOENT;
	for_each_used(c, e, k, left) {
		if (expired(e, now)) {
			entry_wipe(c, e);
			continue;
		}
		if (!peer_eq(e->peer, e->peer_len, peer, peer_len) ||
		    (tep && e->tep != tep))
			continue;
		if (!best || e->stamp > best->stamp)
			best = e;
	}
	if (!best)
		return -ENOENT;
	return to_ticket(c, best, 0, rng, t);
}

int tc_resume_encode(const struct tc_resume_ticket *t, uint8_t *out,
		     size_t cap)
{
	size_t len;

	if (!t->valid)
		return -EINVAL;
	len = TC_RESUME_HALF + t->nonce_len;
	if (cap < len)
		return -ENOSPC;
	memcpy(out, own_half(t->rid, t->orig_role), TC_RESUME_HALF);
	memcpy(out + TC_RESUME_HALF, t->nonce, t->nonce_len);
	return (int)len;
}

int tc_resume_decode(const uint8_t *data, size_t len,
		     uint8_t half[TC_RESUME_HALF],
		     uint8_t nonce[TC_RESUME_NONCE_MAX], size_t *nonce_len)
{
	if (len > TC_RESUME_DATA_MAX)
		return -EINVAL;
	if (len < TC_RESUME_DATA_MIN)
		return 0;
	memcpy(half, data, TC_RESUME_HALF);
	*nonce_len = len - TC_RESUME_HALF;
	memcpy(nonce, data + TC_RESUME_HALF, *nonce_len);
	return 1;
}

int tc_resume_match(struct tc_resume_cache *c, const uint8_t *peer,
		    size_t peer_len, uint8_t tep, const uint8_t *data,
		    size_t len, unsigned int flags, uint64_t now,
		    const struct tc_rng *rng, struct tc_resume_ticket *t)
{
	uint8_t half[TC_RESUME_HALF], nonce[TC_RESUME_NONCE_MAX];
	struct tc_resume_entry *e;
	size_t k, left, nlen = 0;
	int j, ret;

	memset(t, 0, sizeof(*t));
	if (peer_len > TC_RESUME_PEER_MAX || (peer_len && !peer) ||
	    (len && !data) || !rng)
		return -EINVAL;
	ret = tc_resume_decode(data, len, half, nonce, &nlen);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return -ENODATA;
	if ((flags & TC_RESUME_F_IGNORE) || c->disabled)
		return -ENOENT;
	for_each_used(c, e, k, left) {
		if (expired(e, now)) {
			entry_wipe(c, e);
			continue;
		}
		if (candidate(e, tep, peer, peer_len) && (j = rid_index(e, half, 0)) >= 0)
			goto found;
	}
	/* A missed: the peer may have burned secrets we did not see */
	for_each_used(c, e, k, left) {
		unsigned int from = e->nrid;

		if (from >= e->nrid_max || !candidate(e, tep, peer, peer_len) ||
		    look_ahead(c, e))
			continue;
		j = rid_index(e, half, from);
		if (j >= 0)
			goto found;
	}
	return -ENOENT;
found:
	ret = to_ticket(c, e, (unsigned int)j, rng, t);
	if (ret)
		return ret;
	t->passive = true;
	t->have_peer = true;
	t->peer_nonce_len = (uint8_t)nlen;
	memcpy(t->peer_nonce, nonce, nlen);
	return 0;
}

int tc_resume_check_reply(struct tc_resume_ticket *t, const uint8_t *data,
			  size_t len)
{
	uint8_t half[TC_RESUME_HALF], nonce[TC_RESUME_NONCE_MAX];
	size_t nlen = 0;
	int ret;

	if (!t->valid || (len && !data))
		return -EINVAL;
	ret = tc_resume_decode(data, len, half, nonce, &nlen);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return -ENODATA;
	if (CRYPTO_memcmp(other_half(t->rid, t->orig_role), half,
			  TC_RESUME_HALF) != 0)
		return -ENOENT;
	t->have_peer = true;
	t->peer_nonce_len = (uint8_t)nlen;
	memcpy(t->peer_nonce, nonce, nlen);
	return 0;
}

int tc_resume_sn(const struct tc_resume_ticket *t, uint8_t sn[TC_SN_MAX])
{
	const uint8_t *na, *nb;
	size_t la, lb;

	if (!t->valid || !t->have_peer)
		return -EINVAL;
	if (t->orig_role == TC_ROLE_A) {
		na = t->nonce, la = t->nonce_len;
		nb = t->peer_nonce, lb = t->peer_nonce_len;
	} else {
		na = t->peer_nonce, la = t->peer_nonce_len;
		nb = t->nonce, lb = t->nonce_len;
	}
	memcpy(sn, na, la);
	memcpy(sn + la, nb, lb);
	return (int)(la + lb);
}

int tc_resume_finish(struct tc_resume_cache *c, struct tc_resume_ticket *t,
		     unsigned int flags, uint64_t now, uint8_t mk0[TC_HASH_LEN],
		     uint8_t sessid[TC_SESSID_LEN], bool *sends_ab,
		     uint64_t *chain_out)
{
	uint8_t sn[TC_SN_MAX];
	int sn_len, err;

	if (chain_out)
		*chain_out = 0;
	sn_len = tc_resume_sn(t, sn);
	if (sn_len < 0)
		return sn_len;
	err = tc_mk0(c->algs, t->ss, sn, (size_t)sn_len, mk0);
	if (!err && sessid)
		err = tc_session_id(c->algs, t->tep | 0x80, t->ss, sn,
				    (size_t)sn_len, sessid);
	if (err) {
		tc_wipe(mk0, TC_HASH_LEN);
		tc_wipe(sn, sizeof(sn));
		return err;
	}
	if (sends_ab)
		*sends_ab = t->orig_role == TC_ROLE_A;
	/* A failed put only ends the chain; mk0 is good either way. */
	if (!(flags & TC_RESUME_F_NOCACHE))
		tc_resume_put(c, t->peer, t->peer_len, t->tep, t->aead,
			      t->orig_role, t->ss, t->i, t->chain, now,
			      chain_out);
	tc_wipe(sn, sizeof(sn));
	tc_resume_ticket_wipe(t);
	return 0;
}

int tc_resume_complete(struct tc_resume_cache *c, struct tc_resume_ticket *t,
		       unsigned int flags, const uint8_t ss_next[TC_HASH_LEN],
		       uint64_t now, uint64_t *chain_out)
{
	int err = 0;

	if (chain_out)
		*chain_out = 0;
	if (!t->valid) {
		tc_resume_ticket_wipe(t);
		return -EINVAL;
	}
	if (!(flags & TC_RESUME_F_NOCACHE))
		err = tc_resume_put_next(c, t->peer, t->peer_len, t->tep,
					 t->aead, t->orig_role, ss_next,
					 t->i + 1, t->chain, now, chain_out);
	tc_resume_ticket_wipe(t);
	return err;
}

void tc_resume_abandon(struct tc_resume_cache *c, struct tc_resume_ticket *t,
		       unsigned int flags, uint64_t now)
{
	if (t->valid && !(flags & TC_RESUME_F_NOCACHE))
		tc_resume_put(c, t->peer, t->peer_len, t->tep, t->aead,
			      t->orig_role, t->ss, t->i, t->chain, now, NULL);
	tc_resume_ticket_wipe(t);
}

bool tc_resume_repeat_ok(uint8_t glt, unsigned int n_plain,
			 unsigned int n_data, void *arg)
{
	return n_data <= 1 && n_plain <= 1;
}

void tc_resume_ticket_wipe(struct tc_resume_ticket *t)
{
	tc_wipe(t, sizeof(*t));
}

size_t tc_resume_flush_chain(struct tc_resume_cache *c, uint64_t chain)
{
	struct tc_resume_entry *e;
	size_t k, left, n = 0;

	for_each_used(c, e, k, left)
		if (e->chain == chain) {
			entry_wipe(c, e);
			n++;
		}
	return n;
}

size_t tc_resume_flush_peer(struct tc_resume_cache *c, const uint8_t *peer,
			    size_t peer_len)
{
	struct tc_resume_entry *e;
	size_t k, left, n = 0;

	for_each_used(c, e, k, left)
		if (peer_eq(e->peer, e->peer_len, peer, peer_len)) {
			entry_wipe(c, e);
			n++;
		}
	return n;
}

size_t tc_resume_flush_all(struct tc_resume_cache *c)
{
	struct tc_resume_entry *e;
	size_t k, left, n = 0;

	for_each_used(c, e, k, left) {
		entry_wipe(c, e);
		n++;
	}
	return n;
}

size_t tc_resume_expire(struct tc_resume_cache *c, uint64_t now)
{
	struct tc_resume_entry *e;
	size_t k, left, n = 0;

	for_each_used(c, e, k, left)
		if (expired(e, now)) {
			entry_wipe(c, e);
			n++;
		}
	return n;
}
