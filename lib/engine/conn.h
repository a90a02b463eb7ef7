/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tcpcrypt segment engine: one connection object per TCP connection,
 * with no I/O inside (the ngtcp2 shape). It is fed the frames tcpcryptd
 * captures (Ethernet + IP + TCP, with their direction: from the local stack
 * or from the wire) and the time, and it writes the frames to send, to the
 * wire or to the local stack, into buffers the caller hands it. Randomness,
 * time and buffers come from the caller; it never reads a clock, a socket
 * or a random source of its own.
 *
 * Both kernels keep running ordinary TCP (congestion control, windows,
 * retransmission) over their application byte streams; the engine maps
 * each direction between that stream and the tcpcrypt framing stream the
 * wire carries (RFC 8548: the Init message, then frames) from a recorded
 * layout (stream.h), never by guessing from segment sizes:
 *
 *   local stack --app bytes--> [seal into frames, keep them] --frames--> wire
 *   local stack <--app bytes-- [reassemble, open, verify]  <--frames-- wire
 *
 * Invariants (docs/design.md):
 *  1. after TCP-ENO succeeds, no application byte leaves unencrypted;
 *  2. no byte reaches the local stack before its frame's tag verified;
 *  3. a wire sequence number always carries the same byte: frames are
 *     sealed once, kept until acknowledged and retransmitted from the copy,
 *     whatever boundaries the local kernel's retransmission has;
 *  4. sequence, acknowledgement and SACK numbers are translated from the
 *     recorded layout;
 *  5. the local FIN leaves as FINp on the last frame; EOF reaches the local
 *     stack only with a verified FINp frame;
 *  6. every frame emitted has correct checksums.
 * A bad tag, a malformed frame, or anything the engine cannot carry safely
 * aborts the connection: RST to both sides, never a wrong byte delivered.
 */
#ifndef TC_ENGINE_CONN_H
#define TC_ENGINE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/algs.h"
#include "core/eno.h"
#include "core/frame.h"
#include "core/handshake.h"
#include "core/keysched.h"
#include "core/resume.h"
#include "core/rng.h"
#include "engine/seg.h"
#include "engine/stream.h"
#include "engine/tcpopt.h"

enum tc_side {
	TC_SIDE_WIRE = 0,	/* the network (same value as the daemon's XQ_WIRE) */
	TC_SIDE_HOST = 1,	/* the local stack (XQ_HOST) */
};

/* Where emitted frames go: buffers owned by the caller (UMEM in the daemon). */
struct tc_out {
	/* A buffer for one frame of at most len bytes to side to, or NULL. */
	uint8_t *(*get)(void *arg, enum tc_side to, uint32_t len);
	/* The frame in buf is complete with len bytes (0: buffer unused). */
	void (*put)(void *arg, enum tc_side to, uint8_t *buf, uint32_t len);
	void *arg;
	/*
	 * Data segments to the wire may leave with only the pseudo-header sum
	 * in their TCP checksum field (CHECKSUM_PARTIAL): the caller completes
	 * it, or has the device do it (GSO). Saves a pass over every payload.
	 */
	bool wire_csum_partial;
	/*
	 * The caller cuts wire segments the way GSO does (with
	 * wire_csum_partial): one frame put to the wire may then carry up to
	 * this many payload bytes, several segments' worth, with the segment
	 * size in its urgent pointer field (URG clear), as tc_egress marks the
	 * local stack's super-packets. 0: every segment on its own.
	 */
	uint32_t wire_gso_max;
	/*
	 * Optional, with wire_gso_max: send a wire super-segment at once from
	 * its headers hdr[0..hdr_len) and its payload, which points into the
	 * engine's copy of what it sent and is valid only during the call (so
	 * the bytes are not copied into a buffer from get() first). Returns 0,
	 * or a negative errno to have it go through get() and put() instead.
	 */
	int (*put_super)(void *arg, const uint8_t *hdr, uint32_t hdr_len,
			 const uint8_t *payload, uint32_t len);
};

#define TC_ENGINE_TEPS_MAX	4
#define TC_ENGINE_AEADS_MAX	3

