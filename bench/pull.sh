#!/usr/bin/env bash
# bench/pull.sh — compares `bld pull` and `bld push` with skopeo (and podman when installed)
# on the same image from a private local registry, and prints best, median and ratios.
# Not a timed test: it fails only when a tool fails.
#
# Usage: bench/pull.sh [--runs N] [--image debian|busybox] [--settle S]
#   --image debian   (default) library/debian:bookworm, debootstrap minbase, ~51 MB layer,
#                    built once by tests/env/seed.sh --debian (needs debootstrap and the apt
#                    mirror; falls back to busybox when that is not possible)
#   --runs N         repetitions (default 5); each repetition runs every tool once, in turn
#   --settle S       seconds to wait after sync before each timed run (default 1)
#
# Measured:
#   pull:  bld pull (download + verify + unpack, ready to run) | skopeo copy docker:// oci:
#          (download only) | podman pull (download + unpack into its storage) | the floor:
#          curl fetching the layer blobs into files, all at once (no verify, no unpack)
#   push:  bld push | skopeo copy oci: docker://, each into a fresh empty registry
# Goals: bld pull until the image can run <= 1.0x skopeo copy (download only) and <= 0.2x
# podman pull; its fetch part <= 0.8x skopeo; push <= 0.8x skopeo.
#
# Fairness: every tool pulls into a fresh, never-used store in the same directory (same
# filesystem); nothing is deleted while anything is timed (deleting thousands of files makes
# later inode allocation slow on a journal-less ext4 for some seconds), `sync` and a short
# settle precede each timed run so that no tool pays for the previous one's writeback, and
# the tools take turns within each repetition, each repetition starting with the next tool,
# so that load changes hit all of them and none is always first after the settle.
# Fresh memory: on a VM whose balloon reports free pages to the host (virtio free page
# reporting), the first touch of a page the host took back costs a fault in the host, and
# page cache can then fill 5-10x slower than usual. A pull that unpacks writes the layer's
# files as well as its blob (debian: ~170 MB against skopeo's 51 MB), so such a phase
# weighs on it more. The probe lines time writing 64 MiB into the page cache before and after
# the pulls (~20 ms when the memory is backed) so that a reader can tell such a run.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BLD=$TOP/bld
RUNS=5 IMAGE=debian SETTLE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift ;;
    --image) IMAGE=$2; shift ;;
    --settle) SETTLE=$2; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "bench/pull.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$BLD" ] || { echo "bench/pull.sh: build bld first (make all)" >&2; exit 1; }
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
mkdir -p "$W/s"

