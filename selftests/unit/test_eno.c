// SPDX-License-Identifier: GPL-2.0
/* TCP-ENO (RFC 8547): parsing, building, negotiation and the state machine. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/eno.h"
#include "unit/hex.h"

#define X 0x21
#define Y 0x22
#define Z 0x23

/* Parse hex as a TCP options area. */
static enum tc_eno_reason parse_hex(const char *hex, bool syn,
				    struct tc_eno_parsed *p)
{
	uint8_t buf[64];
	size_t n = unhex(hex, buf, sizeof(buf));

	assert_true(n <= sizeof(buf));
	return tc_eno_parse(buf, n, syn, p);
}

static void assert_tep(const struct tc_eno_opt *o, int i, uint8_t byte,
		       const char *data_hex)
{
	uint8_t d[40];
	size_t n = unhex(data_hex, d, sizeof(d));

	assert_true(i < o->n_teps);
	assert_int_equal(o->teps[i].byte, byte);
	assert_int_equal(o->teps[i].len, n);
	assert_memory_equal(tc_eno_subopt_data(o, &o->teps[i]), d, n);
}

/* ---- parsing: finding the option among others ---- */

static void test_parse_among_options(void **state)
{
	struct tc_eno_parsed p;

	/* MSS, SACK-permitted, timestamps, NOP, window scale, ENO */
	assert_int_equal(parse_hex("020405b4 0402 080a0000000100000000 01 030307"
				   " 4504 01 21", true, &p), TC_ENO_R_NONE);
	assert_int_equal(p.n_eno, 1);
	assert_int_equal(p.opt.raw_len, 4);
	assert_memory_equal(p.opt.raw, "\x45\x04\x01\x21", 4);
	assert_true(p.opt.gopt_explicit);
	assert_int_equal(p.opt.gopt, 0x01);
	assert_int_equal(p.opt.n_teps, 1);
	assert_tep(&p.opt, 0, 0x21, "");

	/* a full 40-byte area with ENO last; then one byte short */
	assert_int_equal(parse_hex("020405b4 0402 080a0000000100000002 030307"
				   " 0101010101010101 450a 01 21222324252627",
				   true, &p), TC_ENO_R_NONE);
	assert_int_equal(p.opt.n_teps, 7);
	assert_int_equal(parse_hex("020405b4 0402 080a0000000100000002 030307"
				   " 0101010101010101 450a 01 212223242526",
				   true, &p), TC_ENO_R_BAD_TCPOPT);
	/* non-SYN: ENO between timestamps and SACK blocks */
	assert_int_equal(parse_hex("0101 080a0000000100000002 4502 01 01"
				   " 050a 00000001 00000002", false, &p),
			 TC_ENO_R_NONE);

	/* ENO first, then NOPs and SACK blocks */
	assert_int_equal(parse_hex("4504 2122 0101 050a 00000001 00000002", true,
				   &p), TC_ENO_R_NONE);
	assert_int_equal(p.opt.n_teps, 2);
	assert_false(p.opt.gopt_explicit);
	assert_int_equal(p.opt.gopt, 0);	/* implicit 0x00 */
	assert_int_equal(p.flags, 0);
}

static void test_parse_absent_and_eol(void **state)
{
	struct tc_eno_parsed p;

	assert_int_equal(parse_hex("", true, &p), TC_ENO_R_ABSENT);
	assert_int_equal(parse_hex("020405b4 0101 0402", true, &p),
			 TC_ENO_R_ABSENT);
	/* an ENO option after EOL is padding, not an option */
	assert_int_equal(parse_hex("020405b4 00 450401 21", true, &p),
			 TC_ENO_R_ABSENT);
	/* garbage after EOL is not a malformed list */
	assert_int_equal(parse_hex("4502 00 ff", false, &p), TC_ENO_R_NONE);
}

static void test_parse_truncated_tcp_options(void **state)
{
	static const char *const bad[] = {
		"45",			/* kind without length */
		"020405",		/* MSS truncated */
		"4503 21 02",		/* next option without a length */
		"4500 21",		/* option length 0 */
		"4501",			/* option length 1 */
		"4505 0121",		/* ENO length past the end */
		"4503 21 08 0a 0000",	/* timestamps truncated after ENO */
		"0101 ff",		/* unknown kind cut short */
	};
	struct tc_eno_parsed p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_hex(bad[i], true, &p),
				 TC_ENO_R_BAD_TCPOPT);
		assert_true(p.flags & TC_ENO_P_BAD_TCPOPT);
		assert_int_equal(parse_hex(bad[i], false, &p),
				 TC_ENO_R_BAD_TCPOPT);
	}
}

static void test_parse_oversized_option(void **state)
{
	uint8_t buf[60] = { 0x45, 42 };
	struct tc_eno_parsed p;

	/* more than the 40-byte TCP option space: never a valid SYN option */
	memset(buf + 2, 0x21, 40);
	assert_int_equal(tc_eno_parse(buf, 42, true, &p), TC_ENO_R_MALFORMED);
	/* exactly 40: 38 TEPs, the capacity */
	buf[1] = 40;
	assert_int_equal(tc_eno_parse(buf, 40, true, &p), TC_ENO_R_NONE);
	assert_int_equal(p.opt.n_teps, TC_ENO_SUBOPT_MAX);
}

static void test_parse_duplicate(void **state)
{
	struct tc_eno_parsed p;

	/* SYN: more than one ENO option -> act as if none (4.1) */
	assert_int_equal(parse_hex("450401 21 01 450401 21", true, &p),
			 TC_ENO_R_DUPLICATE);
	assert_int_equal(p.n_eno, 2);
	/* even if the second is empty */
	assert_int_equal(parse_hex("450321 4502", true, &p), TC_ENO_R_DUPLICATE);
	/* non-SYN: several count as one */
	assert_int_equal(parse_hex("4502 0101 4503ff", false, &p), TC_ENO_R_NONE);
}

static void test_parse_legacy(void **state)
{
	struct tc_eno_parsed p;

	/* kind 253, ExID 0x454E alone: not spoken, reported */
	assert_int_equal(parse_hex("fd05 454e 21", true, &p), TC_ENO_R_LEGACY);
	assert_true(p.flags & TC_ENO_P_LEGACY);
	assert_int_equal(parse_hex("fd04 454e", false, &p), TC_ENO_R_LEGACY);
	/* both forms in one segment: MUST NOT be sent, so disable */
	assert_int_equal(parse_hex("450321 fd05454e21", true, &p),
			 TC_ENO_R_BOTH_FORMS);
	assert_int_equal(parse_hex("fd04454e 4502", false, &p),
			 TC_ENO_R_BOTH_FORMS);
	/* another experiment under 253 is unrelated */
	assert_int_equal(parse_hex("fd04 1234 450321", true, &p), TC_ENO_R_NONE);
	assert_false(p.flags & TC_ENO_P_LEGACY);
	/* 253 too short to carry an ExID */
	assert_int_equal(parse_hex("fd02 450321", true, &p), TC_ENO_R_NONE);
}

static void test_parse_nonsyn_contents_ignored(void **state)
{
	struct tc_eno_parsed p;

	/* contents of a non-SYN ENO option are ignored, even "malformed" */
	assert_int_equal(parse_hex("4503 81", false, &p), TC_ENO_R_NONE);
	assert_int_equal(parse_hex("4506 80 21 0000", false, &p), TC_ENO_R_NONE);
	assert_int_equal(parse_hex("0101 080a 0000000000000000", false, &p),
			 TC_ENO_R_ABSENT);
}

/* ---- parsing: the SYN-form suboptions ---- */

static void test_parse_global_suboption(void **state)
{
	struct tc_eno_parsed p;

	/* first byte in 0x00-0x1f wins, later ones ignored */
	assert_int_equal(parse_hex("4506 03 21 01 00", true, &p), TC_ENO_R_NONE);
	assert_int_equal(p.opt.gopt, 0x03);
	assert_int_equal(p.opt.n_teps, 1);
	assert_int_equal(parse_hex("4505 21 00 1f", true, &p), TC_ENO_R_NONE);
	assert_int_equal(p.opt.gopt, 0x00);
	assert_true(p.opt.gopt_explicit);
	/* z bits are kept as received but ignored by role checks */
	assert_int_equal(parse_hex("4504 1c 21", true, &p), TC_ENO_R_NONE);
	assert_int_equal(p.opt.gopt, 0x1c);
}

