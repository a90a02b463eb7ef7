// SPDX-License-Identifier: GPL-2.0
/*
 * tcpcryptd: carries the TCP connections steered by the BPF datapath
 * through userspace over AF_XDP and encrypts them with tcpcrypt (the
 * segment engine, lib/engine) when the peer runs it too; --passthrough
 * carries them unchanged. See docs/man/tcpcryptd.8.
 *
 * Threads: main (signals, heartbeat, flow expiry, stats, link events) and
 * one poller per queue. Signals are blocked in every thread and read by main
 * from a signalfd, so pollers never see EINTR and shutdown is ordered.
 *
 * Setup, in order: the per-interface lock (one daemon per interface and
 * namespace), the BPF attachment (made, or taken over from a killed
 * predecessor, or tcpcrypt-loader's used as it is), the internal veth pair
 * and its reinjection filter, the policy, the AF_XDP sockets and pollers;
 * then the heartbeat makes BPF steer. At exit everything this process
 * created, and only that, is torn down.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <bpf/bpf.h>

#include "common/dp_attach.h"
#include "common/sockdiag.h"
#include "core/algs.h"
#include "core/ecdh.h"
#include "core/resume.h"
#include "core/rng.h"
#include "engine/conn.h"
#include "common/log.h"
#include "common/policy.h"
#include "tcpcryptd/ctl.h"
#include "tcpcryptd/flow.h"
#include "tcpcryptd/hostif.h"
#include "tcpcryptd/instance.h"
#include "tcpcryptd/keypool.h"
#include "tcpcryptd/linkwatch.h"
#include "tcpcryptd/pcap.h"
#include "tcpcryptd/privs.h"
#include "tcpcryptd/poller.h"

#define EXIT_USAGE 2
#ifndef IFF_LOWER_UP		/* <linux/if.h>, which clashes with <net/if.h> */
#define IFF_LOWER_UP	0x10000
#endif
#define TCD_MAX_RULES 64
#define TCD_DEF_SPIN_US 50
#define TCD_DEF_RESUME 1024		/* resumption cache entries */
#define TCD_DEF_RESUME_TTL_S 600

struct cfg {
	const char *ifname;
	unsigned int queues;		/* 0: all queues of the interface */
	enum dp_mode mode;
	int zero_copy;			/* -1 off, 0 auto, 1 on */
	int wire_gso;			/* --wire-gso: -1 off, 0 auto, 1 on */
	bool busy_poll;
	bool passthrough;
	const char *teps, *aeads;
	unsigned long long rekey_bytes;
	bool fail_closed;
	bool cleanup_only;
	bool force;
	bool policy_given;		/* a policy option was given */
	unsigned int hb_timeout_ms;
	unsigned int idle_s, grace_ms, max_flows, stats_s;
	unsigned int half_open, half_open_prefix;	/* 0: default */
	unsigned int spin_us, rx_ring, tx_ring, fill_ring;
	unsigned int key_pool;		/* pairs made ahead per TEP, 0: none */
	unsigned int resume, resume_ttl_s;	/* resumption cache entries (0: off), lifetime */
	unsigned int resume_nonce;		/* bytes of our resumption nonces */
	const char *pcap_path, *pcap_filter;
	/* the policy options as given, replayed by SIGHUP */
	const char *policy_file;
	const char *rules[TCD_MAX_RULES][2];	/* action, rule */
	int nrules;
	struct policy pol;
};

static struct cfg cfg = {
	.mode = DP_MODE_AUTO,
	.hb_timeout_ms = TC_HB_TIMEOUT_MS,
	.idle_s = 600,
	.grace_ms = 2000,
	.max_flows = TC_FLOWS_MAX,
	.spin_us = TCD_DEF_SPIN_US,
	.key_pool = KEYPOOL_DEF_DEPTH,
	.resume = TCD_DEF_RESUME,
	.resume_ttl_s = TCD_DEF_RESUME_TTL_S,
	.resume_nonce = TC_RESUME_NONCE_MAX,
};

/* ---- the option table: getopt_long and -h are both generated from it ---- */

struct opt {
	const char *name;
	int short_name;			/* 0: long only */
	const char *arg;		/* NULL: no argument */
	const char *help;
	int (*set)(const char *arg);
};

