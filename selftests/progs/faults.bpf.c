// SPDX-License-Identifier: GPL-2.0
/*
 * Faults on a link, for the netns tests (this kernel has no netem): a tc
 * egress program on a router's interface that, for TCP segments of the
 * selected port, drops, duplicates (a clone sent again), delays some
 * behind the others (skb->priority into an HTB class with a low rate:
 * reordering), or flips one bit in the payload of the Nth data segment
 * and fixes the TCP checksum (so it reaches the receiver: tampering, not
 * noise). Decisions come from a xorshift generator seeded by the test, so
 * a run can be replayed (as far as packet order on the link repeats).
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct faults_cfg {
	__u32 loss_ppm, dup_ppm, delay_ppm;
	__u32 flip_nth;		/* 0: none; else the Nth payload segment */
	__u32 delay_prio;	/* skb->priority (HTB class id) for delayed ones */
	__u16 port;		/* 0: every TCP segment */
	__u16 pad;
	__u64 seed;
};

enum { F_SEEN, F_DROPPED, F_DUPED, F_DELAYED, F_FLIPPED, F_PAYLOAD, F_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct faults_cfg);
} faults_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, F_MAX + 1);	/* counters, then the generator state */
	__type(key, __u32);
	__type(value, __u64);
} faults_state SEC(".maps");

#define DUP_MARK	0x7463df

static __always_inline __u64 *slot(__u32 k)
{
	return bpf_map_lookup_elem(&faults_state, &k);
}

static __always_inline void inc(__u32 k)
{
	__u64 *v = slot(k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* xorshift64*, one draw per call, in [0, 1e6) */
static __always_inline __u32 draw(const struct faults_cfg *cfg)
{
	__u64 *st = slot(F_MAX), x;

	if (!st)
		return 999999;
	x = *st ? *st : (cfg->seed | 1);
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*st = x;
	return (__u32)((x * 0x2545f4914f6cdd1dull) >> 32) % 1000000;
}

SEC("tc")
int faults(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	const struct faults_cfg *cfg;
	struct tcphdr *th;
	__u32 zero = 0, l4, plen, tot;
	__u8 proto;

	if (skb->mark == DUP_MARK)
		return TC_ACT_OK;	/* our own clone going out */
	cfg = bpf_map_lookup_elem(&faults_config, &zero);
	if (!cfg || (void *)(eth + 1) > end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->ihl != 5)
			return TC_ACT_OK;
		proto = ip->protocol;
		l4 = sizeof(*eth) + sizeof(*ip);
		tot = bpf_ntohs(ip->tot_len) + sizeof(*eth);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return TC_ACT_OK;
		proto = ip6->nexthdr;
		l4 = sizeof(*eth) + sizeof(*ip6);
		tot = bpf_ntohs(ip6->payload_len) + l4;
	} else {
		return TC_ACT_OK;
	}
	if (proto != IPPROTO_TCP)
		return TC_ACT_OK;
	th = data + l4;
	if ((void *)(th + 1) > end)
		return TC_ACT_OK;
	if (cfg->port && th->source != bpf_htons(cfg->port) && th->dest != bpf_htons(cfg->port))
		return TC_ACT_OK;
	if (th->syn || th->rst)
		return TC_ACT_OK;	/* faults on the data path only */
	inc(F_SEEN);
	plen = tot > l4 + th->doff * 4 ? tot - l4 - th->doff * 4 : 0;

	if (plen && cfg->flip_nth) {
		__u64 *n = slot(F_PAYLOAD);

		if (n && __sync_fetch_and_add(n, 1) + 1 == cfg->flip_nth) {
			__u32 off = l4 + th->doff * 4 + plen / 2;
			__u8 old, new;

			if (!bpf_skb_load_bytes(skb, off, &old, 1)) {
				new = old ^ 0x08;
				/* the byte at an even or odd position of its 16-bit word */
				bpf_l4_csum_replace(skb, l4 + 16,
						    ((off - l4) & 1) ? bpf_htons(old) : bpf_htons(old << 8),
						    ((off - l4) & 1) ? bpf_htons(new) : bpf_htons(new << 8),
						    2);
				bpf_skb_store_bytes(skb, off, &new, 1, 0);
				inc(F_FLIPPED);
			}
		}
	}
	if (cfg->loss_ppm && draw(cfg) < cfg->loss_ppm) {
		inc(F_DROPPED);
		return TC_ACT_SHOT;
	}
	if (cfg->dup_ppm && draw(cfg) < cfg->dup_ppm) {
		__u32 mark = skb->mark;

		skb->mark = DUP_MARK;
		if (!bpf_clone_redirect(skb, skb->ifindex, 0))
			inc(F_DUPED);
		skb->mark = mark;
	}
	if (cfg->delay_ppm && draw(cfg) < cfg->delay_ppm) {
		skb->priority = cfg->delay_prio;
		inc(F_DELAYED);
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
