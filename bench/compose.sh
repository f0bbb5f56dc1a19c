#!/usr/bin/env bash
# bench/compose.sh — bld compose against docker-compose 1.29.2 with a private dockerd and
# podman-compose with podman (those installed), on the same projects of busybox services:
#   up      `up -d` of a 10-service project (created and started from nothing)
#   noop    `up -d` again with nothing changed (median of RUNS)
#   ps      `ps` of a 100-container project (10 services scaled to 10; median of RUNS)
#   down    `down` of the 10-service project
# printing seconds and each peer's ratio to bld. Goals (issue 14): up <= 0.1x docker-compose,
# noop < 50 ms, ps of 100 < 50 ms, down <= 0.2x docker-compose. Not a timed test.
#
# Everything runs in a private mount and network namespace made here, each tool with its own
# store under a temporary directory (bld's BLD_ROOT, dockerd's data root, podman's
# storage.conf); the services stop at SIGTERM, so that no tool waits out a stop timeout.
#   RUNS=N (default 5)  BLD=path (default ./bld)
set -eu
cd "$(dirname "$0")/.."
BLD=${BLD:-$PWD/bld}
RUNS=${RUNS:-5}
command -v busybox >/dev/null || { echo "bench/compose.sh: busybox-static is not installed"; exit 0; }
. bench/ns.bash
bench_enter "$0" "$@"
cleanup() {
  [ -n "${DOCKER_HOST:-}" ] && tests/env/dockerd.sh stop "$W/dockerd" >/dev/null 2>&1
  bench_cleanup
}
trap cleanup EXIT
export BLD_ROOT=$W/root
bench_busybox_tar "$W/rootfs" sh sleep true

# project DIR NAME SERVICES SCALE IMAGE
project() {
  mkdir -p "$1"
  { echo "services:"
    for i in $(seq "$3"); do
      printf '  s%d:\n    image: %s\n    scale: %d\n' "$i" "$5" "$4"
      printf '    command: ["sh", "-c", "trap \\"exit 0\\" TERM; sleep 3600 & wait"]\n'
    done; } >"$1/compose.yaml"
}
now() { date +%s%N; }
secs() { echo "scale=4; ($2 - $1) / 1000000000" | bc; }
# timed DIR CMD... — seconds CMD takes in DIR (its output dropped), or "fail" with the
# error's last line on stderr
timed() {
  local d=$1 t0 t1; shift
  t0=$(now)
  if ! (cd "$d" && "$@" >/dev/null 2>"$W/err"); then
    echo "$*: $(tail -1 "$W/err")" >&2
    echo fail
    return 0
  fi
  t1=$(now)
  secs "$t0" "$t1"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { case "$1$2" in *fail*) echo "-" ;; *) echo "scale=3; $1 / $2" | bc ;; esac; }
# measure TOOL IMAGE COMPOSE... — the four numbers of one tool into R[TOOL-*]
declare -A R
measure() {
  local tool=$1 img=$2; shift 2
  project "$W/$tool/b10" b10 10 1 "$img"
  project "$W/$tool/b100" b100 10 10 "$img"
  R[$tool-up]=$(timed "$W/$tool/b10" "$@" up -d)
  R[$tool-noop]=$(for i in $(seq "$RUNS"); do timed "$W/$tool/b10" "$@" up -d; done | median)
  # a ps of 100 containers: b100 brought up (not measured)
  timed "$W/$tool/b100" "$@" up -d >/dev/null
  R[$tool-ps]=$(for i in $(seq "$RUNS"); do timed "$W/$tool/b100" "$@" ps; done | median)
  timed "$W/$tool/b100" "$@" down >/dev/null
  R[$tool-down]=$(timed "$W/$tool/b10" "$@" down)
}

tools=(bld)
"$BLD" import "$W/busybox.tar" bench/busybox:latest >/dev/null
measure bld bench/busybox:latest "$BLD" compose
if command -v docker-compose >/dev/null && tests/env/dockerd.sh start "$W/dockerd" >/dev/null 2>&1; then
  . "$W/dockerd/env"
  export DOCKER_HOST
  "$DOCKER" import "$W/busybox.tar" bench/busybox:latest >/dev/null
  measure docker-compose bench/busybox:latest docker-compose
  tools+=(docker-compose)
fi
if command -v podman-compose >/dev/null; then
  printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "%s"\n' \
    "$W/podman/root" "$W/podman/run" >"$W/storage.conf"
  export CONTAINERS_STORAGE_CONF=$W/storage.conf
  if podman import "$W/busybox.tar" localhost/bench-busybox >/dev/null 2>&1; then
    measure podman-compose localhost/bench-busybox podman-compose
    tools+=(podman-compose)
    podman rm -af >/dev/null 2>&1 || true
  fi
fi

echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %10s %10s %10s %10s\n' tool "up -d" "noop up" "ps (100)" down
for t in "${tools[@]}"; do
  printf '%-16s %10s %10s %10s %10s\n' "$t" "${R[$t-up]}" "${R[$t-noop]}" "${R[$t-ps]}" "${R[$t-down]}"
done
for t in "${tools[@]}"; do
  [ "$t" = bld ] && continue
  printf 'bld / %-10s %10s %10s %10s %10s\n' "$t" \
    "$(ratio "${R[bld-up]}" "${R[$t-up]}")" "$(ratio "${R[bld-noop]}" "${R[$t-noop]}")" \
    "$(ratio "${R[bld-ps]}" "${R[$t-ps]}")" "$(ratio "${R[bld-down]}" "${R[$t-down]}")"
done
echo "goals: up <= 0.1x docker-compose, noop < 0.050 s, ps (100) < 0.050 s, down <= 0.2x docker-compose"
