// SPDX-License-Identifier: GPL-2.0
/*
 * tcpcryptd: carries the TCP connections steered by the BPF datapath
 * through userspace over AF_XDP and encrypts them with tcpcrypt (the
 * segment engine, lib/engine) when the peer runs it too; --passthrough
 * carries them unchanged. See docs/man/tcpcryptd.8.
 *
 * Threads: main (signals, heartbeat, flow expiry, stats) and one poller per
 * queue. Signals are blocked in every thread and read by main from a
 * signalfd, so pollers never see EINTR and shutdown is ordered.
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
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <bpf/bpf.h>

#include "common/dp_attach.h"
#include "core/algs.h"
#include "core/ecdh.h"
#include "core/rng.h"
#include "engine/conn.h"
#include "common/log.h"
#include "common/policy.h"
#include "tcpcryptd/ctl.h"
#include "tcpcryptd/flow.h"
#include "tcpcryptd/hostif.h"
#include "tcpcryptd/poller.h"

#define EXIT_USAGE 2
#define TCD_MAX_MTU 3506

struct cfg {
	const char *ifname;
	unsigned int queues;		/* 0: all queues of the interface */
	enum dp_mode mode;
	int zero_copy;			/* -1 off, 0 auto, 1 on */
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
	struct policy pol;
};

static struct cfg cfg = {
	.mode = DP_MODE_AUTO,
	.hb_timeout_ms = TC_HB_TIMEOUT_MS,
	.idle_s = 600,
	.grace_ms = 2000,
	.max_flows = TC_FLOWS_MAX,
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
static int set_zc(const char *a)
{
	if (!strcmp(a, "auto"))
		cfg.zero_copy = 0;
	else if (!strcmp(a, "on"))
		cfg.zero_copy = 1;
	else if (!strcmp(a, "off"))
		cfg.zero_copy = -1;
	else
		return -EINVAL;
	return 0;
}
static int set_busy(const char *a) { cfg.busy_poll = true; return 0; }
static int set_pt(const char *a) { cfg.passthrough = true; return 0; }
static int set_teps(const char *a) { cfg.teps = a; return 0; }
static int set_aeads(const char *a) { cfg.aeads = a; return 0; }
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
static int set_verbose(const char *a) { log_set_level(LOG_LEVEL_DEBUG); return 0; }
static int set_quiet(const char *a) { log_set_level(LOG_LEVEL_WARN); return 0; }

/* "include port 80" style rules: ACTION + the words of A */
static int add_rule(const char *action, const char *a)
{
	char buf[256], err[128], *words[8], *save = NULL, *w;
	int n = 0, used = 0, ret;

	cfg.policy_given = true;
	words[n++] = (char *)action;
	snprintf(buf, sizeof(buf), "%s", a);
	for (w = strtok_r(buf, " \t", &save); w && n < 8; w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	ret = policy_parse_words(&cfg.pol, n, words, &used, err, sizeof(err));
	if (ret || used != n) {
		fprintf(stderr, "tcpcryptd: --%s '%s': %s\n", action, a,
			ret ? err : "trailing words");
		return -EINVAL;
	}
	return 0;
}
static int set_include(const char *a) { return add_rule("include", a); }
static int set_exclude(const char *a) { return add_rule("exclude", a); }
static int set_policy(const char *a)
{
	char err[256];

	cfg.policy_given = true;
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
	{ "mode", 0, "native|skb|auto", "XDP attach mode (default auto: native, else skb)",
	  set_mode },
	{ "zero-copy", 0, "auto|on|off", "AF_XDP zero-copy (default auto; the internal veth "
	  "only does copy mode, so auto means copy mode)", set_zc },
	{ "busy-poll", 0, NULL, "pollers spin instead of sleeping in poll() when idle",
	  set_busy },
	{ "passthrough", 0, NULL, "carry steered segments unchanged (no encryption): a "
	  "diagnostic", set_pt },
	{ "tep", 0, "LIST", "key exchanges offered, most preferred first, comma-separated: "
	  "x25519, x448, p256, p521 (default x25519,p256)", set_teps },
	{ "aead", 0, "LIST", "AEADs offered, most preferred first: aes128gcm, aes256gcm, "
	  "chacha20poly1305 (default in that order)", set_aeads },
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
	{ "stats-interval", 0, "S", "log counters every S seconds (default 0: only on "
	  "SIGUSR1 and at exit)", set_stats },
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
	       "detaches everything it created. SIGUSR1 logs the counters.\n\noptions:\n");
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
	return 0;
}

/* ---- the engine's configuration ---- */

static struct tc_algs algs;
static struct tc_engine_cfg ecfg;

static const struct { const char *name; uint8_t tep; } tep_names[] = {
	{ "x25519", TC_TEP_X25519 }, { "x448", TC_TEP_X448 },
	{ "p256", TC_TEP_P256 }, { "p521", TC_TEP_P521 },
};

static const struct { const char *name; uint16_t aead; } aead_names[] = {
	{ "aes128gcm", TC_AEAD_AES_128_GCM }, { "aes256gcm", TC_AEAD_AES_256_GCM },
	{ "chacha20poly1305", TC_AEAD_CHACHA20_POLY1305 },
};

/*
 * "x25519,p256" -> TEPs for ENO, lowest priority first (B picks the last
 * valid one), so the list given most preferred first is reversed.
 */
static int parse_teps(const char *list, uint8_t *teps, uint8_t *n)
{
	char buf[128], *save = NULL, *w;
	uint8_t got[TC_ENGINE_TEPS_MAX];
	unsigned int i, k = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(tep_names) / sizeof(tep_names[0]); i++)
			if (!strcmp(w, tep_names[i].name))
				break;
		if (i == sizeof(tep_names) / sizeof(tep_names[0]) || k == TC_ENGINE_TEPS_MAX) {
			fprintf(stderr, "tcpcryptd: --tep: unknown or too many: '%s'\n", w);
			return -EINVAL;
		}
		got[k++] = tep_names[i].tep;
	}
	if (!k)
		return -EINVAL;
	for (i = 0; i < k; i++)
		teps[i] = got[k - 1 - i];
	*n = k;
	return 0;
}

