#!/usr/bin/env bash
# tests/e2e/build_output.sh — what a build writes besides the store: --output type=oci (an
# OCI layout tarball that skopeo and bld load read, holding exactly the stored image),
# type=tar (the target's filesystem as one tar, the same files as the image), dest=- on
# stdout (refused on a terminal); type=image/registry (named, pushed); --format docker (v2s2 media types after bld push, the
# pushed digest is the one bld printed, bld run works, same config and files as the OCI
# image); reproducible archives and digests in each format with SOURCE_DATE_EPOCH.
. "$(dirname "$0")/lib.sh"
export DOCKER_CONFIG=$T_DIR/docker-config BLD_CONFIG=$T_DIR/bld-config.json
unset BLD_CERTS_DIR

t_busybox_registry
DUMP=$TOP/tests/diff/imgdump.py

ctx=$T_DIR/app
mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<DF
FROM $BASE
RUN mkdir -p /srv && echo built > /srv/built && ln -s built /srv/link && chmod 0640 /srv/built
COPY app.sh /usr/local/bin/app.sh
RUN rm /bin/vi
ENV GREETING=hello
CMD ["/usr/local/bin/app.sh"]
DF
printf '#!/bin/sh\necho "app says $GREETING $(cat /srv/built)"\n' >"$ctx/app.sh"
chmod 755 "$ctx/app.sh"

# the store's view of an image, and the same dump of an archive's layout
store_dump() { python3 "$DUMP" "$BLD_ROOT/oci" "$1"; }
# tar_fs TAR — a flat filesystem tar in imgdump's "fs ..." lines
tar_fs() {
  python3 -c 'import sys, tarfile; sys.path.insert(0, sys.argv[1]); import imgdump
fs = {}
with tarfile.open(sys.argv[2]) as tf: imgdump.apply_layer(fs, tf)
fs.pop("/", None)
for p in sorted(fs):
    t, mode, uid, gid, size, h, link = fs[p]
    print("fs %s %s %04o %d %d %d %s %s" % (p, t, mode & 0o7777, uid, gid, size, h, link))' \
    "$TOP/tests/diff" "$1"
}

# ---------------------------------------------------------------- type=oci
out=$("$BLD" build -t out-app -o "type=oci,dest=$T_DIR/app-oci.tar" "$ctx" 2>&1)
t_eq "--output type=oci succeeds" 0 "$?"
id=$("$BLD" inspect out-app | jq -r '.[0].Id')
t_ok "skopeo inspects the OCI archive" skopeo inspect "oci-archive:$T_DIR/app-oci.tar"
t_eq "its config is the stored image's" "$id" \
  "$(skopeo inspect --raw "oci-archive:$T_DIR/app-oci.tar" | jq -r .config.digest)"
t_eq "the archive holds oci-layout, index.json and blobs, sorted" \
  "blobs/ blobs/sha256/ index.json oci-layout" \
  "$(tar tf "$T_DIR/app-oci.tar" | grep -v '^blobs/sha256/.' | tr '\n' ' ' | sed 's/ $//')"
t_eq "index.json names it as BuildKit does" "docker.io/library/out-app:latest latest" \
  "$(tar xOf "$T_DIR/app-oci.tar" index.json |
     jq -r '.manifests[0].annotations | "\(.["io.containerd.image.name"]) \(.["org.opencontainers.image.ref.name"])"')"
mkdir -p "$T_DIR/oci-x"
tar -C "$T_DIR/oci-x" -xf "$T_DIR/app-oci.tar"
t_eq "config and filesystem in the archive are the store's" "$(store_dump out-app:latest)" \
  "$(python3 "$DUMP" "$T_DIR/oci-x" latest)"
t_ok "skopeo copy oci-archive: to oci:" skopeo copy -q "oci-archive:$T_DIR/app-oci.tar" "oci:$T_DIR/copied:app"
out=$(BLD_ROOT=$T_DIR/root-load "$BLD" load -i "$T_DIR/app-oci.tar" 2>&1)
t_match "bld load reads it" 'Loaded image: out-app:latest' "$out"
t_eq "... as the same image" "$id" "$(BLD_ROOT=$T_DIR/root-load "$BLD" inspect out-app | jq -r '.[0].Id')"
t_eq "a loaded image runs" "app says hello built" \
  "$(BLD_ROOT=$T_DIR/root-load "$BLD" run --rm out-app 2>&1)"

# ---------------------------------------------------------------- type=tar, dest=-
"$BLD" build -q -o "type=tar,dest=$T_DIR/fs.tar" "$ctx" >/dev/null 2>&1
t_eq "--output type=tar succeeds" 0 "$?"
t_eq "type=tar: the same files as the image (modes, owners, links, contents)" \
  "$(store_dump out-app:latest | grep '^fs ')" "$(tar_fs "$T_DIR/fs.tar")"
t_ok "a deleted file is absent, no whiteout in the tar" \
  bash -c "! tar tf '$T_DIR/fs.tar' | grep -Eq '(^|/)(\\.wh\\.|bin/vi$)'"
out=$("$BLD" build -q -o type=tar,dest=- "$ctx" 2>/dev/null | tar tf - 2>&1)
t_match "dest=- writes the tar to stdout (and -q keeps the ID out of it)" '^srv/built$' "$out"
t_eq "... a tar stream with nothing after it" "$(cat "$T_DIR/fs.tar" | sha256sum)" \
  "$("$BLD" build -q -o type=tar,dest=- "$ctx" 2>/dev/null | sha256sum)"
t_eq "-o - is a tar on stdout too" "$(cat "$T_DIR/fs.tar" | sha256sum)" \
  "$("$BLD" build -q -o - "$ctx" 2>/dev/null | sha256sum)"
