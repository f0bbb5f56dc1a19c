#!/usr/bin/env bash
# tests/diff/docker-load.sh — `bld save` output loads with `docker load`, and `bld load` reads
# what `docker save` writes (issue 3). make check runs it through tests/e2e/docker_load.sh
# (in a network namespace of its own). It needs Debian's docker.io (packages/test.txt;
# installed here when missing) and starts its own dockerd, by PID, on a private socket and
# data root under a temp dir (no bridge, no iptables: host networking is left alone), plus a
# private registry on 127.0.0.1 for the seeded busybox image, through tests/env/dockerd.sh and
# tests/env/registry.sh; both are stopped on exit, also on failure. It does not test docker build nor push.
# Usage: tests/diff/docker-load.sh      (exit 0 all passed, 1 a check failed, 2 no dockerd)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BLD=$TOP/bld
DK=/usr/bin/docker
[ -x "$BLD" ] || { echo "docker-load.sh: build bld first (make)" >&2; exit 2; }
W=$(mktemp -d /tmp/bld-docker-load.XXXXXX)
cleanup() {
  "$TOP/tests/env/registry.sh" stop "$W/reg" >/dev/null 2>&1
  "$TOP/tests/env/dockerd.sh" stop "$W/dockerd"
  rm -rf --one-file-system "$W"
}
trap cleanup EXIT
"$TOP/tests/env/dockerd.sh" start "$W/dockerd" || exit 2
. "$W/dockerd/env"

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
no() { fail=$((fail + 1)); echo "FAIL $*"; }

"$TOP/tests/env/registry.sh" start "$W/reg" >/dev/null || exit 2
. "$W/reg/env"
"$TOP/tests/env/seed.sh" --env "$W/reg/env" --only latest >/dev/null || exit 2
REF=$REG_ADDR/library/busybox:latest
export BLD_ROOT=$W/bld
"$BLD" pull -q "$REF" >/dev/null || { echo "docker-load.sh: bld pull failed" >&2; exit 1; }
BID=$("$BLD" inspect --format '{{.Id}}' "$REF" 2>/dev/null || "$BLD" inspect "$REF" | jq -r '.[0].Id')

# 1. bld save -> docker load: same image ID, and the image runs
if "$BLD" save -o "$W/bld.tar" "$REF" && "$DK" load -i "$W/bld.tar" >"$W/load.out" 2>&1; then
  ok "docker load of bld save output ($(tr '\n' ' ' <"$W/load.out"))"
else
  no "docker load of bld save output: $(tail -1 "$W/load.out" 2>/dev/null)"
fi
DID=$("$DK" image inspect --format '{{.Id}}' "$REF" 2>/dev/null || true)
[ -n "$DID" ] && [ "$DID" = "$BID" ] && ok "docker sees $REF with bld's image ID $BID" \
  || no "image ID: docker '$DID', bld '$BID'"
out=$("$DK" run --rm --network=none "$REF" sh -c 'echo loaded-ok' 2>&1)
[ "$out" = loaded-ok ] && ok "docker run of the loaded image" || no "docker run of the loaded image: $out"

# 2. docker save -> bld load, into an empty store, under a second name too
"$DK" tag "$REF" bld-dl/second:1
if "$DK" save -o "$W/docker.tar" "$REF" bld-dl/second:1 &&
   BLD_ROOT=$W/bld2 "$BLD" load -i "$W/docker.tar" >"$W/bldload.out" 2>&1; then
  ok "bld load of docker save output ($(tr '\n' ' ' <"$W/bldload.out"))"
else
  no "bld load of docker save output: $(tail -1 "$W/bldload.out" 2>/dev/null)"
fi
for n in "$REF" docker.io/bld-dl/second:1; do
  id=$(BLD_ROOT=$W/bld2 "$BLD" inspect --format '{{.Id}}' "$n" 2>/dev/null || true)
  [ "$id" = "$BID" ] && ok "bld load gives $n with ID $id" || no "bld load: $n has ID '$id', want $BID"
done
BLD_ROOT=$W/bld2 "$BLD" system check >/dev/null 2>&1 && ok "bld system check after load" \
  || no "bld system check after load"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
