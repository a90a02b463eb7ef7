/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpcrypt key-exchange messages (RFC 8548 sections 3.3 and 4.1), all
 * integers big-endian:
 *
 *   Init1 = INIT1_MAGIC(4) || message_len(4) || nciphers(1)
 *           || sym_cipher[nciphers](2 each) || N_A(32) || Pub_A || ignored
 *   Init2 = INIT2_MAGIC(4) || message_len(4) || sym_cipher(2)
 *           || N_B(32) || Pub_B || ignored
 *
 * We always send zero ignored bytes. On receipt any number of ignored bytes
 * (message_len is 32 bits) is accepted without being buffered: the decoder
 * keeps only the fixed part (at most TC_INIT_FIXED_MAX bytes) and hands each
 * ignored byte, in order, to an optional sink. The handshake's sink streams
 * them into the PRK's HMAC, since the PRK hashes the messages as
 * transmitted.
 *
 * The decoder is incremental: feed it the start of the peer's byte stream in
 * chunks of any size. It reports how much of the last chunk belonged to the
 * message, so the rest goes to the frame layer. Every check happens at a
 * fixed byte position, so the outcome does not depend on how the stream was
 * split (the sink sees the same bytes in the same order, in pieces that may
 * differ).
 *
 * Return values of tc_init_dec_feed():
 *   TC_INIT_NEED_MORE (0)  the whole chunk was consumed, message incomplete
 *   TC_INIT_DONE (1)       complete; *consumed bytes of the chunk were used
 *   negative errno: abort the connection (RFC 8548 3.3), each distinct from
 *   end-of-file, and sticky (later calls return the same error):
 *     -TC_EINIT_MAGIC    (-EPROTO)          bad INIT1_MAGIC/INIT2_MAGIC
 *     -TC_EINIT_LEN      (-EMSGSIZE)        message_len too small for the TEP
 *                                           (and nciphers)
 *     -TC_EINIT_NCIPHERS (-EBADMSG)         Init1 with nciphers == 0
 *     -TC_EINIT_CIPHER   (-EPROTONOSUPPORT) Init2 sym_cipher not in A's offer
 *     -TC_EBADKEY        (-EKEYREJECTED)    Pub fails validation (ecdh.h)
 *     -TC_EINIT_TRUNC    (-ENODATA)         from tc_init_dec_eof(): the
 *                                           stream ended inside the message
 *     the sink's error                      it failed (-EIO if positive)
 */
#ifndef TC_INIT_H
#define TC_INIT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "core/ecdh.h"

#define TC_INIT1_MAGIC		0x15101a0eu
#define TC_INIT2_MAGIC		0x097105e0u
#define TC_NONCE_LEN		32	/* N_A_LEN = N_B_LEN */
#define TC_INIT1_HDR_LEN	9	/* magic, message_len, nciphers */
#define TC_INIT2_HDR_LEN	10	/* magic, message_len, sym_cipher */
#define TC_INIT_NCIPHERS_MAX	255

/*
 * The largest fixed part (a message without ignored bytes): an Init1 with
 * 255 ciphers on P-521, 9 + 510 + 32 + 69 = 620 bytes. Ignored bytes beyond
 * it are never buffered, so message_len has no upper bound but its 32 bits.
 */
#define TC_INIT_FIXED_MAX	(TC_INIT1_HDR_LEN + 2 * TC_INIT_NCIPHERS_MAX + \
				 TC_NONCE_LEN + TC_ECDH_PUB_MAX)

enum {
	TC_INIT_NEED_MORE = 0,
	TC_INIT_DONE = 1,
};

#define TC_EINIT_MAGIC		EPROTO
#define TC_EINIT_LEN		EMSGSIZE
#define TC_EINIT_NCIPHERS	EBADMSG
#define TC_EINIT_CIPHER		EPROTONOSUPPORT
#define TC_EINIT_TRUNC		ENODATA

