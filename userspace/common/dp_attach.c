// SPDX-License-Identifier: GPL-2.0
/*
 * Datapath attachment (see dp_attach.h).
 *
 * XDP is attached through libxdp with LIBXDP_SKIP_DISPATCHER=1: the
 * multi-program dispatcher keeps its component programs alive through links
 * pinned in a bpffs, and a bpffs mounted inside `ip netns exec` lives in that
 * command's private mount namespace, so it (and our program with it) would
 * vanish when the loader exits. Everything here is found again from the
 * interface: the XDP program by bpf_xdp_query, the tc filter by its fixed
 * handle/priority, the maps through the program's map ids.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "common/dp_attach.h"
#include "common/log.h"
#include "tcpcrypt.skel.h"

struct dp_priv {
	struct tcpcrypt_bpf *skel;	/* when we loaded the object */
	struct tcpcrypt_bpf *host_skel;	/* xdp_host + tc_host_tx sharing maps */
	struct tcpcrypt_bpf *probe_skel;	/* xdp_probe instance sharing maps */
	int xdp_prog_fd, tc_prog_fd, host_prog_fd;
};

/* ---- libbpf/libxdp messages: kept for the one-line error, shown with -v ---- */
static char last_kernel_msg[256];

static int lib_print(const char *fmt, va_list ap)
{
	char buf[512];
	const char *k;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	k = strstr(buf, "Kernel error message: ");
	if (k) {
		snprintf(last_kernel_msg, sizeof(last_kernel_msg), "%s",
			 k + strlen("Kernel error message: "));
		last_kernel_msg[strcspn(last_kernel_msg, "\n")] = 0;
	}
	pr_debug("%s", buf);
	return 0;
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return lib_print(fmt, ap);
}

static int libxdp_print_fn(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return lib_print(fmt, ap);
}

static void lib_init(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	libbpf_set_print(libbpf_print_fn);
	libxdp_set_print(libxdp_print_fn);
	/* see the top of this file */
	setenv("LIBXDP_SKIP_DISPATCHER", "1", 1);
}

/* ---- small helpers ---- */
static int if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	if (ioctl(fd, req, ifr))
		err = -errno;
	close(fd);
	return err;
}

static int if_mtu(const char *ifname)
{
	struct ifreq ifr = {};
	int err = if_ioctl(ifname, SIOCGIFMTU, &ifr);

	return err ? err : ifr.ifr_mtu;
}

int dp_driver(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo di = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&di };
	int err = if_ioctl(ifname, SIOCETHTOOL, &ifr);

	snprintf(buf, len, "%s", err || !*di.driver ? "unknown" : di.driver);
	return err;
}

int dp_tso(const char *ifname)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_GTSO };
	struct ifreq ifr = { .ifr_data = (void *)&ev };
	int err = if_ioctl(ifname, SIOCETHTOOL, &ifr);

	return err ? err : !!ev.data;
}

/*
 * --mode auto, per driver: the mode that costs traffic tcpcrypt does not
 * steer least (docs/design.md has the table and the measurements).
 */
static const struct {
	const char *driver;
	enum dp_mode mode;
	const char *why;
} auto_modes[] = {
	{ "veth", DP_MODE_TC, "any XDP on a veth costs the traffic not steered: native "
	  "turns off its peer's TSO/GSO, skb mode copies every multi-page packet; "
	  "tc ingress steers without XDP on the interface" },
};

enum dp_mode dp_auto_mode(const char *ifname, const char **why)
{
	char drv[32];
	size_t i;

	dp_driver(ifname, drv, sizeof(drv));
	for (i = 0; i < sizeof(auto_modes) / sizeof(auto_modes[0]); i++)
		if (!strcmp(drv, auto_modes[i].driver)) {
			*why = auto_modes[i].why;
			return auto_modes[i].mode;
		}
	*why = "native XDP runs in the driver, before any skb is built (skb mode if the "
	       "driver refuses it)";
	return DP_MODE_NATIVE;
}

int dp_queue_count(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { .ifr_data = (void *)&ch };
	int n;

	if (if_ioctl(ifname, SIOCETHTOOL, &ifr))
		return 1;
	n = ch.rx_count > ch.combined_count ? ch.rx_count : ch.combined_count;
	return n > 0 ? n : 1;
}

const char *dp_mode_name(enum dp_mode mode)
{
	switch (mode) {
	case DP_MODE_NATIVE: return "native";
	case DP_MODE_SKB: return "skb";
	case DP_MODE_TC: return "tc";
	case DP_MODE_AUTO: return "auto";
	}
	return "?";
}

int dp_mode_parse(const char *s, enum dp_mode *mode)
{
	if (!strcmp(s, "native") || !strcmp(s, "drv"))
		*mode = DP_MODE_NATIVE;
	else if (!strcmp(s, "skb") || !strcmp(s, "generic"))
		*mode = DP_MODE_SKB;
	else if (!strcmp(s, "tc"))
		*mode = DP_MODE_TC;
	else if (!strcmp(s, "auto"))
		*mode = DP_MODE_AUTO;
	else
		return -EINVAL;
	return 0;
}

static void maps_reset(struct dp_maps *m)
{
	m->config = m->live = m->flows = m->counters = -1;
	m->pol_v4 = m->pol_v6 = m->pol_ports = -1;
	m->xsks_wire = m->xsks_host = -1;
	m->sessions = m->dstats = -1;
}

/* struct dp_maps is walked as an array of fds */
_Static_assert(sizeof(struct dp_maps) == 11 * sizeof(int), "dp_maps: fds only");

