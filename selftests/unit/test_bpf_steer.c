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
#include "engine/seg.h"
#include "engine/tcpopt.h"
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
	int v6_frag_m;		/* IPv6: its M bit (-1: 1, for the older tests) */
	const uint8_t *r6;	/* IPv6 remote address override */
	int truncate;		/* cut this many bytes off the end */
	int payload;		/* TCP payload bytes (zeros) */
	bool bad_ipcsum;	/* IPv4: leave the header checksum wrong */
	const uint8_t *tcp_opts;	/* TCP options (a multiple of 4 bytes) */
	int tcp_opts_len;
};

/* frames up to a 64 KB IPv6 datagram (multi-buffer XDP test runs) */
#define PKT_MAX 70000

static uint16_t fold16(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void ipv4_csum(uint8_t *ip)
{
	uint32_t sum = 0;
	int i, len = (ip[0] & 0xf) * 4;

	ip[10] = ip[11] = 0;
	for (i = 0; i + 1 < len; i += 2)
		sum += ip[i] << 8 | ip[i + 1];
	sum = (uint16_t)~fold16(sum);
	ip[10] = sum >> 8;
	ip[11] = sum & 0xff;
}

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
			b[n + 3] = ((o->v6_frag_off << 3) & 0xff) | (o->v6_frag_m ? 1 : 0);
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
		b[l4 + 12] = (o->doff_override ? o->doff_override : 5 + o->tcp_opts_len / 4) << 4;
		b[l4 + 13] = o->flags;
		if (o->tcp_opts_len)
			memcpy(b + l4 + 20, o->tcp_opts, o->tcp_opts_len);
		n += 20 + o->tcp_opts_len + o->payload;
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
		/* a bogus IHL is left bogus: its checksum cannot be right anyway */
		if (!o->bad_ipcsum && (b[l3] & 0xf) >= 5)
			ipv4_csum(b + l3);
	}
	if (n < 60)
		n = 60;		/* Ethernet minimum, padding after the segment */
	return n - o->truncate;
}

static int run(int prog_fd, const struct pkt_opts *o)
{
	static uint8_t pkt[PKT_MAX], out[PKT_MAX + 4096];
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

static void set_cfg(uint32_t flags, uint32_t tcv1)
{
	struct tc_config c;

	assert_int_equal(dp_config_get(&E.dp, &c), 0);
	c.flags = flags | (c.flags & (TC_CFG_ADDR_INCLUDE | TC_CFG_PORT_INCLUDE));
	c.tcv1_ifindex = tcv1;
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
				       .flags = F_SYN, .v6_frag_off = -1, .v6_frag_m = -1 };

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
 * A frame longer than tcpcryptd takes (TC_DP_FRAME_MAX: a 64 KB IPv6 datagram
 * on a 64 KB MTU link is one) would be dropped at the socket: a pass-through
 * flow's goes to the stack, an encrypted flow's is dropped. Anything up to
 * TC_DP_FRAME_MAX is steered whole, as a multi-buffer frame.
 */
static void test_oversize_frames(void **state)
{
	struct pkt_opts o = SYN80;
	struct tc_flow_key k;
	struct tc_flow_val v = { .state = TC_FLOW_PASSTHROUGH };

	NEED_XSK();
	o.family = AF_INET6;
	o.flags = F_ACK;
	o.payload = 65535 - 20;		/* IPv6 payload length 65535: frame 65589 */
	dp_flow_key_v6(&k, L6, R6, htons(80), htons(40000));
	assert_int_equal(dp_flow_update(&E.dp, &k, &v), 0);
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_OVERSIZE_PASS), 1);
	v.state = TC_FLOW_ENCRYPTED;
	assert_int_equal(dp_flow_update(&E.dp, &k, &v), 0);
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_OVERSIZE_DROP), 1);
	o.payload = TC_DP_FRAME_MAX - 14 - 40 - 20;	/* exactly fits */
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	o.payload = 9000;				/* a jumbo frame */
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
	uint64_t perr, frag, deep;

	NEED_XSK();
	o.vlans = 1;
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	o.vlans = 2;
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	/* a third tag could still reach TCP through nested VLAN devices */
	deep = counter(TC_DIR_WIRE, TC_CTR_TOO_DEEP_DROP);
	o.vlans = 3;
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_TOO_DEEP_DROP), deep + 1);
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
	/* an atomic fragment (offset 0, M clear) is a whole datagram to the kernel */
	o.v6_frag_off = 0;
	o.v6_frag_m = 0;
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	/* a real first fragment of a SYN the policy steers: dropped, train recorded */
	frag = counter(TC_DIR_WIRE, TC_CTR_FRAG_DROP);
	o.v6_frag_m = 1;
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	o.v6_frag_off = 100;		/* and its later fragment */
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_FRAG_DROP), frag + 2);

	o = SYN80;
	o.frag = 0x2000;		/* IPv4 MF: first fragment of a steerable SYN */
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	o.frag = 0x0010;		/* IPv4 offset: its train */
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	o.frag = 0x4000;		/* DF only: not a fragment */
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);

	/* claiming TCP but unparsable: the kernel drops these; so do we */
	perr = counter(TC_DIR_WIRE, TC_CTR_MALFORMED_DROP);
	o = SYN80;
	o.ihl_override = 4;
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	o = SYN80;
	o.doff_override = 4;
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	o = SYN80;
	o.doff_override = 15;		/* options beyond the datagram */
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	o = SYN80;
	o.bad_ipcsum = true;		/* ip_rcv_core() drops it */
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_MALFORMED_DROP), perr + 4);
	/* a UDP datagram with a bad header is not ours to judge */
	o.proto = IPPROTO_UDP;
	assert_int_equal(xdp_wire(&o), XDP_DROP);
}

