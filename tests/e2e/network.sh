#!/usr/bin/env bash
# tests/e2e/network.sh — the network store and its commands, inside the test's network
# namespace: network create (its id, subnets from docker's default pools that skip other
# networks and a route the test adds, --subnet/--gateway/--ip-range/--ipv6/-o/--label/
# --internal/--attachable), docker's refusals and exit codes, ls (filters, -q, --no-trunc,
# --format, table), inspect (by name, id, prefix; Containers from live endpoints), rm
# (predefined ones and networks with endpoints refused, the bridge device deleted), prune
# (filters), the default bridge's leases (released, a dead monitor's taken over) and
# system check (stale leases and endpoints are not damage; a damaged record is).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

id_of() { B network inspect -f '{{.Id}}' "$1"; }
cfg_of() { B network inspect -f '{{json .IPAM.Config}}' "$1"; }

# ------------------------------------------------------------------ predefined, create
t_eq "ls on a new store: the predefined networks, docker's columns" \
  "NETWORK ID|NAME|DRIVER|SCOPE;bridge|bridge|local;host|host|local;none|null|local" \
  "$(B network ls | sed -E 's/^[0-9a-f]{12} +//; s/^NETWORK ID +/NETWORK ID|/; s/  +/|/g' | paste -sd';')"
t_eq "the default bridge is bld0 on 10.88.0.0/16" 'bld0 [{"Subnet":"10.88.0.0/16"}]' \
  "$(B network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' bridge 2>/dev/null | grep -c . >/dev/null;
     echo "$(B network inspect bridge | jq -r '.[0].Options["com.docker.network.bridge.name"]') $(cfg_of bridge)")"
id1=$(B network create n1); rc=$?
t_eq "create prints a 64-hex id and exits 0" "0 yes" "$rc $(grep -qE '^[0-9a-f]{64}$' <<<"$id1" && echo yes)"
t_eq "... the first default pool, with its gateway" '[{"Subnet":"172.17.0.0/16","Gateway":"172.17.0.1"}]' "$(cfg_of n1)"
t_eq "... network.json in the store, without Containers" "n1 false" \
  "$(jq -r '"\(.Name) \(has("Containers"))"' "$BLD_ROOT/networks/$id1/network.json")"
B network create n2 >/dev/null
t_eq "the next network gets the next pool" '[{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}]' "$(cfg_of n2)"
N ip link add rt0 type bridge && N ip addr add 172.19.0.1/16 dev rt0 && N ip link set rt0 up
B network create n3 >/dev/null
t_eq "a pool the host routes (172.19.0.0/16 here) is skipped" '[{"Subnet":"172.20.0.0/16","Gateway":"172.20.0.1"}]' "$(cfg_of n3)"
B network rm n3 >/dev/null
N ip link del rt0

B network create --subnet 10.1.0.0/16 --gateway 10.1.0.254 --ip-range 10.1.1.0/24 --ipv6 \
  --subnet fd00::/64 --label a=b -o com.docker.network.bridge.name=mybr \
  -o com.docker.network.driver.mtu=1400 --internal --attachable full >/dev/null
t_eq "create's flags, as docker records them" \
  '{"EnableIPv6":true,"Internal":true,"Attachable":true,"Config":[{"Subnet":"10.1.0.0/16","IPRange":"10.1.1.0/24","Gateway":"10.1.0.254"},{"Subnet":"fd00::/64"}],"Options":{"com.docker.network.bridge.name":"mybr","com.docker.network.driver.mtu":"1400"},"Labels":{"a":"b"}}' \
  "$(B network inspect full | jq -c '.[0] | {EnableIPv6, Internal, Attachable, Config: .IPAM.Config, Options, Labels}')"

# ------------------------------------------------------------------ refusals
refused() { # NAME WANT-MESSAGE ARGS... — exit 1 and docker's words
  local name=$1 want=$2 out rc; shift 2
  out=$(B network create "$@" 2>&1); rc=$?
  t_eq "$name" "1 bld: $want" "$rc $out"
}
refused "a subnet overlapping another network's" "Pool overlaps with other one on this address space" --subnet 10.1.5.0/24 x
refused "a name taken" "network with name n1 already exists" n1
refused "a predefined name" "operation is not permitted on predefined host network" host
refused "an invalid subnet" "Invalid subnet foo : invalid CIDR address: foo" --subnet foo x
refused "a gateway without a subnet" "every ip-range or gateway must have a corresponding subnet" --gateway 10.2.0.1 x
refused "a gateway outside the subnet" "no matching subnet for gateway 10.3.0.1" --subnet 10.2.0.0/16 --gateway 10.3.0.1 x
refused "a range outside the subnet" "no matching subnet for range 10.3.0.0/24" --subnet 10.2.0.0/16 --ip-range 10.3.0.0/24 x
refused "two overlapping subnets" "multiple overlapping subnet configuration is not supported" --subnet 10.4.0.0/16 --subnet 10.4.1.0/24 x
refused "a /31" "failed to allocate gateway (): No available addresses on this pool" --subnet 10.11.0.0/31 x
refused "the network address as gateway" "failed to allocate gateway (10.9.0.0): Address already in use" --subnet 10.9.0.0/16 --gateway 10.9.0.0 x
refused "a gateway with a prefix" "invalid gateway address 10.13.0.1/24 in Ipam configuration" --subnet 10.13.0.0/16 --gateway 10.13.0.1/24 x
refused "--ipv6 without an IPv6 subnet" "could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network" --ipv6 x
refused "an unknown driver" 'plugin "foo" not found' --driver foo x
refused "a second host network" 'only one instance of "host" network is allowed' --driver host x
refused "an MTU that is no number" 'failed to parse com.docker.network.driver.mtu value: abc (strconv.Atoi: parsing "abc": invalid syntax)' -o com.docker.network.driver.mtu=abc x
t_eq "no refused network was made" "" "$(B network ls -q --filter name='^x$')"

