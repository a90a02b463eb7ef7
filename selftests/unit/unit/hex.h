/* SPDX-License-Identifier: GPL-2.0 */
/* Hex helpers for unit tests. */
#ifndef TC_TEST_HEX_H
#define TC_TEST_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex (spaces ignored) into out; returns the byte count. */
static inline size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1, v;

	for (; *s; s++) {
		v = hexval(*s);
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n < max)
				out[n] = (uint8_t)(hi << 4 | v);
			n++;
			hi = -1;
		}
	}
	return n;
}

#endif
