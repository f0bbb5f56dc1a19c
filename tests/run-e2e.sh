#!/usr/bin/env bash
# tests/run-e2e.sh [SCRIPT...] — runs end-to-end scripts (default: tests/e2e/*.sh) against
# ./bld, each in its own temporary BLD_ROOT, and sums their results into one line
# "e2e: N passed, N failed". A script that dies without reporting counts as one failure.
set -u
cd "$(dirname "$0")/.."
export BLD="$PWD/bld" TOP="$PWD"
[ -x "$BLD" ] || { echo "e2e: ./bld is not built"; echo "e2e: 0 passed, 1 failed"; exit 1; }
scripts=("$@")
[ ${#scripts[@]} -gt 0 ] || scripts=(tests/e2e/*.sh)
pass=0 fail=0
for s in "${scripts[@]}"; do
  [ -f "$s" ] && [ "$(basename "$s")" != lib.sh ] || continue
  res=$(mktemp)
  echo "== $s"
  E2E_RESULTS=$res timeout 900 bash "$s"
  rc=$?
  read -r p f <"$res" 2>/dev/null || { p=0; f=0; }
  rm -f "$res"
  if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
    echo "not ok - $s exited $rc without reporting a failure"
    f=1
  fi
  pass=$((pass + ${p:-0})) fail=$((fail + ${f:-0}))
done
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
