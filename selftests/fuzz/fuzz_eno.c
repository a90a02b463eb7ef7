// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for TCP-ENO (lib/core/eno.c).
 *
 * Input: ctl(1) || split(1) || bytes. The bytes are used as
 *   1. one TCP options area, parsed as SYN and non-SYN (bounds, then
 *      parse -> build -> parse round trip on every well-formed SYN option);
 *   2. two SYN option areas (A's and B's, cut at split), for TEP selection
 *      checked against a brute-force reimplementation of section 4.5;
 *   3. an event script for one state machine (sent/received segments with
 *      options from the input), checking that ENABLED/DISABLED are final
 *      and that what it reports is consistent;
 *   4. the configuration of an honest two-host handshake, which must end
 *      with both hosts agreeing (same state, TEP, transcript).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/eno.h"

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);	\
		abort();						\
	}								\
} while (0)

/* Fuzz-controlled validity: decided by ctl bits and the data itself. */
struct fops {
	uint8_t ctl;
};

static bool f_data_ok(uint8_t byte, const uint8_t *data, size_t len,
		      bool peer, void *arg)
{
	const struct fops *f = arg;
	size_t i;
	uint8_t x = byte;

	for (i = 0; i < len; i++)
		x ^= data[i];
	if (f->ctl & 0x01)
		return true;
	return !(x & 0x01) || !(byte & TC_ENO_V);
}

static bool f_repeat_ok(uint8_t glt, unsigned int n_plain, unsigned int n_data,
			void *arg)
{
	const struct fops *f = arg;

	if (f->ctl & 0x02)
		return n_plain <= 1 && n_data <= 1;
	return (glt & 1) != 0;
}

static bool f_syn_data(uint8_t glt, void *arg)
{
	return glt == 0x20;
}

static void check_opt(const struct tc_eno_opt *o)
{
	unsigned int i;

	CHECK(o->raw_len >= 2 && o->raw_len <= TC_TCP_OPT_MAX);
	CHECK(o->raw[0] == TC_ENO_KIND && o->raw[1] == o->raw_len);
	CHECK(o->n_teps <= TC_ENO_SUBOPT_MAX);
	CHECK(!o->gopt_explicit ? o->gopt == 0 : o->gopt <= TC_ENO_GOPT_MAX);
	for (i = 0; i < o->n_teps; i++) {
		CHECK(tc_eno_glt(o->teps[i].byte) >= TC_ENO_TEP_MIN);
		CHECK((size_t)o->teps[i].off + o->teps[i].len <= o->raw_len);
		CHECK(o->teps[i].len == 0 || (o->teps[i].byte & TC_ENO_V));
		/* only the last suboption may run past 32 bytes */
		CHECK(o->teps[i].len <= TC_ENO_LEN_DATA_MAX ||
		      i + 1 == o->n_teps);
	}
}

/* build(parse(x)) must succeed, be no longer, and parse to the same thing */
static void roundtrip(const struct tc_eno_opt *o)
{
	struct tc_eno_tep_in t[TC_ENO_SUBOPT_MAX];
	struct tc_eno_opt o2;
	uint8_t out[TC_TCP_OPT_MAX];
	unsigned int i;
	int n;

	for (i = 0; i < o->n_teps; i++)
		t[i] = (struct tc_eno_tep_in){
			.byte = o->teps[i].byte, .len = o->teps[i].len,
			.data = tc_eno_subopt_data(o, &o->teps[i]) };
	n = tc_eno_build_syn(o->gopt & (TC_ENO_GOPT_A | TC_ENO_GOPT_B),
			     o->gopt_explicit, t, o->n_teps, out, sizeof(out));
	CHECK(n >= 2 && n <= o->raw_len);
	CHECK(tc_eno_parse_syn_opt(out, (size_t)n, &o2) == TC_ENO_R_NONE);
	CHECK(tc_eno_check_tx(out, (size_t)n, true, 0) == 0);
	CHECK(o2.gopt_explicit == o->gopt_explicit);
	CHECK(o2.gopt == (o->gopt & (TC_ENO_GOPT_A | TC_ENO_GOPT_B)));
	CHECK(o2.n_teps == o->n_teps);
	for (i = 0; i < o->n_teps; i++) {
		CHECK(o2.teps[i].byte == o->teps[i].byte);
		CHECK(o2.teps[i].len == o->teps[i].len);
		CHECK(!memcmp(tc_eno_subopt_data(&o2, &o2.teps[i]),
			      tc_eno_subopt_data(o, &o->teps[i]),
			      o->teps[i].len));
	}
}

