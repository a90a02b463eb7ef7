// SPDX-License-Identifier: GPL-2.0
/* Frame records, held bytes and out-of-order chunks (see stream.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stream.h"

void tc_frames_init(struct tc_frames *fr)
{
	memset(fr, 0, sizeof(*fr));
}

void tc_frames_free(struct tc_frames *fr)
{
	free(fr->r);
	memset(fr, 0, sizeof(*fr));
}

int tc_frames_push(struct tc_frames *fr, const struct tc_frame_rec *rec)
{
	if (fr->n == fr->cap) {
		uint32_t cap = fr->cap ? fr->cap * 2 : 64, i;
		struct tc_frame_rec *r = malloc(cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		for (i = 0; i < fr->n; i++)
			r[i] = *tc_frames_at(fr, i);
		free(fr->r);
		fr->r = r;
		fr->cap = cap;
		fr->head = 0;
	}
	fr->r[(fr->head + fr->n) & (fr->cap - 1)] = *rec;
	fr->n++;
	return 0;
}

void tc_frames_pop(struct tc_frames *fr, uint32_t k)
{
	if (k > fr->n)
		k = fr->n;
	fr->head = (fr->head + k) & (fr->cap ? fr->cap - 1 : 0);
	fr->n -= k;
}

void tc_frames_release(struct tc_frames *fr)
{
	if (!fr->n)
		tc_frames_free(fr);
}

uint32_t tc_frames_after_app(const struct tc_frames *fr, uint64_t app)
{
	uint32_t lo = 0, hi = fr->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct tc_frame_rec *r = tc_frames_at(fr, mid);

		if (r->app + r->app_len > app)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

uint32_t tc_frames_after_frm(const struct tc_frames *fr, uint64_t frm)
{
	uint32_t lo = 0, hi = fr->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct tc_frame_rec *r = tc_frames_at(fr, mid);

		if (r->frm + r->frm_len > frm)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void tc_bytes_init(struct tc_bytes *by, uint64_t base)
{
	memset(by, 0, sizeof(*by));
	by->base = base;
}

void tc_bytes_free(struct tc_bytes *by)
{
	free(by->b);
	memset(by, 0, sizeof(*by));
}

void tc_bytes_release(struct tc_bytes *by)
{
	uint64_t base = by->base;

	if (by->len)
		return;
	tc_bytes_free(by);
	tc_bytes_init(by, base);
}

uint8_t *tc_bytes_reserve(struct tc_bytes *by, size_t n)
{
	size_t cap;
	uint8_t *nb;

	if (by->head + by->len + n <= by->cap)
		return by->b + by->head + by->len;
	/* moving at most half the buffer down frees at least half of it */
	if (by->len + n <= by->cap / 2) {
		memmove(by->b, by->b + by->head, by->len);
		by->head = 0;
		return by->b + by->len;
	}
	cap = by->cap ? by->cap : 4096;
	while (cap < 2 * (by->len + n))
		cap *= 2;
	nb = malloc(cap);
	if (!nb)
		return NULL;
	if (by->len)
		memcpy(nb, by->b + by->head, by->len);
	free(by->b);
	by->b = nb;
	by->cap = cap;
	by->head = 0;
	return by->b + by->len;
}

void tc_bytes_commit(struct tc_bytes *by, size_t n)
{
	by->len += n;
}

void tc_bytes_trim(struct tc_bytes *by, uint64_t upto)
{
	size_t k;

	if (upto <= by->base)
		return;
	k = upto - by->base < by->len ? upto - by->base : by->len;
	by->head += k;
	by->len -= k;
	by->base = upto;
	if (!by->len)
		by->head = 0;
}

void tc_ooo_init(struct tc_ooo *o, size_t max)
{
	memset(o, 0, sizeof(*o));
	o->max = max;
}

void tc_ooo_free(struct tc_ooo *o)
{
	uint32_t i;

	for (i = 0; i < o->n; i++)
		free(o->c[i].data);
	free(o->c);
	memset(o, 0, sizeof(*o));
}

void tc_ooo_release(struct tc_ooo *o)
{
	if (o->n)
		return;
	free(o->c);
	o->c = NULL;
	o->cap = 0;
}

static void ooo_remove(struct tc_ooo *o, uint32_t i)
{
	o->bytes -= o->c[i].len;
	free(o->c[i].data);
	memmove(&o->c[i], &o->c[i + 1], (o->n - i - 1) * sizeof(o->c[0]));
	o->n--;
}

/* Room for len more bytes in chunk c (capacity doubles). */
static int chunk_grow(struct tc_ooo_chunk *c, size_t len)
{
	uint32_t cap = c->cap ? c->cap : 2048;
	uint8_t *d;

	while (cap < c->len + len)
		cap *= 2;
	if (cap == c->cap)
		return 0;
	d = realloc(c->data, cap);
	if (!d)
		return -ENOMEM;
	c->data = d;
	c->cap = cap;
	return 0;
}

