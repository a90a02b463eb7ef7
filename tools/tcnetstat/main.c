// SPDX-License-Identifier: GPL-2.0
/*
 * tcnetstat: list the tcpcrypt connections of this network namespace with
 * their session ids, or tcpcryptd's counters (-s). See tcnetstat.h and
 * docs/man/tcnetstat.8.
 *
 * Exit status: 0 ok, 1 error (also: no tcpcryptd attached here), 2 usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <net/if.h>
#include <sys/socket.h>

#include "common/dp_attach.h"
#include "common/json.h"
#include "common/log.h"
#include "common/opttab.h"
#include "tcnetstat.h"

struct cfg {
	const char *ifname;
	bool json, pretty, stats, watch;
	double interval;
	unsigned long count;	/* watch: refreshes, 0: until interrupted */
	struct tcn_filter f;
};

static int port_arg(const char *a, int *out)
{
	char *end;
	long v = strtol(a, &end, 10);

	if (!*a || *end || v < 0 || v > 65535)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

#define CFG(ctx) ((struct cfg *)(ctx))
static int o_iface(const char *a, void *c) { CFG(c)->ifname = a; return 0; }
static int o_all(const char *a, void *c) { CFG(c)->f.all = true; return 0; }
static int o_json(const char *a, void *c) { CFG(c)->json = true; return 0; }
static int o_pretty(const char *a, void *c) { CFG(c)->json = CFG(c)->pretty = true; return 0; }
static int o_v4(const char *a, void *c) { CFG(c)->f.family = AF_INET; return 0; }
static int o_v6(const char *a, void *c) { CFG(c)->f.family = AF_INET6; return 0; }
static int o_stats(const char *a, void *c) { CFG(c)->stats = true; return 0; }
static int o_port(const char *a, void *c) { return port_arg(a, &CFG(c)->f.port); }
static int o_lport(const char *a, void *c) { return port_arg(a, &CFG(c)->f.lport); }
static int o_rport(const char *a, void *c) { return port_arg(a, &CFG(c)->f.rport); }
static int o_addr(const char *a, void *c) { return tcn_parse_prefix(a, &CFG(c)->f.addr); }
static int o_laddr(const char *a, void *c) { return tcn_parse_prefix(a, &CFG(c)->f.laddr); }
static int o_raddr(const char *a, void *c) { return tcn_parse_prefix(a, &CFG(c)->f.raddr); }
static int o_watch(const char *a, void *c) { CFG(c)->watch = true; return 0; }
static int o_interval(const char *a, void *c)
{
	char *end;

	CFG(c)->interval = strtod(a, &end);
	return *end || CFG(c)->interval < 0.1 || CFG(c)->interval > 86400 ? -EINVAL : 0;
}
static int o_count(const char *a, void *c)
{
	char *end;

	CFG(c)->count = strtoul(a, &end, 10);
	CFG(c)->watch = true;
	return *a && !*end ? 0 : -EINVAL;
}
static int o_help(const char *a, void *c);

static const struct opttab opts[] = {
	{ "interface", 'i', "IFACE", "only this interface (default: every one tcpcrypt is "
	  "attached to)", o_iface },
	{ "all", 'a', NULL, "also pass-through flows and connections that fell back to plain "
	  "TCP", o_all },
	{ "json", 'j', NULL, "JSON output", o_json },
	{ "pretty", 'p', NULL, "pretty-printed JSON", o_pretty },
	{ "ipv4", '4', NULL, "IPv4 connections only", o_v4 },
	{ "ipv6", '6', NULL, "IPv6 connections only", o_v6 },
	{ "stats", 's', NULL, "tcpcryptd's counters, per queue and total, instead of "
	  "connections", o_stats },
	{ "port", 0, "PORT", "connections with PORT at either end", o_port },
	{ "lport", 0, "PORT", "connections with local port PORT", o_lport },
	{ "rport", 0, "PORT", "connections with remote port PORT", o_rport },
	{ "addr", 0, "ADDR[/LEN]", "connections with an address in the prefix at either end",
	  o_addr },
	{ "laddr", 0, "ADDR[/LEN]", "local address in the prefix", o_laddr },
	{ "raddr", 0, "ADDR[/LEN]", "remote address in the prefix", o_raddr },
	{ "watch", 'w', NULL, "refresh like watch(1) until interrupted", o_watch },
	{ "interval", 'n', "SECONDS", "with --watch: seconds between refreshes (default 1)",
	  o_interval },
	{ "count", 'c', "N", "with --watch: stop after N refreshes", o_count },
	{ "help", 'h', NULL, "this help", o_help },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static int o_help(const char *a, void *c)
{
	printf("usage: tcnetstat [options]\n"
	       "List the tcpcrypt connections of this network namespace (local and remote\n"
	       "address, state, role, TEP, AEAD, session id and short authentication string),\n"
	       "or tcpcryptd's counters (-s). Needs the privileges to read BPF maps.\n\n");
	opttab_usage(stdout, opts, NOPTS);
	exit(0);
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	interrupted = 1;
}

struct run {
	unsigned int attached, shown;
	int err;
};

/* One interface: its connections or its counters. */
static void show_iface(const struct cfg *cfg, struct jp *jp, struct dp *dp, struct run *run)
{
	struct tcn_row *rows = NULL;
	struct tcn_stats st;
	unsigned int n = 0, i;
	int err;

	run->attached++;
	if (dp_daemon_alive(dp) != 1 && !cfg->stats)
		fprintf(stderr, "tcnetstat: %s: tcpcrypt is attached but tcpcryptd is not "
			"running: these are the flows it left\n", dp->ifname);
	if (cfg->stats) {
		err = tcn_read_stats(dp, &st);
		if (!err) {
			tcn_print_stats(jp, &st);
			run->shown++;
		}
	} else {
		err = tcn_read_rows(dp, &rows, &n);
		for (i = 0; !err && i < n; i++)
			if (tcn_shown(&rows[i], &cfg->f)) {
				tcn_print_row(jp, &rows[i]);
				run->shown++;
			}
		free(rows);
	}
	if (err) {
		fprintf(stderr, "tcnetstat: %s: reading the maps: %s\n", dp->ifname,
			strerror(-err));
		run->err = err;
	}
}

/* Every interface tcpcrypt is attached to (or the one named): exit status. */
static int show(const struct cfg *cfg)
{
	struct if_nameindex *ifs = NULL, *it;
	struct run run = {};
	struct jp *jp;
	int err;

	if (!cfg->ifname) {
		ifs = if_nameindex();
		if (!ifs) {
			fprintf(stderr, "tcnetstat: cannot list interfaces: %s\n", strerror(errno));
			return 1;
		}
	}
	jp = jp_new(stdout, cfg->json, cfg->pretty);
	if (!jp) {
		if (ifs)
			if_freenameindex(ifs);
		return 1;
	}
	jp_arr_open(jp, NULL);
	for (it = ifs; cfg->ifname || it->if_name; it++) {
		const char *name = cfg->ifname ? cfg->ifname : it->if_name;
		struct dp *dp;

		err = dp_open(name, &dp);
		if (!err) {
			show_iface(cfg, jp, dp, &run);
			dp_close(dp);
		} else if (err != -ENOENT || cfg->ifname) {
			if (err == -ENOENT)
				fprintf(stderr, "tcnetstat: %s: tcpcrypt is not attached (start "
					"tcpcryptd -i %s)\n", name, name);
			run.err = err;
		}
		if (cfg->ifname || (err && err != -ENOENT))
			break;
	}
	jp_arr_close(jp);
	if (!cfg->json && !run.err && run.attached && !run.shown && !cfg->stats)
		printf("no tcpcrypt connections%s\n", cfg->f.all ? "" :
		       " (-a also lists pass-through flows and fallbacks)");
	jp_free(jp);
	if (ifs)
		if_freenameindex(ifs);
	if (!run.err && !run.attached) {
		fprintf(stderr, "tcnetstat: no tcpcryptd is attached in this network namespace "
			"(see tcpcryptd(8))\n");
		return 1;
	}
	return run.err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct cfg cfg = { .interval = 1.0,
			   .f = { .port = -1, .lport = -1, .rport = -1 } };
	unsigned long n = 0;
	int i, ret;

	log_set_prefix("tcnetstat");
	i = opttab_parse(opts, NOPTS, argc, argv, &cfg, "tcnetstat");
	if (i < 0)
		return 2;
	if (i != argc) {
		fprintf(stderr, "tcnetstat: unexpected argument '%s' (try tcnetstat -h)\n",
			argv[i]);
		return 2;
	}
	if (!cfg.watch)
		return show(&cfg);
	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);
	for (;;) {
		struct timespec ts = { .tv_sec = (time_t)cfg.interval,
				       .tv_nsec = (long)((cfg.interval - (time_t)cfg.interval) * 1e9) };
		time_t now = time(NULL);
		char when[64];

		if (!cfg.json) {
			strftime(when, sizeof(when), "%F %T", localtime(&now));
			/* clear the screen, like watch(1) */
			printf("\033[H\033[2JEvery %.1fs: tcnetstat%s%s    %s\n\n", cfg.interval,
			       cfg.stats ? " -s" : "", cfg.f.all ? " -a" : "", when);
		}
		ret = show(&cfg);
		fflush(stdout);
		if (interrupted || (cfg.count && ++n >= cfg.count))
			break;
		while (nanosleep(&ts, &ts) && errno == EINTR && !interrupted)
			;
		if (interrupted)
			break;
	}
	return ret;
}
