// SPDX-License-Identifier: GPL-2.0
/* tc_sessions and tc_dstats, for tcnetstat (see export.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/dp_attach.h"
#include "common/log.h"
#include "common/sockdiag.h"
#include "tcpcryptd/export.h"
#include "tcpcryptd/poller.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int export_session_fill(const struct tc_conn *c, const struct tc_session *old,
			uint16_t queue, uint64_t now, struct tc_session *out)
{
	enum tc_conn_state st = tc_conn_state(c);
	struct tc_session_info info;
	int err = tc_conn_session(c, &info);

	memset(out, 0, sizeof(*out));
	if (old)
		*out = *old;	/* the session id and its time stay */
	out->queue = queue;
	out->abort = st == TC_CONN_ABORTED ? tc_conn_abort_reason(c) : 0;
	if (!err) {
		bool same = old && old->sid_len == TC_SESSID_LEN &&
			    !memcmp(old->session_id, info.session_id, TC_SESSID_LEN);

		/* B has keys before A's first frame: listed once encrypted */
		if (st == TC_CONN_KEYX && !tc_conn_closed(c))
			return 0;
		out->state = st == TC_CONN_ABORTED ? TC_SESS_ABORTED :
			     tc_conn_closed(c) ? TC_SESS_CLOSED : TC_SESS_ENCRYPTED;
		out->role = info.role == TC_ENO_ROLE_B;
		out->tep = info.tep;
		out->aead = info.aead;
		out->local_gopt = info.local_gopt;
		out->peer_gopt = info.peer_gopt;
		out->sid_len = TC_SESSID_LEN;
		memcpy(out->session_id, info.session_id, TC_SESSID_LEN);
		if (!same)
			out->established_ns = now;
		return 1;
	}
	if (info.state == TC_CONN_PLAIN) {
		memset(out, 0, sizeof(*out));
		out->queue = queue;
		out->state = TC_SESS_PLAIN;
		return 1;
	}
	if (info.state == TC_CONN_ABORTED) {
		/* before keys (encryption required, key exchange failed), or taken
		 * over from a killed daemon: what the old entry said stays */
		out->state = TC_SESS_ABORTED;
		return 1;
	}
	return 0;
}

/*
 * The flow remembers what it put in tc_sessions (f->sess_listed): each map
 * call is a system call in a poller, and a connection used to pay 8 of them
 * here, half of them lookups of entries that did not exist.
 */
void export_session_changed(struct flow_table *ft, struct flow *f,
			    enum flow_sess_event ev)
{
	struct tc_session old, s;
	bool have_old = false;

	if (!ft->dp)
		return;
	if (ev == FLOW_SESS_PLAIN) {
		/* listed late: a fallback before the peer proved its address
		 * is not worth a map entry until its socket is established */
		memset(&s, 0, sizeof(s));
		s.queue = f->queue;
		s.state = TC_SESS_PLAIN;
		if (!dp_session_put(ft->dp, &f->key, &s))
			f->sess_listed = FLOW_LISTED_PLAIN;
		return;
	}
	/*
	 * The entry is read only when what it holds matters: an adopted flow's
	 * (is there one, a fallback's?) and one being updated (its session
	 * id and time stay).
	 */
	if (f->sess_listed == FLOW_LISTED_UNKNOWN ||
	    (ev == FLOW_SESS_CHANGED && f->sess_listed != FLOW_LISTED_NONE)) {
		have_old = !dp_session_get(ft->dp, &f->key, &old);
		f->sess_listed = !have_old ? FLOW_LISTED_NONE :
				 old.state == TC_SESS_PLAIN ? FLOW_LISTED_PLAIN : FLOW_LISTED_ENGINE;
	}
	if (ev != FLOW_SESS_CHANGED) {
		/* a fallback stays listed while its socket lives (export_tick) */
		if (f->sess_listed == FLOW_LISTED_NONE ||
		    (ev == FLOW_SESS_REMOVED && f->sess_listed == FLOW_LISTED_PLAIN))
			return;
		dp_session_del(ft->dp, &f->key);
		f->sess_listed = FLOW_LISTED_NONE;
		return;
	}
	if (f->conn && export_session_fill(f->conn, have_old ? &old : NULL, f->queue,
					   clock_ns(CLOCK_REALTIME), &s) > 0 &&
	    !dp_session_put(ft->dp, &f->key, &s))
		f->sess_listed = s.state == TC_SESS_PLAIN ? FLOW_LISTED_PLAIN : FLOW_LISTED_ENGINE;
}

