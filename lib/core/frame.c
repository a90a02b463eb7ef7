// SPDX-License-Identifier: GPL-2.0
/* tcpcrypt encryption frames, rekey generations and reassembly. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/frame.h"
#include "core/keysched.h"

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- one key ---- */

int tc_frame_key_init(struct tc_frame_key *fk, const EVP_CIPHER *cipher,
		      uint16_t aead_id, const uint8_t *k_nr, bool enc)
{
	const struct tc_aead_info *ai = tc_aead_info(aead_id);

	memset(fk, 0, sizeof(*fk));
	if (!ai || !cipher || !k_nr || ai->nonce_len != TC_FRAME_NONCE_MAX ||
	    ai->tag_len != TC_FRAME_TAG_LEN ||
	    (size_t)EVP_CIPHER_get_key_length(cipher) != ai->key_len ||
	    (size_t)EVP_CIPHER_get_iv_length(cipher) != ai->nonce_len)
		return -EINVAL;
	fk->ctx = EVP_CIPHER_CTX_new();
	if (!fk->ctx)
		return -ENOMEM;
	/* The key schedule runs once here; per frame only the IV changes. */
	if (EVP_CipherInit_ex2(fk->ctx, cipher, k_nr, NULL, enc, NULL) != 1) {
		EVP_CIPHER_CTX_free(fk->ctx);
		fk->ctx = NULL;
		return -EIO;
	}
	memcpy(fk->nr, k_nr + ai->key_len, ai->nonce_len);
	fk->nonce_len = ai->nonce_len;
	fk->enc = enc;
	return 0;
}

void tc_frame_key_free(struct tc_frame_key *fk)
{
	/* EVP_CIPHER_CTX_free cleanses the key schedule. */
	EVP_CIPHER_CTX_free(fk->ctx);
	tc_wipe(fk, sizeof(*fk));
}

/* N = NR XOR frame_ID, frame_ID = 0^(nonce_len-8) || offset (BE). */
static inline void make_nonce(const struct tc_frame_key *fk, uint64_t offset,
			      uint8_t *iv)
{
	unsigned int i, n = fk->nonce_len;

	memcpy(iv, fk->nr, n);
	for (i = 0; i < 8; i++)
		iv[n - 1 - i] ^= (uint8_t)(offset >> (8 * i));
}

int tc_frame_aead(struct tc_frame_key *fk, uint64_t offset,
		  const uint8_t *ad, size_t ad_len, const uint8_t *hdr,
		  size_t hdr_len, const uint8_t *in, size_t in_len,
		  uint8_t *out, uint8_t tag[TC_FRAME_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = fk->ctx;
	uint8_t iv[TC_FRAME_NONCE_MAX];
	int outl, total = 0, ok;

	if (!ctx || hdr_len > INT32_MAX || in_len > INT32_MAX ||
	    ad_len > INT32_MAX)
		return -EINVAL;
	make_nonce(fk, offset, iv);
	ok = EVP_CipherInit_ex2(ctx, NULL, NULL, iv, fk->enc, NULL) == 1;
	tc_wipe(iv, sizeof(iv));
	if (!ok)
		return -EIO;
	if (!fk->enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
					    TC_FRAME_TAG_LEN, tag) != 1)
		return -EIO;
	if (ad_len && EVP_CipherUpdate(ctx, NULL, &outl, ad, (int)ad_len) != 1)
		return -EIO;
	if (hdr_len) {
		if (EVP_CipherUpdate(ctx, out, &outl, hdr, (int)hdr_len) != 1)
			goto fail;
		total += outl;
	}
	if (in_len) {
		if (EVP_CipherUpdate(ctx, out + total, &outl, in,
				     (int)in_len) != 1)
			goto fail;
		total += outl;
	}
	if (EVP_CipherFinal_ex(ctx, out + total, &outl) != 1) {
		if (!fk->enc) {
			/* Tag mismatch: never let unauthenticated bytes out. */
			tc_wipe(out, hdr_len + in_len);
			return -EBADMSG;
		}
		goto fail;
	}
	total += outl;
	if ((size_t)total != hdr_len + in_len)
		goto fail;
	if (fk->enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
					   TC_FRAME_TAG_LEN, tag) != 1)
		goto fail;
	return 0;