static void maps_close(struct dp_maps *m)
{
	int *fds = (int *)m;
	size_t i;

	for (i = 0; i < sizeof(*m) / sizeof(int); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	maps_reset(m);
}

static struct dp *dp_new(const char *ifname, int ifindex)
{
	struct dp *dp = calloc(1, sizeof(*dp));

	if (!dp)
		return NULL;
	dp->priv = calloc(1, sizeof(*dp->priv));
	if (!dp->priv) {
		free(dp);
		return NULL;
	}
	snprintf(dp->ifname, sizeof(dp->ifname), "%s", ifname);
	dp->ifindex = ifindex;
	dp->priv->xdp_prog_fd = dp->priv->tc_prog_fd = dp->priv->host_prog_fd = -1;
	maps_reset(&dp->maps);
	return dp;
}

void dp_close(struct dp *dp)
{
	if (!dp)
		return;
	maps_close(&dp->maps);
	if (dp->priv->xdp_prog_fd >= 0)
		close(dp->priv->xdp_prog_fd);
	if (dp->priv->tc_prog_fd >= 0)
		close(dp->priv->tc_prog_fd);
	if (dp->priv->host_prog_fd >= 0)
		close(dp->priv->host_prog_fd);
	tcpcrypt_bpf__destroy(dp->priv->probe_skel);
	tcpcrypt_bpf__destroy(dp->priv->host_skel);
	tcpcrypt_bpf__destroy(dp->priv->skel);
	free(dp->priv);
	free(dp);
}

static int resolve_ifindex(const char *ifname)
{
	int ifindex = if_nametoindex(ifname);

	if (!ifindex) {
		pr_warn("%s: no such interface in this network namespace\n", ifname);
		return -ENODEV;
	}
	return ifindex;
}

static void warn_perm(const char *what, int err)
{
	if (err == -EPERM || err == -EACCES)
		pr_warn("%s: permission denied: run as root (needs CAP_BPF, CAP_NET_ADMIN "
			"and CAP_SYS_ADMIN) and check kernel.unprivileged_bpf_disabled\n", what);
	else
		pr_warn("%s: %s%s%s\n", what, strerror(-err),
			*last_kernel_msg ? " - kernel says: " : "", last_kernel_msg);
}

/* Program info by fd: name and map ids. */
static int prog_info(int fd, struct bpf_prog_info *info, __u32 *map_ids, __u32 nmaps)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (map_ids) {
		info->nr_map_ids = nmaps;
		info->map_ids = (__u64)(unsigned long)map_ids;
	}
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		return -errno;
	return 0;
}

