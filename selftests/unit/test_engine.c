// SPDX-License-Identifier: GPL-2.0
/*
 * The segment engine alone, in memory: two hosts joined by a scripted wire
 * (selftests/unit/unit/sim.h), each a kernel TCP model with or without an
 * engine in front. Transfers must arrive intact through loss, reordering,
 * duplication and re-segmentation; the invariants (no plaintext after ENO,
 * one byte per wire sequence number, no wrong byte delivered) are checked
 * on every frame.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "unit/algs_fixture.h"
#include "unit/sim.h"

/*
 * Run O to the end and check it: no violation, both streams intact and,
 * with two engines, encrypted with one session id. S stays for the
 * caller's own checks (sim_free() it).
 */
static void sim_case(void **state, struct sim_opts *o, const char *name, struct sim *s)
{
	sim_init(s, *state, o);
	sim_run(s, 600 * 1000 * SIM_MS);
	if (s->violations || !sim_streams_intact(s))
		print_message("# %s seed %llu: %s; A got %llu/%llu, B got %llu/%llu, "
			      "A %s, B %s, resets %d/%d\n", name,
			      (unsigned long long)o->seed, s->violations ? s->why : "incomplete",
			      (unsigned long long)s->h[0].k.rcv_nxt,
			      (unsigned long long)s->h[1].k.app_len,
			      (unsigned long long)s->h[1].k.rcv_nxt,
			      (unsigned long long)s->h[0].k.app_len,
			      s->h[0].c ? tc_conn_state_str(tc_conn_state(s->h[0].c)) : "-",
			      s->h[1].c ? tc_conn_state_str(tc_conn_state(s->h[1].c)) : "-",
			      s->h[0].k.reset, s->h[1].k.reset);
	assert_int_equal(s->violations, 0);
	assert_true(sim_streams_intact(s));
	if (o->engine[0] && o->engine[1]) {
		struct tc_session_info a, b;

		assert_int_equal(tc_conn_state(s->h[0].c), TC_CONN_ENCRYPTED);
		assert_int_equal(tc_conn_state(s->h[1].c), TC_CONN_ENCRYPTED);
		assert_int_equal(tc_conn_session(s->h[0].c, &a), 0);
		assert_int_equal(tc_conn_session(s->h[1].c, &b), 0);
		assert_memory_equal(a.session_id, b.session_id, TC_SESSID_LEN);
		assert_int_equal(a.role, TC_ENO_ROLE_A);
		assert_int_equal(b.role, TC_ENO_ROLE_B);
		/* over both ways: the keys are gone, the session stays listed */
		if (o->close[0] && o->close[1] && !s->h[0].k.reset && !s->h[1].k.reset) {
			assert_false(tc_conn_has_keys(s->h[0].c));
			assert_false(tc_conn_has_keys(s->h[1].c));
			/* and the shell may forget them when short of room */
			assert_true(tc_conn_done(s->h[0].c) && tc_conn_done(s->h[1].c));
		} else if (!o->close[0] && !o->close[1]) {
			assert_true(tc_conn_has_keys(s->h[0].c) || tc_conn_idle_due(s->h[0].c));
			assert_false(tc_conn_done(s->h[0].c) || tc_conn_done(s->h[1].c));
		}
	}
}

static void run_case(void **state, struct sim_opts *o, const char *name)
{
	struct sim s;

	sim_case(state, o, name, &s);
	sim_free(&s);
}

static void test_clean_transfer(void **state)
{
	struct sim_opts o = { .seed = 1, .engine = { true, true }, .len = { 200000, 150000 },
			      .close = { true, true } };

	run_case(state, &o, "clean v4");
	o.v6 = true;
	o.seed = 2;
	run_case(state, &o, "clean v6");
}

/* tc_engine_cfg.take_key: a pool hands out pairs; it may also have none. */
struct pool_hook {
	struct sim *s;
	int calls, give;
	uint8_t tep;
};

static int take_from_pool(void *arg, uint8_t tep, struct tc_ecdh *e)
{
	struct pool_hook *ph = arg;

	ph->calls++;
	ph->tep = tep;
	if (!ph->give)
		return -ENOENT;
	ph->give--;
	return tc_ecdh_generate(e, tep, &ph->s->cfg.rng);
}

static void test_key_pairs_from_a_pool(void **state)
{
	struct sim_opts o = { .seed = 31, .engine = { true, true }, .len = { 30000, 20000 },
			      .close = { true, true } };
	struct pool_hook ph;
	int give;

	/* both ends take one; then one end finds the pool empty: made on the spot */
	for (give = 2; give >= 1; give--) {
		struct sim s;

		sim_init(&s, *state, &o);
		ph = (struct pool_hook){ .s = &s, .give = give };
		s.cfg.take_key = take_from_pool;
		s.cfg.take_key_arg = &ph;
		sim_run(&s, 600 * 1000 * SIM_MS);
		assert_int_equal(s.violations, 0);
		assert_true(sim_streams_intact(&s));
		assert_int_equal(tc_conn_state(s.h[0].c), TC_CONN_ENCRYPTED);
		assert_int_equal(ph.calls, 2);
		assert_int_equal(ph.tep, TC_TEP_X25519);
		assert_int_equal(s.h[0].st.keys_pooled + s.h[1].st.keys_pooled, give);
		sim_free(&s);
	}
}

/*
 * Session resumption (RFC 8548 3.5) through one cache shared by both
 * hosts: each keys its chains by the other's address, so the two never
 * see each other's entries, as with two daemons.
 */
struct resumed_run {
	struct tc_session_info a, b;
	uint64_t offered, accepted, resumed;
};

static void resume_run(void **state, struct tc_resume_cache *rc, struct sim_opts *o,
		       const struct tc_conn_opts *opts_a, struct resumed_run *r)
{
	struct sim s;

	sim_init(&s, *state, o);
	s.cfg.resume = rc;
	if (opts_a)
		assert_int_equal(tc_conn_set_opts(s.h[0].c, opts_a), 0);
	sim_run(&s, 600 * 1000 * SIM_MS);
	assert_int_equal(s.violations, 0);
	assert_true(sim_streams_intact(&s));
	assert_int_equal(tc_conn_state(s.h[0].c), TC_CONN_ENCRYPTED);
	assert_int_equal(tc_conn_state(s.h[1].c), TC_CONN_ENCRYPTED);
	assert_int_equal(tc_conn_session(s.h[0].c, &r->a), 0);
	assert_int_equal(tc_conn_session(s.h[1].c, &r->b), 0);
	assert_memory_equal(r->a.session_id, r->b.session_id, TC_SESSID_LEN);
	assert_int_equal(r->a.resumed, r->b.resumed);
	assert_int_equal(r->a.tep, r->b.tep);
	assert_int_equal(r->a.session_id[0], r->a.tep);
	assert_int_equal(r->a.role, TC_ENO_ROLE_A);
	r->offered = s.h[0].st.resume_offered;
	r->accepted = s.h[1].st.resume_accepted;
	r->resumed = s.h[0].st.resumed + s.h[1].st.resumed;
	/* no Init message crossed a resumed session */
	if (r->a.resumed)
		assert_int_equal(s.h[0].st.init_resent + s.h[1].st.init_resent, 0);
	sim_free(&s);
}

/*
 * A resumed session's key schedule waits for a frame, the session asked
 * for, or an idle shell, and gives the same session either way: without a
 * byte sent, both ends are ENCRYPTED with no session yet and nothing back
 * in the cache; tc_conn_idle() then keys each, and ss[1] is cached at both
 * ends. Flushing the cache (TCP_CRYPT_CACHE_FLUSH) while the keys wait
 * keeps the chain from going back.
 */
/* Run s to the end: no violation, both streams intact, one resumed session. */
static void run_resumed(struct sim *s, struct tc_session_info *a, struct tc_session_info *b)
{
	sim_run(s, 600 * 1000 * SIM_MS);
	assert_int_equal(s->violations, 0);
	assert_true(sim_streams_intact(s));
	assert_int_equal(tc_conn_session(s->h[0].c, a), 0);
	assert_int_equal(tc_conn_session(s->h[1].c, b), 0);
	assert_true(a->resumed && b->resumed);
	assert_memory_equal(a->session_id, b->session_id, TC_SESSID_LEN);
}

