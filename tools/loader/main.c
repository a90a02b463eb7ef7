// SPDX-License-Identifier: GPL-2.0
/*
 * tcpcrypt-loader: attach/detach the tcpcrypt steering programs, show their
 * state, edit the steering policy. Everything is found from the interface,
 * so it works from any `ip netns exec NS`, several namespaces at once.
 *
 * Exit status: 0 ok, 1 runtime failure, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <net/if.h>
#include <bpf/bpf.h>

#include "common/dp_attach.h"
#include "common/json.h"
#include "common/log.h"
#include "common/policy.h"
#include "common/sockdiag.h"

#define EXIT_USAGE 2

static bool opt_json, opt_pretty;

static void usage(FILE *f)
{
	fprintf(f,
"usage: tcpcrypt-loader [OPTIONS] COMMAND ...\n"
"  attach IFACE [--mode native|skb|tc|auto] [--policy FILE]\n"
"                         load and attach XDP (ingress; tc ingress in tc mode) and\n"
"                         tc egress to IFACE\n"
"  detach IFACE [--force] remove everything tcpcrypt attached to IFACE; refused\n"
"                         while tcpcryptd runs or encrypted connections are open\n"
"  status [IFACE]         mode, program ids, queues, sockets bound, counters\n"
"  policy IFACE show      print the steering policy\n"
"  policy IFACE set RULE...   replace the policy (see tcpcrypt-loader(8))\n"
"  policy IFACE add RULE...   add rules\n"
"  policy IFACE flush     remove all prefix and port rules\n"
"  policy IFACE load FILE replace the policy with the rules in FILE ('-': stdin)\n"
"  help                   this text\n"
"options: -j|--json  JSON output   -p|--pretty  pretty JSON   -v|--verbose\n"
"RULE: include|exclude net PREFIX | include|exclude port|lport|rport P[-Q] |\n"
"      fail-closed on|off | enabled on|off | steer-all on|off\n");
}

static int usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, "tcpcrypt-loader: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(try 'tcpcrypt-loader help')\n");
	return EXIT_USAGE;
}

static int parse_rules(struct policy *p, int argc, char **argv)
{
	char err[256];
	int i = 0, used;

	while (i < argc) {
		if (policy_parse_words(p, argc - i, argv + i, &used, err, sizeof(err))) {
			fprintf(stderr, "tcpcrypt-loader: %s\n", err);
			return -EINVAL;
		}
		i += used;
	}
	return 0;
}

static int load_policy_file(struct policy *p, const char *path)
{
	char err[256];

	if (policy_parse_file(p, path, err, sizeof(err))) {
		fprintf(stderr, "tcpcrypt-loader: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

static int cmd_attach(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'P' },
		{}
	};
	enum dp_mode mode = DP_MODE_AUTO;
	const char *ifname = NULL, *pfile = NULL;
	struct policy pol;
	struct dp *dp;
	int c, err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:P:", lopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (dp_mode_parse(optarg, &mode))
				return usage_err("bad mode '%s' (native, skb, tc or auto)", optarg);
			break;
		case 'P':
			pfile = optarg;
			break;
		default:
			return usage_err("%s: bad option", "attach");
		}
	}
	if (optind != argc - 1)
		return usage_err("%s: expected one IFACE", "attach");
	ifname = argv[optind];

	policy_init(&pol);
	if (pfile && load_policy_file(&pol, pfile)) {
		policy_free(&pol);
		return EXIT_USAGE;
	}
	err = dp_attach(ifname, mode, 0, &dp);
	if (err) {
		policy_free(&pol);
		return 1;
	}
	if (pfile) {
		err = policy_apply(dp, &pol);
		if (err)
			pr_warn("%s: applying policy %s: %s\n", ifname, pfile, strerror(-err));
	}
	if (dp->mode == DP_MODE_TC)
		pr_info("%s: attached, tc mode: no XDP, tc ingress steers (prog id %u), tc egress "
			"(prog id %u)\n", ifname, dp->tc_in_prog_id, dp->tc_prog_id);
	else
		pr_info("%s: attached, XDP %s mode (prog id %u), tc egress (prog id %u), tc "
			"ingress (prog id %u)\n", ifname, dp_mode_name(dp->mode), dp->xdp_prog_id,
			dp->tc_prog_id, dp->tc_in_prog_id);
	policy_free(&pol);
	dp_close(dp);
	return err ? 1 : 0;
}

/*
 * Connections tcpcryptd was encrypting (or negotiating) that still have a
 * socket here: once the programs are gone, their segments would leave in
 * plaintext.
 */
