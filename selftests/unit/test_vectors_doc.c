// SPDX-License-Identifier: GPL-2.0
/*
 * docs/test-vectors.md must not rot: two of its sets are recomputed here
 * through the library (both handshake objects with the documented fixed
 * inputs, the key schedule, the frame code, resumption), compared with the
 * published lines copied below, and those lines must still be in the doc.
 * Every published frame is also opened again with the receiver's key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/frame.h"
#include "core/handshake.h"
#include "unit/hex.h"

#define DOC_PATH "docs/test-vectors.md"

/* docs/test-vectors.md, TEP 0x23, AEAD 0x0001 */
static const char *const x25519_aes128[] = {
	"init1 15101a0e0000004f03000100020010000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
	"init2 097105e00000004a0001202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3fde9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
	"es 4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
	"prk c043f7ef00cb9be5da6fc66d9c766cad56659b568ccfde820f7cfd769415f059",
	"ss1 3288a99c5a2c9e735780ba47c29b4e293e4d937409b1e9f0eaa0f8b945f22fb3",
	"mk0 f31214fd6fc7fdfc2d4574ce4cb881bc1dff4e243ca3b72f5d66de0e7970c186",
	"mk1 df9e8e70d1132baa56493fc7cf7e9b7755bcb8cd3c2e4e547604601832c56b03",
	"k_ab0 55a9c33a26ba81fce60eed81439f0c95da92cee89b4f9a42ac94c4ea",
	"k_ba0 bdd98650485dbd9b7fe6e2447ca178248f83eac910869b7a49ba53a4",
	"k_ab1 866aa206b0e5a670de8dab2830c5051853dd963a3db1a7db54306e7d",
	"k_ba1 2f7f6fe162b9c760887b4434e15775048d2ddbbfb532b36548782f21",
	"session_id 232ca5e0b6692af92298c7988ad0544f28e56bc6ea653c2a324235d1f49140e39f",
	"resume1 68003eadb9e9bb517ff018209e286da051f0",
	"frame ab 79 00001f103603ce158f5af4dcad0b30dbe3d75cfed1eaae4fb29e0f7f312004d9777c",
	"frame ba 74 00002071c6f2c5d33e0812128243e11ff7ca0619e16e5c2aa95eaef43c9a5d7e56f527",
	"frame ab 113 01001c9fdf7e0190388d7489f9a678e331cd117c888979497959f77640f6ef",
	"frame ba 109 010011369859f3a8fe4c68801f187821d0dbf301",
	"frame ab 144 000011467b0d3bfca70a3ce1c76d64776c29dd59",
	"resumed_mk0 ccc9209d71991e66ae9d752d56811c62790388ec5677d9f397e406f4a9cb01a8",
	"resumed_k_ab0 7e9f23ffe0f0db3a3e3393ec151641b26d6136e389d2f6cdf8f07827",
	"resumed_session_id a373640a77dedf135d2e119c421963d464f767d7e329dd5b751306de722ce41df6",
	NULL,
};