/* step until both ends are ENCRYPTED (nothing to send: sim_run would stop) */
static void run_to_encrypted(struct sim *s)
{
	unsigned int n = 0;

	while ((tc_conn_state(s->h[0].c) != TC_CONN_ENCRYPTED ||
		tc_conn_state(s->h[1].c) != TC_CONN_ENCRYPTED) && n++ < 1000 && sim_step(s))
		;
}

static void test_resumed_keys_wait(void **state)
{
	static const uint8_t ss[TC_HASH_LEN] = { 0x77 };
	struct sim_opts o = { .seed = 43, .engine = { true, true } };
	struct tc_session_info a, b;
	struct tc_resume_cache rc;
	struct sim s;
	int i;

	assert_int_equal(tc_resume_cache_init(&rc, *state, 16), 0);
	sim_init(&s, *state, &o);
	s.idle_never = true;
	assert_int_equal(sim_seed_resume(&s, &rc, ss, TC_AEAD_AES_128_GCM), 0);
	run_to_encrypted(&s);
	assert_int_equal(s.violations, 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(tc_conn_state(s.h[i].c), TC_CONN_ENCRYPTED);
		assert_true(tc_conn_idle_due(s.h[i].c));
		assert_int_equal(tc_conn_session(s.h[i].c, &a), -ENOTCONN);
	}
	assert_int_equal(s.h[0].st.resumed + s.h[1].st.resumed, 2);
	assert_int_equal(tc_resume_count(&rc), 0);	/* both tickets out */
	tc_conn_idle(s.h[1].c, s.now, &s.h[1].out);
	assert_false(tc_conn_idle_due(s.h[1].c));
	assert_int_equal(tc_conn_session(s.h[1].c, &b), 0);
	tc_conn_idle(s.h[0].c, s.now, &s.h[0].out);
	assert_int_equal(tc_conn_session(s.h[0].c, &a), 0);
	assert_true(a.resumed && b.resumed);
	assert_memory_equal(a.session_id, b.session_id, TC_SESSID_LEN);
	assert_int_equal(tc_resume_count(&rc), 2);
	sim_free(&s);

	/* again from ss[1]: host 0 flushes while its keys wait */
	o.seed = 44;
	sim_init(&s, *state, &o);
	s.idle_never = true;
	s.cfg.resume = &rc;
	run_to_encrypted(&s);
	assert_true(tc_conn_idle_due(s.h[0].c) && tc_conn_idle_due(s.h[1].c));
	assert_int_equal(tc_conn_resume_flush(s.h[0].c), 1);
	tc_conn_idle(s.h[0].c, s.now, &s.h[0].out);
	tc_conn_idle(s.h[1].c, s.now, &s.h[1].out);
	assert_int_equal(tc_conn_session(s.h[0].c, &a), 0);
	assert_int_equal(tc_conn_session(s.h[1].c, &b), 0);
	assert_memory_equal(a.session_id, b.session_id, TC_SESSID_LEN);
	assert_int_equal(tc_resume_count(&rc), 1);	/* host 1's ss[2] only */
	sim_free(&s);
	tc_resume_cache_free(&rc);
}

/*
 * B's keys made before ENO's success list no session until it succeeds;
 * aborted then, B never had one, and its chain still goes back to the
 * cache at ss[i+1] as for any attempt that used its i.
 */
static void test_resumed_keys_early(void **state)
{
	static const uint8_t ss[TC_HASH_LEN] = { 0x79 };
	unsigned int abort_b;

	for (abort_b = 0; abort_b < 2; abort_b++) {
		struct sim_opts o = { .seed = 60 + abort_b, .engine = { true, true },
				      .len = { 20000, 20000 }, .close = { true, true } };
		struct tc_session_info a, b;
		struct tc_resume_cache rc;
		unsigned int n = 0;
		struct sim s;

		assert_int_equal(tc_resume_cache_init(&rc, *state, 16), 0);
		sim_init(&s, *state, &o);
		assert_int_equal(sim_seed_resume(&s, &rc, ss, TC_AEAD_AES_128_GCM), 0);
		while (!(tc_conn_has_keys(s.h[1].c) &&
			 tc_conn_state(s.h[1].c) == TC_CONN_NEGOTIATING) && n++ < 100 &&
		       sim_step(&s))
			;
		assert_true(tc_conn_has_keys(s.h[1].c));
		assert_int_equal(tc_conn_state(s.h[1].c), TC_CONN_NEGOTIATING);
		assert_int_equal(tc_conn_session(s.h[1].c, &b), -ENOTCONN);
		assert_int_equal(tc_resume_count(&rc), 0);	/* both tickets out */
		if (abort_b) {
			tc_conn_abort(s.h[1].c, TC_ABORT_LOCAL, NULL);
			assert_int_equal(tc_conn_session(s.h[1].c, &b), -EINVAL);
			assert_int_equal(tc_resume_count(&rc), 1);	/* B's, at ss[1] */
		} else {
			run_resumed(&s, &a, &b);
			assert_int_equal(s.h[1].st.keys_early, 1);
			assert_int_equal(tc_resume_count(&rc), 2);
		}
		sim_free(&s);
		tc_resume_cache_free(&rc);
	}
}

/*
 * Resumed sessions through a faulty wire with the keys made on demand only
 * and with an idle engine after each batch: the same bytes arrive, and the
 * idle B made its keys between its SYN-ACK and A's ACK (keys_early).
 */
static void test_resumed_idle_or_not(void **state)
{
	static const uint8_t ss[TC_HASH_LEN] = { 0x78 };
	unsigned int run, idled = 0;

	for (run = 0; run < 8; run++) {
		/* host 0 (A) silent in half the runs: its keys wait for B's data */
		struct sim_opts o = { .seed = 45 + run, .engine = { true, true },
				      .len = { run & 2 ? 0 : 30000, 20000 },
				      .close = { !(run & 2), true },
				      .loss = 30, .reorder = 30, .dup = 20, .split = 100 };
		struct tc_resume_cache rc;
		struct tc_session_info a, b;
		struct sim s;

		assert_int_equal(tc_resume_cache_init(&rc, *state, 16), 0);
		sim_init(&s, *state, &o);
		s.idle_never = run & 1;
		assert_int_equal(sim_seed_resume(&s, &rc, ss, TC_AEAD_AES_128_GCM), 0);
		run_resumed(&s, &a, &b);
		if (run & 1) {
			assert_int_equal(s.idled, 0);
			assert_int_equal(s.h[1].st.keys_early, 0);
			/* ss[2] goes back to the cache when idle, not before */
			assert_int_equal(tc_resume_count(&rc), 0);
			tc_conn_idle(s.h[0].c, s.now, &s.h[0].out);
			tc_conn_idle(s.h[1].c, s.now, &s.h[1].out);
			assert_int_equal(tc_resume_count(&rc), 2);
		} else {
			assert_int_equal(tc_resume_count(&rc), 2);
			/* B made its keys while it waited for A's ACK */
			assert_int_equal(s.h[1].st.keys_early, 1);
		}
		assert_int_equal(s.h[0].st.keys_early, 0);
		idled += s.idled;
		sim_free(&s);
		tc_resume_cache_free(&rc);
	}
	assert_true(idled > 0);
}

/*
 * A fresh exchange: B's Init2 leaves before its ECDH, which waits for an
 * idle engine or the first frame (keys_fresh). Without a byte sent, A has
 * its keys (it derived from that Init2) while B has none and lists no
 * session; tc_conn_idle() then derives the same session at B.
 */
/*
 * Nothing sent either way: only the engines acknowledge the Init messages
 * (A's ACK of Init2 waits for the batch's end, in case a frame of A's can
 * carry it), and neither message is ever resent.
 */
static void test_init_acked_when_silent(void **state)
{
	struct sim_opts o = { .seed = 3, .engine = { true, true } };
	unsigned int n = 0;
	struct sim s;

	sim_init(&s, *state, &o);
	run_to_encrypted(&s);
	/* then ten seconds of the engines' timers, nothing else */
	while (s.now < 10000 * SIM_MS && n++ < 1000 && sim_step(&s))
		;
	assert_int_equal(s.violations, 0);
	assert_int_equal(tc_conn_state(s.h[0].c), TC_CONN_ENCRYPTED);
	assert_int_equal(tc_conn_state(s.h[1].c), TC_CONN_ENCRYPTED);
	assert_int_equal(s.h[0].st.init_resent, 0);
	assert_int_equal(s.h[1].st.init_resent, 0);
	sim_free(&s);
}

