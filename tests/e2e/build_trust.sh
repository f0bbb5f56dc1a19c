#!/usr/bin/env bash
# tests/e2e/build_trust.sh — content trust on every image a build uses, not only a FROM that
# it pulls: with DOCKER_CONTENT_TRUST=1 (or BLD_CONTENT_TRUST=1) `FROM IMAGE`, `COPY
# --from=IMAGE` and `RUN --mount=type=bind,from=IMAGE` resolve the reference to a digest the
# trust policy accepts before the image is used, also when the store holds it already; an
# unsigned one stops the build with one line naming the Dockerfile line, exit status 1.
# Signatures come from the independent Python signer (tests/trust/cosign_py.py).
. "$(dirname "$0")/lib.sh"
t_trust_env

"$TOP/tests/env/registry.sh" start "$T_DIR/reg" >/dev/null 2>&1 || { t_fail "start test registry"; exit 1; }
at_exit "'$TOP/tests/env/registry.sh' stop '$T_DIR/reg' >/dev/null 2>&1"
. "$T_DIR/reg/env"
"$TOP/tests/env/seed.sh" --env "$T_DIR/reg/env" --only latest >/dev/null 2>&1 \
  || { t_fail "seed the test registry"; exit 1; }
R=$REG_ADDR
copy() {
  skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
    "docker://$R/library/busybox:latest" "docker://$R/t/$1:1" >/dev/null 2>&1
}
D=$($PY "$COSIGN_PY" digest "$R" library/busybox latest)
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" genkey pykey >/dev/null
printf '{"default":[{"type":"reject"}],"transports":{"docker":{"%s/t":[{"type":"sigstoreSigned","keyPath":"%s","signedIdentity":{"type":"matchRepository"}}]}}}\n' \
  "$R" "$T_DIR/pykey.pub" >pol.json
copy signed
copy unsigned
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" sign pykey.key "$R" t/signed "$D"
S=$R/t/signed:1 U=$R/t/unsigned:1

# both images in the store first, pulled without trust
"$BLD" pull -q "$S" >/dev/null 2>&1 && "$BLD" pull -q "$U" >/dev/null 2>&1 || t_fail "pull without trust"

# tb NAME DOCKERFILE [ENV...] — builds ctx-NAME with trust on; output in $out, status in $rc
tb() {
  local name=$1 df=$2; shift 2
  mkdir -p "ctx-$name" && printf '%s' "$df" >"ctx-$name/Dockerfile"
  out=$(env DOCKER_CONTENT_TRUST=1 "$@" "$BLD" build -q --network none --signature-policy pol.json \
        "ctx-$name" 2>&1); rc=$?
}

tb from-stored "# an unsigned base the store holds
FROM $U
RUN true
"
t_eq "FROM: an unsigned image in the store is refused with trust on" 1 "$rc"
t_eq "... in one line" 1 "$(wc -l <<<"$out")"
t_match "... naming Dockerfile:2 and why" "^bld: Dockerfile:2: .*content trust for $U: not signed" "$out"

tb from-signed "FROM $S
RUN echo ok > /ok
"
t_eq "FROM: a signed image in the store is used with trust on" 0 "$rc"

tb copy-from "FROM $S
RUN echo ok > /ok
COPY --from=$U /bin/busybox /bb
"
t_eq "COPY --from=IMAGE: an unsigned image is refused" 1 "$rc"
t_match "... naming Dockerfile:3" "^bld: Dockerfile:3: .*content trust for $U: not signed" "$out"
t_eq "... in one line" 1 "$(wc -l <<<"$out")"

tb mount-from "FROM $S
RUN --mount=type=bind,from=$U,target=/u test -x /u/bin/busybox
" BLD_CONTENT_TRUST=1 DOCKER_CONTENT_TRUST=
t_eq "RUN --mount from=IMAGE: an unsigned image is refused (BLD_CONTENT_TRUST=1)" 1 "$rc"
t_match "... naming Dockerfile:2" "^bld: Dockerfile:2: .*content trust for $U: not signed" "$out"

tb signed-all "FROM $S
COPY --from=$S /bin/busybox /bb
RUN --mount=type=bind,from=$S,target=/s test -x /s/bin/busybox && cmp /s/bin/busybox /bb
"
t_eq "COPY --from and a mount from= a signed image build with trust on" 0 "$rc"

# the tag moves to an image nobody signed: the stored, once signed, image is not used
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$R/library/busybox:latest" \
  --format v2s2 "docker://$R/t/signed:1" >/dev/null 2>&1
tb moved "FROM $S
RUN true
"
t_eq "FROM: a tag that now points at an unsigned digest is refused though the store has it" 1 "$rc"
t_match "... saying why" "Dockerfile:1: .*content trust for $S" "$out"

tb off "FROM $U
RUN true
" DOCKER_CONTENT_TRUST=0
t_eq "trust off: the unsigned image builds" 0 "$rc"
