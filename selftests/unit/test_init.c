// SPDX-License-Identifier: GPL-2.0
/*
 * Init1/Init2 encoding and the incremental decoder: round trips for every
 * TEP, every split of the stream, bytes after the message left alone,
 * ignored trailing bytes kept, and each class of malformed message with its
 * own error code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/init.h"
#include "unit/hex.h"
#include "unit/test_rng.h"

static struct test_rng trng;

static int setup(void **state)
{
	return test_rng_init(&trng, 0x1417) ? -1 : 0;
}

static int teardown(void **state)
{
	test_rng_free(&trng);
	return 0;
}

static const uint8_t teps[] = { TC_TEP_P256, TC_TEP_P521, TC_TEP_X25519,
				TC_TEP_X448 };
static const uint16_t offer[] = { 0x0001, 0x0010, 0x0002 };

#define MSG_MAX 1024

/* A valid message for a TEP: which 1 or 2; returns its length. */
static size_t make_msg(int which, uint8_t tep, uint8_t *out, uint16_t cipher)
{
	uint8_t nonce[TC_NONCE_LEN], pub[TC_ECDH_PUB_MAX];
	struct tc_ecdh e;
	int n, len;

	memset(nonce, which == 1 ? 0xa1 : 0xb2, sizeof(nonce));
	assert_int_equal(tc_ecdh_generate(&e, tep, &trng.rng), 0);
	n = tc_ecdh_public(&e, pub, sizeof(pub));
	assert_int_equal(n, tc_tep_info(tep)->pub_len);
	tc_ecdh_free(&e);
	if (which == 1)
		len = tc_init1_encode(out, MSG_MAX, tep, offer, 3, nonce, pub, n);
	else
		len = tc_init2_encode(out, MSG_MAX, tep, cipher, nonce, pub, n);
	assert_true(len > 0);
	return (size_t)len;
}

static void dec_start(struct tc_init_dec *d, int which, uint8_t tep)
{
	if (which == 1)
		tc_init1_dec_init(d, tep);
	else
		tc_init2_dec_init(d, tep, offer, 3);
}

/* Feed buf in chunks cut at the given points; return the final status. */
static int feed_split(struct tc_init_dec *d, const uint8_t *buf, size_t len,
		      const size_t *cuts, size_t ncuts, size_t *total_used)
{
	size_t prev = 0, used, i;
	int ret = TC_INIT_NEED_MORE;

	*total_used = 0;
	for (i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		ret = tc_init_dec_feed(d, buf + prev, end - prev, &used);
		*total_used += used;
		if (ret != TC_INIT_NEED_MORE)
			return ret;
		assert_int_equal(used, end - prev);
		prev = end;
	}
	return ret;
}

static void test_lengths(void **state)
{
	/* digest 2.3: Init1 = 73+2K, 97+2K, 76+2K, 110+2K; Init2 = 74, 98, 77, 111 */
	assert_int_equal(tc_init1_len(TC_TEP_X25519, 1), 75);
	assert_int_equal(tc_init1_len(TC_TEP_X448, 2), 101);
	assert_int_equal(tc_init1_len(TC_TEP_P256, 3), 82);
	assert_int_equal(tc_init1_len(TC_TEP_P521, 1), 112);
	assert_int_equal(tc_init2_len(TC_TEP_X25519), 74);
	assert_int_equal(tc_init2_len(TC_TEP_X448), 98);
	assert_int_equal(tc_init2_len(TC_TEP_P256), 77);
	assert_int_equal(tc_init2_len(TC_TEP_P521), 111);
	assert_int_equal(tc_init1_len(0x25, 1), 0);
}

