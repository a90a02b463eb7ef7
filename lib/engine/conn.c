// SPDX-License-Identifier: GPL-2.0
/*
 * The tcpcrypt segment engine (see conn.h for the model and invariants).
 *
 * Offsets: every position is a 64-bit offset from ISN + 1 of its direction,
 * signed where a position can precede the first data byte (the SYN is at
 * -1, a keepalive probe at snd_una - 1). "app" offsets are the local
 * kernels' view, "frm" offsets the wire's; the struct tc_frames records of
 * each direction map one to the other, frame by frame.
 *
 *   tx: the local kernel's stream, sealed into frames we keep until the
 *       wire acknowledges them (retransmissions come from that copy);
 *   rx: the peer's framing stream, reassembled, opened, and its data handed
 *       to the local kernel; records kept until the kernel acknowledges.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "engine/conn.h"

#define TMPL_MAX	(14 + 8 + 40 + 8 * 8)	/* L2 + VLANs + IPv6 + ext headers */
#define MSS_DEFAULT	536			/* RFC 9293 3.7.1 */
#define RTO_MAX_NS	(8ull * 1000000000ull)
#define NSEC		1000000000ull

/* L2 + L3 headers and ports of a frame, replayed for the frames we make. */
struct tmpl {
	uint8_t b[TMPL_MAX];
	uint16_t l3_off, l4_off;
	uint8_t family, alen;
	uint16_t saddr_off, daddr_off;
	uint16_t sport, dport;
	uint16_t ip_id;		/* IPv4: identification for the next frame */
	bool valid;
};

/* Host-bound data held back until the end of a batch, to coalesce. */
struct pend {
	uint8_t *buf;		/* from tc_out get(), TC_SIDE_HOST; NULL: none */
	uint32_t cap;		/* payload bytes that fit */
	uint16_t hdr_len;	/* the payload starts here */
	uint32_t len;		/* payload bytes */
	uint8_t flags;
	uint8_t tos;
	uint32_t ack;
	uint16_t win;
	bool ts;
	uint32_t tsval, tsecr;
	bool sack;		/* the header carries SACK blocks: nothing joins it */
};

struct tx_dir {
	struct tc_frames fr;	/* frames sent and not yet acknowledged */
	struct tc_bytes by;	/* their bytes, as sent */
	uint64_t app_next;	/* application bytes framed */
	uint64_t frm_next;	/* end of the last frame */
	uint64_t app_base;	/* the records dropped so far end here ... */
	uint64_t frm_base;	/* ... and here */
	uint64_t frm_una;	/* highest acknowledgement from the wire */
	bool fin;		/* the FINp frame exists */
	uint64_t init_len;	/* our Init message (frame record 0) */
	bool init_sent;
	uint8_t *hold;		/* application bytes held until keys exist */
	uint32_t hold_len, hold_cap;
	bool hold_fin;
	uint64_t rto, rto_at;	/* our Init message's retransmission */
	uint64_t ack_sent;	/* acknowledgement in the last segment to the wire */
	bool ack_due;		/* an ACK (with SACK blocks) to send at the batch's end */
	uint16_t frame_data;	/* data bytes per frame: one frame fills a segment */
	uint64_t rekey_at;	/* sealed byte count that starts the next generation */
	uint64_t sealed;	/* data bytes sealed so far */
	/* head repair (see repair_head) */
	uint64_t sack_lo;	/* the latest ACK's lowest SACK block above frm_una, or 0 */
	uint64_t rack_sent;	/* latest transmission the peer has SACKed ... */
	uint64_t rack_end;	/* ... the end of its frame (ties: RFC 8985 6.2) ... */
	uint64_t rack_rtt;	/* ... and its round trip */
	uint64_t ack_rtt;	/* smoothed round trip of cumulative acknowledgements */
	uint64_t repair_at;	/* when the head frame counts as lost, or 0 */
};

struct rx_dir {
	struct tc_frames fr;	/* frames opened, from the kernel's ACK point on */
	struct tc_reasm reasm;
	struct tc_ooo ooo;
	uint64_t frm_next;	/* wire bytes received in order */
	uint64_t app_next;	/* application bytes delivered */
	uint64_t app_base, frm_base;
	uint64_t init_len;	/* the peer's Init message, once complete */
	bool init_done;
	bool fin;		/* FINp frame opened: EOF delivered */
	uint64_t fin_frm;	/* where that frame ends: the FIN's number */
	bool wire_fin;		/* a TCP FIN arrived at wire_fin_frm */
	uint64_t wire_fin_frm;
	int64_t host_ack;	/* the local kernel's acknowledgement (app) */
	uint64_t ack_host;	/* acknowledgement last delivered to the kernel */
	uint16_t win_host;
	bool host_sent;
};

struct tc_conn {
	const struct tc_engine_cfg *cfg;
	struct tc_engine_stats *st;
	struct tc_conn_opts opts;
	enum tc_conn_state state;
	enum tc_abort_reason why;
	bool syn_l, syn_r;	/* local / remote SYN seen */
	bool active;		/* the local kernel opened (sent the first SYN) */
	uint32_t isn_l, isn_r;
	bool rst;		/* a reset went by */
	bool proven;		/* the peer acknowledged our ISN: its address is real */

	struct tc_eno eno;
	struct tc_eno_tep_ops eno_ops;
	uint16_t mss_l, mss_r;	/* MSS options of the SYNs, as on the wire */
	bool ts_ok;		/* timestamps in both SYNs */
	uint16_t mss_wire;	/* payload limit of our wire segments, options excluded */

	struct tc_hs *hs;	/* the key exchange, while it runs (a fresh session) */
	struct tc_keys keys;
	bool have_keys;		/* keys to seal and open with */
	bool had_keys;		/* ... once: the session stays listed */
	bool keys_due;		/* B's ECDH or a resumed key schedule waits (need_keys) */
	bool spec_tried;	/* B: keys made before ENO's success (spec_due) */
	bool cache_due;		/* resumed: ss[i+1] waits for tc_conn_idle */
	uint16_t aead;
	uint8_t tep_byte;
	uint8_t session_id[TC_SESSID_LEN];
	uint8_t transcript[TC_ENO_TRANSCRIPT_MAX];
	uint8_t transcript_len;
	uint64_t syn_at, rtt, keyx_deadline;
	/* resumption (RFC 8548 3.5): the attempt in flight, the peer's
	 * address that keys the cache, and the chain this session continues */
	struct tc_resume_ticket *rt;
	uint8_t peer[18];	/* address, then the service's port */
	uint8_t peer_len;
	uint64_t chain;

	uint32_t tsval_l, tsval_r;	/* latest timestamps from each side */
	uint16_t win_l;			/* the local kernel's latest window */
	uint8_t ws_l;			/* our kernel's SYN's window scale (A), 0: none */
	bool ws_r;			/* the peer's SYN had window scaling */
	bool ack_early;			/* our ACK of the SYN-ACK went first */
	uint8_t tos_l;

	struct tx_dir tx;
	struct rx_dir rx;
	struct pend pend;
	struct tmpl tw;		/* frames to the wire, from a local frame */
	struct tmpl th;		/* frames to the host, from a wire frame */
	uint8_t *scratch;	/* plaintext with nowhere to go (no buffer) */
	const struct tc_out *out;	/* during one call */
	uint64_t now;
};

static const char *const state_names[] = {
	[TC_CONN_NEGOTIATING] = "negotiating",
	[TC_CONN_KEYX] = "key-exchange",
	[TC_CONN_ENCRYPTED] = "encrypted",
	[TC_CONN_PLAIN] = "plain",
	[TC_CONN_ABORTED] = "aborted",
};

const char *tc_conn_state_str(enum tc_conn_state st)
{
	return st <= TC_CONN_ABORTED ? state_names[st] : "?";
}

static const char *const abort_names[] = {
	[TC_ABORT_NONE] = "none",
	[TC_ABORT_TAG] = "tag",
	[TC_ABORT_MALFORMED] = "malformed",
	[TC_ABORT_KEYX] = "key-exchange",
	[TC_ABORT_KEYX_TIMEOUT] = "key-exchange-timeout",
	[TC_ABORT_FIN] = "fin-without-finp",
	[TC_ABORT_URGENT] = "urgent-data",
	[TC_ABORT_LOST_KEYS] = "lost-keys",
	[TC_ABORT_LOCAL] = "local",
	[TC_ABORT_NO_MEMORY] = "no-memory",
	[TC_ABORT_TEP_MANDATORY] = "encryption-required",
};

const char *tc_abort_reason_str(enum tc_abort_reason r)
{
	return r <= TC_ABORT_TEP_MANDATORY ? abort_names[r] : "?";
}

void tc_engine_cfg_default(struct tc_engine_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->teps[0] = 0x21;		/* P-256 */
	cfg->teps[1] = 0x23;		/* X25519: last, so preferred by B */
	cfg->n_teps = 2;
	cfg->aeads[0] = TC_AEAD_AES_128_GCM;
	cfg->aeads[1] = TC_AEAD_AES_256_GCM;
	cfg->aeads[2] = TC_AEAD_CHACHA20_POLY1305;
	cfg->n_aeads = 3;
	cfg->ooo_max = 4u << 20;
	cfg->hold_max = 256u << 10;
	cfg->rto_ns = 200ull * 1000000ull;
	cfg->keyx_timeout_ns = 30 * NSEC;
	cfg->host_mtu = 1500;
}

/* ---- sequence numbers ---- */

/* The offset of seq from ISN + 1 that lies closest to ref. */
static int64_t seq_off(uint32_t seq, uint32_t isn, int64_t ref)
{
	return ref + (int32_t)(seq - (uint32_t)(isn + 1 + (uint32_t)ref));
}

static uint32_t off_seq(uint32_t isn, int64_t off)
{
	return isn + 1 + (uint32_t)off;
}

static uint64_t rec_app_end(const struct tc_frame_rec *r)
{
	return r->app + r->app_len;
}

static uint64_t rec_frm_end(const struct tc_frame_rec *r)
{
	return r->frm + r->frm_len;
}

/* ---- translation, tx direction (our stream) ---- */

/* A wire acknowledgement (frm) as the local kernel must see it (app). */
static int64_t tx_ack_to_app(const struct tc_conn *c, int64_t f)
{
	const struct tx_dir *t = &c->tx;
	uint32_t i;

	if (f >= (int64_t)t->frm_next)
		return t->app_next + (f - t->frm_next);	/* all, and our FIN */
	if (f <= (int64_t)t->frm_base)
		return (int64_t)t->app_base - ((int64_t)t->frm_base - f);
	i = tc_frames_after_frm(&t->fr, f);
	if (!i)
		return t->app_base;	/* inside the first unacknowledged frame */
	return rec_app_end(tc_frames_at(&t->fr, i - 1));
}

/* Where a position of the local kernel's stream (app) is on the wire. */
static int64_t tx_pos_to_frm(const struct tc_conn *c, int64_t a)
{
	const struct tx_dir *t = &c->tx;
	const struct tc_frame_rec *r;
	uint32_t i;

	/* beyond what was framed: bytes held or dropped are not on the wire;
	 * only our FIN's sequence number follows the last frame */
	if (a >= (int64_t)t->app_next)
		return t->frm_next + (t->fin && a > (int64_t)t->app_next ? 1 : 0);
	if (a < (int64_t)t->app_base)
		return (int64_t)t->frm_base - ((int64_t)t->app_base - a);
	i = tc_frames_after_app(&t->fr, a);
	if (i == t->fr.n)
		return t->frm_next;
	r = tc_frames_at(&t->fr, i);
	/* at or before a frame's data: count back from its start (snd_una - 1) */
	if (a <= (int64_t)r->app)
		return (int64_t)r->frm - ((int64_t)r->app - a);
	return r->frm;
}

/* ---- translation, rx direction (the peer's stream) ---- */

/* The local kernel's acknowledgement (app) as the wire must see it (frm). */
static int64_t rx_app_to_frm(const struct tc_conn *c, int64_t a)
{
	const struct rx_dir *r = &c->rx;
	const struct tc_frame_rec *rec;
	uint32_t i;

	/* the peer's FIN follows its FINp frame */
	if (r->fin && a > (int64_t)r->app_next)
		return r->fin_frm + (a - r->app_next);
	if (a <= (int64_t)r->app_base)
		return (int64_t)r->frm_base - ((int64_t)r->app_base - a);
	i = tc_frames_after_app(&r->fr, a);
	if (!i)
		return r->frm_base;	/* inside a frame: acknowledge up to its start */
	rec = tc_frames_at(&r->fr, i - 1);
	return rec_frm_end(rec);
}

/* Where a position of the peer's framing stream (frm) is for the local kernel. */
static int64_t rx_pos_to_app(const struct tc_conn *c, int64_t f)
{
	const struct rx_dir *r = &c->rx;
	const struct tc_frame_rec *rec;
	uint64_t opened = r->fr.n ? rec_frm_end(tc_frames_last(&r->fr)) : r->frm_base;
	uint32_t i;

	if (f >= (int64_t)opened)
		return r->app_next + (f > (int64_t)r->frm_next ? f - r->frm_next : 0);
	if (f < (int64_t)r->frm_base)
		return (int64_t)r->app_base - ((int64_t)r->frm_base - f);
	i = tc_frames_after_frm(&r->fr, f);
	rec = tc_frames_at(&r->fr, i);
	/* the last byte of a frame: one before the next application position */
	if (f == (int64_t)rec_frm_end(rec) - 1)
		return (int64_t)rec_app_end(rec) - 1;
	return rec->app;
}

