/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpcrypt session resumption cache (RFC 8548 section 3.5).
 *
 * Each entry is one chain (one original session, one ss[0]) with one peer:
 * the next unused secret ss[i] of that chain, its index i, the TEP, the AEAD
 * of the original session (reused on resumption: the RFC leaves this open),
 * and this host's role in the original session, which decides which half of
 * resume[i] = CPRF(ss[i], CONST_RESUME, 18) it sends (A: bytes 0..8 with
 * nonce_a, B: bytes 9..17 with nonce_b) and which traffic key it seals with.
 *
 * Take-and-advance: proposing i (active side, tc_resume_take) or accepting
 * it (passive side, tc_resume_match) removes the entry, so ss[i] can secure
 * at most one connection, in either role. After mk[0] has been derived
 * (tc_resume_finish), or the attempt failed (tc_resume_abandon; the i is
 * still used), the chain goes back in the cache at ss[i+1], and ss[i] is
 * wiped. The active side therefore always proposes the lowest unused i.
 * The passive side also recognises resume[i+1..i+lookahead], so that a
 * proposal lost on the way (an i burned on one side only) does not end the
 * chain; the skipped secrets are wiped.
 *
 * A plain data structure: no threads, no globals, the caller locks it and
 * supplies the time ("now", any monotonic unit; 0 ttl means no expiry).
 * Secrets live only in memory (page-locked when the system allows it and
 * excluded from core dumps), never on disk; flush, eviction, expiry and free
 * wipe them with tc_wipe.
 */
#ifndef TC_RESUME_H
#define TC_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/algs.h"
#include "core/keysched.h"
#include "core/rng.h"

#define TC_RESUME_PEER_MAX	32	/* opaque peer key, e.g. an address */
#define TC_RESUME_DATA_MIN	TC_RESUME_HALF	/* fewer: treat as v = 0 */
#define TC_RESUME_DATA_MAX	(TC_RESUME_HALF + TC_RESUME_NONCE_MAX)
#define TC_RESUME_LOOKAHEAD_MAX	4

/* Same values as enum tc_eno_role (checked in resume.c). */
enum tc_role {
	TC_ROLE_A = 0,
	TC_ROLE_B = 1,
};

/* Per-connection policy flags (RFC 8548 3.5 application controls). */
#define TC_RESUME_F_IGNORE	0x1	/* take/match: force fresh key exchange */
#define TC_RESUME_F_NOCACHE	0x2	/* finish/abandon: cache nothing */

struct tc_resume_entry {
	bool used;
	uint8_t tep;		/* TEP identifier, v bit clear (0x21..0x24) */
	uint8_t orig_role;	/* enum tc_role in the original session */
	uint8_t peer_len;
	uint8_t nrid;		/* resume ids computed so far */
	uint8_t nrid_max;	/* 1 + look-ahead */
	uint16_t aead;
	uint32_t i;		/* index of ss */
	uint64_t chain;		/* chain identifier, for flushing */
	uint64_t expires;	/* 0: never */
	uint64_t stamp;		/* insertion order: most recent wins, oldest goes */
	uint8_t peer[TC_RESUME_PEER_MAX];
	uint8_t ss[TC_HASH_LEN];	/* ss[i] */
	/* resume[i + k]: k = 0 at insertion, the look-ahead ones (up to
	 * nrid_max - 1) when a proposal first misses every k < nrid */
	uint8_t rid[TC_RESUME_LOOKAHEAD_MAX + 1][TC_RESUME_LEN];
};

struct tc_resume_cache {
	const struct tc_algs *algs;
	struct tc_resume_entry *e;
	size_t cap;
	size_t alloc_len;
	size_t count;
	uint64_t stamp;
	uint64_t next_chain;
	uint64_t ttl;		/* lifetime of an entry, 0: no expiry */
	uint8_t nonce_len;	/* resumption nonce length, default 8 */
	uint8_t lookahead;	/* default 2 */
	bool disabled;		/* caching off for everyone */
	bool locked;		/* entries are mlock()ed */
};

/* One resumption attempt, out of the cache. Holds ss[i]: wipe via
 * tc_resume_finish or tc_resume_abandon. */
