// SPDX-License-Identifier: GPL-2.0
/* Flow table of tcpcryptd: the segment engine's I/O shell (see flow.h). */
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
#include "common/sockdiag.h"
#include "engine/seg.h"
#include "tcpcryptd/flow.h"

#define TCPF_FIN	0x01
#define TCPF_SYN	0x02
#define TCPF_RST	0x04
#define TCPF_ACK	0x10

#define NSEC		1000000000ull
#define TIME_WAIT_NS	(60 * NSEC)	/* Linux's TCP_TIMEWAIT_LEN */
#define FLOW_SYNC_NS	(10 * 1000 * 1000)	/* flow_sync() of a busy poller: at most this late */
#define FLOW_SYNC_BATCH	64			/* ... or with this many waiting */
#define RECHECK_NS	NSEC	/* a flow whose socket lives is looked up again after */

#define STAT_INC(ft, f)	__atomic_fetch_add(&(ft)->st.f, 1, __ATOMIC_RELAXED)

uint64_t tcd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* One poller thread's lists (thread-local, see flow.h). */
struct flow_ctx {
	struct flow_ctx *next;
	struct flow_table *ft;
	pthread_t thread;
	struct emit *em;
	struct tc_out out;
	struct flow **dirty;	/* to flush at the end of the batch */
	unsigned int ndirty, dcap;
	struct flow **timers;	/* with engine timers */
	unsigned int ntimers, tcap;
	struct flow **later;	/* map and session updates for an idle moment */
	unsigned int nlater, lcap;
	uint64_t later_since;	/* when the first of them was queued */
	struct flow **idle;	/* engine work for when nothing else waits */
	unsigned int nidle, icap;
	uint64_t next_timer;
	struct tc_engine_stats est;
};

static __thread struct flow_ctx *tls_ctx;

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
 * our stack once reinjected. Complete exactly those checksums.
 */
static bool fix_partial_csum(uint8_t *pkt, const struct seg *s)
{
	if (!tc_seg_tcp_csum_partial(pkt, &s->t))
		return false;
	tc_seg_fill_tcp_csum(pkt, &s->t);
	return true;
}

/* MurmurHash3's 64-bit finalizer: every input bit reaches every output bit. */
static uint64_t fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/*
 * The bucket is the hash's low bits, so each word is mixed in fully. A
 * single multiply per word left the remote port (the key's top 16 bits)
 * out of the low 32: every connection from one client address shared a
 * bucket, and a server's look-ups walked them all.
 */
static uint32_t key_hash(const struct tc_flow_key *k)
{
	uint64_t w[5], h = 0x9e3779b97f4a7c15ull;
	int i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < 5; i++)
		h = fmix64(h ^ w[i]);
	return (uint32_t)h;
}

_Static_assert(sizeof(struct tc_flow_key) == 40, "flow key is 5 words");

static pthread_mutex_t *bucket_lock(struct flow_table *ft, uint32_t b)
{
	return &ft->locks[b % FLOW_LOCKS];
}

static struct flow **lookup(struct flow_table *ft, uint32_t b, const struct tc_flow_key *k)
{
	struct flow **pp = &ft->buckets[b];

	while (*pp && memcmp(&(*pp)->key, k, sizeof(*k)))
		pp = &(*pp)->next;
	return pp;
}

/* ---- references ---- */

static void flow_get(struct flow *f)
{
	__atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
}

static void flow_put(struct flow *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL))
		return;
	tc_conn_free(f->conn);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* ---- the BPF flow map ---- */

static int map_put(struct flow_table *ft, struct flow *f, uint8_t state)
{
	struct tc_flow_val v = { .state = state, .queue = f->queue };
	int err = 0;

	if (ft->dp)
		err = dp_flow_update(ft->dp, &f->key, &v);
	if (err)
		STAT_INC(ft, map_errors);
	else
		f->map_state = state;
	return err;
}

/* Delete the entry; force: also one that needed keys (its socket is gone). */
static void map_del(struct flow_table *ft, struct flow *f, bool force)
{
	if (f->map_state == FLOW_MAP_NONE)
		return;
	if (!force && (f->lost_keys || tc_flow_needs_keys(f->map_state)))
		return;
	if (ft->dp)
		dp_flow_delete(ft->dp, &f->key);
	f->map_state = FLOW_MAP_NONE;
}

/*
 * A flow's owner is the queue its wire segments arrive on (the NIC's RSS
 * decides; XDP cannot redirect to another queue's socket), and tc_egress
 * sends its egress segments to the same queue from tc_flows. A connection
 * opened here started on the queue its SYN was hashed to: move it when the
 * first answer arrives, before that answer is forwarded.
 */
static void flow_move(struct flow_table *ft, struct flow *f, uint16_t queue)
{
	f->queue = queue;
	if (f->map_state != FLOW_MAP_NONE)
		map_put(ft, f, f->map_state);
}

/* ---- the local socket's state (sock_diag) ---- */

/* Linux's TCP states (enum tcp_sock_state), as bits */
#define ST(x)		(1u << (x))
#define ST_NONE		ST(0)	/* no socket */
#define ST_PAST_HS	(ST(TCPS_ESTABLISHED) | ST(TCPS_FIN_WAIT1) | ST(TCPS_FIN_WAIT2) | \
			 ST(TCPS_TIME_WAIT) | ST(TCPS_CLOSE) | ST(TCPS_CLOSE_WAIT) | \
			 ST(TCPS_LAST_ACK) | ST(TCPS_CLOSING))
/* nothing left to send or resend: FIN acknowledged (FIN_WAIT2, TIME_WAIT), closed */
#define ST_QUIET	(ST_NONE | ST(TCPS_FIN_WAIT2) | ST(TCPS_TIME_WAIT) | ST(TCPS_CLOSE))

/* Is f's local socket in one of the states (ST_* bits)? Unknown: no. */
static bool socket_in(struct flow_table *ft, const struct flow *f, uint32_t states)
{
	int st = ft->socket_state ? ft->socket_state(&f->key) : -ENOSYS;

	return st >= 0 && st < 32 && (states & ST(st));
}

/* ---- half-open flows ---- */

/* A remote /24 (IPv4) or /64 (IPv6), hashed to a quota slot. */
static uint16_t prefix_slot(const struct tc_flow_key *k)
{
	uint64_t p = 0;

	memcpy(&p, k->remote, k->family == AF_INET6 ? 8 : 3);
	p ^= k->family;
	p *= 0x9e3779b97f4a7c15ull;
	return (uint16_t)((p >> 40) % FLOW_PREFIX_SLOTS);
}

/*
 * How long ago T was. Threads stamp with their own clock reads, which may
 * be later than another thread's NOW: never a wrapped age (a flow a poller
 * created during an expiry pass would look idle for centuries and go, and
 * its handshake's answer would meet an unknown flow: a reset).
 */
static uint64_t since(uint64_t now, uint64_t t)
{
	return now > t ? now - t : 0;
}

/* Once per EVERY ns, whichever thread comes first (*last_ns: when it last was). */
static bool log_due(uint64_t *last_ns, uint64_t now, uint64_t every)
{
	uint64_t last = __atomic_load_n(last_ns, __ATOMIC_RELAXED);

	if (last && since(now, last) < every)
		return false;
	return __atomic_compare_exchange_n(last_ns, &last, now, false, __ATOMIC_RELAXED,
					   __ATOMIC_RELAXED);
}

