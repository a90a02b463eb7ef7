// SPDX-License-Identifier: GPL-2.0
/*
 * Coalescing of host-bound segments (userspace/tcpcryptd/coalesce.c,
 * compiled in here): what joins a run and what ends it (GRO's rules), and
 * the run's rewritten headers: lengths, PSH, and a TCP checksum derived from
 * the members' own that verifies over the concatenated segment exactly when
 * every member's did.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "tcpcryptd/coalesce.c"

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20
#define F_CWR 0x80

struct segopts {
	int v6;
	uint32_t seq, ack;
	uint8_t flags;
	uint32_t payload;
	uint32_t tsval;		/* TCP timestamp option value */
	uint8_t tos;
	uint8_t ttl;
	uint16_t win;
	bool ip_opts;		/* IPv4 options / an IPv6 extension header */
	bool no_df;
	bool bad_csum;
	uint16_t sport;
};

static const uint8_t A4[4] = { 192, 0, 2, 2 }, B4[4] = { 192, 0, 2, 1 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

/* A segment from the wire (A -> B) with correct checksums; its length. */
static uint32_t mkseg(uint8_t *f, const struct segopts *o)
{
	uint32_t l3 = 14, l4, n, i;
	const uint8_t *sa = o->v6 ? A6 : A4, *da = o->v6 ? B6 : B4;
	uint8_t alen = o->v6 ? 16 : 4, *th;
	uint64_t sum;

	memset(f, 0, 4096);
	tc_put16(f + 12, o->v6 ? 0x86dd : 0x0800);
	if (o->v6) {
		f[l3] = 0x60 | o->tos >> 4;
		f[l3 + 1] = (o->tos & 0xf) << 4;
		f[l3 + 6] = o->ip_opts ? IPPROTO_DSTOPTS : IPPROTO_TCP;
		f[l3 + 7] = o->ttl ? o->ttl : 64;
		memcpy(f + l3 + 8, sa, 16);
		memcpy(f + l3 + 24, da, 16);
		l4 = l3 + 40;
		if (o->ip_opts) {
			f[l4] = IPPROTO_TCP;
			l4 += 8;
		}
	} else {
		f[l3] = o->ip_opts ? 0x46 : 0x45;
		f[l3 + 1] = o->tos;
		tc_put16(f + l3 + 6, o->no_df ? 0 : 0x4000);
		f[l3 + 8] = o->ttl ? o->ttl : 64;
		f[l3 + 9] = IPPROTO_TCP;
		memcpy(f + l3 + 12, sa, 4);
		memcpy(f + l3 + 16, da, 4);
		l4 = l3 + (o->ip_opts ? 24 : 20);
	}
	th = f + l4;
	tc_put16(th, o->sport ? o->sport : 5201);
	tc_put16(th + 2, 40000);
	tc_put32(th + 4, o->seq);
	tc_put32(th + 8, o->ack);
	th[12] = 8 << 4;		/* 20 + NOP NOP TS(10) */
	th[13] = o->flags;
	tc_put16(th + 14, o->win ? o->win : 1000);
	th[20] = th[21] = 1;
	th[22] = 8;
	th[23] = 10;
	tc_put32(th + 24, o->tsval);
	tc_put32(th + 28, 77);
	for (i = 0; i < o->payload; i++)
		th[32 + i] = (uint8_t)(o->seq + i * 13);
	n = l4 + 32 + o->payload;
	if (o->v6) {
		tc_put16(f + l3 + 4, n - l3 - 40);
	} else {
		tc_put16(f + l3 + 2, n - l3);
		sum = tc_csum_add(0, f + l3, l4 - l3);
		tc_put16(f + l3 + 10, ~tc_csum_fold(sum));
	}
	sum = tc_csum_pseudo(sa, da, alen, 32 + o->payload);
	tc_put16(th + 16, ~tc_csum_fold(tc_csum_add(sum, th, 32 + o->payload)));
	if (o->bad_csum)
		th[17] ^= 0x40;
	return n;
}

/* A run kept the way the poller keeps it: the first frame and a copy of all payload. */
struct harness {
	struct run r;
	uint8_t first[70000];
	uint8_t cat[70000];	/* first frame's headers + every payload, as the stack gets it */
	uint32_t catlen;
	uint8_t pkt[4096];
	struct tc_seg s;
};

static struct harness H;

static bool add(const struct segopts *o)
{
	uint32_t len = mkseg(H.pkt, o);

	assert_int_equal(tc_seg_parse(H.pkt, len, &H.s), TC_SEG_TCP);
	if (!H.r.active) {
		if (!coal_eligible(H.pkt, &H.s))
			return false;
		memcpy(H.first, H.pkt, len);
		coal_start(&H.r, H.first, H.pkt, &H.s);
		H.r.nd = 1;
		memcpy(H.cat, H.pkt, len);
		H.catlen = len;
		return true;
	}
	if (!coal_joins(&H.r, H.pkt, &H.s, 1))
		return false;
	coal_add(&H.r, H.pkt, &H.s);
	H.r.nd++;
	memcpy(H.cat + H.catlen, H.pkt + H.s.payload_off, H.s.payload_len);
	H.catlen += H.s.payload_len;
	return true;
}

/* Finish the run; the concatenated segment with its rewritten headers, parsed. */
static void finish(struct tc_seg *out)
{
	coal_finish(&H.r);
	memcpy(H.cat, H.first, H.r.seg.payload_off);
	assert_int_equal(tc_seg_parse(H.cat, H.catlen, out), TC_SEG_TCP);
}

static int reset(void **state)
{
	memset(&H.r, 0, sizeof(H.r));
	return 0;
}

/* In-order data of both families joins; the result is one valid segment. */
static void test_in_order_run(void **state)
{
	static const uint32_t lens[] = { 1448, 1448, 777, 1, 1448, 1000, 3 };
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		struct segopts o = { .v6 = v6, .seq = 1000, .ack = 5, .flags = F_ACK, .tsval = 9 };
		uint32_t total = 0;
		struct tc_seg s;
		size_t i;

		reset(NULL);
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			o.payload = lens[i];
			if (i + 1 == sizeof(lens) / sizeof(lens[0]))
				o.flags |= F_PSH;
			assert_true(add(&o));
			o.seq += lens[i];
			total += lens[i];
		}
		finish(&s);
		assert_int_equal(H.r.nframes, 7);
		assert_int_equal(s.payload_len, total);
		assert_int_equal(s.seq, 1000);
		assert_int_equal(s.flags, F_ACK | F_PSH);
		/* odd-length members in the middle: the derived sum still verifies */
		assert_true(tc_seg_tcp_csum_ok(H.cat, &s));
		/* the run ended with PSH: the next in-order segment starts anew */
		o.payload = 10;
		o.flags = F_ACK;
		assert_false(add(&o));
	}
}

