/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Privileges and key hygiene (issue 8, finding 8).
 *
 * tcpcryptd needs root to attach programs, create the veth pair and AF_XDP
 * sockets; once they exist it keeps only what the running daemon uses
 * (CAP_NET_ADMIN: link changes, detaching at exit). Its memory never
 * reaches swap or a core file: key material lives in OpenSSL's secure heap
 * (EVP_PKEY private keys) or in pages locked by mlockall().
 */
#ifndef TCD_PRIVS_H
#define TCD_PRIVS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/capability.h>

/*
 * Before anything holds a secret: no core dumps, not dumpable (no ptrace
 * by non-root, /proc/PID/mem closed), every page locked now and later,
 * and a secure heap of heap_bytes (a power of 2). Negative errno, logged.
 */
int privs_protect_memory(size_t heap_bytes);

/* The secure heap for MAX_FLOWS connections' private keys. */
size_t privs_heap_size(uint32_t max_flows);

/*
 * After setup, before any thread starts (capabilities are per thread):
 * keep only the capabilities in KEEP (and CAP_IPC_LOCK while
 * RLIMIT_MEMLOCK is finite: locked memory needs it) (a mask of 1ull << CAP_*) in the
 * effective and permitted sets, clear the inheritable and ambient ones,
 * shrink the bounding set where allowed and set no_new_privs.
 */
int privs_drop(uint64_t keep);

/* The capabilities tcpcryptd keeps while it runs. */
#define PRIVS_KEEP	(1ull << CAP_NET_ADMIN)

#endif