/*
 * IPv6 with up to TC_EXT_MAX extension headers is parsed through; more,
 * and the frame is dropped (the kernel follows any number).
 */
static void test_ipv6_ext_limit(void **state)
{
	static uint8_t pkt[512];
	int fd, n, i;

	NEED_XSK();
	fd = bpf_program__fd(E.skel->progs.xdp_wire);
	for (n = 0; n <= TC_EXT_MAX + 2; n++) {
		struct tc_seg seg;
		size_t len = 14 + 40 + 8 * n + 20;
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = len,
			    .repeat = 1);

		memset(pkt, 0, sizeof(pkt));
		pkt[12] = 0x86;
		pkt[13] = 0xdd;
		pkt[14] = 0x60;
		pkt[14 + 4] = (len - 54) >> 8;
		pkt[14 + 5] = (len - 54) & 0xff;
		pkt[14 + 6] = n ? IPPROTO_DSTOPTS : IPPROTO_TCP;
		memcpy(pkt + 14 + 8, R6, 16);
		memcpy(pkt + 14 + 24, L6, 16);
		for (i = 0; i < n; i++)
			pkt[54 + 8 * i] = i + 1 < n ? IPPROTO_DSTOPTS : IPPROTO_TCP;
		pkt[54 + 8 * n + 2] = 0;
		pkt[54 + 8 * n + 3] = 80;
		pkt[54 + 8 * n + 12] = 5 << 4;
		pkt[54 + 8 * n + 13] = F_SYN;
		assert_int_equal(bpf_prog_test_run_opts(fd, &t), 0);
		assert_int_equal(tc_seg_parse(pkt, len, &seg),
				 n <= TC_EXT_MAX ? TC_SEG_TCP : TC_SEG_TOO_DEEP);
		assert_int_equal(t.retval, n <= TC_EXT_MAX ? XDP_REDIRECT : XDP_DROP);
	}
}

static void test_truncated_frames_never_steered(void **state)
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
		/* shorter than its IP header says: the kernel drops it too */
		assert_int_equal(t.retval, len < 14 + 20 + 20 ? XDP_DROP : XDP_REDIRECT);
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
			      .flags = F_SYN, .v6_frag_off = -1, .v6_frag_m = -1 };

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
	/* no tcv1 yet: treated as a dead daemon */
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

/* TCP options: ENO (45 02) with timestamps; timestamps only; ENO after SACK */
static const uint8_t OPT_ENO_TS[16] = { 0x45, 0x02, 1, 1, 8, 10, [14] = 1, 1 };
static const uint8_t OPT_TS[12] = { 1, 1, 8, 10 };
static const uint8_t OPT_TS_SACK_ENO[28] = { 1, 1, 8, 10, [12] = 1, 1, 5, 10,
					     [24] = 0x45, 0x02 };
/* a malformed option (length 0) hides the ENO behind it, as for tc_tcpopt_parse */
static const uint8_t OPT_BAD_ENO[8] = { 30, 0, 0x45, 0x02 };

/*
 * Finding 3 of the fail-closed review: tcpcryptd commits no flow entry
 * before the peer proved its address, so with TC_CFG_STATELESS_HS the rest
 * of a handshake is steered without one: SYN-ACKs the policy allows, and
 * wire segments carrying ENO; a dead daemon's ENO segments are dropped.
 */
static void test_stateless_handshakes(void **state)
{
	struct pkt_opts o = SYN80;
	uint64_t synack, eno, dead;

	NEED_XSK();
	/* without the flag (pass-through): only the flow map steers these */
	o.flags = F_SYN | F_ACK;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.flags = F_ACK;
	o.tcp_opts = OPT_ENO_TS;
	o.tcp_opts_len = sizeof(OPT_ENO_TS);
	assert_int_equal(xdp_wire(&o), XDP_PASS);

	set_cfg(TC_CFG_ENABLED | TC_CFG_STATELESS_HS, 7);
	synack = counter(TC_DIR_WIRE, TC_CTR_STEERED_SYNACK);
	eno = counter(TC_DIR_WIRE, TC_CTR_STEERED_ENO);
	o.tcp_opts_len = 0;
	o.flags = F_SYN | F_ACK;
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	assert_int_equal(tc_egress(&o), TC_ACT_REDIRECT);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_STEERED_SYNACK), synack + 1);
	/* the active opener's ENO segments, wherever the option sits */
	o.flags = F_ACK;
	o.tcp_opts = OPT_ENO_TS;
	o.tcp_opts_len = sizeof(OPT_ENO_TS);
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	o.payload = 100;
	o.tcp_opts = OPT_TS_SACK_ENO;
	o.tcp_opts_len = sizeof(OPT_TS_SACK_ENO);
	assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_STEERED_ENO), eno + 2);
	/* plain segments, and ENO behind a malformed option, stay on the fast path */
	o.tcp_opts = OPT_TS;
	o.tcp_opts_len = sizeof(OPT_TS);
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.tcp_opts = OPT_BAD_ENO;
	o.tcp_opts_len = sizeof(OPT_BAD_ENO);
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.tcp_opts_len = 0;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	/* the local stack sends no ENO: egress ACKs without an entry pass */
	o.tcp_opts = OPT_ENO_TS;
	o.tcp_opts_len = sizeof(OPT_ENO_TS);
	assert_int_equal(tc_egress(&o), TC_ACT_OK);
	/* policy still decides */
	set_policy("exclude lport 80");
	set_cfg(TC_CFG_ENABLED | TC_CFG_STATELESS_HS, 7);
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.flags = F_SYN | F_ACK;
	o.tcp_opts_len = 0;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	set_policy("steer-all off");
	set_cfg(TC_CFG_ENABLED | TC_CFG_STATELESS_HS, 7);
	/* dead daemon: the SYN-ACK passes (plain, like a SYN), ENO never does */
	set_heartbeat(0);
	dead = counter(TC_DIR_WIRE, TC_CTR_DEAD_DROP_ENO);
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.flags = F_ACK;
	o.tcp_opts = OPT_ENO_TS;
	o.tcp_opts_len = sizeof(OPT_ENO_TS);
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_DEAD_DROP_ENO), dead + 1);
	set_cfg(TC_CFG_ENABLED | TC_CFG_STATELESS_HS | TC_CFG_FAIL_CLOSED, 7);
	o.flags = F_SYN | F_ACK;
	o.tcp_opts_len = 0;
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	/* xdp_host takes the local SYN-ACK without an entry only with the flag */
	alive();
	o.egress = true;
	assert_int_equal(run(bpf_program__fd(E.skel->progs.xdp_host), &o), XDP_REDIRECT);
	set_cfg(TC_CFG_ENABLED, 7);
	assert_int_equal(run(bpf_program__fd(E.skel->progs.xdp_host), &o), XDP_DROP);
}

