// SPDX-License-Identifier: GPL-2.0
/* Ephemeral key pairs made ahead of time (see keypool.h). */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "tcpcryptd/keypool.h"

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int keypool_init(struct keypool *kp, const uint8_t *teps, unsigned int nteps,
		 uint32_t depth, const struct tc_rng *rng)
{
	unsigned int i, j;

	memset(kp, 0, sizeof(*kp));
	if (!depth || depth > KEYPOOL_MAX_DEPTH || !rng)
		return -EINVAL;
	pthread_mutex_init(&kp->lock, NULL);
	pthread_cond_init(&kp->wake, NULL);
	kp->rng = rng;
	kp->depth = depth;
	for (i = 0; i < nteps; i++) {
		struct keypool_tep *t;

		for (j = 0; j < kp->nteps && kp->t[j].tep != teps[i]; j++)
			;
		if (j < kp->nteps || !tc_tep_info(teps[i]))
			continue;
		if (kp->nteps == KEYPOOL_TEPS)
			break;
		t = &kp->t[kp->nteps++];
		t->tep = teps[i];
		t->keys = calloc(depth, sizeof(*t->keys));
		t->made_ns = calloc(depth, sizeof(*t->made_ns));
		if (!t->keys || !t->made_ns) {
			keypool_fini(kp);
			return -ENOMEM;
		}
	}
	return 0;
}

static struct keypool_tep *tep_of(struct keypool *kp, uint8_t tep)
{
	unsigned int i;

	for (i = 0; i < kp->nteps; i++)
		if (kp->t[i].tep == tep)
			return &kp->t[i];
	return NULL;
}

/* The oldest pair of t out of the ring (lock held). */
static struct tc_ecdh pop_oldest(struct keypool *kp, struct keypool_tep *t)
{
	struct tc_ecdh e = t->keys[t->head];

	memset(&t->keys[t->head], 0, sizeof(t->keys[t->head]));
	t->head = (t->head + 1) % kp->depth;
	t->n--;
	return e;
}

int keypool_take(void *arg, uint8_t tep, struct tc_ecdh *e)
{
	struct keypool *kp = arg;
	struct keypool_tep *t;
	int err = -ENOENT;

	pthread_mutex_lock(&kp->lock);
	t = tep_of(kp, tep);
	if (t && t->n) {
		*e = pop_oldest(kp, t);
		kp->st.taken++;
		err = 0;
		/* wake the filler once a quarter is gone, not at every take */
		if (t->n == kp->depth - kp->depth / 4 - 1 || !t->n)
			pthread_cond_signal(&kp->wake);
	} else if (t) {
		kp->st.missed++;
		pthread_cond_signal(&kp->wake);
	}
	pthread_mutex_unlock(&kp->lock);
	return err;
}

int keypool_fill(struct keypool *kp, uint64_t now, unsigned int budget)
{
	unsigned int i, made = 0;
	int err = 0;

	pthread_mutex_lock(&kp->lock);
	for (i = 0; i < kp->nteps; i++) {
		struct keypool_tep *t = &kp->t[i];

		while (t->n && now >= t->made_ns[t->head] + KEYPOOL_MAX_AGE_NS) {
			struct tc_ecdh old = pop_oldest(kp, t);

			tc_ecdh_free(&old);
			kp->st.expired++;
		}
	}
	for (i = 0; i < kp->nteps && made < budget && !kp->stop; i++) {
		struct keypool_tep *t = &kp->t[i];

		while (t->n < kp->depth && made < budget && !kp->stop) {
			struct tc_ecdh e;
			uint32_t slot;

			/* the slow part runs unlocked: pollers keep taking */
			pthread_mutex_unlock(&kp->lock);
			err = tc_ecdh_generate(&e, t->tep, kp->rng);
			/*
			 * Give the CPU back after each pair. Once picked, a
			 * SCHED_IDLE thread keeps the CPU until it blocks or
			 * the next tick, even while a poller it displaced
			 * (one that yielded, or was preempted by its
			 * application) is runnable with a segment waiting: a
			 * round of four pairs held every eighth connection's
			 * Init2 back by about 250 us. A yield with nothing
			 * else runnable returns at once.
			 */
			sched_yield();
			pthread_mutex_lock(&kp->lock);
			if (err)
				goto out;
			if (t->n == kp->depth) {
				tc_ecdh_free(&e);
				break;
			}
			slot = (t->head + t->n) % kp->depth;
			t->keys[slot] = e;
			t->made_ns[slot] = now;
			t->n++;
			kp->st.made++;
			made++;
		}
	}
out:
	pthread_mutex_unlock(&kp->lock);
	return err ? err : (int)made;
}

static bool all_full(struct keypool *kp)
{
	unsigned int i;

	for (i = 0; i < kp->nteps; i++)
		if (kp->t[i].n < kp->depth)
			return false;
	return true;
}

static void *keypool_main(void *arg)
{
	struct keypool *kp = arg;
	struct sched_param sp = { 0 };
	int r;

	/* only idle CPU: pollers and applications always go first */
	if (sched_setscheduler(0, SCHED_IDLE, &sp))
		pr_debug("key pool: SCHED_IDLE: %s\n", strerror(errno));
	for (;;) {
		struct timespec ts;

		/* a few pairs per round, so that stop and expiry are seen soon */
		r = keypool_fill(kp, mono_now(), 4);
		if (r < 0) {
			pr_warn("key pool: making a key pair: %s; key exchanges make "
				"their own\n", strerror(-r));
			break;
		}
		pthread_mutex_lock(&kp->lock);
		if (kp->stop) {
			pthread_mutex_unlock(&kp->lock);
			break;
		}
		if (all_full(kp)) {
			/* woken by takes; each second for expiry */
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&kp->wake, &kp->lock, &ts);
		}
		pthread_mutex_unlock(&kp->lock);
	}
	return NULL;
}

int keypool_start(struct keypool *kp)
{
	int err = pthread_create(&kp->thread, NULL, keypool_main, kp);

	if (err)
		return -err;
	kp->running = true;
	return 0;
}

void keypool_fini(struct keypool *kp)
{
	unsigned int i;

	if (kp->running) {
		pthread_mutex_lock(&kp->lock);
		kp->stop = true;
		pthread_cond_signal(&kp->wake);
		pthread_mutex_unlock(&kp->lock);
		pthread_join(kp->thread, NULL);
		kp->running = false;
	}
	for (i = 0; i < kp->nteps; i++) {
		struct keypool_tep *t = &kp->t[i];

		while (t->keys && t->n) {
			struct tc_ecdh e = pop_oldest(kp, t);

			tc_ecdh_free(&e);
		}
		free(t->keys);
		free(t->made_ns);
		t->keys = NULL;
		t->made_ns = NULL;
	}
	kp->nteps = 0;
	pthread_cond_destroy(&kp->wake);
	pthread_mutex_destroy(&kp->lock);
}

void keypool_get_stats(struct keypool *kp, struct keypool_stats *out)
{
	pthread_mutex_lock(&kp->lock);
	*out = kp->st;
	pthread_mutex_unlock(&kp->lock);
}
