// SPDX-License-Identifier: GPL-2.0
/*
 * Encryption frames (RFC 8548 4.2): round trips for each AEAD, tampering,
 * offsets, the reassembler, and rekey generations (3.8).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "core/frame.h"
#include "core/keysched.h"

static struct tc_algs algs;
static const uint16_t aeads[] = {
	TC_AEAD_AES_128_GCM, TC_AEAD_AES_256_GCM, TC_AEAD_CHACHA20_POLY1305,
};
#define NAEADS (sizeof(aeads) / sizeof(aeads[0]))

static uint8_t *frame_buf, *pt_buf, *data_buf;

static int setup(void **state)
{
	size_t i;

	if (tc_algs_init(&algs))
		return -1;
	frame_buf = malloc(TC_FRAME_MAX);
	pt_buf = malloc(TC_FRAME_MAX);
	data_buf = malloc(TC_FRAME_MAX);
	if (!frame_buf || !pt_buf || !data_buf)
		return -1;
	for (i = 0; i < TC_FRAME_MAX; i++)
		data_buf[i] = (uint8_t)(i * 7 + 3);
	return 0;
}

static int teardown(void **state)
{
	free(frame_buf);
	free(pt_buf);
	free(data_buf);
	tc_algs_free(&algs);
	return 0;
}

/* A sealing and an opening key for the same traffic key. */
static void key_pair(uint16_t aead, struct tc_frame_key *s,
		     struct tc_frame_key *o)
{
	const struct tc_aead_info *ai = tc_aead_info(aead);
	uint8_t k[TC_TRAFFIC_KEY_MAX];
	size_t i;

	for (i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)(0x40 + i + aead);
	assert_int_equal(tc_frame_key_init(s, tc_algs_cipher(&algs, aead),
					   aead, k, true), 0);
	assert_int_equal(tc_frame_key_init(o, tc_algs_cipher(&algs, aead),
					   aead, k, false), 0);
	assert_int_equal(ai->key_len + ai->nonce_len <= sizeof(k), 1);
}

static void test_roundtrip_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 64, 1448, TC_FRAME_DATA_MAX };
	struct tc_frame_key s, o;
	struct tc_frame_info info;
	size_t a, i;
	int n;

	for (a = 0; a < NAEADS; a++) {
		key_pair(aeads[a], &s, &o);
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			uint64_t off = 1000 * i + a;

			n = tc_frame_seal(&s, off, 0, 0, 0, data_buf, sizes[i],
					  frame_buf, TC_FRAME_MAX);
			assert_int_equal(n, tc_frame_len(sizes[i], false));
			assert_int_equal(frame_buf[0], 0);
			assert_int_equal((frame_buf[1] << 8 | frame_buf[2]),
					 sizes[i] + 17);
			/* Ciphertext is not the plaintext. */
			if (sizes[i] >= 16)
				assert_memory_not_equal(frame_buf + 4,
							data_buf, 16);
			memset(&info, 0xff, sizeof(info));
			assert_int_equal(tc_frame_open(&o, off, frame_buf, n,
						       &info, pt_buf,
						       TC_FRAME_MAX), 0);
			assert_int_equal(info.data_len, sizes[i]);
			assert_ptr_equal(info.data, pt_buf + 1);
			if (sizes[i])
				assert_memory_equal(info.data, data_buf,
						    sizes[i]);
			assert_false(info.fin);
			assert_false(info.urg);
			assert_false(info.rekey);
			assert_int_equal(info.offset, off);
		}
		/* One byte over the maximum. */
		assert_int_equal(tc_frame_seal(&s, 0, 0, 0, 0, data_buf,
					       TC_FRAME_DATA_MAX + 1, frame_buf,
					       TC_FRAME_MAX), -EMSGSIZE);
		/* With URGp the maximum is two bytes smaller. */
		assert_int_equal(tc_frame_seal(&s, 0, 0, TC_FLAG_URGP, 1,
					       data_buf, TC_FRAME_DATA_MAX - 1,
					       frame_buf, TC_FRAME_MAX),
				 -EMSGSIZE);
		n = tc_frame_seal(&s, 0, 0, TC_FLAG_URGP, 1, data_buf,
				  TC_FRAME_DATA_MAX - 2, frame_buf,
				  TC_FRAME_MAX);
		assert_int_equal(n, TC_FRAME_MAX);
		assert_int_equal(tc_frame_open(&o, 0, frame_buf, n, &info,
					       pt_buf, TC_FRAME_MAX), 0);
		tc_frame_key_free(&s);
		tc_frame_key_free(&o);
	}
}

