/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Datapath attachment: load bpf/tcpcrypt.bpf.c, attach xdp_wire (XDP) and
 * tc_egress (tc clsact egress) to IFACE, xdp_host (XDP) to the internal
 * veth tcv1, find an existing attachment from the interface alone (works
 * from any `ip netns exec`, no pins needed), detach everything, and access
 * the maps (config, heartbeat, flows, counters, XSKMAPs).
 *
 * All functions return 0 or a negative errno; on failure they have already
 * printed one line (pr_warn) that says what to do.
 */
#ifndef TC_DP_ATTACH_H
#define TC_DP_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include <linux/types.h>

#include "tcpcrypt_shared.h"

enum dp_mode {
	DP_MODE_AUTO = 0,	/* by driver (dp_auto_mode), with a log line */
	DP_MODE_NATIVE,
	DP_MODE_SKB,
	DP_MODE_TC,	/* no XDP on IFACE: tc_ingress steers (TC_CFG_TC_INGRESS) */
};

/* Map file descriptors; -1 when absent. Owned by struct dp. */
struct dp_maps {
	int config;		/* tc_config: struct tc_config at key 0 */
	int live;		/* tc_live: struct tc_live at key 0 */
	int flows;		/* tc_flows (hash): tc_flow_key -> tc_flow_val */
	int counters;		/* tc_counters: per-CPU __u64 */
	int pol_v4;		/* tc_pol_v4: tc_lpm_v4 -> __u8 action */
	int pol_v6;		/* tc_pol_v6: tc_lpm_v6 -> __u8 action */
	int pol_ports;		/* tc_pol_ports: tc_port_key -> __u8 action */
	int xsks_wire;		/* XSKMAP for IFACE queues */
	int xsks_host;		/* XSKMAP for tcv1 queues */
	int sessions;		/* tc_sessions (hash): tc_flow_key -> tc_session */
	int dstats;		/* tc_dstats: struct tc_dstats per queue, + table */
};

struct dp_priv;

struct dp {
	char ifname[IF_NAMESIZE];
	int ifindex;
	enum dp_mode mode;	/* in use on IFACE: DP_MODE_NATIVE, _SKB or _TC */
	__u32 xdp_prog_id;	/* xdp_wire (the component, not a dispatcher) */
	__u32 tc_prog_id;	/* tc_egress */
	__u32 tc_in_prog_id;	/* tc_ingress */
	int host_ifindex;	/* tcv1, 0 if xdp_host is not attached */
	enum dp_mode host_mode;
	__u32 host_prog_id;
	struct dp_maps maps;
	struct dp_priv *priv;
};

/*
 * Load the object and attach xdp_wire + tc_egress to IFNAME. Creates the
 * clsact qdisc if missing (and remembers that in tc_config so detach removes
 * it). The config starts as TC_CFG_ENABLED with no policy (steer every SYN
 * not excluded) and a dead heartbeat, so nothing is steered until tcpcryptd
 * runs. -EEXIST if our programs are already attached; -EBUSY if another XDP
 * program is attached. FLOWS: entries of tc_flows and tc_sessions (0, or
 * TC_FLOWS_MAX and above: TC_FLOWS_MAX), fixed while the maps live.
 */
int dp_attach(const char *ifname, enum dp_mode mode, __u32 flows, struct dp **out);

/* Find the attachment on IFNAME (via the interface, not pins). -ENOENT if none. */
int dp_open(const char *ifname, struct dp **out);

/*
 * Detach xdp_wire, tc_egress (and the clsact qdisc if we created it) from
 * IFNAME and xdp_host from tcv1 (recorded in tc_config). Maps go with the
 * last program. -ENOENT if nothing of ours is attached.
 */
int dp_detach(const char *ifname);
/* The same through an open handle (no bpf() lookups by id). */
int dp_detach_open(struct dp *dp);

/* Close file descriptors; attachments stay in the kernel. NULL is fine. */
void dp_close(struct dp *dp);

/*
 * The internal veth pair: attach xdp_host (same maps) to TCV1 in skb mode
 * (tc_egress redirects into its ingress) and tc_host_tx to TCV0's egress,
 * and record both in the config. Replaces a previous xdp_host of ours.
 */
int dp_attach_host(struct dp *dp, const char *tcv1, const char *tcv0);
/* Detach xdp_host from tcv1 and clear tcv0/tcv1 in the config. */
int dp_detach_host(struct dp *dp);

