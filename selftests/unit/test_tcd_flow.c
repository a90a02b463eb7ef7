// SPDX-License-Identifier: GPL-2.0
/*
 * tcpcryptd's flow table (userspace/tcpcryptd/flow.c, compiled in here):
 * parsing, the host's-view key, the pass-through state machine, expiry,
 * flows with lost keys, and completion of CHECKSUM_PARTIAL leftovers.
 * Then the table as the engine's shell: two hosts of selftests/unit/unit/
 * sim.h whose tcpcryptd is a flow table each, carrying encrypted
 * transfers; a flow that needed keys leaves only with its socket.
 * No BPF: the table runs without a struct dp (f->map_state says what
 * tc_flows would hold).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "unit/shell.h"

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

/* Set a frame's sequence and acknowledgement numbers (checksum follows). */
static void set_seq_ack(uint8_t *f, uint32_t len, uint32_t seq, uint32_t ack)
{
	struct tc_seg g;

	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	tf_put32(f + g.l4_off + 4, seq);
	tf_put32(f + g.l4_off + 8, ack);
	tc_seg_fill_tcp_csum(f, &g);
}

/* The IPv4 frame f from another source address and port (checksums follow). */
static void set_source(uint8_t *f, uint32_t len, const uint8_t saddr[4], uint16_t sport)
{
	struct tc_seg g;

	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	memcpy(f + g.l3_off + 12, saddr, 4);
	tf_put16(f + g.l3_off + 10, 0);
	tf_put16(f + g.l3_off + 10, ~tf_sum(f + g.l3_off, 20, 0));
	tf_put16(f + g.l4_off, sport);
	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	tc_seg_fill_tcp_csum(f, &g);
}

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

/*
 * Connections that differ only in one port spread over the buckets, in a
 * table of the default size: a server's flows from one client differ in
 * the remote port, a client's to one server in the local port, both
 * families. The hash once left the remote port out of the bucket bits.
 */
static void test_key_hash_spreads_ports(void **state)
{
	static uint16_t count[32768];
	const uint8_t a4[4] = { 198, 51, 100, 2 }, b4[4] = { 192, 0, 2, 1 };
	const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [7] = 1, [15] = 1 };
	const uint32_t mask = 32767, n = 4000;
	int v6, remote;
	uint32_t i;

	for (v6 = 0; v6 < 2; v6++) {
		for (remote = 0; remote < 2; remote++) {
			uint16_t most = 0;
			uint32_t used = 0;

			memset(count, 0, sizeof(count));
			for (i = 0; i < n; i++) {
				uint16_t eph = htons(32768 + 2 * i), svc = htons(6000);
				struct tc_flow_key k;
				uint32_t b;

				if (v6)
					dp_flow_key_v6(&k, a6, b6, remote ? svc : eph,
						       remote ? eph : svc);
				else
					dp_flow_key_v4(&k, a4, b4, remote ? svc : eph,
						       remote ? eph : svc);
				b = key_hash(&k) & mask;
				used += !count[b];
				if (++count[b] > most)
					most = count[b];
			}
			/* 4000 keys in 32768 buckets: random placement fills ~3770 */
			assert_true(used > n * 9 / 10);
			assert_true(most <= 6);
		}
	}
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
	f = *lookup(ft, key_hash(&s.key) & (ft->nbuckets - 1), &s.key);
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
	assert_int_equal((*lookup(ft, key_hash(&s.key) & (ft->nbuckets - 1), &s.key))->queue, 2);
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
	/* one whose peer acknowledged our ISN (0) stays until the idle timeout */
	len = mkframe(frame, 1, 1, F_SYN, 0, 0, 0);
	flow_packet(ft, XQ_HOST, 0, frame, len, tcd_now_ns(), NULL);
	len = mkframe(frame, 1, 0, F_SYN | F_ACK, 0, 0, 0);
	set_seq_ack(frame, len, 777, 1);
	flow_packet(ft, XQ_WIRE, 0, frame, len, tcd_now_ns(), NULL);
	assert_int_equal(flow_half_open(ft), 1);
	assert_int_equal(ft->count, 2);
	now = tcd_now_ns();
	flow_expire(ft, now + (FLOW_HALF_OPEN_S - 1) * 1000000000ull);
	assert_int_equal(ft->count, 2);
	flow_expire(ft, now + (FLOW_HALF_OPEN_S + 1) * 1000000000ull);
	assert_int_equal(ft->count, 1);
	flow_expire(ft, now + 601ull * 1000000000);
	assert_int_equal(ft->count, 0);
}