/* The acknowledgement our wire segments carry (frm). */
static int64_t rx_wire_ack(const struct tc_conn *c)
{
	int64_t f;

	/* the peer's Init message is ours: acknowledged as it arrives */
	if (!c->rx.init_done)
		return c->rx.frm_next;
	f = rx_app_to_frm(c, c->rx.host_ack);
	return f < (int64_t)c->rx.init_len ? (int64_t)c->rx.init_len : f;
}

/* The TEPs and AEADs of this connection: the application's, else the daemon's. */
static const uint8_t *conn_teps(const struct tc_conn *c, unsigned int *n)
{
	if (c->opts.n_teps) {
		*n = c->opts.n_teps;
		return c->opts.teps;
	}
	*n = c->cfg->n_teps;
	return c->cfg->teps;
}

static const uint16_t *conn_aeads(const struct tc_conn *c, unsigned int *n)
{
	if (c->opts.n_aeads) {
		*n = c->opts.n_aeads;
		return c->opts.aeads;
	}
	*n = c->cfg->n_aeads;
	return c->cfg->aeads;
}

/* ---- TEP validity for ENO: the tcpcrypt TEPs we run, fresh exchange only ---- */

static bool tep_data_ok(uint8_t byte, const uint8_t *data, size_t len, bool peer,
			void *arg)
{
	struct tc_conn *c = arg;
	uint8_t glt = tc_eno_glt(byte), half[TC_RESUME_HALF], nonce[TC_RESUME_NONCE_MAX];
	unsigned int i, n;
	const uint8_t *teps = conn_teps(c, &n);
	size_t nlen;

	for (i = 0; i < n; i++)
		if (teps[i] == glt)
			break;
	if (i == n || !tc_tep_info(glt))
		return false;
	if (!(byte & TC_ENO_V))
		return !len;
	/* v = 1: resumption (RFC 8548 3.5). Ours names the ticket we hold. */
	if (!peer)
		return c->rt && c->rt->tep == glt;
	/* B's answer: its half of resume[i] must be the one we expect (a
	 * mismatch MUST be ignored); fewer than 9 bytes would mean a fresh
	 * exchange under a v = 1 byte, which no B has reason to send */
	if (c->active)
		return c->rt && c->rt->tep == glt &&
		       !tc_resume_check_reply(c->rt, data, len);
	/* A's offer implies a fresh one for the same TEP (3.2); more than
	 * 17 bytes is no valid suboption */
	return tc_resume_decode(data, len, half, nonce, &nlen) >= 0;
}

/* ---- session resumption (RFC 8548 3.5): the cache is the caller's ---- */

static void resume_lock(const struct tc_conn *c)
{
	if (c->cfg->resume_lock)
		c->cfg->resume_lock(c->cfg->resume_arg);
}

static void resume_unlock(const struct tc_conn *c)
{
	if (c->cfg->resume_unlock)
		c->cfg->resume_unlock(c->cfg->resume_arg);
}

/*
 * Chains are kept per peer address and service: the address, then the
 * passive opener's port (the SYN's destination port either way). A
 * service's settings (its TEPs and AEADs, by local port) made the chain;
 * a chain from another port could propose a TEP this one refuses, and
 * the proposal is all the SYN has room for. dst: the peer is the SYN's
 * destination (we open).
 */
static void set_peer(struct tc_conn *c, const struct tc_seg *s, bool dst)
{
	memcpy(c->peer, dst ? s->daddr : s->saddr, s->alen);
	tc_put16(c->peer + s->alen, s->dport);
	c->peer_len = s->alen + 2;
}

static bool resume_usable(const struct tc_conn *c)
{
	return c->cfg->resume && !(c->opts.resume_flags & TC_RESUME_F_IGNORE);
}

/* The cached session's AEAD is reused: only if this connection allows it. */
static bool aead_allowed(const struct tc_conn *c, uint16_t aead)
{
	unsigned int i, n;
	const uint16_t *l = conn_aeads(c, &n);

	for (i = 0; i < n; i++)
		if (l[i] == aead)
			return true;
	return false;
}

/* An attempt that did not key the session: its i stays used (3.5). */
static void resume_drop(struct tc_conn *c)
{
	if (!c->rt)
		return;
	resume_lock(c);
	tc_resume_abandon(c->cfg->resume, c->rt, c->opts.resume_flags, c->now);
	resume_unlock(c);
	free(c->rt);
	c->rt = NULL;
}

/*
 * The ticket just taken (err 0) becomes our SYN-form option, its only
 * suboption: TEP | v, our half of resume[i], our nonce, in room bytes. Its
 * AEAD is reused, so this connection must allow it; else, on err, or when
 * it does not fit, the attempt ends here (its i stays used) and the caller
 * offers a fresh exchange.
 */
static int resume_suboption(struct tc_conn *c, int err, size_t room)
{
	uint8_t data[TC_RESUME_DATA_MAX];
	struct tc_eno_tep_in tep;
	int len;

	if (!err && !aead_allowed(c, c->rt->aead))
		err = -ENOENT;
	len = err ? err : tc_resume_encode(c->rt, data, sizeof(data));
	if (len >= 0) {
		tep = (struct tc_eno_tep_in){ .byte = c->rt->tep | TC_ENO_V, .data = data,
					      .len = (uint8_t)len };
		len = tc_eno_set_local(&c->eno, &tep, 1, room);
	}
	if (len < 0) {
		resume_drop(c);
		return len;
	}
	return 0;
}

/*
 * A: the SYN proposes the lowest unused secret of the most recent chain
 * with this peer, for the most preferred TEP that has one. Only that
 * suboption fits beside the kernel's options (2 + 18 of 20-21 bytes); it
 * implies a fresh offer of the same TEP (3.2).
 */
static int resume_offer(struct tc_conn *c, size_t room)
{
	unsigned int n, i;
	const uint8_t *tl = conn_teps(c, &n);
	int err = -ENOENT;

	if (!resume_usable(c))
		return -ENOENT;
	c->rt = calloc(1, sizeof(*c->rt));
	if (!c->rt)
		return -ENOMEM;
	resume_lock(c);
	for (i = n; i-- > 0 && err;)
		err = tc_resume_take(c->cfg->resume, c->peer, c->peer_len, tl[i],
				     c->opts.resume_flags, c->now, &c->cfg->rng, c->rt);
	resume_unlock(c);
	return resume_suboption(c, err, room);
}

/*
 * B: A proposed resuming for glt, the TEP we picked. Answer with our half
 * if the secret is ours and unused; else a fresh exchange (v = 0).
 */
static int resume_answer(struct tc_conn *c, uint8_t glt, size_t room)
{
	const struct tc_eno_opt *a = &c->eno.peer;
	unsigned int i;
	int err;

	if (!resume_usable(c))
		return -ENOENT;
	for (i = 0; i < a->n_teps; i++)
		if (a->teps[i].byte == (glt | TC_ENO_V))
			break;
	if (i == a->n_teps)
		return -ENOENT;
	c->rt = calloc(1, sizeof(*c->rt));
	if (!c->rt)
		return -ENOMEM;
	resume_lock(c);
	err = tc_resume_match(c->cfg->resume, c->peer, c->peer_len, glt,
			      tc_eno_subopt_data(a, &a->teps[i]), a->teps[i].len,
			      c->opts.resume_flags, c->now, &c->cfg->rng, c->rt);
	resume_unlock(c);
	return resume_suboption(c, err, room);
}

/* A fresh session's ss[1] starts a chain with this peer. */
static void resume_cache_fresh(struct tc_conn *c, const struct tc_hs_result *res)
{
	if (!c->cfg->resume || (c->opts.resume_flags & TC_RESUME_F_NOCACHE))
		return;
	resume_lock(c);
	tc_resume_put_next(c->cfg->resume, c->peer, c->peer_len, tc_eno_glt(res->tep_byte),
			   res->aead, (enum tc_role)res->orig_role, res->ss_next, 1, 0,
			   c->now, &c->chain);
	resume_unlock(c);
}

size_t tc_conn_resume_flush(struct tc_conn *c)
{
	size_t n = 0;

	if (c->rt) {
		/* the chain is in our ticket alone: its next secret is not kept */
		c->opts.resume_flags |= TC_RESUME_F_NOCACHE;
		return 1;
	}
	if (!c->cfg->resume || !c->chain)
		return 0;
	resume_lock(c);
	n = tc_resume_flush_chain(c->cfg->resume, c->chain);
	resume_unlock(c);
	c->chain = 0;
	return n;
}

/* ---- frames we build ---- */

static void tmpl_set(struct tmpl *t, const uint8_t *frame, const struct tc_seg *s)
{
	if (s->l4_off > TMPL_MAX)
		return;
	memcpy(t->b, frame, s->l4_off);
	t->l3_off = s->l3_off;
	t->l4_off = s->l4_off;
	t->family = s->family;
	t->alen = s->alen;
	t->saddr_off = s->saddr - frame;
	t->daddr_off = s->daddr - frame;
	t->sport = s->sport;
	t->dport = s->dport;
	if (s->family == AF_INET)
		t->ip_id = tc_get16(frame + s->l3_off + 4);
	t->valid = true;
}

/* The same headers for the other direction. */
/* d may be s: everything is read from a copy */
static void tmpl_reverse(struct tmpl *d, const struct tmpl *s)
{
	struct tmpl o = *s;

	*d = o;
	memcpy(d->b, o.b + 6, 6);
	memcpy(d->b + 6, o.b, 6);
	memcpy(d->b + d->saddr_off, o.b + o.daddr_off, o.alen);
	memcpy(d->b + d->daddr_off, o.b + o.saddr_off, o.alen);
	d->sport = o.dport;
	d->dport = o.sport;
}

/* Headers of a TCP segment of tcp_len bytes; returns the TCP header. */
static uint8_t *build_hdr(struct tmpl *t, uint8_t *out, uint32_t tcp_len, uint8_t tos,
			  uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
			  const uint8_t *opts, int optlen)
{
	uint8_t *ip = out + t->l3_off, *th = out + t->l4_off;

	memcpy(out, t->b, t->l4_off);
	if (t->family == AF_INET) {
		tc_put16(ip + 2, t->l4_off - t->l3_off + tcp_len);
		ip[1] = tos;
		tc_put16(ip + 4, t->ip_id++);
	} else {
		tc_put16(ip + 4, t->l4_off - t->l3_off - 40 + tcp_len);
		ip[0] = (ip[0] & 0xf0) | tos >> 4;
		ip[1] = (ip[1] & 0x0f) | (uint8_t)(tos << 4);
	}
	tc_put16(th, t->sport);
	tc_put16(th + 2, t->dport);
	tc_put32(th + 4, seq);
	tc_put32(th + 8, ack);
	th[12] = (uint8_t)(((TC_TCP_HLEN + optlen) / 4) << 4);
	th[13] = flags;
	tc_put16(th + 14, win);
	memset(th + 16, 0, 4);
	if (optlen)
		memcpy(th + TC_TCP_HLEN, opts, optlen);
	return th;
}

/*
 * Checksums, once the payload is in. PARTIAL: the TCP checksum field gets
 * the pseudo-header sum only, for the device to complete (CHECKSUM_PARTIAL).
 */
static void finish_frame(const struct tmpl *t, uint8_t *out, uint32_t tcp_len, bool partial)
{
	uint8_t *th = out + t->l4_off;
	uint64_t sum = tc_csum_pseudo(out + t->saddr_off, out + t->daddr_off, t->alen,
				      tcp_len);

	if (partial)
		tc_put16(th + 16, tc_csum_fold(sum));
	else
		tc_put16(th + 16, ~tc_csum_fold(tc_csum_add(sum, th, tcp_len)));
	if (t->family == AF_INET) {
		uint8_t *ip = out + t->l3_off;

		ip[10] = ip[11] = 0;
		tc_put16(ip + 10, ~tc_csum_fold(tc_csum_add(0, ip, (ip[0] & 0xf) * 4)));
	}
}

/* Options of a segment we send to the wire outside the SYN exchange. */
static int wire_opts(struct tc_conn *c, uint8_t out[TC_OPT_SPACE], bool *with_eno)
{
	struct tc_sack_block sack[TC_SACK_MAX];
	uint64_t s[TC_SACK_MAX], e[TC_SACK_MAX];
	struct tc_tcpopt_out w = { 0 };
	const uint8_t *eno = NULL;
	unsigned int n, i;
	int len = 0;

	if (c->ts_ok) {
		w.ts = true;
		w.tsval = c->tsval_l;
		w.tsecr = c->tsval_r;
	}
	if (c->state == TC_CONN_NEGOTIATING || c->state == TC_CONN_KEYX ||
	    c->state == TC_CONN_ENCRYPTED)
		len = tc_eno_next_option(&c->eno, false, &eno);
	if (len > 0) {
		w.extra = eno;
		w.extra_len = len;
	}
	*with_eno = len > 0;
	n = tc_ooo_ranges(&c->rx.ooo, s, e, TC_SACK_MAX);
	for (i = 0; i < n; i++) {
		sack[i].start = off_seq(c->isn_r, s[i]);
		sack[i].end = off_seq(c->isn_r, e[i]);
	}
	w.nsack = n;
	w.sack = sack;
	return tc_tcpopt_write(&w, out);
}

/* Payload room in a wire segment with optlen bytes of options. */
static uint32_t room_after(const struct tc_conn *c, int optlen)
{
	return c->mss_wire > optlen + 1 ? c->mss_wire - optlen : 1;
}

