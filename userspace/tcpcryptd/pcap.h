/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpcryptd --pcap FILE: a pcapng capture of the frames tcpcryptd receives
 * from and sends to the wire, as they are on the wire (ciphertext once the
 * engine encrypts), with their direction. tcpdump on IFACE cannot show them:
 * XDP takes received frames before the packet taps, and AF_XDP transmits
 * past them. An optional filter (pcap-filter(7) syntax, compiled by
 * libpcap) selects the frames written.
 */
#ifndef TCD_PCAP_H
#define TCD_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/if_xdp.h>

struct pcapw;

/* Open PATH (truncated) for IFNAME's frames; FILTER may be NULL. */
int pcapw_open(struct pcapw **out, const char *path, const char *filter, const char *ifname,
	       char *err, size_t errlen);
/* One frame made of descriptors D[0..N) into the UMEM at AREA. Thread-safe. */
void pcapw_frame(struct pcapw *w, bool outbound, void *area, const struct xdp_desc *d,
		 uint32_t n);
/* One frame in BUF[0..LEN). Thread-safe. */
void pcapw_buf(struct pcapw *w, bool outbound, const uint8_t *buf, uint32_t len);
/* One packet made of A then B (headers, then a payload held elsewhere). */
void pcapw_buf2(struct pcapw *w, bool outbound, const uint8_t *a, uint32_t alen,
		const uint8_t *b, uint32_t blen);
/* Write out what is buffered. */
void pcapw_flush(struct pcapw *w);
/* Frames written so far. */
uint64_t pcapw_count(struct pcapw *w);
void pcapw_close(struct pcapw *w);

#endif
