// SPDX-License-Identifier: GPL-2.0
/*
 * Wire runs (userspace/tcpcryptd/gso.c, compiled in here): which engine
 * segments may leave as one GSO packet, and that the packet handed to the
 * packet socket is one the kernel's GSO cuts back into exactly those
 * segments: virtio-net header, headers rewritten for the whole run, the
 * pseudo-header checksum seed, the payloads in order. The packet socket is
 * replaced by a SOCK_SEQPACKET pair, which keeps the message as sent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "tcpcryptd/coalesce.c"
#include "tcpcryptd/gso.c"
#include "unit/frames.h"

#define F_FIN 0x01
#define F_SYN 0x02
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20
#define F_CWR 0x80

#define SEG_ROOM 2048
#define NSEG 80

static uint8_t stream[70000];
static uint8_t segs[NSEG][SEG_ROOM];
static const uint8_t ts_opts[12] = { 1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9 };

struct mk {
	int v6;
	uint32_t off;		/* stream offset of the payload */
	uint32_t plen;
	uint8_t flags;		/* beyond ACK */
	uint32_t ack;
	uint16_t sport;
	uint8_t tos;
	uint8_t tsval;
};

/* Engine-made segment K: seq 1000 + off, timestamps, ACK; its parse. */
static uint32_t mkseg(int k, const struct mk *m, struct tc_seg *s)
{
	uint8_t opts[12];
	struct tf t = {
		.v6 = m->v6, .sport = m->sport ? m->sport : 40000, .dport = 443,
		.seq = 1000 + m->off, .ack = m->ack ? m->ack : 5000,
		.flags = F_ACK | m->flags, .win = 512, .tos = m->tos,
		.opts = opts, .optlen = sizeof(opts),
		.payload = stream + m->off, .plen = m->plen,
	};
	uint32_t len;

	memcpy(opts, ts_opts, sizeof(opts));
	opts[7] += m->tsval;
	len = tf_build(segs[k], &t);
	assert_int_equal(tc_seg_parse(segs[k], len, s), TC_SEG_TCP);
	return len;
}

/* Start a run with N segments of MSS bytes (all must join). */
static void run_of_n(struct wrun *w, int v6, int n, uint32_t mss)
{
	struct mk m = { .v6 = v6, .plen = mss };
	struct tc_seg s;
	uint32_t len;
	int k;

	for (k = 0; k < n; k++) {
		m.off = k * mss;
		len = mkseg(k, &m, &s);
		if (!k) {
			assert_true(wrun_eligible(segs[k], len, &s));
			wrun_start(w, segs[k], len, &s);
		} else {
			assert_true(wrun_add(w, segs[k], len, &s));
		}
	}
}

/* Try segment K (made from M) on W. */
static bool joins(struct wrun *w, int k, const struct mk *m)
{
	struct tc_seg s;
	uint32_t len = mkseg(k, m, &s);

	return wrun_add(w, segs[k], len, &s);
}

static void setup_stream(void)
{
	size_t i;

	for (i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)(i * 131 + (i >> 8));
}

/*
 * Send a run of NFULL MSS segments and a LAST-byte one with PSH through a
 * socket pair and cut what arrives as tcp_gso_segment() would: every piece
 * must be the segment the engine made, but for the IPv4 id and checksums.
 */
static void check_round_trip(int v6, int nfull, uint32_t mss, uint32_t last)
{
	static uint8_t got[70000 + 512];
	struct virtio_net_hdr vh;
	struct wrun w;
	struct tc_seg s, g;
	struct mk m = { .v6 = v6, .off = nfull * mss, .plen = last, .flags = F_PSH };
	uint32_t total = nfull * mss + last, pseudo, alen = v6 ? 16 : 4, k, n;
	int sv[2];
	ssize_t r;

	setup_stream();
	run_of_n(&w, v6, nfull, mss);
	assert_true(joins(&w, nfull, &m));
	assert_int_equal(w.nseg, nfull + 1);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(wrun_send(sv[0], &w), 0);
	r = recv(sv[1], got, sizeof(got), 0);
	close(sv[0]);
	close(sv[1]);
	assert_true(r > (ssize_t)sizeof(vh));
	memcpy(&vh, got, sizeof(vh));
	assert_int_equal(tc_seg_parse(got + sizeof(vh), r - sizeof(vh), &g), TC_SEG_TCP);
	assert_int_equal(g.payload_len, total);
	assert_int_equal(g.seq, 1000);
	assert_int_equal(g.flags, F_ACK | F_PSH);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.gso_type, v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(vh.gso_size, mss);
	assert_int_equal(vh.hdr_len, g.payload_off);
	assert_int_equal(vh.csum_start, g.l4_off);
	assert_int_equal(vh.csum_offset, 16);
	/* CHECKSUM_PARTIAL: the field holds the pseudo-header sum of the whole */
	pseudo = tf_sum(g.saddr, alen, 0) + tf_sum(g.daddr, alen, 0) + IPPROTO_TCP +
		 g.thl + total;
	assert_int_equal(tc_get16(got + sizeof(vh) + g.l4_off + 16), tf_sum(NULL, 0, pseudo));
	if (!v6)	/* an IP header the peer's stack accepts */
		assert_int_equal(tf_sum(got + sizeof(vh) + g.l3_off, 20, 0), 0xffff);
	assert_memory_equal(got + sizeof(vh) + g.payload_off, stream, total);

	/* each piece GSO would make is the engine's segment */
	for (k = 0; k <= (uint32_t)nfull; k++) {
		uint8_t cut[SEG_ROOM];
		uint8_t *th = cut + g.l4_off;

		n = k < (uint32_t)nfull ? mss : last;
		memcpy(cut, got + sizeof(vh), g.payload_off);
		memcpy(cut + g.payload_off, got + sizeof(vh) + g.payload_off + k * mss, n);
		tc_put32(th + 4, 1000 + k * mss);
		if (k < (uint32_t)nfull)
			th[13] &= ~(F_PSH | F_FIN);
		if (v6)
			tc_put16(cut + g.l3_off + 4, g.thl + n);
		else
			tc_put16(cut + g.l3_off + 2, 20 + g.thl + n);
		assert_int_equal(tc_seg_parse(segs[k], g.payload_off + n, &s), TC_SEG_TCP);
		/* not compared: IPv4 id and checksum (GSO numbers them), TCP checksum */
		if (!v6) {
			assert_memory_equal(cut, segs[k], g.l3_off + 4);
			assert_memory_equal(cut + g.l3_off + 6, segs[k] + g.l3_off + 6, 4);
			assert_memory_equal(cut + g.l3_off + 12, segs[k] + g.l3_off + 12, 8);
		} else {
			assert_memory_equal(cut, segs[k], g.l4_off);
		}
		assert_memory_equal(th, segs[k] + g.l4_off, 16);
		assert_memory_equal(th + 18, segs[k] + g.l4_off + 18, g.thl - 18 + n);
	}
}