/* Warn about refusals, at most every 10 s (the counters have the rest). */
static void refusal_log(struct flow_table *ft, uint64_t now, const char *what)
{
	if (!log_due(&ft->refusal_logged_ns, now, 10 * NSEC))
		return;
	pr_warn("%s (half-open: %u wire, %u local, limit %u; evicted %llu, refused %llu, "
		"reset %llu so far)\n", what, ft->half[FLOW_HALF_WIRE].n,
		ft->half[FLOW_HALF_HOST].n, ft->half_max,
		(unsigned long long)__atomic_load_n(&ft->st.half_evicted, __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&ft->st.half_refused, __ATOMIC_RELAXED),
		(unsigned long long)__atomic_load_n(&ft->st.eno_resets, __ATOMIC_RELAXED));
}

/*
 * A connection that was over gave its place: say so at most once a minute,
 * so that an administrator sees the table is too small for the rate of
 * connections (each stays for its TIME_WAIT).
 */
static void room_log(struct flow_table *ft, uint64_t now)
{
	if (!log_due(&ft->room_logged_ns, now, 60 * NSEC))
		return;
	pr_info("flow table full (%u flows, --max-flows %u): connections that are over "
		"give their place to new ones before their TIME_WAIT ends (%llu so far)\n",
		__atomic_load_n(&ft->count, __ATOMIC_RELAXED), ft->max,
		(unsigned long long)__atomic_load_n(&ft->st.evicted_done, __ATOMIC_RELAXED));
}

/* ---- the table's lists (half-open, done), each under its own lock ---- */

static void list_append(struct flow_ends *e, struct flow *f, int l)
{
	f->link[l].prev = e->tail;
	f->link[l].next = NULL;
	if (e->tail)
		e->tail->link[l].next = f;
	else
		e->head = f;
	e->tail = f;
}

static void list_unlink(struct flow_ends *e, struct flow *f, int l)
{
	struct flow_link *k = &f->link[l];

	if (k->prev)
		k->prev->link[l].next = k->next;
	else
		e->head = k->next;
	if (k->next)
		k->next->link[l].prev = k->prev;
	else
		e->tail = k->prev;
	k->prev = k->next = NULL;
}

/* Take f off its half-open list (half_lock held). */
static void half_unlink(struct flow_table *ft, struct flow *f)
{
	struct flow_half *h = &ft->half[f->hside];

	list_unlink(&h->ends, f, FLOW_LIST_HALF);
	h->n--;
	if (f->hside == FLOW_HALF_WIRE && ft->prefix_cnt[f->pslot])
		ft->prefix_cnt[f->pslot]--;
	f->hside = -1;
}

/* No longer half-open: proven, or leaving the table (flow locked). */
static void half_leave(struct flow_table *ft, struct flow *f)
{
	if (f->hside < 0)
		return;
	pthread_mutex_lock(&ft->half_lock);
	if (f->hside >= 0)
		half_unlink(ft, f);
	pthread_mutex_unlock(&ft->half_lock);
}

static void unlink_flow(struct flow_table *ft, struct flow **pp, struct flow *f);
static void session_end(struct flow_table *ft, struct flow *f, enum flow_sess_event ev);

/*
 * Lock flow v, another than the caller's, and its bucket (bl: the bucket
 * lock the caller holds, or NULL), by trying only: the caller holds locks
 * the usual order (bucket, flow) would take after these. On success *b is
 * v's bucket; unlock with victim_unlock().
 */
static bool victim_trylock(struct flow_table *ft, struct flow *v, pthread_mutex_t *bl,
			   uint32_t *b)
{
	pthread_mutex_t *vbl;

	*b = key_hash(&v->key) & (ft->nbuckets - 1);
	vbl = bucket_lock(ft, *b);
	if (vbl != bl && pthread_mutex_trylock(vbl))
		return false;
	if (!pthread_mutex_trylock(&v->lock))
		return true;
	if (vbl != bl)
		pthread_mutex_unlock(vbl);
	return false;
}

static void victim_unlock(struct flow_table *ft, struct flow *v, pthread_mutex_t *bl,
			  uint32_t b)
{
	pthread_mutex_unlock(&v->lock);
	if (bucket_lock(ft, b) != bl)
		pthread_mutex_unlock(bucket_lock(ft, b));
}

/*
 * Make room on SIDE by evicting its oldest half-open flow (half_lock held,
 * and bl, the caller's bucket lock). Other locks are only tried: the usual
 * order is bucket, flow, half_lock. The victim is returned for flow_put()
 * once the caller dropped its locks; NULL: nothing could be evicted.
 */
static struct flow *half_evict(struct flow_table *ft, int side, pthread_mutex_t *bl)
{
	struct flow *v;
	int tries = 0;

	for (v = ft->half[side].ends.head; v && tries < 8;
	     v = v->link[FLOW_LIST_HALF].next, tries++) {
		struct flow **pp;
		uint32_t b;

		if (!victim_trylock(ft, v, bl, &b))
			continue;
		half_unlink(ft, v);
		pp = lookup(ft, b, &v->key);
		if (*pp == v)
			unlink_flow(ft, pp, v);
		session_end(ft, v, FLOW_SESS_REMOVED);
		/* pass-through's entry (plaintext anyway); engine flows have none */
		map_del(ft, v, true);
		victim_unlock(ft, v, bl, b);
		STAT_INC(ft, half_evicted);
		return v;
	}
	return NULL;
}

/*
 * A new connection's SYN from SIDE made flow f (flow and bucket bl locked):
 * f joins the half-open flows, making room if need be. *victim: a flow to
 * flow_put() after unlocking. -ENOSPC: refused (prefix quota, or no room).
 */
static int half_join(struct flow_table *ft, struct flow *f, int side, pthread_mutex_t *bl,
		     struct flow **victim)
{
	struct flow_half *h = &ft->half[side];
	int err = 0;

	*victim = NULL;
	pthread_mutex_lock(&ft->half_lock);
	if (side == FLOW_HALF_WIRE) {
		f->pslot = prefix_slot(&f->key);
		if (ft->prefix_cnt[f->pslot] >= ft->prefix_max) {
			err = -ENOSPC;
			goto out;
		}
	}
	if (h->n >= ft->half_max) {
		*victim = half_evict(ft, side, bl);
		if (!*victim) {
			err = -ENOSPC;
			goto out;
		}
	}
	f->hside = side;
	list_append(&h->ends, f, FLOW_LIST_HALF);
	h->n++;
	if (side == FLOW_HALF_WIRE)
		ft->prefix_cnt[f->pslot]++;
out:
	pthread_mutex_unlock(&ft->half_lock);
	return err;
}

/* ---- done connections: the first to go when room is short ---- */

/* Take f off the done list (done_lock held); its reference is the caller's. */
static void done_unlink(struct flow_table *ft, struct flow *f)
{
	list_unlink(&ft->done, f, FLOW_LIST_DONE);
	f->done_listed = false;
}

/*
 * Flow locked, after the engine: a connection now done (tc_conn_done) joins
 * the list, with a reference. Only under the flow's lock does done_listed
 * change, so a listed flow is never listed twice.
 */