/* fd of program ID if its name is NAME, else negative. */
static int prog_fd_by_id_name(__u32 id, const char *name)
{
	struct bpf_prog_info info;
	int fd;

	if (!id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (prog_info(fd, &info, NULL, 0) || strcmp(info.name, name)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/* The map fds of a program of ours, by map name. */
static int maps_from_prog(int prog_fd, struct dp_maps *m)
{
	struct bpf_prog_info info;
	__u32 ids[32];
	__u32 i, n;
	int err;

	err = prog_info(prog_fd, &info, ids, 32);
	if (err)
		return err;
	n = info.nr_map_ids < 32 ? info.nr_map_ids : 32;
	for (i = 0; i < n; i++) {
		struct bpf_map_info mi = {};
		__u32 len = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);
		int *slot = NULL;

		if (fd < 0)
			return -errno;
		if (bpf_obj_get_info_by_fd(fd, &mi, &len)) {
			close(fd);
			return -errno;
		}
		if (!strcmp(mi.name, "tc_config"))
			slot = &m->config;
		else if (!strcmp(mi.name, "tc_live"))
			slot = &m->live;
		else if (!strcmp(mi.name, "tc_flows"))
			slot = &m->flows;
		else if (!strcmp(mi.name, "tc_counters"))
			slot = &m->counters;
		else if (!strcmp(mi.name, "tc_pol_v4"))
			slot = &m->pol_v4;
		else if (!strcmp(mi.name, "tc_pol_v6"))
			slot = &m->pol_v6;
		else if (!strcmp(mi.name, "tc_pol_ports"))
			slot = &m->pol_ports;
		else if (!strcmp(mi.name, "xsks_wire"))
			slot = &m->xsks_wire;
		else if (!strcmp(mi.name, "xsks_host"))
			slot = &m->xsks_host;
		else if (!strcmp(mi.name, "tc_sessions"))
			slot = &m->sessions;
		else if (!strcmp(mi.name, "tc_dstats"))
			slot = &m->dstats;
		if (slot && *slot < 0)
			*slot = fd;
		else
			close(fd);
	}
	if (m->config < 0 || m->live < 0 || m->flows < 0 || m->counters < 0)
		return -ENOENT;
	return 0;
}

static int maps_from_skel(struct tcpcrypt_bpf *skel, struct dp_maps *m)
{
	struct bpf_map *maps[] = {
		skel->maps.tc_config, skel->maps.tc_live, skel->maps.tc_flows,
		skel->maps.tc_counters, skel->maps.tc_pol_v4, skel->maps.tc_pol_v6,
		skel->maps.tc_pol_ports, skel->maps.xsks_wire, skel->maps.xsks_host,
		skel->maps.tc_sessions, skel->maps.tc_dstats,
	};
	int *fds = (int *)m;
	size_t i;

	/* same order as struct dp_maps */
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		fds[i] = fcntl(bpf_map__fd(maps[i]), F_DUPFD_CLOEXEC, 3);
		if (fds[i] < 0)
			return -errno;
	}
	return 0;
}

/*
 * A map no attached program references does not outlive the process that
 * made it (xsks_host before xdp_host is attached): then a new one is made.
 */
static int reuse(struct bpf_map *map, int fd)
{
	return fd >= 0 ? bpf_map__reuse_fd(map, fd) : 0;
}

/* A program instance of ours sharing DP's maps; only PROG (and PROG2) loaded. */
static struct tcpcrypt_bpf *load_sharing(struct dp *dp, const char *prog, const char *prog2,
					 const char *prog3)
{
	struct tcpcrypt_bpf *skel = tcpcrypt_bpf__open();
	struct bpf_program *p;
	int err;

	if (!skel)
		return NULL;
	bpf_object__for_each_program(p, skel->obj) {
		const char *n = bpf_program__name(p);

		bpf_program__set_autoload(p, !strcmp(n, prog) || (prog2 && !strcmp(n, prog2)) ||
					     (prog3 && !strcmp(n, prog3)));
	}
	/* used by xdp_wire and tc_egress only: not worth a copy per instance */
	bpf_map__set_autocreate(skel->maps.tc_frags, false);
	err = reuse(skel->maps.tc_config, dp->maps.config) ?:
	      reuse(skel->maps.tc_live, dp->maps.live) ?:
	      reuse(skel->maps.tc_flows, dp->maps.flows) ?:
	      reuse(skel->maps.tc_counters, dp->maps.counters) ?:
	      reuse(skel->maps.tc_pol_v4, dp->maps.pol_v4) ?:
	      reuse(skel->maps.tc_pol_v6, dp->maps.pol_v6) ?:
	      reuse(skel->maps.tc_pol_ports, dp->maps.pol_ports) ?:
	      reuse(skel->maps.xsks_wire, dp->maps.xsks_wire) ?:
	      reuse(skel->maps.xsks_host, dp->maps.xsks_host) ?:
	      reuse(skel->maps.tc_sessions, dp->maps.sessions) ?:
	      reuse(skel->maps.tc_dstats, dp->maps.dstats) ?:
	      tcpcrypt_bpf__load(skel);
	if (err) {
		tcpcrypt_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

static __u32 xdp_flags_of(enum dp_mode mode)
{
	return mode == DP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/* XDP program attached to IFINDEX and its mode; 0 if none. */
static __u32 xdp_attached(int ifindex, enum dp_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	if (mode)
		*mode = q.attach_mode == XDP_ATTACHED_SKB ? DP_MODE_SKB : DP_MODE_NATIVE;
	return q.prog_id;
}

static void explain_xdp_failure(const char *ifname, enum dp_mode mode, int err)
{
	int mtu = if_mtu(ifname);

	/*
	 * Our programs are frags-aware (multi-buffer): a driver without
	 * multi-buffer support may still refuse them above one page.
	 */
	if (mode == DP_MODE_NATIVE && (err == -ERANGE || err == -EINVAL) && mtu > 3000)
		pr_warn("%s: the driver refused native XDP at MTU %d%s%s (no multi-buffer "
			"XDP in this driver?): lower the MTU or use --mode skb\n", ifname, mtu,
			*last_kernel_msg ? ": " : "", last_kernel_msg);
	else if (mode == DP_MODE_NATIVE && err == -EOPNOTSUPP)
		pr_warn("%s: the driver has no native XDP support: use --mode skb\n", ifname);
	else if (err == -EBUSY || err == -EEXIST)
		pr_warn("%s: another XDP program is attached: detach it first "
			"(ip link set dev %s xdpdrv off / xdpgeneric off)\n", ifname, ifname);
	else if (err == -EOPNOTSUPP)
		pr_warn("%s: XDP is not supported on this device\n", ifname);
	else
		warn_perm(ifname, err);
}

/*
 * Attach PROG_FD to IFINDEX through libxdp in MODE (native or skb); with
 * FALLBACK (--mode auto chose native) a refused native attach falls back to
 * skb. *USED gets the mode that worked.
 */
static int xdp_attach_mode(int prog_fd, const char *ifname, int ifindex,
			   enum dp_mode mode, bool fallback, enum dp_mode *used)
{
	struct xdp_program *xp;
	enum dp_mode m = mode;
	int err;

	xp = xdp_program__from_fd(prog_fd);
	err = libxdp_get_error(xp);
	if (err) {
		warn_perm(ifname, err);
		return err;
	}
	for (;;) {
		*last_kernel_msg = 0;
		err = xdp_program__attach(xp, ifindex,
					  m == DP_MODE_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);
		if (!err) {
			*used = m;
			break;
		}
		if (fallback && m == DP_MODE_NATIVE && err != -EBUSY &&
		    err != -EEXIST && err != -EPERM) {
			pr_info("%s: native XDP failed (%s%s%s), falling back to skb mode\n",
				ifname, strerror(-err), *last_kernel_msg ? ": " : "",
				last_kernel_msg);
			m = DP_MODE_SKB;
			continue;
		}
		explain_xdp_failure(ifname, m, err);
		break;
	}
	xdp_program__close(xp);
	return err;
}

/*
 * Detach PROG_FD from IFINDEX if it is still attached there: one netlink
 * request, no bpf() lookup by id (which needs CAP_SYS_ADMIN, dropped by a
 * running tcpcryptd).
 */
static int xdp_detach_fd(int ifindex, int prog_fd, enum dp_mode mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = prog_fd);

	return bpf_xdp_detach(ifindex, xdp_flags_of(mode), &o);
}

/* The fd of a program of DP this process holds (HOST: xdp_host), or -1. */
static int held_prog_fd(struct dp *dp, bool host)
{
	struct tcpcrypt_bpf *skel = host ? dp->priv->host_skel : dp->priv->skel;
	int fd = host ? dp->priv->host_prog_fd : dp->priv->xdp_prog_fd;

	if (fd >= 0)
		return fd;
	if (!skel)
		return -1;
	return bpf_program__fd(host ? skel->progs.xdp_host : skel->progs.xdp_wire);
}

static int xdp_detach_id(int ifindex, __u32 id, enum dp_mode mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	struct xdp_program *xp;
	int err, fd;

	xp = xdp_program__from_id(id);
	if (!libxdp_get_error(xp)) {
		err = xdp_program__detach(xp, ifindex,
					  mode == DP_MODE_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE, 0);
		xdp_program__close(xp);
		if (!err)
			return 0;
	}
	/* replace-if-still-ours, without libxdp */
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	o.old_prog_fd = fd;
	err = bpf_xdp_detach(ifindex, xdp_flags_of(mode), &o);
	close(fd);
	return err;
}

static int config_init(struct dp *dp, enum dp_mode used, bool own_clsact, bool autom)
{
	__u32 cookie = 0;
	struct tc_config cfg = {
		.flags = TC_CFG_ENABLED | (own_clsact ? TC_CFG_OWN_CLSACT : 0) |
			 (autom ? TC_CFG_MODE_AUTO : 0),
		.hb_timeout_ms = TC_HB_TIMEOUT_MS,
		.iface_ifindex = dp->ifindex,
		.xdp_mode = used == DP_MODE_SKB ? TC_XDP_MODE_SKB :
			    used == DP_MODE_NATIVE ? TC_XDP_MODE_NATIVE : TC_XDP_MODE_NONE,
	};

	if (used == DP_MODE_TC)
		cfg.flags |= TC_CFG_TC_INGRESS;

	/* unguessable, so that no frame arrives with it by chance (tc_ingress) */
	while (!cookie)
		if (getrandom(&cookie, sizeof(cookie), 0) != sizeof(cookie))
			return -errno;
	cfg.meta_cookie = cookie;
	return dp_config_set(dp, &cfg);
}

int dp_attach(const char *ifname, enum dp_mode mode, __u32 flows, struct dp **out)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = TC_TC_HANDLE, .priority = TC_TC_PRIORITY);
	/* an ingress filter left by an older version is replaced */
	LIBBPF_OPTS(bpf_tc_opts, tci, .handle = TC_TC_HANDLE, .priority = TC_TC_PRIORITY,
		    .flags = BPF_TC_F_REPLACE);
	struct tcpcrypt_bpf *skel;
	enum dp_mode used = DP_MODE_NATIVE, cur;
	bool own_clsact = false;
	struct dp *dp;
	int ifindex, err;
	__u32 id;

	lib_init();
	ifindex = resolve_ifindex(ifname);
	if (ifindex < 0)
		return ifindex;

	id = xdp_attached(ifindex, &cur);
	if (id) {
		int fd = prog_fd_by_id_name(id, TC_PROG_XDP_WIRE);

		if (fd >= 0) {
			close(fd);
			pr_warn("%s: tcpcrypt is already attached (XDP %s, prog id %u): "
				"run 'tcpcrypt-loader detach %s' first\n", ifname,
				dp_mode_name(cur), id, ifname);
			return -EEXIST;
		}
		pr_warn("%s: another XDP program (prog id %u, %s mode) is attached: detach it "
			"first (ip link set dev %s %s off)\n", ifname, id, dp_mode_name(cur),
			ifname, cur == DP_MODE_SKB ? "xdpgeneric" : "xdpdrv");
		return -EBUSY;
	}
	hook.ifindex = ifindex;
	if (!bpf_tc_query(&hook, &tco)) {
		pr_warn("%s: a tc egress filter of ours (prog id %u) is attached: "
			"run 'tcpcrypt-loader detach %s' first\n", ifname, tco.prog_id, ifname);
		return -EEXIST;
	}
	tco.prog_id = 0;

	dp = dp_new(ifname, ifindex);
	if (!dp)
		return -ENOMEM;
	skel = tcpcrypt_bpf__open();
	if (!skel) {
		err = -errno;
		warn_perm("opening the BPF object", err);
		goto err_free;
	}
	dp->priv->skel = skel;
	bpf_program__set_autoload(skel->progs.xdp_host, false);
	bpf_program__set_autoload(skel->progs.tc_host_tx, false);
	bpf_program__set_autoload(skel->progs.tc_host_rx, false);
	bpf_program__set_autoload(skel->progs.xdp_probe, false);
	/* the flows (and their sessions) the daemon will keep; preallocated */
	if (flows && flows < TC_FLOWS_MAX) {
		bpf_map__set_max_entries(skel->maps.tc_flows, flows);
		bpf_map__set_max_entries(skel->maps.tc_sessions, flows);
	}
	err = tcpcrypt_bpf__load(skel);
	if (err) {
		warn_perm("loading the BPF programs", err);
		goto err_free;
	}
	err = maps_from_skel(skel, &dp->maps);
	if (err)
		goto err_free;

	if (mode == DP_MODE_AUTO) {
		const char *why;
		char drv[32];

		used = dp_auto_mode(ifname, &why);
		dp_driver(ifname, drv, sizeof(drv));
		pr_info("%s: --mode auto: %s mode for driver %s (%s)\n", ifname,
			dp_mode_name(used), drv, why);
	} else {
		used = mode;
	}
	if (used != DP_MODE_TC) {
		err = xdp_attach_mode(bpf_program__fd(skel->progs.xdp_wire), ifname, ifindex,
				      used, mode == DP_MODE_AUTO, &used);
		if (err)
			goto err_free;
	}

	err = bpf_tc_hook_create(&hook);
	if (!err)
		own_clsact = true;
	else if (err != -EEXIST) {
		warn_perm("creating the clsact qdisc", err);
		goto err_xdp;
	}
	tco.prog_fd = bpf_program__fd(skel->progs.tc_egress);
	err = bpf_tc_attach(&hook, &tco);
	if (err) {
		warn_perm("attaching the tc egress program", err);
		goto err_tc;
	}
	dp->tc_prog_id = tco.prog_id;
	/* config before the ingress guard: it needs the cookie xdp_wire writes */
	err = config_init(dp, used, own_clsact, mode == DP_MODE_AUTO);
	if (err)
		goto err_tc_filter;
	hook.attach_point = BPF_TC_INGRESS;
	tci.prog_fd = bpf_program__fd(skel->progs.tc_ingress);
	err = bpf_tc_attach(&hook, &tci);
	hook.attach_point = BPF_TC_EGRESS;
	if (err) {
		warn_perm("attaching the tc ingress program", err);
		goto err_tc_filter;
	}

	dp->mode = used;
	dp->xdp_prog_id = xdp_attached(ifindex, NULL);
	dp->tc_in_prog_id = tci.prog_id;
	*out = dp;
	return 0;

err_tc_filter:
	tco.prog_fd = tco.prog_id = 0;
	tco.flags = 0;
	bpf_tc_detach(&hook, &tco);
err_tc:
	if (own_clsact) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
err_xdp:
	if (used != DP_MODE_TC)
		xdp_detach_id(ifindex, xdp_attached(ifindex, NULL), used);
err_free:
	dp_close(dp);
	return err;
}

int dp_open(const char *ifname, struct dp **out)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = TC_TC_HANDLE, .priority = TC_TC_PRIORITY);
	struct tc_config cfg;
	struct dp *dp;
	int ifindex, err, xerr = -ENOENT, terr = -ENOENT;
	__u32 id;

	lib_init();
	ifindex = resolve_ifindex(ifname);
	if (ifindex < 0)
		return ifindex;
	dp = dp_new(ifname, ifindex);
	if (!dp)
		return -ENOMEM;

	id = xdp_attached(ifindex, &dp->mode);
	xerr = prog_fd_by_id_name(id, TC_PROG_XDP_WIRE);
	if (xerr >= 0) {
		dp->priv->xdp_prog_fd = xerr;
		dp->xdp_prog_id = id;
	}
	hook.ifindex = ifindex;
	if (!bpf_tc_query(&hook, &tco)) {
		terr = prog_fd_by_id_name(tco.prog_id, TC_PROG_TC_EGRESS);
		if (terr >= 0) {
			dp->priv->tc_prog_fd = terr;
			dp->tc_prog_id = tco.prog_id;
		}
	}
	hook.attach_point = BPF_TC_INGRESS;
	tco.prog_id = 0;
	if (!bpf_tc_query(&hook, &tco)) {
		int fd = prog_fd_by_id_name(tco.prog_id, TC_PROG_TC_INGRESS);

		if (fd >= 0) {
			close(fd);
			dp->tc_in_prog_id = tco.prog_id;
		}
	}
	hook.attach_point = BPF_TC_EGRESS;
	if (dp->priv->xdp_prog_fd < 0 && dp->priv->tc_prog_fd < 0) {
		err = -ENOENT;
		/* something is attached but we may not look at it */
		if (xerr == -EPERM || terr == -EPERM || xerr == -EACCES || terr == -EACCES) {
			err = -EPERM;
			warn_perm(ifname, err);
		}
		goto err;
	}
	/* each program references only some maps: collect from all */
	if (dp->priv->xdp_prog_fd >= 0)
		maps_from_prog(dp->priv->xdp_prog_fd, &dp->maps);
	err = maps_from_prog(dp->priv->tc_prog_fd >= 0 ? dp->priv->tc_prog_fd :
			     dp->priv->xdp_prog_fd, &dp->maps);
	if (err) {
		warn_perm("finding the maps", err);
		goto err;
	}
	if (dp_config_get(dp, &cfg))
		cfg.flags = cfg.tcv1_ifindex = 0;
	if (cfg.flags & TC_CFG_TC_INGRESS)
		dp->mode = DP_MODE_TC;
	if (cfg.tcv1_ifindex) {
		id = xdp_attached(cfg.tcv1_ifindex, &dp->host_mode);
		dp->priv->host_prog_fd = prog_fd_by_id_name(id, TC_PROG_XDP_HOST);
		if (dp->priv->host_prog_fd >= 0) {
			dp->host_prog_id = id;
			dp->host_ifindex = cfg.tcv1_ifindex;
			maps_from_prog(dp->priv->host_prog_fd, &dp->maps);
		}
	}
	*out = dp;
	return 0;