/* tc_ingress with skb->mark set to MARK (BPF_PROG_TEST_RUN's ctx_in). */
static int tc_ingress(const struct pkt_opts *o, uint32_t mark)
{
	static uint8_t pkt[PKT_MAX], out[PKT_MAX + 4096];
	struct __sk_buff ctx = { .mark = mark };
	size_t len = build(pkt, o);
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));

	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(E.skel->progs.tc_ingress), &t), 0);
	return t.retval;
}

/*
 * Generic XDP skips cloned and redirected skbs, which a peer on a veth can
 * send: tc_ingress decides for what XDP never saw (no metadata cookie) as
 * xdp_wire would, and sends what is to be steered around once more; what
 * comes back again is dropped, the host's own reinjection passes.
 */
static void test_tc_ingress_guard(void **state)
{
	struct pkt_opts o = SYN80;
	uint64_t re, drop;

	NEED_ENV();
	flow4(false, 80, 40000, TC_FLOW_ENCRYPTED);
	o.flags = F_ACK;
	o.payload = 100;
	re = counter(TC_DIR_GUARD, TC_CTR_RESTEERED);
	drop = counter(TC_DIR_GUARD, TC_CTR_RESTEER_DROP);
	assert_int_equal(tc_ingress(&o, 0), TC_ACT_REDIRECT);
	assert_int_equal(counter(TC_DIR_GUARD, TC_CTR_RESTEERED), re + 1);
	assert_int_equal(tc_ingress(&o, TC_MARK_RESTEER), TC_ACT_SHOT);
	assert_int_equal(counter(TC_DIR_GUARD, TC_CTR_RESTEER_DROP), drop + 1);
	assert_int_equal(tc_ingress(&o, TC_MARK_HOST), TC_ACT_OK);
	/* a SYN the policy steers, too */
	assert_int_equal(tc_ingress(&SYN80, 0), TC_ACT_REDIRECT);
	/* not steered: passed; a dead daemon's encrypted flow: dropped */
	o.sport = 40001;
	assert_int_equal(tc_ingress(&o, 0), TC_ACT_OK);
	o.sport = 40000;
	set_heartbeat(0);
	assert_int_equal(tc_ingress(&o, 0), TC_ACT_SHOT);
	o.proto = IPPROTO_UDP;
	assert_int_equal(tc_ingress(&o, 0), TC_ACT_OK);
}

static void set_queues(uint32_t n)
{
	struct tc_config c;

	assert_int_equal(dp_config_get(&E.dp, &c), 0);
	c.queues = n;
	assert_int_equal(dp_config_set(&E.dp, &c), 0);
}

/*
 * tc mode (no XDP on IFACE): tc_ingress makes xdp_wire's decisions on the
 * skb and redirects what is steered into tcv1 (queue queues + q, where
 * xdp_host hands it to xsks_wire[q]), counted as the wire's; the cookie
 * guard is off, and without a queue count nothing is steered.
 */