static void done_note(struct flow_table *ft, struct flow *f)
{
	if (f->done_listed || f->dead || !f->conn || f->lost_keys || !tc_conn_done(f->conn))
		return;
	flow_get(f);
	pthread_mutex_lock(&ft->done_lock);
	list_append(&ft->done, f, FLOW_LIST_DONE);
	f->done_listed = true;
	pthread_mutex_unlock(&ft->done_lock);
}

/* Flow locked, leaving the table: off the list, its reference dropped (the
 * table's is still held, so f stays). */
static void done_leave(struct flow_table *ft, struct flow *f)
{
	if (!f->done_listed)
		return;
	pthread_mutex_lock(&ft->done_lock);
	done_unlink(ft, f);
	pthread_mutex_unlock(&ft->done_lock);
	flow_put(f);
}

#define DONE_EVICT_TRIES	8

/*
 * Make room by forgetting the oldest done connection (bl: the caller's
 * bucket lock, or NULL). Its socket sends no more data and takes none
 * (TIME_WAIT, or closed), so its tc_flows entry may go before TIME_WAIT
 * ends: a later segment of it passes the daemon by, where the kernel at
 * most acknowledges a retransmitted FIN or refuses it. That, and its
 * tcnetstat listing ending early, is the price of a new connection not
 * refused. Other locks are only tried (the usual order is bucket, flow,
 * done_lock); freeing the victim takes none. True if one went.
 */
static bool done_evict(struct flow_table *ft, pthread_mutex_t *bl)
{
	struct flow *cand[DONE_EVICT_TRIES], *f, *v = NULL;
	unsigned int n = 0, i;

	pthread_mutex_lock(&ft->done_lock);
	for (f = ft->done.head; f && n < DONE_EVICT_TRIES; f = f->link[FLOW_LIST_DONE].next) {
		flow_get(f);
		cand[n++] = f;
	}
	pthread_mutex_unlock(&ft->done_lock);
	for (i = 0; i < n && !v; i++) {
		struct flow **pp;
		uint32_t b;

		f = cand[i];
		if (!victim_trylock(ft, f, bl, &b))
			continue;
		pp = lookup(ft, b, &f->key);
		/* still the connection that was done (not a new one on its
		 * tuple: start_conn() takes it off the list too) */
		if (!f->dead && f->done_listed && *pp == f && f->conn &&
		    tc_conn_done(f->conn)) {
			unlink_flow(ft, pp, f);
			session_end(ft, f, FLOW_SESS_REMOVED);
			map_del(ft, f, true);
			STAT_INC(ft, evicted_done);
			v = f;
		}
		victim_unlock(ft, f, bl, b);
	}
	for (i = 0; i < n; i++)
		flow_put(cand[i]);
	if (!v)
		return false;
	flow_put(v);	/* the table's reference */
	return true;
}

uint32_t flow_half_open(struct flow_table *ft)
{
	uint32_t n;

	pthread_mutex_lock(&ft->half_lock);
	n = ft->half[FLOW_HALF_WIRE].n + ft->half[FLOW_HALF_HOST].n;
	pthread_mutex_unlock(&ft->half_lock);
	return n;
}

void flow_table_set_half_open(struct flow_table *ft, uint32_t half_max, uint32_t prefix_max)
{
	ft->half_max = half_max ? half_max : (ft->max / 4 > 64 ? ft->max / 4 : 64);
	ft->prefix_max = prefix_max ? prefix_max : (ft->half_max / 8 > 16 ? ft->half_max / 8 : 16);
	if (ft->prefix_max > UINT16_MAX)
		ft->prefix_max = UINT16_MAX;
}

/* ---- per-thread contexts and the engine's buffers ---- */

static uint8_t *ctx_get(void *arg, enum tc_side to, uint32_t len)
{
	struct flow_ctx *x = arg;

	return x->em ? emit_get(x->em, (enum xq_side)to, len) : NULL;
}

static void ctx_put(void *arg, enum tc_side to, uint8_t *buf, uint32_t len)
{
	struct flow_ctx *x = arg;

	emit_put(x->em, (enum xq_side)to, buf, len);
}

static int ctx_put_super(void *arg, const uint8_t *hdr, uint32_t hdr_len,
			 const uint8_t *payload, uint32_t len)
{
	struct flow_ctx *x = arg;

	return x->em && x->em->put_super ?
	       x->em->put_super(x->em, hdr, hdr_len, payload, len) : -EOPNOTSUPP;
}

static struct flow_ctx *ctx_of(struct flow_table *ft, struct emit *em)
{
	struct flow_ctx *x = tls_ctx;

	if (!x || x->ft != ft) {
		/* one thread serving two tables (tests): find its context */
		pthread_mutex_lock(&ft->ctx_lock);
		for (x = ft->ctxs; x; x = x->next)
			if (pthread_equal(x->thread, pthread_self()))
				break;
		pthread_mutex_unlock(&ft->ctx_lock);
		if (!x) {
			x = calloc(1, sizeof(*x));
			if (!x)
				return NULL;
			x->ft = ft;
			x->thread = pthread_self();
			x->out.get = ctx_get;
			x->out.put = ctx_put;
			x->out.arg = x;
			x->next_timer = UINT64_MAX;
			pthread_mutex_lock(&ft->ctx_lock);
			x->next = ft->ctxs;
			ft->ctxs = x;
			pthread_mutex_unlock(&ft->ctx_lock);
		}
		tls_ctx = x;
		x->out.wire_csum_partial = em && em->wire_csum_partial;
	}
	x->em = em;
	/* wire GSO follows the interface's TSO, which may change */
	x->out.wire_gso_max = em ? em->wire_gso_max : 0;
	x->out.put_super = em && em->put_super ? ctx_put_super : NULL;
	return x;
}

static int list_add(struct flow ***list, unsigned int *n, unsigned int *cap, struct flow *f)
{
	if (*n == *cap) {
		unsigned int c = *cap ? *cap * 2 : 64;
		struct flow **l = realloc(*list, c * sizeof(**list));

		if (!l)
			return -ENOMEM;
		*list = l;
		*cap = c;
	}
	flow_get(f);
	(*list)[(*n)++] = f;
	return 0;
}

/* After the engine ran: coalesced output to flush, timers to watch. */
static void ctx_track(struct flow_ctx *x, struct flow *f)
{
	uint64_t t;

	if (!f->conn)
		return;
	list_add(&x->dirty, &x->ndirty, &x->dcap, f);
	if (!f->idle_due && tc_conn_idle_due(f->conn) &&
	    !list_add(&x->idle, &x->nidle, &x->icap, f))
		f->idle_due = true;
	t = tc_conn_next_timer(f->conn);
	if (t != UINT64_MAX && !f->in_timers &&
	    !list_add(&x->timers, &x->ntimers, &x->tcap, f))
		f->in_timers = true;
	if (t < x->next_timer)
		x->next_timer = t;
}

/* What tc_sessions was last told of f's connection: its state and closing. */
static uint8_t session_mark(const struct flow *f)
{
	return (tc_conn_state(f->conn) + 1) | (tc_conn_closed(f->conn) ? 0x80 : 0);
}

/* Is there a session to tell or log? Not while its keys wait (flow_idle). */
static bool session_news(const struct flow_table *ft, const struct flow *f)
{
	if (!f->conn || tc_conn_idle_due(f->conn))
		return false;
	return (ft->session_changed && session_mark(f) != f->sess_mark) ||
	       (!f->logged && tc_conn_state(f->conn) == TC_CONN_ENCRYPTED);
}