/*
 * The expiry pass runs on the main thread with its own clock read; a
 * poller may stamp a flow later than that. Such a flow is young, not
 * idle since before 1970 (it went, and its SYN-ACK met a reset: about one
 * connection in a thousand in the connection-rate benchmark).
 */
static void test_expiry_clock_behind_pollers(void **state)
{
	struct flow_table *ft = *state;
	uint64_t now = tcd_now_ns();
	uint32_t len;

	len = mkframe(frame, 1, 1, F_SYN, 0, 0, 0);
	flow_packet(ft, XQ_HOST, 0, frame, len, now + 1000, NULL);
	len = mkframe(frame, 0, 0, F_SYN, 0, 0, 0);
	flow_packet(ft, XQ_WIRE, 0, frame, len, now + 1000, NULL);
	assert_int_equal(ft->count, 2);
	flow_expire(ft, now);
	assert_int_equal(ft->count, 2);
	flow_expire(ft, now + (FLOW_HALF_OPEN_S + 1) * 1000000000ull);
	assert_int_equal(ft->count, 0);
}

/*
 * Finding 3 of the fail-closed review: spoofed SYNs filled the flow table
 * and legitimate connections were then left plain. Handshakes not proven
 * are capped per side, the oldest evicted, and per remote prefix.
 */
static void test_half_open_cap_and_quota(void **state)
{
	struct flow_table *ft = *state;
	uint8_t src[4] = { 198, 51, 100, 0 };
	uint64_t now = tcd_now_ns();
	int i, forwarded = 0, dropped = 0;
	uint32_t len;

	flow_table_set_half_open(ft, 16, 4);
	/* ten SYNs from one /24: four get in */
	for (i = 0; i < 10; i++) {
		src[3] = i;
		len = mkframe(frame, 0, 0, F_SYN, 0, 0, 0);
		set_source(frame, len, src, 1000 + i);
		if (flow_packet(ft, XQ_WIRE, 0, frame, len, now, NULL) == FV_DROP)
			dropped++;
		else
			forwarded++;
	}
	assert_int_equal(forwarded, 4);
	assert_int_equal(dropped, 6);
	assert_int_equal(ft->st.half_refused, 6);
	/* forty more from forty /24s: the oldest go, never more than 16 */
	for (i = 0; i < 40; i++) {
		src[0] = 10;
		src[1] = i;
		len = mkframe(frame, 0, 0, F_SYN, 0, 0, 0);
		set_source(frame, len, src, 2000 + i);
		assert_int_equal(flow_packet(ft, XQ_WIRE, 0, frame, len, now, NULL), FV_FORWARD);
		assert_true(ft->half[FLOW_HALF_WIRE].n <= 16);
	}
	assert_int_equal(ft->half[FLOW_HALF_WIRE].n, 16);
	assert_int_equal(ft->st.half_evicted, 4 + 40 - 16);
	assert_int_equal(ft->count, 16);
	/* the local stack's own connections are counted apart */
	len = mkframe(frame, 0, 1, F_SYN, 0, 0, 0);
	assert_int_equal(flow_packet(ft, XQ_HOST, 0, frame, len, now, NULL), FV_FORWARD);
	assert_int_equal(ft->half[FLOW_HALF_HOST].n, 1);
	assert_int_equal(flow_half_open(ft), 17);
	/* a proven one leaves the half-open set, and is never evicted */
	len = mkframe(frame, 0, 0, F_SYN | F_ACK, 0, 0, 0);
	set_seq_ack(frame, len, 5, 1);
	flow_packet(ft, XQ_WIRE, 0, frame, len, now, NULL);
	assert_int_equal(ft->half[FLOW_HALF_HOST].n, 0);
	/* and they all go with the half-open expiry, except the proven one */
	flow_expire(ft, now + (FLOW_HALF_OPEN_S + 1) * 1000000000ull);
	assert_int_equal(ft->count, 1);
	assert_int_equal(flow_half_open(ft), 0);
	for (i = 0; i < FLOW_PREFIX_SLOTS; i++)
		assert_int_equal(ft->prefix_cnt[i], 0);
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
	frame[14 + 10] = frame[14 + 11] = 0;
	len = (uint16_t)~sum16(frame + 14, 20, 0);
	frame[14 + 10] = len >> 8;
	frame[14 + 11] = len & 0xff;
	len = 14 + 20 + 20;
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


/* Encrypted transfers through the shell, on a faulty wire. */
static void test_shell_encrypts(void **state)
{
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		struct sim_opts o = { .seed = 50 + v6, .v6 = v6, .engine = { true, true },
				      .len = { 120000, 90000 }, .close = { true, true },
				      .loss = 20, .reorder = 50, .split = 100 };
		struct sim s;
		struct tc_engine_stats st;
		int i;

		sh_start(&s, &o);
		sim_run(&s, 600 * 1000 * SIM_MS);
		assert_int_equal(s.violations, 0);
		assert_true(sim_streams_intact(&s));
		for (i = 0; i < 2; i++) {
			struct flow *f = sh_flow(&s, i);

			assert_non_null(f);
			assert_non_null(f->conn);
			assert_int_equal(tc_conn_state(f->conn), TC_CONN_ENCRYPTED);
			assert_int_equal(f->map_state, TC_FLOW_ENCRYPTED);
			flow_engine_stats(&sh->ft[i], &st);
			assert_true(st.frames_sealed > 0 && st.frames_opened > 0);
			assert_int_equal(sh->ft[i].st.encrypted, 1);
		}
		/* steered from the proof on; ENCRYPTED and the session entry
		 * waited for the end of a batch (flow_sync) */
		assert_int_equal(sh_unsteered, 0);
		assert_true(sh_deferred > 0);
		sh_stop(&s);
	}
}

