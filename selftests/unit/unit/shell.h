/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpcryptd's flow table (userspace/tcpcryptd/flow.c, compiled in) as the
 * tcpcryptd of the two hosts of sim.h: frames go through flow_packet(),
 * batches end with flow_flush(), timers run through flow_timers(). For
 * test_tcd_flow, test_session_export and fuzz_flow. Without a struct dp (no BPF): f->map_state
 * says what tc_flows would hold.
 */
#ifndef TC_TEST_SHELL_H
#define TC_TEST_SHELL_H

#include "tcpcryptd/flow.c"
#include "unit/sim.h"

/* ---- the flow table as the engine's shell ---- */

struct shell_emit {
	struct emit em;
	struct sim *s;
	int host;
};

struct shell {
	struct flow_table ft[2];
	struct tc_engine_cfg cfg;
	struct shell_emit em[2];
	struct tc_algs algs;
	struct tc_resume_cache rc;	/* o->resume: both hosts start from one chain */
	bool rc_on;
	unsigned int batches[2];
};

static struct shell *sh;
static int socket_answer = 1;	/* what the fake sock_diag says */
static int socket_state_override;	/* > 0: the fake's TCP state, whatever the model says */

static unsigned int socket_queries;	/* sock_diag questions asked */
/*
 * After every flow_packet(): a connection whose peer proved its address and
 * that may have keys must already have an entry that needs keys (BPF steers
 * its next segment, the kernel's answer among them, and drops it without
 * us). sh_unsteered counts the times one had not; sh_deferred the times its
 * ENCRYPTED update was still waiting for flow_sync(), as it may.
 */
static unsigned int sh_unsteered, sh_deferred;
static unsigned int sh_idled;	/* flows flow_idle() served */

/* The local socket's TCP state (Linux numbering), from the kernel model. */
static int fake_socket_state(const struct tc_flow_key *k)
{
	const struct ktcp *t;
	struct sim *s;
	int host;

	socket_queries++;
	if (!socket_answer || !sh)
		return 0;
	if (socket_state_override > 0)
		return socket_state_override;
	s = sh->em[0].s;
	host = !memcmp(k->local, s->h[1].k.v6 ? tf_ip6_b : tf_ip4_b, s->h[1].k.v6 ? 16 : 4);
	t = &s->h[host].k;
	if (t->reset)
		return 0;
	if (t->fin_sent && t->fin_acked)
		return t->fin_rcvd ? 6 : 5;	/* TIME_WAIT, FIN_WAIT2 */
	if (t->fin_sent)
		return t->fin_rcvd ? 11 : 4;	/* CLOSING, FIN_WAIT1 */
	if (t->est)
		return t->fin_rcvd ? 8 : 1;	/* CLOSE_WAIT, ESTABLISHED */
	return host ? 3 : 2;			/* SYN_RECV, SYN_SENT */
}

static uint8_t *sh_get(struct emit *em, enum xq_side to, uint32_t len)
{
	return sim_out_get(NULL, (enum tc_side)to, len);
}

static void sh_put(struct emit *em, enum xq_side to, uint8_t *buf, uint32_t len)
{
	struct shell_emit *e = (struct shell_emit *)em;
	struct sim_out_arg a = { .s = e->s, .host = e->host };

	sim_out_put(&a, (enum tc_side)to, buf, len);
}

static struct flow *sh_flow(struct sim *s, int host);

static void sh_check_steered(struct sim *s, int host)
{
	struct flow *f = sh_flow(s, host);
	enum tc_conn_state st;

	if (!f || !f->conn || !tc_conn_proven(f->conn))
		return;
	st = tc_conn_state(f->conn);
	if (st == TC_CONN_PLAIN || (st == TC_CONN_ABORTED && f->map_state == FLOW_MAP_NONE))
		return;
	if (!tc_flow_needs_keys(f->map_state))
		sh_unsteered++;
	else if (st == TC_CONN_ENCRYPTED && f->map_state != TC_FLOW_ENCRYPTED)
		sh_deferred++;
}

