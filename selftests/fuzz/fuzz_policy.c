// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the steering-policy parser
 * (userspace/common/policy_parse.c, no libbpf).
 *
 * The input is policy text. It is parsed from memory (policy_parse_buf)
 * and from a file (policy_parse_file on a memfd): both must give the same
 * result, rules and error. Every rule must be well formed, every error must
 * come with a message. A policy that parses is written out (policy_write)
 * and read back: the same flags and rules. The first line is also split
 * into words for policy_parse_words, which must agree with the text parser
 * on the rules it takes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "common/policy.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static void well_formed(const struct policy *p)
{
	int i;

	CHECK(p->n >= 0 && p->n <= p->cap);
	CHECK(p->enabled >= -1 && p->enabled <= 1);
	CHECK(p->fail_closed >= -1 && p->fail_closed <= 1);
	CHECK(p->steer_all >= -1 && p->steer_all <= 1);
	for (i = 0; i < p->n; i++) {
		const struct policy_rule *r = &p->rules[i];

		CHECK(r->action == TC_POL_INCLUDE || r->action == TC_POL_EXCLUDE);
		if (r->kind == POLICY_NET) {
			CHECK(r->family == AF_INET || r->family == AF_INET6);
			CHECK(r->prefixlen <= (r->family == AF_INET ? 32 : 128));
		} else {
			CHECK(r->kind == POLICY_LPORT || r->kind == POLICY_RPORT);
			CHECK(r->port_lo <= r->port_hi);
			CHECK(r->port_hi - r->port_lo + 1 <= TC_POL_PORTS_MAX);
		}
	}
}

static void same(const struct policy *a, const struct policy *b)
{
	CHECK(a->n == b->n);
	CHECK(a->enabled == b->enabled && a->fail_closed == b->fail_closed &&
	      a->steer_all == b->steer_all);
	/* rules are built from zeroed structs: byte comparison is exact */
	CHECK(!a->n || !memcmp(a->rules, b->rules, a->n * sizeof(a->rules[0])));
}

/* Through a file, as tcpcryptd and the loader read policies. */
static int parse_as_file(struct policy *p, const uint8_t *data, size_t size,
			 char *err, size_t errlen)
{
	char path[64];
	int fd, ret;

	fd = memfd_create("policy", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(write(fd, data, size) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = policy_parse_file(p, path, err, errlen);
	close(fd);
	return ret;
}

/* The first line as argv words, rule by rule. */
static void words(const uint8_t *data, size_t size)
{
	char line[POLICY_LINE_MAX + 1], *w[POLICY_LINE_MAX / 2 + 1], *save, *t;
	char err[256], msg[256];
	struct policy p, q;
	size_t len;
	int n = 0, i = 0, used, ret = 0;

	len = strnlen((const char *)data, size);
	t = memchr(data, '\n', len);
	if (t)
		len = (size_t)(t - (const char *)data);
	if (len > POLICY_LINE_MAX || memchr(data, '#', len))
		return;
	memcpy(line, data, len);
	line[len] = 0;
	for (t = strtok_r(line, " \t\r", &save); t;
	     t = strtok_r(NULL, " \t\r", &save))
		w[n++] = t;
	policy_init(&p);
	while (i < n) {
		used = -1;
		msg[0] = 0;
		ret = policy_parse_words(&p, n - i, w + i, &used, msg,
					 sizeof(msg));
		if (ret) {
			CHECK(ret == -EINVAL || ret == -ENOMEM);
			CHECK(ret == -ENOMEM || msg[0]);
			break;
		}
		CHECK(used == 2 || used == 3);
		i += used;
	}
	well_formed(&p);
	/* the text parser on that line alone: same verdict, same rules */
	policy_init(&q);
	CHECK(policy_parse_buf(&q, (const char *)data, len, "w", err,
			       sizeof(err)) == ret);
	same(&p, &q);
	policy_free(&q);
	policy_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], err2[512], *out = NULL;
	struct policy p, f, q;
	size_t out_len = 0;
	FILE *mf;
	int ret, ret2;

	if (size > 64 * 1024)
		return 0;
	policy_init(&p);
	err[0] = 0;
	ret = policy_parse_buf(&p, (const char *)data, size, "fuzz", err,
			       sizeof(err));
	CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	CHECK(ret == 0 || ret == -ENOMEM || !strncmp(err, "fuzz:", 5));
	CHECK(memchr(err, 0, sizeof(err)));
	well_formed(&p);

	policy_init(&f);
	err2[0] = 0;
	ret2 = parse_as_file(&f, data, size, err2, sizeof(err2));
	CHECK(ret2 == ret);
	same(&p, &f);
	/* the same message, but for the file's name */
	if (ret == -EINVAL)
		CHECK(!strcmp(strchr(err, ':'), strchr(err2, ':')));
	policy_free(&f);

	if (!ret) {
		mf = open_memstream(&out, &out_len);
		CHECK(mf);
		CHECK(policy_write(&p, mf) == 0);
		CHECK(fclose(mf) == 0);
		policy_init(&q);
		CHECK(policy_parse_buf(&q, out, out_len, "out", err,
				       sizeof(err)) == 0);
		same(&p, &q);
		policy_free(&q);
		free(out);
	}
	policy_free(&p);
	words(data, size);
	return 0;
}
