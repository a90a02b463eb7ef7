// SPDX-License-Identifier: GPL-2.0
/*
 * libtcpcrypt against tcpcryptd's own request code (ctl_req.c, ctl_sock.c,
 * compiled in here) serving a control socket from a thread, with a fake
 * flow table behind it: every option, every error of the draft, socket
 * passing (the daemon's copy closed, extra descriptors closed), settings
 * handed to the flow table per local port, the sweep that forgets them,
 * and the checks on the daemon (trusted uid) and on the socket (TCP, ours).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cmocka.h>

#include "tcpcryptd/ctl_req.c"
#include "tcpcryptd/ctl_sock.c"
#include "tcpcrypt/tcpcrypt.h"

/* ---- the fake flow table ---- */

#define FAKE_MAX	8

struct fake_sess {
	struct tc_flow_key key;
	int ret;		/* what flow_session() returns */
	int notconn_calls;	/* first this many calls: -ENOTCONN */
	struct tc_session_info info;
};

struct opts_call {
	uint8_t family;
	uint16_t lport;
	bool removed, oneshot;
	struct tc_conn_opts o;
};

static struct {
	struct fake_sess s[FAKE_MAX];
	int ns;
	struct opts_call calls[64];
	int ncalls;
	struct { uint64_t ino; enum ctl_fate fate; } fates[FAKE_MAX];
	int nfates;
	int refreshes;
	bool engine;
	struct tc_engine_cfg cfg;
	int flushes;
	struct tc_flow_key flushed;
} fk;

static int fake_session(void *arg, const struct tc_flow_key *k, struct tc_session_info *info)
{
	int i;

	for (i = 0; i < fk.ns; i++) {
		if (memcmp(&fk.s[i].key, k, sizeof(*k)))
			continue;
		if (fk.s[i].notconn_calls > 0) {
			fk.s[i].notconn_calls--;
			return -ENOTCONN;
		}
		*info = fk.s[i].info;
		return fk.s[i].ret;
	}
	return -ENOENT;
}

static int fake_resume_flush(void *arg, const struct tc_flow_key *k)
{
	fk.flushes++;
	fk.flushed = *k;
	return fake_session(arg, k, &(struct tc_session_info){ 0 }) == -ENOENT ? -ENOENT : 1;
}

static int fake_opts_set(void *arg, uint8_t family, uint16_t lport, const struct tc_conn_opts *o,
			 bool oneshot)
{
	struct opts_call *c = &fk.calls[fk.ncalls++ % 64];

	memset(c, 0, sizeof(*c));
	c->family = family;
	c->lport = lport;
	c->removed = !o;
	c->oneshot = oneshot;
	if (o)
		c->o = *o;
	return 0;
}

static const struct tc_engine_cfg *fake_engine(void *arg)
{
	return fk.engine ? &fk.cfg : NULL;
}

static void fake_refresh(void *arg)
{
	fk.refreshes++;
}

static enum ctl_fate fake_fate(void *arg, int family, uint64_t ino)
{
	int i;

	for (i = 0; i < fk.nfates; i++)
		if (fk.fates[i].ino == ino)
			return fk.fates[i].fate;
	return CTL_FATE_UNCONNECTED;
}

static void set_fate(uint64_t ino, enum ctl_fate f)
{
	int i;

	for (i = 0; i < fk.nfates; i++)
		if (fk.fates[i].ino == ino) {
			fk.fates[i].fate = f;
			return;
		}
	fk.fates[fk.nfates].ino = ino;
	fk.fates[fk.nfates++].fate = f;
}

/* ---- the daemon: a thread serving the control socket ---- */

static struct {
	struct ctl_req_state rs;
	pthread_t thread;
	int lfd;
	volatile int stop;
	char name[64];
} srv;

static void *serve_thread(void *arg)
{
	while (!srv.stop) {
		struct pollfd p = { .fd = srv.lfd, .events = POLLIN };
		int cfd;

		if (poll(&p, 1, 20) <= 0)
			continue;
		cfd = accept4(srv.lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0)
			continue;
		ctl_serve(&srv.rs, cfd, 0);
		close(cfd);
	}
	return NULL;
}

