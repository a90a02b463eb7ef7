// SPDX-License-Identifier: GPL-2.0
/*
 * tcpcrypt-psk: authenticate a tcpcrypt connection with a shared password
 * bound to its session id (draft-ietf-tcpinc-api-06 section 5.1's example).
 *
 *   tcpcrypt-psk server PORT  --password-file FILE
 *   tcpcrypt-psk client HOST PORT --password-file FILE
 *
 * Each end sends HMAC-SHA256(K, LABEL || SELF_NAME) and checks the peer's
 * against HMAC-SHA256(K, LABEL || PEER_NAME) in constant time, where
 * K = scrypt(password) and SELF_NAME/PEER_NAME = role byte || session id:
 * the role byte keeps one end's authenticator from being reflected to it,
 * the label keeps it from meaning anything to another protocol. A man in
 * the middle holds two sessions with different ids, so the authenticators
 * he relays fail; without the password he cannot make new ones.
 *
 * He does learn an authenticator, and may try passwords against it
 * offline: scrypt makes each try expensive, and a password with real
 * entropy makes them futile. Each end sends before it checks (no
 * deadlock, and both detect the attack).
 */
#include <getopt.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "example.h"

#define PROG	"tcpcrypt-psk"
#define LABEL	"tcpcrypt-example-psk v1 authenticator"
#define SALT	"tcpcrypt-example-psk v1 key"
#define MAC_LEN	32

/* K = scrypt(password, fixed salt): both ends derive the same key. */
static int derive_key(const char *pw, size_t pwlen, unsigned char key[32])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	uint64_t n = 1 << 15;
	uint32_t r = 8, p = 1;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pw, pwlen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)SALT,
						  sizeof(SALT) - 1),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
		OSSL_PARAM_construct_end(),
	};
	int ok = ctx && EVP_KDF_derive(ctx, key, 32, params) > 0;

	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -1;
}

/* HMAC-SHA256(key, LABEL || name) */
static int authenticator(const unsigned char key[32], const unsigned char *name,
			 size_t len, unsigned char out[MAC_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t olen = 0;
	int ok = ctx && EVP_MAC_init(ctx, key, 32, params) &&
		 EVP_MAC_update(ctx, (const unsigned char *)LABEL, sizeof(LABEL) - 1) &&
		 EVP_MAC_update(ctx, name, len) && EVP_MAC_final(ctx, out, &olen, MAC_LEN) &&
		 olen == MAC_LEN;

	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok ? 0 : -1;
}

static int read_password(const char *file, char *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(file, "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, cap, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	*len = n;
	return n ? 0 : -1;
}

static int authenticate(int fd, const char *pw, size_t pwlen)
{
	unsigned char self[TCPCRYPT_NAME_MAX], peer[TCPCRYPT_NAME_MAX], key[32];
	unsigned char mine[MAC_LEN], theirs[MAC_LEN], expect[MAC_LEN];
	socklen_t sl = sizeof(self), pl = sizeof(peer);
	char hex[2 * TCPCRYPT_SESSID_MAX + 1];
	int ret, ok;

	ret = ex_names(PROG, fd, self, &sl, peer, &pl);
	if (ret)
		return ret;
	if (derive_key(pw, pwlen, key) || authenticator(key, self, sl, mine) ||
	    authenticator(key, peer, pl, expect)) {
		fprintf(stderr, "%s: OpenSSL (scrypt/HMAC) failed\n", PROG);
		return EX_ERROR;
	}
	OPENSSL_cleanse(key, sizeof(key));
	if (ex_write(fd, mine, sizeof(mine)) || ex_read(fd, theirs, sizeof(theirs))) {
		fprintf(stderr, "%s: the peer hung up during authentication\n", PROG);
		return EX_AUTH_FAILED;
	}
	ok = !CRYPTO_memcmp(theirs, expect, MAC_LEN);
	ex_hex(hex, self + 1, sl - 1);
	if (!ok) {
		printf("AUTHENTICATION FAILED: the peer does not know the password, or someone "
		       "in the middle holds another session (ours: %s)\n", hex);
		return EX_AUTH_FAILED;
	}
	printf("authenticated: the peer knows the password and holds session %s (we are %c)\n",
	       hex, self[0] ? 'B' : 'A');
	return EX_OK;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " server PORT --password-file FILE\n"
		   "       " PROG " client HOST PORT --password-file FILE\n"
		   "Authenticates one tcpcrypt connection with a shared password bound to its\n"
		   "session id. Exit: 0 authenticated, 1 error, 2 not encrypted, 3 failed.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "password-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *pwfile = NULL;
	char pw[1024];
	size_t pwlen;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, "f:h", lo, NULL)) != -1) {
		if (c == 'f') {
			pwfile = optarg;
		} else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EX_OK : EX_ERROR;
		}
	}
	argc -= optind;
	argv += optind;
	if (!pwfile || argc < 2 || ((strcmp(argv[0], "server") || argc != 2) &&
	    (strcmp(argv[0], "client") || argc != 3))) {
		usage(stderr);
		return EX_ERROR;
	}
	if (read_password(pwfile, pw, sizeof(pw), &pwlen)) {
		fprintf(stderr, "%s: %s: cannot read a password\n", PROG, pwfile);
		return EX_ERROR;
	}
	fd = !strcmp(argv[0], "server") ? ex_accept_one(PROG, argv[1]) :
					  ex_connect(PROG, argv[1], argv[2]);
	if (fd < 0)
		return EX_ERROR;
	ret = authenticate(fd, pw, pwlen);
	OPENSSL_cleanse(pw, sizeof(pw));
	close(fd);
	return ret;
}