/* Config (key 0 of tc_config). */
int dp_config_get(struct dp *dp, struct tc_config *cfg);
int dp_config_set(struct dp *dp, const struct tc_config *cfg);

/*
 * Heartbeat: dp_heartbeat() stamps now (CLOCK_MONOTONIC) with PID and
 * GENERATION; call it at least every hb_timeout_ms / 4. dp_mark_dead() at a
 * clean exit, so BPF fails closed at once instead of after the timeout.
 */
int dp_heartbeat(struct dp *dp, __u32 pid, __u32 generation);
int dp_mark_dead(struct dp *dp);
int dp_live_get(struct dp *dp, struct tc_live *live);
/* 1 if the heartbeat is fresh, 0 if stale/dead, negative errno. */
int dp_daemon_alive(struct dp *dp);

/*
 * Flow map; keys must be zero-padded (use dp_flow_key_v4/v6). The map is a
 * hash without eviction: dp_flow_update() of a new key returns -E2BIG when
 * it is full (dp_attach()'s FLOWS entries; the caller makes room or refuses).
 */
void dp_flow_key_v4(struct tc_flow_key *k, const void *local4, const void *remote4,
		    __be16 lport, __be16 rport);
void dp_flow_key_v6(struct tc_flow_key *k, const void *local6, const void *remote6,
		    __be16 lport, __be16 rport);
int dp_flow_update(struct dp *dp, const struct tc_flow_key *k, const struct tc_flow_val *v);
int dp_flow_lookup(struct dp *dp, const struct tc_flow_key *k, struct tc_flow_val *v);
int dp_flow_delete(struct dp *dp, const struct tc_flow_key *k);
/* fn for each entry until fn returns non-zero (which it returns); 0 at the end. */
int dp_flow_iterate(struct dp *dp,
		    int (*fn)(const struct tc_flow_key *k, const struct tc_flow_val *v, void *arg),
		    void *arg);

/* XSKMAP slots: fd of an AF_XDP socket (or use xsk_socket__update_xskmap). */
int dp_xsk_set(struct dp *dp, bool host, __u32 queue, int xsk_fd);
int dp_xsk_clear(struct dp *dp, bool host, __u32 queue);
/* Number of occupied slots, and a bitmap of them (bit q = queue q). */
int dp_xsk_count(struct dp *dp, bool host, __u64 *bitmap);

/* Counters summed over CPUs: out[dir][ctr]. */
int dp_counters_read(struct dp *dp, __u64 out[TC_DIR_MAX][TC_CTR_MAX]);

/*
 * tc_sessions: the sessions tcpcryptd exports for tcnetstat. -ENOENT from
 * every call when the attachment predates the map. dp_session_iterate()
 * calls fn for each entry until fn returns non-zero (which it returns).
 */
int dp_session_put(struct dp *dp, const struct tc_flow_key *k, const struct tc_session *s);
int dp_session_get(struct dp *dp, const struct tc_flow_key *k, struct tc_session *s);
int dp_session_del(struct dp *dp, const struct tc_flow_key *k);
int dp_session_iterate(struct dp *dp,
		       int (*fn)(const struct tc_flow_key *k, const struct tc_session *s,
				 void *arg),
		       void *arg);

/* tc_dstats: slot q for queue q, TC_DSTATS_TABLE for the flow table. */
int dp_dstats_put(struct dp *dp, __u32 slot, const struct tc_dstats *st);
int dp_dstats_get(struct dp *dp, __u32 slot, struct tc_dstats *st);

/* Number of RX queues of IFNAME (sysfs-free: ethtool ioctl), >= 1. */
int dp_queue_count(const char *ifname);

/* 1 when IFNAME segments TCP itself (TSO, any kind), 0 when not, or negative errno. */
int dp_tso(const char *ifname);

/* The driver of IFNAME ("unknown" if it has none), 0 or negative errno. */
int dp_driver(const char *ifname, char *buf, size_t len);
/*
 * The mode --mode auto uses on IFNAME's driver: the one that costs traffic
 * tcpcrypt does not steer least; *WHY says why (a static string).
 */
enum dp_mode dp_auto_mode(const char *ifname, const char **why);

const char *dp_mode_name(enum dp_mode mode);
/* "native"/"skb"/"tc"/"auto" -> mode; -EINVAL otherwise. */
int dp_mode_parse(const char *s, enum dp_mode *mode);

#endif /* TC_DP_ATTACH_H */