/*
 * Resumed sessions through the shell: the key schedule runs in flow_idle()
 * or when a frame needs it (sh_batch idles every other batch), the flows
 * are steered from the proof on, and the bytes arrive.
 */
static void test_shell_resumed(void **state)
{
	unsigned int run, idled = 0;

	for (run = 0; run < 4; run++) {
		/* A silent and open in half the runs: its keys wait for B */
		struct sim_opts o = { .seed = 70 + run, .engine = { true, true }, .resume = true,
				      .len = { run & 1 ? 0 : 50000, 40000 },
				      .close = { !(run & 1), true }, .loss = 20, .reorder = 20 };
		struct tc_session_info a, b;
		struct sim s;

		sh_start(&s, &o);
		sim_run(&s, 600 * 1000 * SIM_MS);
		assert_int_equal(s.violations, 0);
		assert_true(sim_streams_intact(&s));
		assert_int_equal(sh_unsteered, 0);
		assert_int_equal(tc_conn_session(sh_conn(&s, 0), &a), 0);
		assert_int_equal(tc_conn_session(sh_conn(&s, 1), &b), 0);
		assert_true(a.resumed && b.resumed);
		assert_memory_equal(a.session_id, b.session_id, TC_SESSID_LEN);
		idled += sh_idled;
		sh_stop(&s);
	}
	assert_true(idled > 0);
}

/*
 * flow_packet_pieces(): local data segments, super-packets among them, handed
 * over as the poller hands multi-buffer frames (headers alone, the payload in
 * pieces) are sealed from the pieces on a faulty wire, both ways intact.
 */
static void test_shell_payload_in_pieces(void **state)
{
	struct sim_opts o = { .seed = 57, .engine = { true, true }, .len = { 400000, 200000 },
			      .close = { true, true }, .loss = 20, .reorder = 50, .tso = true,
			      .pieces = true };
	struct sim s;
	struct tc_engine_stats st;

	sh_start(&s, &o);
	sim_run(&s, 600 * 1000 * SIM_MS);
	assert_int_equal(s.violations, 0);
	assert_true(sim_streams_intact(&s));
	assert_true(s.pieces_fed > 5);
	flow_engine_stats(&sh->ft[0], &st);
	assert_true(st.frames_sealed > 0);
	sh_stop(&s);
}

/*
 * Finding 2 of the fail-closed review: a spoofed RST, the idle timeout or
 * the half-open expiry removed encrypted flows, whose next data then
 * bypassed the daemon. Now only the local socket's end removes them.
 */
static void test_shell_encrypted_flow_leaves_with_its_socket(void **state)
{
	struct sim_opts o = { .seed = 60, .engine = { true, true }, .len = { 40000, 40000 } };
	uint8_t rst[SIM_FRAME_MAX];
	struct flow *f;
	struct sim s;
	uint32_t len;
	struct tc_seg g;

	sh_start(&s, &o);
	sim_run(&s, 60 * 1000 * SIM_MS);
	assert_true(sim_streams_intact(&s));
	f = sh_flow(&s, 1);
	assert_int_equal(f->map_state, TC_FLOW_ENCRYPTED);

	/* a spoofed RST, far outside the window, from the wire to B */
	len = s.last_len[0];
	memcpy(rst, s.last[0], len);
	assert_int_equal(tc_seg_parse(rst, len, &g), TC_SEG_TCP);
	rst[g.l4_off + 13] = TC_TH_RST;
	tf_put32(rst + g.l4_off + 4, g.seq + 0x40000000);
	tc_seg_fill_tcp_csum(rst, &g);
	sh_via(&s, 1, true, rst, g.payload_off);

	/* grace, idle and half-open timeouts all pass; the socket lives */
	flow_expire(&sh->ft[1], s.now + 700 * NSEC);
	flow_expire(&sh->ft[1], s.now + 1400 * NSEC);
	f = sh_flow(&s, 1);
	assert_non_null(f);
	assert_int_equal(f->map_state, TC_FLOW_ENCRYPTED);
	assert_true(sh->ft[1].st.kept_socket >= 1);
	/* the socket ends: now it goes */
	socket_answer = 0;
	flow_expire(&sh->ft[1], s.now + 2100 * NSEC);
	assert_null(sh_flow(&s, 1));
	assert_int_equal(sh->ft[1].count, 0);
	sh_stop(&s);
}

