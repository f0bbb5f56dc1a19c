#!/usr/bin/env bash
# bench/pull.sh — compares `bld pull` and `bld push` with skopeo (and podman when installed)
# on the same image from a private local registry, and prints medians and ratios.
# Not a timed test: it fails only when a tool fails.
#
# Usage: bench/pull.sh [--runs N] [--image debian|busybox]
#   --image debian   (default) library/debian:bookworm, debootstrap minbase, ~51 MB layer,
#                    built once by tests/env/seed.sh --debian (needs debootstrap and the apt
#                    mirror; falls back to busybox when that is not possible)
#   --runs N         runs per tool (default 5); every run starts from an empty store
#
# Measured:
#   pull:  bld pull (download + verify + unpack, ready to run) | skopeo copy docker:// oci:
#          (download only) | podman pull (download + unpack into its storage)
#   push:  bld push | skopeo copy oci: docker://, each into a fresh empty registry
# Goals from issue 3: bld pull <= 0.8x skopeo, bld pull+unpack <= 0.3x podman, push <= skopeo.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BLD=$TOP/bld
RUNS=5 IMAGE=debian
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift ;;
    --image) IMAGE=$2; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "bench/pull.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$BLD" ] || { echo "bench/pull.sh: build bld first (make)" >&2; exit 1; }
W=$(mktemp -d /tmp/bld-bench.XXXXXX)
REGS=()
cleanup() {
  local r
  for r in "${REGS[@]}"; do "$TOP/tests/env/registry.sh" stop "$r" || true; done
  rm -rf --one-file-system "$W"
}
trap cleanup EXIT

start() { "$TOP/tests/env/registry.sh" start "$W/$1" >/dev/null; REGS+=("$W/$1"); }
start reg
. "$W/reg/env"
if [ "$IMAGE" = debian ] && "$TOP/tests/env/seed.sh" --env "$W/reg/env" --debian --only latest >/dev/null 2>"$W/seed.log"; then
  REF=$REG_ADDR/library/debian:bookworm
else
  [ "$IMAGE" = debian ] && echo "# debian image not available ($(tail -1 "$W/seed.log")), using busybox"
  "$TOP/tests/env/seed.sh" --env "$W/reg/env" --only latest >/dev/null
  REF=$REG_ADDR/library/busybox:latest
fi

ms() { # CMD... -> elapsed milliseconds on stdout (the command's output is discarded)
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>"$W/err" || { echo "bench/pull.sh: failed: $* ($(tail -1 "$W/err"))" >&2; exit 1; }
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }

# bld pull, and from its debug lines the fetch+verify part alone (what skopeo copy does)
bld_pull() {
  rm -rf "$W/bld"
  BLD_ROOT=$W/bld ms "$BLD" -D pull -q "$REF"
  sed -n 's/.*blobs fetched and verified in \([0-9]*\) ms.*/\1/p' "$W/err" >>"$W/fetch-times"
}
skopeo_pull() { rm -rf "$W/sk"; ms skopeo copy -q --src-tls-verify=false "docker://$REF" "oci:$W/sk:x"; }
podman_pull() {
  podman --root "$W/pod" --runroot "$W/podrun" rmi -af >/dev/null 2>&1 || true
  ms podman --root "$W/pod" --runroot "$W/podrun" pull -q --tls-verify=false "$REF"
}

declare -A T
run() { # NAME FUNCTION
  local i
  : >"$W/times"
  for i in $(seq 1 "$RUNS"); do $2 >>"$W/times"; done
  T[$1]=$(median <"$W/times")
}
echo "# image: $REF ($(skopeo inspect --raw --tls-verify=false "docker://$REF" | jq '[.layers[].size] | add') bytes of layers), $RUNS runs each, median"
: >"$W/fetch-times"
run bld_pull bld_pull
T[bld_fetch]=$(median <"$W/fetch-times")
run skopeo_pull skopeo_pull
if command -v podman >/dev/null; then run podman_pull podman_pull; fi

# push: into a fresh registry each run (started here, outside the timing), from a store /
# layout that holds the image
for i in $(seq 1 "$RUNS"); do start "pb$i"; start "ps$i"; done
addr() { (. "$W/$1/env"; echo "$REG_ADDR"); }
BLD_ROOT=$W/bld "$BLD" pull -q "$REF" >/dev/null
PB=0 PS=0
bld_push() {
  local r; PB=$((PB + 1)); r=$(addr "pb$PB")
  skopeo copy -q "oci:$W/bld/oci:$REF" "oci:$W/bld/oci:$r/bench/img:1"
  BLD_ROOT=$W/bld ms "$BLD" push -q "$r/bench/img:1"
}
skopeo_push() {
  local r; PS=$((PS + 1)); r=$(addr "ps$PS")
  ms skopeo copy -q --dest-tls-verify=false "oci:$W/sk:x" "docker://$r/bench/img:1"
}
run bld_push bld_push
run skopeo_push skopeo_push

printf '%-14s %8s ms\n' "bld pull" "${T[bld_pull]}" "  of it fetch" "${T[bld_fetch]}" "skopeo copy" "${T[skopeo_pull]}"
[ -z "${T[podman_pull]:-}" ] || printf '%-14s %8s ms\n' "podman pull" "${T[podman_pull]}"
printf '%-14s %8s ms\n' "bld push" "${T[bld_push]}" "skopeo push" "${T[skopeo_push]}"
echo "ratio bld fetch / skopeo copy: $(ratio "${T[bld_fetch]}" "${T[skopeo_pull]}")  (goal <= 0.8: download + verify + store)"
echo "ratio bld pull / skopeo copy:  $(ratio "${T[bld_pull]}" "${T[skopeo_pull]}")  (bld pull also unpacks the layers)"
[ -z "${T[podman_pull]:-}" ] || echo "ratio bld pull / podman pull:  $(ratio "${T[bld_pull]}" "${T[podman_pull]}")  (goal <= 0.3)"
echo "ratio bld push / skopeo push:  $(ratio "${T[bld_push]}" "${T[skopeo_push]}")  (goal <= 1.0)"
