// SPDX-License-Identifier: GPL-2.0
/* tcpcryptd's control thread (see ctl.h). */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "common/dp_attach.h"
#include "common/log.h"
#include "tcpcryptd/ctl.h"
#include "tcpcryptd/flow.h"

#define SWEEP_MS	250	/* forget closed/connected sockets' settings */
#define EXPORT_MS	1000	/* counters and stale sessions for tcnetstat */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- sock_diag: what became of sockets whose settings we keep ---- */

static int diag_dump(struct ctl *c, int family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.req = {
			.sdiag_family = family,
			.sdiag_protocol = IPPROTO_TCP,
			/* every state, bound-but-unconnected ones included (6.7+) */
			.idiag_states = ~0U,
		},
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static char buf[32768];
	int fd, err = 0;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			err = -errno;
			break;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);

			if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				done = true;
				break;
			}
			if (!m->idiag_inode)
				continue;	/* time-wait and request sockets */
			if (c->ndiag == c->diag_cap) {
				unsigned int cap = c->diag_cap ? 2 * c->diag_cap : 256;
				struct ctl_diag_ent *a = realloc(c->diag, cap * sizeof(*a));

				if (!a) {
					err = -ENOMEM;
					done = true;
					break;
				}
				c->diag = a;
				c->diag_cap = cap;
			}
			c->diag[c->ndiag].ino = m->idiag_inode;
			c->diag[c->ndiag].state = m->idiag_state;
			c->ndiag++;
		}
	}
out:
	close(fd);
	return err;
}

static void diag_refresh(void *arg)
{
	struct ctl *c = arg;

	c->ndiag = 0;
	c->diag_ok = !diag_dump(c, AF_INET) && !diag_dump(c, AF_INET6);
}

static enum ctl_fate diag_fate(void *arg, int family, uint64_t ino)
{
	struct ctl *c = arg;
	unsigned int i;

	if (!c->diag_ok)
		return CTL_FATE_UNKNOWN;
	for (i = 0; i < c->ndiag; i++) {
		if (c->diag[i].ino != ino)
			continue;
		switch (c->diag[i].state) {
		case CTL_TCP_LISTEN:
			return CTL_FATE_LISTENING;
		case CTL_TCP_CLOSE:
		case CTL_TCP_BOUND_INACTIVE:
			return CTL_FATE_UNCONNECTED;
		default:
			return CTL_FATE_STARTED;
		}
	}
	/* an older kernel does not list bound, unconnected sockets */
	return c->diag_bound ? CTL_FATE_GONE : CTL_FATE_UNKNOWN;
}

/* Does this kernel's sock_diag list a bound socket that has not connected? */
static bool diag_lists_bound(struct ctl *c)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct stat stb;
	bool found = false;
	unsigned int i;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) && !fstat(fd, &stb)) {
		diag_refresh(c);
		for (i = 0; i < c->ndiag; i++)
			found |= c->diag[i].ino == stb.st_ino;
	}
	close(fd);
	return found;
}

/* ---- the flow table, as ctl_req sees it ---- */

static int be_session(void *arg, const struct tc_flow_key *k, struct tc_session_info *info)
{
	struct ctl *c = arg;

	return flow_session(c->ft, k, info);
}

static int be_resume_flush(void *arg, const struct tc_flow_key *k)
{
	struct ctl *c = arg;

	return flow_resume_flush(c->ft, k);
}

static int be_opts_set(void *arg, uint8_t family, uint16_t lport, const struct tc_conn_opts *o,
		       bool oneshot)
{
	struct ctl *c = arg;

	return flow_opts_set(c->ft, family, lport, o, oneshot);
}

static const struct tc_engine_cfg *be_engine(void *arg)
{
	struct ctl *c = arg;

	return c->ft->engine;
}