/* A bit flipped on the wire is TCP's business (checksum), not an attack. */
static void test_shell_bad_checksum_dropped(void **state)
{
	struct sim_opts o = { .seed = 61, .engine = { true, true }, .len = { 20000, 0 } };
	uint8_t f[SIM_FRAME_MAX];
	struct tc_seg g;
	struct sim s;
	uint32_t len;

	sh_start(&s, &o);
	sim_run(&s, 60 * 1000 * SIM_MS);
	len = s.last_len[0];
	memcpy(f, s.last[0], len);
	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	f[g.l4_off + 16] ^= 0x40;
	assert_int_equal(flow_packet(&sh->ft[1], XQ_WIRE, 0, f, len, s.now, &sh->em[1].em),
			 FV_DROP);
	assert_int_equal(sh->ft[1].st.csum_bad, 1);
	assert_int_equal(tc_conn_state(sh_flow(&s, 1)->conn), TC_CONN_ENCRYPTED);
	sh_stop(&s);
}

/* A peer without tcpcryptd: the flow leaves tc_flows, frames go on unchanged. */
static void test_shell_plain_peer(void **state)
{
	struct sim_opts o = { .seed = 62, .engine = { true, false }, .len = { 30000, 30000 },
			      .close = { true, true } };
	struct flow *f;
	struct sim s;

	sh_start(&s, &o);
	sim_run(&s, 60 * 1000 * SIM_MS);
	assert_true(sim_streams_intact(&s));
	f = sh_flow(&s, 0);
	assert_non_null(f);
	assert_true(f->plain);
	assert_null(f->conn);
	assert_int_equal(f->map_state, FLOW_MAP_NONE);
	assert_int_equal(sh->ft[0].st.fallbacks, 1);
	flow_expire(&sh->ft[0], s.now + 3 * NSEC);
	assert_null(sh_flow(&s, 0));
	sh_stop(&s);
}

/* Taken over from a killed daemon: its encrypted flow is reset, never passed. */
static void test_shell_adopted_flow_is_reset(void **state)
{
	struct sim_opts o = { .seed = 63, .engine = { true, true }, .len = { 400000, 0 } };
	struct tc_flow_key key;
	struct flow *f;
	struct sim s;

	sh_start(&s, &o);
	while (s.h[1].k.rcv_nxt < 20000 && !s.violations)
		sim_step(&s);
	f = sh_flow(&s, 0);
	key = f->key;
	/* the daemon dies and another takes the flow over from tc_flows */
	flow_table_fini(&sh->ft[0]);
	assert_int_equal(flow_table_init(&sh->ft[0], NULL, 1024, 2000, 600), 0);
	sh->ft[0].socket_state = fake_socket_state;
	flow_table_set_engine(&sh->ft[0], &sh->cfg);
	assert_int_equal(flow_adopt(&sh->ft[0], &key, TC_FLOW_ENCRYPTED, 0), 0);
	while (!(s.h[0].k.reset && s.h[1].k.reset) && s.now < 60000 * SIM_MS && sim_step(&s))
		;
	assert_int_equal(s.violations, 0);
	assert_true(sim_no_corruption(&s));
	assert_true(s.h[0].k.reset && s.h[1].k.reset);
	assert_true(sh->ft[0].st.lost_keys_dropped > 0);
	sh_stop(&s);
}

/*
 * A closed encrypted connection whose socket is in TIME_WAIT: its flow stays
 * (the socket could still send), but sock_diag is asked again only when
 * TIME_WAIT ends, not every second for a minute.
 */
