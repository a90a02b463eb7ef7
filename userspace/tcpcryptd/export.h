/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What tcnetstat reads of tcpcryptd (bpf/tcpcrypt_shared.h): the sessions
 * of the engine's connections in tc_sessions, written by the pollers as the
 * engine's state changes (flow table hook), and the counters in tc_dstats,
 * rewritten every second by export_tick() (the control thread, ctl.c).
 *
 * Counters go through a map rather than the control socket: tcnetstat
 * already reads the datapath's maps (it needs the privileges for tc_flows),
 * finds them from any `ip netns exec` without talking to the daemon, and
 * still shows the last values of a daemon that died; the control socket
 * stays for unprivileged applications' questions about their own sockets.
 */
#ifndef TCD_EXPORT_H
#define TCD_EXPORT_H

#include <stdint.h>

#include "engine/conn.h"
#include "tcpcrypt_shared.h"
#include "tcpcryptd/flow.h"

struct dp;
struct poller;

struct export {
	struct dp *dp;
	struct flow_table *ft;
	const struct poller *pollers;
	unsigned int npollers;
	uint32_t pid;
	unsigned int ticks;	/* export_tick calls: every EXPORT_FULL_SWEEP-th checks all */
	/* sock_diag: does a flow's local socket live? (tests replace it) */
	int (*socket_exists)(const struct tc_flow_key *k);
};

/*
 * Export from now on: the flow table's hook, this daemon's counter slots
 * (cleared), and sessions a killed predecessor left marked as aborted
 * (their keys died with it).
 */
void export_start(struct export *ex, struct dp *dp, struct flow_table *ft,
		  const struct poller *pollers, unsigned int npollers);
/* Once a second: counters, and entries whose flow and socket are gone. */
void export_tick(struct export *ex);
/* Last counters; sessions removed (their keys go with us). Pollers stopped. */
void export_stop(struct export *ex);

/* The flow table's hook (flow.h: session_changed); uses ft->dp. */
void export_session_changed(struct flow_table *ft, struct flow *f,
			    enum flow_sess_event ev);

/*
 * The entry for connection c given the current one (old, NULL if none) at
 * CLOCK_REALTIME now: 1 with *out to write, 0 when there is nothing to show
 * (still negotiating, key exchange in progress).
 */
int export_session_fill(const struct tc_conn *c, const struct tc_session *old,
			uint16_t queue, uint64_t now, struct tc_session *out);

/* A queue's slot from its engine's counters and its poller's frame counts. */
void export_queue_stats(const struct tc_engine_stats *est, uint64_t rx_wire,
			uint64_t rx_host, struct tc_dstats *out);
/* The flow table's slot. */
void export_table_stats(struct flow_table *ft, struct tc_dstats *out);

#endif
