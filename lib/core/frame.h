/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpcrypt encryption frames (RFC 8548 sections 3.6-3.8, 4.2).
 *
 *   frame     = control(1) || clen(2, BE) || ciphertext(clen)
 *   control   = cres(7 bits, 0) | rekey(bit 0)
 *   plaintext = flags(1) [|| urgent(2, BE) when URGp] || data
 *   flags     = fres(6 bits, 0) | URGp(bit 1) | FINp(bit 0)
 *   AD        = control || clen, exactly as on the wire
 *   N         = NR XOR (0^(nonce_len-8) || offset(8, BE))
 *   ciphertext = AEAD(K, N, plaintext, AD), 16-byte tag appended
 *
 * Three layers:
 *   struct tc_frame_key  one keyed EVP context (K set once) plus NR; seal or
 *                        open one frame at a given offset. Stateless about
 *                        offsets: the caller guarantees nonce uniqueness.
 *   struct tc_keys       a connection's keys: one tc_dir_keys per direction,
 *                        each holding one tc_frame_key per live generation,
 *                        the rekey state machine (local_gen/remote_gen) and
 *                        the offset bookkeeping that prevents frame-ID reuse.
 *   struct tc_reasm      incremental parser: stream bytes in arbitrary chunks
 *                        at increasing offsets in, complete frames out.
 *
 * Error codes (negative errno) used throughout:
 *   -EBADMSG      authentication failed (tag mismatch): tampered or wrong
 *                 key/offset. No plaintext is returned (the output buffer is
 *                 wiped). Per RFC 8548 3.6 abort, error distinct from EOF.
 *   -EPROTO       malformed frame: shorter than its header, clen below
 *                 tag + 1, clen not matching the bytes given, or an
 *                 authenticated plaintext with URGp set but no urgent field.
 *   -EMSGSIZE     seal: the frame would have clen >= 2^16.
 *   -ENOSPC       the caller's output buffer is too small.
 *   -EINVAL       bad arguments (reserved bits set on seal, NULL, ...).
 *   -ERANGE       offset not where the stream is (seal/open of a new frame
 *                 must be at the next offset; reseal must be below it).
 *   -EOVERFLOW    the frame would run past offset 2^64.
 *   -EKEYEXPIRED  the frame belongs to a generation already retired.
 *   -EBUSY        no room for another generation (retire old ones first), or
 *                 a second empty rekey frame while one is outstanding.
 *   -EAGAIN       rekey initiation while a previous one is not yet sent.
 *   -EPIPE        seal after the FINp frame.
 *   -ENOMEM       allocation failure.
 * A clean end of file is not an error: open succeeds with info->fin set.
 */
#ifndef TC_FRAME_H
#define TC_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "core/algs.h"

#define TC_FRAME_HDR_LEN	3		/* control || clen */
#define TC_FRAME_TAG_LEN	16		/* every tcpcrypt AEAD */
#define TC_FRAME_CLEN_MAX	0xffff		/* clen < 2^16 */
#define TC_FRAME_MAX		(TC_FRAME_HDR_LEN + TC_FRAME_CLEN_MAX)
#define TC_FRAME_CLEN_MIN	(1 + TC_FRAME_TAG_LEN)	/* flags byte + tag */
/* Largest data field: 65535 - 16 - 1 = 65518 bytes (65516 with URGp). */
#define TC_FRAME_DATA_MAX	(TC_FRAME_CLEN_MAX - TC_FRAME_TAG_LEN - 1)
#define TC_FRAME_OVERHEAD	(TC_FRAME_HDR_LEN + 1 + TC_FRAME_TAG_LEN)
#define TC_FRAME_NONCE_MAX	12

#define TC_CTRL_REKEY		0x01
#define TC_FLAG_FINP		0x01
#define TC_FLAG_URGP		0x02

/* Frame length for a data length (with or without the urgent field). */
static inline size_t tc_frame_len(size_t data_len, bool urg)
{
	return TC_FRAME_OVERHEAD + (urg ? 2 : 0) + data_len;
}

/* What an opened frame said. data points into the caller's output buffer. */
struct tc_frame_info {
	uint64_t offset;	/* where the frame starts in the framing stream */
	uint8_t control;	/* as received (reserved bits ignored) */
	uint8_t flags;		/* as decrypted (reserved bits ignored) */
	bool rekey;
	bool fin;		/* FINp: clean end of file after this data */
	bool urg;		/* URGp: urgent is valid */
	uint16_t urgent;
	const uint8_t *data;
	size_t data_len;
	/* Filled by tc_keys_open only: */
	uint32_t gen;		/* generation the frame was opened with */
	bool must_send;		/* RFC 8548 3.8: send a rekey=1 frame now */
};

/* One AEAD key in one direction: an EVP context keyed once, plus NR. */
struct tc_frame_key {
	EVP_CIPHER_CTX *ctx;
	uint8_t nr[TC_FRAME_NONCE_MAX];
	uint8_t nonce_len;
	bool enc;
};