void export_queue_stats(const struct tc_engine_stats *est, uint64_t rx_wire,
			uint64_t rx_host, struct tc_dstats *out)
{
	__u64 *c = out->ctr;

	memset(c, 0, sizeof(out->ctr));
	c[TC_DS_STEERED_WIRE] = rx_wire;
	c[TC_DS_STEERED_HOST] = rx_host;
	c[TC_DS_ENO_OFFERED] = est->eno_offered;
	c[TC_DS_SESSIONS] = est->encrypted;
	c[TC_DS_ENCRYPTED] = est->frames_sealed;
	c[TC_DS_DECRYPTED] = est->frames_opened;
	c[TC_DS_BYTES_ENCRYPTED] = est->bytes_sealed;
	c[TC_DS_BYTES_DECRYPTED] = est->bytes_opened;
	c[TC_DS_TAG_FAILURES] = est->tag_failures;
	c[TC_DS_FALLBACKS] = est->eno_fallback;
	c[TC_DS_RESETS] = est->aborts;
	c[TC_DS_RESUMPTIONS] = est->resumed;
	c[TC_DS_REKEYS] = est->rekeys;
	c[TC_DS_RETRANSMITS] = est->frames_resent + est->init_resent + est->frames_repaired;
	c[TC_DS_DROP_MALFORMED] = est->malformed;
	c[TC_DS_DROP_OOO] = est->ooo_dropped;
	c[TC_DS_DROP_HELD] = est->held_dropped;
	c[TC_DS_DROP_STALE] = est->stale_dropped;
	c[TC_DS_DROP_NO_BUFFER] = est->no_buffer;
	c[TC_DS_DROP_URGENT] = est->urgent_refused;
	c[TC_DS_DROP_LOST_KEYS] = est->resets_lost_keys;
}

void export_table_stats(struct flow_table *ft, struct tc_dstats *out)
{
	__u64 *c = out->ctr;

	memset(c, 0, sizeof(out->ctr));
#define LOAD(f) __atomic_load_n(&ft->st.f, __ATOMIC_RELAXED)
	c[TC_DS_TABLE_FULL] = LOAD(table_full);
	c[TC_DS_HALF_OPEN] = flow_half_open(ft);
	c[TC_DS_HALF_EVICTED] = LOAD(half_evicted);
	c[TC_DS_HALF_REFUSED] = LOAD(half_refused);
	c[TC_DS_ENO_RESETS] = LOAD(eno_resets);
	c[TC_DS_FLOWS_ACTIVE] = __atomic_load_n(&ft->count, __ATOMIC_RELAXED);
	c[TC_DS_EVICTED_DONE] = LOAD(evicted_done);
	c[TC_DS_DROP_MALFORMED] = LOAD(malformed);
	c[TC_DS_DROP_LOST_KEYS] = LOAD(lost_keys_dropped);
	c[TC_DS_DROP_BAD_CSUM] = LOAD(csum_bad);
	c[TC_DS_DROP_FRAGMENT] = LOAD(fragments);
	c[TC_DS_DROP_NON_TCP] = LOAD(non_tcp);
#undef LOAD
}

static void write_stats(struct export *ex)
{
	struct tc_dstats d = { .updated_ns = clock_ns(CLOCK_MONOTONIC), .pid = ex->pid,
			       .flags = ex->ft->engine ? TC_DSF_ENGINE : 0 };
	struct tc_engine_stats est;
	unsigned int i;

	for (i = 0; i < ex->npollers; i++) {
		const struct poller *p = &ex->pollers[i];

		flow_engine_stats_thread(ex->ft, p->thread, &est);
		export_queue_stats(&est, p->st.rx_pkts[XQ_WIRE], p->st.rx_pkts[XQ_HOST], &d);
		dp_dstats_put(ex->dp, p->q.qid, &d);
	}
	export_table_stats(ex->ft, &d);
	dp_dstats_put(ex->dp, TC_DSTATS_TABLE, &d);
}

/* ticks between sweeps that look at every entry, not only likely orphans */
#define EXPORT_FULL_SWEEP	60