static int parse_aeads(const char *list, uint16_t *aeads, uint8_t *n)
{
	char buf[128], *save = NULL, *w;
	unsigned int i, k = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(aead_names) / sizeof(aead_names[0]); i++)
			if (!strcmp(w, aead_names[i].name))
				break;
		if (i == sizeof(aead_names) / sizeof(aead_names[0]) || k == TC_ENGINE_AEADS_MAX) {
			fprintf(stderr, "tcpcryptd: --aead: unknown or too many: '%s'\n", w);
			return -EINVAL;
		}
		aeads[k++] = aead_names[i].aead;
	}
	*n = k;
	return k ? 0 : -EINVAL;
}

static const char *tep_name(uint8_t tep)
{
	unsigned int i;

	for (i = 0; i < sizeof(tep_names) / sizeof(tep_names[0]); i++)
		if (tep_names[i].tep == tep)
			return tep_names[i].name;
	return "?";
}

static const char *aead_name(uint16_t aead)
{
	unsigned int i;

	for (i = 0; i < sizeof(aead_names) / sizeof(aead_names[0]); i++)
		if (aead_names[i].aead == aead)
			return aead_names[i].name;
	return "?";
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
	if (cfg.aeads && parse_aeads(cfg.aeads, ecfg.aeads, &ecfg.n_aeads))
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
	return 0;
}

/* ---- runtime ---- */

static struct dp *dp;
static struct hostif hif;
static struct flow_table ft;
static struct poller *pollers;
static unsigned int npollers;
static bool attached_by_us;
static struct ctl ctl;

/* Counters were asked for (SIGUSR1, exit, --stats-interval): shown even with -q. */
#define pr_stats(...)	log_msg(LOG_LEVEL_WARN, __VA_ARGS__)

