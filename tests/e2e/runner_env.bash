# tests/e2e/runner_env.bash — sourced (after lib.sh) by the runner's end-to-end scripts.
# Makes a busybox root filesystem from Debian's busybox-static and imports it as the image
# runner-test/busybox:latest (bld import, EXPOSE 80), a private network namespace
# for every bld call (so that the bridge, veths and NAT rule live there, never on the host),
# and a cleanup that removes every container, checks nothing of bld is left and deletes the
# namespace — also when the script fails.
#
#   B ARGS...     runs bld inside the test's network namespace
#   N, NB CMD...  CMD there, or where bld's bridges are (rootless: the user's namespace)
#   IMG           the busybox image's name; ROOTFS its tree (for --rootfs)
#   free_port     prints a free TCP port (inside the namespace every port is free; still
#                 picked at random so that nothing depends on a fixed number)

command -v busybox >/dev/null || { echo "not ok - busybox-static is not installed"; exit 1; }
ROOTFS=$T_DIR/busybox
mkdir -p "$ROOTFS/bin" "$ROOTFS/etc" "$ROOTFS/tmp" "$ROOTFS/root" "$ROOTFS/home/app"
cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
for a in $("$ROOTFS/bin/busybox" --list); do [ -e "$ROOTFS/bin/$a" ] || ln -s busybox "$ROOTFS/bin/$a"; done
cat >"$ROOTFS/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$ROOTFS/etc/group" <<'G'
root:x:0:
app:x:1000:
extra:x:2000:app
nogroup:x:65534:
G
chmod 1777 "$ROOTFS/tmp"
tar -C "$ROOTFS" -cf "$T_DIR/busybox.tar" .
IMG=runner-test/busybox:latest
"$BLD" import -c 'EXPOSE 80' "$T_DIR/busybox.tar" "$IMG" >/dev/null ||
  { echo "not ok - bld import of the busybox rootfs"; exit 1; }

NS=bldtest-$$-$RANDOM
ip netns add "$NS" || { echo "not ok - cannot create network namespace"; exit 1; }
ip netns exec "$NS" ip link set lo up
t_rootless && { t_uplink -n "$NS" || echo "# no uplink for pasta in $NS"; }

# nsenter, not "ip netns exec": that one remounts /sys and so hides the cgroup hierarchies
B() { nsenter --net="/run/netns/$NS" "$BLD" "$@"; }

# N CMD... runs CMD in the test's network namespace, where bld runs (its published ports);
# NB CMD... where bld makes the host side of its networks (bridges, the host ends of veths,
# iptables rules): the same namespace as root, the user's rootless one when bld runs rootless
N() { nsenter --net="/run/netns/$NS" "$@"; }
NB() { if t_rootless; then t_bld_ns --net "$@"; else N "$@"; fi; }

free_port() { echo $((20000 + RANDOM % 20000)); }

# What bld may leave behind, one line each; empty when all is clean. A monitor finishing
# an --rm removal after its bld returned gets up to two seconds.
runner_leftovers() {
  local i out
  for i in $(seq 20); do
    out=$(runner_leftovers_now)
    [ -z "$out" ] && return 0
    sleep 0.1
  done
  echo "$out"
}
runner_leftovers_now() {
  local p uplink # rootless, the pasta of the user's namespace stays while bld-pause does
  uplink=$(cat "$T_DIR/run/bld/netns-pasta.pid" 2>/dev/null)
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$uplink" ] && continue
    grep -qz "^BLD_ROOT=$BLD_ROOT\$" "$p/environ" 2>/dev/null && echo "process ${p#/proc/}: $(tr '\0' ' ' <"$p/cmdline")"
  done
  ip netns exec "$NS" ip -o link show 2>/dev/null | grep -Eo 'bld[0-9a-f]{8}' | sed 's/^/veth /'
  local id
  for id in $(ls "$BLD_ROOT/containers" 2>/dev/null); do
    find /sys/fs/cgroup -maxdepth 6 -type d -name "bld-${id:0:12}" 2>/dev/null | sed 's/^/cgroup /'
  done
  grep " $BLD_ROOT/" /proc/mounts | sed 's/^/mount /'
}

runner_cleanup() {
  local ids
  ids=$(ls "$BLD_ROOT/containers" 2>/dev/null | grep -E '^[0-9a-f]{64}$')
  [ -n "$ids" ] && B rm -f -v $ids >/dev/null 2>&1
  ip netns del "$NS" 2>/dev/null
}
at_exit runner_cleanup
