// SPDX-License-Identifier: GPL-2.0
/*
 * tcnetstat's printer (tools/tcnetstat/print.c, compiled in here): one row
 * or one interface's counters, printed plain and as JSON by the same calls;
 * the JSON checked field by field, the plain text checked for the same
 * values; states, filters and address prefixes. No BPF.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "../../tools/tcnetstat/print.c"

/* What one print call wrote, plain or JSON. */
static char *capture(bool json, void (*fn)(struct jp *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jp *jp;

	assert_non_null(f);
	jp = jp_new(f, json, false);
	jp_arr_open(jp, NULL);
	fn(jp, arg);
	jp_arr_close(jp);
	jp_free(jp);
	fclose(f);
	return buf;
}

static void row_fn(struct jp *jp, const void *r)
{
	tcn_print_row(jp, r);
}

static void stats_fn(struct jp *jp, const void *s)
{
	tcn_print_stats(jp, s);
}

static void mkrow(struct tcn_row *r, int family, bool flow, uint8_t fstate, bool sess,
		  uint8_t sstate)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->ifname, "eth0");
	r->key.family = family;
	if (family == AF_INET) {
		inet_pton(AF_INET, "192.0.2.1", r->key.local);
		inet_pton(AF_INET, "192.0.2.2", r->key.remote);
	} else {
		inet_pton(AF_INET6, "2001:db8::1", r->key.local);
		inet_pton(AF_INET6, "2001:db8::2", r->key.remote);
	}
	r->key.lport = htons(40000);
	r->key.rport = htons(5001);
	r->has_flow = flow;
	r->flow.state = fstate;
	r->flow.queue = 3;
	r->has_sess = sess;
	r->sess.state = sstate;
	r->sess.queue = 3;
	if (sess && sstate != TC_SESS_PLAIN) {
		int i;

		r->sess.role = 1;
		r->sess.tep = 0x23;
		r->sess.aead = 0x0010;
		r->sess.local_gopt = 1;
		r->sess.peer_gopt = 2;
		r->sess.sid_len = TC_SESSION_ID_LEN;
		r->sess.session_id[0] = 0x23;
		for (i = 1; i < TC_SESSION_ID_LEN; i++)
			r->sess.session_id[i] = 0xA0 + i;
		r->sess.established_ns = 1700000000ull * 1000000000ull + 5;
	}
}

static void test_session_row_plain_and_json(void **state)
{
	struct tcn_row r;
	char *plain, *json, sas[TCPCRYPT_SAS_LEN], want[512];

	mkrow(&r, AF_INET, true, TC_FLOW_ENCRYPTED, true, TC_SESS_ENCRYPTED);
	assert_int_equal(tcpcrypt_sas(r.sess.session_id, TC_SESSION_ID_LEN, sas, sizeof(sas)), 0);
	json = capture(true, row_fn, &r);
	snprintf(want, sizeof(want),
		 "[{\"ifname\":\"eth0\",\"family\":\"inet\",\"local\":\"192.0.2.1:40000\","
		 "\"remote\":\"192.0.2.2:5001\",\"lport\":40000,\"rport\":5001,"
		 "\"state\":\"encrypted\",\"queue\":3,\"role\":\"B\","
		 "\"tep\":\"TCPCRYPT_ECDHE_Curve25519\",\"tep_id\":35,\"resumed\":false,"
		 "\"aead\":\"AEAD_CHACHA20_POLY1305\",\"aead_id\":16,\"local_gopt\":1,"
		 "\"peer_gopt\":2,\"session_id\":\"23a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5"
		 "b6b7b8b9babbbcbdbebfc0\",\"sas\":\"%s\",\"established\":1700000000}]\n", sas);
	assert_string_equal(json, want);
	/* the same values in plain text, on two lines */
	plain = capture(false, row_fn, &r);
	assert_non_null(strstr(plain, "eth0"));
	assert_non_null(strstr(plain, "192.0.2.1:40000"));
	assert_non_null(strstr(plain, "192.0.2.2:5001"));
	assert_non_null(strstr(plain, "encrypted"));
	assert_non_null(strstr(plain, " B "));
	assert_non_null(strstr(plain, "TCPCRYPT_ECDHE_Curve25519"));
	assert_non_null(strstr(plain, "AEAD_CHACHA20_POLY1305"));
	assert_non_null(strstr(plain, "session 23a1a2a3"));
	assert_non_null(strstr(plain, sas));
	assert_null(strstr(plain, "\""));	/* no JSON leaking into plain */
	assert_null(strstr(plain, "inet"));	/* JSON-only fields stay out */
	assert_null(strstr(plain, "resumed"));
	free(json);
	free(plain);
	/* a resumed session: B's TEP byte has v = 1, the same TEP name */
	r.sess.tep = 0xa3;
	r.sess.session_id[0] = 0xa3;
	json = capture(true, row_fn, &r);
	assert_non_null(strstr(json, "\"tep\":\"TCPCRYPT_ECDHE_Curve25519\",\"tep_id\":163,"
				     "\"resumed\":true,"));
	plain = capture(false, row_fn, &r);
	assert_non_null(strstr(plain, "TCPCRYPT_ECDHE_Curve25519 (resumed)"));
	free(json);
	free(plain);
}

