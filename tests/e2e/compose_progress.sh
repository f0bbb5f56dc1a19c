#!/usr/bin/env bash
# bld compose's progress: the pulls of independent services side by side (both started
# before either ends), plain lines when stderr is not a terminal.
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