static void test_fresh_keys_wait(void **state)
{
	struct sim_opts o = { .seed = 70, .engine = { true, true } };
	struct tc_session_info a, b;
	struct sim s;

	sim_init(&s, *state, &o);
	s.idle_never = true;
	run_to_encrypted(&s);
	assert_int_equal(s.violations, 0);
	assert_int_equal(tc_conn_state(s.h[1].c), TC_CONN_ENCRYPTED);
	assert_true(tc_conn_has_keys(s.h[0].c));
	assert_false(tc_conn_has_keys(s.h[1].c));
	assert_false(tc_conn_idle_due(s.h[0].c));
	assert_true(tc_conn_idle_due(s.h[1].c));
	assert_int_equal(tc_conn_session(s.h[0].c, &a), 0);
	assert_int_equal(tc_conn_session(s.h[1].c, &b), -ENOTCONN);
	assert_false(a.resumed);
	tc_conn_idle(s.h[1].c, s.now, &s.h[1].out);
	assert_true(tc_conn_has_keys(s.h[1].c));
	assert_false(tc_conn_idle_due(s.h[1].c));
	assert_int_equal(tc_conn_session(s.h[1].c, &b), 0);
	assert_memory_equal(a.session_id, b.session_id, TC_SESSID_LEN);
	assert_int_equal(s.h[1].st.keyx_idle, 1);
	assert_int_equal(s.h[0].st.keyx_idle, 0);
	sim_free(&s);
}

/*
 * Fresh exchanges through a faulty wire, B's ECDH at idle time or on the
 * first frame it seals or opens, A or B silent: the same bytes arrive and
 * the sessions agree either way.
 */
static void test_fresh_idle_or_not(void **state)
{
	unsigned int run;

	for (run = 0; run < 8; run++) {
		struct sim_opts o = { .seed = 80 + run, .engine = { true, true },
				      .len = { (run & 6) == 2 ? 0 : 30000, run & 4 ? 0 : 20000 },
				      .close = { (run & 6) != 2, !(run & 4) },
				      .loss = 30, .reorder = 30, .dup = 20, .split = 100 };
		struct tc_session_info a, b;
		struct sim s;

		sim_init(&s, *state, &o);
		s.idle_never = run & 1;
		sim_run(&s, 600 * 1000 * SIM_MS);
		assert_int_equal(s.violations, 0);
		assert_true(sim_streams_intact(&s));
		assert_int_equal(tc_conn_session(s.h[0].c, &a), 0);
		assert_int_equal(tc_conn_session(s.h[1].c, &b), 0);
		assert_false(a.resumed || b.resumed);
		assert_memory_equal(a.session_id, b.session_id, TC_SESSID_LEN);
		/* a silent B derives at idle time; one with data to seal or a
		 * FIN to send may need its keys first */
		if (run & 1)
			assert_int_equal(s.h[1].st.keyx_idle, 0);
		else if (run & 4)
			assert_int_equal(s.h[1].st.keyx_idle, 1);
		else
			assert_in_range(s.h[1].st.keyx_idle, 0, 1);
		assert_int_equal(s.h[0].st.keyx_idle, 0);
		sim_free(&s);
	}
}

static void test_resumed_sessions(void **state)
{
	struct sim_opts o = { .seed = 41, .engine = { true, true }, .len = { 40000, 30000 },
			      .close = { true, true } };
	struct tc_conn_opts ignore = { .resume_flags = TC_RESUME_F_IGNORE };
	/* B keys its chain by A's address and the service's port (5201) */
	static const uint8_t b_cache_key[6] = { 192, 0, 2, 1, 5201 >> 8, 5201 & 0xff };
	struct tc_resume_cache rc;
	struct resumed_run r[6];
	int i, j;

	assert_int_equal(tc_resume_cache_init(&rc, *state, 16), 0);
	/* the first session is fresh; each host caches ss[1] of it */
	resume_run(state, &rc, &o, NULL, &r[0]);
	assert_false(r[0].a.resumed);
	assert_int_equal(r[0].a.tep, TC_TEP_X25519);
	assert_int_equal(r[0].offered, 0);
	assert_int_equal(tc_resume_count(&rc), 2);
	/* the next ones resume the chain: v = 1, no Init, new keys each time */
	resume_run(state, &rc, &o, NULL, &r[1]);
	o.seed = 42;
	o.loss = 30;
	o.reorder = 30;
	o.dup = 20;
	o.split = 100;
	resume_run(state, &rc, &o, NULL, &r[2]);
	for (i = 1; i <= 2; i++) {
		assert_true(r[i].a.resumed);
		assert_int_equal(r[i].a.tep, TC_TEP_X25519 | TC_ENO_V);
		assert_int_equal(r[i].a.aead, r[0].a.aead);
		assert_int_equal(r[i].offered, 1);
		assert_int_equal(r[i].accepted, 1);
		assert_int_equal(r[i].resumed, 2);
	}
	assert_int_equal(tc_resume_count(&rc), 2);
	/* the application's control: a fresh exchange, not a proposal */
	o.loss = o.reorder = o.dup = o.split = 0;
	o.seed = 43;
	resume_run(state, &rc, &o, &ignore, &r[3]);
	assert_false(r[3].a.resumed);
	assert_int_equal(r[3].offered, 0);
	/* B lost its cache (a restart): it declines, a fresh exchange follows */
	assert_true(tc_resume_flush_peer(&rc, b_cache_key, sizeof(b_cache_key)) > 0);
	resume_run(state, &rc, &o, NULL, &r[4]);
	assert_false(r[4].a.resumed);
	assert_int_equal(r[4].offered, 1);
	assert_int_equal(r[4].accepted, 0);
	/* and from that fresh session on, resumption works again */
	resume_run(state, &rc, &o, NULL, &r[5]);
	assert_true(r[5].a.resumed);
	for (i = 0; i < 6; i++)
		for (j = i + 1; j < 6; j++)
			assert_memory_not_equal(r[i].a.session_id, r[j].a.session_id,
						TC_SESSID_LEN);
	tc_resume_cache_free(&rc);
}

/* A chain both hosts hold: the first connection resumes, IPv6 too, with the
 * cached AEAD; frames start at offset 0 both ways. */
static void test_resumed_from_a_seeded_chain(void **state)
{
	struct sim_opts o = { .seed = 51, .engine = { true, true }, .len = { 70000, 50000 },
			      .close = { true, true }, .v6 = true, .loss = 20, .reorder = 20 };
	static const uint8_t ss[TC_HASH_LEN] = { 1, 2, 3 };
	struct tc_session_info a, b;
	struct tc_resume_cache rc;
	struct sim s;

	assert_int_equal(tc_resume_cache_init(&rc, *state, 16), 0);
	sim_init(&s, *state, &o);
	assert_int_equal(sim_seed_resume(&s, &rc, ss, TC_AEAD_CHACHA20_POLY1305), 0);
	run_resumed(&s, &a, &b);
	assert_int_equal(a.aead, TC_AEAD_CHACHA20_POLY1305);
	assert_int_equal(a.session_id[0], TC_TEP_X25519 | TC_ENO_V);
	/* ss[1] replaced ss[0] at both ends */
	assert_int_equal(tc_resume_count(&rc), 2);
	sim_free(&s);
	/* B holds another secret under the same key: A's half names nothing
	 * B has, B declines, a fresh exchange follows */
	sim_init(&s, *state, &o);
	s.cfg.resume = &rc;
	tc_resume_flush_all(&rc);
	assert_int_equal(sim_seed_resume(&s, &rc, ss, TC_AEAD_AES_128_GCM), 0);
	{
		/* host 1 (B) holds a different secret under the same key */
		static const uint8_t other[TC_HASH_LEN] = { 9 };
		uint8_t key[18];

		memcpy(key, tf_ip6_a, 16);
		tf_put16(key + 16, 5201);
		assert_int_equal(tc_resume_flush_peer(&rc, key, sizeof(key)), 1);
		assert_int_equal(tc_resume_put(&rc, key, sizeof(key), TC_TEP_X25519,
					       TC_AEAD_AES_128_GCM, TC_ROLE_B, other, 0, 0, 0,
					       NULL), 0);
	}
	sim_run(&s, 600 * 1000 * SIM_MS);
	assert_int_equal(s.violations, 0);
	assert_true(sim_streams_intact(&s));
	assert_int_equal(tc_conn_session(s.h[0].c, &a), 0);
	assert_false(a.resumed);
	assert_int_equal(tc_conn_state(s.h[1].c), TC_CONN_ENCRYPTED);
	assert_int_equal(s.h[0].st.resume_offered, 1);
	assert_int_equal(s.h[1].st.resume_accepted, 0);
	sim_free(&s);
	tc_resume_cache_free(&rc);
}

