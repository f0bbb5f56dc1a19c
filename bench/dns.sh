#!/usr/bin/env bash
# bench/dns.sh — name resolution latency from inside a container on a user-defined network:
# bld's embedded resolver (in the container's monitor) next to docker's (in dockerd, on a
# private daemon from tests/env/dockerd.sh, when docker.io is installed). For each:
#   nslookup  QUERIES runs of busybox `nslookup -type=a peer` in one loop inside the container
#             (a process per query, as an application that resolves once per run would);
#   loop      the same loop running busybox `true`: the process cost, to take off;
#   dig       QUERIES queries for "peer" from one dig (-f batch) in the container's network
#             namespace: the resolver alone.
# Everything runs in a private mount and network namespace made here; the upstream is never
# asked (every query is for a container's name). Not a timed test.
# Each number is the best of ROUNDS runs (timings on a busy machine are noisy).
#   QUERIES=N (default 1000)  ROUNDS=N (default 3)  BLD=path (default ./bld)
set -eu
[ -n "${BENCH_DEBUG:-}" ] && set -x
cd "$(dirname "$0")/.."
BLD=${BLD:-$PWD/bld}
Q=${QUERIES:-1000}
ROUNDS=${ROUNDS:-3}
command -v busybox >/dev/null || { echo "bench/dns.sh: busybox-static is not installed"; exit 0; }
command -v dig >/dev/null || { echo "bench/dns.sh: dig (bind9-dnsutils) is not installed"; exit 0; }

. bench/ns.bash
bench_enter "$0" "$@"
cleanup() {
  "$BLD" rm -f peer client >/dev/null 2>&1 || true
  "$BLD" network rm bench-dns >/dev/null 2>&1 || true
  if [ -n "${DOCKER:-}" ]; then
    $DOCKER rm -f peer client >/dev/null 2>&1 || true
    tests/env/dockerd.sh stop "$W/dockerd" >/dev/null 2>&1 || true
  fi
  bench_cleanup
}
trap cleanup EXIT
export BLD_ROOT=$W/root
bench_busybox_tar "$W/rootfs" sh true sleep nslookup seq
yes peer | head -n "$Q" >"$W/names"

# ms NS CMD... — milliseconds CMD took
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
loop() { echo "i=0; while [ \$i -lt $Q ]; do $1 >/dev/null 2>&1; i=\$((i+1)); done"; }

# best CMD... — the least milliseconds CMD took in ROUNDS runs
best() {
  local b='' t
  for _ in $(seq "$ROUNDS"); do t=$(ms "$@"); [ -z "$b" ] || [ "$t" -lt "$b" ] && b=$t; done
  echo "$b"
}

# measure NAME EXEC PID — the three numbers for one engine, EXEC running a command in "client"
measure() {
  local name=$1 pid=$3 exec=$2 n l d
  $exec nslookup -type=a peer | grep -q '^Address' || { echo "$name: peer does not resolve"; return; }
  n=$(best $exec sh -c "$(loop 'nslookup -type=a peer')")
  l=$(best $exec sh -c "$(loop /bin/true)")
  d=$(best nsenter --net="/proc/$pid/ns/net" dig +tries=1 +time=2 @127.0.0.11 -f "$W/names")
  printf '%-28s %8s %8s %10s %8s\n' "$name" "${n}ms" "${l}ms" \
    "$(awk -v n="$n" -v l="$l" -v q="$Q" 'BEGIN { printf "%.3fms", (n - l) / q }')" \
    "$(awk -v d="$d" -v q="$Q" 'BEGIN { printf "%.3fms", d / q }')"
}

"$BLD" import "$W/busybox.tar" bench/busybox:latest >/dev/null
"$BLD" network create bench-dns >/dev/null
"$BLD" run -d --name peer --network bench-dns bench/busybox:latest sleep 600 >/dev/null
"$BLD" run -d --name client --network bench-dns bench/busybox:latest sleep 600 >/dev/null
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %8s %8s %10s %8s\n' "$Q queries of \"peer\"" nslookup loop "per query" dig
measure "bld (monitor's resolver)" "$BLD exec client" "$("$BLD" inspect -f '{{.State.Pid}}' client)"

if tests/env/dockerd.sh start "$W/dockerd" >/dev/null 2>&1; then
  . "$W/dockerd/env"
  $DOCKER import "$W/busybox.tar" bench/busybox:latest >/dev/null
  $DOCKER network create bench-dns >/dev/null
  $DOCKER run -d --name peer --network bench-dns bench/busybox:latest sleep 600 >/dev/null
  $DOCKER run -d --name client --network bench-dns bench/busybox:latest sleep 600 >/dev/null
  measure "docker 20.10 (dockerd's)" "$DOCKER exec client" \
    "$($DOCKER inspect -f '{{.State.Pid}}' client)"
else
  echo "docker: no private dockerd here (tests/env/dockerd.sh start failed): not compared"
fi
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo "per query: (nslookup - loop) / $Q, a query and its reply from a process inside the container;"
echo "dig: one process asking $Q times in a row, the resolver's own time"