# ------------------------------------------------------------------ ls
B network create --label env=prod --label tier n4 >/dev/null
t_eq "ls --filter driver=null" "none" "$(B network ls --filter driver=null --format '{{.Name}}')"
t_eq "ls --filter type=custom --filter label=env=prod" "n4" "$(B network ls --filter type=custom --filter label=env=prod --format '{{.Name}}')"
t_eq "ls --filter type=builtin, natural order" "bridge host none" "$(B network ls --filter type=builtin --format '{{.Name}}' | xargs)"
t_eq "ls --filter name= is a regular expression" "n1 n2 n4" "$(B network ls --filter 'name=^n[0-9]' --format '{{.Name}}' | xargs)"
t_eq "ls --filter id= (a prefix of the id)" "n1" "$(B network ls --filter "id=^${id1:0:10}" --format '{{.Name}}')"
t_eq "ls -q: short ids" "$(printf '%s\n' "${id1:0:12}")" "$(B network ls -q --filter name='^n1$')"
t_eq "ls --no-trunc -q: full ids" "$id1" "$(B network ls -q --no-trunc --filter name='^n1$')"
t_match "ls --format: IPv6, Internal, Labels, CreatedAt, Label" \
  '^n4\|false\|false\|env=prod,tier=\|[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ \+0000 UTC\|prod$' \
  "$(B network ls --filter name=n4 --format '{{.Name}}|{{.IPv6}}|{{.Internal}}|{{.Labels}}|{{.CreatedAt}}|{{.Label "env"}}')"
t_eq "ls --format table: docker's header" "NAME      DRIVER;none      null" \
  "$(B network ls --filter driver=null --format 'table {{.Name}}\t{{.Driver}}' | paste -sd';')"
out=$(B network ls --filter foo=bar 2>&1); rc=$?
t_eq "ls with an unknown filter: docker's refusal, exit 1" "1 bld: Invalid filter 'foo'" "$rc $out"
t_exit "ls --filter type=xx exits 1" 1 B network ls --filter type=xx

# ------------------------------------------------------------------ inspect, rm, prune
t_eq "inspect by full id, unique prefix and name" "n1 n1 n1" \
  "$(B network inspect -f '{{.Name}}' "$id1" "${id1:0:5}" n1 | xargs)"
out=$(B network inspect nosuch 2>/dev/null); rc=$?
t_eq "inspect of no such network prints [] and exits 1" "1 []" "$rc $out"
t_eq "... and says so" "bld: No such network: nosuch" "$(B network inspect nosuch 2>&1 >/dev/null)"
out=$(B network rm bridge 2>&1); rc=$?
t_eq "rm of a predefined network: docker's refusal, exit 1" "1 bld: bridge is a pre-defined network and cannot be removed" "$rc $out"
out=$(B network rm nosuch n2 2>&1); rc=$?
t_eq "rm goes on after a missing one, exits 1" "1 bld: No such network: nosuch;n2" "$rc $(paste -sd';' <<<"$out")"
# rootless, bridges are in the user's network namespace, made by a network's first container
t_rootless && B run --rm --network n2 $IMG true
NB ip link add "br-${id1:0:12}" type bridge
B network rm n1 >/dev/null
t_eq "rm deletes the network's bridge device and its directory" "gone gone" \
  "$(NB ip link show "br-${id1:0:12}" >/dev/null 2>&1 || echo gone) $([ -d "$BLD_ROOT/networks/$id1" ] || echo gone)"

# a container on the default bridge, and an endpoint for it on network ep (as an attached
# container's monitor writes it)
cid=$(B run -d --name c1 $IMG sleep 300)
epid=$(B network create ep)
brid=$(id_of bridge)
# rootless, the default network is pasta's: no lease on bld0, nothing in bridge's Containers
lease=1
t_rootless && lease=
t_root any t_match "the container's address is leased on the default bridge" '^10\.88\.0\.2$' "$(B inspect -f '{{.NetworkSettings.IPAddress}}' c1)"
t_root any t_eq "inspect bridge: a container on the default bridge is in Containers, as docker lists it" \
  "$(B inspect -f "{\"$cid\":{\"Name\":\"c1\",\"EndpointID\":\"{{.NetworkSettings.Networks.bridge.EndpointID}}\",\"MacAddress\":\"{{.NetworkSettings.Networks.bridge.MacAddress}}\",\"IPv4Address\":\"10.88.0.2/16\",\"IPv6Address\":\"\"}}" c1)" \
  "$(B network inspect -f '{{json .Containers}}' bridge)"