/*
 * One segment to the wire: seq (frm offset), payload, flags (ACK added);
 * the acknowledgement, window and options are the connection's current
 * ones. Returns 0 or -ENOBUFS.
 */
static int send_wire(struct tc_conn *c, int64_t frm, const uint8_t *payload, uint32_t n,
		     uint8_t flags)
{
	uint8_t opts[TC_OPT_SPACE], *buf, *th;
	int64_t ack = rx_wire_ack(c);
	bool eno;
	int optlen = wire_opts(c, opts, &eno);
	uint32_t tcp_len, room, seq = off_seq(c->isn_l, frm), ack_seq = off_seq(c->isn_r, ack);
	/* ECT only on data (RFC 3168 6.1.4: not on pure ACKs or resets) */
	uint8_t tos = n && !(flags & TC_TH_RST) ? c->tos_l : c->tos_l & ~3;

	if (optlen < 0)
		optlen = 0;
	room = room_after(c, optlen);
	tcp_len = TC_TCP_HLEN + optlen + n;
	if (!(flags & TC_TH_RST) || (flags & TC_TH_ACK))
		flags |= TC_TH_ACK;
	if (n > room && c->out->put_super) {
		/* a super-segment straight from our copy: headers only here */
		uint8_t hb[TMPL_MAX + TC_TCP_HLEN + TC_OPT_SPACE];

		th = build_hdr(&c->tw, hb, tcp_len, tos, seq, ack_seq, flags, c->win_l, opts,
			       optlen);
		tc_put16(th + 18, room);	/* its segment size */
		finish_frame(&c->tw, hb, tcp_len, true);
		if (!c->out->put_super(c->out->arg, hb, c->tw.l4_off + TC_TCP_HLEN + optlen,
				       payload, n))
			goto sent;
	}
	buf = c->out->get(c->out->arg, TC_SIDE_WIRE, c->tw.l4_off + tcp_len);
	if (!buf) {
		c->st->no_buffer++;
		return -ENOBUFS;
	}
	th = build_hdr(&c->tw, buf, tcp_len, tos, seq, ack_seq, flags, c->win_l, opts, optlen);
	if (n)
		memcpy(th + TC_TCP_HLEN + optlen, payload, n);
	if (n > room)
		tc_put16(th + 18, room);	/* a super-segment: its segment size */
	finish_frame(&c->tw, buf, tcp_len, n && c->out->wire_csum_partial);
	c->out->put(c->out->arg, TC_SIDE_WIRE, buf, c->tw.l4_off + tcp_len);
sent:
	if (c->eno.state == TC_ENO_NEGOTIATING || eno)
		tc_eno_on_sent(&c->eno, flags, eno);
	c->tx.ack_sent = ack;
	c->tx.ack_due = false;
	return 0;
}

/* Payload room in a wire segment after the options it will carry. */
static uint32_t wire_room(struct tc_conn *c)
{
	uint8_t opts[TC_OPT_SPACE];
	bool eno;

	return room_after(c, wire_opts(c, opts, &eno));
}

/*
 * Payload bytes one wire frame may carry: whole segments of room bytes in a
 * super-segment when the caller cuts them (tc_out.wire_gso_max), within
 * one IP datagram; else one segment.
 */
static uint32_t wire_burst(struct tc_conn *c, uint32_t room)
{
	uint32_t max = c->out->wire_gso_max;
	uint32_t ip_max = 65535 - (c->tw.l4_off - c->tw.l3_off) - TC_TCP_HLEN - TC_OPT_SPACE;

	if (!c->out->wire_csum_partial)
		return room;	/* the device cuts, so it completes the checksums */
	if (max > ip_max)
		max = ip_max;
	if (max < 2 * room)
		return room;
	return max - max % room;
}

/* ---- host-bound segments ---- */

static void flush_pend(struct tc_conn *c)
{
	struct pend *p = &c->pend;
	uint8_t *ip, *th;
	uint32_t tcp_len;

	if (!p->buf)
		return;
	th = p->buf + c->th.l4_off;
	tcp_len = p->hdr_len - c->th.l4_off + p->len;
	ip = p->buf + c->th.l3_off;
	if (c->th.family == AF_INET)
		tc_put16(ip + 2, c->th.l4_off - c->th.l3_off + tcp_len);
	else
		tc_put16(ip + 4, c->th.l4_off - c->th.l3_off - 40 + tcp_len);
	th[13] = p->flags;
	finish_frame(&c->th, p->buf, tcp_len, false);
	c->out->put(c->out->arg, TC_SIDE_HOST, p->buf, p->hdr_len + p->len);
	c->rx.ack_host = p->ack;
	c->rx.win_host = p->win;
	c->rx.host_sent = true;
	memset(p, 0, sizeof(*p));
}

/* Host-bound header fields of a wire segment. */
struct hfields {
	uint32_t ack;
	uint16_t win;
	uint8_t flags;		/* of the wire segment: ACK, PSH, ECE, CWR */
	uint8_t tos;
	bool ts;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	struct tc_sack_block sack[TC_SACK_MAX];
};

static int host_opts(const struct hfields *h, uint8_t out[TC_OPT_SPACE])
{
	struct tc_tcpopt_out w = {
		.ts = h->ts, .tsval = h->tsval, .tsecr = h->tsecr,
		.nsack = h->nsack, .sack = h->sack,
	};

	return tc_tcpopt_write(&w, out);
}

/*
 * Room for n more payload bytes in the pending host segment for fields h:
 * continues the pending one when it can (in order, same headers), else
 * flushes it and starts another. Returns the pointer for the next payload
 * byte, or NULL (no buffer).
 */
static uint8_t *pend_room(struct tc_conn *c, const struct hfields *h, uint32_t n)
{
	struct pend *p = &c->pend;
	uint8_t opts[TC_OPT_SPACE];
	uint32_t hdr, max;
	int optlen;

	if (p->buf) {
		if (p->ack == h->ack && p->win == h->win && p->tos == h->tos &&
		    p->ts == h->ts && (!h->ts || (p->tsval == h->tsval &&
						  p->tsecr == h->tsecr)) &&
		    !h->nsack && !p->sack && !(p->flags & TC_TH_FIN) && p->len + n <= p->cap)
			return p->buf + p->hdr_len + p->len;
		flush_pend(c);
	}
	optlen = host_opts(h, opts);
	if (optlen < 0)
		optlen = 0;
	hdr = c->th.l4_off + TC_TCP_HLEN + optlen;
	max = c->th.l3_off + c->cfg->host_mtu;
	if (max < hdr + n)
		max = hdr + n;		/* one frame's data always goes in one segment */
	p->buf = c->out->get(c->out->arg, TC_SIDE_HOST, max);
	if (!p->buf) {
		c->st->no_buffer++;
		return NULL;
	}
	p->cap = max - hdr;
	p->hdr_len = hdr;
	p->len = 0;
	p->flags = TC_TH_ACK | (h->flags & (TC_TH_ECE | TC_TH_CWR));
	p->tos = h->tos;
	p->ack = h->ack;
	p->win = h->win;
	p->ts = h->ts;
	p->tsval = h->tsval;
	p->tsecr = h->tsecr;
	p->sack = h->nsack;
	build_hdr(&c->th, p->buf, 0, h->tos, off_seq(c->isn_r, c->rx.app_next), h->ack,
		  p->flags, h->win, opts, optlen);
	return p->buf + hdr;
}

/* A host-bound segment without data (ACK, FIN, RST) at app position a. */
static void send_host(struct tc_conn *c, const struct hfields *h, int64_t a, uint8_t flags)
{
	uint8_t opts[TC_OPT_SPACE], *buf;
	int optlen;
	uint32_t tcp_len;

	if (!c->th.valid)
		return;
	flush_pend(c);
	optlen = flags & TC_TH_RST ? 0 : host_opts(h, opts);
	if (optlen < 0)
		optlen = 0;
	tcp_len = TC_TCP_HLEN + optlen;
	buf = c->out->get(c->out->arg, TC_SIDE_HOST, c->th.l4_off + tcp_len);
	if (!buf) {
		c->st->no_buffer++;
		return;
	}
	build_hdr(&c->th, buf, tcp_len, h->tos, off_seq(c->isn_r, a), h->ack, flags,
		  h->win, opts, optlen);
	finish_frame(&c->th, buf, tcp_len, false);
	c->out->put(c->out->arg, TC_SIDE_HOST, buf, c->th.l4_off + tcp_len);
	if (!(flags & TC_TH_RST)) {
		c->rx.ack_host = h->ack;
		c->rx.win_host = h->win;
		c->rx.host_sent = true;
	}
}

/* ---- abort: reset both ways ---- */

static void reset_both(struct tc_conn *c)
{
	struct hfields h = { 0 };

	if (c->tw.valid)
		send_wire(c, c->tx.frm_next, NULL, 0, TC_TH_RST | TC_TH_ACK);
	if (!c->th.valid && c->tw.valid)
		tmpl_reverse(&c->th, &c->tw);
	h.ack = off_seq(c->isn_l, c->tx.app_next + (c->tx.fin ? 1 : 0));
	send_host(c, &h, c->rx.app_next, TC_TH_RST | TC_TH_ACK);
}

static void conn_abort(struct tc_conn *c, enum tc_abort_reason why)
{
	if (c->state == TC_CONN_ABORTED)
		return;
	resume_drop(c);
	c->st->aborts++;
	c->why = why;
	if (c->pend.buf) {
		/* what is pending was verified; deliver it before the reset */
		flush_pend(c);
	}
	if (c->out)
		reset_both(c);
	c->state = TC_CONN_ABORTED;
	c->rst = true;
}

/*
 * An aborted connection answers every segment with a reset its sender
 * accepts: sequence number = the segment's acknowledgement (RFC 5961).
 */
/* A bare reset built on frame's addresses (swapped if back), sent to TO. */
static void rst_send(enum tc_side to, bool back, const uint8_t *frame, const struct tc_seg *s,
		     uint32_t seq, uint32_t ack, uint8_t flags, const struct tc_out *out,
		     struct tc_engine_stats *st)
{
	struct tmpl t;
	uint8_t *buf;

	tmpl_set(&t, frame, s);
	if (back)
		tmpl_reverse(&t, &t);
	buf = out->get(out->arg, to, t.l4_off + TC_TCP_HLEN);
	if (!buf) {
		st->no_buffer++;
		return;
	}
	build_hdr(&t, buf, TC_TCP_HLEN, 0, seq, ack, flags, 0, NULL, 0);
	finish_frame(&t, buf, TC_TCP_HLEN, false);
	out->put(out->arg, to, buf, t.l4_off + TC_TCP_HLEN);
}

static void rst_to(enum tc_side from, const uint8_t *frame, const struct tc_seg *s,
		   const struct tc_out *out, struct tc_engine_stats *st)
{
	if (s->flags & TC_TH_RST)
		return;
	if (s->flags & TC_TH_ACK)
		rst_send(from, true, frame, s, s->ack, 0, TC_TH_RST, out, st);
	else
		rst_send(from, true, frame, s, 0, s->seq + s->payload_len +
			 !!(s->flags & TC_TH_SYN) + !!(s->flags & TC_TH_FIN),
			 TC_TH_RST | TC_TH_ACK, out, st);
}

static void answer_rst(struct tc_conn *c, enum tc_side from, const uint8_t *frame,
		       const struct tc_seg *s)
{
	rst_to(from, frame, s, c->out, c->st);
}

void tc_answer_rst(enum tc_side from, const uint8_t *frame, const struct tc_seg *s,
		   bool both, const struct tc_out *out, struct tc_engine_stats *st)
{
	enum tc_side to = from == TC_SIDE_WIRE ? TC_SIDE_HOST : TC_SIDE_WIRE;
	uint32_t end = s->seq + s->payload_len + !!(s->flags & TC_TH_SYN);

	if (s->kind != TC_SEG_TCP || (s->flags & TC_TH_RST))
		return;
	rst_to(from, frame, s, out, st);
	/* and the other side learns it from the sender, as the next segment
	 * (a SYN_SENT socket takes a RST that acknowledges its SYN) */
	if (both)
		rst_send(to, false, frame, s, end, s->ack, TC_TH_RST | (s->flags & TC_TH_ACK),
			 out, st);
}

/* ---- a local segment's payload, contiguous or in pieces (tc_seg.pv) ---- */

struct pl {
	const struct tc_iov *v;
	uint32_t nv, i, off;	/* reading piece i at off */
	struct tc_iov one;	/* the contiguous case (do not copy a struct pl) */
};

static void pl_mem(struct pl *p, const uint8_t *data, uint32_t len)
{
	p->one.base = data;
	p->one.len = len;
	p->v = &p->one;
	p->nv = 1;
	p->i = p->off = 0;
}

static void pl_init(struct pl *p, const uint8_t *frame, const struct tc_seg *s)
{
	pl_mem(p, frame + s->payload_off, s->payload_len);
	if (s->npv) {
		p->v = s->pv;
		p->nv = s->npv;
	}
}

/* Copy the next n bytes to dst (NULL: skip them). */
static void pl_take(struct pl *p, uint8_t *dst, uint32_t n)
{
	while (n && p->i < p->nv) {
		uint32_t k = p->v[p->i].len - p->off;

		if (k > n)
			k = n;
		if (dst) {
			memcpy(dst, p->v[p->i].base + p->off, k);
			dst += k;
		}
		n -= k;
		p->off += k;
		if (p->off == p->v[p->i].len) {
			p->i++;
			p->off = 0;
		}
	}
}