static int parse_uint(const char *s, unsigned int lo, unsigned int hi, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int set_iface(const char *a) { cfg.ifname = a; return 0; }
static int set_queues(const char *a) { return parse_uint(a, 1, TC_MAX_QUEUES, &cfg.queues); }
static int set_mode(const char *a) { return dp_mode_parse(a, &cfg.mode); }
/* "auto", "on", "off" -> 0, 1, -1 */
static int parse_auto_on_off(const char *a, int *out)
{
	if (!strcmp(a, "auto"))
		*out = 0;
	else if (!strcmp(a, "on"))
		*out = 1;
	else if (!strcmp(a, "off"))
		*out = -1;
	else
		return -EINVAL;
	return 0;
}
static int set_zc(const char *a) { return parse_auto_on_off(a, &cfg.zero_copy); }
static int set_wire_gso(const char *a) { return parse_auto_on_off(a, &cfg.wire_gso); }
static int set_busy(const char *a) { cfg.busy_poll = true; return 0; }
static int set_pt(const char *a) { cfg.passthrough = true; return 0; }
static int set_teps(const char *a) { cfg.teps = a; return 0; }
static int set_aeads(const char *a) { cfg.aeads = a; return 0; }
static int set_key_pool(const char *a)
{
	return parse_uint(a, 0, KEYPOOL_MAX_DEPTH, &cfg.key_pool);
}
static int set_resume(const char *a) { return parse_uint(a, 0, 1u << 20, &cfg.resume); }
static int set_resume_nonce(const char *a)
{
	return parse_uint(a, 0, TC_RESUME_NONCE_MAX, &cfg.resume_nonce);
}
static int set_resume_ttl(const char *a)
{
	return parse_uint(a, 1, 7 * 24 * 3600, &cfg.resume_ttl_s);
}

static int set_rekey(const char *a)
{
	char *end;

	errno = 0;
	cfg.rekey_bytes = strtoull(a, &end, 0);
	if (errno || end == a)
		return -EINVAL;
	/* K, M, G suffixes */
	if (*end == 'K' || *end == 'k')
		cfg.rekey_bytes <<= 10, end++;
	else if (*end == 'M')
		cfg.rekey_bytes <<= 20, end++;
	else if (*end == 'G')
		cfg.rekey_bytes <<= 30, end++;
	return *end ? -EINVAL : 0;
}
static int set_fc(const char *a)
{
	cfg.fail_closed = true;
	cfg.policy_given = true;
	return 0;
}
static int set_cleanup(const char *a) { cfg.cleanup_only = true; return 0; }
static int set_force(const char *a) { cfg.force = true; return 0; }
static int set_hb(const char *a) { return parse_uint(a, 100, 600000, &cfg.hb_timeout_ms); }
static int set_idle(const char *a) { return parse_uint(a, 1, 86400 * 7, &cfg.idle_s); }
static int set_grace(const char *a) { return parse_uint(a, 0, 600000, &cfg.grace_ms); }
static int set_maxf(const char *a) { return parse_uint(a, 16, TC_FLOWS_MAX, &cfg.max_flows); }
static int set_stats(const char *a) { return parse_uint(a, 0, 86400, &cfg.stats_s); }
static int set_half(const char *a) { return parse_uint(a, 16, 1u << 20, &cfg.half_open); }
static int set_half_prefix(const char *a)
{
	return parse_uint(a, 1, UINT16_MAX, &cfg.half_open_prefix);
}
static int set_spin(const char *a) { return parse_uint(a, 0, 10000, &cfg.spin_us); }
static int set_ring(const char *a, unsigned int *v)
{
	/* powers of two, as AF_XDP rings must be */
	if (parse_uint(a, 64, 65536, v) || (*v & (*v - 1)))
		return -EINVAL;
	return 0;
}
static int set_rx_ring(const char *a) { return set_ring(a, &cfg.rx_ring); }
static int set_tx_ring(const char *a) { return set_ring(a, &cfg.tx_ring); }
static int set_fill_ring(const char *a) { return set_ring(a, &cfg.fill_ring); }
static int set_pcap(const char *a) { cfg.pcap_path = a; return 0; }
static int set_pcap_filter(const char *a) { cfg.pcap_filter = a; return 0; }
static int set_verbose(const char *a) { log_set_level(LOG_LEVEL_DEBUG); return 0; }
static int set_quiet(const char *a) { log_set_level(LOG_LEVEL_WARN); return 0; }

/* "include port 80" style rules: ACTION + the words of A, into P */
static int parse_rule(struct policy *p, const char *action, const char *a)
{
	char buf[256], err[128], *words[8], *save = NULL, *w;
	int n = 0, used = 0, ret;

	words[n++] = (char *)action;
	snprintf(buf, sizeof(buf), "%s", a);
	for (w = strtok_r(buf, " \t", &save); w && n < 8; w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	ret = policy_parse_words(p, n, words, &used, err, sizeof(err));
	if (ret || used != n) {
		pr_warn("--%s '%s': %s\n", action, a, ret ? err : "trailing words");
		return -EINVAL;
	}
	return 0;
}

static int add_rule(const char *action, const char *a)
{
	cfg.policy_given = true;
	if (cfg.nrules == TCD_MAX_RULES) {
		fprintf(stderr, "tcpcryptd: more than %d rules: use --policy FILE\n",
			TCD_MAX_RULES);
		return -EINVAL;
	}
	cfg.rules[cfg.nrules][0] = action;
	cfg.rules[cfg.nrules][1] = a;
	cfg.nrules++;
	return parse_rule(&cfg.pol, action, a);
}
static int set_include(const char *a) { return add_rule("include", a); }
static int set_exclude(const char *a) { return add_rule("exclude", a); }
static int set_policy(const char *a)
{
	char err[256];

	cfg.policy_given = true;
	cfg.policy_file = a;
	if (policy_parse_file(&cfg.pol, a, err, sizeof(err))) {
		fprintf(stderr, "tcpcryptd: --policy %s: %s\n", a, err);
		return -EINVAL;
	}
	return 0;
}
static int set_steer_all(const char *a)
{
	cfg.pol.steer_all = 1;
	cfg.policy_given = true;
	return 0;
}
static int usage(const char *a);

static const struct opt opts[] = {
	{ "interface", 'i', "IFACE", "interface to attach to (required)", set_iface },
	{ "queues", 0, "N", "use queues 0..N-1 (default: all RX queues of IFACE); "
	  "one AF_XDP socket pair and one poller thread per queue", set_queues },
	{ "mode", 0, "native|skb|tc|auto", "XDP attach mode on IFACE, or tc: no XDP there "
	  "(default auto: by driver, the mode that costs traffic tcpcrypt does not steer "
	  "least; veth: tc)", set_mode },
	{ "zero-copy", 0, "auto|on|off", "AF_XDP zero-copy (default auto; the internal veth "
	  "only does copy mode, so auto means copy mode)", set_zc },
	{ "wire-gso", 0, "auto|on|off", "send segments to IFACE as GSO super-packets through "
	  "a packet socket, cut by the device (default auto: while IFACE has TSO; off: one "
	  "AF_XDP frame per segment)", set_wire_gso },
	{ "busy-poll", 0, NULL, "pollers spin instead of sleeping in poll() when idle",
	  set_busy },
	{ "spin-us", 0, "US", "after traffic, pollers keep polling this long before they "
	  "sleep, yielding the CPU to anything runnable (default 50; 0: sleep at once)",
	  set_spin },
	{ "rx-ring", 0, "N", "AF_XDP RX ring size per socket, a power of 2 (default 4096)",
	  set_rx_ring },
	{ "tx-ring", 0, "N", "AF_XDP TX ring size per socket (default 4096)", set_tx_ring },
	{ "fill-ring", 0, "N", "AF_XDP fill ring size per socket (default 2x --rx-ring)",
	  set_fill_ring },
	{ "passthrough", 0, NULL, "carry steered segments unchanged (no encryption): a "
	  "diagnostic", set_pt },
	{ "tep", 0, "LIST", "key exchanges offered, most preferred first, comma-separated: "
	  "x25519, x448, p256, p521 (default x25519,p256)", set_teps },
	{ "aead", 0, "LIST", "AEADs offered, most preferred first: aes128gcm, aes256gcm, "
	  "chacha20poly1305 (default in that order)", set_aeads },
	{ "key-pool", 0, "N", "ephemeral key pairs kept ready per key exchange method (TEP), made "
	  "in idle CPU time and each used once (default 32; 0: each key exchange makes "
	  "its own)", set_key_pool },
	{ "resume", 0, "N", "session resumption (RFC 8548 3.5): keep the next secret of up to N "
	  "sessions, in memory only, so that the next connection with the same host skips "
	  "the key exchange (default 1024; 0: every connection makes a fresh one)", set_resume },
	{ "resume-ttl", 0, "S", "forget a cached secret unused for S seconds (default 600)",
	  set_resume_ttl },
	{ "resume-nonce", 0, "BYTES", "length of the nonce this host adds to each resumption, "
	  "0-8 (default 8; RFC 8548 3.5: shorter only where a cached secret can never be "
	  "used twice, which restoring a cloned VM or a snapshot breaks)", set_resume_nonce },
	{ "rekey", 0, "BYTES", "start a new key generation after every BYTES sent on a "
	  "connection (K, M, G suffixes; default 0: only when the peer does)", set_rekey },
	{ "include", 0, "RULE", "steer only matching connections: 'port P[-Q]', "
	  "'lport P', 'rport P', 'net PREFIX' (repeatable)", set_include },
	{ "exclude", 0, "RULE", "never steer matching connections (same RULE forms; "
	  "repeatable)", set_exclude },
	{ "policy", 0, "FILE", "read policy rules from FILE (see tcpcrypt-loader)", set_policy },
	{ "steer-all", 0, NULL, "steer every new connection, ignoring the rules (tests); "
	  "without include rules every connection not excluded is steered anyway",
	  set_steer_all },
	{ "fail-closed", 0, NULL, "while no daemon runs, drop new connections instead of "
	  "passing them as plain TCP", set_fc },
	{ "heartbeat-timeout", 0, "MS", "BPF declares the daemon dead after MS without a "
	  "heartbeat (default 2000)", set_hb },
	{ "idle-timeout", 0, "S", "forget a flow after S seconds without a segment "
	  "(default 600)", set_idle },
	{ "grace", 0, "MS", "keep a closed flow (FIN both ways or RST) for MS (default 2000)",
	  set_grace },
	{ "max-flows", 0, "N", "flow table size (default 65536)", set_maxf },
	{ "half-open", 0, "N", "handshakes not yet proven (peer has not acknowledged our "
	  "ISN) kept per side, the oldest evicted first (default max-flows/4)", set_half },
	{ "half-open-prefix", 0, "N", "of those from the wire, at most N per remote /24 "
	  "or /64 (default half-open/8)", set_half_prefix },
	{ "stats-interval", 0, "S", "log counters every S seconds (default 0: only on "
	  "SIGUSR1 and at exit)", set_stats },
	{ "pcap", 0, "FILE", "write the frames tcpcryptd receives from and sends to the "
	  "wire, as on the wire, to FILE (pcapng)", set_pcap },
	{ "pcap-filter", 0, "EXPR", "with --pcap: only frames matching EXPR "
	  "(pcap-filter(7) syntax)", set_pcap_filter },
	{ "cleanup", 0, NULL, "remove the leftovers of a killed tcpcryptd on IFACE and exit",
	  set_cleanup },
	{ "force", 0, NULL, "with --cleanup: detach even if flows that need encryption remain",
	  set_force },
	{ "verbose", 'v', NULL, "log debug messages", set_verbose },
	{ "quiet", 'q', NULL, "log warnings only", set_quiet },
	{ "help", 'h', NULL, "this help", usage },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* "  LEFT  help text" with the help wrapped at 80 columns under itself. */
static void print_wrapped(const char *left, const char *help)
{
	const int indent = 33, width = 80;
	const char *p = help;
	int col;

	col = printf("  %-30s ", left);
	if (col > indent) {
		printf("\n%*s", indent, "");
		col = indent;
	}
	while (*p) {
		const char *sp = strchr(p, ' ');
		int wl = sp ? sp - p : (int)strlen(p);

		if (col > indent) {
			if (col + 1 + wl >= width) {
				printf("\n%*s", indent, "");
				col = indent;
			} else {
				putchar(' ');
				col++;
			}
		}
		col += printf("%.*s", wl, p);
		p += wl;
		while (*p == ' ')
			p++;
	}
	putchar('\n');
}

static int usage(const char *a)
{
	unsigned int i;
	char left[64];

	printf("usage: tcpcryptd -i IFACE [options]\n\n"
	       "Encrypts the TCP connections steered by the tcpcrypt BPF datapath with\n"
	       "TCP-ENO (RFC 8547) and tcpcrypt (RFC 8548) when the peer runs tcpcrypt too;\n"
	       "others stay plain TCP. Runs in the foreground until SIGINT/SIGTERM, then\n"
	       "detaches everything it created. SIGUSR1 logs the counters; SIGHUP reloads\n"
	       "the policy (--policy FILE and the --include/--exclude rules).\n\noptions:\n");
	for (i = 0; i < NOPTS; i++) {
		int n = 0;

		if (opts[i].short_name)
			n = snprintf(left, sizeof(left), "-%c, ", opts[i].short_name);
		snprintf(left + n, sizeof(left) - n, "--%s%s%s", opts[i].name,
			 opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		print_wrapped(left, opts[i].help);
	}
	exit(0);
}

static int parse_args(int argc, char **argv)
{
	struct option lopts[NOPTS + 1];
	char shorts[2 * NOPTS + 1];
	unsigned int i, ns = 0;
	int c, idx;

	memset(lopts, 0, sizeof(lopts));
	for (i = 0; i < NOPTS; i++) {
		lopts[i].name = opts[i].name;
		lopts[i].has_arg = opts[i].arg ? required_argument : no_argument;
		lopts[i].val = 256 + i;
		if (opts[i].short_name) {
			shorts[ns++] = opts[i].short_name;
			if (opts[i].arg)
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, &idx)) != -1) {
		const struct opt *o = NULL;

		if (c >= 256) {
			o = &opts[c - 256];
		} else {
			for (i = 0; i < NOPTS; i++)
				if (opts[i].short_name == c)
					o = &opts[i];
		}
		if (!o) {
			fprintf(stderr, "try tcpcryptd -h\n");
			return -EINVAL;
		}
		if (o->set(optarg)) {
			fprintf(stderr, "tcpcryptd: bad value for --%s: '%s'\n", o->name,
				optarg ? optarg : "");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tcpcryptd: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!cfg.ifname) {
		fprintf(stderr, "tcpcryptd: -i IFACE is required (try -h)\n");
		return -EINVAL;
	}
	if (cfg.pcap_filter && !cfg.pcap_path) {
		fprintf(stderr, "tcpcryptd: --pcap-filter needs --pcap FILE\n");
		return -EINVAL;
	}
	return 0;
}

/* ---- the engine's configuration ---- */

static struct tc_algs algs;
static struct tc_engine_cfg ecfg;
static struct keypool keypool;
static bool keypool_on;
/* One resumption cache for all pollers: a connection with a host may
 * land on any queue. Held for a look-up or an insert, a few us. */
static struct tc_resume_cache resume_cache;
static pthread_mutex_t resume_mu = PTHREAD_MUTEX_INITIALIZER;
static bool resume_on;

static void resume_lock(void *arg)
{
	pthread_mutex_lock(arg);
}

static void resume_unlock(void *arg)
{
	pthread_mutex_unlock(arg);
}

struct alg_name {
	const char *name;
	uint16_t id;
};

static const struct alg_name tep_names[] = {
	{ "x25519", TC_TEP_X25519 }, { "x448", TC_TEP_X448 },
	{ "p256", TC_TEP_P256 }, { "p521", TC_TEP_P521 },
};

static const struct alg_name aead_names[] = {
	{ "aes128gcm", TC_AEAD_AES_128_GCM }, { "aes256gcm", TC_AEAD_AES_256_GCM },
	{ "chacha20poly1305", TC_AEAD_CHACHA20_POLY1305 },
};

#define NAMES(t)	(t), sizeof(t) / sizeof((t)[0])

/* "a,b,c" -> the ids of those names, in order; at most MAX of them. */
static int parse_names(const char *opt, const char *list, const struct alg_name *t,
		       unsigned int nt, unsigned int max, uint16_t *out, uint8_t *n)
{
	char buf[128], *save = NULL, *w;
	unsigned int i, k = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < nt; i++)
			if (!strcmp(w, t[i].name))
				break;
		if (i == nt || k == max) {
			fprintf(stderr, "tcpcryptd: --%s: unknown or too many: '%s'\n", opt, w);
			return -EINVAL;
		}
		out[k++] = t[i].id;
	}
	*n = k;
	return k ? 0 : -EINVAL;
}

static const char *name_of(const struct alg_name *t, unsigned int nt, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < nt; i++)
		if (t[i].id == id)
			return t[i].name;
	return "?";
}

/*
 * "x25519,p256" -> TEPs for ENO, lowest priority first (B picks the last
 * valid one), so the list given most preferred first is reversed.
 */
static int parse_teps(const char *list, uint8_t *teps, uint8_t *n)
{
	uint16_t got[TC_ENGINE_TEPS_MAX];
	unsigned int i;
	int err = parse_names("tep", list, NAMES(tep_names), TC_ENGINE_TEPS_MAX, got, n);

	if (err)
		return err;
	for (i = 0; i < *n; i++)
		teps[i] = (uint8_t)got[*n - 1 - i];
	return 0;
}

static const char *tep_name(uint8_t tep)
{
	return name_of(NAMES(tep_names), tep);
}

static const char *aead_name(uint16_t aead)
{
	return name_of(NAMES(aead_names), aead);
}

/* The engine's settings from the options; host_mtu: what tcv0 takes. */
static int engine_setup(unsigned int host_mtu)
{
	char teps[64] = "", aeads[64] = "";
	int err, i, n;

	err = tc_algs_init(&algs);
	if (err) {
		pr_warn("OpenSSL algorithms: %s\n", strerror(-err));
		return err;
	}
	tc_engine_cfg_default(&ecfg);
	ecfg.algs = &algs;
	ecfg.rng = tc_rng_openssl;
	ecfg.host_mtu = host_mtu;
	ecfg.rekey_bytes = cfg.rekey_bytes;
	ecfg.teps[0] = TC_TEP_P256;	/* default: X25519 preferred, then P-256 */
	ecfg.teps[1] = TC_TEP_X25519;
	ecfg.n_teps = 2;
	if (cfg.teps && parse_teps(cfg.teps, ecfg.teps, &ecfg.n_teps))
		return -EINVAL;
	if (cfg.aeads && parse_names("aead", cfg.aeads, NAMES(aead_names), TC_ENGINE_AEADS_MAX,
				      ecfg.aeads, &ecfg.n_aeads))
		return -EINVAL;
	/* RFC 8548 section 8: no ENO option without adequate randomness */
	ecfg.rng_ready = tc_rng_seeded();
	if (!ecfg.rng_ready)
		pr_warn("the random number generator is not seeded yet: no connection is "
			"offered tcpcrypt (plain TCP) until tcpcryptd is restarted after boot\n");
	for (i = ecfg.n_teps - 1, n = 0; i >= 0; i--)
		n += snprintf(teps + n, sizeof(teps) - n, "%s%s", n ? "," : "",
			      tep_name(ecfg.teps[i]));
	for (i = 0, n = 0; i < ecfg.n_aeads; i++)
		n += snprintf(aeads + n, sizeof(aeads) - n, "%s%s", n ? "," : "",
			      aead_name(ecfg.aeads[i]));
	pr_info("tcpcrypt: key exchanges %s, AEADs %s\n", teps, aeads);
	if (cfg.key_pool) {
		err = keypool_init(&keypool, ecfg.teps, ecfg.n_teps, cfg.key_pool, &ecfg.rng);
		if (!err)
			err = keypool_start(&keypool);
		if (err) {
			pr_warn("key pool: %s\n", strerror(-err));
			return err;
		}
		keypool_on = true;
		ecfg.take_key = keypool_take;
		ecfg.take_key_arg = &keypool;
	}
	if (cfg.resume) {
		err = tc_resume_cache_init(&resume_cache, &algs, cfg.resume);
		if (err) {
			pr_warn("resumption cache: %s\n", strerror(-err));
			return err;
		}
		tc_resume_set_ttl(&resume_cache, cfg.resume_ttl_s * 1000000000ull);
		tc_resume_set_nonce_len(&resume_cache, cfg.resume_nonce);
		resume_on = true;
		ecfg.resume = &resume_cache;
		ecfg.resume_lock = resume_lock;
		ecfg.resume_unlock = resume_unlock;
		ecfg.resume_arg = &resume_mu;
	}
	return 0;
}

static size_t resume_cached(void)
{
	size_t n = 0;

	if (resume_on) {
		pthread_mutex_lock(&resume_mu);
		n = tc_resume_count(&resume_cache);
		pthread_mutex_unlock(&resume_mu);
	}
	return n;
}

/* Secrets unused for --resume-ttl go (RFC 8548 8: bound their life). */
static void resume_expire(uint64_t now)
{
	if (!resume_on)
		return;
	pthread_mutex_lock(&resume_mu);
	tc_resume_expire(&resume_cache, now);
	pthread_mutex_unlock(&resume_mu);
}

/* ---- runtime ---- */

static struct dp *dp;
static struct hostif hif;
static struct flow_table ft;
static struct poller *pollers;
static unsigned int npollers;
static bool attached_by_us;
static struct ctl ctl;
static struct instance inst = { .lock_fd = -1 };
static struct pcapw *pcap;
static struct linkwatch lw = { .fd = -1 };
static int stop_fd_global = -1;

/* Counters were asked for (SIGUSR1, exit, --stats-interval): shown even with -q. */
#define pr_stats(...)	log_msg(LOG_LEVEL_WARN, __VA_ARGS__)

#define U(x) ((unsigned long long)(x))

static void log_poller(const char *why, struct poller *p)
{
	const struct poller_stats *st = &p->st;
	struct xdp_statistics xs[XQ_SIDES];
	int s;

	pr_stats("stats(%s) q%u: wire_rx=%llu host_rx=%llu wire_tx=%llu host_tx=%llu "
		 "wire_rx_bytes=%llu host_rx_bytes=%llu dropped=%llu/%llu kicks=%llu/%llu "
		 "tx_full=%llu/%llu polls=%llu spins=%llu no_frames=%llu reclaims=%llu\n", why,
		 p->q.qid,
		 U(st->rx_pkts[XQ_WIRE]), U(st->rx_pkts[XQ_HOST]), U(st->tx_pkts[XQ_WIRE]),
		 U(st->tx_pkts[XQ_HOST]), U(st->rx_bytes[XQ_WIRE]), U(st->rx_bytes[XQ_HOST]),
		 U(st->dropped[XQ_WIRE]), U(st->dropped[XQ_HOST]), U(st->kicks[XQ_WIRE]),
		 U(st->kicks[XQ_HOST]), U(st->tx_full[XQ_WIRE]), U(st->tx_full[XQ_HOST]),
		 U(st->polls), U(st->spins), U(st->no_frames), U(st->reclaims));
	pr_stats("stats(%s) q%u: wire_rx_chains=%llu host_rx_chains=%llu super_cut=%llu "
		 "super_gso=%llu gso_runs=%llu gso_segs=%llu gso_errors=%llu segs_cut=%llu "
		 "coalesced=%llu runs=%llu wire_tx_descs=%llu host_tx_descs=%llu "
		 "emitted=%llu/%llu engine_gso=%llu engine_dropped=%llu pieces=%llu\n", why,
		 p->q.qid, U(st->rx_chains[XQ_WIRE]), U(st->rx_chains[XQ_HOST]),
		 U(st->super_cut), U(st->super_gso), U(st->gso_runs),
		 U(st->gso_segs), U(st->gso_errors), U(st->segs_cut), U(st->coalesced),
		 U(st->runs), U(st->tx_descs[XQ_WIRE]), U(st->tx_descs[XQ_HOST]),
		 U(st->emitted[XQ_WIRE]), U(st->emitted[XQ_HOST]), U(st->engine_gso),
		 U(st->engine_dropped), U(st->pieces));
	for (s = 0; s < XQ_SIDES; s++) {
		if (xq_stats(&p->q, s, &xs[s]))
			continue;
		pr_stats("xdp_statistics(%s) q%u %s: rx_dropped=%llu rx_invalid_descs=%llu "
			 "rx_ring_full=%llu rx_fill_ring_empty_descs=%llu "
			 "tx_invalid_descs=%llu tx_ring_empty_descs=%llu fill_goal=%u "
			 "fill_grown=%llu\n", why, p->q.qid,
			 s == XQ_WIRE ? "wire" : "host", U(xs[s].rx_dropped),
			 U(xs[s].rx_invalid_descs), U(xs[s].rx_ring_full),
			 U(xs[s].rx_fill_ring_empty_descs), U(xs[s].tx_invalid_descs),
			 U(xs[s].tx_ring_empty_descs), p->q.rxs[s]->fill_goal,
			 U(p->q.rxs[s]->fill_grown));
	}
}

static void log_stats(const char *why)
{
	__u64 ctr[TC_DIR_MAX][TC_CTR_MAX];
	unsigned int i, d, c;

	for (i = 0; i < npollers; i++)
		log_poller(why, &pollers[i]);
	pr_stats("flows(%s): active=%u created=%llu adopted=%llu closed=%llu idle=%llu "
		 "map_errors=%llu non_tcp=%llu table_full=%llu lost_keys_dropped=%llu "
		 "csum_fixed=%llu\n", why, ft.count, U(ft.st.created), U(ft.st.adopted),
		 U(ft.st.removed_closed), U(ft.st.removed_idle), U(ft.st.map_errors),
		 U(ft.st.non_tcp), U(ft.st.table_full), U(ft.st.lost_keys_dropped),
		 U(ft.st.csum_fixed));
	pr_stats("flows(%s): csum_bad=%llu fragments=%llu malformed=%llu fallbacks=%llu "
		"encrypted=%llu kept_socket=%llu evicted_done=%llu\n", why,
		(unsigned long long)ft.st.csum_bad,
		(unsigned long long)ft.st.fragments, (unsigned long long)ft.st.malformed,
		(unsigned long long)ft.st.fallbacks, (unsigned long long)ft.st.encrypted,
		(unsigned long long)ft.st.kept_socket, U(ft.st.evicted_done));
	pr_stats("flows(%s): half_open=%u half_open_evicted=%llu syn_refused=%llu "
		 "eno_resets=%llu synack_dropped=%llu\n", why, flow_half_open(&ft),
		 U(ft.st.half_evicted), U(ft.st.half_refused), U(ft.st.eno_resets),
		 U(ft.st.synack_dropped));
	if (ft.engine) {
		struct tc_engine_stats e;

		flow_engine_stats(&ft, &e);
		pr_stats("engine(%s): eno_offered=%llu eno_answered=%llu eno_fallback=%llu "
			"encrypted_conns=%llu frames_sealed=%llu frames_opened=%llu "
			"bytes_sealed=%llu bytes_opened=%llu frames_resent=%llu init_resent=%llu "
			"frames_repaired=%llu "
			"tag_failures=%llu malformed_frames=%llu aborts=%llu resets_lost_keys=%llu "
			"urgent_refused=%llu ooo_segments=%llu ooo_dropped=%llu held_dropped=%llu "
			"stale_dropped=%llu no_buffer=%llu rekeys=%llu rekeys_started=%llu "
			"keys_pooled=%llu keyx_idle=%llu\n", why,
			(unsigned long long)e.eno_offered, (unsigned long long)e.eno_answered,
			(unsigned long long)e.eno_fallback, (unsigned long long)e.encrypted,
			(unsigned long long)e.frames_sealed, (unsigned long long)e.frames_opened,
			(unsigned long long)e.bytes_sealed, (unsigned long long)e.bytes_opened,
			(unsigned long long)e.frames_resent, (unsigned long long)e.init_resent,
			(unsigned long long)e.frames_repaired,
			(unsigned long long)e.tag_failures, (unsigned long long)e.malformed,
			(unsigned long long)e.aborts, (unsigned long long)e.resets_lost_keys,
			(unsigned long long)e.urgent_refused, (unsigned long long)e.ooo_segments,
			(unsigned long long)e.ooo_dropped, (unsigned long long)e.held_dropped,
			(unsigned long long)e.stale_dropped, (unsigned long long)e.no_buffer,
			(unsigned long long)e.rekeys, (unsigned long long)e.rekeys_started,
			(unsigned long long)e.keys_pooled, U(e.keyx_idle));
		pr_stats("resume(%s): offered=%llu accepted=%llu resumed=%llu early=%llu "
			 "cached=%zu\n", why, U(e.resume_offered), U(e.resume_accepted),
			 U(e.resumed), U(e.keys_early), resume_cached());
	}
	if (keypool_on) {
		struct keypool_stats k;

		keypool_get_stats(&keypool, &k);
		pr_stats("keypool(%s): depth=%u made=%llu taken=%llu missed=%llu expired=%llu\n",
			 why, keypool.depth, U(k.made), U(k.taken), U(k.missed), U(k.expired));
	}
	if (pcap) {
		pcapw_flush(pcap);
		pr_stats("pcap(%s): frames=%llu\n", why, U(pcapw_count(pcap)));
	}
	if (!dp || dp_counters_read(dp, ctr))
		return;
	for (d = 0; d < TC_DIR_MAX; d++) {
		char line[2048];
		int n = 0;

		for (c = 0; c < TC_CTR_MAX; c++)
			n += snprintf(line + n, sizeof(line) - n, " %s=%llu", tc_ctr_names[c],
				      U(ctr[d][c]));
		pr_stats("bpf(%s) %s:%s\n", why, tc_dir_names[d], line);
	}
}

struct adopted {
	unsigned int n, dead;
};

static int adopt_one(const struct tc_flow_key *k, const struct tc_flow_val *v, void *arg)
{
	struct adopted *a = arg;

	if (tc_flow_needs_keys(v->state)) {
		/*
		 * Their keys died with the old daemon: they stay in the map so BPF
		 * keeps steering them to us, and flow_packet() drops them:
		 * never passed in plaintext.
		 */
		flow_adopt(&ft, k, v->state, v->queue);
		a->dead++;
	} else if (v->state == TC_FLOW_PASSTHROUGH) {
		flow_adopt(&ft, k, v->state, v->queue);
	}
	a->n++;
	return 0;
}

/* Load tc_flows left by a previous daemon into our table (kill -9 recovery). */
static void adopt_flows(void)
{
	struct adopted a = {};

	dp_flow_iterate(dp, adopt_one, &a);
	if (a.n)
		pr_info("adopted %u flows from the previous daemon (%u with lost keys: their "
			"segments are dropped)\n", a.n, a.dead);
}

/*
 * Attach, or take over a killed daemon's attachment, or use tcpcrypt-loader's.
 * PREV is the state a killed predecessor left (pid 0: none). The maps (and
 * so the flow map) outlive a kill -9, so flows that required encryption
 * stay known and are never passed in plaintext.
 */
static int attach_or_adopt(const struct instance_state *prev)
{
	struct tc_live live = {};
	int err;

	/* look first: dp_attach() on an attached interface complains */
	err = dp_open(cfg.ifname, &dp);
	if (err == -ENOENT) {
		err = dp_attach(cfg.ifname, cfg.mode, cfg.max_flows, &dp);
		if (!err)
			attached_by_us = true;
		return err;
	}
	if (err)
		return err;
	dp_live_get(dp, &live);
	if (prev->pid) {
		/* what the dead daemon created is ours to tear down now, nothing else */
		attached_by_us = prev->owns_attachment;
		pr_warn("%s: leftovers of a dead tcpcryptd (pid %d) found: taking them over%s "
			"(tcpcryptd -i %s --cleanup removes them)\n", cfg.ifname, (int)prev->pid,
			attached_by_us ? "" : "; the attachment is tcpcrypt-loader's and stays",
			cfg.ifname);
		return 0;
	}
	if (!live.heartbeat_ns && !live.pid) {
		/*
		 * Never served, or left by a daemon that exited cleanly without
		 * owning it: tcpcrypt-loader attached it. Use it, leave it.
		 */
		pr_info("%s: using the attachment made by tcpcrypt-loader (%s mode); it stays "
			"attached after tcpcryptd exits\n", cfg.ifname, dp_mode_name(dp->mode));
		return 0;
	}
	/* served before, no state file: a daemon of a version without one, or /run lost */
	pr_warn("%s: leftovers of a dead tcpcryptd (pid %u, generation %u) found: taking "
		"them over (tcpcryptd -i %s --cleanup removes them)\n", cfg.ifname, live.pid,
		live.generation, cfg.ifname);
	attached_by_us = true;
	return 0;
}

/*
 * Stopping ends the connections whose keys die with us: their sockets are
 * aborted (the application gets ECONNABORTED, the kernel sends a reset,
 * which the pollers still carry to the peer). Returns how many of those
 * connections keep a socket.
 */
/* A socket that may still send or deliver (TIME_WAIT and CLOSE do neither). */
static bool socket_active(const struct tc_flow_key *k)
{
	int st = tcp_socket_state(k);

	return st > 0 && st != TCPS_TIME_WAIT && st != TCPS_CLOSE;
}

struct keyed {
	int n, aborted, live, err;
	bool abort;
};

/* Flows that need keys; with abort, their active sockets are aborted first. */
static int keyed_one(const struct tc_flow_key *k, const struct tc_flow_val *v, void *arg)
{
	struct keyed *c = arg;
	int r;

	if (!tc_flow_needs_keys(v->state))
		return 0;
	c->n++;
	if (!c->abort || !socket_active(k))
		return 0;
	r = tcp_socket_destroy(k);
	if (r > 0)
		c->aborted++;
	else if (r < 0)
		c->err = r;
	if (socket_active(k))
		c->live++;
	return 0;
}

static int close_keyed_flows(void)
{
	struct keyed c = { .abort = true };

	dp_flow_iterate(dp, keyed_one, &c);
	if (c.aborted) {
		pr_info("stopping: aborted %d connection%s whose keys end with this daemon\n",
			c.aborted, c.aborted == 1 ? "" : "s");
		usleep(100 * 1000);	/* the pollers forward their resets */
	}
	if (c.live)
		pr_warn("stopping: %d connection%s that need%s encryption could not be aborted "
			"(SOCK_DESTROY: %s)\n", c.live, c.live == 1 ? "" : "s",
			c.live == 1 ? "s" : "", strerror(-c.err));
	return c.live;
}

/* Flows in tc_flows whose state needs keys (NEGOTIATING/ENCRYPTED). */
static int count_keyed_flows(void)
{
	struct keyed c = {};

	dp_flow_iterate(dp, keyed_one, &c);
	return c.n;
}

/* Holding the lock: no daemon runs on this interface. */
static int cleanup_leftovers(int ifindex)
{
	char n0[IF_NAMESIZE], n1[IF_NAMESIZE];
	int err, found = 0, n;

	err = dp_open(cfg.ifname, &dp);
	if (!err) {
		/*
		 * Without the programs, the local sockets of flows that needed
		 * encryption would retransmit in plaintext: refuse unless forced.
		 */
		n = count_keyed_flows();
		if (n && !cfg.force) {
			pr_warn("%s: %d flows that need encryption are in the flow map: detaching "
				"would let their retransmissions leave in plaintext; close them (or "
				"wait) or use --force\n", cfg.ifname, n);
			return -EBUSY;
		}
		dp_close(dp);
		dp = NULL;
		err = dp_detach(cfg.ifname);
		if (err && err != -ENOENT)
			return err;
		pr_info("%s: detached the BPF programs of a dead tcpcryptd\n", cfg.ifname);
		found = 1;
	}
	hostif_names(ifindex, n0, n1);
	if (!hostif_delete_link(n0)) {
		pr_info("deleted stale internal veth pair %s/%s\n", n0, n1);
		found = 1;
	}
	if (!found)
		pr_info("%s: nothing to clean up\n", cfg.ifname);
	return 0;
}

static int gso_socket(int ifindex)
{
	int fd;

	if (cfg.wire_gso < 0)
		return -1;
	fd = gso_open(ifindex);
	if (fd < 0)
		pr_warn("GSO socket on %s: %s; every wire segment goes on the TX ring\n",
			cfg.ifname, strerror(-fd));
	return fd < 0 ? -1 : fd;
}

/*
 * Whether the pollers send GSO packets now. auto: while IFACE has TSO;
 * without it the kernel would cut them in software, which measured slower
 * than the pollers' own cutting (a veth whose peer runs native XDP).
 * Checked at start and on every link event of IFACE (features changes
 * come as RTM_NEWLINK).
 */
static void gso_update(bool quiet)
{
	static int shown = -1;
	int tso = dp_tso(cfg.ifname), on;
	unsigned int i;

	if (!npollers || pollers[0].gso_fd < 0)
		return;
	on = cfg.wire_gso > 0 || tso > 0;
	for (i = 0; i < npollers; i++)
		__atomic_store_n(&pollers[i].gso_on, on, __ATOMIC_RELAXED);
	if (on != shown && !(quiet && shown < 0))
		pr_info("wire GSO %s (%s%s %s)\n", on ? "on" : "off",
			cfg.wire_gso > 0 ? "--wire-gso on; " : "", cfg.ifname,
			tso > 0 ? "has TSO" : tso == 0 ? "has no TSO: the pollers cut "
			"super-packets themselves" : "TSO unknown");
	shown = on;
}

static int create_pollers(int stop_fd, unsigned int mtu)
{
	struct xq_opts xo = {
		.need_wakeup = true,
		.zero_copy_on = cfg.zero_copy > 0,
		.rx_size = cfg.rx_ring,
		.tx_size = cfg.tx_ring,
		.fill_size = cfg.fill_ring,
		/* tc mode: the wire's frames come through tcv1 (TC_CFG_TC_INGRESS) */
		.wire_in = dp->mode == DP_MODE_TC,
		.wire_in_base = cfg.queues,
	};
	unsigned int i;
	int err;

	if (cfg.zero_copy == 0)
		pr_info("zero-copy: auto -> copy mode (the internal veth %s has no zero-copy and "
			"shares the UMEM with %s)\n", hif.name1, cfg.ifname);
	pollers = calloc(cfg.queues, sizeof(*pollers));
	if (!pollers)
		return -ENOMEM;
	for (i = 0; i < cfg.queues; i++) {
		struct poller *p = &pollers[i];

		err = xq_create(&p->q, i, cfg.ifname, hif.name1, &xo);
		if (err)
			return err;
		npollers++;
		err = poller_init(p);
		if (err)
			return err;
		err = dp_xsk_set(dp, false, i, p->q.rxs[XQ_WIRE]->fd);
		if (!err)
			err = dp_xsk_set(dp, true, i, p->q.rxs[XQ_HOST]->fd);
		if (err)
			return err;
		p->ft = &ft;
		p->busy_poll = cfg.busy_poll;
		p->spin_ns = cfg.spin_us * 1000;
		p->stop_fd = stop_fd;
		p->wire_mtu = mtu;
		p->pcap = pcap;
		p->gso_fd = gso_socket(if_nametoindex(cfg.ifname));
		/* the engine leaves wire checksums to GSO (or to the poller) */
		p->em.wire_csum_partial = p->gso_fd >= 0;
		/* the engine seals a local super-packet from its UMEM buffers */
		p->pieces = !cfg.passthrough;
	}
	return 0;
}

/* Threads start once privileges are dropped: they inherit the sets. */
static int run_pollers(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < npollers; i++) {
		err = poller_start(&pollers[i]);
		if (err)
			return err;
	}
	pr_info("%u queue%s: AF_XDP copy mode, multi-buffer, need_wakeup, batch %u, rx %u tx %u "
		"fill %u, frame %u, %u frames + %u 64 KB buffers per queue, spin %u us%s; "
		"wire GSO %s\n",
		cfg.queues, cfg.queues == 1 ? "" : "s", POLLER_BATCH, pollers[0].q.rx_size,
		pollers[0].q.tx_size, pollers[0].q.fill_size, XQ_FRAME_SIZE,
		pollers[0].q.nframes, pollers[0].q.nslots, cfg.spin_us,
		cfg.busy_poll ? ", busy-poll" : "",
		pollers[0].gso_fd < 0 ? "off (one TX frame per segment)" :
		pollers[0].gso_on ? "on (packet socket)" : "auto, off for now (no TSO)");
	return 0;
}

