#!/usr/bin/env bash
# The module rules of DESIGN.md and STYLE.md on the sources (tests/layout/check.py): each
# module includes only the modules below it, and inside common/, parser/, registry/, runner/
# builder/ and deploy/ no two files call each other through a circle.
. "$(dirname "$0")/lib.sh"
out=$(python3 "$TOP/tests/layout/check.py" 2>&1)
rc=$?
t_eq "modules include only the modules below them; common/, parser/, registry/, runner/, builder/ and deploy/ have no call circles" "0" "$rc"
[ "$rc" = 0 ] || printf '#   %s\n' "$out"
# the checker sees a circle when there is one
mkdir -p "$T_DIR/m/builder" "$T_DIR/m/tests/layout"
cp "$TOP/tests/layout/check.py" "$T_DIR/m/tests/layout/"
printf 'int bld_builder_b(void);\nint bld_builder_a(void) { return bld_builder_b(); }\n' >"$T_DIR/m/builder/a.c"
printf 'int bld_builder_a(void);\nint bld_builder_b(void) { return bld_builder_a(); }\n' >"$T_DIR/m/builder/b.c"
t_match "... and it finds a circle of two files" 'builder/: files call each other in a circle: a.c b.c' \
  "$(python3 "$T_DIR/m/tests/layout/check.py" --calls builder)"
printf '#include "builder/builder.h"\n' >"$T_DIR/m/builder/c.h" && mkdir -p "$T_DIR/m/runner" && cp "$T_DIR/m/builder/c.h" "$T_DIR/m/runner/"
t_match "... and an include that goes up" 'runner/c.h:1: runner/ includes builder/' \
  "$(python3 "$T_DIR/m/tests/layout/check.py" --calls)"
