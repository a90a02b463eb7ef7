// SPDX-License-Identifier: GPL-2.0
/* The control protocol's messages (see ctl_proto.h): pure, no I/O. */
#include <errno.h>
#include <string.h>

#include "tcpcrypt/ctl_proto.h"
#include "tcpcrypt/tcpcrypt.h"

int tcctl_parse(const void *buf, size_t n, struct tcctl_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (n < sizeof(m->hdr))
		return -EPROTO;
	memcpy(&m->hdr, buf, sizeof(m->hdr));
	if (m->hdr.magic != TCCTL_MAGIC)
		return -EPROTO;
	if (m->hdr.version != TCCTL_VERSION)
		return -EPROTONOSUPPORT;
	if (m->hdr.reserved || m->hdr.len > TCCTL_VALUE_MAX ||
	    m->hdr.len != n - sizeof(m->hdr))
		return -EPROTO;
	m->val = (const uint8_t *)buf + sizeof(m->hdr);
	m->len = m->hdr.len;
	return 0;
}

size_t tcctl_build(void *buf, size_t cap, uint16_t op, uint32_t optname, int32_t error,
		   const void *val, uint32_t len)
{
	struct tcctl_hdr h = {
		.magic = TCCTL_MAGIC,
		.version = TCCTL_VERSION,
		.op = op,
		.optname = optname,
		.error = error,
		.len = len,
	};

	if (len > TCCTL_VALUE_MAX || cap < sizeof(h) + len)
		return 0;
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy((uint8_t *)buf + sizeof(h), val, len);
	return sizeof(h) + len;
}

static const struct {
	uint32_t opt;
	enum tcctl_type type;
	const char *name;
} opts[] = {
	{ TCP_ENO_ENABLED, TCCTL_T_INT, "TCP_ENO_ENABLED" },
	{ TCP_ENO_SESSID, TCCTL_T_BYTES, "TCP_ENO_SESSID" },
	{ TCP_ENO_NEGTEP, TCCTL_T_BYTE, "TCP_ENO_NEGTEP" },
	{ TCP_ENO_TEPS, TCCTL_T_BYTES, "TCP_ENO_TEPS" },
	{ TCP_ENO_SELF_GOPT, TCCTL_T_INT, "TCP_ENO_SELF_GOPT" },
	{ TCP_ENO_PEER_GOPT, TCCTL_T_INT, "TCP_ENO_PEER_GOPT" },
	{ TCP_ENO_AA_MANDATORY, TCCTL_T_INT, "TCP_ENO_AA_MANDATORY" },
	{ TCP_ENO_TEP_MANDATORY, TCCTL_T_INT, "TCP_ENO_TEP_MANDATORY" },
	{ TCP_ENO_ROLE, TCCTL_T_INT, "TCP_ENO_ROLE" },
	{ TCP_ENO_SELF_NAME, TCCTL_T_BYTES, "TCP_ENO_SELF_NAME" },
	{ TCP_ENO_PEER_NAME, TCCTL_T_BYTES, "TCP_ENO_PEER_NAME" },
	{ TCP_ENO_RAW, TCCTL_T_BYTES, "TCP_ENO_RAW" },
	{ TCP_ENO_TRANSCRIPT, TCCTL_T_BYTES, "TCP_ENO_TRANSCRIPT" },
	{ TCP_CRYPT_CONF, TCCTL_T_U16, "TCP_CRYPT_CONF" },
	{ TCP_CRYPT_CACHE_FLUSH, TCCTL_T_INT, "TCP_CRYPT_CACHE_FLUSH" },
	{ TCP_CRYPT_ACONF, TCCTL_T_U16S, "TCP_CRYPT_ACONF" },
	{ TCP_CRYPT_BCONF, TCCTL_T_U16S, "TCP_CRYPT_BCONF" },
};

enum tcctl_type tcctl_opt_type(uint32_t optname)
{
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].opt == optname)
			return opts[i].type;
	return TCCTL_T_NONE;
}

const char *tcctl_opt_name(uint32_t optname)
{
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (opts[i].opt == optname)
			return opts[i].name;
	return "?";
}
