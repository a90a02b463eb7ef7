/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one header shared by bpf/tcpcrypt.bpf.c and userspace: map keys,
 * values, constants and counter indexes of the steering datapath.
 *
 * Byte order: addresses and ports in struct tc_flow_key are in network byte
 * order, exactly as they appear in the packet. Policy ports are in host byte
 * order. Everything else is host order.
 *
 * Map names (as the kernel sees them, used to find maps from the attached
 * programs): tc_config, tc_live, tc_flows, tc_counters, tc_pol_v4,
 * tc_pol_v6, tc_pol_ports, xsks_wire, xsks_host, tc_frags (BPF only), and
 * tc_sessions and tc_dstats (userspace only: written by tcpcryptd, read by
 * tcnetstat; BPF merely references them so that they live and can be found
 * through the attached programs).
 */
#ifndef TCPCRYPT_SHARED_H
#define TCPCRYPT_SHARED_H

#include <linux/types.h>

#define TC_MAX_QUEUES		64	/* XSKMAP size: highest queue id + 1 */
#define TC_FLOWS_MAX		65536	/* flow map (hash, no eviction) */
#define TC_POL_PREFIXES_MAX	1024	/* per LPM trie */
#define TC_POL_PORTS_MAX	1024	/* port rules, local and remote */
#define TC_HB_TIMEOUT_MS	2000	/* default: daemon dead after this */
/*
 * Longest frame tcpcryptd takes: a 64 KB IP datagram plus Ethernet and two
 * VLAN tags. Its AF_XDP sockets are bound with XDP_USE_SG and receive longer
 * frames than one UMEM frame as descriptor chains, up to this; a frame that
 * is longer still (a BIG TCP GRO packet in skb mode) is decided before the
 * redirect: passed for a pass-through flow, dropped otherwise.
 */
#define TC_DP_FRAME_MAX		(65535 + 14 + 8)
#define TC_EXT_MAX		8	/* IPv6 extension headers followed (= TC_SEG_EXT_MAX) */
#define TC_VLAN_MAX		2	/* VLAN tags followed (= TC_SEG_VLAN_MAX) */

/* Program names (kernel object names are truncated to 15 characters). */
#define TC_PROG_XDP_WIRE	"xdp_wire"	/* XDP on IFACE */
#define TC_PROG_XDP_HOST	"xdp_host"	/* XDP (skb mode) on tcv1 */
#define TC_PROG_TC_EGRESS	"tc_egress"	/* tc clsact egress on IFACE */
#define TC_PROG_TC_HOST_TX	"tc_host_tx"	/* tc clsact egress on tcv0, tcv1: drops all */
#define TC_PROG_TC_INGRESS	"tc_ingress"	/* tc clsact ingress on IFACE: what XDP missed */
#define TC_PROG_TC_HOST_RX	"tc_host_rx"	/* tc clsact ingress on tcv0: marks reinjection */

/*
 * skb->mark of frames on IFACE's ingress, for tc_ingress: reinjected by
 * tcpcryptd (tc_host_rx on tcv0, then mirred), or sent around once more by
 * tc_ingress itself. Marks do not cross network namespaces (skb_scrub_packet),
 * so a peer cannot forge them; tc_ingress clears them.
 */
#define TC_MARK_HOST		0x7463a001
#define TC_MARK_RESTEER		0x7463a002

/*
 * Egress GSO super-packets carry their segment size to tcpcryptd in the TCP
 * urgent pointer (URG clear): AF_XDP has no GSO metadata, and the stack's
 * gso_size already accounts for the path MTU, the peer's MSS and the TCP
 * options. tc_egress writes it; tcpcryptd cuts the super-packet by it and
 * writes 0 back into every segment. The TCP checksum of such a frame is
 * CHECKSUM_PARTIAL (pseudo header only) and is recomputed anyway.
 */