static void test_tc_mode_ingress(void **state)
{
	struct pkt_opts o = SYN80, syn2 = SYN80;
	uint64_t syn, flow, passed, re, notcv1;

	NEED_ENV();
	syn2.sport = 40005;	/* a new connection beside the flow below */
	set_cfg(TC_CFG_ENABLED | TC_CFG_TC_INGRESS, 7);
	set_queues(1);
	syn = counter(TC_DIR_WIRE, TC_CTR_STEERED_SYN);
	flow = counter(TC_DIR_WIRE, TC_CTR_STEERED_FLOW);
	passed = counter(TC_DIR_WIRE, TC_CTR_PASSED);
	re = counter(TC_DIR_GUARD, TC_CTR_RESTEERED);
	assert_int_equal(tc_ingress(&SYN80, 0), TC_ACT_REDIRECT);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_STEERED_SYN), syn + 1);
	flow4(false, 80, 40000, TC_FLOW_ENCRYPTED);
	o.flags = F_ACK;
	o.payload = 100;
	assert_int_equal(tc_ingress(&o, 0), TC_ACT_REDIRECT);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_STEERED_FLOW), flow + 1);
	/* no resteering in tc mode: the mark means nothing */
	assert_int_equal(tc_ingress(&o, TC_MARK_RESTEER), TC_ACT_REDIRECT);
	assert_int_equal(counter(TC_DIR_GUARD, TC_CTR_RESTEERED), re);
	/* the host's reinjection passes */
	assert_int_equal(tc_ingress(&o, TC_MARK_HOST), TC_ACT_OK);
	/* not steered: passed, counted as the wire's */
	o.sport = 40001;
	assert_int_equal(tc_ingress(&o, 0), TC_ACT_OK);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_PASSED), passed + 1);
	o.sport = 40000;
	/* no queue count: treated as a dead daemon, never steered to a host queue */
	set_queues(0);
	notcv1 = counter(TC_DIR_WIRE, TC_CTR_NO_TCV1);
	assert_int_equal(tc_ingress(&o, 0), TC_ACT_SHOT);
	assert_int_equal(tc_ingress(&syn2, 0), TC_ACT_OK);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_NO_TCV1), notcv1 + 2);
	set_queues(1);
	/* a dead daemon's encrypted flow: dropped; its new SYNs: plain */
	set_heartbeat(0);
	assert_int_equal(tc_ingress(&o, 0), TC_ACT_SHOT);
	assert_int_equal(tc_ingress(&syn2, 0), TC_ACT_OK);
	set_policy("fail-closed on");
	assert_int_equal(tc_ingress(&syn2, 0), TC_ACT_SHOT);
	o.proto = IPPROTO_UDP;
	assert_int_equal(tc_ingress(&o, 0), TC_ACT_OK);
	/* xdp_host: queues below cfg->queues are still the host's */
	alive();
	set_cfg(TC_CFG_ENABLED | TC_CFG_TC_INGRESS, 7);
	o = SYN80;
	o.egress = true;
	o.flags = F_ACK;
	o.sport = 40009;
	assert_int_equal(run(bpf_program__fd(E.skel->progs.xdp_host), &o), XDP_DROP);
	set_queues(0);
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
 * Fragments, both directions: a train whose first fragment belongs to an
 * ENCRYPTED flow is dropped whole (tcpcryptd cannot process fragments, and
 * neither plaintext out nor unauthenticated bytes in may pass); trains of
 * other connections pass; a later fragment of a train never seen passes
 * (without its first fragment it can complete no datagram).
 */
