#!/usr/bin/env bash
# tests/e2e/attest.sh — signed provenance and SBOM: `bld build --provenance=mode=max --sbom`
# of a git-URL context stores an SLSA v1 statement and an SPDX 2.3 document beside the image,
# which the independent verifier (tests/attest/verify.py, no code shared with bld) checks
# against what it finds itself: the image's manifest digest in the store's OCI layout, the
# base image's digest in the test registry, the git commit, an ADD URL's sha256, a copied
# file's sha256, and the packages dpkg-query lists inside the seeded debian image.
. "$(dirname "$0")/lib.sh"
t_trust_env
VERIFY="$TOP/tests/attest/verify.py"
SEED=${BLD_SEED_DIR:-/var/tmp/bld-seed}
DEBIAN=
[ -f "$SEED/debian.stamp" ] && [ -d "$SEED/oci-debian" ] && DEBIAN=--debian
"$TOP/tests/env/registry.sh" start "$T_DIR/reg" >/dev/null || { t_fail "start registry"; exit 1; }
at_exit "'$TOP/tests/env/registry.sh' stop '$T_DIR/reg'"
. "$T_DIR/reg/env"
"$TOP/tests/env/seed.sh" --env "$T_DIR/reg/env" --only latest $DEBIAN >/dev/null || { t_fail "seed"; exit 1; }
R=$REG_ADDR
# manifest digest of a name in the store's OCI layout (index.json), read without bld
stored() { jq -r --arg n "$1" '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]==$n).digest' "$BLD_ROOT/oci/index.json"; }
att() { echo "$BLD_ROOT/attest/${1#sha256:}/$2.json"; }

# a file served over HTTP on 127.0.0.1 for ADD
mkdir -p www && echo "remote data" >www/remote.txt
$PY -c 'import http.server,functools,sys
h=functools.partial(http.server.SimpleHTTPRequestHandler,directory=sys.argv[1])
s=http.server.HTTPServer(("127.0.0.1",0),h); open(sys.argv[2],"w").write(str(s.server_port)); s.serve_forever()' \
  www port 2>/dev/null &
HTTP_PID=$!
at_exit "kill $HTTP_PID"
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat port)/remote.txt"

# the base: debian (dpkg-query inside it); without the debian seed (tests/run-e2e.sh builds it
# from the apt mirror) the rest still runs on busybox with a copied dpkg status file
[ -n "$DEBIAN" ] || t_fail "the debian test image is there (tests/env/seed.sh --build-only --debian)"
if [ -n "$DEBIAN" ]; then
  BASE=$R/library/debian:bookworm STATUS_COPY=
  "$BLD" run --rm --network none "$BASE" dpkg-query -W -f '${Package}\t${Version}\n' >pkgs.txt 2>/dev/null \
    || t_fail "dpkg-query in the debian image"
else
  BASE=$R/library/busybox:latest STATUS_COPY="COPY status /var/lib/dpkg/status"
  dpkg-query -W -f '${db:Status-Status}\t${Package}\t${Version}\n' | awk -F'\t' '$1=="installed"{print $2"\t"$3}' >pkgs.txt
fi
BASE_DIGEST=$($PY "$COSIGN_PY" digest "$R" "$(sed 's|^[^/]*/||; s|:[^:]*$||' <<<"$BASE")" "${BASE##*:}")

repo=$T_DIR/repo
mkdir -p "$repo" && echo hello >"$repo/hello.txt"
[ -z "$DEBIAN" ] && cp /var/lib/dpkg/status "$repo/status"
printf 'FROM %s\nCOPY hello.txt /app/hello.txt\n%s\nADD %s /app/remote.txt\nRUN echo built >/built\n' \
  "$BASE" "$STATUS_COPY" "$URL" >"$repo/Dockerfile"
git -C "$repo" init -q -b main && git -C "$repo" add -A &&
  git -C "$repo" -c user.name=t -c user.email=t@t commit -qm init || t_fail "make git repo"
