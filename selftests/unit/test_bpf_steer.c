// SPDX-License-Identifier: GPL-2.0
/*
 * The steering programs of bpf/tcpcrypt.bpf.c on the real kernel verifier
 * and JIT: crafted frames through BPF_PROG_TEST_RUN, decisions checked
 * against the maps (policy, flows, heartbeat, XSKMAP slots), the counters
 * checked too. The policy maps are filled by the policy library.
 *
 * Needs root (BPF, a private network namespace, an AF_XDP socket on its lo
 * for the XSKMAP slot); skips with the reason otherwise.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>
#include <cmocka.h>

#include "common/dp_attach.h"
#include "common/policy.h"
#include "tcpcrypt.skel.h"

#define NFRAMES 64
#define FRAME 4096

struct env {
	struct tcpcrypt_bpf *skel;
	struct dp dp;		/* only .maps: enough for the policy library */
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp, rx;
	struct xsk_ring_prod tx;
	void *area;
	int xsk_fd;		/* -1: no AF_XDP socket could be made */
	const char *skip_reason;
};

static struct env E = { .xsk_fd = -1 };

/* ---- frames ---- */
static const uint8_t L4[4] = { 192, 0, 2, 1 };	/* this host */
static const uint8_t R4[4] = { 192, 0, 2, 2 };	/* peer */
static uint8_t L6[16], R6[16], R6X[16];

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10

struct pkt_opts {
	int family;		/* AF_INET / AF_INET6 */
	int proto;		/* IPPROTO_TCP default */
	int vlans;		/* 0..2 */
	bool egress;		/* addresses from this host's side */
	uint16_t sport, dport;
	uint8_t flags;
	int ip_opts;		/* IPv4 option bytes (multiple of 4) */
	int ihl_override;	/* IPv4: bogus IHL */
	int doff_override;	/* TCP: bogus doff */
	uint16_t frag;		/* IPv4 frag_off field (host order) */
	uint16_t ip_id;		/* IPv4 identification */
	bool v6_hbh;		/* IPv6: hop-by-hop header before TCP */
	int v6_frag_off;	/* IPv6: fragment header with this offset; -1 none */
	const uint8_t *r6;	/* IPv6 remote address override */
	int truncate;		/* cut this many bytes off the end */
	int payload;		/* TCP payload bytes (zeros) */
};

#define PKT_MAX 4400