err:
	dp_close(dp);
	return err;
}

int dp_detach(const char *ifname)
{
	struct dp *dp;
	int err;

	err = dp_open(ifname, &dp);
	if (err == -ENOENT)
		pr_warn("%s: tcpcrypt is not attached\n", ifname);
	if (err)
		return err;
	err = dp_detach_open(dp);
	dp_close(dp);
	return err;
}

/*
 * Detach through a handle opened earlier: netlink by the ids it recorded,
 * so a daemon that dropped CAP_SYS_ADMIN and CAP_BPF can still do it.
 */
int dp_detach_open(struct dp *dp)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = TC_TC_HANDLE, .priority = TC_TC_PRIORITY);
	struct tc_config cfg = {};
	int err, ret = 0;

	dp_config_get(dp, &cfg);

	if (dp->host_prog_id) {
		err = dp_detach_host(dp);
		if (err)
			ret = err;
	}
	if (dp->xdp_prog_id) {
		int fd = held_prog_fd(dp, false);

		err = fd >= 0 ? xdp_detach_fd(dp->ifindex, fd, dp->mode) :
				xdp_detach_id(dp->ifindex, dp->xdp_prog_id, dp->mode);
		if (err) {
			warn_perm("detaching XDP", err);
			ret = err;
		}
	}
	if (dp->tc_in_prog_id) {
		hook.ifindex = dp->ifindex;
		hook.attach_point = BPF_TC_INGRESS;
		err = bpf_tc_detach(&hook, &tco);
		hook.attach_point = BPF_TC_EGRESS;
		if (err && err != -ENOENT) {
			warn_perm("detaching the tc ingress filter", err);
			ret = err;
		}
	}
	if (dp->tc_prog_id) {
		hook.ifindex = dp->ifindex;
		err = bpf_tc_detach(&hook, &tco);
		if (err) {
			warn_perm("detaching the tc egress filter", err);
			ret = err;
		} else if (cfg.flags & TC_CFG_OWN_CLSACT) {
			/* we created it: remove it (with filters others added since) */
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			err = bpf_tc_hook_destroy(&hook);
			if (err && err != -ENOENT) {
				warn_perm("removing the clsact qdisc", err);
				ret = err;
			}
		}
	}
	return ret;
}

