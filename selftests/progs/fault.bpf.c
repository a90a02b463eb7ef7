// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for the netns tests (the kernel here has no netem):
 * tc egress on a router's interface, on TCP segments carrying data:
 *  - drops one in fault_drop_every (retransmissions, out-of-order arrivals);
 *  - marks ECN CE on one in fault_ce_every that is ECN-capable;
 * counted in fault_ctr[0] (seen), [1] (dropped), [2] (CE marked).
 * Deterministic (counts, not random): a failure replays.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} fault_ctr SEC(".maps");

const volatile __u32 fault_drop_every = 53;
const volatile __u32 fault_ce_every = 29;

static __always_inline __u64 bump(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&fault_ctr, &k);

	return v ? __sync_fetch_and_add(v, 1) + 1 : 0;
}

SEC("tc")
int fault(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u32 payload, l3 = sizeof(*eth);
	struct tcphdr *th;
	__u8 tos;
	__u64 n;

	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP || ip->ihl != 5)
			return TC_ACT_OK;
		th = (void *)(ip + 1);
		if ((void *)(th + 1) > end)
			return TC_ACT_OK;
		payload = bpf_ntohs(ip->tot_len) - 20 - th->doff * 4;
		tos = ip->tos;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_TCP)
			return TC_ACT_OK;
		th = (void *)(ip6 + 1);
		if ((void *)(th + 1) > end)
			return TC_ACT_OK;
		payload = bpf_ntohs(ip6->payload_len) - th->doff * 4;
		tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
	} else {
		return TC_ACT_OK;
	}
	if (!payload || payload > 65535)
		return TC_ACT_OK;
	n = bump(0);
	if (fault_drop_every && n % fault_drop_every == 0) {
		bump(1);
		return TC_ACT_SHOT;
	}
	if (fault_ce_every && n % fault_ce_every == 0 && (tos & 3) && (tos & 3) != 3) {
		if (eth->h_proto == bpf_htons(ETH_P_IP)) {
			__u16 old = bpf_htons(0x4500 | tos), new = bpf_htons(0x4500 | tos | 3);
			__u8 t = tos | 3;

			bpf_l3_csum_replace(skb, l3 + 10, old, new, 2);
			bpf_skb_store_bytes(skb, l3 + 1, &t, 1, 0);
		} else {
			__u8 b1;

			/* traffic class low bits are the top of byte 1 */
			if (bpf_skb_load_bytes(skb, l3 + 1, &b1, 1))
				return TC_ACT_OK;
			b1 |= 0x30;
			bpf_skb_store_bytes(skb, l3 + 1, &b1, 1, 0);
		}
		bump(2);
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