static void test_shell_time_wait_asked_once(void **state)
{
	struct sim_opts o = { .seed = 61, .engine = { true, true }, .len = { 3000, 2000 },
			      .close = { true, true } };
	unsigned int h, asked;
	uint64_t t0;
	struct sim s;

	sh_start(&s, &o);
	sim_run(&s, 60 * 1000 * SIM_MS);
	assert_true(sim_streams_intact(&s));
	/* the side that closed first holds TIME_WAIT */
	h = s.h[0].k.fin_sent && s.h[0].k.fin_acked && s.h[0].k.fin_rcvd ? 0 : 1;
	assert_int_equal(fake_socket_state(&sh_flow(&s, h)->key), TCPS_TIME_WAIT);
	assert_true(tc_conn_closed(sh_flow(&s, h)->conn));
	t0 = s.now;
	/* the pass that sees it closed starts the grace period; then one question */
	flow_expire(&sh->ft[h], t0);
	flow_expire(&sh->ft[h], t0 + 3 * NSEC);
	assert_non_null(sh_flow(&s, h));
	asked = socket_queries;
	assert_true(sh->ft[h].st.kept_socket >= 1);
	/* a pass a second for most of a minute asks nothing */
	for (t0 += 4 * NSEC; t0 < s.now + 55 * NSEC; t0 += NSEC)
		flow_expire(&sh->ft[h], t0);
	assert_int_equal(socket_queries, asked);
	assert_non_null(sh_flow(&s, h));
	/* TIME_WAIT over, the socket gone: the flow goes at the next question */
	socket_answer = 0;
	for (; t0 < s.now + 70 * NSEC && sh_flow(&s, h); t0 += NSEC)
		flow_expire(&sh->ft[h], t0);
	assert_null(sh_flow(&s, h));
	assert_true(t0 <= s.now + 64 * NSEC);
	sh_stop(&s);
}

/* Settings left for a local port reach the next connection; sessions read back. */
static void test_shell_port_opts_and_session(void **state)
{
	struct sim_opts o = { .seed = 64, .engine = { true, true }, .len = { 5000, 5000 },
			      .close = { true, true } };
	struct tc_conn_opts p256 = { .teps = { 0x21 }, .n_teps = 1 };
	struct tc_session_info a, b;
	struct sim s;

	sh_start(&s, &o);
	/* the client's port, once */
	assert_int_equal(flow_opts_set(&sh->ft[0], AF_INET, 40000, &p256, true), 0);
	sim_run(&s, 60 * 1000 * SIM_MS);
	assert_true(sim_streams_intact(&s));
	assert_int_equal(flow_session(&sh->ft[0], &sh_flow(&s, 0)->key, &a), 0);
	assert_int_equal(flow_session(&sh->ft[1], &sh_flow(&s, 1)->key, &b), 0);
	assert_int_equal(a.tep, 0x21);
	assert_memory_equal(a.session_id, b.session_id, TC_SESSID_LEN);
	assert_int_equal(a.role, TC_ENO_ROLE_A);
	assert_int_equal(b.role, TC_ENO_ROLE_B);
	/* consumed: the table is empty again */
	assert_int_equal(sh->ft[0].npopts, 0);
	/* no such flow */
	{
		struct tc_flow_key k = sh_flow(&s, 0)->key;

		k.lport ^= 1;
		assert_int_equal(flow_session(&sh->ft[0], &k, &a), -ENOENT);
	}
	sh_stop(&s);
}

/*
 * Found by fuzz_flow: a forged RST (any sequence number) then a forged SYN
 * on the same ports made the table start a new, plain connection while the
 * encrypted one was alive, whose next data would have left in plaintext.
 */
static void test_shell_forged_rst_then_syn(void **state)
{
	struct sim_opts o = { .seed = 65, .engine = { true, true }, .len = { 0, 300000 },
			      .close = { true, true } };
	uint8_t f[SIM_FRAME_MAX];
	struct tc_conn *before;
	struct tc_seg g;
	struct sim s;
	uint32_t len, off;

	sh_start(&s, &o);
	while (s.h[0].k.rcv_nxt < 30000 && !s.violations)
		sim_step(&s);
	before = sh_conn(&s, 0);
	assert_int_equal(tc_conn_state(before), TC_CONN_ENCRYPTED);
	/* from "B" to A: a copy of B's last frame, made RST, then SYN (no ENO) */
	len = s.last_len[1];
	memcpy(f, s.last[1], len);
	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	off = g.payload_off;
	f[g.l4_off + 13] = TC_TH_RST;
	tf_put32(f + g.l4_off + 4, g.seq + 123456);
	tf_put16(f + g.l3_off + 2, off - g.l3_off);	/* IPv4: no payload */
	tf_put16(f + g.l3_off + 10, 0);
	tf_put16(f + g.l3_off + 10, ~tf_sum(f + g.l3_off, 20, 0));
	assert_int_equal(tc_seg_parse(f, off, &g), TC_SEG_TCP);
	tc_seg_fill_tcp_csum(f, &g);
	sh_via(&s, 0, true, f, off);
	f[g.l4_off + 13] = TC_TH_SYN;
	f[g.l4_off + 12] = 5 << 4;	/* no options: no ENO */
	tf_put16(f + g.l3_off + 2, g.l4_off + 20 - g.l3_off);
	tf_put16(f + g.l3_off + 10, 0);
	tf_put16(f + g.l3_off + 10, ~tf_sum(f + g.l3_off, 20, 0));
	assert_int_equal(tc_seg_parse(f, g.l4_off + 20, &g), TC_SEG_TCP);
	tc_seg_fill_tcp_csum(f, &g);
	sh_via(&s, 0, true, f, g.l4_off + 20);
	/* the live connection keeps its engine, and the transfer ends intact */
	assert_ptr_equal(sh_conn(&s, 0), before);
	sim_run(&s, 600 * 1000 * SIM_MS);
	if (s.violations)
		print_message("# %s\n", s.why);
	assert_int_equal(s.violations, 0);
	assert_true(sim_no_corruption(&s));
	sh_stop(&s);
}