static int count_live_encrypted(const struct tc_flow_key *k, const struct tc_flow_val *v,
				void *arg)
{
	if (tc_flow_needs_keys(v->state) && tcp_socket_exists(k) != 0) /* or cannot tell */
		++*(int *)arg;
	return 0;
}

static int live_encrypted_flows(struct dp *dp)
{
	int n = 0;

	dp_flow_iterate(dp, count_live_encrypted, &n);
	return n;
}

static int cmd_detach(int argc, char **argv)
{
	const char *ifname = NULL;
	bool force = false;
	struct tc_live live = {};
	struct dp *dp;
	int i, n, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
			force = true;
		else if (!ifname)
			ifname = argv[i];
		else
			ifname = NULL, i = argc;
	}
	if (!ifname || argc > 3)
		return usage_err("%s: expected one IFACE [--force]", "detach");

	err = dp_open(ifname, &dp);
	if (err == -ENOENT)
		pr_warn("%s: tcpcrypt is not attached\n", ifname);
	if (err)
		return 1;
	if (!force) {
		dp_live_get(dp, &live);
		if (dp_daemon_alive(dp) == 1) {
			pr_warn("%s: tcpcryptd (pid %u) is running on it: stop tcpcryptd first "
				"(or detach --force)\n", ifname, live.pid);
			dp_close(dp);
			return 1;
		}
		n = live_encrypted_flows(dp);
		if (n > 0) {
			pr_warn("%s: %d encrypted connection%s still open: without the programs "
				"%s data would leave in plaintext; close %s (ss -K) or detach "
				"--force\n", ifname, n, n == 1 ? " is" : "s are",
				n == 1 ? "its" : "their", n == 1 ? "it" : "them");
			dp_close(dp);
			return 1;
		}
	}
	dp_close(dp);
	return dp_detach(ifname) ? 1 : 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void print_bitmap(struct jp *jp, const char *key, __u64 bits)
{
	int q;

	jp_arr_open(jp, key);
	for (q = 0; q < 64; q++)
		if (bits & (1ULL << q))
			jp_uint(jp, NULL, " %llu", q);
	jp_arr_close(jp);
}

static void print_mode(struct jp *jp, enum dp_mode mode, __u32 id)
{
	if (mode == DP_MODE_TC) {
		/* no XDP on the interface: tc_ingress steers the wire's segments */
		jp_str(jp, "mode", " xdp none, %s mode: tc ingress steers", dp_mode_name(mode));
		jp_uint(jp, "prog_id", "%.0llu", 0);
		return;
	}
	jp_str(jp, "mode", " xdp %s", id ? dp_mode_name(mode) : "none");
	jp_uint(jp, "prog_id", " id %llu", id);
}

static int count_flows(struct dp *dp)
{
	struct tc_flow_key k, *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(dp->maps.flows, prev, &k)) {
		n++;
		prev = &k;
	}
	return n;
}