static int setup(void **state)
{
	struct ctl_backend be = {
		.session = fake_session, .resume_flush = fake_resume_flush,
		.opts_set = fake_opts_set, .engine = fake_engine,
		.refresh = fake_refresh, .fate = fake_fate,
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char uid[16];

	memset(&fk, 0, sizeof(fk));
	fk.engine = true;
	tc_engine_cfg_default(&fk.cfg);
	log_set_level(LOG_LEVEL_WARN);
	snprintf(srv.name, sizeof(srv.name), "tcpcryptd-test-%d", getpid());
	ctl_req_init(&srv.rs, &be, 4242, "test0");
	srv.lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(srv.lfd >= 0);
	memcpy(sa.sun_path + 1, srv.name, strlen(srv.name));
	assert_int_equal(bind(srv.lfd, (struct sockaddr *)&sa,
			      offsetof(struct sockaddr_un, sun_path) + 1 + strlen(srv.name)), 0);
	assert_int_equal(listen(srv.lfd, 8), 0);
	srv.stop = 0;
	assert_int_equal(pthread_create(&srv.thread, NULL, serve_thread, NULL), 0);
	setenv("TCPCRYPT_CTL", srv.name, 1);
	snprintf(uid, sizeof(uid), "%u", (unsigned int)getuid());
	setenv("TCPCRYPT_DAEMON_UID", uid, 1);
	return 0;
}

static int teardown(void **state)
{
	srv.stop = 1;
	pthread_join(srv.thread, NULL);
	close(srv.lfd);
	ctl_req_fini(&srv.rs);
	unsetenv("TCPCRYPT_CTL");
	unsetenv("TCPCRYPT_DAEMON_UID");
	return 0;
}

/* ---- sockets ---- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/*
 * Descriptors open now, once the daemon thread has hung up on the last
 * client (it closes that connection just after answering): n when it
 * gets there, the count after 2 s otherwise.
 */
static int fds_settle(int n)
{
	int i, c = count_fds();

	for (i = 0; i < 200 && c != n; i++) {
		poll(NULL, 0, 10);
		c = count_fds();
	}
	return c;
}

/* A connected loopback pair: *cli (connected), *acc (accepted). */
static void tcp_pair(int family, int *cli, int *acc)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = family;
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	assert_int_equal(bind(l, (struct sockaddr *)&ss, family == AF_INET ?
			      sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&ss, &sl), 0);
	*cli = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(*cli, (struct sockaddr *)&ss, sl), 0);
	*acc = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(*acc >= 0);
	close(l);
}

/* The flow key tcpcryptd would have for a connected socket. */
static void key_of(int fd, struct tc_flow_key *k)
{
	struct ctl_sock sk;

	assert_int_equal(ctl_read_sock(fd, 0, &sk), 0);
	assert_true(sk.connected);
	*k = sk.key;
}

static uint64_t ino_of(int fd)
{
	struct ctl_sock sk;

	assert_int_equal(ctl_read_sock(fd, 0, &sk), 0);
	return sk.ino;
}

static struct fake_sess *add_session(int fd, int ret, enum tc_eno_role role)
{
	struct fake_sess *s = &fk.s[fk.ns++];
	int i;

	memset(s, 0, sizeof(*s));
	key_of(fd, &s->key);
	s->ret = ret;
	s->info.state = TC_CONN_ENCRYPTED;
	s->info.role = role;
	s->info.tep = 0x23;
	s->info.aead = TC_AEAD_AES_256_GCM;
	s->info.local_gopt = role == TC_ENO_ROLE_B ? 1 : 0;
	s->info.peer_gopt = role == TC_ENO_ROLE_B ? 2 : 3;
	s->info.session_id[0] = 0x23;
	for (i = 1; i < TC_SESSID_LEN; i++)
		s->info.session_id[i] = 0x40 + i;
	s->info.transcript_len = 7;
	memcpy(s->info.transcript, "\x45\x03\x23\x45\x04\x01\x23", 7);
	s->info.have_session = ret == 0;
	return s;
}

static int opt_get_int(int fd, int opt, int *v)
{
	socklen_t l = sizeof(*v);
	int r = tcpcrypt_getsockopt(fd, opt, v, &l);

	if (!r)
		assert_int_equal(l, sizeof(int));
	return r;
}

static int set_int(int fd, int opt, int v)
{
	return tcpcrypt_setsockopt(fd, opt, &v, sizeof(v));
}

#define assert_fails(call, err) do { errno = 0; assert_int_equal((call), -1); \
	assert_int_equal(errno, (err)); } while (0)

/* ---- tests ---- */

static void test_daemon_hello(void **state)
{
	struct tcpcrypt_daemon d[2];

	assert_int_equal(tcpcrypt_daemons(d, 2), 1);
	assert_string_equal(d[0].ifname, "test0");
	assert_int_equal(d[0].pid, 4242);
	assert_int_equal(d[0].encrypts, 1);
	fk.engine = false;
	assert_int_equal(tcpcrypt_daemons(d, 2), 1);
	assert_int_equal(d[0].encrypts, 0);
}

