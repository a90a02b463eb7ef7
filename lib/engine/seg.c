// SPDX-License-Identifier: GPL-2.0
/* The frame parser and the Internet checksum (see seg.h). */
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include "engine/seg.h"

#define IP4_MF		0x2000
#define IP4_OFFSET	0x1fff
#define IP6_MF		0x0001
#define IP6_OFFSET	0xfff8

const char *tc_seg_kind_str(enum tc_seg_kind k)
{
	static const char *const names[] = {
		[TC_SEG_TCP] = "tcp",
		[TC_SEG_NOT_TCP] = "not_tcp",
		[TC_SEG_FRAG_FIRST] = "frag_first",
		[TC_SEG_FRAG_LATER] = "frag_later",
		[TC_SEG_MALFORMED] = "malformed",
		[TC_SEG_TOO_DEEP] = "too_deep",
	};

	return k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

/*
 * Native-order 32-bit words into four accumulators (no carries lost: a 64-bit
 * sum of 32-bit words overflows only past 16 GB). The one's complement sum
 * of little-endian 16-bit words is the byte swap of the big-endian sum
 * (RFC 1071 2(B)), so the result is swapped once at the end. 1.7 times the
 * speed of a big-endian 64-bit loop here (53 vs 92 ns per 1448 bytes).
 */
uint64_t tc_csum_add(uint64_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t a = 0, b = 0, c = 0, d = 0;

	while (len >= 16) {
		uint32_t w[4];

		memcpy(w, p, 16);
		a += w[0];
		b += w[1];
		c += w[2];
		d += w[3];
		p += 16;
		len -= 16;
	}
	a += b + c + d;
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		a += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		a += w;
		p += 2;
		len -= 2;
	}
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	if (len)
		a += (uint32_t)*p << 8;
	return sum + tc_csum_fold(a);
#else
	if (len)
		a += *p;	/* the odd byte: low byte of its little-endian word */
	a = tc_csum_fold(a);
	return sum + (uint16_t)(a >> 8 | a << 8);
#endif
}

uint16_t tc_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint64_t tc_csum_pseudo(const uint8_t *saddr, const uint8_t *daddr, uint8_t alen,
			uint32_t tcp_len)
{
	uint64_t sum = tc_csum_add(0, saddr, alen);

	sum = tc_csum_add(sum, daddr, alen);
	return sum + IPPROTO_TCP + tcp_len;
}

static uint32_t tcp_len(const struct tc_seg *s)
{
	return s->ip_end - s->l4_off;
}

bool tc_seg_tcp_csum_ok(const uint8_t *frame, const struct tc_seg *s)
{
	uint64_t sum = tc_csum_pseudo(s->saddr, s->daddr, s->alen, tcp_len(s));

	return tc_csum_fold(tc_csum_add(sum, frame + s->l4_off, tcp_len(s))) == 0xffff;
}

bool tc_seg_tcp_csum_partial(const uint8_t *frame, const struct tc_seg *s)
{
	uint16_t check = tc_get16(frame + s->l4_off + 16);

	return check == tc_csum_fold(tc_csum_pseudo(s->saddr, s->daddr, s->alen, tcp_len(s)));
}

void tc_seg_fill_tcp_csum(uint8_t *frame, const struct tc_seg *s)
{
	uint8_t *th = frame + s->l4_off;
	uint64_t sum = tc_csum_pseudo(s->saddr, s->daddr, s->alen, tcp_len(s));

	th[16] = th[17] = 0;
	tc_put16(th + 16, ~tc_csum_fold(tc_csum_add(sum, th, tcp_len(s))));
}

void tc_seg_fill_ip_csum(uint8_t *frame, const struct tc_seg *s)
{
	uint8_t *ip = frame + s->l3_off;

	if (s->family != AF_INET)
		return;
	ip[10] = ip[11] = 0;
	tc_put16(ip + 10, ~tc_csum_fold(tc_csum_add(0, ip, (ip[0] & 0xf) * 4)));
}

/* The TCP header at off, within the datagram ending at s->ip_end. */
static enum tc_seg_kind parse_tcp(const uint8_t *f, uint32_t off, struct tc_seg *s)
{
	const uint8_t *th = f + off;
	uint32_t thl;

	s->l4_off = off;
	if (off + TC_TCP_HLEN > s->ip_end)
		return TC_SEG_MALFORMED;
	thl = (th[12] >> 4) * 4;
	if (thl < TC_TCP_HLEN || off + thl > s->ip_end)
		return TC_SEG_MALFORMED;
	s->thl = thl;
	s->sport = tc_get16(th);
	s->dport = tc_get16(th + 2);
	s->seq = tc_get32(th + 4);
	s->ack = tc_get32(th + 8);
	s->flags = th[13];
	s->win = tc_get16(th + 14);
	s->urg = tc_get16(th + 18);
	s->payload_off = off + thl;
	s->payload_len = s->ip_end - s->payload_off;
	return TC_SEG_TCP;
}

static enum tc_seg_kind parse_ipv4(const uint8_t *f, uint32_t len, uint32_t l3,
				   struct tc_seg *s)
{
	const uint8_t *ip = f + l3;
	uint32_t ihl, tot;
	uint16_t frag;

