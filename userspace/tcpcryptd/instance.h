/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One tcpcryptd per interface and network namespace, and what it created.
 *
 * The lock is an flock() on /run/tcpcrypt/tcpcryptd.<netns>.<ifindex>.lock:
 * the kernel drops it when the process dies, however it dies, so "the lock
 * is free" is the liveness test (a heartbeat can still look fresh for a
 * moment after kill -9; a pid can be reused). A second tcpcryptd, however
 * soon after the first, fails to take the lock and leaves without touching
 * anything.
 *
 * The state file next to it says what this process created (the BPF
 * attachment or not, the internal veth pair): written before anything is
 * created, removed at a clean exit. A daemon that finds one left by a
 * killed predecessor knows exactly what to take over and tear down later,
 * and what belongs to tcpcrypt-loader and must stay.
 */
#ifndef TCD_INSTANCE_H
#define TCD_INSTANCE_H

#include <stdbool.h>
#include <sys/types.h>

#define TCD_RUN_DIR	"/run/tcpcrypt"

struct instance {
	char lock_path[128];
	char state_path[128];
	int lock_fd;
};

struct instance_state {
	pid_t pid;
	bool owns_attachment;	/* tcpcryptd attached the programs: it detaches them */
};

/*
 * Take the lock for IFINDEX in this namespace. -EBUSY if another process
 * holds it (*HOLDER gets its pid, 0 if unknown).
 */
int instance_lock(struct instance *in, int ifindex, pid_t *holder);
/* Release and remove the lock and the state file. */
void instance_unlock(struct instance *in);
/* The state left by a previous daemon: 0, -ENOENT if none. */
int instance_state_read(struct instance *in, struct instance_state *st);
int instance_state_write(struct instance *in, const struct instance_state *st);

#endif
