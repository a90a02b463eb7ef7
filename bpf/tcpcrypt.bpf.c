// SPDX-License-Identifier: GPL-2.0
/*
 * Steering programs of the tcpcrypt datapath (see notes in tcpcrypt_shared.h):
 *  xdp_wire  (XDP on IFACE):    SYNs allowed by policy and segments of flows in
 *                               tc_flows -> xsks_wire[rx queue]; rest XDP_PASS.
 *  tc_egress (tc egress IFACE): the same selection -> bpf_redirect to tcv0.
 *  xdp_host  (XDP on tcv1):     everything -> xsks_host[rx queue].
 * Decisions come only from maps. When the daemon is dead (stale heartbeat,
 * or an empty XSKMAP slot in XDP), segments of NEGOTIATING/ENCRYPTED flows
 * are dropped, PASSTHROUGH flows pass (they are plaintext by design), new
 * SYNs pass as plain TCP unless TC_CFG_FAIL_CLOSED, then they are dropped.
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
	__uint(max_entries, 4096);
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

enum verdict {
	V_PASS,
	V_STEER,
	V_DROP,
};

static __always_inline void count(__u32 dir, __u32 ctr)
{
	__u32 key = dir * TC_CTR_MAX + ctr;
	__u64 *v = bpf_map_lookup_elem(&tc_counters, &key);

	if (v)
		*v += 1;
}

/* Egress IPv4 fragment seen by parse(). */
struct frag_info {
	struct tc_frag_key key;
	bool valid;		/* an IPv4 fragment */
	bool first;		/* offset 0: TCP header parsed */
};

/*
 * Parse Ethernet (+ up to two VLAN tags), IPv4/IPv6, TCP into a normalized
 * flow key. Returns 0 and sets *tcp_flags, or a TC_CTR_* reason to pass.
 * EGRESS: local = source; otherwise local = destination. With FI (egress),
 * IPv4 fragments are described there and a first fragment is parsed.
 */
static __always_inline int parse(void *data, void *data_end, bool egress,
				 struct tc_flow_key *key, __u8 *tcp_flags,
				 struct frag_info *fi)
{
	struct ethhdr *eth = data;
	struct tcphdr *th;
	void *l3, *l4;
	__u16 proto;
	__u8 nexthdr;
	int i;

	if ((void *)(eth + 1) > data_end)
		return TC_CTR_PARSE_ERR;
	proto = eth->h_proto;
	l3 = eth + 1;
#pragma unroll
	for (i = 0; i < 2; i++) {
		struct vlan_hdr *vh = l3;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return TC_CTR_PARSE_ERR;
		proto = vh->proto;
		l3 = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = l3;
		__u32 ihl;

		if ((void *)(iph + 1) > data_end)
			return TC_CTR_PARSE_ERR;
		ihl = iph->ihl * 4;
		if (ihl < sizeof(*iph) || l3 + ihl > data_end)
			return TC_CTR_PARSE_ERR;
		if (iph->protocol != IPPROTO_TCP)
			return TC_CTR_NON_TCP;
		/* Any fragment (offset or MF): we cannot follow the rest. */
		if (iph->frag_off & bpf_htons(0x3fff)) {
			if (!fi)
				return TC_CTR_FRAG;
			fi->valid = true;
			fi->key.saddr = iph->saddr;
			fi->key.daddr = iph->daddr;
			fi->key.id = iph->id;
			if (iph->frag_off & bpf_htons(0x1fff))
				return TC_CTR_FRAG;
			fi->first = true;
		}
		key->family = AF_INET;
		if (egress) {
			__builtin_memcpy(key->local, &iph->saddr, 4);
			__builtin_memcpy(key->remote, &iph->daddr, 4);
		} else {
			__builtin_memcpy(key->local, &iph->daddr, 4);
			__builtin_memcpy(key->remote, &iph->saddr, 4);
		}
		l4 = l3 + ihl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return TC_CTR_PARSE_ERR;
		key->family = AF_INET6;
		if (egress) {
			__builtin_memcpy(key->local, &ip6->saddr, 16);
			__builtin_memcpy(key->remote, &ip6->daddr, 16);
		} else {
			__builtin_memcpy(key->local, &ip6->daddr, 16);
			__builtin_memcpy(key->remote, &ip6->saddr, 16);
		}
		nexthdr = ip6->nexthdr;
		l4 = ip6 + 1;
#pragma unroll
		for (i = 0; i < 4; i++) {
			struct ext_hdr *eh = l4;

			if (nexthdr == IPPROTO_TCP)
				break;
			if (nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
			    nexthdr == IPPROTO_DSTOPTS) {
				if ((void *)(eh + 1) > data_end)
					return TC_CTR_PARSE_ERR;
				nexthdr = eh->nexthdr;
				l4 += (eh->hdrlen + 1) * 8;
			} else if (nexthdr == IPPROTO_FRAGMENT) {
				struct frag6_hdr *fh = l4;

				if ((void *)(fh + 1) > data_end)
					return TC_CTR_PARSE_ERR;
				if (fh->frag_off & bpf_htons(0xfff9))
					return TC_CTR_FRAG;
				nexthdr = fh->nexthdr;
				l4 = fh + 1;
			} else if (nexthdr == IPPROTO_AH) {
				if ((void *)(eh + 1) > data_end)
					return TC_CTR_PARSE_ERR;
				nexthdr = eh->nexthdr;
				l4 += (eh->hdrlen + 2) * 4;
			} else {
				return TC_CTR_NON_TCP;
			}
		}
		if (nexthdr != IPPROTO_TCP)
			return TC_CTR_NON_TCP;
	} else {
		return TC_CTR_NON_TCP;
	}