/* PROG as a tc filter on IFINDEX's ATTACH point (clsact created here; it goes with the veth). */
static int attach_tc(struct bpf_program *prog, int ifindex, const char *ifname,
		     enum bpf_tc_attach_point attach, __u32 priority)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = attach);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = TC_TC_HANDLE, .priority = priority,
		    .flags = BPF_TC_F_REPLACE);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		pr_warn("%s: creating the clsact qdisc: %s\n", ifname, strerror(-err));
		return err;
	}
	tco.prog_fd = bpf_program__fd(prog);
	err = bpf_tc_attach(&hook, &tco);
	if (err)
		pr_warn("%s: attaching %s: %s\n", ifname, bpf_program__name(prog),
			strerror(-err));
	return err;
}

/*
 * tc_host_tx on the egress of both ends: the host sends nothing into the
 * datapath (tcpcryptd's AF_XDP frames leave tcv1 past the qdisc layer);
 * tc_host_rx first on tcv0's ingress, before the reinjection filter.
 */
static int attach_host_tc(struct tcpcrypt_bpf *skel, int tcv0_ifindex, const char *tcv0,
			  int tcv1_ifindex, const char *tcv1)
{
	return attach_tc(skel->progs.tc_host_tx, tcv0_ifindex, tcv0, BPF_TC_EGRESS,
			 TC_TC_PRIORITY) ?:
	       attach_tc(skel->progs.tc_host_tx, tcv1_ifindex, tcv1, BPF_TC_EGRESS,
			 TC_TC_PRIORITY) ?:
	       attach_tc(skel->progs.tc_host_rx, tcv0_ifindex, tcv0, BPF_TC_INGRESS,
			 TC_HOST_RX_PRIORITY);
}

