#!/usr/bin/env bash
# bld kube generate over a corpus of compose files: compose-go's valid loader and cli inputs
# (tests/fixtures/compose/, from the conformance material), the projects of compose config's
# tests, and tests/fixtures/kube/corpus/*.yaml, written so that every attribute of the
# mapping appears (a "# kube-generate: FLAGS" first line gives the flags). Every object of
# every output validates strictly against the Kubernetes 1.36 schema (one validator run for
# all), and what generate reports (its "bld: kube generate:" lines) is exactly the file's
# expected report, tests/fixtures/kube/corpus/reports/<path>.report (the checkout's path
# written TOP). KUBE_CORPUS_WRITE=1 writes the reports instead (to review, not to pass).
. "$(dirname "$0")/lib.sh"
FIX=$TOP/tests/fixtures
REPORTS=$FIX/kube/corpus/reports
# compose-go's inputs that the loader refuses (tests/e2e/compose_config.sh checks how)
skip=" compose/loader/testdata/compose-depends-on-cycle.yaml compose/loader/testdata/compose-depends-on-profile-no-cycle.yaml compose/loader/testdata/compose-depends-on-self.yaml compose/loader/testdata/compose-include-cycle.yaml compose/loader/testdata/empty.yaml compose/loader/testdata/extends/base.yaml compose/loader/testdata/include/dir/compose.yaml "
mapfile -d '' inputs < <(cd "$FIX" && find compose/loader compose/cli compose/config kube/corpus -maxdepth 4 -name '*.yaml' -not -path '*/files/*' -print0 | sort -z)
n=0 outs=()
for key in "${inputs[@]}"; do
  [[ $skip == *" $key "* ]] && continue
  n=$((n + 1)) f=$FIX/$key out=$T_DIR/out$n.yaml
  read -ra flags < <(sed -n '1s/^# kube-generate: //p' "$f")
  flags+=(--allow-tag) # builds are not pushed here: kube_generate.sh tests the refusal
  if ! (cd "$(dirname "$f")" && "$BLD" kube generate "${flags[@]}" -f "$(basename "$f")" >"$out" 2>"$T_DIR/err"); then
    t_fail "$key: kube generate" "$(cat "$T_DIR/err")"
    continue
  fi
  outs+=("$out")
  got=$(grep '^bld: kube generate: ' "$T_DIR/err" | sed "s|$TOP|TOP|g")
  if [ -n "${KUBE_CORPUS_WRITE:-}" ]; then
    mkdir -p "$(dirname "$REPORTS/$key")" && printf '%s\n' "$got" | sed '/^$/d' >"$REPORTS/$key.report"
  fi
  t_eq "$key: the report" "$(cat "$REPORTS/$key.report" 2>/dev/null)" "$got"
done
t_ok "the corpus has at least 40 compose files ($n)" test "$n" -ge 40
t_ok "every object of the $n outputs validates" python3 "$TOP/tests/kube/validate.py" "${outs[@]}"