static void test_passthrough_row_has_nulls(void **state)
{
	struct tcn_row r;
	char *json, *plain;

	mkrow(&r, AF_INET6, true, TC_FLOW_PASSTHROUGH, false, 0);
	json = capture(true, row_fn, &r);
	assert_string_equal(json,
		"[{\"ifname\":\"eth0\",\"family\":\"inet6\",\"local\":\"[2001:db8::1]:40000\","
		"\"remote\":\"[2001:db8::2]:5001\",\"lport\":40000,\"rport\":5001,"
		"\"state\":\"passthrough\",\"queue\":3,\"role\":null,\"tep\":null,\"resumed\":null,"
		"\"aead\":null,\"session_id\":null,\"sas\":null}]\n");
	plain = capture(false, row_fn, &r);
	assert_non_null(strstr(plain, "[2001:db8::1]:40000"));
	assert_non_null(strstr(plain, "passthrough"));
	assert_null(strstr(plain, "session"));
	assert_null(strstr(plain, "null"));
	free(json);
	free(plain);
}

static void test_aborted_row_says_why(void **state)
{
	struct tcn_row r;
	char *json, *plain;

	mkrow(&r, AF_INET, true, TC_FLOW_ENCRYPTED, true, TC_SESS_ABORTED);
	r.sess.abort = TC_ABORT_TAG;
	json = capture(true, row_fn, &r);
	assert_non_null(strstr(json, "\"state\":\"aborted\",\"abort_reason\":\"tag\""));
	plain = capture(false, row_fn, &r);
	assert_non_null(strstr(plain, "aborted"));
	assert_non_null(strstr(plain, "(tag)"));
	free(json);
	free(plain);
}

static void test_states(void **state)
{
	struct tcn_row r;

	mkrow(&r, AF_INET, true, TC_FLOW_NEGOTIATING, false, 0);
	assert_string_equal(tcn_state(&r), "negotiating");
	mkrow(&r, AF_INET, true, TC_FLOW_ENCRYPTED, false, 0);
	assert_string_equal(tcn_state(&r), "keyx");
	mkrow(&r, AF_INET, true, TC_FLOW_ENCRYPTED, true, TC_SESS_CLOSED);
	assert_string_equal(tcn_state(&r), "closed");
	mkrow(&r, AF_INET, false, 0, true, TC_SESS_PLAIN);
	assert_string_equal(tcn_state(&r), "plain");
	mkrow(&r, AF_INET, true, 9, false, 0);
	assert_string_equal(tcn_state(&r), "unknown");
}

static void test_filters(void **state)
{
	struct tcn_filter f = { .port = -1, .lport = -1, .rport = -1 };
	struct tcn_row enc, pass, plain, v6;

	mkrow(&enc, AF_INET, true, TC_FLOW_ENCRYPTED, true, TC_SESS_ENCRYPTED);
	mkrow(&pass, AF_INET, true, TC_FLOW_PASSTHROUGH, false, 0);
	mkrow(&plain, AF_INET, false, 0, true, TC_SESS_PLAIN);
	mkrow(&v6, AF_INET6, true, TC_FLOW_NEGOTIATING, false, 0);
	/* default: tcpcrypt connections only; -a: everything */
	assert_true(tcn_shown(&enc, &f));
	assert_true(tcn_shown(&v6, &f));
	assert_false(tcn_shown(&pass, &f));
	assert_false(tcn_shown(&plain, &f));
	f.all = true;
	assert_true(tcn_shown(&pass, &f));
	assert_true(tcn_shown(&plain, &f));
	f.family = AF_INET6;
	assert_false(tcn_shown(&enc, &f));
	assert_true(tcn_shown(&v6, &f));
	f.family = 0;
	f.port = 5001;
	assert_true(tcn_shown(&enc, &f));
	f.port = 40000;
	assert_true(tcn_shown(&enc, &f));
	f.port = 22;
	assert_false(tcn_shown(&enc, &f));
	f.port = -1;
	f.lport = 5001;
	assert_false(tcn_shown(&enc, &f));
	f.lport = -1;
	f.rport = 5001;
	assert_true(tcn_shown(&enc, &f));
	f.rport = -1;
	assert_int_equal(tcn_parse_prefix("192.0.2.2", &f.addr), 0);
	assert_true(tcn_shown(&enc, &f));
	assert_false(tcn_shown(&v6, &f));
	assert_int_equal(tcn_parse_prefix("192.0.2.2", &f.laddr), 0);
	assert_false(tcn_shown(&enc, &f));	/* 192.0.2.2 is the remote end */
	memset(&f.laddr, 0, sizeof(f.laddr));
	assert_int_equal(tcn_parse_prefix("192.0.2.0/25", &f.raddr), 0);
	assert_true(tcn_shown(&enc, &f));
	assert_int_equal(tcn_parse_prefix("192.0.2.128/25", &f.raddr), 0);
	assert_false(tcn_shown(&enc, &f));
	memset(&f, 0, sizeof(f));
	f.port = f.lport = f.rport = -1;
	assert_int_equal(tcn_parse_prefix("2001:db8::/126", &f.addr), 0);
	assert_true(tcn_shown(&v6, &f));
	assert_int_equal(tcn_parse_prefix("2001:db8::4/126", &f.addr), 0);
	assert_false(tcn_shown(&v6, &f));
}