static void log_stats(const char *why)
{
	__u64 ctr[TC_DIR_MAX][TC_CTR_MAX];
	unsigned int i, d, c;

	for (i = 0; i < npollers; i++) {
		struct poller *p = &pollers[i];
		struct xdp_statistics xs[XQ_SIDES];
		int s;

		pr_stats("stats(%s) q%u: wire_rx=%llu host_rx=%llu wire_tx=%llu host_tx=%llu "
			"wire_rx_bytes=%llu host_rx_bytes=%llu dropped=%llu/%llu kicks=%llu/%llu "
			"tx_full=%llu/%llu polls=%llu no_frames=%llu\n", why, p->q.qid,
			(unsigned long long)p->st.rx_pkts[XQ_WIRE],
			(unsigned long long)p->st.rx_pkts[XQ_HOST],
			(unsigned long long)p->st.tx_pkts[XQ_WIRE],
			(unsigned long long)p->st.tx_pkts[XQ_HOST],
			(unsigned long long)p->st.rx_bytes[XQ_WIRE],
			(unsigned long long)p->st.rx_bytes[XQ_HOST],
			(unsigned long long)p->st.dropped[XQ_WIRE],
			(unsigned long long)p->st.dropped[XQ_HOST],
			(unsigned long long)p->st.kicks[XQ_WIRE],
			(unsigned long long)p->st.kicks[XQ_HOST],
			(unsigned long long)p->st.tx_full[XQ_WIRE],
			(unsigned long long)p->st.tx_full[XQ_HOST],
			(unsigned long long)p->st.polls, (unsigned long long)p->st.no_frames);
		for (s = 0; s < XQ_SIDES; s++) {
			if (xq_stats(&p->q, s, &xs[s]))
				continue;
			pr_stats("xdp_statistics(%s) q%u %s: rx_dropped=%llu rx_invalid_descs=%llu "
				"rx_ring_full=%llu rx_fill_ring_empty_descs=%llu "
				"tx_invalid_descs=%llu tx_ring_empty_descs=%llu\n", why, p->q.qid,
				s == XQ_WIRE ? "wire" : "host",
				(unsigned long long)xs[s].rx_dropped,
				(unsigned long long)xs[s].rx_invalid_descs,
				(unsigned long long)xs[s].rx_ring_full,
				(unsigned long long)xs[s].rx_fill_ring_empty_descs,
				(unsigned long long)xs[s].tx_invalid_descs,
				(unsigned long long)xs[s].tx_ring_empty_descs);
		}
	}
	pr_stats("flows(%s): active=%u created=%llu adopted=%llu closed=%llu idle=%llu "
		"map_errors=%llu non_tcp=%llu table_full=%llu lost_keys_dropped=%llu "
		"csum_fixed=%llu\n", why, ft.count,
		(unsigned long long)ft.st.created, (unsigned long long)ft.st.adopted,
		(unsigned long long)ft.st.removed_closed, (unsigned long long)ft.st.removed_idle,
		(unsigned long long)ft.st.map_errors, (unsigned long long)ft.st.non_tcp,
		(unsigned long long)ft.st.table_full,
		(unsigned long long)ft.st.lost_keys_dropped, (unsigned long long)ft.st.csum_fixed);
	pr_stats("flows(%s): csum_bad=%llu fragments=%llu malformed=%llu fallbacks=%llu "
		"encrypted=%llu kept_socket=%llu\n", why, (unsigned long long)ft.st.csum_bad,
		(unsigned long long)ft.st.fragments, (unsigned long long)ft.st.malformed,
		(unsigned long long)ft.st.fallbacks, (unsigned long long)ft.st.encrypted,
		(unsigned long long)ft.st.kept_socket);
	if (ft.engine) {
		struct tc_engine_stats e;

		flow_engine_stats(&ft, &e);
		pr_stats("engine(%s): eno_offered=%llu eno_answered=%llu eno_fallback=%llu "
			"encrypted_conns=%llu frames_sealed=%llu frames_opened=%llu "
			"bytes_sealed=%llu bytes_opened=%llu frames_resent=%llu init_resent=%llu "
			"tag_failures=%llu malformed_frames=%llu aborts=%llu resets_lost_keys=%llu "
			"urgent_refused=%llu ooo_segments=%llu ooo_dropped=%llu held_dropped=%llu "
			"stale_dropped=%llu no_buffer=%llu rekeys=%llu rekeys_started=%llu\n", why,
			(unsigned long long)e.eno_offered, (unsigned long long)e.eno_answered,
			(unsigned long long)e.eno_fallback, (unsigned long long)e.encrypted,
			(unsigned long long)e.frames_sealed, (unsigned long long)e.frames_opened,
			(unsigned long long)e.bytes_sealed, (unsigned long long)e.bytes_opened,
			(unsigned long long)e.frames_resent, (unsigned long long)e.init_resent,
			(unsigned long long)e.tag_failures, (unsigned long long)e.malformed,
			(unsigned long long)e.aborts, (unsigned long long)e.resets_lost_keys,
			(unsigned long long)e.urgent_refused, (unsigned long long)e.ooo_segments,
			(unsigned long long)e.ooo_dropped, (unsigned long long)e.held_dropped,
			(unsigned long long)e.stale_dropped, (unsigned long long)e.no_buffer,
			(unsigned long long)e.rekeys, (unsigned long long)e.rekeys_started);
	}
	if (!dp || dp_counters_read(dp, ctr))
		return;
	for (d = 0; d < TC_DIR_MAX; d++) {
		char line[1024];
		int n = 0;

		for (c = 0; c < TC_CTR_MAX; c++)
			n += snprintf(line + n, sizeof(line) - n, " %s=%llu", tc_ctr_names[c],
				      (unsigned long long)ctr[d][c]);
		pr_stats("bpf(%s) %s:%s\n", why, tc_dir_names[d], line);
	}
}

