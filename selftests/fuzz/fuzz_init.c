// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the incremental Init1/Init2 decoder (lib/core/init.c).
 *
 * Input: byte 0 picks the message (bit 0: Init1/Init2) and the TEP (bits
 * 1-2); bytes 1-3 pick how the stream is split; the rest is the stream.
 * The stream is decoded in one chunk, at two fuzzer-chosen cut points, and
 * in fixed-size chunks: the outcome (status, bytes consumed, message bytes
 * and fields) must be the same every time, and must be self-consistent.
 * With bit 3 of byte 0 set, the same stream also goes through a handshake
 * object (B for Init1, A for Init2, fresh keys), which must agree with the
 * decoder and produce a well-formed Init2 when it is B.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/handshake.h"
#include "core/init.h"
#include "unit/test_rng.h"

static const uint8_t teps[] = { TC_TEP_P256, TC_TEP_P521, TC_TEP_X25519,
				TC_TEP_X448 };
static const uint16_t offered[] = { 0x0001, 0x0002, 0x0010 };

struct outcome {
	int status;
	size_t used;
	uint64_t ignored;	/* bytes the sink was given */
	uint64_t sum;		/* a position-dependent sum of them */
	struct tc_init_dec d;
};

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static void start(struct tc_init_dec *d, int which, uint8_t tep)
{
	if (which == 1)
		tc_init1_dec_init(d, tep);
	else
		tc_init2_dec_init(d, tep, offered, 3);
}

/* The ignored bytes: counted and summed, whatever the pieces. */
static int sink(void *arg, const uint8_t *data, size_t len)
{
	struct outcome *o = arg;
	size_t i;

	CHECK(len > 0);
	CHECK(o->d.fixed_len && o->d.have >= o->d.fixed_len);
	CHECK(o->d.have + len <= o->d.msg_len);
	for (i = 0; i < len; i++)
		o->sum = o->sum * 1099511628211ULL + data[i] + 1;
	o->ignored += len;
	return 0;
}

/* Feed data cut at cuts[] (increasing, each <= len). */
static void run(struct outcome *o, int which, uint8_t tep, const uint8_t *data,
		size_t len, const size_t *cuts, size_t ncuts)
{
	size_t prev = 0, used, i, end;

	start(&o->d, which, tep);
	tc_init_dec_set_sink(&o->d, sink, o);
	o->ignored = o->sum = 0;
	o->used = 0;
	o->status = TC_INIT_NEED_MORE;
	for (i = 0; i <= ncuts; i++) {
		end = i < ncuts ? cuts[i] : len;
		o->status = tc_init_dec_feed(&o->d, data + prev, end - prev, &used);
		CHECK(used <= end - prev);
		o->used += used;
		if (o->status != TC_INIT_NEED_MORE)
			break;
		CHECK(used == end - prev);
		prev = end;
	}
}

static void same(const struct outcome *x, const struct outcome *y)
{
	CHECK(x->status == y->status);
	/* errors too are found at the same byte, whatever the split */
	CHECK(x->used == y->used);
	CHECK(x->ignored == y->ignored && x->sum == y->sum);
	if (x->status != TC_INIT_DONE)
		return;
	CHECK(x->d.msg_len == y->d.msg_len);
	CHECK(x->d.fixed_len == y->d.fixed_len);
	CHECK(!memcmp(x->d.msg, y->d.msg, x->d.fixed_len));
	CHECK(x->d.nciphers == y->d.nciphers);
	CHECK(x->d.sym_cipher == y->d.sym_cipher);
	CHECK(x->d.nonce - x->d.msg == y->d.nonce - y->d.msg);
	CHECK(x->d.pub - x->d.msg == y->d.pub - y->d.msg);
	CHECK(x->d.peer && y->d.peer);
}