/* Tell tc_sessions when the engine's state or closing changed (cheap per frame). */
static void session_sync(struct flow_table *ft, struct flow *f)
{
	uint8_t mark;

	if (!ft->session_changed || !f->conn || tc_conn_idle_due(f->conn))
		return;
	mark = session_mark(f);
	if (mark == f->sess_mark)
		return;
	f->sess_mark = mark;
	ft->session_changed(ft, f, FLOW_SESS_CHANGED);
}

/* Its connection ended: only flows that may have a tc_sessions entry ask. */
static void session_end(struct flow_table *ft, struct flow *f, enum flow_sess_event ev)
{
	if (ft->session_changed && (f->sess_mark || f->lost_keys))
		ft->session_changed(ft, f, ev);
	f->sess_mark = 0;
}

/* "addr:port" of one end of a flow key (IPv6 as [addr]:port). */
static void key_end(const struct tc_flow_key *k, bool local, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(k->family, local ? k->local : k->remote, a, sizeof(a));
	snprintf(out, len, k->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 ntohs(local ? k->lport : k->rport));
}

/* Debug log of a new encrypted session (session ids are public). */
static void log_session(const struct flow *f)
{
	char l[64], r[64], id[2 * TC_SESSID_LEN + 1];
	struct tc_session_info si;
	int i;

	if (log_get_level() < LOG_LEVEL_DEBUG || tc_conn_session(f->conn, &si))
		return;
	key_end(&f->key, true, l, sizeof(l));
	key_end(&f->key, false, r, sizeof(r));
	for (i = 0; i < TC_SESSID_LEN; i++)
		snprintf(id + 2 * i, 3, "%02x", si.session_id[i]);
	pr_debug("encrypted %s %s role %c tep 0x%02x aead 0x%04x session %s\n", l, r,
		 si.role == TC_ENO_ROLE_A ? 'A' : 'B', si.tep, si.aead, id);
}

/*
 * What no segment waits for: a change between the two states that need keys
 * (BPF steers both alike and drops both without a daemon) and the
 * tc_sessions entry. With x, they wait for flow_sync() at an idle moment;
 * they were three of a resumed connection's five bpf() calls at each end,
 * on its handshake's path. True: nothing more to do now.
 */
static bool sync_later(struct flow_table *ft, struct flow_ctx *x, struct flow *f,
		       uint8_t want)
{
	if (!x || (want != f->map_state &&
		   (!tc_flow_needs_keys(want) || !tc_flow_needs_keys(f->map_state))))
		return false;
	if (want == f->map_state && !session_news(ft, f))
		return true;	/* nothing to do, now or later */
	if (!f->sync_due && !list_add(&x->later, &x->nlater, &x->lcap, f)) {
		f->sync_due = true;
		if (x->nlater == 1)
			x->later_since = f->last_ns;
	}
	return f->sync_due;
}

/* The engine's state, mirrored into tc_flows. Flow locked. x: see sync_later(). */
static void sync_state(struct flow_table *ft, struct flow *f, uint64_t now,
		       struct flow_ctx *x)
{
	bool proven = tc_conn_proven(f->conn);
	uint8_t want;

	if (proven)
		half_leave(ft, f);
	switch (tc_conn_state(f->conn)) {
	case TC_CONN_NEGOTIATING:
		if (!proven) {
			/* no entry before the peer proved its address; one made
			 * for a segment that then did not prove it goes */
			map_del(ft, f, true);
			return;
		}
		want = TC_FLOW_NEGOTIATING;
		break;
	case TC_CONN_PLAIN:
		if (proven)
			session_sync(ft, f);
		/* the rest of this connection bypasses us */
		f->plain = true;
		f->plain_unlisted = !proven;
		f->expire_ns = now + ft->grace_ns;
		map_del(ft, f, true);
		tc_conn_free(f->conn);
		f->conn = NULL;
		STAT_INC(ft, fallbacks);
		return;
	default:
		if (!proven) {
			/* aborted before the peer proved its address: no keys
			 * ever existed, nothing to keep steering */
			map_del(ft, f, true);
			return;
		}
		/* ENO succeeded: never plaintext again, whatever happens to us */
		want = TC_FLOW_ENCRYPTED;
		break;
	}
	/* unproven: nothing for tcnetstat, a fallback is listed at expiry */
	if (sync_later(ft, x, f, want))
		return;
	session_sync(ft, f);
	if (want != f->map_state && !map_put(ft, f, want) && want == TC_FLOW_ENCRYPTED)
		STAT_INC(ft, encrypted);
	if (!f->logged && tc_conn_state(f->conn) == TC_CONN_ENCRYPTED &&
	    !tc_conn_idle_due(f->conn)) {
		f->logged = true;
		log_session(f);
	}
}

