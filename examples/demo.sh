#!/usr/bin/env bash
# examples/demo.sh — what `make demo` runs: bld's main job end to end on this machine, with
# no registry and no internet. Makes a busybox base image from Debian's busybox-static with
# `bld import`, builds examples/echo (then again: every step CACHED), runs the image with
# `bld run`, and removes everything it made (its own store under a temporary directory).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BLD=${BLD:-$TOP/bld} # BLD: another copy (tests/deb_check.sh runs the installed one)
[ -x "$BLD" ] || { echo "demo: build bld first (make)"; exit 1; }
if [ ! -x /bin/busybox ] || ! /bin/busybox --list >/dev/null 2>&1; then
  echo "== installing busybox-static"
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq busybox-static >/dev/null
fi

WORK=$(mktemp -d /tmp/bld-demo.XXXXXX)
export BLD_ROOT=$WORK/store
cleanup() {
  "$BLD" rm -f demo-echo >/dev/null 2>&1 || true
  # the last --rm container's monitor may still be releasing its network lease: try again
  for _ in 1 2 3 4 5; do rm -rf --one-file-system "$WORK" 2>/dev/null && return; sleep 0.2; done
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

echo "== making a busybox base image locally (bld import)"
root=$WORK/rootfs
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home,var,proc,sys,dev}
chmod 1777 "$root/tmp"; chmod 700 "$root/root"
cp /bin/busybox "$root/bin/busybox"
for app in $("$root/bin/busybox" --list-full); do
  [ "$app" = bin/busybox ] || ln -sf /bin/busybox "$root/$app"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
tar -C "$root" --numeric-owner -cf "$WORK/busybox.tar" .
"$BLD" import -c 'CMD ["sh"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "$WORK/busybox.tar" busybox:latest >/dev/null
"$BLD" images

echo "== bld build -t demo/echo examples/echo"
"$BLD" build -t demo/echo "$TOP/examples/echo"
echo "== the same build again: every step CACHED"
"$BLD" build -t demo/echo "$TOP/examples/echo" 2>&1 | grep -E '^#[0-9]+ (\[|CACHED)'

echo "== bld run --rm demo/echo"
"$BLD" run --rm --name demo-echo demo/echo
"$BLD" run --rm demo/echo hello "it works"
echo "== demo done"