int dp_attach_host(struct dp *dp, const char *tcv1, const char *tcv0)
{
	struct tcpcrypt_bpf *skel;
	struct tc_config cfg;
	enum dp_mode used, cur;
	int ifindex, ifindex0, err, fd;
	__u32 id;

	lib_init();
	ifindex = resolve_ifindex(tcv1);
	if (ifindex < 0)
		return ifindex;
	ifindex0 = resolve_ifindex(tcv0);
	if (ifindex0 < 0)
		return ifindex0;
	id = xdp_attached(ifindex, &cur);
	if (id) {
		fd = prog_fd_by_id_name(id, TC_PROG_XDP_HOST);
		if (fd < 0) {
			pr_warn("%s: another XDP program (prog id %u) is attached\n", tcv1, id);
			return -EBUSY;
		}
		close(fd);
		err = xdp_detach_id(ifindex, id, cur);
		if (err) {
			warn_perm("detaching the old xdp_host", err);
			return err;
		}
	}

	skel = load_sharing(dp, TC_PROG_XDP_HOST, TC_PROG_TC_HOST_TX, TC_PROG_TC_HOST_RX);
	if (!skel) {
		err = -errno;
		warn_perm("loading xdp_host", err);
		return err;
	}
	err = attach_host_tc(skel, ifindex0, tcv0, ifindex, tcv1);
	if (err)
		goto err_skel;
	/*
	 * Generic XDP: tc_egress redirects into tcv1's ingress (netif_rx),
	 * which only generic XDP sees, whole and with its fragments.
	 */
	err = xdp_attach_mode(bpf_program__fd(skel->progs.xdp_host), tcv1, ifindex,
			      DP_MODE_SKB, false, &used);
	if (err)
		goto err_skel;

	err = dp_config_get(dp, &cfg);
	if (err)
		goto err_detach;
	cfg.tcv0_ifindex = ifindex0;
	cfg.tcv1_ifindex = ifindex;
	cfg.host_xdp_mode = TC_XDP_MODE_SKB;
	err = dp_config_set(dp, &cfg);
	if (err)
		goto err_detach;

	if (dp->maps.xsks_host < 0)
		dp->maps.xsks_host = fcntl(bpf_map__fd(skel->maps.xsks_host), F_DUPFD_CLOEXEC, 3);
	/* tc mode: no xdp_wire holds xsks_wire; xdp_host does */
	if (dp->maps.xsks_wire < 0)
		dp->maps.xsks_wire = fcntl(bpf_map__fd(skel->maps.xsks_wire), F_DUPFD_CLOEXEC, 3);
	tcpcrypt_bpf__destroy(dp->priv->host_skel);
	dp->priv->host_skel = skel;
	if (dp->priv->host_prog_fd >= 0)	/* the replaced program, if any */
		close(dp->priv->host_prog_fd);
	dp->priv->host_prog_fd = -1;
	dp->host_ifindex = ifindex;
	dp->host_mode = used;
	dp->host_prog_id = xdp_attached(ifindex, NULL);
	return 0;

err_detach:
	xdp_detach_id(ifindex, xdp_attached(ifindex, NULL), used);
err_skel:
	tcpcrypt_bpf__destroy(skel);
	return err;
}