fail:
	tc_wipe(out, hdr_len + in_len);
	return -EIO;
}

int tc_frame_seal(struct tc_frame_key *fk, uint64_t offset, uint8_t control,
		  uint8_t flags, uint16_t urgent, const uint8_t *data,
		  size_t len, uint8_t *out, size_t cap)
{
	size_t hlen, clen, flen;
	uint8_t *pt;
	int err;

	if (!fk || !fk->enc || !out || (len && !data))
		return -EINVAL;
	/* Reserved bits are sent as 0. */
	if ((control & ~TC_CTRL_REKEY) ||
	    (flags & ~(TC_FLAG_FINP | TC_FLAG_URGP)))
		return -EINVAL;
	hlen = (flags & TC_FLAG_URGP) ? 3 : 1;
	if (len > TC_FRAME_DATA_MAX)
		return -EMSGSIZE;
	clen = hlen + len + TC_FRAME_TAG_LEN;
	if (clen > TC_FRAME_CLEN_MAX)
		return -EMSGSIZE;
	flen = TC_FRAME_HDR_LEN + clen;
	if (cap < flen)
		return -ENOSPC;
	/* The last byte of the frame must sit at or below offset 2^64 - 1. */
	if (flen - 1 > UINT64_MAX - offset)
		return -EOVERFLOW;

	/*
	 * Lay the plaintext out in place and encrypt it with one update: a
	 * split update (flags byte, then data) costs more than the copy,
	 * much more with ChaCha20-Poly1305. Data already in place is not
	 * copied.
	 */
	pt = out + TC_FRAME_HDR_LEN;
	if (len && data != pt + hlen)
		memmove(pt + hlen, data, len);
	out[0] = control;
	put_be16(out + 1, (uint16_t)clen);
	pt[0] = flags;
	if (flags & TC_FLAG_URGP)
		put_be16(pt + 1, urgent);
	err = tc_frame_aead(fk, offset, out, TC_FRAME_HDR_LEN, NULL, 0, pt,
			    hlen + len, pt, out + flen - TC_FRAME_TAG_LEN);
	if (err)
		return err;
	return (int)flen;
}

int tc_frame_open(struct tc_frame_key *fk, uint64_t offset,
		  const uint8_t *frame, size_t len, struct tc_frame_info *info,
		  uint8_t *out, size_t cap)
{
	size_t clen, plen, hlen;
	int err;

	if (!fk || fk->enc || !frame || !info || !out)
		return -EINVAL;
	if (len < TC_FRAME_HDR_LEN)
		return -EPROTO;
	clen = get_be16(frame + 1);
	if (clen < TC_FRAME_CLEN_MIN || clen != len - TC_FRAME_HDR_LEN)
		return -EPROTO;
	if (len - 1 > UINT64_MAX - offset)
		return -EOVERFLOW;
	plen = clen - TC_FRAME_TAG_LEN;
	if (cap < plen)
		return -ENOSPC;
	err = tc_frame_aead(fk, offset, frame, TC_FRAME_HDR_LEN, NULL, 0,
			    frame + TC_FRAME_HDR_LEN, plen, out,
			    (uint8_t *)frame + len - TC_FRAME_TAG_LEN);
	if (err)
		return err;

	memset(info, 0, sizeof(*info));
	info->offset = offset;
	info->control = frame[0];
	info->rekey = frame[0] & TC_CTRL_REKEY;
	info->flags = out[0];
	info->fin = out[0] & TC_FLAG_FINP;
	info->urg = out[0] & TC_FLAG_URGP;
	hlen = 1;
	if (info->urg) {
		/* Authentic but malformed: the peer is broken, fail closed. */
		if (plen < 3) {
			tc_wipe(out, plen);
			memset(info, 0, sizeof(*info));
			return -EPROTO;
		}
		info->urgent = get_be16(out + 1);
		hlen = 3;
	}
	info->data = out + hlen;
	info->data_len = plen - hlen;
	return 0;
}

/* ---- a connection's generations ---- */

static inline struct tc_gen_key *slot(struct tc_dir_keys *d, uint32_t gen)
{
	return &d->g[gen % TC_KEYS_GENS];
}