static void test_encode_layout(void **state)
{
	uint8_t buf[MSG_MAX], nonce[TC_NONCE_LEN], pub[32];
	static const uint16_t c[] = { 0x0001, 0x0010 };
	int len;

	memset(nonce, 0x11, sizeof(nonce));
	memset(pub, 0x22, sizeof(pub));
	len = tc_init1_encode(buf, sizeof(buf), TC_TEP_X25519, c, 2, nonce, pub, 32);
	assert_int_equal(len, 77);
	assert_memory_equal(buf, "\x15\x10\x1a\x0e\x00\x00\x00\x4d\x02\x00\x01\x00\x10", 13);
	assert_memory_equal(buf + 13, nonce, 32);
	assert_memory_equal(buf + 45, pub, 32);
	len = tc_init2_encode(buf, sizeof(buf), TC_TEP_X25519, 0x0010, nonce, pub, 32);
	assert_int_equal(len, 74);
	assert_memory_equal(buf, "\x09\x71\x05\xe0\x00\x00\x00\x4a\x00\x10", 10);
	assert_memory_equal(buf + 10, nonce, 32);
	assert_memory_equal(buf + 42, pub, 32);
	/* refusals: short buffer, wrong Pub length, no ciphers, bad TEP */
	assert_int_equal(tc_init2_encode(buf, 73, TC_TEP_X25519, 1, nonce, pub, 32),
			 -ENOSPC);
	assert_int_equal(tc_init2_encode(buf, sizeof(buf), TC_TEP_X25519, 1, nonce,
					 pub, 31), -EINVAL);
	assert_int_equal(tc_init1_encode(buf, sizeof(buf), TC_TEP_X25519, c, 0,
					 nonce, pub, 32), -EINVAL);
	assert_int_equal(tc_init1_encode(buf, sizeof(buf), 0x20, c, 1, nonce,
					 pub, 32), -EINVAL);
}

/* Whole message in one chunk, then at every split point, then byte by byte. */
static void test_splits(void **state)
{
	uint8_t buf[MSG_MAX + 16];
	struct tc_init_dec d;
	size_t len, used, k, cut, i, t;
	int which;

	for (t = 0; t < sizeof(teps); t++) {
		for (which = 1; which <= 2; which++) {
			len = make_msg(which, teps[t], buf, 0x0010);
			/* 7 bytes of the next frame follow the message */
			memset(buf + len, 0xee, 7);

			dec_start(&d, which, teps[t]);
			assert_int_equal(tc_init_dec_feed(&d, buf, len + 7, &used),
					 TC_INIT_DONE);
			assert_int_equal(used, len);
			assert_int_equal(d.msg_len, len);
			assert_memory_equal(d.msg, buf, len);
			assert_memory_equal(d.nonce, buf + len - 32 -
					    tc_tep_info(teps[t])->pub_len, 32);
			assert_int_equal(d.pub_len, tc_tep_info(teps[t])->pub_len);
			assert_non_null(d.peer);
			if (which == 1) {
				assert_int_equal(d.nciphers, 3);
				for (i = 0; i < 3; i++)
					assert_int_equal(tc_init1_cipher(&d, i), offer[i]);
			} else {
				assert_int_equal(d.sym_cipher, 0x0010);
			}
			assert_int_equal(tc_init_dec_eof(&d), 0);
			/* done is done: more bytes are not taken */
			assert_int_equal(tc_init_dec_feed(&d, buf, 3, &used),
					 TC_INIT_DONE);
			assert_int_equal(used, 0);
			tc_init_dec_free(&d);

			/* every single split point, with the frame bytes after */
			for (cut = 0; cut <= len + 7; cut++) {
				dec_start(&d, which, teps[t]);
				assert_int_equal(feed_split(&d, buf, len + 7, &cut, 1,
							    &used), TC_INIT_DONE);
				assert_int_equal(used, len);
				assert_memory_equal(d.msg, buf, len);
				tc_init_dec_free(&d);
			}

			/* byte by byte */
			dec_start(&d, which, teps[t]);
			for (k = 0; k < len - 1; k++) {
				assert_int_equal(tc_init_dec_feed(&d, buf + k, 1, &used),
						 TC_INIT_NEED_MORE);
				assert_int_equal(used, 1);
			}
			assert_int_equal(tc_init_dec_feed(&d, buf + k, 8, &used),
					 TC_INIT_DONE);
			assert_int_equal(used, 1);
			assert_memory_equal(d.msg, buf, len);
			tc_init_dec_free(&d);
		}
	}
}

static void set_len(uint8_t *buf, uint32_t v)
{
	buf[4] = v >> 24;
	buf[5] = v >> 16;
	buf[6] = v >> 8;
	buf[7] = v;
}

