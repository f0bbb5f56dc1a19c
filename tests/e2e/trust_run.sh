#!/usr/bin/env bash
# tests/e2e/trust_run.sh — `bld run` and `bld create` with content trust on verify the image
# under the trust policy also when the store holds it already (pulled earlier without
# trust): an unsigned image and one signed by a key the policy does not name are refused with
# one line and docker's 125 (create: 1), a signed one runs; --pull=never still verifies.
# Signatures come from the independent Python signer (tests/trust/cosign_py.py).
. "$(dirname "$0")/lib.sh"
t_trust_env
t_busybox_registry
R=$REG_ADDR
for n in signed unsigned other; do
  skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
    "docker://$R/library/busybox:latest" "docker://$R/t/$n:1" >/dev/null 2>&1
done
D=$($PY "$COSIGN_PY" digest "$R" library/busybox latest)
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" genkey pykey >/dev/null
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" genkey otherkey >/dev/null
printf '{"default":[{"type":"reject"}],"transports":{"docker":{"%s/t":[{"type":"sigstoreSigned","keyPath":"%s","signedIdentity":{"type":"matchRepository"}}]}}}\n' \
  "$R" "$T_DIR/pykey.pub" >pol.json
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" sign pykey.key "$R" t/signed "$D"
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" sign otherkey.key "$R" t/other "$D"
for n in signed unsigned other; do
  "$BLD" pull -q "$R/t/$n:1" >/dev/null 2>&1 || t_fail "pull $n without trust"
done

# tr VERB NAME [ARGS...] — VERB with trust on; output in $out, status in $rc
tr() {
  local verb=$1 name=$2; shift 2
  out=$(DOCKER_CONTENT_TRUST=1 "$BLD" "$verb" --signature-policy pol.json "$@" "$R/t/$name:1" true 2>&1)
  rc=$?
}
tr run unsigned --rm --network none
t_eq "run: an unsigned image in the store is refused" 125 "$rc"
t_eq "... in one line" 1 "$(wc -l <<<"$out")"
t_match "... saying why" "^bld: content trust for $R/t/unsigned:1: not signed" "$out"
tr create other
t_eq "create: an image signed by a key the policy does not name is refused" 1 "$rc"
t_eq "... in one line" 1 "$(wc -l <<<"$out")"
t_match "... saying why" "^bld: content trust for $R/t/other:1: bad signature" "$out"
tr run other --rm --network none --pull=never
t_eq "run --pull=never: the stored image is verified too" 125 "$rc"
tr run signed --rm --network none
t_eq "run: the signed image in the store runs" 0 "$rc"
tr create signed --name c1
t_match "create: the signed image is accepted" '^[0-9a-f]{64}$' "$out"
"$BLD" rm -f c1 >/dev/null 2>&1
t_ok "run: trust off runs the unsigned image" "$BLD" run --rm --network none "$R/t/unsigned:1" true
id=$("$BLD" inspect --format '{{.Id}}' "$R/t/signed:1" 2>/dev/null)
out=$(DOCKER_CONTENT_TRUST=1 "$BLD" run --rm --network none --signature-policy pol.json "${id#sha256:}" true 2>&1); rc=$?
t_eq "run by image ID with trust on: nothing to verify, refused" 125 "$rc"
t_eq "... in one line" 1 "$(wc -l <<<"$out")"