static void stop_pollers(int stop_fd)
{
	uint64_t one = 1;
	unsigned int i;

	tcd_stopping = 1;
	if (write(stop_fd, &one, sizeof(one)) < 0)
		pr_warn("stop eventfd: %s\n", strerror(errno));
	for (i = 0; i < npollers; i++)
		poller_join(&pollers[i]);
}

/*
 * The kernel drops frames that find the RX ring full or no fill entry, and
 * counts them in XDP_STATISTICS: say so in the log, at most every 10 s.
 */
static void watch_drops(uint64_t now)
{
	static uint64_t last_total, last_warn;
	struct xdp_statistics xs;
	uint64_t total = 0;
	unsigned int i;
	int s;

	for (i = 0; i < npollers; i++)
		for (s = 0; s < XQ_SIDES; s++)
			if (!xq_stats(&pollers[i].q, s, &xs))
				total += xs.rx_dropped + xs.rx_ring_full;
	if (total > last_total && now - last_warn >= 10000000000ull) {
		pr_warn("%llu frames dropped by the kernel before reaching tcpcryptd (rx_dropped + "
			"rx_ring_full, all queues): a poller not keeping up (see --rx-ring)\n",
			U(total - last_total));
		last_warn = now;
		last_total = total;
	}
}

/* The policy from the options, as given at start (also for SIGHUP). */
static int build_policy(struct policy *p)
{
	char err[256];
	int i;

	policy_init(p);
	for (i = 0; i < cfg.nrules; i++)
		if (parse_rule(p, cfg.rules[i][0], cfg.rules[i][1]))
			return -EINVAL;
	if (cfg.policy_file && policy_parse_file(p, cfg.policy_file, err, sizeof(err))) {
		pr_warn("--policy %s: %s\n", cfg.policy_file, err);
		return -EINVAL;
	}
	if (cfg.fail_closed)
		p->fail_closed = 1;
	if (cfg.pol.steer_all > 0)
		p->steer_all = 1;
	return 0;
}

