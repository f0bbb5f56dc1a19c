#!/usr/bin/env bash
# bench/api.sh — the Engine API through bld's socket against dockerd's, with Debian's docker
# 20.10 CLI: `docker run --rm busybox true` (create, attach, wait, start, remove) N times each,
# both on the same busybox image from a private registry; and with 100 containers, the request
# GET /containers/json?all=1 alone (curl, best of N: the API's own latency, without the CLI's
# start-up) and `docker ps -a`. Not a timed test: it prints the time of each against dockerd's
# and the ratio (goal: bld <= 0.2x). PARTS (default "run list ps") picks which of the three
# run: PARTS=list times the request alone (the 100 containers are made for list and ps).
set -u
PARTS=" ${PARTS:-run list ps} "
TOP=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-10}
D=$(mktemp -d /tmp/bld-bench-api.XXXXXX)
export BLD_ROOT=$D/root DOCKER_CONFIG=$D/docker-config DOCKER_BUILDKIT=0
cleanup() {
  [ -n "${API_PID:-}" ] && kill "$API_PID" 2>/dev/null && wait "$API_PID" 2>/dev/null
  "$TOP/bld" rm -f $("$TOP/bld" ps -aq) >/dev/null 2>&1
  DOCKER_HOST=unix://$D/dockerd/docker.sock /usr/bin/docker rm -f \
    $(DOCKER_HOST=unix://$D/dockerd/docker.sock /usr/bin/docker ps -aq) >/dev/null 2>&1
  "$TOP/tests/env/dockerd.sh" stop "$D/dockerd"
  "$TOP/tests/env/registry.sh" stop "$D/reg" >/dev/null
  rm -rf --one-file-system "$D"
}
trap cleanup EXIT
"$TOP/tests/env/registry.sh" start "$D/reg" >/dev/null || exit 1
. "$D/reg/env"
"$TOP/tests/env/seed.sh" --env "$D/reg/env" --only latest >/dev/null || exit 1
IMG=$REG_ADDR/library/busybox:latest
"$TOP/tests/env/dockerd.sh" start "$D/dockerd" || exit 1
"$TOP/bld" system service --time 0 "unix://$D/api.sock" 2>"$D/api.log" &
API_PID=$!
for _ in $(seq 1 50); do [ -S "$D/api.sock" ] && break; sleep 0.1; done
BH=unix://$D/api.sock DH=unix://$D/dockerd/docker.sock
DOCKER_HOST=$BH /usr/bin/docker pull -q "$IMG" >/dev/null
DOCKER_HOST=$DH /usr/bin/docker pull -q "$IMG" >/dev/null

# mean ms of N runs of CMD... against HOST
mean_ms() {
  local host=$1 n=$2; shift 2
  local t0 t1
  t0=$(date +%s%N)
  for _ in $(seq 1 "$n"); do DOCKER_HOST=$host /usr/bin/docker "$@" >/dev/null 2>&1; done
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / n / 1000000 ))
}
# best of N curl requests of GET PATH on unix socket SOCK, in microseconds
best_us() {
  local sock=$1 path=$2 best=999999999 t
  for _ in $(seq 1 "$N"); do
    t=$(curl -s -o /dev/null -w '%{time_total}' --unix-socket "$sock" "http://d$path")
    t=$(awk -v t="$t" 'BEGIN { printf "%d", t * 1000000 }')
    [ "$t" -lt "$best" ] && best=$t
  done
  echo "$best"
}
report() {
  printf '%-44s bld %5d %s   dockerd %5d %s   ratio %s\n' "$1" "$2" "${4:-ms}" "$3" "${4:-ms}" \
    "$(awk -v b="$2" -v d="$3" 'BEGIN { printf "%.2f", d ? b / d : 0 }')"
}
part() { [[ $PARTS == *" $1 "* ]]; }
if part run; then
  b=$(mean_ms "$BH" "$N" run --rm --network none "$IMG" true)
  d=$(mean_ms "$DH" "$N" run --rm --network none "$IMG" true)
  report "docker run --rm busybox true" "$b" "$d"
fi
part list || part ps || exit 0
for i in $(seq 1 100); do
  DOCKER_HOST=$BH /usr/bin/docker create --network none "$IMG" true >/dev/null
  DOCKER_HOST=$DH /usr/bin/docker create --network none "$IMG" true >/dev/null
done
if part list; then
  b=$(best_us "$D/api.sock" "/v1.41/containers/json?all=1")
  d=$(best_us "$D/dockerd/docker.sock" "/v1.41/containers/json?all=1")
  report "GET /containers/json (100 containers)" "$b" "$d" us
fi
if part ps; then
  b=$(mean_ms "$BH" "$N" ps -a)
  d=$(mean_ms "$DH" "$N" ps -a)
  report "docker ps -a (100 containers)" "$b" "$d"
fi