/* tc filter identity on IFACE egress: fixed so any process can find it. */
#define TC_TC_HANDLE		0x7463		/* "tc" */
#define TC_TC_PRIORITY		0x7463
/* tc_host_rx on tcv0's ingress runs before the reinjection filter (prio 2) */
#define TC_HOST_RX_PRIORITY	1

/* ---- tc_config: BPF_MAP_TYPE_ARRAY, one entry (key 0) ---- */
enum tc_cfg_flags {
	TC_CFG_ENABLED		= 1u << 0,	/* steer new connections (flow map always) */
	TC_CFG_FAIL_CLOSED	= 1u << 1,	/* daemon dead: drop new SYNs too */
	TC_CFG_STEER_ALL	= 1u << 2,	/* tests: every SYN passes policy */
	TC_CFG_ADDR_INCLUDE	= 1u << 3,	/* include prefixes exist: others skipped */
	TC_CFG_PORT_INCLUDE	= 1u << 4,	/* include ports exist: others skipped */
	TC_CFG_OWN_CLSACT	= 1u << 8,	/* loader created the clsact qdisc */
	TC_CFG_MODE_AUTO	= 1u << 9,	/* xdp_mode was chosen by --mode auto */
	/*
	 * tcpcryptd encrypts and commits no flow entry before the peer proved
	 * its address: the rest of a handshake is steered without one (see
	 * "Handshakes" below).
	 */
	TC_CFG_STATELESS_HS	= 1u << 10,
	/*
	 * No XDP on IFACE (--mode tc): tc_ingress steers the wire's segments
	 * into tcv1's ingress, on RX queue queues + q, where xdp_host hands
	 * them to xsks_wire[q]. Traffic not steered never meets XDP.
	 */
	TC_CFG_TC_INGRESS	= 1u << 11,
};

struct tc_config {
	__u32 flags;		/* enum tc_cfg_flags */
	__u32 hb_timeout_ms;	/* 0: TC_HB_TIMEOUT_MS */
	__u32 iface_ifindex;	/* IFACE */
	__u32 tcv0_ifindex;	/* host end of the internal veth (reinjection into IFACE) */
	__u32 tcv1_ifindex;	/* daemon end: tc egress redirects INTO its ingress;
				 * 0: none (= dead daemon) */
	__u32 xdp_mode;		/* enum tc_xdp_mode used on IFACE (NONE: tc mode) */
	__u32 host_xdp_mode;	/* enum tc_xdp_mode used on tcv1 (skb) */
	__u32 queues;		/* RX queues 0..queues-1 served by tcpcryptd; 0: unknown.
				 * A segment to steer arriving on another queue is
				 * dropped, never passed as plain TCP. */
	__u32 meta_cookie;	/* random, set at attach: xdp_wire writes it in the
				 * metadata of what it passes, so tc_ingress knows
				 * which frames XDP never saw */
};

enum tc_xdp_mode {
	TC_XDP_MODE_NONE	= 0,
	TC_XDP_MODE_NATIVE	= 1,
	TC_XDP_MODE_SKB		= 2,
};

/*
 * ---- tc_live: BPF_MAP_TYPE_ARRAY, one entry (key 0), written by tcpcryptd ----
 * heartbeat_ns is CLOCK_MONOTONIC (== bpf_ktime_get_ns()). The daemon is
 * alive while now - heartbeat_ns <= hb_timeout_ms; 0 means dead (clean exit).
 * XDP additionally treats an empty XSKMAP slot as a dead daemon.
 */
struct tc_live {
	__u64 heartbeat_ns;
	__u32 pid;		/* informational */
	__u32 generation;	/* bumped by each daemon start */
};

/*
 * ---- tc_flows: BPF_MAP_TYPE_HASH, written by tcpcryptd only ----
 * Not LRU: eviction of an ENCRYPTED flow would pass its segments in
 * plaintext. When full, inserts fail with E2BIG: leave that connection plain.
 * Normalized to this host's view: at XDP ingress local = dst, remote = src;
 * at tc egress local = src, remote = dst. IPv4 addresses in bytes 0..3,
 * bytes 4..15 zero. All padding must be zero.
 */
