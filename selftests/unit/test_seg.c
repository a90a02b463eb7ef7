// SPDX-License-Identifier: GPL-2.0
/*
 * lib/engine/seg.c: the frame parser decides as the kernel would (TCP,
 * not TCP, fragment, malformed), reads every field, and the checksum code
 * agrees with an independent 16-bit implementation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "engine/seg.h"
#include "unit/frames.h"

static uint8_t f[70000];

static enum tc_seg_kind parse(const struct tf *t, struct tc_seg *s)
{
	return tc_seg_parse(f, tf_build(f, t), s);
}

static void test_tcp_fields(void **state)
{
	static const uint8_t opts[8] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 };
	struct tf t = { .sport = 40000, .dport = 5201, .seq = 0x01020304, .ack = 0xa0b0c0d0,
			.flags = TC_TH_ACK | TC_TH_PSH, .win = 512, .urg = 7, .tos = 0x03,
			.opts = opts, .optlen = 8, .plen = 100, .pad = 0 };
	struct tc_seg s;
	int v6, vlans;

	for (v6 = 0; v6 < 2; v6++) {
		for (vlans = 0; vlans <= 2; vlans++) {
			t.v6 = v6;
			t.vlans = vlans;
			assert_int_equal(parse(&t, &s), TC_SEG_TCP);
			assert_int_equal(s.family, v6 ? AF_INET6 : AF_INET);
			assert_int_equal(s.l3_off, 14 + 4 * vlans);
			assert_int_equal(s.l4_off, s.l3_off + (v6 ? 40 : 20));
			assert_int_equal(s.thl, 28);
			assert_int_equal(s.sport, 40000);
			assert_int_equal(s.dport, 5201);
			assert_int_equal(s.seq, 0x01020304);
			assert_int_equal(s.ack, 0xa0b0c0d0);
			assert_int_equal(s.flags, TC_TH_ACK | TC_TH_PSH);
			assert_int_equal(s.win, 512);
			assert_int_equal(s.urg, 7);
			assert_int_equal(s.tos, 0x03);
			assert_int_equal(s.payload_len, 100);
			assert_int_equal(s.payload_off, s.l4_off + 28);
			assert_memory_equal(s.saddr, v6 ? tf_ip6_a : tf_ip4_a, s.alen);
			assert_memory_equal(s.daddr, v6 ? tf_ip6_b : tf_ip4_b, s.alen);
			assert_true(tc_seg_tcp_csum_ok(f, &s));
		}
	}
	/* three tags could still reach TCP through nested VLAN devices */
	t.v6 = 0;
	t.vlans = 3;
	assert_int_equal(parse(&t, &s), TC_SEG_TOO_DEEP);
}

static void test_padding_and_truncation(void **state)
{
	struct tf t = { .flags = TC_TH_SYN, .plen = 0, .pad = 6 };
	struct tc_seg s;
	uint32_t len;

	/* Ethernet padding after a short datagram is not payload */
	assert_int_equal(parse(&t, &s), TC_SEG_TCP);
	assert_int_equal(s.payload_len, 0);
	/* a datagram longer than the frame: the kernel drops it */
	t.pad = 0;
	t.plen = 50;
	len = tf_build(f, &t);
	assert_int_equal(tc_seg_parse(f, len - 1, &s), TC_SEG_MALFORMED);
	t.v6 = 1;
	len = tf_build(f, &t);
	assert_int_equal(tc_seg_parse(f, len - 1, &s), TC_SEG_MALFORMED);
	/* shorter than Ethernet, than IP, than TCP */
	assert_int_equal(tc_seg_parse(f, 13, &s), TC_SEG_MALFORMED);
	assert_int_equal(tc_seg_parse(f, 30, &s), TC_SEG_MALFORMED);
	t.v6 = 0;
	t.plen = 0;
	len = tf_build(f, &t);
	f[14 + 3] -= 4;			/* total length cuts the TCP header */
	f[14 + 10] = f[14 + 11] = 0;
	tf_put16(f + 14 + 10, (uint16_t)~tf_sum(f + 14, 20, 0));
	assert_int_equal(tc_seg_parse(f, len, &s), TC_SEG_MALFORMED);
}

