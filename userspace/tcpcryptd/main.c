// SPDX-License-Identifier: GPL-2.0
/* tcpcryptd: placeholder until its issue lands; it says so instead of pretending. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	fprintf(stderr, "usage: tcpcryptd ...\n"
		"tcpcryptd is not implemented yet in this version: it only prints this usage.\n");
	return argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? 0 : 2;
}