static void test_parse_length_bytes(void **state)
{
	struct tc_eno_parsed p;

	/* length byte 0x82: 3 bytes of data for a v=1 TEP, then more TEPs */
	assert_int_equal(parse_hex("450a 01 82 a1 aabbcc 22 23", true, &p),
			 TC_ENO_R_NONE);
	assert_int_equal(p.opt.n_teps, 3);
	assert_tep(&p.opt, 0, 0xa1, "aabbcc");
	assert_tep(&p.opt, 1, 0x22, "");
	assert_tep(&p.opt, 2, 0x23, "");

	/* 0x9f: 32 bytes, the maximum */
	assert_int_equal(parse_hex("4525 9f ff"
				   "000102030405060708090a0b0c0d0e0f"
				   "101112131415161718191a1b1c1d1e1f 21",
				   true, &p), TC_ENO_R_NONE);
	assert_int_equal(p.opt.n_teps, 2);
	assert_int_equal(p.opt.teps[0].len, 32);
	assert_int_equal(tc_eno_subopt_data(&p.opt, &p.opt.teps[0])[31], 0x1f);

	/* 0x80: one byte, data ending exactly at the end of the option */
	assert_int_equal(parse_hex("4506 21 80 a2 07", true, &p), TC_ENO_R_NONE);
	assert_tep(&p.opt, 1, 0xa2, "07");
}

static void test_parse_data_to_end(void **state)
{
	struct tc_eno_parsed p;

	/* v=1 TEP without a length byte: data runs to the end */
	assert_int_equal(parse_hex("4509 21 a3 0102 2103 ff", true, &p),
			 TC_ENO_R_NONE);
	assert_int_equal(p.opt.n_teps, 2);
	assert_tep(&p.opt, 1, 0xa3, "01022103ff");
	/* ... even if that data looks like suboptions or length bytes */
	assert_int_equal(parse_hex("4506 a3 80 00 01", true, &p), TC_ENO_R_NONE);
	assert_tep(&p.opt, 0, 0xa3, "800001");
	/* v=1 as the very last byte: no data */
	assert_int_equal(parse_hex("4504 21 a3", true, &p), TC_ENO_R_NONE);
	assert_tep(&p.opt, 1, 0xa3, "");
}

static void test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"4503 81",		/* length byte is the last byte */
		"4504 21 80",		/* ... after a TEP */
		"4505 83 a1 aa",	/* data would run past the option */
		"4507 9f a1 000102",	/* 32 bytes announced, 2 present */
		"4505 80 21 aa",	/* followed by a v=0 TEP */
		"4505 80 01 aa",	/* followed by a global suboption */
		"4505 80 85 aa",	/* followed by another length byte */
		"4505 80 9f aa",	/* 0x9f is still a length byte */
		"4504 80 7f",		/* v=0, highest TEP */
	};
	struct tc_eno_parsed p;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_hex(bad[i], true, &p),
				 TC_ENO_R_MALFORMED);
	/* boundary: 0xa0 after a length byte is a TEP with v=1 */
	assert_int_equal(parse_hex("4505 80 a0 aa", true, &p), TC_ENO_R_NONE);
	assert_tep(&p.opt, 0, 0xa0, "aa");
}

static void test_parse_vacuous(void **state)
{
	struct tc_eno_parsed p;

	assert_int_equal(parse_hex("4502", true, &p), TC_ENO_R_NONE);
	assert_int_equal(p.opt.n_teps, 0);
	assert_int_equal(parse_hex("450301", true, &p), TC_ENO_R_NONE);
	assert_int_equal(p.opt.n_teps, 0);
	assert_int_equal(p.opt.gopt, 1);
}

/* ---- building ---- */

static void test_build_syn(void **state)
{
	static const uint8_t resume[17] = {
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17 };
	struct tc_eno_tep_in t[3] = {
		{ .byte = X }, { .byte = Y },
	};
	uint8_t out[40], exp[40];
	size_t n;

	/* Figure 9: A's SYN ENO<X,Y>, implicit global suboption */
	assert_int_equal(tc_eno_build_syn(0, false, t, 2, out, 40), 4);
	assert_memory_equal(out, "\x45\x04\x21\x22", 4);
	/* B's SYN-ACK ENO<b=1,Y> */
	assert_int_equal(tc_eno_build_syn(TC_ENO_GOPT_B, false, t + 1, 1, out,
					  40), 4);
	assert_memory_equal(out, "\x45\x04\x01\x22", 4);
	/* explicit 0x00 on request; a=1 forces it */
	assert_int_equal(tc_eno_build_syn(0, true, t, 1, out, 40), 4);
	assert_memory_equal(out, "\x45\x04\x00\x21", 4);
	assert_int_equal(tc_eno_build_syn(TC_ENO_GOPT_A, false, t, 1, out, 40),
			 4);
	assert_memory_equal(out, "\x45\x04\x02\x21", 4);
	/* vacuous */
	assert_int_equal(tc_eno_build_syn(0, false, NULL, 0, out, 40), 2);
	assert_int_equal(tc_eno_build_syn(1, false, NULL, 0, out, 40), 3);

	/* tcpcrypt-style resumption suboption not last: length byte 0x90 */
	t[0] = (struct tc_eno_tep_in){ .byte = Z, .data = resume, .len = 17 };
	t[1] = (struct tc_eno_tep_in){ .byte = Z };
	assert_int_equal(tc_eno_build_syn(0, false, t, 2, out, 40), 2 + 1 + 1 +
			 17 + 1);
	n = unhex("4516 90 a3 0102030405060708090a0b0c0d0e0f1011 23", exp, 40);
	assert_memory_equal(out, exp, n);
	/* last: no length byte, data to the end */
	t[0] = (struct tc_eno_tep_in){ .byte = Z };
	t[1] = (struct tc_eno_tep_in){ .byte = Z, .data = resume, .len = 17 };
	assert_int_equal(tc_eno_build_syn(0, false, t, 2, out, 40), 21);
	n = unhex("4515 23 a3 0102030405060708090a0b0c0d0e0f1011", exp, 40);
	assert_memory_equal(out, exp, n);
	/* v bit given without data, last: a lone v=1 byte */
	t[0] = (struct tc_eno_tep_in){ .byte = 0xa3 };
	assert_int_equal(tc_eno_build_syn(0, false, t, 1, out, 40), 3);
	assert_memory_equal(out, "\x45\x03\xa3", 3);
}

static void test_build_errors(void **state)
{
	static const uint8_t big[38];
	struct tc_eno_tep_in t[40];
	uint8_t out[40];
	int i;

	for (i = 0; i < 40; i++)
		t[i] = (struct tc_eno_tep_in){ .byte = X };
	/* 38 one-byte TEPs fill the 40 bytes exactly; 39 do not */
	assert_int_equal(tc_eno_build_syn(0, false, t, 38, out, 40), 40);
	assert_int_equal(tc_eno_build_syn(0, false, t, 39, out, 40), -ENOSPC);
	/* the global suboption takes a byte too */
	assert_int_equal(tc_eno_build_syn(1, false, t, 38, out, 40), -ENOSPC);
	/* cap is the space left after MSS, timestamps etc. */
	assert_int_equal(tc_eno_build_syn(1, false, t, 2, out, 4), -ENOSPC);
	assert_int_equal(tc_eno_build_syn(1, false, t, 1, out, 4), 4);
	assert_int_equal(tc_eno_build_syn(0, false, t, 0, out, 1), -ENOSPC);
	/* cap above 40 is clamped to the TCP option space */
	assert_int_equal(tc_eno_build_syn(0, false, t, 39, out, 255), -ENOSPC);
	/* last suboption may exceed 32 data bytes: 2 + 1 + 37 = 40 */
	t[0] = (struct tc_eno_tep_in){ .byte = X, .data = big, .len = 37 };
	assert_int_equal(tc_eno_build_syn(0, false, t, 1, out, 40), 40);
	t[0].len = 38;
	assert_int_equal(tc_eno_build_syn(0, false, t, 1, out, 40), -ENOSPC);
	/* ... but not when another follows: a length byte says 1..32 */
	t[0].len = 33;
	assert_int_equal(tc_eno_build_syn(0, false, t, 2, out, 40), -EINVAL);
	/* v=1 without data cannot be followed by anything */
	t[0] = (struct tc_eno_tep_in){ .byte = X | TC_ENO_V };
	assert_int_equal(tc_eno_build_syn(0, false, t, 2, out, 40), -EINVAL);
	/* glt below 0x20 is not a TEP; z bits must be 0 */
	t[0] = (struct tc_eno_tep_in){ .byte = 0x1f };
	assert_int_equal(tc_eno_build_syn(0, false, t, 1, out, 40), -EINVAL);
	t[0] = (struct tc_eno_tep_in){ .byte = X };
	assert_int_equal(tc_eno_build_syn(0x04, false, t, 1, out, 40), -EINVAL);
	/* data length without data */
	t[0] = (struct tc_eno_tep_in){ .byte = X, .len = 3 };
	assert_int_equal(tc_eno_build_syn(0, false, t, 1, out, 40), -EINVAL);
}