static void fuzz_parse(const uint8_t *d, size_t n)
{
	struct tc_eno_parsed p;
	enum tc_eno_reason r;

	r = tc_eno_parse(d, n, false, &p);
	CHECK((unsigned int)r < TC_ENO_R__COUNT);
	CHECK(r != TC_ENO_R_NONE || p.n_eno >= 1);
	r = tc_eno_parse(d, n, true, &p);
	CHECK((unsigned int)r < TC_ENO_R__COUNT);
	(void)tc_eno_check_tx(d, n, true, n & 1);
	(void)tc_eno_syn_data(&p, r, n, 0x20, NULL);
	if (r != TC_ENO_R_NONE)
		return;
	CHECK(p.n_eno == 1 && p.n_legacy == 0);
	check_opt(&p.opt);
	roundtrip(&p.opt);
	/* the stored copy is the bytes of the option in the input */
	CHECK(memmem(d, n, p.opt.raw, p.opt.raw_len) != NULL);
}

/* Section 4.5 again, written differently: is glt valid in option o? */
static bool ref_offers(const struct tc_eno_opt *o, uint8_t glt, bool peer,
		       const struct tc_eno_tep_ops *ops)
{
	unsigned int i, plain = 0, data = 0;
	bool ok = true;

	for (i = 0; i < o->n_teps; i++) {
		const struct tc_eno_subopt *s = &o->teps[i];

		if ((s->byte & 0x7f) != glt)
			continue;
		if (s->byte & 0x80)
			data++;
		else
			plain++;
		ok = ok && ops->data_ok(s->byte, o->raw + s->off, s->len, peer,
					ops->arg);
	}
	if (!plain && !data)
		return false;
	if (plain + data > 1)
		ok = ok && ops->repeat_ok(glt, plain, data, ops->arg);
	return ok;
}

static void fuzz_select(uint8_t ctl, const uint8_t *da, size_t na,
			const uint8_t *db, size_t nb)
{
	struct fops f = { .ctl = ctl };
	struct tc_eno_tep_ops ops = { f_data_ok, f_repeat_ok, f_syn_data, &f };
	struct tc_eno_parsed pa, pb;
	struct tc_eno_sel sel;
	enum tc_eno_role role = ctl & 0x04 ? TC_ENO_ROLE_B : TC_ENO_ROLE_A;
	enum tc_eno_reason r, ra, rb;
	uint8_t ts[TC_ENO_TRANSCRIPT_MAX], best = 0;
	int i, pick;

	ra = tc_eno_parse(da, na, true, &pa);
	rb = tc_eno_parse(db, nb, true, &pb);
	if (ra || rb)
		return;
	r = tc_eno_select(&pa.opt, &pb.opt, role, &ops, &sel);
	/* brute force: last glt in B valid in both */
	for (i = pb.opt.n_teps - 1; i >= 0 && !best; i--) {
		uint8_t glt = pb.opt.teps[i].byte & 0x7f;

		if (ref_offers(&pb.opt, glt, role == TC_ENO_ROLE_A, &ops) &&
		    ref_offers(&pa.opt, glt, role == TC_ENO_ROLE_B, &ops))
			best = glt;
	}
	if (!pa.opt.n_teps || !pb.opt.n_teps) {
		CHECK(r == TC_ENO_R_VACUOUS);
	} else if (!best) {
		CHECK(r == TC_ENO_R_NO_TEP);
	} else {
		CHECK(r == TC_ENO_R_NONE);
		CHECK(sel.glt == best);
		CHECK(sel.b_idx < pb.opt.n_teps);
		CHECK(pb.opt.teps[sel.b_idx].byte == sel.byte);
		CHECK(tc_eno_glt(sel.byte) == sel.glt);
		for (i = sel.b_idx + 1; i < pb.opt.n_teps; i++)
			CHECK(tc_eno_glt(pb.opt.teps[i].byte) != sel.glt);
		for (i = 0; i < pa.opt.n_teps; i++)
			if (tc_eno_glt(pa.opt.teps[i].byte) == sel.glt)
				break;
		CHECK(i < pa.opt.n_teps);	/* chosen TEP is in A's too */
	}
	CHECK(tc_eno_transcript_of(&pa.opt, &pb.opt, ts, sizeof(ts)) ==
	      pa.opt.raw_len + pb.opt.raw_len);
	pick = tc_eno_pick(&pa.opt, db, nb, &ops);
	CHECK(pick == -ENOENT || (pick >= TC_ENO_TEP_MIN && pick < 0x80 &&
				  ref_offers(&pa.opt, (uint8_t)pick, true, &ops)));
	if (tc_eno_syn_data(&pa, ra, 1, sel.glt, &ops) ==
	    TC_ENO_SYN_DATA_ACCEPT)
		CHECK(r == TC_ENO_R_NONE && sel.glt == 0x20 &&
		      tc_eno_glt(pa.opt.teps[pa.opt.n_teps - 1].byte) == 0x20);
}

