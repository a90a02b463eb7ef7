// SPDX-License-Identifier: GPL-2.0
/* tcpcryptd's answers to libtcpcrypt, without I/O (see ctl_req.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/algs.h"
#include "core/ecdh.h"
#include "tcpcrypt/tcpcrypt.h"
#include "tcpcryptd/ctl_req.h"

void ctl_req_init(struct ctl_req_state *st, const struct ctl_backend *be, uint32_t pid,
		  const char *ifname)
{
	memset(st, 0, sizeof(*st));
	st->be = *be;
	st->pid = pid;
	strncpy(st->ifname, ifname ? ifname : "", sizeof(st->ifname) - 1);
}

static const struct tc_engine_cfg *engine(struct ctl_req_state *st)
{
	return st->be.engine ? st->be.engine(st->be.arg) : NULL;
}

/* The address families a socket's connections may have on the wire. */
static int families(int family, bool v6only, uint8_t fam[2])
{
	if (family == AF_INET) {
		fam[0] = AF_INET;
		return 1;
	}
	fam[0] = AF_INET6;
	if (v6only)
		return 1;
	fam[1] = AF_INET;	/* dual-stack: IPv4 through v4-mapped addresses */
	return 2;
}

/* ---- settings ---- */

static void settings_default(struct ctl_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->enabled = -1;
}

void ctl_settings_opts(const struct ctl_settings *s, bool as_b, struct tc_conn_opts *o)
{
	unsigned int i;

	memset(o, 0, sizeof(*o));
	o->disabled = s->enabled == 0 || (s->teps_set && !s->n_teps);
	if (s->teps_set) {
		memcpy(o->teps, s->teps, s->n_teps);
		o->n_teps = s->n_teps;
	}
	/*
	 * The engine keeps one AEAD list, most preferred first: ACONF matters
	 * when we are A (what we offer), BCONF (increasing preference) when we
	 * are B; the other one stands in when only one was given.
	 */
	if (s->n_bconf && (as_b || !s->n_aconf)) {
		for (i = 0; i < s->n_bconf; i++)
			o->aeads[i] = s->bconf[s->n_bconf - 1 - i];
		o->n_aeads = s->n_bconf;
	} else if (s->n_aconf) {
		memcpy(o->aeads, s->aconf, s->n_aconf * sizeof(o->aeads[0]));
		o->n_aeads = s->n_aconf;
	}
	o->gopt = s->gopt;
	o->aa_mandatory = s->aa_mandatory;
	o->tep_mandatory = s->tep_mandatory;
	if (s->cache & TCPCRYPT_CACHE_IGNORE)
		o->resume_flags |= TC_RESUME_F_IGNORE;
	if (s->cache & TCPCRYPT_CACHE_NONE)
		o->resume_flags |= TC_RESUME_F_NOCACHE;
}

/* TCP_CRYPT_CACHE_FLUSH values: the TCPCRYPT_CACHE_* bits (on a
 * connection, any nonzero one flushes) */
#define CACHE_BITS	(TCPCRYPT_CACHE_IGNORE | TCPCRYPT_CACHE_NONE)