enum sweep_mode {
	SWEEP_ORPHANS,	/* SWEEP_STALE for the entries that outlive their flow */
	SWEEP_STALE,	/* collect entries whose flow and socket are gone */
	SWEEP_ALL,	/* collect every entry */
	SWEEP_LOST,	/* mark a killed predecessor's sessions aborted */
};

struct sweep {
	struct export *ex;
	enum sweep_mode mode;
	struct tc_flow_key *keys;
	unsigned int n, cap;
};

static int sweep_one(const struct tc_flow_key *k, const struct tc_session *s, void *arg)
{
	struct sweep *sw = arg;
	struct tc_flow_val v;

	if (sw->mode == SWEEP_LOST) {
		if (s->state == TC_SESS_ENCRYPTED) {
			struct tc_session n = *s;

			n.state = TC_SESS_ABORTED;
			n.abort = TC_ABORT_LOST_KEYS;
			dp_session_put(sw->ex->dp, k, &n);
		}
		return 0;
	}
	/*
	 * An entry this daemon made for an encrypted connection goes with its
	 * flow (FLOW_SESS_REMOVED); what can outlive a flow is a fallback's
	 * (kept while its socket lives) and a killed predecessor's. Looking at
	 * every entry each second touched the flow of each closed connection
	 * in TIME_WAIT: a third of the daemon's CPU at 1000 connections/s.
	 */
	if (sw->mode == SWEEP_ORPHANS && s->state != TC_SESS_PLAIN &&
	    !(s->state == TC_SESS_ABORTED && s->abort == TC_ABORT_LOST_KEYS))
		return 0;
	/*
	 * Its flow is still ours (its entry goes with it: no system call), or
	 * in tc_flows, or its socket lives: keep it.
	 */
	if ((sw->mode == SWEEP_STALE || sw->mode == SWEEP_ORPHANS) &&
	    (flow_known(sw->ex->ft, k) || !dp_flow_lookup(sw->ex->dp, k, &v) ||
	     sw->ex->socket_exists(k) != 0))
		return 0;
	if (sw->n == sw->cap) {
		unsigned int c = sw->cap ? 2 * sw->cap : 64;
		struct tc_flow_key *a = realloc(sw->keys, c * sizeof(*a));

		if (!a)
			return -ENOMEM;
		sw->keys = a;
		sw->cap = c;
	}
	sw->keys[sw->n++] = *k;
	return 0;
}

/* Deleting while walking a hash map restarts the walk: collect, then delete. */
static void sweep(struct export *ex, enum sweep_mode mode)
{
	struct sweep sw = { .ex = ex, .mode = mode };
	unsigned int i;

	dp_session_iterate(ex->dp, sweep_one, &sw);
	for (i = 0; i < sw.n; i++)
		dp_session_del(ex->dp, &sw.keys[i]);
	free(sw.keys);
}

void export_tick(struct export *ex)
{
	if (!ex->dp)
		return;
	write_stats(ex);
	/* now and then every entry, for one whose deletion failed */
	sweep(ex, ++ex->ticks % EXPORT_FULL_SWEEP ? SWEEP_ORPHANS : SWEEP_STALE);
}

void export_start(struct export *ex, struct dp *dp, struct flow_table *ft,
		  const struct poller *pollers, unsigned int npollers)
{
	struct tc_dstats zero = {};
	__u32 i;

	memset(ex, 0, sizeof(*ex));
	ex->dp = dp;
	ex->ft = ft;
	ex->pollers = pollers;
	ex->npollers = npollers;
	ex->pid = getpid();
	ex->socket_exists = tcp_socket_exists;
	if (!dp)
		return;
	if (dp->maps.sessions < 0 || dp->maps.dstats < 0)
		pr_warn("%s: the attached BPF object has no tc_sessions/tc_dstats maps (older "
			"version): tcnetstat will show no sessions or counters until it is "
			"re-attached\n", dp->ifname);
	for (i = 0; i < TC_DSTATS_SLOTS; i++)
		dp_dstats_put(dp, i, &zero);
	sweep(ex, SWEEP_LOST);
	ft->session_changed = export_session_changed;
}

void export_stop(struct export *ex)
{
	if (!ex->dp)
		return;
	ex->ft->session_changed = NULL;
	write_stats(ex);
	sweep(ex, SWEEP_ALL);
	ex->dp = NULL;
}
