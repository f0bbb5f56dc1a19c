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
t_exit "key generate refuses to overwrite" 125 env BLD_TRUST_PASSPHRASE=x "$BLD" trust key generate bldkey
out=$(setsid -w "$BLD" trust key generate nopass </dev/null 2>&1)
t_match "no passphrase and no terminal is a clear error" 'no passphrase: set BLD_TRUST_PASSPHRASE' "$out"
t_ok "no key files left after that" test ! -e nopass.key -a ! -e nopass.pub
