#!/usr/bin/env bash
# tests/run-all.sh UNIT_BINARY — runs the criterion unit tests, then every end-to-end script,
# and closes with one line "N passed, N failed" that adds both up. Exit 0 only when all pass.
set -u
cd "$(dirname "$0")/.."
unit=${1:-build/unit-tests}
up=0 uf=0
log=$(mktemp)
. tests/env/cgroups.sh
mapfile -t cgroups < <(bld_cgroups_snapshot) # the unit tests' sandboxes make them too
trap 'rm -f "$log"; bld_cgroups_remove "${cgroups[@]}"' EXIT
# in a network namespace of their own, with only lo, as the end-to-end scripts
unshare --net -- sh -c 'ip link set lo up && exec "$0" --jobs=2' "$unit" 2>&1 | tee "$log"
syn=$(grep 'Synthesis:' "$log" | tail -1)
if [ -n "$syn" ]; then
  up=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$syn")
  uf=$(sed -n 's/.*Failing: \([0-9]*\).*Crashing: \([0-9]*\).*/\1 \2/p' <<<"$syn" | awk '{print $1+$2}')
else
  uf=1
fi
tests/run-e2e.sh | tee "$log"
ep=$(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log" | tail -1)
ef=$(sed -n 's/^e2e: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log" | tail -1)
[ -n "$ep" ] || { ep=0; ef=1; }
echo "$((up + ep)) passed, $((uf + ef)) failed"
[ $((uf + ef)) -eq 0 ]