struct tc_flow_key {
	__u8 family;		/* AF_INET (2) or AF_INET6 (10) */
	__u8 pad[3];
	__u8 local[16];
	__u8 remote[16];
	__be16 lport;
	__be16 rport;
};

enum tc_flow_state {
	TC_FLOW_PLAIN		= 0,	/* not steered: passes as plain TCP */
	TC_FLOW_PASSTHROUGH	= 1,	/* steered, unchanged; passes if daemon dead */
	TC_FLOW_NEGOTIATING	= 2,	/* steered; dropped if daemon dead */
	TC_FLOW_ENCRYPTED	= 3,	/* steered; dropped if daemon dead */
};

/* A connection whose segments exist only under keys: never plaintext. */
static inline int tc_flow_needs_keys(__u8 state)
{
	return state == TC_FLOW_NEGOTIATING || state == TC_FLOW_ENCRYPTED;
}

struct tc_flow_val {
	__u8 state;		/* enum tc_flow_state */
	__u8 flags;		/* owned by tcpcryptd, ignored by BPF */
	__u16 queue;		/* owning queue (tcpcryptd's poller) */
	__u32 reserved;
};

/*
 * ---- tc_frags: BPF_MAP_TYPE_LRU_HASH, BPF only ----
 * IPv4 and IPv6 fragment trains, in either direction, whose first fragment
 * belongs to a steered connection (NEGOTIATING/ENCRYPTED flow, or a SYN the
 * policy would steer): tcpcryptd cannot process fragments, so the first
 * fragment is dropped and the train recorded here so that its later
 * fragments (no TCP header) are dropped too. A later fragment of a train not
 * recorded passes: without its first fragment (dropped, or never seen) the
 * kernel cannot reassemble it, and overlapping fragments are discarded
 * (RFC 5722), so it can never complete a steered connection's datagram.
 */
struct tc_frag_key {
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 dir;		/* enum tc_dir: TC_DIR_WIRE or TC_DIR_EGRESS */
	__u16 pad;
	__be32 id;		/* IPv4: the 16-bit id in the low-order bytes */
	__u8 saddr[16];		/* IPv4: bytes 0..3, rest zero */
	__u8 daddr[16];
};

/* ---- tc_pol_v4 / tc_pol_v6: BPF_MAP_TYPE_LPM_TRIE of remote prefixes ---- */
struct tc_lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct tc_lpm_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

enum tc_pol_action {
	TC_POL_NONE	= 0,
	TC_POL_INCLUDE	= 1,
	TC_POL_EXCLUDE	= 2,
};

/* ---- tc_pol_ports: BPF_MAP_TYPE_HASH, value __u8 enum tc_pol_action ---- */
enum tc_port_side {
	TC_PORT_LOCAL	= 0,
	TC_PORT_REMOTE	= 1,
};

struct tc_port_key {
	__u16 port;		/* host byte order */
	__u8 side;		/* enum tc_port_side */
	__u8 pad;
};

/*
 * Policy for a new connection (a SYN without ACK, either direction):
 * steered iff TC_CFG_ENABLED (which does not affect flows in tc_flows) and
 *  - remote address: the longest matching prefix is not EXCLUDE, and if
 *    TC_CFG_ADDR_INCLUDE is set it is INCLUDE;
 *  - ports: neither port is EXCLUDE, and if TC_CFG_PORT_INCLUDE is set the
 *    local or the remote port is INCLUDE;
 * or TC_CFG_STEER_ALL. Segments of a flow in tc_flows follow its state.
 *
 * Handshakes (TC_CFG_STATELESS_HS): tcpcryptd adds a flow to tc_flows only
 * once the peer has acknowledged our ISN, so that spoofed SYNs cannot fill
 * it. Until then, segments without an entry are steered by what they are:
 *  - a SYN-ACK (either direction) the policy allows, while TC_CFG_ENABLED;
 *  - a wire segment without SYN that carries a TCP-ENO option (kind 69):
 *    the active opener sends one in every segment until it hears from the
 *    passive side (RFC 8547 4.6), so the ACK that proves its address always
 *    has one. Dropped when the daemon is dead: its half-open state is gone
 *    and the kernel would take the connection as plain TCP.
 */