	if (l3 + 20 > len || ip[0] >> 4 != 4)
		return TC_SEG_MALFORMED;
	ihl = (ip[0] & 0xf) * 4;
	tot = tc_get16(ip + 2);
	/* what ip_rcv_core() drops */
	if (ihl < 20 || tot < ihl || l3 + tot > len || l3 + ihl > len ||
	    tc_csum_fold(tc_csum_add(0, ip, ihl)) != 0xffff)
		return TC_SEG_MALFORMED;
	s->family = AF_INET;
	s->alen = 4;
	s->tos = ip[1];
	s->saddr = ip + 12;
	s->daddr = ip + 16;
	s->ip_end = l3 + tot;
	if (ip[9] != IPPROTO_TCP)
		return TC_SEG_NOT_TCP;
	frag = tc_get16(ip + 6);
	if (frag & (IP4_MF | IP4_OFFSET)) {
		s->frag_id = tc_get16(ip + 4);
		if (frag & IP4_OFFSET)
			return TC_SEG_FRAG_LATER;
		/* a first fragment must show the ports */
		if (l3 + ihl + 4 > s->ip_end)
			return TC_SEG_MALFORMED;
		s->l4_off = l3 + ihl;
		s->sport = tc_get16(f + l3 + ihl);
		s->dport = tc_get16(f + l3 + ihl + 2);
		return TC_SEG_FRAG_FIRST;
	}
	return parse_tcp(f, l3 + ihl, s);
}

static enum tc_seg_kind parse_ipv6(const uint8_t *f, uint32_t len, uint32_t l3,
				   struct tc_seg *s)
{
	const uint8_t *ip = f + l3;
	uint32_t off = l3 + 40, plen;
	bool frag_first = false;
	uint8_t nh;
	int i;

	if (l3 + 40 > len || ip[0] >> 4 != 6)
		return TC_SEG_MALFORMED;
	plen = tc_get16(ip + 4);
	/* payload length 0 is a jumbogram: not on these links */
	if (!plen || l3 + 40 + plen > len)
		return TC_SEG_MALFORMED;
	s->family = AF_INET6;
	s->alen = 16;
	s->tos = (ip[0] & 0xf) << 4 | ip[1] >> 4;
	s->saddr = ip + 8;
	s->daddr = ip + 24;
	s->ip_end = l3 + 40 + plen;
	nh = ip[6];
	for (i = 0; i <= TC_SEG_EXT_MAX; i++) {
		const uint8_t *eh = f + off;

		switch (nh) {
		case IPPROTO_TCP:
			if (!frag_first)
				return parse_tcp(f, off, s);
			/* a first fragment must show the ports */
			if (off + 4 > s->ip_end)
				return TC_SEG_MALFORMED;
			s->l4_off = off;
			s->sport = tc_get16(f + off);
			s->dport = tc_get16(f + off + 2);
			return TC_SEG_FRAG_FIRST;
		case IPPROTO_HOPOPTS:
			/* only right after the fixed header (ipv6_rcv) */
			if (i)
				return TC_SEG_NOT_TCP;
			/* fall through */
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (off + 8 > s->ip_end)
				return TC_SEG_MALFORMED;
			nh = eh[0];
			off += (eh[1] + 1) * 8;
			break;
		case IPPROTO_AH:
			if (off + 8 > s->ip_end)
				return TC_SEG_MALFORMED;
			nh = eh[0];
			off += (eh[1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT: {
			uint16_t fo;

			if (off + 8 > s->ip_end)
				return TC_SEG_MALFORMED;
			fo = tc_get16(eh + 2);
			nh = eh[0];
			off += 8;
			/* an atomic fragment is a whole datagram (ipv6_frag_rcv) */
			if (!(fo & (IP6_MF | IP6_OFFSET)))
				break;
			s->frag_id = tc_get32(eh + 4);
			if (fo & IP6_OFFSET)
				return TC_SEG_FRAG_LATER;
			/* a first fragment: the headers after it say what it carries */
			frag_first = true;
			break;
		}
		default:
			/* ESP, no next header, unknown: never reaches TCP as such */
			return TC_SEG_NOT_TCP;
		}
		if (off > s->ip_end)
			return TC_SEG_MALFORMED;
	}
	return TC_SEG_TOO_DEEP;
}

enum tc_seg_kind tc_seg_parse(const uint8_t *f, uint32_t len, struct tc_seg *s)
{
	uint32_t l3 = ETH_HLEN;
	uint16_t proto;
	int i;

	memset(s, 0, sizeof(*s));
	s->kind = TC_SEG_MALFORMED;
	if (len < ETH_HLEN)
		return s->kind;
	proto = tc_get16(f + 12);
	for (i = 0; i < TC_SEG_VLAN_MAX && (proto == ETH_P_8021Q || proto == ETH_P_8021AD);
	     i++) {
		if (l3 + 4 > len)
			return s->kind;
		proto = tc_get16(f + l3 + 2);
		l3 += 4;
	}
	s->l3_off = l3;
	/* deeper stacks could still reach TCP through nested VLAN devices */
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD)
		s->kind = TC_SEG_TOO_DEEP;
	else if (proto == ETH_P_IP)
		s->kind = parse_ipv4(f, len, l3, s);
	else if (proto == ETH_P_IPV6)
		s->kind = parse_ipv6(f, len, l3, s);
	else
		s->kind = TC_SEG_NOT_TCP;
	return s->kind;
}
