#!/usr/bin/env bash
# tests/e2e/build_chroot.sh — bld build inside an unprivileged container, as kaniko and
# `buildah --isolation chroot` build in a CI pod: a bld container with docker's default
# capabilities and seccomp profile (no CAP_SYS_ADMIN, no namespaces) runs bld (the binary
# and the host's /usr bound read-only, the test registry reached over --network host),
# which chooses --isolation=chroot by itself and says so, builds a multi-stage Dockerfile
# (RUN with deletions, a replaced directory, hard links, USER and WORKDIR; COPY; COPY
# --from) and pushes it; the pushed image is the one a normal build on the host pushes
# (same config and layers with SOURCE_DATE_EPOCH). Also: --isolation=chroot on the host
# gives that image too, and so do a secret as env= and a #! heredoc; `bld info` shows the
# isolation, and what the mode cannot do is refused in one line.
. "$(dirname "$0")/lib.sh"

t_busybox_registry
BIN=$(readlink -f "$BLD")

ctx=$T_DIR/ctx
mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<DF
FROM $BASE AS tools
RUN echo built-in-stage >/tool

FROM $BASE
RUN mkdir -p /d/e /keep && echo x >/d/e/f && echo k >/keep/k && ln /keep/k /keep/k2
RUN rm -rf /d && mkdir /d && echo new >/d/n && chmod 700 /keep && rm /keep/k2 /bin/vi
ENV GREETING=hello
WORKDIR /app
COPY conf.txt ./
COPY --from=tools /tool /app/
USER 1:1
RUN echo quiet >/dev/null && cat /app/tool /d/n /app/conf.txt >/tmp/both
CMD ["cat", "/tmp/both"]
DF
echo conf-from-context >"$ctx/conf.txt"

REPO=$REG_ADDR/test/chroot
# pushed REF — "config-digest layer-digest..." of REF's manifest in the registry
pushed() {
  curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "$REG_URL/v2/test/chroot/manifests/$1" | jq -r '[.config.digest] + [.layers[].digest] | join(" ")'
}

# the reference: a normal build on the host (namespaces and overlay mounts)
BLD_ROOT=$T_DIR/host SOURCE_DATE_EPOCH=0 "$BLD" build -q -t "$REPO:host" "$ctx" >/dev/null &&
  BLD_ROOT=$T_DIR/host "$BLD" push -q "$REPO:host" >/dev/null
want=$(pushed host)
t_match "a normal build on the host is pushed" '^sha256:' "$want"

# the same build inside a container with docker's default capabilities and seccomp profile
inner='export BLD_ROOT=/store SOURCE_DATE_EPOCH=0
grep CapEff /proc/self/status
/bld info | grep "Build Isolation"
/bld build --progress=plain -t '"$REPO"':inner /ctx 2>&1 && /bld push -q '"$REPO"':inner'
out=$("$BLD" run --rm --network host -v /usr:/usr:ro -v /usr/lib:/lib:ro -v /usr/lib64:/lib64:ro \
  -v "$BIN:/bld:ro" -v "$ctx:/ctx:ro" "$BASE" sh -c "$inner" 2>&1); rc=$?
t_eq "bld builds and pushes inside an unprivileged container" 0 "$rc"
t_match "... whose capabilities are docker's default set (no CAP_SYS_ADMIN)" \
  'CapEff:[[:space:]]+00000000a80425fb' "$out"
t_match "... where bld info shows the isolation builds use, and why" \
  'Build Isolation: chroot \(unshare: Operation not permitted\)' "$out"
t_match "... and the build says in one line that it chose chroot" \
  '^bld: warning: namespaces are not available \(unshare: Operation not permitted\): building with --isolation=chroot$' "$out"
t_eq "... the pushed image is the one built normally (config and layers)" "$want" "$(pushed inner)"
[ "$want" = "$(pushed inner)" ] || printf '#   %s\n' "$(tail -n 15 <<<"$out")"

"$BLD" pull -q "$REPO:inner" >/dev/null
got=$("$BLD" run --rm "$REPO:inner" 2>&1)
t_eq "... and runs: COPY, COPY --from and RUN as USER" "built-in-stage
new
conf-from-context" "$got"

# on the host too, --isolation=chroot gives the same image (a store of its own: no cache)
BLD_ROOT=$T_DIR/hostchroot SOURCE_DATE_EPOCH=0 "$BLD" build -q --isolation=chroot \
  -t "$REPO:hostchroot" "$ctx" >/dev/null &&
  BLD_ROOT=$T_DIR/hostchroot "$BLD" push -q "$REPO:hostchroot" >/dev/null
t_eq "--isolation=chroot on the host: the same image" "$want" "$(pushed hostchroot)"

