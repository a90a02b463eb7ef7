// SPDX-License-Identifier: GPL-2.0
/* Super-packets to the wire through a packet socket (see gso.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#include "tcpcryptd/gso.h"

int gso_open(int ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = ifindex,
	};
	int fd, one = 1, err;

	/* protocol 0: the socket receives nothing */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static void vnet_hdr(struct virtio_net_hdr *vh, const struct tc_seg *s, uint32_t mss,
		     uint8_t flags)
{
	memset(vh, 0, sizeof(*vh));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = s->family == AF_INET ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
	if (flags & TC_TH_CWR)
		vh->gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	vh->hdr_len = s->payload_off;
	vh->gso_size = mss;
	vh->csum_start = s->l4_off;
	vh->csum_offset = 16;
}

int gso_send(int fd, const uint8_t *hdr, const uint8_t *payload, const struct tc_seg *s,
	     uint32_t mss)
{
	struct virtio_net_hdr vh;
	struct iovec iov[3] = {
		{ &vh, sizeof(vh) },
		{ (uint8_t *)hdr, s->payload_off },
		{ (uint8_t *)payload, s->payload_len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };

	vnet_hdr(&vh, s, mss, s->flags);
	return sendmsg(fd, &mh, MSG_DONTWAIT) < 0 ? -errno : 0;
}

bool wrun_eligible(const uint8_t *buf, uint32_t len, const struct tc_seg *s)
{
	return s->kind == TC_SEG_TCP && len == s->ip_end && s->payload_off <= GSO_HDR_MAX &&
	       coal_eligible(buf, s);
}

void wrun_start(struct wrun *w, uint8_t *buf, uint32_t len, const struct tc_seg *s)
{
	coal_start(&w->c, buf, buf, s);
	w->gso = s->payload_len;
	w->nseg = 1;
	w->buf[0] = buf;
	w->len[0] = len;
}

bool wrun_add(struct wrun *w, uint8_t *buf, uint32_t len, const struct tc_seg *s)
{
	/* GSO cuts at one size: a shorter segment can only be the last */
	if (w->nseg == GSO_MAX_SEGS || s->payload_len > w->gso ||
	    w->c.plen != w->nseg * w->gso || s->payload_off != w->c.seg.payload_off ||
	    !wrun_eligible(buf, len, s) || !coal_joins(&w->c, buf, s, 0))
		return false;
	coal_add(&w->c, buf, s);
	w->buf[w->nseg] = buf;
	w->len[w->nseg] = len;
	w->nseg++;
	return true;
}

int wrun_send(int fd, struct wrun *w)
{
	struct tc_seg s = w->c.seg;
	struct virtio_net_hdr vh;
	struct iovec iov[GSO_MAX_SEGS + 2];
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = w->nseg + 2 };
	uint8_t *f = w->hdr, *th;
	uint32_t i;

	memcpy(f, w->buf[0], s.payload_off);
	s.saddr = f + (s.saddr - w->buf[0]);
	s.daddr = f + (s.daddr - w->buf[0]);
	if (s.family == AF_INET) {
		tc_put16(f + s.l3_off + 2, w->c.ip_len);
		tc_seg_fill_ip_csum(f, &s);
	} else {
		tc_put16(f + s.l3_off + 4, w->c.ip_len - 40);
	}
	th = f + s.l4_off;
	th[13] = w->c.flags;	/* PSH of the last; GSO keeps it on the last only */
	/* CHECKSUM_PARTIAL: the pseudo-header sum of the whole; GSO does the rest */
	tc_put16(th + 16, tc_csum_fold(tc_csum_pseudo(s.saddr, s.daddr, s.alen,
						      w->c.thl + w->c.plen)));
	vnet_hdr(&vh, &s, w->gso, w->c.flags);
	iov[0] = (struct iovec){ &vh, sizeof(vh) };
	iov[1] = (struct iovec){ f, s.payload_off };
	for (i = 0; i < w->nseg; i++)
		iov[i + 2] = (struct iovec){ w->buf[i] + s.payload_off,
					     w->len[i] - s.payload_off };
	return sendmsg(fd, &mh, MSG_DONTWAIT) < 0 ? -errno : 0;
}