static void test_no_daemon_is_enoprotoopt(void **state)
{
	uint8_t sid[64];
	socklen_t l = sizeof(sid);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	setenv("TCPCRYPT_CTL", "tcpcryptd-nobody-here", 1);
	assert_fails(tcpcrypt_getsockopt(fd, TCP_ENO_SESSID, sid, &l), ENOPROTOOPT);
	assert_fails(set_int(fd, TCP_ENO_ENABLED, 0), ENOPROTOOPT);
	assert_int_equal(tcpcrypt_daemons(NULL, 0), 0);
	close(fd);
}

/* A daemon not running as the trusted uid (a squatter) is not asked. */
static void test_untrusted_daemon_ignored(void **state)
{
	char uid[16];
	uint8_t sid[64];
	socklen_t l = sizeof(sid);
	int cli, acc;

	tcp_pair(AF_INET, &cli, &acc);
	add_session(cli, 0, TC_ENO_ROLE_A);
	snprintf(uid, sizeof(uid), "%u", (unsigned int)getuid() + 1);
	setenv("TCPCRYPT_DAEMON_UID", uid, 1);
	assert_fails(tcpcrypt_getsockopt(cli, TCP_ENO_SESSID, sid, &l), ENOPROTOOPT);
	assert_fails(set_int(cli, TCP_ENO_ENABLED, 1), ENOPROTOOPT);
	assert_int_equal(tcpcrypt_daemons(NULL, 0), 0);
	close(cli);
	close(acc);
}

static void check_session(int fd, const struct fake_sess *s, int role)
{
	uint8_t b[TCPCRYPT_NAME_MAX];
	socklen_t l;
	uint16_t aead;
	int v;

	l = sizeof(b);
	assert_int_equal(tcpcrypt_getsockopt(fd, TCP_ENO_SESSID, b, &l), 0);
	assert_int_equal(l, TC_SESSID_LEN);
	assert_memory_equal(b, s->info.session_id, TC_SESSID_LEN);
	l = sizeof(b);
	assert_int_equal(tcpcrypt_getsockopt(fd, TCP_ENO_NEGTEP, b, &l), 0);
	assert_int_equal(l, 1);
	assert_int_equal(b[0], 0x23);
	assert_int_equal(opt_get_int(fd, TCP_ENO_ROLE, &v), 0);
	assert_int_equal(v, role);
	assert_int_equal(opt_get_int(fd, TCP_ENO_PEER_GOPT, &v), 0);
	assert_int_equal(v, s->info.peer_gopt);
	/* SELF_NAME = role || id, PEER_NAME = !role || id */
	l = sizeof(b);
	assert_int_equal(tcpcrypt_getsockopt(fd, TCP_ENO_SELF_NAME, b, &l), 0);
	assert_int_equal(l, 1 + TC_SESSID_LEN);
	assert_int_equal(b[0], role);
	assert_memory_equal(b + 1, s->info.session_id, TC_SESSID_LEN);
	l = sizeof(b);
	assert_int_equal(tcpcrypt_getsockopt(fd, TCP_ENO_PEER_NAME, b, &l), 0);
	assert_int_equal(b[0], !role);
	assert_memory_equal(b + 1, s->info.session_id, TC_SESSID_LEN);
	l = sizeof(b);
	assert_int_equal(tcpcrypt_getsockopt(fd, TCP_ENO_TRANSCRIPT, b, &l), 0);
	assert_int_equal(l, 7);
	assert_memory_equal(b, s->info.transcript, 7);
	l = sizeof(aead);
	assert_int_equal(tcpcrypt_getsockopt(fd, TCP_CRYPT_CONF, &aead, &l), 0);
	assert_int_equal(l, 2);
	assert_int_equal(aead, TC_AEAD_AES_256_GCM);
}

static void test_session_values_both_ends(void **state)
{
	struct fake_sess *a, *b;
	int cli, acc, n0;

	tcp_pair(AF_INET, &cli, &acc);
	a = add_session(cli, 0, TC_ENO_ROLE_A);
	b = add_session(acc, 0, TC_ENO_ROLE_B);
	n0 = count_fds();
	check_session(cli, a, 0);
	check_session(acc, b, 1);
	/* tcpcryptd closed its copy of every socket it was handed */
	assert_int_equal(fds_settle(n0), n0);
	close(cli);
	close(acc);
}

static void test_session_values_ipv6(void **state)
{
	struct fake_sess *a;
	int cli, acc;

	tcp_pair(AF_INET6, &cli, &acc);
	a = add_session(cli, 0, TC_ENO_ROLE_A);
	assert_int_equal(a->key.family, AF_INET6);
	check_session(cli, a, 0);
	close(cli);
	close(acc);
}

