/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building Ethernet frames with IPv4/IPv6 and TCP for unit tests and
 * fuzzers: VLAN tags, IPv6 extension headers, fragments, TCP options,
 * payload; checksums computed independently of lib/engine (a plain
 * 16-bit loop), so a test compares two implementations.
 */
#ifndef TC_TEST_FRAMES_H
#define TC_TEST_FRAMES_H

#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

struct tf {
	int v6;
	int vlans;			/* VLAN tags before the IP header */
	const uint8_t *src, *dst;	/* NULL: tf_addr defaults */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win, urg;
	uint8_t tos;
	const uint8_t *opts;		/* TCP options, a multiple of 4 */
	uint8_t optlen;
	const uint8_t *payload;		/* NULL: a pattern */
	uint32_t plen;
	uint8_t ext[10];		/* IPv6 extension header types, 0-terminated list
					 * (use 255 for Hop-by-Hop, which is 0) */
	uint8_t ext_after[4];		/* IPv6: extension headers after the fragment header */
	int frag;			/* 1: add a fragment (IPv4 flags / IPv6 header) */
	uint16_t frag_off;		/* in 8-byte units */
	int frag_mf;
	uint8_t proto;			/* 0: TCP */
	int bad_ip_csum, bad_tcp_csum;
	int partial_tcp_csum;		/* pseudo-header sum only */
	uint32_t pad;			/* Ethernet padding after the datagram */
};

static const uint8_t tf_ip4_a[4] = { 192, 0, 2, 1 }, tf_ip4_b[4] = { 192, 0, 2, 2 };
static const uint8_t tf_ip6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t tf_ip6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static inline uint32_t tf_sum(const uint8_t *p, size_t len, uint32_t sum)
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

static inline void tf_put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static inline void tf_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

/* Build the frame into out (room for 14 + 12 + 40 + 80 + 60 + plen + pad). */
static inline uint32_t tf_build(uint8_t *out, const struct tf *t)
{
	const uint8_t *src = t->src ? t->src : (t->v6 ? tf_ip6_a : tf_ip4_a);
	const uint8_t *dst = t->dst ? t->dst : (t->v6 ? tf_ip6_b : tf_ip4_b);
	uint32_t alen = t->v6 ? 16 : 4, off = 14, l3, l4, thl = 20 + t->optlen, i;
	uint32_t tcp_len = thl + t->plen;
	uint8_t proto = t->proto ? t->proto : IPPROTO_TCP, *nh_field;
	int v;

	memset(out, 0, 14);
	out[0] = 0x02; out[5] = 0x02;		/* dst MAC */
	out[6] = 0x02; out[11] = 0x01;		/* src MAC */
	for (v = 0; v < t->vlans; v++) {
		tf_put16(out + off - 2, 0x8100);
		tf_put16(out + off, 100 + v);
		off += 4;
	}
	tf_put16(out + off - 2, t->v6 ? 0x86dd : 0x0800);
	l3 = off;
	if (t->v6) {
		uint8_t *ip = out + l3;
		int n;

		memset(ip, 0, 40);
		ip[0] = 0x60 | t->tos >> 4;
		ip[1] = t->tos << 4;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		nh_field = ip + 6;
		off = l3 + 40;
		for (n = 0; n < 10 && t->ext[n]; n++) {
			uint8_t type = t->ext[n] == 255 ? 0 : t->ext[n];

			*nh_field = type;
			memset(out + off, 0, 8);
			nh_field = out + off;
			if (type == IPPROTO_AH)
				out[off + 1] = 0;	/* (0 + 2) * 4 = 8 bytes */
			off += 8;
		}
		if (t->frag) {
			*nh_field = IPPROTO_FRAGMENT;
			memset(out + off, 0, 8);
			nh_field = out + off;
			tf_put16(out + off + 2, t->frag_off << 3 | (t->frag_mf ? 1 : 0));
			tf_put32(out + off + 4, 0x11223344);
			off += 8;
			for (n = 0; n < 4 && t->ext_after[n]; n++) {
				*nh_field = t->ext_after[n];
				memset(out + off, 0, 8);
				nh_field = out + off;
				off += 8;
			}
		}
		*nh_field = proto;
		tf_put16(ip + 4, off - l3 - 40 + tcp_len);
	} else {
		uint8_t *ip = out + l3;

		memset(ip, 0, 20);
		ip[0] = 0x45;
		ip[1] = t->tos;
		tf_put16(ip + 2, 20 + tcp_len);
		tf_put16(ip + 4, 0x1234);
		if (t->frag)
			tf_put16(ip + 6, t->frag_off | (t->frag_mf ? 0x2000 : 0));
		else
			tf_put16(ip + 6, 0x4000);	/* DF */
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		tf_put16(ip + 10, (uint16_t)~tf_sum(ip, 20, 0) ^ (t->bad_ip_csum ? 1 : 0));
		off = l3 + 20;
	}
	l4 = off;
	{
		uint8_t *th = out + l4;
		uint32_t pseudo;

		memset(th, 0, 20);
		tf_put16(th, t->sport);
		tf_put16(th + 2, t->dport);
		tf_put32(th + 4, t->seq);
		tf_put32(th + 8, t->ack);
		th[12] = (thl / 4) << 4;
		th[13] = t->flags;
		tf_put16(th + 14, t->win);
		tf_put16(th + 18, t->urg);
		if (t->optlen)
			memcpy(th + 20, t->opts, t->optlen);
		for (i = 0; i < t->plen; i++)
			th[thl + i] = t->payload ? t->payload[i] : (uint8_t)(i * 7 + 3);
		pseudo = tf_sum(src, alen, 0) + tf_sum(dst, alen, 0) + IPPROTO_TCP + tcp_len;
		if (t->partial_tcp_csum)
			tf_put16(th + 16, tf_sum(NULL, 0, pseudo));
		else
			tf_put16(th + 16, (uint16_t)~tf_sum(th, tcp_len, pseudo) ^
				 (t->bad_tcp_csum ? 1 : 0));
	}
	off = l4 + tcp_len;
	memset(out + off, 0, t->pad);
	return off + t->pad;
}

#endif
