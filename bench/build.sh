#!/usr/bin/env bash
# bench/build.sh — times `build` in one run, for bld and its peers: a cold build (--no-cache)
# and a no-op rebuild of (a) a small busybox Dockerfile and (b) a context of 10,000 files /
# 200 MB copied by one COPY. Peers: `buildah bud --layers`, `podman build`, and `docker build`
# with BuildKit where a dockerd answers on $DOCKER_HOST (e.g. ../shared/testenv/peer-env.sh
# --with-docker). Not a test: it prints medians and the ratios the issue sets as goals
# (no-op at most 0.1x buildah and under 20 ms for (a), under 100 ms for (b); cold at most
# 0.5x BuildKit). The base image comes from a private registry started here (tests/env).
# Prints best and median of RUNS runs, and the ratios of the medians.
# Usage: bench/build.sh [RUNS]   (default 5 runs per measurement)
#   SETTLE=S   seconds to wait after `sync` before each timed run (default 1)
#   TOOLS="bld docker"   only these of the tools found (default: all of them)
#   ROOTLESS=0 skips, ROOTLESS=only runs alone, a cold build as an ordinary user
#   (bench/rootless.bash): rootless `bld build` against rootless `buildah bud` and BuildKit
#   of a rootless dockerd started for it (rootlesskit), the same goal of 0.5x BuildKit
#
# Fairness, as bench/pull.sh: every timed run is preceded by `sync` and a short settle, so that
# no tool pays for the writeback of the one before (200 MB per cold build in case (b)); the
# tools take turns within each repetition, so that a change of load hits all of them; nothing
# is deleted while anything is timed (deleting thousands of files makes inode allocation slow
# for a while on a journal-less ext4, for whichever tool comes next: buildah and podman keep
# their build containers, --rm=false, instead of deleting 10,000 files after each (b) build).
# The load average is printed for each measurement.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BLD=$TOP/bld
RUNS=${1:-5}
SETTLE=${SETTLE:-1}
W=$(mktemp -d /tmp/bld-bench-build.XXXXXX)
export BLD_ROOT=$W/bld-root
# podman (and buildah, which reads the same file) with a private CONTAINERS_CONF under $W, as
# bench/start.sh does: default ulimits within the hard limits (no CAP_SYS_RESOURCE here, and
# podman's own nproc is lowered to 32768 before it starts the runtime: stay at or below it), and
# runc when cgroup v2 is mounted in hybrid mode with controllers (crun 1.8 refuses to run then).
# Nothing global changes. Without this podman build fails in case (a) at its RUN step with
# "setrlimit RLIMIT_NOFILE: Operation not permitted".
mkdir -p "$W"
hn=$(ulimit -Hn) hu=$(ulimit -Hu)
{ [ "$hu" = unlimited ] || [ "$hu" -gt 32768 ]; } && hu=32768
ul="\"nproc=$hu:$hu\""
[ "$hn" = unlimited ] || ul="\"nofile=$(( hn < 1024 ? hn : 1024 )):$hn\", $ul"
{ printf '[containers]\ndefault_ulimits = [%s]\n' "$ul"
  if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then printf '[engine]\nruntime = "runc"\n'; fi
} >"$W/containers.conf"
export CONTAINERS_CONF=$W/containers.conf
BH=(buildah --root "$W/bh/storage" --runroot "$W/bh/run" --storage-driver overlay)
PM=(podman --root "$W/pm/storage" --runroot "$W/pm/run" --storage-driver overlay)
. "$TOP/tests/env/cgroups.sh"
mapfile -t CGROUPS < <(bld_cgroups_snapshot) # bld's cgroup parents made here go again
cleanup() {
  "${BH[@]}" rmi -af >/dev/null 2>&1; "${PM[@]}" rmi -af >/dev/null 2>&1
  # buildah and podman mount their overlay storage onto itself: unmount whatever is under W
  grep -o " $W/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  "$TOP/tests/env/registry.sh" stop "$W/reg" >/dev/null 2>&1
  [ -n "${NS:-}" ] && ip netns del "$NS" 2>/dev/null
  rm -rf --one-file-system "$W"
  bld_cgroups_remove "${CGROUPS[@]}"
}
. "$TOP/bench/rootless.bash"
trap 'bench_rootless_done; cleanup' EXIT
[ -x "$BLD" ] || { echo "bench: build bld first"; exit 1; }
if [ "${ROOTLESS:-1}" = only ]; then ROUNDS=1 RUNS=$RUNS bench_rootless_build; exit 0; fi
"$TOP/tests/env/registry.sh" start "$W/reg" >/dev/null || exit 1
. "$W/reg/env"
"$TOP/tests/env/seed.sh" --env "$W/reg/env" --only latest >/dev/null || exit 1
BASE=$REG_ADDR/library/busybox:latest

# (a) a small Dockerfile; (b) 10,000 files, 200 MB
mkdir -p "$W/a" "$W/b"
printf 'FROM %s\nENV APP=/app\nCOPY hello.sh /app/hello.sh\nRUN chmod 755 /app/hello.sh && echo built > /app/info\nWORKDIR /app\nCMD ["/app/hello.sh"]\n' "$BASE" >"$W/a/Dockerfile"
printf '#!/bin/sh\necho hello\n' >"$W/a/hello.sh"
printf 'FROM %s\nCOPY . /ctx\n' "$BASE" >"$W/b/Dockerfile"
python3 - "$W/b" <<'PY'
import os, sys
root = sys.argv[1]
block = os.urandom(1 << 20)
for d in range(100):
    os.makedirs(f"{root}/d{d:03}", exist_ok=True)
    for f in range(100):
        off = (d * 100 + f) * 997 % ((1 << 20) - 20480)
        with open(f"{root}/d{d:03}/f{f:03}", "wb") as fh:
            fh.write(block[off:off + 20480])
