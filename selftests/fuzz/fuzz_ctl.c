// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for tcpcryptd's control-socket requests: the message
 * parser (lib/tcpcrypt/proto.c) and the request handler with its per-socket
 * settings and sweep (userspace/tcpcryptd/ctl_req.c), both compiled in,
 * behind a fake flow table and sock_diag.
 *
 * Input: flags(1), then steps, each kind(1) len(1) and len bytes:
 *   kind % 4 == 0  a raw request about a socket described by the first 8
 *                  bytes (family, v6only, TCP state, connected, port, inode),
 *                  the rest sent as it is;
 *   kind % 4 == 1  the same, but a well-formed message is built from the
 *                  bytes (op, option index, value): reaches the handlers;
 *   kind % 4 == 2  a sweep, socket fates from the bytes;
 *   kind % 4 == 3  what the flow table's session answers from now on.
 * Checked on every step: answers parse and echo the request; a session
 * id is never empty or all zero; settings succeed only before a SYN (or
 * while listening); whatever reaches the flow table is valid for the
 * engine (tc_conn_set_opts() would take it) and every remembered socket's
 * settings are in the flow table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "tcpcrypt/proto.c"
#include "tcpcryptd/ctl_req.c"

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);	\
		abort();						\
	}								\
} while (0)

/* the fake flow table's settings, by (family, port) */
#define SLOTS 64
static struct {
	bool used;
	uint8_t family;
	uint16_t lport;
	bool oneshot;
} slots[SLOTS];

static int sess_ret;		/* what flow_session() returns */
static bool sess_zero;		/* ... with an all-zero id */
static uint8_t fates[256];	/* by inode % 256 */
static struct tc_engine_cfg cfg;
static bool engine_on;

static bool opts_valid(const struct tc_conn_opts *o)
{
	unsigned int i;

	if (o->n_teps > TC_ENGINE_TEPS_MAX || o->n_aeads > TC_ENGINE_AEADS_MAX ||
	    (o->gopt & ~(TC_ENO_GOPT_A | TC_ENO_GOPT_B)))
		return false;
	for (i = 0; i < o->n_teps; i++)
		if (!tc_tep_info(o->teps[i]))
			return false;
	for (i = 0; i < o->n_aeads; i++)
		if (!tc_aead_info(o->aeads[i]))
			return false;
	return true;
}

static int f_resume_flush(void *arg, const struct tc_flow_key *k)
{
	return sess_ret == -ENOENT ? -ENOENT : (int)(k->lport & 3);
}

static int f_session(void *arg, const struct tc_flow_key *k, struct tc_session_info *info)
{
	memset(info, 0, sizeof(*info));
	if (sess_ret)
		return sess_ret;
	info->state = TC_CONN_ENCRYPTED;
	info->have_session = true;
	info->role = k->lport & 1;
	info->tep = 0x23;
	info->aead = 1;
	if (!sess_zero)
		memset(info->session_id, 0x5a, TC_SESSID_LEN);
	info->transcript_len = k->rport % 4;	/* 0: none */
	return 0;
}

static int f_opts_set(void *arg, uint8_t family, uint16_t lport, const struct tc_conn_opts *o,
		      bool oneshot)
{
	int i, free_slot = -1;

	CHECK(family == AF_INET || family == AF_INET6);
	if (o)
		CHECK(opts_valid(o));
	for (i = 0; i < SLOTS; i++) {
		if (slots[i].used && slots[i].family == family && slots[i].lport == lport) {
			if (!o)
				slots[i].used = false;
			else
				slots[i].oneshot = oneshot;
			return 0;
		}
		if (!slots[i].used && free_slot < 0)
			free_slot = i;
	}
	if (!o)
		return 0;
	if (free_slot < 0)
		return -ENOSPC;
	slots[free_slot].used = true;
	slots[free_slot].family = family;
	slots[free_slot].lport = lport;
	slots[free_slot].oneshot = oneshot;
	return 0;
}

static const struct tc_engine_cfg *f_engine(void *arg)
{
	return engine_on ? &cfg : NULL;
}

static enum ctl_fate f_fate(void *arg, int family, uint64_t ino)
{
	return (enum ctl_fate)(fates[ino % 256] % 5);
}

static bool slot_has(uint8_t family, uint16_t lport)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (slots[i].used && slots[i].family == family && slots[i].lport == lport)
			return true;
	return false;
}

/* Every remembered socket's settings are in the flow table (no SYN takes them here). */
static void check_consistent(const struct ctl_req_state *st)
{
	unsigned int i;
	uint8_t fam[2];
	int j, n;

	CHECK(st->npend <= CTL_PENDING_MAX);
	for (i = 0; i < st->npend; i++) {
		const struct ctl_pending *p = &st->pend[i];

		CHECK(p->lport);
		n = families(p->family, p->v6only, fam);
		for (j = 0; j < n; j++)
			CHECK(slot_has(fam[j], p->lport));
	}
}

static const uint32_t optnames[] = {
	TCP_ENO_ENABLED, TCP_ENO_SESSID, TCP_ENO_NEGTEP, TCP_ENO_TEPS, TCP_ENO_SELF_GOPT,
	TCP_ENO_PEER_GOPT, TCP_ENO_AA_MANDATORY, TCP_ENO_TEP_MANDATORY, TCP_ENO_ROLE,
	TCP_ENO_SELF_NAME, TCP_ENO_PEER_NAME, TCP_ENO_RAW, TCP_ENO_TRANSCRIPT,
	TCP_CRYPT_CONF, TCP_CRYPT_CACHE_FLUSH, TCP_CRYPT_ACONF, TCP_CRYPT_BCONF, 0, 0x7fffffff,
};