COMMIT=$(git -C "$repo" rev-parse HEAD)
IMG=$R/t/app:1
out=$(SOURCE_DATE_EPOCH=1700000000 "$BLD" build -q --network none --provenance=mode=max --sbom \
  --build-arg FLAVOR=test -t "$IMG" "file://$repo#main" 2>&1)
t_eq "build --provenance=mode=max --sbom of a git URL" 0 "$?"
D=$(stored "$IMG")
t_match "the image is in the store's layout" '^sha256:' "$D"
t_ok "provenance: subject, base digest from the registry, git commit, ADD URL sha256, steps" \
  $PY "$VERIFY" provenance "$(att "$D" provenance)" --subject "$D" --dep "$BASE_DIGEST" \
  --commit "$COMMIT" --url-dep "$URL=$(sha256sum www/remote.txt | cut -d' ' -f1)" --max
t_ok "sbom: dpkg packages as dpkg-query lists them, copied files with their sha256 and SHA1" \
  $PY "$VERIFY" sbom "$(att "$D" sbom)" --subject "$D" --packages pkgs.txt \
  --file "/app/hello.txt=$(sha256sum "$repo/hello.txt" | cut -d' ' -f1),$(sha1sum "$repo/hello.txt" | cut -d' ' -f1)"
t_match "the build arg is recorded" '"build-arg:FLAVOR":"test"' "$(cat "$(att "$D" provenance)")"
t_match "the times come from SOURCE_DATE_EPOCH" '"startedOn":"2023-11-14T22:13:20Z"' \
  "$(cat "$(att "$D" provenance)")"
t_exit "the verifier refuses a statement for another digest" 1 \
  $PY "$VERIFY" provenance "$(att "$D" provenance)" --subject "$BASE_DIGEST"
t_exit "... and a dependency the build did not use" 1 \
  $PY "$VERIFY" provenance "$(att "$D" provenance)" --subject "$D" --dep "sha256:$(printf x | sha256sum | cut -d' ' -f1)"
t_exit "... and a package list the image does not have" 1 \
  $PY "$VERIFY" sbom "$(att "$D" sbom)" --subject "$D" --packages <(head -3 pkgs.txt)

# a local directory context: min mode has no steps; the context has a digest
mkdir -p dctx && printf 'FROM %s\nCOPY f /f\n' "$R/library/busybox:latest" >dctx/Dockerfile && echo 1 >dctx/f
"$BLD" build -q --network none --provenance -t "$R/t/dir:1" dctx >/dev/null 2>&1
D2=$(stored "$R/t/dir:1")
t_ok "directory context, --provenance alone: a statement without steps" \
  $PY "$VERIFY" provenance "$(att "$D2" provenance)" --subject "$D2"
t_exit "... and --max finds none" 1 $PY "$VERIFY" provenance "$(att "$D2" provenance)" --subject "$D2" --max
t_exit "a bad provenance mode is refused" 1 "$BLD" build -q --provenance=mode=all dctx

# the statement is reproducible: a rebuild from another checkout of the same files, same epoch
cp -r dctx dctx-copy
(cd dctx && SOURCE_DATE_EPOCH=1 "$BLD" build -q --network none --provenance -t "$R/t/rep:1" . >/dev/null 2>&1)
D3=$(stored "$R/t/rep:1")
cp "$(att "$D3" provenance)" rep1.json 2>/dev/null
(cd dctx-copy && SOURCE_DATE_EPOCH=1 "$BLD" build -q --network none --no-cache --provenance -t "$R/t/rep:1" . >/dev/null 2>&1)
t_ok "SOURCE_DATE_EPOCH: the same statement from a rebuild elsewhere" cmp rep1.json "$(att "$D3" provenance)"
# a git URL as a named context is a resolved dependency with its commit
printf 'FROM %s
COPY --from=src hello.txt /h
' "$R/library/busybox:latest" >dctx/Dockerfile.named
"$BLD" build -q --network none --provenance -f dctx/Dockerfile.named --build-context "src=file://$repo#main" \
  -t "$R/t/named:1" dctx >/dev/null 2>&1
