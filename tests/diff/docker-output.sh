#!/usr/bin/env bash
# tests/diff/docker-output.sh — `bld build --output type=tar` against BuildKit's tar exporter
# (`docker build -o type=tar`) for the differential cases of tests/diff/cases/: the same
# entries in the same order with the same type, mode, owner, size and link target (times
# aside: BuildKit keeps the build's own). Not in make check: like tests/diff/docker.sh it
# needs a running dockerd (DOCKER_HOST=...) and Debian's docker CLI, and builds with
# --network=host.
# Usage: DOCKER_HOST=... tests/diff/docker-output.sh [CASE...]
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/diff/lib.sh"
BLD=$TOP/bld
DK=${DOCKER:-/usr/bin/docker}
diff_docker_env output latest --bld-netns

# listing TAR — one line per entry: mode, owner, size, name and link, in archive order
listing() { tar tvf "$1" | awk '{ $4 = ""; $5 = ""; print }'; }

cases=("$@")
[ ${#cases[@]} -gt 0 ] || mapfile -t cases < <(diff_cases docker)
pass=0 fail=0
for c in "${cases[@]}"; do
  diff_ctx "$c" "$W/ctx/$c"
  read -ra extra <<<"$(diff_args "$c")"
  # builders run in the context (a case's bld-args paths are relative to it)
  if ! (cd "$W/ctx/$c" && DOCKER_BUILDKIT=1 "$DK" build --network=host --build-arg BASE="$BASE" \
       "${extra[@]}" -o "type=tar,dest=$W/$c.dk.tar" .) >"$W/$c.dk.log" 2>&1; then
    echo "ok - $c: docker build fails, skipped"; continue
  fi
  if ! (cd "$W/ctx/$c" && "$BLD" build -q --build-arg BASE="$BASE" "${extra[@]}" \
       -o "type=tar,dest=$W/$c.bld.tar" .) >/dev/null 2>"$W/$c.bld.err"; then
    echo "not ok - $c: bld build"; tail -3 "$W/$c.bld.err"; fail=$((fail + 1)); continue
  fi
  if diff <(listing "$W/$c.dk.tar") <(listing "$W/$c.bld.tar") >"$W/$c.diff"; then
    echo "ok - $c: the same tar entries as BuildKit's"; pass=$((pass + 1))
  else
    echo "not ok - $c: tar entries differ (< BuildKit, > bld)"; head -20 "$W/$c.diff"; fail=$((fail + 1))
  fi
done
echo "# $pass passed, $fail failed"
[ "$fail" -eq 0 ]
