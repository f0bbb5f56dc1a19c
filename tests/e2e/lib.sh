# tests/e2e/lib.sh — sourced by every end-to-end script. Gives each script a private
# BLD_ROOT and scratch directory (removed on exit, also on failure), and small assertions
# that print "ok - NAME" / "not ok - NAME" and are counted by tests/run-e2e.sh.
set -u
BLD=${BLD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/bld}
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
T_PASS=0 T_FAIL=0
T_DIR=$(mktemp -d /tmp/bld-e2e.XXXXXX)
export BLD_ROOT=$T_DIR/root
T_CLEANUPS=()
# at_exit CMD — run CMD when the script ends, last registered first
at_exit() { T_CLEANUPS+=("$1"); }
# BLD_E2E_USER (tests/run-e2e.sh --rootless): bld runs as that user, rootless, the script as
# root; the scratch directory is the user's, and so are HOME (unless the script sets one) and
# XDG_RUNTIME_DIR, whose bld-pause is stopped at the end
T_BLD=$BLD # the binary itself, for scripts that run it as root or as users of their own
if [ -n "${BLD_E2E_USER:-}" ]; then
  chown "$BLD_E2E_USER:" "$T_DIR" && chmod 755 "$T_DIR"
  install -d -o "$BLD_E2E_USER" -g "$BLD_E2E_USER" -m 700 "$T_DIR/home" "$T_DIR/run"
  cat >"$T_DIR/bld" <<EOF
#!/bin/sh
[ "\$HOME" = /root ] && HOME=$T_DIR/home
exec setpriv --reuid=$BLD_E2E_USER --regid=$BLD_E2E_USER --init-groups \\
  env HOME="\$HOME" XDG_RUNTIME_DIR=$T_DIR/run "$BLD" "\$@"
EOF
  chmod 755 "$T_DIR/bld"
  BLD=$T_DIR/bld
  # bld-pause, and the pasta of the user's rootless network namespace when one was made
  at_exit "kill \$(cat '$T_DIR/run/bld/pause.pid' '$T_DIR/run/bld/netns-pasta.pid' 2>/dev/null) 2>/dev/null"
