/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmocka group fixture: one struct tc_algs fetched for a whole test group
 * and handed to each test as *state.
 */
#ifndef TC_TEST_ALGS_FIXTURE_H
#define TC_TEST_ALGS_FIXTURE_H

#include "core/algs.h"

static int algs_setup(void **state)
{
	static struct tc_algs algs;

	if (tc_algs_init(&algs))
		return -1;
	*state = &algs;
	return 0;
}

static int algs_teardown(void **state)
{
	tc_algs_free(*state);
	return 0;
}

#endif
