/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libtcpcrypt: what an application may know and decide about its own TCP
 * connections when tcpcryptd (TCP-ENO, RFC 8547, and tcpcrypt, RFC 8548)
 * runs in its network namespace. The options are those of
 * draft-ietf-tcpinc-api-06, asked of tcpcryptd over its control socket
 * instead of the kernel: tcpcrypt_getsockopt()/tcpcrypt_setsockopt() work
 * like getsockopt()/setsockopt() at level IPPROTO_TCP.
 *
 * No privileges are needed: the socket itself is handed to tcpcryptd
 * (SCM_RIGHTS), which answers only about that socket. See libtcpcrypt(3).
 *
 * Every function returns 0 (or a length) on success and -1 with errno set
 * on failure, as the socket calls do.
 */
#ifndef TCPCRYPT_H
#define TCPCRYPT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Option names (draft-ietf-tcpinc-api-06 section 4). The draft assigns no
 * numbers; these are libtcpcrypt's, and mean nothing to the kernel.
 *
 *   option                 dir  value
 *   TCP_ENO_ENABLED        RW   int: -1 default, 0 off, 1 on
 *   TCP_ENO_SESSID         R    bytes: the session id (33 for tcpcrypt)
 *   TCP_ENO_NEGTEP         R    1 byte: negotiated TEP, with B's v bit
 *   TCP_ENO_TEPS           RW   bytes: TEP identifiers, lowest priority first;
 *                               empty disables ENO
 *   TCP_ENO_SELF_GOPT      RW   int: our global suboption (a = 2, b = 1)
 *   TCP_ENO_PEER_GOPT      R    int: the peer's global suboption
 *   TCP_ENO_AA_MANDATORY   RW   int 0/1: fail ENO unless the peer sets a = 1
 *   TCP_ENO_TEP_MANDATORY  RW   int 0/1: reset the connection if ENO fails
 *   TCP_ENO_ROLE           R    int: 0 = A, 1 = B
 *   TCP_ENO_SELF_NAME      R    bytes: role byte || session id
 *   TCP_ENO_PEER_NAME      R    bytes: peer's role byte || session id
 *   TCP_ENO_RAW            -    not supported (ENOPROTOOPT)
 *   TCP_ENO_TRANSCRIPT     R    bytes: A's SYN ENO option || B's
 *   TCP_CRYPT_CONF         R    uint16_t: the AEAD in use (RFC 8548 section 7)
 *   TCP_CRYPT_CACHE_FLUSH  W    int: on a connection, nonzero wipes what the
 *                               session resumption cache holds of it; before
 *                               connect() or on a listening socket, the
 *                               TCPCRYPT_CACHE_* bits below (0: the default)
 *   TCP_CRYPT_ACONF        RW   uint16_t[]: AEADs offered as A, most preferred first
 *   TCP_CRYPT_BCONF        RW   uint16_t[]: B's AEADs, increasing preference
 *
 * Errors (the draft's): ENOTCONN while the connection is still negotiating
 * (or not connected), EINVAL when ENO is disabled or was not negotiated
 * (also bad values), EISCONN for a setting after the SYN was sent. Never an
 * empty or all-zero session id. ENOPROTOOPT when no tcpcryptd runs in this
 * network namespace (or for an option it does not support).
 */
#define TCP_ENO_ENABLED		0x4501
#define TCP_ENO_SESSID		0x4502
#define TCP_ENO_NEGTEP		0x4503
#define TCP_ENO_TEPS		0x4504
#define TCP_ENO_SELF_GOPT	0x4505
#define TCP_ENO_PEER_GOPT	0x4506
#define TCP_ENO_AA_MANDATORY	0x4507
#define TCP_ENO_TEP_MANDATORY	0x4508
#define TCP_ENO_ROLE		0x4509
#define TCP_ENO_SELF_NAME	0x450a
#define TCP_ENO_PEER_NAME	0x450b
#define TCP_ENO_RAW		0x450c
#define TCP_ENO_TRANSCRIPT	0x450d
#define TCP_CRYPT_CONF		0x4521
#define TCP_CRYPT_CACHE_FLUSH	0x4522
#define TCP_CRYPT_ACONF		0x4523
#define TCP_CRYPT_BCONF		0x4524

/* TCP_CRYPT_CACHE_FLUSH before the SYN (RFC 8548 section 3.5 controls). */
#define TCPCRYPT_CACHE_IGNORE	0x1	/* a fresh key exchange, never a cached secret */
#define TCPCRYPT_CACHE_NONE	0x2	/* nothing of the session is cached */

/* Global suboption bits (RFC 8547 section 4.2). */
#define TCP_ENO_GOPT_B		0x01	/* passive role (simultaneous open) */
#define TCP_ENO_GOPT_A		0x02	/* application-aware */

/* tcpcrypt TEP identifiers (RFC 8548 section 7). */
#define TCPCRYPT_ECDHE_P256	0x21
#define TCPCRYPT_ECDHE_P521	0x22
#define TCPCRYPT_ECDHE_CURVE25519 0x23
#define TCPCRYPT_ECDHE_CURVE448	0x24

/* AEAD identifiers (RFC 8548 section 7). */
#define TCPCRYPT_AEAD_AES_128_GCM	0x0001
#define TCPCRYPT_AEAD_AES_256_GCM	0x0002
#define TCPCRYPT_AEAD_CHACHA20_POLY1305	0x0010

#define TCPCRYPT_SESSID_MAX	64	/* larger than any TEP's session id */
#define TCPCRYPT_NAME_MAX	(1 + TCPCRYPT_SESSID_MAX)
#define TCPCRYPT_SAS_LEN	15	/* "dddd-dddd-dddd" and its NUL */

/*
 * getsockopt()-like: *optlen is the size of optval on entry, the size of
 * the value on return. A byte string that does not fit is EINVAL, with
 * *optlen set to the size it needs (never a truncated session id).
 */
int tcpcrypt_getsockopt(int fd, int optname, void *optval, socklen_t *optlen);

/*
 * setsockopt()-like, before connect() or on a listening socket. An unbound
 * socket is first bound to an ephemeral port (the settings are tcpcryptd's
 * for that local port): bind() yourself first for a chosen address. On a
 * socket that will connect, the settings apply to its connection; on a
 * listening socket, to every connection it accepts, until it closes.
 */
int tcpcrypt_setsockopt(int fd, int optname, const void *optval, socklen_t optlen);

/*
 * Wait until the connection on fd has its session id (the key exchange
 * follows the TCP handshake by a round trip): 0, or -1 with EINVAL (not
 * encrypted), ETIMEDOUT, or the errors above. timeout_ms < 0: no limit.
 */
int tcpcrypt_wait_session(int fd, int timeout_ms);

/*
 * The short authentication string of a session id: 12 decimal digits
 * ("dddd-dddd-dddd", about 40 bits) for two people to compare aloud; the
 * same string tcnetstat shows. buf needs TCPCRYPT_SAS_LEN bytes.
 */
int tcpcrypt_sas(const void *sessid, size_t len, char *buf, size_t buflen);
/* Both in one: the session of fd (waiting at most timeout_ms) and its SAS. */
int tcpcrypt_sas_fd(int fd, int timeout_ms, char *buf, size_t buflen);

/* RFC names ("TCPCRYPT_ECDHE_Curve25519", "AEAD_AES_128_GCM"), or NULL. */
const char *tcpcrypt_tep_name(int tep);
const char *tcpcrypt_aead_name(int aead);

struct tcpcrypt_daemon {
	char ifname[16];	/* the interface it serves */
	uint32_t pid;
	int encrypts;		/* 0: pass-through only */
};

/* tcpcryptd instances answering in this network namespace: how many (up to max filled). */
int tcpcrypt_daemons(struct tcpcrypt_daemon *out, size_t max);

#ifdef __cplusplus
}
#endif

#endif /* TCPCRYPT_H */
