// SPDX-License-Identifier: GPL-2.0
/*
 * dp_host_check IFACE TCV1 TCV0 SECONDS [--hold]
 *
 * A stand-in for tcpcryptd's datapath side, for test_loader.sh: finds the
 * attachment on IFACE (dp_open), attaches xdp_host to TCV1 (tc egress on
 * IFACE redirects into its ingress) and tc_host_tx to TCV0 (dp_attach_host),
 * binds an AF_XDP socket on queue 0 of IFACE (in tc mode: queue 1 of TCV1,
 * which then needs two queues) and of TCV1, puts them into the XSKMAPs,
 * heartbeats, and counts
 * the frames each socket receives. Prints "ready" once steering is live and
 * "wire_rx N host_rx M" at the end; exits 0 if both saw a TCP SYN within
 * SECONDS (--hold: run until killed, printing nothing more).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/mman.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include "common/dp_attach.h"
#include "common/log.h"

#define NFRAMES 256
#define FRAME 4096

struct sock {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	void *area;
	unsigned long frames, syns;
};

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	stop = 1;
}

static int sock_open(struct sock *s, const char *ifname, __u32 qid)
{
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	__u32 idx, i;
	int err;

	s->area = mmap(NULL, NFRAMES * FRAME, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->area == MAP_FAILED)
		return -errno;
	err = xsk_umem__create(&s->umem, s->area, NFRAMES * FRAME, &s->fill, &s->comp, NULL);
	if (err)
		return err;
	err = xsk_socket__create(&s->xsk, ifname, qid, s->umem, &s->rx, &s->tx, &cfg);
	if (err)
		return err;
	if (xsk_ring_prod__reserve(&s->fill, NFRAMES / 2, &idx) != NFRAMES / 2)
		return -ENOSPC;
	for (i = 0; i < NFRAMES / 2; i++)
		*xsk_ring_prod__fill_addr(&s->fill, idx + i) = (__u64)i * FRAME;
	xsk_ring_prod__submit(&s->fill, NFRAMES / 2);
	return 0;
}

/* TCP SYN in an untagged IPv4/IPv6 frame? */
static int is_syn(const unsigned char *p, __u32 len)
{
	__u32 l4;

	if (len < 14)
		return 0;
	if (p[12] == 0x08 && p[13] == 0x00 && len >= 34 && p[23] == 6)
		l4 = 14 + (p[14] & 0xf) * 4;
	else if (p[12] == 0x86 && p[13] == 0xdd && len >= 54 && p[20] == 6)
		l4 = 54;
	else
		return 0;
	return len >= l4 + 14 && (p[l4 + 13] & 0x12) == 0x02;
}

static void sock_poll(struct sock *s)
{
	__u32 idx, fidx, n, i;

	n = xsk_ring_cons__peek(&s->rx, 64, &idx);
	if (!n)
		return;
	if (xsk_ring_prod__reserve(&s->fill, n, &fidx) != n) {
		xsk_ring_cons__release(&s->rx, n);
		return;
	}
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&s->rx, idx + i);

		s->frames++;
		s->syns += is_syn(xsk_umem__get_data(s->area, d->addr), d->len);
		*xsk_ring_prod__fill_addr(&s->fill, fidx + i) = xsk_umem__extract_addr(d->addr);
	}
	xsk_ring_prod__submit(&s->fill, n);
	xsk_ring_cons__release(&s->rx, n);
}

int main(int argc, char **argv)
{
	struct sock wire = {}, host = {};
	struct timespec t0, t;
	bool hold, tcm;
	struct dp *dp;
	int secs, err, tcv0;

	if (argc < 5) {
		fprintf(stderr, "usage: dp_host_check IFACE TCV1 TCV0 SECONDS [--hold]\n");
		return 2;
	}
	hold = argc > 5 && !strcmp(argv[5], "--hold");
	secs = atoi(argv[4]);
	log_set_prefix("dp_host_check");
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);

	tcv0 = if_nametoindex(argv[3]);
	if (!tcv0) {
		fprintf(stderr, "%s: no such interface\n", argv[3]);
		return 1;
	}
	err = dp_open(argv[1], &dp);
	if (err)
		return 1;
	err = dp_attach_host(dp, argv[2], argv[3]);
	if (err)
		return 1;
	/* tc mode: the wire's frames come through TCV1's queue 1 (queues = 1) */
	tcm = dp->mode == DP_MODE_TC;
	if (tcm) {
		struct tc_config c;

		err = dp_config_get(dp, &c);
		c.queues = 1;
		err = err ?: dp_config_set(dp, &c);
		if (err)
			return 1;
	}
	err = sock_open(&wire, tcm ? argv[2] : argv[1], tcm) ?: sock_open(&host, argv[2], 0);
	if (err) {
		fprintf(stderr, "AF_XDP socket: %s\n", strerror(-err));
		return 1;
	}
	err = dp_xsk_set(dp, false, 0, xsk_socket__fd(wire.xsk)) ?:
	      dp_xsk_set(dp, true, 0, xsk_socket__fd(host.xsk)) ?:
	      dp_heartbeat(dp, getpid(), 1);
	if (err) {
		fprintf(stderr, "maps: %s\n", strerror(-err));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		struct pollfd p[2] = {
			{ .fd = xsk_socket__fd(wire.xsk), .events = POLLIN },
			{ .fd = xsk_socket__fd(host.xsk), .events = POLLIN },
		};

		poll(p, 2, 100);
		sock_poll(&wire);
		sock_poll(&host);
		dp_heartbeat(dp, getpid(), 1);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (!hold && (t.tv_sec - t0.tv_sec >= secs || (wire.syns && host.syns)))
			break;
	}
	printf("wire_rx %lu host_rx %lu wire_syn %lu host_syn %lu\n", wire.frames,
	       host.frames, wire.syns, host.syns);
	/* a clean exit: say so, so BPF fails closed at once */
	dp_mark_dead(dp);
	dp_xsk_clear(dp, false, 0);
	dp_xsk_clear(dp, true, 0);
	dp_detach_host(dp);
	xsk_socket__delete(wire.xsk);
	xsk_socket__delete(host.xsk);
	xsk_umem__delete(wire.umem);
	xsk_umem__delete(host.umem);
	dp_close(dp);
	return wire.syns && host.syns ? 0 : 1;
}