static void test_ipv4_header_checks(void **state)
{
	struct tf t = { .flags = TC_TH_ACK, .plen = 10 };
	struct tc_seg s;
	uint32_t len;

	t.bad_ip_csum = 1;
	assert_int_equal(parse(&t, &s), TC_SEG_MALFORMED);
	t.bad_ip_csum = 0;
	len = tf_build(f, &t);
	f[14] = 0x44;			/* ihl 4 */
	assert_int_equal(tc_seg_parse(f, len, &s), TC_SEG_MALFORMED);
	f[14] = 0x65;			/* version 6 in an IPv4 ethertype */
	assert_int_equal(tc_seg_parse(f, len, &s), TC_SEG_MALFORMED);
	/* TCP data offset below 5 or beyond the datagram */
	len = tf_build(f, &t);
	f[14 + 20 + 12] = 4 << 4;
	assert_int_equal(tc_seg_parse(f, len, &s), TC_SEG_MALFORMED);
	f[14 + 20 + 12] = 15 << 4;
	assert_int_equal(tc_seg_parse(f, len, &s), TC_SEG_MALFORMED);
	/* not TCP, not IP */
	t.proto = IPPROTO_UDP;
	assert_int_equal(parse(&t, &s), TC_SEG_NOT_TCP);
	t.proto = 0;
	len = tf_build(f, &t);
	f[12] = 0x08;
	f[13] = 0x06;			/* ARP */
	assert_int_equal(tc_seg_parse(f, len, &s), TC_SEG_NOT_TCP);
}

static void test_fragments(void **state)
{
	struct tf t = { .sport = 1111, .dport = 2222, .flags = TC_TH_ACK, .plen = 64,
			.frag = 1 };
	struct tc_seg s;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		t.v6 = v6;
		t.frag_mf = 1;
		t.frag_off = 0;
		assert_int_equal(parse(&t, &s), TC_SEG_FRAG_FIRST);
		assert_int_equal(s.sport, 1111);
		assert_int_equal(s.dport, 2222);
		assert_int_equal(s.frag_id, v6 ? 0x11223344 : 0x1234);
		t.frag_off = 10;
		assert_int_equal(parse(&t, &s), TC_SEG_FRAG_LATER);
		t.frag_mf = 0;
		assert_int_equal(parse(&t, &s), TC_SEG_FRAG_LATER);
		/* IPv4 offset 0 without MF is a whole datagram; IPv6 the same
		 * (an atomic fragment: the kernel hands it to TCP) */
		t.frag_off = 0;
		assert_int_equal(parse(&t, &s), TC_SEG_TCP);
		assert_int_equal(s.sport, 1111);
		assert_int_equal(s.payload_len, 64);
	}
	/* extension headers after the fragment header (RFC 8200 allows
	 * destination options there): the first fragment still shows TCP */
	t.v6 = 1;
	t.frag_mf = 1;
	t.frag_off = 0;
	t.ext_after[0] = IPPROTO_DSTOPTS;
	assert_int_equal(parse(&t, &s), TC_SEG_FRAG_FIRST);
	assert_int_equal(s.sport, 1111);
	assert_int_equal(s.dport, 2222);
	t.frag_off = 10;
	assert_int_equal(parse(&t, &s), TC_SEG_FRAG_LATER);
	t.ext_after[0] = 0;
	/* a later IPv6 fragment of UDP still cannot be shown to be TCP... */
	t.v6 = 1;
	t.proto = IPPROTO_UDP;
	t.frag_mf = 1;
	t.frag_off = 5;
	assert_int_equal(parse(&t, &s), TC_SEG_FRAG_LATER);
	/* ... but a first one names its protocol */
	t.frag_off = 0;
	assert_int_equal(parse(&t, &s), TC_SEG_NOT_TCP);
}

