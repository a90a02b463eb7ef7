// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "core/init.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

size_t tc_init1_len(uint8_t tep, size_t nciphers)
{
	const struct tc_tep_info *ti = tc_tep_info(tep);

	return ti ? TC_INIT1_HDR_LEN + 2 * nciphers + TC_NONCE_LEN + ti->pub_len : 0;
}

size_t tc_init2_len(uint8_t tep)
{
	const struct tc_tep_info *ti = tc_tep_info(tep);

	return ti ? TC_INIT2_HDR_LEN + TC_NONCE_LEN + ti->pub_len : 0;
}

int tc_init1_encode(uint8_t *out, size_t cap, uint8_t tep,
		    const uint16_t *ciphers, size_t nciphers,
		    const uint8_t nonce[TC_NONCE_LEN],
		    const uint8_t *pub, size_t pub_len)
{
	const struct tc_tep_info *ti = tc_tep_info(tep);
	size_t len, i;
	uint8_t *p;

	if (!ti || pub_len != ti->pub_len || nciphers == 0 ||
	    nciphers > TC_INIT_NCIPHERS_MAX)
		return -EINVAL;
	len = tc_init1_len(tep, nciphers);
	if (cap < len)
		return -ENOSPC;
	put32(out, TC_INIT1_MAGIC);
	put32(out + 4, (uint32_t)len);
	out[8] = (uint8_t)nciphers;
	p = out + TC_INIT1_HDR_LEN;
	for (i = 0; i < nciphers; i++) {
		*p++ = (uint8_t)(ciphers[i] >> 8);
		*p++ = (uint8_t)ciphers[i];
	}
	memcpy(p, nonce, TC_NONCE_LEN);
	memcpy(p + TC_NONCE_LEN, pub, pub_len);
	return (int)len;
}

int tc_init2_encode(uint8_t *out, size_t cap, uint8_t tep, uint16_t cipher,
		    const uint8_t nonce[TC_NONCE_LEN],
		    const uint8_t *pub, size_t pub_len)
{
	const struct tc_tep_info *ti = tc_tep_info(tep);
	size_t len;

	if (!ti || pub_len != ti->pub_len)
		return -EINVAL;
	len = tc_init2_len(tep);
	if (cap < len)
		return -ENOSPC;
	put32(out, TC_INIT2_MAGIC);
	put32(out + 4, (uint32_t)len);
	out[8] = (uint8_t)(cipher >> 8);
	out[9] = (uint8_t)cipher;
	memcpy(out + TC_INIT2_HDR_LEN, nonce, TC_NONCE_LEN);
	memcpy(out + TC_INIT2_HDR_LEN + TC_NONCE_LEN, pub, pub_len);
	return (int)len;
}

static void dec_init(struct tc_init_dec *d, uint8_t which, uint8_t tep)
{
	memset(d, 0, sizeof(*d));
	d->which = which;
	d->tep = TC_TEP_ID(tep);
	d->status = tc_tep_info(tep) ? TC_INIT_NEED_MORE : -EINVAL;
}

void tc_init1_dec_init(struct tc_init_dec *d, uint8_t tep)
{
	dec_init(d, 1, tep);
}

void tc_init2_dec_init(struct tc_init_dec *d, uint8_t tep,
		       const uint16_t *offered, size_t n_offered)
{
	dec_init(d, 2, tep);
	d->offered = offered;
	d->n_offered = n_offered;
}

void tc_init_dec_set_sink(struct tc_init_dec *d,
			  int (*fn)(void *arg, const uint8_t *data, size_t len),
			  void *arg)
{
	d->sink = fn;
	d->sink_arg = arg;
}

static size_t hdr_len(const struct tc_init_dec *d)
{
	return d->which == 1 ? TC_INIT1_HDR_LEN : TC_INIT2_HDR_LEN;
}

