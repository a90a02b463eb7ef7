// SPDX-License-Identifier: GPL-2.0
/* Steering policy: parsed rules -> policy maps (see policy.h). The text
 * parser is in policy_parse.c, which needs no libbpf. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "common/dp_attach.h"
#include "common/json.h"
#include "common/policy.h"

/* Delete every key of a map. */
static int map_flush(int fd, size_t key_size)
{
	char key[64];

	if (key_size > sizeof(key))
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	return 0;
}

int policy_flush(struct dp *dp)
{
	struct tc_config cfg;
	int err;

	err = map_flush(dp->maps.pol_v4, sizeof(struct tc_lpm_v4)) ?:
	      map_flush(dp->maps.pol_v6, sizeof(struct tc_lpm_v6)) ?:
	      map_flush(dp->maps.pol_ports, sizeof(struct tc_port_key)) ?:
	      dp_config_get(dp, &cfg);
	if (err)
		return err;
	cfg.flags &= ~(TC_CFG_ADDR_INCLUDE | TC_CFG_PORT_INCLUDE);
	return dp_config_set(dp, &cfg);
}

static int set_flag(__u32 *flags, int v, __u32 bit)
{
	if (v == 1)
		*flags |= bit;
	else if (v == 0)
		*flags &= ~bit;
	return 0;
}

int policy_add(struct dp *dp, const struct policy *p)
{
	struct tc_config cfg;
	int i, err;

	err = dp_config_get(dp, &cfg);
	if (err)
		return err;
	for (i = 0; i < p->n; i++) {
		const struct policy_rule *r = &p->rules[i];
		__u8 a = r->action;
		unsigned int port;

		if (r->kind == POLICY_NET && r->family == AF_INET) {
			struct tc_lpm_v4 k = { .prefixlen = r->prefixlen };

			memcpy(k.addr, r->addr, 4);
			err = bpf_map_update_elem(dp->maps.pol_v4, &k, &a, BPF_ANY);
		} else if (r->kind == POLICY_NET) {
			struct tc_lpm_v6 k = { .prefixlen = r->prefixlen };

			memcpy(k.addr, r->addr, 16);
			err = bpf_map_update_elem(dp->maps.pol_v6, &k, &a, BPF_ANY);
		} else {
			for (port = r->port_lo; port <= r->port_hi; port++) {
				struct tc_port_key k = {
					.port = port,
					.side = r->kind == POLICY_RPORT ? TC_PORT_REMOTE :
									  TC_PORT_LOCAL,
				};

				err = bpf_map_update_elem(dp->maps.pol_ports, &k, &a, BPF_ANY);
				if (err)
					break;
			}
		}
		if (err)
			return errno == E2BIG || errno == ENOSPC ? -ENOSPC : -errno;
		if (r->action == TC_POL_INCLUDE)
			cfg.flags |= r->kind == POLICY_NET ? TC_CFG_ADDR_INCLUDE :
							     TC_CFG_PORT_INCLUDE;
	}
	set_flag(&cfg.flags, p->enabled, TC_CFG_ENABLED);
	set_flag(&cfg.flags, p->fail_closed, TC_CFG_FAIL_CLOSED);
	set_flag(&cfg.flags, p->steer_all, TC_CFG_STEER_ALL);
	return dp_config_set(dp, &cfg);
}

int policy_apply(struct dp *dp, const struct policy *p)
{
	struct policy q = *p;

	/* a whole policy: flags it does not mention take their defaults */
	if (q.enabled < 0)
		q.enabled = 1;
	if (q.fail_closed < 0)
		q.fail_closed = 0;
	if (q.steer_all < 0)
		q.steer_all = 0;
	return policy_flush(dp) ?: policy_add(dp, &q);
}

static const char *action_name(__u8 a)
{
	return a == TC_POL_INCLUDE ? "include" : a == TC_POL_EXCLUDE ? "exclude" : "none";
}

static void print_prefix(struct jp *jp, int family, const void *addr, __u32 plen, __u8 a)
{
	char buf[INET6_ADDRSTRLEN + 8], s[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, s, sizeof(s));
	snprintf(buf, sizeof(buf), "%s/%u", s, plen);
	jp_obj_open(jp, NULL);
	jp_str(jp, "action", "  %s", action_name(a));
	jp_str(jp, "net", " net %s\n", buf);
	jp_obj_close(jp);
}

int policy_print(struct dp *dp, struct jp *jp)
{
	struct tc_lpm_v4 k4, *p4 = NULL;
	struct tc_lpm_v6 k6, *p6 = NULL;
	struct tc_port_key kp, *pp = NULL;
	struct tc_config cfg;
	__u8 a;
	int err;

	err = dp_config_get(dp, &cfg);
	if (err)
		return err;
	jp_obj_open(jp, NULL);
	jp_str(jp, "ifname", "%s:", dp->ifname);
	jp_bool(jp, "enabled", " enabled %s", cfg.flags & TC_CFG_ENABLED);
	jp_bool(jp, "fail_closed", " fail-closed %s", cfg.flags & TC_CFG_FAIL_CLOSED);
	jp_bool(jp, "steer_all", " steer-all %s\n", cfg.flags & TC_CFG_STEER_ALL);
	jp_arr_open(jp, "nets");
	while (!bpf_map_get_next_key(dp->maps.pol_v4, p4, &k4)) {
		if (!bpf_map_lookup_elem(dp->maps.pol_v4, &k4, &a))
			print_prefix(jp, AF_INET, k4.addr, k4.prefixlen, a);
		p4 = &k4;
	}
	while (!bpf_map_get_next_key(dp->maps.pol_v6, p6, &k6)) {
		if (!bpf_map_lookup_elem(dp->maps.pol_v6, &k6, &a))
			print_prefix(jp, AF_INET6, k6.addr, k6.prefixlen, a);
		p6 = &k6;
	}
	jp_arr_close(jp);
	jp_arr_open(jp, "ports");
	while (!bpf_map_get_next_key(dp->maps.pol_ports, pp, &kp)) {
		if (!bpf_map_lookup_elem(dp->maps.pol_ports, &kp, &a)) {
			jp_obj_open(jp, NULL);
			jp_str(jp, "action", "  %s", action_name(a));
			jp_str(jp, "side", " %s",
			       kp.side == TC_PORT_REMOTE ? "rport" : "lport");
			jp_uint(jp, "port", " %llu\n", kp.port);
			jp_obj_close(jp);
		}
		pp = &kp;
	}
	jp_arr_close(jp);
	jp_obj_close(jp);
	return 0;
}
