#!/usr/bin/env bash
# The manual: a page for bld and for every command bld --help and bld compose --help list
# (so a new command is covered by being in the table), each rendered by man without a
# warning, in docker's sections, with the option list and the examples of its --help; and
# every --help ends with two or three examples whose options the command takes.
. "$(dirname "$0")/lib.sh"

man=$T_DIR/man
t_ok "bld __man writes the pages" "$BLD" __man "$man"
cmds=("")
while read -r c; do cmds+=("$c"); done < <("$BLD" --help | awk -F '  +' '/^Commands:/{f=1;next} /^$/{f=0} f{print $2}')
while read -r c; do cmds+=("compose $c"); done < <("$BLD" compose --help | awk -F '  +' '/^Commands:/{f=1;next} /^$/{f=0} f{print $2}')
for c in "${cmds[@]}"; do
  page=bld${c:+-${c// /-}}
  if [ ! -f "$man/$page.1" ]; then
    t_fail "a page for bld $c" "no $page.1"
    continue
  fi
  # shellcheck disable=SC2086 # the command's words
  "$BLD" $c --help >"$T_DIR/help" 2>&1
  err=$(MANWIDTH=80 man --warnings -l "$man/$page.1" 2>&1 >"$T_DIR/man.txt")
  t_eq "man renders $page.1 without warnings" "" "$err"
  t_eq "$page(1) agrees with bld $c --help" "" \
    "$(python3 "$TOP/tests/e2e/help_check.py" "$T_DIR/help" "$T_DIR/man.txt" "$c")"
done
# the pages of files and rules
for p in "$TOP"/doc/*.[1-8]; do
  t_eq "man renders ${p##*/} without warnings" "" "$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)"
done
t_eq "every page bld writes is for a command of the table" "$(( ${#cmds[@]} ))" "$(ls "$man" | wc -l)"
