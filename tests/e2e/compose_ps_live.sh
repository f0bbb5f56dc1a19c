#!/usr/bin/env bash
# compose ps and the monitors: a listing learns which monitors live from one sock_diag dump
# of the listening unix sockets, without connecting to (and so waking) each monitor; a
# container whose monitor died, or that stopped, is still shown as it is.
. "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || { t_fail "strace is not installed"; exit 1; }
B() { "$BLD" "$@"; }
at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
r=$T_DIR/rootfs
mkdir -p "$r/bin" "$r/etc" "$T_DIR/p"
cp "$(command -v busybox)" "$r/bin/" && ln -s busybox "$r/bin/sh" && ln -s busybox "$r/bin/sleep"
tar -C "$r" -cf "$T_DIR/bb.tar" . && B import "$T_DIR/bb.tar" pslive/bb >/dev/null
cd "$T_DIR/p"
cat >compose.yaml <<'YAML'
name: live
services:
  a: {image: pslive/bb, scale: 2, command: [sh, -c, "trap 'exit 0' TERM; sleep 600 & wait"]}
  b: {image: pslive/bb, command: [sh, -c, "trap 'exit 0' TERM; sleep 600 & wait"]}
YAML
t_ok "up -d" B compose up -d
t_eq "ps: the three running" "live-a-1 live-a-2 live-b-1" \
  "$(B compose ps | tail -n +2 | cut -d' ' -f1 | xargs)"
strace -f -qq -e trace=connect -o "$T_DIR/trace" "$BLD" compose ps >/dev/null
t_eq "ps connects to no monitor" "0" "$(grep -c monitor.sock "$T_DIR/trace")"
mon=$(jq -r .MonitorPid "$BLD_ROOT/containers/$(B inspect --format '{{.Id}}' live-a-2)/state.json")
kill -9 "$mon"
for i in $(seq 50); do kill -0 "$mon" 2>/dev/null || break; sleep 0.1; done
t_eq "a container whose monitor died is dead" "live-a-1:running live-a-2:dead live-b-1:running" \
  "$(B compose ps -a --format json | jq -r '.Name + ":" + .State' | xargs)"
t_ok "stop b" B compose stop b
t_eq "a stopped container leaves ps" "live-a-1" "$(B compose ps | tail -n +2 | cut -d' ' -f1 | xargs)"
t_eq "and ps -a shows it exited" "exited" "$(B compose ps -a --format json b | jq -r .State)"
t_ok "down" B compose down -t 0