static size_t build(uint8_t *b, const struct pkt_opts *o)
{
	size_t n = 0, l3, l4;
	const uint8_t *src, *dst;
	int proto = o->proto ? o->proto : IPPROTO_TCP;
	int i;

	memset(b, 0, PKT_MAX);
	memcpy(b, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	n = 12;
	for (i = 0; i < o->vlans; i++) {
		b[n] = i == 0 && o->vlans == 2 ? 0x88 : 0x81;
		b[n + 1] = i == 0 && o->vlans == 2 ? 0xa8 : 0x00;
		b[n + 3] = 10 + i;	/* TCI */
		n += 4;
	}
	if (o->family == AF_INET6) {
		const uint8_t *r = o->r6 ? o->r6 : R6;

		b[n] = 0x86; b[n + 1] = 0xdd;
		n += 2;
		l3 = n;
		b[l3] = 0x60;
		src = o->egress ? L6 : r;
		dst = o->egress ? r : L6;
		memcpy(b + l3 + 8, src, 16);
		memcpy(b + l3 + 24, dst, 16);
		b[l3 + 7] = 64;
		n += 40;
		b[l3 + 6] = proto;
		if (o->v6_hbh) {
			b[l3 + 6] = 0;		/* hop-by-hop */
			b[n] = proto;
			b[n + 1] = 0;		/* 8 bytes */
			b[n + 2] = 1;		/* PadN */
			b[n + 3] = 4;
			n += 8;
		}
		if (o->v6_frag_off >= 0) {
			b[o->v6_hbh ? n - 8 : l3 + 6] = 44;
			b[n] = proto;
			b[n + 2] = (o->v6_frag_off << 3) >> 8;
			b[n + 3] = ((o->v6_frag_off << 3) & 0xff) | 1;
			n += 8;
		}
	} else {
		int ihl = 5 + o->ip_opts / 4;

		b[n] = 0x08; b[n + 1] = 0x00;
		n += 2;
		l3 = n;
		b[l3] = 0x40 | (o->ihl_override ? o->ihl_override : ihl);
		b[l3 + 4] = o->ip_id >> 8;
		b[l3 + 5] = o->ip_id & 0xff;
		b[l3 + 6] = o->frag >> 8;
		b[l3 + 7] = o->frag & 0xff;
		b[l3 + 8] = 64;
		b[l3 + 9] = proto;
		src = o->egress ? L4 : R4;
		dst = o->egress ? R4 : L4;
		memcpy(b + l3 + 12, src, 4);
		memcpy(b + l3 + 16, dst, 4);
		memset(b + l3 + 20, 1, o->ip_opts);	/* NOPs */
		n += ihl * 4;
	}
	l4 = n;
	if (proto == IPPROTO_TCP) {
		b[l4] = o->sport >> 8; b[l4 + 1] = o->sport & 0xff;
		b[l4 + 2] = o->dport >> 8; b[l4 + 3] = o->dport & 0xff;
		b[l4 + 12] = (o->doff_override ? o->doff_override : 5) << 4;
		b[l4 + 13] = o->flags;
		n += 20 + o->payload;
	} else {
		n += 8;		/* UDP / ICMP header */
	}
	/* fix up lengths */
	if (o->family == AF_INET6) {
		b[l3 + 4] = (n - l3 - 40) >> 8;
		b[l3 + 5] = (n - l3 - 40) & 0xff;
	} else {
		b[l3 + 2] = (n - l3) >> 8;
		b[l3 + 3] = (n - l3) & 0xff;
	}
	if (n < 60)
		n = 60;		/* Ethernet minimum, padding after the segment */
	return n - o->truncate;
}

static int run(int prog_fd, const struct pkt_opts *o)
{
	static uint8_t pkt[PKT_MAX], out[PKT_MAX + 256];
	size_t len = build(pkt, o);
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	int err = bpf_prog_test_run_opts(prog_fd, &t);

	assert_int_equal(err, 0);
	return t.retval;
}

static int xdp_wire(const struct pkt_opts *o)
{
	return run(bpf_program__fd(E.skel->progs.xdp_wire), o);
}

static int tc_egress(const struct pkt_opts *o)
{
	struct pkt_opts e = *o;

	e.egress = true;
	return run(bpf_program__fd(E.skel->progs.tc_egress), &e);
}

/* ---- map helpers ---- */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void set_cfg(uint32_t flags, uint32_t tcv0)
{
	struct tc_config c;

	assert_int_equal(dp_config_get(&E.dp, &c), 0);
	c.flags = flags | (c.flags & (TC_CFG_ADDR_INCLUDE | TC_CFG_PORT_INCLUDE));
	c.tcv0_ifindex = tcv0;
	assert_int_equal(dp_config_set(&E.dp, &c), 0);
}

static void set_heartbeat(uint64_t ns)
{
	struct tc_live l = { .heartbeat_ns = ns, .pid = 1, .generation = 1 };
	uint32_t zero = 0;

	assert_int_equal(bpf_map_update_elem(E.dp.maps.live, &zero, &l, BPF_ANY), 0);
}

static void alive(void)
{
	set_heartbeat(mono_ns());
}

static void set_xsk(bool on)
{
	uint32_t q = 0;

	if (on) {
		assert_int_equal(bpf_map_update_elem(E.dp.maps.xsks_wire, &q, &E.xsk_fd, BPF_ANY), 0);
		assert_int_equal(bpf_map_update_elem(E.dp.maps.xsks_host, &q, &E.xsk_fd, BPF_ANY), 0);
	} else {
		bpf_map_delete_elem(E.dp.maps.xsks_wire, &q);
		bpf_map_delete_elem(E.dp.maps.xsks_host, &q);
	}
}

static void set_policy(const char *rules)
{
	char buf[512], *words[32], *save = NULL, *w, err[256];
	struct policy p;
	int n = 0, i = 0, used;

	snprintf(buf, sizeof(buf), "%s", rules);
	for (w = strtok_r(buf, " ", &save); w && n < 32; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	policy_init(&p);
	while (i < n) {
		assert_int_equal(policy_parse_words(&p, n - i, words + i, &used, err,
						    sizeof(err)), 0);
		i += used;
	}
	assert_int_equal(policy_apply(&E.dp, &p), 0);
	policy_free(&p);
}

static void flow4(bool egress_view, uint16_t lport, uint16_t rport, int state)
{
	struct tc_flow_key k;
	struct tc_flow_val v = { .state = state };

	(void)egress_view;
	dp_flow_key_v4(&k, L4, R4, htons(lport), htons(rport));
	assert_int_equal(dp_flow_update(&E.dp, &k, &v), 0);
}

static void flows_clear(void)
{
	struct tc_flow_key k;

	while (!bpf_map_get_next_key(E.dp.maps.flows, NULL, &k))
		bpf_map_delete_elem(E.dp.maps.flows, &k);
}

static uint64_t counter(int dir, int ctr)
{
	struct dp_maps *m = &E.dp.maps;
	int ncpu = libbpf_num_possible_cpus(), i;
	uint64_t vals[ncpu], sum = 0;
	uint32_t key = dir * TC_CTR_MAX + ctr;

	assert_int_equal(bpf_map_lookup_elem(m->counters, &key, vals), 0);
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

/* Fresh state before each test: enabled, no policy, no flows, daemon alive. */
static int reset(void **state)
{
	if (!E.skel)
		return 0;
	set_policy("enabled on fail-closed off steer-all off");
	set_cfg(TC_CFG_ENABLED, 7);
	flows_clear();
	alive();
	set_xsk(E.xsk_fd >= 0);
	return 0;
}

/*
 * cmocka's TAP output reports skip() as "not ok ... # SKIP", which the runner
 * counts as a failure: main() skips the whole binary when not root instead,
 * and checks needing the AF_XDP socket say so and return.
 */
#define NEED_ENV() do { if (!E.skel) fail_msg("no BPF environment: %s", E.skip_reason); } while (0)
#define NEED_XSK() do {								\
		NEED_ENV();							\
		if (E.xsk_fd < 0) {						\
			print_message("# no AF_XDP socket: XDP_REDIRECT checks skipped\n"); \
			return;							\
		}								\
	} while (0)

static const struct pkt_opts SYN80 = { .family = AF_INET, .sport = 40000, .dport = 80,
				       .flags = F_SYN, .v6_frag_off = -1 };

/* ---- tests ---- */
static void test_syn_included_port_steered(void **state)
{
	uint64_t before;

	NEED_XSK();
	set_policy("include lport 80 exclude lport 22");
	before = counter(TC_DIR_WIRE, TC_CTR_STEERED_SYN);
	assert_int_equal(xdp_wire(&SYN80), XDP_REDIRECT);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_STEERED_SYN), before + 1);
}

