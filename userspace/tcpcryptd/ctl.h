/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpcryptd's control thread: the abstract unix socket "@tcpcryptd/IFNAME"
 * that libtcpcrypt asks (ctl_req.h says what it answers, and to whom), and
 * once a second the counters and sessions tcnetstat reads (export.h).
 *
 * A thread of its own, so that tcpcryptd's main loop needs only
 * ctl_start() once the pollers run and ctl_stop() before the flow table is
 * freed. Failing to start is not fatal: tcpcryptd runs on, without the
 * control socket (the reason is logged).
 */
#ifndef TCD_CTL_H
#define TCD_CTL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "tcpcryptd/ctl_req.h"
#include "tcpcryptd/export.h"

struct dp;
struct flow_table;
struct poller;

struct ctl_diag_ent {
	uint64_t ino;
	uint8_t state;
};

struct ctl {
	bool running;
	pthread_t thread;
	int lfd;		/* listening control socket */
	int stop_fd;		/* eventfd */
	uint64_t netns_cookie;	/* 0: unknown */
	struct flow_table *ft;
	struct ctl_req_state rs;
	struct export ex;
	/* sock_diag snapshot for ctl_req's fate() */
	struct ctl_diag_ent *diag;
	unsigned int ndiag, diag_cap;
	bool diag_ok;		/* the snapshot is complete */
	bool diag_bound;	/* the kernel lists bound, unconnected sockets */
	char name[64];
};

/* 0, or a negative errno (already logged); ctl_stop() is safe either way. */
int ctl_start(struct ctl *c, const char *ifname, struct dp *dp, struct flow_table *ft,
	      const struct poller *pollers, unsigned int npollers);
void ctl_stop(struct ctl *c);

#endif