t_root any t_eq "... in networks/<bridge id>/leases, at host 2's record" "$cid" "$(dd if="$BLD_ROOT/networks/$brid/leases" bs=65 skip=1 count=1 2>/dev/null | head -c 64)"
printf '{"Name":"c1","ID":"%s","Aliases":[],"IPv4Address":"172.17.0.2","IPv6Address":"","PrefixLen":16,"MacAddress":"02:42:ac:11:00:02","EndpointID":"%s"}' \
  "$cid" "$(printf 'e%.0s' {1..64})" >"$BLD_ROOT/networks/$epid/endpoints/$cid.json"
t_eq "inspect: Containers from the endpoints" \
  "{\"$cid\":{\"Name\":\"c1\",\"EndpointID\":\"$(printf 'e%.0s' {1..64})\",\"MacAddress\":\"02:42:ac:11:00:02\",\"IPv4Address\":\"172.17.0.2/16\",\"IPv6Address\":\"\"}}" \
  "$(B network inspect -f '{{json .Containers}}' ep)"
out=$(B network rm ep 2>&1); rc=$?
t_eq "rm of a network with a live endpoint: docker's refusal, exit 1" \
  "1 bld: error while removing network: network ep id $epid has active endpoints" "$rc $out"
t_eq "ls --filter dangling=true leaves it out" "full n4" "$(B network ls --filter dangling=true --format '{{.Name}}' | xargs)"
B network create --label keep=yes kept >/dev/null
t_eq "prune --filter label!=keep=yes: docker's block; neither a network in use nor a kept one" \
  ";Deleted Networks:;full;n4" "$(B network prune -f --filter label!=keep=yes | sort | paste -sd';')"
t_eq "prune --filter until=1h keeps what is newer" "" "$(B network prune -f --filter until=1h)"
out=$(B network prune -f --filter until=xyz 2>&1); rc=$?
t_eq "prune with a bad until: docker's refusal, exit 1" "1 bld: failed to parse value as time or duration: \"xyz\"" "$rc $out"
t_eq "prune without -f asks, and no removes nothing" "kept" "$(echo n | B network prune >/dev/null 2>&1; B network ls -q --filter type=custom --format '{{.Name}}' | grep kept)"

# ------------------------------------------------------------------ kill -9, leases, system check
t_ok "system check is clean with a live lease and endpoint" B system check
mpid=$(jq -r .MonitorPid "$BLD_ROOT/containers/$cid/state.json")
kill -9 "$mpid"
for _ in $(seq 50); do kill -0 "$mpid" 2>/dev/null || break; sleep 0.1; done
out=$(B system check); rc=$?
t_eq "after a kill -9 of its monitor: the ${lease:+lease and }endpoint are stale, not damage" "0 yes" \
  "$rc $(grep -q "${lease:+1 leases (1 stale), }1 endpoints (1 stale)" <<<"$out" && echo yes)"
t_eq "... the endpoint counts as absent: the network goes" "ep" "$(B network rm ep)"
t_root any t_match "... and the next container takes the dead one's address over" '^10\.88\.0\.2$' \
  "$(B run --rm $IMG ip -4 -o addr show eth0 | grep -o '10\.88\.[0-9.]*')"
B rm -f c1 >/dev/null
t_root any t_eq "the address is free again after rm" "" "$(t_rootless || tr -d '\0' <"$BLD_ROOT/networks/$brid/leases")"
printf 'not a container id at all, not a container id at all, garbage!!!X' |
  dd of="$BLD_ROOT/networks/$brid/leases" bs=65 seek=5 conv=notrunc 2>/dev/null
out=$(B system check 2>&1); rc=$?
t_eq "system check finds a damaged lease record, exits 1" "1 yes" "$rc $(grep -q 'network bridge: lease of 10.88.0.6: a damaged record' <<<"$out" && echo yes)"
dd if=/dev/zero of="$BLD_ROOT/networks/$brid/leases" bs=65 seek=5 count=1 conv=notrunc 2>/dev/null
t_ok "system check is clean again" B system check
printf 'x' >>"$BLD_ROOT/networks/$brid/leases"
t_match "... and a lease file with a partial record" 'network bridge: leases ends in a partial record' "$(B system check 2>&1)"
truncate -s -1 "$BLD_ROOT/networks/$brid/leases"

for c in create ls inspect rm prune; do
  t_match "network $c --help" "Usage:  bld network $c" "$(B network $c --help)"
done
t_match "network: the group's help" "create +Create a network" "$(B network)"
# docker's other spellings: "network list" and "network remove" (and the volume group's)
B network create spelled >/dev/null
t_eq "network list is network ls" "$(B network ls -q)" "$(B network list -q)"
t_eq "network remove removes" "spelled" "$(B network remove spelled)"
t_eq "volume list is volume ls" "$(B volume ls -q)" "$(B volume list -q)"
