/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP-ENO (RFC 8547): option parsing and building, negotiation decisions and
 * a small per-connection state machine. Pure: bytes and events in, option
 * bytes and decisions out. No allocation, no global state, no I/O.
 *
 * Layers, each usable alone:
 *   tc_eno_parse()       TCP options area -> struct tc_eno_parsed
 *   tc_eno_build_syn()   suboption list -> SYN-form option bytes
 *   tc_eno_check_gopt()  global suboptions -> role, or why ENO fails
 *   tc_eno_select()      A's and B's SYN options -> negotiated TEP
 *   tc_eno_syn_data()    what to do with data carried in a SYN
 *   struct tc_eno        per-connection state driven by sent/received
 *                        segment events (tc_eno_on_sent/tc_eno_on_recv)
 *
 * TEP-specific meaning (suboption data, repetition, SYN data) is plugged in
 * through struct tc_eno_tep_ops, so the tcpcrypt layer decides what its v=1
 * resumption data means without this file knowing about tcpcrypt.
 *
 * Driving the state machine from a segment engine:
 *
 *   active:  tc_eno_init(&e, &cfg, ops); tc_eno_set_local(&e, teps, n, room);
 *   passive: tc_eno_init(&e, &cfg{.passive}, ops); on the SYN:
 *            tc_eno_on_recv(&e, SYN, opts, len); then, if still negotiating,
 *            glt = tc_eno_pick(&e.peer, prefs, n, ops) and
 *            tc_eno_set_local(&e, &one_tep, 1, room)
 *   every segment out: len = tc_eno_next_option(&e, syn, &bytes); insert
 *            bytes[0..len); tc_eno_on_sent(&e, flags, len > 0)
 *   every segment in: tc_eno_on_recv(&e, flags, opts, len)
 *   then:    tc_eno_state(): ENABLED -> tc_eno_get_tep/get_role/transcript
 *            feed the TEP; DISABLED -> plain TCP (tc_eno_must_abort() first)
 */
#ifndef TC_ENO_H
#define TC_ENO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TC_ENO_KIND		69	/* IANA TCP option kind */
#define TC_ENO_EXP_KIND		253	/* RFC 6994 experimental option ... */
#define TC_ENO_EXP_EXID		0x454e	/* ... with the legacy ENO ExID */
#define TC_TFO_KIND		34	/* RFC 7413 TCP Fast Open */
#define TC_TFO_EXP_EXID		0xf989	/* TFO under kind 254 (pre-IANA) */
#define TC_TCP_OPT_MAX		40	/* TCP options area, bytes */

#define TC_ENO_GOPT_B		0x01	/* passive role bit */
#define TC_ENO_GOPT_A		0x02	/* application-aware bit */
#define TC_ENO_GOPT_Z		0x1c	/* reserved: send 0, ignore */
#define TC_ENO_GOPT_MAX		0x1f	/* 0x00-0x1f are global suboptions */
#define TC_ENO_TEP_MIN		0x20	/* glt >= 0x20 is a TEP identifier */
#define TC_ENO_V		0x80	/* v bit: suboption has data */
#define TC_ENO_LEN_BYTE		0x80	/* 100nnnnn: next suboption has nnnnn+1 */
#define TC_ENO_LEN_DATA_MAX	32	/* data bytes a length byte can give */
#define TC_ENO_SUBOPT_MAX	(TC_TCP_OPT_MAX - 2)
#define TC_ENO_TRANSCRIPT_MAX	(2 * TC_TCP_OPT_MAX)

/* Why ENO is not (or no longer) usable. TC_ENO_R_NONE means "fine". */
enum tc_eno_reason {
	TC_ENO_R_NONE = 0,
	TC_ENO_R_CONFIG,	/* disabled locally by configuration */
	TC_ENO_R_ABSENT,	/* no ENO option where one was required */
	TC_ENO_R_MALFORMED,	/* ill-formed SYN-form option (4.4) */
	TC_ENO_R_DUPLICATE,	/* more than one ENO option in a SYN (4.1) */
	TC_ENO_R_LEGACY,	/* only the 253/0x454E experimental form */
	TC_ENO_R_BOTH_FORMS,	/* kind 69 and 253/0x454E in one segment */
	TC_ENO_R_BAD_TCPOPT,	/* TCP option list itself is malformed */
	TC_ENO_R_SAME_B,	/* both hosts sent the same b bit (4.3) */
	TC_ENO_R_AA,		/* mandatory application-aware, peer a=0 */
	TC_ENO_R_VACUOUS,	/* a SYN option with no TEP at all (4.6) */
	TC_ENO_R_NO_TEP,	/* no valid TEP (4.5) */
	TC_ENO_R_CHANGED,	/* peer's SYN-form option changed (4.6) */
	TC_ENO_R_LOCAL_DROP,	/* we sent a segment without ENO */
	TC_ENO_R_PROTO,		/* impossible segment order for TCP */
	TC_ENO_R__COUNT
};