/* A state machine fed an arbitrary script; ENABLED and DISABLED are final. */
static void fuzz_sm(uint8_t ctl, const uint8_t *d, size_t n)
{
	struct fops f = { .ctl = ctl };
	struct tc_eno_tep_ops ops = { f_data_ok, f_repeat_ok, f_syn_data, &f };
	struct tc_eno_cfg cfg = {
		.enabled = !(ctl & 0x80), .passive = ctl & 0x08,
		.gopt = (ctl >> 4) & 3, .aa_mandatory = ctl & 0x40,
	};
	struct tc_eno_tep_in t[4];
	struct tc_eno e;
	uint8_t frozen[TC_TCP_OPT_MAX], ts[TC_ENO_TRANSCRIPT_MAX], g;
	size_t i = 0, k, olen, frozen_len = 0;
	enum tc_eno_state prev;
	const uint8_t *o;
	struct tc_eno_sel sel;
	enum tc_eno_role role;
	int len;

	if (tc_eno_init(&e, &cfg, &ops))
		return;
	while (i < n) {
		uint8_t ev = d[i++];
		unsigned int flags = (ev & 1 ? TC_TCP_SYN : 0) |
				     (ev & 2 ? TC_TCP_ACK : 0);

		prev = tc_eno_state(&e);
		switch (ev >> 2 & 3) {
		case 0:		/* set the local option from the next bytes */
			for (k = 0; k < 4 && k < (size_t)(ev >> 4 & 3) + 1 &&
				    i < n; k++, i++)
				t[k] = (struct tc_eno_tep_in){
					.byte = 0x20 | (d[i] & 0x07) |
						(d[i] & 0x80) };
			(void)tc_eno_set_local(&e, t, k, TC_TCP_OPT_MAX);
			break;
		case 1:		/* send what we are told to */
			len = tc_eno_next_option(&e, flags & TC_TCP_SYN, &o);
			CHECK(len >= 0 || len == -EAGAIN);
			(void)tc_eno_on_sent(&e, flags, len > 0 &&
					     !(ev & 0x80));
			break;
		case 2:		/* receive options taken from the input */
			olen = ev >> 4;
			if (olen > n - i)
				olen = n - i;
			(void)tc_eno_on_recv(&e, flags, d + i, olen);
			i += olen;
			break;
		case 3:
			if (ev & 0x10)
				(void)tc_eno_disable(&e, TC_ENO_R_CONFIG);
			else
				(void)tc_eno_set_gopt(&e, ev >> 5 & 3);
			break;
		}
		if (prev != TC_ENO_NEGOTIATING)
			CHECK(tc_eno_state(&e) == prev);
		if (e.sent_syn && e.have_local) {
			if (!frozen_len) {
				frozen_len = e.local.raw_len;
				memcpy(frozen, e.local.raw, frozen_len);
			}
			CHECK(e.local.raw_len == frozen_len &&
			      !memcmp(e.local.raw, frozen, frozen_len));
		}
		if (tc_eno_state(&e) == TC_ENO_DISABLED) {
			CHECK(tc_eno_reason(&e) != TC_ENO_R_NONE);
			CHECK(tc_eno_next_option(&e, true, &o) == 0);
			CHECK(tc_eno_next_option(&e, false, &o) == 0);
			CHECK(tc_eno_get_tep(&e, &sel) == -EINVAL);
		}
		if (tc_eno_state(&e) == TC_ENO_ENABLED) {
			CHECK(e.have_local && e.have_peer && e.have_sel);
			CHECK(e.sent_ack_eno && e.rcvd_ack_eno);
			CHECK(tc_eno_get_tep(&e, &sel) == 0);
			CHECK(tc_eno_get_role(&e, &role) == 0);
			CHECK(tc_eno_peer_gopt(&e, &g) == 0);
			CHECK((g & TC_ENO_GOPT_B) != (e.gopt & TC_ENO_GOPT_B));
			CHECK(!e.aa_mandatory || (g & TC_ENO_GOPT_A));
			CHECK(tc_eno_transcript(&e, ts, sizeof(ts)) ==
			      e.local.raw_len + e.peer.raw_len);
			check_opt(&e.local);
			check_opt(&e.peer);
			for (k = 0; k < e.local.n_teps; k++)
				if (tc_eno_glt(e.local.teps[k].byte) == sel.glt)
					break;
			CHECK(k < e.local.n_teps);
			for (k = 0; k < e.peer.n_teps; k++)
				if (tc_eno_glt(e.peer.teps[k].byte) == sel.glt)
					break;
			CHECK(k < e.peer.n_teps);
		}
	}
}

/* xmit between two honest hosts, options as on the wire */
static void xmit(struct tc_eno *from, struct tc_eno *to, unsigned int flags)
{
	const uint8_t *o;
	int len = tc_eno_next_option(from, flags & TC_TCP_SYN, &o);

	CHECK(len >= 0);
	CHECK(tc_eno_check_tx(o ? o : (const uint8_t *)"", (size_t)len,
			      flags & TC_TCP_SYN, 0) == 0);
	CHECK(tc_eno_on_sent(from, flags, len > 0) == 0);
	CHECK(tc_eno_on_recv(to, flags, o, (size_t)len) == 0);
}