static void test_small_and_empty(void **state)
{
	struct sim_opts o = { .seed = 3, .engine = { true, true }, .len = { 1, 0 },
			      .close = { true, true } };

	run_case(state, &o, "1 byte, nothing back");
	o.len[0] = 0;
	o.len[1] = 5;
	run_case(state, &o, "server speaks first");
	o.len[1] = 0;
	run_case(state, &o, "no data at all");
}

/* Loss, reordering, duplication and re-segmentation, many fixed seeds. */
static void test_faulty_wire(void **state)
{
	static const struct { int loss, reorder, dup, split; } mix[] = {
		{ 10, 0, 0, 0 }, { 50, 0, 0, 0 }, { 0, 150, 0, 0 }, { 0, 0, 80, 0 },
		{ 0, 0, 0, 400 }, { 20, 100, 30, 200 }, { 50, 50, 50, 50 },
	};
	unsigned int i, seed;

	for (i = 0; i < sizeof(mix) / sizeof(mix[0]); i++) {
		for (seed = 1; seed <= 6; seed++) {
			struct sim_opts o = {
				.seed = seed * 100 + i, .v6 = seed & 1,
				.engine = { true, true }, .len = { 150000 + seed * 1009, 70000 },
				.close = { true, true }, .loss = mix[i].loss,
				.reorder = mix[i].reorder, .dup = mix[i].dup,
				.split = mix[i].split,
			};
			char name[64];

			snprintf(name, sizeof(name), "faults %u", i);
			run_case(state, &o, name);
		}
	}
}

/* Without timestamps or SACK, and with a tiny MSS: frames span segments. */
static void test_options_and_tiny_mss(void **state)
{
	struct sim_opts o = { .seed = 11, .engine = { true, true }, .len = { 50000, 30000 },
			      .close = { true, true }, .no_ts = true, .no_sack = true,
			      .loss = 20 };

	run_case(state, &o, "no ts, no sack");
	o.no_ts = false;
	o.mss = 100;		/* 80 bytes of payload per frame: many frames */
	o.seed = 12;
	run_case(state, &o, "mss 100");
	o.mss = 60;		/* smaller than a frame: every frame spans segments */
	o.seed = 13;
	o.split = 200;
	run_case(state, &o, "mss 60");
}

/* A flipped ciphertext bit: the receiver aborts, no wrong byte delivered. */
static void test_tampered_frame_aborts(void **state)
{
	int dir, nth;

	for (dir = 0; dir < 2; dir++) {
		for (nth = 1; nth <= 9; nth += 4) {
			struct sim_opts o = { .seed = 20 + nth, .engine = { true, true },
					      .len = { 100000, 100000 }, .close = { true, true } };
			struct sim s;

			sim_init(&s, *state, &o);
			s.tamper_dir = dir;
			s.tamper_nth = nth;
			sim_run(&s, 60 * 1000 * SIM_MS);
			/* let the resets reach both kernels */
			while (!(s.h[0].k.reset && s.h[1].k.reset) && s.now < 60000 * SIM_MS &&
			       sim_step(&s))
				;
			assert_true(s.tampered);
			assert_int_equal(s.violations, 0);
			assert_true(sim_no_corruption(&s));
			/*
			 * The receiver of the bad frame resets both sides. A flipped
			 * bit in an Init message gives the two ends different keys:
			 * then it is the first frame after it that fails.
			 */
			assert_true(tc_conn_state(s.h[0].c) == TC_CONN_ABORTED ||
				    tc_conn_state(s.h[1].c) == TC_CONN_ABORTED);
			assert_true(s.h[0].st.tag_failures + s.h[1].st.tag_failures +
				    s.h[0].st.malformed + s.h[1].st.malformed >= 1);
			assert_true(s.h[0].k.reset && s.h[1].k.reset);
			sim_free(&s);
		}
	}
}

/*
 * Lose A's NTH payload frame once, with a kernel that never fast-retransmits
 * (so only the engine can fill the hole before the kernel's timeout); run
 * to the end and check what every head-loss case must hold: the stream
 * intact, the engine repaired, the kernel never timed out.
 */
static void head_loss_run(struct sim *s, void **state, const struct sim_opts *o, int nth)
{
	sim_init(s, *state, o);
	s->h[0].k.no_frexmit = true;
	s->drop_dir = 0;
	s->drop_nth = nth;
	sim_run(s, 600 * 1000 * SIM_MS);
	assert_true(s->dropped);
	assert_int_equal(s->violations, 0);
	assert_true(sim_streams_intact(s));
	assert_true(s->h[0].st.frames_repaired >= 1);
	assert_int_equal(s->h[0].k.rexmits, 0);
}

/*
 * The frame at the head of the stream is lost and the kernel leaves it to
 * its RTO (as Linux may when its SACK scoreboard and our in-order receiver
 * disagree): the sender's engine resends it from its copy once a later
 * frame is SACKed and a round trip has passed, long before the kernel's
 * 200 ms. The receiver answers the out-of-order frames of one batch with
 * one ACK, not one each.
 */
static void test_head_loss_repaired_by_engine(void **state)
{
	int nth;

	for (nth = 3; nth <= 12; nth += 3) {
		struct sim_opts o = { .seed = 40 + nth, .engine = { true, true },
				      .len = { 300000, 0 }, .close = { true, true } };
		struct sim s;

		head_loss_run(&s, state, &o, nth);
		/* the kernel never had to time out: the engine filled the hole */
		assert_true(s.now < s.h[0].k.rto);
		/* out-of-order frames came in batches: far fewer ACKs than frames */
		assert_true(s.h[1].st.ooo_segments >= 2);
		assert_true(s.h[1].wire_tx < s.h[1].st.ooo_segments);
		sim_free(&s);
	}
}

/*
 * The head of a burst lost, and nothing sent after the burst (it is all
 * the data, so the window never opens): every frame went out at the same
 * time, and RACK's tie-break by stream position (RFC 8985 6.2) still finds
 * the head lost before the kernel's timeout.
 */
static void test_burst_head_loss_repaired_by_engine(void **state)
{
	int nth;

	for (nth = 2; nth <= 4; nth++) {
		struct sim_opts o = { .seed = 50 + nth, .engine = { true, true },
				      .len = { 30000, 0 }, .close = { false, false } };
		struct sim s;

		head_loss_run(&s, state, &o, nth);
		sim_free(&s);
	}
}

/*
 * tc_out.wire_csum_partial: every data segment to the wire leaves with the
 * pseudo-header sum only (GSO completes it), retransmissions included, and
 * everything else complete; the stream is the same.
 */
static void test_wire_checksums_left_partial(void **state)
{
	struct sim_opts o = { .seed = 77, .engine = { true, true }, .len = { 200000, 100000 },
			      .close = { true, true }, .loss = 20, .csum_partial = true };
	struct sim s;

	sim_init(&s, *state, &o);
	sim_run(&s, 600 * 1000 * SIM_MS);
	assert_int_equal(s.violations, 0);
	assert_true(sim_streams_intact(&s));
	assert_true(s.partial_seen > 200000 / 1500);
	assert_true(s.h[0].st.frames_sealed > 0 && s.h[1].st.frames_opened > 0);
	sim_free(&s);
}

