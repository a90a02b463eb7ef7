/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP options as the segment engine sees them: the ones it reads or
 * rewrites are parsed into fields (MSS, window scale, SACK-permitted,
 * timestamps, SACK blocks, ENO), the rest are kept as raw bytes so a
 * rewritten segment carries them unchanged. tc_tcpopt_write() lays the
 * options out again without padding between them (SYNs need every byte for
 * ENO: MSS 4 + SACK-permitted 2 + timestamps 10 + window scale 3 leaves 21).
 */
#ifndef TC_ENGINE_TCPOPT_H
#define TC_ENGINE_TCPOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TC_OPT_EOL		0
#define TC_OPT_NOP		1
#define TC_OPT_MSS		2
#define TC_OPT_WSCALE		3
#define TC_OPT_SACK_PERM	4
#define TC_OPT_SACK		5
#define TC_OPT_TS		8
#define TC_OPT_MD5		19
#define TC_OPT_MPTCP		30
#define TC_OPT_AO		29
#define TC_OPT_FASTOPEN		34
#define TC_OPT_ENO		69

#define TC_OPT_SPACE		40
#define TC_SACK_MAX		4

struct tc_sack_block {
	uint32_t start, end;	/* sequence numbers, [start, end) */
};

struct tc_tcpopt {
	bool bad;		/* malformed list (length < 2 or past the end) */
	bool has_mss, has_ws, sack_ok, has_ts;
	bool has_eno;		/* at least one kind-69 option */
	bool has_auth;		/* MD5 or TCP-AO: the segment is signed, never rewrite */
	bool has_tfo;		/* a Fast Open option (kind 34 or 254/0xf989) */
	uint16_t mss;
	uint8_t ws;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	struct tc_sack_block sack[TC_SACK_MAX];
	/* options kept verbatim (unknown kinds), in order */
	uint8_t other[TC_OPT_SPACE];
	uint8_t other_len;
};

/* Parse the options area opts[0..len). Returns 0, or -EPROTO when malformed. */
int tc_tcpopt_parse(const uint8_t *opts, size_t len, struct tc_tcpopt *o);

/* What to write back, in this order: MSS, SACK-permitted, timestamps, window
 * scale, SACK blocks, the verbatim others, then extra (an ENO option). */
struct tc_tcpopt_out {
	bool mss, sack_ok, ts, ws;
	uint16_t mss_val;
	uint8_t ws_val;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	const struct tc_sack_block *sack;
	const uint8_t *other;
	uint8_t other_len;
	const uint8_t *extra;
	uint8_t extra_len;
};

/*
 * Lay out the options into out[0..40), padded with NOPs and EOL to a multiple
 * of 4. SACK blocks are dropped from the end when they do not fit (the
 * first is the most recent). Returns the length, or -ENOSPC when the rest
 * does not fit.
 */
int tc_tcpopt_write(const struct tc_tcpopt_out *w, uint8_t out[TC_OPT_SPACE]);

/* Space the options would take (before padding), SACK blocks included. */
size_t tc_tcpopt_size(const struct tc_tcpopt_out *w);

#endif
