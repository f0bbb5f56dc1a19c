#!/usr/bin/env bash
# Containers on user-defined networks, inside a network namespace this test creates: two on
# one network reach each other over TCP (busybox httpd/wget) and one on another network
# cannot; `network connect` gives a running container a new interface there and it can,
# `disconnect` takes it away and it cannot, by address and by name (the embedded resolver);
# several --network at once; the endpoint files
# while it runs; --network container:NAME shares the interfaces and localhost; -p on a user
# network answers on 127.0.0.1; an --internal network has no default route; docker's
# refusals and exit codes; nothing left after rm and network rm (veths, leases, endpoints,
# firewall rules).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

ipof() { B inspect "$1" | jq -r ".[0].NetworkSettings.Networks[\"$2\"].IPAddress"; }
# get FROM URL — busybox wget inside container FROM, two seconds at most (its own -T crashes)
get() { B exec "$1" timeout 2 wget -q -O- "$2" 2>/dev/null; }
# t_fails NAME CMD... — CMD must fail
t_fails() { local n=$1; shift; if "$@" >/dev/null 2>&1; then t_fail "$n" "it succeeded"; else t_pass "$n"; fi; }

mkdir -p "$T_DIR/www" && echo "hello from web" >"$T_DIR/www/index.html"
B network create front >/dev/null && B network create back >/dev/null ||
  { t_fail "network create"; exit 1; }
B run -d --name web --network front -v "$T_DIR/www:/www:ro" $IMG httpd -f -p 80 -h /www >/dev/null
B run -d --name peer --network front $IMG sleep 300 >/dev/null
B run -d --name other --network back $IMG sleep 300 >/dev/null
wip=$(ipof web front)
t_match "web has an address on front" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' "$wip"
for i in $(seq 50); do get peer "http://$wip/" >/dev/null && break; sleep 0.1; done
t_eq "a container on the same network reaches it over TCP" "hello from web" "$(get peer "http://$wip/")"
t_fails "a container on another network cannot" get other "http://$wip/"
t_eq "a container on the same network reaches it by name" "hello from web" "$(get peer http://web/)"
t_fails "one on another network cannot, by name either" get other http://web/
t_match "the isolation rules are docker's" "-A BLD-ISOLATION-STAGE-2 -o br-[0-9a-f]{12} -j DROP" \
  "$(NB iptables -S BLD-ISOLATION-STAGE-2)"
# started again at once after it exited, as `docker start` after `docker run` is: the last
# run's monitor may still be taking its interfaces down
B run --name again --network front --network back $IMG true >/dev/null
ok=0; for i in 1 2 3 4 5; do B start -a again >/dev/null 2>&1 && ok=$((ok+1)); done
t_eq "started again right after each exit, five times" 5 "$ok"
B rm -f again >/dev/null

wid=$(B inspect -f '{{.Id}}' web)
fid=$(B network inspect -f '{{.Id}}' front)
t_ok "web's endpoint file is there while it runs" test -f "$BLD_ROOT/networks/$fid/endpoints/$wid.json"
t_eq "... with its address" "$wip" "$(jq -r .IPv4Address "$BLD_ROOT/networks/$fid/endpoints/$wid.json")"

# --- connect and disconnect, live ---
t_ok "network connect --alias front other" B network connect --alias oth front other
t_match "other has a second interface, on front" "eth1 +inet $(ipof other front)/" "$(B exec other ip -4 -o addr)"
t_eq "and now reaches web" "hello from web" "$(get other "http://$wip/")"
t_eq "... by name too" "hello from web" "$(get other http://web/)"
t_match "and web finds it by its new alias" "$(ipof other front)" \
  "$(B exec web nslookup oth 2>/dev/null | tail -n +3)"
oid=$(B inspect -f '{{.Id}}' other)
t_eq "inspect lists both networks, the alias and the short id" "back front [oth ${oid:0:12}]" \
  "$(B inspect other | jq -r '.[0].NetworkSettings.Networks | "\(keys | join(" ")) \(.front.Aliases)"' | tr -d '"' | sed 's/,/ /')"
