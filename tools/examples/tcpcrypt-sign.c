// SPDX-License-Identifier: GPL-2.0
/*
 * tcpcrypt-sign: authenticate a tcpcrypt connection with Ed25519 signatures
 * over its session id, each end knowing the other's public key
 * (draft-ietf-tcpinc-api-06 section 5.1's Sign(priv, SELF_NAME)).
 *
 *   tcpcrypt-sign keygen PRIVATE.pem PUBLIC.pem
 *   tcpcrypt-sign server PORT      --key PRIVATE.pem --peer PEER-PUBLIC.pem
 *   tcpcrypt-sign client HOST PORT --key PRIVATE.pem --peer PEER-PUBLIC.pem
 *
 * Each end sends Sign(its key, LABEL || SELF_NAME) and verifies the peer's
 * signature over LABEL || PEER_NAME with the peer's public key. SELF_NAME
 * (role byte || session id) differs between the ends and between any two
 * sessions, so a signature is good for one end of one session only: a man
 * in the middle, holding two sessions, has nothing he can relay, and
 * unlike a password, nothing to guess offline.
 */
#include <getopt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "example.h"

#define PROG	"tcpcrypt-sign"
#define LABEL	"tcpcrypt-example-sign v1 session"
#define SIG_LEN	64	/* Ed25519 */

static int keygen(const char *priv, const char *pub)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	FILE *f;
	int ok = 0;

	if (!k)
		return EX_ERROR;
	f = fopen(priv, "wxe");
	if (f) {
		ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
		fclose(f);
	}
	f = ok ? fopen(pub, "we") : NULL;
	ok = f && PEM_write_PUBKEY(f, k);
	if (f)
		fclose(f);
	EVP_PKEY_free(k);
	if (!ok) {
		fprintf(stderr, "%s: cannot write %s / %s (the private key file must not exist)\n",
			PROG, priv, pub);
		return EX_ERROR;
	}
	return EX_OK;
}

static EVP_PKEY *load_key(const char *file, int private)
{
	FILE *f = fopen(file, "re");
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k && EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

/* LABEL || name */
static size_t message(const unsigned char *name, size_t len, unsigned char *out)
{
	memcpy(out, LABEL, sizeof(LABEL) - 1);
	memcpy(out + sizeof(LABEL) - 1, name, len);
	return sizeof(LABEL) - 1 + len;
}

static int sign(EVP_PKEY *key, const unsigned char *m, size_t len, unsigned char sig[SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sl = SIG_LEN;
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
		 EVP_DigestSign(ctx, sig, &sl, m, len) == 1 && sl == SIG_LEN;

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* 1: good, 0: bad signature, -1: error */
static int verify(EVP_PKEY *key, const unsigned char *m, size_t len,
		  const unsigned char sig[SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r = -1;

	if (ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1)
		r = EVP_DigestVerify(ctx, sig, SIG_LEN, m, len) == 1;
	EVP_MD_CTX_free(ctx);
	return r;
}

static int authenticate(int fd, EVP_PKEY *mykey, EVP_PKEY *peerkey)
{
	unsigned char self[TCPCRYPT_NAME_MAX], peer[TCPCRYPT_NAME_MAX];
	unsigned char m[sizeof(LABEL) + TCPCRYPT_NAME_MAX], mine[SIG_LEN], theirs[SIG_LEN];
	socklen_t sl = sizeof(self), pl = sizeof(peer);
	char hex[2 * TCPCRYPT_SESSID_MAX + 1];
	int ret;

	ret = ex_names(PROG, fd, self, &sl, peer, &pl);
	if (ret)
		return ret;
	if (sign(mykey, m, message(self, sl, m), mine)) {
		fprintf(stderr, "%s: signing failed\n", PROG);
		return EX_ERROR;
	}
	if (ex_write(fd, mine, sizeof(mine)) || ex_read(fd, theirs, sizeof(theirs))) {
		fprintf(stderr, "%s: the peer hung up during authentication\n", PROG);
		return EX_AUTH_FAILED;
	}
	ret = verify(peerkey, m, message(peer, pl, m), theirs);
	ex_hex(hex, self + 1, sl - 1);
	if (ret < 0) {
		fprintf(stderr, "%s: verifying failed\n", PROG);
		return EX_ERROR;
	}
	if (!ret) {
		printf("AUTHENTICATION FAILED: no valid signature of the peer's key over our "
		       "session %s: someone in the middle, or the wrong peer\n", hex);
		return EX_AUTH_FAILED;
	}
	printf("authenticated: the peer's key signed session %s (we are %c)\n", hex,
	       self[0] ? 'B' : 'A');
	return EX_OK;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " keygen PRIVATE.pem PUBLIC.pem\n"
		   "       " PROG " server PORT --key PRIVATE.pem --peer PEER-PUBLIC.pem\n"
		   "       " PROG " client HOST PORT --key PRIVATE.pem --peer PEER-PUBLIC.pem\n"
		   "Authenticates one tcpcrypt connection with Ed25519 signatures over its\n"
		   "session id. Exit: 0 authenticated, 1 error, 2 not encrypted, 3 failed.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "peer", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *keyfile = NULL, *peerfile = NULL;
	EVP_PKEY *mykey, *peerkey;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "k:P:h", lo, NULL)) != -1) {
		if (c == 'k') {
			keyfile = optarg;
		} else if (c == 'P') {
			peerfile = optarg;
		} else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EX_OK : EX_ERROR;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 3 && !strcmp(argv[0], "keygen"))
		return keygen(argv[1], argv[2]);
	if (!keyfile || !peerfile || argc < 2 || ((strcmp(argv[0], "server") || argc != 2) &&
	    (strcmp(argv[0], "client") || argc != 3))) {
		usage(stderr);
		return EX_ERROR;
	}
	mykey = load_key(keyfile, 1);
	peerkey = load_key(peerfile, 0);
	if (!mykey || !peerkey) {
		fprintf(stderr, "%s: %s: not an Ed25519 key\n", PROG, mykey ? peerfile : keyfile);
		return EX_ERROR;
	}
	fd = !strcmp(argv[0], "server") ? ex_accept_one(PROG, argv[1]) :
					  ex_connect(PROG, argv[1], argv[2]);
	ret = fd < 0 ? EX_ERROR : authenticate(fd, mykey, peerkey);
	if (fd >= 0)
		close(fd);
	EVP_PKEY_free(mykey);
	EVP_PKEY_free(peerkey);
	return ret;
}
