#!/usr/bin/env bash
# tests/kube/validate.py, the strict Kubernetes schema check every manifest bld writes must
# pass, tested itself: a good multi-document manifest passes; an unknown field (top level and
# nested), a wrong type, a bare number for a quantity, a missing required field, an unknown
# apiVersion/kind and a name the API server refuses each fail with the message the file's
# "# expect:" line gives.
. "$(dirname "$0")/lib.sh"
V="python3 $TOP/tests/kube/validate.py"
FIX=$TOP/tests/fixtures/kube/validator

t_ok "good.yaml validates" $V "$FIX/good.yaml"
for f in "$FIX"/*.yaml; do
  name=$(basename "$f" .yaml)
  [ "$name" = good ] && continue
  want=$(sed -n 's/^# expect: //p' "$f")
  out=$($V "$f" 2>&1); rc=$?
  t_eq "$name: refused" 1 "$rc"
  t_match "$name: $want" "$(sed 's/[][().*]/\\&/g' <<<"$want")" "$out"
done
# stdin, and every document of a stream is checked (the bad one is the second)
out=$(cat "$FIX/good.yaml" - <<<$'---\n'"$(cat "$FIX/wrong-type.yaml")" | $V - 2>&1)
t_match "stdin: the fifth document is checked" '^-: document 5 \(Service s\)' "$out"
