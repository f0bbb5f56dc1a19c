#!/usr/bin/env bash
# Containers on a user network compared with docker 20.10 (a private dockerd from
# tests/env/dockerd.sh, busybox from a private registry): inspect's NetworkSettings (every
# key, Networks with IPAMConfig, Aliases with the short id, Gateway, IPAddress, IPPrefixLen,
# MacAddress; ids compared by length) and HostConfig.NetworkMode/Links, for a running
# container, a created one with the long form and --ip, one after network connect and
# disconnect, a stopped one; the words and exit codes of connect/disconnect refusals.
. "$(dirname "$0")/lib.sh"
t_busybox_registry
t_docker_pair
at_exit '"$BLD" network rm cmp cmp2 >/dev/null 2>&1; $DOCKER network rm cmp cmp2 >/dev/null 2>&1'

# ids and the sandbox differ by nature: their lengths are compared, a short-id alias by shape
norm='.[0] | {NetworkMode: .HostConfig.NetworkMode, Links: .HostConfig.Links,
  NS: (.NetworkSettings | del(.SandboxID, .SandboxKey) | .Networks |= map_values(
    .NetworkID |= length | .EndpointID |= length |
    .Aliases |= (if . then map(if test("^[0-9a-f]{12}$") then "SHORT" else . end) else . end)))}'
same() { # NAME CONTAINER — inspect of CONTAINER on both sides, normalised, equal
  t_eq "$1" "$(D inspect "$2" | jq -S "$norm")" "$(B inspect "$2" | jq -S "$norm")"
}
for t in B D; do
  $t network create --subnet 172.28.0.0/16 cmp >/dev/null
  $t network create --subnet 172.29.0.0/16 cmp2 >/dev/null
  $t run -d --name cw --network cmp --network-alias web "$BASE" sleep 300 >/dev/null
  $t create --name cc --network name=cmp,alias=x --ip 172.28.0.9 "$BASE" true >/dev/null
  $t run -d --name c2 --network cmp2 "$BASE" sleep 300 >/dev/null
done
same "a running container on a user network: inspect as docker's" cw
t_eq "... its address, gateway and MAC as docker's" \
  "$(D inspect cw | jq -c '.[0].NetworkSettings.Networks.cmp | [.IPAddress, .Gateway, .MacAddress]')" \
  "$(B inspect cw | jq -c '.[0].NetworkSettings.Networks.cmp | [.IPAddress, .Gateway, .MacAddress]')"
same "a created one (long form, --ip): inspect as docker's" cc
for t in B D; do $t network connect --alias c2a cmp c2; done
same "after network connect: inspect as docker's" c2
for t in B D; do $t network disconnect cmp c2; done
same "after network disconnect: inspect as docker's" c2
for t in B D; do $t stop -t 0 cw >/dev/null; done
same "stopped: inspect as docker's (the network's id and the aliases kept)" cw
# refusals: bld's "bld: X" against docker's "Error response from daemon: X"
refusal() { # NAME ARGS... — the same network command on both: words and exit code
  local name=$1; shift
  local d b
  d=$(D network "$@" 2>&1); local dr=$?
  b=$(B network "$@" 2>&1); local br=$?
  t_eq "$name" "$dr ${d#Error response from daemon: }" "$br ${b#bld: }"
}
refusal "connect to no such network, as docker" connect nosuch c2
refusal "connect of no such container, as docker" connect cmp2 nosuch
refusal "connect twice, as docker" connect cmp2 c2
refusal "disconnect of no such network, as docker" disconnect nosuch c2
refusal "connect to host, as docker" connect host c2
refusal "connect to none, as docker" connect none c2
dd=$(D network disconnect cmp c2 2>&1); dr=$?
bb=$(B network disconnect cmp c2 2>&1); br=$?
t_eq "disconnect when not connected, as docker (ids aside)" \
  "$dr $(sed 's/[0-9a-f]\{64\}/ID/' <<<"${dd#Error response from daemon: }")" \
  "$br $(sed 's/[0-9a-f]\{64\}/ID/' <<<"${bb#bld: }")"
