/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The recorded layout of one direction of a tcpcrypt connection: which
 * frames exist, where each starts in the application stream (what the local
 * kernels see) and in the framing stream (what the wire carries), and, for
 * frames we send, their bytes until the peer has acknowledged them.
 *
 *   app offset  a = kernel sequence number - (ISN + 1)
 *   frm offset  f = wire sequence number   - (ISN + 1)
 *
 * Both grow monotonically frame by frame; the key exchange message (Init1
 * or Init2) is recorded as a frame with no application bytes, so it is
 * retransmitted and acknowledged like any other.
 *
 * struct tc_frames   frame records, oldest first, in a growable ring
 * struct tc_bytes    the framing-stream bytes of unacknowledged frames
 * struct tc_ooo      out-of-order wire bytes beyond the in-order point,
 *                    kept within a bound until the gap fills
 */
#ifndef TC_ENGINE_STREAM_H
#define TC_ENGINE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TC_FR_INIT	0x01	/* the Init message, not an encryption frame */
#define TC_FR_FIN	0x02	/* FINp set */

struct tc_frame_rec {
	uint64_t app;		/* application offset of its first data byte */
	uint64_t frm;		/* framing offset of its first byte */
	uint32_t app_len;	/* data bytes (0 for Init and empty frames) */
	uint32_t frm_len;	/* bytes on the wire */
	uint8_t flags;		/* TC_FR_* */
	uint64_t sent;		/* tx: time of its latest transmission */
};

struct tc_frames {
	struct tc_frame_rec *r;
	uint32_t cap;		/* power of two */
	uint32_t head;		/* index of the oldest */
	uint32_t n;
};

void tc_frames_init(struct tc_frames *fr);
void tc_frames_free(struct tc_frames *fr);
/* Append (offsets must continue the last record). 0 or -ENOMEM. */
int tc_frames_push(struct tc_frames *fr, const struct tc_frame_rec *rec);
static inline struct tc_frame_rec *tc_frames_at(const struct tc_frames *fr, uint32_t i)
{
	return &fr->r[(fr->head + i) & (fr->cap - 1)];
}
static inline struct tc_frame_rec *tc_frames_last(const struct tc_frames *fr)
{
	return fr->n ? tc_frames_at(fr, fr->n - 1) : NULL;
}
/* Drop the oldest k records. */
void tc_frames_pop(struct tc_frames *fr, uint32_t k);
/* Give back the buffer of an empty log (the next push allocates again). */
void tc_frames_release(struct tc_frames *fr);
/*
 * Binary searches over the monotonic ends: the index of the first record
 * whose application range ends after app (app < rec.app + rec.app_len),
 * resp. whose framing range ends after frm; fr->n if none. The record
 * before it is the last one wholly at or below the offset.
 */
uint32_t tc_frames_after_app(const struct tc_frames *fr, uint64_t app);
uint32_t tc_frames_after_frm(const struct tc_frames *fr, uint64_t frm);

/*
 * Framing-stream bytes [base, base + len), contiguous in one buffer (so a
 * frame is emitted straight from it); the front is reclaimed by moving the
 * held bytes down when that is cheap, else the buffer grows.
 */
struct tc_bytes {
	uint8_t *b;
	size_t cap;
	size_t head;		/* index of the byte at base */
	uint64_t base;		/* framing offset of the first byte held */
	size_t len;
};

void tc_bytes_init(struct tc_bytes *by, uint64_t base);
void tc_bytes_free(struct tc_bytes *by);
/* Give back the buffer while no byte is held; offsets continue from base. */
void tc_bytes_release(struct tc_bytes *by);
/* Room for n more bytes at the end, or NULL (-ENOMEM). */
uint8_t *tc_bytes_reserve(struct tc_bytes *by, size_t n);
/* The n bytes written into the reserved room are now held. */
void tc_bytes_commit(struct tc_bytes *by, size_t n);
/* Forget everything below framing offset upto. */
void tc_bytes_trim(struct tc_bytes *by, uint64_t upto);
/* The held bytes from framing offset off on (off must be held). */
static inline const uint8_t *tc_bytes_at(const struct tc_bytes *by, uint64_t off)
{
	return by->b + by->head + (off - by->base);
}
static inline bool tc_bytes_holds(const struct tc_bytes *by, uint64_t off, size_t n)
{
	return off >= by->base && off + n <= by->base + by->len;
}

/* Out-of-order bytes, as sorted non-overlapping chunks. */
struct tc_ooo_chunk {
	uint64_t off;
	uint32_t len, cap;
	uint64_t seen;		/* arrival order, for SACK (most recent first) */
	uint8_t *data;
};

/* holes of a window (a contiguous run of arrivals extends its chunk) */
#define TC_OOO_CHUNKS_MAX	64
#define TC_OOO_CHUNK_BYTES	(64u << 10)

struct tc_ooo {
	struct tc_ooo_chunk *c;	/* allocated on the first hole: most connections
				 * never have one, and every closed connection
				 * waits out its TIME_WAIT */
	uint32_t n, cap;
	size_t bytes;		/* held in total */
	size_t max;		/* bound on bytes */
	uint64_t stamp;
};

void tc_ooo_init(struct tc_ooo *o, size_t max);
void tc_ooo_free(struct tc_ooo *o);
/* Give back the (empty) chunk array; nothing when chunks are held. */
void tc_ooo_release(struct tc_ooo *o);
/*
 * Keep data[0..len) at framing offset off (off beyond the in-order point
 * next). Parts already held are not copied twice. Returns the bytes newly
 * held; 0 when nothing was new or the bound or chunk count is reached
 * (the sender retransmits).
 */
size_t tc_ooo_add(struct tc_ooo *o, uint64_t next, uint64_t off, const uint8_t *data,
		  size_t len);
/*
 * The chunk that continues the in-order stream at next (its first byte at
 * or below next, ending beyond it), or NULL. Chunks entirely below next are
 * discarded on the way.
 */
struct tc_ooo_chunk *tc_ooo_next(struct tc_ooo *o, uint64_t next);
/* Remove a chunk returned by tc_ooo_next. */
void tc_ooo_drop(struct tc_ooo *o, struct tc_ooo_chunk *c);
/* Up to max SACK ranges of held bytes, most recently extended first. */
unsigned int tc_ooo_ranges(const struct tc_ooo *o, uint64_t *start, uint64_t *end,
			   unsigned int max);

#endif
