// SPDX-License-Identifier: GPL-2.0
/*
 * What tcnetstat is told of sessions (userspace/tcpcryptd/export.c) and
 * when the flow table tells it (the session_changed hook in flow.c), both
 * compiled in here: two hosts of selftests/unit/unit/sim.h, each with a
 * flow table as its tcpcryptd, carry real encrypted transfers; the hook's
 * events and the entries export_session_fill() makes of them are checked
 * against the engine's own session (flow_session()). No BPF: the entries
 * are checked as they would be written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "unit/shell.h"
#include "tcpcryptd/export.c"

#define NOW_REAL	1700000000000000000ull

/* what the hook saw, per host */
#define EV_MAX 32
static struct ev {
	enum flow_sess_event ev;
	int filled;		/* export_session_fill()'s answer */
	struct tc_session s;
	struct tc_flow_key key;
} evs[2][EV_MAX];
static int nev[2];
static struct tc_session last[2];	/* the entry as tc_sessions would hold it */
static bool have_last[2];

static int host_of(const struct flow_table *ft)
{
	return ft == &sh->ft[1];
}

static void record(struct flow_table *ft, struct flow *f, enum flow_sess_event ev)
{
	int h = host_of(ft);
	struct ev *e = &evs[h][nev[h] < EV_MAX ? nev[h]++ : EV_MAX - 1];

	memset(e, 0, sizeof(*e));
	e->ev = ev;
	e->key = f->key;
	if (ev != FLOW_SESS_CHANGED) {
		have_last[h] = false;
		return;
	}
	e->filled = export_session_fill(f->conn, have_last[h] ? &last[h] : NULL, f->queue,
					NOW_REAL + nev[h], &e->s);
	if (e->filled) {
		last[h] = e->s;
		have_last[h] = true;
	}
}

/* shell.h's hosts, with the session hook recording */
static void sx_start(struct sim *s, const struct sim_opts *o)
{
	int i;

	sh_start(s, o);
	memset(nev, 0, sizeof(nev));
	memset(have_last, 0, sizeof(have_last));
	for (i = 0; i < 2; i++)
		sh->ft[i].session_changed = record;
}

/* The first event of host h whose entry has state st, or NULL. */
static const struct ev *first_with(int h, uint8_t st)
{
	int i;

	for (i = 0; i < nev[h]; i++)
		if (evs[h][i].ev == FLOW_SESS_CHANGED && evs[h][i].filled && evs[h][i].s.state == st)
			return &evs[h][i];
	return NULL;
}

/* Encrypted both ways, then closed: both ends export the same session. */
static void test_encrypted_then_closed(void **state)
{
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		struct sim_opts o = { .seed = 70 + v6, .v6 = v6, .engine = { true, true },
				      .len = { 30000, 20000 }, .close = { true, true },
				      .loss = 10, .reorder = 20 };
		struct tc_session_info info;
		const struct ev *e, *c;
		struct sim s;
		int h, i;

		sx_start(&s, &o);
		sim_run(&s, 600 * 1000 * SIM_MS);
		assert_true(sim_streams_intact(&s));
		for (h = 0; h < 2; h++) {
			struct flow *f = sh_flow(&s, h);

			assert_non_null(f);
			assert_int_equal(flow_session(&sh->ft[h], &f->key, &info), 0);
			e = first_with(h, TC_SESS_ENCRYPTED);
			assert_non_null(e);
			assert_memory_equal(&e->key, &f->key, sizeof(f->key));
			assert_int_equal(e->s.sid_len, TC_SESSID_LEN);
			assert_memory_equal(e->s.session_id, info.session_id, TC_SESSID_LEN);
			assert_int_equal(e->s.role, h);	/* host 0 connected: A */
			assert_int_equal(e->s.tep, info.tep);
			assert_int_equal(e->s.aead, info.aead);
			assert_int_equal(e->s.peer_gopt, info.peer_gopt);
			assert_true(e->s.established_ns >= NOW_REAL);
			/* no event before keys made an entry */
			for (i = 0; &evs[h][i] != e; i++)
				assert_int_equal(evs[h][i].filled, 0);
			/* both FINs: closed, same id, same time */
			c = first_with(h, TC_SESS_CLOSED);
			assert_non_null(c);
			assert_memory_equal(c->s.session_id, e->s.session_id, TC_SESSID_LEN);
			assert_int_equal(c->s.established_ns, e->s.established_ns);
		}
		assert_memory_equal(first_with(0, TC_SESS_ENCRYPTED)->s.session_id,
				    first_with(1, TC_SESS_ENCRYPTED)->s.session_id, TC_SESSID_LEN);
		/* the record goes with the socket: REMOVED */
		socket_answer = 0;
		flow_expire(&sh->ft[0], s.now + 10 * NSEC);	/* starts the grace period */
		flow_expire(&sh->ft[0], s.now + 20 * NSEC);
		assert_null(sh_flow(&s, 0));
		assert_int_equal(evs[0][nev[0] - 1].ev, FLOW_SESS_REMOVED);
		sh_stop(&s);
	}
}

/* A peer without tcpcryptd: the fallback is exported as plain, no id. */
static void test_fallback_exported_as_plain(void **state)
{
	struct sim_opts o = { .seed = 72, .engine = { true, false }, .len = { 5000, 5000 },
			      .close = { true, true } };
	const struct ev *e;
	struct sim s;

	sx_start(&s, &o);
	sim_run(&s, 60 * 1000 * SIM_MS);
	assert_true(sim_streams_intact(&s));
	e = first_with(0, TC_SESS_PLAIN);
	assert_non_null(e);
	assert_int_equal(e->s.sid_len, 0);
	assert_int_equal(e->s.established_ns, 0);
	assert_null(first_with(0, TC_SESS_ENCRYPTED));
	/* the record goes after the grace period */
	flow_expire(&sh->ft[0], s.now + 3 * NSEC);
	assert_int_equal(evs[0][nev[0] - 1].ev, FLOW_SESS_REMOVED);
	/* the host without an engine never called */
	assert_int_equal(nev[1], 0);
	sh_stop(&s);
}

