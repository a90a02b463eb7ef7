// SPDX-License-Identifier: GPL-2.0
/*
 * Steering programs of the tcpcrypt datapath (see notes in tcpcrypt_shared.h):
 *  xdp_wire   (XDP on IFACE):    SYNs allowed by policy, the rest of their
 *                                handshakes (TC_CFG_STATELESS_HS) and segments of flows in
 *                                tc_flows -> xsks_wire[rx queue]; rest XDP_PASS.
 *  tc_egress  (tc egress IFACE): the same selection -> redirected into the
 *                                INGRESS of tcv1, on the flow's owning queue.
 *  xdp_host   (XDP on tcv1, skb mode): TCP segments of steered flows ->
 *                                xsks_host[rx queue]; anything else dropped.
 *                                In tc mode also the wire's: -> xsks_wire.
 *  tc_ingress (tc ingress IFACE): tc mode (no XDP on IFACE): xdp_wire's
 *                                selection -> the ingress of tcv1, on queue
 *                                queues + q. Else a guard for what XDP missed.
 *  tc_host_tx (tc egress tcv0):  drops everything: the host never sends into
 *                                the datapath through tcv0.
 * Decisions come only from maps. When the daemon is dead (stale heartbeat,
 * or an empty XSKMAP slot in XDP), segments of NEGOTIATING/ENCRYPTED flows
 * are dropped, PASSTHROUGH flows pass (they are plaintext by design), new
 * SYNs pass as plain TCP unless TC_CFG_FAIL_CLOSED, then they are dropped.
 *
 * A frame is passed only when it is provably outside every steered
 * connection: not TCP at all, a segment of a connection that is not steered,
 * or a fragment that cannot complete a steered connection's datagram (see
 * tc_frags). Frames claiming TCP that cannot be parsed, IPv6 with more than
 * TC_EXT_MAX extension headers and frames with more than TC_VLAN_MAX VLAN
 * tags are dropped: the kernel could still deliver some of them to TCP.
 * The parser decides as lib/engine/seg.c's tc_seg_parse() does (the unit
 * test holds them to each other): a frame steered here parses as TCP there.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <linux/if_packet.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "tcpcrypt_shared.h"

#define AF_INET		2
#define AF_INET6	10

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tc_config);
} tc_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tc_live);
} tc_live SEC(".maps");

/*
 * A plain hash, not LRU: an LRU would evict an ENCRYPTED flow under pressure
 * and its segments would then pass in plaintext. Full map: tcpcryptd's insert
 * fails (E2BIG) and it leaves that new connection plain.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TC_FLOWS_MAX);
	__type(key, struct tc_flow_key);
	__type(value, struct tc_flow_val);
} tc_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct tc_frag_key);
	__type(value, __u8);
} tc_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TC_DIR_MAX * TC_CTR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} tc_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TC_POL_PREFIXES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tc_lpm_v4);
	__type(value, __u8);
} tc_pol_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TC_POL_PREFIXES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tc_lpm_v6);
	__type(value, __u8);
} tc_pol_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TC_POL_PORTS_MAX);
	__type(key, struct tc_port_key);
	__type(value, __u8);
} tc_pol_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, TC_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_wire SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, TC_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_host SEC(".maps");

/* Userspace only (tcpcryptd writes, tcnetstat reads): see keep_maps(). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TC_SESSIONS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tc_flow_key);
	__type(value, struct tc_session);
} tc_sessions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TC_DSTATS_SLOTS);
	__type(key, __u32);
	__type(value, struct tc_dstats);
} tc_dstats SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

enum verdict {
	V_PASS,
	V_STEER,
	V_DROP,
};

/* What parse() found; the same kinds as enum tc_seg_kind (lib/engine/seg.h). */
enum pkind {
	P_TCP,		/* a whole TCP segment: key, flags, l4_off valid */
	P_NOT_TCP,	/* never delivered to TCP by the kernel */
	P_FRAG_FIRST,	/* first fragment of a TCP datagram: key and fk valid */
	P_FRAG_LATER,	/* later fragment: fk valid */
	P_MALFORMED,	/* claims TCP (or the IP header is unreadable) */
	P_TOO_DEEP,	/* more than TC_EXT_MAX ext headers or TC_VLAN_MAX tags */
};

struct pinfo {
	struct tc_flow_key key;
	struct tc_frag_key fk;
	__u32 l4_off;		/* TCP header, from the start of the frame */
	__u8 flags;		/* TCP flags (P_TCP; P_FRAG_FIRST if flags_known) */
	bool flags_known;
};

#define TCPF_FIN	0x01
#define TCPF_SYN	0x02
#define TCPF_RST	0x04
#define TCPF_ACK	0x10
#define TCPF_URG	0x20

/*
 * Headers are read in the linear part of the frame only. A frame whose
 * headers lie beyond it (or beyond this offset) and that claims TCP is
 * P_MALFORMED, i.e. dropped, never steered or passed.
 */
#define TC_HDR_MAX	1024

static __always_inline void count(__u32 dir, __u32 ctr)
{
	__u32 key = dir * TC_CTR_MAX + ctr;
	__u64 *v = bpf_map_lookup_elem(&tc_counters, &key);

	if (v)
		*v += 1;
}

