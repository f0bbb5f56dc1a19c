#!/usr/bin/env bash
# tests/e2e/net_dns.sh — the embedded resolver at 127.0.0.11 on user-defined networks, inside
# a network namespace this test makes: containers find each other by name, alias and short
# id (busybox nslookup, and wget over TCP), also written in capitals, with a final dot and as
# NAME.NETWORK, and by address (PTR); one on another network cannot until `network connect`,
# and not after `disconnect`; names of stopped, removed and killed (kill -9 of the monitor)
# containers stop resolving, a restarted one resolves to its new address; several containers
# with one alias come in turns; other names go to the upstream: a dnsmasq this test runs in
# its namespace, named by --dns or by the host's resolv.conf (bind-mounted in a mount
# namespace of the test, its loopback nameserver skipped), over UDP and TCP, SERVFAIL when it
# does not answer; the container's resolv.conf as docker writes it; the default bridge has
# no names. The same queries in all their forms (dig) get the same replies from docker
# 20.10's resolver (a private dockerd in the namespace).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

# addrs CTR NAME — the addresses busybox nslookup in CTR gets for NAME, sorted, on one line
addrs() {
  B exec "$1" nslookup "$2" 2>/dev/null |
    awk '/^Name:/ { n = 1 } n && /^Address/ { print $2 }' | sort | tr '\n' ' ' | sed 's/ $//'
}
# first CTR NAME — the first address of the answer
first() { B exec "$1" nslookup -type=a "$2" 2>/dev/null | awk '/^Name:/ { n = 1 } n && /^Address/ { print $2; exit }'; }
ipof() { B inspect "$1" | jq -r ".[0].NetworkSettings.Networks[\"$2\"].IPAddress"; }
get() { B exec "$1" timeout 2 wget -q -O- "$2" 2>/dev/null; }
# dig_in CTR ARGS... — dig from inside CTR's network namespace, at the embedded resolver
dig_in() { nsenter --net="/proc/$(B inspect -f '{{.State.Pid}}' "$1")/ns/net" dig +tries=1 +time=3 @127.0.0.11 "${@:2}"; }

# the upstream: dnsmasq on an address of the namespace's lo, knowing ext.test, NXDOMAIN for
# gone.test; port 54 of the same address answers nothing
UP=10.55.0.53
N ip addr add "$UP/32" dev lo
# (nsenter run directly, not through N: $! is then dnsmasq itself, as nsenter and env exec it)
nsenter --net="/run/netns/$NS" env -u BLD_ROOT dnsmasq --no-daemon --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
  --listen-address="$UP" --address=/ext.test/10.55.0.9 --address=/gone.test/ --pid-file= \
  >/dev/null 2>&1 &
dpid=$!
at_exit "kill $dpid"
for i in $(seq 50); do N dig +short +tries=1 +time=1 "@$UP" a.ext.test 2>/dev/null | grep -q . && break; sleep 0.1; done

mkdir -p "$T_DIR/www" && echo "hello from web" >"$T_DIR/www/index.html"
B network create --subnet 10.77.0.0/24 front >/dev/null && B network create back >/dev/null ||
  { t_fail "network create"; exit 1; }
D=(--dns "$UP")
B run -d --name web --network front --network-alias www --network-alias svc "${D[@]}" \
  -v "$T_DIR/www:/www:ro" $IMG httpd -f -p 80 -h /www >/dev/null
B run -d --name peer --network front "${D[@]}" $IMG sleep 300 >/dev/null
B run -d --name other --network back "${D[@]}" $IMG sleep 300 >/dev/null
wip=$(ipof web front)
wid=$(B inspect -f '{{.Id}}' web)

t_eq "resolv.conf on a user network: the embedded resolver, ndots:0 (docker's)" \
  "nameserver 127.0.0.11
options ndots:0" "$(B exec peer cat /etc/resolv.conf)"
t_eq "nslookup web from a container on the same network" "$wip" "$(addrs peer web)"
t_eq "... by alias" "$wip" "$(addrs peer www)"
t_eq "... by short id" "$wip" "$(addrs peer "${wid:0:12}")"
t_eq "... in capitals, with a final dot" "$wip" "$(addrs peer WEB.)"
t_eq "... as NAME.NETWORK" "$wip" "$(addrs peer web.front)"
t_eq "... its own name too" "$(ipof peer front)" "$(addrs peer peer)"
t_match "the address's PTR is NAME.NETWORK" "name = web\.front$" "$(B exec peer nslookup "$wip" 2>&1)"
for i in $(seq 30); do get peer http://web/ >/dev/null && break; sleep 0.1; done
t_eq "wget by name over TCP" "hello from web" "$(get peer http://web/)"
t_eq "... by alias" "hello from web" "$(get peer http://svc/)"
t_eq "... by short id" "hello from web" "$(get peer "http://${wid:0:12}/")"
t_match "a TCP query is answered (dig +tcp)" "^$wip$" "$(dig_in peer +tcp +short web)"
t_eq "a container on another network cannot resolve web" "" "$(addrs other web)"
t_eq "... nor its alias" "" "$(addrs other www)"