static int sh_via(struct sim *s, int host, bool wire, uint8_t *data, uint32_t len)
{
	enum flow_verdict v;
	struct tc_seg g;

	if (s->pieces && !wire && tc_seg_parse(data, len, &g) == TC_SEG_TCP &&
	    g.payload_len && !(g.flags & (TC_TH_SYN | TC_TH_RST | TC_TH_URG))) {
		/* as the poller hands over a multi-buffer frame: headers alone,
		 * each piece of the payload in a buffer of its own */
		struct tc_iov pv[17];
		uint8_t *bufs[17], *hdr = malloc(g.payload_off);
		uint32_t n = 0, i;

		memcpy(hdr, data, g.payload_off);
		sim_split_payload(s, data, &g, pv, bufs, &n);
		s->pieces_fed++;
		v = flow_packet_pieces(&sh->ft[host], XQ_HOST, 0, hdr, len, pv, n, s->now,
				       &sh->em[host].em);
		for (i = 0; i < n; i++)
			free(bufs[i]);
		free(hdr);
	} else {
		v = flow_packet(&sh->ft[host], wire ? XQ_WIRE : XQ_HOST, 0, data, len, s->now,
				&sh->em[host].em);
	}
	sh_check_steered(s, host);
	return v == FV_FORWARD ? TC_CONN_FORWARD : v == FV_DROP ? -EINVAL : 0;
}

static void sh_batch(struct sim *s, int host)
{
	flow_flush(&sh->ft[host], &sh->em[host].em);
	if (flow_next_timer(&sh->ft[host]) <= s->now)
		flow_timers(&sh->ft[host], s->now, &sh->em[host].em);
	flow_sync(&sh->ft[host], s->now, true);
	/* idle after every other batch: work left for it also runs when a
	 * segment needs it first */
	if (!s->idle_never && (++sh->batches[host] & 1))
		sh_idled += flow_idle(&sh->ft[host], s->now, &sh->em[host].em);
}

static uint64_t sh_timer(struct sim *s, int host)
{
	return flow_next_timer(&sh->ft[host]);
}

/* The flow of host's connection (host's view: its address and port first). */
static struct flow *sh_flow(struct sim *s, int host)
{
	const struct ktcp *k = &s->h[host].k;
	struct tc_flow_key key = { .family = k->v6 ? AF_INET6 : AF_INET };
	const uint8_t *a = k->v6 ? tf_ip6_a : tf_ip4_a, *b = k->v6 ? tf_ip6_b : tf_ip4_b;
	uint32_t bk;

	memcpy(key.local, host ? b : a, k->v6 ? 16 : 4);
	memcpy(key.remote, host ? a : b, k->v6 ? 16 : 4);
	key.lport = htons(k->lport);
	key.rport = htons(k->rport);
	bk = key_hash(&key) & (sh->ft[host].nbuckets - 1);
	return *lookup(&sh->ft[host], bk, &key);
}

static struct tc_conn *sh_conn(struct sim *s, int host)
{
	struct flow *f = sh_flow(s, host);

	return f ? f->conn : NULL;
}

static void sh_start(struct sim *s, const struct sim_opts *o)
{
	int i;

	sh = calloc(1, sizeof(*sh));
	if (tc_algs_init(&sh->algs))
		abort();
	sim_init(s, &sh->algs, o);
	if (o->resume) {
		static const uint8_t ss[TC_HASH_LEN] = { 0x5e };

		if (tc_resume_cache_init(&sh->rc, &sh->algs, 8) ||
		    sim_seed_resume(s, &sh->rc, ss, TC_AEAD_AES_128_GCM))
			abort();
		sh->rc_on = true;
	}
	sh->cfg = s->cfg;
	for (i = 0; i < 2; i++) {
		tc_conn_free(s->h[i].c);
		s->h[i].c = NULL;
		if (flow_table_init(&sh->ft[i], NULL, 1024, 2000, 600))
			abort();
		sh->ft[i].socket_state = fake_socket_state;
		if (o->engine[i])
			flow_table_set_engine(&sh->ft[i], &sh->cfg);
		sh->em[i] = (struct shell_emit){ .em = { .get = sh_get, .put = sh_put },
						 .s = s, .host = i };
	}
	s->via = sh_via;
	s->via_batch = sh_batch;
	s->via_timer = sh_timer;
	s->via_conn = sh_conn;
	socket_answer = 1;
	socket_state_override = 0;
	sh_unsteered = sh_deferred = sh_idled = 0;
}

static void sh_stop(struct sim *s)
{
	int i;

	for (i = 0; i < 2; i++)
		flow_table_fini(&sh->ft[i]);
	sim_free(s);
	if (sh->rc_on)
		tc_resume_cache_free(&sh->rc);
	tc_algs_free(&sh->algs);
	free(sh);
	sh = NULL;
}

#endif
