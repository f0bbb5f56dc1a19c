/*
 * tests/fuzz/sandbox.h — what the fuzz targets that write files share: the process moves
 * into a mount namespace of its own where every mount is read-only except a fresh tmpfs
 * over /tmp (the sandbox, nodev/nosuid, gone with the process) and the directories libFuzzer writes (corpus, artifacts).
 * These targets run as root and their whole point is to find writes that escape a
 * directory, so an escape must not reach the real system: outside the sandbox it fails
 * with EROFS, which the targets treat as a finding. Inside the sandbox a sentinel tree
 * shows escapes into siblings of the target.
 *
 * Optionally (BLD_FUZZ_NO_OPENAT2=1) openat2 fails with ENOSYS through a seccomp filter, so
 * that bld_fs_open_in_root takes its component-walk fallback.
 *
 * Header-only (static functions): each fuzz target is one translation unit.
 */
#ifndef BLD_TEST_FUZZ_SANDBOX_H
#define BLD_TEST_FUZZ_SANDBOX_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "common/common.h"

static inline void sb_die(const char *what)
{
	fprintf(stderr, "fuzz sandbox: %s: %s\n", what, strerror(errno));
	abort();
}

/* Keeps path writable: a bind mount onto itself that the read-only pass skips. */
static inline void sb_keep_writable(const char *path, char ***keep)
{
	char *abs = realpath(path, NULL);
	if (!abs)
		return; /* libFuzzer does not create it either */
	if (mount(abs, abs, NULL, MS_BIND, NULL) < 0)
		sb_die("bind a writable directory");
	bld_strv_push(keep, abs);
	free(abs);
}

static inline bool sb_in(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* Field 5 of a mountinfo line (the mount point; octal escapes left alone: such mounts are
 * skipped, which only matters for odd names). */
static inline char *sb_mountpoint(const char *line)
{
	const char *p = line;
	for (int i = 0; i < 4 && p; i++) {
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	if (!p)
		return NULL;
	return xstrndup(p, strcspn(p, " "));
}

static inline void sb_readonly_all(char **keep)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		sb_die("mountinfo");
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		cleanup_free char *mp = sb_mountpoint(line);
		struct statvfs sv;
		if (!mp || sb_in(keep, mp) || strchr(mp, '\\') || statvfs(mp, &sv) < 0)
			continue;
		unsigned long fl = MS_BIND | MS_REMOUNT | MS_RDONLY;
		fl |= (sv.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (sv.f_flag & ST_NODEV ? MS_NODEV : 0) |
		      (sv.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) |
		      (sv.f_flag & ST_NOATIME ? MS_NOATIME : 0) |
		      (sv.f_flag & ST_RELATIME ? MS_RELATIME : 0);
		if (mount(NULL, mp, NULL, fl, NULL) < 0 && errno != EACCES && errno != EPERM &&
		    errno != EINVAL)
			fprintf(stderr, "fuzz sandbox: %s stays writable: %s\n", mp, strerror(errno));
	}
	free(line);
	fclose(f);
}

static inline void sb_no_openat2(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = BLD_ARRAY_SIZE(f), .filter = f};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) < 0)
		sb_die("seccomp");
}

/*
 * Sets the process up (call from LLVMFuzzerInitialize with its argv) and returns the
 * sandbox directory (a tmpfs; caller keeps it). Must run as root.
 */
static inline char *sb_setup(int argc, char **argv)
{
	if (geteuid() != 0) {
		fprintf(stderr, "fuzz sandbox: run as root (it needs a mount namespace)\n");
		abort();
	}
	if (unshare(CLONE_NEWNS) < 0)
		sb_die("unshare");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		sb_die("make / private");
	char **keep = NULL;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] != '-')
			sb_keep_writable(argv[i], &keep);
		else if (bld_str_has_prefix(argv[i], "-artifact_prefix=")) {
			cleanup_free char *d = xstrdup(argv[i] + 17);
			char *slash = strrchr(d, '/');
			if (slash)
				*slash = '\0';
			sb_keep_writable(slash ? (*d ? d : "/") : ".", &keep);
		}
	}
	/* a tmpfs over /tmp, in this namespace only: nothing is left behind on the host */
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=512m,mode=1777") < 0)
		sb_die("mount tmpfs");
	bld_strv_push(&keep, "/tmp");
	sb_readonly_all(keep);
	bld_strv_free(keep);
	if (mkdir("/tmp/sb", 0700) < 0)
		sb_die("mkdir sandbox");
	const char *no2 = getenv("BLD_FUZZ_NO_OPENAT2");
	if (no2 && strcmp(no2, "1") == 0)
		sb_no_openat2();
	return xstrdup("/tmp/sb");
}

/* ------------------------------------------------------------------ tree snapshots */

static inline int sb_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends a line per entry under at/name (recursive, never following links): name,
 * type and mode, owner, size, link count, link target or content, xattr names. */
static inline void sb_snap_at(struct bld_buf *b, int at, const char *name, const char *rel, int depth)
{
	struct stat st;
	if (depth > 64 || fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		bld_buf_printf(b, "%s ?\n", rel);
		return;
	}
	bld_buf_printf(b, "%s %o %u:%u %lld %lu", rel, (unsigned)st.st_mode, (unsigned)st.st_uid,
		     (unsigned)st.st_gid, (long long)st.st_size, (unsigned long)st.st_nlink);
	char buf[512];
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(at, name, buf, sizeof(buf) - 1);
		bld_buf_printf(b, " -> %.*s", (int)(n < 0 ? 0 : n), buf);
	}
	int fd = S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)
			 ? openat(at, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
			 : -1;
	if (fd >= 0) {
		ssize_t n = flistxattr(fd, buf, sizeof(buf));
		for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
			bld_buf_printf(b, " x:%s", buf + i);
	}
	if (fd >= 0 && S_ISREG(st.st_mode)) {
		ssize_t n = read(fd, buf, sizeof(buf));
		bld_buf_printf(b, " = %.*s", (int)(n < 0 ? 0 : n), buf);
	}
	bld_buf_addc(b, '\n');
	DIR *d = fd >= 0 && S_ISDIR(st.st_mode) ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	char **names = NULL;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			bld_strv_push(&names, de->d_name);
	size_t n = bld_strv_len(names);
	if (n)
		qsort(names, n, sizeof(*names), sb_cmp);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *r = xasprintf("%s/%s", rel, names[i]);
		sb_snap_at(b, dirfd(d), names[i], r, depth + 1);
	}
	bld_strv_free(names);
	closedir(d);
}

#endif