static void consistent(const struct outcome *o, int which, uint8_t tep,
		       const uint8_t *data)
{
	const struct tc_tep_info *ti = tc_tep_info(tep);
	size_t i;

	if (o->status != TC_INIT_DONE)
		return;
	CHECK(o->used == o->d.msg_len);
	CHECK(o->d.fixed_len <= TC_INIT_FIXED_MAX);
	CHECK(!memcmp(o->d.msg, data, o->d.fixed_len));
	/* every byte after the fixed part went to the sink, none was kept */
	CHECK(o->ignored == o->d.msg_len - o->d.fixed_len);
	CHECK(o->d.pub_len == ti->pub_len);
	CHECK(o->d.pub + o->d.pub_len == o->d.msg + o->d.fixed_len);
	if (which == 1) {
		CHECK(o->d.nciphers > 0);
		CHECK(o->d.msg_len >= tc_init1_len(tep, o->d.nciphers));
		for (i = 0; i < o->d.nciphers; i++)
			(void)tc_init1_cipher(&o->d, i);
	} else {
		CHECK(o->d.msg_len >= tc_init2_len(tep));
		CHECK(o->d.sym_cipher == 0x0001 || o->d.sym_cipher == 0x0002 ||
		      o->d.sym_cipher == 0x0010);
	}
}

/*
 * The handshake streamed the peer's ignored bytes into its PRK: its keys
 * must equal those from the one-shot Extract over the whole messages as
 * transmitted (its key pair is the first draw of a seed-1 generator).
 */
static void check_prk(const struct tc_algs *algs, int which, uint8_t tep,
		      const uint8_t *data, const struct outcome *dec,
		      const uint8_t *own, size_t own_len,
		      const struct tc_hs_result *r)
{
	uint8_t es[TC_ECDH_ES_MAX], prk[TC_HASH_LEN];
	struct tc_hs_result want;
	struct test_rng rng;
	struct tc_ecdh e;
	int n;

	CHECK(test_rng_init(&rng, 1) == 0);
	CHECK(tc_ecdh_generate(&e, tep, &rng.rng) == 0);
	n = tc_ecdh_derive_pub(&e, dec->d.pub, dec->d.pub_len, es, sizeof(es));
	CHECK(n > 0);
	if (which == 1)
		CHECK(tc_hs_prk(algs, dec->d.nonce, (const uint8_t *)"\x45\x02", 2,
				data, dec->d.msg_len, own, own_len, es,
				(size_t)n, prk) == 0);
	else
		CHECK(tc_hs_prk(algs, own + TC_INIT1_HDR_LEN + 2 * 3,
				(const uint8_t *)"\x45\x02", 2, own, own_len,
				data, dec->d.msg_len, es, (size_t)n, prk) == 0);
	CHECK(tc_hs_resume(algs, prk, NULL, 0, which == 1 ? TC_ENO_ROLE_B :
			   TC_ENO_ROLE_A, r->aead, tep, &want) == 0);
	CHECK(!memcmp(want.mk0, r->mk0, TC_HASH_LEN));
	CHECK(!memcmp(want.session_id, r->session_id, TC_SESSID_LEN));
	tc_hs_result_wipe(&want);
	tc_ecdh_free(&e);
	test_rng_free(&rng);
}