t_eq "ps --filter network=front lists it with the others there" "other peer web" \
  "$(B ps --filter network=front --format '{{.Names}}' | sort | tr '\n' ' ' | sed 's/ $//')"
t_eq "... and so does network=ID" "other peer web" \
  "$(B ps --filter "network=$fid" --format '{{.Names}}' | sort | tr '\n' ' ' | sed 's/ $//')"
t_exit "connecting again is refused (exit 1)" 1 B network connect front other
t_match "... in docker's words" "endpoint with name other already exists in network front" \
  "$(B network connect front other 2>&1)"
t_ok "network disconnect front other" B network disconnect front other
t_eq "its interface is gone" "" "$(B exec other ip -o link show eth1 2>/dev/null)"
t_fails "and it cannot reach web anymore" get other "http://$wip/"
t_fails "... nor by name" get other http://web/
t_match "disconnecting again: not connected (exit 1)" "is not connected to network front" \
  "$(B network disconnect front other 2>&1; echo "exit $?")"
t_match "... exit 1" "exit 1$" "$(B network disconnect front other 2>&1; echo "exit $?")"
t_eq "network connect nosuch: docker's error" "bld: network nosuch not found|1" \
  "$(B network connect nosuch other 2>&1)|$?"
t_eq "network connect to no such container" "bld: No such container: nosuch|1" \
  "$(B network connect front nosuch 2>&1)|$?"
B network disconnect front peer
B restart -t 0 peer >/dev/null
t_eq "disconnected from its own network, a container restarts on none, as docker's" "lo|{}" \
  "$(B exec peer ls /sys/class/net)|$(B inspect -f '{{json .NetworkSettings.Networks}}' peer)"
B create --name later --network back $IMG sleep 300 >/dev/null
t_ok "a created container is connected at its start" B network connect front later
B start later >/dev/null
t_eq "... and reaches web then" "hello from web" "$(get later "http://$wip/")"
B network connect bridge later
B restart -t 0 later >/dev/null
t_match "connected to the default bridge too, it is there after a restart" "inet 10\.88\." \
  "$(B exec later ip -4 -o addr)"

# --- several networks, container:NAME, -p, --internal ---
out=$(B run --rm --network front --network back $IMG ip -4 -o addr)
t_match "--network twice: an interface on each" "eth0 .*eth1 " "$(tr '\n' ' ' <<<"$out")"
out=$(B run --rm --network container:web $IMG sh -c 'ip -4 -o addr show eth0; timeout 2 wget -q -O- http://127.0.0.1/')
t_match "--network container:web has web's interface" "inet $wip/" "$out"
t_match "... and its localhost" "hello from web" "$out"
t_eq "... and its hostname, /etc/hosts line and resolv.conf, as docker's" \
  "$(B exec web sh -c 'hostname; tail -1 /etc/hosts; cat /etc/resolv.conf')" \
  "$(B run --rm --network container:web $IMG sh -c 'hostname; tail -1 /etc/hosts; cat /etc/resolv.conf')"
t_exit "--network container:nosuch is refused" 125 B run --rm --network container:nosuch $IMG true
port=$(free_port)
B run -d --name pub --network front -p "$port:80" -v "$T_DIR/www:/www:ro" $IMG httpd -f -p 80 -h /www >/dev/null
for i in $(seq 50); do N curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
t_eq "-p on a user network answers on 127.0.0.1" "hello from web" "$(N curl -sf "http://127.0.0.1:$port/")"
t_eq "--link on a user network: the alias reaches the linked container" "hello from web" \
  "$(B run --rm --network front --link web:w $IMG timeout 2 wget -q -O- http://w/)"
t_eq "--mac-address on a user network: eth0's, and inspect's" "92:d0:c6:0a:29:33 92:d0:c6:0a:29:33" \
  "$(B run --rm --network front --mac-address 92:d0:c6:0a:29:33 $IMG cat /sys/class/net/eth0/address) $(
     B inspect "$(B create --network front --mac-address 92:d0:c6:0a:29:33 $IMG true)" | jq -r '.[0].Config.MacAddress')"
