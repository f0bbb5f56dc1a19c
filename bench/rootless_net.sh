#!/usr/bin/env bash
# bench/rootless_net.sh — TCP throughput of a container's network, rootless against root, in
# one run with iperf3 (-t SECS, one stream): from the container to a server on the host
#   root bridge   bld as root, the default bridge: to the bridge's gateway 10.88.0.1
#   pasta         bld as a user: the default network, pasta's gateway (the host's loopback)
#   user network  bld as a user, a user-defined network: its bridge in the rootless network
#                 namespace, NAT there, that namespace's pasta
#   slirp4netns   bld as a user with --network none, slirp4netns attached by hand as podman 4
#                 did (--mtu 65520): to 10.0.2.2 (the host's loopback)
# and from the host to a port published on 127.0.0.1 (the monitor's proxy), root and rootless.
# iperf3 is the host's, run in the container's network namespace (nsenter): the stack is
# measured, not the image. Everything lives in a private mount and network namespace made
# here: a veth pair with a default route is the host interface pasta copies, a /dev/net/tun
# node the user may open is bound over the host's, and a user with subordinate ids is made
# (removed at the end with its lines of /etc/subuid and /etc/subgid). Not a timed test.
#   SECS=N seconds per measurement (default 3)  BLD=path (default ./bld)
set -eu
[ -n "${BENCH_DEBUG:-}" ] && set -x
cd "$(dirname "$0")/.."
BLD=${BLD:-$PWD/bld}
SECS=${SECS:-3}
for t in iperf3 pasta slirp4netns busybox; do
  command -v $t >/dev/null || { echo "bench/rootless_net.sh: $t is not installed"; exit 0; }
done

. bench/ns.bash
bench_enter "$0" "$@"
u=bldbench$$
pids=()
done_() {
  "$BLD" rm -f br bp >/dev/null 2>&1 || true
  A rm -f un up us >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  kill $(cat "$W/run/bld/pause.pid" "$W/run/bld/netns-pasta.pid" 2>/dev/null) 2>/dev/null || true
  userdel -f "$u" >/dev/null 2>&1 || true # -f: zombies of the user would keep it
  sed -i "/^$u:/d" /etc/subuid /etc/subgid
  umount /dev/net/tun 2>/dev/null || true
  bench_cleanup
}
trap done_ EXIT
export BLD_ROOT=$W/root
# the "outside": a namespace behind a veth pair, 10.199.0.3 (and the gateway .1) there
unshare -n sleep 600 & far=$!; pids+=($far)
sleep 0.1
ip link add bnet0 type veth peer name bnet1 && ip link set bnet1 netns "$far"
ip addr add 10.199.0.2/24 dev bnet0 && ip link set bnet0 up && ip route add default via 10.199.0.1
nsenter --net="/proc/$far/ns/net" sh -c 'ip link set lo up && ip link set bnet1 up &&
  ip addr add 10.199.0.1/24 dev bnet1 && ip addr add 10.199.0.3/24 dev bnet1'
nsenter --net="/proc/$far/ns/net" iperf3 -s -p 5201 >/dev/null 2>&1 & pids+=($!)
mknod -m 666 "$W/tun" c 10 200 && mount --bind "$W/tun" /dev/net/tun
useradd -M -d "$W/home" -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$u"
echo "$u:320000:65536" >>/etc/subuid
echo "$u:320000:65536" >>/etc/subgid
chmod 755 "$W"
install -d -o "$u" -g "$u" "$W/home" && install -d -m 700 -o "$u" -g "$u" "$W/run"
A() {
  (cd "$W/home" && setpriv --reuid="$u" --regid="$u" --init-groups \
    env -i PATH="$PATH" HOME="$W/home" XDG_RUNTIME_DIR="$W/run" "$BLD" "$@")
}
bench_busybox_tar "$W/rootfs" sh sleep
chmod 644 "$W/busybox.tar"
"$BLD" import "$W/busybox.tar" bench/busybox:latest >/dev/null
A import "$W/busybox.tar" bench/busybox:latest >/dev/null
img=bench/busybox:latest

iperf3 -s -p 5201 >/dev/null 2>&1 & pids+=($!)
cpid() { "$1" inspect -f '{{.State.Pid}}' "$2"; }
# gbits PID ADDR [PORT]: iperf3 from the network namespace of PID to ADDR, in Gbit/s
gbits() {
  nsenter --net="/proc/$1/ns/net" iperf3 -c "$2" -p "${3:-5201}" -t "$SECS" -J |
    python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
}
# inbound PID HOSTPORT: iperf3 from the host to 127.0.0.1:HOSTPORT, published to port 5202 where a
# server runs in the namespace of PID, in Gbit/s
inbound() {
  nsenter --net="/proc/$1/ns/net" iperf3 -s -1 -B 127.0.0.1 -p 5202 >/dev/null 2>&1 &
  local s=$!
  sleep 0.3
  iperf3 -c 127.0.0.1 -p "$2" -t "$SECS" -J |
    python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
  wait "$s" || true
}
W() { sleep 0.3; }

"$BLD" run -d --name br -p 127.0.0.1:15301:5202 "$img" sleep 600 >/dev/null
A run -d --name up -p 127.0.0.1:15302:5202 "$img" sleep 600 >/dev/null
A run -d --name us --network none "$img" sleep 600 >/dev/null
A network create bench-net >/dev/null
A run -d --name un --network bench-net "$img" sleep 600 >/dev/null
W
spid=$(cpid A us)
setpriv --reuid="$u" --regid="$u" --init-groups slirp4netns --configure --mtu 65520 \
  --userns-path="/proc/$spid/ns/user" --netns-type=path "/proc/$spid/ns/net" tap0 >/dev/null 2>&1 &
pids+=($!)
W
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %8s\n' "iperf3 ${SECS}s, one stream" "Gbit/s"
printf '%-44s %8s\n' "container -> outside (10.199.0.3)" ""
printf '%-44s %8s\n' "root bridge (NAT)" "$(gbits "$(cpid "$BLD" br)" 10.199.0.3)"
printf '%-44s %8s\n' "rootless, pasta" "$(gbits "$(cpid A up)" 10.199.0.3)"
printf '%-44s %8s\n' "rootless, slirp4netns" "$(gbits "$spid" 10.199.0.3)"
printf '%-44s %8s\n' "rootless, user network (namespace's pasta)" "$(gbits "$(cpid A un)" 10.199.0.3)"
printf '%-44s %8s\n' "container -> host's loopback" ""
printf '%-44s %8s\n' "root bridge (its gateway 10.88.0.1)" "$(gbits "$(cpid "$BLD" br)" 10.88.0.1)"
printf '%-44s %8s\n' "rootless, pasta (its gateway)" "$(gbits "$(cpid A up)" 10.199.0.1)"
printf '%-44s %8s\n' "rootless, slirp4netns (10.0.2.2)" "$(gbits "$spid" 10.0.2.2)"
printf '%-44s %8s\n' "host -> published port 127.0.0.1 (proxy)" ""
printf '%-44s %8s\n' "root" "$(inbound "$(cpid "$BLD" br)" 15301)"
printf '%-44s %8s\n' "rootless" "$(inbound "$(cpid A up)" 15302)"
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