# what needs no mount works as in a normal build: a secret as env=, a #! heredoc (its script
# at /dev/pipes, never in the layer)
mkdir -p "$T_DIR/s"
cat >"$T_DIR/s/Dockerfile" <<DF
FROM $BASE
RUN --mount=type=secret,id=tok,env=TOK test "\$TOK" = s3cret && echo seen >/seen
RUN <<EOF
#!/bin/sh
echo from-heredoc >/h
EOF
DF
for iso in oci chroot; do
  BLD_ROOT=$T_DIR/s-$iso SOURCE_DATE_EPOCH=0 TOKV=s3cret "$BLD" build -q --isolation=$iso \
    --secret id=tok,env=TOKV "$T_DIR/s" >"$T_DIR/s-$iso.id" 2>"$T_DIR/s-$iso.err"
done
t_match "a secret as env= and a #! heredoc under --isolation=chroot" '^sha256:' "$(cat "$T_DIR/s-chroot.id")"
t_eq "... the image a normal build makes" "$(cat "$T_DIR/s-oci.id")" "$(cat "$T_DIR/s-chroot.id")"

# what the mode cannot do: one line each, exit 1 as a failed build
mkdir -p "$T_DIR/m"
printf 'FROM %s\nRUN --mount=type=cache,target=/c true\n' "$BASE" >"$T_DIR/m/Dockerfile"
out=$("$BLD" build -q --isolation=chroot "$T_DIR/m" 2>&1); rc=$?
t_eq "RUN --mount under --isolation=chroot: exit 1" 1 "$rc"
t_match "... in one line naming the mount and the line" \
  '^bld: Dockerfile:2: .*RUN --mount=type=cache: not available with --isolation=chroot \(it needs a mount\)$' "$out"
out=$("$BLD" build -q --isolation=chroot --network=none "$ctx" 2>&1)
t_match "--network=none under --isolation=chroot is refused" \
  '^bld: --network=none: not available with --isolation=chroot' "$out"
out=$("$BLD" build -q --isolation=hyperv "$ctx" 2>&1); rc=$?
t_eq "an unknown --isolation: exit 1" 1 "$rc"
t_eq "... in docker's words" 'bld: Unsupported isolation: "hyperv"' "$out"
t_eq "bld info on this host: oci" "oci" "$("$BLD" info --format '{{.BuildIsolation}}')"

# where no overlay can be mounted (BLD_OVERLAY=copy: as with no overlayfs and no
# fuse-overlayfs) a RUN step runs on a copy of its layers and its layer is the copy's diff:
# the image an overlay build makes, for additions, changes of content, mode and owner, hard
# and symbolic links, deleted files and directories (whiteouts), replaced ones (opaque), and a
# directory replaced by a file (which the next step's copy of the layers must apply)
mkdir -p "$T_DIR/cp"
cat >"$T_DIR/cp/Dockerfile" <<DF
FROM $BASE
RUN mkdir -p /d/e /x/y && echo x >/d/e/f && echo z >/x/y/z && ln -s /d/e/f /sl && echo h >/h
RUN rm -rf /d /x /home && mkdir /d && echo new >/d/n && ln /h /h2 && ln /etc/group /g && \
  chmod 600 /etc/group && chown 7:7 /h && echo more >>/etc/passwd && rm /bin/vi && \
  ln -sfn /d /sl && mkdir -p /var/spool && rm -rf /var/spool/* && echo e >/etc/hostname.d && \
  echo file >/x
RUN test -f /d/n && test "\$(cat /x)" = file && echo last >/d/n
DF
for m in overlay copy; do
  ov=; [ $m = copy ] && ov=copy
  BLD_ROOT=$T_DIR/cp-$m BLD_OVERLAY=$ov SOURCE_DATE_EPOCH=0 "$BLD" build -q "$T_DIR/cp" \
    >"$T_DIR/cp-$m.id" 2>&1
done
t_match "RUN steps on a copied root (BLD_OVERLAY=copy) build" '^sha256:' "$(cat "$T_DIR/cp-copy.id")"
t_eq "... the image an overlay build makes (config and layers)" \
  "$(cat "$T_DIR/cp-overlay.id")" "$(cat "$T_DIR/cp-copy.id")"
t_eq "... holding the steps' files" "last h 7 644 0 600 /d" "$(BLD_ROOT=$T_DIR/cp-copy "$BLD" run --rm \
  "$(cat "$T_DIR/cp-copy.id")" sh -c 'echo $(cat /d/n /h2) $(stat -c "%u %a" /h /etc/group) $(readlink /sl)' 2>&1)"
t_eq "the multi-stage build above on a copied root: the same image too" \
  "$(BLD_ROOT=$T_DIR/host SOURCE_DATE_EPOCH=0 "$BLD" build -q "$ctx" 2>&1)" \
  "$(BLD_ROOT=$T_DIR/copyroot BLD_OVERLAY=copy SOURCE_DATE_EPOCH=0 "$BLD" build -q "$ctx" 2>&1)"