static void *ctl_thread(void *arg)
{
	struct ctl *c = arg;
	uint64_t next_sweep = now_ms() + SWEEP_MS, next_export = now_ms() + EXPORT_MS;

	for (;;) {
		struct pollfd pfd[2] = { { .fd = c->lfd, .events = POLLIN },
					 { .fd = c->stop_fd, .events = POLLIN } };
		uint64_t now = now_ms(), next = next_sweep < next_export ? next_sweep : next_export;
		int r = poll(pfd, 2, next > now ? (int)(next - now) : 0);

		if (r > 0 && pfd[1].revents)
			break;
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			int cfd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (cfd >= 0) {
				ctl_serve(&c->rs, cfd, c->netns_cookie);
				close(cfd);
			}
		}
		now = now_ms();
		if (now >= next_sweep) {
			ctl_sweep(&c->rs);
			next_sweep = now + SWEEP_MS;
		}
		if (now >= next_export) {
			export_tick(&c->ex);
			next_export = now + EXPORT_MS;
		}
	}
	return NULL;
}

/* The control socket; -errno (logged): the thread runs without it. */
static int ctl_listen(struct ctl *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t cl = sizeof(c->netns_cookie);
	size_t len = strlen(c->name);
	int err;

	c->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->lfd < 0)
		return -errno;
	memcpy(sa.sun_path + 1, c->name, len);
	if (bind(c->lfd, (struct sockaddr *)&sa, offsetof(struct sockaddr_un, sun_path) + 1 + len) ||
	    listen(c->lfd, 64)) {
		err = -errno;
		close(c->lfd);
		c->lfd = -1;
		return err;
	}
	if (getsockopt(c->lfd, SOL_SOCKET, SO_NETNS_COOKIE, &c->netns_cookie, &cl))
		c->netns_cookie = 0;	/* kernel < 5.14: the abstract name is per netns anyway */
	return 0;
}

int ctl_start(struct ctl *c, const char *ifname, struct dp *dp, struct flow_table *ft,
	      const struct poller *pollers, unsigned int npollers)
{
	struct ctl_backend be = {
		.session = be_session,
		.resume_flush = be_resume_flush,
		.opts_set = be_opts_set,
		.engine = be_engine,
		.refresh = diag_refresh,
		.fate = diag_fate,
		.arg = c,
	};
	int err;

	memset(c, 0, sizeof(*c));
	c->lfd = c->stop_fd = -1;
	c->ft = ft;
	snprintf(c->name, sizeof(c->name), "%s%s", TCCTL_NAME_PREFIX, ifname);
	ctl_req_init(&c->rs, &be, getpid(), ifname);
	export_start(&c->ex, dp, ft, pollers, npollers);

	err = ctl_listen(c);
	if (err == -EADDRINUSE)
		pr_warn("control socket @%s is taken by another process (an older tcpcryptd, or "
			"a squatter: libtcpcrypt believes only root's): applications cannot ask "
			"this daemon\n", c->name);
	else if (err)
		pr_warn("control socket @%s: %s: applications cannot ask this daemon\n",
			c->name, strerror(-err));
	c->diag_bound = diag_lists_bound(c);
	if (!c->diag_bound)
		pr_info("sock_diag does not list bound, unconnected sockets here (kernel < 6.7): "
			"applications' settings are kept until their socket connects\n");
	/* the thread runs anyway: tcnetstat's counters need no socket */
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->stop_fd < 0)
		return -errno;
	err = -pthread_create(&c->thread, NULL, ctl_thread, c);
	if (err) {
		pr_warn("control thread: %s\n", strerror(-err));
		return err;
	}
	c->running = true;
	if (c->lfd >= 0)
		pr_info("control socket @%s: answering libtcpcrypt\n", c->name);
	return 0;
}

void ctl_stop(struct ctl *c)
{
	uint64_t one = 1;

	if (!c->ft)
		return;		/* never started */
	if (c->running) {
		if (write(c->stop_fd, &one, sizeof(one)) < 0)
			pr_warn("ctl: stop eventfd: %s\n", strerror(errno));
		pthread_join(c->thread, NULL);
		c->running = false;
	}
	if (c->lfd >= 0)
		close(c->lfd);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	c->lfd = c->stop_fd = -1;
	ctl_req_fini(&c->rs);
	export_stop(&c->ex);
	free(c->diag);
	c->diag = NULL;
	c->ft = NULL;
}