static void test_fragments(void **state)
{
	struct pkt_opts o = { .family = AF_INET, .sport = 40000, .dport = 443,
			      .flags = F_ACK, .v6_frag_off = -1, .v6_frag_m = -1,
			      .ip_id = 0x1234 };
	uint64_t before;

	NEED_ENV();
	flow4(true, 40000, 443, TC_FLOW_ENCRYPTED);
	before = counter(TC_DIR_EGRESS, TC_CTR_FRAG_DROP);
	o.frag = 0x2000;				/* first fragment: MF, offset 0 */
	assert_int_equal(tc_egress(&o), TC_ACT_SHOT);
	o.frag = 0x2000 | 185;				/* middle: MF, offset 1480 */
	assert_int_equal(tc_egress(&o), TC_ACT_SHOT);
	o.frag = 370;					/* last: offset 2960 */
	assert_int_equal(tc_egress(&o), TC_ACT_SHOT);
	assert_int_equal(counter(TC_DIR_EGRESS, TC_CTR_FRAG_DROP), before + 3);
	/* another train (other id) of no flow of ours passes */
	o.ip_id = 0x4321;
	assert_int_equal(tc_egress(&o), TC_ACT_OK);
	o.frag = 0x2000;
	o.sport = 40001;				/* not in the flow map, not a SYN */
	assert_int_equal(tc_egress(&o), TC_ACT_OK);
	o.frag = 185;
	assert_int_equal(tc_egress(&o), TC_ACT_OK);
	/* pass-through flows are plaintext by design: their fragments pass */
	flow4(true, 40002, 443, TC_FLOW_PASSTHROUGH);
	o.sport = 40002;
	o.ip_id = 0x5555;
	o.frag = 0x2000;
	assert_int_equal(tc_egress(&o), TC_ACT_OK);

	/* ingress: the same flow seen from the wire (ports swapped in the frame) */
	o = (struct pkt_opts){ .family = AF_INET, .sport = 443, .dport = 40000,
			       .flags = F_ACK, .v6_frag_off = -1, .v6_frag_m = -1,
			       .ip_id = 0x7777 };
	before = counter(TC_DIR_WIRE, TC_CTR_FRAG_DROP);
	o.frag = 185;		/* a later fragment before its first: passes */
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	o.frag = 0x2000;	/* the first: dropped, train recorded */
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	o.frag = 370;		/* later ones now dropped */
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	assert_int_equal(counter(TC_DIR_WIRE, TC_CTR_FRAG_DROP), before + 2);
	/* the egress record does not cover ingress, nor the other way round */
	o.ip_id = 0x1234;
	assert_int_equal(xdp_wire(&o), XDP_PASS);
	/* IPv6: first fragment of an encrypted flow, then a later one */
	flows_clear();
	{
		struct tc_flow_key k;
		struct tc_flow_val v = { .state = TC_FLOW_ENCRYPTED };

		dp_flow_key_v6(&k, L6, R6, htons(40000), htons(443));
		assert_int_equal(dp_flow_update(&E.dp, &k, &v), 0);
	}
	o.family = AF_INET6;
	o.frag = 0;
	o.v6_frag_off = 0;
	o.v6_frag_m = 1;
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	o.v6_frag_off = 200;
	o.v6_frag_m = 0;
	assert_int_equal(xdp_wire(&o), XDP_DROP);
	/* an atomic fragment of it is a whole segment: steered, not dropped */
	o.v6_frag_off = 0;
	if (E.xsk_fd >= 0)
		assert_int_equal(xdp_wire(&o), XDP_REDIRECT);
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

/* dp_flow_iterate / dp_session_iterate: each entry once, across many batches. */
struct walk_seen {
	uint8_t seen[3000];
	unsigned int n, dup, stop_at;
};

static int walk_mark(const struct tc_flow_key *k, uint16_t vq, struct walk_seen *w)
{
	unsigned int i = ((unsigned int)k->remote[2] << 8) | k->remote[3];

	assert_true(i < sizeof(w->seen));
	assert_int_equal(vq, i & 0xff);		/* the value is the key's */
	w->dup += w->seen[i]++;
	return ++w->n == w->stop_at ? -EINTR : 0;
}

static int walk_flow_fn(const struct tc_flow_key *k, const struct tc_flow_val *v, void *arg)
{
	return walk_mark(k, v->queue, arg);
}

static int walk_session_fn(const struct tc_flow_key *k, const struct tc_session *s, void *arg)
{
	return walk_mark(k, s->queue, arg);
}

static void test_map_walks(void **state)
{
	static struct walk_seen w;
	struct tc_flow_val v = { .state = TC_FLOW_ENCRYPTED };
	struct tc_session s = { .state = TC_SESS_ENCRYPTED };
	const unsigned int n = 2500;	/* about ten batches */
	struct tc_flow_key k;
	unsigned int i;

	NEED_ENV();
	for (i = 0; i < n; i++) {
		uint8_t r[4] = { 10, 9, i >> 8, i };

		dp_flow_key_v4(&k, L4, r, htons(80), htons(1000));
		v.queue = s.queue = i & 0xff;
		assert_int_equal(dp_flow_update(&E.dp, &k, &v), 0);
		assert_int_equal(dp_session_put(&E.dp, &k, &s), 0);
	}
	memset(&w, 0, sizeof(w));
	assert_int_equal(dp_flow_iterate(&E.dp, walk_flow_fn, &w), 0);
	assert_int_equal(w.n, n);
	assert_int_equal(w.dup, 0);
	memset(&w, 0, sizeof(w));
	assert_int_equal(dp_session_iterate(&E.dp, walk_session_fn, &w), 0);
	assert_int_equal(w.n, n);
	assert_int_equal(w.dup, 0);
	/* the callback's error ends the walk, mid-batch */
	memset(&w, 0, sizeof(w));
	w.stop_at = 300;
	assert_int_equal(dp_flow_iterate(&E.dp, walk_flow_fn, &w), -EINTR);
	assert_int_equal(w.n, 300);
	/* an empty map: no call */
	flows_clear();
	memset(&w, 0, sizeof(w));
	assert_int_equal(dp_flow_iterate(&E.dp, walk_flow_fn, &w), 0);
	assert_int_equal(w.n, 0);
	while (!bpf_map_get_next_key(E.dp.maps.sessions, NULL, &k))
		bpf_map_delete_elem(E.dp.maps.sessions, &k);
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

/* ---- the differential test: BPF against tc_seg_parse() ---- */

static uint64_t rng = 0x7463727970746364ull;	/* fixed seed: failures replay */

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static uint32_t rndn(uint32_t n)
{
	return rnd() % n;
}

/* The flows of the differential test, in this host's view. */
#define DIFF_FLOWS 6
static const struct {
	int family;
	uint16_t lport, rport;
	uint8_t state;
} diff_flows[DIFF_FLOWS] = {
	{ AF_INET, 443, 40000, TC_FLOW_ENCRYPTED },
	{ AF_INET, 443, 40001, TC_FLOW_NEGOTIATING },
	{ AF_INET, 443, 40002, TC_FLOW_PASSTHROUGH },
	{ AF_INET, 443, 40003, TC_FLOW_PLAIN },
	{ AF_INET6, 443, 40000, TC_FLOW_ENCRYPTED },
	{ AF_INET6, 443, 40002, TC_FLOW_PASSTHROUGH },
};
#define DIFF_POLICY_PORT 80	/* SYNs to this local port are steered */
/* TC_CFG_STATELESS_HS set: SYN-ACKs and ENO segments are steered without an entry */
static bool diff_stateless;

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* IPv6 extension headers before the upper layer; returns bytes written. */
static size_t gen_v6_exts(uint8_t *b, uint8_t *first_nh, uint8_t upper)
{
	static const uint8_t types[] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
					 IPPROTO_AH, IPPROTO_FRAGMENT };
	uint8_t *prev_nh = first_nh;
	size_t n = 0;
	int count = rndn(4) ? rndn(3) : rndn(TC_EXT_MAX + 3), i;

	for (i = 0; i < count; i++) {
		uint8_t t = types[rndn(sizeof(types))], *h = b + n;
		size_t len;

		if (t == IPPROTO_HOPOPTS && i && rndn(4))
			t = IPPROTO_DSTOPTS;	/* mostly where it belongs */
		*prev_nh = t;
		if (t == IPPROTO_FRAGMENT) {
			uint16_t off = rndn(3) ? 0 : 1 + rndn(300), m = rndn(2);

			put16(h + 2, off << 3 | m);
			h[4] = 0;
			h[7] = rndn(16);	/* few ids: later fragments meet their trains */
			len = 8;
		} else if (t == IPPROTO_AH) {
			h[1] = 2 * (1 + rndn(2));	/* 16 or 24 bytes: multiples of 8 */
			len = (h[1] + 2) * 4;
		} else {
			h[1] = rndn(3);
			len = (h[1] + 1) * 8;
			memset(h + 2, 1, len - 2);	/* PadN-ish filler */
			h[2] = 1;
			h[3] = len - 4;
		}
		prev_nh = h;
		n += len;
	}
	*prev_nh = upper;
	return n;
}

/*
 * A frame of many shapes: EGRESS gives this host's addresses as source.
 * Returns its length.
 */
static size_t gen_frame(uint8_t *b, bool egress)
{
	static const uint8_t flag_set[] = { F_SYN, F_SYN | F_ACK, F_ACK, F_ACK | 0x08,
					    F_FIN | F_ACK, F_RST, F_RST | F_ACK, 0xff };
	int family = rndn(2) ? AF_INET : AF_INET6, vlans = rndn(10) ? rndn(3) : 3;
	uint32_t i;
	uint16_t lport, rport;
	uint8_t upper = rndn(12) ? IPPROTO_TCP : (rndn(2) ? IPPROTO_UDP : 50 /* ESP */);
	size_t n = 12, l3, l4, payload = rndn(3) ? rndn(64) : rndn(1400);
	uint8_t flags = flag_set[rndn(sizeof(flag_set))];

	if (rndn(10) < 7) {
		int f = rndn(DIFF_FLOWS);

		family = diff_flows[f].family;
		lport = diff_flows[f].lport;
		rport = diff_flows[f].rport;
	} else {
		lport = rndn(3) ? DIFF_POLICY_PORT : rndn(65536);
		rport = 40000 + rndn(8);
	}
	memset(b, 0, 14 + 8 * 4 + 40 + 512 + 60 + 1400);
	memcpy(b, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	for (i = 0; i < (uint32_t)vlans; i++) {
		put16(b + n, i == 0 && vlans > 1 ? 0x88a8 : 0x8100);
		put16(b + n + 2, 10 + i);
		n += 4;
	}
	put16(b + n, family == AF_INET ? 0x0800 : 0x86dd);
	n += 2;
	l3 = n;
	if (family == AF_INET) {
		int opts = rndn(4) ? 0 : 4 * rndn(11);
		uint16_t frag = 0;

		b[l3] = 0x40 | (5 + opts / 4);
		put16(b + l3 + 4, rndn(16));		/* id */
		if (!rndn(5))
			frag = rndn(2) ? 0x2000 : (rndn(2) ? 0x2000 : 0) | (1 + rndn(300));
		put16(b + l3 + 6, frag | (rndn(2) ? 0x4000 : 0));
		b[l3 + 8] = 64;
		b[l3 + 9] = upper;
		memcpy(b + l3 + 12, egress ? L4 : R4, 4);
		memcpy(b + l3 + 16, egress ? R4 : L4, 4);
		memset(b + l3 + 20, 1, opts);
		n += 20 + opts;
	} else {
		b[l3] = 0x60;
		b[l3 + 7] = 64;
		memcpy(b + l3 + 8, egress ? L6 : R6, 16);
		memcpy(b + l3 + 24, egress ? R6 : L6, 16);
		n += 40;
		n += gen_v6_exts(b + n, b + l3 + 6, upper);
	}
	l4 = n;
	put16(b + l4, egress ? lport : rport);
	put16(b + l4 + 2, egress ? rport : lport);
	for (i = 4; i < 12; i++)
		b[l4 + i] = rnd();
	b[l4 + 12] = (rndn(8) ? 5 : 5 + rndn(11)) << 4;
	b[l4 + 13] = flags;
	n += 20;
	if ((b[l4 + 12] >> 4) > 5)
		n += ((b[l4 + 12] >> 4) - 5) * 4;
	/* with stateless handshakes, an ENO option steers: put one first, among NOPs */
	if (diff_stateless && (b[l4 + 12] >> 4) > 5 && rndn(2)) {
		uint32_t olen = ((b[l4 + 12] >> 4) - 5) * 4, at = rndn(2) ? 0 : rndn(olen);

		memset(b + l4 + 20, 1, olen);
		if (at + 2 <= olen) {
			b[l4 + 20 + at] = 69;
			b[l4 + 21 + at] = 2 + rndn(olen - at - 1);
		}
	}
	for (i = 0; i < payload; i++)
		b[n + i] = rnd();
	n += payload;
	if (family == AF_INET) {
		put16(b + l3 + 2, n - l3);
		ipv4_csum(b + l3);
	} else {
		put16(b + l3 + 4, n - l3 - 40);
	}
	/* mutations */
	if (rndn(2)) {
		int k = 1 + rndn(4);

		while (k--)
			b[rndn(n < 120 ? n : 120)] ^= 1 << rndn(8);
		/* usually a valid IPv4 header checksum, so later bytes get tested */
		if (family == AF_INET && rndn(4) && (b[l3] >> 4) == 4 && (b[l3] & 0xf) >= 5 &&
		    l3 + (b[l3] & 0xf) * 4 <= n)
			ipv4_csum(b + l3);
	}
	if (!rndn(10))
		n = 1 + rndn(n);		/* truncated */
	else if (!rndn(20))
		n += rndn(40);			/* trailing bytes (padding) */
	return n;
}

/* The frame's flow key in this host's view, from tc_seg_parse(). */
static void seg_flow_key(const struct tc_seg *sg, bool egress, struct tc_flow_key *k)
{
	const uint8_t *local = egress ? sg->saddr : sg->daddr;
	const uint8_t *remote = egress ? sg->daddr : sg->saddr;
	uint16_t lport = egress ? sg->sport : sg->dport, rport = egress ? sg->dport : sg->sport;

	if (sg->family == AF_INET)
		dp_flow_key_v4(k, local, remote, htons(lport), htons(rport));
	else
		dp_flow_key_v6(k, local, remote, htons(lport), htons(rport));
}

static void dump_frame(const char *what, const uint8_t *b, size_t n, int kind, int ret)
{
	size_t i;

	print_message("# %s: kind %s, BPF returned %d, %zu bytes:\n#", what,
		      tc_seg_kind_str(kind), ret, n);
	for (i = 0; i < n && i < 160; i++)
		print_message(" %02x", b[i]);
	print_message("\n");
}

struct diff_stats {
	unsigned int steered, passed, dropped, kinds[TC_SEG_TOO_DEEP + 1];
	unsigned int stateless;	/* steered by the stateless-handshake rule alone */
	unsigned int tc_agreed;	/* tc mode: frames tc_ingress decided as xdp_wire */
};

/*
 * tc mode: tc_ingress must decide every frame as xdp_wire just did (steer,
 * pass, drop), since it replaces xdp_wire on the interface.
 */
static bool diff_tc_mode;

static void diff_tc_ingress(const uint8_t *b, size_t n, __u32 xdp_ret, struct diff_stats *ds)
{
	static uint8_t out[PKT_MAX + 4096];
	struct __sk_buff ctx = {};
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = b, .data_size_in = n,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
	__u32 want = xdp_ret == XDP_REDIRECT ? TC_ACT_REDIRECT :
		     xdp_ret == XDP_PASS ? TC_ACT_OK : TC_ACT_SHOT;

	if (bpf_prog_test_run_opts(bpf_program__fd(E.skel->progs.tc_ingress), &t)) {
		if (errno == EINVAL && n < 64)
			return;		/* a runt the stack could not have made */
		print_message("# tc_ingress test run failed: %s, %zu bytes\n", strerror(errno), n);
		fail();
	}
	if (t.retval != want) {
		dump_frame("tc mode: tc_ingress decided otherwise than xdp_wire", b, n, -1,
			   t.retval);
		fail();
	}
	ds->tc_agreed++;
}

/* One frame through one program, checked against tc_seg_parse(). */
static void diff_one(int fd, bool egress, struct diff_stats *ds)
{
	static uint8_t b[PKT_MAX], out[PKT_MAX + 4096];
	/* trains whose first fragment BPF dropped: family, direction, addresses, id */
	static struct {
		int family;
		bool egress;
		uint8_t src[16], dst[16];
		uint32_t id;
	} trains[4096];
	static int ntrains;
	size_t n = gen_frame(b, egress);
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = b, .data_size_in = n,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	__u32 steer = egress ? TC_ACT_REDIRECT : XDP_REDIRECT;
	__u32 pass = egress ? TC_ACT_OK : XDP_PASS;
	uint64_t fdrops = counter(egress ? TC_DIR_EGRESS : TC_DIR_WIRE, TC_CTR_FRAG_DROP);
	struct tc_flow_val v;
	struct tc_flow_key k;
	struct tc_seg sg;
	bool steered_flow = false, keyed_flow = false, policy_syn = false, handshake = false;
	int kind, i;

	if (n < 14)
		return;		/* BPF_PROG_TEST_RUN wants an Ethernet header */
	if (bpf_prog_test_run_opts(fd, &t)) {
		/* skb test runs refuse runts the stack could not have made anyway */
		if (egress && errno == EINVAL && n < 64)
			return;
		print_message("# test run failed: %s, %zu bytes, %s\n", strerror(errno), n,
			      egress ? "tc_egress" : "xdp_wire");
		fail();
	}
	if (!egress && diff_tc_mode)
		diff_tc_ingress(b, n, t.retval, ds);
	kind = tc_seg_parse(b, n, &sg);
	ds->kinds[kind]++;
	if (kind == TC_SEG_TCP || kind == TC_SEG_FRAG_FIRST) {
		uint16_t lport = egress ? sg.sport : sg.dport;
		uint8_t fl = sg.flags;
		bool fl_known = kind == TC_SEG_TCP || (uint32_t)sg.l4_off + 14 <= sg.ip_end;

		seg_flow_key(&sg, egress, &k);
		if (!dp_flow_lookup(&E.dp, &k, &v)) {
			steered_flow = v.state != TC_FLOW_PLAIN;
			keyed_flow = v.state == TC_FLOW_NEGOTIATING || v.state == TC_FLOW_ENCRYPTED;
		}
		if (kind == TC_SEG_FRAG_FIRST && fl_known)
			fl = b[sg.l4_off + 13];
		policy_syn = lport == DIFF_POLICY_PORT &&
			     (!fl_known || (fl & (F_SYN | F_ACK)) == F_SYN);
		if (diff_stateless && kind == TC_SEG_TCP) {
			struct tc_tcpopt o;

			tc_tcpopt_parse(b + sg.l4_off + 20, sg.thl - 20, &o);
			handshake = (fl & (F_SYN | F_ACK)) == (F_SYN | F_ACK) ||
				    (!(fl & F_SYN) && o.has_eno);
		}
	}
	if (t.retval == steer) {
		ds->steered++;
		/* BPF steers => a whole TCP segment of a steered flow, same 4-tuple
		 * (or, stateless, a SYN-ACK or a segment with an ENO option) */
		if (kind != TC_SEG_TCP || !(steered_flow || policy_syn || handshake)) {
			dump_frame("steered but not a steered TCP segment", b, n, kind, t.retval);
			fail();
		}
		if (!steered_flow && !policy_syn)
			ds->stateless++;
	} else if (t.retval == pass) {
		ds->passed++;
		if (kind == TC_SEG_TOO_DEEP || (kind == TC_SEG_TCP && (steered_flow || policy_syn)) ||
		    (kind == TC_SEG_FRAG_FIRST && (keyed_flow || (!steered_flow && policy_syn)))) {
			dump_frame("passed but could be in a steered connection", b, n, kind,
				   t.retval);
			fail();
		}
		if (kind == TC_SEG_FRAG_LATER) {
			for (i = 0; i < ntrains; i++) {
				if (trains[i].family == sg.family && trains[i].egress == egress &&
				    !memcmp(trains[i].src, sg.saddr, sg.alen) &&
				    !memcmp(trains[i].dst, sg.daddr, sg.alen) &&
				    trains[i].id == sg.frag_id) {
					dump_frame("later fragment of a dropped train passed", b, n,
						   kind, t.retval);
					fail();
				}
			}
		}
	} else {
		ds->dropped++;
		/* a first fragment BPF dropped as such: its later fragments must not pass */
		if (kind == TC_SEG_FRAG_FIRST && ntrains < 4096 &&
		    counter(egress ? TC_DIR_EGRESS : TC_DIR_WIRE, TC_CTR_FRAG_DROP) > fdrops) {
			trains[ntrains].family = sg.family;
			trains[ntrains].egress = egress;
			memcpy(trains[ntrains].src, sg.saddr, sg.alen);
			memcpy(trains[ntrains].dst, sg.daddr, sg.alen);
			trains[ntrains].id = sg.frag_id;
			ntrains++;
		}
	}
}

static void test_differential_bpf_vs_tc_seg_parse(void **state)
{
	struct diff_stats in = {}, eg = {};
	int i, f;

	NEED_XSK();
	set_policy("include lport 80");
	for (f = 0; f < DIFF_FLOWS; f++) {
		struct tc_flow_key k;
		struct tc_flow_val v = { .state = diff_flows[f].state };

		if (diff_flows[f].family == AF_INET)
			dp_flow_key_v4(&k, L4, R4, htons(diff_flows[f].lport),
				       htons(diff_flows[f].rport));
		else
			dp_flow_key_v6(&k, L6, R6, htons(diff_flows[f].lport),
				       htons(diff_flows[f].rport));
		assert_int_equal(dp_flow_update(&E.dp, &k, &v), 0);
	}
	for (i = 0; i < 30000; i++) {
		diff_one(bpf_program__fd(E.skel->progs.xdp_wire), false, &in);
		diff_one(bpf_program__fd(E.skel->progs.tc_egress), true, &eg);
	}
	print_message("# xdp_wire: %u steered %u passed %u dropped; tc_egress: %u/%u/%u\n",
		      in.steered, in.passed, in.dropped, eg.steered, eg.passed, eg.dropped);
	print_message("# tc_seg_parse kinds (ingress): tcp %u not_tcp %u frag_first %u "
		      "frag_later %u malformed %u too_deep %u\n", in.kinds[0], in.kinds[1],
		      in.kinds[2], in.kinds[3], in.kinds[4], in.kinds[5]);
	/* the test is not vacuous: every outcome and every kind was seen */
	assert_true(in.steered > 1000 && eg.steered > 1000);
	assert_true(in.passed > 1000 && eg.passed > 1000);
	assert_true(in.dropped > 1000 && eg.dropped > 1000);
	for (i = 0; i <= TC_SEG_TOO_DEEP; i++)
		assert_true(in.kinds[i] > 20);

	/*
	 * again with stateless handshakes (tcpcryptd encrypting), and in tc
	 * mode: tc_ingress beside xdp_wire on every ingress frame
	 */
	memset(&in, 0, sizeof(in));
	memset(&eg, 0, sizeof(eg));
	set_cfg(TC_CFG_ENABLED | TC_CFG_STATELESS_HS | TC_CFG_TC_INGRESS, 7);
	set_queues(1);
	diff_stateless = true;
	diff_tc_mode = true;
	for (i = 0; i < 15000; i++) {
		diff_one(bpf_program__fd(E.skel->progs.xdp_wire), false, &in);
		diff_one(bpf_program__fd(E.skel->progs.tc_egress), true, &eg);
	}
	diff_tc_mode = false;
	diff_stateless = false;
	set_queues(0);
	print_message("# stateless: xdp_wire %u steered (%u by the handshake rule alone) %u passed "
		      "%u dropped; tc_egress %u (%u)/%u/%u; tc mode: tc_ingress agreed on %u\n",
		      in.steered, in.stateless, in.passed, in.dropped, eg.steered, eg.stateless,
		      eg.passed, eg.dropped, in.tc_agreed);
	assert_true(in.stateless > 100 && eg.stateless > 100);
	assert_true(in.tc_agreed > 10000);
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
	m->sessions = bpf_map__fd(E.skel->maps.tc_sessions);
	m->dstats = bpf_map__fd(E.skel->maps.tc_dstats);
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
		cmocka_unit_test_setup(test_truncated_frames_never_steered, reset),
		cmocka_unit_test_setup(test_ipv6_ext_limit, reset),
		cmocka_unit_test_setup(test_disabled_stops_new_connections_only, reset),
		cmocka_unit_test_setup(test_tc_egress, reset),
		cmocka_unit_test_setup(test_xdp_host, reset),
		cmocka_unit_test_setup(test_stateless_handshakes, reset),
		cmocka_unit_test_setup(test_tc_ingress_guard, reset),
		cmocka_unit_test_setup(test_tc_mode_ingress, reset),
		cmocka_unit_test_setup(test_probe_bitmaps, reset),
		cmocka_unit_test_setup(test_fragments, reset),
		cmocka_unit_test_setup(test_flow_map_full_never_evicts, reset),
		cmocka_unit_test_setup(test_differential_bpf_vs_tc_seg_parse, reset),
		cmocka_unit_test_setup(test_map_walks, reset),
		cmocka_unit_test(test_policy_parse_errors),
	};

	if (geteuid() != 0) {
		printf("1..1\nok 1 - test_bpf_steer # SKIP needs root (BPF programs, "
		       "a network namespace, an AF_XDP socket)\n");
		return 0;
	}

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
