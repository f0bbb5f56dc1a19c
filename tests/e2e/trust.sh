#!/usr/bin/env bash
# tests/e2e/trust.sh — content trust end to end: bld's keys against an independent
# cosign-format implementation in Python (tests/trust/cosign_py.py, Debian's
# python3-cryptography and python3-nacl), key files on disk, passphrases.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
COSIGN_PY="$TOP/tests/trust/cosign_py.py"
cd "$T_DIR"
export HOME=$T_DIR/home
mkdir -p "$HOME"
unset BLD_TRUST_PASSPHRASE COSIGN_PASSWORD BLD_CONTENT_TRUST DOCKER_CONTENT_TRUST

# --- keys -------------------------------------------------------------------------------
out=$(BLD_TRUST_PASSPHRASE=s3cret "$BLD" trust key generate bldkey 2>&1)
t_match "key generate reports both files" 'Private key written to bldkey.key' "$out"
fp_bld=$(sed -n 's/^Fingerprint: //p' <<<"$out")
t_eq "private key is 0600" "600" "$(stat -c %a bldkey.key 2>/dev/null)"
t_eq "public key is 0644" "644" "$(stat -c %a bldkey.pub 2>/dev/null)"
t_eq "private key is cosign's encrypted PEM" "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----" \
  "$(head -1 bldkey.key)"
env_json=$(sed '1d;$d' bldkey.key | base64 -d 2>/dev/null)
t_match "envelope is scrypt + secretbox" '"kdf":\{"name":"scrypt".*"cipher":\{"name":"nacl/secretbox"' "$env_json"
t_ok "no plaintext key material in the file" bash -c "! grep -q 'BEGIN PRIVATE KEY\|BEGIN EC PRIVATE KEY' bldkey.key"
t_eq "bld's key loads in the independent implementation" "$fp_bld" \
  "$(COSIGN_PASSWORD=s3cret $PY "$COSIGN_PY" loadkey bldkey.key 2>&1)"
t_eq "fingerprints agree on the public key" "$fp_bld" "$($PY "$COSIGN_PY" fingerprint bldkey.pub 2>&1)"
t_exit "independent loader refuses a wrong passphrase" 1 \
  env COSIGN_PASSWORD=wrong $PY "$COSIGN_PY" loadkey bldkey.key
t_exit "key generate refuses to overwrite" 1 env BLD_TRUST_PASSPHRASE=x "$BLD" trust key generate bldkey
out=$(setsid -w "$BLD" trust key generate nopass </dev/null 2>&1)
t_match "no passphrase and no terminal is a clear error" 'no passphrase: set BLD_TRUST_PASSPHRASE' "$out"
t_ok "no key files left after that" test ! -e nopass.key -a ! -e nopass.pub

# --- against a registry ------------------------------------------------------------------
REGSH="$TOP/tests/env/registry.sh"
if [ ! -x "$REGSH" ] || ! command -v skopeo >/dev/null; then
  t_fail "registry tests need tests/env/registry.sh and skopeo"
  exit 1
fi
"$REGSH" start "$T_DIR/reg" >/dev/null 2>&1 || { t_fail "start test registry"; exit 1; }
at_exit "'$REGSH' stop '$T_DIR/reg' >/dev/null 2>&1"
. "$T_DIR/reg/env"
"$TOP/tests/env/seed.sh" --env "$T_DIR/reg/env" --only latest,latest-v2s2 >/dev/null 2>&1 \
  || { t_fail "seed the test registry"; exit 1; }
R=$REG_ADDR
# copy REPO: the seeded busybox under $R/t/REPO:1 (same digest, its own .sig tag)
copy() {
  skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
    "docker://$R/library/busybox:latest" "docker://$R/t/$1:1" >/dev/null 2>&1
}
digest_of() { $PY "$COSIGN_PY" digest "$R" "$1" "${2:-1}"; }
# policy FILE KEY... : sigstoreSigned for $R/t with these public keys, matchRepository
policy() {
  local f=$1; shift
  local keys
  keys=$(printf '"%s",' "$@")
  printf '{"default":[{"type":"reject"}],"transports":{"docker":{"%s/t":[{"type":"sigstoreSigned","keyPaths":[%s],"signedIdentity":{"type":"matchRepository"}}]}}}\n' \
    "$R" "${keys%,}" >"$f"
}
store_state() { find "$BLD_ROOT" -type f -not -name '*.lock' 2>/dev/null | sort | xargs -r sha256sum; }
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" genkey pykey >/dev/null
BLD_TRUST_PASSPHRASE=other "$BLD" trust key generate otherkey >/dev/null 2>&1
policy pol-bld.json "$T_DIR/bldkey.pub"
policy pol-py.json "$T_DIR/pykey.pub"
policy pol-other.json "$T_DIR/otherkey.pub"
policy pol-both.json "$T_DIR/bldkey.pub" "$T_DIR/pykey.pub"
D=$(digest_of library/busybox latest)
D2=$(digest_of library/busybox latest-v2s2)