/*
 * ---- xsks_wire / xsks_host: BPF_MAP_TYPE_XSKMAP, TC_MAX_QUEUES entries ----
 * key = queue id, value = AF_XDP socket fd (IFACE resp. tcv1). In tc mode
 * (TC_CFG_TC_INGRESS) xsks_wire[q] is bound to tcv1's queue queues + q.
 */

/* ---- tc_counters: BPF_MAP_TYPE_PERCPU_ARRAY of __u64, key = dir * TC_CTR_MAX + ctr ---- */
enum tc_dir {
	TC_DIR_WIRE	= 0,	/* xdp_wire (tc mode: tc_ingress): IFACE ingress */
	TC_DIR_EGRESS	= 1,	/* tc_egress: IFACE egress */
	TC_DIR_HOST	= 2,	/* xdp_host: tcv1 ingress; tc_host_tx: tcv0 egress */
	TC_DIR_GUARD	= 3,	/* tc_ingress: IFACE ingress, frames XDP never saw */
	TC_DIR_MAX
};

enum tc_ctr {
	TC_CTR_PASSED = 0,	/* not ours: passed untouched (total) */
	TC_CTR_NON_TCP,		/* of which: not TCP, or not IP */
	TC_CTR_FRAG,		/* of which: IPv4/IPv6 fragment of no steered train */
	TC_CTR_PARSE_ERR,	/* of which: malformed, not claiming TCP */
	TC_CTR_DISABLED,	/* of which: SYN while TC_CFG_ENABLED clear */
	TC_CTR_POLICY_SKIP,	/* of which: SYN not allowed by policy */
	TC_CTR_PLAIN_FLOW,	/* of which: flow in state PLAIN */
	TC_CTR_STEERED_SYN,	/* SYN steered by policy */
	TC_CTR_STEERED_FLOW,	/* segment of a flow-map flow steered */
	TC_CTR_STEERED_HOST,	/* xdp_host: frame to xsks_host */
	TC_CTR_DEAD_PASS_SYN,	/* daemon dead: new SYN passed as plain TCP */
	TC_CTR_DEAD_PASS_FLOW,	/* daemon dead: PASSTHROUGH flow passed */
	TC_CTR_DEAD_DROP_FLOW,	/* daemon dead: NEGOTIATING/ENCRYPTED dropped */
	TC_CTR_DEAD_DROP_SYN,	/* daemon dead + fail_closed: SYN dropped */
	TC_CTR_NO_XSK,		/* XSKMAP slot empty (counted as dead daemon) */
	TC_CTR_NO_TCV1,		/* tc: no tcv1 ifindex configured (dead daemon) */
	TC_CTR_FRAG_DROP,	/* fragment of a steered connection's train */
	TC_CTR_OVERSIZE_PASS,	/* > TC_DP_FRAME_MAX, PASSTHROUGH flow passed */
	TC_CTR_OVERSIZE_DROP,	/* > TC_DP_FRAME_MAX, other steered state dropped */
	TC_CTR_MALFORMED_DROP,	/* claims TCP (or IP header unreadable): dropped */
	TC_CTR_TOO_DEEP_DROP,	/* > TC_EXT_MAX IPv6 ext headers, > TC_VLAN_MAX tags */
	TC_CTR_UNSERVED_DROP,	/* to steer, on an RX queue no poller serves */
	TC_CTR_QUEUE_MISMATCH,	/* steered on a queue other than its flow's owner */
	TC_CTR_SUPER,		/* tc_egress: GSO super-packet steered whole */
	TC_CTR_NOT_STEERED_DROP,/* xdp_host: not a TCP segment of a steered flow */
	TC_CTR_HOST_TX_DROP,	/* tc_host_tx: sent from tcv0 by the host: dropped */
	TC_CTR_STEERED_SYNACK,	/* SYN-ACK without a flow entry steered (handshake) */
	TC_CTR_STEERED_ENO,	/* wire ENO segment without a flow entry steered */
	TC_CTR_DEAD_DROP_ENO,	/* daemon dead: wire ENO segment without entry dropped */
	TC_CTR_RESTEERED,	/* tc_ingress: XDP missed it (cloned, redirected): sent
				 * around again, unshared, so that XDP steers it */
	TC_CTR_RESTEER_DROP,	/* tc_ingress: missed by XDP twice: dropped */
	TC_CTR_MAX
};