/* Shared by every connection of a daemon, read-only once set up. */
struct tc_engine_cfg {
	const struct tc_algs *algs;
	struct tc_rng rng;	/* keys and nonces: the caller's randomness */
	bool rng_ready;		/* RFC 8548 section 8: no ENO option without it
				 * (tc_rng_seeded() in the daemon) */
	/* TEPs, lowest priority first (B picks the last valid one; A sends
	 * them in this order). Default: P-256, X25519 (X25519 preferred). */
	uint8_t teps[TC_ENGINE_TEPS_MAX];
	uint8_t n_teps;
	/* AEADs, most preferred first: A's offer order and B's preference. */
	uint16_t aeads[TC_ENGINE_AEADS_MAX];
	uint8_t n_aeads;
	uint32_t ooo_max;	/* out-of-order wire bytes held per connection */
	uint32_t hold_max;	/* application bytes held until keys exist */
	uint64_t rto_ns;	/* first retransmission timeout of our Init message */
	uint64_t keyx_timeout_ns;	/* key exchange not done by then: abort */
	uint32_t host_mtu;	/* largest IP datagram handed to the local stack */
	uint64_t rekey_bytes;	/* start a new key generation after this many
				 * bytes sealed (RFC 8548 3.8); 0: never */
	/*
	 * Key pairs made ahead of time, off the connection's critical path
	 * (tcpcryptd's key pool): 0 and a fresh pair for tep in *e, never
	 * handed out before; anything else and the engine makes one itself
	 * from rng. NULL: always itself. Called from the connection's thread.
	 */
	int (*take_key)(void *arg, uint8_t tep, struct tc_ecdh *e);
	void *take_key_arg;
	/*
	 * Session resumption (RFC 8548 3.5): the cache of next secrets
	 * ss[i+1] with each peer (keyed by its address), NULL: every session
	 * is a fresh key exchange. The daemon's pollers share one cache, so
	 * resume_lock/resume_unlock (NULL: none) bracket every use of it.
	 */
	struct tc_resume_cache *resume;
	void (*resume_lock)(void *arg);
	void (*resume_unlock)(void *arg);
	void *resume_arg;
};

/*
 * Data bytes a frame may hold: frames span as many whole wire segments as
 * fit (at least one). Fewer, larger frames cost less per byte (one AEAD
 * call, tag and record each); the receiver delivers a frame once all of it
 * arrived.
 */
#define TC_FRAME_DATA_TARGET	8192u

/* Fill cfg with the defaults (algs and rng left to the caller). */
void tc_engine_cfg_default(struct tc_engine_cfg *cfg);

/* Counters a poller keeps for all its connections (no atomics). */
struct tc_engine_stats {
	uint64_t eno_offered, eno_answered, eno_fallback, encrypted;
	uint64_t frames_sealed, frames_opened, bytes_sealed, bytes_opened;
	uint64_t frames_resent, init_resent, frames_repaired;
	uint64_t tag_failures, malformed, aborts, resets_lost_keys, urgent_refused;
	uint64_t ooo_segments, ooo_dropped, held_dropped, stale_dropped;
	uint64_t no_buffer, rekeys, rekeys_started;
	uint64_t keys_pooled;	/* key exchanges with a key pair made ahead */
	uint64_t keyx_idle;	/* ... whose ECDH B made in idle time, after its Init2 */
	uint64_t resume_offered;	/* SYNs that proposed a cached secret */
	uint64_t resume_accepted;	/* proposals we answered with our half */
	uint64_t resumed;	/* sessions keyed from a cached secret */
	uint64_t keys_early;	/* ... of them, by B while it waited for A's ACK */
};

enum tc_conn_state {
	TC_CONN_NEGOTIATING,	/* TCP-ENO in the SYN exchange */
	TC_CONN_KEYX,		/* ENO succeeded: Init1/Init2 in flight */
	TC_CONN_ENCRYPTED,	/* keys in both directions */
	TC_CONN_PLAIN,		/* ENO failed: plain TCP, stop steering */
	TC_CONN_ABORTED,	/* reset both ways; every later segment is answered with RST */
};

const char *tc_conn_state_str(enum tc_conn_state st);