/* SIGHUP: read the policy file and the rules again; on error keep the old one. */
static void reload_policy(void)
{
	struct policy np;
	int err;

	if (!attached_by_us && !cfg.policy_given) {
		pr_info("SIGHUP: no policy options: tcpcrypt-loader's policy stays\n");
		return;
	}
	err = build_policy(&np);
	if (!err)
		err = policy_apply(dp, &np);
	if (err) {
		pr_warn("SIGHUP: policy not reloaded (%s): the previous one stays in force\n",
			strerror(-err));
		policy_free(&np);
		return;
	}
	policy_free(&cfg.pol);
	cfg.pol = np;
	pr_info("SIGHUP: policy reloaded (%d rules%s%s)\n", np.n,
		cfg.policy_file ? " from " : "", cfg.policy_file ? cfg.policy_file : "");
}

/*
 * IFACE or the veth pair changed (rtnetlink). Returns 1 when tcpcryptd must
 * stop (a device deleted).
 */
static int on_link_events(unsigned int *mtu, uint8_t *mac, unsigned int *flags)
{
	struct link_state *st = &lw.st[0];
	unsigned int i;

	if (linkwatch_read(&lw) == -ENOBUFS)
		pr_warn("link events lost (netlink overrun): state may be stale\n");
	if ((lw.seen[1] && lw.st[1].deleted) || (lw.seen[2] && lw.st[2].deleted)) {
		pr_warn("the internal veth pair %s/%s was deleted: stopping\n", hif.name0,
			hif.name1);
		hif.created = 0;
		return 1;
	}
	lw.seen[1] = lw.seen[2] = false;
	if (!lw.seen[0])
		return 0;
	lw.seen[0] = false;
	if (st->deleted) {
		pr_warn("%s was deleted: stopping (its programs went with it)\n", cfg.ifname);
		return 1;
	}
	gso_update(false);
	if (st->mtu && st->mtu != *mtu) {
		pr_info("%s: MTU %u -> %u: segments cut to the new MTU\n", cfg.ifname, *mtu,
			st->mtu);
		*mtu = st->mtu;
		for (i = 0; i < npollers; i++)
			__atomic_store_n(&pollers[i].wire_mtu, *mtu, __ATOMIC_RELAXED);
	}
	if (memcmp(st->mac, mac, 6) && memcmp(st->mac, "\0\0\0\0\0\0", 6)) {
		memcpy(mac, st->mac, 6);
		if (hostif_set_mac(&hif, mac))
			pr_warn("%s: MAC address changed; giving it to %s failed\n", cfg.ifname,
				hif.name0);
		else
			pr_info("%s: MAC address changed: %s follows\n", cfg.ifname, hif.name0);
	}
	if ((st->flags ^ *flags) & (IFF_UP | IFF_LOWER_UP)) {
		if ((st->flags & (IFF_UP | IFF_LOWER_UP)) == (IFF_UP | IFF_LOWER_UP))
			pr_info("%s: link up\n", cfg.ifname);
		else
			pr_warn("%s: link down: steered connections wait with the others\n",
				cfg.ifname);
		*flags = st->flags;
	}
	return 0;
}