/* The TCP header at OFF within a datagram ending at END (tc_seg_parse's parse_tcp). */
static __always_inline int parse_tcp(void *data, void *data_end, __u32 off, __u32 end,
				     bool egress, struct pinfo *pi)
{
	struct tcphdr *th;
	__u32 thl;

	if (off > TC_HDR_MAX)
		return P_MALFORMED;
	th = data + off;
	if ((void *)(th + 1) > data_end || off + sizeof(*th) > end)
		return P_MALFORMED;
	thl = th->doff * 4;
	if (thl < sizeof(*th) || off + thl > end)
		return P_MALFORMED;
	if (egress) {
		pi->key.lport = th->source;
		pi->key.rport = th->dest;
	} else {
		pi->key.lport = th->dest;
		pi->key.rport = th->source;
	}
	/* byte 13 of the TCP header: CWR ECE URG ACK PSH RST SYN FIN */
	pi->flags = ((__u8 *)th)[13];
	pi->flags_known = true;
	pi->l4_off = off;
	return P_TCP;
}

/* Ports (and flags if present) of a first fragment's TCP header at OFF. */
static __always_inline int parse_frag_first(void *data, void *data_end, __u32 off,
					    __u32 end, bool egress, struct pinfo *pi)
{
	__u8 *th;

	if (off > TC_HDR_MAX)
		return P_MALFORMED;
	th = data + off;
	/* it must show the ports (tc_seg_parse: else malformed) */
	if ((void *)(th + 4) > data_end || off + 4 > end)
		return P_MALFORMED;
	if (egress) {
		__builtin_memcpy(&pi->key.lport, th, 2);
		__builtin_memcpy(&pi->key.rport, th + 2, 2);
	} else {
		__builtin_memcpy(&pi->key.rport, th, 2);
		__builtin_memcpy(&pi->key.lport, th + 2, 2);
	}
	th += 13;		/* the flags byte, if this fragment holds it */
	barrier_var(th);
	if ((void *)(th + 1) <= data_end && off + 14 <= end) {
		pi->flags = *th;
		pi->flags_known = true;
	}
	pi->l4_off = off;
	return P_FRAG_FIRST;
}

/* One's complement sum of the IPv4 header (ihl words), folded. */
static __always_inline int ipv4_csum_ok(struct iphdr *iph, void *data_end, __u32 words)
{
	void *p = iph;
	__u64 sum = 0;
	int i;

	/* a bounded loop: the verifier walks it, no unrolling needed */
	for (i = 0; i < 15 && i < words; i++) {
		/* keep the compiler from rewriting the check as data_end - 4 */
		barrier_var(p);
		if (p + 4 > data_end)
			return 0;
		sum += *(__u32 *)p;
		p += 4;
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static __always_inline int parse_ipv4(void *data, void *data_end, __u32 l3, __u32 len,
				      bool egress, struct pinfo *pi)
{
	struct iphdr *iph = data + l3;
	__u32 ihl, tot, end;
	__u16 frag;

	/* what ip_rcv_core() drops */
	if ((void *)(iph + 1) > data_end || iph->version != 4)
		return P_MALFORMED;
	ihl = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	if (ihl < sizeof(*iph) || tot < ihl || l3 + tot > len || (void *)iph + ihl > data_end)
		return P_MALFORMED;
	if (!ipv4_csum_ok(iph, data_end, ihl / 4))
		return P_MALFORMED;
	if (iph->protocol != IPPROTO_TCP)
		return P_NOT_TCP;
	pi->key.family = AF_INET;
	if (egress) {
		__builtin_memcpy(pi->key.local, &iph->saddr, 4);
		__builtin_memcpy(pi->key.remote, &iph->daddr, 4);
	} else {
		__builtin_memcpy(pi->key.local, &iph->daddr, 4);
		__builtin_memcpy(pi->key.remote, &iph->saddr, 4);
	}
	end = l3 + tot;
	frag = bpf_ntohs(iph->frag_off);
	if (frag & 0x3fff) {		/* MF or an offset: a fragment */
		pi->fk.family = AF_INET;
		pi->fk.dir = egress ? TC_DIR_EGRESS : TC_DIR_WIRE;
		pi->fk.id = iph->id;
		__builtin_memcpy(pi->fk.saddr, &iph->saddr, 4);
		__builtin_memcpy(pi->fk.daddr, &iph->daddr, 4);
		if (frag & 0x1fff)
			return P_FRAG_LATER;
		return parse_frag_first(data, data_end, l3 + ihl, end, egress, pi);
	}
	return parse_tcp(data, data_end, l3 + ihl, end, egress, pi);
}

/* IPv6 extension header, common prefix */
struct ext_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct frag6_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;	/* offset << 3 | M */
	__be32 id;
};

static __always_inline int parse_ipv6(void *data, void *data_end, __u32 l3, __u32 len,
				      bool egress, struct pinfo *pi)
{
	struct ipv6hdr *ip6 = data + l3;
	bool first_frag = false;
	__u32 plen, end, off;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
		return P_MALFORMED;
	plen = bpf_ntohs(ip6->payload_len);
	/* payload length 0 is a jumbogram: not on these links */
	if (!plen || l3 + sizeof(*ip6) + plen > len)
		return P_MALFORMED;
	end = l3 + sizeof(*ip6) + plen;
	pi->key.family = AF_INET6;
	if (egress) {
		__builtin_memcpy(pi->key.local, &ip6->saddr, 16);
		__builtin_memcpy(pi->key.remote, &ip6->daddr, 16);
	} else {
		__builtin_memcpy(pi->key.local, &ip6->daddr, 16);
		__builtin_memcpy(pi->key.remote, &ip6->saddr, 16);
	}
	nh = ip6->nexthdr;
	off = l3 + sizeof(*ip6);
#pragma unroll
	for (i = 0; i <= TC_EXT_MAX; i++) {
		struct ext_hdr *eh;

		if (nh == IPPROTO_TCP) {
			if (first_frag)
				return parse_frag_first(data, data_end, off, end, egress, pi);
			return parse_tcp(data, data_end, off, end, egress, pi);
		}
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_AH && nh != IPPROTO_FRAGMENT)
			/* ESP, no next header, unknown: never reaches TCP as such */
			return P_NOT_TCP;
		/* hop-by-hop only right after the fixed header (ipv6_rcv) */
		if (nh == IPPROTO_HOPOPTS && i)
			return P_NOT_TCP;
		if (off > TC_HDR_MAX || off + 8 > end)
			return P_MALFORMED;
		eh = data + off;
		if ((void *)eh + 8 > data_end)
			return P_MALFORMED;
		if (nh == IPPROTO_FRAGMENT) {
			struct frag6_hdr *fh = (void *)eh;
			__u16 fo = bpf_ntohs(fh->frag_off);

			nh = fh->nexthdr;
			off += 8;
			/* an atomic fragment is a whole datagram (ipv6_frag_rcv) */
			if (!(fo & 0xfff9))
				continue;
			pi->fk.family = AF_INET6;
			pi->fk.dir = egress ? TC_DIR_EGRESS : TC_DIR_WIRE;
			pi->fk.id = fh->id;
			__builtin_memcpy(pi->fk.saddr, &ip6->saddr, 16);
			__builtin_memcpy(pi->fk.daddr, &ip6->daddr, 16);
			if (fo & 0xfff8)
				return P_FRAG_LATER;
			/*
			 * First fragment: extension headers may follow in the
			 * fragmentable part and lead to TCP; follow them.
			 */
			first_frag = true;
			continue;
		}
		/* AH counts 4-byte units less 2, the others 8-byte units less 1 */
		off += nh == IPPROTO_AH ? (eh->hdrlen + 2) * 4 : (eh->hdrlen + 1) * 8;
		nh = eh->nexthdr;
		if (off > end)
			return P_MALFORMED;
	}
	return P_TOO_DEEP;
}

