/* SPDX-License-Identifier: GPL-2.0 */
#ifndef TC_LOADER_SOCKDIAG_H
#define TC_LOADER_SOCKDIAG_H

#include "tcpcrypt_shared.h"

/* Linux's TCP states (include/net/tcp_states.h), as tcp_socket_state() returns them */
enum tcp_sock_state {
	TCPS_ESTABLISHED = 1,
	TCPS_SYN_SENT,
	TCPS_SYN_RECV,
	TCPS_FIN_WAIT1,
	TCPS_FIN_WAIT2,
	TCPS_TIME_WAIT,
	TCPS_CLOSE,
	TCPS_CLOSE_WAIT,
	TCPS_LAST_ACK,
	TCPS_LISTEN,
	TCPS_CLOSING,
	TCPS_NEW_SYN_RECV,
};

/* 1: a TCP socket with K's tuple exists in this netns, 0: none, <0: errno. */
int tcp_socket_exists(const struct tc_flow_key *k);
/* Its TCP state (TCP_ESTABLISHED = 1 ... as Linux numbers them), 0: none, <0: errno. */
int tcp_socket_state(const struct tc_flow_key *k);
/*
 * Abort it (SOCK_DESTROY, CAP_NET_ADMIN): the application gets ECONNABORTED
 * and the kernel sends a reset. 1: destroyed, 0: none, <0: errno
 * (-EOPNOTSUPP: kernel without CONFIG_INET_DIAG_DESTROY).
 */
int tcp_socket_destroy(const struct tc_flow_key *k);

#endif
