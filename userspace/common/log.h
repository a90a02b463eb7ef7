/* SPDX-License-Identifier: GPL-2.0 */
/* Leveled logging to stderr for tcpcryptd and the tools. */
#ifndef TC_LOG_H
#define TC_LOG_H

enum log_level {
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_set_prefix(const char *prefix);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(...)	log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define pr_info(...)	log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define pr_debug(...)	log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
