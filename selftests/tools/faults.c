// SPDX-License-Identifier: GPL-2.0
/*
 * faults: put selftests/progs/faults.bpf.c on an interface's tc egress for
 * as long as it runs (netns tests; no netem on this kernel).
 *
 *   faults DEV [--loss PPM] [--dup PPM] [--delay PPM --delay-prio MAJ:MIN]
 *              [--flip N] [--port P] [--seed S]
 *
 * Prints "ready" once attached; on SIGINT/SIGTERM detaches, prints the
 * counters (seen dropped duplicated delayed flipped) and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "faults.skel.h"

static volatile sig_atomic_t stop;

/* bpf_tc_hook_create() on an existing clsact logs a kernel message; our own
 * errors are printed below */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

static void on_signal(int sig)
{
	stop = 1;
}

struct faults_cfg {
	__u32 loss_ppm, dup_ppm, delay_ppm;
	__u32 flip_nth;
	__u32 delay_prio;
	__u16 port;
	__u16 pad;
	__u64 seed;
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "loss", 1, 0, 'l' }, { "dup", 1, 0, 'd' }, { "delay", 1, 0, 'r' },
		{ "delay-prio", 1, 0, 'c' }, { "flip", 1, 0, 'f' }, { "port", 1, 0, 'p' },
		{ "seed", 1, 0, 's' }, { 0 },
	};
	struct faults_cfg cfg = { .seed = 1 };
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 0xfa, .priority = 1);
	struct faults_bpf *skel;
	__u32 zero = 0, k;
	unsigned int maj, min;
	int c, err;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l': cfg.loss_ppm = strtoul(optarg, NULL, 0); break;
		case 'd': cfg.dup_ppm = strtoul(optarg, NULL, 0); break;
		case 'r': cfg.delay_ppm = strtoul(optarg, NULL, 0); break;
		case 'c':
			if (sscanf(optarg, "%x:%x", &maj, &min) != 2)
				return 2;
			cfg.delay_prio = maj << 16 | min;
			break;
		case 'f': cfg.flip_nth = strtoul(optarg, NULL, 0); break;
		case 'p': cfg.port = strtoul(optarg, NULL, 0); break;
		case 's': cfg.seed = strtoull(optarg, NULL, 0); break;
		default: return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: faults DEV [--loss PPM] [--dup PPM] [--delay PPM "
			"--delay-prio MAJ:MIN] [--flip N] [--port P] [--seed S]\n");
		return 2;
	}
	hook.ifindex = if_nametoindex(argv[optind]);
	if (!hook.ifindex) {
		fprintf(stderr, "faults: no device %s\n", argv[optind]);
		return 1;
	}
	libbpf_set_print(quiet);
	skel = faults_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "faults: cannot load the program\n");
		return 1;
	}
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.faults_config), &zero, &cfg, 0);
	if (!err) {
		err = bpf_tc_hook_create(&hook);
		if (err == -EEXIST)
			err = 0;
	}
	if (!err) {
		opts.prog_fd = bpf_program__fd(skel->progs.faults);
		err = bpf_tc_attach(&hook, &opts);
	}
	if (err) {
		fprintf(stderr, "faults: attach to %s: %s\n", argv[optind], strerror(-err));
		faults_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	opts.prog_fd = opts.prog_id = opts.flags = 0;
	bpf_tc_detach(&hook, &opts);
	for (k = 0; k < 5; k++) {
		__u64 v = 0;

		bpf_map_lookup_elem(bpf_map__fd(skel->maps.faults_state), &k, &v);
		printf("%s%llu", k ? " " : "", (unsigned long long)v);
	}
	printf("\n");
	faults_bpf__destroy(skel);
	return 0;
}