/* The byte count at which the next check runs. */
static uint32_t next_mark(const struct tc_init_dec *d)
{
	if (d->have < 4)
		return 4;
	if (d->have < 8)
		return 8;
	if (d->have < hdr_len(d))
		return (uint32_t)hdr_len(d);
	if (d->have < d->fixed_len)
		return d->fixed_len;
	return d->msg_len;
}

/* Checks run when exactly d->have bytes are in; 0, DONE or -errno. */
static int check_mark(struct tc_init_dec *d)
{
	size_t pub_len = tc_tep_info(d->tep)->pub_len;
	const uint8_t *p;
	size_t i, min;
	int err;

	if (d->have == 4) {
		if (get32(d->msg) != (d->which == 1 ? TC_INIT1_MAGIC : TC_INIT2_MAGIC))
			return -TC_EINIT_MAGIC;
		return 0;
	}
	if (d->have == 8) {
		d->msg_len = get32(d->msg + 4);
		/* Init1 needs at least one cipher; nciphers is checked next */
		min = d->which == 1 ? tc_init1_len(d->tep, 1) : tc_init2_len(d->tep);
		if (d->msg_len < min)
			return -TC_EINIT_LEN;
		return 0;
	}
	if (d->have == hdr_len(d)) {
		if (d->which == 1) {
			d->nciphers = d->msg[8];
			if (d->nciphers == 0)
				return -TC_EINIT_NCIPHERS;
			d->fixed_len = (uint32_t)tc_init1_len(d->tep, d->nciphers);
		} else {
			d->sym_cipher = (uint16_t)(d->msg[8] << 8 | d->msg[9]);
			for (i = 0; i < d->n_offered; i++)
				if (d->offered[i] == d->sym_cipher)
					break;
			if (i == d->n_offered)
				return -TC_EINIT_CIPHER;
			d->fixed_len = (uint32_t)tc_init2_len(d->tep);
		}
		if (d->msg_len < d->fixed_len)
			return -TC_EINIT_LEN;
		return 0;
	}
	if (d->have == d->fixed_len) {
		/* the fields, before any ignored byte is streamed */
		p = d->msg + hdr_len(d);
		if (d->which == 1) {
			d->ciphers = p;
			p += 2 * d->nciphers;
		}
		d->nonce = p;
		d->pub = p + TC_NONCE_LEN;
		d->pub_len = pub_len;
	}
	if (d->have < d->msg_len)
		return 0;
	/* the whole message is in */
	err = tc_ecdh_peer(d->tep, d->pub, d->pub_len, &d->peer);
	return err ? err : TC_INIT_DONE;
}

int tc_init_dec_feed(struct tc_init_dec *d, const uint8_t *data, size_t len,
		     size_t *consumed)
{
	size_t used = 0, n;
	uint32_t mark;
	int ret;

	if (consumed)
		*consumed = 0;
	while (d->status == TC_INIT_NEED_MORE && used < len) {
		mark = next_mark(d);
		n = mark - d->have;
		if (n > len - used)
			n = len - used;
		if (d->fixed_len && d->have >= d->fixed_len) {
			/* ignored bytes: streamed on, never kept */
			ret = d->sink ? d->sink(d->sink_arg, data + used, n) : 0;
			if (ret) {
				d->status = ret < 0 ? ret : -EIO;
				break;
			}
		} else {
			memcpy(d->msg + d->have, data + used, n);
		}
		d->have += (uint32_t)n;
		used += n;
		if (d->have < mark)
			break;
		ret = check_mark(d);
		if (ret)
			d->status = ret;
	}
	if (consumed)
		*consumed = used;
	return d->status;
}

int tc_init_dec_eof(struct tc_init_dec *d)
{
	if (d->status == TC_INIT_NEED_MORE)
		d->status = -TC_EINIT_TRUNC;
	return d->status == TC_INIT_DONE ? 0 : d->status;
}

void tc_init_dec_free(struct tc_init_dec *d)
{
	EVP_PKEY_free(d->peer);
	d->peer = NULL;
	d->ciphers = d->nonce = d->pub = NULL;
	d->sink = NULL;
	d->sink_arg = NULL;
}