/* docs/test-vectors.md, TEP 0x21, AEAD 0x0010 */
static const char *const p256_chacha[] = {
	"init1 15101a0e0000005203000100020010000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f002303dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180",
	"init2 097105e00000004d0010202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f002303d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63",
	"es d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
	"prk 22354d3be83256addec06bcd38aaad188ada78aff9220f6903963b1601ae7be7",
	"ss1 06f0e106e0ff08ba567443b1d5ec4d8dbd26ad49cacb2445993f08fb79312f98",
	"mk0 da0d73fa4981cd36ccaa9e71e91a21304403568ff2ee438afaef011e46a08b34",
	"mk1 cdd02bad95aa08dbb30318ca4784097cc871c6d2936576cc7812f7f05df9b7e4",
	"k_ab0 f0692629d4c4fcfc3411531661b90efc79b1d2c9fcba50697cada84fda4e82bb30a7849176bdf3a20f8a3393",
	"k_ba0 2abec5f7ae5104cefaafb64aac0eab98bbbde140ff9e06cbb1aa43fc10260ae4f91a2f9fc7aeedbf7a5449ee",
	"k_ab1 830fa122a665f7520629ab5a65ccd5971bfb40a42d89b3cb4fc508e28741b03c64119d4dfe9e908a32220269",
	"k_ba1 26be12afdde839d062a650b449edbec5d9ec76874ba701f5188c25ae1ef4f5f0494dc1cd9611bfc3195abef2",
	"session_id 2137e744f074e565f1da18643315f752bfd6b5171f6c3c1cb52bd4621211254a11",
	"resume1 a387e05f9628921e42a3652a42c66d8af124",
	"frame ab 82 00001fbebc21a7b7113589fb66a4d40a8815319e1c8a7da299250fcc01a9d22e8a25",
	"frame ba 77 0000205c05a966980c94ad17ab4e0302861f8b50544ca0b021b3b7e68a3163d6365610",
	"frame ab 116 01001c177c6a1e128f3f9d920fa9ed4eb097ffe787355b90e266168f3142f2",
	"frame ba 112 010011ca1b55bdd63ebf774c2a6d3c9e0979e2e9",
	"frame ab 147 000011aa053ec50afa446e5cbd20b0679befd0f9",
	"resumed_mk0 5d9b537838d961744c4a65da906a45902761e60cb5f248564c8c469d6b979a28",
	"resumed_k_ab0 04c8450fff1be3784de33322359b561e11292c02e7c204b2f1074f690df6bedc05141eb2c49296991d383360",
	"resumed_session_id a1d4226deae65084a37e1024d49439dee16663fc39b45c1f0de3e37d97afcb7df9",
	NULL,
};
struct vec_set {
	uint8_t tep;
	uint16_t aead;
	const char *priv_a, *priv_b;
	const char *const *lines;
};

static const struct vec_set sets[] = {
	{ TC_TEP_X25519, TC_AEAD_AES_128_GCM,
	  "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	  "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	  x25519_aes128 },
	{ TC_TEP_P256, TC_AEAD_CHACHA20_POLY1305,
	  "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
	  "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
	  p256_chacha },
};

static const uint16_t offer[] = { 0x0001, 0x0002, 0x0010 };
static struct tc_algs algs;

static int setup(void **state)
{
	return tc_algs_init(&algs) ? -1 : 0;
}

static int teardown(void **state)
{
	tc_algs_free(&algs);
	return 0;
}

/* The computed lines, in the tool's "name hex" format. */
struct out {
	char *lines[32];
	size_t n;
};

static void emit(struct out *o, const char *name, const uint8_t *p, size_t len)
{
	char *s = malloc(strlen(name) + 2 + 2 * len);
	size_t i, k;

	assert_non_null(s);
	k = (size_t)sprintf(s, "%s ", name);
	for (i = 0; i < len; i++)
		k += (size_t)sprintf(s + k, "%02x", p[i]);
	assert_true(o->n < 32);
	o->lines[o->n++] = s;
}

struct frame_in {
	bool ab;
	uint32_t gen;
	uint8_t control, flags;
	const char *data;
};

/* The five documented frames; offsets follow from the message lengths. */
static const struct frame_in frames[] = {
	{ true, 0, 0, 0, "GET / HTTP/1.0" },
	{ false, 0, 0, 0, "HTTP/1.0 200 OK" },
	{ true, 1, TC_CTRL_REKEY, 0, "after rekey" },
	{ false, 1, TC_CTRL_REKEY, 0, "" },
	{ true, 1, 0, TC_FLAG_FINP, "" },
};

