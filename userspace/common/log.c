// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>

#include "common/log.h"

static enum log_level cur_level = LOG_LEVEL_INFO;
static const char *cur_prefix = "";

void log_set_level(enum log_level level)
{
	cur_level = level;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

void log_set_prefix(const char *prefix)
{
	cur_prefix = prefix;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	if (*cur_prefix)
		fprintf(stderr, "%s: ", cur_prefix);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