/* ---- the tx direction: sealing and resending ---- */

/*
 * Send framing bytes [from, to) (from our copy) as wire segments, or as
 * super-segments the caller cuts (wire_burst). Segments may span frames:
 * the receiver reassembles, and a resend takes the same bytes from the
 * copy whatever its boundaries. PSH and FIN go on the last, CWR on the
 * first, as TSO does.
 */
static int send_range(struct tc_conn *c, int64_t from, int64_t to, uint8_t flags)
{
	while (from < to) {
		uint32_t room = wire_room(c), n = to - from, burst = wire_burst(c, room);
		uint8_t f = TC_TH_ACK | (flags & (TC_TH_ECE | TC_TH_CWR));

		if (n > burst)
			n = burst;
		if (from + n == to)
			f |= flags & (TC_TH_PSH | TC_TH_FIN);
		if (send_wire(c, from, tc_bytes_at(&c->tx.by, from), n, f))
			return -ENOBUFS;
		flags &= ~TC_TH_CWR;
		from += n;
	}
	return 0;
}

/* Send frame record r (from our copy). */
static int send_frame(struct tc_conn *c, struct tc_frame_rec *r, uint8_t flags)
{
	r->sent = c->now;
	return send_range(c, r->frm, r->frm + r->frm_len, flags);
}

static int need_keys(struct tc_conn *c);

/*
 * Seal application bytes [tx.app_next, + len) into new frames (the last one
 * with FINp when fin), keep them and send them. An empty frame is made when
 * len is 0 and fin or force_empty (a rekey answer). flags: PSH/ECE/CWR of
 * the local segment.
 */
static int seal_new(struct tc_conn *c, struct pl *src, uint32_t len, bool fin,
		    bool force_empty, uint8_t flags)
{
	struct tx_dir *t = &c->tx;
	int64_t first = t->frm_next;
	int err;

	if (t->fin)
		return len ? -EPIPE : 0;
	err = need_keys(c);
	if (err)
		return err;
	do {
		uint32_t n = len < t->frame_data ? len : t->frame_data;
		bool last = n == len;
		uint8_t fl = fin && last ? TC_FLAG_FINP : 0;
		uint32_t flen = tc_frame_len(n, false);
		struct tc_frame_rec rec = {
			.app = t->app_next, .frm = t->frm_next, .app_len = n, .frm_len = flen,
			.flags = fl ? TC_FR_FIN : 0, .sent = c->now,
		};
		uint8_t *p = tc_bytes_reserve(&t->by, flen);
		int r;

		/* our own rekeying: the next frame starts a new generation; when
		 * the keys cannot move yet (an earlier step unsent, all
		 * generations in use) it is tried again on a later frame */
		if (c->cfg->rekey_bytes && t->sealed >= t->rekey_at && !fl &&
		    !tc_keys_rekey(&c->keys)) {
			t->rekey_at = t->sealed + c->cfg->rekey_bytes;
			c->st->rekeys_started++;
		}

		if (!p || tc_frames_push(&t->fr, &rec)) {
			conn_abort(c, TC_ABORT_NO_MEMORY);
			return -ENOMEM;
		}
		/* the data where the frame carries it (after the flags byte):
		 * gathered from its pieces once, sealed in place */
		if (n)
			pl_take(src, p + TC_FRAME_HDR_LEN + 1, n);
		r = tc_keys_seal(&c->keys, t->frm_next, fl, 0, n ? p + TC_FRAME_HDR_LEN + 1 : NULL,
				 n, p, flen);
		if (r < 0) {
			/* cannot happen with our own bookkeeping: fail closed */
			tc_frames_pop(&t->fr, 0);
			conn_abort(c, TC_ABORT_LOCAL);
			return r;
		}
		tc_bytes_commit(&t->by, flen);
		t->sealed += n;
		t->app_next += n;
		t->frm_next += flen;
		if (fl)
			t->fin = true;
		c->st->frames_sealed++;
		c->st->bytes_sealed += n;
		len -= n;
	} while (len);
	(void)force_empty;
	/* all of it at once: wire segments, or super-segments, across frames */
	send_range(c, first, t->frm_next, flags | (fin ? TC_TH_FIN : 0));
	return 0;
}

/*
 * The local kernel retransmits application bytes [a, b) (and its FIN when
 * fin): send the frames holding them again, exactly as first sent. Frames
 * the wire has acknowledged are gone; the peer has them.
 */
static void resend(struct tc_conn *c, int64_t a, int64_t b, bool fin, uint8_t flags)
{
	struct tx_dir *t = &c->tx;
	uint32_t i;

	if (a < (int64_t)t->app_base)
		a = t->app_base;
	i = tc_frames_after_app(&t->fr, a);
	/* frames without data just before a (a rekey frame, the Init message)
	 * are unacknowledged framing bytes the peer needs first */
	while (i > 0) {
		const struct tc_frame_rec *p = tc_frames_at(&t->fr, i - 1);

		if (p->app_len || rec_app_end(p) != (uint64_t)a || rec_frm_end(p) <= t->frm_una)
			break;
		i--;
	}
	for (; i < t->fr.n; i++) {
		struct tc_frame_rec *r = tc_frames_at(&t->fr, i);

		if ((int64_t)r->app >= b && !(fin && (r->flags & TC_FR_FIN)) &&
		    !(r->app_len == 0 && (int64_t)r->app < b))
			break;
		if (rec_frm_end(r) <= t->frm_una)
			continue;
		c->st->frames_resent++;
		if (send_frame(c, r, (flags & ~TC_TH_FIN) |
			       (r->flags & TC_FR_FIN ? TC_TH_FIN : 0)))
			return;
		flags &= ~TC_TH_CWR;
	}
}

/* The wire acknowledged up to frm f: drop what is no longer needed. */
static void tx_acked(struct tc_conn *c, int64_t f)
{
	struct tx_dir *t = &c->tx;
	uint32_t k;

	if (f <= (int64_t)t->frm_una || f > (int64_t)t->frm_next + (t->fin ? 1 : 0))
		return;
	t->frm_una = f;
	k = tc_frames_after_frm(&t->fr, f);
	if (k) {
		const struct tc_frame_rec *r = tc_frames_at(&t->fr, k - 1);

		/* the receiver acknowledges in order only when its kernel has
		 * the bytes: slower than its SACKs, and what the head waits for */
		if (r->sent && c->now > r->sent) {
			uint64_t rtt = c->now - r->sent;

			t->ack_rtt = t->ack_rtt ? t->ack_rtt - t->ack_rtt / 8 + rtt / 8 : rtt;
		}

		t->app_base = rec_app_end(r);
		t->frm_base = rec_frm_end(r);
		tc_frames_pop(&t->fr, k);
		tc_bytes_trim(&t->by, t->frm_base);
	}
	/* retire sending generations wholly acknowledged */
	if (c->have_keys) {
		while (c->keys.tx.oldest < c->keys.tx.cur) {
			uint64_t first, end;

			if (tc_keys_gen_range(&c->keys, TC_KEYS_TX, c->keys.tx.oldest, &first,
					      &end) == 0 && end > t->frm_una)
				break;
			tc_keys_retire(&c->keys, TC_KEYS_TX, c->keys.tx.oldest);
		}
	}
}

/*
 * Head repair. The kernel's recovery resends holes above the head well, but
 * it may leave the head itself (the frame at frm_una) to its RTO, 200 ms or
 * more: it learns of SACKs late, across the AF_XDP rings, and a receiver
 * that delivers in order cannot renege the way its scoreboard expects. So we
 * run RACK (RFC 8985) on the head from our own records: once a frame sent
 * after it has been SACKed and a round trip and a quarter has passed since
 * it was last sent, by the kernel or by us, we resend the head frames below
 * the latest ACK's lowest SACK block from our copy (the bytes first sent
 * there). A resend the kernel also makes is a duplicate the peer drops; a
 * kernel resend that comes first restarts the clock.
 */
#define REPAIR_MAX_FRAMES	16
#define REPAIR_REO_MIN_NS	(1000000ull)

static void sack_seen(struct tc_conn *c, const struct tc_tcpopt *o)
{
	struct tx_dir *t = &c->tx;
	unsigned int i;

	/*
	 * The hole is what this ACK shows: without blocks above frm_una the
	 * receiver holds nothing out of order, the head arrived and only its
	 * kernel's acknowledgement is pending (repairing it then is waste).
	 */
	t->sack_lo = 0;
	for (i = 0; i < o->nsack; i++) {
		int64_t fs = seq_off(o->sack[i].start, c->isn_l, t->frm_una);
		int64_t fe = seq_off(o->sack[i].end, c->isn_l, t->frm_una);
		const struct tc_frame_rec *r;
		uint32_t k;

		if (fs <= (int64_t)t->frm_una || fe <= fs || fe > (int64_t)t->frm_next)
			continue;
		if (!t->sack_lo || (uint64_t)fs < t->sack_lo)
			t->sack_lo = fs;
		/* the block's last frame is its latest sent, barring resends */
		k = tc_frames_after_frm(&t->fr, fe - 1);
		if (k >= t->fr.n)
			continue;
		r = tc_frames_at(&t->fr, k);
		if (r->sent > t->rack_sent ||
		    (r->sent == t->rack_sent && r->frm + r->frm_len > t->rack_end)) {
			t->rack_sent = r->sent;
			t->rack_end = r->frm + r->frm_len;
			t->rack_rtt = c->now - r->sent;
		}
	}
}

static void repair_head(struct tc_conn *c)
{
	struct tx_dir *t = &c->tx;
	uint64_t rtt = t->ack_rtt > t->rack_rtt ? t->ack_rtt : t->rack_rtt;
	uint64_t reo = rtt / 4 > REPAIR_REO_MIN_NS ? rtt / 4 : REPAIR_REO_MIN_NS;
	uint32_t k, n;

	t->repair_at = 0;
	if (c->state != TC_CONN_ENCRYPTED || c->rst || !t->sack_lo || t->sack_lo <= t->frm_una ||
	    t->frm_una < t->init_len)
		return;
	k = tc_frames_after_frm(&t->fr, t->frm_una);
	for (n = 0; k < t->fr.n && n < REPAIR_MAX_FRAMES; k++, n++) {
		struct tc_frame_rec *r = tc_frames_at(&t->fr, k);
		uint64_t lost_at = r->sent + rtt + reo;

		/*
		 * Lost only if a SACKed frame went out after it: later, or in
		 * the same burst (one clock read per batch) further on in the
		 * stream (RFC 8985 6.2). Without the tie-break a burst whose
		 * head is lost, with nothing sent after it (the window full of
		 * it), would wait for the kernel's timeout.
		 */
		if (r->frm >= t->sack_lo || r->sent > t->rack_sent ||
		    (r->sent == t->rack_sent && r->frm + r->frm_len >= t->rack_end))
			break;
		if (c->now < lost_at) {
			t->repair_at = lost_at;
			break;
		}
		if (send_frame(c, r, r->flags & TC_FR_FIN ? TC_TH_FIN : 0))
			break;
		c->st->frames_repaired++;
	}
}

/* ---- key exchange ---- */

static int hold_append(struct tc_conn *c, int64_t a, struct pl *src, uint32_t len,
		       bool fin)
{
	struct tx_dir *t = &c->tx;
	int64_t end = (int64_t)t->app_next + t->hold_len;

	if (a > end) {
		c->st->held_dropped++;
		return -EAGAIN;		/* a gap: the kernel sends it again */
	}
	if (a + len > end) {
		uint32_t skip = end - a, n = len - skip;

		if (t->hold_len + n > c->cfg->hold_max) {
			c->st->held_dropped++;
			return -ENOBUFS;
		}
		if (t->hold_len + n > t->hold_cap) {
			uint32_t cap = t->hold_cap ? t->hold_cap : 4096;
			uint8_t *h;

			while (cap < t->hold_len + n)
				cap *= 2;
			h = realloc(t->hold, cap);
			if (!h)
				return -ENOMEM;
			t->hold = h;
			t->hold_cap = cap;
		}
		pl_take(src, NULL, skip);
		pl_take(src, t->hold + t->hold_len, n);
		t->hold_len += n;
	}
	if (fin && a + len == (int64_t)t->app_next + t->hold_len)
		t->hold_fin = true;
	return 0;
}

/* Our Init message (record 0), not ECN-capable: not the kernel's data. */
static void send_init_frame(struct tc_conn *c)
{
	uint8_t tos = c->tos_l;

	c->tos_l &= ~3;
	send_frame(c, tc_frames_at(&c->tx.fr, 0), TC_TH_PSH);
	c->tos_l = tos;
}

/* Our Init message becomes frame record 0 of the tx direction; send it. */
static int send_init(struct tc_conn *c)
{
	struct tx_dir *t = &c->tx;
	struct tc_frame_rec rec = { 0 };
	const uint8_t *msg;
	size_t len;
	uint8_t *p;

	msg = tc_hs_output(c->hs, &len);
	if (!msg)
		return -EINVAL;
	p = tc_bytes_reserve(&t->by, len);
	rec.frm_len = len;
	rec.flags = TC_FR_INIT;
	if (!p || tc_frames_push(&t->fr, &rec))
		return -ENOMEM;
	memcpy(p, msg, len);
	tc_bytes_commit(&t->by, len);
	t->init_len = len;
	t->frm_next = len;
	t->init_sent = true;
	t->rto = c->cfg->rto_ns;
	if (c->rtt && 2 * c->rtt > t->rto)
		t->rto = 2 * c->rtt;
	t->rto_at = c->now + t->rto;
	/* RFC 8548 3.3: PSH on the segment with the last byte of the message */
	send_init_frame(c);
	return 0;
}

