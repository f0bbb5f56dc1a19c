#!/usr/bin/env bash
# The module rules of DESIGN.md and STYLE.md on the sources (tests/layout/check.py): each
# module includes only the modules below it, and inside common/, parser/, registry/, runner/
# builder/ and deploy/ no two files call each other through a circle, and no return value is
# compared with an error code.
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
# only `bld system service` reaches api/, through its public header; api/ never includes cli/
mkdir -p "$T_DIR/m/cli" "$T_DIR/m/api"
printf '#include "api/api.h"\n' >"$T_DIR/m/cli/cmd_system_service.c"
printf '#include "api/api.h"\n' >"$T_DIR/m/cli/cmd_ps.c"
printf '#include "api/api_int.h"\n' >"$T_DIR/m/cli/main.c"
printf '#include "cli/cli.h"\n' >"$T_DIR/m/api/route.c"
out=$(python3 "$T_DIR/m/tests/layout/check.py" --calls)
t_match "... and cli/ including api/ anywhere but the service's command" 'cli/cmd_ps.c:1: cli/ includes api/api.h' "$out"
t_match "... or anything of api/ but api.h" 'cli/main.c:1: cli/ includes api/api_int.h' "$out"
t_match "... and api/ including cli/" 'api/route.c:1: api/ includes cli/cli.h' "$out"
t_eq "... but not the service's command including api.h" "" "$(grep cmd_system_service <<<"$out")"
# a failure's bare -1 equals -BLD_E_NOTFOUND: callers branch on err->code, never on r
mkdir -p "$T_DIR/e/registry" "$T_DIR/e/tests/layout"
cp "$TOP/tests/layout/check.py" "$T_DIR/e/tests/layout/"
printf '/* two\n lines */\nint f(int r)\n{\n\tif (r == -BLD_E_NOTFOUND)\n\t\treturn 0;\n' >"$T_DIR/e/registry/a.c"
printf '\tswitch (r) {\n\tcase -BLD_E_DIGEST: return 1;\n\t}\n\treturn e->code == BLD_E_NOTFOUND;\n}\n' >>"$T_DIR/e/registry/a.c"
out=$(python3 "$T_DIR/e/tests/layout/check.py" --calls)
t_match "... and a return value compared with an error code" 'registry/a.c:5: a return value compared with an error code' "$out"
t_match "... in a case label too" 'registry/a.c:8: a return value compared' "$out"
t_eq "... but not a branch on err->code" 2 "$(grep -c 'error code' <<<"$out")"