static void test_flags_urgent_fin(void **state)
{
	struct tc_frame_key s, o;
	struct tc_frame_info info;
	size_t a;
	int n;

	for (a = 0; a < NAEADS; a++) {
		key_pair(aeads[a], &s, &o);
		n = tc_frame_seal(&s, 5, TC_CTRL_REKEY,
				  TC_FLAG_URGP | TC_FLAG_FINP, 0x1234,
				  data_buf, 10, frame_buf, TC_FRAME_MAX);
		assert_int_equal(n, tc_frame_len(10, true));
		assert_int_equal(frame_buf[0], TC_CTRL_REKEY);
		assert_int_equal(tc_frame_open(&o, 5, frame_buf, n, &info,
					       pt_buf, TC_FRAME_MAX), 0);
		assert_true(info.urg);
		assert_true(info.fin);
		assert_true(info.rekey);
		assert_int_equal(info.urgent, 0x1234);
		assert_int_equal(info.data_len, 10);
		assert_ptr_equal(info.data, pt_buf + 3);
		assert_memory_equal(info.data, data_buf, 10);

		/* An empty FINp frame: clean end of file, not an error. */
		n = tc_frame_seal(&s, 77, 0, TC_FLAG_FINP, 0, NULL, 0,
				  frame_buf, TC_FRAME_MAX);
		assert_int_equal(n, TC_FRAME_OVERHEAD);
		assert_int_equal(tc_frame_open(&o, 77, frame_buf, n, &info,
					       pt_buf, TC_FRAME_MAX), 0);
		assert_true(info.fin);
		assert_int_equal(info.data_len, 0);

		/* Urgent with no data. */
		n = tc_frame_seal(&s, 78, 0, TC_FLAG_URGP, 0, NULL, 0,
				  frame_buf, TC_FRAME_MAX);
		assert_int_equal(tc_frame_open(&o, 78, frame_buf, n, &info,
					       pt_buf, TC_FRAME_MAX), 0);
		assert_true(info.urg);
		assert_int_equal(info.urgent, 0);
		assert_int_equal(info.data_len, 0);

		/* Zero copy: data already where the frame carries it. */
		memcpy(frame_buf + 4, data_buf, 300);
		n = tc_frame_seal(&s, 80, 0, 0, 0, frame_buf + 4, 300,
				  frame_buf, TC_FRAME_MAX);
		assert_int_equal(n, tc_frame_len(300, false));
		assert_int_equal(tc_frame_open(&o, 80, frame_buf, n, &info,
					       pt_buf, TC_FRAME_MAX), 0);
		assert_memory_equal(info.data, data_buf, 300);
		/* ...and with URGp, and data overlapping elsewhere. */
		memcpy(frame_buf + 6, data_buf, 300);
		n = tc_frame_seal(&s, 81, 0, TC_FLAG_URGP, 9, frame_buf + 6, 300,
				  frame_buf, TC_FRAME_MAX);
		assert_int_equal(tc_frame_open(&o, 81, frame_buf, n, &info,
					       pt_buf, TC_FRAME_MAX), 0);
		assert_memory_equal(info.data, data_buf, 300);
		memcpy(frame_buf + 1, data_buf, 300);
		n = tc_frame_seal(&s, 82, 0, 0, 0, frame_buf + 1, 300,
				  frame_buf, TC_FRAME_MAX);
		assert_int_equal(tc_frame_open(&o, 82, frame_buf, n, &info,
					       pt_buf, TC_FRAME_MAX), 0);
		assert_memory_equal(info.data, data_buf, 300);

		/* Reserved bits are never sent. */
		assert_int_equal(tc_frame_seal(&s, 0, 0x02, 0, 0, NULL, 0,
					       frame_buf, TC_FRAME_MAX),
				 -EINVAL);
		assert_int_equal(tc_frame_seal(&s, 0, 0, 0x04, 0, NULL, 0,
					       frame_buf, TC_FRAME_MAX),
				 -EINVAL);
		/* Too small a buffer on either side. */
		assert_int_equal(tc_frame_seal(&s, 0, 0, 0, 0, data_buf, 10,
					       frame_buf, 29), -ENOSPC);
		n = tc_frame_seal(&s, 0, 0, 0, 0, data_buf, 10, frame_buf, 30);
		assert_int_equal(n, 30);
		assert_int_equal(tc_frame_open(&o, 0, frame_buf, n, &info,
					       pt_buf, 10), -ENOSPC);
		assert_int_equal(tc_frame_open(&o, 0, frame_buf, n, &info,
					       pt_buf, 11), 0);
		/* A sealing key does not open, an opening key does not seal. */
		assert_int_equal(tc_frame_open(&s, 0, frame_buf, n, &info,
					       pt_buf, 64), -EINVAL);
		assert_int_equal(tc_frame_seal(&o, 0, 0, 0, 0, NULL, 0,
					       frame_buf, 64), -EINVAL);
		/* Offset wrap: the frame may end exactly at 2^64 - 1. */
		assert_int_equal(tc_frame_seal(&s, UINT64_MAX - 19, 0, 0, 0,
					       NULL, 0, frame_buf, 64), 20);
		assert_int_equal(tc_frame_seal(&s, UINT64_MAX - 18, 0, 0, 0,
					       NULL, 0, frame_buf, 64),
				 -EOVERFLOW);
		tc_frame_key_free(&s);
		tc_frame_key_free(&o);
	}
}

/* Reserved bits on receipt are ignored (they are authenticated as sent). */
static void test_reserved_bits_ignored(void **state)
{
	struct tc_frame_key s, o;
	struct tc_frame_info info;
	uint8_t pt[8] = { 0xfc | TC_FLAG_FINP, 'h', 'i' }, tag[16];
	uint8_t frame[3 + 3 + 16] = { 0xfe, 0, 3 + 16 };

	key_pair(TC_AEAD_AES_128_GCM, &s, &o);
	/* Build by hand: control 0xfe (rekey 0), flags 0xfd (FINp only). */
	assert_int_equal(tc_frame_aead(&s, 9, frame, 3, NULL, 0, pt, 3,
				       frame + 3, tag), 0);
	memcpy(frame + 6, tag, 16);
	assert_int_equal(tc_frame_open(&o, 9, frame, sizeof(frame), &info,
				       pt_buf, 64), 0);
	assert_false(info.rekey);
	assert_true(info.fin);
	assert_false(info.urg);
	assert_int_equal(info.data_len, 2);
	assert_memory_equal(info.data, "hi", 2);

	/* URGp set but the plaintext has no room for urgent: -EPROTO. */
	pt[0] = TC_FLAG_URGP;
	frame[0] = 0;
	frame[2] = 2 + 16;
	assert_int_equal(tc_frame_aead(&s, 9, frame, 3, NULL, 0, pt, 2,
				       frame + 3, tag), 0);
	memcpy(frame + 5, tag, 16);
	assert_int_equal(tc_frame_open(&o, 9, frame, 3 + 2 + 16, &info,
				       pt_buf, 64), -EPROTO);
	tc_frame_key_free(&s);
	tc_frame_key_free(&o);
}