/* The key for generation gen if it is keyed, else NULL. */
static struct tc_gen_key *gen_key(struct tc_dir_keys *d, uint32_t gen)
{
	struct tc_gen_key *g = slot(d, gen);

	return g->live && g->gen == gen ? g : NULL;
}

static void gen_wipe(struct tc_gen_key *g)
{
	if (g->live)
		tc_frame_key_free(&g->fk);
	tc_wipe(g, sizeof(*g));
}

/*
 * Key generation gen in both directions from mk[gen] into tx and rx, which
 * may be scratch copies: nothing in k changes.
 */
static int key_gen(const struct tc_keys *k, uint32_t gen, const uint8_t *mk,
		   struct tc_gen_key *tx, struct tc_gen_key *rx)
{
	const struct tc_aead_info *ai = tc_aead_info(k->aead_id);
	uint8_t kab[TC_TRAFFIC_KEY_MAX], kba[TC_TRAFFIC_KEY_MAX];
	int err;

	if (!ai)
		return -EINVAL;
	err = tc_traffic_keys(k->algs, mk, k->aead_id, kab, kba);
	if (err)
		goto out;
	err = tc_frame_key_init(&tx->fk, k->cipher, k->aead_id,
				k->sends_ab ? kab : kba, true);
	if (err)
		goto out;
	err = tc_frame_key_init(&rx->fk, k->cipher, k->aead_id,
				k->sends_ab ? kba : kab, false);
	if (err) {
		tc_frame_key_free(&tx->fk);
		goto out;
	}
	tx->gen = rx->gen = gen;
	tx->live = rx->live = true;
	tx->used = rx->used = false;
	tx->first = rx->first = 0;
out:
	tc_wipe(kab, sizeof(kab));
	tc_wipe(kba, sizeof(kba));
	return err;
}

/* The next generation, mk_gen + 1, derived but not yet installed. */
struct next_gen {
	uint8_t mk[TC_HASH_LEN];
	struct tc_gen_key tx, rx;
};

static void next_gen_wipe(struct next_gen *n)
{
	gen_wipe(&n->tx);
	gen_wipe(&n->rx);
	tc_wipe(n->mk, sizeof(n->mk));
}

/*
 * Derive mk[mk_gen + 1] and its keys into n, changing nothing in k. Fails
 * with -EBUSY when installing them would need a ring slot still in use:
 * TX keys may be needed for retransmission, so only the caller retires
 * them; an RX slot may be reused only for a generation below rx.cur.
 */
static int next_gen_derive(const struct tc_keys *k, struct next_gen *n)
{
	const struct tc_gen_key *tx, *rx;
	uint32_t j;
	int err;

	memset(n, 0, sizeof(*n));
	if (k->mk_gen == UINT32_MAX)
		return -EOVERFLOW;
	j = k->mk_gen + 1;
	tx = &k->tx.g[j % TC_KEYS_GENS];
	rx = &k->rx.g[j % TC_KEYS_GENS];
	if (tx->live || (rx->live && rx->gen >= k->rx.cur))
		return -EBUSY;
	err = tc_mk_next(k->algs, k->mk, n->mk);
	if (!err)
		err = key_gen(k, j, n->mk, &n->tx, &n->rx);
	if (err)
		tc_wipe(n->mk, sizeof(n->mk));
	return err;
}

/* Install a derived generation; cannot fail. Old RX keys in its slot go. */
static void next_gen_commit(struct tc_keys *k, struct next_gen *n)
{
	uint32_t j = n->rx.gen;
	struct tc_gen_key *rx = slot(&k->rx, j);

	if (rx->live)
		tc_keys_retire(k, TC_KEYS_RX, rx->gen);
	*slot(&k->tx, j) = n->tx;
	*rx = n->rx;
	memcpy(k->mk, n->mk, sizeof(k->mk));
	k->mk_gen = j;
	/* the keys now belong to k: only the copies in n are wiped */
	tc_wipe(n, sizeof(*n));
}