const char *tc_eno_reason_str(enum tc_eno_reason r);

/* One suboption; its data is opt->raw[off .. off + len). */
struct tc_eno_subopt {
	uint8_t byte;		/* TEP byte as on the wire, v bit included */
	uint8_t off;		/* offset of the data in raw[] */
	uint8_t len;		/* data bytes, 0 when none */
};

/*
 * A SYN-form ENO option, self-contained: raw[] is a copy of the option
 * exactly as on the wire (kind and length bytes included, for the
 * transcript); the suboptions point into it by offset.
 */
struct tc_eno_opt {
	uint8_t raw[TC_TCP_OPT_MAX];
	uint8_t raw_len;
	uint8_t gopt;		/* first global suboption, 0x00 if implicit */
	bool gopt_explicit;
	uint8_t n_teps;
	struct tc_eno_subopt teps[TC_ENO_SUBOPT_MAX];
};

static inline uint8_t tc_eno_glt(uint8_t byte)
{
	return byte & ~TC_ENO_V;
}

static inline const uint8_t *tc_eno_subopt_data(const struct tc_eno_opt *o,
						const struct tc_eno_subopt *s)
{
	return o->raw + s->off;
}

/* tc_eno_parsed.flags */
#define TC_ENO_P_TFO		0x01	/* non-empty TFO option present */
#define TC_ENO_P_LEGACY		0x02	/* 253/0x454E option present */
#define TC_ENO_P_BAD_TCPOPT	0x04	/* option list ended malformed */

struct tc_eno_parsed {
	uint8_t flags;		/* TC_ENO_P_* */
	uint8_t n_eno;		/* kind-69 options seen */
	uint8_t n_legacy;	/* 253/0x454E options seen */
	struct tc_eno_opt opt;	/* first ENO option; SYN-form only if syn */
};

/*
 * Parse a TCP options area (the bytes after the 20-byte TCP header, any
 * length; nothing past len is read). For a SYN the first ENO option is
 * parsed as SYN-form into p->opt; for a non-SYN segment only presence counts.
 * Returns TC_ENO_R_NONE when the segment carries a usable ENO option, else
 * the reason to act as if it carried none (TC_ENO_R_ABSENT when there is
 * simply no option 69). A list that is malformed at the TCP level (option
 * length < 2 or past the end) gives TC_ENO_R_BAD_TCPOPT: it cannot be
 * checked for a second ENO option, so it never counts as carrying ENO.
 */
enum tc_eno_reason tc_eno_parse(const uint8_t *opts, size_t len, bool syn,
				struct tc_eno_parsed *p);

/*
 * Parse one SYN-form ENO option (kind, length and contents, len == raw[1]).
 * Returns TC_ENO_R_NONE or TC_ENO_R_MALFORMED.
 */
enum tc_eno_reason tc_eno_parse_syn_opt(const uint8_t *raw, size_t len,
					struct tc_eno_opt *o);

/* A TEP suboption to build. */
struct tc_eno_tep_in {
	uint8_t byte;		/* glt 0x20-0x7f; v (0x80) may be set */
	const uint8_t *data;
	uint8_t len;		/* data bytes; > 0 forces v = 1 */
};

/*
 * Build a SYN-form ENO option into out (at most min(cap, 40) bytes):
 * kind 69, length, an explicit global suboption when gopt is non-zero or
 * explicit_gopt, then the TEPs in order. A TEP with data that is not last is
 * preceded by a length byte (1..32 data bytes); the last one's data runs to
 * the end of the option. Returns the option length, -EINVAL for bad input
 * (z bits set, glt < 0x20, unencodable data) or -ENOSPC when it does not fit.
 */
int tc_eno_build_syn(uint8_t gopt, bool explicit_gopt,
		     const struct tc_eno_tep_in *teps, size_t n,
		     uint8_t *out, size_t cap);

/* The non-SYN-form option: kind 69, N = 0. */
#define TC_ENO_NONSYN_LEN	2
extern const uint8_t tc_eno_nonsyn_opt[TC_ENO_NONSYN_LEN];

/*
 * Check an outgoing segment's options against the rules on what we send:
 * option 69 only (never 253/0x454E), at most one well-formed ENO option in
 * a SYN, no non-empty TFO and no data in a SYN+ENO (no TEP we negotiate
 * defines SYN data), non-SYN-form options with N = 0. 0 or -EPROTO.
 */
int tc_eno_check_tx(const uint8_t *opts, size_t len, bool syn,
		    size_t payload_len);

enum tc_eno_role {
	TC_ENO_ROLE_A = 0,	/* sent b = 0 */
	TC_ENO_ROLE_B = 1,	/* sent b = 1 */
};