/*
 * Parse Ethernet (+ up to two VLAN tags), IPv4/IPv6, TCP into a normalized
 * flow key, as tc_seg_parse() would: LEN is the whole frame's length (XDP
 * fragments included), headers are read from the linear part. EGRESS:
 * local = source; otherwise local = destination.
 */
static __always_inline int parse(void *data, void *data_end, __u32 len, bool egress,
				 struct pinfo *pi)
{
	struct ethhdr *eth = data;
	__u32 l3 = sizeof(*eth);
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return P_MALFORMED;
	proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < TC_VLAN_MAX; i++) {
		struct vlan_hdr *vh = data + l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return P_MALFORMED;
		proto = vh->proto;
		l3 += sizeof(*vh);
	}
	/* deeper stacks could still reach TCP through nested VLAN devices */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		return P_TOO_DEEP;
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(data, data_end, l3, len, egress, pi);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(data, data_end, l3, len, egress, pi);
	return P_NOT_TCP;
}

static __always_inline __u8 lookup_action(void *map, void *key)
{
	__u8 *a = bpf_map_lookup_elem(map, key);

	return a ? *a : TC_POL_NONE;
}

static __always_inline bool policy_allows(const struct tc_config *cfg,
					  const struct tc_flow_key *key)
{
	struct tc_port_key pk = {};
	__u8 a, lp, rp;

	if (cfg->flags & TC_CFG_STEER_ALL)
		return true;
	if (key->family == AF_INET) {
		struct tc_lpm_v4 k4 = { .prefixlen = 32 };

		__builtin_memcpy(k4.addr, key->remote, 4);
		a = lookup_action(&tc_pol_v4, &k4);
	} else {
		struct tc_lpm_v6 k6 = { .prefixlen = 128 };

		__builtin_memcpy(k6.addr, key->remote, 16);
		a = lookup_action(&tc_pol_v6, &k6);
	}
	if (a == TC_POL_EXCLUDE)
		return false;
	if ((cfg->flags & TC_CFG_ADDR_INCLUDE) && a != TC_POL_INCLUDE)
		return false;

	pk.port = bpf_ntohs(key->lport);
	pk.side = TC_PORT_LOCAL;
	lp = lookup_action(&tc_pol_ports, &pk);
	pk.port = bpf_ntohs(key->rport);
	pk.side = TC_PORT_REMOTE;
	rp = lookup_action(&tc_pol_ports, &pk);
	if (lp == TC_POL_EXCLUDE || rp == TC_POL_EXCLUDE)
		return false;
	if ((cfg->flags & TC_CFG_PORT_INCLUDE) && lp != TC_POL_INCLUDE &&
	    rp != TC_POL_INCLUDE)
		return false;
	return true;
}