int dp_detach_host(struct dp *dp)
{
	struct tc_config cfg;
	int err = 0;

	if (!dp_config_get(dp, &cfg)) {
		cfg.tcv0_ifindex = 0;
		cfg.tcv1_ifindex = 0;
		cfg.host_xdp_mode = TC_XDP_MODE_NONE;
		dp_config_set(dp, &cfg);
	}
	/* tc_host_tx and its clsact go with the veth pair (deleted by tcpcryptd) */
	if (dp->host_ifindex && dp->host_prog_id) {
		__u32 id = xdp_attached(dp->host_ifindex, NULL);

		/* only if it is still the program we know */
		if (id == dp->host_prog_id) {
			int fd = held_prog_fd(dp, true);

			err = fd >= 0 ? xdp_detach_fd(dp->host_ifindex, fd, dp->host_mode) :
					xdp_detach_id(dp->host_ifindex, id, dp->host_mode);
			if (err)
				warn_perm("detaching xdp_host", err);
		}
	}
	dp->host_ifindex = 0;
	dp->host_prog_id = 0;
	return err;
}

/* ---- maps ---- */
static int map_err(int err)
{
	return err < 0 ? -errno : 0;
}

int dp_config_get(struct dp *dp, struct tc_config *cfg)
{
	__u32 zero = 0;

	return map_err(bpf_map_lookup_elem(dp->maps.config, &zero, cfg));
}

int dp_config_set(struct dp *dp, const struct tc_config *cfg)
{
	__u32 zero = 0;

	return map_err(bpf_map_update_elem(dp->maps.config, &zero, cfg, BPF_ANY));
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int dp_heartbeat(struct dp *dp, __u32 pid, __u32 generation)
{
	struct tc_live live = { .heartbeat_ns = now_ns(), .pid = pid,
				.generation = generation };
	__u32 zero = 0;

	return map_err(bpf_map_update_elem(dp->maps.live, &zero, &live, BPF_ANY));
}

int dp_mark_dead(struct dp *dp)
{
	struct tc_live live = {};
	__u32 zero = 0;

	return map_err(bpf_map_update_elem(dp->maps.live, &zero, &live, BPF_ANY));
}

int dp_live_get(struct dp *dp, struct tc_live *live)
{
	__u32 zero = 0;

	return map_err(bpf_map_lookup_elem(dp->maps.live, &zero, live));
}

int dp_daemon_alive(struct dp *dp)
{
	struct tc_config cfg;
	struct tc_live live;
	__u64 now, timeout;
	int err;

	err = dp_config_get(dp, &cfg) ?: dp_live_get(dp, &live);
	if (err)
		return err;
	if (!live.heartbeat_ns)
		return 0;
	now = now_ns();
	if (live.heartbeat_ns >= now)
		return 1;
	timeout = cfg.hb_timeout_ms ? cfg.hb_timeout_ms : TC_HB_TIMEOUT_MS;
	return now - live.heartbeat_ns <= timeout * 1000000ULL;
}

void dp_flow_key_v4(struct tc_flow_key *k, const void *local4, const void *remote4,
		    __be16 lport, __be16 rport)
{
	memset(k, 0, sizeof(*k));
	k->family = AF_INET;
	memcpy(k->local, local4, 4);
	memcpy(k->remote, remote4, 4);
	k->lport = lport;
	k->rport = rport;
}

void dp_flow_key_v6(struct tc_flow_key *k, const void *local6, const void *remote6,
		    __be16 lport, __be16 rport)
{
	memset(k, 0, sizeof(*k));
	k->family = AF_INET6;
	memcpy(k->local, local6, 16);
	memcpy(k->remote, remote6, 16);
	k->lport = lport;
	k->rport = rport;
}

int dp_flow_update(struct dp *dp, const struct tc_flow_key *k, const struct tc_flow_val *v)
{
	return map_err(bpf_map_update_elem(dp->maps.flows, k, v, BPF_ANY));
}

int dp_flow_lookup(struct dp *dp, const struct tc_flow_key *k, struct tc_flow_val *v)
{
	return map_err(bpf_map_lookup_elem(dp->maps.flows, k, v));
}

int dp_flow_delete(struct dp *dp, const struct tc_flow_key *k)
{
	return map_err(bpf_map_delete_elem(dp->maps.flows, k));
}

/*
 * Walk a hash map WALK_BATCH entries per system call (BPF_MAP_LOOKUP_BATCH).
 * One get_next_key and one lookup per entry made tcpcryptd's once-a-second
 * walk of tc_sessions cost two system calls per listed connection. A kernel
 * that cannot batch this map (the first call fails EINVAL or EOPNOTSUPP) is
 * walked entry by entry. fn's first error stops the walk and is returned.
 */
#define WALK_BATCH	256
#ifndef ENOTSUPP
#define ENOTSUPP	524	/* the kernel's, not in libc's errno.h */
#endif

typedef int (*walk_fn)(const void *k, const void *v, void *arg);

static int walk_one_by_one(int fd, void *key, void *next, void *val, size_t ksz,
			   walk_fn fn, void *arg)
{
	void *prev = NULL;
	int err;

	while (!(err = map_err(bpf_map_get_next_key(fd, prev, next)))) {
		memcpy(key, next, ksz);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, val))
			continue;	/* deleted meanwhile */
		err = fn(key, val, arg);
		if (err)
			return err;
	}
	return err == -ENOENT ? 0 : err;
}