t_ok "network connect front other" B network connect front other
t_eq "after network connect it can" "$wip" "$(addrs other web)"
t_eq "... and web resolves it" "$(ipof other front)" "$(addrs web other)"
t_ok "network disconnect front other" B network disconnect front other
t_eq "after disconnect it cannot" "" "$(addrs other web)"

# --- external names: --dns, the host's resolv.conf, SERVFAIL ---
t_eq "an external name goes to --dns" "10.55.0.9" "$(addrs peer www.ext.test)"
t_match "... NXDOMAIN comes back as it is" "status: NXDOMAIN" "$(dig_in peer x.gone.test)"
t_match "... over TCP for a TCP query" "^10.55.0.9$" "$(dig_in peer +tcp +short a.ext.test)"
B run -d --name lost --network front --dns 127.0.0.1 $IMG sleep 300 >/dev/null
t_match "no upstream answering: SERVFAIL" "status: SERVFAIL" "$(dig_in lost a.ext.test)"
t_eq "... while names on the network still resolve" "$wip" "$(addrs lost web)"
printf 'search example.test\nnameserver 127.0.0.53\nnameserver %s\noptions edns0\n' "$UP" \
  >"$T_DIR/resolv.conf"
if t_rootless; then # the host's files as bld sees them: in bld-pause's mount namespace
  t_bld_ns mount --bind "$T_DIR/resolv.conf" /etc/resolv.conf
  B run -d --name hosted --network front $IMG sleep 300 >/dev/null
else
  unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh \
    "$T_DIR/resolv.conf" nsenter --net="/run/netns/$NS" "$BLD" run -d --name hosted \
    --network front $IMG sleep 300 >/dev/null
fi
t_eq "with the host's resolv.conf: its search and options, ndots:0" "search example.test
nameserver 127.0.0.11
options edns0 ndots:0" "$(B exec hosted cat /etc/resolv.conf)"
t_eq "... external names go to its nameservers (the loopback one skipped)" "10.55.0.9" \
  "$(first hosted a.ext.test)"
t_rootless && t_bld_ns umount /etc/resolv.conf
B run -d --name opts --network front "${D[@]}" --dns-search gone.test --dns-option ndots:2 \
  $IMG sleep 300 >/dev/null
t_eq "--dns-search and --dns-option are kept (docker keeps the user's ndots)" "search gone.test
nameserver 127.0.0.11
options ndots:2" "$(B exec opts cat /etc/resolv.conf)"
t_eq "... and names still resolve (wget: the search list, then the name)" "hello from web" "$(get opts http://web/)"
B run -d --name vc --network front "${D[@]}" --dns-option use-vc $IMG sleep 300 >/dev/null
t_eq "over TCP, glibc's A and AAAA queries sent at once on one connection (use-vc)" \
  "hello from web" "$(get vc http://web/)"
# (wget names the address before it connects: rootless, the uplink pasta copies routes it
# nowhere, and the connection hangs)
t_match "... forwarded ones too (a.ext.test found: wget goes to its address)" "10\.55\.0\.9" \
  "$(B exec vc timeout 2 wget -O- http://a.ext.test:1/ 2>&1)"

# --- round robin over one alias ---
B run -d --name rr1 --network front --network-alias pool $IMG sleep 300 >/dev/null
B run -d --name rr2 --network front --network-alias pool $IMG sleep 300 >/dev/null
t_eq "an alias of two containers: both addresses" \
  "$(printf '%s\n' "$(ipof rr1 front)" "$(ipof rr2 front)" | sort | tr '\n' ' ' | sed 's/ $//')" \
  "$(addrs peer pool)"
seen=$(for i in $(seq 16); do first peer pool; done | sort -u | wc -l)
t_eq "... each comes first in turn (16 queries)" 2 "$seen"

