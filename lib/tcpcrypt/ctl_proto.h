/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control protocol between libtcpcrypt and tcpcryptd (one header for
 * both sides).
 *
 * Transport: a SOCK_SEQPACKET unix socket in the abstract namespace,
 * "\0tcpcryptd/IFNAME", so it belongs to the network namespace the daemon
 * runs in and only processes of that namespace reach it. One request and
 * one answer per connection. GET and SET requests carry the application's
 * TCP socket as SCM_RIGHTS: tcpcryptd reads its addresses and state from
 * it, closes it at once, and answers about that socket only (whoever holds
 * a socket may ask about it and configure it; nobody else can name it).
 *
 * Message: struct tcctl_hdr, then hdr.len value bytes, in host byte order
 * (both ends are on one host). A version this side does not speak is
 * answered with EPROTONOSUPPORT and the answerer's version in the header.
 *
 *   op     request value                   answer value
 *   HELLO  -                               struct tcctl_hello
 *   GET    -                               the option's value (tcpcrypt.h)
 *   SET    the option's value              -
 *
 * hdr.error in answers: 0 or a positive errno. ENOENT means "this daemon
 * does not carry that connection" (the library asks the next one; it is
 * EINVAL for the application if none does).
 */
#ifndef TCPCRYPT_CTL_PROTO_H
#define TCPCRYPT_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define TCCTL_MAGIC		0x54435443u	/* arbitrary: not a message of ours otherwise */
#define TCCTL_VERSION		1
#define TCCTL_NAME_PREFIX	"tcpcryptd/"	/* after the abstract namespace's NUL */
#define TCCTL_VALUE_MAX		256
#define TCCTL_IFNAME_MAX	16

enum tcctl_op {
	TCCTL_OP_HELLO	= 1,
	TCCTL_OP_GET	= 2,
	TCCTL_OP_SET	= 3,
};

struct tcctl_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t op;		/* enum tcctl_op, echoed in the answer */
	uint32_t optname;	/* TCP_ENO_* / TCP_CRYPT_* (tcpcrypt.h) */
	int32_t error;		/* answers: 0 or a positive errno; requests: 0 */
	uint32_t len;		/* value bytes after the header */
	uint32_t reserved;	/* 0 */
};

#define TCCTL_MSG_MAX		(sizeof(struct tcctl_hdr) + TCCTL_VALUE_MAX)

#define TCCTL_HELLO_ENGINE	0x0001	/* the daemon encrypts (not pass-through only) */

struct tcctl_hello {
	uint16_t version;	/* the highest the daemon speaks */
	uint16_t flags;		/* TCCTL_HELLO_* */
	uint32_t pid;
	char ifname[TCCTL_IFNAME_MAX];
};

/* A message as received: header fields and the value in the buffer. */
struct tcctl_msg {
	struct tcctl_hdr hdr;
	const uint8_t *val;
	uint32_t len;
};

/*
 * Check and split a received message: 0, -EPROTO (not a message of this
 * protocol: short, bad magic, length mismatch, reserved bits),
 * -EPROTONOSUPPORT (another version; m->hdr is still filled).
 */
int tcctl_parse(const void *buf, size_t n, struct tcctl_msg *m);

/* Build a message into buf (cap bytes): its length, or 0 if it does not fit. */
size_t tcctl_build(void *buf, size_t cap, uint16_t op, uint32_t optname, int32_t error,
		   const void *val, uint32_t len);

/* Is optname one of the options, and how is its value typed? */
enum tcctl_type {
	TCCTL_T_NONE = 0,	/* unknown option */
	TCCTL_T_INT,		/* int */
	TCCTL_T_BYTE,		/* one byte */
	TCCTL_T_U16,		/* one uint16_t */
	TCCTL_T_BYTES,		/* byte string */
	TCCTL_T_U16S,		/* uint16_t array */
};

enum tcctl_type tcctl_opt_type(uint32_t optname);
/* The option's name ("TCP_ENO_SESSID"), "?" when unknown: for logs. */
const char *tcctl_opt_name(uint32_t optname);

#endif /* TCPCRYPT_CTL_PROTO_H */
