// SPDX-License-Identifier: GPL-2.0
/*
 * Steering policy: the text parser and writer (see policy.h). Pure: no BPF,
 * no libbpf, so the fuzzer (selftests/fuzz/fuzz_policy.c) links it alone.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

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

/* One line (no newline, len <= POLICY_LINE_MAX); errors name the line. */
static int parse_line(struct policy *p, const char *text, size_t len,
		      const char *name, int lineno, char *err, size_t errlen)
{
	char line[POLICY_LINE_MAX + 1], msg[256];
	char *words[POLICY_LINE_MAX / 2 + 1], *save = NULL, *w;
	int n = 0, i = 0, used, ret;

	if (len > POLICY_LINE_MAX)
		return perr(err, errlen, "%s:%d: line longer than %d characters",
			    name, lineno, POLICY_LINE_MAX);
	if (memchr(text, 0, len))
		return perr(err, errlen, "%s:%d: NUL byte", name, lineno);
	memcpy(line, text, len);
	line[len] = 0;
	line[strcspn(line, "#")] = 0;
	/* at most POLICY_LINE_MAX / 2 + 1 words fit in a line */
	for (w = strtok_r(line, " \t\r", &save); w;
	     w = strtok_r(NULL, " \t\r", &save))
		words[n++] = w;
	while (i < n) {
		ret = policy_parse_words(p, n - i, words + i, &used, msg,
					 sizeof(msg));
		if (ret)
			return perr(err, errlen, "%s:%d: %s", name, lineno, msg);
		i += used;
	}
	return 0;
}

int policy_parse_buf(struct policy *p, const char *buf, size_t len,
		     const char *name, char *err, size_t errlen)
{
	const char *nl;
	size_t off = 0, n;
	int lineno = 0, ret;

	while (off < len) {
		nl = memchr(buf + off, '\n', len - off);
		n = nl ? (size_t)(nl - (buf + off)) : len - off;
		ret = parse_line(p, buf + off, n, name, ++lineno, err, errlen);
		if (ret)
			return ret;
		off += n + (nl ? 1 : 0);
	}
	return 0;
}

int policy_parse_file(struct policy *p, const char *path, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;
	int ret = 0;

	if (!f)
		return perr(err, errlen, "%s: %s", path, strerror(errno));
	/* read it all, then parse as text: one parser for files and buffers */
	for (;;) {
		if (len == cap) {
			if (cap >= POLICY_FILE_MAX) {
				ret = perr(err, errlen, "%s: larger than %d bytes",
					   path, POLICY_FILE_MAX);
				goto out;
			}
			cap = cap ? 2 * cap : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		ret = perr(err, errlen, "%s: read error", path);
	else
		ret = policy_parse_buf(p, buf, len, path, err, errlen);
out:
	free(buf);
	if (f != stdin)
		fclose(f);
	return ret;
}

static const char *action_word(__u8 a)
{
	return a == TC_POL_EXCLUDE ? "exclude" : "include";
}

int policy_write(const struct policy *p, FILE *f)
{
	static const char *const flag_names[] = {
		"enabled", "fail-closed", "steer-all",
	};
	const int flags[] = { p->enabled, p->fail_closed, p->steer_all };
	char a[INET6_ADDRSTRLEN];
	int i;

	for (i = 0; i < 3; i++)
		if (flags[i] >= 0)
			fprintf(f, "%s %s\n", flag_names[i], flags[i] ? "on" : "off");
	for (i = 0; i < p->n; i++) {
		const struct policy_rule *r = &p->rules[i];

		if (r->kind == POLICY_NET) {
			if (!inet_ntop(r->family, r->addr, a, sizeof(a)))
				return -EINVAL;
			fprintf(f, "%s net %s/%u\n", action_word(r->action), a,
				r->prefixlen);
		} else {
			fprintf(f, "%s %s %u-%u\n", action_word(r->action),
				r->kind == POLICY_RPORT ? "rport" : "lport",
				r->port_lo, r->port_hi);
		}
	}
	return ferror(f) ? -EIO : 0;
}
