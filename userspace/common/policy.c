// SPDX-License-Identifier: GPL-2.0
/* Steering policy: text rules -> policy maps (see policy.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <bpf/bpf.h>

#include "common/dp_attach.h"
#include "common/json.h"
#include "common/policy.h"

void policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->enabled = p->fail_closed = p->steer_all = -1;
}

void policy_free(struct policy *p)
{
	free(p->rules);
	policy_init(p);
}

static int push(struct policy *p, const struct policy_rule *r)
{
	if (p->n == p->cap) {
		int cap = p->cap ? p->cap * 2 : 16;
		struct policy_rule *n = realloc(p->rules, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->rules = n;
		p->cap = cap;
	}
	p->rules[p->n++] = *r;
	return 0;
}

static __attribute__((format(printf, 3, 4)))
int perr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int parse_onoff(const char *s, int *v)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "1"))
		*v = 1;
	else if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "0"))
		*v = 0;
	else
		return -EINVAL;
	return 0;
}

static int parse_port(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || end == s || *v > 65535)
		return -EINVAL;
	return end - s;
}

static int parse_ports(const char *s, __u16 *lo, __u16 *hi)
{
	unsigned long a, b;
	int n = parse_port(s, &a);

	if (n < 0)
		return n;
	b = a;
	if (s[n] == '-') {
		int m = parse_port(s + n + 1, &b);

		if (m < 0 || s[n + 1 + m])
			return -EINVAL;
	} else if (s[n]) {
		return -EINVAL;
	}
	if (b < a || b - a + 1 > TC_POL_PORTS_MAX)
		return -ERANGE;
	*lo = a;
	*hi = b;
	return 0;
}

static int parse_prefix(const char *s, struct policy_rule *r)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long plen;
	int max;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	memset(r->addr, 0, sizeof(r->addr));
	if (inet_pton(AF_INET, buf, r->addr) == 1) {
		r->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, r->addr) == 1) {
		r->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	plen = max;
	if (slash) {
		errno = 0;
		plen = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || plen > (unsigned long)max)
			return -EINVAL;
	}
	r->prefixlen = plen;
	return 0;
}

int policy_parse_words(struct policy *p, int argc, char **argv, int *used,
		       char *err, size_t errlen)
{
	struct policy_rule r = {};
	int *flag = NULL;

	*used = 0;
	if (argc < 1)
		return perr(err, errlen, "empty rule");
	if (strcmp(argv[0], "include") && strcmp(argv[0], "exclude") &&
	    strcmp(argv[0], "fail-closed") && strcmp(argv[0], "enabled") &&
	    strcmp(argv[0], "steer-all"))
		return perr(err, errlen, "unknown rule '%s' (expected include, exclude, "
			    "fail-closed, enabled, steer-all)", argv[0]);
	if (argc < 2)
		return perr(err, errlen, "incomplete rule '%s'", argv[0]);
	if (!strcmp(argv[0], "fail-closed"))
		flag = &p->fail_closed;
	else if (!strcmp(argv[0], "enabled"))
		flag = &p->enabled;
	else if (!strcmp(argv[0], "steer-all"))
		flag = &p->steer_all;
	if (flag) {
		if (parse_onoff(argv[1], flag))
			return perr(err, errlen, "%s: expected on or off, not '%s'",
				    argv[0], argv[1]);
		*used = 2;
		return 0;
	}

	if (!strcmp(argv[0], "include"))
		r.action = TC_POL_INCLUDE;
	else if (!strcmp(argv[0], "exclude"))
		r.action = TC_POL_EXCLUDE;
	else
		return perr(err, errlen, "unknown rule '%s'", argv[0]);
	if (argc < 3)
		return perr(err, errlen, "%s %s: missing value", argv[0], argv[1]);

	if (!strcmp(argv[1], "net")) {
		r.kind = POLICY_NET;
		if (parse_prefix(argv[2], &r))
			return perr(err, errlen, "bad prefix '%s' (e.g. 10.0.0.0/8, "
				    "2001:db8::/32)", argv[2]);
	} else if (!strcmp(argv[1], "port") || !strcmp(argv[1], "lport") ||
		   !strcmp(argv[1], "rport")) {
		int e = parse_ports(argv[2], &r.port_lo, &r.port_hi);

		if (e == -ERANGE)
			return perr(err, errlen, "port range '%s' is larger than %d ports",
				    argv[2], TC_POL_PORTS_MAX);
		if (e)
			return perr(err, errlen, "bad port '%s' (e.g. 443 or 8000-8080)",
				    argv[2]);
		r.kind = argv[1][0] == 'r' ? POLICY_RPORT : POLICY_LPORT;
		if (!strcmp(argv[1], "port")) {
			int e2 = push(p, &r);

			if (e2)
				return e2;
			r.kind = POLICY_RPORT;
		}
	} else {
		return perr(err, errlen, "unknown selector '%s' (expected net, port, lport, "
			    "rport)", argv[1]);
	}
	*used = 3;
	return push(p, &r);
}

int policy_parse_file(struct policy *p, const char *path, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char line[512], msg[256];
	int lineno = 0, ret = 0;

	if (!f)
		return perr(err, errlen, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *words[8], *save = NULL, *w;
		int n = 0, i = 0, used;

		lineno++;
		line[strcspn(line, "#\n")] = 0;
		for (w = strtok_r(line, " \t\r", &save); w && n < 8;
		     w = strtok_r(NULL, " \t\r", &save))
			words[n++] = w;
		while (i < n) {
			ret = policy_parse_words(p, n - i, words + i, &used, msg, sizeof(msg));
			if (ret) {
				perr(err, errlen, "%s:%d: %s", path, lineno, msg);
				goto out;
			}
			i += used;
		}
	}
out:
	if (f != stdin)
		fclose(f);
	return ret;
}

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
