#!/usr/bin/env bash
# bench/start.sh — container start: `bld run --rm busybox true` against `crun run` and
# `runc run` of the same rootfs (an OCI bundle) and `podman run --rm` (those installed), side
# by side with hyperfine, printing each mean and its ratio to crun. Not a timed test.
#
# Everything runs in a private mount and network namespace made here (crun 1.8 refuses the
# hybrid cgroup layout unless /sys/fs/cgroup/unified is unmounted there; bld's default bridge
# and NAT rule stay in that namespace). Goal: bld at most 1.5x crun.
#   RUNS=N (default 30)  BLD=path (default ./bld)
set -eu
[ -n "${BENCH_DEBUG:-}" ] && set -x
cd "$(dirname "$0")/.."
BLD=${BLD:-$PWD/bld}
RUNS=${RUNS:-30}
command -v hyperfine >/dev/null || { echo "bench/start.sh: hyperfine is not installed"; exit 0; }
command -v busybox >/dev/null || { echo "bench/start.sh: busybox-static is not installed"; exit 0; }

if [ "${BLD_BENCH_INNER:-}" != 1 ]; then
  exec unshare -m -n --propagation private env BLD_BENCH_INNER=1 "$0" "$@"
fi
umount /sys/fs/cgroup/unified 2>/dev/null || true
ip link set lo up

W=$(mktemp -d /tmp/bld-bench.XXXXXX)
trap 'rm -rf --one-file-system "$W"' EXIT
export BLD_ROOT=$W/root
rootfs=$W/bundle/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
cp "$(command -v busybox)" "$rootfs/bin/"
for a in sh true; do ln -s busybox "$rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
tar -C "$rootfs" -cf "$W/busybox.tar" .
"$BLD" import "$W/busybox.tar" bench/busybox:latest >/dev/null
"$BLD" run --rm bench/busybox:latest true # warm: bridge, NAT rule, seccomp cache

cmds=("$BLD run --rm bench/busybox:latest true" "$BLD run --rm --network none bench/busybox:latest true")
names=("bld run --rm" "bld run --rm --network none")
if command -v crun >/dev/null || command -v runc >/dev/null; then
  (cd "$W/bundle" && { runc spec 2>/dev/null || crun spec; } >/dev/null)
  sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"true"/' "$W/bundle/config.json"
fi
n=0
if command -v crun >/dev/null; then
  cmds+=("crun run --bundle $W/bundle bench-crun"); names+=("crun run"); fi
if command -v runc >/dev/null; then
  cmds+=("runc run --bundle $W/bundle bench-runc"); names+=("runc run"); fi
if command -v podman >/dev/null && podman import "$W/busybox.tar" localhost/bench-busybox >/dev/null 2>&1; then
  cmds+=("podman run --rm localhost/bench-busybox true"); names+=("podman run --rm"); fi

args=()
for i in "${!cmds[@]}"; do
  # a peer that cannot run here (podman asks for rlimits above the hard limits) is skipped
  if ! out=$(${cmds[$i]} 2>&1); then
    echo "skipped: ${names[$i]}: $(tail -1 <<<"$out")"
    continue
  fi
  args+=(-n "${names[$i]}" "${cmds[$i]}")
done
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/res.json" "${args[@]}" >/dev/null 2>&1 ||
  hyperfine --warmup 3 --runs "$RUNS" --export-json "$W/res.json" "${args[@]}" >/dev/null
python3 - "$W/res.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
by = {r["command"]: r for r in res}
base = by.get("crun run")
print(f"{'command':32} {'mean':>9} {'min':>9} {'median':>9}  ratio to crun")
for r in res:
    ratio = f"{r['mean'] / base['mean']:.2f}x" if base else "-"
    print(f"{r['command']:32} {r['mean']*1000:7.1f}ms {r['min']*1000:7.1f}ms {r['median']*1000:7.1f}ms  {ratio}")
if base and "bld run --rm" in by:
    print(f"goal: bld <= 1.5x crun; bld is {by['bld run --rm']['mean'] / base['mean']:.2f}x")
PY
command -v podman >/dev/null && podman rmi localhost/bench-busybox >/dev/null 2>&1 || true
