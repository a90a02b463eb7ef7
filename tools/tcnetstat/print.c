// SPDX-License-Identifier: GPL-2.0
/* tcnetstat's one printer for plain text and JSON (see tcnetstat.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine/conn.h"
#include "tcpcrypt/tcpcrypt.h"
#include "tcnetstat.h"

static const char *const flow_states[] = {
	[TC_FLOW_PLAIN] = "plain",
	[TC_FLOW_PASSTHROUGH] = "passthrough",
	[TC_FLOW_NEGOTIATING] = "negotiating",
	/* ENO succeeded, no session exported (yet): the key exchange runs */
	[TC_FLOW_ENCRYPTED] = "keyx",
};

const char *tcn_state(const struct tcn_row *r)
{
	if (r->has_sess)
		return r->sess.state < TC_SESS_STATE_MAX ? tc_session_state_names[r->sess.state]
							 : "unknown";
	if (r->has_flow && r->flow.state < sizeof(flow_states) / sizeof(flow_states[0]))
		return flow_states[r->flow.state];
	return "unknown";
}

/* A tcpcrypt connection: negotiating, exchanging keys, or with a session. */
static bool is_tcpcrypt(const struct tcn_row *r)
{
	if (r->has_sess)
		return r->sess.state != TC_SESS_PLAIN;
	return r->has_flow && (r->flow.state == TC_FLOW_NEGOTIATING ||
			       r->flow.state == TC_FLOW_ENCRYPTED);
}

static bool prefix_match(const struct tcn_prefix *p, int family, const uint8_t *a)
{
	int full = p->plen / 8, rest = p->plen % 8;

	if (!p->family)
		return true;
	if (p->family != family || memcmp(p->addr, a, full))
		return false;
	return !rest || !((p->addr[full] ^ a[full]) & (0xff00 >> rest));
}

bool tcn_shown(const struct tcn_row *r, const struct tcn_filter *f)
{
	const struct tc_flow_key *k = &r->key;
	int lp = ntohs(k->lport), rp = ntohs(k->rport);

	if (!f->all && !is_tcpcrypt(r))
		return false;
	if (f->family && k->family != f->family)
		return false;
	if (f->port >= 0 && lp != f->port && rp != f->port)
		return false;
	if ((f->lport >= 0 && lp != f->lport) || (f->rport >= 0 && rp != f->rport))
		return false;
	if (f->addr.family && !prefix_match(&f->addr, k->family, k->local) &&
	    !prefix_match(&f->addr, k->family, k->remote))
		return false;
	return prefix_match(&f->laddr, k->family, k->local) &&
	       prefix_match(&f->raddr, k->family, k->remote);
}

int tcn_parse_prefix(const char *s, struct tcn_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	int max;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -EINVAL;
	max = p->family == AF_INET ? 32 : 128;
	p->plen = max;
	if (slash) {
		long v = strtol(slash, &end, 10);

		if (!*slash || *end || v < 0 || v > max)
			return -EINVAL;
		p->plen = (int)v;
	}
	return 0;
}

void tcn_addr_port(char *buf, size_t len, int family, const uint8_t *addr, uint16_t port_be)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, ntohs(port_be));
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = 0;
}

/*
 * eth0  192.0.2.1:40000  192.0.2.2:5001  encrypted  A  TCPCRYPT_ECDHE_Curve25519  AEAD_AES_128_GCM
 *       session 23ab...  sas 1234-5678-9012
 */