static void fuzz_pair(uint8_t ctl, const uint8_t *d, size_t n)
{
	struct fops f = { .ctl = ctl | 0x03 };	/* every v=1 data valid */
	struct tc_eno_tep_ops ops = { f_data_ok, f_repeat_ok, NULL, &f };
	struct tc_eno_cfg ca = { .enabled = true, .gopt = ctl >> 4 & 3 };
	struct tc_eno_cfg cb = { .enabled = true, .passive = true,
				 .aa_mandatory = ctl & 0x40 };
	struct tc_eno_tep_in t[8];
	uint8_t prefs[8], ta[TC_ENO_TRANSCRIPT_MAX], tb[TC_ENO_TRANSCRIPT_MAX];
	size_t na = 0, np = 0, i;
	struct tc_eno a, b;
	struct tc_eno_sel sa, sb;
	enum tc_eno_role ra, rb;
	const uint8_t *o;
	bool expect;
	int pick = -ENOENT, la, lb;

	/* A's TEPs (distinct glt, some with 1..4 bytes of data), B's prefs */
	for (i = 0; i < n && i < 8; i++) {
		uint8_t glt = 0x20 | (d[i] & 0x0f), j;

		for (j = 0; j < na; j++)
			if (tc_eno_glt(t[j].byte) == glt)
				break;
		if (j < na)
			continue;
		t[na] = (struct tc_eno_tep_in){ .byte = glt };
		if (d[i] & 0x80) {
			t[na].data = d;
			t[na].len = (d[i] >> 4 & 3) + 1;
			if (t[na].len > n)
				t[na].len = (uint8_t)n;
		}
		na++;
	}
	for (; i < n && np < 8; i++)
		prefs[np++] = 0x20 | (d[i] & 0x0f);

	CHECK(tc_eno_init(&a, &ca, &ops) == 0);
	CHECK(tc_eno_init(&b, &cb, &ops) == 0);
	if (tc_eno_set_local(&a, t, na, 24) < 0)
		return;		/* did not fit next to MSS/SACK/timestamps */
	xmit(&a, &b, TC_TCP_SYN);
	if (tc_eno_state(&b) == TC_ENO_NEGOTIATING) {
		pick = tc_eno_pick(&b.peer, prefs, np, &ops);
		if (pick < 0) {
			CHECK(tc_eno_disable(&b, TC_ENO_R_NO_TEP) == 0);
		} else {
			struct tc_eno_tep_in one = { .byte = (uint8_t)pick };

			CHECK(tc_eno_set_local(&b, &one, 1, 24) == 0);
		}
	}
	xmit(&b, &a, TC_TCP_SYN | TC_TCP_ACK);
	xmit(&a, &b, TC_TCP_ACK);
	xmit(&a, &b, TC_TCP_ACK);
	xmit(&b, &a, TC_TCP_ACK);

	expect = na > 0 && !(ca.gopt & TC_ENO_GOPT_B) &&
		 (!cb.aa_mandatory || (ca.gopt & TC_ENO_GOPT_A)) && pick >= 0;
	CHECK(tc_eno_state(&a) == tc_eno_state(&b));
	CHECK((tc_eno_state(&a) == TC_ENO_ENABLED) == expect);
	if (!expect)
		return;
	CHECK(tc_eno_get_tep(&a, &sa) == 0 && tc_eno_get_tep(&b, &sb) == 0);
	CHECK(sa.glt == sb.glt && sa.byte == sb.byte && sa.glt == pick);
	CHECK(tc_eno_get_role(&a, &ra) == 0 && tc_eno_get_role(&b, &rb) == 0);
	CHECK(ra == TC_ENO_ROLE_A && rb == TC_ENO_ROLE_B);
	la = tc_eno_transcript(&a, ta, sizeof(ta));
	lb = tc_eno_transcript(&b, tb, sizeof(tb));
	CHECK(la > 0 && la == lb && !memcmp(ta, tb, (size_t)la));
	/* both stop sending ENO once they saw a non-SYN segment */
	CHECK(tc_eno_next_option(&a, false, &o) == 0);
	CHECK(tc_eno_next_option(&b, false, &o) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t ctl, split;

	if (size < 2)
		return 0;
	ctl = data[0];
	split = data[1];
	data += 2;
	size -= 2;

	fuzz_parse(data, size);
	if (split > size)
		split = (uint8_t)size;
	fuzz_select(ctl, data, split, data + split, size - split);
	fuzz_sm(ctl, data, size);
	fuzz_pair(ctl, data, size);
	return 0;
}