/*
 * After an authenticated end, a SYN from the wire starts a new connection
 * on the tuple only once the local kernel has nothing left to resend: its
 * FIN acknowledged (FIN_WAIT2, TIME_WAIT) or its socket gone. A resend of
 * old bytes after that would leave in plaintext (found by fuzz_flow).
 */
static void test_shell_wire_reuse_waits_for_quiet_socket(void **state)
{
	struct sim_opts o = { .seed = 69, .engine = { true, true }, .len = { 30000, 30000 },
			      .close = { true, true } };
	uint8_t f[SIM_FRAME_MAX];
	struct tc_conn *before;
	struct tc_seg g;
	struct sim s;
	uint32_t len;

	sh_start(&s, &o);
	sim_run(&s, 600 * 1000 * SIM_MS);
	assert_int_equal(s.violations, 0);
	before = sh_conn(&s, 0);
	assert_true(tc_conn_finished(before));
	assert_true(sh_flow(&s, 0)->done_listed);
	/* a SYN from B's address and port (no ENO), to A */
	len = s.last_len[1];
	memcpy(f, s.last[1], len);
	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	f[g.l4_off + 13] = TC_TH_SYN;
	f[g.l4_off + 12] = 5 << 4;
	tf_put16(f + g.l3_off + 2, g.l4_off + 20 - g.l3_off);
	tf_put16(f + g.l3_off + 10, 0);
	tf_put16(f + g.l3_off + 10, ~tf_sum(f + g.l3_off, 20, 0));
	len = g.l4_off + 20;
	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	tc_seg_fill_tcp_csum(f, &g);
	socket_state_override = 4;	/* FIN_WAIT1: its FIN may be resent */
	sh_via(&s, 0, true, f, len);
	assert_ptr_equal(sh_conn(&s, 0), before);
	socket_state_override = 6;	/* TIME_WAIT */
	sh_via(&s, 0, true, f, len);
	assert_ptr_not_equal(sh_conn(&s, 0), before);
	/* the new connection on the tuple is live: nothing to make room with */
	assert_false(sh_flow(&s, 0)->done_listed);
	assert_null(sh->ft[0].done.head);
	sh_stop(&s);
}

/* Frames the flood's flow table sends, counted by side, then dropped. */
struct count_emit {
	struct emit em;
	uint8_t buf[SIM_FRAME_MAX];
	unsigned int n[2];
	uint8_t last_flags[2];
};

static uint8_t *ce_get(struct emit *em, enum xq_side to, uint32_t len)
{
	return ((struct count_emit *)em)->buf;
}

static void ce_put(struct emit *em, enum xq_side to, uint8_t *buf, uint32_t len)
{
	struct count_emit *ce = (struct count_emit *)em;
	struct tc_seg g;

	if (!len || tc_seg_parse(buf, len, &g) != TC_SEG_TCP)
		return;
	ce->n[to]++;
	ce->last_flags[to] = g.flags;
}

/* Host 1's tcpcryptd takes n spoofed copies of A's SYN (in f) from other sources. */
static void flood(struct sim *s, const uint8_t *syn, uint32_t len, unsigned int n,
		  unsigned int *next, struct count_emit *ce)
{
	uint8_t f[SIM_FRAME_MAX], src[4] = { 203, 0, 113, 0 };
	unsigned int i;

	for (i = 0; i < n; i++, (*next)++) {
		memcpy(f, syn, len);
		src[1] = *next >> 8;
		src[2] = *next;
		set_source(f, len, src, 1024 + *next % 60000);
		flow_packet(&sh->ft[1], XQ_WIRE, 0, f, len, s->now, &ce->em);
	}
}