out=$(script -qec "'$BLD' build -o type=oci,dest=- '$ctx'" /dev/null 2>&1)
t_match "dest=- on a terminal is refused" 'refusing to write to console' "$out"
out=$("$BLD" build -o type=nope,dest=x "$ctx" 2>&1)
t_match "an unknown output type is an error" 'type=nope is not supported' "$out"

# ---------------------------------------------------------------- --format docker
R=$REG_ADDR/fmt
out=$("$BLD" build --format docker -t "$R/app:docker" -t "$R/app:docker2" "$ctx" 2>&1)
t_eq "--format docker builds" 0 "$?"
t_eq "the store still reads it as OCI (skopeo oci:)" "application/vnd.oci.image.manifest.v1+json" \
  "$(skopeo inspect --raw "oci:$BLD_ROOT/oci:$R/app:docker" | jq -r .mediaType)"
t_eq "it runs with bld run" "app says hello built" "$("$BLD" run --rm "$R/app:docker" 2>&1)"
out=$("$BLD" push "$R/app:docker" 2>&1)
t_eq "bld push of a docker-format image" 0 "$?"
pushed=$(sed -n 's/^docker: digest: \(sha256:[0-9a-f]*\) .*/\1/p' <<<"$out")
raw=$(skopeo inspect --raw --tls-verify=false "docker://$R/app:docker")
t_eq "the registry has docker media types" \
  "application/vnd.docker.distribution.manifest.v2+json application/vnd.docker.container.image.v1+json application/vnd.docker.image.rootfs.diff.tar.gzip" \
  "$(jq -r '[.mediaType, .config.mediaType, (.layers | map(.mediaType) | unique | join(","))] | join(" ")' <<<"$raw")"
t_eq "skopeo inspect shows the digest bld push printed" "$pushed" \
  "$(skopeo inspect --tls-verify=false "docker://$R/app:docker" | jq -r .Digest)"
t_eq "the manifest's bytes have that digest" "$pushed" "$(printf '%s' "$raw" | sha256sum | sed 's/ .*//; s/^/sha256:/')"
"$BLD" push -q "$R/app:docker2" >/dev/null 2>&1
t_eq "a second -t name keeps the docker form" "$pushed" \
  "$(skopeo inspect --tls-verify=false "docker://$R/app:docker2" | jq -r .Digest)"
t_eq "same config and filesystem as the OCI-format image" "$(store_dump out-app:latest)" \
  "$(store_dump "$R/app:docker")"
out=$(BLD_ROOT=$T_DIR/root-pull "$BLD" pull "$R/app:docker" 2>&1)
t_match "a pull of it prints the same digest" "^Digest: $pushed" "$out"
out=$("$BLD" build --format bogus "$ctx" 2>&1); rc=$?
t_eq "--format bogus is a usage error" "125 1" "$rc $(grep -c 'use oci or docker' <<<"$out")"

# ---------------------------------------------------------------- type=image, type=registry
out=$("$BLD" build --format docker -o "type=registry,name=$R/pushed:1" "$ctx" 2>&1)
t_eq "--output type=registry,name=R builds and pushes" 0 "$?"
t_match "... and says so" "pushing manifest for $R/pushed:1@sha256:" "$out"
t_eq "... in the --format asked for" "application/vnd.docker.distribution.manifest.v2+json" \
  "$(skopeo inspect --raw --tls-verify=false "docker://$R/pushed:1" | jq -r .mediaType)"
"$BLD" build -q -o "type=image,name=$R/named:1" "$ctx" >/dev/null 2>&1
t_eq "--output type=image,name=R names the image in the store" "$id" \
  "$("$BLD" inspect "$R/named:1" | jq -r '.[0].Id')"
t_exit "... and does not push it" 1 skopeo inspect --raw --tls-verify=false "docker://$R/named:1"
out=$("$BLD" build -o type=registry "$ctx" 2>&1)
t_match "type=registry without a name is an error" 'push needs name=' "$out"

# ---------------------------------------------------------------- reproducible
for f in oci docker; do
  for r in a b; do
    BLD_ROOT=$T_DIR/repro-$r SOURCE_DATE_EPOCH=0 "$BLD" build -q --format "$f" -t "$R/repro:$f" \
      -o "type=oci,dest=$T_DIR/repro-$f-$r.tar" "$ctx" >/dev/null 2>&1
    BLD_ROOT=$T_DIR/repro-$r "$BLD" tag "$R/repro:$f" "$R/repro-$r:$f"
    BLD_ROOT=$T_DIR/repro-$r "$BLD" push -q "$R/repro-$r:$f" >/dev/null 2>&1
    skopeo inspect --tls-verify=false "docker://$R/repro-$r:$f" 2>&1 | jq -r .Digest >"$T_DIR/repro-$f-$r.digest"
  done
  t_match "--format $f with SOURCE_DATE_EPOCH: a digest" '^sha256:' "$(cat "$T_DIR/repro-$f-a.digest")"
  t_eq "--format $f with SOURCE_DATE_EPOCH: the same pushed digest from two stores" \
    "$(cat "$T_DIR/repro-$f-a.digest")" "$(cat "$T_DIR/repro-$f-b.digest")"
  t_eq "--format $f: the same OCI archive bytes" "$(sha256sum <"$T_DIR/repro-$f-a.tar")" \
    "$(sha256sum <"$T_DIR/repro-$f-b.tar")"
done
t_ok "the two formats have different manifest digests" \
  test "$(cat "$T_DIR/repro-oci-a.digest")" != "$(cat "$T_DIR/repro-docker-a.digest")"
t_finish
