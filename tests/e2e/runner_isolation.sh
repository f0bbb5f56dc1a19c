#!/usr/bin/env bash
# The sandbox's walls on busybox: own pid namespace, no mounts, masked /proc files, seccomp
# refusing unshare and keyctl, no host files, Docker's default capability set, and the
# options that change them (--cap-add/--cap-drop, --privileged, seccomp=unconfined|FILE);
# cgroup limits: -m (OOM kill reported as 137 + OOMKilled) and --pids-limit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

# sh, ls and nothing else: pids 1 and 2 (ls) — no host process is visible
t_eq "only its own processes" "/proc/1 /proc/2" "$(B run --rm $IMG sh -c 'echo $(ls -d /proc/[0-9]*)')"
t_eq "pid 1 is the command" "1" "$(B run --rm $IMG sh -c 'echo $$')"
t_exit "cannot mount" 1 B run --rm $IMG sh -c 'mkdir /m && mount -t tmpfs none /m'
t_exit "cannot read /proc/kcore" 1 B run --rm $IMG sh -c 'test -s /proc/kcore || exit 1; head -c1 /proc/kcore >/dev/null'
t_eq "/proc/keys masked" "" "$(B run --rm $IMG cat /proc/keys)"
t_exit "/proc/sys read-only" 1 B run --rm $IMG sh -c 'echo 1 >/proc/sys/kernel/domainname'
t_exit "/sys read-only" 1 B run --rm $IMG sh -c 'echo x >/sys/kernel/uevent_helper'
t_match "unshare fails under seccomp" "Operation not permitted" "$(B run --rm $IMG unshare -n true 2>&1)"
# keyctl has no busybox applet: the syscall number (250 on x86_64) through a tiny program
# is not available either, so use the kernel's view: add_key/keyctl are not allowed
t_eq "seccomp filter is on" "2" "$(B run --rm $IMG sh -c 'grep ^Seccomp: /proc/self/status | cut -f2')"
if command -v keyctl >/dev/null; then
  mkdir -p "$T_DIR/kc" && cp "$(command -v keyctl)" "$T_DIR/kc/"
fi
marker=$T_DIR/host-only-$$
touch "$marker"
t_exit "host files are not visible" 1 B run --rm $IMG test -e "$marker"
t_exit "host root is not visible" 1 B run --rm $IMG test -e /work/HELPERS.md
t_eq "capabilities are Docker's default set" "00000000a80425fb 00000000a80425fb 00000000a80425fb 0000000000000000" \
  "$(B run --rm $IMG sh -c "grep -E '^Cap(Prm|Eff|Bnd|Amb)' /proc/self/status | cut -f2 | tr '\n' ' ' | sed 's/ \$//'")"
t_eq "no no_new_privs by default, as docker" "0" \
  "$(B run --rm $IMG sh -c 'grep ^NoNewPrivs /proc/self/status | cut -f2')"
t_eq "--security-opt no-new-privileges sets it" "1" \
  "$(B run --rm --security-opt no-new-privileges $IMG sh -c 'grep ^NoNewPrivs /proc/self/status | cut -f2')"
t_eq "... also with :true, with the filter still on" "1 2" \
  "$(B run --rm --security-opt no-new-privileges:true $IMG sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status | cut -f2 | tr "\n" " " | sed "s/ \$//"')"
t_eq "... not with =false" "0" \
  "$(B run --rm --security-opt no-new-privileges=false $IMG sh -c 'grep ^NoNewPrivs /proc/self/status | cut -f2')"
t_exit "--security-opt no-new-privileges:maybe fails with 125" 125 \
  B run --rm --security-opt no-new-privileges:maybe $IMG true
t_match "inspect shows SecurityOpt" '"SecurityOpt": *\[ *"no-new-privileges" *\]' \
  "$(B create --security-opt no-new-privileges $IMG true | xargs -I{} "$BLD" inspect {} | tr -d '\n')"
# a setuid-root program run by a user: root's euid without no_new_privs, the user's with it
mkdir -p "$T_DIR/suid"
printf '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("%%d\\n", (int)geteuid()); return 0; }\n' |
  cc -static -O2 -o "$T_DIR/suid/euid" -x c - || t_fail "compile the euid program"
suid() { B run --rm "$@" -v "$T_DIR/suid:/x:ro" $IMG sh -c 'cp /x/euid /bin/euid && chmod 4755 /bin/euid && su app -c /bin/euid'; }
t_eq "a setuid binary gains root, as in docker" "0" "$(suid)"
t_eq "... not with no-new-privileges" "1000" "$(suid --security-opt no-new-privileges)"
t_eq "non-root user has no effective caps" "0000000000000000" "$(B run --rm -u app $IMG sh -c 'grep ^CapEff /proc/self/status | cut -f2')"
t_eq "--cap-drop ALL --cap-add CHOWN" "0000000000000001" "$(B run --rm --cap-drop ALL --cap-add CHOWN $IMG sh -c 'grep ^CapEff /proc/self/status | cut -f2')"
t_eq "--cap-add SYS_ADMIN" "00000000a82425fb" "$(B run --rm --cap-add SYS_ADMIN $IMG sh -c 'grep ^CapEff /proc/self/status | cut -f2')"
t_exit "--cap-drop NET_RAW: no raw ping socket" 1 B run --rm --cap-drop NET_RAW --network none $IMG ping -c1 -W1 127.0.0.1
t_ok "--cap-add SYS_ADMIN --security-opt seccomp=unconfined can mount" \
  B run --rm --cap-add SYS_ADMIN --security-opt seccomp=unconfined $IMG sh -c 'mkdir /m && mount -t tmpfs none /m'
t_eq "seccomp=unconfined turns the filter off" "0" "$(B run --rm --security-opt seccomp=unconfined $IMG sh -c 'grep ^Seccomp: /proc/self/status | cut -f2')"
printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}' >"$T_DIR/prof.json"
t_match "seccomp=FILE applies the profile" "Permission denied" "$(B run --rm --security-opt seccomp="$T_DIR/prof.json" $IMG mkdir /newdir 2>&1)"
t_ok "--privileged can mount" B run --rm --privileged $IMG sh -c 'mkdir /m && mount -t tmpfs none /m'

out=$(B run --name oom -m 16m $IMG sh -c 'x=a; while true; do x=$x$x; done' 2>&1); rc=$?
t_eq "-m 16m memory hog ends with 137" "137" "$rc"
t_eq "inspect says OOMKilled" "true 137" "$(B inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' oom)"
B rm oom >/dev/null
# a subshell forks children (up to 40) until it cannot; they live on (read -t on a pty
# master is a builtin sleep) while the processes are counted with shell builtins only (at
# the limit nothing can fork any more). (A fork bomb whose shells wait for their children
# collapses within milliseconds once SIGCHLD reaches them, as it does under docker.)
out=$(B run --rm --pids-limit 20 $IMG sh -c '( i=0; while [ $i -lt 40 ]; do (read -t 3 x <>/dev/ptmx) & i=$((i+1)); done ) 2>/dev/null; set -- /proc/[0-9]*; echo $#' 2>/dev/null)
t_match "--pids-limit 20 stops the forks" '^(1[0-9]|20)$' "$(head -1 <<<"$out")"
out=$(B run --rm $IMG sh -c '( i=0; while [ $i -lt 40 ]; do (read -t 3 x <>/dev/ptmx) & i=$((i+1)); done ) 2>/dev/null; set -- /proc/[0-9]*; echo $#' 2>/dev/null)
t_eq "... which without the limit start all 40" "41" "$(head -1 <<<"$out")"
t_eq "nothing left" "" "$(runner_leftovers)"