/* Each change that ends a run in GRO ends it here. */
static void test_boundaries(void **state)
{
	const struct segopts base = { .seq = 1000, .ack = 5, .flags = F_ACK, .payload = 100,
				      .tsval = 9 };
	struct {
		const char *what;
		struct segopts o;
	} cases[] = {
		{ "a gap", { .seq = 1201 } },
		{ "a retransmission", { .seq = 1100 } },
		{ "out of order (ahead)", { .seq = 1300 } },
		{ "another ACK", { .ack = 6 } },
		{ "another window", { .win = 999 } },
		{ "other options (a new timestamp)", { .tsval = 10 } },
		{ "an ECN CE mark", { .tos = 0x03 } },
		{ "another TTL", { .ttl = 63 } },
		{ "DF cleared", { .no_df = true } },
		{ "FIN", { .flags = F_ACK | F_FIN } },
		{ "RST", { .flags = F_ACK | F_RST } },
		{ "SYN", { .flags = F_ACK | F_SYN } },
		{ "URG", { .flags = F_ACK | F_URG } },
		{ "CWR", { .flags = F_ACK | F_CWR } },
		{ "no payload (a pure ACK)", { .payload = 0 } },
		{ "IP options", { .ip_opts = true } },
		{ "another flow", { .sport = 5202 } },
	};
	size_t i;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct segopts a = base, b = base, *c = &cases[i].o;

			a.v6 = b.v6 = v6;
			b.seq = 1200;
			if (c->seq)
				b.seq = c->seq;
			if (c->ack)
				b.ack = c->ack;
			if (c->win)
				b.win = c->win;
			if (c->tsval)
				b.tsval = c->tsval;
			if (c->tos)
				b.tos = c->tos;
			if (c->ttl)
				b.ttl = c->ttl;
			if (c->flags)
				b.flags = c->flags;
			if (!strcmp(cases[i].what, "no payload (a pure ACK)"))
				b.payload = 0;
			b.no_df = c->no_df;
			b.ip_opts = c->ip_opts;
			b.sport = c->sport;
			if (v6 && c->no_df)
				continue;		/* IPv6 has no DF */
			reset(NULL);
			assert_true(add(&a));
			a.seq = 1100;
			assert_true(add(&a));		/* in order: joins */
			print_message("# %s %s\n", v6 ? "IPv6:" : "IPv4:", cases[i].what);
			assert_false(add(&b));
		}
	}
}