/*
 * RX queues added under us (ethtool -L sends no rtnetlink event: checked
 * every second): BPF drops what it would steer there, say so once.
 */
static void watch_queues(void)
{
	static int warned;
	int q = dp_queue_count(cfg.ifname);

	if (q <= 0 || q == warned)
		return;
	if ((unsigned int)q != cfg.queues)
		pr_warn("%s now has %d RX queues, tcpcryptd serves %u: segments to steer on the "
			"others are dropped, never passed as plain TCP; restart tcpcryptd\n",
			cfg.ifname, q, cfg.queues);
	warned = q;
}

static int run(int sfd, unsigned int mtu, const uint8_t *iface_mac)
{
	uint64_t last_expire = tcd_now_ns(), last_stats = last_expire;
	unsigned int flags = IFF_UP | IFF_LOWER_UP;
	struct tc_live live = {};
	uint8_t mac[6];
	__u32 gen;
	int err;

	memcpy(mac, iface_mac, 6);
	dp_live_get(dp, &live);
	gen = live.generation + 1;
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = lw.fd, .events = POLLIN },
		};
		struct signalfd_siginfo si;
		uint64_t now;

		err = dp_heartbeat(dp, getpid(), gen);
		if (err)
			pr_warn("heartbeat: %s\n", strerror(-err));
		/* four heartbeats per timeout: a busy machine must not look dead */
		if (poll(pfd, 2, cfg.hb_timeout_ms / 4) > 0) {
			if ((pfd[1].revents & POLLIN) && on_link_events(&mtu, mac, &flags))
				return 0;
			if ((pfd[0].revents & POLLIN) && read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGUSR1) {
					log_stats("SIGUSR1");
				} else if (si.ssi_signo == SIGHUP) {
					reload_policy();
				} else {
					pr_info("%s: stopping\n", strsignal(si.ssi_signo));
					return 0;
				}
			}
		}
		now = tcd_now_ns();
		if (now - last_expire >= 1000000000ull) {
			flow_expire(&ft, now);
			resume_expire(now);
			watch_drops(now);
			watch_queues();
			if (pcap)
				pcapw_flush(pcap);
			last_expire = now;
		}
		if (cfg.stats_s && now - last_stats >= cfg.stats_s * 1000000000ull) {
			log_stats("periodic");
			last_stats = now;
		}
	}
}

