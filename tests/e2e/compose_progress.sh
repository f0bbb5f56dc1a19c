#!/usr/bin/env bash
# bld compose's progress: the pulls of independent services side by side (both started
# before either ends), their builds too, plain lines when stderr is not a terminal or with --progress plain;
# on a terminal (script(1) gives one) compose v2's display redrawn in place ("[+] Running
# 2/2", a line a step, ✔ when done, its time on the right) ending on the final state, and
# redrawn on a timer (a waiting line's time advances between events);
# --progress quiet prints nothing.
. "$(dirname "$0")/lib.sh"
t_busybox_registry
at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
B() { "$BLD" "$@"; }
OTHER=$REG_ADDR/library/other:1
B pull -q "$BASE" >/dev/null && B tag "$BASE" "$OTHER" && B push -q "$OTHER" >/dev/null &&
  B rmi "$BASE" "$OTHER" >/dev/null || { t_fail "push $OTHER"; exit 1; }
mkdir "$T_DIR/p" && cd "$T_DIR/p"
cat >compose.yaml <<EOF2
name: prog
services:
  a: {image: $BASE, command: [sleep, "60"], init: true}
  b: {image: $OTHER, command: [sleep, "60"], init: true}
EOF2
out=$(B compose pull 2>&1)
t_eq "pull: plain lines, each service pulled" "a Pulled|b Pulled" \
  "$(grep Pulled <<<"$out" | sed 's/^ *//; s/  */ /' | sort | paste -sd'|')"
t_eq "pull: both pulls started before either ended" "Pulling Pulling" \
  "$(awk '{print $2}' <<<"$out" | head -2 | xargs)"
B rmi "$BASE" "$OTHER" >/dev/null
out=$(B compose up -d 2>&1)
t_eq "up: both pulls started before either ended" "Pulling Pulling" \
  "$(awk '{print $2}' <<<"$out" | head -2 | xargs)"
t_match "up: then the containers started" ' Container prog-b-1  Started' "$out"
t_ok "down" B compose down -t 0
# on a pseudo-terminal: the output of `bld compose ARGS...`, \r dropped
tty_run() { script -qfec "$(printf '%q ' "$BLD" compose "$@")" /dev/null 2>&1 | tr -d '\r'; }
nocolour() { sed 's/\x1b\[[0-9;]*[a-zA-Z]//g'; }
out=$(tty_run up -d)
t_match "tty: the display redrawn over itself (cursor up)" $'\x1b\\[[0-9]+A' "$out"
final=$(nocolour <<<"$out" | awk '/\[\+\] Running/ {buf=""} {buf = buf $0 "\n"} END {printf "%s", buf}')
t_match "tty: ends on every step done" '^\[\+\] Running ([0-9]+)/\1$' "$(head -1 <<<"$final")"
t_match "tty: a line a container, ✔, its status, its time" \
  '^ ✔ Container prog-b-1 +Started +[0-9]+\.[0-9]s$' "$final"
t_match "tty: the network's line too" '^ ✔ Network prog_default +Created' "$final"
out=$(tty_run --progress plain down -t 0)
t_match "--progress plain on a terminal: plain lines" '^ Container prog-a-1  Removed$' "$out"
t_eq "--progress plain: no escape sequence" "" "$(grep -c $'\x1b' <<<"$out" | grep -v '^0$')"
t_eq "--progress quiet: nothing" "" "$(tty_run --progress quiet up -d)"
t_ok "down again" B compose down -t 0
mkdir "$T_DIR/b" && cd "$T_DIR/b" && mkdir c d
printf 'FROM %s\nRUN sleep 1\n' "$BASE" | tee c/Dockerfile >d/Dockerfile
printf 'name: bp\nservices:\n  c: {build: c}\n  d: {build: d}\n' >compose.yaml
out=$(B compose build 2>&1)
t_eq "build: both builds started before either ended" "Building Building" \
  "$(awk '{print $3}' <<<"$out" | head -2 | xargs)"
t_match "build: then both built" ' Image bp-d  Built' "$out"
B rmi bp-c bp-d >/dev/null 2>&1
# on a terminal the display is redrawn on a timer too, as compose v2's: while up waits for a
# health check, the waiting line's time advances with no event to redraw it
mkdir "$T_DIR/h" && cd "$T_DIR/h"
cat >compose.yaml <<EOF2
name: ph
services:
  h:
    image: $BASE
    command: [sh, -c, "sleep 2; touch /tmp/ok; exec sleep 60"]
    init: true
    healthcheck: {test: [CMD, test, -f, /tmp/ok], interval: 1s}
  d: {image: $BASE, command: [sleep, "60"], init: true, depends_on: {h: {condition: service_healthy}}}
EOF2
out=$(tty_run up -d | nocolour)
t_match "timer: the dependency waited for, then healthy" '✔ Container ph-h-1 +Healthy' "$out"
times=$(grep -o 'Container ph-h-1 *Waiting *[0-9.]*s' <<<"$out" | awk '{print $NF}' | sort -un)
t_match "timer: the waiting line redrawn with its time advancing (10 times a second)" \
  '^([0-9.]+s ){8,}' "$(xargs <<<"$times") "
B compose down -t 0 >/dev/null 2>&1
