// SPDX-License-Identifier: GPL-2.0
/*
 * Toolchain smoke test: the two mechanisms the datapath is built on.
 *  - smoke_xdp: XDP (native or skb mode, multi-buffer) redirecting every
 *    frame of the selected protocol into the AF_XDP socket of its RX queue;
 *  - smoke_tc_egress: tc clsact egress redirecting locally generated
 *    frames into the INGRESS of an internal veth end that runs smoke_xdp in
 *    skb mode (an egress redirect marks the skb redirected, and generic XDP
 *    skips such skbs).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} smoke_xsks SEC(".maps");

/* Set before load: ethertype to steer (0: all), target ifindex for tc. */
const volatile __u16 smoke_proto = 0;
const volatile __u32 smoke_redirect_ifindex = 0;

static __always_inline int wanted(void *data, void *data_end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return 0;
	return !smoke_proto || eth->h_proto == bpf_htons(smoke_proto);
}

SEC("xdp.frags")
int smoke_xdp(struct xdp_md *ctx)
{
	if (!wanted((void *)(long)ctx->data, (void *)(long)ctx->data_end))
		return XDP_PASS;
	return bpf_redirect_map(&smoke_xsks, ctx->rx_queue_index, XDP_PASS);
}

SEC("tc")
int smoke_tc_egress(struct __sk_buff *skb)
{
	if (!wanted((void *)(long)skb->data, (void *)(long)skb->data_end))
		return TC_ACT_OK;
	return bpf_redirect(smoke_redirect_ifindex, BPF_F_INGRESS);
}

char LICENSE[] SEC("license") = "GPL";