/* IPv4 through an IPv6 socket: the flow (and the question) is IPv4. */
static void test_v4_mapped_socket_asks_ipv4_flow(void **state)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	socklen_t l = sizeof(a4);
	struct fake_sess *s;
	uint8_t sid[64];
	socklen_t sl = sizeof(sid);
	int lfd, cli, acc, zero = 0;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a4, sizeof(a4)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a4, &l), 0);
	cli = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(cli, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6.sin6_addr);
	a6.sin6_port = a4.sin_port;
	assert_int_equal(connect(cli, (struct sockaddr *)&a6, sizeof(a6)), 0);
	acc = accept(lfd, NULL, NULL);
	s = add_session(cli, 0, TC_ENO_ROLE_A);
	assert_int_equal(s->key.family, AF_INET);
	assert_int_equal(tcpcrypt_getsockopt(cli, TCP_ENO_SESSID, sid, &sl), 0);
	close(cli);
	close(acc);
	close(lfd);
}

static void test_get_errors(void **state)
{
	struct fake_sess *s;
	uint8_t b[64];
	socklen_t l;
	int cli, acc, unc, v;

	tcp_pair(AF_INET, &cli, &acc);
	unc = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* not connected */
	l = sizeof(b);
	assert_fails(tcpcrypt_getsockopt(unc, TCP_ENO_SESSID, b, &l), ENOTCONN);
	/* a connection no daemon carries (not steered): ENO not negotiated */
	l = sizeof(b);
	assert_fails(tcpcrypt_getsockopt(cli, TCP_ENO_SESSID, b, &l), EINVAL);
	/* still negotiating */
	s = add_session(cli, -ENOTCONN, TC_ENO_ROLE_A);
	assert_fails(opt_get_int(cli, TCP_ENO_ROLE, &v), ENOTCONN);
	/* fell back, or ENO disabled */
	s->ret = -EINVAL;
	l = sizeof(b);
	assert_fails(tcpcrypt_getsockopt(cli, TCP_ENO_SESSID, b, &l), EINVAL);
	/* never an all-zero id */
	s->ret = 0;
	s->info.have_session = true;
	memset(s->info.session_id, 0, TC_SESSID_LEN);
	l = sizeof(b);
	assert_fails(tcpcrypt_getsockopt(cli, TCP_ENO_SESSID, b, &l), EINVAL);
	s->info.session_id[0] = 0x23;
	/* a buffer too small: the size needed, never a truncated id */
	l = 10;
	assert_fails(tcpcrypt_getsockopt(cli, TCP_ENO_SESSID, b, &l), EINVAL);
	assert_int_equal(l, TC_SESSID_LEN);
	l = 2;
	assert_fails(tcpcrypt_getsockopt(cli, TCP_ENO_ROLE, b, &l), EINVAL);
	/* options not to be read */
	l = sizeof(b);
	assert_fails(tcpcrypt_getsockopt(cli, TCP_ENO_RAW, b, &l), ENOPROTOOPT);
	l = sizeof(b);
	assert_fails(tcpcrypt_getsockopt(cli, TCP_CRYPT_CACHE_FLUSH, b, &l), ENOPROTOOPT);
	l = sizeof(b);
	assert_fails(tcpcrypt_getsockopt(cli, 6, b, &l), ENOPROTOOPT);
	assert_fails(tcpcrypt_getsockopt(cli, TCP_ENO_SESSID, b, NULL), EFAULT);
	close(cli);
	close(acc);
	close(unc);
}

/* Only TCP sockets, and only sockets: the daemon reads the one passed. */
static void test_not_a_tcp_socket(void **state)
{
	uint8_t b[64];
	socklen_t l = sizeof(b);
	int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), p[2], x;

	assert_fails(tcpcrypt_getsockopt(u, TCP_ENO_SESSID, b, &l), EOPNOTSUPP);
	assert_int_equal(pipe(p), 0);
	l = sizeof(b);
	assert_fails(tcpcrypt_getsockopt(p[0], TCP_ENO_SESSID, b, &l), ENOTSOCK);
	x = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_fails(set_int(x, TCP_ENO_ENABLED, 1), EOPNOTSUPP);
	close(u);
	close(x);
	close(p[0]);
	close(p[1]);
}

static const struct opts_call *last_call(int back)
{
	assert_true(fk.ncalls > back);
	return &fk.calls[(fk.ncalls - 1 - back) % 64];
}