/*
 * Key a context with a traffic key k_nr = K || NR (tc_traffic_keys layout)
 * for sealing (enc) or opening. cipher must be the one fetched in tc_algs.
 */
int tc_frame_key_init(struct tc_frame_key *fk, const EVP_CIPHER *cipher,
		      uint16_t aead_id, const uint8_t *k_nr, bool enc);
void tc_frame_key_free(struct tc_frame_key *fk);

/*
 * Seal one frame at offset into out (capacity cap). control: 0 or
 * TC_CTRL_REKEY; flags: TC_FLAG_FINP and/or TC_FLAG_URGP (urgent used only
 * with URGP). data may be NULL when len is 0. data may already sit where
 * the frame carries it, at out + 3 + 1 (+ 2 with URGP): then it is not
 * copied (zero copy); any other overlap is handled as by memmove.
 * Returns the frame length (tc_frame_len()) or a negative errno.
 * No allocation, no key setup: only the IV is set per frame.
 */
int tc_frame_seal(struct tc_frame_key *fk, uint64_t offset, uint8_t control,
		  uint8_t flags, uint16_t urgent, const uint8_t *data,
		  size_t len, uint8_t *out, size_t cap);

/*
 * The AEAD operation under the frame code, exposed for the test vectors:
 * nonce = NR XOR (0^4 || offset), AD ad[0..ad_len), input hdr || in (either
 * part may be empty), output to out (hdr_len + in_len bytes). Sealing keys
 * write the tag, opening keys check it (-EBADMSG, out wiped).
 */
int tc_frame_aead(struct tc_frame_key *fk, uint64_t offset,
		  const uint8_t *ad, size_t ad_len, const uint8_t *hdr,
		  size_t hdr_len, const uint8_t *in, size_t in_len,
		  uint8_t *out, uint8_t tag[TC_FRAME_TAG_LEN]);

/*
 * Open the complete frame frame[0..len) that starts at offset. The
 * plaintext (flags [urgent] data) is written to out (at least clen - 16
 * bytes); info->data points at its data part. out may equal frame + 3
 * (in place); otherwise they must not overlap. Returns 0, -EPROTO,
 * -EBADMSG, -ENOSPC or -EINVAL. OpenSSL decrypts before the tag is checked,
 * so on any failure out is wiped before returning (in place, that wipes the
 * ciphertext in the caller's frame too): unauthenticated bytes never leave.
 */
int tc_frame_open(struct tc_frame_key *fk, uint64_t offset,
		  const uint8_t *frame, size_t len, struct tc_frame_info *info,
		  uint8_t *out, size_t cap);

/* ---- a connection's keys and the rekey state (RFC 8548 3.8) ---- */

#define TC_KEYS_GENS	8	/* generations held per direction */

enum tc_keys_dir {
	TC_KEYS_TX = 0,		/* frames this host seals */
	TC_KEYS_RX = 1,		/* frames this host opens */
};

struct tc_gen_key {
	struct tc_frame_key fk;
	uint64_t first;		/* offset of the first frame under it */
	uint32_t gen;
	bool live;		/* keyed */
	bool used;		/* first is valid */
};

struct tc_dir_keys {
	struct tc_gen_key g[TC_KEYS_GENS];	/* generation j at j % GENS */
	uint32_t cur;		/* generation of the last new frame */
	uint32_t oldest;	/* lowest generation not yet retired */
	uint64_t next;		/* offset just after the last new frame */
};

struct tc_keys {
	const struct tc_algs *algs;
	const EVP_CIPHER *cipher;
	uint16_t aead_id;
	bool sends_ab;		/* original role A: seal with k_ab */
	uint8_t mk[TC_HASH_LEN];	/* mk[mk_gen], wiped when advanced */
	uint32_t mk_gen;
	uint32_t local_gen;	/* generation this host sends with */
	uint32_t remote_gen;	/* highest generation received */
	struct tc_dir_keys tx, rx;
	bool fin_sent;
	bool fin_rcvd;		/* the peer's FINp frame was opened */
	bool empty_rekey;	/* an empty initiating rekey is outstanding */
};

/*
 * Set up generation 0 from mk[0]. sends_ab: this host was A in the session
 * that produced ss[0] (it keeps that direction on resumption). tx_offset and
 * rx_offset are where the first frames start (len(Init1)/len(Init2) in a
 * fresh session, 0 in a resumed one). mk0 is copied; the caller wipes its own.
 */
int tc_keys_init(struct tc_keys *k, const struct tc_algs *algs,
		 uint16_t aead_id, bool sends_ab, const uint8_t mk0[TC_HASH_LEN],
		 uint64_t tx_offset, uint64_t rx_offset);
/* Wipe and free everything. */
void tc_keys_free(struct tc_keys *k);

/*
 * Initiate rekeying: local_gen++ (above remote_gen); the next sealed frame
 * carries rekey=1. -EAGAIN if an earlier step is not yet carried by a frame,
 * -EBUSY if an empty rekey frame is outstanding (RFC 8548 3.8), -EPIPE after
 * FINp.
 */
