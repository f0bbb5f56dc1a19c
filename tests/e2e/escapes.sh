#!/usr/bin/env bash
# Container escapes of the runc/docker CVE classes that apply to bld's runner and cp, each
# attempted for real and shown to fail: a container process overwriting the host's bld
# through /proc/PID/exe of a process bld execs into it (CVE-2019-5736), a leaked directory
# descriptor as working directory (CVE-2024-21626), writes through masked /proc and /sys
# paths, cp through symlinks to host paths and symlinks swapped during the copy
# (CVE-2018-15664, CVE-2019-14271), a cgroup v1 hierarchy's release_agent (CVE-2022-0492), and
# nodes of host devices made with CAP_MKNOD, by a container and by a RUN step.
. "$(dirname "$0")/lib.sh"
# the bld that `exec` runs is a copy, so that an overwrite would hit the copy alone; in a
# directory of its own, as an installed bld is, apart from the store (BLD_ROOT=$T_DIR/root)
VICTIM=$T_DIR/bin/bld-victim
mkdir -p "$T_DIR/bin"
cp "$BLD" "$VICTIM"
. "$(dirname "$0")/runner_env.bash"
V() { nsenter --net="/run/netns/$NS" "$VICTIM" "$@"; }
victim_sum() { sha256sum "$VICTIM" | cut -d' ' -f1; }