static void test_build_parse_roundtrip(void **state)
{
	static const uint8_t d1[5] = { 9, 8, 7, 6, 5 }, d2[2] = { 0xa0, 0x80 };
	struct tc_eno_tep_in t[4] = {
		{ .byte = 0x20 }, { .byte = 0x30, .data = d1, .len = 5 },
		{ .byte = 0x7f }, { .byte = 0x41, .data = d2, .len = 2 },
	};
	struct tc_eno_parsed p;
	uint8_t out[40];
	int n, i;

	n = tc_eno_build_syn(3, false, t, 4, out, 40);
	assert_true(n > 0);
	assert_int_equal(tc_eno_parse(out, (size_t)n, true, &p), TC_ENO_R_NONE);
	assert_int_equal(p.opt.gopt, 3);
	assert_int_equal(p.opt.n_teps, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(tc_eno_glt(p.opt.teps[i].byte), t[i].byte);
		assert_int_equal(p.opt.teps[i].len, t[i].len);
		if (t[i].len)
			assert_memory_equal(tc_eno_subopt_data(&p.opt,
							       &p.opt.teps[i]),
					    t[i].data, t[i].len);
	}
	assert_memory_equal(p.opt.raw, out, (size_t)n);
	assert_int_equal(tc_eno_check_tx(out, (size_t)n, true, 0), 0);
}

static void test_nonsyn_form(void **state)
{
	assert_int_equal(TC_ENO_NONSYN_LEN, 2);
	assert_memory_equal(tc_eno_nonsyn_opt, "\x45\x02", 2);
}

static void test_check_tx(void **state)
{
	uint8_t b[40];
	size_t n;

	n = unhex("020405b4 450321", b, 40);
	assert_int_equal(tc_eno_check_tx(b, n, true, 0), 0);
	/* no data in a SYN+ENO: tcpcrypt defines no SYN data */
	assert_int_equal(tc_eno_check_tx(b, n, true, 10), -EPROTO);
	/* two ENO options in a SYN */
	n = unhex("450321 450321", b, 40);
	assert_int_equal(tc_eno_check_tx(b, n, true, 0), -EPROTO);
	/* several in a non-SYN segment are allowed */
	n = unhex("4502 4502", b, 40);
	assert_int_equal(tc_eno_check_tx(b, n, false, 0), 0);
	/* 69 together with 253/0x454E, or 253/0x454E at all */
	n = unhex("450321 fd05454e21", b, 40);
	assert_int_equal(tc_eno_check_tx(b, n, true, 0), -EPROTO);
	n = unhex("fd04454e", b, 40);
	assert_int_equal(tc_eno_check_tx(b, n, false, 0), -EPROTO);
	/* non-empty TFO in a SYN+ENO; an empty TFO (cookie request) is fine */
	n = unhex("450321 220a0102030405060708", b, 40);
	assert_int_equal(tc_eno_check_tx(b, n, true, 0), -EPROTO);
	n = unhex("450321 fe0cf989 0102030405060708", b, 40);
	assert_int_equal(tc_eno_check_tx(b, n, true, 0), -EPROTO);
	n = unhex("450321 2202", b, 40);
	assert_int_equal(tc_eno_check_tx(b, n, true, 0), 0);
	/* malformed SYN-form or option list */
	n = unhex("4503 81", b, 40);
	assert_int_equal(tc_eno_check_tx(b, n, true, 0), -EPROTO);
	n = unhex("4505 21", b, 40);
	assert_int_equal(tc_eno_check_tx(b, n, false, 0), -EPROTO);
	/* the non-SYN form we send is 45 02, nothing else */
	n = unhex("4502 0101 080a0000000000000000", b, 40);
	assert_int_equal(tc_eno_check_tx(b, n, false, 1000), 0);
	n = unhex("4503 00", b, 40);
	assert_int_equal(tc_eno_check_tx(b, n, false, 0), -EPROTO);
}

/* ---- roles and global suboptions ---- */

static void test_check_gopt(void **state)
{
	enum tc_eno_role role = 99;

	assert_int_equal(tc_eno_check_gopt(0x00, 0x01, false, &role),
			 TC_ENO_R_NONE);
	assert_int_equal(role, TC_ENO_ROLE_A);
	assert_int_equal(tc_eno_check_gopt(0x01, 0x00, false, &role),
			 TC_ENO_R_NONE);
	assert_int_equal(role, TC_ENO_ROLE_B);
	/* same b: simultaneous open with defaults, echoing middlebox,
	 * active opener with b=1 against a passive opener */
	assert_int_equal(tc_eno_check_gopt(0x00, 0x00, false, &role),
			 TC_ENO_R_SAME_B);
	assert_int_equal(tc_eno_check_gopt(0x01, 0x01, false, &role),
			 TC_ENO_R_SAME_B);
	/* z bits ignored */
	assert_int_equal(tc_eno_check_gopt(0x01, 0x1c, false, &role),
			 TC_ENO_R_NONE);
	assert_int_equal(tc_eno_check_gopt(0x01, 0x1d, false, &role),
			 TC_ENO_R_SAME_B);
	/* mandatory application-aware mode */
	assert_int_equal(tc_eno_check_gopt(0x03, 0x00, true, &role),
			 TC_ENO_R_AA);
	assert_int_equal(tc_eno_check_gopt(0x03, 0x02, true, &role),
			 TC_ENO_R_NONE);
	assert_int_equal(tc_eno_check_gopt(0x03, 0x00, false, &role),
			 TC_ENO_R_NONE);
}

/* ---- TEP selection ---- */

static struct tc_eno_opt opt_hex(const char *hex)
{
	struct tc_eno_parsed p;

	assert_int_equal(parse_hex(hex, true, &p), TC_ENO_R_NONE);
	return p.opt;
}

struct cb_log {
	int calls, peer_calls;
	uint8_t reject;		/* glt whose data is invalid */
	bool allow_repeat;
};

static bool cb_data_ok(uint8_t byte, const uint8_t *data, size_t len,
		       bool peer, void *arg)
{
	struct cb_log *l = arg;

	l->calls++;
	l->peer_calls += peer;
	if (tc_eno_glt(byte) == l->reject)
		return false;
	/* accept data only when it is exactly 2 bytes */
	return !(byte & TC_ENO_V) || len == 2;
}

static bool cb_repeat_ok(uint8_t glt, unsigned int n_plain,
			 unsigned int n_data, void *arg)
{
	struct cb_log *l = arg;

	/* tcpcrypt-like: one fresh and one resumption suboption */
	return l->allow_repeat && n_plain <= 1 && n_data <= 1;
}

static void test_select_rfc_examples(void **state)
{
	struct tc_eno_opt a, b;
	struct tc_eno_sel sel;

	/* Figure 9: A ENO<X,Y>, B ENO<b=1,Y> -> Y */
	a = opt_hex("4504 2122");
	b = opt_hex("4504 01 22");
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, NULL, &sel),
			 TC_ENO_R_NONE);
	assert_int_equal(sel.glt, Y);
	assert_int_equal(sel.b_idx, 0);
	/* B lists X,Y -> Y (last valid in B's option); A's order irrelevant */
	b = opt_hex("4505 01 21 22");
	a = opt_hex("4504 2221");
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_B, NULL, &sel),
			 TC_ENO_R_NONE);
	assert_int_equal(sel.glt, Y);
	/* Figure 12: A ENO<Y,X>, B ENO<b=1,X,Y,Z> -> Y (Z not in A) */
	a = opt_hex("4504 2221");
	b = opt_hex("4506 01 212223");
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, NULL, &sel),
			 TC_ENO_R_NONE);
	assert_int_equal(sel.glt, Y);
	assert_int_equal(sel.byte, Y);
	assert_int_equal(sel.b_idx, 1);
	/* no common TEP */
	a = opt_hex("4503 21");
	b = opt_hex("4504 01 22");
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, NULL, &sel),
			 TC_ENO_R_NO_TEP);
}