static void sock_from(const uint8_t *b, struct ctl_sock *sk)
{
	static const int states[] = { CTL_TCP_CLOSE, CTL_TCP_LISTEN, 1, 2, 8 };

	memset(sk, 0, sizeof(*sk));
	sk->family = b[0] & 1 ? AF_INET6 : AF_INET;
	sk->v6only = b[0] & 2;
	sk->tcp_state = states[b[1] % 5];
	sk->connected = b[2] & 1;
	sk->lport = (uint16_t)(b[3] << 8 | b[4]);
	sk->ino = b[5] % 16 + 1;	/* few sockets: they meet */
	sk->key.family = sk->family;
	sk->key.lport = htons(sk->lport);
	sk->key.rport = htons(b[6]);
	sk->key.local[0] = b[7];
}

static void request(struct ctl_req_state *st, const uint8_t *req, size_t len,
		    const struct ctl_sock *sk)
{
	uint8_t ans[TCCTL_MSG_MAX];
	struct tcctl_msg q, a;
	size_t n = ctl_handle(st, req, len, sk, sk ? 0 : EBADF, ans, sizeof(ans));
	int perr = tcctl_parse(req, len, &q);

	if (perr == -EPROTO) {
		CHECK(n == 0);		/* not ours: no answer */
		return;
	}
	CHECK(n >= sizeof(struct tcctl_hdr) && n <= sizeof(ans));
	CHECK(tcctl_parse(ans, n, &a) == 0);
	CHECK(a.hdr.op == q.hdr.op && a.hdr.optname == q.hdr.optname);
	CHECK(a.hdr.error >= 0);
	if (perr) {
		CHECK(a.hdr.error == EPROTONOSUPPORT);
		return;
	}
	if (a.hdr.error)
		CHECK(a.len == 0);
	if (q.hdr.op == TCCTL_OP_SET && !a.hdr.error && q.hdr.optname != TCP_CRYPT_CACHE_FLUSH)
		CHECK(sk && (sk->tcp_state == CTL_TCP_CLOSE || sk->tcp_state == CTL_TCP_LISTEN));
	if (q.hdr.op != TCCTL_OP_GET || a.hdr.error)
		return;
	switch (q.hdr.optname) {
	case TCP_ENO_SESSID:
		CHECK(a.len == TC_SESSID_LEN);
		break;
	case TCP_ENO_SELF_NAME:
	case TCP_ENO_PEER_NAME:
		CHECK(a.len == TC_SESSID_LEN + 1 && a.val[0] <= 1);
		break;
	case TCP_ENO_ROLE:
	case TCP_ENO_ENABLED:
		CHECK(a.len == sizeof(int));
		break;
	default:
		return;
	}
	if (q.hdr.optname != TCP_ENO_ROLE && q.hdr.optname != TCP_ENO_ENABLED) {
		uint8_t acc = 0;
		uint32_t i;

		for (i = a.len - TC_SESSID_LEN; i < a.len; i++)
			acc |= a.val[i];
		CHECK(acc);	/* never an all-zero id */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_backend be = { .session = f_session, .resume_flush = f_resume_flush,
				  .opts_set = f_opts_set,
				  .engine = f_engine, .fate = f_fate };
	struct ctl_req_state st;
	size_t off = 1;

	if (!size)
		return 0;
	memset(slots, 0, sizeof(slots));
	memset(fates, 0, sizeof(fates));
	tc_engine_cfg_default(&cfg);
	engine_on = data[0] & 1;
	sess_ret = 0;
	sess_zero = data[0] & 2;
	ctl_req_init(&st, &be, 1, "fuzz0");
	while (off + 2 <= size) {
		uint8_t kind = data[off], len = data[off + 1];
		const uint8_t *b = data + off + 2;
		struct ctl_sock sk;

		if (off + 2 + len > size)
			len = (uint8_t)(size - off - 2);
		off += 2 + len;
		switch (kind % 4) {
		case 0:
		case 1:
			if (len < 8) {
				request(&st, b, len, NULL);
				break;
			}
			sock_from(b, &sk);
			if (kind % 4 == 0) {
				request(&st, b + 8, len - 8, (kind & 4) ? NULL : &sk);
			} else {
				uint8_t msg[TCCTL_MSG_MAX];
				uint16_t op = 1 + (len > 8 ? b[8] % 3 : 0);
				uint32_t opt = optnames[(len > 9 ? b[9] : 0) %
							(sizeof(optnames) / sizeof(optnames[0]))];
				uint32_t vl = len > 10 ? len - 10 : 0;
				size_t n = tcctl_build(msg, sizeof(msg), op, opt, 0, b + 10, vl);

				CHECK(n);
				request(&st, msg, n, &sk);
			}
			break;
		case 2:
			if (len)
				memcpy(fates, b, len);
			ctl_sweep(&st);
			break;
		case 3:
			sess_ret = len ? -(int)(b[0] % 4 == 0 ? ENOENT : b[0] % 4 == 1 ? ENOTCONN :
						b[0] % 4 == 2 ? EINVAL : 0) : 0;
			if (len > 1)
				sess_zero = b[1] & 1;
			break;
		}
		check_consistent(&st);
	}
	ctl_req_fini(&st);
	/* everything remembered is removed from the flow table again */
	for (int i = 0; i < SLOTS; i++)
		CHECK(!slots[i].used);
	return 0;
}
