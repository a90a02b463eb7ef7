// SPDX-License-Identifier: GPL-2.0
/* Coalescing host-bound segments (see coalesce.h). */
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>

#include "tcpcryptd/coalesce.h"

static uint8_t ip_ttl(const uint8_t *pkt, const struct tc_seg *s)
{
	return pkt[s->l3_off + (s->family == AF_INET ? 8 : 7)];
}

static uint16_t ip_df(const uint8_t *pkt, const struct tc_seg *s)
{
	return s->family == AF_INET ? tc_get16(pkt + s->l3_off + 6) & 0x4000 : 0;
}

bool coal_eligible(const uint8_t *pkt, const struct tc_seg *s)
{
	if ((s->flags & ~(TC_TH_PSH | TC_TH_ECE)) != TC_TH_ACK || !s->payload_len)
		return false;
	if (s->family == AF_INET)
		return s->l4_off == s->l3_off + 20;
	return s->l4_off == s->l3_off + 40;
}

/* The one's complement sum of the payload, from the segment's own checksum. */
static uint16_t payload_sum(const uint8_t *pkt, const struct tc_seg *s)
{
	uint64_t sum = tc_csum_pseudo(s->saddr, s->daddr, s->alen, s->thl + s->payload_len);

	sum = tc_csum_add(sum, pkt + s->l4_off, s->thl);
	return (uint16_t)~tc_csum_fold(sum);
}

void coal_start(struct run *r, uint8_t *first, const uint8_t *pkt, const struct tc_seg *s)
{
	memset(r, 0, offsetof(struct run, d));
	r->active = true;
	r->flags = s->flags;
	r->closed = s->flags & TC_TH_PSH;
	r->tos = s->tos;
	r->ttl = ip_ttl(pkt, s);
	r->df = ip_df(pkt, s);
	r->thl = s->thl;
	r->next_seq = s->seq + s->payload_len;
	r->ack = s->ack;
	r->win = s->win;
	r->first = first;
	r->seg = *s;
	r->seg.saddr = first + (s->saddr - pkt);
	r->seg.daddr = first + (s->daddr - pkt);
	r->ip_len = s->ip_end - s->l3_off;
	r->plen = s->payload_len;
	r->psum = payload_sum(pkt, s);
	r->nframes = 1;
}

bool coal_joins(const struct run *r, const uint8_t *pkt, const struct tc_seg *s, uint32_t nd)
{
	return r->active && !r->closed && coal_eligible(pkt, s) &&
	       r->seg.family == s->family && r->seg.sport == s->sport &&
	       r->seg.dport == s->dport && !memcmp(r->seg.saddr, s->saddr, s->alen) &&
	       !memcmp(r->seg.daddr, s->daddr, s->alen) &&
	       s->seq == r->next_seq && s->ack == r->ack && s->win == r->win &&
	       (s->flags & ~TC_TH_PSH) == (r->flags & ~TC_TH_PSH) && s->thl == r->thl &&
	       s->tos == r->tos && ip_ttl(pkt, s) == r->ttl && ip_df(pkt, s) == r->df &&
	       !memcmp(pkt + s->l4_off + TC_TCP_HLEN, r->first + r->seg.l4_off + TC_TCP_HLEN,
		       s->thl - TC_TCP_HLEN) &&
	       r->ip_len + s->payload_len <= COAL_MAX_LEN && r->nd + nd <= COAL_MAX_DESCS;
}

void coal_add(struct run *r, const uint8_t *pkt, const struct tc_seg *s)
{
	uint16_t ps = payload_sum(pkt, s);

	/* payload at an odd offset: its 16-bit words are byte-swapped */
	if (r->plen & 1)
		ps = (uint16_t)(ps << 8 | ps >> 8);
	r->psum += ps;
	r->plen += s->payload_len;
	r->ip_len += s->payload_len;
	r->next_seq += s->payload_len;
	r->nframes++;
	if (s->flags & TC_TH_PSH) {
		r->flags |= TC_TH_PSH;
		r->closed = true;
	}
}

void coal_finish(struct run *r)
{
	uint8_t *f = r->first, *th;
	struct tc_seg *s = &r->seg;
	uint64_t sum;

	if (r->nframes < 2)
		return;
	th = f + s->l4_off;
	if (s->family == AF_INET) {
		tc_put16(f + s->l3_off + 2, r->ip_len);
		tc_seg_fill_ip_csum(f, s);
	} else {
		tc_put16(f + s->l3_off + 4, r->ip_len - 40);
	}
	th[13] = r->flags;
	th[16] = th[17] = 0;
	sum = tc_csum_pseudo(s->saddr, s->daddr, s->alen, r->thl + r->plen);
	sum = tc_csum_add(sum, th, r->thl) + r->psum;
	tc_put16(th + 16, ~tc_csum_fold(sum));
}