/*
 * tc_out.wire_gso_max: kernels sending 60 KB super-packets get super-segments
 * back (whole segments across frame boundaries, the segment size in the
 * urgent pointer field), handed over from the engine's copy (put_super) or,
 * when that is refused, in a buffer, which the channel cuts as GSO does; under loss,
 * reordering, duplication and re-segmentation the streams arrive intact,
 * both ways, IPv4 and IPv6. Without wire_gso_max nothing is left uncut.
 */
static void test_wire_super_segments(void **state)
{
	int v6, gso;

	for (v6 = 0; v6 < 2; v6++) {
		for (gso = 0; gso < 2; gso++) {
			struct sim_opts o = {
				.seed = 91 + v6, .v6 = v6, .engine = { true, true },
				.len = { 3000000, 700000 }, .close = { true, true },
				.loss = 10, .reorder = 20, .dup = 10, .split = 20,
				.csum_partial = true, .tso = true, .wire_gso = gso ? 65000 : 0,
			};
			struct sim s;

			sim_case(state, &o, "super-segments", &s);
			assert_true(s.h[0].st.frames_sealed > 0 && s.h[1].st.frames_opened > 0);
			if (gso) {
				/* several segments per super-segment on average */
				assert_true(s.supers_cut > 3000000 / 65000);
				assert_true(s.segs_cut > 3 * s.supers_cut);
				/* most straight from the engine's copy (put_super),
				 * the refused ones through get() and put() */
				assert_true(s.supers_by_ref > 0 && s.supers_by_ref < s.supers_cut);
			} else {
				assert_int_equal(s.supers_cut, 0);
			}
			sim_free(&s);
		}
	}
}

/*
 * tc_seg.pv: local data segments whose payload comes in pieces (headers in
 * a buffer of their own, each piece in another, as from a multi-buffer
 * AF_XDP frame) seal to the same streams, with super-packets and without,
 * under loss and reordering, and through the key exchange (data held before
 * keys). A payload in pieces from the wire, or on a SYN, is refused.
 */
static void test_host_payload_in_pieces(void **state)
{
	int tso;

	for (tso = 0; tso < 2; tso++) {
		struct sim_opts o = {
			.seed = 95 + tso, .engine = { true, true }, .len = { 900000, 400000 },
			.close = { true, true }, .loss = 10, .reorder = 20, .pieces = true,
			.csum_partial = true, .tso = tso, .wire_gso = tso ? 65000 : 0,
		};
		struct sim s;

		sim_case(state, &o, "pieces", &s);
		assert_true(s.pieces_fed > (tso ? 15u : 100u));
		assert_true(s.h[0].st.frames_sealed > 0 && s.h[1].st.frames_opened > 0);
		sim_free(&s);
	}
	{
		struct tc_engine_stats st = { 0 };
		struct tc_engine_cfg cfg;
		struct tc_conn *c;
		struct tc_iov v = { (const uint8_t *)"x", 1 };
		uint8_t f[128];
		struct tc_seg g;
		struct tf t = { .src = tf_ip4_a, .dst = tf_ip4_b, .sport = 1, .dport = 2,
				.flags = TC_TH_SYN, .payload = (const uint8_t *)"x", .plen = 1 };
		struct tc_out out = { 0 };
		uint32_t len;

		tc_engine_cfg_default(&cfg);
		cfg.algs = *state;
		c = tc_conn_new(&cfg, &st);
		assert_non_null(c);
		len = tf_build(f, &t);
		assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
		g.pv = &v;
		g.npv = 1;
		assert_int_equal(tc_conn_input(c, TC_SIDE_HOST, f, &g, 0, &out), -EINVAL);
		t.flags = TC_TH_ACK;
		len = tf_build(f, &t);
		assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
		g.pv = &v;
		g.npv = 1;
		assert_int_equal(tc_conn_input(c, TC_SIDE_WIRE, f, &g, 0, &out), -EINVAL);
		tc_conn_free(c);
	}
}

/* One host without tcpcryptd, either side opening: plain TCP, unperturbed. */
static void test_plain_peer_fallback(void **state)
{
	int side;

	for (side = 0; side < 2; side++) {
		struct sim_opts o = { .seed = 30 + side, .len = { 80000, 60000 },
				      .close = { true, true }, .loss = 10 };
		struct sim s;

		o.engine[side] = true;
		sim_init(&s, *state, &o);
		sim_run(&s, 600 * 1000 * SIM_MS);
		assert_int_equal(s.violations, 0);
		assert_true(sim_streams_intact(&s));
		assert_int_equal(tc_conn_state(s.h[side].c), TC_CONN_PLAIN);
		assert_int_equal(s.h[side].st.eno_fallback, 1);
		assert_int_equal(s.h[side].st.eno_offered, side == 0);
		assert_int_equal(s.h[side].st.frames_sealed, 0);
		sim_free(&s);
	}
}

/* A connection whose keys died with an earlier daemon: reset, never plaintext. */
static void test_lost_keys_reset(void **state)
{
	struct sim_opts o = { .seed = 40, .engine = { true, true }, .len = { 300000, 0 },
			      .close = { true, true } };
	struct sim s;

	sim_init(&s, *state, &o);
	/* run until data flows, then replace A's engine by a restarted one */
	while (s.h[1].k.rcv_nxt < 20000 && !s.violations)
		sim_run(&s, s.now + SIM_MS);
	assert_int_equal(tc_conn_state(s.h[0].c), TC_CONN_ENCRYPTED);
	tc_conn_free(s.h[0].c);
	s.h[0].c = tc_conn_new_lost(&s.cfg, &s.h[0].st);
	while (!(s.h[0].k.reset && s.h[1].k.reset) && s.now < 60000 * SIM_MS && sim_step(&s))
		;
	assert_int_equal(s.violations, 0);
	assert_true(sim_no_corruption(&s));
	assert_true(s.h[0].k.reset && s.h[1].k.reset);
	assert_true(s.h[0].st.resets_lost_keys > 0);
	sim_free(&s);
}

/* Per-connection settings: disabled, mandatory encryption, a TEP choice. */
static void test_connection_options(void **state)
{
	struct sim_opts o = { .seed = 70, .engine = { true, true }, .len = { 3000, 3000 },
			      .close = { true, true } };
	struct tc_conn_opts off = { .disabled = true };
	struct tc_conn_opts must = { .tep_mandatory = true };
	struct tc_conn_opts p256 = { .teps = { 0x21 }, .n_teps = 1,
				     .aeads = { TC_AEAD_CHACHA20_POLY1305 }, .n_aeads = 1 };
	struct tc_session_info a, b;
	struct sim s;

	/* TCP_ENO_ENABLED = 0 on the client: plain, both ways intact */
	sim_init(&s, *state, &o);
	assert_int_equal(tc_conn_set_opts(s.h[0].c, &off), 0);
	sim_run(&s, 60 * 1000 * SIM_MS);
	assert_true(sim_streams_intact(&s));
	assert_int_equal(tc_conn_state(s.h[0].c), TC_CONN_PLAIN);
	assert_int_equal(tc_conn_state(s.h[1].c), TC_CONN_PLAIN);
	sim_free(&s);

	/* a server that disables it, a client that requires it: reset, no data */
	sim_init(&s, *state, &o);
	assert_int_equal(tc_conn_set_opts(s.h[1].c, &off), 0);
	assert_int_equal(tc_conn_set_opts(s.h[0].c, &must), 0);
	while (!s.h[0].k.reset && s.now < 10000 * SIM_MS && sim_step(&s))
		;
	assert_true(s.h[0].k.reset);
	assert_int_equal(s.h[1].k.rcv_nxt, 0);
	assert_int_equal(tc_conn_abort_reason(s.h[0].c), TC_ABORT_TEP_MANDATORY);
	sim_free(&s);

	/* the client offers only P-256 and ChaCha20-Poly1305: they are chosen */
	sim_init(&s, *state, &o);
	assert_int_equal(tc_conn_set_opts(s.h[0].c, &p256), 0);
	sim_run(&s, 60 * 1000 * SIM_MS);
	assert_true(sim_streams_intact(&s));
	assert_int_equal(tc_conn_session(s.h[0].c, &a), 0);
	assert_int_equal(tc_conn_session(s.h[1].c, &b), 0);
	assert_int_equal(a.tep, 0x21);
	assert_int_equal(a.aead, TC_AEAD_CHACHA20_POLY1305);
	assert_memory_equal(a.session_id, b.session_id, TC_SESSID_LEN);
	assert_int_equal(a.session_id[0], 0x21);
	/* too late once the SYN went out */
	assert_int_equal(tc_conn_set_opts(s.h[0].c, &p256), -EISCONN);
	sim_free(&s);
}

