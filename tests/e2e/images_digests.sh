#!/usr/bin/env bash
# tests/e2e/images_digests.sh — what docker records and shows for images from a registry:
# RepoDigests / `images --digests` / {{.Digest}} for pulls by tag (the registry's digest of
# the tag: an index's own digest, a Docker v2s2 manifest's, not bld's OCI copy) and for
# pushes, in docker's rows (tag x digest of the repository with --digests), <none> for
# built or merely tagged images; and SIZE / inspect's Size as the
# uncompressed size (overlay2's directory.Size: files, symlinks, hardlinks once), also in
# system df's Images row (shared layers once), checked
# against an independent count of the layer tar in Python.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
"$TOP/tests/env/registry.sh" start "$T_DIR/reg" >/dev/null 2>&1 || { t_fail "start registry"; exit 1; }
at_exit "'$TOP/tests/env/registry.sh' stop '$T_DIR/reg' >/dev/null 2>&1"
. "$T_DIR/reg/env"
"$TOP/tests/env/seed.sh" --env "$T_DIR/reg/env" --only latest,latest-v2s2,index-oci >/dev/null 2>&1 \
  || { t_fail "seed"; exit 1; }
R=$REG_ADDR
B=$R/library/busybox
digest_of() { $PY "$TOP/tests/trust/cosign_py.py" digest "$R" library/busybox "$1"; }
D=$(digest_of latest)
DV2=$(digest_of latest-v2s2)
DIDX=$(digest_of index-oci)
digests() { "$BLD" images --digests --format '{{.Repository}}:{{.Tag}} {{.Digest}}' 2>&1 | sort; }
repo_digests() { "$BLD" inspect -f '{{json .RepoDigests}}' "$1" 2>&1; }

# --- pulls by tag record the registry's digest -------------------------------------------
t_ok "pull by tag" "$BLD" pull -q "$B:latest"
t_eq "images --digests shows the tag's digest" "$B:latest $D" "$(digests)"
t_eq "RepoDigests has repo@digest" "[\"$B@$D\"]" "$(repo_digests "$B:latest")"
t_match "the table has a DIGEST column with it" "^$B +latest +$D " \
  "$("$BLD" images --digests 2>&1 | sed -n 2p)"
t_ok "pull of an index by tag" "$BLD" pull -q "$B:index-oci"
t_ok "pull of a v2s2 manifest by tag" "$BLD" pull -q "$B:latest-v2s2"
want_rows=$(for t in index-oci latest latest-v2s2; do for d in "$D" "$DIDX" "$DV2"; do
  echo "$B:$t $d"; done; done | sort)
t_eq "as docker: a row per tag and digest of the repository (index, v2s2, OCI)" "$want_rows" "$(digests)"
t_eq "without --digests one row per tag, digest <none> (as docker)" \
  "$(printf '%s\n' "$B:index-oci <none>" "$B:latest <none>" "$B:latest-v2s2 <none>")" \
  "$("$BLD" images --format '{{.Repository}}:{{.Tag}} {{.Digest}}' 2>&1 | sort)"
t_match "RepoDigests of the image name all three" "\"$B@$DIDX\".*\"$B@$DV2\"|\"$B@$DV2\".*\"$B@$DIDX\"" \
  "$(repo_digests "$B:latest")"
t_eq "RepoTags name every tag of the image (the v2s2 pull is the same ID)" \
  "$B:index-oci $B:latest $B:latest-v2s2" \
  "$("$BLD" inspect -f '{{json .RepoTags}}' "$B:latest" | jq -r 'sort | join(" ")')"
t_ok "pull again (up to date)" "$BLD" pull -q "$B:latest"
t_eq "the digests stay" "$want_rows" "$(digests)"
out=$("$BLD" pull -q "$B@$D" 2>&1)
t_eq "a pull by a digest the repository has adds no row" "$want_rows" "$(digests)"

