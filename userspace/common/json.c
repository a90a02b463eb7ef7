// SPDX-License-Identifier: GPL-2.0
/* One printer for plain and JSON output (see json.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/json.h"

#define JP_DEPTH 16

struct jp {
	FILE *f;
	bool json, pretty;
	int depth;
	bool first[JP_DEPTH];	/* no element yet at this depth */
};

struct jp *jp_new(FILE *f, bool json, bool pretty)
{
	struct jp *jp = calloc(1, sizeof(*jp));

	if (!jp)
		return NULL;
	jp->f = f;
	jp->json = json;
	jp->pretty = pretty;
	jp->first[0] = true;
	return jp;
}

void jp_free(struct jp *jp)
{
	if (!jp)
		return;
	if (jp->json)
		fputc('\n', jp->f);
	fflush(jp->f);
	free(jp);
}

bool jp_is_json(const struct jp *jp)
{
	return jp->json;
}

static void indent(struct jp *jp)
{
	int i;

	if (!jp->pretty)
		return;
	fputc('\n', jp->f);
	for (i = 0; i < jp->depth; i++)
		fputs("  ", jp->f);
}

static void put_string(struct jp *jp, const char *s)
{
	fputc('"', jp->f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(jp->f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", jp->f);
		else if (c == '\t')
			fputs("\\t", jp->f);
		else if (c < 0x20)
			fprintf(jp->f, "\\u%04x", c);
		else
			fputc(c, jp->f);
	}
	fputc('"', jp->f);
}

/* Separator, indentation and "key": before a JSON value. */
static void member(struct jp *jp, const char *key)
{
	if (!jp->first[jp->depth])
		fputc(',', jp->f);
	jp->first[jp->depth] = false;
	if (jp->depth)
		indent(jp);
	if (key) {
		put_string(jp, key);
		fputs(jp->pretty ? ": " : ":", jp->f);
	}
}

static void jp_open_(struct jp *jp, const char *key, char c)
{
	if (!jp->json)
		return;
	member(jp, key);
	fputc(c, jp->f);
	if (jp->depth < JP_DEPTH - 1)
		jp->depth++;
	jp->first[jp->depth] = true;
}

static void jp_close_(struct jp *jp, char c)
{
	bool empty;

	if (!jp->json)
		return;
	empty = jp->first[jp->depth];
	if (jp->depth)
		jp->depth--;
	if (!empty)
		indent(jp);
	fputc(c, jp->f);
}

void jp_obj_open(struct jp *jp, const char *key)
{
	jp_open_(jp, key, '{');
}

void jp_obj_close(struct jp *jp)
{
	jp_close_(jp, '}');
}

void jp_arr_open(struct jp *jp, const char *key)
{
	jp_open_(jp, key, '[');
}

void jp_arr_close(struct jp *jp)
{
	jp_close_(jp, ']');
}

void jp_str(struct jp *jp, const char *key, const char *fmt, const char *val)
{
	if (jp->json) {
		member(jp, key);
		if (val)
			put_string(jp, val);
		else
			fputs("null", jp->f);
	} else if (fmt) {
		fprintf(jp->f, fmt, val ? val : "-");
	}
}

void jp_uint(struct jp *jp, const char *key, const char *fmt, unsigned long long val)
{
	if (jp->json) {
		member(jp, key);
		fprintf(jp->f, "%llu", val);
	} else if (fmt) {
		fprintf(jp->f, fmt, val);
	}
}

void jp_int(struct jp *jp, const char *key, const char *fmt, long long val)
{
	if (jp->json) {
		member(jp, key);
		fprintf(jp->f, "%lld", val);
	} else if (fmt) {
		fprintf(jp->f, fmt, val);
	}
}

/* Plain mode: FMT gets the string "on" or "off". */
void jp_bool(struct jp *jp, const char *key, const char *fmt, bool val)
{
	if (jp->json) {
		member(jp, key);
		fputs(val ? "true" : "false", jp->f);
	} else if (fmt) {
		fprintf(jp->f, fmt, val ? "on" : "off");
	}
}

void jp_null(struct jp *jp, const char *key, const char *fmt)
{
	if (jp->json) {
		member(jp, key);
		fputs("null", jp->f);
	} else if (fmt) {
		fputs(fmt, jp->f);
	}
}

void jp_plain(struct jp *jp, const char *fmt, ...)
{
	va_list ap;

	if (jp->json)
		return;
	va_start(ap, fmt);
	vfprintf(jp->f, fmt, ap);
	va_end(ap);
}