# bld signs on push; the independent verifier accepts it with bld's key only
copy pushed
t_ok "pull an image to push" "$BLD" pull -q "$R/t/pushed:1"
out=$(BLD_TRUST_PASSPHRASE=s3cret "$BLD" push --sign-by bldkey.key "$R/t/pushed:1" 2>&1)
t_match "push --sign-by signs the pushed digest" "Signed $D with key $fp_bld" "$out"
t_ok "independent verifier accepts bld's signature with bld's key" \
  $PY "$COSIGN_PY" verify bldkey.pub "$R" t/pushed "$D"
t_exit "independent verifier rejects it with another key" 1 \
  $PY "$COSIGN_PY" verify pykey.pub "$R" t/pushed "$D"
t_exit "push --sign-by with a wrong passphrase fails" 1 \
  env BLD_TRUST_PASSPHRASE=nope "$BLD" push --sign-by bldkey.key "$R/t/pushed:1"
out=$(BLD_TRUST_PASSPHRASE=nope "$BLD" trust sign --key bldkey.key "$R/t/pushed:1" 2>&1)
t_match "a wrong passphrase is a clear error" '^bld: .*wrong passphrase' "$out"

# signed by the independent signer with its own key: bld pull with trust on accepts
copy py
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" sign pykey.key "$R" t/py "$D"
rm -rf "$BLD_ROOT"
out=$("$BLD" pull --verify --signature-policy pol-py.json "$R/t/py:1" 2>&1)
t_match "pull --verify accepts the independent signature" "^$R/t/py:1\$" "$(tail -1 <<<"$out")"
t_ok "the tag is in the store" grep -q "\"$R/t/py:1\"" "$BLD_ROOT/oci/index.json"
rm -rf "$BLD_ROOT"
t_ok "BLD_CONTENT_TRUST=1 does the same" env BLD_CONTENT_TRUST=1 "$BLD" pull -q --signature-policy pol-py.json "$R/t/py:1"
rm -rf "$BLD_ROOT"
t_exit "DOCKER_CONTENT_TRUST=1 refuses it under a policy with another key" 1 \
  env DOCKER_CONTENT_TRUST=1 "$BLD" pull -q --signature-policy pol-other.json "$R/t/py:1"

# refusals leave the store as it was
"$BLD" pull -q "$R/library/busybox:latest-v2s2" >/dev/null 2>&1
before=$(store_state)
refused() { # NAME REPO POLICY REGEX
  local out rc
  out=$("$BLD" pull --verify --signature-policy "$3" "$R/t/$2:1" 2>&1); rc=$?
  t_eq "$1: refused" 1 "$rc"
  t_match "$1: says why on one line" "$4" "$out"
  t_eq "$1: store unchanged" "$before" "$(store_state)"
}
copy unsigned
refused "unsigned image" unsigned pol-bld.json "^bld: content trust for .*: not signed: no signature for $D\$"
copy otherdigest
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" sign pykey.key "$R" t/otherdigest "$D" --claim-digest "$D2"
refused "signature for another digest" otherdigest pol-py.json "signature for another image: it signs a different manifest digest \(it signs $D2"
copy tampered
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" sign pykey.key "$R" t/tampered "$D" --tamper
refused "payload changed after signing" tampered pol-py.json "bad signature: it does not verify with the trusted keys"
copy badblob
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" sign pykey.key "$R" t/badblob "$D"
pd=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "$REG_URL/v2/t/badblob/manifests/${D/:/-}.sig" | $PY -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
blob="$REG_DATA/docker/registry/v2/blobs/sha256/${pd:7:2}/${pd:7}/data"
sed -i 's/cosign container image signature/cosign container image signaturE/' "$blob"
refused "payload that does not hash to its layer digest" badblob pol-py.json "tampered signature: the payload does not match its layer digest"
copy ident
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" sign pykey.key "$R" t/ident "$D" --identity "$R/t/impostor"
refused "identity the policy does not accept" ident pol-py.json "signed identity not accepted by the policy \(signed as $R/t/impostor"
printf '{"default":[{"type":"insecureAcceptAnything"}]}' >pol-any.json
refused "trust on with a policy that names no key" py pol-any.json "names no key"