/* A sink that keeps what it is given (up to cap) and counts it. */
struct sink {
	uint8_t buf[64];
	size_t n, calls;
	uint32_t sum;		/* position-dependent, over every byte */
	int fail;
};

static int sink_fn(void *arg, const uint8_t *data, size_t len)
{
	struct sink *k = arg;
	size_t i;

	assert_true(len > 0);
	if (k->fail)
		return k->fail;
	for (i = 0; i < len; i++) {
		if (k->n + i < sizeof(k->buf))
			k->buf[k->n + i] = data[i];
		k->sum = k->sum * 31 + data[i] + 1;
	}
	k->n += len;
	k->calls++;
	return 0;
}

/*
 * Ignored trailing bytes up to message_len are accepted and streamed to the
 * sink, never kept: only the fixed part is in d.msg.
 */
static void test_trailing(void **state)
{
	uint8_t buf[MSG_MAX + 64];
	struct tc_init_dec d;
	struct sink k;
	size_t len, used, cut;
	int which;

	for (which = 1; which <= 2; which++) {
		len = make_msg(which, TC_TEP_X25519, buf, 0x0001);
		memcpy(buf + len, "trailing", 8);
		buf[7] += 8;	/* message_len covers them */
		memset(buf + len + 8, 0xee, 5);
		for (cut = 0; cut <= len + 13; cut++) {
			memset(&k, 0, sizeof(k));
			dec_start(&d, which, TC_TEP_X25519);
			tc_init_dec_set_sink(&d, sink_fn, &k);
			assert_int_equal(feed_split(&d, buf, len + 13, &cut, 1, &used),
					 TC_INIT_DONE);
			assert_int_equal(used, len + 8);
			assert_int_equal(d.msg_len, len + 8);
			assert_int_equal(d.fixed_len, len);
			assert_memory_equal(d.msg, buf, len);
			assert_int_equal(k.n, 8);
			assert_memory_equal(k.buf, "trailing", 8);
			/* the fields are still where the base layout puts them */
			assert_ptr_equal(d.pub, d.msg + len - 32);
			tc_init_dec_free(&d);
		}
		/* without a sink they are dropped, with the same outcome */
		dec_start(&d, which, TC_TEP_X25519);
		assert_int_equal(tc_init_dec_feed(&d, buf, len + 13, &used),
				 TC_INIT_DONE);
		assert_int_equal(used, len + 8);
		tc_init_dec_free(&d);
		/* a failing sink stops the decoder, stickily */
		memset(&k, 0, sizeof(k));
		k.fail = -ENOMEM;
		dec_start(&d, which, TC_TEP_X25519);
		tc_init_dec_set_sink(&d, sink_fn, &k);
		assert_int_equal(tc_init_dec_feed(&d, buf, len + 13, &used),
				 -ENOMEM);
		assert_int_equal(used, len);
		assert_int_equal(tc_init_dec_feed(&d, buf, 1, &used), -ENOMEM);
		tc_init_dec_free(&d);
	}

	/* far beyond any buffer: 100 KB of ignored bytes, odd chunks */
	{
		static uint8_t big[100000];
		size_t i, off, n, chunk = 1;
		uint32_t want = 0;

		for (i = 0; i < sizeof(big); i++) {
			big[i] = (uint8_t)(i * 13 + 1);
			want = want * 31 + big[i] + 1;
		}
		len = make_msg(1, TC_TEP_X25519, buf, 0);
		set_len(buf, (uint32_t)(len + sizeof(big)));
		memset(&k, 0, sizeof(k));
		tc_init1_dec_init(&d, TC_TEP_X25519);
		tc_init_dec_set_sink(&d, sink_fn, &k);
		assert_int_equal(tc_init_dec_feed(&d, buf, len, &used),
				 TC_INIT_NEED_MORE);
		for (off = 0; off < sizeof(big); off += n) {
			n = sizeof(big) - off < chunk ? sizeof(big) - off : chunk;
			chunk = chunk * 3 + 1;
			if (chunk > 7919)
				chunk = 7;
			assert_int_equal(tc_init_dec_feed(&d, big + off, n, &used),
					 off + n < sizeof(big) ?
					 TC_INIT_NEED_MORE : TC_INIT_DONE);
			assert_int_equal(used, n);
		}
		assert_int_equal(k.n, sizeof(big));
		assert_int_equal(k.sum, want);
		assert_int_equal(d.msg_len, len + sizeof(big));
		tc_init_dec_free(&d);
	}

	/* the largest message_len is accepted (and would be streamed) */
	len = make_msg(2, TC_TEP_P521, buf, 0x0001);
	set_len(buf, 0xffffffff);
	tc_init2_dec_init(&d, TC_TEP_P521, offer, 3);
	assert_int_equal(tc_init_dec_feed(&d, buf, len, &used), TC_INIT_NEED_MORE);
	assert_int_equal(tc_init_dec_feed(&d, buf, len, &used), TC_INIT_NEED_MORE);
	assert_int_equal(d.have, 2 * len);
	assert_int_equal(tc_init_dec_eof(&d), -TC_EINIT_TRUNC);
	tc_init_dec_free(&d);
}