B network create --ipv6 --subnet fd00:b1d::/64 six >/dev/null
out=$(B run --rm --network six $IMG sh -c 'ip -6 -o addr show eth0; ip -6 route; ping -c1 -W2 fd00:b1d::1')
t_match "--ipv6: an address of the subnet" "inet6 fd00:b1d::2/64" "$out"
t_match "... a default route through its gateway" "default via fd00:b1d::1" "$out"
t_match "... which answers on the bridge" "1 packets received" "$out"
B network create --internal inside >/dev/null
t_eq "an --internal network gives no default route" "" "$(B run --rm --network inside $IMG ip route | grep default)"
t_match "... but its subnet's" "dev eth0" "$(B run --rm --network inside $IMG ip route)"

B run -d --name onbridge $IMG sleep 300 >/dev/null
t_eq "on the default bridge: Networks.bridge names the bridge network, MAC 02:42 + IP, as docker" \
  "$(B network inspect -f '{{.Id}}' bridge) $(B exec onbridge cat /sys/class/net/eth0/address)" \
  "$(B inspect onbridge | jq -r '.[0].NetworkSettings | "\(.Networks.bridge.NetworkID) \(.MacAddress)"')"
t_root any t_match "... the MAC is docker's 02:42 + the address" '^02:42:0a:58:' "$(B exec onbridge cat /sys/class/net/eth0/address)"

B run -d --name again --restart always --network front $IMG sh -c 'ls /sys/class/net | grep eth; sleep 0.2; exit 1' >/dev/null
for i in $(seq 60); do [ "$(B inspect -f '{{.RestartCount}}' again)" -ge 3 ] && break; sleep 0.1; done
t_eq "a container restarted by its policy gets eth0 each time" "eth0 eth0 eth0" \
  "$(B logs again | head -3 | tr '\n' ' ' | sed 's/ $//')"
B rm -f again >/dev/null

# --- docker's refusals ---
t_eq "--network-alias on the default bridge" \
  "bld: network-scoped aliases are only supported for user-defined networks|125" \
  "$(B run --rm --network-alias a $IMG true 2>&1)|$?"
t_eq "--ip on the default bridge" \
  "bld: user specified IP address is supported on user defined networks only|125" \
  "$(B run --rm --ip 10.88.0.9 $IMG true 2>&1)|$?"
t_eq "user-defined and host at once" "bld: conflicting options: cannot attach both user-defined and non-user-defined network-modes|125" \
  "$(B run --rm --network front --network host $IMG true 2>&1)|$?"
t_eq "a network twice" "bld: network \"front\" is specified multiple times|125" \
  "$(B run --rm --network front --network front $IMG true 2>&1)|$?"
t_eq "an unknown field of the long form" \
  "bld: invalid argument \"name=front,foo=1\" for \"--network\" flag: invalid field key foo|125" \
  "$(B run --rm --network name=front,foo=1 $IMG true 2>&1)|$?"
cid=$(B create --network name=front,alias=al,ip=10.1.2.3 $IMG true)
t_eq "the long form's alias and address, in the created container's inspect" \
  '["al"] {"IPv4Address":"10.1.2.3"}' \
  "$(B inspect -f '{{json .NetworkSettings.Networks.front.Aliases}} {{json .NetworkSettings.Networks.front.IPAMConfig}}' "$cid")"

# --- nothing left ---
B rm -f $(B ps -aq) >/dev/null
t_eq "no endpoint file left" "" "$(find "$BLD_ROOT/networks" -path '*/endpoints/*.json')"
t_eq "no lease left" "" "$(cat "$BLD_ROOT"/networks/*/leases 2>/dev/null | tr -d '\0')"
t_ok "network rm of all" B network rm front back inside six
# (the loopback and a policy line: the namespace looked at is there)
t_eq "no bridge left" "1: lo:" "$(NB ip -o link show | grep -Eo '^1: lo:|br-[0-9a-f]*')"
t_eq "no rule of theirs left" "-P INPUT ACCEPT" \
  "$(NB iptables -S | grep -E '^-P INPUT|br-'; NB iptables -t nat -S | grep br-)"
t_eq "nothing of bld remains" "" "$(runner_leftovers)"