/* Every single-bit change anywhere in a frame: never plaintext. */
static void test_tamper_every_byte(void **state)
{
	static const size_t sizes[] = { 0, 1, 64 };
	struct tc_frame_key s, o;
	struct tc_frame_info info;
	uint8_t orig[128];
	size_t a, i, pos;
	int n, err, bit;

	for (a = 0; a < NAEADS; a++) {
		key_pair(aeads[a], &s, &o);
		for (i = 0; i < 3; i++) {
			n = tc_frame_seal(&s, 4242, 0, TC_FLAG_FINP, 0,
					  data_buf, sizes[i], orig,
					  sizeof(orig));
			assert_true(n > 0);
			for (pos = 0; pos < (size_t)n; pos++) {
				for (bit = 0; bit < 8; bit += 3) {
					memcpy(frame_buf, orig, n);
					frame_buf[pos] ^= (uint8_t)(1 << bit);
					memset(pt_buf, 0x55, 128);
					err = tc_frame_open(&o, 4242, frame_buf,
							    n, &info, pt_buf,
							    128);
					if (pos == 1 || pos == 2)
						assert_int_equal(err, -EPROTO);
					else
						assert_int_equal(err, -EBADMSG);
				}
			}
			/* Truncated or extended frames. */
			assert_int_equal(tc_frame_open(&o, 4242, orig, n - 1,
						       &info, pt_buf, 128),
					 -EPROTO);
			assert_int_equal(tc_frame_open(&o, 4242, orig, 2,
						       &info, pt_buf, 128),
					 -EPROTO);
			memcpy(frame_buf, orig, n);
			frame_buf[n] = 0;
			assert_int_equal(tc_frame_open(&o, 4242, frame_buf,
						       n + 1, &info, pt_buf,
						       128), -EPROTO);
			/* Wrong offset. */
			assert_int_equal(tc_frame_open(&o, 4243, orig, n,
						       &info, pt_buf, 128),
					 -EBADMSG);
			assert_int_equal(tc_frame_open(&o, 4242ULL << 32, orig,
						       n, &info, pt_buf, 128),
					 -EBADMSG);
			/* The original still opens. */
			assert_int_equal(tc_frame_open(&o, 4242, orig, n,
						       &info, pt_buf, 128), 0);
			assert_true(info.fin);
		}
		/* The big frame: flip bytes spread over it. */
		n = tc_frame_seal(&s, 0, 0, 0, 0, data_buf, 1448, orig, 0);
		assert_int_equal(n, -ENOSPC);
		n = tc_frame_seal(&s, 0, 0, 0, 0, data_buf, TC_FRAME_DATA_MAX,
				  frame_buf, TC_FRAME_MAX);
		for (pos = 0; pos < (size_t)n; pos += 997) {
			frame_buf[pos] ^= 0x80;
			err = tc_frame_open(&o, 0, frame_buf, n, &info, pt_buf,
					    TC_FRAME_MAX);
			assert_true(err == -EBADMSG || err == -EPROTO);
			frame_buf[pos] ^= 0x80;
		}
		frame_buf[n - 1] ^= 1;
		assert_int_equal(tc_frame_open(&o, 0, frame_buf, n, &info,
					       pt_buf, TC_FRAME_MAX), -EBADMSG);
		/* Auth failure wipes whatever was decrypted. */
		for (pos = 0; pos < TC_FRAME_DATA_MAX + 1; pos += 4099)
			assert_int_equal(pt_buf[pos], 0);
		frame_buf[n - 1] ^= 1;
		/* In place. */
		assert_int_equal(tc_frame_open(&o, 0, frame_buf, n, &info,
					       frame_buf + 3, TC_FRAME_MAX), 0);
		assert_memory_equal(info.data, data_buf, TC_FRAME_DATA_MAX);
		tc_frame_key_free(&s);
		tc_frame_key_free(&o);
	}
}

/* A different key (wrong direction) never opens. */
static void test_wrong_key(void **state)
{
	struct tc_frame_key s, o, s2, o2;
	struct tc_frame_info info;
	int n;

	key_pair(TC_AEAD_AES_128_GCM, &s, &o);
	key_pair(TC_AEAD_AES_256_GCM, &s2, &o2);
	n = tc_frame_seal(&s, 0, 0, 0, 0, data_buf, 100, frame_buf, 200);
	assert_int_equal(tc_frame_open(&o2, 0, frame_buf, n, &info, pt_buf,
				       200), -EBADMSG);
	tc_frame_key_free(&s);
	tc_frame_key_free(&o);
	tc_frame_key_free(&s2);
	tc_frame_key_free(&o2);
}

/* ---- reassembler ---- */

#define STREAM_FRAMES 6
static const size_t stream_sizes[STREAM_FRAMES] = { 0, 1, 64, 1448, 300, 5 };

/* Build a stream of frames starting at base; returns its length. */
static size_t build_stream(struct tc_frame_key *s, uint64_t base,
			   uint8_t *out, size_t *starts)
{
	size_t i, len = 0;
	int n;

	for (i = 0; i < STREAM_FRAMES; i++) {
		starts[i] = len;
		n = tc_frame_seal(s, base + len, 0,
				  i == STREAM_FRAMES - 1 ? TC_FLAG_FINP : 0, 0,
				  data_buf + i, stream_sizes[i], out + len,
				  TC_FRAME_MAX);
		assert_true(n > 0);
		len += n;
	}
	return len;
}

/* Feed stream[0..len) in chunks cut at cuts[]; check every frame. */
static void feed(struct tc_frame_key *o, uint64_t base, const uint8_t *stream,
		 size_t len, const size_t *starts, const size_t *cuts,
		 size_t ncuts)
{
	struct tc_frame_info info;
	struct tc_reasm r;
	const uint8_t *f;
	size_t flen, pos = 0, c, nframes = 0, end;
	uint64_t off;
	int ret;

	tc_reasm_init(&r, base);
	for (c = 0; c <= ncuts; c++) {
		end = c < ncuts ? cuts[c] : len;
		assert_int_equal(tc_reasm_push(&r, base + pos, stream + pos,
					       end - pos), 0);
		while ((ret = tc_reasm_next(&r, &f, &flen, &off)) == 1) {
			assert_true(nframes < STREAM_FRAMES);
			assert_int_equal(off, base + starts[nframes]);
			assert_int_equal(flen, tc_frame_len(
				stream_sizes[nframes], false));
			assert_int_equal(tc_frame_open(o, off, f, flen, &info,
						       pt_buf, TC_FRAME_MAX),
					 0);
			assert_int_equal(info.data_len, stream_sizes[nframes]);
			assert_memory_equal(info.data, data_buf + nframes,
					    info.data_len);
			nframes++;
		}
		assert_int_equal(ret, 0);
		assert_true(tc_reasm_pending(&r) < TC_FRAME_MAX);
		pos = end;
	}
	assert_int_equal(nframes, STREAM_FRAMES);
	assert_int_equal(tc_reasm_pending(&r), 0);
	tc_reasm_free(&r);
}

static void test_reasm_every_split(void **state)
{
	struct tc_frame_key s, o;
	size_t starts[STREAM_FRAMES], len, cut, cuts[2];
	uint8_t *stream = malloc(4 * 4096);
	uint64_t base = 73;

	assert_non_null(stream);
	key_pair(TC_AEAD_CHACHA20_POLY1305, &s, &o);
	len = build_stream(&s, base, stream, starts);
	/* Whole stream in one chunk. */
	feed(&o, base, stream, len, starts, NULL, 0);
	/* Two chunks, cut at every offset. */
	for (cut = 0; cut <= len; cut++) {
		cuts[0] = cut;
		feed(&o, base, stream, len, starts, cuts, 1);
	}
	/* Three chunks: every first cut, second cut a short way after. */
	for (cut = 0; cut < len; cut++) {
		cuts[0] = cut;
		cuts[1] = cut + 1 + (cut * 31) % 40;
		if (cuts[1] > len)
			cuts[1] = len;
		feed(&o, base, stream, len, starts, cuts, 2);
	}
	tc_frame_key_free(&s);
	tc_frame_key_free(&o);
	free(stream);
}