# two signatures by two keys: both listed, and either key's policy accepts
copy two
t_ok "bld trust sign" env BLD_TRUST_PASSPHRASE=s3cret "$BLD" trust sign --key bldkey.key "$R/t/two:1"
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" sign pykey.key "$R" t/two "$D"
t_ok "a key the independent tool made signs in bld too" \
  env BLD_TRUST_PASSPHRASE=pypass "$BLD" trust sign --key pykey.key "$R/t/two:1"
js=$("$BLD" trust inspect --key bldkey.pub --key pykey.pub --format json "$R/t/two:1" 2>&1)
fp_py=$($PY "$COSIGN_PY" fingerprint pykey.pub)
t_eq "inspect lists three signatures" 3 "$(jq '.Signatures | length' <<<"$js")"
t_eq "all verify, by their keys" "$fp_bld true,$fp_py true,$fp_py true" \
  "$(jq -r '[.Signatures[] | "\(.Key) \(.Verified)"] | join(",")' <<<"$js")"
t_eq "all sign the image digest" "$D $D $D" "$(jq -r '[.Signatures[].SignedDigest] | join(" ")' <<<"$js")"
txt=$("$BLD" trust inspect --key otherkey.pub "$R/t/two:1" 2>&1)
t_match "text inspect lists them" 'Signatures .*: 3' "$txt"
t_eq "none verifies with another key" 3 "$(grep -c 'does not verify' <<<"$txt")"
for p in pol-bld.json pol-py.json pol-both.json; do
  rm -rf "$BLD_ROOT"
  t_ok "two signatures: $p accepts" "$BLD" pull -q --verify --signature-policy "$p" "$R/t/two:1"
done
t_ok "independent verifier accepts the bld signature among two" \
  $PY "$COSIGN_PY" verify bldkey.pub "$R" t/two "$D"

# a registry that cannot be asked is not an image without signatures: every GET /v2/ (the
# client's first request when the reference names its digest) reset by the proxy
python3 "$TOP/tests/env/flaky-proxy.py" --upstream "$R" --port-file "$T_DIR/proxy.port" \
  --log "$T_DIR/proxy.log" --match 'GET:^/v2/$' --plan xxxxxxxxxxxxxxxx --drop-after 0 \
  >/dev/null 2>&1 &
PROXY_PID=$!
at_exit "kill $PROXY_PID 2>/dev/null; wait $PROXY_PID 2>/dev/null"
for _ in $(seq 1 100); do [ -s "$T_DIR/proxy.port" ] && break; sleep 0.05; done
P=127.0.0.1:$(cat "$T_DIR/proxy.port")
out=$("$BLD" trust inspect --key bldkey.pub "$P/t/two@$D" 2>&1); rc=$?
t_eq "inspect through a failing ping fails" 1 "$rc"
t_match "and says the registry could not be reached" "^bld: .*$P" "$out"
t_ok "it lists no signatures" bash -c "! grep -q 'Signatures' <<<'$out'"

# a signature cosign v3.0.4 made (tests/fixtures/trust/cosign-v3), served by the registry
CV3="$TOP/tests/fixtures/trust/cosign-v3"
SUBJ=sha256:f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268
t_ok "store cosign's signature manifest byte for byte" \
  $PY "$COSIGN_PY" put-sig "$R" tobby/fixture "$SUBJ" "$CV3/sig-manifest.json" "$CV3/payload.json"
t_ok "the independent verifier accepts cosign's signature" \
  $PY "$COSIGN_PY" verify "$CV3/cosign.pub" "$R" tobby/fixture "$SUBJ" --identity localhost:15381/tobby/fixture
js=$("$BLD" trust inspect --format json --key "$CV3/cosign.pub" "$R/tobby/fixture@$SUBJ" 2>&1)
t_eq "bld verifies cosign's signature" \
  "true sha256:dc2bcfdb0402cd0845f59232655c3ab2a53d55849d4665579efe45c6cc753478" \
  "$(jq -r '.Signatures[0] | "\(.Verified) \(.Key)"' <<<"$js")"

# revoke deletes the signature manifest
t_ok "trust revoke" "$BLD" trust revoke "$R/t/two:1"
rm -rf "$BLD_ROOT"
t_exit "after revoke the image is unsigned" 1 \
  "$BLD" pull -q --verify --signature-policy pol-both.json "$R/t/two:1"
t_exit "revoke again: nothing to delete" 1 "$BLD" trust revoke "$R/t/two:1"