struct tc_resume_ticket {
	bool valid;
	bool passive;		/* from tc_resume_match */
	bool have_peer;		/* the peer's half matched; peer_nonce is set */
	uint8_t tep;
	uint8_t orig_role;
	uint8_t peer_len;
	uint8_t nonce_len;
	uint8_t peer_nonce_len;
	uint16_t aead;
	uint32_t i;
	uint64_t chain;
	uint8_t peer[TC_RESUME_PEER_MAX];
	uint8_t ss[TC_HASH_LEN];
	uint8_t rid[TC_RESUME_LEN];
	uint8_t nonce[TC_RESUME_NONCE_MAX];
	uint8_t peer_nonce[TC_RESUME_NONCE_MAX];
};

/* capacity entries at most (the oldest is evicted, wiped). */
int tc_resume_cache_init(struct tc_resume_cache *c, const struct tc_algs *algs,
			 size_t capacity);
void tc_resume_cache_free(struct tc_resume_cache *c);

/* Resumption nonce length, 0..8 (default 8; RFC 8548 3.5). */
int tc_resume_set_nonce_len(struct tc_resume_cache *c, unsigned int len);
/* Passive look-ahead 0..TC_RESUME_LOOKAHEAD_MAX; applies to new entries. */
int tc_resume_set_lookahead(struct tc_resume_cache *c, unsigned int n);
void tc_resume_set_ttl(struct tc_resume_cache *c, uint64_t ttl);
/* Disable (flushing everything) or re-enable caching. */
void tc_resume_set_disabled(struct tc_resume_cache *c, bool disabled);
size_t tc_resume_count(const struct tc_resume_cache *c);

/*
 * Cache the successor of the secret just used: ss_i is ss[i] (ss[0] = PRK
 * for a fresh session, i = 0, chain = 0 for a new chain); ss[i+1] is stored
 * with index i + 1. *chain_out (may be NULL) names the chain for flushing.
 * The caller wipes its ss_i. Returns 0 (nothing stored when disabled).
 */
int tc_resume_put(struct tc_resume_cache *c, const uint8_t *peer,
		  size_t peer_len, uint8_t tep, uint16_t aead,
		  enum tc_role orig_role, const uint8_t ss_i[TC_HASH_LEN],
		  uint32_t i, uint64_t chain, uint64_t now,
		  uint64_t *chain_out);

/*
 * The same when the key exchange already produced ss[i+1] (ss_next, e.g.
 * tc_hs_result.ss_next, index i_next = i + 1 >= 1): nothing is derived but
 * the look-ahead resume ids.
 */
int tc_resume_put_next(struct tc_resume_cache *c, const uint8_t *peer,
		       size_t peer_len, uint8_t tep, uint16_t aead,
		       enum tc_role orig_role,
		       const uint8_t ss_next[TC_HASH_LEN], uint32_t i_next,
		       uint64_t chain, uint64_t now, uint64_t *chain_out);

/*
 * Active opener: take the most recent live entry for peer (and tep, or any
 * tep if 0) out of the cache and draw a fresh nonce from rng (required).
 * -ENOENT when there is none (or flags has TC_RESUME_F_IGNORE, or caching
 * is disabled), the rng's error when it fails (the entry is consumed).
 */
int tc_resume_take(struct tc_resume_cache *c, const uint8_t *peer,
		   size_t peer_len, uint8_t tep, unsigned int flags,
		   uint64_t now, const struct tc_rng *rng,
		   struct tc_resume_ticket *t);

/* Suboption data this host sends: its 9-byte half || its nonce. Returns the
 * length (9..17) or -ENOSPC. */
int tc_resume_encode(const struct tc_resume_ticket *t, uint8_t *out,
		     size_t cap);

/*
 * Split received suboption data (after the TEP byte). Returns 1 with the
 * half and nonce; 0 when len < 9 (RFC 8548 3.5: treat as v = 0, a fresh
 * offer); -EINVAL when len > 17 (invalid: do not treat this TEP as valid).
 */
int tc_resume_decode(const uint8_t *data, size_t len,
		     uint8_t half[TC_RESUME_HALF],
		     uint8_t nonce[TC_RESUME_NONCE_MAX], size_t *nonce_len);