/*
 * Hold [off, off + len) before chunk at. Bytes that continue the chunk
 * before extend it (up to TC_OOO_CHUNK_BYTES), so chunks count the holes
 * of a window, not its segments.
 */
static int ooo_insert(struct tc_ooo *o, uint32_t at, uint64_t off, const uint8_t *data,
		      size_t len)
{
	struct tc_ooo_chunk *p = at ? &o->c[at - 1] : NULL;

	if (o->bytes + len > o->max)
		return -ENOSPC;
	if (p && p->off + p->len == off && p->len + len <= TC_OOO_CHUNK_BYTES) {
		if (chunk_grow(p, len))
			return -ENOMEM;
		memcpy(p->data + p->len, data, len);
		p->len += len;
		p->seen = ++o->stamp;
		o->bytes += len;
		return 0;
	}
	if (o->n == TC_OOO_CHUNKS_MAX)
		return -ENOSPC;
	if (o->n == o->cap) {
		uint32_t cap = o->cap ? 2 * o->cap : 8;
		struct tc_ooo_chunk *c;

		if (cap > TC_OOO_CHUNKS_MAX)
			cap = TC_OOO_CHUNKS_MAX;
		c = realloc(o->c, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		o->c = c;
		o->cap = cap;
	}
	memmove(&o->c[at + 1], &o->c[at], (o->n - at) * sizeof(o->c[0]));
	o->c[at] = (struct tc_ooo_chunk){ .off = off, .seen = ++o->stamp };
	o->n++;
	if (chunk_grow(&o->c[at], len)) {
		ooo_remove(o, at);
		return -ENOMEM;
	}
	memcpy(o->c[at].data, data, len);
	o->c[at].len = len;
	o->bytes += len;
	return 0;
}

size_t tc_ooo_add(struct tc_ooo *o, uint64_t next, uint64_t off, const uint8_t *data,
		  size_t len)
{
	uint64_t end = off + len;
	size_t added = 0;
	uint32_t i = 0;

	if (off < next) {
		if (end <= next)
			return 0;
		data += next - off;
		off = next;
	}
	/* fill the gaps between existing chunks that [off, end) covers */
	while (off < end) {
		while (i < o->n && o->c[i].off + o->c[i].len <= off)
			i++;
		if (i < o->n && o->c[i].off <= off) {
			/* inside chunk i: skip what it holds, mark it as just seen */
			uint64_t skip = o->c[i].off + o->c[i].len - off;

			o->c[i].seen = ++o->stamp;
			if (skip >= end - off)
				break;
			data += skip;
			off += skip;
			continue;
		}
		{
			uint64_t stop = i < o->n && o->c[i].off < end ? o->c[i].off : end;

			if (ooo_insert(o, i, off, data, stop - off))
				break;
			added += stop - off;
			data += stop - off;
			off = stop;
			i++;
		}
	}
	return added;
}

struct tc_ooo_chunk *tc_ooo_next(struct tc_ooo *o, uint64_t next)
{
	while (o->n && o->c[0].off + o->c[0].len <= next)
		ooo_remove(o, 0);
	if (o->n && o->c[0].off <= next)
		return &o->c[0];
	return NULL;
}

void tc_ooo_drop(struct tc_ooo *o, struct tc_ooo_chunk *c)
{
	ooo_remove(o, c - o->c);
}

unsigned int tc_ooo_ranges(const struct tc_ooo *o, uint64_t *start, uint64_t *end,
			   unsigned int max)
{
	uint64_t rs[TC_OOO_CHUNKS_MAX], re[TC_OOO_CHUNKS_MAX], seen[TC_OOO_CHUNKS_MAX];
	unsigned int nr = 0, i, k;

	/* merge adjacent chunks into ranges; a range is as recent as its newest chunk */
	for (i = 0; i < o->n; i++) {
		if (nr && re[nr - 1] == o->c[i].off) {
			re[nr - 1] += o->c[i].len;
			if (o->c[i].seen > seen[nr - 1])
				seen[nr - 1] = o->c[i].seen;
			continue;
		}
		rs[nr] = o->c[i].off;
		re[nr] = o->c[i].off + o->c[i].len;
		seen[nr] = o->c[i].seen;
		nr++;
	}
	/* most recent first (RFC 2018 section 4) */
	for (k = 0; k < max && k < nr; k++) {
		unsigned int best = k;

		for (i = k + 1; i < nr; i++)
			if (seen[i] > seen[best])
				best = i;
		start[k] = rs[best];
		end[k] = re[best];
		rs[best] = rs[k];
		re[best] = re[k];
		seen[best] = seen[k];
	}
	return k;
}