D4=$(stored "$R/t/named:1")
t_ok "--build-context with a git URL: recorded with its commit" \
  $PY "$VERIFY" provenance "$(att "$D4" provenance)" --subject "$D4" --dep "sha1:$COMMIT"

# --- push attaches them as cosign attestations; verify-attestation and the verifier agree ----
COSIGN_PASSWORD=pypass $PY "$COSIGN_PY" genkey key >/dev/null
COSIGN_PASSWORD=other $PY "$COSIGN_PY" genkey other >/dev/null
export COSIGN_PASSWORD=pypass
out=$("$BLD" push --sign-by key.key "$IMG" 2>&1)
t_eq "push --sign-by of an image with provenance and SBOM" 0 "$?"
t_match "... attaches the provenance" "Attached provenance attestation to $D" "$out"
t_match "... and the SBOM" "Attached sbom attestation to $D" "$out"
PD=$($PY "$COSIGN_PY" digest "$R" t/app 1)
t_eq "the pushed manifest is the one the statements are about" "$D" "$PD"
t_ok "verifier: the provenance envelope verifies with the public key, subject = pushed digest" \
  $PY "$VERIFY" fetch key.pub "$R" t/app "$PD" --type slsaprovenance --out prov.json
t_ok "verifier: the pushed provenance names the base digest and the git commit" \
  $PY "$VERIFY" provenance prov.json --subject "$PD" --dep "$BASE_DIGEST" --commit "$COMMIT" --max
t_ok "verifier: the pushed SBOM verifies and lists dpkg-query's packages" \
  sh -c "$PY '$VERIFY' fetch key.pub '$R' t/app '$PD' --type spdxjson --out sbom.json &&
         $PY '$VERIFY' sbom sbom.json --subject '$PD' --packages pkgs.txt"
t_ok "verifier: an OCI 1.1 referrer with the image as subject holds the provenance" \
  $PY "$VERIFY" referrer "$R" t/app "$PD" --type slsaprovenance
t_ok "... and the SBOM" $PY "$VERIFY" referrer "$R" t/app "$PD" --type spdxjson
mt=$(curl -s -H 'Accept: application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json' \
  "$REG_URL/v2/t/app/manifests/1" | jq -r .mediaType)
t_eq "the image stays a plain manifest: no index with unknown/unknown entries" \
  application/vnd.oci.image.manifest.v1+json "$mt"
out=$("$BLD" trust verify-attestation --key key.pub --type slsaprovenance "$IMG" 2>&1)
t_eq "bld trust verify-attestation accepts it" 0 "$?"
t_match "... and prints the predicate" '"buildType":' "$out"
out=$("$BLD" trust verify-attestation --key key.pub --type spdxjson "$IMG" 2>&1)
t_match "... the SBOM's predicate too" '"spdxVersion": "SPDX-2.3"' "$out"
out=$("$BLD" trust verify-attestation --key other.pub "$IMG" 2>&1); rc=$?
t_eq "another key: bld refuses" 1 "$rc"
t_match "... in one line saying why" "^bld: verify attestation of $IMG: bad signature" "$out"
t_exit "another key: the verifier refuses" 1 \
  $PY "$VERIFY" fetch other.pub "$R" t/app "$PD" --type slsaprovenance --out x.json