PY
sleep 1 # let the files age beyond the stat cache's racy window

settle() { sync; sleep "$SETTLE"; }
# one_ms FILE CMD... — appends the wall time of one run (ms, or FAIL) to FILE, after a settle
one_ms() {
  local f=$1 s e
  shift
  settle
  s=$(date +%s%N)
  if "$@" >/dev/null 2>&1; then e=$(date +%s%N); echo $(((e - s) / 1000000)) >>"$f"; else echo FAIL >>"$f"; fi
}
# stats FILE — "best median" (FAIL FAIL when any run failed)
stats() {
  if grep -q FAIL "$1"; then echo "FAIL FAIL"; return; fi
  sort -n "$1" | awk '{a[NR] = $1} END {print a[1], a[int((NR + 1) / 2)]}'
}
load() { cut -d' ' -f1-3 /proc/loadavg; }

declare -A R B L
tools=(bld)
"$BLD" pull -q "$BASE" >/dev/null || exit 1
# bld builds in a network namespace made here, with only lo: the bridge and NAT rule it sets
# up for RUN steps live there, not on the host (the base image is in its store already)
NS=bld-bench-build-$$
ip netns add "$NS" && ip netns exec "$NS" ip link set lo up || exit 1
if command -v buildah >/dev/null && "${BH[@]}" pull -q --tls-verify=false "$BASE" >/dev/null 2>&1; then tools+=(buildah); fi
if command -v podman >/dev/null && "${PM[@]}" pull -q --tls-verify=false "$BASE" >/dev/null 2>&1; then tools+=(podman); fi
DK=/usr/bin/docker
if [ -x "$DK" ] && "$DK" info >/dev/null 2>&1 && "$DK" pull -q "$BASE" >/dev/null 2>&1; then tools+=(docker); fi

if [ -n "${TOOLS:-}" ]; then
  want=" $TOOLS " all=("${tools[@]}") tools=()
  for t in "${all[@]}"; do [[ $want == *" $t "* ]] && tools+=("$t"); done
fi

build() { # TOOL CASE nocache|noop
  local nc=()
  [ "$3" = nocache ] && nc=(--no-cache)
  case $1 in
    bld) nsenter --net="/run/netns/$NS" "$BLD" build -q "${nc[@]}" -t "bench-$2" "$W/$2" ;;
    buildah) "${BH[@]}" bud -q --rm=false --layers "${nc[@]}" --isolation chroot --network host --tls-verify=false -t "bench-$2" "$W/$2" ;;
    podman) "${PM[@]}" build -q --rm=false --layers "${nc[@]}" --network host --tls-verify=false -t "bench-$2" "$W/$2" ;;
    docker) DOCKER_BUILDKIT=1 "$DK" build -q "${nc[@]}" --network host -t "bench-$2" "$W/$2" ;;
  esac
}

echo "$RUNS runs each, tools in turn, sync and ${SETTLE}s settle before each run; best/median ms"
mkdir -p "$W/t"
for c in a b; do
  L[$c,cold]=$(load)
  for ((i = 0; i < RUNS; i++)); do
    for t in "${tools[@]}"; do one_ms "$W/t/$t.$c.cold" build "$t" "$c" nocache; done
  done
  for t in "${tools[@]}"; do build "$t" "$c" noop >/dev/null 2>&1; done # the cache is warm
  L[$c,noop]=$(load)
  for ((i = 0; i < RUNS; i++)); do
    for t in "${tools[@]}"; do one_ms "$W/t/$t.$c.noop" build "$t" "$c" noop; done
  done
  for t in "${tools[@]}"; do
    for m in cold noop; do read -r B[$t,$c,$m] R[$t,$c,$m] <<<"$(stats "$W/t/$t.$c.$m")"; done
  done
done
echo "load average (1, 5, 15 min) at the start of: (a) cold ${L[a,cold]}; (a) no-op ${L[a,noop]};" \
  "(b) cold ${L[b,cold]}; (b) no-op ${L[b,noop]}; the end $(load)"

printf '%-8s %14s %14s %14s %14s\n' tool "(a) cold" "(a) no-op" "(b) cold" "(b) no-op"
for t in "${tools[@]}"; do
  printf '%-8s %14s %14s %14s %14s\n' "$t" "${B[$t,a,cold]}/${R[$t,a,cold]}" "${B[$t,a,noop]}/${R[$t,a,noop]}" \
    "${B[$t,b,cold]}/${R[$t,b,cold]}" "${B[$t,b,noop]}/${R[$t,b,noop]}"
done
for t in "${tools[@]}"; do echo "$t (b) cold, each run in turn: $(tr '\n' ' ' <"$W/t/$t.b.cold")ms"; done
ratio() { [ -n "${2:-}" ] && [ "$2" != FAIL ] && [ "$1" != FAIL ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }' || echo "n/a"; }
echo "goals: (a) no-op <= 0.1x buildah: $(ratio "${R[bld,a,noop]}" "${R[buildah,a,noop]:-}"), < 20 ms: ${R[bld,a,noop]} ms;" \
  "(b) no-op < 100 ms: ${R[bld,b,noop]} ms; cold <= 0.5x BuildKit: (a) $(ratio "${R[bld,a,cold]}" "${R[docker,a,cold]:-}")," \
  "(b) $(ratio "${R[bld,b,cold]}" "${R[docker,b,cold]:-}")"
[ "${ROOTLESS:-1}" = 0 ] || ROUNDS=1 RUNS=$RUNS bench_rootless_build