/* Message length with no ignored bytes (0 for an unknown TEP). */
size_t tc_init1_len(uint8_t tep, size_t nciphers);
size_t tc_init2_len(uint8_t tep);

/*
 * Encode Init1/Init2 into out (capacity cap) with zero ignored bytes.
 * pub is the wire encoding (tc_ecdh_public) and must have the TEP's length.
 * Return the message length or -EINVAL/-ENOSPC.
 */
int tc_init1_encode(uint8_t *out, size_t cap, uint8_t tep,
		    const uint16_t *ciphers, size_t nciphers,
		    const uint8_t nonce[TC_NONCE_LEN],
		    const uint8_t *pub, size_t pub_len);
int tc_init2_encode(uint8_t *out, size_t cap, uint8_t tep, uint16_t cipher,
		    const uint8_t nonce[TC_NONCE_LEN],
		    const uint8_t *pub, size_t pub_len);

/* Holds pointers into itself: use it in place, never copy it once started. */
struct tc_init_dec {
	uint8_t which;		/* 1: Init1, 2: Init2 */
	uint8_t tep;		/* TEP id, v bit clear */
	const uint16_t *offered;	/* Init2: A's sym_cipher list */
	size_t n_offered;
	int status;		/* TC_INIT_NEED_MORE, TC_INIT_DONE or -errno */
	uint32_t have;		/* bytes received so far */
	uint32_t msg_len;	/* message_len, 0 until 8 bytes are in */
	uint32_t fixed_len;	/* the part without ignored bytes, 0 until
				 * the header is in */
	/* ignored bytes (fixed_len..msg_len) go here, in order; NULL: dropped */
	int (*sink)(void *arg, const uint8_t *data, size_t len);
	void *sink_arg;
	uint8_t msg[TC_INIT_FIXED_MAX];	/* the fixed part, as transmitted */

	/* Valid once all fixed_len bytes are in (pointers into msg): */
	uint8_t nciphers;		/* Init1 */
	const uint8_t *ciphers;		/* Init1: nciphers 2-byte BE ids */
	uint16_t sym_cipher;		/* Init2 */
	const uint8_t *nonce;		/* N_A or N_B */
	const uint8_t *pub;		/* Pub_A or Pub_B (wire encoding) */
	size_t pub_len;
	EVP_PKEY *peer;			/* the validated Pub, once DONE */
};

/* Start decoding an Init1 (B) for a TEP. */
void tc_init1_dec_init(struct tc_init_dec *d, uint8_t tep);

/*
 * Start decoding an Init2 (A). offered/n_offered: the sym_cipher list A sent
 * (kept by reference; it must outlive the decoder).
 */
void tc_init2_dec_init(struct tc_init_dec *d, uint8_t tep,
		       const uint16_t *offered, size_t n_offered);

/*
 * Where the ignored bytes go: fn(arg, data, len) is called with each run of
 * them, after the fixed part is complete (nonce, pub and the header fields
 * are then valid) and before the message is DONE; 0 or -errno (sticky).
 * Without a sink they are dropped.
 */
void tc_init_dec_set_sink(struct tc_init_dec *d,
			  int (*fn)(void *arg, const uint8_t *data, size_t len),
			  void *arg);

/* Feed the next len bytes of the peer's stream (see the return values). */
int tc_init_dec_feed(struct tc_init_dec *d, const uint8_t *data, size_t len,
		     size_t *consumed);

/* The peer's stream ended: 0 if the message was complete, else an error. */
int tc_init_dec_eof(struct tc_init_dec *d);

/* Init1 cipher i (i < nciphers) once DONE. */
static inline uint16_t tc_init1_cipher(const struct tc_init_dec *d, size_t i)
{
	return (uint16_t)(d->ciphers[2 * i] << 8 | d->ciphers[2 * i + 1]);
}

/* Release the peer key. */
void tc_init_dec_free(struct tc_init_dec *d);

#endif
