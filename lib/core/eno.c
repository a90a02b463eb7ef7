// SPDX-License-Identifier: GPL-2.0
/* TCP-ENO (RFC 8547) option handling and negotiation. See eno.h. */
#include <errno.h>
#include <string.h>

#include "core/eno.h"

const uint8_t tc_eno_nonsyn_opt[TC_ENO_NONSYN_LEN] = { TC_ENO_KIND, 2 };

static const char *const reason_names[TC_ENO_R__COUNT] = {
	[TC_ENO_R_NONE]		= "none",
	[TC_ENO_R_CONFIG]	= "disabled by configuration",
	[TC_ENO_R_ABSENT]	= "no ENO option",
	[TC_ENO_R_MALFORMED]	= "malformed SYN-form ENO option",
	[TC_ENO_R_DUPLICATE]	= "more than one ENO option in a SYN",
	[TC_ENO_R_LEGACY]	= "legacy experimental ENO option only",
	[TC_ENO_R_BOTH_FORMS]	= "both ENO option 69 and 253/0x454E",
	[TC_ENO_R_BAD_TCPOPT]	= "malformed TCP option list",
	[TC_ENO_R_SAME_B]	= "both hosts sent the same b bit",
	[TC_ENO_R_AA]		= "peer a=0 in mandatory application-aware mode",
	[TC_ENO_R_VACUOUS]	= "vacuous ENO option",
	[TC_ENO_R_NO_TEP]	= "no valid TEP",
	[TC_ENO_R_CHANGED]	= "peer's SYN-form ENO option changed",
	[TC_ENO_R_LOCAL_DROP]	= "segment sent without ENO",
	[TC_ENO_R_PROTO]	= "unexpected segment order",
};

const char *tc_eno_reason_str(enum tc_eno_reason r)
{
	if ((unsigned int)r >= TC_ENO_R__COUNT)
		return "?";
	return reason_names[r];
}

/* ---- parsing ---- */

enum tc_eno_reason tc_eno_parse_syn_opt(const uint8_t *raw, size_t len,
					struct tc_eno_opt *o)
{
	size_t i, dlen;
	uint8_t c, next;

	memset(o, 0, sizeof(*o));
	if (len < 2 || len > TC_TCP_OPT_MAX || raw[0] != TC_ENO_KIND ||
	    raw[1] != len)
		return TC_ENO_R_MALFORMED;
	memcpy(o->raw, raw, len);
	o->raw_len = (uint8_t)len;

	for (i = 2; i < len;) {
		c = raw[i];
		if (c <= TC_ENO_GOPT_MAX) {
			/* only the first global suboption counts (4.2) */
			if (!o->gopt_explicit) {
				o->gopt = c;
				o->gopt_explicit = true;
			}
			i++;
		} else if (c < TC_ENO_V) {
			o->teps[o->n_teps++] = (struct tc_eno_subopt){
				.byte = c, .off = (uint8_t)(i + 1), .len = 0 };
			i++;
		} else if (c < (TC_ENO_V | TC_ENO_TEP_MIN)) {
			/* length byte 100nnnnn: next is a v=1 TEP, nnnnn+1 data */
			dlen = (size_t)(c & TC_ENO_GOPT_MAX) + 1;
			if (i + 1 >= len || i + 2 + dlen > len)
				return TC_ENO_R_MALFORMED;
			next = raw[i + 1];
			if (next < (TC_ENO_V | TC_ENO_TEP_MIN))
				return TC_ENO_R_MALFORMED;
			o->teps[o->n_teps++] = (struct tc_eno_subopt){
				.byte = next, .off = (uint8_t)(i + 2),
				.len = (uint8_t)dlen };
			i += 2 + dlen;
		} else {
			/* v=1 TEP without a length byte: data to the end */
			o->teps[o->n_teps++] = (struct tc_eno_subopt){
				.byte = c, .off = (uint8_t)(i + 1),
				.len = (uint8_t)(len - i - 1) };
			i = len;
		}
	}
	return TC_ENO_R_NONE;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Walk the TCP option list: EOL ends it, NOP is one byte, everything else
 * is kind, length (>= 2, within the area), body. Calls fn for each option
 * with its bytes; returns false if the list is malformed.
 */
typedef void (*tcpopt_fn)(const uint8_t *o, size_t olen, void *arg);

static bool tcpopt_walk(const uint8_t *opts, size_t len, tcpopt_fn fn,
			void *arg)
{
	size_t i = 0, olen;

	while (i < len) {
		if (opts[i] == 0)	/* EOL: the rest is padding */
			return true;
		if (opts[i] == 1) {	/* NOP */
			i++;
			continue;
		}
		if (len - i < 2)
			return false;
		olen = opts[i + 1];
		if (olen < 2 || olen > len - i)
			return false;
		fn(opts + i, olen, arg);
		i += olen;
	}
	return true;
}

struct scan {
	uint8_t n_eno, n_legacy;
	bool tfo, eno_contents;
	const uint8_t *first;
	size_t first_len;
};

static void scan_opt(const uint8_t *o, size_t olen, void *arg)
{
	struct scan *s = arg;

	switch (o[0]) {
	case TC_ENO_KIND:
		if (!s->n_eno) {
			s->first = o;
			s->first_len = olen;
		}
		if (s->n_eno < UINT8_MAX)
			s->n_eno++;
		if (olen > 2)
			s->eno_contents = true;
		break;
	case TC_ENO_EXP_KIND:
		if (olen >= 4 && be16(o + 2) == TC_ENO_EXP_EXID &&
		    s->n_legacy < UINT8_MAX)
			s->n_legacy++;
		break;
	case TC_TFO_KIND:
		if (olen > 2)
			s->tfo = true;
		break;
	case 254:
		if (olen > 4 && be16(o + 2) == TC_TFO_EXP_EXID)
			s->tfo = true;
		break;
	}
}

enum tc_eno_reason tc_eno_parse(const uint8_t *opts, size_t len, bool syn,
				struct tc_eno_parsed *p)
{
	struct scan s = { 0 };
	bool ok;