/* Derive generations up to gen (mk only moves forward; old mk is wiped). */
static int derive_to(struct tc_keys *k, uint32_t gen)
{
	struct next_gen n;
	int err;

	while (k->mk_gen < gen) {
		err = next_gen_derive(k, &n);
		if (err)
			return err;
		next_gen_commit(k, &n);
	}
	return 0;
}

int tc_keys_init(struct tc_keys *k, const struct tc_algs *algs,
		 uint16_t aead_id, bool sends_ab, const uint8_t mk0[TC_HASH_LEN],
		 uint64_t tx_offset, uint64_t rx_offset)
{
	int err;

	memset(k, 0, sizeof(*k));
	k->algs = algs;
	k->cipher = tc_algs_cipher(algs, aead_id);
	if (!k->cipher)
		return -EINVAL;
	k->aead_id = aead_id;
	k->sends_ab = sends_ab;
	err = key_gen(k, 0, mk0, &k->tx.g[0], &k->rx.g[0]);
	if (err) {
		tc_wipe(k, sizeof(*k));
		return err;
	}
	memcpy(k->mk, mk0, TC_HASH_LEN);
	k->tx.g[0].first = k->tx.next = tx_offset;
	k->rx.g[0].first = k->rx.next = rx_offset;
	k->tx.g[0].used = k->rx.g[0].used = true;
	return 0;
}

void tc_keys_free(struct tc_keys *k)
{
	unsigned int i;

	for (i = 0; i < TC_KEYS_GENS; i++) {
		gen_wipe(&k->tx.g[i]);
		gen_wipe(&k->rx.g[i]);
	}
	tc_wipe(k, sizeof(*k));
}

bool tc_keys_must_send(const struct tc_keys *k)
{
	return !k->fin_sent && k->local_gen > k->tx.cur;
}

int tc_keys_rekey(struct tc_keys *k)
{
	int err;

	if (k->fin_sent)
		return -EPIPE;
	if (k->local_gen > k->tx.cur)
		return -EAGAIN;
	if (k->empty_rekey && k->remote_gen < k->local_gen)
		return -EBUSY;
	if (k->local_gen == UINT32_MAX)
		return -EOVERFLOW;
	/* Derive now so that a full ring shows up here, not at seal time. */
	err = derive_to(k, k->local_gen + 1);
	if (err)
		return err;
	k->local_gen++;
	return 0;
}

int tc_keys_seal(struct tc_keys *k, uint64_t offset, uint8_t flags,
		 uint16_t urgent, const uint8_t *data, size_t len,
		 uint8_t *out, size_t cap)
{
	uint32_t gen = k->tx.cur;
	uint8_t control = 0;
	bool initiating;
	struct tc_gen_key *g;
	int ret;

	if (k->fin_sent)
		return -EPIPE;
	if (offset != k->tx.next)
		return -ERANGE;
	/* One generation step per rekey=1 frame, so the peer's count of
	 * rekey frames matches ours even if local_gen jumped by several. */
	if (k->local_gen > k->tx.cur) {
		gen = k->tx.cur + 1;
		control = TC_CTRL_REKEY;
	}
	initiating = control && gen > k->remote_gen;
	if (initiating && len == 0 && k->empty_rekey)
		return -EBUSY;
	ret = derive_to(k, gen);
	if (ret)
		return ret;
	g = gen_key(&k->tx, gen);
	if (!g)
		return -EKEYEXPIRED;
	ret = tc_frame_seal(&g->fk, offset, control, flags, urgent, data, len,
			    out, cap);
	if (ret < 0)
		return ret;
	if (control) {
		g->first = offset;
		g->used = true;
		k->tx.cur = gen;
		if (initiating && len == 0)
			k->empty_rekey = true;
	}
	k->tx.next = offset + (uint64_t)ret;
	if (flags & TC_FLAG_FINP)
		k->fin_sent = true;
	return ret;
}

/* The used generation whose range [first, next first) holds offset. */
static struct tc_gen_key *covering(struct tc_dir_keys *d, uint64_t offset)
{
	struct tc_gen_key *g;
	uint32_t j = d->cur;

	for (;;) {
		g = gen_key(d, j);
		if (!g || !g->used)
			return NULL;
		if (g->first <= offset)
			return g;
		if (j == d->oldest || j == 0)
			return NULL;
		j--;
	}
}