/*
 * Every RX queue of IFACE must be served: a SYN hashed to a queue without a
 * socket would pass as plain TCP (or, with the BPF check, be dropped).
 */
static int check_queues(void)
{
	int n = dp_queue_count(cfg.ifname);

	if (n > 0 && cfg.queues && cfg.queues != (unsigned int)n) {
		pr_warn("%s has %d RX queue%s (ethtool -l): --queues %u would leave %s unserved, "
			"and connections hashed there would not get tcpcrypt; serve all queues, "
			"or reduce the device's queues first (ethtool -L %s combined %u)\n",
			cfg.ifname, n, n == 1 ? "" : "s", cfg.queues,
			(unsigned int)n > cfg.queues ? "some" : "none of the extra ones",
			cfg.ifname, cfg.queues);
		return -EINVAL;
	}
	if (n > TC_MAX_QUEUES) {
		pr_warn("%s has %d RX queues; tcpcryptd serves at most %d\n", cfg.ifname, n,
			TC_MAX_QUEUES);
		return -EINVAL;
	}
	cfg.queues = n > 0 ? (unsigned int)n : 1;
	return 0;
}

/* Take the lock; another daemon on this interface: say so, touch nothing. */
static int lock_interface(int ifindex)
{
	pid_t holder;
	int err = instance_lock(&inst, ifindex, &holder);

	if (err == -EBUSY)
		pr_warn("%s: another tcpcryptd (pid %d) serves this interface in this network "
			"namespace: stop it first\n", cfg.ifname, (int)holder);
	else if (err)
		pr_warn("%s: lock under %s: %s\n", cfg.ifname, TCD_RUN_DIR, strerror(-err));
	return err;
}