	memset(p, 0, sizeof(*p));
	ok = tcpopt_walk(opts, len, scan_opt, &s);
	p->n_eno = s.n_eno;
	p->n_legacy = s.n_legacy;
	if (s.tfo)
		p->flags |= TC_ENO_P_TFO;
	if (s.n_legacy)
		p->flags |= TC_ENO_P_LEGACY;
	if (!ok) {
		p->flags |= TC_ENO_P_BAD_TCPOPT;
		return TC_ENO_R_BAD_TCPOPT;
	}
	/* a segment MUST NOT carry both forms (section 11) */
	if (s.n_eno && s.n_legacy)
		return TC_ENO_R_BOTH_FORMS;
	if (!s.n_eno)
		return s.n_legacy ? TC_ENO_R_LEGACY : TC_ENO_R_ABSENT;
	if (!syn)
		return TC_ENO_R_NONE;	/* presence is all that counts */
	if (s.n_eno > 1)
		return TC_ENO_R_DUPLICATE;
	return tc_eno_parse_syn_opt(s.first, s.first_len, &p->opt);
}

/* ---- building ---- */

int tc_eno_build_syn(uint8_t gopt, bool explicit_gopt,
		     const struct tc_eno_tep_in *teps, size_t n,
		     uint8_t *out, size_t cap)
{
	uint8_t buf[TC_TCP_OPT_MAX];
	size_t i, pos = 2, need;
	bool last;
	uint8_t byte;

	if (gopt & ~(TC_ENO_GOPT_A | TC_ENO_GOPT_B))
		return -EINVAL;	/* z bits MUST be 0 when sent */
	if (cap > TC_TCP_OPT_MAX)
		cap = TC_TCP_OPT_MAX;
	if (cap < 2)
		return -ENOSPC;
	buf[0] = TC_ENO_KIND;
	if (gopt || explicit_gopt) {
		if (pos >= cap)
			return -ENOSPC;
		buf[pos++] = gopt;
	}
	for (i = 0; i < n; i++) {
		last = i + 1 == n;
		byte = teps[i].byte;
		if (tc_eno_glt(byte) < TC_ENO_TEP_MIN)
			return -EINVAL;
		if (teps[i].len) {
			if (!teps[i].data)
				return -EINVAL;
			byte |= TC_ENO_V;
		}
		if (!last && (byte & TC_ENO_V) &&
		    (!teps[i].len || teps[i].len > TC_ENO_LEN_DATA_MAX))
			return -EINVAL;	/* not expressible with a length byte */
		need = 1 + teps[i].len + (!last && teps[i].len ? 1 : 0);
		if (need > cap - pos)
			return -ENOSPC;
		if (!last && teps[i].len)
			buf[pos++] = TC_ENO_LEN_BYTE | (uint8_t)(teps[i].len - 1);
		buf[pos++] = byte;
		if (teps[i].len)
			memcpy(buf + pos, teps[i].data, teps[i].len);
		pos += teps[i].len;
	}
	if (pos > cap)
		return -ENOSPC;
	buf[1] = (uint8_t)pos;
	memcpy(out, buf, pos);
	return (int)pos;
}

int tc_eno_check_tx(const uint8_t *opts, size_t len, bool syn,
		    size_t payload_len)
{
	struct scan s = { 0 };

	if (!tcpopt_walk(opts, len, scan_opt, &s))
		return -EPROTO;
	/* new implementations MUST use 69, never 253/0x454E (section 11) */
	if (s.n_legacy)
		return -EPROTO;
	if (syn && s.n_eno) {
		if (s.n_eno > 1 || s.tfo || payload_len)
			return -EPROTO;
		if (tc_eno_parse_syn_opt(s.first, s.first_len,
					 &(struct tc_eno_opt){ 0 }))
			return -EPROTO;
	}
	/* no TEP of ours gives non-SYN-form contents a meaning: N = 0 */
	if (!syn && s.eno_contents)
		return -EPROTO;
	return 0;
}

/* ---- decisions ---- */

enum tc_eno_reason tc_eno_check_gopt(uint8_t local_gopt, uint8_t peer_gopt,
				     bool aa_mandatory, enum tc_eno_role *role)
{
	if ((local_gopt & TC_ENO_GOPT_B) == (peer_gopt & TC_ENO_GOPT_B))
		return TC_ENO_R_SAME_B;
	if (aa_mandatory && !(peer_gopt & TC_ENO_GOPT_A))
		return TC_ENO_R_AA;
	*role = local_gopt & TC_ENO_GOPT_B ? TC_ENO_ROLE_B : TC_ENO_ROLE_A;
	return TC_ENO_R_NONE;
}

static bool subopt_ok(const struct tc_eno_opt *o, const struct tc_eno_subopt *s,
		      bool peer, const struct tc_eno_tep_ops *ops)
{
	if (ops && ops->data_ok)
		return ops->data_ok(s->byte, tc_eno_subopt_data(o, s), s->len,
				    peer, ops->arg);
	return !(s->byte & TC_ENO_V);
}

/* Is glt offered validly by option o (present, data ok, repetition ok)? */
static bool offers(const struct tc_eno_opt *o, uint8_t glt, bool peer,
		   const struct tc_eno_tep_ops *ops)
{
	unsigned int n_plain = 0, n_data = 0, i;

	for (i = 0; i < o->n_teps; i++) {
		if (tc_eno_glt(o->teps[i].byte) != glt)
			continue;
		if (o->teps[i].byte & TC_ENO_V)
			n_data++;
		else
			n_plain++;
		if (!subopt_ok(o, &o->teps[i], peer, ops))
			return false;
	}
	if (n_plain + n_data == 0)
		return false;
	if (n_plain + n_data > 1 &&
	    !(ops && ops->repeat_ok && ops->repeat_ok(glt, n_plain, n_data,
						       ops->arg)))
		return false;
	return true;
}

enum tc_eno_reason tc_eno_select(const struct tc_eno_opt *a,
				 const struct tc_eno_opt *b,
				 enum tc_eno_role local_role,
				 const struct tc_eno_tep_ops *ops,
				 struct tc_eno_sel *sel)
{
	bool a_peer = local_role != TC_ENO_ROLE_A;
	uint8_t glt;
	int j, k;