int tc_keys_rekey(struct tc_keys *k);

/* True while this host owes the peer a rekey=1 frame (send one, empty if
 * need be). Cleared by sealing; never set after FINp was sent. */
bool tc_keys_must_send(const struct tc_keys *k);

/*
 * Seal the next new frame, which must start at offset == the end of the
 * previous one (-ERANGE otherwise). Uses the next generation with rekey=1
 * when local_gen is ahead of the last frame's generation, else the current
 * one. Sealing a FINp frame ends the stream (-EPIPE afterwards).
 */
int tc_keys_seal(struct tc_keys *k, uint64_t offset, uint8_t flags,
		 uint16_t urgent, const uint8_t *data, size_t len,
		 uint8_t *out, size_t cap);

/*
 * Re-seal a frame for retransmission: offset below the stream end, under the
 * generation it was first sealed with (rekey bit reproduced). The caller MUST
 * pass exactly the frame boundaries and bytes it sent before (or else nonces
 * are reused): prefer keeping the ciphertext. -EKEYEXPIRED when retired.
 */
int tc_keys_reseal(struct tc_keys *k, uint64_t offset, uint8_t flags,
		   uint16_t urgent, const uint8_t *data, size_t len,
		   uint8_t *out, size_t cap);

/*
 * Open a frame. At the stream end (offset == end of the last frame opened)
 * it is a new frame: rekey=1 selects remote_gen + 1, whose keys are derived
 * in scratch when they do not exist yet. Only after the tag verifies are
 * they installed (reusing an old RX ring slot), remote_gen advanced (and
 * local_gen with it, setting info->must_send unless FINp was sent): a
 * frame that fails changes no key state at all. Below the stream end it is a
 * retransmission, opened with the generation that covered that offset, with
 * no state change. Above it: -ERANGE. A new frame after the peer's FINp
 * frame is -EPROTO (FINp is only ever on the last frame).
 */
int tc_keys_open(struct tc_keys *k, uint64_t offset, const uint8_t *frame,
		 size_t len, struct tc_frame_info *info, uint8_t *out,
		 size_t cap);

/*
 * The caller no longer needs generations <= gen in this direction (TX: all
 * bytes sealed under them are acknowledged; RX: no retransmission of them
 * will be opened): wipe them. The current generation is never retired.
 */
void tc_keys_retire(struct tc_keys *k, enum tc_keys_dir dir, uint32_t gen);

/*
 * The stream range [*first, *end) covered by generation gen in a direction:
 * from its first frame to the next generation's first frame (or the stream
 * end). A datapath retires TX generation gen once everything below *end is
 * acknowledged. -ENOENT if gen is retired or has no frame yet.
 */
int tc_keys_gen_range(const struct tc_keys *k, enum tc_keys_dir dir, uint32_t gen,
		      uint64_t *first, uint64_t *end);

/* Generations currently keyed in a direction (for tests and stats). */
unsigned int tc_keys_live(const struct tc_keys *k, enum tc_keys_dir dir);

/* ---- reassembly: stream bytes in, whole frames out ---- */

struct tc_reasm {
	uint64_t next;		/* stream offset of the next byte expected */
	uint64_t frame_off;	/* offset of the frame being assembled */
	uint8_t hdr[TC_FRAME_HDR_LEN];
	uint32_t have;		/* bytes of that frame held so far */
	uint32_t need;		/* its total length, 0 until the header is in */
	uint8_t *buf;		/* grown to the largest frame spanning chunks */
	uint32_t buf_cap;
	const uint8_t *in;	/* current input chunk (not owned) */
	size_t in_len;
	int err;		/* sticky: once malformed, always malformed */
};

/* Start at stream offset off (where the first frame begins). */
void tc_reasm_init(struct tc_reasm *r, uint64_t off);
void tc_reasm_free(struct tc_reasm *r);

/*
 * Hand over the stream bytes data[0..len) that start at offset off. Bytes
 * below the expected offset are skipped (already seen); a gap (off above it)
 * is -ERANGE. Then call tc_reasm_next until it returns 0; the chunk must
 * stay valid until then.
 */
int tc_reasm_push(struct tc_reasm *r, uint64_t off, const uint8_t *data,
		  size_t len);

/*
 * Next complete frame: returns 1 and sets *frame, *len and *off (valid until
 * the next call; points into the chunk when the frame lies within it, else
 * into the internal buffer), 0 when more bytes are needed, or -EPROTO (sticky)
 * when a header announces an impossible clen.
 */
int tc_reasm_next(struct tc_reasm *r, const uint8_t **frame, size_t *len,
		  uint64_t *off);

/* Bytes held for an incomplete frame (never more than TC_FRAME_MAX). */
static inline size_t tc_reasm_pending(const struct tc_reasm *r)
{
	return r->have;
}

#endif