static void test_run_is_one_gso_packet_v4(void **state)
{
	(void)state;
	check_round_trip(0, 5, 1000, 300);
	check_round_trip(0, 43, 1448, 1448);
}

static void test_run_is_one_gso_packet_v6(void **state)
{
	(void)state;
	check_round_trip(1, 5, 1000, 1);
	check_round_trip(1, 44, 1428, 700);
}

/* Everything that must start a new run (GSO could not make it from this one). */
static void test_what_ends_a_run(void **state)
{
	struct mk m;
	struct wrun w;
	struct tc_seg s;
	uint32_t len;

	(void)state;
	setup_stream();
#define NEXT(field, value) do { \
		run_of_n(&w, 0, 3, 1000); \
		m = (struct mk){ .off = 3000, .plen = 1000 }; \
		m.field = value; \
		assert_false(joins(&w, 3, &m)); \
		assert_int_equal(w.nseg, 3); \
	} while (0)
	NEXT(off, 3001);		/* not the next sequence number */
	NEXT(plen, 1001);		/* longer than the run's size */
	NEXT(ack, 5001);		/* another acknowledgement */
	NEXT(sport, 40001);		/* another connection */
	NEXT(tos, 1);			/* another ECN codepoint */
	NEXT(tsval, 1);			/* other options */
	NEXT(flags, F_CWR);		/* GSO puts CWR on the first segment only */
	NEXT(flags, F_FIN);
	NEXT(flags, F_URG);
#undef NEXT
	/* a shorter segment is the last: nothing joins after it */
	run_of_n(&w, 0, 2, 1000);
	m = (struct mk){ .off = 2000, .plen = 500 };
	assert_true(joins(&w, 2, &m));
	m = (struct mk){ .off = 2500, .plen = 500 };
	assert_false(joins(&w, 3, &m));
	/* PSH joins and closes the run */
	run_of_n(&w, 0, 2, 1000);
	m = (struct mk){ .off = 2000, .plen = 1000, .flags = F_PSH };
	assert_true(joins(&w, 2, &m));
	m = (struct mk){ .off = 3000, .plen = 1000 };
	assert_false(joins(&w, 3, &m));
	/* no more than 64 KB of IP datagram */
	run_of_n(&w, 0, 45, 1448);
	m = (struct mk){ .off = 45 * 1448, .plen = 1448 };
	assert_false(joins(&w, 45, &m));
	/* no more than GSO_MAX_SEGS segments */
	run_of_n(&w, 0, GSO_MAX_SEGS, 100);
	m = (struct mk){ .off = GSO_MAX_SEGS * 100, .plen = 100 };
	assert_false(joins(&w, GSO_MAX_SEGS, &m));
	/* a pure ACK or a SYN never starts one */
	m = (struct mk){ .plen = 0 };
	len = mkseg(0, &m, &s);
	assert_false(wrun_eligible(segs[0], len, &s));
	m = (struct mk){ .plen = 10, .flags = F_SYN };
	len = mkseg(0, &m, &s);
	assert_false(wrun_eligible(segs[0], len, &s));
	/* a frame with Ethernet padding is not what the engine makes */
	m = (struct mk){ .plen = 10 };
	len = mkseg(0, &m, &s);
	assert_false(wrun_eligible(segs[0], len + 6, &s));
}

/* A refused send is reported, so the poller can send the segments itself. */
static void test_send_error_reported(void **state)
{
	struct wrun w;

	(void)state;
	setup_stream();
	run_of_n(&w, 0, 3, 1000);
	assert_int_equal(wrun_send(-1, &w), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_is_one_gso_packet_v4),
		cmocka_unit_test(test_run_is_one_gso_packet_v6),
		cmocka_unit_test(test_what_ends_a_run),
		cmocka_unit_test(test_send_error_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