/* The session's keys and what tcnetstat shows of it, from a key exchange or
 * a resumption (whose offsets are 0). */
static int keys_of(struct tc_conn *c, const struct tc_hs_result *res)
{
	int err = tc_keys_init(&c->keys, c->cfg->algs, res->aead, res->sends_ab, res->mk0,
			       res->tx_offset, res->rx_offset);

	if (err)
		return err;
	c->have_keys = c->had_keys = true;
	c->aead = res->aead;
	c->tep_byte = res->tep_byte;
	memcpy(c->session_id, res->session_id, TC_SESSID_LEN);
	return 0;
}

static void hs_release(struct tc_conn *c);

/*
 * The key exchange's result: ES, the key schedule and the AEAD contexts
 * (B's ECDH runs here, after its Init2 left: RFC 8548 fixes nothing in
 * Init2 that needs them). Both Init messages are in (ours is in tx.by), so
 * the ephemeral private key goes now, not with the connection: RFC 8548 8,
 * forward secrecy holds once it is removed from memory. A failure aborts.
 */
static int keys_fresh(struct tc_conn *c)
{
	struct tc_hs_result res;
	int err;

	err = tc_hs_result(c->hs, &res);
	if (!err) {
		err = keys_of(c, &res);
		if (!err)
			resume_cache_fresh(c, &res);
		tc_hs_result_wipe(&res);
	}
	hs_release(c);
	if (err)
		conn_abort(c, TC_ABORT_KEYX);
	return err;
}

/* B's Init2 goes first, then whatever the local kernel said meanwhile. */
static void start_sending(struct tc_conn *c)
{
	struct tx_dir *t = &c->tx;

	c->state = TC_CONN_ENCRYPTED;
	c->st->encrypted++;
	if (t->hold_len || t->hold_fin) {
		struct pl src;

		pl_mem(&src, t->hold, t->hold_len);
		seal_new(c, &src, t->hold_len, t->hold_fin, false, TC_TH_PSH);
	}
	free(t->hold);
	t->hold = NULL;
	t->hold_len = t->hold_cap = 0;
}

/*
 * Data bytes per frame: whole wire segments' payload room (after the
 * timestamps), so that a frame fills its segments exactly, as many as fit
 * TC_FRAME_DATA_TARGET (measured: 5 segments at MTU 1500 sealed 10 % faster than
 * one, and recovered loss as well). A tiny MSS gets frames spanning segments.
 */
_Static_assert(TC_FRAME_DATA_TARGET <= UINT16_MAX, "frame data must fit tx.frame_data");

static uint16_t frame_data_of(const struct tc_conn *c)
{
	uint32_t room, k;

	if (c->mss_wire <= 64 + 12 + TC_FRAME_OVERHEAD)
		return 64;
	room = c->mss_wire - (c->ts_ok ? 12 : 0);
	k = TC_FRAME_DATA_TARGET > room ? TC_FRAME_DATA_TARGET / room : 1;
	return k * room - TC_FRAME_OVERHEAD;
}

static void hs_release(struct tc_conn *c)
{
	if (!c->hs)
		return;
	tc_hs_free(c->hs);
	free(c->hs);
	c->hs = NULL;
}

/*
 * ENO agreed on resuming (B's TEP byte has v = 1, and our halves of
 * resume[i] matched): the keys come from the cached ss[i] and the two
 * nonces, there are no Init messages, and both streams' frames start at
 * offset 0. ss[i+1] then replaces ss[i] in the cache (cache_done).
 *
 * What the cache keeps of a resumed session: ss[i+1] continues the chain.
 */
static void resume_done(struct tc_conn *c, const uint8_t ss_next[TC_HASH_LEN])
{
	resume_lock(c);
	tc_resume_complete(c->cfg->resume, c->rt, c->opts.resume_flags, ss_next, c->now,
			   &c->chain);
	resume_unlock(c);
	free(c->rt);
	c->rt = NULL;
}

/* A resumed session's key schedule from the ticket in c->rt (RFC 8548 3.5). */
static int resume_keys(struct tc_conn *c, uint8_t tep_byte, struct tc_hs_result *res)
{
	uint8_t sn[TC_SN_MAX];
	int sn_len, err;

	if (!c->rt)
		return -EINVAL;
	sn_len = tc_resume_sn(c->rt, sn);
	if (sn_len < 0)
		return sn_len;
	err = tc_hs_resume_session(c->cfg->algs, c->rt->ss, sn, sn_len,
				   (enum tc_eno_role)c->rt->orig_role, c->rt->aead, tep_byte, res);
	tc_wipe(sn, sizeof(sn));
	if (!err)
		err = keys_of(c, res);
	if (err)
		tc_hs_result_wipe(res);
	return err;
}

static int derive_resumed(struct tc_conn *c)
{
	struct tc_hs_result res;
	int err;

	err = resume_keys(c, c->tep_byte, &res);
	if (err)
		return err;
	c->cache_due = true;
	tc_hs_result_wipe(&res);
	return 0;
}

/* ss[i+1] into the cache: no segment waits for it (tc_conn_idle). */
static void cache_done(struct tc_conn *c)
{
	uint8_t ss_next[TC_HASH_LEN];

	if (!c->cache_due || !c->rt)
		return;
	c->cache_due = false;
	if (tc_ss_next(c->cfg->algs, c->rt->ss, ss_next)) {
		resume_drop(c);		/* the chain continues all the same */
		return;
	}
	resume_done(c, ss_next);
	tc_wipe(ss_next, sizeof(ss_next));
}

/*
 * B, between its SYN-ACK and A's answer: it has nothing to do but wait,
 * and a resumed session's keys depend on nothing more (ss[i], both nonces,
 * the TEP it answered). They are made then, in the shell's idle time
 * (tc_conn_idle), rather than when A's first frame is already there. They
 * serve only once ENO succeeds, and until then no session is listed; a
 * failure or an abort wipes them with the rest.
 */
static bool spec_due(const struct tc_conn *c)
{
	return c->state == TC_CONN_NEGOTIATING && !c->spec_tried && !c->have_keys &&
	       c->rt && c->rt->valid && c->rt->passive && c->rt->have_peer &&
	       c->syn_l && c->syn_r;
}

static void spec_keys(struct tc_conn *c)
{
	struct tc_hs_result res;

	c->spec_tried = true;
	if (resume_keys(c, c->rt->tep | TC_ENO_V, &res))
		return;		/* ENO's success tries again, and aborts */
	c->had_keys = false;
	tc_hs_result_wipe(&res);
}

/*
 * Keys for what is about to use them. A resumed session's key schedule
 * (four CPRFs and two AEAD contexts, several us with cold caches), and B's
 * ECDH and key schedule in a fresh exchange (about 40 us here), wait until
 * a frame is sealed or opened, the session is asked for, or the shell has
 * nothing else to do (tc_conn_idle): the segment that completed ENO, or
 * B's Init2, goes on first, and B's work runs while A's first frame is on
 * its way (A derives its own keys in the meantime). A failure aborts, as
 * it did before.
 */
static int need_keys(struct tc_conn *c)
{
	int err;

	if (!c->keys_due)
		return c->have_keys || !c->had_keys ? 0 : -EPIPE;	/* released */
	c->keys_due = false;
	if (c->state == TC_CONN_ABORTED) {
		hs_release(c);
		return -EPIPE;
	}
	if (c->hs)
		return keys_fresh(c);
	err = derive_resumed(c);
	if (err)
		conn_abort(c, TC_ABORT_KEYX);
	return err;
}

static int start_resumed(struct tc_conn *c, uint8_t tep_byte)
{
	if (!c->rt)
		return -EINVAL;
	if (c->have_keys && c->tep_byte != tep_byte) {
		/* made for another TEP byte than ENO's (cannot happen): remade */
		tc_keys_free(&c->keys);
		c->have_keys = false;
	}
	c->tep_byte = tep_byte;
	if (c->have_keys) {
		/* made while B waited for A's answer: the session is this one */
		c->had_keys = true;
		c->cache_due = true;
		c->st->keys_early++;
	} else {
		c->keys_due = true;
	}
	c->st->resumed++;
	c->rx.init_done = true;		/* init_len 0: frames from offset 0 */
	start_sending(c);
	return 0;
}

/* ENO succeeded: start the key exchange (A sends Init1 at once), or resume. */
static int start_keyx(struct tc_conn *c)
{
	struct tc_hs_params p = { 0 };
	const struct tc_tep_info *tep;
	struct tc_ecdh pre = { 0 };
	struct tc_eno_sel sel;
	enum tc_eno_role role;
	int len, err;

	if (tc_eno_get_tep(&c->eno, &sel) || tc_eno_get_role(&c->eno, &role))
		return -EINVAL;
	len = tc_eno_transcript(&c->eno, c->transcript, sizeof(c->transcript));
	if (len < 0)
		return len;
	c->transcript_len = len;
	tep = tc_tep_info(sel.glt);
	if (!tep)
		return -EINVAL;
	c->tx.rekey_at = c->cfg->rekey_bytes;
	c->tx.frame_data = frame_data_of(c);
	if (sel.byte & TC_ENO_V)
		return start_resumed(c, sel.byte);
	resume_drop(c);		/* B declined our proposal */
	p.algs = c->cfg->algs;
	p.role = role;
	p.tep_byte = sel.byte;
	p.transcript = c->transcript;
	p.transcript_len = len;
	{
		unsigned int na;

		p.aeads = conn_aeads(c, &na);
		p.n_aeads = na;
	}
	/* the key pair and nonce come from the caller's randomness */
	p.rng = &c->cfg->rng;
	p.defer_derive = true;	/* B: Init2 leaves before the ECDH (keys_fresh) */
	if (c->cfg->take_key &&
	    !c->cfg->take_key(c->cfg->take_key_arg, sel.byte, &pre)) {
		p.key = &pre;
		c->st->keys_pooled++;
	}
	/* only while the exchange runs: a closed connection waits out its
	 * TIME_WAIT in the flow table, and most of them never had one */
	c->hs = calloc(1, sizeof(*c->hs));
	if (!c->hs) {
		tc_ecdh_free(&pre);
		return -ENOMEM;
	}
	err = tc_hs_start(c->hs, &p);
	if (err)
		return err;
	c->state = TC_CONN_KEYX;
	c->keyx_deadline = c->now + c->cfg->keyx_timeout_ns;
	if (role == TC_ENO_ROLE_A)
		return send_init(c);
	return 0;
}

/* ---- the rx direction: frames to the local kernel ---- */

static void hfields_of(struct tc_conn *c, const struct tc_seg *s, const struct tc_tcpopt *o,
		       struct hfields *h)
{
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->ack = off_seq(c->isn_l, tx_ack_to_app(c, c->tx.frm_una));
	h->win = s->win;
	h->flags = s->flags;
	h->tos = s->tos;
	h->ts = o->has_ts;
	h->tsval = o->tsval;
	h->tsecr = o->tsecr;
	/* the peer's SACK blocks: whole frames only, in the kernel's numbers */
	for (i = 0; i < o->nsack; i++) {
		struct tx_dir *t = &c->tx;
		int64_t fs = seq_off(o->sack[i].start, c->isn_l, t->frm_una);
		int64_t fe = seq_off(o->sack[i].end, c->isn_l, t->frm_una);
		uint32_t i1, i2;

		if (fs < (int64_t)t->frm_una || fe <= fs || fe > (int64_t)t->frm_next)
			continue;
		i1 = tc_frames_after_frm(&t->fr, fs);
		if (i1 < t->fr.n && (int64_t)tc_frames_at(&t->fr, i1)->frm < fs)
			i1++;
		i2 = tc_frames_after_frm(&t->fr, fe);
		if (i1 >= i2)
			continue;
		h->sack[h->nsack].start = off_seq(c->isn_l, tc_frames_at(&t->fr, i1)->app);
		h->sack[h->nsack].end = off_seq(c->isn_l,
						rec_app_end(tc_frames_at(&t->fr, i2 - 1)));
		if (h->sack[h->nsack].start != h->sack[h->nsack].end)
			h->nsack++;
	}
}