int tc_keys_reseal(struct tc_keys *k, uint64_t offset, uint8_t flags,
		   uint16_t urgent, const uint8_t *data, size_t len,
		   uint8_t *out, size_t cap)
{
	struct tc_gen_key *g;
	uint8_t control;

	if (offset >= k->tx.next ||
	    tc_frame_len(len, flags & TC_FLAG_URGP) > k->tx.next - offset)
		return -ERANGE;
	g = covering(&k->tx, offset);
	if (!g)
		return -EKEYEXPIRED;
	/* Only the first frame of a later generation carried rekey=1. */
	control = (g->gen > 0 && g->first == offset) ? TC_CTRL_REKEY : 0;
	return tc_frame_seal(&g->fk, offset, control, flags, urgent, data, len,
			     out, cap);
}

int tc_keys_open(struct tc_keys *k, uint64_t offset, const uint8_t *frame,
		 size_t len, struct tc_frame_info *info, uint8_t *out,
		 size_t cap)
{
	struct next_gen next;
	struct tc_gen_key *g;
	uint32_t gen;
	int err;

	if (!frame || len < TC_FRAME_HDR_LEN)
		return -EPROTO;
	if (offset < k->rx.next) {
		/* A retransmission of a frame opened before. */
		if (len > k->rx.next - offset)
			return -ERANGE;
		g = covering(&k->rx, offset);
		if (!g)
			return -EKEYEXPIRED;
		err = tc_frame_open(&g->fk, offset, frame, len, info, out, cap);
		if (err)
			return err;
		info->gen = g->gen;
		info->must_send = tc_keys_must_send(k);
		return 0;
	}
	if (offset > k->rx.next)
		return -ERANGE;
	if (k->fin_rcvd)
		return -EPROTO;

	gen = k->rx.cur;
	if (frame[0] & TC_CTRL_REKEY) {
		if (gen == UINT32_MAX)
			return -EOVERFLOW;
		gen++;
	}
	if (gen > k->mk_gen) {
		/*
		 * A new generation: derive it in scratch and install it only
		 * once the frame authenticates, so that a forged rekey bit
		 * neither advances mk nor retires a live RX key. mk_gen is
		 * never below rx.cur, so this is at most one step.
		 */
		err = next_gen_derive(k, &next);
		if (err)
			return err;
		err = tc_frame_open(&next.rx.fk, offset, frame, len, info, out,
				    cap);
		if (err) {
			next_gen_wipe(&next);
			return err;
		}
		next_gen_commit(k, &next);
		g = gen_key(&k->rx, gen);
	} else {
		g = gen_key(&k->rx, gen);
		if (!g)
			return -EKEYEXPIRED;
		/* Nothing changes until the tag has verified. */
		err = tc_frame_open(&g->fk, offset, frame, len, info, out,
				    cap);
		if (err)
			return err;
	}
	k->rx.next = offset + len;
	if (info->fin)
		k->fin_rcvd = true;
	if (gen != k->rx.cur) {
		g->first = offset;
		g->used = true;
		k->rx.cur = gen;
		k->remote_gen = gen;
		if (k->remote_gen > k->local_gen)
			k->local_gen = k->remote_gen;
		if (k->remote_gen >= k->local_gen)
			k->empty_rekey = false;
	}
	info->gen = gen;
	info->must_send = tc_keys_must_send(k);
	return 0;
}

void tc_keys_retire(struct tc_keys *k, enum tc_keys_dir dir, uint32_t gen)
{
	struct tc_dir_keys *d = dir == TC_KEYS_TX ? &k->tx : &k->rx;
	struct tc_gen_key *g;
	uint32_t j;

	if (d->cur == 0)
		return;
	if (gen > d->cur - 1)
		gen = d->cur - 1;
	for (j = d->oldest; j <= gen; j++) {
		g = gen_key(d, j);
		if (g)
			gen_wipe(g);
	}
	if (gen + 1 > d->oldest)
		d->oldest = gen + 1;
}

