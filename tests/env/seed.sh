#!/usr/bin/env bash
# tests/env/seed.sh — makes small test images without internet and pushes them to a test
# registry with skopeo, so that bld is tested against images that other tools made.
#
# Usage:
#   tests/env/seed.sh --env DIR/env [--seed-dir DIR] [--debian] [--only LIST]
#   tests/env/seed.sh --build-only [--seed-dir DIR] [--debian]
#
#   --env FILE      the env file that tests/env/registry.sh wrote (address, TLS, credentials)
#   --seed-dir DIR  where the image layouts are built and kept between runs
#                   (default $BLD_SEED_DIR or /var/tmp/bld-seed); a later run only pushes
#   --debian        also build library/debian:bookworm (debootstrap minbase from the apt
#                   mirror, ~51 MB layer, ~40 s the first time; for benchmarks)
#   --only LIST     push only these tags of library/busybox, comma-separated
#                   (e.g. --only latest,latest-v2s2)
#   --build-only    build the layouts, push nothing
#
# Pushed (REG = $REG_ADDR):
#   REG/library/busybox:latest        OCI manifest, linux/amd64, busybox-static rootfs (~1 MB)
#   REG/library/busybox:latest-v2s2   the same image as a Docker v2 schema 2 manifest
#   REG/library/busybox:latest-arm64  OCI manifest, linux/arm64/v8 — NOTE: the SAME amd64
#                                     rootfs with only the platform in its config changed
#                                     (no arm64 busybox is available offline); it must never
#                                     be run, it exists to test platform selection
#   REG/library/busybox:index-oci     OCI image index {linux/amd64, linux/arm64/v8}
#   REG/library/busybox:index-v2s2    Docker manifest list of the same two, as v2s2
#   REG/library/debian:bookworm       (--debian) OCI manifest, debootstrap minbase
# Prints each pushed tag on a line of its own.
#
# The layouts in the seed dir are also usable directly: "$SEED/oci-busybox:latest" etc.
# The busybox layer is reproducible (fixed mtimes), but do not hard-code digests.
# Needs root (umoci unpack), umoci, skopeo, jq, busybox-static.
set -euo pipefail

SEED=${BLD_SEED_DIR:-/var/tmp/bld-seed}
TS=2024-01-01T00:00:00Z
ENVF="" DEBIAN=0 BUILD_ONLY=0 ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --env) ENVF=$2; shift ;;
    --seed-dir) SEED=$2; shift ;;
    --debian) DEBIAN=1 ;;
    --only) ONLY=$2; shift ;;
    --build-only) BUILD_ONLY=1 ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) echo "seed.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
die() { printf 'seed.sh: %s\n' "$*" >&2; exit 1; }
[ "$BUILD_ONLY" = 1 ] || [ -n "$ENVF" ] || die "--env FILE is required (or --build-only)"
for c in umoci skopeo jq; do command -v $c >/dev/null || die "missing $c"; done
BB=/bin/busybox
[ -x "$BB" ] && dpkg -S "$BB" 2>/dev/null | grep -q busybox-static || die "busybox-static is not installed"
BBVER=$(dpkg-query -W -f '${Version}' busybox-static)

make_rootfs() { # DIR
  local r=$1
  rm -rf "$r"; mkdir -p "$r"
  (cd "$r" && mkdir -p bin sbin usr/bin usr/sbin etc tmp root home var dev proc sys)
  chmod 1777 "$r/tmp"; chmod 700 "$r/root"
  install -m 0755 "$BB" "$r/bin/busybox"
  local p
  "$BB" --list-full | while read -r p; do
    [ -e "$r/$p" ] || [ -L "$r/$p" ] || ln -s /bin/busybox "$r/$p"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  find "$r" -exec touch -h -d "$TS" {} +
}

make_image() { # LAYOUT TAG ROOTFS ARCH VARIANT CMD
  local l=$1 tag=$2 rootfs=$3 arch=$4 variant=$5 cmd=$6 b="$SEED/bundle"
  [ -d "$l" ] || umoci init --layout "$l"
  umoci new --image "$l:$tag"
  rm -rf "$b"
  umoci unpack --image "$l:$tag" "$b" >/dev/null
  rm -rf "$b/rootfs"
  cp -a "$rootfs" "$b/rootfs"
  touch -h -d "$TS" "$b/rootfs"
  umoci repack --image "$l:$tag" --history.created "$TS" --history.created_by "bld seed: $tag rootfs" "$b"
  umoci config --image "$l:$tag" --created "$TS" --history.created "$TS" \
    --history.created_by "CMD [\"$cmd\"]" --architecture "$arch" --os linux \
    --config.cmd "$cmd" --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  rm -rf "$b"
  if [ -n "$variant" ]; then set_variant "$l" "$tag" "$variant"; fi
}