static void seal_and_reopen(struct out *o, uint16_t aead, const uint8_t *mk0,
			    const struct frame_in *f, uint64_t off)
{
	uint8_t mk[TC_HASH_LEN], k[TC_TRAFFIC_KEY_MAX], buf[128], pt[128];
	struct tc_frame_key enc, dec;
	struct tc_frame_info info;
	size_t len = strlen(f->data);
	char name[32];
	uint32_t j;
	int n;

	memcpy(mk, mk0, TC_HASH_LEN);
	for (j = 0; j < f->gen; j++)
		assert_int_equal(tc_mk_next(&algs, mk, mk), 0);
	assert_int_equal(tc_traffic_keys(&algs, mk, aead, f->ab ? k : NULL,
					 f->ab ? NULL : k), 0);
	assert_int_equal(tc_frame_key_init(&enc, tc_algs_cipher(&algs, aead), aead,
					   k, true), 0);
	assert_int_equal(tc_frame_key_init(&dec, tc_algs_cipher(&algs, aead), aead,
					   k, false), 0);
	n = tc_frame_seal(&enc, off, f->control, f->flags, 0,
			  (const uint8_t *)f->data, len, buf, sizeof(buf));
	assert_int_equal(n, tc_frame_len(len, false));
	snprintf(name, sizeof(name), "frame %s %llu", f->ab ? "ab" : "ba",
		 (unsigned long long)off);
	emit(o, name, buf, (size_t)n);
	assert_int_equal(tc_frame_open(&dec, off, buf, (size_t)n, &info, pt,
				       sizeof(pt)), 0);
	assert_int_equal(info.data_len, len);
	assert_memory_equal(info.data, f->data, len);
	assert_int_equal(info.rekey, f->control == TC_CTRL_REKEY);
	assert_int_equal(info.fin, f->flags == TC_FLAG_FINP);
	/* the frame is bound to its offset */
	assert_int_equal(tc_frame_open(&dec, off + 1, buf, (size_t)n, &info, pt,
				       sizeof(pt)), -EBADMSG);
	tc_frame_key_free(&enc);
	tc_frame_key_free(&dec);
}

static void compute(const struct vec_set *v, struct out *o)
{
	uint8_t priv_a[66], priv_b[66], na[32], nb[32], transcript[7], sn[16];
	uint8_t es[TC_ECDH_ES_MAX], prk[TC_HASH_LEN], mk1[TC_HASH_LEN];
	uint8_t kab[TC_TRAFFIC_KEY_MAX], kba[TC_TRAFFIC_KEY_MAX];
	const struct tc_aead_info *ai = tc_aead_info(v->aead);
	const struct tc_tep_info *ti = tc_tep_info(v->tep);
	uint16_t b_pref[1] = { v->aead };
	struct tc_hs_result ra, rb, rr;
	struct tc_hs_params pa, pb;
	const uint8_t *init1, *init2;
	size_t len1, len2, used, klen, i, pa_len, pb_len;
	uint64_t off_ab, off_ba;
	struct tc_ecdh ka;
	struct tc_hs a, b;

	for (i = 0; i < 32; i++) {
		na[i] = (uint8_t)i;
		nb[i] = (uint8_t)(0x20 + i);
	}
	/* A's SYN: 45 03 TEP; B's SYN-ACK: 45 04 01 TEP */
	memcpy(transcript, (uint8_t[]){ 0x45, 0x03, v->tep, 0x45, 0x04, 0x01, v->tep }, 7);
	pa_len = unhex(v->priv_a, priv_a, sizeof(priv_a));
	pb_len = unhex(v->priv_b, priv_b, sizeof(priv_b));

	memset(&pa, 0, sizeof(pa));
	pa.algs = &algs;
	pa.tep_byte = v->tep;
	pa.transcript = transcript;
	pa.transcript_len = sizeof(transcript);
	pb = pa;
	pa.role = TC_ENO_ROLE_A;
	pa.aeads = offer;
	pa.n_aeads = 3;
	pa.fixed_priv = priv_a;
	pa.fixed_priv_len = pa_len;
	pa.fixed_nonce = na;
	pb.role = TC_ENO_ROLE_B;
	pb.aeads = b_pref;
	pb.n_aeads = 1;
	pb.fixed_priv = priv_b;
	pb.fixed_priv_len = pb_len;
	pb.fixed_nonce = nb;

	assert_int_equal(tc_hs_start(&a, &pa), 0);
	assert_int_equal(tc_hs_start(&b, &pb), 0);
	init1 = tc_hs_output(&a, &len1);
	assert_int_equal(tc_hs_input(&b, init1, len1, &used), TC_HS_DONE);
	init2 = tc_hs_output(&b, &len2);
	assert_int_equal(tc_hs_input(&a, init2, len2, &used), TC_HS_DONE);
	assert_int_equal(tc_hs_result(&a, &ra), 0);
	assert_int_equal(tc_hs_result(&b, &rb), 0);
	assert_memory_equal(ra.mk0, rb.mk0, TC_HASH_LEN);

	assert_int_equal(tc_ecdh_from_private(&ka, v->tep, priv_a, pa_len), 0);
	assert_int_equal(tc_ecdh_derive_pub(&ka, init2 + 42, ti->pub_len, es,
					    sizeof(es)), ti->es_len);
	tc_ecdh_free(&ka);
	assert_int_equal(tc_hs_prk(&algs, na, transcript, sizeof(transcript), init1,
				   len1, init2, len2, es, ti->es_len, prk), 0);
	assert_int_equal(tc_mk_next(&algs, ra.mk0, mk1), 0);
	klen = ai->key_len + ai->nonce_len;

	emit(o, "init1", init1, len1);
	emit(o, "init2", init2, len2);
	emit(o, "es", es, ti->es_len);
	emit(o, "prk", prk, TC_HASH_LEN);
	emit(o, "ss1", ra.ss_next, TC_HASH_LEN);
	emit(o, "mk0", ra.mk0, TC_HASH_LEN);
	emit(o, "mk1", mk1, TC_HASH_LEN);
	assert_int_equal(tc_traffic_keys(&algs, ra.mk0, v->aead, kab, kba), 0);
	emit(o, "k_ab0", kab, klen);
	emit(o, "k_ba0", kba, klen);
	assert_int_equal(tc_traffic_keys(&algs, mk1, v->aead, kab, kba), 0);
	emit(o, "k_ab1", kab, klen);
	emit(o, "k_ba1", kba, klen);
	emit(o, "session_id", ra.session_id, TC_SESSID_LEN);
	emit(o, "resume1", ra.resume_next, TC_RESUME_LEN);

	off_ab = ra.tx_offset;
	off_ba = rb.tx_offset;
	assert_int_equal(off_ab, len1);
	for (i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		uint64_t *off = frames[i].ab ? &off_ab : &off_ba;

		seal_and_reopen(o, v->aead, ra.mk0, &frames[i], *off);
		*off += tc_frame_len(strlen(frames[i].data), false);
	}

	unhex("0102030405060708" "1112131415161718", sn, sizeof(sn));
	assert_int_equal(tc_hs_resume(&algs, ra.ss_next, sn, 16, TC_ENO_ROLE_A,
				      v->aead, v->tep | TC_TEP_V, &rr), 0);
	assert_int_equal(tc_traffic_keys(&algs, rr.mk0, v->aead, kab, NULL), 0);
	emit(o, "resumed_mk0", rr.mk0, TC_HASH_LEN);
	emit(o, "resumed_k_ab0", kab, klen);
	emit(o, "resumed_session_id", rr.session_id, TC_SESSID_LEN);

	tc_hs_free(&a);
	tc_hs_free(&b);
}

