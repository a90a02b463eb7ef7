// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the frame layer (lib/core/frame.c).
 *
 * Byte 0 picks the AEAD (low bits) and the mode (bit 7):
 *   raw:   the rest is a stream (after a chunking seed) fed to the
 *          reassembler in pseudo-random chunks; every frame it yields is
 *          opened with a fixed key, by tc_frame_open and by tc_keys_open.
 *          Never a crash, and never plaintext without a valid tag.
 *   valid: the rest is a script: host A rekeys and seals frames (data,
 *          flags and urgent taken from the input), host B reassembles the
 *          chunked stream and opens them, echoing rekeys. Every frame must
 *          open to exactly what was sealed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/frame.h"
#include "core/keysched.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static struct tc_algs algs;
static const uint16_t aeads[] = {
	TC_AEAD_AES_128_GCM, TC_AEAD_AES_256_GCM, TC_AEAD_CHACHA20_POLY1305,
};
static struct tc_frame_key raw_open[3];
static uint8_t pattern[TC_FRAME_DATA_MAX];
static uint8_t *pt, *stream;
#define STREAM_MAX (512 * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t key[TC_TRAFFIC_KEY_MAX];
	size_t i;

	if (tc_algs_init(&algs))
		abort();
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 13 + 1);
	for (i = 0; i < 3; i++)
		if (tc_frame_key_init(&raw_open[i],
				      tc_algs_cipher(&algs, aeads[i]), aeads[i],
				      key, false))
			abort();
	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i ^ (i >> 8));
	pt = malloc(TC_FRAME_MAX);
	stream = malloc(STREAM_MAX);
	if (!pt || !stream)
		abort();
	return 0;
}

static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void keys_pair(uint16_t aead, struct tc_keys *a, struct tc_keys *b,
		      uint64_t off_a, uint64_t off_b)
{
	uint8_t mk0[TC_HASH_LEN];

	memset(mk0, 0x5a, sizeof(mk0));
	if (tc_keys_init(a, &algs, aead, true, mk0, off_a, off_b) ||
	    tc_keys_init(b, &algs, aead, false, mk0, off_b, off_a))
		abort();
}

/* On failure nothing decrypted may be left in the output buffer. */
static void check_open_result(int err, const uint8_t *f, size_t len)
{
	size_t plen, i;

	if (err != -EBADMSG || len < TC_FRAME_HDR_LEN + TC_FRAME_CLEN_MIN)
		return;
	plen = len - TC_FRAME_HDR_LEN - TC_FRAME_TAG_LEN;
	for (i = 0; i < plen; i++)
		CHECK(pt[i] == 0);
}

static void raw_mode(int ai, const uint8_t *d, size_t n)
{
	struct tc_frame_info info;
	struct tc_keys a, b;
	struct tc_reasm r;
	const uint8_t *f;
	uint32_t seed;
	uint64_t off, base;
	size_t flen, pos = 0, c;
	int ret, err;

	if (n < 2)
		return;
	seed = 0x9e3779b9u ^ d[0];
	base = d[1] * 7;
	d += 2;
	n -= 2;
	keys_pair(aeads[ai], &a, &b, 0, base);
	tc_reasm_init(&r, base);
	while (pos < n) {
		size_t back = 0;

		c = 1 + rng(&seed) % 97;
		if (c > n - pos)
			c = n - pos;
		/* Sometimes re-send bytes already consumed (a retransmission
		 * overlapping new data): they must be skipped. */
		if ((rng(&seed) & 7) == 0)
			back = rng(&seed) % (pos + 1);
		ret = tc_reasm_push(&r, base + pos - back, d + pos - back,
				    c + back);
		if (ret < 0)
			break;
		pos += c;
		while ((ret = tc_reasm_next(&r, &f, &flen, &off)) == 1) {
			CHECK(flen >= TC_FRAME_HDR_LEN + TC_FRAME_CLEN_MIN &&
			      flen <= TC_FRAME_MAX);
			memset(pt, 0xee, flen);
			err = tc_frame_open(&raw_open[ai], off, f, flen, &info,
					    pt, TC_FRAME_MAX);
			check_open_result(err, f, flen);
			if (err == 0)
				CHECK(info.data_len + TC_FRAME_OVERHEAD <= flen);
			memset(pt, 0xee, flen);
			err = tc_keys_open(&b, off, f, flen, &info, pt,
					   TC_FRAME_MAX);
			check_open_result(err, f, flen);
		}
		if (ret < 0) {
			CHECK(ret == -EPROTO);
			break;
		}
		CHECK(tc_reasm_pending(&r) <= TC_FRAME_MAX);
	}
	tc_reasm_free(&r);
	tc_keys_free(&a);
	tc_keys_free(&b);
}