static void test_reasm_bytewise_and_overlap(void **state)
{
	struct tc_frame_key s, o;
	struct tc_frame_info info;
	size_t starts[STREAM_FRAMES], len, i, got = 0, flen;
	uint8_t *stream = malloc(4 * 4096);
	struct tc_reasm r;
	const uint8_t *f;
	uint64_t off;

	assert_non_null(stream);
	key_pair(TC_AEAD_AES_128_GCM, &s, &o);
	len = build_stream(&s, 0, stream, starts);
	tc_reasm_init(&r, 0);
	/* One byte at a time, each byte sent twice (a retransmission that
	 * overlaps what was already consumed is skipped). */
	for (i = 0; i < len; i++) {
		assert_int_equal(tc_reasm_push(&r, i, stream + i, 1), 0);
		while (tc_reasm_next(&r, &f, &flen, &off) == 1) {
			assert_int_equal(off, starts[got]);
			assert_int_equal(tc_frame_open(&o, off, f, flen, &info,
						       pt_buf, TC_FRAME_MAX),
					 0);
			got++;
		}
		assert_int_equal(tc_reasm_push(&r, i, stream + i, 1), 0);
		assert_int_equal(tc_reasm_next(&r, &f, &flen, &off), 0);
		/* Chunks straddling old and new bytes. */
		if (i >= 2 && i + 2 < len && i % 50 == 0) {
			assert_int_equal(tc_reasm_push(&r, i - 1, stream + i - 1,
						       3), 0);
			while (tc_reasm_next(&r, &f, &flen, &off) == 1) {
				assert_int_equal(off, starts[got]);
				got++;
			}
			i += 1;
		}
	}
	assert_int_equal(got, STREAM_FRAMES);
	/* A gap is refused. */
	assert_int_equal(tc_reasm_push(&r, len + 1, stream, 1), -ERANGE);
	tc_reasm_free(&r);
	tc_frame_key_free(&s);
	tc_frame_key_free(&o);
	free(stream);
}

static void test_reasm_bad_header(void **state)
{
	static const uint8_t bad[] = { 0x00, 0x00, 0x10, 0xaa };
	struct tc_reasm r;
	const uint8_t *f;
	size_t flen;
	uint64_t off;

	/* clen 16 < 17: no frame can be that short. */
	tc_reasm_init(&r, 0);
	assert_int_equal(tc_reasm_push(&r, 0, bad, 2), 0);
	assert_int_equal(tc_reasm_next(&r, &f, &flen, &off), 0);
	assert_int_equal(tc_reasm_push(&r, 2, bad + 2, 2), 0);
	assert_int_equal(tc_reasm_next(&r, &f, &flen, &off), -EPROTO);
	/* Sticky. */
	assert_int_equal(tc_reasm_push(&r, 4, bad, 1), -EPROTO);
	assert_int_equal(tc_reasm_next(&r, &f, &flen, &off), -EPROTO);
	tc_reasm_free(&r);

	/* The largest frame header is accepted and buffered, bounded. */
	tc_reasm_init(&r, 0);
	memset(frame_buf, 0xff, 4096);
	assert_int_equal(tc_reasm_push(&r, 0, frame_buf, 4096), 0);
	assert_int_equal(tc_reasm_next(&r, &f, &flen, &off), 0);
	assert_int_equal(tc_reasm_pending(&r), 4096);
	assert_true(r.buf_cap <= TC_FRAME_MAX);
	tc_reasm_free(&r);
}

/* HKDF-Expand-SHA256(prk, c, len) straight from RFC 5869 2.3 with HMAC. */
static void expand(const uint8_t prk[TC_HASH_LEN], uint8_t c, uint8_t *out,
		   size_t len)
{
	uint8_t t[TC_HASH_LEN + 2], okm[2 * TC_HASH_LEN];
	size_t tlen = 0, n, i;

	assert_true(len <= sizeof(okm));
	for (i = 0; i * TC_HASH_LEN < len; i++) {
		/* T(i+1) = HMAC(PRK, T(i) || info || i+1) */
		t[tlen] = c;
		t[tlen + 1] = (uint8_t)(i + 1);
		assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
					  prk, TC_HASH_LEN, t, tlen + 2,
					  okm + i * TC_HASH_LEN, TC_HASH_LEN,
					  &n));
		memcpy(t, okm + i * TC_HASH_LEN, TC_HASH_LEN);
		tlen = TC_HASH_LEN;
	}
	memcpy(out, okm, len);
}

/*
 * RFC 8548 3.3: k_ab = CPRF(mk, CONST_KEY_A = 0x04), k_ba = CPRF(mk,
 * CONST_KEY_B = 0x05), and A (sends_ab) seals with k_ab, B with k_ba.
 * Checked against keys computed here, not through the key schedule.
 */
static void test_key_labels(void **state)
{
	uint8_t mk[TC_HASH_LEN], kab[TC_TRAFFIC_KEY_MAX], kba[TC_TRAFFIC_KEY_MAX];
	uint8_t want_ab[TC_TRAFFIC_KEY_MAX], want_ba[TC_TRAFFIC_KEY_MAX];
	struct tc_frame_key o_ab, o_ba;
	struct tc_frame_info info;
	struct tc_keys k;
	size_t x, i, len;
	int n, sends_ab;

	for (i = 0; i < sizeof(mk); i++)
		mk[i] = (uint8_t)(0x91 + 3 * i);
	for (x = 0; x < NAEADS; x++) {
		const struct tc_aead_info *ai = tc_aead_info(aeads[x]);
		const EVP_CIPHER *ci = tc_algs_cipher(&algs, aeads[x]);

		len = ai->key_len + ai->nonce_len;
		expand(mk, 0x04, want_ab, len);
		expand(mk, 0x05, want_ba, len);
		assert_int_equal(tc_traffic_keys(&algs, mk, aeads[x], kab, kba), 0);
		assert_memory_equal(kab, want_ab, len);
		assert_memory_equal(kba, want_ba, len);
		assert_int_equal(tc_frame_key_init(&o_ab, ci, aeads[x], want_ab,
						   false), 0);
		assert_int_equal(tc_frame_key_init(&o_ba, ci, aeads[x], want_ba,
						   false), 0);
		for (sends_ab = 0; sends_ab <= 1; sends_ab++) {
			assert_int_equal(tc_keys_init(&k, &algs, aeads[x],
						      sends_ab, mk, 10, 20), 0);
			n = tc_keys_seal(&k, 10, 0, 0, data_buf, 33, frame_buf,
					 TC_FRAME_MAX);
			assert_true(n > 0);
			assert_int_equal(tc_frame_open(sends_ab ? &o_ab : &o_ba,
						       10, frame_buf, n, &info,
						       pt_buf, TC_FRAME_MAX), 0);
			assert_int_equal(tc_frame_open(sends_ab ? &o_ba : &o_ab,
						       10, frame_buf, n, &info,
						       pt_buf, TC_FRAME_MAX),
					 -EBADMSG);
			tc_keys_free(&k);
		}
		tc_frame_key_free(&o_ab);
		tc_frame_key_free(&o_ba);
	}
}

