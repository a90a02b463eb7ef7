/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpcryptd's answers to libtcpcrypt (lib/tcpcrypt/ctl_proto.h), without
 * I/O: what the application's socket is (struct ctl_sock, read from the
 * descriptor it passed) and one request in, one answer out. The flow table
 * and sock_diag are reached through struct ctl_backend, so unit tests and
 * the fuzzer drive the same code with fakes.
 *
 * Policy (libtcpcrypt(3), SECURITY): a caller reaches only the socket it
 * passed. Reading needs a connected socket, answered from the flow of its
 * exact tuple. Settings are for the socket's local port, before its SYN
 * (TCP state CLOSE) or while it listens; they are kept here per socket
 * (inode) and handed to the flow table, once for a socket that will connect
 * and for every connection of a listening one. A port already configured
 * through another live socket is refused (EADDRINUSE), so one process
 * cannot change the settings of another's socket sharing the port
 * (SO_REUSEADDR). ctl_sweep() forgets sockets that closed or connected.
 */
#ifndef TCD_CTL_REQ_H
#define TCD_CTL_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/conn.h"
#include "tcpcrypt/ctl_proto.h"
#include "tcpcrypt_shared.h"

/* TCP states as tcpi_state / inet_diag say them (include/net/tcp_states.h). */
#define CTL_TCP_CLOSE		7
#define CTL_TCP_LISTEN		10
#define CTL_TCP_BOUND_INACTIVE	13

/* What tcpcryptd read from the socket an application passed. */
struct ctl_sock {
	int family;		/* the socket's: AF_INET or AF_INET6 */
	bool v6only;		/* AF_INET6: IPV6_V6ONLY */
	int tcp_state;		/* tcpi_state */
	bool connected;		/* getpeername() worked: key is complete */
	struct tc_flow_key key;	/* as tc_flows has it (v4-mapped IPv6 -> AF_INET) */
	uint16_t lport;		/* host order */
	uint64_t ino;		/* the socket's inode: its identity for sock_diag */
};

/* What became of a socket since its settings were made (sock_diag). */
enum ctl_fate {
	CTL_FATE_UNKNOWN,	/* could not tell: keep */
	CTL_FATE_GONE,		/* closed */
	CTL_FATE_UNCONNECTED,	/* bound, no SYN yet */
	CTL_FATE_LISTENING,
	CTL_FATE_STARTED,	/* connecting or connected */
};

struct ctl_backend {
	/* flow_session() of the daemon's flow table */
	int (*session)(void *arg, const struct tc_flow_key *k, struct tc_session_info *info);
	/* tc_conn_resume_flush() of the connection with key k: secrets wiped
	 * (>= 0), -ENOENT when no such flow */
	int (*resume_flush)(void *arg, const struct tc_flow_key *k);
	/* flow_opts_set(): o NULL removes */
	int (*opts_set)(void *arg, uint8_t family, uint16_t lport, const struct tc_conn_opts *o,
			bool oneshot);
	/* the engine's configuration, NULL when pass-through */
	const struct tc_engine_cfg *(*engine)(void *arg);
	/* sock_diag: refresh() once before a batch of fate() calls */
	void (*refresh)(void *arg);
	enum ctl_fate (*fate)(void *arg, int family, uint64_t ino);
	void *arg;
};

/* An application's settings (draft-ietf-tcpinc-api), as it made them. */
struct ctl_settings {
	int enabled;		/* TCP_ENO_ENABLED: -1 default, 0, 1 */
	bool teps_set;		/* TCP_ENO_TEPS given (an empty list disables ENO) */
	uint8_t n_teps;
	uint8_t teps[TC_ENGINE_TEPS_MAX];
	uint8_t gopt;		/* TCP_ENO_SELF_GOPT */
	bool aa_mandatory, tep_mandatory;
	uint8_t n_aconf, n_bconf;
	uint16_t aconf[TC_ENGINE_AEADS_MAX];	/* most preferred first */
	uint16_t bconf[TC_ENGINE_AEADS_MAX];	/* increasing preference */
	uint8_t cache;		/* TCP_CRYPT_CACHE_FLUSH before the SYN: TCPCRYPT_CACHE_* */
};

struct ctl_pending {
	uint64_t ino;
	int family;
	bool v6only;
	bool listening;		/* settings for every connection it accepts */
	uint8_t started;	/* sweeps that saw its connection started */
	uint16_t lport;
	struct ctl_settings s;
};

#define CTL_PENDING_MAX		1024	/* = FLOW_PORT_OPTS_MAX */

struct ctl_req_state {
	struct ctl_backend be;
	struct ctl_pending *pend;
	unsigned int npend;
	uint32_t pid;
	char ifname[TCCTL_IFNAME_MAX];
};

void ctl_req_init(struct ctl_req_state *st, const struct ctl_backend *be, uint32_t pid,
		  const char *ifname);
/* Forget every socket's settings (and remove them from the flow table). */
void ctl_req_fini(struct ctl_req_state *st);

/*
 * One request (raw bytes) about socket sk (NULL with sock_err: the caller
 * could not read the passed descriptor, or none came) -> the answer in out
 * (cap >= TCCTL_MSG_MAX); returns its length, 0 when the request is not of
 * this protocol at all (no answer: the caller hangs up).
 */
size_t ctl_handle(struct ctl_req_state *st, const void *req, size_t len,
		  const struct ctl_sock *sk, int sock_err, uint8_t *out, size_t cap);

/* Forget the settings of sockets that closed or connected (once a second). */
void ctl_sweep(struct ctl_req_state *st);

/*
 * ctl_sock.c: what tcpcryptd tells from a socket an application passed: 0,
 * or -ENOTSOCK, -EOPNOTSUPP (not TCP over IP), -EXDEV (another network
 * namespace than netns_cookie's, if not 0).
 */
int ctl_read_sock(int fd, uint64_t netns_cookie, struct ctl_sock *sk);
/* Serve one accepted client (request, passed socket, answer). */
void ctl_serve(struct ctl_req_state *rs, int cfd, uint64_t netns_cookie);

/* The flow table's settings for s, for a socket of that role. */
void ctl_settings_opts(const struct ctl_settings *s, bool as_b, struct tc_conn_opts *o);

#endif