static void test_select_validity(void **state)
{
	struct cb_log log = { 0 };
	struct tc_eno_tep_ops ops = {
		.data_ok = cb_data_ok, .repeat_ok = cb_repeat_ok, .arg = &log,
	};
	struct tc_eno_opt a, b;
	struct tc_eno_sel sel;

	/* B lists X,Y but Y's data is invalid -> X */
	a = opt_hex("4504 21 22");
	b = opt_hex("4508 01 21 a2 aabbcc");
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, &ops, &sel),
			 TC_ENO_R_NONE);
	assert_int_equal(sel.glt, X);
	/* with valid (2-byte) data Y wins, and the v bit comes from B */
	b = opt_hex("4507 01 21 a2 aabb");
	log.calls = log.peer_calls = 0;
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, &ops, &sel),
			 TC_ENO_R_NONE);
	assert_int_equal(sel.glt, Y);
	assert_int_equal(sel.byte, 0xa2);
	/* data_ok saw B's suboption as the peer's, A's as ours */
	assert_int_equal(log.calls, 2);
	assert_int_equal(log.peer_calls, 1);
	/* without ops, v=1 suboptions are never valid */
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, NULL, &sel),
			 TC_ENO_R_NONE);
	assert_int_equal(sel.glt, X);
	/* runtime constraint: callback rejects X entirely */
	log.reject = X;
	b = opt_hex("4504 01 21");
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, &ops, &sel),
			 TC_ENO_R_NO_TEP);
	log.reject = 0;
	/* invalid data in A's suboption also invalidates the TEP */
	a = opt_hex("4507 21 a2 0102 03"); /* a2: 3 bytes to the end */
	b = opt_hex("4504 01 22");
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_B, &ops, &sel),
			 TC_ENO_R_NO_TEP);
}

static void test_select_repetition(void **state)
{
	struct cb_log log = { 0 };
	struct tc_eno_tep_ops ops = {
		.data_ok = cb_data_ok, .repeat_ok = cb_repeat_ok, .arg = &log,
	};
	struct tc_eno_opt a, b;
	struct tc_eno_sel sel;

	/* A offers Z fresh and Z with resumption data (tcpcrypt 3.5) */
	a = opt_hex("4508 21 81 a3 0102 23");
	b = opt_hex("4504 01 23");
	/* repetition the TEP does not allow: Z is not valid */
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, &ops, &sel),
			 TC_ENO_R_NO_TEP);
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, NULL, &sel),
			 TC_ENO_R_NO_TEP);
	log.allow_repeat = true;
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, &ops, &sel),
			 TC_ENO_R_NONE);
	assert_int_equal(sel.glt, Z);
	/* the TEP's limit: two plain Z is still not allowed */
	a = opt_hex("4504 23 23");
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, &ops, &sel),
			 TC_ENO_R_NO_TEP);
	/* repetition in B: the byte is the last one for that glt */
	a = opt_hex("4503 23");
	b = opt_hex("4508 01 81 a3 0102 23");
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, &ops, &sel),
			 TC_ENO_R_NONE);
	assert_int_equal(sel.byte, 0x23);
	assert_int_equal(sel.b_idx, 1);
	b = opt_hex("4507 01 23 a3 0102");
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, &ops, &sel),
			 TC_ENO_R_NONE);
	assert_int_equal(sel.byte, 0xa3);
	assert_int_equal(sel.b_idx, 1);
}

static void test_select_vacuous(void **state)
{
	struct tc_eno_opt a, b;
	struct tc_eno_sel sel;

	a = opt_hex("4502");
	b = opt_hex("4504 01 21");
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, NULL, &sel),
			 TC_ENO_R_VACUOUS);
	a = opt_hex("4503 21");
	b = opt_hex("4503 01");
	assert_int_equal(tc_eno_select(&a, &b, TC_ENO_ROLE_A, NULL, &sel),
			 TC_ENO_R_VACUOUS);
}

static void test_pick(void **state)
{
	static const uint8_t prefs[] = { X, Z, Y };	/* Y preferred */
	struct tc_eno_opt a;

	a = opt_hex("4505 23 21 22");
	assert_int_equal(tc_eno_pick(&a, prefs, 3, NULL), Y);
	a = opt_hex("4504 23 21");
	assert_int_equal(tc_eno_pick(&a, prefs, 3, NULL), Z);
	a = opt_hex("4504 24 25");
	assert_int_equal(tc_eno_pick(&a, prefs, 3, NULL), -ENOENT);
	a = opt_hex("4502");
	assert_int_equal(tc_eno_pick(&a, prefs, 3, NULL), -ENOENT);
}

/* ---- SYN data (4.7) ---- */

static bool cb_syn_data(uint8_t glt, void *arg)
{
	return glt == 0x20;	/* pretend the experimental TEP defines it */
}

static void test_syn_data(void **state)
{
	struct tc_eno_tep_ops ops = { .syn_data = cb_syn_data };
	struct tc_eno_parsed p;
	enum tc_eno_reason r;

	r = parse_hex("450321", true, &p);
	assert_int_equal(tc_eno_syn_data(&p, r, 0, X, NULL),
			 TC_ENO_SYN_DATA_NONE);
	/* tcpcrypt defines no SYN data: discard, acknowledge the ISN only */
	assert_int_equal(tc_eno_syn_data(&p, r, 100, X, NULL),
			 TC_ENO_SYN_DATA_DISCARD);
	assert_int_equal(tc_eno_syn_data(&p, r, 100, X, &ops),
			 TC_ENO_SYN_DATA_DISCARD);
	/* ENO failed, or disabled by configuration: still discard */
	assert_int_equal(tc_eno_syn_data(&p, r, 100, 0, &ops),
			 TC_ENO_SYN_DATA_DISCARD);
	/* a TEP that defines SYN data, is the SYN TEP and negotiated */
	r = parse_hex("45042120", true, &p);
	assert_int_equal(tc_eno_syn_data(&p, r, 100, 0x20, &ops),
			 TC_ENO_SYN_DATA_ACCEPT);
	/* the SYN TEP (last) is not the negotiated one */
	assert_int_equal(tc_eno_syn_data(&p, r, 100, X, &ops),
			 TC_ENO_SYN_DATA_DISCARD);
	r = parse_hex("45042021", true, &p);
	assert_int_equal(tc_eno_syn_data(&p, r, 100, 0x20, &ops),
			 TC_ENO_SYN_DATA_DISCARD);
	/* a SYN-ACK with ENO and a TFO cookie: conflicting, discard */
	r = parse_hex("4504 01 20 220a0102030405060708", true, &p);
	assert_int_equal(r, TC_ENO_R_NONE);
	assert_int_equal(tc_eno_syn_data(&p, r, 1, 0x20, &ops),
			 TC_ENO_SYN_DATA_DISCARD);
	/* a non-empty TFO option conflicts */
	r = parse_hex("45042120 220a0102030405060708", true, &p);
	assert_true(p.flags & TC_ENO_P_TFO);
	assert_int_equal(tc_eno_syn_data(&p, r, 100, 0x20, &ops),
			 TC_ENO_SYN_DATA_DISCARD);
	/* malformed, duplicated, legacy ENO: still a SYN+ENO, discard */
	r = parse_hex("4503 81", true, &p);
	assert_int_equal(tc_eno_syn_data(&p, r, 100, 0x20, &ops),
			 TC_ENO_SYN_DATA_DISCARD);
	r = parse_hex("450320 450320", true, &p);
	assert_int_equal(tc_eno_syn_data(&p, r, 100, 0x20, &ops),
			 TC_ENO_SYN_DATA_DISCARD);
	r = parse_hex("fd05454e20", true, &p);
	assert_int_equal(tc_eno_syn_data(&p, r, 100, 0x20, &ops),
			 TC_ENO_SYN_DATA_DISCARD);
	/* no ENO at all: ordinary TCP (e.g. TFO) rules, not ours */
	r = parse_hex("020405b4", true, &p);
	assert_int_equal(tc_eno_syn_data(&p, r, 100, 0, &ops),
			 TC_ENO_SYN_DATA_NOT_ENO);
}

static void test_transcript_of(void **state)
{
	struct tc_eno_opt a = opt_hex("4504 2122"), b = opt_hex("4504 01 22");
	uint8_t out[80];

	assert_int_equal(tc_eno_transcript_of(&a, &b, out, sizeof(out)), 8);
	assert_memory_equal(out, "\x45\x04\x21\x22\x45\x04\x01\x22", 8);
	assert_int_equal(tc_eno_transcript_of(&a, &b, out, 7), -ENOSPC);
}

