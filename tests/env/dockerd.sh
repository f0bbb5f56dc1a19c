#!/usr/bin/env bash
# tests/env/dockerd.sh — starts and stops a private dockerd (Debian's docker.io: docker 20.10
# with its built-in BuildKit) for the tests that compare bld with docker.
#
# Usage:
#   tests/env/dockerd.sh start DIR    data root, exec root and socket under DIR; writes
#                                     DIR/env to source: DOCKER_HOST=unix://DIR/docker.sock,
#                                     DOCKER=/usr/bin/docker (20.10's CLI: the newer one first
#                                     on PATH has no BuildKit), DOCKERD_PID=...
#   tests/env/dockerd.sh stop DIR     stops that dockerd (and its containerd) by PID, unmounts
#                                     what it left under DIR, removes what it made outside DIR
#                                     (/run/docker, /run/containerd, /etc/docker/key.json and
#                                     its cgroup parents) when they were not there before and
#                                     no other dockerd still runs; leaves DIR to the caller.
#
# The daemon has no bridge and no iptables rules (host networking is left alone): build with
# --network=host and run containers with --network=none|host. It is started in the caller's
# network namespace, so under tests/run-e2e.sh it sees only that namespace's lo.
# DOCKERD_DEFAULT_BRIDGE=1: the daemon makes its default bridge (docker0, 172.17.0.0/16) in
# that namespace, still without iptables rules.
# Exit status of start: 0 up, 2 docker.io missing and not installable, or dockerd did not
# answer (its log's last lines go to stderr). A test treats both as a failure, not a skip.
set -u
DK=/usr/bin/docker
cmd=${1:-} dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,20p' "$0" >&2; exit 2; }

outside() { # what dockerd makes outside DIR
  local d
  for d in /run/docker /run/containerd /etc/docker/key.json /sys/fs/cgroup/ /sys/fs/cgroup/*/; do
    case "$d" in */) d=${d}docker ;; esac
    echo "$d"
  done
}

start() {
  if [ ! -x /usr/sbin/dockerd ] || [ ! -x "$DK" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
      --no-install-recommends docker.io containerd >/dev/null ||
      { echo "dockerd.sh: cannot install docker.io" >&2; return 2; }
  fi
  mkdir -p "$dir/root" "$dir/exec"
  dir=$(cd "$dir" && pwd)
  local d
  : >"$dir/made"
  outside | while read -r d; do [ -e "$d" ] || echo "$d"; done >"$dir/made"
  local bridge=--bridge=none
  [ -n "${DOCKERD_DEFAULT_BRIDGE:-}" ] && bridge=--ip-masq=false
  setsid sh -c 'echo $$ >"$1/dockerd.pid"; exec /usr/sbin/dockerd --data-root "$1/root" \
    --exec-root "$1/exec" --pidfile "$1/dockerd.pidfile" -H "unix://$1/docker.sock" \
    --storage-driver overlay2 --iptables=false --ip6tables=false "$2" \
    >"$1/dockerd.log" 2>&1 </dev/null' sh "$dir" "$bridge" &
  for _ in $(seq 1 40); do [ -s "$dir/dockerd.pid" ] && break; sleep 0.1; done
  local pid
  pid=$(cat "$dir/dockerd.pid" 2>/dev/null || true)
  printf 'DOCKER_HOST=unix://%s/docker.sock\nDOCKER=%s\nDOCKERD_PID=%s\nexport DOCKER_HOST\n' \
    "$dir" "$DK" "$pid" >"$dir/env"
  for _ in $(seq 1 160); do
    DOCKER_HOST=unix://$dir/docker.sock "$DK" version >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  echo "dockerd.sh: dockerd did not start; its log ends:" >&2
  tail -15 "$dir/dockerd.log" >&2
  return 2
}

stop() {
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)
  local pid c d
  pid=$(cat "$dir/dockerd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    kill -TERM "$pid"
    for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  # dockerd's own containerd child stops with it; make sure, by its pid file
  c=$(cat "$dir/exec/containerd/containerd.pid" 2>/dev/null || true)
  [ -n "$c" ] && [ "$(cat "/proc/$c/comm" 2>/dev/null)" = containerd ] && kill -TERM "$c"
  grep -o " $dir/[^ ]*" /proc/mounts | sort -r | while read -r d; do umount -l "$d"; done
  # another dockerd (a concurrent test run) may still use what is outside DIR
  pgrep -x dockerd >/dev/null && return 0
  [ -f "$dir/made" ] || return 0
  while read -r d; do
    case "$d" in
      /sys/fs/cgroup/*) [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null ;;
      ?*) rm -rf --one-file-system "$d" ;;
    esac
  done <"$dir/made"
  return 0
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