# tampered envelopes, a statement for another digest, another key's signature
# refuse WHAT HOW [ARGS] — tampers with the .att, expects both to refuse, then pushes again
refuse() {
  local what=$1 want=$2; shift 2
  $PY "$VERIFY" tamper "$@" "$R" t/app "$PD" || t_fail "tamper $what"
  out=$("$BLD" trust verify-attestation --key key.pub --type slsaprovenance "$IMG" 2>&1); rc=$?
  t_eq "$what: bld refuses" 1 "$rc"
  t_match "... saying why" "^bld: verify attestation of $IMG: $want" "$out"
  t_exit "$what: the verifier refuses" 1 \
    $PY "$VERIFY" fetch key.pub "$R" t/app "$PD" --type slsaprovenance --out x.json
  COSIGN_PASSWORD=pypass "$BLD" push -q --sign-by key.key "$IMG" >/dev/null 2>&1 || t_fail "push again"
}
refuse "a payload changed after signing" "bad signature" key.key --how payload
refuse "a statement for another digest" "statement for another image" key.key --how subject \
  --other "$BASE_DIGEST"
COSIGN_PASSWORD=other refuse "re-signed with another key" "bad signature" other.key --how resign
t_ok "pushed again, it verifies" "$BLD" trust verify-attestation --key key.pub "$IMG"

# --- a trust policy that requires a signed provenance from a named builder -----------------
pol() { # BUILDER — the policy for $R/t: signed by key, with a provenance from BUILDER
  printf '{"default":[{"type":"reject"}],"transports":{"docker":{"%s/t":[{"type":"sigstoreSigned","keyPath":"%s","signedIdentity":{"type":"matchRepository"}},{"type":"signedProvenance","keyPath":"%s","builderId":"%s"}]}}}\n' \
    "$R" "$T_DIR/key.pub" "$T_DIR/key.pub" "$1"
}
pol urn:bld:builder >pol-ok.json
pol https://ci.example/runs/1 >pol-ci.json
t_ok "pull with trust: the provenance's builder is the one the policy names" \
  "$BLD" pull -q --verify --signature-policy pol-ok.json "$IMG"
out=$("$BLD" pull -q --verify --signature-policy pol-ci.json "$IMG" 2>&1); rc=$?
t_eq "pull with trust: a provenance from another builder is refused" 1 "$rc"
t_match "... saying which builder" "provenance from builder urn:bld:builder, the trust policy wants https://ci.example/runs/1" "$out"
out=$(DOCKER_CONTENT_TRUST=1 "$BLD" run --rm --network none --signature-policy pol-ci.json "$IMG" true 2>&1); rc=$?
t_eq "run with trust: refused as well, the image being in the store" 125 "$rc"
t_eq "... in one line" 1 "$(wc -l <<<"$out")"
t_ok "run with trust: runs under the policy that names its builder" \
  env DOCKER_CONTENT_TRUST=1 "$BLD" run --rm --network none --signature-policy pol-ok.json "$IMG" true
"$BLD" tag "$R/library/busybox:latest" "$R/t/noprov:1" 2>/dev/null ||
  { "$BLD" pull -q "$R/library/busybox:latest" >/dev/null && "$BLD" tag "$R/library/busybox:latest" "$R/t/noprov:1"; }
COSIGN_PASSWORD=pypass "$BLD" push -q --sign-by key.key "$R/t/noprov:1" >/dev/null 2>&1 || t_fail "push noprov"
out=$("$BLD" pull -q --verify --signature-policy pol-ok.json "$R/t/noprov:1" 2>&1); rc=$?
t_eq "pull with trust: a signed image without provenance is refused" 1 "$rc"
t_match "... saying so" "signed provenance .*no https://slsa.dev/provenance/v1 attestation" "$out"

# the attestations go with the image
"$BLD" rmi -f "$IMG" "$R/t/app@$D" >/dev/null 2>&1
t_eq "an image removed: its attestations are gone from the store" "" \
  "$(ls "$BLD_ROOT/attest" 2>/dev/null | grep "${D#sha256:}")"
t_match "... those of an image still there are kept" . "$(ls "$BLD_ROOT/attest/${D2#sha256:}" 2>/dev/null)"