/* A new connection on the tuple ends the old session (RESTART). */
static void test_restart_ends_the_session(void **state)
{
	struct sim_opts o = { .seed = 73, .engine = { true, true }, .len = { 3000, 3000 },
			      .close = { true, true } };
	struct flow_ctx *x;
	struct flow *f;
	struct sim s;

	sx_start(&s, &o);
	sim_run(&s, 60 * 1000 * SIM_MS);
	f = sh_flow(&s, 1);
	assert_non_null(first_with(1, TC_SESS_CLOSED));
	x = ctx_of(&sh->ft[1], &sh->em[1].em);
	pthread_mutex_lock(&f->lock);
	start_conn(&sh->ft[1], x, f);
	pthread_mutex_unlock(&f->lock);
	assert_int_equal(evs[1][nev[1] - 1].ev, FLOW_SESS_RESTART);
	assert_int_equal(f->sess_mark, 0);
	sh_stop(&s);
}

/* A hook that does nothing costs nothing: no hook, no calls, same result. */
static void test_no_hook_no_calls(void **state)
{
	struct sim_opts o = { .seed = 74, .engine = { true, true }, .len = { 3000, 3000 } };
	struct sim s;

	sx_start(&s, &o);
	sh->ft[0].session_changed = NULL;
	sim_run(&s, 60 * 1000 * SIM_MS);
	assert_true(sim_streams_intact(&s));
	assert_int_equal(nev[0], 0);
	assert_true(nev[1] > 0);
	sh_stop(&s);
}

static void test_fill_keeps_time_of_same_session(void **state)
{
	struct sim_opts o = { .seed = 75, .engine = { true, true }, .len = { 3000, 3000 } };
	struct tc_session a, b, other;
	struct sim s;
	struct flow *f;

	sx_start(&s, &o);
	sim_run(&s, 60 * 1000 * SIM_MS);
	f = sh_flow(&s, 0);
	assert_int_equal(export_session_fill(f->conn, NULL, 5, 100, &a), 1);
	assert_int_equal(a.established_ns, 100);
	assert_int_equal(a.queue, 5);
	assert_int_equal(export_session_fill(f->conn, &a, 6, 200, &b), 1);
	assert_int_equal(b.established_ns, 100);	/* the same session */
	assert_int_equal(b.queue, 6);
	other = a;
	other.session_id[5] ^= 1;
	assert_int_equal(export_session_fill(f->conn, &other, 6, 300, &b), 1);
	assert_int_equal(b.established_ns, 300);	/* another id: a new time */
	sh_stop(&s);
}

static void test_queue_and_table_counters(void **state)
{
	struct tc_engine_stats est;
	struct flow_table ft;
	struct tc_dstats d;
	size_t i;

	for (i = 0; i < sizeof(est) / sizeof(uint64_t); i++)
		((uint64_t *)&est)[i] = 100 + i;
	export_queue_stats(&est, 7, 8, &d);
	assert_int_equal(d.ctr[TC_DS_STEERED_WIRE], 7);
	assert_int_equal(d.ctr[TC_DS_STEERED_HOST], 8);
	assert_int_equal(d.ctr[TC_DS_ENCRYPTED], est.frames_sealed);
	assert_int_equal(d.ctr[TC_DS_DECRYPTED], est.frames_opened);
	assert_int_equal(d.ctr[TC_DS_TAG_FAILURES], est.tag_failures);
	assert_int_equal(d.ctr[TC_DS_FALLBACKS], est.eno_fallback);
	assert_int_equal(d.ctr[TC_DS_RESETS], est.aborts);
	assert_int_equal(d.ctr[TC_DS_REKEYS], est.rekeys);
	assert_int_equal(d.ctr[TC_DS_RESUMPTIONS], est.resumed);
	assert_int_equal(d.ctr[TC_DS_RETRANSMITS],
			 est.frames_resent + est.init_resent + est.frames_repaired);
	assert_int_equal(d.ctr[TC_DS_DROP_OOO], est.ooo_dropped);
	assert_int_equal(d.ctr[TC_DS_DROP_LOST_KEYS], est.resets_lost_keys);
	assert_int_equal(flow_table_init(&ft, NULL, 64, 0, 0), 0);
	ft.st.csum_bad = 3;
	ft.st.fragments = 4;
	ft.count = 2;
	export_table_stats(&ft, &d);
	assert_int_equal(d.ctr[TC_DS_DROP_BAD_CSUM], 3);
	assert_int_equal(d.ctr[TC_DS_DROP_FRAGMENT], 4);
	assert_int_equal(d.ctr[TC_DS_FLOWS_ACTIVE], 2);
	assert_int_equal(d.ctr[TC_DS_ENCRYPTED], 0);
	flow_table_fini(&ft);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encrypted_then_closed),
		cmocka_unit_test(test_fallback_exported_as_plain),
		cmocka_unit_test(test_restart_ends_the_session),
		cmocka_unit_test(test_no_hook_no_calls),
		cmocka_unit_test(test_fill_keeps_time_of_same_session),
		cmocka_unit_test(test_queue_and_table_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