static void test_ipv6_extension_headers(void **state)
{
	struct tf t = { .v6 = 1, .flags = TC_TH_ACK, .plen = 3 };
	struct tc_seg s;
	int n;

	/* Hop-by-Hop first, then routing, destination options, AH */
	memcpy(t.ext, (uint8_t[]){ 255, IPPROTO_ROUTING, IPPROTO_DSTOPTS, IPPROTO_AH, 0 }, 5);
	assert_int_equal(parse(&t, &s), TC_SEG_TCP);
	assert_int_equal(s.l4_off, 14 + 40 + 32);
	assert_int_equal(s.payload_len, 3);
	/* Hop-by-Hop anywhere but first: the kernel rejects it */
	memcpy(t.ext, (uint8_t[]){ IPPROTO_DSTOPTS, 255, 0 }, 3);
	assert_int_equal(parse(&t, &s), TC_SEG_NOT_TCP);
	/* up to TC_SEG_EXT_MAX headers are followed, more are "too deep" */
	memset(t.ext, 0, sizeof(t.ext));
	for (n = 0; n < TC_SEG_EXT_MAX; n++)
		t.ext[n] = IPPROTO_DSTOPTS;
	assert_int_equal(parse(&t, &s), TC_SEG_TCP);
	t.ext[n] = IPPROTO_DSTOPTS;
	assert_int_equal(parse(&t, &s), TC_SEG_TOO_DEEP);
	/* ESP and "no next header" never reach TCP as such */
	memset(t.ext, 0, sizeof(t.ext));
	t.proto = 50;
	assert_int_equal(parse(&t, &s), TC_SEG_NOT_TCP);
	t.proto = 59;
	assert_int_equal(parse(&t, &s), TC_SEG_NOT_TCP);
}

/* Random data: the checksum code agrees with a plain 16-bit loop. */
static void test_checksum_against_reference(void **state)
{
	static uint8_t buf[4099];
	size_t len, off, i;

	srand(7);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = rand();
	for (len = 0; len < 300; len++)
		for (off = 0; off < 9; off++)
			assert_int_equal(tc_csum_fold(tc_csum_add(0, buf + off, len)),
					 tf_sum(buf + off, len, 0));
	assert_int_equal(tc_csum_fold(tc_csum_add(0, buf, sizeof(buf))),
			 tf_sum(buf, sizeof(buf), 0));
	/* all 0xff words: the carries of a large sum are kept */
	memset(f, 0xff, 65536);
	assert_int_equal(tc_csum_fold(tc_csum_add(0, f, 65536)), tf_sum(f, 65536, 0));
}

static void test_checksum_fill_verify_partial(void **state)
{
	struct tf t = { .flags = TC_TH_ACK, .plen = 1001 };
	struct tc_seg s;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		t.v6 = v6;
		t.bad_tcp_csum = 1;
		assert_int_equal(parse(&t, &s), TC_SEG_TCP);
		assert_false(tc_seg_tcp_csum_ok(f, &s));
		assert_false(tc_seg_tcp_csum_partial(f, &s));
		tc_seg_fill_tcp_csum(f, &s);
		assert_true(tc_seg_tcp_csum_ok(f, &s));
		t.bad_tcp_csum = 0;
		t.partial_tcp_csum = 1;
		assert_int_equal(parse(&t, &s), TC_SEG_TCP);
		assert_true(tc_seg_tcp_csum_partial(f, &s));
		t.partial_tcp_csum = 0;
	}
	/* IPv4 header checksum */
	t.v6 = 0;
	assert_int_equal(parse(&t, &s), TC_SEG_TCP);
	f[14 + 8] = 3;			/* TTL changed */
	tc_seg_fill_ip_csum(f, &s);
	assert_int_equal(tf_sum(f + 14, 20, 0), 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_fields),
		cmocka_unit_test(test_padding_and_truncation),
		cmocka_unit_test(test_ipv4_header_checks),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_checksum_against_reference),
		cmocka_unit_test(test_checksum_fill_verify_partial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
