// SPDX-License-Identifier: GPL-2.0
/*
 * xsk_smoke: proves the AF_XDP toolchain on this kernel.
 *
 *   xsk_smoke -i IFACE -m native|skb [-e ETHERTYPE] [-n COUNT] [-t SECONDS]
 *             [--tc-egress DEV --redirect VETH]
 *
 * Attaches smoke_xdp (bpf/xsk_smoke.bpf.c) to IFACE through libxdp, binds an
 * AF_XDP socket (copy mode) to queue 0, and counts received
 * frames of ETHERTYPE. With --tc-egress, also attaches smoke_tc_egress to
 * DEV's clsact egress hook, redirecting into the ingress of VETH (IFACE), and
 * counts only frames whose source MAC is DEV's: locally generated egress.
 * Prints "ready" once bound, then "received N" and exits 0 once COUNT
 * frames arrived, 1 on timeout or error.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#ifndef XDP_USE_SG	/* not in Debian 12's uapi headers */
#define XDP_USE_SG	(1 << 4)
#endif

#include "xsk_smoke.skel.h"

#define NUM_FRAMES	4096
#define FRAME_SIZE	XSK_UMEM__DEFAULT_FRAME_SIZE
#define BATCH		64

struct opts {
	const char *ifname, *tc_dev, *redirect;
	enum xdp_attach_mode mode;
	unsigned int ethertype, count, timeout;
};

static int get_mac(const char *ifname, unsigned char mac[ETH_ALEN])
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(fd);
	return err;
}

static int attach_tc(struct xsk_smoke_bpf *skel, const char *dev,
		     struct bpf_tc_hook *hook)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);
	int err;

	hook->ifindex = if_nametoindex(dev);
	hook->attach_point = BPF_TC_EGRESS;
	if (!hook->ifindex)
		return -ENODEV;
	err = bpf_tc_hook_create(hook);
	if (err && err != -EEXIST)
		return err;
	opts.prog_fd = bpf_program__fd(skel->progs.smoke_tc_egress);
	return bpf_tc_attach(hook, &opts);
}

static int run(const struct opts *o)
{
	struct xsk_socket_config xcfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP | XDP_USE_SG,
	};
	struct xsk_umem_config ucfg = {
		.fill_size = XSK_RING_PROD__DEFAULT_NUM_DESCS * 2,
		.comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.frame_size = FRAME_SIZE,
	};
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook);
	struct xdp_program *prog = NULL;
	struct xsk_smoke_bpf *skel;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq, rx;
	struct xsk_ring_prod tx;
	struct xsk_umem *umem = NULL;
	struct xsk_socket *xsk = NULL;
	unsigned char src_mac[ETH_ALEN] = {};
	unsigned int got = 0, i;
	struct timespec start, now;
	int ifindex, err, tc_attached = 0;
	void *bufs;
	__u32 idx = 0;

	ifindex = if_nametoindex(o->ifname);
	if (!ifindex) {
		fprintf(stderr, "xsk_smoke: no interface %s\n", o->ifname);
		return -ENODEV;
	}
	skel = xsk_smoke_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->smoke_proto = o->ethertype;
	if (o->tc_dev) {
		skel->rodata->smoke_redirect_ifindex = if_nametoindex(o->redirect);
		err = get_mac(o->tc_dev, src_mac);
		if (err || !skel->rodata->smoke_redirect_ifindex) {
			fprintf(stderr, "xsk_smoke: bad --tc-egress/--redirect\n");
			err = err ?: -ENODEV;
			goto out_skel;
		}
	}
	prog = xdp_program__from_bpf_obj(skel->obj, "xdp.frags");
	err = libxdp_get_error(prog);
	if (err) {
		prog = NULL;
		goto out_skel;
	}
	err = xdp_program__attach(prog, ifindex, o->mode, 0);
	if (err) {
		fprintf(stderr, "xsk_smoke: attach to %s failed: %s\n",
			o->ifname, strerror(-err));
		goto out_prog;
	}
	if (o->tc_dev) {
		err = attach_tc(skel, o->tc_dev, &hook);
		if (err) {
			fprintf(stderr, "xsk_smoke: tc attach: %s\n", strerror(-err));
			goto out_detach;
		}
		tc_attached = 1;
	}

	bufs = mmap(NULL, NUM_FRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bufs == MAP_FAILED) {
		err = -errno;
		goto out_detach;
	}
	err = xsk_umem__create(&umem, bufs, NUM_FRAMES * FRAME_SIZE, &fq, &cq,
			       &ucfg);
	if (err)
		goto out_unmap;
	err = xsk_socket__create(&xsk, o->ifname, 0, umem, &rx, &tx, &xcfg);
	if (err) {
		fprintf(stderr, "xsk_smoke: xsk_socket__create: %s\n",
			strerror(-err));
		goto out_umem;
	}
	err = xsk_socket__update_xskmap(xsk, bpf_map__fd(skel->maps.smoke_xsks));
	if (err)
		goto out_xsk;
	if (xsk_ring_prod__reserve(&fq, ucfg.fill_size, &idx) != ucfg.fill_size) {
		err = -ENOSPC;
		goto out_xsk;
	}
	for (i = 0; i < ucfg.fill_size; i++)
		*xsk_ring_prod__fill_addr(&fq, idx++) = (__u64)i * FRAME_SIZE;
	xsk_ring_prod__submit(&fq, ucfg.fill_size);

	printf("ready\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (got < o->count) {
		struct pollfd pfd = { .fd = xsk_socket__fd(xsk), .events = POLLIN };
		unsigned int n;
		__u32 ridx = 0, fidx = 0;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)o->timeout) {
			err = -ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = xsk_ring_cons__peek(&rx, BATCH, &ridx);
		if (!n)
			continue;
		while (xsk_ring_prod__reserve(&fq, n, &fidx) != n)
			;
		for (i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&rx, ridx + i);
			const struct ethhdr *eth = xsk_umem__get_data(bufs, d->addr);

			if (d->len >= sizeof(*eth) &&
			    (!o->tc_dev || !memcmp(eth->h_source, src_mac, ETH_ALEN)))
				got++;
			*xsk_ring_prod__fill_addr(&fq, fidx + i) =
				xsk_umem__extract_addr(d->addr);
		}
		xsk_ring_prod__submit(&fq, n);
		xsk_ring_cons__release(&rx, n);
	}
	printf("received %u\n", got);
	if (got >= o->count)
		err = 0;
