// SPDX-License-Identifier: GPL-2.0
/* The plain/JSON printer: one call sequence, two outputs; and policy files. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "common/json.h"
#include "common/policy.h"

static char *render(bool json, bool pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jp *jp;

	assert_non_null(f);
	jp = jp_new(f, json, pretty);
	assert_non_null(jp);
	jp_arr_open(jp, NULL);
	jp_obj_open(jp, NULL);
	jp_str(jp, "ifname", "%s:", "eth\"0\\\n");
	jp_uint(jp, "id", " id %llu", 18446744073709551615ULL);
	jp_int(jp, "neg", " neg %lld", -5);
	jp_bool(jp, "alive", " alive %s", true);
	jp_null(jp, "host", " host none");
	jp_arr_open(jp, "queues");
	jp_uint(jp, NULL, " q%llu", 0);
	jp_uint(jp, NULL, " q%llu", 3);
	jp_arr_close(jp);
	jp_arr_open(jp, "empty");
	jp_arr_close(jp);
	jp_obj_open(jp, "sub");
	jp_str(jp, "k", NULL, "v");	/* JSON only */
	jp_obj_close(jp);
	jp_plain(jp, "\n");
	jp_obj_close(jp);
	jp_arr_close(jp);
	jp_free(jp);
	fclose(f);
	return buf;
}

static void test_json_compact(void **state)
{
	char *s = render(true, false);

	assert_string_equal(s, "[{\"ifname\":\"eth\\\"0\\\\\\n\",\"id\":18446744073709551615,"
			    "\"neg\":-5,\"alive\":true,\"host\":null,\"queues\":[0,3],"
			    "\"empty\":[],\"sub\":{\"k\":\"v\"}}]\n");
	free(s);
}

static void test_plain(void **state)
{
	char *s = render(false, false);

	assert_string_equal(s, "eth\"0\\\n: id 18446744073709551615 neg -5 alive on host none"
			    " q0 q3\n");
	free(s);
}

static void test_json_pretty_same_content(void **state)
{
	char *s = render(true, true), *p, *q;

	/* without whitespace, pretty output equals the compact one */
	for (p = q = s; *p; p++)
		if (*p != ' ' && *p != '\n')
			*q++ = *p;
	*q = 0;
	assert_string_equal(s, "[{\"ifname\":\"eth\\\"0\\\\\\n\",\"id\":18446744073709551615,"
			    "\"neg\":-5,\"alive\":true,\"host\":null,\"queues\":[0,3],"
			    "\"empty\":[],\"sub\":{\"k\":\"v\"}}]");
	free(s);
}

static void test_policy_file(void **state)
{
	char path[] = "/tmp/tc-policy-XXXXXX", err[256];
	const char *text = "# comment\n"
			   "include net 10.0.0.0/8   # trailing comment\n"
			   "exclude net 2001:db8::/32 include port 80-81\n"
			   "\n"
			   "fail-closed on\n";
	struct policy p;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	policy_init(&p);
	assert_int_equal(policy_parse_file(&p, path, err, sizeof(err)), 0);
	assert_int_equal(p.n, 4);	/* port = lport + rport */
	assert_int_equal(p.rules[0].kind, POLICY_NET);
	assert_int_equal(p.rules[0].prefixlen, 8);
	assert_int_equal(p.rules[1].action, TC_POL_EXCLUDE);
	assert_int_equal(p.rules[1].prefixlen, 32);
	assert_int_equal(p.rules[2].kind, POLICY_LPORT);
	assert_int_equal(p.rules[3].kind, POLICY_RPORT);
	assert_int_equal(p.rules[3].port_lo, 80);
	assert_int_equal(p.rules[3].port_hi, 81);
	assert_int_equal(p.fail_closed, 1);
	assert_int_equal(p.enabled, -1);
	policy_free(&p);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "include port 80\ninclude nett 1.2.3.4\n", 37), 37);
	close(fd);
	policy_init(&p);
	assert_int_equal(policy_parse_file(&p, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: unknown selector 'nett'"));
	policy_free(&p);
	unlink(path);
}

/* Text in memory: every word of a line counts, and nothing is dropped. */
static void test_policy_buf(void **state)
{
	const char *many = "enabled on enabled off enabled on enabled off "
			   "fail-closed on steer-all on include port 1 "
			   "exclude net ::ffff:1.2.3.4/100";
	char long_line[POLICY_LINE_MAX + 2], err[256], *out = NULL;
	struct policy p, q;
	size_t len = 0, i;
	FILE *f;

	/* more than 8 words on a line: all of them are rules (they were
	 * silently dropped beyond the 8th) */
	policy_init(&p);
	assert_int_equal(policy_parse_buf(&p, many, strlen(many), "t", err,
					  sizeof(err)), 0);
	assert_int_equal(p.enabled, 0);
	assert_int_equal(p.fail_closed, 1);
	assert_int_equal(p.steer_all, 1);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.rules[2].family, AF_INET6);
	assert_int_equal(p.rules[2].prefixlen, 100);

	/* written out and read back: the same policy */
	f = open_memstream(&out, &len);
	assert_non_null(f);
	assert_int_equal(policy_write(&p, f), 0);
	fclose(f);
	policy_init(&q);
	assert_int_equal(policy_parse_buf(&q, out, len, "w", err, sizeof(err)), 0);
	assert_int_equal(q.n, p.n);
	assert_memory_equal(q.rules, p.rules, p.n * sizeof(p.rules[0]));
	assert_int_equal(q.enabled, p.enabled);
	assert_int_equal(q.fail_closed, p.fail_closed);
	assert_int_equal(q.steer_all, p.steer_all);
	free(out);
	policy_free(&q);
	policy_free(&p);

	/* a line too long is an error, not two lines */
	memset(long_line, ' ', sizeof(long_line));
	memcpy(long_line, "include port 80", 15);
	long_line[POLICY_LINE_MAX] = '9';
	policy_init(&p);
	assert_int_equal(policy_parse_buf(&p, long_line, POLICY_LINE_MAX, "t",
					  err, sizeof(err)), 0);
	assert_int_equal(policy_parse_buf(&p, long_line, POLICY_LINE_MAX + 1,
					  "t", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t:1: line longer than"));
	policy_free(&p);
	/* a NUL byte is an error, not the end of the line */
	policy_init(&p);
	assert_int_equal(policy_parse_buf(&p, "enabled on\n\0include", 19, "t",
					  err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t:2: NUL byte"));
	assert_int_equal(p.enabled, 1);		/* line 1 stays */
	policy_free(&p);
	for (i = 0; i < 2; i++) {
		policy_init(&p);
		assert_int_equal(policy_parse_buf(&p, i ? NULL : "", 0, "t", err,
						  sizeof(err)), 0);
		assert_int_equal(p.n, 0);
		policy_free(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_compact),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_json_pretty_same_content),
		cmocka_unit_test(test_policy_file),
		cmocka_unit_test(test_policy_buf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