struct rec {
	uint64_t off;
	uint8_t flags;
	uint16_t urgent;
	const uint8_t *data;
	size_t len;
	uint32_t gen;
};
#define RECS_MAX 64

static void valid_mode(int ai, const uint8_t *d, size_t n)
{
	struct rec recs[RECS_MAX];
	struct tc_frame_info info;
	struct tc_keys a, b;
	struct tc_reasm r;
	uint8_t echo[64];
	const uint8_t *f;
	size_t nrec = 0, slen = 0, pos, c, flen, k = 0, got = 0, len, back;
	uint64_t off, base_a, base_b = 74;
	uint32_t seed = 0x12345678;
	uint8_t op, flags;
	int ret;

	if (n < 1)
		return;
	base_a = d[0];
	seed ^= d[0];
	d++;
	n--;
	keys_pair(aeads[ai], &a, &b, base_a, base_b);
	while (k < n && nrec < RECS_MAX) {
		op = d[k++];
		if ((op & 7) == 7) {
			tc_keys_rekey(&a);
			continue;
		}
		flags = (op >> 3) & TC_FLAG_URGP;
		if (op & 0x40) {
			/* Data from the input itself. */
			len = (n - k) < (size_t)(op & 0x3f) ? n - k :
							     (size_t)(op & 0x3f);
			recs[nrec].data = d + k;
			k += len;
		} else {
			len = (size_t)(op & 0x38) << 8 | (op & 7) << 3;
			if ((op & 0x3f) == 0x3e)
				len = TC_FRAME_DATA_MAX - 2;	/* largest */
			recs[nrec].data = pattern;
		}
		if (op & 0x80 && k >= n)
			flags |= TC_FLAG_FINP;
		if (slen + tc_frame_len(len, true) > STREAM_MAX)
			break;
		recs[nrec].off = base_a + slen;
		recs[nrec].flags = flags;
		recs[nrec].urgent = (uint16_t)(op * 257);
		recs[nrec].len = len;
		ret = tc_keys_seal(&a, base_a + slen, flags, recs[nrec].urgent,
				   recs[nrec].data, len, stream + slen,
				   STREAM_MAX - slen);
		CHECK(ret == (int)tc_frame_len(len, flags & TC_FLAG_URGP));
		recs[nrec].gen = a.tx.cur;
		slen += (size_t)ret;
		nrec++;
		/* All of it acknowledged at once: old TX keys can go. */
		if (a.tx.cur)
			tc_keys_retire(&a, TC_KEYS_TX, a.tx.cur - 1);
		if (flags & TC_FLAG_FINP)
			break;
	}

	tc_reasm_init(&r, base_a);
	for (pos = 0; pos < slen; pos += c) {
		c = 1 + rng(&seed) % 3000;
		if (c > slen - pos)
			c = slen - pos;
		back = (rng(&seed) & 3) == 0 ? rng(&seed) % (pos + 1) : 0;
		CHECK(tc_reasm_push(&r, base_a + pos - back, stream + pos - back,
				    c + back) == 0);
		while ((ret = tc_reasm_next(&r, &f, &flen, &off)) == 1) {
			CHECK(got < nrec);
			CHECK(off == recs[got].off);
			ret = tc_keys_open(&b, off, f, flen, &info, pt,
					   TC_FRAME_MAX);
			CHECK(ret == 0);
			CHECK(info.gen == recs[got].gen);
			CHECK(info.data_len == recs[got].len);
			CHECK(info.fin == !!(recs[got].flags & TC_FLAG_FINP));
			CHECK(info.urg == !!(recs[got].flags & TC_FLAG_URGP));
			if (info.urg)
				CHECK(info.urgent == recs[got].urgent);
			CHECK(!info.data_len ||
			      memcmp(info.data, recs[got].data,
				     info.data_len) == 0);
			/* B owes an echo: send it, A must open it. */
			while (tc_keys_must_send(&b)) {
				uint64_t eo = b.tx.next;
				int en = tc_keys_seal(&b, eo, 0, 0, NULL, 0,
						      echo, sizeof(echo));

				CHECK(en == TC_FRAME_OVERHEAD);
				CHECK(echo[0] == TC_CTRL_REKEY);
				CHECK(tc_keys_open(&a, eo, echo, en, &info,
						   pt, TC_FRAME_MAX) == 0);
				tc_keys_retire(&b, TC_KEYS_TX, b.tx.cur - 1);
			}
			got++;
		}
		CHECK(ret == 0);
	}
	CHECK(got == nrec);
	CHECK(b.remote_gen == a.tx.cur);
	tc_reasm_free(&r);
	tc_keys_free(&a);
	tc_keys_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int ai;

	if (size < 1)
		return 0;
	ai = (data[0] & 0x7f) % 3;
	if (data[0] & 0x80)
		raw_mode(ai, data + 1, size - 1);
	else
		valid_mode(ai, data + 1, size - 1);
	return 0;
}
