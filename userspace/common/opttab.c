// SPDX-License-Identifier: GPL-2.0
/* A declarative option table: parser and usage from one array (opttab.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/opttab.h"

#define OPTTAB_MAX	64

int opttab_parse(const struct opttab *t, size_t n, int argc, char **argv, void *ctx,
		 const char *prog)
{
	struct option lo[OPTTAB_MAX + 1];
	char shorts[2 * OPTTAB_MAX + 2];
	size_t i, ns = 0;
	int c;

	if (n > OPTTAB_MAX)
		return -1;
	memset(lo, 0, sizeof(lo));
	shorts[ns++] = ':';	/* a missing argument is reported as ':' */
	for (i = 0; i < n; i++) {
		lo[i].name = t[i].name;
		lo[i].has_arg = t[i].arg ? required_argument : no_argument;
		lo[i].val = 256 + (int)i;
		if (t[i].short_name) {
			shorts[ns++] = (char)t[i].short_name;
			if (t[i].arg)
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const struct opttab *o = NULL;

		if (c >= 256) {
			o = &t[c - 256];
		} else {
			for (i = 0; i < n; i++)
				if (t[i].short_name == c)
					o = &t[i];
		}
		if (!o) {
			if (c == ':')
				fprintf(stderr, "%s: %s needs an argument\n", prog, argv[optind - 1]);
			else
				fprintf(stderr, "%s: unknown option %s\n", prog, argv[optind - 1]);
			fprintf(stderr, "try %s -h\n", prog);
			return -1;
		}
		if (o->set(optarg, ctx)) {
			fprintf(stderr, "%s: bad value for --%s: '%s'\n", prog, o->name,
				optarg ? optarg : "");
			return -1;
		}
	}
	return optind;
}

/* HELP after LEFT, wrapped at 80 columns under column 31. */
static void wrapped(FILE *f, const char *left, const char *help)
{
	const int indent = 31, width = 80;
	const char *p = help;
	int col = fprintf(f, "  %-28s ", left);

	if (col > indent) {
		fprintf(f, "\n%*s", indent, "");
		col = indent;
	}
	while (*p) {
		int wl = (int)strcspn(p, " ");

		if (col > indent) {
			if (col + 1 + wl >= width) {
				fprintf(f, "\n%*s", indent, "");
				col = indent;
			} else {
				fputc(' ', f);
				col++;
			}
		}
		col += fprintf(f, "%.*s", wl, p);
		p += wl;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

void opttab_usage(FILE *f, const struct opttab *t, size_t n)
{
	char left[64];
	size_t i;

	for (i = 0; i < n; i++) {
		int k = 0;

		if (t[i].short_name)
			k = snprintf(left, sizeof(left), "-%c, ", t[i].short_name);
		else
			k = snprintf(left, sizeof(left), "    ");
		snprintf(left + k, sizeof(left) - k, "--%s%s%s", t[i].name, t[i].arg ? " " : "",
			 t[i].arg ? t[i].arg : "");
		wrapped(f, left, t[i].help);
	}
}
