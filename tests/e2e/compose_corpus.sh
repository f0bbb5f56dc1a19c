#!/usr/bin/env bash
# A corpus of compose files in the shapes public projects use (tests/fixtures/compose/corpus/,
# README.md there: sources and licences): each project loads with `bld compose config`, its
# output validates against compose-spec.json, and where docker-compose 1.29.2 accepts the
# file too, both give the same services, images, ports, volumes and environment
# (compose_corpus.py runs the checks, docker-compose's in its own process).
. "$(dirname "$0")/lib.sh"
cp -a "$TOP/tests/fixtures/compose/corpus" "$T_DIR/corpus"
refused=() n=0
while IFS= read -r line; do
  case $line in
    "ok "*) t_ok "${line#ok }" true ;;
    "not ok "*) t_fail "${line#not ok }" ;;
    "v1-refused "*) refused+=("${line#v1-refused }") ;;
    *) t_fail "compose_corpus.py: $line" ;;
  esac
  n=$((n + 1))
done < <(/usr/bin/python3 "$TOP/tests/e2e/compose_corpus.py" "$BLD" "$TOP/deploy/compose-spec.json" \
  "$T_DIR"/corpus/*/ 2>&1)
t_match "every project checked" '^[0-9]{2,}$' "$((n / 2))"
t_eq "docker-compose 1.29.2 refuses only the files written for compose v2 (README.md)" \
  "ac-react-rust-postgres w-immich" "${refused[*]}"