/* Open one whole frame at framing offset off and hand its data on. */
static int open_frame(struct tc_conn *c, const uint8_t *fp, size_t flen, uint64_t off,
		      const struct hfields *h, bool redeliver, int64_t app)
{
	struct tc_frame_info info;
	size_t plen = flen - TC_FRAME_HDR_LEN - TC_FRAME_TAG_LEN;
	uint8_t *dst, save;
	bool tmp = false;
	int err;

	if (flen < TC_FRAME_HDR_LEN + TC_FRAME_CLEN_MIN)
		return -EPROTO;
	err = need_keys(c);
	if (err)
		return err;
	/*
	 * Decrypt straight into the host-bound segment: the plaintext's flags
	 * byte lands on the byte before this frame's data (the previous
	 * frame's last byte, or the header's last) and is put back after.
	 */
	dst = redeliver ? NULL : pend_room(c, h, plen - 1);
	if (!dst) {
		if (!c->scratch) {
			c->scratch = malloc(TC_FRAME_MAX);
			if (!c->scratch)
				return -ENOMEM;
		}
		dst = c->scratch + 1;
		tmp = true;
	}
	save = dst[-1];
	err = tc_keys_open(&c->keys, off, fp, flen, &info, dst - 1, plen);
	dst[-1] = save;
	if (err)
		return err;
	if (info.urg)
		return -EOPNOTSUPP;
	c->st->frames_opened++;
	c->st->bytes_opened += info.data_len;
	if (redeliver) {
		/* the kernel lost it: the same bytes again, as a segment of its own */
		uint8_t *p;
		struct pend save_p = c->pend;
		uint64_t next = c->rx.app_next;

		memset(&c->pend, 0, sizeof(c->pend));
		c->rx.app_next = app;
		p = pend_room(c, h, info.data_len);
		if (p) {
			memcpy(p, info.data, info.data_len);
			c->pend.len = info.data_len;
			if (info.fin)
				c->pend.flags |= TC_TH_FIN;
			flush_pend(c);
		}
		c->rx.app_next = next;
		c->pend = save_p;
		return 0;
	}
	if (!tmp) {
		c->pend.len += info.data_len;
		if (info.fin)
			c->pend.flags |= TC_TH_FIN;
		if (h->flags & TC_TH_PSH)
			c->pend.flags |= TC_TH_PSH;
	}
	{
		struct tc_frame_rec rec = {
			.app = c->rx.app_next, .frm = off, .app_len = info.data_len,
			.frm_len = flen, .flags = info.fin ? TC_FR_FIN : 0,
		};

		if (tc_frames_push(&c->rx.fr, &rec))
			return -ENOMEM;
	}
	c->rx.app_next += info.data_len;
	if (info.fin) {
		c->rx.fin = true;
		c->rx.fin_frm = off + flen;
	}
	if (info.rekey)
		c->st->rekeys++;
	if (info.must_send && !c->tx.fin)
		seal_new(c, NULL, 0, false, true, 0);
	return 0;
}

/* Abort for a frame-level error, counting it. */
static void frame_error(struct tc_conn *c, int err)
{
	if (c->state == TC_CONN_ABORTED)
		return;		/* need_keys() failed and said why */
	if (err == -EBADMSG) {
		c->st->tag_failures++;
		conn_abort(c, TC_ABORT_TAG);
	} else if (err == -EOPNOTSUPP) {
		c->st->urgent_refused++;
		conn_abort(c, TC_ABORT_URGENT);
	} else if (err == -ENOMEM) {
		conn_abort(c, TC_ABORT_NO_MEMORY);
	} else {
		c->st->malformed++;
		conn_abort(c, TC_ABORT_MALFORMED);
	}
}

/* In-order wire bytes at framing offset off (off <= rx.frm_next < off + len). */
static int consume(struct tc_conn *c, uint64_t off, const uint8_t *data, size_t len,
		   const struct hfields *h)
{
	struct rx_dir *r = &c->rx;
	const uint8_t *fp;
	size_t flen;
	uint64_t foff;
	int k;

	data += r->frm_next - off;
	len -= r->frm_next - off;
	off = r->frm_next;
	if (!r->init_done) {
		size_t used = 0;

		k = tc_hs_input(c->hs, data, len, &used);
		if (k < 0) {
			c->st->malformed++;
			conn_abort(c, TC_ABORT_KEYX);
			return k;
		}
		r->frm_next += used;
		if (k != TC_HS_DONE)
			return 0;
		r->init_done = true;
		r->init_len = r->frm_next;
		r->frm_base = r->init_len;
		tc_reasm_init(&r->reasm, r->init_len);
		if (c->eno.role == TC_ENO_ROLE_B) {
			/* Init2 first; the derivation waits (need_keys) */
			if (!c->tx.init_sent && send_init(c)) {
				conn_abort(c, TC_ABORT_NO_MEMORY);
				return -ENOMEM;
			}
			c->keys_due = true;
		} else {
			k = keys_fresh(c);
			if (k)
				return k;
		}
		start_sending(c);
		data += used;
		len -= used;
		off += used;
		if (!len)
			return 0;
	}
	k = tc_reasm_push(&r->reasm, off, data, len);
	if (k < 0) {
		frame_error(c, k);
		return k;
	}
	r->frm_next = off + len;
	while ((k = tc_reasm_next(&r->reasm, &fp, &flen, &foff)) == 1) {
		k = open_frame(c, fp, flen, foff, h, false, 0);
		if (k) {
			frame_error(c, k);
			return k;
		}
	}
	if (k < 0) {
		frame_error(c, k);
		return k;
	}
	return 0;
}

/*
 * Wire bytes below the in-order point: a retransmission. Whole frames the
 * local kernel has not acknowledged are opened again (the same bytes, so
 * the same verdict) and delivered again: the kernel may have lost them.
 */
static void redeliver(struct tc_conn *c, int64_t off, const uint8_t *data, size_t len,
		      const struct hfields *h)
{
	struct rx_dir *r = &c->rx;
	uint32_t i = tc_frames_after_frm(&r->fr, off);

	for (; i < r->fr.n; i++) {
		const struct tc_frame_rec *rec = tc_frames_at(&r->fr, i);
		int err;

		if ((int64_t)rec->frm < off)
			continue;
		if ((int64_t)rec_frm_end(rec) > off + (int64_t)len)
			break;
		if ((int64_t)rec_app_end(rec) <= r->host_ack || !rec->app_len)
			continue;
		err = open_frame(c, data + (rec->frm - off), rec->frm_len, rec->frm, h, true,
				 rec->app);
		if (err) {
			frame_error(c, err);
			return;
		}
	}
}

/* The local kernel acknowledged the peer's stream up to app offset a. */
static void host_acked(struct tc_conn *c, int64_t a)
{
	struct rx_dir *r = &c->rx;
	uint32_t k;

	if (a <= r->host_ack || a > (int64_t)r->app_next + (r->fin ? 1 : 0))
		return;
	r->host_ack = a;
	k = tc_frames_after_app(&r->fr, a);
	if (k) {
		const struct tc_frame_rec *rec = tc_frames_at(&r->fr, k - 1);

		r->app_base = rec_app_end(rec);
		r->frm_base = rec_frm_end(rec);
		tc_frames_pop(&r->fr, k);
	}
	if (c->have_keys) {
		while (c->keys.rx.oldest < c->keys.rx.cur) {
			uint64_t first, end;

			if (tc_keys_gen_range(&c->keys, TC_KEYS_RX, c->keys.rx.oldest, &first,
					      &end) == 0 && end > r->frm_base)
				break;
			tc_keys_retire(&c->keys, TC_KEYS_RX, c->keys.rx.oldest);
		}
	}
}

/* ---- segments from the local stack ---- */

static void parse_opts(const uint8_t *frame, const struct tc_seg *s, struct tc_tcpopt *o)
{
	tc_tcpopt_parse(frame + s->l4_off + TC_TCP_HLEN, s->thl - TC_TCP_HLEN, o);
}

/* MSS the local kernel is told: a full segment plus frame overhead fits. */
static uint16_t clamp_mss(uint16_t mss)
{
	return mss > TC_FRAME_OVERHEAD + 64 ? mss - TC_FRAME_OVERHEAD : 64;
}

/*
 * A SYN or SYN-ACK sent on with its options rewritten: eno (to the wire)
 * added, or the MSS clamped and ENO / Fast Open left out (to the host).
 */
static int send_syn(struct tc_conn *c, enum tc_side to, const uint8_t *frame,
		    const struct tc_seg *s, const struct tc_tcpopt *o, const uint8_t *eno,
		    int eno_len, bool clamp)
{
	struct tmpl t;
	struct tc_tcpopt_out w = {
		.mss = o->has_mss || clamp, .sack_ok = o->sack_ok, .ts = o->has_ts,
		.ws = o->has_ws, .mss_val = o->has_mss ? o->mss : MSS_DEFAULT,
		.ws_val = o->ws, .tsval = o->tsval, .tsecr = o->tsecr,
		.other = o->other, .other_len = o->other_len,
		.extra = eno, .extra_len = eno_len,
	};
	uint8_t opts[TC_OPT_SPACE], *buf;
	int optlen;
	uint32_t tcp_len;

	if (clamp)
		w.mss_val = clamp_mss(w.mss_val);
	if (to == TC_SIDE_HOST && o->has_tfo)
		w.other_len = 0;	/* SYN data is discarded: no Fast Open either */
	optlen = tc_tcpopt_write(&w, opts);
	if (optlen < 0)
		return optlen;
	tmpl_set(&t, frame, s);
	tcp_len = TC_TCP_HLEN + optlen;
	buf = c->out->get(c->out->arg, to, t.l4_off + tcp_len);
	if (!buf) {
		c->st->no_buffer++;
		return -ENOBUFS;
	}
	t.ip_id = s->family == AF_INET ? tc_get16(frame + s->l3_off + 4) : 0;
	build_hdr(&t, buf, tcp_len, s->tos, s->seq, s->ack, s->flags & ~TC_TH_PSH, s->win,
		  opts, optlen);
	finish_frame(&t, buf, tcp_len, false);
	c->out->put(c->out->arg, to, buf, t.l4_off + tcp_len);
	return 0;
}

static int to_plain(struct tc_conn *c)
{
	resume_drop(c);
	if (c->state == TC_CONN_NEGOTIATING)
		c->st->eno_fallback++;
	if (c->opts.tep_mandatory) {
		/* TCP_ENO_TEP_MANDATORY: never plain; the segment is not sent on */
		conn_abort(c, TC_ABORT_TEP_MANDATORY);
		return -ECONNREFUSED;
	}
	c->state = TC_CONN_PLAIN;
	return TC_CONN_FORWARD;
}

static void set_mss_wire(struct tc_conn *c)
{
	uint16_t l = c->mss_l ? c->mss_l : MSS_DEFAULT, r = c->mss_r ? c->mss_r : MSS_DEFAULT;

	c->mss_wire = l < r ? l : r;
}

/* A SYN's window scale shift; above 14 counts as 14 (RFC 7323 2.3). */
static uint8_t ws_shift(const struct tc_tcpopt *o)
{
	if (!o->has_ws)
		return 0;
	return o->ws > 14 ? 14 : o->ws;
}

/* The local kernel's SYN (we are the active opener) or SYN-ACK (passive). */
static int host_syn(struct tc_conn *c, const uint8_t *frame, const struct tc_seg *s,
		    const struct tc_tcpopt *o)
{
	const uint8_t *opt;
	int len, err;

	/*
	 * Timestamps from the SYNs on: the first ACK we build must echo the
	 * SYN-ACK's TSval (a SYN cookie carries the window scale, SACK and ECN
	 * choices there: echoing 0 lost them and stalled the connection).
	 */
	if (o->has_ts)
		c->tsval_l = o->tsval;

	if (s->flags & TC_TH_ACK) {
		/* passive: our SYN-ACK carries B's option chosen from the peer's SYN */
		if (!c->syn_r || c->active || (c->syn_l && s->seq != c->isn_l))
			return -EINVAL;
		if (c->syn_l) {
			/* a retransmission: the same option again (RFC 8547 4.6) */
			len = tc_eno_next_option(&c->eno, true, &opt);
			if (len <= 0)
				return -EINVAL;
			return send_syn(c, TC_SIDE_WIRE, frame, s, o, opt, len, false);
		}
		c->syn_l = true;
		c->isn_l = s->seq;
		c->mss_l = o->has_mss ? o->mss : 0;
		c->ts_ok = o->has_ts && c->ts_ok;
		/* our Init2 may leave before the kernel says anything else:
		 * its window, in the units later segments use */
		c->win_l = s->win >> (c->ws_r ? ws_shift(o) : 0);
		c->tos_l = s->tos & ~3;
		set_mss_wire(c);
		len = tc_eno_next_option(&c->eno, true, &opt);
		if (len <= 0)
			return to_plain(c);
		err = send_syn(c, TC_SIDE_WIRE, frame, s, o, opt, len, false);
		if (err)
			return err;
		tc_eno_on_sent(&c->eno, s->flags, true);
		c->st->eno_answered++;
		return 0;
	}
	if (c->syn_l && (s->seq != c->isn_l || !c->active))
		return -ESTALE;		/* a new connection on this tuple */
	if (!c->syn_l) {
		struct tc_eno_cfg ec = { .enabled = true, .gopt = c->opts.gopt,
					 .aa_mandatory = c->opts.aa_mandatory };
		struct tc_eno_tep_in teps[TC_ENGINE_TEPS_MAX];
		unsigned int nteps;
		const uint8_t *tl = conn_teps(c, &nteps);
		struct tc_tcpopt_out w = {
			.mss = o->has_mss, .sack_ok = o->sack_ok, .ts = o->has_ts,
			.ws = o->has_ws, .other_len = o->other_len,
		};
		size_t room = TC_OPT_SPACE - tc_tcpopt_size(&w);
		unsigned int i;

		c->syn_l = true;
		c->active = true;
		c->isn_l = s->seq;
		c->mss_l = o->has_mss ? o->mss : 0;
		c->ts_ok = o->has_ts;
		c->syn_at = c->now;
		/* the window of an ACK we send before the kernel's (init1_early) */
		c->win_l = s->win;
		c->ws_l = ws_shift(o);
		/* RFC 8547 4.7 and 8548 8: no ENO with SYN data, Fast Open,
		 * signed segments, or without a seeded random source */
		if (s->payload_len || o->has_tfo || o->has_auth || !c->cfg->rng_ready ||
		    o->bad || c->opts.disabled)
			return to_plain(c);
		c->eno_ops.data_ok = tep_data_ok;
		c->eno_ops.repeat_ok = tc_resume_repeat_ok;
		c->eno_ops.arg = c;
		tc_eno_init(&c->eno, &ec, &c->eno_ops);
		set_peer(c, s, true);
		if (!resume_offer(c, room)) {
			c->st->resume_offered++;
		} else {
			for (i = 0; i < nteps; i++)
				teps[i] = (struct tc_eno_tep_in){ .byte = tl[i] };
			if (tc_eno_set_local(&c->eno, teps, nteps, room))
				return to_plain(c);
		}
		c->st->eno_offered++;
	}
	/* the SYN and its retransmissions carry the same option (4.6) */
	len = tc_eno_next_option(&c->eno, true, &opt);
	if (len <= 0)
		return c->state == TC_CONN_NEGOTIATING ? to_plain(c) : -EINVAL;
	err = send_syn(c, TC_SIDE_WIRE, frame, s, o, opt, len, false);
	if (err)
		return err;
	if (c->state == TC_CONN_NEGOTIATING)
		tc_eno_on_sent(&c->eno, s->flags, true);
	return 0;
}

