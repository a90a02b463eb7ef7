// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's out-of-order store (lib/engine/stream.h, struct tc_ooo):
 * what it holds, what it refuses, and what it gives back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine/stream.h"

#define SEG 1448

static uint8_t stream[4 << 20];

static int setup(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)(i * 131 + (i >> 9));
	return 0;
}

/* Give back everything from next on, checking it against the stream. */
static uint64_t drain(struct tc_ooo *o, uint64_t next)
{
	struct tc_ooo_chunk *c;

	while ((c = tc_ooo_next(o, next))) {
		uint64_t skip = next - c->off;

		assert_true(c->off <= next && c->off + c->len > next);
		assert_memory_equal(c->data + skip, stream + next, c->len - skip);
		next = c->off + c->len;
		tc_ooo_drop(o, c);
	}
	return next;
}

/*
 * One hole, then a window of segments behind it: all of it is held, in a
 * few chunks. A store of one chunk per segment refused all but 64, and the
 * sender had to send most of a window again after every loss.
 */
static void test_window_behind_a_hole(void **state)
{
	struct tc_ooo o;
	uint64_t off;
	int i;

	tc_ooo_init(&o, 4 << 20);
	for (i = 1; i <= 600; i++) {
		off = (uint64_t)i * SEG;
		assert_int_equal(tc_ooo_add(&o, 0, off, stream + off, SEG), SEG);
	}
	assert_int_equal(o.bytes, 600 * SEG);
	assert_true(o.n <= 600 * SEG / TC_OOO_CHUNK_BYTES + 1);
	/* duplicates are not held twice */
	assert_int_equal(tc_ooo_add(&o, 0, 5 * SEG, stream + 5 * SEG, SEG), 0);
	assert_int_equal(tc_ooo_add(&o, 0, 5 * SEG + 100, stream + 5 * SEG + 100, SEG), 0);
	assert_int_equal(o.bytes, 600 * SEG);
	/* nothing continues the stream until the hole is filled */
	assert_null(tc_ooo_next(&o, 0));
	assert_int_equal(drain(&o, SEG), 601 * SEG);
	assert_int_equal(o.n, 0);
	assert_int_equal(o.bytes, 0);
	tc_ooo_free(&o);
}

/*
 * The chunk array exists only while there are holes to hold: none at first,
 * grown by doubling up to TC_OOO_CHUNKS_MAX, given back once empty.
 */
static void test_chunk_array_on_demand(void **state)
{
	struct tc_ooo o;
	uint64_t off;
	int i;

	tc_ooo_init(&o, 4 << 20);
	assert_null(o.c);
	assert_null(tc_ooo_next(&o, 0));
	tc_ooo_release(&o);
	/* 70 holes: 64 are held, in an array grown to its bound */
	for (i = 0; i < 70; i++) {
		off = (uint64_t)(2 * i + 1) * SEG;
		assert_int_equal(tc_ooo_add(&o, 0, off, stream + off, SEG), i < 64 ? SEG : 0);
	}
	assert_int_equal(o.n, TC_OOO_CHUNKS_MAX);
	assert_int_equal(o.cap, TC_OOO_CHUNKS_MAX);
	/* held chunks keep the array */
	tc_ooo_release(&o);
	assert_non_null(o.c);
	for (i = 0; i < 64; i++)
		tc_ooo_drop(&o, &o.c[0]);
	tc_ooo_release(&o);
	assert_null(o.c);
	assert_int_equal(o.cap, 0);
	/* and it comes back for the next hole */
	assert_int_equal(tc_ooo_add(&o, 0, 3 * SEG, stream + 3 * SEG, SEG), SEG);
	assert_int_equal(drain(&o, 3 * SEG), 4 * SEG);
	tc_ooo_free(&o);
}

/* SACK ranges: held bytes merged, most recently extended first. */
static void test_sack_ranges(void **state)
{
	uint64_t s[4], e[4];
	struct tc_ooo o;

	tc_ooo_init(&o, 1 << 20);
	tc_ooo_add(&o, 0, 10 * SEG, stream + 10 * SEG, SEG);
	tc_ooo_add(&o, 0, 20 * SEG, stream + 20 * SEG, SEG);
	tc_ooo_add(&o, 0, 11 * SEG, stream + 11 * SEG, SEG);
	tc_ooo_add(&o, 0, 30 * SEG, stream + 30 * SEG, SEG);
	tc_ooo_add(&o, 0, 21 * SEG, stream + 21 * SEG, SEG);
	assert_int_equal(tc_ooo_ranges(&o, s, e, 4), 3);
	assert_int_equal(s[0], 20 * SEG);
	assert_int_equal(e[0], 22 * SEG);
	assert_int_equal(s[1], 30 * SEG);
	assert_int_equal(s[2], 10 * SEG);
	assert_int_equal(e[2], 12 * SEG);
	tc_ooo_free(&o);
}

/* Bounds: bytes, and holes; partial overlaps keep only what is new. */
static void test_bounds_and_overlaps(void **state)
{
	struct tc_ooo o;
	int i;

	tc_ooo_init(&o, 10 * SEG);
	for (i = 0; i < 12; i++)
		tc_ooo_add(&o, 0, (uint64_t)(i + 1) * SEG, stream + (i + 1) * SEG, SEG);
	assert_int_equal(o.bytes, 10 * SEG);
	tc_ooo_free(&o);

	tc_ooo_init(&o, 4 << 20);
	for (i = 0; i < TC_OOO_CHUNKS_MAX; i++)
		assert_int_equal(tc_ooo_add(&o, 0, (uint64_t)(2 * i + 1) * SEG,
					    stream + (2 * i + 1) * SEG, SEG), SEG);
	/* a new hole beyond the last: refused; extending a chunk: held */
	assert_int_equal(tc_ooo_add(&o, 0, 1000 * SEG, stream + 1000 * SEG, SEG), 0);
	assert_int_equal(tc_ooo_add(&o, 0, 2 * SEG, stream + 2 * SEG, SEG), SEG);
	/* a segment across held and missing bytes: only the missing part */
	assert_int_equal(tc_ooo_add(&o, 0, 3 * SEG + 1000, stream + 3 * SEG + 1000, SEG),
			 SEG - 448);
	assert_int_equal(drain(&o, 0), 0);
	assert_int_equal(drain(&o, SEG), 4 * SEG + 1000);
	tc_ooo_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_behind_a_hole),
		cmocka_unit_test(test_chunk_array_on_demand),
		cmocka_unit_test(test_sack_ranges),
		cmocka_unit_test(test_bounds_and_overlaps),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
