// SPDX-License-Identifier: GPL-2.0
/*
 * tcnetstat: list the connections tcpcrypt steers in this network namespace,
 * read from the flow map of each interface tcpcrypt is attached to (found
 * through the interface, so it works from any `ip netns exec NS`).
 *
 *   tcnetstat [-i IFACE] [-j] [-p] [-4|-6]
 *
 * Session ids are listed once the segment engine exports them; until then
 * the column is "-" (null in JSON) and says why.
 *
 * Exit status: 0 ok (also when nothing is attached), 1 error, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "common/dp_attach.h"
#include "common/json.h"
#include "common/log.h"

static const char *const state_names[] = {
	[TC_FLOW_PLAIN] = "plain",
	[TC_FLOW_PASSTHROUGH] = "passthrough",
	[TC_FLOW_NEGOTIATING] = "negotiating",
	[TC_FLOW_ENCRYPTED] = "encrypted",
};

struct filter {
	int family;	/* 0: both */
};

static const char *state_name(__u8 s)
{
	return s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s]
								 : "unknown";
}

static void print_flow(struct jp *jp, const char *ifname,
		       const struct tc_flow_key *k, const struct tc_flow_val *v)
{
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
	int af = k->family == AF_INET6 ? AF_INET6 : AF_INET;

	inet_ntop(af, k->local, la, sizeof(la));
	inet_ntop(af, k->remote, ra, sizeof(ra));
	jp_obj_open(jp, NULL);
	jp_str(jp, "ifname", "%-10s", ifname);
	jp_str(jp, "family", " %-5s", af == AF_INET6 ? "inet6" : "inet");
	jp_str(jp, "local", af == AF_INET6 ? " [%s]" : " %s", la);
	jp_uint(jp, "lport", ":%llu", ntohs(k->lport));
	jp_str(jp, "remote", af == AF_INET6 ? "  [%s]" : "  %s", ra);
	jp_uint(jp, "rport", ":%llu", ntohs(k->rport));
	jp_str(jp, "state", "  %-12s", state_name(v->state));
	jp_uint(jp, "queue", " queue %llu", v->queue);
	jp_null(jp, "session_id", "  sessid -\n");
	jp_obj_close(jp);
}

static int list_iface(struct jp *jp, struct dp *dp, const struct filter *f,
		      unsigned int *count)
{
	struct tc_flow_key key, next, *prev = NULL;
	struct tc_flow_val val;
	int err;

	if (dp->maps.flows < 0)
		return 0;
	while (!(err = bpf_map_get_next_key(dp->maps.flows, prev, &next))) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(dp->maps.flows, &key, &val))
			continue;	/* evicted or removed meanwhile */
		if (f->family && key.family != f->family)
			continue;
		print_flow(jp, dp->ifname, &key, &val);
		(*count)++;
	}
	return err == -ENOENT ? 0 : err;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: tcnetstat [-i IFACE] [-j] [-p] [-4|-6] [-h]\n"
"  list the TCP connections tcpcrypt steers, with their state and session id\n"
"  -i, --interface IFACE  only this interface (default: every attached one)\n"
"  -j, --json             JSON output      -p, --pretty  pretty JSON\n"
"  -4 / -6                IPv4 / IPv6 only -h, --help    this text\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct if_nameindex *ifs = NULL, *it;
	const char *ifname = NULL;
	bool json = false, pretty = false;
	struct filter f = {};
	unsigned int count = 0, attached = 0;
	struct jp *jp;
	int c, err = 0;

	log_set_prefix("tcnetstat");
	while ((c = getopt_long(argc, argv, "i:jp46h", lopts, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'j': json = true; break;
		case 'p': json = pretty = true; break;
		case '4': f.family = AF_INET; break;
		case '6': f.family = AF_INET6; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!ifname) {
		ifs = if_nameindex();
		if (!ifs) {
			pr_warn("cannot list interfaces: %s\n", strerror(errno));
			return 1;
		}
	}

	jp = jp_new(stdout, json, pretty);
	if (!jp)
		return 1;
	jp_arr_open(jp, NULL);
	/* one named interface, or every interface of this namespace */
	for (it = ifs; ifname || it->if_name; it++) {
		const char *name = ifname ? ifname : it->if_name;
		struct dp *dp;

		err = dp_open(name, &dp);
		if (err == -ENOENT && !ifname) {
			err = 0;	/* not attached here: not ours to list */
		} else if (!err) {
			attached++;
			err = list_iface(jp, dp, &f, &count);
			if (err)
				pr_warn("%s: reading the flow map: %s\n", name,
					strerror(-err));
			dp_close(dp);
		} else if (err == -ENOENT) {
			pr_warn("%s: tcpcrypt is not attached (tcpcryptd -i %s)\n",
				name, name);
		}
		if (ifname || err)
			break;
	}
	jp_arr_close(jp);
	if (!json && !err) {
		if (!attached)
			printf("tcpcrypt is not attached to any interface here\n");
		else if (!count)
			printf("no steered connections\n");
		else
			printf("session ids: not exported yet (the segment engine "
			       "does not encrypt in this version)\n");
	}
	jp_free(jp);
	if (ifs)
		if_freenameindex(ifs);
	return err ? 1 : 0;
}
