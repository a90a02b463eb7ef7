// SPDX-License-Identifier: GPL-2.0
/* Flow table of tcpcryptd (see flow.h for the pass-through state machine). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>

#include "common/dp_attach.h"
#include "common/log.h"
#include "engine/seg.h"
#include "tcpcryptd/flow.h"

#define TCPF_FIN	0x01
#define TCPF_SYN	0x02
#define TCPF_RST	0x04
#define TCPF_ACK	0x10

uint64_t tcd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A steered frame, parsed, with its flow key in the host's view. */
struct seg {
	struct tc_seg t;
	struct tc_flow_key key;
};

static void seg_key(struct seg *s, enum xq_side from)
{
	const struct tc_seg *t = &s->t;
	const uint8_t *local = from == XQ_WIRE ? t->daddr : t->saddr;
	const uint8_t *remote = from == XQ_WIRE ? t->saddr : t->daddr;
	uint16_t lport = from == XQ_WIRE ? t->dport : t->sport;
	uint16_t rport = from == XQ_WIRE ? t->sport : t->dport;

	memset(&s->key, 0, sizeof(s->key));
	s->key.family = t->family;
	memcpy(s->key.local, local, t->alen);
	memcpy(s->key.remote, remote, t->alen);
	s->key.lport = htons(lport);
	s->key.rport = htons(rport);
}

/*
 * A TCP segment sent by a local stack as CHECKSUM_PARTIAL carries only the
 * folded pseudo-header sum in its checksum field; over a veth it reaches
 * AF_XDP like that (datapath-notes.md). Such a frame from the wire (a peer
 * on a veth without tcpcryptd, or whose daemon is dead) would be dropped by
 * our stack once reinjected. Complete exactly those checksums; any other
 * checksum is left for the stack to verify.
 */
static bool fix_partial_csum(uint8_t *pkt, const struct seg *s)
{
	if (!tc_seg_tcp_csum_partial(pkt, &s->t))
		return false;
	tc_seg_fill_tcp_csum(pkt, &s->t);
	return true;
}