static int map_walk(int fd, size_t ksz, size_t vsz, walk_fn fn, void *arg)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 in_tok = 0, out_tok = 0, n, i;
	void *keys, *vals, *in = NULL;
	int err, r = 0;

	keys = malloc(WALK_BATCH * ksz);
	vals = malloc(WALK_BATCH * vsz);
	if (!keys || !vals) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		n = WALK_BATCH;
		err = map_err(bpf_map_lookup_batch(fd, in, &out_tok, keys, vals, &n, &opts));
		if (err && err != -ENOENT) {
			if (!in && (err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUPP))
				r = walk_one_by_one(fd, keys, (char *)keys + ksz, vals, ksz,
						    fn, arg);
			else
				r = err;
			goto out;
		}
		for (i = 0; i < n && !r; i++)
			r = fn((char *)keys + i * ksz, (char *)vals + i * vsz, arg);
		if (r || err == -ENOENT)	/* ENOENT: that was the last batch */
			goto out;
		in_tok = out_tok;
		in = &in_tok;
	}
out:
	free(keys);
	free(vals);
	return r;
}

struct walk_flows {
	int (*fn)(const struct tc_flow_key *k, const struct tc_flow_val *v, void *arg);
	void *arg;
};

static int walk_flow(const void *k, const void *v, void *arg)
{
	const struct walk_flows *w = arg;

	return w->fn(k, v, w->arg);
}

int dp_flow_iterate(struct dp *dp,
		    int (*fn)(const struct tc_flow_key *k, const struct tc_flow_val *v, void *arg),
		    void *arg)
{
	struct walk_flows w = { fn, arg };

	return map_walk(dp->maps.flows, sizeof(struct tc_flow_key), sizeof(struct tc_flow_val),
			walk_flow, &w);
}

static int xsk_map(struct dp *dp, bool host)
{
	return host ? dp->maps.xsks_host : dp->maps.xsks_wire;
}

int dp_xsk_set(struct dp *dp, bool host, __u32 queue, int xsk_fd)
{
	return map_err(bpf_map_update_elem(xsk_map(dp, host), &queue, &xsk_fd, BPF_ANY));
}

int dp_xsk_clear(struct dp *dp, bool host, __u32 queue)
{
	int err = map_err(bpf_map_delete_elem(xsk_map(dp, host), &queue));

	return err == -ENOENT ? 0 : err;
}

/*
 * XSKMAP slots cannot be read from userspace (lookup is EOPNOTSUPP and
 * get_next_key walks every index), so ask xdp_probe through
 * BPF_PROG_TEST_RUN.
 */
int dp_xsk_count(struct dp *dp, bool host, __u64 *bitmap)
{
	__u64 pkt[8] = {}, out[8] = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	__u64 bits;
	int err;

	if (bitmap)
		*bitmap = 0;
	if (!dp->priv->probe_skel) {
		dp->priv->probe_skel = load_sharing(dp, "xdp_probe", NULL, NULL);
		if (!dp->priv->probe_skel)
			return -errno;
	}
	err = bpf_prog_test_run_opts(bpf_program__fd(dp->priv->probe_skel->progs.xdp_probe),
				     &o);
	if (err)
		return -errno;
	if (o.retval != XDP_PASS)
		return -EIO;
	bits = out[host ? 1 : 0];
	if (bitmap)
		*bitmap = bits;
	return __builtin_popcountll(bits);
}

int dp_counters_read(struct dp *dp, __u64 out[TC_DIR_MAX][TC_CTR_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	__u32 d, c;
	int i;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (d = 0; d < TC_DIR_MAX; d++)
		for (c = 0; c < TC_CTR_MAX; c++) {
			__u32 key = d * TC_CTR_MAX + c;

			out[d][c] = 0;
			if (bpf_map_lookup_elem(dp->maps.counters, &key, vals))
				continue;
			for (i = 0; i < ncpu; i++)
				out[d][c] += vals[i];
		}
	free(vals);
	return 0;
}

/* ---- tc_sessions and tc_dstats (tcnetstat's view; no BPF user) ---- */
int dp_session_put(struct dp *dp, const struct tc_flow_key *k, const struct tc_session *s)
{
	if (dp->maps.sessions < 0)
		return -ENOENT;
	return map_err(bpf_map_update_elem(dp->maps.sessions, k, s, BPF_ANY));
}

int dp_session_get(struct dp *dp, const struct tc_flow_key *k, struct tc_session *s)
{
	if (dp->maps.sessions < 0)
		return -ENOENT;
	return map_err(bpf_map_lookup_elem(dp->maps.sessions, k, s));
}

int dp_session_del(struct dp *dp, const struct tc_flow_key *k)
{
	if (dp->maps.sessions < 0)
		return -ENOENT;
	return map_err(bpf_map_delete_elem(dp->maps.sessions, k));
}

struct walk_sessions {
	int (*fn)(const struct tc_flow_key *k, const struct tc_session *s, void *arg);
	void *arg;
};

static int walk_session(const void *k, const void *v, void *arg)
{
	const struct walk_sessions *w = arg;

	return w->fn(k, v, w->arg);
}

int dp_session_iterate(struct dp *dp,
		       int (*fn)(const struct tc_flow_key *k, const struct tc_session *s,
				 void *arg),
		       void *arg)
{
	struct walk_sessions w = { fn, arg };

	if (dp->maps.sessions < 0)
		return -ENOENT;
	return map_walk(dp->maps.sessions, sizeof(struct tc_flow_key),
			sizeof(struct tc_session), walk_session, &w);
}

int dp_dstats_put(struct dp *dp, __u32 slot, const struct tc_dstats *st)
{
	if (dp->maps.dstats < 0)
		return -ENOENT;
	return map_err(bpf_map_update_elem(dp->maps.dstats, &slot, st, BPF_ANY));
}

int dp_dstats_get(struct dp *dp, __u32 slot, struct tc_dstats *st)
{
	if (dp->maps.dstats < 0)
		return -ENOENT;
	return map_err(bpf_map_lookup_elem(dp->maps.dstats, &slot, st));
}