/* 64 KB of IP datagram, and XQ_MAX_CHAIN descriptors, end a run. */
static void test_limits(void **state)
{
	struct segopts o = { .seq = 1, .flags = F_ACK, .payload = 1448 };
	struct tc_seg s;
	int n = 0;

	reset(NULL);
	while (add(&o)) {
		o.seq += o.payload;
		n++;
		H.r.nd = 1;	/* descriptors are not the limit here */
	}
	finish(&s);
	assert_true(H.r.ip_len <= 65535);
	assert_true(H.r.ip_len + 1448 > 65535);
	assert_int_equal(n, (65535 - 20 - 32) / 1448);
	assert_true(tc_seg_tcp_csum_ok(H.cat, &s));

	reset(NULL);
	o.payload = 10;
	assert_true(add(&o));
	H.r.nd = COAL_MAX_DESCS;
	o.seq += 10;
	assert_false(add(&o));
}

/* One corrupt member: the run fails the stack's checksum, never passes. */
static void test_corrupt_member_fails(void **state)
{
	struct segopts o = { .seq = 1, .flags = F_ACK, .payload = 500 };
	struct tc_seg s;
	int i;

	for (i = 0; i < 3; i++) {
		reset(NULL);
		o.seq = 1;
		o.bad_csum = i == 0;
		assert_true(add(&o));
		o.seq += 500;
		o.bad_csum = i == 1;
		assert_true(add(&o));
		o.seq += 500;
		o.bad_csum = false;
		assert_true(add(&o));
		finish(&s);
		if (i < 2)
			assert_false(tc_seg_tcp_csum_ok(H.cat, &s));
		else
			assert_true(tc_seg_tcp_csum_ok(H.cat, &s));
	}
}

/* A run of one frame is sent untouched. */
static void test_single_frame_untouched(void **state)
{
	struct segopts o = { .seq = 7, .flags = F_ACK, .payload = 42 };
	uint8_t copy[4096];
	struct tc_seg s;

	reset(NULL);
	assert_true(add(&o));
	memcpy(copy, H.first, H.catlen);
	finish(&s);
	assert_memory_equal(copy, H.first, H.catlen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_in_order_run, reset),
		cmocka_unit_test_setup(test_boundaries, reset),
		cmocka_unit_test_setup(test_limits, reset),
		cmocka_unit_test_setup(test_corrupt_member_fails, reset),
		cmocka_unit_test_setup(test_single_frame_untouched, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