/* ---- the state machine, two hosts over a simulated wire ---- */

#define SYN TC_TCP_SYN
#define ACK TC_TCP_ACK

enum mangle { M_NONE, M_STRIP, M_DUP, M_REPLACE };

struct wire {
	enum mangle mangle;
	const char *replace;	/* hex options for M_REPLACE */
	uint8_t last[40];	/* options of the last delivered segment */
	size_t last_len;
};

/*
 * from sends a segment with flags to `to` (NULL: lost). Options: MSS,
 * SACK-permitted, the ENO option, timestamps -- the option list a Linux SYN
 * would carry -- then whatever the wire does to it.
 */
static void xmit(struct tc_eno *from, struct tc_eno *to, unsigned int flags,
		 struct wire *w)
{
	uint8_t o[40];
	const uint8_t *eno;
	size_t n = 0;
	int len;

	len = tc_eno_next_option(from, flags & SYN, &eno);
	assert_true(len >= 0);
	if (flags & SYN) {
		memcpy(o + n, "\x02\x04\x05\xb4\x04\x02", 6);
		n += 6;
	}
	assert_true(n + (size_t)len <= sizeof(o));
	if (len) {
		memcpy(o + n, eno, (size_t)len);
		n += (size_t)len;
	}
	if (n + 10 <= sizeof(o)) {
		memcpy(o + n, "\x08\x0a\0\0\0\1\0\0\0\0", 10);
		n += 10;
	}
	assert_int_equal(tc_eno_check_tx(o, n, flags & SYN, 0), 0);
	assert_int_equal(tc_eno_on_sent(from, flags, len > 0), 0);
	switch (w ? w->mangle : M_NONE) {
	case M_NONE:
		break;
	case M_STRIP:
		n = unhex("020405b4 0101 0402", o, sizeof(o));
		break;
	case M_DUP:
		assert_true(len > 0 && n + (size_t)len <= sizeof(o));
		memcpy(o + n, eno, (size_t)len);
		n += (size_t)len;
		break;
	case M_REPLACE:
		n = unhex(w->replace, o, sizeof(o));
		break;
	}
	if (w) {
		memcpy(w->last, o, n);
		w->last_len = n;
	}
	if (!to)
		return;		/* lost, or delivered later from w */
	assert_int_equal(tc_eno_on_recv(to, flags, o, n), 0);
}

static const struct tc_eno_cfg active_cfg = { .enabled = true };
static const struct tc_eno_cfg passive_cfg = { .enabled = true,
					       .passive = true };

static void set_teps(struct tc_eno *e, const uint8_t *teps, size_t n)
{
	struct tc_eno_tep_in t[8];
	size_t i;

	for (i = 0; i < n; i++)
		t[i] = (struct tc_eno_tep_in){ .byte = teps[i] };
	assert_int_equal(tc_eno_set_local(e, t, n, 40), 0);
}

/* A active with <X,Y>, B passive picks from <X,Y> and answers one TEP. */
static void open_pair(struct tc_eno *a, struct tc_eno *b)
{
	static const uint8_t teps[] = { X, Y };
	uint8_t pick;
	int r;

	assert_int_equal(tc_eno_init(a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_init(b, &passive_cfg, NULL), 0);
	set_teps(a, teps, 2);
	xmit(a, b, SYN, NULL);
	assert_int_equal(tc_eno_state(b), TC_ENO_NEGOTIATING);
	if (tc_eno_state(b) == TC_ENO_NEGOTIATING) {
		r = tc_eno_pick(&b->peer, teps, 2, NULL);
		assert_int_equal(r, Y);
		pick = (uint8_t)r;
		set_teps(b, &pick, 1);
	}
}

static void test_sm_normal_open(void **state)
{
	struct tc_eno a, b;
	uint8_t ta[80], tb[80], gopt;
	const uint8_t *o;
	struct tc_eno_sel sel;
	enum tc_eno_role role;

	open_pair(&a, &b);
	/* B's SYN-ACK: 45 04 01 Y, explicit b = 1 */
	assert_int_equal(tc_eno_next_option(&b, true, &o), 4);
	assert_memory_equal(o, "\x45\x04\x01\x22", 4);
	/* nothing to report yet */
	assert_int_equal(tc_eno_get_tep(&b, &sel), -ENOTCONN);
	assert_int_equal(tc_eno_transcript(&b, ta, 80), -ENOTCONN);
	assert_false(tc_eno_ack_enables(&a, &role, &sel));
	xmit(&b, &a, SYN | ACK, NULL);
	/* A has received an ACK with ENO but not yet sent one */
	assert_int_equal(tc_eno_state(&a), TC_ENO_NEGOTIATING);
	assert_int_equal(tc_eno_next_option(&a, false, &o), 2);
	assert_memory_equal(o, "\x45\x02", 2);
	/* ... and knows the outcome its ACK will give (Init1 may ride on it) */
	assert_true(tc_eno_ack_enables(&a, &role, &sel));
	assert_int_equal(role, TC_ENO_ROLE_A);
	assert_int_equal(sel.byte, Y);
	assert_false(tc_eno_ack_enables(&b, &role, &sel));
	xmit(&a, &b, ACK, NULL);
	assert_int_equal(tc_eno_state(&a), TC_ENO_ENABLED);
	assert_false(tc_eno_ack_enables(&a, &role, &sel));
	assert_int_equal(tc_eno_state(&b), TC_ENO_ENABLED);

	/* roles, TEP, transcript agree */
	assert_int_equal(tc_eno_get_role(&a, &role), 0);
	assert_int_equal(role, TC_ENO_ROLE_A);
	assert_int_equal(tc_eno_get_role(&b, &role), 0);
	assert_int_equal(role, TC_ENO_ROLE_B);
	assert_int_equal(tc_eno_get_tep(&a, &sel), 0);
	assert_int_equal(sel.byte, Y);
	assert_int_equal(tc_eno_get_tep(&b, &sel), 0);
	assert_int_equal(sel.glt, Y);
	assert_int_equal(tc_eno_transcript(&a, ta, 80), 8);
	assert_int_equal(tc_eno_transcript(&b, tb, 80), 8);
	assert_memory_equal(ta, "\x45\x04\x21\x22\x45\x04\x01\x22", 8);
	assert_memory_equal(ta, tb, 8);
	assert_int_equal(tc_eno_transcript(&a, ta, 7), -ENOSPC);
	/* the peer's global suboption (read a) */
	assert_int_equal(tc_eno_peer_gopt(&a, &gopt), 0);
	assert_int_equal(gopt, 0x01);
	assert_int_equal(tc_eno_peer_gopt(&b, &gopt), 0);
	assert_int_equal(gopt, 0x00);

	/* A keeps sending 45 02 (Init1) until it receives a non-SYN segment */
	assert_int_equal(tc_eno_next_option(&a, false, &o), 2);
	/* leaving it out now is a caller bug, and does not fall back */
	assert_int_equal(tc_eno_on_sent(&a, ACK, false), -EPROTO);
	assert_int_equal(tc_eno_state(&a), TC_ENO_ENABLED);
	xmit(&a, &b, ACK, NULL);
	assert_int_equal(tc_eno_next_option(&b, false, &o), 0);
	xmit(&b, &a, ACK, NULL);	/* Init2, no ENO */
	assert_int_equal(tc_eno_next_option(&a, false, &o), 0);
	assert_int_equal(tc_eno_state(&a), TC_ENO_ENABLED);
	/* enabled is final; no ENO needed any more */
	assert_int_equal(tc_eno_on_sent(&a, ACK, false), 0);
	assert_int_equal(tc_eno_disable(&a, TC_ENO_R_CONFIG), -EISCONN);
	assert_false(tc_eno_must_abort(&a));
}

static void test_sm_third_ack_lost(void **state)
{
	struct tc_eno a, b;

	open_pair(&a, &b);
	xmit(&b, &a, SYN | ACK, NULL);
	xmit(&a, NULL, ACK, NULL);		/* lost */
	assert_int_equal(tc_eno_state(&a), TC_ENO_ENABLED);
	assert_int_equal(tc_eno_state(&b), TC_ENO_NEGOTIATING);
	/* B retransmits its SYN-ACK with the same bytes */
	xmit(&b, &a, SYN | ACK, NULL);
	/* A's first data segment carries 45 02 and enables B */
	xmit(&a, &b, ACK, NULL);
	assert_int_equal(tc_eno_state(&b), TC_ENO_ENABLED);
}

static void test_sm_synack_without_eno(void **state)
{
	struct tc_eno a, b;
	struct wire w = { .mangle = M_STRIP };
	struct tc_eno_sel sel;
	const uint8_t *o;

	/* Figure 11: ENO stripped on the way back */
	open_pair(&a, &b);
	xmit(&b, &a, SYN | ACK, &w);
	assert_int_equal(tc_eno_state(&a), TC_ENO_DISABLED);
	assert_int_equal(tc_eno_reason(&a), TC_ENO_R_ABSENT);
	/* A stops sending ENO: its ACK tells B */
	assert_int_equal(tc_eno_next_option(&a, false, &o), 0);
	assert_int_equal(tc_eno_next_option(&a, true, &o), 0);
	xmit(&a, &b, ACK, NULL);
	assert_int_equal(tc_eno_state(&b), TC_ENO_DISABLED);
	assert_int_equal(tc_eno_reason(&b), TC_ENO_R_ABSENT);
	assert_int_equal(tc_eno_get_tep(&b, &sel), -EINVAL);
	assert_int_equal(tc_eno_transcript(&b, NULL, 0), -EINVAL);
	/* a disabled host refuses to be told it sent ENO */
	assert_int_equal(tc_eno_on_sent(&a, ACK, true), -EINVAL);
}

static void test_sm_syn_without_eno(void **state)
{
	struct tc_eno b;
	const uint8_t *o;
	uint8_t gopt;
	uint8_t opts[] = { 2, 4, 5, 0xb4 };

	/* Figure 10 from B's side: a legacy client */
	assert_int_equal(tc_eno_init(&b, &passive_cfg, NULL), 0);
	assert_int_equal(tc_eno_on_recv(&b, SYN, opts, sizeof(opts)), 0);
	assert_int_equal(tc_eno_state(&b), TC_ENO_DISABLED);
	assert_int_equal(tc_eno_next_option(&b, true, &o), 0);
	assert_int_equal(tc_eno_peer_gopt(&b, &gopt), -EINVAL);
}

static void test_sm_third_ack_without_eno(void **state)
{
	struct tc_eno a, b;
	struct wire w = { .mangle = M_STRIP };

	open_pair(&a, &b);
	xmit(&b, &a, SYN | ACK, NULL);
	xmit(&a, &b, ACK, &w);
	assert_int_equal(tc_eno_state(&a), TC_ENO_ENABLED);
	assert_int_equal(tc_eno_state(&b), TC_ENO_DISABLED);
	assert_int_equal(tc_eno_reason(&b), TC_ENO_R_ABSENT);
}

/*
 * Only segments up to and including the first received ACK must carry ENO
 * (RFC 8547 4.6). A's first received ACK is the SYN-ACK: a later segment
 * from B that lacks ENO (a middlebox stripped it from B's ACK) reaches A
 * while A is still negotiating, since A has not sent its own ACK yet, and
 * must not disable ENO (eno.c: the "after the first ACK" early return).
 */
static void test_sm_later_segment_without_eno(void **state)
{
	struct tc_eno a, b;
	struct wire w = { .mangle = M_STRIP };

	open_pair(&a, &b);
	xmit(&b, &a, SYN | ACK, NULL);
	assert_int_equal(tc_eno_state(&a), TC_ENO_NEGOTIATING);
	assert_true(a.rcvd_ack_eno);
	xmit(&b, &a, ACK, &w);
	assert_int_equal(tc_eno_state(&a), TC_ENO_NEGOTIATING);
	assert_int_equal(tc_eno_reason(&a), TC_ENO_R_NONE);
	xmit(&a, &b, ACK, NULL);
	assert_int_equal(tc_eno_state(&a), TC_ENO_ENABLED);
	assert_int_equal(tc_eno_state(&b), TC_ENO_ENABLED);
	/* once enabled, nothing received changes it */
	xmit(&a, &b, ACK, &w);
	assert_int_equal(tc_eno_state(&b), TC_ENO_ENABLED);
}

static void test_sm_duplicate_and_malformed_syn(void **state)
{
	struct tc_eno a, b;
	struct wire dup = { .mangle = M_DUP };
	struct wire bad = { .mangle = M_REPLACE, .replace = "4504 01 80" };
	struct wire both = { .mangle = M_REPLACE,
			     .replace = "450401 22 fd05454e22" };
	struct wire tcpbad = { .mangle = M_REPLACE, .replace = "450401 22 0205" };
	static const uint8_t teps[] = { X };

	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_init(&b, &passive_cfg, NULL), 0);
	set_teps(&a, teps, 1);
	xmit(&a, &b, SYN, &dup);
	assert_int_equal(tc_eno_state(&b), TC_ENO_DISABLED);
	assert_int_equal(tc_eno_reason(&b), TC_ENO_R_DUPLICATE);

	open_pair(&a, &b);
	xmit(&b, &a, SYN | ACK, &bad);
	assert_int_equal(tc_eno_reason(&a), TC_ENO_R_MALFORMED);
	open_pair(&a, &b);
	xmit(&b, &a, SYN | ACK, &both);
	assert_int_equal(tc_eno_reason(&a), TC_ENO_R_BOTH_FORMS);
	open_pair(&a, &b);
	xmit(&b, &a, SYN | ACK, &tcpbad);
	assert_int_equal(tc_eno_reason(&a), TC_ENO_R_BAD_TCPOPT);
}