/* Rekeying every few kilobytes, both ways, on a lossy wire (RFC 8548 3.8). */
static void test_rekeying(void **state)
{
	struct sim_opts o = { .seed = 80, .engine = { true, true }, .len = { 150000, 120000 },
			      .close = { true, true }, .loss = 20, .reorder = 50 };
	struct sim s;

	sim_init(&s, *state, &o);
	s.cfg.rekey_bytes = 6000;
	sim_run(&s, 600 * 1000 * SIM_MS);
	assert_int_equal(s.violations, 0);
	assert_true(sim_streams_intact(&s));
	/* both started generations, and each saw the other's */
	assert_true(s.h[0].st.rekeys_started > 5 && s.h[1].st.rekeys_started > 5);
	assert_true(s.h[0].st.rekeys > 5 && s.h[1].st.rekeys > 5);
	sim_free(&s);
}

/* ---- single frames against one engine, captured ---- */

struct cap {
	uint8_t f[8][SIM_FRAME_MAX];
	uint32_t len[8];
	enum tc_side to[8];
	int n;
};

static uint8_t *cap_get(void *arg, enum tc_side to, uint32_t len)
{
	return malloc(SIM_FRAME_MAX);
}

static void cap_put(void *arg, enum tc_side to, uint8_t *buf, uint32_t len)
{
	struct cap *c = arg;

	if (len && c->n < 8) {
		memcpy(c->f[c->n], buf, len);
		c->len[c->n] = len;
		c->to[c->n++] = to;
	}
	free(buf);
}

static int feed(struct tc_conn *c, enum tc_side from, const struct tf *t, struct cap *cap)
{
	static uint8_t f[SIM_FRAME_MAX];
	struct tc_out out = { .get = cap_get, .put = cap_put, .arg = cap };
	struct tc_seg g;
	uint32_t len = tf_build(f, t);

	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	return tc_conn_input(c, from, f, &g, 0, &out);
}

static bool has_eno(const uint8_t *f, uint32_t len)
{
	struct tc_tcpopt o;
	struct tc_seg g;

	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	tc_tcpopt_parse(f + g.l4_off + 20, g.thl - 20, &o);
	return o.has_eno;
}

static const uint8_t syn_opts[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
				      1, 3, 3, 7 };

/*
 * RFC 8547 4.7: no ENO on a SYN with data or a Fast Open option (the local
 * kernel's TFO); RFC 8548 8: none without a seeded generator.
 */
static void test_no_eno_on_syn_data_tfo_or_unseeded_rng(void **state)
{
	static const uint8_t tfo[24] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
					 34, 6, 1, 2, 3, 4, 1, 1 };
	struct tc_engine_cfg cfg;
	struct tc_engine_stats st = { 0 };
	struct tf t = { .sport = 40000, .dport = 5201, .seq = 1000, .flags = TC_TH_SYN,
			.win = 65535, .opts = syn_opts, .optlen = 20 };
	struct tc_conn *c;
	struct cap cap;
	int i;

	tc_engine_cfg_default(&cfg);
	cfg.algs = *state;
	cfg.rng_ready = true;
	for (i = 0; i < 4; i++) {
		memset(&cap, 0, sizeof(cap));
		t.plen = i == 0 ? 0 : i == 1 ? 100 : 0;	/* 1: SYN data */
		t.opts = i == 2 ? tfo : syn_opts;		/* 2: a TFO cookie */
		t.optlen = i == 2 ? 24 : 20;
		cfg.rng_ready = i != 3;				/* 3: RNG not seeded */
		c = tc_conn_new(&cfg, &st);
		if (i == 0) {
			/* the control: a plain SYN gets ENO */
			assert_int_equal(feed(c, TC_SIDE_HOST, &t, &cap), 0);
			assert_int_equal(cap.n, 1);
			assert_true(has_eno(cap.f[0], cap.len[0]));
		} else {
			/* plain TCP: the SYN goes on as it is, without ENO */
			assert_int_equal(feed(c, TC_SIDE_HOST, &t, &cap), TC_CONN_FORWARD);
			assert_int_equal(tc_conn_state(c), TC_CONN_PLAIN);
		}
		tc_conn_free(c);
	}
}

/*
 * RFC 8547 4.7: SYN data under ENO is discarded and only the ISN
 * acknowledged: the local kernel gets the SYN without its payload, and a
 * Fast Open option, and with the MSS clamped by the frame overhead.
 */
static void test_syn_data_discarded_for_the_kernel(void **state)
{
	struct tc_engine_cfg cfg;
	struct tc_engine_stats st = { 0 };
	uint8_t opts[24] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
			     69, 3, 0x23, 1, 1, 1, 1, 1 };
	struct tf t = { .sport = 40000, .dport = 5201, .seq = 7, .flags = TC_TH_SYN,
			.win = 65535, .opts = opts, .optlen = 24, .plen = 300 };
	struct tc_tcpopt o;
	struct tc_conn *c;
	struct tc_seg g;
	struct cap cap = { 0 };

	tc_engine_cfg_default(&cfg);
	cfg.algs = *state;
	cfg.rng_ready = true;
	c = tc_conn_new(&cfg, &st);
	assert_int_equal(feed(c, TC_SIDE_WIRE, &t, &cap), 0);
	assert_int_equal(cap.n, 1);
	assert_int_equal(cap.to[0], TC_SIDE_HOST);
	assert_int_equal(tc_seg_parse(cap.f[0], cap.len[0], &g), TC_SEG_TCP);
	assert_int_equal(g.payload_len, 0);
	tc_tcpopt_parse(cap.f[0] + g.l4_off + 20, g.thl - 20, &o);
	assert_false(o.has_eno);
	assert_int_equal(o.mss, 1460 - TC_FRAME_OVERHEAD);
	assert_int_equal(tc_conn_state(c), TC_CONN_NEGOTIATING);
	tc_conn_free(c);
}

/* Urgent data is refused with a reset, never delivered differently. */
static void test_urgent_refused(void **state)
{
	struct sim_opts o = { .seed = 90, .engine = { true, true }, .len = { 50000, 0 } };
	uint8_t f[SIM_FRAME_MAX];
	struct tc_seg g;
	struct sim s;
	uint32_t len;

	sim_init(&s, *state, &o);
	while (s.h[1].k.rcv_nxt < 10000 && sim_step(&s))
		;
	/* A's kernel sends a segment with URG */
	{
		struct tf t = { .sport = 40000, .dport = 5201,
				.seq = s.h[0].k.isn + 1 + (uint32_t)s.h[0].k.snd_nxt,
				.ack = s.h[0].k.irs + 1, .flags = TC_TH_ACK | TC_TH_URG,
				.win = 100, .urg = 1, .plen = 10 };

		len = tf_build(f, &t);
	}
	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	assert_int_equal(tc_conn_input(s.h[0].c, TC_SIDE_HOST, f, &g, s.now, &s.h[0].out),
			 -EOPNOTSUPP);
	assert_int_equal(tc_conn_abort_reason(s.h[0].c), TC_ABORT_URGENT);
	assert_int_equal(s.h[0].st.urgent_refused, 1);
	sim_free(&s);
}

/* RFC 8548 3.7: a TCP FIN where no FINp frame ends is an abort, not EOF. */
static void test_fin_without_finp_aborts(void **state)
{
	struct sim_opts o = { .seed = 91, .engine = { true, true }, .len = { 0, 50000 } };
	uint8_t f[SIM_FRAME_MAX];
	struct tc_seg g;
	struct sim s;
	uint32_t len;

	sim_init(&s, *state, &o);
	while (s.h[0].k.rcv_nxt < 20000 && sim_step(&s))
		;
	/* B's last data segment again, with FIN set */
	len = s.last_len[1];
	memcpy(f, s.last[1], len);
	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	assert_true(g.payload_len > 0);
	f[g.l4_off + 13] |= TC_TH_FIN;
	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	tc_seg_fill_tcp_csum(f, &g);
	tc_conn_input(s.h[0].c, TC_SIDE_WIRE, f, &g, s.now, &s.h[0].out);
	/* (it may have arrived ahead of the stream: the abort comes when the
	 * stream reaches it) */
	while (!s.h[0].k.reset && sim_step(&s))
		;
	assert_int_equal(tc_conn_state(s.h[0].c), TC_CONN_ABORTED);
	assert_int_equal(tc_conn_abort_reason(s.h[0].c), TC_ABORT_FIN);
	/* what A's kernel got is B's bytes, and no FIN */
	assert_true(s.h[0].k.reset);
	assert_false(s.h[0].k.fin_rcvd);
	assert_true(sim_no_corruption(&s));
	sim_free(&s);
}