/* Flows of a table with a tc_flows entry. */
static unsigned int mapped(struct flow_table *ft)
{
	unsigned int i, n = 0;
	struct flow *f;

	for (i = 0; i < ft->nbuckets; i++)
		for (f = ft->buckets[i]; f; f = f->next)
			n += f->map_state != FLOW_MAP_NONE;
	return n;
}

/* Step until A's SYN (with ENO) left for the wire; copy it to syn. */
static uint32_t first_syn(struct sim *s, uint8_t *syn)
{
	struct tc_seg g;

	while (!s->last_len[0] && sim_step(s))
		;
	assert_int_equal(tc_seg_parse(s->last[0], s->last_len[0], &g), TC_SEG_TCP);
	assert_int_equal(g.flags & (TC_TH_SYN | TC_TH_ACK), TC_TH_SYN);
	memcpy(syn, s->last[0], s->last_len[0]);
	return s->last_len[0];
}

/*
 * A handshake commits nothing to tc_flows before the peer proves its
 * address; while spoofed SYNs (with ENO, as a tcpcrypt host's) arrive at a
 * rate the half-open limit absorbs, the real connection is encrypted and
 * no spoofed one ever gets an entry.
 */
static void test_shell_syn_flood(void **state)
{
	struct sim_opts o = { .seed = 67, .engine = { true, true }, .len = { 60000, 60000 },
			      .close = { true, true }, .delay = SIM_MS };
	struct count_emit ce = { .em = { .get = ce_get, .put = ce_put } };
	uint8_t syn[SIM_FRAME_MAX];
	unsigned int next = 0;
	bool saw_half = false;
	struct flow *f;
	struct sim s;
	uint32_t len;

	sh_start(&s, &o);
	flow_table_set_half_open(&sh->ft[1], 128, 0);
	len = first_syn(&s, syn);
	while (!sim_done(&s) && s.steps < 200000) {
		/* a round trip takes two steps: 80 SYNs, fewer than the limit */
		flood(&s, syn, len, 40, &next, &ce);
		/* B answered A, and A has not yet proven its address: no entry */
		f = sh_flow(&s, 1);
		if (f && f->conn && !tc_conn_proven(f->conn)) {
			saw_half = true;
			assert_int_equal(f->map_state, FLOW_MAP_NONE);
			assert_int_equal(f->hside, FLOW_HALF_WIRE);
		}
		assert_true(sh->ft[1].half[FLOW_HALF_WIRE].n <= 128);
		assert_true(mapped(&sh->ft[1]) <= 1);
		if (!sim_step(&s))
			break;
	}
	assert_true(saw_half);
	assert_true(next > 128);
	assert_int_equal(s.violations, 0);
	assert_true(sim_streams_intact(&s));
	f = sh_flow(&s, 1);
	assert_non_null(f);
	assert_int_equal(tc_conn_state(f->conn), TC_CONN_ENCRYPTED);
	assert_int_equal(f->map_state, TC_FLOW_ENCRYPTED);
	assert_int_equal(f->hside, -1);
	assert_true(sh->ft[1].st.half_evicted >= next - 128);
	/* every spoofed SYN reached the kernel once, ENO stripped, nothing else */
	assert_int_equal(ce.n[XQ_HOST], next);
	assert_int_equal(ce.n[XQ_WIRE], 0);
	assert_int_equal(mapped(&sh->ft[1]), 1);
	sh_stop(&s);
}

/*
 * A handshake evicted before the peer proved its address (a flood faster
 * than the round trip): the peer's ENO ACK finds no state, and both sides
 * are reset. Never plain TCP: the peer already counts on encryption.
 */
static void test_shell_evicted_handshake_resets(void **state)
{
	struct sim_opts o = { .seed = 68, .engine = { true, true }, .len = { 60000, 60000 },
			      .close = { true, true }, .delay = 5 * SIM_MS };
	struct count_emit ce = { .em = { .get = ce_get, .put = ce_put } };
	uint8_t syn[SIM_FRAME_MAX];
	unsigned int next = 0;
	struct flow *f = NULL;
	struct sim s;
	uint32_t len;

	sh_start(&s, &o);
	flow_table_set_half_open(&sh->ft[1], 16, 0);
	len = first_syn(&s, syn);
	/* until B has answered */
	while (sim_step(&s)) {
		f = sh_flow(&s, 1);
		if (f && (f->seen_mask & (1u << XQ_HOST)))
			break;
	}
	assert_non_null(f);
	assert_false(tc_conn_proven(f->conn));
	flood(&s, syn, len, 100, &next, &ce);
	assert_null(sh_flow(&s, 1));
	sim_run(&s, 600 * 1000 * SIM_MS);
	/* B's kernel was reset first; A's reset is still on the wire */
	while (!s.h[0].k.reset && s.now < 600 * 1000 * SIM_MS && sim_step(&s))
		;
	assert_true(s.h[1].k.reset);
	assert_true(sh->ft[1].st.eno_resets >= 1);
	assert_int_equal(s.violations, 0);
	assert_true(sim_no_corruption(&s));
	/* A was reset; no byte of the connection reached either application */
	assert_true(s.h[0].k.reset);
	assert_int_equal(s.h[0].k.rcv_nxt, 0);
	assert_int_equal(s.h[1].k.rcv_nxt, 0);
	sh_stop(&s);
}