static void test_sm_no_common_tep(void **state)
{
	struct tc_eno a, b;
	static const uint8_t ta[] = { X }, tb[] = { Y };
	const uint8_t *o;

	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_init(&b, &passive_cfg, NULL), 0);
	set_teps(&a, ta, 1);
	xmit(&a, &b, SYN, NULL);
	assert_int_equal(tc_eno_pick(&b.peer, tb, 1, NULL), -ENOENT);
	/* a B that answers anyway with a TEP A did not offer */
	set_teps(&b, tb, 1);
	assert_int_equal(tc_eno_state(&b), TC_ENO_DISABLED);
	assert_int_equal(tc_eno_reason(&b), TC_ENO_R_NO_TEP);
	assert_int_equal(tc_eno_next_option(&b, true, &o), 0);
	xmit(&b, &a, SYN | ACK, NULL);
	assert_int_equal(tc_eno_reason(&a), TC_ENO_R_ABSENT);
}

static void test_sm_vacuous(void **state)
{
	struct tc_eno a, b;
	static const uint8_t t[] = { X };
	const uint8_t *o;

	/* A probes with a vacuous option: B must fall back */
	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_init(&b, &passive_cfg, NULL), 0);
	assert_int_equal(tc_eno_set_local(&a, NULL, 0, 40), 0);
	assert_int_equal(tc_eno_next_option(&a, true, &o), 2);
	assert_memory_equal(o, "\x45\x02", 2);
	xmit(&a, &b, SYN, NULL);
	assert_int_equal(tc_eno_state(&b), TC_ENO_NEGOTIATING);
	set_teps(&b, t, 1);
	assert_int_equal(tc_eno_reason(&b), TC_ENO_R_VACUOUS);
	/* B answers with a vacuous option of its own (45 03 01) */
	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_init(&b, &passive_cfg, NULL), 0);
	set_teps(&a, t, 1);
	xmit(&a, &b, SYN, NULL);
	assert_int_equal(tc_eno_set_local(&b, NULL, 0, 40), 0);
	assert_memory_equal(b.local.raw, "\x45\x03\x01", 3);
	assert_int_equal(tc_eno_reason(&b), TC_ENO_R_VACUOUS);
}

static void test_sm_roles(void **state)
{
	struct tc_eno a, b;
	static const uint8_t t[] = { X };
	const uint8_t *o;

	/* active opener with b = 1 against a passive opener: fail */
	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_init(&b, &passive_cfg, NULL), 0);
	assert_int_equal(tc_eno_set_gopt(&a, TC_ENO_GOPT_B), 0);
	set_teps(&a, t, 1);
	assert_int_equal(tc_eno_next_option(&a, true, &o), 4);
	assert_memory_equal(o, "\x45\x04\x01\x21", 4);
	xmit(&a, &b, SYN, NULL);
	assert_int_equal(tc_eno_reason(&b), TC_ENO_R_SAME_B);

	/* a middlebox echoing A's SYN option back in the SYN-ACK */
	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	set_teps(&a, t, 1);
	assert_int_equal(tc_eno_on_sent(&a, SYN, true), 0);
	assert_int_equal(tc_eno_on_recv(&a, SYN | ACK,
					(const uint8_t *)"\x45\x03\x21", 3), 0);
	assert_int_equal(tc_eno_reason(&a), TC_ENO_R_SAME_B);

	/* passive forces b = 1 even if asked otherwise */
	assert_int_equal(tc_eno_init(&b, &passive_cfg, NULL), 0);
	assert_int_equal(tc_eno_set_gopt(&b, 0), 0);
	assert_int_equal(b.gopt & TC_ENO_GOPT_B, TC_ENO_GOPT_B);
	assert_int_equal(tc_eno_set_gopt(&b, 0x04), -EINVAL);
}