/* ---- resumption suboptions, frame by frame (RFC 8548 3.5) ---- */

/* Linux's SYN options (19 bytes: MSS, SACK-permitted, timestamps, window
 * scale) then an ENO option, padded to a multiple of 4; returns the length. */
static uint8_t syn_opts_eno(uint8_t out[40], const uint8_t *eno, uint8_t n)
{
	static const uint8_t base[19] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
					  3, 3, 7 };
	uint8_t len = 19 + n;

	memcpy(out, base, 19);
	memcpy(out + 19, eno, n);
	while (len % 4)
		out[len++] = 0;
	return len;
}

/* The ENO option of a captured frame: its offset in f, -1 when none. */
static int eno_at(const uint8_t *f, uint32_t len)
{
	struct tc_seg g;
	uint32_t i;

	assert_int_equal(tc_seg_parse(f, len, &g), TC_SEG_TCP);
	for (i = g.l4_off + 20; i < g.l4_off + g.thl;) {
		if (f[i] == 0)
			break;
		if (f[i] == 1) {
			i++;
			continue;
		}
		if (f[i] == 69)
			return (int)i;
		i += f[i + 1];
	}
	return -1;
}

/* The TCP header and payload of a captured frame. */
static const uint8_t *cap_tcp(const struct cap *cap, int i, struct tc_seg *g,
			      struct tc_tcpopt *o)
{
	assert_int_equal(tc_seg_parse(cap->f[i], cap->len[i], g), TC_SEG_TCP);
	tc_tcpopt_parse(cap->f[i] + g->l4_off + 20, g->thl - 20, o);
	return cap->f[i] + g->l4_off;
}

/*
 * A, fresh exchange: the SYN-ACK goes to the kernel and Init1 to the wire
 * at once, on an ACK of A's own with ENO (RFC 8547 4.6), a window in the
 * scaled units and the SYN-ACK's TSval echoed (a SYN cookie's options are
 * there). The kernel's own ACK of the SYN-ACK then ends in the engine; later
 * pure ACKs leave after Init1, with ENO while B has sent no non-SYN segment,
 * and none after.
 */
static void test_init1_on_first_ack(void **state)
{
	uint8_t opts[40], eno[4] = { 69, 4, 0x01, TC_TEP_X25519 }, big_ws[20];
	struct tf syn = { .sport = 40000, .dport = 5201, .seq = 1000, .flags = TC_TH_SYN,
			  .win = 64240, .opts = syn_opts, .optlen = 20 };
	struct tf sa = { .src = tf_ip4_b, .dst = tf_ip4_a, .sport = 5201, .dport = 40000,
			 .seq = 7000, .ack = 1001, .flags = TC_TH_SYN | TC_TH_ACK, .win = 65535 };
	struct tf ack = { .sport = 40000, .dport = 5201, .seq = 1001, .ack = 7001,
			  .flags = TC_TH_ACK, .win = 502 };
	struct tf b_ack = { .src = tf_ip4_b, .dst = tf_ip4_a, .sport = 5201, .dport = 40000,
			    .seq = 7001, .flags = TC_TH_ACK, .win = 500 };
	struct tc_engine_stats st = { 0 };
	struct tc_engine_cfg cfg;
	struct tc_tcpopt o;
	struct tc_conn *c;
	const uint8_t *th;
	struct cap cap = { 0 };
	struct tc_seg g;
	uint32_t init_len;

	tc_engine_cfg_default(&cfg);
	cfg.algs = *state;
	cfg.rng = tc_rng_openssl;
	cfg.rng_ready = true;
	c = tc_conn_new(&cfg, &st);
	assert_int_equal(feed(c, TC_SIDE_HOST, &syn, &cap), 0);
	assert_int_equal(cap.n, 1);

	sa.optlen = syn_opts_eno(opts, eno, sizeof(eno));
	sa.opts = opts;
	memset(&cap, 0, sizeof(cap));
	assert_int_equal(feed(c, TC_SIDE_WIRE, &sa, &cap), 0);
	assert_int_equal(tc_conn_state(c), TC_CONN_KEYX);
	assert_int_equal(cap.n, 2);
	assert_int_equal(cap.to[0], TC_SIDE_HOST);
	th = cap_tcp(&cap, 0, &g, &o);
	assert_int_equal(th[13], TC_TH_SYN | TC_TH_ACK);
	assert_false(o.has_eno);

	assert_int_equal(cap.to[1], TC_SIDE_WIRE);
	th = cap_tcp(&cap, 1, &g, &o);
	assert_true(th[13] & TC_TH_ACK);
	assert_false(th[13] & (TC_TH_SYN | TC_TH_FIN | TC_TH_RST));
	assert_int_equal(tc_get32(th + 4), 1001);
	assert_int_equal(tc_get32(th + 8), 7001);
	assert_int_equal(tc_get16(th + 14), 64240 >> 7);
	assert_true(o.has_eno);
	assert_true(o.has_ts);
	assert_int_equal(o.tsval, 1);		/* the kernel's SYN's */
	assert_int_equal(o.tsecr, 1);		/* the SYN-ACK's */
	assert_true(g.payload_len > 4);
	assert_int_equal(tc_get32(cap.f[1] + g.payload_off), TC_INIT1_MAGIC);
	init_len = g.payload_len;
	assert_int_equal(st.eno_answered + st.eno_offered, 1);

	/* the kernel's own ACK of the SYN-ACK says nothing new: absorbed */
	memset(&cap, 0, sizeof(cap));
	assert_int_equal(feed(c, TC_SIDE_HOST, &ack, &cap), 0);
	assert_int_equal(cap.n, 0);

	/* a later one goes on, after Init1, with ENO and the kernel's window */
	memset(&cap, 0, sizeof(cap));
	assert_int_equal(feed(c, TC_SIDE_HOST, &ack, &cap), 0);
	assert_int_equal(cap.n, 1);
	assert_int_equal(cap.to[0], TC_SIDE_WIRE);
	th = cap_tcp(&cap, 0, &g, &o);
	assert_int_equal(g.payload_len, 0);
	assert_int_equal(tc_get32(th + 4), 1001 + init_len);
	assert_int_equal(tc_get16(th + 14), 502);
	assert_true(o.has_eno);

	/* B's first non-SYN segment: ENO stops (4.6) */
	b_ack.ack = 1001 + init_len;
	memset(&cap, 0, sizeof(cap));
	feed(c, TC_SIDE_WIRE, &b_ack, &cap);
	memset(&cap, 0, sizeof(cap));
	assert_int_equal(feed(c, TC_SIDE_HOST, &ack, &cap), 0);
	assert_int_equal(cap.n, 1);
	cap_tcp(&cap, 0, &g, &o);
	assert_false(o.has_eno);
	tc_conn_free(c);

	/* a window scale above 14 counts as 14 (RFC 7323 2.3) */
	memcpy(big_ws, syn_opts, sizeof(big_ws));
	big_ws[19] = 30;
	syn.opts = big_ws;
	c = tc_conn_new(&cfg, &st);
	memset(&cap, 0, sizeof(cap));
	assert_int_equal(feed(c, TC_SIDE_HOST, &syn, &cap), 0);
	memset(&cap, 0, sizeof(cap));
	assert_int_equal(feed(c, TC_SIDE_WIRE, &sa, &cap), 0);
	assert_int_equal(cap.n, 2);
	th = cap_tcp(&cap, 1, &g, &o);
	assert_int_equal(tc_get16(th + 14), 64240 >> 14);
	tc_conn_free(c);
}