/* Why a connection was aborted. */
enum tc_abort_reason {
	TC_ABORT_NONE = 0,
	TC_ABORT_TAG,		/* a frame failed authentication */
	TC_ABORT_MALFORMED,	/* malformed frame or Init message */
	TC_ABORT_KEYX,		/* key exchange failed (no common AEAD, bad key, ...) */
	TC_ABORT_KEYX_TIMEOUT,	/* key exchange did not finish in time */
	TC_ABORT_FIN,		/* a TCP FIN without a FINp frame */
	TC_ABORT_URGENT,	/* urgent data (not supported) */
	TC_ABORT_LOST_KEYS,	/* state lost (daemon restarted) */
	TC_ABORT_LOCAL,		/* the caller asked */
	TC_ABORT_NO_MEMORY,
	TC_ABORT_TEP_MANDATORY,	/* ENO failed where the application required it */
};

const char *tc_abort_reason_str(enum tc_abort_reason r);

/* What tcnetstat and libtcpcrypt show of a connection. */
struct tc_session_info {
	enum tc_conn_state state;
	enum tc_eno_role role;
	uint8_t tep;		/* negotiated TEP byte as B sent it (v bit included) */
	uint16_t aead;
	uint8_t peer_gopt;
	uint8_t local_gopt;
	uint8_t session_id[TC_SESSID_LEN];
	uint8_t transcript[TC_ENO_TRANSCRIPT_MAX];
	uint8_t transcript_len;
	bool have_session;
	bool resumed;		/* keyed from a cached secret (tep has v = 1) */
};

/*
 * An application's settings for one connection (draft-ietf-tcpinc-api:
 * TCP_ENO_ENABLED, TCP_ENO_TEPS, TCP_ENO_SELF_GOPT, TCP_ENO_AA_MANDATORY,
 * TCP_ENO_TEP_MANDATORY, TCP_CRYPT_ACONF/BCONF), set before its SYN.
 * Zero values mean "the daemon's default".
 */
struct tc_conn_opts {
	bool disabled;		/* TCP_ENO_ENABLED = 0: plain TCP */
	uint8_t teps[TC_ENGINE_TEPS_MAX];	/* lowest priority first; 0: default */
	uint8_t n_teps;
	uint16_t aeads[TC_ENGINE_AEADS_MAX];	/* most preferred first */
	uint8_t n_aeads;
	uint8_t gopt;		/* a (0x02) and, for simultaneous open, b (0x01) */
	bool aa_mandatory;	/* ENO fails unless the peer set a = 1 */
	bool tep_mandatory;	/* ENO fails: reset the connection, never plain */
	/* TC_RESUME_F_IGNORE: a fresh key exchange, never a cached secret;
	 * TC_RESUME_F_NOCACHE: nothing of this session is cached
	 * (TCP_CRYPT_CACHE_FLUSH before the SYN; RFC 8548 3.5) */
	uint8_t resume_flags;
};

struct tc_conn;

/*
 * A connection for a flow whose first segment is a SYN (from either side).
 * st may be shared by the connections of one poller. NULL on -ENOMEM.
 */
struct tc_conn *tc_conn_new(const struct tc_engine_cfg *cfg, struct tc_engine_stats *st);
/* Apply an application's settings; before the first SYN only (-EISCONN). */
int tc_conn_set_opts(struct tc_conn *c, const struct tc_conn_opts *o);
/*
 * A connection taken over from a daemon that died: its keys are gone, so it
 * is ABORTED from the start and answers every segment with a reset that the
 * sender accepts.
 */
struct tc_conn *tc_conn_new_lost(const struct tc_engine_cfg *cfg, struct tc_engine_stats *st);
void tc_conn_free(struct tc_conn *c);

/*
 * One frame from side from, parsed (s->kind == TC_SEG_TCP), at time now.
 * Whatever is to be sent goes out through out, and the input frame is not
 * forwarded, except when TC_CONN_FORWARD is returned (plain TCP: the
 * caller passes the frame on unchanged). Returns 0, TC_CONN_FORWARD, or a
 * negative errno for a frame it dropped (counted; the connection state
 * says whether it aborted).
 */
int tc_conn_input(struct tc_conn *c, enum tc_side from, const uint8_t *frame,
		  const struct tc_seg *s, uint64_t now, const struct tc_out *out);