/* A non-SYN segment from the local kernel. */
static int host_seg(struct tc_conn *c, const uint8_t *frame, const struct tc_seg *s,
		    const struct tc_tcpopt *o)
{
	struct pl payload;
	int64_t a = seq_off(s->seq, c->isn_l, c->tx.app_next);
	uint32_t len = s->payload_len;
	bool fin = s->flags & TC_TH_FIN;
	uint8_t keep = s->flags & (TC_TH_PSH | TC_TH_ECE | TC_TH_CWR);

	pl_init(&payload, frame, s);
	if (o->has_ts)
		c->tsval_l = o->tsval;
	c->win_l = s->win;
	c->tos_l = s->tos;
	if (s->flags & TC_TH_ACK)
		host_acked(c, seq_off(s->ack, c->isn_r, c->rx.app_next));
	if (s->flags & TC_TH_URG) {
		c->st->urgent_refused++;
		conn_abort(c, TC_ABORT_URGENT);
		return -EOPNOTSUPP;
	}
	if (s->flags & TC_TH_RST) {
		c->rst = true;
		return send_wire(c, tx_pos_to_frm(c, a), NULL, 0,
				 s->flags & (TC_TH_RST | TC_TH_ACK));
	}
	/*
	 * The kernel's ACK of the SYN-ACK after ours went with Init1
	 * (init1_early) tells the peer nothing new, and would leave before
	 * A's first frame: it ends here. Its window goes on our next segment.
	 */
	if (c->ack_early) {
		c->ack_early = false;
		if (!len && !fin && (s->flags & TC_TH_ACK) && s->ack == c->isn_r + 1)
			return 0;
	}

	if (c->state == TC_CONN_NEGOTIATING) {
		/* the active opener's ACK of the SYN-ACK: ENO goes on it */
		bool was = c->eno.state == TC_ENO_NEGOTIATING;

		if (len || fin)
			hold_append(c, a, &payload, len, fin);
		send_wire(c, 0, NULL, 0, s->flags & (TC_TH_ACK | TC_TH_ECE | TC_TH_CWR));
		if (was && c->eno.state == TC_ENO_ENABLED) {
			if (start_keyx(c)) {
				conn_abort(c, TC_ABORT_KEYX);
				return -EPROTO;
			}
		} else if (c->eno.state == TC_ENO_DISABLED) {
			return to_plain(c);
		}
		return 0;
	}
	if (c->state == TC_CONN_KEYX) {
		if (len || fin)
			hold_append(c, a, &payload, len, fin);
		/* the kernel's own acknowledgements still go out */
		if (!len && !fin)
			return send_wire(c, tx_pos_to_frm(c, a), NULL, 0, s->flags & ~TC_TH_PSH);
		return 0;
	}

	/* ENCRYPTED */
	if (!len && !fin)
		return send_wire(c, tx_pos_to_frm(c, a), NULL, 0, s->flags & ~TC_TH_PSH);
	{
		int64_t end = a + len, next = c->tx.app_next;

		/* bytes framed before: the same frames again */
		if (a < next)
			resend(c, a, end < next ? end : next, fin && end <= next, keep);
		if (end > next) {
			if (a > next)
				c->st->stale_dropped++;	/* a gap: the kernel resends it */
			else {
				pl_take(&payload, NULL, next - a);
				seal_new(c, &payload, end - next, fin, false, keep);
			}
		} else if (fin && !c->tx.fin && end == next) {
			seal_new(c, NULL, 0, true, false, keep);	/* FINp alone */
		} else if (fin && a == next) {
			resend(c, a, a, true, keep);	/* the FIN again */
		}
	}
	return 0;
}

/* ---- segments from the wire ---- */

/*
 * A, at the SYN-ACK of a fresh exchange: only our ACK with ENO is missing,
 * and Init1 may ride on it (TCP allows data on the third segment). It goes
 * now, rather than once the kernel's own ACK has come back through the
 * stack: the key exchange starts a host pass earlier. That ACK then ends
 * in host_seg() (ack_early). A lost Init1 segment is resent on the Init
 * timer with ENO, which our segments carry until the peer's first non-SYN
 * one. A resumed session and role B have nothing to send yet.
 */
static int init1_early(struct tc_conn *c)
{
	enum tc_eno_role role;
	struct tc_eno_sel sel;

	if (!tc_eno_ack_enables(&c->eno, &role, &sel) || role != TC_ENO_ROLE_A ||
	    (sel.byte & TC_ENO_V))
		return 0;
	tc_eno_on_sent(&c->eno, TC_TH_ACK, true);
	if (start_keyx(c)) {
		conn_abort(c, TC_ABORT_KEYX);
		return -EPROTO;
	}
	c->ack_early = true;
	return 0;
}

static int wire_syn(struct tc_conn *c, const uint8_t *frame, const struct tc_seg *s,
		    const struct tc_tcpopt *o)
{
	const uint8_t *opts = frame + s->l4_off + TC_TCP_HLEN;
	size_t optlen = s->thl - TC_TCP_HLEN;
	int err;

	if (!(s->flags & TC_TH_ACK)) {
		/* a passive open: the peer's SYN */
		if (c->active) {
			/*
			 * Simultaneous open. Both sides sent b = 0, so ENO could
			 * only fail (RFC 8547 4.3), but a SYN is the easiest
			 * segment to forge blind: falling back on it would let
			 * anyone who knows the ports strip encryption. Dropped;
			 * the peer's SYN-ACK completes a normal open.
			 */
			return -EINVAL;
		}
		if (c->syn_r && s->seq != c->isn_r)
			return -EINVAL;
		if (o->has_ts)
			c->tsval_r = o->tsval;	/* our SYN-ACK's TSecr (see host_syn) */
		if (!c->syn_r) {
			struct tc_eno_cfg ec = { .enabled = true, .passive = true,
						 .gopt = c->opts.gopt & TC_ENO_GOPT_A,
						 .aa_mandatory = c->opts.aa_mandatory };
			struct tc_eno_tep_in tep = { 0 };
			unsigned int nteps;
			const uint8_t *tl = conn_teps(c, &nteps);
			int glt;

			c->syn_r = true;
			c->isn_r = s->seq;
			c->mss_r = o->has_mss ? o->mss : 0;
			c->ts_ok = o->has_ts;
			c->ws_r = o->has_ws;
			if (!o->has_eno || o->has_auth || !c->cfg->rng_ready || o->bad ||
			    c->opts.disabled)
				return to_plain(c);
			c->eno_ops.data_ok = tep_data_ok;
			c->eno_ops.repeat_ok = tc_resume_repeat_ok;
			c->eno_ops.arg = c;
			tc_eno_init(&c->eno, &ec, &c->eno_ops);
			tc_eno_on_recv(&c->eno, s->flags, opts, optlen);
			if (c->eno.state != TC_ENO_NEGOTIATING)
				return to_plain(c);
			glt = tc_eno_pick(&c->eno.peer, tl, nteps, &c->eno_ops);
			if (glt < 0)
				return to_plain(c);
			set_peer(c, s, false);
			/* the SYN-ACK's kernel options take 19 bytes at most */
			if (!resume_answer(c, glt, TC_OPT_SPACE - 19)) {
				c->st->resume_accepted++;
			} else {
				tep.byte = (uint8_t)glt;
				if (tc_eno_set_local(&c->eno, &tep, 1, TC_OPT_SPACE - 19))
					return to_plain(c);
			}
		}
		/* SYN data under ENO is discarded: only the ISN is acknowledged;
		 * a retransmitted SYN goes to the kernel the same way */
		return send_syn(c, TC_SIDE_HOST, frame, s, o, NULL, 0, true);
	}

	/* the SYN-ACK to our SYN (only one that acknowledges it counts) */
	if (!c->active || s->ack != c->isn_l + 1 || (c->syn_r && s->seq != c->isn_r))
		return -EINVAL;
	c->proven = true;
	if (o->has_ts)
		c->tsval_r = o->tsval;	/* our first ACK echoes it (see host_syn) */
	if (!c->syn_r) {
		c->syn_r = true;
		c->isn_r = s->seq;
		c->mss_r = o->has_mss ? o->mss : 0;
		c->ts_ok = c->ts_ok && o->has_ts;
		set_mss_wire(c);
		if (c->syn_at && c->now > c->syn_at)
			c->rtt = c->now - c->syn_at;
		/* scaled from here on when both SYNs had window scaling */
		if (o->has_ws)
			c->win_l >>= c->ws_l;
		tc_eno_on_recv(&c->eno, s->flags, opts, optlen);
	}
	if (c->eno.state == TC_ENO_DISABLED)
		return to_plain(c);
	err = send_syn(c, TC_SIDE_HOST, frame, s, o, NULL, 0, true);
	if (err)
		return err;
	return init1_early(c);
}

static int wire_seg(struct tc_conn *c, const uint8_t *frame, const struct tc_seg *s,
		    const struct tc_tcpopt *o)
{
	const uint8_t *payload = frame + s->payload_off;
	struct rx_dir *r = &c->rx;
	int64_t f = seq_off(s->seq, c->isn_r, r->frm_next);
	int64_t ack_before = c->tx.frm_una, app_ack_before;
	uint32_t len = s->payload_len;
	uint64_t app_before;
	bool delivered, fin_before;
	struct hfields h;
	int err = 0;

	if (c->state == TC_CONN_NEGOTIATING) {
		/* B: the active opener's ACK (or first data) finishes ENO; a
		 * segment that does not acknowledge our SYN-ACK is not it */
		const uint8_t *opts = frame + s->l4_off + TC_TCP_HLEN;

		if (!(s->flags & TC_TH_ACK) || s->ack != c->isn_l + 1 ||
		    seq_off(s->seq, c->isn_r, 0) != 0)
			return -EINVAL;
		c->proven = true;

		tc_eno_on_recv(&c->eno, s->flags, opts, s->thl - TC_TCP_HLEN);
		if (c->eno.state == TC_ENO_DISABLED)
			return to_plain(c);
		if (c->eno.state != TC_ENO_ENABLED) {
			/* not decided yet (A before its own ACK): the kernel gets
			 * the acknowledgement, never an ENO option */
			hfields_of(c, s, o, &h);
			send_host(c, &h, rx_pos_to_app(c, f), TC_TH_ACK);
			return 0;
		}
		if (start_keyx(c)) {
			conn_abort(c, TC_ABORT_KEYX);
			return -EPROTO;
		}
	} else if (c->eno.state == TC_ENO_ENABLED && !c->eno.rcvd_nonsyn) {
		/* a non-SYN segment from the peer: stop sending ENO (4.6) */
		tc_eno_on_recv(&c->eno, s->flags, frame + s->l4_off + TC_TCP_HLEN,
			       s->thl - TC_TCP_HLEN);
	}
	if (o->has_ts)
		c->tsval_r = o->tsval;
	app_ack_before = tx_ack_to_app(c, c->tx.frm_una);
	if (s->flags & TC_TH_ACK) {
		tx_acked(c, seq_off(s->ack, c->isn_l, c->tx.frm_una));
		if (c->state == TC_CONN_ENCRYPTED) {
			sack_seen(c, o);
			repair_head(c);
		}
	}
	hfields_of(c, s, o, &h);

	if (s->flags & TC_TH_RST) {
		c->rst = true;
		send_host(c, &h, rx_pos_to_app(c, f), s->flags & (TC_TH_RST | TC_TH_ACK));
		return 0;
	}
	if (s->flags & TC_TH_URG) {
		c->st->urgent_refused++;
		conn_abort(c, TC_ABORT_URGENT);
		return -EOPNOTSUPP;
	}
	if (s->flags & TC_TH_FIN) {
		r->wire_fin = true;
		r->wire_fin_frm = f + len;
	}

	app_before = r->app_next;
	fin_before = r->fin;
	if (len) {
		if (f + (int64_t)len <= (int64_t)r->frm_next) {
			/* all old: deliver again what the kernel may have lost */
			if (r->init_done)
				redeliver(c, f, payload, len, &h);
			c->tx.ack_due = true;
		} else if (f > (int64_t)r->frm_next) {
			/*
			 * out of order: keep it; a duplicate ACK with SACK blocks
			 * lets the sender's fast retransmit fill the gap. One per
			 * batch, sent by tc_conn_flush(), as Linux compresses its
			 * SACKs (tcp_comp_sack_nr): an ACK per segment costs both
			 * hosts a kernel pass each and the SACKs tell the same.
			 */
			c->st->ooo_segments++;
			if (!tc_ooo_add(&r->ooo, r->frm_next, f, payload, len))
				c->st->ooo_dropped++;
			c->tx.ack_due = true;
		} else {
			struct tc_ooo_chunk *ch;

			err = consume(c, f, payload, len, &h);
			while (!err && c->state != TC_CONN_ABORTED &&
			       (ch = tc_ooo_next(&r->ooo, r->frm_next))) {
				uint64_t coff = ch->off;

				err = consume(c, coff, ch->data, ch->len, &h);
				if (c->state != TC_CONN_ABORTED)
					tc_ooo_drop(&r->ooo, ch);
			}
		}
	}
	if (c->state == TC_CONN_ABORTED)
		return err ? err : -EPROTO;

	/* a TCP FIN is only ever the end of a FINp frame */
	if (r->wire_fin && (uint64_t)r->frm_next >= r->wire_fin_frm && !r->fin &&
	    r->init_done && tc_reasm_pending(&r->reasm) == 0) {
		conn_abort(c, TC_ABORT_FIN);
		return -EPROTO;
	}
	/* this segment's news went out with data it delivered */
	delivered = r->app_next != app_before || r->fin != fin_before;

	/* acknowledgements and window updates for the local kernel */
	if (!delivered) {
		int64_t app_ack = tx_ack_to_app(c, c->tx.frm_una);
		bool deliver = !r->host_sent ||		/* B's third ACK */
			       app_ack != app_ack_before || h.nsack || h.win != r->win_host;

		/*
		 * A genuine duplicate ACK (no data, no advance) goes on for the
		 * kernel's fast retransmit; an ACK of only what the kernel never
		 * saw (the Init message, part of a frame) does not.
		 */
		if (!deliver && c->state == TC_CONN_ENCRYPTED && !len &&
		    (int64_t)c->tx.frm_una == ack_before)
			deliver = true;
		/* a segment whose bytes the kernel will not see (the Init
		 * message, held out of order) becomes an ACK at its rcv_nxt */
		if (deliver)
			send_host(c, &h, len ? (int64_t)r->app_next + (r->fin ? 1 : 0) :
				  rx_pos_to_app(c, f), TC_TH_ACK |
				  (s->flags & (TC_TH_ECE | TC_TH_CWR)));
	}
	/* the peer's Init message is ours to acknowledge, at the batch's end
	 * (tc_conn_flush): A's first frame, sealed later in the same batch
	 * once Init2 gave it keys, usually carries the acknowledgement */
	if (rx_wire_ack(c) > (int64_t)c->tx.ack_sent)
		c->tx.ack_due = true;
	return err;
}