/* The internal veth pair (a dead daemon's leftover is ours to replace) and its filters. */
static int setup_host_side(int ifindex, const uint8_t *mac)
{
	/* tc mode: tcv1's queues from cfg.queues on carry the wire's frames */
	unsigned int nq = dp->mode == DP_MODE_TC ? 2 * cfg.queues : cfg.queues;
	int err = hostif_create(&hif, ifindex, nq, mac);

	if (err == -EEXIST) {
		char n0[IF_NAMESIZE], n1[IF_NAMESIZE];

		/* we hold the interface's lock: no live daemon owns it */
		hostif_names(ifindex, n0, n1);
		pr_warn("stale internal veth pair %s/%s: deleting it\n", n0, n1);
		hostif_delete_link(n0);
		err = hostif_create(&hif, ifindex, nq, mac);
	}
	if (err)
		return err;
	err = dp_attach_host(dp, hif.name1, hif.name0);
	if (err)
		return err;
	return hostif_reinject(&hif, ifindex);
}

/* Policy and flags, before the heartbeat makes BPF steer anything. */
static int setup_policy(void)
{
	struct tc_config tcfg;
	int err;

	if (cfg.fail_closed)
		cfg.pol.fail_closed = 1;
	/* on a loader's attachment without policy options, keep its policy */
	if (attached_by_us || cfg.policy_given) {
		err = policy_apply(dp, &cfg.pol);
		if (err)
			return err;
	}
	err = dp_config_get(dp, &tcfg);
	if (err)
		return err;
	tcfg.hb_timeout_ms = cfg.hb_timeout_ms;
	tcfg.flags |= TC_CFG_ENABLED;
	/* encrypting: no tc_flows entry before the peer proved its address */
	if (cfg.passthrough)
		tcfg.flags &= ~TC_CFG_STATELESS_HS;
	else
		tcfg.flags |= TC_CFG_STATELESS_HS;
	tcfg.queues = cfg.queues;
	return dp_config_set(dp, &tcfg);
}

