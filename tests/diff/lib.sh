# tests/diff/lib.sh — shared by the differential tests (tests/e2e/build_diff_buildah.sh in make
# check, tests/diff/docker.sh where dockerd runs): copies a case of tests/diff/cases/ into a
# fresh context, builds it with bld, dumps images with tests/diff/imgdump.py and compares
# them with tests/diff/compare.py. Every case's Dockerfile starts `ARG BASE` / `FROM $BASE`,
# so all builders get the same base image from the test registry.
DIFF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# diff_ctx CASE DEST — the case's files in DEST, with prepare.sh run there (and removed)
diff_ctx() {
  rm -rf "$2" && mkdir -p "$2" && cp -a "$DIFF_DIR/cases/$1/." "$2/"
  rm -f "$2/known-diff" "$2/bld-args"
  if [ -f "$2/prepare.sh" ]; then (cd "$2" && sh ./prepare.sh) && rm -f "$2/prepare.sh"; fi
}

# diff_args CASE — extra build flags of the case (bld-args: e.g. --target)
diff_args() { [ -f "$DIFF_DIR/cases/$1/bld-args" ] && cat "$DIFF_DIR/cases/$1/bld-args"; true; }

# diff_compare EXPECTED_DUMP BLD_DUMP CASE — 0 when equal after the known differences
diff_compare() {
  local known=()
  [ -f "$DIFF_DIR/cases/$3/known-diff" ] && known=("$DIFF_DIR/cases/$3/known-diff")
  python3 "$DIFF_DIR/compare.py" "$1" "$2" "${known[@]}"
}

# diff_docker_env NAME SEED_TAGS [--bld-netns] — set-up of the scripts against a running
# dockerd ($DK): exits 2 when none answers; makes the work dir W with a private BLD_ROOT and a
# test registry on 127.0.0.1 seeded with busybox's SEED_TAGS (BASE: its :latest), all removed
# on exit. --bld-netns: bld then runs (through the wrapper BLD) in a network namespace made
# here, so that the bridge and NAT rule of its RUN steps never touch the host; BASE is pulled
# into its store first, since the registry stays in the host's namespace for dockerd.
diff_docker_env() {
  "$DK" info >/dev/null 2>&1 || { echo "$1: no dockerd answers (DOCKER_HOST=${DOCKER_HOST:-unset})"; exit 2; }
  W=$(mktemp -d "/tmp/bld-diff-$1.XXXXXX")
  DIFF_NS=""
  export BLD_ROOT=$W/root
  trap '"$TOP/tests/env/registry.sh" stop "$W/reg" >/dev/null 2>&1
    [ -n "$DIFF_NS" ] && ip netns del "$DIFF_NS"; rm -rf --one-file-system "$W"' EXIT
  "$TOP/tests/env/registry.sh" start "$W/reg" >/dev/null || exit 1
  . "$W/reg/env"
  "$TOP/tests/env/seed.sh" --env "$W/reg/env" --only "$2" >/dev/null || exit 1
  BASE=$REG_ADDR/library/busybox:latest
  [ "${3:-}" = --bld-netns ] || return 0
  "$BLD" pull -q "$BASE" >/dev/null || exit 1
  DIFF_NS=bld-diff-$$
  ip netns add "$DIFF_NS" && ip netns exec "$DIFF_NS" ip link set lo up || exit 1
  printf '#!/bin/sh\nexec nsenter --net=/run/netns/%s %s "$@"\n' "$DIFF_NS" "$BLD" >"$W/bld"
  chmod 755 "$W/bld"
  BLD=$W/bld
}