fi
# t_uplink [-n NETNS] — in the script's network namespace (or NETNS) an interface with an
# address and the default route, a veth pair with both ends there: the host interface a
# rootless user's pasta copies (README.md, "Rootless networking"); nothing leaves it. Never
# where a default route is already (the host's namespace)
t_uplink() {
  [ -z "$(ip "$@" route show default)" ] && ip "$@" link add rle0 type veth peer name rle1 && ip "$@" link set rle1 up &&
    ip "$@" addr add 10.199.0.2/24 dev rle0 && ip "$@" link set rle0 up &&
    ip "$@" route add default via 10.199.0.1
}
[ -z "${BLD_E2E_USER:-}" ] || t_uplink || echo "# no uplink for pasta: containers have the loopback alone"
# t_rootless [MODE] — true when bld runs rootless (BLD_E2E_ROOTLESS), in MODE when given
# (ranges: the user has subordinate ids; single: the user alone is mapped)
t_rootless() { [ -n "${BLD_E2E_USER:-}" ] && [ -z "${1:-}" -o "${BLD_E2E_ROOTLESS:-}" = "${1:-}" ]; }
# t_root_only MODE NAME — for a check of what README.md's "Rootless" section lists as needing
# root (MODE any) or subordinate ids (MODE single): true, with NAME reported as skipped, when
# bld runs rootless so; the caller skips the check:  t_root_only single "-u" || t_eq "-u" ...
t_root_only() {
  local mode=$1
  [ "$mode" = any ] && mode=
  t_rootless "$mode" || return 1
  echo "skip - $2 (rootless${mode:+ $mode}: README.md lists it as needing root)"
}
# t_bld_ns [--net] CMD... — CMD where bld's processes see the host: as root here; rootless in
# the mount namespace of the user's bld-pause (README.md's "Rootless"), and with --net in the
# user's network namespace of user-defined networks there ($XDG_RUNTIME_DIR/bld/netns, made on
# first use: their bridges, the host ends of veths, the iptables rules). As root, --net is the
# caller's (scripts in a namespace of their own call it there)
t_bld_ns() {
  local net=
  [ "$1" = --net ] && { net=--net=$T_DIR/run/bld/netns; shift; }
  t_rootless || { "$@"; return; }
  nsenter -t "$(cat "$T_DIR/run/bld/pause.pid")" -m ${net:+nsenter "$net"} "$@"
}
# t_root MODE CHECK NAME ARGS... — CHECK (t_eq, t_match, ...) NAME ARGS..., or NAME skipped
# when t_root_only MODE says so
t_root() { local mode=$1; shift; t_root_only "$mode" "$2" || "$@"; }
# t_own PATH... — host files a test hands to bld as the user's own (bind mounts, a --rootfs, a
# git repository): rootless, they belong to the user, as a user's own files would; git and the
# kernel refuse what another user owns (README.md's "Rootless")
t_own() { ! t_rootless || chown -R "$BLD_E2E_USER:" "$@"; }
# t_host_ids UID:GID — the host uid:gid that a container's UID:GID are on the host: themselves
# as root; rootless, the user (and its group) for 0, the user's ranges for the others
t_host_ids() {
  t_rootless || { echo "$1"; return; }
  echo "$(host_id "${1%:*}" subuid -u):$(host_id "${1#*:}" subgid -g)"
}
host_id() { # ID FILE ID-OPTION
  [ "$1" = 0 ] && { id "$3" "$BLD_E2E_USER"; return; }
  awk -F: -v u="$BLD_E2E_USER" -v id="$1" '$1 == u && id <= $3 { print $2 + id - 1; found = 1; exit }
    END { if (!found) print "unmapped" }' "/etc/$2"
}
# t_container_out TEXT — TEXT without the "bld: warning:" lines of bld's own, for what a
# container wrote to a terminal bld writes to as well (rootless without a network stack warns)
t_container_out() { grep -v '^bld: warning: ' <<<"$1"; }
t_finish() {
  local i
  for ((i = ${#T_CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${T_CLEANUPS[$i]}" || true; done
  if [ -d "$T_DIR" ]; then
    # a test that mounted something under T_DIR must have unmounted it; never cross mounts
    grep -q " $T_DIR/" /proc/mounts && { echo "not ok - mounts left under $T_DIR"; T_FAIL=$((T_FAIL + 1)); }
    rm -rf --one-file-system "$T_DIR"
  fi
  echo "# $T_PASS passed, $T_FAIL failed"
  [ -n "${E2E_RESULTS:-}" ] && echo "$T_PASS $T_FAIL" >"$E2E_RESULTS"
  [ "$T_FAIL" -eq 0 ]
}
trap t_finish EXIT

t_pass() { T_PASS=$((T_PASS + 1)); echo "ok - $1"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $1"; shift; [ $# -gt 0 ] && printf '#   %s\n' "$@"; return 0; }

# t_ok NAME CMD... — CMD must exit 0
t_ok() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then t_pass "$name"; else t_fail "$name" "exit $?: $(tail -c 600 <<<"$out")"; fi
}
# t_exit NAME CODE CMD... — CMD must exit with CODE
t_exit() {
  local name=$1 want=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" = "$want" ]; then t_pass "$name"; else t_fail "$name" "want exit $want, got $rc: $(tail -c 600 <<<"$out")"; fi
}
# t_eq NAME WANT GOT
t_eq() {
  if [ "$2" = "$3" ]; then t_pass "$1"; else t_fail "$1" "want: $2" "got:  $3"; fi
}
# t_match NAME REGEX TEXT
t_match() {
  if grep -Eq -- "$2" <<<"$3"; then t_pass "$1"; else t_fail "$1" "want match: $2" "got: $(head -c 600 <<<"$3")"; fi
}

# t_busybox_registry — a private test registry (stopped at exit) seeded with busybox:latest:
# REG_ADDR and the rest of its env are set, and BASE names the image
t_busybox_registry() {
  "$TOP/tests/env/registry.sh" start "$T_DIR/reg" >/dev/null || { t_fail "start registry"; exit 1; }
  at_exit "'$TOP/tests/env/registry.sh' stop '$T_DIR/reg'"
  . "$T_DIR/reg/env"
  "$TOP/tests/env/seed.sh" --env "$T_DIR/reg/env" --only latest >/dev/null || { t_fail "seed"; exit 1; }
  BASE=$REG_ADDR/library/busybox:latest
}

# t_docker_pair — after t_busybox_registry: a private dockerd (stopped at exit, with every
# container of both sides removed), B and D running bld and docker, and BASE pulled by both,
# for scripts that run the same commands on both and compare
t_docker_pair() {
  "$TOP/tests/env/dockerd.sh" start "$T_DIR/dockerd" || { t_fail "start dockerd"; exit 1; }
  at_exit "'$TOP/tests/env/dockerd.sh' stop '$T_DIR/dockerd'"
  . "$T_DIR/dockerd/env"
  at_exit '$DOCKER rm -f $($DOCKER ps -aq) >/dev/null 2>&1'
  at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
  B() { "$BLD" "$@"; }
  D() { "$DOCKER" "$@"; }
  B pull -q "$BASE" >/dev/null && D pull -q "$BASE" >/dev/null || { t_fail "pull $BASE"; exit 1; }
}

# t_history IMAGE [SEL] — the created_by of IMAGE's history entries .history SEL selects
# (jq; default "[]": all, one a line; "[-1]" the last, "[2:][]" from the third)
t_history() {
  rm -rf "$T_DIR/.save" && mkdir "$T_DIR/.save" && "$BLD" save -o "$T_DIR/.save/i.tar" "$1" &&
    tar -xf "$T_DIR/.save/i.tar" -C "$T_DIR/.save" &&
    jq -r ".history${2:-[]}.created_by" "$T_DIR/.save/$(jq -r '.[0].Config' "$T_DIR/.save/manifest.json")"
}

# t_compose_demo DIR PORT — after t_busybox_registry: in DIR (project "demo" by its name)
# the three-service project compose_docker.sh and compose_podman.sh bring up with bld and the
# other tool: web built from a Dockerfile and published on 127.0.0.1:PORT, db with a health
# check, a one-shot migrate that must complete before web, a named volume
t_compose_demo() {
  mkdir -p "$1/web"
  printf 'FROM %s\nRUN mkdir -p /www && echo hello-from-web >/www/index.html\n' "$BASE" >"$1/web/Dockerfile"
  cat >"$1/compose.yaml" <<EOF
services:
  web:
    build: {context: ./web, network: host}
    init: true
    command: ["sh", "-c", "grep -q migrated /data/log && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1:$2:80"]
    volumes: ["data:/data"]
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
  db:
    image: $BASE
    init: true
    command: ["sh", "-c", "sleep 0.5; echo db-ready >/data/ready; exec httpd -f -p 5432 -h /data"]
    volumes: ["data:/data"]
    healthcheck: {test: ["CMD", "test", "-f", "/data/ready"], interval: 1s, retries: 5}
  migrate:
    image: $BASE
    command: ["sh", "-c", "cat /data/ready && echo migrated >>/data/log"]
    volumes: ["data:/data"]
    depends_on: {db: {condition: service_healthy}}
volumes:
  data: {}
EOF
}

# t_api_service [ARGS...] — `bld system service --time 0` on a socket in T_DIR (stopped by its
# PID at exit): API_SOCK is its path, API_PID its PID, DK runs Debian's docker 20.10 CLI
# against it (BuildKit off, its config in T_DIR)
t_api_service() {
  API_SOCK=$T_DIR/api.sock
  "$BLD" system service --time 0 "$@" "unix://$API_SOCK" 2>"$T_DIR/api.log" &
  API_PID=$!
  at_exit "kill $API_PID 2>/dev/null; wait $API_PID 2>/dev/null"
  local i
  for i in $(seq 1 50); do [ -S "$API_SOCK" ] && break; sleep 0.1; done
  [ -S "$API_SOCK" ] || { t_fail "bld system service did not start" "$(cat "$T_DIR/api.log")"; exit 1; }
  export DOCKER_CONFIG=$T_DIR/docker-config DOCKER_BUILDKIT=0
  DK() { DOCKER_HOST=unix://$API_SOCK /usr/bin/docker "$@"; }
}

# t_trust_env — what the content-trust scripts share: PY and COSIGN_PY (the independent
# signer), the scratch directory as working directory and HOME, and no trust setting inherited
t_trust_env() {
  PY=/usr/bin/python3
  COSIGN_PY="$TOP/tests/trust/cosign_py.py"
  cd "$T_DIR" || exit 1
  export HOME=$T_DIR/home
  mkdir -p "$HOME"
  unset BLD_TRUST_PASSPHRASE COSIGN_PASSWORD BLD_CONTENT_TRUST DOCKER_CONTENT_TRUST BLD_TRUST_KEY
}
