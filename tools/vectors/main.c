// SPDX-License-Identifier: GPL-2.0
/*
 * tcpcrypt-vectors: deterministic tcpcrypt (RFC 8548) test vectors from fixed
 * private keys, nonces and ENO options. It runs a real A and a real B
 * handshake object against each other (lib/core/handshake.c), checks they
 * agree, recomputes every intermediate value from the published formulas,
 * and prints one "name hex" line per value.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/algs.h"
#include "core/ecdh.h"
#include "core/frame.h"
#include "core/handshake.h"
#include "core/init.h"
#include "core/keysched.h"

#define MAX_FRAMES	64
#define MAX_HEX		(2 * TC_FRAME_DATA_MAX)

static const char usage[] =
"usage: tcpcrypt-vectors --tep TEP --aeads ID[,ID...] --aead ID\n"
"           --priv-a HEX --priv-b HEX --nonce-a HEX --nonce-b HEX\n"
"           --eno-a HEX --eno-b HEX\n"
"           [--frame DIR:GEN:OFFSET:FLAGS:HEXDATA]... [--resume NA_HEX:NB_HEX]\n"
"\n"
"Prints tcpcrypt (RFC 8548) test vectors, one \"name hex\" pair per line:\n"
"  init1 init2 es prk ss1 mk0 mk1 k_ab0 k_ba0 k_ab1 k_ba1 session_id resume1\n"
"then \"frame DIR OFFSET HEX\" per --frame, then with --resume:\n"
"  resumed_mk0 resumed_k_ab0 resumed_session_id\n"
"\n"
"  --tep TEP        0x21 P-256, 0x22 P-521, 0x23 X25519, 0x24 X448\n"
"  --aeads LIST     AEADs A offers in Init1, in order (0x0001 AES-128-GCM,\n"
"                   0x0002 AES-256-GCM, 0x0010 ChaCha20-Poly1305)\n"
"  --aead ID        B's choice among them (sent in Init2)\n"
"  --priv-a/-b HEX  ephemeral private keys (big-endian scalar for P-256/P-521,\n"
"                   raw RFC 7748 scalar for X25519/X448)\n"
"  --nonce-a/-b HEX N_A and N_B, 32 bytes each\n"
"  --eno-a/-b HEX   A's and B's SYN-form ENO options, kind and length\n"
"                   included; the transcript is eno-a || eno-b\n"
"  --frame DIR:GEN:OFFSET:FLAGS:HEXDATA\n"
"                   seal a frame: DIR ab (A to B, k_ab) or ba; GEN the key\n"
"                   generation j; OFFSET its stream offset; FLAGS any of\n"
"                   f (FINp) and r (rekey bit), or -; HEXDATA may be empty.\n"
"                   Printed whole, as sent: control || clen || ciphertext+tag\n"
"  --resume NA:NB   resume from ss[1] with sn[1] = NA || NB (0-8 bytes each),\n"
"                   same AEAD, session ID byte 0 = TEP | 0x80\n"
"\n"
"Exit status: 0 ok, 1 the inputs do not give a valid exchange, 2 usage.\n";

struct frame_arg {
	bool ab;
	uint32_t gen;
	uint64_t offset;
	uint8_t control, flags;
	uint8_t *data;
	size_t len;
};

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "tcpcrypt-vectors: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'tcpcrypt-vectors -h'.\n");
	exit(2);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "tcpcrypt-vectors: %s: %s\n", what, strerror(-err));
	exit(1);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Strict hex (even length, optional 0x) of at most max bytes; -1 on error. */
static long parse_hex(const char *s, size_t slen, uint8_t *out, size_t max)
{
	size_t i, n;

	if (slen >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		slen -= 2;
	}
	if (slen % 2 || slen / 2 > max)
		return -1;
	n = slen / 2;
	for (i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)n;
}

static size_t hex_arg(const char *opt, const char *s, uint8_t *out, size_t max,
		      size_t exact)
{
	long n = parse_hex(s, strlen(s), out, max);

	if (n < 0 || (exact && (size_t)n != exact)) {
		char msg[96];

		if (exact)
			snprintf(msg, sizeof(msg), "%s: expected %zu bytes of hex, got '%%s'",
				 opt, exact);
		else
			snprintf(msg, sizeof(msg), "%s: expected at most %zu bytes of hex, got '%%s'",
				 opt, max);
		die_usage(msg, s);
	}
	return (size_t)n;
}

