// SPDX-License-Identifier: GPL-2.0
/*
 * Protocol core micro-benchmarks: seal and open of 64- and 1448-byte frames
 * for each AEAD, beside a bare EVP loop with the same cipher and the same
 * keyed-context reuse (only the IV set per call) over the same data sizes,
 * in the same run. The ratio frame/bare is the framing overhead (header,
 * AD, flags byte, nonce construction, checks).
 *
 * Each figure is the best of several short repetitions (the machine is
 * shared and noisy); nothing here asserts on time.
 *
 *   bench_crypto [-t ms_per_rep] [-r reps]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/frame.h"
#include "core/keysched.h"

static const uint16_t aeads[] = {
	TC_AEAD_AES_128_GCM, TC_AEAD_AES_256_GCM, TC_AEAD_CHACHA20_POLY1305,
};
static const size_t sizes[] = { 64, 1448 };

static struct tc_algs algs;
static uint8_t data[2048], frame[2048], sealbuf[2048], out[2048], tag[16];
static volatile uint8_t sink;
static long rep_ms = 25;
static int reps = 11;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct bctx {
	uint16_t aead;
	size_t len;
	struct tc_frame_key seal, open;
	EVP_CIPHER_CTX *bare_enc, *bare_dec;
	uint8_t iv[12];
	int flen;
	uint8_t bare_ct[2048], bare_tag[16];
	struct tc_keys ka, kb;	/* a connection, for the tc_keys rows */
};

typedef void (*op_fn)(struct bctx *b, uint64_t i);

static void op_frame_seal(struct bctx *b, uint64_t i)
{
	if (tc_frame_seal(&b->seal, i * 2048, 0, 0, 0, data, b->len, sealbuf,
			  sizeof(frame)) < 0)
		abort();
}

static void op_frame_open(struct bctx *b, uint64_t i)
{
	struct tc_frame_info info;

	if (tc_frame_open(&b->open, 0, frame, b->flen, &info, out,
			  sizeof(out)))
		abort();
	sink ^= info.data[0];
}

/* Frame seal then open with the bare frame keys... */
static void op_frame_pair(struct bctx *b, uint64_t i)
{
	struct tc_frame_info info;
	int n;

	n = tc_frame_seal(&b->seal, i * 2048, 0, 0, 0, data, b->len, sealbuf,
			  sizeof(sealbuf));
	if (n < 0 || tc_frame_open(&b->open, i * 2048, sealbuf, n, &info, out,
				   sizeof(out)))
		abort();
	sink ^= info.data[0];
}

/* ...and through a connection's tc_keys (offset and generation state). */
static void op_conn_pair(struct bctx *b, uint64_t i)
{
	struct tc_frame_info info;
	uint64_t off = b->ka.tx.next;
	int n;

	n = tc_keys_seal(&b->ka, off, 0, 0, data, b->len, sealbuf,
			 sizeof(sealbuf));
	if (n < 0 || tc_keys_open(&b->kb, off, sealbuf, n, &info, out,
				  sizeof(out)))
		abort();
	sink ^= info.data[0];
}