/*
 * Passive opener: the peer sent data for tep. Finds the entry whose other
 * half of resume[i] (or of a look-ahead i) equals the received half, for
 * this peer if peer_len > 0, and takes it out (it is consumed whatever
 * happens next) and draws this host's nonce from rng (required). Returns
 * 0 with the ticket (answer with tc_resume_encode), -ENODATA when the data
 * means v = 0 (fresh), -EINVAL when invalid, -ENOENT when nothing matches
 * (MUST NOT agree to resume), the rng's error when it fails.
 */
int tc_resume_match(struct tc_resume_cache *c, const uint8_t *peer,
		    size_t peer_len, uint8_t tep, const uint8_t *data,
		    size_t len, unsigned int flags, uint64_t now,
		    const struct tc_rng *rng, struct tc_resume_ticket *t);

/*
 * Active opener: the SYN-ACK's suboption data for the same TEP. 0 when the
 * half matches (resume), -ENOENT when it does not (MUST ignore the
 * suboption), -ENODATA for fewer than 9 bytes (a fresh answer), -EINVAL for
 * more than 17.
 */
int tc_resume_check_reply(struct tc_resume_ticket *t, const uint8_t *data,
			  size_t len);

/* sn[i] = nonce_a || nonce_b, ordered by the original roles. Returns the
 * length (0..16) or -EINVAL before the peer's nonce is known. */
int tc_resume_sn(const struct tc_resume_ticket *t, uint8_t sn[TC_SN_MAX]);

/*
 * Encryption is being enabled with the resumed secret: derive mk[0] from
 * ss[i] and sn[i], the session ID (first byte tep | 0x80) if sessid is not
 * NULL, then cache ss[i+1] for this chain (unless TC_RESUME_F_NOCACHE) and
 * wipe the ticket. *sends_ab tells which traffic key this host seals with.
 */
int tc_resume_finish(struct tc_resume_cache *c, struct tc_resume_ticket *t,
		     unsigned int flags, uint64_t now, uint8_t mk0[TC_HASH_LEN],
		     uint8_t sessid[TC_SESSID_LEN], bool *sends_ab,
		     uint64_t *chain_out);

/*
 * Alternative to tc_resume_finish when the caller derived mk[0] itself
 * (tc_hs_resume with t->ss and tc_resume_sn): cache its ss[i+1] for the
 * ticket's chain at index t->i + 1 (unless NOCACHE) and wipe the ticket.
 */
int tc_resume_complete(struct tc_resume_cache *c, struct tc_resume_ticket *t,
		       unsigned int flags, const uint8_t ss_next[TC_HASH_LEN],
		       uint64_t now, uint64_t *chain_out);

/* The attempt failed: i stays used; cache ss[i+1] unless NOCACHE; wipe. */
void tc_resume_abandon(struct tc_resume_cache *c, struct tc_resume_ticket *t,
		       unsigned int flags, uint64_t now);

/*
 * tcpcrypt's repetition rule for one SYN-form ENO option, shaped as a
 * struct tc_eno_tep_ops repeat_ok callback (arg unused): RFC 8548 3.5
 * forbids two resumption suboptions (v = 1) with the same TEP; a
 * resumption suboption beside a fresh one (v = 0) for the same TEP is
 * allowed (it offers nothing more than the resumption suboption implies,
 * 3.2). tc_eno_set_local refuses a local list this rejects, and
 * tc_eno_select does not treat the peer's TEP as valid.
 */
bool tc_resume_repeat_ok(uint8_t glt, unsigned int n_plain,
			 unsigned int n_data, void *arg);

/* Wipe a ticket without touching the cache (the chain ends). */
void tc_resume_ticket_wipe(struct tc_resume_ticket *t);

/* Flush: one chain, every chain with a peer, everything, expired entries.
 * Each returns the number of entries wiped. */
size_t tc_resume_flush_chain(struct tc_resume_cache *c, uint64_t chain);
size_t tc_resume_flush_peer(struct tc_resume_cache *c, const uint8_t *peer,
			    size_t peer_len);
size_t tc_resume_flush_all(struct tc_resume_cache *c);
size_t tc_resume_expire(struct tc_resume_cache *c, uint64_t now);

#endif