static unsigned long long num_arg(const char *opt, const char *s,
				  unsigned long long max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > max || s[0] == '-') {
		char msg[64];

		snprintf(msg, sizeof(msg), "%s: bad number '%%s'", opt);
		die_usage(msg, s);
	}
	return v;
}

static void print_hex(const char *name, const uint8_t *p, size_t len)
{
	size_t i;

	printf("%s ", name);
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static void parse_frame(const char *s, struct frame_arg *f)
{
	char *copy = strdup(s), *field[5], *p = copy, *colon;
	const char *c;
	long n;
	int i;

	if (!copy)
		die("--frame", -ENOMEM);
	for (i = 0; i < 4; i++) {
		colon = strchr(p, ':');
		if (!colon)
			die_usage("--frame: expected DIR:GEN:OFFSET:FLAGS:HEXDATA, got '%s'", s);
		*colon = '\0';
		field[i] = p;
		p = colon + 1;
	}
	field[4] = p;
	if (!strcmp(field[0], "ab"))
		f->ab = true;
	else if (!strcmp(field[0], "ba"))
		f->ab = false;
	else
		die_usage("--frame: DIR must be ab or ba, got '%s'", field[0]);
	f->gen = (uint32_t)num_arg("--frame GEN", field[1], 1000);
	f->offset = num_arg("--frame OFFSET", field[2], UINT64_MAX);
	f->control = f->flags = 0;
	if (strcmp(field[3], "-")) {
		for (c = field[3]; *c; c++) {
			if (*c == 'f')
				f->flags |= TC_FLAG_FINP;
			else if (*c == 'r')
				f->control |= TC_CTRL_REKEY;
			else
				die_usage("--frame: FLAGS are f, r or -, got '%s'", field[3]);
		}
	}
	f->data = malloc(TC_FRAME_DATA_MAX + 1);
	if (!f->data)
		die("--frame", -ENOMEM);
	n = parse_hex(field[4], strlen(field[4]), f->data, TC_FRAME_DATA_MAX);
	if (n < 0)
		die_usage("--frame: bad HEXDATA '%s'", field[4]);
	f->len = (size_t)n;
	free(copy);
}

static size_t parse_aeads(const char *s, uint16_t *out)
{
	char *copy = strdup(s), *tok, *save = NULL;
	size_t n = 0;

	if (!copy)
		die("--aeads", -ENOMEM);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == TC_HS_AEADS_MAX)
			die_usage("--aeads: too many AEADs in '%s'", s);
		out[n] = (uint16_t)num_arg("--aeads", tok, 0xffff);
		if (!tc_aead_info(out[n]))
			die_usage("--aeads: unknown AEAD '%s'", tok);
		n++;
	}
	free(copy);
	if (!n)
		die_usage("--aeads: empty list '%s'", s);
	return n;
}

/* mk[gen] from mk[0]. */
static void mk_gen(const struct tc_algs *algs, const uint8_t mk0[TC_HASH_LEN],
		   uint32_t gen, uint8_t out[TC_HASH_LEN])
{
	uint8_t tmp[TC_HASH_LEN];
	uint32_t j;
	int err;

	memcpy(out, mk0, TC_HASH_LEN);
	for (j = 0; j < gen; j++) {
		err = tc_mk_next(algs, out, tmp);
		if (err)
			die("mk", err);
		memcpy(out, tmp, TC_HASH_LEN);
	}
}

static void seal_frame(const struct tc_algs *algs, uint16_t aead,
		       const uint8_t mk0[TC_HASH_LEN], const struct frame_arg *f)
{
	uint8_t mk[TC_HASH_LEN], k[TC_TRAFFIC_KEY_MAX];
	struct tc_frame_key fk;
	uint8_t *out;
	size_t cap = tc_frame_len(f->len, false);
	char name[32];
	int n;

	mk_gen(algs, mk0, f->gen, mk);
	n = tc_traffic_keys(algs, mk, aead, f->ab ? k : NULL, f->ab ? NULL : k);
	if (n)
		die("traffic keys", n);
	n = tc_frame_key_init(&fk, tc_algs_cipher(algs, aead), aead, k, true);
	if (n)
		die("frame key", n);
	out = malloc(cap);
	if (!out)
		die("frame", -ENOMEM);
	n = tc_frame_seal(&fk, f->offset, f->control, f->flags, 0, f->data,
			  f->len, out, cap);
	if (n < 0)
		die("frame seal", n);
	snprintf(name, sizeof(name), "frame %s %llu", f->ab ? "ab" : "ba",
		 (unsigned long long)f->offset);
	print_hex(name, out, (size_t)n);
	tc_frame_key_free(&fk);
	free(out);
	tc_wipe(mk, sizeof(mk));
	tc_wipe(k, sizeof(k));
}