static int print_status(struct dp *dp, struct jp *jp)
{
	__u64 ctr[TC_DIR_MAX][TC_CTR_MAX];
	char host[IF_NAMESIZE] = "";
	struct tc_config cfg = {};
	struct tc_live live = {};
	__u64 wire_bits = 0, host_bits = 0;
	int alive, nwire, nhost, d, c;

	dp_config_get(dp, &cfg);
	dp_live_get(dp, &live);
	alive = dp_daemon_alive(dp);
	nwire = dp_xsk_count(dp, false, &wire_bits);
	nhost = dp_xsk_count(dp, true, &host_bits);
	if (dp->host_ifindex)
		if_indextoname(dp->host_ifindex, host);

	jp_obj_open(jp, NULL);
	jp_str(jp, "ifname", "%s", dp->ifname);
	jp_uint(jp, "ifindex", " (ifindex %llu):", dp->ifindex);
	jp_obj_open(jp, "xdp");
	print_mode(jp, dp->mode, dp->xdp_prog_id);
	{
		char drv[32];

		/* --mode auto picks by driver (docs/design.md): show which and that it did */
		dp_driver(dp->ifname, drv, sizeof(drv));
		jp_bool(jp, "auto", cfg.flags & TC_CFG_MODE_AUTO ? " (auto" : " (", 
			cfg.flags & TC_CFG_MODE_AUTO);
		jp_str(jp, "driver", cfg.flags & TC_CFG_MODE_AUTO ? ", driver %s)" : "driver %s)",
		       drv);
	}
	jp_obj_close(jp);
	jp_obj_open(jp, "tc");
	jp_uint(jp, "prog_id", ", tc egress id %llu", dp->tc_prog_id);
	jp_uint(jp, "ingress_prog_id", ", tc ingress id %llu", dp->tc_in_prog_id);
	jp_bool(jp, "own_clsact", ", own clsact %s\n", cfg.flags & TC_CFG_OWN_CLSACT);
	jp_obj_close(jp);

	if (dp->host_prog_id) {
		jp_obj_open(jp, "host");
		jp_str(jp, "ifname", "  host %s", host);
		jp_uint(jp, "ifindex", " (ifindex %llu):", dp->host_ifindex);
		print_mode(jp, dp->host_mode, dp->host_prog_id);
		jp_uint(jp, "tcv0_ifindex", ", host end ifindex %llu (reinjection into the "
			"interface)\n", cfg.tcv0_ifindex);
		jp_obj_close(jp);
	} else {
		jp_null(jp, "host", "  host: none (tcpcryptd not running)\n");
	}

	jp_obj_open(jp, "config");
	jp_bool(jp, "enabled", "  config: enabled %s", cfg.flags & TC_CFG_ENABLED);
	jp_bool(jp, "fail_closed", ", fail-closed %s", cfg.flags & TC_CFG_FAIL_CLOSED);
	jp_bool(jp, "steer_all", ", steer-all %s", cfg.flags & TC_CFG_STEER_ALL);
	jp_bool(jp, "stateless_handshakes", ", stateless handshakes %s",
		cfg.flags & TC_CFG_STATELESS_HS);
	jp_uint(jp, "heartbeat_timeout_ms", ", heartbeat timeout %llu ms\n",
		cfg.hb_timeout_ms ? cfg.hb_timeout_ms : TC_HB_TIMEOUT_MS);
	jp_obj_close(jp);

	jp_obj_open(jp, "daemon");
	jp_bool(jp, "alive", "  daemon: alive %s", alive > 0);
	if (live.heartbeat_ns) {
		__u64 now = mono_ns();
		__u64 age = now > live.heartbeat_ns ? now - live.heartbeat_ns : 0;

		jp_uint(jp, "heartbeat_age_ms", ", heartbeat %llu ms ago", age / 1000000);
		jp_uint(jp, "pid", ", pid %llu", live.pid);
		jp_uint(jp, "generation", ", generation %llu", live.generation);
	} else {
		jp_null(jp, "heartbeat_age_ms", ", no heartbeat");
	}
	jp_plain(jp, "\n");
	jp_obj_close(jp);

	jp_uint(jp, "queues", "  queues %llu", dp_queue_count(dp->ifname));
	jp_obj_open(jp, "sockets");
	jp_int(jp, "wire", ", sockets bound: wire %lld", nwire < 0 ? 0 : nwire);
	jp_plain(jp, " [");
	print_bitmap(jp, "wire_queues", wire_bits);
	jp_plain(jp, " ]");
	jp_int(jp, "host", ", host %lld", nhost < 0 ? 0 : nhost);
	jp_plain(jp, " [");
	print_bitmap(jp, "host_queues", host_bits);
	jp_plain(jp, " ]\n");
	jp_obj_close(jp);
	jp_uint(jp, "flows", "  flows %llu\n", count_flows(dp));

	jp_obj_open(jp, "counters");
	if (!dp_counters_read(dp, ctr)) {
		for (d = 0; d < TC_DIR_MAX; d++) {
			int shown = 0;

			jp_obj_open(jp, tc_dir_names[d]);
			jp_plain(jp, "  %s:", tc_dir_names[d]);
			for (c = 0; c < TC_CTR_MAX; c++) {
				char fmt[64];

				/* plain: only what happened; JSON: everything */
				if (!jp_is_json(jp) && !ctr[d][c])
					continue;
				snprintf(fmt, sizeof(fmt), " %s %%llu", tc_ctr_names[c]);
				jp_uint(jp, tc_ctr_names[c], fmt, ctr[d][c]);
				shown++;
			}
			jp_plain(jp, shown ? "\n" : " -\n");
			jp_obj_close(jp);
		}
	}
	jp_obj_close(jp);
	jp_obj_close(jp);
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	struct jp *jp;
	struct dp *dp;
	int err, ret = 0, n = 0;

	if (argc > 2)
		return usage_err("%s: expected at most one IFACE", "status");
	if (argc == 2) {
		err = dp_open(argv[1], &dp);
		if (err == -ENOENT)
			pr_warn("%s: tcpcrypt is not attached\n", argv[1]);
		if (err)
			return 1;
	}
	jp = jp_new(stdout, opt_json, opt_pretty);
	if (!jp) {
		dp_close(argc == 2 ? dp : NULL);
		return 1;
	}
	jp_arr_open(jp, NULL);
	if (argc == 2) {
		ret = print_status(dp, jp) ? 1 : 0;
		dp_close(dp);
	} else {
		struct if_nameindex *ifs = if_nameindex(), *i;

		for (i = ifs; i && i->if_index; i++) {
			/* interfaces without tcpcrypt: -ENOENT, silent */
			err = dp_open(i->if_name, &dp);
			if (err == -EPERM) {
				ret = 1;
				break;
			}
			if (err)
				continue;
			print_status(dp, jp);
			dp_close(dp);
			n++;
		}
		if (ifs)
			if_freenameindex(ifs);
		if (!n && !ret)
			jp_plain(jp, "tcpcrypt is not attached to any interface\n");
	}
	jp_arr_close(jp);
	jp_free(jp);
	return ret;
}