/*
 * A map lives only while a program references it, and the tools find maps
 * through the attached programs: heartbeat_fresh() (in xdp_wire and
 * tc_egress) calls this on a path that never runs (tc_live always has its
 * one entry), which is enough for the verifier to bind the maps to them.
 */
static __always_inline bool keep_maps(void)
{
	__u32 zero = 0;
	struct tc_flow_key k = {};

	bpf_map_lookup_elem(&tc_sessions, &k);
	bpf_map_lookup_elem(&tc_dstats, &zero);
	return false;
}

static __always_inline bool heartbeat_fresh(const struct tc_config *cfg)
{
	__u32 zero = 0;
	struct tc_live *live = bpf_map_lookup_elem(&tc_live, &zero);
	__u64 now, hb, timeout;

	if (!live)
		return keep_maps();
	hb = live->heartbeat_ns;
	if (!hb)
		return false;
	now = bpf_ktime_get_ns();
	if (hb >= now)
		return true;
	timeout = cfg->hb_timeout_ms ? cfg->hb_timeout_ms : TC_HB_TIMEOUT_MS;
	return now - hb <= timeout * 1000000ULL;
}

#define NO_OWNER	0xffff

#define TCPOPT_EOL	0
#define TCPOPT_NOP	1
#define TCPOPT_ENO	69

/* TCP-ENO option scan: a bpf_loop() over a copy of the options. */
struct eno_scan {
	__u8 opt[40];
	__u32 off, n;
	bool found;
};

static long eno_step(__u64 i, void *arg)
{
	struct eno_scan *sc = arg;
	__u32 off = sc->off;
	__u8 len;

	if (off >= sc->n || off >= sizeof(sc->opt))
		return 1;
	switch (sc->opt[off]) {
	case TCPOPT_EOL:
		return 1;
	case TCPOPT_NOP:
		sc->off = off + 1;
		return 0;
	case TCPOPT_ENO:
		sc->found = true;
		return 1;
	}
	if (off + 1 >= sc->n || off + 1 >= sizeof(sc->opt))
		return 1;
	len = sc->opt[off + 1];
	if (len < 2)
		return 1;
	sc->off = off + len;
	return 0;
}

/*
 * Does the TCP header at L4_OFF of an XDP frame carry a TCP-ENO option?
 * Options are walked as tc_tcpopt_parse() walks them, up to the first
 * malformed one.
 */
/* What a program's ctx is, for the byte loaders (a constant at each call site). */
enum okind {
	O_NONE,		/* no ENO scan (tc_egress: the stack sends none) */
	O_XDP,
	O_SKB,
};

static __always_inline long load_bytes(void *ctx, int okind, __u32 off, void *to, __u32 len)
{
	if (okind == O_XDP)
		return bpf_xdp_load_bytes(ctx, off, to, len);
	return bpf_skb_load_bytes(ctx, off, to, len);
}

static __always_inline bool tcp_has_eno(void *ctx, int okind, __u32 l4_off)
{
	struct eno_scan sc = {};
	__u8 doff;

	if (load_bytes(ctx, okind, l4_off + 12, &doff, 1))
		return false;
	sc.n = (doff >> 4) * 4;
	if (sc.n <= 20)
		return false;
	sc.n -= 20;
	if (sc.n > sizeof(sc.opt) || load_bytes(ctx, okind, l4_off + 20, sc.opt, sc.n))
		return false;
	/* Linux's usual NOP NOP timestamps: nothing else fits */
	if (sc.n == 12 && sc.opt[0] == TCPOPT_NOP && sc.opt[1] == TCPOPT_NOP && sc.opt[2] == 8)
		return false;
	bpf_loop(sizeof(sc.opt), eno_step, &sc, 0);
	return sc.found;
}

/*
 * A SYN or SYN-ACK the policy steers, counted as STEERED; with the daemon
 * dead, a new connection passes as plain TCP unless fail-closed.
 */
static __always_inline enum verdict steer_handshake(__u32 dir, const struct tc_config *cfg,
						    bool alive, __u32 steered)
{
	if (alive) {
		count(dir, steered);
		return V_STEER;
	}
	if (cfg->flags & TC_CFG_FAIL_CLOSED) {
		count(dir, TC_CTR_DEAD_DROP_SYN);
		return V_DROP;
	}
	count(dir, TC_CTR_DEAD_PASS_SYN);
	return V_PASS;
}

/*
 * The decision shared by both directions. ALIVE is the daemon's liveness as
 * this program can see it; OVERSIZE says the frame is longer than tcpcryptd
 * takes. *OWNER gets the owning queue of a flow in tc_flows, else NO_OWNER.
 * Counts the reason.
 */
