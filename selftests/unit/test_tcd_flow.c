// SPDX-License-Identifier: GPL-2.0
/*
 * tcpcryptd's flow table (userspace/tcpcryptd/flow.c, compiled in here):
 * parsing, the host's-view key, the pass-through state machine, expiry,
 * flows with lost keys, and completion of CHECKSUM_PARTIAL leftovers.
 * No BPF: the table runs without a struct dp.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "tcpcryptd/flow.c"

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10

static const uint8_t ip_local[4] = { 192, 0, 2, 1 }, ip_remote[4] = { 192, 0, 2, 2 };
static const uint8_t ip6_local[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t ip6_remote[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static uint16_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * An Ethernet + IPv4/IPv6 + TCP frame with PAYLOAD bytes. FROM_HOST: local
 * is the source. CSUM: 0 full checksum, 1 pseudo-header only (PARTIAL),
 * 2 garbage. Returns the length.
 */
static uint32_t mkframe(uint8_t *f, int v6, int from_host, uint8_t flags, uint32_t payload,
			int csum, int hbh)
{
	const uint8_t *src = v6 ? (from_host ? ip6_local : ip6_remote) :
				 (from_host ? ip_local : ip_remote);
	const uint8_t *dst = v6 ? (from_host ? ip6_remote : ip6_local) :
				 (from_host ? ip_remote : ip_local);
	uint16_t sport = from_host ? 40000 : 5201, dport = from_host ? 5201 : 40000;
	uint32_t alen = v6 ? 16 : 4, l3len, tcp_len = 20 + payload, i, pseudo;
	uint8_t *l3 = f + 14, *th;

	memset(f, 0, 4096);
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		l3len = 40 + (hbh ? 8 : 0);
		l3[0] = 0x60;
		l3[4] = (tcp_len + (hbh ? 8 : 0)) >> 8;
		l3[5] = (tcp_len + (hbh ? 8 : 0)) & 0xff;
		l3[6] = hbh ? 0 : IPPROTO_TCP;
		l3[7] = 64;
		memcpy(l3 + 8, src, 16);
		memcpy(l3 + 24, dst, 16);
		if (hbh)
			l3[40] = IPPROTO_TCP;	/* next header; length 0 = 8 bytes */
	} else {
		l3len = 20;
		l3[0] = 0x45;
		l3[2] = (20 + tcp_len) >> 8;
		l3[3] = (20 + tcp_len) & 0xff;
		l3[8] = 64;
		l3[9] = IPPROTO_TCP;
		memcpy(l3 + 12, src, 4);
		memcpy(l3 + 16, dst, 4);
		i = (uint16_t)~sum16(l3, 20, 0);
		l3[10] = i >> 8;
		l3[11] = i & 0xff;
	}
	th = l3 + l3len;
	th[0] = sport >> 8;
	th[1] = sport & 0xff;
	th[2] = dport >> 8;
	th[3] = dport & 0xff;
	th[12] = 5 << 4;
	th[13] = flags;
	for (i = 0; i < payload; i++)
		th[20 + i] = (uint8_t)(i * 7 + 3);
	pseudo = sum16(src, alen, 0) + sum16(dst, alen, 0) + IPPROTO_TCP + tcp_len;
	if (csum == 1) {
		uint16_t c = sum16(NULL, 0, pseudo);

		th[16] = c >> 8;
		th[17] = c & 0xff;
	} else if (csum == 2) {
		th[16] = 0x12;
		th[17] = 0x34;
	} else {
		uint16_t c = ~sum16(th, tcp_len, pseudo);

		th[16] = c >> 8;
		th[17] = c & 0xff;
	}
	return 14 + l3len + tcp_len;
}