/* The largest cipher list: 255 entries, unknown ids included. */
static void test_many_ciphers(void **state)
{
	uint8_t buf[MSG_MAX], nonce[TC_NONCE_LEN] = { 0 }, pub[32] = { 9 };
	uint16_t list[TC_INIT_NCIPHERS_MAX + 1];
	struct tc_init_dec d;
	size_t used, i;
	int len;

	for (i = 0; i <= TC_INIT_NCIPHERS_MAX; i++)
		list[i] = (uint16_t)(0x0100 + i);
	assert_int_equal(tc_init1_encode(buf, sizeof(buf), TC_TEP_X25519, list,
					 TC_INIT_NCIPHERS_MAX + 1, nonce, pub, 32),
			 -EINVAL);
	len = tc_init1_encode(buf, sizeof(buf), TC_TEP_X25519, list,
			      TC_INIT_NCIPHERS_MAX, nonce, pub, 32);
	assert_int_equal(len, 9 + 510 + 32 + 32);
	tc_init1_dec_init(&d, TC_TEP_X25519);
	assert_int_equal(tc_init_dec_feed(&d, buf, (size_t)len, &used), TC_INIT_DONE);
	assert_int_equal(d.nciphers, 255);
	for (i = 0; i < 255; i++)
		assert_int_equal(tc_init1_cipher(&d, i), list[i]);
	assert_memory_equal(d.pub, pub, 32);
	tc_init_dec_free(&d);
}

/* Decode buf as a whole and at every split: all must give want. */
static void expect_err(int which, uint8_t tep, const uint8_t *buf, size_t len,
		       int want)
{
	struct tc_init_dec d;
	size_t used, cut;

	for (cut = 0; cut <= len; cut++) {
		dec_start(&d, which, tep);
		assert_int_equal(feed_split(&d, buf, len, &cut, 1, &used), want);
		/* sticky */
		assert_int_equal(tc_init_dec_feed(&d, buf, len, &used), want);
		assert_int_equal(tc_init_dec_eof(&d), want);
		tc_init_dec_free(&d);
	}
}