/*
 * Roles from the two global suboptions (4.3): the local role, or
 * TC_ENO_R_SAME_B; TC_ENO_R_AA in mandatory application-aware mode when the
 * peer's a bit is 0.
 */
enum tc_eno_reason tc_eno_check_gopt(uint8_t local_gopt, uint8_t peer_gopt,
				     bool aa_mandatory, enum tc_eno_role *role);

/*
 * TEP-specific validity (4.5). Every callback may be NULL.
 *   data_ok:   is this suboption (its data, possibly none) valid for its
 *              TEP and current runtime constraints? peer says whether it came
 *              from the remote host's SYN. NULL accepts exactly the
 *              suboptions without data (v = 0).
 *   repeat_ok: one option lists glt more than once (n_plain with v = 0,
 *              n_data with v = 1): does the TEP define that? NULL: no.
 *   syn_data:  does the TEP define data in SYN segments? NULL: no (tcpcrypt
 *              defines none).
 */
struct tc_eno_tep_ops {
	bool (*data_ok)(uint8_t byte, const uint8_t *data, size_t len,
			bool peer, void *arg);
	bool (*repeat_ok)(uint8_t glt, unsigned int n_plain,
			  unsigned int n_data, void *arg);
	bool (*syn_data)(uint8_t glt, void *arg);
	void *arg;
};

struct tc_eno_sel {
	uint8_t glt;		/* negotiated TEP identifier, 0x20-0x7f */
	uint8_t byte;		/* glt with the v bit B sent it with */
	uint8_t b_idx;		/* index in B's teps[] of that suboption */
};

/*
 * The negotiated TEP (4.5): the last valid TEP identifier in B's option.
 * local_role says which option is ours (for data_ok's peer argument).
 * Returns TC_ENO_R_NONE with *sel filled, TC_ENO_R_VACUOUS when either
 * option has no TEP, TC_ENO_R_NO_TEP when none is valid.
 */
enum tc_eno_reason tc_eno_select(const struct tc_eno_opt *a,
				 const struct tc_eno_opt *b,
				 enum tc_eno_role local_role,
				 const struct tc_eno_tep_ops *ops,
				 struct tc_eno_sel *sel);

/*
 * For a passive opener building its SYN-ACK (B SHOULD offer one valid TEP):
 * the highest-priority glt of prefs[] (increasing priority) that A's option
 * offers validly, or -ENOENT.
 */
int tc_eno_pick(const struct tc_eno_opt *a, const uint8_t *prefs, size_t n,
		const struct tc_eno_tep_ops *ops);

/* SYN data decision (4.7). */
enum tc_eno_syn_data {
	TC_ENO_SYN_DATA_NONE,		/* the SYN has no data */
	TC_ENO_SYN_DATA_NOT_ENO,	/* no ENO option: plain TCP rules */
	TC_ENO_SYN_DATA_ACCEPT,		/* the negotiated TEP defines it */
	TC_ENO_SYN_DATA_DISCARD,	/* drop it, acknowledge only the ISN */
};

/*
 * What a receiver does with payload_len bytes in a SYN whose options parsed
 * into p (any parse result). negotiated_glt is the TEP negotiated for the
 * connection, 0 if ENO failed or is disabled (even by configuration: the
 * discard rule still applies). Discard unless the SYN TEP (last TEP in the
 * option) is the negotiated TEP, it defines SYN data, and no non-empty TFO
 * option is present. On DISCARD the receiver acknowledges ISN + 1 only and
 * takes data from non-SYN segments only.
 */
enum tc_eno_syn_data tc_eno_syn_data(const struct tc_eno_parsed *p,
				     enum tc_eno_reason parse_reason,
				     size_t payload_len, uint8_t negotiated_glt,
				     const struct tc_eno_tep_ops *ops);

/* The transcript (4.8): A's SYN option || B's SYN option, as on the wire. */
int tc_eno_transcript_of(const struct tc_eno_opt *a,
			 const struct tc_eno_opt *b, uint8_t *out, size_t cap);

/* ---- per-connection state machine ---- */

enum tc_eno_state {
	TC_ENO_NEGOTIATING,
	TC_ENO_ENABLED,
	TC_ENO_DISABLED,
};

struct tc_eno_cfg {
	bool enabled;		/* false: DISABLED(CONFIG) from the start */
	bool passive;		/* listening side: b forced to 1 */
	uint8_t gopt;		/* local a/b bits (z must be 0) */
	bool aa_mandatory;	/* disable unless the peer sets a = 1 */
	bool tep_mandatory;	/* tc_eno_must_abort() when ENO fails */
};

/* tcp_flags for the events, as in the TCP header */
#define TC_TCP_SYN		0x02
#define TC_TCP_ACK		0x10

