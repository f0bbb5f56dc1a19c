#!/usr/bin/env bash
# bench/start.sh — container start: `bld run --rm busybox true` against `crun run` and
# `runc run` of the same rootfs (an OCI bundle) and `podman run --rm` (those installed), side
# by side with hyperfine, ROUNDS times over, printing per command the best and the median of
# each round's median, and their ratios to crun's in the same round. The load average is
# printed before and after: timings taken on a busy machine are noisy, ratios less so. Not a
# timed test.
#
# Everything runs in a private mount and network namespace made here (crun 1.8 refuses the
# hybrid cgroup layout unless /sys/fs/cgroup/unified is unmounted there; bld's default bridge
# and NAT rule stay in that namespace). podman gets a containers.conf of its own (through
# CONTAINERS_CONF, in the temporary directory; nothing global changes) whose default ulimits
# stay within the hard limits: without CAP_SYS_RESOURCE its defaults cannot be set.
# Goal (issue 4): bld at most 1.5x crun, which is at most 0.03x podman; (issue 13) also with
# --network on a user-defined network.
#   RUNS=N runs per command and round (default 20)  ROUNDS=N (default 3)
#   BLD=path (default ./bld)
#   ROOTLESS=0 skips, ROOTLESS=only runs alone, the same as an ordinary user (bench/rootless.bash):
#   rootless `bld run --rm` against rootless `crun run` and `podman run --rm`; goal (issue 19):
#   the same ratio, at most 1.5x crun
set -eu
[ -n "${BENCH_DEBUG:-}" ] && set -x
cd "$(dirname "$0")/.."
BLD=${BLD:-$PWD/bld}
RUNS=${RUNS:-20}
ROUNDS=${ROUNDS:-3}
command -v hyperfine >/dev/null || { echo "bench/start.sh: hyperfine is not installed"; exit 0; }
command -v busybox >/dev/null || { echo "bench/start.sh: busybox-static is not installed"; exit 0; }

. bench/ns.bash
bench_enter "$0" "$@"
. bench/rootless.bash
trap 'bench_rootless_done; bench_cleanup' EXIT
export BLD_ROOT=$W/root
rootfs=$W/bundle/rootfs
mkdir -p "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" # for crun and runc; empty in the image
bench_busybox_tar "$rootfs" sh true
if [ "${ROOTLESS:-1}" = only ]; then bench_rootless_start; exit 0; fi
"$BLD" import "$W/busybox.tar" bench/busybox:latest >/dev/null
"$BLD" run --rm bench/busybox:latest true # warm: bridge, NAT rule, seccomp cache
"$BLD" network create bench-net >/dev/null # a user-defined network (issue 13)
"$BLD" run --rm --network bench-net bench/busybox:latest true # warm: its bridge and rules

cmds=("$BLD run --rm bench/busybox:latest true" "$BLD run --rm --network none bench/busybox:latest true"
      "$BLD run --rm --network bench-net bench/busybox:latest true")
names=("bld run --rm" "bld run --rm --network none" "bld run --rm --network N")
if command -v crun >/dev/null || command -v runc >/dev/null; then
  (cd "$W/bundle" && { runc spec 2>/dev/null || crun spec; } >/dev/null)
  sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"true"/' "$W/bundle/config.json"
fi
n=0
if command -v crun >/dev/null; then
  cmds+=("crun run --bundle $W/bundle bench-crun"); names+=("crun run"); fi
if command -v runc >/dev/null; then
  cmds+=("runc run --bundle $W/bundle bench-runc"); names+=("runc run"); fi
# podman: its own storage and configuration under $W, rlimits within the hard limits
# (podman lowers its own nproc to 32768 before starting the runtime: stay at or below it)
hn=$(ulimit -Hn) hu=$(ulimit -Hu)
[ "$hu" = unlimited ] || [ "$hu" -gt 32768 ] && hu=32768
ul="\"nproc=$hu:$hu\""
[ "$hn" = unlimited ] || ul="\"nofile=$(( hn < 1024 ? hn : 1024 )):$hn\", $ul"
printf '[containers]\ndefault_ulimits = [%s]\n' "$ul" >"$W/containers.conf"
export CONTAINERS_CONF=$W/containers.conf
podman() { command podman --root "$W/podman/root" --runroot "$W/podman/run" "$@"; }
if command -v podman >/dev/null && podman import "$W/busybox.tar" localhost/bench-busybox >/dev/null 2>&1; then
  cmds+=("podman --root $W/podman/root --runroot $W/podman/run run --rm localhost/bench-busybox true")
  names+=("podman run --rm"); fi

args=()
for i in "${!cmds[@]}"; do
  # a peer that cannot run here (podman asks for rlimits above the hard limits) is skipped
  if ! out=$(${cmds[$i]} 2>&1); then
    echo "skipped: ${names[$i]}: $(tail -1 <<<"$out")"
    continue
  fi
  args+=(-n "${names[$i]}" "${cmds[$i]}")
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/res.$r.json" "${args[@]}" >/dev/null 2>&1 ||
    hyperfine --warmup 3 --runs "$RUNS" --export-json "$W/res.$r.json" "${args[@]}" >/dev/null
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$W"/res.*.json <<'PY'
import json, statistics, sys
rounds = [{r["command"]: r for r in json.load(open(f))["results"]} for f in sys.argv[1:]]
names = list(rounds[0])
def ratios(name):
    return [r[name]["median"] / r["crun run"]["median"] for r in rounds if "crun run" in r]
print(f"{len(rounds)} rounds; per command: best and median of the rounds' medians, "
      "and of the ratios to crun's median in the same round")
print(f"{'command':30} {'best':>8} {'median':>8}  {'ratio best':>10} {'median':>7}")
for n in names:
    meds = [r[n]["median"] * 1000 for r in rounds]
    rs = ratios(n)
    rt = f"{min(rs):9.2f}x {statistics.median(rs):6.2f}x" if rs else ""
    print(f"{n:30} {min(meds):6.1f}ms {statistics.median(meds):6.1f}ms  {rt}")
def vs(name, peer):
    return [r[name]["median"] / r[peer]["median"] for r in rounds if peer in r and name in r]
if ratios("bld run --rm"):
    print(f"goal: bld <= 1.5x crun; bld (default bridge) is "
          f"{statistics.median(ratios('bld run --rm')):.2f}x (median of rounds)")
if ratios("bld run --rm --network N"):
    print(f"goal: bld on a user network <= 1.5x crun; bld --network N is "
          f"{statistics.median(ratios('bld run --rm --network N')):.2f}x (median of rounds)")
if vs("bld run --rm", "podman run --rm"):
    print(f"goal: bld <= 0.03x podman; bld (default bridge) is "
          f"{statistics.median(vs('bld run --rm', 'podman run --rm')):.3f}x (median of rounds)")
PY
command -v podman >/dev/null && podman rmi localhost/bench-busybox >/dev/null 2>&1 || true
[ "${ROOTLESS:-1}" = 0 ] || bench_rootless_start