static void test_malformed(void **state)
{
	uint8_t buf[MSG_MAX], bad[MSG_MAX];
	struct tc_init_dec d;
	size_t len, i, t, used;
	int which, codes[] = { TC_EINIT_MAGIC, TC_EINIT_LEN, TC_EINIT_NCIPHERS,
			       TC_EINIT_CIPHER, TC_EBADKEY, TC_EINIT_TRUNC,
			       TC_EZEROSECRET };
	size_t a, b;

	/* the codes are distinct errno values */
	for (a = 0; a < 7; a++)
		for (b = a + 1; b < 7; b++)
			assert_int_not_equal(codes[a], codes[b]);

	for (t = 0; t < sizeof(teps); t++) {
		for (which = 1; which <= 2; which++) {
			len = make_msg(which, teps[t], buf, 0x0002);
			/* magic: any of the four bytes; the other message's magic */
			for (i = 0; i < 4; i++) {
				memcpy(bad, buf, len);
				bad[i] ^= 0x40;
				expect_err(which, teps[t], bad, len, -TC_EINIT_MAGIC);
			}
			memcpy(bad, buf, len);
			memcpy(bad, which == 1 ? "\x09\x71\x05\xe0" : "\x15\x10\x1a\x0e", 4);
			expect_err(which, teps[t], bad, len, -TC_EINIT_MAGIC);

			/* message_len: one short, zero, header only, absurd */
			memcpy(bad, buf, len);
			set_len(bad, (uint32_t)len - 1);
			expect_err(which, teps[t], bad, len, -TC_EINIT_LEN);
			set_len(bad, 0);
			expect_err(which, teps[t], bad, len, -TC_EINIT_LEN);
			set_len(bad, 8);
			expect_err(which, teps[t], bad, len, -TC_EINIT_LEN);

			/* truncated by end of stream */
			dec_start(&d, which, teps[t]);
			assert_int_equal(tc_init_dec_feed(&d, buf, len - 1, &used),
					 TC_INIT_NEED_MORE);
			assert_int_equal(tc_init_dec_eof(&d), -TC_EINIT_TRUNC);
			assert_int_equal(tc_init_dec_feed(&d, buf + len - 1, 1, &used),
					 -TC_EINIT_TRUNC);
			tc_init_dec_free(&d);
			dec_start(&d, which, teps[t]);
			assert_int_equal(tc_init_dec_eof(&d), -TC_EINIT_TRUNC);
			tc_init_dec_free(&d);
		}

		/* Init1: nciphers 0 (message_len still fits a 1-cipher message) */
		len = make_msg(1, teps[t], buf, 0);
		memcpy(bad, buf, len);
		bad[8] = 0;
		expect_err(1, teps[t], bad, len, -TC_EINIT_NCIPHERS);
		/* nciphers larger than message_len allows */
		bad[8] = 4;
		expect_err(1, teps[t], bad, len, -TC_EINIT_LEN);
		bad[8] = 255;
		expect_err(1, teps[t], bad, len, -TC_EINIT_LEN);
		/* fewer ciphers than sent: the rest shifts into N_A and Pub */
		bad[8] = 2;
		set_len(bad, (uint32_t)len - 2);
		if (teps[t] == TC_TEP_P256 || teps[t] == TC_TEP_P521)
			expect_err(1, teps[t], bad, len, -TC_EBADKEY);

		/* Init2: a sym_cipher A did not offer */
		len = make_msg(2, teps[t], buf, 0x0003);
		expect_err(2, teps[t], buf, len, -TC_EINIT_CIPHER);
		len = make_msg(2, teps[t], buf, 0x0100);
		expect_err(2, teps[t], buf, len, -TC_EINIT_CIPHER);
	}

	/* invalid keys (NIST): bad prefix, bad pubkey_len, x not on the curve */
	for (which = 1; which <= 2; which++) {
		len = make_msg(which, TC_TEP_P256, buf, 0x0001);
		memcpy(bad, buf, len);
		bad[len - 33] = 0x04;
		expect_err(which, TC_TEP_P256, bad, len, -TC_EBADKEY);
		memcpy(bad, buf, len);
		bad[len - 34] = 33;
		expect_err(which, TC_TEP_P256, bad, len, -TC_EBADKEY);
		memcpy(bad, buf, len);
		bad[len - 33] = 0x02;
		memset(bad + len - 32, 0, 31);
		bad[len - 1] = 1;	/* x = 1 is not on P-256 */
		expect_err(which, TC_TEP_P256, bad, len, -TC_EBADKEY);
		len = make_msg(which, TC_TEP_P521, buf, 0x0001);
		memcpy(bad, buf, len);
		bad[len - 67] = 0x00;
		expect_err(which, TC_TEP_P521, bad, len, -TC_EBADKEY);
	}

	/* an unknown TEP cannot be decoded at all */
	tc_init1_dec_init(&d, 0x20);
	assert_int_equal(tc_init_dec_feed(&d, buf, len, &used), -EINVAL);
	tc_init_dec_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_splits),
		cmocka_unit_test(test_trailing),
		cmocka_unit_test(test_many_ciphers),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