# --- life cycle: stop, restart with a new address, kill -9, rm ---
B stop -t 1 web >/dev/null
t_eq "a stopped container's name stops resolving" "" "$(addrs peer web)"
t_eq "... and its alias" "" "$(addrs peer www)"
B run -d --name filler --network front --ip "$wip" $IMG sleep 300 >/dev/null
B start web >/dev/null
nip=$(ipof web front)
t_ok "restarted on another address ($wip was taken)" test "$nip" != "$wip" -a -n "$nip"
t_eq "... and its name resolves to the new one" "$nip" "$(addrs peer web)"
t_eq "... as does its alias" "$nip" "$(addrs peer www)"
B run -d --name killed --network front $IMG sleep 300 >/dev/null
kid=$(B inspect -f '{{.Id}}' killed)
kill -9 "$(jq -r .MonitorPid "$BLD_ROOT/containers/$kid/state.json")"
# the monitor's exit is not done when kill returns (under load it took long enough to be
# seen alive), and the resolver may take a liveness it learned as true for 500 ms
for i in $(seq 50); do [ "$(B inspect -f '{{.State.Running}}' killed)" = false ] && break; sleep 0.1; done
sleep 0.6
t_eq "a container whose monitor was killed (kill -9) stops resolving" "" "$(addrs peer killed)"
B rm -f web >/dev/null
t_eq "a removed container's name stops resolving" "" "$(addrs peer web)"

# --- the default bridge: no names, no embedded resolver ---
B run -d --name plain "${D[@]}" $IMG sleep 300 >/dev/null
t_eq "on the default bridge resolv.conf names --dns" "nameserver $UP" "$(B exec plain cat /etc/resolv.conf)"
t_eq "... and containers have no names" "" "$(addrs plain peer)"
# --- the same queries to docker 20.10's resolver (a private dockerd in the namespace) ---
N env -u BLD_ROOT "$TOP/tests/env/dockerd.sh" start "$T_DIR/dockerd" >/dev/null ||
  { t_fail "start dockerd"; exit 1; }
at_exit "'$TOP/tests/env/dockerd.sh' stop '$T_DIR/dockerd' >/dev/null 2>&1"
. "$T_DIR/dockerd/env"
DK() { "$DOCKER" "$@"; }
at_exit '$DOCKER rm -f cweb cpeer cplain >/dev/null 2>&1; $DOCKER network rm cmp >/dev/null 2>&1'
DK import "$T_DIR/busybox.tar" $IMG >/dev/null
for side in B DK; do
  sub=10.77.1 && [ $side = DK ] && sub=10.78.1
  $side network create --subnet $sub.0/24 cmp >/dev/null
  $side run -d --name cweb --network cmp --network-alias cwww "${D[@]}" $IMG sleep 300 >/dev/null
  $side run -d --name cpeer --network cmp "${D[@]}" --dns-search gone.test --dns-option ndots:2 \
    $IMG sleep 300 >/dev/null
  $side run -d --name cplain --network cmp "${D[@]}" $IMG sleep 300 >/dev/null
done
# answers SIDE — the peers' resolv.conf and what their resolver answers (ids, subnets alike)
answers() {
  local ip id q c
  ip=$($1 inspect cweb | jq -r '.[0].NetworkSettings.Networks.cmp.IPAddress')
  id=$($1 inspect -f '{{.Id}}' cweb)
  for c in cpeer cplain; do
    $1 exec $c cat /etc/resolv.conf
    for q in cweb CWEB cweb. cweb.cmp CWEB.cmp cweb.CMP cwww "${id:0:12}" "cweb AAAA" "cweb MX" \
      "cweb TXT" nosuch "-x $ip" a.ext.test x.gone.test "+tcp cweb" "+tcp a.ext.test"; do
      echo "== $c $q"
      nsenter --net="/proc/$($1 inspect -f '{{.State.Pid}}' $c)/ns/net" \
        dig +tries=1 +time=2 +noall +comments +answer @127.0.0.11 $q |
        grep -vE '^;; (Got answer|Query time|SERVER|WHEN|MSG)|^$' | sed -E 's/id: [0-9]+//'
    done
  done | sed -E "s/10\.7[78]\.1\./S./g; s/1\.7[78]\.10\.in-addr/1.S.in-addr/g; s/${id:0:12}/ID/g"
}
dk=$(answers DK)
t_eq "the same queries: bld's resolver answers as docker 20.10's" "$dk" "$(answers B)"
t_match "... (docker answered them: the alias)" "cwww\.[[:space:]]+600[[:space:]]+IN[[:space:]]+A[[:space:]]+S\.2" "$dk"

B rm -f $(B ps -aq) >/dev/null 2>&1
t_ok "network rm of all" B network rm front back cmp
t_eq "nothing of bld remains" "" "$(runner_leftovers)"