static void test_prefix_errors(void **state)
{
	struct tcn_prefix p;

	assert_int_equal(tcn_parse_prefix("192.0.2.1/33", &p), -EINVAL);
	assert_int_equal(tcn_parse_prefix("192.0.2.1/", &p), -EINVAL);
	assert_int_equal(tcn_parse_prefix("2001:db8::/129", &p), -EINVAL);
	assert_int_equal(tcn_parse_prefix("host.example", &p), -EINVAL);
	assert_int_equal(tcn_parse_prefix("10.0.0.0/8", &p), 0);
	assert_int_equal(p.plen, 8);
	assert_int_equal(tcn_parse_prefix("::1", &p), 0);
	assert_int_equal(p.plen, 128);
}

static void test_stats_plain_and_json(void **state)
{
	struct tcn_stats s = { .alive = 1, .pid = 77, .engine = true, .age_ms = 250,
			       .nqueues = 2, .qid = { 0, 1 }, .have = true };
	char *json, *plain;

	strcpy(s.ifname, "eth1");
	s.q[0].ctr[TC_DS_STEERED_WIRE] = 10;
	s.q[1].ctr[TC_DS_STEERED_WIRE] = 5;
	s.q[1].ctr[TC_DS_TAG_FAILURES] = 2;
	s.q[0].ctr[TC_DS_DROP_OOO] = 4;
	s.table.ctr[TC_DS_DROP_BAD_CSUM] = 3;
	s.table.ctr[TC_DS_FLOWS_ACTIVE] = 9;
	s.table.ctr[TC_DS_EVICTED_DONE] = 6;
	json = capture(true, stats_fn, &s);
	assert_non_null(strstr(json, "[{\"ifname\":\"eth1\",\"alive\":true,\"pid\":77,"
				     "\"mode\":\"encrypting\",\"age_ms\":250,\"total\":{"
				     "\"steered_wire\":15,"));
	assert_non_null(strstr(json, "\"tag_failures\":2,"));
	assert_non_null(strstr(json, "\"flows_active\":9,\"evicted_done\":6,"));
	assert_non_null(strstr(json, "\"drops\":{\"malformed\":0,\"out_of_order\":4,"));
	assert_non_null(strstr(json, "\"bad_checksum\":3,"));
	assert_non_null(strstr(json, "\"queues\":[{\"queue\":0,\"steered_wire\":10,"));
	assert_non_null(strstr(json, "{\"queue\":1,\"steered_wire\":5,"));
	/* a queue has no flow table counters */
	assert_null(strstr(strstr(json, "\"queues\""), "flows_active"));
	assert_null(strstr(strstr(json, "\"queues\""), "evicted_done"));
	plain = capture(false, stats_fn, &s);
	assert_non_null(strstr(plain, "eth1: tcpcryptd pid 77, encrypting, counters 250 ms old\n"));
	assert_non_null(strstr(plain, "  total\n    segments     steered_wire 15, steered_host 0\n"));
	assert_non_null(strstr(plain, "  queue 1\n"));
	assert_non_null(strstr(plain, "tag_failures 2"));
	assert_non_null(strstr(plain, "    drops        malformed 0, out_of_order 4,"));
	assert_non_null(strstr(plain, "    bytes        encrypted 0, decrypted 0\n"));
	free(json);
	free(plain);
	/* a dead daemon's last values say so */
	s.alive = 0;
	plain = capture(false, stats_fn, &s);
	assert_non_null(strstr(plain, "not running"));
	free(plain);
	s.have = false;
	json = capture(true, stats_fn, &s);
	assert_non_null(strstr(json, "\"alive\":false,\"pid\":null,"));
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_row_plain_and_json),
		cmocka_unit_test(test_passthrough_row_has_nulls),
		cmocka_unit_test(test_aborted_row_says_why),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_prefix_errors),
		cmocka_unit_test(test_stats_plain_and_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