void tcn_print_row(struct jp *jp, const struct tcn_row *r)
{
	const struct tc_session *s = &r->sess;
	const struct tc_flow_key *k = &r->key;
	bool sess = r->has_sess && s->state != TC_SESS_PLAIN;
	bool sid = sess && s->sid_len && s->sid_len <= TC_SESSION_ID_LEN;
	char local[64], remote[64], hx[2 * TC_SESSION_ID_LEN + 1], sas[TCPCRYPT_SAS_LEN];
	const char *name;

	tcn_addr_port(local, sizeof(local), k->family, k->local, k->lport);
	tcn_addr_port(remote, sizeof(remote), k->family, k->remote, k->rport);
	jp_obj_open(jp, NULL);
	jp_str(jp, "ifname", "%-8s", r->ifname);
	jp_str(jp, "family", NULL, k->family == AF_INET6 ? "inet6" : "inet");
	jp_str(jp, "local", " %-22s", local);
	jp_str(jp, "remote", " %-22s", remote);
	jp_uint(jp, "lport", NULL, ntohs(k->lport));
	jp_uint(jp, "rport", NULL, ntohs(k->rport));
	jp_str(jp, "state", " %-11s", tcn_state(r));
	if (r->has_sess && s->state == TC_SESS_ABORTED)
		jp_str(jp, "abort_reason", "(%s) ", tc_abort_reason_str(s->abort));
	jp_uint(jp, "queue", NULL, r->has_flow ? r->flow.queue : s->queue);
	if (sid) {
		jp_str(jp, "role", " %s", s->role ? "B" : "A");
		name = tcpcrypt_tep_name(s->tep);
		if (name)
			jp_str(jp, "tep", "  %s", name);
		else
			jp_null(jp, "tep", "  -");
		jp_uint(jp, "tep_id", NULL, s->tep);
		/* RFC 8548 3.5: B's TEP byte has v = 1 in a resumed session */
		jp_bool(jp, "resumed", NULL, s->tep & 0x80);
		if (s->tep & 0x80)
			jp_plain(jp, " (resumed)");
		name = tcpcrypt_aead_name(s->aead);
		if (name)
			jp_str(jp, "aead", "  %s", name);
		else
			jp_null(jp, "aead", "  -");
		jp_uint(jp, "aead_id", NULL, s->aead);
		jp_uint(jp, "local_gopt", NULL, s->local_gopt);
		jp_uint(jp, "peer_gopt", NULL, s->peer_gopt);
		hex(hx, s->session_id, s->sid_len);
		jp_str(jp, "session_id", "\n         session %s", hx);
		if (!tcpcrypt_sas(s->session_id, s->sid_len, sas, sizeof(sas)))
			jp_str(jp, "sas", "  sas %s", sas);
		else
			jp_null(jp, "sas", NULL);
		if (s->established_ns)
			jp_uint(jp, "established", NULL, s->established_ns / 1000000000ull);
		else
			jp_null(jp, "established", NULL);
	} else {
		jp_null(jp, "role", NULL);
		jp_null(jp, "tep", NULL);
		jp_null(jp, "resumed", NULL);
		jp_null(jp, "aead", NULL);
		jp_null(jp, "session_id", NULL);
		jp_null(jp, "sas", NULL);
	}
	jp_plain(jp, "\n");
	jp_obj_close(jp);
}

/* Counters in the order printed; a group's first starts a plain line. */
static const int order[] = {
	TC_DS_STEERED_WIRE, TC_DS_STEERED_HOST,
	TC_DS_ENO_OFFERED, TC_DS_SESSIONS, TC_DS_FALLBACKS, TC_DS_RESETS,
	TC_DS_RESUMPTIONS, TC_DS_REKEYS,
	TC_DS_ENCRYPTED, TC_DS_DECRYPTED, TC_DS_TAG_FAILURES, TC_DS_RETRANSMITS,
	TC_DS_BYTES_ENCRYPTED, TC_DS_BYTES_DECRYPTED,
	TC_DS_TABLE_FULL, TC_DS_FLOWS_ACTIVE, TC_DS_EVICTED_DONE,
	TC_DS_HALF_OPEN, TC_DS_HALF_EVICTED, TC_DS_HALF_REFUSED, TC_DS_ENO_RESETS,
};

