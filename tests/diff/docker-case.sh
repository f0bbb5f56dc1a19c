#!/usr/bin/env bash
# tests/diff/docker-case.sh WORK BASE CASE — builds one prepared case context (WORK/ctx/CASE)
# with docker 20.10's BuildKit (DOCKER_BUILDKIT=1 /usr/bin/docker build --network=host: the
# private dockerd of tests/env/dockerd.sh has no bridge) on the dockerd of $DOCKER_HOST, and
# writes the image dump to WORK/CASE.docker (or the error to WORK/CASE.docker.err). The image
# reaches imgdump through `skopeo copy docker-daemon:` and its config through `docker image
# inspect`; it is removed from dockerd afterwards. Run by tests/e2e/build_diff_docker.sh,
# several at once.
set -u
W=$1 BASE=$2 c=$3
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/diff/lib.sh"
DK=${DOCKER:-/usr/bin/docker}
read -ra extra <<<"$(diff_args "$c")"
{
  (cd "$W/ctx/$c" && DOCKER_BUILDKIT=1 "$DK" build -q --network=host --build-arg BASE="$BASE" \
    "${extra[@]}" -t "bld-diff-$c" .) >/dev/null &&
  skopeo copy -q --src-daemon-host "$DOCKER_HOST" "docker-daemon:bld-diff-$c:latest" \
    "oci:$W/dk/oci-$c:diff" >/dev/null &&
  "$DK" image inspect "bld-diff-$c" |
    "$DIFF_PY" -c 'import json,sys; print(json.dumps({"config": json.load(sys.stdin)[0]["Config"]}))' \
    >"$W/$c.dkcfg" &&
  "$DIFF_PY" "$TOP/tests/diff/imgdump.py" "$W/dk/oci-$c" diff "$W/$c.dkcfg" >"$W/$c.docker"
} 2>"$W/$c.docker.err" || rm -f "$W/$c.docker"
"$DK" rmi -f "bld-diff-$c" >/dev/null 2>&1
rm -rf "$W/dk/oci-$c"
true