static int get_int(const uint8_t *val, uint32_t len, int lo, int hi, int *out)
{
	int v;

	if (len != sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	if (v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int get_aeads(const uint8_t *val, uint32_t len, uint16_t *out, uint8_t *n)
{
	unsigned int i, j, k = len / sizeof(uint16_t);

	if (len % sizeof(uint16_t) || k > TC_ENGINE_AEADS_MAX)
		return -EINVAL;
	for (i = 0; i < k; i++) {
		memcpy(&out[i], val + i * sizeof(uint16_t), sizeof(uint16_t));
		if (!tc_aead_info(out[i]))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (out[j] == out[i])
				return -EINVAL;
	}
	*n = k;
	return 0;
}

/* Apply one SET to a copy of the settings: 0 or -EINVAL (bad value). */
static int settings_apply(struct ctl_settings *s, uint32_t opt, const uint8_t *val,
			  uint32_t len)
{
	unsigned int i, j;
	int v, err;

	switch (opt) {
	case TCP_ENO_ENABLED:
		err = get_int(val, len, -1, 1, &v);
		if (!err)
			s->enabled = v;
		return err;
	case TCP_ENO_TEPS:
		if (len > TC_ENGINE_TEPS_MAX)
			return -EINVAL;
		for (i = 0; i < len; i++) {
			/* 0x20-0x7f, and one this daemon implements */
			if (val[i] < 0x20 || val[i] > 0x7f || !tc_tep_info(val[i]))
				return -EINVAL;
			for (j = 0; j < i; j++)
				if (val[j] == val[i])
					return -EINVAL;
		}
		memcpy(s->teps, val, len);
		s->n_teps = len;
		s->teps_set = true;
		return 0;
	case TCP_ENO_SELF_GOPT:
		/* 5 bits in the draft; the z bits MUST be sent as 0 (RFC 8547 4.2) */
		err = get_int(val, len, 0, 31, &v);
		if (!err && (v & ~(TCP_ENO_GOPT_A | TCP_ENO_GOPT_B)))
			err = -EINVAL;
		if (!err)
			s->gopt = v;
		return err;
	case TCP_ENO_AA_MANDATORY:
		err = get_int(val, len, 0, 1, &v);
		if (!err)
			s->aa_mandatory = v;
		return err;
	case TCP_ENO_TEP_MANDATORY:
		err = get_int(val, len, 0, 1, &v);
		if (!err)
			s->tep_mandatory = v;
		return err;
	case TCP_CRYPT_ACONF:
		return get_aeads(val, len, s->aconf, &s->n_aconf);
	case TCP_CRYPT_BCONF:
		return get_aeads(val, len, s->bconf, &s->n_bconf);
	case TCP_CRYPT_CACHE_FLUSH:
		err = get_int(val, len, 0, CACHE_BITS, &v);
		if (!err)
			s->cache = v;
		return err;
	}
	return -ENOPROTOOPT;
}

/* A settable option's value: as set, else the daemon's default. */
static uint32_t settings_get(struct ctl_req_state *st, const struct ctl_settings *s,
			     bool listening, uint32_t opt, uint8_t *v)
{
	const struct tc_engine_cfg *cfg = engine(st);
	unsigned int i;
	int x;

	switch (opt) {
	case TCP_ENO_ENABLED:
		x = s->enabled;
		break;
	case TCP_ENO_TEPS:
		if (s->teps_set) {
			memcpy(v, s->teps, s->n_teps);
			return s->n_teps;
		}
		if (!cfg)
			return 0;
		memcpy(v, cfg->teps, cfg->n_teps);
		return cfg->n_teps;
	case TCP_ENO_SELF_GOPT:
		/* b is forced to 1 after listen (draft section 4.1) */
		x = s->gopt | (listening ? TCP_ENO_GOPT_B : 0);
		break;
	case TCP_ENO_AA_MANDATORY:
		x = s->aa_mandatory;
		break;
	case TCP_ENO_TEP_MANDATORY:
		x = s->tep_mandatory;
		break;
	case TCP_CRYPT_ACONF:
		if (s->n_aconf) {
			memcpy(v, s->aconf, s->n_aconf * sizeof(uint16_t));
			return s->n_aconf * sizeof(uint16_t);
		}
		if (!cfg)
			return 0;
		memcpy(v, cfg->aeads, cfg->n_aeads * sizeof(uint16_t));
		return cfg->n_aeads * sizeof(uint16_t);
	case TCP_CRYPT_BCONF:
		if (s->n_bconf) {
			memcpy(v, s->bconf, s->n_bconf * sizeof(uint16_t));
			return s->n_bconf * sizeof(uint16_t);
		}
		if (!cfg)
			return 0;
		for (i = 0; i < cfg->n_aeads; i++)
			memcpy(v + i * sizeof(uint16_t), &cfg->aeads[cfg->n_aeads - 1 - i],
			       sizeof(uint16_t));
		return cfg->n_aeads * sizeof(uint16_t);
	default:
		return 0;
	}
	memcpy(v, &x, sizeof(x));
	return sizeof(x);
}

static bool settable(uint32_t opt)
{
	switch (opt) {
	case TCP_ENO_ENABLED:
	case TCP_ENO_TEPS:
	case TCP_ENO_SELF_GOPT:
	case TCP_ENO_AA_MANDATORY:
	case TCP_ENO_TEP_MANDATORY:
	case TCP_CRYPT_ACONF:
	case TCP_CRYPT_BCONF:
		return true;
	}
	return false;
}

/* ---- pending sockets ---- */

static struct ctl_pending *pending_find(struct ctl_req_state *st, uint64_t ino)
{
	unsigned int i;

	for (i = 0; i < st->npend; i++)
		if (st->pend[i].ino == ino)
			return &st->pend[i];
	return NULL;
}

/* Hand p's settings to the flow table, for each family its connections may have. */
static int pending_push(struct ctl_req_state *st, const struct ctl_pending *p)
{
	struct tc_conn_opts o;
	uint8_t fam[2];
	int i, n, err;

	ctl_settings_opts(&p->s, p->listening || (p->s.gopt & TCP_ENO_GOPT_B), &o);
	n = families(p->family, p->v6only, fam);
	for (i = 0; i < n; i++) {
		err = st->be.opts_set(st->be.arg, fam[i], p->lport, &o, !p->listening);
		if (err)
			return err;
	}
	return 0;
}

static void pending_unpush(struct ctl_req_state *st, const struct ctl_pending *p);

static void pending_drop(struct ctl_req_state *st, unsigned int idx)
{
	pending_unpush(st, &st->pend[idx]);
	st->pend[idx] = st->pend[--st->npend];
}

static bool families_meet(const struct ctl_pending *p, int family, bool v6only)
{
	uint8_t a[2], b[2];
	int i, j, na = families(p->family, p->v6only, a), nb = families(family, v6only, b);

	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (a[i] == b[j])
				return true;
	return false;
}

/*
 * Another live socket configured this port: -EADDRINUSE. Entries whose
 * socket closed or connected meanwhile are forgotten first.
 */
static int port_conflict(struct ctl_req_state *st, const struct ctl_sock *sk)
{
	bool refreshed = false;
	unsigned int i = 0;

	while (i < st->npend) {
		struct ctl_pending *p = &st->pend[i];
		enum ctl_fate f;

		if (p->ino == sk->ino || p->lport != sk->lport ||
		    !families_meet(p, sk->family, sk->v6only)) {
			i++;
			continue;
		}
		if (!refreshed && st->be.refresh) {
			st->be.refresh(st->be.arg);
			refreshed = true;
		}
		f = st->be.fate ? st->be.fate(st->be.arg, p->family, p->ino) : CTL_FATE_UNKNOWN;
		if (f == CTL_FATE_GONE || (f == CTL_FATE_STARTED && !p->listening)) {
			pending_drop(st, i);
			continue;
		}
		return -EADDRINUSE;
	}
	return 0;
}

/* Settings back out of the flow table, for each family of p. */
static void pending_unpush(struct ctl_req_state *st, const struct ctl_pending *p)
{
	uint8_t fam[2];
	int i, n;

	/* a oneshot entry the SYN consumed is already gone: removing is harmless */
	n = families(p->family, p->v6only, fam);
	for (i = 0; i < n; i++)
		st->be.opts_set(st->be.arg, fam[i], p->lport, NULL, false);
}

static int do_set(struct ctl_req_state *st, const struct ctl_sock *sk, uint32_t opt,
		  const uint8_t *val, uint32_t len)
{
	struct ctl_pending *p, np;
	int v, err;

	/*
	 * RFC 8548 3.5: on a connection, forget what the resumption cache
	 * holds of its session; before the SYN, a setting like the others
	 * (ignore cached secrets, cache nothing).
	 */
	if (opt == TCP_CRYPT_CACHE_FLUSH && sk->connected &&
	    sk->tcp_state != CTL_TCP_CLOSE && sk->tcp_state != CTL_TCP_LISTEN) {
		err = get_int(val, len, 0, CACHE_BITS, &v);
		if (err || !v)
			return err;
		if (!st->be.resume_flush)
			return -ENOENT;
		err = st->be.resume_flush(st->be.arg, &sk->key);
		return err < 0 ? err : 0;
	}
	if (!settable(opt) && opt != TCP_CRYPT_CACHE_FLUSH)
		return -ENOPROTOOPT;	/* read-only, TCP_ENO_RAW, or unknown */
	if (sk->tcp_state != CTL_TCP_CLOSE && sk->tcp_state != CTL_TCP_LISTEN)
		return -EISCONN;	/* its SYN is out: too late */
	if (!sk->lport)
		return -EINVAL;		/* libtcpcrypt binds first */
	p = pending_find(st, sk->ino);
	/* a socket's port and family do not change once bound: a reused inode */
	if (p && (p->lport != sk->lport || p->family != sk->family || p->v6only != sk->v6only)) {
		pending_drop(st, (unsigned int)(p - st->pend));
		p = NULL;
	}
	if (p) {
		np = *p;
	} else {
		memset(&np, 0, sizeof(np));
		np.ino = sk->ino;
		settings_default(&np.s);
	}
	np.family = sk->family;
	np.v6only = sk->v6only;
	np.lport = sk->lport;
	np.listening = sk->tcp_state == CTL_TCP_LISTEN;
	err = settings_apply(&np.s, opt, val, len);
	if (err)
		return err;
	err = port_conflict(st, sk);
	if (err)
		return err;
	p = pending_find(st, sk->ino);	/* port_conflict() may have moved it */
	if (!p && st->npend == CTL_PENDING_MAX)
		return -ENOSPC;
	err = pending_push(st, &np);
	if (err) {
		/* what is in the flow table is what we remember, or nothing */
		if (p && !pending_push(st, p))
			return err;
		if (p)
			pending_drop(st, (unsigned int)(p - st->pend));
		else
			pending_unpush(st, &np);
		return err;
	}
	if (!p) {
		struct ctl_pending *a = realloc(st->pend, (st->npend + 1) * sizeof(*a));

		if (!a) {
			pending_unpush(st, &np);
			return -ENOMEM;
		}
		st->pend = a;
		p = &st->pend[st->npend++];
	}
	*p = np;
	return 0;
}

/* ---- reading a session ---- */

static bool all_zero(const uint8_t *b, size_t n)
{
	uint8_t acc = 0;

	while (n--)
		acc |= *b++;
	return !acc;
}

static int do_get(struct ctl_req_state *st, const struct ctl_sock *sk, uint32_t opt,
		  uint8_t *v, uint32_t *n)
{
	struct tc_session_info info;
	struct ctl_pending *p;
	struct ctl_settings s;
	int err, x = 0;

	if (settable(opt)) {
		p = pending_find(st, sk->ino);
		if (p) {
			s = p->s;
		} else {
			settings_default(&s);
		}
		*n = settings_get(st, &s, sk->tcp_state == CTL_TCP_LISTEN, opt, v);
		return 0;
	}
	switch (opt) {
	case TCP_ENO_SESSID:
	case TCP_ENO_NEGTEP:
	case TCP_ENO_PEER_GOPT:
	case TCP_ENO_ROLE:
	case TCP_ENO_SELF_NAME:
	case TCP_ENO_PEER_NAME:
	case TCP_ENO_TRANSCRIPT:
	case TCP_CRYPT_CONF:
		break;
	default:
		return -ENOPROTOOPT;	/* write-only, TCP_ENO_RAW, or unknown */
	}
	if (!sk->connected)
		return -ENOTCONN;
	err = st->be.session(st->be.arg, &sk->key, &info);
	if (err == -ENOENT || err == -ENOTCONN || err == -EINVAL)
		return err;
	if (err)
		return -EIO;
	/* the draft calls an empty or all-zero id catastrophic (section 6) */
	if (!info.have_session || all_zero(info.session_id, TC_SESSID_LEN))
		return -EINVAL;
	switch (opt) {
	case TCP_ENO_SESSID:
		memcpy(v, info.session_id, TC_SESSID_LEN);
		*n = TC_SESSID_LEN;
		return 0;
	case TCP_ENO_NEGTEP:
		v[0] = info.tep;
		*n = 1;
		return 0;
	case TCP_ENO_PEER_GOPT:
		x = info.peer_gopt;
		break;
	case TCP_ENO_ROLE:
		x = info.role == TC_ENO_ROLE_B;
		break;
	case TCP_ENO_SELF_NAME:
	case TCP_ENO_PEER_NAME:
		/* role byte || session id (draft section 4.1) */
		v[0] = (info.role == TC_ENO_ROLE_B) ^ (opt == TCP_ENO_PEER_NAME);
		memcpy(v + 1, info.session_id, TC_SESSID_LEN);
		*n = 1 + TC_SESSID_LEN;
		return 0;
	case TCP_ENO_TRANSCRIPT:
		if (!info.transcript_len)
			return -EINVAL;
		memcpy(v, info.transcript, info.transcript_len);
		*n = info.transcript_len;
		return 0;
	case TCP_CRYPT_CONF: {
		uint16_t a = info.aead;

		memcpy(v, &a, sizeof(a));
		*n = sizeof(a);
		return 0;
	}
	}
	memcpy(v, &x, sizeof(x));
	*n = sizeof(x);
	return 0;
}

size_t ctl_handle(struct ctl_req_state *st, const void *req, size_t len,
		  const struct ctl_sock *sk, int sock_err, uint8_t *out, size_t cap)
{
	uint8_t v[TCCTL_VALUE_MAX];
	struct tcctl_hello h;
	struct tcctl_msg m;
	uint32_t n = 0;
	int err;

	err = tcctl_parse(req, len, &m);
	if (err == -EPROTONOSUPPORT)
		return tcctl_build(out, cap, m.hdr.op, m.hdr.optname, EPROTONOSUPPORT, NULL, 0);
	if (err)
		return 0;
	switch (m.hdr.op) {
	case TCCTL_OP_HELLO:
		memset(&h, 0, sizeof(h));
		h.version = TCCTL_VERSION;
		h.flags = engine(st) ? TCCTL_HELLO_ENGINE : 0;
		h.pid = st->pid;
		memcpy(h.ifname, st->ifname, sizeof(h.ifname));
		return tcctl_build(out, cap, m.hdr.op, m.hdr.optname, 0, &h, sizeof(h));
	case TCCTL_OP_GET:
	case TCCTL_OP_SET:
		if (!sk)
			err = -(sock_err > 0 ? sock_err : EBADF);
		else if (m.hdr.op == TCCTL_OP_GET)
			err = m.len ? -EINVAL : do_get(st, sk, m.hdr.optname, v, &n);
		else
			err = do_set(st, sk, m.hdr.optname, m.val, m.len);
		if (err)
			n = 0;
		return tcctl_build(out, cap, m.hdr.op, m.hdr.optname, -err, v, n);
	default:
		return tcctl_build(out, cap, m.hdr.op, m.hdr.optname, EOPNOTSUPP, NULL, 0);
	}
}

void ctl_sweep(struct ctl_req_state *st)
{
	unsigned int i = 0;

	if (!st->npend || !st->be.fate)
		return;
	if (st->be.refresh)
		st->be.refresh(st->be.arg);
	while (i < st->npend) {
		struct ctl_pending *p = &st->pend[i];

		switch (st->be.fate(st->be.arg, p->family, p->ino)) {
		case CTL_FATE_GONE:
			pending_drop(st, i);
			continue;
		case CTL_FATE_LISTENING:
			/* made before listen(): from now on for every connection */
			if (!p->listening) {
				p->listening = true;
				if (pending_push(st, p))
					p->listening = false;
			}
			break;
		case CTL_FATE_STARTED:
			/*
			 * Its SYN took the settings; wait one more sweep so that
			 * a SYN still on its way to a poller finds them.
			 */
			if (!p->listening && ++p->started >= 2) {
				pending_drop(st, i);
				continue;
			}
			break;
		default:
			break;
		}
		i++;
	}
}

void ctl_req_fini(struct ctl_req_state *st)
{
	while (st->npend)
		pending_drop(st, st->npend - 1);
	free(st->pend);
	st->pend = NULL;
}
