/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one parser of frames that may carry TCP (Ethernet, up to two VLAN
 * tags, IPv4 or IPv6 with extension headers, TCP), shared by tcpcryptd's
 * flow classification, the segment engine and the tests that hold the BPF
 * steering programs to it (a frame BPF steers must parse here).
 *
 * It decides as the kernel's receive path would: a frame the kernel could
 * deliver to TCP is TC_SEG_TCP (or a fragment of one); a frame the kernel
 * would not hand to TCP at all is TC_SEG_NOT_TCP; a frame that claims TCP
 * but is malformed is TC_SEG_MALFORMED (the kernel drops it too, so
 * dropping it changes nothing for anyone). Only TC_SEG_NOT_TCP is provably
 * outside every TCP connection.
 *
 * Plus the Internet checksum, computed 8 bytes at a time.
 */
#ifndef TC_ENGINE_SEG_H
#define TC_ENGINE_SEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TC_SEG_VLAN_MAX		2	/* 802.1Q / 802.1ad tags followed */
#define TC_SEG_EXT_MAX		8	/* IPv6 extension headers followed */
#define TC_TCP_HLEN		20
#define TC_TCP_HLEN_MAX		60

#define TC_TH_FIN		0x01
#define TC_TH_SYN		0x02
#define TC_TH_RST		0x04
#define TC_TH_PSH		0x08
#define TC_TH_ACK		0x10
#define TC_TH_URG		0x20
#define TC_TH_ECE		0x40
#define TC_TH_CWR		0x80

enum tc_seg_kind {
	TC_SEG_TCP = 0,		/* a whole TCP segment: every field is valid */
	TC_SEG_NOT_TCP,		/* the kernel would not deliver it to TCP */
	TC_SEG_FRAG_FIRST,	/* first fragment of a TCP datagram: ports valid */
	TC_SEG_FRAG_LATER,	/* later fragment: addresses and frag_id only */
	TC_SEG_MALFORMED,	/* claims TCP but cannot be parsed */
	TC_SEG_TOO_DEEP,	/* IPv6 with more than TC_SEG_EXT_MAX ext headers */
};

/* One piece of a TCP payload held in several buffers (a multi-buffer frame). */
struct tc_iov {
	const uint8_t *base;
	uint32_t len;
};

struct tc_seg {
	enum tc_seg_kind kind;
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t alen;		/* address length: 4 or 16 */
	uint8_t flags;		/* TCP flags (byte 13) */
	uint8_t tos;		/* IPv4 TOS or IPv6 traffic class (ECN: low 2 bits) */
	uint16_t l3_off;	/* IP header */
	uint16_t l4_off;	/* TCP header */
	uint16_t thl;		/* TCP header length, options included */
	uint16_t sport, dport;	/* host order */
	uint32_t ip_end;	/* end of the IP datagram (trailing padding excluded) */
	uint32_t payload_off;
	uint32_t payload_len;
	uint32_t seq, ack;	/* host order */
	uint16_t win, urg;	/* host order, window unscaled */
	uint32_t frag_id;	/* fragments: IPv4 id or IPv6 identification */
	const uint8_t *saddr, *daddr;	/* into the frame */
	/*
	 * Not set by the parse: a caller handing the segment engine a data
	 * segment from the local stack that is held in several buffers puts
	 * its payload here (payload_len bytes in pv[0..npv), in order); the
	 * frame then holds its headers only (tc_conn_input).
	 */
	const struct tc_iov *pv;
	uint32_t npv;
};

/*
 * Parse frame[0..len). Always fills s->kind; the other fields as the kind
 * says. Returns s->kind.
 */
enum tc_seg_kind tc_seg_parse(const uint8_t *frame, uint32_t len, struct tc_seg *s);

const char *tc_seg_kind_str(enum tc_seg_kind k);

/* ---- Internet checksum (RFC 1071) ---- */

/* Add len bytes at p to a 64-bit one's complement accumulator. */
uint64_t tc_csum_add(uint64_t sum, const void *p, size_t len);
/* Fold to 16 bits (not complemented). */
uint16_t tc_csum_fold(uint64_t sum);
/* Pseudo-header sum of a TCP segment of tcp_len bytes. */
uint64_t tc_csum_pseudo(const uint8_t *saddr, const uint8_t *daddr, uint8_t alen,
			uint32_t tcp_len);
/* Does the TCP checksum of a parsed TC_SEG_TCP segment verify? */
bool tc_seg_tcp_csum_ok(const uint8_t *frame, const struct tc_seg *s);
/*
 * Is the TCP checksum field only the folded pseudo-header sum (what a local
 * stack leaves for CHECKSUM_PARTIAL, seen on veth)?
 */
bool tc_seg_tcp_csum_partial(const uint8_t *frame, const struct tc_seg *s);
/* Write the full TCP checksum of a parsed segment. */
void tc_seg_fill_tcp_csum(uint8_t *frame, const struct tc_seg *s);
/* Write the IPv4 header checksum (IPv6 has none: no-op). */
void tc_seg_fill_ip_csum(uint8_t *frame, const struct tc_seg *s);

static inline uint32_t tc_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t tc_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void tc_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline void tc_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

#endif