static void test_syn_excluded_or_not_included_passes(void **state)
{
	struct pkt_opts o = SYN80;
	uint64_t before;

	NEED_ENV();
	set_policy("include lport 80 exclude lport 22");
	before = counter(TC_DIR_WIRE, TC_CTR_POLICY_SKIP);
	o.dport = 22;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.dport = 81;	/* includes exist, 81 is not one */
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_POLICY_SKIP), before + 2);
	/* exclude wins over include: remote port excluded */
	set_policy("include lport 80 exclude rport 40000");
	assert_int_equal(xdp_wire(&SYN80), XDP_PASS);
}

static void test_syn_ack_and_plain_segments_pass(void **state)
{
	struct pkt_opts o = SYN80;

	NEED_ENV();
	o.flags = F_SYN | F_ACK;	/* only the flow map steers SYN-ACKs */
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.flags = F_ACK;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
}

static void test_non_tcp_passes(void **state)
{
	struct pkt_opts o = SYN80;
	uint64_t before;

	NEED_ENV();
	set_policy("steer-all on");
	before = counter(TC_DIR_WIRE, TC_CTR_NON_TCP);
	o.proto = IPPROTO_UDP;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.proto = IPPROTO_ICMP;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.family = AF_INET6;
	o.proto = IPPROTO_ICMPV6;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_NON_TCP), before + 3);
}

