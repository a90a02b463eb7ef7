// SPDX-License-Identifier: GPL-2.0
/*
 * The control protocol's messages (lib/tcpcrypt/proto.c): building and
 * parsing, every rejection; the option table; libtcpcrypt's short
 * authentication strings (against values computed independently, with
 * Python's hashlib) and names (the same as lib/core's).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/algs.h"
#include "core/ecdh.h"
#include "tcpcrypt/ctl_proto.h"
#include "tcpcrypt/tcpcrypt.h"

static void test_build_parse_roundtrip(void **state)
{
	uint8_t buf[TCCTL_MSG_MAX], val[TCCTL_VALUE_MAX];
	struct tcctl_msg m;
	size_t n;

	memset(val, 0xa5, sizeof(val));
	n = tcctl_build(buf, sizeof(buf), TCCTL_OP_SET, TCP_ENO_TEPS, 0, val, 3);
	assert_int_equal(n, sizeof(struct tcctl_hdr) + 3);
	assert_int_equal(tcctl_parse(buf, n, &m), 0);
	assert_int_equal(m.hdr.op, TCCTL_OP_SET);
	assert_int_equal(m.hdr.optname, TCP_ENO_TEPS);
	assert_int_equal(m.hdr.error, 0);
	assert_int_equal(m.len, 3);
	assert_memory_equal(m.val, val, 3);

	/* an answer with an error and the largest value */
	n = tcctl_build(buf, sizeof(buf), TCCTL_OP_GET, TCP_ENO_SESSID, ENOTCONN, val,
			TCCTL_VALUE_MAX);
	assert_int_equal(n, TCCTL_MSG_MAX);
	assert_int_equal(tcctl_parse(buf, n, &m), 0);
	assert_int_equal(m.hdr.error, ENOTCONN);
	assert_int_equal(m.len, TCCTL_VALUE_MAX);

	/* empty value */
	n = tcctl_build(buf, sizeof(buf), TCCTL_OP_HELLO, 0, 0, NULL, 0);
	assert_int_equal(n, sizeof(struct tcctl_hdr));
	assert_int_equal(tcctl_parse(buf, n, &m), 0);
	assert_int_equal(m.len, 0);
}

static void test_build_refuses_what_does_not_fit(void **state)
{
	uint8_t buf[TCCTL_MSG_MAX + 8], val[TCCTL_VALUE_MAX + 1] = { 0 };

	assert_int_equal(tcctl_build(buf, sizeof(buf), TCCTL_OP_SET, 1, 0, val,
				     TCCTL_VALUE_MAX + 1), 0);
	assert_int_equal(tcctl_build(buf, sizeof(struct tcctl_hdr) + 1, TCCTL_OP_SET, 1, 0,
				     val, 2), 0);
	assert_int_equal(tcctl_build(buf, sizeof(struct tcctl_hdr) - 1, TCCTL_OP_HELLO, 0, 0,
				     NULL, 0), 0);
}

static void test_parse_rejects(void **state)
{
	uint8_t buf[TCCTL_MSG_MAX + 8], val[4] = { 1, 2, 3, 4 };
	struct tcctl_hdr h;
	struct tcctl_msg m;
	size_t n = tcctl_build(buf, sizeof(buf), TCCTL_OP_SET, TCP_ENO_ENABLED, 0, val, 4);

	/* short: every length below the header */
	for (size_t i = 0; i < sizeof(h); i++)
		assert_int_equal(tcctl_parse(buf, i, &m), -EPROTO);
	/* value length disagrees with the message */
	assert_int_equal(tcctl_parse(buf, n - 1, &m), -EPROTO);
	assert_int_equal(tcctl_parse(buf, n + 1, &m), -EPROTO);
	/* bad magic */
	memcpy(&h, buf, sizeof(h));
	h.magic ^= 1;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(tcctl_parse(buf, n, &m), -EPROTO);
	h.magic ^= 1;
	/* reserved bits */
	h.reserved = 1;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(tcctl_parse(buf, n, &m), -EPROTO);
	h.reserved = 0;
	/* a length over the maximum, even if the bytes are there */
	h.len = TCCTL_VALUE_MAX + 1;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(tcctl_parse(buf, sizeof(h) + TCCTL_VALUE_MAX + 1, &m), -EPROTO);
	h.len = 4;
	/* another version: told apart, header still read */
	h.version = TCCTL_VERSION + 1;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(tcctl_parse(buf, n, &m), -EPROTONOSUPPORT);
	assert_int_equal(m.hdr.optname, TCP_ENO_ENABLED);
}