static void test_sm_aa_mandatory(void **state)
{
	struct tc_eno a, b;
	struct tc_eno_cfg bc = passive_cfg;
	static const uint8_t t[] = { X };
	uint8_t gopt;

	bc.aa_mandatory = true;
	/* peer a = 0 (implicit global suboption): fail */
	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_init(&b, &bc, NULL), 0);
	set_teps(&a, t, 1);
	xmit(&a, &b, SYN, NULL);
	assert_int_equal(tc_eno_reason(&b), TC_ENO_R_AA);
	/* ...but the peer's a is still readable */
	assert_int_equal(tc_eno_peer_gopt(&b, &gopt), 0);
	assert_int_equal(gopt & TC_ENO_GOPT_A, 0);

	/* peer a = 1: fine; our own SYN-ACK carries a = 1, b = 1 */
	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_init(&b, &bc, NULL), 0);
	assert_int_equal(tc_eno_set_gopt(&a, TC_ENO_GOPT_A), 0);
	set_teps(&a, t, 1);
	assert_memory_equal(a.local.raw, "\x45\x04\x02\x21", 4);
	xmit(&a, &b, SYN, NULL);
	set_teps(&b, t, 1);
	assert_memory_equal(b.local.raw, "\x45\x04\x03\x21", 4);
	xmit(&b, &a, SYN | ACK, NULL);
	xmit(&a, &b, ACK, NULL);
	assert_int_equal(tc_eno_state(&a), TC_ENO_ENABLED);
	assert_int_equal(tc_eno_state(&b), TC_ENO_ENABLED);
	assert_int_equal(tc_eno_peer_gopt(&a, &gopt), 0);
	assert_int_equal(gopt, 0x03);
}

static void test_sm_simultaneous_open(void **state)
{
	struct tc_eno a, b;
	static const uint8_t ta[] = { Y, X }, tb[] = { X, Y, Z };
	uint8_t t1[80], t2[80];
	struct tc_eno_sel sel;
	enum tc_eno_role role;
	const uint8_t *o1, *o2;
	struct wire wa = { 0 }, wb = { 0 };

	/* Figure 12: both active; B set b = 1 beforehand */
	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_init(&b, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_set_gopt(&b, TC_ENO_GOPT_B), 0);
	set_teps(&a, ta, 2);
	set_teps(&b, tb, 3);
	/* (1) and (2) cross in flight */
	xmit(&a, NULL, SYN, &wa);
	xmit(&b, NULL, SYN, &wb);
	assert_int_equal(tc_eno_on_recv(&b, SYN, wa.last, wa.last_len), 0);
	assert_int_equal(tc_eno_on_recv(&a, SYN, wb.last, wb.last_len), 0);
	/* the SYN-ACK carries the identical option (same stored bytes) */
	assert_int_equal(tc_eno_next_option(&a, true, &o1), 4);
	assert_memory_equal(o1, "\x45\x04\x22\x21", 4);
	assert_int_equal(tc_eno_next_option(&b, true, &o2), 6);
	assert_memory_equal(o2, "\x45\x06\x01\x21\x22\x23", 6);
	xmit(&a, &b, SYN | ACK, NULL);		/* (3) */
	xmit(&b, &a, SYN | ACK, NULL);		/* (4) */
	assert_int_equal(tc_eno_state(&a), TC_ENO_ENABLED);
	assert_int_equal(tc_eno_state(&b), TC_ENO_ENABLED);
	assert_int_equal(tc_eno_get_tep(&a, &sel), 0);
	assert_int_equal(sel.glt, Y);
	assert_int_equal(tc_eno_get_role(&b, &role), 0);
	assert_int_equal(role, TC_ENO_ROLE_B);
	assert_int_equal(tc_eno_transcript(&a, t1, 80), 10);
	assert_int_equal(tc_eno_transcript(&b, t2, 80), 10);
	assert_memory_equal(t1, t2, 10);
	assert_memory_equal(t1, "\x45\x04\x22\x21\x45\x06\x01\x21\x22\x23", 10);

	/* both left b = 0: role negotiation fails */
	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_init(&b, &active_cfg, NULL), 0);
	set_teps(&a, ta, 2);
	set_teps(&b, tb, 3);
	xmit(&a, NULL, SYN, &wa);
	xmit(&b, NULL, SYN, &wb);
	assert_int_equal(tc_eno_on_recv(&b, SYN, wa.last, wa.last_len), 0);
	assert_int_equal(tc_eno_on_recv(&a, SYN, wb.last, wb.last_len), 0);
	assert_int_equal(tc_eno_reason(&a), TC_ENO_R_SAME_B);
	assert_int_equal(tc_eno_reason(&b), TC_ENO_R_SAME_B);
	/* the allowed exception: no ENO in the SYN-ACK after failing */
	assert_int_equal(tc_eno_next_option(&a, true, &o1), 0);
}

static void test_sm_simultaneous_changed(void **state)
{
	struct tc_eno a, b;
	static const uint8_t t[] = { X };
	struct wire w = { .mangle = M_REPLACE, .replace = "4505 01 21 22" };

	/* the peer's SYN-ACK option differs from its SYN option */
	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_init(&b, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_set_gopt(&b, TC_ENO_GOPT_B), 0);
	set_teps(&a, t, 1);
	set_teps(&b, t, 1);
	xmit(&a, &b, SYN, NULL);
	xmit(&b, &a, SYN, NULL);
	xmit(&a, &b, SYN | ACK, NULL);
	xmit(&b, &a, SYN | ACK, &w);
	assert_int_equal(tc_eno_state(&b), TC_ENO_ENABLED);
	assert_int_equal(tc_eno_state(&a), TC_ENO_DISABLED);
	assert_int_equal(tc_eno_reason(&a), TC_ENO_R_CHANGED);
}

static void test_sm_retransmissions(void **state)
{
	struct tc_eno a, b;
	static const uint8_t t[] = { X, Y };
	struct wire w = { 0 }, w2 = { 0 };
	struct wire changed = { .mangle = M_REPLACE, .replace = "450321" };
	struct wire stripped = { .mangle = M_STRIP };
	const uint8_t *o1, *o2;

	/* the SYN-form option is stored once: identical bytes every time */
	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	set_teps(&a, t, 2);
	assert_int_equal(tc_eno_next_option(&a, true, &o1), 4);
	assert_int_equal(tc_eno_on_sent(&a, SYN, true), 0);
	assert_int_equal(tc_eno_next_option(&a, true, &o2), 4);
	assert_ptr_equal(o1, o2);
	/* frozen after the SYN went out */
	assert_int_equal(tc_eno_set_local(&a, NULL, 0, 40), -EISCONN);
	assert_int_equal(tc_eno_set_gopt(&a, TC_ENO_GOPT_B), -EISCONN);

	/* B sees the retransmitted SYN identically: still negotiating */
	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_init(&b, &passive_cfg, NULL), 0);
	set_teps(&a, t, 2);
	xmit(&a, &b, SYN, &w);
	xmit(&a, &b, SYN, &w2);
	assert_int_equal(w.last_len, w2.last_len);
	assert_memory_equal(w.last, w2.last, w.last_len);
	assert_int_equal(tc_eno_state(&b), TC_ENO_NEGOTIATING);
	/* a retransmission with a different option disables */
	xmit(&a, &b, SYN, &changed);
	assert_int_equal(tc_eno_reason(&b), TC_ENO_R_CHANGED);

	/* a retransmitted SYN without ENO (peer gave up on ENO) disables */
	assert_int_equal(tc_eno_init(&b, &passive_cfg, NULL), 0);
	xmit(&a, &b, SYN, NULL);
	xmit(&a, &b, SYN, &stripped);
	assert_int_equal(tc_eno_reason(&b), TC_ENO_R_ABSENT);
}