/* The same cipher with nothing around it: IV, data, tag. */
static void op_bare_seal(struct bctx *b, uint64_t i)
{
	uint8_t iv[12];
	int outl;

	/* A new nonce per call, as the frame path has. */
	memcpy(iv, b->iv, 12);
	iv[11] ^= (uint8_t)i;
	iv[10] ^= (uint8_t)(i >> 8);
	if (EVP_CipherInit_ex2(b->bare_enc, NULL, NULL, iv, 1, NULL) != 1 ||
	    EVP_EncryptUpdate(b->bare_enc, out, &outl, data, (int)b->len) != 1 ||
	    EVP_EncryptFinal_ex(b->bare_enc, out + outl, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(b->bare_enc, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1)
		abort();
}

static void op_bare_open(struct bctx *b, uint64_t i)
{
	int outl;

	if (EVP_CipherInit_ex2(b->bare_dec, NULL, NULL, b->iv, 0, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(b->bare_dec, EVP_CTRL_AEAD_SET_TAG, 16,
				b->bare_tag) != 1 ||
	    EVP_DecryptUpdate(b->bare_dec, out, &outl, b->bare_ct,
			      (int)b->len) != 1 ||
	    EVP_DecryptFinal_ex(b->bare_dec, out + outl, &outl) != 1)
		abort();
	sink ^= out[0];
}

/* Calls of fn that take about rep_ms. */
static uint64_t calibrate(struct bctx *b, op_fn fn)
{
	uint64_t n = 64, i;
	double t0, t;

	for (;;) {
		t0 = now_ns();
		for (i = 0; i < n; i++)
			fn(b, i);
		t = now_ns() - t0;
		if (t > rep_ms * 1e6 / 4 || n > (1ULL << 30))
			break;
		n *= 2;
	}
	return (uint64_t)(n * (rep_ms * 1e6) / (t > 0 ? t : 1)) + 1;
}

static double run_rep(struct bctx *b, op_fn fn, uint64_t n, uint64_t *k)
{
	double t0 = now_ns();
	uint64_t i;

	for (i = 0; i < n; i++)
		fn(b, (*k)++);
	return (now_ns() - t0) / n;
}

/*
 * Best ns per call of the frame op and of the bare op, their repetitions
 * alternating so that noise from the shared machine hits both alike.
 */
static void measure_pair(struct bctx *b, op_fn frame_fn, op_fn bare_fn,
			 double *frame_ns, double *bare_ns)
{
	uint64_t nf = calibrate(b, frame_fn), nb = calibrate(b, bare_fn);
	uint64_t kf = 0, kb = 0;
	double t;
	int r;

	*frame_ns = *bare_ns = 1e18;
	for (r = 0; r < reps; r++) {
		t = run_rep(b, frame_fn, nf, &kf);
		if (t < *frame_ns)
			*frame_ns = t;
		t = run_rep(b, bare_fn, nb, &kb);
		if (t < *bare_ns)
			*bare_ns = t;
	}
}

static void setup(struct bctx *b, uint16_t aead, size_t len)
{
	const EVP_CIPHER *c = tc_algs_cipher(&algs, aead);
	const struct tc_aead_info *ai = tc_aead_info(aead);
	uint8_t key[TC_TRAFFIC_KEY_MAX];
	int outl;
	size_t i;

	memset(b, 0, sizeof(*b));
	b->aead = aead;
	b->len = len;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 3 + 1);
	if (tc_frame_key_init(&b->seal, c, aead, key, true) ||
	    tc_frame_key_init(&b->open, c, aead, key, false))
		abort();
	b->bare_enc = EVP_CIPHER_CTX_new();
	b->bare_dec = EVP_CIPHER_CTX_new();
	if (!b->bare_enc || !b->bare_dec ||
	    EVP_EncryptInit_ex2(b->bare_enc, c, key, NULL, NULL) != 1 ||
	    EVP_DecryptInit_ex2(b->bare_dec, c, key, NULL, NULL) != 1)
		abort();
	memcpy(b->iv, key + ai->key_len, 12);
	{
		uint8_t mk0[TC_HASH_LEN];

		memset(mk0, 5, sizeof(mk0));
		if (tc_keys_init(&b->ka, &algs, aead, true, mk0, 0, 0) ||
		    tc_keys_init(&b->kb, &algs, aead, false, mk0, 0, 0))
			abort();
	}
	/* Something valid to open, for both paths. */
	b->flen = tc_frame_seal(&b->seal, 0, 0, 0, 0, data, len, frame,
				sizeof(frame));
	if (b->flen < 0)
		abort();
	if (EVP_CipherInit_ex2(b->bare_enc, NULL, NULL, b->iv, 1, NULL) != 1 ||
	    EVP_EncryptUpdate(b->bare_enc, b->bare_ct, &outl, data,
			      (int)len) != 1 ||
	    EVP_EncryptFinal_ex(b->bare_enc, b->bare_ct + outl, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(b->bare_enc, EVP_CTRL_AEAD_GET_TAG, 16,
				b->bare_tag) != 1)
		abort();
}

static void teardown(struct bctx *b)
{
	tc_frame_key_free(&b->seal);
	tc_frame_key_free(&b->open);
	EVP_CIPHER_CTX_free(b->bare_enc);
	EVP_CIPHER_CTX_free(b->bare_dec);
	tc_keys_free(&b->ka);
	tc_keys_free(&b->kb);
}

/* Rekey round trip between two hosts: A initiates with an empty frame,
 * B opens it and echoes, A opens the echo; both retire the old keys. */
static double rekey_round_trip(uint16_t aead)
{
	uint8_t mk0[TC_HASH_LEN], fa[64], fb[64], p[64];
	struct tc_frame_info info;
	struct tc_keys a, b;
	double t0, best = 1e18, t;
	int r, i, n = 200, na, nb;
	uint64_t oa, ob;

	memset(mk0, 7, sizeof(mk0));
	for (r = 0; r < reps; r++) {
		if (tc_keys_init(&a, &algs, aead, true, mk0, 0, 0) ||
		    tc_keys_init(&b, &algs, aead, false, mk0, 0, 0))
			abort();
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			oa = a.tx.next;
			ob = b.tx.next;
			if (tc_keys_rekey(&a))
				abort();
			na = tc_keys_seal(&a, oa, 0, 0, NULL, 0, fa, sizeof(fa));
			if (na < 0 || tc_keys_open(&b, oa, fa, na, &info, p,
						   sizeof(p)))
				abort();
			nb = tc_keys_seal(&b, ob, 0, 0, NULL, 0, fb, sizeof(fb));
			if (nb < 0 || tc_keys_open(&a, ob, fb, nb, &info, p,
						   sizeof(p)))
				abort();
			tc_keys_retire(&a, TC_KEYS_TX, a.tx.cur - 1);
			tc_keys_retire(&b, TC_KEYS_TX, b.tx.cur - 1);
		}
		t = (now_ns() - t0) / n;
		if (t < best)
			best = t;
		tc_keys_free(&a);
		tc_keys_free(&b);
	}
	return best;
}

static double keys_init_cost(uint16_t aead)
{
	uint8_t mk0[TC_HASH_LEN];
	struct tc_keys k;
	double t0, best = 1e18, t;
	int r, i, n = 500;

	memset(mk0, 9, sizeof(mk0));
	for (r = 0; r < reps; r++) {
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			if (tc_keys_init(&k, &algs, aead, true, mk0, 0, 0))
				abort();
			tc_keys_free(&k);
		}
		t = (now_ns() - t0) / n;
		if (t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	struct bctx b;
	size_t a, s, i;
	int opt;

	while ((opt = getopt(argc, argv, "t:r:h")) != -1) {
		switch (opt) {
		case 't':
			rep_ms = atol(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-t ms_per_rep] [-r reps]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (rep_ms < 1 || reps < 1)
		return 2;
	if (tc_algs_init(&algs)) {
		fprintf(stderr, "bench_crypto: cannot fetch algorithms\n");
		return 1;
	}
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;

	printf("# %s; best of %d x %ld ms; ns per frame\n",
	       OpenSSL_version(OPENSSL_VERSION), reps, rep_ms);
	printf("# bare = same EVP cipher and keyed context, IV + data + tag only\n");
	printf("%-24s %5s %-4s %10s %10s %7s %9s\n", "aead", "bytes", "op",
	       "frame_ns", "bare_ns", "ratio", "frame_MBps");
	for (a = 0; a < sizeof(aeads) / sizeof(aeads[0]); a++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			double fs, bs, fo, bo;

			setup(&b, aeads[a], sizes[s]);
			measure_pair(&b, op_frame_seal, op_bare_seal, &fs, &bs);
			measure_pair(&b, op_frame_open, op_bare_open, &fo, &bo);
			printf("%-24s %5zu %-4s %10.1f %10.1f %7.2f %9.1f\n",
			       tc_aead_info(aeads[a])->name, sizes[s], "seal",
			       fs, bs, fs / bs, sizes[s] * 1e3 / fs);
			printf("%-24s %5zu %-4s %10.1f %10.1f %7.2f %9.1f\n",
			       tc_aead_info(aeads[a])->name, sizes[s], "open",
			       fo, bo, fo / bo, sizes[s] * 1e3 / fo);
			teardown(&b);
		}
	}
	printf("\n# seal + open of one frame: tc_keys (a connection: offsets, "
	       "generations) vs tc_frame_key\n");
	printf("%-24s %5s %10s %10s %7s\n", "aead", "bytes", "conn_ns",
	       "frame_ns", "ratio");
	for (a = 0; a < sizeof(aeads) / sizeof(aeads[0]); a++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			double cn, fn;

			setup(&b, aeads[a], sizes[s]);
			measure_pair(&b, op_conn_pair, op_frame_pair, &cn, &fn);
			printf("%-24s %5zu %10.1f %10.1f %7.2f\n",
			       tc_aead_info(aeads[a])->name, sizes[s], cn, fn,
			       cn / fn);
			teardown(&b);
		}
	}
	printf("\n%-24s %14s %20s\n", "aead", "keys_init_us",
	       "rekey_roundtrip_us");
	for (a = 0; a < sizeof(aeads) / sizeof(aeads[0]); a++)
		printf("%-24s %14.2f %20.2f\n", tc_aead_info(aeads[a])->name,
		       keys_init_cost(aeads[a]) / 1e3,
		       rekey_round_trip(aeads[a]) / 1e3);
	tc_algs_free(&algs);
	return 0;
}