#if !defined(__bpf__) && !defined(__BPF__)
static const char *const tc_dir_names[TC_DIR_MAX] __attribute__((unused)) = {
	[TC_DIR_WIRE] = "wire_rx",
	[TC_DIR_EGRESS] = "egress",
	[TC_DIR_HOST] = "host_rx",
	[TC_DIR_GUARD] = "wire_guard",
};

static const char *const tc_ctr_names[TC_CTR_MAX] __attribute__((unused)) = {
	[TC_CTR_PASSED] = "passed",
	[TC_CTR_NON_TCP] = "non_tcp",
	[TC_CTR_FRAG] = "fragment",
	[TC_CTR_PARSE_ERR] = "parse_error",
	[TC_CTR_DISABLED] = "disabled",
	[TC_CTR_POLICY_SKIP] = "policy_skip",
	[TC_CTR_PLAIN_FLOW] = "plain_flow",
	[TC_CTR_STEERED_SYN] = "steered_syn",
	[TC_CTR_STEERED_FLOW] = "steered_flow",
	[TC_CTR_STEERED_HOST] = "steered_host",
	[TC_CTR_DEAD_PASS_SYN] = "dead_pass_syn",
	[TC_CTR_DEAD_PASS_FLOW] = "dead_pass_flow",
	[TC_CTR_DEAD_DROP_FLOW] = "dropped_dead_daemon",
	[TC_CTR_DEAD_DROP_SYN] = "dropped_fail_closed",
	[TC_CTR_NO_XSK] = "no_xsk",
	[TC_CTR_NO_TCV1] = "no_tcv1",
	[TC_CTR_FRAG_DROP] = "dropped_fragment",
	[TC_CTR_OVERSIZE_PASS] = "oversize_pass",
	[TC_CTR_OVERSIZE_DROP] = "dropped_oversize",
	[TC_CTR_MALFORMED_DROP] = "dropped_malformed",
	[TC_CTR_TOO_DEEP_DROP] = "dropped_too_deep",
	[TC_CTR_UNSERVED_DROP] = "dropped_unserved_queue",
	[TC_CTR_QUEUE_MISMATCH] = "queue_mismatch",
	[TC_CTR_SUPER] = "super_packets",
	[TC_CTR_NOT_STEERED_DROP] = "dropped_not_steered",
	[TC_CTR_HOST_TX_DROP] = "dropped_host_tx",
	[TC_CTR_STEERED_SYNACK] = "steered_synack",
	[TC_CTR_STEERED_ENO] = "steered_eno",
	[TC_CTR_DEAD_DROP_ENO] = "dropped_dead_eno",
	[TC_CTR_RESTEERED] = "resteered",
	[TC_CTR_RESTEER_DROP] = "dropped_resteer",
};
#endif

/*
 * ---- tc_sessions: BPF_MAP_TYPE_HASH, tc_flow_key -> struct tc_session ----
 * Written by tcpcryptd when a connection's engine has keys (and when its
 * state changes after that: closed, aborted), or when ENO fell back to
 * plain TCP; deleted with the daemon's flow record (plain entries: once the
 * local socket is gone). Read by tcnetstat. Not used by BPF.
 */
#define TC_SESSIONS_MAX		TC_FLOWS_MAX
#define TC_SESSION_ID_LEN	33	/* RFC 8548 section 3.4: TEP byte || 32 bytes */