static __always_inline enum verdict decide(__u32 dir, const struct tc_config *cfg,
					   const struct tc_flow_key *key, __u8 flags,
					   bool alive, bool oversize, __u32 *owner,
					   void *octx, int okind, __u32 l4_off)
{
	struct tc_flow_val *fv;

	*owner = NO_OWNER;
	fv = bpf_map_lookup_elem(&tc_flows, key);
	if (fv) {
		if (fv->state == TC_FLOW_PLAIN) {
			count(dir, TC_CTR_PLAIN_FLOW);
			return V_PASS;
		}
		*owner = fv->queue;
		if (alive && oversize) {
			/*
			 * tcpcryptd cannot take it: a pass-through flow carries
			 * plaintext anyway, so hand it to the stack; any other
			 * state must not be passed.
			 */
			if (fv->state == TC_FLOW_PASSTHROUGH) {
				count(dir, TC_CTR_OVERSIZE_PASS);
				return V_PASS;
			}
			count(dir, TC_CTR_OVERSIZE_DROP);
			return V_DROP;
		}
		if (alive) {
			count(dir, TC_CTR_STEERED_FLOW);
			return V_STEER;
		}
		if (fv->state == TC_FLOW_PASSTHROUGH) {
			count(dir, TC_CTR_DEAD_PASS_FLOW);
			return V_PASS;
		}
		/* NEGOTIATING, ENCRYPTED, or unknown: never plaintext */
		count(dir, TC_CTR_DEAD_DROP_FLOW);
		return V_DROP;
	}
	if ((flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK) &&
	    (cfg->flags & TC_CFG_STATELESS_HS)) {
		/* a handshake tcpcryptd holds as half-open, or plain TCP's */
		if (!(cfg->flags & TC_CFG_ENABLED) || !policy_allows(cfg, key))
			return V_PASS;
		return steer_handshake(dir, cfg, alive, TC_CTR_STEERED_SYNACK);
	}
	if (!(flags & TCPF_SYN) && okind != O_NONE && (cfg->flags & TC_CFG_STATELESS_HS) &&
	    tcp_has_eno(octx, okind, l4_off) && policy_allows(cfg, key)) {
		/* the active opener's ACK (or data) of a handshake half-open here */
		if (alive) {
			count(dir, TC_CTR_STEERED_ENO);
			return V_STEER;
		}
		count(dir, TC_CTR_DEAD_DROP_ENO);
		return V_DROP;
	}
	if ((flags & (TCPF_SYN | TCPF_ACK)) != TCPF_SYN)
		return V_PASS;
	/* disabled: no new connections; tracked flows above keep their state */
	if (!(cfg->flags & TC_CFG_ENABLED)) {
		count(dir, TC_CTR_DISABLED);
		return V_PASS;
	}
	if (!policy_allows(cfg, key)) {
		count(dir, TC_CTR_POLICY_SKIP);
		return V_PASS;
	}
	return steer_handshake(dir, cfg, alive, TC_CTR_STEERED_SYN);
}

/*
 * Fragments (see tc_frags). The first fragment decides for its train:
 * tcpcryptd cannot process fragments, so a train of a steered connection
 * (NEGOTIATING/ENCRYPTED flow, or a SYN the policy would steer) is dropped
 * whole; pass-through and plain flows pass, as they carry plaintext anyway.
 * Later fragments are dropped when their train was recorded.
 */
/* Would decide() steer this first fragment's segment if it came whole? */
static __always_inline bool frag_may_steer(const struct tc_config *cfg, struct pinfo *pi,
					   void *octx, int okind)
{
	__u8 hs = pi->flags & (TCPF_SYN | TCPF_ACK);

	if (hs == TCPF_SYN)
		return true;
	if (!(cfg->flags & TC_CFG_STATELESS_HS))
		return false;
	if (hs == (TCPF_SYN | TCPF_ACK))
		return true;
	return !(pi->flags & TCPF_SYN) && okind != O_NONE &&
	       tcp_has_eno(octx, okind, pi->l4_off);
}

static __always_inline enum verdict decide_fragment(__u32 dir, const struct tc_config *cfg,
						    int kind, struct pinfo *pi, void *octx, int okind)
{
	struct tc_flow_val *fv;
	__u8 one = 1;

	if (kind == P_FRAG_LATER) {
		if (bpf_map_lookup_elem(&tc_frags, &pi->fk)) {
			count(dir, TC_CTR_FRAG_DROP);
			return V_DROP;
		}
		count(dir, TC_CTR_FRAG);
		return V_PASS;
	}
	fv = bpf_map_lookup_elem(&tc_flows, &pi->key);
	if (fv) {
		if (fv->state == TC_FLOW_PLAIN || fv->state == TC_FLOW_PASSTHROUGH) {
			count(dir, TC_CTR_FRAG);
			return V_PASS;
		}
	} else if ((pi->flags_known && !frag_may_steer(cfg, pi, octx, okind)) ||
		   !(cfg->flags & TC_CFG_ENABLED) || !policy_allows(cfg, &pi->key)) {
		/* not a new connection the policy would steer */
		count(dir, TC_CTR_FRAG);
		return V_PASS;
	}
	bpf_map_update_elem(&tc_frags, &pi->fk, &one, BPF_ANY);
	count(dir, TC_CTR_FRAG_DROP);
	return V_DROP;
}

