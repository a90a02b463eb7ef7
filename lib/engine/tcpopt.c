// SPDX-License-Identifier: GPL-2.0
/* TCP options: parse and lay out again (see tcpopt.h). */
#include <errno.h>
#include <string.h>

#include "engine/seg.h"
#include "engine/tcpopt.h"

int tc_tcpopt_parse(const uint8_t *p, size_t len, struct tc_tcpopt *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		uint8_t kind = p[i], olen;

		if (kind == TC_OPT_EOL)
			break;
		if (kind == TC_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 2 > len || p[i + 1] < 2 || i + p[i + 1] > len) {
			o->bad = true;
			return -EPROTO;
		}
		olen = p[i + 1];
		switch (kind) {
		case TC_OPT_MSS:
			if (olen != 4)
				goto keep;
			o->has_mss = true;
			o->mss = tc_get16(p + i + 2);
			break;
		case TC_OPT_WSCALE:
			if (olen != 3)
				goto keep;
			o->has_ws = true;
			o->ws = p[i + 2];
			break;
		case TC_OPT_SACK_PERM:
			if (olen != 2)
				goto keep;
			o->sack_ok = true;
			break;
		case TC_OPT_TS:
			if (olen != 10)
				goto keep;
			o->has_ts = true;
			o->tsval = tc_get32(p + i + 2);
			o->tsecr = tc_get32(p + i + 6);
			break;
		case TC_OPT_SACK: {
			unsigned int n = (olen - 2) / 8, k;

			if ((olen - 2) % 8 || !n)
				goto keep;
			for (k = 0; k < n && o->nsack < TC_SACK_MAX; k++) {
				o->sack[o->nsack].start = tc_get32(p + i + 2 + 8 * k);
				o->sack[o->nsack].end = tc_get32(p + i + 6 + 8 * k);
				o->nsack++;
			}
			break;
		}
		case TC_OPT_ENO:
			/* negotiated in the SYN exchange; never carried on */
			o->has_eno = true;
			break;
		case TC_OPT_MD5:
		case TC_OPT_AO:
			o->has_auth = true;
			goto keep;
		case TC_OPT_FASTOPEN:
			o->has_tfo = true;
			goto keep;
		case 254:
			if (olen >= 4 && tc_get16(p + i + 2) == 0xf989)
				o->has_tfo = true;
			goto keep;
		default:
keep:
			if (o->other_len + olen <= TC_OPT_SPACE) {
				memcpy(o->other + o->other_len, p + i, olen);
				o->other_len += olen;
			}
			break;
		}
		i += olen;
	}
	return 0;
}

static size_t base_size(const struct tc_tcpopt_out *w)
{
	return (w->mss ? 4 : 0) + (w->sack_ok ? 2 : 0) + (w->ts ? 10 : 0) +
	       (w->ws ? 3 : 0) + w->other_len + w->extra_len;
}

size_t tc_tcpopt_size(const struct tc_tcpopt_out *w)
{
	return base_size(w) + (w->nsack ? 2 + 8 * w->nsack : 0);
}

int tc_tcpopt_write(const struct tc_tcpopt_out *w, uint8_t out[TC_OPT_SPACE])
{
	size_t n = 0, base = base_size(w), pad;
	unsigned int nsack = w->nsack, k;

	if (base > TC_OPT_SPACE)
		return -ENOSPC;
	while (nsack && base + 2 + 8 * nsack > TC_OPT_SPACE)
		nsack--;
	/* timestamps first and NOP-aligned, as Linux sends them, when there is room */
	if (w->ts && !w->mss && !w->ws && !w->sack_ok &&
	    base + 2 + (nsack ? 2 + 8 * nsack : 0) <= TC_OPT_SPACE) {
		out[n++] = TC_OPT_NOP;
		out[n++] = TC_OPT_NOP;
	}
	if (w->mss) {
		out[n++] = TC_OPT_MSS;
		out[n++] = 4;
		tc_put16(out + n, w->mss_val);
		n += 2;
	}
	if (w->sack_ok) {
		out[n++] = TC_OPT_SACK_PERM;
		out[n++] = 2;
	}
	if (w->ts) {
		out[n++] = TC_OPT_TS;
		out[n++] = 10;
		tc_put32(out + n, w->tsval);
		tc_put32(out + n + 4, w->tsecr);
		n += 8;
	}
	if (w->ws) {
		out[n++] = TC_OPT_WSCALE;
		out[n++] = 3;
		out[n++] = w->ws_val;
	}
	if (nsack) {
		out[n++] = TC_OPT_SACK;
		out[n++] = 2 + 8 * nsack;
		for (k = 0; k < nsack; k++) {
			tc_put32(out + n, w->sack[k].start);
			tc_put32(out + n + 4, w->sack[k].end);
			n += 8;
		}
	}
	if (w->other_len) {
		memcpy(out + n, w->other, w->other_len);
		n += w->other_len;
	}
	if (w->extra_len) {
		memcpy(out + n, w->extra, w->extra_len);
		n += w->extra_len;
	}
	pad = (4 - n % 4) % 4;
	/* NOPs, then a final EOL, keep every option readable */
	while (pad--)
		out[n++] = pad ? TC_OPT_NOP : TC_OPT_EOL;
	return (int)n;
}