/* The flow table's, not a queue's. */
static bool table_counter(int c)
{
	return c == TC_DS_TABLE_FULL || c == TC_DS_FLOWS_ACTIVE || c == TC_DS_EVICTED_DONE ||
	       c == TC_DS_HALF_OPEN || c == TC_DS_HALF_EVICTED || c == TC_DS_HALF_REFUSED ||
	       c == TC_DS_ENO_RESETS;
}

static const char *group_of(int c)
{
	switch (c) {
	case TC_DS_STEERED_WIRE: return "segments";
	case TC_DS_ENO_OFFERED: return "connections";
	case TC_DS_ENCRYPTED: return "frames";
	case TC_DS_BYTES_ENCRYPTED: return "bytes";
	case TC_DS_TABLE_FULL: return "flows";
	case TC_DS_HALF_OPEN: return "handshakes";
	case TC_DS_FIRST_DROP: return "drops";
	}
	return NULL;
}

static void counter(struct jp *jp, int c, const char *name, const __u64 *v)
{
	const char *g = group_of(c);
	char fmt[64];

	/* plain: "bytes  encrypted N", not "bytes  bytes_encrypted N" */
	const char *label = !strncmp(name, "bytes_", 6) ? name + 6 : name;

	if (g)
		snprintf(fmt, sizeof(fmt), "\n    %-12s %s %%llu", g, label);
	else
		snprintf(fmt, sizeof(fmt), ", %s %%llu", label);
	jp_uint(jp, name, fmt, v[c]);
}

/*
 * One block of counters: flat keys in JSON, drops nested under "drops"
 * without their prefix. qid < 0: the total, which has the flow table's too.
 */
static void print_counters(struct jp *jp, int qid, const __u64 *v)
{
	unsigned int i;
	int c;

	jp_obj_open(jp, qid < 0 ? "total" : NULL);
	if (qid < 0) {
		jp_plain(jp, "  total");
	} else {
		jp_uint(jp, "queue", "  queue %llu", qid);
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		c = order[i];
		if (qid >= 0 && table_counter(c))
			continue;
		counter(jp, c, tc_dstat_names[c], v);
	}
	jp_obj_open(jp, "drops");
	for (c = TC_DS_FIRST_DROP; c < TC_DS_MAX; c++)
		counter(jp, c, tc_dstat_names[c] + strlen("drop_"), v);
	jp_obj_close(jp);
	jp_plain(jp, "\n");
	jp_obj_close(jp);
}

/*
 * eth0: tcpcryptd pid 4242, encrypting, counters 310 ms old
 *   total
 *     segments     steered_wire 120, steered_host 118
 *     ...
 *   queue 0
 *     ...
 */
void tcn_print_stats(struct jp *jp, const struct tcn_stats *s)
{
	__u64 total[TC_DS_MAX];
	unsigned int i;
	int c;

	for (c = 0; c < TC_DS_MAX; c++) {
		total[c] = s->table.ctr[c];
		for (i = 0; i < s->nqueues; i++)
			total[c] += s->q[i].ctr[c];
	}
	jp_obj_open(jp, NULL);
	jp_str(jp, "ifname", "%s:", s->ifname);
	jp_bool(jp, "alive", NULL, s->alive == 1);
	if (s->have) {
		jp_uint(jp, "pid", " tcpcryptd pid %llu", s->pid);
		jp_str(jp, "mode", ", %s", s->engine ? "encrypting" : "pass-through");
		jp_uint(jp, "age_ms", ", counters %llu ms old", s->age_ms);
		jp_plain(jp, "%s\n", s->alive == 1 ? "" :
			 " (tcpcryptd is not running: its last values)");
	} else {
		jp_null(jp, "pid", " no counters: tcpcryptd has not written any (not running, "
			"or an older version)\n");
	}
	print_counters(jp, -1, total);
	jp_arr_open(jp, "queues");
	for (i = 0; i < s->nqueues; i++)
		print_counters(jp, s->qid[i], s->q[i].ctr);
	jp_arr_close(jp);
	jp_obj_close(jp);
}