/*
 * Everything but whole TCP segments: V_PASS/V_DROP, or V_STEER meaning
 * "a whole TCP segment: decide() it".
 */
static __always_inline enum verdict classify(__u32 dir, const struct tc_config *cfg,
					     int kind, struct pinfo *pi, void *octx, int okind)
{
	switch (kind) {
	case P_TCP:
		return V_STEER;
	case P_NOT_TCP:
		count(dir, TC_CTR_NON_TCP);
		return V_PASS;
	case P_FRAG_FIRST:
	case P_FRAG_LATER:
		return decide_fragment(dir, cfg, kind, pi, octx, okind);
	case P_TOO_DEEP:
		count(dir, TC_CTR_TOO_DEEP_DROP);
		return V_DROP;
	default:
		count(dir, TC_CTR_MALFORMED_DROP);
		return V_DROP;
	}
}

static __always_inline const struct tc_config *get_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tc_config, &zero);
}

SEC("xdp.frags")
int xdp_wire(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = bpf_xdp_get_buff_len(ctx);
	const struct tc_config *cfg;
	__u32 qid = ctx->rx_queue_index, owner;
	struct pinfo pi = {};
	bool alive, unserved = false;
	enum verdict v;
	int kind;

	cfg = get_config();
	if (!cfg)
		goto pass;
	kind = parse(data, data_end, len, false, &pi);
	v = classify(TC_DIR_WIRE, cfg, kind, &pi, ctx, O_XDP);
	if (v == V_PASS)
		goto pass;
	if (v == V_DROP)
		return XDP_DROP;

	alive = heartbeat_fresh(cfg);
	if (alive && !bpf_map_lookup_elem(&xsks_wire, &qid)) {
		/*
		 * A queue tcpcryptd does not serve (the device grew queues
		 * since it started): steering there must not become plain TCP.
		 */
		if (cfg->queues && qid >= cfg->queues) {
			unserved = true;
		} else {
			count(TC_DIR_WIRE, TC_CTR_NO_XSK);
			alive = false;
		}
	}
	v = decide(TC_DIR_WIRE, cfg, &pi.key, pi.flags, alive, len > TC_DP_FRAME_MAX, &owner,
		   ctx, O_XDP, pi.l4_off);
	if (v == V_STEER) {
		if (unserved) {
			count(TC_DIR_WIRE, TC_CTR_UNSERVED_DROP);
			return XDP_DROP;
		}
		/* a SYN-ACK may arrive before tcpcryptd moved the flow to this queue */
		if (owner != NO_OWNER && owner != qid && !(pi.flags & TCPF_SYN))
			count(TC_DIR_WIRE, TC_CTR_QUEUE_MISMATCH);
		/* the slot can empty between lookup and redirect: fail closed */
		return bpf_redirect_map(&xsks_wire, qid, XDP_DROP);
	}
	if (v == V_DROP)
		return XDP_DROP;
pass:
	count(TC_DIR_WIRE, TC_CTR_PASSED);
	/* tell tc_ingress that XDP saw this one (see tc_ingress) */
	if (cfg && cfg->meta_cookie && !bpf_xdp_adjust_meta(ctx, -(int)sizeof(__u32))) {
		__u32 *meta = (void *)(long)ctx->data_meta;

		if ((void *)(meta + 1) <= (void *)(long)ctx->data)
			*meta = cfg->meta_cookie;
	}
	return XDP_PASS;
}

/*
 * Runs in skb (generic) mode on tcv1, whose only traffic is what tc_egress
 * redirected into its ingress (tcv0 transmits nothing: tc_host_tx). Still,
 * only TCP segments of steered flows (or SYNs) go to tcpcryptd.
 */