static void test_option_table(void **state)
{
	assert_int_equal(tcctl_opt_type(TCP_ENO_SESSID), TCCTL_T_BYTES);
	assert_int_equal(tcctl_opt_type(TCP_ENO_ENABLED), TCCTL_T_INT);
	assert_int_equal(tcctl_opt_type(TCP_ENO_NEGTEP), TCCTL_T_BYTE);
	assert_int_equal(tcctl_opt_type(TCP_CRYPT_CONF), TCCTL_T_U16);
	assert_int_equal(tcctl_opt_type(TCP_CRYPT_BCONF), TCCTL_T_U16S);
	assert_int_equal(tcctl_opt_type(0), TCCTL_T_NONE);
	assert_int_equal(tcctl_opt_type(6 /* TCP_KEEPINTVL */), TCCTL_T_NONE);
	assert_string_equal(tcctl_opt_name(TCP_ENO_PEER_NAME), "TCP_ENO_PEER_NAME");
	assert_string_equal(tcctl_opt_name(12345), "?");
}

static void test_sas_known_values(void **state)
{
	uint8_t sid[33];
	char sas[TCPCRYPT_SAS_LEN];
	int i;

	/* python3: sha256(b"tcpcrypt SAS v1\0" + sid)[:8] big endian % 10**12 */
	sid[0] = 0x23;
	for (i = 1; i < 33; i++)
		sid[i] = i;
	assert_int_equal(tcpcrypt_sas(sid, sizeof(sid), sas, sizeof(sas)), 0);
	assert_string_equal(sas, "5877-5461-2961");
	sid[0] = 0x21;
	memset(sid + 1, 0xff, 32);
	assert_int_equal(tcpcrypt_sas(sid, sizeof(sid), sas, sizeof(sas)), 0);
	assert_string_equal(sas, "6461-9503-2925");
	/* one bit of the id changes it */
	sid[32] ^= 1;
	assert_int_equal(tcpcrypt_sas(sid, sizeof(sid), sas, sizeof(sas)), 0);
	assert_string_not_equal(sas, "6461-9503-2925");
}

static void test_sas_errors(void **state)
{
	uint8_t sid[33] = { 0x23 };
	char sas[TCPCRYPT_SAS_LEN];

	errno = 0;
	assert_int_equal(tcpcrypt_sas(sid, 0, sas, sizeof(sas)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tcpcrypt_sas(NULL, 33, sas, sizeof(sas)), -1);
	assert_int_equal(tcpcrypt_sas(sid, 33, sas, sizeof(sas) - 1), -1);
	assert_int_equal(tcpcrypt_sas(sid, TCPCRYPT_SESSID_MAX + 1, sas, sizeof(sas)), -1);
	assert_int_equal(errno, EINVAL);
}

/* libtcpcrypt's names are lib/core's, which it does not link. */
static void test_names_match_core(void **state)
{
	int id;

	for (id = 0x20; id < 0x80; id++) {
		const struct tc_tep_info *t = tc_tep_info(id);

		if (t) {
			assert_non_null(tcpcrypt_tep_name(id));
			assert_string_equal(tcpcrypt_tep_name(id), t->name);
			/* the v bit of a resumed session names the same TEP */
			assert_string_equal(tcpcrypt_tep_name(id | 0x80), t->name);
		} else {
			assert_null(tcpcrypt_tep_name(id));
		}
	}
	for (id = 0; id < 0x100; id++) {
		const struct tc_aead_info *a = tc_aead_info(id);

		if (a)
			assert_string_equal(tcpcrypt_aead_name(id), a->name);
		else
			assert_null(tcpcrypt_aead_name(id));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_parse_roundtrip),
		cmocka_unit_test(test_build_refuses_what_does_not_fit),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_option_table),
		cmocka_unit_test(test_sas_known_values),
		cmocka_unit_test(test_sas_errors),
		cmocka_unit_test(test_names_match_core),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