/* The key exchange through the real handshake objects; fills the results. */
static void exchange(struct tc_hs_params *pa, struct tc_hs_params *pb,
		     struct tc_hs *a, struct tc_hs *b, struct tc_hs_result *ra,
		     struct tc_hs_result *rb)
{
	const uint8_t *m;
	size_t len, used;
	int err;

	err = tc_hs_start(a, pa);
	if (err)
		die("host A", err);
	err = tc_hs_start(b, pb);
	if (err)
		die("host B", err);
	m = tc_hs_output(a, &len);
	err = tc_hs_input(b, m, len, &used);
	if (err != TC_HS_DONE)
		die("host B on Init1", err < 0 ? err : -EPROTO);
	m = tc_hs_output(b, &len);
	err = tc_hs_input(a, m, len, &used);
	if (err != TC_HS_DONE)
		die("host A on Init2", err < 0 ? err : -EPROTO);
	if (tc_hs_result(a, ra) || tc_hs_result(b, rb))
		die("results", -EIO);
	if (memcmp(ra->mk0, rb->mk0, TC_HASH_LEN) ||
	    memcmp(ra->session_id, rb->session_id, TC_SESSID_LEN) ||
	    memcmp(ra->ss_next, rb->ss_next, TC_HASH_LEN) || ra->aead != rb->aead)
		die("A and B disagree (internal error)", -EPROTO);
}