/*
 * A full table: a new connection takes the place of the oldest done one
 * (over both ways, nothing left to resend or redeliver), entry and session
 * with it; never that of a connection still open, which stays steered
 * while the new one is refused as before.
 */
static void test_shell_done_makes_room(void **state)
{
	unsigned int open;

	for (open = 0; open < 2; open++) {
		struct sim_opts o = { .seed = 90 + open, .engine = { true, true },
				      .len = { 20000, 10000 }, .close = { !open, !open } };
		struct count_emit ce = { .em = { .get = ce_get, .put = ce_put } };
		struct flow_table *ft;
		uint8_t syn[SIM_FRAME_MAX];
		unsigned int next = 0;
		struct flow *f;
		struct sim s;
		uint32_t len;

		sh_start(&s, &o);
		ft = &sh->ft[1];
		len = first_syn(&s, syn);
		sim_run(&s, 600 * 1000 * SIM_MS);
		assert_int_equal(s.violations, 0);
		assert_true(sim_streams_intact(&s));
		f = sh_flow(&s, 1);
		assert_non_null(f);
		assert_int_equal(tc_conn_done(f->conn), !open);
		assert_int_equal(f->done_listed, !open);
		assert_int_equal(f->map_state, TC_FLOW_ENCRYPTED);
		/* one spoofed handshake, then the table is full: 2 flows */
		flood(&s, syn, len, 1, &next, &ce);
		assert_int_equal(ft->count, 2);
		ft->max = 0;
		ft->half_max = 1;
		flood(&s, syn, len, 1, &next, &ce);
		if (open) {
			assert_int_equal(ft->st.evicted_done, 0);
			assert_int_equal(ft->st.table_full, 1);
			f = sh_flow(&s, 1);
			assert_non_null(f);
			assert_int_equal(f->map_state, TC_FLOW_ENCRYPTED);
			assert_false(f->dead);
		} else {
			assert_int_equal(ft->st.evicted_done, 1);
			assert_int_equal(ft->st.table_full, 0);
			assert_null(sh_flow(&s, 1));
			assert_null(ft->done.head);
			/* the new handshake is in, in the place of the old one
			 * (and of the spoofed one, by the half-open limit) */
			assert_int_equal(ft->count, 1);
			assert_int_equal(ft->half[FLOW_HALF_WIRE].n, 1);
			assert_int_equal(ft->st.half_evicted, 1);
			/* nothing left to forget: the next one is refused */
			ft->half_max = 0;
			flood(&s, syn, len, 1, &next, &ce);
			assert_int_equal(ft->st.table_full, 1);
			assert_int_equal(ft->st.evicted_done, 1);
		}
		sh_stop(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syn_key_and_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_queue_follows_the_wire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rst_idle_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_open_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_clock_behind_pollers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_open_cap_and_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_ext_and_non_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_keys_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_checksums, setup, teardown),
		cmocka_unit_test(test_shell_encrypts),
		cmocka_unit_test(test_shell_resumed),
		cmocka_unit_test(test_shell_payload_in_pieces),
		cmocka_unit_test(test_shell_encrypted_flow_leaves_with_its_socket),
		cmocka_unit_test(test_shell_time_wait_asked_once),
		cmocka_unit_test(test_key_hash_spreads_ports),
		cmocka_unit_test(test_shell_bad_checksum_dropped),
		cmocka_unit_test(test_shell_plain_peer),
		cmocka_unit_test(test_shell_adopted_flow_is_reset),
		cmocka_unit_test(test_shell_port_opts_and_session),
		cmocka_unit_test(test_shell_forged_rst_then_syn),
		cmocka_unit_test(test_shell_wire_reuse_waits_for_quiet_socket),
		cmocka_unit_test(test_shell_syn_flood),
		cmocka_unit_test(test_shell_evicted_handshake_resets),
		cmocka_unit_test(test_shell_done_makes_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
