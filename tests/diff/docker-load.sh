#!/usr/bin/env bash
# tests/diff/docker-load.sh — `bld save` output loads with `docker load`, and `bld load` reads
# what `docker save` writes (issue 3). make check runs it through tests/e2e/docker_load.sh
# (in a network namespace of its own). It needs Debian's docker.io (packages/test.txt;
# installed here when missing) and starts its own dockerd, by PID, on a private socket and
# data root under a temp dir (no bridge, no iptables: host networking is left alone), plus a
# private registry on 127.0.0.1 for the seeded busybox image. Everything it starts is stopped
# on exit, also on failure, and the cgroup parents and /run/docker that dockerd makes are
# removed when they were not there before. It does not test docker build nor push.
# Usage: tests/diff/docker-load.sh      (exit 0 all passed, 1 a check failed, 2 no dockerd)
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BLD=$TOP/bld
DK=/usr/bin/docker
[ -x "$BLD" ] || { echo "docker-load.sh: build bld first (make)" >&2; exit 2; }
if [ ! -x /usr/sbin/dockerd ] || [ ! -x "$DK" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends docker.io containerd >/dev/null || { echo "docker-load.sh: cannot install docker.io" >&2; exit 2; }
fi
W=$(mktemp -d /tmp/bld-docker-load.XXXXXX)
DPID=""
# what dockerd makes outside W and leaves behind: ours to remove when it is new
MADE=()
for d in /run/docker /run/containerd /etc/docker/key.json /sys/fs/cgroup/ /sys/fs/cgroup/*/; do
  case "$d" in */) d=${d}docker ;; esac
  [ -e "$d" ] || MADE+=("$d")
done
cleanup() {
  if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
    kill -TERM "$DPID"
    for _ in $(seq 1 80); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$DPID" 2>/dev/null && kill -KILL "$DPID"
  fi
  # dockerd's own containerd child stops with it; make sure, by its pid file
  local c
  c=$(cat "$W/exec/containerd/containerd.pid" 2>/dev/null || true)
  [ -n "$c" ] && kill -0 "$c" 2>/dev/null && kill -TERM "$c"
  "$TOP/tests/env/registry.sh" stop "$W/reg" >/dev/null 2>&1
  umount -R "$W/root" 2>/dev/null
  rm -rf --one-file-system "$W"
  local d
  for d in "${MADE[@]}"; do
    case "$d" in
      /sys/fs/cgroup/*) [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null ;;
      *) rm -rf --one-file-system "$d" ;;
    esac
  done
}
trap cleanup EXIT

mkdir -p "$W/root" "$W/exec"
export DOCKER_HOST=unix://$W/docker.sock
setsid sh -c 'echo $$ >"$1/dockerd.pid"; exec /usr/sbin/dockerd --data-root "$1/root" \
  --exec-root "$1/exec" --pidfile "$1/dockerd.pidfile" -H "unix://$1/docker.sock" \
  --storage-driver overlay2 --iptables=false --ip6tables=false --bridge=none \
  >"$1/dockerd.log" 2>&1 </dev/null' sh "$W" &
for _ in $(seq 1 40); do [ -s "$W/dockerd.pid" ] && break; sleep 0.1; done
DPID=$(cat "$W/dockerd.pid" 2>/dev/null || true)
for _ in $(seq 1 120); do "$DK" version >/dev/null 2>&1 && break; sleep 0.25; done
if ! "$DK" version >/dev/null 2>&1; then
  echo "docker-load.sh: dockerd did not start; its log ends:" >&2
  tail -15 "$W/dockerd.log" >&2
  exit 2
fi

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