/* The checksum of the TCP segment in F verifies (ones' complement sum 0xffff). */
static int csum_ok(const uint8_t *f, int v6, int hbh)
{
	uint32_t alen = v6 ? 16 : 4, l3len = v6 ? 40 + (hbh ? 8 : 0) : 20, tcp_len, pseudo;
	const uint8_t *l3 = f + 14;

	tcp_len = v6 ? ((uint32_t)l3[4] << 8 | l3[5]) - (hbh ? 8 : 0) :
		       ((uint32_t)l3[2] << 8 | l3[3]) - 20;
	pseudo = sum16(l3 + (v6 ? 8 : 12), alen, 0) + sum16(l3 + (v6 ? 24 : 16), alen, 0) +
		 IPPROTO_TCP + tcp_len;
	return sum16(l3 + l3len, tcp_len, pseudo) == 0xffff;
}

static uint8_t frame[4096];

static int setup(void **state)
{
	static struct flow_table ft;

	if (flow_table_init(&ft, NULL, 1024, 2000, 600))
		return -1;
	*state = &ft;
	return 0;
}

static int teardown(void **state)
{
	flow_table_fini(*state);
	return 0;
}

static void test_syn_key_and_close(void **state)
{
	struct flow_table *ft = *state;
	uint64_t now;
	uint32_t len;

	len = mkframe(frame, 0, 1, F_SYN, 0, 0, 0);
	assert_int_equal(flow_packet(ft, XQ_HOST, 0, frame, len, tcd_now_ns(), NULL), FV_FORWARD);
	assert_int_equal(ft->count, 1);
	assert_int_equal(ft->st.created, 1);
	/* the answer from the wire is the same flow (host's view) */
	len = mkframe(frame, 0, 0, F_SYN | F_ACK, 0, 0, 0);
	flow_packet(ft, XQ_WIRE, 0, frame, len, tcd_now_ns(), NULL);
	assert_int_equal(ft->count, 1);
	len = mkframe(frame, 0, 1, F_ACK, 100, 0, 0);
	flow_packet(ft, XQ_HOST, 0, frame, len, tcd_now_ns(), NULL);
	/* FIN one way: still open */
	len = mkframe(frame, 0, 1, F_FIN | F_ACK, 0, 0, 0);
	flow_packet(ft, XQ_HOST, 0, frame, len, tcd_now_ns(), NULL);
	now = tcd_now_ns();
	flow_expire(ft, now + 10ull * 1000000000);
	assert_int_equal(ft->count, 1);
	/* FIN the other way: removed after the grace period, not before */
	len = mkframe(frame, 0, 0, F_FIN | F_ACK, 0, 0, 0);
	flow_packet(ft, XQ_WIRE, 0, frame, len, tcd_now_ns(), NULL);
	now = tcd_now_ns();
	flow_expire(ft, now + 1000000000ull);
	assert_int_equal(ft->count, 1);
	flow_expire(ft, now + 3000000000ull);
	assert_int_equal(ft->count, 0);
	assert_int_equal(ft->st.removed_closed, 1);
}

/*
 * A connection opened here starts on the queue its SYN was hashed to and
 * moves to the queue its answer arrives on (where all its wire segments
 * will arrive); after that, nothing moves it.
 */
static void test_owner_queue_follows_the_wire(void **state)
{
	struct flow_table *ft = *state;
	struct flow *f;
	struct seg s;
	uint32_t len;

	len = mkframe(frame, 0, 1, F_SYN, 0, 0, 0);
	flow_packet(ft, XQ_HOST, 1, frame, len, tcd_now_ns(), NULL);
	assert_int_equal(tc_seg_parse(frame, len, &s.t), TC_SEG_TCP);
	seg_key(&s, XQ_HOST);
	f = *lookup(ft, &s.key);
	assert_non_null(f);
	assert_int_equal(f->queue, 1);
	len = mkframe(frame, 0, 0, F_SYN | F_ACK, 0, 0, 0);
	flow_packet(ft, XQ_WIRE, 3, frame, len, tcd_now_ns(), NULL);
	assert_int_equal(f->queue, 3);
	len = mkframe(frame, 0, 0, F_ACK, 10, 0, 0);
	flow_packet(ft, XQ_WIRE, 2, frame, len, tcd_now_ns(), NULL);
	assert_int_equal(f->queue, 3);
	/* a connection opened by the peer is owned by its SYN's wire queue */
	len = mkframe(frame, 1, 0, F_SYN, 0, 0, 0);
	flow_packet(ft, XQ_WIRE, 2, frame, len, tcd_now_ns(), NULL);
	assert_int_equal(tc_seg_parse(frame, len, &s.t), TC_SEG_TCP);
	seg_key(&s, XQ_WIRE);
	assert_int_equal((*lookup(ft, &s.key))->queue, 2);
}