/* ---- the API ---- */

static struct tc_conn *conn_alloc(const struct tc_engine_cfg *cfg, struct tc_engine_stats *st)
{
	struct tc_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cfg = cfg;
	c->st = st;
	c->state = TC_CONN_NEGOTIATING;
	tc_frames_init(&c->tx.fr);
	tc_bytes_init(&c->tx.by, 0);
	tc_frames_init(&c->rx.fr);
	tc_ooo_init(&c->rx.ooo, cfg->ooo_max);
	tc_reasm_init(&c->rx.reasm, 0);
	/* until the SYN exchange says otherwise: ENO disabled */
	c->eno.state = TC_ENO_DISABLED;
	return c;
}

struct tc_conn *tc_conn_new(const struct tc_engine_cfg *cfg, struct tc_engine_stats *st)
{
	return conn_alloc(cfg, st);
}

int tc_conn_set_opts(struct tc_conn *c, const struct tc_conn_opts *o)
{
	unsigned int i;

	if (c->syn_l || c->syn_r)
		return -EISCONN;
	if (o->n_teps > TC_ENGINE_TEPS_MAX || o->n_aeads > TC_ENGINE_AEADS_MAX ||
	    (o->gopt & ~(TC_ENO_GOPT_A | TC_ENO_GOPT_B)))
		return -EINVAL;
	for (i = 0; i < o->n_teps; i++)
		if (!tc_tep_info(o->teps[i]))
			return -EINVAL;
	for (i = 0; i < o->n_aeads; i++)
		if (!tc_aead_info(o->aeads[i]))
			return -EINVAL;
	c->opts = *o;
	return 0;
}

struct tc_conn *tc_conn_new_lost(const struct tc_engine_cfg *cfg, struct tc_engine_stats *st)
{
	struct tc_conn *c = conn_alloc(cfg, st);

	if (c) {
		c->state = TC_CONN_ABORTED;
		c->why = TC_ABORT_LOST_KEYS;
		c->rst = true;
		c->proven = true;	/* it was encrypted: keep it steered */
	}
	return c;
}

/* It may hold plaintext that had nowhere to go. */
static void free_scratch(struct tc_conn *c)
{
	if (c->scratch)
		tc_wipe(c->scratch, TC_FRAME_MAX);
	free(c->scratch);
	c->scratch = NULL;
}

void tc_conn_free(struct tc_conn *c)
{
	if (!c)
		return;
	hs_release(c);
	if (c->have_keys)
		tc_keys_free(&c->keys);
	resume_drop(c);
	tc_frames_free(&c->tx.fr);
	tc_bytes_free(&c->tx.by);
	tc_frames_free(&c->rx.fr);
	tc_ooo_free(&c->rx.ooo);
	tc_reasm_free(&c->rx.reasm);
	if (c->tx.hold)
		tc_wipe(c->tx.hold, c->tx.hold_cap);
	free(c->tx.hold);
	free_scratch(c);
	tc_wipe(c->session_id, sizeof(c->session_id));
	free(c);
}

/*
 * A closed connection stays in the flow table for its TIME_WAIT (60 s):
 * what it holds no more goes back now, so that a host opening many short
 * connections reuses that memory rather than growing its (locked) heap.
 * Only empty containers go: a late segment allocates again.
 */
static void release_idle(struct tc_conn *c)
{
	if (!tc_conn_closed(c))
		return;
	tc_frames_release(&c->tx.fr);
	tc_bytes_release(&c->tx.by);
	tc_frames_release(&c->rx.fr);
	tc_ooo_release(&c->rx.ooo);
	free_scratch(c);
	/*
	 * Over both ways (our FIN acknowledged, the peer's FINp frame opened
	 * and acknowledged by the local kernel: nothing to redeliver) or
	 * aborted: nothing is sealed or opened again. The keys go now, not
	 * after TIME_WAIT, and their memory serves the next connection.
	 */
	if (c->have_keys && (c->state == TC_CONN_ABORTED || tc_conn_done(c))) {
		tc_keys_free(&c->keys);
		c->have_keys = false;
	}
}

int tc_conn_input(struct tc_conn *c, enum tc_side from, const uint8_t *frame,
		  const struct tc_seg *s, uint64_t now, const struct tc_out *out)
{
	struct tc_tcpopt o;
	int ret;

	if (s->kind != TC_SEG_TCP)
		return -EINVAL;
	/* payloads in pieces: local data segments only (tc_seg.pv) */
	if (s->npv && (from != TC_SIDE_HOST || (s->flags & TC_TH_SYN)))
		return -EINVAL;
	c->out = out;
	c->now = now;
	if (c->state == TC_CONN_ABORTED) {
		if (c->why == TC_ABORT_LOST_KEYS)
			c->st->resets_lost_keys++;
		answer_rst(c, from, frame, s);
		ret = 0;
		goto out;
	}
	if (c->state == TC_CONN_PLAIN) {
		ret = TC_CONN_FORWARD;
		goto out;
	}
	parse_opts(frame, s, &o);
	if (from == TC_SIDE_HOST) {
		tmpl_set(&c->tw, frame, s);
		if (s->flags & TC_TH_SYN)
			ret = host_syn(c, frame, s, &o);
		else if (!c->syn_l || !c->syn_r)
			ret = -EINVAL;	/* not before the SYN exchange */
		else
			ret = host_seg(c, frame, s, &o);
	} else {
		tmpl_set(&c->th, frame, s);
		if (s->flags & TC_TH_SYN)
			ret = wire_syn(c, frame, s, &o);
		else if (!c->syn_l || !c->syn_r)
			ret = -EINVAL;	/* a blind segment must not end ENO */
		else
			ret = wire_seg(c, frame, s, &o);
	}
out:
	release_idle(c);
	c->out = NULL;
	return ret;
}

void tc_conn_flush(struct tc_conn *c, const struct tc_out *out)
{
	if (!c->pend.buf && !c->tx.ack_due)
		return;
	c->out = out;
	flush_pend(c);
	if (c->tx.ack_due && !c->rst &&
	    (c->state == TC_CONN_KEYX || c->state == TC_CONN_ENCRYPTED))
		send_wire(c, c->tx.frm_next, NULL, 0, TC_TH_ACK);
	c->tx.ack_due = false;
	c->out = NULL;
}

uint64_t tc_conn_next_timer(const struct tc_conn *c)
{
	uint64_t t = UINT64_MAX;

	if (c->state != TC_CONN_KEYX && c->state != TC_CONN_ENCRYPTED)
		return t;
	if (c->tx.init_sent && c->tx.frm_una < c->tx.init_len)
		t = c->tx.rto_at;
	if (c->state == TC_CONN_KEYX && c->keyx_deadline < t)
		t = c->keyx_deadline;
	if (c->tx.repair_at && c->tx.repair_at < t)
		t = c->tx.repair_at;
	return t;
}

void tc_conn_timer(struct tc_conn *c, uint64_t now, const struct tc_out *out)
{
	c->out = out;
	c->now = now;
	if (c->state == TC_CONN_KEYX && now >= c->keyx_deadline) {
		conn_abort(c, TC_ABORT_KEYX_TIMEOUT);
	} else if ((c->state == TC_CONN_KEYX || c->state == TC_CONN_ENCRYPTED) &&
		   c->tx.init_sent && c->tx.frm_una < c->tx.init_len && now >= c->tx.rto_at) {
		/* our Init message was not acknowledged: send it again */
		const struct tc_frame_rec *r = tc_frames_at(&c->tx.fr, 0);

		if (c->tx.fr.n && (r->flags & TC_FR_INIT)) {
			c->st->init_resent++;
			send_init_frame(c);
		}
		c->tx.rto = c->tx.rto * 2 < RTO_MAX_NS ? c->tx.rto * 2 : RTO_MAX_NS;
		c->tx.rto_at = now + c->tx.rto;
	}
	if (c->tx.repair_at && now >= c->tx.repair_at)
		repair_head(c);
	release_idle(c);
	c->out = NULL;
}

void tc_conn_abort(struct tc_conn *c, enum tc_abort_reason why, const struct tc_out *out)
{
	c->out = out;
	conn_abort(c, why);
	c->out = NULL;
}

enum tc_conn_state tc_conn_state(const struct tc_conn *c)
{
	return c->state;
}

enum tc_abort_reason tc_conn_abort_reason(const struct tc_conn *c)
{
	return c->why;
}

bool tc_conn_finished(const struct tc_conn *c)
{
	return c->tx.fin && c->tx.frm_una > c->tx.frm_next && c->rx.fin;
}

bool tc_conn_done(const struct tc_conn *c)
{
	return tc_conn_finished(c) && !c->rx.fr.n && !c->tx.fr.n;
}

bool tc_conn_proven(const struct tc_conn *c)
{
	return c->proven;
}

/* The checks host_syn() (SYN-ACK) and wire_seg() (ACK) make before proven. */
bool tc_conn_proves(const struct tc_conn *c, enum tc_side from, const struct tc_seg *s)
{
	if (c->proven || from != TC_SIDE_WIRE || c->state != TC_CONN_NEGOTIATING ||
	    !c->syn_l || !(s->flags & TC_TH_ACK) || s->ack != c->isn_l + 1)
		return false;
	if (s->flags & TC_TH_SYN)
		return c->active && (!c->syn_r || s->seq == c->isn_r);
	return !c->active && c->syn_r &&
	       seq_off(s->seq, c->isn_r, 0) == 0;
}

bool tc_conn_closed(const struct tc_conn *c)
{
	return c->rst || c->state == TC_CONN_ABORTED || tc_conn_finished(c);
}

bool tc_conn_has_keys(const struct tc_conn *c)
{
	return c->have_keys;
}

bool tc_conn_idle_due(const struct tc_conn *c)
{
	return c->keys_due || c->cache_due || spec_due(c);
}

void tc_conn_idle(struct tc_conn *c, uint64_t now, const struct tc_out *out)
{
	c->now = now;
	if (spec_due(c)) {
		spec_keys(c);
		return;
	}
	c->out = out;
	if (c->keys_due && c->hs && c->hs->derive_due && c->state != TC_CONN_ABORTED)
		c->st->keyx_idle++;
	if (c->keys_due)
		need_keys(c);
	cache_done(c);		/* none after a failure: the abort dropped the ticket */
	c->out = NULL;
}

int tc_conn_session(const struct tc_conn *c, struct tc_session_info *info)
{
	memset(info, 0, sizeof(*info));
	info->state = c->state;
	if (c->state == TC_CONN_PLAIN || (c->state == TC_CONN_ABORTED && !c->had_keys))
		return -EINVAL;
	if (!c->had_keys || c->state == TC_CONN_NEGOTIATING)
		return -ENOTCONN;
	info->role = c->eno.role;
	info->tep = c->tep_byte;
	info->aead = c->aead;
	info->local_gopt = c->eno.gopt;
	info->peer_gopt = c->eno.peer.gopt;
	memcpy(info->session_id, c->session_id, TC_SESSID_LEN);
	memcpy(info->transcript, c->transcript, c->transcript_len);
	info->transcript_len = c->transcript_len;
	info->have_session = true;
	info->resumed = c->tep_byte & TC_ENO_V;	/* B's byte, v = 1 when resumed */
	return 0;
}