settle() { sync; sleep "$SETTLE"; }
ms() { # CMD... -> elapsed milliseconds on stdout (the command's output is discarded)
  local t0 t1
  settle
  t0=$(date +%s%N)
  "$@" >/dev/null 2>"$W/err" || { echo "bench/pull.sh: failed: $* ($(tail -1 "$W/err"))" >&2; exit 1; }
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
stats() { # FILE -> "best median"
  sort -n "$1" | awk '{a[NR]=$1} END {print a[1], a[int((NR + 1) / 2)]}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }

# Each function takes the repetition number and times one pull into a fresh store.
bld_pull() {
  BLD_ROOT=$W/s/bld$1 ms "$BLD" -D pull -q "$REF" >>"$W/t.bld_pull"
  # the fetch+verify part alone (what skopeo copy does), from bld's debug line
  sed -n 's/.*blobs fetched and verified in \([0-9]*\) ms.*/\1/p' "$W/err" >>"$W/t.bld_fetch"
}
skopeo_pull() {
  ms skopeo copy -q --src-tls-verify=false "docker://$REF" "oci:$W/s/sk$1:x" >>"$W/t.skopeo_pull"
}
podman_pull() {
  ms podman --root "$W/s/pod$1" --runroot "$W/s/podrun$1" pull -q --tls-verify=false "$REF" \
    >>"$W/t.podman_pull"
}
HAVE_PODMAN=0
command -v podman >/dev/null && HAVE_PODMAN=1
LAYERS=$(skopeo inspect --raw --tls-verify=false "docker://$REF" | jq -r '.layers[].digest')
curl_floor() { # every layer blob at once into files, as a downloader with nothing else to do
  local d a=() repo=${REF#*/}
  repo=${repo%:*}
  mkdir "$W/s/curl$1"
  for d in $LAYERS; do a+=(-o "$W/s/curl$1/${d#sha256:}" "http://$REG_ADDR/v2/$repo/blobs/$d"); done
  ms curl -sf --parallel "${a[@]}" >>"$W/t.curl_floor"
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# image: $REF ($(skopeo inspect --raw --tls-verify=false "docker://$REF" | jq '[.layers[].size] | add') bytes of layers), $RUNS runs each; load average before: $(load)"
probe() { # -> ms to write 64 MiB of new page cache (the file stays: nothing is deleted)
  local t0 t1
  sync
  t0=$(date +%s%N)
  dd if=/dev/zero of="$W/s/probe$1" bs=1M count=64 status=none
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
PULLS=(bld_pull skopeo_pull)
[ "$HAVE_PODMAN" = 0 ] || PULLS+=(podman_pull)
PULLS+=(curl_floor)
PROBE_BEFORE=$(probe 0)
for i in $(seq 1 "$RUNS"); do
  for k in $(seq 0 $((${#PULLS[@]} - 1))); do
    "${PULLS[$(((i - 1 + k) % ${#PULLS[@]}))]}" "$i"
  done
done
LOAD_PULL=$(load)
PROBE_AFTER=$(probe 1)

# push: into a fresh registry each run (started before any timing), from a store / layout
# that holds the image (the stores of the first pull repetition)
for i in $(seq 1 "$RUNS"); do start "pb$i"; start "ps$i"; done
addr() { (. "$W/$1/env"; echo "$REG_ADDR"); }
bld_push() {
  local r; r=$(addr "pb$1")
  skopeo copy -q "oci:$W/s/bld1/oci:$REF" "oci:$W/s/bld1/oci:$r/bench/img:$1"
  BLD_ROOT=$W/s/bld1 ms "$BLD" push -q "$r/bench/img:$1" >>"$W/t.bld_push"
}
skopeo_push() {
  local r; r=$(addr "ps$1")
  ms skopeo copy -q --dest-tls-verify=false "oci:$W/s/sk1:x" "docker://$r/bench/img:1" \
    >>"$W/t.skopeo_push"
}
for i in $(seq 1 "$RUNS"); do
  bld_push "$i"
  skopeo_push "$i"
done

declare -A B M
for t in bld_pull bld_fetch skopeo_pull podman_pull curl_floor bld_push skopeo_push; do
  [ -s "$W/t.$t" ] || continue
  read -r B[$t] M[$t] < <(stats "$W/t.$t")
done
row() { [ -z "${M[$2]:-}" ] || printf '%-16s %8s %8s ms\n' "$1" "${B[$2]}" "${M[$2]}"; }
printf '%-16s %8s %8s\n' "" best median
row "bld pull" bld_pull
row "  of it fetch" bld_fetch
row "skopeo copy" skopeo_pull
row "podman pull" podman_pull
row "curl (floor)" curl_floor
row "bld push" bld_push
row "skopeo push" skopeo_push
both() { echo "$(ratio "${B[$1]}" "${B[$2]}") best, $(ratio "${M[$1]}" "${M[$2]}") median"; }
echo "bld fetch / skopeo copy:  $(both bld_fetch skopeo_pull)  (goal <= 0.8: download + verify + store)"
echo "bld pull / skopeo copy:   $(both bld_pull skopeo_pull)  (goal <= 1.0: bld pull also unpacks)"
[ -z "${M[podman_pull]:-}" ] || echo "bld pull / podman pull:   $(both bld_pull podman_pull)  (goal <= 0.2)"
echo "bld pull / curl floor:    $(both bld_pull curl_floor)  (downloading the layer blobs alone)"
echo "bld push / skopeo push:   $(both bld_push skopeo_push)  (goal <= 0.8)"
echo "# load average: during pulls $LOAD_PULL, at the end $(load)"
echo "# fresh page cache, 64 MiB: ${PROBE_BEFORE} ms before the pulls, ${PROBE_AFTER} ms after (~20 when memory is backed)"
for t in bld_pull skopeo_pull podman_pull curl_floor; do
  if [ -s "$W/t.$t" ]; then echo "# $t, in order (ms): $(tr '\n' ' ' < "$W/t.$t")"; fi
done