# ------------------------------------------------------------- CVE-2019-5736: /proc/PID/exe
# The attacker, inside the container, opens (O_PATH) the executable of every process it can
# see that is bld: the host's file (by device and inode), or a view of it (the same inode
# number and size on another device, as an overlayfs shows it), and tries to reopen it for
# writing.
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
	long size = strtol(argv[3], NULL, 10);
	time_t end = time(NULL) + strtol(argv[4], NULL, 10);
	int fds[64], n = 0, host = 0, wrote = 0;
	while (time(NULL) < end && !wrote) {
		DIR *d = opendir("/proc");
		for (struct dirent *e; d && (e = readdir(d)) && n < 64;) {
			char p[64];
			snprintf(p, sizeof(p), "/proc/%s/exe", e->d_name);
			struct stat st;
			int fd = open(p, O_PATH | O_CLOEXEC);
			if (fd >= 0 && fstat(fd, &st) == 0 && st.st_ino == ino && st.st_size == size) {
				host += st.st_dev == dev;
				fds[n++] = fd;
			} else if (fd >= 0) {
				close(fd);
			}
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
	printf("opened %d wrote %d\n", host, wrote);
	return 0;
}
C
cc -static -O2 -o "$X/attack" "$T_DIR/attack.c" || t_fail "compile the attacker"
# the runc exploit's entry point: an executable whose interpreter is the runtime itself
printf '#!/proc/self/exe\n' >"$X/evil"
chmod 755 "$X/evil"
want=$(victim_sum)
read -r dev ino size < <(stat -c '%d %i %s' "$VICTIM")
B run -d --name victim -v "$X:/x:ro" $IMG sleep 300 >/dev/null
B exec -d victim sh -c "/x/attack $dev $ino $size 6 >/tmp/res 2>&1"
for i in $(seq 15); do
  V exec victim /x/evil >/dev/null 2>&1
  V exec -d victim /x/evil >/dev/null 2>&1
  V exec victim true >/dev/null 2>&1
done
for i in $(seq 80); do B exec victim test -s /tmp/res && break; sleep 0.1; done
t_eq "CVE-2019-5736: bld exec never shows the container the host's bld" "opened 0 wrote 0" \
  "$(B exec victim cat /tmp/res)"
t_eq "... and the host's bld is unchanged" "$want" "$(victim_sum)"

# A RUN step's process is the first in its container, so the attacker is the step itself:
# "#!/proc/self/exe" execs the bld that runs the step, with the image's LD_PRELOAD (the host's
# libraries are in the image, so that any bld can start there), whose constructor does what
# the attacker above does and leaves its result in the image.
cat >"$T_DIR/inject.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
__attribute__((constructor)) static void inject(void)
{
	struct stat st;
	char p[64], want[64];
	int fd = open("/proc/self/exe", O_PATH), opened = 0, wrote = 0;
	if (fd >= 0 && fstat(fd, &st) == 0) {
		snprintf(want, sizeof(want), "%lu %lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
		opened = getenv("ESC_ID") && strcmp(getenv("ESC_ID"), want) == 0;
	}
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	int w = fd >= 0 ? open(p, O_WRONLY) : -1; /* whatever file this bld runs from */
	wrote = w >= 0 && pwrite(w, "PWNED", 5, 0) == 5;
	FILE *f = fopen("/res", "w");
	fprintf(f, "opened %d wrote %d\n", opened, wrote);
	fclose(f);
	_exit(0);
}
C
cp "$BLD" "$VICTIM" # a fresh copy, whatever happened above
want=$(victim_sum)
mkdir -p "$T_DIR/rctx/root/x"
cc -shared -fPIC -O2 -o "$T_DIR/rctx/root/x/inject.so" "$T_DIR/inject.c" || t_fail "compile the injected library"
cp "$X/evil" "$T_DIR/rctx/root/x/"
for l in $(ldd "$VICTIM" | grep -o '/[^ ]*'); do
  mkdir -p "$T_DIR/rctx/root$(dirname "$l")" && cp -L "$l" "$T_DIR/rctx/root$l"
done
printf 'FROM %s\nCOPY root/ /\nENV LD_PRELOAD=/x/inject.so ESC_ID="%s %s"\nRUN ["/x/evil"]\n' \
  "$IMG" "$dev" "$ino" >"$T_DIR/rctx/Dockerfile"
V build -q -t esc-run "$T_DIR/rctx" >/dev/null 2>&1
t_eq "CVE-2019-5736: a RUN step never gets the host's bld" "opened 0 wrote 0" "$(B run --rm esc-run cat /res 2>&1)"
t_eq "... and the host's bld is unchanged" "$want" "$(victim_sum)"
B rmi esc-run >/dev/null 2>&1

# ---------------------------------------------- CVE-2024-21626: a leaked descriptor as workdir
# Were any of bld's directory descriptors open in the container's first process, -w
# /proc/self/fd/N would start it in a host directory, from which ".." climbs to the host's /.
marker=$T_DIR/host-marker
touch "$marker"
up=../../../../../../../../../..
esc="test -e $up$marker && echo ESCAPED-\$((6*7)); true"
out=$(for n in 3 4 5 6 7 8 9; do B run --rm -w /proc/self/fd/$n $IMG sh -c "$esc" 2>&1; done)
t_eq "CVE-2024-21626: run -w /proc/self/fd/N reaches no host directory" "" "$(grep ESCAPED-42 <<<"$out")"
out=$(for n in 3 4 5 6 7 8 9; do B exec -w /proc/self/fd/$n victim sh -c "$esc" 2>&1; done)
t_eq "... nor does exec -w /proc/self/fd/N" "" "$(grep ESCAPED-42 <<<"$out")"
B rm -f victim >/dev/null
mkdir -p "$T_DIR/ctx"
out=$(for n in 3 4 5 6 7 8 9; do
  printf 'FROM %s\nWORKDIR /proc/self/fd/%s\nRUN %s\n' "$IMG" $n "$esc" >"$T_DIR/ctx/Dockerfile"
  B build --progress plain --no-cache -t esc-wd "$T_DIR/ctx" 2>&1
done)
t_eq "... nor does WORKDIR /proc/self/fd/N in a build" "" "$(grep ESCAPED-42 <<<"$out")"
B rmi esc-wd >/dev/null 2>&1

# ----------------------------------------------------- masked and read-only /proc and /sys
# Each write puts back the value it read (were it allowed, nothing would change), after
# trying to unmount what covers the path; files this kernel lacks are skipped.
t_host() { if [ -e "$1" ]; then shift; t_eq "$@"; else t_pass "$2 # SKIP $1 absent on this kernel"; fi; }
put_back() { echo "umount $1 2>/dev/null; cat $1 >/tmp/v && cat /tmp/v >$1 && echo WROTE"; }
t_host /proc/sysrq-trigger "/proc/sysrq-trigger refuses writes" "" \
  "$(B run --rm $IMG sh -c 'umount /proc/sysrq-trigger; echo h >/proc/sysrq-trigger && echo WROTE' 2>/dev/null)"
t_eq "/proc/sys/kernel/core_pattern refuses writes" "" \
  "$(B run --rm $IMG sh -c "umount /proc/sys 2>/dev/null; $(put_back /proc/sys/kernel/core_pattern)" 2>/dev/null)"
t_eq "/sys/kernel refuses writes" "" \
  "$(B run --rm $IMG sh -c "$(put_back /sys/kernel/rcu_normal)" 2>/dev/null)"
for f in /proc/kcore /proc/timer_list /proc/keys; do
  t_host $f "$f reads nothing" "0" "$(B run --rm $IMG sh -c "umount $f 2>/dev/null; head -c 16 $f 2>/dev/null | wc -c")"
done

# --------------------------------------------------- CVE-2022-0492: cgroup v1 release_agent
# A release_agent written from a container runs as root on the host: no cgroup v1 hierarchy
# may be mounted, and no release_agent the container sees may be writable.
rel='mkdir -p /tmp/cg; for o in memory none,name=esc; do mount -t cgroup -o $o cgroup /tmp/cg && echo MOUNTED $o; done
  for f in $(find /sys/fs/cgroup /tmp/cg -maxdepth 3 -name release_agent); do cat $f >/tmp/v && cat /tmp/v >$f && echo WROTE $f; done'
t_eq "CVE-2022-0492: no cgroup v1 mount, no release_agent writable" "" "$(B run --rm $IMG sh -c "$rel" 2>/dev/null)"

# ---------------------------------------------------------- device nodes made with CAP_MKNOD
# Containers and RUN steps keep CAP_MKNOD, as docker's and BuildKit's do: docker's device
# rules (the devices cgroup, v1) keep a node made of a host device (/dev/mem here) from being
# opened. A pure v2 host has no devices hierarchy: skipped there.
if [ -d /sys/fs/cgroup/devices ]; then
  mk='mknod /m c 1 1 && head -c0 /m 2>&1 | sed "s/.*: //"; head -c0 /dev/null && echo null-ok'
  t_eq "a container opens no node of a host device it made" "Operation not permitted
null-ok" "$(B run --rm $IMG sh -c "$mk" 2>&1)"
  # a step's leaf that a killed build left (its pid gone) is taken out by the next step
  own=$(awk -F: '$2 == "devices" {print $3}' /proc/self/cgroup)
  dead=$(sh -c 'echo $$')
  stale=/sys/fs/cgroup/devices${own%/}/bld/bld-step-$dead-0
  mkdir -p "$stale"
  mkdir -p "$T_DIR/dctx"
  printf 'FROM %s\nRUN %s\n' "$IMG" "$mk" >"$T_DIR/dctx/Dockerfile"
  out=$(B build --progress plain --no-cache -t esc-dev "$T_DIR/dctx" 2>&1)
  t_eq "... nor does a RUN step" "Operation not permitted null-ok" \
    "$(grep -E '^#[0-9]+ [0-9.]+ ' <<<"$out" | grep -oE 'Operation not permitted|null-ok' | paste -sd' ')"
  t_eq "... whose cgroup goes with it, and takes a killed build's with it" "" \
    "$(ls -d "${stale%/*}"/bld-step-* 2>/dev/null)"
  rmdir "$stale" 2>/dev/null
  B rmi esc-dev >/dev/null 2>&1
  mkdir -p "$stale"
  B system prune -f >/dev/null 2>&1
  t_eq "... and bld system prune takes out a killed build's leaf too" "" "$(ls -d "$stale" 2>/dev/null)"
  rmdir "$stale" 2>/dev/null
else
  t_pass "device nodes # SKIP no cgroup v1 devices hierarchy here"
fi

# ------------------------------------------------- CVE-2018-15664, CVE-2019-14271: cp and links
# The container swaps /w between a directory of its own and a symlink to a host directory
# (and / to the host's /) while bld cp reads from and writes into it.
mkdir -p "$T_DIR/hostdir" "$T_DIR/out" "$T_DIR/in"
echo host-secret >"$T_DIR/hostdir/secret"
echo planted >"$T_DIR/in/planted"
B run -d --name cpvic $IMG sh -c "while :; do mkdir -p /d && echo inside >/d/secret; \
  ln -sfn $T_DIR/hostdir /w; ln -sfn / /r; rm -f /w /r; ln -sfn /d /w; ln -sfn /d /r; rm -f /w /r; done" >/dev/null
for i in $(seq 25); do
  B cp cpvic:/w/secret "$T_DIR/out/w$i" 2>/dev/null
  B cp "cpvic:/r$T_DIR/hostdir/secret" "$T_DIR/out/r$i" 2>/dev/null
  B cp "$T_DIR/in/planted" cpvic:/w/ 2>/dev/null
  B cp "$T_DIR/in/planted" "cpvic:/r$T_DIR/hostdir/" 2>/dev/null
done
t_eq "CVE-2018-15664: cp from a swapped symlink never reads the host" "" "$(grep -rl host-secret "$T_DIR/out")"
t_eq "... cp into it never writes the host" "secret" "$(ls "$T_DIR/hostdir")"
t_match "... while the copies did happen inside" "inside" "$(cat "$T_DIR/out"/* 2>/dev/null | sort -u)"
B rm -f cpvic >/dev/null
t_eq "nothing left" "" "$(runner_leftovers)"