/* Load tc_flows left by a previous daemon into our table (kill -9 recovery). */
static void adopt_flows(void)
{
	struct tc_flow_key k, next, *prev = NULL;
	struct tc_flow_val v;
	unsigned int n = 0, dead = 0;

	while (!bpf_map_get_next_key(dp->maps.flows, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(dp->maps.flows, &k, &v))
			continue;
		if (v.state == TC_FLOW_NEGOTIATING || v.state == TC_FLOW_ENCRYPTED) {
			/*
			 * Their keys died with the old daemon: they stay in the map so BPF
			 * keeps steering them to us, and flow_packet() drops them:
			 * never passed in plaintext.
			 */
			flow_adopt(&ft, &k, v.state, v.queue);
			dead++;
		} else if (v.state == TC_FLOW_PASSTHROUGH) {
			flow_adopt(&ft, &k, v.state, v.queue);
		}
		n++;
	}
	if (n)
		pr_info("adopted %u flows from the previous daemon (%u with lost keys: their "
			"segments are dropped)\n", n, dead);
}

/*
 * Attach, or reuse a dead daemon's attachment. The maps (and so the flow map)
 * are kept across a kill -9, so flows that required encryption stay known
 * and are never passed in plaintext.
 */
static int attach_or_adopt(void)
{
	struct tc_live live = {};
	int err;

	/* look first: dp_attach() on an attached interface complains */
	err = dp_open(cfg.ifname, &dp);
	if (err == -ENOENT) {
		err = dp_attach(cfg.ifname, cfg.mode, &dp);
		if (!err)
			attached_by_us = true;
		return err;
	}
	if (err)
		return err;
	dp_live_get(dp, &live);
	if (dp_daemon_alive(dp) == 1) {
		pr_warn("%s: another tcpcryptd (pid %u) is serving this interface\n",
			cfg.ifname, live.pid);
		return -EBUSY;
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
	pr_warn("%s: leftovers of a dead tcpcryptd (pid %u, generation %u) found: taking "
		"them over (tcpcryptd -i %s --cleanup removes them)\n", cfg.ifname, live.pid,
		live.generation, cfg.ifname);
	attached_by_us = true;	/* ours now: detached at exit */
	return 0;
}

/* Flows in tc_flows whose state needs keys (NEGOTIATING/ENCRYPTED). */
static int count_keyed_flows(void)
{
	struct tc_flow_key k, next, *prev = NULL;
	struct tc_flow_val v;
	int n = 0;

	while (!bpf_map_get_next_key(dp->maps.flows, prev, &next)) {
		k = next;
		prev = &k;
		if (!bpf_map_lookup_elem(dp->maps.flows, &k, &v) &&
		    (v.state == TC_FLOW_NEGOTIATING || v.state == TC_FLOW_ENCRYPTED))
			n++;
	}
	return n;
}

static int cleanup_leftovers(int ifindex)
{
	char n0[IF_NAMESIZE], n1[IF_NAMESIZE];
	int err, found = 0, n;

	err = dp_open(cfg.ifname, &dp);
	if (!err) {
		if (dp_daemon_alive(dp) == 1) {
			struct tc_live live = {};

			dp_live_get(dp, &live);
			pr_warn("%s: tcpcryptd (pid %u) is alive: stop it instead\n",
				cfg.ifname, live.pid);
			return -EBUSY;
		}
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

static int start_pollers(int stop_fd)
{
	struct xq_opts xo = {
		.need_wakeup = true,
		.zero_copy_on = cfg.zero_copy > 0,
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
		err = dp_xsk_set(dp, false, i, p->q.s[XQ_WIRE].fd);
		if (!err)
			err = dp_xsk_set(dp, true, i, p->q.s[XQ_HOST].fd);
		if (err)
			return err;
		memcpy(p->host_mac, hif.mac0, 6);
		p->ft = &ft;
		poller_init_emit(p);
		p->busy_poll = cfg.busy_poll;
		p->stop_fd = stop_fd;
		err = poller_start(p);
		if (err)
			return err;
	}
	pr_info("%u queue%s: AF_XDP copy mode, need_wakeup, batch %u, rx %u tx %u fill %u, "
		"frame %u%s\n", cfg.queues, cfg.queues == 1 ? "" : "s", POLLER_BATCH, XQ_RX_SIZE,
		XQ_TX_SIZE, XQ_FILL_SIZE, XQ_FRAME_SIZE, cfg.busy_poll ? ", busy-poll" : "");
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
 * The kernel drops frames that do not fit an AF_XDP frame (xdp_wire passes
 * most of those itself) or find the RX ring full, and counts them in
 * XDP_STATISTICS: say so in the log, at most every 10 s.
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
			"rx_ring_full, all queues): frames larger than %u bytes, or a poller "
			"not keeping up\n", (unsigned long long)(total - last_total),
			XQ_FRAME_SIZE - 256);
		last_warn = now;
		last_total = total;
	}
}

static int run(int sfd)
{
	uint64_t last_expire = tcd_now_ns(), last_stats = last_expire;
	struct tc_live live = {};
	__u32 gen;
	int err;

	dp_live_get(dp, &live);
	gen = live.generation + 1;
	for (;;) {
		struct pollfd pfd = { .fd = sfd, .events = POLLIN };
		struct signalfd_siginfo si;
		uint64_t now;

		err = dp_heartbeat(dp, getpid(), gen);
		if (err)
			pr_warn("heartbeat: %s\n", strerror(-err));
		/* four heartbeats per timeout: a busy machine must not look dead */
		if (poll(&pfd, 1, cfg.hb_timeout_ms / 4) > 0 &&
		    read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGUSR1) {
				log_stats("SIGUSR1");
			} else {
				pr_info("%s: stopping\n", strsignal(si.ssi_signo));
				return 0;
			}
		}
		now = tcd_now_ns();
		if (now - last_expire >= 1000000000ull) {
			flow_expire(&ft, now);
			watch_drops(now);
			last_expire = now;
		}
		if (cfg.stats_s && now - last_stats >= cfg.stats_s * 1000000000ull) {
			log_stats("periodic");
			last_stats = now;
		}
	}
}

