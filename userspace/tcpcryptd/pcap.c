// SPDX-License-Identifier: GPL-2.0
/*
 * pcapng writer (see pcap.h): one Section Header Block, one Interface
 * Description Block (Ethernet, nanosecond timestamps), then one Enhanced
 * Packet Block per frame with epb_flags giving its direction. Pollers of
 * every queue write through one lock; the capture is a debugging aid, not
 * on the fast path when it is off.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pcap/pcap.h>

/* <pcap/pcap.h> and <linux/bpf.h> (via xsk.h) both define struct bpf_insn */
#include "common/log.h"
#include "engine/seg.h"
#include "tcpcrypt_shared.h"
#include "tcpcryptd/pcap.h"

#define BT_SHB		0x0a0d0d0a
#define BT_IDB		0x00000001
#define BT_EPB		0x00000006
#define OPT_END		0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME	2
#define OPT_IF_TSRESOL	9
#define OPT_EPB_FLAGS	2
#define EPB_INBOUND	1
#define EPB_OUTBOUND	2
#define LINKTYPE_ETHERNET 1

struct pcapw {
	pthread_mutex_t lock;
	FILE *f;
	bool failed;
	bool has_filter;
	struct bpf_program prog;
	uint64_t count;
	uint8_t buf[TC_DP_FRAME_MAX];
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* A block: type, total length, BODY (padded), total length. */
static int put_block(FILE *f, uint32_t type, const void *body, size_t len)
{
	static const uint8_t zero[4];
	uint32_t total = 12 + pad4(len);

	if (fwrite(&type, 4, 1, f) != 1 || fwrite(&total, 4, 1, f) != 1 ||
	    (len && fwrite(body, len, 1, f) != 1) ||
	    (pad4(len) > len && fwrite(zero, pad4(len) - len, 1, f) != 1) ||
	    fwrite(&total, 4, 1, f) != 1)
		return -EIO;
	return 0;
}

/* Append option CODE with VAL[LEN] to BUF at *OFF (padded). */
static void put_opt(uint8_t *buf, size_t *off, uint16_t code, const void *val, uint16_t len)
{
	memcpy(buf + *off, &code, 2);
	memcpy(buf + *off + 2, &len, 2);
	memset(buf + *off + 4, 0, pad4(len));
	if (len)
		memcpy(buf + *off + 4, val, len);
	*off += 4 + pad4(len);
}

static int write_headers(FILE *f, const char *ifname)
{
	uint8_t b[256];
	uint32_t magic = 0x1a2b3c4d;
	uint16_t ver[2] = { 1, 0 };
	int64_t slen = -1;
	uint32_t snap = 0;
	uint16_t lt[2] = { LINKTYPE_ETHERNET, 0 };
	uint8_t tsresol = 9;	/* nanoseconds */
	size_t off = 0;

	memcpy(b, &magic, 4);
	memcpy(b + 4, ver, 4);
	memcpy(b + 8, &slen, 8);
	off = 16;
	put_opt(b, &off, OPT_SHB_USERAPPL, "tcpcryptd", 9);
	put_opt(b, &off, OPT_END, NULL, 0);
	if (put_block(f, BT_SHB, b, off))
		return -EIO;
	memcpy(b, lt, 4);
	memcpy(b + 4, &snap, 4);
	off = 8;
	put_opt(b, &off, OPT_IF_NAME, ifname, strlen(ifname));
	put_opt(b, &off, OPT_IF_TSRESOL, &tsresol, 1);
	put_opt(b, &off, OPT_END, NULL, 0);
	return put_block(f, BT_IDB, b, off);
}

int pcapw_open(struct pcapw **out, const char *path, const char *filter, const char *ifname,
	       char *err, size_t errlen)
{
	struct pcapw *w = calloc(1, sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	if (filter && *filter) {
		pcap_t *pd = pcap_open_dead(DLT_EN10MB, TC_DP_FRAME_MAX);

		if (!pd) {
			snprintf(err, errlen, "libpcap: pcap_open_dead failed");
			ret = -ENOMEM;
			goto err;
		}
		if (pcap_compile(pd, &w->prog, filter, 1, PCAP_NETMASK_UNKNOWN)) {
			snprintf(err, errlen, "filter '%s': %s", filter, pcap_geterr(pd));
			pcap_close(pd);
			ret = -EINVAL;
			goto err;
		}
		pcap_close(pd);
		w->has_filter = true;
	}
	w->f = fopen(path, "we");
	if (!w->f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto err;
	}
	if (write_headers(w->f, ifname)) {
		ret = -EIO;
		snprintf(err, errlen, "%s: write error", path);
		goto err;
	}
	*out = w;
	return 0;
err:
	pcapw_close(w);
	return ret;
}

/* Write w->buf[0..len) as one frame; the lock is held. */
static void write_locked(struct pcapw *w, bool outbound, uint32_t len)
{
	uint32_t i, flags = outbound ? EPB_OUTBOUND : EPB_INBOUND;
	uint8_t hdr[20], opts[16];
	struct timespec ts;
	struct tc_seg s;
	uint64_t t;
	size_t off = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	if (w->has_filter) {
		struct pcap_pkthdr ph = { .caplen = len, .len = len };

		if (!pcap_offline_filter(&w->prog, &ph, w->buf))
			return;
	}
	/*
	 * A GSO packet carries the pseudo-header sum only (CHECKSUM_PARTIAL):
	 * the device completes it when it cuts the packet. Show it complete.
	 */
	if (tc_seg_parse(w->buf, len, &s) == TC_SEG_TCP && tc_seg_tcp_csum_partial(w->buf, &s))
		tc_seg_fill_tcp_csum(w->buf, &s);
	memset(hdr, 0, 4);			/* interface 0 */
	i = t >> 32;
	memcpy(hdr + 4, &i, 4);
	i = (uint32_t)t;
	memcpy(hdr + 8, &i, 4);
	memcpy(hdr + 12, &len, 4);		/* captured */
	memcpy(hdr + 16, &len, 4);		/* original */
	put_opt(opts, &off, OPT_EPB_FLAGS, &flags, 4);
	put_opt(opts, &off, OPT_END, NULL, 0);
	{
		static const uint8_t zero[4];
		uint32_t type = BT_EPB, total = 12 + 20 + pad4(len) + off;

		if (fwrite(&type, 4, 1, w->f) != 1 || fwrite(&total, 4, 1, w->f) != 1 ||
		    fwrite(hdr, 20, 1, w->f) != 1 || fwrite(w->buf, len, 1, w->f) != 1 ||
		    (pad4(len) > len && fwrite(zero, pad4(len) - len, 1, w->f) != 1) ||
		    fwrite(opts, off, 1, w->f) != 1 || fwrite(&total, 4, 1, w->f) != 1) {
			pr_warn("--pcap: write error (%s): capture stopped\n", strerror(errno));
			w->failed = true;
			return;
		}
	}
	w->count++;
}

void pcapw_frame(struct pcapw *w, bool outbound, void *area, const struct xdp_desc *d,
		 uint32_t n)
{
	uint32_t len = 0, i;

	pthread_mutex_lock(&w->lock);
	if (!w->failed) {
		for (i = 0; i < n && len + d[i].len <= sizeof(w->buf); i++) {
			memcpy(w->buf + len, (uint8_t *)area + d[i].addr, d[i].len);
			len += d[i].len;
		}
		write_locked(w, outbound, len);
	}
	pthread_mutex_unlock(&w->lock);
}

void pcapw_buf(struct pcapw *w, bool outbound, const uint8_t *buf, uint32_t len)
{
	pcapw_buf2(w, outbound, buf, len, NULL, 0);
}

void pcapw_buf2(struct pcapw *w, bool outbound, const uint8_t *a, uint32_t alen,
		const uint8_t *b, uint32_t blen)
{
	pthread_mutex_lock(&w->lock);
	if (!w->failed) {
		if (alen > sizeof(w->buf))
			alen = sizeof(w->buf);
		if (blen > sizeof(w->buf) - alen)
			blen = sizeof(w->buf) - alen;
		memcpy(w->buf, a, alen);
		if (blen)
			memcpy(w->buf + alen, b, blen);
		write_locked(w, outbound, alen + blen);
	}
	pthread_mutex_unlock(&w->lock);
}

void pcapw_flush(struct pcapw *w)
{
	pthread_mutex_lock(&w->lock);
	if (w->f)
		fflush(w->f);
	pthread_mutex_unlock(&w->lock);
}

uint64_t pcapw_count(struct pcapw *w)
{
	uint64_t n;

	pthread_mutex_lock(&w->lock);
	n = w->count;
	pthread_mutex_unlock(&w->lock);
	return n;
}

void pcapw_close(struct pcapw *w)
{
	if (!w)
		return;
	if (w->f && fclose(w->f))
		pr_warn("--pcap: %s\n", strerror(errno));
	if (w->has_filter)
		pcap_freecode(&w->prog);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