out_xsk:
	xsk_socket__delete(xsk);
out_umem:
	xsk_umem__delete(umem);
out_unmap:
	munmap(bufs, NUM_FRAMES * FRAME_SIZE);
out_detach:
	if (tc_attached) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	xdp_program__detach(prog, ifindex, o->mode, 0);
out_prog:
	xdp_program__close(prog);
out_skel:
	xsk_smoke_bpf__destroy(skel);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "mode", required_argument, NULL, 'm' },
		{ "ethertype", required_argument, NULL, 'e' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "tc-egress", required_argument, NULL, 'E' },
		{ "redirect", required_argument, NULL, 'r' },
		{}
	};
	struct opts o = { .mode = XDP_MODE_NATIVE, .count = 10, .timeout = 10 };
	int c, err;

	while ((c = getopt_long(argc, argv, "i:m:e:n:t:E:r:", lopts, NULL)) != -1) {
		switch (c) {
		case 'i': o.ifname = optarg; break;
		case 'm':
			if (!strcmp(optarg, "native"))
				o.mode = XDP_MODE_NATIVE;
			else if (!strcmp(optarg, "skb"))
				o.mode = XDP_MODE_SKB;
			else
				goto usage;
			break;
		case 'e': o.ethertype = strtoul(optarg, NULL, 0); break;
		case 'n': o.count = strtoul(optarg, NULL, 0); break;
		case 't': o.timeout = strtoul(optarg, NULL, 0); break;
		case 'E': o.tc_dev = optarg; break;
		case 'r': o.redirect = optarg; break;
		default: goto usage;
		}
	}
	if (!o.ifname || !o.tc_dev != !o.redirect)
		goto usage;
	err = run(&o);
	if (err)
		fprintf(stderr, "xsk_smoke: %s\n", strerror(-err));
	return err ? 1 : 0;
usage:
	fprintf(stderr, "usage: xsk_smoke -i IFACE -m native|skb [-e ETHERTYPE] "
		"[-n COUNT] [-t SECONDS] [--tc-egress DEV --redirect VETH]\n");
	return 2;
}
