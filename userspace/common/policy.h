/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Steering policy: which new connections tcpcryptd sees. Text form, one
 * rule per line or per argv group ('#' starts a comment):
 *
 *   include|exclude net PREFIX         remote IPv4/IPv6 prefix, e.g. 10.0.0.0/8
 *   include|exclude port P[-Q]         local or remote port
 *   include|exclude lport P[-Q]        local port
 *   include|exclude rport P[-Q]        remote port
 *   fail-closed on|off                 daemon dead: drop new SYNs too
 *   enabled on|off                     steer new connections at all
 *   steer-all on|off                   tests: every SYN steered
 *
 * Semantics are those of tcpcrypt_shared.h (longest prefix wins; exclude
 * wins over include for ports; includes, if any, restrict).
 */
#ifndef TC_POLICY_H
#define TC_POLICY_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "tcpcrypt_shared.h"

struct dp;
struct jp;

enum policy_kind {
	POLICY_NET,
	POLICY_LPORT,
	POLICY_RPORT,
};

struct policy_rule {
	enum policy_kind kind;
	__u8 action;		/* TC_POL_INCLUDE / TC_POL_EXCLUDE */
	__u8 family;		/* POLICY_NET: AF_INET / AF_INET6 */
	__u8 prefixlen;		/* POLICY_NET */
	__u8 addr[16];		/* POLICY_NET */
	__u16 port_lo, port_hi;	/* POLICY_*PORT, inclusive */
};

struct policy {
	struct policy_rule *rules;
	int n, cap;
	/* -1: unchanged, 0: off, 1: on */
	int enabled, fail_closed, steer_all;
};

void policy_init(struct policy *p);
void policy_free(struct policy *p);

/*
 * Parse one rule from ARGC/ARGV words (e.g. {"include","port","80"}); *USED
 * gets how many words it took. -EINVAL with a message in ERR otherwise.
 */
int policy_parse_words(struct policy *p, int argc, char **argv, int *used,
		       char *err, size_t errlen);

#define POLICY_LINE_MAX	510		/* characters, newline not counted */
#define POLICY_FILE_MAX	(1 << 20)	/* bytes */

/*
 * Parse text: lines of rules, NUL bytes and lines over POLICY_LINE_MAX
 * refused. NAME is used in error messages ("NAME:LINE: ..."). Rules of
 * lines before an error stay in P.
 */
int policy_parse_buf(struct policy *p, const char *buf, size_t len,
		     const char *name, char *err, size_t errlen);
/* Parse a whole file ("-" for stdin) of at most POLICY_FILE_MAX bytes, as
 * policy_parse_buf. */
int policy_parse_file(struct policy *p, const char *path, char *err, size_t errlen);

/*
 * Write P's flags (those not -1) and rules as text policy_parse_buf reads
 * back to the same P ("port" rules come out as their lport and rport
 * halves). 0, or -EIO/-EINVAL.
 */
int policy_write(const struct policy *p, FILE *f);

/* The functions above are in policy_parse.c (no libbpf), those below in
 * policy.c. */

/*
 * Replace the policy maps with P (flushes previous prefixes and ports) and
 * set the config flags: TC_CFG_ADDR_INCLUDE/PORT_INCLUDE from the rules,
 * enabled/fail-closed/steer-all from P or, when P leaves them at -1, their
 * defaults (on, off, off).
 */
int policy_apply(struct dp *dp, const struct policy *p);
/* Add P's rules to the maps without flushing; flags P leaves at -1 unchanged. */
int policy_add(struct dp *dp, const struct policy *p);
/* Remove all prefixes and ports (flags unchanged except the INCLUDE ones). */
int policy_flush(struct dp *dp);

/* Print the maps' current policy through the plain/JSON printer. */
int policy_print(struct dp *dp, struct jp *jp);

#endif /* TC_POLICY_H */
