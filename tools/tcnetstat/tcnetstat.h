/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcnetstat: the tcpcrypt connections of this network namespace, read from
 * the maps of the programs attached to its interfaces (tc_flows for every
 * steered connection, tc_sessions for what tcpcryptd's engine says of
 * them, tc_dstats for the daemon's counters; bpf/tcpcrypt_shared.h).
 *
 * Rows are read first (read.c), then filtered and printed by one printer
 * for plain text and JSON (print.c, unit-tested without BPF).
 */
#ifndef TCNETSTAT_H
#define TCNETSTAT_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "common/json.h"
#include "tcpcrypt_shared.h"

/* One connection: its flow map entry, its session entry, or both. */
struct tcn_row {
	char ifname[IF_NAMESIZE];
	struct tc_flow_key key;
	bool has_flow, has_sess;
	struct tc_flow_val flow;
	struct tc_session sess;
};

struct tcn_prefix {
	int family;		/* 0: unset */
	uint8_t addr[16];
	int plen;
};

struct tcn_filter {
	bool all;		/* -a: pass-through flows and fallbacks too */
	int family;		/* 0: both */
	int port, lport, rport;	/* -1: any */
	struct tcn_prefix addr, laddr, raddr;
};

/* One interface's counters (tc_dstats) as tcnetstat -s shows them. */
struct tcn_stats {
	char ifname[IF_NAMESIZE];
	int alive;		/* dp_daemon_alive(): 1, 0, or negative */
	uint32_t pid;
	bool engine;
	uint64_t age_ms;	/* since the daemon last wrote them */
	unsigned int nqueues;
	uint16_t qid[TC_MAX_QUEUES];
	struct tc_dstats q[TC_MAX_QUEUES];
	struct tc_dstats table;
	bool have;		/* any slot written */
};

/* print.c */
const char *tcn_state(const struct tcn_row *r);
bool tcn_shown(const struct tcn_row *r, const struct tcn_filter *f);
void tcn_print_row(struct jp *jp, const struct tcn_row *r);
void tcn_print_stats(struct jp *jp, const struct tcn_stats *s);
/* "192.0.2.1:80" or "[2001:db8::1]:80" (buf >= 64 bytes) */
void tcn_addr_port(char *buf, size_t len, int family, const uint8_t *addr, uint16_t port_be);
int tcn_parse_prefix(const char *s, struct tcn_prefix *p);

/* read.c: rows and counters of one attached interface */
struct dp;
int tcn_read_rows(struct dp *dp, struct tcn_row **rows, unsigned int *n);
int tcn_read_stats(struct dp *dp, struct tcn_stats *s);

#endif