/* ---- rekeying between two hosts A and B ---- */

struct host {
	struct tc_keys k;
	const char *name;
};

#define A_INIT_LEN	75	/* Init1 with one cipher */
#define B_INIT_LEN	74	/* Init2 */

static void hosts_init(struct host *a, struct host *b, uint16_t aead)
{
	uint8_t mk0[TC_HASH_LEN];

	memset(mk0, 0x3c, sizeof(mk0));
	assert_int_equal(tc_keys_init(&a->k, &algs, aead, true, mk0,
				      A_INIT_LEN, B_INIT_LEN), 0);
	assert_int_equal(tc_keys_init(&b->k, &algs, aead, false, mk0,
				      B_INIT_LEN, A_INIT_LEN), 0);
}

static void hosts_free(struct host *a, struct host *b)
{
	tc_keys_free(&a->k);
	tc_keys_free(&b->k);
}

/* Seal len bytes on src; returns the frame (in buf) and its offset. */
static int send_frame(struct host *src, size_t len, uint8_t flags,
		      uint8_t *buf, uint64_t *off)
{
	*off = src->k.tx.next;
	return tc_keys_seal(&src->k, *off, flags, 0, data_buf, len, buf,
			    TC_FRAME_MAX);
}

/* Seal on src, open on dst; returns dst's info. */
static struct tc_frame_info xfer(struct host *src, struct host *dst,
				 size_t len)
{
	struct tc_frame_info info;
	uint64_t off;
	int n;

	n = send_frame(src, len, 0, frame_buf, &off);
	assert_true(n > 0);
	assert_int_equal(tc_keys_open(&dst->k, off, frame_buf, n, &info,
				      pt_buf, TC_FRAME_MAX), 0);
	assert_int_equal(info.data_len, len);
	if (len)
		assert_memory_equal(info.data, data_buf, len);
	return info;
}

static void test_keys_basic(void **state)
{
	struct host a, b;
	struct tc_frame_info info;
	uint8_t other[TC_HASH_LEN] = { 1 };
	struct tc_keys c;
	uint64_t off;
	size_t x;
	int n;

	for (x = 0; x < NAEADS; x++) {
		hosts_init(&a, &b, aeads[x]);
		info = xfer(&a, &b, 100);
		assert_int_equal(info.offset, A_INIT_LEN);
		assert_int_equal(info.gen, 0);
		info = xfer(&b, &a, 1448);
		assert_int_equal(info.offset, B_INIT_LEN);
		info = xfer(&a, &b, 0);
		assert_false(info.must_send);

		/* A frame at the wrong offset. */
		n = tc_keys_seal(&a.k, a.k.tx.next + 1, 0, 0, NULL, 0,
				 frame_buf, TC_FRAME_MAX);
		assert_int_equal(n, -ERANGE);
		n = send_frame(&a, 10, 0, frame_buf, &off);
		assert_int_equal(tc_keys_open(&b.k, off + 1, frame_buf, n,
					      &info, pt_buf, TC_FRAME_MAX),
				 -ERANGE);
		/* A tampered frame changes nothing; the real one opens. */
		frame_buf[5] ^= 1;
		assert_int_equal(tc_keys_open(&b.k, off, frame_buf, n, &info,
					      pt_buf, TC_FRAME_MAX), -EBADMSG);
		frame_buf[5] ^= 1;
		assert_int_equal(tc_keys_open(&b.k, off, frame_buf, n, &info,
					      pt_buf, TC_FRAME_MAX), 0);

		/* The same role on both ends (k_ab both ways) never opens. */
		memset(other, 0x3c, sizeof(other));
		assert_int_equal(tc_keys_init(&c, &algs, aeads[x], true, other,
					      B_INIT_LEN, 0), 0);
		n = tc_keys_seal(&c, B_INIT_LEN, 0, 0, data_buf, 5, frame_buf,
				 TC_FRAME_MAX);
		assert_int_equal(tc_keys_open(&a.k, B_INIT_LEN, frame_buf, n,
					      &info, pt_buf, TC_FRAME_MAX),
				 -EBADMSG);
		tc_keys_free(&c);
		hosts_free(&a, &b);
	}
}

/* A initiates, B echoes (RFC 8548 3.8). */
static void test_rekey_initiate_echo(void **state)
{
	struct tc_frame_info info;
	struct host a, b;
	int i;

	hosts_init(&a, &b, TC_AEAD_AES_128_GCM);
	xfer(&a, &b, 10);
	for (i = 1; i <= 3; i++) {
		assert_int_equal(tc_keys_rekey(&a.k), 0);
		assert_int_equal(a.k.local_gen, i);
		assert_true(tc_keys_must_send(&a.k));
		/* A second initiation before a frame carries the first. */
		assert_int_equal(tc_keys_rekey(&a.k), -EAGAIN);
		info = xfer(&a, &b, 20);
		assert_int_equal(frame_buf[0], TC_CTRL_REKEY);
		assert_true(info.rekey);
		assert_int_equal(info.gen, i);
		assert_true(info.must_send);
		assert_int_equal(b.k.remote_gen, i);
		assert_int_equal(b.k.local_gen, i);
		assert_true(tc_keys_must_send(&b.k));
		/* B's echo: an empty frame with rekey=1. */
		info = xfer(&b, &a, 0);
		assert_int_equal(frame_buf[0], TC_CTRL_REKEY);
		assert_true(info.rekey);
		assert_false(info.must_send);
		assert_false(tc_keys_must_send(&b.k));
		assert_int_equal(a.k.remote_gen, i);
		assert_int_equal(a.k.local_gen, i);
		/* Afterwards rekey=0 at generation i both ways. */
		info = xfer(&a, &b, 30);
		assert_int_equal(frame_buf[0], 0);
		assert_int_equal(info.gen, i);
		info = xfer(&b, &a, 30);
		assert_int_equal(frame_buf[0], 0);
		assert_int_equal(info.gen, i);
	}
	hosts_free(&a, &b);
}

