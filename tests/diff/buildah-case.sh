#!/usr/bin/env bash
# tests/diff/buildah-case.sh WORK BASE CASE — builds one prepared case context
# (WORK/ctx/CASE) with `buildah bud` in the storage under WORK/bh and writes the image dump
# to WORK/CASE.buildah (or the error to WORK/CASE.buildah.err). Run by
# tests/e2e/build_diff_buildah.sh, several at once.
set -u
W=$1 BASE=$2 c=$3
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/diff/lib.sh"
BH=(buildah --root "$W/bh/storage" --runroot "$W/bh/run" --storage-driver overlay)
read -ra extra <<<"$(diff_args "$c")"
{
  (cd "$W/ctx/$c" && "${BH[@]}" bud -q --format docker --isolation chroot --network host \
    --tls-verify=false --build-arg BASE="$BASE" "${extra[@]}" -t "diff-$c" .) >/dev/null &&
  "${BH[@]}" push -q "diff-$c" "oci:$W/bh/oci-$c:diff-$c" >/dev/null &&
  "${BH[@]}" inspect --type image "diff-$c" |
    "$DIFF_PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["Docker"]))' >"$W/$c.cfg" &&
  "$DIFF_PY" "$TOP/tests/diff/imgdump.py" "$W/bh/oci-$c" "diff-$c" "$W/$c.cfg" >"$W/$c.buildah"
} 2>"$W/$c.buildah.err" || rm -f "$W/$c.buildah"