static void test_flow_hit_steered(void **state)
{
	struct pkt_opts o = SYN80;
	uint64_t before;

	NEED_XSK();
	set_policy("exclude lport 80");	/* the flow map wins over policy */
	flow4(false, 80, 40000, TC_FLOW_ENCRYPTED);
	o.flags = F_ACK;
	before = counter(TC_DIR_WIRE, TC_CTR_STEERED_FLOW);
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	o.flags = F_FIN | F_ACK;
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_STEERED_FLOW), before + 2);
	/* another connection of the same hosts is not in the map */
	o.sport = 40001;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	/* PLAIN flows are not steered */
	flow4(false, 80, 40002, TC_FLOW_PLAIN);
	o.sport = 40002;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
}

/*
 * A frame longer than an AF_XDP RX frame would be dropped after the
 * redirect: a pass-through flow's goes to the stack, an encrypted flow's is
 * dropped, one that fits is steered.
 */
static void test_oversize_frames(void **state)
{
	struct pkt_opts o = SYN80;

	NEED_XSK();
	o.flags = F_ACK;
	o.payload = TC_XSK_RX_MAX;	/* plus headers: too long */
	flow4(false, 80, 40000, TC_FLOW_PASSTHROUGH);
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_OVERSIZE_PASS), 1);
	flow4(false, 80, 40000, TC_FLOW_ENCRYPTED);
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_OVERSIZE_DROP), 1);
	o.payload = TC_XSK_RX_MAX - 14 - 20 - 20;	/* exactly fits */
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
}

static void test_dead_daemon(void **state)
{
	struct pkt_opts o = SYN80;
	uint64_t before;

	NEED_ENV();
	flow4(false, 80, 40000, TC_FLOW_ENCRYPTED);
	flow4(false, 80, 40001, TC_FLOW_NEGOTIATING);
	flow4(false, 80, 40002, TC_FLOW_PASSTHROUGH);
	set_heartbeat(0);		/* clean exit */
	before = counter(TC_DIR_WIRE, TC_CTR_DEAD_DROP_FLOW);
	o.flags = F_ACK;
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	o.sport = 40001;
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_DEAD_DROP_FLOW), before + 2);
	o.sport = 40002;		/* pass-through carries plaintext anyway */
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	/* new SYN (not in the flow map): plain TCP, unless fail-closed */
	o = SYN80;
	o.sport = 41000;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	set_policy("fail-closed on");
	assert_int_equal(xdp_wire(&o), XDP_DROP);

	/* stale heartbeat (3 s > 2 s timeout) is dead too */
	set_policy("fail-closed off");
	set_heartbeat(mono_ns() - 3000000000ULL);
	o.flags = F_ACK;
	o.sport = 40000;
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	/* and a fresh one is alive */
	alive();
	if (E.xsk_fd >= 0)
		assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
}

static void test_empty_xsk_slot_is_dead(void **state)
{
	struct pkt_opts o = SYN80;
	uint64_t before;

	NEED_ENV();
	flow4(false, 80, 40000, TC_FLOW_ENCRYPTED);
	set_xsk(false);
	before = counter(TC_DIR_WIRE, TC_CTR_NO_XSK);
	o.flags = F_ACK;
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	o = SYN80;
	o.sport = 41000;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_NO_XSK), before + 2);
}

static void test_lpm_prefixes(void **state)
{
	struct pkt_opts o = SYN80;

	NEED_XSK();
	set_policy("include net 2001:db8::/32 exclude net 2001:db8:1::/48 "
		   "exclude net 192.0.2.0/24");
	assert_int_equal(xdp_wire(&o), XDP_PASS);	/* 192.0.2.2 excluded */
	o.family = AF_INET6;
	o.r6 = R6X;					/* 2001:db8:1::2 excluded */
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.r6 = R6;					/* 2001:db8:2::2 included */
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	/* includes exist: IPv4 outside them is skipped */
	set_policy("include net 2001:db8::/32");
	o.family = AF_INET;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	set_policy("include net 192.0.2.0/25");
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
}

