/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A declarative option table (the xdp-tools shape): one array of
 * { name, short name, argument, help, setter } gives both the getopt_long
 * parser and the usage text, so they cannot disagree.
 */
#ifndef TC_OPTTAB_H
#define TC_OPTTAB_H

#include <stddef.h>
#include <stdio.h>

struct opttab {
	const char *name;	/* long name */
	int short_name;		/* 0: long only */
	const char *arg;	/* argument's name in the help; NULL: a flag */
	const char *help;
	/* 0, or non-zero for a bad value (reported with the option's name) */
	int (*set)(const char *arg, void *ctx);
};

/*
 * Parse argv with the table: the index of the first operand, or -1 after
 * a message on stderr ("PROG: ...", then "try PROG -h").
 */
int opttab_parse(const struct opttab *t, size_t n, int argc, char **argv, void *ctx,
		 const char *prog);

/* "  -x, --name ARG   help" lines, the help wrapped at 80 columns. */
void opttab_usage(FILE *f, const struct opttab *t, size_t n);

#endif