/*
 * End of a batch: emit host-bound data held back to coalesce, and the one
 * ACK with SACK blocks that out-of-order or repeated wire data asked for.
 */
void tc_conn_flush(struct tc_conn *c, const struct tc_out *out);

/* Run timers due at now (Init retransmission, key-exchange deadline). */
void tc_conn_timer(struct tc_conn *c, uint64_t now, const struct tc_out *out);
/* Next time tc_conn_timer() has work, UINT64_MAX when none. */
uint64_t tc_conn_next_timer(const struct tc_conn *c);

/*
 * Answer a segment that belongs to no connection we know with the reset its
 * sender accepts (RFC 5961: seq = its acknowledgement), sent back to FROM;
 * both: the other side gets a reset too, as if the sender had sent it.
 * For ENO segments of a handshake whose state is gone.
 */
void tc_answer_rst(enum tc_side from, const uint8_t *frame, const struct tc_seg *s,
		   bool both, const struct tc_out *out, struct tc_engine_stats *st);

/* tc_conn_input() result: forward the input frame unchanged (plain TCP). */
#define TC_CONN_FORWARD	1

/* Reset both ways now (e.g. shutdown of a mandatory-encryption flow). */
void tc_conn_abort(struct tc_conn *c, enum tc_abort_reason why, const struct tc_out *out);

enum tc_conn_state tc_conn_state(const struct tc_conn *c);
enum tc_abort_reason tc_conn_abort_reason(const struct tc_conn *c);
/*
 * Both FINs exchanged, or a reset went by (possibly forged: a reset is not
 * authenticated): only the socket's end remains to wait for.
 */
bool tc_conn_closed(const struct tc_conn *c);
/*
 * Ended by the authenticated way only: the peer's FINp frame opened and our
 * FIN acknowledged. A SYN from the wire may then start a new connection on
 * the same ports; after a mere reset it must not (a forged RST then a forged
 * SYN would otherwise make a live connection plain).
 */
bool tc_conn_finished(const struct tc_conn *c);
/*
 * Finished, and nothing is left to resend or to redeliver (the keys are
 * gone): the local socket sends no more data and takes none. The shell may
 * forget such a connection before its TIME_WAIT ends when it needs room.
 */
bool tc_conn_done(const struct tc_conn *c);
/*
 * The peer has acknowledged our ISN (its SYN-ACK to our SYN, or its ACK of
 * our SYN-ACK), so its address is not forged: only then does a connection
 * deserve state that outlives a handshake (the shell's half-open limit).
 * Keys never exist before it; a connection aborted or fallen back before
 * it has nothing to protect.
 */
bool tc_conn_proven(const struct tc_conn *c);
/*
 * Would this segment from FROM make the connection proven? Lets the shell
 * commit its state before the segment's effects leave.
 */
bool tc_conn_proves(const struct tc_conn *c, enum tc_side from, const struct tc_seg *s);
/*
 * Forget what the resumption cache holds of this connection's session
 * (TCP_CRYPT_CACHE_FLUSH on an established connection, RFC 8548 3.5): the
 * number of secrets wiped, 0 when none.
 */
size_t tc_conn_resume_flush(struct tc_conn *c);
/*
 * Keys held now: from the key exchange (or a resumed session's first use)
 * until both directions are over, FINs and redelivery included, or an
 * abort. Then they are wiped, while the connection waits out TIME_WAIT;
 * its session details stay.
 */
bool tc_conn_has_keys(const struct tc_conn *c);
/*
 * Work no segment is waiting for, best done while the connection waits for
 * its peer: a resumed session's key schedule (which otherwise runs when a
 * frame or the session first needs it; at B, before ENO's success, ready
 * for it) and caching its next secret. The shell calls tc_conn_idle() when
 * it has nothing else to do (its output of the batch already sent); out
 * takes the resets of a failure (NULL: the connection's next segment is
 * answered with one).
 */
bool tc_conn_idle_due(const struct tc_conn *c);
void tc_conn_idle(struct tc_conn *c, uint64_t now, const struct tc_out *out);
/*
 * Session details; -ENOTCONN before keys (also while tc_conn_idle_due()),
 * -EINVAL when not encrypted.
 */
int tc_conn_session(const struct tc_conn *c, struct tc_session_info *info);

#endif
