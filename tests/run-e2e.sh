#!/usr/bin/env bash
# tests/run-e2e.sh [SCRIPT...] — runs end-to-end scripts (default: tests/e2e/*.sh) against
# ./bld, each in its own temporary BLD_ROOT, and sums their results into one line
# "e2e: N passed, N failed". A script that dies without reporting counts as one failure.
# Each script runs in a network namespace of its own with only lo up, so that what bld sets
# up for RUN steps and containers (the bld0 bridge, veths, the NAT rule) lives and dies there
# and no test sends anything beyond 127.0.0.1 or the namespaces it makes; the cgroups bld
# makes for its containers are removed at the end when this run made them. A script gets
# E2E_TIMEOUT seconds (default 900).
set -u
cd "$(dirname "$0")/.."
export BLD="${BLD_E2E_BIN:-$PWD/bld}" TOP="$PWD" # BLD_E2E_BIN: another build (make asan-e2e)
[ -x "$BLD" ] || { echo "e2e: $BLD is not built"; echo "e2e: 0 passed, 1 failed"; exit 1; }
scripts=("$@")
[ ${#scripts[@]} -gt 0 ] || scripts=(tests/e2e/*.sh)
pass=0 fail=0
# BLD_E2E_ROOTLESS=ranges|single: bld runs as an ordinary user made for each script, with
# subordinate ids in /etc/subuid and /etc/subgid or without (tests/e2e/lib.sh); a script whose
# header has a line "# e2e-rootless: MODE..." runs so once per MODE, never as root. The user
# and its lines in both files are removed after the script. README.md lists what needs root.
rootless_all=${BLD_E2E_ROOTLESS:-}
unset BLD_E2E_ROOTLESS
rootless_user() { # MODE
  export BLD_E2E_USER=blde2e$$ BLD_E2E_ROOTLESS=$1
  useradd -M -d /nonexistent -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$BLD_E2E_USER" ||
    { echo "not ok - useradd $BLD_E2E_USER"; return 1; }
  [ "$1" = ranges ] || return 0
  echo "$BLD_E2E_USER:400000:65536" >>/etc/subuid
  echo "$BLD_E2E_USER:400000:65536" >>/etc/subgid
}
rootless_user_done() { # userdel refuses a user whose bld-pause is still going away
  [ -n "${BLD_E2E_USER:-}" ] || return 0
  local i
  for i in $(seq 30); do pgrep -u "$BLD_E2E_USER" >/dev/null || break; sleep 0.1; done
  userdel "$BLD_E2E_USER" >/dev/null 2>&1
  sed -i "/^$BLD_E2E_USER:/d" /etc/subuid /etc/subgid 2>/dev/null
  unset BLD_E2E_USER BLD_E2E_ROOTLESS
}
trap rootless_user_done EXIT
. tests/env/cgroups.sh
mapfile -t cgroups < <(bld_cgroups_snapshot) # bld's cgroup parents made here: ours to remove
# the debian test image is made from the apt mirror (debootstrap): here, once per seed
# directory, before the scripts' namespaces, which reach nothing but lo
if grep -qls -- '--debian' "${scripts[@]}"; then
  tests/env/seed.sh --build-only --debian >/dev/null ||
    echo "# tests/env/seed.sh --debian failed: the scripts that need the debian image fail"
fi
# rootless, the script has a mount namespace of its own too, with a /dev/net/tun the user may
# open (a node of mode 0666 bound over the host's there alone), as pasta needs (README.md,
# "Rootless networking"; tests/e2e/lib.sh gives it an interface to copy)
rootless_setup='ip link set lo up && tun=$(mktemp -u /tmp/bld-tun.XXXXXX) &&
  mknod -m 666 "$tun" c 10 200 && mount --bind "$tun" /dev/net/tun && rm -f "$tun"'
run_script() { # SCRIPT [MODE]: adds its results to pass and fail
  local res rc p f
  res=$(mktemp)
  echo "== $1${2:+ (rootless $2)}"
  if [ -n "${2:-}" ]; then
    E2E_RESULTS=$res timeout "${E2E_TIMEOUT:-900}" unshare --net --mount --propagation private -- \
      sh -c "$rootless_setup"' && exec bash "$0"' "$1"
  else
    E2E_RESULTS=$res timeout "${E2E_TIMEOUT:-900}" unshare --net -- sh -c 'ip link set lo up && exec bash "$0"' "$1"
  fi
  rc=$?
  read -r p f <"$res" 2>/dev/null || { p=0; f=0; }
  rm -f "$res"
  if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
    echo "not ok - $1 exited $rc without reporting a failure"
    f=1
  fi
  pass=$((pass + ${p:-0})) fail=$((fail + ${f:-0}))
}
for s in "${scripts[@]}"; do
  [ -f "$s" ] && [ "$(basename "$s")" != lib.sh ] || continue
  modes=${rootless_all:-$(sed -n '1,20s/^# e2e-rootless: //p' "$s" | head -1)}
  [ -n "$modes" ] || { run_script "$s"; continue; }
  for m in $modes; do
    if rootless_user "$m"; then run_script "$s" "$m"; else fail=$((fail + 1)); fi
    rootless_user_done
  done
done
bld_cgroups_remove "${cgroups[@]}"
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
