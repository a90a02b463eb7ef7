// SPDX-License-Identifier: GPL-2.0
/* tcnetstat: rows and counters from one attached interface's maps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "common/dp_attach.h"
#include "tcnetstat.h"

struct rows {
	struct dp *dp;
	struct tcn_row *r;
	unsigned int n, cap;
};

static struct tcn_row *row_add(struct rows *rs, const struct tc_flow_key *k)
{
	struct tcn_row *r;

	if (rs->n == rs->cap) {
		unsigned int cap = rs->cap ? 2 * rs->cap : 64;
		struct tcn_row *a = realloc(rs->r, cap * sizeof(*a));

		if (!a)
			return NULL;
		rs->r = a;
		rs->cap = cap;
	}
	r = &rs->r[rs->n++];
	memset(r, 0, sizeof(*r));
	memcpy(r->ifname, rs->dp->ifname, sizeof(r->ifname));
	r->key = *k;
	return r;
}

/* A session whose flow left tc_flows (a fallback, or one closing): a row of its own. */
static int add_session(const struct tc_flow_key *k, const struct tc_session *s, void *arg)
{
	struct rows *rs = arg;
	struct tc_flow_val v;
	struct tcn_row *r;

	if (!dp_flow_lookup(rs->dp, k, &v))
		return 0;	/* listed with its flow */
	r = row_add(rs, k);
	if (!r)
		return -ENOMEM;
	r->has_sess = true;
	r->sess = *s;
	return 0;
}

static int add_flow(const struct tc_flow_key *k, const struct tc_flow_val *v, void *arg)
{
	struct rows *rs = arg;
	struct tcn_row *r = row_add(rs, k);

	if (!r)
		return -ENOMEM;
	r->has_flow = true;
	r->flow = *v;
	r->has_sess = !dp_session_get(rs->dp, k, &r->sess);
	return 0;
}

int tcn_read_rows(struct dp *dp, struct tcn_row **out, unsigned int *n)
{
	struct rows rs = { .dp = dp };
	int err;

	err = dp_flow_iterate(dp, add_flow, &rs);
	if (!err)
		err = dp->maps.sessions < 0 ? 0 : dp_session_iterate(dp, add_session, &rs);
	if (err) {
		free(rs.r);
		return err;
	}
	*out = rs.r;
	*n = rs.n;
	return 0;
}

int tcn_read_stats(struct dp *dp, struct tcn_stats *s)
{
	struct timespec ts;
	struct tc_dstats d;
	uint64_t now, newest = 0;
	__u32 slot;

	memset(s, 0, sizeof(*s));
	memcpy(s->ifname, dp->ifname, sizeof(s->ifname));
	s->alive = dp_daemon_alive(dp);
	if (dp->maps.dstats < 0)
		return 0;	/* an attachment older than tc_dstats */
	for (slot = 0; slot < TC_DSTATS_SLOTS; slot++) {
		if (dp_dstats_get(dp, slot, &d) || !d.updated_ns)
			continue;
		s->have = true;
		s->pid = d.pid;
		s->engine = d.flags & TC_DSF_ENGINE;
		if (d.updated_ns > newest)
			newest = d.updated_ns;
		if (slot == TC_DSTATS_TABLE) {
			s->table = d;
		} else {
			s->qid[s->nqueues] = slot;
			s->q[s->nqueues++] = d;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	s->age_ms = newest && now > newest ? (now - newest) / 1000000 : 0;
	return 0;
}
