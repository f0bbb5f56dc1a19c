#!/usr/bin/env bash
# tests/e2e/api_build.sh — POST /build of `bld system service` driven by Debian's docker 20.10
# CLI with BuildKit off (the classic endpoint: a tar context and query parameters), compared
# with what the same CLI does against a private dockerd for the same Dockerfiles: the output
# (the classic builder's Step lines, Successfully built/tagged; IDs masked, and dockerd's
# intermediate containers, which bld does not make) and the exit status, the image's config
# (tags, build args, labels, target, -f), -q, --compress (a gzip context), a failing RUN and
# a Dockerfile error; and by hand: a context whose tar climbs out is refused, nothing written.
. "$(dirname "$0")/lib.sh"

t_busybox_registry
"$TOP/tests/env/dockerd.sh" start "$T_DIR/dockerd" || { t_fail "start dockerd"; exit 1; }
at_exit "'$TOP/tests/env/dockerd.sh' stop '$T_DIR/dockerd'"
. "$T_DIR/dockerd/env"
D() { "$DOCKER" "$@"; }
t_api_service
D pull -q "$BASE" >/dev/null && DK pull -q "$BASE" >/dev/null || { t_fail "pull $BASE"; exit 1; }
both() { BO=$(DK "$@" 2>&1; echo "rc=$?"); DO=$(D "$@" 2>&1; echo "rc=$?"); }
mask() { sed -E 's/sha256:[0-9a-f]{64}/sha256:H/g; s/\b[0-9a-f]{12}\b/ID/g'; }
# the classic builder's lines as bld prints them: bld runs no container for a step (IDs masked)
cmask() { grep -v -e '^ ---> Running in ' -e '^Removing intermediate container ' | mask |
  sed -E 's/(Sending build context to Docker daemon) +[0-9.]+[kMG]?B/\1 N/'; }

mkdir -p "$T_DIR/ctx/sub" && cd "$T_DIR/ctx" || exit 1
printf 'FROM %s\nARG X=1\nLABEL a=b\nRUN echo "hi $X" && echo $X >/x\nCOPY f /f\nENV A=b\nCMD ["cat", "/f"]\n' "$BASE" >Dockerfile
echo data >f
printf 'FROM %s AS one\nRUN echo one >/o\nFROM one AS two\nRUN echo two >/t\nFROM %s\nRUN echo three\n' "$BASE" "$BASE" >sub/Alt

both build -t api/b:1 -t api/b:2 --network host --build-arg X=42 --label l=v .
t_eq "docker build: the classic builder's lines as dockerd's (Step N/M : INSTRUCTION, the RUN's output, --label's step, ---> ID, Successfully built, tagged each)" \
  "$(cmask <<<"$DO")" "$(cmask <<<"$BO")"
t_match "... the RUN step's output streamed" "hi 42" "$BO"
q='.[0] | {RepoTags, E: .Config.Env, C: .Config.Cmd, L: .Config.Labels, Os, Architecture}'
t_eq "... the image's config as dockerd's (build arg, --label, tags)" \
  "$(D image inspect api/b:1 | jq -S "$q")" "$(DK image inspect api/b:1 | jq -S "$q")"
t_eq "... its files, built in bld's store" "data 42" "$("$BLD" run --rm --network none api/b:2 sh -c 'echo $(cat /f /x)')"
t_eq "... the ID docker printed is the image's" "$(grep -o 'Successfully built .*' <<<"$BO" | cut -d' ' -f3)" \
  "$("$BLD" images -q api/b:1)"

both build -t api/b:1 -t api/b:2 --network host --build-arg X=42 --label l=v .
t_eq "docker build again: every step after FROM ---> Using cache, as dockerd's" "$(cmask <<<"$DO")" "$(cmask <<<"$BO")"
both build -q -t api/q --network host .
t_eq "docker build -q: the image ID alone, as dockerd" "$(mask <<<"$DO")" "$(mask <<<"$BO")"
t_eq "... the ID of the image tagged" "$(head -1 <<<"$BO")" "$("$BLD" images -q --no-trunc api/q)"

both build -f sub/Alt --target two -t api/alt --network host .
t_eq "docker build -f sub/FILE --target: the target's stages, as dockerd's" "$(cmask <<<"$DO")" "$(cmask <<<"$BO")"
t_eq "... the target stage built (its files, not the last stage's)" "one two" \
  "$("$BLD" run --rm --network none api/alt sh -c 'echo $(cat /o /t)')"

both build --compress -t api/gz --network host .
t_eq "docker build --compress (a gzip context), as dockerd's" "$(cmask <<<"$DO")" "$(cmask <<<"$BO")"

printf 'FROM %s\nRUN echo failing; exit 3\n' "$BASE" >Bad
both build -f Bad --network host .
t_eq "docker build of a failing RUN: the RUN's exit status, as dockerd's" "rc=3 rc=3" \
  "$(tail -1 <<<"$DO") $(tail -1 <<<"$BO")"
t_match "... saying which command and its exit code" "exit code: 3" "$BO"
printf 'FROM %s\nFOO bar\n' "$BASE" >Bad
both build -f Bad --network host .
t_eq "docker build of an unknown instruction: exit 1, as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"
t_match "... naming it" "unknown instruction: FOO" "$BO"

# a context whose tar climbs out of its directory
python3 - "$T_DIR/evil.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name, data in (("Dockerfile", b"FROM scratch\n"), ("../../escaped", b"x")):
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
EOF
out=$(curl -s --unix-socket "$API_SOCK" -X POST -H 'Content-Type: application/x-tar' \
  --data-binary @"$T_DIR/evil.tar" 'http://d/v1.41/build?t=api/evil')
t_match "a tar context with ../ entries: the build fails with an error message" '"errorDetail"' "$out"
t_eq "... nothing written outside the context" "" \
  "$(find "$T_DIR" "$BLD_ROOT" /tmp /escaped -maxdepth 2 -name escaped 2>/dev/null)"
t_eq "... no image named" "" "$("$BLD" images -q api/evil)"
