// SPDX-License-Identifier: GPL-2.0
/* The per-interface lock and state file of tcpcryptd (see instance.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "common/log.h"
#include "tcpcryptd/instance.h"

static unsigned long netns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (unsigned long)st.st_ino;
}

int instance_lock(struct instance *in, int ifindex, pid_t *holder)
{
	unsigned long ns = netns_ino();
	char buf[32];
	int fd, tries;

	*holder = 0;
	in->lock_fd = -1;
	if (mkdir(TCD_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	snprintf(in->lock_path, sizeof(in->lock_path), TCD_RUN_DIR "/tcpcryptd.%lu.%d.lock",
		 ns, ifindex);
	snprintf(in->state_path, sizeof(in->state_path), TCD_RUN_DIR "/tcpcryptd.%lu.%d.state",
		 ns, ifindex);
	for (tries = 0; tries < 10; tries++) {
		struct stat a, b;
		ssize_t n;

		fd = open(in->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

			n = pread(fd, buf, sizeof(buf) - 1, 0);
			if (n > 0) {
				buf[n] = 0;
				*holder = atoi(buf);
			}
			close(fd);
			return err;
		}
		/* the holder may have removed the file after we opened it: retry */
		if (fstat(fd, &a) || stat(in->lock_path, &b) || a.st_ino != b.st_ino) {
			close(fd);
			continue;
		}
		n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
		if (ftruncate(fd, 0) || pwrite(fd, buf, n, 0) != n) {
			close(fd);
			return -EIO;
		}
		in->lock_fd = fd;
		return 0;
	}
	return -EAGAIN;
}

void instance_unlock(struct instance *in)
{
	if (in->lock_fd < 0)
		return;
	/* unlink while holding the lock: a racing opener re-checks the inode */
	unlink(in->state_path);
	unlink(in->lock_path);
	close(in->lock_fd);
	in->lock_fd = -1;
}

int instance_state_read(struct instance *in, struct instance_state *st)
{
	char line[128];
	FILE *f = fopen(in->state_path, "re");
	int v;

	memset(st, 0, sizeof(*st));
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "pid %d", &v) == 1)
			st->pid = v;
		else if (sscanf(line, "owns_attachment %d", &v) == 1)
			st->owns_attachment = v;
	}
	fclose(f);
	return 0;
}

int instance_state_write(struct instance *in, const struct instance_state *st)
{
	char tmp[160];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", in->state_path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "pid %d\nowns_attachment %d\n", (int)st->pid, st->owns_attachment);
	if (fclose(f) || rename(tmp, in->state_path)) {
		int err = -errno;

		unlink(tmp);
		return err;
	}
	return 0;
}