static void check_same(const char *what, const uint8_t *x, const uint8_t *y,
		       size_t len)
{
	if (memcmp(x, y, len)) {
		fprintf(stderr, "tcpcrypt-vectors: %s differs between the handshake "
			"and the formula (internal error)\n", what);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	enum { O_TEP = 256, O_AEADS, O_AEAD, O_PRIV_A, O_PRIV_B, O_NONCE_A,
	       O_NONCE_B, O_ENO_A, O_ENO_B, O_FRAME, O_RESUME };
	static const struct option opts[] = {
		{ "tep", required_argument, NULL, O_TEP },
		{ "aeads", required_argument, NULL, O_AEADS },
		{ "aead", required_argument, NULL, O_AEAD },
		{ "priv-a", required_argument, NULL, O_PRIV_A },
		{ "priv-b", required_argument, NULL, O_PRIV_B },
		{ "nonce-a", required_argument, NULL, O_NONCE_A },
		{ "nonce-b", required_argument, NULL, O_NONCE_B },
		{ "eno-a", required_argument, NULL, O_ENO_A },
		{ "eno-b", required_argument, NULL, O_ENO_B },
		{ "frame", required_argument, NULL, O_FRAME },
		{ "resume", required_argument, NULL, O_RESUME },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint8_t priv_a[TC_ECDH_PRIV_MAX], priv_b[TC_ECDH_PRIV_MAX];
	uint8_t nonce_a[TC_NONCE_LEN], nonce_b[TC_NONCE_LEN];
	uint8_t transcript[TC_HS_TRANSCRIPT_MAX], sn[TC_SN_MAX];
	uint8_t es[TC_ECDH_ES_MAX], prk[TC_HASH_LEN], v[TC_HASH_LEN];
	uint8_t mk1[TC_HASH_LEN], kab[TC_TRAFFIC_KEY_MAX], kba[TC_TRAFFIC_KEY_MAX];
	uint16_t aeads[TC_HS_AEADS_MAX], b_pref[1];
	static struct frame_arg frames[MAX_FRAMES];
	const char *eno_a = NULL, *eno_b = NULL, *resume = NULL, *aead_str = "";
	size_t n_aeads = 0, n_frames = 0, priv_a_len = 0, priv_b_len = 0;
	size_t tlen, la, len1, len2, klen, i, sn_len = 0;
	bool have_aead = false, have_na = false, have_nb = false;
	const struct tc_tep_info *ti = NULL;
	struct tc_hs_result ra, rb, rr;
	struct tc_hs_params pa, pb;
	const struct tc_aead_info *ai;
	const uint8_t *init1, *init2;
	struct tc_algs algs;
	struct tc_ecdh ka;
	struct tc_hs a, b;
	uint16_t aead = 0;
	uint8_t tep = 0;
	int c, n;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case O_TEP:
			tep = (uint8_t)num_arg("--tep", optarg, 0xff);
			ti = tc_tep_info(tep);
			if (!ti || (tep & TC_TEP_V))
				die_usage("--tep: not a tcpcrypt TEP: '%s'", optarg);
			break;
		case O_AEADS:
			n_aeads = parse_aeads(optarg, aeads);
			break;
		case O_AEAD:
			aead = (uint16_t)num_arg("--aead", optarg, 0xffff);
			aead_str = optarg;
			have_aead = true;
			break;
		case O_PRIV_A:
			priv_a_len = hex_arg("--priv-a", optarg, priv_a,
					     sizeof(priv_a), 0);
			break;
		case O_PRIV_B:
			priv_b_len = hex_arg("--priv-b", optarg, priv_b,
					     sizeof(priv_b), 0);
			break;
		case O_NONCE_A:
			hex_arg("--nonce-a", optarg, nonce_a, sizeof(nonce_a),
				TC_NONCE_LEN);
			have_na = true;
			break;
		case O_NONCE_B:
			hex_arg("--nonce-b", optarg, nonce_b, sizeof(nonce_b),
				TC_NONCE_LEN);
			have_nb = true;
			break;
		case O_ENO_A:
			eno_a = optarg;
			break;
		case O_ENO_B:
			eno_b = optarg;
			break;
		case O_FRAME:
			if (n_frames == MAX_FRAMES)
				die_usage("too many --frame options (max %s)", "64");
			parse_frame(optarg, &frames[n_frames++]);
			break;
		case O_RESUME:
			resume = optarg;
			break;
		default:
			fprintf(stderr, "Try 'tcpcrypt-vectors -h'.\n");
			return 2;
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!ti)
		die_usage("--tep is required%s", "");
	if (!n_aeads || !have_aead)
		die_usage("--aeads and --aead are required%s", "");
	if (!priv_a_len || !priv_b_len)
		die_usage("--priv-a and --priv-b are required%s", "");
	if (!have_na || !have_nb)
		die_usage("--nonce-a and --nonce-b are required%s", "");
	if (!eno_a || !eno_b)
		die_usage("--eno-a and --eno-b are required%s", "");
	if (priv_a_len != ti->priv_len || priv_b_len != ti->priv_len) {
		char msg[64];

		snprintf(msg, sizeof(msg), "%s needs %zu-byte private keys%%s",
			 ti->name, ti->priv_len);
		die_usage(msg, "");
	}
	for (i = 0; i < n_aeads; i++)
		if (aeads[i] == aead)
			break;
	if (i == n_aeads)
		die_usage("--aead: B must choose one of --aeads, got '%s'", aead_str);
	la = hex_arg("--eno-a", eno_a, transcript, TC_TCP_OPT_MAX, 0);
	tlen = la + hex_arg("--eno-b", eno_b, transcript + la, TC_TCP_OPT_MAX, 0);
	if (resume) {
		const char *colon = strchr(resume, ':');
		long x, y;

		if (!colon)
			die_usage("--resume: expected NONCE_A:NONCE_B, got '%s'", resume);
		x = parse_hex(resume, (size_t)(colon - resume), sn, TC_RESUME_NONCE_MAX);
		y = x < 0 ? -1 : parse_hex(colon + 1, strlen(colon + 1), sn + x,
					   TC_RESUME_NONCE_MAX);
		if (x < 0 || y < 0)
			die_usage("--resume: nonces are 0-8 bytes of hex each: '%s'",
				  resume);
		sn_len = (size_t)(x + y);
	}

	n = tc_algs_init(&algs);
	if (n)
		die("OpenSSL algorithms", n);

	memset(&pa, 0, sizeof(pa));
	pa.algs = &algs;
	pa.role = TC_ENO_ROLE_A;
	pa.tep_byte = tep;
	pa.transcript = transcript;
	pa.transcript_len = tlen;
	pa.aeads = aeads;
	pa.n_aeads = n_aeads;
	pb = pa;
	pb.role = TC_ENO_ROLE_B;
	b_pref[0] = aead;
	pb.aeads = b_pref;
	pb.n_aeads = 1;
	pa.fixed_priv = priv_a;
	pa.fixed_priv_len = priv_a_len;
	pa.fixed_nonce = nonce_a;
	pb.fixed_priv = priv_b;
	pb.fixed_priv_len = priv_b_len;
	pb.fixed_nonce = nonce_b;
	exchange(&pa, &pb, &a, &b, &ra, &rb);
	init1 = tc_hs_output(&a, &len1);
	init2 = tc_hs_output(&b, &len2);

	/* every intermediate value again, straight from the formulas */
	n = tc_ecdh_from_private(&ka, tep, priv_a, priv_a_len);
	if (n)
		die("private key A", n);
	n = tc_ecdh_derive_pub(&ka, init2 + TC_INIT2_HDR_LEN + TC_NONCE_LEN,
			       ti->pub_len, es, sizeof(es));
	if (n < 0)
		die("ES", n);
	tc_ecdh_free(&ka);
	n = tc_hs_prk(&algs, nonce_a, transcript, tlen, init1, len1, init2, len2,
		      es, ti->es_len, prk);
	if (n)
		die("PRK", n);
	n = tc_ss_next(&algs, prk, v);
	if (n)
		die("ss1", n);
	check_same("ss1", v, ra.ss_next, TC_HASH_LEN);
	n = tc_mk0(&algs, prk, NULL, 0, v);
	if (n)
		die("mk0", n);
	check_same("mk0", v, ra.mk0, TC_HASH_LEN);
	n = tc_mk_next(&algs, ra.mk0, mk1);
	if (n)
		die("mk1", n);
	ai = tc_aead_info(aead);
	klen = ai->key_len + ai->nonce_len;

	print_hex("init1", init1, len1);
	print_hex("init2", init2, len2);
	print_hex("es", es, ti->es_len);
	print_hex("prk", prk, TC_HASH_LEN);
	print_hex("ss1", ra.ss_next, TC_HASH_LEN);
	print_hex("mk0", ra.mk0, TC_HASH_LEN);
	print_hex("mk1", mk1, TC_HASH_LEN);
	if ((n = tc_traffic_keys(&algs, ra.mk0, aead, kab, kba)))
		die("k0", n);
	print_hex("k_ab0", kab, klen);
	print_hex("k_ba0", kba, klen);
	if ((n = tc_traffic_keys(&algs, mk1, aead, kab, kba)))
		die("k1", n);
	print_hex("k_ab1", kab, klen);
	print_hex("k_ba1", kba, klen);
	print_hex("session_id", ra.session_id, TC_SESSID_LEN);
	print_hex("resume1", ra.resume_next, TC_RESUME_LEN);

	for (i = 0; i < n_frames; i++)
		seal_frame(&algs, aead, ra.mk0, &frames[i]);

	if (resume) {
		n = tc_hs_resume(&algs, ra.ss_next, sn, sn_len, TC_ENO_ROLE_A,
				 aead, tep | TC_TEP_V, &rr);
		if (n)
			die("resume", n);
		if ((n = tc_traffic_keys(&algs, rr.mk0, aead, kab, NULL)))
			die("resumed k0", n);
		print_hex("resumed_mk0", rr.mk0, TC_HASH_LEN);
		print_hex("resumed_k_ab0", kab, klen);
		print_hex("resumed_session_id", rr.session_id, TC_SESSID_LEN);
		tc_hs_result_wipe(&rr);
	}

	for (i = 0; i < n_frames; i++)
		free(frames[i].data);
	tc_wipe(es, sizeof(es));
	tc_wipe(prk, sizeof(prk));
	tc_wipe(v, sizeof(v));
	tc_wipe(mk1, sizeof(mk1));
	tc_wipe(kab, sizeof(kab));
	tc_wipe(kba, sizeof(kba));
	tc_hs_result_wipe(&ra);
	tc_hs_result_wipe(&rb);
	tc_hs_free(&a);
	tc_hs_free(&b);
	tc_algs_free(&algs);
	if (fflush(stdout)) {
		perror("tcpcrypt-vectors: stdout");
		return 1;
	}
	return 0;
}
