/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow table of tcpcryptd and its mirror in the BPF flow map (tc_flows):
 * the I/O shell around the segment engine (lib/engine/conn.h).
 *
 * A flow is keyed in the host's view (local address and port first). With
 * an engine configuration every new connection gets a struct tc_conn and
 * the engine makes every frame that leaves; without one (--passthrough)
 * frames go on unchanged.
 *
 *   SYN seen (either direction, steered by policy) -> a half-open flow.
 *     With an engine it gets no tc_flows entry: BPF steers the rest of the
 *     handshake without one (TC_CFG_STATELESS_HS: SYN-ACKs, and the active
 *     opener's ENO segments), and the entry (NEGOTIATING) is committed once
 *     the peer has acknowledged our ISN (tc_conn_proves()), before that
 *     segment goes on. Without an engine (--passthrough) it goes into
 *     tc_flows at once as PASSTHROUGH, plaintext anyway, and may be taken
 *     out again until proven. Half-open flows are capped per side (SYN
 *     from the wire / from the local stack), the oldest evicted first, and
 *     per remote prefix (wire SYNs); a refused SYN is dropped;
 *   the engine's state is mirrored: KEYX/ENCRYPTED/ABORTED -> ENCRYPTED
 *     (BPF drops the flow's segments while no daemon runs), PLAIN -> the
 *     entry is deleted so the rest of that connection never reaches
 *     userspace (the record stays a grace period for frames in flight);
 *   a flow that needed keys leaves tc_flows only once its local socket is
 *     gone (sock_diag), never on a wire event or a timer alone; pass-through
 *     flows go after FIN both ways/RST plus a grace period, or when idle.
 *
 * Concurrency: pollers share the table. Buckets are protected by striped
 * locks and each flow by its own lock (a flow's frames may arrive on two
 * queues while it moves to its owner), taken bucket first. Each poller
 * thread has a context (thread-local) with the flows to flush at the end of
 * its batch and those with engine timers; list membership holds a
 * reference, so the main thread's expiry never frees a flow still listed.
 */
#ifndef TCD_FLOW_H
#define TCD_FLOW_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/conn.h"
#include "tcpcrypt_shared.h"
#include "tcpcryptd/emit.h"
#include "tcpcryptd/xsk.h"

struct dp;

enum flow_verdict {
	FV_FORWARD,	/* the frame goes on to the other side, unchanged */
	FV_DROP,	/* dropped (counted) */
	FV_CONSUMED,	/* taken by the engine; what it sends went out through em */
};

enum flow_st {
	FS_SYN,		/* SYN seen, no FIN/RST yet */
	FS_FIN1,	/* FIN in one direction */
	FS_CLOSED,	/* FIN both ways or RST: removal pending */
};

/* What the session hook put in tc_sessions for a flow (flow.sess_listed). */
enum {
	FLOW_LISTED_UNKNOWN = -1,	/* adopted from a previous daemon: look */
	FLOW_LISTED_NONE = 0,
	FLOW_LISTED_ENGINE = 1,		/* its engine's session */
	FLOW_LISTED_PLAIN = 2,		/* a fallback */
};

/* A flow's place on one of the table's lists, kept oldest first. */
struct flow_link {
	struct flow *prev, *next;
};

enum {
	FLOW_LIST_HALF,		/* ft->half[hside], under ft->half_lock */
	FLOW_LIST_DONE,		/* ft->done, under ft->done_lock */
	FLOW_LISTS
};

struct flow_ends {
	struct flow *head, *tail;
};

struct flow {
	struct flow *next;
	struct tc_flow_key key;
	pthread_mutex_t lock;
	int refs;		/* table + poller lists; atomic */
	bool dead;		/* unlinked from the table */
	struct tc_conn *conn;	/* engine; NULL for pass-through */
	uint8_t st;
	uint8_t fin_mask;	/* bit XQ_WIRE: FIN from remote; XQ_HOST: FIN from local */
	uint8_t lost_keys;	/* NEGOTIATING/ENCRYPTED under a dead daemon */
	uint8_t seen_mask;	/* bit XQ_WIRE / XQ_HOST: a segment came from there */
	uint8_t map_state;	/* what tc_flows says (TC_FLOW_*), FLOW_MAP_NONE: absent */
	bool plain;		/* the engine fell back: forwarded until removed */
	bool in_timers;		/* in its poller's timer list */
	bool logged;		/* its session was logged */
	bool sync_due;		/* in its poller's list for flow_sync() */
	bool idle_due;		/* in its poller's list for flow_idle() */
	uint16_t queue;
	uint64_t last_ns;	/* CLOCK_MONOTONIC of the last segment */
	uint64_t expire_ns;	/* removal not before this time (closed, plain) */
	uint64_t checked_ns;	/* last sock_diag look-up */
	uint8_t sess_mark;	/* engine state last told to session_changed (0: none) */
	int8_t sess_listed;	/* session_changed's: its tc_sessions entry (FLOW_LISTED_*) */
	bool plain_unlisted;	/* fell back before proof: listed at expiry if established */
	/* half-open: in ft->half[hside] (oldest first), under ft->half_lock */
	int8_t hside;		/* FLOW_HALF_*, or -1 */
	uint16_t pslot;		/* remote prefix's quota slot (FLOW_HALF_WIRE) */
	/* done (tc_conn_done): in ft->done, holding a reference */
	bool done_listed;
	struct flow_link link[FLOW_LISTS];
	/* pass-through: the local ISN and whether the peer acknowledged it */
	bool isn_known, proven;
	uint32_t isn_l;
};

#define FLOW_MAP_NONE	0xff

enum {
	FLOW_HALF_WIRE,		/* the SYN came from the wire (a remote opened) */
	FLOW_HALF_HOST,		/* the SYN came from the local stack */
	FLOW_HALF_SIDES
};

#define FLOW_PREFIX_SLOTS	4096	/* remote /24 (IPv4) or /64 (IPv6), hashed */

struct flow_half {
	struct flow_ends ends;
	uint32_t n;
};
#define FLOW_HALF_OPEN_S 30
#define FLOW_LOCKS	64

struct flow_stats {
	uint64_t created, adopted, removed_closed, removed_idle, map_errors;
	uint64_t non_tcp, table_full, lost_keys_dropped;
	uint64_t csum_fixed;	/* wire frames with a CHECKSUM_PARTIAL leftover */
	uint64_t csum_bad;	/* wire frames with a wrong TCP checksum, not given to the engine */
	uint64_t fragments, malformed;
	uint64_t fallbacks, encrypted, kept_socket;
	uint64_t half_evicted;	/* half-open flows evicted for a newer SYN */
	uint64_t half_refused;	/* SYNs dropped: prefix quota, or nothing to evict */
	uint64_t eno_resets;	/* ENO segments of handshakes we hold no state for: reset */
	uint64_t synack_dropped;	/* local SYN-ACKs of handshakes we hold no state for */
	uint64_t evicted_done;	/* done connections forgotten early to make room */
};

struct flow_ctx;

enum flow_sess_event {
	FLOW_SESS_CHANGED,	/* the engine's state changed (f->conn set) */
	FLOW_SESS_RESTART,	/* a new connection on the tuple: the old one is over */
	FLOW_SESS_REMOVED,	/* the flow record goes */
	FLOW_SESS_PLAIN,	/* a fallback before proof, now established: list it */
};

struct flow_table {
	pthread_mutex_t locks[FLOW_LOCKS];
	struct flow **buckets;
	uint32_t nbuckets;	/* power of 2 */
	uint32_t count, max;	/* count: atomic */
	uint64_t grace_ns, idle_ns;
	struct dp *dp;		/* tc_flows owner; NULL in unit tests */
	const struct tc_engine_cfg *engine;	/* NULL: pass-through */
	struct flow_stats st;	/* atomic increments */
	/* half-open flows (see above): taken after bucket and flow locks */
	pthread_mutex_t half_lock;
	struct flow_half half[FLOW_HALF_SIDES];
	uint32_t half_max;	/* per side */
	uint32_t prefix_max;	/* wire half-open flows per remote prefix slot */
	uint16_t prefix_cnt[FLOW_PREFIX_SLOTS];
	/*
	 * Connections over both ways with nothing left to resend or redeliver
	 * (tc_conn_done), oldest first: when the table or tc_flows is full, a
	 * new connection takes the place of the oldest instead of being
	 * refused (done_evict). Taken after bucket and flow locks.
	 */
	pthread_mutex_t done_lock;
	struct flow_ends done;
	uint64_t refusal_logged_ns;	/* rate limit of the refusal warning */
	uint64_t room_logged_ns;	/* ... and of the note that done ones gave way */
	/* per-thread contexts, for stats and clean-up */
	pthread_mutex_t ctx_lock;
	struct flow_ctx *ctxs;
	/* a flow's local socket: its TCP state, 0 if gone (tcp_socket_state();
	 * tests replace it) */
	int (*socket_state)(const struct tc_flow_key *k);
	/* applications' settings by local port (flow_opts_set) */
	pthread_mutex_t opts_lock;
	struct flow_port_opts *popts;
	unsigned int npopts;
	/*
	 * tcnetstat's tc_sessions (tcpcryptd/export.c), NULL: not exported.
	 * Called with the flow locked when what tcnetstat shows of it changes
	 * (keys, closed, aborted, fallback: f->conn still set), when its tuple
	 * starts a new connection, and when its record goes.
	 */
	void (*session_changed)(struct flow_table *ft, struct flow *f,
				enum flow_sess_event ev);
	void *session_arg;
};

#define FLOW_PORT_OPTS_MAX	1024

struct flow_port_opts {
	uint8_t family;
	bool oneshot;
	uint16_t lport;		/* host order */
	struct tc_conn_opts o;
};

int flow_table_init(struct flow_table *ft, struct dp *dp, uint32_t max_flows,
		    uint32_t grace_ms, uint32_t idle_s);
/*
 * Half-open limits: per side (default: a quarter of max_flows) and per
 * remote prefix (default: an eighth of that). 0 keeps the default.
 */
void flow_table_set_half_open(struct flow_table *ft, uint32_t half_max, uint32_t prefix_max);
/* Half-open flows now, both sides. */
uint32_t flow_half_open(struct flow_table *ft);
/* Give new connections to the engine (cfg must outlive the table). */
void flow_table_set_engine(struct flow_table *ft, const struct tc_engine_cfg *cfg);
/*
 * Free the table. Entries of flows that needed keys stay in tc_flows (BPF
 * keeps dropping their segments until a daemon takes them over); the others
 * are deleted.
 */
void flow_table_fini(struct flow_table *ft);

/*
 * A frame received from FROM (XQ_WIRE: from the network, XQ_HOST: from the
 * local stack) on queue QUEUE at time now, by the calling poller thread.
 * Frames the engine makes go out through em.
 */
enum flow_verdict flow_packet(struct flow_table *ft, enum xq_side from, uint16_t queue,
			      uint8_t *pkt, uint32_t len, uint64_t now, struct emit *em);
/*
 * flow_packet() of a frame from the local stack held in several buffers:
 * PKT holds at least its headers (LEN is the whole frame's length), PV[0..NPV)
 * its TCP payload. The segment engine seals from the pieces; a verdict of
 * FV_FORWARD means the caller needs the frame whole after all.
 */
enum flow_verdict flow_packet_pieces(struct flow_table *ft, enum xq_side from, uint16_t queue,
				     uint8_t *pkt, uint32_t len, const struct tc_iov *pv,
				     uint32_t npv, uint64_t now, struct emit *em);

/* End of a batch: frames the engine held back to coalesce go out through em. */
void flow_flush(struct flow_table *ft, struct emit *em);
/*
 * The tc_flows and tc_sessions updates that no segment waits for (a flow
 * between NEGOTIATING and ENCRYPTED, its session entry), which
 * flow_packet() and flow_timers() leave for a moment with nothing else to
 * do: idle, or a poller that has been busy for 10 ms or has 64 of them
 * waiting. The number of flows served.
 */
unsigned int flow_sync(struct flow_table *ft, uint64_t now, bool idle);
/*
 * Nothing else to do: the engine work that waits for that (a resumed
 * session's key schedule, see tc_conn_idle()), then what tc_flows and
 * tc_sessions then say. The number of flows served; their output (resets of
 * a failure) goes through em.
 */
unsigned int flow_idle(struct flow_table *ft, uint64_t now, struct emit *em);
/* Run the engine timers due at now of the flows this thread times. */
void flow_timers(struct flow_table *ft, uint64_t now, struct emit *em);
/* When flow_timers() next has work (CLOCK_MONOTONIC ns), UINT64_MAX: none. */
uint64_t flow_next_timer(const struct flow_table *ft);

/*
 * Take over a tc_flows entry left by a previous daemon. Flows whose state
 * needed keys (NEGOTIATING/ENCRYPTED) keep their map entry: their segments
 * are answered with resets (engine) or dropped, never passed in plaintext.
 */
int flow_adopt(struct flow_table *ft, const struct tc_flow_key *k, uint8_t state,
	       uint16_t queue);

/* Remove what may go (main thread; see above). */
void flow_expire(struct flow_table *ft, uint64_t now);

/*
 * For the control socket (libtcpcrypt): the session of the connection with
 * key k. -ENOENT: no such steered flow, -EINVAL: not encrypted (plain TCP,
 * ENO failed or disabled), -ENOTCONN: still negotiating (draft-ietf-tcpinc-
 * api errors).
 */
int flow_session(struct flow_table *ft, const struct tc_flow_key *k,
		 struct tc_session_info *info);
/* TCP_CRYPT_CACHE_FLUSH: tc_conn_resume_flush() of that flow's connection. */
int flow_resume_flush(struct flow_table *ft, const struct tc_flow_key *k);
/* Whether the table holds a flow with key k. */
bool flow_known(struct flow_table *ft, const struct tc_flow_key *k);

/*
 * An application's settings for the connections of a local port (the
 * socket it will connect from, or listens on), applied to the next new
 * connection on that port (once: oneshot) or to every one until removed.
 * family AF_INET/AF_INET6; o NULL removes. 0, -ENOSPC (table full).
 */
int flow_opts_set(struct flow_table *ft, uint8_t family, uint16_t lport,
		  const struct tc_conn_opts *o, bool oneshot);

/* Engine counters of every poller, summed. */
void flow_engine_stats(struct flow_table *ft, struct tc_engine_stats *out);
/* Engine counters of one poller thread (zero if it has seen no frame). */
void flow_engine_stats_thread(struct flow_table *ft, pthread_t thread,
			      struct tc_engine_stats *out);

uint64_t tcd_now_ns(void);

#endif