# --- tags and pushes ---------------------------------------------------------------------
t_ok "tag into another repository" "$BLD" tag "$B:latest" "$R/other/bb:1"
t_eq "a tag alone has no digest" "$R/other/bb:1 <none>" "$(digests | grep other/bb)"
out=$("$BLD" push "$R/other/bb:1" 2>&1)
pushed=$(sed -n 's/^1: digest: \(sha256:[0-9a-f]*\) .*/\1/p' <<<"$out")
t_match "push prints its digest" '^sha256:[0-9a-f]{64}$' "$pushed"
t_eq "after push the tag shows the pushed digest" "$R/other/bb:1 $pushed" "$(digests | grep other/bb)"
t_match "... and RepoDigests has it" "\"$R/other/bb@$pushed\"" "$(repo_digests "$R/other/bb:1")"
t_ok "a second tag in the pushed repository" "$BLD" tag "$R/other/bb:1" "$R/other/bb:2"
t_eq "shows the repository's digest too, as docker does" "$R/other/bb:2 $pushed" \
  "$(digests | grep other/bb:2)"

# --- built images ------------------------------------------------------------------------
mkdir -p "$T_DIR/ctx"
printf 'FROM %s\nRUN echo built > /built\n' "$B:latest" >"$T_DIR/ctx/Dockerfile"
t_ok "build" "$BLD" build -q --network none -t built:1 "$T_DIR/ctx"
t_eq "a built image has no digest" "built:1 <none>" "$(digests | grep built)"
t_eq "... and no RepoDigests" "[]" "$(repo_digests built:1)"

# --- sizes: uncompressed, as docker counts them ------------------------------------------
layer=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$REG_URL/v2/library/busybox/manifests/latest" \
  | jq -r '.layers[0].digest')
curl -s -o "$T_DIR/layer.tgz" "$REG_URL/v2/library/busybox/blobs/$layer"
want=$($PY - "$T_DIR/layer.tgz" <<'PY'
import sys, tarfile
total = 0
with tarfile.open(sys.argv[1], "r:*") as t:
    for m in t:
        if m.isreg():
            total += m.size            # a hardlink entry (islnk) adds nothing: counted once
        elif m.issym():
            total += len(m.linkname)   # lstat size of a symlink
print(total)
PY
)
compressed=$(stat -c %s "$T_DIR/layer.tgz")
t_match "the independent count is sane" '^[0-9]+$' "$want"
t_ok "uncompressed is larger than compressed here" test "$want" -gt "$compressed"
t_eq "inspect's Size is the uncompressed size" "$want" "$("$BLD" inspect -f '{{.Size}}' "$B:latest" 2>&1)"
human() {
  $PY -c "
n=$1
for u in ['B','kB','MB','GB']:
    if n < 1000 or u == 'GB': break
    n /= 1000.0
print('%.3g%s' % (n, u))"
}
t_eq "images SIZE is the same, docker's units" "$(human "$want")" \
  "$("$BLD" images --format '{{.Size}}' "$B:latest" 2>&1)"
sz=$("$BLD" inspect -f '{{.Size}}' built:1 2>&1)
t_eq "a built image adds its own layer's files" "$((want + 6))" "$sz"
t_eq "system df: every layer of every image once, uncompressed" "$(human $((want + 6)))" \
  "$("$BLD" system df 2>&1 | awk '$1 == "Images" { print $4 }')"
t_ok "the size is recorded on the unpacked layer, not recomputed" \
  $PY -c "import os,glob,sys; sys.exit(0 if any(os.getxattr(p,'user.bld.size') for p in glob.glob('$BLD_ROOT/layers/*')) else 1)"

# --- an image known only by digest (docker 20.10's rows) ---------------------------------
export BLD_ROOT=$T_DIR/root2
t_ok "pull by digest into an empty store" "$BLD" pull -q "$B@$D"
t_eq "images: the repository with tag <none> and an empty digest" "$B <none> " \
  "$("$BLD" images --format '{{.Repository}} {{.Tag}} {{.Digest}}' 2>&1)"
t_eq "images --digests: the digest" "$B <none> $D" \
  "$("$BLD" images --digests --format '{{.Repository}} {{.Tag}} {{.Digest}}' 2>&1)"