static void test_set_before_connect(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	uint8_t teps[] = { 0x21 }, b[16];
	uint16_t aeads[3];
	const struct opts_call *c;
	int fd, acc, lfd, v;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* unbound: libtcpcrypt gives it a port first */
	assert_int_equal(tcpcrypt_setsockopt(fd, TCP_ENO_TEPS, teps, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	assert_true(ntohs(a.sin_port) > 0);
	c = last_call(0);
	assert_int_equal(c->family, AF_INET);
	assert_int_equal(c->lport, ntohs(a.sin_port));
	assert_true(c->oneshot);
	assert_false(c->removed);
	assert_int_equal(c->o.n_teps, 1);
	assert_int_equal(c->o.teps[0], 0x21);
	assert_false(c->o.disabled);
	/* the next setting keeps the first */
	assert_int_equal(set_int(fd, TCP_ENO_TEP_MANDATORY, 1), 0);
	c = last_call(0);
	assert_true(c->o.tep_mandatory);
	assert_int_equal(c->o.n_teps, 1);
	assert_int_equal(c->o.resume_flags, 0);
	/* RFC 8548 3.5: before the SYN, no cached secret and nothing cached */
	assert_int_equal(set_int(fd, TCP_CRYPT_CACHE_FLUSH, TCPCRYPT_CACHE_IGNORE), 0);
	assert_int_equal(last_call(0)->o.resume_flags, TC_RESUME_F_IGNORE);
	assert_int_equal(set_int(fd, TCP_CRYPT_CACHE_FLUSH,
				 TCPCRYPT_CACHE_IGNORE | TCPCRYPT_CACHE_NONE), 0);
	c = last_call(0);
	assert_int_equal(c->o.resume_flags, TC_RESUME_F_IGNORE | TC_RESUME_F_NOCACHE);
	assert_true(c->o.tep_mandatory);
	assert_fails(set_int(fd, TCP_CRYPT_CACHE_FLUSH, 8), EINVAL);
	/* read back: as set, or the daemon's defaults */
	l = sizeof(b);
	assert_int_equal(tcpcrypt_getsockopt(fd, TCP_ENO_TEPS, b, &l), 0);
	assert_int_equal(l, 1);
	assert_int_equal(b[0], 0x21);
	assert_int_equal(opt_get_int(fd, TCP_ENO_TEP_MANDATORY, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(opt_get_int(fd, TCP_ENO_ENABLED, &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(opt_get_int(fd, TCP_ENO_SELF_GOPT, &v), 0);
	assert_int_equal(v, 0);
	l = sizeof(aeads);
	assert_int_equal(tcpcrypt_getsockopt(fd, TCP_CRYPT_ACONF, aeads, &l), 0);
	assert_int_equal(l, fk.cfg.n_aeads * 2);
	assert_int_equal(aeads[0], fk.cfg.aeads[0]);
	l = sizeof(aeads);
	assert_int_equal(tcpcrypt_getsockopt(fd, TCP_CRYPT_BCONF, aeads, &l), 0);
	assert_int_equal(aeads[0], fk.cfg.aeads[fk.cfg.n_aeads - 1]);
	/* connected: too late (EISCONN); the cache flush reaches the flow */
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	l = sizeof(a);
	getsockname(lfd, (struct sockaddr *)&a, &l);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	acc = accept(lfd, NULL, NULL);
	assert_fails(set_int(fd, TCP_ENO_ENABLED, 0), EISCONN);
	assert_fails(tcpcrypt_setsockopt(fd, TCP_ENO_TEPS, teps, 1), EISCONN);
	add_session(fd, 0, TC_ENO_ROLE_A);
	assert_int_equal(set_int(fd, TCP_CRYPT_CACHE_FLUSH, 1), 0);
	assert_int_equal(fk.flushes, 1);
	assert_memory_equal(&fk.flushed, &fk.s[fk.ns - 1].key, sizeof(fk.flushed));
	/* 0 flushes nothing; a value out of range is refused */
	assert_int_equal(set_int(fd, TCP_CRYPT_CACHE_FLUSH, 0), 0);
	assert_fails(set_int(fd, TCP_CRYPT_CACHE_FLUSH, 4), EINVAL);
	assert_int_equal(fk.flushes, 1);
	/* a connection no daemon carries: EINVAL, as for reads */
	assert_fails(set_int(acc, TCP_CRYPT_CACHE_FLUSH, 1), EINVAL);
	assert_int_equal(fk.flushes, 2);
	close(fd);
	close(acc);
	close(lfd);
}

static void test_set_on_listening_socket(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	const struct opts_call *c;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), v;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(set_int(fd, TCP_ENO_SELF_GOPT, TCP_ENO_GOPT_A), 0);
	c = last_call(0);
	assert_false(c->oneshot);	/* every connection it accepts */
	assert_int_equal(c->o.gopt, TCP_ENO_GOPT_A);
	/* b is 1 after listen */
	assert_int_equal(opt_get_int(fd, TCP_ENO_SELF_GOPT, &v), 0);
	assert_int_equal(v, TCP_ENO_GOPT_A | TCP_ENO_GOPT_B);
	close(fd);
}

static void test_set_bad_values(void **state)
{
	static const struct {
		int opt;
		uint8_t val[8];
		int len;
		int err;
	} bad[] = {
		{ TCP_ENO_ENABLED, { 2 }, 4, EINVAL },
		{ TCP_ENO_ENABLED, { 0xfe, 0xff, 0xff, 0xff }, 4, EINVAL },	/* -2 */
		{ TCP_ENO_ENABLED, { 1 }, 2, EINVAL },				/* short int */
		{ TCP_ENO_TEPS, { 0x1f }, 1, EINVAL },				/* a global suboption */
		{ TCP_ENO_TEPS, { 0xa3 }, 1, EINVAL },				/* v bit */
		{ TCP_ENO_TEPS, { 0x20 }, 1, EINVAL },				/* not implemented */
		{ TCP_ENO_TEPS, { 0x23, 0x23 }, 2, EINVAL },			/* repeated */
		{ TCP_ENO_TEPS, { 0x21, 0x22, 0x23, 0x24, 0x21 }, 5, EINVAL },	/* too many */
		{ TCP_ENO_SELF_GOPT, { 4 }, 4, EINVAL },				/* a z bit */
		{ TCP_ENO_SELF_GOPT, { 32 }, 4, EINVAL },
		{ TCP_ENO_AA_MANDATORY, { 2 }, 4, EINVAL },
		{ TCP_ENO_TEP_MANDATORY, { 0xff, 0xff, 0xff, 0xff }, 4, EINVAL },
		{ TCP_CRYPT_ACONF, { 0x03, 0x00 }, 2, EINVAL },			/* unknown AEAD */
		{ TCP_CRYPT_BCONF, { 0x01 }, 1, EINVAL },			/* odd length */
		{ TCP_CRYPT_ACONF, { 1, 0, 1, 0 }, 4, EINVAL },			/* repeated */
		{ TCP_ENO_SESSID, { 1 }, 1, ENOPROTOOPT },			/* read-only */
		{ TCP_ENO_ROLE, { 1 }, 4, ENOPROTOOPT },
		{ TCP_ENO_RAW, { 0x23 }, 1, ENOPROTOOPT },			/* not supported */
		{ 77, { 1 }, 4, ENOPROTOOPT },
	};
	unsigned int i;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = fk.ncalls;
		errno = 0;
		assert_int_equal(tcpcrypt_setsockopt(fd, bad[i].opt, bad[i].val, bad[i].len), -1);
		if (errno != bad[i].err)
			fail_msg("case %u: errno %d, want %d", i, errno, bad[i].err);
		/* nothing reached the flow table */
		assert_int_equal(fk.ncalls, n);
	}
	close(fd);
}

static void test_empty_teps_or_disabled_means_plain(void **state)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	uint8_t none = 0;

	assert_int_equal(tcpcrypt_setsockopt(fd, TCP_ENO_TEPS, &none, 0), 0);
	assert_true(last_call(0)->o.disabled);
	close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(set_int(fd, TCP_ENO_ENABLED, 0), 0);
	assert_true(last_call(0)->o.disabled);
	assert_int_equal(set_int(fd, TCP_ENO_ENABLED, 1), 0);
	assert_false(last_call(0)->o.disabled);
	close(fd);
}

/* One AEAD list in the engine: ACONF as A, BCONF (increasing) as B. */
static void test_aconf_bconf_by_role(void **state)
{
	struct ctl_settings s = { .enabled = -1, .n_aconf = 2, .n_bconf = 3,
				  .aconf = { TC_AEAD_AES_256_GCM, TC_AEAD_AES_128_GCM },
				  .bconf = { TC_AEAD_AES_128_GCM, TC_AEAD_AES_256_GCM,
					     TC_AEAD_CHACHA20_POLY1305 } };
	struct tc_conn_opts o;

	ctl_settings_opts(&s, false, &o);
	assert_int_equal(o.n_aeads, 2);
	assert_int_equal(o.aeads[0], TC_AEAD_AES_256_GCM);
	ctl_settings_opts(&s, true, &o);
	assert_int_equal(o.n_aeads, 3);
	assert_int_equal(o.aeads[0], TC_AEAD_CHACHA20_POLY1305);	/* most preferred */
	assert_int_equal(o.aeads[2], TC_AEAD_AES_128_GCM);
	s.n_aconf = 0;
	ctl_settings_opts(&s, false, &o);
	assert_int_equal(o.aeads[0], TC_AEAD_CHACHA20_POLY1305);	/* BCONF stands in */
	s.n_bconf = 0;
	ctl_settings_opts(&s, true, &o);
	assert_int_equal(o.n_aeads, 0);					/* the defaults */
}

static void test_dual_stack_socket_sets_both_families(void **state)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, zero = 0;

	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	fk.ncalls = 0;
	assert_int_equal(set_int(fd, TCP_ENO_AA_MANDATORY, 1), 0);
	assert_int_equal(fk.ncalls, 2);
	assert_int_equal(fk.calls[0].family, AF_INET6);
	assert_int_equal(fk.calls[1].family, AF_INET);
	close(fd);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	fk.ncalls = 0;
	assert_int_equal(set_int(fd, TCP_ENO_AA_MANDATORY, 1), 0);
	assert_int_equal(fk.ncalls, 1);
	assert_int_equal(fk.calls[0].family, AF_INET6);
	close(fd);
}

/* Two sockets sharing a port (SO_REUSEADDR): one cannot change the other's. */
static void test_port_of_another_socket_refused(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int x = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int y = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	setsockopt(x, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(y, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(x, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(x, (struct sockaddr *)&a, &l);
	assert_int_equal(bind(y, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(set_int(x, TCP_ENO_TEP_MANDATORY, 1), 0);
	assert_fails(set_int(y, TCP_ENO_ENABLED, 0), EADDRINUSE);
	/* once the first is gone, the port is free to configure */
	set_fate(ino_of(x), CTL_FATE_GONE);
	assert_int_equal(set_int(y, TCP_ENO_ENABLED, 0), 0);
	assert_int_equal(srv.rs.npend, 1);
	close(x);
	close(y);
}

static void test_sweep_forgets_and_promotes(void **state)
{
	int a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	const struct opts_call *k;

	assert_int_equal(set_int(a, TCP_ENO_TEP_MANDATORY, 1), 0);
	assert_int_equal(set_int(b, TCP_ENO_TEP_MANDATORY, 1), 0);
	assert_int_equal(set_int(c, TCP_ENO_TEP_MANDATORY, 1), 0);
	assert_int_equal(srv.rs.npend, 3);
	/* nothing happened to them: all stay */
	ctl_sweep(&srv.rs);
	assert_int_equal(srv.rs.npend, 3);
	assert_true(fk.refreshes > 0);
	/* a closed, b listens now, c connected */
	set_fate(ino_of(a), CTL_FATE_GONE);
	set_fate(ino_of(b), CTL_FATE_LISTENING);
	set_fate(ino_of(c), CTL_FATE_STARTED);
	fk.ncalls = 0;
	ctl_sweep(&srv.rs);
	assert_int_equal(srv.rs.npend, 2);
	k = &fk.calls[0];
	assert_true(k->removed);		/* a's settings left the flow table */
	k = &fk.calls[1];
	assert_false(k->removed);
	assert_false(k->oneshot);		/* b's: for every connection now */
	/* c: one more sweep for a SYN on its way, then gone */
	ctl_sweep(&srv.rs);
	assert_int_equal(srv.rs.npend, 1);
	assert_true(last_call(0)->removed);
	ctl_sweep(&srv.rs);
	assert_int_equal(srv.rs.npend, 1);	/* b, listening, stays */
	close(a);
	close(b);
	close(c);
}

static void test_wait_session(void **state)
{
	struct fake_sess *s;
	char sas[TCPCRYPT_SAS_LEN], want[TCPCRYPT_SAS_LEN];
	int cli, acc;

	tcp_pair(AF_INET, &cli, &acc);
	s = add_session(cli, 0, TC_ENO_ROLE_A);
	s->notconn_calls = 3;
	assert_int_equal(tcpcrypt_wait_session(cli, 5000), 0);
	assert_int_equal(s->notconn_calls, 0);
	assert_int_equal(tcpcrypt_sas_fd(cli, 1000, sas, sizeof(sas)), 0);
	assert_int_equal(tcpcrypt_sas(s->info.session_id, TC_SESSID_LEN, want, sizeof(want)), 0);
	assert_string_equal(sas, want);
	/* never there */
	s->notconn_calls = 1000000;
	assert_fails(tcpcrypt_wait_session(cli, 30), ETIMEDOUT);
	/* not encrypted: at once */
	s->notconn_calls = 0;
	s->ret = -EINVAL;
	assert_fails(tcpcrypt_wait_session(cli, 5000), EINVAL);
	close(cli);
	close(acc);
}

/* Raw messages: what the daemon does with what libtcpcrypt never sends. */
static int raw_call(const void *msg, size_t len, const int *fds, int nfds, void *ans, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} cb;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ssize_t n;

	memcpy(sa.sun_path + 1, srv.name, strlen(srv.name));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa,
				 offsetof(struct sockaddr_un, sun_path) + 1 + strlen(srv.name)), 0);
	if (nfds) {
		memset(&cb, 0, sizeof(cb));
		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), fds, sizeof(int) * nfds);
	}
	assert_true(sendmsg(fd, &mh, 0) >= 0);
	n = recv(fd, ans, cap, 0);
	close(fd);
	return (int)n;
}

static void test_raw_requests(void **state)
{
	uint8_t msg[TCCTL_MSG_MAX], ans[TCCTL_MSG_MAX];
	struct tcctl_hdr h;
	struct tcctl_msg m;
	int cli, acc, fds[3], n0, n;
	size_t len;

	/* three sockets: the first is asked about, all are closed by the daemon */
	tcp_pair(AF_INET, &cli, &acc);
	add_session(cli, 0, TC_ENO_ROLE_A);
	fds[0] = cli;
	fds[1] = acc;
	fds[2] = dup(acc);
	n0 = count_fds();	/* no request yet: the daemon holds nothing */
	len = tcctl_build(msg, sizeof(msg), TCCTL_OP_GET, TCP_ENO_ROLE, 0, NULL, 0);
	n = raw_call(msg, len, fds, 3, ans, sizeof(ans));
	assert_int_equal(tcctl_parse(ans, n, &m), 0);
	assert_int_equal(m.hdr.error, 0);
	assert_int_equal(fds_settle(n0), n0);
	/* not our protocol: no answer, the connection is closed */
	memset(msg, 0x41, 40);
	assert_int_equal(raw_call(msg, 40, NULL, 0, ans, sizeof(ans)), 0);
	/* another version: told so, with ours */
	len = tcctl_build(msg, sizeof(msg), TCCTL_OP_GET, TCP_ENO_SESSID, 0, NULL, 0);
	memcpy(&h, msg, sizeof(h));
	h.version = 2;
	memcpy(msg, &h, sizeof(h));
	n = raw_call(msg, len, NULL, 0, ans, sizeof(ans));
	assert_int_equal(tcctl_parse(ans, n, &m), 0);
	assert_int_equal(m.hdr.error, EPROTONOSUPPORT);
	assert_int_equal(m.hdr.version, TCCTL_VERSION);
	/* a GET without a socket */
	len = tcctl_build(msg, sizeof(msg), TCCTL_OP_GET, TCP_ENO_SESSID, 0, NULL, 0);
	n = raw_call(msg, len, NULL, 0, ans, sizeof(ans));
	assert_int_equal(tcctl_parse(ans, n, &m), 0);
	assert_int_equal(m.hdr.error, EBADF);
	/* a GET with a value */
	len = tcctl_build(msg, sizeof(msg), TCCTL_OP_GET, TCP_ENO_SESSID, 0, "x", 1);
	n = raw_call(msg, len, fds, 1, ans, sizeof(ans));
	assert_int_equal(tcctl_parse(ans, n, &m), 0);
	assert_int_equal(m.hdr.error, EINVAL);
	/* an unknown operation */
	len = tcctl_build(msg, sizeof(msg), 99, 0, 0, NULL, 0);
	n = raw_call(msg, len, NULL, 0, ans, sizeof(ans));
	assert_int_equal(tcctl_parse(ans, n, &m), 0);
	assert_int_equal(m.hdr.error, EOPNOTSUPP);
	close(fds[2]);
	close(cli);
	close(acc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_daemon_hello),
		T(test_no_daemon_is_enoprotoopt),
		T(test_untrusted_daemon_ignored),
		T(test_session_values_both_ends),
		T(test_session_values_ipv6),
		T(test_v4_mapped_socket_asks_ipv4_flow),
		T(test_get_errors),
		T(test_not_a_tcp_socket),
		T(test_set_before_connect),
		T(test_set_on_listening_socket),
		T(test_set_bad_values),
		T(test_empty_teps_or_disabled_means_plain),
		T(test_aconf_bconf_by_role),
		T(test_dual_stack_socket_sets_both_families),
		T(test_port_of_another_socket_refused),
		T(test_sweep_forgets_and_promotes),
		T(test_wait_session),
		T(test_raw_requests),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
