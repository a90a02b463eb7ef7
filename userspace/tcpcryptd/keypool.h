/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ephemeral key pairs made ahead of time, in idle CPU time.
 *
 * Making a key pair is a scalar multiplication plus OpenSSL's set-up:
 * measured in the daemon, about 100 us, on the path of every new
 * connection at each end (A makes its pair when ENO succeeds, B when Init1
 * arrives). A thread at SCHED_IDLE keeps up to `depth` fresh pairs per TEP
 * ready, yielding after each (keypool_fill); the engine takes one per key
 * exchange (tc_engine_cfg.take_key) and makes its own when none is left. A pair serves one exchange and is
 * then freed with the handshake, so forward secrecy is that of a pair made
 * on the spot (RFC 8548 8); an unused pair is dropped after
 * KEYPOOL_MAX_AGE_NS, so none stays in memory for long.
 */
#ifndef TCD_KEYPOOL_H
#define TCD_KEYPOOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/ecdh.h"
#include "core/rng.h"

#define KEYPOOL_TEPS		8
#define KEYPOOL_DEF_DEPTH	32
#define KEYPOOL_MAX_DEPTH	4096
#define KEYPOOL_MAX_AGE_NS	(60ull * 1000000000ull)

struct keypool_stats {
	uint64_t made;		/* pairs made by the pool */
	uint64_t taken;		/* handed to a key exchange */
	uint64_t missed;	/* asked for, none ready: made on the spot */
	uint64_t expired;	/* dropped unused */
};

struct keypool_tep {
	uint8_t tep;
	uint32_t head, n;	/* a ring of depth pairs, oldest at head */
	struct tc_ecdh *keys;
	uint64_t *made_ns;
};

struct keypool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stop;
	const struct tc_rng *rng;
	uint32_t depth;
	unsigned int nteps;
	struct keypool_tep t[KEYPOOL_TEPS];
	struct keypool_stats st;
};

/* A pool for the given TEPs (duplicates ignored); nothing is made yet. */
int keypool_init(struct keypool *kp, const uint8_t *teps, unsigned int nteps,
		 uint32_t depth, const struct tc_rng *rng);
/* The filling thread, at SCHED_IDLE. */
int keypool_start(struct keypool *kp);
/* Stop the thread and free every pair. */
void keypool_fini(struct keypool *kp);
/* tc_engine_cfg.take_key: 0 and the oldest ready pair for tep, or -ENOENT. */
int keypool_take(void *arg, uint8_t tep, struct tc_ecdh *e);
/*
 * One round of the thread: drop pairs older than KEYPOOL_MAX_AGE_NS at
 * `now` (CLOCK_MONOTONIC ns), then make at most `budget` pairs where
 * missing. Returns the pairs made or a negative errno.
 */
int keypool_fill(struct keypool *kp, uint64_t now, unsigned int budget);
void keypool_get_stats(struct keypool *kp, struct keypool_stats *out);

#endif
