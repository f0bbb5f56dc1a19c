#!/usr/bin/env bash
# tests/e2e/rootless_net.sh — networking of rootless bld (pasta), as a user made here with
# subordinate ids: the default network's eth0 with the host interface's address (inspect's and
# /etc/hosts' too), the gateway reaching a server on the host's 127.0.0.1 (the test registry),
# a port published on 127.0.0.1 reached from the host, pasta gone with the container; RUN
# steps of a rootless build on the host's network; a user-defined network in the rootless
# network namespace (containers resolving each other by name, going out through its pasta; a
# compose project on one); that namespace made again, its old pasta stopped, after bld-pause
# died; without /dev/net/tun the loopback alone, said on stderr.
# The script's network namespace gets a veth pair (both ends here) with an address and a
# default route, the host interface pasta copies; its mount namespace a /dev/net/tun the user
# may open (or not), bind-mounted over the host's. Nothing leaves the namespace.
[ -n "${RLN_PRIVATE:-}" ] || exec unshare --mount --propagation private env RLN_PRIVATE=1 bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

BLD=$T_BLD
command -v pasta >/dev/null || { t_fail "pasta is not installed (Debian's passt: make deps)"; exit 1; }
ip link add rln0 type veth peer name rln1 && ip link set rln1 up &&
  ip addr add 10.199.0.2/24 dev rln0 && ip link set rln0 up &&
  ip route add default via 10.199.0.1 || { t_fail "host interface for pasta"; exit 1; }
at_exit "ip link del rln0 2>/dev/null"
tun() { # MODE: /dev/net/tun as a node of that mode, in this mount namespace alone
  umount /dev/net/tun 2>/dev/null
  rm -f "$T_DIR/tun" && mknod -m "$1" "$T_DIR/tun" c 10 200 && mount --bind "$T_DIR/tun" /dev/net/tun
}
tun 666 || { t_fail "a /dev/net/tun of our own"; exit 1; }
at_exit "umount /dev/net/tun 2>/dev/null"
t_busybox_registry
chmod 755 "$T_DIR"
u=rln$$
# our lines of /etc/subuid and /etc/subgid go at exit, and only they (not a copy put back: a
# script running beside this one may have added its own meanwhile)
at_exit "sed -i '/^$u:/d' /etc/subuid /etc/subgid"
useradd -M -d "$T_DIR/home" -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$u" >/dev/null 2>&1 ||
  { t_fail "useradd $u"; exit 1; }