/* Tear down what this process created, and only that. */
static int teardown(void)
{
	int err, ret = 0, live = 0;
	unsigned int i;

	if (dp && npollers)
		live = close_keyed_flows();
	if (dp)
		dp_mark_dead(dp);
	stop_pollers(stop_fd_global);
	ctl_stop(&ctl);
	if (npollers)
		log_stats("exit");
	for (i = 0; i < npollers; i++) {
		dp_xsk_clear(dp, false, i);
		dp_xsk_clear(dp, true, i);
		xq_destroy(&pollers[i].q);
		poller_fini(&pollers[i]);
	}
	free(pollers);
	flow_table_fini(&ft);
	if (keypool_on) {
		keypool_fini(&keypool);
		keypool_on = false;
	}
	if (resume_on) {
		ecfg.resume = NULL;
		tc_resume_cache_free(&resume_cache);
		resume_on = false;
	}
	if (dp && !attached_by_us) {
		/* the loader's attachment stays; our host side goes */
		dp_detach_host(dp);
		pr_info("%s: left the tcpcrypt-loader attachment in place\n", cfg.ifname);
	} else if (dp && live > 0) {
		/* fail closed: BPF drops their segments while no daemon runs */
		dp_detach_host(dp);
		pr_warn("%s: the programs stay attached for them (tcpcryptd -i %s --cleanup "
			"detaches once they are gone)\n", cfg.ifname, cfg.ifname);
	} else if (dp) {
		dp_detach_host(dp);
		err = dp_detach_open(dp);
		if (err && err != -ENOENT && err != -ENODEV)
			ret = 1;
		else
			pr_info("%s: detached\n", cfg.ifname);
	}
	dp_close(dp);
	dp = NULL;
	hostif_destroy(&hif);
	pcapw_close(pcap);
	linkwatch_close(&lw);
	return ret;
}

int main(int argc, char **argv)
{
	static char prefix[IF_NAMESIZE + 16];
	struct instance_state prev = {}, mine = { .pid = getpid() };
	int ifindex, sfd = -1, err, ret = 1;
	uint8_t mac[6];
	unsigned int mtu;
	sigset_t mask;

	policy_init(&cfg.pol);
	if (parse_args(argc, argv))
		return EXIT_USAGE;
	snprintf(prefix, sizeof(prefix), "tcpcryptd[%s]", cfg.ifname);
	log_set_prefix(prefix);
	ifindex = if_nametoindex(cfg.ifname);
	if (!ifindex) {
		pr_warn("no interface %s in this network namespace\n", cfg.ifname);
		return 1;
	}
	if (lock_interface(ifindex))
		return 1;
	if (cfg.cleanup_only) {
		ret = cleanup_leftovers(ifindex) ? 1 : 0;
		instance_unlock(&inst);
		return ret;
	}
	if (check_queues()) {
		instance_unlock(&inst);
		return EXIT_USAGE;
	}
	/* before the first secret exists */
	if (privs_protect_memory(privs_heap_size(cfg.max_flows))) {
		instance_unlock(&inst);
		return 1;
	}

	/* signals: blocked everywhere (threads inherit), read from a signalfd */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	stop_fd_global = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sfd < 0 || stop_fd_global < 0) {
		pr_warn("signalfd/eventfd: %s\n", strerror(errno));
		instance_unlock(&inst);
		return 1;
	}
	err = if_get_mtu(cfg.ifname, &mtu) ?: if_get_mac(cfg.ifname, mac);
	if (err) {
		pr_warn("%s: %s\n", cfg.ifname, strerror(-err));
		goto out_unlock;
	}
	if (cfg.pcap_path) {
		char perr[256];

		err = pcapw_open(&pcap, cfg.pcap_path, cfg.pcap_filter, cfg.ifname, perr,
				 sizeof(perr));
		if (err) {
			pr_warn("--pcap: %s\n", perr);
			goto out_unlock;
		}
	}

	/* a killed predecessor's record of what it created */
	if (!instance_state_read(&inst, &prev) && prev.pid == mine.pid)
		prev.pid = 0;
	err = attach_or_adopt(&prev);
	if (err)
		goto out;
	/* recorded before the rest is created: a kill -9 from here on is recoverable */
	mine.owns_attachment = attached_by_us;
	err = instance_state_write(&inst, &mine);
	if (err) {
		pr_warn("state file %s: %s\n", inst.state_path, strerror(-err));
		goto out;
	}
	pr_info("%s: attached (%s mode), %u queue%s, mtu %u\n", cfg.ifname,
		dp_mode_name(dp->mode), cfg.queues, cfg.queues == 1 ? "" : "s", mtu);

	err = setup_host_side(ifindex, mac);
	if (err)
		goto out;
	err = linkwatch_open(&lw, ifindex, hif.ifindex0, hif.ifindex1);
	if (err) {
		pr_warn("rtnetlink link events: %s\n", strerror(-err));
		goto out;
	}
	err = setup_policy();
	if (err)
		goto out;
	err = flow_table_init(&ft, dp, cfg.max_flows, cfg.grace_ms, cfg.idle_s);
	if (err)
		goto out;
	flow_table_set_half_open(&ft, cfg.half_open, cfg.half_open_prefix);
	if (!cfg.passthrough) {
		/* host-bound segments, coalesced, reach the stack through tcv0 */
		err = engine_setup(HOSTIF_MTU);
		if (err)
			goto out;
		flow_table_set_engine(&ft, &ecfg);
	}
	adopt_flows();
	err = create_pollers(stop_fd_global, mtu);
	if (err) {
		pr_warn("AF_XDP setup: %s\n", strerror(-err));
		goto out;
	}
	/* everything that needs root exists; what runs from here does not */
	err = privs_drop(PRIVS_KEEP);
	if (err)
		goto out;
	gso_update(true);
	err = run_pollers();
	if (err) {
		pr_warn("poller threads: %s\n", strerror(-err));
		goto out;
	}
	/* libtcpcrypt's control socket; sessions and counters for tcnetstat */
	ctl_start(&ctl, cfg.ifname, dp, &ft, pollers, npollers);
	pr_info("running (%s), pid %d%s%s\n", cfg.passthrough ? "pass-through" : "encrypting",
		getpid(), pcap ? ", capturing to " : "", pcap ? cfg.pcap_path : "");
	ret = run(sfd, mtu, mac) ? 1 : 0;
out:
	if (teardown())
		ret = 1;
out_unlock:
	instance_unlock(&inst);
	policy_free(&cfg.pol);
	tc_algs_free(&algs);
	close(sfd);
	close(stop_fd_global);
	return ret;
}