/* The decoder's verdict carried through a handshake object. */
static void handshake(int which, uint8_t tep, const uint8_t *data, size_t len,
		      const size_t *cuts, const struct outcome *dec, bool defer)
{
	static struct tc_algs algs;
	static int have_algs;
	static const uint16_t b_pref[] = { 0x0010, 0x0001 };
	struct tc_hs_params p = {
		.algs = &algs, .tep_byte = tep, .transcript = (const uint8_t *)"\x45\x02",
		.transcript_len = 2,
	};
	struct tc_hs_result r;
	const uint8_t *m;
	size_t used, total = 0, m_len;
	struct test_rng rng;
	struct tc_hs hs;
	int ret = TC_HS_NEED_MORE, i;

	if (!have_algs) {
		CHECK(tc_algs_init(&algs) == 0);
		have_algs = 1;
	}
	/* the same draws for every input, so a finding replays */
	CHECK(test_rng_init(&rng, 1) == 0);
	p.rng = &rng.rng;
	p.role = which == 1 ? TC_ENO_ROLE_B : TC_ENO_ROLE_A;
	p.aeads = which == 1 ? b_pref : offered;
	p.n_aeads = which == 1 ? 2 : 3;
	p.defer_derive = defer;
	CHECK(tc_hs_start(&hs, &p) == 0);
	for (i = 0; i < 3 && ret == TC_HS_NEED_MORE; i++) {
		size_t from = i ? cuts[i - 1] : 0, to = i < 2 ? cuts[i] : len;

		ret = tc_hs_input(&hs, data + from, to - from, &used);
		total += used;
	}
	if (dec->status != TC_INIT_DONE) {
		CHECK(ret == dec->status);
	} else if (ret == TC_HS_DONE) {
		int got = tc_hs_result(&hs, &r);

		CHECK(total == dec->used);
		if (got) {
			/* only B's deferred ECDH fails after DONE, once Init2 was out */
			CHECK(defer && which == 1 && got == -TC_EZEROSECRET &&
			      !tc_hs_output(&hs, &m_len));
			goto out;
		}
		CHECK(r.session_id[0] == tep && r.rx_offset == dec->used);
		m = tc_hs_output(&hs, &m_len);
		CHECK(m && m_len == (which == 1 ? tc_init2_len(tep) :
				     tc_init1_len(tep, 3)));
		if (which == 1)
			CHECK(r.aead == (m[8] << 8 | m[9]));
		check_prk(&algs, which, tep, data, dec, m, m_len, &r);
		tc_hs_result_wipe(&r);
	} else {
		/* no AEAD in common, or a low-order X25519/X448 key */
		CHECK(ret == -TC_EHS_NOAEAD || ret == -TC_EZEROSECRET);
		CHECK(which == 1 || ret == -TC_EZEROSECRET);
		CHECK(!defer || which == 2 || ret == -TC_EHS_NOAEAD);
	}
out:
	tc_hs_free(&hs);
	test_rng_free(&rng);
}

int LLVMFuzzerTestOneInput(const uint8_t *buf, size_t size)
{
	struct outcome whole, cut2, chunks;
	size_t cuts[2], step, *many, n, i, len;
	const uint8_t *data;
	uint8_t tep;
	int which;

	if (size < 4)
		return 0;
	which = (buf[0] & 1) + 1;
	tep = teps[(buf[0] >> 1) & 3];
	data = buf + 4;
	len = size - 4;

	run(&whole, which, tep, data, len, NULL, 0);
	consistent(&whole, which, tep, data);
	CHECK(tc_init_dec_eof(&whole.d) ==
	      (whole.status == TC_INIT_NEED_MORE ? -TC_EINIT_TRUNC :
	       whole.status == TC_INIT_DONE ? 0 : whole.status));

	/* two cut points anywhere in the stream */
	cuts[0] = len ? buf[1] * len / 255 : 0;
	cuts[1] = len ? buf[2] * len / 255 : 0;
	if (cuts[0] > cuts[1]) {
		size_t t = cuts[0];

		cuts[0] = cuts[1];
		cuts[1] = t;
	}
	run(&cut2, which, tep, data, len, cuts, 2);
	same(&whole, &cut2);
	if (buf[0] & 8)
		handshake(which, tep, data, len, cuts, &whole, buf[0] & 16);

	/* fixed-size chunks of 1..64 bytes */
	step = (buf[3] & 63) + 1;
	n = len / step;
	many = malloc((n + 1) * sizeof(*many));
	if (many) {
		for (i = 0; i < n; i++)
			many[i] = (i + 1) * step;
		run(&chunks, which, tep, data, len, many, n);
		same(&whole, &chunks);
		tc_init_dec_free(&chunks.d);
		free(many);
	}

	tc_init_dec_free(&whole.d);
	tc_init_dec_free(&cut2.d);
	return 0;
}
