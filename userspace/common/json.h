/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One printer for plain and JSON output, in the spirit of iproute2's
 * json_print: every value call carries a JSON key and a plain printf format;
 * in JSON mode the key is used, in plain mode the format (NULL: nothing).
 *
 *   jp_uint(jp, "prog_id", "prog id %llu ", id);
 *
 * Objects and arrays only affect JSON output; key is NULL inside arrays and
 * for the top-level value. jp_plain() prints text in plain mode only.
 */
#ifndef TC_JSON_H
#define TC_JSON_H

#include <stdbool.h>
#include <stdio.h>

struct jp;

struct jp *jp_new(FILE *f, bool json, bool pretty);
/* Closes nothing left open; prints a final newline in JSON mode. */
void jp_free(struct jp *jp);
bool jp_is_json(const struct jp *jp);

void jp_obj_open(struct jp *jp, const char *key);
void jp_obj_close(struct jp *jp);
void jp_arr_open(struct jp *jp, const char *key);
void jp_arr_close(struct jp *jp);

void jp_str(struct jp *jp, const char *key, const char *fmt, const char *val);
void jp_uint(struct jp *jp, const char *key, const char *fmt, unsigned long long val);
void jp_int(struct jp *jp, const char *key, const char *fmt, long long val);
void jp_bool(struct jp *jp, const char *key, const char *fmt, bool val);
void jp_null(struct jp *jp, const char *key, const char *fmt);
void jp_plain(struct jp *jp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* TC_JSON_H */