int main(int argc, char **argv)
{
	static char prefix[IF_NAMESIZE + 16];
	int ifindex, sfd = -1, stop_fd = -1, err, ret = 1;
	unsigned int mtu;
	struct tc_config tcfg;
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
	if (cfg.cleanup_only)
		return cleanup_leftovers(ifindex) ? 1 : 0;

	/* signals: blocked everywhere (threads inherit), read from a signalfd */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sfd < 0 || stop_fd < 0) {
		pr_warn("signalfd/eventfd: %s\n", strerror(errno));
		return 1;
	}

	err = dp_queue_count(cfg.ifname);
	if (err > 0 && cfg.queues > (unsigned int)err) {
		pr_warn("%s has %d queue%s (ethtool -l): --queues %u is too many\n", cfg.ifname,
			err, err == 1 ? "" : "s", cfg.queues);
		return EXIT_USAGE;
	}
	if (!cfg.queues) {
		cfg.queues = err > 0 ? (unsigned int)err : 1;
		if (cfg.queues > TC_MAX_QUEUES)
			cfg.queues = TC_MAX_QUEUES;
	}
	err = if_get_mtu(cfg.ifname, &mtu);
	if (err) {
		pr_warn("%s: MTU: %s\n", cfg.ifname, strerror(-err));
		return 1;
	}
	/*
	 * tcv0 gets IFACE's MTU and xdp_host runs natively on its peer: XDP
	 * on a veth (no multi-buffer) takes frames of one page less 256 bytes
	 * of headroom and 320 of skb_shared_info, 3520 bytes: MTU 3506. That
	 * also fits a 4096-byte AF_XDP frame (3840 after the XDP headroom).
	 */
	if (mtu > TCD_MAX_MTU) {
		pr_warn("%s: MTU %u is too large: the largest MTU tcpcryptd supports is %u "
			"(XDP on its internal veth: one 4 KB page less headroom and "
			"skb_shared_info)\n", cfg.ifname, mtu, TCD_MAX_MTU);
		return 1;
	}

	err = attach_or_adopt();
	if (err)
		goto out;
	pr_info("%s: attached (%s mode), %u queue%s, mtu %u\n", cfg.ifname,
		dp_mode_name(dp->mode), cfg.queues, cfg.queues == 1 ? "" : "s", mtu);

	err = hostif_create(&hif, ifindex, cfg.queues, mtu);
	if (err == -EEXIST) {
		char n0[IF_NAMESIZE], n1[IF_NAMESIZE];

		hostif_names(ifindex, n0, n1);
		pr_warn("stale internal veth pair %s/%s: deleting it\n", n0, n1);
		hostif_delete_link(n0);
		err = hostif_create(&hif, ifindex, cfg.queues, mtu);
	}
	if (err)
		goto out;
	/*
	 * xdp_host is always native: generic XDP skips skbs that were
	 * bpf_redirect()ed (netif_receive_generic_xdp: skb_is_redirected), and
	 * every frame reaching tcv1 was redirected by tc_egress. Measured here:
	 * in skb mode on tcv1 the steered SYN never reached the socket.
	 */
	err = dp_attach_host(dp, hif.name1, hif.ifindex0, DP_MODE_NATIVE);
	if (err)
		goto out;

	/* policy and flags, before the heartbeat makes BPF steer anything */
	if (cfg.fail_closed)
		cfg.pol.fail_closed = 1;
	/* on a loader's attachment without policy options, keep its policy */
	if (attached_by_us || cfg.policy_given) {
		err = policy_apply(dp, &cfg.pol);
		if (err)
			goto out;
	}
	err = dp_config_get(dp, &tcfg);
	if (err)
		goto out;
	tcfg.hb_timeout_ms = cfg.hb_timeout_ms;
	tcfg.flags |= TC_CFG_ENABLED;
	err = dp_config_set(dp, &tcfg);
	if (err)
		goto out;

	err = flow_table_init(&ft, dp, cfg.max_flows, cfg.grace_ms, cfg.idle_s);
	if (err)
		goto out;
	if (!cfg.passthrough) {
		/* host-bound frames enter the stack through tcv0, which has IFACE's MTU */
		err = engine_setup(mtu);
		if (err)
			goto out;
		flow_table_set_engine(&ft, &ecfg);
	}
	adopt_flows();
	err = start_pollers(stop_fd);
	if (err) {
		pr_warn("AF_XDP setup: %s\n", strerror(-err));
		goto out;
	}
	/* libtcpcrypt's control socket; sessions and counters for tcnetstat */
	ctl_start(&ctl, cfg.ifname, dp, &ft, pollers, npollers);
	pr_info("running (%s), pid %d\n", cfg.passthrough ? "pass-through" : "encrypting",
		getpid());
	ret = run(sfd) ? 1 : 0;
