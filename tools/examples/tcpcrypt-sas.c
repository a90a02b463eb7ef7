// SPDX-License-Identifier: GPL-2.0
/*
 * tcpcrypt-sas: authenticate a tcpcrypt connection by people comparing a
 * short authentication string aloud (over a channel they trust: a phone
 * call, in person). Both ends show the string of their session id; a man
 * in the middle holds two sessions whose strings differ.
 *
 *   tcpcrypt-sas server PORT      [--batch]
 *   tcpcrypt-sas client HOST PORT [--batch]
 *
 * Interactive: prints the string and asks whether the peer reads the same
 * (exit 0 if answered yes, 3 otherwise). --batch prints "sas STRING" and
 * exits 0, for scripts that compare the two ends themselves. tcnetstat
 * shows the same string for the connection (tcpcrypt_sas(3)).
 *
 * The string has 12 digits (about 40 bits): tcpcrypt does not commit to
 * keys before revealing them, so a man in the middle may try keys for one
 * of his sessions until its string matches the other's; 2^40 tries do not
 * fit in the seconds a key exchange may take. Fewer digits would.
 */
#include <getopt.h>

#include "example.h"

#define PROG	"tcpcrypt-sas"

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " server PORT [--batch]\n"
		   "       " PROG " client HOST PORT [--batch]\n"
		   "Shows the short authentication string of one tcpcrypt connection for\n"
		   "people to compare. Exit: 0 confirmed, 1 error, 2 not encrypted, 3 not\n"
		   "confirmed.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned char self[TCPCRYPT_NAME_MAX], peer[TCPCRYPT_NAME_MAX];
	socklen_t sl = sizeof(self), pl = sizeof(peer);
	char sas[TCPCRYPT_SAS_LEN], answer[16] = "";
	int c, fd, ret, batch = 0;

	while ((c = getopt_long(argc, argv, "bh", lo, NULL)) != -1) {
		if (c == 'b') {
			batch = 1;
		} else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EX_OK : EX_ERROR;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || ((strcmp(argv[0], "server") || argc != 2) &&
	    (strcmp(argv[0], "client") || argc != 3))) {
		usage(stderr);
		return EX_ERROR;
	}
	fd = !strcmp(argv[0], "server") ? ex_accept_one(PROG, argv[1]) :
					  ex_connect(PROG, argv[1], argv[2]);
	if (fd < 0)
		return EX_ERROR;
	ret = ex_names(PROG, fd, self, &sl, peer, &pl);
	/* the string is the session id's (the name's first byte is the role) */
	if (!ret && tcpcrypt_sas(self + 1, sl - 1, sas, sizeof(sas))) {
		ex_fail(PROG, "tcpcrypt_sas");
		ret = EX_ERROR;
	}
	if (ret) {
		close(fd);
		return ret;
	}
	if (batch) {
		printf("sas %s\n", sas);
		fflush(stdout);
	} else {
		printf("Read this to your peer, and listen to theirs:\n\n    %s\n\n"
		       "Does your peer read the same? [y/N] ", sas);
		fflush(stdout);
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y')) {
			printf("NOT CONFIRMED: treat this connection as intercepted\n");
			ret = EX_AUTH_FAILED;
		} else {
			printf("confirmed\n");
		}
	}
	/* hold the connection until the peer is done too, so both ends can look */
	shutdown(fd, SHUT_WR);
	while (read(fd, answer, sizeof(answer)) > 0)
		;
	close(fd);
	return ret;
}
