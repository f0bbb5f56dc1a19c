#!/usr/bin/env bash
# tests/diff/docker.sh — the differential cases of tests/diff/cases/ against `docker build`
# with BuildKit, the reference where buildah and BuildKit differ. Not in make check: it needs
# a running dockerd (e.g. ../shared/testenv/peer-env.sh --with-docker, then
# DOCKER_HOST=unix:///tmp/bld-dockerd/docker.sock) and Debian's docker CLI (/usr/bin/docker,
# which has BuildKit). Builds with --network=host (that dockerd has no bridge). Images reach
# imgdump through `skopeo copy docker-daemon:` and their config through `docker inspect`.
# Usage: DOCKER_HOST=... tests/diff/docker.sh [CASE...]
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/diff/lib.sh"
BLD=$TOP/bld
DK=${DOCKER:-/usr/bin/docker}
diff_docker_env docker latest --bld-netns

cases=("$@")
[ ${#cases[@]} -gt 0 ] || for d in "$TOP"/tests/diff/cases/*/; do cases+=("$(basename "$d")"); done
pass=0 fail=0
for c in "${cases[@]}"; do
  diff_ctx "$c" "$W/ctx/$c"
  read -ra extra <<<"$(diff_args "$c")"
  if ! DOCKER_BUILDKIT=1 "$DK" build -q --network=host --build-arg BASE="$BASE" "${extra[@]}" \
       -t "bld-diff-$c" "$W/ctx/$c" >"$W/$c.dk.log" 2>&1; then
    echo "not ok - $c: docker build"; tail -5 "$W/$c.dk.log"; fail=$((fail + 1)); continue
  fi
  skopeo copy -q ${DOCKER_HOST:+--src-daemon-host "$DOCKER_HOST"} "docker-daemon:bld-diff-$c:latest" "oci:$W/dk-$c:diff" >/dev/null &&
    "$DK" image inspect "bld-diff-$c" | python3 -c 'import json,sys; print(json.dumps({"config": json.load(sys.stdin)[0]["Config"]}))' >"$W/$c.cfg" &&
    python3 "$TOP/tests/diff/imgdump.py" "$W/dk-$c" diff "$W/$c.cfg" >"$W/$c.docker" ||
    { echo "not ok - $c: dump docker's image"; fail=$((fail + 1)); continue; }
  if ! "$BLD" build -q --build-arg BASE="$BASE" "${extra[@]}" -t "diff-$c" "$W/ctx/$c" >/dev/null 2>"$W/$c.bld.err"; then
    echo "not ok - $c: bld build"; tail -3 "$W/$c.bld.err"; fail=$((fail + 1)); continue
  fi
  python3 "$TOP/tests/diff/imgdump.py" "$BLD_ROOT/oci" "docker.io/library/diff-$c:latest" >"$W/$c.bld"
  if d=$(python3 "$TOP/tests/diff/compare.py" "$W/$c.docker" "$W/$c.bld"); then
    echo "ok - $c"; pass=$((pass + 1))
  else
    echo "not ok - $c"; echo "$d" | head -30; fail=$((fail + 1))
  fi
  "$DK" rmi -f "bld-diff-$c" >/dev/null 2>&1
done
echo "docker diff: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
