// SPDX-License-Identifier: GPL-2.0
/* Privileges and key hygiene of tcpcryptd (see privs.h). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "tcpcryptd/privs.h"

#ifndef MCL_ONFAULT
#define MCL_ONFAULT	4
#endif

size_t privs_heap_size(uint32_t max_flows)
{
	/* a private key is 32-66 bytes, 128 with the allocator's rounding;
	 * twice that for the temporaries of a key exchange */
	size_t want = (size_t)max_flows * 256, n = 256 * 1024;

	while (n < want && n < ((size_t)1 << 30))
		n <<= 1;
	return n;
}

int privs_protect_memory(size_t heap_bytes)
{
	struct rlimit nocore = { 0, 0 }, unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	int r;

	if (setrlimit(RLIMIT_CORE, &nocore) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
		pr_warn("disabling core dumps: %s\n", strerror(errno));
		return -errno;
	}
	/*
	 * Locked pages count against RLIMIT_MEMLOCK once CAP_IPC_LOCK is
	 * gone; lift it now, while it may still be raised.
	 */
	if (setrlimit(RLIMIT_MEMLOCK, &unlimited))
		pr_debug("RLIMIT_MEMLOCK stays finite (no CAP_SYS_RESOURCE): CAP_IPC_LOCK "
			 "will be kept\n");
	/* on fault: thread stacks and arenas are locked as they are used */
	if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) {
		r = -errno;
		pr_warn("mlockall: %s: key material could reach swap; tcpcryptd needs "
			"CAP_IPC_LOCK or a sufficient RLIMIT_MEMLOCK (LimitMEMLOCK=infinity)\n",
			strerror(-r));
		return r;
	}
	r = CRYPTO_secure_malloc_init(heap_bytes, 16);
	if (r != 1) {
		pr_warn("OpenSSL secure heap of %zu bytes: %s\n", heap_bytes,
			r == 2 ? "its pages could not be locked" : "cannot be created");
		return r == 2 ? -ENOMEM : -EINVAL;
	}
	return 0;
}

static int capget_self(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

int privs_drop(uint64_t keep)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};
	struct rlimit ml;
	int cap, r;

	/* memory locked from here on counts against a limit that could not be lifted */
	if (getrlimit(RLIMIT_MEMLOCK, &ml) || ml.rlim_cur != RLIM_INFINITY)
		keep |= 1ull << CAP_IPC_LOCK;
	/*
	 * Best effort where CAP_SETPCAP is missing (a systemd unit that did
	 * not grant it): no_new_privs below still keeps an exec from
	 * regaining anything beyond the permitted set.
	 */
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
		  SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
		  SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0))
		pr_debug("securebits: %s\n", strerror(errno));
	for (cap = 0; cap < 64; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
			continue;	/* not in the set, or past the kernel's last */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) {
			pr_debug("bounding set: keeping capability %d: %s\n", cap, strerror(errno));
			break;
		}
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	r = capget_self(d);
	if (r)
		goto fail;
	d[0].effective = d[0].permitted &= (uint32_t)keep;
	d[1].effective = d[1].permitted &= (uint32_t)(keep >> 32);
	d[0].inheritable = d[1].inheritable = 0;
	if (syscall(SYS_capset, &h, d)) {
		r = -errno;
		goto fail;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		r = -errno;
		goto fail;
	}
	return 0;
fail:
	pr_warn("dropping privileges: %s\n", strerror(-r));
	return r;
}