static struct flow *flow_insert(struct flow_table *ft, struct flow **pp,
				const struct tc_flow_key *k, uint16_t queue, uint64_t now,
				pthread_mutex_t *bl)
{
	struct flow *f;

	/* tc_flows caps proven flows, half_max the half-open ones: this
	 * binds when --max-flows is below tc_flows' size, or those are
	 * bypassed; a done connection makes room if there is one */
	if (__atomic_load_n(&ft->count, __ATOMIC_RELAXED) >= ft->max + 2 * ft->half_max) {
		if (!done_evict(ft, bl)) {
			STAT_INC(ft, table_full);
			return NULL;
		}
		room_log(ft, now);
		/* the victim was in this bucket: pp may have pointed at it */
		pp = lookup(ft, key_hash(k) & (ft->nbuckets - 1), k);
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	f->refs = 1;		/* the table's */
	f->key = *k;
	f->queue = queue;
	f->st = FS_SYN;
	f->map_state = FLOW_MAP_NONE;
	f->hside = -1;
	f->last_ns = now;
	*pp = f;
	__atomic_fetch_add(&ft->count, 1, __ATOMIC_RELAXED);
	return f;
}

/* The settings an application left for this flow's local port, if any. */
static bool port_opts(struct flow_table *ft, const struct tc_flow_key *k,
		      struct tc_conn_opts *o)
{
	uint16_t lport = ntohs(k->lport);
	bool found = false;
	unsigned int i;

	if (!__atomic_load_n(&ft->npopts, __ATOMIC_RELAXED))
		return false;
	pthread_mutex_lock(&ft->opts_lock);
	for (i = 0; i < ft->npopts; i++) {
		struct flow_port_opts *p = &ft->popts[i];

		if (p->lport != lport || p->family != k->family)
			continue;
		*o = p->o;
		found = true;
		if (p->oneshot)
			ft->popts[i] = ft->popts[--ft->npopts];
		break;
	}
	pthread_mutex_unlock(&ft->opts_lock);
	return found;
}

int flow_opts_set(struct flow_table *ft, uint8_t family, uint16_t lport,
		  const struct tc_conn_opts *o, bool oneshot)
{
	unsigned int i;
	int err = 0;

	pthread_mutex_lock(&ft->opts_lock);
	for (i = 0; i < ft->npopts; i++)
		if (ft->popts[i].lport == lport && ft->popts[i].family == family)
			break;
	if (!o) {
		if (i < ft->npopts)
			ft->popts[i] = ft->popts[--ft->npopts];
	} else if (i == ft->npopts && i == FLOW_PORT_OPTS_MAX) {
		err = -ENOSPC;
	} else {
		if (i == ft->npopts) {
			struct flow_port_opts *p = realloc(ft->popts, (i + 1) * sizeof(*p));

			if (!p) {
				err = -ENOMEM;
				goto out;
			}
			ft->popts = p;
			ft->npopts++;
		}
		ft->popts[i] = (struct flow_port_opts){ .family = family, .lport = lport,
							.oneshot = oneshot, .o = *o };
	}
out:
	pthread_mutex_unlock(&ft->opts_lock);
	return err;
}

/* The flow with key k, locked with its bucket *b (unlock_found()), or NULL. */
static struct flow *find_locked(struct flow_table *ft, const struct tc_flow_key *k, uint32_t *b)
{
	struct flow *f;

	*b = key_hash(k) & (ft->nbuckets - 1);
	pthread_mutex_lock(bucket_lock(ft, *b));
	f = *lookup(ft, *b, k);
	if (f)
		pthread_mutex_lock(&f->lock);
	else
		pthread_mutex_unlock(bucket_lock(ft, *b));
	return f;
}

static void unlock_found(struct flow_table *ft, struct flow *f, uint32_t b)
{
	pthread_mutex_unlock(&f->lock);
	pthread_mutex_unlock(bucket_lock(ft, b));
}

int flow_session(struct flow_table *ft, const struct tc_flow_key *k,
		 struct tc_session_info *info)
{
	struct flow *f;
	uint32_t b;
	int err;

	memset(info, 0, sizeof(*info));
	f = find_locked(ft, k, &b);
	if (!f)
		return -ENOENT;
	if (f->conn && tc_conn_idle_due(f->conn)) {
		/* asked before its poller was idle: the keys now */
		tc_conn_idle(f->conn, tcd_now_ns(), NULL);
	}
	err = f->conn ? tc_conn_session(f->conn, info) : -EINVAL;
	unlock_found(ft, f, b);
	return err;
}

int flow_resume_flush(struct flow_table *ft, const struct tc_flow_key *k)
{
	struct flow *f;
	uint32_t b;
	int n;

	f = find_locked(ft, k, &b);
	if (!f)
		return -ENOENT;
	n = f->conn ? (int)tc_conn_resume_flush(f->conn) : 0;
	unlock_found(ft, f, b);
	return n;
}

bool flow_known(struct flow_table *ft, const struct tc_flow_key *k)
{
	uint32_t b = key_hash(k) & (ft->nbuckets - 1);
	bool known;

	pthread_mutex_lock(bucket_lock(ft, b));
	known = *lookup(ft, b, k) != NULL;
	pthread_mutex_unlock(bucket_lock(ft, b));
	return known;
}

/* A new connection's first SYN: an engine connection, steered from now on. */
static void start_conn(struct flow_table *ft, struct flow_ctx *x, struct flow *f)
{
	struct tc_conn_opts o;

	session_end(ft, f, FLOW_SESS_RESTART);
	/* the connection that was done is gone: this one is live */
	done_leave(ft, f);
	f->st = FS_SYN;
	f->fin_mask = 0;
	f->seen_mask = 0;
	f->expire_ns = 0;
	f->plain = false;
	f->logged = false;
	f->plain_unlisted = false;
	f->isn_known = false;
	f->proven = false;
	tc_conn_free(f->conn);
	f->conn = NULL;
	if (ft->engine) {
		/*
		 * No tc_flows entry before the peer proves its address (BPF
		 * steers the handshake without one); an old connection's
		 * entry on this tuple goes: that one has ended (see callers).
		 */
		map_del(ft, f, true);
	} else if (map_put(ft, f, TC_FLOW_PASSTHROUGH)) {
		/* into tc_flows before the SYN goes on, so the answer is
		 * steered too; no room: this connection stays plain TCP */
		f->plain = true;
		return;
	}
	if (ft->engine) {
		f->conn = tc_conn_new(ft->engine, &x->est);
		if (!f->conn) {
			map_del(ft, f, true);
			f->plain = true;
		} else if (port_opts(ft, &f->key, &o)) {
			tc_conn_set_opts(f->conn, &o);
		}
	}
	STAT_INC(ft, created);
}

/*
 * tc_flows refused a proven connection's entry (full): forget the oldest
 * done connection and try again. Flow locked, its bucket not.
 */
static bool map_room(struct flow_table *ft, struct flow *f, int err, uint64_t now)
{
	/* another failure than a full map, or nothing done to forget */
	if (err != -E2BIG || !done_evict(ft, NULL))
		return false;
	room_log(ft, now);
	return !map_put(ft, f, TC_FLOW_NEGOTIATING);
}

/* The engine's verdict on one frame. Flow locked. */
static enum flow_verdict engine_input(struct flow_table *ft, struct flow_ctx *x,
				      struct flow *f, enum xq_side from, uint8_t *pkt,
				      const struct seg *s, uint64_t now)
{
	int r;

	if (f->map_state == FLOW_MAP_NONE && tc_conn_proves(f->conn, (enum tc_side)from, &s->t) &&
	    (r = map_put(ft, f, TC_FLOW_NEGOTIATING)) && !map_room(ft, f, r, now)) {
		/*
		 * The entry must exist before this segment reaches the kernel,
		 * which may send right after it. No room: refused, never plain.
		 */
		STAT_INC(ft, table_full);
		refusal_log(ft, now, "flow map full: new connection reset");
		tc_answer_rst((enum tc_side)from, pkt, &s->t, true, &x->out, &x->est);
		tc_conn_abort(f->conn, TC_ABORT_LOCAL, NULL);
		return FV_DROP;
	}
	r = tc_conn_input(f->conn, (enum tc_side)from, pkt, &s->t, now, &x->out);

	if (r == -ESTALE) {
		/* the local kernel opens a new connection on this tuple */
		start_conn(ft, x, f);
		if (!f->conn)
			return FV_FORWARD;
		r = tc_conn_input(f->conn, (enum tc_side)from, pkt, &s->t, now, &x->out);
	}
	sync_state(ft, f, now, x);
	if (f->conn)
		ctx_track(x, f);
	if (r == TC_CONN_FORWARD)
		return FV_FORWARD;
	return r < 0 ? FV_DROP : FV_CONSUMED;
}

/* The pass-through state machine: FIN both ways or RST closes. Flow locked. */
static void passthrough_track(struct flow_table *ft, struct flow *f, enum xq_side from,
			      uint8_t flags, uint64_t now)
{
	if (f->st == FS_CLOSED)
		return;
	if (flags & TCPF_RST) {
		f->st = FS_CLOSED;
		f->expire_ns = now + ft->grace_ns;
	} else if (flags & TCPF_FIN) {
		f->fin_mask |= 1u << from;
		if (f->fin_mask == 3) {
			f->st = FS_CLOSED;
			f->expire_ns = now + ft->grace_ns;
		} else {
			f->st = FS_FIN1;
		}
	}
}

/*
 * Pass-through has no engine to say when the peer proved its address: the
 * local ISN (from the host's SYN or SYN-ACK) acknowledged from the wire.
 */
static void passthrough_prove(struct flow_table *ft, struct flow *f, enum xq_side from,
			      const struct tc_seg *t)
{
	if (f->proven)
		return;
	if (from == XQ_HOST && (t->flags & TCPF_SYN)) {
		f->isn_l = t->seq;
		f->isn_known = true;
	} else if (from == XQ_WIRE && f->isn_known && (t->flags & TCPF_ACK) &&
		   t->ack == f->isn_l + 1) {
		f->proven = true;
		half_leave(ft, f);
	}
}

/* Has the segment a TCP-ENO option? */
static bool seg_has_eno(const uint8_t *pkt, const struct tc_seg *t)
{
	struct tc_tcpopt o;

	if (t->thl <= TC_TCP_HLEN)
		return false;
	tc_tcpopt_parse(pkt + t->l4_off + TC_TCP_HLEN, t->thl - TC_TCP_HLEN, &o);
	return o.has_eno;
}

/*
 * A steered segment of no flow we know, not in tc_flows. An ENO segment
 * from the wire belongs to a handshake whose state is gone (evicted, or a
 * previous daemon's): the peer may already count on encryption, so neither
 * side may go on in plain TCP. Both are reset. Anything else (a wire
 * SYN-ACK of plain TCP, a segment a previous daemon left) goes on unchanged.
 */
static enum flow_verdict unknown_seg(struct flow_table *ft, struct flow_ctx *x,
				     enum xq_side from, uint8_t *pkt, const struct seg *s,
				     uint64_t now)
{
	if (from == XQ_HOST && ft->engine && (s->t.flags & TCPF_SYN)) {
		/*
		 * The local SYN-ACK of a handshake evicted (or begun before
		 * us): without ENO it could make the peer fall back. Dropped;
		 * the peer's SYN again starts it afresh.
		 */
		STAT_INC(ft, synack_dropped);
		return FV_DROP;
	}
	if (from != XQ_WIRE || !ft->engine || (s->t.flags & TCPF_RST) ||
	    !seg_has_eno(pkt, &s->t))
		return FV_FORWARD;
	STAT_INC(ft, eno_resets);
	refusal_log(ft, now, "ENO segment of an unknown handshake: reset");
	tc_answer_rst(TC_SIDE_WIRE, pkt, &s->t, true, &x->out, &x->est);
	return FV_DROP;
}

static enum flow_verdict syn_refused(struct flow_table *ft, uint64_t now)
{
	STAT_INC(ft, half_refused);
	refusal_log(ft, now, "half-open limit: SYN dropped");
	return FV_DROP;
}

enum flow_verdict flow_packet(struct flow_table *ft, enum xq_side from, uint16_t queue,
			      uint8_t *pkt, uint32_t len, uint64_t now, struct emit *em)
{
	return flow_packet_pieces(ft, from, queue, pkt, len, NULL, 0, now, em);
}

enum flow_verdict flow_packet_pieces(struct flow_table *ft, enum xq_side from, uint16_t queue,
				     uint8_t *pkt, uint32_t len, const struct tc_iov *pv,
				     uint32_t npv, uint64_t now, struct emit *em)
{
	struct flow_ctx *x = ctx_of(ft, em);
	int hside = from == XQ_WIRE ? FLOW_HALF_WIRE : FLOW_HALF_HOST;
	enum flow_verdict v = FV_FORWARD;
	struct flow **pp, *f, *victim = NULL;
	pthread_mutex_t *bl;
	struct seg s;
	uint32_t b;
	bool syn;

	switch (tc_seg_parse(pkt, len, &s.t)) {
	case TC_SEG_TCP:
		break;
	case TC_SEG_FRAG_FIRST:
	case TC_SEG_FRAG_LATER:
		STAT_INC(ft, fragments);
		return FV_DROP;
	case TC_SEG_MALFORMED:
	case TC_SEG_TOO_DEEP:
		STAT_INC(ft, malformed);
		return FV_DROP;
	default:
		/*
		 * BPF steers TCP only; anything else reaching us cannot be
		 * shown to be outside an encrypted connection: never forwarded.
		 */
		STAT_INC(ft, non_tcp);
		return FV_DROP;
	}
	if (!x)
		return FV_DROP;
	/* the engine reads a payload in pieces from these (tc_seg.pv) */
	s.t.pv = pv;
	s.t.npv = npv;
	seg_key(&s, from);
	if (from == XQ_WIRE && fix_partial_csum(pkt, &s)) {
		STAT_INC(ft, csum_fixed);
	} else if (from == XQ_WIRE && ft->engine && !tc_seg_tcp_csum_ok(pkt, &s.t)) {
		/* a bit flipped on the way: TCP drops it; the engine must not
		 * take it for tampering and abort the connection */
		STAT_INC(ft, csum_bad);
		return FV_DROP;
	}
	syn = (s.t.flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;

	b = key_hash(&s.key) & (ft->nbuckets - 1);
	bl = bucket_lock(ft, b);
	pthread_mutex_lock(bl);
	pp = lookup(ft, b, &s.key);
	f = *pp;
	if (!f) {
		/* a steered segment we do not know: a previous daemon's flow? */
		struct tc_flow_val mv;
		bool in_map = !syn && ft->dp && !dp_flow_lookup(ft->dp, &s.key, &mv);
		bool lost = in_map && tc_flow_needs_keys(mv.state);

		/*
		 * Not a SYN and not in tc_flows: the rest of a handshake we
		 * hold no state for (BPF steers those without an entry), or
		 * plain TCP a daemon before us left no state for. No flow is
		 * made for it: a forged segment must not pull a connection
		 * into userspace.
		 */
		if (!syn && !in_map) {
			pthread_mutex_unlock(bl);
			return unknown_seg(ft, x, from, pkt, &s, now);
		}
		f = flow_insert(ft, pp, &s.key, queue, now, bl);
		if (!f) {
			pthread_mutex_unlock(bl);
			/* fail closed for flows that need keys, else pass unchanged */
			return lost ? FV_DROP : FV_FORWARD;
		}
		pthread_mutex_lock(&f->lock);
		if (lost) {
			f->lost_keys = 1;
			f->proven = true;
			f->map_state = TC_FLOW_ENCRYPTED;
			if (ft->engine)
				f->conn = tc_conn_new_lost(ft->engine, &x->est);
			STAT_INC(ft, adopted);
		} else if (syn) {
			if (half_join(ft, f, hside, bl, &victim)) {
				/* dropped: the sender retries, as with a full SYN queue
				 * (pp again: room made in this bucket may have moved it) */
				unlink_flow(ft, lookup(ft, b, &s.key), f);
				pthread_mutex_unlock(&f->lock);
				pthread_mutex_unlock(bl);
				flow_put(f);
				return syn_refused(ft, now);
			}
			start_conn(ft, x, f);
		} else {
			STAT_INC(ft, adopted);
			f->proven = true;
			map_put(ft, f, TC_FLOW_PASSTHROUGH);
		}
	} else {
		pthread_mutex_lock(&f->lock);
		/*
		 * Port reuse: a new connection on the same tuple. From the local
		 * kernel the engine says so itself (-ESTALE, the socket is
		 * gone); from the wire only after an authenticated end, and
		 * once the kernel has nothing left to resend (its FIN
		 * acknowledged, or the socket gone): a resend would then leave
		 * in plaintext.
		 */
		if (syn && !f->lost_keys && ((!f->conn && (f->st == FS_CLOSED || f->plain)) ||
					     (f->conn && from == XQ_WIRE &&
					      tc_conn_finished(f->conn) &&
					      socket_in(ft, f, ST_QUIET)))) {
			if (f->hside < 0 && half_join(ft, f, hside, bl, &victim)) {
				pthread_mutex_unlock(&f->lock);
				pthread_mutex_unlock(bl);
				return syn_refused(ft, now);
			}
			start_conn(ft, x, f);
		}
	}
	pthread_mutex_unlock(bl);

	if (from == XQ_WIRE && f->queue != queue && !(f->seen_mask & (1u << XQ_WIRE)))
		flow_move(ft, f, queue);
	f->last_ns = now;
	f->seen_mask |= 1u << from;
	if (f->conn) {
		v = engine_input(ft, x, f, from, pkt, &s, now);
		done_note(ft, f);
		if (f->lost_keys)
			STAT_INC(ft, lost_keys_dropped);
	} else if (f->lost_keys) {
		STAT_INC(ft, lost_keys_dropped);
		v = FV_DROP;
	} else if (!f->plain) {
		passthrough_prove(ft, f, from, &s.t);
		passthrough_track(ft, f, from, s.t.flags, now);
	}
	pthread_mutex_unlock(&f->lock);
	if (victim) {
		/* evicted for this SYN: freed outside the locks */
		flow_put(victim);
		refusal_log(ft, now, "half-open limit: oldest handshake evicted");
	}
	return v;
}

void flow_flush(struct flow_table *ft, struct emit *em)
{
	struct flow_ctx *x = ctx_of(ft, em);
	unsigned int i;

	if (!x)
		return;
	for (i = 0; i < x->ndirty; i++) {
		struct flow *f = x->dirty[i];

		pthread_mutex_lock(&f->lock);
		if (f->conn)
			tc_conn_flush(f->conn, &x->out);
		pthread_mutex_unlock(&f->lock);
		flow_put(f);
	}
	x->ndirty = 0;
}

unsigned int flow_sync(struct flow_table *ft, uint64_t now, bool idle)
{
	struct flow_ctx *x = tls_ctx;
	unsigned int i, n;

	if (!x || x->ft != ft)
		x = ctx_of(ft, NULL);
	if (!x || !x->nlater)
		return 0;
	/* a poller that is never idle still tells tcnetstat, a little late */
	if (!idle && x->nlater < FLOW_SYNC_BATCH && since(now, x->later_since) < FLOW_SYNC_NS)
		return 0;
	n = x->nlater;
	for (i = 0; i < n; i++) {
		struct flow *f = x->later[i];

		pthread_mutex_lock(&f->lock);
		f->sync_due = false;
		if (!f->dead && f->conn)
			sync_state(ft, f, now, NULL);
		pthread_mutex_unlock(&f->lock);
		flow_put(f);
	}
	x->nlater = 0;
	return n;
}

unsigned int flow_idle(struct flow_table *ft, uint64_t now, struct emit *em)
{
	struct flow_ctx *x = ctx_of(ft, em);
	unsigned int i, n;

	if (!x)
		return 0;
	n = x->nidle;
	for (i = 0; i < n; i++) {
		struct flow *f = x->idle[i];

		pthread_mutex_lock(&f->lock);
		f->idle_due = false;
		if (!f->dead && f->conn && tc_conn_idle_due(f->conn)) {
			tc_conn_idle(f->conn, now, &x->out);
			sync_state(ft, f, now, NULL);
		}
		pthread_mutex_unlock(&f->lock);
		flow_put(f);
	}
	x->nidle = 0;
	return n;
}

void flow_timers(struct flow_table *ft, uint64_t now, struct emit *em)
{
	struct flow_ctx *x = ctx_of(ft, em);
	uint64_t next = UINT64_MAX;
	unsigned int i, keep = 0;

	if (!x || x->next_timer > now)
		return;
	for (i = 0; i < x->ntimers; i++) {
		struct flow *f = x->timers[i];
		uint64_t t = UINT64_MAX;

		pthread_mutex_lock(&f->lock);
		if (!f->dead && f->conn) {
			t = tc_conn_next_timer(f->conn);
			if (t <= now) {
				tc_conn_timer(f->conn, now, &x->out);
				sync_state(ft, f, now, x);
				if (f->conn) {
					tc_conn_flush(f->conn, &x->out);
					t = tc_conn_next_timer(f->conn);
				} else {
					t = UINT64_MAX;
				}
			}
		}
		if (t == UINT64_MAX)
			f->in_timers = false;
		pthread_mutex_unlock(&f->lock);
		if (t == UINT64_MAX) {
			flow_put(f);
			continue;
		}
		if (t < next)
			next = t;
		x->timers[keep++] = f;
	}
	x->ntimers = keep;
	x->next_timer = next;
}

uint64_t flow_next_timer(const struct flow_table *ft)
{
	const struct flow_ctx *x = tls_ctx;

	if (!x || x->ft != ft)
		for (x = ft->ctxs; x; x = x->next)
			if (pthread_equal(x->thread, pthread_self()))
				break;
	return x ? x->next_timer : UINT64_MAX;
}

int flow_adopt(struct flow_table *ft, const struct tc_flow_key *k, uint8_t state,
	       uint16_t queue)
{
	uint32_t b = key_hash(k) & (ft->nbuckets - 1);
	struct flow_ctx *x = ctx_of(ft, NULL);
	struct flow **pp, *f;
	int err = 0;

	pthread_mutex_lock(bucket_lock(ft, b));
	pp = lookup(ft, b, k);
	f = *pp ? *pp : flow_insert(ft, pp, k, queue, tcd_now_ns(), bucket_lock(ft, b));
	if (f) {
		f->map_state = state;
		f->proven = true;
		f->sess_listed = FLOW_LISTED_UNKNOWN;
		if (tc_flow_needs_keys(state)) {
			f->lost_keys = 1;
			if (ft->engine && !f->conn && x)
				f->conn = tc_conn_new_lost(ft->engine, &x->est);
		}
		STAT_INC(ft, adopted);
	} else {
		err = -ENOMEM;
	}
	pthread_mutex_unlock(bucket_lock(ft, b));
	return err;
}

int flow_table_init(struct flow_table *ft, struct dp *dp, uint32_t max_flows,
		    uint32_t grace_ms, uint32_t idle_s)
{
	uint32_t n = 1024, i;

	memset(ft, 0, sizeof(*ft));
	while (n < max_flows / 2 && n < (1u << 20))
		n <<= 1;
	ft->buckets = calloc(n, sizeof(*ft->buckets));
	if (!ft->buckets)
		return -ENOMEM;
	ft->nbuckets = n;
	ft->max = max_flows;
	ft->grace_ns = (uint64_t)grace_ms * 1000000ull;
	ft->idle_ns = (uint64_t)idle_s * NSEC;
	ft->dp = dp;
	ft->socket_state = tcp_socket_state;
	flow_table_set_half_open(ft, 0, 0);
	pthread_mutex_init(&ft->half_lock, NULL);
	pthread_mutex_init(&ft->done_lock, NULL);
	for (i = 0; i < FLOW_LOCKS; i++)
		pthread_mutex_init(&ft->locks[i], NULL);
	pthread_mutex_init(&ft->ctx_lock, NULL);
	pthread_mutex_init(&ft->opts_lock, NULL);
	return 0;
}

void flow_table_set_engine(struct flow_table *ft, const struct tc_engine_cfg *cfg)
{
	ft->engine = cfg;
}

/* Unlink f (bucket and flow locked); the caller drops the table's reference. */
static void unlink_flow(struct flow_table *ft, struct flow **pp, struct flow *f)
{
	half_leave(ft, f);
	done_leave(ft, f);
	*pp = f->next;
	f->dead = true;
	__atomic_fetch_sub(&ft->count, 1, __ATOMIC_RELAXED);
}

void flow_table_fini(struct flow_table *ft)
{
	struct flow_ctx *x, *nx;
	uint32_t i;

	if (!ft->buckets)
		return;
	for (x = ft->ctxs; x; x = nx) {
		nx = x->next;
		for (i = 0; i < x->ndirty; i++)
			flow_put(x->dirty[i]);
		for (i = 0; i < x->ntimers; i++)
			flow_put(x->timers[i]);
		/* updates left for later: both states need keys, nothing to do */
		for (i = 0; i < x->nlater; i++)
			flow_put(x->later[i]);
		for (i = 0; i < x->nidle; i++)
			flow_put(x->idle[i]);
		free(x->dirty);
		free(x->timers);
		free(x->later);
		free(x->idle);
		if (tls_ctx == x)
			tls_ctx = NULL;
		free(x);
	}
	ft->ctxs = NULL;
	while (ft->done.head) {
		struct flow *f = ft->done.head;

		done_unlink(ft, f);
		flow_put(f);
	}
	for (i = 0; i < ft->nbuckets; i++) {
		struct flow *f = ft->buckets[i], *next;

		for (; f; f = next) {
			next = f->next;
			/* entries that protect live connections stay (see flow.h) */
			map_del(ft, f, false);
			f->dead = true;
			flow_put(f);
		}
	}
	free(ft->buckets);
	ft->buckets = NULL;
	for (i = 0; i < FLOW_LOCKS; i++)
		pthread_mutex_destroy(&ft->locks[i]);
	pthread_mutex_destroy(&ft->ctx_lock);
	pthread_mutex_destroy(&ft->half_lock);
	pthread_mutex_destroy(&ft->done_lock);
	free(ft->popts);
	ft->popts = NULL;
	ft->npopts = 0;
	pthread_mutex_destroy(&ft->opts_lock);
}

/*
 * May a flow that needed keys go? Only once its local socket is gone: the
 * kernel would otherwise retransmit its data in plaintext past BPF.
 *
 * A socket in TIME_WAIT stays for TIME_WAIT_NS from the close: it is asked
 * about again only then. Asking every second cost a sock_diag round trip
 * per second per closed connection, 60 per connection, which at a few
 * hundred connections a second took more CPU than the connections did.
 */
static bool socket_gone(struct flow_table *ft, struct flow *f, uint64_t now)
{
	int r;

	if (since(now, f->checked_ns) < RECHECK_NS)
		return false;
	f->checked_ns = now;
	r = ft->socket_state ? ft->socket_state(&f->key) : 0;
	if (r == 0)
		return true;
	if (r < 0)
		return false;
	STAT_INC(ft, kept_socket);
	if (r == TCPS_TIME_WAIT && f->expire_ns) {
		/* expire_ns is the close plus the grace period */
		uint64_t end = f->expire_ns - ft->grace_ns + TIME_WAIT_NS;

		if (end > now + RECHECK_NS)
			f->checked_ns = end - RECHECK_NS;
	}
	return false;
}

/* What may go now, and why (flow locked). 0: stays, 1: closed, 2: idle. */
static int expire_reason(struct flow_table *ft, struct flow *f, uint64_t now)
{
	uint64_t age = since(now, f->last_ns);
	bool idle = ft->idle_ns && age >= ft->idle_ns;
	bool half_open = f->seen_mask != 3 && age >= FLOW_HALF_OPEN_S * NSEC;

	/* never proven: its handshake is over (no tc_flows entry needs keys) */
	if (f->hside >= 0 && !f->plain && age >= FLOW_HALF_OPEN_S * NSEC)
		return 2;
	if (f->plain)
		return now >= f->expire_ns ? 1 : 0;
	if (f->conn || f->lost_keys) {
		enum tc_conn_state st = f->conn ? tc_conn_state(f->conn) : TC_CONN_ABORTED;
		bool closed = f->conn && tc_conn_closed(f->conn);

		/* ENO never succeeded and nobody answered: nothing to protect */
		if (st == TC_CONN_NEGOTIATING && half_open)
			return 2;
		if (st == TC_CONN_NEGOTIATING && !idle)
			return 0;
		if (!closed && !idle && !f->lost_keys)
			return 0;
		if (closed && !f->expire_ns)
			f->expire_ns = now + ft->grace_ns;
		if (closed && now < f->expire_ns && !idle)
			return 0;
		return socket_gone(ft, f, now) ? (closed ? 1 : 2) : 0;
	}
	if (f->st == FS_CLOSED && now >= f->expire_ns)
		return 1;
	/* half-open: never answered; do not let SYNs fill the table */
	return idle || half_open ? 2 : 0;
}

void flow_expire(struct flow_table *ft, uint64_t now)
{
	uint32_t i;

	for (i = 0; i < ft->nbuckets; i++) {
		pthread_mutex_t *bl = bucket_lock(ft, i);
		struct flow **pp, *f;

		if (!ft->buckets[i])
			continue;
		pthread_mutex_lock(bl);
		pp = &ft->buckets[i];
		while ((f = *pp)) {
			int why;

			/*
			 * Its socket is in TIME_WAIT (socket_gone): nothing can
			 * end it sooner. Skipped without its lock or its
			 * connection's memory, which at tens of thousands of
			 * them was most of this pass. checked_ns is this
			 * thread's alone: only socket_gone() writes it.
			 */
			if (f->checked_ns > now) {
				pp = &f->next;
				continue;
			}
			pthread_mutex_lock(&f->lock);
			why = expire_reason(ft, f, now);
			if (!why) {
				pthread_mutex_unlock(&f->lock);
				pp = &f->next;
				continue;
			}
			unlink_flow(ft, pp, f);
			/* a fallback before proof: listed once its socket is established */
			if (f->plain_unlisted && ft->session_changed && socket_in(ft, f, ST_PAST_HS))
				ft->session_changed(ft, f, FLOW_SESS_PLAIN);
			session_end(ft, f, FLOW_SESS_REMOVED);
			/* the socket is gone (or nothing needed keys): the entry goes */
			map_del(ft, f, true);
			if (why == 1)
				STAT_INC(ft, removed_closed);
			else
				STAT_INC(ft, removed_idle);
			pthread_mutex_unlock(&f->lock);
			flow_put(f);
		}
		pthread_mutex_unlock(bl);
	}
}

void flow_engine_stats(struct flow_table *ft, struct tc_engine_stats *out)
{
	const struct flow_ctx *x;
	size_t i, n = sizeof(*out) / sizeof(uint64_t);

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ft->ctx_lock);
	for (x = ft->ctxs; x; x = x->next)
		for (i = 0; i < n; i++)
			((uint64_t *)out)[i] += ((const uint64_t *)&x->est)[i];
	pthread_mutex_unlock(&ft->ctx_lock);
}

void flow_engine_stats_thread(struct flow_table *ft, pthread_t thread,
			      struct tc_engine_stats *out)
{
	const struct flow_ctx *x;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ft->ctx_lock);
	for (x = ft->ctxs; x; x = x->next)
		if (pthread_equal(x->thread, thread))
			*out = x->est;
	pthread_mutex_unlock(&ft->ctx_lock);
}