	th = l4;
	if ((void *)(th + 1) > data_end)
		return TC_CTR_PARSE_ERR;
	if (th->doff < 5 || l4 + th->doff * 4 > data_end)
		return TC_CTR_PARSE_ERR;
	if (egress) {
		key->lport = th->source;
		key->rport = th->dest;
	} else {
		key->lport = th->dest;
		key->rport = th->source;
	}
	/* byte 13 of the TCP header: CWR ECE URG ACK PSH RST SYN FIN */
	*tcp_flags = ((__u8 *)th)[13];
	return 0;
}

#define TCPF_SYN	0x02
#define TCPF_ACK	0x10

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

/*
 * The decision shared by both directions. ALIVE is the daemon's liveness as
 * this program can see it; OVERSIZE says the frame cannot fit an AF_XDP RX
 * frame (ingress only). Counts the reason.
 */
static __always_inline enum verdict decide(__u32 dir, const struct tc_config *cfg,
					   const struct tc_flow_key *key, __u8 flags,
					   bool alive, bool oversize)
{
	struct tc_flow_val *fv;

	fv = bpf_map_lookup_elem(&tc_flows, key);
	if (fv) {
		if (fv->state == TC_FLOW_PLAIN) {
			count(dir, TC_CTR_PLAIN_FLOW);
			return V_PASS;
		}
		if (alive && oversize) {
			/*
			 * The socket would drop it after the redirect: a
			 * pass-through flow carries plaintext anyway, so hand
			 * it to the stack; any other state must not be passed.
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
	if (alive) {
		count(dir, TC_CTR_STEERED_SYN);
		return V_STEER;
	}
	if (cfg->flags & TC_CFG_FAIL_CLOSED) {
		count(dir, TC_CTR_DEAD_DROP_SYN);
		return V_DROP;
	}
	count(dir, TC_CTR_DEAD_PASS_SYN);
	return V_PASS;
}

static __always_inline const struct tc_config *get_config(__u32 dir)
{
	__u32 zero = 0;
	const struct tc_config *cfg = bpf_map_lookup_elem(&tc_config, &zero);

	if (!cfg)
		count(dir, TC_CTR_DISABLED);
	return cfg;
}

SEC("xdp")
int xdp_wire(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct tc_config *cfg;
	struct tc_flow_key key = {};
	__u32 qid = ctx->rx_queue_index;
	enum verdict v;
	bool alive;
	__u8 flags;
	int r;

	r = parse(data, data_end, false, &key, &flags, NULL);
	if (r) {
		count(TC_DIR_WIRE, r);
		goto pass;
	}
	cfg = get_config(TC_DIR_WIRE);
	if (!cfg)
		goto pass;
	alive = heartbeat_fresh(cfg);
	if (alive && !bpf_map_lookup_elem(&xsks_wire, &qid)) {
		count(TC_DIR_WIRE, TC_CTR_NO_XSK);
		alive = false;
	}
	/* whole frame, fragments included (test runs build multi-buffer ones) */
	v = decide(TC_DIR_WIRE, cfg, &key, flags, alive,
		   bpf_xdp_get_buff_len(ctx) > TC_XSK_RX_MAX);
	if (v == V_STEER)
		/* the slot can empty between lookup and redirect: fail closed */
		return bpf_redirect_map(&xsks_wire, qid, XDP_DROP);
	if (v == V_DROP)
		return XDP_DROP;
pass:
	count(TC_DIR_WIRE, TC_CTR_PASSED);
	return XDP_PASS;
}

SEC("xdp")
int xdp_host(struct xdp_md *ctx)
{
	__u32 qid = ctx->rx_queue_index;

	/* Only steered segments reach tcv1; nothing there wants the stack. */
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

/* Enough linear data for Eth + 2 VLAN + IPv6 + a few ext headers + TCP. */
#define TC_PULL_LEN	256

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	const struct tc_config *cfg;
	struct tc_flow_key key = {};
	struct frag_info fi = {};
	enum verdict v;
	__u8 flags;
	bool alive;
	int r;

	r = parse((void *)(long)skb->data, (void *)(long)skb->data_end, true, &key, &flags,
		  &fi);
	if (r == TC_CTR_PARSE_ERR && skb->data_end - skb->data < skb->len) {
		/* headers in the non-linear part: pull and retry once */
		bpf_skb_pull_data(skb, skb->len < TC_PULL_LEN ? skb->len : TC_PULL_LEN);
		__builtin_memset(&key, 0, sizeof(key));
		__builtin_memset(&fi, 0, sizeof(fi));
		r = parse((void *)(long)skb->data, (void *)(long)skb->data_end, true,
			  &key, &flags, &fi);
	}
	if (r == TC_CTR_FRAG && fi.valid && bpf_map_lookup_elem(&tc_frags, &fi.key)) {
		count(TC_DIR_EGRESS, TC_CTR_FRAG_DROP);
		return TC_ACT_SHOT;
	}
	if (r) {
		count(TC_DIR_EGRESS, r);
		goto pass;
	}
	if (fi.first) {
		/*
		 * Fragmented by the IP layer before us (DF off): the daemon cannot
		 * process it, and a NEGOTIATING/ENCRYPTED flow's data must not leave
		 * in plaintext: drop this train.
		 */
		struct tc_flow_val *fv = bpf_map_lookup_elem(&tc_flows, &key);
		__u8 one = 1;

		if (fv && (fv->state == TC_FLOW_NEGOTIATING || fv->state == TC_FLOW_ENCRYPTED ||
			   fv->state > TC_FLOW_ENCRYPTED)) {
			bpf_map_update_elem(&tc_frags, &fi.key, &one, BPF_ANY);
			count(TC_DIR_EGRESS, TC_CTR_FRAG_DROP);
			return TC_ACT_SHOT;
		}
		count(TC_DIR_EGRESS, TC_CTR_FRAG);
		goto pass;
	}
	cfg = get_config(TC_DIR_EGRESS);
	if (!cfg)
		goto pass;
	alive = heartbeat_fresh(cfg);
	if (alive && !cfg->tcv0_ifindex) {
		count(TC_DIR_EGRESS, TC_CTR_NO_TCV0);
		alive = false;
	}
	v = decide(TC_DIR_EGRESS, cfg, &key, flags, alive, false);
	if (v == V_STEER)
		return bpf_redirect(cfg->tcv0_ifindex, 0);
	if (v == V_DROP)
		return TC_ACT_SHOT;
pass:
	count(TC_DIR_EGRESS, TC_CTR_PASSED);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