static void test_rekey_simultaneous(void **state)
{
	struct tc_frame_info ia, ib;
	uint8_t fa[128], fb[128];
	struct host a, b;
	uint64_t oa, ob;
	int na, nb;

	hosts_init(&a, &b, TC_AEAD_AES_256_GCM);
	assert_int_equal(tc_keys_rekey(&a.k), 0);
	assert_int_equal(tc_keys_rekey(&b.k), 0);
	na = send_frame(&a, 5, 0, fa, &oa);
	nb = send_frame(&b, 6, 0, fb, &ob);
	assert_int_equal(fa[0], TC_CTRL_REKEY);
	assert_int_equal(fb[0], TC_CTRL_REKEY);
	assert_int_equal(tc_keys_open(&b.k, oa, fa, na, &ib, pt_buf, 128), 0);
	assert_int_equal(tc_keys_open(&a.k, ob, fb, nb, &ia, pt_buf, 128), 0);
	/* Both already at generation 1: nobody owes an echo. */
	assert_false(ia.must_send);
	assert_false(ib.must_send);
	assert_int_equal(a.k.local_gen, 1);
	assert_int_equal(b.k.local_gen, 1);
	assert_int_equal(a.k.remote_gen, 1);
	assert_int_equal(b.k.remote_gen, 1);
	assert_int_equal(xfer(&a, &b, 7).gen, 1);
	assert_int_equal(xfer(&b, &a, 7).gen, 1);
	hosts_free(&a, &b);
}

/* A rekeys twice before B sends: B owes two rekey frames, one per step. */
static void test_rekey_twice(void **state)
{
	struct tc_frame_info info;
	struct host a, b;

	hosts_init(&a, &b, TC_AEAD_CHACHA20_POLY1305);
	assert_int_equal(tc_keys_rekey(&a.k), 0);
	xfer(&a, &b, 3);
	assert_int_equal(tc_keys_rekey(&a.k), 0);
	info = xfer(&a, &b, 3);
	assert_int_equal(info.gen, 2);
	assert_int_equal(b.k.local_gen, 2);
	info = xfer(&b, &a, 1);
	assert_int_equal(frame_buf[0], TC_CTRL_REKEY);
	assert_int_equal(info.gen, 1);
	assert_true(tc_keys_must_send(&b.k));
	info = xfer(&b, &a, 1);
	assert_int_equal(frame_buf[0], TC_CTRL_REKEY);
	assert_int_equal(info.gen, 2);
	assert_false(tc_keys_must_send(&b.k));
	assert_int_equal(a.k.remote_gen, 2);
	hosts_free(&a, &b);
}

/* At most one empty initiating rekey frame while remote_gen < local_gen. */
static void test_rekey_empty_limit(void **state)
{
	struct host a, b;
	uint64_t off;

	hosts_init(&a, &b, TC_AEAD_AES_128_GCM);
	assert_int_equal(tc_keys_rekey(&a.k), 0);
	xfer(&a, &b, 0);		/* the empty rekey frame */
	assert_int_equal(tc_keys_rekey(&a.k), -EBUSY);
	/* B has not answered yet; A can still send data at generation 1. */
	assert_int_equal(xfer(&a, &b, 4).gen, 1);
	xfer(&b, &a, 0);		/* B's echo */
	assert_int_equal(tc_keys_rekey(&a.k), 0);
	assert_true(send_frame(&a, 0, 0, frame_buf, &off) > 0);
	hosts_free(&a, &b);
}

/* Retransmissions use the original keys until the caller retires them. */
static void test_rekey_retransmit_retire(void **state)
{
	uint8_t f0[256], f1[256], f2[256], again[256];
	struct tc_frame_info info;
	uint64_t o0, o1, o2;
	int n0, n1, n2, n;
	struct host a, b;

	hosts_init(&a, &b, TC_AEAD_AES_128_GCM);
	n0 = send_frame(&a, 50, 0, f0, &o0);
	assert_int_equal(tc_keys_rekey(&a.k), 0);
	n1 = send_frame(&a, 60, 0, f1, &o1);
	n2 = send_frame(&a, 70, 0, f2, &o2);
	assert_int_equal(f1[0], TC_CTRL_REKEY);
	assert_int_equal(f2[0], 0);

	/* The ranges each generation covers. */
	{
		uint64_t first, end;

		assert_int_equal(tc_keys_gen_range(&a.k, TC_KEYS_TX, 0, &first,
						   &end), 0);
		assert_int_equal(first, o0);
		assert_int_equal(end, o1);
		assert_int_equal(tc_keys_gen_range(&a.k, TC_KEYS_TX, 1, &first,
						   &end), 0);
		assert_int_equal(first, o1);
		assert_int_equal(end, o2 + n2);
		assert_int_equal(tc_keys_gen_range(&a.k, TC_KEYS_TX, 2, &first,
						   &end), -ENOENT);
	}
	/* Re-sealing gives the same bytes (same key, nonce, rekey bit). */
	n = tc_keys_reseal(&a.k, o0, 0, 0, data_buf, 50, again, sizeof(again));
	assert_int_equal(n, n0);
	assert_memory_equal(again, f0, n0);
	n = tc_keys_reseal(&a.k, o1, 0, 0, data_buf, 60, again, sizeof(again));
	assert_int_equal(n, n1);
	assert_memory_equal(again, f1, n1);
	n = tc_keys_reseal(&a.k, o2, 0, 0, data_buf, 70, again, sizeof(again));
	assert_memory_equal(again, f2, n2);
	/* Beyond what was sent is not a retransmission. */
	assert_int_equal(tc_keys_reseal(&a.k, o2 + 1, 0, 0, data_buf, 70,
					again, sizeof(again)), -ERANGE);

	assert_int_equal(tc_keys_open(&b.k, o0, f0, n0, &info, pt_buf, 256), 0);
	assert_int_equal(tc_keys_open(&b.k, o1, f1, n1, &info, pt_buf, 256), 0);
	assert_int_equal(tc_keys_open(&b.k, o2, f2, n2, &info, pt_buf, 256), 0);
	assert_int_equal(info.gen, 1);
	/* B opens retransmissions of old frames, without state change. */
	assert_int_equal(tc_keys_open(&b.k, o0, f0, n0, &info, pt_buf, 256), 0);
	assert_int_equal(info.gen, 0);
	assert_int_equal(tc_keys_open(&b.k, o1, f1, n1, &info, pt_buf, 256), 0);
	assert_int_equal(info.gen, 1);
	assert_true(info.rekey);
	assert_int_equal(b.k.remote_gen, 1);
	assert_int_equal(tc_keys_live(&b.k, TC_KEYS_RX), 2);

	/* Retire generation 0: keys wiped, its frames no longer open. */
	tc_keys_retire(&b.k, TC_KEYS_RX, 0);
	assert_int_equal(tc_keys_live(&b.k, TC_KEYS_RX), 1);
	assert_int_equal(tc_keys_open(&b.k, o0, f0, n0, &info, pt_buf, 256),
			 -EKEYEXPIRED);
	{
		uint64_t first, end;

		assert_int_equal(tc_keys_gen_range(&b.k, TC_KEYS_RX, 0, &first,
						   &end), -ENOENT);
		assert_int_equal(tc_keys_gen_range(&b.k, TC_KEYS_RX, 1, &first,
						   &end), 0);
		assert_int_equal(first, o1);
		assert_int_equal(end, o2 + n2);
	}
	assert_int_equal(tc_keys_open(&b.k, o2, f2, n2, &info, pt_buf, 256), 0);
	tc_keys_retire(&a.k, TC_KEYS_TX, 0);
	assert_int_equal(tc_keys_reseal(&a.k, o0, 0, 0, data_buf, 50, again,
					sizeof(again)), -EKEYEXPIRED);
	n = tc_keys_reseal(&a.k, o1, 0, 0, data_buf, 60, again, sizeof(again));
	assert_memory_equal(again, f1, n1);
	/* The current generation is never retired. */
	tc_keys_retire(&a.k, TC_KEYS_TX, 1000);
	assert_int_equal(tc_keys_live(&a.k, TC_KEYS_TX), 1);
	assert_true(xfer(&a, &b, 1).gen == 1);
	hosts_free(&a, &b);
}

