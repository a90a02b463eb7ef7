/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How the flow table and the segment engine hand frames they make to the
 * poller that owns them: ask for a buffer for a frame to one side, write
 * the frame into it, then put it (len 0 gives the buffer back unused).
 * The poller backs buffers with UMEM frames (a contiguous run of frames
 * for anything larger than one, sent as a descriptor chain), so a frame
 * is written once and never copied again in userspace.
 */
#ifndef TCD_EMIT_H
#define TCD_EMIT_H

#include <stdint.h>

#include "tcpcryptd/xsk.h"

/* Largest frame the engine may ask for: a 64 KB IP datagram plus L2. */
#define EMIT_MAX_FRAME	(65535 + 14 + 8)

struct emit {
	/* A buffer for a frame of at most len bytes to side TO; NULL when out of room. */
	uint8_t *(*get)(struct emit *em, enum xq_side to, uint32_t len);
	/* The frame in buf (from get) is complete with len bytes; 0: unused. */
	void (*put)(struct emit *em, enum xq_side to, uint8_t *buf, uint32_t len);
	/* put() completes TCP checksums of wire frames (tc_out.wire_csum_partial) */
	bool wire_csum_partial;
	/* put() cuts wire super-segments of up to this many payload bytes
	 * (tc_out.wire_gso_max); 0: none now */
	uint32_t wire_gso_max;
	/* send a wire super-segment from its headers and a payload held
	 * elsewhere, at once (tc_out.put_super); NULL: none */
	int (*put_super)(struct emit *em, const uint8_t *hdr, uint32_t hdr_len,
			 const uint8_t *payload, uint32_t len);
};

static inline uint8_t *emit_get(struct emit *em, enum xq_side to, uint32_t len)
{
	return em->get(em, to, len);
}

static inline void emit_put(struct emit *em, enum xq_side to, uint8_t *buf, uint32_t len)
{
	em->put(em, to, buf, len);
}

#endif