at_exit "userdel -f '$u' >/dev/null 2>&1" # -f: a zombie of the user's (init slow to reap) would keep it
install -d -o "$u" -g "$u" "$T_DIR/home"
install -d -m 700 -o "$u" -g "$u" "$T_DIR/run"
echo "$u:310000:65536" >>/etc/subuid
echo "$u:310000:65536" >>/etc/subgid
A() {
  (cd "$T_DIR/home" && setpriv --reuid="$u" --regid="$u" --init-groups \
    env -i PATH="$PATH" HOME="$T_DIR/home" XDG_RUNTIME_DIR="$T_DIR/run" "$BLD" "$@")
}
live() { ps -o stat= -p "$1" 2>/dev/null | grep -qv '^Z'; } # a zombie is gone: init reaps it
# the user's processes (containers, pastas, bld-pause) are stopped at exit
stop_all() {
  A rm -f $(A ps -aq 2>/dev/null) >/dev/null 2>&1
  local p i
  for p in netns-pasta pause; do
    p=$(cat "$T_DIR/run/bld/$p.pid" 2>/dev/null) && kill "$p" 2>/dev/null
    for i in $(seq 50); do live "$p" || break; sleep 0.1; done
  done
  rm -f "$T_DIR/run/bld/netns-pasta.pid"
}
at_exit stop_all
# the user's live pastas (or the passt.avx2 pasta execs); not the zombies init has yet to reap
pastas() { ps -u "$u" -o pid=,stat=,comm= | awk '$2 !~ /^Z/ && $3 ~ /^pas(ta|st)/ {print $1}' | paste -sd' '; }
gw=10.199.0.1 REG_PORT=${REG_ADDR##*:}

t_ok "rootless pull" A pull -q "$BASE"
out=$(A run --rm "$BASE" sh -c 'ip -4 -o addr show eth0; ip route' 2>&1)
t_match "the default network: eth0 with the host interface's address" \
  'eth0 +inet 10\.199\.0\.2/24' "$out"
t_match "... and its default route" "^default via $gw dev eth0" "$out"
t_match "... /etc/hosts names the container with it, as docker's does" '^10\.199\.0\.2[[:space:]]+named$' \
  "$(A run --rm -h named "$BASE" cat /etc/hosts 2>&1)"
t_eq "... the gateway is the host's loopback: the registry on 127.0.0.1" "{}" \
  "$(A run --rm "$BASE" timeout 10 wget -q -O- "http://$gw:$REG_PORT/v2/" 2>&1)"
t_eq "... no pasta left after run --rm" "" "$(pastas)"

t_ok "run -d -p 127.0.0.1:18080:8080" A run -d --name web -p 127.0.0.1:18080:8080 "$BASE" \
  sh -c 'mkdir -p /www && echo hello-rootless >/www/index.html && exec httpd -f -p 8080 -h /www'
pid=$(pastas)
t_match "... its pasta runs, the user's" '^[0-9]+$' "$pid"
body=
for i in $(seq 50); do body=$(curl -sf http://127.0.0.1:18080/ 2>/dev/null) && break; sleep 0.1; done
t_eq "the published port reaches the container's server from the host" "hello-rootless" "$body"
t_match "bld port says it" '^8080/tcp -> 127\.0\.0\.1:18080$' "$(A port web 2>&1)"
t_eq "inspect shows eth0's address, gateway and MAC as the default network's, as docker does" \
  "10.199.0.2 24 $gw $(A exec web cat /sys/class/net/eth0/address 2>&1) $(A network inspect -f '{{.Id}}' bridge 2>&1)" \
  "$(A inspect -f '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}} {{.NetworkSettings.Networks.bridge.NetworkID}}' web 2>&1)"
t_ok "stop" A stop -t 0 web
t_eq "... its pasta is gone" "" "$(pastas)"
t_exit "... and the port is closed" 7 curl -s http://127.0.0.1:18080/
t_ok "start again" A start web
t_match "... a pasta again" '^[0-9]+$' "$(pastas)"
t_ok "rm -f" A rm -f web
t_eq "... its pasta is gone" "" "$(pastas)"
t_ok "run -d, then its monitor killed" A run -d --name orphan "$BASE" sleep 600
oid=$(A inspect -f '{{.Id}}' orphan 2>/dev/null)
kill -9 "$(jq -r .MonitorPid "$T_DIR/home/.local/share/bld/containers/$oid/state.json" 2>/dev/null)"
t_match "... its pasta outlives the monitor" '^[0-9]+$' "$(pastas)"
t_ok "... rm -f" A rm -f orphan
t_eq "... stops its pasta too" "" "$(pastas)"

ctx=$T_DIR/ctx && mkdir -p "$ctx" && chmod 755 "$ctx"
printf 'FROM %s\nRUN wget -q -O /v2 http://127.0.0.1:%s/v2/\n' "$BASE" "$REG_PORT" >"$ctx/Dockerfile"
t_ok "a RUN step of a rootless build reaches the host's loopback" A build -q -t netrun "$ctx"

t_ok "rootless network create" A network create rn1
t_ok "a server on it" A run -d --name srv --network rn1 "$BASE" \
  sh -c 'mkdir /www && echo hello-by-name >/www/index.html && exec httpd -f -p 8080 -h /www'
# ip in the rootless network namespace, bound in the user's mount namespace (bld-pause's)
rns() { nsenter -t "$(cat "$T_DIR/run/bld/pause.pid")" -m nsenter --net="$T_DIR/run/bld/netns" "$@"; }
t_match "... its network's bridge lives in the rootless network namespace" \
  '^[0-9]+: br-' "$(rns ip -o link show type bridge 2>&1)"
t_eq "a container on the network reaches the server by its name (bld's DNS)" "hello-by-name" \
  "$(A run --rm --network rn1 "$BASE" timeout 10 wget -q -O- http://srv:8080/ 2>&1)"
t_eq "... with pasta's MTU, not 1500" "65520" \
  "$(A run --rm --network rn1 "$BASE" cat /sys/class/net/eth0/mtu 2>&1)"
t_eq "... and the host's loopback through the namespace's pasta" "{}" \
  "$(A run --rm --network rn1 "$BASE" timeout 10 wget -q -O- "http://$gw:$REG_PORT/v2/" 2>&1)"
t_ok "network rm after the server's rm" sh -c "$(declare -f A); u=$u T_DIR=$T_DIR; A rm -f srv && A network rm rn1"
t_eq "... its bridge is gone" "" "$(rns ip -o link show type bridge 2>&1)"
proj=$T_DIR/proj && mkdir -p "$proj" && chmod 755 "$proj"
cat >"$proj/compose.yaml" <<EOF
services:
  web:
    image: $BASE
    command: ["sh", "-c", "mkdir -p /www && echo hello-compose >/www/index.html && exec httpd -f -p 8080 -h /www"]
  client:
    image: $BASE
    command: ["sleep", "600"]
EOF
chmod 644 "$proj/compose.yaml"
C() { A compose -f "$proj/compose.yaml" -p rlnproj "$@"; }
t_ok "rootless compose up: a project on a network of its own" C up -d
body=
for i in $(seq 30); do body=$(C exec -T client wget -q -O- http://web:8080/ 2>/dev/null) && break; sleep 0.1; done
t_eq "... a service reaches another by its name" "hello-compose" "$body"
t_ok "... compose down" C down -t 0
t_eq "... its network is gone" "" "$(A network ls -q --filter name=rlnproj 2>&1)"

old=$(cat "$T_DIR/run/bld/netns-pasta.pid" 2>/dev/null)
pause=$(cat "$T_DIR/run/bld/pause.pid" 2>/dev/null)
kill "$pause" 2>/dev/null
for i in $(seq 50); do live "$pause" || break; sleep 0.1; done
A network create rn3 >/dev/null 2>&1
A run --rm --network rn3 "$BASE" true >/dev/null 2>&1
new=$(cat "$T_DIR/run/bld/netns-pasta.pid" 2>/dev/null)
t_eq "a new bld-pause makes the namespace again, and stops the old one's pasta" "gone running" \
  "$(live "${old:-0}" && echo running || echo gone) $([ "$new" != "$old" ] && live "${new:-0}" && echo running)"

# the user's namespace holder has the /dev/net/tun of its start: a new one for the next
stop_all
tun 600
out=$(A run --rm "$BASE" ls /sys/class/net 2>&1)
t_match "without /dev/net/tun: said once on stderr" \
  '^bld: warning: rootless: no network stack \(pasta: .*tun.*\): the container has the loopback alone' \
  "$out"
t_eq "... and the loopback alone" "lo" "$(grep -v '^bld:' <<<"$out" | paste -sd' ')"
t_ok "... a port is still published" A run -d --name web2 -p 127.0.0.1:18081:8080 "$BASE" \
  sh -c 'mkdir /www && echo via-proxy >/www/index.html && exec httpd -f -p 8080 -h /www'
body=
for i in $(seq 50); do body=$(curl -sf http://127.0.0.1:18081/ 2>/dev/null) && break; sleep 0.1; done
t_eq "... and reached" "via-proxy" "$body"
A rm -f web2 >/dev/null 2>&1
A network create rn2 >/dev/null 2>&1
t_match "... a user-defined network's containers reach each other alone, said on stderr" \
  '^bld: warning: rootless: user-defined networks have no way out \(pasta: .*tun.*\)' \
  "$(A run --rm --network rn2 "$BASE" true 2>&1)"