/* Without retiring, the TX ring fills and rekeying stops (not silently). */
static void test_rekey_ring_full(void **state)
{
	struct tc_frame_info info;
	struct host a, b;
	int i, n, err = 0;
	uint64_t off;

	hosts_init(&a, &b, TC_AEAD_AES_128_GCM);
	for (i = 0; i < 2 * TC_KEYS_GENS; i++) {
		err = tc_keys_rekey(&a.k);
		if (err)
			break;
		xfer(&a, &b, 1);
		xfer(&b, &a, 1);
	}
	assert_int_equal(err, -EBUSY);
	assert_int_equal(i, TC_KEYS_GENS - 1);
	/* A retires; B has not: B cannot key generation 8 for its echo and
	 * refuses the frame without any state change. */
	tc_keys_retire(&a.k, TC_KEYS_TX, a.k.local_gen);
	assert_int_equal(tc_keys_live(&a.k, TC_KEYS_TX), 1);
	assert_int_equal(tc_keys_rekey(&a.k), 0);
	n = send_frame(&a, 1, 0, frame_buf, &off);
	assert_int_equal(tc_keys_open(&b.k, off, frame_buf, n, &info, pt_buf,
				      TC_FRAME_MAX), -EBUSY);
	assert_int_equal(b.k.remote_gen, TC_KEYS_GENS - 1);
	/* Once B retires its old TX generations the same frame opens (B's
	 * old RX generations went automatically). */
	tc_keys_retire(&b.k, TC_KEYS_TX, b.k.local_gen);
	assert_int_equal(tc_keys_open(&b.k, off, frame_buf, n, &info, pt_buf,
				      TC_FRAME_MAX), 0);
	assert_int_equal(info.gen, TC_KEYS_GENS);
	assert_true(info.must_send);
	assert_int_equal(xfer(&b, &a, 0).gen, TC_KEYS_GENS);
	hosts_free(&a, &b);
}

/* A forged rekey bit: not authentic, no generation change. */
static void test_rekey_forged(void **state)
{
	struct tc_frame_info info;
	struct host a, b;
	uint64_t off;
	int n;

	hosts_init(&a, &b, TC_AEAD_AES_128_GCM);
	n = send_frame(&a, 10, 0, frame_buf, &off);
	frame_buf[0] |= TC_CTRL_REKEY;
	assert_int_equal(tc_keys_open(&b.k, off, frame_buf, n, &info, pt_buf,
				      TC_FRAME_MAX), -EBADMSG);
	assert_int_equal(b.k.remote_gen, 0);
	assert_int_equal(b.k.local_gen, 0);
	assert_false(tc_keys_must_send(&b.k));
	/* Reserved control bits are ignored but authenticated. */
	frame_buf[0] = 0x80;
	assert_int_equal(tc_keys_open(&b.k, off, frame_buf, n, &info, pt_buf,
				      TC_FRAME_MAX), -EBADMSG);
	frame_buf[0] = 0;
	assert_int_equal(tc_keys_open(&b.k, off, frame_buf, n, &info, pt_buf,
				      TC_FRAME_MAX), 0);
	hosts_free(&a, &b);
}

struct keys_state {
	unsigned int live_tx, live_rx;
	uint32_t local_gen, remote_gen, mk_gen, rx_cur, rx_oldest;
	uint64_t rx_next;
	uint8_t mk[TC_HASH_LEN];
};

static void keys_snap(const struct tc_keys *k, struct keys_state *s)
{
	memset(s, 0, sizeof(*s));
	s->live_tx = tc_keys_live(k, TC_KEYS_TX);
	s->live_rx = tc_keys_live(k, TC_KEYS_RX);
	s->local_gen = k->local_gen;
	s->remote_gen = k->remote_gen;
	s->mk_gen = k->mk_gen;
	s->rx_cur = k->rx.cur;
	s->rx_oldest = k->rx.oldest;
	s->rx_next = k->rx.next;
	memcpy(s->mk, k->mk, TC_HASH_LEN);
}

/*
 * Issue 12.1: b receives a genuine frame f (not yet opened) with its rekey
 * bit flipped. The forgery must fail and leave every piece of key state as
 * it was; then a retransmission of the oldest frame still held and f itself
 * open.
 */