int tc_keys_gen_range(const struct tc_keys *k, enum tc_keys_dir dir, uint32_t gen,
		      uint64_t *first, uint64_t *end)
{
	const struct tc_dir_keys *d = dir == TC_KEYS_TX ? &k->tx : &k->rx;
	const struct tc_gen_key *g = &d->g[gen % TC_KEYS_GENS];
	const struct tc_gen_key *n = &d->g[(gen + 1) % TC_KEYS_GENS];

	if (!g->live || g->gen != gen || !g->used || gen > d->cur)
		return -ENOENT;
	*first = g->first;
	if (gen < d->cur && n->live && n->gen == gen + 1 && n->used)
		*end = n->first;
	else
		*end = d->next;
	return 0;
}

unsigned int tc_keys_live(const struct tc_keys *k, enum tc_keys_dir dir)
{
	const struct tc_dir_keys *d = dir == TC_KEYS_TX ? &k->tx : &k->rx;
	unsigned int i, n = 0;

	for (i = 0; i < TC_KEYS_GENS; i++)
		n += d->g[i].live;
	return n;
}

/* ---- reassembly ---- */

void tc_reasm_init(struct tc_reasm *r, uint64_t off)
{
	memset(r, 0, sizeof(*r));
	r->next = off;
}

void tc_reasm_free(struct tc_reasm *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

int tc_reasm_push(struct tc_reasm *r, uint64_t off, const uint8_t *data,
		  size_t len)
{
	uint64_t skip;

	if (r->err)
		return r->err;
	if (r->in_len)
		return -EINVAL;		/* previous chunk not drained */
	if (len && !data)
		return -EINVAL;
	if (off > r->next)
		return -ERANGE;
	skip = r->next - off;
	if (skip >= len)
		return 0;
	r->in = data + skip;
	r->in_len = len - skip;
	return 0;
}

static inline void consume(struct tc_reasm *r, size_t n)
{
	r->in += n;
	r->in_len -= n;
	r->next += n;
}

/* clen from a header, or -EPROTO if no frame can have it. */
static int check_hdr(struct tc_reasm *r, const uint8_t *hdr)
{
	size_t clen = get_be16(hdr + 1);

	if (clen < TC_FRAME_CLEN_MIN) {
		r->err = -EPROTO;
		r->in_len = 0;
		return r->err;
	}
	return (int)clen;
}

int tc_reasm_next(struct tc_reasm *r, const uint8_t **frame, size_t *len,
		  uint64_t *off)
{
	size_t n;
	int clen;

	if (r->err)
		return r->err;
	/* Fast path: a whole frame inside the chunk, nothing buffered. */
	if (r->have == 0 && r->in_len >= TC_FRAME_HDR_LEN) {
		clen = check_hdr(r, r->in);
		if (clen < 0)
			return clen;
		n = TC_FRAME_HDR_LEN + (size_t)clen;
		if (r->in_len >= n) {
			*frame = r->in;
			*len = n;
			*off = r->next;
			consume(r, n);
			return 1;
		}
	}
	if (r->in_len == 0)
		return 0;
	if (r->have == 0)
		r->frame_off = r->next;
	/* Slow path: the frame spans chunks. */
	if (r->have < TC_FRAME_HDR_LEN) {
		n = TC_FRAME_HDR_LEN - r->have;
		if (n > r->in_len)
			n = r->in_len;
		memcpy(r->hdr + r->have, r->in, n);
		r->have += n;
		consume(r, n);
		if (r->have < TC_FRAME_HDR_LEN)
			return 0;
		clen = check_hdr(r, r->hdr);
		if (clen < 0)
			return clen;
		r->need = TC_FRAME_HDR_LEN + (uint32_t)clen;
		if (r->buf_cap < r->need) {
			uint8_t *nb = realloc(r->buf, r->need);

			if (!nb) {
				r->err = -ENOMEM;
				return r->err;
			}
			r->buf = nb;
			r->buf_cap = r->need;
		}
		memcpy(r->buf, r->hdr, TC_FRAME_HDR_LEN);
	}
	n = r->need - r->have;
	if (n > r->in_len)
		n = r->in_len;
	memcpy(r->buf + r->have, r->in, n);
	r->have += n;
	consume(r, n);
	if (r->have < r->need)
		return 0;
	*frame = r->buf;
	*len = r->need;
	*off = r->frame_off;
	r->have = r->need = 0;
	return 1;
}