struct tc_eno {
	const struct tc_eno_tep_ops *ops;
	struct tc_eno_opt local;	/* our SYN-form option, fixed once set */
	struct tc_eno_opt peer;		/* the peer's SYN-form option */
	uint8_t gopt;
	bool passive, aa_mandatory, tep_mandatory;
	bool have_local, have_peer, have_sel;
	bool sent_syn;			/* local option is frozen */
	bool rcvd_first_ack;		/* received an ACK segment */
	bool sent_ack_eno, rcvd_ack_eno;
	bool rcvd_nonsyn;		/* stop sending ENO */
	enum tc_eno_state state;
	enum tc_eno_reason reason;
	enum tc_eno_role role;
	struct tc_eno_sel sel;
};

/*
 * ops may be NULL; it must outlive e. Returns 0 or -EINVAL (bad cfg, and e
 * is then DISABLED).
 */
int tc_eno_init(struct tc_eno *e, const struct tc_eno_cfg *cfg,
		const struct tc_eno_tep_ops *ops);

/* Set b = 1 (simultaneous open) or a before the SYN: 0 or -EISCONN. */
int tc_eno_set_gopt(struct tc_eno *e, uint8_t gopt);

/*
 * Our SYN-form option, built once from the TEP list with the local global
 * suboption (explicit when non-zero, always for a passive opener) and kept
 * byte-identical for every SYN/SYN-ACK retransmission. An active opener
 * sets it before its SYN; a passive one after the peer's SYN (typically one
 * TEP chosen with tc_eno_pick()). cap limits its size (TCP option space left).
 * 0, -EISCONN after a SYN went out, -EINVAL when the list repeats a TEP in
 * a way ops->repeat_ok does not allow (without it: any repetition), or
 * tc_eno_build_syn()'s errors.
 */
int tc_eno_set_local(struct tc_eno *e, const struct tc_eno_tep_in *teps,
		     size_t n, size_t cap);

/*
 * The ENO option to put in the next outgoing segment: SYN-form for a SYN,
 * the non-SYN form until a non-SYN segment was received (and, while
 * negotiating, until an ACK with ENO was sent), none once disabled.
 * Returns its length (0: none) with *opt set, or -EAGAIN for a
 * SYN before tc_eno_set_local().
 */
int tc_eno_next_option(const struct tc_eno *e, bool syn, const uint8_t **opt);

/*
 * A segment with tcp_flags went out, with or without the option
 * tc_eno_next_option() gave. Sending without it while negotiating disables
 * ENO (the allowed case: an active opener dropping ENO from a retransmitted
 * SYN). Returns 0, -EINVAL (with_eno while disabled, or a SYN without a
 * local option) or -EPROTO (ENO left out once enabled: a caller bug).
 */
int tc_eno_on_sent(struct tc_eno *e, unsigned int tcp_flags, bool with_eno);

/*
 * A segment with tcp_flags and TCP options area opts[len] was received.
 * Returns 0; the outcome is in tc_eno_state()/tc_eno_reason().
 */
int tc_eno_on_recv(struct tc_eno *e, unsigned int tcp_flags,
		   const uint8_t *opts, size_t len);

/*
 * Only our own ACK with ENO is missing: the peer's SYN-ACK chose *sel, and
 * we play *role. Sending that ACK (tc_eno_on_sent()) enables ENO.
 */
bool tc_eno_ack_enables(const struct tc_eno *e, enum tc_eno_role *role,
			struct tc_eno_sel *sel);

/* Give up locally (e.g. administrative): -EISCONN once enabled, -EINVAL
 * for TC_ENO_R_NONE. */
int tc_eno_disable(struct tc_eno *e, enum tc_eno_reason why);

static inline enum tc_eno_state tc_eno_state(const struct tc_eno *e)
{
	return e->state;
}

static inline enum tc_eno_reason tc_eno_reason(const struct tc_eno *e)
{
	return e->reason;
}

/* Mandatory-TEP mode and ENO failed: the connection must be aborted. */
static inline bool tc_eno_must_abort(const struct tc_eno *e)
{
	return e->tep_mandatory && e->state == TC_ENO_DISABLED;
}

/*
 * Accessors. -ENOTCONN while still negotiating (or, for the peer's global
 * suboption, before the peer's SYN option was seen), -EINVAL when ENO is
 * disabled.
 */
int tc_eno_get_role(const struct tc_eno *e, enum tc_eno_role *role);
int tc_eno_get_tep(const struct tc_eno *e, struct tc_eno_sel *sel);
int tc_eno_peer_gopt(const struct tc_eno *e, uint8_t *gopt);
/* Transcript length into out (cap >= its length) or -ENOTCONN/-EINVAL/-ENOSPC. */
int tc_eno_transcript(const struct tc_eno *e, uint8_t *out, size_t cap);

#endif