static void forge_then_genuine(struct host *a, struct host *b,
			       const uint8_t *old, size_t old_len,
			       uint64_t old_off, uint32_t old_gen)
{
	struct keys_state before, after;
	struct tc_frame_info info;
	uint8_t f[64], forged[64];
	uint64_t off;
	int n;

	n = send_frame(a, 9, 0, f, &off);
	assert_true(n > 0 && (size_t)n <= sizeof(f));
	assert_int_equal(f[0], 0);
	memcpy(forged, f, n);
	forged[0] ^= TC_CTRL_REKEY;
	keys_snap(&b->k, &before);
	assert_int_equal(tc_keys_open(&b->k, off, forged, n, &info, pt_buf,
				      TC_FRAME_MAX), -EBADMSG);
	keys_snap(&b->k, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	/* Twice, in case a first attempt left something half done. */
	assert_int_equal(tc_keys_open(&b->k, off, forged, n, &info, pt_buf,
				      TC_FRAME_MAX), -EBADMSG);
	keys_snap(&b->k, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_false(tc_keys_must_send(&b->k));
	/* A genuine retransmission of an old frame still opens... */
	assert_int_equal(tc_keys_open(&b->k, old_off, old, old_len, &info,
				      pt_buf, TC_FRAME_MAX), 0);
	assert_int_equal(info.gen, old_gen);
	/* ...and so does the genuine frame, at the current generation. */
	assert_int_equal(tc_keys_open(&b->k, off, f, n, &info, pt_buf,
				      TC_FRAME_MAX), 0);
	assert_int_equal(info.gen, before.rx_cur);
	assert_false(info.rekey);
	assert_int_equal(b->k.remote_gen, before.remote_gen);
	assert_int_equal(b->k.local_gen, before.local_gen);
}

/*
 * A forged rekey bit at several generations, before and after old
 * generations were retired: nothing about keys changes until a frame
 * authenticates (the generation it would select is derived in scratch).
 */
static void test_rekey_forged_no_state_change(void **state)
{
	uint8_t f0[64], fk[64];
	struct tc_frame_info info;
	struct host a, b;
	uint64_t o0, ok;
	uint32_t g;
	int n0, nk;

	hosts_init(&a, &b, TC_AEAD_AES_128_GCM);
	/* Generation 0: the first frame, kept for retransmission. */
	n0 = send_frame(&a, 7, 0, f0, &o0);
	assert_int_equal(tc_keys_open(&b.k, o0, f0, n0, &info, pt_buf,
				      TC_FRAME_MAX), 0);
	forge_then_genuine(&a, &b, f0, n0, o0, 0);

	/* Rekey rounds up to the last generation the ring holds beside 0.
	 * Both hosts retire their TX keys as if everything was acked, but
	 * b keeps its RX keys: generation 0 is still live on b. */
	for (g = 1; g < TC_KEYS_GENS; g++) {
		assert_int_equal(tc_keys_rekey(&a.k), 0);
		xfer(&a, &b, 1);
		xfer(&b, &a, 0);		/* b's echo */
		tc_keys_retire(&a.k, TC_KEYS_TX, g);
		tc_keys_retire(&b.k, TC_KEYS_TX, g);
		tc_keys_retire(&a.k, TC_KEYS_RX, g);
		assert_int_equal(b.k.remote_gen, g);
		/* The forged bit would select g + 1; at g = 7 that is the
		 * slot of generation 0, whose RX key a forgery must not
		 * retire. */
		forge_then_genuine(&a, &b, f0, n0, o0, 0);
	}
	assert_int_equal(tc_keys_live(&b.k, TC_KEYS_RX), TC_KEYS_GENS);

	/* After b retired old RX generations: still no change. */
	nk = send_frame(&a, 5, 0, fk, &ok);
	assert_int_equal(tc_keys_open(&b.k, ok, fk, nk, &info, pt_buf,
				      TC_FRAME_MAX), 0);
	tc_keys_retire(&b.k, TC_KEYS_RX, 3);
	assert_int_equal(tc_keys_live(&b.k, TC_KEYS_RX), TC_KEYS_GENS - 4);
	forge_then_genuine(&a, &b, fk, nk, ok, TC_KEYS_GENS - 1);
	assert_int_equal(tc_keys_open(&b.k, o0, f0, n0, &info, pt_buf,
				      TC_FRAME_MAX), -EKEYEXPIRED);

	/* A genuine rekey into the ring slot of generation 0 still works. */
	assert_int_equal(tc_keys_rekey(&a.k), 0);
	assert_int_equal(xfer(&a, &b, 2).gen, TC_KEYS_GENS);
	assert_int_equal(b.k.remote_gen, TC_KEYS_GENS);
	assert_int_equal(xfer(&b, &a, 0).gen, TC_KEYS_GENS);
	hosts_free(&a, &b);
}

/* FINp ends the stream; no echo is owed after FIN. */
static void test_fin(void **state)
{
	struct tc_frame_info info;
	struct host a, b;
	uint64_t off;
	int n;

	hosts_init(&a, &b, TC_AEAD_AES_128_GCM);
	n = send_frame(&a, 3, TC_FLAG_FINP, frame_buf, &off);
	assert_true(n > 0);
	assert_int_equal(tc_keys_open(&b.k, off, frame_buf, n, &info, pt_buf,
				      TC_FRAME_MAX), 0);
	assert_true(info.fin);
	/* Its retransmission still opens; a frame after it never does. */
	assert_int_equal(tc_keys_open(&b.k, off, frame_buf, n, &info, pt_buf,
				      TC_FRAME_MAX), 0);
	{
		struct tc_frame_key fk;
		uint8_t kab[TC_TRAFFIC_KEY_MAX], mk0[TC_HASH_LEN];
		int m;

		/* Forge it with A's real key, as a buggy peer would. */
		memset(mk0, 0x3c, sizeof(mk0));
		assert_int_equal(tc_traffic_keys(&algs, mk0,
						 TC_AEAD_AES_128_GCM, kab,
						 NULL), 0);
		assert_int_equal(tc_frame_key_init(&fk, algs.aes_128_gcm,
						   TC_AEAD_AES_128_GCM, kab,
						   true), 0);
		m = tc_frame_seal(&fk, off + n, 0, 0, 0, data_buf, 4,
				  pt_buf, TC_FRAME_MAX);
		assert_int_equal(tc_keys_open(&b.k, off + n, pt_buf, m, &info,
					      frame_buf + 4096, 4096), -EPROTO);
		tc_frame_key_free(&fk);
	}
	assert_int_equal(send_frame(&a, 3, 0, frame_buf, &off), -EPIPE);
	assert_int_equal(tc_keys_rekey(&a.k), -EPIPE);
	/* B rekeys; A has sent FIN so it owes nothing. */
	assert_int_equal(tc_keys_rekey(&b.k), 0);
	info = xfer(&b, &a, 2);
	assert_int_equal(a.k.remote_gen, 1);
	assert_false(info.must_send);
	assert_false(tc_keys_must_send(&a.k));
	hosts_free(&a, &b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_flags_urgent_fin),
		cmocka_unit_test(test_reserved_bits_ignored),
		cmocka_unit_test(test_tamper_every_byte),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_reasm_every_split),
		cmocka_unit_test(test_reasm_bytewise_and_overlap),
		cmocka_unit_test(test_reasm_bad_header),
		cmocka_unit_test(test_key_labels),
		cmocka_unit_test(test_keys_basic),
		cmocka_unit_test(test_rekey_initiate_echo),
		cmocka_unit_test(test_rekey_simultaneous),
		cmocka_unit_test(test_rekey_twice),
		cmocka_unit_test(test_rekey_empty_limit),
		cmocka_unit_test(test_rekey_retransmit_retire),
		cmocka_unit_test(test_rekey_ring_full),
		cmocka_unit_test(test_rekey_forged),
		cmocka_unit_test(test_rekey_forged_no_state_change),
		cmocka_unit_test(test_fin),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