# set_variant LAYOUT TAG VARIANT: umoci has no --variant; rewrite config and manifest
set_variant() {
  local l=$1 tag=$2 v=$3 m c md cd nm nc
  m=$(jq -r --arg t "$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$t) | .digest' "$l/index.json")
  md="$l/blobs/sha256/${m#sha256:}"
  c=$(jq -r .config.digest "$md")
  cd="$l/blobs/sha256/${c#sha256:}"
  jq -c --arg v "$v" '.variant=$v' "$cd" >"$SEED/c.json"
  nc=$(sha256sum "$SEED/c.json" | cut -d' ' -f1)
  mv "$SEED/c.json" "$l/blobs/sha256/$nc"
  jq -c --arg d "sha256:$nc" --argjson s "$(stat -c %s "$l/blobs/sha256/$nc")" \
    '.config.digest=$d | .config.size=$s' "$md" >"$SEED/m.json"
  nm=$(sha256sum "$SEED/m.json" | cut -d' ' -f1)
  mv "$SEED/m.json" "$l/blobs/sha256/$nm"
  jq -c --arg t "$tag" --arg d "sha256:$nm" --argjson s "$(stat -c %s "$l/blobs/sha256/$nm")" \
    '(.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$t)) |= (.digest=$d | .size=$s)' \
    "$l/index.json" >"$SEED/i.json"
  mv "$SEED/i.json" "$l/index.json"
}

# make_index LAYOUT: an OCI index over :latest and :latest-arm64, tagged "index"
make_index() {
  local l=$1 d
  jq -c '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
          manifests: [.manifests[]
            | select(.annotations["org.opencontainers.image.ref.name"] as $n | $n=="latest" or $n=="latest-arm64")
            | {mediaType, digest, size,
               platform: (if .annotations["org.opencontainers.image.ref.name"]=="latest"
                          then {architecture: "amd64", os: "linux"}
                          else {architecture: "arm64", os: "linux", variant: "v8"} end)}]
          | sort_by(.platform.architecture)}' "$l/index.json" >"$SEED/x.json"
  d=$(sha256sum "$SEED/x.json" | cut -d' ' -f1)
  mv "$SEED/x.json" "$l/blobs/sha256/$d"
  jq -c --arg d "sha256:$d" --argjson s "$(stat -c %s "$l/blobs/sha256/$d")" \
    '.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
                     annotations: {"org.opencontainers.image.ref.name": "index"}}]' \
    "$l/index.json" >"$SEED/i.json"
  mv "$SEED/i.json" "$l/index.json"
}

build_busybox() {
  local l="$SEED/oci-busybox"
  [ "$(cat "$SEED/busybox.stamp" 2>/dev/null)" = "$BBVER" ] && [ -d "$l" ] && return 0
  rm -rf "$l" "$SEED/busybox.stamp"
  make_rootfs "$SEED/rootfs-busybox"
  make_image "$l" latest "$SEED/rootfs-busybox" amd64 "" sh
  make_image "$l" latest-arm64 "$SEED/rootfs-busybox" arm64 v8 sh
  make_index "$l"
  umoci gc --layout "$l"
  rm -rf "$SEED/rootfs-busybox"
  echo "$BBVER" >"$SEED/busybox.stamp"
}

build_debian() {
  local l="$SEED/oci-debian" r="$SEED/rootfs-debian" mirror
  [ -f "$SEED/debian.stamp" ] && [ -d "$l" ] && return 0
  command -v debootstrap >/dev/null || die "--debian needs debootstrap"
  mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(IDENTIFIER)' 2>/dev/null |
           awk '$2=="bookworm" && $3=="Packages" {print $1; exit}')
  [ -n "$mirror" ] || die "no apt mirror for bookworm (run apt-get update)"
  rm -rf "$l" "$r"
  debootstrap --variant=minbase bookworm "$r" "$mirror" >"$SEED/debootstrap.log" 2>&1 ||
    die "debootstrap failed (see $SEED/debootstrap.log)"
  rm -rf "${r:?}"/var/cache/apt/archives/*.deb "${r:?}"/var/lib/apt/lists/* "${r:?}"/dev/*
  : >"$r/etc/resolv.conf"; echo localhost >"$r/etc/hostname"
  make_image "$l" bookworm "$r" amd64 "" bash
  umoci gc --layout "$l"
  rm -rf "$r"
  date -u +%FT%TZ >"$SEED/debian.stamp"
}

push_all() {
  # shellcheck disable=SC1090
  . "$ENVF"
  local opts=() want t
  if [ "$REG_SCHEME" = https ]; then opts+=(--dest-cert-dir "$REG_CERTS_DIR/$REG_ADDR")
  else opts+=(--dest-tls-verify=false); fi
  [ -z "${REG_USER:-}" ] || opts+=(--dest-creds "$REG_USER:$REG_PASS")
  want=",${ONLY:-latest,latest-v2s2,latest-arm64,index-oci,index-v2s2},"
  local l="$SEED/oci-busybox" r="docker://$REG_ADDR/library/busybox"
  push() { # TAG SRC [extra]
    t=$1; [[ "$want" == *",$t,"* ]] || return 0
    skopeo copy -q "${opts[@]}" "${@:3}" "oci:$2" "$r:$t" >/dev/null
    printf '%s\n' "$t"
  }
  push latest "$l:latest"
  push latest-v2s2 "$l:latest" --format v2s2
  push latest-arm64 "$l:latest-arm64"
  push index-oci "$l:index" --all
  push index-v2s2 "$l:index" --all --format v2s2
  if [ "$DEBIAN" = 1 ]; then
    skopeo copy -q "${opts[@]}" "oci:$SEED/oci-debian:bookworm" "docker://$REG_ADDR/library/debian:bookworm" >/dev/null
  fi
}

mkdir -p "$SEED"
exec 9>"$SEED/.lock"
flock 9   # one builder at a time; concurrent seeds of other registries wait here
build_busybox
[ "$DEBIAN" = 0 ] || build_debian
flock -u 9
[ "$BUILD_ONLY" = 1 ] || push_all