static void test_rst_idle_reuse(void **state)
{
	struct flow_table *ft = *state;
	uint64_t now;
	uint32_t len;

	len = mkframe(frame, 1, 0, F_SYN, 0, 0, 0);
	flow_packet(ft, XQ_WIRE, 0, frame, len, tcd_now_ns(), NULL);
	len = mkframe(frame, 1, 1, F_RST | F_ACK, 0, 0, 0);
	flow_packet(ft, XQ_HOST, 0, frame, len, tcd_now_ns(), NULL);
	/* a new SYN on the same tuple before removal: a new connection */
	len = mkframe(frame, 1, 0, F_SYN, 0, 0, 0);
	flow_packet(ft, XQ_WIRE, 0, frame, len, tcd_now_ns(), NULL);
	assert_int_equal(ft->st.created, 2);
	now = tcd_now_ns();
	flow_expire(ft, now + 3000000000ull);
	assert_int_equal(ft->count, 1);		/* reopened: not closed */
	flow_expire(ft, now + 601ull * 1000000000);
	assert_int_equal(ft->count, 0);
	assert_int_equal(ft->st.removed_idle, 1);
}

static void test_half_open_expiry(void **state)
{
	struct flow_table *ft = *state;
	uint64_t now;
	uint32_t len;

	/* a SYN nobody answers goes after FLOW_HALF_OPEN_S */
	len = mkframe(frame, 0, 0, F_SYN, 0, 0, 0);
	flow_packet(ft, XQ_WIRE, 0, frame, len, tcd_now_ns(), NULL);
	/* an answered one stays until the idle timeout */
	len = mkframe(frame, 1, 1, F_SYN, 0, 0, 0);
	flow_packet(ft, XQ_HOST, 0, frame, len, tcd_now_ns(), NULL);
	len = mkframe(frame, 1, 0, F_SYN | F_ACK, 0, 0, 0);
	flow_packet(ft, XQ_WIRE, 0, frame, len, tcd_now_ns(), NULL);
	assert_int_equal(ft->count, 2);
	now = tcd_now_ns();
	flow_expire(ft, now + (FLOW_HALF_OPEN_S - 1) * 1000000000ull);
	assert_int_equal(ft->count, 2);
	flow_expire(ft, now + (FLOW_HALF_OPEN_S + 1) * 1000000000ull);
	assert_int_equal(ft->count, 1);
	flow_expire(ft, now + 601ull * 1000000000);
	assert_int_equal(ft->count, 0);
}

static void test_ipv6_ext_and_non_tcp(void **state)
{
	struct flow_table *ft = *state;
	uint32_t len;

	len = mkframe(frame, 1, 1, F_SYN, 0, 0, 1);
	flow_packet(ft, XQ_HOST, 0, frame, len, tcd_now_ns(), NULL);
	assert_int_equal(ft->count, 1);
	len = mkframe(frame, 0, 1, F_SYN, 0, 0, 0);
	frame[14 + 9] = IPPROTO_UDP;
	/* BPF steers TCP only: anything else reaching us is never forwarded */
	assert_int_equal(flow_packet(ft, XQ_HOST, 0, frame, len, tcd_now_ns(), NULL), FV_DROP);
	assert_int_equal(ft->st.non_tcp, 1);
	assert_int_equal(ft->count, 1);
	/* truncated TCP header: not parsed, dropped */
	len = mkframe(frame, 0, 1, F_SYN, 0, 0, 0);
	assert_int_equal(flow_packet(ft, XQ_HOST, 0, frame, len - 4, tcd_now_ns(), NULL), FV_DROP);
	assert_int_equal(ft->count, 1);
}

