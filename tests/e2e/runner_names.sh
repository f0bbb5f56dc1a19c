#!/usr/bin/env bash
# Generated container names: docker draws another when the one it drew is taken, so that
# `run`/`create` without --name never fails on a name conflict. bld's first draw comes from
# the id and has 225 values: a store of 120 unnamed containers is certain to have drawn some
# name twice, and every create must still succeed with a unique name.
. "$(dirname "$0")/lib.sh"
t_busybox_registry
"$BLD" pull -q "$BASE" >/dev/null || { t_fail "pull"; exit 1; }
fails=0
for _ in $(seq 1 120); do
  "$BLD" create "$BASE" true >/dev/null 2>"$T_DIR/err" || { fails=$((fails + 1)); cp "$T_DIR/err" "$T_DIR/lasterr"; }
done
t_eq "120 creates without --name all succeed" 0 "$fails"
[ "$fails" = 0 ] || printf '#   %s\n' "$(cat "$T_DIR/lasterr")"
names=$("$BLD" ps -a --format '{{.Names}}')
t_eq "... as 120 containers" 120 "$(wc -l <<<"$names")"
t_eq "... with 120 different names" 120 "$(sort -u <<<"$names" | wc -l)"
t_match "... docker's shape: adjective_name, a digit on a redraw" '^[a-z]+_[a-z]+[0-9]?$' "$(sort -u <<<"$names" | head -1)"
bad=$(grep -Ev '^[a-z]+_[a-z]+[0-9]?$' <<<"$names" | head -3)
t_eq "... every name in that shape" "" "$bad"
"$BLD" rm $("$BLD" ps -aq) >/dev/null