	if (!a->n_teps || !b->n_teps)
		return TC_ENO_R_VACUOUS;
	for (j = b->n_teps - 1; j >= 0; j--) {
		glt = tc_eno_glt(b->teps[j].byte);
		/* a later suboption already decided this glt */
		for (k = j + 1; k < b->n_teps; k++)
			if (tc_eno_glt(b->teps[k].byte) == glt)
				break;
		if (k < b->n_teps)
			continue;
		if (!offers(b, glt, !a_peer, ops) || !offers(a, glt, a_peer, ops))
			continue;
		sel->glt = glt;
		sel->byte = b->teps[j].byte;
		sel->b_idx = (uint8_t)j;
		return TC_ENO_R_NONE;
	}
	return TC_ENO_R_NO_TEP;
}

int tc_eno_pick(const struct tc_eno_opt *a, const uint8_t *prefs, size_t n,
		const struct tc_eno_tep_ops *ops)
{
	uint8_t glt;

	while (n--) {
		glt = tc_eno_glt(prefs[n]);
		if (glt >= TC_ENO_TEP_MIN && offers(a, glt, true, ops))
			return glt;
	}
	return -ENOENT;
}

enum tc_eno_syn_data tc_eno_syn_data(const struct tc_eno_parsed *p,
				     enum tc_eno_reason parse_reason,
				     size_t payload_len, uint8_t negotiated_glt,
				     const struct tc_eno_tep_ops *ops)
{
	uint8_t syn_tep;

	if (!payload_len)
		return TC_ENO_SYN_DATA_NONE;
	/* any ENO option, even malformed or duplicated, makes it SYN+ENO */
	if (!p->n_eno && !p->n_legacy)
		return TC_ENO_SYN_DATA_NOT_ENO;
	if (parse_reason != TC_ENO_R_NONE || !negotiated_glt ||
	    (p->flags & TC_ENO_P_TFO) || !p->opt.n_teps)
		return TC_ENO_SYN_DATA_DISCARD;
	syn_tep = tc_eno_glt(p->opt.teps[p->opt.n_teps - 1].byte);
	if (syn_tep != negotiated_glt || !ops || !ops->syn_data ||
	    !ops->syn_data(syn_tep, ops->arg))
		return TC_ENO_SYN_DATA_DISCARD;
	return TC_ENO_SYN_DATA_ACCEPT;
}

int tc_eno_transcript_of(const struct tc_eno_opt *a,
			 const struct tc_eno_opt *b, uint8_t *out, size_t cap)
{
	size_t n = (size_t)a->raw_len + b->raw_len;

	if (n > cap)
		return -ENOSPC;
	memcpy(out, a->raw, a->raw_len);
	memcpy(out + a->raw_len, b->raw, b->raw_len);
	return (int)n;
}

/* ---- state machine ---- */

static void eno_disable(struct tc_eno *e, enum tc_eno_reason why)
{
	if (e->state != TC_ENO_NEGOTIATING)
		return;		/* enabled is final; keep the first reason */
	e->state = TC_ENO_DISABLED;
	e->reason = why;
}

static void maybe_enable(struct tc_eno *e)
{
	if (e->state == TC_ENO_NEGOTIATING && e->have_sel &&
	    e->sent_ack_eno && e->rcvd_ack_eno)
		e->state = TC_ENO_ENABLED;
}

int tc_eno_init(struct tc_eno *e, const struct tc_eno_cfg *cfg,
		const struct tc_eno_tep_ops *ops)
{
	memset(e, 0, sizeof(*e));
	/* fail closed: a caller ignoring the error gets plain TCP */
	e->state = TC_ENO_DISABLED;
	e->reason = TC_ENO_R_CONFIG;
	if (cfg->gopt & ~(TC_ENO_GOPT_A | TC_ENO_GOPT_B))
		return -EINVAL;
	e->ops = ops;
	e->gopt = cfg->gopt;
	e->passive = cfg->passive;
	e->aa_mandatory = cfg->aa_mandatory;
	e->tep_mandatory = cfg->tep_mandatory;
	if (e->passive)
		e->gopt |= TC_ENO_GOPT_B;	/* MUST for passive openers */
	if (e->aa_mandatory)
		e->gopt |= TC_ENO_GOPT_A;	/* the mode sets a = 1 */
	if (cfg->enabled) {
		e->state = TC_ENO_NEGOTIATING;
		e->reason = TC_ENO_R_NONE;
	}
	return 0;
}

int tc_eno_set_gopt(struct tc_eno *e, uint8_t gopt)
{
	if (gopt & ~(TC_ENO_GOPT_A | TC_ENO_GOPT_B))
		return -EINVAL;
	if (e->have_local || e->sent_syn)
		return -EISCONN;
	if (e->passive)
		gopt |= TC_ENO_GOPT_B;
	if (e->aa_mandatory)
		gopt |= TC_ENO_GOPT_A;
	e->gopt = gopt;
	return 0;
}

/* With both options known: roles, then the TEP. */
static void negotiate(struct tc_eno *e)
{
	const struct tc_eno_opt *a, *b;
	enum tc_eno_reason r;

	if (!e->have_local || !e->have_peer || e->have_sel ||
	    e->state != TC_ENO_NEGOTIATING)
		return;
	r = tc_eno_check_gopt(e->gopt, e->peer.gopt, e->aa_mandatory, &e->role);
	if (r) {
		eno_disable(e, r);
		return;
	}
	a = e->role == TC_ENO_ROLE_A ? &e->local : &e->peer;
	b = e->role == TC_ENO_ROLE_A ? &e->peer : &e->local;
	r = tc_eno_select(a, b, e->role, e->ops, &e->sel);
	if (r) {
		eno_disable(e, r);
		return;
	}
	e->have_sel = true;
	maybe_enable(e);
}

/* Does o repeat a TEP only as its TEP allows (4.5, condition 3)? */
static bool repeats_ok(const struct tc_eno_opt *o,
		       const struct tc_eno_tep_ops *ops)
{
	unsigned int i, j, n_plain, n_data;
	uint8_t glt;

	for (i = 0; i < o->n_teps; i++) {
		glt = tc_eno_glt(o->teps[i].byte);
		for (j = 0; j < i; j++)
			if (tc_eno_glt(o->teps[j].byte) == glt)
				break;
		if (j < i)
			continue;	/* counted at its first occurrence */
		n_plain = n_data = 0;
		for (j = i; j < o->n_teps; j++) {
			if (tc_eno_glt(o->teps[j].byte) != glt)
				continue;
			if (o->teps[j].byte & TC_ENO_V)
				n_data++;
			else
				n_plain++;
		}
		if (n_plain + n_data > 1 &&
		    !(ops && ops->repeat_ok &&
		      ops->repeat_ok(glt, n_plain, n_data, ops->arg)))
			return false;
	}
	return true;
}

int tc_eno_set_local(struct tc_eno *e, const struct tc_eno_tep_in *teps,
		     size_t n, size_t cap)
{
	struct tc_eno_opt local;
	uint8_t buf[TC_TCP_OPT_MAX];
	int len;

	if (e->sent_syn || e->have_local)
		return -EISCONN;
	len = tc_eno_build_syn(e->gopt, e->passive, teps, n, buf, cap);
	if (len < 0)
		return len;
	if (tc_eno_parse_syn_opt(buf, (size_t)len, &local))
		return -EINVAL;	/* cannot happen: we just built it */
	/* never send a repetition the TEP does not define (e.g. RFC 8548
	 * 3.5: two resumption suboptions for one TEP) */
	if (!repeats_ok(&local, e->ops))
		return -EINVAL;
	e->local = local;
	e->have_local = true;
	negotiate(e);
	return 0;
}

int tc_eno_next_option(const struct tc_eno *e, bool syn, const uint8_t **opt)
{
	*opt = NULL;
	if (e->state == TC_ENO_DISABLED)
		return 0;
	if (syn) {
		if (!e->have_local)
			return -EAGAIN;
		*opt = e->local.raw;
		return e->local.raw_len;
	}
	/*
	 * ENO on every segment until a non-SYN segment arrives (4.6), and in
	 * any case on our first ACK while negotiating: a host that received
	 * a non-SYN segment before sending its ACK (the active opener's third
	 * segment) could otherwise never have sent an ACK with ENO, and
	 * encryption would never be enabled.
	 */
	if (e->rcvd_nonsyn &&
	    (e->state != TC_ENO_NEGOTIATING || e->sent_ack_eno))
		return 0;
	*opt = tc_eno_nonsyn_opt;
	return TC_ENO_NONSYN_LEN;
}

int tc_eno_on_sent(struct tc_eno *e, unsigned int tcp_flags, bool with_eno)
{
	bool syn = tcp_flags & TC_TCP_SYN;

	if (syn)
		e->sent_syn = true;	/* local option frozen from now on */
	if (e->state == TC_ENO_DISABLED)
		return with_eno ? -EINVAL : 0;
	if (with_eno && syn && !e->have_local)
		return -EINVAL;
	if (!with_eno) {
		/* a SYN or anything before the peer's first non-SYN segment */
		if (!syn && e->rcvd_nonsyn)
			return 0;
		if (e->state == TC_ENO_ENABLED)
			return -EPROTO;	/* too late to fall back: caller bug */
		eno_disable(e, TC_ENO_R_LOCAL_DROP);
		return 0;
	}
	if (tcp_flags & TC_TCP_ACK) {
		e->sent_ack_eno = true;
		maybe_enable(e);
	}
	return 0;
}

static void recv_syn(struct tc_eno *e, const struct tc_eno_parsed *p)
{
	if (e->have_peer) {
		/* retransmission, or the SYN-ACK of a simultaneous open */
		if (p->opt.raw_len != e->peer.raw_len ||
		    memcmp(p->opt.raw, e->peer.raw, e->peer.raw_len))
			eno_disable(e, TC_ENO_R_CHANGED);
		return;
	}
	e->peer = p->opt;
	e->have_peer = true;
	/*
	 * A passive opener's peer is an active opener: b must be 0. Checking
	 * now lets a listener drop ENO before building its SYN-ACK.
	 */
	if (e->passive && (e->peer.gopt & TC_ENO_GOPT_B)) {
		eno_disable(e, TC_ENO_R_SAME_B);
		return;
	}
	if (e->aa_mandatory && !(e->peer.gopt & TC_ENO_GOPT_A)) {
		eno_disable(e, TC_ENO_R_AA);
		return;
	}
	negotiate(e);
}

int tc_eno_on_recv(struct tc_eno *e, unsigned int tcp_flags,
		   const uint8_t *opts, size_t len)
{
	bool syn = tcp_flags & TC_TCP_SYN, ack = tcp_flags & TC_TCP_ACK;
	struct tc_eno_parsed p;
	enum tc_eno_reason r;
	bool first_ack;

	if (!syn)
		e->rcvd_nonsyn = true;
	first_ack = ack && !e->rcvd_first_ack;
	if (ack)
		e->rcvd_first_ack = true;
	if (e->state != TC_ENO_NEGOTIATING)
		return 0;
	/* after the first ACK, segments lacking ENO no longer matter */
	if (!syn && !first_ack && e->rcvd_ack_eno)
		return 0;

	r = tc_eno_parse(opts, len, syn, &p);
	if (r) {
		eno_disable(e, r);
		return 0;
	}
	if (syn) {
		recv_syn(e, &p);
	} else if (!e->have_peer) {
		/* a non-SYN segment before any SYN from the peer */
		eno_disable(e, TC_ENO_R_PROTO);
		return 0;
	}
	if (first_ack && e->state == TC_ENO_NEGOTIATING) {
		e->rcvd_ack_eno = true;
		maybe_enable(e);
	}
	return 0;
}

bool tc_eno_ack_enables(const struct tc_eno *e, enum tc_eno_role *role,
			struct tc_eno_sel *sel)
{
	if (e->state != TC_ENO_NEGOTIATING || !e->have_sel || !e->rcvd_ack_eno ||
	    e->sent_ack_eno)
		return false;
	*role = e->role;
	*sel = e->sel;
	return true;
}

int tc_eno_disable(struct tc_eno *e, enum tc_eno_reason why)
{
	if (why == TC_ENO_R_NONE || (unsigned int)why >= TC_ENO_R__COUNT)
		return -EINVAL;
	if (e->state == TC_ENO_ENABLED)
		return -EISCONN;
	eno_disable(e, why);
	return 0;
}

int tc_eno_get_role(const struct tc_eno *e, enum tc_eno_role *role)
{
	if (e->state == TC_ENO_DISABLED)
		return -EINVAL;
	if (e->state != TC_ENO_ENABLED)
		return -ENOTCONN;
	*role = e->role;
	return 0;
}

int tc_eno_get_tep(const struct tc_eno *e, struct tc_eno_sel *sel)
{
	if (e->state == TC_ENO_DISABLED)
		return -EINVAL;
	if (e->state != TC_ENO_ENABLED)
		return -ENOTCONN;
	*sel = e->sel;
	return 0;
}

int tc_eno_peer_gopt(const struct tc_eno *e, uint8_t *gopt)
{
	if (!e->have_peer)
		return e->state == TC_ENO_DISABLED ? -EINVAL : -ENOTCONN;
	*gopt = e->peer.gopt;
	return 0;
}

int tc_eno_transcript(const struct tc_eno *e, uint8_t *out, size_t cap)
{
	if (e->state == TC_ENO_DISABLED)
		return -EINVAL;
	if (e->state != TC_ENO_ENABLED)
		return -ENOTCONN;
	if (e->role == TC_ENO_ROLE_A)
		return tc_eno_transcript_of(&e->local, &e->peer, out, cap);
	return tc_eno_transcript_of(&e->peer, &e->local, out, cap);
}