enum tc_session_state {
	TC_SESS_NONE		= 0,
	TC_SESS_ENCRYPTED	= 1,	/* keys both ways */
	TC_SESS_CLOSED		= 2,	/* FIN both ways (or reset after keys) */
	TC_SESS_ABORTED		= 3,	/* reset by the engine (reason in abort) */
	TC_SESS_PLAIN		= 4,	/* TCP-ENO failed: fell back to plain TCP */
	TC_SESS_STATE_MAX
};

struct tc_session {
	__u8 state;		/* enum tc_session_state */
	__u8 role;		/* 0: A, 1: B */
	__u8 tep;		/* negotiated TEP byte as B sent it (v bit included) */
	__u8 sid_len;		/* bytes of session_id in use: TC_SESSION_ID_LEN, 0 if none */
	__u8 local_gopt;	/* our global suboption (a = 0x02, b = 0x01) */
	__u8 peer_gopt;
	__u16 aead;		/* RFC 8548 AEAD identifier */
	__u16 queue;		/* owning queue */
	__u8 abort;		/* engine's abort reason (enum tc_abort_reason) */
	__u8 pad[3];
	__u64 established_ns;	/* CLOCK_REALTIME when the keys were there; 0: none */
	__u8 session_id[TC_SESSION_ID_LEN];
	__u8 pad2[7];
};

/*
 * ---- tc_dstats: BPF_MAP_TYPE_ARRAY, TC_DSTATS_SLOTS entries ----
 * The daemon's counters, rewritten by tcpcryptd every second (they were
 * only logged before): slot q for queue q (its poller and the engine
 * connections it serves), slot TC_DSTATS_TABLE for the flow table's
 * counters that belong to no queue. tcnetstat -s sums every slot for the
 * total. A slot with updated_ns == 0 is unused.
 */
#define TC_DSTATS_TABLE		TC_MAX_QUEUES
#define TC_DSTATS_SLOTS		(TC_MAX_QUEUES + 1)

enum tc_dstat {
	TC_DS_STEERED_WIRE = 0,	/* segments steered to us from the wire */
	TC_DS_STEERED_HOST,	/* segments steered to us from the local stack */
	TC_DS_ENO_OFFERED,	/* connections that offered TCP-ENO */
	TC_DS_SESSIONS,		/* connections that reached encryption */
	TC_DS_ENCRYPTED,	/* frames sealed */
	TC_DS_DECRYPTED,	/* frames opened and verified */
	TC_DS_BYTES_ENCRYPTED,
	TC_DS_BYTES_DECRYPTED,
	TC_DS_TAG_FAILURES,	/* frames that failed authentication */
	TC_DS_FALLBACKS,	/* TCP-ENO failed: plain TCP */
	TC_DS_RESETS,		/* connections aborted (reset both ways) */
	TC_DS_RESUMPTIONS,	/* sessions keyed from a cached secret (RFC 8548 3.5) */
	TC_DS_REKEYS,
	TC_DS_RETRANSMITS,	/* frames re-sent from the kept copy */
	TC_DS_TABLE_FULL,	/* flow table full: a new SYN passed plain, or a proven
				 * connection reset (tc_flows full), never plain */
	TC_DS_FLOWS_ACTIVE,	/* flow records now (table slot only) */
	TC_DS_EVICTED_DONE,	/* connections over, forgotten early to make room */
	TC_DS_HALF_OPEN,	/* of which half-open: peer not proven (table slot) */
	TC_DS_HALF_EVICTED,	/* half-open flows evicted for newer SYNs */
	TC_DS_HALF_REFUSED,	/* SYNs dropped: prefix quota or no room */
	TC_DS_ENO_RESETS,	/* ENO segments of unknown handshakes: reset */
	/* drops, by reason */
	TC_DS_DROP_MALFORMED,	/* malformed frame or segment */
	TC_DS_DROP_OOO,		/* out of order beyond the buffer */
	TC_DS_DROP_HELD,	/* application bytes beyond the pre-key buffer */
	TC_DS_DROP_STALE,	/* old duplicates */
	TC_DS_DROP_NO_BUFFER,	/* no buffer to emit into */
	TC_DS_DROP_URGENT,	/* urgent data refused */
	TC_DS_DROP_LOST_KEYS,	/* a flow whose keys died with a previous daemon */
	TC_DS_DROP_BAD_CSUM,	/* wrong TCP checksum from the wire */
	TC_DS_DROP_FRAGMENT,	/* IP fragments */
	TC_DS_DROP_NON_TCP,	/* not TCP */
	TC_DS_MAX
};