out:
	if (dp)
		dp_mark_dead(dp);
	stop_pollers(stop_fd);
	ctl_stop(&ctl);
	if (npollers)
		log_stats("exit");
	for (unsigned int i = 0; i < npollers; i++) {
		dp_xsk_clear(dp, false, i);
		dp_xsk_clear(dp, true, i);
		xq_destroy(&pollers[i].q);
	}
	free(pollers);
	flow_table_fini(&ft);
	if (dp && !attached_by_us) {
		/* the loader's attachment stays; our host side goes */
		dp_detach_host(dp);
		pr_info("%s: left the tcpcrypt-loader attachment in place\n", cfg.ifname);
	} else if (dp) {
		int n = count_keyed_flows();

		/* a stop request detaches anyway; say what it costs */
		if (n > 0)
			pr_warn("%s: detaching with %d flows that needed encryption (keys lost by "
				"a killed daemon): their sockets may now send in plaintext\n",
				cfg.ifname, n);
		dp_detach_host(dp);
		dp_close(dp);
		dp = NULL;
		err = dp_detach(cfg.ifname);
		if (err && err != -ENOENT)
			ret = 1;
		else
			pr_info("%s: detached\n", cfg.ifname);
	}
	dp_close(dp);
	hostif_destroy(&hif);
	policy_free(&cfg.pol);
	tc_algs_free(&algs);
	close(sfd);
	close(stop_fd);
	return ret;
}