static uint32_t key_hash(const struct tc_flow_key *k)
{
	uint64_t w[5], h = 0x9e3779b97f4a7c15ull;
	int i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

_Static_assert(sizeof(struct tc_flow_key) == 40, "flow key is 5 words");

static struct flow **lookup(struct flow_table *ft, const struct tc_flow_key *k)
{
	struct flow **pp = &ft->buckets[key_hash(k) & (ft->nbuckets - 1)];

	while (*pp && memcmp(&(*pp)->key, k, sizeof(*k)))
		pp = &(*pp)->next;
	return pp;
}

static int map_put(struct flow_table *ft, const struct flow *f, uint8_t state)
{
	struct tc_flow_val v = { .state = state, .queue = f->queue };
	int err;

	if (!ft->dp)
		return 0;
	err = dp_flow_update(ft->dp, &f->key, &v);
	if (err)
		ft->st.map_errors++;
	return err;
}

static void map_del(struct flow_table *ft, const struct flow *f)
{
	/* a lost-keys flow stays in tc_flows so BPF never passes it in plaintext */
	if (ft->dp && !f->lost_keys)
		dp_flow_delete(ft->dp, &f->key);
}

/*
 * A flow's owner is the queue its wire segments arrive on (the NIC's RSS
 * decides; XDP cannot redirect to another queue's socket), and tc_egress
 * sends its egress segments to the same queue from tc_flows. A connection
 * opened here started on the queue its SYN was hashed to: move it when the
 * first answer arrives, before that answer is forwarded (and acknowledged).
 */
static void flow_move(struct flow_table *ft, struct flow *f, uint16_t queue)
{
	struct tc_flow_val v;

	f->queue = queue;
	if (ft->dp && !dp_flow_lookup(ft->dp, &f->key, &v)) {
		v.queue = queue;
		if (dp_flow_update(ft->dp, &f->key, &v))
			ft->st.map_errors++;
	}
}

static bool map_needs_keys(struct flow_table *ft, const struct tc_flow_key *k)
{
	struct tc_flow_val v;

	if (!ft->dp || dp_flow_lookup(ft->dp, k, &v))
		return false;
	return v.state == TC_FLOW_NEGOTIATING || v.state == TC_FLOW_ENCRYPTED;
}

static struct flow *flow_insert(struct flow_table *ft, struct flow **pp,
				const struct tc_flow_key *k, uint16_t queue)
{
	struct flow *f;

	if (ft->count >= ft->max) {
		ft->st.table_full++;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->key = *k;
	f->queue = queue;
	f->st = FS_SYN;
	f->last_ns = tcd_now_ns();
	*pp = f;
	ft->count++;
	return f;
}

int flow_adopt(struct flow_table *ft, const struct tc_flow_key *k, uint8_t state,
	       uint16_t queue)
{
	struct flow **pp, *f;
	int err = 0;

	pthread_mutex_lock(&ft->lock);
	pp = lookup(ft, k);
	f = *pp ? *pp : flow_insert(ft, pp, k, queue);
	if (f) {
		f->lost_keys = state == TC_FLOW_NEGOTIATING || state == TC_FLOW_ENCRYPTED;
		ft->st.adopted++;
	} else {
		err = -ENOMEM;
	}
	pthread_mutex_unlock(&ft->lock);
	return err;
}

int flow_table_init(struct flow_table *ft, struct dp *dp, uint32_t max_flows,
		    uint32_t grace_ms, uint32_t idle_s)
{
	uint32_t n = 1024;

	memset(ft, 0, sizeof(*ft));
	while (n < max_flows / 2 && n < (1u << 20))
		n <<= 1;
	ft->buckets = calloc(n, sizeof(*ft->buckets));
	if (!ft->buckets)
		return -ENOMEM;
	ft->nbuckets = n;
	ft->max = max_flows;
	ft->grace_ns = (uint64_t)grace_ms * 1000000ull;
	ft->idle_ns = (uint64_t)idle_s * 1000000000ull;
	ft->dp = dp;
	pthread_mutex_init(&ft->lock, NULL);
	return 0;
}

void flow_table_fini(struct flow_table *ft)
{
	uint32_t i;

	if (!ft->buckets)
		return;
	for (i = 0; i < ft->nbuckets; i++) {
		struct flow *f = ft->buckets[i], *next;

		for (; f; f = next) {
			next = f->next;
			map_del(ft, f);
			free(f);
		}
	}
	free(ft->buckets);
	ft->buckets = NULL;
	pthread_mutex_destroy(&ft->lock);
}

enum flow_verdict flow_packet(struct flow_table *ft, enum xq_side from, uint16_t queue,
			      uint8_t *pkt, uint32_t len, uint64_t now, struct emit *em)
{
	struct flow **pp, *f;
	struct seg s;
	bool syn;

	if (tc_seg_parse(pkt, len, &s.t) != TC_SEG_TCP) {
		/*
		 * BPF steers whole TCP segments only; anything else reaching us
		 * (a fragment, a frame BPF parsed differently) cannot be shown to
		 * be outside an encrypted connection: never forwarded.
		 */
		__atomic_fetch_add(&ft->st.non_tcp, 1, __ATOMIC_RELAXED);
		return FV_DROP;
	}
	seg_key(&s, from);
	if (from == XQ_WIRE && fix_partial_csum(pkt, &s))
		__atomic_fetch_add(&ft->st.csum_fixed, 1, __ATOMIC_RELAXED);
	syn = (s.t.flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;

	pthread_mutex_lock(&ft->lock);
	pp = lookup(ft, &s.key);
	f = *pp;
	if (!f) {
		/* a steered segment we do not know: a previous daemon's flow? */
		bool lost = !syn && map_needs_keys(ft, &s.key);

		f = flow_insert(ft, pp, &s.key, queue);
		if (!f) {
			pthread_mutex_unlock(&ft->lock);
			/* fail closed for flows that need keys, else pass unchanged */
			return lost ? FV_DROP : FV_FORWARD;
		}
		if (lost) {
			f->lost_keys = 1;
			ft->st.adopted++;
		} else {
			if (syn)
				ft->st.created++;
			else
				ft->st.adopted++;
			/* before the SYN is reinjected: its answer must be steered too */
			map_put(ft, f, TC_FLOW_PASSTHROUGH);
		}
	} else if (syn && f->st == FS_CLOSED && !f->lost_keys) {
		/* port reuse after close: a new connection on the same tuple */
		f->st = FS_SYN;
		f->fin_mask = 0;
		f->seen_mask = 0;
		f->expire_ns = 0;
		ft->st.created++;
		map_put(ft, f, TC_FLOW_PASSTHROUGH);
	}
	if (from == XQ_WIRE && f->queue != queue && !(f->seen_mask & (1u << XQ_WIRE)))
		flow_move(ft, f, queue);
	f->last_ns = now;
	f->seen_mask |= 1u << from;
	if (f->lost_keys) {
		ft->st.lost_keys_dropped++;
		pthread_mutex_unlock(&ft->lock);
		return FV_DROP;
	}
	if (f->st != FS_CLOSED) {
		if (s.t.flags & TCPF_RST) {
			f->st = FS_CLOSED;
			f->expire_ns = now + ft->grace_ns;
		} else if (s.t.flags & TCPF_FIN) {
			f->fin_mask |= 1u << from;
			if (f->fin_mask == 3) {
				f->st = FS_CLOSED;
				f->expire_ns = now + ft->grace_ns;
			} else {
				f->st = FS_FIN1;
			}
		}
	}
	pthread_mutex_unlock(&ft->lock);
	return FV_FORWARD;
}

void flow_expire(struct flow_table *ft, uint64_t now)
{
	uint32_t i;

	pthread_mutex_lock(&ft->lock);
	for (i = 0; i < ft->nbuckets; i++) {
		struct flow **pp = &ft->buckets[i], *f;

		while ((f = *pp)) {
			bool closed = f->st == FS_CLOSED && now >= f->expire_ns;
			bool idle = ft->idle_ns && now - f->last_ns >= ft->idle_ns;

			/* half-open: never answered; do not let SYNs fill the table */
			if (f->seen_mask != 3 && !f->lost_keys &&
			    now - f->last_ns >= FLOW_HALF_OPEN_S * 1000000000ull)
				idle = true;

			if (!closed && !idle) {
				pp = &f->next;
				continue;
			}
			*pp = f->next;
			map_del(ft, f);
			ft->count--;
			if (closed)
				ft->st.removed_closed++;
			else
				ft->st.removed_idle++;
			free(f);
		}
	}
	pthread_mutex_unlock(&ft->lock);
}

void flow_flush(struct flow_table *ft, struct emit *em)
{
}

void flow_timers(struct flow_table *ft, uint64_t now, struct emit *em)
{
}

uint64_t flow_next_timer(const struct flow_table *ft)
{
	return UINT64_MAX;
}