static void test_sm_drop_from_retransmitted_syn(void **state)
{
	struct tc_eno a;
	static const uint8_t t[] = { X };
	const uint8_t *o;

	/* an active opener MAY drop ENO from a retransmitted SYN */
	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	set_teps(&a, t, 1);
	assert_int_equal(tc_eno_on_sent(&a, SYN, true), 0);
	assert_int_equal(tc_eno_on_sent(&a, SYN, false), 0);
	assert_int_equal(tc_eno_state(&a), TC_ENO_DISABLED);
	assert_int_equal(tc_eno_reason(&a), TC_ENO_R_LOCAL_DROP);
	assert_int_equal(tc_eno_next_option(&a, true, &o), 0);
	assert_int_equal(tc_eno_next_option(&a, false, &o), 0);
	/* the SYN-ACK then must not re-enable anything */
	assert_int_equal(tc_eno_on_recv(&a, SYN | ACK,
					(const uint8_t *)"\x45\x04\x01\x21", 4),
			 0);
	assert_int_equal(tc_eno_state(&a), TC_ENO_DISABLED);
}

static void test_sm_syn_before_local(void **state)
{
	struct tc_eno a;
	const uint8_t *o;

	assert_int_equal(tc_eno_init(&a, &active_cfg, NULL), 0);
	assert_int_equal(tc_eno_next_option(&a, true, &o), -EAGAIN);
	assert_int_equal(tc_eno_on_sent(&a, SYN, true), -EINVAL);
}

static void test_sm_config_and_mandatory(void **state)
{
	struct tc_eno a;
	struct tc_eno_cfg c = { .enabled = false, .tep_mandatory = true };
	struct tc_eno_cfg bad = { .enabled = true, .gopt = 0x08 };
	const uint8_t *o;

	assert_int_equal(tc_eno_init(&a, &c, NULL), 0);
	assert_int_equal(tc_eno_state(&a), TC_ENO_DISABLED);
	assert_int_equal(tc_eno_reason(&a), TC_ENO_R_CONFIG);
	assert_int_equal(tc_eno_next_option(&a, true, &o), 0);
	assert_true(tc_eno_must_abort(&a));
	assert_int_equal(tc_eno_init(&a, &bad, NULL), -EINVAL);
	assert_int_equal(tc_eno_state(&a), TC_ENO_DISABLED);	/* fail closed */
	assert_int_equal(tc_eno_next_option(&a, true, &o), 0);

	c.enabled = true;
	assert_int_equal(tc_eno_init(&a, &c, NULL), 0);
	assert_false(tc_eno_must_abort(&a));
	assert_int_equal(tc_eno_disable(&a, TC_ENO_R_NONE), -EINVAL);
	assert_int_equal(tc_eno_state(&a), TC_ENO_NEGOTIATING);
	assert_int_equal(tc_eno_disable(&a, TC_ENO_R_CONFIG), 0);
	assert_true(tc_eno_must_abort(&a));
	assert_string_equal(tc_eno_reason_str(TC_ENO_R_CONFIG),
			    "disabled by configuration");
	assert_string_equal(tc_eno_reason_str(TC_ENO_R__COUNT), "?");
}

static void test_sm_nonsyn_before_syn(void **state)
{
	struct tc_eno b;

	assert_int_equal(tc_eno_init(&b, &passive_cfg, NULL), 0);
	assert_int_equal(tc_eno_on_recv(&b, ACK, tc_eno_nonsyn_opt, 2), 0);
	assert_int_equal(tc_eno_reason(&b), TC_ENO_R_PROTO);
}

/* tcpcrypt-like resumption through the ops: B accepts A's half, A checks B's. */
static bool resume_ok(uint8_t byte, const uint8_t *data, size_t len,
		      bool peer, void *arg)
{
	const uint8_t *expect = arg;

	if (!(byte & TC_ENO_V) || len < 9)
		return true;	/* v=1 with < 9 bytes counts as v=0 */
	if (!peer)
		return true;
	return data[0] == *expect;
}

static bool resume_repeat(uint8_t glt, unsigned int n_plain,
			  unsigned int n_data, void *arg)
{
	return n_plain <= 1 && n_data <= 1;
}

static void test_sm_resumption_ops(void **state)
{
	uint8_t half_a[17] = { 0xaa }, half_b[17] = { 0xbb };
	uint8_t a_expect = 0xbb, b_expect = 0xaa;
	struct tc_eno_tep_ops aops = { resume_ok, resume_repeat, NULL,
				       &a_expect };
	struct tc_eno_tep_ops bops = { resume_ok, resume_repeat, NULL,
				       &b_expect };
	struct tc_eno_tep_in ta[2] = {
		{ .byte = Z | TC_ENO_V, .data = half_a, .len = 17 },
		{ .byte = Z },
	};
	struct tc_eno_tep_in tb = { .byte = Z | TC_ENO_V, .data = half_b,
				    .len = 17 };
	struct tc_eno a, b;
	struct tc_eno_sel sel;

	assert_int_equal(tc_eno_init(&a, &active_cfg, &aops), 0);
	assert_int_equal(tc_eno_init(&b, &passive_cfg, &bops), 0);
	assert_int_equal(tc_eno_set_local(&a, ta, 2, 40), 0);
	assert_int_equal(a.local.raw_len, 22);
	xmit(&a, &b, SYN, NULL);
	assert_int_equal(tc_eno_pick(&b.peer, (const uint8_t[]){ Z }, 1, &bops),
			 Z);
	assert_int_equal(tc_eno_set_local(&b, &tb, 1, 40), 0);
	xmit(&b, &a, SYN | ACK, NULL);
	xmit(&a, &b, ACK, NULL);
	assert_int_equal(tc_eno_state(&a), TC_ENO_ENABLED);
	assert_int_equal(tc_eno_get_tep(&a, &sel), 0);
	assert_int_equal(sel.byte, 0xa3);	/* session ID byte 0: v = 1 */

	/* B's half does not match A's cache: A must ignore it -> no TEP */
	a_expect = 0x00;
	assert_int_equal(tc_eno_init(&a, &active_cfg, &aops), 0);
	assert_int_equal(tc_eno_init(&b, &passive_cfg, &bops), 0);
	assert_int_equal(tc_eno_set_local(&a, ta, 2, 40), 0);
	xmit(&a, &b, SYN, NULL);
	assert_int_equal(tc_eno_set_local(&b, &tb, 1, 40), 0);
	xmit(&b, &a, SYN | ACK, NULL);
	assert_int_equal(tc_eno_reason(&a), TC_ENO_R_NO_TEP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_among_options),
		cmocka_unit_test(test_parse_absent_and_eol),
		cmocka_unit_test(test_parse_truncated_tcp_options),
		cmocka_unit_test(test_parse_oversized_option),
		cmocka_unit_test(test_parse_duplicate),
		cmocka_unit_test(test_parse_legacy),
		cmocka_unit_test(test_parse_nonsyn_contents_ignored),
		cmocka_unit_test(test_parse_global_suboption),
		cmocka_unit_test(test_parse_length_bytes),
		cmocka_unit_test(test_parse_data_to_end),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_vacuous),
		cmocka_unit_test(test_build_syn),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_build_parse_roundtrip),
		cmocka_unit_test(test_nonsyn_form),
		cmocka_unit_test(test_check_tx),
		cmocka_unit_test(test_check_gopt),
		cmocka_unit_test(test_select_rfc_examples),
		cmocka_unit_test(test_select_validity),
		cmocka_unit_test(test_select_repetition),
		cmocka_unit_test(test_select_vacuous),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_syn_data),
		cmocka_unit_test(test_transcript_of),
		cmocka_unit_test(test_sm_normal_open),
		cmocka_unit_test(test_sm_third_ack_lost),
		cmocka_unit_test(test_sm_synack_without_eno),
		cmocka_unit_test(test_sm_syn_without_eno),
		cmocka_unit_test(test_sm_third_ack_without_eno),
		cmocka_unit_test(test_sm_later_segment_without_eno),
		cmocka_unit_test(test_sm_duplicate_and_malformed_syn),
		cmocka_unit_test(test_sm_no_common_tep),
		cmocka_unit_test(test_sm_vacuous),
		cmocka_unit_test(test_sm_roles),
		cmocka_unit_test(test_sm_aa_mandatory),
		cmocka_unit_test(test_sm_simultaneous_open),
		cmocka_unit_test(test_sm_simultaneous_changed),
		cmocka_unit_test(test_sm_retransmissions),
		cmocka_unit_test(test_sm_drop_from_retransmitted_syn),
		cmocka_unit_test(test_sm_syn_before_local),
		cmocka_unit_test(test_sm_config_and_mandatory),
		cmocka_unit_test(test_sm_nonsyn_before_syn),
		cmocka_unit_test(test_sm_resumption_ops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