static int cmd_policy(int argc, char **argv)
{
	const char *ifname, *sub;
	struct policy pol;
	struct dp *dp;
	int err = 0;

	if (argc < 3)
		return usage_err("%s: expected IFACE and show|set|add|flush|load", "policy");
	ifname = argv[1];
	sub = argv[2];
	policy_init(&pol);
	if (!strcmp(sub, "set") || !strcmp(sub, "add")) {
		if (argc < 4 || parse_rules(&pol, argc - 3, argv + 3)) {
			policy_free(&pol);
			return argc < 4 ? usage_err("policy %s: expected rules", sub) : EXIT_USAGE;
		}
	} else if (!strcmp(sub, "load")) {
		if (argc != 4)
			return usage_err("%s: expected FILE", "policy load");
		if (load_policy_file(&pol, argv[3])) {
			policy_free(&pol);
			return EXIT_USAGE;
		}
	} else if (strcmp(sub, "show") && strcmp(sub, "flush")) {
		return usage_err("policy: unknown subcommand '%s'", sub);
	} else if (argc != 3) {
		return usage_err("policy %s: unexpected arguments", sub);
	}

	err = dp_open(ifname, &dp);
	if (err == -ENOENT)
		pr_warn("%s: tcpcrypt is not attached\n", ifname);
	if (err) {
		policy_free(&pol);
		return 1;
	}
	if (!strcmp(sub, "show")) {
		struct jp *jp = jp_new(stdout, opt_json, opt_pretty);

		if (!jp)
			err = -ENOMEM;
		else
			err = policy_print(dp, jp);
		jp_free(jp);
	} else if (!strcmp(sub, "flush")) {
		err = policy_flush(dp);
	} else if (!strcmp(sub, "add")) {
		err = policy_add(dp, &pol);
	} else {
		err = policy_apply(dp, &pol);
	}
	if (err)
		pr_warn("%s: policy %s: %s\n", ifname, sub, strerror(-err));
	policy_free(&pol);
	dp_close(dp);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *cmd;
	char **args;
	int i, n = 0;

	log_set_prefix("tcpcrypt-loader");
	/* global options anywhere; the rest keeps its order */
	args = calloc(argc + 1, sizeof(*args));
	if (!args)
		return 1;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			opt_json = true;
		else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty"))
			opt_json = opt_pretty = true;
		else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))
			log_set_level(LOG_LEVEL_DEBUG);
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			free(args);
			return 0;
		} else
			args[n++] = argv[i];
	}
	if (!n) {
		usage(stderr);
		free(args);
		return EXIT_USAGE;
	}
	cmd = args[0];
	if (!strcmp(cmd, "attach"))
		i = cmd_attach(n, args);
	else if (!strcmp(cmd, "detach"))
		i = cmd_detach(n, args);
	else if (!strcmp(cmd, "status") || !strcmp(cmd, "show"))
		i = cmd_status(n, args);
	else if (!strcmp(cmd, "policy"))
		i = cmd_policy(n, args);
	else if (!strcmp(cmd, "help")) {
		usage(stdout);
		i = 0;
	} else
		i = usage_err("unknown command '%s'", cmd);
	free(args);
	return i;
}
