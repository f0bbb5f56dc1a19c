# bench/ns.bash — sourced by the benchmarks (not one itself: `make bench` runs bench/*.sh).
#   bench_enter "$0" "$@"  re-executes the script in a private mount and network namespace,
#                          there unmounts /sys/fs/cgroup/unified (crun 1.8 refuses the hybrid
#                          cgroup layout otherwise) and brings lo up, so that bld's bridges,
#                          veths and rules live and die there; then makes W, a work directory
#   bench_cleanup          removes W and the cgroup parents bld made meanwhile
#   bench_busybox_tar ROOTFS APPLET...
#                          makes ROOTFS a busybox root (the host's static busybox, the
#                          applets as links, root in /etc/passwd) and W/busybox.tar of it
bench_enter() {
  if [ "${BLD_BENCH_INNER:-}" != 1 ]; then
    exec unshare -m -n --propagation private env BLD_BENCH_INNER=1 "$@"
  fi
  umount /sys/fs/cgroup/unified 2>/dev/null || true
  ip link set lo up
  W=$(mktemp -d /tmp/bld-bench.XXXXXX)
  . tests/env/cgroups.sh
  mapfile -t BENCH_CGROUPS < <(bld_cgroups_snapshot)
}

bench_cleanup() {
  rm -rf --one-file-system "$W"
  bld_cgroups_remove "${BENCH_CGROUPS[@]}"
}

bench_busybox_tar() {
  local rootfs=$1 a
  shift
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp"
  cp "$(command -v busybox)" "$rootfs/bin/"
  for a in "$@"; do ln -s busybox "$rootfs/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  tar -C "$rootfs" -cf "$W/busybox.tar" .
}