static void test_headers(void **state)
{
	struct pkt_opts o = SYN80;
	uint64_t perr, frag;

	NEED_XSK();
	o.vlans = 1;
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	o.vlans = 2;
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	o.vlans = 0;
	o.ip_opts = 12;
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	o.ip_opts = 40;
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	o.ip_opts = 0;
	o.family = AF_INET6;
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	o.v6_hbh = true;
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	o.v6_frag_off = 0;		/* atomic fragment header, offset 0, M=1 */
	frag = counter(TC_DIR_WIRE, TC_CTR_FRAG);
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.v6_frag_off = 100;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_FRAG), frag + 2);

	o = SYN80;
	o.frag = 0x2000;		/* IPv4 MF */
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.frag = 0x0010;		/* IPv4 offset */
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.frag = 0x4000;		/* DF only: not a fragment */
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);

	perr = counter(TC_DIR_WIRE, TC_CTR_PARSE_ERR);
	o = SYN80;
	o.ihl_override = 4;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o = SYN80;
	o.doff_override = 4;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o = SYN80;
	o.doff_override = 15;		/* options beyond the frame */
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_PARSE_ERR), perr + 3);
}

static void test_truncated_frames_pass(void **state)
{
	static uint8_t pkt[PKT_MAX];
	int len, fd;

	NEED_ENV();
	fd = bpf_program__fd(E.skel->progs.xdp_wire);
	/* a SYN cut at every length: never steered, never a verifier escape */
	for (len = 14; len < 54; len++) {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = len,
			    .repeat = 1);

		build(pkt, &SYN80);
		assert_int_equal(bpf_prog_test_run_opts(fd, &t), 0);
		assert_int_equal(t.retval, XDP_PASS);
	}
}

static void test_disabled_stops_new_connections_only(void **state)
{
	struct pkt_opts o = SYN80;

	uint64_t before;

	NEED_XSK();
	flow4(false, 80, 40000, TC_FLOW_ENCRYPTED);
	set_policy("enabled off steer-all on");
	before = counter(TC_DIR_WIRE, TC_CTR_DISABLED);
	o.sport = 41000;
	assert_int_equal(xdp_wire(&o), XDP_PASS);	/* no new connections */
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_DISABLED), before + 1);
	/* tracked flows keep their state: never plaintext on the wire */
	o.sport = 40000;
	o.flags = F_ACK;
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	set_heartbeat(0);
	assert_int_equal(xdp_wire(&o), XDP_DROP);
}

static void test_tc_egress(void **state)
{
	struct pkt_opts o = { .family = AF_INET, .sport = 40000, .dport = 80,
			      .flags = F_SYN, .v6_frag_off = -1 };

	NEED_ENV();
	/* egress view: local = source */
	assert_int_equal(tc_egress(&o), TC_ACT_REDIRECT);
	set_policy("include rport 443");
	assert_int_equal(tc_egress(&o), TC_ACT_OK);
	o.dport = 443;
	assert_int_equal(tc_egress(&o), TC_ACT_REDIRECT);

	flow4(true, 40000, 443, TC_FLOW_ENCRYPTED);
	o.flags = F_ACK;
	assert_int_equal(tc_egress(&o), TC_ACT_REDIRECT);
	/* no tcv0 yet: treated as a dead daemon */
	set_cfg(TC_CFG_ENABLED, 0);
	assert_int_equal(tc_egress(&o), TC_ACT_SHOT);
	set_cfg(TC_CFG_ENABLED, 7);
	set_heartbeat(0);
	assert_int_equal(tc_egress(&o), TC_ACT_SHOT);
	o.flags = F_SYN;
	o.sport = 40001;
	assert_int_equal(tc_egress(&o), TC_ACT_OK);
	set_policy("fail-closed on include rport 443");
	assert_int_equal(tc_egress(&o), TC_ACT_SHOT);
	o.family = AF_INET6;
	o.proto = IPPROTO_UDP;
	assert_int_equal(tc_egress(&o), TC_ACT_OK);
}

static void test_xdp_host(void **state)
{
	int fd;

	NEED_ENV();
	fd = bpf_program__fd(E.skel->progs.xdp_host);
	set_xsk(false);
	assert_int_equal(run(fd, &SYN80), XDP_DROP);
	if (E.xsk_fd < 0)
		return;
	set_xsk(true);
	assert_int_equal(run(fd, &SYN80), XDP_REDIRECT);
}

static void test_probe_bitmaps(void **state)
{
	uint64_t pkt[8] = {}, out[8] = {};
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	NEED_XSK();
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(E.skel->progs.xdp_probe),
						&t), 0);
	assert_int_equal(t.retval, XDP_PASS);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 1);
	set_xsk(false);
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(E.skel->progs.xdp_probe),
						&t), 0);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 0);
}