static void test_resumption_suboptions_checked(void **state)
{
	static const uint8_t ss[TC_HASH_LEN] = { 7 };
	uint8_t key[6] = { 192, 0, 2, 2, 5201 >> 8, 5201 & 0xff }, opts[40], eno[21];
	struct tf syn = { .sport = 40000, .dport = 5201, .seq = 1000, .flags = TC_TH_SYN,
			  .win = 65535, .opts = syn_opts, .optlen = 20 };
	struct tf sa = { .src = tf_ip4_b, .dst = tf_ip4_a, .sport = 5201, .dport = 40000,
			 .seq = 7000, .ack = 1001, .flags = TC_TH_SYN | TC_TH_ACK, .win = 65535 };
	struct tc_engine_stats st = { 0 };
	struct tc_resume_cache rc;
	struct tc_engine_cfg cfg;
	struct tc_conn *c;
	struct cap cap;
	int at, i;

	tc_engine_cfg_default(&cfg);
	cfg.algs = *state;
	cfg.rng = tc_rng_openssl;
	cfg.rng_ready = true;
	cfg.resume = &rc;
	assert_int_equal(tc_resume_cache_init(&rc, *state, 8), 0);

	/*
	 * A, with a chain to 192.0.2.2:5201: its SYN proposes it, alone. B's
	 * answers: a half that is not the other half of resume[i] (ignored:
	 * no TEP is left, plain TCP), one of fewer than 9 bytes (invalid
	 * here), and a fresh one (the exchange goes on). Each time the ticket
	 * goes back to the cache at i + 1.
	 */
	for (i = 0; i < 3; i++) {
		tc_resume_flush_all(&rc);
		assert_int_equal(tc_resume_put(&rc, key, sizeof(key), TC_TEP_X25519,
					       TC_AEAD_AES_128_GCM, TC_ROLE_A, ss, 0, 0, 0, NULL), 0);
		memset(&cap, 0, sizeof(cap));
		c = tc_conn_new(&cfg, &st);
		assert_int_equal(feed(c, TC_SIDE_HOST, &syn, &cap), 0);
		assert_int_equal(cap.n, 1);
		at = eno_at(cap.f[0], cap.len[0]);
		assert_true(at > 0);
		assert_int_equal(cap.f[0][at + 1], 20);
		assert_int_equal(cap.f[0][at + 2], TC_TEP_X25519 | TC_ENO_V);
		assert_int_equal(tc_resume_count(&rc), 0);	/* taken */
		if (i == 0) {
			eno[0] = 69, eno[1] = 21, eno[2] = 0x01, eno[3] = 0xa3;
			memset(eno + 4, 0x55, 17);
			sa.optlen = syn_opts_eno(opts, eno, 21);
		} else if (i == 1) {
			eno[0] = 69, eno[1] = 9, eno[2] = 0x01, eno[3] = 0xa3;
			memset(eno + 4, 0x55, 5);
			sa.optlen = syn_opts_eno(opts, eno, 9);
		} else {
			eno[0] = 69, eno[1] = 4, eno[2] = 0x01, eno[3] = 0x23;
			sa.optlen = syn_opts_eno(opts, eno, 4);
		}
		sa.opts = opts;
		memset(&cap, 0, sizeof(cap));
		if (i < 2) {
			assert_int_equal(feed(c, TC_SIDE_WIRE, &sa, &cap), TC_CONN_FORWARD);
			assert_int_equal(tc_conn_state(c), TC_CONN_PLAIN);
			assert_int_equal(tc_resume_count(&rc), 1);
		} else {
			/* a fresh exchange: Init1 leaves with A's own ACK */
			assert_int_equal(feed(c, TC_SIDE_WIRE, &sa, &cap), 0);
			assert_int_equal(tc_conn_state(c), TC_CONN_KEYX);
			assert_int_equal(cap.n, 2);
			assert_int_equal(cap.to[0], TC_SIDE_HOST);
			assert_false(has_eno(cap.f[0], cap.len[0]));
			assert_int_equal(cap.to[1], TC_SIDE_WIRE);
			assert_true(has_eno(cap.f[1], cap.len[1]));
		}
		tc_conn_free(c);
		assert_int_equal(tc_resume_count(&rc), 1);
	}
	assert_int_equal(st.resume_offered, 3);
	assert_int_equal(st.resumed, 0);

	/*
	 * B: A's v = 1 suboption with fewer than 9 bytes is a fresh offer, so is
	 * one naming nothing B holds; more than 17 bytes is no valid suboption,
	 * and as A's only one, plain TCP.
	 */
	tc_resume_flush_all(&rc);
	for (i = 0; i < 3; i++) {
		static const uint8_t n[3] = { 5, 17, 18 };
		struct tf hsa = { .src = tf_ip4_b, .dst = tf_ip4_a, .sport = 5201, .dport = 40000,
				  .seq = 7000, .ack = 1001, .flags = TC_TH_SYN | TC_TH_ACK,
				  .win = 65535, .opts = syn_opts, .optlen = 20 };
		struct tf wsyn = syn;

		eno[0] = 69, eno[1] = 3 + n[i], eno[2] = 0xa3;
		memset(eno + 3, 0x66, n[i]);
		wsyn.optlen = syn_opts_eno(opts, eno, 3 + n[i]);
		wsyn.opts = opts;
		memset(&cap, 0, sizeof(cap));
		c = tc_conn_new(&cfg, &st);
		if (n[i] > 17) {
			assert_int_equal(feed(c, TC_SIDE_WIRE, &wsyn, &cap), TC_CONN_FORWARD);
			assert_int_equal(tc_conn_state(c), TC_CONN_PLAIN);
			tc_conn_free(c);
			continue;
		}
		assert_int_equal(feed(c, TC_SIDE_WIRE, &wsyn, &cap), 0);
		memset(&cap, 0, sizeof(cap));
		assert_int_equal(feed(c, TC_SIDE_HOST, &hsa, &cap), 0);
		assert_int_equal(cap.n, 1);
		at = eno_at(cap.f[0], cap.len[0]);
		assert_true(at > 0);
		/* B's answer: the general suboption and the TEP, v = 0 */
		assert_int_equal(cap.f[0][at + 1], 4);
		assert_int_equal(cap.f[0][at + 3], TC_TEP_X25519);
		tc_conn_free(c);
	}
	assert_int_equal(st.resume_accepted, 0);
	tc_resume_cache_free(&rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_transfer),
		cmocka_unit_test(test_init_acked_when_silent),
		cmocka_unit_test(test_key_pairs_from_a_pool),
		cmocka_unit_test(test_resumed_sessions),
		cmocka_unit_test(test_resumed_keys_wait),
		cmocka_unit_test(test_resumed_idle_or_not),
		cmocka_unit_test(test_resumed_keys_early),
		cmocka_unit_test(test_fresh_keys_wait),
		cmocka_unit_test(test_fresh_idle_or_not),
		cmocka_unit_test(test_resumed_from_a_seeded_chain),
		cmocka_unit_test(test_init1_on_first_ack),
		cmocka_unit_test(test_resumption_suboptions_checked),
		cmocka_unit_test(test_small_and_empty),
		cmocka_unit_test(test_faulty_wire),
		cmocka_unit_test(test_options_and_tiny_mss),
		cmocka_unit_test(test_tampered_frame_aborts),
		cmocka_unit_test(test_head_loss_repaired_by_engine),
		cmocka_unit_test(test_burst_head_loss_repaired_by_engine),
		cmocka_unit_test(test_wire_checksums_left_partial),
		cmocka_unit_test(test_wire_super_segments),
		cmocka_unit_test(test_host_payload_in_pieces),
		cmocka_unit_test(test_plain_peer_fallback),
		cmocka_unit_test(test_lost_keys_reset),
		cmocka_unit_test(test_connection_options),
		cmocka_unit_test(test_rekeying),
		cmocka_unit_test(test_no_eno_on_syn_data_tfo_or_unseeded_rng),
		cmocka_unit_test(test_syn_data_discarded_for_the_kernel),
		cmocka_unit_test(test_urgent_refused),
		cmocka_unit_test(test_fin_without_finp_aborts),
	};

	return cmocka_run_group_tests(tests, algs_setup, algs_teardown);
}
