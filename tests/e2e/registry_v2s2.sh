#!/usr/bin/env bash
# tests/e2e/registry_v2s2.sh — digests survive pull → tag → push → pull for the seeded OCI
# and Docker v2 schema 2 images (bld stores v2s2 as OCI for skopeo, keeps the original and
# pushes that), skopeo still reads the stored v2s2 image through oci:, GC keeps the
# original manifest while a name needs it, and bld save of such an image still loads.
. "$(dirname "$0")/lib.sh"
ENV="$TOP/tests/env"
export DOCKER_CONFIG=$T_DIR/docker-config BLD_CONFIG=$T_DIR/bld-config.json
unset BLD_CERTS_DIR

"$ENV/registry.sh" start "$T_DIR/reg" >/dev/null || { t_fail "start registry"; exit 1; }
at_exit "'$ENV/registry.sh' stop '$T_DIR/reg'"
"$ENV/seed.sh" --env "$T_DIR/reg/env" --only latest,latest-v2s2,index-v2s2 >/dev/null ||
  { t_fail "seed"; exit 1; }
R=$(. "$T_DIR/reg/env"; echo "$REG_ADDR")

# digest of the raw manifest bytes the registry serves (hashed straight from the pipe)
raw_digest() { skopeo inspect --raw --tls-verify=false "docker://$1" | sha256sum | sed 's/ .*//; s/^/sha256:/'; }
blob() { echo "$BLD_ROOT/oci/blobs/sha256/${1#sha256:}"; }

for t in latest latest-v2s2; do
  want=$(raw_digest "$R/library/busybox:$t")
  out=$("$BLD" pull "$R/library/busybox:$t" 2>&1)
  t_match ":$t pull prints the registry digest" "^Digest: $want" "$out"
  t_ok ":$t skopeo reads the pulled image through oci:" skopeo inspect "oci:$BLD_ROOT/oci:$R/library/busybox:$t"
  "$BLD" tag "$R/library/busybox:$t" "$R/rt/bb:$t"
  out=$("$BLD" push "$R/rt/bb:$t" 2>&1)
  t_match ":$t push prints the pulled digest" "^$t: digest: $want size: [0-9]+" "$out"
  t_eq ":$t pushed manifest has the pulled digest" "$want" "$(raw_digest "$R/rt/bb:$t")"
  t_eq ":$t pushed manifest keeps its media type" \
    "$(skopeo inspect --raw --tls-verify=false "docker://$R/library/busybox:$t" | jq -r .mediaType)" \
    "$(skopeo inspect --raw --tls-verify=false "docker://$R/rt/bb:$t" | jq -r .mediaType)"
  out=$(BLD_ROOT=$T_DIR/root2 "$BLD" pull "$R/rt/bb:$t" 2>&1)
  t_match ":$t pull of what bld pushed prints the same digest" "^Digest: $want" "$out"
  t_ok ":$t skopeo reads the second pull through oci:" skopeo inspect "oci:$T_DIR/root2/oci:$R/rt/bb:$t"
  BLD_ROOT=$T_DIR/root2 "$BLD" tag "$R/rt/bb:$t" "$R/rt2/bb:$t"
  BLD_ROOT=$T_DIR/root2 "$BLD" push -q "$R/rt2/bb:$t" >/dev/null 2>&1
  t_eq ":$t a second round trip keeps the digest" "$want" "$(raw_digest "$R/rt2/bb:$t")"
done

# a v2s2 manifest list: the platform's manifest goes back with its own digest
plat=$(skopeo inspect --raw --tls-verify=false "docker://$R/library/busybox:index-v2s2" |
  jq -r '.manifests[] | select(.platform.architecture == "amd64") | .digest')
"$BLD" pull -q "$R/library/busybox:index-v2s2" >/dev/null
t_ok "index-v2s2: skopeo reads the pulled image through oci:" skopeo inspect "oci:$BLD_ROOT/oci:$R/library/busybox:index-v2s2"
"$BLD" tag "$R/library/busybox:index-v2s2" "$R/rt/list:x"
"$BLD" push -q "$R/rt/list:x" >/dev/null 2>&1
t_eq "index-v2s2: the pushed platform manifest has the registry's digest" "$plat" "$(raw_digest "$R/rt/list:x")"

# pulled by digest: the name (RepoDigests) is the registry's digest
v2=$(raw_digest "$R/library/busybox:latest-v2s2")
"$BLD" pull -q "$R/library/busybox@$v2" >/dev/null
t_match "RepoDigests show the registry digest" "busybox@$v2" \
  "$("$BLD" inspect "$R/library/busybox@$v2" | jq -r '.[0].RepoDigests[]')"

# bld save is unaffected
t_ok "bld save of a v2s2 image" "$BLD" save -o "$T_DIR/v2s2.tar" "$R/library/busybox:latest-v2s2"
t_ok "skopeo reads the saved archive" skopeo inspect "docker-archive:$T_DIR/v2s2.tar"

# GC keeps the original manifest while a name records it, and frees it after
"$BLD" image prune -f >/dev/null 2>&1
t_ok "prune keeps the original v2s2 manifest" test -f "$(blob "$v2")"
t_eq "system check is clean" 0 "$("$BLD" system check >/dev/null 2>&1; echo $?)"
for n in library/busybox:latest-v2s2 rt/bb:latest-v2s2 library/busybox@$v2 library/busybox:index-v2s2 rt/list:x; do
  "$BLD" rmi "$R/$n" >/dev/null 2>&1
done
"$BLD" image prune -f >/dev/null 2>&1
t_ok "without names the original manifest goes" test ! -e "$(blob "$v2")"
t_ok "the OCI image is still there" skopeo inspect "oci:$BLD_ROOT/oci:$R/library/busybox:latest"
t_finish