/*
 * Egress IPv4 fragments (DF off, fragmented by the IP layer before tc): a
 * train whose first fragment belongs to an ENCRYPTED flow is dropped whole;
 * other fragments pass.
 */
static void test_tc_egress_fragments(void **state)
{
	struct pkt_opts o = { .family = AF_INET, .sport = 40000, .dport = 443,
			      .flags = F_ACK, .v6_frag_off = -1, .ip_id = 0x1234 };
	uint64_t before;

	NEED_ENV();
	flow4(true, 40000, 443, TC_FLOW_ENCRYPTED);
	before = counter(TC_DIR_EGRESS, TC_CTR_FRAG_DROP);
	o.frag = 0x2000;				/* first fragment: MF, offset 0 */
	assert_int_equal(tc_egress(&o), TC_ACT_SHOT);
	o.frag = 0x2000 | 185;				/* middle: MF, offset 1480 */
	o.proto = IPPROTO_TCP;
	assert_int_equal(tc_egress(&o), TC_ACT_SHOT);
	o.frag = 370;					/* last: offset 2960 */
	assert_int_equal(tc_egress(&o), TC_ACT_SHOT);
	assert_int_equal(counter(TC_DIR_EGRESS, TC_CTR_FRAG_DROP), before + 3);
	/* another train (other id) of no flow of ours passes */
	o.ip_id = 0x4321;
	assert_int_equal(tc_egress(&o), TC_ACT_OK);
	o.frag = 0x2000;
	o.sport = 40001;				/* not in the flow map */
	assert_int_equal(tc_egress(&o), TC_ACT_OK);
	o.frag = 185;
	assert_int_equal(tc_egress(&o), TC_ACT_OK);
	/* pass-through flows are plaintext by design: their fragments pass */
	flow4(true, 40002, 443, TC_FLOW_PASSTHROUGH);
	o.sport = 40002;
	o.ip_id = 0x5555;
	o.frag = 0x2000;
	assert_int_equal(tc_egress(&o), TC_ACT_OK);
	/* ingress fragments always pass (ciphertext at worst) */
	o.egress = false;
	o.frag = 0x2000;
	o.ip_id = 0x1234;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
}

/* A full flow map refuses new flows; it never evicts an ENCRYPTED one. */
static void test_flow_map_full_never_evicts(void **state)
{
	struct tc_flow_val v = { .state = TC_FLOW_PASSTHROUGH };
	struct tc_flow_key k;
	struct pkt_opts o = SYN80;
	uint32_t i;

	NEED_ENV();
	flow4(false, 80, 40000, TC_FLOW_ENCRYPTED);
	for (i = 1; i < TC_FLOWS_MAX; i++) {
		uint8_t r[4] = { 10, i >> 16, i >> 8, i };

		dp_flow_key_v4(&k, L4, r, htons(80), htons(1000));
		assert_int_equal(dp_flow_update(&E.dp, &k, &v), 0);
	}
	dp_flow_key_v4(&k, L4, R4, htons(80), htons(1));
	assert_int_equal(dp_flow_update(&E.dp, &k, &v), -E2BIG);
	set_heartbeat(0);
	o.flags = F_ACK;
	assert_int_equal(xdp_wire(&o), XDP_DROP);	/* still there, still fail closed */
	flows_clear();
}

static void test_policy_parse_errors(void **state)
{
	char *bad[][3] = {
		{ "include", "net", "300.1.1.1/8" },
		{ "include", "net", "10.0.0.0/33" },
		{ "include", "port", "70000" },
		{ "include", "port", "90-80" },
		{ "include", "port", "1-5000" },
		{ "allow", "port", "80" },
		{ "include", "proto", "80" },
		{ "fail-closed", "maybe", "" },
	};
	struct policy p;
	char err[256];
	size_t i;
	int used;

	policy_init(&p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(policy_parse_words(&p, 3, bad[i], &used, err, sizeof(err)),
				 -EINVAL);
		assert_true(err[0] != 0);
	}
	assert_int_equal(p.n, 0);
	policy_free(&p);
}