static void test_lost_keys_dropped(void **state)
{
	struct flow_table *ft = *state;
	struct seg s;
	uint32_t len;

	len = mkframe(frame, 0, 0, F_ACK, 100, 0, 0);
	assert_int_equal(tc_seg_parse(frame, len, &s.t), TC_SEG_TCP);
	seg_key(&s, XQ_WIRE);
	assert_int_equal(flow_adopt(ft, &s.key, TC_FLOW_ENCRYPTED, 0), 0);
	assert_int_equal(flow_packet(ft, XQ_WIRE, 0, frame, len, tcd_now_ns(), NULL), FV_DROP);
	len = mkframe(frame, 0, 1, F_ACK, 100, 0, 0);
	assert_int_equal(flow_packet(ft, XQ_HOST, 0, frame, len, tcd_now_ns(), NULL), FV_DROP);
	assert_int_equal(ft->st.lost_keys_dropped, 2);
	/* not even a new SYN reopens it */
	len = mkframe(frame, 0, 1, F_SYN, 0, 0, 0);
	assert_int_equal(flow_packet(ft, XQ_HOST, 0, frame, len, tcd_now_ns(), NULL), FV_DROP);
	/* a pass-through flow taken over keeps passing */
	len = mkframe(frame, 1, 0, F_ACK, 100, 0, 0);
	assert_int_equal(tc_seg_parse(frame, len, &s.t), TC_SEG_TCP);
	seg_key(&s, XQ_WIRE);
	assert_int_equal(flow_adopt(ft, &s.key, TC_FLOW_PASSTHROUGH, 0), 0);
	assert_int_equal(flow_packet(ft, XQ_WIRE, 0, frame, len, tcd_now_ns(), NULL), FV_FORWARD);
}

static void test_partial_checksums(void **state)
{
	struct flow_table *ft = *state;
	uint8_t copy[4096];
	uint32_t len, payload;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		for (payload = 0; payload < 1500; payload += 487) {
			/* a PARTIAL leftover from the wire is completed */
			len = mkframe(frame, v6, 0, F_ACK, payload, 1, v6);
			assert_false(csum_ok(frame, v6, v6));
			flow_packet(ft, XQ_WIRE, 0, frame, len, tcd_now_ns(), NULL);
			assert_true(csum_ok(frame, v6, v6));
			/* a full checksum is left alone */
			len = mkframe(frame, v6, 0, F_ACK, payload, 0, v6);
			memcpy(copy, frame, len);
			flow_packet(ft, XQ_WIRE, 0, frame, len, tcd_now_ns(), NULL);
			assert_memory_equal(copy, frame, len);
			/* a wrong one too: the stack drops it */
			len = mkframe(frame, v6, 0, F_ACK, payload, 2, v6);
			memcpy(copy, frame, len);
			flow_packet(ft, XQ_WIRE, 0, frame, len, tcd_now_ns(), NULL);
			assert_memory_equal(copy, frame, len);
			/* frames from the local stack are not touched */
			len = mkframe(frame, v6, 1, F_ACK, payload, 1, v6);
			memcpy(copy, frame, len);
			flow_packet(ft, XQ_HOST, 0, frame, len, tcd_now_ns(), NULL);
			assert_memory_equal(copy, frame, len);
		}
	}
	assert_int_equal(ft->st.csum_fixed, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syn_key_and_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_queue_follows_the_wire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_idle_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_open_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_ext_and_non_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_keys_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_checksums, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
