#!/usr/bin/env bash
# tests/e2e/trust_pulls.sh — content trust beyond `bld pull`: a FROM that `bld build` pulls,
# the implicit pull of `bld create` / `bld run`, and `bld push` signing when trust is on
# (DOCKER_CONTENT_TRUST=1, or --disable-content-trust=false as docker has it). Signatures
# come from the independent Python signer (tests/trust/cosign_py.py) and bld's pushes are
# checked with its verifier; the registry is the Debian docker-registry on 127.0.0.1.
. "$(dirname "$0")/lib.sh"
t_trust_env

REGSH="$TOP/tests/env/registry.sh"
"$REGSH" start "$T_DIR/reg" >/dev/null 2>&1 || { t_fail "start test registry"; exit 1; }
at_exit "'$REGSH' stop '$T_DIR/reg' >/dev/null 2>&1"
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
BLD_TRUST_PASSPHRASE=s3cret "$BLD" trust key generate bldkey >/dev/null 2>&1
printf '{"default":[{"type":"reject"}],"transports":{"docker":{"%s/t":[{"type":"sigstoreSigned","keyPath":"%s","signedIdentity":{"type":"matchRepository"}}]}}}\n' \
  "$R" "$T_DIR/pykey.pub" >pol.json
store_state() { find "$BLD_ROOT" -type f -not -name '*.lock' 2>/dev/null | sort | xargs -r sha256sum; }
copy signed
copy unsigned
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" sign pykey.key "$R" t/signed "$D"

# --- FROM in bld build -----------------------------------------------------------------
mkdir -p ctx-ok ctx-bad
printf '# base must be signed\nFROM %s/t/signed:1\nRUN true\n' "$R" >ctx-ok/Dockerfile
printf '# base must be signed\nFROM %s/t/unsigned:1\nRUN true\n' "$R" >ctx-bad/Dockerfile
"$BLD" images >/dev/null 2>&1
before=$(store_state)
out=$(DOCKER_CONTENT_TRUST=1 "$BLD" build -q --network none --signature-policy pol.json ctx-bad 2>&1); rc=$?
t_eq "build: unsigned FROM refused with trust on" 1 "$rc"
t_eq "build: the refusal is one line" 1 "$(wc -l <<<"$out")"
t_match "build: it names Dockerfile:LINE and why" \
  "^bld: Dockerfile:2: content trust for $R/t/unsigned:1: not signed" "$out"
t_eq "build: nothing stored" "$before" "$(store_state)"
out=$(DOCKER_CONTENT_TRUST=1 "$BLD" build -q --network none --signature-policy pol.json ctx-ok 2>&1); rc=$?
t_eq "build: signed FROM accepted with trust on" 0 "$rc"
t_match "build: and tagged in the store" "$R/t/signed:1" "$("$BLD" images --format '{{.Repository}}:{{.Tag}}' 2>&1)"
rm -rf "$BLD_ROOT"
out=$("$BLD" build -q --network none --disable-content-trust=false --signature-policy pol.json ctx-bad 2>&1); rc=$?
t_eq "build: --disable-content-trust=false turns trust on" 1 "$rc"
t_match "build: ... and refuses the unsigned base" "not signed" "$out"
t_ok "build: --disable-content-trust wins over DOCKER_CONTENT_TRUST=1" \
  env DOCKER_CONTENT_TRUST=1 "$BLD" build -q --network none --disable-content-trust ctx-bad
t_ok "build: trust off by default" "$BLD" build -q --network none ctx-bad

# --- the implicit pull of create and run -------------------------------------------------
rm -rf "$BLD_ROOT"
"$BLD" images >/dev/null 2>&1
before=$(store_state)
out=$(DOCKER_CONTENT_TRUST=1 "$BLD" create --signature-policy pol.json "$R/t/unsigned:1" true 2>&1); rc=$?
t_eq "create: unsigned image refused with trust on" 1 "$rc"
t_match "create: says why on one line" "^bld: content trust for $R/t/unsigned:1: not signed" \
  "$(tail -1 <<<"$out")"
t_eq "create: nothing stored" "$before" "$(store_state)"
out=$(DOCKER_CONTENT_TRUST=1 "$BLD" run --rm --network none --signature-policy pol.json \
  "$R/t/unsigned:1" true 2>&1); rc=$?
t_eq "run: unsigned image refused with trust on" 125 "$rc"
t_eq "run: nothing stored" "$before" "$(store_state)"
cid=$(DOCKER_CONTENT_TRUST=1 "$BLD" create --signature-policy pol.json "$R/t/signed:1" true 2>/dev/null)
t_match "create: signed image accepted with trust on" '^[0-9a-f]{64}$' "$cid"
[ -n "$cid" ] && "$BLD" rm -f "$cid" >/dev/null 2>&1
rm -rf "$BLD_ROOT"
t_ok "create: --disable-content-trust pulls the unsigned image" \
  env DOCKER_CONTENT_TRUST=1 "$BLD" create --disable-content-trust --name c1 "$R/t/unsigned:1" true
"$BLD" rm -f c1 >/dev/null 2>&1

# --- bld pull's flag as docker has it ----------------------------------------------------
rm -rf "$BLD_ROOT"
t_exit "pull: --disable-content-trust=false turns trust on" 1 \
  "$BLD" pull -q --disable-content-trust=false --signature-policy pol.json "$R/t/unsigned:1"
t_ok "pull: --disable-content-trust=false accepts the signed image" \
  "$BLD" pull -q --disable-content-trust=false --signature-policy pol.json "$R/t/signed:1"

# --- push signs when trust is on ---------------------------------------------------------
"$BLD" tag "$R/t/signed:1" "$R/t/pushed:1"
out=$(DOCKER_CONTENT_TRUST=1 "$BLD" push "$R/t/pushed:1" 2>&1); rc=$?
t_eq "push: trust on without a key is refused" 1 "$rc"
t_match "push: says how to give a key" "no signing key: use --sign-by KEY, set BLD_TRUST_KEY" "$out"
t_eq "push: nothing was pushed" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$REG_URL/v2/t/pushed/manifests/1")"
out=$(DOCKER_CONTENT_TRUST=1 BLD_TRUST_KEY=bldkey.key BLD_TRUST_PASSPHRASE=s3cret \
  "$BLD" push "$R/t/pushed:1" 2>&1); rc=$?
t_eq "push: trust on with BLD_TRUST_KEY pushes" 0 "$rc"
t_match "push: and signs" "Signed $D with key" "$out"
t_ok "push: the independent verifier accepts the signature" \
  $PY "$COSIGN_PY" verify bldkey.pub "$R" t/pushed "$D"
"$BLD" tag "$R/t/signed:1" "$R/t/plain:1"
t_ok "push: --disable-content-trust pushes unsigned" \
  env DOCKER_CONTENT_TRUST=1 "$BLD" push -q --disable-content-trust "$R/t/plain:1"
t_exit "push: ... and nothing signed it" 1 $PY "$COSIGN_PY" verify bldkey.pub "$R" t/plain "$D"