/* ---- environment ---- */
static int lo_up(void)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return -errno;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			err = -errno;
	}
	close(fd);
	return err;
}

static void make_xsk(void)
{
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	int err;

	E.area = mmap(NULL, NFRAMES * FRAME, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (E.area == MAP_FAILED) {
		E.area = NULL;
		return;
	}
	err = xsk_umem__create(&E.umem, E.area, NFRAMES * FRAME, &E.fill, &E.comp, NULL);
	if (err) {
		print_message("# no UMEM (%s): XDP_REDIRECT checks skipped\n", strerror(-err));
		return;
	}
	err = xsk_socket__create(&E.xsk, "lo", 0, E.umem, &E.rx, &E.tx, &cfg);
	if (err) {
		print_message("# no AF_XDP socket on lo (%s): XDP_REDIRECT checks skipped\n",
			      strerror(-err));
		return;
	}
	E.xsk_fd = xsk_socket__fd(E.xsk);
}

static int group_setup(void **state)
{
	struct dp_maps *m = &E.dp.maps;

	inet_pton(AF_INET6, "2001:db8::1", L6);
	inet_pton(AF_INET6, "2001:db8:2::2", R6);
	inet_pton(AF_INET6, "2001:db8:1::2", R6X);
	if (unshare(CLONE_NEWNET)) {
		E.skip_reason = "cannot create a network namespace";
		return -1;
	}
	lo_up();
	libbpf_set_print(NULL);
	E.skel = tcpcrypt_bpf__open_and_load();
	if (!E.skel) {
		E.skip_reason = "loading bpf/tcpcrypt.bpf.c failed";
		return -1;	/* as root, this is a real failure */
	}
	m->config = bpf_map__fd(E.skel->maps.tc_config);
	m->live = bpf_map__fd(E.skel->maps.tc_live);
	m->flows = bpf_map__fd(E.skel->maps.tc_flows);
	m->counters = bpf_map__fd(E.skel->maps.tc_counters);
	m->pol_v4 = bpf_map__fd(E.skel->maps.tc_pol_v4);
	m->pol_v6 = bpf_map__fd(E.skel->maps.tc_pol_v6);
	m->pol_ports = bpf_map__fd(E.skel->maps.tc_pol_ports);
	m->xsks_wire = bpf_map__fd(E.skel->maps.xsks_wire);
	m->xsks_host = bpf_map__fd(E.skel->maps.xsks_host);
	make_xsk();
	return 0;
}

static int group_teardown(void **state)
{
	if (E.xsk)
		xsk_socket__delete(E.xsk);
	if (E.umem)
		xsk_umem__delete(E.umem);
	if (E.area)
		munmap(E.area, NFRAMES * FRAME);
	tcpcrypt_bpf__destroy(E.skel);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_syn_included_port_steered, reset),
		cmocka_unit_test_setup(test_syn_excluded_or_not_included_passes, reset),
		cmocka_unit_test_setup(test_syn_ack_and_plain_segments_pass, reset),
		cmocka_unit_test_setup(test_non_tcp_passes, reset),
		cmocka_unit_test_setup(test_flow_hit_steered, reset),
		cmocka_unit_test_setup(test_oversize_frames, reset),
		cmocka_unit_test_setup(test_dead_daemon, reset),
		cmocka_unit_test_setup(test_empty_xsk_slot_is_dead, reset),
		cmocka_unit_test_setup(test_lpm_prefixes, reset),
		cmocka_unit_test_setup(test_headers, reset),
		cmocka_unit_test_setup(test_truncated_frames_pass, reset),
		cmocka_unit_test_setup(test_disabled_stops_new_connections_only, reset),
		cmocka_unit_test_setup(test_tc_egress, reset),
		cmocka_unit_test_setup(test_xdp_host, reset),
		cmocka_unit_test_setup(test_probe_bitmaps, reset),
		cmocka_unit_test_setup(test_tc_egress_fragments, reset),
		cmocka_unit_test_setup(test_flow_map_full_never_evicts, reset),
		cmocka_unit_test(test_policy_parse_errors),
	};

	if (geteuid() != 0) {
		printf("1..1\nok 1 - test_bpf_steer # SKIP needs root (BPF programs, "
		       "a network namespace, an AF_XDP socket)\n");
		return 0;
	}

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