SEC("xdp.frags")
int xdp_host(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 qid = ctx->rx_queue_index;
	const struct tc_config *cfg = get_config();
	struct tc_flow_val *fv;
	struct pinfo pi = {};
	bool syn;

	/* tc mode: queues from cfg->queues on carry what tc_ingress steered */
	if (cfg && (cfg->flags & TC_CFG_TC_INGRESS) && cfg->queues && qid >= cfg->queues) {
		__u32 wq = qid - cfg->queues;

		if (!bpf_map_lookup_elem(&xsks_wire, &wq)) {
			count(TC_DIR_WIRE, TC_CTR_NO_XSK);
			return XDP_DROP;
		}
		return bpf_redirect_map(&xsks_wire, wq, XDP_DROP);
	}
	if (parse(data, data_end, bpf_xdp_get_buff_len(ctx), true, &pi) != P_TCP) {
		count(TC_DIR_HOST, TC_CTR_NOT_STEERED_DROP);
		return XDP_DROP;
	}
	/* what tc_egress steers without an entry: SYNs, and SYN-ACKs of handshakes */
	syn = (pi.flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN ||
	      (pi.flags & TCPF_SYN && cfg && (cfg->flags & TC_CFG_STATELESS_HS));
	fv = bpf_map_lookup_elem(&tc_flows, &pi.key);
	if (!syn && (!fv || fv->state == TC_FLOW_PLAIN)) {
		count(TC_DIR_HOST, TC_CTR_NOT_STEERED_DROP);
		return XDP_DROP;
	}
	if (fv && fv->queue != qid && !(pi.flags & TCPF_SYN))
		count(TC_DIR_HOST, TC_CTR_QUEUE_MISMATCH);
	if (!bpf_map_lookup_elem(&xsks_host, &qid)) {
		count(TC_DIR_HOST, TC_CTR_NO_XSK);
		return XDP_DROP;
	}
	count(TC_DIR_HOST, TC_CTR_STEERED_HOST);
	return bpf_redirect_map(&xsks_host, qid, XDP_DROP);
}

/*
 * Userspace cannot read XSKMAP slots (lookup is EOPNOTSUPP from a syscall):
 * run through BPF_PROG_TEST_RUN, this writes two bitmaps of the occupied
 * slots (xsks_wire, xsks_host) into the first 16 bytes of the packet.
 */
SEC("xdp")
int xdp_probe(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 *out = data, wire = 0, host = 0;
	__u32 i;

	if ((void *)(out + 2) > data_end)
		return XDP_ABORTED;
	for (i = 0; i < TC_MAX_QUEUES; i++) {
		__u32 k = i;

		if (bpf_map_lookup_elem(&xsks_wire, &k))
			wire |= 1ULL << i;
		if (bpf_map_lookup_elem(&xsks_host, &k))
			host |= 1ULL << i;
	}
	out[0] = wire;
	out[1] = host;
	return XDP_PASS;
}

/* Linear data enough for every header parse() reads. */
#define TC_PULL_LEN	(TC_HDR_MAX + 64)

/*
 * The tcv1 RX queue for a steered segment: the flow's owner (the wire queue
 * its segments arrive on), so that both directions meet in one poller; a
 * new connection's SYN goes to a queue by its hash, and tcpcryptd moves the
 * flow to the queue its answer arrives on.
 */
static __always_inline __u32 egress_queue(struct __sk_buff *skb, const struct tc_config *cfg,
					  __u32 owner)
{
	if (owner != NO_OWNER && (!cfg->queues || owner < cfg->queues))
		return owner;
	if (cfg->queues > 1)
		return bpf_get_hash_recalc(skb) % cfg->queues;
	return 0;
}

/* parse() on an skb: headers in the non-linear part are pulled and parsed once more */
static __always_inline int parse_skb(struct __sk_buff *skb, bool egress, struct pinfo *pi)
{
	int kind = parse((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len,
			 egress, pi);

	if (kind == P_MALFORMED && skb->data_end - skb->data < skb->len) {
		bpf_skb_pull_data(skb, skb->len < TC_PULL_LEN ? skb->len : TC_PULL_LEN);
		__builtin_memset(pi, 0, sizeof(*pi));
		kind = parse((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len,
			     egress, pi);
	}
	return kind;
}

/*
 * What a tc program steering into tcv1 decides for SKB (DIR: TC_DIR_EGRESS,
 * or TC_DIR_WIRE in tc mode): xdp_wire's classify() and decide(), with the
 * daemon alive only while its heartbeat is fresh and tcv1 is known, and in
 * tc mode the queue count too (without it a wire frame could land on a host
 * queue). *PI and *OWNER as decide() leaves them.
 */
static __always_inline enum verdict tc_decide(struct __sk_buff *skb,
					      const struct tc_config *cfg, __u32 dir,
					      struct pinfo *pi, __u32 *owner)
{
	bool egress = dir == TC_DIR_EGRESS;
	/* the local stack sends no ENO option: tcpcryptd adds them */
	int okind = egress ? O_NONE : O_SKB;
	void *octx = egress ? NULL : skb;
	enum verdict v;
	bool alive;

	v = classify(dir, cfg, parse_skb(skb, egress, pi), pi, octx, okind);
	if (v == V_PASS || v == V_DROP)
		return v;
	alive = heartbeat_fresh(cfg);
	if (alive && (!cfg->tcv1_ifindex || (!egress && !cfg->queues))) {
		count(dir, TC_CTR_NO_TCV1);
		alive = false;
	}
	return decide(dir, cfg, &pi->key, pi->flags, alive, skb->len > TC_DP_FRAME_MAX, owner,
		      octx, okind, egress ? 0 : pi->l4_off);
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	const struct tc_config *cfg;
	struct pinfo pi = {};
	__u32 owner;
	enum verdict v;

	cfg = get_config();
	if (!cfg)
		goto pass;
	v = tc_decide(skb, cfg, TC_DIR_EGRESS, &pi, &owner);
	if (v == V_STEER) {
		if (skb->gso_segs > 1 && skb->gso_size && !(pi.flags & TCPF_URG)) {
			/* the segment size, for tcpcryptd (tcpcrypt_shared.h) */
			__be16 mss = bpf_htons(skb->gso_size);

			bpf_skb_store_bytes(skb, pi.l4_off + 18, &mss, sizeof(mss), 0);
			count(TC_DIR_EGRESS, TC_CTR_SUPER);
		}
		/*
		 * Into tcv1's ingress, whole: generic XDP there sees the
		 * queue recorded here (skb_record_rx_queue: queue + 1). An
		 * egress redirect would mark the skb redirected and generic
		 * XDP would skip it.
		 */
		skb->queue_mapping = egress_queue(skb, cfg, owner) + 1;
		return bpf_redirect(cfg->tcv1_ifindex, BPF_F_INGRESS);
	}
	if (v == V_DROP)
		return TC_ACT_SHOT;
pass:
	count(TC_DIR_EGRESS, TC_CTR_PASSED);
	return TC_ACT_OK;
}

/*
 * tc egress on tcv0: nothing the host sends there may reach the datapath
 * (an unprivileged SO_BINDTODEVICE socket could otherwise put frames on the
 * wire through tcpcryptd).
 */
SEC("tc")
int tc_host_tx(struct __sk_buff *skb)
{
	count(TC_DIR_HOST, TC_CTR_HOST_TX_DROP);
	return TC_ACT_SHOT;
}

/*
 * tc ingress on tcv0, before the mirred filter that reinjects into IFACE:
 * marks the frames tcpcryptd sends to the host, for tc_ingress.
 */
SEC("tc")
int tc_host_rx(struct __sk_buff *skb)
{
	skb->mark = TC_MARK_HOST;
	return TC_ACT_UNSPEC;	/* on to the next filter: mirred */
}

/*
 * tc ingress on IFACE: generic (skb-mode) XDP does not run on cloned or
 * redirected skbs (netif_receive_generic_xdp), and a peer on a veth can
 * send such ones (a bpf_clone_redirect(), a mirred action): they would reach
 * the stack without xdp_wire's decision, plaintext into an encrypted
 * connection. Whatever xdp_wire passed carries its cookie in the metadata;
 * tcpcryptd's own reinjected frames carry TC_MARK_HOST. Anything else is
 * decided here as xdp_wire would: passed, dropped, or, to be steered, made
 * private (unshared) and sent into IFACE's ingress once more, where generic
 * XDP now runs on it. Missed twice: dropped.
 */
/*
 * tc mode: xdp_wire's decisions, made on the skb, so that traffic not
 * steered meets no XDP (generic XDP copies every multi-page skb). Steered
 * segments go into tcv1's ingress on RX queue queues + q, whose socket is
 * xsks_wire[q] (xdp_host).
 */
static __always_inline int tc_wire(struct __sk_buff *skb, const struct tc_config *cfg)
{
	struct pinfo pi = {};
	enum verdict v;
	__u32 owner;

	v = tc_decide(skb, cfg, TC_DIR_WIRE, &pi, &owner);
	if (v == V_STEER) {
		/* a private copy of the headers: a tap may hold a clone */
		bpf_skb_pull_data(skb, skb->len < TC_PULL_LEN ? skb->len : TC_PULL_LEN);
		skb->queue_mapping = cfg->queues + egress_queue(skb, cfg, owner) + 1;
		return bpf_redirect(cfg->tcv1_ifindex, BPF_F_INGRESS);
	}
	if (v == V_DROP)
		return TC_ACT_SHOT;
	count(TC_DIR_WIRE, TC_CTR_PASSED);
	return TC_ACT_OK;
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	const struct tc_config *cfg;
	struct pinfo pi = {};
	__u32 owner, *meta;
	enum verdict v;
	bool resteer;
	int kind;

	cfg = get_config();
	if (!cfg)
		return TC_ACT_OK;
	if (skb->mark == TC_MARK_HOST) {
		skb->mark = 0;
		return TC_ACT_OK;
	}
	if (cfg->flags & TC_CFG_TC_INGRESS)
		return tc_wire(skb, cfg);
	resteer = skb->mark == TC_MARK_RESTEER;
	if (resteer)
		skb->mark = 0;
	meta = (void *)(long)skb->data_meta;
	if ((void *)(meta + 1) <= (void *)(long)skb->data && cfg->meta_cookie &&
	    *meta == cfg->meta_cookie)
		return TC_ACT_OK;

	kind = parse_skb(skb, false, &pi);
	v = classify(TC_DIR_GUARD, cfg, kind, &pi, skb, O_SKB);
	if (v == V_PASS)
		return TC_ACT_OK;
	if (v == V_DROP)
		return TC_ACT_SHOT;
	v = decide(TC_DIR_GUARD, cfg, &pi.key, pi.flags, heartbeat_fresh(cfg),
		   skb->len > TC_DP_FRAME_MAX, &owner, skb, O_SKB, pi.l4_off);
	if (v == V_PASS)
		return TC_ACT_OK;
	if (v == V_DROP)
		return TC_ACT_SHOT;
	if (resteer) {
		count(TC_DIR_GUARD, TC_CTR_RESTEER_DROP);
		return TC_ACT_SHOT;
	}
	/* a private copy of the headers: generic XDP skips shared skbs */
	bpf_skb_pull_data(skb, skb->len < TC_PULL_LEN ? skb->len : TC_PULL_LEN);
	skb->mark = TC_MARK_RESTEER;
	count(TC_DIR_GUARD, TC_CTR_RESTEERED);
	return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
}

char LICENSE[] SEC("license") = "GPL";