static void free_out(struct out *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->lines[i]);
}

static void test_recompute(void **state)
{
	struct out o;
	size_t s, i;

	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		memset(&o, 0, sizeof(o));
		compute(&sets[s], &o);
		for (i = 0; sets[s].lines[i]; i++) {
			assert_true(i < o.n);
			assert_string_equal(o.lines[i], sets[s].lines[i]);
		}
		assert_int_equal(i, o.n);
		free_out(&o);
	}
}

/* The lines above are still what the document publishes. */
static void test_doc_contains(void **state)
{
	FILE *f = fopen(DOC_PATH, "r");
	char *doc, line[512];
	size_t s, i, n = 0, cap = 1 << 20;
	bool found;

	if (!f) {
		print_message("cannot open %s from this directory\n", DOC_PATH);
		skip();
	}
	doc = malloc(cap);
	assert_non_null(doc);
	n = fread(doc, 1, cap - 1, f);
	doc[n] = '\0';
	fclose(f);
	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		for (i = 0; sets[s].lines[i]; i++) {
			snprintf(line, sizeof(line), "\n%s\n", sets[s].lines[i]);
			found = strstr(doc, line) != NULL;
			if (!found)
				print_error("not in %s: %s\n", DOC_PATH, sets[s].lines[i]);
			assert_true(found);
		}
	}
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recompute),
		cmocka_unit_test(test_doc_contains),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