struct tc_dstats {
	__u64 updated_ns;	/* CLOCK_MONOTONIC of the write; 0: slot unused */
	__u32 pid;		/* the writing tcpcryptd */
	__u32 flags;		/* TC_DSF_* */
	__u64 ctr[TC_DS_MAX];
};

#define TC_DS_FIRST_DROP	TC_DS_DROP_MALFORMED
#define TC_DSF_ENGINE		(1u << 0)	/* the daemon encrypts (not pass-through) */

#if !defined(__bpf__) && !defined(__BPF__)
static const char *const tc_session_state_names[TC_SESS_STATE_MAX] __attribute__((unused)) = {
	[TC_SESS_NONE] = "none",
	[TC_SESS_ENCRYPTED] = "encrypted",
	[TC_SESS_CLOSED] = "closed",
	[TC_SESS_ABORTED] = "aborted",
	[TC_SESS_PLAIN] = "plain",
};

/* JSON keys of tcnetstat -s; drops are printed under "drops" without "drop_" */
static const char *const tc_dstat_names[TC_DS_MAX] __attribute__((unused)) = {
	[TC_DS_STEERED_WIRE] = "steered_wire",
	[TC_DS_STEERED_HOST] = "steered_host",
	[TC_DS_ENO_OFFERED] = "eno_offered",
	[TC_DS_SESSIONS] = "sessions",
	[TC_DS_ENCRYPTED] = "encrypted",
	[TC_DS_DECRYPTED] = "decrypted",
	[TC_DS_BYTES_ENCRYPTED] = "bytes_encrypted",
	[TC_DS_BYTES_DECRYPTED] = "bytes_decrypted",
	[TC_DS_TAG_FAILURES] = "tag_failures",
	[TC_DS_FALLBACKS] = "fallbacks",
	[TC_DS_RESETS] = "resets",
	[TC_DS_RESUMPTIONS] = "resumptions",
	[TC_DS_REKEYS] = "rekeys",
	[TC_DS_RETRANSMITS] = "retransmits",
	[TC_DS_TABLE_FULL] = "table_full",
	[TC_DS_FLOWS_ACTIVE] = "flows_active",
	[TC_DS_EVICTED_DONE] = "evicted_done",
	[TC_DS_HALF_OPEN] = "half_open",
	[TC_DS_HALF_EVICTED] = "half_open_evicted",
	[TC_DS_HALF_REFUSED] = "syn_refused",
	[TC_DS_ENO_RESETS] = "eno_resets",
	[TC_DS_DROP_MALFORMED] = "drop_malformed",
	[TC_DS_DROP_OOO] = "drop_out_of_order",
	[TC_DS_DROP_HELD] = "drop_held_overflow",
	[TC_DS_DROP_STALE] = "drop_stale",
	[TC_DS_DROP_NO_BUFFER] = "drop_no_buffer",
	[TC_DS_DROP_URGENT] = "drop_urgent",
	[TC_DS_DROP_LOST_KEYS] = "drop_lost_keys",
	[TC_DS_DROP_BAD_CSUM] = "drop_bad_checksum",
	[TC_DS_DROP_FRAGMENT] = "drop_fragment",
	[TC_DS_DROP_NON_TCP] = "drop_non_tcp",
};
#endif

#endif /* TCPCRYPT_SHARED_H */
