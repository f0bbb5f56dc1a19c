#!/usr/bin/env bash
# bld parse: the buildkit dump against a conformance result, -f - (stdin), the JSON dump,
# --graph with --target and --build-arg, and parse errors (one line, exit 1).
. "$(dirname "$0")/lib.sh"

FIX=$TOP/tests/fixtures/dockerfile-parser/testfiles
t_eq "buildkit format matches a conformance result" "$(cat "$FIX/health/result")" \
  "$("$BLD" parse -f "$FIX/health/Dockerfile")"
t_eq "-f - reads stdin" "$(cat "$FIX/json/result")" \
  "$("$BLD" parse -f - <"$FIX/json/Dockerfile")"
cd "$T_DIR" && printf 'FROM busybox\nRUN echo hi\n' >Dockerfile
t_eq "default file is ./Dockerfile" '(from "busybox")
(run "echo hi")' "$("$BLD" parse)"

printf 'FROM busybox AS base\nRUN --mount=type=cache,target=/c <<EOF\necho hi\nEOF\n' >"$T_DIR/Dockerfile.hd"
out=$("$BLD" parse --format=json -f "$T_DIR/Dockerfile.hd")
t_match "json has line ranges" '"start_line":2,"end_line":4' "$out"
t_match "json has flags" '"flags":\["--mount=type=cache,target=/c"\]' "$out"
t_match "json has heredocs" '"heredocs":\[\{"name":"EOF","fd":0,"expand":true,"chomp":false,"content":"echo hi\\n"\}\]' "$out"
t_ok "json output is valid JSON" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$out"

printf 'ARG TAG=1\nFROM alpine:${TAG} AS build\nFROM busybox AS unused\nFROM scratch\nCOPY --from=build /x /x\n' >"$T_DIR/Dockerfile.multi"
g=$("$BLD" parse --graph -f "$T_DIR/Dockerfile.multi" --build-arg TAG=2)
t_match "graph expands global ARGs with --build-arg" 'base: image alpine:2' "$g"
t_match "graph has the COPY --from edge" 'needs: stage 0 build' "$g"
t_match "graph marks the target's stages" 'stage 0 build \(line 2\) needed' "$g"
t_match "graph leaves unused stages out" 'stage 1 unused \(line 3\)$' "$g"
g=$("$BLD" parse --graph --target unused -f "$T_DIR/Dockerfile.multi")
t_match "--target picks the stage" '^target: unused \(stage 1\)' "$g"

t_exit "unknown instruction exits 1" 1 "$BLD" parse --format=json -f - <<<$'FROM a\nFOO bar'
err=$(printf 'FROM a\nFOO bar\n' | "$BLD" parse --format=json -f - 2>&1 >/dev/null)
t_eq "error names Dockerfile:LINE and the cause" "bld: Dockerfile:2: unknown instruction: FOO" "$err"
t_exit "bad JSON exits 1" 1 "$BLD" parse -f - <<<$'FROM a\nCMD ["a", ["b"]]'
t_exit "unterminated heredoc exits 1" 1 "$BLD" parse -f - <<<$'FROM a\nRUN <<EOF\necho'
t_exit "missing FROM exits 1" 1 "$BLD" parse --graph -f - <<<'RUN true'
t_exit "cycle exits 1" 1 "$BLD" parse --graph -f - <<<$'FROM a AS x\nCOPY --from=x / /'
t_exit "unknown target exits 1" 1 "$BLD" parse --graph --target nope -f - <<<'FROM a'
t_exit "empty file exits 1" 1 "$BLD" parse -f /dev/null
t_exit "missing file is bld's own error (125)" 125 "$BLD" parse -f "$T_DIR/nope"
n=$(printf 'FROM a\nFOO\n' | "$BLD" parse --graph -f - 2>&1 | wc -l)
t_eq "errors are one line" 1 "$n"
